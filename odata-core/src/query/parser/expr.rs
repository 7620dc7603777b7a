//! 4. Expressions: `commonExpr` / `boolCommonExpr` for `$filter`, `$orderby`, `$compute`.
//!
//! The ABNF nests one optional operator per level and encodes no precedence, so the tree is
//! built by precedence climbing over [`BinaryOp::precedence`]:
//! `or` < `and` < `not` < comparison (`eq ne gt ge lt le has in`) < additive (`add sub`) <
//! multiplicative (`mul div divby mod`) < unary `-` < primary. Operators associate to the
//! left; like all 4.01 keywords they are matched case-insensitively (`EQ`, `And`). Function
//! calls are accepted generically by name; the binder checks names and arity.
//!
//! Other grammars that embed `commonExpr` (the `$apply` transformations) call
//! [`common_expr`] with their own [`Ctx`], or [`parse_common_expr_at`] on a whole value.

use super::literal::primitive_literal;
use super::select_expand::{NestedKind, nested_options};
use super::{
    Ctx, PError, PResult, bws, close, comma, expect_char, is_identifier, keyword, list1,
    odata_identifier, qualified_name, run, rws, skip_ws, tag_ci,
};
use crate::query::ast::{BinaryOp, CaseBranch, Expr, Lambda, NamedArg, Segment, UnaryOp};
use crate::query::error::{ParseError, ParseLimits};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::char;
use nom::combinator::{consumed, cut, eof, map, opt, peek};
use nom::sequence::{delimited, pair, preceded, terminated};
use nom::{Err, Parser};

/// Turns a recoverable error into a committed one (nom's [`cut`] for a finished result).
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

/// Parses one `commonExpr` that starts at byte `start` of the larger decoded value `text`
/// (e.g. the `filter(…)` argument inside an `$apply` value) and returns the byte position
/// where it ends together with the expression. Input after the expression is left to the
/// caller.
///
/// Spans and error positions are relative to the whole of `text`, and errors name
/// `option`. Limits apply to this expression alone; a grammar that parses several
/// expressions of one value under shared limits uses [`common_expr`] with one [`Ctx`].
///
/// ```
/// use odata_core::query::{parse_common_expr_at, ParseLimits, Span};
///
/// let text = "filter(Price gt 5)/top(2)";
/// let (end, e) = parse_common_expr_at("$apply", text, 7, &ParseLimits::default()).unwrap();
/// assert_eq!(&text[end..], ")/top(2)");
/// assert_eq!(e.span(), Span::new(7, 17));
/// ```
pub fn parse_common_expr_at(
    option: &str,
    text: &str,
    start: usize,
    limits: &ParseLimits,
) -> Result<(usize, Expr), ParseError> {
    let ctx = Ctx::new(text, *limits);
    let Some(input) = text.get(start..) else {
        return Err(ParseError::new(
            option,
            ctx.char_pos(start),
            "invalid position",
        ));
    };
    match common_expr(&ctx, input, 0) {
        Ok((rest, e)) => Ok((ctx.pos(rest), e)),
        Err(Err::Error(e) | Err::Failure(e)) => Err(ctx.to_parse_error(option, e)),
        Err(Err::Incomplete(_)) => Err(ParseError::new(option, text.len(), "incomplete input")),
    }
}

// commonExpr = ( primitiveLiteral / arrayOrObject / rootExpr / functionExpr / negateExpr
//              / methodCallExpr / parenExpr / castExpr / isofExpr / notExpr / firstMemberExpr )
//              [ addExpr / subExpr / mulExpr / divExpr / divbyExpr / modExpr ]
//              [ eqExpr / neExpr / ltExpr / leExpr / gtExpr / geExpr / hasExpr / inExpr ]
//              [ andExpr / orExpr ]
// boolCommonExpr = commonExpr ; resulting in a Boolean
/// One common expression at `i` (one nesting level deeper than `depth`), sharing `ctx`'s
/// limits, node count and lambda scopes. Returns the input after it; fails recoverably if
/// `i` does not start an expression.
pub fn common_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let depth = ctx.enter(i, depth)?;
    binary_expr(ctx, i, 0, depth)
}

