//! `POST $batch`: many requests in one, in the 4.01 JSON format ([`json`]) or as
//! `multipart/mixed` ([`multipart`]).
//!
//! Each inner request takes the same route as a top-level one — authentication (the
//! batch's `Authorization` applies to requests that carry none), routing, authorization,
//! tenant isolation, limits — and gets its own response. They run one after the other in
//! the order sent:
//!
//! * **Atomicity groups** (JSON `atomicityGroup`, multipart change sets) run in one
//!   transaction ([`crate::store::Store::begin_group`]): when one request of a group fails,
//!   the whole group is rolled back and its other requests answer 424. A request of a
//!   group sees what earlier ones wrote (a bind to an entity created just before works);
//!   reads of whole resources (GET) are not allowed in a group.
//! * **Dependencies** (`dependsOn`, and every earlier request of a multipart batch): a
//!   request whose dependency failed is not run and answers 424.
//! * **Errors:** after the first failed request or group the batch stops, unless the
//!   client prefers `odata.continue-on-error` (echoed in `Preference-Applied`) or the
//!   service goes on by default (`ServiceBuilder::batch_continues_on_error`; then
//!   `odata.continue-on-error=false` stops it).
//! * **URLs** are relative to the service root (with or without a leading `/`, as Graph
//!   writes them), absolute paths or absolute URLs of the service; one starting with
//!   `$<id>` continues the URL of the entity that the request `<id>` created (its
//!   `Location`). So does a `$<id>` link in a JSON body (`x@odata.bind`, `@odata.id`), and
//!   `If-Match: $<id>` stands for the ETag that request answered with.
//!
//! An envelope that does not parse, names unknown dependencies or holds more requests than
//! `max_batch_requests` is refused as a whole (400, 413), before anything runs.

mod json;
mod multipart;

use std::collections::HashSet;

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use odata_core::error::{ErrorKind, ODataError};

use super::{Body, Request, respond};
use crate::routing;
use crate::store::Store;

/// One request of a batch, as the envelope gave it.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// The request's id (JSON `id`, multipart `Content-ID`), unique in the batch.
    pub id: Option<String>,
    pub method: Method,
    /// As written: relative to the service root, an absolute path or URL, or `$<id>/…`.
    pub url: String,
    pub headers: HeaderMap,
    pub body: web::Bytes,
    /// Ids of requests or atomicity groups that must have succeeded first.
    pub depends_on: Vec<String>,
    /// The atomicity group (JSON) or change set (multipart) the request belongs to.
    pub group: Option<String>,
}

/// The response to one [`Part`].
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub id: Option<String>,
    pub group: Option<String>,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: web::Bytes,
    /// Not run, or rolled back, because another request failed (a 424).
    pub consequential: bool,
}

impl Answer {
    fn failed(&self) -> bool {
        self.status.is_client_error() || self.status.is_server_error()
    }
}

/// The batch's service root, set on its inner requests (in their extensions), whose
/// synthetic request has no connection of its own to derive it from; also set on the
/// request an asynchronous job runs. Its presence marks a request as not top-level.
#[derive(Debug, Clone)]
pub(crate) struct BatchServiceRoot(pub String);

/// `POST $batch`.
pub(super) async fn run(request: &Request<'_>) -> Result<HttpResponse, ODataError> {
    let http = request.http;
    for name in [header::IF_MATCH, header::IF_NONE_MATCH] {
        if http.headers().contains_key(&name) {
            return Err(ODataError::bad_request(format!(
                "'{name}' is not allowed on a $batch request; put it on the requests inside."
            ))
            .with_target(name.as_str()));
        }
    }
    let content_type = http
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let format = if media.eq_ignore_ascii_case("application/json") {
        Format::Json
    } else if media.eq_ignore_ascii_case("multipart/mixed") {
        Format::Multipart(multipart::boundary(content_type)?)
    } else {
        return Err(ODataError::new(
            ErrorKind::UnsupportedMediaType,
            format!(
                "A $batch body is application/json or multipart/mixed, not '{}'.",
                if media.is_empty() { "(none)" } else { media }
            ),
        ));
    };
    if matches!(format, Format::Json) && request.version == crate::negotiation::ODataVersion::V4_0 {
        return Err(ODataError::new(
            ErrorKind::UnsupportedMediaType,
            "The JSON $batch format is OData 4.01: send it without OData-MaxVersion: 4.0, \
             or send a multipart/mixed $batch.",
        ));
    }
    let parts = match &format {
        Format::Json => json::parse(&request.body)?,
        Format::Multipart(boundary) => multipart::parse(&request.body, boundary)?,
    };
    let limit = request.state.settings.max_batch_requests;
    if parts.len() > limit {
        return Err(ODataError::new(
            ErrorKind::PayloadTooLarge,
            format!(
                "The $batch holds {} requests; at most {limit} are allowed.",
                parts.len()
            ),
        ));
    }
    check_envelope(&parts)?;
    let preferences = crate::prefer::Preferences::of(http);
    let continue_on_error = preferences.continue_on_error;
    let go_on = continue_on_error.is_some()
        || (request.state.service.batch_continues_on_error() && !preferences.stop_on_error);
    let answers = execute(request, parts, go_on).await;
    let mut response = match &format {
        Format::Json => json::write(&answers),
        Format::Multipart(_) => multipart::write(&answers),
    };
    if let Some(name) = continue_on_error {
        crate::prefer::applied(response.headers_mut(), name);
    }
    Ok(response)
}

