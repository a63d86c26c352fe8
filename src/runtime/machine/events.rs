//! Emitting BPEL events (see [`crate::runtime::events`]): each helper checks the process's
//! filter for the scope the event happens in before it builds anything, so a process that
//! generates no events pays one lookup per place.

use super::Machine;
use crate::model::{ActivityId, From, ScopeId, To, VariableId};
use crate::runtime::events::{activity_type, scope_name, Event, EventType};
use crate::runtime::state::{InstanceStatus, ScopeRef};

impl Machine<'_> {
    /// The declaration of the scope instance `instance`, if it still exists.
    fn declared_scope(&self, instance: ScopeRef) -> Option<ScopeId> {
        let scope = self.state.scopes.get(instance as usize)?.as_ref()?;
        Some(scope.scope)
    }

    /// The declaration of the current thread's scope, if the thread still exists.
    fn current_scope(&self) -> Option<ScopeId> {
        let thread = self.state.threads.get(self.current as usize)?.as_ref()?;
        self.declared_scope(thread.scope)
    }

    fn push_event(
        &mut self,
        kind: EventType,
        scope: Option<ScopeId>,
        activity: Option<ActivityId>,
        detail: Option<String>,
    ) {
        let definition = activity.map(|id| (id, self.model.activity(id)));
        self.events.push(Event {
            kind,
            scope_id: scope.map(|id| id.0),
            scope_name: scope.and_then(|id| scope_name(self.model, id).map(str::to_owned)),
            activity_id: definition.map(|(id, _)| id.0),
            activity_name: definition.and_then(|(_, a)| a.name.clone()),
            activity_type: definition.map(|(_, a)| activity_type(&a.kind).to_owned()),
            detail,
        });
    }

    /// Whether events of `kind` are emitted in the current thread's scope.
    pub(super) fn emits(&self, kind: EventType) -> bool {
        let scope = self.current_scope();
        scope.is_some() && self.process.events.emits(scope, kind)
    }

    /// An activity lifecycle event of `activity`, in the current thread's scope.
    pub(super) fn activity_event(&mut self, kind: EventType, activity: ActivityId) {
        if self.emits(kind) {
            self.push_event(kind, self.current_scope(), Some(activity), None);
        }
    }

    /// A scope handling event of scope instance `instance`.
    pub(super) fn scope_event(
        &mut self,
        kind: EventType,
        instance: ScopeRef,
        detail: Option<String>,
    ) {
        let scope = self.declared_scope(instance);
        if scope.is_some() && self.process.events.emits(scope, kind) {
            self.push_event(kind, scope, None, detail);
        }
    }

    /// A data handling event about `name`, in the current thread's scope.
    pub(super) fn data_event(&mut self, kind: EventType, name: &str) {
        if self.emits(kind) {
            self.push_event(kind, self.current_scope(), None, Some(name.to_owned()));
        }
    }

    /// Read or modification events of variables, in the current thread's scope.
    pub(super) fn variable_events(
        &mut self,
        kind: EventType,
        variables: impl IntoIterator<Item = VariableId>,
    ) {
        if self.emits(kind) {
            for variable in variables {
                let name = &self.model.variable(variable).name;
                self.push_event(kind, self.current_scope(), None, Some(name.clone()));
            }
        }
    }

    /// The data handling events of an assign that ran: what its copies read and wrote.
    pub(super) fn assign_events(&mut self, activity: ActivityId) {
        let crate::model::ActivityKind::Assign(assign) = &self.model.activity(activity).kind else {
            return;
        };
        for copy in assign.copies() {
            match &copy.from {
                From::Variable { variable, .. }
                | From::Property { variable, .. }
                | From::Header { variable, .. } => {
                    self.variable_events(EventType::VariableRead, [*variable]);
                }
                _ => {}
            }
            match &copy.to {
                To::PartnerLink(partner_link) => {
                    let name = self.model.partner_link(*partner_link).name.clone();
                    self.data_event(EventType::PartnerLinkModification, &name);
                }
                to => {
                    if let Some(variable) = to.variable() {
                        self.variable_events(EventType::VariableModification, [variable]);
                    }
                }
            }
        }
    }

    /// A process-level event.
    pub(super) fn process_event(&mut self, kind: EventType, detail: Option<String>) {
        if self.process.events.emits(None, kind) {
            self.events.push(Event::of_process(kind, detail));
        }
    }

    /// The events of an instance's first step: it is new, it starts, and so does the
    /// process's scope.
    pub(super) fn instance_started(&mut self) {
        self.process_event(EventType::NewProcessInstance, None);
        self.process_event(EventType::ProcessInstanceStarted, None);
        self.scope_event(EventType::ScopeStart, 0, None);
    }

    /// The events of a step that changed the instance's status from `before`.
    pub(super) fn status_changed(&mut self, before: InstanceStatus) {
        let after = self.state.status;
        if after == before {
            return;
        }
        let change = format!("{} -> {}", before.as_str(), after.as_str());
        self.process_event(EventType::ProcessInstanceStateChange, Some(change));
        match after {
            InstanceStatus::Completed => self.process_event(EventType::ProcessCompletion, None),
            InstanceStatus::Faulted => {
                let fault = self
                    .state
                    .fault
                    .as_ref()
                    .map(|fault| fault.name.to_string());
                self.process_event(EventType::ProcessCompletion, fault);
            }
            InstanceStatus::Terminated => self.process_event(EventType::ProcessTermination, None),
            _ => {}
        }
    }
}
