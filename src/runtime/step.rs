//! The machine's interface: the events that move an instance, and the actions and routes a
//! step produces for the engine to commit and carry out.

use crate::model::PartnerLinkId;
use crate::xml::{Document, QName};

use super::fault::Fault;
use super::partner_failure::{FailureKind, InvokeFailure};
use super::session::Sessions;
use super::state::{ExchangeId, Inbound, InstanceStatus, OpenExchange, TimerId};

/// Something that happened to an instance.
#[derive(Debug, Clone)]
pub enum Event {
    /// The instance was loaded after a restart: re-arm its timer, or re-issue the invoke
    /// whose outcome was lost with the previous run.
    Recover,
    /// A message for one of the instance's receives.
    Message(Inbound),
    /// An invoke's outcome.
    InvokeDone {
        exchange: ExchangeId,
        outcome: InvokeOutcome,
    },
    /// A timer fired.
    TimerFired { timer: TimerId },
    /// A request-response invoke got no outcome within `after_ms` milliseconds: if it is
    /// still awaited it fails, and its failure handling applies; if not, nothing happens.
    InvokeTimedOut { exchange: ExchangeId, after_ms: u64 },
    /// An operator's decision for the failed invoke of exchange `exchange`.
    Recovery {
        exchange: ExchangeId,
        action: RecoveryAction,
    },
    /// An operator suspends, resumes or terminates the instance.
    Operator(OperatorAction),
}

/// What an operator does with a whole instance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum OperatorAction {
    /// A running instance stops taking events; its timers are disarmed.
    Suspend,
    /// A suspended instance runs again: its timers are re-armed, and the invokes whose
    /// outcome it awaited are sent again.
    Resume,
    /// The instance ends now, running or suspended: callers waiting for a reply from it
    /// get `bpel:missingReply`.
    Terminate,
}

impl OperatorAction {
    /// The action's name, as [`FromStr`](std::str::FromStr) reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Terminate => "terminate",
        }
    }
}

impl std::str::FromStr for OperatorAction {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "suspend" => Ok(Self::Suspend),
            "resume" => Ok(Self::Resume),
            "terminate" => Ok(Self::Terminate),
            other => Err(format!(
                "'{other}' is not an instance action (suspend, resume, terminate)"
            )),
        }
    }
}

/// What an operator does with a failed activity (ODE's activity recovery).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RecoveryAction {
    /// Try the activity again.
    Retry,
    /// Let the activity complete without its outcome.
    Cancel,
    /// Raise `activityFailure` from the activity.
    Fault,
}

impl RecoveryAction {
    /// The action's name, as [`FromStr`](std::str::FromStr) reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Cancel => "cancel",
            Self::Fault => "fault",
        }
    }
}

impl std::str::FromStr for RecoveryAction {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "retry" => Ok(Self::Retry),
            "cancel" => Ok(Self::Cancel),
            "fault" => Ok(Self::Fault),
            other => Err(format!(
                "'{other}' is not a recovery action (retry, cancel, fault)"
            )),
        }
    }
}

/// How an outbound invoke ended.
#[derive(Debug, Clone)]
pub enum InvokeOutcome {
    /// The output message in normalised form (empty for one-way).
    Reply(Document),
    /// The partner answered with a WSDL fault (or any SOAP fault, named by its code).
    Fault {
        name: QName,
        data: Option<Box<Document>>,
        reason: String,
    },
    /// The call failed: the partner broke the protocol or could not be reached.
    Failure(InvokeFailure),
}

impl InvokeOutcome {
    /// The failure of an invoke that got no outcome within `after_ms` milliseconds.
    pub fn timed_out(after_ms: u64) -> Self {
        Self::failed(
            FailureKind::Timeout,
            format!("no reply within {after_ms} ms"),
        )
    }

    /// The failure of kind `kind`, for `reason`.
    pub fn failed(kind: FailureKind, reason: impl Into<String>) -> Self {
        Self::Failure(InvokeFailure::new(kind, reason))
    }
}

