//! The binder: the untyped [`Expr`] checked against the EDM into a [`BoundExpr`].
//!
//! Every error is an [`ODataError`] whose message starts with the query option
//! (`$filter: …`) and whose `target` is that option. Unsupported but valid OData
//! (`$root`, bound functions, annotation paths, …) is `ErrorKind::NotImplemented` (501);
//! everything else is a 400 naming the property, function or operator at fault.

use indexmap::IndexMap;

use crate::edm::{EntityTypeId, Model, PrimitiveKind, Property, TypeKind, TypeRef};
use crate::error::{ErrorKind, ODataError};
use crate::query::{
    BinaryOp, CaseBranch, Expr, Lambda, OrderBy, ParseLimits, Search, Segment, UnaryOp,
};
use crate::value::{DateTimeOffset, Value};

use super::compute::{self, ComputedProperty};
use super::literal::lit;
use super::typed::{
    ArithOp, BoundExpr, BoundOrderBy, BoundSearch, CompareOp, ExprType, PropertyRef,
};
use super::types::{promote, widen};

/// What the binder needs to know about the request.
#[derive(Debug, Clone)]
pub struct BindContext<'a> {
    /// The model.
    pub model: &'a Model,
    /// The declared entity type of the addressed collection (`$it`).
    pub entity_type: EntityTypeId,
    /// The request's parameter aliases (`@p=…`, names without `@`).
    pub aliases: &'a IndexMap<String, Expr>,
    /// The value of `now()` for this request (fixed once so every use agrees).
    pub now: DateTimeOffset,
    /// Limits on the bound expression of one option, parameter aliases substituted: every
    /// bound node counts against `max_nodes`, every level of the bound tree and every alias
    /// substitution one level against `max_depth`. Use the limits the request was parsed
    /// with ([`QueryOptions::limits`](crate::query::QueryOptions::limits)), so aliases
    /// cannot grow an expression past what the option text alone may be. The bound tree is
    /// at most as deep as the depth limit, and the recursive consumers of it (the evaluator,
    /// SQL translation) stay within it too.
    pub limits: ParseLimits,
}

