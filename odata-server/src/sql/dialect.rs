//! What differs between SQL databases, behind small traits (STYLE.md item 7): neither the
//! statement builders nor the translator ask "is this PostgreSQL?"; a new difference
//! becomes a new method.
//!
//! [`Dialect`] is what whole statements need (placeholders, quoting, ORDER BY, null-safe
//! equality for keyset paging, column types, typed parameters); [`ExprDialect`] adds what
//! the translation of `$filter`/`$orderby`/`$search` expressions needs. SQLite implements
//! both; PostgreSQL implements [`Dialect`], so its store runs every statement but the
//! expression translation, which answers 501 there until it has a PostgreSQL spelling.

use odata_core::edm::SpatialFamily;
use odata_core::error::ODataError;
use odata_core::query::SortDirection;
use odata_core::value::{Decimal, DecimalOp, DecimalRounding, EARTH_RADIUS_METERS, decimal_text};

use super::frag::{Frag, frag};
use super::param::SqlParam;
use super::trigram::{Anchor, Pattern, SQLITE_TRIGRAM_NEEDLE};
use crate::store::sqlite_case;
use crate::store::sqlite_decimal::{self, Aggregate};
use crate::store::table::{ColumnKind, SEQUENCE_COLUMN};

/// The SQL spellings whole statements need from a database. Methods take and return
/// [`Frag`]s so an implementation may order its arguments freely without misaligning
/// parameters.
pub(crate) trait Dialect {
    /// The placeholder of the `index`th parameter (1-based) of a statement, whose value is
    /// `param`.
    fn placeholder(&self, index: usize, param: &SqlParam) -> String;

    /// A quoted identifier (table, column or alias name from the model, never from a
    /// request).
    fn quote(&self, name: &str) -> String;

    /// Boolean: `a` equals `b`, null equal to null (never null itself).
    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag;

    /// One ORDER BY item in OData's order: nulls first ascending, last descending. For an
    /// expression that is never null (`nullable` false) the null order is left unsaid, so
    /// any index on it serves the order.
    fn order_term(&self, expr: Frag, direction: SortDirection, nullable: bool) -> Frag;

    /// The column type of binary values.
    fn blob_type(&self) -> &'static str;

    /// The type name of 64-bit integers in `CAST`.
    fn integer_type(&self) -> &'static str;

    /// The type name of 64-bit floating-point numbers in `CAST`.
    fn real_type(&self) -> &'static str;

    /// A parameter written into a column of `kind`: where the database types parameters
    /// strictly, a null must still have the column's type.
    fn column_param(&self, param: Frag, kind: ColumnKind) -> Frag;

    /// The value a new row of table `table` takes in its insertion-order column, when the
    /// database does not fill it itself (see `store::table::SEQUENCE_COLUMN`).
    fn next_sequence(&self, table: &str) -> Option<Frag>;

    /// Statements that create, when missing, row triggers on `table` (quoted here) that
    /// run the statement `on_old` for the old row of every delete and every update of the
    /// quoted column `column`, then `on_new` for the new row of every insert and such
    /// update, in the writing transaction. `name` names the triggers (and their function).
    fn row_triggers(
        &self,
        name: &str,
        table: &str,
        column: &str,
        on_old: &str,
        on_new: &str,
    ) -> Vec<String>;

    /// Statements that create, when missing, the trigram index named `index` of the
    /// string column `column` of `table` (unquoted names) and what keeps it current in
    /// every writing transaction ([`super::trigram`]).
    fn trigram_index(&self, index: &str, table: &str, column: &str) -> Vec<String>;

    /// Where a new trigram index starts empty: a statement answering a row once the index
    /// `index` holds entries, and the statement that fills it from the table's rows.
    fn trigram_fill(&self, index: &str) -> Option<(String, String)>;

    /// A condition the trigram index `index` of `column` serves that holds for every row
    /// whose value matches `pattern`; `None` when the pattern is too short for the index
    /// to narrow the rows (or has no spelling the index reads).
    fn trigram_condition(&self, index: &str, column: &str, pattern: &Pattern) -> Option<Frag>;

    /// A statement that makes concurrent instances preparing the database at startup wait
    /// for each other until the end of the transaction, where the database has several
    /// writers.
    fn startup_lock(&self) -> Option<&'static str>;
}

/// The SQL spellings the expression translator needs on top of [`Dialect`].
///
/// Booleans: a Boolean *value* is whatever the database's conditions are (SQLite: INTEGER
/// 0/1, PostgreSQL: `boolean`), so a Boolean expression is usable both as a value and as a
/// WHERE condition. Stored Booleans are INTEGER 0/1 columns on both and are read through
/// [`ExprDialect::boolean_column`].
pub(crate) trait ExprDialect: Dialect {
    /// A Boolean constant.
    fn boolean(&self, value: bool) -> Frag;

    /// The Boolean value of an INTEGER 0/1 column (null for null).
    fn boolean_column(&self, column: Frag) -> Frag;

    /// A Boolean value as INTEGER 0/1 (null for null): how a Boolean sort key is read back
    /// for `$skiptoken`s, whose values are integers, reals and texts.
    fn boolean_as_integer(&self, value: Frag) -> Frag;

    /// The 1-based code-point position of `needle` in `haystack`, 0 when absent (1 for an
    /// empty needle), null when either is null. Case-sensitive.
    fn position(&self, haystack: Frag, needle: Frag) -> Frag;

    /// `text` in lower case (`upper`: upper case).
    fn fold_case(&self, text: Frag, upper: bool) -> Frag;

    /// Boolean: `haystack` contains `needle`, ignoring case; null when either is null.
    fn contains_case_insensitive(&self, haystack: Frag, needle: Frag) -> Frag;

    /// `text` without leading and trailing characters of `characters`.
    fn trim_characters(&self, text: Frag, characters: Frag) -> Frag;

    /// The characters of `text` from the 1-based position `start`, `len` of them or all
    /// the rest; both INTEGER expressions within 1…2^31 - 1 (`len`: 0…).
    fn substring(&self, text: Frag, start: Frag, len: Option<Frag>) -> Frag;

