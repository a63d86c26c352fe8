//! Calls of REST partners: the operations of a WSDL 1.1 HTTP binding, made as plain HTTP
//! requests over the same client (connections, limits, time-outs, credentials) as SOAP calls.
//!
//! The request is built from the invoke's message as the binding says: a part the port's
//! address or the operation's location names (`(part)`, `{part}`: `http:urlReplacement`) is
//! put there; `http:urlEncoded` sends the other parts as `part=value` pairs in the query of a
//! GET or DELETE, else as a form body; a `mime:content` (or `mime:mimeXml`) input sends its
//! part (or the first other part) as the body, of that type. ODE's `<odex:header>` sends a part's
//! text or a fixed value as an HTTP header, and every header the process wrote into the
//! message (`<to variable header>`) goes as an HTTP header of its name too.
//!
//! A 2xx answer is the reply: its body read as XML into the output's body part (the answer's
//! element for an element part, its content for a type part), or as text; a 202 or 204 may
//! come without one. Every header of the answer is kept with the reply message as a header
//! of its name, `<odex:header part>` fills a part from one, and `Status-Line` holds the
//! status (`HTTP-Version`, `Status-Code`, `Reason-Phrase`, `original`), as in ODE. An error
//! status whose body is the element of one of the operation's faults is that fault where the
//! binding binds them (`<odex:fault>`); any other status is the invoke's `partnerHttpStatus`
//! failure, and a body that is not the XML announced `partnerNotWellFormed`.

use baton_transports::http::{PlainReply, PlainRequest};
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::partner_failures;
use super::routing::LinkRoute;
use super::Services;
use crate::auth::Presented;
use crate::model::{
    Definitions, HttpHeaderValue, HttpInput, HttpOperation, Message, Operation, PartContent,
};
use crate::runtime::partner_failure::FailureKind;
use crate::runtime::{message, InvokeOutcome};
use crate::xml::{self, is_ncname, Document, QName};

/// The operation a REST call is for, as its unit defines it.
pub struct Called<'a> {
    pub http: &'a HttpOperation,
    pub definitions: &'a Definitions,
    pub operation: Option<&'a Operation>,
    pub port_type: Option<&'a QName>,
}

impl Called<'_> {
    fn message(&self, which: fn(&Operation) -> Option<&QName>) -> Option<&Message> {
        let name = which(self.operation?)?;
        self.definitions.messages.get(name)
    }

    fn input(&self) -> Option<&Message> {
        self.message(|operation| operation.input.as_ref())
    }

    fn output(&self) -> Option<&Message> {
        self.message(|operation| operation.output.as_ref())
    }
}

/// Calls the REST partner at `address` with `request`, the normalised input message of the
/// operation `called`; says too whether the partner took the message.
pub async fn call(
    services: &Services,
    route: &LinkRoute,
    called: &Called<'_>,
    address: &str,
    request: &Document,
) -> (InvokeOutcome, bool) {
    let defaults = &route.settings.default_headers;
    let plain = self::request(called.http, address, called.input(), request, defaults);
    let Some(client) = services.transports.http.as_ref() else {
        let reason = "HTTP calls are not configured".to_owned();
        return (
            InvokeOutcome::failed(FailureKind::Unavailable, reason),
            false,
        );
    };
    let client = match route.timeout() {
        Some(timeout) => client.with_request_timeout(timeout),
        None => client.clone(),
    };
    // Credentials the message carries replace the partner link's.
    let own = plain
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("Authorization"));
    let client = match route.settings.credentials.as_ref().map(Presented::header) {
        Some(authorization) if !own => client.with_authorization(authorization),
        _ => client,
    };
    match client.request(plain).await {
        Err(error) => (partner_failures::transport_failure(&error), false),
        Ok(reply) => (reply_outcome(address, called, reply), true),
    }
}

/// The text of `part` of `message`, trimmed.
fn part_text(message: &Document, part: &str) -> String {
    message::part_element(message, part)
        .map(|accessor| message.string_value(accessor).trim().to_owned())
        .unwrap_or_default()
}

