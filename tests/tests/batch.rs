//! `$batch` on the Autopilot service as Graph clients send it: JSON, URLs relative to the
//! service root with a leading slash, each inner request authenticated by the batch's
//! token, authorized and confined to its tenant like a top-level request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{bearer_token, spawn_with_bearer};
use autopilot_model::service::{
    IDENTITIES, MANAGED_DEVICES_READ_WRITE, SERVICE_CONFIG_READ, SERVICE_CONFIG_READ_WRITE,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const OURS: &str = "11111111-1111-1111-1111-111111111111";
const THEIRS: &str = "22222222-2222-2222-2222-222222222222";

#[tokio::test]
async fn inner_requests_are_authorized_and_tenant_scoped_like_top_level_ones() {
    let app = spawn_with_bearer().await;
    let theirs = bearer_token(THEIRS, SERVICE_CONFIG_READ_WRITE);
    let r = app
        .post_json(
            IDENTITIES,
            &json!({"id": "their-device", "serialNumber": "SN-T"}),
        )
        .bearer_auth(&theirs)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/{IDENTITIES}"),
         "headers": {"content-type": "application/json"}, "body": {"id": "our-device", "serialNumber": "SN-O"}},
        {"id": "2", "method": "GET", "url": format!("/{IDENTITIES}?$select=id")},
        {"id": "3", "method": "GET", "url": format!("/{IDENTITIES}/their-device")},
        {"id": "4", "method": "GET", "url": format!("/{EVENTS}")},
        {"id": "5", "method": "POST", "url": format!("/{IDENTITIES}/our-device/assignUserToDevice"),
         "body": {"userPrincipalName": "ada@contoso.com"}, "dependsOn": ["1"]}
    ]});
    let send = |token: String| {
        app.post_json("$batch", &batch)
            .header("Prefer", "odata.continue-on-error")
            .bearer_auth(token)
    };
    // No token: the batch itself is refused.
    let r = app.post_json("$batch", &batch).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A reader of the service configuration: reads answer, writes are 403s, and the
    // events need another permission.
    let r = send(bearer_token(OURS, SERVICE_CONFIG_READ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let status: Vec<u64> = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(status, [403, 200, 404, 403, 424]);

    let writer = format!("{SERVICE_CONFIG_READ_WRITE} {MANAGED_DEVICES_READ_WRITE}");
    let r = send(bearer_token(OURS, &writer)).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    let responses = body["responses"].as_array().unwrap();
    let status: Vec<u64> = responses
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(status, [201, 200, 404, 200, 204], "{body}");
    // Only our tenant's device is listed; theirs is not even found.
    let listed: Vec<&str> = responses[1]["body"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["our-device"]);
    assert!(
        responses[0]["headers"]["location"]
            .as_str()
            .unwrap()
            .starts_with(&app.url(IDENTITIES)),
        "{body}"
    );
    let device: Value = app
        .get(&format!("{IDENTITIES}/our-device"))
        .bearer_auth(bearer_token(OURS, SERVICE_CONFIG_READ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(device["userPrincipalName"], "ada@contoso.com");
}

#[tokio::test]
async fn a_change_set_creates_a_device_and_assigns_its_user() {
    let app = acceptance_tests::spawn_app().await;
    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/{IDENTITIES}"),
         "body": {"serialNumber": "SN-9"}, "atomicityGroup": "g"},
        {"id": "2", "method": "POST", "url": "$1/assignUserToDevice",
         "body": {"userPrincipalName": "ada@contoso.com"}, "atomicityGroup": "g"}
    ]});
    let body: Value = app
        .post_json("$batch", &batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status: Vec<u64> = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(status, [201, 204], "{body}");
    let devices = app
        .get_json(&format!("{IDENTITIES}?$filter=serialNumber eq 'SN-9'"))
        .await;
    assert_eq!(devices["value"][0]["userPrincipalName"], "ada@contoso.com");
}
