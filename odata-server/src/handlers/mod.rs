//! Request handlers: one entry point that resolves the path and dispatches by target and
//! method, so every OData request takes the same route through parsing and error mapping.

mod action;
mod apply;
mod asynchronous;
mod batch;
mod deep_insert;
mod delta;
mod each;
mod function;
mod in_place;

pub(crate) use asynchronous::AsyncJob;
pub(crate) use batch::BatchServiceRoot;
mod media;
mod metadata;
mod output;
mod property;
mod read;
mod related;
mod singleton;
mod write;

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;

use actix_web::body::{self, BodySize, BoxBody, MessageBody, SizedStream};
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{FutureExt, StreamExt};
use odata_core::error::{ErrorKind, ODataError};

use crate::app::AppState;
use crate::error::{error_response, internal, method_not_allowed_response};
use crate::prefer::{self, OmitValues, Preferences};
use crate::routing::{self, Addressing, Target};
use crate::store::Deadline;
use crate::{negotiation, query};

/// Everything a handler needs about the request.
pub(crate) struct Request<'a> {
    pub http: &'a HttpRequest,
    pub state: &'a AppState,
    /// Where writes go: the service's store, or inside a `$batch` atomicity group the
    /// group's.
    pub store: crate::store::Store,
    pub options: odata_core::query::QueryOptions,
    /// The request's time: `now()` in `$filter` and server-set timestamps.
    pub now: odata_core::value::DateTimeOffset,
    pub tenant: String,
    /// The authenticated caller, for authorizing what the request reads besides its
    /// target (`$expand`).
    pub principal: crate::auth::Principal,
    /// Who is calling, for per-caller limits: the principal, or the peer address when
    /// authentication is off.
    pub caller: String,
    /// When the request's database statements must have finished.
    pub deadline: Deadline,
    pub body: web::Bytes,
    /// The response's protocol version, from `OData-MaxVersion`.
    pub version: negotiation::ODataVersion,
    /// The request's `Prefer` preferences.
    pub prefer: Preferences,
}

impl Request<'_> {
    /// Whether null properties are left out of the entities of the response: asked for
    /// with `omit-values=nulls`, which only a 4.01 response may honour (a 4.0 client does
    /// not know that a missing property means null).
    pub fn omit_nulls(&self) -> bool {
        self.prefer.omit_values == Some(OmitValues::Nulls)
            && self.version == negotiation::ODataVersion::V4_01
    }
}

/// Entry point for every request below the service root.
pub async fn odata(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    respond(&req, Body::Stream(payload), &state, &state.store).await
}

/// A request's body: still arriving, or already read (a request inside a `$batch`).
pub(crate) enum Body {
    Stream(web::Payload),
    Ready(web::Bytes),
}

/// Answers one request, whose writes go to `store` (the service's, or an atomicity
/// group's): every failure, a panic included, becomes an OData error response.
pub(crate) async fn respond(
    req: &HttpRequest,
    body: Body,
    state: &AppState,
    store: &crate::store::Store,
) -> HttpResponse {
    let response = match protocol_checks(req) {
        Ok(version) => {
            let outcome = AssertUnwindSafe(handle(req, body, state, store, version))
                .catch_unwind()
                .await;
            match outcome {
                Ok(Ok(mut response)) => {
                    // Every OData response states the protocol version (errors get it in
                    // error.rs).
                    response.headers_mut().insert(
                        header::HeaderName::from_static("odata-version"),
                        header::HeaderValue::from_static(version.as_str()),
                    );
                    response
                }
                Ok(Err(Failure { error, allow: None })) => error_response(req, &error),
                Ok(Err(Failure {
                    error,
                    allow: Some(allow),
                })) => method_not_allowed_response(req, &error, allow),
                Err(_) => error_response(req, &internal(&"handler panicked")),
            }
        }
        Err(error) => error_response(req, &error),
    };
    if req.method() == Method::HEAD {
        without_body(response)
    } else {
        response
    }
}

/// The checks that come before anything is read or done: the request's `OData-Version`,
/// the response version from `OData-MaxVersion`, and the isolation the caller asks for.
fn protocol_checks(req: &HttpRequest) -> Result<negotiation::ODataVersion, ODataError> {
    negotiation::check_request_version(req)?;
    let version = negotiation::response_version(req)?;
    negotiation::check_isolation(req)?;
    Ok(version)
}

