//! MODEL.md §6.11 (asynchronous requests) on the catalog, and §5.9: `Reseed` makes the
//! status monitors issued before it 404.

use std::time::Duration;

use acceptance_tests::{TestApp, spawn_catalog};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

const LAPTOP: &str = "Products(a0000000-0000-4000-8000-000000000001)";

/// Sends the request with `Prefer: respond-async` and checks the 202; returns the monitor.
async fn start(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> String {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("prefer", "respond-async");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "{path}");
    assert_eq!(r.headers()["preference-applied"], "respond-async");
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse::<u32>()
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/", app.root)),
        "{location}"
    );
    location
}

/// Polls the monitor (bounded) until it no longer answers 202.
async fn poll(app: &TestApp, monitor: &str) -> Response {
    for _ in 0..1000 {
        let r = app.client.get(monitor).send().await.unwrap();
        if r.status() != StatusCode::ACCEPTED {
            return r;
        }
        assert!(r.headers().contains_key("location"));
        assert!(r.headers().contains_key("retry-after"));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the job at {monitor} did not finish");
}

/// The final response at the monitor: `AsyncResult`, the status line, the raw headers and
/// the body.
async fn outcome(app: &TestApp, monitor: &str) -> (Option<String>, String, String, String) {
    let r = poll(app, monitor).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/http");
    let async_result = r
        .headers()
        .get("asyncresult")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (
        async_result,
        status_line.to_owned(),
        headers.to_ascii_lowercase(),
        body.to_owned(),
    )
}

#[tokio::test]
async fn a_read_a_create_and_an_action_run_asynchronously() {
    let app = spawn_catalog().await;
    // A GET: the final response is what the synchronous GET answers.
    let synchronous: Value = app.get_json(&format!("{LAPTOP}?$select=Name,Price")).await;
    let monitor = start(
        &app,
        Method::GET,
        &format!("{LAPTOP}?$select=Name,Price"),
        None,
    )
    .await;
    let (result, status, headers, body) = outcome(&app, &monitor).await;
    assert_eq!(result.as_deref(), Some("200"));
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains("odata-version: 4.01"), "{headers}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), synchronous);

    // A POST create: 201 with the new product, which is then there.
    let monitor = start(
        &app,
        Method::POST,
        "Products",
        Some(json!({"Name": "Async Lamp", "Price": 12.5})),
    )
    .await;
    let (result, status, headers, body) = outcome(&app, &monitor).await;
    assert_eq!(result.as_deref(), Some("201"));
    assert_eq!(status, "HTTP/1.1 201 Created");
    assert!(headers.contains("location: "), "{headers}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created["ID"].as_str().unwrap();
    assert_eq!(
        app.get_json(&format!("Products({id})")).await["Name"],
        "Async Lamp"
    );

    // An action: ApplyDiscount answers the updated entity.
    let monitor = start(
        &app,
        Method::POST,
        &format!("{LAPTOP}/ApplyDiscount"),
        Some(json!({"percentage": 10})),
    )
    .await;
    let (result, _, _, body) = outcome(&app, &monitor).await;
    assert_eq!(result.as_deref(), Some("200"));
    let laptop: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(laptop["Price"], json!(899.991));
    assert_eq!(app.get_json(LAPTOP).await["Price"], json!(899.991));

    // Cancelling: the monitor is gone.
    let r = app.client.delete(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.client.get(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let error: Value = r.json().await.unwrap();
    assert!(error["error"]["message"].is_string());

    // Without the preference: never a 202.
    let r = app.get(LAPTOP).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_4_0_request_gets_no_async_result() {
    let app = spawn_catalog().await;
    let r = app
        .get("Categories")
        .header("prefer", "respond-async")
        .header("odata-maxversion", "4.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let monitor = r.headers()["location"].to_str().unwrap().to_owned();
    let (result, status, headers, _) = outcome(&app, &monitor).await;
    assert_eq!(result, None);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains("odata-version: 4.0\r\n") || headers.ends_with("odata-version: 4.0"));
}

#[tokio::test]
async fn reseed_makes_earlier_monitors_404() {
    let app = spawn_catalog().await;
    let earlier = start(&app, Method::GET, "Categories", None).await;
    outcome(&app, &earlier).await;
    let another = start(&app, Method::GET, "Products/$count", None).await;
    outcome(&app, &another).await;
    // Reseed, itself asynchronous: its own monitor shows its result.
    let reseed = start(&app, Method::POST, "Reseed", None).await;
    let (result, _, _, body) = outcome(&app, &reseed).await;
    assert_eq!(result.as_deref(), Some("200"));
    let answered: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answered["status"], "success");
    for monitor in [&earlier, &another] {
        let r = app.client.get(monitor).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    // A synchronous Reseed drops the monitors too, its own asynchronous one included.
    let r = app.client.post(app.url("Reseed")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.client.get(&reseed).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn several_requests_run_at_once() {
    let app = spawn_catalog().await;
    let mut monitors = Vec::new();
    for path in [
        "Products",
        "Categories",
        "Company",
        "Products/$count",
        "GetTopProducts(count=2)",
    ] {
        monitors.push(start(&app, Method::GET, path, None).await);
    }
    for monitor in &monitors {
        let (result, ..) = outcome(&app, monitor).await;
        assert_eq!(result.as_deref(), Some("200"));
    }
    assert_eq!(
        monitors
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        monitors.len()
    );
}
