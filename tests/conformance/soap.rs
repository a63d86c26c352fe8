//! Between ODE's normalised messages (`<message><Part>…</Part></message>`) and SOAP: a
//! request is laid into a SOAP body as the provided service's WSDL binding says
//! (document/literal or rpc/literal), using Baton's own binding code over the compiled unit,
//! and a SOAP reply is read back into normalised form for the reply pattern.

use baton::engine::binding::{self, Direction, Layout};
use baton::engine::install::url_path;
use baton::engine::registry::service_alias;
use baton::model::{Message, Unit};
use baton::xml::{self, QName};

/// How one operation of one provided service is called.
pub struct Call<'u> {
    /// The HTTP path the server offers the service at.
    pub path: String,
    layout: Layout<'u>,
    input: Option<&'u Message>,
    output: Option<&'u Message>,
}

/// What a request-response call answered.
pub enum Answer {
    /// The normalised reply message.
    Reply(String),
    /// A SOAP fault: its code and reason.
    Fault(String),
}

impl<'u> Call<'u> {
    /// The call of `operation` on service `{namespace}service`, as the unit defines it.
    pub fn new(
        unit: &'u Unit,
        namespace: &str,
        service: &str,
        operation: &'u str,
    ) -> Result<Self, String> {
        let definitions = &unit.definitions;
        let name = QName::new(namespace, service);
        let service_def = definitions
            .services
            .get(&name)
            .ok_or_else(|| format!("the unit defines no service {name}"))?;
        let port = service_def
            .ports
            .first()
            .ok_or_else(|| format!("service {name} has no port"))?;
        let bound = definitions.bindings.get(&port.binding);
        let binding_operation =
            bound.and_then(|b| b.operations.iter().find(|o| o.name == operation));
        let port_type = bound.map(|b| b.port_type.clone());
        let defined = port_type
            .as_ref()
            .and_then(|port_type| definitions.operation(port_type, operation));
        let message = |name: Option<&QName>| name.and_then(|n| definitions.messages.get(n));
        Ok(Call {
            path: port
                .address
                .as_deref()
                .and_then(url_path)
                .unwrap_or_else(|| service_alias(&name)),
            layout: Layout {
                operation,
                binding: binding_operation,
            },
            input: message(defined.and_then(|o| o.input.as_ref())),
            output: message(defined.and_then(|o| o.output.as_ref())),
        })
    }

    /// The SOAP body for a normalised request.
    pub fn body(&self, request: &str) -> Result<String, String> {
        let document =
            xml::parse(request.as_bytes()).map_err(|e| format!("request is not XML: {e}"))?;
        Ok(binding::encode(
            self.layout,
            self.input,
            &document,
            Direction::Input,
        ))
    }

    /// The normalised reply (or the fault) in a SOAP envelope.
    pub fn answer(&self, envelope: &str) -> Result<Answer, String> {
        let document = xml::parse(envelope.as_bytes())
            .map_err(|e| format!("reply is not XML: {e}: {envelope}"))?;
        let body = document
            .descendants(document.root())
            .find(|&n| document.name(n).is_some_and(|name| name.local == "Body"))
            .ok_or_else(|| format!("reply has no SOAP body: {envelope}"))?;
        let children: Vec<_> = document.child_elements(body).collect();
        if let Some(&fault) = children
            .iter()
            .find(|&&n| document.name(n).is_some_and(|name| name.local == "Fault"))
        {
            let text = document.string_value(fault);
            return Ok(Answer::Fault(
                text.split_whitespace().collect::<Vec<_>>().join(" "),
            ));
        }
        let forest: String = children.iter().map(|&n| document.to_xml(n)).collect();
        let forest = binding::parse_body(forest.as_bytes()).map_err(|e| e.to_string())?;
        let message = binding::decode(self.layout, self.output, &forest, Direction::Output)
            .map_err(|e| format!("reply does not fit the binding: {e}"))?;
        let root = message.document_element().unwrap_or(message.root());
        Ok(Answer::Reply(message.to_xml(root)))
    }
}
