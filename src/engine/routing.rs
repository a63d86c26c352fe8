//! How the calls of one partner link travel, as deploy.xml sets it: the endpoint reference
//! that replaces the WSDL address, the transport the calls must take, their time-out, how
//! often a call that never reached the partner is sent again, how many may be in flight at
//! once, and the WS-Addressing headers each carries.
//!
//! [`super::partner`] resolves each call's target with [`LinkRoute`] and sends it through
//! [`LinkRoute::send`]; what the headers say is decided here, how they are written is
//! [`baton_transports::soap::Addressing`]'s business.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use baton_transports::soap::addressing::Addressing;
use baton_transports::{Endpoint, Outbound, Response, Transport, Transports};
use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::registry::ServiceEndpoint;
use super::{session, Services};
use crate::model::{EndpointReference, InvokeBinding, LinkSettings, LinkTransport};
use crate::runtime::session::Sessions;
use crate::xml::QName;

/// The routing of one invoking partner link.
pub struct LinkRoute {
    /// The endpoint reference of deploy.xml's `<invoke>`, replacing the WSDL address.
    pub endpoint: Option<EndpointReference>,
    pub settings: LinkSettings,
    /// The service offered for the partner link's myRole (its `<provide>`), whose address
    /// calls name as their `wsa:ReplyTo`.
    pub my_service: Option<(QName, String)>,
    /// The calls in flight, when deploy.xml bounds them.
    in_flight: Option<Arc<Semaphore>>,
}

/// Where a call of a service of this server goes, when the partner link does not choose.
pub enum Local {
    Peer(Arc<ServiceEndpoint>),
    Remote(Endpoint),
}

impl LinkRoute {
    /// The routing `invoke` sets (none: every default), with `my_service` for replies.
    pub fn new(invoke: Option<&InvokeBinding>, my_service: Option<(QName, String)>) -> Self {
        let settings = invoke.map(|i| i.link.clone()).unwrap_or_default();
        let in_flight = settings
            .max_concurrent_calls
            .map(|calls| Arc::new(Semaphore::new(calls)));
        Self {
            endpoint: invoke.and_then(|i| i.endpoint.clone()),
            settings,
            my_service,
            in_flight,
        }
    }

    /// The target the endpoint reference names: a `local:` address is a service of this
    /// server, reached in memory; any other goes over its transport.
    pub fn referenced(&self, services: &Services) -> Option<Result<Local, String>> {
        let reference = self.endpoint.as_ref()?;
        Some(match Endpoint::parse(&reference.address) {
            Ok(Endpoint::Local(path)) => services
                .registry
                .endpoint(&path)
                .map(Local::Peer)
                .ok_or_else(|| {
                    format!(
                        "endpoint reference {}: no service of this server is at {path}",
                        reference.file
                    )
                }),
            Ok(endpoint) => Ok(Local::Remote(endpoint)),
            Err(error) => Err(error.to_string()),
        })
    }

    /// How a service of this server is called: in memory unless the partner link names a
    /// network transport (or turned peer-to-peer off), else where the service is offered
    /// over that transport.
    pub fn local(
        &self,
        services: &Services,
        endpoint: Arc<ServiceEndpoint>,
        use_peer2peer: bool,
    ) -> Result<Local, String> {
        let http = || Endpoint::parse(&format!("{}{}", services.base_url(), endpoint.path));
        let chosen = match self.settings.transport {
            Some(LinkTransport::Peer) => return Ok(Local::Peer(endpoint)),
            None if use_peer2peer => return Ok(Local::Peer(endpoint)),
            Some(LinkTransport::Http) => http(),
            Some(LinkTransport::Amqp) => match &endpoint.amqp {
                Some(amqp) => Ok(Endpoint::Amqp(amqp.clone())),
                None => {
                    return Err(format!(
                        "service {} is not served from a queue, and the partner link's \
                         transport is amqp",
                        endpoint.service
                    ))
                }
            },
            None => Endpoint::parse(&endpoint.url(services.base_url())),
        };
        chosen.map(Local::Remote).map_err(|error| error.to_string())
    }

    /// Checks that a partner's address fits the partner link's transport.
    pub fn fits(&self, endpoint: &Endpoint) -> Result<(), String> {
        let fits = matches!(
            (self.settings.transport, endpoint),
            (None, _)
                | (Some(LinkTransport::Http), Endpoint::Http(_))
                | (Some(LinkTransport::Amqp), Endpoint::Amqp(_))
                | (Some(LinkTransport::Peer), Endpoint::Local(_))
        );
        if fits {
            Ok(())
        } else {
            Err(format!(
                "the partner link's transport cannot reach {endpoint}: the partner is not a \
                 service of this server"
            ))
        }
    }

    /// The call's time-out, when deploy.xml sets one.
    pub fn timeout(&self) -> Option<Duration> {
        self.settings.timeout_ms.map(Duration::from_millis)
    }

