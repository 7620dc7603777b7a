//! Comparison, ordering and arithmetic on [`Value`]s.

use std::cmp::Ordering;

use bigdecimal::{RoundingMode, ToPrimitive, Zero};

use crate::bind::{ArithOp, CompareOp, ExprType};
use crate::edm::PrimitiveKind;
use crate::error::ODataError;
use crate::value::{
    self as decimal, Date, DateTimeOffset, Decimal, DecimalOp, Duration, TICKS_PER_DAY, Value,
};

use super::type_error;

/// A number in one of the three arithmetic domains.
#[derive(Debug, Clone)]
enum Num {
    I(i64),
    D(Decimal),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(n) => Some(Num::I(*n)),
        Value::Decimal(d) => Some(Num::D(d.clone())),
        Value::Double(f) => Some(Num::F(*f)),
        _ => None,
    }
}

fn to_f64(n: &Num) -> f64 {
    match *n {
        Num::I(i) => i as f64,
        Num::D(ref d) => d.to_f64().unwrap_or(f64::NAN),
        Num::F(f) => f,
    }
}

fn num_order(a: Num, b: Num) -> Option<Ordering> {
    match (&a, &b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(y)),
        (Num::I(x), Num::D(y)) => Some(Decimal::from(*x).cmp(y)),
        (Num::D(x), Num::I(y)) => Some(x.cmp(&Decimal::from(*y))),
        (Num::D(x), Num::D(y)) => Some(x.cmp(y)),
        _ => to_f64(&a).partial_cmp(&to_f64(&b)),
    }
}

/// The order of two non-null values of comparable types; `None` when they are not
/// comparable (different types, or a NaN).
pub(super) fn order(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return num_order(x, y);
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Boolean(x), Value::Boolean(y)) => Some(x.cmp(y)),
        (Value::Guid(x), Value::Guid(y)) => Some(x.cmp(y)),
        (Value::Binary(x), Value::Binary(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::TimeOfDay(x), Value::TimeOfDay(y)) => Some(x.cmp(y)),
        (Value::DateTimeOffset(x), Value::DateTimeOffset(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Enum(x), Value::Enum(y))
        | (Value::Enum(x), Value::Int(y))
        | (Value::Int(x), Value::Enum(y)) => Some(x.cmp(y)),
        (Value::Json(x), Value::Json(y)) if x == y => Some(Ordering::Equal),
        _ => None,
    }
}

/// `eq`: null eq null is true, null eq a value is false.
pub(super) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => order(a, b) == Some(Ordering::Equal),
    }
}

/// A comparison: two-valued, ordering operators false when either side is null.
pub(super) fn compare(op: CompareOp, a: &Value, b: &Value) -> bool {
    match op {
        CompareOp::Eq => equal(a, b),
        CompareOp::Ne => !equal(a, b),
        _ if a.is_null() || b.is_null() => false,
        CompareOp::Gt => order(a, b) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::Lt => order(a, b) == Some(Ordering::Less),
        CompareOp::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
    }
}

/// A total order for sorting: nulls first, NaN after all numbers, values of different
/// types by a fixed type rank.
pub(super) fn sort_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => order(a, b).unwrap_or_else(|| match (num(a), num(b)) {
            (Some(x), Some(y)) => to_f64(&x).total_cmp(&to_f64(&y)),
            _ => variant_rank(a).cmp(&variant_rank(b)),
        }),
    }
}

fn variant_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Boolean(_) => 1,
        Value::Int(_) | Value::Decimal(_) | Value::Double(_) | Value::Enum(_) => 2,
        Value::String(_) => 3,
        Value::Guid(_) => 4,
        Value::Date(_) => 5,
        Value::TimeOfDay(_) => 6,
        Value::DateTimeOffset(_) => 7,
        Value::Duration(_) => 8,
        Value::Json(_) => 9,
        Value::Binary(_) => 10,
        Value::Geo(_) => 10,
    }
}

/// The variant's name, for internal error messages.
pub(super) fn variant_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Boolean(_) => "a Boolean",
        Value::Int(_) => "an integer",
        Value::Double(_) => "a double",
        Value::Decimal(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Guid(_) => "a GUID",
        Value::Date(_) => "a date",
        Value::TimeOfDay(_) => "a time of day",
        Value::DateTimeOffset(_) => "a DateTimeOffset",
        Value::Duration(_) => "a duration",
        Value::Enum(_) => "an enumeration value",
        Value::Json(_) => "a complex or collection value",
        Value::Binary(_) => "a binary value",
        Value::Geo(_) => "a spatial value",
    }
}

