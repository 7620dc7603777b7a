//! Content negotiation: `Accept`, `$format`, `odata.metadata`, `IEEE754Compatible`, `Prefer`.

use actix_web::HttpRequest;
use actix_web::http::header;
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{MetadataLevel, WriteOptions};

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
    for range in accept.split(',') {
        if let Some(chosen) = match_media_range(range, xml_allowed, false) {
            return chosen;
        }
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

/// Matches one media range (or `$format` value). `None` when it does not apply.
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
            "odata.metadata" | "metadata" => {
                options.metadata = match value {
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
            _ => {}
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

/// The `Content-Type` of a JSON response with these options.
pub fn json_content_type(options: WriteOptions) -> String {
    let metadata = match options.metadata {
        MetadataLevel::None => "none",
        MetadataLevel::Minimal => "minimal",
        MetadataLevel::Full => "full",
    };
    format!(
        "application/json;odata.metadata={metadata};odata.streaming=true;IEEE754Compatible={};charset=utf-8",
        options.ieee754_compatible
    )
}

/// `Prefer: return=minimal` / `return=representation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPreference {
    /// No preference stated.
    Default,
    /// `return=minimal`.
    Minimal,
    /// `return=representation`.
    Representation,
}

/// Reads the `return` preference from `Prefer` headers.
pub fn return_preference(req: &HttpRequest) -> ReturnPreference {
    for value in req
        .headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
    {
        for pref in value.split(',') {
            match pref.trim().to_ascii_lowercase().as_str() {
                "return=minimal" => return ReturnPreference::Minimal,
                "return=representation" => return ReturnPreference::Representation,
                _ => {}
            }
        }
    }
    ReturnPreference::Default
}

/// `Prefer: odata.maxpagesize=n` (or the 4.01 `maxpagesize=n`).
pub fn max_page_size_preference(req: &HttpRequest) -> Option<u32> {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|pref| {
            let (name, value) = pref.trim().split_once('=')?;
            let name = name.trim().to_ascii_lowercase();
            (name == "odata.maxpagesize" || name == "maxpagesize")
                .then(|| value.trim().trim_matches('"').parse::<u32>().ok())
                .flatten()
        })
}
