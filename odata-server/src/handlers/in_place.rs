//! Writing a collection's members straight from the cells of their rows.
//!
//! A plain page (no `$expand`, `$compute` or nested `$select` options; minimal metadata
//! without `@odata.id`) is read with [`crate::store::Store::find_each`], which hands each
//! row to [`PlainMembers`] as it is read, and each member is written from its cells by a
//! [`PageWriter`]: texts as they are, numbers, enumeration members and durations through
//! values that need no allocation. What to write of a stored type is worked out once per
//! page ([`TypePlan`]). A member of a type with a property of any other kind (a Guid, a
//! Decimal, a complex value…) is decoded and written as every other entity is
//! ([`super::output::write_member`]), so the two paths write the same bytes.

use odata_core::edm::{Model, PrimitiveKind, Property, TypeKind, TypeRef};
use odata_core::json::{self, EntityControl, MetadataLevel, PropertyValue, WriteOptions};
use odata_core::value::{Duration, Value};

use super::Request;
use super::output::{annotate_index, write_etag, write_member};
use crate::expand::{ExpandItem, Node};
use crate::plan::CollectionPlan;
use crate::service::Collection;
use crate::sql::SqlParam;
use crate::store::StoreError;
use crate::store::page_row::{CellRef, PageRow, PageSink};

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

/// The members of a plain page, written into the response body as their rows are read.
pub(super) struct PlainMembers<'a, 'r> {
    writer: PageWriter<'a>,
    request: &'a Request<'r>,
    plan: &'a CollectionPlan,
    body: &'a mut Vec<u8>,
    /// Where the first member starts in `body`.
    start: usize,
    /// How many members the page has at most; a row beyond them tells that more follow.
    limit: usize,
    /// The `@odata.index` of the first member, when `$index` asks for them.
    first_index: Option<u64>,
    /// The rows read.
    read: usize,
    /// The sort-term values of the page's last possible member, once read.
    last_keys: Option<Vec<SqlParam>>,
}

impl<'a, 'r> PlainMembers<'a, 'r> {
    /// Writes up to `limit` members of `collection` selected by `plan` after the end of
    /// `body`, `first_index` being the `@odata.index` of the first (when annotated).
    pub(super) fn new(
        request: &'a Request<'r>,
        collection: &'a Collection,
        plan: &'a CollectionPlan,
        options: WriteOptions,
        body: &'a mut Vec<u8>,
        limit: usize,
        first_index: Option<u64>,
    ) -> Self {
        Self {
            writer: PageWriter::new(request, collection, plan.selected.as_deref(), options),
            request,
            plan,
            start: body.len(),
            body,
            limit,
            first_index,
            read: 0,
            last_keys: None,
        }
    }

    /// The rows read (one more than `limit` when more follow), and the sort-term values
    /// of the last member when it was the `limit`th.
    pub(super) fn finish(self) -> (usize, Option<Vec<SqlParam>>) {
        (self.read, self.last_keys)
    }

    fn write(&mut self, row: &PageRow<'_>) -> Result<(), StoreError> {
        let i = self.read;
        if i > 0 {
            self.body.push(b',');
        }
        let item_start = self.body.len();
        if i == 1 {
            // Room for the other members (up to a few dozen), as long as the first.
            let first = item_start - self.start;
            self.body.reserve(first * (self.limit - 1).min(63));
        }
        if !self.writer.write(self.body, row)? {
            let node = Node {
                entity: row.entity()?,
                expansions: Vec::new(),
                computed: Vec::new(),
            };
            let writer = &self.writer;
            write_member(
                self.body,
                self.request,
                writer.collection,
                &node,
                &[],
                self.plan,
                writer.options,
            )
            .map_err(StoreError::Rejected)?;
        }
        if let Some(first) = self.first_index {
            annotate_index(self.body, item_start, first + i as u64);
        }
        Ok(())
    }
}

