//! SOAP over AMQP 0-9-1 (RabbitMQ), on lapin: serving services bound to queues ([`serve`]) and
//! invoking partners through their queues ([`AmqpClient`]).
//!
//! A message is a SOAP envelope; request-response follows the JMS conventions (`reply_to`,
//! `correlation_id`), described with the header names in [`properties`]. Served messages are
//! acknowledged only once the [`Dispatcher`](crate::Dispatcher) has returned; those that keep
//! failing end in a dead-letter exchange with the reason. Queues are durable, messages
//! persistent, publishes confirmed, and the transport reconnects with back-off when the broker
//! goes away.

mod client;
mod config;
mod connection;
mod dedup;
mod endpoint;
mod handling;
pub mod properties;
pub mod publisher;
mod server;

pub use client::AmqpClient;
pub use config::AmqpConfig;
pub use endpoint::AmqpEndpoint;
pub use publisher::AmqpPublisher;
pub use server::{declare_queues, serve, AmqpService};
