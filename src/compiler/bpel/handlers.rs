//! The handlers of a scope: `<faultHandlers>` (catches with their implicit scopes),
//! `<compensationHandler>`, `<terminationHandler>` and `<eventHandlers>` (onEvent with its
//! implicit scope, onAlarm), and the activities only handlers may hold: `<compensate>`,
//! `<compensateScope>` and `<rethrow>`.

use super::links::LinkLevel;
use std::collections::{HashMap, HashSet};

use super::scopes::{Frame, Handler};
use super::{ProcessCompiler, BPEL_NS};
use crate::model::{
    ActivityId, ActivityKind, Catch, Deadline, EventHandlers, ExpressionUse, FaultHandlers,
    FaultType, OnAlarm, OnEvent, ScopeId, VariableKind,
};
use crate::xml::{NodeId, QName};

impl ProcessCompiler<'_> {
    /// One handler element of the scope `scope`.
    pub(super) fn scope_handler(&mut self, node: NodeId, scope: ScopeId) {
        match self.file.local_name(node) {
            "faultHandlers" => {
                let handlers = self.fault_handlers(node, scope);
                if handlers.is_empty() {
                    let message = "<faultHandlers> needs a <catch> or a <catchAll>";
                    self.error(node, "SA00080", message.to_owned());
                }
                self.scopes[scope.index()].fault_handlers = handlers;
            }
            "compensationHandler" => {
                let activity = self.handler_activity(node, scope, Handler::Compensation);
                self.scopes[scope.index()].compensation_handler = activity;
            }
            "terminationHandler" => {
                let activity = self.handler_activity(node, scope, Handler::Termination);
                self.scopes[scope.index()].termination_handler = activity;
            }
            _ => {
                let handlers = self.event_handlers(node);
                if handlers.is_empty() {
                    let message = "<eventHandlers> needs an <onEvent> or an <onAlarm>";
                    self.error(node, "SA00083", message.to_owned());
                }
                self.scopes[scope.index()].event_handlers = handlers;
            }
        }
    }

    /// The activity of a compensation or termination handler of `scope`.
    pub(super) fn handler_activity(
        &mut self,
        node: NodeId,
        scope: ScopeId,
        handler: Handler,
    ) -> Option<ActivityId> {
        self.check_handler_root_scopes(node);
        let saved = self.handler.replace((handler, scope));
        let saved_fault = std::mem::replace(&mut self.in_fault_handler, handler == Handler::Fault);
        let level = match handler {
            Handler::Compensation => LinkLevel::Closed,
            Handler::Fault | Handler::Termination => LinkLevel::OutboundOnly,
        };
        self.link_levels.push(level);
        let activity = self.single_activity(node);
        self.link_levels.pop();
        self.handler = saved;
        self.in_fault_handler = saved_fault;
        activity
    }

    /// The `<catch>`es and `<catchAll>` children of `node` (a `<faultHandlers>` or an
    /// `<invoke>`), handling faults of `scope`.
    pub(super) fn fault_handlers(&mut self, node: NodeId, scope: ScopeId) -> FaultHandlers {
        let mut handlers = FaultHandlers::default();
        let mut seen = Vec::new();
        for child in self.file.elements(node).collect::<Vec<_>>() {
            if self.file.is(child, BPEL_NS, "catch") {
                if let Some(catch) = self.catch(child, scope, &mut seen) {
                    handlers.catches.push(catch);
                }
            } else if self.file.is(child, BPEL_NS, "catchAll") {
                if handlers.catch_all.is_some() {
                    self.error(child, "BPEL", "a second <catchAll>".to_owned());
                }
                handlers.catch_all = self.handler_activity(child, scope, Handler::Fault);
            }
        }
        handlers
    }

    /// A `<catch>`; `seen` holds the fault name and data type of the previous ones.
    fn catch(
        &mut self,
        node: NodeId,
        scope: ScopeId,
        seen: &mut Vec<(Option<QName>, Option<FaultType>)>,
    ) -> Option<Catch> {
        let fault_name = match self.file.attr(node, "faultName") {
            Some(_) => Some(self.qname_attr(node, "faultName")?),
            None => None,
        };
        if let Some(fault) = fault_name.as_ref().filter(|fault| fault.ns == BPEL_NS) {
            if self.scopes[scope.index()].exit_on_standard_fault {
                let message = format!(
                    "exitOnStandardFault is yes: standard fault {} cannot be caught",
                    fault.local
                );
                self.error(node, "SA00003", message);
            }
        }
        let variable_name = self.file.attr(node, "faultVariable").map(str::trim);
        let typed = ["faultMessageType", "faultElement"].map(|a| self.file.attr(node, a).is_some());
        let fault_type = match (variable_name, typed) {
            (None, [false, false]) => None,
            (Some(_), [true, false]) => Some(FaultType::Message(
                self.fault_type(node, "faultMessageType")?,
            )),
            (Some(_), [false, true]) => {
                Some(FaultType::Element(self.qname_attr(node, "faultElement")?))
            }
            _ => {
                let message = "faultVariable goes with exactly one of faultMessageType, \
                               faultElement, and they need it";
                self.error(node, "SA00081", message.to_owned());
                return None;
            }
        };
        let handled = (fault_name.clone(), fault_type.clone());
        if seen.contains(&handled) {
            self.error(
                node,
                "SA00093",
                "two <catch>es for the same fault and data".to_owned(),
            );
        }
        seen.push(handled);
        let Some((name, kind)) = variable_name.zip(fault_type.clone()) else {
            let activity = self.handler_activity(node, scope, Handler::Fault)?;
            return Some(Catch {
                fault_name,
                fault_variable: None,
                fault_type,
                scope: None,
                activity,
            });
        };
        let implicit = self.open_scope(None);
        let kind = match kind {
            FaultType::Message(message) => VariableKind::Message(message),
            FaultType::Element(element) => VariableKind::Element(element),
        };
        let variable = self.declare_variable(node, name, kind);
        let activity = self.handler_activity(node, scope, Handler::Fault);
        self.close_scope();
        let activity = activity?;
        self.scopes[implicit.index()].activity = Some(activity);
        self.scopes[implicit.index()].body = activity;
        Some(Catch {
            fault_name,
            fault_variable: Some(variable?),
            fault_type,
            scope: Some(implicit),
            activity,
        })
    }

    /// `<eventHandlers>`: its onEvents and onAlarms.
    fn event_handlers(&mut self, node: NodeId) -> EventHandlers {
        let mut handlers = EventHandlers::default();
        let saved = self.handler.take();
        let saved_fault = std::mem::take(&mut self.in_fault_handler);
        self.link_levels.push(LinkLevel::Closed);
        for child in self.file.elements(node).collect::<Vec<_>>() {
            if self.file.is(child, BPEL_NS, "onEvent") {
                handlers.on_events.extend(self.on_event(child));
            } else if self.file.is(child, BPEL_NS, "onAlarm") {
                handlers.on_alarms.extend(self.on_alarm(child, true));
            }
        }
        self.link_levels.pop();
        self.handler = saved;
        self.in_fault_handler = saved_fault;
        handlers
    }

    /// `<onEvent>`: its implicit scope declares its variable, of the type its
    /// `messageType` or `element` attribute gives (SA00085, SA00090).
    fn on_event(&mut self, node: NodeId) -> Option<OnEvent> {
        let scope = self.open_scope(None);
        if let Some(name) = self.file.attr(node, "variable").map(str::trim) {
            let typed = ["messageType", "element"].map(|a| self.file.attr(node, a).is_some());
            let kind = match typed {
                [true, false] => self.qname_attr(node, "messageType").map(|message| {
                    if !self.defs.messages.contains_key(&message) {
                        self.error(node, "SA00010", format!("unknown message type {message}"));
                    }
                    VariableKind::Message(message)
                }),
                [false, true] => self.qname_attr(node, "element").map(VariableKind::Element),
                _ => {
                    let message = "the variable of an <onEvent> needs exactly one of \
                                   messageType, element";
                    self.error(node, "SA00090", message.to_owned());
                    None
                }
            };
            if let Some(kind) = kind {
                self.declare_variable(node, name, kind);
            }
        } else if self.file.attr(node, "messageType").is_some()
            || self.file.attr(node, "element").is_some()
        {
            let message = "messageType and element of an <onEvent> need a variable";
            self.error(node, "SA00085", message.to_owned());
        }
        self.check_on_event_redeclarations(node);
        let activity = match self.file.element_named(node, BPEL_NS, "scope") {
            Some(child) => self.activity(child),
            None => {
                self.error(node, "BPEL", "<onEvent> needs a <scope>".to_owned());
                None
            }
        };
        // The onEvent's correlation sets may be declared by its scope (SA00088), which is
        // instantiated when a message arrives: they are visible to the onEvent's message.
        let child_scope =
            activity.and_then(|activity| match self.activities[activity.index()].kind {
                ActivityKind::Scope(scope) => Some(scope),
                _ => None,
            });
        if let Some(child) = child_scope {
            let correlation_sets = self.scopes[child.index()]
                .correlation_sets
                .iter()
                .map(|&set| (self.correlation_sets[set.index()].name.clone(), set))
                .collect();
            self.frames.push(Frame {
                scope: child,
                variables: HashMap::new(),
                partner_links: HashMap::new(),
                correlation_sets,
                message_exchanges: HashSet::new(),
                counter: None,
            });
        }
        let message = self.receive(node);
        if child_scope.is_some() {
            self.close_scope();
        }
        self.close_scope();
        let activity = activity?;
        self.scopes[scope.index()].activity = Some(activity);
        self.scopes[scope.index()].body = activity;
        Some(OnEvent {
            message: message?,
            scope,
            activity,
        })
    }

    /// `<onAlarm>` of a pick or, `repeatable`, of event handlers (which may repeat).
    pub(super) fn on_alarm(&mut self, node: NodeId, repeatable: bool) -> Option<OnAlarm> {
        let duration = self.file.element_named(node, BPEL_NS, "for");
        let until = self.file.element_named(node, BPEL_NS, "until");
        let repeat = self.file.element_named(node, BPEL_NS, "repeatEvery");
        let deadline = match (duration, until) {
            (Some(duration), None) => Some(Deadline::For(
                self.expression(duration, ExpressionUse::Duration),
            )),
            (None, Some(until)) => Some(Deadline::Until(
                self.expression(until, ExpressionUse::Deadline),
            )),
            (None, None) if repeatable && repeat.is_some() => None,
            _ => {
                let message = if repeatable {
                    "<onAlarm> needs one of <for>, <until>, and/or <repeatEvery>"
                } else {
                    "<onAlarm> needs exactly one of <for>, <until>"
                };
                self.error(node, "BPEL", message.to_owned());
                return None;
            }
        };
        let repeat_every = match repeat {
            Some(repeat) if repeatable => Some(self.expression(repeat, ExpressionUse::Duration)),
            Some(repeat) => {
                let message = "<repeatEvery> is only allowed in event handlers";
                self.error(repeat, "BPEL", message.to_owned());
                None
            }
            None => None,
        };
        let activity = self.single_activity(node)?;
        Some(OnAlarm {
            deadline,
            repeat_every,
            activity,
        })
    }

    /// `<rethrow>`: only within a fault handler (SA00006), possibly in a scope nested in
    /// its activity, where it rethrows the fault the handler caught.
    pub(super) fn rethrow(&mut self, node: NodeId) -> Option<ActivityKind> {
        if !self.in_fault_handler {
            let message = "<rethrow> is only allowed in a fault handler";
            self.error(node, "SA00006", message.to_owned());
            return None;
        }
        Some(ActivityKind::Rethrow)
    }

    /// `<compensate>`: only in a fault, compensation or termination handler (SA00008).
    pub(super) fn compensate(&mut self, node: NodeId) -> Option<ActivityKind> {
        if self.handler.is_none() {
            let message =
                "<compensate> is only allowed in a fault, compensation or termination handler";
            self.error(node, "SA00008", message.to_owned());
            return None;
        }
        Some(ActivityKind::Compensate)
    }

    /// `<compensateScope>` (activity `id`): only in a handler (SA00007); its target is
    /// resolved once every scope is known.
    pub(super) fn compensate_scope(
        &mut self,
        node: NodeId,
        id: ActivityId,
    ) -> Option<ActivityKind> {
        let Some((_, scope)) = self.handler else {
            let message =
                "<compensateScope> is only allowed in a fault, compensation or termination handler";
            self.error(node, "SA00007", message.to_owned());
            return None;
        };
        // The 2004 draft wrote `<compensate scope="…">`.
        let attribute = match self.file.local_name(node) {
            "compensate" => "scope",
            _ => "target",
        };
        let target = self
            .file
            .required_attr(node, attribute, "BPEL", self.diagnostics)?;
        self.compensate_targets
            .push((id, target.trim().to_owned(), scope));
        Some(ActivityKind::CompensateScope(scope))
    }

    /// Points each `<compensateScope>` at its target: a scope (or invoke with handlers)
    /// of that name immediately enclosed by the scope whose handler holds it (SA00077),
    /// event handlers' scopes included; an activity of that name that is neither breaks
    /// SA00078.
    pub(super) fn resolve_compensate_targets(&mut self) {
        for (id, target, owner) in std::mem::take(&mut self.compensate_targets) {
            let found = (0..self.scopes.len()).find(|&index| {
                self.scopes[index].activity.is_some_and(|activity| {
                    let activity = &self.activities[activity.index()];
                    matches!(
                        activity.kind,
                        ActivityKind::Scope(_) | ActivityKind::Invoke(_)
                    ) && activity.name.as_deref() == Some(&target)
                }) && self.enclosing_scope(ScopeId(index as u32)) == Some(owner)
            });
            let compensable = |kind: &ActivityKind| {
                matches!(kind, ActivityKind::Scope(_) | ActivityKind::Invoke(_))
            };
            let elsewhere = self.activities.iter().find(|activity| {
                activity.name.as_deref() == Some(&target) && !compensable(&activity.kind)
            });
            if found.is_none() && elsewhere.is_some() {
                let message = format!(
                    "compensateScope target '{target}' is neither a scope nor an invoke with \
                     handlers"
                );
                let at = self.activities[id.index()].location.clone();
                self.diagnostics.error(&at, "SA00078", message);
                continue;
            }
            match found {
                Some(index) => {
                    self.activities[id.index()].kind =
                        ActivityKind::CompensateScope(ScopeId(index as u32));
                }
                None => {
                    let message = format!(
                        "compensateScope target '{target}' is not a scope immediately enclosed \
                         by the scope of this handler"
                    );
                    let at = self.activities[id.index()].location.clone();
                    self.diagnostics.error(&at, "SA00077", message);
                }
            }
        }
    }
}
