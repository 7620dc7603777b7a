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

use std::sync::Arc;

use sqlx::query::Query;
use tokio::sync::{Mutex, MutexGuard, oneshot, watch};

use super::StoreError;

/// The open batch of a database's writes (see the module documentation).
#[derive(Debug)]
pub(crate) struct CommitQueue<DB: sqlx::Database> {
    state: Arc<Mutex<Batch<DB>>>,
    /// The thread that drives one-statement writes and commits (see [`Driver`]).
    driver: Driver,
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

    /// Runs `write`, a write that is one statement, straight in the open batch's
    /// transaction: the database applies or backs out a statement as a whole, so it needs
    /// no savepoint (two round trips to the writer fewer). Returns the statement's outcome
    /// and the write's ticket.
    ///
    /// The statement runs in a task of its own that holds the batch's turn until the
    /// outcome is handed over. Should the request be gone by then (dropped while its
    /// statement ran, e.g. a cancelled asynchronous request), the task runs `undo` in the
    /// same turn when the statement was applied: nothing of an abandoned write is
    /// committed, as with a savepoint rolled back when its write is dropped.
    pub(crate) async fn run_alone<A>(
        self: &Arc<Self>,
        pool: &sqlx::Pool<DB>,
        write: Query<'static, DB, A>,
        undo: Query<'static, DB, A>,
    ) -> Result<(Result<DB::QueryResult, sqlx::Error>, Ticket<DB>), StoreError>
    where
        A: sqlx::IntoArguments<DB> + Send + 'static,
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    {
        let queue = Arc::clone(self);
        let pool = pool.clone();
        let (handed, outcome) = oneshot::channel();
        self.driver.spawn(async move {
            let mut batch = Arc::clone(&queue.state).lock_owned().await;
            let ticket = match queue.ticket(&mut batch, &pool).await {
                Ok(ticket) => ticket,
                Err(e) => {
                    let _ = handed.send(Err(e));
                    return;
                }
            };
            let Some(transaction) = batch.transaction.as_mut() else {
                let _ = handed.send(Err(StoreError::GroupClosed));
                return;
            };
            let result = write.execute(&mut **transaction).await;
            if let Err(Ok((Ok(_), _ticket))) = handed.send(Ok((result, ticket))) {
                // Nobody waits for the outcome: undo the write before the batch moves on
                // (the ticket, dropped after, still lets the batch commit).
                if let Err(e) = undo.execute(&mut **transaction).await {
                    tracing::warn!(error = %e, "an abandoned write could not be undone");
                }
            }
        });
        outcome
            .await
            .map_err(|_| StoreError::Commit("the write's task ended early".into()))?
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
