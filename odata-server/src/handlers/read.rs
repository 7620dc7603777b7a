//! Reading: collections (filtered, ordered, projected, paged), single entities, `$count`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use odata_core::edm::{EntityTypeId, Model};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::MetadataLevel;
use odata_core::query::IndexOption;
use odata_core::value::Value;

use super::output::{
    annotate_index, entity_url, etag, expanded_entity_response, json_options, select_list,
    write_member,
};
use super::{Request, in_place};
use crate::admission::Slot;
use crate::compute::Computed;
use crate::expand::{self, ExpandItem, Node};
use crate::negotiation;
use crate::paging::SkipToken;
use crate::plan::{self, CollectionPlan};
use crate::preconditions::{Preconditions, ReadOutcome};
use crate::prefer;
use crate::service::Collection;
use crate::sql::range_count::TimeRange;
use crate::sql::{Condition, statement};
use crate::store::{Find, StoreError, StoredEntity};
use serde_json::json;

/// Which members of a collection a read covers, and under which URL.
pub(super) struct Scope {
    /// A condition every member must also meet (the link to a navigation's source, a type
    /// cast).
    pub condition: Option<Condition>,
    /// The URL path of what is read, below the service root: the collection's path, a
    /// navigation's (`…/{key}/{navigation}`) or a cast's (`…/{type}`), for nextLinks and
    /// `$skiptoken` binding.
    pub path: String,
    /// What the context URL names after `$metadata#`.
    pub context: String,
    /// `…/$ref`: each member as its `@odata.id` only.
    pub references: bool,
}

impl Scope {
    /// The whole collection.
    pub fn all(collection: &Collection) -> Self {
        Self {
            condition: None,
            path: collection.path.clone(),
            context: collection.path.clone(),
            references: false,
        }
    }

    /// The collection's members of type `cast` or a type derived from it
    /// (`collection/{type}`), after the `/$filter(…)` segments `filter_path` (see
    /// [`crate::routing::filter_path`]), which its further pages' URLs keep.
    pub fn of_type(
        model: &Model,
        collection: &Collection,
        cast: Option<EntityTypeId>,
        filter_path: &str,
    ) -> Self {
        let filtered = format!("{}{filter_path}", collection.path);
        let Some(cast) = cast else {
            return Self {
                path: filtered,
                ..Self::all(collection)
            };
        };
        let cast_segment = &model.entity_type(cast).qualified_name;
        Self {
            condition: Some(crate::sql::type_in(model, cast)),
            // The context names the members' set and type; filters select among them.
            context: format!("{}/{cast_segment}", collection.path),
            path: format!("{filtered}/{cast_segment}"),
            references: false,
        }
    }
}

