//! End-to-end: partners that misbehave. A test partner (a raw HTTP server on 127.0.0.1)
//! answers each question of the Guarded unit with another breach of the protocol; the
//! process's invoke raises the fault of each kind, which its fault handlers catch, and it
//! answers its caller with the fault's name. A refused connection and a host that does not
//! resolve raise their own faults too. With `[engine] partner-failure = "recover"` the invoke
//! waits for an operator instead, who sees why in `baton failures` and settles it with
//! `baton recover`. Undeploying a unit drops the jobs of its instances.

mod common;

use std::net::TcpListener as StdListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use common::{element_text, repo, succeeded, Dirs, Server, PATIENCE};

const PATH: &str = "/ode/processes/Guarded";
const NS: &str = "urn:baton:test:guarded";
const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const WAITING: &str = "Invoke failed; waiting for an operator";

/// The questions that make the test partner misbehave, each with the fault it raises.
const MISBEHAVIOURS: [(&str, &str); 12] = [
    ("error-status", "partnerHttpStatus"),
    ("created", "partnerUnexpectedStatus"),
    ("moved", "partnerUnexpectedStatus"),
    ("nothing", "partnerEmptyReply"),
    ("accepted", "partnerEmptyReply"),
    ("broken-xml", "partnerNotWellFormed"),
    ("plain-xml", "partnerNotSoap"),
    ("soap-1.2", "partnerSoapVersion"),
    ("no-body", "partnerMissingBody"),
    ("empty-body", "partnerMissingParts"),
    ("other-message", "partnerWrongMessage"),
    ("silent", "partnerTimeout"),
];

