//! Asynchronous requests (OData Protocol §8.2.8.8, §9.1.3, §11.6): a data request with
//! `Prefer: respond-async` is answered `202 Accepted` with the URL of a status monitor
//! (`<root>/$async/<id>`) in `Location`, `Retry-After` and
//! `Preference-Applied: respond-async`, and runs on in the background.
//!
//! * The background job answers the request exactly as a synchronous call would: it goes
//!   through [`super::respond`] with the request's method, URL, headers (its token
//!   included) and body, on the worker that accepted it. Authentication, routing,
//!   authorization and the query options are checked before the 202, so those errors are
//!   answered at once; everything later (a method the resource does not allow, validation
//!   of the body, the database, the handler) ends up in the final response.
//! * `GET <monitor>`: 202 with `Location` and `Retry-After` while the job runs; once done
//!   200, `Content-Type: application/http`, `Content-Transfer-Encoding: binary`, the body
//!   being the final response (status line, headers, blank line, body), and for a request
//!   negotiated as 4.01 `AsyncResult: <its status code>` (a 4.0 client gets no
//!   `AsyncResult`, and the final response keeps `OData-Version: 4.0`).
//! * `DELETE <monitor>`: cancels the job (aborts it if it still runs; what it had committed
//!   stays) and forgets it → 204. A monitor that is unknown, purged, cancelled or belongs to
//!   another tenant or caller is a 404; other methods are a 405.
//! * Not asynchronous, the preference being ignored: `$metadata`, the service document,
//!   the monitor itself, `HEAD`, requests inside a `$batch` (the batch as a whole may be
//!   asynchronous), and requests beyond the tenant's job limit (see [`crate::jobs`]).

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use odata_core::error::ODataError;

use super::{BatchServiceRoot, Body, Failure, not_allowed, respond};
use crate::app::AppState;
use crate::auth::Principal;
use crate::jobs::{FinalResponse, JobStatus, Owner};
use crate::negotiation::ODataVersion;
use crate::routing::Target;

/// The path segment of status monitors below the service root.
const MONITORS: &str = "$async";

/// Seconds a client is asked to wait before asking the monitor again.
const RETRY_AFTER_SECS: &str = "1";

/// Set on the request a job runs: the job's id (a dataset restore keeps its own job).
#[derive(Debug, Clone)]
pub(crate) struct AsyncJob(pub String);

/// The monitor id of a path below the service root (`/$async/<id>`, `$` possibly
/// percent-encoded); `None` for any other path.
pub(super) fn monitor_id(raw_path: &str) -> Option<&str> {
    let rest = raw_path.strip_prefix('/')?;
    ["$async/", "%24async/"]
        .iter()
        .find_map(|prefix| rest.strip_prefix(prefix))
}

/// Whether `method` on `target` may run asynchronously for this request: data requests
/// only, and never inside a `$batch` or a job.
pub(super) fn eligible(req: &HttpRequest, target: &Target<'_>, method: &Method) -> bool {
    let top_level = !req.extensions().contains::<BatchServiceRoot>();
    let data_method = matches!(
        *method,
        Method::GET | Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    top_level && data_method && !matches!(target, Target::ServiceDocument | Target::Metadata)
}

/// Registers the request as a job of the caller, starts it and answers 202; `None` when it
/// cannot run asynchronously (the tenant's job limit is reached), so that it is answered
/// synchronously.
pub(super) fn accept(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    version: ODataVersion,
    body: &web::Bytes,
) -> Option<HttpResponse> {
    // The job outlives the request: it holds the shared state, not a borrow of it.
    let shared = req.app_data::<web::Data<AppState>>()?.clone();
    let owner = Owner {
        tenant: principal.tenant.clone(),
        caller: principal.caller.clone(),
    };
    let id = state.jobs.start(owner, version)?;
    let root = state.service_root(req);
    let inner = job_request(req, &root, &id);
    let body = body.clone();
    let job = id.clone();
    let task = actix_web::rt::spawn(async move {
        let response = Box::pin(respond(&inner, Body::Ready(body), &shared, &shared.store)).await;
        let outcome = match collect(response).await {
            Some(outcome) => outcome,
            // A streamed body that failed half-way: the job failed.
            None => {
                let error = crate::error::internal(&"the response body of a job failed");
                let response = crate::error::error_response(&inner, &error);
                collect(response).await.unwrap_or(FinalResponse {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    headers: header::HeaderMap::new(),
                    body: web::Bytes::new(),
                })
            }
        };
        tracing::info!(job = %job, status = outcome.status.as_u16(), "asynchronous request done");
        shared.jobs.finish(&job, outcome);
    });
    state.jobs.attach(&id, task.abort_handle());
    let mut response = HttpResponse::Accepted()
        .insert_header((header::LOCATION, monitor_url(&root, &id)))
        .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS))
        .finish();
    crate::prefer::applied(response.headers_mut(), "respond-async");
    crate::prefer::vary(response.headers_mut(), "Prefer");
    Some(response)
}

