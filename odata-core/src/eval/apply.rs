//! `$apply` (OData Data Aggregation Extension 4.0) over in-memory entities: the oracle the
//! SQL of `odata_server::sql::apply` is tested against.
//!
//! The transformations run one after the other, each on the result of the one before. A
//! stage holds either instances of the collection's entity type (the first stage, and
//! after `filter`, `orderby`, `top`, `skip`, `identity`, `search` and the six
//! top/bottom transformations) or records of named, typed properties (after `groupby`,
//! `aggregate`, `compute` and `concat`). Expressions over records are bound against a
//! synthetic entity type with those properties ([`shape_model`]), so a later stage names
//! grouping properties and aliases like declared properties; records have no navigation
//! properties (a path through one no longer binds), and `search` applies to instances only.
//!
//! Semantics, each the same as the SQL translation's:
//!
//! * **Order.** Every stage is ordered. The input comes in the order the caller passes
//!   (the collection's key order); `orderby` is a stable sort (the order before breaks
//!   ties); `top`/`skip` cut that order; `groupby` and `aggregate` order their result by
//!   the grouping values ascending (nulls first; no grouping: one record); `concat` lists
//!   each part's result in its own order, part after part. `filter`, `search`, `compute`
//!   keep the order.
//! * **`groupby`** groups by `eq` on every grouping value (two nulls are equal; two
//!   DateTimeOffset values are equal when they are the same instant, and the group's value
//!   is the member value whose text sorts first). A path through a single-valued navigation
//!   property groups by the related entity's value. In the nested sequence, `filter`,
//!   `search` and `identity` before the `aggregate` choose the rows each group aggregates
//!   (a group whose rows they all drop still appears, aggregating nothing); `filter`,
//!   `compute` and `identity` after it apply to the grouped records. Anything else in the
//!   nested sequence, or transformations without an `aggregate`, is a 501.
//! * **Aggregation** skips null values. `sum` of integers is Edm.Int64 (computed exactly;
//!   a sum beyond Int64 is a 400 "arithmetic overflow"), of Edm.Decimal exact, of
//!   Edm.Double in input order; `average` is Edm.Double for Edm.Double input, otherwise
//!   Edm.Decimal (exact sum divided by the count, 100 significant digits); `min`/`max` keep
//!   the input type and order as `$orderby` does (DateTimeOffset by instant, the result in
//!   UTC, see [`DateTimeOffset::from_instant`]); `countdistinct` counts values distinct by
//!   `eq` and `$count` counts the records, both Edm.Decimal with scale 0. Of no values,
//!   `sum`, `average`, `min` and `max` are null and the counts 0. `sum`/`average` need a
//!   numeric value, `min`/`max` an orderable one (not Boolean), every aggregated value a
//!   primitive or enumeration one (400). `from` and custom aggregation methods are 501.
//! * **`compute`** binds every item against its input (an item cannot name an alias of the
//!   same `compute`); an alias that names a property of the input, or twice, is a 400; a
//!   value must be primitive or of an enumeration type (the `null` literal is not).
//! * **`topcount(n, v)`/`bottomcount(n, v)`**: the instances stable-sorted by `v`
//!   descending (top, nulls last) or ascending (bottom, nulls first), the first `n`; `n`
//!   is an integer literal greater than 0. The result keeps that order.
//! * **`topsum(s, v)`, `toppercent(p, v)`, `bottomsum(s, v)`, `bottompercent(p, v)`**:
//!   instances whose `v` is null take no part; the others, sorted as above, are kept while
//!   the sum of the values before them is below `s` (`sum_before × 100 < total × p` for the
//!   percentages), so the instance that reaches the threshold is included. `s` and `p` are
//!   number literals greater than 0, `p` at most 100. Sums are exact for integers and
//!   decimals.
//! * **`concat`**: each sequence applied to the input; the result has every property of
//!   any part (null where a part lacks it), integers of different sizes meeting as
//!   Edm.Int64; a property two parts give different types is a 400 (facets such as
//!   nullability or scale do not count).
//! * `join`, `outerjoin`, `nest` and `groupby` with `rollup` (which the SQL translation
//!   serves) are not evaluated here yet, and the transformations the parser keeps as
//!   [`Transformation::Unsupported`] are 501 everywhere.
//!
//! Errors: a binding error is a 400 naming `$apply` and the transformation; an arithmetic
//! error of an expression (overflow, division by zero) is the evaluator's 400.

use std::borrow::Cow;
use std::cmp::Ordering;

use bigdecimal::{FromPrimitive, ToPrimitive};
use indexmap::IndexMap;

use crate::bind::{
    BindContext, BoundExpr, BoundSearch, ExprType, bind_expr, bind_filter, bind_orderby,
    bind_search, shape_model,
};
use crate::edm::{EntityTypeId, Model, PrimitiveKind, Property, TypeKind, TypeRef};
use crate::error::ODataError;
use crate::query::apply::errors::{bad, in_apply, not_implemented, one_level_rollup};
use crate::query::{
    AggregateItem, AggregateKind, AggregateMethod, Apply, Expr, GroupingItem, SortDirection,
    TopBottomKind, Transformation, parse_expr,
};
use crate::value::{DateTimeOffset, Decimal, Value};

use super::{EntityValues, MapEntity, evaluate, matches, ops, search_matches};

