//! The catalog's entity types (MODEL.md §2.4–§2.11), properties in declaration order.

use odata_core::edm::{
    Annotation, EntityTypeDef, ModelBuilder, NavigationDef, OnDeleteAction, PropertyDef,
};

use crate::types::string;

/// Adds every entity type.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    b.entity_type(product())
        .entity_type(special_product())
        .entity_type(category())
        .entity_type(product_description())
        .entity_type(media_item())
        .entity_type(read_only_item())
        .entity_type(decimal_sample())
        .entity_type(company_info())
}

/// A non-nullable property.
fn required(name: &str, ty: &str) -> PropertyDef {
    PropertyDef::new(name, ty).not_null()
}

/// A non-nullable string of at most `max` characters.
fn required_string(name: &str, max: u32) -> PropertyDef {
    string(name, max).not_null()
}

/// The server-generated GUID key.
fn computed_id() -> PropertyDef {
    required("ID", "Edm.Guid").annotate(Annotation::computed())
}

fn product() -> EntityTypeDef {
    EntityTypeDef::new("Product")
        .key(["ID"])
        .property(computed_id())
        .property(required_string("Name", 100).description("Product display name"))
        .property(string("Description", 500).description("Detailed product description"))
        .property(required("Price", "Edm.Double"))
        .property(required("Rating", "Edm.Byte").default_value("0"))
        .property(required("Temperature", "Edm.SByte").default_value("0"))
        .property(required("Quantity", "Edm.Int16").default_value("0"))
        .property(required("Weight", "Edm.Single").default_value("0"))
        .property(PropertyDef::new("Data", "Edm.Binary"))
        .property(PropertyDef::new("ReleaseDate", "Edm.Date"))
        .property(PropertyDef::new("OpenTime", "Edm.TimeOfDay"))
        .property(PropertyDef::new("ShippingTime", "Catalog.DurationValue"))
        .property(PropertyDef::new("ProcessingTime", "Edm.Duration"))
        .property(PropertyDef::new("Offset", "Edm.Duration"))
        .property(PropertyDef::new("CategoryID", "Edm.Guid"))
        .property(required("Status", "Catalog.ProductStatus").default_value("None"))
        .property(required("Version", "Edm.Int32").annotate(Annotation::computed()))
        .property(required("CreatedAt", "Edm.DateTimeOffset").annotate(Annotation::computed()))
        .property(
            string("SerialNumber", 50)
                .annotate(Annotation::immutable())
                .description("Unique serial number assigned at creation"),
        )
        .property(required_string("ProductType", 50).default_value("Product"))
        .property(PropertyDef::new("ShippingAddress", "Catalog.Address"))
        .property(PropertyDef::new("Dimensions", "Catalog.Dimensions"))
        .property(PropertyDef::new("Location", "Edm.GeographyPoint"))
        .property(PropertyDef::new("Route", "Edm.GeographyLineString"))
        .property(PropertyDef::new("Area", "Edm.GeographyPolygon"))
        .property(PropertyDef::new("Photo", "Edm.Stream"))
        .navigation(
            NavigationDef::new("Category", "Catalog.Category")
                .partner("Products")
                .constraint("CategoryID", "ID"),
        )
        .navigation(
            NavigationDef::new("Descriptions", "Collection(Catalog.ProductDescription)")
                .partner("Product")
                .on_delete(OnDeleteAction::Cascade),
        )
        .navigation(NavigationDef::new(
            "RelatedProducts",
            "Collection(Catalog.Product)",
        ))
}

fn special_product() -> EntityTypeDef {
    EntityTypeDef::new("SpecialProduct")
        .base("Catalog.Product")
        .property(string("SpecialProperty", 200))
        .property(string("SpecialFeature", 100))
}

fn category() -> EntityTypeDef {
    EntityTypeDef::new("Category")
        .key(["ID"])
        .property(computed_id())
        .property(required_string("Name", 100))
        .property(string("Description", 500))
        .navigation(
            NavigationDef::new("Products", "Collection(Catalog.Product)").partner("Category"),
        )
}

fn product_description() -> EntityTypeDef {
    EntityTypeDef::new("ProductDescription")
        .key(["ProductID", "LanguageKey"])
        .property(required("ProductID", "Edm.Guid"))
        .property(required_string("LanguageKey", 2))
        .property(required_string("Description", 500))
        .property(string("LongText", 2000))
        .property(required("CustomName", "Edm.String").default_value(""))
        .navigation(
            NavigationDef::new("Product", "Catalog.Product")
                .not_null()
                .partner("Descriptions")
                .constraint("ProductID", "ID"),
        )
}

fn media_item() -> EntityTypeDef {
    EntityTypeDef::new("MediaItem")
        .has_stream()
        .key(["ID"])
        .property(computed_id())
        .property(required_string("Name", 100))
        .property(required_string("ContentType", 100))
        .property(PropertyDef::new("Size", "Edm.Int64"))
        .property(required("CreatedAt", "Edm.DateTimeOffset"))
        .property(required("ModifiedAt", "Edm.DateTimeOffset"))
}

fn read_only_item() -> EntityTypeDef {
    EntityTypeDef::new("ReadOnlyItem")
        .key(["ID"])
        .property(required("ID", "Edm.Guid"))
        .property(required_string("Name", 100))
}

fn decimal_sample() -> EntityTypeDef {
    EntityTypeDef::new("DecimalSample")
        .key(["ID"])
        .property(computed_id())
        .property(required_string("Name", 100))
        .property(required("Amount", "Edm.Decimal").precision(38, Some(18)))
}

fn company_info() -> EntityTypeDef {
    EntityTypeDef::new("CompanyInfo")
        .key(["ID"])
        .property(computed_id())
        .property(required_string("Name", 200))
        .property(required_string("CEO", 100))
        .property(PropertyDef::new("Founded", "Edm.Int32"))
        .property(string("HeadQuarter", 200))
        .property(string("Website", 100))
        .property(
            PropertyDef::new("Logo", "Edm.Binary")
                .annotate(Annotation::media_type("image/svg+xml")),
        )
        .property(required("Version", "Edm.Int32").annotate(Annotation::computed()))
        .property(required("UpdatedAt", "Edm.DateTimeOffset").annotate(Annotation::computed()))
}
