//! `<toParts>` and `<fromParts>` of the messaging activities (WS-BPEL 2.0 §10.3.1): each
//! `<toPart>` names a part of the outgoing message and the variable it is built from, each
//! `<fromPart>` a part of the incoming message and the variable it is copied to.
//!
//! The parts must exist in the operation's message (SA00053, SA00054); `<toParts>` must
//! build every part of the message, each once (SA00050). A part's variable holds what the
//! part holds: an element part goes with a variable of its element, a type part with a
//! variable of a type. The `<fromPart>` variables of an `<onEvent>` are declared by it, in
//! its implicit scope, with the part's element or type.

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{Message, Part, PartContent, VariableId, VariableKind};
use crate::xml::{NodeId, QName};

/// Which construct a parts list belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PartsList {
    /// `<toParts>`: builds the outgoing message.
    To,
    /// `<fromParts>` of a receive, onMessage or invoke: fills declared variables.
    From,
    /// `<fromParts>` of an onEvent: declares its variables.
    FromDeclaring,
}

impl PartsList {
    fn names(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            PartsList::To => ("toParts", "toPart", "fromVariable", "SA00054"),
            PartsList::From | PartsList::FromDeclaring => {
                ("fromParts", "fromPart", "toVariable", "SA00053")
            }
        }
    }
}

impl ProcessCompiler<'_> {
    /// Whether `node` has the `<toParts>` or `<fromParts>` element of `list`.
    pub(super) fn has_parts(&self, node: NodeId, list: PartsList) -> bool {
        let (element, ..) = list.names();
        self.file.element_named(node, BPEL_NS, element).is_some()
    }

    /// The `(part, variable)` pairs of `node`'s `<toParts>` or `<fromParts>` for `message`
    /// (the operation's message in that direction, None when it has none); `<toParts>` in
    /// the message's part order. Empty without the element; None after an error.
    pub(super) fn parts(
        &mut self,
        node: NodeId,
        list: PartsList,
        message: Option<&QName>,
    ) -> Option<Vec<(String, VariableId)>> {
        let (element, item, attribute, rule) = list.names();
        let Some(parts) = self.file.element_named(node, BPEL_NS, element) else {
            return Some(Vec::new());
        };
        let defs = self.defs;
        let Some(definition) = message.and_then(|name| defs.messages.get(name)) else {
            let message = match message {
                Some(name) => format!("<{element}> refers to the unknown message {name}"),
                None => format!("<{element}>: the operation has no such message"),
            };
            self.error(parts, rule, message);
            return None;
        };
        let items: Vec<NodeId> = self.file.elements_named(parts, BPEL_NS, item).collect();
        if items.is_empty() {
            self.error(parts, "BPEL", format!("<{element}> needs a <{item}>"));
            return None;
        }
        let mut pairs = Some(Vec::new());
        for item in items {
            let pair = self.part_pair(item, list, definition, attribute, rule);
            pairs = pairs.zip(pair).map(|(mut pairs, pair)| {
                pairs.push(pair);
                pairs
            });
        }
        let mut pairs = pairs?;
        if list == PartsList::To {
            self.check_every_part_once(parts, definition, &pairs)?;
            pairs.sort_by_key(|(part, _)| definition.parts.iter().position(|p| &p.name == part));
        }
        Some(pairs)
    }

    /// One `<toPart>` or `<fromPart>`.
    fn part_pair(
        &mut self,
        item: NodeId,
        list: PartsList,
        definition: &Message,
        attribute: &str,
        rule: &'static str,
    ) -> Option<(String, VariableId)> {
        let part_name = self
            .file
            .required_attr(item, "part", rule, self.diagnostics)
            .map(|name| name.trim().to_owned());
        let variable_name = self
            .file
            .required_attr(item, attribute, "BPEL-VARIABLE", self.diagnostics)
            .map(|name| name.trim().to_owned());
        let part_name = part_name?;
        let Some(part) = definition.parts.iter().find(|p| p.name == part_name) else {
            let message = format!("message {} has no part '{part_name}'", definition.name);
            self.error(item, rule, message);
            return None;
        };
        let variable_name = variable_name?;
        let variable = if list == PartsList::FromDeclaring {
            let kind = match &part.content {
                PartContent::Element(element) => VariableKind::Element(element.clone()),
                PartContent::Type(type_name) => VariableKind::Type(type_name.clone()),
            };
            self.declare_variable(item, &variable_name, kind)?
        } else {
            let variable = self.variable_attr(item, attribute)?;
            self.check_part_variable(item, part, variable);
            variable
        };
        Some((part_name, variable))
    }

    /// A part's variable must hold what the part holds.
    fn check_part_variable(&mut self, item: NodeId, part: &Part, variable: VariableId) {
        let variable = &self.variables[variable.index()];
        let fits = match (&part.content, &variable.kind) {
            (PartContent::Element(part), VariableKind::Element(held)) => part == held,
            (PartContent::Type(_), VariableKind::Type(_)) => true,
            _ => false,
        };
        if !fits {
            let holds = match &part.content {
                PartContent::Element(element) => format!("the element {element}"),
                PartContent::Type(type_name) => format!("a value of type {type_name}"),
            };
            let message = format!(
                "variable '{}' cannot hold part '{}', which holds {holds}",
                variable.name, part.name
            );
            self.error(item, "BPEL-PART", message);
        }
    }

    /// SA00050: `<toParts>` builds each part of the message, once.
    fn check_every_part_once(
        &mut self,
        parts: NodeId,
        definition: &Message,
        pairs: &[(String, VariableId)],
    ) -> Option<()> {
        let mut complete = true;
        for part in &definition.parts {
            let count = pairs.iter().filter(|(name, _)| name == &part.name).count();
            let problem = match count {
                0 => "has no <toPart>",
                1 => continue,
                _ => "has more than one <toPart>",
            };
            let message = format!(
                "part '{}' of message {} {problem}",
                part.name, definition.name
            );
            self.error(parts, "SA00050", message);
            complete = false;
        }
        complete.then_some(())
    }
}