/// One property of a `$apply` result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultProperty {
    /// Its path (`["category"]`, `["owner", "name"]` for a grouping path through a
    /// navigation property).
    pub path: Vec<String>,
    /// Its type.
    pub type_ref: TypeRef,
    /// An aggregated or computed value (a dynamic property), not a declared property.
    pub dynamic: bool,
}

impl ResultProperty {
    /// The name of the property in the synthetic type of the result (`owner/name`).
    pub fn name(&self) -> String {
        self.path.join("/")
    }
}

/// One instance or record of a `$apply` result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// For an instance of the entity type: its index in the input.
    pub source: Option<usize>,
    /// The values, one per [`ApplyResult::properties`].
    pub values: Vec<Value>,
}

/// The result of a `$apply` sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyResult {
    /// The result's properties: for instances of the entity type the declared (not
    /// write-only) properties of the collection's type, otherwise the grouping properties,
    /// aggregates and computed values.
    pub properties: Vec<ResultProperty>,
    /// Whether the rows are still instances of the entity type.
    pub entities: bool,
    /// The rows, in the result's order.
    pub rows: Vec<ResultRow>,
}

/// Applies `apply` to `entities`, instances of `ctx.entity_type` in the collection's order.
/// `searchable` lists the property paths `search(…)` looks at (a string property, or a
/// string member of a complex property).
///
/// ```
/// use indexmap::IndexMap;
/// use odata_core::bind::BindContext;
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
/// use odata_core::eval::{EntityValues, MapEntity, evaluate_apply};
/// use odata_core::query::{parse_apply, ParseLimits};
/// use odata_core::value::{DateTimeOffset, Value};
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(
///         EntityTypeDef::new("sale")
///             .key(["id"])
///             .property(PropertyDef::new("id", "Edm.String").not_null())
///             .property(PropertyDef::new("region", "Edm.String"))
///             .property(PropertyDef::new("amount", "Edm.Int32")),
///     )
///     .build()
///     .unwrap();
/// let sale = model.find_entity_type("sale").unwrap();
/// let row = |id: &str, region: &str, amount: i64| MapEntity {
///     entity_type: sale,
///     values: IndexMap::from([
///         ("id".to_owned(), Value::String(id.into())),
///         ("region".to_owned(), Value::String(region.into())),
///         ("amount".to_owned(), Value::Int(amount)),
///     ]),
/// };
/// let rows = [row("1", "west", 3), row("2", "east", 4), row("3", "west", 5)];
/// let entities: Vec<&dyn EntityValues> = rows.iter().map(|r| r as &dyn EntityValues).collect();
/// let aliases = IndexMap::new();
/// let ctx = BindContext {
///     model: &model,
///     entity_type: sale,
///     aliases: &aliases,
///     now: DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap(),
///     limits: ParseLimits::default(),
/// };
/// let apply = parse_apply(
///     "groupby((region),aggregate(amount with sum as total))",
///     &ParseLimits::default(),
/// )
/// .unwrap();
/// let result = evaluate_apply(&ctx, &apply, &entities, &[]).unwrap();
/// let values: Vec<&[Value]> = result.rows.iter().map(|r| &r.values[..]).collect();
/// assert_eq!(
///     values,
///     [
///         &[Value::String("east".into()), Value::Int(4)][..],
///         &[Value::String("west".into()), Value::Int(8)][..],
///     ]
/// );
/// ```
pub fn evaluate_apply(
    ctx: &BindContext<'_>,
    apply: &Apply,
    entities: &[&dyn EntityValues],
    searchable: &[Vec<String>],
) -> Result<ApplyResult, ODataError> {
    let run = Run {
        ctx,
        entities,
        searchable,
    };
    let first = Stage {
        model: Cow::Borrowed(ctx.model),
        entity_type: ctx.entity_type,
        columns: None,
        rows: (0..entities.len()).map(Row::Source).collect(),
    };
    let stage = run.sequence(first, apply)?;
    let properties = run.result_columns(&stage);
    let rows = stage
        .rows
        .iter()
        .map(|row| ResultRow {
            source: match row {
                Row::Source(i) => Some(*i),
                Row::Record(_) => None,
            },
            values: properties
                .iter()
                .map(|p| {
                    run.entity(row)
                        .property(&p.name())
                        .cloned()
                        .unwrap_or(Value::Null)
                })
                .collect(),
        })
        .collect();
    Ok(ApplyResult {
        properties,
        entities: stage.columns.is_none(),
        rows,
    })
}

/// The type of a value a shape can hold: primitive or enumeration (`None` otherwise).
fn type_ref_of(ty: &ExprType) -> Option<TypeRef> {
    match ty {
        ExprType::Primitive(p) => Some(TypeRef::of(TypeKind::Primitive(*p))),
        ExprType::Enum(e) => Some(TypeRef::of(TypeKind::Enum(*e))),
        _ => None,
    }
}

/// Edm.Decimal with scale 0: the type of `$count` and `countdistinct`.
fn count_ref() -> TypeRef {
    TypeRef {
        scale: Some(0),
        ..TypeRef::of(TypeKind::Primitive(PrimitiveKind::Decimal))
    }
}

/// Whether two parts of a `concat` give a property the same type: the same type and
/// collection-ness, whatever their facets.
fn same_type(a: &TypeRef, b: &TypeRef) -> bool {
    a.kind == b.kind && a.collection == b.collection
}

fn is_integer(p: PrimitiveKind) -> bool {
    matches!(
        p,
        PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64
    )
}

fn is_numeric(p: PrimitiveKind) -> bool {
    is_integer(p)
        || matches!(
            p,
            PrimitiveKind::Decimal | PrimitiveKind::Double | PrimitiveKind::Single
        )
}

/// A row of a stage: an input instance, or a record of a shape.
#[derive(Debug, Clone)]
enum Row {
    Source(usize),
    Record(MapEntity),
}

/// The result of the transformations so far.
#[derive(Debug, Clone)]
struct Stage<'m> {
    /// The model expressions bind against: the service's, or a shape's.
    model: Cow<'m, Model>,
    entity_type: EntityTypeId,
    /// `None`: instances of the entity type; else the shape's properties.
    columns: Option<Vec<ResultProperty>>,
    /// The rows, in the stage's order.
    rows: Vec<Row>,
}

