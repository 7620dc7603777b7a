//! Dates and times: the [`Dto`] representation of Edm.DateTimeOffset, reading
//! DateTimeOffset text (UTC ticks and offset), the date and time parts of DateTimeOffset,
//! Date and TimeOfDay values (`year` … `totaloffsetminutes`, `date`, `time`) and the
//! canonical TimeOfDay text.

use odata_core::bind::{ExprType, Function, function_name};
use odata_core::edm::PrimitiveKind;
use odata_core::error::ODataError;
use odata_core::value::{
    DateTimeOffset, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND,
};

use super::functions::ticks_to_seconds;
use super::{Translator, Val, internal};
use crate::sql::dialect::ExprDialect;
use crate::sql::frag::{Frag, frag};

/// An Edm.DateTimeOffset value: the instant in UTC ticks, the offset it is expressed in
/// (minutes), and — when the value is a stored or literal one — its text, from which the
/// local date and time parts are read by position.
#[derive(Debug, Clone)]
pub(crate) struct Dto {
    /// INTEGER 100 ns ticks since 1970-01-01T00:00:00Z.
    pub(crate) ticks: Frag,
    /// INTEGER offset in minutes; derived from `text` when `None`.
    pub(super) offset: Option<Frag>,
    /// The text as sent (`YYYY-MM-DDThh:mm[:ss[.f]]` + `Z`/`±hh:mm`/`±hhmm`/`±hh`).
    pub(crate) text: Option<Frag>,
}

/// `((x % m) + m) % m`: the floored remainder (SQLite's `%` truncates toward zero).
pub(super) fn floor_mod(x: &Frag, m: i64) -> Frag {
    frag!["(((", x, format!(" % {m}) + {m}) % {m})").as_str()]
}

/// The offset in minutes of DateTimeOffset text `t` (an atomic fragment), read from its
/// end: `Z`/`z`, `±hh:mm`, `±hh` or `±hhmm`.
fn offset_of_text(d: &impl ExprDialect, t: &Frag) -> Frag {
    let sign = |from_end: u32| {
        frag![
            "(CASE ",
            d.substr_from_end(t, from_end, 1),
            " WHEN '-' THEN -1 ELSE 1 END)"
        ]
    };
    let num = |from_end: u32| {
        frag![
            "CAST(",
            d.substr_from_end(t, from_end, 2),
            " AS ",
            d.integer_type(),
            ")"
        ]
    };
    frag![
        "(CASE WHEN ",
        d.substr_from_end(t, 1, 1),
        " IN ('Z', 'z') THEN 0 WHEN ",
        d.substr_from_end(t, 3, 1),
        " = ':' THEN ",
        sign(6),
        " * (",
        num(5),
        " * 60 + ",
        num(2),
        ") WHEN ",
        d.substr_from_end(t, 3, 1),
        " IN ('+', '-') THEN ",
        sign(3),
        " * ",
        num(2),
        " * 60 ELSE ",
        sign(5),
        " * (",
        num(4),
        " * 60 + ",
        num(2),
        ") END)"
    ]
}

/// The length of the offset suffix of DateTimeOffset text `t` (atomic).
fn offset_len_of_text(d: &impl ExprDialect, t: &Frag) -> Frag {
    frag![
        "(CASE WHEN ",
        d.substr_from_end(t, 1, 1),
        " IN ('Z', 'z') THEN 1 WHEN ",
        d.substr_from_end(t, 3, 1),
        " = ':' THEN 6 WHEN ",
        d.substr_from_end(t, 3, 1),
        " IN ('+', '-') THEN 3 ELSE 5 END)"
    ]
}

