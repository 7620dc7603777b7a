//! `Edm.DateTimeOffset`: an instant with the offset and spelling it was sent with.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Offset, Utc};

use super::date::{
    Date, Fault, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND, TimeOfDay,
    civil_from_days, days_from_civil, parse_date_bytes, parse_time_bytes, part, two_digits,
};
use super::error::ValueError;

/// Largest offset accepted, in minutes (`±14:59`).
const MAX_OFFSET_MINUTES: i32 = 14 * 60 + 59;

/// Local ticks of 0001-01-01T00:00:00, the earliest local time.
const MIN_LOCAL_TICKS: i64 = days_from_civil(1, 1, 1) * TICKS_PER_DAY;

/// Local ticks just past 9999-12-31T23:59:59.9999999, the latest local time.
const END_LOCAL_TICKS: i64 = days_from_civil(10_000, 1, 1) * TICKS_PER_DAY;

/// An `Edm.DateTimeOffset`: an instant, the offset it was expressed in, and the text it
/// was read from.
///
/// The text is kept exactly as sent (offset spelling such as `Z`, `+00:00` or `-08:00`,
/// and every fractional digit), so [`as_str`](Self::as_str) and `Display` give it back
/// byte for byte. Equality, ordering and hashing consider the **instant only**:
/// `2017-01-01T00:00:00+01:00` equals `2016-12-31T23:00:00Z`.
#[derive(Debug, Clone)]
pub struct DateTimeOffset {
    text: String,
    utc_ticks: i64,
    offset_minutes: i32,
}

