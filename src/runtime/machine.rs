//! The interpreter: runs an instance over its activity tree until it must wait (for a
//! message, an invoke's outcome or a timer) or ends.
//!
//! Control is an explicit continuation stack of [`Frame`]s in the instance state, so a
//! suspended instance is plain data. A blocking activity leaves its own `Run` frame on top
//! of the stack and records what it waits for; the event that ends the wait pops it.
//! Faults unwind the stack to the process's fault handlers.

use super::assign;
use super::compiled::CompiledProcess;
use super::correlation;
use super::evaluate;
use super::fault::Fault;
use super::state::{
    ExchangeId, Frame, Inbound, InstanceState, InstanceStatus, OpenExchange, Waiting,
};
use super::step::{Action, Event, InvokeOutcome, ReplyOutcome, Route, StepOutput};
use super::xsd;
use crate::model::{
    ActivityId, ActivityKind, CorrelationUse, Deadline, Initiate, Invoke, Pattern, Receive,
    VariableId, VariableKind,
};
use crate::xml::{Document, QName};

/// The namespace of the fault raised when an invoke fails without a fault from the partner.
pub const ACTIVITY_RECOVERY_NS: &str = "http://ode.apache.org/activityRecovery";

/// One step of one instance.
pub struct Machine<'p> {
    process: &'p CompiledProcess,
    state: &'p mut InstanceState,
    instance: i64,
    now_ms: i64,
    actions: Vec<Action>,
    routes: Vec<Route>,
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
        let mut machine = Machine {
            process,
            state,
            instance,
            now_ms,
            actions: Vec::new(),
            routes: Vec::new(),
        };
        if machine.state.status == InstanceStatus::Running {
            machine.apply(event);
            machine.run();
        }
        StepOutput {
            actions: machine.actions,
            routes: machine.routes,
            status: machine.state.status,
        }
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Recover => match self.state.waiting.clone() {
                Some(Waiting::Timer { activity, due_ms }) => {
                    self.actions.push(Action::Timer { activity, due_ms });
                }
                Some(Waiting::Invoke { activity, .. }) => {
                    // Send the request again; its correlations were applied when it was first
                    // sent, and initiating them again would be a correlationViolation.
                    self.state.waiting = None;
                    self.pop_run(activity);
                    match self.outgoing_message(self.invoke(activity).input) {
                        Ok(message) => self.issue_invoke(activity, message),
                        Err(fault) => self.raise(fault),
                    }
                }
                Some(Waiting::Message(_)) | None => {}
            },
            Event::Message(inbound) => {
                self.state.inbox.push(inbound);
                if let Some(Waiting::Message(activity)) = self.state.waiting {
                    self.state.waiting = None;
                    self.pop_run(activity);
                    if let Err(fault) = self.run_receive(activity) {
                        self.raise(fault);
                    }
                }
            }
            Event::InvokeDone { exchange, outcome } => match &self.state.waiting {
                Some(Waiting::Invoke {
                    activity,
                    exchange: awaited,
                }) if *awaited == exchange => {
                    let activity = *activity;
                    self.state.waiting = None;
                    self.pop_run(activity);
                    if let Err(fault) = self.complete_invoke(activity, outcome) {
                        self.raise(fault);
                    }
                }
                _ => {
                    tracing::warn!(instance = self.instance, %exchange, "Invoke outcome not awaited; dropped")
                }
            },
            Event::TimerFired { activity } => {
                if matches!(self.state.waiting, Some(Waiting::Timer { activity: a, .. }) if a == activity)
                {
                    self.state.waiting = None;
                    self.pop_run(activity);
                }
            }
        }
    }

    /// Removes the `Run(activity)` frame a blocking activity left on top of the stack.
    fn pop_run(&mut self, activity: ActivityId) {
        debug_assert_eq!(self.state.stack.last(), Some(&Frame::Run(activity)));
        self.state.stack.pop();
    }

    fn run(&mut self) {
        while self.state.waiting.is_none() && self.state.status == InstanceStatus::Running {
            let Some(frame) = self.state.stack.pop() else {
                self.finish(InstanceStatus::Completed);
                break;
            };
            if let Err(fault) = self.execute(frame) {
                self.raise(fault);
            }
        }
    }

    fn execute(&mut self, frame: Frame) -> Result<(), Fault> {
        let process = self.process;
        match frame {
            Frame::Run(activity) => self.start(activity),
            Frame::Sequence { activity, next } => {
                if let ActivityKind::Sequence(children) = &process.model.activity(activity).kind {
                    self.continue_sequence(activity, children, next as usize);
                }
                Ok(())
            }
            Frame::While(activity) => {
                if let ActivityKind::While { condition, body } =
                    process.model.activity(activity).kind
                {
                    if evaluate::condition(process, &self.state.variables, condition)? {
                        self.state.stack.push(Frame::While(activity));
                        self.state.stack.push(Frame::Run(body));
                    }
                }
                Ok(())
            }
            Frame::RepeatUntil(activity) => {
                if let ActivityKind::RepeatUntil { body, condition } =
                    process.model.activity(activity).kind
                {
                    if !evaluate::condition(process, &self.state.variables, condition)? {
                        self.state.stack.push(Frame::RepeatUntil(activity));
                        self.state.stack.push(Frame::Run(body));
                    }
                }
                Ok(())
            }
            Frame::HandlingFault => {
                self.finish(InstanceStatus::Faulted);
                Ok(())
            }
        }
    }

    fn continue_sequence(&mut self, activity: ActivityId, children: &[ActivityId], next: usize) {
        if let Some(child) = children.get(next) {
            if next + 1 < children.len() {
                self.state.stack.push(Frame::Sequence {
                    activity,
                    next: next as u32 + 1,
                });
            }
            self.state.stack.push(Frame::Run(*child));
        }
    }

    fn start(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let process = self.process;
        match &process.model.activity(activity).kind {
            ActivityKind::Empty => Ok(()),
            ActivityKind::Sequence(children) => {
                self.continue_sequence(activity, children, 0);
                Ok(())
            }
            ActivityKind::If {
                branches,
                otherwise,
            } => {
                for (condition, branch) in branches {
                    if evaluate::condition(process, &self.state.variables, *condition)? {
                        self.state.stack.push(Frame::Run(*branch));
                        return Ok(());
                    }
                }
                if let Some(otherwise) = otherwise {
                    self.state.stack.push(Frame::Run(*otherwise));
                }
                Ok(())
            }
            ActivityKind::While { .. } => self.execute(Frame::While(activity)),
            ActivityKind::RepeatUntil { body, .. } => {
                self.state.stack.push(Frame::RepeatUntil(activity));
                self.state.stack.push(Frame::Run(*body));
                Ok(())
            }
            ActivityKind::Assign(assign) => assign::execute(process, self.state, &assign.copies),
            ActivityKind::Receive(_) => self.run_receive(activity),
            ActivityKind::Reply(_) => self.run_reply(activity),
            ActivityKind::Invoke(_) => self.run_invoke(activity),
            ActivityKind::Wait(deadline) => self.run_wait(activity, *deadline),
            ActivityKind::Exit => {
                self.finish(InstanceStatus::Terminated);
                Ok(())
            }
            ActivityKind::Rethrow
            | ActivityKind::Flow { .. }
            | ActivityKind::ForEach(_)
            | ActivityKind::Pick(_)
            | ActivityKind::Scope(_)
            | ActivityKind::Compensate
            | ActivityKind::CompensateScope(_)
            | ActivityKind::Validate(_) => unreachable!("not compiled yet"),
            ActivityKind::Throw { fault, variable } => Err(Fault {
                name: fault.clone(),
                data: match variable {
                    Some(variable) => Some(Box::new(self.read_variable(*variable)?.clone())),
                    None => None,
                },
                reason: format!(
                    "thrown by <throw> at {}",
                    process.model.activity(activity).location
                ),
            }),
        }
    }

    fn receive(&self, activity: ActivityId) -> &'p Receive {
        match &self.process.model.activity(activity).kind {
            ActivityKind::Receive(receive) => receive,
            other => unreachable!("activity {activity:?} is not a receive: {other:?}"),
        }
    }

    fn run_receive(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let receive = self.receive(activity);
        let position = self.state.inbox.iter().position(|inbound| {
            inbound.partner_link == receive.partner_link && inbound.operation == receive.operation
        });
        let Some(position) = position else {
            self.state.stack.push(Frame::Run(activity));
            self.state.waiting = Some(Waiting::Message(activity));
            return Ok(());
        };
        let inbound = self.state.inbox.remove(position);
        let exchange = inbound.exchange.clone();
        let accepted = self.accept(receive, inbound);
        if let (Err(fault), Some(exchange)) = (&accepted, exchange) {
            // The request was not accepted, so no reply activity can answer it: its caller
            // gets the fault now rather than waiting in vain.
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

    fn accept(&mut self, receive: &Receive, inbound: Inbound) -> Result<(), Fault> {
        let message_type = self
            .process
            .input_message(receive.partner_link, &receive.operation);
        self.correlate(
            &receive.correlations,
            &inbound.message,
            message_type.as_ref(),
            false,
        )?;
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
            self.state.variables[variable.index()] = Some(inbound.message);
        }
        Ok(())
    }

    fn run_reply(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let ActivityKind::Reply(reply) = &self.process.model.activity(activity).kind else {
            unreachable!("activity {activity:?} is not a reply");
        };
        let message = self.outgoing_message(reply.variable)?;
        if reply.fault.is_none() {
            let message_type = self
                .process
                .output_message(reply.partner_link, &reply.operation);
            self.correlate(&reply.correlations, &message, message_type.as_ref(), true)?;
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
                    self.process.model.activity(activity).location
                ),
            }),
            None => ReplyOutcome::Message(message),
        };
        self.actions.push(Action::Reply { to: open, outcome });
        Ok(())
    }

    fn invoke(&self, activity: ActivityId) -> &'p Invoke {
        match &self.process.model.activity(activity).kind {
            ActivityKind::Invoke(invoke) => invoke,
            other => unreachable!("activity {activity:?} is not an invoke: {other:?}"),
        }
    }

    fn run_invoke(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let invoke = self.invoke(activity);
        let message = self.outgoing_message(invoke.input)?;
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
        self.correlate(&on_request, &message, input_type.as_ref(), true)?;
        self.issue_invoke(activity, message);
        Ok(())
    }

    /// Sends an invoke's request and, for a request-response operation, waits for its
    /// outcome.
    fn issue_invoke(&mut self, activity: ActivityId, message: Document) {
        let invoke = self.invoke(activity);
        let one_way = self
            .process
            .is_one_way_partner(invoke.partner_link, &invoke.operation);
        let exchange = self.next_exchange();
        self.actions.push(Action::Invoke {
            exchange: exchange.clone(),
            partner_link: invoke.partner_link,
            operation: invoke.operation.clone(),
            message,
            one_way,
            endpoint: self.state.endpoints[invoke.partner_link.index()].clone(),
        });
        if !one_way {
            self.state.stack.push(Frame::Run(activity));
            self.state.waiting = Some(Waiting::Invoke { activity, exchange });
        }
    }

    fn complete_invoke(
        &mut self,
        activity: ActivityId,
        outcome: InvokeOutcome,
    ) -> Result<(), Fault> {
        let invoke = self.invoke(activity);
        match outcome {
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
                self.correlate(&on_response, &message, output_type.as_ref(), false)?;
                if let Some(output) = invoke.output {
                    self.state.variables[output.index()] = Some(message);
                }
                Ok(())
            }
            InvokeOutcome::Fault { name, data, reason } => Err(Fault { name, data, reason }),
            InvokeOutcome::Failure(reason) => Err(Fault {
                name: QName::new(ACTIVITY_RECOVERY_NS, "activityFailure"),
                data: None,
                reason: format!("invoke of '{}' failed: {reason}", invoke.operation),
            }),
        }
    }

    fn run_wait(&mut self, activity: ActivityId, deadline: Deadline) -> Result<(), Fault> {
        let process = self.process;
        let due_ms = match deadline {
            Deadline::For(expression) => {
                let text = evaluate::string(process, &self.state.variables, expression)?;
                let duration =
                    xsd::Duration::parse(&text).map_err(Fault::invalid_expression_value)?;
                duration.add_to(self.now_ms)
            }
            Deadline::Until(expression) => {
                let text = evaluate::string(process, &self.state.variables, expression)?;
                xsd::parse_date_time(&text).map_err(Fault::invalid_expression_value)?
            }
        };
        if due_ms > self.now_ms {
            self.state.stack.push(Frame::Run(activity));
            self.state.waiting = Some(Waiting::Timer { activity, due_ms });
            self.actions.push(Action::Timer { activity, due_ms });
        }
        Ok(())
    }

    fn read_variable(&self, variable: VariableId) -> Result<&Document, Fault> {
        self.state.variables[variable.index()]
            .as_ref()
            .ok_or_else(|| {
                Fault::uninitialized_variable(&self.process.model.variable(variable).name)
            })
    }

    fn outgoing_message(&self, variable: Option<VariableId>) -> Result<Document, Fault> {
        match variable {
            Some(variable) => Ok(self.read_variable(variable)?.clone()),
            None => Ok(super::message::empty()),
        }
    }

    fn next_exchange(&mut self) -> ExchangeId {
        self.state.exchange_counter += 1;
        format!("{}.{}", self.instance, self.state.exchange_counter)
    }

    /// Applies correlations to a message: initiates sets and checks the others.
    fn correlate(
        &mut self,
        uses: &[CorrelationUse],
        message: &Document,
        message_type: Option<&QName>,
        outgoing: bool,
    ) -> Result<(), Fault> {
        for usage in uses {
            let set = self.process.model.correlation_set(usage.set);
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
            let slot = &mut self.state.correlations[usage.set.index()];
            match (usage.initiate, slot.as_ref()) {
                (Initiate::Yes, Some(_)) => {
                    return Err(Fault::correlation_violation(format!(
                        "correlation set '{}' is already initiated",
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
                    self.routes.push(Route {
                        set: set.name.clone(),
                        values: values.clone(),
                    });
                    *slot = Some(values);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Hands a fault to the process's fault handlers, or ends the instance with it.
    fn raise(&mut self, fault: Fault) {
        tracing::debug!(instance = self.instance, fault = %fault, "Fault raised");
        let handling = self.state.stack.contains(&Frame::HandlingFault);
        self.state.stack.clear();
        self.state.waiting = None;
        let handlers = &self.process.model.scopes[0].fault_handlers;
        let catch = handlers
            .catches
            .iter()
            .find(|catch| catch.fault_name.as_ref() == Some(&fault.name));
        let handler = match catch {
            Some(catch) => Some((catch.activity, catch.fault_variable)),
            None => handlers.catch_all.map(|activity| (activity, None)),
        };
        match handler {
            Some((activity, variable)) if !handling => {
                if let (Some(variable), Some(data)) = (variable, &fault.data) {
                    self.state.variables[variable.index()] = Some((**data).clone());
                }
                self.state.fault = Some(fault);
                self.state.stack.push(Frame::HandlingFault);
                self.state.stack.push(Frame::Run(activity));
            }
            _ => {
                self.state.fault = Some(fault);
                self.finish(InstanceStatus::Faulted);
            }
        }
    }

    /// Ends the instance: owed replies get the instance's fault, or bpel:missingReply;
    /// requests left in the inbox get bpel:missingReply.
    fn finish(&mut self, status: InstanceStatus) {
        self.state.status = status;
        self.state.stack.clear();
        self.state.waiting = None;
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
