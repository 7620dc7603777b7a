//! Synthetic entity types for the intermediate results of `$apply`: after `groupby`,
//! `aggregate` or `compute`, expressions refer to the result's properties (grouping
//! properties, aliases), which the binder resolves against a type made for that result.

use indexmap::IndexMap;

use crate::edm::{
    ComplexType, ComplexTypeId, EntityType, EntityTypeId, Model, Property, TypeKind, TypeRef,
};

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
/// let total = Property::new("total", TypeRef::of(TypeKind::Primitive(PrimitiveKind::Int64)));
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
        has_stream: false,
        declares_stream: false,
        key: Vec::new(),
        declares_key: false,
        declared_properties: properties,
        declared_navigation: Vec::new(),
        declared_stream_properties: Vec::new(),
        annotations: Vec::new(),
        derived: Vec::new(),
        properties: map,
        navigation: IndexMap::new(),
        stream_properties: IndexMap::new(),
    });
    (out, id)
}

/// Like [`shape_model`], for results whose properties nest: a property named with a path
/// (`Category/Name`, `D/Description`) is a member of a synthetic complex property named
/// after the path's first segment (`Category`, `D`), so expressions reach it as they
/// would a member of a complex property (`Category/Name eq 'x'`); a property named like
/// such a prefix is replaced by the complex property. With `base`, the type also has the
/// navigation properties of that entity type (for results whose rows still are that
/// type's instances, with values added).
///
/// ```
/// use odata_core::bind::nested_shape_model;
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PrimitiveKind, Property, PropertyDef, TypeKind, TypeRef};
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(EntityTypeDef::new("t").key(["id"]).property(PropertyDef::new("id", "Edm.String").not_null()))
///     .build()
///     .unwrap();
/// let text = TypeRef::of(TypeKind::Primitive(PrimitiveKind::String));
/// let properties = vec![Property::new("id", text.clone()), Property::new("d/name", text)];
/// let (shaped, id) = nested_shape_model(&model, "result", None, properties);
/// let d = shaped.entity_type(id).property("d").unwrap();
/// let TypeKind::Complex(c) = d.type_ref.kind else { panic!() };
/// assert!(shaped.complex_type(c).property("name").is_some());
/// assert!(shaped.entity_type(id).property("d/name").is_none());
/// ```
pub fn nested_shape_model(
    model: &Model,
    name: &str,
    base: Option<EntityTypeId>,
    properties: Vec<Property>,
) -> (Model, EntityTypeId) {
    let mut out = model.clone();
    let members = nest_members(&mut out, name, "", &properties);
    let id = EntityTypeId(out.entity_types.len());
    let map: IndexMap<String, Property> = members
        .iter()
        .map(|p| (p.name.clone(), p.clone()))
        .collect();
    let (declared_navigation, navigation) = match base {
        Some(b) => {
            let ty = model.entity_type(b);
            (
                ty.navigation_properties().cloned().collect(),
                ty.navigation.clone(),
            )
        }
        None => (Vec::new(), IndexMap::new()),
    };
    out.entity_types.push(EntityType {
        name: name.to_owned(),
        qualified_name: name.to_owned(),
        base: None,
        is_abstract: false,
        is_open: false,
        has_stream: false,
        declares_stream: false,
        key: Vec::new(),
        declares_key: false,
        declared_properties: members,
        declared_navigation,
        declared_stream_properties: Vec::new(),
        annotations: Vec::new(),
        derived: Vec::new(),
        properties: map,
        navigation,
        stream_properties: IndexMap::new(),
    });
    (out, id)
}

/// The members of the type at `prefix` (`""`: the entity type): the properties named
/// without a further `/`, and a complex property per further segment, whose synthetic type
/// is added to `out` first.
fn nest_members(
    out: &mut Model,
    name: &str,
    prefix: &str,
    properties: &[Property],
) -> Vec<Property> {
    // A declared complex property (an entity's, kept whole) stays what it is: paths below
    // it (`settings/amount` of a groupby concatenated with entities) read through it.
    let complex = |name: &str| {
        properties.iter().any(|p| {
            p.name.strip_prefix(prefix) == Some(name)
                && matches!(p.type_ref.kind, TypeKind::Complex(_))
        })
    };
    let mut heads: Vec<&str> = Vec::new();
    for p in properties {
        if let Some(rest) = p.name.strip_prefix(prefix)
            && let Some((head, _)) = rest.split_once('/')
            && !heads.contains(&head)
            && !complex(head)
        {
            heads.push(head);
        }
    }
    let mut members = Vec::new();
    for p in properties {
        let Some(rest) = p.name.strip_prefix(prefix) else {
            continue;
        };
        if rest.contains('/') {
            if let Some((head, _)) = rest.split_once('/')
                && !complex(head)
                && !members.iter().any(|m: &Property| m.name == head)
            {
                let inner_prefix = format!("{prefix}{head}/");
                let inner = nest_members(out, name, &inner_prefix, properties);
                let id = ComplexTypeId(out.complex_types.len());
                let qualified = format!(
                    "{name}.{}",
                    inner_prefix.trim_end_matches('/').replace('/', ".")
                );
                out.complex_types.push(ComplexType {
                    name: qualified.clone(),
                    qualified_name: qualified,
                    base: None,
                    is_abstract: false,
                    is_open: false,
                    declared_properties: inner.clone(),
                    annotations: Vec::new(),
                    derived: Vec::new(),
                    properties: inner.into_iter().map(|m| (m.name.clone(), m)).collect(),
                });
                members.push(Property::new(head, TypeRef::of(TypeKind::Complex(id))));
            }
        } else if !heads.contains(&rest) && !members.iter().any(|m| m.name == rest) {
            let mut member = p.clone();
            member.name = rest.to_owned();
            members.push(member);
        }
    }
    members
}