/// A HEAD response: the GET response's status and headers without its body. The body's
/// length stays announced in `Content-Length`, as the GET response would have it.
fn without_body(response: HttpResponse) -> HttpResponse {
    let size = response.body().size();
    response.map_body(|_, _| match size {
        BodySize::Sized(length) => BoxBody::new(SizedStream::new(
            length,
            futures_util::stream::empty::<Result<web::Bytes, Infallible>>(),
        )),
        BodySize::None | BodySize::Stream => BoxBody::new(body::None::new()),
    })
}

/// A failed request: the OData error and, for a 405, the methods the resource allows.
struct Failure {
    error: ODataError,
    allow: Option<&'static str>,
}

impl From<ODataError> for Failure {
    fn from(error: ODataError) -> Self {
        Self { error, allow: None }
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
    body: Body,
    state: &AppState,
    store: &crate::store::Store,
    version: negotiation::ODataVersion,
) -> Result<HttpResponse, Failure> {
    crate::limits::check_url_length(req, state.settings.max_url_bytes)?;
    let principal = state.auth.authenticate(req.headers())?;
    crate::context::RequestContext::set_principal(req, &principal);
    let raw_path = req
        .uri()
        .path()
        .strip_prefix(&state.base_prefix)
        .unwrap_or_default();
    if let Some(id) = asynchronous::monitor_id(raw_path) {
        return asynchronous::monitor(req, state, &principal, id);
    }
    // Parsed before routing, which reads key parameter aliases and `$entity`'s `$id`; a
    // parse error still comes after routing and authorization errors.
    let limits = state.parse_limits();
    let parsed = query::parse(req.uri().query(), &limits);
    // On a function call the options named without `$` or `@` are its parameters: the
    // rest is parsed on its own (only when there are such options).
    let (rest, operation_parameters) =
        routing::split_operation_parameters(req.uri().query().unwrap_or_default());
    let without_parameters = if operation_parameters.is_empty() {
        None
    } else {
        Some(query::parse(Some(&rest), &limits))
    };
    let service_root = || state.service_root(req);
    let info = routing::RequestInfo {
        options: without_parameters.as_ref().unwrap_or(&parsed).as_ref(),
        operation_parameters: &operation_parameters,
        service_root: &service_root,
        base_path: &state.base_prefix,
    };
    let mut route = routing::resolve(&state.service, raw_path, &info)?;
    crate::auth::authorize_target(&principal, &route.target, req.method())?;
    // A path that goes on from a related entity (`…/{navigation}/…`) continues at that
    // entity's own URL, with its own authorization.
    while let Target::Related(related) = &route.target
        && !related.then.is_empty()
    {
        crate::auth::authorize(&principal, related.source, crate::auth::Access::Read)?;
        let model = state.service.model();
        let deadline = Deadline::after(state.settings.statement_budget);
        let key = related::follow(store, model, &principal.tenant, deadline, related).await?;
        let next =
            routing::resolve_in_entity(&state.service, related.target, key, &related.then, &info)?;
        crate::auth::authorize_target(&principal, &next.target, req.method())?;
        route = next;
    }
    let target = route.target;
    let options = match (&target, without_parameters) {
        (Target::Function(_), Some(options)) => options?,
        _ => parsed?,
    };
    // `/$filter(…)` segments: reads (and `$each`'s writes) only, their expressions ANDed
    // into `$filter`.
    let filter_path = crate::routing::filter_path(&route.filters);
    if !route.filters.is_empty()
        && !matches!(*req.method(), Method::GET | Method::HEAD)
        && !matches!(target, Target::Each(_))
    {
        return Err(not_allowed(req.method(), "GET"));
    }
    let options = crate::query::with_path_filters(
        options,
        route.filters.into_iter().map(|f| f.expr).collect(),
    );
    query::schema_version_served(&options, state.service.model())?;
    // `$id` names the entity `$entity` reads, or the member a `$ref` deletion removes.
    let id_names_a_member = req.method() == Method::DELETE
        && matches!(&target, Target::Related(r) if r.reference && r.navigation.is_collection());
    query::id_for_entity_id_only(
        &options,
        id_names_a_member || matches!(route.addressing, Addressing::EntityId),
    )?;
    let body = match body {
        Body::Stream(payload) => read_body(req, payload, &state.settings).await?,
        Body::Ready(bytes) => bytes,
    };
    let prefer = Preferences::of(req);
    if prefer.respond_async
        && asynchronous::eligible(req, &target, req.method())
        && let Some(accepted) = asynchronous::accept(req, state, &principal, version, &body)
    {
        return Ok(accepted);
    }
    let caller = if principal.caller.is_empty() {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    } else {
        principal.caller.clone()
    };
    let request = Request {
        http: req,
        state,
        store: store.clone(),
        options,
        now: crate::initial::now(),
        tenant: principal.tenant.clone(),
        principal,
        caller,
        deadline: Deadline::after(state.settings.statement_budget),
        body,
        version,
        prefer,
    };
    // HEAD runs as GET; `odata` drops the body afterwards.
    let method = if req.method() == Method::HEAD {
        &Method::GET
    } else {
        req.method()
    };
    if writes_read_only(&target, method) {
        return Err(not_allowed(req.method(), READ_ONLY_ALLOW));
    }
    // Property paths and `$entity` read the entity they name; writes go to the entity.
    match (&route.addressing, &target, method) {
        (Addressing::Path, ..) => {}
        (Addressing::Stream(name), Target::Entity(c, key), &Method::GET) => {
            return media::get(&request, c, key, *name)
                .await
                .map_err(Failure::from);
        }
        (Addressing::Stream(name), Target::Entity(c, key), &Method::PUT) => {
            return media::put(&request, c, key, *name)
                .await
                .map_err(Failure::from);
        }
        (Addressing::Stream(_), ..) => return Err(not_allowed(req.method(), "GET, PUT")),
        (Addressing::Property(path), Target::Entity(c, key), &Method::GET) => {
            return property::get(&request, c, key, path, route.cast)
                .await
                .map_err(Failure::from);
        }
        (Addressing::Reference, Target::Entity(c, key), &Method::GET) => {
            return read::reference(&request, c, key)
                .await
                .map_err(Failure::from);
        }
        (Addressing::EntityId, Target::Entity(c, key), &Method::GET) => {
            let mut response = read::entity(&request, c, key, route.cast).await?;
            prefer::vary(response.headers_mut(), "Prefer");
            return Ok(response);
        }
        _ => return Err(not_allowed(req.method(), "GET")),
    }
    // A stored singleton is read and updated, never created or deleted.
    if let Target::Entity(c, _) = &target
        && c.singleton
        && !matches!(*method, Method::GET | Method::PATCH | Method::PUT)
    {
        return Err(not_allowed(req.method(), "GET, HEAD, PATCH, PUT"));
    }
    let response = match (&target, method) {
        (Target::ServiceDocument, &Method::GET) => metadata::service_document(&request),
        (Target::Metadata, &Method::GET) => metadata::metadata(&request),
        (Target::Singleton(singleton), &Method::GET) => singleton::get(&request, singleton),
        (Target::Batch, &Method::POST) => batch::run(&request).await,
        (Target::Collection(c), &Method::GET) => {
            let scope = read::Scope::of_type(state.service.model(), c, route.cast, &filter_path);
            read::collection(&request, c, &scope).await
        }
        (Target::Collection(c), &Method::POST) if media::is_upload(&request, c) => {
            media::create(&request, c).await
        }
        (Target::Collection(c) | Target::CollectionRef(c), &Method::POST) => {
            write::create(
                &request,
                c,
                matches!(target, Target::CollectionRef(_)),
                &[],
                None,
            )
            .await
        }
        (Target::CollectionRef(c), &Method::GET) => {
            let scope = read::Scope {
                references: true,
                ..read::Scope::of_type(state.service.model(), c, None, &filter_path)
            };
            read::collection(&request, c, &scope).await
        }
        (Target::Count(c), &Method::GET) => {
            let scope = read::Scope::of_type(state.service.model(), c, route.cast, &filter_path);
            read::count(&request, c, &scope).await
        }
        (Target::Related(related), &Method::GET) => related::get(&request, related).await,
        (Target::Related(related), &Method::PUT | &Method::DELETE)
            if related.reference && !related.navigation.is_collection() =>
        {
            write::set_reference(&request, related, method == Method::PUT).await
        }
        (Target::Related(related), &Method::POST)
            if related.reference
                && related.navigation.is_collection()
                && related.member.is_none() =>
        {
            write::change_member_reference(&request, related, true).await
        }
        (Target::Related(related), &Method::DELETE)
            if related.reference && related.navigation.is_collection() =>
        {
            write::change_member_reference(&request, related, false).await
        }
        (Target::Related(related), &Method::POST)
            if !related.reference
                && !related.count
                && related.member.is_none()
                && related.navigation.is_collection() =>
        {
            related::create(&request, related).await
        }
        (Target::Related(related), &Method::PATCH | &Method::PUT | &Method::DELETE)
            if !related.reference
                && !related.count
                && (related.member.is_some() || !related.navigation.is_collection()) =>
        {
            related::write_related(&request, related, method).await
        }
        (Target::Entity(c, key), &Method::GET) => read::entity(&request, c, key, route.cast).await,
        (Target::Each(c), &Method::PATCH) => each::update(&request, c, route.cast).await,
        (Target::Each(c), &Method::DELETE) => each::delete(&request, c, route.cast).await,
        // A cast path is read only.
        (Target::Collection(_) | Target::Entity(..) | Target::Count(_), _)
            if route.cast.is_some() =>
        {
            return Err(not_allowed(req.method(), "GET"));
        }
        (Target::Entity(c, key), &Method::PATCH) => write::update(&request, c, key, false).await,
        (Target::Entity(c, key), &Method::PUT) => write::update(&request, c, key, true).await,
        (Target::Entity(c, key), &Method::DELETE) => write::delete(&request, c, key).await,
        (Target::Function(invocation), &Method::GET) => function::call(&request, invocation).await,
        (Target::Action(invocation), &Method::POST) => action::invoke(&request, invocation).await,
        _ => return Err(method_not_allowed(&target, req.method())),
    };
    let mut response = response?;
    if varies_by_prefer(&target, method) {
        prefer::vary(response.headers_mut(), "Prefer");
    }
    Ok(response)
}

/// Whether the response to `method` on `target` can differ by `Prefer`, so that caches
/// must key it on that header too: reads of entities and collections (`maxpagesize`,
/// `omit-values`) and the writes that answer with the entity or without it (`return`).
fn varies_by_prefer(target: &Target<'_>, method: &Method) -> bool {
    match (target, method) {
        (Target::Collection(_) | Target::CollectionRef(_) | Target::Entity(..), &Method::GET) => {
            true
        }
        // Following a navigation reads an entity or a (paged) collection.
        (Target::Related(related), &Method::GET) => !related.count,
        (Target::Collection(_) | Target::CollectionRef(_), &Method::POST) => true,
        (Target::Entity(..) | Target::Each(_), &Method::PATCH | &Method::PUT) => true,
        // Creating or updating through a navigation answers like the direct write.
        (Target::Related(related), &Method::POST | &Method::PATCH | &Method::PUT) => {
            !related.reference && !related.count
        }
        _ => false,
    }
}

/// The `Allow` of a read-only collection's resources.
const READ_ONLY_ALLOW: &str = "GET, HEAD";

/// Whether `method` on `target` would write to a read-only collection: creating in it,
/// changing or deleting its entities, their streams or links, invoking their actions, or
/// writing through a navigation from or to it.
fn writes_read_only(target: &Target<'_>, method: &Method) -> bool {
    if !matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        return false;
    }
    match target {
        Target::Collection(c)
        | Target::CollectionRef(c)
        | Target::Count(c)
        | Target::Each(c)
        | Target::Entity(c, _)
        | Target::Action(crate::routing::ActionInvocation {
            binding: crate::routing::Binding::Entity(c, ..) | crate::routing::Binding::Collection(c),
            ..
        }) => c.read_only,
        Target::Related(related) => related.source.read_only || related.target.read_only,
        Target::Action(crate::routing::ActionInvocation {
            binding: crate::routing::Binding::Import(_),
            ..
        })
        | Target::ServiceDocument
        | Target::Metadata
        | Target::Singleton(_)
        | Target::Batch
        | Target::Function(_) => false,
    }
}

