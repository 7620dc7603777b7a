//! Per-day counts of the entities of a DateTimeOffset property
//! ([`crate::service::CollectionDef::range_counts`]), for `$count` of a time range.
//!
//! Counting the rows of a range walks every index entry in it: a quarter of 100 000 events
//! is 25 000 entries per `$count`. The store keeps instead, per tenant and UTC day, how many
//! rows have the property in that day, in a table of its own that row triggers update in
//! the transaction of every insert, delete and update of the property: the counts are
//! never stale and no write path can forget them. A range then costs the sum of the days
//! it covers whole plus an index count of the rows in its two partial days.
//!
//! Days are buckets of UTC ticks (100 ns since 1970, negative before): the ticks shifted by
//! [`SHIFT`] are never negative, so the integer division both databases truncate is the
//! floor, and bucket `k` holds the ticks `[k·DAY − SHIFT, (k+1)·DAY − SHIFT)`.

use odata_core::bind::{BoundExpr, CompareOp, ExprType};
use odata_core::edm::PrimitiveKind;
use odata_core::value::Value;

use super::dialect::{Dialect, Postgres, Sqlite};
use super::frag::{Frag, frag};
use super::schema::Backend;
use super::statement::Statement;
use super::{Condition, conjuncts};
use crate::store::table::{Table, utc_column};

/// Ticks per day.
const DAY: i64 = 864_000_000_000;

/// Added to UTC ticks before dividing into days: 800 000 days reach back before the year 1,
/// the earliest DateTimeOffset, and the latest (9999) stays far from `i64::MAX`.
const SHIFT: i64 = 800_000 * DAY;

/// The instants `[from, to)` (UTC ticks) of the range-counted property `column`: what a
/// `$filter` made only of `ge`/`gt`/`le`/`lt`/`eq` comparisons of that property with
/// literals, ANDed, selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    column: usize,
    from: i64,
    to: i64,
}

impl TimeRange {
    /// The range `filter` selects, when it is one on a range-counted property of `table`.
    pub(crate) fn of_filter(table: &Table, filter: &BoundExpr) -> Option<Self> {
        let mut range: Option<Self> = None;
        for term in conjuncts(filter) {
            let (column, from, to) = comparison(table, term)?;
            range = match range {
                None => Some(Self { column, from, to }),
                Some(r) if r.column == column => Some(Self {
                    column,
                    from: r.from.max(from),
                    to: r.to.min(to),
                }),
                Some(_) => return None,
            };
        }
        range
    }

    /// Whether a page of `limit` entities in the default order is met sooner by walking
    /// that order and testing each entity against a range holding `matching` of the
    /// tenant's `total` entities (one in every `total / matching`) than by reading the
    /// `matching` entities from the property's index and sorting them. SQLite's planner,
    /// which cannot know how many entities a range holds, always sorts.
    pub(crate) fn walks_default_order(limit: u64, matching: i64, total: i64) -> bool {
        i128::from(limit) * i128::from(total) < i128::from(matching).pow(2)
    }

    /// The range as a condition that no index of the property serves (`+column`), so the
    /// page walks the default order's index.
    pub(crate) fn unindexed(&self, backend: Backend, table: &Table) -> Condition {
        let frag = match backend {
            Backend::Sqlite => self.unindexed_in(&Sqlite, table),
            Backend::Postgres => self.unindexed_in(&Postgres, table),
        };
        Condition { frag }
    }

    fn unindexed_in(&self, dialect: &impl Dialect, table: &Table) -> Frag {
        let utc = dialect.quote(&utc_column(&table.columns[self.column].property.name));
        frag![
            "(+",
            Frag::atom(utc.clone()),
            " >= ",
            Frag::param(self.from),
            " AND +",
            Frag::atom(utc),
            " < ",
            Frag::param(self.to),
            ")"
        ]
    }
}

