//! Reading and writing SOAP envelopes.
//!
//! [`parse_envelope`] checks what an inbound message is (version, action, well-formedness, no
//! DTD) and cuts its Header and Body children out as standalone forests in one streaming pass;
//! [`write_envelope`] wraps forests back into an envelope.

use bytes::Bytes;
use quick_xml::events::{BytesDecl, BytesStart, Event};

use crate::error::SoapError;
use crate::message::Request;
use crate::soap::content_type::{soap_action, ContentType};
use crate::soap::xml::{self, XmlReader};
use crate::soap::{forest, SoapVersion};
use crate::xml::XmlLimits;

/// A SOAP envelope taken apart: everything of a [`Request`] but its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The SOAP version, from the envelope namespace.
    pub version: SoapVersion,
    /// The action: the SOAP 1.2 `action` media type parameter, else the SOAPAction header.
    pub action: Option<String>,
    /// The Header children as a standalone forest (empty without a Header).
    pub headers: Bytes,
    /// The Body children as a standalone forest.
    pub body: Bytes,
}

impl Envelope {
    /// The request this envelope makes when it arrives at `address`.
    pub fn into_request(self, address: impl Into<String>) -> Request {
        Request {
            address: address.into(),
            action: self.action,
            version: self.version,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// Reads a SOAP envelope within the default [`XmlLimits`].
///
/// When `content_type` is given it must be a SOAP media type in UTF-8 and agree with the
/// envelope's version. `action_header` is the SOAPAction HTTP header, if any.
pub fn parse_envelope(
    content_type: Option<&str>,
    action_header: Option<&str>,
    body: &[u8],
) -> Result<Envelope, SoapError> {
    parse_envelope_with(&XmlLimits::default(), content_type, action_header, body)
}

/// Reads a SOAP envelope as [`parse_envelope`] does, within `limits`; a UTF-8 byte-order mark
/// before it is skipped.
pub fn parse_envelope_with(
    limits: &XmlLimits,
    content_type: Option<&str>,
    action_header: Option<&str>,
    body: &[u8],
) -> Result<Envelope, SoapError> {
    let declared = content_type.map(ContentType::parse).transpose()?;
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let mut reader = xml::reader_with(body, limits)?;
    let root = read_prolog(&mut reader)?;
    let version = envelope_version(&reader, &root.0)?;
    if let Some(declared) = &declared {
        if declared.version != version {
            return Err(SoapError::VersionMismatch {
                expected: declared.version,
                found: version,
            });
        }
    }
    if root.1 {
        return Err(SoapError::MissingBody);
    }
    let (headers, body_forest) = read_children(&mut reader, body, version)?;
    read_epilog(&mut reader)?;
    let action = declared
        .and_then(|d| d.action)
        .or_else(|| action_header.and_then(soap_action));
    Ok(Envelope {
        version,
        action,
        headers,
        body: body_forest,
    })
}

/// The UTF-8 encoding of U+FEFF, which some clients put before the XML.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads up to the document element; returns its start tag and whether it is empty.
fn read_prolog<'i>(reader: &mut XmlReader<'i>) -> Result<(BytesStart<'i>, bool), SoapError> {
    let mut first = true;
    loop {
        match xml::next(reader)? {
            Event::Decl(decl) if first => check_declaration(reader, &decl)?,
            Event::Start(e) => return Ok((e, false)),
            Event::Empty(e) => return Ok((e, true)),
            Event::Text(t) if xml::is_blank(&t) => {}
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => return Err(SoapError::malformed(0, "the message has no XML element")),
            Event::Decl(_) => return Err(xml::misplaced_declaration(reader)),
            _ => {
                let at = reader.buffer_position();
                return Err(SoapError::malformed(
                    at,
                    "content before the document element",
                ));
            }
        }
        first = false;
    }
}

fn check_declaration(reader: &XmlReader<'_>, decl: &BytesDecl<'_>) -> Result<(), SoapError> {
    match decl.encoding() {
        None => Ok(()),
        Some(Err(e)) => Err(SoapError::malformed(reader.buffer_position(), e)),
        Some(Ok(encoding)) => {
            let encoding = xml::lossy(&encoding);
            if encoding.eq_ignore_ascii_case("utf-8") || encoding.eq_ignore_ascii_case("us-ascii") {
                Ok(())
            } else {
                Err(SoapError::UnsupportedEncoding(format!(
                    "the XML declaration names '{encoding}'; only UTF-8 is supported"
                )))
            }
        }
    }
}

/// The SOAP version of the document element, which must be an Envelope.
fn envelope_version(
    reader: &XmlReader<'_>,
    root: &BytesStart<'_>,
) -> Result<SoapVersion, SoapError> {
    match xml::element_name(reader, root.name()) {
        (Some(ns), b"Envelope") => SoapVersion::from_namespace(ns)
            .ok_or_else(|| SoapError::UnknownEnvelopeNamespace(xml::lossy(ns).into_owned())),
        _ => Err(SoapError::NotAnEnvelope(
            xml::lossy(root.name().as_ref()).into_owned(),
        )),
    }
}

/// Reads the children of the Envelope through its end tag: an optional Header, then the Body
/// (anything after the Body is checked and skipped, as SOAP 1.1 allows).
fn read_children<'i>(
    reader: &mut XmlReader<'i>,
    input: &'i [u8],
    version: SoapVersion,
) -> Result<(Bytes, Bytes), SoapError> {
    let mut headers = None;
    let mut body = None;
    loop {
        let (start, empty) = match xml::next_in_element(reader)? {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => break,
            Event::Text(t) if xml::is_blank(&t) => continue,
            Event::Comment(_) | Event::PI(_) => continue,
            Event::Decl(_) => return Err(xml::misplaced_declaration(reader)),
            _ => {
                let what = "character data directly inside the Envelope";
                return Err(SoapError::UnexpectedContent(what.into()));
            }
        };
        let in_envelope_ns = matches!(
            xml::element_name(reader, start.name()),
            (Some(ns), _) if ns == version.namespace().as_bytes()
        );
        let local = start.local_name();
        let forest = |reader: &mut XmlReader<'i>| {
            if empty {
                Ok(Bytes::new())
            } else {
                forest::read_forest(reader, input)
            }
        };
        match (in_envelope_ns, local.as_ref(), &headers, &body) {
            (true, b"Header", None, None) => headers = Some(forest(reader)?),
            (true, b"Body", _, None) => body = Some(forest(reader)?),
            (_, _, _, Some(_)) if !empty => xml::skip_element(reader)?,
            (_, _, _, Some(_)) => {}
            _ => {
                return Err(SoapError::UnexpectedContent(format!(
                    "element '{}' where the SOAP Header or Body was expected",
                    xml::lossy(start.name().as_ref())
                )))
            }
        }
    }
    let body = body.ok_or(SoapError::MissingBody)?;
    Ok((headers.unwrap_or_default(), body))
}

