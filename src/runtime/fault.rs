//! BPEL faults: a QName and optional data. They are values that flow through the process to
//! its fault handlers; nothing here is a Rust error.

use serde::{Deserialize, Serialize};

use crate::xml::{Document, QName};

/// The namespace of WS-BPEL 2.0's standard faults.
pub const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

/// The namespace of the faults Baton itself raises in processes (a partner that failed, see
/// [`super::partner_failure::FailureKind`]; a limit exceeded), and of the subcodes of SOAP
/// faults its engine answers with.
pub const BATON_FAULTS_NS: &str = "urn:baton:engine:faults";

/// A fault raised in a process instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    pub name: QName,
    /// The fault's data: a message (normalised form) or an element, if any.
    pub data: Option<Box<Document>>,
    /// What happened, for logs and SOAP fault reasons.
    pub reason: String,
}

impl Fault {
    /// A standard BPEL fault (`bpel:<local>`) with a reason.
    pub fn standard(local: &str, reason: impl Into<String>) -> Self {
        Self {
            name: QName::new(BPEL_NS, local),
            data: None,
            reason: reason.into(),
        }
    }

    pub fn selection_failure(reason: impl Into<String>) -> Self {
        Self::standard("selectionFailure", reason)
    }

    pub fn uninitialized_variable(name: &str) -> Self {
        Self::standard(
            "uninitializedVariable",
            format!("variable '{name}' is not initialised"),
        )
    }

    pub fn sub_language_execution(reason: impl Into<String>) -> Self {
        Self::standard("subLanguageExecutionFault", reason)
    }

    pub fn invalid_expression_value(reason: impl Into<String>) -> Self {
        Self::standard("invalidExpressionValue", reason)
    }

    pub fn correlation_violation(reason: impl Into<String>) -> Self {
        Self::standard("correlationViolation", reason)
    }

    pub fn mismatched_assignment(reason: impl Into<String>) -> Self {
        Self::standard("mismatchedAssignmentFailure", reason)
    }

    pub fn missing_reply(reason: impl Into<String>) -> Self {
        Self::standard("missingReply", reason)
    }

    pub fn missing_request(reason: impl Into<String>) -> Self {
        Self::standard("missingRequest", reason)
    }

    pub fn conflicting_request(reason: impl Into<String>) -> Self {
        Self::standard("conflictingRequest", reason)
    }

    /// `baton:variableTooLarge`: a value larger than `[engine] max-variable-bytes` was to be
    /// written to a variable.
    pub fn variable_too_large(reason: impl Into<String>) -> Self {
        Self {
            name: QName::new(BATON_FAULTS_NS, "variableTooLarge"),
            data: None,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.reason)
    }
}