/// A comparison of a range-counted property with a DateTimeOffset literal, as its column
/// and the half-open ticks interval it selects.
fn comparison(table: &Table, term: &BoundExpr) -> Option<(usize, i64, i64)> {
    let BoundExpr::Compare { op, left, right } = term else {
        return None;
    };
    let (property, literal, op) = match (left.as_ref(), right.as_ref()) {
        (BoundExpr::Property(p), BoundExpr::Literal { value, .. }) => (p, value, *op),
        (BoundExpr::Literal { value, .. }, BoundExpr::Property(p)) => (p, value, flipped(*op)),
        _ => return None,
    };
    let plain = property.variable.is_none()
        && property.cast.is_none()
        && property.ty == ExprType::Primitive(PrimitiveKind::DateTimeOffset);
    let [name] = property.path.as_slice() else {
        return None;
    };
    let column = table
        .column_index(name)
        .filter(|c| table.range_counts.contains(c));
    let (Some(column), true, Value::DateTimeOffset(instant)) = (column, plain, literal) else {
        return None;
    };
    let at = instant.utc_ticks();
    let (from, to) = match op {
        CompareOp::Ge => (at, i64::MAX),
        CompareOp::Gt => (at.saturating_add(1), i64::MAX),
        CompareOp::Lt => (i64::MIN, at),
        CompareOp::Le => (i64::MIN, at.saturating_add(1)),
        CompareOp::Eq => (at, at.saturating_add(1)),
        CompareOp::Ne => return None,
    };
    Some((column, from, to))
}

/// The operator with its operands swapped (`a lt b` is `b gt a`).
fn flipped(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        other => other,
    }
}

/// The table of the per-day counts of `table`'s property at `column`.
fn counts_table(table: &Table, column: usize) -> String {
    format!(
        "{}__counts__{}",
        table.name, table.columns[column].property.name
    )
}

/// `(ticks + SHIFT) / DAY` of the `row` (`OLD` or `NEW`) in a trigger.
fn bucket_of(row: &str, utc: &str) -> String {
    format!("({row}.{utc} + {SHIFT}) / {DAY}")
}

/// How the store sets up the counts of a table's property: run in one transaction,
/// `create`, then `filled` and, when it finds no row, `fill`.
pub(crate) struct Preparation {
    /// Create, when missing, the counts' table and the triggers that keep them.
    pub(crate) create: Vec<Statement>,
    /// A row when the counts hold any: afterwards a counted row always leaves one, so
    /// none means they were just created (or nothing was ever counted).
    pub(crate) filled: Statement,
    /// Fill the counts from the stored rows.
    pub(crate) fill: Statement,
}

/// The [`Preparation`] of the counts of `table`'s property at `column`.
pub(crate) fn prepare(dialect: &impl Dialect, table: &Table, column: usize) -> Preparation {
    let counts = counts_table(table, column);
    let (q_counts, q_table) = (dialect.quote(&counts), dialect.quote(&table.name));
    let utc = dialect.quote(&utc_column(&table.columns[column].property.name));
    let big = dialect.integer_type();
    let mut statements = vec![format!(
        "CREATE TABLE IF NOT EXISTS {q_counts} (\"_tenant\" TEXT NOT NULL, \
         \"bucket\" {big} NOT NULL, \"n\" {big} NOT NULL, PRIMARY KEY (\"_tenant\", \"bucket\"))"
    )];
    let on_old = format!(
        "UPDATE {q_counts} SET \"n\" = \"n\" - 1 WHERE OLD.{utc} IS NOT NULL \
         AND \"_tenant\" = OLD.\"_tenant\" AND \"bucket\" = {}",
        bucket_of("OLD", &utc)
    );
    let on_new = format!(
        "INSERT INTO {q_counts} (\"_tenant\", \"bucket\", \"n\") \
         SELECT NEW.\"_tenant\", {}, 1 WHERE NEW.{utc} IS NOT NULL \
         ON CONFLICT (\"_tenant\", \"bucket\") DO UPDATE SET \"n\" = {q_counts}.\"n\" + 1",
        bucket_of("NEW", &utc)
    );
    statements.extend(dialect.row_triggers(&counts, &table.name, &utc, &on_old, &on_new));
    Preparation {
        create: statements.into_iter().map(Statement::text).collect(),
        filled: Statement::text(format!("SELECT 1 FROM {q_counts} LIMIT 1")),
        fill: Statement::text(format!(
            "INSERT INTO {q_counts} (\"_tenant\", \"bucket\", \"n\") \
             SELECT \"_tenant\", ({utc} + {SHIFT}) / {DAY}, COUNT(*) FROM {q_table} \
             WHERE {utc} IS NOT NULL GROUP BY \"_tenant\", ({utc} + {SHIFT}) / {DAY}"
        )),
    }
}

