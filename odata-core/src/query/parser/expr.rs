//! 4. Expressions: `commonExpr` / `boolCommonExpr` for `$filter`, `$orderby`, `$compute`.
//!
//! The ABNF nests one optional operator per level and encodes no precedence, so the tree is
//! built by precedence climbing over [`BinaryOp::precedence`]:
//! `or` < `and` < `not` < comparison (`eq ne gt ge lt le has in`) < additive (`add sub`) <
//! multiplicative (`mul div divby mod`) < unary `-` < primary. Operators associate to the
//! left; like all 4.01 keywords they are matched case-insensitively (`EQ`, `And`). Function calls are accepted generically by name;
//! the binder checks names and arity.

use super::literal::primitive_literal;
use super::select_expand::{NestedKind, nested_options};
use super::{
    Ctx, PResult, bws, expect_char, is_identifier, keyword, odata_identifier, qualified_name, run,
    rws,
};
use crate::query::ast::{BinaryOp, CaseBranch, Expr, Lambda, NamedArg, Segment, UnaryOp};
use crate::query::error::{ParseError, ParseLimits};
use nom::Err;

/// Turns a recoverable error into a committed one (nom's `cut`).
pub fn commit<T>(r: PResult<'_, T>) -> PResult<'_, T> {
    r.map_err(|e| match e {
        Err::Error(e) => Err::Failure(e),
        other => other,
    })
}

/// Parses a complete `$filter` value (decoded).
pub fn parse_filter(text: &str, limits: &ParseLimits) -> Result<Expr, ParseError> {
    run("$filter", text, limits, |c, i| common_expr(c, i, 0))
}

/// Parses a complete common expression (decoded), e.g. a parameter alias value.
pub fn parse_expr(text: &str, limits: &ParseLimits) -> Result<Expr, ParseError> {
    run("expression", text, limits, |c, i| common_expr(c, i, 0))
}

// commonExpr = ( primitiveLiteral / arrayOrObject / rootExpr / functionExpr / negateExpr
//              / methodCallExpr / parenExpr / castExpr / isofExpr / notExpr / firstMemberExpr )
//              [ addExpr / subExpr / mulExpr / divExpr / divbyExpr / modExpr ]
//              [ eqExpr / neExpr / ltExpr / leExpr / gtExpr / geExpr / hasExpr / inExpr ]
//              [ andExpr / orExpr ]
// boolCommonExpr = commonExpr ; resulting in a Boolean
/// One common expression (one nesting level).
pub fn common_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let depth = ctx.enter(i, depth)?;
    binary_expr(ctx, i, 0, depth)
}

// andExpr = RWS "and" RWS boolCommonExpr   orExpr = RWS "or" RWS boolCommonExpr
// eqExpr  = RWS "eq"  RWS commonExpr  (ne lt le gt ge likewise)
// hasExpr = RWS "has" RWS enumLiteral     inExpr = RWS "in" RWS ( listExpr / commonExpr )
// addExpr = RWS "add" RWS commonExpr  (sub mul div divby mod likewise)
/// `RWS op RWS` at `i`: the input after it and the operator.
fn binary_op(i: &str) -> Option<(&str, BinaryOp)> {
    let r = rws(i)?;
    BinaryOp::ALL.iter().find_map(|&op| {
        let after = super::tag_ci(r, op.keyword())?;
        Some((rws(after)?, op))
    })
}

/// Precedence climbing: operands joined by operators binding at least `min_prec`.
fn binary_expr<'a>(ctx: &Ctx<'_>, i: &'a str, min_prec: u8, depth: usize) -> PResult<'a, Expr> {
    let start = i;
    let (mut rest, mut left) = unary_expr(ctx, i, depth)?;
    while let Some((after, op)) = binary_op(rest) {
        let prec = op.precedence();
        if prec < min_prec {
            break;
        }
        let (r, right) = if op == BinaryOp::In {
            commit(in_operand(ctx, after, depth))?
        } else {
            commit(binary_expr(ctx, after, prec + 1, depth))?
        };
        ctx.node(rest)?;
        left = Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
            span: ctx.span(start, r),
        };
        rest = r;
    }
    if let Some(op) = dangling_op(rest) {
        return ctx.fail("", format!("expected an operand after '{}'", op.keyword()));
    }
    Ok((rest, left))
}

