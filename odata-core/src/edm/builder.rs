//! Declaring a model: definitions with type names as CSDL strings, resolved by
//! [`ModelBuilder::build`] into a validated [`Model`].
//!
//! ```
//! use odata_core::edm::{EntityTypeDef, EnumTypeDef, ModelBuilder, PropertyDef};
//!
//! let model = ModelBuilder::new("example.shop")
//!     .alias("shop")
//!     .enum_type(EnumTypeDef::new("color").member("red", 0).member("green", 1))
//!     .entity_type(
//!         EntityTypeDef::new("product")
//!             .key(["sku"])
//!             .property(PropertyDef::new("sku", "Edm.String").not_null())
//!             .property(PropertyDef::new("color", "shop.color").not_null())
//!             .property(PropertyDef::new("tags", "Collection(Edm.String)")),
//!     )
//!     .entity_set("products", "shop.product")
//!     .build()
//!     .unwrap();
//! let product = model.entity_type(model.find_entity_type("product").unwrap());
//! assert_eq!(product.key, ["sku"]);
//! ```

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::action::{Action, Parameter};
use super::annotation::Annotation;
use super::container::{ActionImport, EntityContainer, EntitySet, FunctionImport, Singleton};
use super::enums::{EnumMember, EnumType};
use super::structured::{
    ComplexType, EntityType, NavigationProperty, OnDeleteAction, Property, ReferentialConstraint,
    StreamProperty,
};
use super::typedef::TypeDefinition;
use super::types::{PrimitiveKind, TypeKind, TypeRef};
use super::{ComplexTypeId, EntityTypeId, EnumTypeId, Model, TypeDefinitionId};

/// The type name of stream properties, which are not structural properties of the model.
const STREAM: &str = "Edm.Stream";

/// Why a model could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A type name that names nothing in the model.
    #[error("{used_by}: unknown type '{name}'")]
    UnknownType {
        /// The unresolved name.
        name: String,
        /// Where it was used.
        used_by: String,
    },
    /// Two schema elements with the same name.
    #[error("duplicate name '{0}'")]
    Duplicate(String),
    /// An entity type without a key (own or inherited).
    #[error("entity type '{0}' has no key")]
    MissingKey(String),
    /// A key that names no property, or a nullable/non-primitive one.
    #[error("entity type '{entity}': invalid key property '{property}'")]
    InvalidKey {
        /// The entity type.
        entity: String,
        /// The key property.
        property: String,
    },
    /// A function without a return type.
    #[error("function '{0}' has no return type")]
    NoReturnType(String),
    /// A function import naming no unbound function.
    #[error("function import '{import}': '{function}' is not an unbound function")]
    UnknownFunction {
        /// The import.
        import: String,
        /// The function name as given.
        function: String,
    },
    /// An action import naming no unbound action.
    #[error("action import '{import}': '{action}' is not an unbound action")]
    UnknownAction {
        /// The import.
        import: String,
        /// The action name as given.
        action: String,
    },
    /// An import whose `EntitySet` names no entity set.
    #[error("import '{import}': '{entity_set}' is not an entity set")]
    UnknownImportSet {
        /// The import.
        import: String,
        /// The entity set name as given.
        entity_set: String,
    },
    /// Overloads CSDL forbids: two unbound actions of one name, two bound actions of one
    /// name and binding type, two functions of one name and binding whose non-binding
    /// parameters have the same names, or an action and a function of one name.
    #[error("operation '{name}': {reason}")]
    Overload {
        /// The operation name.
        name: String,
        /// What clashes.
        reason: String,
    },
    /// A base type chain that loops.
    #[error("type '{0}' inherits from itself")]
    InheritanceCycle(String),
    /// A referential constraint that does not pair a property of the source type with
    /// one of the target type of the same primitive type, or one on a collection-valued
    /// navigation property.
    #[error("type '{ty}': navigation property '{navigation}': {reason}")]
    InvalidConstraint {
        /// The source type.
        ty: String,
        /// The navigation property.
        navigation: String,
        /// What is wrong.
        reason: String,
    },
    /// A `DefaultValue` that is no value of its property's type.
    #[error("{property}: invalid DefaultValue '{value}': {reason}")]
    InvalidDefault {
        /// `type/property`.
        property: String,
        /// The literal as declared.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A type definition whose underlying type is not a primitive type.
    #[error("type definition '{name}': '{underlying}' is not a primitive type")]
    InvalidUnderlyingType {
        /// The type definition.
        name: String,
        /// The declared underlying type.
        underlying: String,
    },
    /// A navigation property binding whose set, target or navigation property is unknown.
    #[error("entity set '{set}': navigation property binding '{path}': {reason}")]
    InvalidBinding {
        /// The entity set.
        set: String,
        /// The binding's path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A property name repeated within a type hierarchy.
    #[error("type '{ty}': property '{property}' declared twice")]
    DuplicateProperty {
        /// The type.
        ty: String,
        /// The property.
        property: String,
    },
}

/// A property declaration.
#[derive(Debug, Clone)]
pub struct PropertyDef {
    name: String,
    type_name: String,
    nullable: bool,
    max_length: Option<u32>,
    precision: Option<u32>,
    scale: Option<u32>,
    unicode: Option<bool>,
    default_value: Option<String>,
    srid: Option<u32>,
    annotations: Vec<Annotation>,
}

impl PropertyDef {
    /// A nullable property of the named type: `Edm.String`, `ns.enumType`,
    /// `Collection(Edm.String)`, with the namespace or its alias, or unqualified.
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            type_name: type_name.into(),
            nullable: true,
            max_length: None,
            precision: None,
            scale: None,
            unicode: None,
            default_value: None,
            srid: None,
            annotations: Vec::new(),
        }
    }

    /// `DefaultValue`: the value, as a CSDL literal (`0`, `None` for an enum member,
    /// `""` for the empty string), that a create which omits the property stores and a
    /// replacement (PUT) resets it to. [`ModelBuilder::build`] checks it against the type.
    ///
    /// ```
    /// use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
    ///
    /// let model = ModelBuilder::new("ns")
    ///     .entity_type(EntityTypeDef::new("t").key(["id"])
    ///         .property(PropertyDef::new("id", "Edm.Int32").not_null())
    ///         .property(PropertyDef::new("rating", "Edm.Byte").not_null().default_value("0")))
    ///     .build().unwrap();
    /// let t = model.entity_type(model.find_entity_type("t").unwrap());
    /// assert_eq!(t.property("rating").unwrap().default_value.as_deref(), Some("0"));
    /// assert!(ModelBuilder::new("ns")
    ///     .entity_type(EntityTypeDef::new("t").key(["id"])
    ///         .property(PropertyDef::new("id", "Edm.Int32").not_null())
    ///         .property(PropertyDef::new("rating", "Edm.Byte").default_value("256")))
    ///     .build().is_err());
    /// ```
    pub fn default_value(mut self, literal: impl Into<String>) -> Self {
        self.default_value = Some(literal.into());
        self
    }

    /// `Nullable="false"`.
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// `MaxLength` facet.
    pub fn max_length(mut self, n: u32) -> Self {
        self.max_length = Some(n);
        self
    }

    /// `Precision` and `Scale` facets.
    pub fn precision(mut self, precision: u32, scale: Option<u32>) -> Self {
        self.precision = Some(precision);
        self.scale = scale;
        self
    }

    /// `Unicode` facet.
    pub fn unicode(mut self, unicode: bool) -> Self {
        self.unicode = Some(unicode);
        self
    }

    /// `SRID` facet of a spatial property (`Edm.GeographyPoint` …). Without it values
    /// have the family's default SRID (4326 for geography, 0 for geometry) and
    /// `$metadata` states no facet.
    pub fn srid(mut self, srid: u32) -> Self {
        self.srid = Some(srid);
        self
    }

    /// Adds an annotation.
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }

    /// Shorthand for `Core.Description`.
    pub fn description(self, text: impl Into<String>) -> Self {
        self.annotate(Annotation::description(text))
    }

    /// Marks an operation parameter `Core.OptionalParameter`: a call may leave it out.
    pub fn optional_parameter(self) -> Self {
        self.annotate(Annotation::optional_parameter())
    }
}

