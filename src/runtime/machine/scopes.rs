//! Scope instances from start to end: their threads, faults and fault handlers,
//! termination and termination handlers, compensation, and event handler alarms.
//!
//! A scope instance ends when none of its threads is left and no event handler instance of
//! it runs ("settles"); what happens then depends on its [`Phase`]: a running scope
//! completes, a faulting one runs its fault handler, a terminating one its termination
//! handler, and one whose handler ran ends. Threads waiting for a scope are woken when it
//! ends; a thread whose scope is being stopped is doomed and ends instead of going on.

use super::Machine;
use crate::model::{Catch, FaultType, ScopeId, VariableId};
use crate::runtime::assign;
use crate::runtime::events::EventType;
use crate::runtime::fault::{Fault, BPEL_NS};
use crate::runtime::state::{
    body_frames, Alarm, Frame, InstanceStatus, Phase, ScopeRef, Thread, ThreadId, Waiting,
};
use crate::runtime::step::Action;
use crate::xml::Document;

/// How a scope instance ended, for the thread waiting for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Completed normally (forEach counts it as successful).
    Completed,
    /// Its fault handler, termination handler or compensation handler ran to its end.
    Handled,
}

impl Machine<'_> {
    /// Starts an instance of `scope` in the current thread, which waits for it;
    /// `initial` sets one of its variables first (a forEach counter).
    pub(super) fn start_scope(&mut self, scope: ScopeId, initial: Option<(VariableId, Document)>) {
        let waiter = self.current;
        let thread = self.state.thread(waiter);
        let (parent, flow) = (thread.scope, thread.flow);
        let instance = self
            .state
            .add_scope(self.model, scope, Some(parent), Some(waiter), flow);
        self.scope_event(EventType::ScopeStart, instance, None);
        if let Some((variable, value)) = initial {
            *self.state.variable_mut(self.model, instance, variable) = Some(value);
        }
        let activity = self.model.scope(scope).body;
        let body = self.spawn(Thread {
            scope: instance,
            flow,
            stack: body_frames(self.model, scope, instance, activity),
            waiting: None,
            parent: None,
            doomed: false,
            last_scope_succeeded: true,
        });
        self.state.scope_mut(instance).body = Some(body);
        self.wait(Waiting::Scope(instance));
        if let Err(fault) = self.arm_event_alarms(instance) {
            self.fault_scope(instance, fault);
        }
    }

    /// Runs the inline `<from>` of the variables of scope instance `instance`, in
    /// declaration order, in its body thread before its activity; a failure is
    /// bpel:scopeInitializationFailure, which the scope's own fault handlers see.
    pub(super) fn initialize_variables(&mut self, instance: ScopeRef) -> Result<(), Fault> {
        let scope = self.state.scope(instance).scope;
        for &variable in &self.model.scope(scope).variables {
            let declaration = self.model.variable(variable);
            let Some(copy) = &declaration.initializer else {
                continue;
            };
            let copies = std::slice::from_ref(copy);
            assign::execute(self.process, self.state, instance, Some(&self.env), copies).map_err(
                |fault| {
                    let reason = format!(
                        "{}: initialising variable '{}': {} ({})",
                        declaration.location, declaration.name, fault.name, fault.reason
                    );
                    Fault::standard("scopeInitializationFailure", reason)
                },
            )?;
        }
        Ok(())
    }

    /// Whether `activity` is an isolated scope that must wait because another isolated scope
    /// of the instance runs. Isolated scopes of an instance run one at a time, so their
    /// accesses to shared variables and partner links never interleave (WS-BPEL 2.0 §12.8);
    /// WS-BPEL forbids nesting them, so this cannot deadlock.
    pub(super) fn isolation_busy(&self, activity: crate::model::ActivityId) -> bool {
        let crate::model::ActivityKind::Scope(scope) = self.model.activity(activity).kind else {
            return false;
        };
        self.model.scope(scope).isolated
            && self.state.scopes.iter().flatten().any(|instance| {
                self.model.scope(instance.scope).isolated
                    && !matches!(instance.phase, Phase::Completed)
            })
    }

    /// Lets the threads waiting to start an isolated scope try again.
    fn release_isolation(&mut self) {
        for thread in self.state.threads.iter_mut().flatten() {
            if matches!(thread.waiting, Some(Waiting::Isolation(_))) {
                thread.waiting = None;
            }
        }
    }

    /// Arms the onAlarms of a scope instance's event handlers.
    fn arm_event_alarms(&mut self, instance: ScopeRef) -> Result<(), Fault> {
        let scope = self.state.scope(instance).scope;
        let alarms = &self.model.scope(scope).event_handlers.on_alarms;
        let saved = self.current;
        for (index, on_alarm) in alarms.iter().enumerate() {
            let due_ms = match (on_alarm.deadline, on_alarm.repeat_every) {
                (Some(deadline), _) => self.deadline_in(instance, |m| m.deadline(deadline))?,
                (None, Some(every)) => self.deadline_in(instance, |m| m.repeat(every))?,
                (None, None) => continue,
            };
            self.current = saved;
            let timer = self.next_timer();
            self.state.scope_mut(instance).alarms.push(Alarm {
                timer,
                due_ms,
                index: index as u32,
            });
            self.actions.push(Action::Timer { timer, due_ms });
        }
        Ok(())
    }

    /// Evaluates a deadline as seen from scope instance `instance` (through its body).
    fn deadline_in(
        &mut self,
        instance: ScopeRef,
        evaluate: impl FnOnce(&Self) -> Result<i64, Fault>,
    ) -> Result<i64, Fault> {
        let saved = self.current;
        if let Some(body) = self.state.scope(instance).body {
            self.current = body;
        }
        let result = evaluate(self);
        self.current = saved;
        result
    }

    /// An event handler alarm fired: its activity runs in a new thread of the scope.
    pub(super) fn event_alarm(&mut self, timer: u64) {
        let found = self.state.scope_ids().into_iter().find_map(|id| {
            let instance = self.state.scope(id);
            let position = instance.alarms.iter().position(|a| a.timer == timer)?;
            Some((id, position))
        });
        let Some((instance, position)) = found else {
            return;
        };
        let alarm = self.state.scope_mut(instance).alarms.remove(position);
        let open = self.state.scope(instance).events_open
            && matches!(self.state.scope(instance).phase, Phase::Running);
        if !open {
            return;
        }
        let scope = self.state.scope(instance).scope;
        let on_alarm = &self.model.scope(scope).event_handlers.on_alarms[alarm.index as usize];
        let thread = self.spawn(Thread {
            scope: instance,
            flow: None,
            stack: vec![Frame::Run(on_alarm.activity)],
            waiting: None,
            parent: None,
            doomed: false,
            last_scope_succeeded: true,
        });
        if let Some(every) = on_alarm.repeat_every {
            self.current = thread;
            match self.repeat(every) {
                Ok(due_ms) => {
                    let timer = self.next_timer();
                    self.state.scope_mut(instance).alarms.push(Alarm {
                        timer,
                        due_ms,
                        index: alarm.index,
                    });
                    self.actions.push(Action::Timer { timer, due_ms });
                }
                Err(fault) => self.raise(fault),
            }
        }
    }

    /// A thread ran out of frames (or was doomed): it goes, and whoever waits for it is told.
    pub(super) fn thread_finished(&mut self, id: ThreadId) {
        let Some(thread) = self.state.threads[id as usize].take() else {
            return;
        };
        for frame in &thread.stack {
            if let Frame::FlowDone(flow) = frame {
                self.state.flows[*flow as usize] = None;
            }
        }
        if let Some(parent) = thread.parent {
            self.child_finished(parent, thread.last_scope_succeeded);
        }
        let scope = thread.scope;
        if let Some(instance) = self.state.scopes[scope as usize].as_mut() {
            if instance.body == Some(id) {
                instance.body = None;
                instance.events_open = false;
                instance.alarms.clear();
            }
        }
        self.settle(scope);
    }

    /// One of `parent`'s child threads ended.
    fn child_finished(&mut self, parent: ThreadId, succeeded: bool) {
        let Some(thread) = self.state.threads[parent as usize].as_mut() else {
            return;
        };
        let Some(Waiting::Children(count)) = thread.waiting.as_mut() else {
            return;
        };
        *count -= 1;
        let remaining = *count;
        if remaining == 0 {
            thread.waiting = None;
        }
        let Some(Frame::ForEachParallel {
            activity,
            completed,
            target,
        }) = thread.stack.last_mut()
        else {
            return;
        };
        let successful_only = match &self.model.activity(*activity).kind {
            crate::model::ActivityKind::ForEach(for_each) => for_each
                .completion
                .as_ref()
                .is_some_and(|c| c.successful_only),
            _ => false,
        };
        if succeeded || !successful_only {
            *completed += 1;
        }
        let reached = target.is_some_and(|target| *completed >= target);
        if reached && remaining > 0 {
            let children: Vec<ThreadId> = self
                .state
                .thread_ids()
                .into_iter()
                .filter(|&id| self.state.thread(id).parent == Some(parent))
                .collect();
            for child in children {
                self.kill_thread(child);
            }
        }
    }

    /// Stops a thread because its scope (or its forEach) ends early.
    fn kill_thread(&mut self, id: ThreadId) {
        let Some(thread) = self.state.threads[id as usize].as_mut() else {
            return;
        };
        if thread.doomed {
            // Already stopped, with what it waits for: a flow's branches are stopped with
            // the flow and may be listed again among their scope's threads.
            return;
        }
        match thread.waiting.clone() {
            Some(Waiting::Scope(scope)) => {
                thread.doomed = true;
                self.terminate_scope(scope);
            }
            Some(Waiting::Children(_)) => {
                thread.doomed = true;
                let children: Vec<ThreadId> = self
                    .state
                    .thread_ids()
                    .into_iter()
                    .filter(|&child| self.state.thread(child).parent == Some(id))
                    .collect();
                for child in children {
                    self.kill_thread(child);
                }
            }
            _ => {
                thread.doomed = true;
                thread.waiting = None;
                self.thread_finished(id);
            }
        }
    }

    /// Stops everything running in scope instance `instance`: its threads and its event
    /// handler instances.
    fn stop_contents(&mut self, instance: ScopeRef) {
        let scope = self.state.scope_mut(instance);
        scope.events_open = false;
        scope.alarms.clear();
        // Both lists are taken first: a handler started once they are stopped is not theirs.
        let threads: Vec<ThreadId> = self
            .state
            .thread_ids()
            .into_iter()
            .filter(|&id| self.state.thread(id).scope == instance)
            .collect();
        let events: Vec<ScopeRef> = self
            .state
            .scope_ids()
            .into_iter()
            .filter(|&id| {
                let child = self.state.scope(id);
                child.parent == Some(instance)
                    && child.waiter.is_none()
                    && !matches!(child.phase, Phase::Completed)
            })
            .collect();
        for thread in threads {
            self.kill_thread(thread);
        }
        for event in events {
            self.terminate_scope(event);
        }
    }

    /// Terminates a scope instance because what encloses it ends early.
    fn terminate_scope(&mut self, instance: ScopeRef) {
        let Some(scope) = self.state.scopes[instance as usize].as_mut() else {
            return;
        };
        match scope.phase {
            Phase::Running => scope.phase = Phase::Terminating,
            Phase::HandlingFault(_) | Phase::HandlingTermination | Phase::Compensating => {
                scope.phase = Phase::Stopping
            }
            Phase::Faulting(_) => {
                scope.phase = Phase::Stopping;
                return self.settle(instance);
            }
            Phase::Terminating | Phase::Stopping | Phase::Completed => return,
        }
        self.stop_contents(instance);
        self.settle(instance);
    }

    /// Moves a scope instance on once nothing runs in it any more.
    fn settle(&mut self, instance: ScopeRef) {
        let Some(scope) = self.state.scopes[instance as usize].as_ref() else {
            return;
        };
        if matches!(scope.phase, Phase::Completed) {
            return;
        }
        let busy = self
            .state
            .threads
            .iter()
            .flatten()
            .any(|t| t.scope == instance)
            || self.state.scopes.iter().flatten().any(|child| {
                child.parent == Some(instance)
                    && child.waiter.is_none()
                    && !matches!(child.phase, Phase::Completed)
            });
        if busy || self.state.status != InstanceStatus::Running {
            return;
        }
        match scope.phase.clone() {
            Phase::Running => self.scope_completed(instance),
            Phase::Faulting(fault) => self.start_fault_handler(instance, fault),
            Phase::Terminating => self.start_termination_handler(instance),
            Phase::Stopping
            | Phase::HandlingFault(_)
            | Phase::HandlingTermination
            | Phase::Compensating => self.end_scope(instance, Ending::Handled),
            Phase::Completed => {}
        }
    }

    fn scope_completed(&mut self, instance: ScopeRef) {
        self.scope_event(EventType::ScopeCompletion, instance, None);
        if instance == 0 {
            return self.finish(InstanceStatus::Completed);
        }
        let scope = self.state.scope(instance);
        let compensable = scope.waiter.is_some()
            && (self.model.scope(scope.scope).compensation_handler.is_some()
                || !scope.completed.is_empty());
        if compensable {
            if self.model.scope(scope.scope).compensation_handler.is_some() {
                self.scope_event(EventType::CompensationHandlerRegistered, instance, None);
            }
            let scope = self.state.scope(instance);
            let parent = scope.parent.expect("only the process has no parent");
            self.state.scope_mut(instance).phase = Phase::Completed;
            self.state.scope_mut(parent).completed.push(instance);
            self.wake_waiter(instance, Ending::Completed);
            self.release_isolation();
        } else {
            self.end_scope(instance, Ending::Completed);
        }
    }

    /// A scope instance is over: it goes with what it kept for compensation, and whoever
    /// waits for it goes on.
    fn end_scope(&mut self, instance: ScopeRef, ending: Ending) {
        if instance == 0 {
            let status = match self.state.scope(0).phase {
                Phase::HandlingFault(_) | Phase::Stopping => InstanceStatus::Faulted,
                _ => InstanceStatus::Completed,
            };
            return self.finish(status);
        }
        if matches!(self.state.scope(instance).phase, Phase::HandlingFault(_)) {
            let scope = self.state.scope(instance);
            let (body, flow) = (self.model.scope(scope.scope).body, scope.flow);
            self.skip_in(flow, body);
        }
        self.wake_waiter(instance, ending);
        let parent = self.state.scope(instance).parent;
        let waiter = self.state.scope(instance).waiter;
        self.free_scope(instance);
        self.release_isolation();
        if let (None, Some(parent)) = (waiter, parent) {
            self.settle(parent);
        }
    }

    fn wake_waiter(&mut self, instance: ScopeRef, ending: Ending) {
        let Some(waiter) = self.state.scope(instance).waiter else {
            return;
        };
        if let Some(thread) = self.state.threads[waiter as usize].as_mut() {
            if thread.waiting == Some(Waiting::Scope(instance)) {
                thread.waiting = None;
                thread.last_scope_succeeded = ending == Ending::Completed;
            }
        }
    }

    /// Frees a scope instance and the completed ones it kept for compensation.
    fn free_scope(&mut self, instance: ScopeRef) {
        if let Some(scope) = self.state.scopes[instance as usize].take() {
            for child in scope.completed {
                self.free_scope(child);
            }
        }
    }

    /// A fault in the current thread goes to the scope it runs in.
    pub(super) fn raise(&mut self, fault: Fault) {
        tracing::debug!(instance = self.instance, fault = %fault, "Fault raised");
        if self.state.threads[self.current as usize].is_none() {
            return;
        }
        let scope = self.scope_ref();
        self.fault_scope(scope, fault);
    }

    /// Handles a fault thrown in scope instance `instance`.
    fn fault_scope(&mut self, instance: ScopeRef, fault: Fault) {
        if self.state.status != InstanceStatus::Running {
            return;
        }
        let Some(scope) = self.state.scopes[instance as usize].as_ref() else {
            return;
        };
        if fault.name.ns == BPEL_NS && self.model.scope(scope.scope).exit_on_standard_fault {
            self.state.fault = Some(fault);
            return self.finish(InstanceStatus::Terminated);
        }
        match scope.phase {
            Phase::Running => {
                let name = fault.name.to_string();
                self.scope_event(EventType::ScopeFault, instance, Some(name));
                self.state.scope_mut(instance).phase = Phase::Faulting(fault);
                self.stop_contents(instance);
                self.settle(instance);
            }
            Phase::HandlingFault(_) | Phase::HandlingTermination | Phase::Compensating => {
                // A handler faulted: the scope ends, and the fault goes to whoever waits for
                // it, or to the enclosing scope.
                if instance == 0 {
                    self.state.fault = Some(fault);
                    return self.finish(InstanceStatus::Faulted);
                }
                let (waiter, parent) = (scope.waiter, scope.parent);
                let detached = self.state.scope_mut(instance);
                detached.phase = Phase::Stopping;
                detached.waiter = None;
                detached.parent = None;
                self.stop_contents(instance);
                self.free_scope(instance);
                match (waiter, parent) {
                    (Some(waiter), _) if self.state.threads[waiter as usize].is_some() => {
                        self.current = waiter;
                        self.state.thread_mut(waiter).waiting = None;
                        self.raise(fault);
                    }
                    (_, Some(parent)) => self.fault_scope(parent, fault),
                    _ => {
                        self.state.fault = Some(fault);
                        self.finish(InstanceStatus::Faulted);
                    }
                }
            }
            Phase::Faulting(_) | Phase::Terminating | Phase::Stopping | Phase::Completed => {
                tracing::debug!(instance = self.instance, fault = %fault, "Fault while stopping; ignored");
            }
        }
    }

    fn start_fault_handler(&mut self, instance: ScopeRef, fault: Fault) {
        if instance == 0 {
            self.state.fault = Some(fault.clone());
        }
        self.state.scope_mut(instance).phase = Phase::HandlingFault(fault.clone());
        let scope = self.state.scope(instance).scope;
        let handlers = &self.model.scope(scope).fault_handlers;
        let catch = select_catch(&handlers.catches, &fault);
        let flow = None;
        match (catch, handlers.catch_all) {
            (Some(catch), _) => {
                let mut thread_scope = instance;
                if let Some(catch_scope) = catch.scope {
                    thread_scope =
                        self.state
                            .add_scope(self.model, catch_scope, Some(instance), None, flow);
                }
                if let (Some(variable), Some(data)) = (catch.fault_variable, &fault.data) {
                    *self.state.variable_mut(self.model, thread_scope, variable) =
                        Some((**data).clone());
                }
                let thread = self.spawn(handler_thread(thread_scope, catch.activity));
                if thread_scope != instance {
                    self.state.scope_mut(thread_scope).body = Some(thread);
                }
            }
            (None, Some(activity)) => {
                self.spawn(handler_thread(instance, activity));
            }
            (None, None) => {
                self.spawn(Thread {
                    scope: instance,
                    flow,
                    stack: vec![
                        Frame::Rethrow(instance),
                        Frame::Compensate {
                            scope: instance,
                            target: None,
                        },
                    ],
                    waiting: None,
                    parent: None,
                    doomed: false,
                    last_scope_succeeded: true,
                });
            }
        }
    }

    fn start_termination_handler(&mut self, instance: ScopeRef) {
        let scope = self.state.scope(instance);
        let handler = self.model.scope(scope.scope).termination_handler;
        let stack = match handler {
            Some(activity) => vec![Frame::Run(activity)],
            None if !scope.completed.is_empty() => vec![Frame::Compensate {
                scope: instance,
                target: None,
            }],
            None => return self.end_scope(instance, Ending::Handled),
        };
        self.state.scope_mut(instance).phase = Phase::HandlingTermination;
        self.spawn(Thread {
            scope: instance,
            flow: None,
            stack,
            waiting: None,
            parent: None,
            doomed: false,
            last_scope_succeeded: true,
        });
    }

    /// The scope instance whose handler the current thread runs in: the nearest one, from
    /// the current thread's scope outward, that handles a fault, a termination or a
    /// compensation.
    pub(super) fn handling_scope(&self) -> ScopeRef {
        let current = self.scope_ref();
        self.state
            .chain(current)
            .find(|&id| {
                matches!(
                    self.state.scope(id).phase,
                    Phase::HandlingFault(_) | Phase::HandlingTermination | Phase::Compensating
                )
            })
            .unwrap_or(current)
    }

    /// The fault scope instance `instance` handles (for rethrow).
    pub(super) fn fault_handled_by(&self, instance: ScopeRef) -> Fault {
        match &self.state.scope(instance).phase {
            Phase::HandlingFault(fault) => fault.clone(),
            _ => Fault::standard("missingFault", "rethrow outside a fault handler"),
        }
    }

    /// Compensates the most recently completed child scope of `instance` (of scope
    /// `target` only, when set), then comes back for the next.
    pub(super) fn compensate_next(&mut self, instance: ScopeRef, target: Option<ScopeId>) {
        let Some(scope) = self.state.scopes[instance as usize].as_ref() else {
            return;
        };
        let position = scope.completed.iter().rposition(|&child| {
            target.is_none_or(|target| self.state.scope(child).scope == target)
        });
        let Some(position) = position else {
            return;
        };
        let child = self.state.scope_mut(instance).completed.remove(position);
        self.push(Frame::Compensate {
            scope: instance,
            target,
        });
        let declared = self.model.scope(self.state.scope(child).scope);
        let stack = match declared.compensation_handler {
            Some(handler) => vec![Frame::Run(handler)],
            None => vec![Frame::Compensate {
                scope: child,
                target: None,
            }],
        };
        let compensating = self.state.scope_mut(child);
        compensating.phase = Phase::Compensating;
        compensating.waiter = Some(self.current);
        self.spawn(Thread {
            scope: child,
            flow: None,
            stack,
            waiting: None,
            parent: None,
            doomed: false,
            last_scope_succeeded: true,
        });
        self.wait(Waiting::Scope(child));
    }
}

