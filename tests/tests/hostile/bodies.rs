//! Request bodies that parse one way here and another way elsewhere, or that store what can
//! never be reached again.
//!
//! The attacker repeats a member name (`{"deviceId": "a", "deviceId": "b"}`) so that a
//! validating proxy and the service disagree on which value counts; sends `-0` for an
//! integer; binds a navigation property with `x@odata.bind` / `x@bind` to an entity that
//! does not exist, hoping for a dangling link (or for the bind to be silently ignored while
//! the client believes it was made); and creates an entity with a 10 000-character or empty
//! key that no URL can ever name again. The service answers a repeated member with a 400
//! naming it (with its path when nested), reads `-0` as 0, answers a bind to a missing
//! entity with a 400 naming the bind (also when the name is not a navigation property),
//! and rejects a key longer than its `MaxLength` of 256 or empty with a 400 naming `id`. A
//! rejected request stores nothing.

use acceptance_tests::{TestApp, seed, spawn_app, with_valid_enums};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// The seed event with valid enum members, as a JSON object.
fn event() -> Value {
    with_valid_enums(&seed("000-post-event.request.json"))
}

/// The seed identity with valid enum members, as a JSON object.
fn identity() -> Value {
    with_valid_enums(&seed("003-post-identity.request.json"))
}

/// `body` serialised with `prefix` spliced in as its first members.
fn with_leading_members(body: &Value, prefix: &str) -> String {
    let text = body.to_string();
    format!("{{{prefix},{}", &text[1..])
}

async fn send_raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: String,
) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn post_raw(app: &TestApp, path: &str, body: String) -> reqwest::Response {
    send_raw(app, reqwest::Method::POST, path, body).await
}

