//! Opening the store in PostgreSQL.
//!
//! [`PostgresStore`] keeps everything in one database (its default schema) through a
//! connection pool configured by [`PoolSettings`]; its tables are the shared
//! [`SqlStore`](super::sql::SqlStore)'s. The schema is `dbscripts/postgresql.sql` (version 1)
//! and its migrations (`postgresql-2.sql`, ...), embedded; opening a store brings an older
//! database up to date under an advisory lock, so servers starting together on an empty
//! database create it once.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::Postgres;

use super::schema::{self, Migration, Migrations};
use super::sql::SqlStore;
use super::{PoolSettings, Result};

/// The migration scripts, the first creating the schema.
const MIGRATIONS: Migrations = [
    include_str!("../../dbscripts/postgresql.sql"),
    include_str!("../../dbscripts/postgresql-2.sql"),
    include_str!("../../dbscripts/postgresql-3.sql"),
    include_str!("../../dbscripts/postgresql-4.sql"),
    include_str!("../../dbscripts/postgresql-5.sql"),
    include_str!("../../dbscripts/postgresql-6.sql"),
];

/// The advisory lock held while the schema is migrated.
const MIGRATION_LOCK: i64 = 0x0062_6174_6f6e;

/// A [`Store`](super::Store) in a PostgreSQL database.
pub type PostgresStore = SqlStore<Postgres>;

impl SqlStore<Postgres> {
    /// Connects to the database `url` names (`postgres://user:password@host:port/database`)
    /// and brings its schema up to date.
    pub async fn open(url: &str, pool: &PoolSettings) -> Result<Self> {
        Ok(Self::open_migrating(url, pool).await?.0)
    }

    /// As [`PostgresStore::open`], also telling what bringing the schema up to date did.
    pub async fn open_migrating(url: &str, pool: &PoolSettings) -> Result<(Self, Migration)> {
        let options = PgConnectOptions::from_str(url)?;
        let store = SqlStore::on(pool.connect(options).await?);
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
        let exists = "SELECT COUNT(to_regclass('baton_schema_version')) AS found";
        let migration = schema::bring_up_to_date::<Postgres>(&mut tx, exists, &MIGRATIONS).await?;
        tx.commit().await?;
        Ok(migration)
    }
}
