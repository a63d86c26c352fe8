//! The interchangeable transports: where a message goes is an [`Endpoint`], parsed from a URL
//! that deployment descriptors and endpoint files give, and how it gets there is a
//! [`Transport`].
//!
//! SOAP/HTTP ([`HttpClient`]) and AMQP ([`AmqpClient`]) each implement [`Transport`] for the
//! endpoints they reach; [`Transports`] holds those a server has and picks the one an
//! endpoint needs. `local:` endpoints are served inside the server: the engine calls them
//! through a [`PeerRegistry`](crate::peer::PeerRegistry) of its own parsed messages, not
//! through a transport. On the serving side every transport hands what it receives to the
//! same [`Dispatcher`](crate::Dispatcher): [`http::serve`](crate::http::serve) and
//! [`amqp::serve`](crate::amqp::serve).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;

use crate::amqp::{AmqpClient, AmqpEndpoint};
use crate::error::Error;
use crate::http::HttpClient;
use crate::message::Response;
use crate::soap::SoapVersion;

/// The scheme of endpoints served inside this server.
const LOCAL_SCHEME: &str = "local:";

/// Where an outbound message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// An `http://` or `https://` URL: SOAP over HTTP.
    Http(String),
    /// An `amqp://` or `amqps://` URL naming a queue: SOAP over AMQP.
    Amqp(AmqpEndpoint),
    /// `local:ADDRESS`: a service of this server, reached in memory at ADDRESS.
    Local(String),
}

impl Endpoint {
    /// Reads an endpoint URL.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(address) = url.strip_prefix(LOCAL_SCHEME) {
            if address.is_empty() {
                return Err(invalid("it names no local address"));
            }
            return Ok(Self::Local(address.to_owned()));
        }
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("amqp" | "amqps") => AmqpEndpoint::parse(url).map(Self::Amqp),
            Some("http" | "https") => {
                let parsed = Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
                if parsed.host_str().is_none_or(str::is_empty) {
                    return Err(invalid("it names no host"));
                }
                Ok(Self::Http(url.to_owned()))
            }
            _ => Err(invalid("expected an http(s)://, amqp(s):// or local: URL")),
        }
    }
}

/// Shows the endpoint without credentials.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http(url) => f.write_str(url),
            Self::Amqp(endpoint) => endpoint.fmt(f),
            Self::Local(address) => write!(f, "{LOCAL_SCHEME}{address}"),
        }
    }
}

/// An outbound SOAP message, independent of the transport. Its `Debug` form leaves out the
/// `authorization` secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The SOAP version to send it in.
    pub version: SoapVersion,
    /// The SOAP action, if any.
    pub action: Option<String>,
    /// The soap:Header children, as a standalone XML forest.
    pub headers: Bytes,
    /// The soap:Body children, as a standalone XML forest.
    pub body: Bytes,
    /// Whether a reply is awaited (request-response) or not (one-way).
    pub expect_reply: bool,
    /// How long the call may take; `None` leaves the transport's own time-out.
    pub timeout: Option<Duration>,
    /// The message's id, the same each time the same message is sent again, when its sender
    /// gives one: AMQP carries it as the message's `message_id` (SOAP/HTTP in the headers'
    /// `wsa:MessageID`, which the sender writes).
    pub message_id: Option<String>,
    /// The HTTP `Authorization` header value to present (over SOAP/HTTP only).
    pub authorization: Option<String>,
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbound")
            .field("version", &self.version)
            .field("action", &self.action)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("expect_reply", &self.expect_reply)
            .field("timeout", &self.timeout)
            .field("message_id", &self.message_id)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "(withheld)"),
            )
            .finish()
    }
}

/// Sends messages to the endpoints it reaches.
pub trait Transport: Send + Sync {
    /// Sends `message` to `endpoint` and returns the reply, the fault, or
    /// [`Response::Accepted`] for a one-way message taken. An endpoint the transport does not
    /// reach is [`Error::NoTransport`].
    fn send(
        &self,
        endpoint: &Endpoint,
        message: Outbound,
    ) -> impl Future<Output = Result<Response, Error>> + Send;
}

