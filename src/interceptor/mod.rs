//! Message-exchange interceptors: Rust code that sees every message exchange of the processes
//! it is registered for, at four points, and may read the message, change it, or refuse it.
//!
//! The four points, in the order an inbound message meets them:
//! 1. [`on_server_invoked`](Interceptor::on_server_invoked): a message reached a service of
//!    this server, before it is routed (correlated) to an instance;
//! 2. [`on_process_invoked`](Interceptor::on_process_invoked): the message was routed to a
//!    process version, to an existing instance or to a new one;
//! 3. [`on_new_instance_invoked`](Interceptor::on_new_instance_invoked): the message is about
//!    to create an instance;
//!
//! and, for every message an instance sends,
//! 4. [`on_partner_invoked`](Interceptor::on_partner_invoked): an invoke is about to call a
//!    partner.
//!
//! Every hook gets a context ([`InboundContext`] or [`PartnerContext`]) telling what is known
//! at that point and holding the [`Message`] (SOAP headers and the normalised parts) by
//! mutable reference: what the hook leaves there is what the process, or the partner,
//! receives. A hook answers [`Verdict::Continue`] or [`Verdict::Refuse`]: a refused inbound
//! message is answered with a SOAP fault carrying the reason and creates or changes nothing;
//! a refused partner call is a failure of the invoke (its `failureHandling` applies).
//! An interceptor may keep short text values with the instance a message reaches
//! ([`InboundContext::keep`]); they are stored with the instance's state, so they survive
//! dehydration and restarts, and its partner hooks read them back
//! ([`PartnerContext::kept`]).
//!
//! Interceptors are registered by name in [`Interceptors`]: the built-in ones (see
//! [`header_propagation`]) and those a program running Baton adds (see
//! [`crate::plugins::PlugIns`]). The configuration's `[engine] interceptors` names those that
//! run for every process; a process's deploy.xml `<mex-interceptors>` adds its own, run after
//! them. An unknown name is refused when the server starts or the unit is deployed.
//!
//! # Layout
//! - [`message`]: the message as interceptors see it.
//! - [`context`]: what each hook is told.
//! - [`registry`]: interceptors by name, and the chains that run them in order.
//! - [`header_propagation`]: the built-in that carries chosen SOAP headers from the messages
//!   an instance receives onto the calls it makes.

pub mod context;
pub mod header_propagation;
pub mod message;
pub mod registry;

pub use context::{Call, InboundContext, PartnerContext, Target};
pub use message::Message;
pub use registry::{Chain, Interceptors, Point, Refusal, ServerInterceptors, UnknownInterceptor};

/// What a hook decides about the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let the exchange go on, with the message as the hook left it.
    Continue,
    /// Stop the exchange; the reason reaches the caller (inbound) or the invoke's failure.
    Refuse(String),
}

/// A message-exchange interceptor. Every hook does nothing by default; hooks run
/// synchronously on the engine's threads, so they should be quick.
pub trait Interceptor: Send + Sync + 'static {
    /// A message reached a service of this server; it is not routed to an instance yet, so a
    /// change of the message here can change which instance it goes to.
    fn on_server_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
        let _ = context;
        Verdict::Continue
    }

    /// The message was routed: to an existing instance ([`InboundContext::instance`] is
    /// set) or to a new one of the process version (then
    /// [`on_new_instance_invoked`](Self::on_new_instance_invoked) follows).
    fn on_process_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
        let _ = context;
        Verdict::Continue
    }

    /// The message is about to create an instance, whose id is
    /// [`InboundContext::instance`].
    fn on_new_instance_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
        let _ = context;
        Verdict::Continue
    }

    /// An instance is about to call a partner.
    fn on_partner_invoked(&self, context: &mut PartnerContext<'_>) -> Verdict {
        let _ = context;
        Verdict::Continue
    }

    /// The SOAP header blocks this interceptor understands: a request may mark them
    /// `mustUnderstand` without being refused with a MustUnderstand fault.
    fn understood_headers(&self) -> &[crate::xml::QName] {
        &[]
    }
}
