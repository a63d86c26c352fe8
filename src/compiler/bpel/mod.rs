//! Compiles one WS-BPEL 2.0 executable process document into a [`Process`].
//!
//! A [`ProcessCompiler`] walks the `<process>` element once: declarations first
//! ([`declarations`]), then the fault handlers and the main activity ([`activities`],
//! [`messaging`], [`assign`]), creating an [`Expression`] for every expression, condition
//! and query on the way ([`expressions`]). Names are resolved as they are met, against the
//! unit's WSDL [`Definitions`]; every problem is reported and compilation goes on, so one
//! run reports all of them. [`imports`] handles the process's `<import>`s before that, as
//! they decide which WSDL documents the unit loads.

mod activities;
mod assign;
mod declarations;
mod draft;
mod expressions;
mod extensions;
mod handlers;
pub(crate) mod imports;
mod links;
mod messaging;
mod parts;
mod pick;
mod rest_light;
mod rules;
mod scopes;
mod start;

use std::collections::{BTreeMap, HashSet};

use super::diagnostics::Diagnostics;
use super::xmlutil::XmlFile;
use crate::model::{
    Activity, ActivityId, ActivityKind, CorrelationSet, Definitions, Expression, FailureHandling,
    Location, PartnerLink, PartnerLinkId, Process, Scope, ScopeId, Variable, VariableId, XPATH_1_0,
};
use crate::runtime::extension::Extensions;
use crate::xml::{NodeId, QName};
use links::{LinkDraft, LinkLevel};
use scopes::{Frame, Handler};

/// The namespace of executable WS-BPEL 2.0 processes.
pub(super) const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

/// The name and target namespace a process document declares, read without compiling it.
pub(crate) fn process_name(file: &XmlFile) -> Option<QName> {
    let root = file.root();
    if !file.is(root, BPEL_NS, "process") {
        return None;
    }
    let name = file.attr(root, "name")?;
    let namespace = file.attr(root, "targetNamespace").unwrap_or_default();
    Some(QName::new(namespace, name))
}

/// A compiled process and what the deployment checks need to know about it.
pub(crate) struct CompiledProcess {
    pub process: Process,
    /// myRole partner links that inbound messaging activities use, with the first use.
    pub inbound: BTreeMap<PartnerLinkId, Location>,
}

/// Compiles the process document `file`, reporting every problem. None when the document is
/// not a process; otherwise the result is complete only if nothing was reported, but it
/// still serves the deployment checks.
pub(crate) fn compile(
    file: &XmlFile,
    definitions: &Definitions,
    extensions: &Extensions,
    diagnostics: &mut Diagnostics,
) -> Option<CompiledProcess> {
    let root = file.root();
    if !file.is(root, BPEL_NS, "process") {
        let message = format!("the document element must be {{{BPEL_NS}}}process");
        diagnostics.error(&file.location(root), "BPEL", message);
        return None;
    }
    let name = process_name(file)?;
    let mut compiler = ProcessCompiler::new(file, definitions, extensions, diagnostics);
    let main = compiler.process(root);
    Some(compiler.finish(name, main))
}

/// The state of one process's compilation.
pub(crate) struct ProcessCompiler<'a> {
    file: &'a XmlFile,
    defs: &'a Definitions,
    /// The extension bundles the server runs with.
    extensions: &'a Extensions,
    diagnostics: &'a mut Diagnostics,
    /// The process's `expressionLanguage` and `queryLanguage` (XPath 1.0 by default).
    expression_language: String,
    query_language: String,
    partner_links: Vec<PartnerLink>,
    /// Partner links whose type or roles did not resolve (reported): their uses are not
    /// checked further.
    broken_partner_links: HashSet<PartnerLinkId>,
    /// The unknown port types already reported.
    unknown_port_types: HashSet<QName>,
    variables: Vec<Variable>,
    correlation_sets: Vec<CorrelationSet>,
    /// Every scope met so far, the process first.
    scopes: Vec<Scope>,
    /// The names visible at the current point: one frame per enclosing scope, innermost last.
    frames: Vec<Frame>,
    /// The fault, compensation or termination handler being compiled, if any, and its scope.
    handler: Option<(Handler, ScopeId)>,
    /// Inside the activity of a fault handler, at any depth: where `<rethrow>` may be.
    in_fault_handler: bool,
    /// Inside an isolated scope.
    isolated: bool,
    /// The effective `exitOnStandardFault` at the current point.
    exit_on_standard_fault: bool,
    /// The effective `suppressJoinFailure` at the current point.
    suppress_join_failure: bool,
    /// ODE's `failureHandling` in effect at the current point.
    failure_handling: Option<FailureHandling>,
    /// `<extension>` namespaces declared with mustUnderstand="yes" that no registered
    /// bundle understands.
    must_understand: HashSet<String>,
    links: Vec<LinkDraft>,
    /// The links visible at the current point and the boundaries between them and it.
    link_levels: Vec<LinkLevel>,
    /// `<compensateScope>`s, resolved once every scope is known: the activity, its target
    /// and the scope whose handler holds it.
    compensate_targets: Vec<(ActivityId, String, ScopeId)>,
    expressions: Vec<Expression>,
    activities: Vec<Activity>,
    inbound: BTreeMap<PartnerLinkId, Location>,
    /// Some activity could not be compiled: checks over the whole tree would mislead.
    incomplete: bool,
}

