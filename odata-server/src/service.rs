//! What a service serves: a model plus the collections it exposes and where they are stored.
//!
//! ```
//! use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
//! use odata_server::service::Service;
//!
//! let model = ModelBuilder::new("example.shop")
//!     .entity_type(EntityTypeDef::new("product").key(["sku"])
//!         .property(PropertyDef::new("sku", "Edm.String").not_null()))
//!     .entity_set("products", "product")
//!     .build()
//!     .unwrap();
//! let service = Service::builder(model).collection("products", "products").build().unwrap();
//! assert_eq!(service.collections()[0].table.name, "products");
//! ```

use odata_core::edm::{EntityTypeId, Model};

use crate::auth::Permissions;
use crate::store::table::Table;

/// Why a service definition is inconsistent with its model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The path does not name an entity set or a singleton's contained collection.
    #[error("'{0}' is not an entity set or a collection contained in a singleton")]
    UnknownCollection(String),
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
}

/// A model with its collections bound to storage. Built once at start-up.
#[derive(Debug, Clone)]
pub struct Service {
    model: Model,
    collections: Vec<Collection>,
}

impl Service {
    /// Starts a service definition over a model.
    pub fn builder(model: Model) -> ServiceBuilder {
        ServiceBuilder {
            model,
            collections: Vec::new(),
            searchable: std::collections::BTreeMap::new(),
            permissions: std::collections::BTreeMap::new(),
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
}

/// Registers collections and their tables; see [`Service`].
#[derive(Debug)]
pub struct ServiceBuilder {
    model: Model,
    collections: Vec<(String, String)>,
    searchable: std::collections::BTreeMap<String, Vec<String>>,
    permissions: std::collections::BTreeMap<String, Permissions>,
}

impl ServiceBuilder {
    /// Declares the string properties `$search` matches in the collection at `path`
    /// (default: every string property of its entity type that is not write-only).
    /// [`ServiceBuilder::build`] fails for a path that is not a registered collection, a name
    /// that is not a property, and a write-only property.
    pub fn searchable<I, S>(mut self, path: impl Into<String>, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.searchable.insert(
            path.into(),
            properties.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Serves the collection at `path` (an entity set name, or `singleton/navigation` for a
    /// contained collection), stored in table `table`.
    pub fn collection(mut self, path: impl Into<String>, table: impl Into<String>) -> Self {
        self.collections.push((path.into(), table.into()));
        self
    }

    /// Declares the permissions (delegated scopes or application roles) that reading and
    /// writing the collection at `path` require: the one place a model states its access
    /// rules, enforced by [`crate::auth::authorize`] for every request and feature. With
    /// authentication on, a collection without a declaration is closed.
    pub fn permissions(mut self, path: impl Into<String>, permissions: Permissions) -> Self {
        self.permissions.insert(path.into(), permissions);
        self
    }

    /// Checks every path against the model and derives the table mappings.
    pub fn build(self) -> Result<Service, ServiceError> {
        let model = self.model;
        if let Some(path) = self
            .permissions
            .keys()
            .chain(self.searchable.keys())
            .find(|p| !self.collections.iter().any(|(c, _)| c == *p))
        {
            return Err(ServiceError::UnknownCollection(path.clone()));
        }
        let collections = self
            .collections
            .into_iter()
            .map(|(path, table)| {
                let searchable = &self.searchable;
                let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
                let entity_type = resolve_collection(&model, &segments)
                    .ok_or_else(|| ServiceError::UnknownCollection(path.clone()))?;
                if model.entity_type(entity_type).key.is_empty() {
                    return Err(ServiceError::NoKey(path));
                }
                let table = Table::new(&model, entity_type, table);
                let searchable = searchable_columns(&table, &path, searchable.get(&path))?;
                Ok(Collection {
                    permissions: self.permissions.get(&path).cloned(),
                    searchable,
                    table,
                    path,
                    segments,
                    entity_type,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Service { model, collections })
    }
}

/// The declared searchable properties of the collection at `path`, or every string
/// property of the table that is not write-only.
fn searchable_columns(
    table: &Table,
    path: &str,
    declared: Option<&Vec<String>>,
) -> Result<Vec<usize>, ServiceError> {
    let Some(names) = declared else {
        return Ok(table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                !c.property.type_ref.collection
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
    fn default_searchable_properties_leave_out_write_only_ones() {
        let service = Service::builder(model())
            .collection("products", "products")
            .build()
            .unwrap();
        assert_eq!(searchable_names(&service), ["sku", "name"]);
    }

    #[test]
    fn declared_searchable_properties_must_exist_and_be_readable() {
        let build = |names: &[&str]| {
            Service::builder(model())
                .collection("products", "products")
                .searchable("products", names.iter().copied())
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
        let e = Service::builder(model())
            .collection("products", "products")
            .searchable("orders", ["name"])
            .build()
            .unwrap_err();
        assert_eq!(e, ServiceError::UnknownCollection("orders".into()));
    }
}