/// `GET collection` (or a navigation's or a cast's part of it, `scope`): one page of the
/// filtered, ordered collection, with `@odata.nextLink` when more rows follow and
/// `@odata.count` on request.
pub(super) async fn collection(
    request: &Request<'_>,
    collection: &Collection,
    scope: &Scope,
) -> Result<HttpResponse, ODataError> {
    if request.options.deltatoken.is_some() {
        return super::delta::changes(request, collection, scope).await;
    }
    if request.options.apply_tree.is_some() {
        return super::apply::collection(request, collection, scope).await;
    }
    let options = json_options(request)?;
    if scope.references {
        references_only(request)?;
    }
    let state = request.state;
    let query = &request.options;
    let plan = authorized_plan(request, collection, query)?;
    let expand = bind_expand(request, collection)?;
    // Expanded references need their columns, selected or not.
    let projection = plan.projection.as_ref().map(|columns| {
        let mut columns = columns.clone();
        columns.extend(expand.iter().filter_map(|item| match item.navigation.link {
            crate::service::Link::Reference { column } => Some(column),
            crate::service::Link::Inverse { .. } | crate::service::Link::Many { .. } => None,
        }));
        columns
    });
    let _slot = admit(request).await?;
    let binding = token_binding(request, &scope.path);
    let token = query
        .skiptoken
        .as_deref()
        .map(|t| state.tokens.open(t, &binding, plan.order.len()))
        .transpose()?;
    // Change tracking: the mark is read before the data (see `delta::tracked_mark`).
    let mark =
        super::delta::tracked_mark(request, collection, scope, token.as_ref().map(|t| t.delta))
            .await?;
    let (page_size, max_page_size_applied) = page_size(request);
    let remaining = match &token {
        Some(t) => t.remaining,
        None => query.top,
    };
    let this_page = remaining.map_or(page_size, |r| r.min(u64::from(page_size)) as u32);
    // Where this page starts in the whole result, for `@odata.index`.
    let start = match &token {
        Some(t) => t.position,
        None => query.skip.unwrap_or(0),
    };
    let keyset = token
        .as_ref()
        .map(|t| statement::after(state.store.backend(), &plan.order, &t.keys));
    let offset = if token.is_some() {
        0
    } else {
        query.skip.unwrap_or(0)
    };
    let read = offset.saturating_add(u64::from(this_page) + 1);
    let ranged = ranged_page(request, collection, &plan, scope, read).await?;
    let mut conditions: Vec<&Condition> = match &ranged {
        Some(RangedPage {
            walk: Some(walk), ..
        }) => vec![walk],
        _ => plan.conditions.iter().collect(),
    };
    conditions.extend(scope.condition.as_ref());
    conditions.extend(keyset.as_ref());
    let find = Find {
        conditions: &conditions,
        order: &plan.order,
        projection: projection.as_deref(),
        limit: this_page + 1,
        offset,
    };
    let store = &state.store;
    let count = if query.count == Some(true) {
        Some(match &ranged {
            Some(ranged) => ranged.count,
            None => count_members(request, collection, &plan, scope)
                .await
                .map_err(|e| query_error(request, e))?,
        })
    } else {
        None
    };

    let mut body = Vec::with_capacity(4096);
    body.push(b'{');
    let member = |body: &mut Vec<u8>, name: &str, value: &str| {
        if body.len() > 1 {
            body.push(b',');
        }
        body.extend_from_slice(serde_json::Value::from(name).to_string().as_bytes());
        body.push(b':');
        body.extend_from_slice(value.as_bytes());
    };
    if options.metadata != MetadataLevel::None {
        let context = if scope.references {
            format!(
                "{}/$metadata#Collection($ref)",
                state.service_root(request.http)
            )
        } else {
            context_url(request, &scope.context, &plan, &expand)
        };
        member(
            &mut body,
            "@odata.context",
            &serde_json::Value::from(context).to_string(),
        );
    }
    if let Some(n) = count {
        member(
            &mut body,
            "@odata.count",
            &super::output::count_json(n, options),
        );
    }
    member(&mut body, "value", "[");
    let limit = this_page as usize;
    let first_index = query
        .index
        .is_some_and(IndexOption::annotates)
        .then_some(start);
    let (read, last_keys) = if this_page == 0 {
        (0, None)
    } else if in_place::applies(request, &plan, &expand, options) && !scope.references {
        let mut members = in_place::PlainMembers::new(
            request,
            collection,
            &plan,
            options,
            &mut body,
            limit,
            first_index,
        );
        store
            .find_each(
                &collection.table,
                &request.tenant,
                &find,
                request.deadline,
                &mut members,
            )
            .await
            .map_err(|e| query_error(request, e))?;
        members.finish()
    } else {
        let page = store.find(&collection.table, &request.tenant, &find, request.deadline);
        let mut rows = page.await.map_err(|e| query_error(request, e))?;
        let read = rows.len();
        rows.truncate(limit);
        let last_keys = rows.last().map(|row| row.sort_keys.clone());
        let entities = rows.into_iter().map(|r| r.entity).collect();
        let nodes = expanded(request, collection, &expand, &plan.computed, entities).await?;
        for (i, node) in nodes.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            let item_start = body.len();
            if scope.references {
                let id = entity_url(request, collection, &node.entity);
                body.extend_from_slice(json!({ "@odata.id": id }).to_string().as_bytes());
            } else {
                write_member(
                    &mut body, request, collection, node, &expand, &plan, options,
                )?;
            }
            if let Some(first) = first_index {
                annotate_index(&mut body, item_start, first + i as u64);
            }
        }
        (read, last_keys)
    };
    // More rows exist and `$top` (if any) allows more than this page.
    let more = read > limit && remaining.is_none_or(|r| r > u64::from(this_page));
    let next_link = match last_keys.filter(|_| more) {
        Some(keys) => {
            let token = SkipToken {
                keys,
                remaining: remaining.map(|r| r - u64::from(this_page)),
                delta: mark,
                position: start + u64::from(this_page),
            };
            Some(next_link(
                request,
                &scope.path,
                &state.tokens.seal(&token, &binding),
            ))
        }
        _ => None,
    };
    body.push(b']');
    let delta_link = match mark {
        Some(mark) if next_link.is_none() => Some(super::delta::link(
            request,
            &scope.path,
            &crate::delta::DeltaToken::after(mark),
        )),
        _ => None,
    };
    if let Some(link) = next_link {
        member(
            &mut body,
            "@odata.nextLink",
            &serde_json::Value::from(link).to_string(),
        );
    }
    if let Some(link) = delta_link {
        member(
            &mut body,
            "@odata.deltaLink",
            &serde_json::Value::from(link).to_string(),
        );
    }
    body.push(b'}');
    let mut response = HttpResponse::Ok()
        .content_type(negotiation::json_content_type(options))
        .body(body);
    if let Some(applied) = max_page_size_applied {
        prefer::applied(response.headers_mut(), &applied);
    }
    if mark.is_some() {
        let spelling = request
            .prefer
            .track_changes
            .unwrap_or("odata.track-changes");
        prefer::applied(response.headers_mut(), spelling);
    }
    // References carry no properties: nothing was left out of them.
    if options.omit_nulls && !scope.references {
        prefer::applied(response.headers_mut(), request.prefer.omit_nulls_applied());
    }
    Ok(response)
}

