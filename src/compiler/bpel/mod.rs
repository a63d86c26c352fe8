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
mod expressions;
pub(crate) mod imports;
mod messaging;

use std::collections::{BTreeMap, HashMap, HashSet};

use super::diagnostics::Diagnostics;
use super::xmlutil::XmlFile;
use crate::model::{
    Activity, ActivityId, ActivityKind, CorrelationSet, CorrelationSetId, Definitions,
    EventHandlers, Expression, FaultHandlers, Location, PartnerLink, PartnerLinkId, Process, Scope,
    Variable, VariableId, XPATH_1_0,
};
use crate::xml::{NodeId, QName};

/// The namespace of executable WS-BPEL 2.0 processes.
pub const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

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
    diagnostics: &mut Diagnostics,
) -> Option<CompiledProcess> {
    let root = file.root();
    if !file.is(root, BPEL_NS, "process") {
        let message = format!("the document element must be {{{BPEL_NS}}}process");
        diagnostics.error(&file.location(root), "BPEL", message);
        return None;
    }
    let name = process_name(file)?;
    let mut compiler = ProcessCompiler::new(file, definitions, diagnostics);
    let (fault_handlers, main) = compiler.process(root);
    Some(compiler.finish(name, fault_handlers, main))
}

/// The state of one process's compilation.
pub(crate) struct ProcessCompiler<'a> {
    file: &'a XmlFile,
    defs: &'a Definitions,
    diagnostics: &'a mut Diagnostics,
    /// The process's `expressionLanguage` and `queryLanguage` (XPath 1.0 by default).
    expression_language: String,
    query_language: String,
    partner_links: Vec<PartnerLink>,
    partner_link_names: HashMap<String, PartnerLinkId>,
    /// Partner links whose type or roles did not resolve (reported): their uses are not
    /// checked further.
    broken_partner_links: HashSet<PartnerLinkId>,
    variables: Vec<Variable>,
    /// Variable names visible at the current point: the process's, then those declared by
    /// enclosing fault handlers, innermost last.
    scopes: Vec<HashMap<String, VariableId>>,
    correlation_sets: Vec<CorrelationSet>,
    correlation_set_names: HashMap<String, CorrelationSetId>,
    expressions: Vec<Expression>,
    activities: Vec<Activity>,
    inbound: BTreeMap<PartnerLinkId, Location>,
    /// Some activity could not be compiled: checks over the whole tree would mislead.
    incomplete: bool,
}

impl<'a> ProcessCompiler<'a> {
    fn new(file: &'a XmlFile, defs: &'a Definitions, diagnostics: &'a mut Diagnostics) -> Self {
        ProcessCompiler {
            file,
            defs,
            diagnostics,
            expression_language: XPATH_1_0.to_owned(),
            query_language: XPATH_1_0.to_owned(),
            partner_links: Vec::new(),
            partner_link_names: HashMap::new(),
            broken_partner_links: HashSet::new(),
            variables: Vec::new(),
            scopes: vec![HashMap::new()],
            correlation_sets: Vec::new(),
            correlation_set_names: HashMap::new(),
            expressions: Vec::new(),
            activities: Vec::new(),
            inbound: BTreeMap::new(),
            incomplete: false,
        }
    }

    /// Reads the `<process>` element: its attributes, declarations, fault handlers and main
    /// activity.
    fn process(&mut self, root: NodeId) -> (FaultHandlers, Option<ActivityId>) {
        if let Some(language) = self.file.attr(root, "expressionLanguage") {
            self.expression_language = language.trim().to_owned();
            self.check_language(root, &self.expression_language.clone());
        }
        if let Some(language) = self.file.attr(root, "queryLanguage") {
            self.query_language = language.trim().to_owned();
            self.check_language(root, &self.query_language.clone());
        }
        let exit_on_standard_fault =
            self.file
                .yes_no_attr(root, "exitOnStandardFault", false, self.diagnostics);
        let mut fault_handlers = None;
        let mut main = None;
        for child in self.file.elements(root) {
            if self.file.namespace(child) != BPEL_NS {
                continue;
            }
            match self.file.local_name(child) {
                // Message exchanges need no declaration to be used, as in ODE.
                "documentation" | "import" | "messageExchanges" => {}
                "extensions" => self.extensions(child),
                "partnerLinks" => self.partner_links(child),
                "variables" => self.variables(child),
                "correlationSets" => self.correlation_sets(child),
                "faultHandlers" => fault_handlers = Some(child),
                "eventHandlers" => self.unsupported(child),
                _ if main.is_some() => {
                    let message = "a process has exactly one main activity";
                    self.error(child, "BPEL", message.to_owned());
                }
                _ => main = Some(self.activity(child)),
            }
        }
        let handlers = fault_handlers
            .map(|node| self.fault_handlers(node, exit_on_standard_fault))
            .unwrap_or_default();
        let main = match main {
            Some(main) => main,
            None => {
                self.error(root, "BPEL", "the process has no activity".to_owned());
                None
            }
        };
        (handlers, main)
    }

