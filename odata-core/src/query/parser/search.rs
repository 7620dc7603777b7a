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
use super::{Ctx, PError, PResult, bws, close, is_ws, run, rws};
use crate::query::ast::Search;
use crate::query::error::{ParseError, ParseErrorKind, ParseLimits};
use nom::Parser;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::peek;
use nom::sequence::{pair, preceded, terminated};

/// Parses a complete `$search` value (decoded).
pub fn parse_search(text: &str, limits: &ParseLimits) -> Result<Search, ParseError> {
    run("$search", text, limits, |c, i| search_expr(c, i, 0))
}

// search = ( "$search" / "search" ) EQ BWS ( searchExpr / searchExpr-incomplete )
// searchExpr-incomplete = SQUOTE *( SQUOTE-in-string / qchar-no-AMP-SQUOTE / quotation-mark / SP ) SQUOTE
/// A search value after `=` (leading whitespace allowed).
pub fn search_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Search> {
    let (i, _) = bws(i)?;
    if let Ok((body, _)) = char::<_, PError>('\'').parse(i) {
        let (rest, text) = quoted_body(ctx, body)?;
        ctx.node(i)?;
        ctx.search_term(i)?;
        return Ok((rest, Search::Quoted(text)));
    }
    search_or(ctx, i, depth)
}

/// Parses a top-level `$search` value: `text` decoded, `raw` as sent (percent-encoded).
///
/// Inside `$expand(…)` a `;` ends the option, and decoding has made `%3B` and `;` the same,
/// so search words never contain `;` there. At top level nothing follows the value, so a
/// `%3B` is an ordinary word character; only a raw `;` stays an error, as in the grammar.
pub fn parse_search_option(
    text: &str,
    raw: &str,
    limits: &ParseLimits,
) -> Result<Search, ParseError> {
    run("$search", text, limits, |c, i| {
        if !raw.contains(';') {
            c.allow_semicolon_in_search_words();
        }
        search_expr(c, i, 0)
    })
}

/// Characters of a search word: anything but whitespace, parentheses, `"` and (unless
/// `semicolon`) `;`.
fn is_word_char(c: char, semicolon: bool) -> bool {
    !(is_ws(c) || matches!(c, '(' | ')' | '"') || (c == ';' && !semicolon))
}

/// The first character of a search operand (consumes nothing).
fn operand_start<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, char> {
    let semicolon = ctx.semicolon_in_search_words();
    peek(satisfy(|c| {
        c == '(' || c == '"' || (c != '\'' && is_word_char(c, semicolon))
    }))
    .parse(i)
}

/// `kw RWS` followed by an operand: the input at the operand.
fn operator<'a>(
    ctx: &Ctx<'_>,
    kw: &'static str,
) -> impl Parser<&'a str, Output = &'a str, Error = PError> {
    terminated(tag(kw), pair(rws, move |x| operand_start(ctx, x)))
}

// searchOrExpr = RWS %s"OR" RWS searchExpr
fn search_or<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Search> {
    let (mut rest, mut left) = search_and(ctx, i, depth)?;
    while let Ok((after, _)) = preceded(rws, operator(ctx, "OR")).parse(rest) {
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
    while let Ok((ws, _)) = rws(rest) {
        if operator(ctx, "OR").parse(ws).is_ok() {
            break;
        }
        let next = match operator(ctx, "AND").parse(ws) {
            Ok((after, _)) => after,
            Err(_) if operand_start(ctx, ws).is_ok() => ws,
            Err(_) => break,
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
    if let Ok((after, _)) = operator(ctx, "NOT").parse(i) {
        let depth = ctx.enter(i, depth)?;
        let (r, inner) = commit(search_unary(ctx, after, depth))?;
        ctx.node(i)?;
        return Ok((r, Search::Not(Box::new(inner))));
    }
    if let Ok((inner, _)) = pair(char::<_, PError>('('), bws).parse(i) {
        let depth = ctx.enter(i, depth)?;
        let (r, e) = commit(search_or(ctx, inner, depth))?;
        let (r, ()) = close(ctx, ')', "expected ')'")(r)?;
        return Ok((r, e));
    }
    if let Ok((body, _)) = char::<_, PError>('"').parse(i) {
        let Some(end) = body.find('"') else {
            return ctx.fail_kind(
                body,
                ParseErrorKind::UnexpectedEnd,
                "unterminated phrase: expected closing '\"'",
            );
        };
        if end == 0 {
            return ctx.fail(body, "empty search phrase");
        }
        ctx.node(i)?;
        ctx.search_term(i)?;
        return Ok((&body[end + 1..], Search::Phrase(body[..end].to_owned())));
    }
    if operand_start(ctx, i).is_err() {
        return ctx.err(i, "expected a search word, phrase or '('");
    }
    let semicolon = ctx.semicolon_in_search_words();
    let (rest, word) = take_while1(|c| is_word_char(c, semicolon))(i)?;
    ctx.node(i)?;
    ctx.search_term(i)?;
    Ok((rest, Search::Word(word.to_owned())))
}
