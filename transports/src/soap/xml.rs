//! The namespace-aware XML reading shared by envelope, fault and forest parsing.
//!
//! All SOAP input goes through [`reader`] and [`next`]: the input must be UTF-8, every
//! well-formedness check quick-xml offers is on, a document type declaration anywhere is
//! refused, so no entity is ever declared, let alone expanded, and every start tag and text is
//! checked against [`XmlLimits`] with namespaces resolved by [`Namespaces`], so that reading
//! takes time proportional to the input.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;
use quick_xml::Reader;

use crate::error::SoapError;
use crate::xml::{Namespaces, Resolved, StartTagError, XmlLimits};

/// A namespace-aware reader over an in-memory document, checking every start tag and text
/// against its [`XmlLimits`] as it goes.
pub(crate) struct XmlReader<'i> {
    reader: Reader<&'i [u8]>,
    namespaces: Namespaces,
    limits: XmlLimits,
    /// The scope of the element whose end (or empty tag) was read last closes at the next
    /// read, so that its names still resolve until then.
    pending_pop: bool,
}

impl<'i> XmlReader<'i> {
    /// Where the reader is in the input.
    pub(crate) fn buffer_position(&self) -> u64 {
        self.reader.buffer_position()
    }

    /// The next event, with the namespace scopes following it; a start tag is checked in full
    /// (limits, duplicate attributes, reserved and undeclared prefixes, entity references in
    /// attribute values) before it is returned.
    pub(crate) fn read_event(&mut self) -> Result<Event<'i>, SoapError> {
        if std::mem::take(&mut self.pending_pop) {
            self.namespaces.pop();
        }
        let event = self
            .reader
            .read_event()
            .map_err(|e| SoapError::malformed(self.reader.error_position(), e))?;
        match &event {
            Event::Start(start) => self.open(start)?,
            Event::Empty(start) => {
                self.open(start)?;
                self.pending_pop = true;
            }
            Event::End(_) => self.pending_pop = true,
            Event::Text(text) => self.check_text(text.len())?,
            Event::CData(text) => self.check_text(text.len())?,
            _ => {}
        }
        Ok(event)
    }

    fn open(&mut self, start: &BytesStart<'_>) -> Result<(), SoapError> {
        let position = self.buffer_position();
        let tag = self
            .limits
            .check_start(start, self.namespaces.depth())
            .map_err(|error| match error {
                StartTagError::Limit(source) => SoapError::Limit { position, source },
                StartTagError::Syntax(reason) => SoapError::malformed(position, reason),
            })?;
        let declarations = tag
            .declarations
            .iter()
            .map(|(prefix, attribute)| (*prefix, attribute.value.as_ref()));
        self.namespaces
            .push(declarations, &self.limits)
            .map_err(|error| match error {
                crate::xml::NamespaceError::Limit(source) => SoapError::Limit { position, source },
                crate::xml::NamespaceError::Reserved(reason) => {
                    SoapError::malformed(position, reason)
                }
            })?;
        if let Resolved::Unknown = self.namespaces.resolve_name(start.name(), true) {
            return Err(undeclared(position, start.name()));
        }
        for attribute in tag
            .attributes
            .iter()
            .chain(tag.declarations.iter().map(|(_, a)| a))
        {
            if let Resolved::Unknown = self.namespaces.resolve_name(attribute.key, false) {
                return Err(undeclared(position, attribute.key));
            }
            attribute
                .unescape_value()
                .map_err(|e| SoapError::malformed(position, e))?;
        }
        Ok(())
    }

    fn check_text(&self, length: usize) -> Result<(), SoapError> {
        self.limits
            .check_text(length)
            .map_err(|source| SoapError::Limit {
                position: self.buffer_position(),
                source,
            })
    }

    /// Resolves an element name (or a QName in content) in the current scope: its namespace
    /// and local name.
    pub(crate) fn resolve_element<'n>(&'n self, name: QName<'n>) -> (Resolved<'n>, &'n [u8]) {
        (
            self.namespaces.resolve_name(name, true),
            name.local_name().into_inner(),
        )
    }

    /// Resolves an attribute name in the current scope: its namespace (an unprefixed
    /// attribute has none) and local name.
    pub(crate) fn resolve_attribute<'n>(&'n self, name: QName<'n>) -> (Resolved<'n>, &'n [u8]) {
        (
            self.namespaces.resolve_name(name, false),
            name.local_name().into_inner(),
        )
    }

    /// The bindings in scope, each prefix once, undeclarations left out.
    pub(crate) fn prefixes(&self) -> impl Iterator<Item = (Option<&[u8]>, &[u8])> {
        self.namespaces.in_scope()
    }
}

/// A reader over `input`, which must be UTF-8 (a byte-order mark at its start is skipped),
/// checked against the default limits.
pub(crate) fn reader(input: &[u8]) -> Result<XmlReader<'_>, SoapError> {
    reader_with(input, &XmlLimits::default())
}

/// A reader over `input`, which must be UTF-8, checked against `limits`.
pub(crate) fn reader_with<'i>(
    input: &'i [u8],
    limits: &XmlLimits,
) -> Result<XmlReader<'i>, SoapError> {
    if let Err(e) = std::str::from_utf8(input) {
        return Err(SoapError::UnsupportedEncoding(format!(
            "the message is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        )));
    }
    let mut reader = Reader::from_reader(input);
    let config = reader.config_mut();
    config.enable_all_checks(true);
    config.expand_empty_elements = false;
    config.trim_text(false);
    Ok(XmlReader {
        reader,
        namespaces: Namespaces::default(),
        limits: limits.clone(),
        pending_pop: false,
    })
}

/// The next event; refuses DTDs and reports XML errors with their position.
pub(crate) fn next<'i>(reader: &mut XmlReader<'i>) -> Result<Event<'i>, SoapError> {
    match reader.read_event()? {
        Event::DocType(_) => Err(SoapError::Doctype),
        event => Ok(event),
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

fn undeclared(position: u64, name: QName<'_>) -> SoapError {
    let prefix = name.prefix().map(|p| p.into_inner()).unwrap_or_default();
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
        Resolved::Bound(ns) => Some(ns),
        _ => None,
    };
    (ns, local)
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
            Event::Start(_) => depth += 1,
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
