//! WS-BPEL 2.0 static analysis rules that concern more than the element being compiled:
//! names across scopes, what handlers and event handlers may declare, and the rules on
//! expressions. Each check here is called from the step that compiles the construct
//! concerned, or once the whole process is compiled; most rules are checked where their
//! construct is compiled, as the table says.
//!
//! Every rule of the specification's appendix B (SA00049 is not assigned), where Baton
//! checks it, or why it cannot apply. A rule marked "warning" is reported without
//! refusing the unit where deployed processes commonly break it.
//!
//! | Code | Requires | Where |
//! |---|---|---|
//! | SA00001 | no solicit-response or notification operations | `wsdl` (port types) |
//! | SA00002 | no overloaded operation names in a port type | `wsdl` (port types) |
//! | SA00003 | no catch of a standard fault under exitOnStandardFault | `handlers::catch` |
//! | SA00004 | expression and query languages are supported | `expressions` |
//! | SA00005 | a portType attribute matches the partner link's role | `messaging` |
//! | SA00006 | `<rethrow>` only in a fault handler | `handlers::rethrow` |
//! | SA00007 | `<compensateScope>` only in a fault, compensation or termination handler | `handlers` |
//! | SA00008 | `<compensate>` only in a fault, compensation or termination handler | `handlers` |
//! | SA00009 | mandatory extensions are supported | `extensions` (by a registered bundle) |
//! | SA00010 | every definition used is imported | `imports`, `declarations`, `wsdl` |
//! | SA00011 | imported definitions are in the import's namespace | `imports` (warning) |
//! | SA00012 | an import without namespace has no target namespace | `imports` (warning) |
//! | SA00013 | importType is XML Schema or WSDL 1.1 | `imports` |
//! | SA00014 | no conflicting definitions | `wsdl`, `declarations` |
//! | SA00015 | at least one start activity | `start` |
//! | SA00016 | a partner link has myRole and/or partnerRole | `declarations` |
//! | SA00017 | initializePartnerRole only with a partnerRole | `declarations` |
//! | SA00018 | partner link names unique in a scope | `declarations` |
//! | SA00019 | a property has exactly one of type, element | `wsdl` |
//! | SA00020 | a property alias has messageType+part, type or element | `wsdl` |
//! | SA00021 | properties used have an alias for the variable's type | not checked: aliases are looked up when a property is read, where a missing one is the fault `bpel:selectionFailure` |
//! | SA00022 | one alias per property and variable type | `wsdl` |
//! | SA00023 | variable names unique in a scope | `declarations` |
//! | SA00024 | variable names are NCNames without '.' | `declarations` |
//! | SA00025 | a variable has exactly one of messageType, type, element | `declarations` |
//! | SA00026 | initialisers of scopes holding a start activity use idempotent functions | holds by construction: every function Baton evaluates is free of side effects |
//! | SA00027 | expressions do not read the context node | here (warning: deployed processes rely on an empty context) |
//! | SA00028 | no WS-BPEL function in a join condition | here |
//! | SA00029 | no variable or WS-BPEL function in a property alias query | `wsdl` |
//! | SA00030 | getVariableProperty's arguments are string literals | here |
//! | SA00031 | getVariableProperty's second argument is a QName | here |
//! | SA00032 | from-spec and to-spec variants | `assign` |
//! | SA00033 | an expression to-spec starts with a variable reference | `assign` |
//! | SA00034 | no part on a variable of a schema type or element | `assign` |
//! | SA00035 | endpointReference="myRole" needs a myRole | `assign` |
//! | SA00036 | endpointReference="partnerRole" needs a partnerRole | `assign` |
//! | SA00037 | a partner link to-spec needs a partnerRole | `assign` |
//! | SA00038 | a literal is a single element or text | here |
//! | SA00039 | doXslTransform's stylesheet is a string literal | `stylesheets` |
//! | SA00040 | doXslTransform's parameters come in pairs | here |
//! | SA00041 | doXslTransform's parameter names are QName literals | here |
//! | SA00042 | keepSrcElementName only between elements | not checked: whether a query selects an element is known only when it runs |
//! | SA00043 | copies between message variables need the same message type | here |
//! | SA00044 | correlation set names unique in a scope | `declarations` |
//! | SA00045 | correlation properties are of simple types | `declarations` |
//! | SA00046 | correlation patterns on invoke only, as the operation needs | `messaging` (a missing pattern is a warning) |
//! | SA00047 | invoke has the variables its operation needs | `messaging`, here |
//! | SA00048 | invoke variables hold the operation's messages | `messaging` |
//! | SA00050..SA00055 | `<toParts>`, `<fromParts>` | with the compilation of those elements |
//! | SA00056 | nothing runs before or beside a start activity | `start` |
//! | SA00057 | start activities share a join correlation set | `start` |
//! | SA00058 | receive and reply variables hold the operation's messages | `messaging` |
//! | SA00059 | no variable on a reply with `<toParts>` | with the compilation of `<toParts>` |
//! | SA00060 | simultaneous receive-reply pairs name a messageExchange | not checked statically: two such pairs are told apart only when both are open, the fault `bpel:conflictingRequest` |
//! | SA00061 | a messageExchange resolves in an enclosing scope | here (warning) |
//! | SA00062 | a start pick has only onMessage events | `pick` |
//! | SA00063 | no variable on an onMessage with `<fromParts>` | with the compilation of `<fromParts>` |
//! | SA00064 | link names unique in a flow | `links` |
//! | SA00065 | link ends name a link of an enclosing flow | `links` |
//! | SA00066 | one source and one target per link | `links` |
//! | SA00067 | at most one link between two activities | `links` |
//! | SA00068 | distinct source link names on an activity | `links` |
//! | SA00069 | distinct target link names on an activity | `links` |
//! | SA00070 | links do not cross repeatable constructs or compensation handlers | `links` |
//! | SA00071 | links leave fault and termination handlers only outwards | `links` |
//! | SA00072 | links create no control cycle | `links` |
//! | SA00073 | join conditions use only incoming links' status | `links` |
//! | SA00074 | forEach counter values are unsigned integers | here, for constant expressions (the rule asks no more) |
//! | SA00075 | forEach branches not above the number of branches | not checked: the rule allows it only for constant expressions, and a forEach's branch count is itself computed; more branches than iterations is the fault `bpel:invalidBranchCondition` |
//! | SA00076 | no variable named as the forEach counter in its scope | `declarations` |
//! | SA00077 | compensateScope targets an immediately enclosed scope | `handlers` |
//! | SA00078 | compensateScope targets a scope or an invoke with handlers | `handlers` |
//! | SA00079 | root scopes of handlers have no compensation handler | here |
//! | SA00080 | faultHandlers hold a catch or catchAll | `handlers` |
//! | SA00081 | faultVariable goes with faultMessageType or faultElement | `handlers` |
//! | SA00082 | no cycle of peer-scope dependencies | not checked yet: links between the contents of sibling scopes can create one without a control cycle (SA00072) |
//! | SA00083 | eventHandlers hold an onEvent or onAlarm | `handlers` |
//! | SA00084 | partner links of messaging activities resolve | `messaging`, `assign` |
//! | SA00085 | an onEvent's messageType and element go with its variable | `handlers` |
//! | SA00086 | an onEvent's variables are not redeclared in its scope | here |
//! | SA00087 | an onEvent's variable holds the operation's input | `messaging` |
//! | SA00088 | an onEvent's correlation sets resolve | here |
//! | SA00089 | an onEvent's messageExchange resolves | here (warning) |
//! | SA00090 | an onEvent's variable has a messageType or element | `handlers` |
//! | SA00091 | isolated scopes do not nest | `scopes` |
//! | SA00092 | sibling scope names are unique | here |
//! | SA00093 | no two identical catches | `handlers` |
//! | SA00094 | keepSrcElementName keeps a name of the destination's substitution group | not checked: the rule allows it to be left to the query language, and schemas' substitution groups are not loaded |
//! | SA00095 | an onEvent's variable is its own, never an ancestor's | holds by construction: the onEvent's variable is declared in its own implicit scope |

