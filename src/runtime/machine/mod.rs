//! The interpreter: runs an instance's threads over its activity tree until every thread
//! waits (for a message, an invoke's outcome, a timer, links, child threads or a scope) or
//! the instance ends.
//!
//! Each thread has an explicit continuation stack of [`Frame`]s, and each scope instance
//! holds the values of what its scope declares, so a suspended instance is plain data (see
//! [`super::state`]). A step applies one [`Event`], then runs runnable threads one after the
//! other, lowest number first, each until it blocks or ends; messages in the inbox are
//! matched to waiting receives, picks and event handlers whenever no thread can run.
//!
//! The code is split by concern:
//! - [`activities`]: starting each activity, loops, forEach, flow;
//! - [`messaging`]: receive, reply, invoke, pick, onEvent, inbox matching, correlation;
//! - [`scopes`]: scope lifecycle, faults and their handlers, termination, compensation,
//!   event handler alarms;
//! - [`links`]: flow links, join conditions and dead-path elimination.

mod activities;
mod events;
mod links;
mod messaging;
mod rest_light;
mod scopes;

use std::collections::BTreeSet;

use super::compiled::CompiledProcess;
use super::fault::Fault;
use super::functions::EvaluationEnv;
use super::state::{
    ExchangeId, Frame, InstanceState, InstanceStatus, OpenExchange, ThreadId, TimerId, Waiting,
};
use super::step::{
    Action, Event, InvokeEnded, InvokeOutcome, OperatorAction, RecoveryAction, ReplyOutcome, Route,
    StepOutput,
};
use crate::budget;
use crate::model::{ActivityId, ActivityKind, Process};
use crate::xml::QName;

/// The namespace of the fault raised when an invoke fails without a fault from the partner.
pub const ACTIVITY_RECOVERY_NS: &str = "http://ode.apache.org/activityRecovery";

/// One step of one instance.
pub struct Machine<'p> {
    process: &'p CompiledProcess,
    model: &'p Process,
    state: &'p mut InstanceState,
    instance: i64,
    now_ms: i64,
    actions: Vec<Action>,
    routes: Vec<Route>,
    /// The values of the process's correlation sets the step initiated, by property.
    correlated: Vec<(QName, String)>,
    /// The awaited invoke the step's event ended.
    ended: Option<InvokeEnded>,
    /// The BPEL events of the step.
    events: Vec<super::events::Event>,
    /// The thread being run.
    current: ThreadId,
    /// What extension functions see of this step; owns the documents they build.
    env: EvaluationEnv,
}

