//! Storage of entities through sqlx, in SQLite (one writer connection, pools of readers) or
//! PostgreSQL (one pool, several instances may share the database): every write one
//! transaction with its version check, every value a bound parameter, every statement
//! from `crate::sql::statement`.
//!
//! Reads take one of two lanes. Key reads (`GET collection/{key}`) and `/readyz` use a
//! pool of their own, as large as the scan pool: a key lookup cannot run long, so that lane
//! always answers quickly, whatever the collection queries on the other lane are doing,
//! and keeps the key-read concurrency of a plain reader pool (two connections cost a third
//! of the key-read throughput under 32 clients). Collection
//! queries and counts use the scan lane ([`Store::scan`]; on a SQLite file its own
//! read-only connections, [`sqlite_scan`], which read a page in one hop), and every
//! statement there runs under the request's [`Deadline`] (see [`budget`]); how many of
//! them one caller may run at once is limited before they get here (`crate::admission`).

mod budget;
pub mod changes;
pub(crate) mod codec;
mod commit_queue;
pub mod link_table;
pub mod page_row;
mod schema_check;
pub mod sqlite_case;
pub mod sqlite_decimal;
mod sqlite_handle;
pub mod sqlite_scan;
pub mod table;

pub use budget::Deadline;
use budget::{Budgeted, PgReads};
use page_row::{PageRows, PageSink, RowSink};
use sqlite_scan::ScanReaders;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::Mutex;

use odata_core::edm::Property;
use odata_core::error::ODataError;
use odata_core::value::Value;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgDatabaseError, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};

use codec::Cells;
use commit_queue::CommitQueue;
use table::{StreamColumns, Table};

use crate::delta::ChangeMark;
use crate::sql::dialect::{self, Dialect};
use crate::sql::range_count::{self, TimeRange};
use crate::sql::schema::Backend;
use crate::sql::statement::{self, PageQuery, Partition, PartitionQuery};
use crate::sql::trigram;
use crate::sql::{Condition, OrderTerm, SelectedValue, SqlParam, Statement};
use link_table::LinkTable;

/// What a collection read asks for: conditions (ANDed), an order, the columns to read,
/// and a window.
#[derive(Debug, Clone, Copy)]
pub struct Find<'a> {
    /// SQL boolean conditions, combined with AND (filter, search, keyset position).
    pub conditions: &'a [&'a Condition],
    /// Sort terms, the entity key last so the order is total.
    pub order: &'a [OrderTerm],
    /// Indexes into `Table::columns` to read; `None` reads every column. Key columns are
    /// always read.
    pub projection: Option<&'a [usize]>,
    /// Maximum rows.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

/// What [`Store::count_in_range`] counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RangeCount {
    /// The tenant's entities in the range.
    pub matching: i64,
    /// The tenant's entities with any value of the property.
    pub total: i64,
}

/// A row read by [`Store::find`]: the entity and the values of its sort terms (for the
/// next page's `$skiptoken`).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundEntity {
    /// The entity; columns outside the projection are `Value::Null`.
    pub entity: StoredEntity,
    /// One value per order term.
    pub sort_keys: Vec<SqlParam>,
}

/// A storage failure, mapped to an OData error in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No entity with that key (in the caller's tenant).
    #[error("not found")]
    NotFound,
    /// An entity with that key already exists.
    #[error("duplicate key")]
    Duplicate,
    /// `If-Match` did not match the stored version.
    #[error("version mismatch")]
    VersionMismatch,
    /// The member at this index of a [`Relink::members`] does not exist in the tenant, or
    /// (unlinking) is not linked to the entity.
    #[error("member {0} to (un)link is missing")]
    MissingMember(usize),
    /// The entity to delete is still referred to by a row of the dependents at this index
    /// of [`Store::delete`]'s list whose rule is [`DependentRule::Refuse`].
    #[error("the entity is still referred to by dependents {0}")]
    Referenced(usize),
    /// The write group was already committed or rolled back.
    #[error("the write group is closed")]
    GroupClosed,
    /// The commit of a batch of writes failed ([`commit_queue`]); the write is not stored.
    #[error("commit failed: {0}")]
    Commit(String),
    /// The update function rejected the change, or what a read's rows were handed to
    /// ([`page_row::PageSink`]) failed: its error is the answer.
    #[error(transparent)]
    Rejected(ODataError),
    /// A stored value that does not decode (never caused by a request).
    #[error("stored value of '{column}' is invalid: {reason}")]
    Corrupt {
        /// Column.
        column: String,
        /// Why.
        reason: String,
    },
    /// A parameter that could not be encoded.
    #[error("bind: {0}")]
    Bind(sqlx::error::BoxDynError),
    /// A text value of the request holds a character the database cannot store or compare
    /// (PostgreSQL text cannot hold U+0000): the request's fault, never the service's.
    #[error("character not representable in the database: {0}")]
    Unrepresentable(String),
    /// Any database failure.
    #[error(transparent)]
    Database(sqlx::Error),
    /// A failure of a statement run on SQLite outside sqlx: a read on the scan readers
    /// ([`sqlite_scan`]), a one-statement write ([`commit_queue`]).
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The request's statement budget ran out and the database interrupted the statement.
    #[error("statement budget exceeded")]
    BudgetExceeded,
    /// The database refused a statement as too large (too many bound values, too deep an
    /// expression): a legal but oversized request, never a fault of the service.
    #[error("statement too large: {0}")]
    TooLarge(String),
    /// A query's arithmetic failed on the stored data (PostgreSQL: an integer overflow),
    /// as the evaluator's overflow does: the request's, never the service's.
    #[error("the query cannot be evaluated: {0}")]
    Unevaluable(String),
}

impl StoreError {
    /// Sorts a failed read: an interrupt after the deadline is the budget, a size limit of
    /// the database is the request's, anything else stays a database error.
    fn of_read(e: sqlx::Error, deadline: Deadline) -> Self {
        if let sqlx::Error::Database(db) = &e
            && let Some(code) = db.code()
            && let Some(sorted) = Self::of_database(&code, db.message(), deadline)
        {
            return sorted;
        }
        Self::from(e)
    }

    /// The error a failed read's database `code` (SQLite's primary result code, or
    /// PostgreSQL's SQLSTATE) and `message` stand for, unless it is the database's own.
    fn of_database(code: &str, message: &str, deadline: Deadline) -> Option<Self> {
        /// SQLite's messages for its statement size limits.
        const SIZE_LIMITS: [&str; 5] = [
            "too many SQL variables",
            "Expression tree is too large",
            "parser stack overflow",
            "pattern too complex",
            "string or blob too big",
        ];
        // SQLITE_INTERRUPT; PostgreSQL's query_canceled (statement_timeout).
        if matches!(code, "9" | "57014") && deadline.expired() {
            return Some(Self::BudgetExceeded);
        }
        if let Some(limit) = SIZE_LIMITS.iter().find(|l| message.contains(*l)) {
            return Some(Self::TooLarge((*limit).to_owned()));
        }
        // PostgreSQL's numeric_value_out_of_range (SQLite turns an overflow of integer
        // arithmetic into a REAL, but its `sum()` of integers fails with this message: a
        // `$apply` sum beyond Int64).
        if code == "22003" || message == "integer overflow" {
            return Some(Self::Unevaluable(message.to_owned()));
        }
        None
    }
}

impl From<sqlx::Error> for StoreError {
    /// A database failure; PostgreSQL's refusal of a bound text value whose characters the
    /// database encoding cannot hold (`character_not_in_repertoire`, e.g. U+0000 in a
    /// filter literal or a written string) is the request's, and so is a unique violation
    /// ([`StoreError::Duplicate`]).
    fn from(e: sqlx::Error) -> Self {
        /// SQLSTATE `character_not_in_repertoire`.
        const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
        if let sqlx::Error::Database(db) = &e
            && let Some(pg) = db.try_downcast_ref::<PgDatabaseError>()
            && pg.code() == CHARACTER_NOT_IN_REPERTOIRE
        {
            return Self::Unrepresentable(pg.message().to_owned());
        }
        // A key, or a value a unique index covers, that another entity already has.
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return Self::Duplicate;
        }
        Self::Database(e)
    }
}

/// What [`Store::change`] writes in one transaction.
#[derive(Debug)]
pub struct Change<'t> {
    /// The entity's new values (aligned with `Table::columns`); `None` leaves the entity,
    /// and its version, as they are.
    pub values: Option<Vec<Value>>,
    /// Members of other tables to link to the entity, or to unlink from it.
    pub relinks: Vec<Relink<'t>>,
    /// New bytes for one of the entity's streams (whose media type is among `values`).
    pub stream: Option<(&'t StreamColumns, Vec<u8>)>,
}

