//! Arithmetic: numbers, Duration scaling, Date and DateTimeOffset shifted by a Duration,
//! and differences of dates and instants; the null-for-zero divisor and clamping helpers.
//!
//! Decimal arithmetic goes through [`ExprDialect::decimal_arith`] where decimals are text
//! (SQLite: exact, the evaluator's rules) and through the database's operators on NUMERIC
//! otherwise; a decimal operand of double arithmetic is converted to a double first.

use odata_core::bind::{ArithOp, BoundExpr, ExprType};
use odata_core::edm::PrimitiveKind;
use odata_core::error::ODataError;
use odata_core::value::{DecimalOp, TICKS_PER_DAY, TICKS_PER_SECOND};

use super::temporal::{Dto, floor_mod};
use super::{Translator, Val, internal};
use crate::sql::dialect::ExprDialect;
use crate::sql::frag::{Frag, frag};

/// `r`, or null for zero: division and remainder by zero are null on every database.
fn nonzero(r: Frag) -> Frag {
    frag!["NULLIF(", r, ", 0)"]
}

/// `x` (atomic) within `0..=max`; null for null.
pub(super) fn clamp(x: &Frag, max: i64) -> Frag {
    frag![
        "(CASE WHEN ",
        x,
        " < 0 THEN 0 WHEN ",
        x,
        format!(" > {max} THEN {max} ELSE ").as_str(),
        x,
        " END)"
    ]
}