    /// `len` characters of `text` starting `from_end` characters before its end (so
    /// `from_end = 1` is the last character).
    fn substr_from_end(&self, text: &Frag, from_end: u32, len: u32) -> Frag;

    /// The non-negative integer `x` as decimal text, zero-padded to `width` digits.
    fn zero_padded(&self, x: Frag, width: u32) -> Frag;

    /// The value inside JSON text `json` at the member path `members` (empty: `json`
    /// itself), in the database's raw form: strings unquoted, objects and arrays as JSON
    /// text, JSON null or a missing member as SQL null; numbers and Booleans as the
    /// database reads them, to be typed by [`ExprDialect::json_scalar`].
    fn json_extract(&self, json: Frag, members: &[String]) -> Frag;

    /// A JSON number or Boolean read by [`ExprDialect::json_extract`] or
    /// [`ExprDialect::json_each`] as a SQL value of `kind`. JSON doubles may be the
    /// strings `INF`, `-INF`, `NaN`.
    fn json_scalar(&self, raw: Frag, kind: JsonScalar) -> Frag;

    /// Boolean: the raw JSON value `raw` (atomic) is an integer: a JSON number without
    /// fraction, or text of ASCII digits with an optional leading `-`.
    fn json_is_integer(&self, raw: &Frag) -> Frag;

    /// A FROM item iterating the elements of the JSON array `array` under `alias` (no rows
    /// for null), and the expression of the current element (raw, as by
    /// [`ExprDialect::json_extract`]).
    fn json_each(&self, array: Frag, alias: &str) -> (Frag, Frag);

    /// The number of elements of the JSON array `array`, null for null.
    fn json_array_length(&self, array: Frag) -> Frag;

    /// INTEGER seconds since the Unix epoch of `text`, a date `YYYY-MM-DD` optionally
    /// followed by a space and `hh:mm`, read as UTC (proleptic Gregorian, years 1–9999).
    fn epoch_seconds(&self, text: Frag) -> Frag;

    /// The date `YYYY-MM-DD` (TEXT) that is `days` (INTEGER) days after 1970-01-01.
    fn date_from_epoch_days(&self, days: Frag) -> Frag;

    /// Boolean: `a` differs from `b`, null differing from every value (never null itself).
    fn null_safe_ne(&self, a: Frag, b: Frag) -> Frag;

    /// The Boolean `condition` with null read as false (OData's two-valued comparisons).
    fn two_valued(&self, condition: Frag) -> Frag;

    /// The double `x` truncated toward zero as an integer (for |x| < 2^63).
    fn truncate_to_integer(&self, x: Frag) -> Frag;

    // Edm.Decimal. PostgreSQL computes decimals in its exact NUMERIC type with its own
    // operators. SQLite has no decimal type: a decimal value is its canonical text, and
    // everything that computes with one calls the functions the store registers
    // (`store::sqlite_decimal`). The `Option` hooks answer `None` where the database's
    // operators are exact already, and the translation then uses those.

    /// A stored Edm.Decimal (the column `text`, canonical decimal text) as a decimal value:
    /// NUMERIC on PostgreSQL, the text itself on SQLite.
    fn decimal_column(&self, text: Frag) -> Frag;

    /// `x` — an integer, a double, a decimal value or decimal text (a value read out of
    /// JSON) — as a decimal value (`cast(x, Edm.Decimal)`); null for null.
    fn to_decimal(&self, x: Frag) -> Frag;

    /// A decimal constant, as a decimal value.
    fn decimal_literal(&self, d: &Decimal) -> Frag;

    /// The decimal member `members` (not empty) inside JSON text `json` as a decimal value
    /// read from the member's JSON text (a number or a string of one), so no digit is
    /// lost; null where it is missing, JSON null or no decimal. `None` where
    /// [`ExprDialect::json_extract`] and [`ExprDialect::to_decimal`] are exact already.
    fn json_decimal(&self, json: Frag, members: &[String]) -> Option<Frag>;

    /// The decimal value `x` as the nearest double.
    fn decimal_to_double(&self, x: Frag) -> Frag;

    /// The double `x` as a decimal value the way the evaluator converts it (the shortest
    /// decimal that reads back as the double; null for ±INF); `None` where the
    /// translation's own spelling serves.
    fn double_to_decimal(&self, x: Frag) -> Option<Frag>;

    /// For a decimal value `x` (or an integer), a value whose equality and order are the
    /// exact decimal ones, comparable with [`odata_core::value::decimal_sort_key`]
    /// parameters; `None` where decimal values compare exactly already.
    fn decimal_key(&self, x: Frag) -> Option<Frag>;

    /// `l op r` of decimal values (or integers), computed as the evaluator computes it
    /// (null for a zero divisor); `None` where the database's operators compute decimals
    /// exactly.
    fn decimal_arith(&self, op: DecimalOp, l: Frag, r: Frag) -> Option<Frag>;

    /// `-x` of a decimal value; `None` where the database's `-` does it.
    fn decimal_negate(&self, x: Frag) -> Option<Frag>;

    /// `round`/`floor`/`ceiling` of a decimal value; `None` where the database's
    /// functions do it exactly.
    fn decimal_round(&self, x: Frag, rounding: DecimalRounding) -> Option<Frag>;

    /// A decimal value truncated toward zero as an integer (null beyond 64 bits); `None`
    /// where the double functions serve decimals too.
    fn decimal_to_integer(&self, x: Frag) -> Option<Frag>;

    /// The aggregate `aggregate` of the decimal values `x` (integers for `average`);
    /// `None` where the database's `SUM`, `AVG`, `MIN`, `MAX` are exact for decimals.
    fn decimal_aggregate(&self, aggregate: Aggregate, x: Frag) -> Option<Frag>;

    /// The double `x` truncated toward zero, as a number usable in double arithmetic.
    fn truncate(&self, x: Frag) -> Frag;

    /// The double `x` (atomic) rounded to the nearest integer, halves away from zero, as
    /// a double.
    fn round_half_away(&self, x: &Frag) -> Frag;

    /// The largest integer not above the double `x` (atomic), as a double (`ceiling`: the
    /// smallest not below).
    fn floor_or_ceiling(&self, x: &Frag, ceiling: bool) -> Frag;

