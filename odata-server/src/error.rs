//! The one place where failures become HTTP responses.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use odata_core::error::{ErrorKind, InnerError, ODataError};

use crate::context::RequestContext;
use crate::negotiation;
use crate::store::StoreError;

/// The OData error response for `error`, with `innerError` from the request context.
pub fn error_response(req: &HttpRequest, error: &ODataError) -> HttpResponse {
    build(req, error, None)
}

/// The 405 response for `error`, with the `Allow` header listing the methods the resource
/// supports (e.g. `GET, POST`).
pub fn method_not_allowed_response(
    req: &HttpRequest,
    error: &ODataError,
    allow: &str,
) -> HttpResponse {
    build(req, error, Some(allow))
}

fn build(req: &HttpRequest, error: &ODataError, allow: Option<&str>) -> HttpResponse {
    let context = RequestContext::of(req);
    let inner = InnerError {
        request_id: context.request_id,
        client_request_id: context.client_request_id,
        date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
    };
    let status =
        StatusCode::from_u16(error.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((
        "OData-Version",
        negotiation::error_response_version(req).as_str(),
    ));
    if let Some(allow) = allow {
        response.insert_header((actix_web::http::header::ALLOW, allow));
    }
    if error.kind == ErrorKind::Unauthenticated {
        response.insert_header(("WWW-Authenticate", "Bearer"));
    }
    // Every message is written in English; OData asks error responses to say so.
    response.insert_header((actix_web::http::header::CONTENT_LANGUAGE, "en"));
    response
        .content_type("application/json; charset=utf-8")
        .body(error.to_json(&inner).to_string())
}

/// Internal failures are logged with their detail and answered with a generic message.
pub fn internal(detail: &dyn std::fmt::Display) -> ODataError {
    tracing::error!(error = %detail, "internal error");
    ODataError::new(
        ErrorKind::Internal,
        "The service failed to process the request; quote the request-id when reporting it.",
    )
}

impl From<StoreError> for ODataError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ODataError::not_found("The entity does not exist."),
            StoreError::Duplicate => ODataError::new(
                ErrorKind::Conflict,
                "An entity with the same key, or the same value of a unique property, already \
                 exists.",
            ),
            StoreError::Referenced(_) => ODataError::new(
                ErrorKind::Conflict,
                "The entity is still referred to by other entities.",
            ),
            StoreError::VersionMismatch => ODataError::new(
                ErrorKind::PreconditionFailed,
                "The entity was changed since it was read: the If-Match ETag no longer matches.",
            ),
            StoreError::Rejected(e) => e,
            StoreError::BudgetExceeded => ODataError::new(
                ErrorKind::QueryTimeout,
                "The query ran out of its time budget and was stopped; narrow the filter or \
                 page size.",
            ),
            StoreError::TooLarge(limit) => ODataError::bad_request(format!(
                "The request is too large for the database ({limit})."
            )),
            StoreError::Unevaluable(reason) => ODataError::bad_request(format!(
                "The query cannot be evaluated over the stored data ({reason}); an integer \
                 result is out of range."
            )),
            StoreError::Unrepresentable(reason) => ODataError::bad_request(format!(
                "The request holds a text value with a character the database cannot store \
                 or compare, such as U+0000 ({reason})."
            )),
            StoreError::Database(sqlx::Error::PoolTimedOut) => {
                tracing::error!("database pool timed out");
                ODataError::new(
                    ErrorKind::ServiceUnavailable,
                    "The database is busy; retry the request.",
                )
            }
            other => internal(&other),
        }
    }
}
