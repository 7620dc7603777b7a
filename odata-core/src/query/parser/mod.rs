//! nom 8 parsers for the OData 4.01 query-option grammar.
//!
//! Each function sits under the OASIS ABNF rule it implements
//! (`/odata-spec/abnf/odata-abnf-construction-rules.txt`) and is built from nom combinators
//! (`alt`, `preceded`, `delimited`, `cut`, `opt`, `map`, …). The parsers work on the
//! *decoded* option value (see [`options`] for the query string itself): `%20`, `%27`,
//! `%28`, … have already become ` `, `'`, `(`, so the grammar's `SP / "%20"` alternatives
//! collapse to the plain characters, and a `+` that a client sent for a space is a space —
//! the literal parsers read a space back as `+` where the grammar needs a sign.
//!
//! The input is a plain `&str`, always a suffix of the option value; the shared [`Ctx`]
//! holds the whole value, so a position is `src.len() - rest.len()` (see [`Ctx::pos`] and
//! [`Ctx::span`]) and spans cost nothing while parsing. `Ctx` also carries the
//! [`ParseLimits`], the node counter, the furthest error seen and the lambda-variable
//! scopes. Recursive rules take a `depth` argument checked by [`Ctx::enter`]; committed
//! productions turn errors into `nom::Err::Failure` (`cut`) so the reported position is the
//! real one.
//!
//! Reuse from other grammars (such as `$apply`): [`expr::common_expr`] parses one
//! `commonExpr` at any position of a larger input sharing one [`Ctx`] (or
//! [`expr::parse_common_expr_at`] with its own), and [`list1`] is the one comma/semicolon
//! list combinator used by every list of this grammar.

pub mod compute;
pub mod expr;
pub mod literal;
pub mod options;
pub mod orderby;
pub mod search;
pub mod select_expand;

use super::ast::{AttachedSpan, Span};
use super::error::{ParseError, ParseErrorKind, ParseLimits};
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::{cut, not, recognize};
use nom::error::ErrorKind;
use nom::multi::many0_count;
use nom::sequence::{pair, preceded, terminated};
use nom::{Err, IResult, Parser};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};

/// Internal nom error: the remaining input length at the failure, what was expected and
/// the class of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PError {
    /// Remaining input (in bytes) where the error occurred.
    pub rest: usize,
    /// What was expected.
    pub expected: Cow<'static, str>,
    /// The class of the problem (reported as [`ParseError::kind`]).
    pub kind: ParseErrorKind,
    /// Raised by a nom building block (`take_while1`, `tag`, …) rather than by a grammar
    /// rule: its text is generic, so a rule's message at the same position wins.
    pub generic: bool,
}

impl PError {
    fn new(i: &str, kind: ParseErrorKind, expected: Cow<'static, str>) -> Self {
        PError {
            rest: i.len(),
            expected,
            kind,
            generic: false,
        }
    }
}

impl<'a> nom::error::ParseError<&'a str> for PError {
    // Built-in errors fire on every failed alternative, so they must not allocate.
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        PError {
            rest: input.len(),
            expected: Cow::Borrowed("unexpected input"),
            kind: ParseErrorKind::Syntax,
            generic: true,
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn from_char(input: &'a str, c: char) -> Self {
        PError {
            rest: input.len(),
            expected: expected_char(c),
            kind: ParseErrorKind::Syntax,
            generic: false,
        }
    }

    /// Keeps the error that got furthest into the input.
    fn or(self, other: Self) -> Self {
        if other.rest <= self.rest { other } else { self }
    }
}

/// "expected 'c'", without allocating for the punctuation of the grammar.
fn expected_char(c: char) -> Cow<'static, str> {
    Cow::Borrowed(match c {
        '(' => "expected '('",
        ')' => "expected ')'",
        '[' => "expected '['",
        ']' => "expected ']'",
        '{' => "expected '{'",
        '}' => "expected '}'",
        ',' => "expected ','",
        ';' => "expected ';'",
        ':' => "expected ':'",
        '=' => "expected '='",
        '/' => "expected '/'",
        '\'' => "expected '''",
        '"' => "expected '\"'",
        '.' => "expected '.'",
        '-' => "expected '-'",
        '@' => "expected '@'",
        '#' => "expected '#'",
        _ => return Cow::Owned(format!("expected '{c}'")),
    })
}

