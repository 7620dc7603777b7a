//! The 4.01 JSON batch format: `{"requests": [{"id", "method", "url", "headers", "body",
//! "dependsOn", "atomicityGroup"}]}` in, `{"responses": [{"id", "status", "headers",
//! "body", "atomicityGroup"}]}` out.

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::web;
use odata_core::error::{ErrorKind, ODataError};
use serde_json::{Map, Value as Json, json};

use super::{Answer, Part};

/// Reads the request envelope; a 400 naming the member at fault otherwise.
pub(super) fn parse(body: &[u8]) -> Result<Vec<Part>, ODataError> {
    let envelope = odata_core::json::read_object(body)?;
    if let Some(other) = envelope.keys().find(|k| k.as_str() != "requests") {
        return Err(bad(
            other,
            "is not a member of a JSON batch; it has 'requests' only",
        ));
    }
    let Some(Json::Array(requests)) = envelope.get("requests") else {
        return Err(bad("requests", "must be an array of requests"));
    };
    requests
        .iter()
        .enumerate()
        .map(|(i, request)| part(i, request))
        .collect()
}

fn part(i: usize, request: &Json) -> Result<Part, ODataError> {
    let at = |member: &str| format!("requests[{i}]/{member}");
    let Json::Object(request) = request else {
        return Err(bad(&format!("requests[{i}]"), "must be an object"));
    };
    for member in request.keys() {
        match member.as_str() {
            "id" | "method" | "url" | "headers" | "body" | "dependsOn" | "atomicityGroup" => {}
            "if" => {
                return Err(ODataError::new(
                    ErrorKind::NotImplemented,
                    "Conditional requests in a batch ('if') are not supported.",
                )
                .with_target(at("if")));
            }
            other => return Err(bad(&at(other), "is not a member of a batch request")),
        }
    }
    let text = |member: &str| match request.get(member) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(bad(&at(member), "must be a non-empty string")),
    };
    let id = text("id")?;
    let method = Method::from_bytes(text("method")?.to_ascii_uppercase().as_bytes())
        .map_err(|_| bad(&at("method"), "is not an HTTP method"))?;
    let url = text("url")?;
    let mut headers = HeaderMap::new();
    match request.get("headers") {
        None => {}
        Some(Json::Object(given)) => {
            for (name, value) in given {
                let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    value.as_str().map(HeaderValue::from_str),
                ) else {
                    return Err(bad(
                        &at(&format!("headers/{name}")),
                        "is not a valid header",
                    ));
                };
                headers.append(name, value);
            }
        }
        Some(_) => return Err(bad(&at("headers"), "must be an object")),
    }
    let body = match request.get("body") {
        None | Some(Json::Null) => web::Bytes::new(),
        Some(value) => {
            let json_body = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|t| t.to_ascii_lowercase().starts_with("application/json"));
            match value {
                Json::String(text) if !json_body => web::Bytes::from(text.clone()),
                value if json_body => {
                    if !headers.contains_key(header::CONTENT_TYPE) {
                        headers.insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        );
                    }
                    web::Bytes::from(value.to_string())
                }
                _ => {
                    return Err(bad(
                        &at("body"),
                        "must be a string for a content type other than JSON",
                    ));
                }
            }
        }
    };
    let depends_on = match request.get("dependsOn") {
        None => Vec::new(),
        Some(Json::Array(ids)) => ids
            .iter()
            .map(|d| d.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad(&at("dependsOn"), "must be an array of request ids"))?,
        Some(_) => return Err(bad(&at("dependsOn"), "must be an array of request ids")),
    };
    let group = match request.get("atomicityGroup") {
        None => None,
        Some(_) => Some(text("atomicityGroup")?),
    };
    Ok(Part {
        id: Some(id),
        method,
        url,
        headers,
        body,
        depends_on,
        group,
    })
}

fn bad(member: &str, what: &str) -> ODataError {
    ODataError::bad_request(format!("'{member}' {what}.")).with_target(member.to_owned())
}

/// The response envelope: one response per answer, headers lower-case, a JSON body as
/// JSON and any other as a string.
pub(super) fn write(answers: &[Answer]) -> HttpResponse {
    let responses: Vec<Json> = answers.iter().map(response).collect();
    HttpResponse::Ok()
        .content_type("application/json;odata.metadata=minimal;charset=utf-8")
        .body(json!({ "responses": responses }).to_string())
}

fn response(answer: &Answer) -> Json {
    let mut out = Map::new();
    if let Some(id) = &answer.id {
        out.insert("id".into(), json!(id));
    }
    if let Some(group) = &answer.group {
        out.insert("atomicityGroup".into(), json!(group));
    }
    out.insert("status".into(), json!(answer.status.as_u16()));
    let headers: Map<String, Json> = answer
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), json!(value.to_str().ok()?))))
        .collect();
    if !headers.is_empty() {
        out.insert("headers".into(), Json::Object(headers));
    }
    if !answer.body.is_empty() {
        let is_json = answer
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
        let body = match serde_json::from_slice::<Json>(&answer.body) {
            Ok(parsed) if is_json => parsed,
            _ => json!(String::from_utf8_lossy(&answer.body)),
        };
        out.insert("body".into(), body);
    }
    Json::Object(out)
}
