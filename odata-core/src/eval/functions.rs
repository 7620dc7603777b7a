//! Built-in functions, `cast` and `isof`.

use crate::bind::{ExprType, Function};
use crate::edm::{Model, PrimitiveKind, TypeKind};
use crate::error::{ErrorKind, ODataError};
use crate::value::{
    Date, DateTimeOffset, Decimal, DecimalRounding, Duration, Geo, TICKS_PER_DAY, TimeOfDay, Value,
    base64url, decimal_from_f64, decimal_round, decimal_text, decimal_to_f64, decimal_trunc_i64,
    parse_base64, parse_decimal,
};

use super::json::parse_double;
use super::type_error;

/// Evaluates a built-in function on evaluated arguments.
pub(super) fn call(f: Function, args: Vec<Value>) -> Result<Value, ODataError> {
    match f {
        Function::Now => {
            return Err(ODataError::new(
                ErrorKind::Internal,
                "evaluator: now() is replaced by the request's instant when binding",
            ));
        }
        Function::MinDateTime => return Ok(Value::DateTimeOffset(DateTimeOffset::min_value())),
        Function::MaxDateTime => {
            return DateTimeOffset::parse("9999-12-31T23:59:59.9999999Z")
                .map(Value::DateTimeOffset)
                .map_err(|e| ODataError::new(ErrorKind::Internal, e.to_string()));
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let mut args = args.into_iter();
    let a = args.next().unwrap_or(Value::Null);
    let b = args.next();
    let c = args.next();
    Ok(match f {
        Function::Contains => Value::Boolean(text(&a)?.contains(text_opt(&b)?)),
        Function::MatchesPattern => {
            let pattern = super::compile_pattern(text_opt(&b)?)
                .map_err(|e| ODataError::bad_request(format!("invalid pattern: {e}")))?;
            Value::Boolean(pattern.is_match(text(&a)?))
        }
        Function::StartsWith => Value::Boolean(text(&a)?.starts_with(text_opt(&b)?)),
        Function::EndsWith => Value::Boolean(text(&a)?.ends_with(text_opt(&b)?)),
        Function::Length => Value::Int(code_points(text(&a)?)),
        Function::IndexOf => {
            let s = text(&a)?;
            Value::Int(match s.find(text_opt(&b)?) {
                Some(i) => code_points(&s[..i]),
                None => -1,
            })
        }
        Function::Substring => {
            let s = text(&a)?;
            let start = usize::try_from(int(b.as_ref())?.max(0)).unwrap_or(usize::MAX);
            let rest = s.chars().skip(start);
            Value::String(match c {
                Some(len) => {
                    let len = usize::try_from(int(Some(&len))?.max(0)).unwrap_or(usize::MAX);
                    rest.take(len).collect()
                }
                None => rest.collect(),
            })
        }
        Function::ToLower => Value::String(text(&a)?.to_lowercase()),
        Function::ToUpper => Value::String(text(&a)?.to_uppercase()),
        Function::Trim => Value::String(text(&a)?.trim().to_owned()),
        Function::Concat => {
            let mut s = text(&a)?.to_owned();
            s.push_str(text_opt(&b)?);
            Value::String(s)
        }
        Function::Year => Value::Int(i64::from(match &a {
            Value::DateTimeOffset(d) => d.year(),
            Value::Date(d) => d.year(),
            other => return Err(type_error("a date", other)),
        })),
        Function::Month => Value::Int(i64::from(match &a {
            Value::DateTimeOffset(d) => d.month(),
            Value::Date(d) => d.month(),
            other => return Err(type_error("a date", other)),
        })),
        Function::Day => Value::Int(i64::from(match &a {
            Value::DateTimeOffset(d) => d.day(),
            Value::Date(d) => d.day(),
            other => return Err(type_error("a date", other)),
        })),
        Function::Hour => Value::Int(i64::from(match &a {
            Value::DateTimeOffset(d) => d.hour(),
            Value::TimeOfDay(t) => t.hour(),
            other => return Err(type_error("a time", other)),
        })),
        Function::Minute => Value::Int(i64::from(match &a {
            Value::DateTimeOffset(d) => d.minute(),
            Value::TimeOfDay(t) => t.minute(),
            other => return Err(type_error("a time", other)),
        })),
        Function::Second => Value::Int(i64::from(match &a {
            Value::DateTimeOffset(d) => d.second(),
            Value::TimeOfDay(t) => t.second(),
            other => return Err(type_error("a time", other)),
        })),
        Function::FractionalSeconds => {
            let ticks = match &a {
                Value::DateTimeOffset(d) => d.fractional_ticks(),
                Value::TimeOfDay(t) => t.fractional_ticks(),
                other => return Err(type_error("a time", other)),
            };
            Value::Decimal(Decimal::new(ticks.into(), 7).normalized())
        }
        Function::TotalSeconds => match &a {
            Value::Duration(d) => Value::Decimal(Decimal::new(d.ticks().into(), 7).normalized()),
            other => return Err(type_error("a duration", other)),
        },
        Function::Date => match &a {
            Value::DateTimeOffset(d) => Value::Date(d.date()),
            other => return Err(type_error("a DateTimeOffset", other)),
        },
        Function::Time => match &a {
            Value::DateTimeOffset(d) => Value::TimeOfDay(d.time_of_day()),
            other => return Err(type_error("a DateTimeOffset", other)),
        },
        Function::TotalOffsetMinutes => match &a {
            Value::DateTimeOffset(d) => Value::Int(i64::from(d.offset_minutes())),
            other => return Err(type_error("a DateTimeOffset", other)),
        },
        Function::Round | Function::Floor | Function::Ceiling => match a {
            Value::Int(n) => Value::Int(n),
            // The shared rules (also SQLite's decimal functions).
            Value::Decimal(d) => Value::Decimal(decimal_round(
                &d,
                match f {
                    Function::Round => DecimalRounding::HalfAwayFromZero,
                    Function::Floor => DecimalRounding::Floor,
                    _ => DecimalRounding::Ceiling,
                },
            )),
            Value::Double(x) => Value::Double(match f {
                Function::Round => x.round(),
                Function::Floor => x.floor(),
                _ => x.ceil(),
            }),
            other => return Err(type_error("a number", &other)),
        },
        Function::GeoDistance => Value::Double(
            geo(&a)?
                .distance(geo_opt(&b)?)
                .ok_or_else(|| type_error("two points", &a))?,
        ),
        Function::GeoLength => Value::Double(
            geo(&a)?
                .length()
                .ok_or_else(|| type_error("a line string", &a))?,
        ),
        Function::GeoIntersects => Value::Boolean(
            geo(&a)?
                .intersects(geo_opt(&b)?)
                .ok_or_else(|| type_error("a point and a polygon", &a))?,
        ),
        Function::Now | Function::MinDateTime | Function::MaxDateTime => Value::Null,
    })
}

fn geo(v: &Value) -> Result<&Geo, ODataError> {
    match v {
        Value::Geo(g) => Ok(g),
        other => Err(type_error("a spatial value", other)),
    }
}

fn geo_opt(v: &Option<Value>) -> Result<&Geo, ODataError> {
    match v {
        Some(v) => geo(v),
        None => Err(type_error("a spatial value", &Value::Null)),
    }
}

fn text(v: &Value) -> Result<&str, ODataError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(type_error("a string", other)),
    }
}