    /// Boolean: `text` matches the regular expression `pattern` (the `regex` crate's
    /// syntax, as `odata_core::eval::compile_pattern`); null when `text` is null.
    fn matches_pattern(&self, text: Frag, pattern: &str) -> Result<Frag, ODataError>;

    /// `geo.distance` of two GeoJSON points (atomic): meters on the sphere for geography
    /// (the haversine formula of `odata_core::value::haversine`), Euclidean for geometry;
    /// null when either is null. `alias` names a derived table.
    fn geo_distance(&self, a: &Frag, b: &Frag, family: SpatialFamily, alias: &str) -> Frag;

    /// `geo.length` of a GeoJSON line string (atomic): the sum of its segments' distances;
    /// null for null. `aliases` name two derived tables.
    fn geo_length(&self, line: &Frag, family: SpatialFamily, aliases: [&str; 2]) -> Frag;

    /// `geo.intersects` of a GeoJSON point and polygon (atomic): Boolean, the even-odd
    /// ray-casting test of `odata_core::value::Geo::intersects`; null when either is null.
    /// `aliases` name three derived tables.
    fn geo_intersects(&self, point: &Frag, polygon: &Frag, aliases: [&str; 3]) -> Frag;

    /// A JSON array of `items` (at most [`JSON_ARRAY_ITEMS`]): text as JSON strings,
    /// numbers as numbers, null as null; a JSON value built by this dialect stays one.
    fn json_array(&self, items: Vec<Frag>) -> Frag;

    /// The aggregate JSON array of `item` over a group's rows, as text: `[]` for none.
    fn json_array_agg(&self, item: Frag) -> Frag;

    /// The bytes of `blob` as lower- or upper-case hexadecimal text; null for null.
    fn hex(&self, blob: Frag) -> Frag;
}

/// The most items [`ExprDialect::json_array`] takes (function arguments are limited: 100
/// on PostgreSQL, 127 on older SQLite).
pub(crate) const JSON_ARRAY_ITEMS: usize = 90;

/// The SQL type a number or Boolean inside JSON is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonScalar {
    /// A 64-bit integer.
    Integer,
    /// A double.
    Real,
    /// A Boolean value (see [`ExprDialect`]).
    Boolean,
}

/// SQLite 3.38+ (JSON functions built in; math functions not required).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sqlite;

impl Dialect for Sqlite {
    fn placeholder(&self, _index: usize, _param: &SqlParam) -> String {
        "?".to_owned()
    }

    fn quote(&self, name: &str) -> String {
        crate::store::table::quote(name)
    }

    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS ", b, ")"]
    }

    fn order_term(&self, expr: Frag, direction: SortDirection, _nullable: bool) -> Frag {
        // SQLite's own order: nulls first ascending, last descending.
        match direction {
            SortDirection::Asc => frag![expr, " ASC"],
            SortDirection::Desc => frag![expr, " DESC"],
        }
    }

    fn blob_type(&self) -> &'static str {
        "BLOB"
    }

    fn integer_type(&self) -> &'static str {
        "INTEGER"
    }

    fn real_type(&self) -> &'static str {
        "REAL"
    }

    fn column_param(&self, param: Frag, _kind: ColumnKind) -> Frag {
        // SQLite's columns take any value; the column's affinity does the rest.
        param
    }

    fn next_sequence(&self, table: &str) -> Option<Frag> {
        // One writer at a time: nobody else can take the same number before this commits.
        let column = self.quote(SEQUENCE_COLUMN);
        Some(Frag::sql(format!(
            "(SELECT COALESCE(MAX({column}),0)+1 FROM {})",
            self.quote(table)
        )))
    }

    fn row_triggers(
        &self,
        name: &str,
        table: &str,
        column: &str,
        on_old: &str,
        on_new: &str,
    ) -> Vec<String> {
        let table = self.quote(table);
        let trigger = |event: &str| self.quote(&format!("{name}__{event}"));
        vec![
            format!(
                "CREATE TRIGGER IF NOT EXISTS {} AFTER INSERT ON {table} BEGIN {on_new}; END",
                trigger("insert")
            ),
            format!(
                "CREATE TRIGGER IF NOT EXISTS {} AFTER DELETE ON {table} BEGIN {on_old}; END",
                trigger("delete")
            ),
            format!(
                "CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE OF {column} ON {table} \
                 BEGIN {on_old}; {on_new}; END",
                trigger("update")
            ),
        ]
    }

    fn trigram_index(&self, index: &str, table: &str, column: &str) -> Vec<String> {
        let (q_index, q_column) = (self.quote(index), self.quote(column));
        // Case-sensitive as OData's string functions; `detail=none` keeps no positions
        // (the smallest index): a needle's trigrams narrow the rows, the function decides.
        let mut statements = vec![format!(
            "CREATE VIRTUAL TABLE IF NOT EXISTS {q_index} USING fts5({q_column}, \
             content='{}', content_rowid='rowid', tokenize='trigram case_sensitive 1', \
             detail='none')",
            table.replace('\'', "''")
        )];
        let on_old = format!(
            "INSERT INTO {q_index} ({q_index}, rowid, {q_column}) \
             VALUES ('delete', OLD.rowid, OLD.{q_column})"
        );
        let on_new =
            format!("INSERT INTO {q_index} (rowid, {q_column}) VALUES (NEW.rowid, NEW.{q_column})");
        statements.extend(self.row_triggers(index, table, &q_column, &on_old, &on_new));
        statements
    }

    fn trigram_fill(&self, index: &str) -> Option<(String, String)> {
        // The index's own rows (its content is the table's): one per indexed row.
        let q_index = self.quote(index);
        Some((
            format!(
                "SELECT 1 FROM {} LIMIT 1",
                self.quote(&format!("{index}_docsize"))
            ),
            format!("INSERT INTO {q_index} ({q_index}) VALUES ('rebuild')"),
        ))
    }

    fn trigram_condition(&self, index: &str, column: &str, pattern: &Pattern) -> Option<Frag> {
        // SQLite's planner reads the index first whenever it is offered, whatever the
        // needle: offered only for needles selective enough to be worth it.
        if pattern.needle.chars().count() < SQLITE_TRIGRAM_NEEDLE
            || pattern.needle.contains(['*', '?', '['])
        {
            return None;
        }
        let glob = match pattern.anchor {
            Anchor::Anywhere => format!("*{}*", pattern.needle),
            Anchor::Start => format!("{}*", pattern.needle),
            Anchor::End => format!("*{}", pattern.needle),
        };
        // The matching values, not rowids: the rows may come through a subquery (an
        // `$expand` through a link table), and the column's index finds their rows. Said
        // to be rare: statistics sampled in one tenant make walking the tenant in another
        // index's order look cheap, and the planner then tests every row against the list.
        let q_column = self.quote(column);
        Some(frag![
            "likelihood(",
            Frag::atom(q_column.clone()),
            " IN (SELECT ",
            Frag::atom(q_column.clone()),
            " FROM ",
            Frag::atom(self.quote(index)),
            " WHERE ",
            Frag::atom(q_column),
            " GLOB ",
            Frag::param(glob),
            "), 0.0001)"
        ])
    }

    fn startup_lock(&self) -> Option<&'static str> {
        // One writer connection: startups cannot interleave their writes.
        None
    }
}

