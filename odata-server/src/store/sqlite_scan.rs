//! Collection reads on SQLite, each page in one hop to a blocking thread.
//!
//! sqlx's SQLite driver runs every connection on a thread of its own and hands each row to
//! the async side through a channel, copying every cell (`sqlite3_value_dup`) on the way.
//! For a page of 50 rows that is 50 hand-offs and the thread switches between them: in a
//! profile of `$filter=… &$top=50` they were most of the database side's CPU. A
//! [`ScanReaders`] reads a page where SQLite produces it: the statement comes from the
//! connection's prepared-statement cache, the rows are decoded straight from SQLite's
//! memory on one thread of tokio's blocking pool, and the page comes back as one value.
//!
//! The statement budget works as on sqlx's connections ([`super::budget`]): a progress
//! handler armed with the request's watch, so a statement stops at the deadline or soon
//! after its request is dropped; the connection and its permit go back to the pool when
//! the blocking work ends, whether or not anybody still waits for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Row};
use tokio::sync::Semaphore;

use super::StoreError;
use super::budget::{self, Deadline, PROGRESS_OPS};
use super::sqlite_case;
use crate::sql::Statement;

/// Prepared statements kept per connection: the distinct query shapes of a busy service
/// (each `$filter` shape is one text), beyond which the least recently used is finalized.
const STATEMENT_CACHE: usize = 256;

/// The `tracing` target of every statement a scan reader runs (as `sqlx::query` is sqlx's).
pub const STATEMENT_LOG: &str = "odata_server::store::scan";

/// How long a reader waits for a writer's lock (a WAL checkpoint) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool of read-only connections to one SQLite database file for collection reads.
#[derive(Debug)]
pub(crate) struct ScanReaders {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
    /// How long a read waits for a free connection.
    wait: Duration,
}

impl ScanReaders {
    /// At most `readers` connections to the database file at `path`, opened when first
    /// needed; a read waits at most `wait` for one.
    pub(crate) fn new(path: &Path, readers: u32, wait: Duration) -> Self {
        let readers = usize::try_from(readers.max(1)).unwrap_or(1);
        Self {
            path: path.to_owned(),
            idle: Arc::new(Mutex::new(Vec::with_capacity(readers))),
            permits: Arc::new(Semaphore::new(readers)),
            wait,
        }
    }

    /// The rows of `statement`, each turned into a `T` by `decode` as it is read;
    /// interrupted at `deadline`.
    ///
    /// Waiting longer than the pool's `wait` for a connection is
    /// `sqlx::Error::PoolTimedOut` (the service answers 503), as on sqlx's pools.
    pub(crate) async fn fetch<T, F>(
        &self,
        statement: Statement,
        deadline: Deadline,
        mut decode: F,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Row<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        let (watch, keep_running) = budget::watch(deadline);
        let idle = Arc::clone(&self.idle);
        let path = self.path.clone();
        let read = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let connection = match pooled {
                Some(connection) => connection,
                None => open(&path).map_err(|e| of_scan(e, deadline))?,
            };
            // rusqlite's handler interrupts on `true`.
            let rows = connection
                .progress_handler(PROGRESS_OPS, Some(move || !keep_running()))
                .map_err(|e| of_scan(e, deadline))
                .and_then(|()| read_all(&connection, &statement, &mut decode, deadline));
            // A connection that keeps this request's handler would stop the next one.
            if connection
                .progress_handler(PROGRESS_OPS, None::<fn() -> bool>)
                .is_ok()
            {
                idle.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(connection);
            }
            rows
        });
        let rows = read.await.map_err(|e| {
            StoreError::Scan(rusqlite::Error::UserFunctionError(
                format!("the read's thread failed: {e}").into(),
            ))
        })?;
        watch.finish();
        rows
    }

    /// Closes the idle connections and refuses new reads; connections in use close when
    /// their read ends.
    pub(crate) fn close(&self) {
        self.permits.close();
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A read-only connection to the database at `path` as the store reads through: the
/// store's functions, a statement cache, and plans that do not depend on bound values.
/// What `EXPLAIN QUERY PLAN` says on it is what the store's collection reads run.
pub fn open(path: &Path) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Plans that do not depend on bound values: otherwise SQLite marks a statement whose
    // plan read a parameter (every `LIMIT ?`, an indexed `= ?` with STAT4 samples) to be
    // parsed and planned again each time its parameters are bound, which was a seventh of
    // a page read's time, and the cached statement saved nothing.
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    sqlite_case::register_scan(&connection).map_err(|reason| {
        rusqlite::Error::UserFunctionError(format!("the store's SQLite functions: {reason}").into())
    })?;
    Ok(connection)
}

/// Every row of `statement`, decoded.
fn read_all<T>(
    connection: &Connection,
    statement: &Statement,
    decode: &mut impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    deadline: Deadline,
) -> Result<Vec<T>, StoreError> {
    let fail = |e| of_scan(e, deadline);
    let mut prepared = connection.prepare_cached(&statement.sql).map_err(fail)?;
    for (index, param) in statement.params.iter().enumerate() {
        prepared
            .raw_bind_parameter(index + 1, param)
            .map_err(fail)?;
    }
    let started = Instant::now();
    let mut rows = prepared.raw_query();
    let mut decoded = Vec::new();
    while let Some(row) = rows.next().map_err(fail)? {
        decoded.push(decode(row)?);
    }
    tracing::debug!(
        target: STATEMENT_LOG,
        statement = %statement.sql,
        rows_returned = decoded.len(),
        elapsed = ?started.elapsed(),
        "scan"
    );
    Ok(decoded)
}

/// Sorts a failed read as [`StoreError::of_read`] sorts sqlx's errors.
fn of_scan(e: rusqlite::Error, deadline: Deadline) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &e {
        let code = (failure.extended_code & 0xff).to_string();
        let message = message.as_deref().unwrap_or_default();
        if let Some(sorted) = StoreError::of_database(&code, message, deadline) {
            return sorted;
        }
    }
    StoreError::Scan(e)
}
