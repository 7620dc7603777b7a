//! Query options built to exhaust the service or to read what it never returns. The attacker
//! sends parameter aliases that each use the next one twice (`@a0=@a1 add @a1&…`: 2^24 nodes
//! from a URL under 1 KiB) or name the next one 150 times over, a `$search` of a thousand
//! terms, and — holding only read access — filters, sorts, selects and aliases over the
//! write-only `deviceAccountPassword` to recover it by bisection (`startswith(…,'Hu')`) or
//! from the sort key a `$skiptoken` carries. The service answers each with a 400 naming the
//! query option (and the limit or the property), builds nothing oversized, and keeps serving.

use acceptance_tests::{TestApp, seed, spawn_app, with_valid_enums};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// Asserts a 400 with the OData error body and returns its `error` member.
async fn bad_request(app: &TestApp, path_and_query: &str) -> Value {
    bad_request_with(app, path_and_query, None).await
}

/// Like [`bad_request`], with an optional `Prefer` header.
async fn bad_request_with(app: &TestApp, path_and_query: &str, prefer: Option<&str>) -> Value {
    let mut request = app.get(path_and_query);
    if let Some(prefer) = prefer {
        request = request.header("Prefer", prefer);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{path_and_query}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let error = body["error"].clone();
    assert!(
        error["code"].is_string() && error["message"].is_string(),
        "{text}"
    );
    error
}

/// The service still answers an ordinary request.
async fn still_serving(app: &TestApp) {
    let r = app.get(EVENTS).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn doubling_parameter_aliases_are_a_400_not_an_allocation_failure() {
    let app = spawn_app().await;
    let k = 24;
    let mut query = "$filter=targetedAppCount%20eq%20@a0".to_owned();
    for i in 0..k {
        query.push_str(&format!("&@a{i}=@a{}%20add%20@a{}", i + 1, i + 1));
    }
    query.push_str(&format!("&@a{k}=targetedAppCount"));
    assert!(query.len() < 1024, "{}", query.len());
    let error = bad_request(&app, &format!("{EVENTS}?{query}")).await;
    assert_eq!(error["target"], "$filter");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("$filter: expression too large"),
        "{message}"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn a_deep_parameter_alias_chain_is_a_400() {
    let app = spawn_app().await;
    let n = 150;
    let mut query = "$filter=targetedAppCount%20eq%20@a0".to_owned();
    for i in 0..n - 1 {
        query.push_str(&format!("&@a{i}=@a{}", i + 1));
    }
    query.push_str(&format!("&@a{}=targetedAppCount", n - 1));
    let error = bad_request(&app, &format!("{EVENTS}?{query}")).await;
    assert_eq!(error["target"], "$filter");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("$filter: nesting too deep"),
        "{message}"
    );
    // A cycle is a 400 too, not a loop.
    let error = bad_request(
        &app,
        &format!("{EVENTS}?$filter=targetedAppCount%20eq%20@x&@x=@y%20add%201&@y=@x"),
    )
    .await;
    assert_eq!(error["target"], "$filter");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("refers to itself"),
        "{error}"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn a_thousand_search_terms_are_a_400_not_a_500() {
    let app = spawn_app().await;
    let terms = (0..1000)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join("%20");
    let error = bad_request(&app, &format!("{EVENTS}?$search={terms}")).await;
    assert_eq!(error["target"], "$search");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("$search: too many search terms (more than 100)"),
        "{message}"
    );
    // Within the limit, the same shape is an ordinary search.
    let terms = (0..100)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join("%20OR%20");
    let r = app
        .get(&format!("{EVENTS}?$search={terms}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    still_serving(&app).await;
}

#[tokio::test]
async fn the_write_only_password_cannot_be_used_in_a_query() {
    let app = spawn_app().await;
    let mut identity = with_valid_enums(&seed("003-post-identity.request.json"));
    identity["deviceAccountPassword"] = json!("Hunter2-device-password");
    let r = app.post_json(IDENTITIES, &identity).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let named = |error: &Value, option: &str| {
        assert_eq!(error["target"], option, "{error}");
        assert_eq!(
            error["message"],
            format!(
                "{option}: 'deviceAccountPassword' is write-only and cannot be used in a query"
            ),
        );
    };
    for (query, option) in [
        ("$filter=startswith(deviceAccountPassword,'Hu')", "$filter"),
        ("$filter=deviceAccountPassword%20eq%20null", "$filter"),
        ("$filter=length(deviceAccountPassword)%20gt%205", "$filter"),
        ("$filter=@p%20eq%20'x'&@p=deviceAccountPassword", "$filter"),
        (
            "$filter=serialNumber%20eq%20'x'%20or%20startswith(@p,'H')&@p=deviceAccountPassword",
            "$filter",
        ),
        ("$orderby=deviceAccountPassword", "$orderby"),
        (
            "$orderby=displayName,deviceAccountPassword%20desc",
            "$orderby",
        ),
        ("$select=deviceAccountPassword", "$select"),
        ("$select=id,deviceAccountPassword", "$select"),
    ] {
        let error = bad_request(&app, &format!("{IDENTITIES}?{query}")).await;
        named(&error, option);
    }
    // Sorting by it page by page would put it into the $skiptoken.
    let error = bad_request_with(
        &app,
        &format!("{IDENTITIES}?$orderby=deviceAccountPassword"),
        Some("odata.maxpagesize=1"),
    )
    .await;
    named(&error, "$orderby");
    // The single entity refuses it in $select as well.
    let error = bad_request(
        &app,
        &format!("{IDENTITIES}('{id}')?$select=deviceAccountPassword"),
    )
    .await;
    named(&error, "$select");
    // $search never looks at it.
    let found = app.get_json(&format!("{IDENTITIES}?$search=Hunter2")).await;
    assert_eq!(found["value"], json!([]), "{found}");
    // The identity itself is served, without the password's value.
    let r = app
        .get(&format!("{IDENTITIES}('{id}')"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(!text.contains("Hunter2"), "{text}");
}
