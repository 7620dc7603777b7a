//! What differs between SQL databases, behind one small trait (STYLE.md item 7): the
//! translator never asks "is this PostgreSQL?"; a new difference becomes a new method.

use odata_core::query::SortDirection;

use super::frag::{Frag, frag};

/// The SQL spellings the translator needs from a database. Methods take and return
/// [`Frag`]s so an implementation may order its arguments freely without misaligning
/// parameters.
pub(crate) trait Dialect {
    /// The placeholder of the `index`th parameter (1-based) of a statement.
    fn placeholder(&self, index: usize) -> String;

    /// A quoted identifier (table, column or alias name from the model, never from a
    /// request).
    fn quote(&self, name: &str) -> String;

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
    /// [`Dialect::json_extract`]).
    fn json_each(&self, array: Frag, alias: &str) -> (Frag, Frag);

    /// The number of elements of the JSON array `array`, null for null.
    fn json_array_length(&self, array: Frag) -> Frag;

    /// INTEGER seconds since the Unix epoch of `text`, a date `YYYY-MM-DD` optionally
    /// followed by a space and `hh:mm`, read as UTC (proleptic Gregorian, years 1–9999).
    fn epoch_seconds(&self, text: Frag) -> Frag;

    /// The date `YYYY-MM-DD` (TEXT) that is `days` (INTEGER) days after 1970-01-01.
    fn date_from_epoch_days(&self, days: Frag) -> Frag;

    /// Boolean: `a` equals `b`, null equal to null (never null itself).
    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag;

    /// Boolean: `a` differs from `b`, null differing from every value (never null itself).
    fn null_safe_ne(&self, a: Frag, b: Frag) -> Frag;

    /// The Boolean `condition` with null read as false (OData's two-valued comparisons).
    fn two_valued(&self, condition: Frag) -> Frag;

    /// One ORDER BY item in OData's order: nulls first ascending, last descending.
    fn order_term(&self, expr: Frag, direction: SortDirection) -> Frag;

    /// The column type of binary values.
    fn blob_type(&self) -> &'static str;

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

    fn null_safe_eq(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS ", b, ")"]
    }

    fn null_safe_ne(&self, a: Frag, b: Frag) -> Frag {
        frag!["(", a, " IS NOT ", b, ")"]
    }

    fn two_valued(&self, condition: Frag) -> Frag {
        frag!["COALESCE(", condition, ", 0)"]
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

    fn matches_pattern(&self, text: Frag, pattern: Frag) -> Frag {
        // sqlx registers `regexp(pattern, text)` on every connection (the `regex` crate).
        frag!["regexp(", pattern, ", ", text, ")"]
    }
}
