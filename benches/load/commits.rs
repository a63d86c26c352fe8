//! The raw commit rate of a store: one client inserting one row per transaction, in a loop,
//! into the same kind of database Baton's durable HelloWorld runs on (SQLite in WAL mode with
//! `synchronous=FULL`, or a PostgreSQL server). Baton's durable requests per second divided
//! by it says what group commit buys over committing each step alone.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Database, Executor, Pool};

/// A row's payload: about the size of HelloWorld's stored state.
const PAYLOAD: [u8; 1024] = [7; 1024];

/// Single-row commits per second into a fresh SQLite database in `dir`, for `duration`.
pub(crate) async fn sqlite(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(dir.join("commits.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    pool.execute("CREATE TABLE commits (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        .await?;
    let rate = insert_loop(&pool, "INSERT INTO commits (payload) VALUES (?)", duration).await;
    pool.close().await;
    rate
}

/// Single-row commits per second into a fresh table of the PostgreSQL database at `url`,
/// for `duration`.
pub(crate) async fn postgres(url: &str, duration: Duration) -> anyhow::Result<f64> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    pool.execute("CREATE TABLE commits (id BIGSERIAL PRIMARY KEY, payload BYTEA NOT NULL)")
        .await?;
    let rate = insert_loop(&pool, "INSERT INTO commits (payload) VALUES ($1)", duration).await;
    pool.close().await;
    rate
}

/// Runs `insert` (each an autocommitted transaction) one after another for `duration`.
async fn insert_loop<DB>(pool: &Pool<DB>, insert: &str, duration: Duration) -> anyhow::Result<f64>
where
    DB: Database,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed() < duration {
        sqlx::query(insert).bind(&PAYLOAD[..]).execute(pool).await?;
        commits += 1;
    }
    Ok(commits as f64 / started.elapsed().as_secs_f64())
}
