//! What a service serves: a model plus the collections it exposes and where they are stored.
//!
//! Each collection is declared as one [`CollectionDef`]: its path, its table, the
//! permissions it requires and the properties `$search` looks in.
//!
//! ```
//! use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
//! use odata_server::auth::Permissions;
//! use odata_server::service::{CollectionDef, Service};
//!
//! let model = ModelBuilder::new("example.shop")
//!     .entity_type(EntityTypeDef::new("product").key(["sku"])
//!         .property(PropertyDef::new("sku", "Edm.String").not_null())
//!         .property(PropertyDef::new("name", "Edm.String")))
//!     .entity_set("products", "product")
//!     .build()
//!     .unwrap();
//! let service = Service::builder(model)
//!     .collection(
//!         CollectionDef::new("products", "products")
//!             .permissions(Permissions::new(&["Shop.Read"], &["Shop.ReadWrite"]))
//!             .searchable(["name"]),
//!     )
//!     .build()
//!     .unwrap();
//! assert_eq!(service.collections()[0].table.name, "products");
//! ```

use odata_core::edm::{EntityTypeId, Model};

use crate::action::ActionHandler;
use crate::auth::Permissions;
use crate::function::FunctionHandler;
use crate::media::MediaHandler;
use crate::store::table::Table;

/// Why a service definition is inconsistent with its model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The path does not name an entity set or a singleton's contained collection.
    #[error("'{0}' is not an entity set or a collection contained in a singleton")]
    UnknownCollection(String),
    /// The name is not a singleton of the model.
    #[error("'{0}' is not a singleton of the model")]
    UnknownSingleton(String),
    /// Two declarations of the same collection path.
    #[error("'{0}' is declared twice")]
    DuplicateCollection(String),
    /// Keys must be single primitive properties or named composites of them.
    #[error("'{0}': entity type has no key")]
    NoKey(String),
    /// A property declared searchable is not a property of the collection's entity type
    /// (or of a type derived from it).
    #[error("'{path}': the searchable property '{property}' is not a property of its entity type")]
    UnknownSearchable {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// A property declared searchable is write-only (`Core.Permissions/Write`): matching
    /// `$search` terms against it would reveal its value.
    #[error(
        "'{path}': the searchable property '{property}' is write-only; $search would reveal it"
    )]
    WriteOnlySearchable {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// An effect or computation given for an action or function the model does not bind
    /// to the collection's entity type (or, for a function import, does not import).
    #[error("'{path}': '{operation}' is not an operation bound to its entity type or imported")]
    UnknownOperation {
        /// The collection path (empty for a function import).
        path: String,
        /// The operation name as given.
        operation: String,
    },
    /// A navigation binding that does not fit the model: the navigation property is
    /// missing or of the other cardinality, the target collection is not served or holds
    /// another type, its key is not a single property, or an inverse names no reference
    /// back.
    #[error("'{path}': navigation '{navigation}': {reason}")]
    Navigation {
        /// The collection path.
        path: String,
        /// The navigation property.
        navigation: String,
        /// What does not fit.
        reason: String,
    },
}

/// One addressable collection: an entity set (`products`) or a collection-valued containment
/// navigation of a singleton (`deviceManagement/autopilotEvents`).
#[derive(Debug, Clone)]
pub struct Collection {
    /// URL path below the service root, segments joined by `/`.
    pub path: String,
    /// The path segments.
    pub segments: Vec<String>,
    /// Declared entity type of its members.
    pub entity_type: EntityTypeId,
    /// Where its members are stored.
    pub table: Table,
    /// Indexes into `table.columns` of the string properties `$search` looks in.
    pub searchable: Vec<usize>,
    /// The permissions reading and writing it require (see [`crate::auth::authorize`]);
    /// `None`: closed to every authenticated caller.
    pub permissions: Option<Permissions>,
    /// Its entities' navigation properties that are bound to storage.
    pub navigations: Vec<Navigation>,
    /// The effects of the actions bound to its entities, by qualified action name.
    pub actions: Vec<(String, ActionHandler)>,
    /// The computations of the functions bound to its entities, by qualified name.
    pub functions: Vec<(String, FunctionHandler)>,
    /// For a collection contained in the entities of another: where. It is then reached
    /// only through its parent entity (`parent/{key}/navigation`), never at its own path.
    pub containment: Option<Containment>,
    /// Read only: every write is refused with 405 (see [`CollectionDef::read_only`]).
    pub read_only: bool,
    /// What uploads of its media streams write to its entities' properties (media entity
    /// types only; see [`crate::media`]).
    pub media: Option<MediaHandler>,
    /// A stored singleton of the model (see [`SingletonDef`]): `path` is the singleton's
    /// name, its table holds one row per tenant, and it has no key in URLs.
    pub singleton: bool,
}

