//! `$apply` (OData Data Aggregation Extension 4.0) over in-memory entities: the oracle the
//! SQL of `odata_server::sql::apply` is tested against.
//!
//! The transformations run one after the other, each on the result of the one before. A
//! stage holds either instances of the collection's entity type (the first stage, and
//! after `filter`, `orderby`, `top`, `skip`, `identity`, `search` and the six
//! top/bottom transformations) or records of named, typed properties (after `groupby`,
//! `aggregate`, `compute`, `concat`, `join`, `outerjoin` and `nest`). Expressions over
//! records are bound against a synthetic entity type with those properties
//! ([`nested_shape_model`]), so a later stage names grouping properties and aliases like
//! declared properties, and a property named by a path (`owner/name`, a joined entity's
//! `a/name`) as a member of a complex property named by its first segment. Records have
//! no navigation properties (a path through one no longer binds), except joined
//! instances, which keep their entity's; `search` applies to instances and joined
//! instances only.
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
//!   `search` and `identity` before the `aggregate` (or `nest`) choose the rows each group
//!   aggregates (a group whose rows they all drop still appears, aggregating nothing);
//!   `filter`, `compute` and `identity` after it apply to the grouped records. Anything
//!   else in the nested sequence, or transformations without an `aggregate` or `nest`, is
//!   a 501.
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
//!   Edm.Int64; a property two parts give different types or roles (a value, a join
//!   alias, a nested collection of other properties) is a 400 (facets such as nullability
//!   or scale do not count).
//! * **`join(nav as a[, seq])`** over a collection-valued navigation property of the
//!   instances (joined instances too; after anything else a 501), optionally cast to a
//!   derived type (`nav/NS.Derived`): per instance, one record per related entity that
//!   `seq` keeps (`filter`, `search`, `orderby`, `compute` and `identity`; anything else is
//!   a 501), in its order, after the instance's place; instances without one are dropped,
//!   and **`outerjoin`** keeps them once, `a` null. A record has the instance's properties
//!   and navigation properties, the dynamic Edm.Boolean `a` (true; null when an outer join
//!   found none; [`PropertyRole::Presence`]) and the related entity's properties as
//!   `a/<name>` (declared ones stay declared). The related entities are the elements of the
//!   navigation property's JSON array (in the related collection's key order), each of the
//!   type its `@odata.type` names, else the navigation property's; `search` among them
//!   looks at the paths the caller passes for the collection. A single-valued navigation
//!   property, another path, an alias that names a property of the input, or a cast to a
//!   type not derived from the target is a 400; an entity type with a composite key is a
//!   501.
//! * **`nest(seq as a, …)`**: at the top level one record, inside `groupby` one per group
//!   (its rows those the transformations before `nest` keep), holding per sequence the
//!   instances the sequence makes of the input (the group's rows in input order) under its
//!   alias, in the sequence's order ([`PropertyRole::Nested`], a dynamic
//!   `Collection(Edm.String)` as the SQL translation types it). Later stages cannot name
//!   a nested collection. An alias used twice, or naming a grouping property, is a 400.
//! * The transformations the parser keeps as [`Transformation::Unsupported`] are 501
//!   everywhere.
//!
//! Errors: a binding error is a 400 naming `$apply` and the transformation; an arithmetic
//! error of an expression (overflow, division by zero) is the evaluator's 400. Every
//! expression of a nested sequence (`join`, `nest`) is bound whether or not some instance
//! reaches it.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

use bigdecimal::{FromPrimitive, ToPrimitive};
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::bind::{
    BindContext, BoundExpr, BoundSearch, ExprType, bind_expr, bind_filter, bind_orderby,
    bind_search, nested_shape_model,
};
use crate::edm::{EntityTypeId, Model, PrimitiveKind, Property, TypeKind, TypeRef};
use crate::error::ODataError;
use crate::query::apply::errors::{bad, in_apply, not_implemented, one_level_rollup};
use crate::query::apply::join::join_target;
use crate::query::{
    AggregateItem, AggregateKind, AggregateMethod, Apply, Expr, GroupingItem, GroupingPath,
    NestItem, SortDirection, TopBottomKind, Transformation, parse_expr,
};
use crate::value::{DateTimeOffset, Decimal, Value};

