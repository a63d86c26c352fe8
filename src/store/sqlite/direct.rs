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
//! When a step of a batch may be refused, the batch is written again step by step the shared
//! way, on the store's pool ([`Steps`]). Either way a batch takes the store's write lock
//! first, as every write of a SQLite store does.

use std::ffi::{c_char, c_int, CStr};
use std::ptr::{self, NonNull};

use futures::future::BoxFuture;
use libsqlite3_sys as ffi;
use sqlx::sqlite::SqliteConnection;
use sqlx::Sqlite;

use crate::store::group_commit::{self, Batch, Writer};
use crate::store::sql::dialect::{Statement, Value};
use crate::store::sql::rows_at_once;
use crate::store::sql::steps::Steps;
use crate::store::{Error, Result, StepCommit};

/// Starts the writer of `steps` on a thread of its own, on `connection`; on the current
/// runtime, through sqlx, if the thread cannot start.
pub(super) fn start(connection: SqliteConnection, steps: Steps<Sqlite>) -> Writer {
    let (writer, queue, counters) = Writer::new();
    let fallback = steps.clone();
    let spawned = std::thread::Builder::new()
        .name("baton-store-writer".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => runtime.block_on(write(connection, steps, queue, counters)),
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
    steps: Steps<Sqlite>,
    queue: group_commit::Queue,
    counters: std::sync::Arc<group_commit::Counters>,
) {
    let mut locked = match connection.lock_handle().await {
        Ok(locked) => locked,
        Err(error) => {
            tracing::warn!(%error, "The store's writer cannot hold its connection; it writes through sqlx");
            return group_commit::run(&steps, queue, &counters).await;
        }
    };
    let direct = Direct {
        db: Handle(locked.as_raw_handle()),
        steps: &steps,
    };
    group_commit::run(&direct, queue, &counters).await;
}

/// A batch writer on a locked connection's handle, with the shared writer for what it
/// cannot write.
struct Direct<'a> {
    db: Handle,
    steps: &'a Steps<Sqlite>,
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
}

/// A SQLite connection's handle, while the writer holds its lock.
struct Handle(NonNull<ffi::sqlite3>);

// SAFETY: the handle is used only by the writer, whose batches run one at a time on its
// single-threaded runtime, while it holds the connection's lock (sqlx's thread for the
// connection makes no call on it meanwhile). SQLite's connections may be used from any
// thread, one at a time.
unsafe impl Send for Handle {}
// SAFETY: as for `Send`: only one batch at a time reaches the handle.
unsafe impl Sync for Handle {}

impl Handle {
    /// Runs `sql`, statements without arguments; the database's refusal is
    /// [`Error::Unavailable`]: nothing of the batch is stored.
    fn run(&self, sql: &CStr) -> Result<()> {
        // SAFETY: a valid handle (see `Handle`) and a NUL-terminated statement.
        let code = unsafe {
            ffi::sqlite3_exec(
                self.0.as_ptr(),
                sql.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        match code {
            ffi::SQLITE_OK => Ok(()),
            _ => Err(Error::Unavailable(self.message())),
        }
    }

    /// Rolls back the transaction a failed `COMMIT` may have left open.
    fn roll_back_if_open(&self) {
        // SAFETY: a valid handle (see `Handle`).
        if unsafe { ffi::sqlite3_get_autocommit(self.0.as_ptr()) } == 0 {
            let _ = self.run(c"ROLLBACK");
        }
    }

    /// Runs `statement`, in SQLite's form, and returns the rows it changed.
    fn execute(&self, statement: &Statement<'_>) -> std::result::Result<u64, String> {
        let db = self.0.as_ptr();
        let length = c_int::try_from(statement.sql.len()).map_err(|error| error.to_string())?;
        let mut prepared = ptr::null_mut();
        // SAFETY: a valid handle; `sql` is valid for `length` bytes.
        let code = unsafe {
            ffi::sqlite3_prepare_v2(
                db,
                statement.sql.as_ptr().cast::<c_char>(),
                length,
                &mut prepared,
                ptr::null_mut(),
            )
        };
        if code != ffi::SQLITE_OK {
            return Err(self.message());
        }
        let outcome = self.bind_and_step(prepared, &statement.values);
        // SAFETY: `prepared` came from `sqlite3_prepare_v2` and is finalised once.
        unsafe { ffi::sqlite3_finalize(prepared) };
        outcome
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
                return Err(self.message());
            }
        }
        loop {
            // SAFETY: `prepared` is a live statement with every placeholder bound.
            match unsafe { ffi::sqlite3_step(prepared) } {
                ffi::SQLITE_ROW => continue,
                ffi::SQLITE_DONE => break,
                _ => return Err(self.message()),
            }
        }
        // SAFETY: a valid handle.
        let changes = unsafe { ffi::sqlite3_changes64(self.0.as_ptr()) };
        Ok(u64::try_from(changes).unwrap_or_default())
    }

    /// The message of the connection's last error.
    fn message(&self) -> String {
        // SAFETY: a valid handle; SQLite returns a NUL-terminated message it owns.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.0.as_ptr())) }
            .to_string_lossy()
            .into_owned()
    }
}