/// A navigation property declaration.
#[derive(Debug, Clone)]
pub struct NavigationDef {
    name: String,
    type_name: String,
    nullable: bool,
    contains_target: bool,
    partner: Option<String>,
    constraints: Vec<ReferentialConstraint>,
    on_delete: Option<OnDeleteAction>,
    annotations: Vec<Annotation>,
}

impl NavigationDef {
    /// A navigation to `ns.type` (single-valued) or `Collection(ns.type)`.
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            type_name: type_name.into(),
            nullable: true,
            contains_target: false,
            partner: None,
            constraints: Vec::new(),
            on_delete: None,
            annotations: Vec::new(),
        }
    }

    /// A `ReferentialConstraint`: the source type's `property` holds the value of the
    /// target type's `referenced_property` (a foreign key; single-valued navigations only).
    ///
    /// ```
    /// use odata_core::edm::NavigationDef;
    ///
    /// // An order's `customerId` holds the key `id` of its customer.
    /// let customer = NavigationDef::new("customer", "shop.customer").constraint("customerId", "id");
    /// # let _ = customer;
    /// ```
    pub fn constraint(
        mut self,
        property: impl Into<String>,
        referenced_property: impl Into<String>,
    ) -> Self {
        self.constraints.push(ReferentialConstraint {
            property: property.into(),
            referenced_property: referenced_property.into(),
        });
        self
    }

    /// `OnDelete`: what deleting the source entity does to the related entities.
    pub fn on_delete(mut self, action: OnDeleteAction) -> Self {
        self.on_delete = Some(action);
        self
    }

    /// `ContainsTarget="true"`.
    pub fn contained(mut self) -> Self {
        self.contains_target = true;
        self
    }

    /// `Nullable="false"` (single-valued only).
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// `Partner` attribute.
    pub fn partner(mut self, name: impl Into<String>) -> Self {
        self.partner = Some(name.into());
        self
    }

    /// Adds an annotation.
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }
}

/// An entity type declaration.
#[derive(Debug, Clone)]
pub struct EntityTypeDef {
    name: String,
    base: Option<String>,
    is_abstract: bool,
    is_open: bool,
    has_stream: bool,
    key: Vec<String>,
    properties: Vec<PropertyDef>,
    navigation: Vec<NavigationDef>,
    annotations: Vec<Annotation>,
}

impl EntityTypeDef {
    /// A new entity type with the given unqualified name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base: None,
            is_abstract: false,
            is_open: false,
            has_stream: false,
            key: Vec::new(),
            properties: Vec::new(),
            navigation: Vec::new(),
            annotations: Vec::new(),
        }
    }

    /// Derives from another entity type.
    pub fn base(mut self, type_name: impl Into<String>) -> Self {
        self.base = Some(type_name.into());
        self
    }

    /// Marks the type abstract.
    pub fn abstract_type(mut self) -> Self {
        self.is_abstract = true;
        self
    }

    /// Marks the type open.
    pub fn open_type(mut self) -> Self {
        self.is_open = true;
        self
    }

    /// Marks the type a media entity type (`HasStream="true"`): each of its entities (and
    /// those of derived types) has a media stream.
    pub fn has_stream(mut self) -> Self {
        self.has_stream = true;
        self
    }

    /// Declares the key properties.
    pub fn key<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.key = names.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a structural property; one of type `Edm.Stream` is a stream property (its
    /// facets are ignored).
    pub fn property(mut self, property: PropertyDef) -> Self {
        self.properties.push(property);
        self
    }

    /// Adds a navigation property.
    pub fn navigation(mut self, navigation: NavigationDef) -> Self {
        self.navigation.push(navigation);
        self
    }

    /// Adds an annotation.
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }
}

