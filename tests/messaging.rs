//! End-to-end conformance of correlated messaging (WS-BPEL 2.0 §9, §10.4, §11.5): the
//! Messaging unit over real SOAP/HTTP.

mod common;

use common::{element_text, Dirs, Server};

/// The request of `operation` (start or poke) for `key`.
fn key(operation: &str, key: &str) -> String {
    format!(r#"<m:{operation} xmlns:m="urn:baton:test:messaging">{key}</m:{operation}>"#)
}

#[tokio::test]
async fn a_correlated_message_sent_before_its_pick_waits_is_kept_and_taken_by_its_instance() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    let server = Server::start(&dirs).await;
    let path = "/ode/processes/Messaging";
    for k in ["k-1", "k-2"] {
        let (status, body) = server.soap(path, &key("start", k)).await;
        assert_eq!(status, 202, "{body}");
    }
    let (poke_1, poke_2) = (key("poke", "k-1"), key("poke", "k-2"));
    let (second, first) = futures::join!(server.soap(path, &poke_2), server.soap(path, &poke_1));
    for ((status, body), k) in [(first, "k-1"), (second, "k-2")] {
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            element_text(&body, "result").as_deref(),
            Some(&*format!("message:{k}"))
        );
    }
    let (status, body) = server.soap(path, &key("poke", "k-1")).await;
    assert_eq!(status, 500, "the instance of k-1 is over: {body}");
}

/// A SOAP envelope with a `wsa:MessageID` header `id` around `body`.
fn with_message_id(id: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><wsa:MessageID xmlns:wsa="{}">{id}</wsa:MessageID></s:Header><s:Body>{body}</s:Body></s:Envelope>"#,
        common::async_pair::WSA_NS
    )
}

#[tokio::test]
async fn a_message_sent_again_under_its_message_id_takes_effect_once() {
    let dirs = Dirs::new();
    dirs.add_test_unit("Messaging");
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let xml = "text/xml; charset=utf-8";

    // A one-way message that creates an instance: the copy is taken, without a second instance.
    let start = with_message_id("urn:test:start-1", &key("start", "once"));
    for _ in 0..2 {
        let (status, body) = server
            .post("/ode/processes/Messaging", xml, start.clone())
            .await;
        assert_eq!(status, 202, "{body}");
    }
    let poke = key("poke", "once");
    let (status, body) = server.soap("/ode/processes/Messaging", &poke).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.soap("/ode/processes/Messaging", &poke).await;
    assert_eq!(status, 500, "one instance took the start: {body}");

    // A request: the copy gets the first reply again, from a single instance.
    let hello = r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>Once</h:name></h:hello>"#;
    let request = with_message_id("urn:test:hello-1", hello);
    let mut answers = Vec::new();
    for _ in 0..2 {
        let (status, body) = server
            .post("/ode/processes/HelloWorld", xml, request.clone())
            .await;
        assert_eq!(status, 200, "{body}");
        answers.push(element_text(&body, "text"));
    }
    assert!(answers[0].is_some(), "{answers:?}");
    assert_eq!(answers[0], answers[1]);
    let (status, body) = server
        .post(
            "/ode/processes/HelloWorld",
            xml,
            with_message_id("urn:test:hello-2", hello),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let store = dirs.store().await.unwrap();
    let instances = store.list_instances(&Default::default()).await.unwrap();
    let hellos = instances
        .iter()
        .filter(|instance| instance.pid.contains("HelloWorld"))
        .count();
    assert_eq!(hellos, 2, "{instances:?}");
    store.close().await;
}