use super::{EntityValues, MapEntity, evaluate, json, matches, ops, search_matches};

/// One property of a `$apply` result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultProperty {
    /// Its path (`["category"]`, `["owner", "name"]` for a grouping path through a
    /// navigation property, `["a", "name"]` for a property of the entity joined as `a`).
    pub path: Vec<String>,
    /// Its type.
    pub type_ref: TypeRef,
    /// An aggregated or computed value (a dynamic property), not a declared property.
    pub dynamic: bool,
    /// What it holds.
    pub role: PropertyRole,
}

/// What a [`ResultProperty`] holds.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyRole {
    /// A value of the property's type.
    Value,
    /// The alias of a `join`/`outerjoin`: `true`, or null when an outer join found no
    /// related entity. The entity's values are the properties below its path.
    Presence,
    /// The alias of a `nest`: a collection of instances with these properties, in
    /// [`ResultRow::nested`] (the value itself is null).
    Nested(Vec<ResultProperty>),
}

impl ResultProperty {
    /// The name of the property in the synthetic type of the result (`owner/name`).
    pub fn name(&self) -> String {
        self.path.join("/")
    }

    /// A property holding values.
    fn value(path: Vec<String>, type_ref: TypeRef, dynamic: bool) -> Self {
        Self {
            path,
            type_ref,
            dynamic,
            role: PropertyRole::Value,
        }
    }
}

/// One instance or record of a `$apply` result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// For an instance of the entity type: its index in the input.
    pub source: Option<usize>,
    /// The values, one per [`ApplyResult::properties`].
    pub values: Vec<Value>,
    /// The instances of each nested collection ([`PropertyRole::Nested`]), by the
    /// property's name.
    pub nested: IndexMap<String, Vec<ResultRow>>,
}

/// The result of a `$apply` sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyResult {
    /// The result's properties: for instances of the entity type the declared (not
    /// write-only) properties of the collection's type, otherwise the grouping properties,
    /// aggregates, computed values, joined entities' properties and nested collections.
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
        base: Some(ctx.entity_type),
        rows: (0..entities.len()).map(Row::Source).collect(),
    };
    let stage = run.sequence(first, apply)?;
    let properties = run.result_columns(&stage);
    let rows = run.result_rows(&stage, &properties);
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

