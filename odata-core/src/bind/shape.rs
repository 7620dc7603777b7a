//! Synthetic entity types for the intermediate results of `$apply`: after `groupby`,
//! `aggregate` or `compute`, expressions refer to the result's properties (grouping
//! properties, aliases), which the binder resolves against a type made for that result.

use indexmap::IndexMap;

use crate::edm::{EntityType, EntityTypeId, Model, Property};

/// `model` with one more entity type, `name`, whose structural properties are
/// `properties` (no key, no navigation). Enumeration and complex types the properties
/// refer to keep their ids, so bound values mean the same in both models.
///
/// ```
/// use odata_core::bind::shape_model;
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PrimitiveKind, Property, PropertyDef, TypeKind, TypeRef};
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(EntityTypeDef::new("t").key(["id"]).property(PropertyDef::new("id", "Edm.String").not_null()))
///     .build()
///     .unwrap();
/// let total = Property {
///     name: "total".into(),
///     type_ref: TypeRef {
///         kind: TypeKind::Primitive(PrimitiveKind::Int64),
///         collection: false,
///         nullable: true,
///         max_length: None,
///         precision: None,
///         scale: None,
///         unicode: None,
///         srid: None,
///     },
///     annotations: Vec::new(),
/// };
/// let (shaped, id) = shape_model(&model, "result", vec![total]);
/// assert!(shaped.entity_type(id).property("total").is_some());
/// ```
pub fn shape_model(model: &Model, name: &str, properties: Vec<Property>) -> (Model, EntityTypeId) {
    let mut out = model.clone();
    let id = EntityTypeId(out.entity_types.len());
    let map: IndexMap<String, Property> = properties
        .iter()
        .map(|p| (p.name.clone(), p.clone()))
        .collect();
    out.entity_types.push(EntityType {
        name: name.to_owned(),
        qualified_name: name.to_owned(),
        base: None,
        is_abstract: false,
        is_open: false,
        key: Vec::new(),
        declares_key: false,
        declared_properties: properties,
        declared_navigation: Vec::new(),
        annotations: Vec::new(),
        derived: Vec::new(),
        properties: map,
        navigation: IndexMap::new(),
    });
    (out, id)
}
