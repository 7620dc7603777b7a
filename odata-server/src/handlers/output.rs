//! Writing entities and collections of the current request into response bodies.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use odata_core::bind::SelectedProperty;

use crate::compute::Computed;
use crate::plan::{CollectionPlan, Shape};
use odata_core::edm::Model;
use odata_core::error::ODataError;
use odata_core::json::{self, EntityControl, MetadataLevel, WriteOptions, write_entity};
use serde_json::{Map, Value as Json};

use super::Request;
use crate::error::internal;
use crate::expand::{ExpandItem, Expansion, Node};
use crate::negotiation::{self, Representation};
use crate::prefer;
use crate::routing::key_predicate;
use crate::service::Collection;
use crate::store::StoredEntity;
use crate::store::table::{Table, TableType};

/// The JSON options for a data response (406 for anything but JSON), with
/// `omit-values=nulls` when the request prefers it and the response may honour it.
///
/// A request body sent with `IEEE754Compatible=true` in its `Content-Type` asks for the
/// same in the response (Int64 and Decimal as strings), as the `Accept` parameter does.
pub(super) fn json_options(request: &Request<'_>) -> Result<WriteOptions, ODataError> {
    match negotiation::negotiate(request.http, request.options.format.as_deref(), false)? {
        Representation::Json(options) => Ok(WriteOptions {
            omit_nulls: request.omit_nulls(),
            ieee754_compatible: options.ieee754_compatible
                || negotiation::content_type_ieee754(request.http),
            ..options
        }),
        Representation::Xml => Err(internal(&"XML negotiated for a data response")),
    }
}

/// `W/"<version>"`.
pub(super) fn etag(entity: &StoredEntity) -> String {
    let mut etag = String::new();
    write_etag(&mut etag, entity.version);
    etag
}

/// Replaces `etag`'s text with `W/"<version>"`.
pub(super) fn write_etag(etag: &mut String, version: i64) {
    etag.clear();
    etag.push_str("W/\"");
    etag.push_str(itoa::Buffer::new().format(version));
    etag.push('"');
}

/// Canonical absolute URL of an entity: `{root}/{collection}('{key}')`, percent-encoded
/// (through its parent entity for a contained collection).
pub(super) fn entity_url(
    request: &Request<'_>,
    collection: &Collection,
    entity: &StoredEntity,
) -> String {
    format!(
        "{}/{}{}",
        request.state.service_root(request.http),
        collection_path(request, collection, entity),
        key_segment(collection, &entity.key(&collection.table))
    )
}

/// `{collection}('{key}')` below the service root, the key predicate percent-encoded, for
/// an entity of a collection that is not contained in another entity.
pub(super) fn entity_path(collection: &Collection, key: &[odata_core::value::Value]) -> String {
    format!("{}{}", collection.path, key_segment(collection, key))
}

/// The percent-encoded key predicate `('{key}')`; none for a stored singleton.
fn key_segment(collection: &Collection, key: &[odata_core::value::Value]) -> String {
    if collection.singleton {
        return String::new();
    }
    percent_encoding::utf8_percent_encode(&key_predicate(collection, key), SEGMENT).to_string()
}

/// The path below the service root of the collection `entity` is in: the collection's
/// own, or for a contained collection `{parent}('{parent key}')/{navigation}`.
pub(super) fn collection_path(
    request: &Request<'_>,
    collection: &Collection,
    entity: &StoredEntity,
) -> String {
    match &collection.containment {
        None => collection.path.clone(),
        Some(containment) => {
            let parent = &request.state.service.collections()[containment.parent];
            let parent_key = [entity.values[containment.column].clone()];
            format!(
                "{}/{}",
                entity_path(parent, &parent_key),
                containment.navigation
            )
        }
    }
}

