//! The OData error: one kind → (HTTP status, code) table and the JSON error body.
//!
//! ```
//! use odata_core::error::{ErrorKind, ODataError};
//! let e = ODataError::new(ErrorKind::BadRequest, "unknown property 'x'").with_target("x");
//! assert_eq!(e.kind.status(), 400);
//! ```

use std::fmt;

use serde_json::{Map, Value as Json, json};

/// The classes of failure a request can end in. Each maps to exactly one status and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Malformed URL, query option, body, type or value.
    BadRequest,
    /// Missing or invalid credentials.
    Unauthenticated,
    /// Valid credentials without the needed permission.
    AccessDenied,
    /// No such resource.
    NotFound,
    /// The resource exists but does not support the method.
    MethodNotAllowed,
    /// No acceptable representation for the `Accept` header or `$format`.
    NotAcceptable,
    /// Conflicts with the current state, e.g. a duplicate key.
    Conflict,
    /// An `If-Match` / `If-None-Match` precondition failed.
    PreconditionFailed,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// The request URL is longer than allowed.
    UriTooLong,
    /// The request body's media type is not supported.
    UnsupportedMediaType,
    /// A valid OData request the service does not implement.
    NotImplemented,
    /// A failure inside the service; the message never carries internal detail.
    Internal,
    /// A dependency (the database) is not available.
    ServiceUnavailable,
    /// The request body did not arrive within the allowed time.
    RequestTimeout,
    /// The caller has too many expensive requests running at once.
    TooManyRequests,
    /// The request's database statements used up their time budget and were interrupted.
    QueryTimeout,
    /// 424: a request of a `$batch` was not run because one it depends on failed.
    FailedDependency,
    /// 410: the resource existed once and is gone for good (a delta token from before the
    /// tracked data was replaced).
    Gone,
}

impl ErrorKind {
    /// HTTP status code.
    pub fn status(self) -> u16 {
        self.entry().0
    }

    /// The `error.code` string (Microsoft Graph's documented codes where one exists).
    pub fn code(self) -> &'static str {
        self.entry().1
    }

    fn entry(self) -> (u16, &'static str) {
        match self {
            Self::BadRequest => (400, "BadRequest"),
            Self::Unauthenticated => (401, "InvalidAuthenticationToken"),
            Self::AccessDenied => (403, "Forbidden"),
            Self::NotFound => (404, "ResourceNotFound"),
            Self::MethodNotAllowed => (405, "MethodNotAllowed"),
            Self::NotAcceptable => (406, "NotAcceptable"),
            Self::Conflict => (409, "Conflict"),
            Self::PreconditionFailed => (412, "PreconditionFailed"),
            Self::PayloadTooLarge => (413, "RequestEntityTooLarge"),
            Self::UriTooLong => (414, "RequestUriTooLong"),
            Self::UnsupportedMediaType => (415, "UnsupportedMediaType"),
            Self::NotImplemented => (501, "NotImplemented"),
            Self::Internal => (500, "InternalServerError"),
            Self::ServiceUnavailable => (503, "ServiceUnavailable"),
            Self::RequestTimeout => (408, "RequestTimeout"),
            Self::TooManyRequests => (429, "TooManyRequests"),
            Self::QueryTimeout => (503, "QueryTimeout"),
            Self::FailedDependency => (424, "FailedDependency"),
            Self::Gone => (410, "Gone"),
        }
    }
}

/// One entry of `error.details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Detail code.
    pub code: String,
    /// Detail message.
    pub message: String,
    /// What the detail is about (a property name, a query option).
    pub target: Option<String>,
}

/// An OData error response body, before the per-request `innerError` is attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ODataError {
    /// Kind, deciding status and code.
    pub kind: ErrorKind,
    /// Human-readable message that says what was wrong and where.
    pub message: String,
    /// The property, option or segment at fault.
    pub target: Option<String>,
    /// Further errors (e.g. several invalid properties).
    pub details: Vec<ErrorDetail>,
}

impl fmt::Display for ODataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

/// Per-request data written into `error.innerError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerError {
    /// The `request-id` response header value.
    pub request_id: String,
    /// The caller's `client-request-id`, if sent.
    pub client_request_id: Option<String>,
    /// UTC timestamp without offset or fraction, e.g. `2025-01-22T19:17:04`.
    pub date: String,
}

impl ODataError {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            target: None,
            details: Vec::new(),
        }
    }

    /// Shorthand for a 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// Shorthand for a 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Sets `target`.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Adds a detail.
    pub fn with_detail(mut self, detail: ErrorDetail) -> Self {
        self.details.push(detail);
        self
    }

    /// The response body: `{"error":{"code","message","target"?,"details"?,"innerError"}}`.
    pub fn to_json(&self, inner: &InnerError) -> Json {
        let mut error = Map::new();
        error.insert("code".into(), self.kind.code().into());
        error.insert("message".into(), self.message.clone().into());
        if let Some(t) = &self.target {
            error.insert("target".into(), t.clone().into());
        }
        if !self.details.is_empty() {
            let details = self
                .details
                .iter()
                .map(|d| {
                    let mut m = Map::new();
                    m.insert("code".into(), d.code.clone().into());
                    m.insert("message".into(), d.message.clone().into());
                    if let Some(t) = &d.target {
                        m.insert("target".into(), t.clone().into());
                    }
                    Json::Object(m)
                })
                .collect();
            error.insert("details".into(), Json::Array(details));
        }
        let mut inner_json = json!({ "date": inner.date, "request-id": inner.request_id });
        if let Some(c) = &inner.client_request_id {
            inner_json["client-request-id"] = c.clone().into();
        }
        error.insert("innerError".into(), inner_json);
        json!({ "error": error })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_graph_shape() {
        let e = ODataError::bad_request("bad")
            .with_target("p")
            .with_detail(ErrorDetail {
                code: "x".into(),
                message: "y".into(),
                target: None,
            });
        let inner = InnerError {
            request_id: "r".into(),
            client_request_id: Some("c".into()),
            date: "2025-01-22T19:17:04".into(),
        };
        assert_eq!(
            e.to_json(&inner),
            json!({"error":{"code":"BadRequest","message":"bad","target":"p",
                "details":[{"code":"x","message":"y"}],
                "innerError":{"date":"2025-01-22T19:17:04","request-id":"r","client-request-id":"c"}}})
        );
    }
}
