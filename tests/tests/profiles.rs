//! Deployment profiles (abstract base, derived types, server-managed timestamps) and the
//! write-only device account password.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

#[tokio::test]
async fn abstract_profiles_need_a_concrete_type() {
    let app = spawn_app().await;
    let r = app
        .post_json(PROFILES, &json!({"displayName": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"),
        "{message}"
    );
    let r = app
        .post_json(
            PROFILES,
            &json!({"@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let r = app
        .post_json(
            PROFILES,
            &json!({
                "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
                "displayName": "Hybrid",
                "hybridAzureADJoinSkipConnectivityCheck": true,
                "deviceType": "surfaceHub2S",
                "enrollmentStatusScreenSettings": {"hideInstallationProgress": true, "installProgressTimeoutInMinutes": 60},
                "outOfBoxExperienceSetting": {"eulaHidden": true, "deviceUsageType": "shared", "userType": "standard"},
                "roleScopeTagIds": ["0", "1"]
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        created["@odata.type"],
        "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"
    );
    assert_eq!(created["hybridAzureADJoinSkipConnectivityCheck"], true);
    assert_eq!(created["roleScopeTagIds"], json!(["0", "1"]));
    assert_eq!(
        created["outOfBoxExperienceSetting"]["deviceUsageType"],
        "shared"
    );
    let created_at = created["createdDateTime"].as_str().unwrap().to_owned();
    assert_ne!(created_at, "0001-01-01T00:00:00Z", "set by the server");
    assert_eq!(created["lastModifiedDateTime"], created_at.as_str());

    let id = created["id"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let patched: Value = app
        .patch_json(&format!("{PROFILES}/{id}"), &json!({"description": "d"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["createdDateTime"], created_at.as_str());
    assert_ne!(patched["lastModifiedDateTime"], created_at.as_str());
    assert_eq!(patched["displayName"], "Hybrid");

    let r = app
        .patch_json(
            &format!("{PROFILES}/{id}"),
            &json!({"createdDateTime": "2020-01-01T00:00:00Z"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "server-managed fields are read-only"
    );
    let r = app
        .patch_json(
            &format!("{PROFILES}/{id}"),
            &json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an update cannot change the type"
    );
    let r = app
        .post_json(
            PROFILES,
            &json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "hybridAzureADJoinSkipConnectivityCheck": true
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "property of a sibling type"
    );
    assert_eq!(app.count(PROFILES).await, 1);
}

#[tokio::test]
async fn device_account_password_is_stored_but_never_returned() {
    let app = spawn_app().await;
    let created: Value = app
        .post_json(
            IDENTITIES,
            &json!({"serialNumber": "SN-1", "deviceAccountPassword": "s3cret"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["deviceAccountPassword"], Value::Null);
    let id = created["id"].as_str().unwrap();
    let got: Value = app.get_json(&format!("{IDENTITIES}/{id}")).await;
    assert_eq!(got["deviceAccountPassword"], Value::Null);
    let stored = app
        .sql(
            "SELECT \"deviceAccountPassword\" FROM device_identities WHERE id = $1",
            &[id],
        )
        .await;
    assert_eq!(stored.as_deref(), Some("s3cret"));
}

#[tokio::test]
async fn actions_and_unknown_members_are_answered_clearly() {
    let app = spawn_app().await;
    let created: Value = app
        .post_json(IDENTITIES, &json!({"serialNumber": "SN-2"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let r = app
        .get(&format!("{IDENTITIES}/{id}/assignUserToDevice"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let r = app
        .get(&format!("{IDENTITIES}/{id}/nonsense"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn collection_valued_properties_are_never_null() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            PROFILES,
            &json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": "p",
                "roleScopeTagIds": null,
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["target"], "roleScopeTagIds");
    assert_eq!(app.count(PROFILES).await, 0);

    let r = app
        .post_json(
            PROFILES,
            &json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": "p",
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["roleScopeTagIds"], json!([]));
    let id = created["id"].as_str().unwrap();
    let r = app
        .patch_json(
            &format!("{PROFILES}/{id}"),
            &json!({"roleScopeTagIds": null}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let stored: Value = app.get_json(&format!("{PROFILES}/{id}")).await;
    assert_eq!(stored["roleScopeTagIds"], json!([]));
}