/// `CAST(substr(t, pos, len) AS INTEGER)`: digits at a fixed position.
pub(super) fn text_int(d: &impl ExprDialect, t: &Frag, pos: u32, len: u32) -> Frag {
    frag![
        "CAST(substr(",
        t,
        format!(", {pos}, {len}) AS ").as_str(),
        d.integer_type(),
        ")"
    ]
}

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// UTC ticks of DateTimeOffset text (null for null).
    pub(super) fn ticks_of_text(&mut self, text: Frag) -> Frag {
        let dialect = self.dialect;
        self.share(vec![text], |v| {
            let t = &v[0];
            let local_minute = dialect.epoch_seconds(frag![
                "substr(",
                t,
                ", 1, 10) || ' ' || substr(",
                t,
                ", 12, 5)"
            ]);
            frag![
                "((",
                local_minute,
                " + (CASE WHEN substr(",
                t,
                ", 17, 1) = ':' THEN ",
                text_int(dialect, t, 18, 2),
                format!(" ELSE 0 END)) * {TICKS_PER_SECOND} + (CASE WHEN substr(").as_str(),
                t,
                ", 20, 1) = '.' THEN CAST(substr(substr(",
                t,
                ", 21, length(",
                t,
                ") - 20 - ",
                offset_len_of_text(dialect, t),
                ") || '000000', 1, 7) AS ",
                dialect.integer_type(),
                ") ELSE 0 END) - ",
                offset_of_text(dialect, t),
                format!(" * {TICKS_PER_MINUTE})").as_str()
            ]
        })
    }

    /// The offset in minutes of `d`: its own, or read from its text.
    pub(super) fn dto_offset(&mut self, d: &Dto) -> Result<Frag, ODataError> {
        match (&d.offset, &d.text) {
            (Some(offset), _) => Ok(offset.clone()),
            (None, Some(text)) => {
                let dialect = self.dialect;
                Ok(self.share(vec![text.clone()], |v| offset_of_text(dialect, &v[0])))
            }
            (None, None) => Err(internal("a DateTimeOffset without offset")),
        }
    }

    /// year … totaloffsetminutes of a DateTimeOffset (in its own offset), a Date or a
    /// TimeOfDay.
    pub(super) fn temporal_part(
        &mut self,
        function: Function,
        v: Val,
        arg_type: &ExprType,
    ) -> Result<Val, ODataError> {
        let unsupported = || {
            internal(format!(
                "{} of a value that is not a date or time",
                function_name(function)
            ))
        };
        let ExprType::Primitive(kind) = arg_type else {
            // `null` literal argument.
            return Ok(Val::Scalar(Frag::atom("NULL")));
        };
        let dialect = self.dialect;
        match (kind, v) {
            (PrimitiveKind::Date, Val::Scalar(d)) => Ok(Val::Scalar(match function {
                Function::Year => text_int(dialect, &d, 1, 4),
                Function::Month => text_int(dialect, &d, 6, 2),
                Function::Day => text_int(dialect, &d, 9, 2),
                _ => return Err(unsupported()),
            })),
            (PrimitiveKind::TimeOfDay, Val::Scalar(t)) => time_part(self.dialect, function, &t)
                .map(Val::Scalar)
                .ok_or_else(unsupported),
            (PrimitiveKind::DateTimeOffset, Val::Dto(d)) => self.dto_part(function, d),
            _ => Err(unsupported()),
        }
    }

    /// A part of DateTimeOffset `d` in its own offset (`date` and `time` included).
    pub(super) fn dto_part(&mut self, function: Function, d: Dto) -> Result<Val, ODataError> {
        let dialect = self.dialect;
        match function {
            Function::TotalOffsetMinutes => return Ok(Val::Scalar(self.dto_offset(&d)?)),
            Function::Second => {
                return Ok(Val::Scalar(self.share(vec![d.ticks], |v| {
                    frag![
                        "(",
                        floor_mod(&v[0], TICKS_PER_MINUTE),
                        format!(" / {TICKS_PER_SECOND})").as_str()
                    ]
                })));
            }
            Function::FractionalSeconds => {
                return Ok(Val::Scalar(self.share(vec![d.ticks], |v| {
                    ticks_to_seconds(dialect, floor_mod(&v[0], TICKS_PER_SECOND))
                })));
            }
            _ => {}
        }
        if let Some(text) = d.text.clone() {
            // Local parts are where the text has them.
            return Ok(Val::Scalar(match function {
                Function::Year => text_int(dialect, &text, 1, 4),
                Function::Month => text_int(dialect, &text, 6, 2),
                Function::Day => text_int(dialect, &text, 9, 2),
                Function::Hour => text_int(dialect, &text, 12, 2),
                Function::Minute => text_int(dialect, &text, 15, 2),
                Function::Date => frag!["substr(", text, ", 1, 10)"],
                Function::Time => self.share(vec![text, d.ticks], |v| {
                    frag![
                        "(",
                        text_int(dialect, &v[0], 12, 2),
                        format!(" * {TICKS_PER_HOUR} + ").as_str(),
                        text_int(dialect, &v[0], 15, 2),
                        format!(" * {TICKS_PER_MINUTE} + ").as_str(),
                        floor_mod(&v[1], TICKS_PER_MINUTE),
                        ")"
                    ]
                }),
                _ => return Err(internal(function_name(function))),
            }));
        }
        let offset = self.dto_offset(&d)?;
        let local = frag![
            "(",
            d.ticks,
            " + ",
            offset,
            format!(" * {TICKS_PER_MINUTE})").as_str()
        ];
        Ok(Val::Scalar(self.share(vec![local], |v| {
            let local = &v[0];
            let tod = floor_mod(local, TICKS_PER_DAY);
            let days = frag![
                "((",
                local,
                " - ",
                &tod,
                format!(") / {TICKS_PER_DAY})").as_str()
            ];
            let date = dialect.date_from_epoch_days(days);
            match function {
                Function::Year => text_int(dialect, &date, 1, 4),
                Function::Month => text_int(dialect, &date, 6, 2),
                Function::Day => text_int(dialect, &date, 9, 2),
                Function::Date => date,
                Function::Hour => frag!["(", tod, format!(" / {TICKS_PER_HOUR})").as_str()],
                Function::Minute => {
                    frag!["(", tod, format!(" / {TICKS_PER_MINUTE} % 60)").as_str()]
                }
                _ => tod,
            }
        })))
    }
}

