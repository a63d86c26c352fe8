//! ODE's XPath extension functions (namespace `http://www.apache.org/ode/type/extension`).
//!
//! The tree mutators (`insert-before`, `insert-after`, `insert-as-first-into`,
//! `insert-as-last-into`, `delete`, `rename`) never change a variable: they return a copy of
//! the context element (by default the parent of the nodes they act on) with the change made,
//! for an `<assign>` to copy back. `splitToElements` builds elements from a string (inside
//! one wrapper element), `process-property` returns a deploy.xml property, `domToString`
//! serialises a node, and the URL functions live in `urls.rs`. Built documents go to the step's result-tree arena.

use super::{urls, Call};
use crate::runtime::fault::Fault;
use crate::xml::{self, Document, NodeId, NodeKind, QName};
use crate::xpath::{Node, Value};

/// The name of the element whose children `splitToElements` returns.
const SPLIT_WRAPPER: &str = "wrapper";

/// Calls ODE function `local`; `None` when ODE has no function of that name.
pub(super) fn call<'a>(
    call: &Call<'a>,
    local: &str,
    args: &[Value<'a>],
) -> Option<Result<Value<'a>, Fault>> {
    let name = format!("ode:{local}");
    let result = match local {
        "insert-before" | "insertBefore" => insert(call, &name, args, Position::Before),
        "insert-after" | "insertAfter" => insert(call, &name, args, Position::After),
        "insert-as-first-into" | "insertAsFirstInto" => into(call, &name, args, true),
        "insert-as-last-into" | "insertAsLastInto" => into(call, &name, args, false),
        "delete" => delete(call, &name, args),
        "rename" => rename(call, &name, args),
        "split-to-elements" | "splitToElements" => split_to_elements(call, &name, args),
        "process-property" | "processProperty" => process_property(call, &name, args),
        "dom-to-string" | "domToString" => dom_to_string(&name, args),
        "combine-url" | "combineUrl" => match args {
            [base, relative] => Ok(Value::String(urls::combine(
                &base.to_xpath_string(),
                &relative.to_xpath_string(),
            ))),
            _ => Err(wrong(&name, "takes a base URL and a relative URL")),
        },
        "compose-url" | "composeUrl" => urls::template(&name, args, false),
        "expand-template" | "expandTemplate" => urls::template(&name, args, true),
        _ => return None,
    };
    Some(result)
}

pub(super) fn wrong(function: &str, message: &str) -> Fault {
    Fault::sub_language_execution(format!("{function}: {message}"))
}

fn nodes<'v, 'a>(
    value: &'v Value<'a>,
    function: &str,
    what: &str,
) -> Result<&'v [Node<'a>], Fault> {
    match value {
        Value::NodeSet(nodes) if !nodes.is_empty() => Ok(nodes),
        Value::NodeSet(_) => Err(Fault::selection_failure(format!(
            "{function}: {what} selects no node"
        ))),
        other => Err(wrong(
            function,
            &format!("{what} must be nodes, not a {}", other.type_name()),
        )),
    }
}

fn single<'a>(value: &Value<'a>, function: &str, what: &str) -> Result<Node<'a>, Fault> {
    match nodes(value, function, what)? {
        [node] => Ok(*node),
        many => Err(Fault::selection_failure(format!(
            "{function}: {what} selects {} nodes, not one",
            many.len()
        ))),
    }
}

/// The element whose copy a mutator returns when no context is given: the parent element.
fn parent_element<'a>(node: Node<'a>, function: &str) -> Result<Node<'a>, Fault> {
    match node.doc.parent(node.id) {
        Some(parent) if node.doc.is_element(parent) => Ok(Node::new(node.doc, parent)),
        _ => Err(wrong(function, "the nodes have no parent element")),
    }
}

/// A detached copy of `context` as the document element of a new document, and the ids of
/// `targets` (descendants of `context`) inside the copy.
struct Copy {
    doc: Document,
    element: NodeId,
    targets: Vec<NodeId>,
}

