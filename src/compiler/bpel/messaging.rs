//! The messaging activities `<receive>`, `<reply>` and `<invoke>`: partner link, role,
//! port type and operation resolution, message type checks of their variables, their
//! `<correlations>`, and whether they take their message from a variable or from
//! `<toParts>`/`<fromParts>` ([`super::parts`]), which exclude each other.

use super::parts::PartsList;
use super::{ProcessCompiler, BPEL_NS};
use crate::model::{
    CorrelationUse, EndpointRole, Initiate, Invoke, Operation, PartContent, PartnerLinkId, Pattern,
    Receive, Reply, VariableId, VariableKind,
};
use crate::xml::{NodeId, QName};

impl<'a> ProcessCompiler<'a> {
    /// A `<receive>`, or the message an `<onMessage>` or `<onEvent>` waits for; the
    /// `<fromParts>` of an `<onEvent>` declare their variables in its scope.
    pub(super) fn receive(&mut self, node: NodeId) -> Option<Receive> {
        let target = self.operation_of(node, EndpointRole::MyRole);
        let variable = self.optional_variable(node, "variable");
        let create_instance =
            self.file
                .yes_no_attr(node, "createInstance", false, self.diagnostics);
        let correlations = self.correlations(node, None);
        let message_exchange = self.message_exchange(node);
        let (partner_link, operation) = target?;
        self.inbound
            .entry(partner_link)
            .or_insert_with(|| self.file.location(node));
        let (list, rule) = match self.file.local_name(node) {
            "receive" => (PartsList::From, "SA00055"),
            "onEvent" => (PartsList::FromDeclaring, "SA00063"),
            _ => (PartsList::From, "SA00063"),
        };
        let from_parts = self.parts(node, list, operation.input.as_ref());
        let variable = variable?;
        if let Some(variable) = variable {
            if self.has_parts(node, list) {
                let element = self.file.local_name(node);
                let message = format!("<{element}> with <fromParts> cannot have a variable");
                self.error(node, rule, message);
            }
            // An onEvent's variable has its own rule, the same as a receive's.
            let rule = match self.file.local_name(node) {
                "onEvent" => "SA00087",
                _ => "SA00058",
            };
            self.check_message_variable(node, variable, operation.input.as_ref(), rule);
        }
        Some(Receive {
            partner_link,
            operation: operation.name.clone(),
            variable,
            create_instance,
            correlations: correlations?,
            message_exchange,
            from_parts: from_parts?,
        })
    }

    pub(super) fn reply(&mut self, node: NodeId) -> Option<Reply> {
        let target = self.operation_of(node, EndpointRole::MyRole);
        let variable = self.optional_variable(node, "variable");
        let fault = self
            .file
            .attr(node, "faultName")
            .map(|_| self.qname_attr(node, "faultName"));
        let correlations = self.correlations(node, None);
        let message_exchange = self.message_exchange(node);
        let (partner_link, operation) = target?;
        if operation.is_one_way() {
            let message = format!(
                "operation '{}' is one-way: there is nothing to reply",
                operation.name
            );
            self.error(node, "BPEL-OPERATION", message);
            return None;
        }
        let fault = fault.map(|fault| fault.ok_or(())).transpose().ok()?;
        let expected = match &fault {
            None => operation.output.as_ref(),
            Some(fault) => match operation
                .faults
                .iter()
                .find(|(name, _)| name == &fault.local)
            {
                Some((_, message)) => Some(message),
                None => {
                    let message = format!(
                        "operation '{}' has no fault '{}'",
                        operation.name, fault.local
                    );
                    self.error(node, "BPEL-FAULT", message);
                    return None;
                }
            },
        };
        let to_parts = self.parts(node, PartsList::To, expected);
        let variable = variable?;
        if let Some(variable) = variable {
            if self.has_parts(node, PartsList::To) {
                let message = "<reply> with <toParts> cannot have a variable";
                self.error(node, "SA00059", message.to_owned());
            }
            self.check_message_variable(node, variable, expected, "SA00058");
        }
        Some(Reply {
            partner_link,
            operation: operation.name.clone(),
            variable,
            fault,
            correlations: correlations?,
            message_exchange,
            to_parts: to_parts?,
        })
    }

