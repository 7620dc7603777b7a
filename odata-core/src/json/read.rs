//! Reading request bodies: every property checked against its EDM type, every error names
//! the property at fault.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use super::control_name;
use crate::edm::{
    ComplexTypeId, EntityType, EntityTypeId, Model, PrimitiveKind, Property, TypeKind, TypeRef,
};
use crate::error::ODataError;
use crate::value::{Date, DateTimeOffset, Duration, TimeOfDay, Value};

/// An entity body read against an entity type.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityPayload {
    /// The concrete type: the declared one, or a derived one named by `@odata.type`.
    pub entity_type: EntityTypeId,
    /// Property values in body order.
    pub values: IndexMap<String, Value>,
}

/// Parses a JSON body into an object, with a 400 naming line and column on bad JSON.
pub fn read_object(body: &[u8]) -> Result<Map<String, Json>, ODataError> {
    let json: Json = serde_json::from_slice(body).map_err(|e| {
        ODataError::bad_request(format!(
            "The request body is not valid JSON: {e} (line {}, column {}).",
            e.line(),
            e.column()
        ))
    })?;
    match json {
        Json::Object(map) => Ok(map),
        other => Err(ODataError::bad_request(format!(
            "The request body must be a JSON object, not {}.",
            json_kind(&other)
        ))),
    }
}

/// Reads an entity body for an entity of type `declared` (or a subtype).
///
/// Rejects unknown and read-only properties, navigation properties, values of the wrong
/// JSON type or out of range, bad temporal literals, unknown enum members, and an
/// `@odata.type` that is not `declared` or derived from it (required when `declared` is
/// abstract). Instance annotations other than `@odata.type` are ignored.
pub fn read_entity(
    model: &Model,
    declared: EntityTypeId,
    body: &[u8],
) -> Result<EntityPayload, ODataError> {
    let object = read_object(body)?;
    let entity_type = entity_type_of(model, declared, &object)?;
    read_properties(model, entity_type, &object)
}

/// Reads an update body (PATCH/PUT) for an existing entity of concrete type `current`.
/// `@odata.type`, if present, must name `current` or one of its base types: an update
/// cannot change an entity's type. Otherwise as [`read_entity`].
pub fn read_entity_update(
    model: &Model,
    current: EntityTypeId,
    body: &[u8],
) -> Result<EntityPayload, ODataError> {
    let object = read_object(body)?;
    if let Some(name) = odata_type(&object)? {
        let named = model.find_entity_type(name);
        if !named.is_some_and(|n| model.entity_derives_from(current, n)) {
            return Err(ODataError::bad_request(format!(
                "'@odata.type' '{name}' does not match the entity's type '{}'; an update \
                 cannot change the type.",
                model.entity_type(current).qualified_name
            ))
            .with_target("@odata.type"));
        }
    }
    read_properties(model, current, &object)
}

fn read_properties(
    model: &Model,
    entity_type: EntityTypeId,
    object: &Map<String, Json>,
) -> Result<EntityPayload, ODataError> {
    let ty = model.entity_type(entity_type);
    let mut values = IndexMap::with_capacity(object.len());
    for (key, json) in object {
        if key.starts_with('@') || key.starts_with("odata.") || key.contains('@') {
            continue;
        }
        let Some(property) = ty.property(key) else {
            return Err(unknown_member(ty, key));
        };
        if property.is_read_only() {
            return Err(ODataError::bad_request(format!(
                "The property '{key}' is read-only and cannot be set by a client."
            ))
            .with_target(key.clone()));
        }
        let value = read_value(model, &property.type_ref, json, key)?;
        values.insert(key.clone(), value);
    }
    Ok(EntityPayload {
        entity_type,
        values,
    })
}

fn unknown_member(ty: &EntityType, key: &str) -> ODataError {
    let message = if ty.navigation_property(key).is_some() {
        format!(
            "The navigation property '{key}' cannot be written inline; deep inserts and updates \
             are not supported."
        )
    } else {
        format!(
            "The property '{key}' does not exist on type '{}'.",
            ty.qualified_name
        )
    };
    ODataError::bad_request(message).with_target(key.to_owned())
}

