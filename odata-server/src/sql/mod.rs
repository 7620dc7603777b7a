//! Bound query expressions (`odata_core::bind`) → SQL with bound parameters, for SQLite
//! and PostgreSQL ([`dialect`]).
//!
//! [`filter`] turns a bound `$filter` into a [`Condition`], [`order_by`] turns `$orderby`
//! keys into [`OrderTerm`]s and [`search`] turns `$search` into a [`Condition`]. The HTTP
//! layer wraps them as
//!
//! ```sql
//! SELECT … FROM "table" WHERE "_tenant" = ? AND (<condition>) ORDER BY <terms>, "id" DESC LIMIT ?
//! ```
//!
//! Every value from the request — literals, JSON paths, type names, search terms — is a
//! bound parameter ([`SqlParam`]); identifiers come from the model and the table mapping
//! and are quoted. Column references inside lambda (`any`/`all`) subqueries are qualified
//! with the table name, so the statement must name the table in `FROM` without an alias.
//!
//! # Semantics
//!
//! The in-memory evaluator (`odata_core::eval`) defines the semantics and the
//! differential test (`tests/differential.rs`) checks this translation against it. OData's
//! null rules hold: `eq`/`ne` are `IS`/`IS NOT` (so `x eq null` is true for null, `x ne 'a'`
//! includes nulls); `gt`/`ge`/`lt`/`le` are made two-valued (false when either side is null,
//! even `null ge null`), so `not (x gt 1)` includes nulls; `in` is two-valued like `eq`;
//! `and`/`or`/`not` then follow SQL's three-valued logic, which is OData's for Boolean
//! nulls; functions of null are null; a WHERE treats null as false like `eval::matches`.
//! `tolower`/`toupper` and `$search` map case by Unicode rules: on SQLite with functions the
//! store registers on every connection (`store::sqlite_case`, Rust's own mapping), on
//! PostgreSQL with the ICU root collation.
//! Comparisons are by type: DateTimeOffset by instant (the `__utc` ticks column), Duration
//! and TimeOfDay by ticks, enums by numeric value, strings by code point (SQLite's BINARY
//! collation compares UTF-8 bytes, which orders like code points and like Rust's `str`).
//! Lambdas iterate JSON arrays with `json_each` (a null collection is empty); `all` counts a
//! null predicate as false. Paths through navigation properties are correlated subqueries
//! on the related table in the same tenant (see `translate/navigation.rs`): a scalar
//! subquery for a single-valued one, `EXISTS`/`COUNT(*)` for a collection-valued one (whose
//! members, for a many-to-many navigation, are those the link table pairs with the source). Nulls sort first ascending, last descending (SQLite's default).
//!
//! # Deliberate differences from the evaluator
//!
//! Each is excluded from the differential test, which says how.
//!
//! * **Decimal division on PostgreSQL.** Edm.Decimal is stored as its canonical text
//!   (exact, any number of digits) and computed with exactly on both databases:
//!   comparisons, `in`, `$orderby`, `add`/`sub`/`mul`/`mod`, negation,
//!   `round`/`floor`/`ceiling`, casts, `totalseconds`/`fractionalseconds`, and `$apply`'s
//!   `sum`/`average`/`min`/`max` (and the cumulative `topsum` … forms). PostgreSQL computes
//!   in NUMERIC; SQLite, which has no decimal type, holds a decimal as its text and computes
//!   with the functions and aggregates the store registers on every connection
//!   (`store::sqlite_decimal`, the evaluator's own decimal code), comparing and sorting by
//!   an order-preserving text key (`odata_decimal_key`). A decimal meeting a double is
//!   converted to the nearest double, as the evaluator does. The one difference: a
//!   quotient (`div`, `divby`, `average`) that does not terminate keeps 100 significant
//!   digits in the evaluator and on SQLite, but PostgreSQL's NUMERIC scale (at least 16
//!   significant digits, and the dividend's decimal places) there.
//! * **Decimals as JSON numbers inside collections of decimals.** A decimal member of a
//!   complex value is read from its JSON text on SQLite (every digit), but an item of a
//!   `Collection(Edm.Decimal)` written as a JSON number with more than 15 significant digits
//!   is read as a double there (SQLite's `json_each` reads JSON numbers so); as a JSON string
//!   it is exact.
//! * **`$apply` on SQLite.** The `average` of integers (an Edm.Decimal) is a double there,
//!   inexact beyond 2^53. Its `sum()` of integers fails on an overflow of any intermediate
//!   sum (a 400, as the evaluator's overflow of the total is), also where the total fits;
//!   `NaN` sums (`INF` plus `-INF`) are null there.
//! * **Text-to-double conversion.** SQLite's own conversion of JSON numbers to REAL is not
//!   always correctly rounded at extreme exponents (`-1e-300` reads as
//!   `-9.999999999999999e-301`); doubles in columns are bound as doubles and are exact.
//! * **Int64 against Double.** SQLite compares an INTEGER with a REAL exactly; the evaluator
//!   converts the integer to a double first, so they differ beyond 2^53.
//! * **Double edge values.** Division of doubles by zero is null in SQLite (the evaluator
//!   gives ±INF/NaN); NaN cannot be stored in SQLite (it becomes null), so `INF sub INF` is
//!   null, not NaN; `mod` of doubles is computed as `l - r·trunc(l/r)` (SQLite's `%`
//!   truncates to integers and `fmod` may be absent), which is wrong for quotients beyond
//!   2^63 and can differ from `fmod` in the last bits.
//! * **Integer overflow.** SQLite turns an overflowing integer `add`/`sub`/`mul`/negation into
//!   a REAL instead of failing; the evaluator rejects such requests with a 400, as it does
//!   integer and decimal division by zero (null here).
//! * **Strings with U+0000.** SQLite's string functions stop at a NUL character.
//! * **`cast`** supports: numbers ↔ numbers (truncation toward zero with range checks),
//!   integers/Boolean/Guid/Date/TimeOfDay/enums (non-flags)/stored DateTimeOffsets → String,
//!   String → Boolean, String or integers → enum (String only for non-flags enums, member
//!   names and plain decimal values: `'+1'` or `'01'` do not convert here), enum → integer,
//!   DateTimeOffset → Date/TimeOfDay, Date → DateTimeOffset. Other casts are 501.
//! * **`matchesPattern`** runs the `regex` crate inside SQLite (registered by sqlx), as the
//!   evaluator does; on PostgreSQL the pattern is rewritten as an equivalent advanced regular
//!   expression ([`pattern`]). Its pattern must be a string literal (501 otherwise).
//! * **Not supported (501 Not Implemented):** `geo.*`, Edm.Duration values
//!   inside complex or collection values, type casts on lambda variables, and the casts
//!   above.
//! * **`now()`** is folded into a literal by the binder; should it reach the translator, it
//!   is read from the clock when the filter is translated.

