//! Group commit: concurrent writes share one transaction and one COMMIT.
//!
//! On SQLite every commit is an fsync (`synchronous=FULL`) on the one writer connection, so
//! writes that each commit alone queue behind one another's fsyncs. Here a write joins the
//! open *batch* (a transaction on the writer connection, begun by the first write to come),
//! runs in a savepoint of it — so it fails alone: its savepoint is rolled back, the others'
//! work stays — and then waits until the batch commits. A write that is one statement
//! runs without a savepoint, which the statement's own atomicity makes needless
//! ([`CommitQueue::run_alone`]). A write is acknowledged only after its batch's commit:
//! durability is exactly that of a write committing alone.
//!
//! One-statement writes queue up and run together, in one turn of the batch, on the
//! writer connection's own SQLite handle ([`CommitQueue::run_queued`]): through sqlx each
//! statement was handed to the connection's thread and its outcome back, two thread
//! wake-ups per write, which were half of that thread's CPU and most of a create's wait.
//!
//! Who commits: the write that began the batch. Once its savepoint is released it queues
//! for the batch lock again; the lock is fair, so by the time it gets the lock back, every
//! write that queued meanwhile has run its savepoint. It commits the batch and publishes
//! the outcome, which the batch's other writes wait for (one wake-up each, no lock). No
//! timer: an uncontended write commits at once, and a batch grows with the queue. The
//! commit runs in a task of its own, so a request dropped while waiting still lets its
//! batch commit and never leaves the writer connection inside an open transaction.
//!
//! Those tasks — the one-statement writes and the commits — run on a thread of the
//! queue's own ([`Driver`]), not on the workers': the batch's turn passes from write to
//! write through them, and a worker busy parsing or writing other requests would poll the
//! next one late while the writer connection waited (a fifth of the creates per second).

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use tokio::sync::{Mutex, MutexGuard, oneshot, watch};

use super::{StoreError, sqlite_handle};
use crate::sql::Statement;

/// The `tracing` target of the statements of one-statement writes (as `sqlx::query` is
/// sqlx's).
pub const STATEMENT_LOG: &str = "odata_server::store::write";

/// At most this many one-statement writes run in one turn of the batch; those queued
/// beyond wait for the writes and commits that queued for the batch meanwhile.
const QUEUED_WRITES_PER_TURN: usize = 256;

/// The open batch of a database's writes (see the module documentation).
#[derive(Debug)]
pub(crate) struct CommitQueue<DB: sqlx::Database> {
    state: Arc<Mutex<Batch<DB>>>,
    /// The thread that drives one-statement writes and commits (see [`Driver`]).
    driver: Driver,
    /// One-statement writes waiting for their turn ([`CommitQueue::run_alone`]).
    queued: std::sync::Mutex<QueuedWrites<DB>>,
}

/// The one-statement writes waiting to run, and whether a task is on its way to run them.
struct QueuedWrites<DB: sqlx::Database> {
    writes: Vec<QueuedWrite<DB>>,
    running: bool,
}

impl<DB: sqlx::Database> std::fmt::Debug for QueuedWrites<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedWrites")
            .field("writes", &self.writes.len())
            .field("running", &self.running)
            .finish()
    }
}

/// Whether writes are left queued after a turn of [`CommitQueue::run_queued`].
enum Turn {
    Done,
    More,
}

/// A one-statement write waiting to run: its statement, the statement that undoes it,
/// and where its outcome goes.
struct QueuedWrite<DB: sqlx::Database> {
    write: Statement,
    undo: Statement,
    handed: oneshot::Sender<Result<Ticket<DB>, StoreError>>,
}

/// A thread of its own that drives the statements of one-statement writes and the
/// commits, so that handing the batch's turn from one write to the next never waits for
/// a busy worker thread to poll the next write; stopped when the queue is dropped.
#[derive(Debug)]
struct Driver {
    handle: Option<tokio::runtime::Handle>,
    _stop: Option<oneshot::Sender<()>>,
}

impl Driver {
    fn start() -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let Ok(runtime) = runtime else {
            return Self {
                handle: None,
                _stop: None,
            };
        };
        let handle = runtime.handle().clone();
        let started = std::thread::Builder::new()
            .name("odata-commits".into())
            .spawn(move || {
                let _ = runtime.block_on(stopped);
            });
        Self {
            handle: started.is_ok().then_some(handle),
            _stop: Some(stop),
        }
    }

    /// Runs `task` on the driver's thread (on the current runtime without one).
    fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        match &self.handle {
            Some(handle) => {
                handle.spawn(task);
            }
            None => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(task);
                }
            }
        }
    }
}