/// A complex type declaration.
#[derive(Debug, Clone)]
pub struct ComplexTypeDef {
    name: String,
    base: Option<String>,
    is_abstract: bool,
    is_open: bool,
    properties: Vec<PropertyDef>,
    annotations: Vec<Annotation>,
}

impl ComplexTypeDef {
    /// A new complex type.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            base: None,
            is_abstract: false,
            is_open: false,
            properties: Vec::new(),
            annotations: Vec::new(),
        }
    }

    /// Derives from another complex type.
    pub fn base(mut self, type_name: impl Into<String>) -> Self {
        self.base = Some(type_name.into());
        self
    }

    /// Marks the type abstract.
    pub fn abstract_type(mut self) -> Self {
        self.is_abstract = true;
        self
    }

    /// Marks the type open.
    pub fn open_type(mut self) -> Self {
        self.is_open = true;
        self
    }

    /// Adds a property.
    pub fn property(mut self, property: PropertyDef) -> Self {
        self.properties.push(property);
        self
    }

    /// Adds an annotation.
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }
}

/// An enumeration type declaration.
#[derive(Debug, Clone)]
pub struct EnumTypeDef {
    name: String,
    underlying: PrimitiveKind,
    underlying_declared: bool,
    is_flags: bool,
    members: Vec<EnumMember>,
    annotations: Vec<Annotation>,
}

impl EnumTypeDef {
    /// A new (non-flags, `Edm.Int32`) enumeration type.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            underlying: PrimitiveKind::Int32,
            underlying_declared: false,
            is_flags: false,
            members: Vec::new(),
            annotations: Vec::new(),
        }
    }

    /// Adds a member.
    pub fn member(mut self, name: impl Into<String>, value: i64) -> Self {
        self.members.push(EnumMember {
            name: name.into(),
            value,
            annotations: Vec::new(),
        });
        self
    }

    /// Makes this a flags enum.
    pub fn flags(mut self) -> Self {
        self.is_flags = true;
        self
    }

    /// Sets the underlying integer type; `$metadata` then states it, even `Edm.Int32`.
    pub fn underlying(mut self, kind: PrimitiveKind) -> Self {
        self.underlying = kind;
        self.underlying_declared = true;
        self
    }

    /// Adds an annotation.
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }
}

/// A type definition declaration: a named primitive type with optional facets.
///
/// ```
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PrimitiveKind, PropertyDef, TypeDefinitionDef};
///
/// let model = ModelBuilder::new("ns")
///     .type_definition(TypeDefinitionDef::new("durationValue", "Edm.Duration"))
///     .entity_type(EntityTypeDef::new("t").key(["id"])
///         .property(PropertyDef::new("id", "Edm.Int32").not_null())
///         .property(PropertyDef::new("wait", "ns.durationValue")))
///     .build().unwrap();
/// let t = model.entity_type(model.find_entity_type("t").unwrap());
/// let wait = &t.property("wait").unwrap().type_ref;
/// assert_eq!(wait.primitive(), Some(PrimitiveKind::Duration));
/// assert_eq!(model.type_ref_name(wait), "ns.durationValue");
/// ```
#[derive(Debug, Clone)]
pub struct TypeDefinitionDef {
    name: String,
    underlying: String,
    max_length: Option<u32>,
    precision: Option<u32>,
    scale: Option<u32>,
    unicode: Option<bool>,
    annotations: Vec<Annotation>,
}

impl TypeDefinitionDef {
    /// A type definition `name` of the primitive type `underlying` (`Edm.Duration`).
    pub fn new(name: impl Into<String>, underlying: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            underlying: underlying.into(),
            max_length: None,
            precision: None,
            scale: None,
            unicode: None,
            annotations: Vec::new(),
        }
    }

    /// `MaxLength` facet.
    pub fn max_length(mut self, n: u32) -> Self {
        self.max_length = Some(n);
        self
    }

    /// `Precision` and `Scale` facets.
    pub fn precision(mut self, precision: u32, scale: Option<u32>) -> Self {
        self.precision = Some(precision);
        self.scale = scale;
        self
    }

    /// `Unicode` facet.
    pub fn unicode(mut self, unicode: bool) -> Self {
        self.unicode = Some(unicode);
        self
    }

    /// Adds an annotation.
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }
}

/// An action declaration.
#[derive(Debug, Clone)]
pub struct ActionDef {
    name: String,
    binding: Option<(String, String)>,
    non_nullable: bool,
    entity_set_path: Option<String>,
    parameters: Vec<PropertyDef>,
    return_type: Option<PropertyDef>,
    annotations: Vec<Annotation>,
}

