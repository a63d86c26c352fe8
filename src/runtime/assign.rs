//! `<assign>`: each `<copy>` reads its from-spec into a [`Source`], locates its
//! to-spec as a node of one variable (creating it first when the copy has ODE's
//! `insertMissingToData`), and replaces that node's value as WS-BPEL 2.0 §8.4 says.
//! Extension assign operations run between the copies, in document order (see
//! [`super::extension`]). An assign is atomic: when any operation faults, every variable it
//! could have touched is restored.

use std::borrow::Cow;
use std::collections::HashMap;

use super::compiled::CompiledProcess;
use super::evaluate;
use super::evaluate::Visible;
use super::fault::{Fault, BPEL_NS};
use super::functions::EvaluationEnv;
use super::message;
use super::session::Callback;
use super::state::{InstanceState, ScopeRef};
use crate::model::wsdl;
use crate::model::{
    ActivityKind, Assign, AssignOperation, Copy, EndpointRole, ExprId, From, PartContent,
    PartnerLinkId, Process, To, VariableId, VariableKind,
};
use crate::xml::{self, Document, NodeId, NodeKind, QName};
use crate::xpath::{Node, PathStart, Value};

/// The namespace of the wrapper element that holds the value of a type variable.
pub const VALUE_WRAPPER: &str = "value";
/// WS-Addressing, for endpoint references.
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
/// BPEL's service-ref wrapper for endpoint references.
pub const SERVICE_REF_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/serviceref";

/// What a from-spec yielded, owned so that the target may be in the same variable (or
/// borrowed from the compiled process, which no copy changes).
enum Source<'a> {
    /// A whole variable's value.
    Variable(Cow<'a, Document>),
    /// An element (the document element of its own document).
    Element(Cow<'a, Document>),
    /// A string value (from a text or attribute node, or an atomic expression value).
    Text(String),
}

/// Runs `copies` atomically (a scope's variable initialisers): when one of them faults,
/// every variable they touched is restored.
pub fn execute(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    env: Option<&EvaluationEnv>,
    copies: &[Copy],
) -> Result<(), Fault> {
    let saved = Saved::before(process, state, scope, copies.iter(), false);
    let outcome = copies
        .iter()
        .try_for_each(|copy| run_copy(process, state, scope, env, copy));
    if outcome.is_err() {
        saved.restore(process, state, scope);
    }
    outcome
}

/// Runs an `<assign>`'s operations in order, atomically: only what they can write is saved
/// beforehand, and restored when one of them faults. With `validate="yes"`, the variables
/// its copies name are then validated, and the assign undone when one is invalid.
pub fn run_assign(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    env: Option<&EvaluationEnv>,
    assign: &Assign,
) -> Result<(), Fault> {
    let copies = assign
        .operations
        .iter()
        .filter_map(|operation| match operation {
            AssignOperation::Copy(copy) => Some(copy),
            AssignOperation::Extension(_) => None,
        });
    // An extension operation may write any variable it sees.
    let extended = assign
        .operations
        .iter()
        .any(|operation| matches!(operation, AssignOperation::Extension(_)));
    let saved = Saved::before(process, state, scope, copies.clone(), extended);
    let mut outcome = assign
        .operations
        .iter()
        .try_for_each(|operation| match operation {
            AssignOperation::Copy(copy) => run_copy(process, state, scope, env, copy),
            AssignOperation::Extension(extension) => {
                super::extension::run(process, state, scope, extension)
            }
        });
    if outcome.is_ok() {
        outcome = copies
            .clone()
            .filter_map(|copy| copy.to.variable())
            .try_for_each(
                |variable| match state.variable(&process.model, scope, variable) {
                    Some(document) => check_size(process, variable, document),
                    None => Ok(()),
                },
            );
    }
    if outcome.is_ok() && assign.validate {
        outcome = copies
            .filter_map(|copy| copy.to.variable())
            .try_for_each(
                |variable| match state.variable(&process.model, scope, variable) {
                    Some(document) => super::validate::variable(process, variable, document),
                    None => Ok(()),
                },
            );
    }
    if outcome.is_err() {
        saved.restore(process, state, scope);
    } else {
        for copy in copies_written(&assign.operations) {
            if let Some(document) = state.variable_mut(&process.model, scope, copy).as_mut() {
                document.compact_if_sparse();
            }
        }
    }
    outcome
}

/// The variables the copies of `operations` write.
fn copies_written(operations: &[AssignOperation]) -> impl Iterator<Item = VariableId> + '_ {
    operations.iter().filter_map(|operation| match operation {
        AssignOperation::Copy(copy) => copy.to.variable(),
        AssignOperation::Extension(_) => None,
    })
}

