//! Correlation: reading property values out of messages and variables through the
//! property aliases of the unit's WSDL, as correlation sets and
//! `bpel:getVariableProperty` need them.

use super::compiled::{CompiledAlias, CompiledProcess};
use super::fault::Fault;
use super::message;
use crate::model::{AliasSource, VariableKind};
use crate::xml::{Document, NodeId, QName};
use crate::xpath::{self, Node};

/// The values of `properties` in `document`, a value of `kind`.
pub fn values(
    process: &CompiledProcess,
    kind: &VariableKind,
    document: &Document,
    properties: &[QName],
) -> Result<Vec<String>, Fault> {
    properties
        .iter()
        .map(|property| value(process, kind, document, property))
        .collect()
}

fn value(
    process: &CompiledProcess,
    kind: &VariableKind,
    document: &Document,
    property: &QName,
) -> Result<String, Fault> {
    let node = property_node(process, kind, document, property)?;
    Ok(document.string_value(node))
}

/// The node holding `property` in `document`, a value of `kind`: the aliased part, element
/// or value, narrowed by the alias's query.
pub fn property_node(
    process: &CompiledProcess,
    kind: &VariableKind,
    document: &Document,
    property: &QName,
) -> Result<NodeId, Fault> {
    let missing = || {
        Fault::selection_failure(format!(
            "no property alias gives property {property} for {kind:?}"
        ))
    };
    let (alias, node) = match kind {
        VariableKind::Message(message_type) => {
            let definition = process
                .definitions
                .messages
                .get(message_type)
                .ok_or_else(missing)?;
            let whole = AliasSource::Message(message_type.clone());
            if let Some(alias) = process.alias(property, &whole) {
                let node = document.document_element().ok_or_else(missing)?;
                return narrow(alias, document, node, property);
            }
            let in_header = process
                .aliases
                .iter()
                .find_map(|alias| match &alias.source {
                    AliasSource::MessageHeader { message, header }
                        if &alias.property == property && message == message_type =>
                    {
                        Some((alias, header))
                    }
                    _ => None,
                });
            if let Some((alias, header)) = in_header {
                let node = message::header_node(document, header).ok_or_else(|| {
                    Fault::selection_failure(format!(
                        "the message carries no header '{header}' holding property {property}"
                    ))
                })?;
                return narrow(alias, document, node, property);
            }
            let (alias, part) = definition
                .parts
                .iter()
                .find_map(|part| {
                    let source = AliasSource::MessagePart {
                        message: message_type.clone(),
                        part: part.name.clone(),
                    };
                    process.alias(property, &source).map(|alias| (alias, part))
                })
                .ok_or_else(missing)?;
            let node =
                message::part_node(document, Some(definition), &part.name).ok_or_else(|| {
                    Fault::selection_failure(format!(
                        "message part '{}' holding property {property} is missing",
                        part.name
                    ))
                })?;
            (alias, node)
        }
        VariableKind::Element(element) => {
            let alias = process.alias(property, &AliasSource::Element(element.clone()));
            (
                alias.ok_or_else(missing)?,
                document.document_element().ok_or_else(missing)?,
            )
        }
        VariableKind::Type(type_name) => {
            let alias = process.alias(property, &AliasSource::Type(type_name.clone()));
            (
                alias.ok_or_else(missing)?,
                document.document_element().ok_or_else(missing)?,
            )
        }
    };
    narrow(alias, document, node, property)
}

/// `node` narrowed by the query of `alias`, if it has one: evaluated with `node` as the
/// context node, and an absolute path read from `node` as its document's element, as ODE
/// reads it (see [`xpath::XPath::rooted_at_context`]); when that selects nothing, from `node`
/// as the context ([`xpath::XPath::from_context`]: `/corr` for a child `corr`, as ODE found it).
fn narrow(
    alias: &CompiledAlias,
    document: &Document,
    node: NodeId,
    property: &QName,
) -> Result<NodeId, Fault> {
    let Some(query) = &alias.query else {
        return Ok(node);
    };
    let scope = xpath::MapContext::default();
    let evaluate = |query: &xpath::XPath| {
        query
            .evaluate(
                &scope,
                Some(Node {
                    doc: document,
                    id: node,
                }),
            )
            .map_err(|error| {
                Fault::sub_language_execution(format!(
                    "property alias query for {property}: {error}"
                ))
            })
    };
    let result = match (evaluate(query)?, &alias.query_from_context) {
        (xpath::Value::NodeSet(nodes), Some(from_context)) if nodes.is_empty() => {
            evaluate(from_context)?
        }
        (result, _) => result,
    };
    match result {
        xpath::Value::NodeSet(nodes) if nodes.len() == 1 => Ok(nodes[0].id),
        xpath::Value::NodeSet(nodes) => Err(Fault::selection_failure(format!(
            "property alias query for {property} selected {} nodes, not one",
            nodes.len()
        ))),
        _ => Err(Fault::selection_failure(format!(
            "property alias query for {property} does not select a node"
        ))),
    }
}