impl<'a> ProcessCompiler<'a> {
    fn new(
        file: &'a XmlFile,
        defs: &'a Definitions,
        extensions: &'a Extensions,
        diagnostics: &'a mut Diagnostics,
    ) -> Self {
        ProcessCompiler {
            file,
            defs,
            extensions,
            diagnostics,
            expression_language: XPATH_1_0.to_owned(),
            query_language: XPATH_1_0.to_owned(),
            partner_links: Vec::new(),
            broken_partner_links: HashSet::new(),
            unknown_port_types: HashSet::new(),
            variables: Vec::new(),
            correlation_sets: Vec::new(),
            scopes: Vec::new(),
            frames: Vec::new(),
            handler: None,
            in_fault_handler: false,
            isolated: false,
            exit_on_standard_fault: false,
            suppress_join_failure: false,
            failure_handling: None,
            must_understand: HashSet::new(),
            links: Vec::new(),
            link_levels: Vec::new(),
            compensate_targets: Vec::new(),
            expressions: Vec::new(),
            activities: Vec::new(),
            inbound: BTreeMap::new(),
            incomplete: false,
        }
    }

    /// Reads the `<process>` element: its attributes, declarations, handlers and main
    /// activity. The process is scope 0.
    fn process(&mut self, root: NodeId) -> Option<ActivityId> {
        if let Some(language) = self.file.attr(root, "expressionLanguage") {
            self.expression_language = language.trim().to_owned();
            self.check_language(root, &self.expression_language.clone());
        }
        if let Some(language) = self.file.attr(root, "queryLanguage") {
            self.query_language = language.trim().to_owned();
            self.check_language(root, &self.query_language.clone());
        }
        self.exit_on_standard_fault =
            self.file
                .yes_no_attr(root, "exitOnStandardFault", false, self.diagnostics);
        self.suppress_join_failure =
            self.file
                .yes_no_attr(root, "suppressJoinFailure", false, self.diagnostics);
        if let Some(extensions) = self.file.element_named(root, BPEL_NS, "extensions") {
            self.extensions(extensions);
        }
        let scope = self.open_scope(None);
        let main = self.scope_content(root, scope);
        self.close_scope();
        main
    }

    fn finish(mut self, name: QName, main: Option<ActivityId>) -> CompiledProcess {
        let root = match main {
            Some(root) => {
                self.check_start_activities(root);
                root
            }
            // Only reached with errors reported: a placeholder keeps the process whole.
            None => self.push(self.file.root(), ActivityKind::Empty),
        };
        self.scopes[ScopeId::PROCESS.index()].body = root;
        self.resolve_compensate_targets();
        self.check_process_rules();
        let links = self.finish_links();
        if !self.incomplete && !links.is_empty() {
            self.check_control_cycles(root, &links);
        }
        CompiledProcess {
            process: Process {
                name,
                file: self.file.path.clone(),
                partner_links: self.partner_links,
                variables: self.variables,
                correlation_sets: self.correlation_sets,
                expressions: self.expressions,
                exit_on_standard_fault: self.scopes[ScopeId::PROCESS.index()]
                    .exit_on_standard_fault,
                scopes: self.scopes,
                links,
                stylesheets: BTreeMap::new(),
                draft: self.file.draft,
                activities: self.activities,
                root,
            },
            inbound: self.inbound,
        }
    }

    fn error(&mut self, node: NodeId, rule: &'static str, message: String) {
        self.diagnostics
            .error(&self.file.location(node), rule, message);
    }

    /// Reports a deviation from the specification that is tolerated.
    fn warning(&mut self, node: NodeId, rule: &'static str, message: String) {
        self.diagnostics
            .warning(&self.file.location(node), rule, message);
    }

    /// Reports a deviation from the specification that ODE accepted (see
    /// [`Diagnostics::lenient`]).
    fn lenient(&mut self, node: NodeId, rule: &'static str, message: String) {
        self.diagnostics
            .lenient(&self.file.location(node), rule, message);
    }

    /// Reports an element this compiler does not support yet.
    fn unsupported(&mut self, node: NodeId) {
        let element = self.file.local_name(node);
        let message = format!("<{element}> is not supported yet");
        self.error(node, "UNSUPPORTED", message);
    }

    /// Resolves a QName-valued attribute with the element's in-scope namespaces.
    fn qname_attr(&mut self, node: NodeId, attribute: &str) -> Option<QName> {
        self.file
            .qname_attr(node, attribute, "XML-NAMESPACE", self.diagnostics)
    }

    /// The variable named by attribute `attribute`, reporting an unknown name.
    fn variable_attr(&mut self, node: NodeId, attribute: &str) -> Option<VariableId> {
        let name = self.file.attr(node, attribute)?;
        let found = self.lookup_variable(name.trim());
        if found.is_none() {
            let message = format!("unknown variable '{}'", name.trim());
            self.error(node, "BPEL-VARIABLE", message);
        }
        found
    }
}