/// What the engine does after committing a step.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer an inbound request-response exchange.
    Reply {
        to: OpenExchange,
        outcome: ReplyOutcome,
    },
    /// Call a partner. `exchange` names the outcome event for request-response operations;
    /// the engine ends one that gets no outcome in time with [`Event::InvokeTimedOut`].
    Invoke {
        exchange: ExchangeId,
        partner_link: PartnerLinkId,
        operation: String,
        message: Document,
        one_way: bool,
        /// The endpoint assigned at run time, if any, else the deployment's.
        endpoint: Option<String>,
        /// The sessions the call names (see [`super::session`]).
        sessions: Sessions,
    },
    /// Fire [`Event::TimerFired`] at `due_ms` (ms since the Unix epoch).
    Timer { timer: TimerId, due_ms: i64 },
}

/// The reply to an inbound exchange.
#[derive(Debug, Clone)]
pub enum ReplyOutcome {
    /// The output message in normalised form.
    Message(Document),
    /// A fault: a WSDL fault from `<reply faultName>`, or the fault that ended the instance.
    Fault(Fault),
}

/// A correlation route: messages whose correlation set `set` has `values` go to this instance.
/// `set` names the sets of a key joined by `+` where a receive is routed by several (see
/// [`super::routes`]), and their values follow each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub set: String,
    pub values: Vec<String>,
    /// A route another instance may hold already: it then stays that instance's, and this
    /// one is reached by the key of its receive instead (see [`super::routes`]).
    pub shared: bool,
}

impl Route {
    /// The route's key as stored: the set name and values, escaped and joined.
    pub fn key(&self) -> String {
        route_key(&self.set, &self.values)
    }
}

/// The canonical key of a correlation set's values.
pub fn route_key(set: &str, values: &[String]) -> String {
    let mut key = escape(set);
    for value in values {
        key.push('|');
        key.push_str(&escape(value));
    }
    key
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|")
}

/// What one step produced.
#[derive(Debug, Clone)]
pub struct StepOutput {
    pub actions: Vec<Action>,
    pub routes: Vec<Route>,
    /// The values of the process's own correlation sets (those of its outermost scope) that
    /// the step initiated, property by property: what operators filter instances by.
    pub correlated: Vec<(QName, String)>,
    pub status: InstanceStatus,
    /// The timers the step disarmed (armed before it, not after): a pick that took a message
    /// before its alarm, a scope with alarms that ended, an instance that ended.
    pub disarmed: Vec<TimerId>,
    /// The request-response invokes the step settled: the one whose outcome (or time-out) its
    /// event delivered, and those it no longer awaits (a scope that ended, an invoke sent
    /// again under a new exchange after a restart).
    pub settled: Vec<ExchangeId>,
    /// The invoke whose outcome (or time-out) the step's event delivered, if it awaited it.
    pub ended: Option<InvokeEnded>,
    /// The BPEL events of the step, in the order they happened (see [`super::events`]).
    pub events: Vec<super::events::Event>,
}

/// How an awaited request-response invoke ended.
#[derive(Debug, Clone)]
pub struct InvokeEnded {
    pub exchange: ExchangeId,
    pub partner_link: PartnerLinkId,
    pub operation: String,
    pub outcome: Ended,
}

/// What an invoke ended with, as text: read before the step takes the outcome's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The reply, as XML.
    Reply(String),
    /// A fault, by name and reason.
    Fault { name: QName, reason: String },
    /// A failure (no reply, no fault), with its reason; a time-out is one.
    Failure(String),
}

impl Ended {
    fn of(outcome: &InvokeOutcome) -> Self {
        match outcome {
            InvokeOutcome::Reply(message) => Ended::Reply(message.to_xml(message.root())),
            InvokeOutcome::Fault { name, reason, .. } => Ended::Fault {
                name: name.clone(),
                reason: reason.clone(),
            },
            InvokeOutcome::Failure(failure) => Ended::Failure(failure.reason.clone()),
        }
    }
}

impl InvokeEnded {
    /// The invoke of `exchange` through `partner_link`'s `operation` ending with `outcome`.
    pub(crate) fn new(
        exchange: ExchangeId,
        partner_link: PartnerLinkId,
        operation: String,
        outcome: &InvokeOutcome,
    ) -> Self {
        InvokeEnded {
            exchange,
            partner_link,
            operation,
            outcome: Ended::of(outcome),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys_do_not_collide_on_separators() {
        let a = route_key("s", &["a|b".into(), "c".into()]);
        let b = route_key("s", &["a".into(), "b|c".into()]);
        assert_ne!(a, b);
        assert_eq!(route_key("order", &["42".into()]), "order|42");
    }
}
