//! ODE's `insertMissingToData` copy option: when a to-spec selects nothing, the nodes its
//! path names are created so that the copy has a target. Only a path from the variable (a
//! to-expression `$var/…` or a to-query) whose leading steps each name one child element or
//! one attribute is creatable ([`crate::xpath::NamedPath`]); creation stops at the first step
//! that names no single node, and at the root of the variable's tree, which keeps its one
//! element.

use crate::xml::{Document, NodeId};
use crate::xpath::NamedStep;

/// Walks `steps` down from `start` in `document`, creating each element and attribute that
/// does not exist yet: an element step goes to the only child element of that name (a new
/// last child when there is none; the walk stops when there are several), an attribute
/// step creates the attribute, empty, when it is missing.
pub fn create(document: &mut Document, start: NodeId, steps: &[NamedStep]) {
    let mut node = start;
    for step in steps {
        match step {
            NamedStep::Element(name) => {
                let existing: Vec<NodeId> = document
                    .child_elements(node)
                    .filter(|&child| document.name(child) == Some(name))
                    .take(2)
                    .collect();
                match (existing.first().copied(), existing.get(1)) {
                    (Some(child), None) => node = child,
                    (Some(_), Some(_)) => return,
                    (None, _) if node == document.root() => return,
                    (None, _) => {
                        let child = document.new_element(name.clone());
                        document.append_child(node, child);
                        node = child;
                    }
                }
            }
            NamedStep::Attribute(name) => {
                if node != document.root()
                    && document.attribute(node, &name.ns, &name.local).is_none()
                {
                    document.set_attribute(node, name.clone(), String::new());
                }
                return;
            }
        }
    }
}
