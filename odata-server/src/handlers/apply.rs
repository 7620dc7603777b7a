//! `GET collection?$apply=…`: aggregated results (OData Data Aggregation Extension).
//!
//! The rows are not entities: they carry no `@odata.id` or ETag, the context URL lists
//! the result's properties (`$metadata#items(category,total)`), and aggregated or
//! computed values are dynamic properties annotated with `@odata.type` where JSON cannot
//! tell their type. `$filter`, `$orderby`, `$skip`, `$top`, `$count` and `$select` apply
//! to the result. There is no server-driven paging: a result larger than the maximum
//! page size is a 400 asking for `top`/`skip`.

use actix_web::HttpResponse;
use odata_core::edm::{PrimitiveKind, TypeKind, TypeRef};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{MetadataLevel, WriteOptions, write_value};
use odata_core::value::Value;

use super::Request;
use super::output::json_options;
use super::read::Scope;
use crate::negotiation;
use crate::service::Collection;
use crate::sql::SqlParam;
use crate::sql::apply::{AfterApply, ApplySource, ResultColumn, decode_row};

fn bad(message: impl Into<String>) -> ODataError {
    ODataError::bad_request(message.into()).with_target("$apply")
}

/// `GET collection?$apply=…` within `scope`.
pub(super) async fn collection(
    request: &Request<'_>,
    collection: &Collection,
    scope: &Scope,
) -> Result<HttpResponse, ODataError> {
    let options = json_options(request)?;
    let state = request.state;
    let query = &request.options;
    let Some(apply) = &query.apply_tree else {
        return Err(crate::error::internal(&"$apply without its tree"));
    };
    if scope.references {
        return Err(bad("$apply cannot be combined with '/$ref'."));
    }
    let refused = [
        ("$expand", query.expand.is_some()),
        ("$search", query.search.is_some()),
        ("$compute", query.compute.is_some()),
    ];
    if let Some((name, _)) = refused.iter().find(|(_, given)| *given) {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!("The query option '{name}' is not supported together with '$apply'."),
        )
        .with_target(*name));
    }
    if query.skiptoken.is_some() {
        return Err(ODataError::bad_request(
            "'$skiptoken' does not apply to '$apply' results: they are not paged.",
        )
        .with_target("$skiptoken"));
    }
    let service = &state.service;
    let navigator = crate::plan::ReadsThrough::new(service);
    let source = ApplySource {
        model: service.model(),
        table: &collection.table,
        entity_type: collection.entity_type,
        navigator: &navigator,
        searchable: &collection.searchable,
        tenant: &request.tenant,
        scope: scope.condition.as_ref(),
        aliases: &query.aliases,
        now: &request.now,
        limits: query.limits,
    };
    let cap = u64::from(state.settings.max_page_size.max(1));
    let after = AfterApply {
        filter: query.filter.as_ref(),
        orderby: query.orderby.as_ref(),
        skip: query.skip,
        top: query.top,
        count: query.count == Some(true),
        limit: cap + 1,
    };
    let plan = crate::sql::apply::plan(state.store.backend(), &source, apply, &after)?;
    // Paths through navigation properties read other collections: the caller needs their
    // permission too.
    for index in navigator.reads() {
        crate::auth::authorize(
            &request.principal,
            &service.collections()[index],
            crate::auth::Access::Read,
        )?;
    }
    let selected = selection(request, &plan.columns)?;
    let _slot = super::read::admit(request).await?;
    let rows = state
        .store
        .rows(plan.rows, request.deadline)
        .await
        .map_err(|e| super::read::query_error(request, e))?;
    if rows.len() as u64 > cap {
        return Err(bad(format!(
            "The result of $apply has more than {cap} rows, the most this service returns at \
             once; narrow it with top()/skip() or $top/$skip."
        )));
    }
    let count = match plan.count {
        Some(statement) => {
            let rows = state
                .store
                .rows(statement, request.deadline)
                .await
                .map_err(|e| super::read::query_error(request, e))?;
            match rows.first().and_then(|r| r.first()) {
                Some(SqlParam::Integer(n)) => Some(*n),
                _ => return Err(crate::error::internal(&"a count without a number")),
            }
        }
        None => None,
    };

    let model = service.model();
    let mut body = Vec::with_capacity(256 + rows.len() * 128);
    body.push(b'{');
    if options.metadata != MetadataLevel::None {
        let context = format!(
            "{}/$metadata#{}{}",
            state.service_root(request.http),
            scope.context,
            if plan.entities && selected.is_none() {
                String::new()
            } else {
                format!("({})", context_list(&plan.columns, selected.as_deref()))
            }
        );
        body.extend_from_slice(b"\"@odata.context\":");
        body.extend_from_slice(serde_json::Value::from(context).to_string().as_bytes());
        body.push(b',');
    }
    if let Some(n) = count {
        body.extend_from_slice(b"\"@odata.count\":");
        body.extend_from_slice(super::output::count_json(n, options).as_bytes());
        body.push(b',');
    }
    // `$index=true`: positions count from `$skip` (the result is not paged).
    let indexed = query
        .index
        .is_some_and(odata_core::query::IndexOption::annotates);
    let start = query.skip.unwrap_or(0);
    body.extend_from_slice(b"\"value\":[");
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            body.push(b',');
        }
        let item_start = body.len();
        let values = decode_row(&plan.columns, row)?;
        let members: Vec<(&[String], &ResultColumn, &Value)> = plan
            .columns
            .iter()
            .zip(&values)
            .filter(|(c, _)| {
                selected
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|n| *n == c.path[0]))
            })
            .map(|(c, v)| (&c.path[..], c, v))
            .collect();
        write_object(&mut body, model, &members, options);
        if indexed {
            super::output::annotate_index(&mut body, item_start, start + r as u64);
        }
    }
    body.extend_from_slice(b"]}");
    Ok(HttpResponse::Ok()
        .content_type(negotiation::json_content_type(options))
        .body(body))
}

