//! Edm.Decimal values: exact decimals of any length ([`bigdecimal::BigDecimal`]; a
//! `Precision="38"` value does not fit the 28 digits of `rust_decimal`), their canonical
//! text, and the `Precision`/`Scale` facet check that refuses to round.

use std::str::FromStr;

use bigdecimal::{RoundingMode, ToPrimitive, Zero};

pub use bigdecimal::BigDecimal as Decimal;

/// The largest decimal exponent (either sign) accepted for a value without facets, so the
/// plain text of any accepted value stays short (`1e999999999` is refused, not expanded).
const MAX_EXPONENT: i64 = 1000;

/// Parses decimal text (`-12.50`, `1e+5`, `1.5E-3`); `None` when it is not a finite
/// decimal number or its exponent is beyond ±1000.
///
/// ```
/// use odata_core::value::parse_decimal;
/// assert_eq!(parse_decimal("1.50").unwrap(), parse_decimal("1.5").unwrap());
/// assert!(parse_decimal("INF").is_none());
/// ```
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    // bigdecimal also reads forms OData does not write (`.5`, `5.`, `0x…`): ask for digits.
    let mantissa_end = body.find(['e', 'E']).unwrap_or(body.len());
    let (mantissa, exponent) = body.split_at(mantissa_end);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(e) = exponent.get(1..) {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if !digits(e) || e.len() > 6 {
            return None;
        }
    }
    let d = Decimal::from_str(t).ok()?;
    let (_, scale) = d.as_bigint_and_exponent();
    (scale.abs() <= MAX_EXPONENT + 64 && d.order_of_magnitude().abs() <= MAX_EXPONENT).then_some(d)
}

/// The canonical text of a decimal: plain notation, no trailing fractional zeros, `0` for
/// zero (`123.450` → `123.45`, `1E+2` → `100`). Stored and written in this form.
pub fn decimal_text(d: &Decimal) -> String {
    if d.is_zero() {
        return "0".to_owned();
    }
    d.normalized().to_plain_string()
}

/// A text whose byte order is the numeric order of decimals (`-10` < `-9.5` < `0` < `0.001`
/// < `2`), and which is equal for equal values (`1.50`, `1.5`): for databases without an
/// exact decimal type to compare and sort by.
///
/// The form: a sign class (`0` negative, `1` zero, `2` positive), the decimal exponent of
/// the first significant digit biased to four digits, then the significant digits; for a
/// negative value the exponent and digits are nines' complements ended by `:`, which sorts
/// after every digit, so a longer digit string sorts first.
///
/// ```
/// use odata_core::value::{decimal_sort_key, parse_decimal};
/// let key = |s: &str| decimal_sort_key(&parse_decimal(s).unwrap());
/// assert!(key("-10") < key("-9.5") && key("-9.5") < key("0") && key("0") < key("0.001"));
/// assert_eq!(key("1.50"), key("1.5"));
/// ```
pub fn decimal_sort_key(d: &Decimal) -> String {
    if d.is_zero() {
        return "1".to_owned();
    }
    let n = d.normalized();
    let (digits, scale) = n.as_bigint_and_exponent();
    let negative = digits.sign() == bigdecimal::num_bigint::Sign::Minus;
    let digits = digits.magnitude().to_string();
    // value = 0.d1d2… × 10^exponent
    let length = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let exponent = (length - scale).clamp(-4999, 4999) + 5000;
    if negative {
        let complement: String = digits
            .bytes()
            .map(|b| char::from(b'9' - (b - b'0')))
            .collect();
        format!("0{:04}{complement}:", 9999 - exponent)
    } else {
        format!("2{exponent:04}{digits}")
    }
}

/// An arithmetic operator on decimals: `add`, `sub`, `mul`, `div` (and `divby`), `mod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalOp {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div` and `divby`
    Div,
    /// `mod` (truncated: the result has the sign of the dividend)
    Mod,
}

