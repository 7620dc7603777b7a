//! `Prefer` (RFC 7240; OData Protocol §8.2.8): the preferences a request states, parsed
//! once per request, and the two response headers that answer them: one
//! `Preference-Applied` naming every preference the response honoured, and `Vary: Prefer`
//! on every response whose content depends on them.
//!
//! Unknown preferences and malformed values are ignored, as the protocol requires of a
//! service. A preference given both with the 4.0 `odata.` prefix and without it takes the
//! plain one; a preference given twice takes the first valid occurrence.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// `Prefer: return=minimal` / `return=representation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnPreference {
    /// No preference stated.
    #[default]
    Default,
    /// `return=minimal`.
    Minimal,
    /// `return=representation`.
    Representation,
}

/// `Prefer: omit-values=…` (4.01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OmitValues {
    /// `omit-values=nulls`: properties with a null value may be left out.
    Nulls,
    /// `omit-values=defaults`: properties with their default value may be left out.
    Defaults,
}

/// `Prefer: odata.maxpagesize=n` (or the 4.01 `maxpagesize=n`), with the spelling the
/// client used, which `Preference-Applied` repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxPageSize {
    /// The page size asked for, at least 1.
    pub size: u32,
    /// `maxpagesize` or `odata.maxpagesize`.
    pub name: &'static str,
}

/// One pattern of `include-annotations`: `*`, `ns.*`, `ns.term`, optionally excluded
/// (`-…`) and qualified (`…#qualifier`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationPattern {
    /// `-` before the pattern: matching annotations are to be left out.
    pub exclude: bool,
    /// `*`, `ns.*` or `ns.term`.
    pub term: String,
    /// The qualifier after `#`, if any.
    pub qualifier: Option<String>,
}

/// The preferences of one request that this service knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences {
    /// `return`.
    pub return_preference: ReturnPreference,
    /// `maxpagesize`.
    pub max_page_size: Option<MaxPageSize>,
    /// `omit-values`.
    pub omit_values: Option<OmitValues>,
    /// Whether `omit-values` was spelled with the 4.0-style `odata.` prefix (which
    /// `Preference-Applied` repeats).
    pub omit_values_prefixed: bool,
    /// `include-annotations` (or `odata.include-annotations`): which instance annotations
    /// the client wants. The service writes no instance annotations besides control
    /// information, so honouring it changes no response and it is never reported as
    /// applied; it is parsed so that a later feature can honour it.
    pub include_annotations: Option<Vec<AnnotationPattern>>,
    /// `continue-on-error` (`=true`, or no value), as the client spelled its name (for
    /// `Preference-Applied`); `None` when absent or `=false`.
    pub continue_on_error: Option<&'static str>,
    /// `continue-on-error=false`: the client asks a batch to stop at its first failure.
    pub stop_on_error: bool,
    /// `odata.track-changes` (or the 4.01 `track-changes`), as the client spelled it (for
    /// `Preference-Applied`); see [`crate::delta`].
    pub track_changes: Option<&'static str>,
    /// `respond-async` (no value, 4.0 and 4.01 alike): the client accepts a 202 and a
    /// status monitor instead of waiting for the response.
    pub respond_async: bool,
}

impl Preferences {
    /// The preferences of every `Prefer` header of the request.
    pub fn of(req: &HttpRequest) -> Self {
        let text = req
            .headers()
            .get_all("prefer")
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Self::parse(&text)
    }

