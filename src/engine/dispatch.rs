//! The engine as the transports see it: a SOAP request for a path becomes a message (its
//! header blocks and its normalised parts) for the service offered there; the process's reply
//! or fault goes back as a SOAP response (a reply names the request's WS-Addressing MessageID
//! in its RelatesTo).
//! Also publishes each service's WSDL on `GET …?wsdl`, with its addresses rewritten to where
//! this server offers it: its HTTP path here, or its AMQP queue (without credentials).
//!
//! Engine failures are Receiver faults. Those without a subcode mean the message was not
//! taken and may be sent again; a subcode in [`ENGINE_FAULTS_NS`] says it was taken. A
//! failure inside the server (the store, the instance's actor, a step that could not be
//! committed) is logged with an id, and its fault quotes only that id: database and program
//! error text never reaches the caller. An instance that is suspended, or whose step was
//! stopped (its budget, an operator), is said so, with the limit it exceeded; so is one that
//! was dropped (purged, undeployed) before it replied.

use std::sync::atomic::{AtomicU64, Ordering};

use baton_transports::soap::addressing;
use baton_transports::{Dispatcher, FaultCode, Request, Response, SoapFault};
use bytes::Bytes;

use super::binding::{self, Direction, Layout};
use super::instance::StepError;
use super::outbox::MessageId;
use super::peer::Origin;
use super::{faults, routing, Engine, Error};
use crate::interceptor::Message;
use crate::model::wsdl::{SOAP11_NS, SOAP12_NS, WSDL_NS};
use crate::runtime::step::ReplyOutcome;
use crate::xml::{self, QName};

/// The namespace of the subcodes of faults the engine (not the process) raises. `noReply`:
/// the instance took the message and committed, but no reply came in time; sending the
/// message again would run it twice, so transports that retry failed dispatches do not.
pub const ENGINE_FAULTS_NS: &str = crate::runtime::fault::BATON_FAULTS_NS;

fn sender_fault(reason: impl Into<String>) -> Response {
    Response::Fault(SoapFault {
        code: FaultCode::Sender,
        subcode: None,
        reason: reason.into(),
        detail: None,
    })
}

fn receiver_fault(reason: impl Into<String>) -> Response {
    Response::Fault(SoapFault {
        code: FaultCode::Receiver,
        subcode: None,
        reason: reason.into(),
        detail: None,
    })
}

