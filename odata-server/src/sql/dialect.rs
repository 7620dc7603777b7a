//! What differs between SQL databases, behind small traits (STYLE.md item 7): neither the
//! statement builders nor the translator ask "is this PostgreSQL?"; a new difference
//! becomes a new method.
//!
//! [`Dialect`] is what whole statements need (placeholders, quoting, ORDER BY, null-safe
//! equality for keyset paging, column types, typed parameters); [`ExprDialect`] adds what
//! the translation of `$filter`/`$orderby`/`$search` expressions needs. SQLite implements
//! both; PostgreSQL implements [`Dialect`], so its store runs every statement but the
//! expression translation, which answers 501 there until it has a PostgreSQL spelling.

use odata_core::query::SortDirection;

use super::frag::{Frag, frag};
use crate::store::table::ColumnKind;

/// The SQL spellings whole statements need from a database. Methods take and return
/// [`Frag`]s so an implementation may order its arguments freely without misaligning
/// parameters.
pub(crate) trait Dialect {
    /// The placeholder of the `index`th parameter (1-based) of a statement.
    fn placeholder(&self, index: usize) -> String;

    /// A quoted identifier (table, column or alias name from the model, never from a
    /// request).
    fn quote(&self, name: &str) -> String;

    /// Boolean: `a` equals `b`, null equal to null (never null itself).
    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag;

    /// One ORDER BY item in OData's order: nulls first ascending, last descending.
    fn order_term(&self, expr: Frag, direction: SortDirection) -> Frag;

    /// The column type of binary values.
    fn blob_type(&self) -> &'static str;

    /// A parameter written into a column of `kind`: where the database types parameters
    /// strictly, a null must still have the column's type.
    fn column_param(&self, param: Frag, kind: ColumnKind) -> Frag;
}

/// The SQL spellings the expression translator needs on top of [`Dialect`].
pub(crate) trait ExprDialect: Dialect {
    /// The 1-based code-point position of `needle` in `haystack`, 0 when absent (1 for an
    /// empty needle), null when either is null. Case-sensitive.
    fn position(&self, haystack: Frag, needle: Frag) -> Frag;

    /// Boolean: `haystack` contains `needle`, ignoring case; null when either is null.
    fn contains_case_insensitive(&self, haystack: Frag, needle: Frag) -> Frag;

    /// The value inside JSON text `json` at `path` (a bound JSONPath such as
    /// `$.settings.eulaHidden`): strings unquoted, numbers as numbers, booleans as 1/0,
    /// objects and arrays as JSON text, JSON null or a missing member as SQL null.
    fn json_extract(&self, json: Frag, path: Frag) -> Frag;

    /// A FROM item iterating the elements of the JSON array `array` under `alias` (no rows
    /// for null), and the expression of the current element (converted as by
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

    /// Boolean: `text` matches the regular expression `pattern` (the `regex` crate's
    /// syntax, as `odata_core::eval::compile_pattern`); null when either is null.
    fn matches_pattern(&self, text: Frag, pattern: Frag) -> Frag;
}

/// SQLite 3.38+ (JSON functions built in; math functions not required).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sqlite;

impl Dialect for Sqlite {
    fn placeholder(&self, _index: usize) -> String {
        "?".to_owned()
    }

    fn quote(&self, name: &str) -> String {
        crate::store::table::quote(name)
    }

    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS ", b, ")"]
    }

    fn order_term(&self, expr: Frag, direction: SortDirection) -> Frag {
        // SQLite's own order: nulls first ascending, last descending.
        match direction {
            SortDirection::Asc => frag![expr, " ASC"],
            SortDirection::Desc => frag![expr, " DESC"],
        }
    }

    fn blob_type(&self) -> &'static str {
        "BLOB"
    }

    fn column_param(&self, param: Frag, _kind: ColumnKind) -> Frag {
        // SQLite's columns take any value; the column's affinity does the rest.
        param
    }
}

impl ExprDialect for Sqlite {
    fn position(&self, haystack: Frag, needle: Frag) -> Frag {
        frag!["instr(", haystack, ", ", needle, ")"]
    }

    fn contains_case_insensitive(&self, haystack: Frag, needle: Frag) -> Frag {
        // `lower` folds ASCII letters only (no ICU in the bundled SQLite).
        frag!["(instr(lower(", haystack, "), lower(", needle, ")) > 0)"]
    }

    fn json_extract(&self, json: Frag, path: Frag) -> Frag {
        frag!["json_extract(", json, ", ", path, ")"]
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

    fn matches_pattern(&self, text: Frag, pattern: Frag) -> Frag {
        // sqlx registers `regexp(pattern, text)` on every connection (the `regex` crate).
        frag!["regexp(", pattern, ", ", text, ")"]
    }
}

/// PostgreSQL 13+.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Postgres;

impl Dialect for Postgres {
    fn placeholder(&self, index: usize) -> String {
        format!("${index}")
    }

    fn quote(&self, name: &str) -> String {
        crate::store::table::quote(name)
    }

    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS NOT DISTINCT FROM ", b, ")"]
    }

    fn order_term(&self, expr: Frag, direction: SortDirection) -> Frag {
        // PostgreSQL sorts nulls last ascending by default; OData wants them first.
        match direction {
            SortDirection::Asc => frag![expr, " ASC NULLS FIRST"],
            SortDirection::Desc => frag![expr, " DESC NULLS LAST"],
        }
    }

    fn blob_type(&self) -> &'static str {
        "BYTEA"
    }

    fn column_param(&self, param: Frag, kind: ColumnKind) -> Frag {
        // Parameters are typed by their Rust value; a null is bound untyped-as-text, so
        // say which column type it stands for.
        let ty = match kind {
            ColumnKind::Integer => "BIGINT",
            ColumnKind::Real => "DOUBLE PRECISION",
            ColumnKind::Text | ColumnKind::Json | ColumnKind::DateTimeOffset => "TEXT",
        };
        frag!["CAST(", param, " AS ", ty, ")"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_numbers_placeholders_and_orders_nulls_as_odata_does() {
        let (sql, _) = frag![
            Postgres.null_safe_eq(Frag::atom("\"a\""), Frag::param(1)),
            " AND ",
            Postgres.order_term(Frag::param(2), SortDirection::Asc)
        ]
        .render(&Postgres);
        assert_eq!(
            sql,
            "(\"a\" IS NOT DISTINCT FROM $1) AND $2 ASC NULLS FIRST"
        );
    }
}
