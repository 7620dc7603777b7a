//! `Edm.Duration`: a signed span of time with 100 ns precision.

use std::fmt;
use std::str::FromStr;

use super::date::{
    Fault, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND, fraction_digits,
    parse_fraction,
};
use super::error::ValueError;

/// An `Edm.Duration`: a signed number of 100-nanosecond ticks.
///
/// Read from `[-]P[nD][T[nH][nM][n[.fffffff]S]]` and written in the canonical form
/// (`PT3M21.5549443S`, `-PT35.9373414S`, `P1DT2H3M4.5S`, `PT0S`). Compares and orders by
/// its signed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(i64);

/// A designator of the duration grammar and the ticks one unit of it is worth.
const TIME_UNITS: [(u8, i64); 3] = [
    (b'H', TICKS_PER_HOUR),
    (b'M', TICKS_PER_MINUTE),
    (b'S', TICKS_PER_SECOND),
];

impl Duration {
    /// Parses `[-|+]P[nD][T[nH][nM][n[.f…]S]]`.
    ///
    /// At least one component is required and `T` must be followed by at least one; numbers
    /// are unsigned decimal digits and may exceed their natural range (`PT90M`); only
    /// seconds may have a fraction, of up to 7 digits (more only when the extra digits are
    /// zeros). `P`, `T` and the designators are upper case. Years and months are not
    /// allowed. A value that does not fit in `i64` ticks is an error.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match parse_ticks(text.as_bytes()) {
            Ok(ticks) => Ok(Self(ticks)),
            Err(DurationFault::Syntax) => Err(ValueError::Duration(text.to_owned())),
            Err(DurationFault::Precision) => Err(ValueError::Precision {
                type_name: "Edm.Duration",
                text: text.to_owned(),
            }),
            Err(DurationFault::Overflow) => Err(ValueError::OutOfRange {
                type_name: "Edm.Duration",
                text: text.to_owned(),
            }),
        }
    }

    /// The duration of `ticks` × 100 ns (negative for a negative duration).
    pub const fn from_ticks(ticks: i64) -> Self {
        Self(ticks)
    }

    /// The signed length in 100 ns ticks.
    pub const fn ticks(self) -> i64 {
        self.0
    }

    /// The zero-length duration, `PT0S`.
    pub const fn zero() -> Self {
        Self(0)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// `-self`, or `None` on overflow (only for the most negative duration).
    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(Self)
    }

    /// The signed length in seconds, as a floating-point number.
    pub fn total_seconds(self) -> f64 {
        // Split so that the fraction keeps its precision for long durations.
        let whole = self.0 / TICKS_PER_SECOND;
        let fraction = self.0 % TICKS_PER_SECOND;
        whole as f64 + fraction as f64 / TICKS_PER_SECOND as f64
    }
}

/// Why a duration was rejected.
enum DurationFault {
    Syntax,
    Precision,
    Overflow,
}

impl From<Fault> for DurationFault {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Syntax => Self::Syntax,
            Fault::Precision => Self::Precision,
        }
    }
}

/// Splits a run of leading ASCII digits off `b`; `None` when there is none.
fn split_digits(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    (end > 0).then(|| b.split_at(end))
}

/// An unsigned decimal number, or an overflow fault.
fn number(digits: &[u8]) -> Result<i128, DurationFault> {
    digits.iter().try_fold(0_i128, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(i128::from(d - b'0')))
            .ok_or(DurationFault::Overflow)
    })
}

/// `count` units of `unit_ticks` added to `total`, or an overflow fault.
fn accumulate(total: i128, count: i128, unit_ticks: i64) -> Result<i128, DurationFault> {
    count
        .checked_mul(i128::from(unit_ticks))
        .and_then(|ticks| total.checked_add(ticks))
        .ok_or(DurationFault::Overflow)
}

