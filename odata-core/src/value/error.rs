//! Errors raised when text cannot be turned into a typed Edm value.

/// Why a literal could not be read as a typed Edm value.
///
/// Every variant carries the offending text exactly as received, and its message says
/// what was expected, so it can be shown to a client as the message of a 400 response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The text is not an `Edm.DateTimeOffset` (syntax, calendar date, time or offset).
    #[error(
        "invalid Edm.DateTimeOffset '{0}': expected YYYY-MM-DDThh:mm[:ss[.fffffff]] followed by Z or ±hh:mm"
    )]
    DateTimeOffset(String),
    /// The text is not an `Edm.Duration`.
    #[error("invalid Edm.Duration '{0}': expected [-]P[nD][T[nH][nM][n[.fffffff]S]]")]
    Duration(String),
    /// The text is not an `Edm.Date` (syntax or calendar date).
    #[error("invalid Edm.Date '{0}': expected YYYY-MM-DD")]
    Date(String),
    /// The text is not an `Edm.TimeOfDay`.
    #[error("invalid Edm.TimeOfDay '{0}': expected hh:mm[:ss[.fffffff]]")]
    TimeOfDay(String),
    /// The text has more than 7 significant fractional digits of seconds; these types have a
    /// precision of 100 nanoseconds.
    #[error(
        "invalid {type_name} '{text}': more than 7 significant fractional digits of seconds (precision is 100 ns)"
    )]
    Precision {
        /// The Edm type name, e.g. `Edm.Duration`.
        type_name: &'static str,
        /// The offending text.
        text: String,
    },
    /// The text is well formed but its value does not fit the type's range.
    #[error("invalid {type_name} '{text}': value out of range")]
    OutOfRange {
        /// The Edm type name, e.g. `Edm.Duration`.
        type_name: &'static str,
        /// The offending text.
        text: String,
    },
}

impl ValueError {
    /// The qualified Edm type name the text was meant to be, e.g. `Edm.Duration`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::DateTimeOffset(_) => "Edm.DateTimeOffset",
            Self::Duration(_) => "Edm.Duration",
            Self::Date(_) => "Edm.Date",
            Self::TimeOfDay(_) => "Edm.TimeOfDay",
            Self::Precision { type_name, .. } | Self::OutOfRange { type_name, .. } => type_name,
        }
    }

    /// The offending text exactly as received.
    pub fn text(&self) -> &str {
        match self {
            Self::DateTimeOffset(text)
            | Self::Duration(text)
            | Self::Date(text)
            | Self::TimeOfDay(text)
            | Self::Precision { text, .. }
            | Self::OutOfRange { text, .. } => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_expected() {
        assert_eq!(
            ValueError::DateTimeOffset("2016-13-01T00:00:00Z".into()).to_string(),
            "invalid Edm.DateTimeOffset '2016-13-01T00:00:00Z': expected \
             YYYY-MM-DDThh:mm[:ss[.fffffff]] followed by Z or ±hh:mm"
        );
        assert_eq!(
            ValueError::Duration("P1Y".into()).to_string(),
            "invalid Edm.Duration 'P1Y': expected [-]P[nD][T[nH][nM][n[.fffffff]S]]"
        );
        assert_eq!(
            ValueError::Date("2016-02-30".into()).to_string(),
            "invalid Edm.Date '2016-02-30': expected YYYY-MM-DD"
        );
        assert_eq!(
            ValueError::TimeOfDay("24:00".into()).to_string(),
            "invalid Edm.TimeOfDay '24:00': expected hh:mm[:ss[.fffffff]]"
        );
        let e = ValueError::Precision {
            type_name: "Edm.Duration",
            text: "PT0.12345678S".into(),
        };
        assert_eq!(
            e.to_string(),
            "invalid Edm.Duration 'PT0.12345678S': more than 7 significant fractional digits \
             of seconds (precision is 100 ns)"
        );
        assert_eq!(e.type_name(), "Edm.Duration");
        assert_eq!(e.text(), "PT0.12345678S");
        let e = ValueError::OutOfRange {
            type_name: "Edm.Duration",
            text: "P99999999999999D".into(),
        };
        assert_eq!(
            e.to_string(),
            "invalid Edm.Duration 'P99999999999999D': value out of range"
        );
        assert_eq!(ValueError::Date("x".into()).type_name(), "Edm.Date");
        assert_eq!(ValueError::TimeOfDay("x".into()).text(), "x");
    }
}
