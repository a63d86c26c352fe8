//! The state of one process instance between two steps: everything needed to resume it,
//! serialised into the store after every step.

use serde::{Deserialize, Serialize};

use super::fault::Fault;
use crate::model::{ActivityId, PartnerLinkId, Process};
use crate::xml::Document;

/// Identifies a message exchange: an inbound request awaiting a reply, or an outbound invoke
/// awaiting its outcome. Unique across restarts.
pub type ExchangeId = String;

/// Where an instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceStatus {
    Running,
    Completed,
    /// Ended by a fault (handled at process level or not).
    Faulted,
    /// Ended by `<exit>`.
    Terminated,
}

impl InstanceStatus {
    pub fn is_finished(self) -> bool {
        self != Self::Running
    }

    /// The name stored and shown to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Faulted => "faulted",
            Self::Terminated => "terminated",
        }
    }
}

/// One entry of the continuation stack: what remains to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Start the activity.
    Run(ActivityId),
    /// A sequence whose child `next` is to run next.
    Sequence { activity: ActivityId, next: u32 },
    /// A while loop whose body just ran: test the condition again.
    While(ActivityId),
    /// A repeatUntil whose body just ran: test the condition.
    RepeatUntil(ActivityId),
    /// A fault handler is running: when the stack unwinds to here the instance has faulted.
    HandlingFault,
}

/// What a suspended instance waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Waiting {
    /// A message for this receive.
    Message(ActivityId),
    /// The outcome of the invoke `exchange`.
    Invoke {
        activity: ActivityId,
        exchange: ExchangeId,
    },
    /// A timer due at `due_ms` (milliseconds since the Unix epoch).
    Timer { activity: ActivityId, due_ms: i64 },
}

/// An inbound request-response exchange whose reply is still owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenExchange {
    pub partner_link: PartnerLinkId,
    pub operation: String,
    pub message_exchange: Option<String>,
    pub exchange: ExchangeId,
}

/// A message that arrived and waits for its receive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inbound {
    pub partner_link: PartnerLinkId,
    pub operation: String,
    /// The message in normalised form.
    pub message: Document,
    /// Set for request-response operations: the exchange the reply goes to.
    pub exchange: Option<ExchangeId>,
}

/// Everything about an instance that outlives a step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceState {
    pub status: InstanceStatus,
    /// One slot per declared variable; None until initialised.
    pub variables: Vec<Option<Document>>,
    /// One slot per correlation set: its property values once initiated.
    pub correlations: Vec<Option<Vec<String>>>,
    /// Partner role endpoint addresses assigned at run time, per partner link.
    pub endpoints: Vec<Option<String>>,
    pub stack: Vec<Frame>,
    pub waiting: Option<Waiting>,
    /// Messages received but not consumed yet, oldest first.
    pub inbox: Vec<Inbound>,
    pub open_exchanges: Vec<OpenExchange>,
    /// The fault that ended or is ending the instance.
    pub fault: Option<Fault>,
    /// Counts exchanges this instance started, to name them uniquely.
    pub exchange_counter: u64,
}

impl InstanceState {
    /// A fresh instance of `process`, about to run its main activity.
    pub fn for_process(process: &Process) -> Self {
        Self::new(
            process.variables.len(),
            process.correlation_sets.len(),
            process.partner_links.len(),
            process.root,
        )
    }

    /// A fresh instance about to run `root`.
    fn new(
        variables: usize,
        correlation_sets: usize,
        partner_links: usize,
        root: ActivityId,
    ) -> Self {
        Self {
            status: InstanceStatus::Running,
            variables: vec![None; variables],
            correlations: vec![None; correlation_sets],
            endpoints: vec![None; partner_links],
            stack: vec![Frame::Run(root)],
            waiting: None,
            inbox: Vec::new(),
            open_exchanges: Vec::new(),
            fault: None,
            exchange_counter: 0,
        }
    }
}
