//! The WSDL SOAP binding of an operation: how a normalised message
//! (`<message><Part>…</Part></message>`, see [`crate::runtime::message`]) is put into a SOAP
//! body and read back out, in document/literal and rpc/literal styles.
//!
//! - document/literal: the body holds each part's element, in part order.
//! - rpc/literal: the body holds one wrapper element named after the operation (with
//!   `Response` appended for outputs) in the `soap:body namespace`, holding one unqualified
//!   accessor element per part.
//!
//! Parts the binding puts in the SOAP header (`soap:header part="…"`) are left out of the
//! body: [`encode_headers`] writes each as a header block (an element part's element, a
//! type part's accessor) and [`decode_headers`] reads them back from the envelope's header.
//! The other headers a message carries (see [`crate::runtime::message`]) travel as header
//! blocks too, as ODE's did.

use std::collections::BTreeMap;

use crate::model::{BindingOperation, BindingStyle, Message, PartContent, SoapHeader};
use crate::runtime::message;
use crate::xml::{self, Document, NodeId, QName};

/// Which message of the operation is being encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
}

/// A body that does not fit the binding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("the SOAP body is not well-formed XML: {0}")]
    Xml(String),
    #[error("the SOAP body has no element {expected} for operation '{operation}'")]
    MissingWrapper { operation: String, expected: QName },
    #[error(
        "the SOAP body lacks part '{part}' ({expected}) of message {message}; it holds {found}"
    )]
    MissingPart {
        message: QName,
        part: String,
        expected: String,
        found: String,
    },
    /// A document/literal body holds elements, none of them a part of the message.
    #[error("the SOAP body holds {found}, not message {message} ({expected})")]
    OtherMessage {
        message: QName,
        expected: String,
        found: String,
    },
}

/// How one operation's messages are laid out in the body.
#[derive(Debug, Clone, Copy)]
pub struct Layout<'a> {
    pub operation: &'a str,
    pub binding: Option<&'a BindingOperation>,
}

impl Layout<'_> {
    fn style(&self) -> BindingStyle {
        self.binding.map_or(BindingStyle::Document, |b| b.style)
    }

    fn wrapper(&self, direction: Direction) -> QName {
        let namespace = self.binding.and_then(|b| match direction {
            Direction::Input => b.input_namespace.clone(),
            Direction::Output => b.output_namespace.clone(),
        });
        let local = match direction {
            Direction::Input => self.operation.to_owned(),
            Direction::Output => format!("{}Response", self.operation),
        };
        QName::new(namespace.unwrap_or_default(), local)
    }

    fn body_parts<'m>(
        &self,
        definition: &'m Message,
        direction: Direction,
    ) -> Vec<&'m crate::model::Part> {
        let selected = self.binding.and_then(|b| match direction {
            Direction::Input => b.input_parts.as_ref(),
            Direction::Output => b.output_parts.as_ref(),
        });
        let in_header = |part: &crate::model::Part| {
            self.soap_headers(direction)
                .iter()
                .any(|header| header.message == definition.name && header.part == part.name)
        };
        definition
            .parts
            .iter()
            .filter(|part| selected.is_none_or(|names| names.contains(&part.name)))
            .filter(|part| !in_header(part))
            .collect()
    }

    /// The binding's `soap:header`s.
    fn soap_headers(&self, direction: Direction) -> &[SoapHeader] {
        self.binding.map_or(&[], |b| match direction {
            Direction::Input => &b.input_headers,
            Direction::Output => &b.output_headers,
        })
    }

    /// Each `soap:header` with the content of its part, and whether that part is one of
    /// `definition`'s (else the header is one the message carries beside its parts, by the
    /// part's name).
    fn header_contents<'m>(
        &self,
        definition: Option<&'m Message>,
        messages: &'m BTreeMap<QName, Message>,
        direction: Direction,
    ) -> Vec<(&'m crate::model::Part, bool)> {
        self.soap_headers(direction)
            .iter()
            .filter_map(|header| {
                let own = definition.is_some_and(|d| d.name == header.message);
                let message = if own {
                    definition
                } else {
                    messages.get(&header.message)
                };
                let part = message?.parts.iter().find(|p| p.name == header.part)?;
                Some((part, own))
            })
            .collect()
    }
}

