//! `$compute` (2. Query Options).

use super::expr::{commit, common_expr};
use super::{Ctx, PResult, bws, ident_continues, odata_identifier, run, rws, tag_ci};
use crate::query::ast::{Compute, ComputeItem};
use crate::query::error::{ParseError, ParseLimits};

/// Parses a complete `$compute` value (decoded).
pub fn parse_compute(text: &str, limits: &ParseLimits) -> Result<Compute, ParseError> {
    run("$compute", text, limits, |c, i| compute_list(c, i, 0))
}

// compute          = ( "$compute" / "compute" ) EQ computeItem *( COMMA computeItem )
// computeItem      = commonExpr RWS "as" RWS computedProperty
// computedProperty = odataIdentifier
/// The items of a `$compute` value.
pub fn compute_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Compute> {
    let mut items = Vec::new();
    let mut r = i;
    loop {
        let (after, expr) = if items.is_empty() {
            common_expr(ctx, r, depth)?
        } else {
            commit(common_expr(ctx, r, depth))?
        };
        let as_kw = rws(after)
            .and_then(|ws| tag_ci(ws, "as"))
            .filter(|a| !ident_continues(a))
            .and_then(rws);
        let Some(name_at) = as_kw else {
            return ctx.fail(
                after,
                "expected ' as ' and the name of the computed property",
            );
        };
        let (after, alias) = match odata_identifier(ctx, name_at) {
            Ok(v) => v,
            Err(_) => return ctx.fail(name_at, "expected the name of the computed property"),
        };
        ctx.node(r)?;
        items.push(ComputeItem {
            expr,
            alias: alias.to_owned(),
        });
        match after.strip_prefix(',') {
            Some(next) => r = bws(next),
            None => return Ok((after, Compute { items })),
        }
    }
}