fn parse_ticks(b: &[u8]) -> Result<i64, DurationFault> {
    let (negative, rest) = match b {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, b),
    };
    let [b'P', rest @ ..] = rest else {
        return Err(DurationFault::Syntax);
    };
    let mut total = 0_i128;
    let mut rest = rest;
    let mut any_component = false;
    if let Some((digits, [b'D', after @ ..])) = split_digits(rest) {
        total = accumulate(total, number(digits)?, TICKS_PER_DAY)?;
        rest = after;
        any_component = true;
    }
    if let [b'T', after @ ..] = rest {
        rest = after;
        // Index into TIME_UNITS of the next designator allowed; designators come in order.
        let mut next_unit = 0;
        let mut any_time_component = false;
        while !rest.is_empty() {
            let (digits, after) = split_digits(rest).ok_or(DurationFault::Syntax)?;
            let (fraction, after) = match after {
                [b'.', after @ ..] => {
                    let (fraction, after) = split_digits(after).ok_or(DurationFault::Syntax)?;
                    (Some(fraction), after)
                }
                _ => (None, after),
            };
            let [designator, after @ ..] = after else {
                return Err(DurationFault::Syntax);
            };
            let offset = TIME_UNITS
                .get(next_unit..)
                .and_then(|units| units.iter().position(|(d, _)| d == designator))
                .ok_or(DurationFault::Syntax)?;
            let unit = next_unit + offset;
            let unit_ticks = TIME_UNITS.get(unit).map_or(0, |(_, ticks)| *ticks);
            if fraction.is_some() && *designator != b'S' {
                return Err(DurationFault::Syntax);
            }
            total = accumulate(total, number(digits)?, unit_ticks)?;
            if let Some(fraction) = fraction {
                total = accumulate(total, i128::from(parse_fraction(fraction)?), 1)?;
            }
            next_unit = unit + 1;
            any_time_component = true;
            rest = after;
        }
        if !any_time_component {
            return Err(DurationFault::Syntax);
        }
        any_component = true;
    }
    if !rest.is_empty() || !any_component {
        return Err(DurationFault::Syntax);
    }
    let signed = if negative { -total } else { total };
    i64::try_from(signed).map_err(|_| DurationFault::Overflow)
}

impl Duration {
    /// Appends the canonical text (as [`fmt::Display`] writes it) to `out`, without the
    /// formatting machinery: responses write durations by the hundred.
    ///
    /// ```
    /// use odata_core::value::Duration;
    /// let mut out = b"x=".to_vec();
    /// Duration::parse("PT3M21.5549443S").unwrap().write_to(&mut out);
    /// assert_eq!(out, b"x=PT3M21.5549443S");
    /// ```
    pub fn write_to(&self, out: &mut Vec<u8>) {
        if self.0 < 0 {
            out.push(b'-');
        }
        out.push(b'P');
        let magnitude = self.0.unsigned_abs();
        let per_day = TICKS_PER_DAY.unsigned_abs();
        let days = magnitude / per_day;
        let time = magnitude % per_day;
        let mut number = itoa::Buffer::new();
        let mut component = |out: &mut Vec<u8>, n: u64, designator: u8| {
            out.extend_from_slice(number.format(n).as_bytes());
            out.push(designator);
        };
        if days > 0 {
            component(out, days, b'D');
        }
        if time == 0 && magnitude != 0 {
            return;
        }
        out.push(b'T');
        let hours = time / TICKS_PER_HOUR.unsigned_abs();
        let minutes = time % TICKS_PER_HOUR.unsigned_abs() / TICKS_PER_MINUTE.unsigned_abs();
        let seconds = time % TICKS_PER_MINUTE.unsigned_abs() / TICKS_PER_SECOND.unsigned_abs();
        let fraction = time % TICKS_PER_SECOND.unsigned_abs();
        if hours > 0 {
            component(out, hours, b'H');
        }
        if minutes > 0 {
            component(out, minutes, b'M');
        }
        if seconds > 0 || fraction > 0 || magnitude == 0 {
            out.extend_from_slice(itoa::Buffer::new().format(seconds).as_bytes());
            // `fraction` is below 10 000 000, so it always fits.
            let (digits, len) = fraction_digits(i64::try_from(fraction).unwrap_or(0));
            if len > 0 {
                out.push(b'.');
                out.extend_from_slice(&digits[..len]);
            }
            out.push(b'S');
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::with_capacity(24);
        self.write_to(&mut text);
        // Only ASCII digits and designators were written.
        f.write_str(std::str::from_utf8(&text).unwrap_or_default())
    }
}

impl FromStr for Duration {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn canonical_examples_round_trip() {
        let cases = [
            "PT3M21.5549443S",
            "-PT35.9373414S",
            "PT44.239152S",
            "-PT44.239152S",
            "PT3M0.3227266S",
            "PT6.0687754S",
            "-PT3M29.9259289S",
            "PT1M1.5584017S",
            "PT2M18.8544041S",
            "P1DT2H3M4.5S",
            "PT0S",
            "P1D",
            "PT1H",
            "PT0.5S",
            "PT1M",
            "-P1D",
            "P1DT1S",
            "PT0.0000001S",
            "-PT0.0000001S",
            "P10675199DT2H48M5.4775807S",
            "-P10675199DT2H48M5.4775808S",
        ];
        for text in cases {
            let duration = Duration::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(duration.to_string(), text);
            assert_eq!(text.parse::<Duration>(), Ok(duration));
        }
        assert_eq!(
            Duration::parse("P10675199DT2H48M5.4775807S").map(Duration::ticks),
            Ok(i64::MAX)
        );
        assert_eq!(
            Duration::parse("-P10675199DT2H48M5.4775808S").map(Duration::ticks),
            Ok(i64::MIN)
        );
    }

