//! The entity data model: types, containers, actions and annotations.
//!
//! A model is declared with [`ModelBuilder`] using CSDL type names and resolved once into a
//! [`Model`] whose cross references are plain indices, so request handling never looks a
//! type up by string twice.

mod action;
mod annotation;
mod builder;
mod container;
mod enums;
mod structured;
mod types;

use std::collections::BTreeMap;

pub use action::{Action, Parameter};
pub use annotation::{
    Annotation, AnnotationValue, CAPABILITIES, CORE, ExternalAnnotations, PropertyValue,
};
pub use builder::{
    ActionDef, ComplexTypeDef, EntityTypeDef, EnumTypeDef, ModelBuilder, ModelError, NavigationDef,
    PropertyDef,
};
pub use container::{EntityContainer, EntitySet, FunctionImport, Singleton};
pub use enums::{EnumMember, EnumType};
pub use structured::{ComplexType, EntityType, NavigationProperty, Property};
pub use types::{PrimitiveKind, SpatialFamily, SpatialShape, TypeKind, TypeRef};

/// Index of an entity type in its [`Model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityTypeId(pub usize);

/// Index of a complex type in its [`Model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComplexTypeId(pub usize);

/// Index of an enumeration type in its [`Model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumTypeId(pub usize);

/// A resolved, validated entity data model (one schema).
#[derive(Debug, Clone)]
pub struct Model {
    /// Schema namespace, e.g. `microsoft.graph`.
    pub namespace: String,
    /// Schema alias, e.g. `graph`.
    pub alias: Option<String>,
    /// Entity types in declaration order.
    pub entity_types: Vec<EntityType>,
    /// Complex types in declaration order.
    pub complex_types: Vec<ComplexType>,
    /// Enumeration types in declaration order.
    pub enum_types: Vec<EnumType>,
    /// Actions in declaration order.
    pub actions: Vec<Action>,
    /// Functions in declaration order (declared like actions, with a return type).
    pub functions: Vec<Action>,
    /// The entity container.
    pub container: EntityContainer,
    /// Annotations applied from outside their targets, in document order.
    pub external_annotations: Vec<ExternalAnnotations>,
    names: BTreeMap<String, TypeKind>,
}

impl Model {
    /// The entity type with this id.
    pub fn entity_type(&self, id: EntityTypeId) -> &EntityType {
        &self.entity_types[id.0]
    }

    /// The complex type with this id.
    pub fn complex_type(&self, id: ComplexTypeId) -> &ComplexType {
        &self.complex_types[id.0]
    }

    /// The enumeration type with this id.
    pub fn enum_type(&self, id: EnumTypeId) -> &EnumType {
        &self.enum_types[id.0]
    }

    /// Resolves a type name: unqualified, namespace- or alias-qualified (`graph.x`).
    pub fn find_type(&self, name: &str) -> Option<TypeKind> {
        if let Some(p) = PrimitiveKind::from_name(name) {
            return Some(TypeKind::Primitive(p));
        }
        let local = match name.rsplit_once('.') {
            Some((ns, local)) if ns == self.namespace || Some(ns) == self.alias.as_deref() => local,
            Some(_) => return None,
            None => name,
        };
        self.names.get(local).copied()
    }

    /// Resolves an entity type name.
    pub fn find_entity_type(&self, name: &str) -> Option<EntityTypeId> {
        match self.find_type(name)? {
            TypeKind::Entity(id) => Some(id),
            _ => None,
        }
    }

    /// Resolves a complex type name.
    pub fn find_complex_type(&self, name: &str) -> Option<ComplexTypeId> {
        match self.find_type(name)? {
            TypeKind::Complex(id) => Some(id),
            _ => None,
        }
    }

    /// True when `ty` is `ancestor` or derives from it.
    pub fn entity_derives_from(&self, ty: EntityTypeId, ancestor: EntityTypeId) -> bool {
        let mut cur = Some(ty);
        while let Some(id) = cur {
            if id == ancestor {
                return true;
            }
            cur = self.entity_type(id).base;
        }
        false
    }

    /// True when `ty` is `ancestor` or derives from it.
    pub fn complex_derives_from(&self, ty: ComplexTypeId, ancestor: ComplexTypeId) -> bool {
        let mut cur = Some(ty);
        while let Some(id) = cur {
            if id == ancestor {
                return true;
            }
            cur = self.complex_type(id).base;
        }
        false
    }

    /// `ty` and every type derived from it, directly or not, `ty` first.
    pub fn entity_type_and_subtypes(&self, ty: EntityTypeId) -> Vec<EntityTypeId> {
        let mut out = vec![ty];
        let mut i = 0;
        while i < out.len() {
            out.extend(self.entity_type(out[i]).derived.iter().copied());
            i += 1;
        }
        out
    }

    /// The qualified name of any type kind (`Edm.String`, `microsoft.graph.x`).
    pub fn type_name(&self, kind: TypeKind) -> &str {
        match kind {
            TypeKind::Primitive(p) => p.name(),
            TypeKind::Enum(id) => &self.enum_type(id).qualified_name,
            TypeKind::Complex(id) => &self.complex_type(id).qualified_name,
            TypeKind::Entity(id) => &self.entity_type(id).qualified_name,
        }
    }