/// The SOAP header blocks of a normalised message: first those `layout`'s `soap:header`s
/// name (an element part's element, a type part's accessor), then every other header the
/// process wrote into the message (see [`message::headers`]; those it came with stay). A
/// header without a value is left out.
pub fn encode_headers(
    layout: Layout<'_>,
    definition: Option<&Message>,
    messages: &BTreeMap<QName, Message>,
    message_doc: &Document,
    direction: Direction,
) -> String {
    let mut blocks = String::new();
    let mut written = Vec::new();
    for (part, own) in layout.header_contents(definition, messages, direction) {
        let node = match (own, &part.content) {
            (true, PartContent::Element(_)) => {
                message::part_node(message_doc, definition, &part.name)
            }
            (true, PartContent::Type(_)) => message::part_element(message_doc, &part.name),
            (false, _) => message::header_node(message_doc, &part.name),
        };
        if let Some(node) = node {
            blocks.push_str(&message_doc.to_xml(node));
            written.push(node);
        }
    }
    for (_, element, received) in message::headers(message_doc) {
        if !received && !written.contains(&element) {
            blocks.push_str(&message_doc.to_xml(element));
        }
    }
    blocks
}

/// Reads the SOAP header blocks of the forest `headers` into the normalised message
/// `normalised`: the parts `layout`'s `soap:header`s bind there (an element part from the
/// block of its element's name, a type part from the block named after the part; a part
/// whose block is missing stays without a value); a `soap:header` of another message's part
/// as the header of that part's name; every other block that `keep` accepts as the header
/// of its local name. Headers are kept marked received.
pub fn decode_headers(
    layout: Layout<'_>,
    definition: Option<&Message>,
    messages: &BTreeMap<QName, Message>,
    headers: &Document,
    normalised: &mut Document,
    direction: Direction,
    keep: impl Fn(&QName) -> bool,
) {
    let mut taken = Vec::new();
    for (part, own) in layout.header_contents(definition, messages, direction) {
        let block = headers.child_elements(headers.root()).find(|&node| {
            !taken.contains(&node)
                && headers.name(node).is_some_and(|name| match &part.content {
                    PartContent::Element(element) => name == element,
                    PartContent::Type(_) => name.local == part.name,
                })
        });
        let Some(block) = block else { continue };
        taken.push(block);
        if !own {
            message::keep_received_header(normalised, &part.name, headers, block);
            continue;
        }
        let accessor = message::ensure_part(normalised, &part.name);
        match part.content {
            PartContent::Element(_) => {
                let copy = normalised.import(headers, block);
                normalised.append_child(accessor, copy);
            }
            PartContent::Type(_) => {
                for child in headers.children(block) {
                    let copy = normalised.import(headers, child);
                    normalised.append_child(accessor, copy);
                }
            }
        }
    }
    for block in headers.child_elements(headers.root()) {
        let Some(name) = headers.name(block) else {
            continue;
        };
        if !taken.contains(&block) && keep(name) {
            message::keep_received_header(normalised, &name.local, headers, block);
        }
    }
}

/// Whether a header block is the engine's own business, never kept with a message:
/// WS-Addressing (both versions), the session headers and WS-Security.
pub fn is_engine_header(name: &QName) -> bool {
    const ENGINE_NAMESPACES: [&str; 3] = [
        baton_transports::soap::addressing::WSA_NS,
        "http://schemas.xmlsoap.org/ws/2004/08/addressing",
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    ];
    ENGINE_NAMESPACES.contains(&name.ns.as_str()) || super::session::understands(&name.ns)
}

