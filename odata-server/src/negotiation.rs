//! Content negotiation: the protocol version (`OData-Version`, `OData-MaxVersion`), `Accept`,
//! `$format`, `odata.metadata`, `IEEE754Compatible`, `Isolation`. `Prefer` is read in
//! [`crate::prefer`].

use actix_web::HttpRequest;
use actix_web::http::header;
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{MetadataLevel, WriteOptions};

/// An OData protocol version the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ODataVersion {
    /// OData 4.0.
    V4_0,
    /// OData 4.01, the default.
    V4_01,
}

impl ODataVersion {
    /// The header value, e.g. `4.01`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V4_0 => "4.0",
            Self::V4_01 => "4.01",
        }
    }
}

// Version numbers scaled so that 4.0 is 40 000 and 4.01 is 40 100: four decimal places are
// enough for every version OData has defined, and integers compare exactly.
const V4_0: u64 = 40_000;
const V4_01: u64 = 40_100;

/// Parses `major.minor` (e.g. `4.01`); `None` when malformed.
fn parse_version(text: &str) -> Option<u64> {
    let (major, minor) = text.trim().split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) || major.len() > 6 || minor.len() > 4 {
        return None;
    }
    let major: u64 = major.parse().ok()?;
    // "01" is one hundredth, "1" one tenth: pad the fraction to four places.
    let minor: u64 = format!("{minor:0<4}").parse().ok()?;
    Some(major * 10_000 + minor)
}

/// The value of a version header, `None` when absent; a 400 when present but malformed.
fn version_header(req: &HttpRequest, name: &str) -> Result<Option<u64>, ODataError> {
    let Some(value) = req.headers().get(name) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(parse_version)
        .map(Some)
        .ok_or_else(|| {
            ODataError::bad_request(format!(
                "The {name} header is not a version number like 4.0 or 4.01."
            ))
            .with_target(name)
        })
}

/// Checks the request's `OData-Version`: the request must be written in a version the
/// service understands (4.0 or 4.01), else 400.
pub fn check_request_version(req: &HttpRequest) -> Result<(), ODataError> {
    match version_header(req, "OData-Version")? {
        None | Some(V4_0 | V4_01) => Ok(()),
        Some(_) => Err(ODataError::bad_request(
            "The OData-Version of the request is not supported; this service understands 4.0 \
             and 4.01.",
        )
        .with_target("OData-Version")),
    }
}

/// The response version from `OData-MaxVersion`: 4.01 without it or when it allows 4.01,
/// 4.0 when it allows 4.0 only, 406 below 4.0 and 400 when malformed.
pub fn response_version(req: &HttpRequest) -> Result<ODataVersion, ODataError> {
    match version_header(req, "OData-MaxVersion")? {
        None => Ok(ODataVersion::V4_01),
        Some(v) if v >= V4_01 => Ok(ODataVersion::V4_01),
        Some(v) if v >= V4_0 => Ok(ODataVersion::V4_0),
        Some(_) => Err(ODataError::new(
            ErrorKind::NotAcceptable,
            "OData-MaxVersion is below 4.0; this service answers in OData 4.0 or 4.01.",
        )
        .with_target("OData-MaxVersion")),
    }
}

/// The version an error response states: the negotiated one, or 4.01 when
/// `OData-MaxVersion` itself cannot be honoured.
pub fn error_response_version(req: &HttpRequest) -> ODataVersion {
    response_version(req).unwrap_or(ODataVersion::V4_01)
}

/// Refuses `Isolation: snapshot` (and the 4.0 `OData-Isolation: snapshot`) with 412: the
/// service cannot run a request against a snapshot, and the protocol says such a service
/// answers Precondition Failed instead of ignoring the header.
pub fn check_isolation(req: &HttpRequest) -> Result<(), ODataError> {
    for name in ["Isolation", "OData-Isolation"] {
        let snapshot = req
            .headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.trim().eq_ignore_ascii_case("snapshot"));
        if snapshot {
            return Err(ODataError::new(
                ErrorKind::PreconditionFailed,
                "Snapshot isolation is not supported by this service; send the request \
                 without the isolation header.",
            )
            .with_target(name));
        }
    }
    Ok(())
}

/// The representation chosen for a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// OData JSON with these options.
    Json(WriteOptions),
    /// XML (CSDL only).
    Xml,
}

/// Chooses the response format from `$format` (which wins) or `Accept`. `xml_default` is
/// for `$metadata`, which is XML unless JSON is asked for; data responses are JSON only.
pub fn negotiate(
    req: &HttpRequest,
    format_option: Option<&str>,
    xml_allowed: bool,
) -> Result<Representation, ODataError> {
    if let Some(format) = format_option {
        return match_media_range(format, xml_allowed, true).ok_or_else(|| {
            ODataError::new(
                ErrorKind::NotAcceptable,
                format!(
                    "$format '{format}' is not supported; use json{}.",
                    if xml_allowed { " or xml" } else { "" }
                ),
            )
            .with_target("$format")
        })?;
    }
    let accept = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return Ok(if xml_allowed {
            Representation::Xml
        } else {
            Representation::Json(WriteOptions::default())
        });
    }
    // The client's preference order: by quality, then as listed.
    let mut ranges: Vec<(f32, &str)> = accept
        .split(',')
        .map(|range| (quality(range), range))
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    // A range the service cannot honour gives way to the next one; its reason is the
    // answer when none is left.
    let mut refused = None;
    for (_, range) in ranges {
        match match_media_range(range, xml_allowed, false) {
            Some(Ok(chosen)) => return Ok(chosen),
            Some(Err(reason)) => {
                refused.get_or_insert(reason);
            }
            None => {}
        }
    }
    if let Some(reason) = refused {
        return Err(reason);
    }
    Err(ODataError::new(
        ErrorKind::NotAcceptable,
        format!(
            "None of the media types in Accept '{accept}' can be produced; this resource is \
             available as application/json{}.",
            if xml_allowed {
                " and application/xml"
            } else {
                ""
            }
        ),
    ))
}

