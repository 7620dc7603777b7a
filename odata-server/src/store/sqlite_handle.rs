//! A rusqlite connection over the SQLite handle of one of sqlx's connections, for
//! statements run without handing each one to the connection's thread (the one-statement
//! writes of [`super::commit_queue`]).
//!
//! sqlx has no API for that beyond lending the raw handle, so this module is, with
//! [`super::sqlite_case`], one of the two places of the workspace that allow `unsafe`.
#![allow(unsafe_code)]

use sqlx::sqlite::LockedSqliteHandle;

/// Runs `work` with a rusqlite connection over the SQLite connection `handle` locks.
///
/// The rusqlite connection does not own the handle (it never closes it) and is dropped
/// before this returns, finalizing every statement `work` prepared: sqlx, which closes
/// the handle, never finds a statement of ours on it.
pub(crate) fn with_connection<T>(
    handle: &mut LockedSqliteHandle<'_>,
    work: impl FnOnce(&rusqlite::Connection) -> T,
) -> Result<T, rusqlite::Error> {
    // SAFETY: the handle is open and locked for as long as `handle` is borrowed, so sqlx's
    // thread runs nothing on it meanwhile; the connection does not outlive the borrow
    // (see above).
    let connection = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }?;
    Ok(work(&connection))
}