impl ExprDialect for Sqlite {
    fn boolean(&self, value: bool) -> Frag {
        Frag::param(i64::from(value))
    }

    fn boolean_column(&self, column: Frag) -> Frag {
        column
    }

    fn boolean_as_integer(&self, value: Frag) -> Frag {
        value
    }

    fn position(&self, haystack: Frag, needle: Frag) -> Frag {
        frag!["instr(", haystack, ", ", needle, ")"]
    }

    fn fold_case(&self, text: Frag, upper: bool) -> Frag {
        // Unicode case mapping, registered by the store (SQLite's own maps A–Z only).
        let function = if upper {
            sqlite_case::UPPER
        } else {
            sqlite_case::LOWER
        };
        frag![function, "(", text, ")"]
    }

    fn contains_case_insensitive(&self, haystack: Frag, needle: Frag) -> Frag {
        frag![
            "(instr(",
            self.fold_case(haystack, false),
            ", ",
            self.fold_case(needle, false),
            ") > 0)"
        ]
    }

    fn trim_characters(&self, text: Frag, characters: Frag) -> Frag {
        frag!["trim(", text, ", ", characters, ")"]
    }

    fn substring(&self, text: Frag, start: Frag, len: Option<Frag>) -> Frag {
        match len {
            Some(len) => frag!["substr(", text, ", ", start, ", ", len, ")"],
            None => frag!["substr(", text, ", ", start, ")"],
        }
    }

    fn substr_from_end(&self, text: &Frag, from_end: u32, len: u32) -> Frag {
        frag!["substr(", text, format!(", -{from_end}, {len})").as_str()]
    }

    fn zero_padded(&self, x: Frag, width: u32) -> Frag {
        frag![format!("printf('%0{width}d', ").as_str(), x, ")"]
    }

    fn json_extract(&self, json: Frag, members: &[String]) -> Frag {
        if members.is_empty() {
            return json;
        }
        frag!["json_extract(", json, ", ", json_path(members), ")"]
    }

    fn json_scalar(&self, raw: Frag, kind: JsonScalar) -> Frag {
        // `json_extract` already gives numbers as numbers and Booleans as 1/0.
        match kind {
            JsonScalar::Integer => frag!["CAST(", raw, " AS INTEGER)"],
            JsonScalar::Boolean => raw,
            JsonScalar::Real => frag![
                "(CASE WHEN typeof(",
                &raw,
                ") = 'text' THEN (CASE ",
                &raw,
                " WHEN 'INF' THEN 1e999 WHEN '-INF' THEN -1e999 END) ELSE ",
                raw,
                " END)"
            ],
        }
    }

    fn json_is_integer(&self, raw: &Frag) -> Frag {
        frag![
            "(typeof(",
            raw,
            ") = 'integer' OR (",
            raw,
            " <> '' AND ",
            raw,
            " NOT GLOB '*[^0-9]*'))"
        ]
    }

    fn json_each(&self, array: Frag, alias: &str) -> (Frag, Frag) {
        let alias = self.quote(alias);
        (
            frag!["json_each(", array, ") AS ", alias.as_str()],
            Frag::atom(format!("{alias}.\"value\"")),
        )
    }

    fn json_array_length(&self, array: Frag) -> Frag {
        frag!["json_array_length(", array, ")"]
    }

    fn epoch_seconds(&self, text: Frag) -> Frag {
        frag!["CAST(strftime('%s', ", text, ") AS INTEGER)"]
    }

    fn date_from_epoch_days(&self, days: Frag) -> Frag {
        frag!["date((", days, ") * 86400, 'unixepoch')"]
    }