/// 400 "arithmetic overflow".
pub(super) fn overflow(op: &str) -> ODataError {
    ODataError::bad_request(format!("arithmetic overflow in '{op}'"))
}

/// 400 "division by zero".
fn division_by_zero(op: &str) -> ODataError {
    ODataError::bad_request(format!("division by zero in '{op}'"))
}

fn keyword(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "add",
        ArithOp::Sub => "sub",
        ArithOp::Mul => "mul",
        ArithOp::Div => "div",
        ArithOp::DivBy => "divby",
        ArithOp::Mod => "mod",
    }
}

/// Arithmetic negation.
pub(super) fn neg(v: Value) -> Result<Value, ODataError> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int(n) => Value::Int(n.checked_neg().ok_or_else(|| overflow("-"))?),
        Value::Decimal(d) => Value::Decimal(-d),
        Value::Double(f) => Value::Double(-f),
        Value::Duration(d) => Value::Duration(d.checked_neg().ok_or_else(|| overflow("-"))?),
        other => return Err(type_error("a number or a duration", &other)),
    })
}

/// Arithmetic with result type `ty` (which fixes the numeric domain).
pub(super) fn arith(op: ArithOp, a: Value, b: Value, ty: &ExprType) -> Result<Value, ODataError> {
    use PrimitiveKind as P;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    let kw = keyword(op);
    let Some(kind) = ty.primitive() else {
        return Ok(Value::Null);
    };
    if let (Some(x), Some(y)) = (num(&a), num(&b)) {
        return match kind {
            P::Double | P::Single => Ok(Value::Double(float_arith(op, to_f64(&x), to_f64(&y)))),
            P::Decimal => decimal_arith(op, to_decimal(x, kw)?, to_decimal(y, kw)?),
            _ => match (x, y) {
                (Num::I(x), Num::I(y)) => int_arith(op, x, y),
                _ => Err(type_error("integers", &a)),
            },
        };
    }
    let ticks = |d: &Duration| d.ticks();
    match (&a, &b) {
        (Value::DateTimeOffset(t), Value::Duration(d)) => {
            let d = match op {
                ArithOp::Add => ticks(d),
                ArithOp::Sub => ticks(d).checked_neg().ok_or_else(|| overflow(kw))?,
                _ => return Err(type_error("a duration operator", &b)),
            };
            shift_dto(t, d, kw)
        }
        (Value::Duration(d), Value::DateTimeOffset(t)) if op == ArithOp::Add => {
            shift_dto(t, ticks(d), kw)
        }
        (Value::DateTimeOffset(x), Value::DateTimeOffset(y)) if op == ArithOp::Sub => {
            Ok(Value::Duration(Duration::from_ticks(
                x.utc_ticks()
                    .checked_sub(y.utc_ticks())
                    .ok_or_else(|| overflow(kw))?,
            )))
        }
        (Value::Date(x), Value::Duration(d)) => {
            let d = match op {
                ArithOp::Add => ticks(d),
                ArithOp::Sub => ticks(d).checked_neg().ok_or_else(|| overflow(kw))?,
                _ => return Err(type_error("a duration operator", &b)),
            };
            shift_date(*x, d, kw)
        }
        (Value::Duration(d), Value::Date(x)) if op == ArithOp::Add => shift_date(*x, ticks(d), kw),
        (Value::Date(x), Value::Date(y)) if op == ArithOp::Sub => {
            let days = x.days_from_epoch() - y.days_from_epoch();
            Ok(Value::Duration(Duration::from_ticks(
                days.checked_mul(TICKS_PER_DAY)
                    .ok_or_else(|| overflow(kw))?,
            )))
        }
        (Value::Duration(x), Value::Duration(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(*y),
                ArithOp::Sub => x.checked_sub(*y),
                _ => return Err(type_error("a duration operator", &b)),
            };
            Ok(Value::Duration(r.ok_or_else(|| overflow(kw))?))
        }
        (Value::Duration(d), n) | (n, Value::Duration(d)) => {
            let Some(n) = num(n) else {
                return Err(type_error("a number", n));
            };
            scale_duration(op, *d, n, matches!(a, Value::Duration(_)))
        }
        _ => Err(type_error("operands of an arithmetic operator", &a)),
    }
}