impl DateTimeOffset {
    /// Parses `YYYY-MM-DDThh:mm[:ss[.f…]]` followed by `Z` or an offset.
    ///
    /// * The year has 4 digits, 0001–9999; the date must exist (Feb 29 only in leap years).
    /// * `T` and `Z` may be lower case.
    /// * Hour 00–23, minute and second 00–59.
    /// * Up to 7 fractional digits are kept exactly; more are accepted only when the extra
    ///   digits are zeros (the precision is 100 ns), otherwise [`ValueError::Precision`].
    /// * The offset is `Z`, `±hh:mm`, `±hhmm` or `±hh`, with hours ≤ 14 and minutes ≤ 59.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match parse_parts(text.as_bytes()) {
            Ok((utc_ticks, offset_minutes)) => Ok(Self {
                text: text.to_owned(),
                utc_ticks,
                offset_minutes,
            }),
            Err(Fault::Syntax) => Err(ValueError::DateTimeOffset(text.to_owned())),
            Err(Fault::Precision) => Err(ValueError::Precision {
                type_name: "Edm.DateTimeOffset",
                text: text.to_owned(),
            }),
        }
    }

    /// The text the value was read from (or the canonical text it was built with).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant as 100-nanosecond ticks since 1970-01-01T00:00:00Z (negative before).
    pub fn utc_ticks(&self) -> i64 {
        self.utc_ticks
    }

    /// The offset from UTC as sent, in minutes (`Z` is 0, `-08:00` is -480).
    pub fn offset_minutes(&self) -> i32 {
        self.offset_minutes
    }

    /// The value for the instant `ticks` (100 ns since 1970-01-01T00:00:00Z) expressed in
    /// the offset `offset_minutes`, with the canonical text
    /// `YYYY-MM-DDThh:mm:ss[.fffffff]` (trailing zeros of the fraction trimmed) followed by
    /// `Z` for a zero offset or `±hh:mm` otherwise.
    ///
    /// `None` when the offset is beyond ±14:59 or the local time falls outside the years
    /// 0001–9999.
    pub fn from_utc_ticks(ticks: i64, offset_minutes: i32) -> Option<Self> {
        if offset_minutes.unsigned_abs() > MAX_OFFSET_MINUTES.unsigned_abs() {
            return None;
        }
        let local = ticks.checked_add(i64::from(offset_minutes) * TICKS_PER_MINUTE)?;
        if !(MIN_LOCAL_TICKS..END_LOCAL_TICKS).contains(&local) {
            return None;
        }
        let date = Date::from_days_from_epoch(local.div_euclid(TICKS_PER_DAY))?;
        let time = TimeOfDay::from_ticks(local.rem_euclid(TICKS_PER_DAY))?;
        let offset = if offset_minutes == 0 {
            "Z".to_owned()
        } else {
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let abs = offset_minutes.unsigned_abs();
            format!("{sign}{:02}:{:02}", abs / 60, abs % 60)
        };
        Some(Self {
            text: format!("{date}T{time}{offset}"),
            utc_ticks: ticks,
            offset_minutes,
        })
    }

    /// The instant `ticks` in UTC (`…Z`), or, for an instant whose UTC date falls outside
    /// 0001–9999 (`9999-12-31T23:00:00-14:00` is one), in the offset nearest to UTC that
    /// holds it: whole hours up to ±14:00, then ±14:59. `None` when none does.
    ///
    /// ```
    /// use odata_core::value::DateTimeOffset;
    /// let late = DateTimeOffset::parse("9999-12-31T23:00:00-14:00").unwrap();
    /// let d = DateTimeOffset::from_instant(late.utc_ticks()).unwrap();
    /// assert_eq!(d.as_str(), "9999-12-31T23:00:00-14:00");
    /// let d = DateTimeOffset::from_instant(0).unwrap();
    /// assert_eq!(d.as_str(), "1970-01-01T00:00:00Z");
    /// ```
    pub fn from_instant(ticks: i64) -> Option<Self> {
        let hours = (0..=14).flat_map(|h| [-h * 60, h * 60]);
        hours
            .chain([-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES])
            .find_map(|offset| Self::from_utc_ticks(ticks, offset))
    }

    /// The value as a chrono date-time in its own offset.
    pub fn to_chrono(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.offset_minutes * 60).unwrap_or_else(|| Utc.fix());
        let seconds = self.utc_ticks.div_euclid(TICKS_PER_SECOND);
        // Below 10 000 000 × 100 = 10⁹, so it fits in `u32`.
        let nanos = u32::try_from(self.utc_ticks.rem_euclid(TICKS_PER_SECOND) * 100).unwrap_or(0);
        DateTime::from_timestamp(seconds, nanos)
            .map(|utc| utc.with_timezone(&offset))
            .unwrap_or_default()
    }

    /// The value for a chrono date-time, with canonical text; sub-100 ns digits are
    /// truncated. `None` when the offset is not a whole number of minutes within ±14:59
    /// or the local time falls outside the years 0001–9999.
    pub fn from_chrono(value: &DateTime<FixedOffset>) -> Option<Self> {
        let offset_seconds = value.offset().local_minus_utc();
        if offset_seconds % 60 != 0 {
            return None;
        }
        // A leap second shows as nanoseconds ≥ 10⁹; keep it within its second.
        let sub_ticks = (i64::from(value.timestamp_subsec_nanos()) / 100).min(TICKS_PER_SECOND - 1);
        let ticks = value
            .timestamp()
            .checked_mul(TICKS_PER_SECOND)?
            .checked_add(sub_ticks)?;
        Self::from_utc_ticks(ticks, offset_seconds / 60)
    }

    /// `0001-01-01T00:00:00Z`, the zero value services return for an omitted non-nullable
    /// `Edm.DateTimeOffset`.
    pub fn min_value() -> Self {
        Self {
            text: "0001-01-01T00:00:00Z".to_owned(),
            utc_ticks: MIN_LOCAL_TICKS,
            offset_minutes: 0,
        }
    }

    /// The local time (in the value's own offset) as ticks since 1970-01-01T00:00:00.
    fn local_ticks(&self) -> i64 {
        self.utc_ticks + i64::from(self.offset_minutes) * TICKS_PER_MINUTE
    }

    /// The local calendar date `(year, month, day)`.
    fn civil(&self) -> (i64, u32, u32) {
        civil_from_days(self.local_ticks().div_euclid(TICKS_PER_DAY))
    }

    /// The local ticks since midnight.
    fn local_time_ticks(&self) -> i64 {
        self.local_ticks().rem_euclid(TICKS_PER_DAY)
    }

    /// The local date, in the value's own offset.
    pub fn date(&self) -> Date {
        Date::from_days_from_epoch(self.local_ticks().div_euclid(TICKS_PER_DAY))
            .unwrap_or_else(Date::min_value)
    }

    /// The local time of day, in the value's own offset.
    pub fn time_of_day(&self) -> TimeOfDay {
        TimeOfDay::from_ticks(self.local_time_ticks()).unwrap_or_else(TimeOfDay::midnight)
    }

    /// The year, 1–9999, in the value's own offset.
    pub fn year(&self) -> i32 {
        part(self.civil().0)
    }

    /// The month, 1–12, in the value's own offset.
    pub fn month(&self) -> i32 {
        self.civil().1.cast_signed()
    }

    /// The day of the month, 1–31, in the value's own offset.
    pub fn day(&self) -> i32 {
        self.civil().2.cast_signed()
    }

    /// The hour, 0–23, in the value's own offset.
    pub fn hour(&self) -> i32 {
        part(self.local_time_ticks() / TICKS_PER_HOUR)
    }

    /// The minute, 0–59.
    pub fn minute(&self) -> i32 {
        part(self.local_time_ticks() % TICKS_PER_HOUR / TICKS_PER_MINUTE)
    }

    /// The second, 0–59.
    pub fn second(&self) -> i32 {
        part(self.local_time_ticks() % TICKS_PER_MINUTE / TICKS_PER_SECOND)
    }

    /// The fraction of the second in 100 ns ticks, 0–9 999 999.
    pub fn fractional_ticks(&self) -> i64 {
        self.local_time_ticks() % TICKS_PER_SECOND
    }
}

