//! `$apply` → one SELECT of nested derived tables.
//!
//! Each transformation wraps the statement of the one before: `SELECT … FROM (<previous>)
//! AS "<table>" …`. The first reads the collection's table in the caller's tenant (and
//! the request's scope: a navigation's members, a type cast). Every derived table goes by
//! the collection's table name, so the expression translator, which qualifies columns
//! with that name in correlated subqueries, works on every stage.
//!
//! The result of each stage has a *shape*: the entity type (first stage and the
//! transformations that keep instances: `filter`, `orderby`, `top`, `skip`, `identity`,
//! `search`, `topcount`, `bottomcount`, `topsum`, `toppercent`, `bottomsum`,
//! `bottompercent`), or a list of named, typed properties (after `groupby`, `aggregate`,
//! `compute`, `concat`). Expressions over a list of properties are bound
//! against a synthetic entity type with those properties ([`nested_shape_model`]) and translated
//! over a synthetic table whose columns hold the translator's canonical values (Boolean
//! 0/1, Decimal as NUMERIC on PostgreSQL and canonical text on SQLite, DateTimeOffset as
//! text plus `__utc` ticks).
//!
//! Result types of aggregates: `sum` of integers is Edm.Int64, of Edm.Decimal/Double
//! the same type; `average` is Edm.Double for Edm.Double input, else Edm.Decimal; `min` and
//! `max` keep the input type (DateTimeOffset chronologically, returned in UTC, or an instant
//! beyond UTC's years 0001–9999 in the nearest offset that holds it);
//! `countdistinct`, `count` (this service's method: the number of non-null values) and
//! `$count` are Edm.Decimal with scale 0. Decimals are summed, averaged and compared exactly
//! on both databases: on SQLite, where they are text, through the store's decimal
//! aggregates ([`ExprDialect::decimal_aggregate`]) and sort keys.
//!
//! `orderby` sets the order that the next `top`/`skip` (and the final result) use; a
//! `groupby` or `aggregate` drops it (groups come ordered by their grouping values).
//! `groupby` groups by `eq`: DateTimeOffset values by instant, the group's value being the
//! member text that sorts first.
//!
//! The in-memory evaluator (`odata_core::eval::evaluate_apply`) defines the same semantics
//! and the differential test checks this translation against it.
//!
//! The cumulative forms (`topsum(s, v)` …) rank by `v` with window functions: a row is kept
//! while the sum of the values ranked before it is below `s` (below `p` percent of the
//! total for `…percent`). `concat` is a `UNION ALL` of its parts, each part's rows
//! numbered in its own order, so the result lists the parts one after the other.
//!
//! A `groupby` with `rollup` is the `UNION ALL` of one grouping per combination of rollup
//! levels (finest first), the properties a level rolls up being null.
//!
//! `join(p as a)` / `outerjoin` join the related rows (a derived table of the related
//! collection in the caller's tenant, through the link table for a many-to-many
//! navigation); the rows keep the entity's stored columns, so its properties and
//! navigation paths stay usable, and gain the related entity's values as columns named
//! `a/<property>` plus a presence column `a` (null when an outer join found none). Paths
//! like `a/Name` reach such columns: the shape's model makes `a` a complex property
//! ([`nested_shape_model`]).
//!
//! `nest(seq as a)` makes the result of `seq` one JSON text cell: per instance an array of
//! its row number and its cells ([`ColumnRole::Nested`]), built by a correlated subquery
//! (per group inside `groupby`), which the caller decodes.

use std::borrow::Cow;

use odata_core::bind::{
    BindContext, BoundExpr, ExprType, bind_expr, bind_filter, bind_orderby, bind_search,
    nested_shape_model,
};
use odata_core::edm::{EntityTypeId, Model, PrimitiveKind, Property, TypeKind, TypeRef};
use odata_core::error::ODataError;
use odata_core::query::apply::errors::{bad, in_apply, not_implemented, one_level_rollup};
use odata_core::query::apply::join::join_target;
use odata_core::query::{
    AggregateItem, AggregateKind, AggregateMethod, Apply, Expr, GroupingItem, GroupingPath,
    NestItem, OrderBy, ParseLimits, SortDirection, TopBottomKind, Transformation, parse_expr,
};
use odata_core::value::{Date, DateTimeOffset, DecimalOp, Duration, Geo, TimeOfDay, Value};

use super::dialect::{Dialect, ExprDialect, JSON_ARRAY_ITEMS, Postgres, Sqlite};
use super::frag::{Frag, frag};
use super::schema::Backend;
use super::translate::{
    Domain, Hop, Navigator, NoNavigation, Translator, instant_text_nearest_utc,
};
use super::{Condition, OrderTerm, SqlParam, Statement, order, search};
use crate::service::Link;
use crate::store::sqlite_decimal::Aggregate;
use crate::store::table::{Column, ColumnKind, Table, utc_column};

/// What a `$apply` reads: the collection and the request's context.
#[derive(Clone, Copy)]
pub struct ApplySource<'a> {
    /// The service's model.
    pub model: &'a Model,
    /// The collection's table.
    pub table: &'a Table,
    /// The collection's entity type.
    pub entity_type: odata_core::edm::EntityTypeId,
    /// Where the collection's navigation properties lead (for paths through them); it
    /// learns which collections the query reads.
    pub navigator: &'a dyn Navigator,
    /// Searchable columns of the table (for `search(…)`).
    pub searchable: &'a [super::SearchPath],
    /// The caller's tenant.
    pub tenant: &'a str,
    /// A condition the collection's members must meet (navigation, type cast).
    pub scope: Option<&'a Condition>,
    /// Parameter aliases of the request.
    pub aliases: &'a indexmap::IndexMap<String, Expr>,
    /// `now()`.
    pub now: &'a DateTimeOffset,
    /// Expression limits.
    pub limits: ParseLimits,
}

/// The system query options evaluated after `$apply`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AfterApply<'a> {
    /// `$filter`
    pub filter: Option<&'a Expr>,
    /// `$orderby`
    pub orderby: Option<&'a OrderBy>,
    /// `$skip`
    pub skip: Option<u64>,
    /// `$top`
    pub top: Option<u64>,
    /// `$count=true`
    pub count: bool,
    /// Rows to read at most (the page cap).
    pub limit: u64,
}

/// One property of the result.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    /// Property path in the result (`["category"]`, `["profile", "displayName"]`).
    pub path: Vec<String>,
    /// Its type.
    pub type_ref: TypeRef,
    /// An aggregated or computed value (a dynamic property), not a declared property.
    pub dynamic: bool,
    /// What its cell holds.
    pub role: ColumnRole,
}

/// What the cell of a [`ResultColumn`] holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnRole {
    /// A value of the column's type.
    Value,
    /// Whether the object at the column's path exists (the alias of a `join`): null when
    /// the object is null (an `outerjoin` found no related entity), whatever its members
    /// hold. Not a property of its own.
    Presence,
    /// A nested collection (`nest`), as JSON text: an array holding per instance an array
    /// of its position (sort by it) followed by arrays of its cells, which, concatenated,
    /// are laid out as these columns are in a result row (a DateTimeOffset as text and
    /// UTC ticks, Edm.Binary as hexadecimal text, Edm.Decimal as text, a nested collection
    /// as a JSON array or its text, a double possibly as text).
    Nested(Vec<ResultColumn>),
}

impl ResultColumn {
    /// A value column.
    pub(crate) fn value(path: Vec<String>, type_ref: TypeRef, dynamic: bool) -> Self {
        Self {
            path,
            type_ref,
            dynamic,
            role: ColumnRole::Value,
        }
    }
}

/// The statements of a `$apply` request.
#[derive(Debug, Clone)]
pub struct ApplyQuery {
    /// The result rows: per [`ResultColumn`] one cell, two (text, UTC ticks) for an
    /// Edm.DateTimeOffset.
    pub rows: Statement,
    /// `$count=true`: the number of result rows before `$top`/`$skip`.
    pub count: Option<Statement>,
    /// The result's properties, in cell order.
    pub columns: Vec<ResultColumn>,
    /// Whether the result still holds instances of the entity type.
    pub entities: bool,
}

/// Builds the statements of `apply` (then the options after it) for a store on `backend`.
pub fn plan(
    backend: Backend,
    source: &ApplySource<'_>,
    apply: &Apply,
    after: &AfterApply<'_>,
) -> Result<ApplyQuery, ODataError> {
    match backend {
        Backend::Sqlite => Builder::new(&Sqlite, source, after.limit).run(apply, after),
        Backend::Postgres => Builder::new(&Postgres, source, after.limit).run(apply, after),
    }
}

/// The result of the stages so far.
struct Rel<'m> {
    sql: Frag,
    model: Cow<'m, Model>,
    entity_type: odata_core::edm::EntityTypeId,
    table: Table,
    /// `None`: instances of the entity type; else the shape's properties.
    columns: Option<Vec<ResultColumn>>,
    order: Vec<OrderTerm>,
    /// The entity type (of the source's model) whose stored columns the rows still carry,
    /// with values added (after `join`): paths through its navigation properties work.
    base: Option<EntityTypeId>,
}

impl Rel<'_> {
    /// A copy (the model shared when borrowed).
    fn duplicate(&self) -> Self {
        Rel {
            sql: self.sql.clone(),
            model: self.model.clone(),
            entity_type: self.entity_type,
            table: self.table.clone(),
            columns: self.columns.clone(),
            order: self.order.clone(),
            base: self.base,
        }
    }
}