/// Encodes a normalised message as the SOAP body forest of `layout`. A document-style part is
/// written straight from the message; an RPC wrapper is built around copies of the parts.
pub fn encode(
    layout: Layout<'_>,
    definition: Option<&Message>,
    message_doc: &Document,
    direction: Direction,
) -> String {
    let parts = definition
        .map(|d| layout.body_parts(d, direction))
        .unwrap_or_default();
    let accessors = parts
        .into_iter()
        .filter_map(|part| Some((part, message::part_element(message_doc, &part.name)?)));
    match layout.style() {
        BindingStyle::Rpc => {
            let (mut out, wrapper) = Document::with_element(layout.wrapper(direction));
            for (_, accessor) in accessors {
                let copy = out.import(message_doc, accessor);
                out.append_child(wrapper, copy);
            }
            out.to_xml(out.root())
        }
        BindingStyle::Document => {
            let mut forest = String::new();
            for (part, accessor) in accessors {
                match part.content {
                    PartContent::Element(_) => {
                        for element in message_doc.child_elements(accessor) {
                            message_doc.write_to(element, &mut forest);
                        }
                    }
                    PartContent::Type(_) => message_doc.write_to(accessor, &mut forest),
                }
            }
            forest
        }
    }
}

/// Parses a SOAP body forest.
pub fn parse_body(body: &[u8]) -> Result<Document, Error> {
    xml::parse_fragment(body).map_err(|error| Error::Xml(error.to_string()))
}

/// Decodes a parsed SOAP body forest into a normalised message.
pub fn decode(
    layout: Layout<'_>,
    definition: Option<&Message>,
    forest: &Document,
    direction: Direction,
) -> Result<Document, Error> {
    let mut normalised = message::empty();
    let Some(definition) = definition else {
        return Ok(normalised);
    };
    let top: Vec<NodeId> = forest.child_elements(forest.root()).collect();
    match layout.style() {
        BindingStyle::Rpc => {
            let expected = layout.wrapper(direction);
            let wrapper = top
                .iter()
                .copied()
                .find(|&node| {
                    forest
                        .name(node)
                        .is_some_and(|name| name.local == expected.local)
                })
                .ok_or_else(|| Error::MissingWrapper {
                    operation: layout.operation.into(),
                    expected,
                })?;
            for part in layout.body_parts(definition, direction) {
                let accessor = forest
                    .child_elements(wrapper)
                    .find(|&node| {
                        forest
                            .name(node)
                            .is_some_and(|name| name.local == part.name)
                    })
                    .ok_or_else(|| {
                        missing_part(
                            definition,
                            &part.name,
                            "an accessor element",
                            forest,
                            wrapper,
                        )
                    })?;
                let target = message::ensure_part(&mut normalised, &part.name);
                normalised.replace_children_with_copy(target, forest, accessor);
            }
        }
        BindingStyle::Document => {
            for (index, part) in layout
                .body_parts(definition, direction)
                .into_iter()
                .enumerate()
            {
                let target = message::ensure_part(&mut normalised, &part.name);
                match &part.content {
                    PartContent::Element(element) => {
                        let node = top
                            .iter()
                            .copied()
                            .find(|&node| forest.name(node) == Some(element))
                            .ok_or_else(|| {
                                if index == 0 && !top.is_empty() {
                                    return Error::OtherMessage {
                                        message: definition.name.clone(),
                                        expected: element.to_string(),
                                        found: held(forest, forest.root()),
                                    };
                                }
                                missing_part(
                                    definition,
                                    &part.name,
                                    &element.to_string(),
                                    forest,
                                    forest.root(),
                                )
                            })?;
                        let copy = normalised.import(forest, node);
                        normalised.append_child(target, copy);
                    }
                    PartContent::Type(type_name) => {
                        let node = top.get(index).copied().ok_or_else(|| {
                            missing_part(
                                definition,
                                &part.name,
                                &type_name.to_string(),
                                forest,
                                forest.root(),
                            )
                        })?;
                        normalised.replace_children_with_copy(target, forest, node);
                    }
                }
            }
        }
    }
    Ok(normalised)
}

fn missing_part(
    definition: &Message,
    part: &str,
    expected: &str,
    holder: &Document,
    top: NodeId,
) -> Error {
    Error::MissingPart {
        message: definition.name.clone(),
        part: part.into(),
        expected: expected.into(),
        found: held(holder, top),
    }
}

