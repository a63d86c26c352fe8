//! The two partner services ODE's harness mocked, served over real SOAP 1.1/HTTP on
//! 127.0.0.1 by a small HTTP/1.1 server (keep-alive, Content-Length bodies):
//! - `/probe` (ProbeService `probe`): replies with the request's parts, `probeData` replaced
//!   by `probeData + " -> " + probeName`;
//! - `/fault` (FaultService `throwFault`): always answers with a SOAP fault whose faultcode
//!   is `FaultMessage1` when `faultIndicator1` is `yes`, else `FaultMessage2` when
//!   `faultIndicator2` is `yes`, else `UnKnownFault` (in the FaultService namespace), and
//!   whose detail is `<errorID>FA-1</errorID><errorText>{faultData}</errorText>`.
//!
//! - `/time` (the TimeService of ODE's cleanup scenarios): answers `getCityTime` and
//!   `getUTCTime` (document/literal) with a fixed time;
//! - `/dummy` (the DummyService of ODE's SOAP/HTTP scenarios): `hello` answers `{in} world`;
//!   `longOperation` waits `in` milliseconds (two minutes when `in` is not a number) and
//!   answers `Went through {in}`; `noArgmentMethod` answers without reading its request;
//!   `faultTest` answers with its declared `DummyException` fault, unless the request
//!   carries a `ConversationId` SOAP header (TestSoapHeader's conversation): then it answers
//!   `faultTestResponse` in that conversation, the header echoed;
//! - `/TestSoapHeader2/` (the partner of that scenario): answers whether the request's SOAP
//!   header held both header parts the scenario's process sets;
//! - `/HttpBindingTest/BlogService/article/…`: the REST partner of ODE's HTTP binding
//!   extension scenarios (see `blog`);
//! - `/restlight/…`: the server of ODE's REST extension activity tests (see `restlight`);
//! - `/EchoService/`, `/AnInvalidPath`: the echo partner of ODE's endpoint property
//!   scenario (see `blog`);
//! - `/HttpBindingTest/ArithmeticsService/…` (the REST partner of TestHttpBinding): `plus`
//!   and `minus` of two operands taken from the path (`plus/L:R`), the query or a form, and
//!   `addition` and `sumOfIntegers` of an XML `operandList`.
//!
//! Requests are read in the rpc/literal layout the staged mock WSDLs bind (see `stage`):
//! the parts are found by name anywhere in the body.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::blog::{self, Answer};
use crate::restlight;
use crate::stage::{FAULT_NS, PROBE_NS};

/// The namespace of the cleanup scenarios' TimeService.
const TIME_NS: &str = "http://ws.intalio.com/TimeService/";

/// The namespace of the cleanup scenarios' DummyService.
const DUMMY_NS: &str = "http://axis2.ode.apache.org";

/// Starts the mock partners; returns their base URL (`http://127.0.0.1:PORT`).
pub(crate) async fn start() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    Ok(url)
}

