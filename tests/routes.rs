//! End-to-end: where calls go and how they travel is set by deploy.xml and its endpoint
//! reference files alone. samples/AsyncPair (a client process calling a server process
//! one-way, called back and correlated) passes peer-to-peer, over SOAP/HTTP and over AMQP
//! with the same processes and WSDL; the Relay test unit, calling a small real HTTP partner
//! of the test, shows the WS-Addressing headers, the per-link bound on concurrent calls, the
//! time-out and the retries; units with bad endpoint references are refused. A one-way call
//! whose partner cannot be reached stays in the outbox and is sent again, after pauses that
//! double, until the partner takes it.
//!
//! The AMQP case needs RabbitMQ at `TEST_AMQP_URL` and says why it is skipped without it
//! (under `CI=true` it fails instead).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use common::async_pair::{self, epr, WSA_NS};
use common::{copy_unit, element_text, repo, Dirs, Server, PATIENCE};

const PARTNER_LOG: &str = "info,baton::engine::partner=debug";
/// Failed invokes wait for an operator, as in ODE, so that tests can see how they failed.
const WAIT_FOR_OPERATOR: [(&str, &str); 1] = [("BATON_ENGINE__PARTNER_FAILURE", "recover")];

/// Deploys a copy of the unit at `from` named `name` into the running server's deploy
/// directory, with `files` written over its own, all at once; waits until it is installed.
fn deploy(dirs: &Dirs, server: &Server, from: &Path, name: &str, files: &[(&str, String)]) {
    let staging = dirs.root().join(format!("staging-{name}"));
    copy_unit(from, &staging, &|text| text);
    for (file, text) in files {
        std::fs::write(staging.join(file), text).unwrap();
    }
    std::fs::rename(&staging, dirs.deploy().join(name)).unwrap();
    server.await_log(&["Unit deployed", &format!("unit={name}")]);
}

/// Starts one order on the AsyncPair client and checks that the callback reached it.
async fn order_round_trip(server: &Server, id: &str) {
    let (status, body) = server
        .soap("/ode/processes/AsyncClient", &async_pair::order(id))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(element_text(&body, "id").as_deref(), Some(id), "{body}");
    assert_eq!(
        element_text(&body, "status").as_deref(),
        Some("shipped book"),
        "{body}"
    );
}