/// The plain HTTP request of `http` with the values of `message`, and the headers of
/// `defaults` it does not set.
fn request(
    http: &HttpOperation,
    address: &str,
    input: Option<&Message>,
    message: &Document,
    defaults: &[(String, String)],
) -> PlainRequest {
    let in_header = |part: &str| {
        part == CREDENTIALS_PART
            || http
                .input_headers
                .iter()
                .any(|header| header.value == HttpHeaderValue::Part(part.to_owned()))
    };
    let parts: Vec<(String, String)> = input
        .map(|input| {
            input
                .parts
                .iter()
                .filter(|part| !in_header(&part.name))
                .map(|part| (part.name.clone(), part_text(message, &part.name)))
                .collect()
        })
        .unwrap_or_default();
    // The parts the address or location name (`(part)`, `{part}`) go there, the others in
    // the body or query.
    let mut url = join(address, &http.location);
    let mut parts_left = Vec::new();
    for (name, value) in parts {
        let templates = [format!("({name})"), format!("{{{name}}}")];
        let named = templates
            .iter()
            .any(|template| url.contains(template.as_str()));
        for template in &templates {
            url = url.replace(template.as_str(), &encode(&value));
        }
        if !named {
            parts_left.push((name, value));
        }
    }
    let parts = parts_left;
    let mut content_type = None;
    let mut body = Bytes::new();
    match &http.input {
        HttpInput::Nothing | HttpInput::UrlReplacement => {}
        HttpInput::UrlEncoded => {
            let pairs = parts
                .iter()
                .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
                .collect::<Vec<_>>()
                .join("&");
            if matches!(http.verb.as_str(), "GET" | "DELETE") {
                url = format!("{url}?{pairs}");
            } else {
                content_type = Some("application/x-www-form-urlencoded".to_owned());
                body = Bytes::from(pairs);
            }
        }
        HttpInput::Content(kind) => {
            content_type = Some(kind.clone());
            let part = http
                .body_part
                .clone()
                .or_else(|| parts.first().map(|(name, _)| name.clone()));
            body = Bytes::from(match part {
                Some(part) => content_of(message, input, &part, kind),
                None => String::new(),
            });
        }
    }
    // A header bound to a part without a value is not sent.
    let mut headers: Vec<(String, String)> = http
        .input_headers
        .iter()
        .filter_map(|header| {
            let value = match &header.value {
                HttpHeaderValue::Part(part) => part_text(message, part),
                HttpHeaderValue::Fixed(value) => value.clone(),
            };
            (!value.is_empty()).then(|| (header.name.clone(), value))
        })
        .collect();
    if let Some(credentials) = credentials(message) {
        headers.push(("Authorization".to_owned(), credentials.header()));
    }
    let written = message::headers(message)
        .into_iter()
        .filter(|(_, _, received)| !received)
        .map(|(name, element, _)| (name, message.string_value(element).trim().to_owned()));
    for (name, value) in written.chain(defaults.iter().cloned()) {
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            headers.push((name, value));
        }
    }
    PlainRequest {
        method: http.verb.clone(),
        url,
        content_type,
        headers,
        body,
    }
}

/// ODE's part holding the credentials of a REST call: `<credentials username password>`.
const CREDENTIALS_PART: &str = "WWW-Authenticate";

/// The HTTP basic credentials the message's [`CREDENTIALS_PART`] holds, if it holds any.
fn credentials(message: &Document) -> Option<Presented> {
    let accessor = message::part_element(message, CREDENTIALS_PART)?;
    let element = message.child_elements(accessor).next()?;
    Some(Presented::Basic {
        user: message.attribute(element, "", "username")?.to_owned(),
        password: message.attribute(element, "", "password")?.to_owned(),
    })
}

/// The body a part makes: its element (or a type part's content) as XML, or its text for a
/// type that is not XML.
fn content_of(message: &Document, input: Option<&Message>, part: &str, kind: &str) -> String {
    if !kind.contains("xml") {
        return message::part_element(message, part)
            .map(|accessor| message.string_value(accessor))
            .unwrap_or_default();
    }
    let Some(accessor) = message::part_element(message, part) else {
        return String::new();
    };
    match message::part_node(message, input, part) {
        Some(node) if node != accessor => message.to_xml(node),
        _ => message
            .children(accessor)
            .map(|child| message.to_xml(child))
            .collect(),
    }
}

