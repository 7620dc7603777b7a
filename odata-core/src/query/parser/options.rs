//! 2. Query Options: the raw query string (`queryOptions`).
//!
//! The query string is split on `&`, each part at its first `=`; name and value are then
//! percent-decoded once, reading `+` as a space. System options are matched
//! case-insensitively with or without the `$` prefix (OData 4.01), so `filter`, `$FILTER`
//! and `$filter` are one option; other names starting with `$` are errors; `@name=value`
//! defines a parameter alias; anything else is a custom option and kept verbatim (decoded).

use super::compute::parse_compute;
use super::expr::{parse_expr, parse_filter};
use super::orderby::parse_orderby;
use super::search::parse_search_option;
use super::select_expand::{parse_expand, parse_select};
use super::{Ctx, PResult, digits, is_identifier, keyword_ci};
use crate::query::ast::{CustomOption, IndexOption, QueryOptions};
use crate::query::error::{ParseError, ParseErrorKind, ParseLimits};
use nom::Parser;
use nom::branch::alt;
use nom::character::complete::char;
use nom::combinator::{opt, recognize, value};
use nom::sequence::pair;
use std::collections::BTreeMap;

/// The system query options of a query string, spelled canonically. `$levels` is missing on
/// purpose: it only exists inside `$expand(…)`, so a top-level `levels` is a custom option.
const SYSTEM_OPTIONS: [&str; 16] = [
    "$filter",
    "$select",
    "$expand",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$search",
    "$format",
    "$compute",
    "$apply",
    "$skiptoken",
    "$deltatoken",
    "$index",
    "$schemaversion",
    "$id",
];

/// The canonical name (`$` and lower case, e.g. `$filter`) of the system query option that
/// the decoded query-string option name `name` denotes, or `None` for any other name.
///
/// OData 4.01 makes the `$` optional and the names case-insensitive, so `filter`, `Filter`,
/// `$FILTER` and `$filter` all give `$filter`. Custom option names, parameter aliases
/// (`@p`) and unknown `$` names (`$foo`, also `$levels`) give `None`.
pub fn system_query_option_name(name: &str) -> Option<&'static str> {
    let bare = name.strip_prefix('$').unwrap_or(name);
    SYSTEM_OPTIONS.into_iter().find(|canonical| {
        canonical
            .strip_prefix('$')
            .is_some_and(|c| c.eq_ignore_ascii_case(bare))
    })
}

/// Parses a raw (still percent-encoded) query string with the default [`ParseLimits`].
///
/// A leading `?` is ignored. Errors name the option (`$filter`, `@p`, or `query` for
/// problems with the query string itself) and a character position inside its decoded value.
pub fn parse_query_options(query: &str) -> Result<QueryOptions, ParseError> {
    parse_query_options_with_limits(query, &ParseLimits::default())
}

