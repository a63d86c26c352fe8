//! Cutting the children of an element out of a document as a standalone XML forest.
//!
//! SOAP clients often declare prefixes on the Envelope and use them inside the Body. Each
//! top-level element of a forest therefore gets a declaration for the namespace bindings in
//! scope at its parent that it uses and does not redeclare itself: the default namespace, and
//! every prefix the element mentions (in a name, or as `prefix:` in an attribute value or
//! text, where QName-valued content needs it). So the forest means the same on its own as it
//! did in place, without dragging along the envelope's own prefixes. Everything else is
//! copied through byte for byte; whitespace between the top-level elements is dropped.

use std::collections::HashSet;

use bytes::Bytes;
use quick_xml::escape::{escape, unescape};
use quick_xml::events::{BytesStart, Event};

use crate::error::SoapError;
use crate::soap::xml::{self, XmlReader};

/// Reads the children of the element whose start tag was just read, through its end tag, and
/// returns them as a standalone forest. `input` is the document the reader reads.
pub(crate) fn read_forest<'i>(
    reader: &mut XmlReader<'i>,
    input: &'i [u8],
) -> Result<Bytes, SoapError> {
    let inherited = inherited_bindings(reader)?;
    let mut out = Vec::new();
    let mut depth = 0usize;
    // Where the current top-level element starts in `out`, and where its inherited
    // declarations go once it is complete.
    let mut top = TopLevel::default();
    loop {
        let from = position(reader);
        let event = xml::next_in_element(reader)?;
        let raw = &input[from..position(reader)];
        match event {
            Event::Start(e) => {
                if depth == 0 {
                    top = write_top_level(&mut out, &e, false);
                } else {
                    out.extend_from_slice(raw);
                }
                depth += 1;
            }
            Event::Empty(e) => {
                if depth == 0 {
                    top = write_top_level(&mut out, &e, true);
                    declare_used(&mut out, &top, &inherited);
                } else {
                    out.extend_from_slice(raw);
                }
            }
            Event::End(_) if depth == 0 => return Ok(Bytes::from(out)),
            Event::End(_) => {
                depth -= 1;
                out.extend_from_slice(raw);
                if depth == 0 {
                    declare_used(&mut out, &top, &inherited);
                }
            }
            Event::Text(t) => {
                let at = reader.buffer_position();
                t.unescape().map_err(|e| SoapError::malformed(at, e))?;
                if depth > 0 {
                    out.extend_from_slice(raw);
                } else if !xml::is_blank(&t) {
                    return Err(text_outside_elements(&t));
                }
            }
            Event::CData(c) if depth == 0 => return Err(text_outside_elements(&c)),
            Event::CData(_) => out.extend_from_slice(raw),
            Event::Comment(_) | Event::PI(_) if depth > 0 => out.extend_from_slice(raw),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Decl(_) | Event::DocType(_) | Event::Eof => {
                return Err(xml::misplaced_declaration(reader))
            }
        }
    }
}

fn position(reader: &XmlReader<'_>) -> usize {
    // The input is an in-memory slice, so its positions fit in usize.
    reader.buffer_position() as usize
}

fn text_outside_elements(text: &[u8]) -> SoapError {
    let text = xml::lossy(text);
    let shown: String = text.trim().chars().take(40).collect();
    SoapError::UnexpectedContent(format!("character data '{shown}' outside of any element"))
}

/// A namespace binding in scope: the attribute name that declares it (`xmlns` or `xmlns:p`)
/// and the whole declaration, ready to write.
struct Binding {
    attribute: Vec<u8>,
    declaration: Vec<u8>,
}

/// The bindings in scope for the children of the element just started, undeclarations left out.
fn inherited_bindings(reader: &XmlReader<'_>) -> Result<Vec<Binding>, SoapError> {
    let mut bindings = Vec::new();
    for (prefix, namespace) in reader.prefixes() {
        let attribute = match prefix {
            None => b"xmlns".to_vec(),
            Some(p) => [b"xmlns:", p].concat(),
        };
        let raw = xml::lossy(namespace);
        let value = unescape(&raw)
            .map_err(|e| SoapError::malformed(reader.buffer_position(), e))?
            .into_owned();
        let mut declaration = Vec::with_capacity(attribute.len() + value.len() + 4);
        declaration.push(b' ');
        declaration.extend_from_slice(&attribute);
        declaration.extend_from_slice(b"=\"");
        declaration.extend_from_slice(escape(value.as_str()).as_bytes());
        declaration.push(b'"');
        bindings.push(Binding {
            attribute,
            declaration,
        });
    }
    Ok(bindings)
}

/// A top-level element being copied.
#[derive(Default)]
struct TopLevel {
    /// Where it starts in the output.
    start: usize,
    /// Where its start tag's attributes end: inherited declarations go there.
    declarations_at: usize,
    /// The attribute names its start tag has, declarations included.
    attributes: HashSet<Vec<u8>>,
}

/// Writes a top-level start tag as it is; [`declare_used`] adds inherited declarations
/// once the element is complete.
fn write_top_level(out: &mut Vec<u8>, start: &BytesStart<'_>, empty: bool) -> TopLevel {
    let begin = out.len();
    out.push(b'<');
    out.extend_from_slice(start.as_ref().trim_ascii_end());
    let declarations_at = out.len();
    out.extend_from_slice(if empty { b"/>" } else { b">" });
    TopLevel {
        start: begin,
        declarations_at,
        attributes: start
            .attributes()
            .with_checks(false)
            .flatten()
            .map(|a| a.key.as_ref().to_vec())
            .collect(),
    }
}

