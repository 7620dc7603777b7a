//! Per-request context: `request-id`, `client-request-id`, the tenant; the middleware that
//! sets it, stamps every response and writes one log line per request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use tracing::Instrument;

use crate::auth::Principal;

/// Identifies one request in responses and logs.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Server-generated GUID, sent back as `request-id`.
    pub request_id: String,
    /// The caller's `client-request-id`, echoed back.
    pub client_request_id: Option<String>,
    /// The caller's tenant; empty when authentication is off.
    pub tenant: String,
    /// The authenticated caller, once authentication has run (`None` before, and for
    /// requests outside the service root). Later features ($expand, $batch, actions) take
    /// it from here for [`crate::auth::authorize`].
    pub principal: Option<Principal>,
}

impl RequestContext {
    /// The context of a request (a fresh one if the middleware did not run).
    pub fn of(req: &HttpRequest) -> Self {
        req.extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| Self::new(None))
    }

    fn new(client_request_id: Option<String>) -> Self {
        Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            client_request_id,
            tenant: String::new(),
            principal: None,
        }
    }

    /// Records the authenticated caller (and its tenant) in the request's context.
    pub fn set_principal(req: &HttpRequest, principal: &Principal) {
        if let Some(context) = req.extensions_mut().get_mut::<RequestContext>() {
            context.tenant.clone_from(&principal.tenant);
            context.principal = Some(principal.clone());
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");

/// Middleware: assigns the request id, runs the request in a span carrying it, adds
/// `request-id` / `client-request-id` to the response and logs method, path, status and
/// latency.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let client_request_id = req
        .headers()
        .get(&CLIENT_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 200)
        .map(str::to_owned);
    let context = RequestContext::new(client_request_id);
    let span = tracing::info_span!("request", request_id = %context.request_id);
    let method = req.method().clone();
    let path = req.path().to_owned();
    req.extensions_mut().insert(context.clone());
    let mut res = next.call(req).instrument(span.clone()).await?;
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&context.request_id) {
        headers.insert(REQUEST_ID, v);
    }
    if let Some(c) = context
        .client_request_id
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(CLIENT_REQUEST_ID, c);
    }
    let status = res.status().as_u16();
    let _entered = span.enter();
    tracing::info!(
        %method,
        path,
        status,
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    Ok(res)
}
