//! JSON leaves of complex and collection values → typed [`Value`]s.

use serde_json::Value as Json;

use crate::bind::ExprType;
use crate::edm::{Model, PrimitiveKind, TypeKind, TypeRef};
use crate::value::{
    Date, DateTimeOffset, Duration, Geo, TimeOfDay, Value, base64url, decimal_text, parse_base64,
    parse_decimal,
};

/// Converts a JSON value read from a complex/collection value to a [`Value`] of type `ty`.
/// A JSON `null`, or a leaf that does not convert, is [`Value::Null`]; complex and
/// collection values stay JSON.
pub(super) fn to_value(model: &Model, j: &Json, ty: &ExprType) -> Value {
    if j.is_null() {
        return Value::Null;
    }
    match ty {
        ExprType::Primitive(p) => primitive(j, *p).unwrap_or(Value::Null),
        ExprType::Enum(id) => {
            let e = model.enum_type(*id);
            let n = match j {
                Json::String(s) => e.parse_value(s),
                Json::Number(n) => n.as_i64(),
                _ => None,
            };
            n.map_or(Value::Null, Value::Enum)
        }
        ExprType::Complex(_) | ExprType::Collection(_) | ExprType::Entity(_) => {
            Value::Json(j.clone())
        }
        ExprType::Null => Value::Null,
    }
}

/// The JSON of a property of type `type_ref` (a member of an entity's or a complex
/// value's JSON) as a [`Value`]: a primitive or enumeration value as [`to_value`] converts
/// it; complex and collection values stay JSON.
pub(super) fn property_value(model: &Model, j: &Json, type_ref: &TypeRef) -> Value {
    match type_ref.kind {
        TypeKind::Primitive(p) if !type_ref.collection => {
            to_value(model, j, &ExprType::Primitive(p))
        }
        TypeKind::Enum(id) if !type_ref.collection => to_value(model, j, &ExprType::Enum(id)),
        _ if j.is_null() => Value::Null,
        _ => Value::Json(j.clone()),
    }
}

/// A value as the JSON [`to_value`] reads back as the same value: decimals, temporal
/// values, GUIDs and non-finite doubles as text, binary values in base64url, enumeration
/// values as numbers.
pub(super) fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::String(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int(i) | Value::Enum(i) => Json::from(*i),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or_else(
            || {
                Json::String(
                    if d.is_nan() {
                        "NaN"
                    } else if *d > 0.0 {
                        "INF"
                    } else {
                        "-INF"
                    }
                    .to_owned(),
                )
            },
            Json::Number,
        ),
        Value::Decimal(d) => Json::String(decimal_text(d)),
        Value::Binary(b) => Json::String(base64url(b)),
        Value::Guid(g) => Json::String(g.to_string()),
        Value::Date(d) => Json::String(d.to_string()),
        Value::TimeOfDay(t) => Json::String(t.to_string()),
        Value::Duration(d) => Json::String(d.to_string()),
        Value::DateTimeOffset(d) => Json::String(d.as_str().to_owned()),
        Value::Json(j) => j.clone(),
        Value::Geo(g) => g.to_geojson(),
    }
}

/// A primitive leaf (numbers may also arrive as strings, IEEE754Compatible style).
fn primitive(j: &Json, p: PrimitiveKind) -> Option<Value> {
    use PrimitiveKind as P;
    Some(match p {
        P::String => Value::String(j.as_str()?.to_owned()),
        P::Binary => Value::Binary(parse_base64(j.as_str()?)?),
        P::Boolean => Value::Boolean(j.as_bool()?),
        P::Byte | P::SByte | P::Int16 | P::Int32 | P::Int64 => Value::Int(match j {
            Json::Number(n) => n.as_i64()?,
            Json::String(s) => s.trim().parse().ok()?,
            _ => return None,
        }),
        P::Decimal => Value::Decimal(match j {
            Json::Number(n) => parse_decimal(&n.to_string())?,
            Json::String(s) => parse_decimal(s)?,
            _ => return None,
        }),
        P::Double | P::Single => Value::Double(match j {
            Json::Number(n) => n.as_f64()?,
            Json::String(s) => parse_double(s)?,
            _ => return None,
        }),
        P::Guid => Value::Guid(uuid::Uuid::parse_str(j.as_str()?).ok()?),
        P::Date => Value::Date(Date::parse(j.as_str()?).ok()?),
        P::TimeOfDay => Value::TimeOfDay(TimeOfDay::parse(j.as_str()?).ok()?),
        P::DateTimeOffset => Value::DateTimeOffset(DateTimeOffset::parse(j.as_str()?).ok()?),
        P::Duration => Value::Duration(Duration::parse(j.as_str()?).ok()?),
        P::GeographyPoint
        | P::GeographyLineString
        | P::GeographyPolygon
        | P::GeometryPoint
        | P::GeometryLineString
        | P::GeometryPolygon => {
            let (family, shape) = p.spatial()?;
            Value::Geo(Geo::from_geojson(j, family, shape, None).ok()?)
        }
    })
}

/// A double from text, with OData's `INF`, `-INF` and `NaN`.
pub(super) fn parse_double(s: &str) -> Option<f64> {
    match s.trim() {
        "INF" => Some(f64::INFINITY),
        "-INF" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        t => t.parse().ok().filter(|f: &f64| f.is_finite()),
    }
}