/// The property of a nested collection named `alias` whose instances have `properties`.
fn nested_property(alias: &str, properties: Vec<ResultProperty>) -> ResultProperty {
    ResultProperty {
        path: vec![alias.to_owned()],
        type_ref: TypeRef {
            collection: true,
            ..TypeRef::of(TypeKind::Primitive(PrimitiveKind::String))
        },
        dynamic: true,
        role: PropertyRole::Nested(properties),
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
    Record(Box<Record>),
}

/// A record of a shape.
#[derive(Debug, Clone)]
struct Record {
    entity_type: EntityTypeId,
    /// The values of the shape's properties by name (`a/name`; a join alias's presence).
    values: IndexMap<String, Value>,
    /// What expressions read besides: per head of a path-named property (`a` of `a/name`)
    /// the JSON object of the values below it (null for a join alias whose entity is
    /// absent), and a joined instance's navigation properties.
    objects: IndexMap<String, Value>,
    /// The instances of the nested collections, by alias.
    nested: IndexMap<String, Vec<ResultRow>>,
}

impl EntityValues for Record {
    fn entity_type(&self) -> EntityTypeId {
        self.entity_type
    }

    fn property(&self, name: &str) -> Option<&Value> {
        self.objects.get(name).or_else(|| self.values.get(name))
    }
}

/// What a new record holds.
#[derive(Debug, Clone, Default)]
struct Fields {
    /// Values by property name (a missing one is null).
    values: IndexMap<String, Value>,
    /// Nested collections by alias.
    nested: IndexMap<String, Vec<ResultRow>>,
    /// The navigation properties of a joined instance, as JSON.
    navigation: IndexMap<String, Value>,
}

impl Record {
    /// A record of the shape `columns` (of type `entity_type`) holding `fields`.
    fn new(entity_type: EntityTypeId, columns: &[ResultProperty], fields: Fields) -> Self {
        let Fields {
            mut values,
            nested,
            navigation,
        } = fields;
        let mut heads: IndexMap<String, Map<String, Json>> = IndexMap::new();
        'columns: for c in columns {
            let name = c.name();
            let value = values.entry(name).or_insert(Value::Null);
            let Some((head, rest)) = c.path.split_first() else {
                continue;
            };
            let Some((last, between)) = rest.split_last() else {
                continue;
            };
            // A complex property kept whole is read as it is (as the shape's model has it).
            if columns.iter().any(|k| {
                k.path.len() == 1
                    && k.path[0] == *head
                    && matches!(k.type_ref.kind, TypeKind::Complex(_))
            }) {
                continue;
            }
            let mut object = heads.entry(head.clone()).or_default();
            for name in between {
                let inner = object
                    .entry(name.clone())
                    .or_insert_with(|| Json::Object(Map::new()));
                let Json::Object(inner) = inner else {
                    continue 'columns;
                };
                object = inner;
            }
            object.insert(last.clone(), json::to_json(value));
        }
        let mut objects = navigation;
        for (head, object) in heads {
            let absent = columns.iter().any(|c| {
                c.role == PropertyRole::Presence && c.path.len() == 1 && c.path[0] == head
            }) && values.get(&head).is_none_or(Value::is_null);
            let value = if absent {
                Value::Null
            } else {
                Value::Json(Json::Object(object))
            };
            objects.insert(head, value);
        }
        Record {
            entity_type,
            values,
            objects,
            nested,
        }
    }
}

/// The result of the transformations so far.
#[derive(Debug, Clone)]
struct Stage<'m> {
    /// The model expressions bind against: the service's, or a shape's.
    model: Cow<'m, Model>,
    entity_type: EntityTypeId,
    /// `None`: instances of the entity type; else the shape's properties.
    columns: Option<Vec<ResultProperty>>,
    /// The entity type whose instances the rows are or extend (instances, joined
    /// instances): its navigation properties and `search` apply.
    base: Option<EntityTypeId>,
    /// The rows, in the stage's order.
    rows: Vec<Row>,
}

impl Stage<'_> {
    /// A stage of the same shape holding `rows`.
    fn subset(&self, rows: Vec<Row>) -> Stage<'_> {
        Stage {
            model: Cow::Borrowed(&self.model),
            entity_type: self.entity_type,
            columns: self.columns.clone(),
            base: self.base,
            rows,
        }
    }
}

/// A condition a nested `groupby` sequence puts on the rows a group aggregates.
enum Condition {
    Filter(BoundExpr),
    Search(BoundSearch),
}