/// Asserts the status and `error.target`, and that the message contains `fragment`.
async fn expect_error(
    response: reqwest::Response,
    status: StatusCode,
    target: &str,
    fragment: &str,
) {
    assert_eq!(response.status(), status, "{target}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["target"], target, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(fragment), "{target}: {message}");
}

#[tokio::test]
async fn repeated_members_are_rejected_not_resolved() {
    let app = spawn_app().await;
    // The second `deviceId` would silently win.
    let r = post_raw(
        &app,
        EVENTS,
        with_leading_members(&event(), r#""deviceId":"smuggled""#),
    )
    .await;
    expect_error(
        r,
        StatusCode::BAD_REQUEST,
        "deviceId",
        "'deviceId' appears more than once",
    )
    .await;
    let r = post_raw(
        &app,
        EVENTS,
        with_leading_members(&event(), r##""@odata.type":"#microsoft.graph.entity""##),
    )
    .await;
    expect_error(r, StatusCode::BAD_REQUEST, "@odata.type", "more than once").await;
    // Nested in an array: found while parsing, before any property is looked up.
    let r = post_raw(
        &app,
        EVENTS,
        with_leading_members(&event(), r#""x":[{"a":1},{"a":2,"b":0,"a":3}]"#),
    )
    .await;
    expect_error(r, StatusCode::BAD_REQUEST, "x[1]/a", "'x[1]/a'").await;
    assert_eq!(app.count(EVENTS).await, 0);

    // Inside a complex value.
    let profile = json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": "p",
    });
    let r = post_raw(
        &app,
        PROFILES,
        with_leading_members(
            &profile,
            r#""outOfBoxExperienceSetting":{"eulaHidden":true,"userType":"standard","eulaHidden":false}"#,
        ),
    )
    .await;
    expect_error(
        r,
        StatusCode::BAD_REQUEST,
        "outOfBoxExperienceSetting/eulaHidden",
        "more than once",
    )
    .await;
    assert_eq!(app.count(PROFILES).await, 0);

    // PATCH too: the entity keeps its value.
    let created = app.post_json(IDENTITIES, &identity()).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let path = format!("{IDENTITIES}/{}", created["id"].as_str().unwrap());
    let r = send_raw(
        &app,
        reqwest::Method::PATCH,
        &path,
        r#"{"groupTag":"a","groupTag":"b"}"#.to_owned(),
    )
    .await;
    expect_error(r, StatusCode::BAD_REQUEST, "groupTag", "more than once").await;
    let got: Value = app.get_json(&path).await;
    assert_eq!(got["groupTag"], created["groupTag"]);

    // Malformed JSON is still a 400 with its position.
    let r = post_raw(&app, EVENTS, r#"{"deviceId": "x","#.to_owned()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("column"),
        "{body}"
    );
    assert_eq!(app.count(EVENTS).await, 0);
}

#[tokio::test]
async fn minus_zero_is_the_integer_zero() {
    let app = spawn_app().await;
    let mut body = event();
    body["targetedAppCount"] = json!(0);
    let text = body
        .to_string()
        .replace(r#""targetedAppCount":0"#, r#""targetedAppCount":-0"#);
    assert!(text.contains("-0,") || text.contains("-0}"), "{text}");
    let r = post_raw(&app, EVENTS, text).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["targetedAppCount"], 0);
    let path = format!("{EVENTS}/{}", created["id"].as_str().unwrap());
    let r = send_raw(
        &app,
        reqwest::Method::PATCH,
        &path,
        r#"{"targetedPolicyCount": -0}"#.to_owned(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["targetedPolicyCount"], 0);

    // Fractions stay fractions, even when they are whole.
    for literal in ["-0.0", "0.0", "1.0"] {
        let r = send_raw(
            &app,
            reqwest::Method::PATCH,
            &path,
            format!(r#"{{"targetedPolicyCount": {literal}}}"#),
        )
        .await;
        expect_error(
            r,
            StatusCode::BAD_REQUEST,
            "targetedPolicyCount",
            "not an integer",
        )
        .await;
    }
    assert_eq!(app.count(EVENTS).await, 1);
}

#[tokio::test]
async fn binding_a_missing_entity_is_answered_never_dropped() {
    let app = spawn_app().await;
    let profile = "deviceManagement/windowsAutopilotDeploymentProfiles('p1')";
    for key in [
        "deploymentProfile@odata.bind",
        "intendedDeploymentProfile@bind",
    ] {
        let mut body = identity();
        body[key] = json!(profile);
        let r = app.post_json(IDENTITIES, &body).send().await.unwrap();
        expect_error(r, StatusCode::BAD_REQUEST, key, "does not exist").await;
    }
    for (key, name) in [
        ("serialNumber@odata.bind", "serialNumber"),
        ("noSuchThing@bind", "noSuchThing"),
    ] {
        let mut body = identity();
        body[key] = json!(profile);
        let r = app.post_json(IDENTITIES, &body).send().await.unwrap();
        expect_error(
            r,
            StatusCode::BAD_REQUEST,
            key,
            &format!(
                "'{name}' is not a navigation property of \
                 'microsoft.graph.windowsAutopilotDeviceIdentity'"
            ),
        )
        .await;
    }
    // Deep insert: an inline entity that cannot be created fails the whole create.
    let mut body = identity();
    body["deploymentProfile"] = json!({"displayName": "inline"});
    let r = app.post_json(IDENTITIES, &body).send().await.unwrap();
    expect_error(
        r,
        StatusCode::BAD_REQUEST,
        "deploymentProfile/@odata.type",
        "abstract",
    )
    .await;
    assert_eq!(app.count(IDENTITIES).await, 0);

    let mut body = event();
    body["deviceId@odata.bind"] = json!(profile);
    let r = app.post_json(EVENTS, &body).send().await.unwrap();
    expect_error(
        r,
        StatusCode::BAD_REQUEST,
        "deviceId@odata.bind",
        "'deviceId' is not a navigation property",
    )
    .await;
    assert_eq!(app.count(EVENTS).await, 0);

    // PATCH binds to a missing entity are answered the same way, and change nothing.
    let created = app.post_json(IDENTITIES, &identity()).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let path = format!("{IDENTITIES}/{}", created["id"].as_str().unwrap());
    let r = app
        .patch_json(
            &path,
            &json!({"groupTag": "changed", "deploymentProfile@odata.bind": profile}),
        )
        .send()
        .await
        .unwrap();
    expect_error(
        r,
        StatusCode::BAD_REQUEST,
        "deploymentProfile@odata.bind",
        "does not exist",
    )
    .await;
    let got: Value = app.get_json(&path).await;
    assert_eq!(got["groupTag"], created["groupTag"]);
    assert_eq!(app.count(IDENTITIES).await, 1);
}

#[tokio::test]
async fn keys_are_bounded_and_not_empty() {
    let app = spawn_app().await;
    for id in ["k".repeat(10_000), "k".repeat(257)] {
        let mut body = event();
        body["id"] = json!(id);
        let r = app.post_json(EVENTS, &body).send().await.unwrap();
        expect_error(r, StatusCode::BAD_REQUEST, "id", "maximum length of 256").await;
    }
    let mut body = event();
    body["id"] = json!("");
    let r = app.post_json(EVENTS, &body).send().await.unwrap();
    expect_error(
        r,
        StatusCode::BAD_REQUEST,
        "id",
        "'id' cannot be an empty string",
    )
    .await;
    let mut body = identity();
    body["id"] = json!("");
    let r = app.post_json(IDENTITIES, &body).send().await.unwrap();
    expect_error(r, StatusCode::BAD_REQUEST, "id", "empty").await;
    assert_eq!(app.count(EVENTS).await, 0);
    assert_eq!(app.count(IDENTITIES).await, 0);

    // The longest allowed key can be created, read and deleted.
    let id = "k".repeat(256);
    let mut body = event();
    body["id"] = json!(id);
    let r = app.post_json(EVENTS, &body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let path = format!("{EVENTS}/{id}");
    let got = app.get(&path).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    let deleted = app.client.delete(app.url(&path)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count(EVENTS).await, 0);

    let metadata = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = metadata.find(r#"<Property Name="id""#).unwrap();
    let element = &metadata[start..start + metadata[start..].find("/>").unwrap()];
    assert!(element.contains(r#"MaxLength="256""#), "{element}");
}
