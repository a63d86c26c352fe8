//! SOAP header blocks a receiver must understand: those whose `mustUnderstand` attribute (in
//! the envelope's namespace) is `1` or `true`.

use quick_xml::events::Event;

use crate::error::SoapError;
use crate::soap::xml;
use crate::soap::{Envelope, SoapVersion};
use crate::xml::Resolved;

/// The (namespace, local name) of each header block of `envelope` marked `mustUnderstand`
/// that `understood` does not accept: a request carrying any is answered with the
/// MustUnderstand fault and not dispatched, whatever its transport.
pub fn not_understood(
    envelope: &Envelope,
    understood: impl Fn(&str, &str) -> bool,
) -> Result<Vec<(String, String)>, SoapError> {
    let mut mandatory = mandatory_headers(envelope.version, &envelope.headers)?;
    mandatory.retain(|(ns, local)| !understood(ns, local));
    Ok(mandatory)
}

/// The (namespace, local name) of each top-level element of the header forest `headers`
/// that is marked `mustUnderstand` for `version`.
fn mandatory_headers(
    version: SoapVersion,
    headers: &[u8],
) -> Result<Vec<(String, String)>, SoapError> {
    let mut wrapped = Vec::with_capacity(headers.len() + 7);
    wrapped.extend_from_slice(b"<h>");
    wrapped.extend_from_slice(headers);
    wrapped.extend_from_slice(b"</h>");
    let mut reader = xml::reader(&wrapped)?;
    let envelope_ns = version.namespace().as_bytes();
    let mut mandatory = Vec::new();
    let mut depth = 0usize;
    loop {
        let (start, empty) = match xml::next(&mut reader)? {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Eof => return Ok(mandatory),
            _ => continue,
        };
        if depth == 1 {
            let marked = start
                .attributes()
                .with_checks(false)
                .flatten()
                .any(|attribute| {
                    let (ns, local) = reader.resolve_attribute(attribute.key);
                    let value = xml::lossy(&attribute.value);
                    ns == Resolved::Bound(envelope_ns)
                        && local == b"mustUnderstand"
                        && matches!(value.trim(), "1" | "true")
                });
            if marked {
                let (ns, local) = xml::element_name(&reader, start.name());
                let ns = ns.map(|ns| xml::lossy(ns).into_owned()).unwrap_or_default();
                mandatory.push((ns, xml::lossy(local).into_owned()));
            }
        }
        if !empty {
            depth += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_marked_in_the_envelope_namespace_are_mandatory() {
        let headers = br#"<a:x xmlns:a="urn:a" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:mustUnderstand="1"><a:inner s:mustUnderstand="1"/></a:x><b xmlns="urn:b" xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:mustUnderstand="0"/><c xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:mustUnderstand=" true "/><d mustUnderstand="1"/>"#;
        assert_eq!(
            mandatory_headers(SoapVersion::Soap11, headers).unwrap(),
            [
                ("urn:a".to_owned(), "x".to_owned()),
                (String::new(), "c".to_owned())
            ]
        );
        assert!(mandatory_headers(SoapVersion::Soap12, headers)
            .unwrap()
            .is_empty());
    }
}
