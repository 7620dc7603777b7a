//! Resource paths: from the URL path below the service root to what it addresses.

use odata_core::edm::{Action, PrimitiveKind, TypeKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::value::Value;
use percent_encoding::percent_decode_str;

use crate::service::{Collection, Service};

/// What a request URL addresses.
#[derive(Debug)]
pub enum Target<'s> {
    /// The service document (the service root).
    ServiceDocument,
    /// `$metadata`.
    Metadata,
    /// A collection.
    Collection(&'s Collection),
    /// `collection/$count`.
    Count(&'s Collection),
    /// `collection/$ref`.
    CollectionRef(&'s Collection),
    /// One entity by key.
    Entity(&'s Collection, Vec<Value>),
    /// A bound action on one entity.
    EntityAction(&'s Collection, Vec<Value>, &'s Action),
}

/// Resolves the raw (still percent-encoded) path below the service root, e.g.
/// `deviceManagement/autopilotEvents/abc` or `products('x')`.
pub fn resolve<'s>(service: &'s Service, raw_path: &str) -> Result<Target<'s>, ODataError> {
    let segments = raw_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| {
                    ODataError::bad_request(format!(
                        "The URL segment '{s}' is not valid percent-encoded UTF-8."
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    match segments.as_slice() {
        [] => return Ok(Target::ServiceDocument),
        [m] if m == "$metadata" => return Ok(Target::Metadata),
        _ => {}
    }
    for collection in service.collections() {
        if let Some((predicate, rest)) = match_collection(collection, &segments) {
            return resolve_in_collection(service, collection, predicate, rest);
        }
    }
    Err(not_found_segment(service, &segments))
}

/// Matches the collection's segments at the start of the path; the last may carry a key
/// predicate `(...)`. Returns the predicate text (inside the parentheses) and the rest.
fn match_collection<'p>(
    collection: &Collection,
    segments: &'p [String],
) -> Option<(Option<&'p str>, &'p [String])> {
    let n = collection.segments.len();
    if segments.len() < n {
        return None;
    }
    for (want, got) in collection.segments[..n - 1].iter().zip(segments) {
        if want != got {
            return None;
        }
    }
    let last = &segments[n - 1];
    let name = &collection.segments[n - 1];
    if last == name {
        return Some((None, &segments[n..]));
    }
    let predicate = last
        .strip_prefix(name.as_str())?
        .strip_prefix('(')?
        .strip_suffix(')')?;
    Some((Some(predicate), &segments[n..]))
}

fn resolve_in_collection<'s>(
    service: &'s Service,
    collection: &'s Collection,
    predicate: Option<&str>,
    rest: &[String],
) -> Result<Target<'s>, ODataError> {
    let model = service.model();
    let (key, rest) = match (predicate, rest) {
        (Some(p), rest) => (Some(parse_predicate(service, collection, p)?), rest),
        (None, []) => return Ok(Target::Collection(collection)),
        (None, [s]) if s == "$count" => return Ok(Target::Count(collection)),
        (None, [s]) if s == "$ref" => return Ok(Target::CollectionRef(collection)),
        (None, [s, ..]) if s.starts_with('$') => {
            return Err(ODataError::bad_request(format!(
                "The segment '{s}' is not valid after '{}'.",
                collection.path
            )));
        }
        (None, [segment, rest @ ..]) => (Some(key_as_segment(service, collection, segment)?), rest),
    };
    let key = key.unwrap_or_default();
    match rest {
        [] => Ok(Target::Entity(collection, key)),
        [name] => {
            if let Some(action) = model.bound_action(collection.entity_type, false, name) {
                return Ok(Target::EntityAction(collection, key, action));
            }
            let ty = model.entity_type(collection.entity_type);
            if ty.property(name).is_some() || ty.navigation_property(name).is_some() {
                return Err(ODataError::new(
                    ErrorKind::NotImplemented,
                    format!("Addressing the property '{name}' of an entity is not supported yet."),
                ));
            }
            Err(ODataError::not_found(format!(
                "'{name}' is not a property, navigation property or bound action of '{}'.",
                ty.qualified_name
            ))
            .with_target(name.clone()))
        }
        [s, ..] => Err(ODataError::not_found(format!(
            "The resource path segment '{s}' is not supported here."
        ))),
    }
}

fn not_found_segment(service: &Service, segments: &[String]) -> ODataError {
    let first = segments.first().map(String::as_str).unwrap_or_default();
    let known = service
        .collections()
        .iter()
        .any(|c| c.segments.first().map(String::as_str) == Some(first));
    let message = if known && segments.len() > 1 {
        format!("'{}' is not a collection of '{first}'.", segments[1])
    } else if known {
        format!("The resource '{first}' cannot be addressed directly.")
    } else {
        format!("The resource '{first}' does not exist.")
    };
    ODataError::not_found(message)
}

/// Key-as-segment (Graph's form): the whole segment is the value of the single key.
fn key_as_segment(
    service: &Service,
    collection: &Collection,
    segment: &str,
) -> Result<Vec<Value>, ODataError> {
    let table = &collection.table;
    if table.key.len() != 1 {
        return Err(ODataError::bad_request(format!(
            "'{}' has a composite key; use the form (name=value,...) to address an entity.",
            collection.path
        )));
    }
    let column = &table.columns[table.key[0]];
    Ok(vec![key_value(
        service,
        &column.property.type_ref.kind,
        &column.property.name,
        segment,
        false,
    )?])
}

/// `'abc'`, `id='abc'`, `42`, `a=1,b='x'`.
fn parse_predicate(
    service: &Service,
    collection: &Collection,
    predicate: &str,
) -> Result<Vec<Value>, ODataError> {
    let table = &collection.table;
    let parts = split_top_level(predicate);
    let key_names: Vec<&str> = table
        .key
        .iter()
        .map(|&i| table.columns[i].property.name.as_str())
        .collect();
    let bad = || {
        ODataError::bad_request(format!(
            "The key predicate '({predicate})' does not match the key ({}) of '{}'.",
            key_names.join(","),
            collection.path
        ))
    };
    let mut values: Vec<Option<Value>> = vec![None; key_names.len()];
    for part in &parts {
        let (index, literal) = match split_name_value(part) {
            Some((name, literal)) => (
                key_names.iter().position(|k| *k == name).ok_or_else(bad)?,
                literal,
            ),
            None if key_names.len() == 1 && parts.len() == 1 => (0, part.as_str()),
            None => return Err(bad()),
        };
        let column = &table.columns[table.key[index]];
        let value = key_value(
            service,
            &column.property.type_ref.kind,
            &column.property.name,
            literal.trim(),
            true,
        )?;
        if values[index].replace(value).is_some() {
            return Err(bad());
        }
    }
    values.into_iter().map(|v| v.ok_or_else(bad)).collect()
}

/// Splits on commas outside single-quoted strings.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut in_string = false;
    for c in text.chars() {
        match c {
            '\'' => in_string = !in_string,
            ',' if !in_string => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// `name=value` outside quotes.
fn split_name_value(part: &str) -> Option<(&str, &str)> {
    let eq = part.find('=')?;
    let quote = part.find('\'');
    if quote.is_some_and(|q| q < eq) {
        return None;
    }
    Some((part[..eq].trim(), &part[eq + 1..]))
}

/// Types a key literal. In a predicate strings are quoted (`'it''s'`); as a segment the
/// text is the value itself.
fn key_value(
    service: &Service,
    kind: &TypeKind,
    name: &str,
    text: &str,
    quoted: bool,
) -> Result<Value, ODataError> {
    let invalid = || {
        ODataError::bad_request(format!(
            "'{text}' is not a valid value for the key property '{name}' of type {}.",
            service.model().type_name(*kind)
        ))
        .with_target(name.to_owned())
    };
    let TypeKind::Primitive(p) = *kind else {
        return Err(invalid());
    };
    match p {
        PrimitiveKind::String => {
            if !quoted {
                return Ok(Value::String(text.to_owned()));
            }
            let inner = text
                .strip_prefix('\'')
                .and_then(|t| t.strip_suffix('\''))
                .filter(|_| text.len() >= 2)
                .ok_or_else(invalid)?;
            if inner.replace("''", "").contains('\'') {
                return Err(invalid());
            }
            Ok(Value::String(inner.replace("''", "'")))
        }
        PrimitiveKind::Guid => uuid::Uuid::try_parse(text)
            .ok()
            .filter(|_| text.len() == 36)
            .map(Value::Guid)
            .ok_or_else(invalid),
        _ => match p.integer_range() {
            Some((min, max)) => text
                .parse::<i64>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .map(Value::Int)
                .ok_or_else(invalid),
            None => Err(invalid()),
        },
    }
}

/// The canonical key predicate of an entity, e.g. `('a''b')` or `(a=1,b='x')`.
pub fn key_predicate(collection: &Collection, key: &[Value]) -> String {
    let table = &collection.table;
    let literal = |v: &Value| match v {
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Int(i) => i.to_string(),
        Value::Guid(g) => g.hyphenated().to_string(),
        other => format!("{other:?}"),
    };
    if key.len() == 1 {
        return format!("({})", literal(&key[0]));
    }
    let parts: Vec<String> = table
        .key
        .iter()
        .zip(key)
        .map(|(&i, v)| format!("{}={}", table.columns[i].property.name, literal(v)))
        .collect();
    format!("({})", parts.join(","))
}