    /// `call`'s outcome, or `timed_out`'s when the partner link's time-out passes first.
    pub async fn within<T>(
        &self,
        call: impl Future<Output = T>,
        timed_out: impl FnOnce(Duration) -> T,
    ) -> T {
        match self.timeout() {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .unwrap_or_else(|_| timed_out(limit)),
            None => call.await,
        }
    }

    /// Waits for a free slot when the partner link bounds its calls in flight; calls wait in
    /// the order they asked. The slot is held until the returned permit drops.
    pub async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        let semaphore = Arc::clone(self.in_flight.as_ref()?);
        semaphore.acquire_owned().await.ok()
    }

    /// The WS-Addressing headers of a call to `endpoint` with `action`, for the message
    /// `message_id` (see [`super::outbox`]): To, Action, MessageID, ReplyTo (where the
    /// partner link's myRole is offered, when it has one here, naming the caller's session of
    /// `sessions`) and the endpoint reference's parameters.
    pub fn headers(
        &self,
        services: &Services,
        endpoint: &Endpoint,
        action: String,
        message_id: &str,
        sessions: &Sessions,
    ) -> Bytes {
        let reply_to = self
            .my_service
            .as_ref()
            .and_then(|(service, port)| services.registry.provided(service, port))
            .map(|mine| mine.url(services.base_url()));
        let addressing = Addressing {
            to: Some(endpoint.to_string()),
            action: Some(action),
            message_id: Some(message_id.to_owned()),
            relates_to: None,
            reply_to,
            reply_parameters: session::reply_parameters(sessions),
            reference_parameters: self
                .endpoint
                .as_ref()
                .map(|e| e.reference_parameters.clone())
                .unwrap_or_default(),
        };
        Bytes::from(addressing.to_headers())
    }

    /// Sends `message`, again up to the partner link's `retries` times while the failure
    /// says that it never reached the partner (sending it again cannot make the partner act
    /// twice); the time-out applies to each attempt.
    pub async fn send(
        &self,
        transports: &Transports,
        endpoint: &Endpoint,
        mut message: Outbound,
    ) -> Result<Response, baton_transports::Error> {
        message.timeout = self.timeout();
        let mut retries_left = self.settings.retries;
        loop {
            match transports.send(endpoint, message.clone()).await {
                Err(error) if retries_left > 0 && error.never_delivered() => {
                    retries_left -= 1;
                    tracing::info!(%endpoint, %error, retries_left, "Call not delivered; sending it again");
                }
                outcome => return outcome,
            }
        }
    }
}

/// The WS-Addressing action of an operation without a soapAction: the default action
/// pattern of WS-Addressing 1.0 Metadata, `{namespace}/{port type}/{operation}`.
pub fn default_action(port_type: Option<&QName>, operation: &str) -> String {
    match port_type {
        Some(port_type) => {
            let namespace = port_type.ns.trim_end_matches(['/', ':']);
            let separator = if port_type.ns.starts_with("urn:") {
                ":"
            } else {
                "/"
            };
            format!(
                "{namespace}{separator}{}{separator}{operation}",
                port_type.local
            )
        }
        None => operation.to_owned(),
    }
}

/// The headers of a reply to a request whose `wsa:MessageID` was `message_id`: a
/// `wsa:RelatesTo` naming it, if it had one.
pub fn reply_headers(message_id: Option<String>) -> Bytes {
    let Some(id) = message_id else {
        return Bytes::new();
    };
    let addressing = Addressing {
        relates_to: Some(id),
        ..Addressing::default()
    };
    Bytes::from(addressing.to_headers())
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_transports::soap::addressing;

    #[test]
    fn default_actions_follow_the_namespace_style() {
        let http = QName::new("http://example.com/orders/", "OrderPT");
        assert_eq!(
            default_action(Some(&http), "place"),
            "http://example.com/orders/OrderPT/place"
        );
        let urn = QName::new("urn:baton:samples:async", "ServerPortType");
        assert_eq!(
            default_action(Some(&urn), "process"),
            "urn:baton:samples:async:ServerPortType:process"
        );
        assert_eq!(default_action(None, "op"), "op");
    }

    #[test]
    fn replies_relate_to_the_request_message_id() {
        let request = format!(
            r#"<wsa:MessageID xmlns:wsa="{}">urn:uuid:1</wsa:MessageID>"#,
            addressing::WSA_NS
        );
        let headers = reply_headers(addressing::message_id(request.as_bytes()));
        assert_eq!(
            std::str::from_utf8(&headers).unwrap(),
            format!(
                r#"<wsa:RelatesTo xmlns:wsa="{}">urn:uuid:1</wsa:RelatesTo>"#,
                addressing::WSA_NS
            )
        );
        assert!(reply_headers(addressing::message_id(b"")).is_empty());
    }
}
