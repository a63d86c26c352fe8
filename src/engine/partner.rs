//! The actor of a partner link that invokes: it resolves where each call goes and performs
//! it without blocking the instance, then hands the outcome back to the instance as an
//! event.
//!
//! Where a call goes, in order: an endpoint assigned at run time; the endpoint reference of
//! deploy.xml's `<invoke>` (a `local:` address in memory); the service named by the
//! `<invoke>`, in memory (peer-to-peer) when a process of this server provides it and
//! `usePeer2Peer` is not false, or where this server offers it (its HTTP endpoint or its AMQP
//! queue) when it is or when the partner link's `<baton:link transport>` names a network
//! transport; otherwise the service port's `soap:address`. Calls that are not peer-to-peer go
//! through the [`baton_transports::Transports`] the endpoint's scheme picks: `http(s)://` over SOAP/HTTP,
//! `amqp(s)://…/queue` over AMQP. The partner link's time-out, retries, bound on calls in
//! flight and WS-Addressing headers are [`super::routing`]'s.
//!
//! Every call carries its message id; a one-way message its partner has taken (or refused for
//! good) leaves the outbox here, and one whose sending failed otherwise is sent again after a
//! pause that doubles from `[engine] outbox-retry-initial-ms` up to `outbox-retry-max-ms`; a
//! request's outbox entry goes with the step that takes its outcome (see [`super::outbox`]).
//! Each call that goes somewhere is timed, by transport and outcome ([`crate::metrics`]).

use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use baton_transports::{Endpoint, FaultCode, Outbound, Response, SoapFault, SoapVersion};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::binding::{self, Direction, Layout};
use super::instance::Delivery;
use super::outbox::MessageId;
use super::peer::{Origin, PeerCall, PeerReply};
use super::routing::{default_action, LinkRoute, Local};
use super::undelivered::UndeliveredCall;
use super::Services;
use super::{faults, partner_failures, rest};
use crate::auth::Presented;
use crate::compiler::rest_light;
use crate::metrics::{Outcome, Transport};
use crate::model::{Binding, PartnerLinkId, SoapVersion as WsdlSoapVersion};
use crate::runtime::partner_failure::{FailureKind, InvokeFailure};
use crate::runtime::session::Sessions;
use crate::runtime::step::ReplyOutcome;
use crate::runtime::{Event, ExchangeId, InvokeOutcome};
use crate::store::{Durable, MemoryStore};
use crate::xml::{Document, QName};

/// Invoke a partner for an instance.
#[derive(Debug, Serialize, Deserialize)]
pub struct Call {
    pub pid: String,
    pub instance: i64,
    pub exchange: ExchangeId,
    /// The message's id, the same on every sending (see [`super::outbox`]).
    pub message_id: String,
    /// Whether this is the message's first sending, by the step that made it: not when it
    /// is read back from the outbox, nor when it is sent again after a failure.
    #[serde(skip)]
    pub first_sending: bool,
    /// How often this server sent a one-way message again after its sending failed.
    #[serde(default)]
    pub attempt: u32,
    pub operation: String,
    pub message: Document,
    /// The SOAP header blocks to send, as a forest (interceptors may add them).
    pub headers: Document,
    pub one_way: bool,
    pub endpoint: Option<String>,
    /// The sessions the call names (its header blocks name them already).
    #[serde(default)]
    pub sessions: Sessions,
    /// When the step that made the call is durable: the call leaves the server only then.
    /// A call read back from the outbox was durable when stored.
    #[serde(skip)]
    pub durable: Durable,
}

impl Message for Call {
    type Result = ();
}

/// One partner link of one process version.
pub struct PartnerLinkActor {
    pub services: Arc<Services>,
    pub partner_link: PartnerLinkId,
    /// The partner link's name, for logs.
    pub name: String,
    /// deploy.xml `<invoke>`: service, port and whether peer-to-peer is allowed.
    pub service: Option<(QName, String)>,
    pub use_peer2peer: bool,
    /// The partner role's port type.
    pub port_type: Option<QName>,
    pub unit: Arc<crate::model::Unit>,
    /// deploy.xml's endpoint reference and link settings for the partner link.
    pub route: Arc<LinkRoute>,
}

impl Actor for PartnerLinkActor {
    type Context = Context<Self>;
}

/// Where one call goes.
enum Target {
    Peer(Arc<super::registry::ServiceEndpoint>),
    Remote {
        endpoint: Endpoint,
        binding: Option<Binding>,
    },
}

