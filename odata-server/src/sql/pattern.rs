//! `matchesPattern` on PostgreSQL: the pattern, written in the `regex` crate's syntax (as the
//! evaluator and SQLite run it), rewritten as a PostgreSQL advanced regular expression (ARE)
//! that matches exactly the same strings.
//!
//! The pattern is parsed by `regex-syntax` (the `regex` crate's own parser) into its
//! high-level form, where every Unicode class (`\d`, `\w`, `\s`, `\p{L}`, `.`, `[^a-z]`) and
//! case-insensitive (`(?i)`) literal is already an explicit set of code-point ranges. Those
//! ranges are written as bracket expressions of `\U` escapes, so PostgreSQL's locale never
//! decides what a class or a case means. Only whether a match exists matters, so captures
//! become plain groups and laziness is dropped.
//!
//! Refused (501): word boundaries (PostgreSQL's `\y` has its own idea of a word character),
//! `\r\n`-aware anchors, classes that match nothing and repetition bounds above 255
//! (PostgreSQL's limit).

use regex_syntax::hir::{Class, Hir, HirKind, Look};

use odata_core::error::{ErrorKind, ODataError};

/// PostgreSQL's largest repetition bound (`RE_DUP_MAX`).
const MAX_BOUND: u32 = 255;

/// The ARE that matches what `pattern` matches; a 400 when it is not a valid pattern, a
/// 501 for the constructs listed in the module documentation.
///
/// ```
/// # use odata_server::sql::pattern::to_postgres;
/// assert_eq!(to_postgres("^ab?$").unwrap(), r"^\U00000061(?:\U00000062)?$");
/// ```
pub fn to_postgres(pattern: &str) -> Result<String, ODataError> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| {
            ODataError::bad_request(format!("The pattern of 'matchesPattern' is invalid: {e}"))
        })?;
    let mut out = String::with_capacity(pattern.len() * 4);
    write(&hir, &mut out)?;
    Ok(out)
}

fn unsupported(what: &str) -> ODataError {
    ODataError::new(
        ErrorKind::NotImplemented,
        format!("{what} in the pattern of 'matchesPattern' are not supported on PostgreSQL."),
    )
}

fn write(hir: &Hir, out: &mut String) -> Result<(), ODataError> {
    match hir.kind() {
        HirKind::Empty => out.push_str("(?:)"),
        HirKind::Literal(literal) => {
            let text = std::str::from_utf8(&literal.0)
                .map_err(|_| unsupported("Byte-oriented literals"))?;
            text.chars().for_each(|c| push_char(c, out));
        }
        HirKind::Class(class) => {
            // An ASCII byte class (`(?-u:[a-z])`) is the same class of characters.
            let class = match class {
                Class::Unicode(class) => class.clone(),
                Class::Bytes(bytes) => bytes
                    .to_unicode_class()
                    .ok_or_else(|| unsupported("Non-ASCII byte classes"))?,
            };
            if class.ranges().is_empty() {
                return Err(unsupported("Classes that match nothing"));
            }
            out.push('[');
            for range in class.ranges() {
                // PostgreSQL text never holds U+0000.
                let start = range.start().max('\u{1}');
                if start > range.end() {
                    continue;
                }
                push_char(start, out);
                if range.end() > start {
                    out.push('-');
                    push_char(range.end(), out);
                }
            }
            out.push(']');
        }
        HirKind::Look(look) => out.push_str(match look {
            Look::Start => "^",
            Look::End => "$",
            Look::StartLF => "(?:^|(?<=\\n))",
            Look::EndLF => "(?:$|(?=\\n))",
            Look::StartCRLF | Look::EndCRLF => return Err(unsupported("CRLF-aware anchors")),
            _ => return Err(unsupported("Word boundaries")),
        }),
        HirKind::Repetition(repetition) => {
            if repetition.min > MAX_BOUND || repetition.max.is_some_and(|m| m > MAX_BOUND) {
                return Err(unsupported("Repetition bounds above 255"));
            }
            out.push_str("(?:");
            write(&repetition.sub, out)?;
            out.push(')');
            match (repetition.min, repetition.max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (min, None) => out.push_str(&format!("{{{min},}}")),
                (min, Some(max)) if min == max => out.push_str(&format!("{{{min}}}")),
                (min, Some(max)) => out.push_str(&format!("{{{min},{max}}}")),
            }
        }
        HirKind::Capture(capture) => {
            out.push_str("(?:");
            write(&capture.sub, out)?;
            out.push(')');
        }
        HirKind::Concat(parts) => {
            for part in parts {
                write(part, out)?;
            }
        }
        HirKind::Alternation(branches) => {
            out.push_str("(?:");
            for (i, branch) in branches.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write(branch, out)?;
            }
            out.push(')');
        }
    }
    Ok(())
}

/// One character as an ARE escape (valid inside and outside bracket expressions).
fn push_char(c: char, out: &mut String) {
    out.push_str(&format!("\\U{:08x}", u32::from(c)));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn classes_become_explicit_ranges_and_groups_plain() {
        assert_eq!(to_postgres("a|b").unwrap(), r"[\U00000061-\U00000062]");
        assert_eq!(
            to_postgres("(?i)é").unwrap(),
            r"[\U000000c9\U000000e9]",
            "case-insensitivity is folded into the class"
        );
        assert_eq!(
            to_postgres("(x)+?y{2,3}").unwrap(),
            r"(?:(?:\U00000078))+(?:\U00000079){2,3}"
        );
        assert_eq!(to_postgres("(?m)^a").unwrap(), r"(?:^|(?<=\n))\U00000061");
        let dot = to_postgres(".").unwrap();
        assert!(
            dot.starts_with(r"[\U00000001-\U00000009\U0000000b-"),
            "{dot}"
        );
    }

    #[test]
    fn invalid_and_unsupported_patterns_are_refused() {
        assert_eq!(to_postgres("(").unwrap_err().kind, ErrorKind::BadRequest);
        assert_eq!(
            to_postgres("(?-u:[a-b])").unwrap(),
            r"[\U00000061-\U00000062]"
        );
        for pattern in [r"\bword", r"a{300}", r"[^\s\S]", r"(?mR)^a"] {
            assert_eq!(
                to_postgres(pattern).unwrap_err().kind,
                ErrorKind::NotImplemented,
                "{pattern}"
            );
        }
    }
}
