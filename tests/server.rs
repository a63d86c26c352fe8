//! End-to-end: the real `baton` binary serving the samples and test units over real HTTP.

mod common;

use common::{copy_unit, repo, Dirs, Server};

const HELLO: &str =
    r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Baton</h:name></h:hello>"#;

fn order(id: &str, item: &str) -> String {
    format!(
        r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>{id}</a:id><a:item>{item}</a:item></a:order>"#
    )
}

#[tokio::test]
async fn hello_world_replies_over_http() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let (status, body) = server.soap("/ode/processes/HelloWorld", HELLO).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Baton!"), "{body}");
    let (status, alias) = server.soap("/services/HelloService", HELLO).await;
    assert_eq!(status, 200, "{alias}");
    assert!(alias.contains("Hello, Baton!"), "{alias}");
}

#[tokio::test]
async fn soap_1_2_requests_get_soap_1_2_replies() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let envelope = format!(
        r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>{HELLO}</e:Body></e:Envelope>"#
    );
    let (status, body) = server
        .post(
            "/ode/processes/HelloWorld",
            "application/soap+xml; charset=utf-8",
            envelope,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("http://www.w3.org/2003/05/soap-envelope"),
        "{body}"
    );
    assert!(body.contains("Hello, Baton!"), "{body}");
}

#[tokio::test]
async fn wsdl_is_published_with_this_servers_address() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let (status, wsdl) = server.get("/ode/processes/HelloWorld?wsdl").await;
    assert_eq!(status, 200, "{wsdl}");
    assert!(
        wsdl.contains(&format!("{}/ode/processes/HelloWorld", server.address)),
        "{wsdl}"
    );
    assert!(wsdl.contains("HelloPortType"), "{wsdl}");
    let (status, _) = server.get("/ode/processes/Nothing?wsdl").await;
    assert_eq!(status, 404);
    let (status, health) = server.get("/health").await;
    assert_eq!((status, health.as_str()), (200, "ok"));
}

async fn run_async_pair(peer_to_peer: bool) {
    let dirs = Dirs::new();
    let flag = if peer_to_peer { "true" } else { "false" };
    copy_unit(
        &repo().join("samples/AsyncPair"),
        &dirs.deploy().join("AsyncPair"),
        &|text| {
            text.replace(
                r#"usePeer2Peer="true""#,
                &format!(r#"usePeer2Peer="{flag}""#),
            )
        },
    );
    let server = Server::start_with(&dirs, "info,baton::engine::partner=debug").await;
    let calls: Vec<_> = (0..5)
        .map(|n| order(&format!("order-{n}"), &format!("item-{n}")))
        .collect();
    let replies = futures::future::join_all(
        calls
            .iter()
            .map(|call| server.soap("/ode/processes/AsyncClient", call)),
    )
    .await;
    for (n, (status, body)) in replies.into_iter().enumerate() {
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("order-{n}")), "{body}");
        assert!(body.contains(&format!("shipped item-{n}")), "{body}");
    }
    let via = if peer_to_peer { "via=peer" } else { "via=http" };
    let other = if peer_to_peer { "via=http" } else { "via=peer" };
    server.await_log(&["Invoking partner", via, "operation=process"]);
    server.await_log(&["Invoking partner", via, "operation=done"]);
    assert!(
        !server.logged(&["Invoking partner", other]),
        "a call went {other}"
    );
}

#[tokio::test]
async fn async_pair_runs_peer_to_peer() {
    run_async_pair(true).await;
}

#[tokio::test]
async fn async_pair_runs_over_http_when_peer_to_peer_is_off() {
    run_async_pair(false).await;
}

#[tokio::test]
async fn faults_become_soap_faults_carrying_their_names() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Thrower");
    let server = Server::start(&dirs).await;
    let amount = |n: i32| format!(r#"<t:amount xmlns:t="urn:baton:test:thrower">{n}</t:amount>"#);

    let (status, body) = server.soap("/ode/processes/Thrower", &amount(7)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(">7</"), "{body}");

    let (status, body) = server.soap("/ode/processes/Thrower", &amount(-1)).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("Fault"), "{body}");
    assert!(
        body.contains("urn:baton:test:thrower") && body.contains("negative"),
        "{body}"
    );

    let (status, body) = server.soap("/ode/processes/Thrower", &amount(1000)).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("rejected"), "{body}");
    assert!(
        body.contains("too large"),
        "the WSDL fault's message is the detail: {body}"
    );
}