/// The response as kept for the monitor: `None` when its body cannot be read whole.
async fn collect(response: HttpResponse) -> Option<FinalResponse> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes(response.into_body()).await.ok()?;
    Some(FinalResponse {
        status,
        headers,
        body,
    })
}

/// The request the job runs: the original's method, URL, headers and peer, answered with
/// the original's service root.
fn job_request(req: &HttpRequest, root: &str, id: &str) -> HttpRequest {
    let mut builder = actix_web::test::TestRequest::default()
        .method(req.method().clone())
        .uri(&req.uri().to_string());
    if let Some(peer) = req.peer_addr() {
        builder = builder.peer_addr(peer);
    }
    for (name, value) in req.headers() {
        builder = builder.append_header((name.clone(), value.clone()));
    }
    let inner = builder.to_http_request();
    inner
        .extensions_mut()
        .insert(BatchServiceRoot(root.to_owned()));
    inner.extensions_mut().insert(AsyncJob(id.to_owned()));
    inner
}

fn monitor_url(root: &str, id: &str) -> String {
    format!("{root}/{MONITORS}/{id}")
}

/// `GET` or `DELETE` on the status monitor `id`.
pub(super) fn monitor(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<HttpResponse, Failure> {
    let owner = Owner {
        tenant: principal.tenant.clone(),
        caller: principal.caller.clone(),
    };
    let unknown = || ODataError::not_found(format!("There is no status monitor '{id}'."));
    match *req.method() {
        Method::GET | Method::HEAD => match state.jobs.status(id, &owner) {
            None => Err(unknown().into()),
            Some(JobStatus::Running) => Ok(HttpResponse::Accepted()
                .insert_header((header::LOCATION, monitor_url(&state.service_root(req), id)))
                .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS))
                .finish()),
            Some(JobStatus::Done(response, version)) => {
                let mut monitor = HttpResponse::Ok();
                monitor
                    .content_type("application/http")
                    .insert_header(("content-transfer-encoding", "binary"));
                if version == ODataVersion::V4_01 {
                    monitor.insert_header(("asyncresult", response.status.as_u16().to_string()));
                }
                Ok(monitor.body(http_message(&response)))
            }
        },
        Method::DELETE if state.jobs.cancel(id, &owner) => Ok(HttpResponse::NoContent().finish()),
        Method::DELETE => Err(unknown().into()),
        _ => Err(not_allowed(req.method(), "GET, DELETE")),
    }
}

/// The final response as an `application/http` message: status line, headers (with the
/// body's `Content-Length`), a blank line and the body.
fn http_message(response: &FinalResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(response.body.len() + 256);
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\n",
            response.status.as_u16(),
            response.status.canonical_reason().unwrap_or_default()
        )
        .as_bytes(),
    );
    let mut headers = response.headers.clone();
    if !headers.contains_key(header::CONTENT_LENGTH)
        && (!response.body.is_empty() || response.status != StatusCode::NO_CONTENT)
    {
        headers.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(response.body.len()),
        );
    }
    let mut names: Vec<&HeaderName> = headers.keys().collect();
    names.sort_by_key(|n| n.as_str());
    names.dedup();
    for name in names {
        for value in headers.get_all(name) {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&response.body);
    out
}