struct Builder<'a, D: ExprDialect> {
    dialect: &'a D,
    source: &'a ApplySource<'a>,
    counter: usize,
    /// The most instances a nested collection (`nest`) may hold before the caller refuses
    /// the result: one more than it returns.
    limit: u64,
}

pub(crate) fn type_ref_of(ty: &ExprType) -> Option<TypeRef> {
    let kind = match ty {
        ExprType::Primitive(p) => TypeKind::Primitive(*p),
        ExprType::Enum(e) => TypeKind::Enum(*e),
        _ => return None,
    };
    Some(primitive_ref(kind))
}

fn primitive_ref(kind: TypeKind) -> TypeRef {
    TypeRef::of(kind)
}

fn decimal_ref() -> TypeRef {
    TypeRef {
        scale: Some(0),
        ..primitive_ref(TypeKind::Primitive(PrimitiveKind::Decimal))
    }
}

/// Whether a property of type `type_ref` has a UTC ticks column next to its own: a single
/// Edm.DateTimeOffset (a collection of them is JSON text, like every collection).
fn has_ticks(type_ref: &TypeRef) -> bool {
    !type_ref.collection && type_ref.primitive() == Some(PrimitiveKind::DateTimeOffset)
}

/// The column kind holding a shape property of type `type_ref`.
fn shape_kind(type_ref: &TypeRef) -> ColumnKind {
    match type_ref.primitive() {
        Some(PrimitiveKind::Decimal) if !type_ref.collection => ColumnKind::Real,
        _ => ColumnKind::of(type_ref),
    }
}

fn column_of(name: &str, type_ref: &TypeRef) -> Column {
    Column {
        property: Property::new(name, type_ref.clone()),
        kind: shape_kind(type_ref),
        reference: None,
    }
}

/// The type of a presence column ([`ColumnRole::Presence`]).
fn presence_ref() -> TypeRef {
    primitive_ref(TypeKind::Primitive(PrimitiveKind::Boolean))
}

