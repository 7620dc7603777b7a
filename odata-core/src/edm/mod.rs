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
mod typedef;
mod types;

use std::collections::BTreeMap;

pub use action::{Action, Parameter, select_overload};
pub use annotation::{
    Annotation, AnnotationValue, CAPABILITIES, CORE, ExternalAnnotations, PropertyValue,
};
pub use builder::{
    ActionDef, ComplexTypeDef, EntityTypeDef, EnumTypeDef, ModelBuilder, ModelError, NavigationDef,
    PropertyDef, TypeDefinitionDef,
};
pub use container::{ActionImport, EntityContainer, EntitySet, FunctionImport, Singleton};
pub use enums::{EnumMember, EnumType};
pub use structured::{
    ComplexType, EntityType, NavigationProperty, OnDeleteAction, Property, ReferentialConstraint,
    StreamProperty,
};
pub use typedef::TypeDefinition;
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

/// Index of a type definition in its [`Model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeDefinitionId(pub usize);

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
    /// Type definitions in declaration order.
    pub type_definitions: Vec<TypeDefinition>,
    /// Actions in declaration order.
    pub actions: Vec<Action>,
    /// Functions in declaration order (declared like actions, with a return type).
    pub functions: Vec<Action>,
    /// The entity container.
    pub container: EntityContainer,
    /// Annotations applied from outside their targets, in document order.
    pub external_annotations: Vec<ExternalAnnotations>,
    /// Annotations of the schema itself (`Core.SchemaVersion`).
    pub annotations: Vec<Annotation>,
    names: BTreeMap<String, TypeKind>,
}

impl Model {
    /// The schema's version, from its `Core.SchemaVersion` annotation
    /// ([`Annotation::schema_version`]); `None` when it declares none.
    pub fn schema_version(&self) -> Option<&str> {
        self.annotations.iter().find_map(|a| match &a.value {
            AnnotationValue::String(version) if a.term == annotation::SCHEMA_VERSION => {
                Some(version.as_str())
            }
            _ => None,
        })
    }

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

    /// The type definition with this id.
    pub fn type_definition(&self, id: TypeDefinitionId) -> &TypeDefinition {
        &self.type_definitions[id.0]
    }

    /// Resolves a type name: unqualified, namespace- or alias-qualified (`graph.x`). A
    /// type definition resolves to its underlying primitive type.
    ///
    /// A name qualified with anything else (another namespace, an unknown alias) still
    /// resolves when its last segment names a type of the model, because clients copy type
    /// names between services and aliases: `other.ns.product` means `shop.product`. Only
    /// `Edm.` names are never taken for model types.
    pub fn find_type(&self, name: &str) -> Option<TypeKind> {
        if let Some(p) = PrimitiveKind::from_name(name) {
            return Some(TypeKind::Primitive(p));
        }
        let local = match name.rsplit_once('.') {
            Some(("Edm", _)) => return None,
            Some((_, local)) => local,
            None => name,
        };
        self.names.get(local).copied()
    }

    /// Resolves the name of a type definition (qualified as [`Model::find_type`] allows).
    pub fn find_type_definition(&self, name: &str) -> Option<TypeDefinitionId> {
        let local = name.rsplit_once('.').map_or(name, |(_, local)| local);
        self.type_definitions
            .iter()
            .position(|t| t.name == local)
            .map(TypeDefinitionId)
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

    /// CSDL spelling of a type reference, e.g. `Collection(microsoft.graph.x)`; a type
    /// definition by its own name.
    pub fn type_ref_name(&self, type_ref: &TypeRef) -> String {
        let name = match type_ref.definition {
            Some(id) => &self.type_definition(id).qualified_name,
            None => self.type_name(type_ref.kind),
        };
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
    /// the qualified or the unqualified name. The most specific binding wins: an action
    /// bound to `ty` itself before one bound to a base type.
    pub fn bound_action(&self, ty: EntityTypeId, collection: bool, name: &str) -> Option<&Action> {
        self.bound_operations(&self.actions, ty, collection, name)
            .into_iter()
            .next()
    }

    /// The function `name` (qualified or not) bound to `ty` (or a base type of it), or to a
    /// collection of it: the first overload (see [`Model::bound_functions`] for all).
    pub fn bound_function(
        &self,
        ty: EntityTypeId,
        collection: bool,
        name: &str,
    ) -> Option<&Action> {
        self.bound_functions(ty, collection, name)
            .into_iter()
            .next()
    }

    /// Every overload of the function `name` (qualified or not) bound to `ty` or a base
    /// type of it (or to a collection of it), those bound to the most specific type first.
    pub fn bound_functions(&self, ty: EntityTypeId, collection: bool, name: &str) -> Vec<&Action> {
        self.bound_operations(&self.functions, ty, collection, name)
    }

    /// Every overload of the unbound function `name` (qualified or not).
    pub fn unbound_functions(&self, name: &str) -> Vec<&Action> {
        let local = self.local_name(name);
        self.functions
            .iter()
            .filter(|f| !f.is_bound && f.name == local)
            .collect()
    }

    /// The function import `name` and the unbound function it exposes (its first
    /// overload; [`Model::unbound_functions`] gives all).
    pub fn function_import(&self, name: &str) -> Option<(&FunctionImport, &Action)> {
        let import = self
            .container
            .function_imports
            .iter()
            .find(|i| i.name == name)?;
        Some((import, self.functions.get(import.function)?))
    }

    /// The action import `name` and the unbound action it exposes.
    pub fn action_import(&self, name: &str) -> Option<(&ActionImport, &Action)> {
        let import = self
            .container
            .action_imports
            .iter()
            .find(|i| i.name == name)?;
        Some((import, self.actions.get(import.action)?))
    }

    /// `name` without this schema's namespace or alias prefix.
    fn local_name<'n>(&self, name: &'n str) -> &'n str {
        name.strip_prefix(self.namespace.as_str())
            .and_then(|r| r.strip_prefix('.'))
            .or_else(|| {
                self.alias
                    .as_deref()
                    .and_then(|a| name.strip_prefix(a))
                    .and_then(|r| r.strip_prefix('.'))
            })
            .unwrap_or(name)
    }

