//! The SQLite store's step writer: a thread of its own that owns one connection and writes
//! each batch of steps through SQLite's C interface on that thread.
//!
//! Through sqlx, every statement of a batch (`BEGIN IMMEDIATE`, one per kind of row,
//! `COMMIT`) is a hand-off to the connection's own thread and back, and under load each
//! hand-off, two thread wake-ups, costs more than the statement. Here the writer's thread
//! runs them itself. The connection is still sqlx's, opened with the store's options
//! (WAL, `synchronous`, foreign keys, busy timeout): the writer locks it for its whole life
//! ([`SqliteConnection::lock_handle`]), so that sqlx runs nothing on it meanwhile, and it is
//! closed by sqlx when the writer ends (every handle on the store dropped).
//!
//! A batch's statements differ from another's only in how many rows they carry, so the
//! writer keeps each statement it prepared, by its SQL, and runs it again with new values:
//! SQLite parses and plans a statement once, not once per batch.
//!
//! When a step of a batch may be refused, the batch is written again step by step the shared
//! way, on the store's pool ([`Steps`]). Either way a batch takes the store's write lock
//! first, as every write of a SQLite store does.
//!
//! Beside the writer run two threads of the store: one copies the log into the database
//! ([`checkpoints`](super::checkpoints)); with `synchronous=FULL`, the other syncs the log
//! for the writer's commits, which then leave it unsynced, and answers their steps once it
//! is on disk ([`log_sync`](super::log_sync)).

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_uint, CStr};
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use libsqlite3_sys as ffi;
use sqlx::sqlite::SqliteConnection;
use sqlx::Sqlite;

use super::checkpoints::Checkpoints;
use super::log_sync::{LogSync, WalFile};
use super::raw;
use crate::store::group_commit::{self, Answers, Batch, Counters, Writer};
use crate::store::sql::dialect::{Statement, Value};
use crate::store::sql::rows_at_once;
use crate::store::sql::steps::Steps;
use crate::store::{Error, Result, StepCommit};

/// How the writer runs beside its helpers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settings {
    /// The log's pages at which the thread beside the writer checkpoints it.
    pub(super) checkpoint_pages: u32,
    /// Whether a thread beside the writer syncs the log for the writer's commits (see
    /// [`log_sync`](super::log_sync)): when the store is to sync at every commit.
    pub(super) sync_apart: bool,
}

/// Starts the writer of `steps` on a thread of its own, on `connection`, with its helpers
/// beside it as `settings` say; on the current runtime, through sqlx, if the thread cannot
/// start.
pub(super) fn start(
    connection: SqliteConnection,
    settings: Settings,
    steps: Steps<Sqlite>,
) -> Writer {
    let (writer, queue, counters) = Writer::new();
    let fallback = steps.clone();
    let spawned = std::thread::Builder::new()
        .name("baton-store-writer".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => {
                    runtime.block_on(write(connection, settings, steps, queue, counters))
                }
                Err(error) => tracing::error!(%error, "The store's writer cannot run"),
            }
        });
    match spawned {
        Ok(_) => writer,
        Err(error) => {
            tracing::warn!(%error, "No thread for the store's writer; it writes through sqlx");
            Writer::start(fallback)
        }
    }
}

/// The writer's life on its thread.
async fn write(
    mut connection: SqliteConnection,
    settings: Settings,
    steps: Steps<Sqlite>,
    queue: group_commit::Queue,
    counters: Arc<Counters>,
) {
    let mut locked = match connection.lock_handle().await {
        Ok(locked) => locked,
        Err(error) => {
            tracing::warn!(%error, "The store's writer cannot hold its connection; it writes through sqlx");
            return group_commit::run(&steps, queue, &counters).await;
        }
    };
    let db = locked.as_raw_handle();
    let checkpoints = Checkpoints::start(db, settings.checkpoint_pages, counters.clone());
    let log = match settings.sync_apart {
        true => sync_apart(db, &counters),
        false => None,
    };
    let direct = Direct {
        db: Handle::new(db),
        steps: &steps,
        log,
    };
    group_commit::run(&direct, queue, &counters).await;
    // Its statements are finalised, and its checkpoints unhooked, before the connection is
    // unlocked and closed.
    drop(direct);
    drop(checkpoints);
}

/// Starts the thread that syncs the log of `db` for its commits, and lets them leave the log
/// unsynced; none when it cannot start, and `db` syncs at every commit as before.
fn sync_apart(db: NonNull<ffi::sqlite3>, counters: &Arc<Counters>) -> Option<LogSync> {
    let path = raw::wal_path(db)?;
    let log = LogSync::start(WalFile::new(path), counters.clone())
        .inspect_err(|error| tracing::warn!(%error, "No thread for syncing the store's log; its writer syncs at every commit"))
        .ok()?;
    match raw::exec(db, c"PRAGMA synchronous = NORMAL") {
        Ok(()) => Some(log),
        Err(error) => {
            tracing::warn!(%error, "The store's writer syncs at every commit");
            None
        }
    }
}

