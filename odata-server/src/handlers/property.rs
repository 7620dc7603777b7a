//! Reading one property of an entity: `…/{key}/{property}[/{member}…][/$value]`.
//!
//! The entity is read by key exactly as `GET …/{key}` reads it (same tenant, same
//! preconditions, same `ETag`), then the addressed value is written as it appears in the
//! entity's representation. Single properties are not written through their own URL
//! (PUT, PATCH and DELETE answer 405); clients update them by patching the entity.

use std::borrow::Cow;

use actix_web::HttpResponse;
use odata_core::edm::{EntityTypeId, Model, PrimitiveKind, Property, TypeKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{MetadataLevel, WriteOptions, write_value};
use odata_core::value::Value;
use serde_json::Value as Json;

use super::Request;
use super::output::{entity_path, etag, json_options};
use super::read::{not_found, read_preconditions};
use crate::error::internal;
use crate::negotiation;
use crate::routing::PropertyPath;
use crate::service::Collection;

/// `GET …/{key}/{property}…`: the value with its context URL, the raw value for `$value`,
/// or 204 when it is null.
pub(super) async fn get(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
    path: &PropertyPath<'_>,
    cast: Option<EntityTypeId>,
) -> Result<HttpResponse, ODataError> {
    if let Some(hidden) = path.segments().find(|p| p.is_write_only()) {
        return Err(ODataError::bad_request(format!(
            "'{}' is write-only and cannot be read.",
            hidden.name
        ))
        .with_target(path.display()));
    }
    crate::query::collection_only(&request.options)?;
    for (name, given) in [
        ("$select", request.options.select.is_some()),
        ("$compute", request.options.compute.is_some()),
    ] {
        if given {
            return Err(ODataError::bad_request(format!(
                "The query option '{name}' applies to entities and collections only."
            ))
            .with_target(name));
        }
    }
    // Negotiated before the read so that an unacceptable format costs no database work.
    let options = if path.raw_value {
        None
    } else {
        Some(json_options(request)?)
    };
    let entity = request
        .state
        .store
        .get(&collection.table, &request.tenant, key)
        .await?
        // After a type-cast segment, only an entity of that type has the property.
        .filter(|entity| {
            cast.is_none_or(|cast| {
                collection
                    .table
                    .table_type(&entity.type_name)
                    .is_some_and(|t| {
                        request
                            .state
                            .service
                            .model()
                            .entity_derives_from(t.id, cast)
                    })
            })
        })
        .ok_or_else(|| not_found(collection, key))?;
    if let Some(not_modified) = read_preconditions(request, &entity)? {
        return Ok(not_modified);
    }
    let etag = etag(&entity);
    let stored = collection
        .table
        .column_index(&path.property.name)
        .and_then(|c| entity.values.get(c))
        .ok_or_else(|| {
            internal(&format!(
                "no column for the property '{}'",
                path.property.name
            ))
        })?;
    let property = path.addressed();
    let value = addressed_value(stored, &path.members);
    // A collection is never null: an absent one is empty.
    let value = match value {
        Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) if property.type_ref.collection => {
            Cow::Owned(Value::Json(Json::Array(Vec::new())))
        }
        other => other,
    };
    if value.is_null() {
        return Ok(HttpResponse::NoContent()
            .insert_header(("ETag", etag))
            .finish());
    }
    let model = request.state.service.model();
    let Some(options) = options else {
        if property.type_ref.primitive() == Some(PrimitiveKind::Binary) {
            return raw_binary(request, property, &value, etag);
        }
        return Ok(HttpResponse::Ok()
            .insert_header(("ETag", etag))
            .content_type("text/plain;charset=utf-8")
            .body(raw_text(model, property, &value)));
    };
    let context = (options.metadata != MetadataLevel::None).then(|| {
        format!(
            "{}/$metadata#{}/{}",
            request.state.service_root(request.http),
            entity_path(collection, key),
            path.display()
        )
    });
    let mut body = Vec::with_capacity(256);
    match (&property.type_ref.kind, value.as_ref()) {
        (TypeKind::Complex(_), Value::Json(Json::Object(members)))
            if !property.type_ref.collection =>
        {
            write_complex(&mut body, model, property, members, context.as_deref());
        }
        (TypeKind::Complex(_), _) if !property.type_ref.collection => {
            return Err(internal(&format!(
                "the complex property '{}' is not stored as an object",
                path.display()
            )));
        }
        (_, value) => {
            body.push(b'{');
            if let Some(context) = &context {
                push_str(&mut body, "@odata.context");
                body.push(b':');
                push_str(&mut body, context);
                body.push(b',');
            }
            push_str(&mut body, "value");
            body.push(b':');
            write_value(&mut body, model, &property.type_ref, value, options);
            body.push(b'}');
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag))
        .content_type(negotiation::json_content_type(options))
        .body(body))
}