/// Reads what follows the document element: only comments, processing instructions and
/// whitespace may.
fn read_epilog(reader: &mut XmlReader<'_>) -> Result<(), SoapError> {
    loop {
        match xml::next(reader)? {
            Event::Eof => return Ok(()),
            Event::Text(t) if xml::is_blank(&t) => {}
            Event::Comment(_) | Event::PI(_) => {}
            _ => {
                let at = reader.buffer_position();
                return Err(SoapError::malformed(
                    at,
                    "content after the document element",
                ));
            }
        }
    }
}

/// An envelope of `version` wrapping the `headers` and `body` forests; the Header is left out
/// when `headers` is empty.
pub fn write_envelope(version: SoapVersion, headers: &[u8], body: &[u8]) -> Bytes {
    let p = version.prefix();
    let ns = version.namespace();
    let mut out = Vec::with_capacity(body.len() + headers.len() + 2 * ns.len() + 128);
    out.extend_from_slice(format!(r#"<{p}:Envelope xmlns:{p}="{ns}">"#).as_bytes());
    if !headers.is_empty() {
        out.extend_from_slice(format!("<{p}:Header>").as_bytes());
        out.extend_from_slice(headers);
        out.extend_from_slice(format!("</{p}:Header>").as_bytes());
    }
    out.extend_from_slice(format!("<{p}:Body>").as_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(format!("</{p}:Body></{p}:Envelope>").as_bytes());
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOAP11_CT: Option<&str> = Some("text/xml; charset=utf-8");

    fn text(bytes: &Bytes) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn soap11_header_and_body_become_standalone_forests() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
            <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
                              xmlns:hel="urn:hello">
              <soapenv:Header><hel:Trace id="7"/></soapenv:Header>
              <soapenv:Body>
                <hel:hello><hel:name>World</hel:name></hel:hello>
              </soapenv:Body>
            </soapenv:Envelope>"#;
        let env = parse_envelope(SOAP11_CT, Some("\"urn:hello:op\""), doc.as_bytes()).unwrap();
        assert_eq!(env.version, SoapVersion::Soap11);
        assert_eq!(env.action.as_deref(), Some("urn:hello:op"));
        // The envelope's own prefix is not used by the payload, so it is left behind.
        let ns = r#"xmlns:hel="urn:hello""#;
        assert_eq!(text(&env.headers), format!(r#"<hel:Trace id="7" {ns}/>"#));
        assert_eq!(
            text(&env.body),
            format!(r#"<hel:hello {ns}><hel:name>World</hel:name></hel:hello>"#)
        );
    }

    #[test]
    fn soap12_action_comes_from_the_content_type() {
        let doc = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x xmlns="urn:x"/></e:Body></e:Envelope>"#;
        let ct = Some(r#"application/soap+xml; charset=utf-8; action="urn:op""#);
        let env = parse_envelope(ct, Some("urn:ignored"), doc.as_bytes()).unwrap();
        assert_eq!(env.version, SoapVersion::Soap12);
        assert_eq!(env.action.as_deref(), Some("urn:op"));
        assert!(env.headers.is_empty());
        assert_eq!(text(&env.body), r#"<x xmlns="urn:x"/>"#);
        let request = env.into_request("/svc");
        assert_eq!(request.address, "/svc");
    }

    #[test]
    fn version_is_detected_without_a_content_type() {
        let doc = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#;
        let env = parse_envelope(None, None, doc.as_bytes()).unwrap();
        assert_eq!(env.version, SoapVersion::Soap12);
        assert!(env.body.is_empty());
    }

    #[test]
    fn written_envelopes_read_back() {
        for version in [SoapVersion::Soap11, SoapVersion::Soap12] {
            let doc = write_envelope(
                version,
                b"<h xmlns=\"urn:h\"/>",
                b"<b xmlns=\"urn:b\">1</b>",
            );
            let env = parse_envelope(Some(version.content_type()), None, &doc).unwrap();
            assert_eq!(env.version, version);
            assert_eq!(text(&env.headers), r#"<h xmlns="urn:h"/>"#);
            assert_eq!(text(&env.body), r#"<b xmlns="urn:b">1</b>"#);
        }
    }

    fn refusal(content_type: Option<&str>, doc: &str) -> SoapError {
        parse_envelope(content_type, None, doc.as_bytes()).unwrap_err()
    }

    #[test]
    fn dtds_are_refused() {
        let doc = r#"<!DOCTYPE e [<!ENTITY x "y">]><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>&x;</e:Body></e:Envelope>"#;
        assert!(matches!(refusal(None, doc), SoapError::Doctype));
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"#;
        assert!(matches!(refusal(None, laughs), SoapError::Doctype));
    }

    #[test]
    fn envelope_structure_is_checked() {
        let e11 = r#"xmlns:e="http://schemas.xmlsoap.org/soap/envelope/""#;
        type Expected = fn(&SoapError) -> bool;
        let cases: [(&str, Expected); 8] = [
            (
                "<notsoap/>",
                |e| matches!(e, SoapError::NotAnEnvelope(n) if n == "notsoap"),
            ),
            (
                r#"<e:Envelope xmlns:e="urn:other"><e:Body/></e:Envelope>"#,
                |e| matches!(e, SoapError::UnknownEnvelopeNamespace(_)),
            ),
            (&format!("<e:Envelope {e11}/>"), |e| {
                matches!(e, SoapError::MissingBody)
            }),
            (
                &format!("<e:Envelope {e11}><e:Header/></e:Envelope>"),
                |e| matches!(e, SoapError::MissingBody),
            ),
            (
                &format!("<e:Envelope {e11}><x/><e:Body/></e:Envelope>"),
                |e| matches!(e, SoapError::UnexpectedContent(_)),
            ),
            (
                &format!("<e:Envelope {e11}>hi<e:Body/></e:Envelope>"),
                |e| matches!(e, SoapError::UnexpectedContent(_)),
            ),
            (
                &format!("<e:Envelope {e11}><e:Body><a></e:Body></e:Envelope>"),
                |e| matches!(e, SoapError::Malformed { .. }),
            ),
            (
                &format!("<e:Envelope {e11}><e:Body/></e:Envelope><more/>"),
                |e| matches!(e, SoapError::Malformed { .. }),
            ),
        ];
        for (doc, expected) in cases {
            let err = refusal(None, doc);
            assert!(expected(&err), "{doc}: {err}");
        }
    }

    #[test]
    fn truncated_and_empty_documents_are_malformed() {
        let doc = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><a>"#;
        assert!(matches!(refusal(None, doc), SoapError::Malformed { .. }));
        assert!(matches!(refusal(None, "  "), SoapError::Malformed { .. }));
    }

    #[test]
    fn content_type_must_agree_with_the_envelope() {
        let doc = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#;
        let err = refusal(SOAP11_CT, doc);
        assert!(matches!(
            err,
            SoapError::VersionMismatch {
                expected: SoapVersion::Soap11,
                found: SoapVersion::Soap12
            }
        ));
        assert!(matches!(
            refusal(Some("application/json"), doc),
            SoapError::UnsupportedMediaType(_)
        ));
    }

    #[test]
    fn only_utf8_is_accepted() {
        let doc = r#"<?xml version="1.0" encoding="ISO-8859-1"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>"#;
        assert!(matches!(
            refusal(None, doc),
            SoapError::UnsupportedEncoding(_)
        ));
        let latin1 = b"<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body><x>\xe9</x></e:Body></e:Envelope>";
        let err = parse_envelope(None, None, latin1).unwrap_err();
        assert!(matches!(err, SoapError::UnsupportedEncoding(_)));
    }

    #[test]
    fn refusals_become_sender_faults_saying_why() {
        let doc = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><a></b></e:Body></e:Envelope>"#;
        let fault = refusal(None, doc).to_fault();
        assert_eq!(fault.code, crate::soap::FaultCode::Sender);
        assert!(
            fault.reason.starts_with("malformed XML"),
            "{}",
            fault.reason
        );
        let fault = refusal(None, r#"<e:Envelope xmlns:e="urn:x"/>"#).to_fault();
        assert_eq!(fault.code, crate::soap::FaultCode::VersionMismatch);
    }
}
