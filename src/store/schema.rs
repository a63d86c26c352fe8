//! Versions of the store's schema, and which migrations bring a database to the current one.
//!
//! Every backend keeps the version in a one-row table `baton_schema_version` and has one
//! migration script per version, in order: the first, `dbscripts/<database>.sql`, creates
//! version 1 on an empty database; each later one, `dbscripts/<database>-<n + 1>.sql`, brings
//! version `n` to `n + 1` and sets the version row. Version 2 adds the job table, version 3
//! the outbox and the received messages, version 4 the instance status `suspended`, version 5
//! the values of instances' correlation properties, version 6 the events the `store` event
//! listener keeps. A
//! database whose version is newer than this server's is refused.

use super::rows::StoredRow;
use super::sql::dialect::{Dialect, Statement};
use super::{Error, Result};

/// The schema version this server reads and writes.
pub const SCHEMA_VERSION: i64 = 6;

/// The migration scripts of one backend, the first creating version 1.
pub(crate) type Migrations = [&'static str; SCHEMA_VERSION as usize];

/// The migrations to run on a database at version `found` (0 when it has no schema yet), or
/// [`Error::SchemaVersion`] when it is newer than this server.
pub(crate) fn pending(found: i64, migrations: &Migrations) -> Result<&[&'static str]> {
    match usize::try_from(found) {
        Ok(done) if done <= migrations.len() => Ok(&migrations[done..]),
        _ => Err(Error::SchemaVersion {
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}

/// Brings the schema of the database on `conn` up to date with `migrations`, inside whatever
/// transaction or lock the caller holds: `exists` is the dialect's query counting the version
/// table (0 or 1), and the version row says which scripts are still to run.
pub(crate) async fn bring_up_to_date<D: Dialect>(
    conn: &mut D::Connection,
    exists: &'static str,
    migrations: &Migrations,
) -> Result<Migration> {
    let found = Statement::new(exists).fetch_one::<D>(conn).await?;
    let from = match found.integer("found")? {
        0 => 0,
        _ => Statement::new("SELECT MAX(version) AS version FROM baton_schema_version")
            .fetch_one::<D>(conn)
            .await?
            .integer("version")?,
    };
    for script in pending(from, migrations)? {
        D::run_script(conn, script).await?;
    }
    Ok(Migration {
        from,
        to: SCHEMA_VERSION,
    })
}

/// What bringing a database's schema up to date did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// The version found (0: the database had no schema).
    pub from: i64,
    /// The version it has now.
    pub to: i64,
}
