//! End-to-end: failed activities (ODE's activity recovery) over real HTTP. The Relay unit
//! invokes a partner whose endpoint refuses connections; with `[engine] partner-failure =
//! "recover"` (ODE's default) the instance waits for an operator, who sees the failure with
//! `baton failures` and settles it with `baton recover` (or the management API under /api/v1):
//! `fault` ends the instance with ext:activityFailure, which its caller gets as a SOAP fault,
//! and `retry` once the partner is up completes it. An invoke's own failure handling
//! overrides the server's setting: with faultOnFailure the caller gets activityFailure at
//! once, and with retries the invoke waits for an operator once they are spent. A partner
//! that never answers fails the invoke after `[engine] invoke-timeout-ms`, and the invoke's
//! failure handling applies as for any failure. An invoke in flight when the server crashed
//! is sent again when it starts.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{element_text, failed, line_of, repo, succeeded, text, Dirs, Server, PATIENCE};

const PATH: &str = "/ode/processes/Relay";
const ACTIVITY_RECOVERY_NS: &str = "http://ode.apache.org/activityRecovery";
const WAITING: &str = "Invoke failed; waiting for an operator";
/// Failed invokes without failure handling wait for an operator, as in ODE.
const WAIT_FOR_OPERATOR: [(&str, &str); 1] = [("BATON_ENGINE__PARTNER_FAILURE", "recover")];

/// A port nothing listens on (it was free a moment ago).
fn unused_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Puts the Relay unit in the deploy directory, its partner at `port`, with `handling` in
/// the invoke.
fn add_relay(dirs: &Dirs, port: u16, handling: &str) {
    let address = format!("http://127.0.0.1:{port}/partner");
    dirs.place_unit(&repo().join("tests/data/units/Relay"), "Relay", &|text| {
        text.replace("PARTNER_ADDRESS", &address).replace(
            r#"outputVariable="answer">"#,
            &format!(r#"outputVariable="answer">{handling}"#),
        )
    });
}

/// Calls `relay` with `question` in the background; the task ends with the status and body
/// of the answer.
fn ask(server: &Server, question: &str) -> tokio::task::JoinHandle<(u16, String)> {
    server.soap_in_background(
        PATH,
        &format!(r#"<r:question xmlns:r="urn:baton:test:relay">{question}</r:question>"#),
    )
}

/// Waits for an instance's invoke to fail and for the instance to wait for an operator
/// (the step is logged before it is committed, so the listing is awaited too); its id.
async fn failed_instance(server: &Server) -> String {
    let line = server.await_log(&[WAITING]);
    let instance =
        common::log_field(&line, "instance").unwrap_or_else(|| panic!("no instance in {line}"));
    common::eventually("a failure listed", PATIENCE, || async {
        let (status, body) = server
            .get(&format!("/api/v1/instances/{instance}/failures"))
            .await;
        assert_eq!(status, 200, "{body}");
        body.contains("\"exchange\"").then_some(())
    })
    .await;
    instance
}

/// Lists the failures of `instance` with `baton failures`; the exchange of the only one.
fn only_failure(dirs: &Dirs, server: &Server, instance: &str, port: u16) -> String {
    let listing = succeeded(dirs.baton(&["failures", instance, "--server", &server.address]));
    let rows: Vec<&str> = listing.lines().skip(1).collect();
    let [row] = rows.as_slice() else {
        panic!("expected one failure:\n{listing}")
    };
    let columns: Vec<&str> = row.split_whitespace().collect();
    let bpel = repo().join("tests/data/units/Relay/Relay.bpel");
    let location = format!("Relay.bpel:{}", line_of(&bpel, "askPartner"));
    assert_eq!(
        columns[1..5],
        ["askPartner", &location, "partner", "ask"],
        "{row}"
    );
    assert!(row.contains(&format!("127.0.0.1:{port}")), "{row}");
    columns[0].to_owned()
}

/// Answers one SOAP call on `listener` with `answer`; the thread ends with the request body.
fn answer_once(listener: TcpListener, answer: &'static str) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let envelope = format!(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r:answer xmlns:r="urn:baton:test:relay">{answer}</r:answer></s:Body></s:Envelope>"#
        );
        let mut stream = reader.into_inner();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
            envelope.len()
        )
        .unwrap();
        text(&body)
    })
}

