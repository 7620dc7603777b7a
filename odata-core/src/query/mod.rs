//! The syntax layer of the OData 4.01 query language: query string, `$filter`, `$orderby`,
//! `$select`, `$expand`, `$search`, `$compute`, literals.
//!
//! ```
//! use odata_core::query::{parse_query_options, BinaryOp, Expr};
//!
//! let opts = parse_query_options("$filter=Price+gt+5+and+contains(Name,'x')&$top=10").unwrap();
//! assert_eq!(opts.top, Some(10));
//! let Some(Expr::Binary { op, .. }) = &opts.filter else { panic!() };
//! assert_eq!(*op, BinaryOp::And);
//! assert_eq!(
//!     opts.filter.unwrap().to_string(),
//!     "(Price gt 5) and contains(Name,'x')"
//! );
//! ```
//!
//! The tree is untyped (names are not resolved, typed literals keep their text); binding
//! against the EDM happens in a later step.

pub mod apply;
pub mod ast;
mod display;
pub mod error;
mod parser;

#[cfg(test)]
mod error_table;
#[cfg(test)]
mod tests;

pub use apply::{
    AggregateItem, AggregateKind, AggregateMethod, Apply, GroupingItem, GroupingPath, NestItem,
    TopBottomKind, Transformation, parse_apply,
};
pub use ast::*;
pub use error::{ParseError, ParseErrorKind, ParseLimits};
pub use parser::compute::parse_compute;
pub use parser::expr::{parse_common_expr_at, parse_expr, parse_filter};
pub use parser::options::{
    decode_query_component, parse_query_options, parse_query_options_with_limits,
    system_query_option_name,
};
pub use parser::orderby::parse_orderby;
pub use parser::search::parse_search;
pub use parser::select_expand::{parse_expand, parse_select};

/// Parses one URL primitive literal (decoded text), e.g. a key value or an alias value.
pub fn parse_literal(text: &str) -> Result<Literal, ParseError> {
    parser::run("literal", text, &ParseLimits::default(), |c, i| {
        parser::literal::primitive_literal(c, i)
    })
}
