//! Writing: create, update (PATCH merges, PUT replaces), delete. Each is one transaction;
//! a request that fails writes nothing.
//!
//! A body may link the entity to existing entities through single-valued navigation
//! properties bound to storage ([`Link::Reference`]): `x@odata.bind` (or `x@bind`) holds
//! the URL of the entity to link (relative to the service root, an absolute path or an
//! absolute URL of this service), `null` removes the link. The linked entity must be a
//! member of the navigation's target collection in the caller's tenant, and the caller must
//! be allowed to read that collection; its key is written to the reference column.

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use odata_core::edm::{EntityTypeId, PrimitiveKind, Property};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{self, Bind, EntityPayload};
use odata_core::query::QueryOptions;
use odata_core::value::{DateTimeOffset, Value};
use serde_json::Value as Json;

use super::output::{entity_response, entity_url, json_options};
use super::read::not_found;
use super::{Request, deep_insert};
use crate::auth::{self, Access};
use crate::error::internal;
use crate::initial::{creation_time, initial_value, is_timestamp};
use crate::preconditions::Preconditions;
use crate::prefer::{self, ReturnPreference};
use crate::routing::{self, Addressing, Related, RequestInfo, Route, Target};
use crate::service::{Collection, Link, Navigation};
use crate::store::link_table::LinkTable;
use crate::store::table::{StreamColumns, Table, TableType};
use crate::store::{Change, DependentRule, Dependents, Relink, StoreError, Via};

/// An entity a create through a many-to-many navigation property links the new entity
/// to, in the create's transaction.
pub(super) struct LinkedFrom<'a> {
    /// The entity's collection.
    pub source: &'a Collection,
    /// Its key.
    pub key: &'a [Value],
    /// The navigation's link table.
    pub link: &'a LinkTable,
}

/// `POST collection` (and Graph's `POST collection/$ref` with an entity body). `preset`
/// gives reference columns the URL sets (a create through a navigation property);
/// `linked_from` an entity to link the new one to (a create through a many-to-many one).
pub(super) async fn create(
    request: &Request<'_>,
    collection: &Collection,
    via_ref: bool,
    preset: &[(usize, Value)],
    linked_from: Option<LinkedFrom<'_>>,
) -> Result<HttpResponse, ODataError> {
    require_json_body(request)?;
    json_options(request)?;
    let model = request.state.service.model();
    if via_ref {
        let object = json::read_object(&request.body)?;
        if object.contains_key("@odata.id") || object.contains_key("@id") {
            return Err(ODataError::bad_request(format!(
                "'{}' is a contained collection: entities cannot be added to it by reference; \
                 POST the entity itself.",
                collection.path
            ))
            .with_target("@odata.id"));
        }
    }
    let rules = request.state.service.write_rules();
    let mut object = json::read_object(&request.body)?;
    type_from_property(model, collection, &mut object)?;
    let payload = json::read_entity_object(model, collection.entity_type, &object, rules)?;
    let entity = if payload.inline.is_empty() && payload.links.is_empty() && linked_from.is_none() {
        insert(request, &request.store, collection, &payload, preset).await?
    } else {
        // Related entities are created and linked in the entity's transaction.
        let group = request.store.begin_group().await?;
        let created = async {
            let entity =
                deep_insert::insert_with_related(request, &group, collection, &payload, preset)
                    .await?;
            if let Some(from) = &linked_from {
                link_created(request, &group, collection, &entity, from).await?;
            }
            Ok::<_, ODataError>(entity)
        }
        .await;
        group.end_group(created.is_ok()).await?;
        created?
    };
    let url = entity_url(request, collection, &entity);
    let answers = request.state.service.write_answers();
    let mut response = match request.prefer.return_preference {
        ReturnPreference::Minimal => {
            let mut minimal = if answers.minimal_creates_created {
                HttpResponse::Created()
            } else {
                HttpResponse::NoContent()
            };
            minimal
                .insert_header(("ETag", super::output::etag(&entity)))
                .finish()
        }
        // The related entities created with it come inline, as if expanded; inside a
        // `$batch` group they are not committed yet, so not readable.
        _ if !payload.inline.is_empty() && !request.store.in_group() => {
            let names: Vec<&str> = payload.inline.keys().map(String::as_str).collect();
            let syntax =
                odata_core::query::parse_expand(&names.join(","), &request.state.parse_limits())
                    .map_err(|e| internal(&e))?;
            let items = crate::expand::bind(
                &request.state.service,
                request.store.backend(),
                collection,
                &syntax,
                &request.options,
                &request.now,
            )?;
            let node = super::read::expanded(
                request,
                collection,
                &items,
                &crate::compute::Computed::default(),
                vec![entity],
            )
            .await?
            .pop()
            .ok_or_else(|| internal(&"expansion lost the entity"))?;
            super::output::expanded_entity_response(
                request,
                collection,
                &node,
                &items,
                StatusCode::CREATED,
                &crate::plan::Shape::default(),
            )?
        }
        _ => entity_response(request, collection, &entity, StatusCode::CREATED, None)?,
    };
    return_applied(request, &mut response);
    locate(&mut response, &url);
    Ok(response)
}

