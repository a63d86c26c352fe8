//! Scopes: the process (scope 0), each `<scope>` and the implicit scopes of catches,
//! onEvents and invokes with inline handlers. Each scope gets a [`Scope`] entry; while its
//! content is compiled a [`Frame`] holds the names it declares, so that names resolve to
//! the innermost declaration (inner declarations shadow outer ones).

use std::collections::{HashMap, HashSet};

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{
    ActivityId, ActivityKind, CorrelationSetId, EventHandlers, FaultHandlers, PartnerLinkId, Scope,
    ScopeId, VariableId, VariableKind,
};
use crate::xml::{NodeId, QName};

/// The XML Schema namespace, for the type of a forEach counter.
const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// The names one scope declares.
pub(super) struct Frame {
    pub scope: ScopeId,
    pub variables: HashMap<String, VariableId>,
    pub partner_links: HashMap<String, PartnerLinkId>,
    pub correlation_sets: HashMap<String, CorrelationSetId>,
    pub message_exchanges: HashSet<String>,
    /// The counter of the forEach whose child this scope is.
    pub counter: Option<String>,
}

/// The kind of handler an activity is compiled in, which decides where `<compensate>`,
/// `<compensateScope>` and `<rethrow>` may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Handler {
    Fault,
    Compensation,
    Termination,
}

impl ProcessCompiler<'_> {
    /// Starts a scope nested in the current one (the process when there is none), for the
    /// activity `activity`; its body is set when known.
    pub(super) fn open_scope(&mut self, activity: Option<ActivityId>) -> ScopeId {
        let id = ScopeId(self.scopes.len() as u32);
        self.scopes.push(Scope {
            activity,
            parent: self.frames.last().map(|frame| frame.scope),
            body: ActivityId(0),
            variables: Vec::new(),
            partner_links: Vec::new(),
            correlation_sets: Vec::new(),
            message_exchanges: Vec::new(),
            isolated: false,
            exit_on_standard_fault: self.exit_on_standard_fault,
            fault_handlers: FaultHandlers::default(),
            compensation_handler: None,
            termination_handler: None,
            event_handlers: EventHandlers::default(),
        });
        self.frames.push(Frame {
            scope: id,
            variables: HashMap::new(),
            partner_links: HashMap::new(),
            correlation_sets: HashMap::new(),
            message_exchanges: HashSet::new(),
            counter: None,
        });
        id
    }

    pub(super) fn close_scope(&mut self) {
        self.frames.pop();
    }

    /// The innermost frame: the scope declarations go to.
    pub(super) fn frame(&mut self) -> &mut Frame {
        self.frames
            .last_mut()
            .expect("declarations are compiled inside a scope")
    }

    pub(super) fn lookup_variable(&self, name: &str) -> Option<VariableId> {
        self.frames
            .iter()
            .rev()
            .find_map(|frame| frame.variables.get(name).copied())
    }

    pub(super) fn lookup_partner_link(&self, name: &str) -> Option<PartnerLinkId> {
        self.frames
            .iter()
            .rev()
            .find_map(|frame| frame.partner_links.get(name).copied())
    }

    pub(super) fn lookup_correlation_set(&self, name: &str) -> Option<CorrelationSetId> {
        self.frames
            .iter()
            .rev()
            .find_map(|frame| frame.correlation_sets.get(name).copied())
    }

    /// `<scope>` (activity `id`); `counter` is the counter of the forEach it belongs to.
    pub(super) fn scope_activity(
        &mut self,
        node: NodeId,
        id: ActivityId,
        counter: Option<(NodeId, String)>,
    ) -> Option<ActivityKind> {
        let isolated = self
            .file
            .yes_no_attr(node, "isolated", false, self.diagnostics);
        if isolated && self.isolated {
            let message = "an isolated scope cannot enclose another isolated scope";
            self.error(node, "SA00091", message.to_owned());
        }
        let saved = (self.exit_on_standard_fault, self.isolated);
        self.exit_on_standard_fault = self.file.yes_no_attr(
            node,
            "exitOnStandardFault",
            self.exit_on_standard_fault,
            self.diagnostics,
        );
        self.isolated |= isolated;
        let scope = self.open_scope(Some(id));
        self.scopes[scope.index()].isolated = isolated;
        if let Some((at, name)) = counter {
            let unsigned = VariableKind::Type(QName::new(XSD_NS, "unsignedInt"));
            self.declare_variable(at, &name, unsigned);
            self.frame().counter = Some(name);
        }
        let body = self.scope_content(node, scope);
        self.close_scope();
        (self.exit_on_standard_fault, self.isolated) = saved;
        body.map(|_| ActivityKind::Scope(scope))
    }

    /// The declarations, handlers and activity of the process or a `<scope>` element
    /// `node`, compiled into `scope`; returns the scope's activity.
    pub(super) fn scope_content(&mut self, node: NodeId, scope: ScopeId) -> Option<ActivityId> {
        let is_process = self.scopes[scope.index()].parent.is_none();
        let mut handlers = Vec::new();
        let mut main = Vec::new();
        for child in self.file.elements(node).collect::<Vec<_>>() {
            if self.file.namespace(child) != BPEL_NS {
                continue;
            }
            match self.file.local_name(child) {
                "documentation" | "targets" | "sources" => {}
                "import" | "extensions" if is_process => {}
                "partnerLinks" => self.partner_links(child),
                "messageExchanges" => self.message_exchanges(child),
                "variables" => self.variables(child),
                "correlationSets" => self.correlation_sets(child),
                "compensationHandler" | "terminationHandler" if is_process => {
                    let element = self.file.local_name(child);
                    let message = format!("a process has no <{element}>");
                    self.error(child, "BPEL", message);
                }
                "faultHandlers"
                | "compensationHandler"
                | "terminationHandler"
                | "eventHandlers" => handlers.push(child),
                _ => main.push(child),
            }
        }
        let saved = self.handler.take();
        let body = match main.as_slice() {
            [activity] => self.activity(*activity),
            [] => {
                let element = self.file.local_name(node);
                self.error(node, "BPEL", format!("the {element} has no activity"));
                None
            }
            [_, second, ..] => {
                let element = self.file.local_name(node);
                let message = format!("a {element} has exactly one main activity");
                self.error(*second, "BPEL", message);
                None
            }
        };
        self.handler = saved;
        for handler in handlers {
            self.scope_handler(handler, scope);
        }
        if let Some(body) = body {
            self.scopes[scope.index()].body = body;
        } else {
            self.incomplete = true;
        }
        body
    }
}