/// Binds a `$filter` expression; the result is Boolean-typed (or the `null` literal).
///
/// ```
/// use indexmap::IndexMap;
/// use odata_core::bind::{bind_filter, BindContext, BoundExpr};
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
/// use odata_core::query::{parse_filter, ParseLimits};
/// use odata_core::value::DateTimeOffset;
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(
///         EntityTypeDef::new("thing")
///             .key(["id"])
///             .property(PropertyDef::new("id", "Edm.String").not_null())
///             .property(PropertyDef::new("size", "Edm.Int32")),
///     )
///     .build()
///     .unwrap();
/// let aliases = IndexMap::new();
/// let ctx = BindContext {
///     model: &model,
///     entity_type: model.find_entity_type("thing").unwrap(),
///     aliases: &aliases,
///     now: DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap(),
///     limits: ParseLimits::default(),
/// };
/// let ast = parse_filter("size gt 3", &ParseLimits::default()).unwrap();
/// assert!(matches!(bind_filter(&ctx, &ast).unwrap(), BoundExpr::Compare { .. }));
/// let ast = parse_filter("sise gt 3", &ParseLimits::default()).unwrap();
/// assert_eq!(
///     bind_filter(&ctx, &ast).unwrap_err().message,
///     "$filter: 'sise' is not a property of 'ns.thing'; did you mean 'size'?"
/// );
/// ```
pub fn bind_filter(ctx: &BindContext, expr: &Expr) -> Result<BoundExpr, ODataError> {
    filter_with(Binder::new(ctx, "$filter"), expr)
}

/// `$filter` bound by `b` (which may know computed properties).
pub(super) fn filter_with(mut b: Binder<'_, '_>, expr: &Expr) -> Result<BoundExpr, ODataError> {
    let bound = b.bind(expr)?;
    let ty = bound.ty();
    if !ty.is_boolean_or_null() {
        return Err(b.err(format!(
            "the expression must be Boolean, got {}",
            b.describe(&bound)
        )));
    }
    Ok(bound)
}

/// Binds an expression of any type. Messages name the option `$compute` (the option this
/// entry point serves; `$orderby` has [`bind_orderby`]).
pub fn bind_expr(ctx: &BindContext, expr: &Expr) -> Result<BoundExpr, ODataError> {
    Binder::new(ctx, "$compute").bind(expr)
}

/// Binds `$orderby`; every key must be primitive or enumeration typed.
pub fn bind_orderby(ctx: &BindContext, orderby: &OrderBy) -> Result<Vec<BoundOrderBy>, ODataError> {
    bind_orderby_with(Binder::new(ctx, "$orderby"), orderby)
}

/// `$orderby` bound by `b` (which may know computed properties).
pub(super) fn bind_orderby_with(
    mut b: Binder<'_, '_>,
    orderby: &OrderBy,
) -> Result<Vec<BoundOrderBy>, ODataError> {
    orderby
        .items
        .iter()
        .map(|item| {
            let expr = b.bind(&item.expr)?;
            match expr.ty() {
                ExprType::Primitive(p) if p.is_spatial() => {
                    return Err(b.err(format!(
                        "cannot sort by {}: spatial values have no order",
                        b.describe(&expr)
                    )));
                }
                ExprType::Primitive(_) | ExprType::Enum(_) | ExprType::Null => {}
                ExprType::Complex(_) | ExprType::Collection(_) | ExprType::Entity(_) => {
                    return Err(b.err(format!(
                        "cannot sort by {}: only primitive and enumeration values can be sorted",
                        b.describe(&expr)
                    )));
                }
            }
            Ok(BoundOrderBy {
                expr,
                direction: item.direction,
            })
        })
        .collect()
}

/// Binds `$search`: words, phrases and quoted strings all become terms.
///
/// A run of one operator (`a b c d`, `a OR b OR c`) is combined pairwise in order, so the
/// result is as deep as the logarithm of the run's length rather than the run itself (the
/// parser's limits bound the number of terms and the nesting of `NOT` and parentheses).
///
/// ```
/// use odata_core::bind::{bind_search, BoundSearch};
/// use odata_core::query::{parse_search, ParseLimits};
///
/// let s = parse_search("a b c d", &ParseLimits::default()).unwrap();
/// let t = |s: &str| Box::new(BoundSearch::Term(s.into()));
/// assert_eq!(
///     bind_search(&s),
///     BoundSearch::And(
///         Box::new(BoundSearch::And(t("a"), t("b"))),
///         Box::new(BoundSearch::And(t("c"), t("d"))),
///     )
/// );
/// ```
pub fn bind_search(search: &Search) -> BoundSearch {
    match search {
        Search::Word(t) | Search::Phrase(t) | Search::Quoted(t) => BoundSearch::Term(t.clone()),
        Search::Not(s) => BoundSearch::Not(Box::new(bind_search(s))),
        Search::And(..) => {
            let (first, rest) = run_operands(search, |s| match s {
                Search::And(a, b) => Some((&**a, &**b)),
                _ => None,
            });
            pairwise(
                bind_search(first),
                rest.into_iter().map(bind_search).collect(),
                |a, b| BoundSearch::And(Box::new(a), Box::new(b)),
            )
        }
        Search::Or(..) => {
            let (first, rest) = run_operands(search, |s| match s {
                Search::Or(a, b) => Some((&**a, &**b)),
                _ => None,
            });
            pairwise(
                bind_search(first),
                rest.into_iter().map(bind_search).collect(),
                |a, b| BoundSearch::Or(Box::new(a), Box::new(b)),
            )
        }
    }
}

/// The operands of the run of one binary operator rooted at `root` (`split` takes a node
/// of that operator apart), however parenthesized: the leftmost, then the others in order.
/// Iterative, so a long run costs no stack.
fn run_operands<'e, E>(
    root: &'e E,
    split: impl Fn(&'e E) -> Option<(&'e E, &'e E)>,
) -> (&'e E, Vec<&'e E>) {
    // Right operands still to take apart, the next one to visit last.
    let mut pending = Vec::new();
    let mut first = root;
    while let Some((left, right)) = split(first) {
        pending.push(right);
        first = left;
    }
    let mut rest = Vec::new();
    while let Some(e) = pending.pop() {
        match split(e) {
            Some((left, right)) => {
                pending.push(right);
                pending.push(left);
            }
            None => rest.push(e),
        }
    }
    (first, rest)
}

/// Takes an `op` node apart into its operands (`None` for any other expression).
fn binary_operands(op: BinaryOp) -> impl Fn(&Expr) -> Option<(&Expr, &Expr)> + Copy {
    move |e| match e {
        Expr::Binary {
            op: inner,
            left,
            right,
            ..
        } if *inner == op => Some((left.as_ref(), right.as_ref())),
        _ => None,
    }
}

/// Combines `first` and `rest` in order, neighbours pairwise, level by level: the result
/// is ⌈log₂ n⌉ levels deep for n operands (left-nested for up to three).
fn pairwise<T>(first: T, rest: Vec<T>, combine: impl Fn(T, T) -> T) -> T {
    let mut head = first;
    let mut level = rest;
    loop {
        let mut items = level.into_iter();
        let Some(second) = items.next() else {
            return head;
        };
        head = combine(head, second);
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        while let Some(a) = items.next() {
            next.push(match items.next() {
                Some(b) => combine(a, b),
                None => a,
            });
        }
        level = next;
    }
}

/// The name of the implicit lambda variable of an `x in collection` rewrite; not a valid
/// identifier, so it cannot clash with a user's variable.
const IN_VARIABLE: &str = "$in";

/// Where a path currently points.
#[derive(Debug, Clone)]
enum Cursor {
    /// An entity of this type (the start of a `$it` path, a related entity, a lambda
    /// variable over related entities).
    Entity(EntityTypeId),
    /// A value of this type (primitive, enum, complex or collection).
    Value(ExprType),
}

impl Cursor {
    /// The cursor at a value of type `ty`: an entity's members are its properties.
    fn of(ty: ExprType) -> Self {
        match ty {
            ExprType::Entity(t) => Cursor::Entity(t),
            other => Cursor::Value(other),
        }
    }
}

/// Binding state for one query option.
pub(super) struct Binder<'c, 'a> {
    /// The request context.
    pub(super) ctx: &'c BindContext<'a>,
    /// The option name used in messages and as the error target.
    pub(super) option: &'static str,
    /// Lambda variables in scope, innermost last, with their item type.
    vars: Vec<(String, ExprType)>,
    /// Parameter aliases being expanded (cycle detection).
    expanding: Vec<String>,
    /// Current nesting level: bound nodes and alias substitutions on the way here.
    depth: usize,
    /// Bound nodes so far in this option, alias bodies counted each time they are used.
    nodes: usize,
    /// The `$compute` properties a path may name ([`super::compute`]).
    computed: &'c [ComputedProperty],
    /// Binding the nested options of a selected collection or complex property
    /// ([`super::select_options`]): `$this` and bare member names start at the item (the
    /// variable [`THIS`]), `$it` still at the entity.
    items: bool,
}

/// The variable that stands for the current item of a selected collection-valued (or
/// complex) property in its nested `$filter`/`$orderby` (`$this`).
pub const THIS: &str = "$this";

impl<'c, 'a> Binder<'c, 'a> {
    /// A binder for `option`.
    pub(super) fn new(ctx: &'c BindContext<'a>, option: &'static str) -> Self {
        Self {
            ctx,
            option,
            vars: Vec::new(),
            expanding: Vec::new(),
            depth: 0,
            nodes: 0,
            computed: &[],
            items: false,
        }
    }

    /// A binder for `option` inside the nested options of a selected property whose items
    /// are of type `item`.
    pub(super) fn over_items(
        ctx: &'c BindContext<'a>,
        option: &'static str,
        item: ExprType,
    ) -> Self {
        let mut b = Self::new(ctx, option);
        b.vars.push((THIS.to_owned(), item));
        b.items = true;
        b
    }

    /// The same binder, resolving the aliases of `computed` in paths.
    pub(super) fn with_computed(self, computed: &'c [ComputedProperty]) -> Self {
        Self { computed, ..self }
    }

    /// The value of the computed property `segments` names (`alias` or `$it/alias`, not
    /// shadowed by a lambda variable), counted against the limits as if written out.
    fn computed_value(&mut self, segments: &[Segment]) -> Option<Result<BoundExpr, ODataError>> {
        let computed = compute::alias_of(self.computed, segments)?;
        if self.var_type(&computed.name).is_some() && matches!(segments, [Segment::Member(_)]) {
            return None;
        }
        let (levels, nodes) = compute::size(&computed.expr);
        Some(self.nested(levels, nodes, |_| Ok(computed.expr.clone())))
    }

    /// Fails once the counted depth or node total exceeds [`BindContext::limits`].
    ///
    /// Checked as each node is entered, so an alias body used many times over fails after
    /// `max_nodes` steps instead of first being built in full.
    fn check_limits(&self) -> Result<(), ODataError> {
        let limits = &self.ctx.limits;
        if self.nodes > limits.max_nodes {
            return Err(self.err(format!(
                "expression too large (more than {} nodes with parameter aliases substituted)",
                limits.max_nodes
            )));
        }
        if self.depth > limits.max_depth {
            return Err(self.err(format!(
                "nesting too deep (more than {} levels with parameter aliases substituted)",
                limits.max_depth
            )));
        }
        Ok(())
    }

    /// Runs `f` `levels` nesting levels deeper, having counted `nodes` more nodes.
    pub(super) fn nested<T>(
        &mut self,
        levels: usize,
        nodes: usize,
        f: impl FnOnce(&mut Self) -> Result<T, ODataError>,
    ) -> Result<T, ODataError> {
        self.depth += levels;
        self.nodes += nodes;
        let result = self.check_limits().and_then(|()| f(self));
        self.depth -= levels;
        result
    }

    /// A 400 whose message starts with the option name.
    pub(super) fn err(&self, message: impl std::fmt::Display) -> ODataError {
        ODataError::bad_request(format!("{}: {message}", self.option)).with_target(self.option)
    }

    /// A 501 for valid OData this service does not implement.
    pub(super) fn not_implemented(&self, message: impl std::fmt::Display) -> ODataError {
        ODataError::new(
            ErrorKind::NotImplemented,
            format!("{}: {message}", self.option),
        )
        .with_target(self.option)
    }

    /// `'path' (Type)`, `'text' (Edm.String)`, `null` or `an expression of type T`.
    pub(super) fn describe(&self, e: &BoundExpr) -> String {
        let model = self.ctx.model;
        let ty = e.ty().display(model);
        match e {
            BoundExpr::Property(p) => format!("'{}' ({ty})", path_text(model, p)),
            BoundExpr::Literal {
                value: Value::Enum(n),
                ty: ExprType::Enum(id),
            } => {
                let e = model.enum_type(*id);
                let member = e.format_value(*n).unwrap_or_else(|| n.to_string());
                format!("{}'{member}' ({ty})", e.qualified_name)
            }
            BoundExpr::Literal { value, .. } => match value_text(value) {
                Some(text) => format!("{text} ({ty})"),
                None => "null".to_owned(),
            },
            _ => format!("an expression of type {ty}"),
        }
    }

    /// `property 'path'` for properties, `the other operand` otherwise.
    pub(super) fn describe_short(&self, e: Option<&BoundExpr>) -> String {
        match e {
            Some(BoundExpr::Property(p)) => {
                format!("property '{}'", path_text(self.ctx.model, p))
            }
            _ => "the other operand".to_owned(),
        }
    }

    /// Binds one expression, counting it against the limits (a parameter alias counts as
    /// its substituted expression, plus one level).
    pub(super) fn bind(&mut self, e: &Expr) -> Result<BoundExpr, ODataError> {
        match e {
            Expr::Alias { .. } => self.bind_node(e),
            _ => self.nested(1, 1, |b| b.bind_node(e)),
        }
    }

    /// Binds one expression (limits already counted for it).
    fn bind_node(&mut self, e: &Expr) -> Result<BoundExpr, ODataError> {
        match e {
            Expr::Literal { value, .. } => self.bind_literal(value),
            Expr::Alias { name, .. } => self.with_alias(name, |b, expr| match expr {
                Some(expr) => b.bind(expr),
                // A forgotten `&@p=…` is a mistake to report, not a null to compare with.
                None => Err(b.err(format!(
                    "parameter alias '@{name}' has no value: add @{name}=<value> to the query"
                ))),
            }),
            Expr::Path { segments, .. } => self.bind_path(segments),
            Expr::Call { name, args, .. } => self.bind_call(name, args),
            Expr::TypeName { name, .. } => Err(self.err(format!(
                "the type name '{name}' is only allowed as the last argument of cast or isof"
            ))),
            Expr::Case { branches, .. } => self.bind_case(branches),
            Expr::Unary { op, operand, .. } => {
                let operand = self.bind(operand)?;
                match op {
                    UnaryOp::Not => {
                        self.require_boolean("not", &operand)?;
                        Ok(BoundExpr::Not(Box::new(operand)))
                    }
                    UnaryOp::Neg => self.bind_neg(operand),
                }
            }
            Expr::Binary {
                op, left, right, ..
            } => self.bind_binary(*op, left, right),
            Expr::List { .. } => Err(self.err(
                "a parenthesized list of values is only allowed as the right operand of 'in'",
            )),
            Expr::Array { .. } => {
                Err(self.err("a JSON array is only allowed as the right operand of 'in'"))
            }
            Expr::Object { .. } => {
                Err(self.not_implemented("JSON object literals are not supported"))
            }
            Expr::JsonString { value, .. } => Ok(lit(
                Value::String(value.clone()),
                ExprType::Primitive(PrimitiveKind::String),
            )),
        }
    }

    /// Runs `f` with the expression of parameter alias `name` (`None` when the request
    /// does not define it), detecting cycles.
    pub(super) fn with_alias<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Self, Option<&Expr>) -> Result<T, ODataError>,
    ) -> Result<T, ODataError> {
        if self.expanding.iter().any(|n| n == name) {
            return Err(self.err(format!(
                "parameter alias '@{name}' refers to itself (through {})",
                self.expanding
                    .iter()
                    .map(|n| format!("@{n}"))
                    .collect::<Vec<_>>()
                    .join(" → ")
            )));
        }
        let aliases = self.ctx.aliases;
        self.expanding.push(name.to_owned());
        // A substitution nests like a parenthesized expression: without counting it, a
        // chain of aliases each naming the next would nest without limit.
        let result = self.nested(1, 0, |b| f(b, aliases.get(name)));
        self.expanding.pop();
        result
    }

    /// Checks that an operand of `op` is Boolean (or null).
    fn require_boolean(&self, op: &str, e: &BoundExpr) -> Result<(), ODataError> {
        if e.ty().is_boolean_or_null() {
            Ok(())
        } else {
            Err(self.err(format!(
                "'{op}' needs Boolean operands, got {}",
                self.describe(e)
            )))
        }
    }

    fn bind_neg(&self, operand: BoundExpr) -> Result<BoundExpr, ODataError> {
        let ty = match operand.ty() {
            ExprType::Null => ExprType::Null,
            ExprType::Primitive(PrimitiveKind::Duration) => {
                ExprType::Primitive(PrimitiveKind::Duration)
            }
            ExprType::Primitive(p) if widen(p).is_some() => {
                ExprType::Primitive(widen(p).unwrap_or(p))
            }
            _ => {
                return Err(self.err(format!(
                    "'-' needs a numeric or Edm.Duration operand, got {}",
                    self.describe(&operand)
                )));
            }
        };
        Ok(BoundExpr::Neg {
            operand: Box::new(operand),
            ty,
        })
    }

    fn bind_binary(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Result<BoundExpr, ODataError> {
        match op {
            BinaryOp::And | BinaryOp::Or => self.bind_logical(op, l, r),
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Lt
            | BinaryOp::Le => {
                let cmp = match op {
                    BinaryOp::Eq => CompareOp::Eq,
                    BinaryOp::Ne => CompareOp::Ne,
                    BinaryOp::Gt => CompareOp::Gt,
                    BinaryOp::Ge => CompareOp::Ge,
                    BinaryOp::Lt => CompareOp::Lt,
                    _ => CompareOp::Le,
                };
                let left = self.bind_operand(l)?;
                let right = self.bind_operand(r)?;
                let ordered = !matches!(cmp, CompareOp::Eq | CompareOp::Ne);
                let (left, right) = self.comparable(op.keyword(), left, right, ordered)?;
                Ok(BoundExpr::Compare {
                    op: cmp,
                    left: Box::new(left),
                    right: Box::new(right),
                })
            }
            BinaryOp::Has => self.bind_has(l, r),
            BinaryOp::In => self.bind_in(l, r),
            BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::DivBy
            | BinaryOp::Mod => self.bind_arith(op, l, r),
        }
    }

    /// An operand of a comparison: an expression, or else a bare duration (`P1D`,
    /// `PT1H30M`) that clients write without `duration'…'`, which the grammar reads as a
    /// property path. Only a path that names no property is taken for a duration.
    fn bind_operand(&mut self, e: &Expr) -> Result<BoundExpr, ODataError> {
        let bound = self.bind(e);
        if bound.is_ok() {
            return bound;
        }
        let duration = match e {
            Expr::Path { segments, .. } => match segments.as_slice() {
                [Segment::Member(name)] if name.starts_with('P') => {
                    crate::value::Duration::parse(name).ok()
                }
                _ => None,
            },
            _ => None,
        };
        match duration {
            Some(d) => Ok(lit(
                Value::Duration(d),
                ExprType::Primitive(PrimitiveKind::Duration),
            )),
            None => bound,
        }
    }

    /// Adapts literals to the other side's type and checks the two operands of a
    /// comparison (or `in`, or `case` branches) can be compared.
    pub(super) fn comparable(
        &self,
        op: &str,
        left: BoundExpr,
        right: BoundExpr,
        ordered: bool,
    ) -> Result<(BoundExpr, BoundExpr), ODataError> {
        let (lt, rt) = (left.ty(), right.ty());
        let left = self.coerce(left, &rt, Some(&right))?;
        let right = self.coerce(right, &lt, Some(&left))?;
        let (lt, rt) = (left.ty(), right.ty());
        let mismatch = |hint: &str| {
            self.err(format!(
                "cannot compare {} with {}{hint}",
                self.describe(&left),
                self.describe(&right)
            ))
        };
        match (&lt, &rt) {
            (ExprType::Null, ExprType::Null) => Ok(()),
            (ExprType::Collection(_), _) | (_, ExprType::Collection(_)) => Err(self.err(format!(
                "cannot use '{op}' with the collection {}: use any(), all() or $count",
                self.describe(if matches!(lt, ExprType::Collection(_)) {
                    &left
                } else {
                    &right
                })
            ))),
            (ExprType::Complex(_) | ExprType::Entity(_), ExprType::Null)
            | (ExprType::Null, ExprType::Complex(_) | ExprType::Entity(_))
                if !ordered =>
            {
                Ok(())
            }
            (ExprType::Entity(_), _) | (_, ExprType::Entity(_)) => Err(self.err(format!(
                "cannot use '{op}' with the related entity {}: a navigation property can only \
                 be compared with null (eq/ne)",
                self.describe(if matches!(lt, ExprType::Entity(_)) {
                    &left
                } else {
                    &right
                })
            ))),
            (ExprType::Complex(_), _) | (_, ExprType::Complex(_)) => Err(self.err(format!(
                "cannot use '{op}' with the complex value {}: complex values can only be \
                 compared with null (eq/ne)",
                self.describe(if matches!(lt, ExprType::Complex(_)) {
                    &left
                } else {
                    &right
                })
            ))),
            (ExprType::Null, _) | (_, ExprType::Null) => Ok(()),
            (ExprType::Enum(a), ExprType::Enum(b)) if a == b => Ok(()),
            (ExprType::Enum(_), _) | (_, ExprType::Enum(_)) => Err(mismatch(
                "; compare an enumeration with a member name such as 'member' or Namespace.Type'member'",
            )),
            (ExprType::Primitive(a), ExprType::Primitive(b))
                if a.is_spatial() || b.is_spatial() =>
            {
                Err(self.err(format!(
                    "cannot use '{op}' with the spatial value {}: spatial values can only be \
                     compared with null (eq/ne); use geo.distance, geo.length or geo.intersects",
                    self.describe(if a.is_spatial() { &left } else { &right })
                )))
            }
            (ExprType::Primitive(a), ExprType::Primitive(b)) => {
                if a == b || (lt.is_numeric() && rt.is_numeric()) {
                    Ok(())
                } else if matches!(
                    (a, b),
                    (PrimitiveKind::DateTimeOffset, PrimitiveKind::Date)
                        | (PrimitiveKind::Date, PrimitiveKind::DateTimeOffset)
                ) {
                    Err(mismatch(
                        ": an Edm.DateTimeOffset cannot be compared with an Edm.Date; compare \
                         date(…) with the date, or use a DateTimeOffset literal such as \
                         2024-01-01T00:00:00Z",
                    ))
                } else if matches!(
                    (a, b),
                    (
                        PrimitiveKind::String,
                        PrimitiveKind::Guid | PrimitiveKind::DateTimeOffset
                    ) | (
                        PrimitiveKind::Guid | PrimitiveKind::DateTimeOffset,
                        PrimitiveKind::String
                    )
                ) {
                    Err(mismatch(
                        ": write GUID and DateTimeOffset literals without quotes",
                    ))
                } else {
                    Err(mismatch(""))
                }
            }
        }?;
        Ok((left, right))
    }

    /// `a and b and …` or `a or b or …`: the operands of the whole run of one operator
    /// (however parenthesized) are collected without recursion and combined pairwise, in
    /// order. The bound tree is then as deep as the logarithm of the run's length, so long
    /// `id eq 'a' or id eq 'b' or …` lists stay within the depth limit; `and` and `or` are
    /// associative, also with null and with the evaluator's short-circuiting.
    fn bind_logical(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Result<BoundExpr, ODataError> {
        let split = binary_operands(op);
        let (first, mut rest) = run_operands(l, split);
        let (right_first, right_rest) = run_operands(r, split);
        rest.push(right_first);
        rest.extend(right_rest);
        // `bind` counted one operator node and one level already; the run has n − 1
        // operators in ⌈log₂ n⌉ levels.
        let n = rest.len() + 1;
        let levels = (usize::BITS - (n - 1).leading_zeros()) as usize;
        let (first, rest) = self.nested(levels - 1, n - 2, |b| {
            let first = b.bind(first)?;
            let rest = rest
                .iter()
                .map(|e| b.bind(e))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((first, rest))
        })?;
        for operand in std::iter::once(&first).chain(&rest) {
            self.require_boolean(op.keyword(), operand)?;
        }
        Ok(pairwise(first, rest, |a, b| {
            if op == BinaryOp::And {
                BoundExpr::And(Box::new(a), Box::new(b))
            } else {
                BoundExpr::Or(Box::new(a), Box::new(b))
            }
        }))
    }

    fn bind_has(&mut self, l: &Expr, r: &Expr) -> Result<BoundExpr, ODataError> {
        let value = self.bind(l)?;
        let ExprType::Enum(id) = value.ty() else {
            return Err(self.err(format!(
                "'has' needs an enumeration operand on the left, got {}",
                self.describe(&value)
            )));
        };
        let right = self.bind(r)?;
        let right = self.coerce(right, &ExprType::Enum(id), Some(&value))?;
        match right {
            BoundExpr::Literal {
                value: Value::Enum(flags),
                ty: ExprType::Enum(rid),
            } if rid == id => Ok(BoundExpr::Has {
                value: Box::new(value),
                flags,
            }),
            other => Err(self.err(format!(
                "the right operand of 'has' must be a literal of '{}' such as {}'member', got {}",
                self.ctx.model.enum_type(id).qualified_name,
                self.ctx.model.enum_type(id).qualified_name,
                self.describe(&other)
            ))),
        }
    }

    fn bind_in(&mut self, l: &Expr, r: &Expr) -> Result<BoundExpr, ODataError> {
        // Counted one level deeper (and with the comparison and variable nodes): `x in
        // collection` puts `x` under an `any` and an `eq`, and which form applies is only
        // known after the right operand.
        let value = self.nested(1, 2, |b| b.bind(l))?;
        match r {
            Expr::List { items, .. } | Expr::Array { items, .. } => self.in_items(value, items),
            Expr::Alias { name, .. } => self.with_alias(name, |b, expr| match expr {
                Some(Expr::List { items, .. } | Expr::Array { items, .. }) => {
                    b.in_items(value, items)
                }
                Some(other) => b.in_collection(value, other),
                None => Err(b.err(format!(
                    "the right operand of 'in' is the parameter alias '@{name}', which the \
                     request does not define"
                ))),
            }),
            other => self.in_collection(value, other),
        }
    }

    /// `x in (a, b, …)`.
    fn in_items(&mut self, value: BoundExpr, items: &[Expr]) -> Result<BoundExpr, ODataError> {
        let mut bound = Vec::with_capacity(items.len());
        let mut value = value;
        for item in items {
            let item = self.bind(item)?;
            let (v, i) = self.comparable("in", value, item, false)?;
            value = v;
            bound.push(i);
        }
        Ok(BoundExpr::In {
            value: Box::new(value),
            items: bound,
        })
    }

    /// `x in collectionProperty`, rewritten to `collectionProperty/any($in: $in eq x)`.
    fn in_collection(&mut self, value: BoundExpr, r: &Expr) -> Result<BoundExpr, ODataError> {
        let coll = self.bind(r)?;
        let BoundExpr::Property(collection) = coll else {
            return Err(self.err(format!(
                "the right operand of 'in' must be a list such as ('a','b') or a collection \
                 property, got {}",
                self.describe(&coll)
            )));
        };
        let ExprType::Collection(item) = collection.ty.clone() else {
            return Err(self.err(format!(
                "the right operand of 'in' must be a list such as ('a','b') or a collection \
                 property, got {}",
                self.describe(&BoundExpr::Property(collection))
            )));
        };
        let var = BoundExpr::Property(PropertyRef {
            variable: Some(IN_VARIABLE.to_owned()),
            cast: None,
            path: Vec::new(),
            ty: *item,
        });
        let (var, value) = self.comparable("in", var, value, false)?;
        Ok(BoundExpr::Any {
            collection,
            variable: IN_VARIABLE.to_owned(),
            predicate: Some(Box::new(BoundExpr::Compare {
                op: CompareOp::Eq,
                left: Box::new(value),
                right: Box::new(var),
            })),
        })
    }

    fn bind_arith(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Result<BoundExpr, ODataError> {
        let left = self.bind(l)?;
        let right = self.bind(r)?;
        let duration = ExprType::Primitive(PrimitiveKind::Duration);
        let temporal = |t: &ExprType| {
            t.is(PrimitiveKind::DateTimeOffset)
                || t.is(PrimitiveKind::Date)
                || t.is(PrimitiveKind::Duration)
        };
        let (lt, rt) = (left.ty(), right.ty());
        let left = if temporal(&rt) {
            self.coerce(left, &duration, Some(&right))?
        } else {
            self.coerce(left, &rt, Some(&right))?
        };
        let right = if temporal(&lt) {
            self.coerce(right, &duration, Some(&left))?
        } else {
            self.coerce(right, &lt, Some(&left))?
        };
        let Some(ty) = arith_type(op, &left.ty(), &right.ty()) else {
            return Err(self.err(format!(
                "operator '{}' is not defined for {} and {}",
                op.keyword(),
                self.describe(&left),
                self.describe(&right)
            )));
        };
        let op = match op {
            BinaryOp::Add => ArithOp::Add,
            BinaryOp::Sub => ArithOp::Sub,
            BinaryOp::Mul => ArithOp::Mul,
            BinaryOp::Div => ArithOp::Div,
            BinaryOp::DivBy => ArithOp::DivBy,
            _ => ArithOp::Mod,
        };
        Ok(BoundExpr::Arith {
            op,
            left: Box::new(left),
            right: Box::new(right),
            ty,
        })
    }

    fn bind_case(&mut self, branches: &[CaseBranch]) -> Result<BoundExpr, ODataError> {
        let mut bound = Vec::with_capacity(branches.len());
        for branch in branches {
            let when = self.bind(&branch.when)?;
            if !when.ty().is_boolean_or_null() {
                return Err(self.err(format!(
                    "case: every condition must be Boolean, got {}",
                    self.describe(&when)
                )));
            }
            let then = self.bind(&branch.then)?;
            bound.push((when, then));
        }
        // Literals adapt to the first non-literal value's type (else the first literal's):
        // `case(x: enumProp, true: 'member')`. Numeric values then promote.
        let typed = |e: &&(BoundExpr, BoundExpr)| !matches!(e.1.ty(), ExprType::Null);
        let target = bound
            .iter()
            .filter(typed)
            .find(|(_, then)| !matches!(then, BoundExpr::Literal { .. }))
            .or_else(|| bound.iter().find(typed))
            .map_or(ExprType::Null, |(_, then)| then.ty());
        let mut result = ExprType::Null;
        let mut out = Vec::with_capacity(bound.len());
        for (when, then) in bound {
            let then = self.coerce(then, &target, None)?;
            let t = then.ty();
            result = match (&result, &t) {
                (ExprType::Null, _) => t,
                (_, ExprType::Null) => result,
                (a, b) if a == b => result,
                (ExprType::Primitive(a), ExprType::Primitive(b)) if promote(*a, *b).is_some() => {
                    ExprType::Primitive(promote(*a, *b).unwrap_or(*a))
                }
                _ => {
                    return Err(self.err(format!(
                        "case: the branches have incompatible types {} and {}",
                        result.display(self.ctx.model),
                        t.display(self.ctx.model)
                    )));
                }
            };
            out.push((when, then));
        }
        if matches!(result, ExprType::Collection(_)) {
            return Err(self.err("case: branch values cannot be collections"));
        }
        Ok(BoundExpr::Case {
            branches: out,
            ty: result,
        })
    }

    /// The type of lambda variable `name`, innermost first.
    fn var_type(&self, name: &str) -> Option<&ExprType> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }

    /// Binds a member path.
    fn bind_path(&mut self, segments: &[Segment]) -> Result<BoundExpr, ODataError> {
        if let Some(value) = self.computed_value(segments) {
            return value;
        }
        let mut variable = None;
        let item = if self.items {
            self.var_type(THIS).cloned()
        } else {
            None
        };
        let in_item = match (&item, segments.first()) {
            (Some(item), Some(Segment::This)) => Some((item.clone(), &segments[1..])),
            (Some(item), Some(Segment::Member(name)))
                if !self.vars.iter().any(|(n, _)| n == name) =>
            {
                if !matches!(item, ExprType::Complex(_) | ExprType::Entity(_)) {
                    return Err(self.err(format!(
                        "the items are not of a complex type, so '{name}' names nothing; \
                         write '$this' for the item itself"
                    )));
                }
                Some((item.clone(), segments))
            }
            (Some(item), Some(Segment::Cast(_))) => Some((item.clone(), segments)),
            _ => None,
        };
        let (mut cursor, rest) = match segments.split_first() {
            None => return Err(self.err("empty path")),
            Some(_) if in_item.is_some() => match in_item {
                Some((item, rest)) => {
                    variable = Some(THIS.to_owned());
                    (Cursor::of(item), rest)
                }
                None => return Err(self.err("empty path")),
            },
            Some((Segment::It | Segment::This, rest)) => {
                (Cursor::Entity(self.ctx.entity_type), rest)
            }
            Some((Segment::Var(name), rest)) => {
                let Some(ty) = self.var_type(name) else {
                    return Err(self.err(format!("'{name}' is not a lambda variable in scope")));
                };
                variable = Some(name.clone());
                (Cursor::of(ty.clone()), rest)
            }
            Some((Segment::Member(name), rest)) if self.vars.iter().any(|(n, _)| n == name) => {
                // A lambda variable inside an alias expression (parsed without scopes).
                variable = Some(name.clone());
                (
                    Cursor::of(self.var_type(name).cloned().unwrap_or(ExprType::Null)),
                    rest,
                )
            }
            Some((Segment::Member(_) | Segment::Cast(_), _)) => {
                (Cursor::Entity(self.ctx.entity_type), segments)
            }
            Some((first, _)) => return Err(self.unsupported_segment(first, true)),
        };
        let mut cast = None;
        let mut path: Vec<String> = Vec::new();
        let total = rest.len();
        for (i, seg) in rest.iter().enumerate() {
            match seg {
                Segment::Member(name) => {
                    cursor = self.member(&cursor, name, &path, variable.as_deref(), cast)?;
                    path.push(name.clone());
                }
                Segment::Cast(name) => {
                    cursor = self.cast_segment(&cursor, name, &mut cast, &path)?;
                }
                Segment::Count { filter, search } => {
                    let Cursor::Value(ty @ ExprType::Collection(_)) = cursor else {
                        return Err(self.err(format!(
                            "$count must follow a collection-valued property, not '{}'",
                            self.path_display(variable.as_deref(), cast, &path)
                        )));
                    };
                    if i + 1 != total {
                        return Err(self.err("nothing may follow '$count' in a path"));
                    }
                    let collection = PropertyRef {
                        variable,
                        cast,
                        path,
                        ty,
                    };
                    if filter.is_none() && search.is_none() {
                        return Ok(BoundExpr::Count(collection));
                    }
                    return self.bind_count_where(collection, filter.as_deref(), search.as_ref());
                }
                Segment::Any(lambda) => {
                    let collection = self.collection_ref(&cursor, variable, cast, path, "any")?;
                    return self.bind_lambda(collection, lambda.as_ref(), true);
                }
                Segment::All(lambda) => {
                    let collection = self.collection_ref(&cursor, variable, cast, path, "all")?;
                    return self.bind_lambda(collection, Some(lambda), false);
                }
                other => return Err(self.unsupported_segment(other, false)),
            }
        }
        match cursor {
            // A single-valued navigation: the related entity, which only `eq null` tests.
            Cursor::Entity(t) if !path.is_empty() => Ok(BoundExpr::Property(PropertyRef {
                variable,
                cast,
                path,
                ty: ExprType::Entity(t),
            })),
            Cursor::Entity(_) => Err(self
                .err("a path must end in a property: '$it' or a type cast alone is not a value")),
            Cursor::Value(ExprType::Collection(item)) if matches!(*item, ExprType::Entity(_)) => {
                Err(self.err(format!(
                    "'{}' is a collection-valued navigation property: use any(), all() or \
                     $count",
                    self.path_display(variable.as_deref(), cast, &path)
                )))
            }
            Cursor::Value(ty) => Ok(BoundExpr::Property(PropertyRef {
                variable,
                cast,
                path,
                ty,
            })),
        }
    }

    /// The error for a segment that cannot appear where it does.
    fn unsupported_segment(&self, seg: &Segment, first: bool) -> ODataError {
        match seg {
            Segment::Root => self.not_implemented("$root paths are not supported"),
            Segment::Alias(name) => self.not_implemented(format!(
                "paths into parameter alias values (@{name}/…) are not supported"
            )),
            Segment::Annotation(name) => {
                self.not_implemented(format!("annotation paths (@{name}) are not supported"))
            }
            Segment::Function { name, .. } => {
                self.not_implemented(format!("functions in paths ('{name}') are not supported"))
            }
            Segment::Filter(_) => {
                self.not_implemented("/$filter(…) path segments are not supported")
            }
            Segment::It | Segment::This | Segment::Var(_) if !first => {
                self.err("'$it', '$this' and lambda variables can only start a path")
            }
            _ => self.err("unexpected path segment"),
        }
    }

    /// The property reference of a collection-valued path before a lambda operator.
    fn collection_ref(
        &self,
        cursor: &Cursor,
        variable: Option<String>,
        cast: Option<EntityTypeId>,
        path: Vec<String>,
        op: &str,
    ) -> Result<PropertyRef, ODataError> {
        match cursor {
            Cursor::Value(ty @ ExprType::Collection(_)) => Ok(PropertyRef {
                variable,
                cast,
                path,
                ty: ty.clone(),
            }),
            _ => Err(self.err(format!(
                "'{op}' must follow a collection-valued property, not '{}'",
                self.path_display(variable.as_deref(), cast, &path)
            ))),
        }
    }

    fn bind_lambda(
        &mut self,
        collection: PropertyRef,
        lambda: Option<&Lambda>,
        any: bool,
    ) -> Result<BoundExpr, ODataError> {
        let ExprType::Collection(item) = &collection.ty else {
            return Err(self.err("a lambda operator needs a collection"));
        };
        let Some(lambda) = lambda else {
            return Ok(BoundExpr::Any {
                collection,
                variable: String::new(),
                predicate: None,
            });
        };
        if self.vars.iter().any(|(n, _)| *n == lambda.var) {
            return Err(self.err(format!(
                "the lambda variable '{}' is already in scope",
                lambda.var
            )));
        }
        self.vars.push((lambda.var.clone(), (**item).clone()));
        let predicate = self.bind(&lambda.predicate);
        self.vars.pop();
        let predicate = predicate?;
        let op = if any { "any" } else { "all" };
        if !predicate.ty().is_boolean_or_null() {
            return Err(self.err(format!(
                "the predicate of '{op}' must be Boolean, got {}",
                self.describe(&predicate)
            )));
        }
        let variable = lambda.var.clone();
        Ok(if any {
            BoundExpr::Any {
                collection,
                variable,
                predicate: Some(Box::new(predicate)),
            }
        } else {
            BoundExpr::All {
                collection,
                variable,
                predicate: Box::new(predicate),
            }
        })
    }

    /// `path/$count($filter=…;$search=…)`: the filter is bound with [`THIS`] standing for
    /// the item (bare member names are its members; `$it` stays the entity).
    fn bind_count_where(
        &mut self,
        collection: PropertyRef,
        filter: Option<&Expr>,
        search: Option<&Search>,
    ) -> Result<BoundExpr, ODataError> {
        let ExprType::Collection(item) = &collection.ty else {
            return Err(self.err("$count must follow a collection-valued property"));
        };
        let filter = match filter {
            None => None,
            Some(f) => {
                self.vars.push((THIS.to_owned(), (**item).clone()));
                let items = std::mem::replace(&mut self.items, true);
                let bound = self.bind(f);
                self.items = items;
                self.vars.pop();
                let bound = bound?;
                if !bound.ty().is_boolean_or_null() {
                    return Err(self.err(format!(
                        "the $filter inside $count must be Boolean, got {}",
                        self.describe(&bound)
                    )));
                }
                Some(Box::new(bound))
            }
        };
        Ok(BoundExpr::CountWhere {
            collection,
            variable: THIS.to_owned(),
            filter,
            search: search.map(bind_search),
        })
    }

    /// `a/b/c` for messages.
    fn path_display(
        &self,
        variable: Option<&str>,
        cast: Option<EntityTypeId>,
        path: &[String],
    ) -> String {
        path_text(
            self.ctx.model,
            &PropertyRef {
                variable: variable.map(str::to_owned),
                cast,
                path: path.to_vec(),
                ty: ExprType::Null,
            },
        )
    }

    /// Steps from `cursor` into the member `name`.
    fn member(
        &self,
        cursor: &Cursor,
        name: &str,
        path: &[String],
        variable: Option<&str>,
        cast: Option<EntityTypeId>,
    ) -> Result<Cursor, ODataError> {
        let model = self.ctx.model;
        match cursor {
            Cursor::Entity(t) => {
                let et = model.entity_type(*t);
                if let Some(p) = et.property(name) {
                    self.readable(p)?;
                    return self.property_cursor(&p.type_ref, name);
                }
                if let Some(nav) = et.navigation_property(name) {
                    // A single-valued navigation leads to the related entity's members; a
                    // collection-valued one to its entities, for lambdas and `$count`.
                    return Ok(if nav.collection {
                        Cursor::Value(ExprType::Collection(Box::new(ExprType::Entity(nav.target))))
                    } else {
                        Cursor::Entity(nav.target)
                    });
                }
                let mut msg = format!("'{name}' is not a property of '{}'", et.qualified_name);
                let derived = model
                    .entity_type_and_subtypes(*t)
                    .into_iter()
                    .skip(1)
                    .find(|d| model.entity_type(*d).property(name).is_some());
                if let Some(d) = derived {
                    let dn = &model.entity_type(d).qualified_name;
                    msg.push_str(&format!(
                        "; it is declared on the derived type '{dn}': write '{dn}/{name}'"
                    ));
                } else if let Some(close) = closest(name, et.properties().map(|p| p.name.as_str()))
                {
                    msg.push_str(&format!("; did you mean '{close}'?"));
                }
                Err(self.err(msg))
            }
            Cursor::Value(ExprType::Complex(c)) => {
                let ct = model.complex_type(*c);
                if let Some(p) = ct.property(name) {
                    self.readable(p)?;
                    return self.property_cursor(&p.type_ref, name);
                }
                let mut msg = format!("'{name}' is not a property of '{}'", ct.qualified_name);
                if let Some(close) = closest(name, ct.properties().map(|p| p.name.as_str())) {
                    msg.push_str(&format!("; did you mean '{close}'?"));
                }
                Err(self.err(msg))
            }
            Cursor::Value(ExprType::Collection(_)) => Err(self.err(format!(
                "'{}' is a collection: use any(), all() or $count instead of '/{name}'",
                self.path_display(variable, cast, path)
            ))),
            Cursor::Value(ty) => Err(self.err(format!(
                "'{}' is of type {} and has no property '{name}'",
                if path.is_empty() {
                    variable.unwrap_or("$it").to_owned()
                } else {
                    self.path_display(variable, cast, path)
                },
                ty.display(model)
            ))),
        }
    }

    /// Refuses a write-only property (`Core.Permissions/Write`): its value is never
    /// returned, and a query using it would reveal it anyway (filtering by prefix, sorting
    /// and reading the sort key back from a `$skiptoken`).
    pub(super) fn readable(&self, p: &Property) -> Result<(), ODataError> {
        if p.is_write_only() {
            return Err(self.err(format!(
                "'{}' is write-only and cannot be used in a query",
                p.name
            )));
        }
        Ok(())
    }

    /// The cursor for a structural property of the given type.
    fn property_cursor(&self, type_ref: &TypeRef, name: &str) -> Result<Cursor, ODataError> {
        match type_of(type_ref) {
            Some(ty) => Ok(Cursor::Value(ty)),
            None => Err(self.not_implemented(format!(
                "the entity-typed property '{name}' is not supported"
            ))),
        }
    }

    /// A type-cast segment.
    fn cast_segment(
        &self,
        cursor: &Cursor,
        name: &str,
        cast: &mut Option<EntityTypeId>,
        path: &[String],
    ) -> Result<Cursor, ODataError> {
        let model = self.ctx.model;
        let found = model.find_type(name);
        match (cursor, found) {
            (Cursor::Entity(t), Some(TypeKind::Entity(d))) if path.is_empty() => {
                if model.entity_derives_from(d, *t) {
                    if d != self.ctx.entity_type {
                        *cast = Some(d);
                    }
                    Ok(Cursor::Entity(d))
                } else if model.entity_derives_from(*t, d) {
                    Ok(Cursor::Entity(*t))
                } else {
                    Err(self.err(format!(
                        "'{name}' is not derived from '{}'",
                        model.entity_type(*t).qualified_name
                    )))
                }
            }
            (Cursor::Value(ExprType::Complex(c)), Some(TypeKind::Complex(d))) => {
                if model.complex_derives_from(d, *c) {
                    Ok(Cursor::Value(ExprType::Complex(d)))
                } else if model.complex_derives_from(*c, d) {
                    Ok(Cursor::Value(ExprType::Complex(*c)))
                } else {
                    Err(self.err(format!(
                        "'{name}' is not derived from '{}'",
                        model.complex_type(*c).qualified_name
                    )))
                }
            }
            (_, None) => Err(self.err(format!("unknown type '{name}' in type-cast segment"))),
            _ => Err(self.err(format!(
                "the type cast '{name}' is not allowed here: a cast must name a type derived \
                 from the entity or complex type it follows"
            ))),
        }
    }
}

/// The expression type of a structural property; `None` for entity-typed ones.
pub(super) fn type_of(type_ref: &TypeRef) -> Option<ExprType> {
    let base = match type_ref.kind {
        TypeKind::Primitive(p) => ExprType::Primitive(p),
        TypeKind::Enum(id) => ExprType::Enum(id),
        TypeKind::Complex(id) => ExprType::Complex(id),
        TypeKind::Entity(_) => return None,
    };
    Some(if type_ref.collection {
        ExprType::Collection(Box::new(base))
    } else {
        base
    })
}

/// The result type of an arithmetic operator, `None` when it is not defined.
fn arith_type(op: BinaryOp, lt: &ExprType, rt: &ExprType) -> Option<ExprType> {
    use PrimitiveKind as P;
    let p = |k| Some(ExprType::Primitive(k));
    let numeric = |a: P, b: P| -> Option<ExprType> {
        let common = promote(a, b)?;
        if op == BinaryOp::DivBy {
            p(if common == P::Double {
                P::Double
            } else {
                P::Decimal
            })
        } else {
            p(common)
        }
    };
    let add = op == BinaryOp::Add;
    let add_sub = matches!(op, BinaryOp::Add | BinaryOp::Sub);
    match (lt, rt) {
        (ExprType::Null, ExprType::Null) => Some(ExprType::Null),
        (ExprType::Primitive(a), ExprType::Primitive(b)) => match (a, b) {
            _ if lt.is_numeric() && rt.is_numeric() => numeric(*a, *b),
            (P::DateTimeOffset, P::Duration) if add_sub => p(P::DateTimeOffset),
            (P::Duration, P::DateTimeOffset) if add => p(P::DateTimeOffset),
            (P::DateTimeOffset, P::DateTimeOffset) if op == BinaryOp::Sub => p(P::Duration),
            (P::Date, P::Duration) if add_sub => p(P::Date),
            (P::Duration, P::Date) if add => p(P::Date),
            (P::Date, P::Date) if op == BinaryOp::Sub => p(P::Duration),
            (P::Duration, P::Duration) if add_sub => p(P::Duration),
            (P::Duration, _)
                if rt.is_numeric()
                    && matches!(op, BinaryOp::Mul | BinaryOp::Div | BinaryOp::DivBy) =>
            {
                p(P::Duration)
            }
            (_, P::Duration) if lt.is_numeric() && op == BinaryOp::Mul => p(P::Duration),
            _ => None,
        },
        (ExprType::Null, ExprType::Primitive(k)) | (ExprType::Primitive(k), ExprType::Null) => {
            let null_left = matches!(lt, ExprType::Null);
            match k {
                _ if widen(*k).is_some() => numeric(*k, *k),
                P::DateTimeOffset if add_sub => {
                    if null_left && op == BinaryOp::Sub {
                        p(P::Duration)
                    } else {
                        p(P::DateTimeOffset)
                    }
                }
                P::Date if add_sub => {
                    if null_left && op == BinaryOp::Sub {
                        p(P::Duration)
                    } else {
                        p(P::Date)
                    }
                }
                P::Duration if op != BinaryOp::Mod => p(P::Duration),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `var/NS.Derived/a/b` for messages.
pub(super) fn path_text(model: &Model, p: &PropertyRef) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(v) = &p.variable {
        parts.push(v);
    }
    if let Some(c) = p.cast {
        parts.push(&model.entity_type(c).qualified_name);
    }
    parts.extend(p.path.iter().map(String::as_str));
    if parts.is_empty() {
        "$it".to_owned()
    } else {
        parts.join("/")
    }
}

/// A literal value as written in a URL, for messages; `None` for null.
fn value_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Boolean(b) => b.to_string(),
        Value::Int(n) | Value::Enum(n) => n.to_string(),
        Value::Double(f) => f.to_string(),
        Value::Decimal(d) => crate::value::decimal_text(d),
        Value::Binary(b) => format!("binary'{}'", crate::value::base64url(b)),
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Guid(g) => g.to_string(),
        Value::Date(d) => d.to_string(),
        Value::TimeOfDay(t) => t.to_string(),
        Value::DateTimeOffset(d) => d.as_str().to_owned(),
        Value::Duration(d) => format!("duration'{d}'"),
        Value::Json(j) => j.to_string(),
        Value::Geo(g) => g.to_string(),
    })
}

/// The candidate closest to `name` (edit distance ≤ 2, or a case-insensitive match).
pub(super) fn closest<'n>(
    name: &str,
    candidates: impl Iterator<Item = &'n str>,
) -> Option<&'n str> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over code points.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