// andExpr = RWS "and" RWS boolCommonExpr   orExpr = RWS "or" RWS boolCommonExpr
// eqExpr  = RWS "eq"  RWS commonExpr  (ne lt le gt ge likewise)
// hasExpr = RWS "has" RWS enumLiteral     inExpr = RWS "in" RWS ( listExpr / commonExpr )
// addExpr = RWS "add" RWS commonExpr  (sub mul div divby mod likewise)
/// `RWS op RWS`: the operator.
fn binary_op(i: &str) -> PResult<'_, BinaryOp> {
    terminated(preceded(rws, operator_word), rws).parse(i)
}

/// An operator keyword, in any case. The word is read once and looked up, rather than
/// trying one `tag` per operator: this runs after every operand at every precedence level.
fn operator_word(i: &str) -> PResult<'_, BinaryOp> {
    let (rest, word) = take_while1(|c: char| c.is_ascii_alphabetic())(i)?;
    match BinaryOp::ALL
        .into_iter()
        .find(|op| op.keyword().eq_ignore_ascii_case(word))
    {
        Some(op) => Ok((rest, op)),
        None => Err(Err::Error(nom::error::ParseError::from_error_kind(
            i,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

/// Precedence climbing: operands joined by operators binding at least `min_prec`.
fn binary_expr<'a>(ctx: &Ctx<'_>, i: &'a str, min_prec: u8, depth: usize) -> PResult<'a, Expr> {
    let start = i;
    let (mut rest, mut left) = unary_expr(ctx, i, depth)?;
    while let Ok((after, op)) = binary_op(rest) {
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
    if let Ok((_, op)) = dangling_op(rest) {
        return ctx.fail("", format!("expected an operand after '{}'", op.keyword()));
    }
    Ok((rest, left))
}

/// An operator keyword at the very end of the input (`a eq`).
fn dangling_op(i: &str) -> PResult<'_, BinaryOp> {
    delimited(rws, operator_word, (bws, eof)).parse(i)
}

// inExpr = RWS "in" RWS ( listExpr / commonExpr )
/// The right operand of `in`: a literal list, or an operand such as `@alias` or `[…]`.
fn in_operand<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    alt((
        |x| list_expr(ctx, x),
        |x| binary_expr(ctx, x, BinaryOp::In.precedence() + 1, depth),
    ))
    .parse(i)
}

// listExpr = OPEN BWS [ primitiveLiteral BWS *( COMMA BWS primitiveLiteral BWS ) ] CLOSE
/// A parenthesised literal list. Fails recoverably when the parentheses hold something
/// else, so `x in (y)` is read as a parenthesised expression.
fn list_expr<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Expr> {
    let item = |x: &'a str| {
        let (after, value) = primitive_literal(ctx, x)?;
        ctx.node(x)?;
        let span = ctx.span(x, after);
        Ok((after, Expr::Literal { value, span }))
    };
    let (end, items) = enclosed_soft(ctx, '(', ')', list1(item, comma)).parse(i)?;
    ctx.node(i)?;
    let span = ctx.span(i, end);
    Ok((end, Expr::List { items, span }))
}

/// `OPEN BWS [ list ] BWS CLOSE`, where a missing CLOSE is a recoverable error.
fn enclosed_soft<'a, O>(
    ctx: &Ctx<'_>,
    open: char,
    close_c: char,
    mut list: impl Parser<&'a str, Output = Vec<O>, Error = PError>,
) -> impl Parser<&'a str, Output = Vec<O>, Error = PError> {
    move |i: &'a str| {
        let (r, _) = pair(char(open), bws).parse(i)?;
        if let Ok((end, _)) = char::<_, PError>(close_c).parse(r) {
            return Ok((end, Vec::new()));
        }
        let (r, items) = list.parse(r)?;
        let r = skip_ws(r);
        match char::<_, PError>(close_c).parse(r) {
            Ok((end, _)) => Ok((end, items)),
            Err(_) => ctx.err(r, "expected ',' or ')'"),
        }
    }
}