/// The instant in UTC ticks and the offset in minutes.
fn parse_parts(b: &[u8]) -> Result<(i64, i32), Fault> {
    let (date, rest) = b.split_at_checked(10).ok_or(Fault::Syntax)?;
    let (year, month, day) = parse_date_bytes(date)?;
    let [b'T' | b't', rest @ ..] = rest else {
        return Err(Fault::Syntax);
    };
    let split = rest
        .iter()
        .position(|c| matches!(c, b'Z' | b'z' | b'+' | b'-'))
        .ok_or(Fault::Syntax)?;
    let (time, offset) = rest.split_at(split);
    let time = parse_time_bytes(time)?;
    let offset_minutes = parse_offset(offset)?;
    let local = days_from_civil(i64::from(year), month, day) * TICKS_PER_DAY + time;
    Ok((
        local - i64::from(offset_minutes) * TICKS_PER_MINUTE,
        offset_minutes,
    ))
}

/// `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`, hours ≤ 14 and minutes ≤ 59, in minutes.
fn parse_offset(b: &[u8]) -> Result<i32, Fault> {
    let (negative, digits) = match b {
        [b'Z' | b'z'] => return Ok(0),
        [b'+', digits @ ..] => (false, digits),
        [b'-', digits @ ..] => (true, digits),
        _ => return Err(Fault::Syntax),
    };
    let (hours, minutes) = match digits {
        [h0, h1] => (two_digits(&[*h0, *h1]), Some(0)),
        [h0, h1, m0, m1] | [h0, h1, b':', m0, m1] => {
            (two_digits(&[*h0, *h1]), two_digits(&[*m0, *m1]))
        }
        _ => return Err(Fault::Syntax),
    };
    let (Some(hours), Some(minutes)) = (hours, minutes) else {
        return Err(Fault::Syntax);
    };
    if hours > 14 || minutes > 59 {
        return Err(Fault::Syntax);
    }
    let total = i32::try_from(hours * 60 + minutes).map_err(|_| Fault::Syntax)?;
    Ok(if negative { -total } else { total })
}

impl PartialEq for DateTimeOffset {
    fn eq(&self, other: &Self) -> bool {
        self.utc_ticks == other.utc_ticks
    }
}

impl Eq for DateTimeOffset {}

impl PartialOrd for DateTimeOffset {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DateTimeOffset {
    fn cmp(&self, other: &Self) -> Ordering {
        self.utc_ticks.cmp(&other.utc_ticks)
    }
}

impl Hash for DateTimeOffset {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.utc_ticks.hash(state);
    }
}

