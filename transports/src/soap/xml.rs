//! The namespace-aware XML reading shared by envelope, fault and forest parsing.
//!
//! All SOAP input goes through [`reader`] and [`next`]: the input must be UTF-8, every
//! well-formedness check quick-xml offers is on, and a document type declaration anywhere is
//! refused, so no entity is ever declared, let alone expanded.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::NsReader;

use crate::error::SoapError;

/// A namespace-aware reader over an in-memory document.
pub(crate) type XmlReader<'i> = NsReader<&'i [u8]>;

/// A reader over `input`, which must be UTF-8.
pub(crate) fn reader(input: &[u8]) -> Result<XmlReader<'_>, SoapError> {
    if let Err(e) = std::str::from_utf8(input) {
        return Err(SoapError::UnsupportedEncoding(format!(
            "the message is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        )));
    }
    let mut reader = NsReader::from_reader(input);
    let config = reader.config_mut();
    config.enable_all_checks(true);
    config.expand_empty_elements = false;
    config.trim_text(false);
    Ok(reader)
}

/// The next event; refuses DTDs and reports XML errors with their position.
pub(crate) fn next<'i>(reader: &mut XmlReader<'i>) -> Result<Event<'i>, SoapError> {
    match reader.read_event() {
        Ok(Event::DocType(_)) => Err(SoapError::Doctype),
        Ok(event) => Ok(event),
        Err(e) => Err(SoapError::malformed(reader.error_position(), e)),
    }
}

/// The next event, which must not be the end of the input.
pub(crate) fn next_in_element<'i>(reader: &mut XmlReader<'i>) -> Result<Event<'i>, SoapError> {
    match next(reader)? {
        Event::Eof => Err(unexpected_eof(reader)),
        event => Ok(event),
    }
}

pub(crate) fn unexpected_eof(reader: &XmlReader<'_>) -> SoapError {
    SoapError::malformed(reader.buffer_position(), "unexpected end of document")
}

/// Checks what quick-xml leaves to the caller on a start tag: attribute syntax, duplicate
/// attributes, undeclared prefixes and unknown entity references in attribute values.
pub(crate) fn check_start(reader: &XmlReader<'_>, start: &BytesStart<'_>) -> Result<(), SoapError> {
    let position = reader.buffer_position();
    if let (ResolveResult::Unknown(prefix), _) = reader.resolve_element(start.name()) {
        return Err(undeclared(position, &prefix));
    }
    for attr in start.attributes() {
        let attr = attr.map_err(|e| SoapError::malformed(position, e))?;
        if let (ResolveResult::Unknown(prefix), _) = reader.resolve_attribute(attr.key) {
            return Err(undeclared(position, &prefix));
        }
        attr.unescape_value()
            .map_err(|e| SoapError::malformed(position, e))?;
    }
    Ok(())
}

fn undeclared(position: u64, prefix: &[u8]) -> SoapError {
    let prefix = String::from_utf8_lossy(prefix);
    SoapError::malformed(position, format!("undeclared namespace prefix '{prefix}'"))
}

/// The (namespace, local name) of an element in the reader's current scope.
pub(crate) fn element_name<'n>(
    reader: &'n XmlReader<'_>,
    name: QName<'n>,
) -> (Option<&'n [u8]>, &'n [u8]) {
    let (ns, local) = reader.resolve_element(name);
    let ns = match ns {
        ResolveResult::Bound(ns) => Some(ns.into_inner()),
        _ => None,
    };
    (ns, local.into_inner())
}

/// Whether a text event is only XML whitespace.
pub(crate) fn is_blank(text: &[u8]) -> bool {
    text.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Reads the character content of the element just started, up to its end tag, refusing child
/// elements.
pub(crate) fn read_text(reader: &mut XmlReader<'_>) -> Result<String, SoapError> {
    let mut text = String::new();
    loop {
        match next_in_element(reader)? {
            Event::Text(t) => {
                let position = reader.buffer_position();
                text.push_str(
                    &t.unescape()
                        .map_err(|e| SoapError::malformed(position, e))?,
                );
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::End(_) => return Ok(text),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Start(e) | Event::Empty(e) => {
                return Err(SoapError::UnexpectedContent(format!(
                    "element '{}' where only text is allowed",
                    lossy(e.name().as_ref())
                )))
            }
            Event::Decl(_) | Event::DocType(_) | Event::Eof => {
                return Err(misplaced_declaration(reader))
            }
        }
    }
}

/// Skips the rest of the element just started, still checking everything it contains.
pub(crate) fn skip_element(reader: &mut XmlReader<'_>) -> Result<(), SoapError> {
    let mut depth = 0usize;
    loop {
        match next_in_element(reader)? {
            Event::Start(e) => {
                check_start(reader, &e)?;
                depth += 1;
            }
            Event::Empty(e) => check_start(reader, &e)?,
            Event::End(_) if depth == 0 => return Ok(()),
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                let position = reader.buffer_position();
                t.unescape()
                    .map_err(|e| SoapError::malformed(position, e))?;
            }
            Event::Decl(_) => return Err(misplaced_declaration(reader)),
            _ => {}
        }
    }
}

pub(crate) fn misplaced_declaration(reader: &XmlReader<'_>) -> SoapError {
    SoapError::malformed(reader.buffer_position(), "XML declaration not at the start")
}

/// Bytes as text for messages.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
