//! `<assign>` and its `<copy>`s: every from-spec and to-spec form of WS-BPEL 2.0 (variable
//! with part and query, partner link endpoint reference, property, expression, literal),
//! checked for shape (SA00032..SA00037) and resolved. A to-expression that does not begin
//! with a variable reference (SA00033) is accepted with a warning, as ODE accepts it: it
//! faults with bpel:selectionFailure when it runs.

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{
    Assign, AssignOperation, Copy, EndpointRole, ExprId, ExpressionUse, From, To, VariableId,
    VariableKind,
};
use crate::xml::{NodeId, QName};

/// ODE's extension namespace, which carries `insertMissingToData`.
pub(super) const ODE_EXTENSION_NS: &str = "http://www.apache.org/ode/type/extension";

/// The attributes that select a form of from-spec or to-spec.
const SPEC_ATTRIBUTES: [&str; 5] = [
    "variable",
    "part",
    "partnerLink",
    "endpointReference",
    "property",
];

/// The variable forms shared by `<from>` and `<to>`.
enum VariableSpec {
    Part {
        variable: VariableId,
        part: Option<String>,
        query: Option<ExprId>,
    },
    Property {
        variable: VariableId,
        property: QName,
    },
    Header {
        variable: VariableId,
        header: String,
        query: Option<ExprId>,
    },
}

