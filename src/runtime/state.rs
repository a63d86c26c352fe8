//! The state of one process instance between two steps: everything needed to resume it,
//! serialised into the store after every step.
//!
//! An instance runs as a set of [`Thread`]s (one at first; a flow, a parallel forEach, an
//! event handler or a fault handler adds more), each with its own continuation stack, inside
//! a tree of [`ScopeInstance`]s that hold the values of what each scope declares. Both live in
//! slabs addressed by number, so a suspended instance is plain data.

use serde::{Deserialize, Serialize};

use super::fault::Fault;
use super::session::Callback;
use crate::model::{ActivityId, CorrelationSetId, PartnerLinkId, Process, ScopeId, VariableId};
use crate::xml::Document;

/// Identifies a message exchange: an inbound request awaiting a reply, or an outbound invoke
/// awaiting its outcome. Unique across restarts.
pub type ExchangeId = String;

/// Index into [`InstanceState::threads`].
pub type ThreadId = u32;
/// Index into [`InstanceState::scopes`]; 0 is the process's own scope instance.
pub type ScopeRef = u32;
/// Index into [`InstanceState::flows`].
pub type FlowRef = u32;
/// Names a timer of an instance: unique within the instance.
pub type TimerId = u64;

/// Where an instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceStatus {
    Running,
    Completed,
    /// Ended by a fault (handled at process level or not).
    Faulted,
    /// Ended by `<exit>` or an operator.
    Terminated,
    /// Stopped, by an operator or because a step exceeded its budget: it takes no events
    /// until an operator resumes or terminates it.
    Suspended,
}

impl InstanceStatus {
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Running | Self::Suspended)
    }

    /// The name stored and shown to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Faulted => "faulted",
            Self::Terminated => "terminated",
            Self::Suspended => "suspended",
        }
    }
}

/// One entry of a thread's continuation stack: what remains to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// Start the activity (once its incoming links are determined).
    Run(ActivityId),
    /// The activity completed: determine its outgoing links.
    Completed(ActivityId),
    /// A sequence whose child `next` is to run next.
    Sequence { activity: ActivityId, next: u32 },
    /// A while loop whose body just ran: test the condition again.
    While(ActivityId),
    /// A repeatUntil whose body just ran: test the condition.
    RepeatUntil(ActivityId),
    /// A serial forEach about to run the branch of counter value `next`.
    ForEachSerial {
        activity: ActivityId,
        next: u64,
        last: u64,
        /// Branches that count toward the completion condition so far.
        completed: u64,
        /// The completion condition's number of branches, if any.
        target: Option<u64>,
    },
    /// The serial forEach beneath counts the branch that just ended.
    ForEachTally,
    /// One branch of a forEach: run the child scope with the counter set to `counter`.
    ForEachBranch { activity: ActivityId, counter: u64 },
    /// A parallel forEach whose branches run as child threads.
    ForEachParallel {
        activity: ActivityId,
        completed: u64,
        target: Option<u64>,
    },
    /// Compensate the completed child scopes of scope instance `scope`, most recent first;
    /// only those of scope `target` when set.
    Compensate {
        scope: ScopeRef,
        target: Option<ScopeId>,
    },
    /// Throw again the fault scope instance `scope` is handling.
    Rethrow(ScopeRef),
    /// The flow's branches are over: its links are no longer needed.
    FlowDone(FlowRef),
    /// Initialise the variables of scope instance `scope` that have an inline `<from>`,
    /// before its activity runs.
    InitializeVariables(ScopeRef),
}

/// What a suspended thread waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Waiting {
    /// A message for this receive.
    Message(ActivityId),
    /// A message for one of the pick's onMessages, or its alarm.
    Pick {
        activity: ActivityId,
        alarm: Option<Alarm>,
    },
    /// The outcome of the invoke `exchange`, its `attempt`th retry (0: the first try).
    Invoke {
        activity: ActivityId,
        exchange: ExchangeId,
        #[serde(default)]
        attempt: u32,
    },
    /// The time to retry an invoke that failed (its `attempt`th retry).
    Retry {
        activity: ActivityId,
        timer: TimerId,
        due_ms: i64,
        attempt: u32,
    },
    /// An invoke that failed (exchange `exchange`, for `reason`), waiting for an operator to
    /// retry it, cancel it or turn it into a fault: ODE's activity recovery.
    Recovery {
        activity: ActivityId,
        exchange: ExchangeId,
        reason: String,
    },
    /// A timer: a `<wait>`, or an invoke's retry delay.
    Timer {
        activity: ActivityId,
        timer: TimerId,
        due_ms: i64,
    },
    /// The incoming links of the activity on top of the stack.
    Links(ActivityId),
    /// The end of the isolated scope running, to start the isolated scope on top of the
    /// stack.
    Isolation(ActivityId),
    /// `count` child threads (a flow's branches, a parallel forEach's).
    Children(u32),
    /// The scope instance it started (or whose handler it started) to end.
    Scope(ScopeRef),
}