    #[test]
    fn accepts_with_ticks_and_canonical_form() {
        let cases: [(&str, i64, &str); 22] = [
            ("PT3M21.5549443S", 2_015_549_443, "PT3M21.5549443S"),
            ("PT0.0000001S", 1, "PT0.0000001S"),
            ("-PT0.0100000S", -100_000, "-PT0.01S"),
            ("PT9.9999999S", 99_999_999, "PT9.9999999S"),
            ("-PT35.9373414S", -359_373_414, "-PT35.9373414S"),
            ("PT44.239152S", 442_391_520, "PT44.239152S"),
            ("P1DT2H3M4.5S", 937_845_000_000, "P1DT2H3M4.5S"),
            ("PT180S", 1_800_000_000, "PT3M"),
            ("PT90M", 54_000_000_000, "PT1H30M"),
            ("PT36H", 1_296_000_000_000, "P1DT12H"),
            ("P0D", 0, "PT0S"),
            ("-P0D", 0, "PT0S"),
            ("-PT0S", 0, "PT0S"),
            ("+PT1S", 10_000_000, "PT1S"),
            ("PT0.50S", 5_000_000, "PT0.5S"),
            ("PT1.123456700S", 11_234_567, "PT1.1234567S"),
            ("PT1H1S", 36_010_000_000, "PT1H1S"),
            ("P1DT0S", 864_000_000_000, "P1D"),
            ("PT0H0M0S", 0, "PT0S"),
            ("P2DT3M", 1_729_800_000_000, "P2DT3M"),
            ("PT007S", 70_000_000, "PT7S"),
            ("PT0.0S", 0, "PT0S"),
        ];
        for (text, ticks, canonical) in cases {
            let duration = Duration::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(duration.ticks(), ticks, "{text}");
            assert_eq!(duration.to_string(), canonical, "{text}");
        }
    }

