//! The records the durable store reads and writes.
//!
//! These are plain data: the engine builds them, a [`Store`](super::Store) backend persists
//! them. Instance state and message payloads are opaque bytes the store never interprets.
//! Enumerations are stored as their lower-case names (see [`ProcessState::as_str`] and
//! friends), which every backend can check with a constraint. Times are kept to the
//! millisecond.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use super::Error;

/// Declares a fieldless enum stored as text, with `as_str`, `Display` and `FromStr`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident as $entity:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The stored name of this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(text: &str) -> Result<Self, Error> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(Error::Corrupt {
                        entity: $entity,
                        detail: format!("unknown value {text:?}"),
                    }),
                }
            }
        }
    };
}

text_enum! {
    /// Lifecycle state of a process version.
    ProcessState as "process state" {
        /// Accepts new instances.
        Active = "active",
        /// Superseded by a newer version: running instances continue, no new ones start.
        Retired = "retired",
        /// Switched off by an operator.
        Disabled = "disabled",
    }
}

text_enum! {
    /// Status of a process instance.
    InstanceStatus as "instance status" {
        /// Still executing or waiting; recovered after a restart.
        Running = "running",
        /// Finished normally.
        Completed = "completed",
        /// Finished with an unhandled fault.
        Faulted = "faulted",
        /// Stopped by an engine failure; see the failure reason.
        Failed = "failed",
        /// Ended by an `exit` activity or an operator.
        Terminated = "terminated",
        /// Stopped by an operator, or because a step exceeded its budget (the failure
        /// column says why); kept as last committed until an operator resumes or
        /// terminates it.
        Suspended = "suspended",
    }
}

text_enum! {
    /// Which way a message exchange goes.
    ExchangeDirection as "exchange direction" {
        /// A request a partner sent to the process, possibly awaiting a reply.
        In = "in",
        /// An invoke the process sent to a partner.
        Out = "out",
    }
}

text_enum! {
    /// Progress of a message exchange.
    ExchangeStatus as "exchange status" {
        /// Awaiting a reply (inbound) or a response (outbound).
        Pending = "pending",
        /// Answered with a normal reply.
        Replied = "replied",
        /// Answered with a fault.
        Faulted = "faulted",
        /// Will never be answered: a transport or engine failure.
        Failed = "failed",
    }
}

text_enum! {
    /// What a job does when it is due.
    JobKind as "job kind" {
        /// Fires a timer of the instance (a wait, an onAlarm, a retry delay); the key is the
        /// timer's id.
        Timer = "timer",
        /// Ends a request-response invoke still awaiting its outcome; the key is the
        /// invoke's exchange id.
        InvokeTimeout = "invoke-timeout",
        /// Resumes an instance that was running before the job table existed, so that it
        /// schedules its own jobs; the key is empty.
        Recover = "recover",
    }
}

/// One deployed version of a deployment unit, with its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRecord {
    /// The deployment unit's name; unique together with `version`.
    pub name: String,
    /// The unit's version: above every earlier version of the unit's processes.
    pub version: i64,
    /// Checksum of the unit's files, to detect redeployment of identical content.
    pub checksum: String,
    /// When the unit was deployed.
    pub deployed_at: SystemTime,
    /// The unit's files, opaque to the store.
    pub files: Vec<u8>,
    /// Whether the unit has been undeployed.
    pub undeployed: bool,
}

/// A deployment without its files, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentSummary {
    /// The deployment unit's name.
    pub name: String,
    /// The process version of this deployment.
    pub version: i64,
    /// Checksum of the unit's files.
    pub checksum: String,
    /// When the unit was deployed.
    pub deployed_at: SystemTime,
    /// Whether the unit has been undeployed.
    pub undeployed: bool,
}

/// One version of a process, deployed as part of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRecord {
    /// Process version id, e.g. `{urn:example}Order-7`.
    pub pid: String,
    /// The process QName as text, e.g. `{urn:example}Order`.
    pub process: String,
    /// The deployment that brought this process.
    pub deployment: String,
    /// The deployment's version.
    pub version: i64,
    /// Lifecycle state.
    pub state: ProcessState,
}

/// A process instance with its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRecord {
    /// Instance id, assigned by the store.
    pub id: i64,
    /// The process version the instance runs.
    pub pid: String,
    /// Status.
    pub status: InstanceStatus,
    /// The serialised instance state machine, opaque to the store; empty until first saved.
    pub state: Vec<u8>,
    /// Why the instance failed, if it did.
    pub failure: Option<String>,
    /// Incremented by every save; a save must name the revision it is based on.
    pub revision: i64,
    /// When the instance was created.
    pub created_at: SystemTime,
    /// When the instance was last saved.
    pub updated_at: SystemTime,
}

