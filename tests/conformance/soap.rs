//! Between ODE's normalised messages (`<message><Part>…</Part></message>`) and SOAP: a
//! request is laid into a SOAP body as the provided service's WSDL binding says
//! (document/literal or rpc/literal), using Baton's own binding code over the compiled unit,
//! and a SOAP reply is read back into normalised form for the reply pattern. Requests are
//! sent over real HTTP (see [`send`]).

use baton::engine::binding::{self, Direction, Layout};
use baton::engine::install::url_path;
use baton::engine::registry::service_alias;
use baton::model::{Message, Unit};
use baton::xml::{self, Document, NodeId, QName};

use std::time::Duration;

use crate::progress::Progress;

/// How long one invocation may take.
pub(crate) const INVOCATION_TIMEOUT: Duration = Duration::from_secs(15);

/// How one operation of one provided service is called.
pub(crate) struct Call<'u> {
    /// The HTTP path the server offers the service at.
    pub path: String,
    layout: Layout<'u>,
    input: Option<&'u Message>,
    output: Option<&'u Message>,
    /// The operation's WSDL faults: name and message.
    faults: Vec<(&'u str, &'u Message)>,
}

/// What a request-response call answered.
pub(crate) enum Answer {
    /// The normalised reply message.
    Reply(String),
    /// A SOAP fault.
    Fault {
        /// Its code, reason and detail as text, separated by colons.
        summary: String,
        /// For a fault the operation declares in its WSDL, the normalised fault message.
        message: Option<String>,
    },
}

impl<'u> Call<'u> {
    /// The call of `operation` on service `{namespace}service`, as the unit defines it.
    pub(crate) fn new(
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
            faults: defined
                .map(|o| {
                    o.faults
                        .iter()
                        .filter_map(|(name, m)| Some((name.as_str(), message(Some(m))?)))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The SOAP body for a normalised request.
    pub(crate) fn body(&self, request: &str) -> Result<String, String> {
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
    pub(crate) fn answer(&self, envelope: &str) -> Result<Answer, String> {
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
            let summary: Vec<String> = document
                .child_elements(fault)
                .map(|n| {
                    let text = document.string_value(n);
                    text.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect();
            return Ok(Answer::Fault {
                summary: summary.join(": "),
                message: self.fault_message(&document, fault)?,
            });
        }
        let forest: String = children.iter().map(|&n| document.to_xml(n)).collect();
        let forest = binding::parse_body(forest.as_bytes()).map_err(|e| e.to_string())?;
        let message = binding::decode(self.layout, self.output, &forest, Direction::Output)
            .map_err(|e| format!("reply does not fit the binding: {e}"))?;
        let root = message.document_element().unwrap_or(message.root());
        Ok(Answer::Reply(message.to_xml(root)))
    }

    /// The normalised message of a SOAP fault whose code names one of the operation's WSDL
    /// faults: its `detail` holds the message's parts as a document/literal body would.
    fn fault_message(&self, document: &Document, fault: NodeId) -> Result<Option<String>, String> {
        let child = |local: &str| {
            document
                .child_elements(fault)
                .find(|&n| document.name(n).is_some_and(|name| name.local == local))
        };
        let code = child("faultcode").map(|c| document.string_value(c));
        let local = code
            .as_deref()
            .map(|c| c.trim().rsplit(':').next().unwrap_or(c));
        let Some((_, definition)) = self.faults.iter().find(|(name, _)| Some(*name) == local)
        else {
            return Ok(None);
        };
        let Some(detail) = child("detail") else {
            return Ok(None);
        };
        let forest: String = document
            .child_elements(detail)
            .map(|n| document.to_xml(n))
            .collect();
        let forest = binding::parse_body(forest.as_bytes()).map_err(|e| e.to_string())?;
        let layout = Layout {
            operation: self.layout.operation,
            binding: None,
        };
        let message = binding::decode(layout, Some(definition), &forest, Direction::Output)
            .map_err(|e| format!("the fault detail does not fit its message: {e}"))?;
        let root = message.document_element().unwrap_or(message.root());
        Ok(Some(message.to_xml(root)))
    }
}

/// POSTs `request` (normalised) as `call`'s SOAP request to the server at `address`, and
/// returns the HTTP status and text of the answer; gives up when `progress` shows that no
/// answer can come any more.
pub(crate) async fn send(
    call: &Call<'_>,
    address: &str,
    request: &str,
    progress: &Progress,
) -> Result<(reqwest::StatusCode, String), String> {
    let body = call.body(request)?;
    let envelope = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{body}</s:Body></s:Envelope>"#
    );
    let sent = reqwest::Client::new()
        .post(format!("{address}{}", call.path))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .send();
    let response = progress
        .await_answer(sent, INVOCATION_TIMEOUT)
        .await?
        .map_err(|error| format!("HTTP error: {error}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok((status, text))
}

/// At most 400 characters of `text`.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(400) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
