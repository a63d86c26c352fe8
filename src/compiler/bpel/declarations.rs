//! The declarations of the process and of scopes: `<partnerLinks>`, `<messageExchanges>`,
//! `<variables>` and `<correlationSets>`, checked against the WSDL definitions. Each goes
//! into the innermost scope, numbered by its slot there.

use super::{ProcessCompiler, BPEL_NS};
use crate::compiler::xmlutil::is_ncname;
use crate::model::{
    Copy, CorrelationSet, CorrelationSetId, PartContent, PartnerLink, PartnerLinkId, Role, To,
    Variable, VariableId, VariableKind,
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
        if self.frame().partner_links.contains_key(name) {
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
        let scope = self.frame().scope;
        self.frame().partner_links.insert(name.to_owned(), id);
        let slot = self.scopes[scope.index()].partner_links.len() as u32;
        self.scopes[scope.index()].partner_links.push(id);
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
            scope,
            slot,
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
            // The initialiser sees the variables declared before this one.
            let initializer = self
                .file
                .element_named(variable, BPEL_NS, "from")
                .map(|from| self.source_spec(from));
            if let Some(name) = self
                .file
                .required_attr(variable, "name", "BPEL", self.diagnostics)
            {
                let id = self.declare_variable(variable, name.trim(), kind);
                if let (Some(id), Some(Some(from))) = (id, initializer) {
                    self.variables[id.index()].initializer = Some(Copy {
                        from,
                        to: To::Variable {
                            variable: id,
                            part: None,
                            query: None,
                        },
                        keep_src_element_name: false,
                        ignore_missing_from_data: false,
                        insert_missing_to_data: false,
                        ignore_uninitialized_from_variable: false,
                        location: self.file.location(variable),
                    });
                }
            }
        }
    }

    /// The variable kind given by exactly one of the three attributes (message type,
    /// element, type), in that order (SA00025).
    pub(super) fn variable_kind(
        &mut self,
        node: NodeId,
        attributes: [&str; 3],
    ) -> Option<VariableKind> {
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

    /// `<messageExchanges>`: names the messaging activities may pair requests and replies
    /// with.
    pub(super) fn message_exchanges(&mut self, node: NodeId) {
        for exchange in self
            .file
            .elements_named(node, BPEL_NS, "messageExchange")
            .collect::<Vec<_>>()
        {
            let Some(name) = self
                .file
                .required_attr(exchange, "name", "BPEL", self.diagnostics)
            else {
                continue;
            };
            let name = name.trim().to_owned();
            if !self.frame().message_exchanges.insert(name.clone()) {
                let message = format!("message exchange '{name}' is declared twice");
                self.error(exchange, "BPEL", message);
                continue;
            }
            let scope = self.frame().scope;
            self.scopes[scope.index()].message_exchanges.push(name);
        }
    }

    /// Declares a variable in the innermost scope (SA00023, SA00024, SA00076).
    pub(super) fn declare_variable(
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
        let id = VariableId(self.variables.len() as u32);
        let frame = self.frame();
        if frame.variables.contains_key(name) {
            let (rule, message) = if frame.counter.as_deref() == Some(name) {
                let message = format!("variable '{name}' is the counter of the enclosing forEach");
                ("SA00076", message)
            } else {
                ("SA00023", format!("variable '{name}' is declared twice"))
            };
            self.error(node, rule, message);
            return None;
        }
        frame.variables.insert(name.to_owned(), id);
        let scope = frame.scope;
        let slot = self.scopes[scope.index()].variables.len() as u32;
        self.scopes[scope.index()].variables.push(id);
        self.variables.push(Variable {
            name: name.to_owned(),
            scope,
            slot,
            kind,
            location: self.file.location(node),
            initializer: None,
        });
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
        if self.frame().correlation_sets.contains_key(name) {
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
        let scope = self.frame().scope;
        self.frame().correlation_sets.insert(name.clone(), id);
        let slot = self.scopes[scope.index()].correlation_sets.len() as u32;
        self.scopes[scope.index()].correlation_sets.push(id);
        self.correlation_sets.push(CorrelationSet {
            name,
            scope,
            slot,
            properties,
        });
    }

    pub(super) fn fault_type(&mut self, node: NodeId, attribute: &str) -> Option<QName> {
        let message = self.qname_attr(node, attribute)?;
        if !self.defs.messages.contains_key(&message) {
            self.error(node, "SA00010", format!("unknown message type {message}"));
        }
        Some(message)
    }
}
