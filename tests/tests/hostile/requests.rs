//! Request headers and slow bodies. The attacker sends ETag lists that never matched (so a
//! client's optimistic concurrency silently failed), a `Host`-independent `X-Forwarded-Host`
//! to point `@odata.nextLink` (and with it the caller's token) at a server of their own, and
//! bodies that trickle in to hold connections open. The service evaluates `If-Match` /
//! `If-None-Match` per RFC 9110 (lists, `*`, 304 on a matching GET, 412 on a failed write
//! condition, 404 for a missing entity), builds absolute URLs from the configured public
//! URL or `Host` and trusts forwarding headers only when told to, and cuts a stalled body off
//! with a 408.

use std::time::Duration;

use acceptance_tests::{TestApp, spawn_app, spawn_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EVENTS: &str = "deviceManagement/autopilotEvents";

/// Creates an event; returns its id and ETag.
async fn event(app: &TestApp) -> (String, String) {
    let r = app
        .post_json(EVENTS, &json!({"deviceSerialNumber": "SN"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), etag)
}

#[tokio::test]
async fn etag_lists_star_and_not_modified() {
    let app = spawn_app().await;
    let (id, etag) = event(&app).await;
    let path = format!("{EVENTS}/{id}");
    let patch = |condition: (&'static str, String)| {
        app.patch_json(&path, &json!({"deviceSerialNumber": "SN2"}))
            .header(condition.0, condition.1)
            .send()
    };

    // A list naming the current version matches.
    let r = patch(("If-Match", format!("W/\"999\", {etag}")))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    // A list without it does not.
    let r = patch(("If-Match", "W/\"1\", W/\"999\"".to_owned()))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    // If-None-Match: * refuses to change an existing entity.
    let r = patch(("If-None-Match", "*".to_owned())).await.unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);

    // GET with the current ETag in If-None-Match: 304, the ETag, no body.
    let r = app
        .get(&path)
        .header("If-None-Match", format!("W/\"0\", {etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = app
        .get(&path)
        .header("If-None-Match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // A missing entity is 404 whatever the conditions.
    let r = app
        .client
        .delete(app.url(&format!("{EVENTS}/missing")))
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .client
        .delete(app.url(&path))
        .header("If-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

async fn next_link(app: &TestApp, forwarded: bool) -> String {
    let mut request = app.get(EVENTS).header("Prefer", "odata.maxpagesize=1");
    if forwarded {
        request = request
            .header("X-Forwarded-Host", "evil.example")
            .header("Forwarded", "host=evil.example;proto=https");
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    body["@odata.nextLink"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn forwarding_headers_are_ignored_unless_trusted() {
    let app = spawn_app().await;
    event(&app).await;
    event(&app).await;
    let link = next_link(&app, true).await;
    assert!(link.starts_with(&app.root), "{link}");
    let context: Value = app
        .get(EVENTS)
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !context["@odata.context"].as_str().unwrap().contains("evil"),
        "{context}"
    );

    let behind_proxy = spawn_with(|s| s.trust_forwarded_headers = true).await;
    event(&behind_proxy).await;
    event(&behind_proxy).await;
    let link = next_link(&behind_proxy, true).await;
    assert!(link.starts_with("https://evil.example/beta/"), "{link}");

    let public = spawn_with(|s| {
        s.trust_forwarded_headers = true;
        s.public_base_url = Some("https://api.example.test".into());
    })
    .await;
    event(&public).await;
    event(&public).await;
    let link = next_link(&public, true).await;
    assert!(link.starts_with("https://api.example.test/beta/"), "{link}");
}

#[tokio::test]
async fn a_stalled_body_is_cut_off_with_408() {
    let app = spawn_with(|s| s.body_timeout = Duration::from_millis(300)).await;
    let address = app
        .root
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /beta/{EVENTS} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"deviceSerialNumber\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buf[..n]);
            if response.windows(4).any(|w| w == b"\r\n\r\n") && response.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the service answers a stalled body");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("RequestTimeout"), "{text}");
    assert_eq!(app.count(EVENTS).await, 0);
}