/// `OPEN BWS [ list ] BWS CLOSE` (an empty list allowed); after the list, anything but
/// CLOSE is a committed error `expected`.
pub fn enclosed<'a, O>(
    ctx: &Ctx<'_>,
    open: char,
    close_c: char,
    expected: &'static str,
    mut list: impl Parser<&'a str, Output = Vec<O>, Error = PError>,
) -> impl Parser<&'a str, Output = Vec<O>, Error = PError> {
    move |i: &'a str| {
        let (r, _) = pair(char(open), bws).parse(i)?;
        if let Ok((end, _)) = char::<_, PError>(close_c).parse(r) {
            return Ok((end, Vec::new()));
        }
        terminated(|x| list.parse(x), close(ctx, close_c, expected)).parse(r)
    }
}

// notExpr    = "not" RWS boolCommonExpr
// negateExpr = "-" BWS commonExpr
/// Prefix operators, then a primary expression.
fn unary_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    // `not(…)` needs no space: the parenthesis separates.
    let mut not_kw = terminated(tag_ci("not"), alt((rws, peek(tag("(")))));
    if let Ok((after, _)) = not_kw.parse(i) {
        let depth = ctx.enter(i, depth)?;
        let (rest, operand) = commit(binary_expr(ctx, after, UNARY_NOT_OPERAND, depth))?;
        ctx.node(i)?;
        let span = ctx.span(i, rest);
        let operand = Box::new(operand);
        return Ok((
            rest,
            Expr::Unary {
                op: UnaryOp::Not,
                operand,
                span,
            },
        ));
    }
    if let Ok((r, _)) = char::<_, PError>('-').parse(i) {
        // `-5` and `-INF` are literals; `-x` and `- 5` negate.
        match literal_expr(ctx, i) {
            Err(Err::Error(_)) => {}
            other => return other,
        }
        let depth = ctx.enter(i, depth)?;
        let (rest, operand) = commit(unary_expr(ctx, skip_ws(r), depth))?;
        ctx.node(i)?;
        let span = ctx.span(i, rest);
        let operand = Box::new(operand);
        return Ok((
            rest,
            Expr::Unary {
                op: UnaryOp::Neg,
                operand,
                span,
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
    // The bracketed alternatives start with distinct characters: dispatch on it, so their
    // errors name what they expected.
    match i.chars().next() {
        Some('(') => paren_expr(ctx, i, depth),
        Some('[') => array(ctx, i, depth),
        Some('{') => object(ctx, i, depth),
        Some('@') => at_expr(ctx, i, depth),
        Some('$') => dollar_expr(ctx, i, depth),
        None => ctx.err(i, "expected an expression"),
        Some(_) => alt((|x| literal_expr(ctx, x), |x| name_expr(ctx, x, depth))).parse(i),
    }
}

// primitiveLiteral (as an expression)
fn literal_expr<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Expr> {
    let (rest, value) = primitive_literal(ctx, i)?;
    ctx.node(i)?;
    let span = ctx.span(i, rest);
    Ok((rest, Expr::Literal { value, span }))
}

// parenExpr = OPEN BWS commonExpr BWS CLOSE
fn paren_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    delimited(
        pair(char('('), bws),
        cut(|x| common_expr(ctx, x, depth)),
        close(ctx, ')', "expected ')'"),
    )
    .parse(i)
}

// array = begin-array [ valueInUrl *( value-separator valueInUrl ) ] end-array
fn array<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let depth = ctx.enter(i, depth)?;
    let values = list1(|x| value_in_url(ctx, x, depth), comma);
    let (end, items) = enclosed(ctx, '[', ']', "expected ',' or ']'", values).parse(i)?;
    ctx.node(i)?;
    let span = ctx.span(i, end);
    Ok((end, Expr::Array { items, span }))
}

// object = begin-object [ member *( value-separator member ) ] end-object
// member = stringInUrl name-separator valueInUrl
fn object<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let depth = ctx.enter(i, depth)?;
    let member = (
        |x| json_string(ctx, x),
        |x| expect_char(ctx, skip_ws(x), ':'),
        preceded(bws, |x| value_in_url(ctx, x, depth)),
    );
    let members = list1(map(member, |(name, (), value)| (name, value)), comma);
    let (end, members) = enclosed(ctx, '{', '}', "expected ',' or '}'", members).parse(i)?;
    ctx.node(i)?;
    let span = ctx.span(i, end);
    Ok((end, Expr::Object { members, span }))
}

