//! nom 8 parsers for the OData 4.01 query-option grammar.
//!
//! Each function sits under the OASIS ABNF rule it implements
//! (`/odata-spec/abnf/odata-abnf-construction-rules.txt`). The parsers work on the
//! *decoded* option value (see [`options`] for the query string itself): `%20`, `%27`,
//! `%28`, … have already become ` `, `'`, `(`, so the grammar's `SP / "%20"` alternatives
//! collapse to the plain characters, and a `+` that a client sent for a space is a space —
//! the literal parsers read a space back as `+` where the grammar needs a sign.
//!
//! All parsers share a [`Ctx`] carrying the source text (for offsets), the [`ParseLimits`],
//! the node counter, the furthest error seen and the lambda-variable scopes. Recursive
//! rules take a `depth` argument checked by [`Ctx::enter`]; committed productions turn
//! errors into `nom::Err::Failure` (`cut`) so the reported position is the real one.

pub mod compute;
pub mod expr;
pub mod literal;
pub mod options;
pub mod orderby;
pub mod search;
pub mod select_expand;

use super::ast::{AttachedSpan, Span};
use super::error::{ParseError, ParseLimits};
use nom::error::ErrorKind;
use nom::{Err, IResult};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};

/// Internal nom error: the remaining input length at the failure and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PError {
    /// Remaining input (in bytes) where the error occurred.
    pub rest: usize,
    /// What was expected.
    pub expected: Cow<'static, str>,
}

impl<'a> nom::error::ParseError<&'a str> for PError {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        PError {
            rest: input.len(),
            expected: Cow::Owned(format!("unexpected input ({})", kind.description())),
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn from_char(input: &'a str, c: char) -> Self {
        PError {
            rest: input.len(),
            expected: Cow::Owned(format!("expected '{c}'")),
        }
    }

    /// Keeps the error that got furthest into the input.
    fn or(self, other: Self) -> Self {
        if other.rest <= self.rest { other } else { self }
    }
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

