//! End-to-end: hostile and unusual requests against the real `baton` binary. Oversized XML is
//! refused with a fault naming the limit while the server goes on answering, a body that never
//! arrives is cut off, a byte-order mark is accepted, and `?wsdl` does not trust the request's
//! Host unless told to.

mod common;

use std::fmt::Write as _;

use common::{Dirs, Server, PATIENCE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HELLO_PATH: &str = "/ode/processes/HelloWorld";
const HELLO_NS: &str = "urn:baton:samples:hello";

/// A HelloWorld request whose `hello` element carries `extra` in its start tag.
fn hello_with(extra: &str) -> String {
    format!(r#"<h:hello xmlns:h="{HELLO_NS}"{extra}><h:name>Baton</h:name></h:hello>"#)
}

fn many(count: usize, item: impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    for i in 0..count {
        write!(out, " {}", item(i)).unwrap();
    }
    out
}

async fn hello_server(settings: &[(&str, &str)]) -> (Dirs, Server) {
    let dirs = Dirs::new();
    dirs.add_sample("HelloWorld");
    let server = Server::start_configured(&dirs, "info", false, settings).await;
    (dirs, server)
}

#[tokio::test]
async fn huge_attribute_and_namespace_counts_are_refused_naming_the_limit() {
    let (_dirs, server) = hello_server(&[]).await;
    let attributes = hello_with(&many(100_000, |i| format!(r#"a{i}="v""#)));
    let declarations = hello_with(&many(50_000, |i| format!(r#"xmlns:p{i}="urn:p{i}""#)));
    assert!(attributes.len() > 1_000_000, "{}", attributes.len());
    let (by_attributes, by_declarations, health) = tokio::join!(
        server.soap(HELLO_PATH, &attributes),
        server.soap(HELLO_PATH, &declarations),
        server.get("/health"),
    );
    assert_eq!(health, (200, "ok".to_owned()));
    let (status, fault) = by_attributes;
    assert_eq!(status, 500, "{fault}");
    assert!(fault.contains("Fault"), "{fault}");
    assert!(fault.contains("xml.max-attributes = 1024"), "{fault}");
    let (status, fault) = by_declarations;
    assert_eq!(status, 500, "{fault}");
    assert!(
        fault.contains("xml.max-namespace-declarations = 256"),
        "{fault}"
    );
    let (status, body) = server.soap(HELLO_PATH, &hello_with("")).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn xml_limits_are_configurable() {
    let (_dirs, server) = hello_server(&[
        ("BATON_XML__MAX_ATTRIBUTES", "2"),
        ("BATON_XML__MAX_NAME_BYTES", "16"),
        ("BATON_XML__MAX_DEPTH", "8"),
        ("BATON_XML__MAX_TEXT_BYTES", "64"),
    ])
    .await;
    let two = hello_with(r#" a="1" b="2""#);
    let (status, body) = server.soap(HELLO_PATH, &two).await;
    assert_eq!(status, 200, "{body}");
    let refusals = [
        (
            hello_with(r#" a="1" b="2" c="3""#),
            "xml.max-attributes = 2",
        ),
        (
            hello_with(r#" a-very-long-attribute-name="1""#),
            "xml.max-name-bytes = 16",
        ),
        (
            format!(
                "<h:hello xmlns:h=\"{HELLO_NS}\">{}</h:hello>",
                "x".repeat(65)
            ),
            "xml.max-text-bytes = 64",
        ),
        (
            format!("{}{}", "<a>".repeat(8), "</a>".repeat(8)),
            "xml.max-depth = 8",
        ),
    ];
    for (request, limit) in refusals {
        let (status, fault) = server.soap(HELLO_PATH, &request).await;
        assert_eq!(status, 500, "{fault}");
        assert!(fault.contains(limit), "{limit}: {fault}");
    }
}

#[tokio::test]
async fn a_withheld_body_is_closed_after_the_read_time_out() {
    let (_dirs, server) = hello_server(&[("BATON_SERVER__BODY_READ_TIMEOUT_MS", "300")]).await;
    let address = server.address.trim_start_matches("http://");
    let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {HELLO_PATH} HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: 500\r\n\r\n<s:Envelope"
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, connection.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection is still open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 300 ms"), "{answer}");
    let (status, _) = server.get("/health").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_byte_order_mark_before_the_envelope_is_accepted() {
    let (_dirs, server) = hello_server(&[]).await;
    let envelope = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>{}</s:Body></s:Envelope>",
        hello_with("")
    );
    let (status, body) = server
        .post(HELLO_PATH, "text/xml; charset=utf-8", envelope)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Baton!"), "{body}");
}

/// The WSDL at `path` fetched with a forged Host and forwarding headers.
async fn wsdl_with_forged_host(server: &Server) -> String {
    let response = reqwest::Client::new()
        .get(format!("{}{HELLO_PATH}?wsdl", server.address))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Proto", "https")
        .header("Forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn wsdl_addresses_come_from_the_configuration_not_the_request() {
    let (_dirs, server) = hello_server(&[]).await;
    let wsdl = wsdl_with_forged_host(&server).await;
    assert!(!wsdl.contains("evil.example"), "{wsdl}");
    assert!(
        wsdl.contains(&format!("{}{HELLO_PATH}", server.address)),
        "{wsdl}"
    );

    let (_dirs, server) =
        hello_server(&[("BATON_SERVER__PUBLIC_URL", "https://bpel.example.com/")]).await;
    let wsdl = wsdl_with_forged_host(&server).await;
    assert!(!wsdl.contains("evil.example"), "{wsdl}");
    assert!(
        wsdl.contains(&format!("https://bpel.example.com{HELLO_PATH}")),
        "{wsdl}"
    );

    let (_dirs, server) = hello_server(&[("BATON_SERVER__TRUST_FORWARDED_HEADERS", "true")]).await;
    let wsdl = wsdl_with_forged_host(&server).await;
    assert!(
        wsdl.contains(&format!("https://evil.example{HELLO_PATH}")),
        "{wsdl}"
    );
}

const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const WSA: &str = "http://www.w3.org/2005/08/addressing";

/// A HelloWorld request of the SOAP version whose namespace is `env`, with `header` in its
/// Header; `must_understand` is the value of the header block's mustUnderstand attribute.
fn with_header(env: &str, header: &str, must_understand: &str) -> String {
    let header = header.replace("MU", &format!(r#"e:mustUnderstand="{must_understand}""#));
    format!(
        r#"<e:Envelope xmlns:e="{env}"><e:Header>{header}</e:Header><e:Body>{}</e:Body></e:Envelope>"#,
        hello_with("")
    )
}

#[tokio::test]
async fn mandatory_headers_nobody_understands_get_the_must_understand_fault() {
    let (_dirs, server) = hello_server(&[]).await;
    let unknown = r#"<t:Trace xmlns:t="urn:trace" MU>1</t:Trace>"#;
    let addressing = format!(r#"<a:MessageID xmlns:a="{WSA}" MU>urn:uuid:1</a:MessageID>"#);
    let soap11 = "text/xml; charset=utf-8";
    let soap12 = "application/soap+xml; charset=utf-8";

    for value in ["1", "true"] {
        let request = with_header(SOAP11, unknown, value);
        let (status, fault) = server.post(HELLO_PATH, soap11, request).await;
        assert_eq!(status, 500, "{fault}");
        assert!(fault.contains(":MustUnderstand</faultcode>"), "{fault}");
        assert!(fault.contains("{urn:trace}Trace"), "{fault}");

        let request = with_header(SOAP12, unknown, value);
        let (status, fault) = server.post(HELLO_PATH, soap12, request).await;
        assert_eq!(status, 500, "{fault}");
        assert!(fault.contains(":Value>env:MustUnderstand</"), "{fault}");
        assert!(
            fault.contains(r#"<env:NotUnderstood qname="h:Trace" xmlns:h="urn:trace"/>"#),
            "{fault}"
        );
    }

    let optional = with_header(SOAP11, unknown, "0");
    let (status, body) = server.post(HELLO_PATH, soap11, optional).await;
    assert_eq!(status, 200, "{body}");
    for (env, content_type) in [(SOAP11, soap11), (SOAP12, soap12)] {
        let understood = with_header(env, &addressing, "1");
        let (status, body) = server.post(HELLO_PATH, content_type, understood).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Hello, Baton!"), "{body}");
    }
}

#[tokio::test]
async fn headers_an_interceptor_declares_are_understood() {
    let (_dirs, server) = hello_server(&[
        ("BATON_ENGINE__INTERCEPTORS", r#"["header-propagation"]"#),
        (
            "BATON_HEADER_PROPAGATION__HEADERS",
            r#"["{urn:trace}Trace"]"#,
        ),
    ])
    .await;
    let trace = r#"<t:Trace xmlns:t="urn:trace" MU>1</t:Trace>"#;
    let request = with_header(SOAP11, trace, "1");
    let (status, body) = server
        .post(HELLO_PATH, "text/xml; charset=utf-8", request)
        .await;
    assert_eq!(status, 200, "{body}");
}