/// Where the entities of a contained collection live: inside one entity each of the
/// parent collection, whose key their `_parent` column holds.
#[derive(Debug, Clone)]
pub struct Containment {
    /// The parent collection (index into [`Service::collections`]).
    pub parent: usize,
    /// The parent's containment navigation property.
    pub navigation: String,
    /// The `_parent` column (index into the contained collection's `table.columns`).
    pub column: usize,
}

impl Collection {
    /// The navigation property `name`, when it is bound to storage.
    pub fn navigation(&self, name: &str) -> Option<&Navigation> {
        self.navigations.iter().find(|n| n.name == name)
    }

    /// The effect of the bound action with this qualified name, when the service gives it
    /// one.
    pub fn action(&self, qualified_name: &str) -> Option<&ActionHandler> {
        self.actions
            .iter()
            .find(|(name, _)| name == qualified_name)
            .map(|(_, handler)| handler)
    }

    /// The computation of the bound function with this qualified name, when the service
    /// gives it one.
    pub fn function(&self, qualified_name: &str) -> Option<&FunctionHandler> {
        self.functions
            .iter()
            .find(|(name, _)| name == qualified_name)
            .map(|(_, handler)| handler)
    }
}

/// A navigation property of a collection's entities, bound to storage: where the related
/// entities are and how they are linked.
#[derive(Debug, Clone)]
pub struct Navigation {
    /// The navigation property's name.
    pub name: String,
    /// The collection of the related entities (index into [`Service::collections`]).
    pub target: usize,
    /// How the entities are linked.
    pub link: Link,
}

impl Navigation {
    /// Whether it leads to a collection of entities.
    pub fn is_collection(&self) -> bool {
        matches!(self.link, Link::Inverse { .. })
    }
}

/// How a [`Navigation`]'s entities are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Single-valued: the source table's column (index into its `table.columns`) holds the
    /// related entity's key, null when there is none.
    Reference {
        /// The reference column in the source table.
        column: usize,
    },
    /// Collection-valued: the related entities are the target's members whose reference
    /// column (index into the target's `table.columns`) holds the source entity's key.
    Inverse {
        /// The reference column in the target table.
        column: usize,
    },
}

/// A model with its collections bound to storage. Built once at start-up.
#[derive(Debug, Clone)]
pub struct Service {
    model: Model,
    collections: Vec<Collection>,
    function_imports: Vec<(String, FunctionHandler)>,
}

impl Service {
    /// Starts a service definition over a model.
    pub fn builder(model: Model) -> ServiceBuilder {
        ServiceBuilder {
            model,
            collections: Vec::new(),
            singletons: Vec::new(),
            function_imports: Vec::new(),
        }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The collections, in registration order.
    pub fn collections(&self) -> &[Collection] {
        &self.collections
    }

    /// The collection a [`Navigation`] leads to.
    pub fn target(&self, navigation: &Navigation) -> &Collection {
        &self.collections[navigation.target]
    }

    /// The collection (or stored singleton) at `path`.
    pub fn collection(&self, path: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.path == path)
    }

    /// The stored singleton `name`, when the service stores it (see [`SingletonDef`]).
    pub fn stored_singleton(&self, name: &str) -> Option<&Collection> {
        self.collections
            .iter()
            .find(|c| c.singleton && c.path == name)
    }

    /// The computation of the function import `name`, when the service gives it one.
    pub fn function_import(&self, name: &str) -> Option<&FunctionHandler> {
        self.function_imports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, handler)| handler)
    }
}

