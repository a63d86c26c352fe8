//! The normalised form of a WSDL message as an XML document, the form ODE uses too:
//! `<message><PartA>…</PartA><PartB>…</PartB></message>`, parts unqualified in document
//! order. An element part holds its element; a type part holds the typed value directly.
//! BPEL's `$var.part` names the element of an element part, and the part itself otherwise.

use crate::model::{Message, PartContent};
use crate::xml::{Document, NodeId, QName};

/// The document element name of a message.
pub const MESSAGE: &str = "message";

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
