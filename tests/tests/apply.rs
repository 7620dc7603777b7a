//! `$apply` on the Autopilot collections: events counted per deployment state, identities
//! grouped through their deployment profile's name, durations aggregated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

async fn ok(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn events(app: &TestApp) {
    for (serial, state, duration) in [
        ("S1", "success", "PT1M"),
        ("S2", "success", "PT3M"),
        ("S3", "failure", "PT10M"),
        ("S4", "inProgress", "PT2M"),
    ] {
        let r = app
            .post_json(
                EVENTS,
                &json!({"deviceSerialNumber": serial, "deploymentState": state,
                        "deploymentDuration": duration,
                        "eventDateTime": "2024-01-01T00:00:00Z"}),
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
}

#[tokio::test]
async fn events_count_per_deployment_state() {
    let app = spawn_app().await;
    events(&app).await;
    let body = ok(
        &app,
        &format!("{EVENTS}?$apply=groupby((deploymentState),aggregate($count as count))"),
    )
    .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#deviceManagement/autopilotEvents(deploymentState,count)"),
        "{body}"
    );
    let rows: Vec<(Value, Value)> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["deploymentState"].clone(), r["count"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!("success"), json!(2)),
            (json!("inProgress"), json!(1)),
            (json!("failure"), json!(1)),
        ]
    );
}

#[tokio::test]
async fn durations_aggregate_and_results_filter_and_sort() {
    let app = spawn_app().await;
    events(&app).await;
    let body = ok(
        &app,
        &format!(
            "{EVENTS}?$apply=filter(deploymentState ne 'inProgress')/groupby((deploymentState),\
             aggregate(deploymentDuration with max as longest,$count as n))\
             &$orderby=longest desc&$count=true"
        ),
    )
    .await;
    assert_eq!(body["@odata.count"], 2);
    assert_eq!(
        body["value"],
        json!([
            {"deploymentState": "failure", "longest@odata.type": "#Duration", "longest": "PT10M",
             "n@odata.type": "#Decimal", "n": 1},
            {"deploymentState": "success", "longest@odata.type": "#Duration", "longest": "PT3M",
             "n@odata.type": "#Decimal", "n": 2}
        ])
    );
}

#[tokio::test]
async fn identities_group_through_the_deployment_profile_name() {
    let app = spawn_app().await;
    for (id, name) in [("p1", "Kiosk"), ("p2", "Office")] {
        let r = app
            .post_json(
                PROFILES,
                &json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                        "id": id, "displayName": name}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (id, profile) in [
        ("d1", Some("p1")),
        ("d2", Some("p2")),
        ("d3", Some("p2")),
        ("d4", None),
    ] {
        let r = app
            .post_json(IDENTITIES, &json!({"id": id, "serialNumber": id}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
        if let Some(profile) = profile {
            let r = app
                .patch_json(
                    &format!("{IDENTITIES}/{id}"),
                    &json!({"deploymentProfile@odata.bind": format!("{PROFILES}('{profile}')")}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        }
    }
    let body = ok(
        &app,
        &format!(
            "{IDENTITIES}?$apply=groupby((deploymentProfile/displayName),aggregate($count as devices))"
        ),
    )
    .await;
    assert!(
        body["@odata.context"].as_str().unwrap().ends_with(
            "/$metadata#deviceManagement/windowsAutopilotDeviceIdentities(deploymentProfile(displayName),devices)"
        ),
        "{body}"
    );
    assert_eq!(
        body["value"],
        json!([
            {"deploymentProfile": {"displayName": null}, "devices@odata.type": "#Decimal", "devices": 1},
            {"deploymentProfile": {"displayName": "Kiosk"}, "devices@odata.type": "#Decimal", "devices": 1},
            {"deploymentProfile": {"displayName": "Office"}, "devices@odata.type": "#Decimal", "devices": 2}
        ])
    );
    // Unknown properties are named in a 400 that targets $apply.
    let r = app
        .get(&format!("{EVENTS}?$apply=groupby((deploymentStat))"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["target"], "$apply");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deploymentStat")
    );
}

#[tokio::test]
async fn index_numbers_apply_results_from_skip() {
    let app = spawn_app().await;
    events(&app).await;
    let body = ok(
        &app,
        &format!(
            "{EVENTS}?$apply=groupby((deploymentState),aggregate($count as count))\
             &$orderby=deploymentState&$skip=1&$index=true"
        ),
    )
    .await;
    let rows = body["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{body}");
    let indexes: Vec<Value> = rows.iter().map(|r| r["@odata.index"].clone()).collect();
    assert_eq!(indexes, [json!(1), json!(2)], "{body}");
}

/// Events S1…S4 with 4, 1, 3 and 2 targeted apps (total 10).
async fn events_with_apps(app: &TestApp) {
    for (serial, apps) in [("S1", 4), ("S2", 1), ("S3", 3), ("S4", 2)] {
        let r = app
            .post_json(
                EVENTS,
                &json!({"deviceSerialNumber": serial, "targetedAppCount": apps}),
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
}

fn serials(body: &Value) -> Vec<&str> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["deviceSerialNumber"].as_str().unwrap_or("-"))
        .collect()
}

#[tokio::test]
async fn cumulative_top_and_bottom_transformations_rank_events() {
    let app = spawn_app().await;
    events_with_apps(&app).await;
    for (apply, expected) in [
        ("topsum(5,targetedAppCount)", &["S1", "S3"][..]),
        ("toppercent(40,targetedAppCount)", &["S1"]),
        ("toppercent(41,targetedAppCount)", &["S1", "S3"]),
        ("bottomsum(3,targetedAppCount)", &["S2", "S4"]),
        ("bottompercent(30,targetedAppCount)", &["S2", "S4"]),
        ("BOTTOMPERCENT(31,targetedAppCount)", &["S2", "S4", "S3"]),
    ] {
        let body = ok(&app, &format!("{EVENTS}?$apply={apply}")).await;
        assert_eq!(serials(&body), expected, "{apply}: {body}");
    }
    for apply in [
        "topsum(0,targetedAppCount)",
        "toppercent(150,targetedAppCount)",
        "bottomsum(1,deviceSerialNumber)",
    ] {
        let r = app
            .get(&format!("{EVENTS}?$apply={apply}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{apply}");
    }
}

#[tokio::test]
async fn concat_appends_a_total_to_the_top_events() {
    let app = spawn_app().await;
    events_with_apps(&app).await;
    let body = ok(
        &app,
        &format!(
            "{EVENTS}?$apply=concat(topcount(2,targetedAppCount)/compute(targetedAppCount as apps),\
             aggregate(targetedAppCount with sum as apps))&$select=deviceSerialNumber,apps"
        ),
    )
    .await;
    let rows = body["value"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{body}");
    assert_eq!(serials(&body), ["S1", "S3", "-"], "{body}");
    let apps: Vec<i64> = rows.iter().map(|r| r["apps"].as_i64().unwrap()).collect();
    assert_eq!(apps, [4, 3, 10], "{body}");
}
