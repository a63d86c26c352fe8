//! The outbound HTTP client used for invokes: SOAP calls ([`HttpClient::call`]) and the plain
//! requests of REST partners ([`HttpClient::request`]), on the same connections and limits.
//!
//! Connections are pooled and kept alive by reqwest; how many calls are in flight, per host and
//! overall, is bounded by [`ConnectionLimits`], waiting for a slot within the request time-out.
//! A reply is classified as a SOAP reply, a fault, an acknowledged one-way message, or an
//! [`Error`] saying what went wrong and where: a request-response call expects 200 with a
//! reply or a fault, a one-way call 202 (or 200, empty or with an empty Body); an error status
//! counts only with a SOAP fault.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use tokio::time::{timeout_at, Instant};

use crate::error::{ConnectFailure, Error, ReplyProblem};
use crate::http::limits::ConnectionLimits;
use crate::http::HttpClientConfig;
use crate::message::Response;
use crate::soap::{self, SoapVersion};

/// How much of an unexpected reply is quoted in errors.
const QUOTED_REPLY_CHARS: usize = 200;

/// Makes outbound SOAP calls. Cloning is cheap; clones share connections and limits.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    limits: ConnectionLimits,
    request_timeout: Duration,
    /// The `Authorization` header every call presents, if any.
    authorization: Option<String>,
}

impl HttpClient {
    /// A client configured by `config`.
    pub fn new(config: &HttpClientConfig) -> Result<Self, Error> {
        config.validate()?;
        let idle_per_host = if config.keep_alive {
            config.max_connections_per_host
        } else {
            0
        };
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .pool_max_idle_per_host(idle_per_host)
            // A redirected POST would silently turn into something else: report 3xx instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::ClientBuild)?;
        Ok(Self {
            client,
            limits: ConnectionLimits::new(
                config.max_total_connections,
                config.max_connections_per_host,
            ),
            request_timeout: Duration::from_millis(config.request_timeout_ms),
            authorization: None,
        })
    }

    /// The same client (sharing connections and limits) with another time-out for whole
    /// calls.
    pub fn with_request_timeout(&self, timeout: Duration) -> Self {
        Self {
            request_timeout: timeout,
            ..self.clone()
        }
    }

    /// The same client presenting `authorization` as the `Authorization` header of its calls.
    pub fn with_authorization(&self, authorization: String) -> Self {
        Self {
            authorization: Some(authorization),
            ..self.clone()
        }
    }

    /// POSTs an envelope of `version` wrapping the `headers` and `body` forests to `url`.
    ///
    /// With `expect_reply` false (a one-way call) a 202 or an empty 200 is
    /// [`Response::Accepted`]; a fault envelope is [`Response::Fault`] whatever the status.
    pub async fn call(
        &self,
        url: &str,
        version: SoapVersion,
        action: Option<&str>,
        headers: Bytes,
        body: Bytes,
        expect_reply: bool,
    ) -> Result<Response, Error> {
        let endpoint = parse_url(url)?;
        let mut request = self
            .client
            .post(endpoint.clone())
            .header(CONTENT_TYPE, content_type(version, action)?)
            .body(soap::write_envelope(version, &headers, &body));
        if version == SoapVersion::Soap11 {
            request = request.header("SOAPAction", soap_action(action)?);
        }
        let answer = self.exchange(url, &endpoint, request).await?;
        let (status, bytes) = (answer.status, answer.body);
        let content_type = answer.headers.get(CONTENT_TYPE).cloned();
        let reply = Reply {
            url,
            version,
            expect_reply,
            status,
            content_type,
            bytes,
        };
        reply.interpret()
    }

