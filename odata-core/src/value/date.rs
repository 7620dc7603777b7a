//! `Edm.Date` and `Edm.TimeOfDay`, plus the calendar and clock helpers shared with
//! `Edm.DateTimeOffset` and `Edm.Duration`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use super::error::ValueError;

/// 100-nanosecond ticks in one second: the unit of [`TimeOfDay::ticks`],
/// [`Duration::ticks`](super::Duration::ticks) and
/// [`DateTimeOffset::utc_ticks`](super::DateTimeOffset::utc_ticks).
pub const TICKS_PER_SECOND: i64 = 10_000_000;
/// 100-nanosecond ticks in one minute.
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
/// 100-nanosecond ticks in one hour.
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
/// 100-nanosecond ticks in one day.
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// Number of fractional-second digits that fit the 100 ns precision of these types.
const FRACTION_DIGITS: usize = 7;

/// Why a piece of text was rejected by one of the shared helpers; the caller turns it into
/// the [`ValueError`] variant of its own type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// The text does not follow the grammar (or names an impossible date/time).
    Syntax,
    /// More than 7 significant fractional digits.
    Precision,
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (negative before 1970).
pub(super) const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let m = month as i64;
    let d = day as i64;
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `(year, month, day)` that is `days` after 1970-01-01.
pub(super) const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if m <= 2 { y + 1 } else { y };
    (year, m as u32, d as u32)
}

