//! Checkpoints of the SQLite store's write-ahead log, on a thread beside its step writer.
//!
//! In WAL mode a commit appends pages to the log, and a checkpoint copies them back into
//! the database file and syncs it. SQLite runs the checkpoint on the connection that
//! committed, once the log holds 1,000 pages: the step writer would then stop committing
//! while megabytes are written and synced. Here a hook on the writer's connection only
//! wakes a thread of the store's own, which checkpoints on a second connection while the
//! writer goes on (WAL lets a checkpoint and a writer run at once). Once the thread has
//! copied the log it saw, the writer copies the few pages committed since, after its next
//! commit: then nothing is left to copy and its next transaction starts the log afresh,
//! which it cannot while a page is left (the thread alone would always be a commit late).
//! Should the thread fall [`BEHIND`] times as many pages behind, or not run at all, the
//! writer checkpoints itself, as SQLite would have: the log stays bounded either way.
//!
//! Checkpoints are passive: they copy what no reader still needs and never wait for a lock.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;

use libsqlite3_sys as ffi;

use super::raw;
use crate::store::group_commit::Counters;

/// How many times the pages at which a checkpoint begins the log may hold before the writer
/// checkpoints itself.
const BEHIND: u32 = 10;

/// The pages of the log at which the writer checkpoints itself, when the thread beside it
/// begins at `pages`; every other connection of the store waits as long.
pub(super) fn writer_pages(pages: u32) -> u32 {
    pages.max(1).saturating_mul(BEHIND)
}

/// The hook on a writer's connection that begins checkpoints; unhooked when dropped, which
/// also ends the checkpoints' thread.
pub(super) struct Checkpoints {
    writer: NonNull<ffi::sqlite3>,
    /// What the hook reads; boxed so that its address stays put while hooked.
    _hook: Box<Hook>,
}

/// When and how the hook begins a checkpoint.
struct Hook {
    /// Log pages at which the thread is woken.
    pages: c_int,
    /// Log pages at which the writer checkpoints itself.
    own: c_int,
    /// Wakes the checkpoints' thread; none when it could not start.
    wake: Option<SyncSender<()>>,
    /// Set by the thread when its last checkpoint copied the whole log it saw.
    caught_up: Arc<AtomicBool>,
    counters: Arc<Counters>,
}

impl Checkpoints {
    /// Hooks checkpoints onto `writer`, a connection to a database file in WAL mode, with a
    /// thread of their own that begins one when the log holds `pages` pages, counting them
    /// in `counters`. Without that thread the writer checkpoints at `pages` itself.
    pub(super) fn start(
        writer: NonNull<ffi::sqlite3>,
        pages: u32,
        counters: Arc<Counters>,
    ) -> Self {
        let caught_up = Arc::new(AtomicBool::new(false));
        let wake = match spawn(writer, caught_up.clone(), counters.clone()) {
            Ok(wake) => Some(wake),
            Err(error) => {
                tracing::warn!(%error, "No thread for the store's checkpoints; its writer runs them");
                None
            }
        };
        Self::hook(writer, pages, wake, caught_up, counters)
    }

    /// Hooks onto `writer`, waking `wake` at `pages` pages.
    fn hook(
        writer: NonNull<ffi::sqlite3>,
        pages: u32,
        wake: Option<SyncSender<()>>,
        caught_up: Arc<AtomicBool>,
        counters: Arc<Counters>,
    ) -> Self {
        let own = match wake {
            Some(_) => writer_pages(pages),
            None => pages.max(1),
        };
        let in_c = |pages: u32| c_int::try_from(pages).unwrap_or(c_int::MAX);
        let (pages, own) = (in_c(pages.max(1)), in_c(own));
        let hook = Box::new(Hook {
            pages,
            own,
            wake,
            caught_up,
            counters,
        });
        let argument = ptr::from_ref::<Hook>(&hook).cast_mut().cast::<c_void>();
        // SAFETY: a valid connection; `hook` lives until it is unhooked in `drop`.
        unsafe { ffi::sqlite3_wal_hook(writer.as_ptr(), Some(committed), argument) };
        Checkpoints {
            writer,
            _hook: hook,
        }
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        // SAFETY: the writer's connection is still open (it is closed after this is dropped).
        unsafe { ffi::sqlite3_wal_hook(self.writer.as_ptr(), None, ptr::null_mut()) };
    }
}