    /// The preferences in a `Prefer` header value (several headers joined by commas).
    ///
    /// ```
    /// use odata_server::prefer::{OmitValues, Preferences, ReturnPreference};
    /// let p = Preferences::parse(r#"return=minimal, odata.maxpagesize=5; x="a,b", omit-values=nulls"#);
    /// assert_eq!(p.return_preference, ReturnPreference::Minimal);
    /// assert_eq!(p.max_page_size.map(|m| (m.size, m.name)), Some((5, "odata.maxpagesize")));
    /// assert_eq!(p.omit_values, Some(OmitValues::Nulls));
    /// ```
    pub fn parse(text: &str) -> Self {
        let mut found = Found::default();
        for preference in split_unquoted(text, ',') {
            // Parameters after `;` qualify a preference; none of ours takes any.
            let Some(head) = split_unquoted(preference, ';').next() else {
                continue;
            };
            let (name, value) = match head.split_once('=') {
                Some((name, value)) => (name.trim(), word(value.trim())),
                None => (head.trim(), Some(String::new())),
            };
            let Some(value) = value else { continue };
            let name = name.to_ascii_lowercase();
            let (plain, prefixed) = match name.strip_prefix("odata.") {
                Some(plain) => (plain, true),
                None => (name.as_str(), false),
            };
            match plain {
                "return" if !prefixed => found.return_preference.offer(false, parse_return(&value)),
                "maxpagesize" => {
                    let name = if prefixed {
                        "odata.maxpagesize"
                    } else {
                        "maxpagesize"
                    };
                    let size = value
                        .parse::<u32>()
                        .ok()
                        .filter(|&n| n >= 1)
                        .map(|size| MaxPageSize { size, name });
                    found.max_page_size.offer(prefixed, size);
                }
                "omit-values" => found.omit_values.offer(prefixed, parse_omit(&value)),
                "include-annotations" => found
                    .include_annotations
                    .offer(prefixed, parse_annotation_patterns(&value)),
                "continue-on-error" => {
                    let name = if prefixed {
                        "odata.continue-on-error"
                    } else {
                        "continue-on-error"
                    };
                    let on = match value.to_ascii_lowercase().as_str() {
                        "" | "true" => Some(Some(name)),
                        "false" => Some(None),
                        _ => None,
                    };
                    found.continue_on_error.offer(prefixed, on);
                }
                "track-changes" => {
                    let name = if prefixed {
                        "odata.track-changes"
                    } else {
                        "track-changes"
                    };
                    found
                        .track_changes
                        .offer(prefixed, value.is_empty().then_some(name));
                }
                // The preference takes no value; `respond-async=x` is malformed.
                "respond-async" if !prefixed && value.is_empty() => {
                    found.respond_async = true;
                }
                _ => {}
            }
        }
        Self {
            return_preference: found.return_preference.take().unwrap_or_default(),
            max_page_size: found.max_page_size.take(),
            omit_values_prefixed: found.omit_values.plain.is_none()
                && found.omit_values.prefixed.is_some(),
            omit_values: found.omit_values.take(),
            include_annotations: found.include_annotations.take(),
            stop_on_error: matches!(found.continue_on_error.peek(), Some(None)),
            continue_on_error: found.continue_on_error.take().flatten(),
            track_changes: found.track_changes.take(),
            respond_async: found.respond_async,
        }
    }
}

impl Preferences {
    /// The `Preference-Applied` of an honoured `omit-values=nulls`, in the client's
    /// spelling.
    pub fn omit_nulls_applied(&self) -> &'static str {
        if self.omit_values_prefixed {
            "odata.omit-values=nulls"
        } else {
            "omit-values=nulls"
        }
    }
}

/// The valid occurrences of one preference seen so far: the first plain one and the
/// first `odata.`-prefixed one.
#[derive(Debug)]
struct Candidates<T> {
    plain: Option<T>,
    prefixed: Option<T>,
}

impl<T> Default for Candidates<T> {
    fn default() -> Self {
        Self {
            plain: None,
            prefixed: None,
        }
    }
}

impl<T> Candidates<T> {
    /// Records an occurrence; an invalid one (`None`) is ignored.
    fn offer(&mut self, prefixed: bool, value: Option<T>) {
        let slot = if prefixed {
            &mut self.prefixed
        } else {
            &mut self.plain
        };
        if slot.is_none() {
            *slot = value;
        }
    }

    /// The occurrence [`Candidates::take`] gives.
    fn peek(&self) -> Option<&T> {
        self.plain.as_ref().or(self.prefixed.as_ref())
    }

    /// The plain spelling wins over the prefixed one.
    fn take(self) -> Option<T> {
        self.plain.or(self.prefixed)
    }
}

