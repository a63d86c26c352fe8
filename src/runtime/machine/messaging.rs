//! Messaging activities: receive, reply, invoke, pick and onEvent; matching inbox messages
//! to whatever waits for them; and correlation sets.

use super::{Machine, ACTIVITY_RECOVERY_NS};
use crate::model::{
    ActivityId, ActivityKind, CorrelationUse, FailureHandling, Initiate, Invoke, PartnerLinkId,
    Pattern, Receive, ScopeId, VariableId, VariableKind,
};
use crate::runtime::events::EventType;
use crate::runtime::fault::{Fault, BPEL_NS};
use crate::runtime::partner_failure::{FailureKind, InvokeFailure, PartnerFailureMode};
use crate::runtime::session::{self, Callback, Sessions};
use crate::runtime::state::{
    Alarm, Frame, Inbound, OpenExchange, ScopeRef, Thread, ThreadId, Waiting,
};
use crate::runtime::step::{Action, InvokeOutcome, ReplyOutcome, Route};
use crate::runtime::{assign, correlation, message, parts, routes};
use crate::xml::{Document, QName};

/// What an inbox message can go to.
enum Consumer {
    Receive(ThreadId, ActivityId),
    Pick(ThreadId, ActivityId, usize),
    Event(ScopeRef, usize),
    /// Two waiting activities with different correlation sets take it: bpel:ambiguousReceive
    /// is raised in the first (a receive or pick, on top of its thread's stack).
    Ambiguous(ThreadId, ActivityId),
}