/// Whether `year` is a leap year of the proleptic Gregorian calendar.
const fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` of `year` (0 for a month outside 1–12).
const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Exactly two ASCII digits.
pub(super) fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [h @ b'0'..=b'9', l @ b'0'..=b'9'] => Some(u32::from(h - b'0') * 10 + u32::from(l - b'0')),
        _ => None,
    }
}

/// `YYYY-MM-DD` with a 4-digit year 0001–9999 and a real calendar date.
pub(super) fn parse_date_bytes(b: &[u8]) -> Result<(i32, u32, u32), Fault> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return Err(Fault::Syntax);
    };
    let year = two_digits(&[*y0, *y1]).zip(two_digits(&[*y2, *y3]));
    let (Some((hi, lo)), Some(month), Some(day)) =
        (year, two_digits(&[*m0, *m1]), two_digits(&[*d0, *d1]))
    else {
        return Err(Fault::Syntax);
    };
    let year = hi * 100 + lo;
    if year == 0 || day == 0 || day > days_in_month(i64::from(year), month) {
        return Err(Fault::Syntax);
    }
    // `year` is at most 9999, so the conversion cannot fail.
    let year = i32::try_from(year).map_err(|_| Fault::Syntax)?;
    Ok((year, month, day))
}

/// One or more fractional-second digits as 100 ns ticks; digits beyond the seventh must be
/// zeros.
pub(super) fn parse_fraction(digits: &[u8]) -> Result<i64, Fault> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Fault::Syntax);
    }
    let (kept, extra) = digits.split_at(digits.len().min(FRACTION_DIGITS));
    if extra.iter().any(|&d| d != b'0') {
        return Err(Fault::Precision);
    }
    let mut ticks = 0_i64;
    for i in 0..FRACTION_DIGITS {
        let digit = kept.get(i).map_or(0, |&d| i64::from(d - b'0'));
        ticks = ticks * 10 + digit;
    }
    Ok(ticks)
}

/// `hh:mm[:ss[.f…]]` as 100 ns ticks since midnight.
pub(super) fn parse_time_bytes(b: &[u8]) -> Result<i64, Fault> {
    let (hm, rest) = b.split_at_checked(5).ok_or(Fault::Syntax)?;
    let [h0, h1, b':', m0, m1] = hm else {
        return Err(Fault::Syntax);
    };
    let (Some(hour), Some(minute)) = (two_digits(&[*h0, *h1]), two_digits(&[*m0, *m1])) else {
        return Err(Fault::Syntax);
    };
    if hour > 23 || minute > 59 {
        return Err(Fault::Syntax);
    }
    let mut ticks = i64::from(hour) * TICKS_PER_HOUR + i64::from(minute) * TICKS_PER_MINUTE;
    if rest.is_empty() {
        return Ok(ticks);
    }
    let (sec, rest) = rest.split_at_checked(3).ok_or(Fault::Syntax)?;
    let [b':', s0, s1] = sec else {
        return Err(Fault::Syntax);
    };
    let second = two_digits(&[*s0, *s1]).ok_or(Fault::Syntax)?;
    if second > 59 {
        return Err(Fault::Syntax);
    }
    ticks += i64::from(second) * TICKS_PER_SECOND;
    match rest {
        [] => Ok(ticks),
        [b'.', digits @ ..] => Ok(ticks + parse_fraction(digits)?),
        _ => Err(Fault::Syntax),
    }
}

/// Writes `.fffffff` with trailing zeros trimmed, or nothing when `fraction` is 0.
pub(super) fn write_fraction(f: &mut fmt::Formatter<'_>, fraction: i64) -> fmt::Result {
    let (digits, len) = fraction_digits(fraction);
    if len == 0 {
        return Ok(());
    }
    f.write_str(".")?;
    f.write_str(std::str::from_utf8(&digits[..len]).unwrap_or_default())
}

/// The seven digits of `fraction` (ticks below a second) and how many of them are left
/// once trailing zeros are dropped (0 for no fraction); built in place, as values are
/// written by the thousand per response.
pub(super) fn fraction_digits(fraction: i64) -> ([u8; 7], usize) {
    let mut digits = [b'0'; 7];
    let mut rest = fraction.unsigned_abs();
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let len = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
    (digits, len)
}

/// Writes `hh:mm:ss[.fffffff trimmed]` for a time of day in 100 ns ticks.
pub(super) fn write_time(f: &mut fmt::Formatter<'_>, ticks: i64) -> fmt::Result {
    let hour = ticks / TICKS_PER_HOUR;
    let minute = ticks % TICKS_PER_HOUR / TICKS_PER_MINUTE;
    let second = ticks % TICKS_PER_MINUTE / TICKS_PER_SECOND;
    write!(f, "{hour:02}:{minute:02}:{second:02}")?;
    write_fraction(f, ticks % TICKS_PER_SECOND)
}

/// Days from 0001-01-01 (day 1 of the common era, as chrono counts) to 1970-01-01.
const CE_DAYS_AT_EPOCH: i64 = 719_163;

/// The earliest `Edm.Date` this crate represents.
const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(date) => date,
    None => panic!("0001-01-01 is a valid date"),
};

/// An `Edm.Date`: a calendar date `YYYY-MM-DD` between 0001-01-01 and 9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD` (4-digit year 0001–9999, real calendar date).
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        parse_date_bytes(text.as_bytes())
            .ok()
            .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
            .map(Self)
            .ok_or_else(|| ValueError::Date(text.to_owned()))
    }

    /// The date with the given parts, if it is a real date in years 0001–9999.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        if !(1..=9999).contains(&year) {
            return None;
        }
        NaiveDate::from_ymd_opt(year, month, day).map(Self)
    }

    /// 0001-01-01, the earliest date.
    pub fn min_value() -> Self {
        Self(MIN_DATE)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_from_epoch(self) -> i64 {
        i64::from(self.0.num_days_from_ce()) - CE_DAYS_AT_EPOCH
    }

    /// The date `days` after 1970-01-01, if it lies in years 0001–9999.
    pub fn from_days_from_epoch(days: i64) -> Option<Self> {
        let ce = i32::try_from(days.checked_add(CE_DAYS_AT_EPOCH)?).ok()?;
        NaiveDate::from_num_days_from_ce_opt(ce).and_then(Self::from_chrono)
    }

    /// The date as a chrono date.
    pub fn to_chrono(self) -> NaiveDate {
        self.0
    }

    /// The chrono date, if it lies in years 0001–9999.
    pub fn from_chrono(date: NaiveDate) -> Option<Self> {
        (1..=9999).contains(&date.year()).then_some(Self(date))
    }

    /// The year, 1–9999.
    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// The month, 1–12.
    pub fn month(self) -> i32 {
        self.0.month().cast_signed()
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> i32 {
        self.0.day().cast_signed()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl FromStr for Date {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An `Edm.TimeOfDay`: a clock time `hh:mm[:ss[.fffffff]]`, held as 100 ns ticks since
/// midnight (0 ≤ ticks < 864 000 000 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(i64);

impl TimeOfDay {
    /// Parses `hh:mm[:ss[.f…]]`: hour 00–23, minute and second 00–59, up to 7 fractional
    /// digits (more only when the extra digits are zeros).
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match parse_time_bytes(text.as_bytes()) {
            Ok(ticks) => Ok(Self(ticks)),
            Err(Fault::Syntax) => Err(ValueError::TimeOfDay(text.to_owned())),
            Err(Fault::Precision) => Err(ValueError::Precision {
                type_name: "Edm.TimeOfDay",
                text: text.to_owned(),
            }),
        }
    }

    /// Midnight, `00:00:00`.
    pub fn midnight() -> Self {
        Self(0)
    }

    /// The time `ticks` × 100 ns after midnight, if that is within the day.
    pub fn from_ticks(ticks: i64) -> Option<Self> {
        (0..TICKS_PER_DAY).contains(&ticks).then_some(Self(ticks))
    }

    /// The time with the given parts, if each is within its range (`fractional_ticks` is
    /// in 100 ns units, below 10 000 000).
    pub fn new(hour: u32, minute: u32, second: u32, fractional_ticks: i64) -> Option<Self> {
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        if !(0..TICKS_PER_SECOND).contains(&fractional_ticks) {
            return None;
        }
        Some(Self(
            i64::from(hour) * TICKS_PER_HOUR
                + i64::from(minute) * TICKS_PER_MINUTE
                + i64::from(second) * TICKS_PER_SECOND
                + fractional_ticks,
        ))
    }

    /// 100 ns ticks since midnight.
    pub fn ticks(self) -> i64 {
        self.0
    }

    /// The hour, 0–23.
    pub fn hour(self) -> i32 {
        part(self.0 / TICKS_PER_HOUR)
    }

    /// The minute, 0–59.
    pub fn minute(self) -> i32 {
        part(self.0 % TICKS_PER_HOUR / TICKS_PER_MINUTE)
    }

    /// The second, 0–59.
    pub fn second(self) -> i32 {
        part(self.0 % TICKS_PER_MINUTE / TICKS_PER_SECOND)
    }

    /// The fraction of the second in 100 ns ticks, 0–9 999 999.
    pub fn fractional_ticks(self) -> i64 {
        self.0 % TICKS_PER_SECOND
    }
}

/// Narrows a small, already range-checked clock or calendar part to `i32`.
pub(super) fn part(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(0)
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_time(f, self.0)
    }
}

impl FromStr for TimeOfDay {
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
    fn civil_round_trip_and_known_points() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(9999, 12, 31), 2_932_896);
        for days in -719_162..=2_932_896 {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=9999).contains(&y));
            assert!(d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn date_accepts() {
        let cases = [
            ("0001-01-01", 1, 1, 1),
            ("1970-01-01", 1970, 1, 1),
            ("2000-02-29", 2000, 2, 29),
            ("2016-02-29", 2016, 2, 29),
            ("2016-12-31", 2016, 12, 31),
            ("9999-12-31", 9999, 12, 31),
        ];
        for (text, y, m, d) in cases {
            let date = Date::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((date.year(), date.month(), date.day()), (y, m, d), "{text}");
            assert_eq!(date.to_string(), text);
            assert_eq!(text.parse::<Date>(), Ok(date));
            assert_eq!(
                Date::new(y, m.cast_unsigned(), d.cast_unsigned()),
                Some(date)
            );
            assert_eq!(
                Date::from_days_from_epoch(date.days_from_epoch()),
                Some(date)
            );
        }
    }

    #[test]
    fn date_rejects() {
        let cases = [
            "",
            "2016",
            "2016-1-01",
            "2016-01-1",
            "16-01-01",
            "0000-01-01",
            "10000-01-01",
            "-2016-01-01",
            "2016-00-01",
            "2016-13-01",
            "2016-01-00",
            "2016-01-32",
            "2015-02-29",
            "1900-02-29",
            "2016-04-31",
            "2016/01/01",
            "2016-01-01T00:00",
            "2016-01-01 ",
            " 2016-01-01",
            "２０16-01-01",
            "2016-0a-01",
        ];
        for text in cases {
            assert_eq!(
                Date::parse(text),
                Err(ValueError::Date(text.to_owned())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn date_epoch_days_and_bounds() {
        let min = Date::min_value();
        assert_eq!(min.to_string(), "0001-01-01");
        assert_eq!(min.days_from_epoch(), -719_162);
        assert_eq!(Date::parse("1970-01-02").map(Date::days_from_epoch), Ok(1));
        assert_eq!(Date::parse("1969-12-31").map(Date::days_from_epoch), Ok(-1));
        assert_eq!(Date::from_days_from_epoch(-719_163), None);
        assert_eq!(Date::from_days_from_epoch(2_932_897), None);
        assert_eq!(Date::from_days_from_epoch(i64::MAX), None);
        assert_eq!(Date::from_days_from_epoch(i64::MIN), None);
        assert_eq!(
            Date::from_days_from_epoch(2_932_896).map(|d| d.to_string()),
            Some("9999-12-31".to_owned())
        );
        assert_eq!(Date::new(0, 1, 1), None);
        assert_eq!(Date::new(10_000, 1, 1), None);
        assert_eq!(Date::new(2015, 2, 29), None);
        assert!(Date::parse("2016-12-31").ok() < Date::parse("2017-01-01").ok());
        let date = Date::min_value().to_chrono();
        assert_eq!(Date::from_chrono(date), Some(Date::min_value()));
        assert_eq!(Date::from_chrono(NaiveDate::MIN), None);
    }

    #[test]
    fn time_of_day_accepts() {
        let cases: [(&str, i64, &str); 9] = [
            ("00:00", 0, "00:00:00"),
            ("00:00:00", 0, "00:00:00"),
            (
                "23:59",
                23 * TICKS_PER_HOUR + 59 * TICKS_PER_MINUTE,
                "23:59:00",
            ),
            ("23:59:59.9999999", TICKS_PER_DAY - 1, "23:59:59.9999999"),
            ("12:34:56.5", 452_965_000_000, "12:34:56.5"),
            ("12:34:56.50", 452_965_000_000, "12:34:56.5"),
            ("00:00:00.0000001", 1, "00:00:00.0000001"),
            ("00:00:00.000000100", 1, "00:00:00.0000001"),
            ("01:02:03.000", 37_230_000_000, "01:02:03"),
        ];
        for (text, ticks, canonical) in cases {
            let time = TimeOfDay::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(time.ticks(), ticks, "{text}");
            assert_eq!(time.to_string(), canonical, "{text}");
            assert_eq!(canonical.parse::<TimeOfDay>(), Ok(time));
            assert_eq!(TimeOfDay::from_ticks(ticks), Some(time));
        }
        let time = TimeOfDay::parse("13:14:15.1617181").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                time.hour(),
                time.minute(),
                time.second(),
                time.fractional_ticks()
            ),
            (13, 14, 15, 1_617_181)
        );
        assert_eq!(TimeOfDay::new(13, 14, 15, 1_617_181), Some(time));
        assert_eq!(TimeOfDay::midnight().to_string(), "00:00:00");
    }

    #[test]
    fn time_of_day_rejects() {
        let cases = [
            "",
            "0",
            "00",
            "00:",
            "00:0",
            "0:00",
            "24:00",
            "23:60",
            "23:59:60",
            "23:59:5",
            "23:59:59.",
            "23:59:59.a",
            "23:59:59,5",
            "23:59:59Z",
            " 23:59",
            "23:59 ",
            "23-59",
            "-01:00",
            "+01:00",
            "12:00:00.5.",
            "T12:00",
        ];
        for text in cases {
            assert_eq!(
                TimeOfDay::parse(text),
                Err(ValueError::TimeOfDay(text.to_owned())),
                "{text:?}"
            );
        }
        assert_eq!(
            TimeOfDay::parse("00:00:00.00000001"),
            Err(ValueError::Precision {
                type_name: "Edm.TimeOfDay",
                text: "00:00:00.00000001".to_owned()
            })
        );
        assert_eq!(TimeOfDay::from_ticks(-1), None);
        assert_eq!(TimeOfDay::from_ticks(TICKS_PER_DAY), None);
        assert_eq!(TimeOfDay::new(24, 0, 0, 0), None);
        assert_eq!(TimeOfDay::new(0, 60, 0, 0), None);
        assert_eq!(TimeOfDay::new(0, 0, 60, 0), None);
        assert_eq!(TimeOfDay::new(0, 0, 0, TICKS_PER_SECOND), None);
        assert_eq!(TimeOfDay::new(0, 0, 0, -1), None);
    }

    proptest! {
        #[test]
        fn date_round_trips(days in -719_162_i64..=2_932_896) {
            let date = Date::from_days_from_epoch(days);
            prop_assert!(date.is_some());
            if let Some(date) = date {
                prop_assert_eq!(date.days_from_epoch(), days);
                prop_assert_eq!(Date::parse(&date.to_string()), Ok(date));
            }
        }

        #[test]
        fn time_of_day_round_trips(ticks in 0..TICKS_PER_DAY) {
            let time = TimeOfDay::from_ticks(ticks);
            prop_assert!(time.is_some());
            if let Some(time) = time {
                prop_assert_eq!(TimeOfDay::parse(&time.to_string()), Ok(time));
            }
        }

        #[test]
        fn date_parse_never_panics(text in any::<String>()) {
            let _ = Date::parse(&text);
        }

        #[test]
        fn date_parse_never_panics_near_grammar(text in "[0-9:.\\-]{0,12}") {
            let _ = Date::parse(&text);
        }

        #[test]
        fn time_of_day_parse_never_panics(text in any::<String>()) {
            let _ = TimeOfDay::parse(&text);
        }

        #[test]
        fn time_of_day_parse_never_panics_near_grammar(text in "[0-9:.]{0,20}") {
            let _ = TimeOfDay::parse(&text);
        }
    }
}
