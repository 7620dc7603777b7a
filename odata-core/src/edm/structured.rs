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
    /// `DefaultValue`: the CSDL literal of the value a create that omits the property
    /// stores, checked against the type when the model is built (see
    /// [`parse_default_value`](crate::json::parse_default_value)).
    pub default_value: Option<String>,
    /// Annotations such as `Core.Description` or `Core.Computed`.
    pub annotations: Vec<Annotation>,
}

impl Property {
    /// A property without facets, default or annotations.
    pub fn new(name: impl Into<String>, type_ref: TypeRef) -> Self {
        Self {
            name: name.into(),
            type_ref,
            default_value: None,
            annotations: Vec::new(),
        }
    }

    /// True when the service computes the value (`Core.Computed`).
    pub fn is_computed(&self) -> bool {
        has_term(&self.annotations, "Computed", is_true)
    }

    /// True when clients may not write the value (`Core.Computed` or `Core.Permissions/Read`).
    pub fn is_read_only(&self) -> bool {
        self.is_computed()
            || has_term(&self.annotations, "Permissions", |v| {
                is_member(v, "Org.OData.Core.V1.Permission/Read")
            })
    }

    /// True when the value is accepted on writes but never returned (`Core.Permissions/Write`).
    pub fn is_write_only(&self) -> bool {
        has_term(&self.annotations, "Permissions", |v| {
            is_member(v, "Org.OData.Core.V1.Permission/Write")
        })
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
        has_term(&self.annotations, "Immutable", is_true)
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
    /// `ReferentialConstraint`s of a single-valued navigation: which of the source type's
    /// properties hold the target's key (a foreign key).
    pub constraints: Vec<ReferentialConstraint>,
    /// `OnDelete`: what deleting the source entity does to the related entities.
    pub on_delete: Option<OnDeleteAction>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
}

impl NavigationProperty {
    /// The source property holding the related entity's key, when the navigation has
    /// exactly one referential constraint.
    pub fn foreign_key(&self) -> Option<&ReferentialConstraint> {
        match self.constraints.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

/// A referential constraint of a single-valued navigation property: the value of
/// `property` (of the source type) is that of `referenced_property` (of the target type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferentialConstraint {
    /// The dependent property, on the navigation's source type.
    pub property: String,
    /// The principal property, on the navigation's target type.
    pub referenced_property: String,
}

/// The `OnDelete` action of a navigation property: what deleting an entity does to the
/// entities it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnDeleteAction {
    /// `Cascade`: the related entities are deleted too.
    Cascade,
    /// `None`: nothing happens to them.
    None,
    /// `SetNull`: their foreign key becomes null.
    SetNull,
    /// `SetDefault`: their foreign key gets its default value.
    SetDefault,
}

impl OnDeleteAction {
    /// The CSDL name (`Cascade`, `None`, `SetNull`, `SetDefault`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Cascade => "Cascade",
            Self::None => "None",
            Self::SetNull => "SetNull",
            Self::SetDefault => "SetDefault",
        }
    }
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

/// A Boolean annotation that is true.
fn is_true(value: &AnnotationValue) -> bool {
    matches!(value, AnnotationValue::Bool(true))
}

/// An enumeration annotation naming `member` (compared without building a value: these
/// are asked for every property of every entity written).
fn is_member(value: &AnnotationValue, member: &str) -> bool {
    matches!(value, AnnotationValue::EnumMember(m) if m == member)
}