/// How a batch's commit went: `None` until it went.
type Outcome = Option<Result<(), String>>;

/// The batch the writes join now.
#[derive(Debug)]
pub(crate) struct Batch<DB: sqlx::Database> {
    /// Its transaction, begun by its first write; `None` until then.
    pub(crate) transaction: Option<sqlx::Transaction<'static, DB>>,
    /// Its number; the next batch gets the next one.
    number: u64,
    /// Where its outcome is published.
    outcome: watch::Sender<Outcome>,
}

/// A write's place in a batch: after its savepoint, [`Ticket::committed`] waits for the
/// batch's commit. The ticket of the write that began the batch commits it, also when it
/// is dropped without that (the write failed or was abandoned).
pub(crate) struct Ticket<DB: sqlx::Database> {
    queue: Arc<CommitQueue<DB>>,
    number: u64,
    outcome: watch::Receiver<Outcome>,
    /// Whether this write began the batch, and so commits it.
    commits: bool,
}

impl<DB: sqlx::Database> CommitQueue<DB> {
    /// An empty queue.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Arc::new(Mutex::new(Batch {
                transaction: None,
                number: 0,
                outcome: watch::Sender::new(None),
            })),
            driver: Driver::start(),
            queued: std::sync::Mutex::new(QueuedWrites {
                writes: Vec::new(),
                running: false,
            }),
        })
    }

    /// Joins the open batch, beginning it on `pool` when there is none. The returned lock
    /// is the write's turn: its savepoint goes on the batch's transaction while it holds it.
    pub(crate) async fn join(
        self: &Arc<Self>,
        pool: &sqlx::Pool<DB>,
    ) -> Result<(MutexGuard<'_, Batch<DB>>, Ticket<DB>), StoreError> {
        let mut batch = self.state.lock().await;
        let ticket = self.ticket(&mut batch, pool).await?;
        Ok((batch, ticket))
    }

    /// The ticket of a write joining `batch`, which it begins on `pool` when it is not open.
    async fn ticket(
        self: &Arc<Self>,
        batch: &mut Batch<DB>,
        pool: &sqlx::Pool<DB>,
    ) -> Result<Ticket<DB>, StoreError> {
        let commits = batch.transaction.is_none();
        if commits {
            batch.transaction = Some(pool.begin().await?);
        }
        Ok(Ticket {
            queue: Arc::clone(self),
            number: batch.number,
            outcome: batch.outcome.subscribe(),
            commits,
        })
    }

    /// Commits batch `number` if it is still open; every later write starts a new batch.
    async fn commit(&self, number: u64) {
        let mut batch = self.state.lock().await;
        if batch.number != number {
            return;
        }
        let outcome = match batch.transaction.take() {
            Some(transaction) => transaction.commit().await.map_err(|e| e.to_string()),
            None => Ok(()),
        };
        batch.outcome.send_replace(Some(outcome));
        batch.number += 1;
        batch.outcome = watch::Sender::new(None);
    }

    /// Commits batch `number` in a task of its own (see the module documentation).
    fn spawn_commit(self: &Arc<Self>, number: u64) {
        let queue = Arc::clone(self);
        self.driver.spawn(async move { queue.commit(number).await });
    }
}

impl CommitQueue<sqlx::Sqlite> {
    /// Runs `write`, a write that is one statement, straight in the open batch's
    /// transaction: the database applies or backs out a statement as a whole, so it needs
    /// no savepoint. Returns the write's ticket once its statement is applied;
    /// [`StoreError::Duplicate`] when it would repeat a key or a unique value.
    ///
    /// The write queues with the other one-statement writes waiting for the batch's turn,
    /// and a task on the queue's thread runs them all in one turn ([`Self::run_queued`]).
    /// Should the request be gone by the time its statement is applied (e.g. a cancelled
    /// asynchronous request), the task runs `undo` in the same turn: nothing of an
    /// abandoned write is committed, as with a savepoint rolled back when its write is
    /// dropped.
    pub(crate) async fn run_alone(
        self: &Arc<Self>,
        pool: &sqlx::SqlitePool,
        write: Statement,
        undo: Statement,
    ) -> Result<Ticket<sqlx::Sqlite>, StoreError> {
        let (handed, outcome) = oneshot::channel();
        let start = {
            let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
            queued.writes.push(QueuedWrite {
                write,
                undo,
                handed,
            });
            !std::mem::replace(&mut queued.running, true)
        };
        if start {
            let queue = Arc::clone(self);
            let pool = pool.clone();
            self.driver
                .spawn(async move { queue.run_queued(&pool).await });
        }
        outcome
            .await
            .map_err(|_| StoreError::Commit("the write's task ended early".into()))?
    }

