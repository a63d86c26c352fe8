//! Invokes whose partner broke the protocol or could not be reached: the kind of each failure,
//! the fault it raises, and whether a failure raises it or waits for an operator.
//!
//! The engine classifies what went wrong with a call (a refused connection, a reply that is
//! not SOAP, no answer in time, …) into an [`InvokeFailure`]. When the invoke has no ODE
//! `<failureHandling>`, the server's [`PartnerFailureMode`] decides: by default the invoke
//! raises the kind's fault, in [`BATON_FAULTS_NS`], which the process catches like any other;
//! in ODE's way the invoke waits for an operator (see [`crate::engine::failures`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::fault::Fault;
pub use super::fault::BATON_FAULTS_NS;
use crate::xml::QName;

/// What a failed invoke does when it has no `<failureHandling>` of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartnerFailureMode {
    /// Raise the fault of the failure's kind.
    #[default]
    Fault,
    /// Wait for an operator to retry, cancel or fault the invoke (ODE's default).
    Recover,
}

/// How an invoke failed. Each kind raises its own fault, named by [`FailureKind::local_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureKind {
    /// The partner answered with an HTTP status outside 2xx and no SOAP fault.
    HttpStatus,
    /// The partner answered a request-response call with a 2xx status other than 200, or a
    /// one-way call with a status other than 200 or 202.
    UnexpectedStatus,
    /// The partner answered a request-response call with nothing.
    EmptyReply,
    /// The reply is not well-formed XML, or goes beyond the `[xml]` limits.
    NotWellFormed,
    /// The reply is XML, but not a SOAP envelope.
    NotSoap,
    /// The reply is a SOAP envelope of another SOAP version than the call's.
    SoapVersion,
    /// The reply envelope has no Body.
    MissingBody,
    /// The reply's body lacks parts of the operation's output message.
    MissingParts,
    /// The reply's body holds something else than the operation's output message.
    WrongMessage,
    /// The partner's host refused the connection.
    ConnectionRefused,
    /// The partner's host name does not resolve.
    UnknownHost,
    /// No answer came within the time-out.
    Timeout,
    /// Anything else: the connection broke, no address is known, the partner's engine
    /// refused the request with a standard fault, …
    Unavailable,
}

impl FailureKind {
    /// Every kind, in the order of the README's table.
    pub const ALL: [Self; 13] = [
        Self::HttpStatus,
        Self::UnexpectedStatus,
        Self::EmptyReply,
        Self::NotWellFormed,
        Self::NotSoap,
        Self::SoapVersion,
        Self::MissingBody,
        Self::MissingParts,
        Self::WrongMessage,
        Self::ConnectionRefused,
        Self::UnknownHost,
        Self::Timeout,
        Self::Unavailable,
    ];

    /// The local name of the kind's fault in [`BATON_FAULTS_NS`].
    pub fn local_name(self) -> &'static str {
        match self {
            Self::HttpStatus => "partnerHttpStatus",
            Self::UnexpectedStatus => "partnerUnexpectedStatus",
            Self::EmptyReply => "partnerEmptyReply",
            Self::NotWellFormed => "partnerNotWellFormed",
            Self::NotSoap => "partnerNotSoap",
            Self::SoapVersion => "partnerSoapVersion",
            Self::MissingBody => "partnerMissingBody",
            Self::MissingParts => "partnerMissingParts",
            Self::WrongMessage => "partnerWrongMessage",
            Self::ConnectionRefused => "partnerConnectionRefused",
            Self::UnknownHost => "partnerUnknownHost",
            Self::Timeout => "partnerTimeout",
            Self::Unavailable => "partnerUnavailable",
        }
    }

    /// Whether the partner may not have had the message at all (it could not be reached or
    /// did not answer), so that sending it again may still deliver it.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::ConnectionRefused | Self::UnknownHost | Self::Timeout | Self::Unavailable
        )
    }

    /// The kind's fault name.
    pub fn fault_name(self) -> QName {
        QName::new(BATON_FAULTS_NS, self.local_name())
    }
}

/// Why an invoke failed: its kind, and what happened, for logs and operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeFailure {
    pub kind: FailureKind,
    pub reason: String,
}

impl InvokeFailure {
    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }

    /// The fault the failure raises in the invoke of `operation`.
    pub fn fault(&self, operation: &str) -> Fault {
        Fault {
            name: self.kind.fault_name(),
            data: None,
            reason: format!("invoke of '{operation}' failed: {}", self.reason),
        }
    }
}

impl fmt::Display for InvokeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_fault_in_the_baton_namespace() {
        let names: std::collections::HashSet<QName> = FailureKind::ALL
            .iter()
            .map(|kind| kind.fault_name())
            .collect();
        assert_eq!(names.len(), FailureKind::ALL.len());
        assert!(names.iter().all(|name| name.ns == BATON_FAULTS_NS));
    }
}