    pub(super) fn invoke(&mut self, node: NodeId) -> Option<Invoke> {
        let target = self.operation_of(node, EndpointRole::PartnerRole);
        let input = self.optional_variable(node, "inputVariable");
        let output = self.optional_variable(node, "outputVariable");
        let (partner_link, operation) = target?;
        let correlations = self.correlations(node, Some(operation));
        let to_parts = self.parts(node, PartsList::To, operation.input.as_ref());
        let from_parts = self.parts(node, PartsList::From, operation.output.as_ref());
        let (input, output) = (input?, output?);
        let has_from_parts = self.has_parts(node, PartsList::From);
        self.check_invoke_input(node, input, operation);
        if let Some(input) = input {
            if self.has_parts(node, PartsList::To) {
                let message = "<invoke> with <toParts> cannot have an inputVariable";
                self.error(node, "SA00051", message.to_owned());
            }
            self.check_message_variable(node, input, operation.input.as_ref(), "SA00048");
        }
        if output.is_some() && has_from_parts {
            let message = "<invoke> with <fromParts> cannot have an outputVariable";
            self.error(node, "SA00052", message.to_owned());
        }
        match (output, &operation.output) {
            (Some(output), Some(message)) => {
                self.check_message_variable(node, output, Some(message), "SA00048");
            }
            (Some(_), None) => {
                let message = format!(
                    "operation '{}' is one-way: it has no output",
                    operation.name
                );
                self.error(node, "SA00047", message);
            }
            (None, Some(_)) if !has_from_parts => {
                let message = format!(
                    "operation '{}' is request-response: outputVariable or <fromParts> is required",
                    operation.name
                );
                self.error(node, "SA00047", message);
            }
            (None, _) => {}
        }
        Some(Invoke {
            partner_link,
            operation: operation.name.clone(),
            input,
            output,
            to_parts: to_parts?,
            from_parts: from_parts?,
            correlations: correlations?,
            failure_handling: self.failure_handling.clone(),
            rest: None,
        })
    }

    /// A variable attribute that may be absent: Some(None) when absent, None when it names
    /// an unknown variable.
    pub(super) fn optional_variable(
        &mut self,
        node: NodeId,
        attribute: &str,
    ) -> Option<Option<VariableId>> {
        match self.file.attr(node, attribute) {
            None => Some(None),
            Some(name) if name.trim().is_empty() => {
                let message = format!("{attribute}=\"\" names no variable: it is read as absent");
                self.lenient(node, "XML-VALUE", message);
                Some(None)
            }
            Some(_) => self.variable_attr(node, attribute).map(Some),
        }
    }

    /// The partner link and operation a messaging activity addresses through `role`.
    fn operation_of(
        &mut self,
        node: NodeId,
        role: EndpointRole,
    ) -> Option<(PartnerLinkId, &'a Operation)> {
        let name = self
            .file
            .required_attr(node, "partnerLink", "SA00084", self.diagnostics)?;
        let operation =
            self.file
                .required_attr(node, "operation", "BPEL-OPERATION", self.diagnostics);
        let Some(id) = self.lookup_partner_link(name.trim()) else {
            self.error(node, "SA00084", format!("unknown partner link '{name}'"));
            return None;
        };
        let operation = operation?.trim();
        if self.broken_partner_links.contains(&id) {
            return None;
        }
        let link = &self.partner_links[id.index()];
        let (declared, attribute) = match role {
            EndpointRole::MyRole => (&link.my_role, "myRole"),
            EndpointRole::PartnerRole => (&link.partner_role, "partnerRole"),
        };
        let Some(declared) = declared else {
            let element = self.file.local_name(node);
            let message =
                format!("partner link '{name}' has no {attribute}, which <{element}> needs");
            self.error(node, "SA00084", message);
            return None;
        };
        let port_type = declared.port_type.clone();
        if let Some(written) = self.qname_attr(node, "portType") {
            // As ODE: a portType naming no port type of the unit, in the wrong namespace
            // but with the role's local name, is a slip that the role's port type overrides.
            let slip = written != port_type
                && written.local == port_type.local
                && !self.defs.port_types.contains_key(&written);
            if slip {
                let message = format!(
                    "portType {written} names no port type; the port type of partner link \
                     '{name}', {port_type}, is used"
                );
                self.lenient(node, "SA00005", message);
            } else if written != port_type {
                let message = format!(
                    "portType {written} is not {port_type}, the port type of partner link '{name}'"
                );
                self.error(node, "SA00005", message);
            }
        }
        let defs = self.defs;
        match defs.operation(&port_type, operation) {
            Some(found) => Some((id, found)),
            // An unknown port type is reported once, not as a missing operation each time.
            None if !defs.port_types.contains_key(&port_type) => {
                if self.unknown_port_types.insert(port_type.clone()) {
                    let message =
                        format!("unknown port type {port_type} (of partner link '{name}')");
                    self.error(node, "WSDL-PORTTYPE", message);
                }
                None
            }
            None => {
                let message = format!("port type {port_type} has no operation '{operation}'");
                self.error(node, "BPEL-OPERATION", message);
                None
            }
        }
    }

