//! 7. Literal Data Values (URL forms): `primitiveLiteral` and its alternatives.
//!
//! Typed literals keep their text. A space where the grammar needs a `+` (a DateTimeOffset
//! offset, an exponent sign) is read as `+` and stored as `+`, because clients send `+` for
//! spaces and a real plus arrives as `%2B`.

use super::{
    Ctx, PError, PResult, keyword, keyword_ci, qualified_name, strip_prefix_ci, tag_ci, word_end,
};
use crate::query::ast::{GeoKind, Literal, NumberKind};
use crate::query::error::ParseErrorKind;
use nom::branch::alt;
use nom::bytes::complete::{take_while, take_while_m_n, take_while1};
use nom::character::complete::{char, one_of};
use nom::combinator::{map, not, opt, recognize, value, verify};
use nom::sequence::{pair, preceded, terminated};
use nom::{Err, Parser};

// primitiveLiteral = null / boolean / guid / dateTimeOffsetLiteral / date / timeOfDayLiteral
//                  / decimalLiteral / doubleLiteral / singleLiteral / sbyteLiteral / byte
//                  / int16Literal / int32Literal / int64Literal / stringLiteral
//                  / durationLiteral / enumLiteral / binaryLiteral / geography… / geometry…
/// Any URL primitive literal. Fails recoverably (`Err::Error`) if `i` does not start one;
/// fails committed once a literal is recognised but malformed (unterminated string, `42.`).
pub fn primitive_literal<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Literal> {
    let time = map(
        terminated(recognize(time_of_day), (word_end, not(char('.')))),
        |text: &str| Literal::TimeOfDay(text.to_owned()),
    );
    let guid = || map(guid, |text: &str| Literal::Guid(text.to_owned()));
    let date_or_dto = |x| date_or_date_time_offset(ctx, x);
    let number = |x| number(ctx, x);
    // Only the alternatives that can start with the first character are tried: this runs
    // for every name in an expression, before it is read as a property path.
    let result = match i.chars().next() {
        Some('\'') => map(|x| string_literal(ctx, x), Literal::String).parse(i),
        Some('0'..='9') => alt((guid(), date_or_dto, time, number)).parse(i),
        Some('-') => alt((date_or_dto, number)).parse(i),
        Some('+') => number(i),
        Some(c) if c.is_alphabetic() || c == '_' => {
            let keyword_led = match c {
                // null = %s"null"
                'n' => value(Literal::Null, keyword("null")).parse(i),
                // boolean = "true" / "false"
                't' | 'T' => value(Literal::Bool(true), keyword_ci("true")).parse(i),
                'f' | 'F' => value(Literal::Bool(false), keyword_ci("false")).parse(i),
                'd' | 'D' | 'b' | 'B' | 'g' | 'G' => prefixed_quoted(ctx, i),
                // nanInfinity = %s"NaN" / %s"-INF" / %s"INF"
                'N' | 'I' => number(i),
                _ => Err(Err::Error(nom::error::ParseError::from_char(i, '\''))),
            };
            match keyword_led {
                Err(Err::Error(_)) => alt((guid(), |x| enum_literal(ctx, x))).parse(i),
                other => other,
            }
        }
        _ => return ctx.err(i, "expected a literal"),
    };
    match result {
        Err(Err::Error(_)) => ctx.err(i, "expected a literal"),
        other => other,
    }
}

// stringLiteral    = SQUOTE *( SQUOTE-in-string / pchar-no-SQUOTE ) SQUOTE
// SQUOTE-in-string = SQUOTE SQUOTE
/// A single-quoted string; `''` stands for one quote. Returns the unescaped content.
pub fn string_literal<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, String> {
    preceded(char('\''), |body| quoted_body(ctx, body)).parse(i)
}

/// Reads up to the closing quote of a quoted literal whose opening quote is consumed.
pub fn quoted_body<'a>(ctx: &Ctx<'_>, body: &'a str) -> PResult<'a, String> {
    let mut out = String::new();
    let mut rest = body;
    // Runs of non-quote text, each ended by `''` (an escaped quote) or the closing `'`.
    loop {
        let Some(idx) = rest.find('\'') else {
            return ctx.fail_kind(
                body,
                ParseErrorKind::UnexpectedEnd,
                "unterminated quoted literal: expected closing '''",
            );
        };
        out.push_str(&rest[..idx]);
        let after = &rest[idx + 1..];
        match after.strip_prefix('\'') {
            Some(after2) => {
                out.push('\'');
                rest = after2;
            }
            None => return Ok((after, out)),
        }
    }
}