/// A condition a nested `groupby` sequence puts on the rows a group aggregates.
enum Condition {
    Filter(BoundExpr),
    Search(BoundSearch),
}

/// What the whole evaluation reads.
struct Run<'r> {
    ctx: &'r BindContext<'r>,
    entities: &'r [&'r dyn EntityValues],
    searchable: &'r [Vec<String>],
}

impl<'r> Run<'r> {
    fn entity<'s>(&'s self, row: &'s Row) -> &'s dyn EntityValues {
        match row {
            Row::Source(i) => self.entities[*i],
            Row::Record(r) => r,
        }
    }

    fn bind_ctx<'s>(&self, stage: &'s Stage<'_>) -> BindContext<'s>
    where
        'r: 's,
    {
        BindContext {
            model: &stage.model,
            entity_type: stage.entity_type,
            aliases: self.ctx.aliases,
            now: self.ctx.now.clone(),
            limits: self.ctx.limits,
        }
    }

    /// The properties of a stage: the declared type's for instances.
    fn result_columns(&self, stage: &Stage<'_>) -> Vec<ResultProperty> {
        match &stage.columns {
            Some(columns) => columns.clone(),
            None => stage
                .model
                .entity_type(stage.entity_type)
                .properties()
                .filter(|p| !p.is_write_only())
                .map(|p| ResultProperty {
                    path: vec![p.name.clone()],
                    type_ref: p.type_ref.clone(),
                    dynamic: false,
                })
                .collect(),
        }
    }

