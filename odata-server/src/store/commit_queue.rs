//! Group commit: concurrent writes share one transaction and one COMMIT.
//!
//! On SQLite every commit is an fsync (`synchronous=FULL`) on the one writer connection, so
//! writes that each commit alone queue behind one another's fsyncs. Here a write joins the
//! open *batch* (a transaction on the writer connection, begun by the first write to come),
//! runs in a savepoint of it — so it fails alone: its savepoint is rolled back, the others'
//! work stays — and then waits until the batch commits. It is acknowledged only after that
//! commit: durability is exactly that of a write committing alone.
//!
//! Who commits: a write, once its savepoint is released, queues for the batch lock again;
//! the lock is fair, so by the time the first write of a batch gets it back, every write
//! that queued meanwhile has run its savepoint. That write commits the batch (the later ones
//! find it committed and read the outcome). No timer: an uncontended write commits at once,
//! and a batch grows with the queue. The commit runs in a task of its own, so a request
//! dropped while waiting still lets its batch commit and never leaves the writer
//! connection inside an open transaction.

use std::sync::{Arc, OnceLock};

use tokio::sync::{Mutex, MutexGuard};

use super::StoreError;

/// The open batch of a database's writes (see the module documentation).
#[derive(Debug)]
pub(crate) struct CommitQueue<DB: sqlx::Database> {
    state: Mutex<Batch<DB>>,
}

/// The batch the writes join now.
#[derive(Debug)]
pub(crate) struct Batch<DB: sqlx::Database> {
    /// Its transaction, begun by its first write; `None` until then.
    pub(crate) transaction: Option<sqlx::Transaction<'static, DB>>,
    /// Its number; the next batch gets the next one.
    number: u64,
    /// How its commit went, once it went.
    outcome: Arc<OnceLock<Result<(), String>>>,
}

/// A write's place in a batch: after its savepoint, [`Ticket::committed`] waits for the
/// batch's commit. Dropped without that (the write failed or was abandoned), it still
/// makes sure the batch commits.
pub(crate) struct Ticket<DB: sqlx::Database> {
    queue: Arc<CommitQueue<DB>>,
    number: u64,
    outcome: Arc<OnceLock<Result<(), String>>>,
    settled: bool,
}

impl<DB: sqlx::Database> CommitQueue<DB> {
    /// An empty queue.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(Batch {
                transaction: None,
                number: 0,
                outcome: Arc::new(OnceLock::new()),
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
        if batch.transaction.is_none() {
            batch.transaction = Some(pool.begin().await?);
        }
        let ticket = Ticket {
            queue: Arc::clone(self),
            number: batch.number,
            outcome: Arc::clone(&batch.outcome),
            settled: false,
        };
        Ok((batch, ticket))
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
        let _ = batch.outcome.set(outcome);
        batch.number += 1;
        batch.outcome = Arc::new(OnceLock::new());
    }
}

impl<DB: sqlx::Database> Ticket<DB> {
    /// Waits until the write's batch has committed (call after releasing the batch lock).
    pub(crate) async fn committed(mut self) -> Result<(), StoreError> {
        self.settled = true;
        let queue = Arc::clone(&self.queue);
        let number = self.number;
        // A task of its own: the commit happens even if this request is dropped meanwhile.
        let commit = tokio::spawn(async move { queue.commit(number).await });
        commit
            .await
            .map_err(|e| StoreError::Commit(e.to_string()))?;
        match self.outcome.get() {
            Some(Ok(())) => Ok(()),
            Some(Err(reason)) => Err(StoreError::Commit(reason.clone())),
            None => Err(StoreError::Commit("the batch was not committed".into())),
        }
    }
}

impl<DB: sqlx::Database> Drop for Ticket<DB> {
    fn drop(&mut self) {
        if !self.settled {
            // The write failed (its savepoint rolled back) or was abandoned: the batch it
            // joined may hold other writes, and must not stay open.
            let queue = Arc::clone(&self.queue);
            let number = self.number;
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { queue.commit(number).await });
            }
        }
    }
}
