//! Untyped syntax tree of OData 4.01 query options (`$filter`, `$select`, `$expand`, …).
//!
//! Names are kept as written; nothing here is resolved against a model. Typed literals keep
//! their source text (`Literal::DateTimeOffset("2016-12-31T23:59:23.3984029-08:00")`), the
//! binder validates and converts them. Every [`Expr`] carries its source [`Span`] inside an
//! [`AttachedSpan`], which is ignored by `PartialEq`/`Hash`, so trees from different sources
//! compare equal when they mean the same thing. `Display` (in `display.rs`) prints canonical
//! OData that parses back to an equal tree.

use super::error::ParseLimits;
use indexmap::IndexMap;
use std::hash::{Hash, Hasher};

/// A byte range inside the decoded value of one query option.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte of the construct.
    pub start: usize,
    /// One past the last byte of the construct.
    pub end: usize,
}

impl Span {
    /// Creates a span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// A [`Span`] attached to an AST node; it never takes part in equality or hashing
/// (sqlparser's `AttachedToken` trick), so parsed trees compare by meaning only.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttachedSpan(pub Span);

impl PartialEq for AttachedSpan {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for AttachedSpan {}

impl Hash for AttachedSpan {
    fn hash<H: Hasher>(&self, _state: &mut H) {}
}

impl From<Span> for AttachedSpan {
    fn from(span: Span) -> Self {
        Self(span)
    }
}

/// The syntactic class of a numeric literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberKind {
    /// Digits only, optionally signed: `42`, `-7`.
    Int,
    /// With a fraction but no exponent: `3.14`.
    Decimal,
    /// With an exponent, or `INF`, `-INF`, `NaN`: `1e+5`.
    Double,
    /// With the suffix `f` (an Edm.Single literal): `3.14f`, `1.5e2f`. The suffix is not
    /// part of the literal's text.
    Single,
}

/// Geography or geometry literal family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeoKind {
    /// `geography'…'`
    Geography,
    /// `geometry'…'`
    Geometry,
}

/// A primitive literal (ABNF `primitiveLiteral`), kept as source text where typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false` (any case).
    Bool(bool),
    /// A number, with its text as written (a `+` sent as space is restored: `1e+5`).
    Number {
        /// Source text, e.g. `-0.314e1`, `INF`.
        text: String,
        /// Int, decimal or double syntax.
        kind: NumberKind,
    },
    /// `'…'` with `''` already unescaped.
    String(String),
    /// `01234567-89ab-cdef-0123-456789abcdef`
    Guid(String),
    /// `2012-09-03`
    Date(String),
    /// `2012-09-03T23:59:01.5+01:00`
    DateTimeOffset(String),
    /// `23:59:01.5`
    TimeOfDay(String),
    /// The text between the quotes of `duration'P6DT23H'`.
    Duration(String),
    /// `Namespace.Type'member'` or flags `Namespace.Type'a,b'`.
    Enum {
        /// Qualified enumeration type name.
        type_name: String,
        /// Text between the quotes (member names or numbers, comma-separated).
        value: String,
    },
    /// The base64url text between the quotes of `binary'…'`.
    Binary(String),
    /// `geography'SRID=4326;Point(1 2)'`: the text between the quotes.
    Geo {
        /// Geography or geometry.
        kind: GeoKind,
        /// Full text between the quotes, including `SRID=…;`.
        text: String,
    },
}

/// Binary operators, from the loosest to the tightest binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `has`
    Has,
    /// `in`
    In,
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `divby`
    DivBy,
    /// `mod`
    Mod,
}

impl BinaryOp {
    /// All binary operators.
    pub const ALL: [BinaryOp; 16] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Has,
        BinaryOp::In,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::DivBy,
        BinaryOp::Mod,
    ];

    /// The operator keyword as written in URLs (lower case).
    pub fn keyword(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Has => "has",
            BinaryOp::In => "in",
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::DivBy => "divby",
            BinaryOp::Mod => "mod",
        }
    }

    /// Binding strength: `or` 1 < `and` 2 < (`not` 3) < comparison 4 < additive 5 <
    /// multiplicative 6. All binary operators associate to the left.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Has
            | BinaryOp::In => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::DivBy | BinaryOp::Mod => 6,
        }
    }
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `not` (binds looser than comparisons, tighter than `and`).
    Not,
    /// Arithmetic negation `-` (binds tighter than `mul`).
    Neg,
}