fn is_numeric(p: PrimitiveKind) -> bool {
    matches!(
        p,
        PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64
            | PrimitiveKind::Decimal
            | PrimitiveKind::Double
            | PrimitiveKind::Single
    )
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

/// One value of a new shape: its name, type and SQL (value, and ticks for a
/// DateTimeOffset).
struct NewValue {
    column: ResultColumn,
    name: String,
    value: Frag,
    ticks: Option<Frag>,
}

impl<'a, D: ExprDialect> Builder<'a, D> {
    fn new(dialect: &'a D, source: &'a ApplySource<'a>, limit: u64) -> Self {
        Self {
            dialect,
            source,
            counter: 0,
            limit,
        }
    }

    fn q(&self, name: &str) -> Frag {
        Frag::atom(self.dialect.quote(name))
    }

    fn alias(&self) -> Frag {
        self.q(&self.source.table.name)
    }

    /// `SELECT … FROM (<rel>) AS "<table>"`.
    fn from(&self, select: Frag, rel: &Rel<'_>) -> Frag {
        frag![
            "SELECT ",
            select,
            " FROM (",
            &rel.sql,
            ") AS ",
            self.alias()
        ]
    }

    fn first(&self) -> Rel<'a> {
        let s = self.source;
        let mut sql = frag![
            "SELECT * FROM ",
            self.q(&s.table.name),
            " WHERE ",
            self.q("_tenant"),
            " = ",
            Frag::param(s.tenant)
        ];
        if let Some(scope) = s.scope {
            sql.push(frag![" AND (", &scope.frag, ")"]);
        }
        let order = super::default_order(s.table, SortDirection::Asc);
        Rel {
            sql,
            model: Cow::Borrowed(s.model),
            entity_type: s.entity_type,
            table: s.table.clone(),
            columns: None,
            order,
            base: Some(s.entity_type),
        }
    }

    fn ctx<'r>(&self, rel: &'r Rel<'_>) -> BindContext<'r>
    where
        'a: 'r,
    {
        BindContext {
            model: &rel.model,
            entity_type: rel.entity_type,
            aliases: self.source.aliases,
            now: self.source.now.clone(),
            limits: self.source.limits,
        }
    }

    /// Navigation properties lead somewhere from the collection's rows only (also when
    /// joined), not from the rows of a later stage.
    fn related(&self, rel: &Rel<'_>) -> &'a dyn Navigator {
        if rel.base.is_some() {
            self.source.navigator
        } else {
            &NoNavigation
        }
    }

    fn run(mut self, apply: &Apply, after: &AfterApply<'_>) -> Result<ApplyQuery, ODataError> {
        let mut rel = self.first();
        rel = self.sequence(rel, apply)?;
        if let Some(filter) = after.filter {
            let bound = bind_filter(&self.ctx(&rel), filter)?;
            rel = self.filter_bound(rel, &bound)?;
        }
        if let Some(orderby) = after.orderby {
            let keys = bind_orderby(&self.ctx(&rel), orderby)?;
            rel = self.order(rel, &keys)?;
        }
        let count = after.count.then(|| {
            let sql = self.from(Frag::sql("COUNT(*)"), &rel);
            render(sql, self.dialect)
        });
        if after.skip.is_some() || after.top.is_some() {
            rel = self.window(rel, after.top, after.skip.unwrap_or(0));
        }
        let columns = self.result_columns(&rel);
        let mut select = Vec::new();
        for c in &columns {
            let name = c.path.join("/");
            select.push(frag![self.alias(), ".", self.q(&name)]);
            if has_ticks(&c.type_ref) {
                select.push(frag![self.alias(), ".", self.q(&utc_column(&name))]);
            }
        }
        let mut sql = self.from(Frag::join(select, ","), &rel);
        sql.push(self.order_by(&rel.order));
        sql.push(frag![" LIMIT ", Frag::param(clamp(after.limit))]);
        Ok(ApplyQuery {
            rows: render(sql, self.dialect),
            count,
            columns,
            entities: rel.columns.is_none(),
        })
    }

    fn result_columns(&self, rel: &Rel<'_>) -> Vec<ResultColumn> {
        match &rel.columns {
            Some(columns) => columns.clone(),
            None => {
                let ty = rel.model.entity_type(rel.entity_type);
                ty.properties()
                    .filter(|p| !p.is_write_only())
                    .map(|p| ResultColumn::value(vec![p.name.clone()], p.type_ref.clone(), false))
                    .collect()
            }
        }
    }

    fn order_by(&self, order: &[OrderTerm]) -> Frag {
        if order.is_empty() {
            return Frag::sql("");
        }
        let terms = order.iter().map(|t| {
            self.dialect
                .order_term(frag!["(", &t.expr, ")"], t.direction, t.nullable)
        });
        frag![" ORDER BY ", Frag::join(terms, ",")]
    }

    fn sequence<'m>(&mut self, mut rel: Rel<'m>, apply: &Apply) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        for t in &apply.transformations {
            rel = self.transformation(rel, t)?;
        }
        Ok(rel)
    }

    fn transformation<'m>(
        &mut self,
        rel: Rel<'m>,
        t: &Transformation,
    ) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        match t {
            Transformation::Identity => Ok(rel),
            Transformation::Filter(e) => {
                let bound = bind_filter(&self.ctx(&rel), e).map_err(in_apply("filter"))?;
                self.filter_bound(rel, &bound)
            }
            Transformation::OrderBy(o) => {
                let keys = bind_orderby(&self.ctx(&rel), o).map_err(in_apply("orderby"))?;
                self.order(rel, &keys)
            }
            Transformation::Top(n) => Ok(self.window(rel, Some(*n), 0)),
            Transformation::Skip(n) => Ok(self.window(rel, None, *n)),
            Transformation::Search(s) => {
                // The searchable columns are the entity's stored ones (joined rows keep them).
                if rel.base.is_none() {
                    return Err(bad(
                        "search applies to entities only, not after groupby, aggregate, \
                         compute, concat or nest",
                    ));
                }
                let bound = bind_search(s);
                let cond = search::search_condition(
                    self.dialect,
                    &rel.table,
                    &bound,
                    self.source.searchable,
                );
                Ok(self.filter_frag(rel, cond))
            }
            Transformation::Compute(c) => {
                let mut values = Vec::new();
                for item in &c.items {
                    let bound =
                        bind_expr(&self.ctx(&rel), &item.expr).map_err(in_apply("compute"))?;
                    values.push(self.new_value(&rel, &item.alias, &bound, true, "compute")?);
                }
                self.extend(rel, values)
            }
            Transformation::Aggregate(items) => self.group(rel, &[], Some(items), None),
            Transformation::GroupBy { properties, then } => {
                let items: Vec<GroupingItem> =
                    properties.iter().cloned().map(GroupingItem::Path).collect();
                self.groupby(rel, &items, then.as_ref())
            }
            Transformation::GroupByRollup { items, then } => {
                self.groupby(rel, items, then.as_ref())
            }
            Transformation::Join {
                outer,
                path,
                alias,
                then,
            } => self.join(rel, *outer, path, alias, then.as_ref()),
            Transformation::Nest(items) => self.nest_all(rel, items),
            Transformation::TopBottom { kind, n, value } => self.top_bottom(rel, *kind, n, value),
            Transformation::Concat(sequences) => self.concat(rel, sequences),
            Transformation::Unsupported { name, .. } => {
                Err(not_implemented(format!("the transformation '{name}'")))
            }
        }
    }

    /// `groupby(list[, seq])`: the groups of each grouping set the list stands for (one
    /// without `rollup`), and what `seq` makes of each; several sets one after the other,
    /// finest first, a property a set leaves out being null.
    fn groupby<'m>(
        &mut self,
        rel: Rel<'m>,
        items: &[GroupingItem],
        then: Option<&Apply>,
    ) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        for item in items {
            if let GroupingItem::Rollup { all: false, levels } = item
                && levels.len() < 2
            {
                let name = levels.first().map(ToString::to_string).unwrap_or_default();
                return Err(one_level_rollup(&name));
            }
        }
        let nested = then.map_or(&[][..], |a| &a.transformations[..]);
        // Per-row transformations before the aggregate (or nest) apply to the input; those
        // after it see one row per group, so they apply to the grouped result.
        let split = nested
            .iter()
            .position(|t| matches!(t, Transformation::Aggregate(_) | Transformation::Nest(_)));
        let (before, collapse, after) = match split {
            Some(i) => (&nested[..i], Some(&nested[i]), &nested[i + 1..]),
            None => (nested, None, &[][..]),
        };
        // Per-row transformations before the aggregate choose the rows each group
        // aggregates; a group whose rows they all drop still appears (aggregating
        // nothing), so they become a condition on the aggregated values rather than a
        // filter on the input.
        let mut condition: Option<Frag> = None;
        for t in before {
            let cond = match t {
                Transformation::Identity => continue,
                Transformation::Filter(e) => {
                    let bound = bind_filter(&self.ctx(&rel), e).map_err(in_apply("filter"))?;
                    let related = self.related(&rel);
                    Translator::new(&rel.model, &rel.table, related, self.dialect)
                        .condition(&bound)?
                }
                Transformation::Search(s) if rel.base.is_some() => search::search_condition(
                    self.dialect,
                    &rel.table,
                    &bind_search(s),
                    self.source.searchable,
                ),
                other => {
                    return Err(not_implemented(format!(
                        "'{}' inside groupby before aggregate or nest",
                        other.name()
                    )));
                }
            };
            condition = Some(match condition {
                None => cond,
                Some(c) => frag!["(", c, " AND ", cond, ")"],
            });
        }
        if collapse.is_none() && condition.is_some() {
            return Err(not_implemented(
                "groupby with transformations but without aggregate or nest",
            ));
        }
        let sets = GroupingItem::grouping_sets(items);
        let mut parts = Vec::with_capacity(sets.len());
        for set in &sets {
            let paths: Vec<Vec<String>> = set.iter().map(|p| p.segments.clone()).collect();
            let part = match collapse {
                Some(Transformation::Aggregate(aggregates)) => {
                    self.group(rel.duplicate(), &paths, Some(aggregates), condition.clone())?
                }
                Some(Transformation::Nest(nests)) => {
                    let groups = self.group(rel.duplicate(), &paths, None, None)?;
                    self.nest_groups(&rel, groups, &paths, nests, condition.as_ref())?
                }
                _ => self.group(rel.duplicate(), &paths, None, None)?,
            };
            parts.push(part);
        }
        let mut rel = if parts.len() == 1 {
            parts.remove(0)
        } else {
            self.union(parts, "groupby")?
        };
        for t in after {
            match t {
                Transformation::Filter(_)
                | Transformation::Identity
                | Transformation::Compute(_) => rel = self.transformation(rel, t)?,
                other => {
                    return Err(not_implemented(format!(
                        "'{}' inside groupby after aggregate or nest",
                        other.name()
                    )));
                }
            }
        }
        Ok(rel)
    }

    /// `join(path as alias[, seq])` / `outerjoin(…)`: per input row, one row per related
    /// entity (those `seq` keeps, in its order), the input row's columns kept and the
    /// related entity's canonical values added as `alias/<property>`, with the presence
    /// column `alias`; an outer join keeps a row without related entities once, with
    /// nulls.
    fn join<'m>(
        &mut self,
        rel: Rel<'m>,
        outer: bool,
        path: &GroupingPath,
        alias: &str,
        then: Option<&Apply>,
    ) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        let step = if outer { "outerjoin" } else { "join" };
        let model = self.source.model;
        let input_columns = self.result_columns(&rel);
        let joined = join_target(
            model,
            rel.base,
            step,
            path,
            alias,
            |alias| input_columns.iter().any(|c| c.path[0] == alias),
            then,
        )?;
        let (base, navigation, target_type) = (
            joined.base,
            joined.navigation.name.as_str(),
            joined.entity_type,
        );
        let Some(Hop {
            target,
            link,
            searchable,
        }) = self.source.navigator.hop(&rel.table, navigation)
        else {
            return Err(not_implemented(format!(
                "'{step}' through '{navigation}', which leads to no collection of this service"
            )));
        };
        let source_key = single_key(&rel.table, step)?;
        // The related collection, as the first stage of a `$apply` of its own.
        let target_source = ApplySource {
            model,
            table: target,
            entity_type: target_type,
            navigator: self.source.navigator,
            searchable,
            tenant: self.source.tenant,
            scope: None,
            aliases: self.source.aliases,
            now: self.source.now,
            limits: self.source.limits,
        };
        let mut inner = Builder::new(self.dialect, &target_source, self.limit);
        inner.counter = self.counter;
        let mut related = inner.first();
        // A cast, or a navigation to a derived type stored with its base type.
        if target.types.first().map(|t| t.id) != Some(target_type) {
            let names = model
                .entity_type_and_subtypes(target_type)
                .into_iter()
                .map(|t| Frag::param(model.entity_type(t).qualified_name.as_str()));
            let test = frag![inner.q("_type"), " IN (", Frag::join(names, ", "), ")"];
            related = inner.filter_frag(related, test);
        }
        if let Some(sequence) = then {
            related = inner.sequence(related, sequence)?;
        }
        // The related values as a later stage reads them (canonical, see the module
        // documentation), named `alias/<property>`.
        let mut values = Vec::new();
        let mut columns = input_columns;
        let first_new = columns.len();
        columns.push(ResultColumn {
            path: vec![alias.to_owned()],
            type_ref: presence_ref(),
            dynamic: true,
            role: ColumnRole::Presence,
        });
        for c in inner.result_columns(&related) {
            let name = c.path.join("/");
            let path = format!("{alias}/{name}");
            let scalar = !c.type_ref.collection
                && matches!(c.type_ref.kind, TypeKind::Primitive(_) | TypeKind::Enum(_));
            if scalar {
                let expr = parse_expr(&name, &self.source.limits)
                    .map_err(|e| bad(format!("{step}: '{name}': {}", e.message)))?;
                let bound = bind_expr(&inner.ctx(&related), &expr).map_err(in_apply(step))?;
                let v = inner.new_value(&related, &path, &bound, true, step)?;
                values.push((path.clone(), v.value));
                if let Some(ticks) = v.ticks {
                    values.push((utc_column(&path), ticks));
                }
            } else {
                values.push((path.clone(), frag![inner.alias(), ".", inner.q(&name)]));
            }
            // Declared properties of the related entity stay declared.
            columns.push(ResultColumn {
                path: vec![alias.to_owned(), name],
                type_ref: c.type_ref,
                dynamic: c.dynamic,
                role: ColumnRole::Value,
            });
        }
        let related_order = inner.order_by(&related.order);
        self.counter = inner.counter;
        let related_alias = self.next("j");
        let row_number = self.next("rn");
        let mut select: Vec<Frag> = values
            .iter()
            .map(|(name, value)| frag![value, " AS ", self.q(name)])
            .collect();
        // A BIGINT on PostgreSQL, as result cells of integers are read.
        select.push(frag![
            "CAST(1 AS ",
            self.dialect.integer_type(),
            ") AS \"$one\""
        ]);
        select.push(frag!["ROW_NUMBER() OVER (", related_order, ") AS \"$rn\""]);
        let target_alias = self.q(&target.name);
        let target_column = |name: &str| frag![&target_alias, ".", self.q(name)];
        let derived = match link {
            Link::Inverse { column } => {
                let reference = &target.columns[*column].property.name;
                select.push(frag![target_column(reference), " AS \"$src\""]);
                frag![
                    "SELECT ",
                    Frag::join(select, ","),
                    " FROM (",
                    &related.sql,
                    ") AS ",
                    &target_alias
                ]
            }
            Link::Many { table: links } => {
                let key = single_key(target, step)?;
                select.push(frag![target_column(key), " AS \"$key\""]);
                let rows = self.next("r");
                let pairs = self.next("l");
                frag![
                    "SELECT ",
                    self.q(&rows),
                    ".*,",
                    self.q(&pairs),
                    ".",
                    self.q(crate::store::link_table::SOURCE_COLUMN),
                    " AS \"$src\" FROM (SELECT ",
                    Frag::join(select, ","),
                    " FROM (",
                    &related.sql,
                    ") AS ",
                    &target_alias,
                    ") AS ",
                    self.q(&rows),
                    " JOIN ",
                    self.q(links.name()),
                    " AS ",
                    self.q(&pairs),
                    " ON ",
                    self.q(&pairs),
                    ".",
                    self.q("_tenant"),
                    " = ",
                    Frag::param(self.source.tenant),
                    " AND ",
                    self.q(&pairs),
                    ".",
                    self.q(crate::store::link_table::TARGET_COLUMN),
                    " = ",
                    self.q(&rows),
                    ".\"$key\""
                ]
            }
            Link::Reference { .. } => {
                return Err(bad(format!(
                    "{step}: '{navigation}' is single-valued; {step} needs a collection-valued \
                     navigation property"
                )));
            }
        };
        let joined = self.q(&related_alias);
        let mut outer_select = vec![frag![self.alias(), ".*"]];
        outer_select.push(frag![&joined, ".\"$one\" AS ", self.q(alias)]);
        for (name, _) in &values {
            outer_select.push(frag![&joined, ".", self.q(name), " AS ", self.q(name)]);
        }
        outer_select.push(frag![&joined, ".\"$rn\" AS ", self.q(&row_number)]);
        let sql = frag![
            "SELECT ",
            Frag::join(outer_select, ","),
            " FROM (",
            &rel.sql,
            ") AS ",
            self.alias(),
            if outer { " LEFT JOIN (" } else { " JOIN (" },
            derived,
            ") AS ",
            &joined,
            " ON ",
            &joined,
            ".\"$src\" = ",
            self.alias(),
            ".",
            self.q(source_key)
        ];
        let mut table = rel.table.clone();
        for c in &columns[first_new..] {
            table
                .columns
                .push(column_of(&c.path.join("/"), &c.type_ref));
        }
        let mut order = rel.order;
        order.push(OrderTerm {
            expr: self.q(&row_number),
            direction: SortDirection::Asc,
            nullable: true,
        });
        let (model, entity_type) = self.model_of(&columns, Some(base));
        Ok(Rel {
            sql,
            model: Cow::Owned(model),
            entity_type,
            table,
            columns: Some(columns),
            order,
            base: Some(base),
        })
    }

    /// `nest(seq as alias, …)` at the top level: one instance holding what each sequence
    /// makes of the input.
    fn nest_all<'m>(&mut self, rel: Rel<'m>, items: &[NestItem]) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        let mut select = Vec::new();
        let mut columns: Vec<ResultColumn> = Vec::new();
        for item in items {
            if columns.iter().any(|c| c.path[0] == item.alias) {
                return Err(bad(format!(
                    "nest: the alias '{}' is used twice",
                    item.alias
                )));
            }
            let (json, inner) = self.nested_json(rel.duplicate(), item)?;
            select.push(frag![json, " AS ", self.q(&item.alias)]);
            columns.push(nested_column(&item.alias, inner));
        }
        Ok(self.shaped(
            frag!["SELECT ", Frag::join(select, ",")],
            columns,
            Vec::new(),
        ))
    }

    /// `groupby(paths, nest(seq as alias, …))`: per group of `groups` (grouped from
    /// `input` by `paths`), what each sequence makes of the group's input rows (those
    /// meeting `condition`).
    fn nest_groups<'m>(
        &mut self,
        input: &Rel<'m>,
        groups: Rel<'m>,
        paths: &[Vec<String>],
        items: &[NestItem],
        condition: Option<&Frag>,
    ) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        let group = self.next("g");
        let group = self.q(&group);
        // An input row is in the group whose grouping values equal its own (nulls too).
        let mut tests: Vec<Frag> = condition.into_iter().cloned().collect();
        for path in paths {
            let text = path.join("/");
            let expr = parse_expr(&text, &self.source.limits)
                .map_err(|e| bad(format!("groupby: '{text}': {}", e.message)))?;
            let bound = bind_expr(&self.ctx(input), &expr).map_err(in_apply("groupby"))?;
            let v = self.new_value(input, &text, &bound, false, "groupby")?;
            tests.push(match v.ticks {
                Some(ticks) => self
                    .dialect
                    .null_safe_eq(ticks, frag![&group, ".", self.q(&utc_column(&text))]),
                None => self
                    .dialect
                    .null_safe_eq(v.value, frag![&group, ".", self.q(&text)]),
            });
        }
        let mut columns = self.result_columns(&groups);
        let mut select = vec![frag![&group, ".*"]];
        for item in items {
            if columns.iter().any(|c| c.path[0] == item.alias) {
                return Err(bad(format!(
                    "nest: the alias '{}' is already used",
                    item.alias
                )));
            }
            let members = if tests.is_empty() {
                input.duplicate()
            } else {
                self.filter_frag(input.duplicate(), Frag::join(tests.clone(), " AND "))
            };
            let (json, inner) = self.nested_json(members, item)?;
            select.push(frag![json, " AS ", self.q(&item.alias)]);
            columns.push(nested_column(&item.alias, inner));
        }
        let sql = frag![
            "SELECT ",
            Frag::join(select, ","),
            " FROM (",
            &groups.sql,
            ") AS ",
            &group
        ];
        Ok(self.shaped(sql, columns, groups.order))
    }

    /// The JSON text of what `item`'s sequence makes of `input` (see
    /// [`ColumnRole::Nested`]), at most `limit` instances, and the instances' columns.
    fn nested_json<'m>(
        &mut self,
        input: Rel<'m>,
        item: &NestItem,
    ) -> Result<(Frag, Vec<ResultColumn>), ODataError>
    where
        'a: 'm,
    {
        let part = self.sequence(input, &item.apply)?;
        let columns = self.result_columns(&part);
        let mut cells = Vec::new();
        for c in &columns {
            let name = c.path.join("/");
            let cell = frag![self.alias(), ".", self.q(&name)];
            let primitive = if c.type_ref.collection || c.role != ColumnRole::Value {
                None
            } else {
                c.type_ref.primitive()
            };
            match primitive {
                // As text: exact, whatever number type the database would write.
                Some(PrimitiveKind::Decimal) => {
                    cells.push(frag!["CAST(", cell, " AS TEXT)"]);
                }
                // JSON holds no bytes.
                Some(PrimitiveKind::Binary) => cells.push(self.dialect.hex(cell)),
                // As text where the database writes doubles into JSON inexactly (SQLite: 15
                // digits, ±INF as a number out of range): the shortest decimal that reads
                // back as the double, else (±INF) the database's own spelling.
                Some(PrimitiveKind::Double | PrimitiveKind::Single) => {
                    cells.push(match self.dialect.double_to_decimal(cell.clone()) {
                        Some(exact) => frag!["COALESCE(", exact, ",CAST(", cell, " AS TEXT))"],
                        None => cell,
                    });
                }
                Some(PrimitiveKind::DateTimeOffset) => {
                    cells.push(cell);
                    cells.push(frag![self.alias(), ".", self.q(&utc_column(&name))]);
                }
                _ => cells.push(cell),
            }
        }
        let position = self.next("n");
        let mut element = vec![frag![self.alias(), ".", self.q(&position)]];
        let mut rest = cells;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(JSON_ARRAY_ITEMS));
            element.push(self.dialect.json_array(std::mem::replace(&mut rest, tail)));
        }
        let numbered = frag![
            "SELECT ",
            self.alias(),
            ".*,ROW_NUMBER() OVER (",
            self.order_by(&part.order),
            ") AS ",
            self.q(&position),
            " FROM (",
            &part.sql,
            ") AS ",
            self.alias(),
            " ORDER BY ",
            self.q(&position),
            " LIMIT ",
            Frag::param(clamp(self.limit))
        ];
        let json = frag![
            "(SELECT ",
            self.dialect
                .json_array_agg(self.dialect.json_array(element)),
            " FROM (",
            numbered,
            ") AS ",
            self.alias(),
            ")"
        ];
        Ok((json, columns))
    }

    /// `topcount`/`bottomcount` (the first n instances by value) and `topsum`,
    /// `toppercent`, `bottomsum`, `bottompercent` (cumulative: the highest (lowest)
    /// instances, in value order, until their values add up to at least the first argument,
    /// or that percentage of the total; the instance that reaches it is included).
    /// Instances whose value is null take no part in the cumulative forms.
    fn top_bottom<'m>(
        &mut self,
        rel: Rel<'m>,
        kind: TopBottomKind,
        n: &Expr,
        value: &Expr,
    ) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        let name = kind.name();
        let bound = bind_expr(&self.ctx(&rel), value).map_err(in_apply(name))?;
        if !matches!(bound.ty(), ExprType::Primitive(p) if is_numeric(p)) {
            return Err(bad(format!("{name}: the value to rank by must be numeric")));
        }
        let cumulative = !matches!(kind, TopBottomKind::TopCount | TopBottomKind::BottomCount);
        let percent = matches!(
            kind,
            TopBottomKind::TopPercent | TopBottomKind::BottomPercent
        );
        // The threshold of the cumulative forms: a positive number (a percentage at most
        // 100).
        let threshold = if cumulative {
            let bound = bind_expr(&self.ctx(&rel), n).map_err(in_apply(name))?;
            let amount = match &bound {
                BoundExpr::Literal { value, .. } => match value {
                    Value::Int(i) => Some(*i as f64),
                    Value::Double(d) => Some(*d),
                    Value::Decimal(d) => d.to_string().parse::<f64>().ok(),
                    _ => None,
                },
                _ => None,
            };
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
            Some(bound)
        } else {
            None
        };
        let related = self.related(&rel);
        let mut tr = Translator::new(&rel.model, &rel.table, related, self.dialect);
        // Values and threshold meet in one domain: exact decimals (by sort key where they
        // are text), or doubles when either is a double.
        let domain = tr.domain(std::iter::once(&bound).chain(&threshold));
        let expr = match domain {
            Domain::Double => tr.operand(&bound, domain)?,
            _ => tr.value(&bound)?.comparable(),
        };
        let sort = tr.sort_value(&bound)?;
        let threshold = match &threshold {
            Some(t) if domain == Domain::Double => Some(tr.operand(t, domain)?),
            Some(t) => Some(tr.value(t)?.comparable()),
            None => None,
        };
        drop(tr);
        let exact = domain == Domain::Key;
        let direction = if kind.is_top() {
            SortDirection::Desc
        } else {
            SortDirection::Asc
        };
        let mut rel = rel;
        let mut order = vec![OrderTerm {
            expr: sort,
            direction,
            nullable: true,
        }];
        order.append(&mut rel.order);
        let Some(threshold) = threshold else {
            // MODEL §6.4 and the extension alike: the count is a positive integer.
            let count = match (n, n.to_string().parse::<u64>()) {
                (Expr::Literal { .. }, Ok(c)) if c > 0 => c,
                _ => {
                    return Err(bad(format!(
                        "{name}: the first argument must be an integer greater than 0, not '{n}'"
                    )));
                }
            };
            rel.order = order;
            return Ok(self.window(rel, Some(count), 0));
        };
        // Names of their own: a cumulative transformation may follow another, whose
        // columns the input still has (`SELECT *`).
        let before = self.next("before");
        let before = self.q(&before);
        let total = self.next("total");
        let total = self.q(&total);
        let window_order = self.order_by(&order);
        // Text decimals add up exactly through the store's window-capable sum.
        let sum = exact
            .then(|| self.dialect.decimal_aggregate(Aggregate::Sum, expr.clone()))
            .flatten()
            .unwrap_or_else(|| frag!["SUM(", &expr, ")"]);
        let ranked = frag![
            "SELECT *,",
            &sum,
            " OVER (",
            window_order,
            " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ",
            &before,
            ",",
            &sum,
            " OVER () AS ",
            &total,
            " FROM (",
            &rel.sql,
            ") AS ",
            self.alias(),
            " WHERE (",
            &expr,
            ") IS NOT NULL"
        ];
        // before < threshold, or before < total * p / 100 without a division.
        let before = frag!["COALESCE(", &before, ",0)"];
        let (left, right) = if percent {
            let times = |a: Frag, b: Frag| {
                exact
                    .then(|| {
                        self.dialect
                            .decimal_arith(DecimalOp::Mul, a.clone(), b.clone())
                    })
                    .flatten()
                    .unwrap_or_else(|| frag![a, " * ", b])
            };
            (times(before, Frag::sql("100")), times(total, threshold))
        } else {
            (before, threshold)
        };
        let reached = match (
            exact
                .then(|| self.dialect.decimal_key(left.clone()))
                .flatten(),
            exact
                .then(|| self.dialect.decimal_key(right.clone()))
                .flatten(),
        ) {
            (Some(l), Some(r)) => frag![l, " < ", r],
            _ => frag![left, " < ", right],
        };
        rel.sql = frag![
            "SELECT * FROM (",
            ranked,
            ") AS ",
            self.alias(),
            " WHERE ",
            reached
        ];
        rel.order = order;
        Ok(rel)
    }

    /// `concat(seq, seq, …)`: each sequence applied to the input, their results one after
    /// the other (see [`Builder::union`]).
    fn concat<'m>(&mut self, rel: Rel<'m>, sequences: &[Apply]) -> Result<Rel<'m>, ODataError>
    where
        'a: 'm,
    {
        let mut parts = Vec::with_capacity(sequences.len());
        for sequence in sequences {
            parts.push(self.sequence(rel.duplicate(), sequence)?);
        }
        self.union(parts, "concat")
    }

    /// The rows of `parts` one after the other (in part order, each in its own order).
    /// The result has every property of any part (null where a part lacks it); a property
    /// two parts give different types is a 400 naming `step`.
    fn union<'m>(&mut self, parts: Vec<Rel<'m>>, step: &str) -> Result<Rel<'m>, ODataError> {
        let parts: Vec<(Rel<'m>, Vec<ResultColumn>)> = parts
            .into_iter()
            .map(|part| {
                let columns = self.result_columns(&part);
                (part, columns)
            })
            .collect();
        let mut columns: Vec<ResultColumn> = Vec::new();
        for (_, part_columns) in &parts {
            for c in part_columns {
                match columns.iter_mut().find(|k| k.path == c.path) {
                    // Integers of different sizes meet as Edm.Int64.
                    Some(k)
                        if !same_type(&k.type_ref, &c.type_ref)
                            && k.role == ColumnRole::Value
                            && c.role == ColumnRole::Value
                            && k.type_ref.primitive().is_some_and(is_integer)
                            && c.type_ref.primitive().is_some_and(is_integer)
                            && !k.type_ref.collection
                            && !c.type_ref.collection =>
                    {
                        k.type_ref = primitive_ref(TypeKind::Primitive(PrimitiveKind::Int64));
                        k.dynamic |= c.dynamic;
                    }
                    Some(k) if !same_type(&k.type_ref, &c.type_ref) || k.role != c.role => {
                        return Err(bad(format!(
                            "{step}: '{}' has different types in the parts",
                            c.path.join("/")
                        )));
                    }
                    // Facets (nullability, scale) do not make another type.
                    Some(k) => k.type_ref.nullable |= c.type_ref.nullable,
                    None => columns.push(c.clone()),
                }
            }
        }
        let mut selects = Vec::with_capacity(parts.len());
        for (i, (part, part_columns)) in parts.iter().enumerate() {
            let mut select = Vec::new();
            for c in &columns {
                let name = c.path.join("/");
                let has = part_columns.iter().any(|k| k.path == c.path);
                let kind = shape_kind(&c.type_ref);
                // An entity's decimal is stored as text; a shape holds it as a number.
                let stored_text = part
                    .table
                    .column_index(&name)
                    .is_some_and(|i| part.table.columns[i].kind == ColumnKind::Text);
                let cell = |column: &str| match (has, kind) {
                    (true, ColumnKind::Real) if stored_text => {
                        self.dialect
                            .decimal_column(frag![self.alias(), ".", self.q(column)])
                    }
                    (true, _) => frag![self.alias(), ".", self.q(column)],
                    // A decimal's null in the type the other parts compute decimals in.
                    (false, ColumnKind::Real)
                        if c.type_ref.primitive() == Some(PrimitiveKind::Decimal) =>
                    {
                        self.dialect.to_decimal(Frag::atom("NULL"))
                    }
                    (false, _) => self.dialect.column_param(Frag::atom("NULL"), kind),
                };
                select.push(frag![cell(&name), " AS ", self.q(&name)]);
                if has_ticks(&c.type_ref) {
                    let utc = utc_column(&name);
                    let ticks = if has {
                        frag![self.alias(), ".", self.q(&utc)]
                    } else {
                        self.dialect
                            .column_param(Frag::atom("NULL"), ColumnKind::Integer)
                    };
                    select.push(frag![ticks, " AS ", self.q(&utc)]);
                }
            }
            let part_index = i64::try_from(i).unwrap_or(i64::MAX);
            select.push(frag![Frag::param(part_index), " AS ", self.q("$part")]);
            select.push(frag![
                "ROW_NUMBER() OVER (",
                self.order_by(&part.order),
                ") AS ",
                self.q("$row")
            ]);
            selects.push(self.from(Frag::join(select, ","), part));
        }
        let sql = frag![
            "SELECT * FROM (",
            Frag::join(selects, " UNION ALL "),
            ") AS ",
            self.alias()
        ];
        let order = ["$part", "$row"]
            .into_iter()
            .map(|c| OrderTerm {
                expr: self.q(c),
                direction: SortDirection::Asc,
                nullable: false,
            })
            .collect();
        Ok(self.shaped(sql, columns, order))
    }

    fn filter_bound<'m>(&mut self, rel: Rel<'m>, bound: &BoundExpr) -> Result<Rel<'m>, ODataError> {
        let related = self.related(&rel);
        let cond =
            Translator::new(&rel.model, &rel.table, related, self.dialect).condition(bound)?;
        Ok(self.filter_frag(rel, cond))
    }

    fn filter_frag<'m>(&self, mut rel: Rel<'m>, cond: Frag) -> Rel<'m> {
        rel.sql = frag![self.from(Frag::sql("*"), &rel), " WHERE (", cond, ")"];
        rel
    }

    fn order<'m>(
        &mut self,
        mut rel: Rel<'m>,
        keys: &[odata_core::bind::BoundOrderBy],
    ) -> Result<Rel<'m>, ODataError> {
        let related = self.related(&rel);
        let mut tr = Translator::new(&rel.model, &rel.table, related, self.dialect);
        let mut terms = order::order_terms(&mut tr, keys)?;
        // A stable sort: earlier orders break ties.
        terms.append(&mut rel.order);
        rel.order = terms;
        Ok(rel)
    }

    fn window<'m>(&self, mut rel: Rel<'m>, top: Option<u64>, skip: u64) -> Rel<'m> {
        let mut sql = frag![self.from(Frag::sql("*"), &rel), self.order_by(&rel.order)];
        sql.push(frag![
            " LIMIT ",
            Frag::param(clamp(top.unwrap_or(u64::MAX))),
            " OFFSET ",
            Frag::param(clamp(skip))
        ]);
        rel.sql = sql;
        rel
    }

    /// The SQL of a new value of a shape (Boolean as 0/1, DateTimeOffset as text and ticks).
    fn new_value(
        &mut self,
        rel: &Rel<'_>,
        name: &str,
        bound: &BoundExpr,
        dynamic: bool,
        step: &str,
    ) -> Result<NewValue, ODataError> {
        let ty = bound.ty();
        let Some(type_ref) = type_ref_of(&ty) else {
            return Err(bad(format!(
                "{step}: '{name}' must be a primitive or enumeration value"
            )));
        };
        let related = self.related(rel);
        let (value, ticks) =
            Translator::new(&rel.model, &rel.table, related, self.dialect).selected_cells(bound)?;
        Ok(NewValue {
            column: ResultColumn::value(
                name.split('/').map(str::to_owned).collect(),
                type_ref,
                dynamic,
            ),
            name: name.to_owned(),
            value,
            ticks,
        })
    }

    /// The shape of `rel` as result columns (the entity's properties for instances).
    fn shape_columns(&self, rel: &Rel<'_>) -> Vec<ResultColumn> {
        self.result_columns(rel)
    }

    /// The synthetic model of a shape with `columns` (nested collections are no
    /// properties: expressions cannot reach into them), its entity type extending `base`'s
    /// navigation properties.
    fn model_of(
        &self,
        columns: &[ResultColumn],
        base: Option<EntityTypeId>,
    ) -> (Model, EntityTypeId) {
        let properties: Vec<Property> = columns
            .iter()
            .filter(|c| !matches!(c.role, ColumnRole::Nested(_)))
            .map(|c| Property::new(c.path.join("/"), c.type_ref.clone()))
            .collect();
        nested_shape_model(self.source.model, "$apply", base, properties)
    }

    /// A new shape: the table and synthetic model of `columns`.
    fn shaped<'m>(&self, sql: Frag, columns: Vec<ResultColumn>, order: Vec<OrderTerm>) -> Rel<'m> {
        let (model, id) = self.model_of(&columns, None);
        let table = Table {
            name: self.source.table.name.clone(),
            columns: columns
                .iter()
                .map(|c| column_of(&c.path.join("/"), &c.type_ref))
                .collect(),
            key: Vec::new(),
            types: Vec::new(),
            streams: Vec::new(),
            version: None,
            creation_timestamps: Vec::new(),
            type_property: None,
            insertion_order: false,
            track_changes: false,
            range_counts: Vec::new(),
            trigram_indexes: Vec::new(),
            sqlite_texts: Default::default(),
        };
        Rel {
            sql,
            model: Cow::Owned(model),
            entity_type: id,
            table,
            columns: Some(columns),
            order,
            base: None,
        }
    }

    /// `compute`: the shape's properties plus new values.
    fn extend<'m>(&mut self, rel: Rel<'m>, values: Vec<NewValue>) -> Result<Rel<'m>, ODataError> {
        let mut columns = self.shape_columns(&rel);
        let mut select = vec![Frag::sql("*")];
        for v in values {
            if columns.iter().any(|c| c.path.join("/") == v.name) {
                return Err(bad(format!(
                    "compute: the alias '{}' is already a property of the input",
                    v.name
                )));
            }
            select.push(frag![v.value, " AS ", self.q(&v.name)]);
            if let Some(ticks) = v.ticks {
                select.push(frag![ticks, " AS ", self.q(&utc_column(&v.name))]);
            }
            columns.push(v.column);
        }
        let sql = self.from(Frag::join(select, ","), &rel);
        let mut shaped = self.shaped(sql, columns, rel.order);
        // The input's columns stay as they are (`SELECT *`; an entity's decimal as text, its
        // DateTimeOffset with its ticks), so the table keeps them too, instances' or not.
        let mut table = rel.table.clone();
        table.columns.extend(
            shaped
                .table
                .columns
                .drain(..)
                .filter(|c| rel.table.column_index(&c.property.name).is_none()),
        );
        shaped.table = table;
        Ok(shaped)
    }

    /// `groupby(paths, aggregate(items))` / `aggregate(items)` / `groupby(paths)`.
    fn group<'m>(
        &mut self,
        rel: Rel<'m>,
        paths: &[Vec<String>],
        items: Option<&Vec<AggregateItem>>,
        condition: Option<Frag>,
    ) -> Result<Rel<'m>, ODataError> {
        // Inner: one row per input row with the grouping values and aggregated inputs.
        let mut inner = Vec::new();
        let mut outer = Vec::new();
        let mut group_by = Vec::new();
        let mut columns: Vec<ResultColumn> = Vec::new();
        let mut order = Vec::new();
        // `min`/`max` of DateTimeOffset values, whose text follows from their ticks.
        let mut utc_texts: Vec<String> = Vec::new();
        // Only the rows meeting `condition` are aggregated (groupby's inner filters).
        let only = |x: Frag| match &condition {
            None => x,
            Some(_) => frag!["(CASE WHEN \"$f\" = 1 THEN ", x, " END)"],
        };
        if let Some(c) = &condition {
            inner.push(frag!["(CASE WHEN ", c, " THEN 1 ELSE 0 END) AS \"$f\""]);
        }
        for path in paths {
            let text = path.join("/");
            let expr = parse_expr(&text, &self.source.limits)
                .map_err(|e| bad(format!("groupby: '{text}': {}", e.message)))?;
            let bound = bind_expr(&self.ctx(&rel), &expr).map_err(in_apply("groupby"))?;
            if type_ref_of(&bound.ty()).is_none() {
                return Err(bad(format!(
                    "groupby: '{text}' is not a primitive or enumeration property"
                )));
            }
            if columns.iter().any(|c| c.path.join("/") == text) {
                return Err(bad(format!("groupby: '{text}' is listed twice")));
            }
            let v = self.new_value(&rel, &text, &bound, false, "groupby")?;
            let k = self.next("k");
            inner.push(frag![v.value, " AS ", self.q(&k)]);
            if let Some(ticks) = v.ticks {
                // DateTimeOffset values group by instant (`eq`), whatever their offsets;
                // the group's value is the text of its members' that sorts first.
                outer.push(frag!["MIN(", self.q(&k), ") AS ", self.q(&text)]);
                let kt = utc_column(&k);
                inner.push(frag![ticks, " AS ", self.q(&kt)]);
                outer.push(frag![self.q(&kt), " AS ", self.q(&utc_column(&text))]);
                group_by.push(self.q(&kt));
                order.push(OrderTerm {
                    expr: self.q(&utc_column(&text)),
                    direction: SortDirection::Asc,
                    nullable: true,
                });
            } else {
                outer.push(frag![self.q(&k), " AS ", self.q(&text)]);
                group_by.push(self.q(&k));
                // Decimal groups in numeric order where decimals are text.
                let key = match bound.ty().primitive() {
                    Some(PrimitiveKind::Decimal) => self.dialect.decimal_key(self.q(&text)),
                    _ => None,
                };
                order.push(OrderTerm {
                    expr: key.unwrap_or_else(|| self.q(&text)),
                    direction: SortDirection::Asc,
                    nullable: true,
                });
            }
            columns.push(v.column);
        }
        for item in items.into_iter().flatten() {
            if columns.iter().any(|c| c.path.join("/") == item.alias) {
                return Err(bad(format!(
                    "aggregate: the alias '{}' is already used",
                    item.alias
                )));
            }
            let (value, ticks, type_ref) = match &item.kind {
                AggregateKind::Count => (
                    match &condition {
                        None => Frag::sql("COUNT(*)"),
                        Some(_) => Frag::sql("COUNT(CASE WHEN \"$f\" = 1 THEN 1 END)"),
                    },
                    None,
                    decimal_ref(),
                ),
                AggregateKind::With { expr, method, from } => {
                    if !from.is_empty() {
                        return Err(not_implemented("'from' in aggregate"));
                    }
                    if let AggregateMethod::Custom(name) = method {
                        return Err(not_implemented(format!("the aggregation method '{name}'")));
                    }
                    let bound = bind_expr(&self.ctx(&rel), expr).map_err(in_apply("aggregate"))?;
                    let ty = bound.ty();
                    let Some(input) = type_ref_of(&ty) else {
                        return Err(bad(format!(
                            "aggregate: '{expr}' is not a primitive value and cannot be aggregated"
                        )));
                    };
                    let v = self.new_value(&rel, &item.alias, &bound, true, "aggregate")?;
                    let k = self.next("v");
                    // DateTimeOffset values are aggregated by instant.
                    let input_sql = v.ticks.unwrap_or(v.value);
                    inner.push(frag![input_sql, " AS ", self.q(&k)]);
                    let col = only(self.q(&k));
                    let prim = input.primitive();
                    let numeric = prim.is_some_and(is_numeric);
                    match method {
                        AggregateMethod::Sum | AggregateMethod::Average if !numeric => {
                            return Err(bad(format!(
                                "aggregate: '{method}' needs a numeric value, but '{expr}' is {}",
                                ty.display(&rel.model)
                            )));
                        }
                        AggregateMethod::Sum if prim.is_some_and(is_integer) => (
                            frag!["CAST(SUM(", col, ") AS ", self.dialect.integer_type(), ")"],
                            None,
                            primitive_ref(TypeKind::Primitive(PrimitiveKind::Int64)),
                        ),
                        AggregateMethod::Sum => (
                            self.exact(Aggregate::Sum, prim, col.clone())
                                .unwrap_or_else(|| frag!["SUM(", col, ")"]),
                            None,
                            input.clone(),
                        ),
                        // Not AVG of doubles: PostgreSQL's accumulates the sum of squares
                        // too and fails when that overflows (an average of 1e300s).
                        AggregateMethod::Average if prim == Some(PrimitiveKind::Double) => (
                            frag![
                                "(SUM(CAST(",
                                col.clone(),
                                " AS ",
                                self.dialect.real_type(),
                                ")) / COUNT(",
                                col,
                                "))"
                            ],
                            None,
                            input.clone(),
                        ),
                        // Integers average to a decimal too.
                        AggregateMethod::Average => (
                            self.dialect
                                .decimal_aggregate(Aggregate::Average, col.clone())
                                .unwrap_or_else(|| {
                                    frag!["AVG(", self.dialect.to_decimal(col), ")"]
                                }),
                            None,
                            primitive_ref(TypeKind::Primitive(PrimitiveKind::Decimal)),
                        ),
                        AggregateMethod::Min | AggregateMethod::Max => {
                            if matches!(prim, Some(PrimitiveKind::Boolean))
                                || matches!(input.kind, TypeKind::Complex(_) | TypeKind::Entity(_))
                            {
                                return Err(bad(format!(
                                    "aggregate: '{method}' needs an orderable value, but '{expr}' is {}",
                                    ty.display(&rel.model)
                                )));
                            }
                            let (f, aggregate) = if *method == AggregateMethod::Min {
                                ("MIN(", Aggregate::Min)
                            } else {
                                ("MAX(", Aggregate::Max)
                            };
                            if let Some(exact) = self.exact(aggregate, prim, col.clone()) {
                                (exact, None, input.clone())
                            } else if prim == Some(PrimitiveKind::DateTimeOffset) {
                                // The text, in UTC, is written around the grouped rows.
                                utc_texts.push(item.alias.clone());
                                (Frag::atom("NULL"), Some(frag![f, col, ")"]), input.clone())
                            } else {
                                (frag![f, col, ")"], None, input.clone())
                            }
                        }
                        AggregateMethod::CountDistinct => {
                            (frag!["COUNT(DISTINCT ", col, ")"], None, decimal_ref())
                        }
                        // The non-null values, typed like `$count`.
                        AggregateMethod::Count => (frag!["COUNT(", col, ")"], None, decimal_ref()),
                        AggregateMethod::Custom(_) => unreachable_custom()?,
                    }
                }
            };
            // Counts are Edm.Decimal: on PostgreSQL in NUMERIC, so that later stages compute
            // with them exactly (`floor` of a BIGINT would be a double there).
            let value = if type_ref == decimal_ref() {
                self.dialect.decimal_column(value)
            } else {
                value
            };
            if !utc_texts.contains(&item.alias) {
                outer.push(frag![value, " AS ", self.q(&item.alias)]);
            }
            if let Some(ticks) = ticks {
                outer.push(frag![ticks, " AS ", self.q(&utc_column(&item.alias))]);
            }
            columns.push(ResultColumn::value(
                vec![item.alias.clone()],
                type_ref,
                true,
            ));
        }
        if inner.is_empty() {
            inner.push(Frag::sql("1 AS \"$one\""));
        }
        // No grouping and no aggregate (the grand-total level of a rollup without
        // aggregate): one instance without properties.
        if outer.is_empty() {
            outer.push(Frag::sql("COUNT(*) AS \"$one\""));
        }
        let inner_sql = self.from(Frag::join(inner, ","), &rel);
        let mut sql = frag![
            "SELECT ",
            Frag::join(outer, ","),
            " FROM (",
            inner_sql,
            ") AS ",
            self.alias()
        ];
        if !group_by.is_empty() {
            sql.push(frag![" GROUP BY ", Frag::join(group_by, ",")]);
        }
        if !utc_texts.is_empty() {
            let texts = utc_texts.iter().map(|alias| {
                let ticks = self.q(&utc_column(alias));
                frag![
                    instant_text_nearest_utc(self.dialect, &ticks),
                    " AS ",
                    self.q(alias)
                ]
            });
            sql = frag![
                "SELECT *,",
                Frag::join(texts, ","),
                " FROM (",
                sql,
                ") AS ",
                self.alias()
            ];
        }
        Ok(self.shaped(sql, columns, order))
    }

    fn next(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("${prefix}{}", self.counter)
    }

    /// `aggregate` of the values `col` of type `prim` through the store's exact decimal
    /// aggregate, where the values are decimals the database's own `SUM`/`MIN`/`MAX`
    /// would compute in doubles or compare as text (SQLite); `None` otherwise.
    fn exact(&self, aggregate: Aggregate, prim: Option<PrimitiveKind>, col: Frag) -> Option<Frag> {
        if prim != Some(PrimitiveKind::Decimal) {
            return None;
        }
        self.dialect.decimal_aggregate(aggregate, col)
    }
}

