//! How an entity-type hierarchy maps onto one table.
//!
//! One row per entity; system columns `_tenant`, `_type` (qualified concrete type) and
//! `_version` (ETag source); one column per structural property of the type and all its
//! subtypes, named as the property. Edm.DateTimeOffset adds `<name>__utc` (100 ns ticks since
//! the Unix epoch) next to the text kept as sent, so ordering and comparison are
//! chronological. Durations and times of day are stored as ticks, enums as their numeric
//! value, complex and collection values as JSON text.

use odata_core::edm::{EntityTypeId, Model, PrimitiveKind, Property, TypeKind};

/// How a property's value is laid out in columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// TEXT: strings, GUIDs, dates, decimals.
    Text,
    /// INTEGER: booleans, integers, enums, durations and times of day in ticks.
    Integer,
    /// REAL.
    Real,
    /// TEXT holding JSON: complex and collection values.
    Json,
    /// TEXT as sent plus INTEGER `__utc` ticks.
    DateTimeOffset,
}

/// One property's storage.
#[derive(Debug, Clone)]
pub struct Column {
    /// The property (as declared on whichever type of the hierarchy declares it).
    pub property: Property,
    /// Column layout.
    pub kind: ColumnKind,
}

/// One type of a table's hierarchy.
#[derive(Debug, Clone)]
pub struct TableType {
    /// The entity type.
    pub id: EntityTypeId,
    /// Its qualified name, as stored in `_type`.
    pub name: String,
    /// Indexes into `Table::columns` of its properties, in property order.
    pub columns: Vec<usize>,
}

/// The table of one collection.
#[derive(Debug, Clone)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Columns for every property of the hierarchy, base type's first.
    pub columns: Vec<Column>,
    /// Indexes into `columns` of the key properties.
    pub key: Vec<usize>,
    /// Every concrete or abstract type of the hierarchy with the columns of its properties,
    /// in the type's property order.
    pub types: Vec<TableType>,
    /// `"_type","_version","a","b",...` — the select list shared by every read.
    pub(crate) select_list: String,
    /// Property column names in order, `__utc` companions included, for INSERT and UPDATE.
    pub(crate) write_columns: Vec<String>,
}

impl Table {
    /// Derives the mapping of `entity_type` and its subtypes onto table `name`.
    pub fn new(model: &Model, entity_type: EntityTypeId, name: String) -> Self {
        let mut columns: Vec<Column> = Vec::new();
        for ty in model.entity_type_and_subtypes(entity_type) {
            for property in model.entity_type(ty).properties() {
                if columns.iter().all(|c| c.property.name != property.name) {
                    columns.push(Column {
                        kind: column_kind(property),
                        property: property.clone(),
                    });
                }
            }
        }
        let key = model
            .entity_type(entity_type)
            .key
            .iter()
            .filter_map(|k| columns.iter().position(|c| &c.property.name == k))
            .collect();
        let mut select_list = String::from("\"_type\",\"_version\"");
        for c in &columns {
            select_list.push(',');
            select_list.push_str(&quote(&c.property.name));
        }
        let types = model
            .entity_type_and_subtypes(entity_type)
            .into_iter()
            .map(|id| {
                let ty = model.entity_type(id);
                TableType {
                    id,
                    name: ty.qualified_name.clone(),
                    columns: ty
                        .properties()
                        .filter_map(|p| columns.iter().position(|c| c.property.name == p.name))
                        .collect(),
                }
            })
            .collect();
        let mut write_columns = Vec::new();
        for c in &columns {
            write_columns.push(quote(&c.property.name));
            if c.kind == ColumnKind::DateTimeOffset {
                write_columns.push(quote(&format!("{}__utc", c.property.name)));
            }
        }
        Self {
            name,
            columns,
            key,
            types,
            select_list,
            write_columns,
        }
    }

    /// The hierarchy member stored under `name` in `_type`.
    pub fn table_type(&self, name: &str) -> Option<&TableType> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The hierarchy member with this id.
    pub fn table_type_by_id(&self, id: EntityTypeId) -> Option<&TableType> {
        self.types.iter().find(|t| t.id == id)
    }

    /// Position of a property's column.
    pub fn column_index(&self, property: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.property.name == property)
    }
}

fn column_kind(property: &Property) -> ColumnKind {
    let t = &property.type_ref;
    if t.collection {
        return ColumnKind::Json;
    }
    match t.kind {
        TypeKind::Primitive(p) => match p {
            PrimitiveKind::String
            | PrimitiveKind::Guid
            | PrimitiveKind::Date
            | PrimitiveKind::Decimal
            | PrimitiveKind::Binary => ColumnKind::Text,
            PrimitiveKind::Boolean
            | PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64
            | PrimitiveKind::Duration
            | PrimitiveKind::TimeOfDay => ColumnKind::Integer,
            PrimitiveKind::Double | PrimitiveKind::Single => ColumnKind::Real,
            PrimitiveKind::DateTimeOffset => ColumnKind::DateTimeOffset,
        },
        TypeKind::Enum(_) => ColumnKind::Integer,
        TypeKind::Complex(_) | TypeKind::Entity(_) => ColumnKind::Json,
    }
}

/// A double-quoted SQL identifier. Names come from the model, never from requests; quotes
/// are doubled anyway.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