/// Links members of a table to one entity, or unlinks them: through their reference
/// column (a collection-valued navigation stored as the inverse of a reference) or through
/// rows of a link table (a many-to-many navigation).
#[derive(Debug)]
pub struct Relink<'t> {
    /// The members' table.
    pub table: &'t Table,
    /// How they are linked.
    pub via: Via<'t>,
    /// The members' keys.
    pub members: Vec<Vec<Value>>,
    /// `true`: link each member to the entity (linking a member already linked through a
    /// link table changes nothing); `false`: unlink each member, which must be linked to
    /// the entity.
    pub link: bool,
}

/// How the members of a [`Relink`] are linked to the entity.
#[derive(Debug, Clone, Copy)]
pub enum Via<'t> {
    /// Their reference column (index into the members' `table.columns`) holds the
    /// entity's key; linking changes the member's row and version.
    Reference(usize),
    /// A row of the link table pairs the entity's key (`source`) with the member's
    /// (`target`); neither entity's row changes.
    Links(&'t LinkTable),
}

/// An entity as stored: its concrete type, version and one value per table column.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntity {
    /// Qualified concrete type name.
    pub type_name: String,
    /// Version, incremented by every write (the ETag).
    pub version: i64,
    /// Values aligned with `Table::columns`.
    pub values: Vec<Value>,
}

impl StoredEntity {
    /// The entity's key values, in `table.key` order.
    pub fn key(&self, table: &Table) -> Vec<Value> {
        table.key.iter().map(|&k| self.values[k].clone()).collect()
    }
}

/// One stream as stored with its entity ([`Store::read_stream`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStream {
    /// The entity's version (its ETag).
    pub version: i64,
    /// The bytes; `None` when the stream was never written.
    pub bytes: Option<Vec<u8>>,
    /// Their media type, as uploaded.
    pub media_type: Option<String>,
}

/// The connection pools of one database.
#[derive(Debug, Clone)]
enum Pools {
    /// SQLite: one writer, a scan lane under the statement budget, a key-read lane.
    Sqlite {
        writer: SqlitePool,
        scans: SqliteScans,
        keyed: SqlitePool,
    },
    /// PostgreSQL: a pool for writes and key reads, and one for reads under the
    /// statement budget (whose `statement_timeout` is the request's remaining budget).
    Postgres { pool: PgPool, reads: PgReads },
}

/// Where SQLite's collection reads run.
#[derive(Debug, Clone)]
enum SqliteScans {
    /// A database file: read-only connections that read a page at once
    /// ([`sqlite_scan`]); key reads have connections of their own, so that long scans
    /// never hold them up.
    File {
        pages: Arc<ScanReaders>,
        keys: Arc<ScanReaders>,
    },
    /// An in-memory database, which only the writer's connection sees: its pool.
    Memory(SqlitePool),
}

/// Connection pools to one database, SQLite or PostgreSQL (chosen by the URL's scheme).
#[derive(Debug, Clone)]
pub struct Store {
    pools: Pools,
    /// SQLite: concurrent writes outside write groups share transactions and commits.
    commits: Option<Arc<CommitQueue<sqlx::Sqlite>>>,
    /// Set on the store of a write group ([`Store::begin_group`]): every write joins it.
    group: Option<Arc<WriteGroup>>,
    /// Whether this store began the group (and ends it) rather than joined it.
    owns_group: bool,
}

/// One open transaction that several requests' writes join (a `$batch` atomicity group):
/// each write runs in a savepoint of it, and the group commits or rolls back as one.
#[derive(Debug)]
enum WriteGroup {
    Sqlite(GroupTransaction<sqlx::Sqlite>),
    Postgres(GroupTransaction<sqlx::Postgres>),
}

/// Runs `$body` once per backend with `$dialect` and `$bind` (statement → query) for it and
/// `$writer`, `$keyed` naming its pools (PostgreSQL has one pool for both). Collection
/// reads go through [`Store::scan`].
/// Each arm is type-checked on its own, so the body is written once for both drivers.
macro_rules! per_backend {
    ($pools:expr, |$dialect:ident, $bind:ident, $writer:ident, $keyed:ident| $body:expr) => {
        match $pools {
            Pools::Sqlite {
                writer: $writer,
                keyed: $keyed,
                ..
            } => {
                let $dialect = &dialect::Sqlite;
                let $bind = run_sqlite;
                $body
            }
            Pools::Postgres { pool, .. } => {
                let ($writer, $keyed) = (pool, pool);
                let $dialect = &dialect::Postgres;
                let $bind = run_postgres;
                $body
            }
        }
    };
}

/// `$query.fetch_all`/`fetch_one` (as `$fetch`) on a connection of `$pool`, interrupted at
/// `$deadline` (see [`budget`]); an interrupt after the deadline is
/// [`StoreError::BudgetExceeded`].
macro_rules! budgeted {
    ($pool:expr, $deadline:expr, $query:ident . $fetch:ident) => {{
        let mut conn = $pool.acquire().await?;
        let watch = (*conn).arm($deadline).await?;
        let result = $query.$fetch(&mut *conn).await;
        (*conn).disarm(watch).await?;
        result.map_err(|e| StoreError::of_read(e, $deadline))?
    }};
}

/// Begins a write's transaction: on the writer pool, or as a savepoint of the store's
/// write group, whose lock `$guard` (declared, uninitialised, by the caller) then holds
/// for as long as the transaction lives.
macro_rules! begin_write {
    ($store:expr, $writer:expr, $guard:ident, $batch:ident, $ticket:ident) => {
        match &$store.group {
            None => match queue_of($writer, $store) {
                None => $writer.begin().await?,
                Some(queue) => {
                    let (joined, ticket) = queue.join($writer).await?;
                    $ticket = Some(ticket);
                    match $batch.insert(joined).transaction.as_mut() {
                        Some(open) => sqlx::Acquire::begin(open).await?,
                        None => return Err(StoreError::GroupClosed),
                    }
                }
            },
            Some(group) => {
                let group = group_of($writer, group).ok_or(StoreError::GroupClosed)?;
                $guard = group.lock().await;
                match $guard.as_mut() {
                    Some(open) => sqlx::Acquire::begin(open).await?,
                    None => return Err(StoreError::GroupClosed),
                }
            }
        }
    };
}

/// Ends a write begun with `begin_write!` once its transaction (`$tx`) is committed: in a
/// batch, releases the batch and waits for the batch's commit.
macro_rules! end_write {
    ($batch:ident, $ticket:ident) => {
        drop($batch);
        if let Some(ticket) = $ticket {
            ticket.committed().await?;
        }
    };
}

/// The tenant's change number for the write running in `$tx` ([`changes`]): handed out
/// once per write (the first time, locking the tenant's counter until the write ends) and
/// kept in `$number`.
macro_rules! change_number {
    ($d:expr, $bind:expr, $tx:ident, $tenant:expr, $number:ident) => {
        match $number {
            Some(n) => n,
            None => {
                let row = $bind(statement::next_change($d, $tenant, false))?
                    .fetch_one(&mut *$tx)
                    .await?;
                let n: i64 = row.try_get(0)?;
                $number = Some(n);
                // Read here so the last write of a function does not count as unused.
                let _ = $number;
                n
            }
        }
    };
}

/// Records in the change log, in the write's transaction `$tx`, that the entity with key
/// values `$key` of `$table` changed (`$deleted`: was deleted), if the table tracks
/// changes.
macro_rules! record_change {
    ($d:expr, $bind:expr, $tx:ident, $tenant:expr, $number:ident, $table:expr, $key:expr, $deleted:expr) => {
        if $table.track_changes {
            let seq = change_number!($d, $bind, $tx, $tenant, $number);
            let text = changes::key_text($table, $key);
            $bind(statement::log_change(
                $d,
                $tenant,
                &$table.name,
                text,
                seq,
                $deleted,
            ))?
            .execute(&mut *$tx)
            .await?;
        }
    };
}

/// The databases a [`WriteGroup`] can hold a transaction of, and whose writes may share
/// commits.
trait Grouped: sqlx::Database {
    fn transaction(group: &WriteGroup) -> Option<&GroupTransaction<Self>>;
    fn queue(store: &Store) -> Option<&Arc<CommitQueue<Self>>>;
}

/// The open transaction of a write group, `None` once it has committed or rolled back.
type GroupTransaction<DB> = Mutex<Option<sqlx::Transaction<'static, DB>>>;

impl Grouped for sqlx::Sqlite {
    fn transaction(group: &WriteGroup) -> Option<&GroupTransaction<Self>> {
        match group {
            WriteGroup::Sqlite(t) => Some(t),
            WriteGroup::Postgres(_) => None,
        }
    }