#[derive(Debug, Default)]
struct Found {
    return_preference: Candidates<ReturnPreference>,
    max_page_size: Candidates<MaxPageSize>,
    omit_values: Candidates<OmitValues>,
    include_annotations: Candidates<Vec<AnnotationPattern>>,
    continue_on_error: Candidates<Option<&'static str>>,
    track_changes: Candidates<&'static str>,
    respond_async: bool,
}

fn parse_return(value: &str) -> Option<ReturnPreference> {
    if value.eq_ignore_ascii_case("minimal") {
        Some(ReturnPreference::Minimal)
    } else if value.eq_ignore_ascii_case("representation") {
        Some(ReturnPreference::Representation)
    } else {
        None
    }
}

fn parse_omit(value: &str) -> Option<OmitValues> {
    if value.eq_ignore_ascii_case("nulls") {
        Some(OmitValues::Nulls)
    } else if value.eq_ignore_ascii_case("defaults") {
        Some(OmitValues::Defaults)
    } else {
        None
    }
}

/// `annotationsList` of the OData ABNF: comma-separated `[-](*|ns.*|ns.term)[#qualifier]`;
/// `None` when any item is malformed (the whole preference is then ignored).
fn parse_annotation_patterns(value: &str) -> Option<Vec<AnnotationPattern>> {
    value
        .split(',')
        .map(|item| {
            let item = item.trim();
            let (exclude, item) = match item.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, item),
            };
            let (term, qualifier) = match item.split_once('#') {
                Some((term, qualifier)) if is_identifier(qualifier) => {
                    (term, Some(qualifier.to_owned()))
                }
                Some(_) => return None,
                None => (item, None),
            };
            let valid = term == "*"
                || term.rsplit_once('.').is_some_and(|(namespace, last)| {
                    namespace.split('.').all(is_identifier) && (last == "*" || is_identifier(last))
                });
            valid.then(|| AnnotationPattern {
                exclude,
                term: term.to_owned(),
                qualifier,
            })
        })
        .collect()
}

/// An OData simple identifier: a letter or `_`, then letters, digits or `_`.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// An RFC 7230 `word`: a token as is, or a quoted string unquoted and unescaped. `None`
/// for an unterminated quoted string.
fn word(text: &str) -> Option<String> {
    let Some(quoted) = text.strip_prefix('"') else {
        return Some(text.to_owned());
    };
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().trim().is_empty().then_some(out),
            c => out.push(c),
        }
    }
    None
}

/// The parts of `text` between the `separator`s that are not inside a quoted string,
/// trimmed; empty parts are dropped.
fn split_unquoted(text: &str, separator: char) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty())
}

/// Adds `preference` to the response's `Preference-Applied` header: every preference a
/// response honoured is listed in one header, comma-separated, whichever part of the
/// handling applied it.
pub fn applied(headers: &mut HeaderMap, preference: &str) {
    add_to_list(headers, "preference-applied", preference);
}

/// Adds `name` to the response's `Vary` header, keeping the names already there (one
/// header; nothing added when `*` or the name is already listed).
pub fn vary(headers: &mut HeaderMap, name: &str) {
    let listed = list(headers, header::VARY.as_str());
    if listed
        .iter()
        .any(|v| v == "*" || v.eq_ignore_ascii_case(name))
    {
        return;
    }
    add_to_list(headers, header::VARY.as_str(), name);
}

