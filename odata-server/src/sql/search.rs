//! `$search` → a SQL condition over the searchable string columns.

use odata_core::bind::BoundSearch;

use super::dialect::ExprDialect;
use super::frag::{Frag, frag};
use crate::store::table::Table;

/// A string `$search` looks in: a string property's column, or a string member of a
/// complex property (`members`, the path below the column's property).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPath {
    /// The column (index into `table.columns`).
    pub column: usize,
    /// The member path inside a complex value; empty for a string property.
    pub members: Vec<String>,
}

/// A two-valued condition: a term matches when any of `columns` contains it ignoring
/// case (null values do not contain anything), so `NOT term` holds for an entity whose
/// searchable values are all null.
pub(crate) fn search_condition<D: ExprDialect>(
    dialect: &D,
    table: &Table,
    search: &BoundSearch,
    columns: &[SearchPath],
) -> Frag {
    match search {
        BoundSearch::Term(term) => {
            let tests: Vec<Frag> = columns
                .iter()
                .filter_map(|path| Some((table.columns.get(path.column)?, &path.members)))
                .map(|(c, members)| {
                    let column = Frag::atom(dialect.quote(&c.property.name));
                    let text = dialect.json_extract(column, members);
                    dialect.two_valued(
                        dialect.contains_case_insensitive(text, Frag::param(term.as_str())),
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