/// The invoke's outcome for the partner's `reply`.
fn reply_outcome(address: &str, called: &Called<'_>, reply: PlainReply) -> InvokeOutcome {
    let success = called.http.any_status || (200..300).contains(&reply.status);
    let xml_answer = reply
        .content_type
        .as_deref()
        .is_none_or(|kind| kind.contains("xml"));
    let blank = reply.body.iter().all(u8::is_ascii_whitespace);
    if !success {
        if let Some(fault) = declared_fault(called, &reply, xml_answer && !blank) {
            return fault;
        }
        let text: String = String::from_utf8_lossy(&reply.body)
            .chars()
            .take(200)
            .collect();
        return InvokeOutcome::failed(
            FailureKind::HttpStatus,
            format!("{address} answered HTTP {}: {text}", reply.status),
        );
    }
    let http = called.http;
    let output = called.output();
    let mut normalised = message::empty();
    keep_headers(&mut normalised, http, output, &reply);
    let from_header = |part: &str| {
        http.output_headers
            .iter()
            .any(|header| header.value == HttpHeaderValue::Part(part.to_owned()))
    };
    let body_part = match &http.output_part {
        Some(name) => output.and_then(|o| o.parts.iter().find(|p| &p.name == name)),
        None => output.and_then(|o| {
            o.parts
                .iter()
                .find(|p| !from_header(&p.name) && p.name != CREDENTIALS_PART)
        }),
    };
    let Some(part) = body_part else {
        return InvokeOutcome::Reply(normalised);
    };
    // A 202 or a 204 says there is no body, as does a binding that declares none.
    if blank && (matches!(reply.status, 202 | 204) || !http.output_content) {
        return InvokeOutcome::Reply(normalised);
    }
    let accessor = message::ensure_part(&mut normalised, &part.name);
    match (&part.content, xml_answer && !blank) {
        (content, true) => match xml::parse_fragment(&reply.body) {
            Ok(forest) => {
                // An element part is the answer's element; a type part its content.
                let holder = match (content, forest.document_element()) {
                    (PartContent::Type(_), Some(element)) => element,
                    _ => forest.root(),
                };
                for child in forest.children(holder) {
                    let copy = normalised.import(&forest, child);
                    normalised.append_child(accessor, copy);
                }
                InvokeOutcome::Reply(normalised)
            }
            Err(error) => InvokeOutcome::failed(
                FailureKind::NotWellFormed,
                format!("{address} answered XML that is not well-formed: {error}"),
            ),
        },
        (PartContent::Element(element), false) => InvokeOutcome::failed(
            FailureKind::WrongMessage,
            format!("{address} answered no {element} element"),
        ),
        (PartContent::Type(_), false) => {
            let text = String::from_utf8_lossy(&reply.body).into_owned();
            let node = normalised.new_text(&text);
            normalised.append_child(accessor, node);
            InvokeOutcome::Reply(normalised)
        }
    }
}

/// The fault of the operation an error answer carries, where the binding binds faults.
fn declared_fault(
    called: &Called<'_>,
    reply: &PlainReply,
    xml_body: bool,
) -> Option<InvokeOutcome> {
    if !called.http.faults_bound || !xml_body {
        return None;
    }
    let forest = xml::parse_fragment(&reply.body).ok()?;
    let element = forest.document_element()?;
    let (name, data) = super::faults::declared(
        called.definitions,
        called.operation?,
        called.port_type,
        &forest,
        element,
    )?;
    Some(InvokeOutcome::Fault {
        name,
        data: Some(Box::new(data)),
        reason: format!("HTTP {} {}", reply.status, reply.reason),
    })
}

/// Keeps the answer's headers with the reply message `normalised`: each as a header of its
/// name, those `<odex:header part>` names in their parts, and the status as `Status-Line`.
fn keep_headers(
    normalised: &mut Document,
    http: &HttpOperation,
    output: Option<&Message>,
    reply: &PlainReply,
) {
    let mut kept = Document::new();
    let root = kept.root();
    let text_element = |kept: &mut Document, parent, name: &str, text: &str| {
        let element = kept.new_element(QName::local(name));
        let content = kept.new_text(text);
        kept.append_child(element, content);
        kept.append_child(parent, element);
        element
    };
    for (name, value) in &reply.headers {
        if is_ncname(name) {
            let element = text_element(&mut kept, root, name, value);
            message::keep_received_header(normalised, name, &kept, element);
        }
    }
    let status_line = kept.new_element(QName::local("Status-Line"));
    kept.append_child(root, status_line);
    let status = reply.status.to_string();
    let original = format!("{} {status} {}", reply.version, reply.reason);
    for (name, text) in [
        ("HTTP-Version", reply.version.as_str()),
        ("Status-Code", status.as_str()),
        ("Reason-Phrase", reply.reason.as_str()),
        ("original", original.as_str()),
    ] {
        text_element(&mut kept, status_line, name, text);
    }
    message::keep_received_header(normalised, "Status-Line", &kept, status_line);
    for header in &http.output_headers {
        let HttpHeaderValue::Part(part) = &header.value else {
            continue;
        };
        let value = reply
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&header.name));
        let declared = output.is_some_and(|o| o.parts.iter().any(|p| &p.name == part));
        if let (Some((_, value)), true) = (value, declared) {
            let accessor = message::ensure_part(normalised, part);
            let text = normalised.new_text(value);
            normalised.append_child(accessor, text);
        }
    }
}