impl ActionDef {
    /// A new unbound action.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            binding: None,
            non_nullable: false,
            entity_set_path: None,
            parameters: Vec::new(),
            return_type: None,
            annotations: Vec::new(),
        }
    }

    /// `Nullable="false"` on the binding parameter and the return type (both are
    /// nullable by default, as Microsoft Graph's CSDL declares them).
    pub fn non_nullable(mut self) -> Self {
        self.non_nullable = true;
        self
    }

    /// Binds the action to an entity type or `Collection(...)` of one.
    pub fn bound_to(mut self, parameter: impl Into<String>, type_name: impl Into<String>) -> Self {
        self.binding = Some((parameter.into(), type_name.into()));
        self
    }

    /// Adds a (nullable unless `not_null`) parameter; facets come from the definition.
    pub fn parameter(mut self, parameter: PropertyDef) -> Self {
        self.parameters.push(parameter);
        self
    }

    /// Declares the `EntitySetPath` of a bound operation returning entities: they belong
    /// to the entity set the path leads to from the binding parameter (`bindingParameter`
    /// itself: the binding parameter's set).
    pub fn entity_set_path(mut self, path: impl Into<String>) -> Self {
        self.entity_set_path = Some(path.into());
        self
    }

    /// Declares the return type.
    pub fn returns(mut self, type_name: impl Into<String>) -> Self {
        self.return_type = Some(PropertyDef::new("", type_name));
        self
    }

    /// Adds an annotation.
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }
}

/// Collects declarations and builds a validated [`Model`].
#[derive(Debug, Clone)]
pub struct ModelBuilder {
    namespace: String,
    alias: Option<String>,
    container: String,
    entity_types: Vec<EntityTypeDef>,
    complex_types: Vec<ComplexTypeDef>,
    enum_types: Vec<EnumTypeDef>,
    type_definitions: Vec<TypeDefinitionDef>,
    actions: Vec<ActionDef>,
    functions: Vec<ActionDef>,
    function_imports: Vec<(String, String, Option<String>)>,
    action_imports: Vec<(String, String)>,
    entity_sets: Vec<(String, String)>,
    navigation_bindings: Vec<(String, String, String)>,
    singletons: Vec<(String, String)>,
    annotations: Vec<Annotation>,
}

impl ModelBuilder {
    /// A builder for a model in the given namespace.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            alias: None,
            container: "Container".into(),
            entity_types: Vec::new(),
            complex_types: Vec::new(),
            enum_types: Vec::new(),
            type_definitions: Vec::new(),
            actions: Vec::new(),
            functions: Vec::new(),
            function_imports: Vec::new(),
            action_imports: Vec::new(),
            entity_sets: Vec::new(),
            navigation_bindings: Vec::new(),
            singletons: Vec::new(),
            annotations: Vec::new(),
        }
    }

    /// Annotates the schema itself, e.g. with [`Annotation::schema_version`].
    pub fn annotate(mut self, annotation: Annotation) -> Self {
        self.annotations.push(annotation);
        self
    }

    /// Schema alias (`graph` for `microsoft.graph`).
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Entity container name (default `Container`).
    pub fn container_name(mut self, name: impl Into<String>) -> Self {
        self.container = name.into();
        self
    }

    /// Adds an entity type.
    pub fn entity_type(mut self, def: EntityTypeDef) -> Self {
        self.entity_types.push(def);
        self
    }

    /// Adds a complex type.
    pub fn complex_type(mut self, def: ComplexTypeDef) -> Self {
        self.complex_types.push(def);
        self
    }

    /// Adds an enumeration type.
    pub fn enum_type(mut self, def: EnumTypeDef) -> Self {
        self.enum_types.push(def);
        self
    }

    /// Adds a type definition.
    pub fn type_definition(mut self, def: TypeDefinitionDef) -> Self {
        self.type_definitions.push(def);
        self
    }

    /// Adds an action.
    pub fn action(mut self, def: ActionDef) -> Self {
        self.actions.push(def);
        self
    }

    /// Adds a function: an operation without side effects, invoked with GET, declared like
    /// an action but with a required return type (a [`ModelError::NoReturnType`]
    /// otherwise). Overloads share a name: unbound ones, or ones bound to the same type,
    /// must differ in the names of their parameters (a [`ModelError::Overload`]
    /// otherwise).
    ///
    /// ```
    /// use odata_core::edm::{ActionDef, EntityTypeDef, ModelBuilder, PropertyDef};
    ///
    /// let model = ModelBuilder::new("ns")
    ///     .entity_type(EntityTypeDef::new("t").key(["id"])
    ///         .property(PropertyDef::new("id", "Edm.String").not_null()))
    ///     .function(ActionDef::new("double").parameter(PropertyDef::new("x", "Edm.Int32"))
    ///         .returns("Edm.Int32"))
    ///     .function_import("double", "double")
    ///     .build().unwrap();
    /// assert!(model.function_import("double").is_some());
    /// ```
    pub fn function(mut self, def: ActionDef) -> Self {
        self.functions.push(def);
        self
    }

    /// Exposes the unbound function `function` (qualified or not, every overload) at the
    /// service root as `name`.
    pub fn function_import(mut self, name: impl Into<String>, function: impl Into<String>) -> Self {
        self.function_imports
            .push((name.into(), function.into(), None));
        self
    }

    /// Exposes the unbound function `function` returning entities at the service root as
    /// `name`, its entities being members of the entity set `entity_set`
    /// (`<FunctionImport … EntitySet="…"/>`).
    pub fn function_import_in(
        mut self,
        name: impl Into<String>,
        function: impl Into<String>,
        entity_set: impl Into<String>,
    ) -> Self {
        self.function_imports
            .push((name.into(), function.into(), Some(entity_set.into())));
        self
    }

    /// Exposes the unbound action `action` (qualified or not) at the service root as
    /// `name`, invoked with `POST /{name}`.
    pub fn action_import(mut self, name: impl Into<String>, action: impl Into<String>) -> Self {
        self.action_imports.push((name.into(), action.into()));
        self
    }

    /// Adds an entity set of the named entity type.
    pub fn entity_set(mut self, name: impl Into<String>, type_name: impl Into<String>) -> Self {
        self.entity_sets.push((name.into(), type_name.into()));
        self
    }

    /// A `NavigationPropertyBinding` of the entity set `set`: the entities its navigation
    /// property `path` leads to are in the entity set `target`.
    pub fn navigation_binding(
        mut self,
        set: impl Into<String>,
        path: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        self.navigation_bindings
            .push((set.into(), path.into(), target.into()));
        self
    }

    /// Adds a singleton of the named entity type.
    pub fn singleton(mut self, name: impl Into<String>, type_name: impl Into<String>) -> Self {
        self.singletons.push((name.into(), type_name.into()));
        self
    }

    /// Resolves every name and validates the model.
    pub fn build(self) -> Result<Model, ModelError> {
        let model = Resolver::new(self)?.resolve()?;
        check_defaults(&model)?;
        Ok(model)
    }
}