/// The page size: `Prefer: maxpagesize` (capped by the configured maximum) or the
/// default; the second value is the preference to report as applied (`maxpagesize=n` in
/// the client's spelling, with the size actually used).
pub(super) fn page_size(request: &Request<'_>) -> (u32, Option<String>) {
    let settings = &request.state.settings;
    let max = settings.max_page_size.max(1);
    match request.prefer.max_page_size {
        Some(preference) => {
            let applied = preference.size.clamp(1, max);
            (applied, Some(format!("{}={applied}", preference.name)))
        }
        None => (settings.default_page_size.clamp(1, max), None),
    }
}

/// `{root}/$metadata#{collection}` or, with `$select`, `#{collection}(a,b)`.
pub(super) fn context_url(
    request: &Request<'_>,
    context: &str,
    plan: &CollectionPlan,
    expand: &[ExpandItem<'_>],
) -> String {
    let root = request.state.service_root(request.http);
    format!(
        "{root}/$metadata#{}{}",
        context,
        select_list(plan.selected.as_deref(), expand)
    )
}

/// What a `$skiptoken` is bound to: the tenant, the collection and every query option but
/// the token itself, so a token neither opens for another tenant nor under another
/// `$filter`, `$orderby`, `$select`, `$search` or alias.
fn token_binding(request: &Request<'_>, path: &str) -> String {
    let mut options = request.options.clone();
    options.skiptoken = None;
    format!("{}\n{path}\n{options}", request.tenant)
}

/// The request URL with its query options kept as sent, `$skiptoken` replaced.
fn next_link(request: &Request<'_>, path: &str, token: &str) -> String {
    // Any spelling of the token (`$skiptoken`, `SkipToken`, …) goes, or the next request
    // would carry two and be rejected as a repeated option.
    let kept = |name: &str| odata_core::query::system_query_option_name(name) != Some("$skiptoken");
    link_keeping(request, path, kept, &format!("$skiptoken={token}"))
}

/// A URL of `path` below the service root with the request's query options whose decoded
/// names `keep` accepts (as sent), then `last` (`name=value`).
pub(super) fn link_keeping(
    request: &Request<'_>,
    path: &str,
    keep: impl Fn(&str) -> bool,
    last: &str,
) -> String {
    let mut query: Vec<&str> = request
        .http
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split('=').next().unwrap_or_default();
            odata_core::query::decode_query_component(name).is_ok_and(|n| keep(&n))
        })
        .collect();
    query.push(last);
    format!(
        "{}/{}?{}",
        request.state.service_root(request.http),
        path,
        query.join("&")
    )
}