    /// Sends a REST partner's plain HTTP request; any status is an answer, for the caller to
    /// read.
    pub async fn request(&self, plain: PlainRequest) -> Result<PlainReply, Error> {
        let url = plain.url.as_str();
        let endpoint = parse_url(url)?;
        let method = reqwest::Method::from_bytes(plain.method.as_bytes()).map_err(|_| {
            Error::InvalidUrl {
                url: url.to_owned(),
                reason: format!("'{}' is not an HTTP method", plain.method),
            }
        })?;
        let mut request = self.client.request(method, endpoint.clone());
        if let Some(content_type) = &plain.content_type {
            request = request.header(CONTENT_TYPE, content_type.as_str());
        }
        for (name, value) in &plain.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if !plain.body.is_empty() {
            request = request.body(plain.body);
        }
        let answer = self.exchange(url, &endpoint, request).await?;
        let text = |value: &HeaderValue| value.to_str().ok().map(str::to_owned);
        Ok(PlainReply {
            status: answer.status.as_u16(),
            reason: answer
                .status
                .canonical_reason()
                .unwrap_or_default()
                .to_owned(),
            version: format!("{:?}", answer.version),
            content_type: answer.headers.get(CONTENT_TYPE).and_then(text),
            headers: answer
                .headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str().to_owned(), text(value)?)))
                .collect(),
            body: answer.body,
        })
    }

    /// Sends `request` to `endpoint` (written `url`) within the connection limits and the
    /// time-out; the answer.
    async fn exchange(
        &self,
        url: &str,
        endpoint: &Url,
        mut request: reqwest::RequestBuilder,
    ) -> Result<Answer, Error> {
        let host = host_key(endpoint);
        let deadline = Instant::now() + self.request_timeout;
        let timed_out = |during| Error::Timeout {
            url: url.to_owned(),
            timeout: self.request_timeout,
            during,
        };
        let _permit = timeout_at(deadline, self.limits.acquire(&host))
            .await
            .map_err(|_| timed_out("waiting for a free connection"))?;
        if let Some(authorization) = &self.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        let exchange = async {
            let reply = request.send().await?;
            let (status, version, headers) =
                (reply.status(), reply.version(), reply.headers().clone());
            let body = reply.bytes().await?;
            Ok::<_, reqwest::Error>(Answer {
                status,
                version,
                headers,
                body,
            })
        };
        match timeout_at(deadline, exchange).await {
            Err(_) => Err(timed_out("waiting for the reply")),
            Ok(Err(e)) if e.is_connect() => Err(Error::Connect {
                url: url.to_owned(),
                failure: connect_failure(&e),
                source: e.without_url(),
            }),
            Ok(Err(e)) => Err(Error::Exchange {
                url: url.to_owned(),
                source: e.without_url(),
            }),
            Ok(Ok(reply)) => Ok(reply),
        }
    }
}

/// What a partner answered, as [`HttpClient::exchange`] read it.
struct Answer {
    status: StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    body: Bytes,
}

/// A plain HTTP request to a REST partner (a port of a WSDL HTTP binding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainRequest {
    /// GET, POST, PUT, DELETE, …
    pub method: String,
    pub url: String,
    pub content_type: Option<String>,
    /// Further headers, by name.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// What a REST partner answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainReply {
    pub status: u16,
    /// The status's reason phrase, as HTTP names it.
    pub reason: String,
    /// The protocol version: `HTTP/1.1`, …
    pub version: String,
    pub content_type: Option<String>,
    /// Every header of the answer, by name (lower case).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

fn parse_url(url: &str) -> Result<Url, Error> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "scheme '{}' is not http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none() {
        return Err(invalid("it has no host".into()));
    }
    Ok(parsed)
}

/// The host:port the connection limits count by.
fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The content type of a request: SOAP 1.2 carries the action as a parameter.
fn content_type(version: SoapVersion, action: Option<&str>) -> Result<HeaderValue, Error> {
    match (version, action) {
        (SoapVersion::Soap12, Some(action)) => {
            if action.contains(['"', '\\']) {
                return Err(Error::InvalidAction(action.to_owned()));
            }
            let value = format!(r#"{}; action="{action}""#, version.content_type());
            HeaderValue::from_str(&value).map_err(|_| Error::InvalidAction(action.to_owned()))
        }
        _ => Ok(HeaderValue::from_static(version.content_type())),
    }
}

/// The SOAPAction header of a SOAP 1.1 request: the quoted action, or `""` for none.
fn soap_action(action: Option<&str>) -> Result<HeaderValue, Error> {
    let action = action.unwrap_or_default();
    if action.contains('"') {
        return Err(Error::InvalidAction(action.to_owned()));
    }
    HeaderValue::from_str(&format!("\"{action}\"")).map_err(|_| Error::InvalidAction(action.into()))
}

/// Why `error`, a connection failure, happened: told by the I/O error or the resolver's
/// error among its causes.
fn connect_failure(error: &reqwest::Error) -> ConnectFailure {
    let mut cause = std::error::Error::source(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return ConnectFailure::Refused;
            }
        }
        // The connector reports a failed name resolution as a "dns error".
        if current.to_string().starts_with("dns error") {
            return ConnectFailure::UnknownHost;
        }
        cause = current.source();
    }
    ConnectFailure::Other
}