/// Whether `ty` is `base` or derives from it.
fn is_derived_or_same(entity_types: &[EntityType], ty: EntityTypeId, base: EntityTypeId) -> bool {
    let mut current = Some(ty);
    while let Some(t) = current {
        if t == base {
            return true;
        }
        current = entity_types[t.0].base;
    }
    false
}

/// Every referential constraint pairs a primitive property of the navigation's source type
/// with a property of its target type of the same type, on a single-valued navigation.
fn check_constraints(entity_types: &[EntityType]) -> Result<(), ModelError> {
    for ty in entity_types {
        for n in ty.navigation_properties() {
            let error = |reason: String| ModelError::InvalidConstraint {
                ty: ty.qualified_name.clone(),
                navigation: n.name.clone(),
                reason,
            };
            if n.collection && !n.constraints.is_empty() {
                return Err(error(
                    "a collection-valued navigation property has no referential constraint".into(),
                ));
            }
            let target = &entity_types[n.target.0];
            for c in &n.constraints {
                let dependent = ty.property(&c.property).ok_or_else(|| {
                    error(format!("'{}' is not a property of the type", c.property))
                })?;
                let principal = target.property(&c.referenced_property).ok_or_else(|| {
                    error(format!(
                        "'{}' is not a property of '{}'",
                        c.referenced_property, target.qualified_name
                    ))
                })?;
                if dependent.type_ref.primitive().is_none()
                    || dependent.type_ref.kind != principal.type_ref.kind
                    || dependent.type_ref.collection
                    || principal.type_ref.collection
                {
                    return Err(error(format!(
                        "'{}' and '{}' are not of the same primitive type",
                        c.property, c.referenced_property
                    )));
                }
            }
        }
    }
    Ok(())
}

struct Resolver {
    b: ModelBuilder,
    names: BTreeMap<String, TypeKind>,
    definitions: BTreeMap<String, TypeDefinitionId>,
}

/// Every `DefaultValue` must read as a value of its property's type.
fn check_defaults(model: &Model) -> Result<(), ModelError> {
    let owners = model
        .entity_types
        .iter()
        .map(|e| (&e.name, &e.declared_properties))
        .chain(
            model
                .complex_types
                .iter()
                .map(|c| (&c.name, &c.declared_properties)),
        );
    for (owner, properties) in owners {
        for p in properties {
            let Some(literal) = &p.default_value else {
                continue;
            };
            if let Err(e) = crate::json::parse_default_value(model, &p.type_ref, literal) {
                return Err(ModelError::InvalidDefault {
                    property: format!("{owner}/{}", p.name),
                    value: literal.clone(),
                    reason: e.message,
                });
            }
        }
    }
    Ok(())
}

impl Resolver {
    fn new(b: ModelBuilder) -> Result<Self, ModelError> {
        let mut names = BTreeMap::new();
        let mut add = |name: &str, kind: TypeKind| -> Result<(), ModelError> {
            if names.insert(name.to_owned(), kind).is_some() {
                return Err(ModelError::Duplicate(name.to_owned()));
            }
            Ok(())
        };
        for (i, d) in b.entity_types.iter().enumerate() {
            add(&d.name, TypeKind::Entity(EntityTypeId(i)))?;
        }
        for (i, d) in b.complex_types.iter().enumerate() {
            add(&d.name, TypeKind::Complex(ComplexTypeId(i)))?;
        }
        for (i, d) in b.enum_types.iter().enumerate() {
            add(&d.name, TypeKind::Enum(EnumTypeId(i)))?;
        }
        let mut definitions = BTreeMap::new();
        for (i, d) in b.type_definitions.iter().enumerate() {
            let underlying = PrimitiveKind::from_name(&d.underlying).ok_or_else(|| {
                ModelError::InvalidUnderlyingType {
                    name: d.name.clone(),
                    underlying: d.underlying.clone(),
                }
            })?;
            add(&d.name, TypeKind::Primitive(underlying))?;
            definitions.insert(d.name.clone(), TypeDefinitionId(i));
        }
        Ok(Self {
            b,
            names,
            definitions,
        })
    }

