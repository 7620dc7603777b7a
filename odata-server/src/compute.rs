//! `$compute` on the server: binding the request's computed properties, and their values
//! for each entity written.
//!
//! `$filter` and `$orderby` use computed properties through substitution (see
//! `odata_core::bind::bind_compute`), so they run in SQL like any other expression, and
//! server-driven paging by a computed key works unchanged: the statement selects every
//! sort term's value for the `$skiptoken`.
//!
//! The values written into the response are computed by the in-memory evaluator
//! (`odata_core::eval`, the semantic oracle the SQL translation is tested against) on each
//! row read, rather than as extra SQL select-list expressions: the output then carries the
//! exact OData values (Edm.Decimal arithmetic, DateTimeOffset offsets as written, enum
//! members) that the evaluator defines, with no second decoding of SQL results per type.
//! The row holds every column a computed expression reads ([`columns`]). Where the
//! evaluator reports an arithmetic error (division by zero, overflow) the value is null,
//! as the SQL translation yields null there, so the output agrees with what `$filter`
//! saw.
//!
//! Which computed properties a response holds: OData 4.01 (URL Conventions, `$compute`)
//! has them added to the default selection and to `$select=*`, and listed by name in a
//! `$select` like declared properties; so without `$select` (or with `*`) every declared
//! and every computed property is written, and with a list exactly the names listed. They
//! follow the declared properties, in `$compute` order, as dynamic properties
//! (`odata_core::json::write_dynamic_properties` decides their `@odata.type`).
//!
//! Expressions reading through navigation properties (`profile/displayName`,
//! `devices/$count`, `devices/any(…)`) are the exception: the row read holds no related
//! entity, so they are computed in SQL ([`fetch`]), one statement for a page of entities,
//! by the same translation `$filter` uses (correlated subqueries confined to the tenant)
//! and decoded as `$apply`'s computed values are. The differential test holds that
//! translation to the evaluator's semantics, so both kinds of value agree.

use std::collections::HashMap;

