//! How an entity-type hierarchy maps onto one table.
//!
//! One row per entity; system columns `_tenant`, `_type` (qualified concrete type) and
//! `_version` (ETag source); one column per structural property of the type and all its
//! subtypes, named as the property. Edm.DateTimeOffset adds `<name>__utc` (100 ns ticks since
//! the Unix epoch) next to the text kept as sent, so ordering and comparison are
//! chronological. Durations and times of day are stored as ticks, enums as their numeric
//! value, complex and collection values as JSON text, binary values as bytes, decimals as
//! their canonical text (exact; see `sql::translate` for how they are compared), spatial
//! values as their GeoJSON text (`{"type":"Point","coordinates":[x,y]}`, the form the JSON
//! payloads use, which both databases can take apart with their JSON functions).
//!
//! Streams are stored with their entity, two columns each ([`StreamColumns`]): the media
//! stream of a media entity type (`HasStream`) in `_media` (BLOB / BYTEA) with its media
//! type in `_media_type` (TEXT), and each stream property (`Edm.Stream`) `P` in `P` with
//! `P__type`. Null bytes are a stream never written (empty). The byte columns are outside
//! [`Table::columns`], so reading entities never loads them; the media type columns are
//! columns that no type of the hierarchy lists, like reference columns.
//!
//! This module says which columns a table has and what kind of value each holds
//! ([`Table::stored_columns`]); the SQL type of each kind, per database, is
//! [`column_type`](crate::sql::schema::column_type), and the DDL and the start-up schema
//! check are derived from both.

use odata_core::edm::{EntityTypeId, Model, PrimitiveKind, Property, TypeKind, TypeRef};
use std::sync::OnceLock;

/// How a property's value is laid out in columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// TEXT: strings, GUIDs, dates, decimals (their canonical decimal text, exact), spatial
    /// values as GeoJSON.
    Text,
    /// INTEGER: booleans, integers, enums, durations and times of day in ticks.
    Integer,
    /// REAL.
    Real,
    /// TEXT holding JSON: complex and collection values.
    Json,
    /// TEXT as sent plus INTEGER `__utc` ticks.
    DateTimeOffset,
    /// BLOB / BYTEA: the bytes of an Edm.Binary or of a stream.
    Blob,
}

