//! nom 8 parser for `$apply` (OData Data Aggregation ABNF, `applyExpr`).
//!
//! The structure of the value (transformation names, parentheses, separators, `with`,
//! `from`, `as`, grouping paths, aliases) is parsed here; the expressions inside
//! (`filter(…)`, aggregated and computed expressions, `orderby(…)`, `search(…)`) are cut
//! out by bracket- and quote-aware scanning and handed to the query-option parsers
//! ([`parse_expr`], [`parse_orderby`], [`parse_search`]), whose error positions are shifted
//! to positions in the whole `$apply` value.

use std::borrow::Cow;

use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1};
use nom::error::ErrorKind;
use nom::{Err, IResult, Parser};

use super::ast::{
    AggregateItem, AggregateKind, AggregateMethod, Apply, GroupingItem, GroupingPath, NestItem,
    TopBottomKind, Transformation,
};
use crate::query::ast::{Compute, ComputeItem};
use crate::query::error::{ParseError, ParseLimits};
use crate::query::{parse_expr, parse_orderby, parse_search};

/// A failure: the input left where it happened and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApplyError {
    rest: usize,
    message: Cow<'static, str>,
}

impl<'a> nom::error::ParseError<&'a str> for ApplyError {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        Self {
            rest: input.len(),
            message: Cow::Owned(format!("unexpected input ({})", kind.description())),
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn from_char(input: &'a str, c: char) -> Self {
        Self {
            rest: input.len(),
            message: Cow::Owned(format!("expected '{c}'")),
        }
    }

    /// Keeps the error that got furthest.
    fn or(self, other: Self) -> Self {
        if other.rest <= self.rest { other } else { self }
    }
}

type R<'a, T> = IResult<&'a str, T, ApplyError>;

/// A committed failure at `i`.
fn fail<T>(i: &str, message: impl Into<Cow<'static, str>>) -> R<'_, T> {
    Err(Err::Failure(ApplyError {
        rest: i.len(),
        message: message.into(),
    }))
}

/// Parses a complete `$apply` value (decoded).
///
/// ```
/// use odata_core::query::{parse_apply, ParseLimits, Transformation};
///
/// let apply = parse_apply(
///     "groupby((category),aggregate(price with sum as total))/filter(total gt 10)",
///     &ParseLimits::default(),
/// )
/// .unwrap();
/// assert_eq!(apply.transformations.len(), 2);
/// assert!(matches!(apply.transformations[0], Transformation::GroupBy { .. }));
/// let e = parse_apply("aggregate(price with sum)", &ParseLimits::default()).unwrap_err();
/// assert_eq!(e.option, "$apply");
/// assert_eq!(e.offset, 24);
/// ```
pub fn parse_apply(text: &str, limits: &ParseLimits) -> Result<Apply, ParseError> {
    let p = Parser_ { limits: *limits };
    let error = match p.apply_expr(text, 0) {
        Ok(("", apply)) => return Ok(apply),
        Ok((rest, _)) => ApplyError {
            rest: rest.len(),
            message: Cow::Owned(format!(
                "expected '/' and a transformation, or the end of the value, found '{}'",
                rest.chars().take(12).collect::<String>()
            )),
        },
        Err(Err::Error(e) | Err::Failure(e)) => e,
        Err(Err::Incomplete(_)) => ApplyError {
            rest: 0,
            message: Cow::Borrowed("unexpected end of input"),
        },
    };
    let mut byte = text.len().saturating_sub(error.rest);
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    Err(ParseError::new(
        "$apply",
        text[..byte].chars().count(),
        error.message.into_owned(),
    ))
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// BWS: optional whitespace.
fn bws(i: &str) -> &str {
    i.trim_start_matches(is_ws)
}

/// `RWS kw RWS` at `i`: the input after it.
fn keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    let after_ws = i.trim_start_matches(is_ws);
    if after_ws.len() == i.len() {
        return None;
    }
    let rest = after_ws.strip_prefix(kw)?;
    let after = rest.trim_start_matches(is_ws);
    (after.len() < rest.len()).then_some(after)
}

/// `odataIdentifier`.
fn identifier(i: &str) -> R<'_, &str> {
    let (rest, name) = take_while1(|c: char| c.is_alphanumeric() || c == '_').parse(i)?;
    if name.starts_with(|c: char| c.is_ascii_digit()) || name.chars().count() > 128 {
        return Err(Err::Error(ApplyError {
            rest: i.len(),
            message: Cow::Borrowed("expected an identifier"),
        }));
    }
    Ok((rest, name))
}

/// A possibly qualified name `a.b.c` (transformation names, casts, custom methods).
fn qualified(i: &str) -> R<'_, &str> {
    take_while1(|c: char| c.is_alphanumeric() || c == '_' || c == '.').parse(i)
}

