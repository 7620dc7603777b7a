//! `$compute` (2. Query Options).

use super::expr::common_expr;
use super::{Ctx, PResult, comma_then_bws, keyword_ci, list1, odata_identifier, run, rws};
use crate::query::ast::{Compute, ComputeItem};
use crate::query::error::{ParseError, ParseLimits};
use nom::Parser;
use nom::combinator::map;
use nom::sequence::delimited;

/// Parses a complete `$compute` value (decoded).
pub fn parse_compute(text: &str, limits: &ParseLimits) -> Result<Compute, ParseError> {
    run("$compute", text, limits, |c, i| compute_list(c, i, 0))
}

// compute = ( "$compute" / "compute" ) EQ computeItem *( COMMA computeItem )
/// The items of a `$compute` value (whitespace after commas is tolerated).
pub fn compute_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Compute> {
    map(
        list1(|x| compute_item(ctx, x, depth), comma_then_bws),
        |items| Compute { items },
    )
    .parse(i)
}

// computeItem      = commonExpr RWS "as" RWS computedProperty
// computedProperty = odataIdentifier
fn compute_item<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, ComputeItem> {
    let (after, expr) = common_expr(ctx, i, depth)?;
    let Ok((name_at, _)) = delimited(rws, keyword_ci("as"), rws).parse(after) else {
        return ctx.fail(
            after,
            "expected ' as ' and the name of the computed property",
        );
    };
    let Ok((rest, alias)) = odata_identifier(ctx, name_at) else {
        return ctx.fail(name_at, "expected the name of the computed property");
    };
    ctx.node(i)?;
    let alias = alias.to_owned();
    Ok((rest, ComputeItem { expr, alias }))
}
