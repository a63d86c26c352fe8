//! End-to-end tests of message-exchange interceptors, `cargo test --test interceptors`: the
//! real server over real HTTP, on SQLite or on the database `TEST_STORE_URL` names.
//!
//! The interceptors of these tests (see `plugins`) are registered as a program running Baton
//! with interceptors of its own registers them: this executable, started with
//! [`plugins::SERVE_VAR`] set, runs the `baton` command line with them. The built-in
//! header-propagation runs in the plain `baton` binary.
//!
//! Each test prints `test NAME ... ok` or `... FAILED`, then a summary line
//! `interceptors: N passed, M failed`. A command-line argument keeps only the tests whose
//! name contains it.

#[path = "../common/mod.rs"]
mod common;

mod partner;
mod plugins;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use common::{copy_unit, element_text, repo, Dirs, Server, PATIENCE};

const HELLO_PATH: &str = "/ode/processes/HelloWorld";
const RELAY_PATH: &str = "/ode/processes/Relay";
const TRACE_NS: &str = "urn:baton:test:trace";

type Test = fn() -> Pin<Box<dyn Future<Output = ()>>>;

fn main() {
    if std::env::var_os(plugins::SERVE_VAR).is_some() {
        plugins::serve();
        return;
    }
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let tests: [(&str, Test); 6] = [
        (
            "a_refusing_interceptor_faults_the_caller_and_creates_nothing",
            || Box::pin(a_refusing_interceptor_faults_the_caller_and_creates_nothing()),
        ),
        (
            "a_changing_interceptor_changes_what_the_process_receives",
            || Box::pin(a_changing_interceptor_changes_what_the_process_receives()),
        ),
        (
            "unknown_interceptors_are_refused_at_deployment_and_at_start",
            || Box::pin(unknown_interceptors_are_refused_at_deployment_and_at_start()),
        ),
        ("a_refused_partner_call_fails_the_invoke", || {
            Box::pin(a_refused_partner_call_fails_the_invoke())
        }),
        (
            "header_propagation_carries_a_header_to_the_partner_across_a_restart",
            || Box::pin(header_propagation_carries_a_header_to_the_partner_across_a_restart()),
        ),
        (
            "header_propagation_carries_a_header_to_a_process_peer_to_peer",
            || Box::pin(header_propagation_carries_a_header_to_a_process_peer_to_peer()),
        ),
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(test())));
        if outcome.is_ok() {
            passed += 1;
            println!("test {name} ... ok");
        } else {
            failed += 1;
            println!("test {name} ... FAILED");
        }
    }
    println!("interceptors: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

/// Starts this executable as a server with the test interceptors, configured by `settings`.
async fn start_with_plugins(dirs: &Dirs, settings: &[(&str, &str)]) -> Server {
    let program = std::env::current_exe().expect("the runner knows its executable");
    let mut command = std::process::Command::new(program);
    command.env(plugins::SERVE_VAR, "1");
    Server::start_command(command, dirs, "info", true, settings).await
}

/// A SOAP 1.1 envelope of `header` blocks and `body`.
fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

async fn post_soap(server: &Server, path: &str, header: &str, body: &str) -> (u16, String) {
    server
        .post(path, "text/xml; charset=utf-8", envelope(header, body))
        .await
}

fn hello(name: &str) -> String {
    format!(r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>{name}</h:name></h:hello>"#)
}

/// The HelloWorld sample with `interceptors` named in its deploy.xml.
fn add_hello_with(dirs: &Dirs, interceptors: &[&str]) {
    let listed: String = interceptors
        .iter()
        .map(|name| format!("<mex-interceptor><class-name>{name}</class-name></mex-interceptor>"))
        .collect();
    dirs.place_unit(&repo().join("samples/HelloWorld"), "HelloWorld", &|text| {
        text.replace(
            "<active>true</active>",
            &format!("<active>true</active><mex-interceptors>{listed}</mex-interceptors>"),
        )
    });
}

/// The instances in the store, as (id, status).
async fn instances(dirs: &Dirs) -> Vec<(i64, baton::store::InstanceStatus)> {
    let store = dirs.store().await.unwrap();
    let listed = store.list_instances(&Default::default()).await.unwrap();
    store.close().await;
    listed.into_iter().map(|i| (i.id, i.status)).collect()
}

async fn a_refusing_interceptor_faults_the_caller_and_creates_nothing() {
    let dirs = Dirs::new();
    add_hello_with(&dirs, &[plugins::REQUIRE_TICKET]);
    let server = start_with_plugins(&dirs, &[]).await;
    let (status, body) = post_soap(&server, HELLO_PATH, "", &hello("Baton")).await;
    assert_eq!(status, 500, "{body}");
    let code = element_text(&body, "faultcode").unwrap_or_default();
    assert!(code.ends_with("Client"), "{body}");
    let reason = element_text(&body, "faultstring").unwrap_or_default();
    assert!(
        reason.contains(plugins::REQUIRE_TICKET) && reason.contains(plugins::NO_TICKET),
        "{body}"
    );
    assert_eq!(instances(&dirs).await, []);
    let ticket = format!(r#"<t:ticket xmlns:t="{}">1</t:ticket>"#, plugins::TICKET_NS);
    let (status, body) = post_soap(&server, HELLO_PATH, &ticket, &hello("Baton")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Baton!"), "{body}");
    assert_eq!(instances(&dirs).await.len(), 1);
}

async fn a_changing_interceptor_changes_what_the_process_receives() {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let global = format!(r#"["{}"]"#, plugins::SHOUT);
    let server = start_with_plugins(&dirs, &[("BATON_ENGINE__INTERCEPTORS", &global)]).await;
    let (status, body) = post_soap(&server, HELLO_PATH, "", &hello("Baton")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, BATON!"), "{body}");
}

async fn unknown_interceptors_are_refused_at_deployment_and_at_start() {
    let dirs = Dirs::new();
    add_hello_with(&dirs, &["missing"]);
    let server = start_with_plugins(&dirs, &[]).await;
    let refused = server.await_log(&["HelloWorld", "no interceptor named 'missing'"]);
    assert!(refused.contains("<mex-interceptors>"), "{refused}");
    let (status, body) = post_soap(&server, HELLO_PATH, "", &hello("Baton")).await;
    assert_eq!(status, 500, "{body}");
    drop(server);
    let other = Dirs::new();
    let mut server = Server::launch(
        &other,
        "info",
        true,
        &[("BATON_ENGINE__INTERCEPTORS", r#"["shout"]"#)],
    );
    server.await_log(&["[engine] interceptors: no interceptor named 'shout'"]);
    common::eventually("the server stopping", PATIENCE, || {
        let stopped = (!server.is_running()).then_some(());
        async move { stopped }
    })
    .await;
    let unit = other.root().join("HelloWorld");
    copy_unit(&dirs.deploy().join("HelloWorld"), &unit, &|text| text);
    let deployed = other.baton(&["deploy", unit.to_str().unwrap()]);
    let refusal = String::from_utf8_lossy(&deployed.stderr);
    assert!(!deployed.status.success(), "{refusal}");
    assert!(
        refusal.contains("no interceptor named 'missing'"),
        "{refusal}"
    );
    assert!(!other.deploy().join("HelloWorld").exists());
}

/// Puts the Relay test unit in the deploy directory, its partner at `partner`, with
/// `interceptors` in its deploy.xml.
fn add_relay(dirs: &Dirs, partner: &str, interceptors: &[&str]) {
    let listed: String = interceptors
        .iter()
        .map(|name| format!("<mex-interceptor><class-name>{name}</class-name></mex-interceptor>"))
        .collect();
    dirs.place_unit(&repo().join("tests/data/units/Relay"), "Relay", &|text| {
        text.replace("PARTNER_ADDRESS", partner).replace(
            "</invoke>\n  </process>",
            &format!("</invoke>\n<mex-interceptors>{listed}</mex-interceptors></process>"),
        )
    });
}

fn question(text: &str) -> String {
    format!(r#"<r:question xmlns:r="urn:baton:test:relay">{text}</r:question>"#)
}

async fn a_refused_partner_call_fails_the_invoke() {
    let dirs = Dirs::new();
    let partner = partner::Partner::start();
    add_relay(&dirs, &partner.url, &[plugins::NO_CALLS]);
    let server = start_with_plugins(&dirs, &[("BATON_ENGINE__PARTNER_FAILURE", "recover")]).await;
    let asked = tokio::spawn({
        let url = format!("{}{RELAY_PATH}", server.address);
        async move {
            reqwest::Client::new()
                .post(url)
                .header("Content-Type", "text/xml; charset=utf-8")
                .body(envelope("", &question("anyone?")))
                .timeout(PATIENCE)
                .send()
                .await
        }
    });
    let waiting = server.await_log(&["Invoke failed; waiting for an operator"]);
    assert!(waiting.contains(plugins::NO_CALLS), "{waiting}");
    let listed = common::eventually("a failure listed", PATIENCE, || async {
        let id = instances(&dirs).await.first().map(|(id, _)| *id)?;
        let (status, body) = server
            .get(&format!("/api/v1/instances/{id}/failures"))
            .await;
        (status == 200 && body.contains(plugins::NO_CALLS)).then_some(body)
    })
    .await;
    assert!(listed.contains("askPartner"), "{listed}");
    assert_eq!(partner.requests(), 0);
    drop(server);
    let _ = asked.await;
}

async fn header_propagation_carries_a_header_to_the_partner_across_a_restart() {
    let dirs = Dirs::new();
    let partner = partner::Partner::start();
    add_relay(&dirs, &partner.url, &[]);
    let headers = format!(r#"["{{{TRACE_NS}}}trace"]"#);
    let settings = [
        ("BATON_ENGINE__INTERCEPTORS", r#"["header-propagation"]"#),
        ("BATON_HEADER_PROPAGATION__HEADERS", headers.as_str()),
    ];
    let trace = |id: &str| format!(r#"<tr:trace xmlns:tr="{TRACE_NS}">{id}</tr:trace>"#);
    let unrelated = r#"<o:other xmlns:o="urn:baton:test:other">not carried</o:other>"#;
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    let asked = {
        let header = format!("{}{unrelated}", trace("first"));
        let server = &server;
        async move { post_soap(server, RELAY_PATH, &header, &question("one")).await }
    };
    let answered = async {
        let request = partner.next_request().await;
        partner.answer(&request, "yes");
        request
    };
    let ((status, body), request) = tokio::join!(asked, answered);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "answer").as_deref(),
        Some("yes"),
        "{body}"
    );
    assert_eq!(
        element_text(&request.envelope, "trace").as_deref(),
        Some("first"),
        "{}",
        request.envelope
    );
    assert!(!request.envelope.contains("other"), "{}", request.envelope);

    let pending = tokio::spawn({
        let url = format!("{}{RELAY_PATH}", server.address);
        let body = envelope(&trace("second"), &question("two"));
        async move {
            reqwest::Client::new()
                .post(url)
                .header("Content-Type", "text/xml; charset=utf-8")
                .body(body)
                .send()
                .await
        }
    });
    let unanswered = partner.next_request().await;
    assert_eq!(
        element_text(&unanswered.envelope, "trace").as_deref(),
        Some("second")
    );
    server.kill();
    let _ = pending.await;
    drop(unanswered);
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    let reissued = partner.next_request().await;
    assert_eq!(
        element_text(&reissued.envelope, "trace").as_deref(),
        Some("second"),
        "{}",
        reissued.envelope
    );
    partner.answer(&reissued, "later");
    common::eventually("the instance completed", PATIENCE, || async {
        instances(&dirs)
            .await
            .iter()
            .all(|(_, status)| *status == baton::store::InstanceStatus::Completed)
            .then_some(())
    })
    .await;
    drop(server);
}

async fn header_propagation_carries_a_header_to_a_process_peer_to_peer() {
    let dirs = Dirs::new();
    let required = format!(
        "</invoke>\n  <mex-interceptors><mex-interceptor><class-name>{}</class-name></mex-interceptor></mex-interceptors></process>\n</deploy>",
        plugins::REQUIRE_TICKET
    );
    dirs.place_unit(&repo().join("samples/AsyncPair"), "AsyncPair", &|text| {
        text.replace("</invoke>\n  </process>\n</deploy>", &required)
    });
    let headers = format!(r#"["{{{}}}ticket"]"#, plugins::TICKET_NS);
    let settings = [
        ("BATON_ENGINE__INTERCEPTORS", r#"["header-propagation"]"#),
        ("BATON_HEADER_PROPAGATION__HEADERS", headers.as_str()),
    ];
    let server = start_with_plugins(&dirs, &settings).await;
    let order = |id: &str| {
        format!(
            r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>{id}</a:id><a:item>book</a:item></a:order>"#
        )
    };
    let ticket = format!(r#"<t:ticket xmlns:t="{}">7</t:ticket>"#, plugins::TICKET_NS);
    let (status, body) = post_soap(
        &server,
        "/ode/processes/AsyncClient",
        &ticket,
        &order("with"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("shipped book"), "{body}");
    let unticketed = tokio::spawn({
        let url = format!("{}/ode/processes/AsyncClient", server.address);
        let body = envelope("", &order("without"));
        async move {
            reqwest::Client::new()
                .post(url)
                .header("Content-Type", "text/xml; charset=utf-8")
                .body(body)
                .send()
                .await
        }
    });
    server.await_log(&["One-way invoke failed", plugins::NO_TICKET]);
    drop(server);
    let _ = unticketed.await;
}
