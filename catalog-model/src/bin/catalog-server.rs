//! `catalog-server`: the demo product catalog over OData 4.01.

use odata_server::cli::{Product, run};

/// The catalog's name and defaults: served at the root of its listener, a `catalog.db`
/// beside the working directory.
const CATALOG: Product = Product {
    name: "catalog-server",
    about: "Serves the demo product catalog over OData 4.01.",
    version: env!("CARGO_PKG_VERSION"),
    database_url: "sqlite://catalog.db?mode=rwc",
    base_path: "",
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(
        &CATALOG,
        catalog_model::service::service(),
        catalog_model::service::migrations(),
    )
    .await?;
    Ok(())
}