fn to_decimal(n: Num, op: &str) -> Result<Decimal, ODataError> {
    match n {
        Num::I(i) => Ok(Decimal::from(i)),
        Num::D(d) => Ok(d),
        // The shortest text that reads back as the double, not its binary expansion.
        Num::F(f) => decimal::decimal_from_f64(f).ok_or_else(|| overflow(op)),
    }
}

fn int_arith(op: ArithOp, x: i64, y: i64) -> Result<Value, ODataError> {
    let kw = keyword(op);
    if matches!(op, ArithOp::Div | ArithOp::Mod) && y == 0 {
        return Err(division_by_zero(kw));
    }
    let r = match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div => x.checked_div(y),
        ArithOp::Mod => x.checked_rem(y),
        ArithOp::DivBy => {
            return decimal_arith(op, Decimal::from(x), Decimal::from(y));
        }
    };
    r.map(Value::Int).ok_or_else(|| overflow(kw))
}

fn decimal_arith(op: ArithOp, x: Decimal, y: Decimal) -> Result<Value, ODataError> {
    let kw = keyword(op);
    // The shared rules (also SQLite's decimal functions): exact for add, sub, mul and
    // mod; a quotient keeps 100 significant digits.
    let op = match op {
        ArithOp::Add => DecimalOp::Add,
        ArithOp::Sub => DecimalOp::Sub,
        ArithOp::Mul => DecimalOp::Mul,
        ArithOp::Div | ArithOp::DivBy => DecimalOp::Div,
        ArithOp::Mod => DecimalOp::Mod,
    };
    decimal::decimal_arith(op, &x, &y)
        .map(Value::Decimal)
        .ok_or_else(|| division_by_zero(kw))
}

fn float_arith(op: ArithOp, x: f64, y: f64) -> f64 {
    match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div | ArithOp::DivBy => x / y,
        ArithOp::Mod => x % y,
    }
}

/// The instant `t` moved by `ticks`, in `t`'s offset.
fn shift_dto(t: &DateTimeOffset, ticks: i64, op: &str) -> Result<Value, ODataError> {
    t.utc_ticks()
        .checked_add(ticks)
        .and_then(|u| DateTimeOffset::from_utc_ticks(u, t.offset_minutes()))
        .map(Value::DateTimeOffset)
        .ok_or_else(|| overflow(op))
}

/// The date of midnight of `d` moved by `ticks` (floored to the day).
fn shift_date(d: Date, ticks: i64, op: &str) -> Result<Value, ODataError> {
    d.days_from_epoch()
        .checked_mul(TICKS_PER_DAY)
        .and_then(|t| t.checked_add(ticks))
        .and_then(|t| Date::from_days_from_epoch(t.div_euclid(TICKS_PER_DAY)))
        .map(Value::Date)
        .ok_or_else(|| overflow(op))
}

/// `Duration mul n`, `n mul Duration`, `Duration div n`, `Duration divby n`: whole ticks,
/// truncated toward zero.
fn scale_duration(
    op: ArithOp,
    d: Duration,
    n: Num,
    duration_left: bool,
) -> Result<Value, ODataError> {
    let kw = keyword(op);
    let divide = match op {
        ArithOp::Mul => false,
        ArithOp::Div | ArithOp::DivBy if duration_left => true,
        _ => return Err(type_error("a duration operator", &Value::Duration(d))),
    };
    let ticks = d.ticks();
    let r = match n {
        Num::I(i) => {
            if divide {
                if i == 0 {
                    return Err(division_by_zero(kw));
                }
                ticks.checked_div(i)
            } else {
                ticks.checked_mul(i)
            }
        }
        Num::D(x) => {
            if divide && x.is_zero() {
                return Err(division_by_zero(kw));
            }
            let t = Decimal::from(ticks);
            let r = if divide { t / x } else { t * x };
            r.with_scale_round(0, RoundingMode::Down).to_i64()
        }
        Num::F(x) => {
            let r = if divide {
                ticks as f64 / x
            } else {
                ticks as f64 * x
            };
            (r.is_finite() && r.abs() < 9.2e18).then_some(r.trunc() as i64)
        }
    };
    r.map(|t| Value::Duration(Duration::from_ticks(t)))
        .ok_or_else(|| overflow(kw))
}
