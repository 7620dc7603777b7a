//! Literals: untyped literal text → typed [`Value`]s, and the conversions a literal
//! undergoes when the other operand fixes its type (string → enum member, string →
//! duration, integer → enum value, numeric widening).

use bigdecimal::ToPrimitive;

use crate::edm::{EnumTypeId, PrimitiveKind, SpatialFamily, TypeKind};
use crate::error::ODataError;
use crate::query::{GeoKind, Literal, NumberKind};
use crate::value::{
    Date, DateTimeOffset, Decimal, Duration, Geo, GeoError, TimeOfDay, Value, parse_base64,
    parse_decimal,
};

use super::binder::Binder;
use super::typed::{BoundExpr, ExprType};
use super::types::numeric_rank;

/// A literal node.
pub(super) fn lit(value: Value, ty: ExprType) -> BoundExpr {
    BoundExpr::Literal { value, ty }
}

/// A literal of a primitive kind.
fn prim(value: Value, kind: PrimitiveKind) -> BoundExpr {
    lit(value, ExprType::Primitive(kind))
}

impl Binder<'_, '_> {
    /// Converts one literal.
    pub(super) fn bind_literal(&self, literal: &Literal) -> Result<BoundExpr, ODataError> {
        Ok(match literal {
            Literal::Null => lit(Value::Null, ExprType::Null),
            Literal::Bool(b) => prim(Value::Boolean(*b), PrimitiveKind::Boolean),
            Literal::Number { text, kind } => self.number(text, *kind)?,
            Literal::String(s) => prim(Value::String(s.clone()), PrimitiveKind::String),
            Literal::Guid(text) => match uuid::Uuid::parse_str(text) {
                Ok(g) => prim(Value::Guid(g), PrimitiveKind::Guid),
                Err(_) => {
                    return Err(self.err(format!(
                        "invalid Edm.Guid '{text}': expected 8-4-4-4-12 hexadecimal digits"
                    )));
                }
            },
            Literal::Date(text) => match Date::parse(text) {
                Ok(d) => prim(Value::Date(d), PrimitiveKind::Date),
                Err(e) => return Err(self.err(e.to_string())),
            },
            Literal::DateTimeOffset(text) => match DateTimeOffset::parse(text) {
                Ok(d) => prim(Value::DateTimeOffset(d), PrimitiveKind::DateTimeOffset),
                Err(e) => return Err(self.err(e.to_string())),
            },
            Literal::TimeOfDay(text) => match TimeOfDay::parse(text) {
                Ok(t) => prim(Value::TimeOfDay(t), PrimitiveKind::TimeOfDay),
                Err(e) => return Err(self.err(e.to_string())),
            },
            Literal::Duration(text) => match Duration::parse(text) {
                Ok(d) => prim(Value::Duration(d), PrimitiveKind::Duration),
                Err(e) => return Err(self.err(e.to_string())),
            },
            Literal::Enum { type_name, value } => self.enum_literal(type_name, value)?,
            Literal::Binary(text) => match parse_base64(text) {
                Some(bytes) => prim(Value::Binary(bytes), PrimitiveKind::Binary),
                None => {
                    return Err(self.err(format!(
                        "invalid Edm.Binary literal binary'{text}': expected base64url or base64"
                    )));
                }
            },
            Literal::Geo { kind, text } => {
                let family = match kind {
                    GeoKind::Geography => SpatialFamily::Geography,
                    GeoKind::Geometry => SpatialFamily::Geometry,
                };
                match Geo::parse_literal(text, family) {
                    Ok(g) => {
                        let kind = g.kind();
                        prim(Value::Geo(g), kind)
                    }
                    Err(GeoError::Invalid(m)) => {
                        return Err(
                            self.err(format!("invalid {} literal '{text}': {m}", family.name()))
                        );
                    }
                    Err(GeoError::Unsupported(m)) => return Err(self.not_implemented(m)),
                }
            }
        })
    }