    /// CSDL spelling of a type reference, e.g. `Collection(microsoft.graph.x)`.
    pub fn type_ref_name(&self, type_ref: &TypeRef) -> String {
        let name = self.type_name(type_ref.kind);
        if type_ref.collection {
            format!("Collection({name})")
        } else {
            name.to_owned()
        }
    }

    /// An entity set by name.
    pub fn entity_set(&self, name: &str) -> Option<&EntitySet> {
        self.container.entity_sets.iter().find(|s| s.name == name)
    }

    /// A singleton by name.
    pub fn singleton(&self, name: &str) -> Option<&Singleton> {
        self.container.singletons.iter().find(|s| s.name == name)
    }

    /// Actions bound to the given entity type (or one of its ancestors) by name, accepting
    /// the qualified or the unqualified name.
    pub fn bound_action(&self, ty: EntityTypeId, collection: bool, name: &str) -> Option<&Action> {
        self.bound_operation(&self.actions, ty, collection, name)
    }

    /// The function `name` (qualified or not) bound to `ty` (or a base type of it), or to a
    /// collection of it.
    pub fn bound_function(
        &self,
        ty: EntityTypeId,
        collection: bool,
        name: &str,
    ) -> Option<&Action> {
        self.bound_operation(&self.functions, ty, collection, name)
    }

    /// The function import `name` and the unbound function it exposes.
    pub fn function_import(&self, name: &str) -> Option<(&FunctionImport, &Action)> {
        let import = self
            .container
            .function_imports
            .iter()
            .find(|i| i.name == name)?;
        Some((import, self.functions.get(import.function)?))
    }

    fn bound_operation<'m>(
        &self,
        operations: &'m [Action],
        ty: EntityTypeId,
        collection: bool,
        name: &str,
    ) -> Option<&'m Action> {
        let local = name
            .strip_prefix(self.namespace.as_str())
            .or_else(|| self.alias.as_deref().and_then(|a| name.strip_prefix(a)))
            .and_then(|r| r.strip_prefix('.'))
            .unwrap_or(name);
        operations.iter().find(|a| {
            a.name == local
                && a.binding_parameter().is_some_and(|p| {
                    p.type_ref.collection == collection
                        && matches!(p.type_ref.kind, TypeKind::Entity(b) if self.entity_derives_from(ty, b))
                })
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn shop() -> ModelBuilder {
        ModelBuilder::new("example.shop")
            .alias("shop")
            .enum_type(
                EnumTypeDef::new("color")
                    .member("red", 0)
                    .member("green", 1),
            )
            .entity_type(
                EntityTypeDef::new("base")
                    .abstract_type()
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .entity_type(
                EntityTypeDef::new("product")
                    .base("shop.base")
                    .property(PropertyDef::new("color", "example.shop.color").not_null())
                    .navigation(NavigationDef::new("related", "Collection(shop.product)")),
            )
            .entity_type(EntityTypeDef::new("special").base("product"))
            .entity_set("products", "shop.product")
    }

    #[test]
    fn resolves_inheritance_keys_and_names() {
        let m = shop().build().expect("valid model");
        let product = m.find_entity_type("shop.product").expect("product");
        let special = m.find_entity_type("example.shop.special").expect("special");
        assert_eq!(m.entity_type(special).key, ["id"]);
        assert!(m.entity_type(special).property("color").is_some());
        assert!(m.entity_derives_from(special, product));
        assert!(!m.entity_derives_from(product, special));
        let base = m.find_entity_type("base").expect("base");
        assert_eq!(
            m.entity_type_and_subtypes(base),
            vec![base, product, special]
        );
        assert_eq!(m.find_type("other.ns.product"), None);
    }

    #[test]
    fn rejects_unknown_types_and_missing_keys() {
        let err = shop()
            .entity_type(EntityTypeDef::new("x").property(PropertyDef::new("a", "shop.nope")))
            .build()
            .unwrap_err();
        assert!(matches!(err, ModelError::UnknownType { ref name, .. } if name == "shop.nope"));
        let err = shop()
            .entity_type(EntityTypeDef::new("nokey"))
            .build()
            .unwrap_err();
        assert_eq!(err, ModelError::MissingKey("nokey".into()));
    }

    #[test]
    fn rejects_inheritance_cycles() {
        let err = ModelBuilder::new("n")
            .entity_type(EntityTypeDef::new("a").base("b"))
            .entity_type(EntityTypeDef::new("b").base("a"))
            .build()
            .unwrap_err();
        assert!(matches!(err, ModelError::InheritanceCycle(_)));
    }

    #[test]
    fn enum_values_parse_and_format() {
        let m = shop().build().expect("valid");
        let TypeKind::Enum(id) = m.find_type("shop.color").expect("color") else {
            panic!("not an enum")
        };
        let e = m.enum_type(id);
        assert_eq!(e.parse_value("green"), Some(1));
        assert_eq!(e.parse_value("1"), Some(1));
        assert_eq!(e.parse_value("Green"), None);
        assert_eq!(e.parse_value("7"), None);
        assert_eq!(e.format_value(0).as_deref(), Some("red"));
    }
}
