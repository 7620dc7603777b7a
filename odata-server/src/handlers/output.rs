//! Writing entities and collections of the current request into response bodies.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use odata_core::error::ODataError;
use odata_core::json::{EntityControl, MetadataLevel, WriteOptions, write_entity};

use super::Request;
use crate::error::internal;
use crate::negotiation::{self, Representation};
use crate::routing::key_predicate;
use crate::service::Collection;
use crate::store::StoredEntity;

/// The JSON options for a data response (406 for anything but JSON).
pub(super) fn json_options(request: &Request<'_>) -> Result<WriteOptions, ODataError> {
    match negotiation::negotiate(request.http, request.options.format.as_deref(), false)? {
        Representation::Json(options) => Ok(options),
        Representation::Xml => Err(internal(&"XML negotiated for a data response")),
    }
}

/// `W/"<version>"`.
pub(super) fn etag(entity: &StoredEntity) -> String {
    format!("W/\"{}\"", entity.version)
}

/// The key values of a stored entity.
pub(super) fn key_of(
    collection: &Collection,
    entity: &StoredEntity,
) -> Vec<odata_core::value::Value> {
    collection
        .table
        .key
        .iter()
        .map(|&i| entity.values[i].clone())
        .collect()
}

/// Canonical absolute URL of an entity: `{root}/{collection}('{key}')`, percent-encoded.
pub(super) fn entity_url(
    request: &Request<'_>,
    collection: &Collection,
    entity: &StoredEntity,
) -> String {
    format!(
        "{}/{}",
        request.state.service_root(request.http),
        entity_path(collection, &key_of(collection, entity))
    )
}

/// `{collection}('{key}')` below the service root, the key predicate percent-encoded.
pub(super) fn entity_path(collection: &Collection, key: &[odata_core::value::Value]) -> String {
    let predicate = key_predicate(collection, key);
    format!(
        "{}{}",
        collection.path,
        percent_encoding::utf8_percent_encode(&predicate, SEGMENT)
    )
}

/// Characters escaped in a path segment (RFC 3986 pchar, keeping OData's `'(),=`).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Appends one entity. `context` is written for top-level entities only.
pub(super) fn write_one(
    out: &mut Vec<u8>,
    request: &Request<'_>,
    collection: &Collection,
    entity: &StoredEntity,
    context: Option<&str>,
    selected: Option<&[String]>,
    options: WriteOptions,
) -> Result<(), ODataError> {
    let model = request.state.service.model();
    let table_type = collection
        .table
        .table_type(&entity.type_name)
        .ok_or_else(|| {
            internal(&format!(
                "stored type '{}' is not in the table",
                entity.type_name
            ))
        })?;
    let ty = model.entity_type(table_type.id);
    let etag = etag(entity);
    // Only full metadata writes @odata.id; skip building the URL for every row otherwise.
    let id =
        (options.metadata == MetadataLevel::Full).then(|| entity_url(request, collection, entity));
    let control = EntityControl {
        context,
        id: id.as_deref(),
        etag: Some(&etag),
    };
    let pairs = ty
        .properties()
        .zip(&table_type.columns)
        .filter(|(p, _)| selected.is_none_or(|names| names.contains(&p.name)))
        .map(|(p, &c)| (p, &entity.values[c]));
    write_entity(out, model, table_type.id, pairs, &control, options);
    Ok(())
}

/// A single-entity response with `ETag`; `selected` limits the properties written.
pub(super) fn entity_response(
    request: &Request<'_>,
    collection: &Collection,
    entity: &StoredEntity,
    status: StatusCode,
    selected: Option<&[String]>,
) -> Result<HttpResponse, ODataError> {
    let options = json_options(request)?;
    let root = request.state.service_root(request.http);
    let context = match selected {
        Some(names) => format!(
            "{root}/$metadata#{}({})/$entity",
            collection.path,
            names.join(",")
        ),
        None => format!("{root}/$metadata#{}/$entity", collection.path),
    };
    let mut body = Vec::with_capacity(2048);
    write_one(
        &mut body,
        request,
        collection,
        entity,
        Some(&context),
        selected,
        options,
    )?;
    Ok(HttpResponse::build(status)
        .insert_header(("ETag", etag(entity)))
        .content_type(negotiation::json_content_type(options))
        .body(body))
}