    /// Checks that `variable` can hold the message `expected`: a variable of that message
    /// type, or an element variable when the message is a single element part.
    fn check_message_variable(
        &mut self,
        node: NodeId,
        variable: VariableId,
        expected: Option<&QName>,
        rule: &'static str,
    ) {
        let Some(expected) = expected else {
            let name = &self.variables[variable.index()].name;
            let message =
                format!("variable '{name}' is given but the operation has no such message");
            self.error(node, rule, message);
            return;
        };
        let defs = self.defs;
        let variable = &self.variables[variable.index()];
        let matches = match &variable.kind {
            VariableKind::Message(message) => message == expected,
            VariableKind::Element(element) => {
                let single = PartContent::Element(element.clone());
                defs.messages.get(expected).is_some_and(
                    |message| matches!(message.parts.as_slice(), [part] if part.content == single),
                )
            }
            VariableKind::Type(_) => false,
        };
        if !matches {
            let message = format!(
                "variable '{}' does not hold the message {expected}",
                variable.name
            );
            self.error(node, rule, message);
        }
    }

    /// The `<correlations>` of a messaging activity; `invoked` is the operation of an
    /// `<invoke>`, whose correlations need a pattern when it is request-response.
    fn correlations(
        &mut self,
        node: NodeId,
        invoked: Option<&Operation>,
    ) -> Option<Vec<CorrelationUse>> {
        let Some(list) = self.file.element_named(node, BPEL_NS, "correlations") else {
            return Some(Vec::new());
        };
        let mut uses = Some(Vec::new());
        for correlation in self
            .file
            .elements_named(list, BPEL_NS, "correlation")
            .collect::<Vec<_>>()
        {
            let used = self.correlation(correlation, invoked);
            uses = uses.zip(used).map(|(mut uses, used)| {
                uses.extend(used);
                uses
            });
        }
        uses
    }

    /// One `<correlation>`: None when it is in error, Some(None) when it is ignored.
    fn correlation(
        &mut self,
        node: NodeId,
        invoked: Option<&Operation>,
    ) -> Option<Option<CorrelationUse>> {
        let name = self
            .file
            .required_attr(node, "set", "SA00046", self.diagnostics)?;
        let Some(set) = self.lookup_correlation_set(name.trim()) else {
            self.unknown_correlation_set(node, name.trim());
            return None;
        };
        let initiate = match self.file.attr(node, "initiate").map(str::trim) {
            None | Some("no") => Initiate::No,
            Some("yes") => Initiate::Yes,
            Some("join") => Initiate::Join,
            Some(other) => {
                self.error(
                    node,
                    "BPEL",
                    format!("initiate must be yes, join or no, not '{other}'"),
                );
                return None;
            }
        };
        let pattern = match (self.file.attr(node, "pattern").map(str::trim), invoked) {
            (None, None) => None,
            (Some(_), None) => {
                self.error(
                    node,
                    "SA00046",
                    "pattern is only allowed on <invoke>".to_owned(),
                );
                return None;
            }
            // Deployed processes leave the pattern out, and ODE, which ran them, applied such
            // a correlation to neither message.
            (None, Some(operation)) if !operation.is_one_way() => {
                let message = "a correlation of a request-response <invoke> needs a pattern: \
                               it is ignored";
                self.warning(node, "SA00046", message.to_owned());
                return Some(None);
            }
            (None, Some(_)) => None,
            (Some(_), Some(operation)) if operation.is_one_way() => {
                let message = "a correlation of a one-way <invoke> takes no pattern: it is ignored";
                self.warning(node, "SA00046", message.to_owned());
                None
            }
            // out, in, out-in and in-out are the 2004 draft's names, which ODE's processes use.
            (Some("request" | "out"), Some(_)) => Some(Pattern::Request),
            (Some("response" | "in"), Some(_)) => Some(Pattern::Response),
            (Some("request-response" | "out-in" | "in-out"), Some(_)) => {
                Some(Pattern::RequestResponse)
            }
            (Some(other), Some(_)) => {
                let message =
                    format!("pattern must be request, response or request-response, not '{other}'");
                self.error(node, "BPEL", message);
                return None;
            }
        };
        Some(Some(CorrelationUse {
            set,
            initiate,
            pattern,
        }))
    }
}