/// One served collection, declared in one value: where it is (`path`: an entity set name,
/// or `singleton/navigation` for a contained collection), where it is stored (`table`),
/// what reading and writing it require, and what `$search` looks in.
/// [`ServiceBuilder::build`] checks every name against the model.
#[derive(Debug, Clone)]
pub struct CollectionDef {
    path: String,
    table: String,
    permissions: Option<Permissions>,
    searchable: Option<Vec<String>>,
    links: Vec<LinkDef>,
    actions: Vec<(String, ActionHandler)>,
    functions: Vec<(String, FunctionHandler)>,
    contained: Vec<(String, String)>,
    read_only: bool,
    media: Option<MediaHandler>,
}

/// A declared navigation binding, resolved by [`ServiceBuilder::build`].
#[derive(Debug, Clone)]
enum LinkDef {
    Reference {
        navigation: String,
        target: String,
    },
    Inverse {
        navigation: String,
        target: String,
        via: String,
    },
}

impl CollectionDef {
    /// The collection at `path`, stored in table `table`; no permissions declared (closed
    /// to every caller when authentication is on) and the default searchable properties.
    pub fn new(path: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            table: table.into(),
            permissions: None,
            searchable: None,
            links: Vec::new(),
            actions: Vec::new(),
            functions: Vec::new(),
            contained: Vec::new(),
            read_only: false,
            media: None,
        }
    }

    /// Makes the collection read only: POST, PATCH, PUT and DELETE on it, its entities,
    /// their streams, references and bound actions answer 405 with `Allow: GET, HEAD`.
    /// `$metadata` says so on its entity set: `Core.Permissions` `Read` and
    /// `Capabilities.InsertRestrictions`, `UpdateRestrictions` and `DeleteRestrictions`
    /// with `false`.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// What uploads of the media streams of the collection's entities (a media entity type)
    /// write to their properties; see [`crate::media`]. Without it, uploads write the
    /// stream and its media type only.
    pub fn media(mut self, handler: MediaHandler) -> Self {
        self.media = Some(handler);
        self
    }

    /// Binds the single-valued navigation property `navigation` to the collection at
    /// `target`: the column `{navigation}__id` of this collection's table holds the key of
    /// the related entity (null: none). The target's key must be one property.
    pub fn reference(mut self, navigation: impl Into<String>, target: impl Into<String>) -> Self {
        self.links.push(LinkDef::Reference {
            navigation: navigation.into(),
            target: target.into(),
        });
        self
    }

    /// Binds the collection-valued navigation property `navigation` to the members of the
    /// collection at `target` whose reference `via` (declared there with
    /// [`CollectionDef::reference`]) leads to this collection's entity.
    pub fn inverse(
        mut self,
        navigation: impl Into<String>,
        target: impl Into<String>,
        via: impl Into<String>,
    ) -> Self {
        self.links.push(LinkDef::Inverse {
            navigation: navigation.into(),
            target: target.into(),
            via: via.into(),
        });
        self
    }

    /// Stores the containment navigation property `navigation` (collection-valued,
    /// `ContainsTarget`) of the collection's entities in table `table`, whose column
    /// `_parent` holds the key of the entity containing each row. Its entities are read and
    /// written through their parent (`collection/{key}/navigation[/{key}]`), with the
    /// parent's permissions, and deleted with it.
    pub fn contains(mut self, navigation: impl Into<String>, table: impl Into<String>) -> Self {
        self.contained.push((navigation.into(), table.into()));
        self
    }

    /// Gives the action `name` (qualified or not) bound to the collection's entity type its
    /// effect; see [`crate::action`]. An action without one answers 501.
    pub fn action(mut self, name: impl Into<String>, handler: ActionHandler) -> Self {
        self.actions.push((name.into(), handler));
        self
    }

    /// Gives the function `name` (qualified or not) bound to the collection's entity type
    /// its computation; see [`crate::function`]. A function without one answers 501.
    pub fn function(mut self, name: impl Into<String>, handler: FunctionHandler) -> Self {
        self.functions.push((name.into(), handler));
        self
    }

    /// The permissions (delegated scopes or application roles) reading and writing the
    /// collection require: the one place a model states its access rules, enforced by
    /// [`crate::auth::authorize`] for every request and feature.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// The string properties `$search` matches (default: every string property of the
    /// entity type that is not write-only). Each must be a property of the entity type or
    /// of a type derived from it, and not write-only.
    pub fn searchable<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.searchable = Some(properties.into_iter().map(Into::into).collect());
        self
    }

    /// The collection path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Registers collections and their tables; see [`Service`].