/// `x op y` as OData computes Edm.Decimal arithmetic — the evaluator and SQLite's decimal
/// functions both call this, so they agree by construction: exact for add, sub, mul and
/// mod; a quotient keeps 100 significant digits (bigdecimal's default precision). The
/// result is normalized (no trailing zeros). `None` for a division or remainder by zero.
///
/// ```
/// use odata_core::value::{DecimalOp, decimal_arith, decimal_text, parse_decimal};
/// let d = |s: &str| parse_decimal(s).unwrap();
/// let sum = decimal_arith(DecimalOp::Add, &d("0.1"), &d("0.2")).unwrap();
/// assert_eq!(decimal_text(&sum), "0.3");
/// assert!(decimal_arith(DecimalOp::Div, &d("1"), &d("0")).is_none());
/// ```
pub fn decimal_arith(op: DecimalOp, x: &Decimal, y: &Decimal) -> Option<Decimal> {
    if matches!(op, DecimalOp::Div | DecimalOp::Mod) && y.is_zero() {
        return None;
    }
    let r = match op {
        DecimalOp::Add => x + y,
        DecimalOp::Sub => x - y,
        DecimalOp::Mul => x * y,
        DecimalOp::Div => x / y,
        DecimalOp::Mod => x % y,
    };
    Some(r.normalized())
}

/// How `round`, `floor` and `ceiling` take a decimal to an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalRounding {
    /// `round`: to the nearest integer, halves away from zero.
    HalfAwayFromZero,
    /// `floor`: toward negative infinity.
    Floor,
    /// `ceiling`: toward positive infinity.
    Ceiling,
}

/// `d` rounded to an integer (scale 0), normalized.
///
/// ```
/// use odata_core::value::{DecimalRounding, decimal_round, decimal_text, parse_decimal};
/// let r = |s: &str, m| decimal_text(&decimal_round(&parse_decimal(s).unwrap(), m));
/// assert_eq!(r("-2.5", DecimalRounding::HalfAwayFromZero), "-3");
/// assert_eq!(r("-2.5", DecimalRounding::Floor), "-3");
/// assert_eq!(r("-2.5", DecimalRounding::Ceiling), "-2");
/// ```
pub fn decimal_round(d: &Decimal, rounding: DecimalRounding) -> Decimal {
    let mode = match rounding {
        DecimalRounding::HalfAwayFromZero => RoundingMode::HalfUp,
        DecimalRounding::Floor => RoundingMode::Floor,
        DecimalRounding::Ceiling => RoundingMode::Ceiling,
    };
    d.with_scale_round(0, mode).normalized()
}

/// The decimal of a finite double: the shortest text that reads back as the double, not
/// its binary expansion (`0.1` → `0.1`); `None` for ±INF and NaN.
///
/// ```
/// use odata_core::value::{decimal_from_f64, decimal_text};
/// assert_eq!(decimal_text(&decimal_from_f64(0.1).unwrap()), "0.1");
/// assert!(decimal_from_f64(f64::INFINITY).is_none());
/// ```
pub fn decimal_from_f64(f: f64) -> Option<Decimal> {
    f.is_finite()
        .then(|| parse_decimal(&f.to_string()))
        .flatten()
}

/// `d` truncated toward zero, as an `i64`; `None` beyond the range of `i64`.
pub fn decimal_trunc_i64(d: &Decimal) -> Option<i64> {
    d.with_scale_round(0, RoundingMode::Down).to_i64()
}

/// `d` as the nearest double; `None` where it has none.
pub fn decimal_to_f64(d: &Decimal) -> Option<f64> {
    d.to_f64()
}