/// Faults with `baton:variableTooLarge` when `value`, held or about to be held by
/// `variable`, is larger than the running step allows (see [`crate::budget`]).
pub(crate) fn check_size(
    process: &CompiledProcess,
    variable: VariableId,
    value: &Document,
) -> Result<(), Fault> {
    let Some(limit) = crate::budget::variable_bytes() else {
        return Ok(());
    };
    let size = value.content_bytes();
    if size <= limit {
        return Ok(());
    }
    let name = &process.model.variable(variable).name;
    Err(Fault::variable_too_large(format!(
        "the value of variable '{name}' would hold {size} bytes, more than the {limit} allowed ([engine] max-variable-bytes)"
    )))
}

/// Replaces the whole value of `variable` with `value`'s document element, as a copy of
/// an element to the variable would (an extension operation's write).
pub(crate) fn write_variable(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    variable: VariableId,
    value: Document,
) -> Result<(), Fault> {
    if value.document_element().is_none() {
        let name = &process.model.variable(variable).name;
        return Err(Fault::selection_failure(format!(
            "the value written to variable '{name}' has no element"
        )));
    }
    check_size(process, variable, &value)?;
    let node = ensure_variable_node(process, state, scope, variable, None);
    let document = state
        .variable_mut(&process.model, scope, variable)
        .as_mut()
        .expect("just initialised");
    write(
        document,
        node,
        Source::Element(Cow::Owned(value)),
        false,
        false,
    )
}

/// A scope instance's partner role addresses and sessions, as an assign found them.
struct PartnerSlots {
    endpoints: Vec<Option<String>>,
    sessions: Vec<Option<String>>,
}

/// What an assign may change, as it was before the assign: the variables and partner
/// links of the scope instances it sees, or only the variables its copies name.
struct Saved {
    variables: SavedVariables,
    /// Partner role endpoints and sessions per scope instance, when a copy writes a partner
    /// link.
    endpoints: Option<Vec<(ScopeRef, PartnerSlots)>>,
}

enum SavedVariables {
    /// The variables the copies name.
    Named(Vec<(VariableId, Option<Document>)>),
    /// Every visible variable: a to-expression may select a node of any of them.
    All(Vec<(ScopeRef, Vec<Option<Document>>)>),
}