impl<'p> Machine<'p> {
    /// Applies `event` to the instance `instance` at time `now_ms` (ms since the Unix epoch)
    /// and runs it as far as it goes.
    pub fn step(
        process: &'p CompiledProcess,
        state: &'p mut InstanceState,
        instance: i64,
        now_ms: i64,
        event: Event,
    ) -> StepOutput {
        let armed: BTreeSet<TimerId> = state.armed_timers().collect();
        let awaited = awaited_invokes(state);
        let outcome_of = match &event {
            Event::InvokeDone { exchange, .. } | Event::InvokeTimedOut { exchange, .. } => {
                Some(exchange.clone())
            }
            _ => None,
        };
        let mut machine = Machine {
            process,
            model: &process.model,
            state,
            instance,
            now_ms,
            actions: Vec::new(),
            routes: Vec::new(),
            correlated: Vec::new(),
            ended: None,
            events: Vec::new(),
            current: 0,
            env: EvaluationEnv::new(
                instance,
                super::xsd::date_time(now_ms),
                process.properties.clone(),
            ),
        };
        let before = machine.state.status;
        if !machine.state.started {
            machine.state.started = true;
            machine.instance_started();
        }
        match (machine.state.status, event) {
            (InstanceStatus::Running, Event::Operator(OperatorAction::Suspend)) => {
                machine.state.status = InstanceStatus::Suspended;
            }
            (InstanceStatus::Suspended, Event::Operator(OperatorAction::Resume)) => {
                machine.state.status = InstanceStatus::Running;
                machine.recover();
                machine.run();
            }
            (
                InstanceStatus::Running | InstanceStatus::Suspended,
                Event::Operator(OperatorAction::Terminate),
            ) => machine.finish(InstanceStatus::Terminated),
            (InstanceStatus::Running, Event::Operator(_)) => {}
            (InstanceStatus::Running, event) => {
                machine.apply(event);
                machine.run();
            }
            _ => {}
        }
        machine.status_changed(before);
        let disarmed = armed
            .difference(&machine.state.armed_timers().collect())
            .copied()
            .collect();
        let mut settled: BTreeSet<ExchangeId> = awaited
            .difference(&awaited_invokes(machine.state))
            .cloned()
            .collect();
        settled.extend(outcome_of);
        StepOutput {
            actions: machine.actions,
            routes: machine.routes,
            correlated: machine.correlated,
            status: machine.state.status,
            disarmed,
            settled: settled.into_iter().collect(),
            ended: machine.ended,
            events: machine.events,
        }
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Recover => self.recover(),
            Event::Message(inbound) => self.state.inbox.push(inbound),
            Event::InvokeDone { exchange, outcome } => match self.awaiting(&exchange) {
                Some(thread) => self.end_invoke(thread, exchange, outcome),
                None => {
                    tracing::warn!(instance = self.instance, %exchange, "Invoke outcome not awaited; dropped")
                }
            },
            Event::InvokeTimedOut { exchange, after_ms } => {
                if let Some(thread) = self.awaiting(&exchange) {
                    self.end_invoke(thread, exchange, InvokeOutcome::timed_out(after_ms));
                }
            }
            Event::TimerFired { timer } => self.timer_fired(timer),
            Event::Recovery { exchange, action } => self.recovery(&exchange, action),
            Event::Operator(_) => {}
        }
    }

    /// Gives the invoke of `exchange`, awaited by `thread`, its `outcome`, and says so in the
    /// step's output.
    fn end_invoke(&mut self, thread: ThreadId, exchange: ExchangeId, outcome: InvokeOutcome) {
        let waiting = &self.state.thread(thread).waiting;
        if let Some(Waiting::Invoke { activity, .. }) = waiting {
            let ActivityKind::Invoke(invoke) = &self.model.activity(*activity).kind else {
                return self.invoke_done(thread, outcome);
            };
            let operation = invoke.operation.clone();
            self.ended = Some(InvokeEnded::new(
                exchange,
                invoke.partner_link,
                operation,
                &outcome,
            ));
        }
        self.invoke_done(thread, outcome);
    }

    /// The thread waiting for the outcome of the invoke of `exchange`, if any.
    fn awaiting(&self, exchange: &str) -> Option<ThreadId> {
        self.state.thread_ids().into_iter().find(|&id| {
            matches!(&self.state.thread(id).waiting,
                Some(Waiting::Invoke { exchange: awaited, .. }) if awaited == exchange)
        })
    }

    /// After a restart: re-arms timers and re-issues the invokes whose outcome was lost.
    fn recover(&mut self) {
        for id in self.state.thread_ids() {
            match self.state.thread(id).waiting.clone() {
                Some(Waiting::Timer { timer, due_ms, .. })
                | Some(Waiting::Retry { timer, due_ms, .. })
                | Some(Waiting::Pick {
                    alarm: Some(super::state::Alarm { timer, due_ms, .. }),
                    ..
                }) => self.actions.push(Action::Timer { timer, due_ms }),
                Some(Waiting::Invoke {
                    activity, attempt, ..
                }) => {
                    // Send the request again; its correlations were applied when it was first
                    // sent, and initiating them again would be a correlationViolation.
                    self.current = id;
                    self.resume(id, activity);
                    self.reissue_invoke(activity, attempt);
                }
                _ => {}
            }
        }
        for id in self.state.scope_ids() {
            for alarm in self.state.scope(id).alarms.clone() {
                self.actions.push(Action::Timer {
                    timer: alarm.timer,
                    due_ms: alarm.due_ms,
                });
            }
        }
    }

    fn timer_fired(&mut self, timer: TimerId) {
        for id in self.state.thread_ids() {
            match self.state.thread(id).waiting.clone() {
                Some(Waiting::Timer {
                    activity,
                    timer: armed,
                    ..
                }) if armed == timer => {
                    self.resume(id, activity);
                    return;
                }
                Some(Waiting::Retry {
                    activity,
                    timer: armed,
                    attempt,
                    ..
                }) if armed == timer => {
                    self.current = id;
                    self.resume(id, activity);
                    self.reissue_invoke(activity, attempt);
                    return;
                }
                Some(Waiting::Pick {
                    activity,
                    alarm: Some(alarm),
                }) if alarm.timer == timer => {
                    self.current = id;
                    self.resume(id, activity);
                    self.pick_alarm(activity, alarm.index as usize);
                    return;
                }
                _ => {}
            }
        }
        self.event_alarm(timer);
    }

    /// An operator's decision for a failed invoke.
    fn recovery(&mut self, exchange: &str, action: RecoveryAction) {
        let failed = self.state.thread_ids().into_iter().find_map(|id| {
            match &self.state.thread(id).waiting {
                Some(Waiting::Recovery {
                    activity,
                    exchange: failed,
                    reason,
                }) if failed == exchange => Some((id, *activity, reason.clone())),
                _ => None,
            }
        });
        let Some((thread, activity, reason)) = failed else {
            tracing::warn!(instance = self.instance, %exchange, "No failed activity for this exchange; recovery ignored");
            return;
        };
        self.current = thread;
        self.resume(thread, activity);
        match action {
            RecoveryAction::Retry => self.reissue_invoke(activity, 0),
            RecoveryAction::Cancel => {}
            RecoveryAction::Fault => self.raise(self.activity_failure(activity, &reason)),
        }
    }

    /// Ends a thread's wait for the blocking `activity`, whose `Run` frame is on top.
    fn resume(&mut self, thread: ThreadId, activity: ActivityId) {
        let thread = self.state.thread_mut(thread);
        thread.waiting = None;
        debug_assert_eq!(thread.stack.last(), Some(&Frame::Run(activity)));
        thread.stack.pop();
    }

    /// Runs threads until none can run, matching inbox messages in between.
    fn run(&mut self) {
        loop {
            while let Some(thread) = self.next_runnable() {
                self.run_thread(thread);
                if self.state.status != InstanceStatus::Running || budget::exceeded() {
                    return;
                }
            }
            if self.state.status != InstanceStatus::Running || !self.match_inbox() {
                return;
            }
        }
    }

    fn next_runnable(&self) -> Option<ThreadId> {
        self.state
            .threads
            .iter()
            .position(|thread| thread.as_ref().is_some_and(|t| t.waiting.is_none()))
            .map(|index| index as ThreadId)
    }

    fn run_thread(&mut self, id: ThreadId) {
        self.current = id;
        loop {
            if self.state.status != InstanceStatus::Running {
                return;
            }
            let Some(thread) = self.state.threads[id as usize].as_mut() else {
                return;
            };
            if thread.waiting.is_some() || budget::charge_activity().is_err() {
                return;
            }
            if thread.doomed {
                self.thread_finished(id);
                return;
            }
            let Some(frame) = thread.stack.pop() else {
                self.thread_finished(id);
                return;
            };
            if let Err(fault) = self.execute(frame) {
                self.raise(fault);
            }
        }
    }

    /// The current thread's stack.
    fn stack(&mut self) -> &mut Vec<Frame> {
        &mut self.state.thread_mut(self.current).stack
    }

    fn push(&mut self, frame: Frame) {
        self.stack().push(frame);
    }

    /// Suspends the current thread.
    fn wait(&mut self, waiting: Waiting) {
        self.state.thread_mut(self.current).waiting = Some(waiting);
    }

    /// The scope instance of the current thread.
    fn scope_ref(&self) -> super::state::ScopeRef {
        self.state.thread(self.current).scope
    }

    fn next_exchange(&mut self) -> ExchangeId {
        self.state.exchange_counter += 1;
        format!("{}.{}", self.instance, self.state.exchange_counter)
    }

    fn next_timer(&mut self) -> TimerId {
        self.state.timer_counter += 1;
        self.state.timer_counter
    }

    /// Ends the instance: owed replies get the instance's fault, or bpel:missingReply;
    /// requests left in the inbox get bpel:missingReply.
    fn finish(&mut self, status: InstanceStatus) {
        self.state.status = status;
        self.state.threads.clear();
        self.state.flows.clear();
        for open in std::mem::take(&mut self.state.open_exchanges) {
            let fault = match (&self.state.fault, status) {
                (Some(fault), InstanceStatus::Faulted) => fault.clone(),
                _ => Fault::missing_reply(format!(
                    "the instance ended ({}) without replying to operation '{}'",
                    status.as_str(),
                    open.operation
                )),
            };
            self.actions.push(Action::Reply {
                to: open,
                outcome: ReplyOutcome::Fault(fault),
            });
        }
        for inbound in std::mem::take(&mut self.state.inbox) {
            if let Some(exchange) = inbound.exchange {
                let fault = Fault::missing_reply(format!(
                    "the instance ended ({}) before receiving operation '{}'",
                    status.as_str(),
                    inbound.operation
                ));
                let to = OpenExchange {
                    partner_link: inbound.partner_link,
                    operation: inbound.operation,
                    message_exchange: None,
                    exchange,
                };
                self.actions.push(Action::Reply {
                    to,
                    outcome: ReplyOutcome::Fault(fault),
                });
            }
        }
    }
}

/// The exchanges of the request-response invokes `state` awaits.
fn awaited_invokes(state: &InstanceState) -> BTreeSet<ExchangeId> {
    state
        .awaited_invokes()
        .map(|(_, exchange)| exchange.clone())
        .collect()
}
