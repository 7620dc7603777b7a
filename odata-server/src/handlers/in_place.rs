//! Writing a collection's members straight from the cells of their rows.
//!
//! A plain page (no `$expand`, `$compute` or nested `$select` options; minimal metadata
//! without `@odata.id`) is read as [`RawPage`] and each member written from its cells
//! ([`write_raw`]): texts as they are, numbers, enumeration members and durations through
//! values that need no allocation. A member with a property of any other kind (a Guid, a
//! Decimal, a complex value…) is decoded and written as every other entity is
//! ([`super::output::write_member`]), so the two paths write the same bytes.

use odata_core::edm::{Model, PrimitiveKind, Property, TypeKind, TypeRef};
use odata_core::error::ODataError;
use odata_core::json::{self, EntityControl, MetadataLevel, PropertyValue, WriteOptions};
use odata_core::value::{Duration, Value};

use super::Request;
use crate::error::internal;
use crate::expand::ExpandItem;
use crate::plan::CollectionPlan;
use crate::service::Collection;
use crate::store::raw_page::{CellRef, RawEntity};

/// Whether the members of a page read with `plan` and `expand` can be written from their
/// cells: nothing is written of them but their own properties and minimal control
/// information.
pub(super) fn applies(
    request: &Request<'_>,
    plan: &CollectionPlan,
    expand: &[ExpandItem<'_>],
    options: WriteOptions,
) -> bool {
    expand.is_empty()
        && plan.computed.is_empty()
        && plan.select_options.is_empty()
        && options.metadata != MetadataLevel::Full
        && !request
            .state
            .service
            .control_information()
            .id_of_every_entity
}

/// Writes `row` as [`super::output::write_member`] writes its decoded entity, when every
/// property it writes has a cell written in place ([`InPlace::of`]); `Ok(false)`, having
/// written nothing, otherwise.
pub(super) fn write_raw(
    out: &mut Vec<u8>,
    request: &Request<'_>,
    collection: &Collection,
    row: &RawEntity<'_>,
    selected: Option<&[String]>,
    options: WriteOptions,
) -> Result<bool, ODataError> {
    let model = request.state.service.model();
    let type_name = row.type_name().map_err(|e| internal(&e.to_string()))?;
    let table_type = collection
        .table
        .table_type(type_name)
        .ok_or_else(|| internal(&format!("stored type '{type_name}' is not in the table")))?;
    let ty = model.entity_type(table_type.id);
    if ty.has_stream {
        return Ok(false);
    }
    let properties = || {
        ty.properties()
            .zip(&table_type.columns)
            .filter(|(property, _)| selected.is_none_or(|names| names.contains(&property.name)))
            .map(|(property, &column)| (property, InPlace::of(property, row.column(column))))
    };
    if properties().any(|(_, value)| value.is_none()) {
        return Ok(false);
    }
    let version = row.version().map_err(|e| internal(&e.to_string()))?;
    let etag = format!("W/\"{version}\"");
    let written = request.state.service.control_information();
    let control = EntityControl {
        etag: Some(&etag),
        omit_type: !written.type_of_every_entity && table_type.id == collection.entity_type,
        ..EntityControl::default()
    };
    // Every value is in place (checked above).
    let values = properties().map(|(property, value)| (property, value.unwrap_or(InPlace::Null)));
    json::write_entity(out, model, table_type.id, values, &control, options);
    Ok(true)
}

/// A property's value read in place.
enum InPlace<'r> {
    Null,
    /// Text written as it is stored: an Edm.String, or a DateTimeOffset (stored as sent).
    Text(&'r str),
    /// A value that holds no allocation.
    Value(Value),
}

impl<'r> InPlace<'r> {
    /// The value of `property` in `cell`, if it is written in place; `None` for kinds that
    /// are decoded (and for a cell not of the class the kind is stored as).
    fn of(property: &Property, cell: CellRef<'r>) -> Option<Self> {
        let t = &property.type_ref;
        if let CellRef::Null = cell {
            return Some(Self::Null);
        }
        if t.collection {
            return None;
        }
        let value = match (t.kind, cell) {
            (TypeKind::Enum(_), CellRef::Integer(i)) => Value::Enum(i),
            (TypeKind::Primitive(kind), cell) => match (kind, cell) {
                (PrimitiveKind::String | PrimitiveKind::DateTimeOffset, CellRef::Text(text)) => {
                    return Some(Self::Text(text));
                }
                (
                    PrimitiveKind::Byte
                    | PrimitiveKind::SByte
                    | PrimitiveKind::Int16
                    | PrimitiveKind::Int32
                    | PrimitiveKind::Int64,
                    CellRef::Integer(i),
                ) => Value::Int(i),
                (PrimitiveKind::Boolean, CellRef::Integer(i)) => Value::Boolean(i != 0),
                (PrimitiveKind::Duration, CellRef::Integer(ticks)) => {
                    Value::Duration(Duration::from_ticks(ticks))
                }
                (PrimitiveKind::Double | PrimitiveKind::Single, CellRef::Real(r)) => {
                    Value::Double(r)
                }
                (PrimitiveKind::Double | PrimitiveKind::Single, CellRef::Integer(i)) => {
                    Value::Double(i as f64)
                }
                _ => return None,
            },
            _ => return None,
        };
        Some(Self::Value(value))
    }
}

impl PropertyValue for InPlace<'_> {
    fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    fn write(&self, out: &mut Vec<u8>, model: &Model, type_ref: &TypeRef, options: WriteOptions) {
        match self {
            Self::Null => out.extend_from_slice(b"null"),
            Self::Text(text) => json::write_string(out, text),
            Self::Value(value) => json::write_value(out, model, type_ref, value, options),
        }
    }
}