/// What a `groupby` (or `aggregate`) makes of each group besides its grouping values.
#[derive(Clone, Copy)]
enum Collapse<'a> {
    /// Nothing: the grouping values only.
    Values,
    /// `aggregate(…)`.
    Aggregate(&'a [AggregateItem]),
    /// `nest(…)`.
    Nest(&'a [NestItem]),
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
            Row::Record(r) => r.as_ref(),
        }
    }

    /// The value of the property `name` of a row (a join alias's presence, not its object).
    fn value(&self, row: &Row, name: &str) -> Value {
        match row {
            Row::Source(i) => self.entities[*i].property(name),
            Row::Record(r) => r.values.get(name),
        }
        .cloned()
        .unwrap_or(Value::Null)
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
                .map(|p| ResultProperty::value(vec![p.name.clone()], p.type_ref.clone(), false))
                .collect(),
        }
    }

    /// The rows of a stage as result rows with the values of `columns`.
    fn result_rows(&self, stage: &Stage<'_>, columns: &[ResultProperty]) -> Vec<ResultRow> {
        stage
            .rows
            .iter()
            .map(|row| {
                let mut fields = self.fields(row, columns);
                ResultRow {
                    source: match row {
                        Row::Source(i) => Some(*i),
                        Row::Record(_) => None,
                    },
                    values: columns
                        .iter()
                        .map(|c| fields.values.swap_remove(&c.name()).unwrap_or(Value::Null))
                        .collect(),
                    nested: fields.nested,
                }
            })
            .collect()
    }

    /// What a row holds of `columns`: their values, and the nested collections.
    fn fields(&self, row: &Row, columns: &[ResultProperty]) -> Fields {
        let mut fields = Fields::default();
        for c in columns {
            let name = c.name();
            if let PropertyRole::Nested(_) = c.role {
                let rows = match row {
                    Row::Record(r) => r.nested.get(&name).cloned(),
                    Row::Source(_) => None,
                };
                fields.nested.insert(name.clone(), rows.unwrap_or_default());
                fields.values.insert(name, Value::Null);
            } else {
                let value = self.value(row, &name);
                fields.values.insert(name, value);
            }
        }
        fields
    }

    /// A new shape of `columns` over the service's model (extending the instances of
    /// `base`, whose navigation properties it keeps), with its records.
    fn shaped<'m>(
        &self,
        columns: Vec<ResultProperty>,
        base: Option<EntityTypeId>,
        rows: Vec<Fields>,
    ) -> Stage<'m> {
        // Nested collections are no properties: expressions cannot reach into them.
        let properties: Vec<Property> = columns
            .iter()
            .filter(|c| !matches!(c.role, PropertyRole::Nested(_)))
            .map(|c| Property::new(c.name(), c.type_ref.clone()))
            .collect();
        let (model, id) = nested_shape_model(self.ctx.model, "$apply", base, properties);
        let rows = rows
            .into_iter()
            .map(|fields| Row::Record(Box::new(Record::new(id, &columns, fields))))
            .collect();
        Stage {
            model: Cow::Owned(model),
            entity_type: id,
            columns: Some(columns),
            base,
            rows,
        }
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

    /// What `apply` makes of `stage`: the result's properties and rows.
    fn nested<'m>(
        &self,
        stage: Stage<'m>,
        apply: &Apply,
    ) -> Result<(Vec<ResultProperty>, Vec<ResultRow>), ODataError>
    where
        'r: 'm,
    {
        let part = self.sequence(stage, apply)?;
        let columns = self.result_columns(&part);
        let rows = self.result_rows(&part, &columns);
        Ok((columns, rows))
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
                if stage.base.is_none() {
                    return Err(bad(
                        "search applies to entities only, not after groupby, aggregate, \
                         compute, concat or nest",
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
            Transformation::Aggregate(items) => {
                self.group(stage, &[], Collapse::Aggregate(items), &[])
            }
            Transformation::GroupBy { properties, then } => {
                let nested = then.as_ref().map_or(&[][..], |a| &a.transformations[..]);
                let split = nested.iter().position(|t| {
                    matches!(t, Transformation::Aggregate(_) | Transformation::Nest(_))
                });
                let (before, collapse, after) = match split {
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
                        Transformation::Search(s) if stage.base.is_some() => {
                            conditions.push(Condition::Search(bind_search(s)));
                        }
                        other => {
                            return Err(not_implemented(format!(
                                "'{}' inside groupby before aggregate or nest",
                                other.name()
                            )));
                        }
                    }
                }
                if collapse.is_none() && !conditions.is_empty() {
                    return Err(not_implemented(
                        "groupby with transformations but without aggregate or nest",
                    ));
                }
                let collapse = match collapse {
                    Some(Transformation::Aggregate(items)) => Collapse::Aggregate(items),
                    Some(Transformation::Nest(items)) => Collapse::Nest(items),
                    _ => Collapse::Values,
                };
                let paths: Vec<Vec<String>> =
                    properties.iter().map(|p| p.segments.clone()).collect();
                let grouped = self.group(stage, &paths, collapse, &conditions)?;
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
                // What follows the aggregate (or nest) sees every set's rows in the finest
                // set's shape (a property a set leaves out is null there), so it runs after
                // the sets are put together.
                let nested = then.as_ref().map_or(&[][..], |a| &a.transformations[..]);
                let split = nested
                    .iter()
                    .position(|t| {
                        matches!(t, Transformation::Aggregate(_) | Transformation::Nest(_))
                    })
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
            Transformation::Join {
                outer,
                path,
                alias,
                then,
            } => self.join(stage, *outer, path, alias, then.as_ref()),
            Transformation::Nest(items) => self.nest(stage, items),
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
            columns.push(ResultProperty::value(
                alias.split('/').map(str::to_owned).collect(),
                type_ref.clone(),
                true,
            ));
        }
        let mut records = Vec::with_capacity(stage.rows.len());
        for row in &stage.rows {
            let mut fields = self.fields(row, &base);
            for (alias, _, bound) in &items {
                let v = evaluate(&stage.model, bound, self.entity(row))?;
                fields.values.insert(alias.clone(), v);
            }
            records.push(fields);
        }
        Ok(self.shaped(columns, None, records))
    }

    /// `groupby(paths, aggregate(items))`, `groupby(paths, nest(items))`,
    /// `aggregate(items)` (no paths) or `groupby(paths)`; only rows meeting every
    /// condition are aggregated (or nested).
    fn group<'m>(
        &self,
        stage: Stage<'m>,
        paths: &[Vec<String>],
        collapse: Collapse<'_>,
        conditions: &[Condition],
    ) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
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
            columns.push(ResultProperty::value(
                text.split('/').map(str::to_owned).collect(),
                type_ref,
                false,
            ));
            keys.push(bound);
        }
        let mut aggregates: Vec<(Option<BoundExpr>, Aggregation)> = Vec::new();
        let mut nests: Vec<&NestItem> = Vec::new();
        match collapse {
            Collapse::Values => {}
            Collapse::Aggregate(items) => {
                for item in items {
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
                    columns.push(ResultProperty::value(
                        vec![item.alias.clone()],
                        type_ref,
                        true,
                    ));
                    aggregates.push((expr, aggregation));
                }
            }
            Collapse::Nest(items) => {
                for item in items {
                    if columns.iter().any(|c| c.path.first() == Some(&item.alias)) {
                        return Err(bad(format!(
                            "nest: the alias '{}' is already used",
                            item.alias
                        )));
                    }
                    // The nested instances' properties, whatever the groups (every
                    // expression of the sequence bound).
                    let (inner, _) = self.nested(stage.subset(Vec::new()), &item.apply)?;
                    columns.push(nested_property(&item.alias, inner));
                    nests.push(item);
                }
            }
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
        let aggregated = &columns[keys.len()..];
        let mut records = Vec::with_capacity(groups.len());
        for (key, members) in groups {
            let mut fields = Fields {
                values: columns
                    .iter()
                    .zip(key)
                    .map(|(c, v)| (c.name(), v))
                    .collect(),
                ..Fields::default()
            };
            for ((expr, aggregation), column) in aggregates.iter().zip(aggregated) {
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
                fields.values.insert(column.name(), value);
            }
            for item in &nests {
                // The group's rows in input order.
                let rows = members.iter().map(|&m| stage.rows[m].clone()).collect();
                let (_, rows) = self.nested(stage.subset(rows), &item.apply)?;
                fields.nested.insert(item.alias.clone(), rows);
            }
            records.push(fields);
        }
        Ok(self.shaped(columns, None, records))
    }

    /// `nest(seq as alias, …)` at the top level: one record holding what each sequence
    /// makes of the input.
    fn nest<'m>(&self, stage: Stage<'m>, items: &[NestItem]) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
        let mut columns: Vec<ResultProperty> = Vec::new();
        let mut fields = Fields::default();
        for item in items {
            if columns.iter().any(|c| c.path.first() == Some(&item.alias)) {
                return Err(bad(format!(
                    "nest: the alias '{}' is used twice",
                    item.alias
                )));
            }
            let (inner, rows) = self.nested(stage.subset(stage.rows.clone()), &item.apply)?;
            columns.push(nested_property(&item.alias, inner));
            fields.nested.insert(item.alias.clone(), rows);
        }
        Ok(self.shaped(columns, None, vec![fields]))
    }

    /// `join(path as alias[, seq])` / `outerjoin(…)`: per instance, one record per related
    /// entity `seq` keeps, in its order, the instance's properties kept and the related
    /// entity's added as `alias/<property>` with the presence `alias`; an outer join keeps
    /// an instance without related entities once, with nulls.
    fn join<'m>(
        &self,
        stage: Stage<'m>,
        outer: bool,
        path: &GroupingPath,
        alias: &str,
        then: Option<&Apply>,
    ) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
        let step = if outer { "outerjoin" } else { "join" };
        let model = self.ctx.model;
        let input_columns = self.result_columns(&stage);
        let joined = join_target(
            model,
            stage.base,
            step,
            path,
            alias,
            |alias| {
                input_columns
                    .iter()
                    .any(|c| c.path.first().map(String::as_str) == Some(alias))
            },
            then,
        )?;
        let (base, nav, target_type) = (joined.base, joined.navigation, joined.entity_type);
        let navigation = nav.name.as_str();
        let ty = model.entity_type(base);
        let empty = Apply {
            transformations: Vec::new(),
        };
        let then = then.unwrap_or(&empty);
        if ty.key.len() != 1 {
            return Err(not_implemented(format!(
                "'{step}' between entities with composite keys"
            )));
        }
        // The related entities of every instance, each instance's a range of them.
        let mut related: Vec<MapEntity> = Vec::new();
        let mut ranges: Vec<Range<usize>> = Vec::with_capacity(stage.rows.len());
        for row in &stage.rows {
            let start = related.len();
            if let Some(Value::Json(Json::Array(items))) = self.entity(row).property(navigation) {
                related.extend(
                    items
                        .iter()
                        .filter_map(|item| related_entity(model, item, nav.target))
                        .filter(|e| model.entity_derives_from(e.entity_type, target_type)),
                );
            }
            ranges.push(start..related.len());
        }
        // `seq` over the related entities, as the first stage of a `$apply` of their own.
        let entities: Vec<&dyn EntityValues> =
            related.iter().map(|e| e as &dyn EntityValues).collect();
        let ctx = BindContext {
            model,
            entity_type: target_type,
            aliases: self.ctx.aliases,
            now: self.ctx.now.clone(),
            limits: self.ctx.limits,
        };
        let members = Run {
            ctx: &ctx,
            entities: &entities,
            searchable: self.searchable,
        };
        let first = |rows: Vec<Row>| Stage {
            model: Cow::Borrowed(model),
            entity_type: target_type,
            columns: None,
            base: Some(target_type),
            rows,
        };
        let related_columns = members.result_columns(&members.sequence(first(Vec::new()), then)?);
        let mut columns = input_columns;
        let kept = columns.len();
        columns.push(ResultProperty {
            path: vec![alias.to_owned()],
            type_ref: TypeRef::of(TypeKind::Primitive(PrimitiveKind::Boolean)),
            dynamic: true,
            role: PropertyRole::Presence,
        });
        for c in &related_columns {
            // Declared properties of the related entity stay declared.
            columns.push(ResultProperty::value(
                vec![alias.to_owned(), c.name()],
                c.type_ref.clone(),
                c.dynamic,
            ));
        }
        let mut records = Vec::new();
        for (row, range) in stage.rows.iter().zip(ranges) {
            let mut fields = self.fields(row, &columns[..kept]);
            let entity = self.entity(row);
            for n in ty.navigation_properties() {
                let value = entity.property(&n.name).cloned().unwrap_or(Value::Null);
                fields.navigation.insert(n.name.clone(), value);
            }
            let joined = members.sequence(first(range.map(Row::Source).collect()), then)?;
            if joined.rows.is_empty() && outer {
                records.push(fields.clone());
            }
            for member in &joined.rows {
                let mut fields = fields.clone();
                fields.values.insert(alias.to_owned(), Value::Boolean(true));
                let values = members.fields(member, &related_columns).values;
                for (name, value) in values {
                    fields.values.insert(format!("{alias}/{name}"), value);
                }
                records.push(fields);
            }
        }
        Ok(self.shaped(columns, Some(base), records))
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

    /// What follows the aggregate (or nest) inside a `groupby`: per-row steps over the
    /// grouped rows.
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
                        "'{}' inside groupby after aggregate or nest",
                        other.name()
                    )));
                }
            }
        }
        Ok(grouped)
    }

    /// `concat(seq, seq, …)`: each sequence applied to the input, the results one after
    /// the other.
    fn concat<'m>(&self, stage: Stage<'m>, sequences: &[Apply]) -> Result<Stage<'m>, ODataError>
    where
        'r: 'm,
    {
        let mut parts = Vec::with_capacity(sequences.len());
        for sequence in sequences {
            let part = self.sequence(stage.subset(stage.rows.clone()), sequence)?;
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
                            && k.role == PropertyRole::Value
                            && c.role == PropertyRole::Value
                            && k.type_ref.primitive().is_some_and(is_integer)
                            && c.type_ref.primitive().is_some_and(is_integer)
                            && !k.type_ref.collection
                            && !c.type_ref.collection =>
                    {
                        k.type_ref = TypeRef::of(TypeKind::Primitive(PrimitiveKind::Int64));
                        k.dynamic |= c.dynamic;
                    }
                    Some(k) if !same_type(&k.type_ref, &c.type_ref) || k.role != c.role => {
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
        for (part, part_columns) in &parts {
            for row in &part.rows {
                records.push(self.fields(row, part_columns));
            }
        }
        Ok(self.shaped(columns, None, records))
    }
}

/// An element of a navigation property's JSON array as an instance of the type its
/// `@odata.type` names (when derived from `declared`), else of `declared`: its structural
/// properties converted per their types, its navigation properties as JSON. `None` for
/// an element that is no object.
fn related_entity(model: &Model, item: &Json, declared: EntityTypeId) -> Option<MapEntity> {
    let Json::Object(object) = item else {
        return None;
    };
    let entity_type = object
        .get("@odata.type")
        .and_then(Json::as_str)
        .and_then(|t| model.find_entity_type(t.trim_start_matches('#')))
        .filter(|t| model.entity_derives_from(*t, declared))
        .unwrap_or(declared);
    let ty = model.entity_type(entity_type);
    let mut values = IndexMap::new();
    for p in ty.properties() {
        let j = object.get(&p.name).unwrap_or(&Json::Null);
        values.insert(p.name.clone(), json::property_value(model, j, &p.type_ref));
    }
    for n in ty.navigation_properties() {
        let value = match object.get(&n.name) {
            None | Some(Json::Null) => Value::Null,
            Some(j) => Value::Json(j.clone()),
        };
        values.insert(n.name.clone(), value);
    }
    Some(MapEntity {
        entity_type,
        values,
    })
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