/// A committed [`ParseErrorKind::InvalidLiteral`] error.
fn invalid<'a, T>(ctx: &Ctx<'_>, at: &str, message: &'static str) -> PResult<'a, T> {
    ctx.fail_kind(at, ParseErrorKind::InvalidLiteral, message)
}

// durationLiteral = [ "duration" ] SQUOTE durationValue SQUOTE
// binaryLiteral   = "binary" SQUOTE binaryValue SQUOTE
// geographyPrefix = "geography" ; geometryPrefix = "geometry"
/// `duration'…'`, `binary'…'`, `geography'…'`, `geometry'…'` (prefix case-insensitive).
fn prefixed_quoted<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Literal> {
    let prefix = alt((
        tag_ci("duration"),
        tag_ci("binary"),
        tag_ci("geography"),
        tag_ci("geometry"),
    ));
    let (body, prefix) = terminated(prefix, char('\'')).parse(i)?;
    let (after, text) = quoted_body(ctx, body)?;
    let literal = match prefix.to_ascii_lowercase().as_str() {
        "duration" if duration_value(&text) => Literal::Duration(text),
        "duration" => {
            return invalid(
                ctx,
                body,
                "invalid duration: expected [-]P[nD][T[nH][nM][n[.n]S]]",
            );
        }
        "binary" if binary_value(&text) => Literal::Binary(text),
        "binary" => return invalid(ctx, body, "invalid binary literal: expected base64url"),
        geo if geo_value(&text) => Literal::Geo {
            kind: if geo == "geography" {
                GeoKind::Geography
            } else {
                GeoKind::Geometry
            },
            text,
        },
        _ => {
            return invalid(
                ctx,
                body,
                "invalid spatial literal: expected SRID=n;Type(coordinates)",
            );
        }
    };
    Ok((after, literal))
}

// durationValue = [ "-" ] "P" [ 1*DIGIT "D" ] [ "T" [ 1*DIGIT "H" ] [ 1*DIGIT "M" ] [ 1*DIGIT [ "." 1*DIGIT ] "S" ] ]
/// Validates the body of a duration literal.
pub fn duration_value(text: &str) -> bool {
    fn num_unit(s: &str, unit: char) -> Option<&str> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        if end == 0 {
            return None;
        }
        s[end..].strip_prefix(unit)
    }
    let s = text.strip_prefix('-').unwrap_or(text);
    let Some(mut s) = s.strip_prefix('P') else {
        return false;
    };
    if let Some(r) = num_unit(s, 'D') {
        s = r;
    }
    if let Some(r) = s.strip_prefix('T') {
        s = r;
        if let Some(r) = num_unit(s, 'H') {
            s = r;
        }
        if let Some(r) = num_unit(s, 'M') {
            s = r;
        }
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        if end > 0 {
            let mut r = &s[end..];
            if let Some(frac) = r.strip_prefix('.') {
                let fend = frac
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(frac.len());
                if fend == 0 {
                    return false;
                }
                r = &frac[fend..];
            }
            match r.strip_prefix('S') {
                Some(r2) => s = r2,
                None => return false,
            }
        }
    }
    s.is_empty()
}

// binaryValue = *(4base64char) [ base64b16 / base64b8 ]
// base64char  = ALPHA / DIGIT / "-" / "_"
/// Validates base64url text (padding optional).
pub fn binary_value(text: &str) -> bool {
    let data = text.trim_end_matches('=');
    let pad = text.len() - data.len();
    if !data
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return false;
    }
    match data.len() % 4 {
        0 => pad == 0,
        2 => pad == 0 || pad == 2,
        3 => pad <= 1,
        _ => false,
    }
}

// fullPointLiteral etc. = sridLiteral ( pointLiteral / lineStringLiteral / … )
// sridLiteral = "SRID" EQ 1*5DIGIT SEMI
/// Light validation of a spatial literal body; the text is kept for the binder. The SRID
/// prefix may be left out (WKT as clients write it): the binder then uses the family's
/// default.
pub fn geo_value(text: &str) -> bool {
    let body = match strip_prefix_ci(text, "SRID=") {
        Some(rest) => {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 || digits > 5 {
                return false;
            }
            let Some(body) = rest[digits..].strip_prefix(';') else {
                return false;
            };
            body
        }
        None => text,
    };
    let name_end = body.find('(').unwrap_or(body.len());
    if name_end == 0 || !body[..name_end].bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let mut level = 0i32;
    for (idx, c) in body[name_end..].char_indices() {
        match c {
            '(' => level += 1,
            ')' => {
                level -= 1;
                if level < 0 {
                    return false;
                }
                if level == 0 && idx + 1 != body.len() - name_end {
                    return false;
                }
            }
            c if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '+' | ',') => {}
            _ => return false,
        }
    }
    level == 0 && body.ends_with(')')
}

