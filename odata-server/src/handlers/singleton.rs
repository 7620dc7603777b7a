//! `GET /{singleton}`: a singleton that is not stored itself, such as the root that a
//! service's contained collections hang from.
//!
//! It has no state of its own: its (string) key is the caller's tenant (the singleton's name when
//! there is none, authentication off), every other structural property its `DefaultValue` or
//! its type's zero value, and its navigation properties are the contained collections, read at
//! their own URLs.

use actix_web::HttpResponse;
use odata_core::edm::{PrimitiveKind, Singleton};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{self, EntityControl, MetadataLevel};
use odata_core::value::Value;

use super::Request;
use super::output::json_options;
use crate::{negotiation, query};

pub(super) fn get(
    request: &Request<'_>,
    singleton: &Singleton,
) -> Result<HttpResponse, ODataError> {
    query::collection_only(&request.options)?;
    for (name, given) in [
        ("$select", request.options.select.is_some()),
        ("$expand", request.options.expand.is_some()),
        ("$compute", request.options.compute.is_some()),
    ] {
        if given {
            return Err(ODataError::new(
                ErrorKind::NotImplemented,
                format!(
                    "'{name}' on the singleton '{}' is not supported; read its collections at \
                     their own URLs.",
                    singleton.name
                ),
            )
            .with_target(name));
        }
    }
    let options = json_options(request)?;
    let model = request.state.service.model();
    let ty = model.entity_type(singleton.entity_type);
    let key = if request.tenant.is_empty() {
        singleton.name.clone()
    } else {
        request.tenant.clone()
    };
    let values: Vec<Value> = ty
        .properties()
        .map(|p| {
            if ty.key.contains(&p.name) && p.type_ref.primitive() == Some(PrimitiveKind::String) {
                Value::String(key.clone())
            } else {
                json::default_value(model, p).unwrap_or_else(|| json::zero_value(model, p))
            }
        })
        .collect();
    let root = request.state.service_root(request.http);
    let context = format!("{root}/$metadata#{}", singleton.name);
    let id = format!("{root}/{}", singleton.name);
    let control = EntityControl {
        context: Some(&context),
        id: (options.metadata == MetadataLevel::Full).then_some(id.as_str()),
        etag: None,
        media: None,
        omit_type: false,
        property_counts: &[],
    };
    let mut body = Vec::with_capacity(256);
    json::write_entity(
        &mut body,
        model,
        singleton.entity_type,
        ty.properties().zip(&values),
        &control,
        options,
    );
    Ok(HttpResponse::Ok()
        .content_type(negotiation::json_content_type(options))
        .body(body))
}
