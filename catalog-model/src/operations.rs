//! The catalog's functions and actions (MODEL.md §4), declared in Appendix A's order.

use odata_core::edm::{ActionDef, ModelBuilder, PropertyDef};

const PRODUCT: &str = "Catalog.Product";
const PRODUCTS: &str = "Collection(Catalog.Product)";

/// A non-nullable parameter.
fn param(name: &str, ty: &str) -> PropertyDef {
    PropertyDef::new(name, ty).not_null()
}

/// A function or action bound to one product.
fn on_product(name: &str) -> ActionDef {
    operation(name).bound_to("bindingParameter", PRODUCT)
}

/// An operation whose binding parameter and return type are non-nullable, as every one
/// of the catalog's is.
fn operation(name: &str) -> ActionDef {
    ActionDef::new(name).non_nullable()
}

/// Adds every operation and the imports of the unbound ones.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    b.function(operation("GetTopProducts").returns(PRODUCTS))
        .function(
            operation("GetTopProducts")
                .parameter(param("count", "Edm.Int64"))
                .returns(PRODUCTS),
        )
        .function(
            operation("GetTopProducts")
                .parameter(param("count", "Edm.Int64"))
                .parameter(param("category", "Edm.String"))
                .returns(PRODUCTS),
        )
        .function(operation("GetProductStats").returns("Catalog.ProductStats"))
        .function(
            operation("FindProducts")
                .parameter(param("name", "Edm.String"))
                .parameter(param("maxPrice", "Edm.Double"))
                .returns(PRODUCTS),
        )
        .function(
            operation("Calculate")
                .parameter(param("value", "Edm.Int64"))
                .returns("Edm.Int64"),
        )
        .function(
            operation("Calculate")
                .parameter(param("a", "Edm.Int64"))
                .parameter(param("b", "Edm.Int64"))
                .returns("Edm.Int64"),
        )
        .function(
            operation("Convert")
                .parameter(param("input", "Edm.String"))
                .returns("Edm.String"),
        )
        .function(
            operation("Convert")
                .parameter(param("number", "Edm.Int64"))
                .returns("Edm.String"),
        )
        .function(
            on_product("GetTotalPrice")
                .parameter(param("taxRate", "Edm.Double"))
                .returns("Edm.Double"),
        )
        .function(
            on_product("GetRelatedProducts")
                .entity_set_path("bindingParameter")
                .returns(PRODUCTS),
        )
        .function(
            operation("GetAveragePrice")
                .bound_to("bindingParameter", PRODUCTS)
                .returns("Edm.Double"),
        )
        .function(
            on_product("CalculatePrice")
                .parameter(param("discount", "Edm.Double"))
                .returns("Edm.Double"),
        )
        .function(
            on_product("CalculatePrice")
                .parameter(param("discount", "Edm.Double"))
                .parameter(param("tax", "Edm.Double"))
                .returns("Edm.Double"),
        )
        .function(
            on_product("GetInfo")
                .parameter(param("format", "Edm.String"))
                .returns("Edm.String"),
        )
        .action(
            on_product("ApplyDiscount")
                .entity_set_path("bindingParameter")
                .parameter(param("percentage", "Edm.Double"))
                .returns(PRODUCT),
        )
        .action(on_product("IncreasePrice").parameter(param("amount", "Edm.Double")))
        .action(on_product("Activate"))
        .action(
            on_product("CalculateDiscount")
                .parameter(param("percentage", "Edm.Double"))
                .returns("Edm.Double"),
        )
        .action(operation("MarkAllAsReviewed").bound_to("bindingParameter", PRODUCTS))
        .action(operation("ResetAllPrices").returns("Catalog.PriceResetResult"))
        .action(operation("ResetProducts"))
        .action(
            operation("Process")
                .parameter(param("percentage", "Edm.Double"))
                .parameter(param("minPrice", "Edm.Double").optional_parameter()),
        )
        .action(operation("Reseed").returns("Catalog.DemoResetResult"))
        .function_import_in("GetTopProducts", "Catalog.GetTopProducts", "Products")
        .function_import("GetProductStats", "Catalog.GetProductStats")
        .function_import_in("FindProducts", "Catalog.FindProducts", "Products")
        .function_import("Calculate", "Catalog.Calculate")
        .function_import("Convert", "Catalog.Convert")
        .action_import("ResetAllPrices", "Catalog.ResetAllPrices")
        .action_import("ResetProducts", "Catalog.ResetProducts")
        .action_import("Process", "Catalog.Process")
        .action_import("Reseed", "Catalog.Reseed")
}