    /// Strips the namespace or alias; `None` for a foreign namespace.
    fn local<'a>(&self, name: &'a str) -> Option<&'a str> {
        if let Some(rest) = name
            .strip_prefix(self.b.namespace.as_str())
            .and_then(|r| r.strip_prefix('.'))
        {
            return Some(rest);
        }
        if let Some(alias) = &self.b.alias
            && let Some(rest) = name
                .strip_prefix(alias.as_str())
                .and_then(|r| r.strip_prefix('.'))
        {
            return Some(rest);
        }
        (!name.contains('.')).then_some(name)
    }

    fn kind(&self, name: &str, used_by: &str) -> Result<TypeKind, ModelError> {
        if let Some(p) = PrimitiveKind::from_name(name) {
            return Ok(TypeKind::Primitive(p));
        }
        self.local(name)
            .and_then(|n| self.names.get(n).copied())
            .ok_or_else(|| ModelError::UnknownType {
                name: name.to_owned(),
                used_by: used_by.to_owned(),
            })
    }

    fn type_ref(&self, d: &PropertyDef, used_by: &str) -> Result<TypeRef, ModelError> {
        let (inner, collection) = split_collection(&d.type_name);
        let kind = self.kind(inner, used_by)?;
        let definition = self
            .local(inner)
            .and_then(|n| self.definitions.get(n).copied());
        if let Some(id) = definition {
            // The definition's facets; CSDL does not let a use re-specify them.
            let t = &self.b.type_definitions[id.0];
            return Ok(TypeRef {
                kind,
                collection,
                nullable: d.nullable,
                max_length: t.max_length,
                precision: t.precision,
                scale: t.scale,
                unicode: t.unicode,
                definition: Some(id),
                srid: d.srid,
            });
        }
        Ok(TypeRef {
            kind,
            collection,
            nullable: d.nullable,
            max_length: d.max_length,
            precision: d.precision,
            scale: d.scale,
            unicode: d.unicode,
            definition: None,
            srid: d.srid,
        })
    }

    fn property(&self, d: &PropertyDef, owner: &str) -> Result<Property, ModelError> {
        Ok(Property {
            name: d.name.clone(),
            type_ref: self.type_ref(d, &format!("{owner}/{}", d.name))?,
            default_value: d.default_value.clone(),
            annotations: d.annotations.clone(),
        })
    }

    fn entity_id(&self, name: &str, used_by: &str) -> Result<EntityTypeId, ModelError> {
        match self.kind(name, used_by)? {
            TypeKind::Entity(id) => Ok(id),
            _ => Err(ModelError::UnknownType {
                name: name.to_owned(),
                used_by: used_by.to_owned(),
            }),
        }
    }

    fn qualified(&self, name: &str) -> String {
        format!("{}.{name}", self.b.namespace)
    }

    fn resolve(self) -> Result<Model, ModelError> {
        let entity_types = self.resolve_entity_types()?;
        check_constraints(&entity_types)?;
        let complex_types = self.resolve_complex_types()?;
        let enum_types = self
            .b
            .enum_types
            .iter()
            .map(|d| EnumType {
                name: d.name.clone(),
                qualified_name: self.qualified(&d.name),
                underlying: d.underlying,
                underlying_declared: d.underlying_declared,
                is_flags: d.is_flags,
                members: d.members.clone(),
                annotations: d.annotations.clone(),
            })
            .collect();
        let type_definitions = self
            .b
            .type_definitions
            .iter()
            .map(|d| {
                Ok(TypeDefinition {
                    name: d.name.clone(),
                    qualified_name: self.qualified(&d.name),
                    underlying: PrimitiveKind::from_name(&d.underlying).ok_or_else(|| {
                        ModelError::InvalidUnderlyingType {
                            name: d.name.clone(),
                            underlying: d.underlying.clone(),
                        }
                    })?,
                    max_length: d.max_length,
                    precision: d.precision,
                    scale: d.scale,
                    unicode: d.unicode,
                    annotations: d.annotations.clone(),
                })
            })
            .collect::<Result<_, ModelError>>()?;
        let actions: Vec<Action> = self
            .b
            .actions
            .iter()
            .map(|d| self.resolve_action(d))
            .collect::<Result<_, _>>()?;
        let functions: Vec<Action> = self
            .b
            .functions
            .iter()
            .map(|d| {
                let f = self.resolve_action(d)?;
                match f.return_type {
                    Some(_) => Ok(f),
                    None => Err(ModelError::NoReturnType(f.qualified_name)),
                }
            })
            .collect::<Result<_, _>>()?;
        check_overloads(&actions, &functions)?;
        let set_exists = |import: &str, set: &Option<String>| match set {
            Some(set) if !self.b.entity_sets.iter().any(|(n, _)| n == set) => {
                Err(ModelError::UnknownImportSet {
                    import: import.to_owned(),
                    entity_set: set.clone(),
                })
            }
            _ => Ok(()),
        };
        let function_imports = self
            .b
            .function_imports
            .iter()
            .map(|(name, function, entity_set)| {
                set_exists(name, entity_set)?;
                let local = self.local(function).unwrap_or(function);
                functions
                    .iter()
                    .position(|f| f.name == local && !f.is_bound)
                    .map(|index| FunctionImport {
                        name: name.clone(),
                        function: index,
                        entity_set: entity_set.clone(),
                    })
                    .ok_or_else(|| ModelError::UnknownFunction {
                        import: name.clone(),
                        function: function.clone(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let action_imports = self
            .b
            .action_imports
            .iter()
            .map(|(name, action)| {
                let local = self.local(action).unwrap_or(action);
                actions
                    .iter()
                    .position(|a| a.name == local && !a.is_bound)
                    .map(|index| ActionImport {
                        name: name.clone(),
                        action: index,
                    })
                    .ok_or_else(|| ModelError::UnknownAction {
                        import: name.clone(),
                        action: action.clone(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let entity_sets = self
            .b
            .entity_sets
            .iter()
            .map(|(name, ty)| {
                Ok(EntitySet {
                    name: name.clone(),
                    entity_type: self.entity_id(ty, name)?,
                    navigation_bindings: self
                        .b
                        .navigation_bindings
                        .iter()
                        .filter(|(set, ..)| set == name)
                        .map(|(_, path, target)| (path.clone(), target.clone()))
                        .collect(),
                    annotations: Vec::new(),
                })
            })
            .collect::<Result<Vec<EntitySet>, ModelError>>()?;
        for (set, path, target) in &self.b.navigation_bindings {
            let invalid = |reason: &str| ModelError::InvalidBinding {
                set: set.clone(),
                path: path.clone(),
                reason: reason.to_owned(),
            };
            let source = entity_sets
                .iter()
                .find(|s| &s.name == set)
                .ok_or_else(|| invalid("no such entity set"))?;
            if !entity_sets.iter().any(|s| &s.name == target)
                && !self.b.singletons.iter().any(|(s, _)| s == target)
            {
                return Err(invalid("its target is no entity set or singleton"));
            }
            let navigation = path.rsplit('/').next().unwrap_or(path);
            let declared = entity_types.iter().enumerate().any(|(i, ty)| {
                is_derived_or_same(&entity_types, EntityTypeId(i), source.entity_type)
                    && ty.navigation_property(navigation).is_some()
            });
            if !declared {
                return Err(invalid(
                    "no navigation property of the set's types has that name",
                ));
            }
        }
        let singletons = self
            .b
            .singletons
            .iter()
            .map(|(name, ty)| {
                Ok(Singleton {
                    name: name.clone(),
                    entity_type: self.entity_id(ty, name)?,
                    annotations: Vec::new(),
                })
            })
            .collect::<Result<_, ModelError>>()?;
        Ok(Model {
            namespace: self.b.namespace.clone(),
            alias: self.b.alias.clone(),
            entity_types,
            complex_types,
            enum_types,
            type_definitions,
            actions,
            functions,
            container: EntityContainer {
                name: self.b.container.clone(),
                entity_sets,
                singletons,
                function_imports,
                action_imports,
                annotations: Vec::new(),
            },
            external_annotations: Vec::new(),
            annotations: self.b.annotations.clone(),
            names: self.names,
        })
    }

    fn resolve_action(&self, d: &ActionDef) -> Result<Action, ModelError> {
        let mut parameters = Vec::new();
        if let Some((name, ty)) = &d.binding {
            // Nullable unless declared otherwise, like Graph's CSDL, which omits the facet.
            let mut def = PropertyDef::new(name.clone(), ty.clone());
            if d.non_nullable {
                def = def.not_null();
            }
            parameters.push(Parameter {
                name: name.clone(),
                type_ref: self.type_ref(&def, &d.name)?,
                annotations: Vec::new(),
            });
        }
        for p in &d.parameters {
            parameters.push(Parameter {
                name: p.name.clone(),
                type_ref: self.type_ref(p, &format!("{}/{}", d.name, p.name))?,
                annotations: p.annotations.clone(),
            });
        }
        let return_type = d
            .return_type
            .as_ref()
            .map(|r| {
                let r = if d.non_nullable {
                    r.clone().not_null()
                } else {
                    r.clone()
                };
                self.type_ref(&r, &d.name)
            })
            .transpose()?;
        Ok(Action {
            name: d.name.clone(),
            qualified_name: self.qualified(&d.name),
            is_bound: d.binding.is_some(),
            parameters,
            return_type,
            entity_set_path: d.entity_set_path.clone(),
            annotations: d.annotations.clone(),
        })
    }

    /// Parent index of each type, checked for cycles; returns types in base-first order.
    fn base_first_order(
        &self,
        bases: &[Option<usize>],
        name_of: impl Fn(usize) -> String,
    ) -> Result<Vec<usize>, ModelError> {
        let mut order = Vec::with_capacity(bases.len());
        let mut state = vec![0u8; bases.len()]; // 0 new, 1 visiting, 2 done
        for start in 0..bases.len() {
            let mut chain = Vec::new();
            let mut cur = Some(start);
            while let Some(i) = cur {
                match state[i] {
                    2 => break,
                    1 => return Err(ModelError::InheritanceCycle(name_of(i))),
                    _ => {
                        state[i] = 1;
                        chain.push(i);
                        cur = bases[i];
                    }
                }
            }
            for &i in chain.iter().rev() {
                state[i] = 2;
                order.push(i);
            }
        }
        Ok(order)
    }

    fn resolve_entity_types(&self) -> Result<Vec<EntityType>, ModelError> {
        let defs = &self.b.entity_types;
        let bases = defs
            .iter()
            .map(|d| {
                d.base
                    .as_deref()
                    .map(|b| self.entity_id(b, &d.name).map(|id| id.0))
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let order = self.base_first_order(&bases, |i| defs[i].name.clone())?;
        let mut out: Vec<Option<EntityType>> = vec![None; defs.len()];
        for i in order {
            let d = &defs[i];
            let parent = bases[i].and_then(|b| out[b].as_ref());
            let mut properties = parent.map(|p| p.properties.clone()).unwrap_or_default();
            let mut navigation = parent.map(|p| p.navigation.clone()).unwrap_or_default();
            let mut streams = parent
                .map(|p| p.stream_properties.clone())
                .unwrap_or_default();
            let declared_properties = d
                .properties
                .iter()
                .filter(|p| p.type_name != STREAM)
                .map(|p| self.property(p, &d.name))
                .collect::<Result<Vec<_>, _>>()?;
            let declared_stream_properties: Vec<StreamProperty> = d
                .properties
                .iter()
                .filter(|p| p.type_name == STREAM)
                .map(|p| StreamProperty {
                    name: p.name.clone(),
                    annotations: p.annotations.clone(),
                })
                .collect();
            for p in &declared_properties {
                if properties.insert(p.name.clone(), p.clone()).is_some() {
                    return Err(ModelError::DuplicateProperty {
                        ty: d.name.clone(),
                        property: p.name.clone(),
                    });
                }
            }
            let declared_navigation = d
                .navigation
                .iter()
                .map(|n| {
                    let (inner, collection) = split_collection(&n.type_name);
                    Ok(NavigationProperty {
                        name: n.name.clone(),
                        target: self.entity_id(inner, &format!("{}/{}", d.name, n.name))?,
                        collection,
                        nullable: n.nullable && !collection,
                        contains_target: n.contains_target,
                        partner: n.partner.clone(),
                        constraints: n.constraints.clone(),
                        on_delete: n.on_delete,
                        annotations: n.annotations.clone(),
                    })
                })
                .collect::<Result<Vec<_>, ModelError>>()?;
            for n in &declared_navigation {
                if properties.contains_key(&n.name)
                    || navigation.insert(n.name.clone(), n.clone()).is_some()
                {
                    return Err(ModelError::DuplicateProperty {
                        ty: d.name.clone(),
                        property: n.name.clone(),
                    });
                }
            }
            for s in &declared_stream_properties {
                if properties.contains_key(&s.name)
                    || navigation.contains_key(&s.name)
                    || streams.insert(s.name.clone(), s.clone()).is_some()
                {
                    return Err(ModelError::DuplicateProperty {
                        ty: d.name.clone(),
                        property: s.name.clone(),
                    });
                }
            }
            let key = if d.key.is_empty() {
                parent.map(|p| p.key.clone()).unwrap_or_default()
            } else {
                d.key.clone()
            };
            if key.is_empty() && !d.is_abstract {
                return Err(ModelError::MissingKey(d.name.clone()));
            }
            for k in &key {
                let ok = properties.get(k).is_some_and(|p| {
                    !p.type_ref.nullable
                        && !p.type_ref.collection
                        && p.type_ref.primitive().is_some()
                });
                if !ok {
                    return Err(ModelError::InvalidKey {
                        entity: d.name.clone(),
                        property: k.clone(),
                    });
                }
            }
            out[i] = Some(EntityType {
                name: d.name.clone(),
                qualified_name: self.qualified(&d.name),
                base: bases[i].map(EntityTypeId),
                is_abstract: d.is_abstract,
                is_open: d.is_open,
                has_stream: d.has_stream || parent.is_some_and(|p| p.has_stream),
                declares_stream: d.has_stream,
                key,
                declares_key: !d.key.is_empty(),
                declared_properties,
                declared_navigation,
                declared_stream_properties,
                annotations: d.annotations.clone(),
                derived: (0..defs.len())
                    .filter(|&j| bases[j] == Some(i))
                    .map(EntityTypeId)
                    .collect(),
                properties,
                navigation,
                stream_properties: streams,
            });
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn resolve_complex_types(&self) -> Result<Vec<ComplexType>, ModelError> {
        let defs = &self.b.complex_types;
        let bases = defs
            .iter()
            .map(|d| {
                d.base
                    .as_deref()
                    .map(|b| match self.kind(b, &d.name)? {
                        TypeKind::Complex(id) => Ok(id.0),
                        _ => Err(ModelError::UnknownType {
                            name: b.to_owned(),
                            used_by: d.name.clone(),
                        }),
                    })
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let order = self.base_first_order(&bases, |i| defs[i].name.clone())?;
        let mut out: Vec<Option<ComplexType>> = vec![None; defs.len()];
        for i in order {
            let d = &defs[i];
            let parent = bases[i].and_then(|b| out[b].as_ref());
            let mut properties: IndexMap<String, Property> =
                parent.map(|p| p.properties.clone()).unwrap_or_default();
            let declared_properties = d
                .properties
                .iter()
                .map(|p| self.property(p, &d.name))
                .collect::<Result<Vec<_>, _>>()?;
            for p in &declared_properties {
                if properties.insert(p.name.clone(), p.clone()).is_some() {
                    return Err(ModelError::DuplicateProperty {
                        ty: d.name.clone(),
                        property: p.name.clone(),
                    });
                }
            }
            out[i] = Some(ComplexType {
                name: d.name.clone(),
                qualified_name: self.qualified(&d.name),
                base: bases[i].map(ComplexTypeId),
                is_abstract: d.is_abstract,
                is_open: d.is_open,
                declared_properties,
                annotations: d.annotations.clone(),
                derived: (0..defs.len())
                    .filter(|&j| bases[j] == Some(i))
                    .map(ComplexTypeId)
                    .collect(),
                properties,
            });
        }
        Ok(out.into_iter().flatten().collect())
    }
}

/// The overloading rules of CSDL (4.01 §12.1, §12.2): unbound actions are unique by name,
/// bound actions by name and binding type; functions of one name and binding (none, or
/// the same type) differ in the set of their non-binding parameter names; an action and a
/// function never share a name.
fn check_overloads(actions: &[Action], functions: &[Action]) -> Result<(), ModelError> {
    let clash = |name: &str, reason: &str| ModelError::Overload {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    let binding_key = |a: &Action| {
        a.binding_parameter()
            .map(|p| (p.type_ref.kind, p.type_ref.collection))
    };
    for (i, a) in actions.iter().enumerate() {
        for b in &actions[..i] {
            if a.name == b.name && binding_key(a) == binding_key(b) {
                let reason = if a.is_bound {
                    "two actions of this name are bound to the same type"
                } else {
                    "unbound actions cannot be overloaded"
                };
                return Err(clash(&a.name, reason));
            }
        }
        if functions.iter().any(|f| f.name == a.name) {
            return Err(clash(&a.name, "an action and a function share the name"));
        }
    }
    for (i, f) in functions.iter().enumerate() {
        for g in &functions[..i] {
            if f.name == g.name
                && binding_key(f) == binding_key(g)
                && f.signature() == g.signature()
            {
                return Err(clash(
                    &f.name,
                    "two overloads with the same binding have the same parameter names",
                ));
            }
        }
    }
    Ok(())
}

/// `Collection(X)` → (`X`, true); `X` → (`X`, false).
fn split_collection(name: &str) -> (&str, bool) {
    match name
        .strip_prefix("Collection(")
        .and_then(|r| r.strip_suffix(')'))
    {
        Some(inner) => (inner, true),
        None => (name, false),
    }
}