impl Dispatcher for Engine {
    async fn dispatch(&self, request: Request) -> Response {
        let services = self.services();
        let Some(endpoint) = services.registry.endpoint(&request.address) else {
            return sender_fault(format!("no service is offered at {}", request.address));
        };
        let Some(process) = services.registry.process(&endpoint.pid) else {
            return receiver_fault(format!("process {} is not deployed", endpoint.pid));
        };
        let definitions = &process.unit.definitions;
        let binding = definitions.port_binding(&endpoint.service, &endpoint.port);
        let Some(binding) = binding else {
            return receiver_fault(format!(
                "service {} port {} has no binding",
                endpoint.service, endpoint.port
            ));
        };
        let forest = match self.parse_request_body(&request.body).await {
            Ok(forest) => forest,
            Err(refusal) => return refusal,
        };
        let input_element = |operation: &str| -> Option<QName> {
            let operation = definitions.operation(&binding.port_type, operation)?;
            let message = definitions.messages.get(operation.input.as_ref()?)?;
            match &message.parts.first()?.content {
                crate::model::PartContent::Element(element) => Some(element.clone()),
                crate::model::PartContent::Type(_) => None,
            }
        };
        let Some(binding_operation) = binding::identify_operation(
            &binding.operations,
            input_element,
            &forest,
            request.action.as_deref(),
        ) else {
            let first = forest
                .child_elements(forest.root())
                .next()
                .and_then(|n| forest.name(n).cloned());
            return sender_fault(format!(
                "service {} has no operation for a body starting with {}",
                endpoint.service,
                first.map_or("nothing".to_owned(), |name| name.to_string())
            ));
        };
        let Some(operation) = definitions.operation(&binding.port_type, &binding_operation.name)
        else {
            return receiver_fault(format!(
                "operation '{}' is not in port type {}",
                binding_operation.name, binding.port_type
            ));
        };
        let layout = Layout {
            operation: &operation.name,
            binding: Some(binding_operation),
        };
        let input = operation
            .input
            .as_ref()
            .and_then(|m| definitions.messages.get(m));
        let parts = match binding::decode(layout, input, &forest, Direction::Input) {
            Ok(parts) => parts,
            Err(error) => return sender_fault(error.to_string()),
        };
        let mut message = match Message::with_header_forest(&request.headers, parts) {
            Ok(message) => message,
            Err(error) => {
                return sender_fault(format!("the SOAP header is not well-formed XML: {error}"))
            }
        };
        let Message { headers, parts } = &mut message;
        let keep = |name: &QName| {
            !binding::is_engine_header(name) && !process.interceptors.understands_header(name)
        };
        let messages = &definitions.messages;
        binding::decode_headers(
            layout,
            input,
            messages,
            headers,
            parts,
            Direction::Input,
            keep,
        );
        let expects_reply = !operation.is_one_way();
        let message_id = addressing::message_id(&request.headers);
        let relates_to = message_id.clone();
        match services
            .invoke_service(
                &endpoint,
                &operation.name,
                message,
                expects_reply,
                message_id.map(MessageId::from_client),
                Origin::Outside,
            )
            .await
        {
            Ok(None) => Response::Accepted,
            Ok(Some(ReplyOutcome::Message(reply))) => {
                let output = operation
                    .output
                    .as_ref()
                    .and_then(|m| definitions.messages.get(m));
                let body = binding::encode(layout, output, &reply, Direction::Output);
                let parts = binding::encode_headers(
                    layout,
                    output,
                    &definitions.messages,
                    &reply,
                    Direction::Output,
                );
                let mut headers = routing::reply_headers(relates_to);
                if !parts.is_empty() {
                    headers = [headers, Bytes::from(parts)].concat().into();
                }
                Response::Reply {
                    body: Bytes::from(body),
                    headers,
                }
            }
            Ok(Some(ReplyOutcome::Fault(fault))) => Response::Fault(faults::to_soap(
                definitions,
                Some(operation),
                Some(&binding.port_type),
                &fault,
            )),
            Err(error) if error.refuses_message() => sender_fault(error.to_string()),
            Err(error @ (Error::ReplyTimeout(_) | Error::NoReply)) => Response::Fault(SoapFault {
                code: FaultCode::Receiver,
                subcode: Some((ENGINE_FAULTS_NS.to_owned(), "noReply".to_owned())),
                reason: error.to_string(),
                detail: None,
            }),
            Err(
                error @ (Error::NoProcess(_)
                | Error::Abandoned(_)
                | Error::Step(StepError::Suspended { .. } | StepError::Stopped { .. })),
            ) => receiver_fault(error.to_string()),
            Err(error) => internal_fault(&request.address, &error),
        }
    }

    fn describe(&self, address: &str, base_url: &str) -> Option<Bytes> {
        let services = self.services();
        let endpoint = services.registry.endpoint(address)?;
        let process = services.registry.process(&endpoint.pid)?;
        let definitions = &process.unit.definitions;
        let endpoints = services.registry.endpoints();
        definitions.documents.values().find_map(|text| {
            let mut document = xml::parse(text.as_bytes()).ok()?;
            let root = document.document_element()?;
            let defines_service = document.child_elements(root).any(|child| {
                document
                    .name(child)
                    .is_some_and(|n| n.ns == WSDL_NS && n.local == "service")
                    && document.attribute(child, "", "name")
                        == Some(endpoint.service.local.as_str())
            });
            if !defines_service {
                return None;
            }
            rewrite_addresses(&mut document, &endpoints, base_url);
            Some(Bytes::from(document.to_xml(document.root())))
        })
    }

    fn ready(&self) -> bool {
        self.is_ready()
    }

    /// WS-Addressing and session headers, the headers the operations' input bindings name
    /// (`soap:header`), and those the process's interceptors declare.
    fn understands_header(&self, address: &str, namespace: &str, local: &str) -> bool {
        if namespace == addressing::WSA_NS || super::session::understands(namespace) {
            return true;
        }
        let services = self.services();
        let Some(endpoint) = services.registry.endpoint(address) else {
            return false;
        };
        let Some(process) = services.registry.process(&endpoint.pid) else {
            return false;
        };
        let name = QName::new(namespace, local);
        if process.interceptors.understands_header(&name) {
            return true;
        }
        let definitions = &process.unit.definitions;
        let binding = definitions.port_binding(&endpoint.service, &endpoint.port);
        binding.is_some_and(|binding| {
            binding.operations.iter().any(|binding_operation| {
                binding_operation.input_headers.iter().any(|header| {
                    definitions
                        .messages
                        .get(&header.message)
                        .and_then(|message| message.parts.iter().find(|p| p.name == header.part))
                        .is_some_and(|part| {
                            part.content == crate::model::PartContent::Element(name.clone())
                        })
                })
            })
        })
    }
}