/// The raw value of a Binary property: its bytes, as the media type its `Core.MediaType`
/// annotation names (`application/octet-stream` without one). An `Accept` that admits
/// neither is a 406.
fn raw_binary(
    request: &Request<'_>,
    property: &Property,
    value: &Value,
    etag: String,
) -> Result<HttpResponse, ODataError> {
    let media_type = property
        .media_type()
        .unwrap_or(super::output::DEFAULT_MEDIA_TYPE);
    if !negotiation::accepts(request.http, media_type) {
        return Err(ODataError::new(
            ErrorKind::NotAcceptable,
            format!(
                "'{}' is '{media_type}', which the request's Accept does not admit.",
                property.name
            ),
        ));
    }
    let Value::Binary(bytes) = value else {
        return Err(internal(&format!(
            "'{}' is not stored as bytes",
            property.name
        )));
    };
    let bytes = bytes.clone();
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag))
        .content_type(media_type)
        .body(bytes))
}

/// The value at the end of `members` inside a stored complex value; absent members are
/// null.
fn addressed_value<'v>(stored: &'v Value, members: &[&Property]) -> Cow<'v, Value> {
    if members.is_empty() {
        return Cow::Borrowed(stored);
    }
    let mut current = match stored {
        Value::Json(json) => Some(json),
        _ => None,
    };
    for member in members {
        current = current.and_then(|json| json.get(&member.name));
    }
    match current {
        None | Some(Json::Null) => Cow::Owned(Value::Null),
        Some(json) => Cow::Owned(Value::Json(json.clone())),
    }
}

/// A complex value as a top-level object: the context URL, then its members as stored
/// (write-only members, as in entities, as `null`).
fn write_complex(
    out: &mut Vec<u8>,
    model: &Model,
    property: &Property,
    members: &serde_json::Map<String, Json>,
    context: Option<&str>,
) {
    let declared = match property.type_ref.kind {
        TypeKind::Complex(id) => Some(id),
        _ => None,
    };
    // A value of a derived type names it in `@odata.type`; its members are that type's.
    let actual = members
        .get("@odata.type")
        .and_then(Json::as_str)
        .and_then(|name| model.find_complex_type(name.trim_start_matches('#')))
        .or(declared);
    out.push(b'{');
    let mut first = true;
    let mut member = |out: &mut Vec<u8>, name: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        push_str(out, name);
        out.push(b':');
    };
    if let Some(context) = context {
        member(out, "@odata.context");
        push_str(out, context);
    }
    for (name, value) in members {
        member(out, name);
        let write_only = actual
            .and_then(|id| model.complex_type(id).property(name))
            .is_some_and(Property::is_write_only);
        if write_only {
            out.extend_from_slice(b"null");
        } else {
            // Writing JSON into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, value);
        }
    }
    out.push(b'}');
}

/// The raw value of a primitive or enum for `$value`: the text the JSON representation
/// holds, without JSON quoting (an enum's member name, a DateTimeOffset as stored).
fn raw_text(model: &Model, property: &Property, value: &Value) -> String {
    match value {
        Value::Json(Json::String(s)) => s.clone(),
        Value::Json(other) => other.to_string(),
        other => {
            let mut out = Vec::new();
            write_value(
                &mut out,
                model,
                &property.type_ref,
                other,
                WriteOptions::default(),
            );
            serde_json::from_slice::<String>(&out)
                .unwrap_or_else(|_| String::from_utf8_lossy(&out).into_owned())
        }
    }
}

/// A JSON string literal.
fn push_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}
