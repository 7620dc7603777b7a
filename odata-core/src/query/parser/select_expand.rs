//! `$select` and `$expand` (2. Query Options), with their nested options.

use super::compute::compute_list;
use super::expr::{annotation_name, commit, common_expr};
use super::options::{bool_value, unsigned_value};
use super::orderby::orderby_list;
use super::search::search_expr;
use super::{
    Ctx, PResult, close_at, comma_then_bws, expect_char, is_identifier, keyword, keyword_ci, list1,
    odata_identifier, qualified_name, run,
};
use crate::query::ast::{
    Expand, ExpandItem, ExpandKind, Levels, NestedOptions, PathName, Select, SelectItem,
};
use crate::query::error::{ParseError, ParseErrorKind, ParseLimits};
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::char;
use nom::combinator::{cut, map, opt, value};
use nom::sequence::{delimited, preceded, terminated};

/// Parses a complete `$select` value (decoded).
pub fn parse_select(text: &str, limits: &ParseLimits) -> Result<Select, ParseError> {
    run("$select", text, limits, |c, i| select_list(c, i, 0))
}

/// Parses a complete `$expand` value (decoded).
pub fn parse_expand(text: &str, limits: &ParseLimits) -> Result<Expand, ParseError> {
    run("$expand", text, limits, |c, i| expand_list(c, i, 0))
}

/// Where a nested option list appears; decides which options are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NestedKind {
    /// `nav(…)`: expandOption.
    Expand,
    /// `nav/$ref(…)`: expandRefOption.
    Ref,
    /// `nav/$count(…)` and `path/$count(…)` in expressions: expandCountOption.
    Count,
    /// `*(…)`: only `$levels`.
    Star,
    /// `$select=prop(…)`: selectOption.
    Select,
}

impl NestedKind {
    fn describe(self) -> &'static str {
        match self {
            NestedKind::Expand => "an expanded navigation property",
            NestedKind::Ref => "$ref",
            NestedKind::Count => "$count",
            NestedKind::Star => "an expanded '*'",
            NestedKind::Select => "a selected property",
        }
    }

    // expandCountOption = filter / search
    // expandRefOption   = expandCountOption / orderby / skip / top / inlinecount
    // expandOption      = expandRefOption / select / expand / compute / levels / aliasAndValue
    // selectOptionPC    = filter / search / inlinecount / orderby / skip / top
    // selectOption      = selectOptionPC / compute / select / aliasAndValue
    fn allows(self, option: &str) -> bool {
        match self {
            NestedKind::Count => matches!(option, "$filter" | "$search"),
            NestedKind::Ref => matches!(
                option,
                "$filter" | "$search" | "$orderby" | "$skip" | "$top" | "$count"
            ),
            NestedKind::Star => option == "$levels",
            NestedKind::Select => matches!(
                option,
                "$filter"
                    | "$search"
                    | "$count"
                    | "$orderby"
                    | "$skip"
                    | "$top"
                    | "$compute"
                    | "$select"
                    | "@"
            ),
            NestedKind::Expand => true,
        }
    }
}

/// Stores `value` in `slot` unless the option was given already.
fn set<'a, T>(ctx: &Ctx<'_>, at: &'a str, slot: &mut Option<T>, value: T) -> PResult<'a, ()> {
    if slot.is_some() {
        return ctx.fail_kind(
            at,
            ParseErrorKind::DuplicateOption,
            "query option specified more than once",
        );
    }
    *slot = Some(value);
    Ok((at, ()))
}

// OPEN expandOption *( SEMI expandOption ) CLOSE    (and the Ref/Count/select variants)
/// A parenthesised, `;`-separated option list at `i` (which starts with `(`).
pub fn nested_options<'a>(
    ctx: &Ctx<'_>,
    i: &'a str,
    kind: NestedKind,
    depth: usize,
) -> PResult<'a, Box<NestedOptions>> {
    let depth = ctx.enter(i, depth)?;
    let mut opts = NestedOptions::default();
    let (rest, _) = delimited(
        |x| expect_char(ctx, x, '('),
        list1(|x| nested_option(ctx, x, kind, depth, &mut opts), char(';')),
        close_at(ctx, ')', "expected ';' or ')'"),
    )
    .parse(i)?;
    Ok((rest, Box::new(opts)))
}

