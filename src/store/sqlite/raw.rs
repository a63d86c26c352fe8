//! Calls on a SQLite connection through its C handle, shared by the step writer
//! ([`super::direct`]) and the checkpoints beside it ([`super::checkpoints`]).

use std::ffi::{c_int, CStr};
use std::path::PathBuf;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;

/// Runs `sql`, statements without arguments, on connection `db`; fails with the
/// connection's message.
pub(super) fn exec(db: NonNull<ffi::sqlite3>, sql: &CStr) -> Result<(), String> {
    // SAFETY: the caller's valid connection, and a NUL-terminated statement.
    let code = unsafe {
        ffi::sqlite3_exec(
            db.as_ptr(),
            sql.as_ptr(),
            None,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    match code {
        ffi::SQLITE_OK => Ok(()),
        _ => Err(message(db)),
    }
}

/// Copies what the write-ahead log of database `name` of connection `db` holds into the
/// database, passively (what no reader still needs, waiting for no lock); returns the log's
/// pages and how many of them are copied.
pub(super) fn checkpoint(db: NonNull<ffi::sqlite3>, name: &CStr) -> Result<(c_int, c_int), String> {
    let (mut log, mut copied) = (0, 0);
    // SAFETY: the caller's valid connection and a NUL-terminated name; the counts are
    // written to locals.
    let code = unsafe {
        ffi::sqlite3_wal_checkpoint_v2(
            db.as_ptr(),
            name.as_ptr(),
            ffi::SQLITE_CHECKPOINT_PASSIVE,
            &mut log,
            &mut copied,
        )
    };
    match code {
        ffi::SQLITE_OK => Ok((log, copied)),
        _ => Err(message(db)),
    }
}

/// The message of connection `db`'s last error.
pub(super) fn message(db: NonNull<ffi::sqlite3>) -> String {
    // SAFETY: the caller's valid connection; SQLite returns a NUL-terminated message it owns.
    unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned()
}

/// The path of the write-ahead log of connection `db`'s main database; none for a database
/// in memory.
pub(super) fn wal_path(db: NonNull<ffi::sqlite3>) -> Option<PathBuf> {
    // SAFETY: the caller's valid connection and a NUL-terminated name; SQLite returns its
    // own NUL-terminated names (an empty one for a database in memory), or null.
    let path = unsafe {
        let database = ffi::sqlite3_db_filename(db.as_ptr(), c"main".as_ptr());
        if database.is_null() || *database == 0 {
            return None;
        }
        CStr::from_ptr(ffi::sqlite3_filename_wal(database))
    };
    Some(PathBuf::from(path.to_str().ok()?))
}
