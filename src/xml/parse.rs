//! The XML parser: one pass of quick-xml's namespace-aware reader building a [`Document`].
//!
//! Security and fidelity rules enforced here: DOCTYPE declarations are refused outright (no
//! DTD means no external entities and no entity expansion), only the five predefined entities
//! and character references are resolved, unbound prefixes are errors, line ends are
//! normalised to `\n` and every element records its source line. Every start tag and text is
//! checked against [`XmlLimits`] (depth, attributes, namespace declarations, name and text
//! lengths) and prefixes are resolved by hash lookup ([`Namespaces`]), so parsing takes time
//! proportional to the input.

use std::borrow::Cow;

use baton_transports::xml::{NamespaceError, Namespaces, Resolved, StartTagError, XmlLimits};
use quick_xml::escape::{unescape, EscapeError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::document::{Attribute, Document, NodeId, NodeKind};
use super::qname::QName;
use super::Error;

/// Parser settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Bounds on what the document may contain.
    pub limits: XmlLimits,
    /// Keep whitespace-only text between elements (it is always kept when it is the only
    /// content of an element).
    pub keep_whitespace_text: bool,
    /// Accept a forest: any number of top-level elements and text.
    pub fragment: bool,
}

/// Parses a complete document with default options.
pub fn parse(input: &[u8]) -> Result<Document, Error> {
    parse_with(input, &ParseOptions::default())
}

/// Parses a fragment (several top-level elements and text allowed) with default options.
pub fn parse_fragment(input: &[u8]) -> Result<Document, Error> {
    parse_with(
        input,
        &ParseOptions {
            fragment: true,
            ..ParseOptions::default()
        },
    )
}

/// Parses XML (in any encoding [`super::encoding::decode`] understands) with the given
/// options.
pub fn parse_with(input: &[u8], options: &ParseOptions) -> Result<Document, Error> {
    let decoded = super::encoding::decode(input).map_err(|message| {
        let valid = std::str::from_utf8(input).map_or_else(|e| e.valid_up_to(), |_| 0);
        let (line, column) = Lines::new("").locate_in(input, valid);
        Error::Syntax {
            line,
            column,
            message,
        }
    })?;
    parse_text(&decoded, options)
}

/// Parses XML that is already text (its declaration's encoding, if any, is not applied
/// again).
pub fn parse_text(text: &str, options: &ParseOptions) -> Result<Document, Error> {
    Parser {
        reader: Reader::from_str(text),
        namespaces: Namespaces::default(),
        lines: Lines::new(text),
        doc: Document::new(),
        stack: Vec::new(),
        pending_space: None,
        options,
        top_elements: 0,
    }
    .run()
}

/// Incremental byte offset to line/column conversion.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn locate_in(&mut self, bytes: &[u8], offset: usize) -> (u32, u32) {
        let offset = offset.min(bytes.len());
        if offset < self.pos {
            *self = Lines::new(self.text);
        }
        for (i, &b) in bytes[self.pos..offset].iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = offset;
        (self.line, (offset - self.line_start) as u32 + 1)
    }

    fn at(&mut self, offset: u64) -> (u32, u32) {
        let text = self.text;
        self.locate_in(text.as_bytes(), offset as usize)
    }
}

struct Parser<'a, 'o> {
    reader: Reader<&'a [u8]>,
    namespaces: Namespaces,
    lines: Lines<'a>,
    doc: Document,
    /// Open elements.
    stack: Vec<NodeId>,
    /// Whitespace-only text not yet known to be significant.
    pending_space: Option<String>,
    options: &'o ParseOptions,
    top_elements: usize,
}