    fn queue(store: &Store) -> Option<&Arc<CommitQueue<Self>>> {
        store.commits.as_ref()
    }
}

impl Grouped for sqlx::Postgres {
    fn transaction(group: &WriteGroup) -> Option<&GroupTransaction<Self>> {
        match group {
            WriteGroup::Postgres(t) => Some(t),
            WriteGroup::Sqlite(_) => None,
        }
    }

    // PostgreSQL commits concurrent transactions on connections of their own.
    fn queue(_store: &Store) -> Option<&Arc<CommitQueue<Self>>> {
        None
    }
}

/// The store's commit queue on the database of `_pool`, if it batches commits.
fn queue_of<'s, DB: Grouped>(
    _pool: &sqlx::Pool<DB>,
    store: &'s Store,
) -> Option<&'s Arc<CommitQueue<DB>>> {
    DB::queue(store)
}

/// The group's transaction on the database of `_pool`.
fn group_of<'g, DB: Grouped>(
    _pool: &sqlx::Pool<DB>,
    group: &'g WriteGroup,
) -> Option<&'g GroupTransaction<DB>> {
    DB::transaction(group)
}

/// How long a pooled PostgreSQL connection may have been idle and still be handed out
/// without a check: one in steady use was checked when it came back to the pool.
const PG_UNCHECKED_IDLE: StdDuration = StdDuration::from_secs(1);

/// A PostgreSQL pool of at most `connections` connections, waited for at most `budget`.
///
/// sqlx checks every connection it hands out with a round trip to the server (and every
/// one handed back, on a task of its own): before a statement of one round trip, that was
/// a second. Here only a connection idle for [`PG_UNCHECKED_IDLE`] or longer is checked,
/// so a server restarted meanwhile still costs no request its answer.
fn pg_pool(connections: u32, budget: StdDuration) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(budget)
        .test_before_acquire(false)
        .before_acquire(|connection, used| {
            Box::pin(async move {
                if used.idle_for < PG_UNCHECKED_IDLE {
                    return Ok(true);
                }
                Ok(sqlx::Connection::ping(connection).await.is_ok())
            })
        })
}

