//! `GET collection?$apply=…`: aggregated results (OData Data Aggregation Extension).
//!
//! The rows are not entities: they carry no `@odata.id` or ETag, the context URL lists
//! the result's properties (`$metadata#items(category,total)`), and aggregated or
//! computed values are dynamic properties annotated with `@odata.type` where JSON cannot
//! tell their type. A joined entity (`join(orders as o)`) is an object under its alias,
//! `null` when an `outerjoin` found none; a nested collection (`nest(… as n)`) an array of
//! objects. `$filter`, `$orderby`, `$skip`, `$top`, `$count` and `$select` apply to the
//! result. There is no server-driven paging: a result (or nested collection) larger than
//! the maximum page size is a 400 asking for `top`/`skip`.

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
use crate::sql::apply::{AfterApply, ApplySource, ColumnRole, ResultColumn, decode_cell};

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
        let values = decode_cells(&plan.columns, &mut row.iter().cloned(), false, cap)?;
        let members: Vec<(&[String], &ResultColumn, &Cell)> = plan
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

/// `category,profile(displayName),total`; a nested collection lists its instances'
/// properties (`items(color,n)`).
fn context_list(columns: &[ResultColumn], selected: Option<&[String]>) -> String {
    let mut paths: Vec<Vec<String>> = Vec::new();
    for c in columns
        .iter()
        .filter(|c| selected.is_none_or(|s| s.contains(&c.path[0])))
    {
        context_paths(c, &[], &mut paths);
    }
    let paths: Vec<&[String]> = paths.iter().map(Vec::as_slice).collect();
    nested_list(&paths)
}

/// The paths `column` adds to a context URL's select list, below `prefix`.
fn context_paths(column: &ResultColumn, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    path.extend(column.path.iter().cloned());
    match &column.role {
        // The object's members list it.
        ColumnRole::Presence => {}
        ColumnRole::Value => out.push(path),
        ColumnRole::Nested(inner) if inner.is_empty() => out.push(path),
        ColumnRole::Nested(inner) => {
            for c in inner {
                context_paths(c, &path, out);
            }
        }
    }
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

/// A decoded result cell.
enum Cell {
    /// A value.
    Value(Value),
    /// Whether the object at the column's path exists ([`ColumnRole::Presence`]).
    Present(bool),
    /// A nested collection: per instance its cells, in order.
    Rows(Vec<Vec<Cell>>),
}

/// Writes `{…}` for members at `path` depth, nesting paths through navigations and into
/// joined entities (`null` when absent) and nested collections.
fn write_object(
    out: &mut Vec<u8>,
    model: &odata_core::edm::Model,
    members: &[(&[String], &ResultColumn, &Cell)],
    options: WriteOptions,
) {
    out.push(b'{');
    let mut first = true;
    let mut done: Vec<&String> = Vec::new();
    for (path, column, cell) in members {
        let Some(head) = path.first() else { continue };
        if done.contains(&head) {
            continue;
        }
        done.push(head);
        let inner: Vec<(&[String], &ResultColumn, &Cell)> = members
            .iter()
            .filter(|(p, _, _)| p.first() == Some(head) && p.len() > 1)
            .map(|(p, c, v)| (&p[1..], *c, *v))
            .collect();
        let presence = members.iter().find_map(|(p, c, v)| {
            (p.len() == 1 && p[0] == *head && c.role == ColumnRole::Presence).then_some(*v)
        });
        if inner.is_empty() && presence.is_some() {
            // An object without readable members: nothing to write.
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        if !inner.is_empty() {
            write_name(out, head);
            if matches!(presence, Some(Cell::Present(false))) {
                out.extend_from_slice(b"null");
            } else {
                write_object(out, model, &inner, options);
            }
            continue;
        }
        match (cell, &column.role) {
            (Cell::Rows(rows), ColumnRole::Nested(columns)) => {
                write_name(out, head);
                out.push(b'[');
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let members: Vec<(&[String], &ResultColumn, &Cell)> = columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| (&c.path[..], c, v))
                        .collect();
                    write_object(out, model, &members, options);
                }
                out.push(b']');
            }
            (Cell::Value(value), _) => {
                if column.dynamic
                    && options.metadata != MetadataLevel::None
                    && let Some(name) = annotation(&column.type_ref)
                {
                    write_name(out, &format!("{head}@odata.type"));
                    out.extend_from_slice(serde_json::Value::from(name).to_string().as_bytes());
                    out.push(b',');
                }
                write_name(out, head);
                write_value(out, model, &column.type_ref, value, options);
            }
            // Not produced: a presence cell has members, rows a nested column.
            _ => {
                write_name(out, head);
                out.extend_from_slice(b"null");
            }
        }
    }
    out.push(b'}');
}

