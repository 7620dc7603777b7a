//! A second, small model (no Autopilot names) served on a random port with a temp database:
//! a SQLite file, or with `ODATA_TEST_BACKEND=postgres` a fresh database on the server of
//! `ODATA_TEST_POSTGRES_URL`.

use odata_core::edm::{
    ActionDef, Annotation, ComplexTypeDef, EntityTypeDef, EnumTypeDef, ModelBuilder, NavigationDef,
    PropertyDef,
};
use odata_server::action::{ActionEffect, ActionHandler};
use odata_server::app::{Application, Migrations};
use odata_server::config::Settings;
use odata_server::function::FunctionHandler;
use odata_server::service::{CollectionDef, Service};
use reqwest::{Client, RequestBuilder};
use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("tests/migrations");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("tests/migrations/postgres");

/// The shop's migrations for both databases.
pub fn migrations() -> Migrations<'static> {
    Migrations {
        sqlite: &MIGRATOR,
        postgres: Some(&POSTGRES_MIGRATOR),
    }
}

/// True when `ODATA_TEST_BACKEND=postgres` (otherwise, or with `sqlite`, the tests use SQLite).
pub fn on_postgres() -> bool {
    match std::env::var("ODATA_TEST_BACKEND").as_deref() {
        Err(_) | Ok("" | "sqlite") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("ODATA_TEST_BACKEND={other:?}: expected sqlite or postgres"),
    }
}

/// The database of a new test app, removed when dropped: `shop.db` in a temporary
/// directory, or on PostgreSQL a new, empty database on the server of
/// `ODATA_TEST_POSTGRES_URL`.
pub struct TestDatabase {
    pub url: String,
    _dir: tempfile::TempDir,
    _postgres: Option<crate::postgres::FreshDatabase>,
}

pub async fn test_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    if !on_postgres() {
        return TestDatabase {
            url: format!("sqlite://{}/shop.db?mode=rwc", dir.path().display()),
            _dir: dir,
            _postgres: None,
        };
    }
    let database = crate::postgres::fresh_database()
        .await
        .expect("ODATA_TEST_BACKEND=postgres needs ODATA_TEST_POSTGRES_URL");
    TestDatabase {
        url: database.url().to_owned(),
        _dir: dir,
        _postgres: Some(database),
    }
}

pub fn shop_service() -> Service {
    let model = ModelBuilder::new("example.shop")
        .alias("shop")
        .enum_type(
            EnumTypeDef::new("color")
                .member("red", 0)
                .member("green", 1)
                .member("blue", 2),
        )
        .complex_type(
            ComplexTypeDef::new("dimensions")
                .property(PropertyDef::new("width", "Edm.Double").not_null())
                .property(PropertyDef::new("height", "Edm.Double"))
                .property(PropertyDef::new("unit", "shop.color")),
        )
        .entity_type(
            EntityTypeDef::new("product")
                .key(["sku"])
                .property(PropertyDef::new("sku", "Edm.String").not_null())
                .property(PropertyDef::new("name", "Edm.String").max_length(20))
                .property(PropertyDef::new("color", "shop.color").not_null())
                .property(PropertyDef::new("releasedAt", "Edm.DateTimeOffset").not_null())
                .property(PropertyDef::new("warranty", "Edm.Duration"))
                .property(PropertyDef::new("stock", "Edm.Int32").not_null())
                .property(PropertyDef::new("dimensions", "shop.dimensions"))
                .property(PropertyDef::new("tags", "Collection(Edm.String)"))
                .property(
                    PropertyDef::new("secret", "Edm.String").annotate(Annotation::write_only()),
                )
                .property(
                    PropertyDef::new("createdAt", "Edm.DateTimeOffset")
                        .not_null()
                        .annotate(Annotation::computed())
                        .annotate(Annotation::immutable()),
                )
                .property(
                    PropertyDef::new("modifiedAt", "Edm.DateTimeOffset")
                        .not_null()
                        .annotate(Annotation::computed()),
                )
                .property(PropertyDef::new("discount", "Edm.Double"))
                .navigation(NavigationDef::new("orders", "Collection(shop.order)")),
        )
        .entity_type(
            EntityTypeDef::new("order")
                .key(["number"])
                .property(PropertyDef::new("number", "Edm.Int64").not_null())
                .property(PropertyDef::new("customer", "Edm.String"))
                .property(PropertyDef::new("placed", "Edm.Date"))
                .navigation(NavigationDef::new("product", "shop.product")),
        )
        .action(
            ActionDef::new("restock")
                .bound_to("product", "shop.product")
                .parameter(PropertyDef::new("quantity", "Edm.Int32").not_null()),
        )
        .action(
            ActionDef::new("claim")
                .bound_to("product", "shop.product")
                .parameter(PropertyDef::new("orders", "Collection(Edm.Int64)").not_null()),
        )
        .action(ActionDef::new("discontinue").bound_to("product", "shop.product"))
        .function(
            ActionDef::new("restockNeeded")
                .bound_to("product", "shop.product")
                .parameter(PropertyDef::new("threshold", "Edm.Int32").not_null())
                .returns("Edm.Boolean"),
        )
        .function(
            ActionDef::new("label")
                .bound_to("product", "shop.product")
                .returns("Edm.String"),
        )
        .function(
            ActionDef::new("box")
                .parameter(PropertyDef::new("width", "Edm.Double").not_null())
                .parameter(PropertyDef::new("height", "Edm.Double"))
                .parameter(PropertyDef::new("unit", "shop.color"))
                .returns("shop.dimensions"),
        )
        .function(ActionDef::new("palette").returns("Collection(shop.color)"))
        .function_import("box", "box")
        .function_import("palette", "shop.palette")
        .entity_set("products", "shop.product")
        .entity_set("orders", "shop.order")
        .build()
        .expect("valid test model");
    Service::builder(model)
        .collection(
            CollectionDef::new("products", "products")
                .inverse("orders", "orders", "product")
                .action("restock", restock())
                .action("shop.claim", claim())
                .function("restockNeeded", restock_needed()),
        )
        .collection(CollectionDef::new("orders", "orders").reference("product", "products"))
        .function_import("box", box_of())
        .function_import(
            "palette",
            FunctionHandler::new(|_| Ok(serde_json::json!(["red", "green", "blue"]))),
        )
        .build()
        .expect("valid service")
}

