//! Collection reads on SQLite, each page read at once: on the worker's thread when it is
//! short, else in one hop to a blocking thread.
//!
//! sqlx's SQLite driver runs every connection on a thread of its own and hands each row to
//! the async side through a channel, copying every cell (`sqlite3_value_dup`) on the way.
//! For a page of 50 rows that is 50 hand-offs and the thread switches between them: in a
//! profile of `$filter=… &$top=50` they were most of the database side's CPU. A
//! [`ScanReaders`] reads a page where SQLite produces it: the statement comes from the
//! connection's prepared-statement cache, the rows are decoded straight from SQLite's
//! memory on one thread of tokio's blocking pool, and the page comes back as one value.
//! A read that a free connection can answer within some 20 000 SQLite instructions is run
//! on the worker's own thread instead ([`ScanReaders::read_here`]); a longer one is cut off
//! there and runs again on the pool.
//!
//! The statement budget works as on sqlx's connections ([`super::budget`]): a progress
//! handler armed with the request's watch, so a statement stops at the deadline or soon
//! after its request is dropped; the connection and its permit go back to the pool when
//! the blocking work ends, whether or not anybody still waits for it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Row};
use tokio::sync::Semaphore;

use super::StoreError;
use super::budget::{self, Deadline, PROGRESS_OPS};
use super::page_row::{RawRow, RowSink};
use super::sqlite_case;
use crate::sql::Statement;

/// Prepared statements kept per connection: the distinct query shapes of a busy service
/// (each `$filter` shape is one text), beyond which the least recently used is finalized.
const STATEMENT_CACHE: usize = 256;

/// The `tracing` target of every statement a scan reader runs (as `sqlx::query` is sqlx's).
pub const STATEMENT_LOG: &str = "odata_server::store::scan";

/// How many progress checks a collection read may pass on the worker thread that asks for
/// it before it is cut off and run again on the blocking pool ([`ScanReaders::read_here`]).
/// Counted in instructions, not time: a worker's thread may be preempted.
const INLINE_CHECKS: u32 = 20;

/// How many reads of a statement text cut off on a worker's thread go straight to the
/// blocking pool before one is tried there again: the work thrown away stays a hundredth.
const POOL_READS_AFTER_OVERRUN: u32 = 100;