impl Saved {
    /// What `copies` can change; with `everything`, every visible variable.
    fn before<'c>(
        process: &CompiledProcess,
        state: &InstanceState,
        scope: ScopeRef,
        copies: impl Iterator<Item = &'c Copy> + Clone,
        everything: bool,
    ) -> Self {
        let chain: Vec<ScopeRef> = state.chain(scope).collect();
        let endpoints = copies
            .clone()
            .any(|copy| matches!(copy.to, To::PartnerLink(_)))
            .then(|| {
                chain
                    .iter()
                    .map(|&id| {
                        let scope = state.scope(id);
                        let slots = PartnerSlots {
                            endpoints: scope.endpoints.clone(),
                            sessions: scope.sessions.clone(),
                        };
                        (id, slots)
                    })
                    .collect()
            });
        let variables = if everything
            || copies
                .clone()
                .any(|copy| matches!(copy.to, To::Expression(_)))
        {
            SavedVariables::All(
                chain
                    .iter()
                    .map(|&id| (id, state.scope(id).variables.clone()))
                    .collect(),
            )
        } else {
            let mut targets: Vec<VariableId> =
                copies.filter_map(|copy| copy.to.variable()).collect();
            targets.sort_unstable();
            targets.dedup();
            SavedVariables::Named(
                targets
                    .into_iter()
                    .map(|variable| {
                        let value = state.variable(&process.model, scope, variable).cloned();
                        (variable, value)
                    })
                    .collect(),
            )
        };
        Self {
            variables,
            endpoints,
        }
    }

    fn restore(self, process: &CompiledProcess, state: &mut InstanceState, scope: ScopeRef) {
        match self.variables {
            SavedVariables::All(instances) => {
                for (id, variables) in instances {
                    state.scope_mut(id).variables = variables;
                }
            }
            SavedVariables::Named(variables) => {
                for (variable, value) in variables {
                    *state.variable_mut(&process.model, scope, variable) = value;
                }
            }
        }
        for (id, slots) in self.endpoints.into_iter().flatten() {
            let scope = state.scope_mut(id);
            scope.endpoints = slots.endpoints;
            scope.sessions = slots.sessions;
        }
    }
}

fn run_copy(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    env: Option<&EvaluationEnv>,
    copy: &Copy,
) -> Result<(), Fault> {
    let source = match read_from(process, state, scope, env, copy) {
        Err(fault)
            if copy.ignore_uninitialized_from_variable
                && fault.name == QName::new(BPEL_NS, "uninitializedVariable") =>
        {
            return Ok(());
        }
        read => read?,
    };
    let Some(source) = source else {
        return Ok(());
    };
    match &copy.to {
        To::Variable {
            variable,
            part: None,
            query: None,
        } if matches!(source, Source::Variable(_)) => {
            let Source::Variable(document) = source else {
                unreachable!()
            };
            check_whole_copy(process, copy, *variable)?;
            *state.variable_mut(&process.model, scope, *variable) = Some(document.into_owned());
            Ok(())
        }
        To::PartnerLink(partner_link) => {
            assign_endpoint(process, state, scope, *partner_link, source)
        }
        to => {
            let (variable, node) = locate_to(process, state, scope, env, to, copy)?;
            let document = state
                .variable_mut(&process.model, scope, variable)
                .as_mut()
                .expect("located in a set variable");
            let keep_attributes = process.keeps_target_attributes;
            // A header is replaced whole, name and all, as ODE replaced it.
            let whole_header = matches!(to, To::Header { query: None, .. });
            write(
                document,
                node,
                source,
                copy.keep_src_element_name || whole_header,
                keep_attributes && !whole_header,
            )
        }
    }
}

/// A whole-variable copy needs variables of the same kind.
fn check_whole_copy(process: &CompiledProcess, copy: &Copy, to: VariableId) -> Result<(), Fault> {
    if let From::Variable {
        variable: from,
        part: None,
        query: None,
    } = &copy.from
    {
        let (from_kind, to_kind) = (
            &process.model.variable(*from).kind,
            &process.model.variable(to).kind,
        );
        let compatible = match (from_kind, to_kind) {
            (VariableKind::Message(a), VariableKind::Message(b)) => a == b,
            (VariableKind::Message(_), _) | (_, VariableKind::Message(_)) => false,
            _ => true,
        };
        if !compatible {
            return Err(Fault::mismatched_assignment(format!(
                "{}: cannot copy variable '{}' ({from_kind:?}) to variable '{}' ({to_kind:?})",
                copy.location,
                process.model.variable(*from).name,
                process.model.variable(to).name
            )));
        }
    }
    Ok(())
}