/// An HTTP reply to classify.
struct Reply<'a> {
    url: &'a str,
    version: SoapVersion,
    expect_reply: bool,
    status: StatusCode,
    content_type: Option<HeaderValue>,
    bytes: Bytes,
}

impl Reply<'_> {
    fn interpret(self) -> Result<Response, Error> {
        let blank = self.bytes.iter().all(u8::is_ascii_whitespace);
        let status = self.status;
        let error_status = status.is_client_error() || status.is_server_error();
        if !status.is_success() && !error_status {
            return Err(self.unexpected(ReplyProblem::UnexpectedStatus));
        }
        let acknowledged = matches!(status, StatusCode::OK | StatusCode::ACCEPTED);
        if status.is_success() && blank {
            return match (self.expect_reply, acknowledged) {
                (true, _) => Err(self.unexpected(ReplyProblem::Empty)),
                (false, true) => Ok(Response::Accepted),
                (false, false) => Err(self.unexpected(ReplyProblem::UnexpectedStatus)),
            };
        }
        if status == StatusCode::ACCEPTED && !self.expect_reply {
            return Ok(Response::Accepted);
        }
        match soap::parse_response(self.version, &self.bytes) {
            Ok(Response::Reply { .. }) | Err(_) if error_status => {
                Err(self.unexpected(ReplyProblem::ErrorStatus))
            }
            Ok(Response::Reply { .. }) if status != StatusCode::OK => {
                Err(self.unexpected(ReplyProblem::UnexpectedStatus))
            }
            Ok(Response::Reply { body, .. })
                if !self.expect_reply && body.iter().all(u8::is_ascii_whitespace) =>
            {
                Ok(Response::Accepted)
            }
            Ok(response) => Ok(response),
            Err(e) => Err(self.unexpected(ReplyProblem::Envelope(e))),
        }
    }

    fn unexpected(&self, problem: ReplyProblem) -> Error {
        Error::UnexpectedReply {
            url: self.url.to_owned(),
            status: self.status.as_u16(),
            problem,
            quoted: self.quoted(),
        }
    }

    /// The start of the reply with its content type, for error messages.
    fn quoted(&self) -> String {
        let content_type = self
            .content_type
            .as_ref()
            .and_then(|ct| ct.to_str().ok())
            .unwrap_or("no content type");
        let text: String = String::from_utf8_lossy(&self.bytes)
            .chars()
            .take(QUOTED_REPLY_CHARS)
            .collect();
        format!("[{content_type}] {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a reply of `status` with `body` to a call that does (or does not) expect a reply
    /// is read.
    fn interpret(status: u16, body: &'static str, expect_reply: bool) -> Result<Response, Error> {
        Reply {
            url: "http://127.0.0.1:1/partner",
            version: SoapVersion::Soap11,
            expect_reply,
            status: StatusCode::from_u16(status).unwrap(),
            content_type: None,
            bytes: Bytes::from_static(body.as_bytes()),
        }
        .interpret()
    }

    fn problem(outcome: Result<Response, Error>) -> String {
        match outcome {
            Err(Error::UnexpectedReply { problem, .. }) => format!("{problem:?}"),
            other => format!("not a problem: {other:?}"),
        }
    }

    #[test]
    fn one_way_calls_are_acknowledged_by_200_or_202_only() {
        assert_eq!(interpret(202, "", false).unwrap(), Response::Accepted);
        assert_eq!(interpret(200, "", false).unwrap(), Response::Accepted);
        assert_eq!(problem(interpret(204, "", false)), "UnexpectedStatus");
        assert_eq!(problem(interpret(302, "", false)), "UnexpectedStatus");
        assert_eq!(problem(interpret(500, "<html/>", false)), "ErrorStatus");
    }

    #[test]
    fn request_response_calls_need_a_reply_with_200() {
        let reply = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a/></s:Body></s:Envelope>"#;
        assert!(matches!(
            interpret(200, reply, true),
            Ok(Response::Reply { .. })
        ));
        assert_eq!(problem(interpret(203, reply, true)), "UnexpectedStatus");
        assert_eq!(problem(interpret(202, "", true)), "Empty");
        assert_eq!(problem(interpret(404, reply, true)), "ErrorStatus");
        let unclosed =
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>"#;
        let found = problem(interpret(200, unclosed, true));
        assert!(found.starts_with("Envelope(Malformed"), "{found}");
    }
}