/// The status line, content type and body the partner answers `question` with; None when it
/// keeps the connection open and never answers.
fn answer_to(question: &str) -> Option<(&'static str, &'static str, String)> {
    let envelope = |namespace: &str, body: &str| {
        format!(r#"<s:Envelope xmlns:s="{namespace}"><s:Body>{body}</s:Body></s:Envelope>"#)
    };
    let answer = format!(r#"<g:answer xmlns:g="{NS}">fine</g:answer>"#);
    let xml = "text/xml; charset=utf-8";
    Some(match question {
        "error-status" => (
            "500 Internal Server Error",
            "text/html",
            "<html><body>oops</body></html>".to_owned(),
        ),
        "created" => ("201 Created", xml, envelope(SOAP11, &answer)),
        "moved" => ("302 Found", xml, envelope(SOAP11, &answer)),
        "nothing" => ("200 OK", xml, String::new()),
        "accepted" => ("202 Accepted", xml, String::new()),
        "broken-xml" => (
            "200 OK",
            xml,
            format!(r#"<s:Envelope xmlns:s="{SOAP11}"><s:Body>{answer}"#),
        ),
        "plain-xml" => ("200 OK", xml, answer),
        "soap-1.2" => ("200 OK", "application/soap+xml", envelope(SOAP12, &answer)),
        "no-body" => (
            "200 OK",
            xml,
            format!(r#"<s:Envelope xmlns:s="{SOAP11}"><s:Header/></s:Envelope>"#),
        ),
        "empty-body" => ("200 OK", xml, envelope(SOAP11, "")),
        "other-message" => (
            "200 OK",
            xml,
            envelope(
                SOAP11,
                &format!(r#"<g:question xmlns:g="{NS}">again?</g:question>"#),
            ),
        ),
        "silent" => return None,
        _ => ("200 OK", xml, envelope(SOAP11, &answer)),
    })
}

/// The test partner: answers every call as [`answer_to`] says for its question, or properly
/// once healed.
struct Partner {
    address: String,
    healed: Arc<AtomicBool>,
    /// The calls it received.
    calls: Arc<AtomicUsize>,
}

impl Partner {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}/partner", listener.local_addr().unwrap());
        let healed = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let (cured, counted) = (healed.clone(), calls.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(serve(stream, cured.clone(), counted.clone()));
            }
        });
        Self {
            address,
            healed,
            calls,
        }
    }
}

/// Reads one request from `stream` and answers it.
async fn serve(stream: TcpStream, healed: Arc<AtomicBool>, calls: Arc<AtomicUsize>) {
    let mut reader = BufReader::new(stream);
    let request = common::read_request_body(&mut reader).await;
    calls.fetch_add(1, Ordering::SeqCst);
    let question = match healed.load(Ordering::SeqCst) {
        true => String::new(),
        false => element_text(&request, "question").unwrap_or_default(),
    };
    let Some((status, content_type, answer)) = answer_to(&question) else {
        // Keeps the connection open, answering nothing.
        std::future::pending::<()>().await;
        return;
    };
    let mut stream = reader.into_inner();
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
    stream.write_all(response.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
}

/// Puts the Guarded unit in the deploy directory, its partner at `address`.
fn add_guarded(dirs: &Dirs, address: &str) {
    dirs.place_unit(
        &repo().join("tests/data/units/Guarded"),
        "Guarded",
        &|text| text.replace("PARTNER_ADDRESS", address),
    );
}

/// Moves the deployed Guarded unit's partner from `from` to `to`, and waits until the unit's
/// version `version` runs.
fn move_partner(dirs: &Dirs, server: &Server, from: &str, to: &str, version: u32) {
    dirs.rewrite("Guarded", "Guarded.wsdl", &|text| text.replace(from, to));
    server.await_log(&[
        "Unit deployed",
        "unit=Guarded",
        &format!("version={version}"),
    ]);
}

/// Asks the Guarded process `question` in the background; the task ends with the status and
/// body of the answer.
fn ask(server: &Server, question: &str) -> tokio::task::JoinHandle<(u16, String)> {
    server.soap_in_background(
        PATH,
        &format!(r#"<g:question xmlns:g="{NS}">{question}</g:question>"#),
    )
}

/// Asks `question` and returns the process's answer, asserting that it answered normally.
async fn answer(server: &Server, question: &str) -> String {
    let (status, body) = ask(server, question).await.unwrap();
    assert_eq!(status, 200, "{question}: {body}");
    element_text(&body, "answer").unwrap_or_else(|| panic!("{question}: {body}"))
}

/// The address of a port that was bound and closed: nothing listens there.
fn closed_port_address() -> String {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/partner", listener.local_addr().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_misbehaviour_of_a_partner_raises_its_own_fault_that_the_process_catches() {
    let dirs = Dirs::new();
    let partner = Partner::start().await;
    add_guarded(&dirs, &partner.address);
    let settings = [("BATON_HTTP_CLIENT__REQUEST_TIMEOUT_MS", "1000")];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;

    assert_eq!(answer(&server, "well?").await, "fine");
    for (question, fault) in MISBEHAVIOURS {
        assert_eq!(answer(&server, question).await, fault, "{question}");
    }
    assert!(
        server.logged(&[
            "Invoke failed; raising its fault",
            "partnerHttpStatus",
            "(HTTP 500): an error status without a SOAP fault: [text/html] <html>"
        ]),
        "{:?}",
        server.log_lines()
    );
    assert!(server.logged(&["partnerTimeout", "timed out after 1s"]));

    let refused = closed_port_address();
    move_partner(&dirs, &server, &partner.address, &refused, 2);
    assert_eq!(answer(&server, "anyone?").await, "partnerConnectionRefused");
    assert!(server.logged(&["partnerConnectionRefused", "connection refused"]));

    move_partner(
        &dirs,
        &server,
        &refused,
        "http://partner.invalid/partner",
        3,
    );
    assert_eq!(answer(&server, "anyone?").await, "partnerUnknownHost");
    assert!(server.logged(&["partnerUnknownHost", "does not resolve"]));
    assert!(!server.logged(&[WAITING]));
}

/// Waits for an instance's invoke to fail and for the instance to wait for an operator
/// (the step is logged before it is committed, so the listing is awaited too); its id and
/// the listing of its failures by `baton failures`.
async fn failed_instance(dirs: &Dirs, server: &Server, seen: usize) -> (String, String) {
    let line = common::eventually("an invoke waiting for an operator", PATIENCE, || {
        let line = server
            .log_lines()
            .into_iter()
            .filter(|line| line.contains(WAITING))
            .nth(seen);
        async move { line }
    })
    .await;
    let instance =
        common::log_field(&line, "instance").unwrap_or_else(|| panic!("no instance in {line}"));
    let listing = common::eventually("a failure listed", PATIENCE, || {
        let listing = succeeded(dirs.baton(&["failures", &instance, "--server", &server.address]));
        async move { (listing.lines().count() > 1).then_some(listing) }
    })
    .await;
    (instance, listing)
}

/// Settles the only failure of `listing` of `instance` with `action`.
fn recover(dirs: &Dirs, server: &Server, instance: &str, listing: &str, action: &str) {
    let rows: Vec<&str> = listing.lines().skip(1).collect();
    let [row] = rows.as_slice() else {
        panic!("expected one failure:\n{listing}")
    };
    let exchange = row.split_whitespace().next().unwrap();
    succeeded(dirs.baton(&[
        "recover",
        instance,
        exchange,
        action,
        "--server",
        &server.address,
    ]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_ode_way_a_misbehaving_partner_leaves_the_invoke_to_an_operator() {
    let dirs = Dirs::new();
    let partner = Partner::start().await;
    add_guarded(&dirs, &partner.address);
    let settings = [("BATON_ENGINE__PARTNER_FAILURE", "recover")];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;

    let caller = ask(&server, "error-status");
    let (instance, listing) = failed_instance(&dirs, &server, 0).await;
    assert!(
        listing.contains("askPartner") && listing.contains("(HTTP 500): an error status"),
        "{listing}"
    );
    assert!(!caller.is_finished(), "the caller waits for an operator");
    recover(&dirs, &server, &instance, &listing, "fault");
    let (status, body) = caller.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "answer").as_deref(),
        Some("activityFailure")
    );

    let caller = ask(&server, "plain-xml");
    let (instance, listing) = failed_instance(&dirs, &server, 1).await;
    partner.healed.store(true, Ordering::SeqCst);
    recover(&dirs, &server, &instance, &listing, "retry");
    let (status, body) = caller.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(element_text(&body, "answer").as_deref(), Some("fine"));
    assert!(!server.logged(&["Invoke failed; raising its fault"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeploying_a_unit_drops_the_jobs_of_its_instances() {
    let dirs = Dirs::new();
    let partner = Partner::start().await;
    add_guarded(&dirs, &partner.address);
    let server = Server::start(&dirs).await;
    let caller = ask(&server, "silent");
    // The step that issued the call, and its time-out job, committed before the call left.
    common::eventually("the partner called", PATIENCE, || async {
        (partner.calls.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    dirs.remove_unit("Guarded");
    server.await_log(&["Unit undeployed", "unit=Guarded"]);
    caller.abort();
    server.kill();

    let store = dirs.store().await.unwrap();
    let instances = store.list_instances(&Default::default()).await.unwrap();
    let jobs = store.due_jobs(i64::MAX, 10).await.unwrap();
    store.close().await;
    assert_eq!(instances.len(), 1, "{instances:?}");
    assert!(jobs.is_empty(), "the undeployed unit left {jobs:?}");
}
