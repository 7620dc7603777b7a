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
//! same call sets the session's `statement_timeout` to the budget left; reads have
//! connections of their own whose sessions start with the whole budget as their timeout
//! ([`PgReads`]), so that a read which starts with (about) its whole budget left needs no
//! round trip to set it and none to reset it. A read dropped before it ends (its client
//! went away) closes its connection, and the server, checking its client's socket while
//! the statement runs (`client_connection_check_interval`, PostgreSQL 14+), stops it: a
//! connection handed back to the pool instead would wait for the statement to end.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgRow};
use sqlx::{AssertSqlSafe, PgConnection, Postgres as PgDatabase, SqliteConnection};

use super::StoreError;
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

    /// Resets `statement_timeout` to the session's own (none, or [`PgReads`]' whole
    /// budget): the connection's next user must not inherit what was left of this
    /// request's budget.
    async fn disarm(&mut self, watch: Watch) -> Result<(), sqlx::Error> {
        watch.finish();
        self.set_timeout(None).await
    }
}

/// How much of its budget a read on PostgreSQL may have spent and still run under the
/// session's timeout, the whole budget: it may then run this much past its deadline.
const PG_SESSION_SLACK: Duration = Duration::from_millis(20);

/// How often PostgreSQL checks, while a read runs, that its client is still connected.
const PG_CLIENT_CHECK_MILLIS: u32 = 100;

/// The first PostgreSQL version (as `server_version_num`) with
/// `client_connection_check_interval`.
const PG_CLIENT_CHECK_SINCE: u32 = 140_000;

/// PostgreSQL connections for reads under the statement budget: each session starts with
/// `statement_timeout` set to the whole budget (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct PgReads {
    pool: PgPool,
    budget: Duration,
}

impl PgReads {
    /// At most `connections` connections with `options` to a server of `version` (as
    /// `server_version_num`), each session's timeout `budget`, which is also the longest a
    /// read waits for a free connection.
    pub(crate) async fn connect(
        options: PgConnectOptions,
        version: Option<u32>,
        connections: u32,
        budget: Duration,
    ) -> Result<Self, sqlx::Error> {
        // Startup options, not SETs: no statement per connection, and `RESET
        // statement_timeout` comes back to the budget.
        let timeout = budget.as_millis().max(1).to_string();
        let check = PG_CLIENT_CHECK_MILLIS.to_string();
        let mut settings = vec![("statement_timeout", timeout.as_str())];
        if version.is_some_and(|version| version >= PG_CLIENT_CHECK_SINCE) {
            settings.push(("client_connection_check_interval", check.as_str()));
        }
        let pool = super::pg_pool(connections.max(1), budget)
            .connect_with(options.options(settings))
            .await?;
        Ok(Self { pool, budget })
    }

    /// Every row of `query`, interrupted at `deadline`: by the session's timeout when
    /// the read starts with its whole budget left (within [`PG_SESSION_SLACK`]), else by
    /// a timeout of its own, set before and reset after. An interrupt after the deadline
    /// is [`StoreError::BudgetExceeded`].
    pub(crate) async fn fetch_all(
        &self,
        query: sqlx::query::Query<'_, sqlx::Postgres, PgArguments>,
        deadline: Deadline,
    ) -> Result<Vec<PgRow>, StoreError> {
        let mut reading = Reading {
            connection: self.pool.acquire().await?,
            ended: false,
        };
        let connection = &mut *reading.connection;
        let remaining = deadline.remaining();
        let rows = if remaining <= self.budget && self.budget - remaining <= PG_SESSION_SLACK {
            query.fetch_all(&mut *connection).await
        } else {
            let watch = connection.arm(deadline).await?;
            let rows = query.fetch_all(&mut *connection).await;
            if connection.disarm(watch).await.is_err() {
                // The reset runs under the timeout it resets, which a read begun with
                // almost no budget left may see expire: the read's own outcome stands,
                // and the session, which keeps that timeout, is closed (by `reading`).
                return rows.map_err(|e| StoreError::of_read(e, deadline));
            }
            rows
        };
        // Ended: the connection goes back to the pool.
        reading.ended = true;
        rows.map_err(|e| StoreError::of_read(e, deadline))
    }

    /// Closes the connections, waiting for those in use.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

/// The connection of a read on PostgreSQL, closed rather than handed back to the pool when
/// the read is dropped before it ends (see the module documentation).
struct Reading {
    connection: PoolConnection<PgDatabase>,
    /// Whether the read ended (with rows or an error of its own): the connection is
    /// healthy and goes back to the pool.
    ended: bool,
}

impl Drop for Reading {
    fn drop(&mut self) {
        if !self.ended {
            self.connection.close_on_drop();
        }
    }
}

/// PostgreSQL's session `statement_timeout`.
trait StatementTimeout {
    async fn set_timeout(&mut self, millis: Option<u128>) -> Result<(), sqlx::Error>;
}

impl StatementTimeout for PgConnection {
    async fn set_timeout(&mut self, millis: Option<u128>) -> Result<(), sqlx::Error> {
        let statement = crate::sql::statement::statement_timeout(&Postgres, millis);
        let mut args = PgArguments::default();
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