/// Characters escaped in a path segment (RFC 3986 pchar, keeping OData's `'(),=`).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Appends one entity: its declared properties, then its `computed` ones as dynamic
/// properties (those `selected` names; all of them without `$select`, as 4.01 has
/// computed properties in the default selection and in `*`). `context` is written for
/// top-level entities only.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_one(
    out: &mut Vec<u8>,
    request: &Request<'_>,
    collection: &Collection,
    node: &Node,
    context: Option<&str>,
    selected: Option<&[String]>,
    computed: &Computed,
    nested: &[SelectedProperty],
    options: WriteOptions,
) -> Result<(), ODataError> {
    let entity = &node.entity;
    let model = request.state.service.model();
    let table_type = stored_type(&collection.table, entity)?;
    let shaped = shape_selected(model, collection, table_type, entity, nested)?;
    let counts: Vec<(&str, u64)> = shaped
        .iter()
        .filter_map(|(name, _, count)| count.map(|n| (name.as_str(), n)))
        .collect();
    let ty = model.entity_type(table_type.id);
    let etag = etag(entity);
    let written = request.state.service.control_information();
    // Skip building the URL for every row unless it is written.
    let id = (options.metadata == MetadataLevel::Full || written.id_of_every_entity)
        .then(|| entity_url(request, collection, entity));
    // A media entity's stream is read and replaced at `{entity}/$value`.
    let media = media_stream(collection, ty, entity);
    let media_link = media
        .is_some()
        .then(|| format!("{}/$value", entity_url(request, collection, entity)));
    let control = EntityControl {
        context,
        id: id.as_deref(),
        etag: Some(&etag),
        media: media
            .zip(media_link.as_deref())
            .map(|(content_type, link)| json::MediaControl {
                read_link: link,
                edit_link: link,
                content_type,
            }),
        omit_type: !written.type_of_every_entity && table_type.id == collection.entity_type,
        property_counts: &counts,
    };
    let pairs = ty
        .properties()
        .zip(&table_type.columns)
        .filter(|(p, _)| selected.is_none_or(|names| names.contains(&p.name)))
        .map(|(p, &c)| {
            let value = shaped
                .iter()
                .find(|(name, _, _)| *name == p.name)
                .map_or(&entity.values[c], |(_, v, _)| v);
            (p, value)
        });
    write_entity(out, model, table_type.id, pairs, &control, options);
    if !computed.is_empty() {
        let values = crate::compute::values(
            model,
            &collection.table,
            table_type,
            node,
            computed,
            selected,
        )?;
        json::write_dynamic_properties(
            out,
            model,
            values
                .iter()
                .map(|(name, kind, value)| (*name, *kind, value)),
            options,
        );
    }
    Ok(())
}

/// The values of the selected properties with nested options (`$select=tags($top=2)`) of
/// `entity`, with their counts when asked for: name, shaped value, count.
fn shape_selected(
    model: &odata_core::edm::Model,
    collection: &Collection,
    table_type: &crate::store::table::TableType,
    entity: &StoredEntity,
    nested: &[SelectedProperty],
) -> Result<Vec<(String, odata_core::value::Value, Option<u64>)>, ODataError> {
    use odata_core::value::Value;
    let row = crate::compute::Row {
        table: &collection.table,
        table_type,
        entity,
    };
    let mut out = Vec::with_capacity(nested.len());
    for selected in nested {
        let Some(stored) = odata_core::eval::EntityValues::property(&row, &selected.name) else {
            // A property of another type in the hierarchy: nothing to shape.
            continue;
        };
        let json = match stored {
            Value::Json(j) => j.clone(),
            Value::Null => serde_json::Value::Null,
            _ => {
                return Err(crate::error::internal(
                    &"a shaped property that is not JSON",
                ));
            }
        };
        let shaped = odata_core::eval::shape_value(model, &selected.options, &json, &row)
            .map_err(|e| e.with_target("$select"))?;
        out.push((
            selected.name.clone(),
            Value::Json(shaped.value),
            shaped.count,
        ));
    }
    Ok(out)
}

/// The media type of a media entity's stream (`application/octet-stream` until one is
/// uploaded); `None` for an entity of another type.
pub(super) fn media_stream<'e>(
    collection: &Collection,
    ty: &odata_core::edm::EntityType,
    entity: &'e StoredEntity,
) -> Option<&'e str> {
    if !ty.has_stream {
        return None;
    }
    let stream = collection.table.stream(None)?;
    Some(match entity.values.get(stream.media_type) {
        Some(odata_core::value::Value::String(media_type)) => media_type.as_str(),
        _ => DEFAULT_MEDIA_TYPE,
    })
}

/// The media type of a stream stored without one, or never written.
pub(super) const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";

/// Puts `"@odata.index":index` first into the JSON object that starts at `out[start]`
/// (`$index=true`: the item's zero-based position in the whole result).
pub(super) fn annotate_index(out: &mut Vec<u8>, start: usize, index: u64) {
    if out.get(start) != Some(&b'{') {
        return;
    }
    let empty = out.get(start + 1) == Some(&b'}');
    let member = format!("\"@odata.index\":{index}{}", if empty { "" } else { "," });
    out.splice(start + 1..start + 1, member.bytes());
}