/// A nested-collection column ([`ColumnRole::Nested`]) named `alias`.
fn nested_column(alias: &str, columns: Vec<ResultColumn>) -> ResultColumn {
    ResultColumn {
        path: vec![alias.to_owned()],
        type_ref: TypeRef {
            collection: true,
            ..primitive_ref(TypeKind::Primitive(PrimitiveKind::String))
        },
        dynamic: true,
        role: ColumnRole::Nested(columns),
    }
}

/// The name of the single key property of `table` (a join pairs rows by it).
fn single_key<'t>(table: &'t Table, step: &str) -> Result<&'t str, ODataError> {
    match table.key.as_slice() {
        [key] => Ok(&table.columns[*key].property.name),
        _ => Err(not_implemented(format!(
            "'{step}' between entities with composite keys"
        ))),
    }
}

/// The values of one row of [`ApplyQuery::rows`], one per column (a DateTimeOffset from its
/// two cells), each a value of its column's type. For results of plain value columns: a
/// `join`'s presence column decodes as its raw cell and a `nest`'s as JSON text; the
/// response writer decodes those roles itself.
pub fn decode_row(columns: &[ResultColumn], row: &[SqlParam]) -> Result<Vec<Value>, ODataError> {
    let mut cells = row.iter();
    let mut values = Vec::with_capacity(columns.len());
    for column in columns {
        let first = cells.next().cloned().unwrap_or(SqlParam::Null);
        let ticks = if has_ticks(&column.type_ref) {
            cells.next().cloned()
        } else {
            None
        };
        values.push(decode_cell(column, first, ticks)?);
    }
    Ok(values)
}