/// Serves the requests of one connection until it closes.
async fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut action = String::new();
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if name.eq_ignore_ascii_case("soapaction") {
                    action = value.trim().trim_matches('"').to_owned();
                }
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let mut words = request_line.split_whitespace();
        let (method, path) = (
            words.next().unwrap_or_default(),
            words.next().unwrap_or_default(),
        );
        let request = String::from_utf8_lossy(&body);
        let soap = |(status, body)| Answer {
            status,
            content_type: "text/xml; charset=utf-8",
            headers: Vec::new(),
            body,
        };
        let answer = match path {
            "/dummy" => soap(dummy(&action, &request).await),
            _ if path.starts_with(ARITHMETICS) => {
                soap(arithmetics(&path[ARITHMETICS.len()..], &request))
            }
            _ if path.starts_with(blog::PATH) => {
                blog::answer(method, &path[blog::PATH.len()..], &headers)
            }
            _ if blog::ECHO_PATHS.contains(&path) => blog::echo(&headers),
            _ if path.starts_with(restlight::PATH) => {
                let (status, content_type, body) =
                    restlight::answer(method, &path[restlight::PATH.len()..], &request);
                Answer {
                    status,
                    content_type,
                    headers: Vec::new(),
                    body,
                }
            }
            _ => soap(self::answer(path, &request)),
        };
        let headers: String = answer
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let response = format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\n{headers}Content-Length: {}\r\n\r\n{}",
            answer.status,
            answer.content_type,
            answer.body.len(),
            answer.body
        );
        if reader
            .get_mut()
            .write_all(response.as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The HTTP status and SOAP envelope answering a request to `path`.
fn answer(path: &str, request: &str) -> (&'static str, String) {
    let part = |name: &str| part_text(request, name).unwrap_or_default();
    let envelope = soap_envelope;
    match path {
        "/probe" => {
            let name = part("probeName");
            let data = format!("{} -> {name}", part("probeData"));
            let body = format!(
                r#"<p:probeResponse xmlns:p="{PROBE_NS}"><probeName>{}</probeName><probeData>{}</probeData></p:probeResponse>"#,
                escape(&name),
                escape(&data)
            );
            ("200 OK", envelope(body))
        }
        "/fault" => {
            let fault = if part("faultIndicator1") == "yes" {
                "FaultMessage1"
            } else if part("faultIndicator2") == "yes" {
                "FaultMessage2"
            } else {
                "UnKnownFault"
            };
            let body = format!(
                r#"<soapenv:Fault><faultcode xmlns:f="{FAULT_NS}">f:{fault}</faultcode><faultstring>{fault}</faultstring><detail><errorID>FA-1</errorID><errorText>{}</errorText></detail></soapenv:Fault>"#,
                escape(&part("faultData"))
            );
            ("500 Internal Server Error", envelope(body))
        }
        "/time" => {
            let operation = if request.contains("getCityTime") {
                "getCityTime"
            } else {
                "getUTCTime"
            };
            let body = format!(
                r#"<t:{operation}Response xmlns:t="{TIME_NS}"><t:{operation}Result>12:00</t:{operation}Result></t:{operation}Response>"#
            );
            ("200 OK", envelope(body))
        }
        "/TestSoapHeader2/" => {
            let found = |header: &str| {
                part_text(request, &format!("{header}-field1")).as_deref()
                    == Some("Hello from TestSoapHeader2")
            };
            let verdict = match found("header1") && found("header2") {
                true => "TestSoapHeader2 passed",
                false => "Some soap headers are missing!",
            };
            let body = format!(
                r#"<unit:body xmlns:unit="http://ode/bpel/unit-test.wsdl"><unit:message>{verdict}</unit:message></unit:body>"#
            );
            ("200 OK", envelope(body))
        }
        _ => ("404 Not Found", envelope(String::new())),
    }
}

/// Where the REST partner of TestHttpBinding answers.
const ARITHMETICS: &str = "/HttpBindingTest/ArithmeticsService/";

/// The namespace of that partner's XML answers.
const ARITHMETICS_NS: &str = "http://ode/bpel/test/arithmetics";

/// The REST partner's answer to a request for `path` (below [`ARITHMETICS`], with its query)
/// with `body`.
fn arithmetics(path: &str, body: &str) -> (&'static str, String) {
    let pair = |text: &str| -> Option<(i64, i64)> {
        let value = |name: &str| {
            text.split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))?
                .parse()
                .ok()
        };
        Some((value("left")?, value("right")?))
    };
    let (port, rest) = path.split_once('/').unwrap_or((path, ""));
    let (operation, query) = rest.split_once('?').unwrap_or((rest, ""));
    let operands = match operation.strip_prefix("plus/") {
        Some(replaced) => replaced
            .split_once(':')
            .and_then(|(l, r)| Some((l.parse().ok()?, r.parse().ok()?))),
        None if !query.is_empty() => pair(query),
        None => pair(body.trim()),
    };
    let numbers: Vec<i64> = body
        .split('<')
        .filter_map(|tag| tag.split_once('>')?.1.trim().parse().ok())
        .collect();
    let result = |n: i64| ("200 OK", format!("<theresult>{n}</theresult>"));
    match (port, operation, operands, numbers.as_slice()) {
        ("SalutLaTerre", "addition", _, [a, b, ..]) => (
            "200 OK",
            format!(
                r#"<theresult xmlns="{ARITHMETICS_NS}">{}</theresult>"#,
                a + b
            ),
        ),
        ("SalutLaTerre", "sumOfIntegers", _, [a, b, ..]) => {
            let (low, high) = (*a.min(b), *a.max(b));
            let sum = (high * (high + 1) - low * (low + 1)) / 2;
            (
                "200 OK",
                format!(
                    r#"<sumOfInteger xmlns="{ARITHMETICS_NS}"><theresult>A dummy message</theresult><resultIs>{sum}</resultIs></sumOfInteger>"#
                ),
            )
        }
        (_, operation, Some((left, right)), _) if operation.starts_with("plus") => {
            result(left + right)
        }
        (_, "minus", Some((left, right)), _) => result(left - right),
        _ => ("404 Not Found", String::new()),
    }
}

/// The answer of ODE's DummyService to the operation `action` (its SOAPAction, else the
/// request's body element) of `request`.
async fn dummy(action: &str, request: &str) -> (&'static str, String) {
    let operation = ["hello", "longOperation", "noArgmentMethod", "faultTest"]
        .into_iter()
        .find(|operation| action == format!("urn:{operation}") || request.contains(operation))
        .unwrap_or("faultTest");
    let input = part_text(request, "in").unwrap_or_default();
    let conversation = part_text(request, "ConversationId");
    let result = match (operation, conversation) {
        ("hello", _) => format!("{input} world"),
        ("longOperation", _) => {
            let pause = input.trim().parse().unwrap_or(120_000);
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            format!("Went through {input}")
        }
        ("noArgmentMethod", _) => "noArgmentMethod invocation was successfull".to_owned(),
        (_, Some(conversation)) => {
            let header = format!(
                r#"<c:ConversationId xmlns:c="http://my.company/super/protocol">{}</c:ConversationId>"#,
                escape(&conversation)
            );
            let body = format!(
                r#"<d:faultTestResponse xmlns:d="{DUMMY_NS}"><return>{}</return></d:faultTestResponse>"#,
                escape(&input)
            );
            return ("200 OK", soap_envelope_with_header(&header, body));
        }
        _ => {
            let body = format!(
                r#"<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>dummy reason</faultstring><detail><d:DummyException xmlns:d="{DUMMY_NS}"><reason>Something went wrong. Fortunately, it was meant to be.</reason></d:DummyException></detail></soapenv:Fault>"#
            );
            return ("500 Internal Server Error", soap_envelope(body));
        }
    };
    let body = format!(
        r#"<d:{operation}Response xmlns:d="{DUMMY_NS}"><return>{}</return></d:{operation}Response>"#,
        escape(&result)
    );
    ("200 OK", soap_envelope(body))
}

fn soap_envelope(body: String) -> String {
    soap_envelope_with_header("", body)
}

fn soap_envelope_with_header(header: &str, body: String) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>{header}</soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

/// The text of the first element named `local` (any prefix) in `xml`.
pub(crate) fn part_text(xml: &str, local: &str) -> Option<String> {
    let document = baton::xml::parse(xml.as_bytes()).ok()?;
    let root = document.root();
    let node = document
        .descendants(root)
        .find(|&n| document.name(n).is_some_and(|name| name.local == local))?;
    Some(document.string_value(node))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