/// Links the created `entity` of `collection` to the entity `from` names, through `store`
/// (the create's write group).
async fn link_created(
    request: &Request<'_>,
    store: &crate::store::Store,
    collection: &Collection,
    entity: &crate::store::StoredEntity,
    from: &LinkedFrom<'_>,
) -> Result<(), ODataError> {
    let [k] = collection.table.key.as_slice() else {
        return Err(internal(&"a linked entity without a single key"));
    };
    let member = vec![entity.values[*k].clone()];
    store
        .change(
            &from.source.table,
            &request.tenant,
            from.key,
            |_| true,
            |_| {
                Ok(Change {
                    values: None,
                    relinks: vec![Relink {
                        table: &collection.table,
                        via: Via::Links(from.link),
                        members: vec![member.clone()],
                        link: true,
                    }],
                    stream: None,
                })
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => not_found(from.source, from.key),
            other => other.into(),
        })?;
    Ok(())
}

/// `Location` and `OData-EntityId` of a created entity.
pub(super) fn locate(response: &mut HttpResponse, url: &str) {
    let headers = response.headers_mut();
    for name in [
        header::LOCATION,
        header::HeaderName::from_static("odata-entityid"),
    ] {
        if let Ok(v) = header::HeaderValue::from_str(url) {
            headers.insert(name, v);
        }
    }
}

/// Inserts the entity of a create body (its related entities aside) into `store`:
/// properties the body leaves out get their initial values, single-valued binds their
/// linked keys, a missing key a generated one. `preset` gives reference columns set by the
/// entity it is created inside (deep insert); a bind of the same link is a 400.
pub(super) async fn insert(
    request: &Request<'_>,
    store: &crate::store::Store,
    collection: &Collection,
    payload: &EntityPayload,
    preset: &[(usize, Value)],
) -> Result<crate::store::StoredEntity, ODataError> {
    insert_with_stream(request, store, collection, payload, preset, None).await
}

/// The uploaded bytes of a media entity's stream, with their media type.
pub(super) struct Upload<'b> {
    pub stream: &'b StreamColumns,
    pub bytes: Vec<u8>,
    pub media_type: &'b str,
}

/// [`insert`], with the bytes of a stream of the new entity in the same transaction.
pub(super) async fn insert_with_stream(
    request: &Request<'_>,
    store: &crate::store::Store,
    collection: &Collection,
    payload: &EntityPayload,
    preset: &[(usize, Value)],
    upload: Option<Upload<'_>>,
) -> Result<crate::store::StoredEntity, ODataError> {
    let model = request.state.service.model();
    let table = &collection.table;
    let table_type = table_type(table, payload)?;
    let now = &request.now;
    let mut values = vec![Value::Null; table.columns.len()];
    for &c in table_type.columns.iter().filter(|c| !table.key.contains(c)) {
        values[c] = initial_value(model, &table.columns[c].property, now);
    }
    if let Some(c) = table.type_property {
        values[c] = values_type_name(model, table_type);
    }
    if !table.creation_timestamps.is_empty() {
        let created = creation_time(now);
        for &c in &table.creation_timestamps {
            values[c] = Value::DateTimeOffset(created.clone());
        }
    }
    apply(table, payload, &mut values);
    let set_by_value = payload.values.iter().filter(|(name, _)| {
        table
            .column_index(name)
            .is_none_or(|c| preset.iter().all(|(p, _)| *p != c))
    });
    check_foreign_keys(
        request,
        collection,
        set_by_value.map(|(name, value)| (name.as_str(), value)),
        |navigation| payload.binds.contains_key(navigation),
    )
    .await?;
    for (name, bind) in &payload.binds {
        let (navigation, column) = reference(collection, name, bind)?;
        if preset.iter().any(|(c, _)| *c == column) {
            return Err(ODataError::bad_request(format!(
                "'{}': the entity is created inside the one it would link to; leave the \
                 bind out.",
                bind.member
            ))
            .with_target(bind.member.clone()));
        }
        values[column] = match &bind.url {
            Some(url) => linked_key(request, navigation, &bind.member, url).await?,
            None => Value::Null,
        };
    }
    for (column, value) in preset {
        values[*column] = value.clone();
    }
    if request.state.service.write_rules().require_non_nullable {
        require_non_nullable(table, table_type, payload, preset)?;
    }
    for &k in &table.key {
        if values[k].is_null() {
            values[k] = generated_key(&table.columns[k].property)?;
        }
    }
    let stream = upload.map(|upload| {
        values[upload.stream.media_type] = Value::String(upload.media_type.to_owned());
        (upload.stream, upload.bytes)
    });
    Ok(store
        .insert_with_stream(table, &request.tenant, &table_type.name, &values, stream)
        .await?)
}