fn method_not_allowed(target: &Target<'_>, method: &Method) -> Failure {
    let allowed = match target {
        Target::Related(r) if r.reference && !r.navigation.is_collection() => "GET, PUT, DELETE",
        Target::Related(r) if r.reference && r.member.is_none() => "GET, POST, DELETE",
        Target::Related(r) if r.reference => "GET, DELETE",
        Target::Related(r) if r.count => "GET",
        Target::Related(r) if r.member.is_none() && r.navigation.is_collection() => "GET, POST",
        Target::Related(_) => "GET, PATCH, PUT, DELETE",
        Target::ServiceDocument
        | Target::Metadata
        | Target::Singleton(_)
        | Target::Function(_)
        | Target::Count(_) => "GET",
        Target::Collection(_) => "GET, POST",
        Target::CollectionRef(_) => "GET, POST",
        Target::Each(_) => "PATCH, DELETE",
        Target::Batch => "POST",
        Target::Entity(..) => "GET, PATCH, PUT, DELETE",
        Target::Action(_) => "POST",
    };
    not_allowed(method, allowed)
}

/// 405 with the methods the resource allows.
fn not_allowed(method: &Method, allowed: &'static str) -> Failure {
    Failure {
        error: ODataError::new(
            ErrorKind::MethodNotAllowed,
            format!("The method {method} is not allowed on this resource; allowed: {allowed}."),
        ),
        allow: Some(allowed),
    }
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