impl<D: ExprDialect> Translator<'_, D> {
    /// The text of DateTimeOffset `d`: its own (a stored or literal value), or for a
    /// computed one its instant in its offset, as [`DateTimeOffset::from_utc_ticks`] writes
    /// it. A `$apply` stage keeps computed values with this text, so they keep their offset
    /// and later stages read their parts as from any text.
    pub(crate) fn dto_text(&mut self, d: &Dto) -> Result<Frag, ODataError> {
        if let Some(text) = &d.text {
            return Ok(text.clone());
        }
        let offset = self.dto_offset(d)?;
        let dialect = self.dialect;
        Ok(self.share(vec![d.ticks.clone(), offset], |v| {
            instant_text(dialect, &v[0], &v[1])
        }))
    }
}

/// 10000-01-01T00:00:00Z in ticks from 1970-01-01T00:00:00Z: the end of the instants a
/// text in UTC can hold.
const END_UTC_TICKS: i64 = 2_932_897 * TICKS_PER_DAY;
/// 0001-01-01T00:00:00Z in ticks from 1970-01-01T00:00:00Z: the first instant a text in
/// UTC can hold.
const START_UTC_TICKS: i64 = -719_162 * TICKS_PER_DAY;

/// The text of UTC ticks `ticks` (atomic) as [`DateTimeOffset::from_instant`] writes it:
/// in UTC, or for an instant whose UTC date falls outside 0001–9999 in the whole hours
/// nearest to UTC that hold it (±14:59 beyond ±14:00). Null for null.
pub(crate) fn instant_text_nearest_utc(d: &impl ExprDialect, ticks: &Frag) -> Frag {
    let hours_after = frag![
        "((",
        ticks,
        format!(" - {END_UTC_TICKS}) / {TICKS_PER_HOUR} + 1)").as_str()
    ];
    let hours_before = frag![
        format!("(({START_UTC_TICKS} - ").as_str(),
        ticks,
        format!(" + {}) / {TICKS_PER_HOUR})", TICKS_PER_HOUR - 1).as_str()
    ];
    let offset = frag![
        "(CASE WHEN ",
        ticks,
        format!(" >= {END_UTC_TICKS} THEN -(CASE WHEN ").as_str(),
        &hours_after,
        " > 14 THEN 899 ELSE ",
        &hours_after,
        " * 60 END) WHEN ",
        ticks,
        format!(" < {START_UTC_TICKS} THEN (CASE WHEN ").as_str(),
        &hours_before,
        " > 14 THEN 899 ELSE ",
        &hours_before,
        " * 60 END) ELSE 0 END)"
    ];
    instant_text(d, ticks, &offset)
}