// filter = ( "$filter" / "filter" ) EQ boolCommonExpr    (every option likewise)
// aliasAndValue = parameterAlias EQ parameterValue
/// One nested option, stored into `opts`.
fn nested_option<'a>(
    ctx: &Ctx<'_>,
    opt_start: &'a str,
    kind: NestedKind,
    depth: usize,
    opts: &mut NestedOptions,
) -> PResult<'a, ()> {
    if let Some(after_at) = opt_start.strip_prefix('@') {
        if !kind.allows("@") {
            return ctx.fail_kind(
                opt_start,
                ParseErrorKind::OptionNotAllowed,
                format!("parameter aliases are not allowed in {}", kind.describe()),
            );
        }
        let (after, (name, (), value)) = (
            cut(|x| odata_identifier(ctx, x)),
            |x| expect_char(ctx, x, '='),
            cut(|x| common_expr(ctx, x, depth)),
        )
            .parse(after_at)?;
        if opts.aliases.iter().any(|(n, _)| n == name) {
            return ctx.fail_kind(
                opt_start,
                ParseErrorKind::DuplicateOption,
                "parameter alias specified more than once",
            );
        }
        opts.aliases.push((name.to_owned(), value));
        return Ok((after, ()));
    }
    // 4.01: the `$` is optional and names are case-insensitive (`filter=`, `$Filter=`).
    let name = alt((
        preceded(char('$'), cut(|x| odata_identifier(ctx, x))),
        |x| odata_identifier(ctx, x),
    ))
    .parse(opt_start);
    let (after, name) = match name {
        Ok(v) => v,
        Err(nom::Err::Failure(e)) => return Err(nom::Err::Failure(e)),
        Err(_) => {
            return ctx.fail(
                opt_start,
                "expected a query option such as $filter or $select",
            );
        }
    };
    let option = format!("${}", name.to_ascii_lowercase());
    let known = matches!(
        option.as_str(),
        "$filter"
            | "$search"
            | "$count"
            | "$orderby"
            | "$skip"
            | "$top"
            | "$select"
            | "$expand"
            | "$compute"
            | "$levels"
    );
    if !known {
        let written = &opt_start[..opt_start.len() - after.len()];
        return ctx.fail_kind(
            opt_start,
            ParseErrorKind::UnknownOption,
            format!("unknown nested query option {written}"),
        );
    }
    if !kind.allows(&option) {
        return ctx.fail_kind(
            opt_start,
            ParseErrorKind::OptionNotAllowed,
            format!("{option} is not allowed in {}", kind.describe()),
        );
    }
    let (v, ()) = expect_char(ctx, after, '=')?;
    let at = opt_start;
    let rest = match option.as_str() {
        "$filter" => {
            let (a, e) = commit(common_expr(ctx, v, depth))?;
            set(ctx, at, &mut opts.filter, e)?;
            a
        }
        "$search" => {
            let (a, e) = commit(search_expr(ctx, v, depth))?;
            set(ctx, at, &mut opts.search, e)?;
            a
        }
        "$count" => {
            let (a, b) = bool_value(ctx, v)?;
            set(ctx, at, &mut opts.count, b)?;
            a
        }
        "$orderby" => {
            let (a, o) = commit(orderby_list(ctx, v, depth))?;
            set(ctx, at, &mut opts.orderby, o)?;
            a
        }
        "$skip" => {
            let (a, n) = unsigned_value(ctx, v)?;
            set(ctx, at, &mut opts.skip, n)?;
            a
        }
        "$top" => {
            let (a, n) = unsigned_value(ctx, v)?;
            set(ctx, at, &mut opts.top, n)?;
            a
        }
        "$select" => {
            let (a, s) = commit(select_list(ctx, v, depth))?;
            set(ctx, at, &mut opts.select, s)?;
            a
        }
        "$expand" => {
            let (a, e) = commit(expand_list(ctx, v, depth))?;
            set(ctx, at, &mut opts.expand, e)?;
            a
        }
        "$compute" => {
            let (a, c) = commit(compute_list(ctx, v, depth))?;
            set(ctx, at, &mut opts.compute, c)?;
            a
        }
        _ => {
            let (a, l) = levels_value(ctx, v)?;
            set(ctx, at, &mut opts.levels, l)?;
            a
        }
    };
    Ok((rest, ()))
}