/// Result type of all internal parsers.
pub type PResult<'a, T> = IResult<&'a str, T, PError>;

/// Shared parsing state for one option value.
#[derive(Debug)]
pub struct Ctx<'s> {
    src: &'s str,
    limits: ParseLimits,
    nodes: Cell<usize>,
    search_terms: Cell<usize>,
    semicolon_in_search_words: Cell<bool>,
    furthest: RefCell<Option<PError>>,
    lambda_vars: RefCell<Vec<String>>,
}

impl<'s> Ctx<'s> {
    /// A context over the decoded option value `src`.
    pub fn new(src: &'s str, limits: ParseLimits) -> Self {
        Self {
            src,
            limits,
            nodes: Cell::new(0),
            search_terms: Cell::new(0),
            semicolon_in_search_words: Cell::new(false),
            furthest: RefCell::new(None),
            lambda_vars: RefCell::new(Vec::new()),
        }
    }

    /// Byte offset of `i` (a suffix of the source).
    pub fn pos(&self, i: &str) -> usize {
        self.src.len().saturating_sub(i.len())
    }

    /// The span from `start` to `end` (both suffixes of the source).
    pub fn span(&self, start: &str, end: &str) -> AttachedSpan {
        AttachedSpan(Span::new(self.pos(start), self.pos(end)))
    }

    fn record(&self, e: &PError) {
        let mut furthest = self.furthest.borrow_mut();
        match &*furthest {
            Some(f) if f.rest <= e.rest => {}
            _ => *furthest = Some(e.clone()),
        }
    }