    /// Runs the queued one-statement writes, turn after turn of the batch, until none is
    /// left. In a turn the writer connection's SQLite handle is taken from sqlx's thread
    /// once, and every write queued meanwhile (up to [`QUEUED_WRITES_PER_TURN`]) runs on
    /// it here ([`Self::run_turn`]).
    async fn run_queued(self: Arc<Self>, pool: &sqlx::SqlitePool) {
        loop {
            let mut batch = self.state.lock().await;
            let begins = batch.transaction.is_none();
            if begins {
                match pool.begin().await {
                    Ok(transaction) => batch.transaction = Some(transaction),
                    Err(e) => return self.fail_queued(&e.to_string()),
                }
            }
            let (number, outcome) = (batch.number, batch.outcome.clone());
            let Some(transaction) = batch.transaction.as_mut() else {
                return self.fail_queued("the batch was not begun");
            };
            let mut handle = match transaction.lock_handle().await {
                Ok(handle) => handle,
                Err(e) => return self.fail_queued(&e.to_string()),
            };
            let turn = sqlite_handle::with_connection(&mut handle, |connection| {
                self.run_turn(connection, number, &outcome, begins)
            });
            match turn {
                Ok(Turn::Done) => return,
                // More are queued than one turn runs: the writes and commits that queued
                // for the batch meanwhile go first.
                Ok(Turn::More) => {}
                Err(e) => return self.fail_queued(&e.to_string()),
            }
        }
    }

    /// Runs queued writes on `connection`, the writer's, in batch `number` (whose outcome
    /// `outcome` publishes), until none is queued or a turn's worth ran. `begins`: the
    /// batch was begun for the first of them, whose ticket so commits it.
    fn run_turn(
        self: &Arc<Self>,
        connection: &rusqlite::Connection,
        number: u64,
        outcome: &watch::Sender<Outcome>,
        mut begins: bool,
    ) -> Turn {
        let mut ran = 0;
        loop {
            let writes = {
                let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
                if queued.writes.is_empty() {
                    queued.running = false;
                    return Turn::Done;
                }
                if ran >= QUEUED_WRITES_PER_TURN {
                    return Turn::More;
                }
                let take = queued.writes.len().min(QUEUED_WRITES_PER_TURN - ran);
                queued.writes.drain(..take).collect::<Vec<_>>()
            };
            ran += writes.len();
            for queued in writes {
                let ticket = Ticket {
                    queue: Arc::clone(self),
                    number,
                    outcome: outcome.subscribe(),
                    commits: std::mem::take(&mut begins),
                };
                let abandoned = match execute(connection, &queued.write) {
                    Ok(()) => queued.handed.send(Ok(ticket)).is_err(),
                    Err(e) => {
                        // Dropped, the failed write's ticket still lets the batch commit
                        // when it began it.
                        drop(ticket);
                        let _ = queued.handed.send(Err(e));
                        false
                    }
                };
                if abandoned && let Err(e) = execute(connection, &queued.undo) {
                    tracing::warn!(error = %e, "an abandoned write could not be undone");
                }
            }
        }
    }

    /// Fails every queued write with `reason` (the batch could not be begun or its
    /// connection reached).
    fn fail_queued(&self, reason: &str) {
        let writes = {
            let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
            queued.running = false;
            std::mem::take(&mut queued.writes)
        };
        for queued in writes {
            let _ = queued
                .handed
                .send(Err(StoreError::Commit(reason.to_owned())));
        }
    }
}

/// Runs one write's statement on the writer connection's handle.
fn execute(connection: &rusqlite::Connection, statement: &Statement) -> Result<(), StoreError> {
    let started = Instant::now();
    let run = || {
        let mut prepared = connection.prepare_cached(&statement.sql)?;
        for (index, param) in statement.params.iter().enumerate() {
            prepared.raw_bind_parameter(index + 1, param)?;
        }
        prepared.raw_execute()
    };
    let changed = run().map_err(of_write)?;
    tracing::debug!(
        target: STATEMENT_LOG,
        statement = %statement.sql,
        rows_affected = changed,
        elapsed = ?started.elapsed(),
        "write"
    );
    Ok(())
}

