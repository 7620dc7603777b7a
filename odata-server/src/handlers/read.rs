//! Reading: collections, single entities, `$count`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use odata_core::error::ODataError;
use odata_core::value::Value;

use super::Request;
use super::output::{entity_response, json_options, write_one};
use crate::negotiation;
use crate::service::Collection;

/// `GET collection`: the first page in key order.
pub(super) async fn collection(
    request: &Request<'_>,
    collection: &Collection,
) -> Result<HttpResponse, ODataError> {
    let options = json_options(request)?;
    let state = request.state;
    let page = state
        .settings
        .default_page_size
        .min(state.settings.max_page_size);
    let entities = state
        .store
        .list(&collection.table, &request.tenant, page, 0)
        .await?;
    let mut body = Vec::with_capacity(256 + entities.len() * 1024);
    body.extend_from_slice(b"{");
    if options.metadata != odata_core::json::MetadataLevel::None {
        let context = format!(
            "{}/$metadata#{}",
            state.service_root(request.http),
            collection.path
        );
        body.extend_from_slice(b"\"@odata.context\":");
        body.extend_from_slice(serde_json::Value::String(context).to_string().as_bytes());
        body.push(b',');
    }
    body.extend_from_slice(b"\"value\":[");
    for (i, entity) in entities.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        write_one(&mut body, request, collection, entity, None, options)?;
    }
    body.extend_from_slice(b"]}");
    Ok(HttpResponse::Ok()
        .insert_header(("OData-Version", "4.0"))
        .content_type(negotiation::json_content_type(options))
        .body(body))
}

/// `GET collection/{key}`.
pub(super) async fn entity(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
) -> Result<HttpResponse, ODataError> {
    json_options(request)?;
    let entity = request
        .state
        .store
        .get(&collection.table, &request.tenant, key)
        .await?
        .ok_or_else(|| not_found(collection, key))?;
    entity_response(request, collection, &entity, StatusCode::OK)
}

/// `GET collection/$count`: a plain-text number.
pub(super) async fn count(
    request: &Request<'_>,
    collection: &Collection,
) -> Result<HttpResponse, ODataError> {
    let n = request
        .state
        .store
        .count(&collection.table, &request.tenant)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("OData-Version", "4.0"))
        .content_type("text/plain;charset=utf-8")
        .body(n.to_string()))
}

/// 404 naming the collection and key.
pub(super) fn not_found(collection: &Collection, key: &[Value]) -> ODataError {
    ODataError::not_found(format!(
        "No entity with key {} exists in '{}'.",
        crate::routing::key_predicate(collection, key),
        collection.path
    ))
}