    /// A recoverable syntax error at `i` (another alternative may still match).
    pub fn err<T>(&self, i: &str, expected: impl Into<Cow<'static, str>>) -> PResult<'static, T> {
        let e = PError::new(i, ParseErrorKind::Syntax, expected.into());
        self.record(&e);
        Err(Err::Error(e))
    }

    /// A committed syntax error at `i` (stops all alternatives).
    pub fn fail<T>(&self, i: &str, expected: impl Into<Cow<'static, str>>) -> PResult<'static, T> {
        self.fail_kind(i, ParseErrorKind::Syntax, expected)
    }

    /// A committed error of `kind` at `i`.
    pub fn fail_kind<T>(
        &self,
        i: &str,
        kind: ParseErrorKind,
        expected: impl Into<Cow<'static, str>>,
    ) -> PResult<'static, T> {
        let e = PError::new(i, kind, expected.into());
        self.record(&e);
        Err(Err::Failure(e))
    }

    /// Counts one AST node; fails once `max_nodes` is exceeded.
    pub fn node(&self, i: &str) -> Result<(), Err<PError>> {
        let n = self.nodes.get() + 1;
        self.nodes.set(n);
        if n > self.limits.max_nodes {
            return Err(Err::Failure(PError::new(
                i,
                ParseErrorKind::TooManyNodes,
                Cow::Owned(format!(
                    "expression too large (more than {} nodes)",
                    self.limits.max_nodes
                )),
            )));
        }
        Ok(())
    }

    /// Counts one `$search` term; fails once [`ParseLimits::MAX_SEARCH_TERMS`] is exceeded.
    pub fn search_term(&self, i: &str) -> Result<(), Err<PError>> {
        let n = self.search_terms.get() + 1;
        self.search_terms.set(n);
        if n > ParseLimits::MAX_SEARCH_TERMS {
            return Err(Err::Failure(PError::new(
                i,
                ParseErrorKind::TooManySearchTerms,
                Cow::Owned(format!(
                    "too many search terms (more than {})",
                    ParseLimits::MAX_SEARCH_TERMS
                )),
            )));
        }
        Ok(())
    }

    /// Lets `$search` words contain `;` (see [`search::parse_search_option`]).
    pub fn allow_semicolon_in_search_words(&self) {
        self.semicolon_in_search_words.set(true);
    }

    /// True if `$search` words may contain `;`.
    pub fn semicolon_in_search_words(&self) -> bool {
        self.semicolon_in_search_words.get()
    }

    /// Enters one nesting level; fails once `max_depth` is exceeded.
    pub fn enter(&self, i: &str, depth: usize) -> Result<usize, Err<PError>> {
        let depth = depth + 1;
        if depth > self.limits.max_depth {
            return Err(Err::Failure(PError::new(
                i,
                ParseErrorKind::TooDeep,
                Cow::Owned(format!(
                    "nesting too deep (more than {} levels)",
                    self.limits.max_depth
                )),
            )));
        }
        Ok(depth)
    }

    /// True if `name` is a lambda variable in scope.
    pub fn is_lambda_var(&self, name: &str) -> bool {
        self.lambda_vars.borrow().iter().any(|v| v == name)
    }

    /// Runs `f` with the lambda variable `name` in scope.
    pub fn with_lambda_var<T>(&self, name: &str, f: impl FnOnce() -> T) -> T {
        self.lambda_vars.borrow_mut().push(name.to_owned());
        let out = f();
        self.lambda_vars.borrow_mut().pop();
        out
    }

    /// Converts the character position of byte offset `byte` in the source.
    pub fn char_pos(&self, byte: usize) -> usize {
        let mut b = byte.min(self.src.len());
        while !self.src.is_char_boundary(b) {
            b -= 1;
        }
        self.src[..b].chars().count()
    }

    /// The error to report: `returned`, unless a rule recorded one further into the input
    /// (or, at the same position, one with a specific message).
    fn reported(&self, returned: PError) -> PError {
        match self.furthest.borrow().clone() {
            Some(f) if f.rest < returned.rest || (f.rest == returned.rest && returned.generic) => f,
            _ => returned,
        }
    }

    /// Converts the error `e` to a [`ParseError`] naming `option`.
    pub fn to_parse_error(&self, option: &str, e: PError) -> ParseError {
        let e = self.reported(e);
        // Running out of input is its own kind: the client sent a truncated value.
        let kind = match e.kind {
            ParseErrorKind::Syntax if e.rest == 0 => ParseErrorKind::UnexpectedEnd,
            kind => kind,
        };
        let byte = self.src.len().saturating_sub(e.rest);
        ParseError::new(option, self.char_pos(byte), e.expected.into_owned()).with_kind(kind)
    }

    /// Converts the outcome of a parser run over the whole source to a [`ParseError`]
    /// naming `option`; input left over is an error.
    pub fn finish<T>(&self, option: &str, result: PResult<'_, T>) -> Result<T, ParseError> {
        let error = match result {
            Ok(("", value)) => return Ok(value),
            Ok((rest, _)) => {
                PError::new(rest, ParseErrorKind::Syntax, Cow::Owned(unexpected(rest)))
            }
            Err(Err::Failure(e) | Err::Error(e)) => e,
            Err(Err::Incomplete(_)) => PError::new(
                "",
                ParseErrorKind::UnexpectedEnd,
                Cow::Borrowed("unexpected end of input"),
            ),
        };
        Err(self.to_parse_error(option, error))
    }
}

/// Describes leftover input after a complete production.
fn unexpected(rest: &str) -> String {
    let snippet: String = rest.chars().take(12).collect();
    format!("unexpected '{snippet}'")
}

// ---------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------

/// `item *( separator item )` — the one list combinator of the grammar (`$select`,
/// `$expand`, `$orderby`, `$compute`, function arguments, `in (…)`, arrays, objects,
/// `case(…)`, nested `(…;…)` options, parameter names).
///
/// The first item may fail recoverably (so the caller can try another alternative); once
/// a separator has been read another item is required, so an item after it is `cut`. The
/// separator decides the whitespace it allows (see [`comma`]).
///
/// ```text
/// // args = commonExpr *( BWS COMMA BWS commonExpr )
/// let (rest, args) = list1(|i| common_expr(ctx, i, depth), comma).parse(input)?;
/// ```
pub fn list1<'a, O, F, S>(
    item: F,
    separator: S,
) -> impl Parser<&'a str, Output = Vec<O>, Error = PError>
where
    F: Parser<&'a str, Output = O, Error = PError>,
    S: Parser<&'a str, Error = PError>,
{
    let mut item = item;
    let mut separator = separator;
    move |i: &'a str| -> PResult<'a, Vec<O>> {
        let (mut rest, first) = item.parse(i)?;
        let mut items = vec![first];
        // `many0` would need the item parser twice; this is the single list loop.
        loop {
            match separator.parse(rest) {
                Ok((after, _)) => {
                    let (r, next) = cut(|x| item.parse(x)).parse(after)?;
                    items.push(next);
                    rest = r;
                }
                Err(Err::Error(_)) => return Ok((rest, items)),
                Err(e) => return Err(e),
            }
        }
    }
}

