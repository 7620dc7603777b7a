//! `$select` and `$expand` (2. Query Options), with their nested options.

use super::compute::compute_list;
use super::expr::{annotation_name, commit, common_expr};
use super::options::{bool_value, unsigned_value};
use super::orderby::orderby_list;
use super::search::search_expr;
use super::{
    Ctx, PResult, bws, expect_char, is_identifier, keyword, odata_identifier, qualified_name, run,
    tag_ci,
};
use crate::query::ast::{
    Expand, ExpandItem, ExpandKind, Levels, NestedOptions, PathName, Select, SelectItem,
};
use crate::query::error::{ParseError, ParseLimits};

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
        return ctx.fail(at, "query option specified more than once");
    }
    *slot = Some(value);
    Ok((at, ()))
}

// OPEN expandOption *( SEMI expandOption ) CLOSE    (and the Ref/Count/select variants)
// filter = ( "$filter" / "filter" ) EQ boolCommonExpr    (every option likewise)
// levels = ( "$levels" / "levels" ) EQ ( oneToNine *DIGIT / "max" )
// aliasAndValue = parameterAlias EQ parameterValue
/// A parenthesised, `;`-separated option list at `i` (which starts with `(`).
pub fn nested_options<'a>(
    ctx: &Ctx<'_>,
    i: &'a str,
    kind: NestedKind,
    depth: usize,
) -> PResult<'a, Box<NestedOptions>> {
    let depth = ctx.enter(i, depth)?;
    let (mut r, ()) = expect_char(ctx, i, '(')?;
    let mut opts = NestedOptions::default();
    loop {
        let opt_start = r;
        if let Some(after_at) = r.strip_prefix('@') {
            if !kind.allows("@") {
                return ctx.fail(
                    opt_start,
                    format!("parameter aliases are not allowed in {}", kind.describe()),
                );
            }
            let (after, name) = commit(odata_identifier(ctx, after_at))?;
            let (after, ()) = expect_char(ctx, after, '=')?;
            let (after, value) = commit(common_expr(ctx, after, depth))?;
            if opts.aliases.iter().any(|(n, _)| n == name) {
                return ctx.fail(opt_start, "parameter alias specified more than once");
            }
            opts.aliases.push((name.to_owned(), value));
            r = after;
        } else {
            // 4.01: the `$` is optional and names are case-insensitive (`filter=`, `$Filter=`).
            let (after, name) = match r.strip_prefix('$') {
                Some(after_dollar) => commit(odata_identifier(ctx, after_dollar))?,
                None => match odata_identifier(ctx, r) {
                    Ok(v) => v,
                    Err(_) => {
                        return ctx.fail(r, "expected a query option such as $filter or $select");
                    }
                },
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
                let written = opt_start
                    .get(..opt_start.len() - after.len())
                    .unwrap_or(name);
                return ctx.fail(opt_start, format!("unknown nested query option {written}"));
            }
            if !kind.allows(&option) {
                return ctx.fail(
                    opt_start,
                    format!("{option} is not allowed in {}", kind.describe()),
                );
            }
            let (v, ()) = expect_char(ctx, after, '=')?;
            r = match option.as_str() {
                "$filter" => {
                    let (a, e) = commit(common_expr(ctx, v, depth))?;
                    set(ctx, opt_start, &mut opts.filter, e)?;
                    a
                }
                "$search" => {
                    let (a, e) = commit(search_expr(ctx, v, depth))?;
                    set(ctx, opt_start, &mut opts.search, e)?;
                    a
                }
                "$count" => {
                    let (a, b) = bool_value(ctx, v)?;
                    set(ctx, opt_start, &mut opts.count, b)?;
                    a
                }
                "$orderby" => {
                    let (a, o) = commit(orderby_list(ctx, v, depth))?;
                    set(ctx, opt_start, &mut opts.orderby, o)?;
                    a
                }
                "$skip" => {
                    let (a, n) = unsigned_value(ctx, v)?;
                    set(ctx, opt_start, &mut opts.skip, n)?;
                    a
                }
                "$top" => {
                    let (a, n) = unsigned_value(ctx, v)?;
                    set(ctx, opt_start, &mut opts.top, n)?;
                    a
                }
                "$select" => {
                    let (a, s) = commit(select_list(ctx, v, depth))?;
                    set(ctx, opt_start, &mut opts.select, s)?;
                    a
                }
                "$expand" => {
                    let (a, e) = commit(expand_list(ctx, v, depth))?;
                    set(ctx, opt_start, &mut opts.expand, e)?;
                    a
                }
                "$compute" => {
                    let (a, c) = commit(compute_list(ctx, v, depth))?;
                    set(ctx, opt_start, &mut opts.compute, c)?;
                    a
                }
                _ => {
                    let (a, l) = levels_value(ctx, v)?;
                    set(ctx, opt_start, &mut opts.levels, l)?;
                    a
                }
            };
        }
        if let Some(next) = r.strip_prefix(';') {
            r = next;
        } else if let Some(end) = r.strip_prefix(')') {
            return Ok((end, Box::new(opts)));
        } else {
            return ctx.fail(r, "expected ';' or ')'");
        }
    }
}