/// A lambda (`any`/`all`) body: `var: predicate`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lambda {
    /// The lambda variable name.
    pub var: String,
    /// The Boolean predicate, in which `var` is in scope.
    pub predicate: Box<Expr>,
}

/// A named argument of a function segment: `color='green'`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedArg {
    /// Parameter name.
    pub name: String,
    /// Argument value (a parameter alias is an [`Expr::Alias`]).
    pub value: Expr,
}

/// One segment of a member path such as `$it/Address/NS.Special/Street`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// `$it` (first segment only).
    It,
    /// `$this` (first segment only).
    This,
    /// `$root` (first segment only, followed by an entity set or singleton).
    Root,
    /// `@alias` followed by a path (first segment only).
    Alias(String),
    /// A lambda variable that is in scope (first segment only).
    Var(String),
    /// A property or navigation property name.
    Member(String),
    /// A qualified type name used as a type cast.
    Cast(String),
    /// `@Namespace.Term#Qualifier` (stored without the `@`).
    Annotation(String),
    /// A function call with named parameters: `NS.Fn(p=1)`, `BestProduct()`.
    Function {
        /// Function name, possibly qualified.
        name: String,
        /// Named arguments.
        args: Vec<NamedArg>,
    },
    /// `$count`, optionally with `($filter=…;$search=…)`.
    Count {
        /// Nested `$filter`.
        filter: Option<Box<Expr>>,
        /// Nested `$search`.
        search: Option<Search>,
    },
    /// `$filter(expr)` path segment.
    Filter(Box<Expr>),
    /// `any()` or `any(x: …)`.
    Any(Option<Lambda>),
    /// `all(x: …)`.
    All(Lambda),
}

/// A `case(condition: value, …)` branch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseBranch {
    /// Boolean condition.
    pub when: Expr,
    /// Value if the condition holds.
    pub then: Expr,
}

/// A `$filter`/`$orderby`/`$compute` expression (ABNF `commonExpr`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// A primitive literal.
    Literal {
        /// The literal.
        value: Literal,
        /// Source range.
        span: AttachedSpan,
    },
    /// A parameter alias `@p` (the name is stored without `@`).
    Alias {
        /// Alias name.
        name: String,
        /// Source range.
        span: AttachedSpan,
    },
    /// A member path: `a/b/c`, `$it/x`, `Products/any(p:p/Price gt 1)`, `Products/$count`.
    Path {
        /// The segments, at least one.
        segments: Vec<Segment>,
        /// Source range.
        span: AttachedSpan,
    },
    /// A function call with positional arguments: `contains(Name,'x')`, `geo.distance(a,b)`.
    Call {
        /// Function name as written (may contain dots).
        name: String,
        /// Positional arguments.
        args: Vec<Expr>,
        /// Source range.
        span: AttachedSpan,
    },
    /// A type name argument of `cast`/`isof`: `Edm.String`, `Collection(NS.T)`.
    TypeName {
        /// The type name as written.
        name: String,
        /// Source range.
        span: AttachedSpan,
    },
    /// `case(c1:v1, c2:v2, …)`.
    Case {
        /// The branches, at least one.
        branches: Vec<CaseBranch>,
        /// Source range.
        span: AttachedSpan,
    },
    /// `not x`, `-x`.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        operand: Box<Expr>,
        /// Source range.
        span: AttachedSpan,
    },
    /// `a op b`.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// Source range.
        span: AttachedSpan,
    },
    /// A parenthesised list of literals, right operand of `in`: `('a','b')`, `()`.
    List {
        /// The items.
        items: Vec<Expr>,
        /// Source range.
        span: AttachedSpan,
    },
    /// A JSON array `[…]` (4.01).
    Array {
        /// The items.
        items: Vec<Expr>,
        /// Source range.
        span: AttachedSpan,
    },
    /// A JSON object `{"name":value,…}` (4.01).
    Object {
        /// Members in source order.
        members: Vec<(String, Expr)>,
        /// Source range.
        span: AttachedSpan,
    },
    /// A JSON string `"…"` inside an array or object (unescaped).
    JsonString {
        /// The string value.
        value: String,
        /// Source range.
        span: AttachedSpan,
    },
}

