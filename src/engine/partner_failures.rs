//! How a partner call that went wrong becomes an invoke's failure: the typed errors of the
//! transports, and replies that do not fit the operation's output message, are classified
//! into the [`FailureKind`]s whose faults processes catch (see
//! [`crate::runtime::partner_failure`]). [`super::partner`] calls these for every outcome
//! that is neither a reply nor a fault.

use baton_transports::{ConnectFailure, Error, ReplyProblem, SoapError};

use super::binding;
use crate::runtime::partner_failure::FailureKind;
use crate::runtime::InvokeOutcome;

/// The failure of a call the transports could not complete.
pub fn transport_failure(error: &Error) -> InvokeOutcome {
    let kind = match error {
        Error::Connect { failure, .. } => match failure {
            ConnectFailure::Refused => FailureKind::ConnectionRefused,
            ConnectFailure::UnknownHost => FailureKind::UnknownHost,
            ConnectFailure::Other => FailureKind::Unavailable,
        },
        Error::Timeout { .. } => FailureKind::Timeout,
        Error::UnexpectedReply { problem, .. } => match problem {
            ReplyProblem::ErrorStatus => FailureKind::HttpStatus,
            ReplyProblem::UnexpectedStatus => FailureKind::UnexpectedStatus,
            ReplyProblem::Empty => FailureKind::EmptyReply,
            ReplyProblem::Envelope(error) => envelope_failure(error),
        },
        Error::InvalidReply { source, .. } => envelope_failure(source),
        _ => FailureKind::Unavailable,
    };
    InvokeOutcome::failed(kind, error.to_string())
}

/// The kind of failure of a reply that is not a SOAP envelope of the call's version.
fn envelope_failure(error: &SoapError) -> FailureKind {
    match error {
        SoapError::Malformed { .. }
        | SoapError::UnsupportedEncoding(_)
        | SoapError::Doctype
        | SoapError::Limit { .. } => FailureKind::NotWellFormed,
        SoapError::UnknownEnvelopeNamespace(_) | SoapError::VersionMismatch { .. } => {
            FailureKind::SoapVersion
        }
        SoapError::MissingBody => FailureKind::MissingBody,
        SoapError::NotAnEnvelope(_)
        | SoapError::UnsupportedMediaType(_)
        | SoapError::UnexpectedContent(_)
        | SoapError::InvalidFault(_) => FailureKind::NotSoap,
    }
}

/// The failure of a reply from `partner` whose body does not fit the operation's output
/// message.
pub fn misfit(partner: &impl std::fmt::Display, error: &binding::Error) -> InvokeOutcome {
    let kind = match error {
        binding::Error::Xml(_) => FailureKind::NotWellFormed,
        binding::Error::MissingPart { .. } => FailureKind::MissingParts,
        binding::Error::MissingWrapper { .. } | binding::Error::OtherMessage { .. } => {
            FailureKind::WrongMessage
        }
    };
    InvokeOutcome::failed(
        kind,
        format!("the reply from {partner} does not fit: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::partner_failure::InvokeFailure;

    fn kind(outcome: InvokeOutcome) -> FailureKind {
        match outcome {
            InvokeOutcome::Failure(InvokeFailure { kind, .. }) => kind,
            other => panic!("not a failure: {other:?}"),
        }
    }

    #[test]
    fn replies_that_are_not_soap_are_told_apart() {
        let reply = |problem| Error::UnexpectedReply {
            url: "http://127.0.0.1:1/p".into(),
            status: 200,
            problem,
            quoted: String::new(),
        };
        let cases = [
            (ReplyProblem::ErrorStatus, FailureKind::HttpStatus),
            (
                ReplyProblem::UnexpectedStatus,
                FailureKind::UnexpectedStatus,
            ),
            (ReplyProblem::Empty, FailureKind::EmptyReply),
            (
                ReplyProblem::Envelope(SoapError::MissingBody),
                FailureKind::MissingBody,
            ),
            (
                ReplyProblem::Envelope(SoapError::NotAnEnvelope("html".into())),
                FailureKind::NotSoap,
            ),
            (
                ReplyProblem::Envelope(SoapError::UnknownEnvelopeNamespace("urn:x".into())),
                FailureKind::SoapVersion,
            ),
        ];
        for (problem, expected) in cases {
            assert_eq!(kind(transport_failure(&reply(problem))), expected);
        }
        let amqp = Error::InvalidReply {
            url: "amqp://broker/q".into(),
            source: SoapError::Doctype,
        };
        assert_eq!(kind(transport_failure(&amqp)), FailureKind::NotWellFormed);
        assert_eq!(
            kind(transport_failure(&Error::NoPeer("/p".into()))),
            FailureKind::Unavailable
        );
    }
}
