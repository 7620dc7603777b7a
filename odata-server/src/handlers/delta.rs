//! Change tracking over HTTP (see [`crate::delta`]): whether a read applies
//! `Prefer: odata.track-changes`, its delta link, and `GET` of a delta link.

use actix_web::HttpResponse;
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::MetadataLevel;
use serde_json::json;

use super::Request;
use super::output::{entity_url, json_options, write_member};
use super::read::{Scope, admit, bind_expand, expanded, page_size, query_error};
use crate::delta::{self, ChangeMark, DeltaToken};
use crate::negotiation::ODataVersion;
use crate::service::Collection;
use crate::sql::Condition;
use crate::store::StoredEntity;

/// Whether a read of `scope` is the whole of a collection that tracks changes, with a
/// defining query change tracking can follow (no `$apply`, no `$compute`).
fn trackable(request: &Request<'_>, collection: &Collection, scope: &Scope) -> bool {
    collection.table.track_changes
        && scope.condition.is_none()
        && !scope.references
        && scope.path == collection.path
        && request.options.apply.is_none()
        && request.options.compute.is_none()
}

/// The change mark a read of `scope` tracks from, when it applies change tracking: for a
/// first page asked with `Prefer: odata.track-changes`, the mark read now (before the
/// data, so no change committed meanwhile is missed); for a later page, the mark its
/// `$skiptoken` carries.
pub(super) async fn tracked_mark(
    request: &Request<'_>,
    collection: &Collection,
    scope: &Scope,
    from_token: Option<Option<ChangeMark>>,
) -> Result<Option<ChangeMark>, ODataError> {
    if !trackable(request, collection, scope) {
        return Ok(None);
    }
    match from_token {
        Some(mark) => Ok(mark),
        None if request.prefer.track_changes.is_some() => Ok(Some(
            request.state.store.change_mark(&request.tenant).await?,
        )),
        None => Ok(None),
    }
}

/// `<root>/<path>?<defining options as sent>&$deltatoken=<token>`.
pub(super) fn link(request: &Request<'_>, path: &str, token: &DeltaToken) -> String {
    let binding = delta::binding(&request.tenant, path, &request.options);
    let sealed = request.state.tokens.seal_text(&token.encode(), &binding);
    let kept = |name: &str| {
        name.starts_with('@')
            || matches!(
                odata_core::query::system_query_option_name(name),
                Some("$filter" | "$search" | "$select" | "$expand")
            )
    };
    super::read::link_keeping(request, path, kept, &format!("$deltatoken={sealed}"))
}