/// `location` appended to the port's `address`, with one `/` between them.
fn join(address: &str, location: &str) -> String {
    match (address.ends_with('/'), location.starts_with('/')) {
        (true, true) => format!("{address}{}", &location[1..]),
        (false, false) if !location.is_empty() && !location.starts_with('?') => {
            format!("{address}/{location}")
        }
        _ => format!("{address}{location}"),
    }
}

/// What a value keeps unescaped in a URL's path or query: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` percent-encoded for a URL's path or query.
fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HttpHeader, Part};
    use crate::xml::QName;

    fn message(parts: &[(&str, PartContent)]) -> Message {
        Message {
            name: QName::new("urn:a", "M"),
            parts: parts
                .iter()
                .map(|(name, content)| Part {
                    name: (*name).to_owned(),
                    content: content.clone(),
                })
                .collect(),
        }
    }

    fn operands() -> (Message, Document) {
        let text = PartContent::Type(QName::new("http://www.w3.org/2001/XMLSchema", "int"));
        let definition = message(&[("left", text.clone()), ("right", text)]);
        let document =
            xml::parse(b"<message><left>100</left><right>-1 &amp; 2</right></message>").unwrap();
        (definition, document)
    }

    fn http(verb: &str, location: &str, input: HttpInput) -> HttpOperation {
        HttpOperation {
            verb: verb.into(),
            location: location.into(),
            input,
            output_xml: true,
            output_content: true,
            body_part: None,
            output_part: None,
            input_headers: Vec::new(),
            output_headers: Vec::new(),
            faults_bound: false,
            any_status: false,
        }
    }

    /// Definitions of one operation `op` whose output is `output`, with `faults`.
    fn unit(output: &Message, faults: &[(&str, &Message)]) -> Definitions {
        let mut definitions = Definitions::default();
        for message in std::iter::once(output).chain(faults.iter().map(|(_, m)| *m)) {
            definitions
                .messages
                .insert(message.name.clone(), message.clone());
        }
        let operation = Operation {
            name: "op".into(),
            input: None,
            output: Some(output.name.clone()),
            faults: faults
                .iter()
                .map(|(name, message)| ((*name).to_owned(), message.name.clone()))
                .collect(),
        };
        let port_type = crate::model::PortType {
            name: QName::new("urn:a", "P"),
            operations: vec![operation],
        };
        definitions
            .port_types
            .insert(port_type.name.clone(), port_type);
        definitions
    }

    /// The outcome of `reply` to the operation of `definitions` bound by `http`.
    fn outcome(
        definitions: &Definitions,
        http: &HttpOperation,
        reply: PlainReply,
    ) -> InvokeOutcome {
        let port_type = QName::new("urn:a", "P");
        let called = Called {
            http,
            definitions,
            operation: definitions.operation(&port_type, "op"),
            port_type: Some(&port_type),
        };
        reply_outcome("http://h", &called, reply)
    }

    /// The output message `output` as the reply to a GET bound without extensions.
    fn plain_outcome(output: &Message, reply: PlainReply) -> InvokeOutcome {
        outcome(
            &unit(output, &[]),
            &http("GET", "", HttpInput::Nothing),
            reply,
        )
    }

    #[test]
    fn parts_go_into_the_location_the_query_or_a_form() {
        let (definition, document) = operands();
        let replaced = request(
            &http("GET", "plus/(left):(right)", HttpInput::UrlReplacement),
            "http://h/calc",
            Some(&definition),
            &document,
            &[],
        );
        assert_eq!(replaced.url, "http://h/calc/plus/100:-1%20%26%202");
        assert!(replaced.body.is_empty() && replaced.content_type.is_none());
        let query = request(
            &http("DELETE", "/minus", HttpInput::UrlEncoded),
            "http://h/calc/",
            Some(&definition),
            &document,
            &[],
        );
        assert_eq!(query.url, "http://h/calc/minus?left=100&right=-1%20%26%202");
        let form = request(
            &http("POST", "minus", HttpInput::UrlEncoded),
            "http://h/calc",
            Some(&definition),
            &document,
            &[],
        );
        assert_eq!(form.url, "http://h/calc/minus");
        assert_eq!(&form.body[..], b"left=100&right=-1%20%26%202");
        assert_eq!(
            form.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn an_element_part_is_the_body_of_an_xml_content() {
        let definition = message(&[(
            "list",
            PartContent::Element(QName::new("urn:a", "operands")),
        )]);
        let document =
            xml::parse(br#"<message><list><a:operands xmlns:a="urn:a"><a:n>1</a:n></a:operands></list></message>"#)
                .unwrap();
        let put = request(
            &http("PUT", "sum", HttpInput::Content("text/xml".into())),
            "http://h",
            Some(&definition),
            &document,
            &[],
        );
        assert_eq!(put.method, "PUT");
        assert_eq!(put.content_type.as_deref(), Some("text/xml"));
        let body = String::from_utf8(put.body.to_vec()).unwrap();
        assert!(
            body.starts_with("<a:operands") && body.contains("<a:n>1</a:n>"),
            "{body}"
        );
    }

    fn answer(status: u16, content_type: &str, body: &'static str) -> PlainReply {
        PlainReply {
            status,
            reason: "Reason".into(),
            version: "HTTP/1.1".into(),
            content_type: Some(content_type.into()),
            headers: Vec::new(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn answers_become_the_output_part_or_the_failure_of_their_status() {
        let output = message(&[("result", PartContent::Element(QName::new("", "theresult")))]);
        let InvokeOutcome::Reply(reply) = plain_outcome(
            &output,
            answer(200, "text/xml", "<theresult>101</theresult>"),
        ) else {
            panic!("a 200 with XML is the reply");
        };
        let part = message::part_node(&reply, Some(&output), "result").unwrap();
        assert_eq!(reply.string_value(part), "101");
        let failure = |outcome: InvokeOutcome| match outcome {
            InvokeOutcome::Failure(failure) => failure.kind,
            other => panic!("not a failure: {other:?}"),
        };
        let not_found = plain_outcome(&output, answer(404, "text/plain", "no"));
        assert_eq!(failure(not_found), FailureKind::HttpStatus);
        let broken = plain_outcome(&output, answer(200, "text/xml", "<a>"));
        assert_eq!(failure(broken), FailureKind::NotWellFormed);
        let text = PartContent::Type(QName::new("http://www.w3.org/2001/XMLSchema", "string"));
        let plain = message(&[("text", text)]);
        let InvokeOutcome::Reply(reply) = plain_outcome(&plain, answer(200, "text/plain", "pong"))
        else {
            panic!("a 200 with text is the reply");
        };
        let text = message::part_element(&reply, "text").unwrap();
        assert_eq!(reply.string_value(text), "pong");
        let range = PartContent::Type(QName::new("urn:a", "rangeType"));
        let typed = message(&[("result", range)]);
        let wrapped = "<sum xmlns=\"urn:a\"><low>1</low><is>6</is></sum>";
        let InvokeOutcome::Reply(reply) = plain_outcome(&typed, answer(200, "text/xml", wrapped))
        else {
            panic!("a 200 with XML is the reply");
        };
        let accessor = message::part_element(&reply, "result").unwrap();
        let names: Vec<_> = reply
            .child_elements(accessor)
            .filter_map(|child| reply.name(child).map(|name| name.local.clone()))
            .collect();
        assert_eq!(
            names,
            ["low", "is"],
            "a type part holds the answer's content"
        );
    }

    #[test]
    fn ode_s_header_extensions_map_http_headers_to_parts_and_headers() {
        let text = PartContent::Type(QName::new("http://www.w3.org/2001/XMLSchema", "string"));
        let element = PartContent::Element(QName::new("urn:a", "article"));
        let input = message(&[("stamp", text.clone()), ("id", text.clone())]);
        let mut binding = http("GET", "", HttpInput::UrlReplacement);
        binding.input_headers = vec![
            HttpHeader {
                name: "Stamp".into(),
                value: HttpHeaderValue::Part("stamp".into()),
            },
            HttpHeader {
                name: "User-Agent".into(),
                value: HttpHeaderValue::Fixed("Killer".into()),
            },
        ];
        let mut document = xml::parse(b"<message><stamp>42</stamp><id>7</id></message>").unwrap();
        let written = message::ensure_header_node(&mut document, "Fault-Type");
        document.set_text_content(written, "boom");
        let defaults = [
            ("User-Agent".to_owned(), "default".to_owned()),
            ("X-Site".to_owned(), "east".to_owned()),
        ];
        let get = request(
            &binding,
            "http://h/article/{id}",
            Some(&input),
            &document,
            &defaults,
        );
        assert_eq!(
            get.url, "http://h/article/7",
            "a header part is not in the URL"
        );
        assert_eq!(
            get.headers,
            [
                ("Stamp".to_owned(), "42".to_owned()),
                ("User-Agent".to_owned(), "Killer".to_owned()),
                ("Fault-Type".to_owned(), "boom".to_owned()),
                ("X-Site".to_owned(), "east".to_owned())
            ],
            "the binding's and the process's headers, then defaults they do not set"
        );

        let output = message(&[("stamp", text), ("article", element)]);
        binding.output_headers = vec![HttpHeader {
            name: "Stamp".into(),
            value: HttpHeaderValue::Part("stamp".into()),
        }];
        binding.output_part = Some("article".into());
        let mut answered = answer(200, "text/xml", r#"<article xmlns="urn:a">x</article>"#);
        answered.headers = vec![("stamp".into(), "42".into()), ("from".into(), "me".into())];
        let InvokeOutcome::Reply(reply) = outcome(&unit(&output, &[]), &binding, answered) else {
            panic!("a 200 is the reply");
        };
        let stamp = message::part_element(&reply, "stamp").unwrap();
        assert_eq!(reply.string_value(stamp), "42");
        let article = message::part_node(&reply, Some(&output), "article").unwrap();
        assert_eq!(reply.string_value(article), "x");
        let from = message::header_node(&reply, "From").unwrap();
        assert_eq!(reply.string_value(from), "me");
        let status = message::header_node(&reply, "Status-Line").unwrap();
        assert_eq!(
            reply.string_value(status),
            "HTTP/1.1200ReasonHTTP/1.1 200 Reason"
        );

        let empty = answer(204, "text/xml", "");
        assert!(
            matches!(
                outcome(&unit(&output, &[]), &binding, empty),
                InvokeOutcome::Reply(_)
            ),
            "a 204 has no body"
        );
    }

    #[test]
    fn ode_s_credentials_part_is_http_basic_authentication_and_no_body() {
        let text = PartContent::Type(QName::new("http://www.w3.org/2001/XMLSchema", "string"));
        let credentials = PartContent::Element(QName::local("credentials"));
        let input = message(&[("id", text), ("WWW-Authenticate", credentials)]);
        let document = xml::parse(
            br#"<message><id>7</id><WWW-Authenticate><credentials username="ann" password="s3"/></WWW-Authenticate></message>"#,
        )
        .unwrap();
        let get = request(
            &http("GET", "", HttpInput::UrlEncoded),
            "http://h/a",
            Some(&input),
            &document,
            &[],
        );
        assert_eq!(
            get.url, "http://h/a?id=7",
            "the credentials are not a parameter"
        );
        assert_eq!(
            get.headers,
            [("Authorization".to_owned(), "Basic YW5uOnMz".to_owned())]
        );
    }

    #[test]
    fn an_error_answer_holding_a_bound_fault_s_element_is_that_fault() {
        let output = message(&[]);
        let fault = Message {
            name: QName::new("urn:a", "UpdateFault"),
            ..message(&[(
                "details",
                PartContent::Element(QName::new("urn:a", "fault")),
            )])
        };
        let definitions = unit(&output, &[("UpdateException", &fault)]);
        let mut binding = http("PUT", "", HttpInput::Nothing);
        let body = r#"<fault xmlns="urn:a">late</fault>"#;
        let unbound = outcome(&definitions, &binding, answer(500, "text/xml", body));
        assert!(matches!(unbound, InvokeOutcome::Failure(_)), "{unbound:?}");
        binding.faults_bound = true;
        match outcome(&definitions, &binding, answer(500, "text/xml", body)) {
            InvokeOutcome::Fault { name, .. } => {
                assert_eq!(name, QName::new("urn:a", "UpdateException"));
            }
            other => panic!("not the fault: {other:?}"),
        }
        let other = outcome(&definitions, &binding, answer(500, "text/xml", "<other/>"));
        assert!(matches!(other, InvokeOutcome::Failure(_)), "{other:?}");
    }
}
