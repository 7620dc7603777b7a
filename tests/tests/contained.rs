//! Collections contained in entities: a profile's `assignments` and an event's
//! `policyStatusDetails`, read and written only through their parent, with context URLs and
//! ids through it, and deleted with it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, seed, spawn_app, with_valid_enums};
use autopilot_model::service::PROFILES;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";

async fn profile(app: &TestApp, id: &str) {
    let body = json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "id": id,
        "displayName": id,
    });
    let r = app.post_json(PROFILES, &body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

fn assignment() -> Value {
    json!({
        "source": "direct",
        "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}
    })
}

#[tokio::test]
async fn assignments_live_inside_their_profile() {
    let app = spawn_app().await;
    profile(&app, "p1").await;
    profile(&app, "p2").await;
    let assignments = format!("{PROFILES}/p1/assignments");
    let r = app
        .post_json(&assignments, &assignment())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let parent = app.url(&format!("{PROFILES}('p1')"));
    assert_eq!(location, format!("{parent}/assignments('{id}')"));
    assert_eq!(
        created["@odata.context"],
        app.url(&format!("$metadata#{PROFILES}('p1')/assignments/$entity"))
    );
    // The id it answers with addresses it.
    let got = app
        .get_json(location.strip_prefix(&app.root).unwrap())
        .await;
    assert_eq!(got["source"], "direct");

    let listed = app.get_json(&assignments).await;
    assert_eq!(
        listed["@odata.context"],
        app.url(&format!("$metadata#{PROFILES}('p1')/assignments"))
    );
    assert_eq!(listed["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get_json(&format!("{assignments}/$count")).await,
        json!(1)
    );
    let other = app.get_json(&format!("{PROFILES}/p2/assignments")).await;
    assert_eq!(other["value"], json!([]));
    let r = app
        .get(&format!("{PROFILES}/p2/assignments/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another profile's");
    let expanded = app
        .get_json(&format!(
            "{PROFILES}/p1?$expand=assignments($select=source)"
        ))
        .await;
    assert_eq!(expanded["assignments"][0]["source"], "direct");
    let full: Value = app
        .get(&assignments)
        .header("Accept", "application/json;odata.metadata=full")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["value"][0]["@odata.id"], location.as_str());

    let r = app
        .patch_json(&format!("{assignments}/{id}"), &json!({"sourceId": "s-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .patch_json(
            &format!("{PROFILES}/p2/assignments/{id}"),
            &json!({"sourceId": "s-2"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_json(&format!("{assignments}/{id}")).await["sourceId"],
        "s-1"
    );
    // Bad bodies are refused as on any collection.
    let r = app
        .post_json(&assignments, &json!({"source": "sideways"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post_json(&format!("{PROFILES}/nope/assignments"), &assignment())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Deleting the profile deletes what it contains.
    let r = app
        .post_json(&assignments, &assignment())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let stored = || {
        app.sql(
            "SELECT CAST(COUNT(*) AS TEXT) FROM deployment_profile_assignments",
            &[],
        )
    };
    assert_eq!(stored().await.as_deref(), Some("2"));
    let r = app
        .client
        .delete(app.url(&format!("{PROFILES}/p1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(stored().await.as_deref(), Some("0"));
}

#[tokio::test]
async fn policy_status_details_live_inside_their_event() {
    let app = spawn_app().await;
    let event = with_valid_enums(&seed("000-post-event.request.json"));
    let r = app.post_json(EVENTS, &event).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    let details = format!("{EVENTS}/{id}/policyStatusDetails");
    let r = app
        .post_json(
            &details,
            &json!({"displayName": "Company Portal", "complianceStatus": "installed",
                    "trackedOnEnrollmentStatus": true}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert_eq!(status, StatusCode::CREATED, "{}", r.text().await.unwrap());
    let listed = app
        .get_json(&format!(
            "{details}?$filter=trackedOnEnrollmentStatus&$select=displayName"
        ))
        .await;
    assert_eq!(listed["value"][0]["displayName"], "Company Portal");
    let expanded = app
        .get_json(&format!(
            "{EVENTS}/{id}?$expand=policyStatusDetails($count=true)"
        ))
        .await;
    assert_eq!(expanded["policyStatusDetails@odata.count"], 1);
}

#[tokio::test]
async fn contained_collections_are_iterated_and_counted_in_filters() {
    let app = spawn_app().await;
    profile(&app, "p1").await;
    profile(&app, "p2").await;
    for _ in 0..2 {
        let r = app
            .post_json(&format!("{PROFILES}/p2/assignments"), &assignment())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (filter, expected) in [
        ("assignments/any()", json!(["p2"])),
        ("assignments/$count eq 0", json!(["p1"])),
        (
            "assignments/all(a: a/source eq 'direct')",
            json!(["p1", "p2"]),
        ),
        ("assignments/any(a: a/source eq 'policySets')", json!([])),
    ] {
        let body = app
            .get_json(&format!(
                "{PROFILES}?$filter={filter}&$orderby=id&$select=id"
            ))
            .await;
        let got: Vec<Value> = body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].clone())
            .collect();
        assert_eq!(Value::Array(got), expected, "{filter}");
    }
}