use std::collections::HashMap;

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{
    ActivityKind, ExpressionUse, From, Operation, ScopeId, To, VariableId, VariableKind, XPATH_1_0,
    XPATH_2_0,
};
use crate::xml::{NodeId, NodeKind, QName};
use crate::xpath::{Argument, Language, XPath};

impl ProcessCompiler<'_> {
    /// SA00079: the scopes a fault, compensation or termination handler `node` runs first
    /// (those not nested in another scope of the handler) have no compensation handler,
    /// which nothing could ever call.
    pub(super) fn check_handler_root_scopes(&mut self, node: NodeId) {
        let mut pending: Vec<NodeId> = self.file.elements(node).collect();
        while let Some(element) = pending.pop() {
            if self.file.namespace(element) != BPEL_NS {
                continue;
            }
            if self.file.local_name(element) != "scope" {
                pending.extend(self.file.elements(element));
            } else if let Some(handler) =
                self.file
                    .element_named(element, BPEL_NS, "compensationHandler")
            {
                let message = "the first scope of a fault, compensation or termination handler \
                               cannot have a compensation handler";
                self.error(handler, "SA00079", message.to_owned());
            }
        }
    }

    /// SA00086: the variables an `<onEvent>` declares (its variable and its fromParts')
    /// are not declared again by its scope.
    pub(super) fn check_on_event_redeclarations(&mut self, node: NodeId) {
        let mut implicit: Vec<&str> = self.file.attr(node, "variable").into_iter().collect();
        if let Some(parts) = self.file.element_named(node, BPEL_NS, "fromParts") {
            for part in self.file.elements_named(parts, BPEL_NS, "fromPart") {
                implicit.extend(self.file.attr(part, "toVariable"));
            }
        }
        let implicit: Vec<String> = implicit.iter().map(|name| name.trim().to_owned()).collect();
        let Some(scope) = self.file.element_named(node, BPEL_NS, "scope") else {
            return;
        };
        let Some(variables) = self.file.element_named(scope, BPEL_NS, "variables") else {
            return;
        };
        for variable in self
            .file
            .elements_named(variables, BPEL_NS, "variable")
            .collect::<Vec<_>>()
        {
            let name = self.file.attr(variable, "name").unwrap_or_default().trim();
            if implicit.iter().any(|declared| declared == name) {
                let message =
                    format!("variable '{name}' is already declared by the enclosing <onEvent>");
                self.error(variable, "SA00086", message);
            }
        }
    }

    /// The `messageExchange` of a receive, reply, onMessage or onEvent, which must be
    /// declared by an enclosing scope (SA00061; SA00089 for an onEvent, where the scope of
    /// the event comes first). Deployed processes use undeclared ones, which pair their
    /// requests and replies by name all the same: a warning.
    pub(super) fn message_exchange(&mut self, node: NodeId) -> Option<String> {
        let name = self.file.attr(node, "messageExchange")?.trim().to_owned();
        let declared = self
            .frames
            .iter()
            .any(|frame| frame.message_exchanges.contains(&name));
        let on_event = self.file.local_name(node) == "onEvent";
        let declared =
            declared || (on_event && self.on_event_scope_declares(node, "messageExchange", &name));
        if !declared {
            let rule = if on_event { "SA00089" } else { "SA00061" };
            let message = format!("message exchange '{name}' is not declared");
            self.warning(node, rule, message);
        }
        Some(name)
    }

    /// Reports the correlation set `name` of `<correlation>` `node` that no enclosing scope
    /// (nor, on an onEvent, its own scope) declares (SA00046; SA00088 on an onEvent).
    pub(super) fn unknown_correlation_set(&mut self, node: NodeId, name: &str) {
        let on_event = self
            .file
            .doc
            .parent(node)
            .and_then(|list| self.file.doc.parent(list))
            .is_some_and(|owner| self.file.is(owner, BPEL_NS, "onEvent"));
        let message = format!("unknown correlation set '{name}'");
        let rule = if on_event { "SA00088" } else { "SA00046" };
        self.error(node, rule, message);
    }

    /// True when the `<scope>` of the onEvent `node` declares a `kind` named `name`.
    fn on_event_scope_declares(&self, node: NodeId, kind: &str, name: &str) -> bool {
        let Some(scope) = self.file.element_named(node, BPEL_NS, "scope") else {
            return false;
        };
        let list = format!("{kind}s");
        let declared = self
            .file
            .elements_named(scope, BPEL_NS, &list)
            .flat_map(|list| self.file.elements_named(list, BPEL_NS, kind))
            .any(|declared| self.file.attr(declared, "name").map(str::trim) == Some(name));
        declared
    }

    /// SA00047: an `<invoke>` without inputVariable nor `<toParts>` sends the operation's
    /// input, which must then have no part.
    pub(super) fn check_invoke_input(
        &mut self,
        node: NodeId,
        input: Option<VariableId>,
        operation: &Operation,
    ) {
        if input.is_some() || self.file.element_named(node, BPEL_NS, "toParts").is_some() {
            return;
        }
        let Some(message) = &operation.input else {
            return;
        };
        if self
            .defs
            .messages
            .get(message)
            .is_some_and(|declared| !declared.parts.is_empty())
        {
            let message = format!(
                "operation '{}' takes the message {message}: inputVariable is required",
                operation.name
            );
            self.error(node, "SA00047", message);
        }
    }

    /// SA00038: a `<literal>` holds a single element or only text.
    pub(super) fn check_literal(&mut self, literal: NodeId) {
        let doc = &self.file.doc;
        let mut elements = 0;
        let mut text = false;
        for child in doc.children(literal) {
            match doc.kind(child) {
                NodeKind::Element { .. } => elements += 1,
                NodeKind::Text(value) => text |= !value.trim().is_empty(),
                _ => {}
            }
        }
        if elements > 1 || (elements == 1 && text) {
            let message = "a <literal> holds a single element or only text";
            self.error(literal, "SA00038", message.to_owned());
        }
    }

    /// SA00043: a copy from a whole message variable goes to a whole variable of the same
    /// message type; a whole message variable is filled only from a message variable or a
    /// value written out (a literal or an expression).
    pub(super) fn check_message_copy(&mut self, node: NodeId, from: &From, to: &To) {
        let source = match from {
            From::Variable {
                variable,
                part: None,
                query: None,
            } => self.message_type(*variable),
            _ => None,
        };
        let target = match to {
            To::Variable {
                variable,
                part: None,
                query: None,
            } => self.message_type(*variable),
            _ => None,
        };
        let message = match (source, target) {
            (Some(source), Some(target)) if source != target => {
                format!("a message {source} cannot be copied to a variable of message {target}")
            }
            (Some(source), None) => {
                format!("a message {source} can only be copied to a variable of that message")
            }
            (None, Some(target)) if !matches!(from, From::Literal(_) | From::Expression(_)) => {
                format!("only a message {target} can be copied to a variable of that message")
            }
            _ => return,
        };
        self.error(node, "SA00043", message);
    }

    fn message_type(&self, variable: VariableId) -> Option<QName> {
        match &self.variables[variable.index()].kind {
            VariableKind::Message(message) => Some(message.clone()),
            _ => None,
        }
    }

    /// The checks made once the whole process is compiled.
    pub(super) fn check_process_rules(&mut self) {
        self.check_sibling_scope_names();
        self.check_expression_rules();
    }

    /// The scope whose immediately enclosed scopes `scope` is one of: its parent, skipping
    /// the implicit scopes of catches and onEvents.
    pub(super) fn enclosing_scope(&self, scope: ScopeId) -> Option<ScopeId> {
        let mut parent = self.scopes[scope.index()].parent?;
        while self.scopes[parent.index()].activity.is_none() {
            match self.scopes[parent.index()].parent {
                Some(next) => parent = next,
                None => break,
            }
        }
        Some(parent)
    }

    /// SA00092: the named `<scope>`s immediately enclosed in one scope have distinct names.
    fn check_sibling_scope_names(&mut self) {
        let mut seen: HashMap<(ScopeId, String), ()> = HashMap::new();
        for index in 0..self.scopes.len() {
            let Some(activity) = self.scopes[index].activity else {
                continue;
            };
            let activity = &self.activities[activity.index()];
            let (ActivityKind::Scope(_), Some(name)) = (&activity.kind, &activity.name) else {
                continue;
            };
            let Some(parent) = self.enclosing_scope(ScopeId(index as u32)) else {
                continue;
            };
            if seen.insert((parent, name.clone()), ()).is_some() {
                let message = format!("a sibling scope is also named '{name}'");
                let at = activity.location.clone();
                self.diagnostics.error(&at, "SA00092", message);
            }
        }
    }

    /// The rules on expressions: no context node (SA00027), no WS-BPEL function in join
    /// conditions (SA00028), literal arguments of getVariableProperty (SA00030, SA00031)
    /// and doXslTransform (SA00040, SA00041), constant counter values of forEach (SA00074).
    fn check_expression_rules(&mut self) {
        let variable_property = QName::new(BPEL_NS, "getVariableProperty");
        let transform = QName::new(BPEL_NS, "doXslTransform");
        for index in 0..self.expressions.len() {
            let expression = &self.expressions[index];
            if expression.language != XPATH_1_0 && expression.language != XPATH_2_0 {
                continue;
            }
            let language = Language::from_uri(&expression.language);
            let Ok(xpath) = XPath::compile_in(&expression.source, &expression.namespaces, language)
            else {
                continue;
            };
            let at = expression.location.clone();
            let usage = expression.usage;
            let mut found: Vec<(&'static str, String, bool)> = Vec::new();
            if !matches!(usage, ExpressionUse::Query) && xpath.reads_context_node() {
                let message = "an expression has no context node: start paths from a variable";
                found.push(("SA00027", message.to_owned(), true));
            }
            for (function, arguments) in xpath.extension_calls() {
                if usage == ExpressionUse::JoinCondition && function.ns == BPEL_NS {
                    let message =
                        format!("bpel:{} cannot be used in a joinCondition", function.local);
                    found.push(("SA00028", message, false));
                }
                if function == variable_property {
                    found.extend(variable_property_arguments(&arguments));
                }
                if function == transform {
                    found.extend(transform_parameters(&arguments));
                }
            }
            if usage == ExpressionUse::Unsigned {
                found.extend(unsigned_constant(&expression.source));
            }
            for (rule, message, tolerated) in found {
                if tolerated {
                    self.diagnostics.warning(&at, rule, message);
                } else {
                    self.diagnostics.error(&at, rule, message);
                }
            }
        }
    }
}