/// The BPEL events of one step as the store keeps them (see [`super::EventLog`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvents {
    /// The row's number, increasing in the order rows were appended; ignored when appending.
    pub id: i64,
    pub instance_id: i64,
    pub pid: String,
    /// When the step ran, in ms since the Unix epoch.
    pub at_ms: i64,
    /// The step's events as a JSON array, in order.
    pub body: String,
}

/// A process instance without its state, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSummary {
    /// Instance id.
    pub id: i64,
    /// The process version the instance runs.
    pub pid: String,
    /// Status.
    pub status: InstanceStatus,
    /// Why the instance failed, if it did.
    pub failure: Option<String>,
    /// Current revision.
    pub revision: i64,
    /// When the instance was created.
    pub created_at: SystemTime,
    /// When the instance was last saved.
    pub updated_at: SystemTime,
}

/// Which instances [`Store::list_instances`](super::Store::list_instances) returns, and in
/// what order: every condition given holds (an empty list or `None` sets no condition).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceFilter {
    /// Only these instances.
    pub ids: Vec<i64>,
    /// Only instances of these process versions; none at all when the list is empty.
    pub pids: Option<Vec<String>>,
    /// Only instances with one of these statuses.
    pub statuses: Vec<InstanceStatus>,
    /// Bounds on when an instance was created.
    pub created: Vec<TimeBound>,
    /// Bounds on when an instance was last saved.
    pub updated: Vec<TimeBound>,
    /// Only instances whose correlation values include one each of these selects.
    pub correlations: Vec<CorrelationFilter>,
    /// The order, first key first; ties (and everything without keys) newest first.
    pub order: Vec<InstanceOrder>,
    /// Only instances after this one in the order: the next page of a listing whose last
    /// page ended there.
    pub after: Option<InstancePosition>,
    /// At most this many instances.
    pub limit: Option<u32>,
}

impl InstanceFilter {
    /// The instances of process version `pid`.
    pub fn of_process(pid: impl Into<String>) -> Self {
        InstanceFilter {
            pids: Some(vec![pid.into()]),
            ..InstanceFilter::default()
        }
    }

    /// The instances with status `status`.
    pub fn with_status(status: InstanceStatus) -> Self {
        InstanceFilter {
            statuses: vec![status],
            ..InstanceFilter::default()
        }
    }

    /// Whether an instance with `summary` is one this filter selects (the order and the limit
    /// aside).
    pub(crate) fn selects(&self, summary: &InstanceSummary) -> bool {
        (self.ids.is_empty() || self.ids.contains(&summary.id))
            && self
                .pids
                .as_ref()
                .is_none_or(|pids| pids.contains(&summary.pid))
            && (self.statuses.is_empty() || self.statuses.contains(&summary.status))
            && self
                .created
                .iter()
                .all(|bound| bound.holds(summary.created_at))
            && self
                .updated
                .iter()
                .all(|bound| bound.holds(summary.updated_at))
    }
}

/// The correlation values of a property an instance filter accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationFilter {
    /// The property's namespace; any when `None`.
    pub namespace: Option<String>,
    /// The property's local name.
    pub name: String,
    /// The values accepted.
    pub values: Vec<String>,
}

impl CorrelationFilter {
    /// Whether one of `values` is one this filter accepts.
    pub(crate) fn accepts(&self, values: &[CorrelationValue]) -> bool {
        values.iter().any(|value| {
            value.name == self.name
                && self
                    .namespace
                    .as_ref()
                    .is_none_or(|ns| *ns == value.namespace)
                && self.values.contains(&value.value)
        })
    }
}

/// An instance as an order places it: where a page of a listing ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePosition {
    pub id: i64,
    pub pid: String,
    pub status: InstanceStatus,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl InstancePosition {
    /// Where `summary` stands.
    pub fn of(summary: &InstanceSummary) -> Self {
        InstancePosition {
            id: summary.id,
            pid: summary.pid.clone(),
            status: summary.status,
            created_at: summary.created_at,
            updated_at: summary.updated_at,
        }
    }
}

/// A bound on a time, which a time holds or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    Before(SystemTime),
    AtOrBefore(SystemTime),
    After(SystemTime),
    AtOrAfter(SystemTime),
}

impl TimeBound {
    /// Whether `time` is within the bound.
    pub fn holds(self, time: SystemTime) -> bool {
        match self {
            TimeBound::Before(bound) => time < bound,
            TimeBound::AtOrBefore(bound) => time <= bound,
            TimeBound::After(bound) => time > bound,
            TimeBound::AtOrAfter(bound) => time >= bound,
        }
    }

    /// The SQL comparison and the bound, as stored.
    pub(crate) fn comparison(self) -> (&'static str, i64) {
        let (operator, time) = match self {
            TimeBound::Before(time) => ("<", time),
            TimeBound::AtOrBefore(time) => ("<=", time),
            TimeBound::After(time) => (">", time),
            TimeBound::AtOrAfter(time) => (">=", time),
        };
        (operator, super::time::to_millis(time))
    }
}

