//! The SQLite backend of the durable store.
//!
//! [`SqliteStore`] keeps everything in one database file in WAL mode, with foreign keys on
//! and `synchronous=FULL` by default so an acknowledged commit survives a power loss. The
//! schema is `dbscripts/sqlite.sql` (version 1) and its migrations (`sqlite-2.sql`, ...),
//! embedded; opening a store brings a database
//! without it, or with an older version, up to date in one transaction.
//!
//! The queries of each table live in their own module; `commit` composes the instance,
//! route, exchange and job writes of a batch of steps into one `BEGIN IMMEDIATE` transaction for
//! the shared group-commit writer. All SQL is run through sqlx's per-connection statement
//! cache.

mod commit;
mod correlation;
mod delivery;
mod deployments;
mod exchanges;
mod instances;
mod jobs;
mod processes;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::group_commit::Writer;
use super::schema::{self, Migration, Migrations};
use super::{
    CommitStats, DeploymentRecord, DeploymentSummary, Error, ExchangeRecord, InstanceFilter,
    InstanceRecord, InstanceSummary, Job, JobKind, OutboxEntry, ProcessRecord, ProcessState,
    Received, Result, RouteKey, RouteOwner, StepCommit, Store,
};

/// The migration scripts, the first creating the schema.
const MIGRATIONS: Migrations = [
    include_str!("../../../dbscripts/sqlite.sql"),
    include_str!("../../../dbscripts/sqlite-2.sql"),
    include_str!("../../../dbscripts/sqlite-3.sql"),
    include_str!("../../../dbscripts/sqlite-4.sql"),
];

/// How hard SQLite works to make a commit durable (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// Sync the WAL at every commit: a commit that returned survives a power loss.
    #[default]
    Full,
    /// Sync only at checkpoints: faster, but the last commits may be lost on a power loss
    /// (not on a crash of the server alone).
    Normal,
}

/// Settings of a [`SqliteStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// Maximum number of pooled connections.
    pub max_connections: u32,
    /// How long a statement waits for a lock held by another connection, in milliseconds.
    pub busy_timeout_ms: u64,
    /// Durability of commits.
    pub synchronous: Synchronous,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        SqliteConfig {
            max_connections: 8,
            busy_timeout_ms: 5000,
            synchronous: Synchronous::Full,
        }
    }
}

/// A [`Store`] in a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Hot-path writes queue here, in order, instead of
    /// contending for the database lock, whose busy handler sleeps rather than waking when
    /// the lock frees.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Step commits go through the group-committing writer task.
    steps: Writer,
}

impl SqliteStore {
    /// Opens the database at `location`, a file path or a `sqlite:` URL such as
    /// `sqlite://data/baton.db`, creating the file and its directory if missing, and brings
    /// its schema up to date. A URL of another scheme fails with [`Error::Location`].
    pub async fn open(location: &str, config: &SqliteConfig) -> Result<Self> {
        Ok(Self::open_migrating(location, config).await?.0)
    }

    /// As [`SqliteStore::open`], also telling what bringing the schema up to date did.
    pub async fn open_migrating(
        location: &str,
        config: &SqliteConfig,
    ) -> Result<(Self, Migration)> {
        let options = if location.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(location)?
        } else if location.contains("://") {
            return Err(Error::Location(location.to_owned()));
        } else {
            SqliteConnectOptions::new().filename(location)
        };
        create_parent_dir(options.get_filename())?;
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match config.synchronous {
                Synchronous::Full => SqliteSynchronous::Full,
                Synchronous::Normal => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_millis(config.busy_timeout_ms));
        Self::connect(options, config.max_connections).await
    }

    /// Opens a private in-memory database, for tests. It lives as long as the store.
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: the database exists only while it is open, and several connections
        // to a shared-cache database would lock each other out instead of waiting.
        Ok(Self::connect(options, 1).await?.0)
    }

    /// Connects a pool and applies the schema.
    async fn connect(
        options: SqliteConnectOptions,
        max_connections: u32,
    ) -> Result<(Self, Migration)> {
        // SQLite connections are cheap and there is no server to time them out: keep them,
        // which also keeps an in-memory database alive.
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        let writer = Arc::new(tokio::sync::Mutex::new(()));
        let steps = Writer::start(commit::Steps {
            pool: pool.clone(),
            lock: writer.clone(),
        });
        let store = SqliteStore {
            pool,
            writer,
            steps,
        };
        let migration = store.migrate().await?;
        Ok((store, migration))
    }

    /// Brings the schema up to date, in one transaction, with foreign key enforcement off
    /// (a migration may rebuild a table others refer to; SQLite ignores the setting inside a
    /// transaction).
    async fn migrate(&self) -> Result<Migration> {
        let mut conn = self.pool.acquire().await?;
        sqlx::raw_sql("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await?;
        let migrated = Self::migrate_on(&mut conn).await;
        sqlx::raw_sql("PRAGMA foreign_keys = ON")
            .execute(&mut *conn)
            .await?;
        migrated
    }

    async fn migrate_on(conn: &mut sqlx::SqliteConnection) -> Result<Migration> {
        let mut tx = sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?;
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'baton_schema_version')",
        )
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