/// Asserts that both partner links of AsyncPair called `via` (peer, http or amqp).
fn assert_called_via(server: &Server, via: &str) {
    for partner_link in ["partner_link=server", "partner_link=requester"] {
        let line = server.await_log(&["Invoking partner", partner_link]);
        assert!(line.contains(&format!("via={via}")), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_pair_runs_peer_to_peer_by_local_endpoint_references() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, PARTNER_LOG).await;
    let files = [
        ("deploy.xml", async_pair::deploy_xml(true, false)),
        ("server.epr", epr("local:/ode/processes/AsyncServer", "")),
        (
            "callback.epr",
            epr("local:/ode/processes/AsyncClientCallback", ""),
        ),
    ];
    let sample = repo().join("samples/AsyncPair");
    deploy(&dirs, &server, &sample, "AsyncPair", &files);
    order_round_trip(&server, "p2p-1").await;
    assert_called_via(&server, "peer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_pair_runs_over_soap_http_by_http_endpoint_references() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, PARTNER_LOG).await;
    let at = |path: &str| epr(&format!("{}{path}", server.address), "");
    let files = [
        ("deploy.xml", async_pair::deploy_xml(false, true)),
        ("server.epr", at("/routes/server")),
        ("callback.epr", at("/routes/callback")),
    ];
    let sample = repo().join("samples/AsyncPair");
    deploy(&dirs, &server, &sample, "AsyncPair", &files);
    order_round_trip(&server, "http-1").await;
    assert_called_via(&server, "http");
    // The services are offered at the references' paths, not at the WSDL's.
    let (status, body) = server.get("/routes/server?wsdl").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("/routes/server"), "{body}");
    let (status, _) = server.get("/ode/processes/AsyncServer?wsdl").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_pair_runs_over_amqp_by_amqp_endpoint_references() {
    let Some(url) = async_pair::broker_url("async_pair_runs_over_amqp_by_amqp_endpoint_references")
    else {
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let (server_queue, callback_queue) = (
        format!("test.baton.routes.server.{nanos:x}"),
        format!("test.baton.routes.callback.{nanos:x}"),
    );
    let dirs = Dirs::new();
    let settings = [("BATON_AMQP__URL", url.as_str())];
    let server = Server::start_configured(&dirs, PARTNER_LOG, true, &settings).await;
    let base = url.trim_end_matches('/');
    let files = [
        ("deploy.xml", async_pair::deploy_xml(false, true)),
        ("server.epr", epr(&format!("{base}/{server_queue}"), "")),
        ("callback.epr", epr(&format!("{base}/{callback_queue}"), "")),
    ];
    let sample = repo().join("samples/AsyncPair");
    deploy(&dirs, &server, &sample, "AsyncPair", &files);
    server.await_log(&["serving over AMQP", "services=2"]);
    order_round_trip(&server, "amqp-1").await;
    assert_called_via(&server, "amqp");

    let connection = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .expect("the broker accepts a connection");
    let channel = connection.create_channel().await.unwrap();
    drop(server);
    for queue in [&server_queue, &callback_queue] {
        channel
            .queue_delete(
                queue.as_str().into(),
                lapin::options::QueueDeleteOptions::default(),
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_links_transport_sends_calls_of_local_services_over_http() {
    let dirs = Dirs::new();
    let server = Server::start_with(&dirs, PARTNER_LOG).await;
    let sample = repo().join("samples/AsyncPair");
    let deploy_xml = std::fs::read_to_string(sample.join("deploy.xml")).unwrap();
    let mut over_http = deploy_xml.clone();
    for port in ["ServerPort", "CallbackPort"] {
        let invoked = format!(
            r#"port="{port}"/>
    </invoke>"#
        );
        let linked = format!(
            r#"port="{port}">{}</service>
    </invoke>"#,
            link_element(r#"transport="http""#)
        );
        over_http = over_http.replace(&invoked, &linked);
    }
    assert_eq!(
        over_http.matches(r#"transport="http""#).count(),
        2,
        "{deploy_xml}"
    );
    deploy(
        &dirs,
        &server,
        &sample,
        "AsyncPair",
        &[("deploy.xml", over_http)],
    );
    order_round_trip(&server, "linked-1").await;
    assert_called_via(&server, "http");
}

/// What the test's HTTP partner does with a request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Answers at once.
    Answer,
    /// Answers once the test lets it (see [`Partner::release`]).
    Gated,
    /// Closes the connection without answering.
    Hang,
}

/// A real HTTP partner answering the Relay unit's `ask` with `<answer>ok</answer>`; it keeps
/// every request it got and counts those in its hands.
struct Partner {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    permits: Arc<(Mutex<usize>, Condvar)>,
}

impl Partner {
    fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let partner = Self {
            port: listener.local_addr().unwrap().port(),
            requests: Arc::default(),
            in_flight: Arc::default(),
            most_in_flight: Arc::default(),
            permits: Arc::default(),
        };
        let (requests, in_flight, most, permits) = (
            partner.requests.clone(),
            partner.in_flight.clone(),
            partner.most_in_flight.clone(),
            partner.permits.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (requests, in_flight, most, permits) = (
                    requests.clone(),
                    in_flight.clone(),
                    most.clone(),
                    permits.clone(),
                );
                std::thread::spawn(move || {
                    let Some(request) = read_request(&stream) else {
                        return;
                    };
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    requests.lock().unwrap().push(request);
                    match behaviour {
                        Behaviour::Hang => {
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            return;
                        }
                        Behaviour::Gated => {
                            let (count, changed) = &*permits;
                            let mut count = count.lock().unwrap();
                            while *count == 0 {
                                count = changed.wait(count).unwrap();
                            }
                            *count -= 1;
                        }
                        Behaviour::Answer => {}
                    }
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    answer(stream);
                });
            }
        });
        partner
    }

    fn address(&self) -> String {
        format!("http://127.0.0.1:{}/partner", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Lets `n` gated requests be answered.
    fn release(&self, n: usize) {
        let (count, changed) = &*self.permits;
        *count.lock().unwrap() += n;
        changed.notify_all();
    }
}

/// The head and body of one HTTP request on `stream`.
fn read_request(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
        request.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    request.push_str(&String::from_utf8_lossy(&body));
    Some(request)
}

fn answer(mut stream: TcpStream) {
    let envelope = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><r:answer xmlns:r="urn:baton:test:relay">ok</r:answer></s:Body></s:Envelope>"#;
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
        envelope.len()
    );
}

/// The Relay unit's deploy.xml with `service` as the content of its invoke's `<service>`.
fn relay_deploy_xml(service: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03"
    xmlns:p="urn:baton:test:relay:process" xmlns:tns="urn:baton:test:relay">
  <process name="p:Relay">
    <provide partnerLink="client"><service name="tns:RelayService" port="RelayPort"/></provide>
    <invoke partnerLink="partner">
      <service name="tns:PartnerService" port="PartnerPort">{service}</service>
    </invoke>
  </process>
</deploy>
"#
    )
}

/// `<endpoint>` naming the reference `file`, with a `<mex-timeout>` when given.
fn endpoint_element(file: &str, mex_timeout_ms: Option<u64>) -> String {
    let timeout = mex_timeout_ms
        .map(|ms| format!(r#"<wso2:mex-timeout value="{ms}"/>"#))
        .unwrap_or_default();
    format!(
        r#"<wso2:endpoint xmlns:wso2="http://wso2.org/bps/bpel/endpoint/config" endpointReference="{file}">{timeout}</wso2:endpoint>"#
    )
}

/// Baton's `<link>` with `attributes`.
fn link_element(attributes: &str) -> String {
    format!(r#"<b:link xmlns:b="urn:baton:deploy" {attributes}/>"#)
}

/// Deploys the Relay unit with `deploy_xml` and the files `extra`; its WSDL's partner
/// address names nothing reachable, so only deploy.xml can lead calls anywhere.
fn deploy_relay(dirs: &Dirs, server: &Server, deploy_xml: String, extra: &[(&str, String)]) {
    let wsdl = std::fs::read_to_string(repo().join("tests/data/units/Relay/Relay.wsdl")).unwrap();
    let mut files = vec![
        ("deploy.xml", deploy_xml),
        (
            "Relay.wsdl",
            wsdl.replace("PARTNER_ADDRESS", "http://127.0.0.1:9/unreachable"),
        ),
    ];
    files.extend(extra.iter().cloned());
    let unit = repo().join("tests/data/units/Relay");
    deploy(dirs, server, &unit, "Relay", &files);
}

/// Calls the Relay with `question`, sending `headers` in the SOAP header.
async fn relay(server: &Server, headers: &str, question: &str) -> (u16, String) {
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{headers}</s:Header><s:Body><r:question xmlns:r="urn:baton:test:relay">{question}</r:question></s:Body></s:Envelope>"#
    );
    server
        .post("/ode/processes/Relay", "text/xml; charset=utf-8", envelope)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invokes_carry_ws_addressing_and_reference_parameters_and_replies_relate_to_requests() {
    let partner = Partner::start(Behaviour::Answer);
    let dirs = Dirs::new();
    let conf = dirs.root().join("conf");
    std::fs::create_dir_all(conf.join("endpoints")).unwrap();
    let parameters = r#"<k:Tenant xmlns:k="urn:test:keys">blue</k:Tenant>"#;
    std::fs::write(
        conf.join("endpoints/partner.epr"),
        epr(&partner.address(), parameters),
    )
    .unwrap();
    let settings = [("BATON_DEPLOY__CONF_DIR", conf.to_str().unwrap())];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    let service = endpoint_element("conf:endpoints/partner.epr", None);
    deploy_relay(&dirs, &server, relay_deploy_xml(&service), &[]);

    let message_id = format!(r#"<wsa:MessageID xmlns:wsa="{WSA_NS}">urn:test:42</wsa:MessageID>"#);
    let (status, body) = relay(&server, &message_id, "who?").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element_text(&body, "answer").as_deref(),
        Some("ok"),
        "{body}"
    );
    assert_eq!(
        element_text(&body, "RelatesTo").as_deref(),
        Some("urn:test:42"),
        "{body}"
    );
    let (status, body) = relay(&server, "", "who else?").await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("RelatesTo"), "{body}");

    let requests = partner.requests();
    let [first, second] = requests.as_slice() else {
        panic!("expected two calls: {requests:?}")
    };
    assert_eq!(
        element_text(first, "To").as_deref(),
        Some(partner.address().as_str())
    );
    assert_eq!(
        element_text(first, "Action").as_deref(),
        Some("urn:baton:test:relay/ask")
    );
    let ids = [first, second].map(|request| element_text(request, "MessageID").unwrap());
    assert!(ids[0].starts_with("urn:baton:message:"), "{first}");
    assert_ne!(ids[0], ids[1]);
    assert_eq!(element_text(first, "Tenant").as_deref(), Some("blue"));
    assert!(first.contains(r#"IsReferenceParameter="true""#), "{first}");
    // The partner link has no myRole: nothing comes back to it.
    assert!(!first.contains("ReplyTo"), "{first}");
    assert!(first.contains("who?"), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_soap_action_sends_the_default_ws_addressing_action() {
    let partner = Partner::start(Behaviour::Answer);
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    let wsdl = std::fs::read_to_string(repo().join("tests/data/units/Relay/Relay.wsdl"))
        .unwrap()
        .replace("PARTNER_ADDRESS", &partner.address())
        .replace(
            r#"soapAction="urn:baton:test:relay/ask""#,
            r#"soapAction="""#,
        );
    deploy_relay(
        &dirs,
        &server,
        relay_deploy_xml(""),
        &[("Relay.wsdl", wsdl)],
    );
    let (status, body) = relay(&server, "", "who?").await;
    assert_eq!(status, 200, "{body}");
    let requests = partner.requests();
    let [request] = requests.as_slice() else {
        panic!("expected one call: {requests:?}")
    };
    assert_eq!(
        element_text(request, "Action").as_deref(),
        Some("urn:baton:test:relay:PartnerPortType:ask"),
        "{request}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_links_bound_wait_for_a_free_slot() {
    let partner = Partner::start(Behaviour::Gated);
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    let service =
        endpoint_element("partner.epr", None) + &link_element(r#"max-concurrent-calls="2""#);
    let files = [("partner.epr", epr(&partner.address(), ""))];
    deploy_relay(&dirs, &server, relay_deploy_xml(&service), &files);

    let calls = 5;
    let server = Arc::new(server);
    let callers: Vec<_> = (0..calls)
        .map(|n| {
            let server = server.clone();
            tokio::spawn(async move { relay(&server, "", &format!("q{n}")).await })
        })
        .collect();
    // Release one call at a time once two are in the partner's hands: with the bound of 2,
    // a third never arrives before one of them is answered.
    for released in 0..calls {
        let wanted = (released + 2).min(calls);
        common::eventually("the next calls reach the partner", PATIENCE, || async {
            (partner.requests().len() >= wanted).then_some(())
        })
        .await;
        assert!(partner.in_flight.load(Ordering::SeqCst) <= 2);
        partner.release(1);
    }
    for caller in callers {
        let (status, body) = caller.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(partner.requests().len(), calls);
    assert_eq!(partner.most_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_links_time_out_ends_a_call_the_partner_does_not_answer() {
    let partner = Partner::start(Behaviour::Gated);
    let dirs = Dirs::new();
    let server = Server::start_configured(&dirs, "info", true, &WAIT_FOR_OPERATOR).await;
    let service = endpoint_element("partner.epr", Some(300));
    let files = [("partner.epr", epr(&partner.address(), ""))];
    deploy_relay(&dirs, &server, relay_deploy_xml(&service), &files);
    let caller = {
        let server = Arc::new(server);
        let asking = server.clone();
        let caller = tokio::spawn(async move { relay(&asking, "", "late?").await });
        let line = server.await_log(&["Invoke failed; waiting for an operator"]);
        assert!(line.contains("timed out after 300ms"), "{line}");
        caller
    };
    assert_eq!(partner.requests().len(), 1);
    partner.release(1);
    caller.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_calls_that_never_reached_the_partner_are_sent_again() {
    // Nothing listens: each attempt fails to connect, and is retried.
    let unused = TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}/partner", unused.local_addr().unwrap());
    drop(unused);
    let dirs = Dirs::new();
    let server = Arc::new(Server::start_configured(&dirs, "info", true, &WAIT_FOR_OPERATOR).await);
    let service = endpoint_element("partner.epr", None) + &link_element(r#"retries="2""#);
    let files = [("partner.epr", epr(&nowhere, ""))];
    deploy_relay(&dirs, &server, relay_deploy_xml(&service), &files);
    let asking = server.clone();
    let caller = tokio::spawn(async move { relay(&asking, "", "anyone?").await });
    let line = server.await_log(&["Invoke failed; waiting for an operator"]);
    assert!(line.contains("cannot connect"), "{line}");
    let resent: Vec<_> = server
        .log_lines()
        .into_iter()
        .filter(|line| line.contains("Call not delivered; sending it again"))
        .collect();
    assert_eq!(resent.len(), 2, "{resent:?}");
    caller.abort();

    // The partner took the request and hung up: it may have acted, so no retry.
    let partner = Partner::start(Behaviour::Hang);
    let dirs = Dirs::new();
    let server = Arc::new(Server::start_configured(&dirs, "info", true, &WAIT_FOR_OPERATOR).await);
    let files = [("partner.epr", epr(&partner.address(), ""))];
    deploy_relay(&dirs, &server, relay_deploy_xml(&service), &files);
    let asking = server.clone();
    let caller = tokio::spawn(async move { relay(&asking, "", "anyone?").await });
    server.await_log(&["Invoke failed; waiting for an operator"]);
    assert_eq!(partner.requests().len(), 1);
    assert!(!server.logged(&["Call not delivered"]));
    caller.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_with_bad_endpoint_references_are_refused() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs).await;
    let cases = [
        (
            "Missing",
            endpoint_element("missing.epr", None),
            None,
            "the unit has no file missing.epr",
        ),
        (
            "NotEpr",
            endpoint_element("partner.epr", None),
            Some("<definitions/>".to_owned()),
            "not a {http://www.w3.org/2005/08/addressing}EndpointReference",
        ),
        (
            "Ftp",
            endpoint_element("partner.epr", None),
            Some(epr("ftp://partner.example/x", "")),
            "expected an http(s)://, amqp(s):// or local: URL",
        ),
        (
            "BadLink",
            link_element(r#"max-concurrent-calls="0""#),
            None,
            "max-concurrent-calls must be a positive integer",
        ),
    ];
    for (name, service, file, reason) in cases {
        let staging = dirs.root().join(format!("staging-{name}"));
        copy_unit(&repo().join("tests/data/units/Relay"), &staging, &|text| {
            text.replace("PARTNER_ADDRESS", "http://127.0.0.1:9/x")
        });
        std::fs::write(staging.join("deploy.xml"), relay_deploy_xml(&service)).unwrap();
        if let Some(file) = file {
            std::fs::write(staging.join("partner.epr"), file).unwrap();
        }
        std::fs::rename(&staging, dirs.deploy().join(name)).unwrap();
        server.await_log(&[&format!("unit {name} refused")]);
        // The diagnostics follow on lines of their own.
        server.await_log(&[reason]);
    }
}

/// Takes the connections of `listener`: closes the first `refused` at once, forwards the
/// others to `to` (host:port).
fn forward_after(listener: TcpListener, refused: usize, to: String) {
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move {
        let mut taken = 0;
        while let Ok((mut inbound, _)) = listener.accept().await {
            taken += 1;
            if taken <= refused {
                continue;
            }
            let to = to.clone();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(&to).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
}

/// A server that sends failed one-way messages again after 50 ms, then 100 ms, with AsyncPair
/// deployed calling its server process over HTTP at `port` of this machine.
async fn async_pair_calling_port(port: u16) -> (Dirs, Server) {
    let dirs = Dirs::new();
    let settings = [
        ("BATON_ENGINE__OUTBOX_RETRY_INITIAL_MS", "50"),
        ("BATON_ENGINE__OUTBOX_RETRY_MAX_MS", "100"),
    ];
    let server = Server::start_configured(&dirs, "info", true, &settings).await;
    let callback = format!("{}/ode/processes/AsyncClientCallback", server.address);
    let files = [
        ("deploy.xml", async_pair::deploy_xml(false, false)),
        (
            "server.epr",
            epr(
                &format!("http://127.0.0.1:{port}/ode/processes/AsyncServer"),
                "",
            ),
        ),
        ("callback.epr", epr(&callback, "")),
    ];
    let sample = repo().join("samples/AsyncPair");
    deploy(&dirs, &server, &sample, "AsyncPair", &files);
    (dirs, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_way_call_whose_partner_is_unreachable_is_sent_again_until_it_is_taken() {
    // The server's partner is behind a port that cuts the first three connections.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_dirs, server) = async_pair_calling_port(port).await;
    forward_after(
        listener,
        3,
        server.address.trim_start_matches("http://").to_owned(),
    );
    order_round_trip(&server, "late-1").await;
    for retry in ["retry_in_ms=50", "retry_in_ms=100"] {
        assert!(server.logged(&["One-way invoke failed", retry]), "{retry}");
    }
    let failures = server
        .log_lines()
        .iter()
        .filter(|line| line.contains("One-way invoke failed"))
        .count();
    assert_eq!(failures, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_way_call_sent_again_shows_in_its_instance_s_failures() {
    // The server's partner is behind a port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (dirs, server) = async_pair_calling_port(port).await;
    let waiting =
        server.soap_in_background("/ode/processes/AsyncClient", &async_pair::order("o-1"));
    let listed = common::eventually("the undelivered call listed", PATIENCE, || async {
        // Until the client's instance is stored, there is no instance 1.
        let output = dirs.baton(&["failures", "1", "--server", &server.address]);
        let listed = String::from_utf8_lossy(&output.stdout).into_owned();
        // MESSAGE-ID PARTNER-LINK OPERATION ATTEMPTS REASON, sent more than once.
        let again = listed.lines().any(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            matches!(
                columns.as_slice(),
                [id, "server", "process", attempts, ..]
                    if id.starts_with("urn:baton:message:")
                        && attempts.parse::<u32>().is_ok_and(|n| n >= 2)
            )
        });
        (listed.contains("not taken by their partner") && again).then_some(listed)
    })
    .await;
    assert!(listed.contains("cannot connect"), "{listed}");
    waiting.abort();
}