/// An armed alarm: a pick's onAlarm or an event handler's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    pub timer: TimerId,
    pub due_ms: i64,
    /// Which onAlarm of the pick or event handlers.
    pub index: u32,
}

/// A thread of execution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thread {
    /// The scope instance it runs in: the variables it sees and where its faults go.
    pub scope: ScopeRef,
    /// The innermost flow instance it runs in: the links it sees.
    pub flow: Option<FlowRef>,
    pub stack: Vec<Frame>,
    pub waiting: Option<Waiting>,
    /// The thread waiting for this one to end (a flow's or a parallel forEach's).
    pub parent: Option<ThreadId>,
    /// Set when the thread's scope is being terminated: it ends as soon as what it waits
    /// for is over, without going on.
    pub doomed: bool,
    /// Whether the last scope it waited for completed successfully (for forEach's
    /// successfulBranchesOnly).
    pub last_scope_succeeded: bool,
}

/// What a scope instance is doing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Phase {
    /// Running its activity and event handlers.
    Running,
    /// Its threads are being stopped; then it runs its fault handler for `fault`.
    Faulting(Fault),
    /// Its threads are being stopped because an enclosing scope ends; then it runs its
    /// termination handler.
    Terminating,
    /// Its threads are being stopped; then it ends without a handler.
    Stopping,
    /// Running its fault handler for this fault.
    HandlingFault(Fault),
    /// Running its termination handler.
    HandlingTermination,
    /// Completed; kept for compensation with its variables as they were.
    Completed,
    /// Running its compensation handler.
    Compensating,
}

/// One running (or completed, compensable) instance of a scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScopeInstance {
    pub scope: ScopeId,
    pub parent: Option<ScopeRef>,
    /// The thread that waits for it to end; None for the process and event handler
    /// instances.
    pub waiter: Option<ThreadId>,
    /// The flow instance its threads see.
    pub flow: Option<FlowRef>,
    pub phase: Phase,
    /// The thread running its activity, until that ends.
    pub body: Option<ThreadId>,
    /// One slot per variable it declares, None until initialised.
    pub variables: Vec<Option<Document>>,
    /// One slot per correlation set it declares: the values once initiated.
    pub correlations: Vec<Option<Vec<String>>>,
    /// One slot per partner link it declares: the partner role's address once assigned.
    pub endpoints: Vec<Option<String>>,
    /// One slot per partner link it declares: the partner's session, once a callback
    /// endpoint reference named one (see [`super::session`]). Empty in states stored before
    /// sessions existed.
    #[serde(default, skip_serializing_if = "no_sessions")]
    pub sessions: Vec<Option<String>>,
    /// Whether its event handlers take new events.
    pub events_open: bool,
    /// Its event handlers' armed alarms.
    pub alarms: Vec<Alarm>,
    /// Completed child scope instances kept for compensation, in order of completion.
    pub completed: Vec<ScopeRef>,
}

/// One running instance of a flow: the status of the links it declares.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowInstance {
    pub activity: ActivityId,
    pub parent: Option<FlowRef>,
    /// Per link of the flow, in declaration order: None until determined.
    pub links: Vec<Option<bool>>,
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
    /// The endpoint reference the message named for calling its sender back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
}

/// Values message-exchange interceptors keep with an instance: interceptor name → key →
/// value (see [`crate::interceptor`]). The state machine only carries them.
pub type InterceptorValues =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// Everything about an instance that outlives a step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceState {
    pub status: InstanceStatus,
    /// Slab of threads; None marks a free slot.
    pub threads: Vec<Option<Thread>>,
    /// Slab of scope instances; 0 is the process's.
    pub scopes: Vec<Option<ScopeInstance>>,
    /// Slab of flow instances.
    pub flows: Vec<Option<FlowInstance>>,
    /// Messages received but not consumed yet, oldest first.
    pub inbox: Vec<Inbound>,
    pub open_exchanges: Vec<OpenExchange>,
    /// The fault that ended or is ending the instance.
    pub fault: Option<Fault>,
    /// Counts exchanges this instance started, to name them uniquely.
    pub exchange_counter: u64,
    /// Counts timers this instance armed, to name them uniquely.
    pub timer_counter: u64,
    /// What interceptors kept with the instance.
    #[serde(default, skip_serializing_if = "InterceptorValues::is_empty")]
    pub interceptor_values: InterceptorValues,
    /// The partner links whose session route (see [`super::session`]) the store holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routed_sessions: Vec<PartnerLinkId>,
    /// Whether the instance took its first step; written only while it has not.
    #[serde(default = "taken", skip_serializing_if = "is_taken")]
    pub started: bool,
}

