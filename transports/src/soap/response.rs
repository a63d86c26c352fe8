//! Reading the reply to an outbound call: either a reply envelope or a fault.

use quick_xml::events::Event;

use crate::error::SoapError;
use crate::message::Response;
use crate::soap::xml::{self, XmlReader};
use crate::soap::{fault, parse_envelope, SoapVersion};

/// Reads a reply envelope of `version`: a Body holding a single Fault element becomes
/// [`Response::Fault`], anything else [`Response::Reply`].
pub fn parse_response(version: SoapVersion, bytes: &[u8]) -> Result<Response, SoapError> {
    let envelope = parse_envelope(None, None, bytes)?;
    if envelope.version != version {
        return Err(SoapError::VersionMismatch {
            expected: version,
            found: envelope.version,
        });
    }
    let mut reader = xml::reader(&envelope.body)?;
    match first_element(&mut reader, version)? {
        Some(FirstElement::Fault) => {
            let fault = fault::read_fault(&mut reader, &envelope.body, version)?;
            Ok(Response::Fault(fault))
        }
        Some(FirstElement::EmptyFault) => {
            Err(SoapError::InvalidFault("it has no fault code".into()))
        }
        None => Ok(Response::Reply {
            body: envelope.body,
            headers: envelope.headers,
        }),
    }
}

enum FirstElement {
    Fault,
    EmptyFault,
}

/// Moves to the first element of a body forest; tells whether it is a SOAP Fault.
fn first_element(
    reader: &mut XmlReader<'_>,
    version: SoapVersion,
) -> Result<Option<FirstElement>, SoapError> {
    loop {
        let (start, empty) = match xml::next(reader)? {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::Eof => return Ok(None),
            _ => continue,
        };
        let is_fault = matches!(
            xml::element_name(reader, start.name()),
            (Some(ns), b"Fault") if ns == version.namespace().as_bytes()
        );
        return Ok(match (is_fault, empty) {
            (false, _) => None,
            (true, false) => Some(FirstElement::Fault),
            (true, true) => Some(FirstElement::EmptyFault),
        });
    }
}