// levels = ( "$levels" / "levels" ) EQ ( oneToNine *DIGIT / "max" )
fn levels_value<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Levels> {
    if let Some(r) = tag_ci(i, "max")
        && !super::ident_continues(r)
    {
        return Ok((r, Levels::Max));
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
        Err(_) => ctx.fail(i, "$levels value too large"),
    }
}

/// Comma-separated list items: `COMMA` (leniently followed by whitespace).
fn list_separator(i: &str) -> Option<&str> {
    i.strip_prefix(',').map(bws)
}

// select = ( "$select" / "select" ) EQ selectItem *( COMMA selectItem )
/// The items of a `$select` value.
pub fn select_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Select> {
    let mut items = Vec::new();
    let mut r = i;
    loop {
        let (after, item) = select_item(ctx, r, depth)?;
        items.push(item);
        match list_separator(after) {
            Some(next) => r = next,
            None => return Ok((after, Select { items })),
        }
    }
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
    if let Some(r) = i.strip_prefix('*') {
        return Ok((r, SelectItem::Star));
    }
    if let Ok((r, ns)) = qualified_name(ctx, i)
        && let Some(r) = r.strip_prefix(".*")
    {
        return Ok((
            r,
            SelectItem::AllOperations {
                namespace: ns.to_owned(),
            },
        ));
    }
    let (r, segments) = path_names(ctx, i, false)?;
    let (r, options) = if r.starts_with('(') {
        nested_options(ctx, r, NestedKind::Select, depth)?
    } else {
        (r, Box::default())
    };
    Ok((r, SelectItem::Path { segments, options }))
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
    let (mut r, ()) = expect_char(ctx, i, '(')?;
    let mut names = Vec::new();
    loop {
        let (after, name) = commit(odata_identifier(ctx, r))?;
        names.push(name.to_owned());
        if let Some(next) = after.strip_prefix(',') {
            r = next;
        } else {
            let (after, ()) = expect_char(ctx, after, ')')?;
            return Ok((after, names));
        }
    }
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
                (
                    a,
                    PathName::Operation {
                        name: name.to_owned(),
                        parameters,
                    },
                )
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
        if expand && (keyword(next, "$ref").is_some() || keyword(next, "$count").is_some()) {
            return Ok((r, segments));
        }
        r = next;
    }
}

// expand = ( "$expand" / "expand" ) EQ expandItem *( COMMA expandItem )
/// The items of an `$expand` value.
pub fn expand_list<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expand> {
    let mut items = Vec::new();
    let mut r = i;
    loop {
        let (after, item) = expand_item(ctx, r, depth)?;
        items.push(item);
        match list_separator(after) {
            Some(next) => r = next,
            None => return Ok((after, Expand { items })),
        }
    }
}

// expandItem = "$value" / expandPath / optionallyQualifiedEntityTypeName "/" expandPath
// expandPath = ( STAR [ ref / OPEN levels CLOSE ]
//              / ( navigationProperty / entityAnnotationInQuery ) [ "/" optionallyQualifiedEntityTypeName ]
//                [ ref [ OPEN expandRefOption *( SEMI expandRefOption ) CLOSE ]
//                / count [ OPEN expandCountOption *( SEMI expandCountOption ) CLOSE ]
//                / OPEN expandOption *( SEMI expandOption ) CLOSE ]
//              / ( complexProperty / complexColProperty / optionallyQualifiedComplexTypeName / complexAnnotationInQuery ) "/" expandPath
//              / streamProperty )
fn expand_item<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, ExpandItem> {
    ctx.node(i)?;
    if let Some(r) = keyword(i, "$value") {
        return Ok((r, ExpandItem::Value));
    }
    let (mut r, segments) = path_names(ctx, i, true)?;
    let star = segments.last() == Some(&PathName::Star);
    let mut kind = ExpandKind::Entities;
    if let Some(after) = r.strip_prefix("/$ref") {
        kind = ExpandKind::Ref;
        r = after;
    } else if let Some(after) = r.strip_prefix("/$count") {
        if star {
            return ctx.fail(r, "'*' cannot be combined with /$count");
        }
        kind = ExpandKind::Count;
        r = after;
    }
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
