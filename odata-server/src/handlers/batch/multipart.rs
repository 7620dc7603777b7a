//! The `multipart/mixed` batch format of OData 4.0: each part an `application/http`
//! request, or a nested `multipart/mixed` change set whose requests form one atomicity
//! group. Responses mirror the request: one `application/http` part per answer, a change
//! set's in a nested multipart (or the one error response of a failed change set).

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::web;
use odata_core::error::ODataError;

use super::{Answer, Part};

/// The `boundary` parameter of a `multipart/mixed` content type.
pub(super) fn boundary(content_type: &str) -> Result<String, ODataError> {
    content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or_else(|| {
            ODataError::bad_request(
                "A multipart/mixed $batch needs a 'boundary' parameter (1 to 70 characters).",
            )
            .with_target("Content-Type")
        })
}

/// Reads the batch's parts; change sets become atomicity groups named `changeset{n}`.
pub(super) fn parse(body: &[u8], delimiter: &str) -> Result<Vec<Part>, ODataError> {
    let mut parts = Vec::new();
    for (n, entity) in split(body, delimiter)?.into_iter().enumerate() {
        let (headers, content) = entity_headers(entity)?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if content_type
            .to_ascii_lowercase()
            .starts_with("multipart/mixed")
        {
            let group = format!("changeset{}", n + 1);
            let inner = boundary(content_type)?;
            for request in split(content, &inner)? {
                let (headers, content) = entity_headers(request)?;
                let mut part = http_request(&headers, content)?;
                if part.id.is_none() {
                    return Err(bad("Every request of a change set needs a Content-ID."));
                }
                part.group = Some(group.clone());
                parts.push(part);
            }
        } else {
            parts.push(http_request(&headers, content)?);
        }
    }
    Ok(parts)
}

fn bad(message: &str) -> ODataError {
    ODataError::bad_request(format!("The multipart $batch is malformed: {message}"))
        .with_target("$batch")
}

/// The body parts between `--boundary` delimiter lines, up to the closing
/// `--boundary--`; the line break before each delimiter belongs to the delimiter.
fn split<'b>(body: &'b [u8], boundary: &str) -> Result<Vec<&'b [u8]>, ODataError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut starts = Vec::new();
    let mut at = 0;
    let mut closed = false;
    while let Some(found) = find(&body[at..], delimiter) {
        let start = at + found;
        // A delimiter starts a line.
        if start == 0 || body[start - 1] == b'\n' {
            let after = start + delimiter.len();
            if body[after..].starts_with(b"--") {
                starts.push((start, after));
                closed = true;
                break;
            }
            starts.push((start, after));
        }
        at = start + delimiter.len();
    }
    if !closed || starts.len() < 2 {
        return Err(bad(&format!(
            "the body is not parts delimited by '--{boundary}' and closed by '--{boundary}--'."
        )));
    }
    Ok(starts
        .windows(2)
        .map(|w| {
            let (_, content_start) = w[0];
            let (next, _) = w[1];
            let mut part = &body[content_start..next];
            // The rest of the delimiter line, then the CRLF before the next delimiter.
            part = match find(part, b"\n") {
                Some(eol) => &part[eol + 1..],
                None => &[],
            };
            part.strip_suffix(b"\r\n")
                .or_else(|| part.strip_suffix(b"\n"))
                .unwrap_or(part)
        })
        .collect())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A body part's MIME headers and its content.
fn entity_headers(entity: &[u8]) -> Result<(HeaderMap, &[u8]), ODataError> {
    let mut storage = [httparse::EMPTY_HEADER; 32];
    match httparse::parse_headers(entity, &mut storage) {
        Ok(httparse::Status::Complete((end, parsed))) => Ok((header_map(parsed)?, &entity[end..])),
        _ => Err(bad("a part's headers do not parse.")),
    }
}

fn header_map(parsed: &[httparse::Header<'_>]) -> Result<HeaderMap, ODataError> {
    let mut map = HeaderMap::new();
    for h in parsed {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| bad(&format!("'{}' is not a header name.", h.name)))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| bad(&format!("the header '{}' has an invalid value.", h.name)))?;
        map.append(name, value);
    }
    Ok(map)
}

/// An `application/http` part: the request line, headers and body of one request.
fn http_request(mime: &HeaderMap, content: &[u8]) -> Result<Part, ODataError> {
    let is_http = mime
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim()
                .to_ascii_lowercase()
                .starts_with("application/http")
        });
    if !is_http {
        return Err(bad(
            "every part is application/http or a multipart/mixed change set.",
        ));
    }
    let id = mime
        .get("content-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned());
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut storage);
    let end = match request.parse(content) {
        Ok(httparse::Status::Complete(end)) => end,
        _ => return Err(bad("a part's request line or headers do not parse.")),
    };
    let method = request
        .method
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
        .ok_or_else(|| bad("a part has no valid method."))?;
    let url = request.path.unwrap_or_default().to_owned();
    Ok(Part {
        id,
        method,
        url,
        headers: header_map(request.headers)?,
        body: web::Bytes::copy_from_slice(&content[end..]),
        depends_on: Vec::new(),
        group: None,
    })
}

/// The multipart response: answers in order, a change set's nested, a failed change set
/// as its one error response.
pub(super) fn write(answers: &[Answer]) -> HttpResponse {
    let boundary = format!("batchresponse_{}", uuid::Uuid::new_v4());
    let mut out = Vec::new();
    let mut i = 0;
    while i < answers.len() {
        let answer = &answers[i];
        match &answer.group {
            None => {
                http_part(&mut out, &boundary, answer);
                i += 1;
            }
            Some(group) => {
                let end = answers[i..]
                    .iter()
                    .position(|a| a.group.as_ref() != Some(group))
                    .map_or(answers.len(), |n| i + n);
                let set = &answers[i..end];
                match set.iter().find(|a| a.failed() && !a.consequential) {
                    Some(failure) => http_part(&mut out, &boundary, failure),
                    None => {
                        let inner = format!("changesetresponse_{}", uuid::Uuid::new_v4());
                        out.extend_from_slice(
                            format!(
                                "--{boundary}\r\nContent-Type: multipart/mixed; boundary={inner}\r\n\r\n"
                            )
                            .as_bytes(),
                        );
                        for answer in set {
                            http_part(&mut out, &inner, answer);
                        }
                        out.extend_from_slice(format!("--{inner}--\r\n").as_bytes());
                    }
                }
                i = end;
            }
        }
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    HttpResponse::Ok()
        .content_type(format!("multipart/mixed; boundary={boundary}"))
        .body(out)
}

fn http_part(out: &mut Vec<u8>, boundary: &str, answer: &Answer) {
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        )
        .as_bytes(),
    );
    if let Some(id) = &answer.id {
        out.extend_from_slice(format!("Content-ID: {id}\r\n").as_bytes());
    }
    let reason = answer.status.canonical_reason().unwrap_or("");
    out.extend_from_slice(
        format!("\r\nHTTP/1.1 {} {reason}\r\n", answer.status.as_u16()).as_bytes(),
    );
    for (name, value) in &answer.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&answer.body);
    out.extend_from_slice(b"\r\n");
}
