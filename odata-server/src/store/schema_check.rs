//! The start-up check that the database has the tables the service's mapping expects.

use std::collections::BTreeSet;

use sqlx::Row;

use crate::service::Service;
use crate::sql::schema::{self, Backend, SchemaError};

use super::{Pools, Store};

impl Store {
    /// Name and declared type of every column of table `name` (none for a missing table).
    async fn live_columns(
        &self,
        backend: Backend,
        name: &str,
    ) -> Result<Vec<(String, String)>, sqlx::Error> {
        let query = schema::live_columns_query(backend);
        match &self.pools {
            Pools::Sqlite { writer, .. } => sqlx::query(query)
                .bind(name)
                .fetch_all(writer)
                .await?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect(),
            Pools::Postgres { pool, .. } => sqlx::query(query)
                .bind(name)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect(),
        }
    }

    /// Compares the table of every collection of `service`, and every link table of its
    /// many-to-many navigations, with the live database (see [`schema::check_columns`]): [`SchemaError::Mismatch`] lists every missing table,
    /// missing column and column of another type. Run after the migrations, before serving.
    pub async fn verify_schema(&self, service: &Service) -> Result<(), SchemaError> {
        let mut checked = BTreeSet::new();
        let mut mismatches = Vec::new();
        for collection in service.collections() {
            let table = &collection.table;
            if !checked.insert(table.name.as_str()) {
                continue;
            }
            let read = |source| SchemaError::Read {
                table: table.name.clone(),
                source,
            };
            let backend = self.backend();
            let live = self
                .live_columns(backend, &table.name)
                .await
                .map_err(read)?;
            mismatches.extend(schema::check_columns(table, backend, &live));
        }
        for link in service.link_tables() {
            if !checked.insert(link.name()) {
                continue;
            }
            let backend = self.backend();
            let live = self
                .live_columns(backend, link.name())
                .await
                .map_err(|source| SchemaError::Read {
                    table: link.name().to_owned(),
                    source,
                })?;
            mismatches.extend(schema::check_link_columns(link, backend, &live));
        }
        if mismatches.is_empty() {
            Ok(())
        } else {
            Err(SchemaError::Mismatch(mismatches))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
    use sqlx::AssertSqlSafe;

    use super::*;
    use crate::service::CollectionDef;
    use crate::sql::schema::{SchemaMismatch, create_table};

    fn service() -> Service {
        let model = ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("product")
                    .key(["sku"])
                    .property(PropertyDef::new("sku", "Edm.String").not_null())
                    .property(PropertyDef::new("stock", "Edm.Int32"))
                    .property(PropertyDef::new("releasedAt", "Edm.DateTimeOffset")),
            )
            .entity_type(
                EntityTypeDef::new("order")
                    .key(["number"])
                    .property(PropertyDef::new("number", "Edm.Int64").not_null()),
            )
            .entity_set("products", "product")
            .entity_set("orders", "order")
            .build()
            .unwrap();
        Service::builder(model)
            .collection(CollectionDef::new("products", "products"))
            .collection(CollectionDef::new("orders", "orders"))
            .build()
            .unwrap()
    }

    async fn store() -> Store {
        Store::connect("sqlite::memory:", 1, Duration::from_secs(5))
            .await
            .unwrap()
    }

    async fn run(store: &Store, sql: String) {
        let Pools::Sqlite { writer, .. } = &store.pools else {
            panic!("a SQLite store");
        };
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(writer)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn tables_made_from_the_mapping_pass() {
        let service = service();
        let store = store().await;
        for c in service.collections() {
            run(&store, create_table(&c.table, Backend::Sqlite)).await;
        }
        store.verify_schema(&service).await.unwrap();
    }

    #[tokio::test]
    async fn a_missing_table_or_column_or_a_mistyped_column_is_named() {
        let service = service();
        let store = store().await;
        run(
            &store,
            "CREATE TABLE \"products\" (\"_tenant\" TEXT, \"_type\" TEXT, \"_version\" INTEGER, \
             \"sku\" TEXT, \"stock\" TEXT, \"releasedAt\" TEXT, PRIMARY KEY (\"_tenant\", \"sku\"))"
                .into(),
        )
        .await;
        let e = store.verify_schema(&service).await.unwrap_err();
        let SchemaError::Mismatch(found) = &e else {
            panic!("{e}");
        };
        assert_eq!(
            found,
            &[
                SchemaMismatch::WrongType {
                    table: "products".into(),
                    column: "stock".into(),
                    expected: "INTEGER",
                    found: "TEXT".into(),
                },
                SchemaMismatch::MissingColumn {
                    table: "products".into(),
                    column: "releasedAt__utc".into(),
                    expected: "INTEGER",
                },
                SchemaMismatch::MissingTable {
                    table: "orders".into()
                },
            ]
        );
        let message = e.to_string();
        assert!(
            message.contains("table \"products\" has no column \"releasedAt__utc\""),
            "{message}"
        );
    }

    /// `products` related to `products` through the link table `related`.
    fn linked_service() -> Service {
        let model = ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("product")
                    .key(["sku"])
                    .property(PropertyDef::new("sku", "Edm.String").not_null())
                    .navigation(odata_core::edm::NavigationDef::new(
                        "related",
                        "Collection(example.shop.product)",
                    )),
            )
            .entity_set("products", "product")
            .build()
            .unwrap();
        Service::builder(model)
            .collection(
                CollectionDef::new("products", "products").many("related", "products", "related"),
            )
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn link_tables_are_checked_too() {
        let service = linked_service();
        let store = store().await;
        run(
            &store,
            create_table(&service.collections()[0].table, Backend::Sqlite),
        )
        .await;
        let e = store.verify_schema(&service).await.unwrap_err();
        let SchemaError::Mismatch(found) = &e else {
            panic!("{e}");
        };
        assert_eq!(
            found,
            &[SchemaMismatch::MissingTable {
                table: "related".into()
            }]
        );
        run(
            &store,
            "CREATE TABLE \"related\" (\"_tenant\" TEXT, \"source\" INTEGER,              PRIMARY KEY (\"_tenant\", \"source\"))"
                .into(),
        )
        .await;
        let e = store.verify_schema(&service).await.unwrap_err();
        let SchemaError::Mismatch(found) = &e else {
            panic!("{e}");
        };
        assert_eq!(
            found,
            &[
                SchemaMismatch::WrongType {
                    table: "related".into(),
                    column: "source".into(),
                    expected: "TEXT",
                    found: "INTEGER".into(),
                },
                SchemaMismatch::MissingColumn {
                    table: "related".into(),
                    column: "target".into(),
                    expected: "TEXT",
                },
            ]
        );
        assert!(
            e.to_string()
                .contains("table \"related\" has no column \"target\""),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_link_table_made_from_the_mapping_passes() {
        let service = linked_service();
        let store = store().await;
        run(
            &store,
            create_table(&service.collections()[0].table, Backend::Sqlite),
        )
        .await;
        let link = service.link_tables()[0];
        run(
            &store,
            crate::sql::schema::create_link_table(link, Backend::Sqlite),
        )
        .await;
        store.verify_schema(&service).await.unwrap();
    }
}
