//! End-to-end tests of the SOAP/HTTP transport: the real actix-web server on 127.0.0.1:0 with a
//! small echo service as its dispatcher, called through the crate's own client and raw reqwest.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use baton_transports::http::{serve, HttpClient, HttpClientConfig, HttpServerConfig};
use baton_transports::soap::{self, SOAP11_NS, SOAP12_NS};
use baton_transports::{
    ConnectFailure, Dispatcher, Error, FaultCode, ReplyProblem, Request, Response, SoapFault,
    SoapVersion,
};
use bytes::Bytes;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The state of the test service, shared by its clones.
struct ServiceState {
    ready: AtomicBool,
    dispatched: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    arrived: watch::Sender<usize>,
    gate: Semaphore,
}

/// The service under the server: `/echo` echoes the body and reports the action in a header,
/// `/oneway` accepts, `/fault` faults with a BPEL-like fault name, `/gated` waits at a gate.
#[derive(Clone)]
struct TestService {
    state: Arc<ServiceState>,
}

impl TestService {
    fn new() -> Self {
        Self {
            state: Arc::new(ServiceState {
                ready: AtomicBool::new(true),
                dispatched: AtomicUsize::new(0),
                in_flight: AtomicUsize::new(0),
                max_in_flight: AtomicUsize::new(0),
                arrived: watch::channel(0).0,
                gate: Semaphore::new(0),
            }),
        }
    }
}

fn test_fault() -> SoapFault {
    SoapFault {
        code: FaultCode::Sender,
        subcode: Some(("urn:test:faults".into(), "boom".into())),
        reason: "it went boom".into(),
        detail: Some(Bytes::from_static(
            b"<t:why xmlns:t=\"urn:test\">because</t:why>",
        )),
    }
}

impl Dispatcher for TestService {
    async fn dispatch(&self, request: Request) -> Response {
        let state = &self.state;
        state.dispatched.fetch_add(1, Ordering::SeqCst);
        match request.address.as_str() {
            "/echo" => {
                let action = request.action.unwrap_or_default();
                let headers = format!(r#"<t:action xmlns:t="urn:test">{action}</t:action>"#);
                Response::Reply {
                    body: request.body,
                    headers: Bytes::from(headers),
                }
            }
            "/oneway" => Response::Accepted,
            "/fault" => Response::Fault(test_fault()),
            "/gated" => {
                let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                state.max_in_flight.fetch_max(now, Ordering::SeqCst);
                state.arrived.send_modify(|n| *n += 1);
                state.gate.acquire().await.expect("gate open").forget();
                state.in_flight.fetch_sub(1, Ordering::SeqCst);
                Response::Reply {
                    body: Bytes::from_static(b"<done/>"),
                    headers: Bytes::new(),
                }
            }
            _ => Response::Fault(SoapFault::new(FaultCode::Sender, "no such service")),
        }
    }

    fn describe(&self, address: &str, base_url: &str) -> Option<Bytes> {
        (address == "/echo").then(|| {
            let wsdl = format!(
                r#"<definitions><soap:address location="{base_url}{address}"/></definitions>"#
            );
            Bytes::from(wsdl)
        })
    }

    fn ready(&self) -> bool {
        self.state.ready.load(Ordering::SeqCst)
    }
}

struct TestServer {
    base: String,
    service: TestService,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), Error>>,
}

impl TestServer {
    async fn start() -> Self {
        Self::start_with(HttpServerConfig {
            workers: 2,
            ..HttpServerConfig::default()
        })
        .await
    }

    async fn start_with(config: HttpServerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let service = TestService::new();
        let shutdown = CancellationToken::new();
        let (dispatcher, token) = (service.clone(), shutdown.clone());
        let handle = tokio::spawn(async move { serve(listener, &config, dispatcher, token).await });
        Self {
            base,
            service,
            shutdown,
            handle,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.handle
            .await
            .expect("server task")
            .expect("server result");
    }
}

fn client() -> HttpClient {
    HttpClient::new(&HttpClientConfig::default()).expect("client")
}

/// Posts a raw body with a content type; returns status, content type and body text.
async fn post_raw(
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, String, String) {
    let reply = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    let status = reply.status().as_u16();
    let ct = reply
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, reply.text().await.expect("text"))
}