/// The `@odata.type` named in an object, without its leading `#`.
fn odata_type(object: &Map<String, Json>) -> Result<Option<&str>, ODataError> {
    let Some((key, value)) = object.iter().find(|(k, _)| control_name(k) == Some("type")) else {
        return Ok(None);
    };
    match value {
        Json::String(s) => Ok(Some(s.strip_prefix('#').unwrap_or(s))),
        other => Err(ODataError::bad_request(format!(
            "'{key}' must be a string naming a type, not {}.",
            json_kind(other)
        ))
        .with_target(key.clone())),
    }
}

fn entity_type_of(
    model: &Model,
    declared: EntityTypeId,
    object: &Map<String, Json>,
) -> Result<EntityTypeId, ODataError> {
    let declared_ty = model.entity_type(declared);
    let id = match odata_type(object)? {
        None => declared,
        Some(name) => match model.find_entity_type(name) {
            Some(id) if model.entity_derives_from(id, declared) => id,
            _ => {
                return Err(ODataError::bad_request(format!(
                    "'@odata.type' '{name}' is not '{}' or a type derived from it.",
                    declared_ty.qualified_name
                ))
                .with_target("@odata.type"));
            }
        },
    };
    if model.entity_type(id).is_abstract {
        return Err(ODataError::bad_request(format!(
            "The type '{}' is abstract; '@odata.type' must name one of its concrete types: {}.",
            model.entity_type(id).qualified_name,
            concrete_entity_types(model, id)
        ))
        .with_target("@odata.type"));
    }
    Ok(id)
}

