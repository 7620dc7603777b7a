//! `$orderby` (2. Query Options).

use super::expr::common_expr;
use super::{Ctx, PResult, comma_then_bws, keyword_ci, list1, run, rws};
use crate::query::ast::{OrderBy, OrderByItem, SortDirection};
use crate::query::error::{ParseError, ParseLimits};
use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt, value};
use nom::sequence::preceded;

/// Parses a complete `$orderby` value (decoded).
pub fn parse_orderby(text: &str, limits: &ParseLimits) -> Result<OrderBy, ParseError> {
    run("$orderby", text, limits, |c, i| orderby_list(c, i, 0))
}

// orderby = ( "$orderby" / "orderby" ) EQ orderbyItem *( COMMA orderbyItem )
/// The items of an `$orderby` value (whitespace after commas is tolerated).
pub fn orderby_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, OrderBy> {
    map(
        list1(|x| orderby_item(ctx, x, depth), comma_then_bws),
        |items| OrderBy { items },
    )
    .parse(i)
}

// orderbyItem = commonExpr [ RWS ( "asc" / "desc" ) ]
fn orderby_item<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, OrderByItem> {
    let direction = alt((
        value(SortDirection::Asc, keyword_ci("asc")),
        value(SortDirection::Desc, keyword_ci("desc")),
    ));
    let (rest, (expr, direction)) = (
        |x| common_expr(ctx, x, depth),
        opt(preceded(rws, direction)),
    )
        .parse(i)?;
    ctx.node(i)?;
    let direction = direction.unwrap_or(SortDirection::Asc);
    Ok((rest, OrderByItem { expr, direction }))
}