/// An operator keyword at the very end of the input (`a eq`).
fn dangling_op(i: &str) -> Option<BinaryOp> {
    let r = rws(i)?;
    BinaryOp::ALL.iter().copied().find(|op| {
        super::tag_ci(r, op.keyword())
            .is_some_and(|a| a.trim_start_matches(super::is_ws).is_empty())
    })
}

// inExpr   = RWS "in" RWS ( listExpr / commonExpr )
// listExpr = OPEN BWS [ primitiveLiteral BWS *( COMMA BWS primitiveLiteral BWS ) ] CLOSE
/// The right operand of `in`: a literal list, or an operand such as `@alias` or `[…]`.
fn in_operand<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    if i.starts_with('(') {
        match list_expr(ctx, i) {
            Ok(v) => return Ok(v),
            Err(Err::Error(_)) => {}
            Err(e) => return Err(e),
        }
    }
    binary_expr(ctx, i, BinaryOp::In.precedence() + 1, depth)
}

fn list_expr<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Expr> {
    let Some(mut r) = i.strip_prefix('(') else {
        return ctx.err(i, "expected '('");
    };
    r = bws(r);
    let mut items = Vec::new();
    if let Some(end) = r.strip_prefix(')') {
        ctx.node(i)?;
        return Ok((
            end,
            Expr::List {
                items,
                span: ctx.span(i, end),
            },
        ));
    }
    loop {
        let item_start = r;
        let (after, lit) = primitive_literal(ctx, r)?;
        ctx.node(item_start)?;
        items.push(Expr::Literal {
            value: lit,
            span: ctx.span(item_start, after),
        });
        r = bws(after);
        if let Some(next) = r.strip_prefix(',') {
            r = bws(next);
        } else if let Some(end) = r.strip_prefix(')') {
            ctx.node(i)?;
            return Ok((
                end,
                Expr::List {
                    items,
                    span: ctx.span(i, end),
                },
            ));
        } else {
            return ctx.err(r, "expected ',' or ')'");
        }
    }
}

// notExpr    = "not" RWS boolCommonExpr
// negateExpr = "-" BWS commonExpr
/// Prefix operators, then a primary expression.
fn unary_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    if let Some(r) = super::tag_ci(i, "not") {
        let after = rws(r).or_else(|| r.starts_with('(').then_some(r));
        if let Some(after) = after {
            let depth = ctx.enter(i, depth)?;
            let (rest, operand) = commit(binary_expr(ctx, after, UNARY_NOT_OPERAND, depth))?;
            ctx.node(i)?;
            return Ok((
                rest,
                Expr::Unary {
                    op: UnaryOp::Not,
                    operand: Box::new(operand),
                    span: ctx.span(i, rest),
                },
            ));
        }
    }
    if let Some(r) = i.strip_prefix('-') {
        match primitive_literal(ctx, i) {
            Ok((rest, value)) => {
                ctx.node(i)?;
                let span = ctx.span(i, rest);
                return Ok((rest, Expr::Literal { value, span }));
            }
            Err(Err::Error(_)) => {}
            Err(e) => return Err(e),
        }
        let depth = ctx.enter(i, depth)?;
        let (rest, operand) = commit(unary_expr(ctx, bws(r), depth))?;
        ctx.node(i)?;
        return Ok((
            rest,
            Expr::Unary {
                op: UnaryOp::Neg,
                operand: Box::new(operand),
                span: ctx.span(i, rest),
            },
        ));
    }
    primary_expr(ctx, i, depth)
}

/// `not` takes everything that binds tighter than `and` (comparisons and above).
const UNARY_NOT_OPERAND: u8 = 4;