    fn null_safe_ne(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS NOT ", b, ")"]
    }

    fn two_valued(&self, condition: Frag) -> Frag {
        frag!["COALESCE(", condition, ", 0)"]
    }

    fn truncate_to_integer(&self, x: Frag) -> Frag {
        frag!["CAST(", x, " AS INTEGER)"]
    }

    fn decimal_column(&self, text: Frag) -> Frag {
        text
    }

    fn to_decimal(&self, x: Frag) -> Frag {
        sqlite_call(sqlite_decimal::DECIMAL, [x])
    }

    fn decimal_literal(&self, d: &Decimal) -> Frag {
        Frag::param(SqlParam::Text(decimal_text(d)))
    }

    fn decimal_to_double(&self, x: Frag) -> Frag {
        sqlite_call(sqlite_decimal::TO_DOUBLE, [x])
    }

    fn json_decimal(&self, json: Frag, members: &[String]) -> Option<Frag> {
        // `json_extract` reads a JSON number as a double; `->` gives its JSON text.
        (!members.is_empty()).then(|| {
            sqlite_call(
                sqlite_decimal::FROM_JSON,
                [frag!["(", json, " -> ", json_path(members), ")"]],
            )
        })
    }

    fn double_to_decimal(&self, x: Frag) -> Option<Frag> {
        Some(self.to_decimal(x))
    }

    fn decimal_key(&self, x: Frag) -> Option<Frag> {
        Some(sqlite_call(sqlite_decimal::DECIMAL_KEY, [x]))
    }

    fn decimal_arith(&self, op: DecimalOp, l: Frag, r: Frag) -> Option<Frag> {
        let name = match op {
            DecimalOp::Add => sqlite_decimal::ADD,
            DecimalOp::Sub => sqlite_decimal::SUB,
            DecimalOp::Mul => sqlite_decimal::MUL,
            DecimalOp::Div => sqlite_decimal::DIV,
            DecimalOp::Mod => sqlite_decimal::MOD,
        };
        Some(sqlite_call(name, [l, r]))
    }

    fn decimal_negate(&self, x: Frag) -> Option<Frag> {
        Some(sqlite_call(sqlite_decimal::NEG, [x]))
    }

    fn decimal_round(&self, x: Frag, rounding: DecimalRounding) -> Option<Frag> {
        let name = match rounding {
            DecimalRounding::HalfAwayFromZero => sqlite_decimal::ROUND,
            DecimalRounding::Floor => sqlite_decimal::FLOOR,
            DecimalRounding::Ceiling => sqlite_decimal::CEILING,
        };
        Some(sqlite_call(name, [x]))
    }

    fn decimal_to_integer(&self, x: Frag) -> Option<Frag> {
        Some(sqlite_call(sqlite_decimal::TO_INTEGER, [x]))
    }

    fn decimal_aggregate(&self, aggregate: Aggregate, x: Frag) -> Option<Frag> {
        let name = match aggregate {
            Aggregate::Sum => sqlite_decimal::SUM,
            Aggregate::Average => sqlite_decimal::AVERAGE,
            Aggregate::Min => sqlite_decimal::MIN,
            Aggregate::Max => sqlite_decimal::MAX,
        };
        Some(sqlite_call(name, [x]))
    }

    fn truncate(&self, x: Frag) -> Frag {
        // Without the math functions SQLite has no trunc(): through INTEGER, so exact for
        // |x| < 2^63 only.
        frag!["CAST(", x, " AS INTEGER)"]
    }

    fn round_half_away(&self, x: &Frag) -> Frag {
        frag!["round(", x, ")"]
    }

    fn floor_or_ceiling(&self, x: &Frag, ceiling: bool) -> Frag {
        let t = self.truncate(x.clone());
        // Doubles of magnitude ≥ 2^52 (and ±INF) are already integral.
        frag![
            "(CASE WHEN abs(",
            x,
            ") >= 4503599627370496.0 THEN ",
            x,
            " ELSE CAST(",
            &t,
            if ceiling { " + (" } else { " - (" },
            x,
            if ceiling { " > " } else { " < " },
            &t,
            ") AS REAL) END)"
        ]
    }

    fn matches_pattern(&self, text: Frag, pattern: &str) -> Result<Frag, ODataError> {
        // sqlx registers `regexp(pattern, text)` on every connection (the `regex` crate).
        Ok(frag!["regexp(", Frag::param(pattern), ", ", text, ")"])
    }

    // The store registers the geo functions on every connection (`store::sqlite_case`):
    // the evaluator's own Rust code, since the bundled SQLite has no math functions.
    fn geo_distance(&self, a: &Frag, b: &Frag, family: SpatialFamily, _alias: &str) -> Frag {
        let name = match family {
            SpatialFamily::Geography => sqlite_case::GEOGRAPHY_DISTANCE,
            SpatialFamily::Geometry => sqlite_case::GEOMETRY_DISTANCE,
        };
        frag![name, "(", a, ", ", b, ")"]
    }

    fn geo_length(&self, line: &Frag, family: SpatialFamily, _aliases: [&str; 2]) -> Frag {
        let name = match family {
            SpatialFamily::Geography => sqlite_case::GEOGRAPHY_LENGTH,
            SpatialFamily::Geometry => sqlite_case::GEOMETRY_LENGTH,
        };
        frag![name, "(", line, ")"]
    }

    fn geo_intersects(&self, point: &Frag, polygon: &Frag, _aliases: [&str; 3]) -> Frag {
        frag![sqlite_case::GEO_INTERSECTS, "(", point, ", ", polygon, ")"]
    }

    fn json_array(&self, items: Vec<Frag>) -> Frag {
        frag!["json_array(", Frag::join(items, ", "), ")"]
    }

    fn json_array_agg(&self, item: Frag) -> Frag {
        frag!["json_group_array(", item, ")"]
    }

    fn hex(&self, blob: Frag) -> Frag {
        // hex(NULL) is the empty string, which would read back as zero bytes.
        frag![
            "(CASE WHEN ",
            &blob,
            " IS NULL THEN NULL ELSE hex(",
            blob,
            ") END)"
        ]
    }
}

/// The JSONPath `$.a.b` of member names (double-quoted where a name is not a plain
/// identifier), bound as a parameter.
/// `name(args…)`: a call of a function the store registers on SQLite connections.
fn sqlite_call<const N: usize>(name: &str, args: [Frag; N]) -> Frag {
    frag![name, "(", Frag::join(args, ", "), ")"]
}

fn json_path(members: &[String]) -> Frag {
    let mut path = String::from("$");
    for m in members {
        path.push('.');
        if !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            path.push_str(m);
        } else {
            path.push('"');
            path.push_str(&m.replace('\\', "\\\\").replace('"', "\\\""));
            path.push('"');
        }
    }
    Frag::param(path)
}

/// PostgreSQL 13+ (built with ICU for Unicode case mapping, as distributions build it).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Postgres;

impl Dialect for Postgres {
    fn placeholder(&self, index: usize, param: &SqlParam) -> String {
        // Typed in the text: a prepared statement is cached by its text and keeps the
        // parameter types of its first use, so the same text must never be executed with
        // another type at a position (an integer where a double was, a null where an
        // integer was).
        let ty = match param {
            SqlParam::Null | SqlParam::Text(_) => "text",
            SqlParam::Integer(_) => "int8",
            SqlParam::Real(_) => "float8",
            SqlParam::Blob(_) => "bytea",
            // Bound as text, exact as NUMERIC.
            SqlParam::Decimal(_) => "text::numeric",
        };
        format!("${index}::{ty}")
    }