/// A result cell as a value of its column's type (`ticks`: the `__utc` cell of a
/// DateTimeOffset column).
pub fn decode_cell(
    column: &ResultColumn,
    cell: SqlParam,
    ticks: Option<SqlParam>,
) -> Result<Value, ODataError> {
    let corrupt = || {
        crate::error::internal(&format!(
            "unexpected value in $apply result column '{}'",
            column.path.join("/")
        ))
    };
    let text = |cell: &SqlParam| match cell {
        SqlParam::Text(s) => Ok(s.clone()),
        _ => Err(corrupt()),
    };
    if cell == SqlParam::Null
        && !(has_ticks(&column.type_ref) && matches!(ticks, Some(SqlParam::Integer(_))))
    {
        return Ok(Value::Null);
    }
    if column.type_ref.collection {
        return serde_json::from_str(&text(&cell)?)
            .map(Value::Json)
            .map_err(|_| corrupt());
    }
    let int = |cell: &SqlParam| match cell {
        SqlParam::Integer(i) => Ok(*i),
        SqlParam::Real(r) => Ok(*r as i64),
        _ => Err(corrupt()),
    };
    Ok(match column.type_ref.kind {
        TypeKind::Enum(_) => Value::Enum(int(&cell)?),
        TypeKind::Complex(_) | TypeKind::Entity(_) => serde_json::from_str(&text(&cell)?)
            .map(Value::Json)
            .map_err(|_| corrupt())?,
        TypeKind::Primitive(p) => match p {
            PrimitiveKind::Boolean => Value::Boolean(int(&cell)? != 0),
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64 => Value::Int(int(&cell)?),
            PrimitiveKind::Double | PrimitiveKind::Single => match cell {
                SqlParam::Real(r) => Value::Double(r),
                SqlParam::Integer(i) => Value::Double(i as f64),
                // Text inside a nested collection (`Inf`, `Infinity` too).
                SqlParam::Decimal(s) | SqlParam::Text(s) => {
                    Value::Double(s.parse().map_err(|_| corrupt())?)
                }
                _ => return Err(corrupt()),
            },
            PrimitiveKind::Binary => match cell {
                SqlParam::Blob(b) => Value::Binary(b),
                _ => return Err(corrupt()),
            },
            PrimitiveKind::Decimal => {
                let text = match cell {
                    SqlParam::Real(r) => r.to_string(),
                    SqlParam::Integer(i) => i.to_string(),
                    SqlParam::Text(s) | SqlParam::Decimal(s) => s,
                    _ => return Err(corrupt()),
                };
                Value::Decimal(odata_core::value::parse_decimal(&text).ok_or_else(corrupt)?)
            }
            PrimitiveKind::Duration => Value::Duration(Duration::from_ticks(int(&cell)?)),
            PrimitiveKind::TimeOfDay => {
                Value::TimeOfDay(TimeOfDay::from_ticks(int(&cell)?).ok_or_else(corrupt)?)
            }
            PrimitiveKind::Date => Value::Date(Date::parse(&text(&cell)?).map_err(|_| corrupt())?),
            PrimitiveKind::Guid => {
                Value::Guid(uuid::Uuid::try_parse(&text(&cell)?).map_err(|_| corrupt())?)
            }
            // Stored as GeoJSON text; written as a GeoJSON object.
            _ if p.is_spatial() => {
                let json: serde_json::Value =
                    serde_json::from_str(&text(&cell)?).map_err(|_| corrupt())?;
                let (family, shape) = p.spatial().ok_or_else(corrupt)?;
                Value::Geo(
                    Geo::from_geojson(&json, family, shape, column.type_ref.srid())
                        .map_err(|_| corrupt())?,
                )
            }
            PrimitiveKind::DateTimeOffset => match (&cell, &ticks) {
                (SqlParam::Text(s), _) => {
                    Value::DateTimeOffset(DateTimeOffset::parse(s).map_err(|_| corrupt())?)
                }
                // Ticks only (an aggregated or computed value): in UTC.
                (_, Some(SqlParam::Integer(t))) => {
                    Value::DateTimeOffset(DateTimeOffset::from_instant(*t).ok_or_else(corrupt)?)
                }
                _ => return Err(corrupt()),
            },
            _ => Value::String(text(&cell)?),
        },
    })
}

