//! `$orderby` (2. Query Options).

use super::expr::{commit, common_expr};
use super::{Ctx, PResult, bws, ident_continues, run, rws, tag_ci};
use crate::query::ast::{OrderBy, OrderByItem, SortDirection};
use crate::query::error::{ParseError, ParseLimits};

/// Parses a complete `$orderby` value (decoded).
pub fn parse_orderby(text: &str, limits: &ParseLimits) -> Result<OrderBy, ParseError> {
    run("$orderby", text, limits, |c, i| orderby_list(c, i, 0))
}

// orderby     = ( "$orderby" / "orderby" ) EQ orderbyItem *( COMMA orderbyItem )
// orderbyItem = commonExpr [ RWS ( "asc" / "desc" ) ]
/// The items of an `$orderby` value (whitespace after commas is tolerated).
pub fn orderby_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, OrderBy> {
    let mut items = Vec::new();
    let mut r = i;
    loop {
        let (after, expr) = if items.is_empty() {
            common_expr(ctx, r, depth)?
        } else {
            commit(common_expr(ctx, r, depth))?
        };
        let mut rest = after;
        let mut direction = SortDirection::Asc;
        if let Some(ws) = rws(after) {
            for (word, dir) in [("asc", SortDirection::Asc), ("desc", SortDirection::Desc)] {
                if let Some(a) = tag_ci(ws, word)
                    && !ident_continues(a)
                {
                    direction = dir;
                    rest = a;
                }
            }
        }
        ctx.node(r)?;
        items.push(OrderByItem { expr, direction });
        match rest.strip_prefix(',') {
            Some(next) => r = bws(next),
            None => return Ok((rest, OrderBy { items })),
        }
    }
}
