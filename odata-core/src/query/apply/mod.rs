//! `$apply` (OData Data Aggregation Extension 4.0): the untyped tree ([`ast`]) and its
//! parser ([`parse_apply`]).

pub mod ast;
pub mod errors;
pub mod join;
mod parser;

pub use ast::*;
pub use parser::parse_apply;

use crate::query::error::{ParseError, ParseLimits};

/// The raw and the parsed form of a `$apply` value, as [`QueryOptions`] keeps them.
///
/// [`QueryOptions`]: crate::query::QueryOptions
pub(crate) fn option(
    value: &str,
    limits: &ParseLimits,
) -> Result<(Option<String>, Option<Apply>), ParseError> {
    if value.is_empty() {
        return Err(ParseError::new("$apply", 0, "expected a value"));
    }
    Ok((Some(value.to_owned()), Some(parse_apply(value, limits)?)))
}
