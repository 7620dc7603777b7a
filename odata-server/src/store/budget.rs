//! The time budget of a request's statements, enforced inside the database: by a progress
//! handler on SQLite, by `statement_timeout` on PostgreSQL.
//!
//! Design: every request gets one [`Deadline`] when it starts. Before a statement runs on a
//! reader connection, [`Budgeted::arm`] installs a SQLite progress handler on that connection;
//! SQLite calls it every [`PROGRESS_OPS`] virtual-machine instructions and interrupts the
//! statement (`SQLITE_INTERRUPT`) once the handler answers "stop". The handler answers
//! "stop" when the deadline has passed, or when the [`Watch`] was dropped without
//! [`Watch::finish`]: that happens when actix drops the request's future because the client
//! went away, so an abandoned statement stops within a few milliseconds instead of running
//! on. After `finish` the handler lets everything run, so the connection goes back to the
//! pool healthy and the next [`Budgeted::arm`] replaces the handler. On PostgreSQL the
//! same call sets the session's `statement_timeout` to the budget left.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, PgConnection, SqliteConnection};

use crate::sql::dialect::Postgres;

/// SQLite virtual-machine instructions between two checks of the deadline: about a
/// millisecond of work, so an overrun is cut off promptly while the check stays free.
pub(crate) const PROGRESS_OPS: i32 = 20_000;

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

/// When the statements of one request must have finished.
///
/// ```
/// use std::time::Duration;
/// use odata_server::store::Deadline;
/// let d = Deadline::after(Duration::from_secs(5));
/// assert!(!d.expired());
/// assert!(Deadline::after(Duration::ZERO).expired());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Instant);

impl Deadline {
    /// The deadline `budget` from now.
    pub fn after(budget: Duration) -> Self {
        Self(Instant::now() + budget)
    }

    /// True once the deadline has passed.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.0
    }

    /// Time left (zero once expired).
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// A watch over one statement and its progress handler's answer: `true` while the
/// statement may go on, `false` once it must stop (see the module documentation).
pub(crate) fn watch(deadline: Deadline) -> (Watch, impl Fn() -> bool + Send + Sync + 'static) {
    let state = Arc::new(AtomicU8::new(RUNNING));
    let seen = Arc::clone(&state);
    let keep_running = move || match seen.load(Ordering::Relaxed) {
        FINISHED => true,
        ABANDONED => false,
        _ => !deadline.expired(),
    };
    (Watch { state }, keep_running)
}

/// The watch over one statement; see the module documentation.
#[derive(Debug)]
pub(crate) struct Watch {
    state: Arc<AtomicU8>,
}

/// A connection whose next statement can be held to a deadline.
pub(crate) trait Budgeted {
    /// Arms the connection for a statement about to run; see the module documentation.
    fn arm(
        &mut self,
        deadline: Deadline,
    ) -> impl std::future::Future<Output = Result<Watch, sqlx::Error>> + Send;

    /// The statement is done: the connection runs freely again before it goes back to
    /// the pool.
    fn disarm(
        &mut self,
        watch: Watch,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl Budgeted for SqliteConnection {
    /// Installs the progress handler for the next statement.
    async fn arm(&mut self, deadline: Deadline) -> Result<Watch, sqlx::Error> {
        let (watch, keep_running) = watch(deadline);
        let mut handle = self.lock_handle().await?;
        handle.set_progress_handler(PROGRESS_OPS, keep_running);
        Ok(watch)
    }

    async fn disarm(&mut self, watch: Watch) -> Result<(), sqlx::Error> {
        watch.finish();
        Ok(())
    }
}

impl Budgeted for PgConnection {
    /// Sets the session's `statement_timeout` to what is left of the budget: the server
    /// cancels the statement when it runs over (SQLSTATE 57014). A client that goes away
    /// drops the connection with its statement, which the server then stops at its next
    /// check or at the timeout.
    async fn arm(&mut self, deadline: Deadline) -> Result<Watch, sqlx::Error> {
        let millis = deadline.remaining().as_millis().max(1);
        self.set_timeout(Some(millis)).await?;
        Ok(Watch {
            state: Arc::new(AtomicU8::new(RUNNING)),
        })
    }

    /// Resets `statement_timeout`: the pool's next user of the connection, a write say,
    /// must not inherit what was left of this request's budget.
    async fn disarm(&mut self, watch: Watch) -> Result<(), sqlx::Error> {
        watch.finish();
        self.set_timeout(None).await
    }
}

/// PostgreSQL's session `statement_timeout`.
trait StatementTimeout {
    async fn set_timeout(&mut self, millis: Option<u128>) -> Result<(), sqlx::Error>;
}

impl StatementTimeout for PgConnection {
    async fn set_timeout(&mut self, millis: Option<u128>) -> Result<(), sqlx::Error> {
        let statement = crate::sql::statement::statement_timeout(&Postgres, millis);
        let mut args = sqlx::postgres::PgArguments::default();
        for p in &statement.params {
            p.bind_postgres(&mut args).map_err(sqlx::Error::Encode)?;
        }
        sqlx::query_with(AssertSqlSafe(statement.sql), args)
            .execute(&mut *self)
            .await?;
        Ok(())
    }
}

impl Watch {
    /// The statement is done: the handler lets the connection run freely again.
    pub(crate) fn finish(self) {
        self.state.store(FINISHED, Ordering::Relaxed);
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Dropped while still running: nobody waits for the result any more.
        let _ =
            self.state
                .compare_exchange(RUNNING, ABANDONED, Ordering::Relaxed, Ordering::Relaxed);
    }
}