/// Length of the expression starting at `i`: up to a `,` or `)` outside brackets and
/// quotes, or whitespace followed by `with`, `from` or `as` and whitespace.
fn expression_length(i: &str) -> usize {
    let bytes = i.as_bytes();
    let mut depth = 0usize;
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'\'' => {
                // '…' with '' as the escaped quote.
                k += 1;
                while k < bytes.len() {
                    if bytes[k] == b'\'' {
                        if bytes.get(k + 1) == Some(&b'\'') {
                            k += 1;
                        } else {
                            break;
                        }
                    }
                    k += 1;
                }
            }
            b'"' => {
                k += 1;
                while k < bytes.len() && bytes[k] != b'"' {
                    if bytes[k] == b'\\' {
                        k += 1;
                    }
                    k += 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return k;
                }
                depth -= 1;
            }
            b',' if depth == 0 => return k,
            b' ' | b'\t' if depth == 0 => {
                let rest = &i[k..];
                if ["with", "from", "as"]
                    .iter()
                    .any(|kw| keyword(rest, kw).is_some())
                {
                    return k;
                }
            }
            _ => {}
        }
        k += 1;
    }
    bytes.len().min(i.len())
}

/// Length of the text up to the `)` closing an already opened parenthesis.
fn until_close(i: &str) -> usize {
    let mut n = 0;
    loop {
        n += expression_length(&i[n..]);
        match i[n..].chars().next() {
            // A top-level comma or keyword inside: part of the argument text.
            Some(c) if c != ')' => n += c.len_utf8(),
            _ => return n,
        }
    }
}

struct Parser_ {
    limits: ParseLimits,
}

