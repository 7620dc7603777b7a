//! Linking device identities to deployment profiles with `deploymentProfile@odata.bind`
//! (4.0) and `deploymentProfile@bind` (4.01) on POST, PATCH and PUT. The link is read back
//! from the database's reference column; a rejected bind writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, bearer_token, spawn_app, spawn_with_bearer};
use autopilot_model::service::{IDENTITIES, PROFILES, SERVICE_CONFIG_READ_WRITE};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

const BIND: &str = "deploymentProfile@odata.bind";

/// Creates a deployment profile; returns its id.
async fn profile(app: &TestApp, name: &str) -> String {
    created_id(app.post_json(PROFILES, &profile_body(name))).await
}

fn profile_body(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": name
    })
}

/// Sends a create request that must succeed; returns the new entity's id.
async fn created_id(request: RequestBuilder) -> String {
    let r = request.send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// The identity's stored reference column `{navigation}__id`.
async fn stored_link(app: &TestApp, id: &str, navigation: &str) -> Option<String> {
    let sql = format!("SELECT \"{navigation}__id\" FROM device_identities WHERE id = $1");
    app.sql(&sql, &[id]).await
}

/// Asserts the status, `error.target` and that the message contains `fragment`.
async fn expect_error(request: RequestBuilder, status: StatusCode, target: &str, fragment: &str) {
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), status, "{target}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["target"], target, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(fragment), "{target}: {message}");
}