/// `restockNeeded(threshold)`: whether the stock is below the threshold.
fn restock_needed() -> FunctionHandler {
    FunctionHandler::new(|call| {
        let stock = call
            .entity
            .and_then(|e| e["stock"].as_i64())
            .unwrap_or_default();
        let threshold = call.parameters["threshold"].as_i64().unwrap_or_default();
        Ok(serde_json::json!(stock < threshold))
    })
}

/// `box(width, height, unit)`: the dimensions of a box.
fn box_of() -> FunctionHandler {
    FunctionHandler::new(|call| {
        let mut dimensions = call.parameters.clone();
        dimensions
            .entry("height")
            .or_insert(serde_json::Value::Null);
        Ok(serde_json::Value::Object(dimensions))
    })
}

/// `restock(quantity)`: adds a positive quantity to the product's stock.
fn restock() -> ActionHandler {
    ActionHandler::new(|call| {
        let quantity = call.parameters["quantity"].as_i64().unwrap_or_default();
        if quantity <= 0 {
            return Err(odata_core::error::ODataError::bad_request(
                "The parameter 'quantity' must be positive.",
            )
            .with_target("quantity"));
        }
        let stock = call.property("stock").as_i64().unwrap_or_default();
        Ok(ActionEffect::update([(
            "stock",
            serde_json::json!(stock + quantity),
        )]))
    })
}

/// `claim(orders)`: the orders become the product's.
fn claim() -> ActionHandler {
    ActionHandler::new(|call| {
        Ok(ActionEffect::Link {
            navigation: "orders".into(),
            keys: call.parameters["orders"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            parameter: "orders".into(),
        })
    })
}

pub struct TestApp {
    pub root: String,
    /// The URL of the app's database.
    pub database: String,
    pub client: Client,
    _database: TestDatabase,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.root, path.trim_start_matches('/'))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// GET below the service root and the JSON body (any status).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.get(path)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON body")
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> RequestBuilder {
        self.client.post(self.url(path)).json(body)
    }

    pub fn patch_json(&self, path: &str, body: &serde_json::Value) -> RequestBuilder {
        self.client.patch(self.url(path)).json(body)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_service(shop_service(), migrations(), configure).await
}

/// Serves `service` (any model, with its own migrations) on a random port over a fresh
/// database, under the base path `odata` unless `configure` changes it.
pub async fn spawn_service(
    service: Service,
    migrations: Migrations<'static>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let database = test_database().await;
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: database.url.clone(),
        base_path: "odata".into(),
        ..Settings::default()
    };
    configure(&mut settings);
    let base = settings.base_path.clone();
    let database_url = settings.database_url.clone();
    let app = Application::build(service, migrations, settings)
        .await
        .expect("app starts");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        root: format!("http://127.0.0.1:{port}/{base}"),
        database: database_url,
        client: Client::new(),
        _database: database,
    }
}

/// A valid product body.
pub fn product(sku: &str) -> serde_json::Value {
    serde_json::json!({
        "sku": sku,
        "name": "Widget",
        "color": "green",
        "releasedAt": "2016-12-31T23:59:23.3984029-08:00",
        "warranty": "-PT35.9373414S",
        "stock": 3,
        "dimensions": {"width": 1.5, "unit": "blue"},
        "tags": ["a", "b"],
        "secret": "hunter2"
    })
}

/// The service refuses to start on a database whose table lacks a column of the mapping,
/// naming the table and the column.
#[tokio::test]
async fn a_table_missing_a_column_stops_start_up() {
    let (migration, column, expected) = if on_postgres() {
        (
            include_str!("../migrations/postgres/0001_shop.sql"),
            "\"discount\" DOUBLE PRECISION,",
            "DOUBLE PRECISION",
        )
    } else {
        (
            include_str!("../migrations/0001_shop.sql"),
            "\"discount\" REAL,",
            "REAL",
        )
    };
    let without_discount = migration.replace(column, "");
    assert_ne!(
        migration, without_discount,
        "the shop table has a discount column"
    );
    let migrations = tempfile::tempdir().expect("temp dir");
    std::fs::write(migrations.path().join("0001_shop.sql"), without_discount).expect("write");
    let migrator = sqlx::migrate::Migrator::new(migrations.path())
        .await
        .expect("migrations");
    let database = test_database().await;
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: database.url.clone(),
        ..Settings::default()
    };
    let migrations = Migrations {
        sqlite: &migrator,
        postgres: Some(&migrator),
    };
    match Application::build(shop_service(), migrations, settings).await {
        Ok(_) => panic!("started without the discount column"),
        Err(e) => {
            assert!(matches!(e, odata_server::app::StartError::Schema(_)), "{e}");
            let message = e.to_string();
            assert!(
                message.contains(&format!(
                    "table \"products\" has no column \"discount\" (expected {expected})"
                )),
                "{message}"
            );
        }
    }
}