#[derive(Debug)]
pub struct ServiceBuilder {
    model: Model,
    collections: Vec<CollectionDef>,
    singletons: Vec<SingletonDef>,
    function_imports: Vec<(String, FunctionHandler)>,
}

/// A singleton of the model stored in a table of its own, one row per tenant: read with
/// `GET /{name}` (with `$select`, property paths and `/$value`), updated with PATCH and
/// PUT (If-Match optional; 204 unless `return=representation`); POST and DELETE answer
/// 405. The service writes its row (there is no create through HTTP); a tenant without
/// one gets 404. The table is laid out as a collection's (see [`crate::store::table`]).
///
/// ```
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
/// use odata_server::service::{Service, SingletonDef};
///
/// let model = ModelBuilder::new("example.shop")
///     .entity_type(EntityTypeDef::new("company").key(["id"])
///         .property(PropertyDef::new("id", "Edm.Guid").not_null())
///         .property(PropertyDef::new("name", "Edm.String")))
///     .singleton("Company", "company")
///     .build()
///     .unwrap();
/// let service = Service::builder(model)
///     .singleton(SingletonDef::new("Company", "company"))
///     .build()
///     .unwrap();
/// assert_eq!(service.stored_singleton("Company").unwrap().table.name, "company");
/// ```
#[derive(Debug, Clone)]
pub struct SingletonDef {
    name: String,
    table: String,
    permissions: Option<Permissions>,
}

impl SingletonDef {
    /// The model's singleton `name`, stored in table `table`.
    pub fn new(name: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            table: table.into(),
            permissions: None,
        }
    }

    /// The permissions reading and updating it require (as for a collection).
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }
}

impl ServiceBuilder {
    /// Serves a collection; see [`CollectionDef`].
    pub fn collection(mut self, collection: CollectionDef) -> Self {
        self.collections.push(collection);
        self
    }

    /// Serves a singleton of the model from a table; see [`SingletonDef`].
    pub fn singleton(mut self, singleton: SingletonDef) -> Self {
        self.singletons.push(singleton);
        self
    }

    /// Gives the model's function import `name` its computation; see
    /// [`crate::function`]. An import without one answers 501.
    pub fn function_import(mut self, name: impl Into<String>, handler: FunctionHandler) -> Self {
        self.function_imports.push((name.into(), handler));
        self
    }

