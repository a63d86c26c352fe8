//! SOAP faults: the [`SoapFault`] model, writing it as a SOAP 1.1 or 1.2 envelope, and reading
//! it back from the Body of a reply.
//!
//! The subcode carries an application fault's QName (for BPEL, the fault name). SOAP 1.2 has a
//! place for it (Code/Subcode/Value); in SOAP 1.1 it becomes the faultcode itself, so the
//! generic code does not survive a SOAP 1.1 round trip: a faultcode outside the envelope
//! namespace reads back as [`FaultCode::Receiver`] with that subcode.

use bytes::Bytes;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use quick_xml::name::QName;

use crate::error::SoapError;
use crate::soap::xml::{self, XmlReader};
use crate::soap::{forest, SoapVersion};
use crate::xml::Resolved;

/// The generic SOAP fault code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultCode {
    /// The message was wrong (`Client` in SOAP 1.1, `Sender` in 1.2).
    Sender,
    /// The receiver failed to process a valid message (`Server` in 1.1, `Receiver` in 1.2).
    Receiver,
    /// The envelope is not of a supported SOAP version.
    VersionMismatch,
    /// A mandatory header was not understood.
    MustUnderstand,
}

impl FaultCode {
    /// The local name of the code in the envelope namespace of `version`.
    pub const fn local_name(self, version: SoapVersion) -> &'static str {
        match (self, version) {
            (Self::Sender, SoapVersion::Soap11) => "Client",
            (Self::Sender, SoapVersion::Soap12) => "Sender",
            (Self::Receiver, SoapVersion::Soap11) => "Server",
            (Self::Receiver, SoapVersion::Soap12) => "Receiver",
            (Self::VersionMismatch, _) => "VersionMismatch",
            (Self::MustUnderstand, _) => "MustUnderstand",
        }
    }

    /// The code named `local` in an envelope namespace; SOAP 1.1 dotted refinements
    /// (`Client.Authentication`) count as their base code.
    fn from_local_name(local: &str) -> Self {
        match local.split('.').next().unwrap_or(local) {
            "Client" | "Sender" | "DataEncodingUnknown" => Self::Sender,
            "VersionMismatch" => Self::VersionMismatch,
            "MustUnderstand" => Self::MustUnderstand,
            _ => Self::Receiver,
        }
    }
}

/// A SOAP fault, independent of the SOAP version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// The generic code.
    pub code: FaultCode,
    /// The application fault as (namespace URI, local name).
    pub subcode: Option<(String, String)>,
    /// The human-readable explanation.
    pub reason: String,
    /// An XML forest for `detail` (1.1) / `env:Detail` (1.2).
    pub detail: Option<Bytes>,
}

impl SoapFault {
    /// A fault with only a code and a reason.
    pub fn new(code: FaultCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            subcode: None,
            reason: reason.into(),
            detail: None,
        }
    }
}

/// The complete envelope carrying `fault`.
pub fn write_fault(version: SoapVersion, fault: &SoapFault) -> Bytes {
    write_fault_with_headers(version, "", fault)
}

/// Why a message with the mandatory header blocks `not_understood` was refused.
pub(crate) fn not_understood_reason(not_understood: &[(String, String)]) -> String {
    let names: Vec<String> = not_understood
        .iter()
        .map(|(ns, local)| format!("{{{ns}}}{local}"))
        .collect();
    format!("header blocks not understood: {}", names.join(", "))
}

/// The MustUnderstand fault for the mandatory header blocks `not_understood` (namespace,
/// local name); in SOAP 1.2 its Header names each in a NotUnderstood block.
pub fn write_must_understand_fault(
    version: SoapVersion,
    not_understood: &[(String, String)],
) -> Bytes {
    let fault = SoapFault::new(
        FaultCode::MustUnderstand,
        not_understood_reason(not_understood),
    );
    let headers = match version {
        SoapVersion::Soap11 => String::new(),
        SoapVersion::Soap12 => {
            let p = version.prefix();
            not_understood
                .iter()
                .map(|(ns, local)| {
                    format!(
                        r#"<{p}:NotUnderstood qname="h:{}" xmlns:h="{}"/>"#,
                        escape(local.as_str()),
                        escape(ns.as_str())
                    )
                })
                .collect()
        }
    };
    write_fault_with_headers(version, &headers, &fault)
}