/// [`write_one`] followed by the entity's navigation members: the expanded navigation
/// properties (`items` in order, as [`crate::expand::run`] produced them in `node`) and, in
/// full metadata, `{nav}@odata.navigationLink` for the navigation properties the service
/// binds to storage — right before the navigation's value when it is expanded, after the
/// properties otherwise. Under `$select` only expanded navigations are linked: a select list
/// names everything the client wants, and navigation properties cannot be selected.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_node(
    out: &mut Vec<u8>,
    request: &Request<'_>,
    collection: &Collection,
    node: &Node,
    items: &[ExpandItem<'_>],
    context: Option<&str>,
    selected: Option<&[String]>,
    computed: &Computed,
    nested: &[SelectedProperty],
    options: WriteOptions,
) -> Result<(), ODataError> {
    write_one(
        out, request, collection, node, context, selected, computed, nested, options,
    )?;
    let links = options.metadata == MetadataLevel::Full && !collection.navigations.is_empty();
    if items.is_empty() && !links {
        return Ok(());
    }
    // Reopen the object: drop its closing brace, append the members, close it again.
    if out.last() == Some(&b'}') {
        out.pop();
    }
    let member = |out: &mut Vec<u8>, name: &str| {
        if !matches!(out.last(), Some(b'{') | None) {
            out.push(b',');
        }
        out.extend_from_slice(serde_json::Value::from(name).to_string().as_bytes());
        out.push(b':');
    };
    // The entity's URL, which every navigation link extends.
    let url = links.then(|| entity_url(request, collection, &node.entity));
    let navigation_link = |out: &mut Vec<u8>, name: &str| {
        if let Some(url) = &url {
            member(out, &format!("{name}@odata.navigationLink"));
            let link = format!("{url}/{name}");
            out.extend_from_slice(serde_json::Value::from(link).to_string().as_bytes());
        }
    };
    if selected.is_none() {
        for navigation in &collection.navigations {
            if !items.iter().any(|i| i.navigation.name == navigation.name) {
                navigation_link(out, &navigation.name);
            }
        }
    }
    for (item, expansion) in items.iter().zip(&node.expansions) {
        let name = &item.navigation.name;
        navigation_link(out, name);
        match expansion {
            Expansion::Single(None) => {
                member(out, name);
                out.extend_from_slice(b"null");
            }
            Expansion::Single(Some(related)) => {
                member(out, name);
                write_expanded(out, request, item, related, options)?;
            }
            Expansion::Count(n) => {
                member(out, &format!("{name}@odata.count"));
                out.extend_from_slice(count_json(*n, options).as_bytes());
            }
            Expansion::Many {
                members,
                count,
                next_skip,
            } => {
                if let Some(n) = count {
                    member(out, &format!("{name}@odata.count"));
                    out.extend_from_slice(count_json(*n, options).as_bytes());
                }
                member(out, name);
                out.push(b'[');
                for (i, related) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_expanded(out, request, item, related, options)?;
                }
                out.push(b']');
                if let Some(skip) = next_skip {
                    member(out, &format!("{name}@odata.nextLink"));
                    let link = expanded_next_link(request, collection, node, item, *skip);
                    out.extend_from_slice(serde_json::Value::from(link).to_string().as_bytes());
                }
            }
        }
    }
    out.push(b'}');
    Ok(())
}

/// One related entity of an expansion: the entity with its own expansions, or for
/// `nav/$ref` its reference.
fn write_expanded(
    out: &mut Vec<u8>,
    request: &Request<'_>,
    item: &ExpandItem<'_>,
    related: &Node,
    options: WriteOptions,
) -> Result<(), ODataError> {
    if item.references_only {
        let id = entity_url(request, item.target, &related.entity);
        out.extend_from_slice(b"{\"@odata.id\":");
        out.extend_from_slice(serde_json::Value::from(id).to_string().as_bytes());
        out.push(b'}');
        return Ok(());
    }
    write_member(
        out,
        request,
        item.target,
        related,
        &item.nested,
        &item.plan,
        options,
    )
}