/// Primary expressions: parentheses, JSON, `@…`, `$it`/`$this`/`$root`, literals, paths
/// and calls.
fn primary_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    match i.chars().next() {
        Some('(') => return paren_expr(ctx, i, depth),
        Some('[') => return array(ctx, i, depth),
        Some('{') => return object(ctx, i, depth),
        Some('@') => return at_expr(ctx, i, depth),
        Some('$') => return dollar_expr(ctx, i, depth),
        None => return ctx.err(i, "expected an expression"),
        _ => {}
    }
    match primitive_literal(ctx, i) {
        Ok((rest, value)) => {
            ctx.node(i)?;
            let span = ctx.span(i, rest);
            return Ok((rest, Expr::Literal { value, span }));
        }
        Err(Err::Error(_)) => {}
        Err(e) => return Err(e),
    }
    name_expr(ctx, i, depth)
}

// parenExpr = OPEN BWS commonExpr BWS CLOSE
fn paren_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let r = bws(&i[1..]);
    let (r, e) = commit(common_expr(ctx, r, depth))?;
    let (r, ()) = expect_char(ctx, bws(r), ')')?;
    Ok((r, e))
}

// array = begin-array [ valueInUrl *( value-separator valueInUrl ) ] end-array
fn array<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let depth = ctx.enter(i, depth)?;
    let mut r = bws(&i[1..]);
    let mut items = Vec::new();
    if let Some(end) = r.strip_prefix(']') {
        ctx.node(i)?;
        return Ok((
            end,
            Expr::Array {
                items,
                span: ctx.span(i, end),
            },
        ));
    }
    loop {
        let (after, item) = value_in_url(ctx, r, depth)?;
        items.push(item);
        r = bws(after);
        if let Some(next) = r.strip_prefix(',') {
            r = bws(next);
        } else if let Some(end) = r.strip_prefix(']') {
            ctx.node(i)?;
            return Ok((
                end,
                Expr::Array {
                    items,
                    span: ctx.span(i, end),
                },
            ));
        } else {
            return ctx.fail(r, "expected ',' or ']'");
        }
    }
}

// object = begin-object [ member *( value-separator member ) ] end-object
// member = stringInUrl name-separator valueInUrl
fn object<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let depth = ctx.enter(i, depth)?;
    let mut r = bws(&i[1..]);
    let mut members = Vec::new();
    if let Some(end) = r.strip_prefix('}') {
        ctx.node(i)?;
        return Ok((
            end,
            Expr::Object {
                members,
                span: ctx.span(i, end),
            },
        ));
    }
    loop {
        let (after, name) = json_string(ctx, r)?;
        let (after, ()) = expect_char(ctx, bws(after), ':')?;
        let (after, value) = value_in_url(ctx, bws(after), depth)?;
        members.push((name, value));
        r = bws(after);
        if let Some(next) = r.strip_prefix(',') {
            r = bws(next);
        } else if let Some(end) = r.strip_prefix('}') {
            ctx.node(i)?;
            return Ok((
                end,
                Expr::Object {
                    members,
                    span: ctx.span(i, end),
                },
            ));
        } else {
            return ctx.fail(r, "expected ',' or '}'");
        }
    }
}

// valueInUrl = stringInUrl / commonExpr
fn value_in_url<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    if i.starts_with('"') {
        let (rest, value) = json_string(ctx, i)?;
        ctx.node(i)?;
        return Ok((
            rest,
            Expr::JsonString {
                value,
                span: ctx.span(i, rest),
            },
        ));
    }
    commit(common_expr(ctx, i, depth))
}

// stringInUrl = quotation-mark *charInJSON quotation-mark
/// A JSON string; returns the unescaped value.
pub fn json_string<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, String> {
    let Some(body) = i.strip_prefix('"') else {
        return ctx.fail(i, "expected '\"'");
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((idx, c)) = chars.next() {
        match c {
            '"' => return Ok((&body[idx + 1..], out)),
            '\\' => {
                let esc_at = &body[idx..];
                match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, '/')) => out.push('/'),
                    Some((_, 'b')) => out.push('\u{8}'),
                    Some((_, 'f')) => out.push('\u{c}'),
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, 't')) => out.push('\t'),
                    Some((u, 'u')) => {
                        let hex = body.get(u + 1..u + 5).unwrap_or("");
                        let code = u32::from_str_radix(hex, 16).ok();
                        match code.and_then(char::from_u32) {
                            Some(ch) if hex.len() == 4 => out.push(ch),
                            _ => return ctx.fail(esc_at, "invalid \\u escape in JSON string"),
                        }
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => return ctx.fail(esc_at, "invalid escape in JSON string"),
                }
            }
            c => out.push(c),
        }
    }
    ctx.fail(i, "unterminated JSON string: expected closing '\"'")
}