impl Parser_ {
    /// Runs a query-option parser over `len` bytes at `i`, shifting its error position.
    fn delegate<'a, T>(
        &self,
        i: &'a str,
        len: usize,
        parse: impl FnOnce(&str, &ParseLimits) -> Result<T, ParseError>,
    ) -> R<'a, T> {
        let text = &i[..len];
        if text.trim().is_empty() {
            return fail(i, "expected an expression");
        }
        match parse(text, &self.limits) {
            Ok(v) => Ok((&i[len..], v)),
            Err(e) => {
                let byte = text
                    .char_indices()
                    .nth(e.offset)
                    .map_or(text.len(), |(b, _)| b);
                Err(Err::Failure(ApplyError {
                    rest: i.len() - byte,
                    message: Cow::Owned(e.message),
                }))
            }
        }
    }

    fn expr<'a>(&self, i: &'a str) -> R<'a, crate::query::ast::Expr> {
        self.delegate(i, expression_length(i), parse_expr)
    }

    fn enter(&self, i: &str, depth: usize) -> Result<usize, Err<ApplyError>> {
        if depth + 1 > self.limits.max_depth {
            return Err(Err::Failure(ApplyError {
                rest: i.len(),
                message: Cow::Owned(format!(
                    "nesting too deep (more than {} levels)",
                    self.limits.max_depth
                )),
            }));
        }
        Ok(depth + 1)
    }

    // applyExpr = applyTrafo *( "/" applyTrafo )
    fn apply_expr<'a>(&self, i: &'a str, depth: usize) -> R<'a, Apply> {
        let depth = self.enter(i, depth)?;
        let (mut i, first) = self.trafo(i, depth)?;
        let mut transformations = vec![first];
        while let Some(next) = i.strip_prefix('/') {
            let (rest, t) = self.trafo(next, depth)?;
            transformations.push(t);
            i = rest;
        }
        Ok((i, Apply { transformations }))
    }

    // applyTrafo = aggregateTrafo / computeTrafo / concatTrafo / groupbyTrafo / …
    fn trafo<'a>(&self, i: &'a str, depth: usize) -> R<'a, Transformation> {
        let Ok((after_name, written)) = qualified(i) else {
            return fail(i, "expected a transformation");
        };
        // OData 4.01 names are case-insensitive; custom (qualified) ones keep their case.
        let lowered = written.to_ascii_lowercase();
        let name = if written.contains('.') {
            written
        } else {
            lowered.as_str()
        };
        if name == "identity" {
            return Ok((after_name, Transformation::Identity));
        }
        let Some(args) = after_name.strip_prefix('(') else {
            return fail(after_name, format!("expected '(' after '{name}'"));
        };
        let args = bws(args);
        let (rest, t) = match name {
            "aggregate" => self.aggregate(args)?,
            "groupby" => self.groupby(args, depth)?,
            "filter" => {
                let (r, e) = self.delegate(args, until_close(args), parse_expr)?;
                (r, Transformation::Filter(e))
            }
            "compute" => self.compute(args)?,
            "search" => {
                let (r, s) = self.delegate(args, until_close(args), parse_search)?;
                (r, Transformation::Search(s))
            }
            "orderby" => {
                let (r, o) = self.delegate(args, until_close(args), parse_orderby)?;
                (r, Transformation::OrderBy(o))
            }
            "top" | "skip" => {
                let Ok((r, digits)) = digit1::<&str, ApplyError>(args) else {
                    return fail(
                        args,
                        format!("expected a non-negative integer in '{name}(…)'"),
                    );
                };
                let Ok(n) = digits.parse::<u64>() else {
                    return fail(args, "number too large");
                };
                let t = if name == "top" {
                    Transformation::Top(n)
                } else {
                    Transformation::Skip(n)
                };
                (bws(r), t)
            }
            "concat" => {
                let (mut r, first) = self.apply_expr(args, depth)?;
                let mut sequences = vec![first];
                while let Some(next) = bws(r).strip_prefix(',') {
                    let (r2, seq) = self.apply_expr(bws(next), depth)?;
                    sequences.push(seq);
                    r = r2;
                }
                if sequences.len() < 2 {
                    return fail(r, "expected ',' and a second transformation sequence");
                }
                (bws(r), Transformation::Concat(sequences))
            }
            "topcount" | "topsum" | "toppercent" | "bottomcount" | "bottomsum"
            | "bottompercent" => {
                let kind = match name {
                    "topcount" => TopBottomKind::TopCount,
                    "topsum" => TopBottomKind::TopSum,
                    "toppercent" => TopBottomKind::TopPercent,
                    "bottomcount" => TopBottomKind::BottomCount,
                    "bottomsum" => TopBottomKind::BottomSum,
                    _ => TopBottomKind::BottomPercent,
                };
                let (r, n) = self.expr(args)?;
                let Some(r) = bws(r).strip_prefix(',') else {
                    return fail(r, "expected ',' and the value to rank by");
                };
                let (r, value) = self.expr(bws(r))?;
                (bws(r), Transformation::TopBottom { kind, n, value })
            }
            "ancestors" | "descendants" | "traverse" if until_close(args) == 0 => {
                return fail(
                    args,
                    format!(
                        "'{name}' needs its arguments (a hierarchy, its qualifier, a node property, …)"
                    ),
                );
            }
            "join" | "outerjoin" => self.join(args, name == "outerjoin", depth)?,
            "nest" => self.nest(args, depth)?,
            "addnested" | "ancestors" | "descendants" | "traverse" => {
                self.unsupported(name, args)?
            }
            _ if name.contains('.') => self.unsupported(name, args)?,
            _ => return fail(i, format!("unknown transformation '{name}'")),
        };
        let (rest, _) = char(')')
            .parse(rest)
            .or_else(|_: Err<ApplyError>| fail(rest, format!("expected ')' closing '{name}('")))?;
        Ok((rest, t))
    }

    fn unsupported<'a>(&self, name: &str, args: &'a str) -> R<'a, Transformation> {
        let n = until_close(args);
        Ok((
            &args[n..],
            Transformation::Unsupported {
                name: name.to_owned(),
                arguments: args[..n].to_owned(),
            },
        ))
    }

    // joinTrafo = ( "join" / "outerjoin" ) OPEN BWS joinProperty asAlias [ BWS COMMA BWS applyExpr ] BWS CLOSE
    fn join<'a>(&self, i: &'a str, outer: bool, depth: usize) -> R<'a, Transformation> {
        let (r, path) = self.grouping_path(i)?;
        let (r, alias) = self.alias(r)?;
        let mut r = bws(r);
        let mut then = None;
        if let Some(next) = r.strip_prefix(',') {
            let (after, apply) = self.apply_expr(bws(next), depth)?;
            then = Some(apply);
            r = bws(after);
        }
        Ok((
            r,
            Transformation::Join {
                outer,
                path,
                alias,
                then,
            },
        ))
    }

    // nestTrafo = "nest" OPEN BWS applyExpr asAlias *( BWS COMMA BWS applyExpr asAlias ) BWS CLOSE
    fn nest<'a>(&self, i: &'a str, depth: usize) -> R<'a, Transformation> {
        let mut items = Vec::new();
        let mut i = i;
        loop {
            let (r, apply) = self.apply_expr(i, depth)?;
            let (r, alias) = self.alias(r)?;
            items.push(NestItem { apply, alias });
            match bws(r).strip_prefix(',') {
                Some(next) => i = bws(next),
                None => return Ok((bws(r), Transformation::Nest(items))),
            }
        }
    }

    // aggregateTrafo = "aggregate" OPEN BWS aggregateExpr *( BWS COMMA BWS aggregateExpr ) BWS CLOSE
    fn aggregate<'a>(&self, i: &'a str) -> R<'a, Transformation> {
        let mut items = Vec::new();
        let mut i = i;
        loop {
            let (rest, item) = self.aggregate_item(i)?;
            items.push(item);
            match bws(rest).strip_prefix(',') {
                Some(next) => i = bws(next),
                None => return Ok((bws(rest), Transformation::Aggregate(items))),
            }
        }
    }

    // aggregateExpr = aggregatableExpr aggregateWith [ aggregateFrom ] asAlias
    //               / aggregateCount [ aggregateFrom ] asAlias
    fn aggregate_item<'a>(&self, i: &'a str) -> R<'a, AggregateItem> {
        if let Ok((rest, _)) = tag::<&str, &str, ApplyError>("$count").parse(i)
            && keyword(rest, "as").is_some()
        {
            let (rest, alias) = self.alias(rest)?;
            return Ok((
                rest,
                AggregateItem {
                    kind: AggregateKind::Count,
                    alias,
                },
            ));
        }
        let (rest, expr) = self.expr(i)?;
        let Some(after_with) = keyword(rest, "with") else {
            let at = if keyword(rest, "as").is_some() {
                bws(rest)
            } else {
                rest
            };
            return fail(at, "expected ' with ' and an aggregation method");
        };
        let (mut rest, method) = self.method(after_with)?;
        let mut from = Vec::new();
        while let Some(after_from) = keyword(rest, "from") {
            let (r, paths) = self.grouping_paths(after_from)?;
            let Some(after_with) = keyword(r, "with") else {
                return fail(
                    r,
                    "expected ' with ' and an aggregation method after 'from'",
                );
            };
            let (r, m) = self.method(after_with)?;
            from.push((paths, m));
            rest = r;
        }
        let (rest, alias) = self.alias(rest)?;
        Ok((
            rest,
            AggregateItem {
                kind: AggregateKind::With { expr, method, from },
                alias,
            },
        ))
    }

    // aggregateMethod = "sum" / "min" / "max" / "average" / "countdistinct" / namespace "." odataIdentifier
    // (and this service's "count": the number of non-null values)
    fn method<'a>(&self, i: &'a str) -> R<'a, AggregateMethod> {
        let Ok((rest, name)) = qualified(i) else {
            return fail(
                i,
                "expected an aggregation method (sum, min, max, average, countdistinct, count)",
            );
        };
        let method = match name.to_ascii_lowercase().as_str() {
            "sum" => AggregateMethod::Sum,
            "min" => AggregateMethod::Min,
            "max" => AggregateMethod::Max,
            "average" => AggregateMethod::Average,
            "countdistinct" => AggregateMethod::CountDistinct,
            "count" => AggregateMethod::Count,
            custom if custom.contains('.') => AggregateMethod::Custom(custom.to_owned()),
            _ => {
                return fail(
                    i,
                    format!(
                        "unknown aggregation method '{name}' (expected sum, min, max, average, \
                         countdistinct, count or a qualified custom method)"
                    ),
                );
            }
        };
        Ok((rest, method))
    }

    // asAlias = RWS "as" RWS expressionAlias
    fn alias<'a>(&self, i: &'a str) -> R<'a, String> {
        let Some(at) = keyword(i, "as") else {
            return fail(i, "expected ' as ' and an alias");
        };
        match identifier(at) {
            Ok((rest, name)) => Ok((rest, name.to_owned())),
            Err(_) => fail(at, "expected an alias (an identifier)"),
        }
    }

    // groupingProperties = groupingProperty *( BWS COMMA BWS groupingProperty )
    fn grouping_paths<'a>(&self, i: &'a str) -> R<'a, Vec<GroupingPath>> {
        let mut out = Vec::new();
        let mut i = i;
        loop {
            let (rest, path) = self.grouping_path(i)?;
            out.push(path);
            match bws(rest).strip_prefix(',') {
                Some(next) => i = bws(next),
                None => return Ok((rest, out)),
            }
        }
    }

    // groupingProperty = [ aggrCastPath "/" ] ( snglPrimPath / snglPropPath )
    fn grouping_path<'a>(&self, i: &'a str) -> R<'a, GroupingPath> {
        let Ok((mut rest, first)) = qualified(i) else {
            return fail(i, "expected a property path");
        };
        let mut segments = vec![first.to_owned()];
        while let Some(next) = rest.strip_prefix('/') {
            let Ok((r, segment)) = qualified(next) else {
                return fail(next, "expected a property name after '/'");
            };
            segments.push(segment.to_owned());
            rest = r;
        }
        Ok((rest, GroupingPath { segments }))
    }

    // groupbyTrafo = "groupby" OPEN BWS groupbyList [ BWS COMMA BWS applyExpr ] BWS CLOSE
    // groupbyList  = OPEN BWS groupbyElement *( BWS COMMA BWS groupbyElement ) BWS CLOSE
    fn groupby<'a>(&self, i: &'a str, depth: usize) -> R<'a, Transformation> {
        let Some(list) = i.strip_prefix('(') else {
            return fail(i, "expected '(' and the grouping properties");
        };
        let mut r = bws(list);
        let mut items = Vec::new();
        let mut recursive = None;
        loop {
            let keyword = qualified(r).ok().and_then(|(after, name)| {
                let lowered = name.to_ascii_lowercase();
                let args = after.strip_prefix('(')?;
                (lowered == "rollup" || lowered == "rolluprecursive").then_some((lowered, args))
            });
            if let Some((name, args)) = keyword {
                if name == "rolluprecursive" {
                    let n = until_close(args);
                    recursive = Some(args[..n].to_owned());
                    let Some(after) = args[n..].strip_prefix(')') else {
                        return fail(&args[n..], "expected ')' closing 'rolluprecursive('");
                    };
                    r = after;
                } else {
                    let (after, item) = self.rollup(bws(args))?;
                    items.push(item);
                    r = after;
                }
            } else {
                let (after, path) = self.grouping_path(r)?;
                items.push(GroupingItem::Path(path));
                r = after;
            }
            match bws(r).strip_prefix(',') {
                Some(next) => r = bws(next),
                None => break,
            }
        }
        let Some(after_list) = bws(r).strip_prefix(')') else {
            return fail(bws(r), "expected ',' or ')' in the grouping properties");
        };
        let mut r = bws(after_list);
        let mut then = None;
        if let Some(next) = r.strip_prefix(',') {
            let (after, apply) = self.apply_expr(bws(next), depth)?;
            then = Some(apply);
            r = bws(after);
        }
        if let Some(arguments) = recursive {
            return Ok((
                r,
                Transformation::Unsupported {
                    name: "groupby with rolluprecursive".to_owned(),
                    arguments,
                },
            ));
        }
        if items
            .iter()
            .all(|item| matches!(item, GroupingItem::Path(_)))
        {
            let properties = items
                .into_iter()
                .filter_map(|item| match item {
                    GroupingItem::Path(path) => Some(path),
                    GroupingItem::Rollup { .. } => None,
                })
                .collect();
            return Ok((r, Transformation::GroupBy { properties, then }));
        }
        Ok((r, Transformation::GroupByRollup { items, then }))
    }

    // rollupSpec = "rollup" OPEN BWS ( "$all" / groupingProperty ) BWS COMMA BWS groupingProperty
    //              *( BWS COMMA BWS groupingProperty ) BWS CLOSE
    // (one argument alone: a named leveled hierarchy, which the service judges)
    fn rollup<'a>(&self, i: &'a str) -> R<'a, GroupingItem> {
        let (mut r, all) = match i.strip_prefix("$all") {
            Some(after) if !after.starts_with(|c: char| c.is_alphanumeric() || c == '_') => {
                let Some(next) = bws(after).strip_prefix(',') else {
                    return fail(
                        bws(after),
                        "expected ',' and a grouping property after '$all' in 'rollup('",
                    );
                };
                (bws(next), true)
            }
            _ => (i, false),
        };
        let (after, levels) = self.grouping_paths(r)?;
        r = bws(after);
        let Some(after) = r.strip_prefix(')') else {
            return fail(r, "expected ',' or ')' closing 'rollup('");
        };
        Ok((after, GroupingItem::Rollup { all, levels }))
    }

    // computeTrafo = "compute" OPEN BWS computeExpr *( BWS COMMA BWS computeExpr ) BWS CLOSE
    // computeExpr  = commonExpr asAlias
    fn compute<'a>(&self, i: &'a str) -> R<'a, Transformation> {
        let mut items = Vec::new();
        let mut i = i;
        loop {
            let (rest, expr) = self.expr(i)?;
            let (rest, alias) = self.alias(rest)?;
            items.push(ComputeItem { expr, alias });
            match bws(rest).strip_prefix(',') {
                Some(next) => i = bws(next),
                None => return Ok((bws(rest), Transformation::Compute(Compute { items }))),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::query::ast::Expr;

    fn ok(text: &str) -> Apply {
        parse_apply(text, &ParseLimits::default()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> ParseError {
        parse_apply(text, &ParseLimits::default()).unwrap_err()
    }

    #[test]
    fn transformation_names_are_case_insensitive() {
        let a = ok("TopSum(5,price)/Filter(price gt 1)/IDENTITY/GroupBy((a))");
        assert!(matches!(
            &a.transformations[0],
            Transformation::TopBottom {
                kind: TopBottomKind::TopSum,
                ..
            }
        ));
        assert!(matches!(&a.transformations[1], Transformation::Filter(_)));
        assert_eq!(a.transformations[2], Transformation::Identity);
        assert!(matches!(
            &a.transformations[3],
            Transformation::GroupBy { .. }
        ));
    }

    #[test]
    fn every_transformation_parses() {
        let a = ok("aggregate(price with sum as total,$count as n,price with countdistinct as d)");
        let Transformation::Aggregate(items) = &a.transformations[0] else {
            panic!()
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].kind, AggregateKind::Count);
        assert_eq!(items[0].alias, "total");
        assert!(matches!(
            &items[2].kind,
            AggregateKind::With {
                method: AggregateMethod::CountDistinct,
                ..
            }
        ));
        let a = ok("groupby((category,profile/name),aggregate($count as n)/filter(n gt 1))");
        let Transformation::GroupBy { properties, then } = &a.transformations[0] else {
            panic!()
        };
        assert_eq!(properties[1].segments, ["profile", "name"]);
        assert_eq!(then.as_ref().unwrap().transformations.len(), 2);
        let a = ok(
            "filter(price gt 5)/compute(price mul 2 as double, 'x' as y)/orderby(price desc,name)/skip(1)/top(2)/identity/search(blue)",
        );
        assert_eq!(a.transformations.len(), 7);
        assert!(
            matches!(a.transformations[1], Transformation::Compute(ref c) if c.items.len() == 2)
        );
        assert_eq!(a.transformations[3], Transformation::Skip(1));
        assert_eq!(a.transformations[4], Transformation::Top(2));
        assert_eq!(a.transformations[5], Transformation::Identity);
        let a = ok("concat(groupby((a)),aggregate($count as n)/top(1))");
        assert!(matches!(&a.transformations[0], Transformation::Concat(s) if s.len() == 2));
        for kind in [
            "topcount",
            "topsum",
            "toppercent",
            "bottomcount",
            "bottomsum",
            "bottompercent",
        ] {
            let a = ok(&format!("{kind}(2,price)"));
            assert!(
                matches!(&a.transformations[0], Transformation::TopBottom { kind: k, value: Expr::Path { .. }, .. } if k.name() == kind)
            );
        }
        let a = ok("aggregate(Amount with sum from Time with average as DailyAverage)");
        let Transformation::Aggregate(items) = &a.transformations[0] else {
            panic!()
        };
        assert!(matches!(&items[0].kind, AggregateKind::With { from, .. } if from.len() == 1));
        assert!(matches!(
            &ok("addnested(Sales,filter(a gt 1) as s)").transformations[0],
            Transformation::Unsupported { name, .. } if name == "addnested"
        ));
        assert!(matches!(
            &ok("groupby((rolluprecursive(H,ID)),aggregate($count as n))").transformations[0],
            Transformation::Unsupported { name, .. } if name == "groupby with rolluprecursive"
        ));
    }

    #[test]
    fn rollup_join_outerjoin_nest_and_count_parse() {
        let path = |s: &str| GroupingPath {
            segments: s.split('/').map(str::to_owned).collect(),
        };
        let a = ok("groupby((x, rollup(a/b, c),ROLLUP($all,d)),aggregate($count as n))");
        let Transformation::GroupByRollup { items, then } = &a.transformations[0] else {
            panic!("{a:?}")
        };
        assert_eq!(
            items,
            &[
                GroupingItem::Path(path("x")),
                GroupingItem::Rollup {
                    all: false,
                    levels: vec![path("a/b"), path("c")]
                },
                GroupingItem::Rollup {
                    all: true,
                    levels: vec![path("d")]
                },
            ]
        );
        assert!(then.is_some());
        // Two rollups: 2 levels times 2 levels.
        let sets: Vec<String> = GroupingItem::grouping_sets(items)
            .iter()
            .map(|s| {
                s.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        assert_eq!(sets, ["x,a/b,c,d", "x,a/b,c", "x,a/b,d", "x,a/b"]);
        // Without rollup it stays a plain groupby.
        assert!(matches!(
            &ok("groupby((a,b))").transformations[0],
            Transformation::GroupBy { .. }
        ));
        assert_eq!(
            ok("join(Sales/NS.Big as s,filter(Amount gt 1)/orderby(Amount))").transformations[0],
            Transformation::Join {
                outer: false,
                path: path("Sales/NS.Big"),
                alias: "s".into(),
                then: Some(ok("filter(Amount gt 1)/orderby(Amount)")),
            }
        );
        assert!(matches!(
            &ok("OuterJoin(Sales as s)/groupby((s/Amount))").transformations[0],
            Transformation::Join {
                outer: true,
                then: None,
                ..
            }
        ));
        let a = ok("nest(groupby((a)) as g, filter(b gt 1)/top(2) as t)");
        let Transformation::Nest(items) = &a.transformations[0] else {
            panic!("{a:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            (items[0].alias.as_str(), items[1].alias.as_str()),
            ("g", "t")
        );
        assert_eq!(items[1].apply.transformations.len(), 2);
        let a = ok("aggregate(price with COUNT as n)");
        assert!(matches!(
            &a.transformations[0],
            Transformation::Aggregate(items) if matches!(
                &items[0].kind,
                AggregateKind::With { method: AggregateMethod::Count, .. }
            )
        ));
        assert_eq!(AggregateMethod::Count.to_string(), "count");
        for (text, offset, message) in [
            ("join(Sales)", 10, "as"),
            ("join(Sales as)", 10, "as"),
            ("join(Sales as s,)", 16, "transformation"),
            ("nest(identity)", 13, "as"),
            ("groupby((rollup($all)))", 20, "after '$all'"),
            ("groupby((rollup(a,)))", 18, "property path"),
            ("groupby((rollup(a b)))", 18, "closing 'rollup('"),
        ] {
            let e = err(text);
            assert_eq!(e.offset, offset, "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
        }
    }

    #[test]
    fn strings_and_keywords_inside_expressions_do_not_split() {
        let a = ok("filter(contains(name,'x, with ) as'))/compute(concat(name,'as') as n)");
        assert_eq!(a.transformations.len(), 2);
    }

    #[test]
    fn errors_name_apply_and_the_position() {
        let e = err("aggregate(price with sum)");
        assert_eq!((e.option.as_str(), e.offset), ("$apply", 24));
        assert!(e.message.contains("as"), "{e}");
        assert_eq!(err("aggregate(price as total)").offset, 16);
        assert_eq!(err("aggregate(price)").offset, 15);
        assert_eq!(err("aggregate()").offset, 10);
        let e = err("frobnicate(x)");
        assert!(
            e.message.contains("unknown transformation 'frobnicate'"),
            "{e}"
        );
        assert_eq!(err("top(x)").offset, 4);
        assert_eq!(err("top(-1)").offset, 4);
        assert_eq!(err("filter(a eq)").offset, 11);
        assert_eq!(err("identity/").offset, 9);
        assert_eq!(err("identity/filter(a eq 1").offset, 22);
        assert!(
            err("aggregate(price with median as m)")
                .message
                .contains("median")
        );
        assert!(err("concat(identity)").message.contains("second"));
    }

    #[test]
    fn names_are_case_insensitive_and_arguments_checked() {
        assert_eq!(ok("GROUPBY((a))"), ok("groupby((a))"));
        assert_eq!(
            ok("Aggregate(price with Sum as t)"),
            ok("aggregate(price with sum as t)")
        );
        for (text, message) in [
            ("ancestors()", "needs its arguments"),
            ("traverse( )", "needs its arguments"),
        ] {
            let e = err(text);
            assert!(e.message.contains(message), "{text}: {}", e.message);
        }
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "concat(".repeat(200) + "identity" + &",identity)".repeat(200);
        assert!(err(&deep).message.contains("nesting too deep"));
    }
}
