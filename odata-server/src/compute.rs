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
//! Expressions reading through navigation properties are 501: the row read holds no
//! related entity to evaluate them on.

use odata_core::bind::{self, BindContext, ComputedProperty, ExprType};
use odata_core::edm::{EntityTypeId, Model, TypeKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::eval::{self, EntityValues};
use odata_core::query::QueryOptions;
use odata_core::value::Value;

use crate::service::{Collection, Service};
use crate::store::StoredEntity;
use crate::store::table::{Table, TableType};

/// Binds the request's `$compute` (none: empty) against `collection`.
pub fn bind(
    service: &Service,
    collection: &Collection,
    ctx: &BindContext<'_>,
    options: &QueryOptions,
) -> Result<Vec<ComputedProperty>, ODataError> {
    let Some(compute) = &options.compute else {
        return Ok(Vec::new());
    };
    let computed = bind::bind_compute(ctx, compute)?;
    let model = service.model();
    let types = model.entity_type_and_subtypes(collection.entity_type);
    for property in computed.iter().flat_map(|c| c.expr.properties()) {
        let through_navigation = property.variable.is_none()
            && property.path.first().is_some_and(|first| {
                types
                    .iter()
                    .any(|&t| model.entity_type(t).navigation_property(first).is_some())
            });
        if through_navigation {
            return Err(ODataError::new(
                ErrorKind::NotImplemented,
                format!(
                    "$compute: expressions reading navigation properties ('{}') are not \
                     supported",
                    property.path.join("/")
                ),
            )
            .with_target("$compute"));
        }
    }
    Ok(computed)
}

/// The columns of `table` the computed expressions read.
pub fn columns(table: &Table, computed: &[ComputedProperty]) -> Vec<usize> {
    let mut out = Vec::new();
    for property in computed.iter().flat_map(|c| c.expr.properties()) {
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

/// The computed properties of `entity` to write (those `selected` names, all without a
/// `$select`), in `$compute` order: name, type (`None` for an untyped null) and value.
pub(crate) fn values<'c>(
    model: &Model,
    table: &Table,
    table_type: &TableType,
    entity: &StoredEntity,
    computed: &'c [ComputedProperty],
    selected: Option<&[String]>,
) -> Result<Vec<DynamicValue<'c>>, ODataError> {
    let row = Row {
        table,
        table_type,
        entity,
    };
    computed
        .iter()
        .filter(|c| selected.is_none_or(|names| names.contains(&c.name)))
        .map(|c| {
            let value = match eval::evaluate(model, &c.expr, &row) {
                Ok(value) => value,
                // Division by zero, overflow: null, as in the SQL translation.
                Err(e) if e.kind == ErrorKind::BadRequest => Value::Null,
                Err(e) => return Err(e.with_target("$compute")),
            };
            let kind = match c.ty() {
                ExprType::Primitive(p) => Some(TypeKind::Primitive(p)),
                ExprType::Enum(id) => Some(TypeKind::Enum(id)),
                _ => None,
            };
            Ok((c.name.as_str(), kind, value))
        })
        .collect()
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