/// `YYYY-MM-DDThh:mm:ss[.fffffff]` followed by `Z` or `±hh:mm`: UTC ticks `ticks` in the
/// offset of `offset` minutes (both atomic), as [`DateTimeOffset::from_utc_ticks`] writes
/// it. Null for null ticks.
fn instant_text(d: &impl ExprDialect, ticks: &Frag, offset: &Frag) -> Frag {
    let local = frag![
        "(",
        ticks,
        " + ",
        offset,
        format!(" * {TICKS_PER_MINUTE})").as_str()
    ];
    let tod = floor_mod(&local, TICKS_PER_DAY);
    let days = frag![
        "((",
        &local,
        " - ",
        &tod,
        format!(") / {TICKS_PER_DAY})").as_str()
    ];
    let abs = frag!["abs(", offset, ")"];
    frag![
        "(",
        d.date_from_epoch_days(days),
        " || 'T' || ",
        time_of_day_text(d, &tod),
        " || (CASE WHEN ",
        offset,
        " = 0 THEN 'Z' ELSE (CASE WHEN ",
        offset,
        " < 0 THEN '-' ELSE '+' END) || ",
        d.zero_padded(frag!["(", &abs, " / 60)"], 2),
        " || ':' || ",
        d.zero_padded(frag!["(", &abs, " % 60)"], 2),
        " END))"
    ]
}

/// Parts of a TimeOfDay in ticks; `None` for parts it does not have.
fn time_part(d: &impl ExprDialect, function: Function, t: &Frag) -> Option<Frag> {
    Some(match function {
        Function::Hour => frag!["(", t, format!(" / {TICKS_PER_HOUR})").as_str()],
        Function::Minute => frag!["(", t, format!(" / {TICKS_PER_MINUTE} % 60)").as_str()],
        Function::Second => frag!["(", t, format!(" / {TICKS_PER_SECOND} % 60)").as_str()],
        Function::FractionalSeconds => {
            ticks_to_seconds(d, frag!["(", t, format!(" % {TICKS_PER_SECOND})").as_str()])
        }
        _ => return None,
    })
}

/// The canonical text `hh:mm:ss[.fffffff without trailing zeros]` of TimeOfDay ticks `t`
/// (atomic), as `TimeOfDay`'s `Display` writes it.
pub(super) fn time_of_day_text(d: &impl ExprDialect, t: &Frag) -> Frag {
    let part = |f| time_part(d, f, t).unwrap_or_else(|| Frag::atom("NULL"));
    frag![
        "(CASE WHEN ",
        t,
        " IS NOT NULL THEN ",
        d.zero_padded(part(Function::Hour), 2),
        " || ':' || ",
        d.zero_padded(part(Function::Minute), 2),
        " || ':' || ",
        d.zero_padded(part(Function::Second), 2),
        " || (CASE WHEN ",
        t,
        format!(" % {TICKS_PER_SECOND} = 0 THEN '' ELSE '.' || rtrim(").as_str(),
        d.zero_padded(frag!["(", t, format!(" % {TICKS_PER_SECOND})").as_str()], 7),
        ", '0') END) END)"
    ]
}

/// A DateTimeOffset literal: its ticks, offset and text as parameters.
pub(super) fn dto_literal(d: &DateTimeOffset) -> Dto {
    Dto {
        ticks: Frag::param(d.utc_ticks()),
        offset: Some(Frag::param(i64::from(d.offset_minutes()))),
        text: Some(Frag::param(d.as_str())),
    }
}