/// `PATCH` (merge, `replace == false`) or `PUT` (replace) of one entity.
pub(super) async fn update(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
    replace: bool,
) -> Result<HttpResponse, ODataError> {
    let entity = update_entities(
        request,
        &request.store,
        collection,
        &[key.to_vec()],
        replace,
    )
    .await?
    .pop()
    .ok_or_else(|| internal(&"an update lost its entity"))?;
    // A stored singleton answers without a preference with 204, as does every update of a
    // service whose writes answer so.
    let minimal = match request.prefer.return_preference {
        ReturnPreference::Minimal => true,
        ReturnPreference::Default => {
            collection.singleton
                || request
                    .state
                    .service
                    .write_answers()
                    .updates_without_content
        }
        ReturnPreference::Representation => false,
    };
    let mut response = if minimal {
        HttpResponse::NoContent()
            .insert_header(("ETag", super::output::etag(&entity)))
            .finish()
    } else {
        entity_response(request, collection, &entity, StatusCode::OK, None)?
    };
    return_applied(request, &mut response);
    Ok(response)
}

/// Applies the request's PATCH (merge, `replace == false`) or PUT (replace) body to each
/// entity of `collection` with one of `keys`, one write each through `store` (all in one
/// transaction when `store` is a write group): the updated entities, in key order. The
/// entities the body's binds name are looked up once, before any write.
pub(super) async fn update_entities(
    request: &Request<'_>,
    store: &crate::store::Store,
    collection: &Collection,
    keys: &[Vec<Value>],
    replace: bool,
) -> Result<Vec<crate::store::StoredEntity>, ODataError> {
    require_json_body(request)?;
    json_options(request)?;
    let model = request.state.service.model();
    let table = &collection.table;
    let now = &request.now;
    let object = json::read_object(&request.body)?;
    // The linked entities are looked up before the transaction, which cannot wait for
    // other reads. One deleted in between leaves the reference that deleting it just after
    // the update would leave.
    let linked = linked_keys(request, collection, &object).await?;
    let foreign_keys = foreign_key_values(model, collection, &object)?;
    check_foreign_keys(
        request,
        collection,
        foreign_keys.iter().map(|(name, value)| (*name, value)),
        |navigation| {
            object
                .keys()
                .any(|member| json::bound_navigation(member) == Some(navigation))
        },
    )
    .await?;
    let mut updated = Vec::with_capacity(keys.len());
    for key in keys {
        // What the body adds to collection-valued navigations, to name it when one is
        // missing.
        let mut added: Vec<(String, Vec<String>)> = Vec::new();
        let result = store
            .change(table, &request.tenant, key, allowed(request), |current| {
                let table_type = super::output::stored_type(table, current)?;
                let rules = request.state.service.write_rules();
                let payload = json::read_entity_update_with(model, table_type.id, &object, rules)?;
                // A replacement applies to the addressed entity whatever key its body names;
                // a partial update naming another key would be a re-keying, which is refused.
                // Read from the body itself: a computed key is not in the payload.
                for (&k, url_value) in table.key.iter().zip(key).filter(|_| !replace) {
                    let property = &table.columns[k].property;
                    let name = &property.name;
                    let Some(body_json) = object.get(name) else {
                        continue;
                    };
                    let body_value = json::read_value(model, &property.type_ref, body_json, name)?;
                    if &body_value != url_value {
                        return Err(ODataError::bad_request(format!(
                            "The key property '{name}' cannot be changed; the body's value differs \
                         from the URL's."
                        ))
                        .with_target(name.clone()));
                    }
                }
                if let Some(c) = table.type_property
                    && let Some(named) = payload.values.get(&table.columns[c].property.name)
                    && named != &values_type_name(model, table_type)
                {
                    let name = &table.columns[c].property.name;
                    return Err(ODataError::bad_request(format!(
                        "'{name}' cannot change: the entity is a '{}'.",
                        model.entity_type(table_type.id).name
                    ))
                    .with_target(name.clone()));
                }
                let mut values = current.values.clone();
                refresh(model, table, table_type, &mut values, now, replace);
                apply_update(table, &payload, &mut values);
                for (name, bind) in &payload.binds {
                    let (_, column) = reference(collection, name, bind)?;
                    values[column] = match &bind.url {
                        Some(_) => linked
                            .get(name.as_str())
                            .cloned()
                            .ok_or_else(|| internal(&"bind not resolved before the update"))?,
                        None => Value::Null,
                    };
                }
                let mut relinks = Vec::new();
                for (name, links) in &payload.links {
                    relinks.push(deep_insert::relink(request, collection, name, links)?);
                    added.push((links.member.clone(), links.urls.clone()));
                }
                Ok(Change {
                    values: Some(values),
                    relinks,
                    stream: None,
                })
            })
            .await;
        updated.push(result.map_err(|e| match e {
            StoreError::NotFound => not_found(collection, key),
            StoreError::MissingMember(i) => deep_insert::missing_member(&added, i),
            other => other.into(),
        })?);
    }
    Ok(updated)
}