impl ColumnKind {
    /// The layout of a property of type `type_ref`.
    pub fn of(type_ref: &TypeRef) -> Self {
        if type_ref.collection {
            return ColumnKind::Json;
        }
        match type_ref.kind {
            TypeKind::Primitive(p) => match p {
                PrimitiveKind::String
                | PrimitiveKind::Guid
                | PrimitiveKind::Date
                | PrimitiveKind::Decimal
                | PrimitiveKind::GeographyPoint
                | PrimitiveKind::GeographyLineString
                | PrimitiveKind::GeographyPolygon
                | PrimitiveKind::GeometryPoint
                | PrimitiveKind::GeometryLineString
                | PrimitiveKind::GeometryPolygon => ColumnKind::Text,
                PrimitiveKind::Binary => ColumnKind::Blob,
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
}

/// The system columns every table starts with: tenant, qualified concrete type, version.
pub const SYSTEM_COLUMNS: [(&str, ColumnKind); 3] = [
    ("_tenant", ColumnKind::Text),
    ("_type", ColumnKind::Text),
    ("_version", ColumnKind::Integer),
];

/// The system column of a table kept in insertion order ([`Table::insertion_order`]): a
/// number that grows with every insert (SQLite: one more than the largest so far, inside
/// the single writer's transaction; PostgreSQL: an identity column's default), so sorting
/// by it lists entities in the order they were created, and a replaced entity keeps its
/// place.
pub const SEQUENCE_COLUMN: &str = "_seq";

/// The column of a contained collection's table that holds its parent entity's key.
pub const PARENT_COLUMN: &str = "_parent";

/// The column holding the bytes of a media entity's stream.
pub const MEDIA_COLUMN: &str = "_media";

/// The column holding the media type of a media entity's stream.
pub const MEDIA_TYPE_COLUMN: &str = "_media_type";

/// The name of the column holding the media type of stream property `property`.
pub fn stream_type_column(property: &str) -> String {
    format!("{property}__type")
}

/// The name of the UTC-ticks companion column of DateTimeOffset property `property`.
pub fn utc_column(property: &str) -> String {
    format!("{property}__utc")
}

/// The name of the column holding the key of the entity a single-valued navigation
/// property leads to.
pub fn reference_column(navigation: &str) -> String {
    format!("{navigation}__id")
}

/// One column as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredColumn {
    /// Column name.
    pub name: String,
    /// What it holds; a `__utc` companion is [`ColumnKind::Integer`].
    pub kind: ColumnKind,
    /// Part of the primary key (`_tenant` and the key properties).
    pub key: bool,
}

/// One property's storage.
#[derive(Debug, Clone)]
pub struct Column {
    /// The property (as declared on whichever type of the hierarchy declares it); for a
    /// reference column, a property named after the column and typed like the related
    /// entity's key, which is not a property of the model.
    pub property: Property,
    /// Column layout.
    pub kind: ColumnKind,
    /// The single-valued navigation property whose related entity's key the column holds
    /// (see [`Table::add_reference`]); `None` for a structural property.
    pub reference: Option<String>,
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

/// The columns of one stream stored with its entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamColumns {
    /// The stream property; `None` for the media stream of a media entity.
    pub property: Option<String>,
    /// The BLOB column holding the bytes (null: never written). Not in [`Table::columns`].
    pub content: String,
    /// Index into [`Table::columns`] of the TEXT column holding the media type.
    pub media_type: usize,
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
    /// The streams of the hierarchy's entities: the media stream first (for a media entity
    /// type), then each stream property.
    pub streams: Vec<StreamColumns>,
    /// The integer property (index into `columns`) that mirrors the entity's version, the
    /// source of its ETag: set to 1 on insert and to the new version on every write.
    pub version: Option<usize>,
    /// DateTimeOffset properties (indexes into `columns`) stamped with the time an entity
    /// is created, in whole seconds, when the create leaves them out; computed ones are
    /// then kept by every update.
    pub creation_timestamps: Vec<usize>,
    /// The string property (index into `columns`) that names each entity's concrete type
    /// (its unqualified name): set on create, never changed.
    pub type_property: Option<usize>,
    /// Whether the entities' default order is the order they were created in (kept in the
    /// [`SEQUENCE_COLUMN`]) rather than their key order.
    pub insertion_order: bool,
    /// Every write to an entity of the table is recorded in the change log
    /// ([`crate::store::changes`]): its collection tracks changes.
    pub track_changes: bool,
    /// DateTimeOffset properties (indexes into `columns`) whose entities the store counts
    /// per tenant and day ([`crate::sql::range_count`]).
    pub range_counts: Vec<usize>,
    /// String properties (indexes into `columns`) with a trigram index
    /// ([`crate::sql::trigram`]).
    pub trigram_indexes: Vec<usize>,
    /// The texts of its hottest SQLite statements, rendered at their first use.
    pub(crate) sqlite_texts: SqliteTexts,
}

/// SQLite statement texts that depend on the table alone: SQLite's placeholders are all
/// `?`, whatever the values (see `crate::sql::statement::sqlite_insert`). Filled when a
/// service runs, after its tables are set up.
#[derive(Debug, Clone, Default)]
pub(crate) struct SqliteTexts {
    /// Its INSERT of a new entity.
    pub(crate) insert: OnceLock<String>,
    /// The DELETE of an entity by key at version 1 (undoing a create).
    pub(crate) delete_created: OnceLock<String>,
}

impl Table {
    /// Derives the mapping of `entity_type` and its subtypes onto table `name`.
    pub fn new(model: &Model, entity_type: EntityTypeId, name: String) -> Self {
        let mut columns: Vec<Column> = Vec::new();
        for ty in model.entity_type_and_subtypes(entity_type) {
            for property in model.entity_type(ty).properties() {
                if columns.iter().all(|c| c.property.name != property.name) {
                    columns.push(Column {
                        kind: ColumnKind::of(&property.type_ref),
                        property: property.clone(),
                        reference: None,
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
        let mut table = Self {
            name,
            columns,
            key,
            types,
            streams: Vec::new(),
            version: None,
            creation_timestamps: Vec::new(),
            type_property: None,
            insertion_order: false,
            track_changes: false,
            range_counts: Vec::new(),
            trigram_indexes: Vec::new(),
            sqlite_texts: SqliteTexts::default(),
        };
        let hierarchy = model.entity_type_and_subtypes(entity_type);
        if hierarchy.iter().any(|&t| model.entity_type(t).has_stream) {
            table.add_stream(None, MEDIA_COLUMN.to_owned(), MEDIA_TYPE_COLUMN.to_owned());
        }
        for ty in hierarchy {
            for stream in model.entity_type(ty).stream_properties() {
                if table.stream(Some(&stream.name)).is_none() {
                    table.add_stream(
                        Some(stream.name.clone()),
                        stream.name.clone(),
                        stream_type_column(&stream.name),
                    );
                }
            }
        }
        table
    }

    fn add_stream(&mut self, property: Option<String>, content: String, media_type: String) {
        self.columns.push(Column {
            kind: ColumnKind::Text,
            property: Property::new(
                media_type,
                TypeRef::of(TypeKind::Primitive(PrimitiveKind::String)),
            ),
            reference: None,
        });
        self.streams.push(StreamColumns {
            property,
            content,
            media_type: self.columns.len() - 1,
        });
    }

    /// The stream property `name`'s columns, or with `None` the media stream's.
    pub fn stream(&self, name: Option<&str>) -> Option<&StreamColumns> {
        self.streams.iter().find(|s| s.property.as_deref() == name)
    }

    /// Whether column `index` holds the media type of a stream.
    pub fn is_stream_type_column(&self, index: usize) -> bool {
        self.streams.iter().any(|s| s.media_type == index)
    }

    /// Adds the column `{navigation}__id` holding the key of the entity the single-valued
    /// navigation property leads to, typed like that entity's key property `key`, and
    /// returns its index. Reference columns are not properties: no type of the hierarchy
    /// lists them, so payloads and queries never see them, and writes keep their value
    /// unless a request changes the link.
    pub fn add_reference(&mut self, navigation: &str, key: &Property) -> usize {
        let mut type_ref = key.type_ref.clone();
        type_ref.nullable = true;
        self.columns.push(Column {
            kind: ColumnKind::of(&type_ref),
            property: Property::new(reference_column(navigation), type_ref),
            reference: Some(navigation.to_owned()),
        });
        self.columns.len() - 1
    }

    /// Adds the column `_parent` holding the key of the entity whose contained collection
    /// the table stores, typed like that entity's key property `key`, and returns its
    /// index. Like a reference column it is not a property.
    pub fn add_parent(&mut self, key: &Property) -> usize {
        self.columns.push(Column {
            kind: ColumnKind::of(&key.type_ref),
            property: Property::new(PARENT_COLUMN, key.type_ref.clone()),
            reference: None,
        });
        self.columns.len() - 1
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

    /// Every column the table must have, in order: the system columns, then each
    /// property's column (followed by its `__utc` companion for a DateTimeOffset).
    pub fn stored_columns(&self) -> Vec<StoredColumn> {
        let mut out: Vec<StoredColumn> = SYSTEM_COLUMNS
            .iter()
            .map(|&(name, kind)| StoredColumn {
                name: name.to_owned(),
                kind,
                key: name == "_tenant",
            })
            .collect();
        if self.insertion_order {
            out.push(StoredColumn {
                name: SEQUENCE_COLUMN.to_owned(),
                kind: ColumnKind::Integer,
                key: false,
            });
        }
        for (i, c) in self.columns.iter().enumerate() {
            out.push(StoredColumn {
                name: c.property.name.clone(),
                kind: c.kind,
                key: self.key.contains(&i),
            });
            if c.kind == ColumnKind::DateTimeOffset {
                out.push(StoredColumn {
                    name: utc_column(&c.property.name),
                    kind: ColumnKind::Integer,
                    key: false,
                });
            }
        }
        out.extend(self.streams.iter().map(|s| StoredColumn {
            name: s.content.clone(),
            kind: ColumnKind::Blob,
            key: false,
        }));
        out
    }
}

/// A double-quoted SQL identifier. Names come from the model, never from requests; quotes
/// are doubled anyway.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