/// `"name":`.
fn write_name(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(serde_json::Value::from(name).to_string().as_bytes());
    out.push(b':');
}

/// The cells of one row laid out as `columns` (a DateTimeOffset as two cells, see
/// [`ColumnRole`]); `in_json`: the cells come from a nested collection's JSON, where
/// binary values are hexadecimal text. A nested collection of more than `cap` instances
/// is refused.
fn decode_cells(
    columns: &[ResultColumn],
    cells: &mut dyn Iterator<Item = SqlParam>,
    in_json: bool,
    cap: u64,
) -> Result<Vec<Cell>, ODataError> {
    let mut out = Vec::with_capacity(columns.len());
    for column in columns {
        let first = cells.next().unwrap_or(SqlParam::Null);
        out.push(match &column.role {
            ColumnRole::Presence => Cell::Present(first != SqlParam::Null),
            ColumnRole::Nested(inner) => Cell::Rows(decode_nested(column, inner, first, cap)?),
            ColumnRole::Value => {
                let ticks = if !column.type_ref.collection
                    && column.type_ref.primitive() == Some(PrimitiveKind::DateTimeOffset)
                {
                    cells.next()
                } else {
                    None
                };
                let first = match first {
                    SqlParam::Text(hex)
                        if in_json
                            && !column.type_ref.collection
                            && column.type_ref.primitive() == Some(PrimitiveKind::Binary) =>
                    {
                        SqlParam::Blob(from_hex(&hex).ok_or_else(|| corrupt(column))?)
                    }
                    other => other,
                };
                Cell::Value(decode_cell(column, first, ticks)?)
            }
        });
    }
    Ok(out)
}

/// The instances of a nested collection cell (see [`ColumnRole::Nested`]), in order.
fn decode_nested(
    column: &ResultColumn,
    columns: &[ResultColumn],
    cell: SqlParam,
    cap: u64,
) -> Result<Vec<Vec<Cell>>, ODataError> {
    let elements = match json_of(cell).ok_or_else(|| corrupt(column))? {
        serde_json::Value::Null => return Ok(Vec::new()),
        serde_json::Value::Array(elements) => elements,
        _ => return Err(corrupt(column)),
    };
    if elements.len() as u64 > cap {
        return Err(bad(format!(
            "The collection '{}' of the $apply result has more than {cap} members, the most \
             this service returns at once; narrow it with top()/skip() inside nest().",
            column.path.join("/")
        )));
    }
    let mut rows = Vec::with_capacity(elements.len());
    for element in elements {
        let serde_json::Value::Array(parts) = element else {
            return Err(corrupt(column));
        };
        let mut parts = parts.into_iter();
        let position = parts.next().and_then(|p| p.as_f64()).unwrap_or(0.0);
        let mut flat = Vec::new();
        for chunk in parts {
            match json_of(json_param(chunk)).ok_or_else(|| corrupt(column))? {
                serde_json::Value::Array(items) => flat.extend(items.into_iter().map(json_param)),
                _ => return Err(corrupt(column)),
            }
        }
        rows.push((
            position,
            decode_cells(columns, &mut flat.into_iter(), true, cap)?,
        ));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(rows.into_iter().map(|(_, cells)| cells).collect())
}

/// A JSON cell (text, or null) as JSON.
fn json_of(cell: SqlParam) -> Option<serde_json::Value> {
    match cell {
        SqlParam::Null => Some(serde_json::Value::Null),
        SqlParam::Text(text) => serde_json::from_str(&text).ok(),
        _ => None,
    }
}

/// A value inside a nested collection's JSON as the cell the database would have given.
fn json_param(value: serde_json::Value) -> SqlParam {
    match value {
        serde_json::Value::Null => SqlParam::Null,
        serde_json::Value::Bool(b) => SqlParam::Integer(i64::from(b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => SqlParam::Integer(i),
            None => SqlParam::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => SqlParam::Text(s),
        other => SqlParam::Text(other.to_string()),
    }
}

/// The bytes of hexadecimal text (either case).
fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The error for a cell the statement cannot have produced.
fn corrupt(column: &ResultColumn) -> ODataError {
    crate::error::internal(&format!(
        "unexpected value in $apply result column '{}'",
        column.path.join("/")
    ))
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