/// The most statements the writer keeps prepared; past it, it finalises them all and starts
/// afresh. A batch has about a dozen kinds of statement, each in as many forms as batches
/// have sizes, and under a steady load batch sizes vary little.
const MOST_PREPARED: usize = 256;

/// A batch writer on a locked connection's handle, with the shared writer for what it
/// cannot write.
struct Direct<'a> {
    db: Handle,
    steps: &'a Steps<Sqlite>,
    /// Syncs the log for the writer's commits; none when they sync it themselves.
    log: Option<LogSync>,
}

impl Batch for Direct<'_> {
    fn apply_all<'a>(&'a self, steps: &'a [StepCommit]) -> BoxFuture<'a, Result<Option<Vec<i64>>>> {
        Box::pin(async move {
            let _writing = self.steps.writer.turn::<Sqlite>().await;
            self.db.run(c"BEGIN IMMEDIATE")?;
            let rounds = rows_at_once::rounds(steps);
            let written = rounds.iter().all(|round| {
                rows_at_once::write_with(round, |statement| self.db.execute(&statement))
            });
            if !written {
                self.db.run(c"ROLLBACK")?;
                return Ok(None);
            }
            if let Err(error) = self.db.run(c"COMMIT") {
                self.db.roll_back_if_open();
                return Err(error);
            }
            Ok(Some(rows_at_once::revisions(steps)))
        })
    }

    fn apply_each<'a>(
        &'a self,
        steps: &'a [StepCommit],
    ) -> BoxFuture<'a, Result<Vec<Result<i64>>>> {
        self.steps.apply_each(steps)
    }

    fn committed(&self, answers: Answers) {
        match &self.log {
            Some(log) => log.after_sync(answers),
            None => answers.send(),
        }
    }
}

/// A SQLite connection's handle, while the writer holds its lock, with the statements
/// prepared on it by their SQL.
struct Handle {
    db: NonNull<ffi::sqlite3>,
    prepared: Mutex<HashMap<String, Prepared>>,
}

/// A statement prepared on the writer's connection.
struct Prepared(NonNull<ffi::sqlite3_stmt>);

// SAFETY: a prepared statement is used only through its `Handle` (see below).
unsafe impl Send for Prepared {}

// SAFETY: the handle is used only by the writer, whose batches run one at a time on its
// single-threaded runtime, while it holds the connection's lock (sqlx's thread for the
// connection makes no call on it meanwhile). SQLite's connections may be used from any
// thread, one at a time.
unsafe impl Send for Handle {}
// SAFETY: as for `Send`: only one batch at a time reaches the handle.
unsafe impl Sync for Handle {}

