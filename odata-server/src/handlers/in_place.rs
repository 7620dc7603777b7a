//! Writing a collection's members straight from the cells of their rows.
//!
//! A plain page (no `$expand`, `$compute` or nested `$select` options; minimal metadata
//! without `@odata.id`) is read as [`RawPage`] and each member written from its cells by a
//! [`PageWriter`]: texts as they are, numbers, enumeration members and durations through
//! values that need no allocation. What to write of a stored type is worked out once per
//! page ([`TypePlan`]). A member of a type with a property of any other kind (a Guid, a
//! Decimal, a complex value…) is decoded and written as every other entity is
//! ([`super::output::write_member`]), so the two paths write the same bytes.

use odata_core::edm::{Model, PrimitiveKind, Property, TypeKind, TypeRef};
use odata_core::error::ODataError;
use odata_core::json::{self, EntityControl, MetadataLevel, PropertyValue, WriteOptions};
use odata_core::value::{Duration, Value};

use super::Request;
use super::output::write_etag;
use crate::error::internal;
use crate::expand::ExpandItem;
use crate::plan::CollectionPlan;
use crate::service::Collection;
use crate::store::raw_page::{CellRef, RawEntity, RawPage};

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

/// Writes the members of one [`RawPage`] from their cells.
pub(super) struct PageWriter<'a> {
    model: &'a Model,
    collection: &'a Collection,
    page: &'a RawPage,
    selected: Option<&'a [String]>,
    options: WriteOptions,
    type_of_every_entity: bool,
    /// The plans of the stored types met so far (a page rarely has more than one).
    plans: Vec<(&'a str, Option<TypePlan<'a>>)>,
    etag: String,
}

/// How the members of one stored type are written: `None` in [`PageWriter::plans`] when
/// one of its written properties is of a kind that is decoded.
struct TypePlan<'a> {
    type_id: odata_core::edm::EntityTypeId,
    omit_type: bool,
    /// The written properties in order, each with the position of its cell in the row.
    members: Vec<(&'a Property, Option<usize>, Kind)>,
}

/// The kinds of value written from a cell.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A write-only property, written as null whatever its type.
    WriteOnly,
    /// Written as stored: an Edm.String, or a DateTimeOffset (stored as sent).
    Text,
    Integer,
    Boolean,
    Enum,
    /// Stored as ticks.
    Duration,
    Double,
}

impl<'a> PageWriter<'a> {
    /// A writer for the rows of `page`, members of `collection`, with the properties
    /// `selected` (all when `None`).
    pub(super) fn new(
        request: &'a Request<'_>,
        collection: &'a Collection,
        page: &'a RawPage,
        selected: Option<&'a [String]>,
        options: WriteOptions,
    ) -> Self {
        Self {
            model: request.state.service.model(),
            collection,
            page,
            selected,
            options,
            type_of_every_entity: request
                .state
                .service
                .control_information()
                .type_of_every_entity,
            plans: Vec::new(),
            etag: String::new(),
        }
    }

    /// Writes `row` as [`super::output::write_member`] writes its decoded entity, when
    /// every property it writes has a cell written in place; `Ok(false)`, having written
    /// nothing, otherwise.
    pub(super) fn write(
        &mut self,
        out: &mut Vec<u8>,
        row: &RawEntity<'a>,
    ) -> Result<bool, ODataError> {
        let type_name = row.type_name().map_err(|e| internal(&e.to_string()))?;
        let at = match self.plans.iter().position(|(name, _)| *name == type_name) {
            Some(at) => at,
            None => {
                let plan = self.plan(type_name)?;
                self.plans.push((type_name, plan));
                self.plans.len() - 1
            }
        };
        let Some(plan) = &self.plans[at].1 else {
            return Ok(false);
        };
        let value = |&(_, position, kind): &(&Property, Option<usize>, Kind)| {
            InPlace::of(kind, position.map_or(CellRef::Null, |p| row.cell(p)))
        };
        if plan.members.iter().any(|member| value(member).is_none()) {
            return Ok(false);
        }
        let version = row.version().map_err(|e| internal(&e.to_string()))?;
        write_etag(&mut self.etag, version);
        let control = EntityControl {
            etag: Some(&self.etag),
            omit_type: plan.omit_type,
            ..EntityControl::default()
        };
        // Every value is in place (checked above).
        let values = plan
            .members
            .iter()
            .map(|member| (member.0, value(member).unwrap_or(InPlace::Null)));
        json::write_entity(
            out,
            self.model,
            plan.type_id,
            values,
            &control,
            self.options,
        );
        Ok(true)
    }