fn unreachable_custom() -> Result<(Frag, Option<Frag>, TypeRef), ODataError> {
    Err(not_implemented("custom aggregation methods"))
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn render(frag: Frag, dialect: &impl Dialect) -> Statement {
    let (sql, params) = frag.render(dialect);
    Statement { sql, params }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
    use odata_core::query::parse_apply;

    use super::*;
    use crate::sql::SqlParam;

    fn query(apply: &str, backend: Backend) -> ApplyQuery {
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("item")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("kind", "Edm.String"))
                    .property(PropertyDef::new("n", "Edm.Int32")),
            )
            .build()
            .unwrap();
        let id = model.find_entity_type("item").unwrap();
        let table = Table::new(&model, id, "items".into());
        let aliases = indexmap::IndexMap::new();
        let now = DateTimeOffset::min_value();
        let source = ApplySource {
            model: &model,
            table: &table,
            entity_type: id,
            navigator: &NoNavigation,
            searchable: &[],
            tenant: "t1",
            scope: None,
            aliases: &aliases,
            now: &now,
            limits: ParseLimits::default(),
        };
        let apply = parse_apply(apply, &ParseLimits::default()).unwrap();
        plan(
            backend,
            &source,
            &apply,
            &AfterApply {
                limit: 10,
                ..AfterApply::default()
            },
        )
        .unwrap()
    }

    /// Where `parts` leads in [`joined`]'s model.
    struct Parts<'t> {
        target: &'t Table,
        link: Link,
    }

    impl Navigator for Parts<'_> {
        fn hop(&self, _from: &Table, navigation: &str) -> Option<Hop<'_>> {
            (navigation == "parts").then_some(Hop {
                target: self.target,
                link: &self.link,
                searchable: &[],
            })
        }
    }

    /// The statements of `apply` over items whose `parts` are linked by a reference
    /// column of the parts (`many`: by a link table).
    fn joined(apply: &str, backend: Backend, many: bool) -> ApplyQuery {
        use odata_core::edm::NavigationDef;
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("item")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("kind", "Edm.String"))
                    .navigation(NavigationDef::new("parts", "Collection(ns.part)")),
            )
            .entity_type(
                EntityTypeDef::new("part")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("w", "Edm.Decimal")),
            )
            .build()
            .unwrap();
        let item = model.find_entity_type("item").unwrap();
        let part = model.find_entity_type("part").unwrap();
        let items = Table::new(&model, item, "items".into());
        let mut parts = Table::new(&model, part, "parts".into());
        let key = model.entity_type(item).property("id").unwrap().clone();
        let link = if many {
            Link::Many {
                table: Box::new(crate::store::link_table::LinkTable::new(
                    "item_parts".into(),
                    &key,
                    &key,
                )),
            }
        } else {
            Link::Inverse {
                column: parts.add_reference("item", &key),
            }
        };
        let navigator = Parts {
            target: &parts,
            link,
        };
        let aliases = indexmap::IndexMap::new();
        let now = DateTimeOffset::min_value();
        let source = ApplySource {
            model: &model,
            table: &items,
            entity_type: item,
            navigator: &navigator,
            searchable: &[],
            tenant: "t1",
            scope: None,
            aliases: &aliases,
            now: &now,
            limits: ParseLimits::default(),
        };
        let apply = parse_apply(apply, &ParseLimits::default()).unwrap();
        plan(
            backend,
            &source,
            &apply,
            &AfterApply {
                limit: 10,
                ..AfterApply::default()
            },
        )
        .unwrap()
    }

    fn tenant_params(q: &ApplyQuery) -> usize {
        q.rows
            .params
            .iter()
            .filter(|p| **p == SqlParam::Text("t1".into()))
            .count()
    }

    #[test]
    fn joins_read_the_related_rows_and_link_table_of_the_tenant() {
        let q = joined("join(parts as p)", Backend::Sqlite, false);
        // The items and the parts, each in the tenant.
        assert_eq!(tenant_params(&q), 2, "{}", q.rows.sql);
        assert!(q.rows.sql.contains(" JOIN (") && !q.rows.sql.contains("LEFT JOIN"));
        let names: Vec<String> = q.columns.iter().map(|c| c.path.join("/")).collect();
        assert_eq!(names, ["id", "kind", "p", "p/id", "p/w"]);
        assert_eq!(q.columns[2].role, ColumnRole::Presence);
        let q = joined("outerjoin(parts as p)", Backend::Postgres, true);
        // The items, the parts and the link table.
        assert_eq!(tenant_params(&q), 3, "{}", q.rows.sql);
        assert!(q.rows.sql.contains("LEFT JOIN ("), "{}", q.rows.sql);
        assert!(q.rows.sql.contains("\"item_parts\""), "{}", q.rows.sql);
        // The related decimal as later stages compare it: a number.
        assert!(q.rows.sql.contains("AS NUMERIC)"), "{}", q.rows.sql);
    }

    #[test]
    fn rollup_is_a_union_of_groupings_and_count_counts_values() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let q = query(
                "groupby((rollup($all,kind,n)),aggregate(n with count as c))",
                backend,
            );
            assert_eq!(
                q.rows.sql.matches(" UNION ALL ").count(),
                2,
                "{}",
                q.rows.sql
            );
            assert_eq!(q.rows.sql.matches("GROUP BY").count(), 2, "{}", q.rows.sql);
            assert!(!q.rows.sql.to_uppercase().contains("ROLLUP"));
            assert!(q.rows.sql.contains("COUNT(\"$v"), "{}", q.rows.sql);
            let names: Vec<String> = q.columns.iter().map(|c| c.path.join("/")).collect();
            assert_eq!(names, ["kind", "n", "c"]);
            assert_eq!(q.columns[2].type_ref, decimal_ref());
        }
    }

    #[test]
    fn nest_aggregates_json_per_dialect() {
        let q = query("groupby((kind),nest(top(2) as some))", Backend::Sqlite);
        assert!(
            q.rows.sql.contains("json_group_array(json_array("),
            "{}",
            q.rows.sql
        );
        let ColumnRole::Nested(inner) = &q.columns[1].role else {
            panic!("{:?}", q.columns)
        };
        assert_eq!(inner.len(), 3);
        let q = query("nest(aggregate($count as n) as c)", Backend::Postgres);
        assert!(
            q.rows.sql.contains("jsonb_agg(jsonb_build_array("),
            "{}",
            q.rows.sql
        );
    }

    #[test]
    fn the_first_stage_reads_the_tenant_only_and_values_are_parameters() {
        let q = query(
            "filter(kind eq 'x')/groupby((kind),aggregate(n with sum as total))",
            Backend::Sqlite,
        );
        assert!(
            q.rows.sql.contains("FROM \"items\" WHERE \"_tenant\" = ?"),
            "{}",
            q.rows.sql
        );
        assert_eq!(q.rows.params[0], SqlParam::Text("t1".into()));
        assert!(q.rows.params.contains(&SqlParam::Text("x".into())));
        assert!(!q.rows.sql.contains("'x'"), "{}", q.rows.sql);
        assert!(q.rows.sql.contains("GROUP BY"), "{}", q.rows.sql);
        assert!(q.rows.sql.contains("CAST(SUM("), "{}", q.rows.sql);
        let names: Vec<String> = q.columns.iter().map(|c| c.path.join("/")).collect();
        assert_eq!(names, ["kind", "total"]);
        assert!(!q.entities && q.columns[1].dynamic && !q.columns[0].dynamic);
        let pg = query("aggregate($count as n)", Backend::Postgres);
        assert!(
            pg.rows.sql.contains("\"_tenant\" = $1::text"),
            "{}",
            pg.rows.sql
        );
    }
}