    /// A new shape of `columns` over the service's model, with its records.
    fn shaped<'m>(
        &self,
        columns: Vec<ResultProperty>,
        rows: Vec<IndexMap<String, Value>>,
    ) -> Stage<'m> {
        let properties: Vec<Property> = columns
            .iter()
            .map(|c| Property::new(c.name(), c.type_ref.clone()))
            .collect();
        let (model, id) = shape_model(self.ctx.model, "$apply", properties);
        Stage {
            model: Cow::Owned(model),
            entity_type: id,
            columns: Some(columns),
            rows: rows
                .into_iter()
                .map(|values| {
                    Row::Record(MapEntity {
                        entity_type: id,
                        values,
                    })
                })
                .collect(),
        }
    }

    /// The values of `columns` of a row, by name.
    fn record(&self, row: &Row, columns: &[ResultProperty]) -> IndexMap<String, Value> {
        let entity = self.entity(row);
        columns
            .iter()
            .map(|c| {
                let name = c.name();
                let value = entity.property(&name).cloned().unwrap_or(Value::Null);
                (name, value)
            })
            .collect()
    }

    fn sequence<'m>(&self, mut stage: Stage<'m>, apply: &Apply) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
        for t in &apply.transformations {
            stage = self.transformation(stage, t)?;
        }
        Ok(stage)
    }

    fn transformation<'m>(
        &self,
        stage: Stage<'m>,
        t: &Transformation,
    ) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
        match t {
            Transformation::Identity => Ok(stage),
            Transformation::Filter(e) => {
                let bound = bind_filter(&self.bind_ctx(&stage), e).map_err(in_apply("filter"))?;
                self.filter(stage, &bound)
            }
            Transformation::OrderBy(o) => self.orderby(stage, o),
            Transformation::Top(n) => Ok(window(stage, Some(*n), 0)),
            Transformation::Skip(n) => Ok(window(stage, None, *n)),
            Transformation::Search(s) => {
                if stage.columns.is_some() {
                    return Err(bad(
                        "search applies to entities only, not after groupby, aggregate or compute",
                    ));
                }
                let bound = bind_search(s);
                let mut stage = stage;
                let rows = std::mem::take(&mut stage.rows);
                stage.rows = rows
                    .into_iter()
                    .filter(|row| self.search(&bound, row))
                    .collect();
                Ok(stage)
            }
            Transformation::Compute(c) => {
                let ctx = self.bind_ctx(&stage);
                let mut items = Vec::with_capacity(c.items.len());
                for item in &c.items {
                    let bound = bind_expr(&ctx, &item.expr).map_err(in_apply("compute"))?;
                    let Some(type_ref) = type_ref_of(&bound.ty()) else {
                        return Err(bad(format!(
                            "compute: '{}' must be a primitive or enumeration value",
                            item.alias
                        )));
                    };
                    items.push((item.alias.clone(), type_ref, bound));
                }
                self.compute(stage, items)
            }
            Transformation::Aggregate(items) => self.group(stage, &[], Some(items), &[]),
            Transformation::GroupBy { properties, then } => {
                let nested = then.as_ref().map_or(&[][..], |a| &a.transformations[..]);
                let split = nested
                    .iter()
                    .position(|t| matches!(t, Transformation::Aggregate(_)));
                let (before, aggregate, after) = match split {
                    Some(i) => (&nested[..i], Some(&nested[i]), &nested[i + 1..]),
                    None => (nested, None, &[][..]),
                };
                let mut conditions = Vec::new();
                for t in before {
                    match t {
                        Transformation::Identity => {}
                        Transformation::Filter(e) => conditions.push(Condition::Filter(
                            bind_filter(&self.bind_ctx(&stage), e).map_err(in_apply("filter"))?,
                        )),
                        Transformation::Search(s) if stage.columns.is_none() => {
                            conditions.push(Condition::Search(bind_search(s)));
                        }
                        other => {
                            return Err(not_implemented(format!(
                                "'{}' inside groupby before aggregate",
                                other.name()
                            )));
                        }
                    }
                }
                if aggregate.is_none() && !conditions.is_empty() {
                    return Err(not_implemented(
                        "groupby with transformations but without aggregate",
                    ));
                }
                let items = match aggregate {
                    Some(Transformation::Aggregate(items)) => Some(&items[..]),
                    _ => None,
                };
                let paths: Vec<Vec<String>> =
                    properties.iter().map(|p| p.segments.clone()).collect();
                let grouped = self.group(stage, &paths, items, &conditions)?;
                self.after_aggregate(grouped, after)
            }
            Transformation::TopBottom { kind, n, value } => self.top_bottom(stage, *kind, n, value),
            Transformation::Concat(sequences) => self.concat(stage, sequences),
            // The grouping sets one after the other, finest first, a property a set
            // leaves out being null: a `concat` of one `groupby` per set.
            Transformation::GroupByRollup { items, then } => {
                for item in items {
                    if let GroupingItem::Rollup { all: false, levels } = item
                        && levels.len() < 2
                    {
                        let name = levels.first().map(ToString::to_string).unwrap_or_default();
                        return Err(one_level_rollup(&name));
                    }
                }
                // What follows the aggregate sees every set's rows in the finest set's
                // shape (a property a set leaves out is null there), so it runs after the
                // sets are put together.
                let nested = then.as_ref().map_or(&[][..], |a| &a.transformations[..]);
                let split = nested
                    .iter()
                    .position(|t| matches!(t, Transformation::Aggregate(_)))
                    .map_or(nested.len(), |i| i + 1);
                let (grouping, after) = nested.split_at(split);
                let inner = (!grouping.is_empty()).then(|| Apply {
                    transformations: grouping.to_vec(),
                });
                let sequences: Vec<Apply> = GroupingItem::grouping_sets(items)
                    .into_iter()
                    .map(|set| Apply {
                        transformations: vec![Transformation::GroupBy {
                            properties: set.into_iter().cloned().collect(),
                            then: inner.clone(),
                        }],
                    })
                    .collect();
                let rolled = self.concat(stage, &sequences)?;
                self.after_aggregate(rolled, after)
            }
            // Evaluated in SQL only so far; the differential test leaves them out.
            Transformation::Join { .. } | Transformation::Nest(_) => Err(not_implemented(format!(
                "the transformation '{}' in the in-memory evaluator",
                t.name()
            ))),
            Transformation::Unsupported { name, .. } => {
                Err(not_implemented(format!("the transformation '{name}'")))
            }
        }
    }

    /// Whether a row meets a search (its searchable texts; instances only).
    fn search(&self, search: &BoundSearch, row: &Row) -> bool {
        let entity = self.entity(row);
        let mut texts: Vec<&str> = Vec::new();
        for path in self.searchable {
            let Some((first, members)) = path.split_first() else {
                continue;
            };
            match (entity.property(first), members) {
                (Some(Value::String(s)), []) => texts.push(s),
                (Some(Value::Json(j)), [_, ..]) => {
                    let mut cur = Some(j);
                    for m in members {
                        cur = cur.and_then(|c| c.get(m.as_str()));
                    }
                    if let Some(s) = cur.and_then(|c| c.as_str()) {
                        texts.push(s);
                    }
                }
                _ => {}
            }
        }
        search_matches(search, &texts)
    }

    fn filter<'m>(&self, mut stage: Stage<'m>, bound: &BoundExpr) -> Result<Stage<'m>, ODataError> {
        let rows = std::mem::take(&mut stage.rows);
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            if matches(&stage.model, bound, self.entity(&row))? {
                kept.push(row);
            }
        }
        stage.rows = kept;
        Ok(stage)
    }

    fn orderby<'m>(
        &self,
        mut stage: Stage<'m>,
        orderby: &crate::query::OrderBy,
    ) -> Result<Stage<'m>, ODataError> {
        let keys = bind_orderby(&self.bind_ctx(&stage), orderby).map_err(in_apply("orderby"))?;
        let rows = std::mem::take(&mut stage.rows);
        let mut keyed = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(keys.len());
            for key in &keys {
                values.push(evaluate(&stage.model, &key.expr, self.entity(&row))?);
            }
            keyed.push((values, row));
        }
        let directions: Vec<SortDirection> = keys.iter().map(|k| k.direction).collect();
        // Stable: the order before breaks ties.
        keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, &directions));
        stage.rows = keyed.into_iter().map(|(_, row)| row).collect();
        Ok(stage)
    }

    /// `compute`: the input's properties plus the new values.
    fn compute<'m>(
        &self,
        stage: Stage<'m>,
        items: Vec<(String, TypeRef, BoundExpr)>,
    ) -> Result<Stage<'m>, ODataError> {
        let mut columns = self.result_columns(&stage);
        let base = columns.clone();
        for (alias, type_ref, _) in &items {
            if columns.iter().any(|c| c.name() == *alias) {
                return Err(bad(format!(
                    "compute: the alias '{alias}' is already a property of the input"
                )));
            }
            columns.push(ResultProperty {
                path: alias.split('/').map(str::to_owned).collect(),
                type_ref: type_ref.clone(),
                dynamic: true,
            });
        }
        let mut records = Vec::with_capacity(stage.rows.len());
        for row in &stage.rows {
            let mut values = self.record(row, &base);
            for (alias, _, bound) in &items {
                let v = evaluate(&stage.model, bound, self.entity(row))?;
                values.insert(alias.clone(), v);
            }
            records.push(values);
        }
        Ok(self.shaped(columns, records))
    }

    /// `groupby(paths, aggregate(items))`, `aggregate(items)` (no paths) or
    /// `groupby(paths)` (no items); only rows meeting every condition are aggregated.
    fn group<'m>(
        &self,
        stage: Stage<'m>,
        paths: &[Vec<String>],
        items: Option<&[AggregateItem]>,
        conditions: &[Condition],
    ) -> Result<Stage<'m>, ODataError> {
        let ctx = self.bind_ctx(&stage);
        let mut columns: Vec<ResultProperty> = Vec::new();
        let mut keys: Vec<BoundExpr> = Vec::new();
        for path in paths {
            let text = path.join("/");
            let expr = parse_expr(&text, &self.ctx.limits)
                .map_err(|e| bad(format!("groupby: '{text}': {}", e.message)))?;
            let bound = bind_expr(&ctx, &expr).map_err(in_apply("groupby"))?;
            let Some(type_ref) = type_ref_of(&bound.ty()) else {
                return Err(bad(format!(
                    "groupby: '{text}' is not a primitive or enumeration property"
                )));
            };
            if columns.iter().any(|c| c.name() == text) {
                return Err(bad(format!("groupby: '{text}' is listed twice")));
            }
            columns.push(ResultProperty {
                path: text.split('/').map(str::to_owned).collect(),
                type_ref,
                dynamic: false,
            });
            keys.push(bound);
        }
        let mut aggregates: Vec<(Option<BoundExpr>, Aggregation)> = Vec::new();
        for item in items.into_iter().flatten() {
            if columns.iter().any(|c| c.name() == item.alias) {
                return Err(bad(format!(
                    "aggregate: the alias '{}' is already used",
                    item.alias
                )));
            }
            let (expr, aggregation, type_ref) = match &item.kind {
                AggregateKind::Count => (None, Aggregation::Count, count_ref()),
                AggregateKind::With { expr, method, from } => {
                    let (bound, aggregation, type_ref) =
                        self.aggregation(&ctx, &stage.model, expr, method, from)?;
                    (Some(bound), aggregation, type_ref)
                }
            };
            columns.push(ResultProperty {
                path: vec![item.alias.clone()],
                type_ref,
                dynamic: true,
            });
            aggregates.push((expr, aggregation));
        }
        // The groups in order of first appearance, each with the rows it aggregates.
        let mut groups: Vec<(Vec<Value>, Vec<usize>)> = Vec::new();
        for (r, row) in stage.rows.iter().enumerate() {
            let entity = self.entity(row);
            let mut key = Vec::with_capacity(keys.len());
            for k in &keys {
                key.push(evaluate(&stage.model, k, entity)?);
            }
            let included = self.meets(&stage.model, conditions, row)?;
            match groups
                .iter_mut()
                .find(|(g, _)| g.iter().zip(&key).all(|(a, b)| ops::equal(a, b)))
            {
                Some((g, members)) => {
                    for (have, new) in g.iter_mut().zip(key) {
                        // Equal DateTimeOffset values: the one whose text sorts first.
                        if let (Value::DateTimeOffset(h), Value::DateTimeOffset(n)) = (&*have, &new)
                            && n.as_str() < h.as_str()
                        {
                            *have = new;
                        }
                    }
                    if included {
                        members.push(r);
                    }
                }
                None => groups.push((key, if included { vec![r] } else { Vec::new() })),
            }
        }
        if paths.is_empty() && groups.is_empty() {
            groups.push((Vec::new(), Vec::new()));
        }
        let directions = vec![SortDirection::Asc; keys.len()];
        groups.sort_by(|(a, _), (b, _)| compare_keys(a, b, &directions));
        let mut records = Vec::with_capacity(groups.len());
        for (key, members) in groups {
            let mut values: IndexMap<String, Value> = columns
                .iter()
                .zip(key)
                .map(|(c, v)| (c.name(), v))
                .collect();
            for ((expr, aggregation), column) in aggregates.iter().zip(&columns[keys.len()..]) {
                let mut inputs = Vec::with_capacity(members.len());
                if let Some(expr) = expr {
                    for &m in &members {
                        let v = evaluate(&stage.model, expr, self.entity(&stage.rows[m]))?;
                        if !v.is_null() {
                            inputs.push(v);
                        }
                    }
                }
                let value = aggregation.apply(members.len(), inputs)?;
                values.insert(column.name(), value);
            }
            records.push(values);
        }
        Ok(self.shaped(columns, records))
    }

    /// Whether a row meets every condition of a nested `groupby` sequence.
    fn meets(
        &self,
        model: &Model,
        conditions: &[Condition],
        row: &Row,
    ) -> Result<bool, ODataError> {
        for c in conditions {
            let ok = match c {
                Condition::Filter(f) => matches(model, f, self.entity(row))?,
                Condition::Search(s) => self.search(s, row),
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Binds `expr with method` and checks that the method applies to its type.
    fn aggregation(
        &self,
        ctx: &BindContext<'_>,
        model: &Model,
        expr: &Expr,
        method: &AggregateMethod,
        from: &[(Vec<crate::query::GroupingPath>, AggregateMethod)],
    ) -> Result<(BoundExpr, Aggregation, TypeRef), ODataError> {
        if !from.is_empty() {
            return Err(not_implemented("'from' in aggregate"));
        }
        if let AggregateMethod::Custom(name) = method {
            return Err(not_implemented(format!("the aggregation method '{name}'")));
        }
        let bound = bind_expr(ctx, expr).map_err(in_apply("aggregate"))?;
        let ty = bound.ty();
        let Some(input) = type_ref_of(&ty) else {
            return Err(bad(format!(
                "aggregate: '{expr}' is not a primitive value and cannot be aggregated"
            )));
        };
        let prim = input.primitive();
        let numeric = prim.is_some_and(is_numeric);
        let (aggregation, type_ref) = match method {
            AggregateMethod::Sum | AggregateMethod::Average if !numeric => {
                return Err(bad(format!(
                    "aggregate: '{method}' needs a numeric value, but '{expr}' is {}",
                    ty.display(model)
                )));
            }
            AggregateMethod::Sum if prim.is_some_and(is_integer) => (
                Aggregation::Sum,
                TypeRef::of(TypeKind::Primitive(PrimitiveKind::Int64)),
            ),
            AggregateMethod::Sum => (Aggregation::Sum, input),
            AggregateMethod::Average if prim == Some(PrimitiveKind::Double) => {
                (Aggregation::Average, input)
            }
            AggregateMethod::Average => (
                Aggregation::Average,
                TypeRef::of(TypeKind::Primitive(PrimitiveKind::Decimal)),
            ),
            AggregateMethod::Min | AggregateMethod::Max => {
                if prim == Some(PrimitiveKind::Boolean) {
                    return Err(bad(format!(
                        "aggregate: '{method}' needs an orderable value, but '{expr}' is {}",
                        ty.display(model)
                    )));
                }
                let aggregation = if *method == AggregateMethod::Min {
                    Aggregation::Min
                } else {
                    Aggregation::Max
                };
                (aggregation, input)
            }
            AggregateMethod::CountDistinct => (Aggregation::CountDistinct, count_ref()),
            AggregateMethod::Count => (Aggregation::CountValues, count_ref()),
            AggregateMethod::Custom(name) => {
                return Err(not_implemented(format!("the aggregation method '{name}'")));
            }
        };
        Ok((bound, aggregation, type_ref))
    }

    /// `topcount`/`bottomcount` and the cumulative `topsum`, `toppercent`, `bottomsum`,
    /// `bottompercent`.
    fn top_bottom<'m>(
        &self,
        mut stage: Stage<'m>,
        kind: TopBottomKind,
        n: &Expr,
        value: &Expr,
    ) -> Result<Stage<'m>, ODataError> {
        let name = kind.name();
        let ctx = self.bind_ctx(&stage);
        let bound = bind_expr(&ctx, value).map_err(in_apply(name))?;
        if !matches!(bound.ty(), ExprType::Primitive(p) if is_numeric(p)) {
            return Err(bad(format!("{name}: the value to rank by must be numeric")));
        }
        let cumulative = !matches!(kind, TopBottomKind::TopCount | TopBottomKind::BottomCount);
        let percent = matches!(
            kind,
            TopBottomKind::TopPercent | TopBottomKind::BottomPercent
        );
        let threshold = if cumulative {
            let bound = bind_expr(&ctx, n).map_err(in_apply(name))?;
            let threshold = match &bound {
                BoundExpr::Literal { value, .. } => Acc::of(value),
                _ => None,
            };
            let amount = threshold.as_ref().map(Acc::to_f64);
            let Some(amount) = amount.filter(|a| a.is_finite()) else {
                return Err(bad(format!(
                    "{name}: the first argument must be a number literal, not '{n}'"
                )));
            };
            if amount <= 0.0 || (percent && amount > 100.0) {
                return Err(bad(format!(
                    "{name}: the first argument must be {}, not '{n}'",
                    if percent {
                        "a percentage greater than 0 and at most 100"
                    } else {
                        "greater than 0"
                    }
                )));
            }
            threshold
        } else {
            None
        };
        let direction = if kind.is_top() {
            SortDirection::Desc
        } else {
            SortDirection::Asc
        };
        let rows = std::mem::take(&mut stage.rows);
        let mut keyed = Vec::with_capacity(rows.len());
        for row in rows {
            let v = evaluate(&stage.model, &bound, self.entity(&row))?;
            keyed.push((vec![v], row));
        }
        keyed.sort_by(|(a, _), (b, _)| compare_keys(a, b, &[direction]));
        let Some(threshold) = threshold else {
            let count = match (n, n.to_string().parse::<u64>()) {
                (Expr::Literal { .. }, Ok(c)) if c > 0 => c,
                _ => {
                    return Err(bad(format!(
                        "{name}: the first argument must be an integer greater than 0, not '{n}'"
                    )));
                }
            };
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            stage.rows = keyed.into_iter().take(count).map(|(_, r)| r).collect();
            return Ok(stage);
        };
        let ranked: Vec<(Acc, Row)> = keyed
            .into_iter()
            .filter_map(|(mut v, row)| Acc::of(&v.pop()?).map(|a| (a, row)))
            .collect();
        let total = ranked.iter().fold(Acc::zero(), |sum, (v, _)| sum.add(v));
        let hundred = Acc::I(100);
        let mut before = Acc::zero();
        let mut kept = Vec::new();
        for (v, row) in ranked {
            let reached = if percent {
                before.mul(&hundred).less(&total.mul(&threshold))
            } else {
                before.less(&threshold)
            };
            if reached {
                kept.push(row);
            }
            before = before.add(&v);
        }
        stage.rows = kept;
        Ok(stage)
    }

    /// `concat(seq, seq, …)`: each sequence applied to the input, the results one after
    /// the other.
    /// What follows the aggregate inside a `groupby`: per-row steps over the grouped rows.
    fn after_aggregate<'m>(
        &self,
        mut grouped: Stage<'m>,
        after: &[Transformation],
    ) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
        for t in after {
            match t {
                Transformation::Filter(_)
                | Transformation::Identity
                | Transformation::Compute(_) => grouped = self.transformation(grouped, t)?,
                other => {
                    return Err(not_implemented(format!(
                        "'{}' inside groupby after aggregate",
                        other.name()
                    )));
                }
            }
        }
        Ok(grouped)
    }

    fn concat<'m>(&self, stage: Stage<'m>, sequences: &[Apply]) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
        let mut parts = Vec::with_capacity(sequences.len());
        for sequence in sequences {
            let part = self.sequence(stage.clone(), sequence)?;
            let columns = self.result_columns(&part);
            parts.push((part, columns));
        }
        let mut columns: Vec<ResultProperty> = Vec::new();
        for (_, part_columns) in &parts {
            for c in part_columns {
                match columns.iter_mut().find(|k| k.path == c.path) {
                    // Integers of different sizes meet as Edm.Int64.
                    Some(k)
                        if !same_type(&k.type_ref, &c.type_ref)
                            && k.type_ref.primitive().is_some_and(is_integer)
                            && c.type_ref.primitive().is_some_and(is_integer)
                            && !k.type_ref.collection
                            && !c.type_ref.collection =>
                    {
                        k.type_ref = TypeRef::of(TypeKind::Primitive(PrimitiveKind::Int64));
                        k.dynamic |= c.dynamic;
                    }
                    Some(k) if !same_type(&k.type_ref, &c.type_ref) => {
                        return Err(bad(format!(
                            "concat: '{}' has different types in the parts",
                            c.name()
                        )));
                    }
                    // Facets (nullability, scale) do not make another type.
                    Some(k) => k.type_ref.nullable |= c.type_ref.nullable,
                    None => columns.push(c.clone()),
                }
            }
        }
        let mut records = Vec::new();
        for (part, _) in &parts {
            for row in &part.rows {
                records.push(self.record(row, &columns));
            }
        }
        Ok(self.shaped(columns, records))
    }
}

