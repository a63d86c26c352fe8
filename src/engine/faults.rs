//! BPEL faults on the wire: a fault an instance answers with becomes a SOAP fault carrying
//! the fault's QName (and, for a WSDL fault, its message part as detail); a SOAP fault a
//! partner answers with becomes the BPEL fault its detail or code names, with the WSDL fault
//! message as data when the detail holds its parts.

use baton_transports::{FaultCode, SoapFault};
use bytes::Bytes;

use crate::model::{Definitions, Operation, PartContent};
use crate::runtime::{message, Fault, InvokeOutcome};
use crate::xml::{self, Document, NodeId, QName};

/// The namespace of SOAP 1.1 envelopes, which names generic fault codes.
const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// The WSDL fault of `operation` that `name` denotes: same local name, in the port type's
/// namespace.
fn wsdl_fault<'d>(
    definitions: &'d Definitions,
    operation: Option<&Operation>,
    port_type: Option<&QName>,
    name: &QName,
) -> Option<&'d crate::model::Message> {
    let operation = operation?;
    if port_type.is_some_and(|p| p.ns != name.ns) {
        return None;
    }
    let (_, message_name) = operation
        .faults
        .iter()
        .find(|(fault, _)| *fault == name.local)?;
    definitions.messages.get(message_name)
}

/// The SOAP fault for a BPEL fault answered to a caller.
pub fn to_soap(
    definitions: &Definitions,
    operation: Option<&Operation>,
    port_type: Option<&QName>,
    fault: &Fault,
) -> SoapFault {
    let detail = match (
        wsdl_fault(definitions, operation, port_type, &fault.name),
        &fault.data,
    ) {
        (Some(definition), Some(data)) => {
            let mut detail = Document::new();
            let root = detail.root();
            for part in &definition.parts {
                let Some(accessor) = message::part_element(data, &part.name) else {
                    continue;
                };
                let nodes: Vec<_> = match part.content {
                    PartContent::Element(_) => data.child_elements(accessor).collect(),
                    PartContent::Type(_) => vec![accessor],
                };
                for node in nodes {
                    let copy = detail.import(data, node);
                    detail.append_child(root, copy);
                }
            }
            Some(Bytes::from(detail.to_xml(root)))
        }
        (None, Some(data)) => Some(Bytes::from(data.to_xml(data.root()))),
        (_, None) => None,
    };
    SoapFault {
        code: FaultCode::Receiver,
        subcode: Some((fault.name.ns.clone(), fault.name.local.clone())),
        reason: fault.reason.clone(),
        detail,
    }
}

/// The BPEL fault for a SOAP fault a partner answered with.
pub fn from_soap(
    definitions: &Definitions,
    operation: Option<&Operation>,
    port_type: Option<&QName>,
    fault: SoapFault,
) -> InvokeOutcome {
    let detail = fault
        .detail
        .as_deref()
        .and_then(|detail| xml::parse_fragment(detail).ok());
    let declared = detail.as_ref().and_then(|detail| {
        let first = detail.child_elements(detail.root()).next()?;
        declared(definitions, operation?, port_type, detail, first)
    });
    if let Some((name, data)) = declared {
        return InvokeOutcome::Fault {
            name,
            data: Some(Box::new(data)),
            reason: fault.reason,
        };
    }
    let name = match fault.subcode {
        Some((namespace, local)) => QName::new(namespace, local),
        None => QName::new(SOAP11_NS, fault_code_name(fault.code)),
    };
    let named = wsdl_fault(definitions, operation, port_type, &name);
    if let Some(data) = named.zip(detail.as_ref()).and_then(|(m, d)| parts_of(m, d)) {
        return InvokeOutcome::Fault {
            name,
            data: Some(Box::new(data)),
            reason: fault.reason,
        };
    }
    InvokeOutcome::Fault {
        name,
        data: detail.map(Box::new),
        reason: fault.reason,
    }
}

/// The fault of `operation` whose message is the single element `element` of `holder`: its
/// name (in the port type's namespace) and its message.
pub fn declared(
    definitions: &Definitions,
    operation: &Operation,
    port_type: Option<&QName>,
    holder: &Document,
    element: NodeId,
) -> Option<(QName, Document)> {
    let name = holder.name(element)?;
    operation
        .faults
        .iter()
        .find_map(|(fault_name, message_name)| {
            let part = definitions.messages.get(message_name)?.parts.first()?;
            if part.content != PartContent::Element(name.clone()) {
                return None;
            }
            let mut data = message::empty();
            let accessor = message::ensure_part(&mut data, &part.name);
            let copy = data.import(holder, element);
            data.append_child(accessor, copy);
            let namespace = port_type.map(|p| p.ns.clone()).unwrap_or_default();
            Some((QName::new(namespace, fault_name.as_str()), data))
        })
}

/// The fault message `definition` read from a detail whose children are its parts: an
/// element part by its element, a type part by an accessor named after the part (as an
/// rpc/literal body holds them). None when a part is missing.
fn parts_of(definition: &crate::model::Message, detail: &Document) -> Option<Document> {
    let mut data = message::empty();
    for part in &definition.parts {
        let found = detail.child_elements(detail.root()).find(|&child| {
            detail.name(child).is_some_and(|name| match &part.content {
                PartContent::Element(element) => name == element,
                PartContent::Type(_) => name.local == part.name,
            })
        })?;
        let accessor = message::ensure_part(&mut data, &part.name);
        match part.content {
            PartContent::Element(_) => {
                let copy = data.import(detail, found);
                data.append_child(accessor, copy);
            }
            PartContent::Type(_) => data.replace_children_with_copy(accessor, detail, found),
        }
    }
    Some(data)
}

fn fault_code_name(code: FaultCode) -> &'static str {
    match code {
        FaultCode::Sender => "Client",
        FaultCode::Receiver => "Server",
        FaultCode::VersionMismatch => "VersionMismatch",
        FaultCode::MustUnderstand => "MustUnderstand",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Message, Part};

    #[test]
    fn a_fault_named_by_its_code_carries_the_message_its_detail_holds() {
        let port_type = QName::new("urn:f", "PT");
        let error = QName::new("urn:f", "errorMessage");
        let string = QName::new("http://www.w3.org/2001/XMLSchema", "string");
        let mut definitions = Definitions::default();
        definitions.messages.insert(
            error.clone(),
            Message {
                name: error.clone(),
                parts: ["errorID", "errorText"]
                    .map(|name| Part {
                        name: name.into(),
                        content: PartContent::Type(string.clone()),
                    })
                    .into(),
            },
        );
        let operation = Operation {
            name: "throwFault".into(),
            input: None,
            output: None,
            faults: vec![("FaultMessage1".into(), error)],
        };
        let fault = SoapFault {
            code: FaultCode::Receiver,
            subcode: Some(("urn:f".into(), "FaultMessage1".into())),
            reason: "FaultMessage1".into(),
            detail: Some(Bytes::from_static(
                b"<errorID>FA-1</errorID><errorText>boom</errorText>",
            )),
        };
        let outcome = from_soap(&definitions, Some(&operation), Some(&port_type), fault);
        let InvokeOutcome::Fault { name, data, .. } = outcome else {
            panic!("a fault is a fault");
        };
        assert_eq!(name, QName::new("urn:f", "FaultMessage1"));
        let data = data.expect("the fault message");
        let root = data.document_element().unwrap();
        assert_eq!(data.name(root).unwrap().local, "message");
        let text = message::part_element(&data, "errorText").unwrap();
        assert_eq!(data.string_value(text), "boom");
    }
}