enum Format {
    Json,
    Multipart(String),
}

/// Ids unique and no group's name, dependencies on earlier requests or complete groups
/// only, a group's requests adjacent and changes only, no `$batch` inside a batch.
fn check_envelope(parts: &[Part]) -> Result<(), ODataError> {
    // Earlier request ids and complete groups: what a request may depend on.
    let mut known: HashSet<&str> = HashSet::new();
    let mut ids: HashSet<&str> = HashSet::new();
    let mut closed: HashSet<&str> = HashSet::new();
    let mut current: Option<&str> = None;
    // `dependsOn` names requests and groups alike: one name cannot be both.
    let groups: HashSet<&str> = parts.iter().filter_map(|p| p.group.as_deref()).collect();
    if let Some(shared) = parts
        .iter()
        .filter_map(|p| p.id.as_deref())
        .find(|id| groups.contains(id))
    {
        return Err(envelope_error(format!(
            "'{shared}' names both a request and an atomicity group."
        )));
    }
    for (i, part) in parts.iter().enumerate() {
        let name = part.id.clone().unwrap_or_else(|| format!("#{}", i + 1));
        if current != part.group.as_deref() {
            if let Some(group) = current {
                closed.insert(group);
                known.insert(group);
            }
            if let Some(group) = part.group.as_deref()
                && closed.contains(group)
            {
                return Err(envelope_error(format!(
                    "The requests of the atomicity group '{group}' must be adjacent."
                )));
            }
            current = part.group.as_deref();
        }
        if let Some(id) = part.id.as_deref()
            && !ids.insert(id)
        {
            return Err(envelope_error(format!(
                "The request id '{id}' is used twice."
            )));
        }
        let path = part.url.split(['?', '#']).next().unwrap_or_default();
        if path.trim_end_matches('/').ends_with("$batch") {
            return Err(envelope_error(format!(
                "Request {name}: a $batch cannot hold a $batch."
            )));
        }
        if let Some(dependency) = part.depends_on.iter().find(|d| !known.contains(d.as_str())) {
            return Err(envelope_error(format!(
                "Request {name} depends on '{dependency}', which is not an earlier request or \
                 complete atomicity group of the batch."
            )));
        }
        if let Some(group) = part.group.as_deref()
            && matches!(part.method, Method::GET | Method::HEAD)
        {
            // A read would see the data as committed before the group: refuse it rather
            // than answer with what the group is about to change.
            return Err(envelope_error(format!(
                "Request {name}: the atomicity group or change set '{group}' may hold changes \
                 only; put reads outside it."
            )));
        }
        if let Some(id) = part.id.as_deref() {
            known.insert(id);
        }
    }
    Ok(())
}

fn envelope_error(message: String) -> ODataError {
    ODataError::bad_request(message).with_target("$batch")
}

/// Runs the parts in order, group by group; see the module documentation.
async fn execute(request: &Request<'_>, parts: Vec<Part>, continue_on_error: bool) -> Vec<Answer> {
    let state = request.state;
    let mut answers: Vec<Answer> = Vec::with_capacity(parts.len());
    let mut index = 0;
    while index < parts.len() {
        let group = parts[index].group.clone();
        let end = match &group {
            Some(g) => parts[index..]
                .iter()
                .position(|p| p.group.as_ref() != Some(g))
                .map_or(parts.len(), |n| index + n),
            None => index + 1,
        };
        let unit = &parts[index..end];
        index = end;
        let blocked = unit.iter().find_map(|part| {
            part.depends_on
                .iter()
                .find(|d| has_failed(&answers, d))
                .map(|d| (part, d.clone()))
        });
        if let Some((_, dependency)) = blocked {
            for part in unit {
                answers.push(consequence(
                    request,
                    part,
                    &format!("Not run: '{dependency}', which it depends on, failed."),
                ));
            }
            continue;
        }
        let unit_answers = match &group {
            None => vec![run_part(request, &unit[0], &state.store, &answers).await],
            Some(name) => run_group(request, unit, name, &answers).await,
        };
        let failed = unit_answers.iter().any(Answer::failed);
        answers.extend(unit_answers);
        if failed && !continue_on_error {
            break;
        }
    }
    answers
}