impl<'p> Machine<'p> {
    pub(super) fn receive(&self, activity: ActivityId) -> &'p Receive {
        match &self.model.activity(activity).kind {
            ActivityKind::Receive(receive) => receive,
            other => unreachable!("activity {activity:?} is not a receive: {other:?}"),
        }
    }

    pub(super) fn invoke(&self, activity: ActivityId) -> &'p Invoke {
        match &self.model.activity(activity).kind {
            ActivityKind::Invoke(invoke) => invoke,
            other => unreachable!("activity {activity:?} is not an invoke: {other:?}"),
        }
    }

    pub(super) fn run_receive(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let receive = self.receive(activity);
        let conflicting = self.state.thread_ids().into_iter().any(|id| {
            matches!(self.state.thread(id).waiting, Some(Waiting::Message(other))
                if same_receive(self.receive(other), receive))
        });
        if conflicting {
            return Err(Fault::standard(
                "conflictingReceive",
                format!(
                    "another receive already waits for operation '{}' on the same partner link and correlation sets",
                    receive.operation
                ),
            ));
        }
        self.push(Frame::Run(activity));
        self.wait(Waiting::Message(activity));
        Ok(())
    }

    pub(super) fn run_pick(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let ActivityKind::Pick(pick) = &self.model.activity(activity).kind else {
            unreachable!("a pick");
        };
        let mut alarm: Option<Alarm> = None;
        for (index, on_alarm) in pick.on_alarms.iter().enumerate() {
            let Some(deadline) = on_alarm.deadline else {
                continue;
            };
            let due_ms = self.deadline(deadline)?;
            if alarm.is_none_or(|earliest| due_ms < earliest.due_ms) {
                alarm = Some(Alarm {
                    timer: 0,
                    due_ms,
                    index: index as u32,
                });
            }
        }
        if let Some(alarm) = alarm.as_mut() {
            alarm.timer = self.next_timer();
            self.actions.push(Action::Timer {
                timer: alarm.timer,
                due_ms: alarm.due_ms,
            });
        }
        self.push(Frame::Run(activity));
        self.wait(Waiting::Pick { activity, alarm });
        Ok(())
    }

    /// The pick's alarm `index` fired: its activity runs, the other branches are dead.
    pub(super) fn pick_alarm(&mut self, activity: ActivityId, index: usize) {
        let ActivityKind::Pick(pick) = &self.model.activity(activity).kind else {
            unreachable!("a pick");
        };
        let chosen = pick.on_alarms[index].activity;
        self.choose_branch(activity, chosen);
    }

    /// Runs the pick branch `chosen`; the others' links are set false.
    fn choose_branch(&mut self, activity: ActivityId, chosen: ActivityId) {
        let ActivityKind::Pick(pick) = &self.model.activity(activity).kind else {
            unreachable!("a pick");
        };
        let branches = pick
            .on_messages
            .iter()
            .map(|m| m.activity)
            .chain(pick.on_alarms.iter().map(|a| a.activity));
        for branch in branches.filter(|&branch| branch != chosen) {
            self.skip(branch);
        }
        self.push(Frame::Run(chosen));
    }

    /// Hands the oldest inbox message that something waits for to it. False when there was
    /// none.
    pub(super) fn match_inbox(&mut self) -> bool {
        for index in 0..self.state.inbox.len() {
            if let Some(consumer) = self.consumer(&self.state.inbox[index]) {
                let inbound = self.state.inbox.remove(index);
                self.consume(consumer, inbound);
                return true;
            }
        }
        false
    }

    fn consumer(&self, inbound: &Inbound) -> Option<Consumer> {
        let mut found: Option<(Consumer, &Receive)> = None;
        for id in self.state.thread_ids() {
            let thread = self.state.thread(id);
            let candidate = match &thread.waiting {
                Some(Waiting::Message(activity))
                    if self.accepts(self.receive(*activity), inbound, thread.scope) =>
                {
                    Some((Consumer::Receive(id, *activity), self.receive(*activity)))
                }
                Some(Waiting::Pick { activity, .. }) => {
                    let ActivityKind::Pick(pick) = &self.model.activity(*activity).kind else {
                        continue;
                    };
                    pick.on_messages
                        .iter()
                        .position(|m| self.accepts(&m.message, inbound, thread.scope))
                        .map(|index| {
                            let message = &pick.on_messages[index].message;
                            (Consumer::Pick(id, *activity, index), message)
                        })
                }
                _ => None,
            };
            match (candidate, &found) {
                (Some(candidate), None) => found = Some(candidate),
                (Some((_, other)), Some((first, receive)))
                    if !self.model.draft && !same_receive(other, receive) =>
                {
                    let (Consumer::Receive(thread, activity) | Consumer::Pick(thread, activity, _)) =
                        first
                    else {
                        unreachable!("only receives and picks are found here");
                    };
                    return Some(Consumer::Ambiguous(*thread, *activity));
                }
                _ => {}
            }
        }
        if let Some((consumer, _)) = found {
            return Some(consumer);
        }
        for id in self.state.scope_ids() {
            let instance = self.state.scope(id);
            if !instance.events_open
                || !matches!(instance.phase, crate::runtime::state::Phase::Running)
            {
                continue;
            }
            let handlers = &self.model.scope(instance.scope).event_handlers;
            if let Some(index) = handlers
                .on_events
                .iter()
                .position(|event| self.accepts(&event.message, inbound, id))
            {
                return Some(Consumer::Event(id, index));
            }
        }
        None
    }

    /// Whether `receive`, seen from scope instance `scope`, takes `inbound`: same partner
    /// link and operation, and the values of its initiated correlation sets.
    fn accepts(&self, receive: &Receive, inbound: &Inbound, scope: ScopeRef) -> bool {
        if inbound.partner_link != receive.partner_link || inbound.operation != receive.operation {
            return false;
        }
        let checked = receive
            .correlations
            .iter()
            .filter(|usage| usage.initiate != Initiate::Yes);
        for usage in checked {
            let Some(current) = self.state.correlation(self.model, scope, usage.set) else {
                continue;
            };
            let Some(message_type) = self
                .process
                .input_message(receive.partner_link, &receive.operation)
            else {
                return false;
            };
            let set = self.model.correlation_set(usage.set);
            match correlation::values(
                self.process,
                &VariableKind::Message(message_type),
                &inbound.message,
                &set.properties,
            ) {
                Ok(values) if values == *current => {}
                _ => return false,
            }
        }
        true
    }

    fn consume(&mut self, consumer: Consumer, inbound: Inbound) {
        match consumer {
            Consumer::Receive(thread, activity) => {
                self.current = thread;
                self.resume(thread, activity);
                let receive = self.receive(activity);
                if let Err(fault) = self.take_message(receive, inbound, thread) {
                    self.raise(fault);
                }
            }
            Consumer::Pick(thread, activity, index) => {
                self.current = thread;
                self.resume(thread, activity);
                let ActivityKind::Pick(pick) = &self.model.activity(activity).kind else {
                    unreachable!("a pick");
                };
                let on_message = &pick.on_messages[index];
                match self.take_message(&on_message.message, inbound, thread) {
                    Ok(()) => self.choose_branch(activity, on_message.activity),
                    Err(fault) => self.raise(fault),
                }
            }
            Consumer::Ambiguous(thread, activity) => {
                self.current = thread;
                self.resume(thread, activity);
                let fault = Fault::standard(
                    "ambiguousReceive",
                    format!(
                        "a message for operation '{}' fits more than one waiting activity",
                        inbound.operation
                    ),
                );
                if let Some(exchange) = inbound.exchange {
                    let to = OpenExchange {
                        partner_link: inbound.partner_link,
                        operation: inbound.operation,
                        message_exchange: None,
                        exchange,
                    };
                    self.actions.push(Action::Reply {
                        to,
                        outcome: ReplyOutcome::Fault(fault.clone()),
                    });
                }
                self.raise(fault);
            }
            Consumer::Event(scope, index) => {
                let on_event = &self
                    .model
                    .scope(self.state.scope(scope).scope)
                    .event_handlers
                    .on_events[index];
                let instance =
                    self.state
                        .add_scope(self.model, on_event.scope, Some(scope), None, None);
                let ActivityKind::Scope(child) = self.model.activity(on_event.activity).kind else {
                    unreachable!("an onEvent's activity is a scope");
                };
                let thread = self.spawn(Thread {
                    scope: instance,
                    flow: None,
                    stack: Vec::new(),
                    waiting: None,
                    parent: None,
                    doomed: false,
                    last_scope_succeeded: true,
                });
                self.state.scope_mut(instance).body = Some(thread);
                // The onEvent's scope starts with the message, so that the correlation sets it
                // declares take the message's values.
                self.current = thread;
                self.start_scope(child, None);
                let Some(Waiting::Scope(started)) = self.state.thread(thread).waiting else {
                    unreachable!("the thread waits for the scope it started");
                };
                let body = self
                    .state
                    .scope(started)
                    .body
                    .expect("a started scope runs its body");
                self.current = body;
                if let Err(fault) = self.take_message(&on_event.message, inbound, body) {
                    self.raise(fault);
                }
            }
        }
    }

    /// Takes a message for a receive, onMessage or onEvent running in `thread`. A request
    /// that cannot be taken gets the fault as its reply, as no reply activity can answer it.
    fn take_message(
        &mut self,
        receive: &Receive,
        inbound: Inbound,
        thread: ThreadId,
    ) -> Result<(), Fault> {
        let exchange = inbound.exchange.clone();
        let accepted = self.accept(receive, inbound, self.state.thread(thread).scope);
        if let (Err(fault), Some(exchange)) = (&accepted, exchange) {
            let to = OpenExchange {
                partner_link: receive.partner_link,
                operation: receive.operation.clone(),
                message_exchange: receive.message_exchange.clone(),
                exchange,
            };
            self.actions.push(Action::Reply {
                to,
                outcome: ReplyOutcome::Fault(fault.clone()),
            });
        }
        accepted
    }

    fn accept(
        &mut self,
        receive: &Receive,
        inbound: Inbound,
        scope: ScopeRef,
    ) -> Result<(), Fault> {
        let message_type = self
            .process
            .input_message(receive.partner_link, &receive.operation);
        self.correlate(
            &receive.correlations,
            &inbound.message,
            message_type.as_ref(),
            false,
            scope,
        )?;
        let values = self.read_parts(&inbound.message, &receive.from_parts)?;
        let partner_role = self
            .model
            .partner_link(receive.partner_link)
            .partner_role
            .is_some();
        if let (Some(callback), true) = (inbound.callback, partner_role) {
            self.state
                .set_partner(self.model, scope, receive.partner_link, callback);
        }
        if let Some(exchange) = inbound.exchange {
            let conflicting = self.state.open_exchanges.iter().any(|open| {
                open.partner_link == receive.partner_link
                    && open.operation == receive.operation
                    && open.message_exchange == receive.message_exchange
            });
            if conflicting {
                return Err(Fault::conflicting_request(format!(
                    "a reply for operation '{}' is still owed",
                    receive.operation
                )));
            }
            self.state.open_exchanges.push(OpenExchange {
                partner_link: receive.partner_link,
                operation: receive.operation.clone(),
                message_exchange: receive.message_exchange.clone(),
                exchange,
            });
        }
        if let Some(variable) = receive.variable {
            assign::check_size(self.process, variable, &inbound.message)?;
            *self.state.variable_mut(self.model, scope, variable) = Some(inbound.message);
        }
        self.write_variables(scope, values);
        let operation = Some(receive.operation.clone());
        self.process_event(EventType::ProcessMessageExchange, operation.clone());
        if !receive.create_instance && !receive.correlations.is_empty() {
            self.process_event(EventType::CorrelationMatch, operation);
        }
        let written = receive.from_parts.iter().map(|(_, variable)| *variable);
        self.variable_events(
            EventType::VariableModification,
            receive.variable.into_iter().chain(written),
        );
        Ok(())
    }

    pub(super) fn run_reply(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let ActivityKind::Reply(reply) = &self.model.activity(activity).kind else {
            unreachable!("activity {activity:?} is not a reply");
        };
        let message = self.outgoing_message(reply.variable, &reply.to_parts)?;
        let read = reply.to_parts.iter().map(|(_, variable)| *variable);
        self.variable_events(
            EventType::VariableRead,
            reply.variable.into_iter().chain(read),
        );
        if reply.fault.is_none() {
            let message_type = self
                .process
                .output_message(reply.partner_link, &reply.operation);
            let scope = self.scope_ref();
            self.correlate(
                &reply.correlations,
                &message,
                message_type.as_ref(),
                true,
                scope,
            )?;
        }
        let position = self.state.open_exchanges.iter().position(|open| {
            open.partner_link == reply.partner_link
                && open.operation == reply.operation
                && open.message_exchange == reply.message_exchange
        });
        let Some(position) = position else {
            return Err(Fault::missing_request(format!(
                "no request for operation '{}' awaits a reply",
                reply.operation
            )));
        };
        let open = self.state.open_exchanges.remove(position);
        let outcome = match &reply.fault {
            Some(name) => ReplyOutcome::Fault(Fault {
                name: name.clone(),
                data: Some(Box::new(message)),
                reason: format!(
                    "fault reply from {}",
                    self.model.activity(activity).location
                ),
            }),
            None => ReplyOutcome::Message(message),
        };
        self.actions.push(Action::Reply { to: open, outcome });
        Ok(())
    }

    pub(super) fn run_invoke(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let invoke = self.invoke(activity);
        let (message, endpoint) = self.invoke_request(invoke)?;
        let read = invoke.to_parts.iter().map(|(_, variable)| *variable);
        self.variable_events(
            EventType::VariableRead,
            invoke.input.into_iter().chain(read),
        );
        let input_type = self
            .process
            .input_message_of_partner(invoke.partner_link, &invoke.operation);
        let on_request: Vec<CorrelationUse> = invoke
            .correlations
            .iter()
            .filter(|c| {
                matches!(
                    c.pattern,
                    None | Some(Pattern::Request | Pattern::RequestResponse)
                )
            })
            .cloned()
            .collect();
        let scope = self.scope_ref();
        self.correlate(&on_request, &message, input_type.as_ref(), true, scope)?;
        self.issue_invoke(activity, message, endpoint, 0);
        Ok(())
    }

    /// The request an invoke sends, and the address it goes to where the invoke says (a REST
    /// extension activity's URI; else the partner link's).
    fn invoke_request(&self, invoke: &Invoke) -> Result<(Document, Option<String>), Fault> {
        match &invoke.rest {
            Some(rest) => {
                let (request, uri) = self.rest_request(rest)?;
                Ok((request, Some(uri)))
            }
            None => Ok((self.outgoing_message(invoke.input, &invoke.to_parts)?, None)),
        }
    }

    /// Sends an invoke's request again (after a restart, a failure or an operator's retry).
    pub(super) fn reissue_invoke(&mut self, activity: ActivityId, attempt: u32) {
        let invoke = self.invoke(activity);
        match self.invoke_request(invoke) {
            Ok((message, endpoint)) => self.issue_invoke(activity, message, endpoint, attempt),
            Err(fault) => self.raise(fault),
        }
    }

    /// Sends an invoke's request (to `endpoint`, else the partner link's address) and, for a
    /// request-response operation, waits for its outcome.
    pub(super) fn issue_invoke(
        &mut self,
        activity: ActivityId,
        message: Document,
        endpoint: Option<String>,
        attempt: u32,
    ) {
        let invoke = self.invoke(activity);
        let one_way = self
            .process
            .is_one_way_partner(invoke.partner_link, &invoke.operation);
        let exchange = self.next_exchange();
        let scope = self.scope_ref();
        let endpoint = endpoint.or_else(|| {
            self.state
                .endpoint(self.model, scope, invoke.partner_link)
                .cloned()
        });
        let sessions = Sessions {
            partner: self
                .state
                .partner_session(self.model, scope, invoke.partner_link)
                .cloned(),
            mine: self.my_session(invoke.partner_link),
        };
        self.actions.push(Action::Invoke {
            exchange: exchange.clone(),
            partner_link: invoke.partner_link,
            operation: invoke.operation.clone(),
            message,
            one_way,
            endpoint,
            sessions,
        });
        if !one_way {
            self.push(Frame::Run(activity));
            self.wait(Waiting::Invoke {
                activity,
                exchange,
                attempt,
            });
        }
    }

    /// Where to call the instance back on `partner_link`, and its session there, when
    /// callbacks on it are routed by session; the route is added with the step of its first
    /// invoke.
    fn my_session(&mut self, partner_link: PartnerLinkId) -> Option<Callback> {
        if !self.process.has_session(partner_link) {
            return None;
        }
        let address = self.process.my_endpoints[partner_link.index()].clone()?;
        let session = session::my_session(self.instance, partner_link);
        if !self.state.routed_sessions.contains(&partner_link) {
            self.state.routed_sessions.push(partner_link);
            self.routes.push(Route {
                set: session::SESSION_SET.to_owned(),
                values: vec![session.clone()],
                shared: false,
            });
        }
        Some(Callback {
            address,
            session: Some(session),
        })
    }

    /// An invoke's outcome arrived for `thread`.
    pub(super) fn invoke_done(&mut self, thread: ThreadId, outcome: InvokeOutcome) {
        let Some(Waiting::Invoke {
            activity,
            exchange,
            attempt,
        }) = self.state.thread(thread).waiting.clone()
        else {
            return;
        };
        self.current = thread;
        self.resume(thread, activity);
        match outcome {
            InvokeOutcome::Failure(failure) => {
                self.invoke_failed(activity, exchange, attempt, failure)
            }
            // A standard fault is never a fault of the invoked operation: it is the partner's
            // engine refusing the request or losing its instance, a failure of the invoke (as
            // ODE, whose partner exchanges fail then, has it).
            InvokeOutcome::Fault { name, reason, .. } if name.ns == BPEL_NS => {
                let failure = InvokeFailure::new(
                    FailureKind::Unavailable,
                    format!("the partner answered with {name}: {reason}"),
                );
                self.invoke_failed(activity, exchange, attempt, failure)
            }
            outcome => {
                if let Err(fault) = self.complete_invoke(activity, outcome) {
                    self.raise(fault);
                }
            }
        }
    }

    /// An invoke failed (no reply, no fault): as its failure handling says, it faults, is
    /// retried after a delay, or waits for an operator. Without failure handling, the
    /// process's [`PartnerFailureMode`] decides between the failure's own fault and waiting
    /// for an operator.
    fn invoke_failed(
        &mut self,
        activity: ActivityId,
        exchange: crate::runtime::state::ExchangeId,
        attempt: u32,
        failure: InvokeFailure,
    ) {
        let invoke = self.invoke(activity);
        let policy = match &invoke.failure_handling {
            Some(policy) => policy.clone(),
            // A REST extension activity faults, as ODE's did, whatever the process's mode.
            None if self.process.partner_failure == PartnerFailureMode::Fault
                || invoke.rest.is_some() =>
            {
                let fault = failure.fault(&self.invoke(activity).operation);
                tracing::warn!(instance = self.instance, %exchange, fault = %fault.name, reason = %failure.reason, "Invoke failed; raising its fault");
                return self.raise(fault);
            }
            None => FailureHandling::default(),
        };
        let reason = failure.reason;
        if policy.fault_on_failure {
            return self.raise(self.activity_failure(activity, &reason));
        }
        self.push(Frame::Run(activity));
        if attempt < policy.retry_for {
            let timer = self.next_timer();
            let due_ms = self.now_ms + i64::from(policy.retry_delay) * 1000;
            self.wait(Waiting::Retry {
                activity,
                timer,
                due_ms,
                attempt: attempt + 1,
            });
            self.actions.push(Action::Timer { timer, due_ms });
        } else {
            tracing::warn!(instance = self.instance, %exchange, %reason, "Invoke failed; waiting for an operator to retry, cancel or fault it");
            self.activity_event(EventType::ActivityFailure, activity);
            self.wait(Waiting::Recovery {
                activity,
                exchange,
                reason,
            });
        }
    }

    /// ODE's `activityFailure` fault for a failed invoke.
    pub(super) fn activity_failure(&self, activity: ActivityId, reason: &str) -> Fault {
        Fault {
            name: QName::new(ACTIVITY_RECOVERY_NS, "activityFailure"),
            data: None,
            reason: format!(
                "invoke of '{}' failed: {reason}",
                self.invoke(activity).operation
            ),
        }
    }

    fn complete_invoke(
        &mut self,
        activity: ActivityId,
        outcome: InvokeOutcome,
    ) -> Result<(), Fault> {
        let invoke = self.invoke(activity);
        match outcome {
            InvokeOutcome::Reply(message) if invoke.rest.is_some() => {
                let rest = invoke.rest.as_deref().expect("a REST extension activity");
                self.rest_answer(rest, &message)
            }
            InvokeOutcome::Reply(message) => {
                let output_type = self
                    .process
                    .output_message_of_partner(invoke.partner_link, &invoke.operation);
                let on_response: Vec<CorrelationUse> = invoke
                    .correlations
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.pattern,
                            Some(Pattern::Response | Pattern::RequestResponse)
                        )
                    })
                    .cloned()
                    .collect();
                let scope = self.scope_ref();
                self.correlate(&on_response, &message, output_type.as_ref(), false, scope)?;
                let values = self.read_parts(&message, &invoke.from_parts)?;
                if let Some(output) = invoke.output {
                    assign::check_size(self.process, output, &message)?;
                    *self.state.variable_mut(self.model, scope, output) = Some(message);
                }
                self.write_variables(scope, values);
                let written = invoke.from_parts.iter().map(|(_, variable)| *variable);
                self.variable_events(
                    EventType::VariableModification,
                    invoke.output.into_iter().chain(written),
                );
                Ok(())
            }
            InvokeOutcome::Fault { name, data, reason } => Err(Fault { name, data, reason }),
            InvokeOutcome::Failure(failure) => {
                Err(self.activity_failure(activity, &failure.reason))
            }
        }
    }

    /// The message a reply or invoke sends: its variable's value, or the message its
    /// `<toParts>` build from their variables. A variable of a message type without parts
    /// needs no value: it sends the empty message, as ODE does.
    pub(super) fn outgoing_message(
        &self,
        variable: Option<VariableId>,
        to_parts: &[(String, VariableId)],
    ) -> Result<Document, Fault> {
        if let Some(variable) = variable {
            return match self.read_variable(variable) {
                Ok(value) => Ok(value.clone()),
                Err(_) if self.has_no_parts(variable) => Ok(message::empty()),
                Err(fault) => Err(fault),
            };
        }
        let mut built = message::empty();
        for (part, variable) in to_parts {
            let value = self.read_variable(*variable)?;
            let kind = &self.model.variable(*variable).kind;
            parts::write_part(&mut built, part, kind, value);
        }
        Ok(built)
    }

    /// Whether `variable` is of a message type without parts.
    fn has_no_parts(&self, variable: VariableId) -> bool {
        let VariableKind::Message(message_type) = &self.model.variable(variable).kind else {
            return false;
        };
        let messages = &self.process.definitions.messages;
        messages
            .get(message_type)
            .is_some_and(|message| message.parts.is_empty())
    }

    /// The values the `<fromParts>` of a receive or invoke give their variables from an
    /// incoming message; read before any of them is written, so a fault leaves them all.
    fn read_parts(
        &self,
        message: &Document,
        from_parts: &[(String, VariableId)],
    ) -> Result<Vec<(VariableId, Document)>, Fault> {
        from_parts
            .iter()
            .map(|(part, variable)| {
                let kind = &self.model.variable(*variable).kind;
                Ok((*variable, parts::read_part(message, part, kind)?))
            })
            .collect()
    }

    /// Sets variables, seen from scope instance `scope`.
    fn write_variables(&mut self, scope: ScopeRef, values: Vec<(VariableId, Document)>) {
        for (variable, value) in values {
            *self.state.variable_mut(self.model, scope, variable) = Some(value);
        }
    }

    /// Applies correlations to a message, seen from scope instance `scope`: initiates sets
    /// and checks the others.
    ///
    /// Two choices follow ODE, whose processes rely on them: initiating a set again with the
    /// values it holds is no violation (its values stay constant, which is what correlation
    /// guards), and `initiate="join"` on an outgoing message only initiates a set that is not
    /// yet initiated, without checking the message against one that is.
    fn correlate(
        &mut self,
        uses: &[CorrelationUse],
        message: &Document,
        message_type: Option<&QName>,
        outgoing: bool,
        scope: ScopeRef,
    ) -> Result<(), Fault> {
        let mut initiated = Vec::new();
        for usage in uses {
            let set = self.model.correlation_set(usage.set);
            let Some(message_type) = message_type else {
                return Err(Fault::correlation_violation(format!(
                    "correlation set '{}' used on an operation without a message",
                    set.name
                )));
            };
            let values = correlation::values(
                self.process,
                &VariableKind::Message(message_type.clone()),
                message,
                &set.properties,
            )?;
            let slot = self.state.correlation_mut(self.model, scope, usage.set);
            match (usage.initiate, slot.as_ref()) {
                (Initiate::Yes | Initiate::Join, Some(current)) if *current == values => {}
                (Initiate::Join, Some(_)) if outgoing => {}
                (Initiate::Yes, Some(current)) => {
                    return Err(Fault::correlation_violation(format!(
                        "correlation set '{}' is already initiated with other values {current:?}",
                        set.name
                    )))
                }
                (Initiate::No, None) => {
                    return Err(Fault::correlation_violation(format!(
                        "correlation set '{}' is not initiated",
                        set.name
                    )))
                }
                (_, Some(current)) if *current != values => {
                    let direction = if outgoing { "outgoing" } else { "incoming" };
                    return Err(Fault::correlation_violation(format!(
                        "the {direction} message's values {values:?} differ from correlation set '{}' {current:?}",
                        set.name
                    )));
                }
                (Initiate::Yes | Initiate::Join, None) => {
                    if set.scope == ScopeId::PROCESS {
                        let properties = set.properties.iter().cloned();
                        self.correlated
                            .extend(properties.zip(values.iter().cloned()));
                    }
                    *slot = Some(values);
                    initiated.push(usage.set);
                }
                _ => {}
            }
        }
        for set in &initiated {
            let name = self.model.correlation_set(*set).name.clone();
            self.data_event(EventType::CorrelationSetWrite, &name);
        }
        let keys = &self.process.route_keys;
        let mut added = routes::added(self.model, keys, self.state, scope, &initiated);
        if self.process.shares_correlation_values {
            added.iter_mut().for_each(|route| route.shared = true);
        }
        self.routes.extend(added);
        Ok(())
    }
}

/// Two receives that may not wait at once: same partner link, operation and correlation
/// sets (WS-BPEL 2.0 §10.4, bpel:conflictingReceive).
fn same_receive(a: &Receive, b: &Receive) -> bool {
    let sets = |r: &Receive| {
        let mut sets: Vec<_> = r.correlations.iter().map(|c| c.set).collect();
        sets.sort_unstable();
        sets
    };
    a.partner_link == b.partner_link && a.operation == b.operation && sets(a) == sets(b)
}
