//! Entity types, complex types and their properties.

use indexmap::IndexMap;

use super::annotation::{Annotation, AnnotationValue, has_term};
use super::types::TypeRef;
use super::{ComplexTypeId, EntityTypeId};

/// A structural property of an entity or complex type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Property name, case-sensitive.
    pub name: String,
    /// Its type and facets.
    pub type_ref: TypeRef,
    /// Annotations such as `Core.Description` or `Core.Computed`.
    pub annotations: Vec<Annotation>,
}

impl Property {
    /// True when the service computes the value (`Core.Computed`).
    pub fn is_computed(&self) -> bool {
        has_term(&self.annotations, "Computed", &AnnotationValue::Bool(true))
    }

    /// True when clients may not write the value (`Core.Computed` or `Core.Permissions/Read`).
    pub fn is_read_only(&self) -> bool {
        self.is_computed()
            || has_term(
                &self.annotations,
                "Permissions",
                &AnnotationValue::EnumMember("Org.OData.Core.V1.Permission/Read".into()),
            )
    }

    /// True when the value is accepted on writes but never returned (`Core.Permissions/Write`).
    pub fn is_write_only(&self) -> bool {
        has_term(
            &self.annotations,
            "Permissions",
            &AnnotationValue::EnumMember("Org.OData.Core.V1.Permission/Write".into()),
        )
    }

    /// The media type of the value (`Core.MediaType`), for a Binary property.
    pub fn media_type(&self) -> Option<&str> {
        self.annotations.iter().find_map(|a| match &a.value {
            AnnotationValue::String(media_type)
                if a.term.strip_prefix(super::annotation::CORE) == Some(".MediaType") =>
            {
                Some(media_type.as_str())
            }
            _ => None,
        })
    }

    /// True when the value may be set on create only (`Core.Immutable`).
    pub fn is_immutable(&self) -> bool {
        has_term(&self.annotations, "Immutable", &AnnotationValue::Bool(true))
    }
}

/// A navigation property: a relationship to another entity type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavigationProperty {
    /// Property name.
    pub name: String,
    /// The entity type on the other side.
    pub target: EntityTypeId,
    /// Collection-valued (`Collection(T)`) or single-valued.
    pub collection: bool,
    /// Whether a single-valued navigation may be absent.
    pub nullable: bool,
    /// Containment: the targets live inside the source entity.
    pub contains_target: bool,
    /// The partner navigation property on the target type, if any.
    pub partner: Option<String>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

/// A stream property (`Edm.Stream`): binary data with its own media type, stored with the
/// entity but read and written at its own URL (`…/{key}/{name}`), never in the entity's
/// JSON representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamProperty {
    /// Property name.
    pub name: String,
    /// Annotations such as `Core.AcceptableMediaTypes`.
    pub annotations: Vec<Annotation>,
}

/// An entity type, with its inherited members already flattened in.
#[derive(Debug, Clone)]
pub struct EntityType {
    /// Unqualified name.
    pub name: String,
    /// Qualified name (`namespace.name`).
    pub qualified_name: String,
    /// Base type, if any.
    pub base: Option<EntityTypeId>,
    /// Abstract types cannot be instantiated.
    pub is_abstract: bool,
    /// Open types accept dynamic properties.
    pub is_open: bool,
    /// A media entity type (`HasStream="true"`, declared here or inherited): each entity
    /// has a media stream, read and written at `…/{key}/$value`.
    pub has_stream: bool,
    /// Whether this type declares `HasStream` itself (CSDL writes it only there).
    pub declares_stream: bool,
    /// The key property names, declared here or inherited.
    pub key: Vec<String>,
    /// Whether this type declares the key itself (CSDL writes `<Key>` only there).
    pub declares_key: bool,
    /// Properties declared on this type (not inherited), in declaration order.
    pub declared_properties: Vec<Property>,
    /// Navigation properties declared on this type.
    pub declared_navigation: Vec<NavigationProperty>,
    /// Stream properties (`Edm.Stream`) declared on this type, in declaration order.
    pub declared_stream_properties: Vec<StreamProperty>,
    /// Annotations on the type.
    pub annotations: Vec<Annotation>,
    /// Direct subtypes.
    pub derived: Vec<EntityTypeId>,
    pub(crate) properties: IndexMap<String, Property>,
    pub(crate) navigation: IndexMap<String, NavigationProperty>,
    pub(crate) stream_properties: IndexMap<String, StreamProperty>,
}

impl EntityType {
    /// All structural properties, inherited ones first, in declaration order.
    pub fn properties(&self) -> impl ExactSizeIterator<Item = &Property> {
        self.properties.values()
    }

    /// A structural property by name (own or inherited).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.get(name)
    }

    /// Index of a property in [`EntityType::properties`] order.
    pub fn property_index(&self, name: &str) -> Option<usize> {
        self.properties.get_index_of(name)
    }

    /// All navigation properties, inherited ones first.
    pub fn navigation_properties(&self) -> impl ExactSizeIterator<Item = &NavigationProperty> {
        self.navigation.values()
    }

    /// A navigation property by name (own or inherited).
    pub fn navigation_property(&self, name: &str) -> Option<&NavigationProperty> {
        self.navigation.get(name)
    }

    /// All stream properties, inherited ones first.
    pub fn stream_properties(&self) -> impl ExactSizeIterator<Item = &StreamProperty> {
        self.stream_properties.values()
    }

    /// A stream property by name (own or inherited).
    pub fn stream_property(&self, name: &str) -> Option<&StreamProperty> {
        self.stream_properties.get(name)
    }
}

/// A complex type, with its inherited properties already flattened in.
#[derive(Debug, Clone)]
pub struct ComplexType {
    /// Unqualified name.
    pub name: String,
    /// Qualified name.
    pub qualified_name: String,
    /// Base type, if any.
    pub base: Option<ComplexTypeId>,
    /// Abstract complex types need a concrete `@odata.type` in payloads.
    pub is_abstract: bool,
    /// Open types accept dynamic properties.
    pub is_open: bool,
    /// Properties declared here.
    pub declared_properties: Vec<Property>,
    /// Annotations on the type.
    pub annotations: Vec<Annotation>,
    /// Direct subtypes.
    pub derived: Vec<ComplexTypeId>,
    pub(crate) properties: IndexMap<String, Property>,
}

impl ComplexType {
    /// All properties, inherited ones first.
    pub fn properties(&self) -> impl ExactSizeIterator<Item = &Property> {
        self.properties.values()
    }

    /// A property by name (own or inherited).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.get(name)
    }
}