/// Whether the request or group `id` failed (or never ran).
fn has_failed(answers: &[Answer], id: &str) -> bool {
    let matching: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.id.as_deref() == Some(id) || a.group.as_deref() == Some(id))
        .collect();
    matching.is_empty() || matching.iter().any(|a| a.failed())
}

/// Runs one atomicity group in one transaction: all of it, or none of it.
async fn run_group(
    request: &Request<'_>,
    unit: &[Part],
    name: &str,
    earlier: &[Answer],
) -> Vec<Answer> {
    let store = match request.state.store.begin_group().await {
        Ok(store) => store,
        Err(e) => {
            let error = ODataError::from(e);
            return unit
                .iter()
                .map(|p| error_answer(request, p, &error, false))
                .collect();
        }
    };
    let mut answers: Vec<Answer> = Vec::with_capacity(unit.len());
    // What a request of the group can refer to: the batch's earlier answers and the
    // group's own so far.
    let mut visible: Vec<Answer> = earlier.to_vec();
    for part in unit {
        let answer = run_part(request, part, &store, &visible).await;
        let failed = answer.failed();
        visible.push(answer.clone());
        answers.push(answer);
        if failed {
            break;
        }
    }
    let failure = answers.iter().position(Answer::failed);
    let ended = store.end_group(failure.is_none()).await;
    match (failure, ended) {
        (None, Ok(())) => answers,
        (None, Err(e)) => {
            let error = ODataError::from(e);
            unit.iter()
                .map(|p| error_answer(request, p, &error, false))
                .collect()
        }
        (Some(failed_at), _) => {
            let message =
                format!("Rolled back: another request of the atomicity group '{name}' failed.");
            unit.iter()
                .enumerate()
                .map(|(i, part)| {
                    if i == failed_at {
                        answers[i].clone()
                    } else {
                        consequence(request, part, &message)
                    }
                })
                .collect()
        }
    }
}

/// Runs one inner request through the service's request path.
async fn run_part(request: &Request<'_>, part: &Part, store: &Store, earlier: &[Answer]) -> Answer {
    let inner = match inner_request(request, part, earlier) {
        Ok(inner) => inner,
        Err(error) => return error_answer(request, part, &error, false),
    };
    let body = match resolve_body_references(&part.body, earlier) {
        Ok(body) => body,
        Err(error) => return error_answer(request, part, &error, false),
    };
    let response = Box::pin(respond(&inner, Body::Ready(body), request.state, store)).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap_or_default();
    Answer {
        id: part.id.clone(),
        group: part.group.clone(),
        status,
        headers,
        body,
        consequential: false,
    }
}

/// The synthetic request for a part: its method, URL below the service root and headers,
/// the batch's `Authorization` and `Host` when it has none of its own.
fn inner_request(
    request: &Request<'_>,
    part: &Part,
    earlier: &[Answer],
) -> Result<HttpRequest, ODataError> {
    let state = request.state;
    let root = state.service_root(request.http);
    let url = resolve_reference(&part.url, earlier)?;
    let relative = routing::below_service_root(&url, &root, &state.base_prefix)
        // Graph's JSON batches write URLs relative to the service root with a leading
        // slash (`/deviceManagement/…`).
        .or_else(|| url.strip_prefix('/').filter(|rest| !rest.starts_with('/')))
        .ok_or_else(|| ODataError::bad_request(format!("'{url}' is not a URL of this service.")))?;
    let uri = format!("{}/{}", state.base_prefix, relative);
    let mut builder = actix_web::test::TestRequest::default()
        .method(part.method.clone())
        .uri(&uri);
    if let Some(peer) = request.http.peer_addr() {
        builder = builder.peer_addr(peer);
    }
    let outer = request.http.headers();
    for name in [header::AUTHORIZATION, header::HOST] {
        if !part.headers.contains_key(&name)
            && let Some(value) = outer.get(&name)
        {
            builder = builder.insert_header((name, value.clone()));
        }
    }
    for (name, value) in &part.headers {
        // `If-Match: $<id>`: the ETag request `<id>` answered with.
        let value = match value.to_str().ok().and_then(|v| v.strip_prefix('$')) {
            Some(id) if name == header::IF_MATCH || name == header::IF_NONE_MATCH => {
                answer_of(earlier, id)
                    .and_then(|a| a.headers.get(header::ETAG))
                    .cloned()
                    .ok_or_else(|| {
                        ODataError::bad_request(format!(
                            "'{name}: ${id}' refers to no earlier response with an ETag."
                        ))
                    })?
            }
            _ => value.clone(),
        };
        builder = builder.append_header((name.clone(), value));
    }
    let inner = builder.to_http_request();
    inner.extensions_mut().insert(BatchServiceRoot(root));
    // A batch run by an asynchronous job: its requests belong to that job.
    if let Some(job) = request.http.extensions().get::<super::AsyncJob>().cloned() {
        inner.extensions_mut().insert(job);
    }
    Ok(inner)
}