impl Copy {
    fn of(context: Node<'_>, targets: &[Node<'_>], function: &str) -> Result<Copy, Fault> {
        if !context.doc.is_element(context.id) {
            return Err(wrong(function, "the context must be an element"));
        }
        let paths = targets
            .iter()
            .map(|t| {
                child_path(context, *t).ok_or_else(|| {
                    wrong(
                        function,
                        "the nodes to change are not inside the context element",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut doc = Document::new();
        let element = doc.import(context.doc, context.id);
        let root = doc.root();
        doc.append_child(root, element);
        let targets = paths
            .iter()
            .map(|path| follow(&doc, element, path))
            .collect();
        Ok(Copy {
            doc,
            element,
            targets,
        })
    }

    fn into_value<'a>(self, call: &Call<'a>, function: &str) -> Result<Value<'a>, Fault> {
        let env = call.env(function)?;
        let doc = env.result_trees.adopt(self.doc);
        Ok(Value::NodeSet(vec![Node::new(doc, self.element)]))
    }
}

/// Child positions leading from `ancestor` down to `node`; `None` when `node` is not a
/// descendant (attributes included: they are not children).
fn child_path(ancestor: Node<'_>, node: Node<'_>) -> Option<Vec<usize>> {
    if !std::ptr::eq(ancestor.doc, node.doc) || node.id.is_attribute() {
        return None;
    }
    let doc = node.doc;
    let mut path = Vec::new();
    let mut current = node.id;
    while current != ancestor.id {
        let parent = doc.parent(current)?;
        path.push(doc.children(parent).position(|c| c == current)?);
        current = parent;
    }
    path.reverse();
    Some(path)
}

fn follow(doc: &Document, start: NodeId, path: &[usize]) -> NodeId {
    path.iter().fold(start, |node, &index| {
        doc.children(node)
            .nth(index)
            .expect("the copy has the shape of the original")
    })
}

/// Copies of `nodes` imported into `doc`, in order.
fn imports(doc: &mut Document, nodes: &[Node<'_>], function: &str) -> Result<Vec<NodeId>, Fault> {
    nodes
        .iter()
        .map(|n| match n.doc.kind(n.id) {
            NodeKind::Root | NodeKind::Attribute => Err(wrong(
                function,
                "only elements, text, comments and instructions can be inserted",
            )),
            _ => Ok(doc.import(n.doc, n.id)),
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Position {
    Before,
    After,
}

/// `insert-before([context,] children, siblings)` and `insert-after`.
fn insert<'a>(
    call: &Call<'a>,
    function: &str,
    args: &[Value<'a>],
    position: Position,
) -> Result<Value<'a>, Fault> {
    let (context, children, siblings) = match args {
        [children, siblings] => {
            let children = nodes(children, function, "the children")?;
            (parent_element(children[0], function)?, children, siblings)
        }
        [context, children, siblings] => (
            single(context, function, "the context")?,
            nodes(children, function, "the children")?,
            siblings,
        ),
        _ => return Err(wrong(function, "takes [context,] children and siblings")),
    };
    let siblings = nodes(siblings, function, "the siblings")?;
    let mut copy = Copy::of(context, children, function)?;
    let new = imports(&mut copy.doc, siblings, function)?;
    match position {
        Position::Before => {
            let reference = copy.targets[0];
            for node in new {
                copy.doc.insert_before(reference, node);
            }
        }
        Position::After => {
            let last = *copy.targets.last().expect("children are not empty");
            let parent = copy.doc.parent(last).expect("a child has a parent");
            match copy.doc.next_sibling(last) {
                Some(next) => new
                    .into_iter()
                    .for_each(|n| copy.doc.insert_before(next, n)),
                None => new
                    .into_iter()
                    .for_each(|n| copy.doc.append_child(parent, n)),
            }
        }
    }
    copy.into_value(call, function)
}

/// `insert-as-first-into(context, children)` and `insert-as-last-into`.
fn into<'a>(
    call: &Call<'a>,
    function: &str,
    args: &[Value<'a>],
    first: bool,
) -> Result<Value<'a>, Fault> {
    let [context, children] = args else {
        return Err(wrong(
            function,
            "takes a context element and the nodes to insert",
        ));
    };
    let context = single(context, function, "the context")?;
    let children = nodes(children, function, "the nodes to insert")?;
    let mut copy = Copy::of(context, &[], function)?;
    let new = imports(&mut copy.doc, children, function)?;
    let element = copy.element;
    match copy.doc.first_child(element).filter(|_| first) {
        Some(reference) => new
            .into_iter()
            .for_each(|n| copy.doc.insert_before(reference, n)),
        None => new
            .into_iter()
            .for_each(|n| copy.doc.append_child(element, n)),
    }
    copy.into_value(call, function)
}

/// `delete([context,] children)`.
fn delete<'a>(call: &Call<'a>, function: &str, args: &[Value<'a>]) -> Result<Value<'a>, Fault> {
    let (context, children) = match args {
        [children] => {
            let children = nodes(children, function, "the nodes to delete")?;
            (parent_element(children[0], function)?, children)
        }
        [context, children] => (
            single(context, function, "the context")?,
            nodes(children, function, "the nodes to delete")?,
        ),
        _ => return Err(wrong(function, "takes [context,] and the nodes to delete")),
    };
    let mut copy = Copy::of(context, children, function)?;
    if copy.targets.contains(&copy.element) {
        return Err(wrong(function, "cannot delete the context element itself"));
    }
    for target in std::mem::take(&mut copy.targets) {
        copy.doc.detach(target);
    }
    copy.into_value(call, function)
}

/// `rename(element, name)`: the copy of the element's parent with the element renamed (the
/// renamed element itself when it has no parent element). The name is a QName string, a
/// `QName()` value or an element whose name is taken.
fn rename<'a>(call: &Call<'a>, function: &str, args: &[Value<'a>]) -> Result<Value<'a>, Fault> {
    let [element, name] = args else {
        return Err(wrong(function, "takes an element and a name"));
    };
    let element = single(element, function, "the element")?;
    let name = match name {
        Value::NodeSet(nodes) if !nodes.is_empty() => {
            let node = nodes[0];
            node.doc
                .name(node.id)
                .cloned()
                .ok_or_else(|| wrong(function, "the name node has no name"))?
        }
        other => call.qname(&other.to_xpath_string(), function)?,
    };
    let context = parent_element(element, function).unwrap_or(element);
    let mut copy = Copy::of(context, &[element], function)?;
    copy.doc.rename(copy.targets[0], name);
    copy.into_value(call, function)
}

/// `splitToElements(text, separators, elementName [, namespace])`: one element per
/// non-empty piece of `text` between separator characters, as the children of a single
/// `wrapper` element (no namespace), so that the result is one node an `<assign>` copies:
/// an element-to-element copy gives the target the pieces as its content.
fn split_to_elements<'a>(
    call: &Call<'a>,
    function: &str,
    args: &[Value<'a>],
) -> Result<Value<'a>, Fault> {
    let (text, separators, name, namespace) = match args {
        [t, s, n] => (t, s, n, None),
        [t, s, n, ns] => (t, s, n, Some(ns.to_xpath_string())),
        _ => {
            return Err(wrong(
                function,
                "takes a string, separators, an element name [, a namespace]",
            ))
        }
    };
    let separators = separators.to_xpath_string();
    let mut name = call.qname(&name.to_xpath_string(), function)?;
    if let Some(namespace) = namespace {
        name.ns = namespace;
    }
    let env = call.env(function)?;
    let mut doc = Document::new();
    let root = doc.root();
    let wrapper = doc.new_element(QName::local(SPLIT_WRAPPER));
    doc.append_child(root, wrapper);
    let text = text.to_xpath_string();
    let pieces = text
        .split(|c| separators.contains(c))
        .map(str::trim)
        .filter(|piece| !piece.is_empty());
    for piece in pieces {
        let element = doc.new_element(name.clone());
        let content = doc.new_text(piece);
        doc.append_child(element, content);
        doc.append_child(wrapper, element);
    }
    let doc = env.result_trees.adopt(doc);
    Ok(Value::NodeSet(vec![Node::new(doc, wrapper)]))
}

/// `process-property(name)`: the element content of a deploy.xml property, or its text.
fn process_property<'a>(
    call: &Call<'a>,
    function: &str,
    args: &[Value<'a>],
) -> Result<Value<'a>, Fault> {
    let [name] = args else {
        return Err(wrong(function, "takes a property name"));
    };
    let env = call.env(function)?;
    let name = call.qname(&name.to_xpath_string(), function)?;
    let Some((_, content)) = env.properties.iter().find(|(n, _)| *n == name).or_else(|| {
        env.properties
            .iter()
            .find(|(n, _)| n.local == name.local && (n.ns.is_empty() || name.ns.is_empty()))
    }) else {
        return Ok(Value::NodeSet(Vec::new()));
    };
    let mut doc = xml::parse_fragment(content.as_bytes()).map_err(|e| {
        wrong(
            function,
            &format!("property {name} is not well-formed: {e}"),
        )
    })?;
    let root = doc.root();
    let node = match doc.document_element() {
        Some(element) => element,
        None => {
            let text = doc.string_value(root);
            doc.remove_children(root);
            let node = doc.new_text(text.trim());
            doc.append_child(root, node);
            node
        }
    };
    let doc = env.result_trees.adopt(doc);
    Ok(Value::NodeSet(vec![Node::new(doc, node)]))
}

/// `domToString(node)`: the node serialised as XML.
fn dom_to_string<'a>(function: &str, args: &[Value<'a>]) -> Result<Value<'a>, Fault> {
    match args {
        [Value::NodeSet(nodes)] => Ok(Value::String(
            nodes.iter().map(|n| n.doc.to_xml(n.id)).collect(),
        )),
        [other] => Ok(Value::String(other.to_xpath_string())),
        _ => Err(wrong(function, "takes one node")),
    }
}