/// The `q` parameter of a media range (1 when absent or invalid).
/// Whether the request's `Accept` admits a response of `media_type` (a raw stream or
/// value): no `Accept`, `*/*`, `type/*` or the type itself, with a quality above zero.
/// Parameters of the type are not compared.
pub fn accepts(req: &HttpRequest, media_type: &str) -> bool {
    let accept = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return true;
    }
    let essence = |t: &str| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let wanted = essence(media_type);
    let main = wanted.split('/').next().unwrap_or_default().to_owned();
    accept.split(',').any(|range| {
        let media = essence(range);
        quality(range) > 0.0 && (media == "*/*" || media == wanted || media == format!("{main}/*"))
    })
}

fn quality(range: &str) -> f32 {
    range
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
        .and_then(|(_, q)| q.trim().parse::<f32>().ok())
        .filter(|q| (0.0..=1.0).contains(q))
        .unwrap_or(1.0)
}

/// Matches one media range (or `$format` value). `None` when it does not apply; a 406
/// when it names a format parameter the service does not know or a value it cannot
/// produce (a client asking for a variant of JSON it would not get).
fn match_media_range(
    range: &str,
    xml_allowed: bool,
    is_format_option: bool,
) -> Option<Result<Representation, ODataError>> {
    let mut parts = range.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default().to_ascii_lowercase();
    let mut options = WriteOptions::default();
    for param in parts {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        let value = value.trim().trim_matches('"');
        match name.trim().to_ascii_lowercase().as_str() {
            "q" if value.parse::<f32>().is_ok_and(|q| q <= 0.0) => return None,
            "q" | "charset" | "odata.streaming" | "streaming" | "exponentialdecimals" => {}
            "odata.metadata" | "metadata" => {
                options.metadata = match value.to_ascii_lowercase().as_str() {
                    "minimal" => MetadataLevel::Minimal,
                    "full" => MetadataLevel::Full,
                    "none" => MetadataLevel::None,
                    other => {
                        return Some(Err(ODataError::new(
                            ErrorKind::NotAcceptable,
                            format!(
                                "odata.metadata={other} is not supported; use minimal, full or none."
                            ),
                        )));
                    }
                }
            }
            "ieee754compatible" => options.ieee754_compatible = value.eq_ignore_ascii_case("true"),
            other => {
                return Some(Err(ODataError::new(
                    ErrorKind::NotAcceptable,
                    format!(
                        "The format parameter '{other}' is not supported; known are \
                         odata.metadata, odata.streaming, IEEE754Compatible, \
                         ExponentialDecimals, charset and q."
                    ),
                )));
            }
        }
    }
    let json = Some(Ok(Representation::Json(options)));
    match media.as_str() {
        "application/json" => json,
        "json" if is_format_option => json,
        "application/xml" | "text/xml" if xml_allowed => Some(Ok(Representation::Xml)),
        "xml" if is_format_option && xml_allowed => Some(Ok(Representation::Xml)),
        "*/*" | "application/*" => Some(Ok(if xml_allowed {
            Representation::Xml
        } else {
            Representation::Json(options)
        })),
        _ => None,
    }
}

/// True when the request's `Content-Type` carries `IEEE754Compatible=true` (its body may
/// hold Int64 and Decimal values as strings, and the client reads them so).
pub fn content_type_ieee754(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').skip(1).any(|p| {
                p.split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("ieee754compatible")
                        && value.trim().trim_matches('"').eq_ignore_ascii_case("true")
                })
            })
        })
}

/// The `Content-Type` of a JSON response with these options.
pub fn json_content_type(options: WriteOptions) -> String {
    format!("{};charset=utf-8", json_media_type(options))
}

/// The JSON media type with the format parameters of these options (no charset).
fn json_media_type(options: WriteOptions) -> String {
    let metadata = match options.metadata {
        MetadataLevel::None => "none",
        MetadataLevel::Minimal => "minimal",
        MetadataLevel::Full => "full",
    };
    format!(
        "application/json;odata.metadata={metadata};odata.streaming=true;IEEE754Compatible={}",
        options.ieee754_compatible
    )
}

/// Every JSON media type data responses come in, with its format parameters: each
/// metadata level, with and without `IEEE754Compatible` (what `$metadata` advertises as
/// `Capabilities.SupportedFormats`).
pub fn supported_json_media_types() -> Vec<String> {
    let mut types = Vec::with_capacity(6);
    for metadata in [
        MetadataLevel::Full,
        MetadataLevel::Minimal,
        MetadataLevel::None,
    ] {
        for ieee754_compatible in [false, true] {
            types.push(json_media_type(WriteOptions {
                metadata,
                ieee754_compatible,
                omit_nulls: false,
            }));
        }
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_decimals() {
        assert_eq!(parse_version("4.0"), Some(V4_0));
        assert_eq!(parse_version(" 4.01 "), Some(V4_01));
        assert_eq!(parse_version("4.00"), Some(V4_0));
        assert!(parse_version("4.1").is_some_and(|v| v > V4_01));
        assert!(parse_version("3.0").is_some_and(|v| v < V4_0));
        assert!(parse_version("5.0").is_some_and(|v| v > V4_01));
        for bad in [
            "4", "", "4.", ".1", "4.0.1", "x.y", "-4.0", "4.01234", "+4.0",
        ] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }
}