/// The latest answer to the request `id`.
fn answer_of<'a>(earlier: &'a [Answer], id: &str) -> Option<&'a Answer> {
    earlier.iter().rev().find(|a| a.id.as_deref() == Some(id))
}

/// `$<id>/rest` → the `Location` of request `<id>` followed by `/rest`.
fn resolve_reference(url: &str, earlier: &[Answer]) -> Result<String, ODataError> {
    let Some(reference) = url.strip_prefix('$') else {
        return Ok(url.to_owned());
    };
    let (id, rest) = match reference.find(['/', '?']) {
        Some(at) => reference.split_at(at),
        None => (reference, ""),
    };
    // `$metadata`, `$entity`, … are resource paths, not references.
    let Some(answer) = answer_of(earlier, id) else {
        return Ok(url.to_owned());
    };
    answer
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|location| format!("{location}{rest}"))
        .ok_or_else(|| {
            ODataError::bad_request(format!(
                "'${id}' refers to request '{id}', which created no entity."
            ))
        })
}

/// A JSON body whose links (`x@odata.bind`, `x@bind`, `@odata.id`, `@id`, single or in
/// arrays, at any depth) name `$<id>`: each such reference replaced by the URL of the
/// entity request `<id>` created. Other bodies are passed on as they are.
fn resolve_body_references(
    body: &web::Bytes,
    earlier: &[Answer],
) -> Result<web::Bytes, ODataError> {
    if !body.windows(2).any(|w| w == b"\"$") {
        return Ok(body.clone());
    }
    // Read strictly (a repeated member is a 400), as the request itself would be.
    let Ok(object) = odata_core::json::read_object(body) else {
        return Ok(body.clone());
    };
    let mut json = serde_json::Value::Object(object);
    fn visit(
        value: &mut serde_json::Value,
        earlier: &[Answer],
        changed: &mut bool,
    ) -> Result<(), ODataError> {
        match value {
            serde_json::Value::Object(members) => {
                for (name, member) in members.iter_mut() {
                    let link = name.ends_with("@odata.bind")
                        || name.ends_with("@bind")
                        || name == "@odata.id"
                        || name == "@id";
                    match member {
                        serde_json::Value::String(url) if link && url.starts_with('$') => {
                            *url = resolve_reference(url, earlier)?;
                            *changed = true;
                        }
                        serde_json::Value::Array(urls) if link => {
                            for url in urls {
                                if let serde_json::Value::String(url) = url
                                    && url.starts_with('$')
                                {
                                    *url = resolve_reference(url, earlier)?;
                                    *changed = true;
                                }
                            }
                        }
                        other => visit(other, earlier, changed)?,
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    visit(item, earlier, changed)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut changed = false;
    visit(&mut json, earlier, &mut changed)?;
    Ok(if changed {
        web::Bytes::from(json.to_string())
    } else {
        body.clone()
    })
}

/// A 424 for a request that was not run or was rolled back.
fn consequence(request: &Request<'_>, part: &Part, message: &str) -> Answer {
    let error = ODataError::new(ErrorKind::FailedDependency, message.to_owned());
    error_answer(request, part, &error, true)
}

/// An error answer built like a top-level error response.
fn error_answer(
    request: &Request<'_>,
    part: &Part,
    error: &ODataError,
    consequential: bool,
) -> Answer {
    let response = crate::error::error_response(request.http, error);
    let status = response.status();
    let headers = response.headers().clone();
    let body =
        actix_web::body::MessageBody::try_into_bytes(response.into_body()).unwrap_or_default();
    Answer {
        id: part.id.clone(),
        group: part.group.clone(),
        status,
        headers,
        body,
        consequential,
    }
}