impl Store {
    /// Connects to `url`: `postgres://…` (or `postgresql://…`) for PostgreSQL, anything else
    /// is a SQLite URL. `readers` is the size of the scan pool (on PostgreSQL, writes and
    /// key reads get twice as many connections of their own, and one); a request waits at
    /// most `budget` for a connection.
    pub async fn connect(url: &str, readers: u32, budget: StdDuration) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            // Writes, which run side by side on PostgreSQL, and key reads.
            let pool = pg_pool(2 * readers.max(1) + 1, budget)
                .connect_with(options.clone())
                .await?;
            let version = pool.acquire().await?.server_version_num();
            let reads = PgReads::connect(options, version, readers, budget).await?;
            return Ok(Self {
                pools: Pools::Postgres { pool, reads },
                commits: None,
                group: None,
                owns_group: false,
            });
        }
        Self::connect_sqlite(url, readers, budget).await
    }

    /// Opens (creating if needed) a SQLite database: WAL, `synchronous=FULL` so an
    /// acknowledged write survives power loss, a busy timeout so writers queue instead of
    /// failing, foreign keys on. One writer connection; `readers` connections for
    /// collection queries, whose pool waits at most `budget` for a free connection, and a
    /// lane of their own for key reads.
    async fn connect_sqlite(
        url: &str,
        readers: u32,
        budget: StdDuration,
    ) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(StdDuration::from_secs(10))
            .foreign_keys(true)
            // `matchesPattern`: the same `regex` crate as the evaluator.
            .with_regexp();
        // `PRAGMA optimize` when the writer closes keeps the planner's statistics current,
        // so equality filters keep choosing their index as tables grow.
        // Every connection gets the Unicode case functions.
        let pool = || {
            SqlitePoolOptions::new()
                .after_connect(|connection, _| Box::pin(sqlite_case::register(connection)))
        };
        // Statement journals in memory: a write in a commit batch is one statement inside
        // the batch's transaction, and SQLite keeps the pages it changes that earlier writes
        // of the batch had changed, to back it out alone; on disk (past 64 KiB) that was two
        // `pwrite`s per page, more system calls than the WAL's own.
        let writer_options = options
            .clone()
            .optimize_on_close(true, ANALYSIS_LIMIT)
            .pragma("temp_store", "memory");
        let writer = pool()
            .max_connections(1)
            .connect_with(writer_options)
            .await?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if in_memory {
            return Ok(Self {
                pools: Pools::Sqlite {
                    scans: SqliteScans::Memory(writer.clone()),
                    keyed: writer.clone(),
                    writer,
                },
                commits: Some(CommitQueue::new()),
                group: None,
                owns_group: false,
            });
        }
        let scans = SqliteScans::File {
            pages: Arc::new(ScanReaders::new(options.get_filename(), readers, budget)),
            keys: Arc::new(ScanReaders::new(options.get_filename(), readers, budget)),
        };
        let keyed = pool()
            .max_connections(readers.max(1))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            pools: Pools::Sqlite {
                writer,
                scans,
                keyed,
            },
            commits: Some(CommitQueue::new()),
            group: None,
            owns_group: false,
        })
    }

    /// The database this store talks to.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres { .. } => Backend::Postgres,
        }
    }

    /// A store whose writes all join one new transaction, for requests that must succeed
    /// or fail together (a `$batch` atomicity group). Each write runs in a savepoint, so a
    /// failed one leaves the others of the group intact until [`Store::end_group`] commits
    /// or rolls back the whole. Key reads ([`Store::get`]) see what the group wrote;
    /// collection reads keep their own connections and see the data as committed before
    /// the group. A store already in a group joins it instead.
    pub async fn begin_group(&self) -> Result<Store, StoreError> {
        if self.group.is_some() {
            // Already in a group: join it; the outer group commits or rolls back.
            return Ok(Store {
                pools: self.pools.clone(),
                commits: None,
                group: self.group.clone(),
                owns_group: false,
            });
        }
        let group = match &self.pools {
            Pools::Sqlite { writer, .. } => {
                WriteGroup::Sqlite(Mutex::new(Some(writer.begin().await?)))
            }
            Pools::Postgres { pool, .. } => {
                WriteGroup::Postgres(Mutex::new(Some(pool.begin().await?)))
            }
        };
        Ok(Store {
            pools: self.pools.clone(),
            commits: None,
            group: Some(Arc::new(group)),
            owns_group: true,
        })
    }

    /// Whether writes join a write group ([`Store::begin_group`]), not yet committed.
    pub fn in_group(&self) -> bool {
        self.group.is_some()
    }

    /// Commits (`commit`) or rolls back the write group of a store from
    /// [`Store::begin_group`]; afterwards its writes fail with [`StoreError::GroupClosed`].
    pub async fn end_group(&self, commit: bool) -> Result<(), StoreError> {
        async fn end<DB: sqlx::Database>(
            group: &GroupTransaction<DB>,
            commit: bool,
        ) -> Result<(), StoreError> {
            let open = group.lock().await.take().ok_or(StoreError::GroupClosed)?;
            if commit {
                open.commit().await?;
            } else {
                open.rollback().await?;
            }
            Ok(())
        }
        if !self.owns_group {
            // A joined group: its owner ends it.
            return if self.group.is_some() {
                Ok(())
            } else {
                Err(StoreError::GroupClosed)
            };
        }
        match self.group.as_deref() {
            None => Err(StoreError::GroupClosed),
            Some(WriteGroup::Sqlite(group)) => end(group, commit).await,
            Some(WriteGroup::Postgres(group)) => end(group, commit).await,
        }
    }

    /// Applies pending migrations: `sqlite` on SQLite, `postgres` on PostgreSQL (where
    /// sqlx holds an advisory lock, so instances starting together migrate once). On
    /// SQLite, the indexes a migration created get the planner's statistics their tables'
    /// other indexes have ([`analyze_new_indexes`]).
    pub async fn migrate(
        &self,
        sqlite: &sqlx::migrate::Migrator,
        postgres: &sqlx::migrate::Migrator,
    ) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { writer, .. } => {
                sqlite.run(writer).await?;
                analyze_new_indexes(writer).await?;
            }
            Pools::Postgres { pool, .. } => postgres.run(pool).await?,
        }
        Ok(())
    }

    /// The key `$skiptoken`s are sealed with, created at random by the first instance that
    /// starts on this database and shared by every later one.
    pub async fn token_key(&self) -> Result<[u8; 32], StoreError> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| {
            StoreError::Bind(format!("no randomness for the token key: {e}").into())
        })?;
        let stored: Vec<u8> = per_backend!(&self.pools, |d, bind, writer, _k| {
            let mut tx = writer.begin().await?;
            bind(statement::create_secret_table(d))?
                .execute(&mut *tx)
                .await?;
            bind(statement::insert_secret(d, TOKEN_KEY, fresh.to_vec()))?
                .execute(&mut *tx)
                .await?;
            let stored: Vec<u8> = bind(statement::read_secret(d, TOKEN_KEY))?
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            tx.commit().await?;
            stored
        });
        stored.try_into().map_err(|_| StoreError::Corrupt {
            column: "_odata_secret.value".into(),
            reason: "the token key is not 32 bytes".into(),
        })
    }

    /// Creates the change log's tables when missing ([`changes`]); needed before any write
    /// to a collection that tracks changes.
    pub async fn prepare_change_log(&self) -> Result<(), StoreError> {
        per_backend!(&self.pools, |d, bind, writer, _k| {
            let mut tx = writer.begin().await?;
            for create in statement::create_change_tables(d) {
                bind(create)?.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Creates, when missing, what the database keeps of `table` besides its rows: the
    /// per-day counts of its range-counted properties ([`range_count`]) and the trigram
    /// indexes of its string properties ([`trigram`]), with the triggers that keep them,
    /// filled from the stored rows the first time; needed before reads use them.
    pub async fn prepare_derived(&self, table: &Table) -> Result<(), StoreError> {
        per_backend!(&self.pools, |d, bind, writer, _k| {
            let mut tx = writer.begin().await?;
            if let Some(lock) = d.startup_lock() {
                bind(Statement {
                    sql: lock.to_owned(),
                    params: Vec::new(),
                })?
                .execute(&mut *tx)
                .await?;
            }
            for &column in &table.range_counts {
                let preparation = range_count::prepare(d, table, column);
                for create in preparation.create {
                    bind(create)?.execute(&mut *tx).await?;
                }
                // Checked apart: a guard inside the fill would still scan the table.
                if bind(preparation.filled)?
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_none()
                {
                    bind(preparation.fill)?.execute(&mut *tx).await?;
                }
            }
            for &column in &table.trigram_indexes {
                let preparation = trigram::prepare(d, table, column);
                for sql in preparation.create {
                    bind(Statement::text(sql))?.execute(&mut *tx).await?;
                }
                if let Some((filled, fill)) = preparation.fill
                    && bind(Statement::text(filled))?
                        .fetch_optional(&mut *tx)
                        .await?
                        .is_none()
                {
                    bind(Statement::text(fill))?.execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The number of the tenant's entities of `table` in `range` of a range-counted
    /// property (as [`Store::count_matching`] with the range as condition), and the number
    /// with any value of that property; interrupted at `deadline`.
    pub async fn count_in_range(
        &self,
        table: &Table,
        tenant: &str,
        range: &TimeRange,
        deadline: Deadline,
    ) -> Result<RangeCount, StoreError> {
        let statement = per_backend!(&self.pools, |d, _b, _w, _k| {
            range_count::count(d, table, tenant, range)
        });
        let counts = self
            .scan(statement, deadline, |row| {
                Ok(RangeCount {
                    matching: row.int(0)?.unwrap_or_default(),
                    total: row.int(1)?.unwrap_or_default(),
                })
            })
            .await?;
        Ok(counts.into_iter().next().unwrap_or_default())
    }

    /// The tenant's change mark: the last change number committed and the epoch
    /// ([`changes`]); zeros before the first change.
    pub async fn change_mark(&self, tenant: &str) -> Result<ChangeMark, StoreError> {
        per_backend!(&self.pools, |d, bind, _w, keyed| {
            let row = bind(statement::change_mark(d, tenant))?
                .fetch_optional(keyed)
                .await?;
            Ok(match row {
                None => ChangeMark { epoch: 0, seq: 0 },
                Some(row) => ChangeMark {
                    seq: row.try_get(0)?,
                    epoch: row.try_get(1)?,
                },
            })
        })
    }

    /// The latest changes of the tenant's entities of `table` numbered up to `upto`, after
    /// the position `after` (a change number and, within it, the key text of the last
    /// change already read), in (number, key) order, at most `limit`; interrupted at
    /// `deadline`.
    pub async fn changes(
        &self,
        table: &Table,
        tenant: &str,
        after: (i64, Option<String>),
        upto: i64,
        limit: u32,
        deadline: Deadline,
    ) -> Result<Vec<changes::LoggedChange>, StoreError> {
        let statement = per_backend!(&self.pools, |d, _b, _w, _k| {
            statement::changes_since(d, tenant, &table.name, after, upto, limit)
        });
        let rows = self
            .scan(statement, deadline, |row| {
                let deleted = row.int(2)?.unwrap_or_default();
                Ok((
                    row.text(0)?.unwrap_or_default(),
                    row.int(1)?.unwrap_or_default(),
                    deleted,
                ))
            })
            .await?;
        rows.into_iter()
            .map(|(key_text, seq, deleted)| {
                Ok(changes::LoggedChange {
                    key: changes::key_values(table, &key_text)?,
                    key_text,
                    seq,
                    deleted: deleted != 0,
                })
            })
            .collect()
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        per_backend!(
            &self.pools,
            |_d, bind, _w, keyed| match bind(statement::ping()) {
                Ok(query) => query.execute(keyed).await.is_ok(),
                Err(_) => false,
            }
        )
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite {
                writer,
                scans,
                keyed,
            } => {
                keyed.close().await;
                match scans {
                    SqliteScans::File { pages, keys } => {
                        pages.close();
                        keys.close();
                    }
                    SqliteScans::Memory(_) => {}
                }
                writer.close().await;
            }
            Pools::Postgres { pool, reads } => {
                reads.close().await;
                pool.close().await;
            }
        }
    }

    /// One entity by key (in a write group, as the group's writes left it).
    pub async fn get(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
    ) -> Result<Option<StoredEntity>, StoreError> {
        if let (
            None,
            Pools::Sqlite {
                scans: SqliteScans::File { keys, .. },
                ..
            },
        ) = (&self.group, &self.pools)
        {
            let read = statement::key_read(&dialect::Sqlite, table, tenant, key_params(table, key));
            let mut found = KeyRead {
                table,
                entity: None,
            };
            keys.for_each(read, Deadline::after(KEY_READ_LIMIT), &mut found)
                .await?;
            return Ok(found.entity);
        }
        per_backend!(&self.pools, |d, bind, writer, keyed| {
            let read = statement::key_read(d, table, tenant, key_params(table, key));
            let row = if self.group.is_some() {
                // In a write group: what the group wrote so far counts.
                let mut group_lock;
                let (mut batch, mut ticket) = (None, None);
                let mut tx = begin_write!(self, writer, group_lock, batch, ticket);
                let row = bind(read)?.fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                end_write!(batch, ticket);
                row
            } else {
                bind(read)?.fetch_optional(keyed).await?
            };
            row.map(|r| decode_row(table, &r)).transpose()
        })
    }

    /// Entities of the tenant matching every condition, in order, windowed; interrupted
    /// at `deadline`.
    pub async fn find(
        &self,
        table: &Table,
        tenant: &str,
        find: &Find<'_>,
        deadline: Deadline,
    ) -> Result<Vec<FoundEntity>, StoreError> {
        let (statement, columns) = self.page_statement(table, tenant, find);
        let layout = RowLayout::of(table, columns);
        let order_terms = find.order.len();
        self.scan(statement, deadline, move |row| {
            found(&layout, order_terms, row)
        })
        .await
    }

    /// [`Store::find`]'s rows handed one by one to `sink` as they are read
    /// ([`page_row`]): for responses written straight from the cells, decoding only what
    /// they need.
    pub async fn find_each(
        &self,
        table: &Table,
        tenant: &str,
        find: &Find<'_>,
        deadline: Deadline,
        sink: &mut dyn PageSink,
    ) -> Result<(), StoreError> {
        let (statement, columns) = self.page_statement(table, tenant, find);
        let layout = RowLayout::of(table, columns);
        let mut rows = PageRows {
            sink,
            layout: &layout,
            order_terms: find.order.len(),
        };
        match &self.pools {
            Pools::Sqlite {
                scans: SqliteScans::File { pages, .. },
                ..
            } => pages.for_each(statement, deadline, &mut rows).await,
            Pools::Sqlite {
                scans: SqliteScans::Memory(pool),
                ..
            } => {
                let query = run_sqlite(statement)?;
                let read = budgeted!(pool, deadline, query.fetch_all);
                read.iter().try_for_each(|row| rows.row(row))
            }
            Pools::Postgres { reads, .. } => {
                let query = run_postgres(statement)?;
                let read = reads.fetch_all(query, deadline).await?;
                read.iter().try_for_each(|row| rows.row(row))
            }
        }
    }

    /// The statement of a [`Find`], and the table columns it reads.
    fn page_statement(
        &self,
        table: &Table,
        tenant: &str,
        find: &Find<'_>,
    ) -> (Statement, Vec<usize>) {
        let columns: Vec<usize> = match find.projection {
            None => (0..table.columns.len()).collect(),
            Some(p) => {
                let mut c: Vec<usize> = table.key.clone();
                c.extend(p.iter().filter(|i| !table.key.contains(i)));
                c
            }
        };
        let query = PageQuery {
            conditions: find.conditions,
            order: find.order,
            columns: &columns,
            limit: find.limit,
            offset: find.offset,
        };
        let statement = per_backend!(&self.pools, |d, _b, _w, _k| {
            statement::page(d, table, tenant, &query)
        });
        (statement, columns)
    }

    /// The entities of the tenant meeting every condition (their key columns only), each
    /// with the cells of `values` computed for it, in order; interrupted at `deadline`.
    pub async fn selected_values(
        &self,
        table: &Table,
        tenant: &str,
        conditions: &[&Condition],
        values: &[SelectedValue],
        deadline: Deadline,
    ) -> Result<Vec<(StoredEntity, Vec<SqlParam>)>, StoreError> {
        let statement = per_backend!(&self.pools, |d, _b, _w, _k| {
            statement::selected_values(d, table, tenant, conditions, values)
        });
        let layout = RowLayout::of(table, table.key.clone());
        let first = 2 + table.key.len();
        self.scan(statement, deadline, move |row| {
            let cells = (first..row.width())
                .map(|i| row.param(i))
                .collect::<Result<_, _>>()?;
            Ok((layout.entity(row)?, cells))
        })
        .await
    }

    /// The rows of a generated read-only statement (`$apply`), each cell as the database
    /// typed it; interrupted at `deadline`.
    pub async fn rows(
        &self,
        statement: Statement,
        deadline: Deadline,
    ) -> Result<Vec<Vec<SqlParam>>, StoreError> {
        self.scan(statement, deadline, |row| {
            Ok((0..row.width())
                .map(|i| row.param(i))
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The rows of a read-only statement on the scan lane, each turned into a `T` by
    /// `decode` as it is read; interrupted at `deadline`.
    async fn scan<T, F>(
        &self,
        statement: Statement,
        deadline: Deadline,
        mut decode: F,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&dyn Cells) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.pools {
            Pools::Sqlite {
                scans: SqliteScans::File { pages, .. },
                ..
            } => {
                pages
                    .fetch(statement, deadline, move |row| decode(row))
                    .await
            }
            Pools::Sqlite {
                scans: SqliteScans::Memory(pool),
                ..
            } => {
                let query = run_sqlite(statement)?;
                let rows = budgeted!(pool, deadline, query.fetch_all);
                rows.iter().map(|row| decode(row)).collect()
            }
            Pools::Postgres { reads, .. } => {
                let query = run_postgres(statement)?;
                let rows = reads.fetch_all(query, deadline).await?;
                rows.iter().map(|row| decode(row)).collect()
            }
        }
    }

    /// Number of entities of the tenant matching every condition; interrupted at
    /// `deadline`.
    pub async fn count_matching(
        &self,
        table: &Table,
        tenant: &str,
        conditions: &[&Condition],
        deadline: Deadline,
    ) -> Result<i64, StoreError> {
        let statement = per_backend!(&self.pools, |d, _b, _w, _k| {
            statement::count(d, table, tenant, conditions)
        });
        let counts = self
            .scan(statement, deadline, |row| {
                Ok(row.int(0)?.unwrap_or_default())
            })
            .await?;
        Ok(counts.into_iter().next().unwrap_or_default())
    }

    /// The related entities of several parents in one statement: each partition's rows
    /// ranked `skip + 1 ..= skip + limit` (see [`statement::page_per_partition`]), every
    /// column read; interrupted at `deadline`.
    ///
    /// Each row comes with its parent's key: the partition column's value, or for a
    /// partition through a link table the link's `source`.
    pub async fn find_per_partition(
        &self,
        table: &Table,
        tenant: &str,
        query: &PartitionQuery<'_>,
        deadline: Deadline,
    ) -> Result<Vec<(Value, StoredEntity)>, StoreError> {
        let statement = per_backend!(&self.pools, |d, _b, _w, _k| {
            statement::page_per_partition(d, table, tenant, query)
        });
        let layout = RowLayout::of(table, 0..table.columns.len());
        let source = match query.partition {
            Partition::Column(column) => Err(column),
            Partition::Links { link, .. } => {
                Ok(link.table.columns[LinkTable::SOURCE].property.clone())
            }
        };
        self.scan(statement, deadline, move |row| {
            let entity = layout.entity(row)?;
            let parent = match &source {
                Err(column) => entity.values[*column].clone(),
                Ok(property) => codec::decode(row, layout.width + 2, property)?,
            };
            Ok((parent, entity))
        })
        .await
    }

    /// The number of the tenant's rows matching every condition per value of the
    /// `partition` column; interrupted at `deadline`.
    pub async fn count_per_partition(
        &self,
        table: &Table,
        tenant: &str,
        conditions: &[&Condition],
        partition: Partition<'_>,
        deadline: Deadline,
    ) -> Result<Vec<(Value, i64)>, StoreError> {
        let property = match partition {
            Partition::Column(column) => &table.columns[column].property,
            Partition::Links { link, .. } => &link.table.columns[LinkTable::SOURCE].property,
        }
        .clone();
        let statement = per_backend!(&self.pools, |d, _b, _w, _k| {
            statement::count_per_partition(d, table, tenant, conditions, partition)
        });
        self.scan(statement, deadline, move |row| {
            let value = codec::decode(row, 0, &property)?;
            Ok((value, row.int(1)?.unwrap_or_default()))
        })
        .await
    }

    /// Whether the tenant has no row in `table`.
    pub async fn is_empty(&self, table: &Table, tenant: &str) -> Result<bool, StoreError> {
        per_backend!(&self.pools, |d, bind, writer, _k| {
            let mut group_lock;
            let (mut batch, mut ticket) = (None, None);
            let mut tx = begin_write!(self, writer, group_lock, batch, ticket);
            let row = bind(statement::any_row(d, table, tenant))?
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            end_write!(batch, ticket);
            Ok(row.is_none())
        })
    }

    /// Deletes every row of the tenant in `table`.
    pub async fn clear(&self, table: &Table, tenant: &str) -> Result<(), StoreError> {
        per_backend!(&self.pools, |d, bind, writer, _k| {
            let mut group_lock;
            let (mut batch, mut ticket) = (None, None);
            let mut tx = begin_write!(self, writer, group_lock, batch, ticket);
            if table.track_changes {
                // Replaced data: every delta token issued before is void (a new epoch).
                bind(statement::next_change(d, tenant, true))?
                    .execute(&mut *tx)
                    .await?;
                bind(statement::forget_changes(d, tenant, &table.name))?
                    .execute(&mut *tx)
                    .await?;
            }
            bind(statement::delete_all(d, table, tenant))?
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            end_write!(batch, ticket);
            Ok(())
        })
    }

    /// Inserts a new entity; [`StoreError::Duplicate`] when the key exists.
    pub async fn insert(
        &self,
        table: &Table,
        tenant: &str,
        type_name: &str,
        values: &[Value],
    ) -> Result<StoredEntity, StoreError> {
        self.insert_with_stream(table, tenant, type_name, values, None)
            .await
    }

    /// [`Store::insert`] with the bytes of one of the entity's streams (whose media type is
    /// among `values`), in the same transaction.
    pub async fn insert_with_stream(
        &self,
        table: &Table,
        tenant: &str,
        type_name: &str,
        values: &[Value],
        stream: Option<(&StreamColumns, Vec<u8>)>,
    ) -> Result<StoredEntity, StoreError> {
        let mut values = values.to_vec();
        mirror_version(table, &mut values, 1);
        let values = values.as_slice();
        let key: Vec<Value> = table.key.iter().map(|&k| values[k].clone()).collect();
        // Without a change to log or a stream to write, the INSERT is the whole write: in a
        // commit batch it runs without a savepoint of its own.
        if let (Pools::Sqlite { writer, .. }, Some(queue), None, false, None) = (
            &self.pools,
            &self.commits,
            &self.group,
            table.track_changes,
            &stream,
        ) {
            let insert =
                statement::sqlite_insert(table, tenant, type_name, write_params(table, values));
            let undo = statement::sqlite_delete_created(table, tenant, key_params(table, &key));
            queue
                .run_alone(writer, insert, undo)
                .await?
                .committed()
                .await?;
        } else {
            per_backend!(&self.pools, |d, bind, writer, _k| {
                let insert =
                    statement::insert(d, table, tenant, type_name, write_params(table, values));
                let query = bind(insert)?;
                let mut group_lock;
                let (mut batch, mut ticket) = (None, None);
                let mut tx = begin_write!(self, writer, group_lock, batch, ticket);
                let mut number = None;
                record_change!(d, bind, tx, tenant, number, table, &key, false);
                match query.execute(&mut *tx).await {
                    Ok(_) => {}
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Err(StoreError::Duplicate);
                    }
                    Err(e) => return Err(e.into()),
                }
                if let Some((stream, bytes)) = stream {
                    let write = statement::stream_write(
                        d,
                        table,
                        tenant,
                        key_params(table, &key),
                        stream,
                        bytes,
                    );
                    bind(write)?.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                end_write!(batch, ticket);
            });
        }
        Ok(StoredEntity {
            type_name: type_name.to_owned(),
            version: 1,
            values: values.to_vec(),
        })
    }

    /// Reads the entity, lets `change` compute its new values, and writes them, all in one
    /// transaction. `allowed` answers whether the caller's conditions (ETags) allow changing
    /// the current version; [`StoreError::VersionMismatch`] otherwise, also when another
    /// writer changed the entity in between (the UPDATE checks the version it read).
    pub async fn update<F>(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
        allowed: impl Fn(i64) -> bool,
        change: F,
    ) -> Result<StoredEntity, StoreError>
    where
        F: FnOnce(&StoredEntity) -> Result<Vec<Value>, ODataError>,
    {
        self.change(table, tenant, key, allowed, |current| {
            Ok(Change {
                values: Some(change(current)?),
                relinks: Vec::new(),
                stream: None,
            })
        })
        .await
    }

    /// [`Store::update`] for changes that may also link other entities to this one: reads
    /// the entity, lets `change` compute what to write, writes the entity's new values (if
    /// any) and (un)links the members of [`Change::relinks`], all in one transaction.
    /// [`StoreError::MissingMember`] (and nothing written) when a member to link does not
    /// exist in the tenant, or one to unlink is not linked to this entity. Returns the
    /// entity as it is after the change.
    pub async fn change<'t, F>(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
        allowed: impl Fn(i64) -> bool,
        change: F,
    ) -> Result<StoredEntity, StoreError>
    where
        F: FnOnce(&StoredEntity) -> Result<Change<'t>, ODataError>,
    {
        per_backend!(&self.pools, |d, bind, writer, _k| {
            let mut group_lock;
            let (mut batch, mut ticket) = (None, None);
            let mut tx = begin_write!(self, writer, group_lock, batch, ticket);
            let mut number = None;
            if table.track_changes {
                // Numbered before any row is locked, as every tracked write is.
                change_number!(d, bind, tx, tenant, number);
            }
            let read = statement::key_read(d, table, tenant, key_params(table, key));
            let row = bind(read)?
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let current = decode_row(table, &row)?;
            if !allowed(current.version) {
                return Err(StoreError::VersionMismatch);
            }
            let Change {
                values,
                relinks,
                stream,
            } = change(&current).map_err(StoreError::Rejected)?;
            for relink in relinks {
                let [k] = table.key.as_slice() else {
                    // Service::build binds references only to single-property keys.
                    return Err(StoreError::Corrupt {
                        column: table.name.clone(),
                        reason: "a link to an entity without a single key".to_owned(),
                    });
                };
                let target = relink.table;
                let column = match relink.via {
                    Via::Reference(column) => &target.columns[column],
                    Via::Links(links) => &links.table.columns[LinkTable::SOURCE],
                };
                let Some(source) = codec::params(column, &current.values[*k])
                    .into_iter()
                    .next()
                else {
                    return Err(StoreError::NotFound);
                };
                for (i, member) in relink.members.iter().enumerate() {
                    let changed = match relink.via {
                        Via::Reference(column) => {
                            let statement = statement::relink(
                                d,
                                target,
                                tenant,
                                key_params(target, member),
                                column,
                                source.clone(),
                                relink.link,
                            );
                            bind(statement)?.execute(&mut *tx).await?.rows_affected() == 1
                        }
                        Via::Links(links) => {
                            let exists = statement::version_read(
                                d,
                                target,
                                tenant,
                                key_params(target, member),
                            );
                            // (source, target) for the link row.
                            let pair = std::iter::once(source.clone())
                                .chain(member.iter().take(1).flat_map(|m| {
                                    codec::params(&links.table.columns[LinkTable::TARGET], m)
                                }))
                                .collect::<Vec<_>>();
                            if relink.link {
                                let found = bind(exists)?.fetch_optional(&mut *tx).await?;
                                if found.is_some() {
                                    let add = statement::add_link(d, links, tenant, pair);
                                    bind(add)?.execute(&mut *tx).await?;
                                }
                                found.is_some()
                            } else {
                                let remove = statement::remove_link(d, links, tenant, pair);
                                bind(remove)?.execute(&mut *tx).await?.rows_affected() == 1
                            }
                        }
                    };
                    if !changed {
                        return Err(StoreError::MissingMember(i));
                    }
                    record_change!(d, bind, tx, tenant, number, target, member, false);
                }
            }
            if values.is_some() || stream.is_some() {
                record_change!(d, bind, tx, tenant, number, table, key, false);
            }
            let entity = match values {
                Some(mut values) => {
                    mirror_version(table, &mut values, current.version + 1);
                    let update = statement::update(
                        d,
                        table,
                        tenant,
                        key_params(table, key),
                        current.version,
                        write_params(table, &values),
                    );
                    let done = bind(update)?.execute(&mut *tx).await?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::VersionMismatch);
                    }
                    StoredEntity {
                        type_name: current.type_name,
                        version: current.version + 1,
                        values,
                    }
                }
                None => current,
            };
            if let Some((columns, bytes)) = stream {
                let write = statement::stream_write(
                    d,
                    table,
                    tenant,
                    key_params(table, key),
                    columns,
                    bytes,
                );
                bind(write)?.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            end_write!(batch, ticket);
            Ok(entity)
        })
    }

    /// One stream of one entity by key (in a write group, as the group's writes left it):
    /// the entity's version, the bytes (`None`: never written) and their media type.
    /// `None` when there is no such entity.
    pub async fn read_stream(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
        stream: &StreamColumns,
    ) -> Result<Option<StoredStream>, StoreError> {
        per_backend!(&self.pools, |d, bind, writer, keyed| {
            let read = statement::stream_read(d, table, tenant, key_params(table, key), stream);
            let row = if self.group.is_some() {
                let mut group_lock;
                let (mut batch, mut ticket) = (None, None);
                let mut tx = begin_write!(self, writer, group_lock, batch, ticket);
                let row = bind(read)?.fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                end_write!(batch, ticket);
                row
            } else {
                bind(read)?.fetch_optional(keyed).await?
            };
            match row {
                None => Ok(None),
                Some(row) => Ok(Some(StoredStream {
                    version: row.try_get(0)?,
                    bytes: row.try_get(1)?,
                    media_type: row.try_get(2)?,
                })),
            }
        })
    }

    /// Deletes the entity when `allowed` accepts its current version, in one transaction
    /// with what its `dependents` (the rows of other tables whose column holds its key: the
    /// entities it contains, those referring to it) need by their rule;
    /// [`StoreError::NotFound`], [`StoreError::VersionMismatch`] or
    /// [`StoreError::Referenced`].
    pub async fn delete(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
        allowed: impl Fn(i64) -> bool,
        dependents: &[Dependents<'_>],
    ) -> Result<(), StoreError> {
        per_backend!(&self.pools, |d, bind, writer, _k| {
            let mut group_lock;
            let (mut batch, mut ticket) = (None, None);
            let mut tx = begin_write!(self, writer, group_lock, batch, ticket);
            let mut number = None;
            if table.track_changes || dependents.iter().any(|dep| dep.table.track_changes) {
                // Numbered before any row is locked, as every tracked write is.
                change_number!(d, bind, tx, tenant, number);
            }
            let read = statement::version_read(d, table, tenant, key_params(table, key));
            let version: i64 = bind(read)?
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?
                .try_get(0)?;
            if !allowed(version) {
                return Err(StoreError::VersionMismatch);
            }
            for (index, dependent) in dependents.iter().enumerate() {
                let Dependents {
                    table: child,
                    column,
                    rule,
                } = *dependent;
                for principal in key
                    .iter()
                    .flat_map(|k| codec::params(&child.columns[column], k))
                {
                    if child.track_changes && rule != DependentRule::Refuse {
                        let select =
                            statement::keys_where(d, child, tenant, column, principal.clone());
                        let rows = bind(select)?.fetch_all(&mut *tx).await?;
                        for row in &rows {
                            let member = child
                                .key
                                .iter()
                                .enumerate()
                                .map(|(i, &k)| codec::decode(row, i, &child.columns[k].property))
                                .collect::<Result<Vec<_>, _>>()?;
                            let deleted = rule == DependentRule::Delete;
                            record_change!(d, bind, tx, tenant, number, child, &member, deleted);
                        }
                    }
                    match rule {
                        DependentRule::Delete => {
                            let statement =
                                statement::delete_contained(d, child, tenant, column, principal);
                            bind(statement)?.execute(&mut *tx).await?;
                        }
                        DependentRule::Unlink => {
                            let statement =
                                statement::unlink_dependents(d, child, tenant, column, principal);
                            bind(statement)?.execute(&mut *tx).await?;
                        }
                        DependentRule::Refuse => {
                            let statement =
                                statement::any_dependent(d, child, tenant, column, principal);
                            if bind(statement)?.fetch_optional(&mut *tx).await?.is_some() {
                                return Err(StoreError::Referenced(index));
                            }
                        }
                    }
                }
            }
            let delete = statement::delete(d, table, tenant, key_params(table, key), version);
            let done = bind(delete)?.execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::VersionMismatch);
            }
            record_change!(d, bind, tx, tenant, number, table, key, true);
            tx.commit().await?;
            end_write!(batch, ticket);
            Ok(())
        })
    }
}

/// Sets the property that mirrors an entity's version ([`Table::version`]), if the table
/// has one, to `version`.
fn mirror_version(table: &Table, values: &mut [Value], version: i64) {
    if let Some(column) = table.version {
        values[column] = Value::Int(version);
    }
}

/// Rows of another table whose column holds the key of an entity being deleted
/// ([`Store::delete`]).
#[derive(Debug, Clone, Copy)]
pub struct Dependents<'t> {
    /// Their table.
    pub table: &'t Table,
    /// The column (index into `table.columns`) holding the deleted entity's key.
    pub column: usize,
    /// What happens to them.
    pub rule: DependentRule,
}

/// What deleting an entity does to the rows that hold its key ([`Dependents`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependentRule {
    /// They are deleted with it (contained entities; `OnDelete` `Cascade`).
    Delete,
    /// Their column becomes null and their version changes (a nullable foreign key).
    Unlink,
    /// The delete fails while there are any ([`StoreError::Referenced`]).
    Refuse,
}

/// Name of the `$skiptoken` key among the service's secrets.
const TOKEN_KEY: &str = "skiptoken";

/// Index entries SQLite samples per index for the planner's statistics (`PRAGMA
/// analysis_limit`), when the writer closes and for indexes created since.
const ANALYSIS_LIMIT: u32 = 1000;

/// A rendered statement as a sqlx query with its parameters bound. With [`run_postgres`],
/// the one place where generated SQL text reaches a driver: it comes from
/// `crate::sql::statement`, built from the table mapping with every value a parameter.
fn run_sqlite(
    statement: Statement,
) -> Result<sqlx::query::Query<'static, sqlx::Sqlite, SqliteArguments>, StoreError> {
    let mut args = SqliteArguments::default();
    for p in &statement.params {
        p.bind(&mut args).map_err(StoreError::Bind)?;
    }
    Ok(sqlx::query_with(AssertSqlSafe(statement.sql), args))
}

/// [`run_sqlite`] for PostgreSQL.
fn run_postgres(
    statement: Statement,
) -> Result<sqlx::query::Query<'static, sqlx::Postgres, PgArguments>, StoreError> {
    let mut args = PgArguments::default();
    for p in &statement.params {
        p.bind_postgres(&mut args).map_err(StoreError::Bind)?;
    }
    Ok(sqlx::query_with(AssertSqlSafe(statement.sql), args))
}

/// The columns a read statement selects after the two system columns (`_type`,
/// `_version`): each one's place in the table and the property that decodes it. Owned, as
/// a page is decoded on a reader's thread ([`sqlite_scan`]).
#[derive(Debug)]
struct RowLayout {
    /// The table's number of columns.
    width: usize,
    columns: Vec<(usize, Property)>,
    /// Per table column, its cell in the row, if read.
    positions: Vec<Option<usize>>,
}

impl RowLayout {
    fn of(table: &Table, columns: impl IntoIterator<Item = usize>) -> Self {
        let columns: Vec<(usize, Property)> = columns
            .into_iter()
            .map(|c| (c, table.columns[c].property.clone()))
            .collect();
        let mut positions = vec![None; table.columns.len()];
        for (i, (c, _)) in columns.iter().enumerate() {
            positions[*c] = Some(i + 2);
        }
        Self {
            width: table.columns.len(),
            columns,
            positions,
        }
    }

    /// The cell of table column `column` in the row, if the read selected it.
    fn position(&self, column: usize) -> Option<usize> {
        self.positions.get(column).copied().flatten()
    }

    /// The row's entity; columns the statement did not select are null.
    fn entity(&self, row: &(impl Cells + ?Sized)) -> Result<StoredEntity, StoreError> {
        let selected = self.columns.iter().map(|(c, property)| (*c, property));
        entity(self.width, selected, row)
    }
}

/// The entity of a row: `_type`, `_version`, then the `columns` (place in the table,
/// property), the table's other columns null.
fn entity<'p>(
    width: usize,
    columns: impl Iterator<Item = (usize, &'p Property)>,
    row: &(impl Cells + ?Sized),
) -> Result<StoredEntity, StoreError> {
    let mut values: Vec<Value> = std::iter::repeat_with(|| Value::Null).take(width).collect();
    for (i, (c, property)) in columns.enumerate() {
        values[c] = codec::decode(row, i + 2, property)?;
    }
    Ok(StoredEntity {
        type_name: system_text(row, 0)?,
        version: system_int(row, 1)?,
        values,
    })
}

/// One row of a page: the entity and the values of its `order_terms` sort keys.
fn found(
    layout: &RowLayout,
    order_terms: usize,
    row: &(impl Cells + ?Sized),
) -> Result<FoundEntity, StoreError> {
    let base = 2 + layout.columns.len();
    let sort_keys = (0..order_terms)
        .map(|i| row.param(base + i))
        .collect::<Result<_, _>>()?;
    Ok(FoundEntity {
        entity: layout.entity(row)?,
        sort_keys,
    })
}

/// Statistics (as `PRAGMA optimize` samples them) for every index without any whose
/// table has them: SQLite takes an index it has no statistics for as a very selective one,
/// so an index a migration just created would otherwise win every plan of its table (an
/// index on (`_tenant`, a state, …) taken for `_tenant = ?` alone, and the whole tenant
/// sorted for one page) until the statistics are next refreshed, when the writer closes.
/// A database never analysed keeps having none: the planner's defaults then apply to every
/// index alike.
async fn analyze_new_indexes(writer: &sqlx::SqlitePool) -> Result<(), StoreError> {
    let analysed: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
    )
    .fetch_optional(writer)
    .await?;
    if analysed.is_none() {
        return Ok(());
    }
    let unanalysed: Vec<String> = sqlx::query_scalar(
        "SELECT i.name FROM sqlite_master AS i WHERE i.type = 'index' \
         AND i.tbl_name IN (SELECT tbl FROM sqlite_stat1) \
         AND i.name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)",
    )
    .fetch_all(writer)
    .await?;
    let mut connection = writer.acquire().await?;
    for index in unanalysed {
        tracing::info!(index = %index, "analysing an index created since the last statistics");
        // Sampled as the writer's `PRAGMA optimize` samples, so all of a table's
        // statistics are alike.
        sqlx::raw_sql(AssertSqlSafe(format!(
            "PRAGMA analysis_limit = {ANALYSIS_LIMIT}; ANALYZE {}",
            dialect::Sqlite.quote(&index)
        )))
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// A NOT NULL system column (`_type`).
fn system_text(row: &(impl Cells + ?Sized), index: usize) -> Result<String, StoreError> {
    row.text(index)?.ok_or_else(|| StoreError::Corrupt {
        column: "_type".into(),
        reason: "null".into(),
    })
}

/// A NOT NULL system column (`_version`).
fn system_int(row: &(impl Cells + ?Sized), index: usize) -> Result<i64, StoreError> {
    row.int(index)?.ok_or_else(|| StoreError::Corrupt {
        column: "_version".into(),
        reason: "null".into(),
    })
}

/// The key values as parameters, in key column order.
fn key_params(table: &Table, key: &[Value]) -> Vec<SqlParam> {
    table
        .key
        .iter()
        .zip(key)
        .flat_map(|(&i, value)| codec::params(&table.columns[i], value))
        .collect()
}

/// The parameters of every written column (two for a DateTimeOffset), in table order.
fn write_params(table: &Table, values: &[Value]) -> Vec<SqlParam> {
    table
        .columns
        .iter()
        .zip(values)
        .flat_map(|(column, value)| codec::params(column, value))
        .collect()
}

fn decode_row(table: &Table, row: &(impl Cells + ?Sized)) -> Result<StoredEntity, StoreError> {
    let columns = table.columns.iter().map(|c| &c.property).enumerate();
    entity(table.columns.len(), columns, row)
}

/// How long a key read may run: it reads one row by its primary key, so this bounds only
/// a database that has gone wrong.
const KEY_READ_LIMIT: StdDuration = StdDuration::from_secs(30);

/// The entity of a key read on SQLite's key readers, decoded from its row.
struct KeyRead<'t> {
    table: &'t Table,
    entity: Option<StoredEntity>,
}

impl RowSink for KeyRead<'_> {
    fn row(&mut self, row: &dyn Cells) -> Result<(), StoreError> {
        self.entity = Some(decode_row(self.table, row)?);
        Ok(())
    }

    fn restart(&mut self) {
        self.entity = None;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sqlx::Arguments;

    async fn memory() -> SqlitePool {
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn indexes_created_since_the_statistics_are_analysed_at_migration() {
        let dir = tempfile::tempdir().unwrap();
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).unwrap();
        std::fs::write(
            migrations.join("0001_items.sql"),
            "CREATE TABLE items (id INTEGER PRIMARY KEY, state INTEGER, at INTEGER);\n\
             CREATE INDEX ix_items_at ON items (at);\n\
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999) \
             INSERT INTO items (id, state, at) SELECT i, i % 4, i FROM n;",
        )
        .unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url, 1, StdDuration::from_secs(5))
            .await
            .unwrap();
        let migrate = || async {
            let migrator = sqlx::migrate::Migrator::new(migrations.as_path())
                .await
                .unwrap();
            store.migrate(&migrator, &migrator).await.unwrap();
        };
        let Pools::Sqlite { writer, .. } = &store.pools else {
            panic!("a SQLite store");
        };
        let statistics = || async {
            sqlx::query_as::<_, (String, String)>(
                "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'items' ORDER BY idx",
            )
            .fetch_all(writer)
            .await
        };
        migrate().await;
        // Never analysed: no statistics are made up.
        assert!(statistics().await.is_err(), "no sqlite_stat1 expected");
        sqlx::query("ANALYZE").execute(writer).await.unwrap();
        assert_eq!(
            statistics().await.unwrap(),
            [("ix_items_at".to_owned(), "1000 1".to_owned())]
        );
        std::fs::write(
            migrations.join("0002_state.sql"),
            "CREATE INDEX ix_items_state ON items (state, id);",
        )
        .unwrap();
        migrate().await;
        assert_eq!(
            statistics().await.unwrap(),
            [
                ("ix_items_at".to_owned(), "1000 1".to_owned()),
                ("ix_items_state".to_owned(), "1000 250 1".to_owned())
            ]
        );
    }

    #[tokio::test]
    async fn range_counts_are_filled_from_the_rows_stored_before_them() {
        use odata_core::bind::{BoundExpr, CompareOp, ExprType, PropertyRef};
        use odata_core::edm::{EntityTypeDef, ModelBuilder, PrimitiveKind, PropertyDef};
        use odata_core::value::DateTimeOffset;
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("event")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("at", "Edm.DateTimeOffset")),
            )
            .entity_set("events", "ns.event")
            .build()
            .unwrap();
        let event = model.find_entity_type("ns.event").unwrap();
        let mut table = Table::new(&model, event, "events".into());
        table.range_counts = vec![table.column_index("at").unwrap()];
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url, 1, StdDuration::from_secs(5))
            .await
            .unwrap();
        let Pools::Sqlite { writer, .. } = &store.pools else {
            panic!("a SQLite store");
        };
        let create = crate::sql::schema::create_table(&table, Backend::Sqlite);
        sqlx::raw_sql(AssertSqlSafe(create))
            .execute(writer)
            .await
            .unwrap();
        // Two days of 2024, one before 1970, one without an instant, another tenant.
        let rows = [
            ("", "a", Some("2024-03-01T10:00:00Z")),
            ("", "b", Some("2024-03-01T23:00:00Z")),
            ("", "c", Some("2024-03-02T00:00:00Z")),
            ("", "d", Some("1969-07-20T20:17:00Z")),
            ("", "e", None),
            ("t2", "a", Some("2024-03-01T12:00:00Z")),
        ];
        for (tenant, id, at) in rows {
            let ticks = at.map(|t| DateTimeOffset::parse(t).unwrap().utc_ticks());
            sqlx::query(
                "INSERT INTO \"events\" (\"_tenant\", \"id\", \"_type\", \"at\", \"at__utc\") \
                 VALUES (?, ?, 'ns.event', ?, ?)",
            )
            .bind(tenant)
            .bind(id)
            .bind(at)
            .bind(ticks)
            .execute(writer)
            .await
            .unwrap();
        }
        store.prepare_derived(&table).await.unwrap();
        // A second start neither fills them again nor fails.
        store.prepare_derived(&table).await.unwrap();
        let since = |text: &str| BoundExpr::Compare {
            op: CompareOp::Ge,
            left: Box::new(BoundExpr::Property(PropertyRef {
                variable: None,
                cast: None,
                path: vec!["at".into()],
                ty: ExprType::Primitive(PrimitiveKind::DateTimeOffset),
            })),
            right: Box::new(BoundExpr::Literal {
                value: Value::DateTimeOffset(DateTimeOffset::parse(text).unwrap()),
                ty: ExprType::Primitive(PrimitiveKind::DateTimeOffset),
            }),
        };
        let deadline = Deadline::after(StdDuration::from_secs(5));
        for (from, tenant, expected) in [
            ("2024-03-01T00:00:00Z", "", (3, 4)),
            ("2024-03-01T11:00:00Z", "", (2, 4)),
            ("0001-01-01T00:00:00Z", "", (4, 4)),
            ("2024-03-01T00:00:00Z", "t2", (1, 1)),
        ] {
            let range = TimeRange::of_filter(&table, &since(from)).unwrap();
            let counted = store
                .count_in_range(&table, tenant, &range, deadline)
                .await
                .unwrap();
            assert_eq!(
                (counted.matching, counted.total),
                expected,
                "{from} {tenant}"
            );
        }
        store.close().await;
    }

    #[tokio::test]
    async fn statements_too_large_for_sqlite_are_the_requests_fault() {
        let pool = memory().await;
        let deadline = Deadline::after(StdDuration::from_secs(5));
        let placeholders = vec!["?"; 40_000].join(",");
        let mut args = SqliteArguments::default();
        for i in 0..40_000 {
            args.add(i).unwrap();
        }
        let e = sqlx::query_with(AssertSqlSafe(format!("SELECT 1 IN ({placeholders})")), args)
            .fetch_one(&pool)
            .await
            .unwrap_err();
        assert!(matches!(
            StoreError::of_read(e, deadline),
            StoreError::TooLarge(_)
        ));
        let deep = format!("SELECT {}", "1+".repeat(2000) + "1");
        let e = sqlx::query(AssertSqlSafe(deep))
            .fetch_one(&pool)
            .await
            .unwrap_err();
        assert!(matches!(
            StoreError::of_read(e, deadline),
            StoreError::TooLarge(_)
        ));
    }

    #[tokio::test]
    async fn an_armed_statement_stops_at_the_deadline_and_the_connection_recovers() {
        let pool = memory().await;
        let mut conn = pool.acquire().await.unwrap();
        let deadline = Deadline::after(StdDuration::from_millis(100));
        let watch = conn.arm(deadline).await.unwrap();
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) \
                       SELECT count(*) FROM n";
        let e = sqlx::query(endless)
            .fetch_one(&mut *conn)
            .await
            .unwrap_err();
        conn.disarm(watch).await.unwrap();
        assert!(matches!(
            StoreError::of_read(e, deadline),
            StoreError::BudgetExceeded
        ));
        let one: i64 = sqlx::query("SELECT 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get(0);
        assert_eq!(one, 1);
    }
}
