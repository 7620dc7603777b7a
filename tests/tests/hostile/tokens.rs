//! `$skiptoken`s. The attacker decodes a token to read the sort keys of rows it shows
//! (a write-only value once leaked that way), edits it to jump to a position of their
//! choosing, or replays it under another `$filter` or `$orderby` to get rows the query would
//! not give. The service seals tokens (authenticated encryption with a key kept in the
//! database, so another instance on the same database opens them too) and binds each to the
//! query that made it: any change, or any other query, is a 400 naming `$skiptoken`.

use acceptance_tests::{TestApp, spawn_app, spawn_with};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";

async fn seed_events(app: &TestApp, n: usize) {
    for i in 0..n {
        let r = app
            .post_json(
                EVENTS,
                &json!({"deviceSerialNumber": format!("SECRET-{i:03}")}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

/// The `$skiptoken` of the first page of `query`, one row per page.
async fn first_token(app: &TestApp, query: &str) -> (String, String) {
    let body: Value = app
        .get(&format!("{EVENTS}?{query}"))
        .header("Prefer", "odata.maxpagesize=1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = body["@odata.nextLink"].as_str().unwrap().to_owned();
    let token = link.split("$skiptoken=").nth(1).unwrap().to_owned();
    (link, token)
}

async fn status_of(app: &TestApp, query: &str, token: &str) -> (StatusCode, Value) {
    let r = app
        .get(&format!("{EVENTS}?{query}&$skiptoken={token}"))
        .header("Prefer", "odata.maxpagesize=1")
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn tokens_reveal_nothing_and_refuse_tampering_and_other_queries() {
    let app = spawn_app().await;
    seed_events(&app, 3).await;
    let query = "$orderby=deviceSerialNumber";
    let (_, token) = first_token(&app, query).await;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&token)
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("SECRET"));

    let (status, _) = status_of(&app, query, &token).await;
    assert_eq!(status, StatusCode::OK, "the untouched token works");

    let mut flipped = token.clone().into_bytes();
    let i = flipped.len() / 2;
    flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for (query, token) in [
        (query, flipped.as_str()),
        ("$orderby=deviceSerialNumber desc", token.as_str()),
        (
            "$orderby=deviceSerialNumber&$filter=deviceSerialNumber ne 'x'",
            token.as_str(),
        ),
        ("$orderby=deviceSerialNumber&$select=id", token.as_str()),
    ] {
        let (status, body) = status_of(&app, query, token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["target"], "$skiptoken", "{query}");
    }
}

#[tokio::test]
async fn another_instance_on_the_same_database_follows_the_next_link() {
    let first = spawn_app().await;
    seed_events(&first, 3).await;
    let url = first.database_url.clone();
    let second = spawn_with(|s| s.database_url = url).await;
    let (link, _) = first_token(&first, "$orderby=deviceSerialNumber").await;
    let port = |root: &str| {
        root.split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let on_second = link.replace(&port(&first.root), &port(&second.root));
    let r = second
        .client
        .get(on_second)
        .header("Prefer", "odata.maxpagesize=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["value"][0]["deviceSerialNumber"], "SECRET-001");
}