/// The comma-separated items of every `name` header.
fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Appends `item` to the list header `name`, leaving one header with every item.
fn add_to_list(headers: &mut HeaderMap, name: &'static str, item: &str) {
    let mut items = list(headers, name);
    items.push(item.to_owned());
    // Built from header values already accepted and from our own ASCII preferences.
    if let Ok(value) = HeaderValue::from_str(&items.join(", ")) {
        headers.insert(header::HeaderName::from_static(name), value);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_spelling_wins_and_the_first_valid_occurrence_counts() {
        let p = Preferences::parse("odata.maxpagesize=3, maxpagesize=7, maxpagesize=9");
        assert_eq!(
            p.max_page_size,
            Some(MaxPageSize {
                size: 7,
                name: "maxpagesize"
            })
        );
        let p = Preferences::parse("maxpagesize=0, odata.maxpagesize=-1, odata.maxpagesize=4");
        assert_eq!(
            p.max_page_size,
            Some(MaxPageSize {
                size: 4,
                name: "odata.maxpagesize"
            })
        );
        let p = Preferences::parse("return=bogus, RETURN=Representation, return=minimal");
        assert_eq!(p.return_preference, ReturnPreference::Representation);
        let p = Preferences::parse("odata.omit-values=nulls, omit-values=defaults");
        assert_eq!(p.omit_values, Some(OmitValues::Defaults));
        assert!(!p.omit_values_prefixed);
        let p = Preferences::parse("odata.omit-values=nulls");
        assert_eq!(p.omit_nulls_applied(), "odata.omit-values=nulls");
        let p = Preferences::parse("omit-values=nulls");
        assert_eq!(p.omit_nulls_applied(), "omit-values=nulls");
        let p = Preferences::parse("odata.track-changes");
        assert_eq!(p.track_changes, Some("odata.track-changes"));
        let p = Preferences::parse("odata.track-changes, Track-Changes");
        assert_eq!(p.track_changes, Some("track-changes"));
        assert_eq!(Preferences::parse("track-changes=yes").track_changes, None);
    }

    #[test]
    fn malformed_and_unknown_preferences_are_ignored() {
        for text in [
            "",
            ",,",
            "wait=10",
            "respond-async=yes",
            "odata.respond-async",
            "maxpagesize",
            "maxpagesize=x",
            "maxpagesize=99999999999",
            "return",
            "omit-values=everything",
            "odata.return=minimal",
            "include-annotations=\"unterminated",
            "include-annotations=\"display.\"",
            "include-annotations=\"-\"",
            "include-annotations=\"a.b#\"",
        ] {
            assert_eq!(Preferences::parse(text), Preferences::default(), "{text}");
        }
    }

    #[test]
    fn respond_async_is_a_preference_without_value() {
        assert!(Preferences::parse("respond-async").respond_async);
        let p = Preferences::parse("return=minimal, Respond-Async, wait=10");
        assert!(p.respond_async);
        assert_eq!(p.return_preference, ReturnPreference::Minimal);
        assert!(!Preferences::parse("respond-async=true").respond_async);
    }

    #[test]
    fn include_annotations_patterns_are_parsed_inside_quotes() {
        let p = Preferences::parse(
            r#"odata.include-annotations="-*,display.*,Core.Description#short", return=minimal"#,
        );
        assert_eq!(p.return_preference, ReturnPreference::Minimal);
        let patterns = p.include_annotations.unwrap();
        assert_eq!(patterns.len(), 3);
        assert_eq!(
            patterns[0],
            AnnotationPattern {
                exclude: true,
                term: "*".into(),
                qualifier: None
            }
        );
        assert_eq!(patterns[1].term, "display.*");
        assert_eq!(patterns[2].qualifier.as_deref(), Some("short"));
        let p = Preferences::parse("include-annotations=*");
        assert_eq!(p.include_annotations.unwrap()[0].term, "*");
    }

    #[test]
    fn applied_preferences_and_vary_are_one_list_header_each() {
        let mut headers = HeaderMap::new();
        applied(&mut headers, "odata.maxpagesize=2");
        applied(&mut headers, "omit-values=nulls");
        assert_eq!(headers.get_all("preference-applied").count(), 1);
        assert_eq!(
            headers.get("preference-applied").unwrap(),
            "odata.maxpagesize=2, omit-values=nulls"
        );
        headers.append(header::VARY, HeaderValue::from_static("Accept"));
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        vary(&mut headers, "Prefer");
        vary(&mut headers, "prefer");
        assert_eq!(headers.get_all(header::VARY).count(), 1);
        assert_eq!(
            headers.get(header::VARY).unwrap(),
            "Accept, Accept-Encoding, Prefer"
        );
        let mut star = HeaderMap::new();
        star.insert(header::VARY, HeaderValue::from_static("*"));
        vary(&mut star, "Prefer");
        assert_eq!(star.get(header::VARY).unwrap(), "*");
    }
}