    /// The plan of the stored type `type_name`; `None` when a property it writes is of a
    /// kind written decoded, or it is a media entity type.
    fn plan(&self, type_name: &str) -> Result<Option<TypePlan<'a>>, ODataError> {
        let table_type =
            self.collection.table.table_type(type_name).ok_or_else(|| {
                internal(&format!("stored type '{type_name}' is not in the table"))
            })?;
        let ty = self.model.entity_type(table_type.id);
        if ty.has_stream {
            return Ok(None);
        }
        let selected = self.selected;
        let members = ty
            .properties()
            .zip(&table_type.columns)
            .filter(|(property, _)| selected.is_none_or(|names| names.contains(&property.name)))
            .map(|(property, &column)| {
                Kind::of(property).map(|kind| (property, self.page.position(column), kind))
            })
            .collect::<Option<Vec<_>>>();
        Ok(members.map(|members| TypePlan {
            type_id: table_type.id,
            omit_type: !self.type_of_every_entity && table_type.id == self.collection.entity_type,
            members,
        }))
    }
}

impl Kind {
    /// How the value of `property` is written from its cell; `None` for kinds that are
    /// decoded.
    fn of(property: &Property) -> Option<Self> {
        let t = &property.type_ref;
        if property.is_write_only() {
            return Some(Self::WriteOnly);
        }
        if t.collection {
            return None;
        }
        Some(match t.kind {
            TypeKind::Enum(_) => Self::Enum,
            TypeKind::Primitive(PrimitiveKind::String | PrimitiveKind::DateTimeOffset) => {
                Self::Text
            }
            TypeKind::Primitive(
                PrimitiveKind::Byte
                | PrimitiveKind::SByte
                | PrimitiveKind::Int16
                | PrimitiveKind::Int32
                | PrimitiveKind::Int64,
            ) => Self::Integer,
            TypeKind::Primitive(PrimitiveKind::Boolean) => Self::Boolean,
            TypeKind::Primitive(PrimitiveKind::Duration) => Self::Duration,
            TypeKind::Primitive(PrimitiveKind::Double | PrimitiveKind::Single) => Self::Double,
            _ => return None,
        })
    }
}

/// A property's value read in place.
enum InPlace<'r> {
    Null,
    /// The value of a write-only property (never read).
    WriteOnly,
    /// Text written as it is stored.
    Text(&'r str),
    /// A value that holds no allocation.
    Value(Value),
}

impl<'r> InPlace<'r> {
    /// The value of kind `kind` in `cell`; `None` for a cell not of the class the kind is
    /// stored as.
    fn of(kind: Kind, cell: CellRef<'r>) -> Option<Self> {
        let value = match (kind, cell) {
            (Kind::WriteOnly, _) => return Some(Self::WriteOnly),
            (_, CellRef::Null) => return Some(Self::Null),
            (Kind::Text, CellRef::Text(text)) => return Some(Self::Text(text)),
            (Kind::Enum, CellRef::Integer(i)) => Value::Enum(i),
            (Kind::Integer, CellRef::Integer(i)) => Value::Int(i),
            (Kind::Boolean, CellRef::Integer(i)) => Value::Boolean(i != 0),
            (Kind::Duration, CellRef::Integer(ticks)) => {
                Value::Duration(Duration::from_ticks(ticks))
            }
            (Kind::Double, CellRef::Real(r)) => Value::Double(r),
            (Kind::Double, CellRef::Integer(i)) => Value::Double(i as f64),
            _ => return None,
        };
        Some(Self::Value(value))
    }
}

impl PropertyValue for InPlace<'_> {
    fn is_null(&self) -> bool {
        matches!(self, Self::Null | Self::WriteOnly)
    }

    fn is_write_only(&self, _: &Property) -> bool {
        matches!(self, Self::WriteOnly)
    }

    fn write(&self, out: &mut Vec<u8>, model: &Model, type_ref: &TypeRef, options: WriteOptions) {
        match self {
            Self::Null | Self::WriteOnly => out.extend_from_slice(b"null"),
            Self::Text(text) => json::write_string(out, text),
            Self::Value(value) => json::write_value(out, model, type_ref, value, options),
        }
    }
}