fn taken() -> bool {
    true
}

fn is_taken(started: &bool) -> bool {
    *started
}

fn no_sessions(sessions: &[Option<String>]) -> bool {
    sessions.iter().all(Option::is_none)
}

impl InstanceState {
    /// A fresh instance of `process`, about to run its main activity.
    pub fn for_process(process: &Process) -> Self {
        let mut state = Self {
            status: InstanceStatus::Running,
            threads: Vec::new(),
            scopes: Vec::new(),
            flows: Vec::new(),
            inbox: Vec::new(),
            open_exchanges: Vec::new(),
            fault: None,
            exchange_counter: 0,
            timer_counter: 0,
            interceptor_values: InterceptorValues::new(),
            routed_sessions: Vec::new(),
            started: false,
        };
        let root = state.add_scope(process, ScopeId::PROCESS, None, None, None);
        let thread = state.add_thread(Thread {
            scope: root,
            flow: None,
            stack: body_frames(process, ScopeId::PROCESS, root, process.root),
            waiting: None,
            parent: None,
            doomed: false,
            last_scope_succeeded: true,
        });
        state.scope_mut(root).body = Some(thread);
        state
    }

    /// Adds an instance of scope `scope` in phase Running.
    pub fn add_scope(
        &mut self,
        process: &Process,
        scope: ScopeId,
        parent: Option<ScopeRef>,
        waiter: Option<ThreadId>,
        flow: Option<FlowRef>,
    ) -> ScopeRef {
        let declared = process.scope(scope);
        let instance = ScopeInstance {
            scope,
            parent,
            waiter,
            flow,
            phase: Phase::Running,
            body: None,
            variables: vec![None; declared.variables.len()],
            correlations: vec![None; declared.correlation_sets.len()],
            endpoints: vec![None; declared.partner_links.len()],
            sessions: Vec::new(),
            events_open: true,
            alarms: Vec::new(),
            completed: Vec::new(),
        };
        insert(&mut self.scopes, instance)
    }

    pub fn add_thread(&mut self, thread: Thread) -> ThreadId {
        insert(&mut self.threads, thread)
    }

    pub fn add_flow(&mut self, flow: FlowInstance) -> FlowRef {
        insert(&mut self.flows, flow)
    }

    pub fn thread(&self, id: ThreadId) -> &Thread {
        self.threads[id as usize].as_ref().expect("a live thread")
    }

    pub fn thread_mut(&mut self, id: ThreadId) -> &mut Thread {
        self.threads[id as usize].as_mut().expect("a live thread")
    }

    pub fn scope(&self, id: ScopeRef) -> &ScopeInstance {
        self.scopes[id as usize]
            .as_ref()
            .expect("a live scope instance")
    }

    pub fn scope_mut(&mut self, id: ScopeRef) -> &mut ScopeInstance {
        self.scopes[id as usize]
            .as_mut()
            .expect("a live scope instance")
    }

    /// The live threads, in order of their numbers.
    pub fn thread_ids(&self) -> Vec<ThreadId> {
        live(&self.threads)
    }

    /// The live scope instances, in order of their numbers.
    pub fn scope_ids(&self) -> Vec<ScopeRef> {
        live(&self.scopes)
    }

    /// The instance of scope `declared` that scope instance `from` sees: itself or the
    /// nearest enclosing instance of it.
    pub fn declaring(&self, from: ScopeRef, declared: ScopeId) -> Option<ScopeRef> {
        let mut current = Some(from);
        while let Some(id) = current {
            let instance = self.scopes.get(id as usize)?.as_ref()?;
            if instance.scope == declared {
                return Some(id);
            }
            current = instance.parent;
        }
        None
    }

    /// The value of `variable` as seen from scope instance `from`.
    pub fn variable(
        &self,
        process: &Process,
        from: ScopeRef,
        variable: VariableId,
    ) -> Option<&Document> {
        let declared = process.variable(variable);
        let instance = self.declaring(from, declared.scope)?;
        self.scope(instance).variables[declared.slot as usize].as_ref()
    }

    /// The slot of `variable` as seen from scope instance `from`.
    pub fn variable_mut(
        &mut self,
        process: &Process,
        from: ScopeRef,
        variable: VariableId,
    ) -> &mut Option<Document> {
        let declared = process.variable(variable);
        let instance = self
            .declaring(from, declared.scope)
            .expect("variables are resolved within their scope");
        &mut self.scope_mut(instance).variables[declared.slot as usize]
    }

    /// The correlation set's values as seen from scope instance `from`.
    pub fn correlation_mut(
        &mut self,
        process: &Process,
        from: ScopeRef,
        set: CorrelationSetId,
    ) -> &mut Option<Vec<String>> {
        let declared = process.correlation_set(set);
        let instance = self
            .declaring(from, declared.scope)
            .expect("correlation sets are resolved within their scope");
        &mut self.scope_mut(instance).correlations[declared.slot as usize]
    }

