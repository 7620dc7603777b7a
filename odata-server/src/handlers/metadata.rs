//! The service document and `$metadata`.

use actix_web::HttpResponse;
use odata_core::error::ODataError;
use serde_json::json;

use super::Request;
use super::output::json_options;
use crate::negotiation::{self, Representation};

/// `GET /{base}`: the entity sets and singletons of the container.
pub(super) fn service_document(request: &Request<'_>) -> Result<HttpResponse, ODataError> {
    let options = json_options(request)?;
    let model = request.state.service.model();
    let container = &model.container;
    let sets = container
        .entity_sets
        .iter()
        .map(|s| json!({"name": s.name, "kind": "EntitySet", "url": s.name}));
    let singletons = container
        .singletons
        .iter()
        .map(|s| json!({"name": s.name, "kind": "Singleton", "url": s.name}));
    let body = json!({
        "@odata.context": format!("{}/$metadata", request.state.service_root(request.http)),
        "value": sets.chain(singletons).collect::<Vec<_>>(),
    });
    Ok(HttpResponse::Ok()
        .content_type(negotiation::json_content_type(options))
        .body(body.to_string()))
}

/// `GET /{base}/$metadata`: CSDL XML by default, CSDL JSON on request.
pub(super) fn metadata(request: &Request<'_>) -> Result<HttpResponse, ODataError> {
    let documents = &request.state.metadata;
    // A 4.0 client gets the document that declares 4.0.
    let v4_0 = request.version == negotiation::ODataVersion::V4_0;
    let mut response = HttpResponse::Ok();
    Ok(
        match negotiation::negotiate(request.http, request.options.format.as_deref(), true)? {
            Representation::Xml => {
                response
                    .content_type("application/xml;charset=utf-8")
                    .body(if v4_0 {
                        documents.xml_4_0.clone()
                    } else {
                        documents.xml.clone()
                    })
            }
            Representation::Json(_) => response
                .content_type("application/json;charset=utf-8")
                .body(if v4_0 {
                    documents.json_4_0.clone()
                } else {
                    documents.json.clone()
                }),
        },
    )
}
