//! The crate's typed errors.
//!
//! [`SoapError`] says why a SOAP envelope was refused; the HTTP server turns it into a SOAP
//! fault for the caller. [`Error`] is what the transports themselves return: I/O, outbound call
//! failures (each naming the URL involved, never its password, and typed by
//! [`ConnectFailure`] and [`ReplyProblem`] so that callers can tell each way a partner fails),
//! invalid configuration, broker failures and peer delivery failures.

use std::time::Duration;

use crate::soap::{FaultCode, SoapFault, SoapVersion};

/// Why a SOAP message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SoapError {
    /// The media type is not a SOAP one, or it carries a charset other than UTF-8.
    #[error("unsupported media type '{0}': expected text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2) in UTF-8")]
    UnsupportedMediaType(String),
    /// The message is not UTF-8, or its XML declaration names another encoding.
    #[error("unsupported encoding: {0}")]
    UnsupportedEncoding(String),
    /// A document type declaration was present; DTDs (and so entities) are never processed.
    #[error("document type declarations (DTDs) are not allowed in SOAP messages")]
    Doctype,
    /// The message is not well-formed (namespace-aware) XML.
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed { position: u64, reason: String },
    /// The document element is not a SOAP envelope.
    #[error("the document element is '{0}', not a SOAP Envelope")]
    NotAnEnvelope(String),
    /// The envelope is in a namespace that is neither SOAP 1.1 nor SOAP 1.2.
    #[error("unknown SOAP envelope namespace '{0}'")]
    UnknownEnvelopeNamespace(String),
    /// The SOAP version of the envelope disagrees with the one expected (from the media type,
    /// or from the request on the client side).
    #[error("the envelope is {found} but {expected} was expected")]
    VersionMismatch {
        expected: SoapVersion,
        found: SoapVersion,
    },
    /// The envelope has no Body.
    #[error("the SOAP envelope has no Body")]
    MissingBody,
    /// The envelope has content where SOAP allows none.
    #[error("unexpected content in the SOAP envelope: {0}")]
    UnexpectedContent(String),
    /// The message goes beyond one of the XML limits.
    #[error("the message is refused at byte {position}: {source}")]
    Limit {
        position: u64,
        source: crate::xml::LimitExceeded,
    },
    /// A Fault element lacks something SOAP requires of it.
    #[error("invalid SOAP fault: {0}")]
    InvalidFault(String),
}

impl SoapError {
    /// The fault to send back to whoever sent the refused message.
    pub fn to_fault(&self) -> SoapFault {
        let code = match self {
            Self::UnknownEnvelopeNamespace(_) => FaultCode::VersionMismatch,
            _ => FaultCode::Sender,
        };
        SoapFault::new(code, self.to_string())
    }

    pub(crate) fn malformed(position: u64, reason: impl ToString) -> Self {
        Self::Malformed {
            position,
            reason: reason.to_string(),
        }
    }
}

/// The errors of the transports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Listening or serving failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A configuration value is unusable.
    #[error("invalid transport configuration: {0}")]
    Config(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    ClientBuild(#[source] reqwest::Error),
    /// An endpoint URL is not one a transport can reach.
    #[error("invalid endpoint URL '{url}': {reason}")]
    InvalidUrl { url: String, reason: String },
    /// A SOAP action cannot be sent in an HTTP header.
    #[error("SOAP action '{0}' cannot be sent in an HTTP header")]
    InvalidAction(String),
    /// No connection could be made to the endpoint.
    #[error("cannot connect to {url}: {failure}: {source}")]
    Connect {
        url: String,
        failure: ConnectFailure,
        #[source]
        source: reqwest::Error,
    },
    /// The call did not complete within the request time-out (including the wait for a free
    /// connection slot).
    #[error("call to {url} timed out after {timeout:?} while {during}")]
    Timeout {
        url: String,
        timeout: Duration,
        during: &'static str,
    },
    /// The HTTP exchange failed after connecting.
    #[error("HTTP exchange with {url} failed: {source}")]
    Exchange {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The endpoint answered with something that is not a usable SOAP reply; `quoted` is
    /// the start of what it answered, with its content type.
    #[error("unexpected reply from {url} (HTTP {status}): {problem}: {quoted}")]
    UnexpectedReply {
        url: String,
        status: u16,
        problem: ReplyProblem,
        quoted: String,
    },
    /// Nothing is registered at a peer address.
    #[error("no peer is registered at '{0}'")]
    NoPeer(String),
    /// The peer's receiver went away before replying.
    #[error("the peer at '{0}' went away before replying")]
    PeerGone(String),
    /// An AMQP operation on a broker failed (the connection or channel is then unusable).
    #[error("AMQP broker {broker}: {during} failed: {source}")]
    Broker {
        broker: String,
        during: &'static str,
        #[source]
        source: lapin::Error,
    },
    /// The broker refused to take a published message (a negative publisher confirm).
    #[error("the broker refused the message for {url}")]
    NotConfirmed { url: String },
    /// The broker could not route a published message: the queue does not exist.
    #[error("the broker has no queue for {url}")]
    Unroutable { url: String },
    /// No transport of this server reaches the endpoint.
    #[error("no transport is configured for {0}")]
    NoTransport(String),
    /// The broker closed the consumers of a served queue or the reply queue of a client.
    #[error("the AMQP broker {0} closed the consumer")]
    Disconnected(String),
    /// A reply that came over AMQP is not a usable SOAP reply.
    #[error("unusable reply from {url}: {source}")]
    InvalidReply {
        url: String,
        #[source]
        source: SoapError,
    },
}

/// Why no connection could be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConnectFailure {
    /// The host refused the connection: nothing listens on the port.
    #[error("connection refused")]
    Refused,
    /// The host name does not resolve.
    #[error("the host name does not resolve")]
    UnknownHost,
    /// Anything else (unreachable network, TLS handshake, connect time-out, …).
    #[error("connection failed")]
    Other,
}

/// What is wrong with an HTTP reply to a SOAP call.
#[derive(Debug, thiserror::Error)]
pub enum ReplyProblem {
    /// A status outside 2xx without a SOAP fault.
    #[error("an error status without a SOAP fault")]
    ErrorStatus,
    /// A status a SOAP reply cannot have: 1xx or 3xx, a 2xx other than 200 carrying a reply
    /// to a request-response call, or a one-way call answered other than by 200 or 202.
    #[error("a status a SOAP reply to this call cannot have")]
    UnexpectedStatus,
    /// A request-response call answered with nothing.
    #[error("no reply to a request-response call")]
    Empty,
    /// The body is not a SOAP envelope of the call's version.
    #[error("not a SOAP reply ({0})")]
    Envelope(#[source] SoapError),
}

impl Error {
    /// Whether the call failed before its message could reach the partner (no connection, no
    /// free connection slot, no such peer or queue, refused by the broker), so that sending it
    /// again cannot make the partner handle it twice.
    pub fn never_delivered(&self) -> bool {
        match self {
            Self::Connect { .. }
            | Self::NoPeer(_)
            | Self::Unroutable { .. }
            | Self::NotConfirmed { .. } => true,
            Self::Timeout { during, .. } | Self::Broker { during, .. } => {
                matches!(*during, "waiting for a free connection" | "connecting")
            }
            _ => false,
        }
    }
}