    /// The correlation set's values as seen from scope instance `from`.
    pub fn correlation(
        &self,
        process: &Process,
        from: ScopeRef,
        set: CorrelationSetId,
    ) -> Option<&Vec<String>> {
        let declared = process.correlation_set(set);
        let instance = self.declaring(from, declared.scope)?;
        self.scope(instance).correlations[declared.slot as usize].as_ref()
    }

    /// The partner role address assigned to `partner_link`, as seen from `from`.
    pub fn endpoint(
        &self,
        process: &Process,
        from: ScopeRef,
        partner_link: PartnerLinkId,
    ) -> Option<&String> {
        let declared = process.partner_link(partner_link);
        let instance = self.declaring(from, declared.scope)?;
        self.scope(instance).endpoints[declared.slot as usize].as_ref()
    }

    /// The partner's session of `partner_link`, as seen from `from`.
    pub fn partner_session(
        &self,
        process: &Process,
        from: ScopeRef,
        partner_link: PartnerLinkId,
    ) -> Option<&String> {
        let declared = process.partner_link(partner_link);
        let instance = self.declaring(from, declared.scope)?;
        self.scope(instance)
            .sessions
            .get(declared.slot as usize)?
            .as_ref()
    }

    /// Sets `partner_link`'s partner role, as seen from `from`: its address, and the session
    /// calls name there.
    pub fn set_partner(
        &mut self,
        process: &Process,
        from: ScopeRef,
        partner_link: PartnerLinkId,
        callback: Callback,
    ) {
        let declared = process.partner_link(partner_link);
        let Some(instance) = self.declaring(from, declared.scope) else {
            return;
        };
        let slot = declared.slot as usize;
        let scope = self.scope_mut(instance);
        scope.endpoints[slot] = Some(callback.address);
        if scope.sessions.len() <= slot {
            scope.sessions.resize(scope.endpoints.len(), None);
        }
        scope.sessions[slot] = callback.session;
    }

    /// The scope instances `from` sees, innermost first.
    pub fn chain(&self, from: ScopeRef) -> impl Iterator<Item = ScopeRef> + '_ {
        std::iter::successors(Some(from), |&id| {
            self.scopes.get(id as usize)?.as_ref()?.parent
        })
    }

    /// Every exchange an invoke of this instance awaits, with its activity.
    pub fn awaited_invokes(&self) -> impl Iterator<Item = (ActivityId, &ExchangeId)> {
        self.threads
            .iter()
            .flatten()
            .filter_map(|thread| match &thread.waiting {
                Some(Waiting::Invoke {
                    activity, exchange, ..
                }) => Some((*activity, exchange)),
                _ => None,
            })
    }

    /// Every timer armed now: those of waits, retry delays and picks' onAlarms, and the
    /// alarms of scopes' event handlers.
    pub fn armed_timers(&self) -> impl Iterator<Item = TimerId> + '_ {
        let threads = self
            .threads
            .iter()
            .flatten()
            .filter_map(|thread| match &thread.waiting {
                Some(Waiting::Timer { timer, .. })
                | Some(Waiting::Retry { timer, .. })
                | Some(Waiting::Pick {
                    alarm: Some(Alarm { timer, .. }),
                    ..
                }) => Some(*timer),
                _ => None,
            });
        let scopes = self
            .scopes
            .iter()
            .flatten()
            .flat_map(|scope| scope.alarms.iter().map(|alarm| alarm.timer));
        threads.chain(scopes)
    }
}

fn insert<T>(slab: &mut Vec<Option<T>>, value: T) -> u32 {
    match slab.iter().position(Option::is_none) {
        Some(free) => {
            slab[free] = Some(value);
            free as u32
        }
        None => {
            slab.push(Some(value));
            (slab.len() - 1) as u32
        }
    }
}

fn live<T>(slab: &[Option<T>]) -> Vec<u32> {
    slab.iter()
        .enumerate()
        .filter(|(_, slot)| slot.is_some())
        .map(|(index, _)| index as u32)
        .collect()
}

/// The frames a scope instance's body thread starts with: its activity, after the
/// initialisation of its variables when some have an inline `<from>`.
pub fn body_frames(
    process: &Process,
    scope: ScopeId,
    instance: ScopeRef,
    activity: ActivityId,
) -> Vec<Frame> {
    let initialized = process
        .scope(scope)
        .variables
        .iter()
        .any(|&variable| process.variable(variable).initializer.is_some());
    match initialized {
        true => vec![Frame::Run(activity), Frame::InitializeVariables(instance)],
        false => vec![Frame::Run(activity)],
    }
}