/// Two numbers: the tenant's rows in `range` (the counts of the days it covers whole, plus
/// an index count of the rows in the parts of the days at either end), and its rows with
/// any instant of the property (every day's count).
pub(crate) fn count(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    range: &TimeRange,
) -> Statement {
    // In shifted ticks, where days start at multiples of DAY; i128 for the unbounded ends.
    let from = (i128::from(range.from) + i128::from(SHIFT)).max(0);
    let to = (i128::from(range.to) + i128::from(SHIFT)).min(i128::from(i64::MAX));
    let day = i128::from(DAY);
    let first_whole = (from + day - 1).div_euclid(day);
    let end_whole = to.div_euclid(day).max(first_whole);
    let unshift = |ticks: i128| {
        i64::try_from(ticks - i128::from(SHIFT)).unwrap_or(if ticks < 0 {
            i64::MIN
        } else {
            i64::MAX
        })
    };
    let bucket = |b: i128| i64::try_from(b).unwrap_or(i64::MAX);
    let (head_end, tail_start) = if first_whole < end_whole {
        (first_whole * day, end_whole * day)
    } else {
        // No whole day: the index counts the range.
        (to.max(from), to.max(from))
    };
    let utc = Frag::atom(dialect.quote(&utc_column(&table.columns[range.column].property.name)));
    let rows_between = |lo: i128, hi: i128| {
        frag![
            "(SELECT COUNT(*) FROM ",
            Frag::atom(dialect.quote(&table.name)),
            " WHERE ",
            Frag::atom(dialect.quote("_tenant")),
            " = ",
            Frag::param(tenant),
            " AND ",
            utc.clone(),
            " >= ",
            Frag::param(unshift(lo)),
            " AND ",
            utc.clone(),
            " < ",
            Frag::param(unshift(hi)),
            ")"
        ]
    };
    // The sum of the tenant's days, those of `days` only when given.
    let days_sum = |days: Option<(i64, i64)>| {
        let mut sum = frag![
            "CAST(COALESCE((SELECT SUM(",
            Frag::atom(dialect.quote("n")),
            ") FROM ",
            Frag::atom(dialect.quote(&counts_table(table, range.column))),
            " WHERE ",
            Frag::atom(dialect.quote("_tenant")),
            " = ",
            Frag::param(tenant)
        ];
        if let Some((first, end)) = days {
            let bucket_column = || Frag::atom(dialect.quote("bucket"));
            sum.push(frag![
                " AND ",
                bucket_column(),
                " >= ",
                Frag::param(first),
                " AND ",
                bucket_column(),
                " < ",
                Frag::param(end)
            ]);
        }
        sum.push(frag!["), 0) AS ", dialect.integer_type(), ")"]);
        sum
    };
    let sql = frag![
        "SELECT CAST(",
        days_sum(Some((bucket(first_whole), bucket(end_whole)))),
        " + ",
        rows_between(from, head_end),
        " + ",
        rows_between(tail_start, to),
        " AS ",
        dialect.integer_type(),
        "), ",
        days_sum(None)
    ];
    Statement::render(sql, dialect)
}