// valueInUrl = stringInUrl / commonExpr
fn value_in_url<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    if i.starts_with('"') {
        let (rest, value) = json_string(ctx, i)?;
        ctx.node(i)?;
        let span = ctx.span(i, rest);
        return Ok((rest, Expr::JsonString { value, span }));
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
    ctx.fail_kind(
        i,
        crate::query::error::ParseErrorKind::UnexpectedEnd,
        "unterminated JSON string: expected closing '\"'",
    )
}

// parameterAlias    = AT odataIdentifier
// annotationExpr    = annotationInQuery [ collectionPathExpr / singleNavigationExpr / … ]
// annotationInQuery = AT [ namespace "." ] termName [ HASH annotationQualifier ]
/// `@alias`, `@alias/path`, or an annotation path `@NS.Term#Q/…`.
fn at_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let (rest, name) = preceded(char('@'), |x| annotation_name(ctx, x)).parse(i)?;
    let plain = !name.contains(['.', '#']);
    if plain && !rest.starts_with('/') {
        ctx.node(i)?;
        let span = ctx.span(i, rest);
        return Ok((rest, Expr::Alias { name, span }));
    }
    let first = if plain {
        Segment::Alias(name)
    } else {
        Segment::Annotation(name)
    };
    path_tail(ctx, rest, vec![first], i, depth)
}

/// `[ namespace "." ] termName [ HASH annotationQualifier ]` after the `@` (committed).
pub fn annotation_name<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, String> {
    let qualifier = preceded(char('#'), cut(|x| odata_identifier(ctx, x)));
    let (rest, (name, qualifier)) =
        pair(cut(|x| qualified_name(ctx, x)), opt(qualifier)).parse(i)?;
    let name = match qualifier {
        Some(q) => format!("{name}#{q}"),
        None => name.to_owned(),
    };
    Ok((rest, name))
}

// implicitVariableExpr = %s"$it" / %s"$this"
// rootExpr = %s"$root/" ( entitySetName … / singletonEntity … )
fn dollar_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let mut variable = alt((
        map(keyword("$it"), |_| Segment::It),
        map(keyword("$this"), |_| Segment::This),
        map(keyword("$root"), |_| Segment::Root),
    ));
    let Ok((r, first)) = variable.parse(i) else {
        return ctx.err(i, "expected $it, $this or $root");
    };
    if first == Segment::Root && !r.starts_with('/') {
        return ctx.fail(r, "expected '/' after $root");
    }
    path_tail(ctx, r, vec![first], i, depth)
}