/// `n` hexadecimal digits.
fn hex<'a>(n: usize) -> impl Parser<&'a str, Output = &'a str, Error = PError> {
    take_while_m_n(n, n, |c: char| c.is_ascii_hexdigit())
}

// guid = 8HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 12HEXDIG
/// A GUID (its text).
pub fn guid(i: &str) -> PResult<'_, &str> {
    // Look-ahead: most names and numbers fail at the first dash.
    if i.as_bytes().get(8) != Some(&b'-') {
        return Err(Err::Error(nom::error::ParseError::from_char(i, '-')));
    }
    let dash = || char('-');
    terminated(
        recognize((
            hex(8),
            dash(),
            hex(4),
            dash(),
            hex(4),
            dash(),
            hex(4),
            dash(),
            hex(12),
        )),
        word_end,
    )
    .parse(i)
}

/// Two ASCII digits satisfying `ok` (on their byte values).
fn two_digits<'a>(
    ok: impl Fn(u8, u8) -> bool,
) -> impl Parser<&'a str, Output = &'a str, Error = PError> {
    verify(
        take_while_m_n(2, 2, |c: char| c.is_ascii_digit()),
        move |d: &str| {
            let b = d.as_bytes();
            ok(b[0], b[1])
        },
    )
}

// date  = year "-" month "-" day
// year  = [ "-" ] ( "0" 3DIGIT / oneToNine 3*DIGIT )
// month = "0" oneToNine / "1" ( "0" / "1" / "2" )
// day   = "0" oneToNine / ( "1" / "2" ) DIGIT / "3" ( "0" / "1" )
/// A date (its text).
pub fn date(i: &str) -> PResult<'_, &str> {
    let year = preceded(
        opt(char('-')),
        verify(take_while1(|c: char| c.is_ascii_digit()), |y: &str| {
            y.len() == 4 || (y.len() > 4 && !y.starts_with('0'))
        }),
    );
    let month = two_digits(|a, b| (a == b'0' && b != b'0') || (a == b'1' && b <= b'2'));
    let day = two_digits(|a, b| {
        (a == b'0' && b != b'0') || a == b'1' || a == b'2' || (a == b'3' && b <= b'1')
    });
    recognize((year, char('-'), month, char('-'), day)).parse(i)
}

// hour = ( "0" / "1" ) DIGIT / "2" ( "0" / "1" / "2" / "3" )
fn hour(i: &str) -> PResult<'_, &str> {
    two_digits(|a, b| a <= b'1' || (a == b'2' && b <= b'3')).parse(i)
}

// minute = zeroToFiftyNine
fn minute(i: &str) -> PResult<'_, &str> {
    two_digits(|a, _| a <= b'5').parse(i)
}

// timeOfDayLiteral  = hour COLON minute [ COLON second [ "." fractionalSeconds ] ]
// second            = zeroToFiftyNine / "60"
// fractionalSeconds = 1*12DIGIT
/// A time of day (its text). A `.` after the seconds must start 1 to 12 digits.
pub fn time_of_day(i: &str) -> PResult<'_, &str> {
    let second = two_digits(|a, b| a <= b'5' || (a == b'6' && b == b'0'));
    let (rest, text) = recognize((
        hour,
        char(':'),
        minute,
        opt(pair(
            preceded(char(':'), second),
            opt(preceded(
                char('.'),
                take_while(|c: char| c.is_ascii_digit()),
            )),
        )),
    ))
    .parse(i)?;
    // `opt` above accepts "12:00:00." and 13 digits; the grammar does not.
    if let Some(dot) = text.rfind('.') {
        let frac = text.len() - dot - 1;
        if frac == 0 || frac > 12 {
            return Err(Err::Error(nom::error::ParseError::from_char(i, '.')));
        }
    }
    Ok((rest, text))
}