/// The endpoint of a partner's URL, or why it cannot be one.
fn endpoint(url: &str) -> Result<Endpoint, String> {
    Endpoint::parse(url).map_err(|error| error.to_string())
}

impl PartnerLinkActor {
    fn target(&self, assigned: Option<&str>) -> Result<Target, String> {
        let binding_of = |service: &QName, port: &str| -> Option<Binding> {
            let definitions = &self.unit.definitions;
            let port = definitions
                .services
                .get(service)?
                .ports
                .iter()
                .find(|p| p.name == port)?;
            definitions.bindings.get(&port.binding).cloned()
        };
        if let Some(url) = assigned {
            // A REST extension activity's partner link has the compiler's binding.
            let rest_light = self.port_type.as_ref() == Some(&rest_light::port_type());
            let binding = match &self.service {
                Some((service, port)) => binding_of(service, port),
                None if rest_light => self
                    .unit
                    .definitions
                    .bindings
                    .get(&rest_light::binding())
                    .cloned(),
                None => None,
            };
            return Ok(Target::Remote {
                endpoint: endpoint(url)?,
                binding,
            });
        }
        let Some((service, port)) = &self.service else {
            return Err(format!(
                "partner link '{}' has no <invoke> binding in deploy.xml",
                self.name
            ));
        };
        let services = &self.services;
        let local = match self.route.referenced(services) {
            Some(referenced) => Some(referenced?),
            None => services
                .registry
                .provided(service, port)
                .map(|provided| self.route.local(services, provided, self.use_peer2peer))
                .transpose()?,
        };
        match local {
            Some(Local::Peer(endpoint)) => return Ok(Target::Peer(endpoint)),
            Some(Local::Remote(endpoint)) => {
                return Ok(Target::Remote {
                    endpoint,
                    binding: binding_of(service, port),
                })
            }
            None => {}
        }
        let definitions = &self.unit.definitions;
        let address = definitions
            .port(service, port)
            .and_then(|p| p.address.clone())
            .ok_or_else(|| {
                format!("service {service} port {port} has no address and is not deployed here")
            })?;
        let endpoint = endpoint(&address)?;
        self.route.fits(&endpoint)?;
        Ok(Target::Remote {
            endpoint,
            binding: binding_of(service, port),
        })
    }
}

impl Handler<Call> for PartnerLinkActor {
    type Result = ();

