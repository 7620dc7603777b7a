//! Edm.Decimal arithmetic inside SQLite, which has no decimal type: the computations
//! behind the decimal functions [`super::sqlite_case`] registers on every connection.
//!
//! A decimal is held in SQL as its canonical text ([`decimal_text`]: `12.5`, `-0.001`,
//! `100`), the form it is stored in, so it keeps every digit. Arithmetic, `round`/`floor`/
//! `ceiling`, conversions and the aggregates `sum`, `average`, `min` and `max` read their
//! arguments as decimals ([`Arg::decimal`]: text exactly, an INTEGER exactly, a REAL as
//! the shortest decimal that reads back as it, like the evaluator's conversion of a
//! double) and compute with `odata_core::value`'s functions — the very code the
//! evaluator runs ([`decimal_arith`], [`decimal_round`]), so the answers are the
//! evaluator's by construction. Where the evaluator fails (division by zero), the
//! function gives null, as the SQL translation does for other types; a null or
//! unreadable argument gives null.
//!
//! Comparisons and ORDER BY go through [`DECIMAL_KEY`], whose text orders like the
//! numbers ([`decimal_sort_key`]).
//!
//! This module is safe code only; the C entry points that call it are in
//! [`super::sqlite_case`].

use odata_core::value::{
    Decimal, DecimalOp, DecimalRounding, decimal_arith, decimal_from_f64, decimal_round,
    decimal_sort_key, decimal_text, decimal_to_f64, decimal_trunc_i64, parse_decimal,
};

/// The SQL name of the decimal sort key: the text of [`decimal_sort_key`] of a decimal
/// argument, whose byte order is the numeric order, so comparisons and ORDER BY of
/// Edm.Decimal values are exact; null for null (and for an unreadable argument).
pub const DECIMAL_KEY: &str = "odata_decimal_key";
/// The SQL name of the conversion of a number or decimal text to canonical decimal text
/// (`cast(x, Edm.Decimal)`, decimals read out of JSON).
pub const DECIMAL: &str = "odata_decimal";
/// The SQL name of the conversion of JSON text (SQLite's `->` result: a number or a string
/// of one) to canonical decimal text, every digit kept.
pub const FROM_JSON: &str = "odata_decimal_json";
/// The SQL name of decimal `add`.
pub const ADD: &str = "odata_decimal_add";
/// The SQL name of decimal `sub`.
pub const SUB: &str = "odata_decimal_sub";
/// The SQL name of decimal `mul`.
pub const MUL: &str = "odata_decimal_mul";
/// The SQL name of decimal `div` and `divby` (100 significant digits; null for a zero
/// divisor).
pub const DIV: &str = "odata_decimal_div";
/// The SQL name of decimal `mod` (the sign of the dividend; null for a zero divisor).
pub const MOD: &str = "odata_decimal_mod";
/// The SQL name of decimal negation.
pub const NEG: &str = "odata_decimal_neg";
/// The SQL name of `round` of a decimal (halves away from zero).
pub const ROUND: &str = "odata_decimal_round";
/// The SQL name of `floor` of a decimal.
pub const FLOOR: &str = "odata_decimal_floor";
/// The SQL name of `ceiling` of a decimal.
pub const CEILING: &str = "odata_decimal_ceiling";
/// The SQL name of the conversion of a decimal to the nearest double (REAL).
pub const TO_DOUBLE: &str = "odata_decimal_double";
/// The SQL name of the conversion of a decimal to an INTEGER, truncated toward zero; null
/// beyond the 64-bit range.
pub const TO_INTEGER: &str = "odata_decimal_integer";
/// The SQL name of the exact `sum` aggregate (also a window function).
pub const SUM: &str = "odata_decimal_sum";
/// The SQL name of the exact `average` aggregate (also a window function).
pub const AVERAGE: &str = "odata_decimal_avg";
/// The SQL name of the `min` aggregate of decimals, by value.
pub const MIN: &str = "odata_decimal_min";
/// The SQL name of the `max` aggregate of decimals, by value.
pub const MAX: &str = "odata_decimal_max";

/// An argument of a SQL function, by its SQLite storage class.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// NULL
    Null,
    /// INTEGER
    Integer(i64),
    /// REAL
    Real(f64),
    /// TEXT
    Text(String),
    /// BLOB (never a number)
    Blob,
}