fn handler_thread(scope: ScopeRef, activity: crate::model::ActivityId) -> Thread {
    Thread {
        scope,
        flow: None,
        stack: vec![Frame::Run(activity)],
        waiting: None,
        parent: None,
        doomed: false,
        last_scope_succeeded: true,
    }
}

/// The catch for `fault` (WS-BPEL 2.0 §12.5): with data, a catch naming the fault whose type
/// fits the data, then one naming the fault without a variable, then one without a name
/// whose type fits; without data, a catch naming the fault without a variable.
fn select_catch<'c>(catches: &'c [Catch], fault: &Fault) -> Option<&'c Catch> {
    let named = |catch: &&Catch| catch.fault_name.as_ref() == Some(&fault.name);
    match fault.data.as_deref() {
        Some(data) => catches
            .iter()
            .filter(named)
            .find(|catch| catch.fault_type.as_ref().is_some_and(|t| fits(t, data)))
            .or_else(|| {
                catches
                    .iter()
                    .filter(named)
                    .find(|catch| catch.fault_type.is_none())
            })
            .or_else(|| {
                catches.iter().find(|catch| {
                    catch.fault_name.is_none()
                        && catch.fault_type.as_ref().is_some_and(|t| fits(t, data))
                })
            }),
        None => catches
            .iter()
            .filter(named)
            .find(|catch| catch.fault_type.is_none()),
    }
}

/// Whether fault data fits a catch's declared type: a message for a message type, an
/// element of that name (alone, or as a message's single part) for an element.
fn fits(fault_type: &FaultType, data: &Document) -> bool {
    let Some(root) = data.document_element() else {
        return false;
    };
    let is_message = data
        .name(root)
        .is_some_and(|name| name.ns.is_empty() && name.local == "message");
    match fault_type {
        FaultType::Message(_) => is_message,
        FaultType::Element(element) => {
            if data.name(root) == Some(element) {
                return true;
            }
            is_message && {
                let mut parts = data.child_elements(root);
                match (parts.next(), parts.next()) {
                    (Some(part), None) => data
                        .child_elements(part)
                        .next()
                        .is_some_and(|inner| data.name(inner) == Some(element)),
                    _ => false,
                }
            }
        }
    }
}
