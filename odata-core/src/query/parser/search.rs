//! `$search` (2. Query Options: `search`, `searchExpr`).
//!
//! Precedence `NOT` > `AND` (explicit or implied by whitespace) > `OR`, left-associative.
//! `AND`, `OR`, `NOT` are operators only in operator position and in upper case; elsewhere
//! they are plain words (`$search=AND OR NOT` is the word `AND` or the word `NOT`).
//!
//! Besides the depth and node limits, a value holds at most
//! [`ParseLimits::MAX_SEARCH_TERMS`] terms.

use super::expr::commit;
use super::literal::quoted_body;
use super::{Ctx, PResult, bws, expect_char, is_ws, run, rws};
use crate::query::ast::Search;
use crate::query::error::{ParseError, ParseLimits};

/// Parses a complete `$search` value (decoded).
pub fn parse_search(text: &str, limits: &ParseLimits) -> Result<Search, ParseError> {
    run("$search", text, limits, |c, i| search_expr(c, i, 0))
}

// search = ( "$search" / "search" ) EQ BWS ( searchExpr / searchExpr-incomplete )
// searchExpr-incomplete = SQUOTE *( SQUOTE-in-string / qchar-no-AMP-SQUOTE / quotation-mark / SP ) SQUOTE
/// A search value after `=` (leading whitespace allowed).
pub fn search_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Search> {
    let i = bws(i);
    if let Some(body) = i.strip_prefix('\'') {
        let (rest, text) = quoted_body(ctx, body)?;
        ctx.node(i)?;
        ctx.search_term(i)?;
        return Ok((rest, Search::Quoted(text)));
    }
    search_or(ctx, i, depth)
}

/// Characters of a search word: anything but whitespace, parentheses, `"` and `;`.
fn is_word_char(c: char) -> bool {
    !(is_ws(c) || matches!(c, '(' | ')' | '"' | ';'))
}

/// True if a search operand can start at `i`.
fn operand_starts(i: &str) -> bool {
    match i.chars().next() {
        Some('(') | Some('"') => true,
        Some('\'') | None => false,
        Some(c) => is_word_char(c),
    }
}

/// `kw RWS` followed by an operand: the input at the operand.
fn operator<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    let after = rws(i.strip_prefix(kw)?)?;
    operand_starts(after).then_some(after)
}

// searchOrExpr = RWS %s"OR" RWS searchExpr
fn search_or<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Search> {
    let (mut rest, mut left) = search_and(ctx, i, depth)?;
    while let Some(after) = rws(rest).and_then(|ws| operator(ws, "OR")) {
        let (r, right) = commit(search_and(ctx, after, depth))?;
        ctx.node(rest)?;
        left = Search::Or(Box::new(left), Box::new(right));
        rest = r;
    }
    Ok((rest, left))
}

// searchAndExpr = RWS [ %s"AND" RWS ] searchExpr
fn search_and<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Search> {
    let (mut rest, mut left) = search_unary(ctx, i, depth)?;
    while let Some(ws) = rws(rest) {
        if operator(ws, "OR").is_some() {
            break;
        }
        let next = match operator(ws, "AND") {
            Some(after) => after,
            None if operand_starts(ws) => ws,
            None => break,
        };
        let (r, right) = commit(search_unary(ctx, next, depth))?;
        ctx.node(rest)?;
        left = Search::And(Box::new(left), Box::new(right));
        rest = r;
    }
    Ok((rest, left))
}

// searchNegateExpr = %s"NOT" RWS searchExpr
// searchParenExpr  = OPEN BWS searchExpr BWS CLOSE
// searchPhrase     = quotation-mark 1*( qchar-no-AMP-DQUOTE / SP ) quotation-mark
// searchWord       = searchChar *( searchChar / SQUOTE )
fn search_unary<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Search> {
    if let Some(after) = operator(i, "NOT") {
        let depth = ctx.enter(i, depth)?;
        let (r, inner) = commit(search_unary(ctx, after, depth))?;
        ctx.node(i)?;
        return Ok((r, Search::Not(Box::new(inner))));
    }
    if let Some(inner) = i.strip_prefix('(') {
        let depth = ctx.enter(i, depth)?;
        let (r, e) = commit(search_or(ctx, bws(inner), depth))?;
        let (r, ()) = expect_char(ctx, bws(r), ')')?;
        return Ok((r, e));
    }
    if let Some(body) = i.strip_prefix('"') {
        let Some(end) = body.find('"') else {
            return ctx.fail(body, "unterminated phrase: expected closing '\"'");
        };
        if end == 0 {
            return ctx.fail(body, "empty search phrase");
        }
        ctx.node(i)?;
        ctx.search_term(i)?;
        return Ok((&body[end + 1..], Search::Phrase(body[..end].to_owned())));
    }
    if !operand_starts(i) {
        return ctx.err(i, "expected a search word, phrase or '('");
    }
    let end = i
        .char_indices()
        .find(|&(_, c)| !is_word_char(c))
        .map_or(i.len(), |(idx, _)| idx);
    ctx.node(i)?;
    ctx.search_term(i)?;
    Ok((&i[end..], Search::Word(i[..end].to_owned())))
}
