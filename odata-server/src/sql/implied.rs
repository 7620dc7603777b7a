//! Conditions a `$filter` implies, in forms that indexes serve.
//!
//! The string functions are opaque to the databases' planners: `startswith(name,'Jo')` is
//! `substr(…) = …`, which no b-tree serves, and `contains` is a test of every row. For each
//! top-level conjunct of a filter that is such a function of a property with a literal,
//! the store adds a condition the function implies:
//! * `startswith`: the range of the values with that prefix (`>= 'Jo' AND < 'Jp'`), which
//!   an index on (`_tenant`, column) serves: text compares by code point on both
//!   databases (SQLite's default collation, PostgreSQL's `"C"`), the order in which every
//!   value with the prefix lies in that range;
//! * `contains`, `endswith`: the property's trigram index ([`super::trigram`]), if it has
//!   one.
//!
//! Each holds for every row the function is true for; ANDed with the whole filter (never
//! under `or` or `not`), it changes no answer, as the function is still tested on each row.

use odata_core::bind::{BoundExpr, Function};
use odata_core::value::Value;

use super::dialect::Dialect;
use super::frag::{Frag, frag};
use super::trigram::{self, Anchor, Pattern};
use super::{Condition, conjuncts};
use crate::store::table::Table;

/// The conditions `filter` implies over `table` that indexes serve (see the module
/// documentation).
pub(crate) fn conditions(
    dialect: &impl Dialect,
    table: &Table,
    filter: &BoundExpr,
) -> Vec<Condition> {
    conjuncts(filter)
        .into_iter()
        .filter_map(|term| {
            let (column, pattern) = text_match(table, term)?;
            match pattern.anchor {
                Anchor::Start => prefix_range(dialect, table, column, pattern.needle),
                Anchor::Anywhere | Anchor::End => {
                    trigram::condition(dialect, table, column, &pattern)
                }
            }
        })
        .collect()
}

/// The column and pattern of a `contains`/`startswith`/`endswith` of a property of the
/// entity (no lambda variable, no type cast) with a string literal.
fn text_match<'e>(table: &Table, term: &'e BoundExpr) -> Option<(usize, Pattern<'e>)> {
    let BoundExpr::Call { function, args, .. } = term else {
        return None;
    };
    let anchor = match function {
        Function::Contains => Anchor::Anywhere,
        Function::StartsWith => Anchor::Start,
        Function::EndsWith => Anchor::End,
        _ => return None,
    };
    let [
        BoundExpr::Property(property),
        BoundExpr::Literal {
            value: Value::String(needle),
            ..
        },
    ] = args.as_slice()
    else {
        return None;
    };
    let [name] = property.path.as_slice() else {
        return None;
    };
    if property.variable.is_some() || property.cast.is_some() {
        return None;
    }
    let column = table.column_index(name)?;
    Some((column, Pattern { needle, anchor }))
}

/// `column >= prefix AND column < successor`: every value starting with `prefix` (a
/// non-empty one), and a range of the column's index.
fn prefix_range(
    dialect: &impl Dialect,
    table: &Table,
    column: usize,
    prefix: &str,
) -> Option<Condition> {
    if prefix.is_empty() {
        return None;
    }
    let q_column = Frag::atom(dialect.quote(&table.columns[column].property.name));
    let from = frag![q_column.clone(), " >= ", Frag::param(prefix)];
    let frag = match successor(prefix) {
        Some(end) => frag!["(", from, " AND ", q_column, " < ", Frag::param(end), ")"],
        None => from,
    };
    Some(Condition { frag })
}

/// The least string greater than every string starting with `prefix`: its last character
/// that has a next one, replaced by it, and what follows dropped; `None` when every
/// character is the last there is.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The surrogate range holds no characters: U+D7FF is followed by U+E000.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn the_successor_of_a_prefix_bounds_every_value_with_it() {
        assert_eq!(successor("Jo").as_deref(), Some("Jp"));
        assert_eq!(successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(successor("a\u{10ffff}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10ffff}\u{10ffff}"), None);
        assert_eq!(successor("x\u{1f600}").as_deref(), Some("x\u{1f601}"));
        for prefix in ["Jo", "a\u{10ffff}", "x\u{1f600}", "\u{e9}t"] {
            let end = successor(prefix).expect("a successor");
            for value in [
                prefix.to_owned(),
                format!("{prefix}\u{10ffff}\u{10ffff}"),
                format!("{prefix}zzz"),
            ] {
                assert!(value.as_str() >= prefix && value < end, "{value:?} {end:?}");
            }
        }
    }
}