impl Expr {
    /// The source range of this node (byte offsets in the decoded option value).
    pub fn span(&self) -> Span {
        match self {
            Expr::Literal { span, .. }
            | Expr::Alias { span, .. }
            | Expr::Path { span, .. }
            | Expr::Call { span, .. }
            | Expr::TypeName { span, .. }
            | Expr::Case { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::List { span, .. }
            | Expr::Array { span, .. }
            | Expr::Object { span, .. }
            | Expr::JsonString { span, .. } => span.0,
        }
    }

    /// A literal node with an empty span (for building trees by hand).
    pub fn literal(value: Literal) -> Self {
        Expr::Literal {
            value,
            span: AttachedSpan::default(),
        }
    }

    /// A binary node with an empty span.
    pub fn binary(op: BinaryOp, left: Expr, right: Expr) -> Self {
        Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
            span: AttachedSpan::default(),
        }
    }

    /// A path of plain member names with an empty span: `Expr::member_path(&["a", "b"])`.
    pub fn member_path(names: &[&str]) -> Self {
        Expr::Path {
            segments: names
                .iter()
                .map(|n| Segment::Member((*n).to_owned()))
                .collect(),
            span: AttachedSpan::default(),
        }
    }
}

/// A `$search` expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Search {
    /// A search word.
    Word(String),
    /// A `"quoted phrase"` (without the quotes).
    Phrase(String),
    /// The 4.01 single-quoted form `'…'` (`''` unescaped), taken verbatim.
    Quoted(String),
    /// `NOT x`
    Not(Box<Search>),
    /// `a AND b` or `a b`.
    And(Box<Search>, Box<Search>),
    /// `a OR b`
    Or(Box<Search>, Box<Search>),
}

/// Sort direction of an `$orderby` item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortDirection {
    /// `asc` (the default).
    #[default]
    Asc,
    /// `desc`
    Desc,
}

/// One `$orderby` item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderByItem {
    /// Sort key.
    pub expr: Expr,
    /// Direction.
    pub direction: SortDirection,
}

/// The value of `$orderby`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderBy {
    /// Items, at least one.
    pub items: Vec<OrderByItem>,
}

/// One `$compute` item: `expr as Alias`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ComputeItem {
    /// The computed expression.
    pub expr: Expr,
    /// The name of the computed property.
    pub alias: String,
}

/// The value of `$compute`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Compute {
    /// Items, at least one.
    pub items: Vec<ComputeItem>,
}

/// A name in a `$select`/`$expand` path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathName {
    /// An identifier or a qualified name (type cast, action, function), as written.
    Name(String),
    /// `@Namespace.Term#Qualifier`, stored without `@`.
    Annotation(String),
    /// A function/action with an overload-selecting parameter list: `NS.Fn(a,b)`.
    Operation {
        /// The (optionally qualified) operation name.
        name: String,
        /// Parameter names, at least one.
        parameters: Vec<String>,
    },
    /// `*`
    Star,
}

/// One `$select` item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SelectItem {
    /// `*`
    Star,
    /// `Namespace.*`: all operations of a schema.
    AllOperations {
        /// The namespace before `.*`.
        namespace: String,
    },
    /// A path, optionally with nested options (`Addresses($filter=…;$top=5)`).
    Path {
        /// Path names, at least one.
        segments: Vec<PathName>,
        /// Nested options (empty when none were given).
        options: Box<NestedOptions>,
    },
}

/// The value of `$select`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Select {
    /// Items, at least one.
    pub items: Vec<SelectItem>,
}

/// What an `$expand` path expands to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ExpandKind {
    /// The related entities.
    #[default]
    Entities,
    /// `/$ref`: entity references only.
    Ref,
    /// `/$count`: the number of related entities.
    Count,
}

/// `$levels` in an expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Levels {
    /// `$levels=max`
    Max,
    /// `$levels=n` (n ≥ 1).
    Number(u32),
}

/// One `$expand` item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExpandItem {
    /// `$value` (expand the media stream).
    Value,
    /// A navigation path (may end in `*`), with kind and nested options.
    Path {
        /// Path names; the last is a navigation property, an annotation or [`PathName::Star`].
        segments: Vec<PathName>,
        /// Entities, `$ref` or `$count`.
        kind: ExpandKind,
        /// Nested options (empty when none were given).
        options: Box<NestedOptions>,
    },
}