impl PageSink for PlainMembers<'_, '_> {
    fn row(&mut self, row: &PageRow<'_>) -> Result<(), StoreError> {
        if self.read < self.limit {
            if self.read + 1 == self.limit {
                self.last_keys = Some(row.sort_keys()?);
            }
            self.write(row)?;
        }
        self.read += 1;
        Ok(())
    }

    fn restart(&mut self) {
        self.body.truncate(self.start);
        self.read = 0;
        self.last_keys = None;
    }
}

/// Writes members of a page from their cells.
pub(super) struct PageWriter<'a> {
    model: &'a Model,
    collection: &'a Collection,
    selected: Option<&'a [String]>,
    options: WriteOptions,
    type_of_every_entity: bool,
    /// The plans of the stored types met so far (a page rarely has more than one).
    plans: Vec<(String, Option<TypePlan<'a>>)>,
    etag: String,
}

/// How the members of one stored type are written: `None` in [`PageWriter::plans`] when
/// one of its written properties is of a kind that is decoded.
struct TypePlan<'a> {
    type_id: odata_core::edm::EntityTypeId,
    omit_type: bool,
    /// The written properties in order, each with the position of its cell in the row.
    members: Vec<Member<'a>>,
}

/// A written property, the position of its cell in the row, and how it is written.
type Member<'a> = (&'a Property, Option<usize>, Kind);

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
    /// A writer of members of `collection` with the properties `selected` (all when
    /// `None`), all read by one statement.
    pub(super) fn new(
        request: &'a Request<'_>,
        collection: &'a Collection,
        selected: Option<&'a [String]>,
        options: WriteOptions,
    ) -> Self {
        Self {
            model: request.state.service.model(),
            collection,
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
        row: &PageRow<'_>,
    ) -> Result<bool, StoreError> {
        let type_name = row.type_name()?;
        let at = match self.plans.iter().position(|(name, _)| name == type_name) {
            Some(at) => at,
            None => {
                let plan = self.plan(type_name, row)?;
                self.plans.push((type_name.to_owned(), plan));
                self.plans.len() - 1
            }
        };
        let Some(plan) = &self.plans[at].1 else {
            return Ok(false);
        };
        let version = row.version()?;
        write_etag(&mut self.etag, version);
        let control = EntityControl {
            etag: Some(&self.etag),
            omit_type: plan.omit_type,
            ..EntityControl::default()
        };
        // Each cell is read once, as it is written; a cell not of its kind's class (or
        // unreadable) voids what was written of the member.
        let start = out.len();
        let mut out_of_place = None;
        let values = plan.members.iter().map(|&(property, position, kind)| {
            let cell = position.map_or(Ok(CellRef::Null), |p| row.cell(p));
            let value = match cell.map(|cell| InPlace::of(kind, cell)) {
                Ok(Some(value)) => value,
                Ok(None) => {
                    out_of_place.get_or_insert(Ok(()));
                    InPlace::Null
                }
                Err(e) => {
                    out_of_place.get_or_insert(Err(e));
                    InPlace::Null
                }
            };
            (property, value)
        });
        json::write_entity(
            out,
            self.model,
            plan.type_id,
            values,
            &control,
            self.options,
        );
        if let Some(outcome) = out_of_place {
            out.truncate(start);
            outcome?;
            return Ok(false);
        }
        Ok(true)
    }

    /// The plan of the stored type `type_name`; `None` when a property it writes is of a
    /// kind written decoded, or it is a media entity type.
    fn plan(&self, type_name: &str, row: &PageRow<'_>) -> Result<Option<TypePlan<'a>>, StoreError> {
        let table_type =
            self.collection
                .table
                .table_type(type_name)
                .ok_or_else(|| StoreError::Corrupt {
                    column: "_type".into(),
                    reason: format!("stored type '{type_name}' is not in the table"),
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
                Kind::of(property).map(|kind| (property, row.position(column), kind))
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