impl Arg {
    /// The argument as a decimal: text parsed exactly, an integer exactly, a double as
    /// the shortest decimal that reads back as it (what the evaluator does with a
    /// double); `None` for null, a blob, ±INF and text that is no decimal.
    pub(crate) fn decimal(&self) -> Option<Decimal> {
        match self {
            Arg::Integer(i) => Some(Decimal::from(*i)),
            Arg::Real(f) => decimal_from_f64(*f),
            Arg::Text(s) => parse_decimal(s),
            Arg::Null | Arg::Blob => None,
        }
    }
}

/// A function's result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Out {
    /// NULL
    Null,
    /// INTEGER
    Integer(i64),
    /// REAL
    Real(f64),
    /// TEXT
    Text(String),
}

impl Out {
    fn decimal(d: Option<Decimal>) -> Out {
        d.map_or(Out::Null, |d| Out::Text(decimal_text(&d)))
    }
}

/// A scalar decimal function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// [`DECIMAL_KEY`]
    Key,
    /// [`DECIMAL`]
    Canonical,
    /// [`FROM_JSON`]
    FromJson,
    /// [`ADD`] … [`MOD`]
    Arith(DecimalOp),
    /// [`NEG`]
    Negate,
    /// [`ROUND`], [`FLOOR`], [`CEILING`]
    Round(DecimalRounding),
    /// [`TO_DOUBLE`]
    ToDouble,
    /// [`TO_INTEGER`]
    ToInteger,
}

impl Scalar {
    /// Every scalar function with its SQL name and number of arguments.
    pub(crate) const ALL: [(&'static str, Scalar, usize); 14] = [
        (DECIMAL_KEY, Scalar::Key, 1),
        (DECIMAL, Scalar::Canonical, 1),
        (FROM_JSON, Scalar::FromJson, 1),
        (ADD, Scalar::Arith(DecimalOp::Add), 2),
        (SUB, Scalar::Arith(DecimalOp::Sub), 2),
        (MUL, Scalar::Arith(DecimalOp::Mul), 2),
        (DIV, Scalar::Arith(DecimalOp::Div), 2),
        (MOD, Scalar::Arith(DecimalOp::Mod), 2),
        (NEG, Scalar::Negate, 1),
        (ROUND, Scalar::Round(DecimalRounding::HalfAwayFromZero), 1),
        (FLOOR, Scalar::Round(DecimalRounding::Floor), 1),
        (CEILING, Scalar::Round(DecimalRounding::Ceiling), 1),
        (TO_DOUBLE, Scalar::ToDouble, 1),
        (TO_INTEGER, Scalar::ToInteger, 1),
    ];

    /// The function's result for `args` (null when one is null or not a decimal, or when
    /// the arguments are too few).
    pub(crate) fn call(self, args: &[Arg]) -> Out {
        let first = args.first().and_then(Arg::decimal);
        match self {
            Scalar::Key => first.map_or(Out::Null, |d| Out::Text(decimal_sort_key(&d))),
            Scalar::Canonical => Out::decimal(first),
            Scalar::FromJson => Out::decimal(match args.first() {
                Some(Arg::Text(json)) => from_json(json),
                _ => None,
            }),
            Scalar::Arith(op) => {
                let second = args.get(1).and_then(Arg::decimal);
                match (first, second) {
                    (Some(x), Some(y)) => Out::decimal(decimal_arith(op, &x, &y)),
                    _ => Out::Null,
                }
            }
            Scalar::Negate => Out::decimal(first.map(|d| -d)),
            Scalar::Round(rounding) => Out::decimal(first.map(|d| decimal_round(&d, rounding))),
            Scalar::ToDouble => first
                .as_ref()
                .and_then(decimal_to_f64)
                .map_or(Out::Null, Out::Real),
            Scalar::ToInteger => first
                .as_ref()
                .and_then(decimal_trunc_i64)
                .map_or(Out::Null, Out::Integer),
        }
    }
}

/// The decimal in JSON text: a number (its text, every digit: serde_json keeps it) or a
/// string of one, as the evaluator reads a decimal member.
fn from_json(json: &str) -> Option<Decimal> {
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::Number(n) => parse_decimal(&n.to_string()),
        serde_json::Value::String(s) => parse_decimal(&s),
        _ => None,
    }
}