/// SA00030, SA00031: bpel:getVariableProperty takes two string literals, the second a
/// QName.
fn variable_property_arguments(arguments: &[Argument]) -> Vec<(&'static str, String, bool)> {
    let mut found = Vec::new();
    if arguments.contains(&Argument::Computed) {
        let message = "the arguments of bpel:getVariableProperty must be string literals";
        found.push(("SA00030", message.to_owned(), false));
    }
    if let Some(Argument::Literal(property)) = arguments.get(1) {
        if !is_qname(property.trim()) {
            let message = format!("'{property}' is not a property QName");
            found.push(("SA00031", message, false));
        }
    }
    found
}

/// SA00040, SA00041: the parameters of bpel:doXslTransform after the source come in pairs,
/// each named by a QName literal.
fn transform_parameters(arguments: &[Argument]) -> Vec<(&'static str, String, bool)> {
    let parameters = arguments.get(2..).unwrap_or_default();
    let mut found = Vec::new();
    if parameters.len() % 2 == 1 {
        let message = "the parameters of bpel:doXslTransform come in name and value pairs";
        found.push(("SA00040", message.to_owned(), false));
    }
    for name in parameters.iter().step_by(2) {
        let valid = matches!(name, Argument::Literal(name) if is_qname(name.trim()));
        if !valid {
            let message = "the parameter names of bpel:doXslTransform must be QName literals";
            found.push(("SA00041", message.to_owned(), false));
        }
    }
    found
}

/// SA00074, SA00075 where the expression is a constant: it must be an unsigned integer.
fn unsigned_constant(source: &str) -> Option<(&'static str, String, bool)> {
    let text = source.trim();
    let number = text.parse::<f64>().ok()?;
    if number >= 0.0 && number.fract() == 0.0 && number <= f64::from(u32::MAX) {
        return None;
    }
    let message = format!("'{text}' is not an xsd:unsignedInt");
    Some(("SA00074", message, false))
}

/// True for `prefix:local` or `local` made of NCNames.
fn is_qname(text: &str) -> bool {
    let mut parts = text.splitn(2, ':');
    parts.all(crate::compiler::xmlutil::is_ncname) && !text.ends_with(':')
}