/// Asserts that `(status, body)` is the SOAP fault ext:activityFailure.
fn assert_activity_failure((status, body): &(u16, String)) {
    let code = element_text(body, "faultcode").unwrap_or_default();
    assert!(
        *status == 500 && body.contains(ACTIVITY_RECOVERY_NS) && code.ends_with("activityFailure"),
        "{status}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_faults_a_failed_invoke_and_the_caller_gets_activity_failure() {
    let dirs = Dirs::new();
    let port = unused_port();
    add_relay(&dirs, port, "");
    let server = Server::start_configured(&dirs, "info", true, &WAIT_FOR_OPERATOR).await;
    let caller = ask(&server, "what?");
    let instance = failed_instance(&server).await;
    let exchange = only_failure(&dirs, &server, &instance, port);

    let failures = format!("/api/v1/instances/{instance}/failures");
    let (status, body) = server
        .post(&format!("{failures}/{exchange}/later"), "", String::new())
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not a recovery action"), "{body}");
    let (status, body) = server
        .post(&format!("{failures}/nothing/retry"), "", String::new())
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.get("/api/v1/instances/999999/failures").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.get("/api/v1/instances/first/failures").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        !caller.is_finished(),
        "the caller waits while the operator decides"
    );

    let settled = succeeded(dirs.baton(&[
        "recover",
        &instance,
        &exchange,
        "fault",
        "--server",
        &server.address,
    ]));
    assert!(settled.contains("the instance is faulted"), "{settled}");
    assert_activity_failure(&caller.await.unwrap());

    let (status, body) = server.get(&failures).await;
    assert_eq!(status, 409, "{body}");
    let refusal = failed(dirs.baton(&["failures", &instance, "--server", &server.address]));
    assert!(
        refusal.contains("409") && refusal.contains("is faulted"),
        "{refusal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_retries_a_failed_invoke_once_the_partner_is_up() {
    let dirs = Dirs::new();
    let port = unused_port();
    add_relay(&dirs, port, "");
    let server = Server::start_configured(&dirs, "info", true, &WAIT_FOR_OPERATOR).await;
    let caller = ask(&server, "meaning?");
    let instance = failed_instance(&server).await;
    let exchange = only_failure(&dirs, &server, &instance, port);

    let partner = answer_once(TcpListener::bind(("127.0.0.1", port)).unwrap(), "42");
    let settled = succeeded(dirs.baton(&[
        "recover",
        &instance,
        &exchange,
        "retry",
        "--server",
        &server.address,
    ]));
    assert!(settled.contains("retry sent"), "{settled}");
    let (status, body) = caller.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "answer").as_deref(),
        Some("42"),
        "{body}"
    );
    let request = partner.join().unwrap();
    assert!(request.contains("meaning?"), "{request}");

    let refusal = failed(dirs.baton(&[
        "recover",
        &instance,
        &exchange,
        "retry",
        "--server",
        &server.address,
    ]));
    assert!(refusal.contains("is completed"), "{refusal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_fault_on_failure_the_caller_gets_activity_failure_at_once() {
    let dirs = Dirs::new();
    let port = unused_port();
    let handling = format!(
        r#"<ext:failureHandling xmlns:ext="{ACTIVITY_RECOVERY_NS}"><ext:faultOnFailure>true</ext:faultOnFailure></ext:failureHandling>"#
    );
    add_relay(&dirs, port, &handling);
    let server = Server::start(&dirs).await;
    let answer = ask(&server, "now?").await.unwrap();
    assert_activity_failure(&answer);
    assert!(!server.logged(&[WAITING]));
}

/// Accepts every connection on `listener` and never answers; counts the connections.
fn never_answer(listener: TcpListener) -> Arc<AtomicUsize> {
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            open.push(stream.unwrap());
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoke_without_reply_times_out_and_is_retried_per_its_failure_handling() {
    let dirs = Dirs::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = never_answer(listener);
    let handling = format!(
        r#"<ext:failureHandling xmlns:ext="{ACTIVITY_RECOVERY_NS}"><ext:retryFor>1</ext:retryFor><ext:retryDelay>0</ext:retryDelay></ext:failureHandling>"#
    );
    add_relay(&dirs, port, &handling);
    let settings = [
        ("BATON_ENGINE__INVOKE_TIMEOUT_MS", "1500"),
        ("BATON_HTTP_CLIENT__REQUEST_TIMEOUT_MS", "600000"),
    ];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    let caller = ask(&server, "anyone?");
    let instance = failed_instance(&server).await;
    assert!(
        server.logged(&[
            WAITING,
            &format!("instance={instance}"),
            "no reply within 1500 ms"
        ]),
        "{:?}",
        server.log_lines()
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "the first call and one retry"
    );
    assert!(!caller.is_finished(), "the caller waits for an operator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoke_in_flight_at_a_crash_is_sent_again_at_start() {
    let dirs = Dirs::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    add_relay(&dirs, port, "");
    let server = Server::start(&dirs).await;
    let held = std::thread::spawn(move || listener.accept().unwrap().0);
    let _caller = ask(&server, "still there?");
    let first_call = held.join().unwrap();
    server.kill();
    drop(first_call);

    let partner = answer_once(TcpListener::bind(("127.0.0.1", port)).unwrap(), "yes");
    let server = Server::start(&dirs).await;
    assert!(server.logged(&["Ready", "recovered=1"]));
    let request = partner.join().unwrap();
    assert!(request.contains("still there?"), "{request}");
    let store = dirs.store().await.unwrap();
    common::eventually("the instance completed", PATIENCE, || async {
        let instances = store.list_instances(&Default::default()).await.unwrap();
        let [instance] = instances.as_slice() else {
            panic!("expected one instance, got {instances:?}")
        };
        (instance.status == baton::store::InstanceStatus::Completed).then_some(())
    })
    .await;
    assert!(store.due_jobs(i64::MAX, 10).await.unwrap().is_empty());
    store.close().await;
}

#[tokio::test]
async fn the_management_api_can_be_disabled() {
    let dirs = Dirs::new();
    let server =
        Server::start_configured(&dirs, "info", true, &[("BATON_SERVER__ADMIN", "false")]).await;
    let (status, body) = server.get("/api/v1/instances/1/failures").await;
    assert_eq!(status, 403, "{body}");
    let refusal = failed(dirs.baton(&["failures", "1", "--server", &server.address]));
    assert!(refusal.contains("disabled"), "{refusal}");
}
