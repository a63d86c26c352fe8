//! `<toParts>` and `<fromParts>` (WS-BPEL 2.0 §10.3.1) on message documents in the
//! normalised form of [`super::message`]: a part is copied from or to a variable as a
//! `<copy>` of the part would copy it. An element part holds the element of an element
//! variable; a type part holds the content of a type variable's value wrapper. (The
//! compiler pairs element parts with element variables, type parts with type variables.)

use super::assign::VALUE_WRAPPER;
use super::fault::Fault;
use super::message;
use crate::model::VariableKind;
use crate::xml::{Document, QName};

/// Sets `part` of `message` to the value of a variable of `kind`.
pub fn write_part(message: &mut Document, part: &str, kind: &VariableKind, value: &Document) {
    let accessor = message::ensure_part(message, part);
    let Some(element) = value.document_element() else {
        return;
    };
    match kind {
        VariableKind::Element(_) => {
            message.remove_children(accessor);
            let copy = message.import(value, element);
            message.append_child(accessor, copy);
        }
        _ => {
            message.replace_children_with_copy(accessor, value, element);
        }
    }
}

/// The value `part` of `message` gives a variable of `kind`: its element for an element
/// variable, its content in a value wrapper for a type variable. A missing part, or an
/// element part without its element, is bpel:selectionFailure.
pub fn read_part(message: &Document, part: &str, kind: &VariableKind) -> Result<Document, Fault> {
    let missing = || Fault::selection_failure(format!("the message has no part '{part}'"));
    let accessor = message::part_element(message, part).ok_or_else(missing)?;
    let mut value = Document::new();
    let root = value.root();
    match kind {
        VariableKind::Element(_) => {
            let element = message
                .child_elements(accessor)
                .next()
                .ok_or_else(missing)?;
            let copy = value.import(message, element);
            value.append_child(root, copy);
        }
        _ => {
            let wrapper = value.new_element(QName::new("", VALUE_WRAPPER));
            value.append_child(root, wrapper);
            value.replace_children_with_copy(wrapper, message, accessor);
        }
    }
    Ok(value)
}