/// Creates the directory that will hold database file `file`, unless it is in memory.
fn create_parent_dir(file: &Path) -> Result<()> {
    let in_memory = file == Path::new(":memory:") || file.to_string_lossy().starts_with("file:");
    match file.parent() {
        Some(dir) if !in_memory && !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|source| Error::Directory {
                path: dir.to_path_buf(),
                source,
            }),
        _ => Ok(()),
    }
}

impl Store for SqliteStore {
    fn save_deployment(&self, deployment: DeploymentRecord) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { deployments::save(&self.pool, &deployment).await })
    }

    fn list_deployments(&self) -> BoxFuture<'_, Result<Vec<DeploymentSummary>>> {
        Box::pin(deployments::list(&self.pool))
    }

    fn load_deployment<'a>(
        &'a self,
        name: &'a str,
        version: i64,
    ) -> BoxFuture<'a, Result<Option<DeploymentRecord>>> {
        Box::pin(deployments::load(&self.pool, name, version))
    }

    fn mark_undeployed<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<u64>> {
        Box::pin(deployments::mark_undeployed(&self.pool, name))
    }

    fn save_process(&self, process: ProcessRecord) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { processes::save(&self.pool, &process).await })
    }

    fn list_processes(&self) -> BoxFuture<'_, Result<Vec<ProcessRecord>>> {
        Box::pin(processes::list(&self.pool))
    }

    fn set_process_state<'a>(
        &'a self,
        pid: &'a str,
        state: ProcessState,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(processes::set_state(&self.pool, pid, state))
    }

    fn create_instance<'a>(&'a self, pid: &'a str) -> BoxFuture<'a, Result<i64>> {
        Box::pin(async move {
            let _writing = self.writer.lock().await;
            instances::create(&self.pool, pid).await
        })
    }

    fn reserve_instance_ids(&self, count: u32) -> BoxFuture<'_, Result<i64>> {
        Box::pin(async move {
            let _writing = self.writer.lock().await;
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let first = instances::reserve_ids(&mut tx, count).await?;
            tx.commit().await?;
            Ok(first)
        })
    }

    fn load_instance(&self, id: i64) -> BoxFuture<'_, Result<Option<InstanceRecord>>> {
        Box::pin(instances::load(&self.pool, id))
    }

    fn list_instances<'a>(
        &'a self,
        filter: &'a InstanceFilter,
    ) -> BoxFuture<'a, Result<Vec<InstanceSummary>>> {
        Box::pin(instances::list(&self.pool, filter))
    }

    fn due_jobs(&self, until_ms: i64, limit: u32) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(jobs::due(&self.pool, until_ms, limit))
    }

    fn jobs_of_kind(&self, kind: JobKind) -> BoxFuture<'_, Result<Vec<Job>>> {
        Box::pin(jobs::of_kind(&self.pool, kind))
    }

    fn commit(&self, step: StepCommit) -> BoxFuture<'_, Result<i64>> {
        Box::pin(self.steps.commit(step))
    }

    fn commit_stats(&self) -> CommitStats {
        self.steps.stats()
    }

    fn find_route<'a>(
        &'a self,
        process: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RouteOwner>>> {
        Box::pin(correlation::find(&self.pool, process, key))
    }

    fn mark_failed<'a>(&'a self, id: i64, reason: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let _writing = self.writer.lock().await;
            instances::mark_failed(&self.pool, id, reason).await
        })
    }

    fn instance_routes(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<RouteKey>>> {
        Box::pin(correlation::of_instance(&self.pool, instance_id))
    }

    fn exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        Box::pin(exchanges::of_instance(&self.pool, instance_id))
    }

    fn pending_exchanges(&self, instance_id: i64) -> BoxFuture<'_, Result<Vec<ExchangeRecord>>> {
        Box::pin(exchanges::pending(&self.pool, instance_id))
    }

    fn outbox(&self) -> BoxFuture<'_, Result<Vec<OutboxEntry>>> {
        Box::pin(delivery::outbox(&self.pool))
    }

    fn delivered<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let _writing = self.writer.lock().await;
            delivery::delivered(&self.pool, message_id).await
        })
    }

    fn received<'a>(&'a self, message_id: &'a str) -> BoxFuture<'a, Result<Option<Received>>> {
        Box::pin(delivery::received(&self.pool, message_id))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
    }
}
