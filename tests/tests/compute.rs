//! `$compute` on the Autopilot service: computed properties selected, filtered, ordered and
//! paged over, on a single event, and the errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";

/// Four events in different years and offsets.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    let rows = [
        ("A1", "2016-12-31T23:59:23.3984029-08:00", 4),
        ("B1", "2017-01-01T09:30:00.5+01:30", 7),
        ("C1", "2021-06-15T00:00:00+14:00", 1),
        ("C2", "2024-01-01T00:00:00-12:00", 0),
    ];
    for (serial, time, apps) in rows {
        let r = app
            .post_json(
                EVENTS,
                &json!({
                    "deviceSerialNumber": serial,
                    "deploymentState": "success",
                    "eventDateTime": time,
                    "targetedAppCount": apps,
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
    app
}

fn column<'b>(body: &'b Value, name: &str) -> Vec<&'b Value> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value: {body}"))
        .iter()
        .map(|e| &e[name])
        .collect()
}

#[tokio::test]
async fn computed_event_properties_are_selected_filtered_ordered_and_paged() {
    let app = seeded().await;
    let query = "$compute=year(eventDateTime) as year,concat(deviceSerialNumber,'-x') as label\
                 &$filter=year ge 2017&$orderby=year desc&$select=deviceSerialNumber,year,label";
    let body = app.get_json(&format!("{EVENTS}?{query}")).await;
    assert_eq!(
        column(&body, "deviceSerialNumber"),
        [&json!("C2"), &json!("C1"), &json!("B1")]
    );
    assert_eq!(
        column(&body, "year"),
        [&json!(2024), &json!(2021), &json!(2017)]
    );
    assert_eq!(column(&body, "label")[0], &json!("C2-x"));
    let first = &body["value"][0];
    assert_eq!(first["year@odata.type"], "#Int32");
    assert!(first.get("eventDateTime").is_none(), "{first}");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#deviceManagement/autopilotEvents(deviceSerialNumber,year,label)"),
        "{}",
        body["@odata.context"]
    );
    // The same order one event per page, through the nextLinks.
    let mut url = app.url(&format!("{EVENTS}?{query}"));
    let mut serials = Vec::new();
    loop {
        let page: Value = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=1")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        serials.extend(column(&page, "deviceSerialNumber").into_iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(serials, ["C2", "C1", "B1"]);
}

#[tokio::test]
async fn a_single_event_with_computed_properties_and_the_errors() {
    let app = seeded().await;
    let body = app
        .get_json(&format!(
            "{EVENTS}?$filter=deviceSerialNumber eq 'B1'&$select=id"
        ))
        .await;
    let id = body["value"][0]["id"].as_str().unwrap().to_owned();
    let body = app
        .get_json(&format!(
            "{EVENTS}/{id}?$compute=targetedAppCount mul 2 as twice,\
             date(eventDateTime) as day&$select=twice,day"
        ))
        .await;
    assert_eq!(body["twice"], 14);
    assert_eq!(body["day"], "2017-01-01");
    assert_eq!(body["day@odata.type"], "#Date");
    for (query, target, fragment) in [
        (
            "$compute=targetedAppCount as deviceId",
            "$compute",
            "'deviceId'",
        ),
        (
            "$compute=targetedAppCount as n,osVersion as n",
            "$compute",
            "more than once",
        ),
        ("$compute=targetedAppCount as n&$select=m", "$select", "'m'"),
        (
            "$compute=targetedAppCount as n&$orderby=m",
            "$orderby",
            "'m'",
        ),
        ("$compute=nope as n", "$compute", "'nope'"),
    ] {
        let r = app.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], target, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(fragment), "{query}: {message}");
    }
}

const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// Profiles p1 "Kiosk" and p2 "Office"; identities d0…d4 with serials SN-0…SN-4, d0–d2
/// assigned to p1, d3 to p2, d4 to none.
async fn assigned() -> TestApp {
    let app = spawn_app().await;
    for (id, name) in [("p1", "Kiosk"), ("p2", "Office")] {
        app.create_profile(id, name).await;
    }
    for (i, profile) in [Some("p1"), Some("p1"), Some("p1"), Some("p2"), None]
        .into_iter()
        .enumerate()
    {
        let mut body = json!({"id": format!("d{i}"), "serialNumber": format!("SN-{i}")});
        if let Some(p) = profile {
            body["deploymentProfile@odata.bind"] = json!(format!("{PROFILES}('{p}')"));
        }
        app.create(IDENTITIES, &body).await;
    }
    app
}

#[tokio::test]
async fn computed_properties_read_through_navigation_properties() {
    let app = assigned().await;
    // A device's profile name: selected, filtered and ordered by; null without a profile.
    let body = app
        .get_json(&format!(
            "{IDENTITIES}?$compute=deploymentProfile/displayName as profileName\
             &$select=id,profileName&$orderby=profileName desc,id"
        ))
        .await;
    assert_eq!(
        column(&body, "id"),
        [
            &json!("d3"),
            &json!("d0"),
            &json!("d1"),
            &json!("d2"),
            &json!("d4")
        ]
    );
    assert_eq!(
        column(&body, "profileName"),
        [
            &json!("Office"),
            &json!("Kiosk"),
            &json!("Kiosk"),
            &json!("Kiosk"),
            &Value::Null
        ]
    );
    let body = app
        .get_json(&format!(
            "{IDENTITIES}?$compute=deploymentProfile/displayName as profileName\
             &$filter=profileName eq 'Office'&$select=id"
        ))
        .await;
    assert_eq!(column(&body, "id"), [&json!("d3")]);
    // A profile's devices: counted and tested with a lambda, on the set and on one
    // profile, and nested in an expansion of the device's profile.
    let body = app
        .get_json(&format!(
            "{PROFILES}?$compute=assignedDevices/$count as devices,\
             assignedDevices/any(d: d/serialNumber eq 'SN-3') as hasSN3\
             &$select=id,devices,hasSN3&$orderby=devices desc"
        ))
        .await;
    assert_eq!(column(&body, "id"), [&json!("p1"), &json!("p2")]);
    assert_eq!(column(&body, "devices"), [&json!(3), &json!(1)]);
    assert_eq!(column(&body, "hasSN3"), [&json!(false), &json!(true)]);
    let body = app
        .get_json(&format!(
            "{PROFILES}/p1?$compute=assignedDevices/$count as devices&$select=devices"
        ))
        .await;
    assert_eq!(body["devices"], 3);
    let body = app
        .get_json(&format!(
            "{IDENTITIES}/d3?$select=id&$expand=deploymentProfile(\
             $compute=assignedDevices/$count as devices;$select=displayName,devices)"
        ))
        .await;
    assert_eq!(body["deploymentProfile"]["devices"], 1, "{body}");
    // Unknown names behind the navigation are a 400 naming them.
    let r = app
        .get(&format!(
            "{IDENTITIES}?$compute=deploymentProfile/nope as n"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'nope'"),
        "{body}"
    );
}