/// The hook SQLite calls after each commit of the writer, with the pages of its log.
unsafe extern "C" fn committed(
    hook: *mut c_void,
    db: *mut ffi::sqlite3,
    name: *const c_char,
    pages: c_int,
) -> c_int {
    // SAFETY: the argument given in `Checkpoints::hook`, alive while hooked.
    let hook = unsafe { &*hook.cast::<Hook>() };
    let finishes = pages >= hook.pages && hook.caught_up.swap(false, Ordering::AcqRel);
    if pages >= hook.own || finishes {
        // SAFETY: SQLite's own NUL-terminated database name.
        let name = unsafe { CStr::from_ptr(name) };
        let checkpointed = NonNull::new(db).map(|db| raw::checkpoint(db, name));
        if let Some(Ok((_, 1..))) = checkpointed {
            hook.counters.checkpointed(true);
        }
    } else if pages >= hook.pages {
        if let Some(wake) = &hook.wake {
            let _ = wake.try_send(());
        }
    }
    ffi::SQLITE_OK
}

/// Opens a second connection to `writer`'s database file and starts the thread that
/// checkpoints on it whenever woken, until its waker is dropped.
fn spawn(
    writer: NonNull<ffi::sqlite3>,
    caught_up: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> Result<SyncSender<()>, String> {
    // SAFETY: a valid connection; SQLite owns the name, copied here at once.
    let file = unsafe { ffi::sqlite3_db_filename(writer.as_ptr(), c"main".as_ptr()) };
    if file.is_null() {
        return Err("the writer's database has no file".into());
    }
    // SAFETY: a NUL-terminated name, checked above not to be null.
    let file = unsafe { CStr::from_ptr(file) }.to_owned();
    let connection = Connection::open(&file)?;
    let (wake, woken) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("baton-store-checkpoints".into())
        .spawn(move || {
            while woken.recv().is_ok() {
                match connection.checkpoint() {
                    Ok((log, copied)) => {
                        if copied > 0 {
                            counters.checkpointed(false);
                        }
                        caught_up.store(copied == log, Ordering::Release);
                    }
                    Err(error) => tracing::debug!(%error, "A checkpoint did not run"),
                }
            }
        })
        .map_err(|error| error.to_string())?;
    Ok(wake)
}

/// A connection of the checkpoints' own, closed when dropped.
struct Connection(NonNull<ffi::sqlite3>);

// SAFETY: the connection is used by one thread at a time (the one that opened it, then the
// checkpoints' thread); SQLite's connections may move between threads.
unsafe impl Send for Connection {}

impl Connection {
    fn open(file: &CString) -> Result<Self, String> {
        let mut db = ptr::null_mut();
        // SAFETY: a NUL-terminated file name; `db` receives the handle, even on failure.
        let code = unsafe {
            ffi::sqlite3_open_v2(
                file.as_ptr(),
                &mut db,
                ffi::SQLITE_OPEN_READWRITE,
                ptr::null(),
            )
        };
        let connection = NonNull::new(db).map(Connection);
        match (code, connection) {
            (ffi::SQLITE_OK, Some(connection)) => {
                // A connection learns that the database is in WAL mode by reading it; until
                // then a checkpoint does nothing.
                raw::exec(connection.0, c"SELECT COUNT(*) FROM sqlite_schema")?;
                Ok(connection)
            }
            (_, Some(connection)) => Err(raw::message(connection.0)),
            (code, None) => Err(format!("SQLite could not open a connection (code {code})")),
        }
    }

    /// Checkpoints the log passively (see [`raw::checkpoint`]).
    fn checkpoint(&self) -> Result<(c_int, c_int), String> {
        raw::checkpoint(self.0, c"main")
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // SAFETY: opened by `sqlite3_open_v2` and closed once.
        unsafe { ffi::sqlite3_close(self.0.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    use sqlx::{ConnectOptions, Executor};
    use tempfile::TempDir;

    use super::*;

    /// A new directory with a WAL database `baton.db` of a table of blobs, and a connection
    /// to it.
    async fn database() -> (TempDir, sqlx::SqliteConnection) {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = SqliteConnectOptions::new()
            .filename(dir.path().join("baton.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .connect()
            .await
            .unwrap();
        connection
            .execute("CREATE TABLE blobs (data BLOB NOT NULL)")
            .await
            .unwrap();
        (dir, connection)
    }

    /// Waits until `done`, failing after ten seconds that `what` did not happen.
    async fn until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Commits `transactions` transactions on `db`, each of four or five pages.
    fn write(db: NonNull<ffi::sqlite3>, transactions: usize) {
        for _ in 0..transactions {
            let sql = c"INSERT INTO blobs (data) VALUES (randomblob(16000))";
            raw::exec(db, sql).unwrap();
        }
    }

    /// Asserts that the log of `baton.db` in `dir` never held more than `pages` pages (of
    /// 4 KiB, with their frame headers).
    fn assert_log_at_most(dir: &Path, pages: u32) {
        let size = std::fs::metadata(dir.join("baton.db-wal")).unwrap().len();
        let most = u64::from(pages) * 4200;
        assert!(size <= most, "the log grew to {size} bytes, past {most}");
    }

    #[tokio::test]
    async fn the_thread_beside_the_writer_checkpoints_the_log() {
        let (_dir, mut connection) = database().await;
        let mut locked = connection.lock_handle().await.unwrap();
        let counters = Arc::new(Counters::default());
        let checkpoints = Checkpoints::start(locked.as_raw_handle(), 8, counters.clone());
        // Ten pages or so: past where the thread is woken, far from where the writer would
        // checkpoint itself.
        write(locked.as_raw_handle(), 2);
        until("no checkpoint ran", || counters.stats().checkpoints > 0).await;
        assert_eq!(counters.stats().checkpoints_by_writer, 0);
        drop(checkpoints);
    }

    #[tokio::test]
    async fn the_writer_finishes_what_the_thread_copied_and_starts_the_log_afresh() {
        let (dir, mut connection) = database().await;
        let mut locked = connection.lock_handle().await.unwrap();
        let counters = Arc::new(Counters::default());
        let checkpoints = Checkpoints::start(locked.as_raw_handle(), 8, counters.clone());
        let checkpoints_so_far = || {
            let stats = counters.stats();
            stats.checkpoints + stats.checkpoints_by_writer
        };
        // Each round passes the pages at which a checkpoint begins: the thread copies the log
        // in one round, the writer finishes it in the next.
        for round in 1..=30 {
            write(locked.as_raw_handle(), 2);
            let what = format!("no checkpoint in round {round}");
            until(&what, || checkpoints_so_far() >= round).await;
        }
        assert!(counters.stats().checkpoints > 0);
        assert!(counters.stats().checkpoints_by_writer > 0);
        // Thirty rounds of ten pages or so; a log never started afresh would reach the pages
        // at which the writer checkpoints itself (80).
        assert_log_at_most(dir.path(), 40);
        drop(checkpoints);
    }

    #[tokio::test]
    async fn the_writer_checkpoints_itself_when_the_thread_falls_behind() {
        let (dir, mut connection) = database().await;
        let mut locked = connection.lock_handle().await.unwrap();
        let counters = Arc::new(Counters::default());
        // A thread that never wakes.
        let (wake, _asleep) = mpsc::sync_channel(1);
        let caught_up = Arc::new(AtomicBool::new(false));
        let checkpoints = Checkpoints::hook(
            locked.as_raw_handle(),
            4,
            Some(wake),
            caught_up,
            counters.clone(),
        );
        // Sixty transactions of four or five pages each.
        write(locked.as_raw_handle(), 60);
        assert!(counters.stats().checkpoints_by_writer > 0);
        assert_log_at_most(dir.path(), writer_pages(4) + 5);
        drop(checkpoints);
    }
}
