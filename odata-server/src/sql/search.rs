//! `$search` → a SQL condition over the searchable string columns.

use odata_core::bind::BoundSearch;

use super::dialect::ExprDialect;
use super::frag::{Frag, frag};
use crate::store::table::Table;

/// A two-valued condition: a term matches when any of `columns` contains it ignoring
/// case (null columns do not contain anything), so `NOT term` holds for an entity whose
/// searchable columns are all null.
pub(crate) fn search_condition<D: ExprDialect>(
    dialect: &D,
    table: &Table,
    search: &BoundSearch,
    columns: &[usize],
) -> Frag {
    match search {
        BoundSearch::Term(term) => {
            let tests: Vec<Frag> = columns
                .iter()
                .filter_map(|&i| table.columns.get(i))
                .map(|c| {
                    let column = Frag::atom(dialect.quote(&c.property.name));
                    dialect.two_valued(
                        dialect.contains_case_insensitive(column, Frag::param(term.as_str())),
                    )
                })
                .collect();
            match tests.len() {
                0 => Frag::sql("(1 = 0)"),
                1 => tests
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Frag::sql("(1 = 0)")),
                _ => frag!["(", Frag::join(tests, " OR "), ")"],
            }
        }
        BoundSearch::Not(inner) => {
            frag![
                "(NOT ",
                search_condition(dialect, table, inner, columns),
                ")"
            ]
        }
        BoundSearch::And(a, b) => frag![
            "(",
            search_condition(dialect, table, a, columns),
            " AND ",
            search_condition(dialect, table, b, columns),
            ")"
        ],
        BoundSearch::Or(a, b) => frag![
            "(",
            search_condition(dialect, table, a, columns),
            " OR ",
            search_condition(dialect, table, b, columns),
            ")"
        ],
    }
}
