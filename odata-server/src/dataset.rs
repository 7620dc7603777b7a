//! Data a service loads into its store by itself: demo or fixture entities, collection by
//! collection, written at start-up into an empty store ([`ServiceBuilder::initial_data`]) or
//! replacing everything the store holds ([`replace`]).
//!
//! Entities are OData JSON as a client would send them, with two differences: every
//! property given is kept — keys and computed properties too, so demo data has stable keys
//! and fixed timestamps — and a property left out gets the value a create would give it
//! (null, the type's zero, the current time for computed timestamps). Relationships are
//! written through foreign-key properties, links of many-to-many navigations as pairs of
//! keys ([`Dataset::links`]), media streams with their entity
//! ([`Dataset::media_entity`]). Everything is written in one transaction; replacing the
//! data empties the link tables too.
//!
//! ```
//! use odata_server::dataset::Dataset;
//! use serde_json::json;
//!
//! let demo = Dataset::new()
//!     .collection("groups", [json!({"id": 1, "name": "red"})])
//!     .collection("items", [json!({"id": 1, "groupId": 1})]);
//! # let _ = demo;
//! ```
//!
//! [`ServiceBuilder::initial_data`]: crate::service::ServiceBuilder::initial_data

use odata_core::error::ODataError;
use odata_core::json;
use odata_core::value::{DateTimeOffset, Value};
use serde_json::Value as Json;

use crate::service::Service;
use crate::store::{Store, StoreError};

/// Entities per collection, written in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    collections: Vec<(String, Vec<Entity>)>,
    links: Vec<Links>,
}

/// Links of one many-to-many navigation: pairs of (source key, target key) as JSON.
#[derive(Debug, Clone, PartialEq)]
struct Links {
    path: String,
    navigation: String,
    pairs: Vec<(Json, Json)>,
}

/// One entity of a dataset: its OData JSON and, for a media entity, its media stream.
#[derive(Debug, Clone, PartialEq)]
struct Entity {
    json: Json,
    media: Option<(Vec<u8>, String)>,
}

impl Dataset {
    /// No entities.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `entities` (OData JSON objects) to the collection at `path`.
    pub fn collection(
        mut self,
        path: impl Into<String>,
        entities: impl IntoIterator<Item = Json>,
    ) -> Self {
        let entities = entities
            .into_iter()
            .map(|json| Entity { json, media: None });
        self.collections.push((path.into(), entities.collect()));
        self
    }

    /// Adds links of the many-to-many navigation property `navigation` of the collection
    /// at `path` (see [`CollectionDef::many`](crate::service::CollectionDef::many)), each a
    /// pair (key of the source entity, key of the related entity) as JSON values. They are
    /// written after every entity, and both entities must exist.
    ///
    /// ```
    /// use odata_server::dataset::Dataset;
    /// use serde_json::json;
    ///
    /// let demo = Dataset::new()
    ///     .collection("people", [json!({"id": 1}), json!({"id": 2})])
    ///     .links("people", "friends", [(json!(1), json!(2))]);
    /// # let _ = demo;
    /// ```
    pub fn links(
        mut self,
        path: impl Into<String>,
        navigation: impl Into<String>,
        pairs: impl IntoIterator<Item = (Json, Json)>,
    ) -> Self {
        self.links.push(Links {
            path: path.into(),
            navigation: navigation.into(),
            pairs: pairs.into_iter().collect(),
        });
        self
    }

    /// Adds a media entity (of a type with `HasStream`) with the bytes and media type of
    /// its stream to the collection at `path`.
    pub fn media_entity(
        mut self,
        path: impl Into<String>,
        entity: Json,
        bytes: Vec<u8>,
        media_type: impl Into<String>,
    ) -> Self {
        let entity = Entity {
            json: entity,
            media: Some((bytes, media_type.into())),
        };
        let path = path.into();
        match self.collections.last_mut() {
            Some((last, entities)) if *last == path => entities.push(entity),
            _ => self.collections.push((path, vec![entity])),
        }
        self
    }
}