    fn finish(
        mut self,
        name: QName,
        fault_handlers: FaultHandlers,
        main: Option<ActivityId>,
    ) -> CompiledProcess {
        let root = match main {
            Some(root) => {
                self.check_start_activities(root);
                root
            }
            // Only reached with errors reported: a placeholder keeps the process whole.
            None => self.push(self.file.root(), ActivityKind::Empty),
        };
        let variables = (0..self.variables.len() as u32).map(VariableId).collect();
        let partner_links = (0..self.partner_links.len() as u32)
            .map(PartnerLinkId)
            .collect();
        let correlation_sets = (0..self.correlation_sets.len() as u32)
            .map(CorrelationSetId)
            .collect();
        CompiledProcess {
            process: Process {
                name,
                file: self.file.path.clone(),
                partner_links: self.partner_links,
                variables: self.variables,
                correlation_sets: self.correlation_sets,
                expressions: self.expressions,
                scopes: vec![Scope {
                    activity: None,
                    parent: None,
                    body: root,
                    variables,
                    partner_links,
                    correlation_sets,
                    message_exchanges: Vec::new(),
                    isolated: false,
                    exit_on_standard_fault: false,
                    fault_handlers,
                    compensation_handler: None,
                    termination_handler: None,
                    event_handlers: EventHandlers::default(),
                }],
                links: Vec::new(),
                exit_on_standard_fault: false,
                stylesheets: BTreeMap::new(),
                activities: self.activities,
                root,
            },
            inbound: self.inbound,
        }
    }

    /// SA00015 and SA00056: an instantiating `<receive>` must be a start activity (the
    /// first basic activity, looking through sequences), and there must be one.
    fn check_start_activities(&mut self, root: ActivityId) {
        let mut start = root;
        while let ActivityKind::Sequence(children) = &self.activities[start.index()].kind {
            match children.first() {
                Some(&first) => start = first,
                None => break,
            }
        }
        let mut instantiating = false;
        for (index, activity) in self.activities.iter().enumerate() {
            if let ActivityKind::Receive(receive) = &activity.kind {
                if !receive.create_instance {
                    continue;
                }
                if index == start.index() {
                    instantiating = true;
                } else {
                    let message = "a <receive createInstance=\"yes\"> must be a start activity";
                    self.diagnostics
                        .error(&activity.location, "SA00056", message);
                }
            }
        }
        if !instantiating && !self.incomplete {
            let at = &self.activities[start.index()].location;
            let message = "the process needs a <receive createInstance=\"yes\"> start activity";
            self.diagnostics.error(at, "SA00015", message);
        }
    }

    /// `<extensions>`: an extension this server must understand cannot be honoured.
    fn extensions(&mut self, node: NodeId) {
        for extension in self.file.elements_named(node, BPEL_NS, "extension") {
            if self
                .file
                .yes_no_attr(extension, "mustUnderstand", false, self.diagnostics)
            {
                let namespace = self.file.attr(extension, "namespace").unwrap_or_default();
                let message = format!("extension '{namespace}' is not supported");
                self.error(extension, "SA00009", message);
            }
        }
    }

    fn error(&mut self, node: NodeId, rule: &'static str, message: String) {
        self.diagnostics
            .error(&self.file.location(node), rule, message);
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

    /// The variable `name` visible at the current point.
    fn lookup_variable(&self, name: &str) -> Option<VariableId> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| scope.get(name).copied())
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