    /// A recoverable error at `i` (another alternative may still match).
    pub fn err<T>(&self, i: &str, expected: impl Into<Cow<'static, str>>) -> PResult<'static, T> {
        let e = PError {
            rest: i.len(),
            expected: expected.into(),
        };
        self.record(&e);
        Err(Err::Error(e))
    }

    /// A committed error at `i` (stops all alternatives).
    pub fn fail<T>(&self, i: &str, expected: impl Into<Cow<'static, str>>) -> PResult<'static, T> {
        let e = PError {
            rest: i.len(),
            expected: expected.into(),
        };
        self.record(&e);
        Err(Err::Failure(e))
    }

    /// Counts one AST node; fails once `max_nodes` is exceeded.
    pub fn node(&self, i: &str) -> Result<(), Err<PError>> {
        let n = self.nodes.get() + 1;
        self.nodes.set(n);
        if n > self.limits.max_nodes {
            return Err(Err::Failure(PError {
                rest: i.len(),
                expected: Cow::Owned(format!(
                    "expression too large (more than {} nodes)",
                    self.limits.max_nodes
                )),
            }));
        }
        Ok(())
    }

    /// Counts one `$search` term; fails once [`ParseLimits::MAX_SEARCH_TERMS`] is exceeded.
    pub fn search_term(&self, i: &str) -> Result<(), Err<PError>> {
        let n = self.search_terms.get() + 1;
        self.search_terms.set(n);
        if n > ParseLimits::MAX_SEARCH_TERMS {
            return Err(Err::Failure(PError {
                rest: i.len(),
                expected: Cow::Owned(format!(
                    "too many search terms (more than {})",
                    ParseLimits::MAX_SEARCH_TERMS
                )),
            }));
        }
        Ok(())
    }

    /// Enters one nesting level; fails once `max_depth` is exceeded.
    pub fn enter(&self, i: &str, depth: usize) -> Result<usize, Err<PError>> {
        let depth = depth + 1;
        if depth > self.limits.max_depth {
            return Err(Err::Failure(PError {
                rest: i.len(),
                expected: Cow::Owned(format!(
                    "nesting too deep (more than {} levels)",
                    self.limits.max_depth
                )),
            }));
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

    /// Runs `parser` over the whole source and converts the outcome to a [`ParseError`]
    /// naming `option`.
    pub fn finish<T>(&self, option: &str, result: PResult<'_, T>) -> Result<T, ParseError> {
        let furthest = self.furthest.borrow().clone();
        let error = match result {
            Ok(("", value)) => return Ok(value),
            Ok((rest, _)) => {
                let leftover = PError {
                    rest: rest.len(),
                    expected: Cow::Owned(unexpected(rest)),
                };
                match furthest {
                    Some(f) if f.rest < leftover.rest => f,
                    _ => leftover,
                }
            }
            Err(Err::Failure(e)) => match furthest {
                Some(f) if f.rest < e.rest => f,
                _ => e,
            },
            Err(Err::Error(e)) => match furthest {
                Some(f) if f.rest < e.rest => f,
                _ => e,
            },
            Err(Err::Incomplete(_)) => PError {
                rest: 0,
                expected: Cow::Borrowed("unexpected end of input"),
            },
        };
        let byte = self.src.len().saturating_sub(error.rest);
        Err(ParseError::new(
            option,
            self.char_pos(byte),
            error.expected.into_owned(),
        ))
    }
}

/// Describes leftover input after a complete production.
fn unexpected(rest: &str) -> String {
    let snippet: String = rest.chars().take(12).collect();
    format!("unexpected '{snippet}'")
}

// ---------------------------------------------------------------------------------------
// 9. Punctuation and shared lexical rules
// ---------------------------------------------------------------------------------------

/// True for SP and HTAB (`%20`/`%09` are decoded already).
pub fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

// RWS = 1*( SP / HTAB / "%20" / "%09" )  ; "required" whitespace
/// Required whitespace; `None` if `i` does not start with SP/HTAB.
pub fn rws(i: &str) -> Option<&str> {
    let rest = i.trim_start_matches(is_ws);
    if rest.len() < i.len() {
        Some(rest)
    } else {
        None
    }
}

// BWS =  *( SP / HTAB / "%20" / "%09" )  ; "bad" whitespace
/// Optional whitespace.
pub fn bws(i: &str) -> &str {
    i.trim_start_matches(is_ws)
}

/// Expects `c` at `i` (committed: a missing `c` is a failure).
pub fn expect_char<'a>(ctx: &Ctx<'_>, i: &'a str, c: char) -> PResult<'a, ()> {
    match i.strip_prefix(c) {
        Some(rest) => Ok((rest, ())),
        None => ctx.fail(i, format!("expected '{c}'")),
    }
}

/// Case-insensitive prefix match (ABNF quoted strings are case-insensitive).
pub fn tag_ci<'a>(i: &'a str, tag: &str) -> Option<&'a str> {
    let head = i.get(..tag.len())?;
    if head.eq_ignore_ascii_case(tag) {
        i.get(tag.len()..)
    } else {
        None
    }
}

/// True if `c` may continue an identifier.
pub fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// True if the next character of `i` would continue an identifier or number.
pub fn ident_continues(i: &str) -> bool {
    i.chars().next().is_some_and(is_ident_char)
}

/// `i` without the keyword `kw` (case-sensitive) if `kw` is not followed by an identifier
/// character.
pub fn keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    let rest = i.strip_prefix(kw)?;
    if ident_continues(rest) {
        None
    } else {
        Some(rest)
    }
}

// odataIdentifier = identifierLeadingCharacter *127identifierCharacter
// identifierLeadingCharacter = ALPHA / "_"   ; plus Unicode L, Nl
// identifierCharacter = ALPHA / "_" / DIGIT ; plus Unicode L, Nl, Nd, Mn, Mc, Pc, Cf
/// An OData identifier (Unicode letters accepted, at most 128 characters).
pub fn odata_identifier<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, &'a str> {
    let mut chars = i.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_alphabetic() || c == '_' => {}
        _ => return ctx.err(i, "expected an identifier"),
    }
    let end = i
        .char_indices()
        .find(|&(_, c)| !is_ident_char(c))
        .map_or(i.len(), |(idx, _)| idx);
    let (name, rest) = i.split_at(end);
    if name.chars().count() > 128 {
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
    let (mut rest, _) = odata_identifier(ctx, i)?;
    while let Some(after_dot) = rest.strip_prefix('.') {
        match odata_identifier(ctx, after_dot) {
            Ok((r, _)) => rest = r,
            Err(_) => break,
        }
    }
    let len = i.len() - rest.len();
    Ok((rest, &i[..len]))
}

// 1*DIGIT
/// One or more ASCII digits.
pub fn digits<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, &'a str> {
    let end = i
        .char_indices()
        .find(|&(_, c)| !c.is_ascii_digit())
        .map_or(i.len(), |(idx, _)| idx);
    if end == 0 {
        return ctx.err(i, "expected a digit");
    }
    Ok((&i[end..], &i[..end]))
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