/// `GET collection/{key}/$ref`: the entity's reference (404 when it does not exist).
pub(super) async fn reference(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
) -> Result<HttpResponse, ODataError> {
    json_options(request)?;
    crate::query::collection_only(&request.options)?;
    references_only(request)?;
    let entity = request
        .state
        .store
        .get(&collection.table, &request.tenant, key)
        .await?
        .ok_or_else(|| not_found(collection, key))?;
    Ok(reference_response(request, collection, &entity))
}

/// One entity's reference: `{"@odata.context": "…/$metadata#$ref", "@odata.id": …}`.
pub(super) fn reference_response(
    request: &Request<'_>,
    collection: &Collection,
    entity: &StoredEntity,
) -> HttpResponse {
    let root = request.state.service_root(request.http);
    let body = json!({
        "@odata.context": format!("{root}/$metadata#$ref"),
        "@odata.id": super::output::entity_url(request, collection, entity),
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.to_string())
}

/// A reference is an id and nothing else: `$expand` and `$select` on `$ref` are a 400.
pub(super) fn references_only(request: &Request<'_>) -> Result<(), ODataError> {
    for (name, given) in [
        ("$expand", request.options.expand.is_some()),
        ("$select", request.options.select.is_some()),
    ] {
        if given {
            return Err(ODataError::bad_request(format!(
                "{name} does not apply to references ($ref): they carry only @odata.id."
            ))
            .with_target(name));
        }
    }
    Ok(())
}

/// `GET collection/{key}[/{type}]`: with a type cast, 404 unless the entity is of that
/// type or one derived from it.
pub(super) async fn entity(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
    cast: Option<EntityTypeId>,
) -> Result<HttpResponse, ODataError> {
    json_options(request)?;
    crate::query::collection_only(&request.options)?;
    // Options are checked, and what they read authorized, before the entity is looked for.
    let shape = plan::selection(
        &request.state.service,
        request.state.store.backend(),
        collection,
        &request.options,
        request.now.clone(),
    )?;
    authorize_related_reads(request, &shape.related_reads)?;
    let expand = bind_expand(request, collection)?;
    let model = request.state.service.model();
    let entity = request
        .state
        .store
        .get(&collection.table, &request.tenant, key)
        .await?
        .filter(|e| {
            cast.is_none_or(|cast| {
                collection
                    .table
                    .table_type(&e.type_name)
                    .is_some_and(|t| model.entity_derives_from(t.id, cast))
            })
        })
        .ok_or_else(|| not_found(collection, key))?;
    if let Some(not_modified) = read_preconditions(request, &entity)? {
        return Ok(not_modified);
    }
    let node = expanded(request, collection, &expand, &shape.computed, vec![entity])
        .await?
        .pop()
        .ok_or_else(|| crate::error::internal(&"expansion lost the entity"))?;
    expanded_entity_response(request, collection, &node, &expand, StatusCode::OK, &shape)
}

/// A page in the default order whose conditions are a time range the per-day counts
/// serve: the range's count, read first, and the range as the condition to read the page
/// with when walking the default order meets it sooner than sorting the range's rows.
struct RangedPage {
    count: i64,
    walk: Option<Condition>,
}

/// The [`RangedPage`] of a page of `limit` rows, if it is one.
async fn ranged_page(
    request: &Request<'_>,
    collection: &Collection,
    plan: &CollectionPlan,
    scope: &Scope,
    limit: u64,
) -> Result<Option<RangedPage>, ODataError> {
    let (Some(range), None, None) = (&plan.range, &scope.condition, &request.options.orderby)
    else {
        return Ok(None);
    };
    let store = &request.state.store;
    let counted = store
        .count_in_range(&collection.table, &request.tenant, range, request.deadline)
        .await
        .map_err(|e| query_error(request, e))?;
    let walk = TimeRange::walks_default_order(limit, counted.matching, counted.total)
        .then(|| range.unindexed(store.backend(), &collection.table));
    Ok(Some(RangedPage {
        count: counted.matching,
        walk,
    }))
}

/// The number of the collection's members in `scope` that the plan's conditions select:
/// from the per-day counts when the conditions are a time range of a range-counted
/// property and the scope adds none.
async fn count_members(
    request: &Request<'_>,
    collection: &Collection,
    plan: &CollectionPlan,
    scope: &Scope,
) -> Result<i64, StoreError> {
    let store = &request.state.store;
    if let (Some(range), None) = (&plan.range, &scope.condition) {
        let counted = store
            .count_in_range(&collection.table, &request.tenant, range, request.deadline)
            .await?;
        return Ok(counted.matching);
    }
    let mut conditions: Vec<&Condition> = plan.conditions.iter().collect();
    conditions.extend(scope.condition.as_ref());
    store
        .count_matching(
            &collection.table,
            &request.tenant,
            &conditions,
            request.deadline,
        )
        .await
}

/// `GET collection/$count` (within `scope`): a plain-text number; honours `$filter` and
/// `$search`.
pub(super) async fn count(
    request: &Request<'_>,
    collection: &Collection,
    scope: &Scope,
) -> Result<HttpResponse, ODataError> {
    if request.options.apply.is_some() {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            "'$apply' on '/$count' is not supported; use $apply=aggregate($count as n).",
        )
        .with_target("$apply"));
    }
    let plan = authorized_plan(request, collection, &request.options)?;
    let _slot = admit(request).await?;
    let n = count_members(request, collection, &plan, scope)
        .await
        .map_err(|e| query_error(request, e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(n.to_string()))
}