    /// A number: integer syntax → Int32 if it fits, else Int64, else Decimal (an integer
    /// Decimal, which an integer operand refuses as out of range); decimal syntax →
    /// Decimal; exponent, `INF` or `NaN` → Double; the suffix `f` → Single (the nearest
    /// `f32`).
    fn number(&self, text: &str, kind: NumberKind) -> Result<BoundExpr, ODataError> {
        if kind == NumberKind::Single {
            let f = match text {
                "INF" => f32::INFINITY,
                "-INF" => f32::NEG_INFINITY,
                "NaN" => f32::NAN,
                _ => text
                    .parse::<f32>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| {
                        self.err(format!(
                            "the literal {text}f is out of the range of Edm.Single"
                        ))
                    })?,
            };
            return Ok(prim(Value::Double(f64::from(f)), PrimitiveKind::Single));
        }
        if kind == NumberKind::Int
            && let Ok(n) = text.parse::<i64>()
        {
            let k = if i32::try_from(n).is_ok() {
                PrimitiveKind::Int32
            } else {
                PrimitiveKind::Int64
            };
            return Ok(prim(Value::Int(n), k));
        }
        if kind != NumberKind::Double
            && let Some(d) = parse_decimal(text)
        {
            return Ok(prim(Value::Decimal(d), PrimitiveKind::Decimal));
        }
        let f = match text {
            "INF" => f64::INFINITY,
            "-INF" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            _ => text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| {
                    self.err(format!(
                        "the literal {text} is out of the range of Edm.Double"
                    ))
                })?,
        };
        Ok(prim(Value::Double(f), PrimitiveKind::Double))
    }

    /// `NS.Type'member'`: the type must be an enumeration of the model, the value one of
    /// its members (or, for flags enums, a combination).
    fn enum_literal(&self, type_name: &str, value: &str) -> Result<BoundExpr, ODataError> {
        let model = self.ctx.model;
        let Some(TypeKind::Enum(id)) = model.find_type(type_name) else {
            return Err(self.err(format!(
                "'{type_name}' is not an enumeration type of the model"
            )));
        };
        let ty = model.enum_type(id);
        match ty.parse_value(value) {
            Some(n) => Ok(lit(Value::Enum(n), ExprType::Enum(id))),
            None => Err(self.err(format!(
                "'{value}' is not a member of '{}'; allowed members: {}",
                ty.qualified_name,
                ty.member_list()
            ))),
        }
    }

    /// Adapts `expr` to a `target` type fixed by the other operand. Only literals change:
    /// a string literal becomes a member of an enumeration `target` and an integer literal
    /// its underlying value (valid or not: `state eq 99` is false for every row), a string
    /// literal becomes an `Edm.Duration` (4.01 allows `'PT1H'` without the `duration`
    /// prefix), and a numeric literal is widened losslessly to a wider numeric `target`
    /// (Int → Decimal/Double, Decimal → Double). `other` is the other operand, named in
    /// messages. Everything else is returned unchanged; compatibility is checked by the
    /// caller.
    pub(super) fn coerce(
        &self,
        expr: BoundExpr,
        target: &ExprType,
        other: Option<&BoundExpr>,
    ) -> Result<BoundExpr, ODataError> {
        let BoundExpr::Literal { value, ty } = &expr else {
            return Ok(expr);
        };
        match (target, ty, value) {
            (ExprType::Enum(id), ExprType::Primitive(PrimitiveKind::String), Value::String(s)) => {
                self.enum_member(*id, s, other)
            }
            // An integer means the underlying value: one that is no value of the type
            // matches nothing rather than failing the request.
            (ExprType::Enum(id), t, Value::Int(n)) if t.is_integer() => {
                Ok(lit(Value::Enum(*n), ExprType::Enum(*id)))
            }
            (
                ExprType::Primitive(PrimitiveKind::Duration),
                ExprType::Primitive(PrimitiveKind::String),
                Value::String(s),
            ) => match Duration::parse(s) {
                Ok(d) => Ok(prim(Value::Duration(d), PrimitiveKind::Duration)),
                Err(e) => Err(self.err(format!("{e} (for {})", self.describe_short(other)))),
            },
            // An integer literal beyond Int64 (integer syntax: scale 0) cannot be compared
            // with an integer operand without changing its value.
            (ExprType::Primitive(to), _, Value::Decimal(d))
                if to.integer_range().is_some() && d.as_bigint_and_exponent().1 <= 0 =>
            {
                Err(self.err(format!(
                    "the literal {d} is out of the range of Edm.Int64 (for {})",
                    self.describe_short(other)
                )))
            }
            (ExprType::Primitive(to), ExprType::Primitive(from), v) => {
                let (Some(to_rank), Some(from_rank)) = (numeric_rank(*to), numeric_rank(*from))
                else {
                    return Ok(expr);
                };
                if to_rank <= from_rank {
                    return Ok(expr);
                }
                Ok(match (to_rank, v) {
                    (1, Value::Int(n)) => prim(Value::Int(*n), PrimitiveKind::Int64),
                    (2, Value::Int(n)) => prim(Value::Decimal(Decimal::from(*n)), *to),
                    (3, Value::Int(n)) => prim(Value::Double(*n as f64), PrimitiveKind::Double),
                    (3, Value::Decimal(d)) => match d.to_f64() {
                        Some(f) => prim(Value::Double(f), PrimitiveKind::Double),
                        None => expr,
                    },
                    _ => expr,
                })
            }
            _ => Ok(expr),
        }
    }

    /// The enum literal for a member name or number of enumeration `id`.
    fn enum_member(
        &self,
        id: EnumTypeId,
        text: &str,
        other: Option<&BoundExpr>,
    ) -> Result<BoundExpr, ODataError> {
        let ty = self.ctx.model.enum_type(id);
        match ty.parse_value(text) {
            Some(n) => Ok(lit(Value::Enum(n), ExprType::Enum(id))),
            None => Err(self.err(format!(
                "'{text}' is not a member of '{}' ({}); allowed members: {}",
                ty.qualified_name,
                self.describe_short(other),
                ty.member_list()
            ))),
        }
    }
}