/// An aggregate of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aggregate {
    /// [`SUM`]: exact; null when no value is aggregated (like SQL's `SUM`).
    Sum,
    /// [`AVERAGE`]: the exact sum divided by the count, as `div` divides; null when no
    /// value is aggregated.
    Average,
    /// [`MIN`]: the least value, by value (not text order).
    Min,
    /// [`MAX`]: the greatest value, by value.
    Max,
}

impl Aggregate {
    /// Every aggregate with its SQL name.
    pub(crate) const ALL: [(&'static str, Aggregate); 4] = [
        (SUM, Aggregate::Sum),
        (AVERAGE, Aggregate::Average),
        (MIN, Aggregate::Min),
        (MAX, Aggregate::Max),
    ];

    /// Whether the aggregate can drop values again ([`Accumulator::inverse`]), so SQLite
    /// may use it as a window function over a sliding frame.
    pub(crate) fn is_window(self) -> bool {
        matches!(self, Aggregate::Sum | Aggregate::Average)
    }
}

/// The running state of an [`Aggregate`] over one group (or window frame). Null and
/// unreadable values are skipped, as SQL aggregates skip nulls.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Accumulator {
    /// How many values are aggregated.
    count: u64,
    /// Their sum (`Sum`, `Average`) or the extreme so far (`Min`, `Max`).
    value: Option<Decimal>,
}

impl Accumulator {
    /// Adds one value.
    pub(crate) fn step(&mut self, aggregate: Aggregate, arg: &Arg) {
        let Some(d) = arg.decimal() else {
            return;
        };
        self.count += 1;
        self.value = Some(match (self.value.take(), aggregate) {
            (None, _) => d,
            (Some(sum), Aggregate::Sum | Aggregate::Average) => sum + d,
            (Some(min), Aggregate::Min) => min.min(d),
            (Some(max), Aggregate::Max) => max.max(d),
        });
    }

    /// Removes one value added before (a window frame sliding on); only for the
    /// aggregates [`Aggregate::is_window`] allows.
    pub(crate) fn inverse(&mut self, aggregate: Aggregate, arg: &Arg) {
        let Some(d) = arg.decimal() else {
            return;
        };
        if !aggregate.is_window() {
            return;
        }
        self.count = self.count.saturating_sub(1);
        self.value = match (self.count, self.value.take()) {
            (0, _) | (_, None) => None,
            (_, Some(sum)) => Some(sum - d),
        };
    }