/// Sorts a failed write as `From<sqlx::Error>` sorts sqlx's: a key or unique value that
/// another entity has is the request's fault.
fn of_write(e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    match &e {
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(
                failure.extended_code,
                SQLITE_CONSTRAINT_PRIMARYKEY | SQLITE_CONSTRAINT_UNIQUE
            ) =>
        {
            StoreError::Duplicate
        }
        _ => StoreError::Sqlite(e),
    }
}

impl<DB: sqlx::Database> Ticket<DB> {
    /// Waits until the write's batch has committed (call after releasing the batch lock).
    pub(crate) async fn committed(mut self) -> Result<(), StoreError> {
        if std::mem::take(&mut self.commits) {
            self.queue.spawn_commit(self.number);
        }
        match self.outcome.wait_for(Option::is_some).await.as_deref() {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(reason))) => Err(StoreError::Commit(reason.clone())),
            Ok(None) | Err(_) => Err(StoreError::Commit("the batch was not committed".into())),
        }
    }
}

impl<DB: sqlx::Database> Drop for Ticket<DB> {
    fn drop(&mut self) {
        if self.commits {
            // The write that began the batch failed (its savepoint rolled back) or was
            // abandoned: the batch may hold other writes, and must not stay open.
            self.queue.spawn_commit(self.number);
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::SqlitePool;
    use sqlx::sqlite::SqlitePoolOptions;

    use super::*;
    use crate::sql::SqlParam;

    /// A writer pool (one connection) on a fresh database with a table `t` keyed by `id`.
    async fn writer() -> (tempfile::TempDir, SqlitePool) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("database");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .expect("table");
        (dir, pool)
    }

    fn insert(id: i64) -> Statement {
        Statement {
            sql: "INSERT INTO t (id) VALUES (?)".into(),
            params: vec![SqlParam::Integer(id)],
        }
    }

    fn undo(id: i64) -> Statement {
        Statement {
            sql: "DELETE FROM t WHERE id = ?".into(),
            params: vec![SqlParam::Integer(id)],
        }
    }

    async fn stored(pool: &SqlitePool) -> Vec<i64> {
        sqlx::query_scalar("SELECT id FROM t ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("rows")
    }

    /// Waits until `queued` one-statement writes wait for the batch's turn (which the test
    /// holds).
    async fn wait_until_queued(queue: &CommitQueue<sqlx::Sqlite>, queued: usize) {
        while queue.queued.lock().expect("queue").writes.len() < queued {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn queued_writes_beyond_one_turn_all_run_and_a_duplicate_among_them_fails_alone() {
        let (_dir, pool) = writer().await;
        let queue = CommitQueue::new();
        let turn = queue.state.lock().await;
        // One write more than a turn runs, one of them repeating a key.
        let ids: Vec<i64> = (0..QUEUED_WRITES_PER_TURN as i64).chain([7]).collect();
        let writes: Vec<_> = ids
            .iter()
            .map(|&id| {
                let (queue, pool) = (Arc::clone(&queue), pool.clone());
                tokio::spawn(async move {
                    let ticket = queue.run_alone(&pool, insert(id), undo(id)).await?;
                    ticket.committed().await
                })
            })
            .collect();
        wait_until_queued(&queue, ids.len()).await;
        drop(turn);
        let mut duplicates = 0;
        for write in writes {
            match write.await.expect("the write's task") {
                Ok(()) => {}
                Err(StoreError::Duplicate) => duplicates += 1,
                Err(e) => panic!("a write failed: {e}"),
            }
        }
        assert_eq!(duplicates, 1);
        let expected: Vec<i64> = (0..QUEUED_WRITES_PER_TURN as i64).collect();
        assert_eq!(stored(&pool).await, expected);
    }

    #[tokio::test]
    async fn a_write_abandoned_while_queued_is_undone_in_its_turn() {
        let (_dir, pool) = writer().await;
        let queue = CommitQueue::new();
        let turn = queue.state.lock().await;
        let abandoned = tokio::spawn({
            let (queue, pool) = (Arc::clone(&queue), pool.clone());
            async move { queue.run_alone(&pool, insert(1), undo(1)).await.map(drop) }
        });
        wait_until_queued(&queue, 1).await;
        abandoned.abort();
        assert!(abandoned.await.is_err_and(|e| e.is_cancelled()));
        drop(turn);
        // A later write's commit is also that of every batch before it.
        let ticket = queue
            .run_alone(&pool, insert(2), undo(2))
            .await
            .expect("the later write");
        ticket.committed().await.expect("its commit");
        assert_eq!(stored(&pool).await, vec![2]);
    }
}