/// The fault for a failure inside the server: the log gets the error under a fresh id, the
/// caller only the id, and whether the store was unavailable (worth sending again later).
fn internal_fault(address: &str, error: &Error) -> Response {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let id = format!(
        "{:x}-{}",
        super::now_ms(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    tracing::error!(error_id = %id, address, %error, "a request failed inside the server");
    let what = match error {
        Error::Store(crate::store::Error::Unavailable(_))
        | Error::Step(StepError::StoreUnavailable(_)) => "the store is unavailable",
        _ => "the server could not process the message",
    };
    receiver_fault(format!("{what} (error id {id}; its log has the details)"))
}

impl Engine {
    /// Parses the Body forest of an inbound request within the configured XML limits; a
    /// large one on the blocking thread pool, so that the HTTP worker stays free.
    async fn parse_request_body(&self, body: &Bytes) -> Result<xml::Document, Response> {
        let services = self.services();
        let mut limits = services.config.xml.clone();
        // The envelope reader declared the bindings in scope on each top-level element.
        limits.max_namespace_declarations = limits
            .max_namespace_declarations
            .max(limits.max_namespaces_in_scope);
        let options = xml::ParseOptions {
            limits,
            fragment: true,
            ..xml::ParseOptions::default()
        };
        let parsed = if body.len() <= services.config.server.blocking_parse_bytes {
            xml::parse_with(body, &options)
        } else {
            let body = body.clone();
            match tokio::task::spawn_blocking(move || xml::parse_with(&body, &options)).await {
                Ok(parsed) => parsed,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => return Err(receiver_fault("the server is shutting down")),
            }
        };
        parsed.map_err(|error| sender_fault(error.to_string()))
    }
}

/// Points every soap:address of a served port at where this server offers it.
fn rewrite_addresses(
    document: &mut xml::Document,
    endpoints: &[super::ServiceEndpoint],
    base_url: &str,
) {
    let Some(root) = document.document_element() else {
        return;
    };
    let target_namespace = document
        .attribute(root, "", "targetNamespace")
        .unwrap_or_default()
        .to_owned();
    let services: Vec<_> = document
        .child_elements(root)
        .filter(|&n| {
            document
                .name(n)
                .is_some_and(|name| name.ns == WSDL_NS && name.local == "service")
        })
        .collect();
    for service in services {
        let service_name = QName::new(
            target_namespace.as_str(),
            document.attribute(service, "", "name").unwrap_or_default(),
        );
        let ports: Vec<_> = document.child_elements(service).collect();
        for port in ports {
            let port_name = document
                .attribute(port, "", "name")
                .unwrap_or_default()
                .to_owned();
            let Some(endpoint) = endpoints
                .iter()
                .find(|e| e.service == service_name && e.port == port_name)
            else {
                continue;
            };
            let addresses: Vec<_> = document
                .child_elements(port)
                .filter(|&n| {
                    document.name(n).is_some_and(|name| {
                        (name.ns == SOAP11_NS || name.ns == SOAP12_NS) && name.local == "address"
                    })
                })
                .collect();
            for address in addresses {
                document.set_attribute(address, QName::new("", "location"), endpoint.url(base_url));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the log writes.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);

    impl Write for Log {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn internal_failures_reach_the_caller_as_an_id_the_log_explains() {
        let error = Error::Store(crate::store::Error::Conflict {
            id: 7,
            expected: 1,
            actual: 2,
        });
        let log = Log::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let dispatch = tracing::Dispatch::new(subscriber);
        let reasons: Vec<String> = (0..2)
            .map(|_| {
                let response =
                    tracing::dispatcher::with_default(&dispatch, || internal_fault("/svc", &error));
                match response {
                    Response::Fault(fault) => {
                        assert_eq!(fault.code, FaultCode::Receiver);
                        assert!(fault.detail.is_none());
                        fault.reason
                    }
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        for reason in &reasons {
            assert!(!reason.contains("revision"), "{reason}");
            assert!(!reason.contains("instance 7"), "{reason}");
            let id = reason
                .split("error id ")
                .nth(1)
                .and_then(|rest| rest.split(';').next())
                .expect("the fault quotes an error id");
            let line = logged
                .lines()
                .find(|line| line.contains(&format!("error_id={id}")))
                .unwrap_or_else(|| panic!("no log line for {id}: {logged}"));
            assert!(
                line.contains("instance 7 was modified concurrently"),
                "{line}"
            );
        }
        assert_ne!(reasons[0], reasons[1], "each failure has its own id");
    }
}
