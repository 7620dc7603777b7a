//! `collection/$each`: set-based writes (OData 4.01 Protocol §11.4.13, §11.4.14). A PATCH
//! applies its body to every member, a DELETE deletes every member: the members the route's
//! `/$filter(…)` segments (and a `$filter` or `$search` option) and type cast select. All
//! of it is one transaction: a member that fails (a stale `If-Match`, a 409, a value the
//! type refuses) fails the request and nothing is written.
//!
//! A PATCH answers 200 with the updated members (shaped by `$select`, `$expand` and
//! `$compute`), or 204 under `return=minimal`; a DELETE answers 204. At most
//! [`MAX_MEMBERS`] members are written at once: more is a 400 asking for a narrower
//! filter. A body may bind single-valued navigation properties (every member then refers
//! to the same entity) but not change collection-valued ones, whose related entities
//! cannot belong to every member at once.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use odata_core::edm::EntityTypeId;
use odata_core::error::ODataError;
use odata_core::json::{self, MetadataLevel};
use odata_core::value::Value;

use super::Request;
use super::output::{json_options, write_member};
use super::read::{Scope, admit, authorized_plan, bind_expand, context_url, expanded};
use super::write::{delete_entities, require_json_body, return_applied, update_entities};
use crate::plan::CollectionPlan;
use crate::prefer::ReturnPreference;
use crate::service::Collection;
use crate::store::Find;

/// The most members one set-based write changes.
pub const MAX_MEMBERS: u32 = 10_000;

/// `PATCH collection[/$filter(…)][/{type}]/$each`.
pub(super) async fn update(
    request: &Request<'_>,
    collection: &Collection,
    cast: Option<EntityTypeId>,
) -> Result<HttpResponse, ODataError> {
    require_json_body(request)?;
    let options = json_options(request)?;
    let object = json::read_object(&request.body)?;
    for member in object.keys() {
        let name = json::bound_navigation(member).unwrap_or(member);
        if collection
            .navigation(name)
            .is_some_and(|n| n.is_collection())
        {
            return Err(ODataError::bad_request(format!(
                "'{name}' cannot be changed for every member of a collection at once: its \
                 related entities belong to one entity."
            ))
            .with_target(member.clone()));
        }
    }
    let (plan, keys) = members(request, collection, cast).await?;
    let expand = bind_expand(request, collection)?;
    let group = request.store.begin_group().await?;
    let updated = update_entities(request, &group, collection, &keys, false).await;
    group.end_group(updated.is_ok()).await?;
    let updated = updated?;
    if request.prefer.return_preference == ReturnPreference::Minimal {
        let mut response = HttpResponse::NoContent().finish();
        return_applied(request, &mut response);
        return Ok(response);
    }
    let nodes = expanded(request, collection, &expand, &plan.computed, updated).await?;
    let mut body = Vec::with_capacity(256 + nodes.len() * 512);
    body.push(b'{');
    if options.metadata != MetadataLevel::None {
        let scope = Scope::of_type(request.state.service.model(), collection, cast, "");
        let context = context_url(request, &scope.context, &plan, &expand);
        body.extend_from_slice(b"\"@odata.context\":");
        body.extend_from_slice(serde_json::Value::from(context).to_string().as_bytes());
        body.push(b',');
    }
    body.extend_from_slice(b"\"value\":[");
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        write_member(
            &mut body, request, collection, node, &expand, &plan, options,
        )?;
    }
    body.extend_from_slice(b"]}");
    let mut response = HttpResponse::build(StatusCode::OK)
        .content_type(crate::negotiation::json_content_type(options))
        .body(body);
    return_applied(request, &mut response);
    Ok(response)
}

/// `DELETE collection[/$filter(…)][/{type}]/$each`.
pub(super) async fn delete(
    request: &Request<'_>,
    collection: &Collection,
    cast: Option<EntityTypeId>,
) -> Result<HttpResponse, ODataError> {
    let (_, keys) = members(request, collection, cast).await?;
    let group = request.store.begin_group().await?;
    let deleted = delete_entities(request, &group, collection, &keys).await;
    group.end_group(deleted.is_ok()).await?;
    deleted?;
    Ok(HttpResponse::NoContent().finish())
}

/// The plan of the request's options and the keys of the members they (and `cast`)
/// select, in key order.
async fn members(
    request: &Request<'_>,
    collection: &Collection,
    cast: Option<EntityTypeId>,
) -> Result<(CollectionPlan, Vec<Vec<Value>>), ODataError> {
    let query = &request.options;
    // `$filter` and `$search` select the members; nothing orders or windows them.
    if let Some(name) = crate::query::collection_option_given(query, &["$filter", "$search"]) {
        return Err(ODataError::bad_request(format!(
            "The query option '{name}' does not apply to '$each': every selected member is \
             written."
        ))
        .with_target(name));
    }
    let state = request.state;
    let model = state.service.model();
    let mut plan = authorized_plan(request, collection, query)?;
    if let Some(condition) = Scope::of_type(model, collection, cast, "").condition {
        plan.conditions.push(condition);
    }
    let conditions: Vec<_> = plan.conditions.iter().collect();
    let found = {
        let _slot = admit(request).await?;
        state
            .store
            .find(
                &collection.table,
                &request.tenant,
                &Find {
                    conditions: &conditions,
                    order: &crate::sql::default_order(
                        &collection.table,
                        odata_core::query::SortDirection::Asc,
                    ),
                    projection: Some(&[]),
                    limit: MAX_MEMBERS + 1,
                    offset: 0,
                },
                request.deadline,
            )
            .await
            .map_err(|e| super::read::query_error(request, e))?
    };
    if found.len() > MAX_MEMBERS as usize {
        return Err(ODataError::bad_request(format!(
            "'$each' selects more than {MAX_MEMBERS} members; narrow it with a '$filter(…)' \
             segment."
        ))
        .with_target("$each"));
    }
    let keys = found
        .iter()
        .map(|f| f.entity.key(&collection.table))
        .collect();
    Ok((plan, keys))
}
