//! Every error status of the foundation on the Autopilot service, each with the Graph/OData
//! error body, `innerError.request-id` equal to the `request-id` header, and nothing stored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, seed, spawn_app, spawn_with, with_valid_enums};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

async fn expect_error(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-language"], "en");
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["innerError"]["request-id"],
        request_id.as_str(),
        "{body}"
    );
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string());
    body["error"].clone()
}

async fn assert_empty(app: &TestApp) {
    assert_eq!(app.count(EVENTS).await, 0);
    assert_eq!(app.count(IDENTITIES).await, 0);
}

#[tokio::test]
async fn bad_bodies_name_the_property() {
    let app = spawn_app().await;
    let event = with_valid_enums(&seed("000-post-event.request.json"));
    let mut cases = Vec::new();
    for (property, value, fragment) in [
        ("targetedAppCount", json!(2_147_483_648_i64), "range"),
        ("targetedAppCount", json!("3"), "Edm.Int32"),
        ("eventDateTime", json!("2016-12-31 23:59"), "DateTimeOffset"),
        ("deploymentDuration", json!("PT1.5M"), "Duration"),
        ("deploymentState", json!("Success"), "Allowed members"),
        ("deploymentState", json!(null), "cannot be null"),
        ("deviceSerialNumber", json!(42), "Edm.String"),
        ("noSuchProperty", json!(1), "does not exist"),
    ] {
        let mut body = event.clone();
        body[property] = value;
        cases.push((body, property, fragment));
    }
    let mut wrong_type = event.clone();
    wrong_type["@odata.type"] = json!("#microsoft.graph.windowsAutopilotDeviceIdentity");
    cases.push((wrong_type, "@odata.type", "deviceManagementAutopilotEvent"));
    for (body, target, fragment) in cases {
        let r = app.post_json(EVENTS, &body).send().await.unwrap();
        let error = expect_error(r, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["target"], target);
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(fragment), "{target}: {message}");
    }
    let r = app
        .client
        .post(app.url(EVENTS))
        .header("Content-Type", "application/json")
        .body("{\"deviceId\": \"x\",")
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::BAD_REQUEST).await;
    assert_empty(&app).await;
}

#[tokio::test]
async fn statuses_404_405_406_409_412_413_415() {
    let app = spawn_with(|s| s.max_body_bytes = 4096).await;
    let r = app.get("deviceManagement/noSuchSet").send().await.unwrap();
    expect_error(r, StatusCode::NOT_FOUND).await;
    let r = app
        .get(&format!("{EVENTS}/does-not-exist"))
        .send()
        .await
        .unwrap();
    let e = expect_error(r, StatusCode::NOT_FOUND).await;
    assert!(e["message"].as_str().unwrap().contains("does-not-exist"));
    let r = app.client.delete(app.url(EVENTS)).send().await.unwrap();
    expect_error(r, StatusCode::METHOD_NOT_ALLOWED).await;
    let r = app
        .get(EVENTS)
        .header("Accept", "application/atom+xml")
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::NOT_ACCEPTABLE).await;
    let r = app
        .client
        .post(app.url(EVENTS))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("deviceId=x")
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let mut big = with_valid_enums(&seed("000-post-event.request.json"));
    big["enrollmentFailureDetails"] = json!("x".repeat(8192));
    let r = app.post_json(EVENTS, &big).send().await.unwrap();
    expect_error(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_empty(&app).await;

    let mut body = with_valid_enums(&seed("003-post-identity.request.json"));
    body["id"] = json!("9f94edf9-edf9-9f94-f9ed-949ff9ed949f");
    let created = app.post_json(IDENTITIES, &body).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let etag = created.headers()["etag"].to_str().unwrap().to_owned();
    let r = app.post_json(IDENTITIES, &body).send().await.unwrap();
    expect_error(r, StatusCode::CONFLICT).await;
    let path = format!("{IDENTITIES}/9f94edf9-edf9-9f94-f9ed-949ff9ed949f");
    let ok = app
        .patch_json(&path, &json!({"groupTag": "a"}))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let stale = app
        .patch_json(&path, &json!({"groupTag": "b"}))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    expect_error(stale, StatusCode::PRECONDITION_FAILED).await;
    let got: Value = app.get_json(&path).await;
    assert_eq!(got["groupTag"], "a");
    assert_eq!(app.count(IDENTITIES).await, 1);
}

#[tokio::test]
async fn geo_functions_are_evaluated_and_check_their_arguments() {
    let app = spawn_app().await;
    // (1 2) and (3 4) are about 314 km apart: no event matches `lt 5` (meters).
    let r = app
        .get(&format!(
            "{EVENTS}?$filter=geo.distance(geography'SRID=4326;POINT(1 2)',geography'SRID=4326;POINT(3 4)')+lt+5"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["value"], json!([]), "{body}");
    let r = app
        .get(&format!(
            "{EVENTS}?$filter=geo.distance(geography'SRID=4326;POINT(1 2)')+lt+5"
        ))
        .send()
        .await
        .unwrap();
    let e = expect_error(r, StatusCode::BAD_REQUEST).await;
    assert!(
        e["message"].as_str().unwrap().contains("geo.distance"),
        "{e}"
    );
}