/// Parses a raw query string like [`parse_query_options`], with explicit limits.
pub fn parse_query_options_with_limits(
    query: &str,
    limits: &ParseLimits,
) -> Result<QueryOptions, ParseError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if let Some(pos) = query.find('#') {
        let offset = query[..pos].chars().count();
        return Err(ParseError::new(
            "query",
            offset,
            "'#' must be percent-encoded as %23 in a query",
        )
        .with_kind(ParseErrorKind::InvalidEncoding));
    }
    let mut opts = QueryOptions {
        limits: *limits,
        ..QueryOptions::default()
    };
    // Canonical name -> the spelling it was first given in, to name both when repeated.
    let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut part_offset = 0usize;
    for part in query.split('&') {
        let offset = part_offset;
        part_offset += part.chars().count() + 1;
        if part.is_empty() {
            continue;
        }
        let (raw_name, raw_value) = match part.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (part, None),
        };
        let name = decode_at(raw_name, offset)?;
        let value = match raw_value {
            Some(v) => Some(decode_at(v, offset + raw_name.chars().count() + 1)?),
            None => None,
        };
        if let Some(canonical) = system_query_option_name(&name) {
            if let Some(first) = seen.get(canonical) {
                let message = if *first == name {
                    "system query option specified more than once".to_owned()
                } else {
                    format!(
                        "system query option specified more than once (as '{first}' and '{name}')"
                    )
                };
                return Err(ParseError::new(canonical, 0, message)
                    .with_kind(ParseErrorKind::DuplicateOption));
            }
            seen.insert(canonical, name.clone());
            let Some(value) = value else {
                return Err(ParseError::new(canonical, 0, "expected '=' and a value")
                    .with_kind(ParseErrorKind::MissingValue));
            };
            system_option(
                &mut opts,
                canonical,
                &value,
                raw_value.unwrap_or(""),
                limits,
            )?;
        } else if name.starts_with('$') {
            let lower = name.to_ascii_lowercase();
            let message = if lower == "$levels" {
                "$levels is only allowed inside $expand(...)".to_owned()
            } else {
                format!("unknown system query option {lower}")
            };
            return Err(ParseError::new(lower, 0, message).with_kind(ParseErrorKind::UnknownOption));
        } else if let Some(alias) = name.strip_prefix('@') {
            if !is_identifier(alias) {
                return Err(ParseError::new(
                    name.clone(),
                    0,
                    "invalid parameter alias name",
                ));
            }
            let Some(value) = value else {
                return Err(ParseError::new(name.clone(), 0, "expected '=' and a value")
                    .with_kind(ParseErrorKind::MissingValue));
            };
            if opts.aliases.contains_key(alias) {
                return Err(ParseError::new(
                    name.clone(),
                    0,
                    "parameter alias specified more than once",
                )
                .with_kind(ParseErrorKind::DuplicateOption));
            }
            let expr = parse_expr(&value, limits).map_err(|mut e| {
                e.option = name.clone();
                e
            })?;
            opts.aliases.insert(alias.to_owned(), expr);
        } else {
            opts.custom.push(CustomOption { name, value });
        }
    }
    Ok(opts)
}

/// Parses one system query option (`name` canonical, see [`SYSTEM_OPTIONS`]; `value`
/// decoded, `raw` as sent) into `opts`.
fn system_option(
    opts: &mut QueryOptions,
    name: &str,
    value: &str,
    raw: &str,
    limits: &ParseLimits,
) -> Result<(), ParseError> {
    let non_empty = |v: &str| -> Result<String, ParseError> {
        if v.is_empty() {
            Err(ParseError::new(name, 0, "expected a value")
                .with_kind(ParseErrorKind::MissingValue))
        } else {
            Ok(v.to_owned())
        }
    };
    match name {
        "$filter" => opts.filter = Some(parse_filter(value, limits)?),
        "$select" => opts.select = Some(parse_select(value, limits)?),
        "$expand" => opts.expand = Some(parse_expand(value, limits)?),
        "$orderby" => opts.orderby = Some(parse_orderby(value, limits)?),
        "$search" => opts.search = Some(parse_search_option(value, raw, limits)?),
        "$compute" => opts.compute = Some(parse_compute(value, limits)?),
        // top = ( "$top" / "top" ) EQ 1*DIGIT ; skip likewise
        "$top" => opts.top = Some(whole(name, value, limits, unsigned_value)?),
        "$skip" => opts.skip = Some(whole(name, value, limits, unsigned_value)?),
        // inlinecount = ( "$count" / "count" ) EQ boolean
        "$count" => opts.count = Some(whole(name, value, limits, bool_value)?),
        // index = ( "$index" / "index" ) EQ [ "-" ] 1*DIGIT  (and `true`/`false`, see
        // `IndexOption`)
        "$index" => opts.index = Some(whole(name, value, limits, index_value)?),
        // format = ( "$format" / "format" ) EQ ( "atom" / "json" / "xml" / 1*pchar "/" 1*pchar )
        "$format" => opts.format = Some(non_empty(value)?),
        // schemaversion = ( "$schemaversion" / "schemaversion" ) EQ ( STAR / 1*unreserved )
        "$schemaversion" => opts.schemaversion = Some(non_empty(value)?),
        // skiptoken = "$skiptoken" EQ 1*( qchar-no-AMP ) ; deltatoken likewise
        // (the ABNF has only the `$` form; the bare name is accepted as for the other options,
        // so a token is never ignored as a custom option)
        "$skiptoken" => opts.skiptoken = Some(non_empty(value)?),
        "$deltatoken" => opts.deltatoken = Some(non_empty(value)?),
        // id = ( "$id" / "id" ) EQ IRI-in-query
        "$id" => opts.id = Some(non_empty(value)?),
        // $apply (Data Aggregation extension): kept raw (for links) and parsed.
        "$apply" => (opts.apply, opts.apply_tree) = crate::query::apply::option(value, limits)?,
        // Not reached: callers pass names from `SYSTEM_OPTIONS`, all handled above.
        _ => {
            return Err(
                ParseError::new(name, 0, format!("unknown system query option {name}"))
                    .with_kind(ParseErrorKind::UnknownOption),
            );
        }
    }
    Ok(())
}

