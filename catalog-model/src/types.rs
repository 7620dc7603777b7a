//! The catalog's enumeration, type definitions and complex types (MODEL.md §2.1–§2.3).

use odata_core::edm::{
    ComplexTypeDef, EnumTypeDef, ModelBuilder, PrimitiveKind, PropertyDef, TypeDefinitionDef,
};

/// Adds `ProductStatus`, the type definitions, `Address`, `Dimensions` and the operation
/// result types.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    b.enum_type(
        EnumTypeDef::new("ProductStatus")
            .underlying(PrimitiveKind::Int32)
            .flags()
            .member("None", 0)
            .member("InStock", 1)
            .member("OnSale", 2)
            .member("Discontinued", 4)
            .member("Featured", 8),
    )
    .type_definition(TypeDefinitionDef::new("ReleaseDateValue", "Edm.Date"))
    .type_definition(TypeDefinitionDef::new("TimeOfDayValue", "Edm.TimeOfDay"))
    .type_definition(TypeDefinitionDef::new("DurationValue", "Edm.Duration"))
    .complex_type(
        ComplexTypeDef::new("Address")
            .property(string("Street", 100))
            .property(string("City", 50))
            .property(string("State", 2))
            .property(string("PostalCode", 10))
            .property(string("Country", 50)),
    )
    .complex_type(
        ComplexTypeDef::new("Dimensions")
            .property(PropertyDef::new("Length", "Edm.Double").not_null())
            .property(PropertyDef::new("Width", "Edm.Double").not_null())
            .property(PropertyDef::new("Height", "Edm.Double").not_null())
            .property(string("Unit", 10)),
    )
    .complex_type(
        ComplexTypeDef::new("ProductStats")
            .property(PropertyDef::new("totalProducts", "Edm.Int64").not_null())
            .property(PropertyDef::new("averagePrice", "Edm.Double").not_null())
            .property(PropertyDef::new("maxPrice", "Edm.Double").not_null())
            .property(PropertyDef::new("minPrice", "Edm.Double").not_null()),
    )
    .complex_type(
        ComplexTypeDef::new("PriceResetResult")
            .property(PropertyDef::new("message", "Edm.String").not_null())
            .property(PropertyDef::new("updatedCount", "Edm.Int32").not_null()),
    )
    .complex_type(
        ComplexTypeDef::new("DemoResetResult")
            .property(PropertyDef::new("status", "Edm.String").not_null())
            .property(PropertyDef::new("message", "Edm.String").not_null()),
    )
}

/// A nullable string of at most `max` characters.
pub(crate) fn string(name: &str, max: u32) -> PropertyDef {
    PropertyDef::new(name, "Edm.String").max_length(max)
}