// dateTimeOffsetLiteral = date "T" timeOfDayLiteral ( "Z" / SIGN hour COLON minute )
// SIGN = "+" / "%2B" / "-"   (a decoded `+` is a space here)
/// A date, or a DateTimeOffset when `T` follows the date.
fn date_or_date_time_offset<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Literal> {
    let (after_date, date_text) = date(i)?;
    let Ok((t, _)) = one_of::<_, _, PError>("Tt").parse(after_date) else {
        let (rest, ()) = word_end(after_date)?;
        return Ok((rest, Literal::Date(date_text.to_owned())));
    };
    let Ok((after_time, _)) = time_of_day(t) else {
        return invalid(ctx, t, "expected a time of day hh:mm[:ss[.fffffff]]");
    };
    let head = &i[..i.len() - after_time.len()];
    let zone = alt((
        map(one_of("Zz"), |_| "Z".to_owned()),
        map(
            pair(one_of("+ -"), recognize((hour, char(':'), minute))),
            |(sign, offset)| format!("{}{offset}", if sign == '-' { '-' } else { '+' }),
        ),
    ))
    .parse(after_time);
    let (rest, zone) = match zone {
        Ok(v) => v,
        Err(_) if after_time.starts_with(['+', ' ', '-']) => {
            return invalid(ctx, after_time, "expected a time-zone offset (+hh:mm)");
        }
        Err(_) => {
            return invalid(
                ctx,
                after_time,
                "expected 'Z' or a time-zone offset (+hh:mm)",
            );
        }
    };
    if word_end(rest).is_err() {
        return invalid(ctx, rest, "unexpected characters after DateTimeOffset");
    }
    Ok((rest, Literal::DateTimeOffset(format!("{head}{zone}"))))
}

// decimalLiteral = [ SIGN ] 1*DIGIT [ "." 1*DIGIT ] [ "e" [ SIGN ] 1*DIGIT ] / nanInfinity
// nanInfinity    = %s"NaN" / %s"-INF" / %s"INF"
// int64Literal   = [ SIGN ] 1*19DIGIT  (and the other integer rules)
/// A number; `Err::Error` if `i` does not start one.
fn number<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Literal> {
    let mut special = alt((keyword("NaN"), keyword("INF"), keyword("-INF")));
    if let Ok((rest, text)) = special.parse(i) {
        let kind = NumberKind::Double;
        let text = text.to_owned();
        return Ok((rest, Literal::Number { text, kind }));
    }
    let digit1 = || take_while1(|c: char| c.is_ascii_digit());
    let (s, _) = recognize(pair(opt(one_of("+-")), digit1())).parse(i)?;
    let mut kind = NumberKind::Int;
    let mut rest = s;
    if let Ok((frac, _)) = char::<_, PError>('.').parse(rest) {
        let Ok((r, _)) = digit1().parse(frac) else {
            return invalid(ctx, frac, "expected a digit after '.'");
        };
        kind = NumberKind::Decimal;
        rest = r;
    }
    if let Ok((exp, _)) = one_of::<_, _, PError>("eE").parse(rest) {
        // The exponent sign: a space is a decoded `+`.
        let (e, _) = opt(one_of("+- ")).parse(exp)?;
        let Ok((r, _)) = digit1().parse(e) else {
            return invalid(ctx, e, "expected exponent digits");
        };
        kind = NumberKind::Double;
        rest = r;
    }
    let body = i[..i.len() - rest.len()].replace(' ', "+");
    // The suffix `f` makes an Edm.Single literal (`3.14f`); it is not part of the text.
    if let Some(r) = rest.strip_prefix(['f', 'F'])
        && word_end(r).is_ok()
        && !r.starts_with('.')
    {
        let kind = NumberKind::Single;
        return Ok((r, Literal::Number { text: body, kind }));
    }
    if word_end(rest).is_err() || rest.starts_with('.') {
        return invalid(ctx, rest, "unexpected character after number");
    }
    Ok((rest, Literal::Number { text: body, kind }))
}

// enumLiteral       = [ qualifiedEnumTypeName ] SQUOTE singleEnumLiteral *( COMMA singleEnumLiteral ) SQUOTE
// singleEnumLiteral = enumerationMember / int64Literal
/// `Namespace.Type'member,…'`. Without a type name the quoted text is a string literal
/// (the binder resolves it against the model).
fn enum_literal<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Literal> {
    // Look-ahead: every name of an expression reaches this alternative, and only a dotted
    // name directly followed by a quote can be an enum literal.
    let name_end = i
        .find(|c: char| !(super::is_ident_char(c) || c == '.'))
        .unwrap_or(i.len());
    if !i[name_end..].starts_with('\'') || !i[..name_end].contains('.') {
        return Err(Err::Error(nom::error::ParseError::from_char(i, '\'')));
    }
    let type_name = verify(|x| qualified_name(ctx, x), |n: &str| n.contains('.'));
    let (body, name) = terminated(type_name, char('\'')).parse(i)?;
    let (after, value) = quoted_body(ctx, body)?;
    let valid = value.split(',').all(|member| {
        let m = member.strip_prefix(['+', '-']).unwrap_or(member);
        (!m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            || (!member.starts_with(['+', '-']) && super::is_identifier(member))
    });
    if !valid {
        return invalid(
            ctx,
            body,
            "invalid enumeration value: expected member names or numbers",
        );
    }
    let type_name = name.to_owned();
    Ok((after, Literal::Enum { type_name, value }))
}