    #[test]
    fn rejects() {
        let syntax = [
            "",
            "P",
            "-P",
            "+P",
            "PT",
            "-PT",
            "P1DT",
            "P1Y",
            "P1M",
            "P1W",
            "PT1.5M",
            "PT1.5H",
            "P1.5D",
            "PT1",
            "P1",
            "1D",
            "T1H",
            "pt1s",
            "Pt1S",
            "pT1S",
            "PT1s",
            "PT1S ",
            " PT1S",
            "PT1M1H",
            "PT1S1M",
            "PT1H1H",
            "PT1S1S",
            "P1D1D",
            "PT1HT1M",
            "PT.5S",
            "PT1.S",
            "PT1..5S",
            "PT1.5.5S",
            "PT-1S",
            "P-1D",
            "--PT1S",
            "-+PT1S",
            "PT+1S",
            "P1DT1H2",
            "PT1H 2M",
            "P1D2H",
            "P1H",
            "PTS",
            "PT1.5",
            "PT1e3S",
            "P１D",
            "PT99999999999999999999999999999999999999999999999999Y",
        ];
        for text in syntax {
            assert_eq!(
                Duration::parse(text),
                Err(ValueError::Duration(text.to_owned())),
                "{text:?}"
            );
        }
        for text in ["PT0.00000001S", "PT1.12345678S", "-PT0.123456789S"] {
            assert_eq!(
                Duration::parse(text),
                Err(ValueError::Precision {
                    type_name: "Edm.Duration",
                    text: text.to_owned()
                }),
                "{text:?}"
            );
        }
        let overflow = [
            "P10675199DT2H48M5.4775808S",
            "-P10675199DT2H48M5.4775809S",
            "P10675200D",
            "PT9223372036854775808S",
            "P99999999999999999999999999999999999999999999999D",
            "PT99999999999999999999999999999999999999999999999999S",
        ];
        for text in overflow {
            assert_eq!(
                Duration::parse(text),
                Err(ValueError::OutOfRange {
                    type_name: "Edm.Duration",
                    text: text.to_owned()
                }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn ordering_and_arithmetic() {
        let parse = |text: &str| Duration::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(parse("-PT1S") < Duration::zero());
        assert!(parse("PT59M") < parse("PT1H"));
        assert!(parse("PT24H") == parse("P1D"));
        assert!(parse("P1D") < parse("P1DT0.0000001S"));
        assert_eq!(
            parse("PT1H").checked_add(parse("PT30M")),
            Some(parse("PT1H30M"))
        );
        assert_eq!(
            parse("PT1H").checked_sub(parse("PT90M")),
            Some(parse("-PT30M"))
        );
        assert_eq!(parse("PT1S").checked_neg(), Some(parse("-PT1S")));
        assert_eq!(
            Duration::from_ticks(i64::MAX).checked_add(parse("PT0.0000001S")),
            None
        );
        assert_eq!(
            Duration::from_ticks(i64::MIN).checked_sub(parse("PT0.0000001S")),
            None
        );
        assert_eq!(Duration::from_ticks(i64::MIN).checked_neg(), None);
        assert_eq!(parse("PT1M30.25S").total_seconds(), 90.25);
        assert_eq!(parse("-PT1.5S").total_seconds(), -1.5);
        assert_eq!(Duration::zero().total_seconds(), 0.0);
        assert_eq!(Duration::zero().to_string(), "PT0S");
        assert_eq!(Duration::from_ticks(5).ticks(), 5);
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(ticks in -10_000 * TICKS_PER_DAY..=10_000 * TICKS_PER_DAY) {
            let duration = Duration::from_ticks(ticks);
            prop_assert_eq!(Duration::parse(&duration.to_string()), Ok(duration));
        }

        #[test]
        fn display_parse_round_trip_full_range(ticks in any::<i64>()) {
            let duration = Duration::from_ticks(ticks);
            let text = duration.to_string();
            prop_assert_eq!(Duration::parse(&text), Ok(duration));
        }

        #[test]
        fn parse_never_panics(text in any::<String>()) {
            let _ = Duration::parse(&text);
        }

        #[test]
        fn parse_never_panics_near_grammar(text in "[-+]?P[0-9DTHMS.]{0,30}") {
            let _ = Duration::parse(&text);
        }
    }
}