    /// Checks every declaration against the model and derives the table mappings.
    ///
    /// Errors: a path that is not a collection of the model or is declared twice, an
    /// entity type without key, a searchable name that is not a property or is write-only.
    pub fn build(self) -> Result<Service, ServiceError> {
        let model = self.model;
        let mut collections: Vec<Collection> = Vec::with_capacity(self.collections.len());
        let mut links = Vec::with_capacity(self.collections.len());
        let mut contained = Vec::new();
        for def in self.collections {
            if collections.iter().any(|c| c.path == def.path) {
                return Err(ServiceError::DuplicateCollection(def.path));
            }
            let segments: Vec<String> = def.path.split('/').map(str::to_owned).collect();
            let entity_type = resolve_collection(&model, &segments)
                .ok_or_else(|| ServiceError::UnknownCollection(def.path.clone()))?;
            if model.entity_type(entity_type).key.is_empty() {
                return Err(ServiceError::NoKey(def.path));
            }
            let table = Table::new(&model, entity_type, def.table);
            let searchable = searchable_columns(&table, &def.path, def.searchable.as_deref())?;
            links.push(def.links);
            let actions = def
                .actions
                .into_iter()
                .map(
                    |(name, handler)| match model.bound_action(entity_type, false, &name) {
                        Some(action) => Ok((action.qualified_name.clone(), handler)),
                        None => Err(ServiceError::UnknownOperation {
                            path: def.path.clone(),
                            operation: name,
                        }),
                    },
                )
                .collect::<Result<_, _>>()?;
            let functions = def
                .functions
                .into_iter()
                .map(
                    |(name, handler)| match model.bound_function(entity_type, false, &name) {
                        Some(function) => Ok((function.qualified_name.clone(), handler)),
                        None => Err(ServiceError::UnknownOperation {
                            path: def.path.clone(),
                            operation: name,
                        }),
                    },
                )
                .collect::<Result<_, _>>()?;
            contained.push((collections.len(), def.contained));
            collections.push(Collection {
                read_only: def.read_only,
                media: def.media,
                singleton: false,
                containment: None,
                actions,
                functions,
                permissions: def.permissions,
                searchable,
                table,
                path: def.path,
                segments,
                entity_type,
                navigations: Vec::new(),
            });
        }
        for (parent, defs) in contained {
            for (navigation, table) in defs {
                let index = collections.len();
                let (child, column) =
                    bind_contained(&model, &collections[parent], parent, &navigation, table)?;
                collections.push(child);
                collections[parent].navigations.push(Navigation {
                    name: navigation,
                    target: index,
                    link: Link::Inverse { column },
                });
            }
        }
        // References first: an inverse needs the reference column of its target.
        for (source, defs) in links.iter().enumerate() {
            for def in defs {
                if let LinkDef::Reference { navigation, target } = def {
                    let nav = bind_reference(&model, &mut collections, source, navigation, target)?;
                    collections[source].navigations.push(nav);
                }
            }
        }
        for (source, defs) in links.iter().enumerate() {
            for def in defs {
                if let LinkDef::Inverse {
                    navigation,
                    target,
                    via,
                } = def
                {
                    let nav = bind_inverse(&model, &collections, source, navigation, target, via)?;
                    collections[source].navigations.push(nav);
                }
            }
        }
        for def in self.singletons {
            let singleton = model
                .singleton(&def.name)
                .ok_or_else(|| ServiceError::UnknownSingleton(def.name.clone()))?;
            if collections.iter().any(|c| c.path == def.name) {
                return Err(ServiceError::DuplicateCollection(def.name));
            }
            let table = Table::new(&model, singleton.entity_type, def.table);
            collections.push(Collection {
                path: def.name.clone(),
                segments: vec![def.name],
                entity_type: singleton.entity_type,
                table,
                searchable: Vec::new(),
                permissions: def.permissions,
                navigations: Vec::new(),
                actions: Vec::new(),
                functions: Vec::new(),
                containment: None,
                read_only: false,
                media: None,
                singleton: true,
            });
        }
        let function_imports = self
            .function_imports
            .into_iter()
            .map(|(name, handler)| match model.function_import(&name) {
                Some(_) => Ok((name, handler)),
                None => Err(ServiceError::UnknownOperation {
                    path: String::new(),
                    operation: name,
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Service {
            model,
            collections,
            function_imports,
        })
    }
}

/// The collection that a containment navigation property of `parent`'s entities leads
/// to, stored in `table` with a `_parent` column typed like the parent's key.
fn bind_contained(
    model: &Model,
    parent: &Collection,
    parent_index: usize,
    navigation: &str,
    table: String,
) -> Result<(Collection, usize), ServiceError> {
    let error = |reason: &str| ServiceError::Navigation {
        path: parent.path.clone(),
        navigation: navigation.to_owned(),
        reason: reason.to_owned(),
    };
    let nav = model
        .entity_type(parent.entity_type)
        .navigation_property(navigation)
        .ok_or_else(|| error("no such navigation property"))?;
    if !(nav.collection && nav.contains_target) {
        return Err(error(
            "it is not a collection-valued containment navigation property",
        ));
    }
    let [key] = parent.table.key.as_slice() else {
        return Err(error("the parent's key is not a single property"));
    };
    let path = format!("{}/{navigation}", parent.path);
    if model.entity_type(nav.target).key.is_empty() {
        return Err(ServiceError::NoKey(path));
    }
    let mut table = Table::new(model, nav.target, table);
    let column = table.add_parent(&parent.table.columns[*key].property);
    let searchable = searchable_columns(&table, &path, None)?;
    let mut segments = parent.segments.clone();
    segments.push(navigation.to_owned());
    let collection = Collection {
        path,
        segments,
        entity_type: nav.target,
        table,
        searchable,
        permissions: parent.permissions.clone(),
        navigations: Vec::new(),
        actions: Vec::new(),
        functions: Vec::new(),
        read_only: parent.read_only,
        media: None,
        singleton: false,
        containment: Some(Containment {
            parent: parent_index,
            navigation: navigation.to_owned(),
            column,
        }),
    };
    Ok((collection, column))
}

/// The navigation property `name` of the collection's entity type, checked for cardinality,
/// and the index of the served collection at `target` holding its entity type.
fn navigation_target(
    model: &Model,
    collections: &[Collection],
    source: usize,
    name: &str,
    target: &str,
    collection_valued: bool,
) -> Result<usize, ServiceError> {
    let path = &collections[source].path;
    let error = |reason: String| ServiceError::Navigation {
        path: path.clone(),
        navigation: name.to_owned(),
        reason,
    };
    let ty = model.entity_type(collections[source].entity_type);
    let nav = ty.navigation_property(name).ok_or_else(|| {
        error(format!(
            "'{}' has no such navigation property",
            ty.qualified_name
        ))
    })?;
    if nav.collection != collection_valued {
        return Err(error(if collection_valued {
            "it is single-valued: bind it with `reference`".to_owned()
        } else {
            "it is collection-valued: bind it with `inverse`".to_owned()
        }));
    }
    let index = collections
        .iter()
        .position(|c| c.path == target)
        .ok_or_else(|| error(format!("'{target}' is not a served collection")))?;
    if !model.entity_derives_from(collections[index].entity_type, nav.target) {
        return Err(error(format!(
            "'{target}' holds '{}', not '{}'",
            model
                .entity_type(collections[index].entity_type)
                .qualified_name,
            model.entity_type(nav.target).qualified_name
        )));
    }
    Ok(index)
}

/// A single-valued navigation stored in a new reference column `{name}__id` of the source
/// table, typed like the target's (single) key.
fn bind_reference(
    model: &Model,
    collections: &mut [Collection],
    source: usize,
    name: &str,
    target: &str,
) -> Result<Navigation, ServiceError> {
    let index = navigation_target(model, collections, source, name, target, false)?;
    let target_table = &collections[index].table;
    let [key] = target_table.key.as_slice() else {
        return Err(ServiceError::Navigation {
            path: collections[source].path.clone(),
            navigation: name.to_owned(),
            reason: format!("the key of '{target}' is not a single property"),
        });
    };
    let key = target_table.columns[*key].property.clone();
    let column = collections[source].table.add_reference(name, &key);
    Ok(Navigation {
        name: name.to_owned(),
        target: index,
        link: Link::Reference { column },
    })
}

/// A collection-valued navigation: the members of `target` whose reference `via` leads
/// back to the source collection.
fn bind_inverse(
    model: &Model,
    collections: &[Collection],
    source: usize,
    name: &str,
    target: &str,
    via: &str,
) -> Result<Navigation, ServiceError> {
    let index = navigation_target(model, collections, source, name, target, true)?;
    let back = collections[index].navigation(via);
    match back {
        Some(Navigation {
            target,
            link: Link::Reference { column },
            ..
        }) if *target == source => Ok(Navigation {
            name: name.to_owned(),
            target: index,
            link: Link::Inverse { column: *column },
        }),
        _ => Err(ServiceError::Navigation {
            path: collections[source].path.clone(),
            navigation: name.to_owned(),
            reason: format!(
                "'{target}' declares no reference '{via}' leading back to '{}'",
                collections[source].path
            ),
        }),
    }
}

/// The declared searchable properties of the collection at `path`, or every string
/// property of the table that is not write-only.
fn searchable_columns(
    table: &Table,
    path: &str,
    declared: Option<&[String]>,
) -> Result<Vec<usize>, ServiceError> {
    let Some(names) = declared else {
        return Ok(table
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                !table.is_stream_type_column(*i)
                    && !c.property.type_ref.collection
                    && !c.property.is_write_only()
                    && c.property.type_ref.primitive()
                        == Some(odata_core::edm::PrimitiveKind::String)
            })
            .map(|(i, _)| i)
            .collect());
    };
    names
        .iter()
        .map(|name| {
            let Some(i) = table.column_index(name) else {
                return Err(ServiceError::UnknownSearchable {
                    path: path.to_owned(),
                    property: name.clone(),
                });
            };
            if table.columns[i].property.is_write_only() {
                return Err(ServiceError::WriteOnlySearchable {
                    path: path.to_owned(),
                    property: name.clone(),
                });
            }
            Ok(i)
        })
        .collect()
}

fn resolve_collection(model: &Model, segments: &[String]) -> Option<EntityTypeId> {
    match segments {
        [set] => model.entity_set(set).map(|s| s.entity_type),
        [singleton, nav] => {
            let ty = model.entity_type(model.singleton(singleton)?.entity_type);
            let nav = ty.navigation_property(nav)?;
            (nav.collection && nav.contains_target).then_some(nav.target)
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::edm::{Annotation, EntityTypeDef, ModelBuilder, PropertyDef};

    use super::*;

    fn model() -> Model {
        ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("product")
                    .key(["sku"])
                    .property(PropertyDef::new("sku", "Edm.String").not_null())
                    .property(PropertyDef::new("name", "Edm.String"))
                    .property(
                        PropertyDef::new("secret", "Edm.String").annotate(Annotation::write_only()),
                    ),
            )
            .entity_set("products", "product")
            .build()
            .unwrap()
    }

    fn searchable_names(service: &Service) -> Vec<&str> {
        let c = &service.collections()[0];
        c.searchable
            .iter()
            .map(|&i| c.table.columns[i].property.name.as_str())
            .collect()
    }

    #[test]
    fn a_stored_singleton_must_be_a_singleton_of_the_model() {
        let model = ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("company")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .singleton("company", "company")
            .build()
            .unwrap();
        let build = |name: &str| {
            Service::builder(model.clone())
                .singleton(SingletonDef::new(name, "company"))
                .build()
        };
        let service = build("company").unwrap();
        let stored = service.stored_singleton("company").unwrap();
        assert!(stored.singleton && !stored.read_only);
        assert!(stored.searchable.is_empty());
        assert_eq!(
            build("other").unwrap_err(),
            ServiceError::UnknownSingleton("other".into())
        );
    }

    #[test]
    fn default_searchable_properties_leave_out_write_only_ones() {
        let service = Service::builder(model())
            .collection(CollectionDef::new("products", "products"))
            .build()
            .unwrap();
        assert_eq!(searchable_names(&service), ["sku", "name"]);
        assert_eq!(service.collections()[0].permissions, None);
    }

    #[test]
    fn declared_searchable_properties_must_exist_and_be_readable() {
        let build = |names: &[&str]| {
            Service::builder(model())
                .collection(
                    CollectionDef::new("products", "products").searchable(names.iter().copied()),
                )
                .build()
        };
        assert_eq!(searchable_names(&build(&["name"]).unwrap()), ["name"]);
        assert_eq!(
            build(&["name", "secret"]).unwrap_err(),
            ServiceError::WriteOnlySearchable {
                path: "products".into(),
                property: "secret".into()
            }
        );
        let e = build(&["nmae"]).unwrap_err();
        assert_eq!(
            e,
            ServiceError::UnknownSearchable {
                path: "products".into(),
                property: "nmae".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "'products': the searchable property 'nmae' is not a property of its entity type"
        );
    }

    #[test]
    fn a_collection_is_declared_once_with_its_permissions() {
        let read = Permissions::new(&["Shop.Read"], &["Shop.ReadWrite"]);
        let service = Service::builder(model())
            .collection(
                CollectionDef::new("products", "products")
                    .permissions(read.clone())
                    .searchable(["name"]),
            )
            .build()
            .unwrap();
        assert_eq!(service.collections()[0].permissions, Some(read.clone()));
        assert_eq!(searchable_names(&service), ["name"]);
        let e = Service::builder(model())
            .collection(CollectionDef::new("orders", "orders").permissions(read))
            .build()
            .unwrap_err();
        assert_eq!(e, ServiceError::UnknownCollection("orders".into()));
        let e = Service::builder(model())
            .collection(CollectionDef::new("products", "products"))
            .collection(CollectionDef::new("products", "products_2"))
            .build()
            .unwrap_err();
        assert_eq!(e, ServiceError::DuplicateCollection("products".into()));
    }

    fn linked_model() -> Model {
        use odata_core::edm::NavigationDef;
        ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("category")
                    .key(["code"])
                    .property(PropertyDef::new("code", "Edm.Int32").not_null())
                    .navigation(NavigationDef::new(
                        "products",
                        "Collection(example.shop.product)",
                    )),
            )
            .entity_type(
                EntityTypeDef::new("product")
                    .key(["sku"])
                    .property(PropertyDef::new("sku", "Edm.String").not_null())
                    .navigation(NavigationDef::new("category", "example.shop.category")),
            )
            .entity_set("categories", "category")
            .entity_set("products", "product")
            .build()
            .unwrap()
    }

    fn linked(products: CollectionDef, categories: CollectionDef) -> Result<Service, ServiceError> {
        Service::builder(linked_model())
            .collection(categories)
            .collection(products)
            .build()
    }

    #[test]
    fn a_reference_adds_a_column_typed_like_the_target_key_and_an_inverse_reads_it() {
        let service = linked(
            CollectionDef::new("products", "products").reference("category", "categories"),
            CollectionDef::new("categories", "categories")
                .inverse("products", "products", "category"),
        )
        .unwrap();
        let (categories, products) = (&service.collections()[0], &service.collections()[1]);
        let category = products.navigation("category").unwrap();
        let Link::Reference { column } = category.link else {
            panic!("{category:?}")
        };
        let stored = &products.table.columns[column];
        assert_eq!(stored.property.name, "category__id");
        assert_eq!(stored.kind, crate::store::table::ColumnKind::Integer);
        assert_eq!(stored.reference.as_deref(), Some("category"));
        assert_eq!(service.target(category).path, "categories");
        let inverse = categories.navigation("products").unwrap();
        assert_eq!(inverse.link, Link::Inverse { column });
        assert!(inverse.is_collection() && !category.is_collection());
        // Not a property: no type of the hierarchy lists the reference column.
        assert!(
            products
                .table
                .types
                .iter()
                .all(|t| !t.columns.contains(&column))
        );
    }

    #[test]
    fn navigation_bindings_that_do_not_fit_the_model_are_errors() {
        let reason =
            |products: CollectionDef, categories: CollectionDef| match linked(products, categories)
            {
                Err(ServiceError::Navigation { reason, .. }) => reason,
                other => panic!("{other:?}"),
            };
        let plain = || CollectionDef::new("categories", "categories");
        assert!(
            reason(
                CollectionDef::new("products", "products").reference("nope", "categories"),
                plain()
            )
            .contains("no such navigation property")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products").reference("category", "elsewhere"),
                plain()
            )
            .contains("not a served collection")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products").reference("category", "products"),
                plain()
            )
            .contains("holds 'example.shop.product'")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products"),
                plain().reference("products", "products")
            )
            .contains("collection-valued")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products"),
                plain().inverse("products", "products", "category")
            )
            .contains("declares no reference 'category'")
        );
    }

    #[test]
    fn operations_and_containments_must_be_in_the_model() {
        let unknown = |operation: &str| ServiceError::UnknownOperation {
            path: "products".into(),
            operation: operation.into(),
        };
        let action = crate::action::ActionHandler::new(|_| {
            Ok(crate::action::ActionEffect::Update(Vec::new()))
        });
        let function = FunctionHandler::new(|_| Ok(serde_json::Value::Null));
        let build = |def: CollectionDef| Service::builder(model()).collection(def).build();
        assert_eq!(
            build(CollectionDef::new("products", "products").action("nope", action)).unwrap_err(),
            unknown("nope")
        );
        assert_eq!(
            build(CollectionDef::new("products", "products").function("nope", function.clone()))
                .unwrap_err(),
            unknown("nope")
        );
        let e = Service::builder(model())
            .collection(CollectionDef::new("products", "products"))
            .function_import("nope", function)
            .build()
            .unwrap_err();
        assert_eq!(
            e,
            ServiceError::UnknownOperation {
                path: String::new(),
                operation: "nope".into()
            }
        );
        // Only a collection-valued containment navigation can be stored as contained.
        let e = linked(
            CollectionDef::new("products", "products"),
            CollectionDef::new("categories", "categories").contains("products", "p"),
        )
        .unwrap_err();
        assert!(
            matches!(&e, ServiceError::Navigation { reason, .. } if reason.contains("containment")),
            "{e}"
        );
    }
}
