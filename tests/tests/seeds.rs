//! The product documents' examples (`shared/graph/seed-examples`) over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{seed, spawn_app, spawn_with, with_valid_enums};
use reqwest::StatusCode;
use serde_json::Value;

const EVENTS: &str = "deviceManagement/autopilotEvents";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// Every member of `expected` except `id` appears in `actual` with the identical value.
fn assert_echoes(expected: &Value, actual: &Value) {
    for (key, value) in expected.as_object().unwrap() {
        if key == "id" {
            continue;
        }
        assert_eq!(&actual[key], value, "property {key}");
    }
}

async fn post_seed(collection: &str, request: &str, response: &str) {
    let app = spawn_app().await;
    let body = with_valid_enums(&seed(request));
    let expected = with_valid_enums(&seed(response));
    let created = app.post_json(collection, &body).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = created.json().await.unwrap();
    assert_echoes(&expected, &created);
    let id = created["id"].as_str().unwrap();
    assert!(uuid_like(id), "server-generated GUID id: {id}");
    assert_eq!(location, app.url(&format!("{collection}('{id}')")));
    for path in [
        format!("{collection}/{id}"),
        format!("{collection}('{id}')"),
    ] {
        let got: Value = app.get_json(&path).await;
        assert_eq!(got, created, "{path}");
    }
}

/// Generated keys are version 7 GUIDs (RFC 9562): their leading bits are the creation
/// time, so consecutive creates get increasing keys (and index pages at the end of the
/// key's index, not random ones).
#[tokio::test]
async fn generated_ids_are_version_7_guids_in_creation_order() {
    let app = spawn_app().await;
    let body = with_valid_enums(&seed("000-post-event.request.json"));
    let mut ids = Vec::new();
    for _ in 0..5 {
        let created = app.post_json(EVENTS, &body).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(uuid_like(&id), "{id}");
        assert_eq!(&id[14..15], "7", "the version digit of {id}");
        ids.push(id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn post_event_echoes_every_value() {
    post_seed(
        EVENTS,
        "000-post-event.request.json",
        "000-post-event.response.json",
    )
    .await;
}

#[tokio::test]
async fn post_identity_echoes_every_value() {
    post_seed(
        IDENTITIES,
        "003-post-identity.request.json",
        "003-post-identity.response.json",
    )
    .await;
}

#[tokio::test]
async fn patch_documents_merge_into_the_event() {
    let app = spawn_app().await;
    let created: Value = app
        .post_json(
            EVENTS,
            &with_valid_enums(&seed("000-post-event.request.json")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let path = format!("{EVENTS}/{id}");
    for (request, response) in [
        (
            "001-patch-event.request.json",
            "001-patch-event.response.json",
        ),
        (
            "002-patch-event.request.json",
            "002-patch-event.response.json",
        ),
    ] {
        let patched = app
            .patch_json(&path, &with_valid_enums(&seed(request)))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), StatusCode::OK, "{request}");
        let patched: Value = patched.json().await.unwrap();
        assert_echoes(&with_valid_enums(&seed(response)), &patched);
        assert_eq!(patched["id"], id);
        let got: Value = app.get_json(&path).await;
        assert_eq!(got, patched);
    }
    // 001 has no deviceId: the merge keeps the value 000 created.
    let got: Value = app.get_json(&path).await;
    assert_eq!(got["deviceId"], "Device Id value");
    assert_eq!(got["deviceSetupStatus"], "success");
}

#[tokio::test]
async fn omitted_non_nullable_properties_are_returned_with_zero_values() {
    let app = spawn_app().await;
    let created: Value = app
        .post_json(
            EVENTS,
            &with_valid_enums(&seed("000-post-event.request.json")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["deviceSetupStatus"], "unknown");
    assert_eq!(created["accountSetupStatus"], "unknown");
    assert_eq!(created["userId"], Value::Null);
    assert_eq!(
        created["windows10EnrollmentCompletionPageConfigurationId"],
        Value::Null
    );
    let identity: Value = app
        .post_json(IDENTITIES, &serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identity["lastContactedDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(identity["remediationState"], "unknown");
    assert_eq!(
        identity["deploymentProfileAssignmentDetailedStatus"],
        "none"
    );
}

/// The placeholder `"String"` is not a member: 400 naming the property and the members,
/// and nothing is stored.
#[tokio::test]
async fn verbatim_documents_are_rejected_for_their_placeholder_enums() {
    let app = spawn_app().await;
    for (collection, request, property, member) in [
        (
            EVENTS,
            "000-post-event.request.json",
            "enrollmentType",
            "azureADJoinedWithAutopilotProfile",
        ),
        (
            IDENTITIES,
            "003-post-identity.request.json",
            "deploymentProfileAssignmentStatus",
            "assignedUnkownSyncState",
        ),
    ] {
        let r = app
            .post_json(collection, &seed(request))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert_eq!(body["error"]["target"], property, "{message}");
        assert!(
            message.contains(property) && message.contains(member),
            "{message}"
        );
        assert!(message.contains("\"String\""), "{message}");
        assert_eq!(app.count(collection).await, 0);
    }
    let created: Value = app
        .post_json(
            EVENTS,
            &with_valid_enums(&seed("000-post-event.request.json")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("{EVENTS}/{}", created["id"].as_str().unwrap());
    let r = app
        .patch_json(&path, &seed("001-patch-event.request.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let got: Value = app.get_json(&path).await;
    assert_eq!(got, created, "a rejected PATCH changes nothing");
}

/// The documents' `POST …/$ref` HTTP line with an entity body creates the entity; a
/// reference body is refused because the collection is contained.
#[tokio::test]
async fn post_to_ref_of_a_contained_collection() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            &format!("{IDENTITIES}/$ref"),
            &with_valid_enums(&seed("003-post-identity.request.json")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            &format!("{IDENTITIES}/$ref"),
            &serde_json::json!({"@odata.id": "https://x/beta/deviceManagement/windowsAutopilotDeviceIdentities('a')"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count(IDENTITIES).await, 1);
}

/// Two documents call the `localtest` version segment; the base path is configurable.
#[tokio::test]
async fn configurable_base_path() {
    let app = spawn_with(|s| s.base_path = "localtest".into()).await;
    let r = app
        .post_json(
            IDENTITIES,
            &with_valid_enums(&seed("003-post-identity.request.json")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(app.root.ends_with("/localtest"));
}

/// A client-supplied id is honoured; reusing it is a conflict.
#[tokio::test]
async fn client_ids_and_duplicates() {
    let app = spawn_app().await;
    let mut body = with_valid_enums(&seed("000-post-event.request.json"));
    body["id"] = "5f380702-0702-5f38-0207-385f0207385f".into();
    let r = app.post_json(EVENTS, &body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["id"], "5f380702-0702-5f38-0207-385f0207385f");
    let r = app.post_json(EVENTS, &body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.count(EVENTS).await, 1);
    let r = app
        .client
        .delete(app.url(&format!("{EVENTS}/5f380702-0702-5f38-0207-385f0207385f")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count(EVENTS).await, 0);
}
