//! The table mapping (`crate::store::table`) as SQL: the one column-type mapping per
//! database ([`column_type`]), the DDL derived from it ([`create_table`]), and the start-up
//! comparison of a live table with it ([`check_columns`]).
//!
//! The migrations are written by hand; nothing but this comparison ties them to the
//! mapping, so a missing or mistyped column stops the service at start-up instead of
//! failing the first request that touches it.

use crate::store::link_table::LinkTable;
use crate::store::table::{ColumnKind, StoredColumn, Table, quote};

/// A database the mapping is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite 3.38+.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The SQL type of a column of `kind`: for a DateTimeOffset, of the column keeping the text
/// as sent (its `__utc` companion is [`ColumnKind::Integer`]).
///
/// | kind           | SQLite  | PostgreSQL                                  |
/// |----------------|---------|---------------------------------------------|
/// | Text           | TEXT    | TEXT                                        |
/// | Integer        | INTEGER | BIGINT                                      |
/// | Real           | REAL    | DOUBLE PRECISION                            |
/// | Json           | TEXT    | TEXT (kept as sent, cast to jsonb to query) |
/// | DateTimeOffset | TEXT    | TEXT                                        |
/// | Blob           | BLOB    | BYTEA                                       |
pub fn column_type(kind: ColumnKind, backend: Backend) -> &'static str {
    match (kind, backend) {
        (ColumnKind::Text | ColumnKind::Json | ColumnKind::DateTimeOffset, _) => "TEXT",
        (ColumnKind::Integer, Backend::Sqlite) => "INTEGER",
        (ColumnKind::Integer, Backend::Postgres) => "BIGINT",
        (ColumnKind::Real, Backend::Sqlite) => "REAL",
        (ColumnKind::Real, Backend::Postgres) => "DOUBLE PRECISION",
        (ColumnKind::Blob, Backend::Sqlite) => "BLOB",
        (ColumnKind::Blob, Backend::Postgres) => "BYTEA",
    }
}

/// `CREATE TABLE` for `table` per the mapping: every column of
/// [`Table::stored_columns`] with its [`column_type`], key columns and the system columns
/// NOT NULL, primary key (`_tenant`, key properties…). PostgreSQL text columns use the
/// `"C"` collation, so they compare and sort by code point as SQLite's default does.
pub fn create_table(table: &Table, backend: Backend) -> String {
    let columns = table.stored_columns();
    let mut defs: Vec<String> = columns
        .iter()
        .map(|c| column_definition(c, backend))
        .collect();
    let key: Vec<String> = columns
        .iter()
        .filter(|c| c.key)
        .map(|c| quote(&c.name))
        .collect();
    defs.push(format!("PRIMARY KEY ({})", key.join(", ")));
    format!("CREATE TABLE {} ({})", quote(&table.name), defs.join(", "))
}

fn column_definition(column: &StoredColumn, backend: Backend) -> String {
    let ty = column_type(column.kind, backend);
    let mut def = format!("{} {ty}", quote(&column.name));
    if backend == Backend::Postgres && ty == "TEXT" {
        def.push_str(" COLLATE \"C\"");
    }
    match column.name.as_str() {
        "_tenant" => def.push_str(" NOT NULL DEFAULT ''"),
        "_version" => def.push_str(" NOT NULL DEFAULT 1"),
        "_type" => def.push_str(" NOT NULL"),
        _ if column.key => def.push_str(" NOT NULL"),
        _ => {}
    }
    def
}

/// A query listing the columns of one table as rows (name, declared type), the table name
/// its only parameter. A table that does not exist has no rows.
pub fn live_columns_query(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SELECT \"name\", \"type\" FROM pragma_table_info(?)",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    }
}

/// How a live table differs from the mapping.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaMismatch {
    /// The table does not exist.
    #[error("table \"{table}\" does not exist")]
    MissingTable {
        /// Table name.
        table: String,
    },
    /// A column of the mapping is missing.
    #[error("table \"{table}\" has no column \"{column}\" (expected {expected})")]
    MissingColumn {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// The column's type per the mapping.
        expected: &'static str,
    },
    /// A column is declared with another type than the mapping's.
    #[error("table \"{table}\", column \"{column}\": expected {expected}, found {found}")]
    WrongType {
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// The column's type per the mapping.
        expected: &'static str,
        /// The declared type (empty when the column has none).
        found: String,
    },
}

