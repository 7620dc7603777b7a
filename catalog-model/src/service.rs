//! The catalog model bound to storage: its collections, the company singleton, the media
//! items' uploads, the read-only set, and the demo data written into an empty store.

use odata_core::csdl::AnnotationPlacement;
use odata_core::json::{ControlInformation, WriteRules};
use odata_server::media::{MediaHandler, Upload};
use odata_server::service::{CollectionDef, MetadataStyle, Service, SingletonDef, WriteAnswers};
use serde_json::json;

use crate::effects;
use sqlx::migrate::Migrator;

/// The SQLite migrations in `migrations/sqlite`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The PostgreSQL migrations in `migrations/postgres`: the same tables in PostgreSQL types.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Both migration sets; the database URL picks one.
pub fn migrations() -> odata_server::app::Migrations<'static> {
    odata_server::app::Migrations {
        sqlite: &MIGRATOR,
        postgres: Some(&POSTGRES_MIGRATOR),
    }
}

/// The catalog service: OData's write rules (required properties, computed values in
/// bodies ignored), `@odata.id` on every entity and `@odata.type` where it is not implied,
/// every set and the company singleton, its operations, the demo data loaded at start-up
/// into an empty store.
pub fn service() -> Service {
    let service = Service::builder(crate::model())
        .write_rules(WriteRules::standard())
        .control_information(ControlInformation::with_ids())
        .write_answers(WriteAnswers::minimal())
        .batch_continues_on_error()
        .metadata_style(MetadataStyle {
            placement: AnnotationPlacement::External,
            capabilities: false,
        })
        .collection(products())
        .collection(
            CollectionDef::new("Categories", "categories")
                .insertion_order()
                .inverse("Products", "Products", "Category"),
        )
        .collection(
            CollectionDef::new("ProductDescriptions", "product_descriptions")
                .insertion_order()
                .reference("Product", "Products")
                .searchable(["Description", "LongText"]),
        )
        .collection(
            CollectionDef::new("MediaItems", "media_items")
                .insertion_order()
                .creation_timestamps(["CreatedAt", "ModifiedAt"])
                .media(
                    MediaHandler::new()
                        .on_create(|upload| {
                            let mut values = uploaded(upload);
                            values.push(("Name".into(), json!(upload.slug.unwrap_or_default())));
                            Ok(values)
                        })
                        .on_replace(|upload| Ok(uploaded(upload))),
                ),
        )
        .collection(
            CollectionDef::new("ReadOnlyItems", "read_only_items")
                .insertion_order()
                .read_only(),
        )
        .collection(CollectionDef::new("DecimalSamples", "decimal_samples").insertion_order())
        .singleton(SingletonDef::new("Company", "company").version_property("Version"))
        .action_import("ResetProducts", effects::reset_products())
        .action_import("Reseed", effects::reseed())
        .action_import("ResetAllPrices", effects::reset_all_prices())
        .action_import("Process", effects::process())
        .initial_data(crate::seed::dataset(&now()));
    effects::function_imports()
        .into_iter()
        .fold(service, |s, (name, handler)| {
            s.function_import(name, handler)
        })
        .build()
        .expect("every catalog collection is declared in the model")
}

/// `Products`, with its relationships and its products' operations.
fn products() -> CollectionDef {
    let products = CollectionDef::new("Products", "products")
        .insertion_order()
        .version_property("Version")
        .creation_timestamps(["CreatedAt"])
        .type_property("ProductType")
        // MODEL.md §6.10.
        .track_changes()
        .reference("Category", "Categories")
        .inverse("Descriptions", "ProductDescriptions", "Product")
        // Many-to-many between products, without a partner (MODEL.md §2.4).
        .many("RelatedProducts", "Products", "ProductRelations")
        .searchable(["Name", "ShippingAddress/City"])
        .collection_function("GetAveragePrice", effects::average_price())
        .collection_action("MarkAllAsReviewed", effects::mark_all_as_reviewed());
    let products = effects::product_functions()
        .into_iter()
        .fold(products, |c, (name, handler)| c.function(name, handler));
    effects::product_actions()
        .into_iter()
        .fold(products, |c, (name, handler)| c.action(name, handler))
}

/// What an upload sets on a media item: its content type, size and modification time.
fn uploaded(upload: &Upload<'_>) -> Vec<(String, serde_json::Value)> {
    vec![
        ("ContentType".into(), json!(upload.content_type)),
        ("Size".into(), json!(upload.length)),
        ("ModifiedAt".into(), json!(upload.now.to_string())),
    ]
}

/// The current time in whole seconds, as an `Edm.DateTimeOffset` literal.
pub(crate) fn now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    odata_core::value::DateTimeOffset::from_utc_ticks(
        i64::try_from(seconds).unwrap_or(i64::MAX / 10_000_000) * 10_000_000,
        0,
    )
    .map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use odata_server::store::Store;

    use super::*;

    /// The migrations create every column the table mapping of the served collections
    /// expects, with its type (the check the service runs at start-up).
    #[tokio::test]
    async fn the_migrations_fit_the_table_mapping() {
        let store = Store::connect("sqlite::memory:", 1, Duration::from_secs(5))
            .await
            .expect("in-memory database");
        store
            .migrate(&MIGRATOR, &POSTGRES_MIGRATOR)
            .await
            .expect("migrations");
        let verified = store.verify_schema(&service()).await;
        assert!(verified.is_ok(), "{verified:?}");
    }
}