/// The value of `$expand`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expand {
    /// Items, at least one.
    pub items: Vec<ExpandItem>,
}

/// Options nested in `$select=…(…)` / `$expand=…(…)`, separated by `;`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NestedOptions {
    /// `$filter`
    pub filter: Option<Expr>,
    /// `$search`
    pub search: Option<Search>,
    /// `$count`
    pub count: Option<bool>,
    /// `$orderby`
    pub orderby: Option<OrderBy>,
    /// `$skip`
    pub skip: Option<u64>,
    /// `$top`
    pub top: Option<u64>,
    /// `$select`
    pub select: Option<Select>,
    /// `$expand`
    pub expand: Option<Expand>,
    /// `$compute`
    pub compute: Option<Compute>,
    /// `$levels`
    pub levels: Option<Levels>,
    /// `@alias=value` definitions, in source order.
    pub aliases: Vec<(String, Expr)>,
}

impl NestedOptions {
    /// True if no option is set.
    pub fn is_empty(&self) -> bool {
        *self == NestedOptions::default()
    }
}

/// A custom query option (`name` or `name=value`, decoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomOption {
    /// Decoded name.
    pub name: String,
    /// Decoded value, `None` when there was no `=`.
    pub value: Option<String>,
}

/// The value of `$index`.
///
/// The OASIS ABNF gives `$index` an integer: the position at which a POST inserts into an
/// ordered collection. On reads, `$index=true` asks for `@odata.index` (each item's
/// zero-based position in the whole result) on the members of a collection response.
///
/// ```
/// use odata_core::query::{parse_query_options, IndexOption};
///
/// let o = parse_query_options("$index=true").unwrap();
/// assert_eq!(o.index, Some(IndexOption::Annotate(true)));
/// let o = parse_query_options("index=-1").unwrap();
/// assert_eq!(o.index, Some(IndexOption::Position(-1)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexOption {
    /// `true`/`false`: annotate (or not) each collection member with `@odata.index`.
    Annotate(bool),
    /// An integer: an insert position in an ordered collection (negative counts from the
    /// end).
    Position(i64),
}

impl IndexOption {
    /// True for `$index=true`: members get `@odata.index`.
    pub fn annotates(self) -> bool {
        self == IndexOption::Annotate(true)
    }
}

impl std::fmt::Display for IndexOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexOption::Annotate(b) => write!(f, "{b}"),
            IndexOption::Position(n) => write!(f, "{n}"),
        }
    }
}

/// All query options of one request, parsed from the raw query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// `$filter`
    pub filter: Option<Expr>,
    /// `$select`
    pub select: Option<Select>,
    /// `$expand`
    pub expand: Option<Expand>,
    /// `$orderby`
    pub orderby: Option<OrderBy>,
    /// `$top`
    pub top: Option<u64>,
    /// `$skip`
    pub skip: Option<u64>,
    /// `$count`
    pub count: Option<bool>,
    /// `$search`
    pub search: Option<Search>,
    /// `$format` (raw decoded value).
    pub format: Option<String>,
    /// `$compute`
    pub compute: Option<Compute>,
    /// `$skiptoken` (opaque).
    pub skiptoken: Option<String>,
    /// `$deltatoken` (opaque).
    pub deltatoken: Option<String>,
    /// `$apply` as sent (decoded text).
    pub apply: Option<String>,
    /// `$apply` parsed.
    pub apply_tree: Option<crate::query::apply::Apply>,
    /// `$index`
    pub index: Option<IndexOption>,
    /// `$schemaversion`
    pub schemaversion: Option<String>,
    /// `$id` (raw decoded IRI).
    pub id: Option<String>,
    /// Parameter aliases `@name=value` (names without `@`), in source order.
    pub aliases: IndexMap<String, Expr>,
    /// Custom query options in source order.
    pub custom: Vec<CustomOption>,
    /// The limits the options were parsed with. The binder applies them again once
    /// parameter aliases are substituted, so a request cannot grow an expression past them
    /// through aliases (see [`crate::bind::BindContext::limits`]).
    pub limits: ParseLimits,
}