// firstMemberExpr  = memberExpr / inscopeVariableExpr [ "/" memberExpr ]
// memberExpr       = directMemberExpr
//                  / ( optionallyQualifiedEntityTypeName / optionallyQualifiedComplexTypeName ) "/" directMemberExpr
// functionExpr     = [ namespace "." ] ( entityColFunction functionExprParameters … )
// methodCallExpr   = indexOfMethodCallExpr / … (generic: name OPEN args CLOSE)
// castExpr / isofExpr / caseMethodCallExpr: see below
/// An expression starting with a (possibly qualified) name: path, call, cast, isof, case.
fn name_expr<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Expr> {
    let Ok((rest, name)) = qualified_name(ctx, i) else {
        return ctx.err(i, "expected an expression");
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
    if named_arg_ahead(skip_ws(&open[1..])) {
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
    let name = name.to_owned();
    let span = ctx.span(start, rest);
    Ok((rest, Expr::Call { name, args, span }))
}

// methodCallExpr arguments: OPEN BWS [ commonExpr BWS *( COMMA BWS commonExpr BWS ) ] CLOSE
fn positional_args<'a>(ctx: &Ctx<'_>, open: &'a str, depth: usize) -> PResult<'a, Vec<Expr>> {
    let args = list1(cut(|x| common_expr(ctx, x, depth)), comma);
    enclosed(ctx, '(', ')', "expected ',' or ')'", args).parse(open)
}

// functionExprParameters = OPEN [ BWS functionExprParameter *( BWS COMMA BWS functionExprParameter ) ] BWS CLOSE
// functionExprParameter  = parameterName EQ ( parameterAlias / parameterValue )
fn function_params<'a>(ctx: &Ctx<'_>, open: &'a str, depth: usize) -> PResult<'a, Vec<NamedArg>> {
    let param = map(
        (
            cut(|x| odata_identifier(ctx, x)),
            |x| expect_char(ctx, x, '='),
            cut(|x| common_expr(ctx, x, depth)),
        ),
        |(name, (), value): (&str, (), Expr)| NamedArg {
            name: name.to_owned(),
            value,
        },
    );
    enclosed(ctx, '(', ')', "expected ',' or ')'", list1(param, comma)).parse(open)
}

// optionallyQualifiedTypeName = singleQualifiedTypeName / %s"Collection" OPEN singleQualifiedTypeName CLOSE
//                             / singleTypeName / %s"Collection" OPEN singleTypeName CLOSE
/// A type name argument; `Err::Error` if `i` does not start one. The name may also be
/// quoted (`'Edm.String'`), as many clients write it.
fn type_name<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, String> {
    if let Some(quoted) = i.strip_prefix('\'') {
        let (after, name) = bare_type_name(ctx, quoted)?;
        let (after, _) = char('\'').parse(after)?;
        return Ok((after, name));
    }
    bare_type_name(ctx, i)
}

fn bare_type_name<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, String> {
    alt((
        map(
            delimited(tag("Collection("), |x| qualified_name(ctx, x), char(')')),
            |name| format!("Collection({name})"),
        ),
        map(|x| qualified_name(ctx, x), str::to_owned),
    ))
    .parse(i)
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
    let r = skip_ws(&open[1..]);
    let type_arg = |x: &'a str, (after, name): (&'a str, String)| -> PResult<'a, Expr> {
        ctx.node(x)?;
        let span = ctx.span(x, after);
        Ok((after, Expr::TypeName { name, span }))
    };
    // The one-argument form first: `cast(Edm.String)` names a type, not a property.
    let only_type = pair(consumed(|x| type_name(ctx, x)), preceded(bws, char(')'))).parse(r);
    let (rest, args) = match only_type {
        Ok((end, ((text, name), _))) => {
            let (_, t) = type_arg(r, (&r[text.len()..], name))?;
            (end, vec![t])
        }
        Err(Err::Failure(e)) => return Err(Err::Failure(e)),
        Err(_) => {
            let (after, e) = commit(common_expr(ctx, r, depth))?;
            let (after, ()) = expect_char(ctx, skip_ws(after), ',')?;
            let tstart = skip_ws(after);
            let (after, t) = match type_name(ctx, tstart) {
                Ok(v) => type_arg(tstart, v)?,
                Err(Err::Failure(e)) => return Err(Err::Failure(e)),
                Err(_) => return ctx.fail(tstart, "expected a type name"),
            };
            let (end, ()) = expect_char(ctx, skip_ws(after), ')')?;
            (end, vec![e, t])
        }
    };
    ctx.node(start)?;
    let name = name.to_owned();
    let span = ctx.span(start, rest);
    Ok((rest, Expr::Call { name, args, span }))
}

// caseMethodCallExpr = "case" OPEN BWS boolCommonExpr BWS COLON BWS commonExpr BWS
//                      *( COMMA BWS boolCommonExpr BWS COLON BWS commonExpr BWS ) CLOSE
fn case_expr<'a>(ctx: &Ctx<'_>, start: &'a str, open: &'a str, depth: usize) -> PResult<'a, Expr> {
    let branch = map(
        (
            cut(|x| common_expr(ctx, x, depth)),
            |x| expect_char(ctx, skip_ws(x), ':'),
            preceded(bws, cut(|x| common_expr(ctx, x, depth))),
        ),
        |(when, (), then)| CaseBranch { when, then },
    );
    let (end, branches) = preceded(
        pair(char('('), bws),
        terminated(list1(branch, comma), close(ctx, ')', "expected ',' or ')'")),
    )
    .parse(open)?;
    ctx.node(start)?;
    let span = ctx.span(start, end);
    Ok((end, Expr::Case { branches, span }))
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
        let (r, step) = path_segment(ctx, after, depth)?;
        rest = r;
        match step {
            Step::Next(seg) => segments.push(seg),
            // `$count` and the lambdas end a path.
            Step::Last(seg) => {
                segments.push(seg);
                break;
            }
        }
    }
    ctx.node(start)?;
    let span = ctx.span(start, rest);
    Ok((rest, Expr::Path { segments, span }))
}