impl fmt::Display for DateTimeOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for DateTimeOffset {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn parse(text: &str) -> DateTimeOffset {
        DateTimeOffset::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// Ticks of an RFC 3339 text, computed by chrono as an independent check.
    fn chrono_ticks(text: &str) -> i64 {
        let dt = DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        dt.timestamp() * TICKS_PER_SECOND + i64::from(dt.timestamp_subsec_nanos()) / 100
    }

    #[test]
    fn graph_examples_come_back_byte_identical() {
        let cases = [
            ("2016-12-31T23:59:13.0497597+00:00", 0),
            ("2017-01-01T00:00:05.810584+03:00", 180),
            ("2016-12-31T23:59:23.3984029-08:00", -480),
            ("2017-01-01T00:03:00.599191+03:00", 180),
            ("2017-01-01T00:00:19.2729934+03:00", 180),
            ("2016-12-31T23:59:37.257201-08:00", -480),
        ];
        for (text, offset) in cases {
            let value = parse(text);
            assert_eq!(value.as_str(), text);
            assert_eq!(value.to_string(), text);
            assert_eq!(value.offset_minutes(), offset, "{text}");
            assert_eq!(value.utc_ticks(), chrono_ticks(text), "{text}");
            assert_eq!(
                value.to_chrono(),
                DateTime::parse_from_rfc3339(text).unwrap_or_default()
            );
            assert_eq!(
                text.parse::<DateTimeOffset>().map(|v| v.to_string()),
                Ok(text.to_owned())
            );
        }
        // 2016-12-31T23:59:13.0497597Z, worked out by hand:
        // 17166 days after 1970-01-01, plus 86353.0497597 seconds.
        assert_eq!(
            parse("2016-12-31T23:59:13.0497597+00:00").utc_ticks(),
            17_166 * TICKS_PER_DAY + 863_530_497_597
        );
        assert_eq!(
            parse("2017-01-01T00:00:05.810584+03:00").utc_ticks(),
            parse("2016-12-31T21:00:05.810584Z").utc_ticks()
        );
    }

    #[test]
    fn accepts() {
        // (text, offset minutes, the same instant as canonical UTC text)
        let cases = [
            ("1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"),
            ("1970-01-01T00:00Z", 0, "1970-01-01T00:00:00Z"),
            ("1970-01-01t00:00:00z", 0, "1970-01-01T00:00:00Z"),
            ("1970-01-01T01:00:00+01:00", 60, "1970-01-01T00:00:00Z"),
            ("1970-01-01T01:00:00+0100", 60, "1970-01-01T00:00:00Z"),
            ("1970-01-01T01:00:00+01", 60, "1970-01-01T00:00:00Z"),
            ("1969-12-31T16:00-08:00", -480, "1970-01-01T00:00:00Z"),
            ("1969-12-31T16:00-0800", -480, "1970-01-01T00:00:00Z"),
            ("1969-12-31T16:00-08", -480, "1970-01-01T00:00:00Z"),
            ("1970-01-01T00:00:00-00:00", 0, "1970-01-01T00:00:00Z"),
            ("2017-01-01T05:30:00+05:30", 330, "2017-01-01T00:00:00Z"),
            ("2016-02-29T12:00:00Z", 0, "2016-02-29T12:00:00Z"),
            ("2000-02-29T12:00:00Z", 0, "2000-02-29T12:00:00Z"),
            ("2017-01-01T00:00:00.5Z", 0, "2017-01-01T00:00:00.5Z"),
            (
                "2017-01-01T00:00:00.1234567Z",
                0,
                "2017-01-01T00:00:00.1234567Z",
            ),
            (
                "2017-01-01T00:00:00.123456700Z",
                0,
                "2017-01-01T00:00:00.1234567Z",
            ),
            ("2017-01-01T00:00:00.0000000Z", 0, "2017-01-01T00:00:00Z"),
            (
                "2017-01-01T23:59:59.9999999Z",
                0,
                "2017-01-01T23:59:59.9999999Z",
            ),
            ("0001-01-01T00:00:00Z", 0, "0001-01-01T00:00:00Z"),
            ("0001-01-01T14:00:00+14:00", 840, "0001-01-01T00:00:00Z"),
            (
                "9999-12-31T23:59:59.9999999Z",
                0,
                "9999-12-31T23:59:59.9999999Z",
            ),
            ("9999-12-31T10:00:00-14:00", -840, "+10000-01-01T00:00:00Z"),
            ("0001-01-01T00:00:00+14:59", 899, "0000-12-31T09:01:00Z"),
        ];
        for (text, offset, utc) in cases {
            let value = parse(text);
            assert_eq!(value.as_str(), text);
            assert_eq!(value.offset_minutes(), offset, "{text}");
            match DateTimeOffset::from_utc_ticks(value.utc_ticks(), 0) {
                Some(in_utc) => assert_eq!(in_utc.as_str(), utc, "{text}"),
                // The UTC instant is outside 0001–9999: compare with chrono's view.
                None => assert_eq!(
                    value.to_chrono().naive_utc().to_string(),
                    utc.replace('T', " ").trim_end_matches('Z'),
                    "{text}"
                ),
            }
        }
    }

