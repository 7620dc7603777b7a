//! Conditional requests (RFC 9110 §13.1.1–2): `If-Match` and `If-None-Match` with lists of
//! entity tags or `*`, evaluated against an entity's version.
//!
//! Entity versions are sent as weak tags (`W/"3"`). `If-None-Match` compares weakly as the
//! RFC says. `If-Match` also compares weakly: OData clients send back the `ETag` or
//! `@odata.etag` they were given, which is weak, and a strict strong comparison would make
//! every optimistic-concurrency update fail. A request whose target does not exist is
//! answered 404 whatever its conditions (RFC 9110 §13.2.1: conditions are ignored when the
//! unconditional answer would not be 2xx).

use actix_web::http::header::{self, HeaderMap};

/// One side of a condition: `*` or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tags {
    /// `*`: any current version.
    Any,
    /// The opaque parts of the listed tags (weakness dropped: comparisons are weak).
    List(Vec<String>),
}

impl Tags {
    /// Parses a header value; a malformed member simply never matches.
    fn parse(value: &str) -> Self {
        if value.trim() == "*" {
            return Self::Any;
        }
        let mut tags = Vec::new();
        let mut rest = value;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                break;
            }
            let tag = rest.strip_prefix("W/").unwrap_or(rest);
            let Some(body) = tag.strip_prefix('"') else {
                break;
            };
            let Some(end) = body.find('"') else {
                break;
            };
            tags.push(body[..end].to_owned());
            rest = &body[end + 1..];
        }
        Self::List(tags)
    }

    fn matches(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::List(tags) => tags.contains(&version.to_string()),
        }
    }
}

/// The conditions of one request.
///
/// ```
/// use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
/// use odata_server::preconditions::Preconditions;
/// let mut headers = HeaderMap::new();
/// headers.insert(
///     HeaderName::from_static("if-match"),
///     HeaderValue::from_static("W/\"1\", W/\"2\""),
/// );
/// let p = Preconditions::from_headers(&headers);
/// assert!(p.allows_write(2));
/// assert!(!p.allows_write(3));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    if_match: Option<Tags>,
    if_none_match: Option<Tags>,
}

impl Preconditions {
    /// The `If-Match` and `If-None-Match` headers of a request (several header lines are
    /// one list).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let read = |name: &header::HeaderName| {
            let values: Vec<&str> = headers
                .get_all(name)
                .map(|v| v.to_str().unwrap_or("\u{0}"))
                .collect();
            (!values.is_empty()).then(|| Tags::parse(&values.join(",")))
        };
        Self {
            if_match: read(&header::IF_MATCH),
            if_none_match: read(&header::IF_NONE_MATCH),
        }
    }

    /// True when a state-changing request (PATCH, PUT, DELETE, action) may change an entity
    /// whose current version is `version`; otherwise the answer is 412.
    pub fn allows_write(&self, version: i64) -> bool {
        self.if_match.as_ref().is_none_or(|t| t.matches(version))
            && self
                .if_none_match
                .as_ref()
                .is_none_or(|t| !t.matches(version))
    }

    /// What a GET of an entity whose current version is `version` answers.
    pub fn read_outcome(&self, version: i64) -> ReadOutcome {
        if self.if_match.as_ref().is_some_and(|t| !t.matches(version)) {
            ReadOutcome::PreconditionFailed
        } else if self
            .if_none_match
            .as_ref()
            .is_some_and(|t| t.matches(version))
        {
            ReadOutcome::NotModified
        } else {
            ReadOutcome::Send
        }
    }
}

/// The answer to a conditional GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// 200 with the entity.
    Send,
    /// 304 with the `ETag` and no body.
    NotModified,
    /// 412.
    PreconditionFailed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn with(pairs: &[(&'static str, &'static str)]) -> Preconditions {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        Preconditions::from_headers(&headers)
    }

    #[test]
    fn if_match_takes_lists_star_and_several_lines() {
        assert!(with(&[]).allows_write(1));
        assert!(with(&[("if-match", "*")]).allows_write(7));
        assert!(with(&[("if-match", "\"4\", W/\"1\"")]).allows_write(1));
        assert!(with(&[("if-match", "W/\"4\""), ("if-match", "W/\"5\"")]).allows_write(5));
        assert!(!with(&[("if-match", "W/\"4\", W/\"5\"")]).allows_write(6));
        assert!(!with(&[("if-match", "garbage")]).allows_write(1));
    }

    #[test]
    fn if_none_match_star_refuses_writes_to_existing_entities() {
        assert!(!with(&[("if-none-match", "*")]).allows_write(1));
        assert!(!with(&[("if-none-match", "W/\"2\"")]).allows_write(2));
        assert!(with(&[("if-none-match", "W/\"2\"")]).allows_write(3));
    }

    #[test]
    fn conditional_reads() {
        assert_eq!(with(&[]).read_outcome(1), ReadOutcome::Send);
        let p = with(&[("if-none-match", "W/\"1\", W/\"2\"")]);
        assert_eq!(p.read_outcome(2), ReadOutcome::NotModified);
        assert_eq!(p.read_outcome(3), ReadOutcome::Send);
        assert_eq!(
            with(&[("if-none-match", "*")]).read_outcome(9),
            ReadOutcome::NotModified
        );
        assert_eq!(
            with(&[("if-match", "W/\"1\"")]).read_outcome(2),
            ReadOutcome::PreconditionFailed
        );
    }
}