/// The names of the elements `top` holds, for errors.
fn held(holder: &Document, top: NodeId) -> String {
    let found: Vec<String> = holder
        .child_elements(top)
        .filter_map(|n| holder.name(n))
        .map(ToString::to_string)
        .collect();
    if found.is_empty() {
        "no elements".into()
    } else {
        found.join(", ")
    }
}

/// The operation a request body is for, among the operations of a binding: the rpc wrapper's
/// name, the document part element, or the SOAP action.
pub fn identify_operation<'b>(
    operations: &'b [BindingOperation],
    input_element: impl Fn(&str) -> Option<QName>,
    forest: &Document,
    action: Option<&str>,
) -> Option<&'b BindingOperation> {
    if let [only] = operations {
        return Some(only);
    }
    let first = forest
        .child_elements(forest.root())
        .next()
        .and_then(|node| forest.name(node));
    let by_body = operations
        .iter()
        .find(|operation| match (&first, operation.style) {
            (Some(name), BindingStyle::Rpc) => name.local == operation.name,
            (Some(name), BindingStyle::Document) => {
                input_element(&operation.name).as_ref() == Some(*name)
            }
            (None, _) => false,
        });
    by_body.or_else(|| {
        let action = action.filter(|a| !a.is_empty())?;
        operations
            .iter()
            .find(|operation| operation.soap_action.as_deref() == Some(action))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Part;

    fn message_def(parts: Vec<(&str, PartContent)>) -> Message {
        Message {
            name: QName::new("urn:t", "M"),
            parts: parts
                .into_iter()
                .map(|(name, content)| Part {
                    name: name.into(),
                    content,
                })
                .collect(),
        }
    }

    fn rpc(namespace: &str) -> BindingOperation {
        BindingOperation {
            name: "hello".into(),
            soap_action: None,
            style: BindingStyle::Rpc,
            input_namespace: Some(namespace.into()),
            output_namespace: Some(namespace.into()),
            input_parts: None,
            output_parts: None,
            input_headers: vec![],
            output_headers: vec![],
            http: None,
        }
    }

    fn decode_input(layout: Layout<'_>, definition: &Message, body: &[u8]) -> Document {
        decode(
            layout,
            Some(definition),
            &parse_body(body).unwrap(),
            Direction::Input,
        )
        .unwrap()
    }

    #[test]
    fn rpc_round_trip() {
        let definition = message_def(vec![(
            "TestPart",
            PartContent::Type(QName::new("x", "string")),
        )]);
        let binding = rpc("urn:w");
        let layout = Layout {
            operation: "hello",
            binding: Some(&binding),
        };
        let body = br#"<w:hello xmlns:w="urn:w"><TestPart>Hello</TestPart></w:hello>"#;
        let normalised = decode_input(layout, &definition, body);
        let part = message::part_element(&normalised, "TestPart").expect("the part is there");
        assert_eq!(normalised.string_value(part), "Hello");
        assert_eq!(
            normalised
                .name(normalised.document_element().unwrap())
                .unwrap()
                .local,
            "message"
        );
        let encoded = encode(layout, Some(&definition), &normalised, Direction::Output);
        let reparsed = xml::parse(encoded.as_bytes()).unwrap();
        let wrapper = reparsed.document_element().unwrap();
        assert_eq!(
            reparsed.name(wrapper),
            Some(&QName::new("urn:w", "helloResponse"))
        );
        assert_eq!(reparsed.string_value(wrapper), "Hello");
    }

    #[test]
    fn header_parts_leave_the_body_and_round_trip_through_the_header() {
        let definition = message_def(vec![
            (
                "payload",
                PartContent::Element(QName::new("urn:e", "order")),
            ),
            (
                "session",
                PartContent::Element(QName::new("urn:e", "session")),
            ),
            ("trace", PartContent::Type(QName::new("x", "string"))),
        ]);
        let headers_message = Message {
            name: QName::new("urn:t", "Headers"),
            ..message_def(vec![(
                "tenant",
                PartContent::Element(QName::new("urn:e", "tenant")),
            )])
        };
        let messages = BTreeMap::from([(headers_message.name.clone(), headers_message)]);
        let header = |message: &QName, part: &str| SoapHeader {
            message: message.clone(),
            part: part.into(),
        };
        let binding = BindingOperation {
            style: BindingStyle::Document,
            input_headers: vec![
                header(&definition.name, "session"),
                header(&definition.name, "trace"),
                header(&QName::new("urn:t", "Headers"), "tenant"),
            ],
            ..rpc("urn:w")
        };
        let layout = Layout {
            operation: "hello",
            binding: Some(&binding),
        };
        let body = br#"<e:order xmlns:e="urn:e">book</e:order>"#;
        let headers = concat!(
            r#"<x:other xmlns:x="urn:x">o-1</x:other>"#,
            r#"<a:To xmlns:a="http://www.w3.org/2005/08/addressing">urn:to</a:To>"#,
            r#"<e:session xmlns:e="urn:e"><e:id>s-1</e:id></e:session><trace>t-9</trace>"#,
            r#"<e:tenant xmlns:e="urn:e">acme</e:tenant>"#
        );
        let mut normalised = decode_input(layout, &definition, body);
        let headers = parse_body(headers.as_bytes()).unwrap();
        decode_headers(
            layout,
            Some(&definition),
            &messages,
            &headers,
            &mut normalised,
            Direction::Input,
            |name| !is_engine_header(name),
        );
        let session = message::part_node(&normalised, Some(&definition), "session").unwrap();
        assert_eq!(normalised.string_value(session), "s-1");
        let trace = message::part_element(&normalised, "trace").unwrap();
        assert_eq!(normalised.string_value(trace), "t-9");
        let kept: Vec<(String, String, bool)> = message::headers(&normalised)
            .into_iter()
            .map(|(name, element, received)| (name, normalised.string_value(element), received))
            .collect();
        assert_eq!(
            kept,
            [
                ("tenant".into(), "acme".into(), true),
                ("other".into(), "o-1".into(), true)
            ],
            "another message's part by its name, an unbound header by its local name, no \
             WS-Addressing"
        );

        let body = encode(layout, Some(&definition), &normalised, Direction::Input);
        assert_eq!(body, r#"<e:order xmlns:e="urn:e">book</e:order>"#);
        let blocks_of = |message_doc: &Document| {
            encode_headers(
                layout,
                Some(&definition),
                &messages,
                message_doc,
                Direction::Input,
            )
        };
        let blocks = blocks_of(&normalised);
        let bound = concat!(
            r#"<e:session xmlns:e="urn:e"><e:id>s-1</e:id></e:session><trace>t-9</trace>"#,
            r#"<e:tenant xmlns:e="urn:e">acme</e:tenant>"#
        );
        assert_eq!(blocks, bound, "a received header goes on only where bound");
        message::ensure_header_node(&mut normalised, "other");
        assert_eq!(
            blocks_of(&normalised),
            format!(r#"{bound}<x:other xmlns:x="urn:x">o-1</x:other>"#),
            "a header the process wrote goes out"
        );
    }

    #[test]
    fn document_round_trip_missing_part_and_other_message() {
        let element = QName::new("urn:e", "order");
        let definition = message_def(vec![("payload", PartContent::Element(element))]);
        let layout = Layout {
            operation: "submit",
            binding: None,
        };
        let body = br#"<e:order xmlns:e="urn:e"><id>7</id></e:order>"#;
        let normalised = decode_input(layout, &definition, body);
        let encoded = encode(layout, Some(&definition), &normalised, Direction::Input);
        let reparsed = xml::parse(encoded.as_bytes()).unwrap();
        let order = reparsed.document_element().unwrap();
        assert_eq!(reparsed.name(order).unwrap().local, "order");
        assert_eq!(reparsed.string_value(order), "7");
        let other = parse_body(b"<other/>").unwrap();
        let error = decode(layout, Some(&definition), &other, Direction::Input).unwrap_err();
        assert!(matches!(error, Error::OtherMessage { .. }), "{error}");
        let empty = parse_body(b"").unwrap();
        let error = decode(layout, Some(&definition), &empty, Direction::Input).unwrap_err();
        assert!(matches!(error, Error::MissingPart { .. }), "{error}");
    }
}