/// `top`/`skip`: a cut of the stage's order.
fn window(mut stage: Stage<'_>, top: Option<u64>, skip: u64) -> Stage<'_> {
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    let top = top.map_or(usize::MAX, |t| usize::try_from(t).unwrap_or(usize::MAX));
    let rows = std::mem::take(&mut stage.rows);
    stage.rows = rows.into_iter().skip(skip).take(top).collect();
    stage
}

/// Compares two lists of sort keys as `$orderby` does (nulls first ascending).
fn compare_keys(a: &[Value], b: &[Value], directions: &[SortDirection]) -> Ordering {
    for ((va, vb), direction) in a.iter().zip(b).zip(directions) {
        let ord = ops::sort_order(va, vb);
        let ord = match direction {
            SortDirection::Asc => ord,
            SortDirection::Desc => ord.reverse(),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// An aggregation method, checked against its input type.
#[derive(Debug, Clone, Copy)]
enum Aggregation {
    Count,
    /// The number of non-null values (the `count` method).
    CountValues,
    Sum,
    Average,
    Min,
    Max,
    CountDistinct,
}

impl Aggregation {
    /// The aggregate of the non-null `values` of a group of `members` rows.
    fn apply(self, members: usize, values: Vec<Value>) -> Result<Value, ODataError> {
        let count = |n: usize| Value::Decimal(Decimal::from(u64::try_from(n).unwrap_or(u64::MAX)));
        Ok(match self {
            Aggregation::Count => count(members),
            Aggregation::CountValues => count(values.len()),
            Aggregation::CountDistinct => {
                let mut distinct: Vec<&Value> = Vec::new();
                for v in &values {
                    if !distinct.iter().any(|d| ops::equal(d, v)) {
                        distinct.push(v);
                    }
                }
                count(distinct.len())
            }
            Aggregation::Min | Aggregation::Max => {
                let mut best: Option<&Value> = None;
                for v in &values {
                    let better = match best {
                        None => true,
                        Some(b) => {
                            let ord = ops::sort_order(v, b);
                            match self {
                                Aggregation::Min => ord == Ordering::Less,
                                _ => ord == Ordering::Greater,
                            }
                        }
                    };
                    if better {
                        best = Some(v);
                    }
                }
                match best {
                    // DateTimeOffset values are aggregated by instant and returned in UTC.
                    Some(Value::DateTimeOffset(d)) => Value::DateTimeOffset(
                        DateTimeOffset::from_instant(d.utc_ticks()).unwrap_or_else(|| d.clone()),
                    ),
                    Some(v) => v.clone(),
                    None => Value::Null,
                }
            }
            Aggregation::Sum | Aggregation::Average => {
                if values.is_empty() {
                    return Ok(Value::Null);
                }
                let n = values.len();
                let mut sum = Acc::zero();
                for v in &values {
                    match Acc::of(v) {
                        Some(a) => sum = sum.add(&a),
                        None => return Err(super::type_error("a number", v)),
                    }
                }
                let integers = matches!(values.first(), Some(Value::Int(_)));
                match (self, sum) {
                    (Aggregation::Sum, Acc::I(i)) => {
                        Value::Int(i64::try_from(i).map_err(|_| ops::overflow("sum"))?)
                    }
                    // Beyond i128: certainly beyond Int64.
                    (Aggregation::Sum, Acc::D(_)) if integers => return Err(ops::overflow("sum")),
                    (Aggregation::Sum, Acc::D(d)) => Value::Decimal(d.normalized()),
                    (Aggregation::Sum, Acc::F(f)) => Value::Double(f),
                    (_, Acc::F(f)) => Value::Double(f / n as f64),
                    (_, sum) => {
                        let n = Decimal::from(u64::try_from(n).unwrap_or(u64::MAX));
                        Value::Decimal((sum.to_decimal() / n).normalized())
                    }
                }
            }
        })
    }
}

/// A running sum: exact for integers and decimals.
#[derive(Debug, Clone)]
enum Acc {
    I(i128),
    D(Decimal),
    F(f64),
}

impl Acc {
    fn zero() -> Self {
        Acc::I(0)
    }

    /// A number value as a sum; `None` for anything else.
    fn of(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(Acc::I(i128::from(*i))),
            Value::Decimal(d) => Some(Acc::D(d.clone())),
            Value::Double(f) => Some(Acc::F(*f)),
            _ => None,
        }
    }

    fn to_f64(&self) -> f64 {
        match self {
            Acc::I(i) => *i as f64,
            Acc::D(d) => d.to_f64().unwrap_or(f64::NAN),
            Acc::F(f) => *f,
        }
    }

    fn to_decimal(&self) -> Decimal {
        match self {
            Acc::I(i) => Decimal::from(*i),
            Acc::D(d) => d.clone(),
            // Never reached with a double (sums of doubles stay doubles).
            Acc::F(f) => Decimal::from_f64(*f).unwrap_or_else(|| Decimal::from(0)),
        }
    }

    /// Combines two sums in the wider domain (integer → decimal → double).
    fn combine(
        &self,
        other: &Acc,
        int: impl Fn(i128, i128) -> Option<i128>,
        dec: impl Fn(&Decimal, &Decimal) -> Decimal,
        float: impl Fn(f64, f64) -> f64,
    ) -> Acc {
        match (self, other) {
            (Acc::I(a), Acc::I(b)) => match int(*a, *b) {
                Some(r) => Acc::I(r),
                None => Acc::D(dec(&Decimal::from(*a), &Decimal::from(*b))),
            },
            (Acc::F(_), _) | (_, Acc::F(_)) => Acc::F(float(self.to_f64(), other.to_f64())),
            _ => Acc::D(dec(&self.to_decimal(), &other.to_decimal())),
        }
    }

    fn add(&self, other: &Acc) -> Acc {
        self.combine(other, i128::checked_add, |a, b| a + b, |a, b| a + b)
    }

    fn mul(&self, other: &Acc) -> Acc {
        self.combine(other, i128::checked_mul, |a, b| a * b, |a, b| a * b)
    }

    /// `self < other`, compared in the wider domain (false with a NaN).
    fn less(&self, other: &Acc) -> bool {
        match (self, other) {
            (Acc::I(a), Acc::I(b)) => a < b,
            (Acc::F(_), _) | (_, Acc::F(_)) => self.to_f64() < other.to_f64(),
            _ => self.to_decimal() < other.to_decimal(),
        }
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
