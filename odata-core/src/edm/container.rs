//! The entity container: entity sets and singletons.

use super::{Annotation, EntityTypeId};

/// A top-level entity set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySet {
    /// Set name, the first URL segment after the service root.
    pub name: String,
    /// Type of the entities in the set.
    pub entity_type: EntityTypeId,
    /// `NavigationPropertyBinding`s: navigation property path → the entity set its
    /// entities are in.
    pub navigation_bindings: Vec<(String, String)>,
    /// Annotations of the entity set (capabilities and the like).
    pub annotations: Vec<Annotation>,
}

/// A singleton: a single named entity, often the root of contained collections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Singleton {
    /// Singleton name.
    pub name: String,
    /// Its entity type.
    pub entity_type: EntityTypeId,
    /// Annotations of the singleton.
    pub annotations: Vec<Annotation>,
}

/// The entity container of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityContainer {
    /// Container name.
    pub name: String,
    /// Entity sets in declaration order.
    pub entity_sets: Vec<EntitySet>,
    /// Singletons in declaration order.
    pub singletons: Vec<Singleton>,
    /// Function imports in declaration order.
    pub function_imports: Vec<FunctionImport>,
    /// Action imports in declaration order.
    pub action_imports: Vec<ActionImport>,
    /// Annotations of the container (the service's capabilities and the like).
    pub annotations: Vec<Annotation>,
}

/// An unbound function exposed at the service root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionImport {
    /// The import's name (its URL segment).
    pub name: String,
    /// The function (index into `Model::functions`): its first overload; the import
    /// exposes every unbound overload of that name.
    pub function: usize,
    /// The entity set the returned entities belong to (`EntitySet="…"`), for a function
    /// returning entities.
    pub entity_set: Option<String>,
}

/// An unbound action exposed at the service root (`POST /{name}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionImport {
    /// The import's name (its URL segment).
    pub name: String,
    /// The action (index into `Model::actions`).
    pub action: usize,
}
