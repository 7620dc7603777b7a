//! Streams stored with their entity: the media stream of a media entity
//! (`…/{key}/$value`) and stream properties (`…/{key}/{name}[/$value]`).
//!
//! * GET answers the bytes with their stored media type (`application/octet-stream` for a
//!   stream never written, which is empty), the entity's `ETag`, and honours
//!   `If-None-Match`; an `Accept` that admits neither the type nor `*/*` is a 406.
//! * PUT replaces the bytes and their media type (the request's `Content-Type`) and bumps
//!   the entity's version, under `If-Match`; the media stream's replacement also sets what
//!   the collection's [`MediaHandler`](crate::media::MediaHandler) says. 204.
//! * `POST collection` with a body that is not JSON creates a media entity from the
//!   upload: its properties from the handler, its stream the body. 201 like a JSON create.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json;
use odata_core::value::Value;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value as Json};

use super::Request;
use super::action::writable_column;
use super::output::{DEFAULT_MEDIA_TYPE, entity_response, entity_url, json_options, stored_type};
use super::read::not_found;
use super::write::{self, allowed, insert_with_stream, locate, refresh, return_applied};
use crate::error::internal;
use crate::media::Upload;
use crate::negotiation;
use crate::preconditions::{Preconditions, ReadOutcome};
use crate::prefer::ReturnPreference;
use crate::service::Collection;
use crate::store::table::StreamColumns;
use crate::store::{Change, StoreError};

/// The stored columns of the addressed stream (`None`: the media stream).
fn stream_of<'c>(
    collection: &'c Collection,
    name: Option<&str>,
) -> Result<&'c StreamColumns, ODataError> {
    collection
        .table
        .stream(name)
        .ok_or_else(|| internal(&"a routed stream without columns"))
}

/// `GET …/$value` or `GET …/{stream property}[/$value]`.
pub(super) async fn get(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
    name: Option<&str>,
) -> Result<HttpResponse, ODataError> {
    crate::query::collection_only(&request.options)?;
    let stream = stream_of(collection, name)?;
    let stored = request
        .store
        .read_stream(&collection.table, &request.tenant, key, stream)
        .await?
        .ok_or_else(|| not_found(collection, key))?;
    let etag = format!("W/\"{}\"", stored.version);
    match Preconditions::from_headers(request.http.headers()).read_outcome(stored.version) {
        ReadOutcome::Send => {}
        ReadOutcome::NotModified => {
            return Ok(HttpResponse::NotModified()
                .insert_header(("ETag", etag))
                .finish());
        }
        ReadOutcome::PreconditionFailed => {
            return Err(ODataError::new(
                ErrorKind::PreconditionFailed,
                "The entity's current ETag does not match If-Match.",
            ));
        }
    }
    let media_type = stored
        .media_type
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| DEFAULT_MEDIA_TYPE.to_owned());
    if !negotiation::accepts(request.http, &media_type) {
        return Err(ODataError::new(
            ErrorKind::NotAcceptable,
            format!("The stream is '{media_type}', which the request's Accept does not admit."),
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag))
        .insert_header((header::CONTENT_TYPE, media_type))
        .body(stored.bytes.unwrap_or_default()))
}

/// The media type of an uploaded body: the request's `Content-Type` as sent, or
/// `application/octet-stream` without one.
fn upload_media_type(request: &Request<'_>) -> Result<String, ODataError> {
    match request.http.headers().get(header::CONTENT_TYPE) {
        None => Ok(DEFAULT_MEDIA_TYPE.to_owned()),
        Some(value) => value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|t| t.contains('/'))
            .map(str::to_owned)
            .ok_or_else(|| {
                ODataError::new(
                    ErrorKind::UnsupportedMediaType,
                    "The request's Content-Type is not a media type.",
                )
            }),
    }
}

/// Whether `POST collection` carries a media upload rather than a JSON entity: the
/// collection's type is a media entity type and the body says it is not JSON.
pub(super) fn is_upload(request: &Request<'_>, collection: &Collection) -> bool {
    let media_entity = request
        .state
        .service
        .model()
        .entity_type(collection.entity_type)
        .has_stream;
    let content_type = request
        .http
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
    media_entity
        && content_type
            .is_some_and(|t| t.contains('/') && !t.eq_ignore_ascii_case("application/json"))
}

/// `POST collection` with the stream of a new media entity as its body.
pub(super) async fn create(
    request: &Request<'_>,
    collection: &Collection,
) -> Result<HttpResponse, ODataError> {
    json_options(request)?;
    let model = request.state.service.model();
    let stream = stream_of(collection, None)?;
    let media_type = upload_media_type(request)?;
    let slug = match request.http.headers().get("slug") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| percent_decode_str(v).decode_utf8().ok())
                .ok_or_else(|| {
                    ODataError::bad_request("The Slug header is not valid percent-encoded UTF-8.")
                        .with_target("Slug")
                })?
                .into_owned(),
        ),
    };
    let upload = Upload {
        slug: slug.as_deref(),
        content_type: &media_type,
        length: request.body.len() as u64,
        now: &request.now,
    };
    let values = match &collection.media {
        Some(handler) => handler.created(&upload)?,
        None => Vec::new(),
    };
    let object: Map<String, Json> = values.into_iter().collect();
    let body = serde_json::to_vec(&object).map_err(|e| internal(&e))?;
    let payload = json::read_entity(model, collection.entity_type, &body)?;
    let entity = insert_with_stream(
        request,
        &request.store,
        collection,
        &payload,
        &[],
        Some(write::Upload {
            stream,
            bytes: request.body.to_vec(),
            media_type: &media_type,
        }),
    )
    .await?;
    let url = entity_url(request, collection, &entity);
    let mut response = match request.prefer.return_preference {
        ReturnPreference::Minimal => HttpResponse::NoContent().finish(),
        _ => entity_response(request, collection, &entity, StatusCode::CREATED, None)?,
    };
    return_applied(request, &mut response);
    locate(&mut response, &url);
    Ok(response)
}

/// `PUT …/$value` or `PUT …/{stream property}[/$value]`: replaces the stream.
pub(super) async fn put(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
    name: Option<&str>,
) -> Result<HttpResponse, ODataError> {
    let model = request.state.service.model();
    let stream = stream_of(collection, name)?;
    let media_type = upload_media_type(request)?;
    let upload = Upload {
        slug: None,
        content_type: &media_type,
        length: request.body.len() as u64,
        now: &request.now,
    };
    // Only the media stream's replacement is described by the handler.
    let changes = match (&collection.media, name) {
        (Some(handler), None) => handler.replaced(&upload)?,
        _ => Vec::new(),
    };
    let table = &collection.table;
    let entity = request
        .store
        .change(table, &request.tenant, key, allowed(request), |current| {
            let table_type = stored_type(table, current)?;
            let mut values = current.values.clone();
            refresh(model, table, table_type, &mut values, &request.now, false);
            for (property, value) in &changes {
                let column = writable_column(table, table_type, property)?;
                let type_ref = &table.columns[column].property.type_ref;
                values[column] = json::read_value(model, type_ref, value, property)?;
            }
            values[stream.media_type] = Value::String(media_type.clone());
            Ok(Change {
                values: Some(values),
                relinks: Vec::new(),
                stream: Some((stream, request.body.to_vec())),
            })
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => not_found(collection, key),
            other => other.into(),
        })?;
    Ok(HttpResponse::NoContent()
        .insert_header(("ETag", format!("W/\"{}\"", entity.version)))
        .finish())
}