// parameterAlias    = AT odataIdentifier
// annotationExpr    = annotationInQuery [ collectionPathExpr / singleNavigationExpr / … ]
// annotationInQuery = AT [ namespace "." ] termName [ HASH annotationQualifier ]
/// `@alias`, `@alias/path`, or an annotation path `@NS.Term#Q/…`.
fn at_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let (rest, name) = annotation_name(ctx, &i[1..])?;
    let plain = !name.contains(['.', '#']);
    if plain && !rest.starts_with('/') {
        ctx.node(i)?;
        return Ok((
            rest,
            Expr::Alias {
                name,
                span: ctx.span(i, rest),
            },
        ));
    }
    let first = if plain {
        Segment::Alias(name)
    } else {
        Segment::Annotation(name)
    };
    path_tail(ctx, rest, vec![first], i, depth)
}

/// `[ namespace "." ] termName [ HASH annotationQualifier ]` after the `@`.
pub fn annotation_name<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, String> {
    let (mut rest, name) = commit(qualified_name(ctx, i))?;
    let mut name = name.to_owned();
    if let Some(q) = rest.strip_prefix('#') {
        let (r, qualifier) = commit(odata_identifier(ctx, q))?;
        name.push('#');
        name.push_str(qualifier);
        rest = r;
    }
    Ok((rest, name))
}

// implicitVariableExpr = %s"$it" / %s"$this"
// rootExpr = %s"$root/" ( entitySetName … / singletonEntity … )
fn dollar_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    if let Some(r) = keyword(i, "$it") {
        return path_tail(ctx, r, vec![Segment::It], i, depth);
    }
    if let Some(r) = keyword(i, "$this") {
        return path_tail(ctx, r, vec![Segment::This], i, depth);
    }
    if let Some(r) = keyword(i, "$root") {
        if !r.starts_with('/') {
            return ctx.fail(r, "expected '/' after $root");
        }
        return path_tail(ctx, r, vec![Segment::Root], i, depth);
    }
    ctx.err(i, "expected $it, $this or $root")
}

// firstMemberExpr  = memberExpr / inscopeVariableExpr [ "/" memberExpr ]
// memberExpr       = directMemberExpr
//                  / ( optionallyQualifiedEntityTypeName / optionallyQualifiedComplexTypeName ) "/" directMemberExpr
// functionExpr     = [ namespace "." ] ( entityColFunction functionExprParameters … )
// methodCallExpr   = indexOfMethodCallExpr / … (generic: name OPEN args CLOSE)
// castExpr / isofExpr / caseMethodCallExpr: see below
/// An expression starting with a (possibly qualified) name: path, call, cast, isof, case.
fn name_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let (rest, name) = match qualified_name(ctx, i) {
        Ok(v) => v,
        Err(_) => return ctx.err(i, "expected an expression"),
    };
    if rest.starts_with('(') {
        let lower = name.to_ascii_lowercase();
        return match lower.as_str() {
            "any" | "all" => ctx.fail(
                rest,
                "a lambda operator must follow a collection path and '/'",
            ),
            "cast" | "isof" => type_function(ctx, i, name, rest, depth),
            "case" => case_expr(ctx, i, rest, depth),
            _ => call_or_function(ctx, i, name, rest, depth),
        };
    }
    let first = if name.contains('.') {
        if !rest.starts_with('/') {
            return ctx.fail(
                rest,
                "expected '/' after the type cast, or '(' for a function call",
            );
        }
        Segment::Cast(name.to_owned())
    } else if ctx.is_lambda_var(name) {
        Segment::Var(name.to_owned())
    } else {
        Segment::Member(name.to_owned())
    };
    path_tail(ctx, rest, vec![first], i, depth)
}

