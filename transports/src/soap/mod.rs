//! SOAP 1.1 and 1.2 envelopes: reading requests and replies, writing envelopes and faults.
//!
//! Reading is a single streaming pass with quick-xml's namespace-aware reader that refuses DTDs
//! and cuts the Header and Body children out as standalone XML forests (the `forest` module).
//! Nothing here knows what the payloads mean. WS-Addressing headers are written and read by
//! [`addressing`].

pub mod addressing;
mod content_type;
mod envelope;
mod fault;
mod forest;
mod headers;
#[cfg(test)]
mod proptests;
mod response;
mod xml;

use std::fmt;

use serde::Deserialize;

pub use addressing::Addressing;
pub use envelope::{parse_envelope, parse_envelope_with, write_envelope, Envelope};
pub(crate) use fault::not_understood_reason;
pub use fault::{write_fault, write_must_understand_fault, FaultCode, SoapFault};
pub use headers::not_understood;
pub use response::parse_response;

/// The namespace of SOAP 1.1 envelopes.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The namespace of SOAP 1.2 envelopes.
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// A SOAP version; each has its envelope namespace and media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SoapVersion {
    /// SOAP 1.1: `text/xml`, with the action in the SOAPAction header.
    Soap11,
    /// SOAP 1.2: `application/soap+xml`, with the action as a media type parameter.
    Soap12,
}

impl SoapVersion {
    /// The envelope namespace of this version.
    pub const fn namespace(self) -> &'static str {
        match self {
            Self::Soap11 => SOAP11_NS,
            Self::Soap12 => SOAP12_NS,
        }
    }

    /// The version whose envelope namespace is `ns`.
    pub fn from_namespace(ns: &[u8]) -> Option<Self> {
        match ns {
            ns if ns == SOAP11_NS.as_bytes() => Some(Self::Soap11),
            ns if ns == SOAP12_NS.as_bytes() => Some(Self::Soap12),
            _ => None,
        }
    }

    /// The media type, without parameters.
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Soap11 => "text/xml",
            Self::Soap12 => "application/soap+xml",
        }
    }

    /// The full content type of messages this crate writes.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Soap11 => "text/xml; charset=utf-8",
            Self::Soap12 => "application/soap+xml; charset=utf-8",
        }
    }

    /// The envelope prefix used when writing.
    pub(crate) const fn prefix(self) -> &'static str {
        match self {
            Self::Soap11 => "soapenv",
            Self::Soap12 => "env",
        }
    }
}

impl fmt::Display for SoapVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Soap11 => "SOAP 1.1",
            Self::Soap12 => "SOAP 1.2",
        })
    }
}

pub(crate) use content_type::ContentType;
