//! The normalised form of a WSDL message as an XML document, the form ODE uses too:
//! `<message><PartA>…</PartA><PartB>…</PartB></message>`, parts unqualified in document
//! order. An element part holds its element; a type part holds the typed value directly.
//! BPEL's `$var.part` names the element of an element part, and the part itself otherwise.
//!
//! A message also carries the SOAP headers it came with that no part of it is bound to, as
//! ODE's messages did, each by a name (the header's local name, or the part name of a
//! `soap:header` of another message): beside the parts, an accessor element in
//! [`HEADER_NS`] named after the header holds the header's element. ODE's `header`
//! attribute of `<from>` and `<to>` reads and writes them. A header the message came with is
//! marked received: it goes out again only where the binding of the operation it is sent on
//! names it, so that a partner's headers never reach another unasked; a header the process
//! wrote goes out with the message (see [`crate::engine`]'s binding).

use crate::model::{Message, PartContent};
use crate::xml::{Document, NodeId, QName};

/// The document element name of a message.
pub const MESSAGE: &str = "message";

/// The namespace of the accessors of a message's headers.
pub const HEADER_NS: &str = "urn:baton:soap-header";

/// An empty message.
pub fn empty() -> Document {
    let mut document = Document::new();
    let message = document.new_element(QName::new("", MESSAGE));
    let root = document.root();
    document.append_child(root, message);
    document
}

/// The part accessor element `<part>` of a message, if present.
pub fn part_element(document: &Document, part: &str) -> Option<NodeId> {
    let message = document.document_element()?;
    document.child_elements(message).find(|&child| {
        document
            .name(child)
            .is_some_and(|name| name.ns.is_empty() && name.local == part)
    })
}

/// The node `$var.part` denotes: the element of an element part, else the part accessor.
pub fn part_node(document: &Document, definition: Option<&Message>, part: &str) -> Option<NodeId> {
    let accessor = part_element(document, part)?;
    let is_element_part = definition
        .and_then(|message| message.parts.iter().find(|p| p.name == part))
        .is_some_and(|p| matches!(p.content, PartContent::Element(_)));
    if is_element_part {
        document.child_elements(accessor).next()
    } else {
        Some(accessor)
    }
}

/// Adds the accessor of `part` to a message when it is missing, and returns it.
pub fn ensure_part(document: &mut Document, part: &str) -> NodeId {
    if let Some(accessor) = part_element(document, part) {
        return accessor;
    }
    let message = match document.document_element() {
        Some(message) => message,
        None => {
            let message = document.new_element(QName::new("", MESSAGE));
            let root = document.root();
            document.append_child(root, message);
            message
        }
    };
    let accessor = document.new_element(QName::new("", part));
    document.append_child(message, accessor);
    accessor
}

/// The accessor of the header `name` of a message, if present: of that name, else of that
/// name in another case (HTTP header names, which are read in lower case, are not
/// case-sensitive).
fn header_accessor(document: &Document, name: &str) -> Option<NodeId> {
    let message = document.document_element()?;
    let named = |matches: &dyn Fn(&str) -> bool| {
        document.child_elements(message).find(|&child| {
            document
                .name(child)
                .is_some_and(|accessor| accessor.ns == HEADER_NS && matches(&accessor.local))
        })
    };
    named(&|local| local == name).or_else(|| named(&|local| local.eq_ignore_ascii_case(name)))
}

/// The element of the header `name` a message carries, if it carries one.
pub fn header_node(document: &Document, name: &str) -> Option<NodeId> {
    document
        .child_elements(header_accessor(document, name)?)
        .next()
}

/// The headers a message carries: each one's name and element, and whether the message
/// came with it (else the process wrote it).
pub fn headers(document: &Document) -> Vec<(String, NodeId, bool)> {
    let Some(message) = document.document_element() else {
        return Vec::new();
    };
    document
        .child_elements(message)
        .filter_map(|accessor| {
            let name = document.name(accessor)?;
            let element = document.child_elements(accessor).next()?;
            let received = document.attribute(accessor, "", RECEIVED).is_some();
            (name.ns == HEADER_NS).then(|| (name.local.clone(), element, received))
        })
        .collect()
}

/// The attribute marking a header the message came with.
const RECEIVED: &str = "received";

/// Keeps a copy of the element `element` of `source` as the header `name` the message came
/// with.
pub fn keep_received_header(
    document: &mut Document,
    name: &str,
    source: &Document,
    element: NodeId,
) {
    let accessor = ensure_header(document, name, true);
    for old in document.children(accessor).collect::<Vec<_>>() {
        document.detach(old);
    }
    let copy = document.import(source, element);
    document.append_child(accessor, copy);
}

/// The element of the header `name` for the process to write, created as an empty element
/// named after the header when the message carries none, for a copy to replace.
pub fn ensure_header_node(document: &mut Document, name: &str) -> NodeId {
    let accessor = ensure_header(document, name, false);
    if let Some(element) = document.child_elements(accessor).next() {
        return element;
    }
    let element = document.new_element(QName::new("", name));
    document.append_child(accessor, element);
    element
}

/// The accessor of the header `name`, added when missing, marked received or not.
fn ensure_header(document: &mut Document, name: &str, received: bool) -> NodeId {
    let accessor = header_accessor(document, name).unwrap_or_else(|| add_header(document, name));
    match received {
        true => document.set_attribute(accessor, QName::new("", RECEIVED), "true"),
        false => {
            document.remove_attribute(accessor, "", RECEIVED);
        }
    }
    accessor
}

fn add_header(document: &mut Document, name: &str) -> NodeId {
    if document.document_element().is_none() {
        *document = empty();
    }
    let message = document.document_element().expect("a message");
    let accessor = document.new_element(QName::new(HEADER_NS, name));
    document.append_child(message, accessor);
    accessor
}