/// True if `i` (just after `(`) starts `name=` (a named parameter).
fn named_arg_ahead(i: &str) -> bool {
    let end = i
        .find(|c: char| !super::is_ident_char(c))
        .unwrap_or(i.len());
    let (name, rest) = i.split_at(end);
    is_identifier(name) && rest.starts_with('=') && !rest.starts_with("==")
}

/// `name(…)` at the start of an expression: positional call or function segment.
fn call_or_function<'a>(
    ctx: &Ctx<'_>,
    start: &'a str,
    name: &str,
    open: &'a str,
    depth: usize,
) -> PResult<'a, Expr> {
    if named_arg_ahead(bws(&open[1..])) {
        let (rest, args) = function_params(ctx, open, depth)?;
        let seg = Segment::Function {
            name: name.to_owned(),
            args,
        };
        return path_tail(ctx, rest, vec![seg], start, depth);
    }
    let (rest, args) = positional_args(ctx, open, depth)?;
    if args.is_empty() && rest.starts_with('/') {
        let seg = Segment::Function {
            name: name.to_owned(),
            args: Vec::new(),
        };
        return path_tail(ctx, rest, vec![seg], start, depth);
    }
    ctx.node(start)?;
    Ok((
        rest,
        Expr::Call {
            name: name.to_owned(),
            args,
            span: ctx.span(start, rest),
        },
    ))
}

// methodCallExpr arguments: OPEN BWS [ commonExpr BWS *( COMMA BWS commonExpr BWS ) ] CLOSE
fn positional_args<'a>(ctx: &Ctx<'_>, open: &'a str, depth: usize) -> PResult<'a, Vec<Expr>> {
    let mut r = bws(&open[1..]);
    let mut args = Vec::new();
    if let Some(end) = r.strip_prefix(')') {
        return Ok((end, args));
    }
    loop {
        let (after, arg) = commit(common_expr(ctx, r, depth))?;
        args.push(arg);
        r = bws(after);
        if let Some(next) = r.strip_prefix(',') {
            r = bws(next);
        } else if let Some(end) = r.strip_prefix(')') {
            return Ok((end, args));
        } else {
            return ctx.fail(r, "expected ',' or ')'");
        }
    }
}

// functionExprParameters = OPEN [ BWS functionExprParameter *( BWS COMMA BWS functionExprParameter ) ] BWS CLOSE
// functionExprParameter  = parameterName EQ ( parameterAlias / parameterValue )
fn function_params<'a>(ctx: &Ctx<'_>, open: &'a str, depth: usize) -> PResult<'a, Vec<NamedArg>> {
    let mut r = bws(&open[1..]);
    let mut args = Vec::new();
    if let Some(end) = r.strip_prefix(')') {
        return Ok((end, args));
    }
    loop {
        let (after, name) = commit(odata_identifier(ctx, r))?;
        let (after, ()) = expect_char(ctx, after, '=')?;
        let (after, value) = commit(common_expr(ctx, after, depth))?;
        args.push(NamedArg {
            name: name.to_owned(),
            value,
        });
        r = bws(after);
        if let Some(next) = r.strip_prefix(',') {
            r = bws(next);
        } else if let Some(end) = r.strip_prefix(')') {
            return Ok((end, args));
        } else {
            return ctx.fail(r, "expected ',' or ')'");
        }
    }
}

// optionallyQualifiedTypeName = singleQualifiedTypeName / %s"Collection" OPEN singleQualifiedTypeName CLOSE
//                             / singleTypeName / %s"Collection" OPEN singleTypeName CLOSE
/// A type name argument; `None` if `i` does not start one.
fn type_name<'a>(ctx: &Ctx<'_>, i: &'a str) -> Option<(&'a str, String)> {
    if let Some(r) = i.strip_prefix("Collection(") {
        let (r, name) = qualified_name(ctx, r).ok()?;
        let r = r.strip_prefix(')')?;
        return Some((r, format!("Collection({name})")));
    }
    let (r, name) = qualified_name(ctx, i).ok()?;
    Some((r, name.to_owned()))
}