/// SQLite virtual-machine instructions between two checks of a read on a worker's thread:
/// [`INLINE_CHECKS`] of them are some 20 000 instructions, about a millisecond of work
/// (a `$top=50` page by an index is some 2 000, a trigram-served `contains` 6 000).
const INLINE_PROGRESS_OPS: i32 = 1_000;

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
    /// The statement texts cut off on a worker's thread ([`ScanReaders::read_here`]).
    overrun: Mutex<HashMap<String, u32>>,
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
            overrun: Mutex::default(),
        }
    }

    /// The rows of `statement`, each turned into a `T` by `decode` as it is read;
    /// interrupted at `deadline`.
    ///
    /// The read runs on the calling thread when a connection is free and the statement
    /// finishes within [`INLINE_CHECKS`] progress checks; otherwise on tokio's blocking pool (see
    /// [`ScanReaders::read_here`]). Waiting longer than the pool's `wait` for a connection
    /// is `sqlx::Error::PoolTimedOut` (the service answers 503), as on sqlx's pools.
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
        match self.read_here(&statement, deadline, &mut decode) {
            Some(rows) => rows,
            None => self.read_on_pool(statement, deadline, decode).await,
        }
    }

    /// Hands every row of `statement` to `sink`, in order; interrupted at `deadline`.
    ///
    /// As [`ScanReaders::fetch`] reads: a read on the calling thread hands each row over
    /// straight from SQLite's memory as it steps; a read on the blocking pool copies the
    /// rows ([`RawRow`]) and hands them over once back.
    pub(crate) async fn for_each(
        &self,
        statement: Statement,
        deadline: Deadline,
        sink: &mut dyn RowSink,
    ) -> Result<(), StoreError> {
        if let Some(read) = self.read_here(&statement, deadline, &mut |row: &Row<'_>| sink.row(row))
        {
            return read.map(drop);
        }
        sink.restart();
        let mut text = 0;
        let rows = self
            .read_on_pool(statement, deadline, move |row| {
                let raw = RawRow::copy(row, text)?;
                text = raw.text_len();
                Ok(raw)
            })
            .await?;
        rows.iter().try_for_each(|row| sink.row(row))
    }

    /// [`ScanReaders::fetch`] on a thread of tokio's blocking pool.
    async fn read_on_pool<T, F>(
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
            let stop = move || !keep_running();
            let (rows, healthy) = read_with(
                &connection,
                PROGRESS_OPS,
                stop,
                &statement,
                &mut decode,
                deadline,
            );
            if healthy {
                idle.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(connection);
            }
            rows
        });
        let rows = read.await.map_err(|e| {
            StoreError::Sqlite(rusqlite::Error::UserFunctionError(
                format!("the read's thread failed: {e}").into(),
            ))
        })?;
        watch.finish();
        rows
    }

    /// Reads `statement` on the calling thread if a connection is free at once and the
    /// read ends within [`INLINE_CHECKS`]; `None` when it did not run or was cut off there
    /// (then it runs again on the blocking pool, and so do the next
    /// [`POOL_READS_AFTER_OVERRUN`] reads of a statement text cut off for its length).
    ///
    /// Handing a read to the blocking pool and its page back costs two thread switches
    /// and wake-ups, and the pool's threads compete with the workers for the cores: for a
    /// `$top=50` page that was a third of the throughput. A short read blocks the worker
    /// no longer than the hand-off would have; a long one is cut off early, and never
    /// waits for a lock here (no busy timeout).
    fn read_here<T>(
        &self,
        statement: &Statement,
        deadline: Deadline,
        decode: &mut impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Option<Result<Vec<T>, StoreError>> {
        if self.overran(&statement.sql) {
            return None;
        }
        let _permit = Arc::clone(&self.permits).try_acquire_owned().ok()?;
        let connection = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()?;
        let mut checks = 0;
        let stop = move || {
            checks += 1;
            checks > INLINE_CHECKS || deadline.expired()
        };
        let (rows, mut healthy) = match connection.busy_timeout(Duration::ZERO) {
            Ok(()) => read_with(
                &connection,
                INLINE_PROGRESS_OPS,
                stop,
                statement,
                decode,
                deadline,
            ),
            Err(e) => (Err(of_scan(e, deadline)), true),
        };
        healthy &= connection.busy_timeout(BUSY_TIMEOUT).is_ok();
        if healthy {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
        let cut_off = |code| matches!(&rows, Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))) if f.code == code);
        if cut_off(rusqlite::ErrorCode::OperationInterrupted) {
            self.remember_overrun(&statement.sql);
            return None;
        }
        if cut_off(rusqlite::ErrorCode::DatabaseBusy)
            || cut_off(rusqlite::ErrorCode::DatabaseLocked)
        {
            return None;
        }
        Some(rows)
    }

    /// Whether a read of `sql` goes straight to the blocking pool: one of the next
    /// [`POOL_READS_AFTER_OVERRUN`] reads after one was cut off on a worker's thread.
    fn overran(&self, sql: &str) -> bool {
        let mut overrun = self.overrun.lock().unwrap_or_else(PoisonError::into_inner);
        // Mostly empty (the key lane's always): no hash of the statement's text then.
        if overrun.is_empty() {
            return false;
        }
        match overrun.get_mut(sql) {
            None => false,
            Some(0) => {
                overrun.remove(sql);
                false
            }
            Some(left) => {
                *left -= 1;
                true
            }
        }
    }

    fn remember_overrun(&self, sql: &str) {
        let mut overrun = self.overrun.lock().unwrap_or_else(PoisonError::into_inner);
        if overrun.len() >= STATEMENT_CACHE {
            overrun.clear();
        }
        overrun.insert(sql.to_owned(), POOL_READS_AFTER_OVERRUN);
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

/// Every row of `statement`, decoded, with `stop` as the connection's progress handler
/// (checked every `ops` instructions; interrupts on `true`) while it runs; and whether the
/// connection can serve the next read.
fn read_with<T>(
    connection: &Connection,
    ops: i32,
    stop: impl FnMut() -> bool + Send + 'static,
    statement: &Statement,
    decode: &mut impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    deadline: Deadline,
) -> (Result<Vec<T>, StoreError>, bool) {
    let rows = connection
        .progress_handler(ops, Some(stop))
        .map_err(|e| of_scan(e, deadline))
        .and_then(|()| read_all(connection, statement, decode, deadline));
    // A connection that keeps this read's handler would stop the next one.
    let healthy = connection
        .progress_handler(ops, None::<fn() -> bool>)
        .is_ok();
    (rows, healthy)
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
    StoreError::Sqlite(e)
}

#[cfg(test)]
mod tests {
    use std::thread::{self, ThreadId};

    use super::*;

    fn readers() -> (tempfile::TempDir, ScanReaders) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("scan.db");
        Connection::open(&path)
            .and_then(|c| c.execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);"))
            .expect("a database");
        (dir, ScanReaders::new(&path, 2, Duration::from_secs(5)))
    }

    fn statement(sql: &str) -> Statement {
        Statement {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    /// The value of the statement's single cell and the thread that decoded it.
    async fn read(readers: &ScanReaders, sql: &str) -> (i64, ThreadId) {
        let deadline = Deadline::after(Duration::from_secs(30));
        let rows = readers
            .fetch(statement(sql), deadline, |row| {
                Ok((
                    row.get::<_, i64>(0).map_err(StoreError::Sqlite)?,
                    thread::current().id(),
                ))
            })
            .await
            .expect("the read");
        rows.into_iter().next().expect("one row")
    }

    /// Counts to a million: some 10 million instructions, far beyond the inline budget.
    const LONG: &str = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
                        WHERE i < 1000000) SELECT count(*) FROM c";

    #[tokio::test(flavor = "current_thread")]
    async fn short_reads_run_on_the_calling_thread_and_long_ones_on_the_blocking_pool() {
        let (_dir, readers) = readers();
        let here = thread::current().id();
        // No connection is open yet: the first read opens one on the pool.
        let (n, first) = read(&readers, "SELECT n FROM t").await;
        assert_eq!((n, first == here), (1, false));
        let (n, second) = read(&readers, "SELECT n FROM t").await;
        assert_eq!((n, second == here), (1, true));

        // Cut off here, run again to the end on the pool, and sent there directly next.
        let (n, long) = read(&readers, LONG).await;
        assert_eq!((n, long == here), (1_000_000, false));
        assert_eq!(
            readers.overrun.lock().expect("the overrun map").get(LONG),
            Some(&POOL_READS_AFTER_OVERRUN)
        );
        let (n, again) = read(&readers, LONG).await;
        assert_eq!((n, again == here), (1_000_000, false));
        assert_eq!(
            readers.overrun.lock().expect("the overrun map").get(LONG),
            Some(&(POOL_READS_AFTER_OVERRUN - 1))
        );

        // The connection that was cut off serves short reads here again.
        let (n, after) = read(&readers, "SELECT n FROM t").await;
        assert_eq!((n, after == here), (1, true));
    }

    /// Records what a read hands over.
    #[derive(Default)]
    struct Recorder {
        rows: Vec<i64>,
        restarts: usize,
        thread: Option<ThreadId>,
    }

    impl RowSink for Recorder {
        fn row(&mut self, row: &dyn crate::store::codec::Cells) -> Result<(), StoreError> {
            self.rows.push(row.int(0)?.unwrap_or_default());
            self.thread = Some(thread::current().id());
            Ok(())
        }

        fn restart(&mut self) {
            self.rows.clear();
            self.restarts += 1;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn rows_handed_over_before_a_read_is_cut_off_are_voided_and_handed_over_again() {
        let (_dir, readers) = readers();
        let _ = read(&readers, "SELECT n FROM t").await;
        let deadline = Deadline::after(Duration::from_secs(30));
        // Short: every row straight from SQLite on this thread, nothing restarted.
        let mut short = Recorder::default();
        let few = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10) \
                   SELECT i FROM c";
        readers
            .for_each(statement(few), deadline, &mut short)
            .await
            .expect("the read");
        assert_eq!(short.rows, (1..=10).collect::<Vec<_>>());
        assert_eq!(short.restarts, 0);
        assert_eq!(short.thread, Some(thread::current().id()));
        // Long: cut off after some rows here, then every row once, in order, from the pool.
        let mut long = Recorder::default();
        let many = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
                    WHERE i < 100000) SELECT i FROM c";
        readers
            .for_each(statement(many), deadline, &mut long)
            .await
            .expect("the read");
        assert_eq!(long.restarts, 1);
        assert_eq!(long.rows.len(), 100_000);
        assert!(
            long.rows.iter().zip(1..).all(|(&row, i)| row == i),
            "in order, once"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_read_here_past_its_deadline_is_a_budget_error_not_a_retry() {
        let (_dir, readers) = readers();
        let _ = read(&readers, "SELECT n FROM t").await;
        let expired = Deadline::after(Duration::ZERO);
        let outcome = readers
            .fetch(statement(LONG), expired, |row| {
                row.get::<_, i64>(0).map_err(StoreError::Sqlite)
            })
            .await;
        assert!(
            matches!(outcome, Err(StoreError::BudgetExceeded)),
            "{outcome:?}"
        );
        assert!(
            readers.overrun.lock().expect("the overrun map").is_empty(),
            "not an overrun"
        );
    }
}
