//! The protocol surface on the Autopilot service: version negotiation (`OData-Version`,
//! `OData-MaxVersion`), HEAD on every GET resource, 405 with `Allow`, and `Isolation:
//! snapshot` refused with 412.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{
    TestApp, bearer_token, seed, spawn_app, spawn_with_bearer, with_valid_enums,
};
use reqwest::StatusCode;
use serde_json::Value;

const EVENTS: &str = "deviceManagement/autopilotEvents";

/// Asserts the OData error body, its `request-id`, and returns the error object.
async fn expect_error(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
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
    assert!(body["error"]["message"].is_string(), "{body}");
    body["error"].clone()
}

/// Creates one event and returns its id.
async fn create_event(app: &TestApp) -> String {
    let event = with_valid_enums(&seed("000-post-event.request.json"));
    let created = app.post_json(EVENTS, &event).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_response_version_is_negotiated_from_odata_max_version() {
    let app = spawn_app().await;
    for path in ["", "$metadata", EVENTS] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["odata-version"], "4.01", "{path}: default");
    }
    for (max, expected) in [
        ("4.0", "4.0"),
        ("4.01", "4.01"),
        ("4.02", "4.01"),
        ("5.0", "4.01"),
    ] {
        let r = app
            .get(EVENTS)
            .header("OData-MaxVersion", max)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{max}");
        assert_eq!(r.headers()["odata-version"], expected, "{max}");
    }
    // Errors state the negotiated version too.
    let r = app
        .get(&format!("{EVENTS}/does-not-exist"))
        .header("OData-MaxVersion", "4.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["odata-version"], "4.0");
    expect_error(r, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_max_version_below_4_0_is_not_acceptable_and_a_malformed_one_is_bad() {
    let app = spawn_app().await;
    let r = app
        .get(EVENTS)
        .header("OData-MaxVersion", "3.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["odata-version"], "4.01");
    let e = expect_error(r, StatusCode::NOT_ACCEPTABLE).await;
    assert_eq!(e["target"], "OData-MaxVersion");
    let r = app
        .get(EVENTS)
        .header("OData-MaxVersion", "four")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["odata-version"], "4.01");
    let e = expect_error(r, StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "OData-MaxVersion");
}

#[tokio::test]
async fn an_unsupported_request_version_is_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let event = with_valid_enums(&seed("000-post-event.request.json"));
    for version in ["3.0", "4.02", "5.0", "x"] {
        let r = app
            .post_json(EVENTS, &event)
            .header("OData-Version", version)
            .send()
            .await
            .unwrap();
        let e = expect_error(r, StatusCode::BAD_REQUEST).await;
        assert_eq!(e["target"], "OData-Version", "{version}");
    }
    assert_eq!(app.count(EVENTS).await, 0);
    for version in ["4.0", "4.01"] {
        let r = app
            .post_json(EVENTS, &event)
            .header("OData-Version", version)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{version}");
    }
    assert_eq!(app.count(EVENTS).await, 2);
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let id = create_event(&app).await;
    let entity = format!("{EVENTS}/{id}");
    for path in [
        "",
        "$metadata",
        EVENTS,
        entity.as_str(),
        "deviceManagement",
        "deviceManagement/nothing",
    ] {
        let get = app.get(path).send().await.unwrap();
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        for name in ["content-type", "odata-version", "etag", "content-length"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path}: {name}"
            );
        }
        assert!(get.content_length().is_some_and(|n| n > 0), "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn a_method_the_resource_does_not_support_is_405_with_allow() {
    let app = spawn_app().await;
    let id = create_event(&app).await;
    let entity = format!("{EVENTS}/{id}");
    for (method, path, allow) in [
        (reqwest::Method::PUT, EVENTS, "GET, POST"),
        (reqwest::Method::DELETE, EVENTS, "GET, POST"),
        (reqwest::Method::POST, "$metadata", "GET"),
        (reqwest::Method::PATCH, "", "GET"),
        (
            reqwest::Method::POST,
            entity.as_str(),
            "GET, PATCH, PUT, DELETE",
        ),
    ] {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        assert_eq!(r.headers()["odata-version"], "4.01");
        expect_error(r, StatusCode::METHOD_NOT_ALLOWED).await;
    }
    assert_eq!(app.count(EVENTS).await, 1);
}

#[tokio::test]
async fn snapshot_isolation_is_refused_with_412() {
    let app = spawn_app().await;
    let event = with_valid_enums(&seed("000-post-event.request.json"));
    for header in ["Isolation", "OData-Isolation"] {
        let r = app
            .get(EVENTS)
            .header(header, "snapshot")
            .send()
            .await
            .unwrap();
        let e = expect_error(r, StatusCode::PRECONDITION_FAILED).await;
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("Snapshot isolation"),
            "{e}"
        );
        let r = app
            .post_json(EVENTS, &event)
            .header(header, "snapshot")
            .send()
            .await
            .unwrap();
        expect_error(r, StatusCode::PRECONDITION_FAILED).await;
    }
    assert_eq!(app.count(EVENTS).await, 0);
}

const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const FULL: &str = "application/json;odata.metadata=full";