/// `$select` after `$apply`: top-level names of the result (`None`: all).
fn selection(
    request: &Request<'_>,
    columns: &[ResultColumn],
) -> Result<Option<Vec<String>>, ODataError> {
    let Some(select) = &request.options.select else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for item in &select.items {
        let text = item.to_string();
        if text == "*" {
            return Ok(None);
        }
        if !columns.iter().any(|c| c.path[0] == text) {
            return Err(ODataError::bad_request(format!(
                "$select: '{text}' is not a property of the $apply result (it has {}).",
                top_level(columns).join(", ")
            ))
            .with_target("$select"));
        }
        names.push(text);
    }
    Ok(Some(names))
}

fn top_level(columns: &[ResultColumn]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in columns {
        if !out.contains(&c.path[0]) {
            out.push(c.path[0].clone());
        }
    }
    out
}

/// `category,profile(displayName),total`.
fn context_list(columns: &[ResultColumn], selected: Option<&[String]>) -> String {
    let paths: Vec<&[String]> = columns
        .iter()
        .filter(|c| selected.is_none_or(|s| s.contains(&c.path[0])))
        .map(|c| &c.path[..])
        .collect();
    nested_list(&paths)
}

fn nested_list(paths: &[&[String]]) -> String {
    let mut heads: Vec<&String> = Vec::new();
    for p in paths {
        if let Some(h) = p.first()
            && !heads.contains(&h)
        {
            heads.push(h);
        }
    }
    heads
        .iter()
        .map(|h| {
            let inner: Vec<&[String]> = paths
                .iter()
                .filter(|p| p.first() == Some(*h) && p.len() > 1)
                .map(|p| &p[1..])
                .collect();
            if inner.is_empty() {
                (*h).clone()
            } else {
                format!("{h}({})", nested_list(&inner))
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Writes `{…}` for members at `path` depth, nesting paths through navigations.
fn write_object(
    out: &mut Vec<u8>,
    model: &odata_core::edm::Model,
    members: &[(&[String], &ResultColumn, &Value)],
    options: WriteOptions,
) {
    out.push(b'{');
    let mut first = true;
    let mut done: Vec<&String> = Vec::new();
    for (path, column, value) in members {
        let Some(head) = path.first() else { continue };
        if done.contains(&head) {
            continue;
        }
        done.push(head);
        if !first {
            out.push(b',');
        }
        first = false;
        if path.len() > 1 {
            let inner: Vec<(&[String], &ResultColumn, &Value)> = members
                .iter()
                .filter(|(p, _, _)| p.first() == Some(head) && p.len() > 1)
                .map(|(p, c, v)| (&p[1..], *c, *v))
                .collect();
            out.extend_from_slice(
                serde_json::Value::from(head.as_str())
                    .to_string()
                    .as_bytes(),
            );
            out.push(b':');
            write_object(out, model, &inner, options);
            continue;
        }
        if column.dynamic
            && options.metadata != MetadataLevel::None
            && let Some(name) = annotation(&column.type_ref)
        {
            out.extend_from_slice(
                serde_json::Value::from(format!("{head}@odata.type"))
                    .to_string()
                    .as_bytes(),
            );
            out.push(b':');
            out.extend_from_slice(serde_json::Value::from(name).to_string().as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(
            serde_json::Value::from(head.as_str())
                .to_string()
                .as_bytes(),
        );
        out.push(b':');
        write_value(out, model, &column.type_ref, value, options);
    }
    out.push(b'}');
}

/// The `@odata.type` of a dynamic value JSON cannot tell (not a string, Boolean or
/// Double).
fn annotation(type_ref: &TypeRef) -> Option<String> {
    match type_ref.kind {
        TypeKind::Primitive(
            PrimitiveKind::String | PrimitiveKind::Boolean | PrimitiveKind::Double,
        ) => None,
        TypeKind::Primitive(p) => Some(format!("#{}", p.name().trim_start_matches("Edm."))),
        _ => None,
    }
}