/// Runs a small value parser over the whole value.
fn whole<T>(
    name: &str,
    value: &str,
    limits: &ParseLimits,
    parser: for<'a> fn(&Ctx<'_>, &'a str) -> PResult<'a, T>,
) -> Result<T, ParseError> {
    super::run(name, value, limits, |c, i| parser(c, i))
}

// 1*DIGIT (for $top, $skip)
/// A non-negative integer.
pub fn unsigned_value<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, u64> {
    let Ok((r, d)) = digits(ctx, i) else {
        return ctx.fail(i, "expected a non-negative integer");
    };
    match d.parse::<u64>() {
        Ok(n) => Ok((r, n)),
        Err(_) => ctx.fail_kind(i, ParseErrorKind::InvalidLiteral, "number too large"),
    }
}

// index = ( "$index" / "index" ) EQ [ "-" ] 1*DIGIT
// The ABNF's integer is an insert position; `true`/`false` switch `@odata.index` on reads.
fn index_value<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, IndexOption> {
    if let Ok((r, b)) = alt((
        value(true, keyword_ci("true")),
        value(false, keyword_ci("false")),
    ))
    .parse(i)
    {
        return Ok((r, IndexOption::Annotate(b)));
    }
    let (s, _) = opt(char('-')).parse(i)?;
    let Ok((r, text)) = recognize(pair(opt(char('-')), |x| digits(ctx, x))).parse(i) else {
        return ctx.fail(s, "expected true, false or an integer");
    };
    match text.parse::<i64>() {
        Ok(n) => Ok((r, IndexOption::Position(n))),
        Err(_) => ctx.fail_kind(i, ParseErrorKind::InvalidLiteral, "number too large"),
    }
}

// boolean = "true" / "false"
/// `true` or `false` (any case).
pub fn bool_value<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, bool> {
    let mut boolean = alt((
        value(true, keyword_ci("true")),
        value(false, keyword_ci("false")),
    ));
    match boolean.parse(i) {
        Ok(v) => Ok(v),
        Err(_) => ctx.fail(i, "expected true or false"),
    }
}

/// Percent-decodes one query component once, reading `+` as a space.
///
/// Errors carry the option name `query` and the character position (within `raw`) of the
/// malformed escape.
pub fn decode_query_component(raw: &str) -> Result<String, ParseError> {
    decode_at(raw, 0)
}

fn decode_at(raw: &str, base: usize) -> Result<String, ParseError> {
    if !raw.contains(['%', '+']) {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        match bytes[idx] {
            b'+' => {
                out.push(b' ');
                idx += 1;
            }
            b'%' => {
                let hex = |b: u8| char::from(b).to_digit(16);
                let pair = bytes
                    .get(idx + 1)
                    .copied()
                    .and_then(hex)
                    .zip(bytes.get(idx + 2).copied().and_then(hex));
                let Some((hi, lo)) = pair else {
                    let offset = base + raw[..idx].chars().count();
                    return Err(ParseError::new(
                        "query",
                        offset,
                        "invalid percent-encoding: expected two hex digits after '%'",
                    )
                    .with_kind(ParseErrorKind::InvalidEncoding));
                };
                // hi and lo are < 16, so the value fits into a byte.
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                idx += 3;
            }
            b => {
                out.push(b);
                idx += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| {
        ParseError::new("query", base, "percent-encoded bytes are not valid UTF-8")
            .with_kind(ParseErrorKind::InvalidEncoding)
    })
}
