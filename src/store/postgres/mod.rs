//! The PostgreSQL backend of the durable store.
//!
//! [`PostgresStore`] keeps everything in one database (its default schema) through a
//! connection pool configured by [`PoolSettings`]. The schema is `dbscripts/postgresql.sql`
//! (version 1) and its migrations (`postgresql-2.sql`, ...), embedded; opening a store brings an older database up to date under an
//! advisory lock, so servers starting together on an empty database create it once.
//!
//! The queries of each table live in their own module, with the same shape as the SQLite
//! backend's; `commit` composes the writes of a batch of steps into one transaction for the
//! shared group-commit writer. Time columns hold milliseconds since the Unix epoch.

mod commit;
mod correlation;
mod delivery;
mod deployments;
mod exchanges;
mod instances;
mod jobs;
mod processes;

use std::str::FromStr;
use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};

use super::group_commit::Writer;
use super::schema::{self, Migration, Migrations};
use super::{PoolSettings, Result};

/// The migration scripts, the first creating the schema.
const MIGRATIONS: Migrations = [
    include_str!("../../../dbscripts/postgresql.sql"),
    include_str!("../../../dbscripts/postgresql-2.sql"),
    include_str!("../../../dbscripts/postgresql-3.sql"),
    include_str!("../../../dbscripts/postgresql-4.sql"),
];

/// The advisory lock held while the schema is migrated.
const MIGRATION_LOCK: i64 = 0x0062_6174_6f6e;

/// A [`Store`](super::Store) in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Step commits go through the group-committing writer task.
    steps: Writer,
}

impl PostgresStore {
    /// Connects to the database `url` names (`postgres://user:password@host:port/database`)
    /// and brings its schema up to date.
    pub async fn open(url: &str, pool: &PoolSettings) -> Result<Self> {
        Ok(Self::open_migrating(url, pool).await?.0)
    }

    /// As [`PostgresStore::open`], also telling what bringing the schema up to date did.
    pub async fn open_migrating(url: &str, pool: &PoolSettings) -> Result<(Self, Migration)> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = pool.connect(options, validate).await?;
        let steps = Writer::start(commit::Steps { pool: pool.clone() });
        let store = PostgresStore { pool, steps };
        let migration = store.migrate().await?;
        Ok((store, migration))
    }

    /// Brings the schema up to date, in one transaction.
    async fn migrate(&self) -> Result<Migration> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('baton_schema_version') IS NOT NULL")
                .fetch_one(&mut *tx)
                .await?;
        let from: i64 = match exists {
            true => {
                sqlx::query_scalar("SELECT MAX(version) FROM baton_schema_version")
                    .fetch_one(&mut *tx)
                    .await?
            }
            false => 0,
        };
        for script in schema::pending(from, &MIGRATIONS)? {
            sqlx::raw_sql(script).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Migration {
            from,
            to: schema::SCHEMA_VERSION,
        })
    }
}

/// Runs the pool's validation query on `conn`.
fn validate(conn: &mut PgConnection, query: Arc<str>) -> BoxFuture<'_, sqlx::Result<bool>> {
    Box::pin(async move {
        sqlx::Executor::execute(conn, sqlx::raw_sql(&query)).await?;
        Ok(true)
    })
}

super::server_store!(PostgresStore);