pub mod apply;
pub(crate) mod dialect;
mod frag;
pub mod implied;
mod order;
mod param;
pub mod pattern;
pub mod range_count;
pub mod schema;
mod search;
pub use search::SearchPath;
pub mod statement;
mod translate;
pub mod trigram;

pub use param::SqlParam;
pub use statement::Statement;
pub use translate::{Hop, Navigator, NoNavigation};

use odata_core::bind::{BoundExpr, BoundOrderBy, BoundSearch};
use odata_core::edm::Model;
use odata_core::error::ODataError;
use odata_core::query::SortDirection;
use odata_core::value::Value;

use crate::store::table::{SEQUENCE_COLUMN, Table};
use dialect::{ExprDialect, Postgres, Sqlite};
use frag::Frag;
use schema::Backend;
use translate::Translator;

/// A SQL boolean expression with its parameters (null or false means "no match", like a
/// WHERE clause reads it); a part of a [`Statement`].
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub(crate) frag: Frag,
}

impl Condition {
    /// A condition no row meets.
    pub fn none() -> Self {
        Self {
            frag: Frag::sql("(1 = 0)"),
        }
    }

    /// The condition alone as SQLite text and parameters (for tests and diagnostics).
    pub fn to_sql(&self) -> (String, Vec<SqlParam>) {
        self.frag.clone().render(&Sqlite)
    }
}

/// One `ORDER BY` expression and its direction; a part of a [`Statement`].
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    pub(crate) expr: Frag,
    /// Sort direction.
    pub direction: SortDirection,
    /// Whether the expression can be null (where nulls sort matters to the database).
    pub(crate) nullable: bool,
}

impl OrderTerm {
    /// Sorting by one NOT NULL column of the table (the entity key, which makes an order
    /// total).
    pub fn column(name: &str, direction: SortDirection) -> Self {
        Self {
            expr: Frag::atom(dialect::Dialect::quote(&Sqlite, name)),
            direction,
            nullable: false,
        }
    }

    /// The sort expression alone as SQLite text and parameters (for tests and diagnostics).
    pub fn to_sql(&self) -> (String, Vec<SqlParam>) {
        self.expr.clone().render(&Sqlite)
    }
}

/// The order that makes any order of `table`'s entities total, and is their order when a
/// request gives none: the order they were created in for a table kept in insertion order
/// (always ascending: ties of a `$orderby` keep the default order), else the key, in
/// `key_direction`.
pub fn default_order(table: &Table, key_direction: SortDirection) -> Vec<OrderTerm> {
    if table.insertion_order {
        return vec![OrderTerm::column(SEQUENCE_COLUMN, SortDirection::Asc)];
    }
    table
        .key
        .iter()
        .map(|&k| OrderTerm::column(&table.columns[k].property.name, key_direction))
        .collect()
}

