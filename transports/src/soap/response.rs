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

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::soap::{write_envelope, write_fault, FaultCode, SoapFault};

    /// The detail as read back: the envelope's own prefix is not carried along, as the
    /// detail does not use it.
    fn detail_read_back() -> Option<Bytes> {
        Some(Bytes::from_static(
            b"<o:item xmlns:o=\"urn:orders\">42</o:item>",
        ))
    }

    fn bpel_fault() -> SoapFault {
        SoapFault {
            code: FaultCode::Sender,
            subcode: Some(("urn:orders".into(), "outOfStock".into())),
            reason: "no <widgets> & no gadgets".into(),
            detail: Some(Bytes::from_static(
                b"<o:item xmlns:o=\"urn:orders\">42</o:item>",
            )),
        }
    }

    #[test]
    fn soap12_faults_round_trip() {
        let fault = bpel_fault();
        let written = write_fault(SoapVersion::Soap12, &fault);
        let read = parse_response(SoapVersion::Soap12, &written).unwrap();
        let detail = detail_read_back();
        assert_eq!(read, Response::Fault(SoapFault { detail, ..fault }));
    }

    #[test]
    fn soap11_faults_carry_the_fault_qname_as_faultcode() {
        let written = write_fault(SoapVersion::Soap11, &bpel_fault());
        let text = std::str::from_utf8(&written).unwrap();
        assert!(text.contains(r#"<faultcode xmlns:f="urn:orders">f:outOfStock</faultcode>"#));
        let Response::Fault(read) = parse_response(SoapVersion::Soap11, &written).unwrap() else {
            panic!("not a fault: {text}");
        };
        assert_eq!(read.code, FaultCode::Receiver);
        assert_eq!(read.subcode, bpel_fault().subcode);
        assert_eq!(read.reason, bpel_fault().reason);
        assert_eq!(read.detail, detail_read_back());
    }

    #[test]
    fn generic_codes_round_trip() {
        for version in [SoapVersion::Soap11, SoapVersion::Soap12] {
            for code in [
                FaultCode::Sender,
                FaultCode::Receiver,
                FaultCode::MustUnderstand,
            ] {
                let fault = SoapFault::new(code, "why");
                let read = parse_response(version, &write_fault(version, &fault)).unwrap();
                assert_eq!(read, Response::Fault(fault), "{version}");
            }
        }
    }

    #[test]
    fn faults_from_other_stacks_are_read() {
        let doc = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
            <S:Fault xmlns:ns4="http://www.w3.org/2003/05/soap-envelope">
              <faultcode>S:Client.Auth</faultcode><faultstring xml:lang="en">denied</faultstring>
              <faultactor/><detail/>
            </S:Fault></S:Body></S:Envelope>"#;
        let expected = SoapFault {
            code: FaultCode::Sender,
            subcode: None,
            reason: "denied".into(),
            detail: Some(Bytes::new()),
        };
        assert_eq!(
            parse_response(SoapVersion::Soap11, doc.as_bytes()).unwrap(),
            Response::Fault(expected)
        );
    }

    #[test]
    fn incomplete_faults_are_refused() {
        let doc = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultstring>x</faultstring></S:Fault></S:Body></S:Envelope>"#;
        let err = parse_response(SoapVersion::Soap11, doc.as_bytes()).unwrap_err();
        assert!(matches!(err, SoapError::InvalidFault(_)), "{err}");
        let doc = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>q:x</faultcode><faultstring/></S:Fault></S:Body></S:Envelope>"#;
        let err = parse_response(SoapVersion::Soap11, doc.as_bytes()).unwrap_err();
        assert!(matches!(err, SoapError::InvalidFault(_)), "{err}");
    }

    #[test]
    fn replies_and_versions() {
        let doc = write_envelope(SoapVersion::Soap11, b"", b"<r xmlns=\"urn:r\"/>");
        let expected = Response::Reply {
            body: Bytes::from_static(b"<r xmlns=\"urn:r\"/>"),
            headers: Bytes::new(),
        };
        assert_eq!(parse_response(SoapVersion::Soap11, &doc).unwrap(), expected);
        let err = parse_response(SoapVersion::Soap12, &doc).unwrap_err();
        assert!(matches!(err, SoapError::VersionMismatch { .. }));
    }
}