// levels = ( "$levels" / "levels" ) EQ ( oneToNine *DIGIT / "max" )
fn levels_value<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Levels> {
    if let Ok(v) = value(Levels::Max, keyword_ci("max")).parse(i) {
        return Ok(v);
    }
    if i.starts_with('0') {
        return ctx.fail(
            i,
            "expected a positive number without leading zeros or 'max'",
        );
    }
    let (r, n) = unsigned_value(ctx, i)?;
    match u32::try_from(n) {
        Ok(n) => Ok((r, Levels::Number(n))),
        Err(_) => ctx.fail_kind(i, ParseErrorKind::InvalidLiteral, "$levels value too large"),
    }
}

// select = ( "$select" / "select" ) EQ selectItem *( COMMA selectItem )
/// The items of a `$select` value (whitespace after commas is tolerated).
pub fn select_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Select> {
    map(
        list1(|x| select_item(ctx, x, depth), comma_then_bws),
        |items| Select { items },
    )
    .parse(i)
}

// selectItem = STAR / allOperationsInSchema / selectProperty
//            / optionallyQualifiedActionName / optionallyQualifiedFunctionName
//            / ( optionallyQualifiedEntityTypeName / optionallyQualifiedComplexTypeName )
//              "/" ( selectProperty / optionallyQualifiedActionName / optionallyQualifiedFunctionName )
// selectProperty = primitiveProperty / primitiveAnnotationInQuery
//                / ( primitiveColProperty / primitiveColAnnotationInQuery ) [ OPEN selectOptionPC *( SEMI selectOptionPC ) CLOSE ]
//                / navigationProperty
//                / selectPath [ OPEN selectOption *( SEMI selectOption ) CLOSE / "/" selectProperty ]
// allOperationsInSchema = namespace "." STAR
// optionallyQualifiedFunctionName = [ namespace "." ] function [ OPEN parameterNames CLOSE ]
fn select_item<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, SelectItem> {
    ctx.node(i)?;
    let star = value(SelectItem::Star, char('*'));
    let all_operations = map(
        terminated(|x| qualified_name(ctx, x), tag(".*")),
        |ns: &str| SelectItem::AllOperations {
            namespace: ns.to_owned(),
        },
    );
    let path = |x: &'a str| -> PResult<'a, SelectItem> {
        let (r, segments) = path_names(ctx, x, false)?;
        let (r, options) = if r.starts_with('(') {
            nested_options(ctx, r, NestedKind::Select, depth)?
        } else {
            (r, Box::default())
        };
        Ok((r, SelectItem::Path { segments, options }))
    };
    alt((star, all_operations, path)).parse(i)
}

/// True if `(` at `i` opens a parameter-name list (not nested options).
fn parameter_list_ahead(i: &str) -> bool {
    let Some(inner) = i.strip_prefix('(') else {
        return false;
    };
    let end = inner
        .find(|c: char| !super::is_ident_char(c))
        .unwrap_or(inner.len());
    is_identifier(&inner[..end]) && matches!(inner[end..].chars().next(), Some(',') | Some(')'))
}

// parameterNames = parameterName *( COMMA parameterName )
fn parameter_names<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Vec<String>> {
    let name = map(cut(|x| odata_identifier(ctx, x)), str::to_owned);
    delimited(
        |x| expect_char(ctx, x, '('),
        list1(name, char(',')),
        |x| expect_char(ctx, x, ')'),
    )
    .parse(i)
}