use odata_core::bind::{self, BindContext, ComputedProperty, ExprType};
use odata_core::edm::{EntityTypeId, Model, TypeKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::eval::{self, EntityValues};
use odata_core::query::QueryOptions;
use odata_core::value::Value;

use crate::expand::Node;
use crate::service::{Collection, Service};
use crate::sql::schema::Backend;
use crate::sql::{self, Navigator, SelectedValue};
use crate::store::table::{Table, TableType};
use crate::store::{Deadline, Store, StoreError, StoredEntity};

/// A request's `$compute`, bound: its properties, and the SQL of those that read through
/// navigation properties.
#[derive(Debug, Clone, Default)]
pub struct Computed {
    /// The computed properties, in request order.
    pub properties: Vec<ComputedProperty>,
    /// Per property, its SQL when it reads through navigation properties (computed by
    /// [`fetch`] into [`Node::computed`], in this order).
    in_sql: Vec<Option<SelectedValue>>,
}

impl Computed {
    /// Whether nothing is computed.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// Whether some property reads through navigation properties (and so is computed by
    /// [`fetch`]).
    pub fn reads_navigation(&self) -> bool {
        self.in_sql.iter().any(Option::is_some)
    }

    fn selected_values(&self) -> Vec<SelectedValue> {
        self.in_sql.iter().flatten().cloned().collect()
    }
}

/// Binds the request's `$compute` (none: empty) against `collection`, translating the
/// properties that read through navigation properties with `navigator` (which notes the
/// collections they read) for a store on `backend`.
pub fn bind(
    service: &Service,
    backend: Backend,
    collection: &Collection,
    navigator: &dyn Navigator,
    ctx: &BindContext<'_>,
    options: &QueryOptions,
) -> Result<Computed, ODataError> {
    let Some(compute) = &options.compute else {
        return Ok(Computed::default());
    };
    let properties = bind::bind_compute(ctx, compute)?;
    let model = service.model();
    let types = model.entity_type_and_subtypes(collection.entity_type);
    let in_sql = properties
        .iter()
        .map(|c| {
            let through_navigation = c.expr.properties().iter().any(|property| {
                property.variable.is_none()
                    && property.path.first().is_some_and(|first| {
                        types
                            .iter()
                            .any(|&t| model.entity_type(t).navigation_property(first).is_some())
                    })
            });
            through_navigation
                .then(|| {
                    sql::selected_value(
                        backend,
                        model,
                        &collection.table,
                        navigator,
                        &c.name,
                        &c.expr,
                    )
                    .map_err(|e| e.with_target("$compute"))
                })
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    Ok(Computed { properties, in_sql })
}

/// Computes the values of `computed` that read through navigation properties for the
/// entities of `nodes` (of `collection`), with one statement, into [`Node::computed`].
pub async fn fetch(
    store: &Store,
    tenant: &str,
    deadline: Deadline,
    collection: &Collection,
    computed: &Computed,
    nodes: &mut [Node],
) -> Result<(), StoreError> {
    let values = computed.selected_values();
    if values.is_empty() || nodes.is_empty() {
        return Ok(());
    }
    let table = &collection.table;
    let keys: Vec<Vec<Value>> = nodes.iter().map(|n| n.entity.key(table)).collect();
    let of_nodes = sql::keys_in(table, &keys);
    let rows = store
        .selected_values(table, tenant, &[&of_nodes], &values, deadline)
        .await?;
    let mut by_key: HashMap<String, Vec<Value>> = HashMap::with_capacity(rows.len());
    for (entity, cells) in rows {
        let mut cells = cells.into_iter();
        let decoded = values
            .iter()
            .map(|v| {
                let cell = cells.next().unwrap_or(sql::SqlParam::Null);
                let ticks = v.ticks.is_some().then(|| cells.next()).flatten();
                sql::apply::decode_cell(&v.column, cell, ticks).map_err(|e| StoreError::Corrupt {
                    column: v.column.path.join("/"),
                    reason: e.message,
                })
            })
            .collect::<Result<_, _>>()?;
        by_key.insert(format!("{:?}", entity.key(table)), decoded);
    }
    for node in nodes {
        node.computed = by_key
            .remove(&format!("{:?}", node.entity.key(table)))
            .unwrap_or_else(|| vec![Value::Null; values.len()]);
    }
    Ok(())
}

/// The columns of `table` the computed expressions evaluated on the read row read.
pub fn columns(table: &Table, computed: &Computed) -> Vec<usize> {
    let mut out = Vec::new();
    let evaluated = computed
        .properties
        .iter()
        .zip(&computed.in_sql)
        .filter(|(_, in_sql)| in_sql.is_none());
    for property in evaluated.flat_map(|(c, _)| c.expr.properties()) {
        if property.variable.is_some() {
            continue;
        }
        if let Some(column) = property.path.first().and_then(|p| table.column_index(p))
            && !out.contains(&column)
        {
            out.push(column);
        }
    }
    out
}

/// A dynamic property to write: name, type (`None` for an untyped null) and value.
pub(crate) type DynamicValue<'c> = (&'c str, Option<TypeKind>, Value);

/// The computed properties of `node`'s entity to write (those `selected` names, all
/// without a `$select`), in `$compute` order: name, type (`None` for an untyped null) and
/// value.
pub(crate) fn values<'c>(
    model: &Model,
    table: &Table,
    table_type: &TableType,
    node: &Node,
    computed: &'c Computed,
    selected: Option<&[String]>,
) -> Result<Vec<DynamicValue<'c>>, ODataError> {
    let row = Row {
        table,
        table_type,
        entity: &node.entity,
    };
    let mut fetched = node.computed.iter();
    let mut out = Vec::with_capacity(computed.properties.len());
    for (c, in_sql) in computed.properties.iter().zip(&computed.in_sql) {
        // Taken in order whether selected or not: one fetched value per SQL property.
        let sql_value = in_sql.as_ref().map(|_| fetched.next());
        if !selected.is_none_or(|names| names.contains(&c.name)) {
            continue;
        }
        let value = match sql_value {
            Some(fetched) => fetched.cloned().unwrap_or(Value::Null),
            None => match eval::evaluate(model, &c.expr, &row) {
                Ok(value) => value,
                // Division by zero, overflow: null, as in the SQL translation.
                Err(e) if e.kind == ErrorKind::BadRequest => Value::Null,
                Err(e) => return Err(e.with_target("$compute")),
            },
        };
        let kind = match c.ty() {
            ExprType::Primitive(p) => Some(TypeKind::Primitive(p)),
            ExprType::Enum(id) => Some(TypeKind::Enum(id)),
            _ => None,
        };
        out.push((c.name.as_str(), kind, value));
    }
    Ok(out)
}

/// A stored row as the evaluator reads it.
pub(crate) struct Row<'a> {
    pub(crate) table: &'a Table,
    pub(crate) table_type: &'a TableType,
    pub(crate) entity: &'a StoredEntity,
}

impl EntityValues for Row<'_> {
    fn entity_type(&self) -> EntityTypeId {
        self.table_type.id
    }

    fn property(&self, name: &str) -> Option<&Value> {
        self.table_type
            .columns
            .iter()
            .find(|&&c| self.table.columns[c].property.name == name)
            .map(|&c| &self.entity.values[c])
    }
}
