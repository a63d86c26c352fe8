//! The MySQL and MariaDB backend of the durable store.
//!
//! [`MySqlStore`] keeps everything in one database, in InnoDB tables, through a connection
//! pool configured by [`PoolSettings`]. The schema is `dbscripts/mysql.sql` (version 1) and
//! its migrations (`mysql-2.sql`, ...), embedded; opening a store brings an older database
//! up to date under a named lock, so servers starting together on an empty database create
//! it once. (MySQL commits schema
//! changes one statement at a time: a migration cut short leaves its tables behind.)
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
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPool};

use super::group_commit::Writer;
use super::schema::{self, Migration, Migrations};
use super::{Error, PoolSettings, Result};

/// The migration scripts, the first creating the schema.
const MIGRATIONS: Migrations = [
    include_str!("../../../dbscripts/mysql.sql"),
    include_str!("../../../dbscripts/mysql-2.sql"),
    include_str!("../../../dbscripts/mysql-3.sql"),
    include_str!("../../../dbscripts/mysql-4.sql"),
];

/// The named lock held while the schema is migrated.
const MIGRATION_LOCK: &str = "baton_schema_migration";

/// How long a server waits for another one's migration, in seconds.
const MIGRATION_WAIT_S: i64 = 300;

/// A [`Store`](super::Store) in a MySQL or MariaDB database.
#[derive(Debug, Clone)]
pub struct MySqlStore {
    pool: MySqlPool,
    /// Step commits go through the group-committing writer task.
    steps: Writer,
}

impl MySqlStore {
    /// Connects to the database `url` names (`mysql://user:password@host:port/database`)
    /// and brings its schema up to date.
    pub async fn open(url: &str, pool: &PoolSettings) -> Result<Self> {
        Ok(Self::open_migrating(url, pool).await?.0)
    }

    /// As [`MySqlStore::open`], also telling what bringing the schema up to date did.
    pub async fn open_migrating(url: &str, pool: &PoolSettings) -> Result<(Self, Migration)> {
        let options = MySqlConnectOptions::from_str(url)?;
        let pool = pool.connect(options, validate).await?;
        let steps = Writer::start(commit::Steps { pool: pool.clone() });
        let store = MySqlStore { pool, steps };
        let migration = store.migrate().await?;
        Ok((store, migration))
    }

    /// Brings the schema up to date, holding the migration lock.
    async fn migrate(&self) -> Result<Migration> {
        let mut conn = self.pool.acquire().await?;
        let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
            .bind(MIGRATION_LOCK)
            .bind(MIGRATION_WAIT_S)
            .fetch_one(&mut *conn)
            .await?;
        if locked != Some(1) {
            return Err(Error::Unavailable(format!(
                "another server held the lock {MIGRATION_LOCK} for {MIGRATION_WAIT_S} s"
            )));
        }
        let migrated = async {
            let exists: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = 'baton_schema_version'",
            )
            .fetch_one(&mut *conn)
            .await?;
            let from: i64 = match exists {
                0 => 0,
                _ => {
                    sqlx::query_scalar("SELECT MAX(version) FROM baton_schema_version")
                        .fetch_one(&mut *conn)
                        .await?
                }
            };
            for script in schema::pending(from, &MIGRATIONS)? {
                sqlx::raw_sql(script).execute(&mut *conn).await?;
            }
            Ok(Migration {
                from,
                to: schema::SCHEMA_VERSION,
            })
        }
        .await;
        sqlx::query("DO RELEASE_LOCK(?)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        migrated
    }
}

/// Runs the pool's validation query on `conn`.
fn validate(conn: &mut MySqlConnection, query: Arc<str>) -> BoxFuture<'_, sqlx::Result<bool>> {
    Box::pin(async move {
        sqlx::Executor::execute(conn, sqlx::raw_sql(&query)).await?;
        Ok(true)
    })
}

super::server_store!(MySqlStore);