fn read_from<'a>(
    process: &'a CompiledProcess,
    state: &InstanceState,
    scope: ScopeRef,
    env: Option<&EvaluationEnv>,
    copy: &Copy,
) -> Result<Option<Source<'a>>, Fault> {
    let missing = |what: String| -> Result<Option<Source<'a>>, Fault> {
        if copy.ignore_missing_from_data {
            Ok(None)
        } else {
            Err(Fault::selection_failure(format!(
                "{}: {what}",
                copy.location
            )))
        }
    };
    match &copy.from {
        From::Variable {
            variable,
            part: None,
            query: None,
        } if matches!(
            &copy.to,
            To::Variable {
                part: None,
                query: None,
                ..
            }
        ) =>
        {
            let document = state
                .variable(&process.model, scope, *variable)
                .ok_or_else(|| {
                    Fault::uninitialized_variable(&process.model.variable(*variable).name)
                })?;
            Ok(Some(Source::Variable(Cow::Owned(document.clone()))))
        }
        From::Variable { query, .. } | From::Header { query, .. } => {
            let visible = Visible::new(state, scope, env);
            let node = match &copy.from {
                From::Variable { variable, part, .. } => {
                    evaluate::variable_node(process, visible, *variable, part.as_deref())?
                }
                From::Header {
                    variable, header, ..
                } => match evaluate::header_node(process, visible, *variable, header)? {
                    Some(node) => node,
                    None => return missing(format!("the message carries no header '{header}'")),
                },
                _ => unreachable!("a variable or a header"),
            };
            let node = match query {
                Some(query) => {
                    let value = evaluate::value(
                        process,
                        Visible::new(state, scope, env),
                        *query,
                        Some(node),
                    )?;
                    match single_node(value) {
                        Ok(node) => node,
                        Err(count) => {
                            return missing(format!("the query selected {count} nodes, not one"))
                        }
                    }
                }
                None => node,
            };
            Ok(Some(source_of(node)))
        }
        From::Expression(expression) => {
            let visible = Visible::new(state, scope, env);
            // `$v` alone copies the variable's value as it is written, not its XPath value.
            let value = if process.expressions[expression.index()].is_variable_reference() {
                evaluate::location(process, visible, *expression)?
            } else {
                evaluate::value(process, visible, *expression, None)?
            };
            match value {
                Value::NodeSet(nodes) if nodes.len() == 1 => Ok(Some(source_of(nodes[0]))),
                Value::NodeSet(nodes) => missing(format!(
                    "the expression selected {} nodes, not one",
                    nodes.len()
                )),
                Value::Number(number) if process.model.draft => {
                    Ok(Some(Source::Text(java_double(number))))
                }
                atomic => Ok(Some(Source::Text(atomic.to_xpath_string()))),
            }
        }
        From::Literal(text) => match process.literals.get(text) {
            Some(Literal::Element(document)) => Ok(Some(Source::Element(Cow::Borrowed(document)))),
            Some(Literal::Text(text)) => Ok(Some(Source::Text(text.clone()))),
            None => match literal(text)? {
                Literal::Element(document) => Ok(Some(Source::Element(Cow::Owned(document)))),
                Literal::Text(text) => Ok(Some(Source::Text(text))),
            },
        },
        From::PartnerLink { partner_link, role } => {
            let address =
                endpoint(process, state, scope, *partner_link, *role).ok_or_else(|| {
                    Fault::selection_failure(format!(
                        "{}: partner link '{}' has no endpoint for that role",
                        copy.location,
                        process.model.partner_link(*partner_link).name
                    ))
                })?;
            Ok(Some(Source::Element(Cow::Owned(endpoint_reference(
                &address,
            )))))
        }
        From::Property { variable, property } => {
            let document = state
                .variable(&process.model, scope, *variable)
                .ok_or_else(|| {
                    Fault::uninitialized_variable(&process.model.variable(*variable).name)
                })?;
            let kind = &process.model.variable(*variable).kind;
            let mut values = super::correlation::values(
                process,
                kind,
                document,
                std::slice::from_ref(property),
            )?;
            Ok(Some(Source::Text(values.remove(0))))
        }
    }
}

