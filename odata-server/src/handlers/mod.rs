//! Request handlers: one entry point that resolves the path and dispatches by target and
//! method, so every OData request takes the same route through parsing and error mapping.

mod metadata;
mod output;
mod read;
mod write;

use std::panic::AssertUnwindSafe;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{FutureExt, StreamExt};
use odata_core::error::{ErrorKind, ODataError};

use crate::app::AppState;
use crate::error::{error_response, internal};
use crate::query;
use crate::routing::{self, Target};
use crate::store::Deadline;

/// Everything a handler needs about the request.
pub(crate) struct Request<'a> {
    pub http: &'a HttpRequest,
    pub state: &'a AppState,
    pub options: odata_core::query::QueryOptions,
    /// The request's time: `now()` in `$filter` and server-set timestamps.
    pub now: odata_core::value::DateTimeOffset,
    pub tenant: String,
    /// Who is calling, for per-caller limits: the principal, or the peer address when
    /// authentication is off.
    pub caller: String,
    /// When the request's database statements must have finished.
    pub deadline: Deadline,
    pub body: web::Bytes,
}

/// Entry point for every request below the service root.
pub async fn odata(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let outcome = AssertUnwindSafe(handle(&req, payload, &state))
        .catch_unwind()
        .await;
    match outcome {
        Ok(Ok(mut response)) => {
            // Every OData response states the protocol version (errors get it in error.rs).
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("odata-version"),
                actix_web::http::header::HeaderValue::from_static("4.0"),
            );
            response
        }
        Ok(Err(error)) => error_response(&req, &error),
        Err(_) => error_response(&req, &internal(&"handler panicked")),
    }
}

/// Anything outside the service root, `/healthz` and `/readyz`.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_response(
        &req,
        &ODataError::not_found(format!("No resource at '{}'.", req.path())),
    )
}

async fn handle(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ODataError> {
    crate::limits::check_url_length(req, state.settings.max_url_bytes)?;
    let principal = state.auth.authenticate(req.headers())?;
    crate::context::RequestContext::set_principal(req, &principal);
    let raw_path = req
        .uri()
        .path()
        .strip_prefix(&state.base_prefix)
        .unwrap_or_default();
    let target = routing::resolve(&state.service, raw_path)?;
    crate::auth::authorize_target(&principal, &target, req.method())?;
    let options = query::parse(req.uri().query(), &state.parse_limits())?;
    let body = read_body(req, payload, &state.settings).await?;
    let caller = if principal.caller.is_empty() {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    } else {
        principal.caller
    };
    let request = Request {
        http: req,
        state,
        options,
        now: now(),
        tenant: principal.tenant,
        caller,
        deadline: Deadline::after(state.settings.statement_budget),
        body,
    };
    let method = req.method();
    match (&target, method) {
        (Target::ServiceDocument, &Method::GET) => metadata::service_document(&request),
        (Target::Metadata, &Method::GET) => metadata::metadata(&request),
        (Target::Collection(c), &Method::GET) => read::collection(&request, c).await,
        (Target::Collection(c) | Target::CollectionRef(c), &Method::POST) => {
            write::create(&request, c, matches!(target, Target::CollectionRef(_))).await
        }
        (Target::Count(c), &Method::GET) => read::count(&request, c).await,
        (Target::Entity(c, key), &Method::GET) => read::entity(&request, c, key).await,
        (Target::Entity(c, key), &Method::PATCH) => write::update(&request, c, key, false).await,
        (Target::Entity(c, key), &Method::PUT) => write::update(&request, c, key, true).await,
        (Target::Entity(c, key), &Method::DELETE) => write::delete(&request, c, key).await,
        (Target::EntityAction(_, _, action), &Method::POST) => Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "The action '{}' is not implemented yet.",
                action.qualified_name
            ),
        )),
        _ => Err(method_not_allowed(&target, method)),
    }
}

fn now() -> odata_core::value::DateTimeOffset {
    let utc = chrono::Utc::now();
    let ticks = utc.timestamp() * 10_000_000 + i64::from(utc.timestamp_subsec_nanos() / 100);
    odata_core::value::DateTimeOffset::from_utc_ticks(ticks, 0)
        .unwrap_or_else(odata_core::value::DateTimeOffset::min_value)
}

fn method_not_allowed(target: &Target<'_>, method: &Method) -> ODataError {
    let allowed = match target {
        Target::ServiceDocument | Target::Metadata | Target::Count(_) => "GET",
        Target::Collection(_) => "GET, POST",
        Target::CollectionRef(_) => "POST",
        Target::Entity(..) => "GET, PATCH, PUT, DELETE",
        Target::EntityAction(..) => "POST",
    };
    ODataError::new(
        ErrorKind::MethodNotAllowed,
        format!("The method {method} is not allowed on this resource; allowed: {allowed}."),
    )
}

/// Reads the body up to `max_body_bytes`; larger bodies are refused without reading them
/// all, and a body still incomplete after `body_timeout` is a 408 (a client trickling
/// bytes would otherwise hold the request open for ever).
async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    settings: &crate::config::Settings,
) -> Result<web::Bytes, ODataError> {
    let timeout = settings.body_timeout;
    tokio::time::timeout(
        timeout,
        read_body_until(req, payload, settings.max_body_bytes),
    )
    .await
    .unwrap_or_else(|_| {
        Err(ODataError::new(
            ErrorKind::RequestTimeout,
            format!(
                "The request body did not arrive within {} ms.",
                timeout.as_millis()
            ),
        ))
    })
}

async fn read_body_until(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ODataError> {
    let too_large = || {
        ODataError::new(
            ErrorKind::PayloadTooLarge,
            format!("The request body is larger than the limit of {limit} bytes."),
        )
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ODataError::bad_request(format!("Reading the body failed: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