    fn bound_operations<'m>(
        &self,
        operations: &'m [Action],
        ty: EntityTypeId,
        collection: bool,
        name: &str,
    ) -> Vec<&'m Action> {
        let local = self.local_name(name);
        let mut found: Vec<(usize, &Action)> = operations
            .iter()
            .filter(|a| a.name == local)
            .filter_map(|a| {
                let p = a.binding_parameter()?;
                match p.type_ref.kind {
                    TypeKind::Entity(b)
                        if p.type_ref.collection == collection
                            && self.entity_derives_from(ty, b) =>
                    {
                        Some((self.inheritance_distance(ty, b), a))
                    }
                    _ => None,
                }
            })
            .collect();
        // Stable: overloads of one binding type keep their declaration order.
        found.sort_by_key(|(distance, _)| *distance);
        found.into_iter().map(|(_, a)| a).collect()
    }

    /// How many base-type steps lead from `ty` to `base` (which it derives from).
    fn inheritance_distance(&self, ty: EntityTypeId, base: EntityTypeId) -> usize {
        let mut steps = 0;
        let mut current = Some(ty);
        while let Some(t) = current {
            if t == base {
                break;
            }
            steps += 1;
            current = self.entity_type(t).base;
        }
        steps
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
        assert_eq!(
            m.find_type("other.ns.product"),
            Some(TypeKind::Entity(product))
        );
        assert_eq!(m.find_type("Edm.product"), None);
        assert_eq!(m.find_type("other.ns.nothing"), None);
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

    #[test]
    fn flags_values_are_covered_combinations_written_in_value_order() {
        let m = ModelBuilder::new("ns")
            .enum_type(
                EnumTypeDef::new("f")
                    .flags()
                    .member("none", 0)
                    .member("d", 8)
                    .member("a", 1)
                    .member("b", 2),
            )
            .build()
            .expect("valid");
        let TypeKind::Enum(id) = m.find_type("ns.f").expect("f") else {
            panic!("not an enum")
        };
        let e = m.enum_type(id);
        assert_eq!(e.parse_value("d,a"), Some(9));
        assert_eq!(e.parse_value("a, d"), Some(9));
        assert_eq!(e.parse_value("9"), Some(9));
        assert_eq!(e.parse_value("none"), Some(0));
        assert_eq!(e.parse_value("4"), None, "bit 4 is no member");
        assert_eq!(e.parse_value("-1"), None);
        assert_eq!(e.parse_value("a,x"), None);
        assert!(e.is_valid_value(11) && !e.is_valid_value(16) && !e.is_valid_value(-1));
        assert_eq!(e.format_value(9).as_deref(), Some("a,d"));
        assert_eq!(e.format_value(11).as_deref(), Some("a,b,d"));
        assert_eq!(e.format_value(0).as_deref(), Some("none"));
        assert_eq!(e.format_value(4), None);
        assert_eq!(e.zero_value(), 0);
    }

    #[test]
    fn type_definitions_resolve_to_their_underlying_type() {
        let m = ModelBuilder::new("ns")
            .alias("a")
            .type_definition(TypeDefinitionDef::new("code", "Edm.String").max_length(4))
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "a.code").not_null())
                    .property(PropertyDef::new("codes", "Collection(ns.code)").max_length(9)),
            )
            .build()
            .expect("valid");
        let t = m.entity_type(m.find_entity_type("t").expect("t"));
        let id = &t.property("id").expect("id").type_ref;
        assert_eq!(id.primitive(), Some(PrimitiveKind::String));
        assert_eq!(id.max_length, Some(4), "the definition's facets");
        assert_eq!(m.type_ref_name(id), "ns.code");
        let codes = &t.property("codes").expect("codes").type_ref;
        assert_eq!(codes.max_length, Some(4), "a use cannot change them");
        assert_eq!(m.type_ref_name(codes), "Collection(ns.code)");
        assert_eq!(
            m.find_type("other.code"),
            Some(TypeKind::Primitive(PrimitiveKind::String))
        );
        assert!(m.find_type_definition("a.code").is_some());
        let err = ModelBuilder::new("ns")
            .type_definition(TypeDefinitionDef::new("x", "Edm.Nope"))
            .build()
            .unwrap_err();
        assert!(matches!(err, ModelError::InvalidUnderlyingType { .. }));
        let err = ModelBuilder::new("ns")
            .type_definition(TypeDefinitionDef::new("t", "Edm.String"))
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .build()
            .unwrap_err();
        assert_eq!(err, ModelError::Duplicate("t".into()));
    }
}