    fn quote(&self, name: &str) -> String {
        crate::store::table::quote(name)
    }

    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS NOT DISTINCT FROM ", b, ")"]
    }

    fn order_term(&self, expr: Frag, direction: SortDirection, nullable: bool) -> Frag {
        // PostgreSQL sorts nulls last ascending by default; OData wants them first (and
        // the migration's indexes on nullable sort columns are `NULLS FIRST` to match).
        match (direction, nullable) {
            (SortDirection::Asc, true) => frag![expr, " ASC NULLS FIRST"],
            (SortDirection::Desc, true) => frag![expr, " DESC NULLS LAST"],
            (SortDirection::Asc, false) => frag![expr, " ASC"],
            (SortDirection::Desc, false) => frag![expr, " DESC"],
        }
    }

    fn blob_type(&self) -> &'static str {
        "BYTEA"
    }

    fn integer_type(&self) -> &'static str {
        "BIGINT"
    }

    fn real_type(&self) -> &'static str {
        "DOUBLE PRECISION"
    }

    fn column_param(&self, param: Frag, kind: ColumnKind) -> Frag {
        // Parameters are typed by their Rust value; a null is bound untyped-as-text, so
        // say which column type it stands for.
        let ty = match kind {
            ColumnKind::Integer => "BIGINT",
            ColumnKind::Real => "DOUBLE PRECISION",
            ColumnKind::Blob => "BYTEA",
            ColumnKind::Text | ColumnKind::Json | ColumnKind::DateTimeOffset => "TEXT",
        };
        frag!["CAST(", param, " AS ", ty, ")"]
    }

    fn next_sequence(&self, _table: &str) -> Option<Frag> {
        // An identity column: its default takes the next number of its sequence.
        None
    }

    fn row_triggers(
        &self,
        name: &str,
        table: &str,
        column: &str,
        on_old: &str,
        on_new: &str,
    ) -> Vec<String> {
        let (name, table) = (self.quote(name), self.quote(table));
        vec![
            format!(
                "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ \
                 BEGIN IF TG_OP <> 'INSERT' THEN {on_old}; END IF; \
                 IF TG_OP <> 'DELETE' THEN {on_new}; END IF; RETURN NULL; END $body$"
            ),
            format!(
                "CREATE OR REPLACE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {column} \
                 ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            ),
        ]
    }

    fn trigram_index(&self, index: &str, table: &str, column: &str) -> Vec<String> {
        vec![
            "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({} gin_trgm_ops)",
                self.quote(index),
                self.quote(table),
                self.quote(column)
            ),
        ]
    }

    fn trigram_fill(&self, _index: &str) -> Option<(String, String)> {
        // CREATE INDEX indexes the rows there are.
        None
    }

    fn trigram_condition(&self, _index: &str, column: &str, pattern: &Pattern) -> Option<Frag> {
        // The planner weighs the index against the others by the column's statistics.
        if pattern.needle.chars().count() < 3 {
            return None;
        }
        let mut escaped = String::with_capacity(pattern.needle.len() + 2);
        for c in pattern.needle.chars() {
            // LIKE's default escape character.
            if matches!(c, '\\' | '%' | '_') {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        let like = match pattern.anchor {
            Anchor::Anywhere => format!("%{escaped}%"),
            Anchor::Start => format!("{escaped}%"),
            Anchor::End => format!("%{escaped}"),
        };
        Some(frag![
            Frag::atom(self.quote(column)),
            " LIKE ",
            Frag::param(like)
        ])
    }

    fn startup_lock(&self) -> Option<&'static str> {
        // Held to the end of the transaction; the key is the store's own (sqlx's migrator
        // uses another).
        Some("SELECT pg_advisory_xact_lock(7256489120183340921)")
    }
}

/// The collation whose case mapping is Unicode's (full mappings: `ß` upper-cases to `SS`,
/// as Rust's `str::to_uppercase` does); text columns themselves are `"C"`.
const UNICODE_CASE: &str = " COLLATE \"und-x-icu\"";

impl ExprDialect for Postgres {
    fn boolean(&self, value: bool) -> Frag {
        Frag::atom(if value { "TRUE" } else { "FALSE" })
    }

    fn boolean_column(&self, column: Frag) -> Frag {
        frag!["(", column, " <> 0)"]
    }

    fn boolean_as_integer(&self, value: Frag) -> Frag {
        // There is no cast from boolean to BIGINT, only to INTEGER.
        frag!["CAST(CAST(", value, " AS INTEGER) AS BIGINT)"]
    }

    fn position(&self, haystack: Frag, needle: Frag) -> Frag {
        frag!["strpos(", haystack, ", ", needle, ")"]
    }

    fn fold_case(&self, text: Frag, upper: bool) -> Frag {
        // The result is collated back to "C": comparisons and ORDER BY go by code point.
        frag![
            "(",
            if upper { "upper(" } else { "lower(" },
            text,
            UNICODE_CASE,
            ") COLLATE \"C\")"
        ]
    }

    fn contains_case_insensitive(&self, haystack: Frag, needle: Frag) -> Frag {
        frag![
            "(strpos(",
            self.fold_case(haystack, false),
            ", ",
            self.fold_case(needle, false),
            ") > 0)"
        ]
    }

    fn trim_characters(&self, text: Frag, characters: Frag) -> Frag {
        frag!["btrim(", text, ", ", characters, ")"]
    }

    fn substring(&self, text: Frag, start: Frag, len: Option<Frag>) -> Frag {
        // substr() takes 32-bit integers.
        let int4 = |x: Frag| frag!["CAST(", x, " AS INTEGER)"];
        match len {
            Some(len) => frag!["substr(", text, ", ", int4(start), ", ", int4(len), ")"],
            None => frag!["substr(", text, ", ", int4(start), ")"],
        }
    }

    fn substr_from_end(&self, text: &Frag, from_end: u32, len: u32) -> Frag {
        frag![
            "left(right(",
            text,
            format!(", {from_end}), {len})").as_str()
        ]
    }

    fn zero_padded(&self, x: Frag, width: u32) -> Frag {
        frag![
            "lpad(CAST(",
            x,
            format!(" AS TEXT), {width}, '0')").as_str()
        ]
    }