fn text_opt(v: &Option<Value>) -> Result<&str, ODataError> {
    match v {
        Some(v) => text(v),
        None => Err(type_error("a string", &Value::Null)),
    }
}

fn int(v: Option<&Value>) -> Result<i64, ODataError> {
    match v {
        Some(Value::Int(n)) => Ok(*n),
        Some(other) => Err(type_error("an integer", other)),
        None => Err(type_error("an integer", &Value::Null)),
    }
}

fn code_points(s: &str) -> i64 {
    i64::try_from(s.chars().count()).unwrap_or(i64::MAX)
}

/// `cast(v, to)`: null when the value cannot be converted.
pub(super) fn cast(model: &Model, v: Value, from: &ExprType, to: &ExprType) -> Value {
    cast_opt(model, v, from, to).unwrap_or(Value::Null)
}

fn cast_opt(model: &Model, v: Value, from: &ExprType, to: &ExprType) -> Option<Value> {
    use PrimitiveKind as P;
    if v.is_null() {
        return None;
    }
    match to {
        ExprType::Enum(id) => {
            let e = model.enum_type(*id);
            let n = match &v {
                Value::String(s) => e.parse_value(s)?,
                Value::Int(n) | Value::Enum(n) => e.parse_value(&n.to_string())?,
                _ => return None,
            };
            Some(Value::Enum(n))
        }
        ExprType::Primitive(p) => Some(match p {
            P::String => Value::String(to_text(model, &v, from)?),
            P::Byte | P::SByte | P::Int16 | P::Int32 | P::Int64 => {
                let n = match &v {
                    Value::Int(n) | Value::Enum(n) => *n,
                    Value::Decimal(d) => decimal_trunc_i64(d)?,
                    Value::Double(f) if f.is_finite() && f.abs() < 9.2e18 => f.trunc() as i64,
                    Value::String(s) => s.trim().parse().ok()?,
                    _ => return None,
                };
                let (lo, hi) = p.integer_range()?;
                if !(lo..=hi).contains(&n) {
                    return None;
                }
                Value::Int(n)
            }
            P::Decimal => Value::Decimal(match &v {
                Value::Int(n) => Decimal::from(*n),
                Value::Decimal(d) => d.clone(),
                // The shortest text that reads back as the double, not its binary expansion.
                Value::Double(f) => decimal_from_f64(*f)?,
                Value::String(s) => parse_decimal(s)?,
                _ => return None,
            }),
            P::Double | P::Single => Value::Double(match &v {
                Value::Int(n) => *n as f64,
                Value::Decimal(d) => decimal_to_f64(d)?,
                Value::Double(f) => *f,
                Value::String(s) => parse_double(s)?,
                _ => return None,
            }),
            P::Boolean => Value::Boolean(match &v {
                Value::Boolean(b) => *b,
                Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return None,
            }),
            P::Guid => match &v {
                Value::Guid(g) => Value::Guid(*g),
                Value::String(s) => Value::Guid(uuid::Uuid::parse_str(s.trim()).ok()?),
                _ => return None,
            },
            P::Date => match &v {
                Value::Date(d) => Value::Date(*d),
                Value::DateTimeOffset(d) => Value::Date(d.date()),
                Value::String(s) => Value::Date(Date::parse(s.trim()).ok()?),
                _ => return None,
            },
            P::TimeOfDay => match &v {
                Value::TimeOfDay(t) => Value::TimeOfDay(*t),
                Value::DateTimeOffset(d) => Value::TimeOfDay(d.time_of_day()),
                Value::String(s) => Value::TimeOfDay(TimeOfDay::parse(s.trim()).ok()?),
                _ => return None,
            },
            P::DateTimeOffset => match &v {
                Value::DateTimeOffset(d) => Value::DateTimeOffset(d.clone()),
                Value::Date(d) => Value::DateTimeOffset(DateTimeOffset::from_utc_ticks(
                    d.days_from_epoch().checked_mul(TICKS_PER_DAY)?,
                    0,
                )?),
                Value::String(s) => Value::DateTimeOffset(DateTimeOffset::parse(s.trim()).ok()?),
                _ => return None,
            },
            P::Duration => match &v {
                Value::Duration(d) => Value::Duration(*d),
                Value::String(s) => Value::Duration(Duration::parse(s.trim()).ok()?),
                _ => return None,
            },
            P::Binary => match &v {
                Value::Binary(b) => Value::Binary(b.clone()),
                Value::String(s) if from.is(P::Binary) => Value::Binary(parse_base64(s)?),
                _ => return None,
            },
            // The binder refuses casts to spatial types; a value already of the type stays.
            P::GeographyPoint
            | P::GeographyLineString
            | P::GeographyPolygon
            | P::GeometryPoint
            | P::GeometryLineString
            | P::GeometryPolygon => match &v {
                Value::Geo(g) if g.kind() == *p => v.clone(),
                _ => return None,
            },
        }),
        ExprType::Complex(_) | ExprType::Collection(_) | ExprType::Entity(_) | ExprType::Null => {
            None
        }
    }
}