fn single_node(value: Value<'_>) -> Result<Node<'_>, usize> {
    match value {
        Value::NodeSet(nodes) if nodes.len() == 1 => Ok(nodes[0]),
        Value::NodeSet(nodes) => Err(nodes.len()),
        _ => Err(0),
    }
}

/// An owned copy of what `node` holds.
fn source_of(node: Node<'_>) -> Source<'static> {
    match node.doc.kind(node.id) {
        NodeKind::Element { .. } => {
            let mut document = Document::new();
            let copy = document.import(node.doc, node.id);
            let root = document.root();
            document.append_child(root, copy);
            Source::Element(Cow::Owned(document))
        }
        _ => Source::Text(node.doc.string_value(node.id)),
    }
}

/// A `<literal>`: one element, or text.
/// What a `<literal>` holds: one element, or else its text.
#[derive(Debug)]
pub(crate) enum Literal {
    /// The document element of its own document.
    Element(Document),
    Text(String),
}

/// Each well-formed literal of `model`'s copies, parsed, by its text: parsed once when the
/// process is compiled, not at each copy. A literal that is not well-formed is left out and
/// faults when a copy reads it.
pub(crate) fn literals(model: &Process) -> HashMap<String, Literal> {
    let assigned = model
        .activities
        .iter()
        .flat_map(|activity| match &activity.kind {
            ActivityKind::Assign(assign) => assign.copies().collect(),
            _ => Vec::new(),
        });
    let initialising = model
        .variables
        .iter()
        .filter_map(|variable| variable.initializer.as_ref());
    assigned
        .chain(initialising)
        .filter_map(|copy| match &copy.from {
            From::Literal(text) => Some((text.clone(), literal(text).ok()?)),
            _ => None,
        })
        .collect()
}

/// Parses literal `text`.
fn literal(text: &str) -> Result<Literal, Fault> {
    let document = xml::parse_fragment(text.as_bytes())
        .map_err(|error| Fault::selection_failure(format!("invalid literal: {error}")))?;
    let elements: Vec<NodeId> = document.child_elements(document.root()).collect();
    if let [element] = elements.as_slice() {
        let mut single = Document::new();
        let copy = single.import(&document, *element);
        let root = single.root();
        single.append_child(root, copy);
        Ok(Literal::Element(single))
    } else {
        Ok(Literal::Text(document.string_value(document.root())))
    }
}

/// Finds (creating where the spec allows) the node a to-spec names.
fn locate_to(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    env: Option<&EvaluationEnv>,
    to: &To,
    copy: &Copy,
) -> Result<(VariableId, NodeId), Fault> {
    match to {
        To::Variable {
            variable,
            part,
            query,
        } => {
            let node = ensure_variable_node(process, state, scope, *variable, part.as_deref());
            to_query(process, state, scope, env, copy, (*variable, node), *query)
        }
        To::Header {
            variable,
            header,
            query,
        } => {
            let document = state
                .variable_mut(&process.model, scope, *variable)
                .get_or_insert_with(message::empty);
            let node = message::ensure_header_node(document, header);
            to_query(process, state, scope, env, copy, (*variable, node), *query)
        }
        To::Expression(expression) => {
            if copy.insert_missing_to_data {
                insert_missing(process, state, scope, env, *expression, None)?;
            }
            let value = evaluate::location(process, Visible::new(state, scope, env), *expression)?;
            let target = single_node(value).map_err(|count| {
                Fault::selection_failure(format!(
                    "{}: the to-expression selected {count} nodes, not one",
                    copy.location
                ))
            })?;
            let variable = owner(process, state, scope, target.doc).ok_or_else(|| {
                Fault::selection_failure(format!(
                    "{}: the to-expression selects no variable's node",
                    copy.location
                ))
            })?;
            Ok((variable, target.id))
        }
        To::Property { variable, property } => {
            let document = state
                .variable(&process.model, scope, *variable)
                .ok_or_else(|| {
                    Fault::uninitialized_variable(&process.model.variable(*variable).name)
                })?;
            let kind = &process.model.variable(*variable).kind;
            let node = super::correlation::property_node(process, kind, document, property)?;
            Ok((*variable, node))
        }
        To::PartnerLink(_) => unreachable!("partner link targets are handled before locating"),
    }
}

/// For a copy with `insertMissingToData`: when the to-spec's path selects nothing, creates
/// the nodes it names (see [`insert_missing`](super::insert_missing)). A to-query is
/// evaluated at `query_context` (its variable and node); a to-expression's path must start
/// at a variable, which is initialised first.
fn insert_missing(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    env: Option<&EvaluationEnv>,
    expression: ExprId,
    query_context: Option<(VariableId, NodeId)>,
) -> Result<(), Fault> {
    let Some(path) = process.expressions[expression.index()].named_path() else {
        return Ok(());
    };
    let (variable, start) = match (&path.start, query_context) {
        (PathStart::Context, Some(context)) => context,
        (PathStart::Root, Some((variable, _))) => {
            let document = state
                .variable(&process.model, scope, variable)
                .expect("a to-query's variable is initialised");
            (variable, document.root())
        }
        (PathStart::Variable(name), None) => {
            let (name, part) = match name.local.split_once('.') {
                Some((name, part)) => (name, Some(part)),
                None => (name.local.as_str(), None),
            };
            let Some(variable) = Visible::new(state, scope, env).named(process, name) else {
                return Ok(());
            };
            let node = ensure_variable_node(process, state, scope, variable, part);
            (variable, node)
        }
        _ => return Ok(()),
    };
    let selected = {
        let visible = Visible::new(state, scope, env);
        let value = match query_context {
            Some((_, node)) => {
                let document = visible.get(process, variable).expect("initialised");
                let context = Node {
                    doc: document,
                    id: node,
                };
                evaluate::value(process, visible, expression, Some(context))?
            }
            None => evaluate::location(process, visible, expression)?,
        };
        !matches!(value, Value::NodeSet(nodes) if nodes.is_empty())
    };
    if !selected {
        let document = state
            .variable_mut(&process.model, scope, variable)
            .as_mut()
            .expect("initialised");
        super::insert_missing::create(document, start, &path.steps);
    }
    Ok(())
}

/// The variable whose document is `document`.
fn owner(
    process: &CompiledProcess,
    state: &InstanceState,
    scope: ScopeRef,
    document: &Document,
) -> Option<VariableId> {
    state.chain(scope).find_map(|id| {
        let instance = state.scope(id);
        let slot = instance
            .variables
            .iter()
            .position(|slot| slot.as_ref().is_some_and(|d| std::ptr::eq(d, document)))?;
        Some(process.model.scope(instance.scope).variables[slot])
    })
}

/// The node of `variable` (or of its `part`), initialising the variable or adding the part
/// when they do not exist yet.
/// The node `query` selects from `node` of `variable` (created where the copy allows), or
/// `node` itself without a query.
fn to_query(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    env: Option<&EvaluationEnv>,
    copy: &Copy,
    (variable, node): (VariableId, NodeId),
    query: Option<ExprId>,
) -> Result<(VariableId, NodeId), Fault> {
    let Some(query) = query else {
        return Ok((variable, node));
    };
    if copy.insert_missing_to_data {
        insert_missing(process, state, scope, env, query, Some((variable, node)))?;
    }
    let document = state
        .variable(&process.model, scope, variable)
        .expect("just initialised");
    let context = Node {
        doc: document,
        id: node,
    };
    let value = evaluate::value(
        process,
        Visible::new(state, scope, env),
        query,
        Some(context),
    )?;
    let target = single_node(value).map_err(|count| {
        Fault::selection_failure(format!(
            "{}: the to-query selected {count} nodes, not one",
            copy.location
        ))
    })?;
    Ok((variable, target.id))
}

fn ensure_variable_node(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    variable: VariableId,
    part: Option<&str>,
) -> NodeId {
    let kind = &process.model.variable(variable).kind;
    let slot = state.variable_mut(&process.model, scope, variable);
    let document = slot.get_or_insert_with(|| match kind {
        VariableKind::Message(_) => message::empty(),
        VariableKind::Element(name) => single_element(name.clone()),
        VariableKind::Type(_) => single_element(QName::new("", VALUE_WRAPPER)),
    });
    match (part, kind) {
        (Some(part), VariableKind::Message(message_type)) => {
            let accessor = message::ensure_part(document, part);
            let element_part = process
                .definitions
                .messages
                .get(message_type)
                .and_then(|m| m.parts.iter().find(|p| p.name == part))
                .and_then(|p| match &p.content {
                    PartContent::Element(name) => Some(name.clone()),
                    PartContent::Type(_) => None,
                });
            match element_part {
                Some(name) => {
                    let existing = document.child_elements(accessor).next();
                    existing.unwrap_or_else(|| {
                        let element = document.new_element(name);
                        document.append_child(accessor, element);
                        element
                    })
                }
                None => accessor,
            }
        }
        _ => document
            .document_element()
            .expect("variables hold one element"),
    }
}

fn single_element(name: QName) -> Document {
    let mut document = Document::new();
    let element = document.new_element(name);
    let root = document.root();
    document.append_child(root, element);
    document
}

/// Replaces the value of `target` with `source` (§8.4.2 replacement).
fn write(
    document: &mut Document,
    target: NodeId,
    source: Source,
    keep_name: bool,
    keep_attributes: bool,
) -> Result<(), Fault> {
    match (document.kind(target).clone(), source) {
        (NodeKind::Element { .. }, Source::Element(from) | Source::Variable(from)) => {
            let from_element = from.document_element().expect("an element source");
            if keep_name {
                let name = from.name(from_element).expect("an element").clone();
                document.rename(target, name);
            }
            let kept = match keep_attributes {
                true => document.attributes(target).to_vec(),
                false => Vec::new(),
            };
            document.replace_children_with_copy(target, &from, from_element);
            for attribute in kept {
                let name = &attribute.name;
                if document.attribute(target, &name.ns, &name.local).is_none() {
                    document.set_attribute(target, attribute.name, attribute.value);
                }
            }
            Ok(())
        }
        (NodeKind::Element { .. }, Source::Text(text)) => {
            document.set_text_content(target, &text);
            Ok(())
        }
        (kind, source) => {
            let text = match source {
                Source::Text(text) => text,
                Source::Element(from) | Source::Variable(from) => from.string_value(from.root()),
            };
            match kind {
                NodeKind::Attribute => {
                    let (owner, attribute) =
                        document.attribute_of(target).expect("an attribute handle");
                    let name = attribute.name.clone();
                    document.set_attribute(owner, name, text);
                }
                _ => {
                    let replacement = document.new_text(&text);
                    document.insert_before(target, replacement);
                    document.detach(target);
                }
            }
            Ok(())
        }
    }
}

/// The endpoint address of a partner link's role: assigned at run time or deployed.
fn endpoint(
    process: &CompiledProcess,
    state: &InstanceState,
    scope: ScopeRef,
    partner_link: PartnerLinkId,
    role: EndpointRole,
) -> Option<String> {
    match role {
        EndpointRole::PartnerRole => state
            .endpoint(&process.model, scope, partner_link)
            .cloned()
            .or_else(|| process.partner_endpoints[partner_link.index()].clone()),
        EndpointRole::MyRole => process.my_endpoints[partner_link.index()].clone(),
    }
}

/// `<sref:service-ref><wsa:EndpointReference><wsa:Address>…`.
fn endpoint_reference(address: &str) -> Document {
    let mut document = single_element(QName::new(SERVICE_REF_NS, "service-ref"));
    let service_ref = document.document_element().expect("just built");
    let reference = document.new_element(QName::new(WSA_NS, "EndpointReference"));
    let address_element = document.new_element(QName::new(WSA_NS, "Address"));
    document.append_child(service_ref, reference);
    document.append_child(reference, address_element);
    document.set_text_content(address_element, address);
    document
}

/// Copying to a partner link sets its partner role endpoint from an endpoint reference in
/// any of the forms ODE accepts (see [`reference_address`]).
fn assign_endpoint(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    partner_link: PartnerLinkId,
    source: Source,
) -> Result<(), Fault> {
    let address = match source {
        Source::Text(text) => text.trim().to_owned(),
        Source::Element(document) | Source::Variable(document) => reference_address(&document)
            .ok_or_else(|| {
                Fault::standard(
                    "unsupportedReference",
                    "the endpoint reference is neither a WS-Addressing endpoint reference, a \
                     soap:address, a WSDL service nor an address",
                )
            })?,
    };
    if address.is_empty() {
        return Err(Fault::selection_failure(
            "the endpoint reference has no address",
        ));
    }
    let partner = Callback {
        address,
        session: None,
    };
    state.set_partner(&process.model, scope, partner_link, partner);
    Ok(())
}

/// The address an endpoint reference gives, in the forms ODE accepts, with or without a
/// `<sref:service-ref>` around them: a WS-Addressing `EndpointReference` (its `Address`, of
/// either WS-Addressing namespace), a WSDL `service` or a port's `soap:address` (its
/// `location`, SOAP 1.1, SOAP 1.2 or HTTP binding), or the address as text.
fn reference_address(document: &Document) -> Option<String> {
    let named = |local: &str| {
        document
            .descendants(document.root())
            .find(move |&node| document.name(node).is_some_and(|name| name.local == local))
    };
    if let Some(address) = named("Address") {
        return Some(document.string_value(address).trim().to_owned());
    }
    let location = document.descendants(document.root()).find_map(|node| {
        let name = document.name(node)?;
        let binding = [wsdl::SOAP11_NS, wsdl::SOAP12_NS, wsdl::HTTP_NS];
        (name.local == "address" && binding.contains(&name.ns.as_str()))
            .then(|| document.attribute(node, "", "location"))
            .flatten()
    });
    if let Some(location) = location {
        return Some(location.trim().to_owned());
    }
    let text = document.string_value(document.root()).trim().to_owned();
    text.contains("://").then_some(text)
}

/// A number as processes written in the 2004 draft of WS-BPEL 2.0 saw it copied: Apache
/// ODE, the engine those processes were written for, wrote the numbers an expression
/// computes as Java's `Double.toString` does (`55.0`, `1.0E7`), not as XPath's `string()`
/// (`55`).
fn java_double(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_owned();
    }
    if number.is_infinite() {
        return if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned();
    }
    let magnitude = number.abs();
    if number == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let text = format!("{number}");
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{number:e}");
        let (mantissa, exponent) = text.split_once('e').expect("scientific notation");
        if mantissa.contains('.') {
            format!("{mantissa}E{exponent}")
        } else {
            format!("{mantissa}.0E{exponent}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::java_double;

    #[test]
    fn numbers_are_written_as_java_writes_doubles() {
        for (number, text) in [
            (55.0, "55.0"),
            (0.5, "0.5"),
            (-3.0, "-3.0"),
            (0.0, "0.0"),
            (1e7, "1.0E7"),
            (1.25e-5, "1.25E-5"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(java_double(number), text);
        }
    }
}