/// The decimal operator of an arithmetic operator (`divby` divides like `div`).
fn decimal_op(op: ArithOp) -> DecimalOp {
    match op {
        ArithOp::Add => DecimalOp::Add,
        ArithOp::Sub => DecimalOp::Sub,
        ArithOp::Mul => DecimalOp::Mul,
        ArithOp::Div | ArithOp::DivBy => DecimalOp::Div,
        ArithOp::Mod => DecimalOp::Mod,
    }
}

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// `left op right` for numbers, Durations, Dates and DateTimeOffsets.
    pub(super) fn arith(
        &mut self,
        op: ArithOp,
        left: &BoundExpr,
        right: &BoundExpr,
        ty: &ExprType,
    ) -> Result<Val, ODataError> {
        let lt = left.ty();
        let rt = right.ty();
        let l = self.value(left)?;
        let r = self.value(right)?;
        match (l, r) {
            (Val::Dto(d), Val::Scalar(duration)) => {
                let sign = match op {
                    ArithOp::Add => " + ",
                    ArithOp::Sub => " - ",
                    _ => return Err(internal("DateTimeOffset arithmetic other than add/sub")),
                };
                // `0 * duration` makes the offset null with the duration.
                let offset = self.dto_offset(&d)?;
                Ok(Val::Dto(Dto {
                    ticks: frag!["(", d.ticks, sign, &duration, ")"],
                    offset: Some(frag!["(", offset, " + 0 * ", duration, ")"]),
                    text: None,
                }))
            }
            (Val::Scalar(duration), Val::Dto(d)) if op == ArithOp::Add => {
                let offset = self.dto_offset(&d)?;
                Ok(Val::Dto(Dto {
                    ticks: frag!["(", &duration, " + ", d.ticks, ")"],
                    offset: Some(frag!["(", offset, " + 0 * ", duration, ")"]),
                    text: None,
                }))
            }
            (Val::Dto(a), Val::Dto(b)) if op == ArithOp::Sub => {
                Ok(Val::Scalar(frag!["(", a.ticks, " - ", b.ticks, ")"]))
            }
            (Val::Dto(_), Val::Dto(_)) | (Val::Scalar(_), Val::Dto(_)) => {
                Err(internal("unsupported DateTimeOffset arithmetic"))
            }
            (Val::Scalar(l), Val::Scalar(r)) => {
                let date = |t: &ExprType| t.is(PrimitiveKind::Date);
                if date(&lt) && date(&rt) && op == ArithOp::Sub {
                    let days = frag![
                        "(",
                        self.dialect.epoch_seconds(l),
                        " - ",
                        self.dialect.epoch_seconds(r),
                        ")"
                    ];
                    return Ok(Val::Scalar(frag![
                        days,
                        format!(" * {TICKS_PER_SECOND}").as_str()
                    ]));
                }
                let duration = |t: &ExprType| t.is(PrimitiveKind::Duration);
                if date(&lt) || date(&rt) {
                    // Date ± Duration: midnight moved by the duration, floored to the day.
                    let (day, shift) = match (op, date(&lt)) {
                        (ArithOp::Add, true) => (l, r),
                        (ArithOp::Add, false) => (r, l),
                        (ArithOp::Sub, true) => (l, frag!["(- ", r, ")"]),
                        _ => return Err(internal("unsupported Edm.Date arithmetic")),
                    };
                    let dialect = self.dialect;
                    let moved = frag![
                        "(",
                        dialect.epoch_seconds(day),
                        format!(" / 86400 * {TICKS_PER_DAY} + ").as_str(),
                        shift,
                        ")"
                    ];
                    return Ok(Val::Scalar(self.share(vec![moved], |v| {
                        let x = &v[0];
                        dialect.date_from_epoch_days(frag![
                            "(",
                            x,
                            " - ",
                            floor_mod(x, TICKS_PER_DAY),
                            format!(") / {TICKS_PER_DAY}").as_str()
                        ])
                    })));
                }
                if duration(ty) && !(duration(&lt) && duration(&rt)) {
                    // Duration scaled by a number: whole ticks, truncated toward zero.
                    let number = if duration(&lt) { &rt } else { &lt };
                    let dialect = self.dialect;
                    // By a decimal: the exact product or quotient, truncated.
                    if number.is(PrimitiveKind::Decimal)
                        && matches!(op, ArithOp::Mul | ArithOp::Div | ArithOp::DivBy)
                        && let Some(scaled) =
                            dialect.decimal_arith(decimal_op(op), l.clone(), r.clone())
                        && let Some(ticks) = dialect.decimal_to_integer(scaled)
                    {
                        return Ok(Val::Scalar(ticks));
                    }
                    return Ok(Val::Scalar(match op {
                        ArithOp::Mul if number.is_integer() => frag!["(", l, " * ", r, ")"],
                        ArithOp::Mul => dialect.truncate_to_integer(frag!["(", l, " * ", r, ")"]),
                        ArithOp::Div | ArithOp::DivBy if number.is_integer() => {
                            frag!["(", l, " / ", nonzero(r), ")"]
                        }
                        ArithOp::Div | ArithOp::DivBy => dialect.truncate_to_integer(frag![
                            "(",
                            self.real(l),
                            " / ",
                            nonzero(r),
                            ")"
                        ]),
                        _ => return Err(internal("unsupported Edm.Duration arithmetic")),
                    }));
                }
                let integer = ty.is_integer();
                let dialect = self.dialect;
                if ty.is(PrimitiveKind::Decimal)
                    && let Some(exact) = dialect.decimal_arith(decimal_op(op), l.clone(), r.clone())
                {
                    return Ok(Val::Scalar(exact));
                }
                // A decimal operand of double arithmetic is a double first, as the
                // evaluator converts it (on SQLite it is text, which SQL's operators
                // would read loosely).
                let (l, r) = if ty.is(PrimitiveKind::Double) || ty.is(PrimitiveKind::Single) {
                    let double = |x: Frag, t: &ExprType| {
                        if t.is(PrimitiveKind::Decimal) {
                            dialect.decimal_to_double(x)
                        } else {
                            x
                        }
                    };
                    (double(l, &lt), double(r, &rt))
                } else {
                    (l, r)
                };
                Ok(Val::Scalar(match op {
                    ArithOp::Add => frag!["(", l, " + ", r, ")"],
                    ArithOp::Sub => frag!["(", l, " - ", r, ")"],
                    ArithOp::Mul => frag!["(", l, " * ", r, ")"],
                    ArithOp::Div if integer => frag!["(", l, " / ", nonzero(r), ")"],
                    // A decimal quotient stays exact where the dialect's decimals are.
                    ArithOp::Div | ArithOp::DivBy if ty.is(PrimitiveKind::Decimal) => {
                        frag!["(", dialect.to_decimal(l), " / ", nonzero(r), ")"]
                    }
                    ArithOp::Div | ArithOp::DivBy => {
                        frag!["(", self.real(l), " / ", nonzero(r), ")"]
                    }
                    ArithOp::Mod if integer => frag!["(", l, " % ", nonzero(r), ")"],
                    // An exact decimal remainder (sign of the dividend) where decimals are
                    // a numeric type of the database (PostgreSQL's NUMERIC `%`).
                    ArithOp::Mod if ty.is(PrimitiveKind::Decimal) => {
                        frag!["(", dialect.to_decimal(l), " % ", nonzero(r), ")"]
                    }
                    // `%` is for integers only: l - r·trunc(l/r).
                    ArithOp::Mod => self.share(vec![l, r], |v| {
                        let (l, r) = (&v[0], &v[1]);
                        let quotient = frag![
                            "(CAST(",
                            l,
                            " AS ",
                            dialect.real_type(),
                            ") / ",
                            nonzero(r.clone()),
                            ")"
                        ];
                        frag!["(", l, " - ", r, " * ", dialect.truncate(quotient), ")"]
                    }),
                }))
            }
        }
    }
}
