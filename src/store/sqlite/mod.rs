//! Opening the store in SQLite, the embedded default.
//!
//! [`SqliteStore`] keeps everything in one database file in WAL mode, with foreign keys on
//! and `synchronous=FULL` by default so an acknowledged commit survives a power loss; its
//! tables are the shared [`SqlStore`](super::sql::SqlStore)'s, whose writes queue behind one
//! lock since SQLite takes one writer at a time. The schema is `dbscripts/sqlite.sql`
//! (version 1) and its migrations (`sqlite-2.sql`, ...), embedded; opening a store brings a
//! database without it, or with an older version, up to date in one transaction.

mod checkpoints;
mod direct;
mod log_sync;
mod raw;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqliteConnection};

use super::schema::{self, Migration, Migrations};
use super::sql::SqlStore;
use super::{Error, Result};

/// The migration scripts, the first creating the schema.
const MIGRATIONS: Migrations = [
    include_str!("../../../dbscripts/sqlite.sql"),
    include_str!("../../../dbscripts/sqlite-2.sql"),
    include_str!("../../../dbscripts/sqlite-3.sql"),
    include_str!("../../../dbscripts/sqlite-4.sql"),
    include_str!("../../../dbscripts/sqlite-5.sql"),
    include_str!("../../../dbscripts/sqlite-6.sql"),
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
    /// Pages of the write-ahead log (4 KiB each) at which it is copied into the database by
    /// a thread beside the step writer; the writer copies it itself past ten times as many.
    pub checkpoint_pages: u32,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        SqliteConfig {
            max_connections: 8,
            busy_timeout_ms: 5000,
            synchronous: Synchronous::Full,
            checkpoint_pages: 1000,
        }
    }
}

/// A [`Store`](super::Store) in a SQLite database.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqlStore<Sqlite> {
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
        let direct = match in_memory(options.get_filename()) {
            true => None,
            false => Some(direct::Settings {
                checkpoint_pages: config.checkpoint_pages,
                sync_apart: config.synchronous == Synchronous::Full,
            }),
        };
        Self::connect(options, config.max_connections, direct).await
    }

    /// Opens a private in-memory database, for tests. It lives as long as the store.
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: the database exists only while it is open, and several connections
        // to a shared-cache database would lock each other out instead of waiting.
        Ok(Self::connect(options, 1, None).await?.0)
    }

    /// Opens the pool and applies the schema; with `direct`, also the step writer's own
    /// connection (see [`direct`]): not for a database in memory, whose connections share a
    /// cache and would lock each other out instead of waiting.
    async fn connect(
        options: SqliteConnectOptions,
        max_connections: u32,
        direct: Option<direct::Settings>,
    ) -> Result<(Self, Migration)> {
        let writing = match direct {
            Some(settings) => Some((SqliteConnection::connect_with(&options).await?, settings)),
            None => None,
        };
        // The other connections leave checkpoints to the thread beside the writer too, but
        // for the bound the writer keeps (see [`checkpoints`]).
        let options = match direct {
            Some(settings) => options.pragma(
                "wal_autocheckpoint",
                checkpoints::writer_pages(settings.checkpoint_pages).to_string(),
            ),
            None => options,
        };
        // SQLite connections are cheap and there is no server to time them out or drop them:
        // keep them, which also keeps an in-memory database alive, and hand them out untested.
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        let store = match writing {
            Some((connection, settings)) => {
                SqlStore::on_with(pool, |steps| direct::start(connection, settings, steps))
            }
            None => SqlStore::on(pool),
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
        let exists =
            "SELECT COUNT(*) AS found FROM sqlite_master WHERE name = 'baton_schema_version'";
        let migration = schema::bring_up_to_date::<Sqlite>(&mut tx, exists, &MIGRATIONS).await?;
        tx.commit().await?;
        Ok(migration)
    }
}

/// Whether database file `file` is a database in memory.
fn in_memory(file: &Path) -> bool {
    file == Path::new(":memory:") || file.to_string_lossy().starts_with("file:")
}

/// Creates the directory that will hold database file `file`, unless it is in memory.
fn create_parent_dir(file: &Path) -> Result<()> {
    match file.parent() {
        Some(dir) if !in_memory(file) && !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| Error::Directory {
                path: dir.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}
