//! The product catalog: a demo shop served by the framework, declared through its public
//! API like any third-party model (specification: `MODEL.md` of the catalog model).
//!
//! It shows what the Autopilot model does not: composite keys, a flags enumeration, every
//! primitive type, type definitions, complex types, a derived entity type, referential
//! constraints and their delete rules, exact decimals.

mod effects;
mod entities;
mod operations;
pub mod seed;
pub mod service;
mod types;

use odata_core::edm::{Annotation, Model, ModelBuilder};

/// Schema namespace (no alias: every reference is fully qualified).
pub const NAMESPACE: &str = "Catalog";

/// Builds the catalog's entity data model (namespace `Catalog`, container `Container`,
/// schema version 1.0).
pub fn model() -> Model {
    let b = ModelBuilder::new(NAMESPACE)
        .container_name("Container")
        .annotate(Annotation::schema_version("1.0"));
    let b = types::declare(b);
    let b = entities::declare(b);
    let b = operations::declare(b);
    b.entity_set("Products", "Catalog.Product")
        .entity_set("Categories", "Catalog.Category")
        .entity_set("ProductDescriptions", "Catalog.ProductDescription")
        .entity_set("MediaItems", "Catalog.MediaItem")
        .entity_set("ReadOnlyItems", "Catalog.ReadOnlyItem")
        .entity_set("DecimalSamples", "Catalog.DecimalSample")
        .singleton("Company", "Catalog.CompanyInfo")
        .navigation_binding("Products", "Category", "Categories")
        .navigation_binding("Products", "Descriptions", "ProductDescriptions")
        .navigation_binding("Products", "RelatedProducts", "Products")
        .navigation_binding("Categories", "Products", "Products")
        .navigation_binding("ProductDescriptions", "Product", "Products")
        .build()
        .expect("the catalog model is valid")
}