fn write_fault_with_headers(version: SoapVersion, headers: &str, fault: &SoapFault) -> Bytes {
    let p = version.prefix();
    let code = format!("{p}:{}", fault.code.local_name(version));
    let reason = escape(fault.reason.as_str());
    let mut out = format!(r#"<{p}:Envelope xmlns:{p}="{}">"#, version.namespace());
    if !headers.is_empty() {
        out.push_str(&format!("<{p}:Header>{headers}</{p}:Header>"));
    }
    out.push_str(&format!("<{p}:Body><{p}:Fault>"));
    match version {
        SoapVersion::Soap11 => {
            match &fault.subcode {
                Some((ns, local)) => out.push_str(&qname_element("faultcode", ns, local)),
                None => out.push_str(&format!("<faultcode>{code}</faultcode>")),
            }
            out.push_str(&format!("<faultstring>{reason}</faultstring>"));
            push_detail(&mut out, "detail", fault.detail.as_ref());
        }
        SoapVersion::Soap12 => {
            out.push_str(&format!("<{p}:Code><{p}:Value>{code}</{p}:Value>"));
            if let Some((ns, local)) = &fault.subcode {
                let value = qname_element(&format!("{p}:Value"), ns, local);
                out.push_str(&format!("<{p}:Subcode>{value}</{p}:Subcode>"));
            }
            out.push_str(&format!("</{p}:Code>"));
            out.push_str(&format!(
                r#"<{p}:Reason><{p}:Text xml:lang="en">{reason}</{p}:Text></{p}:Reason>"#
            ));
            push_detail(&mut out, &format!("{p}:Detail"), fault.detail.as_ref());
        }
    }
    out.push_str(&format!("</{p}:Fault></{p}:Body></{p}:Envelope>"));
    Bytes::from(out)
}

/// `<name xmlns:f="ns">f:local</name>`, or `<name>local</name>` for no namespace.
fn qname_element(name: &str, ns: &str, local: &str) -> String {
    let local = escape(local);
    if ns.is_empty() {
        format!("<{name}>{local}</{name}>")
    } else {
        format!(r#"<{name} xmlns:f="{}">f:{local}</{name}>"#, escape(ns))
    }
}

fn push_detail(out: &mut String, name: &str, detail: Option<&Bytes>) {
    if let Some(detail) = detail {
        out.push_str(&format!("<{name}>"));
        out.push_str(&String::from_utf8_lossy(detail));
        out.push_str(&format!("</{name}>"));
    }
}

/// Reads the Fault element whose start tag was just read from a reply Body.
pub(crate) fn read_fault<'i>(
    reader: &mut XmlReader<'i>,
    input: &'i [u8],
    version: SoapVersion,
) -> Result<SoapFault, SoapError> {
    let mut fault = SoapFault::new(FaultCode::Receiver, String::new());
    let (mut has_code, mut has_reason) = (false, false);
    while let Some(child) = Child::next(reader)? {
        match (version, child.local.as_str()) {
            (SoapVersion::Soap11, "faultcode") => {
                let (ns, local) = child.qname(reader)?;
                if ns == SoapVersion::Soap11.namespace() {
                    fault.code = FaultCode::from_local_name(&local);
                } else {
                    fault.subcode = Some((ns, local));
                }
                has_code = true;
            }
            (SoapVersion::Soap11, "faultstring") => {
                fault.reason = child.text(reader)?;
                has_reason = true;
            }
            (SoapVersion::Soap11, "detail") | (SoapVersion::Soap12, "Detail") => {
                fault.detail = Some(child.forest(reader, input)?);
            }
            (SoapVersion::Soap12, "Code") if !child.empty => {
                read_code12(reader, &mut fault)?;
                has_code = true;
            }
            (SoapVersion::Soap12, "Reason") if !child.empty => {
                fault.reason = read_reason12(reader)?;
                has_reason = true;
            }
            _ => child.skip(reader)?,
        }
    }
    match (has_code, has_reason) {
        (true, true) => Ok(fault),
        (false, _) => Err(SoapError::InvalidFault("it has no fault code".into())),
        (_, false) => Err(SoapError::InvalidFault("it has no reason".into())),
    }
}

/// A child element whose start tag was just read.
struct Child {
    local: String,
    /// Whether it was written `<x/>`: then it has no content and no end tag to read.
    empty: bool,
}

impl Child {
    /// Moves to the next child element of the current one, or returns `None` after the current
    /// element's end tag.
    fn next(reader: &mut XmlReader<'_>) -> Result<Option<Self>, SoapError> {
        loop {
            let (start, empty) = match xml::next_in_element(reader)? {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(_) => return Ok(None),
                Event::Text(t) if xml::is_blank(&t) => continue,
                Event::Comment(_) | Event::PI(_) => continue,
                _ => {
                    return Err(SoapError::InvalidFault(
                        "character data between its parts".into(),
                    ))
                }
            };
            let local = xml::lossy(start.local_name().as_ref()).into_owned();
            return Ok(Some(Self { local, empty }));
        }
    }

    fn text(&self, reader: &mut XmlReader<'_>) -> Result<String, SoapError> {
        if self.empty {
            Ok(String::new())
        } else {
            xml::read_text(reader)
        }
    }

    fn forest<'i>(&self, reader: &mut XmlReader<'i>, input: &'i [u8]) -> Result<Bytes, SoapError> {
        if self.empty {
            Ok(Bytes::new())
        } else {
            forest::read_forest(reader, input)
        }
    }

    fn skip(&self, reader: &mut XmlReader<'_>) -> Result<(), SoapError> {
        if self.empty {
            Ok(())
        } else {
            xml::skip_element(reader)
        }
    }

    /// Reads the QName content and resolves it in this element's scope, as
    /// (namespace URI or "", local name).
    fn qname(&self, reader: &mut XmlReader<'_>) -> Result<(String, String), SoapError> {
        let text = self.text(reader)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(SoapError::InvalidFault(format!(
                "its {} is empty",
                self.local
            )));
        }
        // The end tag was just read: its element's scope stays in place until the next event.
        match reader.resolve_element(QName(text.as_bytes())) {
            (Resolved::Unknown, _) => Err(SoapError::InvalidFault(format!(
                "undeclared prefix '{}' in its {}",
                xml::lossy(text.split_once(':').map_or("", |(p, _)| p).as_bytes()),
                self.local
            ))),
            (ns, local) => {
                let ns = match ns {
                    Resolved::Bound(ns) => xml::lossy(ns).into_owned(),
                    _ => String::new(),
                };
                Ok((ns, xml::lossy(local).into_owned()))
            }
        }
    }
}

/// Reads a SOAP 1.2 Code: its Value and the Value of its first Subcode.
fn read_code12(reader: &mut XmlReader<'_>, fault: &mut SoapFault) -> Result<(), SoapError> {
    while let Some(child) = Child::next(reader)? {
        match child.local.as_str() {
            "Value" => fault.code = FaultCode::from_local_name(&child.qname(reader)?.1),
            "Subcode" if !child.empty => {
                while let Some(grandchild) = Child::next(reader)? {
                    match grandchild.local.as_str() {
                        "Value" => fault.subcode = Some(grandchild.qname(reader)?),
                        _ => grandchild.skip(reader)?,
                    }
                }
            }
            _ => child.skip(reader)?,
        }
    }
    Ok(())
}

/// Reads a SOAP 1.2 Reason: the first of its Text elements.
fn read_reason12(reader: &mut XmlReader<'_>) -> Result<String, SoapError> {
    let mut reason = None;
    while let Some(child) = Child::next(reader)? {
        match (child.local.as_str(), &reason) {
            ("Text", None) => reason = Some(child.text(reader)?),
            _ => child.skip(reader)?,
        }
    }
    reason.ok_or_else(|| SoapError::InvalidFault("its Reason has no Text".into()))
}