impl Handle {
    fn new(db: NonNull<ffi::sqlite3>) -> Self {
        Handle {
            db,
            prepared: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `sql`, statements without arguments; the database's refusal is
    /// [`Error::Unavailable`]: nothing of the batch is stored.
    fn run(&self, sql: &CStr) -> Result<()> {
        raw::exec(self.db, sql).map_err(Error::Unavailable)
    }

    /// Rolls back the transaction a failed `COMMIT` may have left open.
    fn roll_back_if_open(&self) {
        // SAFETY: a valid handle (see `Handle`).
        if unsafe { ffi::sqlite3_get_autocommit(self.db.as_ptr()) } == 0 {
            let _ = self.run(c"ROLLBACK");
        }
    }

    /// Runs `statement`, in SQLite's form, and returns the rows it changed.
    fn execute(&self, statement: &Statement<'_>) -> std::result::Result<u64, String> {
        let mut prepared = self.prepared.lock().unwrap_or_else(PoisonError::into_inner);
        if prepared.len() >= MOST_PREPARED {
            finalize_all(&mut prepared);
        }
        let handle = match prepared.get(statement.sql.as_ref()) {
            Some(handle) => handle.0,
            None => {
                let handle = self.prepare(&statement.sql)?;
                prepared.insert(statement.sql.to_string(), Prepared(handle));
                handle
            }
        };
        let outcome = self.bind_and_step(handle.as_ptr(), &statement.values);
        // SAFETY: a live statement; reset for its next run, its values unbound so that it
        // keeps no pointer to them.
        unsafe {
            ffi::sqlite3_reset(handle.as_ptr());
            ffi::sqlite3_clear_bindings(handle.as_ptr());
        }
        outcome
    }

    /// Prepares `sql` to be kept and run again.
    fn prepare(&self, sql: &str) -> std::result::Result<NonNull<ffi::sqlite3_stmt>, String> {
        let length = c_int::try_from(sql.len()).map_err(|error| error.to_string())?;
        let mut prepared = ptr::null_mut();
        // SAFETY: a valid handle; `sql` is valid for `length` bytes.
        let code = unsafe {
            ffi::sqlite3_prepare_v3(
                self.db.as_ptr(),
                sql.as_ptr().cast::<c_char>(),
                length,
                ffi::SQLITE_PREPARE_PERSISTENT as c_uint,
                &mut prepared,
                ptr::null_mut(),
            )
        };
        match (code, NonNull::new(prepared)) {
            (ffi::SQLITE_OK, Some(prepared)) => Ok(prepared),
            _ => Err(raw::message(self.db)),
        }
    }

    /// Binds `values` to `prepared`'s placeholders in order and runs it to its end.
    fn bind_and_step(
        &self,
        prepared: *mut ffi::sqlite3_stmt,
        values: &[Value<'_>],
    ) -> std::result::Result<u64, String> {
        for (index, value) in values.iter().enumerate() {
            let index = c_int::try_from(index + 1).map_err(|error| error.to_string())?;
            // SAFETY: `prepared` is a live statement; text and bytes outlive it (they are
            // bound as static, not copied, and the statement is finalised before they go).
            let code = unsafe {
                match *value {
                    Value::Int(value) => ffi::sqlite3_bind_int64(prepared, index, value),
                    Value::Flag(value) => ffi::sqlite3_bind_int64(prepared, index, value.into()),
                    Value::Text(None) | Value::Bytes(None) => {
                        ffi::sqlite3_bind_null(prepared, index)
                    }
                    Value::Text(Some(text)) => ffi::sqlite3_bind_text(
                        prepared,
                        index,
                        text.as_ptr().cast::<c_char>(),
                        c_int::try_from(text.len()).map_err(|error| error.to_string())?,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Bytes(Some([])) => ffi::sqlite3_bind_zeroblob(prepared, index, 0),
                    Value::Bytes(Some(bytes)) => ffi::sqlite3_bind_blob(
                        prepared,
                        index,
                        bytes.as_ptr().cast(),
                        c_int::try_from(bytes.len()).map_err(|error| error.to_string())?,
                        ffi::SQLITE_STATIC(),
                    ),
                }
            };
            if code != ffi::SQLITE_OK {
                return Err(raw::message(self.db));
            }
        }
        loop {
            // SAFETY: `prepared` is a live statement with every placeholder bound.
            match unsafe { ffi::sqlite3_step(prepared) } {
                ffi::SQLITE_ROW => continue,
                ffi::SQLITE_DONE => break,
                _ => return Err(raw::message(self.db)),
            }
        }
        // SAFETY: a valid handle.
        let changes = unsafe { ffi::sqlite3_changes64(self.db.as_ptr()) };
        Ok(u64::try_from(changes).unwrap_or_default())
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        finalize_all(
            self.prepared
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
    }
}

/// Finalises every statement of `prepared` and forgets them.
fn finalize_all(prepared: &mut HashMap<String, Prepared>) {
    for (_, statement) in prepared.drain() {
        // SAFETY: each statement came from `sqlite3_prepare_v3` and is finalised once.
        unsafe { ffi::sqlite3_finalize(statement.0.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, Executor};

    use super::*;

    #[tokio::test]
    async fn statements_are_prepared_once_and_never_more_than_the_most() {
        let mut connection = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        connection
            .execute("CREATE TABLE t (n INTEGER NOT NULL)")
            .await
            .unwrap();
        let mut locked = connection.lock_handle().await.unwrap();
        let db = Handle::new(locked.as_raw_handle());
        let insert = |rows: usize| {
            let sql = format!("INSERT INTO t (n) VALUES {}", vec!["(?)"; rows].join(", "));
            let values = (0..rows).map(|n| Value::Int(n as i64));
            Statement::new(sql).bind_all(values)
        };
        for _ in 0..3 {
            assert_eq!(db.execute(&insert(2)), Ok(2));
        }
        assert_eq!(
            db.prepared.lock().unwrap().len(),
            1,
            "one statement, run three times"
        );
        let mut written = 6;
        for rows in 1..=MOST_PREPARED + 10 {
            written += db.execute(&insert(rows)).unwrap();
            assert!(db.prepared.lock().unwrap().len() <= MOST_PREPARED);
        }
        assert!(db
            .execute(&Statement::new("INSERT INTO t (n) VALUES (NULL)"))
            .is_err());
        drop(db);
        drop(locked);
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut connection)
            .await
            .unwrap();
        assert_eq!(u64::try_from(stored).unwrap(), written);
    }
}
