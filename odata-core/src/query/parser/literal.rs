//! 7. Literal Data Values (URL forms): `primitiveLiteral` and its alternatives.
//!
//! Typed literals keep their text. A space where the grammar needs a `+` (a DateTimeOffset
//! offset, an exponent sign) is read as `+` and stored as `+`, because clients send `+` for
//! spaces and a real plus arrives as `%2B`.

use super::{Ctx, PResult, ident_continues, qualified_name, tag_ci};
use crate::query::ast::{GeoKind, Literal, NumberKind};

// primitiveLiteral = null / boolean / guid / dateTimeOffsetLiteral / date / timeOfDayLiteral
//                  / decimalLiteral / doubleLiteral / singleLiteral / sbyteLiteral / byte
//                  / int16Literal / int32Literal / int64Literal / stringLiteral
//                  / durationLiteral / enumLiteral / binaryLiteral / geography… / geometry…
/// Any URL primitive literal. Fails recoverably (`Err::Error`) if `i` does not start one;
/// fails committed once a literal is recognised but malformed (unterminated string, `42.`).
pub fn primitive_literal<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, Literal> {
    if i.starts_with('\'') {
        let (rest, s) = string_literal(ctx, i)?;
        return Ok((rest, Literal::String(s)));
    }
    // null = %s"null"
    if let Some(rest) = super::keyword(i, "null") {
        return Ok((rest, Literal::Null));
    }
    // boolean = "true" / "false"
    for (word, value) in [("true", true), ("false", false)] {
        if let Some(rest) = tag_ci(i, word)
            && !ident_continues(rest)
        {
            return Ok((rest, Literal::Bool(value)));
        }
    }
    if let Some(result) = prefixed_quoted(ctx, i) {
        return result;
    }
    if let Some(rest) = guid(i) {
        let text = &i[..i.len() - rest.len()];
        return Ok((rest, Literal::Guid(text.to_owned())));
    }
    if let Some(result) = date_or_date_time_offset(ctx, i) {
        return result;
    }
    if let Some(rest) = time_of_day(i)
        && !ident_continues(rest)
        && !rest.starts_with('.')
    {
        let text = &i[..i.len() - rest.len()];
        return Ok((rest, Literal::TimeOfDay(text.to_owned())));
    }
    if let Some(result) = number(ctx, i) {
        return result;
    }
    if let Some(result) = enum_literal(ctx, i) {
        return result;
    }
    ctx.err(i, "expected a literal")
}

// stringLiteral    = SQUOTE *( SQUOTE-in-string / pchar-no-SQUOTE ) SQUOTE
// SQUOTE-in-string = SQUOTE SQUOTE
/// A single-quoted string; `''` stands for one quote. Returns the unescaped content.
pub fn string_literal<'a>(ctx: &Ctx<'_>, i: &'a str) -> PResult<'a, String> {
    let Some(body) = i.strip_prefix('\'') else {
        return ctx.err(i, "expected '''");
    };
    let (rest, content) = quoted_body(ctx, body)?;
    Ok((rest, content))
}

/// Reads up to the closing quote of a quoted literal whose opening quote is consumed.
pub fn quoted_body<'a>(ctx: &Ctx<'_>, body: &'a str) -> PResult<'a, String> {
    let mut out = String::new();
    let mut rest = body;
    loop {
        match rest.find('\'') {
            None => return ctx.fail(body, "unterminated quoted literal: expected closing '''"),
            Some(idx) => {
                out.push_str(&rest[..idx]);
                let after = &rest[idx + 1..];
                if let Some(after2) = after.strip_prefix('\'') {
                    out.push('\'');
                    rest = after2;
                } else {
                    return Ok((after, out));
                }
            }
        }
    }
}