/// The conditions the filter `expr` implies over `table` in forms its indexes serve
/// ([`implied`]): to be ANDed with the filter's own condition, never used alone.
pub fn implied_conditions(backend: Backend, table: &Table, expr: &BoundExpr) -> Vec<Condition> {
    match backend {
        Backend::Sqlite => implied::conditions(&Sqlite, table, expr),
        Backend::Postgres => implied::conditions(&Postgres, table, expr),
    }
}

/// The terms of `expr`'s top-level `and`s.
fn conjuncts(expr: &BoundExpr) -> Vec<&BoundExpr> {
    match expr {
        BoundExpr::And(a, b) => {
            let mut terms = conjuncts(a);
            terms.extend(conjuncts(b));
            terms
        }
        other => vec![other],
    }
}

/// Translates a bound `$filter` over the entities of `table` into a SQL condition for a
/// store on `backend`.
///
/// Errors: 501 for functions and forms the database translation does not support (see the
/// module documentation), 400 for a non-Boolean filter.
///
/// `navigator` says where the table's navigation properties lead, for paths through them
/// (`deploymentProfile/displayName`, `assignedDevices/any(d: …)`); a path through one it
/// does not know is a 501.
pub fn filter(
    backend: Backend,
    model: &Model,
    table: &Table,
    navigator: &dyn Navigator,
    expr: &BoundExpr,
) -> Result<Condition, ODataError> {
    fn on<D: ExprDialect>(
        dialect: &D,
        model: &Model,
        table: &Table,
        navigator: &dyn Navigator,
        expr: &BoundExpr,
    ) -> Result<Frag, ODataError> {
        Translator::new(model, table, navigator, dialect).condition(expr)
    }
    let frag = match backend {
        Backend::Sqlite => on(&Sqlite, model, table, navigator, expr)?,
        Backend::Postgres => on(&Postgres, model, table, navigator, expr)?,
    };
    Ok(Condition { frag })
}

/// A value computed in SQL beside an entity's columns (`$compute` reading through
/// navigation properties): its cells — the value, and the UTC ticks of an
/// Edm.DateTimeOffset — and how they decode ([`apply::decode_cell`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedValue {
    pub(crate) value: Frag,
    pub(crate) ticks: Option<Frag>,
    /// The value's name and type.
    pub column: apply::ResultColumn,
}

/// Translates the bound expression of the computed value `name` over the entities of
/// `table` for a store on `backend`.
///
/// Errors: those of [`filter`], and 501 for a value of a structured type.
pub fn selected_value(
    backend: Backend,
    model: &Model,
    table: &Table,
    navigator: &dyn Navigator,
    name: &str,
    expr: &BoundExpr,
) -> Result<SelectedValue, ODataError> {
    let type_ref = apply::type_ref_of(&expr.ty()).ok_or_else(|| {
        ODataError::new(
            odata_core::error::ErrorKind::NotImplemented,
            format!("'{name}' reads navigation properties and is not a primitive value"),
        )
    })?;
    let (value, ticks) = match backend {
        Backend::Sqlite => {
            Translator::new(model, table, navigator, &Sqlite).selected_cells(expr)?
        }
        Backend::Postgres => {
            Translator::new(model, table, navigator, &Postgres).selected_cells(expr)?
        }
    };
    Ok(SelectedValue {
        value,
        ticks,
        column: apply::ResultColumn::value(vec![name.to_owned()], type_ref, true),
    })
}

/// Translates bound `$orderby` keys into sort expressions for a store on `backend`, in
/// key order.
pub fn order_by(
    backend: Backend,
    model: &Model,
    table: &Table,
    navigator: &dyn Navigator,
    keys: &[BoundOrderBy],
) -> Result<Vec<OrderTerm>, ODataError> {
    match backend {
        Backend::Sqlite => {
            order::order_terms(&mut Translator::new(model, table, navigator, &Sqlite), keys)
        }
        Backend::Postgres => order::order_terms(
            &mut Translator::new(model, table, navigator, &Postgres),
            keys,
        ),
    }
}

/// Translates a bound `$search` into a condition for a store on `backend`: each term
/// matches when one of `columns` (indexes into `table.columns` of searchable string
/// properties) contains it, ignoring case. The condition is never null.
pub fn search(
    backend: Backend,
    table: &Table,
    search: &BoundSearch,
    columns: &[SearchPath],
) -> Condition {
    let frag = match backend {
        Backend::Sqlite => search::search_condition(&Sqlite, table, search, columns),
        Backend::Postgres => search::search_condition(&Postgres, table, search, columns),
    };
    Condition { frag }
}

