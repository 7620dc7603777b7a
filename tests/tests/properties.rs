//! Property paths on the Autopilot service (`…/{id}/deviceId`, `/$value`, complex members,
//! collection properties, the write-only device account password), `$entity?$id=…` and
//! key parameter aliases (`…(@k)?@k='x'`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// Creates an entity and returns its id.
async fn create(app: &TestApp, collection: &str, body: &Value) -> String {
    let r = app.post_json(collection, body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// An event as Graph reports one; `userId` is left null.
async fn event(app: &TestApp) -> String {
    create(
        app,
        EVENTS,
        &json!({
            "deviceId": "dev-1",
            "deviceSerialNumber": "SN-1",
            "deploymentState": "success",
            "eventDateTime": "2016-12-31T23:59:23.3984029-08:00",
            "deploymentDuration": "PT3M21.5549443S",
            "targetedAppCount": 7,
        }),
    )
    .await
}

/// The error object of a failed GET, after checking its status.
async fn error(app: &TestApp, path: &str, status: StatusCode) -> Value {
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), status, "{path}");
    let body: Value = r.json().await.unwrap();
    body["error"].clone()
}

#[tokio::test]
async fn event_properties_are_addressable() {
    let app = spawn_app().await;
    let id = event(&app).await;
    let entity = app.get_json(&format!("{EVENTS}/{id}")).await;
    for (name, want) in [
        ("eventDateTime", json!("2016-12-31T23:59:23.3984029-08:00")),
        ("deviceId", json!("dev-1")),
        ("deploymentState", json!("success")),
        ("deploymentDuration", json!("PT3M21.5549443S")),
        ("targetedAppCount", json!(7)),
    ] {
        for path in [
            format!("{EVENTS}/{id}/{name}"),
            format!("{EVENTS}('{id}')/{name}"),
        ] {
            let r = app.get(&path).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert!(r.headers().contains_key("etag"), "{path}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(
                body,
                json!({
                    "@odata.context": app.url(&format!("$metadata#{EVENTS}('{id}')/{name}")),
                    "value": want,
                }),
                "{path}"
            );
            assert_eq!(body["value"], entity[name], "{path}");
        }
    }
    for (name, want) in [
        ("deviceId", "dev-1"),
        ("eventDateTime", "2016-12-31T23:59:23.3984029-08:00"),
        ("deploymentState", "success"),
        ("targetedAppCount", "7"),
    ] {
        let r = app
            .get(&format!("{EVENTS}/{id}/{name}/$value"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        assert_eq!(r.headers()["content-type"], "text/plain;charset=utf-8");
        assert_eq!(r.text().await.unwrap(), want, "{name}");
    }
    for path in [
        format!("{EVENTS}/{id}/userId"),
        format!("{EVENTS}/{id}/userId/$value"),
    ] {
        let r = app.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(r.text().await.unwrap(), "", "{path}");
    }
}

#[tokio::test]
async fn unknown_properties_options_and_methods() {
    let app = spawn_app().await;
    let id = event(&app).await;
    let e = error(
        &app,
        &format!("{EVENTS}/{id}/nonsense"),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e["target"], "nonsense");
    assert!(e["message"].as_str().unwrap().contains("'nonsense'"), "{e}");
    error(
        &app,
        &format!("{EVENTS}/not-an-event/deviceId"),
        StatusCode::NOT_FOUND,
    )
    .await;
    let e = error(
        &app,
        &format!("{EVENTS}/{id}/deviceId?$filter=deviceId eq 'x'"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e["target"], "$filter");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("applies to collections only"),
        "{e}"
    );
    let r = app
        .patch_json(&format!("{EVENTS}/{id}/deviceId"), &json!({"value": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET");
    assert_eq!(
        app.get_json(&format!("{EVENTS}/{id}/deviceId")).await["value"],
        "dev-1"
    );
}

#[tokio::test]
async fn the_device_account_password_is_never_read() {
    let app = spawn_app().await;
    let id = create(
        &app,
        IDENTITIES,
        &json!({"serialNumber": "SN-9", "deviceAccountPassword": "s3cret"}),
    )
    .await;
    for path in [
        format!("{IDENTITIES}/{id}/deviceAccountPassword"),
        format!("{IDENTITIES}/{id}/deviceAccountPassword/$value"),
    ] {
        let r = app.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("s3cret"), "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["error"]["target"], "deviceAccountPassword");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("write-only"),
            "{body}"
        );
    }
    let body = app
        .get_json(&format!("{IDENTITIES}/{id}/serialNumber"))
        .await;
    assert_eq!(body["value"], "SN-9");
}

#[tokio::test]
async fn profile_complex_and_collection_properties() {
    let app = spawn_app().await;
    let id = create(
        &app,
        PROFILES,
        &json!({
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            "displayName": "Hybrid",
            "hybridAzureADJoinSkipConnectivityCheck": true,
            "outOfBoxExperienceSetting": {"eulaHidden": true, "deviceUsageType": "shared", "userType": "standard"},
            "roleScopeTagIds": ["0", "1"]
        }),
    )
    .await;
    let base = format!("{PROFILES}('{id}')");
    let body = app
        .get_json(&format!("{PROFILES}/{id}/outOfBoxExperienceSetting"))
        .await;
    assert_eq!(
        body,
        json!({
            "@odata.context": app.url(&format!("$metadata#{base}/outOfBoxExperienceSetting")),
            "eulaHidden": true,
            "deviceUsageType": "shared",
            "userType": "standard",
        })
    );
    let body = app
        .get_json(&format!(
            "{PROFILES}/{id}/outOfBoxExperienceSetting/userType"
        ))
        .await;
    assert_eq!(
        body,
        json!({
            "@odata.context": app.url(&format!("$metadata#{base}/outOfBoxExperienceSetting/userType")),
            "value": "standard",
        })
    );
    let r = app
        .get(&format!(
            "{PROFILES}/{id}/outOfBoxExperienceSetting/privacySettingsHidden"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let body = app
        .get_json(&format!("{PROFILES}/{id}/roleScopeTagIds"))
        .await;
    assert_eq!(
        body,
        json!({
            "@odata.context": app.url(&format!("$metadata#{base}/roleScopeTagIds")),
            "value": ["0", "1"],
        })
    );
    for path in [
        format!("{PROFILES}/{id}/outOfBoxExperienceSetting/$value"),
        format!("{PROFILES}/{id}/roleScopeTagIds/$value"),
    ] {
        error(&app, &path, StatusCode::BAD_REQUEST).await;
    }
    // A property of a derived type needs a type-cast segment.
    error(
        &app,
        &format!("{PROFILES}/{id}/hybridAzureADJoinSkipConnectivityCheck"),
        StatusCode::NOT_FOUND,
    )
    .await;
    let body = app
        .get_json(&format!(
            "{PROFILES}/{id}/microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile/hybridAzureADJoinSkipConnectivityCheck"
        ))
        .await;
    assert_eq!(body["value"], true, "{body}");
}

#[tokio::test]
async fn entity_id_resolves_relative_and_absolute_urls() {
    let app = spawn_app().await;
    let id = event(&app).await;
    let direct = app.get_json(&format!("{EVENTS}/{id}")).await;
    let relative = format!("{EVENTS}/{id}");
    let absolute = app.url(&format!("{EVENTS}('{id}')"));
    for given in [relative.as_str(), absolute.as_str()] {
        let r = app
            .get(&format!("$entity?$id={given}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{given}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body, direct, "{given}");
        assert_eq!(
            body["@odata.context"],
            app.url(&format!("$metadata#{EVENTS}/$entity")).as_str()
        );
        assert_eq!(body["eventDateTime"], "2016-12-31T23:59:23.3984029-08:00");
    }
    let e = error(&app, "$entity", StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "$id");
    let e = error(
        &app,
        &format!("$entity?$id=https://graph.microsoft.com/beta/{relative}"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e["target"], "$id");
    error(
        &app,
        &format!("$entity?$id={EVENTS}/not-an-event"),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn key_predicates_take_parameter_aliases() {
    let app = spawn_app().await;
    let id = event(&app).await;
    for path in [
        format!("{EVENTS}(@k)?@k='{id}'"),
        format!("{EVENTS}(id=@k)?@k='{id}'"),
    ] {
        let r = app.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["id"], id.as_str(), "{path}");
    }
    let body = app
        .get_json(&format!("{EVENTS}(@k)/deviceId?@k='{id}'"))
        .await;
    assert_eq!(body["value"], "dev-1");
    let e = error(&app, &format!("{EVENTS}(@k)"), StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "@k");
    assert!(
        e["message"].as_str().unwrap().contains("not defined"),
        "{e}"
    );
}
