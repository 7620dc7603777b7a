//! Request limits, each with its status and the OData error body, and deeply nested or huge
//! input answered with a 4xx without taking the service down.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, product, spawn_app, spawn_with};

/// A 4xx OData error of `status` (when given); returns the error message.
async fn odata_error(response: reqwest::Response, status: Option<StatusCode>) -> String {
    let got = response.status();
    if let Some(status) = status {
        assert_eq!(got, status);
    }
    assert!(got.is_client_error(), "{got}");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

async fn still_serving(app: &TestApp) {
    let r = app.get("products/$count").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn url_longer_than_the_limit_is_414() {
    let app = spawn_with(|s| s.max_url_bytes = 200).await;
    // `/odata/products?x=` is 18 bytes: a 182-byte value is exactly at the limit.
    let at_limit = format!("products?x={}", "a".repeat(182));
    let r = app.get(&at_limit).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let over = format!("products?x={}", "a".repeat(183));
    let message = odata_error(
        app.get(&over).send().await.unwrap(),
        Some(StatusCode::URI_TOO_LONG),
    )
    .await;
    assert!(
        message.contains("201 bytes") && message.contains("200"),
        "{message}"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn default_url_limit_is_8_kib() {
    let app = spawn_app().await;
    let long_path = format!("products('{}')", "k".repeat(9 * 1024));
    let r = app.get(&long_path).send().await.unwrap();
    odata_error(r, Some(StatusCode::URI_TOO_LONG)).await;
    still_serving(&app).await;
}

#[tokio::test]
async fn oversized_request_heads_are_431_from_the_http_layer() {
    let app = spawn_app().await;
    let r = app
        .get("products")
        .header("x-padding", "p".repeat(200 * 1024))
        .send()
        .await;
    // actix-web answers 431 (or closes the connection) for heads over 128 KiB.
    if let Ok(r) = r {
        assert_eq!(r.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn filter_depth_and_node_limits_are_400() {
    let app = spawn_with(|s| {
        s.max_expr_depth = 8;
        s.max_expr_nodes = 50;
    })
    .await;
    let nested = |n: usize| format!("{}stock eq 1{}", "(".repeat(n), ")".repeat(n));
    let r = app
        .get(&format!("products?$filter={}", nested(20)))
        .send()
        .await
        .unwrap();
    let message = odata_error(r, Some(StatusCode::BAD_REQUEST)).await;
    assert!(
        message.to_lowercase().contains("deep") || message.to_lowercase().contains("depth"),
        "{message}"
    );
    let wide = (0..60)
        .map(|i| format!("stock eq {i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let r = app
        .get(&format!("products?$filter={wide}"))
        .send()
        .await
        .unwrap();
    odata_error(r, Some(StatusCode::BAD_REQUEST)).await;
    // Within the limits the same shapes are accepted.
    let r = app
        .get(&format!("products?$filter={}", nested(3)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    still_serving(&app).await;
}

#[tokio::test]
async fn ten_thousand_parentheses_in_filter_are_a_quick_400() {
    let app = spawn_with(|s| s.max_url_bytes = 1024 * 1024).await;
    let filter = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
    let r = app
        .get(&format!("products?$filter={filter}"))
        .send()
        .await
        .unwrap();
    odata_error(r, Some(StatusCode::BAD_REQUEST)).await;
    let unbalanced = "(".repeat(10_000);
    let r = app
        .get(&format!("products?$filter={unbalanced}"))
        .send()
        .await
        .unwrap();
    odata_error(r, Some(StatusCode::BAD_REQUEST)).await;
    still_serving(&app).await;
}

/// Sends raw bytes as one HTTP/1.1 request and returns the status code of the answer, or
/// `None` when the server closed the connection instead.
async fn raw_status(app: &TestApp, head_and_body: &[u8]) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = app.root.trim_start_matches("http://");
    let host = authority.split('/').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let _ = stream.write_all(head_and_body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|t| t.get(..3))
        .and_then(|c| c.parse().ok())
}

#[tokio::test]
async fn huge_string_literals_are_refused_or_served_never_5xx() {
    let app = spawn_with(|s| s.max_url_bytes = 2 * 1024 * 1024).await;
    // A 60 KB literal (about the longest URL HTTP clients send) reaches the parser.
    let literal = "x".repeat(60_000);
    let r = app
        .get(&format!("products?$filter=name eq '{literal}'"))
        .send()
        .await
        .map_err(|e| e.without_url())
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_client_error(),
        "{}",
        r.status()
    );
    // A 1 MB literal is larger than the HTTP layer's 128 KiB head limit: 431 or closed.
    let literal = "x".repeat(1_000_000);
    let request = format!(
        "GET /odata/products?$filter=name%20eq%20'{literal}' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let status = raw_status(&app, request.as_bytes()).await;
    assert!(status.is_none_or(|s| (400..500).contains(&s)), "{status:?}");
    // 1 MB string in a JSON body for a property limited to 20 characters.
    let mut body = product("big");
    body["name"] = Value::String("n".repeat(1_000_000));
    let r = app.post_json("products", &body).send().await.unwrap();
    let message = odata_error(r, Some(StatusCode::BAD_REQUEST)).await;
    assert!(
        message.contains("name"),
        "{}",
        &message[..message.len().min(300)]
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn ten_thousand_nested_json_arrays_are_a_400_not_a_stack_overflow() {
    let app = spawn_app().await;
    for body in [
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!("{{\"tags\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000)),
        format!("{{\"dimensions\":{}", "{\"a\":".repeat(10_000)),
    ] {
        let r = app
            .client
            .post(app.url("products"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        odata_error(r, Some(StatusCode::BAD_REQUEST)).await;
    }
    still_serving(&app).await;
}