impl Parser<'_, '_> {
    fn run(mut self) -> Result<Document, Error> {
        loop {
            let start = self.reader.buffer_position();
            let (line, column) = self.lines.at(start);
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let (line, column) = self.lines.at(self.reader.error_position());
                    return Err(convert_error(e, line, column));
                }
            };
            match &event {
                Event::Text(t) => self.check_text(t.len(), line)?,
                Event::CData(t) => self.check_text(t.len(), line)?,
                _ => {}
            }
            match event {
                Event::Start(e) => {
                    let id = self.element(&e, line, column)?;
                    self.stack.push(id);
                }
                Event::Empty(e) => {
                    self.element(&e, line, column)?;
                    self.namespaces.pop();
                }
                Event::End(_) => {
                    self.namespaces.pop();
                    let id = self.stack.pop().expect("reader checks end tags");
                    if let Some(space) = self.pending_space.take() {
                        if self.options.keep_whitespace_text || self.doc.first_child(id).is_none() {
                            self.doc.push_child(id, NodeKind::Text(space), line);
                        }
                    }
                }
                Event::Text(t) => {
                    let raw = utf8(&t);
                    let unescaped = unescape(&normalize_newlines(raw))
                        .map_err(|e| escape_error(e, line, column))?
                        .into_owned();
                    self.text(unescaped, line, column)?;
                }
                Event::CData(c) => {
                    let raw = utf8(&c);
                    self.text(normalize_newlines(raw).into_owned(), line, column)?;
                }
                Event::Comment(c) => {
                    let raw = utf8(&c);
                    self.flush_space(line);
                    let kind = NodeKind::Comment(normalize_newlines(raw).into_owned());
                    self.doc.push_child(self.parent(), kind, line);
                }
                Event::PI(pi) => {
                    self.flush_space(line);
                    let target = utf8(pi.target());
                    let data = utf8(pi.content());
                    let kind = NodeKind::ProcessingInstruction {
                        target: target.to_owned(),
                        data: normalize_newlines(data.trim_start()).into_owned(),
                    };
                    self.doc.push_child(self.parent(), kind, line);
                }
                Event::Decl(_) => {}
                Event::DocType(_) => return Err(Error::DtdNotAllowed { line }),
                Event::Eof => break,
            }
        }
        let (line, column) = self.lines.at(self.reader.buffer_position());
        if let Some(&open) = self.stack.last() {
            let name = self
                .doc
                .name(open)
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(Error::Syntax {
                line,
                column,
                message: format!("element '{name}' is not closed"),
            });
        }
        if !self.options.fragment && self.top_elements == 0 {
            return Err(Error::Syntax {
                line,
                column,
                message: "no document element".into(),
            });
        }
        if self.options.fragment {
            self.flush_space(line);
        }
        Ok(self.doc)
    }

    fn parent(&self) -> NodeId {
        self.stack.last().copied().unwrap_or(self.doc.root())
    }

    /// Materialises pending whitespace when it separates nodes the caller keeps.
    fn flush_space(&mut self, line: u32) {
        if let Some(space) = self.pending_space.take() {
            if self.options.keep_whitespace_text {
                self.append_text(space, line);
            }
        }
    }

    fn append_text(&mut self, text: String, line: u32) {
        let parent = self.parent();
        if let Some(last) = self.doc.last_child(parent) {
            if let NodeKind::Text(existing) = &mut self.doc.nodes[last.index()].kind {
                existing.push_str(&text);
                return;
            }
        }
        self.doc.push_child(parent, NodeKind::Text(text), line);
    }

    fn text(&mut self, text: String, line: u32, column: u32) -> Result<(), Error> {
        if text.is_empty() {
            return Ok(());
        }
        let parent = self.parent();
        let after_text = self
            .doc
            .last_child(parent)
            .is_some_and(|c| self.doc.text(c).is_some());
        if text.chars().all(is_xml_space) && !after_text {
            self.pending_space
                .get_or_insert_with(String::new)
                .push_str(&text);
            return Ok(());
        }
        if self.stack.is_empty() && !self.options.fragment {
            return Err(Error::Syntax {
                line,
                column,
                message: "text outside the document element".into(),
            });
        }
        let text = match self.pending_space.take() {
            Some(mut space) => {
                space.push_str(&text);
                space
            }
            None => text,
        };
        self.append_text(text, line);
        Ok(())
    }

    fn check_text(&self, length: usize, line: u32) -> Result<(), Error> {
        self.options
            .limits
            .check_text(length)
            .map_err(|source| Error::Limit { line, source })
    }

    fn element(&mut self, start: &BytesStart, line: u32, column: u32) -> Result<NodeId, Error> {
        let options = self.options;
        let limits = &options.limits;
        let tag = limits
            .check_start(start, self.stack.len())
            .map_err(|error| match error {
                StartTagError::Limit(source) => Error::Limit { line, source },
                StartTagError::Syntax(message) => Error::Syntax {
                    line,
                    column,
                    message,
                },
            })?;
        self.flush_space(line);
        if self.stack.is_empty() {
            self.top_elements += 1;
            if self.top_elements > 1 && !self.options.fragment {
                return Err(Error::Syntax {
                    line,
                    column,
                    message: "more than one document element".into(),
                });
            }
        }
        let qname = start.name();
        let local = utf8(qname.local_name().into_inner());
        let prefix = qname.prefix().map(|p| utf8(p.into_inner()).to_owned());
        let value_of = |raw: &[u8]| -> Result<String, Error> {
            Ok(unescape(&normalize_attribute(utf8(raw)))
                .map_err(|e| escape_error(e, line, column))?
                .into_owned())
        };
        let mut namespaces = Vec::with_capacity(tag.declarations.len());
        for (declared, attr) in &tag.declarations {
            namespaces.push((declared.map(|p| utf8(p).to_owned()), value_of(&attr.value)?));
        }
        let in_scope = namespaces.iter().map(|(p, v): &(Option<String>, String)| {
            (p.as_deref().map(str::as_bytes), v.as_bytes())
        });
        self.namespaces
            .push(in_scope, limits)
            .map_err(|error| match error {
                NamespaceError::Limit(source) => Error::Limit { line, source },
                NamespaceError::Reserved(message) => Error::Syntax {
                    line,
                    column,
                    message,
                },
            })?;
        let ns = namespace_of(self.namespaces.resolve_name(qname, true), qname, line)?;
        let mut attributes = Vec::with_capacity(tag.attributes.len());
        for attr in &tag.attributes {
            let resolved = self.namespaces.resolve_name(attr.key, false);
            attributes.push(Attribute {
                name: QName::new(
                    namespace_of(resolved, attr.key, line)?,
                    utf8(attr.key.local_name().into_inner()),
                ),
                prefix: attr.key.prefix().map(|p| utf8(p.into_inner()).to_owned()),
                value: value_of(&attr.value)?,
            });
        }
        let kind = NodeKind::Element {
            name: QName::new(ns, local),
            prefix,
            attributes,
            namespaces,
        };
        let id = self.doc.push_child(self.parent(), kind, line);
        self.doc.register_attributes(id);
        Ok(id)
    }
}

