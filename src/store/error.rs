//! Typed errors of the durable store.
//!
//! Every [`Store`](super::Store) operation fails with [`Error`]. Backends translate their
//! driver errors here so the engine can react to the conditions it cares about (a stale
//! revision, a correlation route already owned by another instance, a missing row) without
//! knowing which database is underneath.

use std::path::PathBuf;

/// Result type of the store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The instance was saved by someone else since it was loaded: the caller's revision is
    /// stale. Nothing of the commit was applied.
    #[error(
        "instance {id} was modified concurrently: expected revision {expected}, found {actual}"
    )]
    Conflict {
        /// The instance id.
        id: i64,
        /// The revision the caller based its write on.
        expected: i64,
        /// The revision currently stored.
        actual: i64,
    },

    /// A correlation route is already owned by another instance. Nothing of the commit was
    /// applied.
    #[error("route {key:?} of process {process} is already owned by instance {owner}")]
    DuplicateRoute {
        /// The process QName, as text.
        process: String,
        /// The canonical route key.
        key: String,
        /// The instance owning the route.
        owner: i64,
    },

    /// The job a step runs is no longer stored: another worker or an earlier delivery ran
    /// it. Nothing of the commit was applied.
    #[error("job {kind} {key:?} of instance {instance} has already run")]
    JobGone {
        /// The instance id.
        instance: i64,
        /// The job's kind.
        kind: super::JobKind,
        /// The job's key.
        key: String,
    },

    /// A record with the same unique key already exists (a unique-constraint violation).
    #[error("{entity} {key} already exists")]
    Duplicate {
        /// What kind of record, e.g. "deployment".
        entity: &'static str,
        /// The conflicting key, or the database's message when the key is not known.
        key: String,
    },

    /// A record the operation needs does not exist.
    #[error("{entity} {key} not found")]
    NotFound {
        /// What kind of record, e.g. "instance".
        entity: &'static str,
        /// The key that was looked up.
        key: String,
    },

    /// A stored value cannot be decoded, e.g. an unknown status string.
    #[error("corrupt {entity} in the store: {detail}")]
    Corrupt {
        /// What kind of value, e.g. "instance status".
        entity: &'static str,
        /// What is wrong with it.
        detail: String,
    },

    /// The database schema was written by a newer Baton than this one.
    #[error("database schema version {found} is not supported (this server knows {supported})")]
    SchemaVersion {
        /// The version found in the database.
        found: i64,
        /// The version this server writes.
        supported: i64,
    },

    /// The database location names another kind of database.
    #[error("not a location this store can open: {0}")]
    Location(String),

    /// The directory holding the database file cannot be created.
    #[error("cannot create database directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// The database cannot be reached (with the reason): the connection was refused or lost,
    /// or none came within the pool's wait. Nothing of the operation was applied.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),

    /// Any other database failure, e.g. malformed SQL or a permission refused.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

/// A database constraint a write can violate, for call sites that know what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Constraint {
    /// A unique or primary-key constraint: the record already exists.
    Unique,
    /// A foreign-key constraint: a referenced record does not exist.
    ForeignKey,
}

impl Constraint {
    /// The constraint `error` reports as violated, if any.
    pub(crate) fn violated_by(error: &sqlx::Error) -> Option<Constraint> {
        match error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Some(Constraint::Unique),
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Some(Constraint::ForeignKey)
            }
            _ => None,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        match (&error, Constraint::violated_by(&error)) {
            (sqlx::Error::Database(db), Some(Constraint::Unique)) => Error::Duplicate {
                entity: "record",
                key: db.message().to_owned(),
            },
            (
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed,
                _,
            ) => Error::Unavailable(error.to_string()),
            _ => Error::Database(error),
        }
    }
}
