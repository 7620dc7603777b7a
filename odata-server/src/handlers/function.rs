//! `GET …/{key}/{function}(…)` and `GET {import}(…)`: calls a function (see
//! [`crate::function`]) and writes its value.

use actix_web::HttpResponse;
use odata_core::edm::TypeKind;
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json;

use super::Request;
use super::output::{entity_json, json_options, stored_type};
use super::read::not_found;
use crate::error::internal;
use crate::function::FunctionCall;
use crate::routing::Invocation;
use crate::{negotiation, query};

pub(super) async fn call(
    request: &Request<'_>,
    invocation: &Invocation<'_>,
) -> Result<HttpResponse, ODataError> {
    let function = invocation.function;
    let service = &request.state.service;
    let model = service.model();
    let handler = match (&invocation.bound, invocation.import) {
        (Some((collection, _)), _) => collection.function(&function.qualified_name),
        (None, Some(import)) => service.function_import(import),
        (None, None) => None,
    }
    .ok_or_else(|| {
        ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "The function '{}' is not implemented by this service.",
                function.qualified_name
            ),
        )
    })?;
    query::collection_only(&request.options)?;
    if request.options.select.is_some()
        || request.options.expand.is_some()
        || request.options.compute.is_some()
    {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            "'$select', '$expand' and '$compute' on a function's value are not supported.",
        ));
    }
    let return_type = function
        .return_type
        .as_ref()
        .ok_or_else(|| internal(&"a function without a return type"))?;
    if matches!(return_type.kind, TypeKind::Entity(_)) {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "The function '{}' returns entities, which is not supported.",
                function.qualified_name
            ),
        ));
    }
    let options = json_options(request)?;
    let entity = match &invocation.bound {
        Some((collection, key)) => {
            let table = &collection.table;
            let stored = request
                .store
                .get(table, &request.tenant, key)
                .await?
                .ok_or_else(|| not_found(collection, key))?;
            Some(entity_json(
                model,
                table,
                stored_type(table, &stored)?,
                &stored,
            ))
        }
        None => None,
    };
    let value = handler.value(&FunctionCall {
        entity: entity.as_ref(),
        parameters: &invocation.arguments,
    })?;
    // A value of another type is the computation's fault, not the caller's.
    let typed = json::read_value(model, return_type, &value, "value")
        .map_err(|e| internal(&format!("{}: {}", function.qualified_name, e.message)))?;
    let root = request.state.service_root(request.http);
    let context = format!("{root}/$metadata#{}", model.type_ref_name(return_type));
    let mut written = Vec::new();
    json::write_value(&mut written, model, return_type, &typed, options);
    let mut body = Vec::with_capacity(written.len() + context.len() + 32);
    body.extend_from_slice(b"{\"@odata.context\":");
    body.extend_from_slice(serde_json::Value::from(context).to_string().as_bytes());
    match written.strip_prefix(b"{") {
        // A complex value: its members next to the context.
        Some(members)
            if !return_type.collection && matches!(return_type.kind, TypeKind::Complex(_)) =>
        {
            if members != b"}" {
                body.push(b',');
            }
            body.extend_from_slice(members);
        }
        _ => {
            body.extend_from_slice(b",\"value\":");
            body.extend_from_slice(&written);
            body.push(b'}');
        }
    }
    Ok(HttpResponse::Ok()
        .content_type(negotiation::json_content_type(options))
        .body(body))
}