/// The request's `$expand` bound against `collection`, every expanded collection
/// authorized for reading.
pub(super) fn bind_expand<'s>(
    request: &Request<'s>,
    collection: &'s Collection,
) -> Result<Vec<ExpandItem<'s>>, ODataError> {
    let Some(syntax) = &request.options.expand else {
        return Ok(Vec::new());
    };
    let state = request.state;
    let items = expand::bind(
        &state.service,
        state.store.backend(),
        collection,
        syntax,
        &request.options,
        &request.now,
    )?;
    for target in ExpandItem::collections(&items) {
        crate::auth::authorize(&request.principal, target, crate::auth::Access::Read)?;
    }
    fn nested_plans<'i>(items: &'i [ExpandItem<'_>], out: &mut Vec<&'i plan::CollectionPlan>) {
        for item in items {
            out.push(&item.plan);
            nested_plans(&item.nested, out);
        }
    }
    let mut plans = Vec::new();
    nested_plans(&items, &mut plans);
    for plan in plans {
        authorize_related_reads(request, &plan.related_reads)?;
    }
    Ok(items)
}

/// The plan of `options` over `collection` for the request's store, the collections it
/// reads through navigation properties authorized for reading.
pub(super) fn authorized_plan(
    request: &Request<'_>,
    collection: &Collection,
    options: &odata_core::query::QueryOptions,
) -> Result<plan::CollectionPlan, ODataError> {
    let state = request.state;
    let plan = plan::plan(
        &state.service,
        state.store.backend(),
        collection,
        options,
        request.now.clone(),
    )?;
    authorize_related_reads(request, &plan.related_reads)?;
    Ok(plan)
}