/// `GET collection?$deltatoken=…`: the changes since the token, a page at a time.
pub(super) async fn changes(
    request: &Request<'_>,
    collection: &Collection,
    scope: &Scope,
) -> Result<HttpResponse, ODataError> {
    let options = json_options(request)?;
    let query = &request.options;
    if let Some(name) = delta::conflicting_option(query) {
        return Err(ODataError::bad_request(format!(
            "The query option '{name}' cannot be combined with $deltatoken: follow \
             @odata.deltaLink as returned (only $format may be added)."
        ))
        .with_target(name));
    }
    if !trackable(request, collection, scope) {
        return Err(ODataError::bad_request(format!(
            "'{}' does not track changes: $deltatoken applies to the delta links of \
             collections that do.",
            scope.path
        ))
        .with_target("$deltatoken"));
    }
    let state = request.state;
    let invalid = || {
        ODataError::bad_request(
            "$deltatoken is not valid for this request: it was changed, or made for another \
             collection or query; follow @odata.deltaLink as returned.",
        )
        .with_target("$deltatoken")
    };
    let text = query.deltatoken.as_deref().unwrap_or_default();
    let binding = delta::binding(&request.tenant, &scope.path, query);
    let token = state
        .tokens
        .open_text(text, &binding)
        .and_then(|plain| DeltaToken::decode(&plain))
        .ok_or_else(invalid)?;
    let plan = super::read::authorized_plan(request, collection, query)?;
    let expand = bind_expand(request, collection)?;
    let _slot = admit(request).await?;
    let now = state.store.change_mark(&request.tenant).await?;
    if token.epoch != now.epoch {
        return Err(ODataError::new(
            ErrorKind::Gone,
            "The delta token is no longer valid: the data was replaced since it was issued. \
             Read the collection again with Prefer: odata.track-changes for a new delta link.",
        )
        .with_target("$deltatoken"));
    }
    let upto = token.upto.unwrap_or(now.seq);
    let (page, _) = page_size(request);
    let mut logged = state
        .store
        .changes(
            &collection.table,
            &request.tenant,
            token.after.clone(),
            upto,
            page + 1,
            request.deadline,
        )
        .await
        .map_err(|e| query_error(request, e))?;
    let more = logged.len() > page as usize;
    logged.truncate(page as usize);

    // The current state of the changed entities that match the defining query.
    let changed: Vec<Vec<odata_core::value::Value>> = logged
        .iter()
        .filter(|c| !c.deleted)
        .map(|c| c.key.clone())
        .collect();
    let found = if changed.is_empty() {
        Vec::new()
    } else {
        let keys = crate::sql::keys_in(&collection.table, &changed);
        let mut conditions: Vec<&Condition> = plan.conditions.iter().collect();
        conditions.push(&keys);
        let projection = plan.projection.as_ref().map(|columns| {
            let mut columns = columns.clone();
            columns.extend(expand.iter().filter_map(|item| match item.navigation.link {
                crate::service::Link::Reference { column } => Some(column),
                crate::service::Link::Inverse { .. } | crate::service::Link::Many { .. } => None,
            }));
            columns
        });
        state
            .store
            .find(
                &collection.table,
                &request.tenant,
                &crate::store::Find {
                    conditions: &conditions,
                    order: &plan.order,
                    projection: projection.as_deref(),
                    limit: u32::try_from(changed.len()).unwrap_or(u32::MAX),
                    offset: 0,
                },
                request.deadline,
            )
            .await
            .map_err(|e| query_error(request, e))?
            .into_iter()
            .map(|f| f.entity)
            .collect()
    };
    let nodes = expanded(request, collection, &expand, &plan.computed, found).await?;

    let root = state.service_root(request.http);
    let mut body = Vec::with_capacity(256 + logged.len() * 512);
    body.push(b'{');
    if options.metadata != MetadataLevel::None {
        body.extend_from_slice(b"\"@odata.context\":");
        body.extend_from_slice(
            json!(format!("{root}/$metadata#{}/$delta", scope.path))
                .to_string()
                .as_bytes(),
        );
        body.push(b',');
    }
    body.extend_from_slice(b"\"value\":[");
    // A filtered-out entity was changed out of the defining query; with no filter it
    // can only have been deleted after the mark.
    let filtered = !plan.conditions.is_empty();
    let model = state.service.model();
    for (i, change) in logged.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let node = (!change.deleted)
            .then(|| {
                nodes
                    .iter()
                    .find(|n| n.entity.key(&collection.table) == change.key)
            })
            .flatten();
        if let Some(node) = node {
            write_member(
                &mut body, request, collection, node, &expand, &plan, options,
            )?;
            continue;
        }
        let reason = if change.deleted || !filtered {
            "deleted"
        } else {
            "changed"
        };
        let mut values = vec![odata_core::value::Value::Null; collection.table.columns.len()];
        for (&k, value) in collection.table.key.iter().zip(&change.key) {
            values[k] = value.clone();
        }
        let stub = StoredEntity {
            type_name: String::new(),
            version: 0,
            values,
        };
        let id = entity_url(request, collection, &stub);
        if request.version == ODataVersion::V4_0 {
            let mut removed = serde_json::Map::new();
            if options.metadata != MetadataLevel::None {
                removed.insert(
                    "@odata.context".into(),
                    json!(format!("{root}/$metadata#{}/$deletedEntity", scope.path)),
                );
            }
            removed.insert("id".into(), json!(id));
            removed.insert("reason".into(), json!(reason));
            body.extend_from_slice(serde_json::Value::Object(removed).to_string().as_bytes());
            continue;
        }
        body.extend_from_slice(b"{\"@odata.removed\":");
        body.extend_from_slice(json!({ "reason": reason }).to_string().as_bytes());
        body.extend_from_slice(b",\"@odata.id\":");
        body.extend_from_slice(json!(id).to_string().as_bytes());
        for (&k, value) in collection.table.key.iter().zip(&change.key) {
            let property = &collection.table.columns[k].property;
            body.push(b',');
            body.extend_from_slice(json!(property.name).to_string().as_bytes());
            body.push(b':');
            odata_core::json::write_value(&mut body, model, &property.type_ref, value, options);
        }
        body.push(b'}');
    }
    body.push(b']');
    let (name, next) = match logged.last() {
        Some(last) if more => (
            "@odata.nextLink",
            DeltaToken {
                epoch: now.epoch,
                after: (last.seq, Some(last.key_text.clone())),
                upto: Some(upto),
            },
        ),
        _ => (
            "@odata.deltaLink",
            DeltaToken::after(ChangeMark {
                epoch: now.epoch,
                seq: upto,
            }),
        ),
    };
    body.push(b',');
    body.extend_from_slice(json!(name).to_string().as_bytes());
    body.push(b':');
    body.extend_from_slice(
        json!(link(request, &scope.path, &next))
            .to_string()
            .as_bytes(),
    );
    body.push(b'}');
    Ok(HttpResponse::Ok()
        .content_type(crate::negotiation::json_content_type(options))
        .body(body))
}