impl ProcessCompiler<'_> {
    pub(super) fn assign(&mut self, node: NodeId) -> Option<Assign> {
        let validate = self
            .file
            .yes_no_attr(node, "validate", false, self.diagnostics);
        let mut operations = Some(Vec::new());
        for child in self.file.elements(node).collect::<Vec<_>>() {
            if self.file.namespace(child) != BPEL_NS {
                continue;
            }
            let operation = match self.file.local_name(child) {
                "documentation" | "targets" | "sources" => continue,
                "copy" => self
                    .copy(child)
                    .map(|copy| Some(AssignOperation::Copy(copy))),
                "extensionAssignOperation" => self
                    .extension_element(child)
                    .map(|extension| extension.map(AssignOperation::Extension)),
                _ => {
                    self.unsupported(child);
                    None
                }
            };
            operations = operations
                .zip(operation)
                .map(|(mut operations, operation)| {
                    operations.extend(operation);
                    operations
                });
        }
        let operations = operations?;
        if operations.is_empty() {
            // The schema wants a copy; an assign without one does nothing, which deployed
            // process templates rely on.
            let message = "<assign> has no <copy>: it does nothing".to_owned();
            self.warning(node, "BPEL", message);
        }
        Some(Assign {
            operations,
            validate,
        })
    }

    fn copy(&mut self, node: NodeId) -> Option<Copy> {
        let keep_src_element_name =
            self.file
                .yes_no_attr(node, "keepSrcElementName", false, self.diagnostics);
        let ignore_missing_from_data =
            self.file
                .yes_no_attr(node, "ignoreMissingFromData", false, self.diagnostics);
        let insert_missing_to_data = self.ode_flag(node, "insertMissingToData");
        let ignore_uninitialized_from_variable =
            self.ode_flag(node, "ignoreUninitializedFromVariable");
        let from = self.file.element_named(node, BPEL_NS, "from");
        let to = self.file.element_named(node, BPEL_NS, "to");
        let (Some(from), Some(to)) = (from, to) else {
            self.error(
                node,
                "SA00032",
                "<copy> needs a <from> and a <to>".to_owned(),
            );
            return None;
        };
        let (from, to) = (self.source_spec(from), self.target_spec(to));
        let (from, to) = (from?, to?);
        self.check_message_copy(node, &from, &to);
        Some(Copy {
            from,
            to,
            keep_src_element_name,
            ignore_missing_from_data,
            insert_missing_to_data,
            ignore_uninitialized_from_variable,
            location: self.file.location(node),
        })
    }

    /// An ODE yes/no flag of a `<copy>`, in ODE's extension namespace or unqualified.
    fn ode_flag(&mut self, node: NodeId, name: &str) -> bool {
        match self.file.doc.attribute(node, ODE_EXTENSION_NS, name) {
            Some(value) => value.trim() == "yes",
            None => self.file.yes_no_attr(node, name, false, self.diagnostics),
        }
    }

    pub(super) fn source_spec(&mut self, node: NodeId) -> Option<From> {
        let present = self.spec_attributes(node);
        if let Some(literal) = self.file.element_named(node, BPEL_NS, "literal") {
            if !present.is_empty() {
                return self.bad_spec(node, "a <literal> takes no variable or partner link");
            }
            self.check_literal(literal);
            return Some(From::Literal(self.file.content_forest(literal)));
        }
        match present.as_slice() {
            [] => Some(From::Expression(self.spec_expression(node)?)),
            ["partnerLink", "endpointReference"] => {
                let (partner_link, name) = self.partner_link_attr(node)?;
                let link = &self.partner_links[partner_link.index()];
                let role = match self.file.attr(node, "endpointReference").map(str::trim) {
                    Some("myRole") if link.my_role.is_some() => EndpointRole::MyRole,
                    Some("partnerRole") if link.partner_role.is_some() => EndpointRole::PartnerRole,
                    Some("myRole") => {
                        let message = format!("partner link '{name}' has no myRole");
                        self.error(node, "SA00035", message);
                        return None;
                    }
                    Some("partnerRole") => {
                        let message = format!("partner link '{name}' has no partnerRole");
                        self.error(node, "SA00036", message);
                        return None;
                    }
                    _ => {
                        return self
                            .bad_spec(node, "endpointReference must be myRole or partnerRole")
                    }
                };
                Some(From::PartnerLink { partner_link, role })
            }
            _ => match self.variable_spec(node, &present)? {
                VariableSpec::Part {
                    variable,
                    part,
                    query,
                } => Some(From::Variable {
                    variable,
                    part,
                    query,
                }),
                VariableSpec::Property { variable, property } => {
                    Some(From::Property { variable, property })
                }
                VariableSpec::Header {
                    variable,
                    header,
                    query,
                } => Some(From::Header {
                    variable,
                    header,
                    query,
                }),
            },
        }
    }

    fn target_spec(&mut self, node: NodeId) -> Option<To> {
        let present = self.spec_attributes(node);
        if self.file.element_named(node, BPEL_NS, "literal").is_some() {
            return self.bad_spec(node, "a <to> cannot hold a <literal>");
        }
        match present.as_slice() {
            [] => {
                if let Some(to) = self.variable_reference(node) {
                    return Some(to);
                }
                let expression = self.spec_expression(node)?;
                if !self.expressions[expression.index()].source.starts_with('$') {
                    // Accepted as ODE accepts it: the copy faults when it runs.
                    let message = "the expression of a <to> does not begin with a variable \
                                   reference: the copy faults with bpel:selectionFailure unless \
                                   it selects one node of a variable";
                    let at = self.file.location(node);
                    self.diagnostics.warning(&at, "SA00033", message);
                }
                Some(To::Expression(expression))
            }
            ["partnerLink"] => {
                let (partner_link, name) = self.partner_link_attr(node)?;
                if self.partner_links[partner_link.index()]
                    .partner_role
                    .is_none()
                {
                    let message = format!("partner link '{name}' has no partnerRole to assign to");
                    self.error(node, "SA00037", message);
                    return None;
                }
                Some(To::PartnerLink(partner_link))
            }
            _ => match self.variable_spec(node, &present)? {
                VariableSpec::Part {
                    variable,
                    part,
                    query,
                } => Some(To::Variable {
                    variable,
                    part,
                    query,
                }),
                VariableSpec::Property { variable, property } => {
                    Some(To::Property { variable, property })
                }
                VariableSpec::Header {
                    variable,
                    header,
                    query,
                } => Some(To::Header {
                    variable,
                    header,
                    query,
                }),
            },
        }
    }

    /// The form-selecting attributes present on a from-spec or to-spec, in a fixed order.
    fn spec_attributes(&mut self, node: NodeId) -> Vec<&'static str> {
        SPEC_ATTRIBUTES
            .into_iter()
            .filter(|a| self.file.attr(node, a).is_some())
            .collect()
    }

    fn bad_spec<T>(&mut self, node: NodeId, message: &str) -> Option<T> {
        let element = self.file.local_name(node);
        self.error(node, "SA00032", format!("<{element}>: {message}"));
        None
    }

    /// The expression form: the element's own text, with no `<query>`.
    /// A to-expression that is only a variable reference, `$v` or `$v.part`: the same
    /// target as `variable="v" part="part"`, which an uninitialised variable can be copied to.
    fn variable_reference(&mut self, node: NodeId) -> Option<To> {
        let text = self.file.trimmed_text(node);
        let reference = text.strip_prefix('$')?;
        let (name, part) = match reference.split_once('.') {
            Some((name, part)) => (name, Some(part)),
            None => (reference, None),
        };
        let is_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        if !is_name(name) || !part.is_none_or(is_name) {
            return None;
        }
        let variable = self.lookup_variable(name)?;
        if let Some(part) = part {
            self.check_part(node, variable, part)?;
        }
        Some(To::Variable {
            variable,
            part: part.map(str::to_owned),
            query: None,
        })
    }

    fn spec_expression(&mut self, node: NodeId) -> Option<ExprId> {
        if self.file.element_named(node, BPEL_NS, "query").is_some() {
            return self.bad_spec(node, "a <query> needs a variable");
        }
        if self.file.trimmed_text(node).is_empty() {
            return self.bad_spec(
                node,
                "it needs a variable, partner link, literal or expression",
            );
        }
        Some(self.expression(node, ExpressionUse::General))
    }

    /// The variable forms: `variable` with optional `part` and `<query>`, or `variable`
    /// with `property`.
    fn variable_spec(&mut self, node: NodeId, present: &[&str]) -> Option<VariableSpec> {
        let property_form = match present {
            ["variable"] | ["variable", "part"] => false,
            ["variable", "property"] => true,
            _ => {
                return self.bad_spec(
                    node,
                    &format!(
                        "the attributes {} do not form a valid spec",
                        present.join(", ")
                    ),
                )
            }
        };
        let variable = self.variable_attr(node, "variable")?;
        if property_form {
            let property = self.qname_attr(node, "property")?;
            if !self.defs.properties.contains_key(&property) {
                self.error(node, "SA00010", format!("unknown property {property}"));
                return None;
            }
            return Some(VariableSpec::Property { variable, property });
        }
        let part = self
            .file
            .attr(node, "part")
            .map(|part| part.trim().to_owned());
        let header = self
            .file
            .attr(node, "header")
            .map(|header| header.trim().to_owned());
        let query = |compiler: &mut Self| {
            compiler
                .file
                .element_named(node, BPEL_NS, "query")
                .map(|query| compiler.expression(query, ExpressionUse::Query))
        };
        let part = match (part, header) {
            (Some(_), Some(_)) => return self.bad_spec(node, "part and header exclude each other"),
            (None, Some(header)) if !self.has_part(variable, &header) => {
                self.check_is_message(node, variable, "header")?;
                let query = query(self);
                return Some(VariableSpec::Header {
                    variable,
                    header,
                    query,
                });
            }
            (None, Some(header)) => Some(header),
            (part, None) => part,
        };
        if let Some(part) = &part {
            self.check_part(node, variable, part)?;
        }
        let query = query(self);
        Some(VariableSpec::Part {
            variable,
            part,
            query,
        })
    }

    /// Whether `variable` is of a message type with the part `part`: ODE's `header`
    /// attribute naming a part bound to a SOAP header (soap:header) names that part.
    fn has_part(&self, variable: VariableId, part: &str) -> bool {
        match &self.variables[variable.index()].kind {
            VariableKind::Message(message_type) => self
                .defs
                .messages
                .get(message_type)
                .is_some_and(|message| message.parts.iter().any(|p| p.name == part)),
            _ => false,
        }
    }

    /// SA00034: `part` and ODE's `header` need a message variable.
    fn check_is_message(
        &mut self,
        node: NodeId,
        variable: VariableId,
        attribute: &str,
    ) -> Option<()> {
        let variable = &self.variables[variable.index()];
        if matches!(variable.kind, VariableKind::Message(_)) {
            return Some(());
        }
        let message = format!(
            "variable '{}' is not a message variable: {attribute} is not allowed",
            variable.name
        );
        self.error(node, "SA00034", message);
        None
    }

    /// SA00034: `part` needs a message variable that has that part.
    fn check_part(&mut self, node: NodeId, variable_id: VariableId, part: &str) -> Option<()> {
        self.check_is_message(node, variable_id, "part")?;
        let variable = &self.variables[variable_id.index()];
        let VariableKind::Message(message_type) = &variable.kind else {
            return None;
        };
        let message = self.defs.messages.get(message_type)?;
        if !message.parts.iter().any(|p| p.name == part) {
            let message = format!(
                "message {message_type} of variable '{}' has no part '{part}'",
                variable.name
            );
            self.error(node, "BPEL-PART", message);
            return None;
        }
        Some(())
    }

    /// The partner link named by `partnerLink`, with its name.
    fn partner_link_attr(&mut self, node: NodeId) -> Option<(crate::model::PartnerLinkId, String)> {
        let name = self.file.attr(node, "partnerLink")?.trim().to_owned();
        match self.lookup_partner_link(&name) {
            Some(id) if self.broken_partner_links.contains(&id) => None,
            Some(id) => Some((id, name)),
            None => {
                self.error(node, "SA00084", format!("unknown partner link '{name}'"));
                None
            }
        }
    }
}