fn fault_of(version: SoapVersion, text: &str) -> SoapFault {
    match soap::parse_response(version, text.as_bytes()).expect("a SOAP reply") {
        Response::Fault(fault) => fault,
        other => panic!("not a fault: {other:?}"),
    }
}

const SOAP11_CT: &str = "text/xml; charset=utf-8";
const SOAP12_CT: &str = "application/soap+xml; charset=utf-8";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap11_and_soap12_round_trips_through_the_client() {
    let server = TestServer::start().await;
    let client = client();
    for version in [SoapVersion::Soap11, SoapVersion::Soap12] {
        let body =
            Bytes::from_static(b"<h:hello xmlns:h=\"urn:hello\"><h:name>World</h:name></h:hello>");
        let reply = client
            .call(
                &server.url("/echo"),
                version,
                Some("urn:hello:op"),
                Bytes::new(),
                body,
                true,
            )
            .await
            .expect("call");
        let Response::Reply { body, headers } = reply else {
            panic!("{version}: {reply:?}")
        };
        let expected = r#"<h:hello xmlns:h="urn:hello"><h:name>World</h:name></h:hello>"#;
        assert_eq!(std::str::from_utf8(&body).unwrap(), expected, "{version}");
        let headers = std::str::from_utf8(&headers).unwrap();
        assert!(
            headers.contains(">urn:hello:op</t:action>"),
            "{version}: {headers}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_declared_on_the_envelope_reach_the_body_forest() {
    let server = TestServer::start().await;
    let envelope = format!(
        r#"<?xml version="1.0"?>
        <soapenv:Envelope xmlns:soapenv="{SOAP11_NS}" xmlns:hel="urn:hello" xmlns="urn:default">
          <soapenv:Header/>
          <soapenv:Body>
            <hel:hello><name>World</name></hel:hello>
          </soapenv:Body>
        </soapenv:Envelope>"#
    );
    let (status, ct, text) = post_raw(&server.url("/echo"), SOAP11_CT, envelope).await;
    assert_eq!((status, ct.as_str()), (200, SOAP11_CT));
    let Response::Reply { body, .. } =
        soap::parse_response(SoapVersion::Soap11, text.as_bytes()).unwrap()
    else {
        panic!("{text}")
    };
    let body = std::str::from_utf8(&body).unwrap();
    assert!(body.starts_with("<hel:hello "), "{body}");
    assert!(body.contains(r#"xmlns:hel="urn:hello""#), "{body}");
    assert!(body.contains(r#"xmlns="urn:default""#), "{body}");
    assert!(body.ends_with("><name>World</name></hel:hello>"), "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_carry_the_fault_name_in_both_versions() {
    let server = TestServer::start().await;
    let client = client();
    let url = server.url("/fault");
    for version in [SoapVersion::Soap11, SoapVersion::Soap12] {
        let reply = client
            .call(
                &url,
                version,
                None,
                Bytes::new(),
                Bytes::from_static(b"<x/>"),
                true,
            )
            .await;
        let Ok(Response::Fault(fault)) = reply else {
            panic!("{version}: {reply:?}")
        };
        assert_eq!(fault.subcode, test_fault().subcode, "{version}");
        assert_eq!(fault.reason, "it went boom");
        let expected_code = match version {
            SoapVersion::Soap11 => FaultCode::Receiver, // 1.1 carries only the fault name
            SoapVersion::Soap12 => FaultCode::Sender,
        };
        assert_eq!(fault.code, expected_code);
    }

    let request = soap::write_envelope(SoapVersion::Soap11, b"", b"<x/>");
    let (status, _, text) = post_raw(&url, SOAP11_CT, request).await;
    assert_eq!(status, 500, "SOAP 1.1 faults travel with 500");
    assert!(
        text.contains(r#"<faultcode xmlns:f="urn:test:faults">f:boom</faultcode>"#),
        "{text}"
    );

    let request = soap::write_envelope(SoapVersion::Soap12, b"", b"<x/>");
    let (status, ct, text) = post_raw(&url, SOAP12_CT, request).await;
    assert_eq!(
        (status, ct.as_str()),
        (400, SOAP12_CT),
        "SOAP 1.2 Sender faults travel with 400"
    );
    assert!(
        text.contains(r#"<env:Subcode><env:Value xmlns:f="urn:test:faults">f:boom</env:Value>"#),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_way_messages_are_accepted_with_202() {
    let server = TestServer::start().await;
    let url = server.url("/oneway");
    let reply = client()
        .call(
            &url,
            SoapVersion::Soap11,
            None,
            Bytes::new(),
            Bytes::from_static(b"<x/>"),
            false,
        )
        .await
        .expect("call");
    assert_eq!(reply, Response::Accepted);
    let (status, _, text) = post_raw(
        &url,
        SOAP11_CT,
        soap::write_envelope(SoapVersion::Soap11, b"", b"<x/>"),
    )
    .await;
    assert_eq!((status, text.as_str()), (202, ""));

    let err = client()
        .call(
            &url,
            SoapVersion::Soap11,
            None,
            Bytes::new(),
            Bytes::from_static(b"<x/>"),
            true,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedReply { status: 202, .. }),
        "{err}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_descriptions_are_served_on_wsdl_queries() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    for query in ["?wsdl", "?WSDL"] {
        let reply = http
            .get(server.url(&format!("/echo{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 200);
        assert_eq!(reply.headers()["content-type"], SOAP11_CT);
        let text = reply.text().await.unwrap();
        assert!(
            text.contains(&format!(r#"location="{}/echo""#, server.base)),
            "{text}"
        );
    }
    let reply = http.get(server.url("/nothing?wsdl")).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_readiness() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let reply = http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    assert_eq!(reply.text().await.unwrap(), "ok");
    server.service.state.ready.store(false, Ordering::SeqCst);
    let reply = http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 503);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtds_and_entity_bombs_are_refused_before_dispatch() {
    let server = TestServer::start().await;
    let doctype = format!(
        r#"<!DOCTYPE x SYSTEM "file:///etc/passwd"><soapenv:Envelope xmlns:soapenv="{SOAP11_NS}"><soapenv:Body><x/></soapenv:Body></soapenv:Envelope>"#
    );
    let laughs = format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<soapenv:Envelope xmlns:soapenv="{SOAP11_NS}"><soapenv:Body><x>&lol9;</x></soapenv:Body></soapenv:Envelope>"#
    );
    for doc in [doctype, laughs] {
        let (status, _, text) = post_raw(&server.url("/echo"), SOAP11_CT, doc).await;
        assert_eq!(status, 500);
        let fault = fault_of(SoapVersion::Soap11, &text);
        assert_eq!(fault.code, FaultCode::Sender);
        assert!(fault.reason.contains("DTD"), "{}", fault.reason);
    }
    assert_eq!(server.service.state.dispatched.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_xml_gets_a_fault_saying_so() {
    let server = TestServer::start().await;
    let url = server.url("/echo");
    let broken11 =
        format!(r#"<e:Envelope xmlns:e="{SOAP11_NS}"><e:Body><a></b></e:Body></e:Envelope>"#);
    let (status, _, text) = post_raw(&url, SOAP11_CT, broken11).await;
    assert_eq!(status, 500);
    let fault = fault_of(SoapVersion::Soap11, &text);
    assert_eq!(fault.code, FaultCode::Sender);
    assert!(
        fault.reason.starts_with("malformed XML"),
        "{}",
        fault.reason
    );

    let broken12 = format!(r#"<e:Envelope xmlns:e="{SOAP12_NS}"><e:Body><a"#);
    let (status, _, text) = post_raw(&url, SOAP12_CT, broken12).await;
    assert_eq!(status, 400);
    let fault = fault_of(SoapVersion::Soap12, &text);
    assert_eq!(fault.code, FaultCode::Sender);
    assert!(
        fault.reason.starts_with("malformed XML"),
        "{}",
        fault.reason
    );

    let (status, _, text) = post_raw(&url, SOAP11_CT, "<notsoap/>").await;
    assert_eq!(status, 500);
    assert!(fault_of(SoapVersion::Soap11, &text)
        .reason
        .contains("not a SOAP Envelope"));
    assert_eq!(server.service.state.dispatched.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_with_a_fault() {
    let config = HttpServerConfig {
        workers: 1,
        max_body_bytes: 1024,
        ..HttpServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let big = format!("<x>{}</x>", "a".repeat(4096));
    let request = soap::write_envelope(SoapVersion::Soap12, b"", big.as_bytes());
    let (status, ct, text) = post_raw(&server.url("/echo"), SOAP12_CT, request).await;
    assert_eq!((status, ct.as_str()), (413, SOAP12_CT));
    assert!(fault_of(SoapVersion::Soap12, &text)
        .reason
        .contains("exceeds 1024 bytes"));

    // Without a Content-Length the limit is enforced while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(vec![b' '; 800]), Ok(vec![b' '; 800])];
    let stream = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let (status, _, _) = post_raw(&server.url("/echo"), SOAP11_CT, stream).await;
    assert_eq!(status, 413);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_types_and_methods_are_checked() {
    let server = TestServer::start().await;
    let request = soap::write_envelope(SoapVersion::Soap11, b"", b"<x/>");
    let (status, _, text) =
        post_raw(&server.url("/echo"), "application/json", request.clone()).await;
    assert_eq!(status, 415);
    assert!(fault_of(SoapVersion::Soap11, &text)
        .reason
        .contains("unsupported media type"));

    let (status, _, text) = post_raw(&server.url("/echo"), SOAP12_CT, request).await;
    assert_eq!(status, 400, "a SOAP 1.1 envelope sent as SOAP 1.2");
    assert!(fault_of(SoapVersion::Soap12, &text)
        .reason
        .contains("SOAP 1.1 but SOAP 1.2"));

    let http = reqwest::Client::new();
    let reply = http
        .put(server.url("/echo"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 405);
    let reply = http
        .post(server.url("/health"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 405);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_per_host_connection_limit_is_enforced() {
    let server = TestServer::start_with(HttpServerConfig {
        workers: 4,
        ..Default::default()
    })
    .await;
    let config = HttpClientConfig {
        max_connections_per_host: 2,
        ..HttpClientConfig::default()
    };
    let client = HttpClient::new(&config).expect("client");
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let (client, url) = (client.clone(), server.url("/gated"));
            tokio::spawn(async move {
                client
                    .call(
                        &url,
                        SoapVersion::Soap11,
                        None,
                        Bytes::new(),
                        Bytes::from_static(b"<go/>"),
                        true,
                    )
                    .await
            })
        })
        .collect();

    // Let calls through one at a time, each once the next one has reached the service: with a
    // limit of 2, the service always holds exactly 2 waiting calls before one is released.
    let state = &server.service.state;
    let mut arrived = state.arrived.subscribe();
    for released in 0..calls.len() {
        let wanted = (released + 2).min(calls.len());
        arrived
            .wait_for(|n| *n >= wanted)
            .await
            .expect("service alive");
        assert!(state.in_flight.load(Ordering::SeqCst) <= 2);
        state.gate.add_permits(1);
    }
    for call in calls {
        let reply = call.await.expect("task").expect("call");
        assert!(matches!(reply, Response::Reply { .. }), "{reply:?}");
    }
    assert_eq!(state.max_in_flight.load(Ordering::SeqCst), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_failures_say_what_and_where() {
    let server = TestServer::start().await;
    let client = client();
    let body = || Bytes::from_static(b"<x/>");

    // Not SOAP: /health answers POST with a plain 405.
    let url = server.url("/health");
    let err = client
        .call(&url, SoapVersion::Soap11, None, Bytes::new(), body(), true)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedReply { status: 405, url: u, problem: ReplyProblem::ErrorStatus, .. } if *u == url),
        "{err}"
    );

    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/svc", closed.local_addr().unwrap());
    drop(closed);
    let err = client
        .call(&url, SoapVersion::Soap11, None, Bytes::new(), body(), true)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Connect { url: u, failure: ConnectFailure::Refused, .. } if *u == url),
        "{err}"
    );

    // A host name that cannot resolve (the reserved .invalid domain).
    let url = "http://partner.invalid/svc";
    let err = client
        .call(url, SoapVersion::Soap11, None, Bytes::new(), body(), true)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Connect {
                failure: ConnectFailure::UnknownHost,
                ..
            }
        ),
        "{err}"
    );

    let err = client
        .call(
            "ftp://x/y",
            SoapVersion::Soap11,
            None,
            Bytes::new(),
            body(),
            true,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_calls_in_flight_finish() {
    let server = TestServer::start().await;
    let (client, url) = (client(), server.url("/gated"));
    let call = tokio::spawn(async move {
        let body = Bytes::from_static(b"<go/>");
        client
            .call(&url, SoapVersion::Soap12, None, Bytes::new(), body, true)
            .await
    });
    let state = Arc::clone(&server.service.state);
    state
        .arrived
        .subscribe()
        .wait_for(|n| *n == 1)
        .await
        .expect("service alive");

    server.shutdown.cancel();
    state.gate.add_permits(1);
    let reply = call
        .await
        .expect("task")
        .expect("call finished during shutdown");
    assert!(matches!(reply, Response::Reply { .. }), "{reply:?}");
    server
        .handle
        .await
        .expect("server task")
        .expect("server result");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_of_the_application_are_served_beside_the_soap_endpoints() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let config = HttpServerConfig {
        workers: 1,
        ..HttpServerConfig::default()
    };
    let shutdown = CancellationToken::new();
    let (dispatcher, token) = (TestService::new(), shutdown.clone());
    let routes = |config: &mut actix_web::web::ServiceConfig| {
        config.route(
            "/manage/{what}",
            actix_web::web::get()
                .to(|what: actix_web::web::Path<String>| async move { format!("managing {what}") }),
        );
    };
    let handle = tokio::spawn(async move {
        baton_transports::http::serve_with(listener, &config, dispatcher, routes, token).await
    });

    let reply = reqwest::get(format!("{base}/manage/things"))
        .await
        .expect("send");
    assert_eq!(reply.status().as_u16(), 200);
    assert_eq!(reply.text().await.expect("text"), "managing things");
    let envelope = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><ping/></s:Body></s:Envelope>"#;
    let (status, _, body) = post_raw(&format!("{base}/echo"), SOAP11_CT, envelope).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<ping"), "{body}");

    shutdown.cancel();
    handle.await.expect("server task").expect("server result");
}

/// Polls `condition` until it holds, failing after ten seconds with `what`.
async fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// A call to `url` with a tiny body, in the background.
fn spawn_call(client: &HttpClient, url: String) -> JoinHandle<Result<Response, Error>> {
    let client = client.clone();
    tokio::spawn(async move {
        let body = Bytes::from_static(b"<go/>");
        client
            .call(&url, SoapVersion::Soap11, None, Bytes::new(), body, true)
            .await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_total_connection_limit_holds_across_hosts() {
    let servers = [TestServer::start().await, TestServer::start().await];
    let config = HttpClientConfig {
        max_total_connections: 2,
        ..HttpClientConfig::default()
    };
    let client = HttpClient::new(&config).expect("client");
    let calls: Vec<_> = (0..6)
        .map(|n| spawn_call(&client, servers[n % 2].url("/gated")))
        .collect();
    let in_flight = || {
        servers
            .iter()
            .map(|s| s.service.state.in_flight.load(Ordering::SeqCst))
            .sum::<usize>()
    };
    let arrived = || {
        servers
            .iter()
            .map(|s| *s.service.state.arrived.borrow())
            .sum::<usize>()
    };
    // Release one call at a time once two are held: the two hosts together never hold more.
    for released in 0..calls.len() {
        let wanted = (released + 2).min(calls.len());
        until("the next calls arrive", || arrived() >= wanted).await;
        assert!(in_flight() <= 2, "{} calls in flight", in_flight());
        let holding = servers
            .iter()
            .find(|s| s.service.state.in_flight.load(Ordering::SeqCst) > 0)
            .expect("a server holds a call");
        holding.service.state.gate.add_permits(1);
        until("the released call leaves", || {
            arrived() - in_flight() > released
        })
        .await;
    }
    for call in calls {
        let reply = call.await.expect("task").expect("call");
        assert!(matches!(reply, Response::Reply { .. }), "{reply:?}");
    }
    for server in servers {
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_outs_bound_the_wait_for_a_slot_and_for_the_reply() {
    let server = TestServer::start().await;
    let config = HttpClientConfig {
        max_connections_per_host: 1,
        request_timeout_ms: 1_000,
        ..HttpClientConfig::default()
    };
    let client = HttpClient::new(&config).expect("client");
    let held = spawn_call(&client, server.url("/gated"));
    let state = &server.service.state;
    until("the first call arrives", || *state.arrived.borrow() == 1).await;
    // A call's own time-out replaces the client's; the clone shares the client's limits.
    let hasty = client.with_request_timeout(std::time::Duration::from_millis(100));
    let second = spawn_call(&hasty, server.url("/gated"))
        .await
        .expect("task");
    assert!(
        matches!(
            &second,
            Err(Error::Timeout {
                during: "waiting for a free connection",
                ..
            })
        ),
        "{second:?}"
    );
    let first = held.await.expect("task");
    assert!(
        matches!(
            &first,
            Err(Error::Timeout {
                during: "waiting for the reply",
                ..
            })
        ),
        "{first:?}"
    );
    assert!(!first.unwrap_err().never_delivered());
    assert!(second.unwrap_err().never_delivered());

    let third = spawn_call(&hasty, server.url("/gated"))
        .await
        .expect("task");
    assert!(
        matches!(&third, Err(Error::Timeout { timeout, during: "waiting for the reply", .. }) if timeout.as_millis() == 100),
        "{third:?}"
    );
    state.gate.add_permits(2);
    server.stop().await;
}

/// A bare HTTP/1.1 server that answers every POST with an empty SOAP 1.1 reply and keeps
/// connections open; it counts the connections it accepted.
fn counting_server() -> (String, Arc<AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(value) = lower.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let reply = format!(
                        r#"<s:Envelope xmlns:s="{SOAP11_NS}"><s:Body><done/></s:Body></s:Envelope>"#
                    );
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                        reply.len()
                    );
                    if writer.write_all(head.as_bytes()).is_err()
                        || writer.write_all(reply.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (base, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_reuses_connections_only_when_on() {
    const CALLS: usize = 10;
    for keep_alive in [true, false] {
        let (base, accepted) = counting_server();
        let config = HttpClientConfig {
            keep_alive,
            ..HttpClientConfig::default()
        };
        let client = HttpClient::new(&config).expect("client");
        for _ in 0..CALLS {
            let reply = spawn_call(&client, format!("{base}/svc"))
                .await
                .expect("task");
            assert!(matches!(reply, Ok(Response::Reply { .. })), "{reply:?}");
        }
        let accepted = accepted.load(Ordering::SeqCst);
        // A connection goes back to the pool just after its reply: on a busy machine the
        // next call may now and then start before and open another.
        match keep_alive {
            true => assert!(
                accepted <= CALLS / 2,
                "keep-alive on: {accepted} connections"
            ),
            false => assert_eq!(accepted, CALLS, "keep-alive off"),
        }
    }
}