/// [`write_node`] of a member of a collection (no context of its own), shaped by the
/// collection request's `plan` (`$select`, `$compute`, nested select options).
pub(super) fn write_member(
    out: &mut Vec<u8>,
    request: &Request<'_>,
    collection: &Collection,
    node: &Node,
    items: &[ExpandItem<'_>],
    plan: &CollectionPlan,
    options: WriteOptions,
) -> Result<(), ODataError> {
    write_node(
        out,
        request,
        collection,
        node,
        items,
        None,
        plan.selected.as_deref(),
        &plan.computed,
        &plan.select_options,
        options,
    )
}

/// `@odata.count`: a number, or a string under `IEEE754Compatible=true`.
pub(super) fn count_json(n: i64, options: WriteOptions) -> String {
    if options.ieee754_compatible {
        serde_json::Value::from(n.to_string()).to_string()
    } else {
        n.to_string()
    }
}

/// The navigation's own URL, with the expansion's nested options and the `$skip` of the
/// members not inlined.
fn expanded_next_link(
    request: &Request<'_>,
    collection: &Collection,
    node: &Node,
    item: &ExpandItem<'_>,
    skip: u64,
) -> String {
    let mut options = item.options.clone();
    let inlined = skip.saturating_sub(options.skip.unwrap_or(0));
    options.skip = Some(skip);
    options.top = options.top.map(|top| top.saturating_sub(inlined));
    let query = percent_encoding::utf8_percent_encode(&options.to_string(), QUERY).to_string();
    format!(
        "{}/{}{}/{}?{query}",
        request.state.service_root(request.http),
        collection_path(request, collection, &node.entity),
        key_segment(collection, &node.entity.key(&collection.table)),
        item.navigation.name
    )
}

/// Characters encoded in a query string built from parsed options.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'+');

/// A single-entity response with `ETag`; `selected` limits the properties written.
pub(super) fn entity_response(
    request: &Request<'_>,
    collection: &Collection,
    entity: &StoredEntity,
    status: StatusCode,
    selected: Option<&[String]>,
) -> Result<HttpResponse, ODataError> {
    let node = Node {
        entity: entity.clone(),
        expansions: Vec::new(),
        computed: Vec::new(),
    };
    let shape = Shape {
        selected: selected.map(<[String]>::to_vec),
        ..Shape::default()
    };
    expanded_entity_response(request, collection, &node, &[], status, &shape)
}

/// [`entity_response`] of an entity with its expanded navigation properties, written in
/// `shape` (`$select`, `$compute`, nested select options).
pub(super) fn expanded_entity_response(
    request: &Request<'_>,
    collection: &Collection,
    node: &Node,
    items: &[ExpandItem<'_>],
    status: StatusCode,
    shape: &Shape,
) -> Result<HttpResponse, ODataError> {
    let selected = shape.selected.as_deref();
    let options = json_options(request)?;
    let root = request.state.service_root(request.http);
    // A singleton's context names it; an entity's names its collection.
    let context = format!(
        "{root}/$metadata#{}{}{}",
        collection_path(request, collection, &node.entity),
        select_list(selected, items),
        if collection.singleton { "" } else { "/$entity" }
    );
    let mut body = Vec::with_capacity(2048);
    write_node(
        &mut body,
        request,
        collection,
        node,
        items,
        Some(&context),
        selected,
        &shape.computed,
        &shape.select_options,
        options,
    )?;
    let mut response = HttpResponse::build(status)
        .insert_header(("ETag", etag(&node.entity)))
        .content_type(negotiation::json_content_type(options))
        .body(body);
    if options.omit_nulls {
        prefer::applied(response.headers_mut(), request.prefer.omit_nulls_applied());
    }
    Ok(response)
}

/// The context URL's select list: `(a,b,nav())` for `$select=a,b&$expand=nav`, empty
/// without `$select` (every property, and expanded navigations need no mention then).
pub(super) fn select_list(selected: Option<&[String]>, items: &[ExpandItem<'_>]) -> String {
    match selected {
        None => String::new(),
        Some(names) => {
            let mut list: Vec<String> = names.to_vec();
            list.extend(items.iter().map(|i| {
                format!(
                    "{}({})",
                    i.navigation.name,
                    select_list(i.plan.selected.as_deref(), &i.nested)
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                )
            }));
            format!("({})", list.join(","))
        }
    }
}

/// The stored entity's type as the table maps it.
pub(super) fn stored_type<'t>(
    table: &'t Table,
    entity: &StoredEntity,
) -> Result<&'t TableType, ODataError> {
    table.table_type(&entity.type_name).ok_or_else(|| {
        internal(&format!(
            "stored type '{}' is not in the table",
            entity.type_name
        ))
    })
}

/// The entity's properties in OData JSON (write-only ones left out), as an operation's
/// effect or computation sees them.
pub(super) fn entity_json(
    model: &Model,
    table: &Table,
    table_type: &TableType,
    entity: &StoredEntity,
) -> Map<String, Json> {
    let mut out = Map::new();
    for &c in &table_type.columns {
        let property = &table.columns[c].property;
        if property.is_write_only() {
            continue;
        }
        let mut text = Vec::new();
        json::write_value(
            &mut text,
            model,
            &property.type_ref,
            &entity.values[c],
            WriteOptions::default(),
        );
        if let Ok(value) = serde_json::from_slice(&text) {
            out.insert(property.name.clone(), value);
        }
    }
    out
}