/// Why the database does not fit the table mapping.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Tables or columns differ from the mapping (every difference found).
    #[error("the database schema does not match the table mapping: {}", list(.0))]
    Mismatch(Vec<SchemaMismatch>),
    /// Reading a table's columns failed.
    #[error("reading the columns of table \"{table}\": {source}")]
    Read {
        /// Table name.
        table: String,
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
}

fn list(mismatches: &[SchemaMismatch]) -> String {
    mismatches
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compares the live columns of `table` (name, declared type; as read with
/// [`live_columns_query`]) with the mapping. Names must match exactly (PostgreSQL's quoted
/// identifiers are case-sensitive); types match ignoring ASCII case. Columns the mapping
/// does not know (`_parent`, navigation ids) are allowed.
pub fn check_columns(
    table: &Table,
    backend: Backend,
    live: &[(String, String)],
) -> Vec<SchemaMismatch> {
    check_stored(&table.name, table.stored_columns(), backend, live)
}

/// [`check_columns`] for the link table of a many-to-many navigation: it must have
/// `_tenant`, `source` and `target`, typed per the mapping.
pub fn check_link_columns(
    link: &LinkTable,
    backend: Backend,
    live: &[(String, String)],
) -> Vec<SchemaMismatch> {
    check_stored(link.name(), link.stored_columns(), backend, live)
}

/// `CREATE TABLE` for a link table: `_tenant`, `source` and `target`, the three the
/// primary key.
pub fn create_link_table(link: &LinkTable, backend: Backend) -> String {
    let columns = link.stored_columns();
    let mut defs: Vec<String> = columns
        .iter()
        .map(|c| column_definition(c, backend))
        .collect();
    let key: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
    defs.push(format!("PRIMARY KEY ({})", key.join(", ")));
    format!("CREATE TABLE {} ({})", quote(link.name()), defs.join(", "))
}

fn check_stored(
    name: &str,
    columns: Vec<StoredColumn>,
    backend: Backend,
    live: &[(String, String)],
) -> Vec<SchemaMismatch> {
    if live.is_empty() {
        return vec![SchemaMismatch::MissingTable {
            table: name.to_owned(),
        }];
    }
    columns
        .into_iter()
        .filter_map(|c| {
            let expected = column_type(c.kind, backend);
            match live.iter().find(|(live_name, _)| *live_name == c.name) {
                None => Some(SchemaMismatch::MissingColumn {
                    table: name.to_owned(),
                    column: c.name,
                    expected,
                }),
                Some((_, found)) if !found.trim().eq_ignore_ascii_case(expected) => {
                    Some(SchemaMismatch::WrongType {
                        table: name.to_owned(),
                        column: c.name,
                        expected,
                        found: found.trim().to_owned(),
                    })
                }
                Some(_) => None,
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::edm::{EntityTypeDef, Model, ModelBuilder, PropertyDef};

    use super::*;

    fn table() -> Table {
        let model: Model = ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("product")
                    .key(["sku"])
                    .property(PropertyDef::new("sku", "Edm.String").not_null())
                    .property(PropertyDef::new("stock", "Edm.Int32"))
                    .property(PropertyDef::new("price", "Edm.Double"))
                    .property(PropertyDef::new("tags", "Collection(Edm.String)"))
                    .property(PropertyDef::new("at", "Edm.DateTimeOffset")),
            )
            .entity_set("products", "product")
            .build()
            .unwrap();
        let ty = model.find_entity_type("example.shop.product").unwrap();
        Table::new(&model, ty, "products".into())
    }

    #[test]
    fn ddl_follows_the_mapping_per_database() {
        assert_eq!(
            create_table(&table(), Backend::Sqlite),
            "CREATE TABLE \"products\" (\"_tenant\" TEXT NOT NULL DEFAULT '', \
             \"_type\" TEXT NOT NULL, \"_version\" INTEGER NOT NULL DEFAULT 1, \
             \"sku\" TEXT NOT NULL, \"stock\" INTEGER, \"price\" REAL, \"tags\" TEXT, \
             \"at\" TEXT, \"at__utc\" INTEGER, PRIMARY KEY (\"_tenant\", \"sku\"))"
        );
        assert_eq!(
            create_table(&table(), Backend::Postgres),
            "CREATE TABLE \"products\" (\"_tenant\" TEXT COLLATE \"C\" NOT NULL DEFAULT '', \
             \"_type\" TEXT COLLATE \"C\" NOT NULL, \"_version\" BIGINT NOT NULL DEFAULT 1, \
             \"sku\" TEXT COLLATE \"C\" NOT NULL, \"stock\" BIGINT, \
             \"price\" DOUBLE PRECISION, \"tags\" TEXT COLLATE \"C\", \
             \"at\" TEXT COLLATE \"C\", \"at__utc\" BIGINT, PRIMARY KEY (\"_tenant\", \"sku\"))"
        );
    }

    /// A media entity type with a stream property: each stream is a BLOB / BYTEA column
    /// for its bytes and a TEXT column for its media type.
    #[test]
    fn streams_are_stored_as_bytes_with_their_media_type() {
        let model: Model = ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("file")
                    .has_stream()
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("photo", "Edm.Stream")),
            )
            .build()
            .unwrap();
        let ty = model.find_entity_type("example.shop.file").unwrap();
        let table = Table::new(&model, ty, "files".into());
        assert_eq!(
            create_table(&table, Backend::Sqlite),
            "CREATE TABLE \"files\" (\"_tenant\" TEXT NOT NULL DEFAULT '', \
             \"_type\" TEXT NOT NULL, \"_version\" INTEGER NOT NULL DEFAULT 1, \
             \"id\" TEXT NOT NULL, \"_media_type\" TEXT, \"photo__type\" TEXT, \
             \"_media\" BLOB, \"photo\" BLOB, PRIMARY KEY (\"_tenant\", \"id\"))"
        );
        assert!(create_table(&table, Backend::Postgres).contains("\"_media\" BYTEA"));
        let media = table.stream(None).unwrap();
        assert_eq!(media.content, "_media");
        assert_eq!(table.columns[media.media_type].property.name, "_media_type");
        let photo = table.stream(Some("photo")).unwrap();
        assert!(table.is_stream_type_column(photo.media_type));
        // No type of the hierarchy lists the media type columns: payloads never see them.
        assert_eq!(table.types[0].columns, [0]);
        let missing = check_columns(
            &table,
            Backend::Postgres,
            &live(&[
                ("_tenant", "text"),
                ("_type", "text"),
                ("_version", "bigint"),
                ("id", "text"),
                ("_media_type", "text"),
                ("photo__type", "text"),
                ("_media", "bytea"),
            ]),
        );
        assert_eq!(
            missing,
            [SchemaMismatch::MissingColumn {
                table: "files".into(),
                column: "photo".into(),
                expected: "BYTEA",
            }]
        );
    }

    fn live(columns: &[(&str, &str)]) -> Vec<(String, String)> {
        columns
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect()
    }

    #[test]
    fn a_live_table_is_compared_column_by_column() {
        let table = table();
        let mut columns = vec![
            ("_tenant", "TEXT"),
            ("_type", "text"),
            ("_version", "INTEGER"),
            ("sku", "TEXT"),
            ("stock", "INTEGER"),
            ("price", "REAL"),
            ("tags", "TEXT"),
            ("at", "TEXT"),
            ("at__utc", "INTEGER"),
            ("_parent", "TEXT"),
        ];
        assert_eq!(check_columns(&table, Backend::Sqlite, &live(&columns)), []);
        columns.retain(|(n, _)| *n != "at__utc");
        columns[5].1 = "TEXT";
        let found = check_columns(&table, Backend::Sqlite, &live(&columns));
        assert_eq!(
            found,
            [
                SchemaMismatch::WrongType {
                    table: "products".into(),
                    column: "price".into(),
                    expected: "REAL",
                    found: "TEXT".into(),
                },
                SchemaMismatch::MissingColumn {
                    table: "products".into(),
                    column: "at__utc".into(),
                    expected: "INTEGER",
                },
            ]
        );
        assert_eq!(
            SchemaError::Mismatch(found).to_string(),
            "the database schema does not match the table mapping: table \"products\", \
             column \"price\": expected REAL, found TEXT; table \"products\" has no column \
             \"at__utc\" (expected INTEGER)"
        );
        assert_eq!(
            check_columns(&table, Backend::Sqlite, &[]),
            [SchemaMismatch::MissingTable {
                table: "products".into()
            }]
        );
    }

    #[test]
    fn postgres_types_are_compared_as_information_schema_spells_them() {
        let columns = live(&[
            ("_tenant", "text"),
            ("_type", "text"),
            ("_version", "bigint"),
            ("sku", "text"),
            ("stock", "bigint"),
            ("price", "double precision"),
            ("tags", "text"),
            ("at", "text"),
            ("at__utc", "bigint"),
        ]);
        assert_eq!(check_columns(&table(), Backend::Postgres, &columns), []);
        assert_eq!(check_columns(&table(), Backend::Sqlite, &columns).len(), 4);
    }
}