/// The entities of type `ty` or a type derived from it: `"_type" IN (…)`.
pub fn type_in(model: &Model, ty: odata_core::edm::EntityTypeId) -> Condition {
    let names = model
        .entity_type_and_subtypes(ty)
        .into_iter()
        .map(|t| Frag::param(model.entity_type(t).qualified_name.as_str()));
    Condition {
        frag: frag::frag![
            Frag::atom("\"_type\""),
            " IN (",
            Frag::join(names, ","),
            ")"
        ],
    }
}

/// Every one of `conditions` (`None` for none: no restriction).
pub fn all(conditions: Vec<Condition>) -> Option<Condition> {
    let mut iter = conditions.into_iter();
    let first = iter.next()?;
    Some(iter.fold(first, |all, c| Condition {
        frag: frag::frag!["(", all.frag, ") AND (", c.frag, ")"],
    }))
}

/// `column IN (values…)`: the rows whose column (not a DateTimeOffset) holds one of
/// `values`; false for no values.
pub fn column_in(table: &Table, column: usize, values: &[Value]) -> Condition {
    let stored = &table.columns[column];
    if values.is_empty() {
        return Condition {
            frag: Frag::sql("(1 = 0)"),
        };
    }
    let name = dialect::Dialect::quote(&Sqlite, &stored.property.name);
    Condition {
        frag: values_in(Frag::atom(name), stored, values),
    }
}

/// `column IN (values…)`, each value encoded for the stored column `stored`.
fn values_in(column: Frag, stored: &crate::store::table::Column, values: &[Value]) -> Frag {
    let params = values.iter().map(|v| {
        Frag::param(
            crate::store::codec::params(stored, v)
                .into_iter()
                .next()
                .unwrap_or(SqlParam::Null),
        )
    });
    frag::frag![column, " IN (", Frag::join(params, ","), ")"]
}

/// The rows of `table` (the related entities of a many-to-many navigation) that a row of
/// `link` pairs with one of `sources` in `tenant`:
/// `"key" IN (SELECT "link"."target" FROM "link" WHERE "link"."_tenant" = ? AND
/// "link"."source" IN (…))`. False for no sources.
pub fn linked_to(
    table: &Table,
    link: &crate::store::link_table::LinkTable,
    tenant: &str,
    sources: &[Value],
) -> Condition {
    use crate::store::link_table::LinkTable;
    let ([key], false) = (table.key.as_slice(), sources.is_empty()) else {
        return Condition {
            frag: Frag::sql("(1 = 0)"),
        };
    };
    let quote = |name: &str| dialect::Dialect::quote(&Sqlite, name);
    let qualified = |name: &str| Frag::atom(format!("{}.{}", quote(link.name()), quote(name)));
    let source = &link.table.columns[LinkTable::SOURCE];
    let of_sources = values_in(qualified(&source.property.name), source, sources);
    Condition {
        frag: frag::frag![
            Frag::atom(quote(&table.columns[*key].property.name)),
            " IN (SELECT ",
            qualified(crate::store::link_table::TARGET_COLUMN),
            " FROM ",
            Frag::atom(quote(link.name())),
            " WHERE ",
            qualified("_tenant"),
            " = ",
            Frag::param(tenant),
            " AND ",
            of_sources,
            ")"
        ],
    }
}

/// The rows whose key is one of `keys` (each in key column order): `k IN (…)` for a
/// single-property key, `(a = … AND b = …) OR …` otherwise; false for no keys.
pub fn keys_in(table: &Table, keys: &[Vec<Value>]) -> Condition {
    if let [column] = table.key.as_slice() {
        let values: Vec<Value> = keys.iter().filter_map(|k| k.first().cloned()).collect();
        return column_in(table, *column, &values);
    }
    if keys.is_empty() {
        return Condition {
            frag: Frag::sql("(1 = 0)"),
        };
    }
    let alternatives = keys.iter().map(|key| {
        let parts = table.key.iter().zip(key).map(|(&c, value)| {
            let stored = &table.columns[c];
            let param = crate::store::codec::params(stored, value)
                .into_iter()
                .next()
                .unwrap_or(SqlParam::Null);
            let name = dialect::Dialect::quote(&Sqlite, &stored.property.name);
            frag::frag![Frag::atom(name), " = ", Frag::param(param)]
        });
        frag::frag!["(", Frag::join(parts, " AND "), ")"]
    });
    Condition {
        frag: frag::frag!["(", Frag::join(alternatives, " OR "), ")"],
    }
}

#[cfg(test)]
mod tests;
