//! Process-level declarations: `<partnerLinks>`, `<messageExchanges>`, `<variables>`,
//! `<correlationSets>` and `<faultHandlers>`, checked against the WSDL definitions.

use std::collections::HashMap;

use super::{ProcessCompiler, BPEL_NS};
use crate::compiler::xmlutil::is_ncname;
use crate::model::{
    Catch, CorrelationSet, CorrelationSetId, FaultHandlers, PartContent, PartnerLink,
    PartnerLinkId, Role, ScopeId, Variable, VariableId, VariableKind,
};
use crate::xml::{NodeId, QName};

impl ProcessCompiler<'_> {
    pub(super) fn partner_links(&mut self, node: NodeId) {
        for link in self
            .file
            .elements_named(node, BPEL_NS, "partnerLink")
            .collect::<Vec<_>>()
        {
            self.partner_link(link);
        }
    }

    fn partner_link(&mut self, node: NodeId) {
        let Some(name) = self
            .file
            .required_attr(node, "name", "BPEL", self.diagnostics)
        else {
            return;
        };
        if self.partner_link_names.contains_key(name) {
            return self.error(
                node,
                "SA00018",
                format!("partner link '{name}' is declared twice"),
            );
        }
        let my_role = self.file.attr(node, "myRole");
        let partner_role = self.file.attr(node, "partnerRole");
        if my_role.is_none() && partner_role.is_none() {
            let message = format!("partner link '{name}' must declare myRole and/or partnerRole");
            self.error(node, "SA00016", message);
        }
        let initialize =
            self.file
                .yes_no_attr(node, "initializePartnerRole", false, self.diagnostics);
        if initialize && partner_role.is_none() {
            let message =
                format!("partner link '{name}' has initializePartnerRole but no partnerRole");
            self.error(node, "SA00017", message);
        }
        let id = PartnerLinkId(self.partner_links.len() as u32);
        self.partner_link_names.insert(name.to_owned(), id);
        let link_type =
            self.file
                .required_qname_attr(node, "partnerLinkType", "BPEL", self.diagnostics);
        let defs = self.defs;
        let declared = link_type
            .as_ref()
            .and_then(|link_type| defs.partner_link_types.get(link_type));
        if declared.is_none() {
            if let Some(link_type) = &link_type {
                self.error(
                    node,
                    "SA00014",
                    format!("unknown partner link type {link_type}"),
                );
            }
            self.broken_partner_links.insert(id);
        }
        let mut role = |role: Option<&str>| {
            let role = role?.trim();
            let declared = declared?;
            match declared.roles.iter().find(|(name, _)| name == role) {
                Some((name, port_type)) => Some(Role {
                    name: name.clone(),
                    port_type: port_type.clone(),
                }),
                None => {
                    let message =
                        format!("partner link type {} has no role '{role}'", declared.name);
                    self.diagnostics
                        .error(&self.file.location(node), "BPEL-PARTNERLINK", message);
                    self.broken_partner_links.insert(id);
                    None
                }
            }
        };
        let my_role = role(my_role);
        let partner_role = role(partner_role);
        self.partner_links.push(PartnerLink {
            name: name.to_owned(),
            scope: ScopeId::PROCESS,
            slot: id.0,
            partner_link_type: link_type.unwrap_or_default(),
            my_role,
            partner_role,
            initialize_partner_role: initialize,
        });
    }

    pub(super) fn variables(&mut self, node: NodeId) {
        for variable in self
            .file
            .elements_named(node, BPEL_NS, "variable")
            .collect::<Vec<_>>()
        {
            let Some(kind) = self.variable_kind(variable, ["messageType", "element", "type"])
            else {
                continue;
            };
            if let Some(initializer) = self.file.element_named(variable, BPEL_NS, "from") {
                let message = "variable initialisation with an inline <from> is not supported yet";
                self.error(initializer, "UNSUPPORTED", message.to_owned());
            }
            if let Some(name) = self
                .file
                .required_attr(variable, "name", "BPEL", self.diagnostics)
            {
                self.declare_variable(variable, name.trim(), kind);
            }
        }
    }

    /// The variable kind given by exactly one of the three attributes (message type,
    /// element, type), in that order (SA00025).
    fn variable_kind(&mut self, node: NodeId, attributes: [&str; 3]) -> Option<VariableKind> {
        let given: Vec<usize> = (0..3)
            .filter(|&i| self.file.attr(node, attributes[i]).is_some())
            .collect();
        let &[index] = given.as_slice() else {
            let [message_type, element, type_] = attributes;
            let message =
                format!("a variable needs exactly one of {message_type}, {element}, {type_}");
            self.error(node, "SA00025", message);
            return None;
        };
        let name = self.qname_attr(node, attributes[index])?;
        match index {
            0 => {
                if !self.defs.messages.contains_key(&name) {
                    self.error(node, "SA00010", format!("unknown message type {name}"));
                }
                Some(VariableKind::Message(name))
            }
            1 => Some(VariableKind::Element(name)),
            _ => Some(VariableKind::Type(name)),
        }
    }

    /// Declares a variable in the innermost scope (SA00023, SA00024).
    fn declare_variable(
        &mut self,
        node: NodeId,
        name: &str,
        kind: VariableKind,
    ) -> Option<VariableId> {
        if !is_ncname(name) || name.contains('.') {
            let message = format!("variable name '{name}' must be an NCName without '.'");
            self.error(node, "SA00024", message);
            return None;
        }
        let scope = self
            .scopes
            .last()
            .expect("the process scope is never popped");
        if scope.contains_key(name) {
            self.error(
                node,
                "SA00023",
                format!("variable '{name}' is declared twice"),
            );
            return None;
        }
        let id = VariableId(self.variables.len() as u32);
        self.variables.push(Variable {
            name: name.to_owned(),
            scope: ScopeId::PROCESS,
            slot: id.0,
            kind,
            location: self.file.location(node),
        });
        self.scopes.last_mut()?.insert(name.to_owned(), id);
        Some(id)
    }

    pub(super) fn correlation_sets(&mut self, node: NodeId) {
        for set in self
            .file
            .elements_named(node, BPEL_NS, "correlationSet")
            .collect::<Vec<_>>()
        {
            self.correlation_set(set);
        }
    }

    fn correlation_set(&mut self, node: NodeId) {
        let Some(name) = self
            .file
            .required_attr(node, "name", "BPEL", self.diagnostics)
        else {
            return;
        };
        if self.correlation_set_names.contains_key(name) {
            return self.error(
                node,
                "SA00044",
                format!("correlation set '{name}' is declared twice"),
            );
        }
        let name = name.to_owned();
        let listed = self
            .file
            .required_attr(node, "properties", "BPEL", self.diagnostics)
            .unwrap_or_default();
        let mut properties = Vec::new();
        for written in listed.split_whitespace() {
            let property = match self.file.resolve_qname(node, written) {
                Ok(property) => property,
                Err(message) => {
                    self.error(node, "XML-NAMESPACE", format!("properties: {message}"));
                    continue;
                }
            };
            match self.defs.properties.get(&property).map(|p| &p.content) {
                None => self.error(node, "SA00010", format!("unknown property {property}")),
                Some(PartContent::Element(_)) => {
                    let message = format!("property {property} is not of a simple type");
                    self.error(node, "SA00045", message);
                }
                Some(PartContent::Type(_)) => {}
            }
            properties.push(property);
        }
        let id = CorrelationSetId(self.correlation_sets.len() as u32);
        self.correlation_set_names.insert(name.clone(), id);
        self.correlation_sets.push(CorrelationSet {
            name,
            scope: ScopeId::PROCESS,
            slot: id.0,
            properties,
        });
    }

    /// Process `<faultHandlers>`: catches in order, then catchAll.
    pub(super) fn fault_handlers(
        &mut self,
        node: NodeId,
        exit_on_standard_fault: bool,
    ) -> FaultHandlers {
        let mut handlers = FaultHandlers::default();
        let mut seen = Vec::new();
        for child in self.file.elements(node).collect::<Vec<_>>() {
            if self.file.is(child, BPEL_NS, "catch") {
                if let Some(catch) = self.catch(child, exit_on_standard_fault, &mut seen) {
                    handlers.catches.push(catch);
                }
            } else if self.file.is(child, BPEL_NS, "catchAll") {
                if handlers.catch_all.is_some() {
                    self.error(child, "BPEL", "a second <catchAll>".to_owned());
                }
                handlers.catch_all = self.single_activity(child);
            }
        }
        handlers
    }

    /// A `<catch>`; `seen` holds the fault name and variable kind of the previous ones.
    fn catch(
        &mut self,
        node: NodeId,
        exit_on_standard_fault: bool,
        seen: &mut Vec<(Option<QName>, Option<VariableKind>)>,
    ) -> Option<Catch> {
        let fault_name = match self.file.attr(node, "faultName") {
            Some(_) => Some(self.qname_attr(node, "faultName")?),
            None => None,
        };
        if let Some(fault) = fault_name.as_ref().filter(|fault| fault.ns == BPEL_NS) {
            if exit_on_standard_fault {
                let message = format!(
                    "exitOnStandardFault is yes: standard fault {} cannot be caught",
                    fault.local
                );
                self.error(node, "SA00003", message);
            }
        }
        let variable_name = self.file.attr(node, "faultVariable").map(str::trim);
        let typed = ["faultMessageType", "faultElement"].map(|a| self.file.attr(node, a).is_some());
        let kind = match (variable_name, typed) {
            (None, [false, false]) => None,
            (Some(_), [true, false]) => Some(VariableKind::Message(
                self.fault_type(node, "faultMessageType")?,
            )),
            (Some(_), [false, true]) => Some(VariableKind::Element(
                self.qname_attr(node, "faultElement")?,
            )),
            _ => {
                let message = "faultVariable goes with exactly one of faultMessageType, \
                               faultElement, and they need it";
                self.error(node, "SA00081", message.to_owned());
                return None;
            }
        };
        let handled = (fault_name.clone(), kind.clone());
        if seen.contains(&handled) {
            self.error(
                node,
                "SA00093",
                "two <catch>es for the same fault and data".to_owned(),
            );
        }
        seen.push(handled);
        self.scopes.push(HashMap::new());
        let fault_variable = variable_name
            .zip(kind)
            .map(|(name, kind)| self.declare_variable(node, name, kind));
        let activity = self.single_activity(node);
        self.scopes.pop();
        Some(Catch {
            fault_name,
            fault_type: None,
            scope: None,
            fault_variable: fault_variable
                .map(|variable| variable.ok_or(()))
                .transpose()
                .ok()?,
            activity: activity?,
        })
    }

    fn fault_type(&mut self, node: NodeId, attribute: &str) -> Option<QName> {
        let message = self.qname_attr(node, attribute)?;
        if !self.defs.messages.contains_key(&message) {
            self.error(node, "SA00010", format!("unknown message type {message}"));
        }
        Some(message)
    }
}
