//! The table of a many-to-many navigation: one row per link between two entities.
//!
//! A collection-valued navigation property bound with
//! [`CollectionDef::many`](crate::service::CollectionDef::many) keeps its links in a table
//! of their own, with the columns
//!
//! | column    | holds                                             |
//! |-----------|---------------------------------------------------|
//! | `_tenant` | the tenant of both entities                       |
//! | `source`  | the key of the entity the navigation starts from  |
//! | `target`  | the key of the related entity                     |
//!
//! `source` and `target` are typed like the (single-property) keys they hold, and the
//! primary key is (`_tenant`, `source`, `target`): a link exists once, which is what makes
//! adding an existing link a no-op. For example, on SQLite:
//!
//! ```sql
//! CREATE TABLE "ProductRelations" (
//!     "_tenant" TEXT NOT NULL DEFAULT '',
//!     "source" TEXT NOT NULL,
//!     "target" TEXT NOT NULL,
//!     PRIMARY KEY ("_tenant", "source", "target")
//! );
//! ```
//!
//! The rows are not entities: they have no `_type` or `_version`, and adding or removing a
//! link changes neither entity's version.

use odata_core::edm::Property;

use super::table::{Column, ColumnKind, StoredColumn, Table};

/// The column of a link table holding the key of the navigation's source entity.
pub const SOURCE_COLUMN: &str = "source";

/// The column of a link table holding the key of the related entity.
pub const TARGET_COLUMN: &str = "target";

/// A link table (see the module documentation), described as a [`Table`] of two columns,
/// `source` (index [`LinkTable::SOURCE`]) and `target` (index [`LinkTable::TARGET`]), so
/// the statements over tables apply to it.
#[derive(Debug, Clone)]
pub struct LinkTable {
    /// The table: its name, the `source` and `target` columns, both its key.
    pub table: Table,
}

impl PartialEq for LinkTable {
    fn eq(&self, other: &Self) -> bool {
        self.table.name == other.table.name
    }
}

impl Eq for LinkTable {}

impl LinkTable {
    /// Index of the `source` column in `table.columns`.
    pub const SOURCE: usize = 0;
    /// Index of the `target` column in `table.columns`.
    pub const TARGET: usize = 1;

    /// The link table `name` between entities whose keys are `source_key` and
    /// `target_key`.
    pub fn new(name: String, source_key: &Property, target_key: &Property) -> Self {
        let column = |name: &str, key: &Property| {
            let mut type_ref = key.type_ref.clone();
            type_ref.nullable = false;
            Column {
                kind: ColumnKind::of(&type_ref),
                property: Property::new(name, type_ref),
                reference: None,
            }
        };
        Self {
            table: Table {
                name,
                columns: vec![
                    column(SOURCE_COLUMN, source_key),
                    column(TARGET_COLUMN, target_key),
                ],
                key: vec![Self::SOURCE, Self::TARGET],
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
            },
        }
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.table.name
    }

    /// Every column the table must have: `_tenant`, `source`, `target`, all in the
    /// primary key.
    pub fn stored_columns(&self) -> Vec<StoredColumn> {
        let mut out = vec![StoredColumn {
            name: "_tenant".to_owned(),
            kind: ColumnKind::Text,
            key: true,
        }];
        out.extend(self.table.columns.iter().map(|c| StoredColumn {
            name: c.property.name.clone(),
            kind: c.kind,
            key: true,
        }));
        out
    }
}