    fn handle(&mut self, call: Call, context: &mut Context<Self>) {
        let target = self.target(call.endpoint.as_deref());
        let via = match &target {
            Ok(Target::Peer(_)) => "peer",
            Ok(Target::Remote {
                endpoint: Endpoint::Http(_),
                ..
            }) => "http",
            Ok(Target::Remote {
                endpoint: Endpoint::Amqp(_),
                ..
            }) => "amqp",
            Ok(Target::Remote {
                endpoint: Endpoint::Local(_),
                ..
            }) => "local",
            Err(_) => "nowhere",
        };
        tracing::debug!(partner_link = %self.name, operation = %call.operation, via = %via, instance = call.instance, "Invoking partner");
        let services = self.services.clone();
        let unit = self.unit.clone();
        let port_type = self.port_type.clone();
        let name = self.name.clone();
        let route = self.route.clone();
        let myself = context.address();
        actix::spawn(async move {
            let _slot = route.slot().await;
            // Whether the partner took the message: then it is not sent again.
            let (outcome, answered) = match target {
                Err(reason) => (
                    InvokeOutcome::failed(FailureKind::Unavailable, reason),
                    false,
                ),
                Ok(Target::Peer(endpoint)) => {
                    let peer_call = PeerCall {
                        operation: call.operation.clone(),
                        message: call.message.clone(),
                        headers: call.headers.clone(),
                        expects_reply: !call.one_way,
                        message_id: MessageId {
                            id: call.message_id.clone(),
                            first_sending: call.first_sending,
                        },
                        origin: match MemoryStore::holds(call.instance) {
                            true => Origin::Outside,
                            false => Origin::DurableStep(call.durable.clone()),
                        },
                    };
                    let delivery =
                        async { Ok(services.peers.call(&endpoint.path, peer_call).await) };
                    let started = Instant::now();
                    let called = match route.within(delivery, Err).await {
                        Err(limit) => (
                            InvokeOutcome::failed(
                                FailureKind::Timeout,
                                format!("the call timed out after {limit:?}"),
                            ),
                            false,
                        ),
                        Ok(reply) => peer_outcome(reply),
                    };
                    let outcome = Outcome::of_invoke(&called.0);
                    services
                        .metrics
                        .sent(Transport::Peer, outcome, started.elapsed());
                    called
                }
                Ok(Target::Remote { endpoint, binding }) => {
                    if let Err(error) = call.durable.clone().wait().await {
                        tracing::error!(partner_link = %name, instance = call.instance, message_id = %call.message_id, %error, "Invoke not sent: the step making it cannot be said to be stored");
                        return;
                    }
                    let started = Instant::now();
                    let called = call_remote(
                        &services,
                        &route,
                        &unit,
                        port_type.as_ref(),
                        binding.as_ref(),
                        &endpoint,
                        &call,
                    )
                    .await;
                    let (transport, outcome) =
                        (Transport::of(&endpoint), Outcome::of_invoke(&called.0));
                    services.metrics.sent(transport, outcome, started.elapsed());
                    called
                }
            };
            if call.one_way {
                match &outcome {
                    InvokeOutcome::Failure(InvokeFailure { reason, .. }) if !answered => {
                        let pause = services.config.engine.outbox_retry_pause(call.attempt);
                        tracing::warn!(partner_link = %name, instance = call.instance, message_id = %call.message_id, %reason, retry_in_ms = pause.as_millis() as u64, "One-way invoke failed; kept in the outbox, sent again");
                        let undelivered = UndeliveredCall {
                            message_id: call.message_id.clone(),
                            partner_link: name.to_string(),
                            operation: call.operation.clone(),
                            attempts: call.attempt.saturating_add(1),
                            reason: reason.clone(),
                        };
                        services.undelivered.failed(call.instance, undelivered);
                        tokio::time::sleep(pause).await;
                        myself.do_send(Call {
                            attempt: call.attempt.saturating_add(1),
                            first_sending: false,
                            ..call
                        });
                        return;
                    }
                    InvokeOutcome::Failure(InvokeFailure { reason, .. })
                    | InvokeOutcome::Fault { reason, .. } => {
                        tracing::warn!(partner_link = %name, instance = call.instance, %reason, "One-way invoke failed: refused by its partner");
                    }
                    InvokeOutcome::Reply(_) => {}
                }
                services.undelivered.settled(&call.message_id);
                let store = services.instances.of_instance(call.instance);
                if let Err(error) = store.delivered(&call.message_id).await {
                    tracing::warn!(instance = call.instance, message_id = %call.message_id, %error, "Delivered message left in the outbox");
                }
                return;
            }
            let event = Event::InvokeDone {
                exchange: call.exchange,
                outcome,
            };
            let delivery = Delivery::early(event);
            if let Err(error) = services.deliver(&call.pid, call.instance, delivery).await {
                tracing::warn!(instance = call.instance, %error, "Invoke outcome not delivered");
            }
        });
    }
}

/// The outcome of a call to a process of this server, and whether the process took the
/// message (or refused it for good).
fn peer_outcome(reply: Result<PeerReply, baton_transports::Error>) -> (InvokeOutcome, bool) {
    match reply {
        Ok(Ok(None)) => (InvokeOutcome::Reply(crate::runtime::message::empty()), true),
        Ok(Ok(Some(ReplyOutcome::Message(message)))) => (InvokeOutcome::Reply(message), true),
        Ok(Ok(Some(ReplyOutcome::Fault(fault)))) => (
            InvokeOutcome::Fault {
                name: fault.name,
                data: fault.data,
                reason: fault.reason,
            },
            true,
        ),
        Ok(Err(error)) => (
            InvokeOutcome::failed(FailureKind::Unavailable, error.reason),
            error.refused,
        ),
        Err(error) => (partner_failures::transport_failure(&error), false),
    }
}

