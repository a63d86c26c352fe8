//! The transport-neutral messages exchanged with the engine, and the [`Dispatcher`] the engine
//! implements to receive them.
//!
//! Every transport turns what it receives into a [`Request`], calls
//! [`Dispatcher::dispatch`], and renders the [`Response`] in its own terms.

use std::future::Future;

use bytes::Bytes;

use crate::soap::{SoapFault, SoapVersion};

/// A transport-neutral request as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The HTTP path (`/ode/processes/HelloWorld`), or a peer address.
    pub address: String,
    /// The SOAPAction header (1.1) or the `action` parameter of the content type (1.2),
    /// quotes stripped; `None` when absent or empty.
    pub action: Option<String>,
    /// The SOAP version the request came in, which the reply must use.
    pub version: SoapVersion,
    /// The soap:Header child elements, as a standalone XML forest.
    pub headers: Bytes,
    /// The soap:Body child elements, as a standalone XML forest.
    pub body: Bytes,
}

/// What the engine answers to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// A reply: an envelope wrapping these forests (HTTP 200).
    Reply { body: Bytes, headers: Bytes },
    /// A one-way message was taken (HTTP 202, empty body).
    Accepted,
    /// A fault.
    Fault(SoapFault),
}

/// Implemented by the engine; called by every transport for every inbound message.
pub trait Dispatcher: Clone + Send + Sync + 'static {
    /// Handles one inbound request.
    fn dispatch(&self, request: Request) -> impl Future<Output = Response> + Send;

    /// The service description for `GET {address}?wsdl`, with its addresses rewritten to
    /// `base_url` (e.g. `http://127.0.0.1:8080`); `None` answers 404.
    fn describe(&self, address: &str, base_url: &str) -> Option<Bytes>;

    /// Whether the server is ready (deployments loaded): drives `GET /health`.
    fn ready(&self) -> bool;

    /// Whether the service at `address` understands the header block `{namespace}local`. A
    /// request carrying a header block with `mustUnderstand` that it does not understand is
    /// answered with a MustUnderstand fault and not dispatched. None is, unless implemented.
    fn understands_header(&self, address: &str, namespace: &str, local: &str) -> bool {
        let _ = (address, namespace, local);
        false
    }
}