/// `BWS COMMA BWS`: the comma of argument lists, arrays and `in (…)`.
pub fn comma(i: &str) -> PResult<'_, char> {
    preceded(bws, terminated(char(','), bws)).parse(i)
}

/// `COMMA BWS`: the comma of top-level option lists (`$select=a, b`); no space before it,
/// since `a ,b` is no valid `$orderby` either.
pub fn comma_then_bws(i: &str) -> PResult<'_, char> {
    terminated(char(','), bws).parse(i)
}

/// Expects `c` after optional whitespace, committed, with the message `expected` (e.g.
/// "expected ',' or ')'" after a list item).
pub fn close<'a>(
    ctx: &Ctx<'_>,
    c: char,
    expected: &'static str,
) -> impl FnMut(&'a str) -> PResult<'a, ()> {
    let mut at = close_at(ctx, c, expected);
    move |i: &'a str| at(skip_ws(i))
}

/// Expects `c` right at `i` (no whitespace), committed, with the message `expected`.
pub fn close_at<'a>(
    ctx: &Ctx<'_>,
    c: char,
    expected: &'static str,
) -> impl FnMut(&'a str) -> PResult<'a, ()> {
    move |i: &'a str| match char::<_, PError>(c).parse(i) {
        Ok((rest, _)) => Ok((rest, ())),
        Err(_) => ctx.fail(i, expected),
    }
}

// ---------------------------------------------------------------------------------------
// 9. Punctuation and shared lexical rules
// ---------------------------------------------------------------------------------------

/// True for SP and HTAB (`%20`/`%09` are decoded already).
pub fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

// RWS = 1*( SP / HTAB / "%20" / "%09" )  ; "required" whitespace
/// Required whitespace.
pub fn rws(i: &str) -> PResult<'_, &str> {
    take_while1(is_ws)(i)
}

// BWS =  *( SP / HTAB / "%20" / "%09" )  ; "bad" whitespace
/// Optional whitespace.
pub fn bws(i: &str) -> PResult<'_, &str> {
    take_while(is_ws)(i)
}

/// `i` after optional whitespace (the infallible form of [`bws`]).
pub fn skip_ws(i: &str) -> &str {
    i.trim_start_matches(is_ws)
}

/// Expects `c` at `i` (committed: a missing `c` is a failure).
pub fn expect_char<'a>(ctx: &Ctx<'_>, i: &'a str, c: char) -> PResult<'a, ()> {
    match char::<_, PError>(c).parse(i) {
        Ok((rest, _)) => Ok((rest, ())),
        Err(_) => ctx.fail(i, expected_char(c)),
    }
}

/// True if `c` may continue an identifier.
pub fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Succeeds (consuming nothing) unless an identifier character follows.
pub fn word_end(i: &str) -> PResult<'_, ()> {
    not(satisfy(is_ident_char)).parse(i)
}