/// The canonical text of a value (enum members by name).
fn to_text(model: &Model, v: &Value, from: &ExprType) -> Option<String> {
    Some(match v {
        Value::Null | Value::Json(_) | Value::Geo(_) => return None,
        Value::Boolean(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Double(f) if f.is_nan() => "NaN".to_owned(),
        Value::Double(f) if f.is_infinite() => if *f > 0.0 { "INF" } else { "-INF" }.to_owned(),
        Value::Double(f) => f.to_string(),
        Value::Decimal(d) => decimal_text(d),
        Value::Binary(b) => base64url(b),
        Value::String(s) => s.clone(),
        Value::Guid(g) => g.to_string(),
        Value::Date(d) => d.to_string(),
        Value::TimeOfDay(t) => t.to_string(),
        Value::DateTimeOffset(d) => d.as_str().to_owned(),
        Value::Duration(d) => d.to_string(),
        Value::Enum(n) => match from {
            ExprType::Enum(id) => model
                .enum_type(*id)
                .format_value(*n)
                .unwrap_or_else(|| n.to_string()),
            _ => n.to_string(),
        },
    })
}

/// `isof(v, ty)` for a value of static type `from`: null for null, the static type for
/// primitives and enums, the JSON `@odata.type` (else the static type) for complex values.
pub(super) fn isof(model: &Model, v: &Value, from: &ExprType, ty: &ExprType) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    if let (ExprType::Complex(target), ExprType::Complex(declared)) = (ty, from) {
        let actual = match v {
            Value::Json(j) => j
                .get("@odata.type")
                .and_then(serde_json::Value::as_str)
                .map(|t| t.trim_start_matches('#'))
                .and_then(|t| match model.find_type(t) {
                    Some(TypeKind::Complex(c)) => Some(c),
                    _ => None,
                })
                .unwrap_or(*declared),
            _ => *declared,
        };
        return Value::Boolean(model.complex_derives_from(actual, *target));
    }
    Value::Boolean(from == ty)
}