impl Transport for HttpClient {
    async fn send(&self, endpoint: &Endpoint, message: Outbound) -> Result<Response, Error> {
        let Endpoint::Http(url) = endpoint else {
            return Err(Error::NoTransport(endpoint.to_string()));
        };
        let Outbound {
            version,
            action,
            headers,
            body,
            expect_reply,
            timeout,
            message_id: _,
            authorization,
        } = message;
        let client = match timeout {
            Some(timeout) => &self.with_request_timeout(timeout),
            None => self,
        };
        let client = match authorization {
            Some(authorization) => &client.with_authorization(authorization),
            None => client,
        };
        client
            .call(url, version, action.as_deref(), headers, body, expect_reply)
            .await
    }
}

impl Transport for AmqpClient {
    async fn send(&self, endpoint: &Endpoint, message: Outbound) -> Result<Response, Error> {
        let Endpoint::Amqp(amqp) = endpoint else {
            return Err(Error::NoTransport(endpoint.to_string()));
        };
        let client = match message.timeout {
            Some(timeout) => &self.with_invoke_timeout(timeout),
            None => self,
        };
        client.call(amqp, message).await
    }
}

/// The transports of one server; each endpoint is sent over the one that reaches it.
#[derive(Clone, Default)]
pub struct Transports {
    /// SOAP/HTTP, for `http(s)://` endpoints.
    pub http: Option<HttpClient>,
    /// AMQP, for `amqp(s)://` endpoints.
    pub amqp: Option<AmqpClient>,
}

impl Transport for Transports {
    async fn send(&self, endpoint: &Endpoint, message: Outbound) -> Result<Response, Error> {
        let missing = || Error::NoTransport(endpoint.to_string());
        match endpoint {
            Endpoint::Http(_) => {
                self.http
                    .as_ref()
                    .ok_or_else(missing)?
                    .send(endpoint, message)
                    .await
            }
            Endpoint::Amqp(_) => {
                self.amqp
                    .as_ref()
                    .ok_or_else(missing)?
                    .send(endpoint, message)
                    .await
            }
            Endpoint::Local(_) => Err(missing()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_form_of_a_message_withholds_its_authorization() {
        let message = Outbound {
            version: SoapVersion::Soap11,
            action: None,
            headers: Bytes::new(),
            body: Bytes::from_static(b"<a/>"),
            expect_reply: false,
            timeout: None,
            message_id: None,
            authorization: Some("Basic c2VydmVyOnMzY3JldA==".into()),
        };
        let shown = format!("{message:?}");
        assert!(!shown.contains("c2VydmVyOnMzY3JldA"), "{shown}");
        assert!(shown.contains("(withheld)"), "{shown}");
    }

    fn refused(url: &str) -> bool {
        matches!(Endpoint::parse(url), Err(Error::InvalidUrl { .. }))
    }

    #[test]
    fn each_scheme_picks_its_transport() {
        assert_eq!(
            Endpoint::parse("https://partner.example/ws").unwrap(),
            Endpoint::Http("https://partner.example/ws".into())
        );
        assert_eq!(
            Endpoint::parse("local:/ode/processes/Hello").unwrap(),
            Endpoint::Local("/ode/processes/Hello".into())
        );
        let Endpoint::Amqp(amqp) = Endpoint::parse("AMQP://broker/orders").unwrap() else {
            panic!("an amqp URL is an AMQP endpoint");
        };
        assert_eq!(amqp.queue(), "orders");
    }

    #[test]
    fn bad_endpoints_are_refused() {
        assert!(refused(""));
        assert!(refused("local:"));
        assert!(refused("ftp://host/x"));
        assert!(refused("/just/a/path"));
        assert!(refused("http://"));
        assert!(refused("amqp://broker"));
    }

    #[tokio::test]
    async fn an_endpoint_without_its_transport_is_refused() {
        let message = Outbound {
            version: SoapVersion::Soap11,
            action: None,
            headers: Bytes::new(),
            body: Bytes::from_static(b"<a/>"),
            expect_reply: true,
            timeout: None,
            message_id: None,
            authorization: None,
        };
        let transports = Transports::default();
        for url in ["http://h/x", "amqp://h/q", "local:/x"] {
            let endpoint = Endpoint::parse(url).unwrap();
            let err = transports
                .send(&endpoint, message.clone())
                .await
                .unwrap_err();
            assert!(matches!(err, Error::NoTransport(_)), "{url}: {err}");
        }
    }
}