/// Checks `d` against the `Precision` and `Scale` facets without rounding: more
/// fractional digits than `scale` (when given), or more integer digits than
/// `precision - scale`, is an error whose message says which.
///
/// ```
/// use odata_core::value::{check_decimal_facets, parse_decimal};
/// let d = parse_decimal("123.4567").unwrap();
/// assert!(check_decimal_facets(&d, Some(38), Some(4)).is_ok());
/// assert!(check_decimal_facets(&d, Some(38), Some(3)).is_err());
/// assert!(check_decimal_facets(&d, Some(5), Some(4)).is_err());
/// ```
pub fn check_decimal_facets(
    d: &Decimal,
    precision: Option<u32>,
    scale: Option<u32>,
) -> Result<(), String> {
    let n = d.normalized();
    let (_, exponent) = n.as_bigint_and_exponent();
    let fraction_digits = u64::try_from(exponent.max(0)).unwrap_or(0);
    if let Some(scale) = scale
        && fraction_digits > u64::from(scale)
    {
        return Err(format!(
            "{} has {fraction_digits} decimal places, more than the scale of {scale}",
            decimal_text(d)
        ));
    }
    if let Some(precision) = precision {
        let digits = n.digits();
        let integer_digits =
            digits.saturating_sub(fraction_digits) + u64::try_from((-exponent).max(0)).unwrap_or(0);
        let integer_digits = if n.is_zero() { 0 } else { integer_digits };
        let allowed = u64::from(precision.saturating_sub(scale.unwrap_or(0)));
        if scale.is_some() && integer_digits > allowed {
            return Err(format!(
                "{} has {integer_digits} digits before the decimal point, more than the \
                 {allowed} that precision {precision} and scale {} allow",
                decimal_text(d),
                scale.unwrap_or(0)
            ));
        }
        if scale.is_none() && integer_digits + fraction_digits > u64::from(precision) {
            return Err(format!(
                "{} has more than {precision} significant digits",
                decimal_text(d)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn canonical_text_is_plain_and_trimmed() {
        assert_eq!(decimal_text(&d("123.450000000000000000")), "123.45");
        assert_eq!(decimal_text(&d("1e+2")), "100");
        assert_eq!(decimal_text(&d("-0.000")), "0");
        assert_eq!(
            decimal_text(&d("12345678901234567890.123456789012345678")),
            "12345678901234567890.123456789012345678"
        );
    }

    #[test]
    fn rejects_non_decimal_text_and_huge_exponents() {
        for bad in [
            "",
            ".5",
            "5.",
            "1e",
            "INF",
            "NaN",
            "0x10",
            "1e999999999",
            "abc",
        ] {
            assert!(parse_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sort_keys_order_like_the_values() {
        let values = [
            "-1e20",
            "-123.45",
            "-123.4",
            "-9.99",
            "-1",
            "-0.5",
            "-0.05",
            "-0.0501",
            "0",
            "0.000000000000000001",
            "0.05",
            "0.5",
            "1",
            "1.000000000000000001",
            "9.99",
            "123.4",
            "123.45",
            "12345678901234567890.123456789012345678",
            "1e21",
        ];
        let mut sorted: Vec<Decimal> = values.iter().map(|s| d(s)).collect();
        sorted.sort();
        let mut by_key = sorted.clone();
        by_key.sort_by_key(decimal_sort_key);
        assert_eq!(by_key, sorted);
        assert_eq!(decimal_sort_key(&d("-2.50")), decimal_sort_key(&d("-2.5")));
        assert_ne!(decimal_sort_key(&d("-2.5")), decimal_sort_key(&d("-2.51")));
    }

    #[test]
    fn facets_refuse_instead_of_rounding() {
        let p38s18 = |s: &str| check_decimal_facets(&d(s), Some(38), Some(18));
        assert!(p38s18("12345678901234567890.123456789012345678").is_ok());
        assert!(
            p38s18("123.450000000000000000000").is_ok(),
            "trailing zeros"
        );
        assert!(
            p38s18("0.1234567890123456789")
                .unwrap_err()
                .contains("19 decimal places")
        );
        assert!(
            p38s18("123456789012345678901")
                .unwrap_err()
                .contains("21 digits")
        );
        assert!(p38s18("1e20").unwrap_err().contains("21 digits"));
        assert!(p38s18("1e19").is_ok());
        assert!(check_decimal_facets(&d("12345"), Some(4), None).is_err());
        assert!(check_decimal_facets(&d("0.001"), Some(4), None).is_ok());
    }
}