    /// The aggregate's value so far.
    pub(crate) fn result(&self, aggregate: Aggregate) -> Out {
        let Some(value) = &self.value else {
            return Out::Null;
        };
        match aggregate {
            Aggregate::Sum | Aggregate::Min | Aggregate::Max => {
                Out::Text(decimal_text(&value.normalized()))
            }
            Aggregate::Average => {
                let count = Decimal::from(self.count);
                Out::decimal(decimal_arith(DecimalOp::Div, value, &count))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(s: &str) -> Arg {
        Arg::Text(s.to_owned())
    }

    fn call(name: &str, args: &[Arg]) -> Out {
        let (_, f, arity) = Scalar::ALL.iter().find(|(n, ..)| *n == name).unwrap();
        assert_eq!(*arity, args.len(), "{name}");
        f.call(args)
    }

    fn t(s: &str) -> Out {
        Out::Text(s.to_owned())
    }

    #[test]
    fn arithmetic_is_exact_and_canonical() {
        let big = "12345678901234567890.123456789012345678";
        assert_eq!(call(ADD, &[text("0.1"), text("0.2")]), t("0.3"));
        assert_eq!(call(SUB, &[text("0.3"), text("0.1")]), t("0.2"));
        assert_eq!(call(MUL, &[text("0.2"), Arg::Integer(3)]), t("0.6"));
        assert_eq!(call(DIV, &[text("0.6"), Arg::Integer(3)]), t("0.2"));
        assert_eq!(call(MOD, &[text("-7.5"), Arg::Integer(2)]), t("-1.5"));
        assert_eq!(call(NEG, &[text(big)]), t(&format!("-{big}")));
        assert_eq!(
            call(ADD, &[text(big), text(big)]),
            t("24691357802469135780.246913578024691356")
        );
        assert_eq!(call(MUL, &[text("1.50"), text("2")]), t("3"));
        // A third is cut after 100 significant digits, as the evaluator cuts it.
        let Out::Text(third) = call(DIV, &[Arg::Integer(1), Arg::Integer(3)]) else {
            panic!("no quotient");
        };
        assert_eq!(third.len(), 102, "{third}");
    }

    #[test]
    fn nulls_zero_divisors_and_non_decimals_give_null() {
        assert_eq!(call(DIV, &[text("1"), text("0")]), Out::Null);
        assert_eq!(call(MOD, &[text("1"), Arg::Integer(0)]), Out::Null);
        assert_eq!(call(ADD, &[Arg::Null, text("1")]), Out::Null);
        assert_eq!(call(ADD, &[text("abc"), text("1")]), Out::Null);
        assert_eq!(call(ADD, &[Arg::Blob, text("1")]), Out::Null);
        assert_eq!(call(DECIMAL, &[Arg::Real(f64::INFINITY)]), Out::Null);
        assert_eq!(call(DECIMAL_KEY, &[Arg::Null]), Out::Null);
    }

    #[test]
    fn conversions_follow_the_evaluator() {
        assert_eq!(call(DECIMAL, &[Arg::Real(0.1)]), t("0.1"));
        assert_eq!(call(DECIMAL, &[Arg::Integer(-5)]), t("-5"));
        assert_eq!(call(DECIMAL, &[text("1.500")]), t("1.5"));
        let big = "12345678901234567890.123456789012345678";
        assert_eq!(call(FROM_JSON, &[text(big)]), t(big));
        assert_eq!(call(FROM_JSON, &[text("\"0.10\"")]), t("0.1"));
        assert_eq!(call(FROM_JSON, &[text("null")]), Out::Null);
        assert_eq!(call(FROM_JSON, &[text("\"x\"")]), Out::Null);
        assert_eq!(call(TO_DOUBLE, &[text("0.1")]), Out::Real(0.1));
        assert_eq!(call(TO_INTEGER, &[text("-2.9")]), Out::Integer(-2));
        assert_eq!(call(TO_INTEGER, &[text("1e30")]), Out::Null);
        assert_eq!(call(ROUND, &[text("2.5")]), t("3"));
        assert_eq!(call(ROUND, &[text("-2.5")]), t("-3"));
        assert_eq!(call(FLOOR, &[text("-2.5")]), t("-3"));
        assert_eq!(call(CEILING, &[text("-2.5")]), t("-2"));
        assert_eq!(
            call(DECIMAL_KEY, &[Arg::Integer(2)]),
            call(DECIMAL_KEY, &[text("2.000")])
        );
        assert_eq!(
            call(DECIMAL_KEY, &[Arg::Real(0.5)]),
            call(DECIMAL_KEY, &[text("0.5")])
        );
    }

    fn aggregate(a: Aggregate, values: &[&str]) -> Out {
        let mut acc = Accumulator::default();
        for v in values {
            acc.step(a, &text(v));
        }
        acc.step(a, &Arg::Null);
        acc.result(a)
    }

    #[test]
    fn aggregates_are_exact_and_skip_nulls() {
        let big = "12345678901234567890.123456789012345678";
        assert_eq!(aggregate(Aggregate::Sum, &["0.1", "0.2"]), t("0.3"));
        assert_eq!(
            aggregate(Aggregate::Sum, &[big, "0.000000000000000002"]),
            t("12345678901234567890.12345678901234568")
        );
        assert_eq!(aggregate(Aggregate::Average, &["0.1", "0.2"]), t("0.15"));
        assert_eq!(aggregate(Aggregate::Min, &["10", "9.5", "-0.1"]), t("-0.1"));
        assert_eq!(aggregate(Aggregate::Max, &["10", "9.5", big]), t(big));
        assert_eq!(aggregate(Aggregate::Sum, &[]), Out::Null);
        assert_eq!(aggregate(Aggregate::Average, &[]), Out::Null);
    }

    #[test]
    fn a_window_sum_drops_values_again() {
        let mut acc = Accumulator::default();
        acc.step(Aggregate::Sum, &text("0.1"));
        acc.step(Aggregate::Sum, &text("0.2"));
        acc.inverse(Aggregate::Sum, &text("0.1"));
        assert_eq!(acc.result(Aggregate::Sum), t("0.2"));
        acc.inverse(Aggregate::Sum, &text("0.2"));
        assert_eq!(acc.result(Aggregate::Sum), Out::Null);
    }
}