    fn json_extract(&self, json: Frag, members: &[String]) -> Frag {
        if members.is_empty() {
            return json;
        }
        // Member by member (`->` with a bound name), not a JSONPath: lax JSONPath would
        // unwrap arrays on the way.
        let mut out = frag!["(CAST(", json, " AS jsonb)"];
        for m in members {
            out.push(frag![" -> ", Frag::param(m.as_str())]);
        }
        out.push(Frag::sql(" #>> '{}')"));
        out
    }

    fn json_scalar(&self, raw: Frag, kind: JsonScalar) -> Frag {
        // The raw value is text; `float8` reads `INF`, `-INF` and `NaN` as JSON writes them.
        let ty = match kind {
            JsonScalar::Integer => "BIGINT",
            JsonScalar::Real => "DOUBLE PRECISION",
            JsonScalar::Boolean => "BOOLEAN",
        };
        frag!["CAST(", raw, " AS ", ty, ")"]
    }

    fn json_is_integer(&self, raw: &Frag) -> Frag {
        frag!["(", raw, " ~ '^-?[0-9]+$')"]
    }

    fn json_each(&self, array: Frag, alias: &str) -> (Frag, Frag) {
        let alias = self.quote(alias);
        (
            frag![
                "jsonb_array_elements(CAST(",
                array,
                " AS jsonb)) AS ",
                alias.as_str(),
                "(\"value\")"
            ],
            Frag::atom(format!("({alias}.\"value\" #>> '{{}}')")),
        )
    }

    fn json_array_length(&self, array: Frag) -> Frag {
        frag!["jsonb_array_length(CAST(", array, " AS jsonb))"]
    }

    fn epoch_seconds(&self, text: Frag) -> Frag {
        // A timestamp without time zone: its epoch is the nominal UTC reading.
        frag![
            "CAST(EXTRACT(EPOCH FROM CAST(",
            text,
            " AS TIMESTAMP)) AS BIGINT)"
        ]
    }

    fn date_from_epoch_days(&self, days: Frag) -> Frag {
        frag![
            "to_char(DATE '1970-01-01' + CAST(",
            days,
            " AS INTEGER), 'YYYY-MM-DD')"
        ]
    }