/// Reports a `return` preference the write honoured (`minimal`: no body; `representation`:
/// the entity, which is also the default) in `Preference-Applied`.
pub(super) fn return_applied(request: &Request<'_>, response: &mut HttpResponse) {
    let applied = match request.prefer.return_preference {
        ReturnPreference::Default => return,
        ReturnPreference::Minimal => "return=minimal",
        ReturnPreference::Representation => "return=representation",
    };
    prefer::applied(response.headers_mut(), applied);
}

/// `DELETE` of one entity (see [`delete_entities`]).
pub(super) async fn delete(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
) -> Result<HttpResponse, ODataError> {
    delete_entities(request, &request.store, collection, &[key.to_vec()]).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes each entity of `collection` with one of `keys`, one write each through `store`
/// (all in one transaction when `store` is a write group), with what its dependents need
/// (see [`Collection::dependents`]): the entities it contains and those whose foreign key
/// cascades are deleted, nullable foreign keys to it cleared; a non-nullable one that
/// still refers to it makes the delete a 409.
pub(super) async fn delete_entities(
    request: &Request<'_>,
    store: &crate::store::Store,
    collection: &Collection,
    keys: &[Vec<Value>],
) -> Result<(), ODataError> {
    let collections = request.state.service.collections();
    let mut dependents: Vec<Dependents<'_>> = collection
        .dependents
        .iter()
        .map(|d| Dependents {
            table: &collections[d.collection].table,
            column: d.column,
            rule: d.rule,
        })
        .collect();
    // Its links in many-to-many navigations, both ways (after the dependents, whose
    // indexes `StoreError::Referenced` gives).
    dependents.extend(request.state.service.links_of(collection).into_iter().map(
        |(link, column)| Dependents {
            table: &link.table,
            column,
            rule: DependentRule::Delete,
        },
    ));
    for key in keys {
        store
            .delete(
                &collection.table,
                &request.tenant,
                key,
                allowed(request),
                &dependents,
            )
            .await
            .map_err(|e| match e {
                StoreError::NotFound => not_found(collection, key),
                StoreError::Referenced(i) => {
                    let dependent = &collections[collection.dependents[i].collection];
                    let column = &dependent.table.columns[collection.dependents[i].column];
                    ODataError::new(
                        ErrorKind::Conflict,
                        format!(
                            "The entity is still referred to by entities of '{}' (their \
                             '{}'); delete or re-link those first.",
                            dependent.path, column.property.name
                        ),
                    )
                }
                other => other.into(),
            })?;
    }
    Ok(())
}

/// `PUT …/{navigation}/$ref` with `{"@odata.id": "<URL>"}` (`link`) or `DELETE
/// …/{navigation}/$ref` on a single-valued navigation: links the source entity to the
/// entity the URL names (checked as a bind is) or removes its link. `If-Match` applies to
/// the source entity, whose ETag changes.
pub(super) async fn set_reference(
    request: &Request<'_>,
    related: &Related<'_>,
    link: bool,
) -> Result<HttpResponse, ODataError> {
    let Link::Reference { column } = related.navigation.link else {
        return Err(internal(&"a reference change on an inverse"));
    };
    let target_key = if link {
        let url = reference_body(request)?;
        linked_key(request, related.navigation, "@odata.id", &url).await?
    } else {
        Value::Null
    };
    let source = related.source;
    request
        .store
        .update(
            &source.table,
            &request.tenant,
            &related.key,
            allowed(request),
            |current| {
                let mut values = current.values.clone();
                values[column] = target_key.clone();
                Ok(values)
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => not_found(source, &related.key),
            other => other.into(),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST …/{navigation}/$ref` with `{"@odata.id": "<URL>"}` (`link`) adds the entity the
/// URL names to a collection-valued navigation; `DELETE …/{navigation}/$ref?$id=<URL>` or
/// `DELETE …/{navigation}/{key}/$ref` removes a member. When the members are stored with
/// their reference to the source ([`Link::Inverse`]) the member's row changes: the caller
/// must be allowed to write the target collection. A many-to-many navigation
/// ([`Link::Many`]) changes only its link table: adding a member already linked changes
/// nothing (204). `If-Match` applies to the source. Adding an entity that does not exist
/// is a 400; removing one that is not a member, a 404 (the reference does not exist).
/// A containment navigation property's members are created inside it: a 400.
pub(super) async fn change_member_reference(
    request: &Request<'_>,
    related: &Related<'_>,
    link: bool,
) -> Result<HttpResponse, ODataError> {
    let target = related.target;
    let via = match &related.navigation.link {
        Link::Inverse { column } => Via::Reference(*column),
        Link::Many { table } => Via::Links(table),
        Link::Reference { .. } => {
            return Err(internal(&"a member reference change on a reference"));
        }
    };
    let model = request.state.service.model();
    let contained = model
        .entity_type(related.source.entity_type)
        .navigation_property(&related.navigation.name)
        .is_some_and(|n| n.contains_target);
    if contained {
        return Err(ODataError::bad_request(format!(
            "'{}' is a containment navigation property: its entities are created inside it, \
             not added or removed by reference.",
            related.navigation.name
        ))
        .with_target("$ref"));
    }
    if let Via::Reference(_) = via {
        // The member's row changes.
        auth::authorize(&request.principal, target, Access::Write)?;
    }
    let (member, named_by) = if link {
        let url = reference_body(request)?;
        let key = linked_key(request, related.navigation, "@odata.id", &url).await?;
        (vec![key], "@odata.id")
    } else {
        match (&related.member, &request.options.id) {
            (Some(member), None) => (member.clone(), "$ref"),
            (None, Some(id)) => (key_of_url(request, target, "$id", id)?.0, "$id"),
            (Some(_), Some(_)) => {
                return Err(ODataError::bad_request(
                    "Name the member to remove either in the path or with '$id', not both.",
                )
                .with_target("$id"));
            }
            (None, None) => {
                return Err(ODataError::bad_request(format!(
                    "Removing a member of '{}' needs '$id' with the member's URL, or the \
                     member's key in the path (…/{}/{{key}}/$ref).",
                    related.navigation.name, related.navigation.name
                ))
                .with_target("$id"));
            }
        }
    };
    let source = related.source;
    let result = request
        .store
        .change(
            &source.table,
            &request.tenant,
            &related.key,
            allowed(request),
            |_| {
                Ok(Change {
                    values: None,
                    relinks: vec![Relink {
                        table: &target.table,
                        via,
                        members: vec![member.clone()],
                        link,
                    }],
                    stream: None,
                })
            },
        )
        .await;
    match result {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
        Err(StoreError::NotFound) => Err(not_found(source, &related.key)),
        // Checked just before; deleted in between.
        Err(StoreError::MissingMember(_)) if link => Err(ODataError::bad_request(
            "The entity to add no longer exists.",
        )
        .with_target(named_by)),
        Err(StoreError::MissingMember(_)) => Err(ODataError::not_found(format!(
            "{} is not a member of '{}' of this entity.",
            routing::key_predicate(target, &member),
            related.navigation.name
        ))
        .with_target(named_by)),
        Err(other) => Err(other.into()),
    }
}

/// The URL of the body of a `$ref` write: `{"@odata.id": "<URL of the entity>"}` (or the
/// 4.01 `@id`).
fn reference_body(request: &Request<'_>) -> Result<String, ODataError> {
    require_json_body(request)?;
    let object = json::read_object(&request.body)?;
    match object.get("@odata.id").or_else(|| object.get("@id")) {
        Some(Json::String(url)) => Ok(url.clone()),
        _ => Err(ODataError::bad_request(
            "The body of a '$ref' must be {\"@odata.id\": \"<URL of the entity>\"}.",
        )
        .with_target("@odata.id")),
    }
}

/// The navigation property a bind sets and its reference column: 501 unless it is a
/// single-valued navigation bound to storage.
pub(super) fn reference<'c>(
    collection: &'c Collection,
    name: &str,
    bind: &Bind,
) -> Result<(&'c Navigation, usize), ODataError> {
    match collection.navigation(name) {
        Some(
            navigation @ Navigation {
                link: Link::Reference { column },
                ..
            },
        ) => Ok((navigation, *column)),
        _ => Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "'{}': the navigation property '{name}' of '{}' is not stored by this service; \
                 it cannot be bound.",
                bind.member, collection.path
            ),
        )
        .with_target(bind.member.clone())),
    }
}

/// The foreign keys a body sets by value — properties backing a single-valued navigation
/// (a referential constraint) — among `values`: each non-null one must be the key of an
/// entity of the navigation's target collection in the caller's tenant, and a body may not
/// set the same link by value and by bind (400 naming the property).
async fn check_foreign_keys<'v>(
    request: &Request<'_>,
    collection: &Collection,
    values: impl IntoIterator<Item = (&'v str, &'v Value)>,
    bound: impl Fn(&str) -> bool,
) -> Result<(), ODataError> {
    let table = &collection.table;
    for (name, value) in values {
        let Some(navigation) = collection.navigations.iter().find(|n| {
            matches!(n.link, Link::Reference { column } if table.columns[column].property.name == name)
        }) else {
            continue;
        };
        if bound(&navigation.name) {
            return Err(ODataError::bad_request(format!(
                "'{name}' and '{}@odata.bind' both set the link '{}'; give one of them.",
                navigation.name, navigation.name
            ))
            .with_target(name.to_owned()));
        }
        if value.is_null() {
            continue;
        }
        let target = request.state.service.target(navigation);
        auth::authorize(&request.principal, target, Access::Read)?;
        let exists = request
            .store
            .get(&target.table, &request.tenant, std::slice::from_ref(value))
            .await?
            .is_some();
        if !exists {
            return Err(ODataError::bad_request(format!(
                "'{name}': no entity of '{}' has this key; a foreign key must refer to an \
                 existing entity.",
                target.path
            ))
            .with_target(name.to_owned()));
        }
    }
    Ok(())
}

/// The values an update body gives the foreign keys of the collection's references,
/// read against their types (the rest of the body is read with the entity's type).
fn foreign_key_values<'o>(
    model: &odata_core::edm::Model,
    collection: &Collection,
    object: &'o serde_json::Map<String, Json>,
) -> Result<Vec<(&'o str, Value)>, ODataError> {
    let table = &collection.table;
    let mut out = Vec::new();
    for (member, json) in object {
        let column = table.column_index(member).map(|c| &table.columns[c]);
        if let Some(column) = column.filter(|c| c.reference.is_some()) {
            let value = json::read_value(model, &column.property.type_ref, json, member)?;
            out.push((member.as_str(), value));
        }
    }
    Ok(out)
}

/// The keys of the entities an update body's binds link, by navigation property, for the
/// binds that name a URL of a navigation bound to storage. Everything else about the binds
/// is checked with the rest of the body.
async fn linked_keys<'o>(
    request: &Request<'_>,
    collection: &Collection,
    object: &'o serde_json::Map<String, Json>,
) -> Result<HashMap<&'o str, Value>, ODataError> {
    let mut linked = HashMap::new();
    for (member, json) in object {
        let Some(name) = json::bound_navigation(member) else {
            continue;
        };
        let (Json::String(url), Some(navigation)) = (json, collection.navigation(name)) else {
            continue;
        };
        if matches!(navigation.link, Link::Reference { .. }) {
            linked.insert(name, linked_key(request, navigation, member, url).await?);
        }
    }
    Ok(linked)
}

/// The key of the entity `url` names, which must be a member of `navigation`'s target
/// collection in the caller's tenant, to be stored in the navigation's reference column.
/// `member` is the bind's member name, for errors. Reading the target collection needs its
/// read permission.
pub(super) async fn linked_key(
    request: &Request<'_>,
    navigation: &Navigation,
    member: &str,
    url: &str,
) -> Result<Value, ODataError> {
    let target = request.state.service.target(navigation);
    auth::authorize(&request.principal, target, Access::Read)?;
    let (key, cast) = key_of_url(request, target, member, url)?;
    let model = request.state.service.model();
    let entity = request
        .store
        .get(&target.table, &request.tenant, &key)
        .await?
        // A type cast in the URL addresses only entities of that type.
        .filter(|entity| {
            cast.is_none_or(|cast| {
                target
                    .table
                    .table_type(&entity.type_name)
                    .is_some_and(|t| model.entity_derives_from(t.id, cast))
            })
        })
        .ok_or_else(|| {
            ODataError::bad_request(format!(
                "'{member}': the entity '{url}' does not exist; only an existing entity of \
                 '{}' can be bound.",
                target.path
            ))
            .with_target(member.to_owned())
        })?;
    // The stored key, as the database spells it.
    match target.table.key.as_slice() {
        [k] => Ok(entity.values[*k].clone()),
        _ => Err(internal(&"reference to a collection without a single key")),
    }
}

/// The key of the member of `target` that `url` names, with the type the URL casts it to,
/// if any: 400 naming `member` when `url` is not the URL of one entity of `target` in this
/// service.
pub(super) fn key_of_url(
    request: &Request<'_>,
    target: &Collection,
    member: &str,
    url: &str,
) -> Result<(Vec<Value>, Option<EntityTypeId>), ODataError> {
    let state = request.state;
    let not_an_entity = |reason: String| {
        ODataError::bad_request(format!(
            "'{member}': '{url}' is not the URL of an entity of '{}' in this service{reason}.",
            target.path
        ))
        .with_target(member.to_owned())
    };
    let root = state.service_root(request.http);
    let relative = routing::below_service_root(url, &root, &state.base_prefix)
        // A query or fragment would be silently dropped: the URL names a resource.
        .filter(|path| !path.contains(['?', '#']))
        .ok_or_else(|| not_an_entity(String::new()))?;
    let options = QueryOptions::default();
    let service_root = || root.clone();
    let route = routing::resolve(
        &state.service,
        relative,
        &RequestInfo {
            options: Ok(&options),
            operation_parameters: &[],
            service_root: &service_root,
            base_path: &state.base_prefix,
        },
    )
    .map_err(|e| not_an_entity(format!(": {}", e.message.trim_end_matches('.'))))?;
    match route {
        Route {
            target: Target::Entity(collection, key),
            addressing: Addressing::Path,
            cast,
            ..
        } if collection.path == target.path => Ok((key, cast)),
        Route {
            target: Target::Entity(collection, _),
            addressing: Addressing::Path,
            ..
        } => Err(not_an_entity(format!(
            ": it is an entity of '{}'",
            collection.path
        ))),
        _ => Err(not_an_entity(String::new())),
    }
}

fn table_type<'t>(table: &'t Table, payload: &EntityPayload) -> Result<&'t TableType, ODataError> {
    table
        .table_type_by_id(payload.entity_type)
        .ok_or_else(|| internal(&"payload type not in table"))
}

/// Copies the body's values into their columns.
fn apply(table: &Table, payload: &EntityPayload, values: &mut [Value]) {
    for (name, value) in &payload.values {
        if let Some(c) = table.column_index(name) {
            values[c] = value.clone();
        }
    }
}

/// Copies an update body's values into their columns, except keys (checked or ignored by
/// the caller) and immutable properties, which only a create sets.
fn apply_update(table: &Table, payload: &EntityPayload, values: &mut [Value]) {
    for (name, value) in &payload.values {
        if let Some(c) = table.column_index(name)
            && !table.key.contains(&c)
            && !table.columns[c].property.is_immutable()
        {
            values[c] = value.clone();
        }
    }
}

/// Under [`WriteRules::require_non_nullable`](json::WriteRules): a 400 naming the first
/// non-nullable property of the created type that has no `DefaultValue`, is not computed
/// nor a creation timestamp, and that neither the body nor the entity it is created in
/// (`preset`) sets.
fn require_non_nullable(
    table: &Table,
    table_type: &TableType,
    payload: &EntityPayload,
    preset: &[(usize, Value)],
) -> Result<(), ODataError> {
    for &c in &table_type.columns {
        let property = &table.columns[c].property;
        let t = &property.type_ref;
        let required = !t.nullable
            && !t.collection
            && property.default_value.is_none()
            && !property.is_computed()
            && !table.creation_timestamps.contains(&c);
        if required
            && !payload.values.contains_key(&property.name)
            && !preset.iter().any(|(p, _)| *p == c)
        {
            return Err(ODataError::bad_request(format!(
                "The property '{}' is required: it is not nullable and has no default value.",
                property.name
            ))
            .with_target(property.name.clone()));
        }
    }
    Ok(())
}

/// What every write does to an entity's values before applying its changes: computed
/// timestamps are refreshed (lastModifiedDateTime); a replacement (`replace`, PUT) resets
/// every other property to its initial value; keys, immutable and other computed values
/// never change.
pub(super) fn refresh(
    model: &odata_core::edm::Model,
    table: &Table,
    table_type: &TableType,
    values: &mut [Value],
    now: &DateTimeOffset,
    replace: bool,
) {
    for &c in &table_type.columns {
        let property = &table.columns[c].property;
        let kept_timestamp = table.creation_timestamps.contains(&c) && property.is_computed();
        let kept = kept_timestamp || table.type_property == Some(c);
        if table.key.contains(&c) || property.is_immutable() || kept {
            continue;
        }
        let reset = if property.is_computed() {
            is_timestamp(property)
        } else {
            replace
        };
        if reset {
            values[c] = initial_value(model, property, now);
        }
    }
}

/// A create body's type named by the collection's type property ([`Table::type_property`])
/// instead of `@odata.type`: written into the body as `@odata.type`, so the body is read
/// against that type; a name that is neither the collection's type nor derived from it,
/// or that disagrees with `@odata.type`, is a 400 naming the property.
fn type_from_property(
    model: &odata_core::edm::Model,
    collection: &Collection,
    object: &mut serde_json::Map<String, Json>,
) -> Result<(), ODataError> {
    let Some(c) = collection.table.type_property else {
        return Ok(());
    };
    let name = &collection.table.columns[c].property.name;
    let Some(Json::String(named)) = object.get(name) else {
        return Ok(());
    };
    let types = model.entity_type_and_subtypes(collection.entity_type);
    let Some(&ty) = types.iter().find(|&&t| &model.entity_type(t).name == named) else {
        return Err(ODataError::bad_request(format!(
            "'{name}' must name the entity's type: one of {}.",
            types
                .iter()
                .map(|&t| format!("'{}'", model.entity_type(t).name))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_target(name.clone()));
    };
    let qualified = &model.entity_type(ty).qualified_name;
    let declared = object
        .iter()
        .find(|(k, _)| matches!(k.as_str(), "@odata.type" | "@type"))
        .and_then(|(_, v)| v.as_str())
        .map(|t| t.trim_start_matches('#').to_owned());
    match declared {
        Some(declared) if model.find_entity_type(&declared) != Some(ty) => {
            Err(ODataError::bad_request(format!(
                "'{name}' names '{named}' but '@odata.type' names '{declared}'."
            ))
            .with_target(name.clone()))
        }
        Some(_) => Ok(()),
        None => {
            object.insert("@odata.type".into(), Json::String(format!("#{qualified}")));
            Ok(())
        }
    }
}

/// The value of a type property for an entity of `table_type`: its unqualified name.
fn values_type_name(model: &odata_core::edm::Model, table_type: &TableType) -> Value {
    Value::String(model.entity_type(table_type.id).name.clone())
}

/// A server-generated key: a GUID for string and GUID keys. Version 7 (RFC 9562): its
/// leading bits are the time of creation, ordered within the process, so the entities a
/// service creates go to the end of every index led by their key instead of to random
/// pages, and a batch of creates writes a few index pages rather than one per entity.
fn generated_key(property: &Property) -> Result<Value, ODataError> {
    let id = uuid::Uuid::now_v7();
    match property.type_ref.primitive() {
        Some(PrimitiveKind::String) => Ok(Value::String(id.to_string())),
        Some(PrimitiveKind::Guid) => Ok(Value::Guid(id)),
        _ => Err(ODataError::bad_request(format!(
            "The key property '{}' must be given in the body.",
            property.name
        ))
        .with_target(property.name.clone())),
    }
}

/// Whether the request's `If-Match` / `If-None-Match` allow changing a version.
pub(super) fn allowed(request: &Request<'_>) -> impl Fn(i64) -> bool {
    let conditions = Preconditions::from_headers(request.http.headers());
    move |version| conditions.allows_write(version)
}

/// POST/PATCH/PUT bodies must be JSON.
pub(super) fn require_json_body(request: &Request<'_>) -> Result<(), ODataError> {
    let content_type = request
        .http
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ODataError::new(
            ErrorKind::UnsupportedMediaType,
            format!(
                "The request body must be application/json, not '{}'.",
                if media.is_empty() { "(none)" } else { media }
            ),
        ))
    }
}
