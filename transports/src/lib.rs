//! Transports for the Baton process server: how messages get in and out of the engine.
//!
//! This crate knows SOAP envelopes, HTTP, AMQP and in-process delivery, and nothing about BPEL
//! or WSDL. The engine implements [`Dispatcher`] and hands it to [`http::serve`] and
//! [`amqp::serve`]; every inbound message arrives as a transport-neutral [`Request`] whose
//! header and body are standalone XML forests, and leaves as a [`Response`]. Outbound invokes
//! go to an [`Endpoint`] over a [`Transport`]: [`http::HttpClient`] or [`amqp::AmqpClient`].
//! Calls between processes of one server go through a [`peer::PeerRegistry`] of the engine's
//! own message types, without serialisation.

pub mod amqp;
pub mod error;
pub mod http;
pub mod message;
pub mod peer;
pub mod soap;
pub mod transport;
pub mod xml;

pub use error::{ConnectFailure, Error, ReplyProblem, SoapError};
pub use message::{Dispatcher, Request, Response};
pub use soap::{FaultCode, SoapFault, SoapVersion};
pub use transport::{Endpoint, Outbound, Transport, Transports};