    fn null_safe_ne(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS DISTINCT FROM ", b, ")"]
    }

    fn two_valued(&self, condition: Frag) -> Frag {
        frag!["COALESCE(", condition, ", FALSE)"]
    }

    fn truncate_to_integer(&self, x: Frag) -> Frag {
        // CAST alone would round.
        frag!["CAST(trunc(", x, ") AS BIGINT)"]
    }

    fn decimal_column(&self, text: Frag) -> Frag {
        self.to_decimal(text)
    }

    fn to_decimal(&self, x: Frag) -> Frag {
        frag!["CAST(", x, " AS NUMERIC)"]
    }

    fn decimal_literal(&self, d: &Decimal) -> Frag {
        Frag::param(SqlParam::Decimal(decimal_text(d)))
    }

    fn decimal_to_double(&self, x: Frag) -> Frag {
        frag!["CAST(", x, " AS DOUBLE PRECISION)"]
    }

    fn json_decimal(&self, _json: Frag, _members: &[String]) -> Option<Frag> {
        // jsonb keeps numbers as NUMERIC: `json_extract` gives their exact text.
        None
    }

    fn double_to_decimal(&self, _x: Frag) -> Option<Frag> {
        None
    }

    fn decimal_key(&self, _x: Frag) -> Option<Frag> {
        None
    }

    fn decimal_arith(&self, _op: DecimalOp, _l: Frag, _r: Frag) -> Option<Frag> {
        None
    }

    fn decimal_negate(&self, _x: Frag) -> Option<Frag> {
        None
    }

    fn decimal_round(&self, _x: Frag, _rounding: DecimalRounding) -> Option<Frag> {
        None
    }

    fn decimal_to_integer(&self, _x: Frag) -> Option<Frag> {
        None
    }

    fn decimal_aggregate(&self, _aggregate: Aggregate, _x: Frag) -> Option<Frag> {
        None
    }

    fn truncate(&self, x: Frag) -> Frag {
        frag!["trunc(", x, ")"]
    }

    fn round_half_away(&self, x: &Frag) -> Frag {
        // round(float8) rounds halves to even; the fraction x - trunc(x) is exact.
        frag![
            "(trunc(",
            x,
            ") + (CASE WHEN abs(",
            x,
            " - trunc(",
            x,
            ")) >= 0.5 THEN sign(",
            x,
            ") ELSE 0 END))"
        ]
    }

    fn floor_or_ceiling(&self, x: &Frag, ceiling: bool) -> Frag {
        frag![if ceiling { "ceil(" } else { "floor(" }, x, ")"]
    }

    fn matches_pattern(&self, text: Frag, pattern: &str) -> Result<Frag, ODataError> {
        // The pattern rewritten so that PostgreSQL matches what the `regex` crate matches.
        let pattern = super::pattern::to_postgres(pattern)?;
        Ok(frag!["(", text, " ~ ", Frag::param(pattern), ")"])
    }
    // Plain SQL over jsonb (no PostGIS): the formulas of `odata_core::value::Geo`, in the
    // same operation order.
    fn geo_distance(&self, a: &Frag, b: &Frag, family: SpatialFamily, alias: &str) -> Frag {
        let t = self.quote(alias);
        let col = |c: &str| format!("{t}.{c}");
        let point = |p: &Frag, x: &str, y: &str| {
            frag![
                "CAST(CAST(",
                p,
                " AS jsonb) #>> '{coordinates,0}' AS DOUBLE PRECISION) AS ",
                x,
                ", CAST(CAST(",
                p,
                " AS jsonb) #>> '{coordinates,1}' AS DOUBLE PRECISION) AS ",
                y
            ]
        };
        let segment = pg_segment(family, &col("x1"), &col("y1"), &col("x2"), &col("y2"));
        // Null in, null out (`LEAST` of the formula would make a null argument 1).
        let guard = format!(
            "CASE WHEN {} IS NULL OR {} IS NULL THEN NULL ELSE ",
            col("x1"),
            col("x2")
        );
        frag![
            "(SELECT ",
            guard.as_str(),
            segment.as_str(),
            " END",
            " FROM (SELECT ",
            point(a, "x1", "y1"),
            ", ",
            point(b, "x2", "y2"),
            ") AS ",
            t.as_str(),
            ")"
        ]
    }

    fn geo_length(&self, line: &Frag, family: SpatialFamily, aliases: [&str; 2]) -> Frag {
        let [a, b] = aliases.map(|n| self.quote(n));
        let (va, vb) = (format!("{a}.v"), format!("{b}.v"));
        let segment = pg_segment(
            family,
            &pg_coordinate(&va, 0),
            &pg_coordinate(&va, 1),
            &pg_coordinate(&vb, 0),
            &pg_coordinate(&vb, 1),
        );
        let elements = |alias: &str| {
            frag![
                "jsonb_array_elements(CAST(",
                line,
                " AS jsonb) -> 'coordinates') WITH ORDINALITY AS ",
                alias,
                "(v, i)"
            ]
        };
        // Summed in the order of the segments, as the evaluator sums them.
        frag![
            "(SELECT SUM(",
            segment.as_str(),
            format!(" ORDER BY {a}.i) FROM ").as_str(),
            elements(&a),
            " CROSS JOIN ",
            elements(&b),
            format!(" WHERE {b}.i = {a}.i + 1)").as_str()
        ]
    }

    fn geo_intersects(&self, point: &Frag, polygon: &Frag, aliases: [&str; 3]) -> Frag {
        let [r, a, b] = aliases.map(|n| self.quote(n));
        let coordinate = |index: &str| {
            frag![
                "CAST(CAST(",
                point,
                " AS jsonb) #>> '{coordinates,",
                index,
                "}' AS DOUBLE PRECISION)"
            ]
        };
        let (px, py) = (coordinate("0"), coordinate("1"));
        let (va, vb) = (format!("{a}.v"), format!("{b}.v"));
        let (xa, ya) = (pg_coordinate(&va, 0), pg_coordinate(&va, 1));
        let (xb, yb) = (pg_coordinate(&vb, 0), pg_coordinate(&vb, 1));
        let (xa, ya, xb, yb) = (xa.as_str(), ya.as_str(), xb.as_str(), yb.as_str());
        // The edge (a, b) crosses the ray from the point towards +x; the division only
        // runs when the edge is not horizontal.
        let crossing = frag![
            "(CASE WHEN (",
            ya,
            " > ",
            &py,
            ") <> (",
            yb,
            " > ",
            &py,
            ") THEN ",
            &px,
            " < (",
            xb,
            " - ",
            xa,
            ") * (",
            &py,
            " - ",
            ya,
            ") / (",
            yb,
            " - ",
            ya,
            ") + ",
            xa,
            " ELSE FALSE END)"
        ];
        let ring = |alias: &str| {
            frag![
                format!("CROSS JOIN LATERAL jsonb_array_elements({r}.ring) WITH ORDINALITY AS ")
                    .as_str(),
                alias,
                "(v, i)"
            ]
        };
        frag![
            "(CASE WHEN ",
            point,
            " IS NULL OR ",
            polygon,
            " IS NULL THEN NULL ELSE (SELECT MOD(COUNT(*), 2) = 1 FROM jsonb_array_elements(CAST(",
            polygon,
            " AS jsonb) -> 'coordinates') AS ",
            r.as_str(),
            "(ring) ",
            ring(&a),
            " ",
            ring(&b),
            format!(" WHERE {b}.i = {a}.i + 1 AND ").as_str(),
            crossing,
            ") END)"
        ]
    }

    fn json_array(&self, items: Vec<Frag>) -> Frag {
        frag!["jsonb_build_array(", Frag::join(items, ", "), ")"]
    }

    fn json_array_agg(&self, item: Frag) -> Frag {
        frag![
            "CAST(COALESCE(jsonb_agg(",
            item,
            "), CAST('[]' AS jsonb)) AS TEXT)"
        ]
    }

    fn hex(&self, blob: Frag) -> Frag {
        frag!["encode(", blob, ", 'hex')"]
    }
}

/// The distance between positions (`x1`, `y1`) and (`x2`, `y2`), doubles of PostgreSQL:
/// the haversine formula in the evaluator's operation order, or the Euclidean distance.
fn pg_segment(family: SpatialFamily, x1: &str, y1: &str, x2: &str, y2: &str) -> String {
    match family {
        SpatialFamily::Geography => {
            let half_lat = format!("(radians({y2} - {y1}) / 2)");
            let half_lon = format!("(radians({x2} - {x1}) / 2)");
            format!(
                "(CAST({diameter} AS DOUBLE PRECISION) * asin(LEAST(CAST(1 AS DOUBLE PRECISION), \
                 sqrt(sin({half_lat}) * sin({half_lat}) + cos(radians({y1})) * cos(radians({y2})) \
                 * (sin({half_lon}) * sin({half_lon}))))))",
                diameter = 2.0 * EARTH_RADIUS_METERS
            )
        }
        SpatialFamily::Geometry => {
            format!("sqrt(({x2} - {x1}) * ({x2} - {x1}) + ({y2} - {y1}) * ({y2} - {y1}))")
        }
    }
}

/// Coordinate `index` (0: x, 1: y) of the GeoJSON position `json` (a jsonb), as a double.
fn pg_coordinate(json: &str, index: u8) -> String {
    format!("CAST({json} ->> {index} AS DOUBLE PRECISION)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_numbers_placeholders_and_orders_nulls_as_odata_does() {
        let (sql, _) = frag![
            Postgres.null_safe_eq(Frag::atom("\"a\""), Frag::param(1)),
            " AND ",
            Postgres.order_term(Frag::param("x"), SortDirection::Asc, true),
            " AND ",
            Frag::param(SqlParam::Null),
            Frag::param(SqlParam::Real(0.5)),
        ]
        .render(&Postgres);
        // Each placeholder carries its parameter's type, so one text never runs with two.
        assert_eq!(
            sql,
            "(\"a\" IS NOT DISTINCT FROM $1::int8) AND $2::text ASC NULLS FIRST AND \
             $3::text$4::float8"
        );
    }
}