fn concrete_entity_types(model: &Model, id: EntityTypeId) -> String {
    model
        .entity_type_and_subtypes(id)
        .into_iter()
        .map(|t| model.entity_type(t))
        .filter(|t| !t.is_abstract)
        .map(|t| format!("#{}", t.qualified_name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one value of the given type. `path` names the property for error messages
/// (`settings/flag`, `tags[2]`).
pub fn read_value(
    model: &Model,
    type_ref: &TypeRef,
    json: &Json,
    path: &str,
) -> Result<Value, ODataError> {
    if json.is_null() {
        return if type_ref.nullable || type_ref.collection {
            Ok(Value::Null)
        } else {
            Err(
                ODataError::bad_request(format!("The property '{path}' cannot be null."))
                    .with_target(path.to_owned()),
            )
        };
    }
    if type_ref.collection {
        let Json::Array(items) = json else {
            return Err(type_mismatch(model, type_ref, json, path));
        };
        let item_ref = TypeRef {
            collection: false,
            ..type_ref.clone()
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let v = read_value(model, &item_ref, item, &item_path)?;
            out.push(value_to_json(model, &item_ref, v, item));
        }
        return Ok(Value::Json(Json::Array(out)));
    }
    match type_ref.kind {
        TypeKind::Primitive(kind) => read_primitive(kind, type_ref, json, path)
            .ok_or_else(|| type_mismatch(model, type_ref, json, path))?,
        TypeKind::Enum(id) => {
            let e = model.enum_type(id);
            let parsed = match json {
                Json::String(s) => e.parse_value(s),
                Json::Number(n) => n
                    .as_i64()
                    .filter(|v| e.member_by_value(*v).is_some() || e.is_flags),
                _ => return Err(type_mismatch(model, type_ref, json, path)),
            };
            parsed.map(Value::Enum).ok_or_else(|| {
                ODataError::bad_request(format!(
                    "The value {json} is not a member of the enumeration '{}' of property \
                     '{path}'. Allowed members: {}.",
                    e.qualified_name,
                    e.member_list()
                ))
                .with_target(path.to_owned())
            })
        }
        TypeKind::Complex(id) => {
            let Json::Object(object) = json else {
                return Err(type_mismatch(model, type_ref, json, path));
            };
            read_complex(model, id, object, path).map(Value::Json)
        }
        TypeKind::Entity(_) => Err(ODataError::bad_request(format!(
            "The property '{path}' refers to an entity; inline entities are not supported."
        ))
        .with_target(path.to_owned())),
    }
}

/// A validated complex value as JSON: annotations other than `@odata.type` dropped, enum
/// members as names, numbers range-checked.
fn read_complex(
    model: &Model,
    declared: ComplexTypeId,
    object: &Map<String, Json>,
    path: &str,
) -> Result<Json, ODataError> {
    let declared_ty = model.complex_type(declared);
    let id = match odata_type(object)? {
        None => declared,
        Some(name) => match model.find_complex_type(name) {
            Some(id) if model.complex_derives_from(id, declared) => id,
            _ => {
                return Err(ODataError::bad_request(format!(
                    "'@odata.type' '{name}' of property '{path}' is not '{}' or a type derived \
                     from it.",
                    declared_ty.qualified_name
                ))
                .with_target(path.to_owned()));
            }
        },
    };
    let ty = model.complex_type(id);
    if ty.is_abstract {
        let concrete: Vec<String> = (0..model.complex_types.len())
            .map(ComplexTypeId)
            .filter(|c| model.complex_derives_from(*c, id) && !model.complex_type(*c).is_abstract)
            .map(|c| format!("#{}", model.complex_type(c).qualified_name))
            .collect();
        return Err(ODataError::bad_request(format!(
            "The property '{path}' has the abstract type '{}'; '@odata.type' must name one of: {}.",
            ty.qualified_name,
            concrete.join(", ")
        ))
        .with_target(path.to_owned()));
    }
    let mut out = Map::new();
    if id != declared {
        out.insert(
            "@odata.type".into(),
            format!("#{}", ty.qualified_name).into(),
        );
    }
    for (key, json) in object {
        if key.starts_with('@') || key.starts_with("odata.") || key.contains('@') {
            continue;
        }
        let member_path = format!("{path}/{key}");
        let Some(property) = ty.property(key) else {
            return Err(ODataError::bad_request(format!(
                "The property '{key}' does not exist on type '{}' (at '{member_path}').",
                ty.qualified_name
            ))
            .with_target(member_path));
        };
        let value = read_value(model, &property.type_ref, json, &member_path)?;
        out.insert(
            key.clone(),
            value_to_json(model, &property.type_ref, value, json),
        );
    }
    Ok(Json::Object(out))
}

/// The JSON kept for a validated value nested in a complex or collection value: the
/// original JSON, except enums, which are normalised to member names.
fn value_to_json(model: &Model, type_ref: &TypeRef, value: Value, original: &Json) -> Json {
    match (type_ref.kind, value) {
        (_, Value::Json(j)) => j,
        (TypeKind::Enum(id), Value::Enum(v)) => model
            .enum_type(id)
            .format_value(v)
            .map_or_else(|| original.clone(), Json::String),
        _ => original.clone(),
    }
}

/// `None` when the JSON type does not fit; `Some(Err)` for a fitting JSON type with an
/// invalid value.
fn read_primitive(
    kind: PrimitiveKind,
    type_ref: &TypeRef,
    json: &Json,
    path: &str,
) -> Option<Result<Value, ODataError>> {
    let invalid = |detail: String| {
        ODataError::bad_request(format!(
            "Invalid value for property '{path}' of type {}: {detail}",
            kind.name()
        ))
        .with_target(path.to_owned())
    };
    let parsed = |r: Result<Value, crate::value::ValueError>| r.map_err(|e| invalid(e.to_string()));
    Some(match (kind, json) {
        (PrimitiveKind::String, Json::String(s)) => {
            if let Some(max) = type_ref.max_length
                && s.chars().count() > max as usize
            {
                return Some(Err(invalid(format!(
                    "longer than the maximum length of {max} characters."
                ))));
            }
            Ok(Value::String(s.clone()))
        }
        (PrimitiveKind::Boolean, Json::Bool(b)) => Ok(Value::Boolean(*b)),
        (
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64,
            Json::Number(_) | Json::String(_),
        ) => {
            // Int64 may arrive as a string (IEEE754Compatible=true); others must be numbers.
            let n = match json {
                Json::Number(n) => n.as_i64(),
                Json::String(s) if kind == PrimitiveKind::Int64 => s.parse().ok(),
                _ => return None,
            };
            let (min, max) = kind.integer_range()?;
            match n {
                Some(v) if (min..=max).contains(&v) => Ok(Value::Int(v)),
                _ => Err(invalid(format!(
                    "{json} is not an integer in the range {min}..={max}."
                ))),
            }
        }
        (PrimitiveKind::Double | PrimitiveKind::Single, Json::Number(n)) => n
            .as_f64()
            .map(Value::Double)
            .ok_or_else(|| invalid(format!("{n} is not a number."))),
        (PrimitiveKind::Double | PrimitiveKind::Single, Json::String(s)) => match s.as_str() {
            "INF" => Ok(Value::Double(f64::INFINITY)),
            "-INF" => Ok(Value::Double(f64::NEG_INFINITY)),
            "NaN" => Ok(Value::Double(f64::NAN)),
            _ => return None,
        },
        (PrimitiveKind::Decimal, Json::Number(n)) => n
            .to_string()
            .parse::<rust_decimal::Decimal>()
            .or_else(|_| rust_decimal::Decimal::from_scientific(&n.to_string()))
            .map(Value::Decimal)
            .map_err(|_| invalid(format!("{n} is not a decimal number."))),
        (PrimitiveKind::Decimal, Json::String(s)) => s
            .parse::<rust_decimal::Decimal>()
            .map(Value::Decimal)
            .map_err(|_| invalid(format!("'{s}' is not a decimal number."))),
        (PrimitiveKind::Guid, Json::String(s)) => uuid::Uuid::try_parse(s)
            .ok()
            .filter(|_| s.len() == 36)
            .map(Value::Guid)
            .ok_or_else(|| invalid(format!("'{s}' is not a GUID (8-4-4-4-12 hex digits)."))),
        (PrimitiveKind::DateTimeOffset, Json::String(s)) => {
            parsed(DateTimeOffset::parse(s).map(Value::DateTimeOffset))
        }
        (PrimitiveKind::Duration, Json::String(s)) => {
            parsed(Duration::parse(s).map(Value::Duration))
        }
        (PrimitiveKind::Date, Json::String(s)) => parsed(Date::parse(s).map(Value::Date)),
        (PrimitiveKind::TimeOfDay, Json::String(s)) => {
            parsed(TimeOfDay::parse(s).map(Value::TimeOfDay))
        }
        (PrimitiveKind::Binary, Json::String(_)) => Err(ODataError::new(
            crate::error::ErrorKind::NotImplemented,
            format!("Edm.Binary values (property '{path}') are not supported."),
        )),
        _ => return None,
    })
}

fn type_mismatch(model: &Model, type_ref: &TypeRef, json: &Json, path: &str) -> ODataError {
    ODataError::bad_request(format!(
        "The property '{path}' expects a value of type {}, but the body has {}.",
        model.type_ref_name(type_ref),
        json_kind(json)
    ))
    .with_target(path.to_owned())
}

fn json_kind(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) if s.chars().count() > 40 => "a string".into(),
        Json::String(s) => format!("the string \"{s}\""),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

/// The zero value Graph returns for a non-nullable property that a create body omitted.
pub fn zero_value(model: &Model, property: &Property) -> Value {
    let t = &property.type_ref;
    if t.collection {
        return Value::Json(Json::Array(Vec::new()));
    }
    if t.nullable {
        return Value::Null;
    }
    match t.kind {
        TypeKind::Primitive(kind) => match kind {
            PrimitiveKind::Boolean => Value::Boolean(false),
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64 => Value::Int(0),
            PrimitiveKind::Double | PrimitiveKind::Single => Value::Double(0.0),
            PrimitiveKind::Decimal => Value::Decimal(rust_decimal::Decimal::ZERO),
            PrimitiveKind::String | PrimitiveKind::Binary => Value::String(String::new()),
            PrimitiveKind::Guid => Value::Guid(uuid::Uuid::nil()),
            PrimitiveKind::Date => Value::Date(Date::min_value()),
            PrimitiveKind::TimeOfDay => Value::TimeOfDay(TimeOfDay::midnight()),
            PrimitiveKind::DateTimeOffset => Value::DateTimeOffset(DateTimeOffset::min_value()),
            PrimitiveKind::Duration => Value::Duration(Duration::zero()),
        },
        TypeKind::Enum(id) => {
            let e = model.enum_type(id);
            Value::Enum(
                e.member("unknown")
                    .or(e.members.first())
                    .map_or(0, |m| m.value),
            )
        }
        TypeKind::Complex(_) | TypeKind::Entity(_) => Value::Null,
    }
}