/// One path segment, and whether the path may continue after it.
enum Step {
    Next(Segment),
    Last(Segment),
}

/// The segment after a `/` (committed: a `/` promises a segment).
fn path_segment<'a>(ctx: &Ctx<'_>, after: &'a str, depth: usize) -> PResult<'a, Step> {
    // count = %s"/$count"
    if let Ok((r, _)) = keyword("$count").parse(after) {
        let (r, seg) = count_segment(ctx, r, depth)?;
        return Ok((r, Step::Last(seg)));
    }
    // filterExpr = %s"/$filter" OPEN boolCommonExpr CLOSE
    if let Ok((r, _)) = tag::<_, _, PError>("$filter(").parse(after) {
        let depth = ctx.enter(after, depth)?;
        let (r, e) = terminated(
            preceded(bws, cut(|x| common_expr(ctx, x, depth))),
            close(ctx, ')', "expected ')'"),
        )
        .parse(r)?;
        return Ok((r, Step::Next(Segment::Filter(Box::new(e)))));
    }
    if let Some(at) = after.strip_prefix('@') {
        let (r, name) = annotation_name(ctx, at)?;
        return Ok((r, Step::Next(Segment::Annotation(name))));
    }
    // 4.01: the lambda operators in any case (`ANY(`, `All(`).
    let mut lambda_kw = terminated(
        alt((map(tag_ci("any"), |_| true), map(tag_ci("all"), |_| false))),
        peek(char('(')),
    );
    if let Ok((r, is_any)) = lambda_kw.parse(after) {
        let (r, seg) = lambda(ctx, r, is_any, depth)?;
        return Ok((r, Step::Last(seg)));
    }
    let Ok((r, name)) = qualified_name(ctx, after) else {
        return ctx.fail(
            after,
            "expected a property, type cast, function, $count, $filter, any or all after '/'",
        );
    };
    if r.starts_with('(') {
        let (r, args) = function_params(ctx, r, depth)?;
        let name = name.to_owned();
        return Ok((r, Step::Next(Segment::Function { name, args })));
    }
    let seg = if name.contains('.') {
        Segment::Cast(name.to_owned())
    } else {
        Segment::Member(name.to_owned())
    };
    Ok((r, Step::Next(seg)))
}

// count             = %s"/$count"
// expandCountOption = filter / search
fn count_segment<'a>(ctx: &Ctx<'_>, i: &'a str, depth: usize) -> PResult<'a, Segment> {
    if !i.starts_with('(') {
        let (filter, search) = (None, None);
        return Ok((i, Segment::Count { filter, search }));
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
    let (r, _) = pair(char('('), bws).parse(open)?;
    if is_any && let Ok((end, _)) = char::<_, PError>(')').parse(r) {
        return Ok((end, Segment::Any(None)));
    }
    let Ok((r, var)) = odata_identifier(ctx, r) else {
        return ctx.fail(r, "expected a lambda variable name");
    };
    if ctx.is_lambda_var(var) {
        return ctx.fail(r, "lambda variable is already in scope");
    }
    let (body, ()) = expect_char(ctx, skip_ws(r), ':')?;
    let mut predicate = delimited(
        bws,
        cut(|x| common_expr(ctx, x, depth)),
        close(ctx, ')', "expected ')'"),
    );
    let (r, predicate) = ctx.with_lambda_var(var, || commit(predicate.parse(body)))?;
    let lambda = Lambda {
        var: var.to_owned(),
        predicate: Box::new(predicate),
    };
    let seg = if is_any {
        Segment::Any(Some(lambda))
    } else {
        Segment::All(lambda)
    };
    Ok((r, seg))
}
