//! A small model exercising every kind of property, shared by the binder and evaluator
//! tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use indexmap::IndexMap;

use crate::edm::Annotation;
use crate::edm::{
    ActionDef, ComplexTypeDef, EntityTypeDef, EnumTypeDef, Model, ModelBuilder, NavigationDef,
    PropertyDef,
};
use crate::query::{Expr, ParseLimits};
use crate::value::DateTimeOffset;

use super::BindContext;

/// `test.ns` (alias `tns`): abstract `item` with every property kind (write-only `secret`,
/// `secrets` and `settings/pin` included), derived `special` (extra properties) and
/// `other`, an unrelated `unrelated` type.
pub(crate) fn model() -> Model {
    ModelBuilder::new("test.ns")
        .alias("tns")
        .enum_type(
            EnumTypeDef::new("state")
                .member("unknown", 0)
                .member("enrolled", 1)
                .member("failed", 2)
                .member("notContacted", 3),
        )
        .enum_type(
            EnumTypeDef::new("perms")
                .flags()
                .member("none", 0)
                .member("read", 1)
                .member("write", 2)
                .member("exec", 4),
        )
        .enum_type(
            EnumTypeDef::new("color")
                .member("red", 0)
                .member("green", 1),
        )
        .complex_type(ComplexTypeDef::new("inner").property(PropertyDef::new("code", "Edm.String")))
        .complex_type(
            ComplexTypeDef::new("settings")
                .property(PropertyDef::new("eulaHidden", "Edm.Boolean"))
                .property(PropertyDef::new("language", "Edm.String"))
                .property(PropertyDef::new("level", "Edm.Int32"))
                .property(PropertyDef::new("state", "tns.state"))
                .property(PropertyDef::new("since", "Edm.DateTimeOffset"))
                .property(PropertyDef::new("pin", "Edm.String").annotate(Annotation::write_only()))
                .property(PropertyDef::new("inner", "tns.inner")),
        )
        .complex_type(
            ComplexTypeDef::new("address")
                .property(PropertyDef::new("street", "Edm.String"))
                .property(PropertyDef::new("city", "Edm.String"))
                .property(PropertyDef::new("zip", "Edm.Int32")),
        )
        .complex_type(
            ComplexTypeDef::new("usAddress")
                .base("tns.address")
                .property(PropertyDef::new("region", "Edm.String")),
        )
        .entity_type(
            EntityTypeDef::new("item")
                .abstract_type()
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null())
                .property(PropertyDef::new("name", "Edm.String"))
                .property(PropertyDef::new("count", "Edm.Int32"))
                .property(PropertyDef::new("big", "Edm.Int64"))
                .property(PropertyDef::new("small", "Edm.Int16"))
                .property(PropertyDef::new("price", "Edm.Decimal"))
                .property(PropertyDef::new("ratio", "Edm.Double"))
                .property(PropertyDef::new("single", "Edm.Single"))
                .property(PropertyDef::new("flag", "Edm.Boolean"))
                .property(PropertyDef::new("guid", "Edm.Guid"))
                .property(PropertyDef::new("day", "Edm.Date"))
                .property(PropertyDef::new("time", "Edm.TimeOfDay"))
                .property(PropertyDef::new("at", "Edm.DateTimeOffset"))
                .property(PropertyDef::new("took", "Edm.Duration"))
                .property(PropertyDef::new("state", "tns.state"))
                .property(PropertyDef::new("perms", "tns.perms"))
                .property(PropertyDef::new("color", "tns.color"))
                .property(PropertyDef::new("settings", "tns.settings"))
                .property(PropertyDef::new("tags", "Collection(Edm.String)"))
                .property(PropertyDef::new("addresses", "Collection(tns.address)"))
                .property(PropertyDef::new("states", "Collection(tns.state)"))
                .property(PropertyDef::new("scores", "Collection(Edm.Int32)"))
                .property(PropertyDef::new("bin", "Edm.Binary"))
                .property(PropertyDef::new("loc", "Edm.GeographyPoint"))
                .property(PropertyDef::new("route", "Edm.GeographyLineString"))
                .property(PropertyDef::new("area", "Edm.GeographyPolygon"))
                .property(
                    PropertyDef::new("secret", "Edm.String").annotate(Annotation::write_only()),
                )
                .property(
                    PropertyDef::new("secrets", "Collection(Edm.String)")
                        .annotate(Annotation::write_only()),
                )
                .navigation(NavigationDef::new("owner", "tns.item"))
                .navigation(NavigationDef::new("parts", "Collection(tns.item)")),
        )
        .entity_type(
            EntityTypeDef::new("special")
                .base("tns.item")
                .property(PropertyDef::new("extra", "Edm.String"))
                .property(PropertyDef::new("level", "Edm.Int32")),
        )
        .entity_type(EntityTypeDef::new("other").base("tns.item"))
        .entity_type(
            EntityTypeDef::new("unrelated")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null()),
        )
        .action(ActionDef::new("reset").bound_to("bindingParameter", "tns.item"))
        .entity_set("items", "tns.item")
        .build()
        .expect("valid test model")
}

/// The instant `now()` binds to in tests.
pub(crate) fn now() -> DateTimeOffset {
    DateTimeOffset::parse("2024-06-01T12:00:00Z").unwrap()
}

/// A context over `model()`'s `item` collection.
pub(crate) fn ctx<'a>(model: &'a Model, aliases: &'a IndexMap<String, Expr>) -> BindContext<'a> {
    BindContext {
        model,
        entity_type: model.find_entity_type("tns.item").unwrap(),
        aliases,
        now: now(),
        limits: ParseLimits::default(),
    }
}
