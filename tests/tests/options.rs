//! OData 4.01 system query option names over HTTP: the `$` is optional and names are
//! case-insensitive (`filter=`, `$FILTER=`, `Top=`), so such options take effect instead of
//! being ignored as custom options; giving one twice in any spelling is a 400.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";

/// Three events with serial numbers `A`, `B` and `C`.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    for serial in ["A", "B", "C"] {
        let r = app
            .post_json(EVENTS, &json!({ "deviceSerialNumber": serial }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "POST {serial}");
    }
    app
}

/// The JSON body of `GET events?{query}`, asserting a 200.
async fn ok_body(app: &TestApp, query: &str, prefer: Option<&str>) -> Value {
    let mut request = app.get(&format!("{EVENTS}?{query}"));
    if let Some(prefer) = prefer {
        request = request.header("Prefer", prefer);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

/// Serial numbers of the events in a response, in response order.
fn serials(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["deviceSerialNumber"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn filter_without_dollar_or_in_upper_case_filters() {
    let app = seeded().await;
    for query in [
        "filter=deviceSerialNumber%20eq%20'A'",
        "$FILTER=deviceSerialNumber%20eq%20'A'",
        "Filter=deviceSerialNumber+eq+'A'",
    ] {
        let body = ok_body(&app, query, None).await;
        assert_eq!(serials(&body), ["A"], "{query}");
    }
}

#[tokio::test]
async fn top_orderby_select_and_count_without_dollar_apply() {
    let app = seeded().await;

    let body = ok_body(&app, "Top=1&orderby=deviceSerialNumber", None).await;
    assert_eq!(serials(&body), ["A"], "Top=1");

    // Both directions, so the service's default order cannot satisfy both by chance.
    let body = ok_body(&app, "orderby=deviceSerialNumber%20desc", None).await;
    assert_eq!(serials(&body), ["C", "B", "A"], "orderby=… desc");
    let body = ok_body(&app, "orderby=deviceSerialNumber", None).await;
    assert_eq!(serials(&body), ["A", "B", "C"], "orderby=…");

    let body = ok_body(&app, "SKIP=2&$OrderBy=deviceSerialNumber", None).await;
    assert_eq!(serials(&body), ["C"], "SKIP=2");

    let properties = |event: &Value| -> Vec<String> {
        let mut names: Vec<String> = event
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.contains('@'))
            .cloned()
            .collect();
        names.sort_unstable();
        names
    };
    let full = ok_body(&app, "", None).await;
    assert!(properties(&full["value"][0]).len() > 2, "{full}");
    let body = ok_body(&app, "select=deviceSerialNumber", None).await;
    for event in body["value"].as_array().unwrap() {
        let names = properties(event);
        assert!(
            names.iter().all(|n| n == "deviceSerialNumber" || n == "id"),
            "select=deviceSerialNumber gave {event}"
        );
    }

    let body = ok_body(&app, "count=true&top=1", None).await;
    assert_eq!(body["@odata.count"], 3, "count=true: {body}");
    assert_eq!(serials(&body).len(), 1, "top=1: {body}");
}

#[tokio::test]
async fn the_same_option_twice_in_any_spelling_is_a_400_naming_it() {
    let app = seeded().await;
    let cases = [
        (
            "$filter=deviceSerialNumber%20eq%20'A'&filter=deviceSerialNumber%20eq%20'B'",
            "$filter",
        ),
        ("$top=1&TOP=2", "$top"),
        (
            "orderby=deviceSerialNumber&$ORDERBY=deviceSerialNumber",
            "$orderby",
        ),
    ];
    for (query, target) in cases {
        let r = app.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], target, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("more than once"), "{query}: {message}");
    }
}

#[tokio::test]
async fn unknown_dollar_options_stay_400_and_custom_options_stay_ignored() {
    let app = seeded().await;
    let r = app.get(&format!("{EVENTS}?$foo=1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = ok_body(&app, "foo=1&filters=x", None).await;
    assert_eq!(serials(&body).len(), 3);
}

#[tokio::test]
async fn paging_works_with_dollar_less_options_and_tokens() {
    let app = seeded().await;
    let prefer = Some("odata.maxpagesize=1");
    let first = ok_body(&app, "orderby=deviceSerialNumber%20desc", prefer).await;
    assert_eq!(serials(&first), ["C"]);
    let link = first["@odata.nextLink"].as_str().unwrap();
    assert!(link.contains("orderby="), "{link}");
    let token = link
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("$skiptoken="))
        .unwrap();

    // The token given as `skiptoken=` continues after C instead of restarting.
    let query = format!("orderby=deviceSerialNumber%20desc&skiptoken={token}");
    let second = ok_body(&app, &query, prefer).await;
    assert_eq!(serials(&second), ["B"], "{query}");

    // The next link carries one token, so following it is not a repeated-option error.
    let link = second["@odata.nextLink"].as_str().unwrap();
    assert_eq!(
        link.to_ascii_lowercase().matches("skiptoken=").count(),
        1,
        "{link}"
    );
    let r = app
        .client
        .get(link)
        .header("Prefer", "odata.maxpagesize=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{link}");
    let third: Value = r.json().await.unwrap();
    assert_eq!(serials(&third), ["A"], "{link}");
}