#[tokio::test]
async fn every_url_form_and_spelling_links_the_profile() {
    let app = spawn_app().await;
    let p = profile(&app, "p").await;
    let forms = [
        (BIND, format!("{PROFILES}/{p}")),
        (BIND, format!("{PROFILES}('{p}')")),
        (BIND, app.url(&format!("{PROFILES}('{p}')"))),
        (BIND, format!("/beta/{PROFILES}/{p}")),
        ("deploymentProfile@bind", format!("{PROFILES}('{p}')")),
        (
            BIND,
            format!("{PROFILES}/{p}/microsoft.graph.azureADWindowsAutopilotDeploymentProfile"),
        ),
    ];
    for (i, (member, url)) in forms.iter().enumerate() {
        let r = app
            .post_json(
                IDENTITIES,
                &json!({"serialNumber": format!("SN-{i}"), *member: url}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{member}: {url}");
        let created: Value = r.json().await.unwrap();
        // The reference column is storage, not a property.
        assert!(created.get("deploymentProfile__id").is_none(), "{created}");
        let id = created["id"].as_str().unwrap();
        assert_eq!(
            stored_link(&app, id, "deploymentProfile").await.as_deref(),
            Some(p.as_str()),
            "{member}: {url}"
        );
        assert_eq!(
            stored_link(&app, id, "intendedDeploymentProfile").await,
            None
        );
    }
    // Both references in one body, with `Prefer: return=minimal`.
    let r = app
        .post_json(
            IDENTITIES,
            &json!({
                "serialNumber": "SN-both",
                "deploymentProfile@bind": format!("{PROFILES}/{p}"),
                "intendedDeploymentProfile@odata.bind": format!("{PROFILES}/{p}")
            }),
        )
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let location = r.headers()["Location"].to_str().unwrap().to_owned();
    let id = location
        .rsplit_once("('")
        .and_then(|(_, rest)| rest.strip_suffix("')"))
        .unwrap();
    for navigation in ["deploymentProfile", "intendedDeploymentProfile"] {
        assert_eq!(
            stored_link(&app, id, navigation).await.as_deref(),
            Some(p.as_str())
        );
    }
    // `null` on create: no link.
    let id = created_id(app.post_json(IDENTITIES, &json!({"serialNumber": "SN-null", BIND: null})))
        .await;
    assert_eq!(
        stored_link(&app, id.as_str(), "deploymentProfile").await,
        None
    );
}

#[tokio::test]
async fn patch_and_put_change_keep_and_remove_the_link() {
    let app = spawn_app().await;
    let first = profile(&app, "first").await;
    let second = profile(&app, "second").await;
    let id = created_id(app.post_json(
        IDENTITIES,
        &json!({"serialNumber": "SN-1", BIND: format!("{PROFILES}('{first}')")}),
    ))
    .await;
    let path = format!("{IDENTITIES}/{id}");
    let link = || stored_link(&app, &id, "deploymentProfile");

    let r = app
        .patch_json(
            &path,
            &json!({"groupTag": "moved", "deploymentProfile@bind": format!("{PROFILES}/{second}")}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["groupTag"], "moved");
    assert_eq!(link().await.as_deref(), Some(second.as_str()));

    // A body without a bind keeps the link, for PATCH and PUT alike.
    let r = app
        .patch_json(&path, &json!({"groupTag": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(link().await.as_deref(), Some(second.as_str()));
    let r = app
        .client
        .put(app.url(&path))
        .json(&json!({"serialNumber": "SN-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(link().await.as_deref(), Some(second.as_str()));

    // PUT binds as well.
    let r = app
        .client
        .put(app.url(&path))
        .json(&json!({"serialNumber": "SN-1", BIND: app.url(&format!("{PROFILES}/{first}"))}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(link().await.as_deref(), Some(first.as_str()));

    // `null` removes the link and leaves the other reference alone.
    let r = app
        .patch_json(
            &path,
            &json!({"intendedDeploymentProfile@odata.bind": format!("{PROFILES}/{second}")}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .patch_json(&path, &json!({BIND: null}))
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(link().await, None);
    assert_eq!(
        stored_link(&app, &id, "intendedDeploymentProfile")
            .await
            .as_deref(),
        Some(second.as_str())
    );
}

#[tokio::test]
async fn rejected_binds_write_nothing() {
    let app = spawn_app().await;
    let p = profile(&app, "p").await;
    let id = created_id(app.post_json(
        IDENTITIES,
        &json!({"serialNumber": "SN-1", "groupTag": "kept", BIND: format!("{PROFILES}/{p}")}),
    ))
    .await;
    let path = format!("{IDENTITIES}/{id}");
    let other = created_id(app.post_json(IDENTITIES, &json!({"serialNumber": "SN-2"}))).await;
    let root = app.url("");
    let host = root.trim_end_matches("/beta/");
    let of_identities = format!("it is an entity of '{IDENTITIES}'");

    let bad_request = [
        // Entities that do not exist.
        (json!(format!("{PROFILES}('missing')")), "does not exist"),
        (json!(format!("{PROFILES}/missing")), "does not exist"),
        // A type cast the profile does not satisfy.
        (
            json!(format!(
                "{PROFILES}('{p}')/microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile"
            )),
            "does not exist",
        ),
        // Not an entity of the profiles.
        (
            json!(format!("{IDENTITIES}('{other}')")),
            of_identities.as_str(),
        ),
        (json!(PROFILES), "is not the URL of an entity"),
        (
            json!(format!("{PROFILES}/$count")),
            "is not the URL of an entity",
        ),
        (
            json!(format!("{PROFILES}/{p}/displayName")),
            "is not the URL of an entity",
        ),
        (json!("$metadata"), "is not the URL of an entity"),
        (json!(""), "is not the URL of an entity"),
        (
            json!("noSuchCollection('x')"),
            "is not the URL of an entity",
        ),
        // Outside the service.
        (
            json!(format!("https://elsewhere.test/beta/{PROFILES}/{p}")),
            "in this service",
        ),
        (
            json!(format!("{host}/other/{PROFILES}/{p}")),
            "in this service",
        ),
        (json!(format!("/other/{PROFILES}/{p}")), "in this service"),
        (
            json!(format!("{PROFILES}/{p}?$select=id")),
            "in this service",
        ),
        // Not a URL.
        (json!(7), "must be a string"),
        (json!([format!("{PROFILES}/{p}")]), "must be a string"),
    ];
    for (value, fragment) in &bad_request {
        expect_error(
            app.post_json(IDENTITIES, &json!({"serialNumber": "SN-x", BIND: value})),
            StatusCode::BAD_REQUEST,
            BIND,
            fragment,
        )
        .await;
        expect_error(
            app.patch_json(&path, &json!({"groupTag": "changed", BIND: value})),
            StatusCode::BAD_REQUEST,
            BIND,
            fragment,
        )
        .await;
    }
    // Names that are not navigation properties.
    for member in ["serialNumber@odata.bind", "noSuchThing@bind"] {
        let body = json!({"groupTag": "changed", member: format!("{PROFILES}/{p}")});
        expect_error(
            app.post_json(IDENTITIES, &body),
            StatusCode::BAD_REQUEST,
            member,
            "is not a navigation property",
        )
        .await;
        expect_error(
            app.patch_json(&path, &body),
            StatusCode::BAD_REQUEST,
            member,
            "is not a navigation property",
        )
        .await;
    }
    // `assignedDevices` is a containment navigation property (as Graph declares it): its
    // devices are created inside it, or assigned with the `assign` action, never bound.
    let member = "assignedDevices@odata.bind";
    let devices = json!([format!("{IDENTITIES}('{id}')")]);
    let mut body = profile_body("q");
    body[member] = devices.clone();
    for request in [
        app.post_json(PROFILES, &body),
        app.patch_json(&format!("{PROFILES}/{p}"), &json!({member: devices})),
    ] {
        expect_error(
            request,
            StatusCode::BAD_REQUEST,
            member,
            "is a containment navigation property",
        )
        .await;
    }

    assert_eq!(app.count(IDENTITIES).await, 2);
    assert_eq!(app.count(PROFILES).await, 1);
    let got = app.get_json(&path).await;
    assert_eq!(got["groupTag"], "kept");
    assert_eq!(
        stored_link(&app, &id, "deploymentProfile").await.as_deref(),
        Some(p.as_str())
    );
}

/// A token of `tenant` with the service-configuration write scope.
fn token(tenant: &str) -> String {
    bearer_token(tenant, SERVICE_CONFIG_READ_WRITE)
}

#[tokio::test]
async fn another_tenants_profile_cannot_be_bound() {
    let app = spawn_with_bearer().await;
    let ours = token("11111111-1111-1111-1111-111111111111");
    let theirs = token("22222222-2222-2222-2222-222222222222");
    let their_profile = created_id(
        app.post_json(PROFILES, &profile_body("theirs"))
            .bearer_auth(&theirs),
    )
    .await;
    let our_profile = created_id(
        app.post_json(PROFILES, &profile_body("ours"))
            .bearer_auth(&ours),
    )
    .await;
    let url = format!("{PROFILES}('{their_profile}')");
    expect_error(
        app.post_json(IDENTITIES, &json!({"serialNumber": "SN-1", BIND: url}))
            .bearer_auth(&ours),
        StatusCode::BAD_REQUEST,
        BIND,
        "does not exist",
    )
    .await;
    let id = created_id(
        app.post_json(
            IDENTITIES,
            &json!({"serialNumber": "SN-1", BIND: format!("{PROFILES}/{our_profile}")}),
        )
        .bearer_auth(&ours),
    )
    .await;
    expect_error(
        app.patch_json(&format!("{IDENTITIES}/{id}"), &json!({BIND: url}))
            .bearer_auth(&ours),
        StatusCode::BAD_REQUEST,
        BIND,
        "does not exist",
    )
    .await;
    assert_eq!(
        stored_link(&app, &id, "deploymentProfile").await.as_deref(),
        Some(our_profile.as_str())
    );
    // The other tenant links its own profile.
    let theirs_id = created_id(
        app.post_json(IDENTITIES, &json!({"serialNumber": "SN-1", BIND: url}))
            .bearer_auth(&theirs),
    )
    .await;
    assert_eq!(
        stored_link(&app, &theirs_id, "deploymentProfile")
            .await
            .as_deref(),
        Some(their_profile.as_str())
    );
}

#[tokio::test]
async fn profiles_and_devices_are_created_with_each_other() {
    let app = spawn_app().await;
    let d1 = created_id(app.post_json(IDENTITIES, &json!({"serialNumber": "SN-1"}))).await;
    let mut body = profile_body("kiosk");
    body["assignedDevices"] = json!([{"id": d1, "serialNumber": "SN-1"}]);
    // The device exists: creating it again inside the profile is a conflict, and the
    // profile is not created either.
    let r = app.post_json(PROFILES, &body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.count(PROFILES).await, 0);
    assert_eq!(stored_link(&app, &d1, "deploymentProfile").await, None);
    let mut body = profile_body("shared");
    body["assignedDevices"] = json!([{"serialNumber": "SN-3"}, {"serialNumber": "SN-4"}]);
    let p2 = created_id(app.post_json(PROFILES, &body)).await;
    let devices = app
        .get_json(&format!(
            "{PROFILES}/{p2}/assignedDevices?$orderby=serialNumber&$select=serialNumber"
        ))
        .await;
    let serials: Vec<&str> = devices["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serialNumber"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["SN-3", "SN-4"]);
    // A device created with a new profile of a concrete type.
    let id = created_id(app.post_json(
        IDENTITIES,
        &json!({"serialNumber": "SN-5", "deploymentProfile": profile_body("inline")}),
    ))
    .await;
    let profile = app
        .get_json(&format!("{IDENTITIES}/{id}/deploymentProfile"))
        .await;
    assert_eq!(profile["displayName"], "inline");
}