// castExpr = "cast" OPEN BWS [ commonExpr BWS COMMA BWS ] optionallyQualifiedTypeName BWS CLOSE
// isofExpr = "isof" OPEN BWS [ commonExpr BWS COMMA BWS ] optionallyQualifiedTypeName BWS CLOSE
fn type_function<'a>(
    ctx: &Ctx<'_>,
    start: &'a str,
    name: &str,
    open: &'a str,
    depth: usize,
) -> PResult<'a, Expr> {
    let depth = ctx.enter(open, depth)?;
    let r = bws(&open[1..]);
    let mut args = Vec::new();
    let after_type = type_name(ctx, r).and_then(|(after, tn)| {
        let end = bws(after).strip_prefix(')')?;
        Some((end, tn, after))
    });
    let rest = if let Some((end, tn, after)) = after_type {
        ctx.node(r)?;
        args.push(Expr::TypeName {
            name: tn,
            span: ctx.span(r, after),
        });
        end
    } else {
        let (after, e) = commit(common_expr(ctx, r, depth))?;
        args.push(e);
        let (after, ()) = expect_char(ctx, bws(after), ',')?;
        let tstart = bws(after);
        let Some((after, tn)) = type_name(ctx, tstart) else {
            return ctx.fail(tstart, "expected a type name");
        };
        ctx.node(tstart)?;
        args.push(Expr::TypeName {
            name: tn,
            span: ctx.span(tstart, after),
        });
        let (end, ()) = expect_char(ctx, bws(after), ')')?;
        end
    };
    ctx.node(start)?;
    Ok((
        rest,
        Expr::Call {
            name: name.to_owned(),
            args,
            span: ctx.span(start, rest),
        },
    ))
}

// caseMethodCallExpr = "case" OPEN BWS boolCommonExpr BWS COLON BWS commonExpr BWS
//                      *( COMMA BWS boolCommonExpr BWS COLON BWS commonExpr BWS ) CLOSE
fn case_expr<'a>(ctx: &Ctx<'_>, start: &'a str, open: &'a str, depth: usize) -> PResult<'a, Expr> {
    let mut r = bws(&open[1..]);
    let mut branches = Vec::new();
    loop {
        let (after, when) = commit(common_expr(ctx, r, depth))?;
        let (after, ()) = expect_char(ctx, bws(after), ':')?;
        let (after, then) = commit(common_expr(ctx, bws(after), depth))?;
        branches.push(CaseBranch { when, then });
        r = bws(after);
        if let Some(next) = r.strip_prefix(',') {
            r = bws(next);
        } else if let Some(end) = r.strip_prefix(')') {
            ctx.node(start)?;
            return Ok((
                end,
                Expr::Case {
                    branches,
                    span: ctx.span(start, end),
                },
            ));
        } else {
            return ctx.fail(r, "expected ',' or ')'");
        }
    }
}

