//! Request limits checked before any parsing. Further limits live where the data is read:
//! the body size while reading it (413), expression depth and node count in the query
//! parser ([`crate::config::Settings::max_expr_depth`]), string lengths in the JSON reader.
//! Request heads (request line plus headers) larger than 128 KiB are answered 431 by
//! actix-web itself, more than 96 headers 400: those limits are fixed.

use actix_web::HttpRequest;
use odata_core::error::{ErrorKind, ODataError};

/// 414 when the request target (path and query string, as sent) is longer than `max` bytes.
pub fn check_url_length(req: &HttpRequest, max: usize) -> Result<(), ODataError> {
    let len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if len > max {
        return Err(ODataError::new(
            ErrorKind::UriTooLong,
            format!("The request URL is {len} bytes long; the limit is {max} bytes."),
        ));
    }
    Ok(())
}