/// A key of an instance listing's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceOrder {
    pub key: InstanceOrderKey,
    /// Largest first.
    pub descending: bool,
}

/// What instances are ordered by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceOrderKey {
    Id,
    Pid,
    Status,
    Created,
    Updated,
    /// The rank of the instance's process version in this list (a pid not in it last): for
    /// orders by what the process table knows (name, namespace, version).
    ProcessRank(Vec<String>),
}

/// A message exchange as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRecord {
    /// Exchange id, chosen by the engine.
    pub id: String,
    /// The instance the exchange belongs to.
    pub instance_id: i64,
    /// The partner link name.
    pub partner_link: String,
    /// The operation name.
    pub operation: String,
    /// Inbound or outbound.
    pub direction: ExchangeDirection,
    /// Progress.
    pub status: ExchangeStatus,
    /// The request message, opaque to the store.
    pub request: Option<Vec<u8>>,
    /// The response message, opaque to the store.
    pub response: Option<Vec<u8>>,
    /// When the exchange was first stored.
    pub created_at: SystemTime,
}

/// The instance a route leads to, and its process version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOwner {
    pub instance: i64,
    pub pid: String,
}

/// The key of a correlation route: a message for `process` matching `key` goes to the
/// instance owning the route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteKey {
    /// The process QName as text.
    pub process: String,
    /// Canonical route key built by the engine, e.g. `partnerLink|operation|set|value`.
    pub key: String,
    /// Another instance may own the route already: adding it is then no error, and it stays
    /// that instance's.
    pub shared: bool,
}

impl RouteKey {
    /// A route key for `process` and `key`.
    pub fn new(process: impl Into<String>, key: impl Into<String>) -> Self {
        RouteKey {
            process: process.into(),
            key: key.into(),
            shared: false,
        }
    }
}

/// The new state of an instance, written by a [`StepCommit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceWrite {
    /// The instance id.
    pub id: i64,
    /// The new status.
    pub status: InstanceStatus,
    /// The new serialised state.
    pub state: Vec<u8>,
    /// The failure reason, replacing the stored one.
    pub failure: Option<String>,
    /// The revision the new state is based on; the commit fails with
    /// [`Error::Conflict`] if the stored revision differs.
    pub expected_revision: i64,
    /// Set on an instance's first commit: the commit inserts the instance, as a version of
    /// this pid, under an id from [`Store::reserve_instance_ids`](super::Store), with
    /// `expected_revision` 0.
    pub create: Option<String>,
}

impl InstanceWrite {
    /// The instance's revision once this write is stored: 1 when it creates the instance.
    pub(crate) fn revision_after(&self) -> i64 {
        match self.create {
            Some(_) => 1,
            None => self.expected_revision + 1,
        }
    }
}

/// An exchange of the committing instance, inserted or updated by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeWrite {
    /// Exchange id.
    pub id: String,
    /// The partner link name; fixed once stored.
    pub partner_link: String,
    /// The operation name; fixed once stored.
    pub operation: String,
    /// Inbound or outbound; fixed once stored.
    pub direction: ExchangeDirection,
    /// The new status.
    pub status: ExchangeStatus,
    /// The request message; `None` keeps the stored one.
    pub request: Option<Vec<u8>>,
    /// The response message; `None` keeps the stored one.
    pub response: Option<Vec<u8>>,
}

/// A job of an instance, within it unique by kind and key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKey {
    /// What the job does.
    pub kind: JobKind,
    /// Which of the instance's timers or exchanges it is for.
    pub key: String,
}

impl JobKey {
    /// The job of `kind` for `key`.
    pub fn new(kind: JobKind, key: impl Into<String>) -> Self {
        JobKey {
            kind,
            key: key.into(),
        }
    }

    /// The error of a step that was to run this job of `instance` when it is no longer stored.
    pub(crate) fn gone(&self, instance: i64) -> super::Error {
        super::Error::JobGone {
            instance,
            kind: self.kind,
            key: self.key.clone(),
        }
    }
}

/// Work due at a time for an instance: a row of the job table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Job {
    /// The instance the job is for.
    pub instance_id: i64,
    /// The process version the instance runs.
    pub pid: String,
    /// What the job does, and for which timer or exchange.
    pub job: JobKey,
    /// When it is due, in milliseconds since the Unix epoch.
    pub due_ms: i64,
}

/// A message an instance sends a partner, stored with the step that sends it and kept until
/// the partner has taken it (a one-way message) or the instance has taken its outcome (a
/// request): a row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The message's id, the same on every sending (wsa:MessageID); unique in the store.
    pub message_id: String,
    /// The sending instance.
    pub instance_id: i64,
    /// The process version the instance runs.
    pub pid: String,
    /// The invoke's exchange in the sending instance.
    pub exchange: String,
    /// The call to make again, serialised by the engine; the store never reads it.
    pub call: Vec<u8>,
}

