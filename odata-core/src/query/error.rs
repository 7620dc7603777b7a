//! Errors of the query-option syntax layer.

use thiserror::Error;

/// What kind of problem a [`ParseError`] reports, for callers that react to the class of
/// error rather than to its text (tests, the HTTP layer).
///
/// ```
/// use odata_core::query::{parse_filter, ParseErrorKind, ParseLimits};
///
/// let e = parse_filter("Price gt", &ParseLimits::default()).unwrap_err();
/// assert_eq!(e.kind, ParseErrorKind::UnexpectedEnd);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text does not match the grammar at the position.
    Syntax,
    /// The text ends where the grammar needs more (`a eq`, `(a`, `'abc`).
    UnexpectedEnd,
    /// A literal or option value is recognised but malformed or out of range
    /// (`42.`, `duration'P1Y'`, `$top=99999999999999999999`).
    InvalidLiteral,
    /// Nesting deeper than [`ParseLimits::max_depth`].
    TooDeep,
    /// More AST nodes than [`ParseLimits::max_nodes`].
    TooManyNodes,
    /// More `$search` terms than [`ParseLimits::MAX_SEARCH_TERMS`].
    TooManySearchTerms,
    /// An unknown system query option (`$foo`, a nested `$bar=`, a top-level `$levels`).
    UnknownOption,
    /// A system query option, nested option or parameter alias given twice.
    DuplicateOption,
    /// A known option where it is not allowed (`$top` inside `/$count(…)`).
    OptionNotAllowed,
    /// An option without `=` or with an empty value where a value is required.
    MissingValue,
    /// The query string itself is malformed: bad percent-encoding, invalid UTF-8, a raw `#`.
    InvalidEncoding,
}

/// A syntax error in one query option.
///
/// `offset` is a character (code point) position inside the *decoded* value of the option
/// named by `option` (for `$filter=a eq` it counts from the `a`). Displayed as
/// `$filter: expected ')' at position 27`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{option}: {message} at position {offset}")]
pub struct ParseError {
    /// The query option (`$filter`, `$expand`, `@alias`, …) or `query` for the query string.
    pub option: String,
    /// Character position within the decoded option value where parsing failed.
    pub offset: usize,
    /// What was expected (or what is wrong) at that position.
    pub message: String,
    /// The class of the problem.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// Creates a [`ParseErrorKind::Syntax`] error for `option` at the character position
    /// `offset`.
    pub fn new(option: impl Into<String>, offset: usize, message: impl Into<String>) -> Self {
        Self {
            option: option.into(),
            offset,
            message: message.into(),
            kind: ParseErrorKind::Syntax,
        }
    }

    /// The same error with another [`kind`](ParseErrorKind).
    #[must_use]
    pub fn with_kind(mut self, kind: ParseErrorKind) -> Self {
        self.kind = kind;
        self
    }
}

/// Limits protecting the parser against hostile input.
///
/// Every nested construct (parentheses, function arguments, lambda bodies, nested
/// `$expand`/`$select` options, unary operators) counts one level of depth; every AST node
/// counts against `max_nodes`. Exceeding either yields a [`ParseError`], never a stack overflow.
///
/// The parser applies the limits to each option's text; the binder applies them again to
/// the expression with its parameter aliases substituted (`BindContext::limits`), where
/// every level of the bound tree and every alias substitution counts one level of depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Maximum nesting depth (default 100).
    pub max_depth: usize,
    /// Maximum number of AST nodes per option (default 10 000).
    pub max_nodes: usize,
}

impl ParseLimits {
    /// Maximum number of terms (words, phrases, quoted strings) in one `$search` value.
    ///
    /// Each term becomes one substring test per searchable column in the database query, so
    /// the node limit alone would still let a URL produce a statement the database refuses
    /// as too large.
    ///
    /// ```
    /// use odata_core::query::{parse_search, ParseLimits};
    ///
    /// let many = vec!["w"; ParseLimits::MAX_SEARCH_TERMS + 1].join(" ");
    /// let e = parse_search(&many, &ParseLimits::default()).unwrap_err();
    /// assert!(e.message.starts_with("too many search terms"), "{e}");
    /// ```
    pub const MAX_SEARCH_TERMS: usize = 100;
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_depth: 100,
            max_nodes: 10_000,
        }
    }
}
