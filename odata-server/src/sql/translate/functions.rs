//! The built-in string, date and time, and arithmetic functions (`contains` …
//! `ceiling`); the date and time parts are in [`super::temporal`].

use odata_core::bind::{BoundExpr, ExprType, Function, function_name};
use odata_core::edm::{PrimitiveKind, SpatialFamily};
use odata_core::error::ODataError;
use odata_core::value::{DateTimeOffset, DecimalOp, DecimalRounding, TICKS_PER_SECOND, Value};

use super::temporal::dto_literal;
use super::{Translator, Val, internal, not_implemented};
use crate::sql::dialect::ExprDialect;
use crate::sql::frag::{Frag, frag};

/// Every character Rust's `char::is_whitespace` (Unicode `White_Space`) accepts, which is
/// what `str::trim` removes; bound as `trim`'s character set.
const WHITESPACE: &str = concat!(
    "\u{9}\u{a}\u{b}\u{c}\u{d}\u{20}\u{85}\u{a0}\u{1680}",
    "\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}",
    "\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}"
);

/// The largest 32-bit integer.
const I32_MAX: i64 = i32::MAX as i64;

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// A call of a built-in function.
    pub(super) fn call(
        &mut self,
        function: Function,
        args: &[BoundExpr],
    ) -> Result<Val, ODataError> {
        let arg_type = args.first().map(BoundExpr::ty);
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.value(a)?);
        }
        let arity = |n: usize| {
            if vals.len() == n {
                Ok(())
            } else {
                Err(internal(format!(
                    "{} with {} arguments",
                    function_name(function),
                    vals.len()
                )))
            }
        };
        let dialect = self.dialect;
        let scalar = |v: &Val| v.clone().comparable();
        Ok(Val::Scalar(match function {
            Function::Contains => {
                arity(2)?;
                frag![
                    "(",
                    dialect.position(scalar(&vals[0]), scalar(&vals[1])),
                    " > 0)"
                ]
            }
            Function::StartsWith => {
                arity(2)?;
                self.share(vec![scalar(&vals[0]), scalar(&vals[1])], |v| {
                    let (s, t) = (&v[0], &v[1]);
                    frag!["(substr(", s, ", 1, length(", t, ")) = ", t, ")"]
                })
            }
            Function::EndsWith => {
                arity(2)?;
                self.share(vec![scalar(&vals[0]), scalar(&vals[1])], |v| {
                    let (s, t) = (&v[0], &v[1]);
                    frag![
                        "(length(",
                        s,
                        ") >= length(",
                        t,
                        ") AND substr(",
                        s,
                        ", length(",
                        s,
                        ") - length(",
                        t,
                        ") + 1) = ",
                        t,
                        ")"
                    ]
                })
            }
            Function::Length => {
                arity(1)?;
                frag!["length(", scalar(&vals[0]), ")"]
            }
            Function::IndexOf => {
                arity(2)?;
                frag![
                    "(",
                    dialect.position(scalar(&vals[0]), scalar(&vals[1])),
                    " - 1)"
                ]
            }
            Function::Substring => {
                // Negative positions and lengths count as zero.
                // (No text is as long as the clamps.)
                let s = scalar(&vals[0]);
                let start = self.clamped(&args[1], scalar(&vals[1]), I32_MAX - 1);
                let start = frag!["(", start, " + 1)"];
                match vals.len() {
                    2 => dialect.substring(s, start, None),
                    3 => {
                        let len = self.clamped(&args[2], scalar(&vals[2]), I32_MAX);
                        dialect.substring(s, start, Some(len))
                    }
                    _ => return Err(internal("substring arity")),
                }
            }
            Function::ToLower | Function::ToUpper => {
                arity(1)?;
                dialect.fold_case(scalar(&vals[0]), function == Function::ToUpper)
            }
            Function::Trim => {
                arity(1)?;
                dialect.trim_characters(scalar(&vals[0]), Frag::param(WHITESPACE))
            }
            Function::Concat => {
                arity(2)?;
                frag!["(", scalar(&vals[0]), " || ", scalar(&vals[1]), ")"]
            }
            Function::Year
            | Function::Month
            | Function::Day
            | Function::Hour
            | Function::Minute
            | Function::Second
            | Function::FractionalSeconds
            | Function::Date
            | Function::Time
            | Function::TotalOffsetMinutes => {
                arity(1)?;
                let arg_type = arg_type.unwrap_or(ExprType::Null);
                return self.temporal_part(function, vals.remove(0), &arg_type);
            }
            Function::TotalSeconds => {
                arity(1)?;
                ticks_to_seconds(dialect, scalar(&vals[0]))
            }
            Function::MinDateTime => {
                return Ok(Val::Dto(dto_literal(&DateTimeOffset::min_value())));
            }
            Function::MaxDateTime => {
                let max = DateTimeOffset::parse("9999-12-31T23:59:59.9999999Z")
                    .map_err(|e| internal(e.to_string()))?;
                return Ok(Val::Dto(dto_literal(&max)));
            }
            Function::Now => {
                let now = DateTimeOffset::from_chrono(&chrono::Utc::now().fixed_offset())
                    .ok_or_else(|| internal("the current time"))?;
                return Ok(Val::Dto(dto_literal(&now)));
            }
            Function::Round | Function::Floor | Function::Ceiling
                if arg_type
                    .as_ref()
                    .is_some_and(|t| t.is(PrimitiveKind::Decimal))
                    && let Some(rounded) = dialect.decimal_round(
                        scalar(&vals[0]),
                        match function {
                            Function::Round => DecimalRounding::HalfAwayFromZero,
                            Function::Floor => DecimalRounding::Floor,
                            _ => DecimalRounding::Ceiling,
                        },
                    ) =>
            {
                rounded
            }
            Function::Round => {
                arity(1)?;
                if arg_type.as_ref().is_some_and(ExprType::is_integer) {
                    scalar(&vals[0])
                } else {
                    self.share(vec![scalar(&vals[0])], |v| dialect.round_half_away(&v[0]))
                }
            }
            Function::Floor | Function::Ceiling => {
                arity(1)?;
                let x = scalar(&vals[0]);
                if arg_type.as_ref().is_some_and(ExprType::is_integer) {
                    x
                } else {
                    let ceiling = function == Function::Ceiling;
                    self.share(vec![x], |v| dialect.floor_or_ceiling(&v[0], ceiling))
                }
            }
            Function::MatchesPattern => {
                arity(2)?;
                let BoundExpr::Literal {
                    value: Value::String(pattern),
                    ..
                } = &args[1]
                else {
                    return Err(not_implemented("A pattern that is not a string literal"));
                };
                dialect.matches_pattern(scalar(&vals[0]), pattern)?
            }
            Function::GeoDistance => {
                arity(2)?;
                let family = spatial_family(args)?;
                let alias = self.next_alias("g");
                self.share(vec![scalar(&vals[0]), scalar(&vals[1])], |v| {
                    dialect.geo_distance(&v[0], &v[1], family, &alias)
                })
            }
            Function::GeoLength => {
                arity(1)?;
                let family = spatial_family(args)?;
                let aliases = [self.next_alias("g"), self.next_alias("g")];
                self.share(vec![scalar(&vals[0])], |v| {
                    dialect.geo_length(&v[0], family, [&aliases[0], &aliases[1]])
                })
            }
            Function::GeoIntersects => {
                arity(2)?;
                let aliases = [
                    self.next_alias("g"),
                    self.next_alias("g"),
                    self.next_alias("g"),
                ];
                self.share(vec![scalar(&vals[0]), scalar(&vals[1])], |v| {
                    dialect.geo_intersects(&v[0], &v[1], [&aliases[0], &aliases[1], &aliases[2]])
                })
            }
        }))
    }
}

/// The spatial family of a geo function's arguments (the binder made them agree).
fn spatial_family(args: &[BoundExpr]) -> Result<SpatialFamily, ODataError> {
    args.iter()
        .find_map(|a| a.ty().primitive().and_then(|p| p.spatial()))
        .map(|(family, _)| family)
        .ok_or_else(|| internal("a geo function without a spatial argument"))
}

/// Edm.Decimal seconds of `ticks` (an integer): exact where decimals are text (SQLite's
/// decimal division), else the database's division by a decimal constant.
pub(super) fn ticks_to_seconds(dialect: &impl ExprDialect, ticks: Frag) -> Frag {
    let per_second = Frag::sql(TICKS_PER_SECOND.to_string());
    dialect
        .decimal_arith(DecimalOp::Div, ticks.clone(), per_second)
        .unwrap_or_else(|| frag!["(", ticks, format!(" / {TICKS_PER_SECOND}.0)").as_str()])
}