/// Calls a partner over the transport its endpoint needs, encoding and decoding as its
/// binding says; says too whether the partner took the message (or refused it for good).
async fn call_remote(
    services: &Services,
    route: &LinkRoute,
    unit: &crate::model::Unit,
    port_type: Option<&QName>,
    binding: Option<&Binding>,
    endpoint: &Endpoint,
    call: &Call,
) -> (InvokeOutcome, bool) {
    let definitions = &unit.definitions;
    let operation =
        port_type.and_then(|port_type| definitions.operation(port_type, &call.operation));
    let binding_operation =
        binding.and_then(|b| b.operations.iter().find(|o| o.name == call.operation));
    let layout = Layout {
        operation: &call.operation,
        binding: binding_operation,
    };
    let input = operation
        .and_then(|o| o.input.as_ref())
        .and_then(|m| definitions.messages.get(m));
    if let Some(http) = binding_operation.and_then(|o| o.http.as_ref()) {
        let called = rest::Called {
            http,
            definitions,
            operation,
            port_type,
        };
        let address = endpoint.to_string();
        return rest::call(services, route, &called, &address, &call.message).await;
    }
    let body = binding::encode(layout, input, &call.message, Direction::Input);
    let version = match binding.map(|b| b.version) {
        Some(WsdlSoapVersion::Soap12) => SoapVersion::Soap12,
        _ => SoapVersion::Soap11,
    };
    let action = binding_operation.and_then(|o| o.soap_action.clone());
    // An empty soapAction names no action: WS-Addressing's default action is sent instead
    // of an empty wsa:Action, which partners refuse.
    let wsa_action = action
        .clone()
        .filter(|action| !action.is_empty())
        .unwrap_or_else(|| default_action(port_type, &call.operation));
    let message = Outbound {
        version,
        action,
        headers: [
            route.headers(
                services,
                endpoint,
                wsa_action,
                &call.message_id,
                &call.sessions,
            ),
            Bytes::from(call.headers.to_xml(call.headers.root())),
            Bytes::from(binding::encode_headers(
                layout,
                input,
                &definitions.messages,
                &call.message,
                Direction::Input,
            )),
        ]
        .concat()
        .into(),
        body: Bytes::from(body),
        expect_reply: !call.one_way,
        timeout: None,
        message_id: Some(call.message_id.clone()),
        authorization: route.settings.credentials.as_ref().map(Presented::header),
    };
    let response = route.send(&services.transports, endpoint, message).await;
    let outcome = match response {
        Err(error) => partner_failures::transport_failure(&error),
        Ok(Response::Fault(fault)) if !took(&fault) => {
            let outcome = faults::from_soap(definitions, operation, port_type, fault);
            return (outcome, false);
        }
        Ok(Response::Accepted) => InvokeOutcome::Reply(crate::runtime::message::empty()),
        Ok(Response::Reply { body, headers }) => {
            let output = operation
                .and_then(|o| o.output.as_ref())
                .and_then(|m| definitions.messages.get(m));
            let decoded = binding::parse_body(&body)
                .and_then(|forest| binding::decode(layout, output, &forest, Direction::Output))
                .and_then(|mut message| {
                    if !headers.is_empty() {
                        let headers = binding::parse_body(&headers)?;
                        let direction = Direction::Output;
                        let keep = |name: &QName| !binding::is_engine_header(name);
                        let messages = &definitions.messages;
                        let (forest, message_doc) = (&headers, &mut message);
                        binding::decode_headers(
                            layout,
                            output,
                            messages,
                            forest,
                            message_doc,
                            direction,
                            keep,
                        );
                    }
                    Ok(message)
                });
            match decoded {
                Ok(message) => InvokeOutcome::Reply(message),
                Err(error) => partner_failures::misfit(endpoint, &error),
            }
        }
        Ok(Response::Fault(fault)) => faults::from_soap(definitions, operation, port_type, fault),
    };
    let took = match &outcome {
        InvokeOutcome::Failure(failure) => !failure.kind.is_transient(),
        _ => true,
    };
    (outcome, took)
}

/// Whether a partner that answered `fault` took the message: a Receiver fault without a
/// subcode is a server that failed before taking it (this server's engine answers so, see
/// [`super::dispatch`]), which may take it when it is sent again.
fn took(fault: &SoapFault) -> bool {
    !(fault.code == FaultCode::Receiver && fault.subcode.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_failing_before_it_takes_a_message_gets_it_again() {
        assert!(!took(&SoapFault::new(
            FaultCode::Receiver,
            "the store is down"
        )));
        assert!(took(&SoapFault::new(
            FaultCode::Sender,
            "not a valid order"
        )));
        let answered = SoapFault {
            subcode: Some(("urn:example:orders".into(), "unknownItem".into())),
            ..SoapFault::new(FaultCode::Receiver, "no such item")
        };
        assert!(took(&answered));
    }
}