/// Views a slice of the (already validated) UTF-8 input as text.
fn utf8(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("input was validated as UTF-8")
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn namespace_of(
    resolved: Resolved<'_>,
    name: quick_xml::name::QName<'_>,
    line: u32,
) -> Result<String, Error> {
    match resolved {
        Resolved::Bound(ns) => Ok(utf8(ns).to_owned()),
        Resolved::Unbound => Ok(String::new()),
        Resolved::Unknown => Err(Error::UnboundPrefix {
            line,
            prefix: name
                .prefix()
                .map(|p| utf8(p.into_inner()).to_owned())
                .unwrap_or_default(),
        }),
    }
}

/// XML end-of-line handling: `\r\n` and lone `\r` become `\n`.
fn normalize_newlines(raw: &str) -> Cow<'_, str> {
    if raw.contains('\r') {
        Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(raw)
    }
}

/// Attribute-value normalisation: literal whitespace characters become spaces (character
/// references are resolved afterwards, so `&#10;` survives).
fn normalize_attribute(raw: &str) -> Cow<'_, str> {
    if raw.contains(['\t', '\n', '\r']) {
        Cow::Owned(raw.replace("\r\n", " ").replace(['\t', '\n', '\r'], " "))
    } else {
        Cow::Borrowed(raw)
    }
}

fn escape_error(e: EscapeError, line: u32, column: u32) -> Error {
    match e {
        EscapeError::UnrecognizedEntity(_, name) => Error::UnknownEntity { line, name },
        other => Error::Syntax {
            line,
            column,
            message: other.to_string(),
        },
    }
}

fn convert_error(e: quick_xml::Error, line: u32, column: u32) -> Error {
    match e {
        quick_xml::Error::Escape(esc) => escape_error(esc, line, column),
        other => Error::Syntax {
            line,
            column,
            message: other.to_string(),
        },
    }
}
