//! Errors of the actor layer: what a caller of a supervised entity can be told.

/// Why a message did not get a reply from its entity.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The entity panicked while handling the message; it was stopped and marked failed.
    #[error("the entity panicked: {0}")]
    Panicked(String),
    /// The entity could not be loaded from storage.
    #[error("the entity could not be loaded: {0}")]
    Hydration(String),
    /// The entity or its supervisor stopped before it could answer.
    #[error("the entity stopped before answering")]
    Stopped,
}