/// A message an instance has taken, remembered by its id so that the same message sent again
/// is recognised: a row of the received table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message's id, as its sender gave it.
    pub message_id: String,
    /// The instance that took it.
    pub instance_id: i64,
    /// The inbound exchange it opened, when it was a request awaiting a reply.
    pub exchange: Option<String>,
}

/// Everything one state-machine step of an instance produced, applied atomically by
/// [`Store::commit`](super::Store::commit): either all of it is stored or none of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCommit {
    /// The instance's new state, saved optimistically on its revision.
    pub instance: InstanceWrite,
    /// Routes the instance now waits on. Adding a route the instance already owns is a
    /// no-op; one owned by another instance fails the commit with [`Error::DuplicateRoute`].
    pub routes_added: Vec<RouteKey>,
    /// Routes the instance no longer waits on; routes it does not own are left alone.
    pub routes_removed: Vec<RouteKey>,
    /// Exchanges of the instance to insert or update.
    pub exchanges: Vec<ExchangeWrite>,
    /// Drop every route of the instance (it finished). Applied after the other route
    /// changes, so the instance owns no routes once the commit is stored.
    pub clear_routes: bool,
    /// The job whose run this step is. Its row is deleted first; when there is none (another
    /// worker or an earlier delivery ran it), the commit fails with [`Error::JobGone`].
    pub job_done: Option<JobKey>,
    /// Jobs of the instance no longer needed; those not stored are left alone.
    pub jobs_cancelled: Vec<JobKey>,
    /// Jobs of the instance to store; one already stored (same kind and key) is kept as is.
    pub jobs: Vec<Job>,
    /// Drop every job of the instance (it finished), after the other job changes.
    pub clear_jobs: bool,
    /// Messages the step sends, stored in the outbox (the instance is the committing one).
    pub outbox: Vec<OutboxEntry>,
    /// Exchanges of the instance whose outbox entries go: requests whose outcome the step
    /// took or no longer awaits. Entries not stored are left alone.
    pub outbox_settled: Vec<String>,
    /// The message the step takes, remembered by id; one taken already (the same id stored)
    /// fails the commit with [`Error::Duplicate`](super::Error::Duplicate).
    pub received: Option<Received>,
    /// Delete every exchange of the instance, with its messages, once the rest is written
    /// (the instance's cleanup of messages when it ends).
    pub delete_exchanges: bool,
    /// Delete the instance with everything of it (its exchanges, routes and jobs) once the
    /// rest is written (the instance's cleanup of itself when it ends).
    pub delete_instance: bool,
    /// Values of the process's correlation sets the step initiated, to store.
    pub correlation_values: Vec<CorrelationValue>,
    /// Delete every correlation value of the instance once the rest is written (the
    /// instance's cleanup of its correlations when it ends).
    pub delete_correlation_values: bool,
    /// Delete every event of the instance kept in the event log (the instance's cleanup of
    /// its events); deleting the instance deletes them too.
    pub delete_events: bool,
}

/// The value of a correlation property of an instance, as instance filters find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationValue {
    /// The property's namespace (empty for none).
    pub namespace: String,
    /// The property's local name.
    pub name: String,
    pub value: String,
}

impl StepCommit {
    /// A commit saving `instance` and nothing else.
    pub fn new(instance: InstanceWrite) -> Self {
        StepCommit {
            instance,
            routes_added: Vec::new(),
            routes_removed: Vec::new(),
            exchanges: Vec::new(),
            clear_routes: false,
            job_done: None,
            jobs_cancelled: Vec::new(),
            jobs: Vec::new(),
            clear_jobs: false,
            outbox: Vec::new(),
            outbox_settled: Vec::new(),
            received: None,
            delete_exchanges: false,
            delete_instance: false,
            correlation_values: Vec::new(),
            delete_correlation_values: false,
            delete_events: false,
        }
    }

    /// Whether dropping the instance's routes may find any: not when this step creates the
    /// instance and adds none, which saves a statement for an instance that starts and
    /// finishes in one step.
    /// Whether the step deletes the instance's events.
    pub(crate) fn deletes_events(&self) -> bool {
        self.delete_events || self.delete_instance
    }

    pub(crate) fn clears_stored_routes(&self) -> bool {
        self.clear_routes && (self.instance.create.is_none() || !self.routes_added.is_empty())
    }

    /// Whether dropping the instance's jobs may find any (see
    /// [`clears_stored_routes`](Self::clears_stored_routes)).
    pub(crate) fn clears_stored_jobs(&self) -> bool {
        self.clear_jobs && (self.instance.create.is_none() || !self.jobs.is_empty())
    }
}