    #[test]
    fn rejects() {
        let syntax = [
            "",
            "2017",
            "2017-01-01",
            "2017-01-01T",
            "2017-01-01T00:00",
            "2017-01-01T00:00:00",
            "2017-01-01T00:00:00.5",
            "2016-13-01T00:00:00Z",
            "2016-00-01T00:00:00Z",
            "2016-01-00T00:00:00Z",
            "2015-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2016-04-31T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "10000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "2017-1-01T00:00:00Z",
            "2017-01-01 00:00:00Z",
            "2017-01-01X00:00:00Z",
            "2017-01-01T24:00:00Z",
            "2017-01-01T23:60:00Z",
            "2017-01-01T23:59:60Z",
            "2017-01-01T0:00:00Z",
            "2017-01-01T00:0:00Z",
            "2017-01-01T00:00:0Z",
            "2017-01-01T00Z",
            "2017-01-01T00:00:00.Z",
            "2017-01-01T00:00:00,5Z",
            "2017-01-01T00:00:00.5.5Z",
            "2017-01-01T00:00:00ZZ",
            "2017-01-01T00:00:00Z ",
            " 2017-01-01T00:00:00Z",
            "2017-01-01T00:00:00+15:00",
            "2017-01-01T00:00:00+14:60",
            "2017-01-01T00:00:00-15",
            "2017-01-01T00:00:00+1",
            "2017-01-01T00:00:00+100",
            "2017-01-01T00:00:00+01:0",
            "2017-01-01T00:00:00+01:00:00",
            "2017-01-01T00:00:00+01-00",
            "2017-01-01T00:00:00 01:00",
            "2017-01-01T00:00:00+",
            "2017-01-01T00:00:00UTC",
            "2017-01-01T00:00:00GMT+01:00",
            "2017-01-01T00:00:00+01:00Z",
            "2017-01-01T00:00:00−01:00",
            "２017-01-01T00:00:00Z",
        ];
        for text in syntax {
            assert_eq!(
                DateTimeOffset::parse(text),
                Err(ValueError::DateTimeOffset(text.to_owned())),
                "{text:?}"
            );
        }
        for text in [
            "2017-01-01T00:00:00.00000001Z",
            "2017-01-01T00:00:00.123456789+01:00",
        ] {
            assert_eq!(
                DateTimeOffset::parse(text),
                Err(ValueError::Precision {
                    type_name: "Edm.DateTimeOffset",
                    text: text.to_owned()
                }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn error_message_names_the_text_and_the_expected_form() {
        let err = DateTimeOffset::parse("2016-13-01T00:00:00Z").err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some(
                "invalid Edm.DateTimeOffset '2016-13-01T00:00:00Z': expected \
                 YYYY-MM-DDThh:mm[:ss[.fffffff]] followed by Z or ±hh:mm"
            )
        );
    }

    #[test]
    fn compares_chronologically_across_offsets() {
        assert!(
            parse("2017-01-01T00:00:19.2729934+03:00") < parse("2016-12-31T23:59:37.257201-08:00")
        );
        assert!(
            parse("2016-12-31T23:59:13.0497597+00:00") > parse("2017-01-01T00:00:05.810584+03:00")
        );
        assert_eq!(
            parse("2017-01-01T00:00:00+01:00"),
            parse("2016-12-31T23:00:00Z")
        );
        assert_eq!(
            parse("2017-01-01T00:00:00Z"),
            parse("2017-01-01T00:00:00.000+00:00")
        );
        assert_ne!(
            parse("2017-01-01T00:00:00Z"),
            parse("2017-01-01T00:00:00+00:01")
        );

        let mut sorted = [
            parse("2016-12-31T23:59:37.257201-08:00"),
            parse("2017-01-01T00:00:19.2729934+03:00"),
            parse("2016-12-31T23:59:23.3984029-08:00"),
            parse("2017-01-01T00:03:00.599191+03:00"),
            parse("2016-12-31T23:59:13.0497597+00:00"),
            parse("2017-01-01T00:00:05.810584+03:00"),
        ];
        sorted.sort();
        let texts: Vec<&str> = sorted.iter().map(DateTimeOffset::as_str).collect();
        assert_eq!(
            texts,
            [
                "2017-01-01T00:00:05.810584+03:00",
                "2017-01-01T00:00:19.2729934+03:00",
                "2017-01-01T00:03:00.599191+03:00",
                "2016-12-31T23:59:13.0497597+00:00",
                "2016-12-31T23:59:23.3984029-08:00",
                "2016-12-31T23:59:37.257201-08:00",
            ]
        );

        let set: HashSet<DateTimeOffset> = [
            parse("2017-01-01T00:00:00+01:00"),
            parse("2016-12-31T23:00:00Z"),
            parse("2016-12-31T15:00-08:00"),
        ]
        .into_iter()
        .collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn from_utc_ticks_builds_canonical_text() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00Z"),
            (0, 60, "1970-01-01T01:00:00+01:00"),
            (0, -480, "1969-12-31T16:00:00-08:00"),
            (0, -30, "1969-12-31T23:30:00-00:30"),
            (0, 899, "1970-01-01T14:59:00+14:59"),
            (1, 0, "1970-01-01T00:00:00.0000001Z"),
            (-1, 0, "1969-12-31T23:59:59.9999999Z"),
            (5_000_000, 0, "1970-01-01T00:00:00.5Z"),
            (MIN_LOCAL_TICKS, 0, "0001-01-01T00:00:00Z"),
            (END_LOCAL_TICKS - 1, 0, "9999-12-31T23:59:59.9999999Z"),
        ];
        for (ticks, offset, text) in cases {
            let value = DateTimeOffset::from_utc_ticks(ticks, offset);
            assert_eq!(value.as_ref().map(DateTimeOffset::as_str), Some(text));
            assert_eq!(
                value.map(|v| (v.utc_ticks(), v.offset_minutes())),
                Some((ticks, offset))
            );
        }
        assert!(DateTimeOffset::from_utc_ticks(0, 900).is_none());
        assert!(DateTimeOffset::from_utc_ticks(0, -900).is_none());
        assert!(DateTimeOffset::from_utc_ticks(MIN_LOCAL_TICKS - 1, 0).is_none());
        assert!(DateTimeOffset::from_utc_ticks(MIN_LOCAL_TICKS, -1).is_none());
        assert!(DateTimeOffset::from_utc_ticks(END_LOCAL_TICKS, 0).is_none());
        assert!(DateTimeOffset::from_utc_ticks(END_LOCAL_TICKS - 1, 1).is_none());
        assert!(DateTimeOffset::from_utc_ticks(i64::MAX, 1).is_none());
        assert!(DateTimeOffset::from_utc_ticks(i64::MIN, -1).is_none());
        assert!(DateTimeOffset::from_utc_ticks(0, i32::MIN).is_none());
    }

    #[test]
    fn min_value_is_year_one() {
        let min = DateTimeOffset::min_value();
        assert_eq!(min.as_str(), "0001-01-01T00:00:00Z");
        assert_eq!(min, parse("0001-01-01T00:00:00Z"));
        assert_eq!(min.utc_ticks(), -621_355_968_000_000_000);
        assert_eq!(
            (
                min.year(),
                min.month(),
                min.day(),
                min.hour(),
                min.minute(),
                min.second()
            ),
            (1, 1, 1, 0, 0, 0)
        );
        assert_eq!(min.to_chrono().to_rfc3339(), "0001-01-01T00:00:00+00:00");
    }

    #[test]
    fn parts_are_in_the_values_own_offset() {
        let value = parse("2016-12-31T23:59:23.3984029-08:00");
        assert_eq!((value.year(), value.month(), value.day()), (2016, 12, 31));
        assert_eq!(
            (
                value.hour(),
                value.minute(),
                value.second(),
                value.fractional_ticks()
            ),
            (23, 59, 23, 3_984_029)
        );
        assert_eq!(value.date().to_string(), "2016-12-31");
        assert_eq!(value.time_of_day().to_string(), "23:59:23.3984029");
        let value = parse("2017-01-01T00:00:05.810584+03:00");
        assert_eq!(
            (value.year(), value.month(), value.day(), value.hour()),
            (2017, 1, 1, 0)
        );
        assert_eq!(value.fractional_ticks(), 8_105_840);
    }

    #[test]
    fn chrono_conversions() {
        let value = parse("2016-12-31T23:59:23.3984029-08:00");
        let chrono = value.to_chrono();
        assert_eq!(chrono.offset().local_minus_utc(), -8 * 3600);
        assert_eq!(chrono.to_rfc3339(), "2016-12-31T23:59:23.398402900-08:00");
        let back = DateTimeOffset::from_chrono(&chrono);
        assert_eq!(
            back.as_ref().map(DateTimeOffset::as_str),
            Some("2016-12-31T23:59:23.3984029-08:00")
        );
        assert_eq!(back, Some(value));
        let odd_offset = FixedOffset::east_opt(30).map(|o| chrono.with_timezone(&o));
        assert_eq!(
            odd_offset.and_then(|dt| DateTimeOffset::from_chrono(&dt)),
            None
        );
    }

    /// Local ticks in 0001-01-01T00:00:00 ..= 9999-12-31T23:59:59.9999999 and an offset
    /// within ±14:00, as UTC ticks and offset.
    fn valid_instant() -> impl Strategy<Value = (i64, i32)> {
        (MIN_LOCAL_TICKS..END_LOCAL_TICKS, -840..=840_i32)
            .prop_map(|(local, offset)| (local - i64::from(offset) * TICKS_PER_MINUTE, offset))
    }

    proptest! {
        #[test]
        fn from_utc_ticks_round_trips((ticks, offset) in valid_instant()) {
            let value = DateTimeOffset::from_utc_ticks(ticks, offset);
            prop_assert!(value.is_some());
            let Some(value) = value else { return Ok(()) };
            let reparsed = DateTimeOffset::parse(value.as_str());
            prop_assert!(reparsed.is_ok(), "{:?}", reparsed);
            let Ok(reparsed) = reparsed else { return Ok(()) };
            prop_assert_eq!(reparsed.utc_ticks(), ticks);
            prop_assert_eq!(reparsed.offset_minutes(), offset);
            prop_assert_eq!(reparsed.as_str(), value.as_str());
            prop_assert_eq!(DateTimeOffset::from_chrono(&value.to_chrono()).map(|v| v.text), Some(value.text.clone()));
        }

        #[test]
        fn ordering_follows_ticks(a in valid_instant(), b in valid_instant()) {
            let x = DateTimeOffset::from_utc_ticks(a.0, a.1);
            let y = DateTimeOffset::from_utc_ticks(b.0, b.1);
            prop_assert_eq!(x.cmp(&y), a.0.cmp(&b.0));
        }

        #[test]
        fn parse_never_panics(text in any::<String>()) {
            let _ = DateTimeOffset::parse(&text);
        }

        #[test]
        fn parse_never_panics_near_grammar(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9:.]{0,20}[-+Zz0-9:]{0,8}") {
            if let Ok(value) = DateTimeOffset::parse(&text) {
                prop_assert_eq!(value.as_str(), text.as_str());
                let _ = (value.year(), value.hour(), value.to_chrono());
            }
        }
    }
}
