//! The query string of a request: system query options split out and checked.

use odata_core::error::{ErrorKind, ODataError};
use percent_encoding::percent_decode_str;

/// System query options this service evaluates.
const SUPPORTED: &[&str] = &["$format"];

/// Every system query option of OData 4.01.
const KNOWN: &[&str] = &[
    "$filter",
    "$select",
    "$expand",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$search",
    "$format",
    "$compute",
    "$skiptoken",
    "$apply",
    "$index",
    "$schemaversion",
    "$deltatoken",
    "$levels",
    "$id",
];

/// The query options of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryOptions {
    /// `$format`.
    pub format: Option<String>,
}

/// Decodes one query-string component: `+` is a space, then percent-decoding once.
fn decode(component: &str) -> Result<String, ODataError> {
    let spaced = component.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| {
            ODataError::bad_request(format!(
                "The query string part '{component}' is not valid percent-encoded UTF-8."
            ))
        })
}

/// Parses the raw query string. Unknown `$` options and repeated options are 400; known
/// options the service does not evaluate yet are 501 rather than silently ignored.
pub fn parse(raw: Option<&str>) -> Result<QueryOptions, ODataError> {
    let mut options = QueryOptions::default();
    let mut seen: Vec<String> = Vec::new();
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name)?;
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with('$') {
            continue; // custom options and parameter aliases
        }
        if !KNOWN.contains(&lower.as_str()) {
            return Err(ODataError::bad_request(format!(
                "'{name}' is not a system query option; known options are {}.",
                KNOWN.join(", ")
            ))
            .with_target(name));
        }
        if seen.contains(&lower) {
            return Err(ODataError::bad_request(format!(
                "The query option '{name}' is given more than once."
            ))
            .with_target(name));
        }
        seen.push(lower.clone());
        if !SUPPORTED.contains(&lower.as_str()) {
            return Err(ODataError::new(
                ErrorKind::NotImplemented,
                format!("The query option '{name}' is not supported yet."),
            )
            .with_target(name));
        }
        if lower == "$format" {
            options.format = Some(decode(value)?);
        }
    }
    Ok(options)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn format_is_decoded_with_plus_as_space() {
        let o = parse(Some("$format=application/json%3Bodata.metadata%3Dfull&x=1")).unwrap();
        assert_eq!(
            o.format.as_deref(),
            Some("application/json;odata.metadata=full")
        );
    }

    #[test]
    fn unknown_repeated_and_unsupported_options() {
        assert_eq!(
            parse(Some("$bogus=1")).unwrap_err().kind,
            ErrorKind::BadRequest
        );
        assert_eq!(
            parse(Some("$format=json&$FORMAT=json")).unwrap_err().kind,
            ErrorKind::BadRequest
        );
        assert_eq!(
            parse(Some("$filter=a eq 1")).unwrap_err().kind,
            ErrorKind::NotImplemented
        );
    }
}