#[tokio::test]
async fn a_bad_unit_is_refused_with_file_and_line_and_running_processes_stay_up() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    copy_unit(
        &repo().join("samples/HelloWorld"),
        &dirs.deploy().join("Broken"),
        &|text| text.replace(r#"variable="response"/>"#, r#"variable="nowhere"/>"#),
    );
    let refusal = server.await_log(&["Broken", "refused"]);
    let line = server.await_log(&["HelloWorld.bpel:33"]);
    assert!(line.contains("nowhere"), "{refusal}\n{line}");
    let (status, body) = server.soap("/ode/processes/HelloWorld", HELLO).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Baton!"), "{body}");
}

#[tokio::test]
async fn a_waiting_instance_completes_after_a_restart() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Waiter");
    let call = |operation: &str, key: &str| {
        format!(
            r#"<w:{operation} xmlns:w="urn:baton:test:waiter"><payload><w:key>{key}</w:key></payload></w:{operation}>"#
        )
    };
    let server = Server::start(&dirs).await;
    let (status, body) = server
        .soap("/ode/processes/Waiter", &call("begin", "k-1"))
        .await;
    assert_eq!(status, 202, "{body}");
    server.kill();

    let server = Server::start(&dirs).await;
    let (status, body) = server
        .soap("/ode/processes/Waiter", &call("finish", "k-1"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("finished k-1"), "{body}");
    let (status, body) = server
        .soap("/ode/processes/Waiter", &call("finish", "k-1"))
        .await;
    assert_eq!(
        status, 500,
        "a finished instance takes no more messages: {body}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_a_fault_that_says_why() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;

    let (status, body) = server
        .post(
            "/ode/processes/HelloWorld",
            "text/xml",
            "<s:Envelope".into(),
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("Client"), "{body}");

    let doctype = r#"<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&x;</s:Body></s:Envelope>"#;
    let (status, body) = server
        .post("/ode/processes/HelloWorld", "text/xml", doctype.into())
        .await;
    assert_eq!(status, 500, "{body}");
    assert!(!body.contains("root:"), "{body}");
    assert!(
        body.to_lowercase().contains("dtd") || body.to_lowercase().contains("doctype"),
        "{body}"
    );

    let (status, body) = server.soap("/ode/processes/Nowhere", HELLO).await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("/ode/processes/Nowhere"), "{body}");

    let (status, body) = server
        .soap(
            "/ode/processes/HelloWorld",
            "<h:goodbye xmlns:h=\"urn:baton:samples:hello\"/>",
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("goodbye"), "{body}");

    let huge = format!(
        "<h:hello xmlns:h=\"urn:baton:samples:hello\"><h:name>{}</h:name></h:hello>",
        "x".repeat(5 << 20)
    );
    let (status, _) = server.soap("/ode/processes/HelloWorld", &huge).await;
    assert_eq!(status, 413);

    let (status, body) = server.soap("/ode/processes/HelloWorld", HELLO).await;
    assert_eq!(status, 200, "the server still serves: {body}");
}

/// Apache ODE's own HelloWorld2 unit (rpc/literal, declares XPath 2.0), unchanged, when the
/// conformance corpus sits beside the repository.
#[tokio::test]
async fn odes_hello_world_2_deploys_unchanged() {
    let Some(corpus) = common::ode_corpus() else {
        eprintln!("ODE's corpus is not beside the repository; nothing to check");
        return;
    };
    let corpus = corpus.join("bpel-test/bpel/2.0/HelloWorld2");
    let dirs = Dirs::new();
    copy_unit(&corpus, &dirs.deploy().join("HelloWorld2"), &|text| text);
    let server = Server::start(&dirs).await;
    let request =
        r#"<w:hello xmlns:w="http://ode/bpel/unit-test.wsdl"><TestPart>Hello</TestPart></w:hello>"#;
    let (status, body) = server.soap("/ode/processes/helloWorld", request).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello World"), "{body}");
}

#[tokio::test]
async fn message_exchanges_are_recorded_with_the_instance() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let (status, body) = server.soap("/ode/processes/HelloWorld", HELLO).await;
    assert_eq!(status, 200, "{body}");
    let store = dirs.store().await.unwrap();
    let instances = store.list_instances(&Default::default()).await.unwrap();
    let [instance] = instances.as_slice() else {
        panic!("one instance: {instances:?}")
    };
    assert_eq!(instance.status, baton::store::InstanceStatus::Completed);
    let exchanges = store.exchanges(instance.id).await.unwrap();
    let [exchange] = exchanges.as_slice() else {
        panic!("one exchange: {exchanges:?}")
    };
    assert_eq!(
        (exchange.partner_link.as_str(), exchange.operation.as_str()),
        ("client", "hello")
    );
    assert_eq!(exchange.status, baton::store::ExchangeStatus::Replied);
    let request = String::from_utf8(exchange.request.clone().unwrap()).unwrap();
    let response = String::from_utf8(exchange.response.clone().unwrap()).unwrap();
    assert!(request.contains("Baton"), "{request}");
    assert!(response.contains("Hello, Baton!"), "{response}");
}