/// Declares on the complete top-level element `top` the inherited bindings it uses and does
/// not declare itself.
fn declare_used(out: &mut Vec<u8>, top: &TopLevel, inherited: &[Binding]) {
    let element = &out[top.start..];
    let mentioned = mentioned_prefixes(element);
    let mut declarations = Vec::new();
    for binding in inherited {
        if top.attributes.contains(&binding.attribute) {
            continue;
        }
        let used = match binding.attribute.strip_prefix(b"xmlns:") {
            Some(prefix) => mentioned.contains(prefix),
            None => true,
        };
        if used {
            declarations.extend_from_slice(&binding.declaration);
        }
    }
    out.splice(top.declarations_at..top.declarations_at, declarations);
}

/// Every `prefix` that `text` has as `prefix:` where a name may start, found in one pass: the
/// runs of name characters that a colon ends.
fn mentioned_prefixes(text: &[u8]) -> HashSet<&[u8]> {
    let is_name_byte =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') || b >= 0x80;
    let mut prefixes = HashSet::new();
    let mut run_start = None;
    for (at, &byte) in text.iter().enumerate() {
        match run_start {
            _ if is_name_byte(byte) => {
                run_start.get_or_insert(at);
            }
            Some(start) => {
                if byte == b':' {
                    prefixes.insert(&text[start..at]);
                }
                run_start = None;
            }
            None => {}
        }
    }
    prefixes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forest of the first child of the document element.
    fn forest_of_first_child(doc: &str) -> Result<String, SoapError> {
        let mut reader = xml::reader(doc.as_bytes())?;
        let mut starts = 0;
        loop {
            if let Event::Start(_) = xml::next_in_element(&mut reader)? {
                starts += 1;
                if starts == 2 {
                    let forest = read_forest(&mut reader, doc.as_bytes())?;
                    return Ok(String::from_utf8(forest.to_vec()).unwrap());
                }
            }
        }
    }

    #[test]
    fn ancestor_bindings_are_declared_on_each_top_level_element() {
        let doc = r#"<r xmlns:a="urn:a" xmlns="urn:d"><b xmlns:c="urn:c">
            <a:x><c:y/></a:x>
            <z a:at="1"/>
        </b></r>"#;
        let forest = forest_of_first_child(doc).unwrap();
        assert_eq!(
            forest,
            r#"<a:x xmlns:a="urn:a" xmlns="urn:d" xmlns:c="urn:c"><c:y/></a:x><z a:at="1" xmlns:a="urn:a" xmlns="urn:d"/>"#
        );
    }

    #[test]
    fn unused_ancestor_prefixes_are_left_behind_and_qname_content_keeps_its_own() {
        let doc = r#"<env:r xmlns:env="urn:env" xmlns:t="urn:t" xmlns:u="urn:u"><env:b>
            <x type="t:thing">u:value</x><y>plain</y>
        </env:b></env:r>"#;
        assert_eq!(
            forest_of_first_child(doc).unwrap(),
            r#"<x type="t:thing" xmlns:t="urn:t" xmlns:u="urn:u">u:value</x><y>plain</y>"#
        );
    }

    #[test]
    fn own_declarations_win_over_inherited_ones() {
        let doc =
            r#"<r xmlns:a="urn:a" xmlns="urn:d"><b><a:x xmlns:a="urn:other" xmlns=""/></b></r>"#;
        assert_eq!(
            forest_of_first_child(doc).unwrap(),
            r#"<a:x xmlns:a="urn:other" xmlns=""/>"#
        );
    }

    #[test]
    fn default_undeclaration_in_scope_is_not_copied() {
        let doc = r#"<r xmlns="urn:d"><b xmlns=""><x/></b></r>"#;
        assert_eq!(forest_of_first_child(doc).unwrap(), "<x/>");
    }

    #[test]
    fn inner_content_is_copied_verbatim() {
        let doc = "<r><b><x>a &amp; b<!-- c --><![CDATA[<d>]]><?pi x?><y\n k='v' /></x></b></r>";
        assert_eq!(
            forest_of_first_child(doc).unwrap(),
            "<x>a &amp; b<!-- c --><![CDATA[<d>]]><?pi x?><y\n k='v' /></x>"
        );
    }

    #[test]
    fn namespace_values_are_reescaped() {
        let doc = r#"<r xmlns:q='urn:"q"&amp;'><b><q:x/></b></r>"#;
        assert_eq!(
            forest_of_first_child(doc).unwrap(),
            r#"<q:x xmlns:q="urn:&quot;q&quot;&amp;"/>"#
        );
    }

    #[test]
    fn empty_and_whitespace_only_parents_give_empty_forests() {
        assert_eq!(
            forest_of_first_child("<r><b>\n  <!-- none -->\n</b></r>").unwrap(),
            ""
        );
        assert_eq!(forest_of_first_child("<r><b></b></r>").unwrap(), "");
    }

    #[test]
    fn text_between_top_level_elements_is_refused() {
        let err = forest_of_first_child("<r><b><x/>stray</b></r>").unwrap_err();
        assert!(matches!(err, SoapError::UnexpectedContent(_)), "{err}");
    }

    #[test]
    fn undeclared_prefixes_and_unknown_entities_are_refused() {
        for doc in [
            "<r><b><p:x/></b></r>",
            "<r><b><x>&lol;</x></b></r>",
            "<r><b><x a='&e;'/></b></r>",
        ] {
            let err = forest_of_first_child(doc).unwrap_err();
            assert!(matches!(err, SoapError::Malformed { .. }), "{doc}: {err}");
        }
    }

    #[test]
    fn mismatched_end_tags_are_refused() {
        let err = forest_of_first_child("<r><b><x></y></b></r>").unwrap_err();
        assert!(matches!(err, SoapError::Malformed { .. }), "{err}");
    }
}
