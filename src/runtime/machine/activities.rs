//! Starting activities and running the frames of structured ones: sequence, if, loops,
//! forEach, flow, wait, assign, throw, exit.

use super::Machine;
use crate::model::{ActivityId, ActivityKind, Deadline, ForEach, VariableKind};
use crate::runtime::assign;
use crate::runtime::evaluate::{self, Visible};
use crate::runtime::events::EventType;
use crate::runtime::fault::Fault;
use crate::runtime::state::{FlowInstance, Frame, InstanceStatus, Thread, Waiting};
use crate::runtime::xsd;
use crate::xml::{Document, QName};

impl Machine<'_> {
    pub(super) fn execute(&mut self, frame: Frame) -> Result<(), Fault> {
        match frame {
            Frame::Run(activity) => self.run_activity(activity),
            Frame::Completed(activity) => {
                self.activity_event(EventType::ActivityExecEnd, activity);
                self.determine_sources(activity)
            }
            Frame::Sequence { activity, next } => {
                if let ActivityKind::Sequence(children) = &self.model.activity(activity).kind {
                    self.continue_sequence(activity, children, next as usize);
                }
                Ok(())
            }
            Frame::While(activity) => {
                if let ActivityKind::While { condition, body } = self.model.activity(activity).kind
                {
                    if self.condition(condition)? {
                        self.push(Frame::While(activity));
                        self.push(Frame::Run(body));
                    }
                }
                Ok(())
            }
            Frame::RepeatUntil(activity) => {
                if let ActivityKind::RepeatUntil { body, condition } =
                    self.model.activity(activity).kind
                {
                    if !self.condition(condition)? {
                        self.push(Frame::RepeatUntil(activity));
                        self.push(Frame::Run(body));
                    }
                }
                Ok(())
            }
            Frame::ForEachSerial {
                activity,
                next,
                last,
                completed,
                target,
            } => {
                if target.is_some_and(|target| completed >= target) {
                    return Ok(());
                }
                if next > last {
                    return match target {
                        Some(_) => Err(completion_condition_failure()),
                        None => Ok(()),
                    };
                }
                self.push(Frame::ForEachSerial {
                    activity,
                    next: next + 1,
                    last,
                    completed,
                    target,
                });
                self.push(Frame::ForEachTally);
                self.push(Frame::ForEachBranch {
                    activity,
                    counter: next,
                });
                Ok(())
            }
            Frame::ForEachTally => {
                let succeeded = self.state.thread(self.current).last_scope_succeeded;
                let successful_only =
                    |activity: ActivityId| match &self.model.activity(activity).kind {
                        ActivityKind::ForEach(for_each) => for_each
                            .completion
                            .as_ref()
                            .is_some_and(|c| c.successful_only),
                        _ => false,
                    };
                if let Some(Frame::ForEachSerial {
                    activity,
                    completed,
                    ..
                }) = self.state.thread(self.current).stack.last().copied()
                {
                    if succeeded || !successful_only(activity) {
                        if let Some(Frame::ForEachSerial { completed: c, .. }) =
                            self.stack().last_mut()
                        {
                            *c = completed + 1;
                        }
                    }
                }
                Ok(())
            }
            Frame::ForEachBranch { activity, counter } => {
                let ActivityKind::ForEach(for_each) = &self.model.activity(activity).kind else {
                    unreachable!("a forEach branch of a forEach");
                };
                self.start_for_each_branch(for_each, counter);
                Ok(())
            }
            Frame::ForEachParallel {
                completed, target, ..
            } => match target {
                Some(target) if completed < target => Err(completion_condition_failure()),
                _ => Ok(()),
            },
            Frame::Compensate { scope, target } => {
                self.compensate_next(scope, target);
                Ok(())
            }
            Frame::Rethrow(scope) => Err(self.fault_handled_by(scope)),
            Frame::InitializeVariables(instance) => self.initialize_variables(instance),
            Frame::FlowDone(flow) => {
                self.state.flows[flow as usize] = None;
                Ok(())
            }
        }
    }

    /// `Run(activity)`: once its incoming links are determined and its join condition
    /// holds, starts the activity; its outgoing links are determined when it completes.
    fn run_activity(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let definition = self.model.activity(activity);
        if definition.targets.is_some() {
            match self.join(activity)? {
                None => {
                    self.push(Frame::Run(activity));
                    self.wait(Waiting::Links(activity));
                    return Ok(());
                }
                Some(false) if definition.suppress_join_failure => {
                    self.skip(activity);
                    return Ok(());
                }
                Some(false) => {
                    return Err(Fault::standard(
                        "joinFailure",
                        format!(
                            "{}: the join condition of the activity is false",
                            definition.location
                        ),
                    ))
                }
                Some(true) => {}
            }
        }
        if self.isolation_busy(activity) {
            self.push(Frame::Run(activity));
            self.wait(Waiting::Isolation(activity));
            return Ok(());
        }
        if !definition.sources.is_empty() || self.emits(EventType::ActivityExecEnd) {
            self.push(Frame::Completed(activity));
        }
        self.activity_event(EventType::ActivityEnabled, activity);
        self.activity_event(EventType::ActivityExecStart, activity);
        self.start(activity)
    }

    fn start(&mut self, activity: ActivityId) -> Result<(), Fault> {
        let model = self.model;
        match &model.activity(activity).kind {
            ActivityKind::Empty => Ok(()),
            ActivityKind::Sequence(children) => {
                self.continue_sequence(activity, children, 0);
                Ok(())
            }
            ActivityKind::If {
                branches,
                otherwise,
            } => {
                let mut chosen = None;
                for (condition, branch) in branches {
                    if self.condition(*condition)? {
                        chosen = Some(*branch);
                        break;
                    }
                }
                let chosen = chosen.or(*otherwise);
                for branch in branches
                    .iter()
                    .map(|(_, branch)| *branch)
                    .chain(*otherwise)
                    .filter(|branch| Some(*branch) != chosen)
                {
                    self.skip(branch);
                }
                if let Some(chosen) = chosen {
                    self.push(Frame::Run(chosen));
                }
                Ok(())
            }
            ActivityKind::While { .. } => self.execute(Frame::While(activity)),
            ActivityKind::RepeatUntil { body, .. } => {
                self.push(Frame::RepeatUntil(activity));
                self.push(Frame::Run(*body));
                Ok(())
            }
            ActivityKind::Assign(assign) => {
                let scope = self.scope_ref();
                assign::run_assign(self.process, self.state, scope, Some(&self.env), assign)?;
                self.assign_events(activity);
                Ok(())
            }
            ActivityKind::Extension(extension) => {
                let scope = self.scope_ref();
                super::super::extension::run(self.process, self.state, scope, extension)
            }
            ActivityKind::Receive(_) => self.run_receive(activity),
            ActivityKind::Reply(_) => self.run_reply(activity),
            ActivityKind::Invoke(_) => self.run_invoke(activity),
            ActivityKind::Pick(_) => self.run_pick(activity),
            ActivityKind::Wait(deadline) => self.run_wait(activity, *deadline),
            ActivityKind::Exit => {
                self.finish(InstanceStatus::Terminated);
                Ok(())
            }
            ActivityKind::Throw { fault, variable } => Err(Fault {
                name: fault.clone(),
                data: match variable {
                    Some(variable) => Some(Box::new(self.read_variable(*variable)?.clone())),
                    None => None,
                },
                reason: format!("thrown by <throw> at {}", model.activity(activity).location),
            }),
            ActivityKind::Rethrow => {
                let handler = self.handling_scope();
                Err(self.fault_handled_by(handler))
            }
            ActivityKind::Flow { links, children } => {
                self.run_flow(activity, links.len(), children);
                Ok(())
            }
            ActivityKind::ForEach(for_each) => self.run_for_each(activity, for_each),
            ActivityKind::Scope(scope) => {
                self.start_scope(*scope, None);
                Ok(())
            }
            ActivityKind::Compensate => {
                let scope = self.handling_scope();
                self.push(Frame::Compensate {
                    scope,
                    target: None,
                });
                Ok(())
            }
            ActivityKind::CompensateScope(target) => {
                let scope = self.handling_scope();
                self.push(Frame::Compensate {
                    scope,
                    target: Some(*target),
                });
                Ok(())
            }
            ActivityKind::Validate(variables) => {
                for variable in variables {
                    let document = self.read_variable(*variable)?;
                    crate::runtime::validate::variable(self.process, *variable, document)?;
                }
                Ok(())
            }
        }
    }

    fn continue_sequence(&mut self, activity: ActivityId, children: &[ActivityId], next: usize) {
        if let Some(child) = children.get(next) {
            if next + 1 < children.len() {
                self.push(Frame::Sequence {
                    activity,
                    next: next as u32 + 1,
                });
            }
            self.push(Frame::Run(*child));
        }
    }

    /// Evaluates a condition in the current thread's scope.
    pub(super) fn condition(&self, expression: crate::model::ExprId) -> Result<bool, Fault> {
        let visible = Visible::new(self.state, self.scope_ref(), Some(&self.env));
        evaluate::condition(self.process, visible, expression)
    }

    fn string(&self, expression: crate::model::ExprId) -> Result<String, Fault> {
        let visible = Visible::new(self.state, self.scope_ref(), Some(&self.env));
        evaluate::string(self.process, visible, expression)
    }

    /// Evaluates an expression that must give an unsigned integer.
    fn unsigned(&self, expression: crate::model::ExprId) -> Result<u64, Fault> {
        let text = self.string(expression)?;
        let number: f64 = text.trim().parse().map_err(|_| {
            Fault::invalid_expression_value(format!("'{text}' is not an unsigned integer"))
        })?;
        if number.fract() != 0.0 || !(0.0..=u32::MAX as f64).contains(&number) {
            return Err(Fault::invalid_expression_value(format!(
                "'{text}' is not an unsigned integer"
            )));
        }
        Ok(number as u64)
    }

    /// The due time of a `<for>` or `<until>`.
    pub(super) fn deadline(&self, deadline: Deadline) -> Result<i64, Fault> {
        match deadline {
            Deadline::For(expression) => {
                let text = self.string(expression)?;
                let duration =
                    xsd::Duration::parse(&text).map_err(Fault::invalid_expression_value)?;
                Ok(duration.add_to(self.now_ms))
            }
            Deadline::Until(expression) => {
                let text = self.string(expression)?;
                xsd::parse_date_time(&text).map_err(Fault::invalid_expression_value)
            }
        }
    }

    /// A `<repeatEvery>` duration added to now.
    pub(super) fn repeat(&self, expression: crate::model::ExprId) -> Result<i64, Fault> {
        let text = self.string(expression)?;
        let duration = xsd::Duration::parse(&text).map_err(Fault::invalid_expression_value)?;
        Ok(duration.add_to(self.now_ms))
    }

    fn run_wait(&mut self, activity: ActivityId, deadline: Deadline) -> Result<(), Fault> {
        let due_ms = self.deadline(deadline)?;
        if due_ms > self.now_ms {
            let timer = self.next_timer();
            self.push(Frame::Run(activity));
            self.wait(Waiting::Timer {
                activity,
                timer,
                due_ms,
            });
            self.actions
                .push(crate::runtime::step::Action::Timer { timer, due_ms });
        }
        Ok(())
    }

    fn run_flow(&mut self, activity: ActivityId, links: usize, children: &[ActivityId]) {
        let parent = self.state.thread(self.current);
        let (scope, parent_flow) = (parent.scope, parent.flow);
        let flow = self.state.add_flow(FlowInstance {
            activity,
            parent: parent_flow,
            links: vec![None; links],
        });
        self.push(Frame::FlowDone(flow));
        for child in children {
            self.spawn(Thread {
                scope,
                flow: Some(flow),
                stack: vec![Frame::Run(*child)],
                waiting: None,
                parent: Some(self.current),
                doomed: false,
                last_scope_succeeded: true,
            });
        }
        if !children.is_empty() {
            self.wait(Waiting::Children(children.len() as u32));
        }
    }

    fn run_for_each(&mut self, activity: ActivityId, for_each: &ForEach) -> Result<(), Fault> {
        let start = self.unsigned(for_each.start)?;
        let last = self.unsigned(for_each.end)?;
        let count = if last >= start { last - start + 1 } else { 0 };
        let target = match &for_each.completion {
            Some(completion) => {
                let branches = self.unsigned(completion.branches)?;
                if branches > count {
                    return Err(Fault::standard(
                        "invalidBranchCondition",
                        format!("the completion condition asks for {branches} of {count} branches"),
                    ));
                }
                Some(branches)
            }
            None => None,
        };
        if target == Some(0) {
            return Ok(());
        }
        if !for_each.parallel {
            self.push(Frame::ForEachSerial {
                activity,
                next: start,
                last,
                completed: 0,
                target,
            });
            return Ok(());
        }
        self.push(Frame::ForEachParallel {
            activity,
            completed: 0,
            target,
        });
        let parent = self.state.thread(self.current);
        let (scope, flow) = (parent.scope, parent.flow);
        if count == 0 {
            return Ok(());
        }
        for counter in start..=last {
            self.spawn(Thread {
                scope,
                flow,
                stack: vec![Frame::ForEachBranch { activity, counter }],
                waiting: None,
                parent: Some(self.current),
                doomed: false,
                last_scope_succeeded: true,
            });
        }
        self.wait(Waiting::Children(count as u32));
        Ok(())
    }

    /// Runs the forEach's child scope with its counter variable set to `counter`.
    fn start_for_each_branch(&mut self, for_each: &ForEach, counter: u64) {
        let ActivityKind::Scope(scope) = self.model.activity(for_each.scope).kind else {
            unreachable!("a forEach's child is a scope");
        };
        let value = counter_value(&self.model.variable(for_each.counter).kind, counter);
        self.start_scope(scope, Some((for_each.counter, value)));
    }

    /// Adds a thread; the parent's `Children` count is the caller's business.
    pub(super) fn spawn(&mut self, thread: Thread) -> crate::runtime::state::ThreadId {
        self.state.add_thread(thread)
    }

    /// Reads a variable visible from the current thread.
    pub(super) fn read_variable(
        &self,
        variable: crate::model::VariableId,
    ) -> Result<&Document, Fault> {
        self.state
            .variable(self.model, self.scope_ref(), variable)
            .ok_or_else(|| Fault::uninitialized_variable(&self.model.variable(variable).name))
    }
}

/// The value of a forEach counter: an xsd:unsignedInt in the wrapper of a type variable.
fn counter_value(kind: &VariableKind, counter: u64) -> Document {
    let name = match kind {
        VariableKind::Element(name) => name.clone(),
        _ => QName::new("", assign::VALUE_WRAPPER),
    };
    let mut document = Document::new();
    let element = document.new_element(name);
    let root = document.root();
    document.append_child(root, element);
    document.set_text_content(element, &counter.to_string());
    document
}

fn completion_condition_failure() -> Fault {
    Fault::standard(
        "completionConditionFailure",
        "the forEach's completion condition can no longer be met",
    )
}