/// The keyword `kw` (case-sensitive, as `%s"…"` in the ABNF) not followed by an identifier
/// character.
pub fn keyword<'a>(kw: &'static str) -> impl Parser<&'a str, Output = &'a str, Error = PError> {
    terminated(tag(kw), word_end)
}

/// The keyword `kw` in any case (ABNF quoted strings are case-insensitive; OData 4.01
/// keywords like `and`, `asc`, `true` too) not followed by an identifier character.
pub fn keyword_ci<'a>(kw: &'static str) -> impl Parser<&'a str, Output = &'a str, Error = PError> {
    terminated(tag_ci(kw), word_end)
}

/// Case-insensitive prefix match: `i` after `word`, if it starts with it.
pub fn strip_prefix_ci<'a>(i: &'a str, word: &str) -> Option<&'a str> {
    let head = i.get(..word.len())?;
    if head.eq_ignore_ascii_case(word) {
        i.get(word.len()..)
    } else {
        None
    }
}

/// The ASCII word `kw` in any case (all keywords of the grammar are ASCII). Used instead of
/// nom's `tag_no_case`, which lowercases Unicode character by character and dominated the
/// parse time of operator-heavy `$filter`s.
pub fn tag_ci<'a>(kw: &'static str) -> impl Fn(&'a str) -> PResult<'a, &'a str> {
    move |i: &'a str| match i.get(..kw.len()) {
        Some(head) if head.eq_ignore_ascii_case(kw) => Ok((&i[kw.len()..], head)),
        _ => Err(Err::Error(nom::error::ParseError::from_error_kind(
            i,
            ErrorKind::Tag,
        ))),
    }
}

// odataIdentifier = identifierLeadingCharacter *127identifierCharacter
// identifierLeadingCharacter = ALPHA / "_"   ; plus Unicode L, Nl
// identifierCharacter = ALPHA / "_" / DIGIT ; plus Unicode L, Nl, Nd, Mn, Mc, Pc, Cf
/// An OData identifier (Unicode letters accepted, at most 128 characters).
pub fn odata_identifier<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, &'a str> {
    let leading = satisfy(|c: char| c.is_alphabetic() || c == '_');
    let ident = recognize(pair(leading, take_while::<_, _, PError>(is_ident_char)));
    let Ok((rest, name)) = { ident }.parse(i) else {
        return ctx.err(i, "expected an identifier");
    };
    if name.len() > 128 && name.chars().count() > 128 {
        return ctx.fail(i, "identifier longer than 128 characters");
    }
    Ok((rest, name))
}

/// True if all of `s` is one OData identifier.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(is_ident_char)
        && s.chars().count() <= 128
}

// namespace = namespacePart *( "." namespacePart )
// qualifiedTypeName etc.: namespace "." odataIdentifier
/// A dotted name `a.b.c` (one or more identifiers), returned as one slice.
pub fn qualified_name<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, &'a str> {
    let ident = |x| odata_identifier(ctx, x);
    // A failing part after a dot is not an error: `ns.*` and `a.` end the name there.
    recognize(pair(ident, many0_count(preceded(char('.'), ident)))).parse(i)
}

// 1*DIGIT
/// One or more ASCII digits.
pub fn digits<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, &'a str> {
    match take_while1::<_, _, PError>(|c: char| c.is_ascii_digit())(i) {
        Ok(v) => Ok(v),
        Err(_) => ctx.err(i, "expected a digit"),
    }
}

/// Runs an option parser over the whole of `text` and reports errors against `option`.
pub fn run<'t, T>(
    option: &str,
    text: &'t str,
    limits: &ParseLimits,
    parser: impl FnOnce(&Ctx<'t>, &'t str) -> PResult<'t, T>,
) -> Result<T, ParseError> {
    let ctx = Ctx::new(text, *limits);
    let result = parser(&ctx, text);
    ctx.finish(option, result)
}