/// `/`-separated names of a select or expand path. With `expand`, a `*` segment and the
/// `/$ref` / `/$count` suffixes end the path (left for the caller).
fn path_names<'a>(ctx: &Ctx<'_>, i: &'a str, expand: bool) -> PResult<'a, Vec<PathName>> {
    let mut segments = Vec::new();
    let mut r = i;
    loop {
        if expand && let Some(after) = r.strip_prefix('*') {
            segments.push(PathName::Star);
            return Ok((after, segments));
        }
        let seg_start = r;
        let (after, seg) = if let Some(a) = r.strip_prefix('@') {
            let (a, name) = annotation_name(ctx, a)?;
            (a, PathName::Annotation(name))
        } else {
            let (a, name) = match qualified_name(ctx, r) {
                Ok(v) => v,
                Err(_) if segments.is_empty() => {
                    return ctx.err(r, "expected a property path, '*' or a qualified name");
                }
                Err(_) => return ctx.fail(r, "expected a property name after '/'"),
            };
            if !expand && parameter_list_ahead(a) {
                let (a, parameters) = parameter_names(ctx, a)?;
                let name = name.to_owned();
                (a, PathName::Operation { name, parameters })
            } else {
                (a, PathName::Name(name.to_owned()))
            }
        };
        ctx.node(seg_start)?;
        segments.push(seg);
        r = after;
        let Some(next) = r.strip_prefix('/') else {
            return Ok((r, segments));
        };
        let suffix = alt((keyword("$ref"), keyword("$count")));
        if expand && preceded(char('/'), suffix).parse(r).is_ok() {
            return Ok((r, segments));
        }
        r = next;
    }
}

// expand = ( "$expand" / "expand" ) EQ expandItem *( COMMA expandItem )
/// The items of an `$expand` value (whitespace after commas is tolerated).
pub fn expand_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expand> {
    map(
        list1(|x| expand_item(ctx, x, depth), comma_then_bws),
        |items| Expand { items },
    )
    .parse(i)
}

// expandItem = "$value" / expandPath / optionallyQualifiedEntityTypeName "/" expandPath
// expandPath = ( STAR [ ref / OPEN levels CLOSE ]
//              / ( navigationProperty / entityAnnotationInQuery ) [ "/" optionallyQualifiedEntityTypeName ]
//                [ ref [ OPEN expandRefOption *( SEMI expandRefOption ) CLOSE ]
//                / count [ OPEN expandCountOption *( SEMI expandCountOption ) CLOSE ]
//                / OPEN expandOption *( SEMI expandOption ) CLOSE ]
//              / ( complexProperty / complexColProperty / optionallyQualifiedComplexTypeName / complexAnnotationInQuery ) "/" expandPath
//              / streamProperty )
// ref   = %s"/$ref"
// count = %s"/$count"
fn expand_item<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, ExpandItem> {
    ctx.node(i)?;
    if let Ok((r, _)) = keyword("$value").parse(i) {
        return Ok((r, ExpandItem::Value));
    }
    let (r, segments) = path_names(ctx, i, true)?;
    let star = segments.last() == Some(&PathName::Star);
    let mut suffix = opt(alt((
        value(ExpandKind::Ref, tag("/$ref")),
        value(ExpandKind::Count, tag("/$count")),
    )));
    let (after, kind) = suffix.parse(r)?;
    let kind = kind.unwrap_or(ExpandKind::Entities);
    if star && kind == ExpandKind::Count {
        return ctx.fail(r, "'*' cannot be combined with /$count");
    }
    let r = after;
    let nested_kind = match (star, kind) {
        (true, ExpandKind::Ref) => None,
        (true, _) => Some(NestedKind::Star),
        (false, ExpandKind::Ref) => Some(NestedKind::Ref),
        (false, ExpandKind::Count) => Some(NestedKind::Count),
        (false, ExpandKind::Entities) => Some(NestedKind::Expand),
    };
    let (r, options) = match nested_kind {
        Some(nk) if r.starts_with('(') => nested_options(ctx, r, nk, depth)?,
        _ => (r, Box::default()),
    };
    Ok((
        r,
        ExpandItem::Path {
            segments,
            kind,
            options,
        },
    ))
}