// durationLiteral = [ "duration" ] SQUOTE durationValue SQUOTE
// binaryLiteral   = "binary" SQUOTE binaryValue SQUOTE
// geographyPrefix = "geography" ; geometryPrefix = "geometry"
/// `duration'…'`, `binary'…'`, `geography'…'`, `geometry'…'` (prefix case-insensitive).
fn prefixed_quoted<'a>(ctx: &Ctx<'_>, i: &'a str) -> Option<PResult<'a, Literal>> {
    for prefix in ["duration", "binary", "geography", "geometry"] {
        let Some(rest) = tag_ci(i, prefix) else {
            continue;
        };
        let Some(body) = rest.strip_prefix('\'') else {
            continue;
        };
        let (after, text) = match quoted_body(ctx, body) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let literal = match prefix {
            "duration" => {
                if !duration_value(&text) {
                    return Some(ctx.fail(
                        body,
                        "invalid duration: expected [-]P[nD][T[nH][nM][n[.n]S]]",
                    ));
                }
                Literal::Duration(text)
            }
            "binary" => {
                if !binary_value(&text) {
                    return Some(ctx.fail(body, "invalid binary literal: expected base64url"));
                }
                Literal::Binary(text)
            }
            _ => {
                if !geo_value(&text) {
                    return Some(ctx.fail(
                        body,
                        "invalid spatial literal: expected SRID=n;Type(coordinates)",
                    ));
                }
                let kind = if prefix == "geography" {
                    GeoKind::Geography
                } else {
                    GeoKind::Geometry
                };
                Literal::Geo { kind, text }
            }
        };
        return Some(Ok((after, literal)));
    }
    None
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
/// Light validation of a spatial literal body; the text is kept for the binder.
pub fn geo_value(text: &str) -> bool {
    let Some(rest) = tag_ci(text, "SRID=") else {
        return false;
    };
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if digits == 0 || digits > 5 {
        return false;
    }
    let Some(body) = rest[digits..].strip_prefix(';') else {
        return false;
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

fn hex_run(i: &str, n: usize) -> Option<&str> {
    let head = i.get(..n)?;
    if head.bytes().all(|b| b.is_ascii_hexdigit()) {
        i.get(n..)
    } else {
        None
    }
}

// guid = 8HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 12HEXDIG
/// A GUID; returns the rest after it.
pub fn guid(i: &str) -> Option<&str> {
    let mut rest = hex_run(i, 8)?;
    for _ in 0..3 {
        rest = hex_run(rest.strip_prefix('-')?, 4)?;
    }
    rest = hex_run(rest.strip_prefix('-')?, 12)?;
    if ident_continues(rest) {
        None
    } else {
        Some(rest)
    }
}

fn two_digits(i: &str, ok: impl Fn(u8, u8) -> bool) -> Option<&str> {
    let b = i.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && ok(b[0], b[1]) {
        i.get(2..)
    } else {
        None
    }
}

// date  = year "-" month "-" day
// year  = [ "-" ] ( "0" 3DIGIT / oneToNine 3*DIGIT )
// month = "0" oneToNine / "1" ( "0" / "1" / "2" )
// day   = "0" oneToNine / ( "1" / "2" ) DIGIT / "3" ( "0" / "1" )
/// A date; returns the rest after it.
pub fn date(i: &str) -> Option<&str> {
    let s = i.strip_prefix('-').unwrap_or(i);
    let n = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if n < 4 || (n > 4 && s.starts_with('0')) {
        return None;
    }
    let s = s[n..].strip_prefix('-')?;
    let s = two_digits(s, |a, b| {
        (a == b'0' && b != b'0') || (a == b'1' && b <= b'2')
    })?;
    let s = s.strip_prefix('-')?;
    two_digits(s, |a, b| {
        (a == b'0' && b != b'0') || a == b'1' || a == b'2' || (a == b'3' && b <= b'1')
    })
}

fn hour(i: &str) -> Option<&str> {
    two_digits(i, |a, b| a <= b'1' || (a == b'2' && b <= b'3'))
}

fn minute(i: &str) -> Option<&str> {
    two_digits(i, |a, _| a <= b'5')
}

// timeOfDayLiteral  = hour COLON minute [ COLON second [ "." fractionalSeconds ] ]
// second            = zeroToFiftyNine / "60"
// fractionalSeconds = 1*12DIGIT
/// A time of day; returns the rest after it.
pub fn time_of_day(i: &str) -> Option<&str> {
    let s = minute(hour(i)?.strip_prefix(':')?)?;
    let Some(after_colon) = s.strip_prefix(':') else {
        return Some(s);
    };
    let Some(s) = two_digits(after_colon, |a, b| a <= b'5' || (a == b'6' && b == b'0')) else {
        return Some(s);
    };
    let Some(frac) = s.strip_prefix('.') else {
        return Some(s);
    };
    let n = frac
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(frac.len());
    if n == 0 || n > 12 {
        return None;
    }
    Some(&frac[n..])
}

// dateTimeOffsetLiteral = date "T" timeOfDayLiteral ( "Z" / SIGN hour COLON minute )
/// A date, or a DateTimeOffset when `T` follows the date.
fn date_or_date_time_offset<'a>(ctx: &Ctx<'_>, i: &'a str) -> Option<PResult<'a, Literal>> {
    let after_date = date(i)?;
    let Some(t) = after_date
        .strip_prefix('T')
        .or_else(|| after_date.strip_prefix('t'))
    else {
        if ident_continues(after_date) {
            return None;
        }
        let text = &i[..i.len() - after_date.len()];
        return Some(Ok((after_date, Literal::Date(text.to_owned()))));
    };
    let Some(after_time) = time_of_day(t) else {
        return Some(ctx.fail(t, "expected a time of day hh:mm[:ss[.fffffff]]"));
    };
    let head = &i[..i.len() - after_time.len()];
    let (rest, zone) = if let Some(r) = after_time
        .strip_prefix('Z')
        .or_else(|| after_time.strip_prefix('z'))
    {
        (r, "Z".to_owned())
    } else {
        let sign = match after_time.chars().next() {
            Some('+') | Some(' ') => '+',
            Some('-') => '-',
            _ => {
                return Some(ctx.fail(after_time, "expected 'Z' or a time-zone offset (+hh:mm)"));
            }
        };
        let offset = &after_time[1..];
        let Some(r) = hour(offset)
            .and_then(|r| r.strip_prefix(':'))
            .and_then(minute)
        else {
            return Some(ctx.fail(after_time, "expected a time-zone offset (+hh:mm)"));
        };
        (r, format!("{sign}{}", &offset[..offset.len() - r.len()]))
    };
    if ident_continues(rest) {
        return Some(ctx.fail(rest, "unexpected characters after DateTimeOffset"));
    }
    Some(Ok((rest, Literal::DateTimeOffset(format!("{head}{zone}")))))
}

// decimalLiteral = [ SIGN ] 1*DIGIT [ "." 1*DIGIT ] [ "e" [ SIGN ] 1*DIGIT ] / nanInfinity
// nanInfinity    = %s"NaN" / %s"-INF" / %s"INF"
// int64Literal   = [ SIGN ] 1*19DIGIT  (and the other integer rules)
/// A number. `None` if `i` does not start one.
fn number<'a>(ctx: &Ctx<'_>, i: &'a str) -> Option<PResult<'a, Literal>> {
    for special in ["NaN", "INF", "-INF"] {
        if let Some(rest) = super::keyword(i, special) {
            let lit = Literal::Number {
                text: special.to_owned(),
                kind: NumberKind::Double,
            };
            return Some(Ok((rest, lit)));
        }
    }
    let mut text = String::new();
    let mut s = i;
    if let Some(c @ ('+' | '-')) = s.chars().next() {
        text.push(c);
        s = &s[1..];
    }
    let n = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if n == 0 {
        return None;
    }
    text.push_str(&s[..n]);
    s = &s[n..];
    let mut kind = NumberKind::Int;
    if let Some(frac) = s.strip_prefix('.') {
        let n = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        if n == 0 {
            return Some(ctx.fail(frac, "expected a digit after '.'"));
        }
        text.push('.');
        text.push_str(&frac[..n]);
        s = &frac[n..];
        kind = NumberKind::Decimal;
    }
    if let Some(exp) = s.strip_prefix('e').or_else(|| s.strip_prefix('E')) {
        let mut e = exp;
        let mut sign = String::new();
        if let Some(c @ ('+' | '-' | ' ')) = e.chars().next() {
            sign.push(if c == ' ' { '+' } else { c });
            e = &e[1..];
        }
        let n = e.find(|c: char| !c.is_ascii_digit()).unwrap_or(e.len());
        if n == 0 {
            return Some(ctx.fail(e, "expected exponent digits"));
        }
        text.push_str(&s[..1]);
        text.push_str(&sign);
        text.push_str(&e[..n]);
        s = &e[n..];
        kind = NumberKind::Double;
    }
    if ident_continues(s) || s.starts_with('.') {
        return Some(ctx.fail(s, "unexpected character after number"));
    }
    Some(Ok((s, Literal::Number { text, kind })))
}

// enumLiteral       = [ qualifiedEnumTypeName ] SQUOTE singleEnumLiteral *( COMMA singleEnumLiteral ) SQUOTE
// singleEnumLiteral = enumerationMember / int64Literal
/// `Namespace.Type'member,…'`. Without a type name the quoted text is a string literal
/// (the binder resolves it against the model).
fn enum_literal<'a>(ctx: &Ctx<'_>, i: &'a str) -> Option<PResult<'a, Literal>> {
    let (rest, name) = qualified_name(ctx, i).ok()?;
    if !name.contains('.') {
        return None;
    }
    let body = rest.strip_prefix('\'')?;
    let (after, value) = match quoted_body(ctx, body) {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    let valid = value.split(',').all(|member| {
        let m = member.strip_prefix(['+', '-']).unwrap_or(member);
        (!m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            || (!member.starts_with(['+', '-']) && super::is_identifier(member))
    });
    if !valid {
        return Some(ctx.fail(
            body,
            "invalid enumeration value: expected member names or numbers",
        ));
    }
    Some(Ok((
        after,
        Literal::Enum {
            type_name: name.to_owned(),
            value,
        },
    )))
}