/// The collections `$filter`, `$orderby` and `$compute` read through navigation
/// properties (`related_reads`, indexes into the service's collections) need the caller's
/// read permission, as the addressed collection does.
pub(super) fn authorize_related_reads(
    request: &Request<'_>,
    related_reads: &[usize],
) -> Result<(), ODataError> {
    let collections = request.state.service.collections();
    for &index in related_reads {
        crate::auth::authorize(
            &request.principal,
            &collections[index],
            crate::auth::Access::Read,
        )?;
    }
    Ok(())
}

/// `entities` of `collection` with their expansions read.
pub(super) async fn expanded(
    request: &Request<'_>,
    collection: &Collection,
    items: &[ExpandItem<'_>],
    computed: &Computed,
    entities: Vec<StoredEntity>,
) -> Result<Vec<Node>, ODataError> {
    if items.is_empty() && !computed.reads_navigation() {
        return Ok(entities
            .into_iter()
            .map(|entity| Node {
                entity,
                expansions: Vec::new(),
                computed: Vec::new(),
            })
            .collect());
    }
    let (page_size, _) = page_size(request);
    let reading = expand::Reading {
        store: &request.state.store,
        tenant: &request.tenant,
        page_size: u64::from(page_size),
        deadline: request.deadline,
    };
    expand::run(&reading, collection, items, computed, entities)
        .await
        .map_err(|e| query_error(request, e))
}

/// One of the caller's query slots, waiting at most until the request's deadline.
pub(super) async fn admit(request: &Request<'_>) -> Result<Slot, ODataError> {
    request
        .state
        .admission
        .enter(&request.caller, request.deadline.remaining())
        .await
}

/// A failed collection query as an OData error; a statement the database found too large
/// names the query options that made it.
pub(super) fn query_error(request: &Request<'_>, e: StoreError) -> ODataError {
    let options = &request.options;
    let culprit = [
        ("$filter", options.filter.is_some()),
        ("$search", options.search.is_some()),
        ("$orderby", options.orderby.is_some()),
    ]
    .into_iter()
    .filter(|(_, given)| *given)
    .map(|(name, _)| name)
    .collect::<Vec<_>>();
    match e {
        StoreError::TooLarge(limit) if !culprit.is_empty() => ODataError::bad_request(format!(
            "The query is too large for the database ({limit}); simplify {}.",
            culprit.join(" or ")
        ))
        .with_target(culprit[0]),
        other => other.into(),
    }
}

/// The answer `If-Match` / `If-None-Match` give to a read of `entity` (and of its
/// properties): `Some(304)`, a 412, or `None` to send the representation.
pub(super) fn read_preconditions(
    request: &Request<'_>,
    entity: &StoredEntity,
) -> Result<Option<HttpResponse>, ODataError> {
    match Preconditions::from_headers(request.http.headers()).read_outcome(entity.version) {
        ReadOutcome::Send => Ok(None),
        ReadOutcome::NotModified => Ok(Some(
            HttpResponse::NotModified()
                .insert_header(("ETag", etag(entity)))
                .finish(),
        )),
        ReadOutcome::PreconditionFailed => Err(ODataError::new(
            ErrorKind::PreconditionFailed,
            "The entity's current ETag does not match If-Match.",
        )),
    }
}

/// 404 naming the collection and key.
pub(super) fn not_found(collection: &Collection, key: &[Value]) -> ODataError {
    if collection.singleton {
        return ODataError::not_found(format!("The singleton '{}' has no data.", collection.path));
    }
    ODataError::not_found(format!(
        "No entity with key {} exists in '{}'.",
        crate::routing::key_predicate(collection, key),
        collection.path
    ))
}
