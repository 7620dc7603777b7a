//! Writing: create, update (PATCH merges, PUT replaces), delete. Each is one transaction;
//! a request that fails writes nothing.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use odata_core::edm::{PrimitiveKind, Property, TypeKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{self, EntityPayload};
use odata_core::value::{DateTimeOffset, Value};

use super::Request;
use super::output::{entity_response, entity_url, json_options};
use super::read::not_found;
use crate::negotiation::{ReturnPreference, return_preference};
use crate::preconditions::Preconditions;
use crate::service::Collection;
use crate::store::StoreError;
use crate::store::table::{Table, TableType};

/// `POST collection` (and Graph's `POST collection/$ref` with an entity body).
pub(super) async fn create(
    request: &Request<'_>,
    collection: &Collection,
    via_ref: bool,
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
    let payload = json::read_entity(model, collection.entity_type, &request.body)?;
    let table = &collection.table;
    let table_type = table_type(table, &payload)?;
    let now = &request.now;
    let mut values = vec![Value::Null; table.columns.len()];
    for &c in table_type.columns.iter().filter(|c| !table.key.contains(c)) {
        values[c] = initial_value(model, &table.columns[c].property, now);
    }
    apply(table, &payload, &mut values);
    for &k in &table.key {
        if values[k].is_null() {
            values[k] = generated_key(&table.columns[k].property)?;
        }
    }
    let entity = request
        .state
        .store
        .insert(table, &request.tenant, &table_type.name, &values)
        .await?;
    let url = entity_url(request, collection, &entity);
    let mut response = match return_preference(request.http) {
        ReturnPreference::Minimal => {
            let mut r = HttpResponse::NoContent();
            r.insert_header(("Preference-Applied", "return=minimal"));
            r.finish()
        }
        _ => entity_response(request, collection, &entity, StatusCode::CREATED, None)?,
    };
    let headers = response.headers_mut();
    for name in [
        header::LOCATION,
        header::HeaderName::from_static("odata-entityid"),
    ] {
        if let Ok(v) = header::HeaderValue::from_str(&url) {
            headers.insert(name, v);
        }
    }
    Ok(response)
}

/// `PATCH` (merge, `replace == false`) or `PUT` (replace) of one entity.
pub(super) async fn update(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
    replace: bool,
) -> Result<HttpResponse, ODataError> {
    require_json_body(request)?;
    json_options(request)?;
    let model = request.state.service.model();
    let table = &collection.table;
    let now = &request.now;
    let result = request
        .state
        .store
        .update(table, &request.tenant, key, allowed(request), |current| {
            let table_type = table
                .table_type(&current.type_name)
                .ok_or_else(|| crate::error::internal(&"stored type not in table"))?;
            let payload = json::read_entity_update(model, table_type.id, &request.body)?;
            for (&k, url_value) in table.key.iter().zip(key) {
                let name = &table.columns[k].property.name;
                if payload.values.get(name).is_some_and(|v| v != url_value) {
                    return Err(ODataError::bad_request(format!(
                        "The key property '{name}' cannot be changed; the body's value differs \
                         from the URL's."
                    ))
                    .with_target(name.clone()));
                }
            }
            let mut values = current.values.clone();
            for &c in &table_type.columns {
                let property = &table.columns[c].property;
                // Computed values are refreshed by every write (lastModifiedDateTime); PUT
                // resets everything else; keys and immutable values never change.
                let keep = table.key.contains(&c) || property.is_immutable();
                if !keep && (replace || property.is_computed()) {
                    values[c] = initial_value(model, property, now);
                }
            }
            apply(table, &payload, &mut values);
            Ok(values)
        })
        .await;
    let entity = result.map_err(|e| match e {
        StoreError::NotFound => not_found(collection, key),
        other => other.into(),
    })?;
    match return_preference(request.http) {
        ReturnPreference::Minimal => Ok(HttpResponse::NoContent()
            .insert_header(("Preference-Applied", "return=minimal"))
            .insert_header(("ETag", super::output::etag(&entity)))
            .finish()),
        _ => entity_response(request, collection, &entity, StatusCode::OK, None),
    }
}

/// `DELETE` of one entity.
pub(super) async fn delete(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
) -> Result<HttpResponse, ODataError> {
    request
        .state
        .store
        .delete(&collection.table, &request.tenant, key, allowed(request))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => not_found(collection, key),
            other => other.into(),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

fn table_type<'t>(table: &'t Table, payload: &EntityPayload) -> Result<&'t TableType, ODataError> {
    table
        .table_type_by_id(payload.entity_type)
        .ok_or_else(|| crate::error::internal(&"payload type not in table"))
}

/// Copies the body's values into their columns.
fn apply(table: &Table, payload: &EntityPayload, values: &mut [Value]) {
    for (name, value) in &payload.values {
        if let Some(c) = table.column_index(name) {
            values[c] = value.clone();
        }
    }
}

/// The value of a property the body does not set: the current time for computed
/// timestamps, otherwise the type's zero value (null when nullable).
fn initial_value(
    model: &odata_core::edm::Model,
    property: &Property,
    now: &DateTimeOffset,
) -> Value {
    if property.is_computed()
        && property.type_ref.kind == TypeKind::Primitive(PrimitiveKind::DateTimeOffset)
    {
        return Value::DateTimeOffset(now.clone());
    }
    json::zero_value(model, property)
}

/// A server-generated key: a GUID for string and GUID keys.
fn generated_key(property: &Property) -> Result<Value, ODataError> {
    let id = uuid::Uuid::new_v4();
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
fn allowed(request: &Request<'_>) -> impl Fn(i64) -> bool {
    let conditions = Preconditions::from_headers(request.http.headers());
    move |version| conditions.allows_write(version)
}

/// POST/PATCH/PUT bodies must be JSON.
fn require_json_body(request: &Request<'_>) -> Result<(), ODataError> {
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
