//! What a hook is told: where the message is, what it is for, and the message itself, which
//! the hook may change. A context also carries the values interceptors keep with the
//! instance (see [`crate::runtime::state::InterceptorValues`]), each interceptor seeing only
//! its own.

use super::Message;
use crate::runtime::state::InterceptorValues;
use crate::xml::QName;

/// The service an inbound message reached, and the process version offering it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub service: &'a QName,
    pub port: &'a str,
    /// Where the service is offered: its HTTP path (or alias, for services on AMQP).
    pub address: &'a str,
    /// The process's partner link the service belongs to (its `myRole`).
    pub partner_link: &'a str,
    pub operation: &'a str,
    pub pid: &'a str,
    pub process: &'a QName,
}

/// The context of the inbound hooks (server, process and new-instance invoked).
pub struct InboundContext<'a> {
    pub(crate) target: Target<'a>,
    pub(crate) instance: Option<i64>,
    pub(crate) message: &'a mut Message,
    pub(crate) kept: &'a mut InterceptorValues,
    /// The name of the interceptor being run.
    pub(crate) interceptor: String,
}

impl<'a> InboundContext<'a> {
    /// A context for a message for `target`, to an instance when it is known; values kept
    /// by interceptors are added to `kept`.
    pub(crate) fn new(
        target: Target<'a>,
        instance: Option<i64>,
        message: &'a mut Message,
        kept: &'a mut InterceptorValues,
    ) -> Self {
        Self {
            target,
            instance,
            message,
            kept,
            interceptor: String::new(),
        }
    }

    pub fn service(&self) -> &QName {
        self.target.service
    }

    pub fn port(&self) -> &str {
        self.target.port
    }

    /// Where the service is offered: its HTTP path, or the alias of a service on AMQP.
    pub fn address(&self) -> &str {
        self.target.address
    }

    /// The name of the process's partner link that offers the service.
    pub fn partner_link(&self) -> &str {
        self.target.partner_link
    }

    pub fn operation(&self) -> &str {
        self.target.operation
    }

    /// The process version the service belongs to (or, once routed, the version of the
    /// instance the message goes to).
    pub fn pid(&self) -> &str {
        self.target.pid
    }

    pub fn process(&self) -> &QName {
        self.target.process
    }

    /// The instance the message goes to: unknown before routing and for a message that
    /// creates one until [`Interceptor::on_new_instance_invoked`](super::Interceptor).
    pub fn instance(&self) -> Option<i64> {
        self.instance
    }

    pub fn message(&self) -> &Message {
        self.message
    }

    /// The message, to change what the process receives.
    pub fn message_mut(&mut self) -> &mut Message {
        self.message
    }

    /// Keeps `value` under `key` with the instance the message reaches (replacing what this
    /// interceptor kept there under `key`), stored with its state once it takes the message.
    /// Nothing is kept when the message is refused.
    pub fn keep(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.kept
            .entry(self.interceptor.clone())
            .or_default()
            .insert(key.into(), value.into());
    }
}

/// The call an instance is about to make.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub pid: &'a str,
    pub process: &'a QName,
    pub instance: i64,
    /// The name of the invoking partner link.
    pub partner_link: &'a str,
    pub operation: &'a str,
    /// Whether the operation is one-way (no reply is awaited).
    pub one_way: bool,
}

/// The context of [`Interceptor::on_partner_invoked`](super::Interceptor).
pub struct PartnerContext<'a> {
    pub(crate) call: Call<'a>,
    pub(crate) message: &'a mut Message,
    pub(crate) kept: &'a InterceptorValues,
    /// The name of the interceptor being run.
    pub(crate) interceptor: String,
}

impl<'a> PartnerContext<'a> {
    /// A context for `call`, made by an instance that kept `kept`.
    pub(crate) fn new(
        call: Call<'a>,
        message: &'a mut Message,
        kept: &'a InterceptorValues,
    ) -> Self {
        Self {
            call,
            message,
            kept,
            interceptor: String::new(),
        }
    }

    pub fn pid(&self) -> &str {
        self.call.pid
    }

    pub fn process(&self) -> &QName {
        self.call.process
    }

    pub fn instance(&self) -> i64 {
        self.call.instance
    }

    /// The name of the invoking partner link.
    pub fn partner_link(&self) -> &str {
        self.call.partner_link
    }

    pub fn operation(&self) -> &str {
        self.call.operation
    }

    /// Whether the operation is one-way (no reply is awaited).
    pub fn is_one_way(&self) -> bool {
        self.call.one_way
    }

    pub fn message(&self) -> &Message {
        self.message
    }

    /// The message, to change what the partner receives.
    pub fn message_mut(&mut self) -> &mut Message {
        self.message
    }

    /// What this interceptor kept under `key` with the instance.
    pub fn kept(&self, key: &str) -> Option<&str> {
        self.kept
            .get(&self.interceptor)?
            .get(key)
            .map(String::as_str)
    }
}