// singleNavigationExpr = "/" memberExpr
// collectionPathExpr   = count [ OPEN expandCountOption *( SEMI expandCountOption ) CLOSE ]
//                      / filterExpr [ collectionPathExpr ]
//                      / "/" anyExpr / "/" allExpr / "/" boundFunctionExpr / "/" annotationExpr
// complexPathExpr      = "/" directMemberExpr / "/" optionallyQualifiedComplexTypeName [ "/" directMemberExpr ]
// filterExpr           = %s"/$filter" OPEN boolCommonExpr CLOSE
/// The `/…` continuation of a member path that starts with `segments`.
fn path_tail<'a>(
    ctx: &Ctx<'_>,
    i: &'a str,
    mut segments: Vec<Segment>,
    start: &'a str,
    depth: usize,
) -> PResult<'a, Expr> {
    let mut rest = i;
    while let Some(after) = rest.strip_prefix('/') {
        ctx.node(after)?;
        if let Some(r) = keyword(after, "$count") {
            let (r, seg) = count_segment(ctx, r, depth)?;
            segments.push(seg);
            rest = r;
            break;
        }
        if let Some(r) = after.strip_prefix("$filter(") {
            let depth = ctx.enter(after, depth)?;
            let (r, e) = commit(common_expr(ctx, bws(r), depth))?;
            let (r, ()) = expect_char(ctx, bws(r), ')')?;
            segments.push(Segment::Filter(Box::new(e)));
            rest = r;
            continue;
        }
        if let Some(r) = after.strip_prefix('@') {
            let (r, name) = annotation_name(ctx, r)?;
            segments.push(Segment::Annotation(name));
            rest = r;
            continue;
        }
        // 4.01: the lambda operators in any case (`ANY(`, `All(`).
        for (word, is_any) in [("any", true), ("all", false)] {
            if let Some(r) = after
                .get(..word.len())
                .filter(|w| w.eq_ignore_ascii_case(word))
                .map(|_| &after[word.len()..])
                && r.starts_with('(')
            {
                let (r, seg) = lambda(ctx, r, is_any, depth)?;
                segments.push(seg);
                let span = ctx.span(start, r);
                return Ok((r, Expr::Path { segments, span }));
            }
        }
        let (r, name) = match qualified_name(ctx, after) {
            Ok(v) => v,
            Err(_) => {
                return ctx.fail(
                    after,
                    "expected a property, type cast, function, $count, $filter, any or all after '/'",
                );
            }
        };
        if r.starts_with('(') {
            let (r, args) = function_params(ctx, r, depth)?;
            segments.push(Segment::Function {
                name: name.to_owned(),
                args,
            });
            rest = r;
            continue;
        }
        segments.push(if name.contains('.') {
            Segment::Cast(name.to_owned())
        } else {
            Segment::Member(name.to_owned())
        });
        rest = r;
    }
    ctx.node(start)?;
    let span = ctx.span(start, rest);
    Ok((rest, Expr::Path { segments, span }))
}

// count             = %s"/$count"
// expandCountOption = filter / search
fn count_segment<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Segment> {
    if !i.starts_with('(') {
        return Ok((
            i,
            Segment::Count {
                filter: None,
                search: None,
            },
        ));
    }
    let (rest, options) = nested_options(ctx, i, NestedKind::Count, depth)?;
    let options = *options;
    Ok((
        rest,
        Segment::Count {
            filter: options.filter.map(Box::new),
            search: options.search,
        },
    ))
}

// anyExpr = "any" OPEN BWS [ lambdaVariableExpr BWS COLON BWS lambdaPredicateExpr ] BWS CLOSE
// allExpr = "all" OPEN BWS   lambdaVariableExpr BWS COLON BWS lambdaPredicateExpr   BWS CLOSE
// lambdaPredicateExpr = boolCommonExpr ; containing at least one lambdaVariableExpr
fn lambda<'a>(ctx: &Ctx<'_>, open: &'a str, is_any: bool, depth: usize) -> PResult<'a, Segment> {
    let depth = ctx.enter(open, depth)?;
    let r = bws(&open[1..]);
    if is_any && let Some(end) = r.strip_prefix(')') {
        return Ok((end, Segment::Any(None)));
    }
    let (r, var) = match odata_identifier(ctx, r) {
        Ok(v) => v,
        Err(_) => return ctx.fail(r, "expected a lambda variable name"),
    };
    if ctx.is_lambda_var(var) {
        return ctx.fail(r, "lambda variable is already in scope");
    }
    let (r, ()) = expect_char(ctx, bws(r), ':')?;
    let body = bws(r);
    let (r, predicate) = ctx.with_lambda_var(var, || commit(common_expr(ctx, body, depth)))?;
    let (r, ()) = expect_char(ctx, bws(r), ')')?;
    let lambda = Lambda {
        var: var.to_owned(),
        predicate: Box::new(predicate),
    };
    Ok((
        r,
        if is_any {
            Segment::Any(Some(lambda))
        } else {
            Segment::All(lambda)
        },
    ))
}
