//! The connection pool of a database server (PostgreSQL, MySQL), configured alike for every
//! backend: how many connections at most, how many kept idle, how long a caller waits for
//! one, and how a connection is tested before it is handed out.
//!
//! A connection the database dropped (a restart, a network cut) fails its test and is
//! replaced, so work resumes by itself once the database is back; while it is away, callers
//! wait up to `max_wait` for a connection and then fail with a database error.
//!
//! Every SQL store, SQLite's included, reads through such a pool; [`PoolUse`] is how it is
//! used at a moment, for the server's metrics.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::pool::{Pool, PoolOptions};
use sqlx::Connection;

use super::sql::dialect::Dialect;

/// Settings of a connection pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// The most connections open at once.
    pub max_active: u32,
    /// The most connections kept open while idle; more are closed when released.
    pub max_idle: u32,
    /// How long a caller waits for a connection before failing.
    pub max_wait: Duration,
    /// Whether a connection is tested before it is handed out.
    pub test_on_borrow: bool,
    /// The statement that tests a connection; `None` uses the driver's ping.
    pub validation_query: Option<String>,
}

/// How a store's connection pool is used at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// The database's name, as its driver gives it (`SQLite`, `PostgreSQL`, `MySQL`).
    pub database: &'static str,
    /// Connections open, idle or in use.
    pub open: u32,
    /// Connections open and idle.
    pub idle: usize,
    /// The most connections the pool opens.
    pub max: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_active: 8,
            max_idle: 8,
            max_wait: Duration::from_secs(30),
            test_on_borrow: true,
            validation_query: None,
        }
    }
}

impl PoolSettings {
    /// Pool options of database `DB` with these settings.
    fn options<DB: Dialect>(&self) -> PoolOptions<DB> {
        let mut options = PoolOptions::<DB>::new()
            .max_connections(self.max_active)
            .min_connections(0)
            .acquire_timeout(self.max_wait)
            .test_before_acquire(self.test_on_borrow && self.validation_query.is_none());
        if let (true, Some(query)) = (self.test_on_borrow, self.validation_query.clone()) {
            let query: Arc<str> = query.into();
            options = options.before_acquire(move |conn, _| {
                let query = query.clone();
                Box::pin(async move {
                    DB::run_script(conn, &query).await?;
                    Ok(true)
                })
            });
        }
        options
    }

    /// Connects a pool of `DB` with these settings to the database `connect` names. One
    /// connection is made first, alone, so that an unreachable database is reported at once
    /// rather than after `max_wait` of retries.
    pub(crate) async fn connect<DB: Dialect>(
        &self,
        connect: <DB::Connection as Connection>::Options,
    ) -> Result<Pool<DB>, sqlx::Error> {
        <DB::Connection as Connection>::connect_with(&connect)
            .await?
            .close()
            .await?;
        let handle: Arc<OnceLock<Pool<DB>>> = Arc::new(OnceLock::new());
        let max_idle = usize::try_from(self.max_idle).unwrap_or(usize::MAX);
        let released = handle.clone();
        let pool = self
            .options::<DB>()
            .after_release(move |_, _| {
                let keep = released.get().is_none_or(|pool| pool.num_idle() < max_idle);
                Box::pin(async move { Ok(keep) })
            })
            .connect_with(connect)
            .await?;
        let _ = handle.set(pool.clone());
        Ok(pool)
    }
}