/// Why a dataset could not be written; nothing of it is.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A path that names no collection of the service.
    #[error("the dataset names no collection of the service: '{0}'")]
    UnknownCollection(String),
    /// An entity that is not valid for its collection.
    #[error("'{collection}' entity {index}: {error}")]
    Invalid {
        /// The collection path.
        collection: String,
        /// The entity's position in it.
        index: usize,
        /// What is wrong.
        error: ODataError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `dataset` into the tenant's empty store; a store holding any row of the served
/// collections is left as it is. Returns whether it wrote.
pub async fn load_if_empty(
    service: &Service,
    store: &Store,
    tenant: &str,
    dataset: &Dataset,
) -> Result<bool, DatasetError> {
    for collection in service.collections() {
        if !store.is_empty(&collection.table, tenant).await? {
            return Ok(false);
        }
    }
    write(service, store, tenant, dataset, false).await?;
    Ok(true)
}

/// Replaces everything the tenant's store holds in the served collections with `dataset`,
/// in one transaction: readers see the old data or the new, and a failure leaves the old.
pub async fn replace(
    service: &Service,
    store: &Store,
    tenant: &str,
    dataset: &Dataset,
) -> Result<(), DatasetError> {
    write(service, store, tenant, dataset, true).await
}

async fn write(
    service: &Service,
    store: &Store,
    tenant: &str,
    dataset: &Dataset,
    clear: bool,
) -> Result<(), DatasetError> {
    let group = store.begin_group().await?;
    let written = write_in(service, &group, tenant, dataset, clear).await;
    group.end_group(written.is_ok()).await?;
    written
}

async fn write_in(
    service: &Service,
    store: &Store,
    tenant: &str,
    dataset: &Dataset,
    clear: bool,
) -> Result<(), DatasetError> {
    if clear {
        for link in service.link_tables() {
            store.clear(&link.table, tenant).await?;
        }
        for collection in service.collections() {
            store.clear(&collection.table, tenant).await?;
        }
    }
    let now = crate::initial::now();
    for (path, entities) in &dataset.collections {
        let collection = service
            .collections()
            .iter()
            .find(|c| &c.path == path)
            .ok_or_else(|| DatasetError::UnknownCollection(path.clone()))?;
        for (index, entity) in entities.iter().enumerate() {
            let invalid = |error: ODataError| DatasetError::Invalid {
                collection: path.clone(),
                index,
                error,
            };
            let table = &collection.table;
            let (type_name, mut values) =
                row(service, collection, &entity.json, &now).map_err(invalid)?;
            let stream = match &entity.media {
                Some((bytes, media_type)) => {
                    let columns = table.stream(None).ok_or_else(|| {
                        invalid(ODataError::bad_request(
                            "a media stream for an entity of a type without one",
                        ))
                    })?;
                    values[columns.media_type] = Value::String(media_type.clone());
                    Some((columns, bytes.clone()))
                }
                None => None,
            };
            store
                .insert_with_stream(table, tenant, &type_name, &values, stream)
                .await?;
        }
    }
    for links in &dataset.links {
        write_links(service, store, tenant, links).await?;
    }
    Ok(())
}

/// Writes the links of one many-to-many navigation; both entities of each must exist.
async fn write_links(
    service: &Service,
    store: &Store,
    tenant: &str,
    links: &Links,
) -> Result<(), DatasetError> {
    let collection = service
        .collection(&links.path)
        .ok_or_else(|| DatasetError::UnknownCollection(links.path.clone()))?;
    let invalid = |index: usize, message: String| DatasetError::Invalid {
        collection: format!("{}/{}", links.path, links.navigation),
        index,
        error: ODataError::bad_request(message),
    };
    let (navigation, link) = match collection.navigation(&links.navigation) {
        Some(
            n @ crate::service::Navigation {
                link: crate::service::Link::Many { table },
                ..
            },
        ) => (n, table),
        _ => {
            return Err(invalid(
                0,
                format!("'{}' is not a many-to-many navigation", links.navigation),
            ));
        }
    };
    let target = service.target(navigation);
    let key_type = |c: &crate::service::Collection| match c.table.key.as_slice() {
        [k] => Ok(c.table.columns[*k].property.type_ref.clone()),
        _ => Err(invalid(
            0,
            "a link between entities without single keys".into(),
        )),
    };
    let (source_type, target_type) = (key_type(collection)?, key_type(target)?);
    let model = service.model();
    for (index, (source, member)) in links.pairs.iter().enumerate() {
        let source = json::read_value(model, &source_type, source, "source")
            .map_err(|e| invalid(index, e.message))?;
        let member = json::read_value(model, &target_type, member, "target")
            .map_err(|e| invalid(index, e.message))?;
        let linked = store
            .change(
                &collection.table,
                tenant,
                std::slice::from_ref(&source),
                |_| true,
                |_| {
                    Ok(crate::store::Change {
                        values: None,
                        relinks: vec![crate::store::Relink {
                            table: &target.table,
                            via: crate::store::Via::Links(link),
                            members: vec![vec![member.clone()]],
                            link: true,
                        }],
                        stream: None,
                    })
                },
            )
            .await;
        match linked {
            Ok(_) => {}
            Err(StoreError::NotFound | StoreError::MissingMember(_)) => {
                return Err(invalid(
                    index,
                    "a link to an entity that does not exist".into(),
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// The concrete type's name and the column values of one entity of `collection`.
fn row(
    service: &Service,
    collection: &crate::service::Collection,
    entity: &Json,
    now: &DateTimeOffset,
) -> Result<(String, Vec<Value>), ODataError> {
    let model = service.model();
    let Json::Object(object) = entity else {
        return Err(ODataError::bad_request("an entity is a JSON object"));
    };
    let rules = json::WriteRules {
        keep_read_only: true,
        ..service.write_rules()
    };
    let payload = json::read_entity_object(model, collection.entity_type, object, rules)?;
    if let Some(member) = payload
        .binds
        .keys()
        .chain(payload.links.keys())
        .chain(payload.inline.keys())
        .next()
    {
        return Err(ODataError::bad_request(format!(
            "'{member}': dataset entities link through foreign-key properties"
        )));
    }
    let table = &collection.table;
    let table_type = table
        .table_type_by_id(payload.entity_type)
        .ok_or_else(|| ODataError::bad_request("the entity's type is not stored here"))?;
    let mut values = vec![Value::Null; table.columns.len()];
    for &c in &table_type.columns {
        values[c] = crate::initial::initial_value(model, &table.columns[c].property, now);
    }
    for (name, value) in &payload.values {
        if let Some(c) = table.column_index(name) {
            values[c] = value.clone();
        }
    }
    if let Some(&missing) = table.key.iter().find(|&&k| values[k].is_null()) {
        return Err(ODataError::bad_request(format!(
            "the key property '{}' is missing",
            table.columns[missing].property.name
        )));
    }
    Ok((table_type.name.clone(), values))
}