/// A profile `p1` and an identity `d1` whose `deploymentProfile` it is.
async fn linked_identity(app: &TestApp) {
    let r = app
        .post_json(
            PROFILES,
            &serde_json::json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "id": "p1",
                "displayName": "Kiosk",
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            IDENTITIES,
            &serde_json::json!({
                "id": "d1",
                "serialNumber": "SN-1",
                "deploymentProfile@odata.bind": format!("{PROFILES}('p1')"),
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn full_metadata_links_every_stored_navigation_of_identities_and_profiles() {
    let app = spawn_app().await;
    linked_identity(&app).await;
    let identity_url = app.url(&format!("{IDENTITIES}('d1')"));
    let profile_url = app.url(&format!("{PROFILES}('p1')"));
    let r = app
        .get(IDENTITIES)
        .header("Accept", FULL)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let identity = &body["value"][0];
    assert_eq!(identity["@odata.id"], identity_url.as_str(), "{identity}");
    assert_eq!(identity["@odata.editLink"], identity_url.as_str());
    assert_eq!(
        identity["@odata.type"],
        "#microsoft.graph.windowsAutopilotDeviceIdentity"
    );
    for navigation in ["deploymentProfile", "intendedDeploymentProfile"] {
        assert_eq!(
            identity[format!("{navigation}@odata.navigationLink")],
            format!("{identity_url}/{navigation}"),
            "{identity}"
        );
    }
    // Following the link reads the profile.
    let link = identity["deploymentProfile@odata.navigationLink"]
        .as_str()
        .unwrap();
    let profile: Value = app
        .client
        .get(link)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["id"], "p1");
    // An expanded profile is linked too, with its own navigation.
    let identity = app
        .get_json(&format!(
            "{IDENTITIES}/d1?$expand=deploymentProfile&$format={FULL}"
        ))
        .await;
    assert_eq!(
        identity["deploymentProfile@odata.navigationLink"],
        format!("{identity_url}/deploymentProfile")
    );
    let profile = &identity["deploymentProfile"];
    assert_eq!(profile["@odata.id"], profile_url.as_str(), "{profile}");
    assert_eq!(
        profile["@odata.type"],
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    );
    assert_eq!(
        profile["assignedDevices@odata.navigationLink"],
        format!("{profile_url}/assignedDevices")
    );
    // Without the key selected, the identity still has its id.
    let identity = app
        .get_json(&format!(
            "{IDENTITIES}/d1?$select=serialNumber&$format={FULL}"
        ))
        .await;
    assert_eq!(identity["@odata.id"], identity_url.as_str(), "{identity}");
    assert!(identity.get("id").is_none(), "{identity}");
    // Minimal metadata: no ids, no links.
    let text = app
        .get(&format!("{IDENTITIES}/d1?$expand=deploymentProfile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("@odata.navigationLink") && !text.contains("@odata.id"));
}

#[tokio::test]
async fn prefer_is_answered_in_one_preference_applied_header_and_varied_on() {
    let app = spawn_app().await;
    linked_identity(&app).await;
    let r = app
        .get(IDENTITIES)
        .header(
            "Prefer",
            r#"odata.maxpagesize=5, omit-values=nulls, odata.include-annotations="*""#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get_all("preference-applied").iter().count(), 1);
    assert_eq!(
        r.headers()["preference-applied"],
        "odata.maxpagesize=5, omit-values=nulls"
    );
    assert!(
        r.headers()["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("prefer")
    );
    let body: Value = r.json().await.unwrap();
    let identity = body["value"][0].as_object().unwrap();
    assert_eq!(identity["id"], "d1");
    // Properties the POST left null are not written; none written is null.
    assert!(!identity.contains_key("userPrincipalName"), "{identity:?}");
    assert!(identity.values().all(|v| !v.is_null()), "{identity:?}");
    let event = with_valid_enums(&seed("000-post-event.request.json"));
    let r = app
        .post_json(EVENTS, &event)
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["preference-applied"], "return=minimal");
    assert_eq!(r.headers()["vary"], "Prefer");
    let r = app.get("$metadata").send().await.unwrap();
    assert!(r.headers().get("vary").is_none());
}

#[tokio::test]
async fn the_device_management_singleton_is_the_tenants_root() {
    let app = spawn_app().await;
    let body = app.get_json("deviceManagement").await;
    assert_eq!(
        body["@odata.context"],
        app.url("$metadata#deviceManagement")
    );
    assert_eq!(body["id"], "deviceManagement");
    let full: Value = app
        .get("deviceManagement")
        .header("Accept", "application/json;odata.metadata=full")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["@odata.id"], app.url("deviceManagement"));
    for (query, status) in [
        ("$expand=autopilotEvents", StatusCode::NOT_IMPLEMENTED),
        ("$select=id", StatusCode::NOT_IMPLEMENTED),
        ("$filter=id eq 'x'", StatusCode::BAD_REQUEST),
        ("$top=1", StatusCode::BAD_REQUEST),
    ] {
        let r = app
            .get(&format!("deviceManagement?{query}"))
            .send()
            .await
            .unwrap();
        expect_error(r, status).await;
    }
    let r = app
        .client
        .patch(app.url("deviceManagement"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["allow"], "GET");
    expect_error(r, StatusCode::METHOD_NOT_ALLOWED).await;

    // With authentication, each tenant has its own, whatever its permissions.
    let app = spawn_with_bearer().await;
    let tenant = "11111111-1111-1111-1111-111111111111";
    let r = app
        .get("deviceManagement")
        .bearer_auth(bearer_token(tenant, "User.Read"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], tenant);
    let r = app.get("deviceManagement").send().await.unwrap();
    expect_error(r, StatusCode::UNAUTHORIZED).await;
}
