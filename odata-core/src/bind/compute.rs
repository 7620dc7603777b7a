//! `$compute` (OData 4.01 URL Conventions §5.1.8): computed properties, each an expression
//! of the addressed entity bound under its alias, and the other options that may name them.
//!
//! A computed property is resolved by substitution: wherever `$filter`, `$orderby` or a
//! later `$compute` item names an alias (`total`, or `$it/total`), the binder puts the
//! alias's bound expression, so the evaluator and the SQL translation see ordinary
//! expressions and need no node kind of their own. `$select` lists aliases like declared
//! properties.
//!
//! Rules (400 naming `$compute` unless said otherwise):
//! * An alias is an OData identifier, names no structural or navigation property of the
//!   entity type or of a type derived from it, and is defined once.
//! * A computed value is primitive or of an enumeration type (or the `null` literal): the
//!   output writes computed properties as dynamic primitive properties.
//! * An item may use the aliases defined before it (`a mul 2 as b, b add 1 as c`).
//! * The request's parse limits hold for each bound item, and for an option once aliases
//!   are substituted, as they do for parameter aliases.

use crate::edm::{EntityTypeId, Model};
use crate::error::ODataError;
use crate::query::{Compute, Expr, OrderBy, Segment, Select};

use super::binder::{BindContext, Binder, bind_orderby_with, filter_with};
use super::select::select_with;
use super::typed::{BoundExpr, BoundOrderBy, ExprType};

/// One computed property: the alias and its bound expression.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedProperty {
    /// The alias (`total` in `price mul qty as total`).
    pub name: String,
    /// The bound expression (primitive, enumeration or null typed).
    pub expr: BoundExpr,
}

impl ComputedProperty {
    /// The type of the computed value.
    pub fn ty(&self) -> ExprType {
        self.expr.ty()
    }
}

/// Binds `$compute` against the context's entity type, item by item (each may use the
/// aliases before it).
///
/// ```
/// use indexmap::IndexMap;
/// use odata_core::bind::{bind_compute, bind_filter_computed, BindContext, ExprType};
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PrimitiveKind, PropertyDef};
/// use odata_core::query::{parse_compute, parse_filter, ParseLimits};
/// use odata_core::value::DateTimeOffset;
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(
///         EntityTypeDef::new("line")
///             .key(["id"])
///             .property(PropertyDef::new("id", "Edm.String").not_null())
///             .property(PropertyDef::new("qty", "Edm.Int32")),
///     )
///     .build()
///     .unwrap();
/// let aliases = IndexMap::new();
/// let ctx = BindContext {
///     model: &model,
///     entity_type: model.find_entity_type("line").unwrap(),
///     aliases: &aliases,
///     now: DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap(),
///     limits: ParseLimits::default(),
/// };
/// let compute = parse_compute("qty mul 2 as double", &ParseLimits::default()).unwrap();
/// let computed = bind_compute(&ctx, &compute).unwrap();
/// assert_eq!(computed[0].ty(), ExprType::Primitive(PrimitiveKind::Int32));
/// let filter = parse_filter("double gt 4", &ParseLimits::default()).unwrap();
/// assert!(bind_filter_computed(&ctx, &computed, &filter).is_ok());
/// let taken = parse_compute("qty add 1 as qty", &ParseLimits::default()).unwrap();
/// assert_eq!(
///     bind_compute(&ctx, &taken).unwrap_err().message,
///     "$compute: the computed property 'qty' has the name of a declared property of 'ns.line'"
/// );
/// ```
pub fn bind_compute(
    ctx: &BindContext,
    compute: &Compute,
) -> Result<Vec<ComputedProperty>, ODataError> {
    let mut out: Vec<ComputedProperty> = Vec::with_capacity(compute.items.len());
    for item in &compute.items {
        let alias = item.alias.as_str();
        // A fresh binder per item: the limits count per item, as they do per option.
        let mut b = Binder::new(ctx, "$compute").with_computed(&out);
        if !is_identifier(alias) {
            return Err(b.err(format!(
                "the name of a computed property must be an identifier, got '{alias}'"
            )));
        }
        if let Some(owner) = declaring_type(ctx.model, ctx.entity_type, alias) {
            return Err(b.err(format!(
                "the computed property '{alias}' has the name of a declared property of '{}'",
                ctx.model.entity_type(owner).qualified_name
            )));
        }
        if out.iter().any(|c| c.name == alias) {
            return Err(b.err(format!(
                "the computed property '{alias}' is defined more than once"
            )));
        }
        let expr = b.bind(&item.expr)?;
        match expr.ty() {
            ExprType::Primitive(_) | ExprType::Enum(_) | ExprType::Null => {}
            _ => {
                return Err(b.err(format!(
                    "the computed property '{alias}' must be a primitive or enumeration \
                     value, got {}",
                    b.describe(&expr)
                )));
            }
        }
        out.push(ComputedProperty {
            name: alias.to_owned(),
            expr,
        });
    }
    Ok(out)
}

/// [`bind_filter`](super::bind_filter) where the aliases of `computed` name their values.
pub fn bind_filter_computed(
    ctx: &BindContext,
    computed: &[ComputedProperty],
    expr: &Expr,
) -> Result<BoundExpr, ODataError> {
    filter_with(Binder::new(ctx, "$filter").with_computed(computed), expr)
}

/// [`bind_orderby`](super::bind_orderby) where the aliases of `computed` name their
/// values.
pub fn bind_orderby_computed(
    ctx: &BindContext,
    computed: &[ComputedProperty],
    orderby: &OrderBy,
) -> Result<Vec<BoundOrderBy>, ODataError> {
    bind_orderby_with(
        Binder::new(ctx, "$orderby").with_computed(computed),
        orderby,
    )
}

/// [`bind_select`](super::bind_select) where the aliases of `computed` may be selected
/// (they are listed by name, in request order, with the declared properties).
pub fn bind_select_computed(
    ctx: &BindContext,
    computed: &[ComputedProperty],
    select: &Select,
) -> Result<Option<Vec<String>>, ODataError> {
    select_with(ctx, computed, select)
}

/// The computed property a path names: `alias` or `$it/alias` (`None` otherwise).
pub(super) fn alias_of<'c>(
    computed: &'c [ComputedProperty],
    segments: &[Segment],
) -> Option<&'c ComputedProperty> {
    let name = match segments {
        [Segment::Member(name)] | [Segment::It, Segment::Member(name)] => name,
        _ => return None,
    };
    computed.iter().find(|c| &c.name == name)
}

