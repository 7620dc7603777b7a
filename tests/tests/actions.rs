//! The bound actions of the Graph CSDL, with their effects on the stored identities and
//! profiles: parameters checked (400 naming the parameter), authorization as a write,
//! tenant isolation, `If-Match`, 204 as Graph answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, bearer_token, spawn_app, spawn_with_bearer};
use autopilot_model::service::{
    IDENTITIES, PROFILES, SERVICE_CONFIG_READ, SERVICE_CONFIG_READ_WRITE,
};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// Sends a request that must succeed with `status`; returns the body (null when empty).
async fn expect_status(request: RequestBuilder, status: StatusCode) -> Value {
    let r = request.send().await.unwrap();
    let got = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts a 400 whose `error.target` is `target`.
async fn expect_bad_parameter(request: RequestBuilder, target: &str) {
    let body = expect_status(request, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"]["target"], target, "{body}");
}

async fn identity(app: &TestApp, body: Value) -> String {
    let created = expect_status(app.post_json(IDENTITIES, &body), StatusCode::CREATED).await;
    created["id"].as_str().unwrap().to_owned()
}

async fn profile(app: &TestApp) -> String {
    let body = json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": "p"
    });
    let created = expect_status(app.post_json(PROFILES, &body), StatusCode::CREATED).await;
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn users_and_resource_accounts_are_assigned_and_unassigned() {
    let app = spawn_app().await;
    let id = identity(&app, json!({"serialNumber": "SN-1"})).await;
    let device = format!("{IDENTITIES}/{id}");
    let before = app.get_json(&device).await;
    let assign = json!({"userPrincipalName": "ada@contoso.com", "addressableUserName": "Ada"});
    for name in [
        "assignUserToDevice",
        "microsoft.graph.assignUserToDevice",
        "graph.assignUserToDevice",
    ] {
        let request = app.post_json(&format!("{device}/{name}"), &assign);
        assert_eq!(
            expect_status(request, StatusCode::NO_CONTENT).await,
            Value::Null
        );
    }
    let got = app.get_json(&device).await;
    assert_eq!(got["userPrincipalName"], "ada@contoso.com");
    assert_eq!(got["addressableUserName"], "Ada");
    assert_ne!(got["@odata.etag"], before["@odata.etag"]);
    let unassign = app.post_json(&format!("{device}/unassignUserFromDevice"), &json!({}));
    expect_status(unassign, StatusCode::NO_CONTENT).await;
    let got = app.get_json(&device).await;
    assert_eq!(got["userPrincipalName"], Value::Null);
    assert_eq!(got["addressableUserName"], Value::Null);

    let account = json!({"userPrincipalName": "room@contoso.com", "addressableUserName": "Room 1",
                         "resourceAccountName": "room1"});
    let request = app.post_json(&format!("{device}/assignResourceAccountToDevice"), &account);
    expect_status(request, StatusCode::NO_CONTENT).await;
    let got = app.get_json(&device).await;
    assert_eq!(got["resourceName"], "room1");
    assert_eq!(got["userPrincipalName"], "room@contoso.com");
    // No body at all: the action takes no parameters.
    let request = app
        .client
        .post(app.url(&format!("{device}/unassignResourceAccountFromDevice")));
    expect_status(request, StatusCode::NO_CONTENT).await;
    let got = app.get_json(&device).await;
    assert_eq!(got["resourceName"], Value::Null);
    assert_eq!(got["userPrincipalName"], Value::Null);
}

#[tokio::test]
async fn invalid_parameters_are_400s_naming_them_and_change_nothing() {
    let app = spawn_app().await;
    let id = identity(
        &app,
        json!({"serialNumber": "SN-1", "userPrincipalName": "x@y"}),
    )
    .await;
    let device = format!("{IDENTITIES}/{id}");
    let before = app.get_json(&device).await;
    let action = format!("{device}/assignUserToDevice");
    for (body, target) in [
        (json!({}), "userPrincipalName"),
        (json!({"userPrincipalName": ""}), "userPrincipalName"),
        (json!({"userPrincipalName": 7}), "userPrincipalName"),
        (json!({"userPrincipalName": "a@b", "color": "red"}), "color"),
        (
            json!({"userPrincipalName": "a@b", "bindingParameter": {}}),
            "bindingParameter",
        ),
    ] {
        expect_bad_parameter(app.post_json(&action, &body), target).await;
    }
    let request = app.post_json(
        &format!("{device}/unassignUserFromDevice"),
        &json!({"x": 1}),
    );
    expect_bad_parameter(request, "x").await;
    let request = app.post_json(
        &format!("{device}/updateDeviceProperties"),
        &json!({"groupTag": []}),
    );
    expect_bad_parameter(request, "groupTag").await;
    let r = app
        .client
        .post(app.url(&action))
        .header("Content-Type", "text/plain")
        .body(r#"{"userPrincipalName":"a@b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app
        .client
        .post(app.url(&action))
        .header("Content-Type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.get_json(&device).await, before);
    // Not an entity, not an action, not a method of actions.
    let missing = format!("{IDENTITIES}/no-such-device/assignUserToDevice");
    let request = app.post_json(&missing, &json!({"userPrincipalName": "a@b"}));
    expect_status(request, StatusCode::NOT_FOUND).await;
    let r = app.get(&action).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "POST");
}

#[tokio::test]
async fn update_device_properties_sets_only_what_the_body_names() {
    let app = spawn_app().await;
    let id = identity(
        &app,
        json!({"serialNumber": "SN-1", "groupTag": "old", "displayName": "Old"}),
    )
    .await;
    let device = format!("{IDENTITIES}/{id}");
    let body = json!({"groupTag": "kiosk", "deviceAccountPassword": "s3cret",
                      "deviceFriendlyName": "Lobby", "userPrincipalName": null});
    let request = app.post_json(&format!("{device}/updateDeviceProperties"), &body);
    expect_status(request, StatusCode::NO_CONTENT).await;
    let got = app.get_json(&device).await;
    assert_eq!(got["groupTag"], "kiosk");
    assert_eq!(got["deviceFriendlyName"], "Lobby");
    assert_eq!(got["displayName"], "Old", "not named: unchanged");
    // Write-only: stored, never read back.
    assert_eq!(got["deviceAccountPassword"], Value::Null);
    let stored = app
        .sql(
            "SELECT \"deviceAccountPassword\" FROM device_identities WHERE id = $1",
            &[&id],
        )
        .await;
    assert_eq!(stored.as_deref(), Some("s3cret"));
}

#[tokio::test]
async fn allow_next_enrollment_unblocks_the_device() {
    let app = spawn_app().await;
    let id = identity(
        &app,
        json!({"serialNumber": "SN-1", "enrollmentState": "blocked", "userlessEnrollmentStatus": "blocked"}),
    )
    .await;
    let device = format!("{IDENTITIES}/{id}");
    let request = app.post_json(&format!("{device}/allowNextEnrollment"), &json!({}));
    expect_status(request, StatusCode::NO_CONTENT).await;
    let got = app.get_json(&device).await;
    assert_eq!(got["enrollmentState"], "notContacted");
    assert_eq!(got["userlessEnrollmentStatus"], "allowed");
    // An enrolled device stays enrolled.
    let id = identity(
        &app,
        json!({"serialNumber": "SN-2", "enrollmentState": "enrolled"}),
    )
    .await;
    let device = format!("{IDENTITIES}/{id}");
    let request = app.post_json(&format!("{device}/allowNextEnrollment"), &json!({}));
    expect_status(request, StatusCode::NO_CONTENT).await;
    assert_eq!(app.get_json(&device).await["enrollmentState"], "enrolled");
}

#[tokio::test]
async fn assign_links_the_devices_to_the_profile_all_or_none() {
    let app = spawn_app().await;
    let p = profile(&app).await;
    let d1 = identity(&app, json!({"serialNumber": "SN-1"})).await;
    let d2 = identity(&app, json!({"serialNumber": "SN-2"})).await;
    let assign = format!("{PROFILES}/{p}/assign");
    let assigned = format!("{PROFILES}/{p}/assignedDevices/$count");
    expect_bad_parameter(
        app.post_json(&assign, &json!({"deviceIds": [d1, "missing"]})),
        "deviceIds",
    )
    .await;
    expect_bad_parameter(
        app.post_json(&assign, &json!({"deviceIds": []})),
        "deviceIds",
    )
    .await;
    expect_bad_parameter(app.post_json(&assign, &json!({})), "deviceIds").await;
    expect_bad_parameter(
        app.post_json(&assign, &json!({"deviceIds": "x"})),
        "deviceIds",
    )
    .await;
    assert_eq!(app.get_json(&assigned).await, json!(0), "nothing linked");
    let request = app.post_json(
        &format!("{PROFILES}/{p}/microsoft.graph.assign"),
        &json!({"deviceIds": [d1, d2]}),
    );
    expect_status(request, StatusCode::NO_CONTENT).await;
    assert_eq!(app.get_json(&assigned).await, json!(2));
    let got = app
        .get_json(&format!("{IDENTITIES}/{d1}/deploymentProfile"))
        .await;
    assert_eq!(got["id"], p.as_str());
    let missing = format!("{PROFILES}/no-such-profile/assign");
    expect_status(
        app.post_json(&missing, &json!({"deviceIds": [d1]})),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn actions_are_writes_of_the_callers_tenant() {
    let app = spawn_with_bearer().await;
    let ours = bearer_token(
        "11111111-1111-1111-1111-111111111111",
        SERVICE_CONFIG_READ_WRITE,
    );
    let theirs = bearer_token(
        "22222222-2222-2222-2222-222222222222",
        SERVICE_CONFIG_READ_WRITE,
    );
    let reader = bearer_token("11111111-1111-1111-1111-111111111111", SERVICE_CONFIG_READ);
    let create = |token: &str, serial: &str| {
        app.post_json(IDENTITIES, &json!({"serialNumber": serial}))
            .bearer_auth(token)
    };
    let our_device = expect_status(create(&ours, "SN-1"), StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_device = expect_status(create(&theirs, "SN-2"), StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let action = |device: &str| format!("{IDENTITIES}/{device}/assignUserToDevice");
    let body = json!({"userPrincipalName": "a@b"});
    let request = app
        .post_json(&action(&our_device), &body)
        .bearer_auth(&reader);
    expect_status(request, StatusCode::FORBIDDEN).await;
    let request = app
        .post_json(&action(&their_device), &body)
        .bearer_auth(&ours);
    expect_status(request, StatusCode::NOT_FOUND).await;
    let request = app
        .post_json(&action(&our_device), &body)
        .bearer_auth(&ours);
    expect_status(request, StatusCode::NO_CONTENT).await;
    // Another tenant's device cannot be assigned to our profile.
    let profile_body = json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": "p"
    });
    let request = app.post_json(PROFILES, &profile_body).bearer_auth(&ours);
    let p = expect_status(request, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = app
        .post_json(
            &format!("{PROFILES}/{p}/assign"),
            &json!({"deviceIds": [their_device]}),
        )
        .bearer_auth(&ours);
    expect_bad_parameter(request, "deviceIds").await;
    let request = app
        .post_json(
            &format!("{PROFILES}/{p}/assign"),
            &json!({"deviceIds": [our_device]}),
        )
        .bearer_auth(&ours);
    expect_status(request, StatusCode::NO_CONTENT).await;
}
