//! Calls of REST partners: the operations of a WSDL 1.1 HTTP binding, made as plain HTTP
//! requests over the same client (connections, limits, time-outs, credentials) as SOAP calls.
//!
//! The request is built from the invoke's message as the binding says: `http:urlReplacement`
//! puts each part's value in place of `(part)` in the operation's location; `http:urlEncoded`
//! sends `part=value` pairs in the query of a GET or DELETE, else as a form body; a
//! `mime:content` (or `mime:mimeXml`) input sends the message's one part as the body, of that
//! type. A 2xx answer is the reply: read as XML into the output message's one part (the
//! answer's element for an element part, its content for a type part), or as text. Any other status is the invoke's
//! `partnerHttpStatus` failure; a body that is not the XML announced, `partnerNotWellFormed`.

use baton_transports::http::{PlainReply, PlainRequest};
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::partner_failures;
use super::routing::LinkRoute;
use super::Services;
use crate::auth::Presented;
use crate::model::{HttpInput, HttpOperation, Message, PartContent};
use crate::runtime::partner_failure::FailureKind;
use crate::runtime::{message, InvokeOutcome};
use crate::xml::{self, Document};

/// Calls the REST partner at `address` with `request`, the normalised input message of an
/// operation bound by `http`; says too whether the partner took the message.
pub async fn call(
    services: &Services,
    route: &LinkRoute,
    http: &HttpOperation,
    address: &str,
    input: Option<&Message>,
    output: Option<&Message>,
    request: &Document,
) -> (InvokeOutcome, bool) {
    let plain = self::request(http, address, input, request);
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
    let client = match route.settings.credentials.as_ref().map(Presented::header) {
        Some(authorization) => client.with_authorization(authorization),
        None => client,
    };
    match client.request(plain).await {
        Err(error) => (partner_failures::transport_failure(&error), false),
        Ok(reply) => (reply_outcome(address, output, reply), true),
    }
}

/// The plain HTTP request of `http` with the values of `message`.
fn request(
    http: &HttpOperation,
    address: &str,
    input: Option<&Message>,
    message: &Document,
) -> PlainRequest {
    let parts: Vec<(String, String)> = input
        .map(|input| {
            input
                .parts
                .iter()
                .map(|part| {
                    let value = message::part_element(message, &part.name)
                        .map(|accessor| message.string_value(accessor))
                        .unwrap_or_default();
                    (part.name.clone(), value.trim().to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut location = http.location.clone();
    let mut content_type = None;
    let mut body = Bytes::new();
    match &http.input {
        HttpInput::Nothing => {}
        HttpInput::UrlReplacement => {
            for (name, value) in &parts {
                location = location.replace(&format!("({name})"), &encode(value));
            }
        }
        HttpInput::UrlEncoded => {
            let pairs = parts
                .iter()
                .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
                .collect::<Vec<_>>()
                .join("&");
            if matches!(http.verb.as_str(), "GET" | "DELETE") {
                location = format!("{location}?{pairs}");
            } else {
                content_type = Some("application/x-www-form-urlencoded".to_owned());
                body = Bytes::from(pairs);
            }
        }
        HttpInput::Content(kind) => {
            content_type = Some(kind.clone());
            let first = input.and_then(|input| input.parts.first());
            body = Bytes::from(match first {
                Some(part) => content_of(message, input, &part.name, kind),
                None => String::new(),
            });
        }
    }
    PlainRequest {
        method: http.verb.clone(),
        url: join(address, &location),
        content_type,
        body,
    }
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
fn reply_outcome(address: &str, output: Option<&Message>, reply: PlainReply) -> InvokeOutcome {
    if !(200..300).contains(&reply.status) {
        let text: String = String::from_utf8_lossy(&reply.body)
            .chars()
            .take(200)
            .collect();
        return InvokeOutcome::failed(
            FailureKind::HttpStatus,
            format!("{address} answered HTTP {}: {text}", reply.status),
        );
    }
    let mut normalised = message::empty();
    let Some(part) = output.and_then(|output| output.parts.first()) else {
        return InvokeOutcome::Reply(normalised);
    };
    let accessor = message::ensure_part(&mut normalised, &part.name);
    let xml_answer = reply
        .content_type
        .as_deref()
        .is_none_or(|kind| kind.contains("xml"));
    let blank = reply.body.iter().all(u8::is_ascii_whitespace);
    match (&part.content, xml_answer && !blank) {
        (content, true) => {
            match xml::parse_fragment(&reply.body) {
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
            }
        }
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
    use crate::model::Part;
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
        }
    }

    #[test]
    fn parts_go_into_the_location_the_query_or_a_form() {
        let (definition, document) = operands();
        let replaced = request(
            &http("GET", "plus/(left):(right)", HttpInput::UrlReplacement),
            "http://h/calc",
            Some(&definition),
            &document,
        );
        assert_eq!(replaced.url, "http://h/calc/plus/100:-1%20%26%202");
        assert!(replaced.body.is_empty() && replaced.content_type.is_none());
        let query = request(
            &http("DELETE", "/minus", HttpInput::UrlEncoded),
            "http://h/calc/",
            Some(&definition),
            &document,
        );
        assert_eq!(query.url, "http://h/calc/minus?left=100&right=-1%20%26%202");
        let form = request(
            &http("POST", "minus", HttpInput::UrlEncoded),
            "http://h/calc",
            Some(&definition),
            &document,
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
            content_type: Some(content_type.into()),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn answers_become_the_output_part_or_the_failure_of_their_status() {
        let output = message(&[("result", PartContent::Element(QName::new("", "theresult")))]);
        let InvokeOutcome::Reply(reply) = reply_outcome(
            "http://h",
            Some(&output),
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
        let not_found = reply_outcome("http://h", Some(&output), answer(404, "text/plain", "no"));
        assert_eq!(failure(not_found), FailureKind::HttpStatus);
        let broken = reply_outcome("http://h", Some(&output), answer(200, "text/xml", "<a>"));
        assert_eq!(failure(broken), FailureKind::NotWellFormed);
        let text = PartContent::Type(QName::new("http://www.w3.org/2001/XMLSchema", "string"));
        let plain = message(&[("text", text)]);
        let InvokeOutcome::Reply(reply) =
            reply_outcome("http://h", Some(&plain), answer(200, "text/plain", "pong"))
        else {
            panic!("a 200 with text is the reply");
        };
        assert_eq!(reply.string_value(reply.root()), "pong");
        let range = PartContent::Type(QName::new("urn:a", "rangeType"));
        let typed = message(&[("result", range)]);
        let wrapped = "<sum xmlns=\"urn:a\"><low>1</low><is>6</is></sum>";
        let InvokeOutcome::Reply(reply) =
            reply_outcome("http://h", Some(&typed), answer(200, "text/xml", wrapped))
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
}
