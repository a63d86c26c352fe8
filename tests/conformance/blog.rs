//! The REST partners of ODE's HTTP binding extension scenarios (`TestHttpBindingExt_*`), served
//! by the runner's mock server under [`PATH`]: an article resource that echoes the
//! `TimestampHeader`, `From` and `User-Agent` headers of a request, answers a POST with a
//! `Location`, and misbehaves as the request's `Fault-Type` header asks (a malformed or
//! missing body, 202 or 204 without a body, a missing header, 400, or a 500 with the
//! operation's `fault` element, no body, text, an unknown or a malformed element).

/// Where the partner answers: `…/article/{id}`.
pub(crate) const PATH: &str = "/HttpBindingTest/BlogService/article/";

/// The namespace of the partner's elements.
const BLOG_NS: &str = "http://ode/bpel/test/blog";

/// An HTTP answer of the partner.
pub(crate) struct Answer {
    pub status: &'static str,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The answer to `method` on `path` (below [`PATH`]) with the request's `headers`.
pub(crate) fn answer(method: &str, path: &str, headers: &[(String, String)]) -> Answer {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let id = path.split('/').next().unwrap_or_default().to_owned();
    let mut echoed: Vec<(String, String)> = ["TimestampHeader", "From", "User-Agent"]
        .into_iter()
        .filter_map(|name| Some((name.to_owned(), header(name)?)))
        .collect();
    let answer = |status, content_type, body: &str, headers| Answer {
        status,
        content_type,
        headers,
        body: body.to_owned(),
    };
    let xml = "text/xml";
    let article =
        format!(r#"<article xmlns="{BLOG_NS}"><id>{id}</id><title>A title</title></article>"#);
    let fault = format!(
        r#"<fault xmlns="{BLOG_NS}"><timestamp>0</timestamp><details>refused</details></fault>"#
    );
    match (method, header("Fault-Type").as_deref()) {
        (_, Some("200_malformed_body")) => answer("200 OK", xml, "<article", echoed),
        (_, Some("200_missing_body")) => answer("200 OK", xml, "", echoed),
        (_, Some("202_empty_body")) => answer("202 Accepted", xml, "", echoed),
        (_, Some("204_empty_body")) => answer("204 No Content", xml, "", echoed),
        (_, Some("200_missing_part_in_header")) => {
            echoed.retain(|(name, _)| name != "TimestampHeader");
            answer("200 OK", xml, &article, echoed)
        }
        (_, Some("400_not_found")) => answer("400 Bad Request", xml, "", echoed),
        (_, Some("500_expected_xml_body")) => answer(ERROR, xml, &fault, echoed),
        (_, Some("500_no_body")) => answer(ERROR, xml, "", echoed),
        (_, Some("500_text_body")) => answer(ERROR, "text/plain", "refused", echoed),
        (_, Some("500_unknown_xml_body")) => answer(ERROR, xml, "<unknown/>", echoed),
        (_, Some("500_malformed_xml_body")) => answer(ERROR, xml, "<fault", echoed),
        (_, Some(_)) => answer(ERROR, xml, &fault, echoed),
        ("GET", None) => answer("200 OK", xml, &article, echoed),
        ("POST", None) => {
            echoed.push(("Location".into(), format!("{PATH}{id}/comments/1")));
            answer("201 Created", xml, "", echoed)
        }
        (_, None) => answer("200 OK", xml, "", echoed),
    }
}

const ERROR: &str = "500 Internal Server Error";

/// The echo partner of ODE's endpoint property scenario (`TestEndpointProperties`), at any of
/// `ECHO_PATHS`: with the HTTP basic credentials `superuser`/`topsecret` it answers 200 with
/// every `header_*` header of the request; without them 401.
pub(crate) fn echo(headers: &[(String, String)]) -> Answer {
    // "superuser:topsecret", base64-encoded.
    const AUTHORIZED: &str = "Basic c3VwZXJ1c2VyOnRvcHNlY3JldA==";
    let authorized = headers
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case("Authorization") && value == AUTHORIZED);
    let echoed = headers
        .iter()
        .filter(|(name, _)| name.to_ascii_lowercase().starts_with("header_"))
        .cloned()
        .collect();
    Answer {
        status: if authorized {
            "200 OK"
        } else {
            "401 Unauthorized"
        },
        content_type: "text/plain",
        headers: if authorized { echoed } else { Vec::new() },
        body: String::new(),
    }
}

/// Where the echo partner answers: the scenario's configuration and unit name both.
pub(crate) const ECHO_PATHS: [&str; 2] = ["/EchoService/", "/AnInvalidPath"];