/// Levels and nodes of a bound expression, as the binder counted them when it was built:
/// substituting it elsewhere counts them again.
pub(super) fn size(e: &BoundExpr) -> (usize, usize) {
    let mut depth = 0;
    let mut nodes = 0;
    let mut pending = vec![(e, 1usize)];
    while let Some((e, level)) = pending.pop() {
        depth = depth.max(level);
        nodes += 1;
        children(e, |c| pending.push((c, level + 1)));
    }
    (depth, nodes)
}

/// Calls `f` with each direct sub-expression of `e`.
fn children<'e>(e: &'e BoundExpr, mut f: impl FnMut(&'e BoundExpr)) {
    match e {
        BoundExpr::Literal { .. }
        | BoundExpr::Property(_)
        | BoundExpr::Count(_)
        | BoundExpr::CountWhere { filter: None, .. }
        | BoundExpr::IsOf { operand: None, .. }
        | BoundExpr::Any {
            predicate: None, ..
        } => {}
        BoundExpr::Not(x)
        | BoundExpr::Neg { operand: x, .. }
        | BoundExpr::Has { value: x, .. }
        | BoundExpr::Cast { operand: x, .. }
        | BoundExpr::IsOf {
            operand: Some(x), ..
        }
        | BoundExpr::Any {
            predicate: Some(x), ..
        }
        | BoundExpr::All { predicate: x, .. }
        | BoundExpr::CountWhere {
            filter: Some(x), ..
        } => f(x),
        BoundExpr::And(l, r)
        | BoundExpr::Or(l, r)
        | BoundExpr::Compare {
            left: l, right: r, ..
        }
        | BoundExpr::Arith {
            left: l, right: r, ..
        } => {
            f(l);
            f(r);
        }
        BoundExpr::In { value, items } => {
            f(value);
            items.iter().for_each(f);
        }
        BoundExpr::Call { args, .. } => args.iter().for_each(f),
        BoundExpr::Case { branches, .. } => {
            for (when, then) in branches {
                f(when);
                f(then);
            }
        }
    }
}

/// The type (`entity_type` or one derived from it) that declares a structural or
/// navigation property `name`.
fn declaring_type(model: &Model, entity_type: EntityTypeId, name: &str) -> Option<EntityTypeId> {
    model
        .entity_type_and_subtypes(entity_type)
        .into_iter()
        .find(|&t| {
            let ty = model.entity_type(t);
            ty.property(name).is_some() || ty.navigation_property(name).is_some()
        })
}

/// `computedProperty = odataIdentifier`: a letter or `_`, then letters, digits and `_`,
/// at most 128 characters.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && s.chars().count() <= 128
}
