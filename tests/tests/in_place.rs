//! Collection members written straight from their rows' cells (plain pages) are the bytes
//! the decoded path writes: compared with single-entity reads and with pages that expand
//! a navigation property (both decode), under every format option that changes a value.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, seed, spawn_app, with_valid_enums};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// Accept headers that change how values are written.
const FORMATS: [&str; 4] = [
    "application/json",
    "application/json;IEEE754Compatible=true",
    "application/json;odata.metadata=none",
    "application/json;odata.metadata=minimal",
];

async fn get(app: &TestApp, path: &str, accept: &str, prefer: Option<&str>) -> Value {
    let mut request = app.get(path).header("Accept", accept);
    if let Some(prefer) = prefer {
        request = request.header("Prefer", prefer);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// Events with texts that need escapes, nulls, offsets and zero durations.
async fn events(app: &TestApp) -> Vec<String> {
    let body = with_valid_enums(&seed("000-post-event.request.json"));
    let variants = [
        json!({}),
        json!({"deviceSerialNumber": "SN \"quoted\" \\ back\u{1}slash", "userId": null,
               "managedDeviceName": "ünïcødé ✓ 𝄞"}),
        json!({"eventDateTime": "2025-06-30T23:59:23.3984029-08:00", "deploymentDuration": "PT0S",
               "targetedAppCount": 0, "osVersion": null, "enrollmentFailureDetails": null}),
    ];
    let mut ids = Vec::new();
    for variant in variants {
        let mut event = body.clone();
        for (name, value) in variant.as_object().unwrap() {
            event[name] = value.clone();
        }
        ids.push(
            app.create(EVENTS, &event).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

#[tokio::test]
async fn members_of_a_plain_page_are_written_as_single_reads_write_them() {
    let app = spawn_app().await;
    let ids = events(&app).await;
    let selects = [
        "",
        "&$select=id,deviceSerialNumber,eventDateTime,deploymentDuration,enrollmentState,targetedAppCount,userId",
    ];
    for accept in FORMATS {
        for prefer in [None, Some("omit-values=nulls")] {
            for select in selects {
                let page = get(
                    &app,
                    &format!("{EVENTS}?$orderby=id{select}"),
                    accept,
                    prefer,
                )
                .await;
                let members = page["value"].as_array().unwrap();
                assert_eq!(members.len(), ids.len());
                for member in members {
                    let id = member["id"].as_str().unwrap();
                    let path = format!("{EVENTS}('{id}')?{}", select.trim_start_matches('&'));
                    let mut single = get(&app, &path, accept, prefer).await;
                    single.as_object_mut().unwrap().remove("@odata.context");
                    assert_eq!(member, &single, "{accept} {prefer:?} {select}");
                }
            }
        }
    }
    // The escapes, the offset and the zero duration come through as written.
    let page = get(&app, &format!("{EVENTS}?$orderby=id"), FORMATS[0], None).await;
    let second = &page["value"][1];
    assert_eq!(
        second["deviceSerialNumber"],
        "SN \"quoted\" \\ back\u{1}slash"
    );
    assert_eq!(second["managedDeviceName"], "ünïcødé ✓ 𝄞");
    assert_eq!(
        page["value"][2]["eventDateTime"],
        "2025-06-30T23:59:23.3984029-08:00"
    );
    assert_eq!(page["value"][2]["deploymentDuration"], "PT0S");
    assert_eq!(page["value"][2]["osVersion"], Value::Null);
}

#[tokio::test]
async fn members_of_a_plain_page_are_written_as_expanded_pages_write_them() {
    let app = spawn_app().await;
    app.create_profile("p1", "Profile one").await;
    let body = with_valid_enums(&seed("003-post-identity.request.json"));
    for (i, profile) in [Some("p1"), None, Some("p1")].into_iter().enumerate() {
        let mut identity = body.clone();
        identity["serialNumber"] = json!(format!("SN-{i}"));
        if i == 1 {
            identity["groupTag"] = Value::Null;
        }
        if let Some(profile) = profile {
            identity["deploymentProfile@odata.bind"] = json!(format!(
                "deviceManagement/windowsAutopilotDeploymentProfiles('{profile}')"
            ));
        }
        app.create(IDENTITIES, &identity).await;
    }
    for accept in FORMATS {
        for prefer in [None, Some("omit-values=nulls")] {
            let plain = get(
                &app,
                &format!("{IDENTITIES}?$orderby=serialNumber"),
                accept,
                prefer,
            )
            .await;
            let expanded = get(
                &app,
                &format!(
                    "{IDENTITIES}?$orderby=serialNumber&$expand=deploymentProfile($select=id)"
                ),
                accept,
                prefer,
            )
            .await;
            let plain = plain["value"].as_array().unwrap();
            let expanded = expanded["value"].as_array().unwrap();
            assert_eq!(plain.len(), 3);
            assert_eq!(plain.len(), expanded.len());
            for (plain, expanded) in plain.iter().zip(expanded) {
                let mut expanded = expanded.clone();
                let members = expanded.as_object_mut().unwrap();
                members.retain(|name, _| {
                    name != "deploymentProfile" && !name.starts_with("deploymentProfile@")
                });
                assert_eq!(plain, &expanded, "{accept} {prefer:?}");
            }
        }
    }
}

/// Paging from a plain page: the next link's position is the last written member's.
#[tokio::test]
async fn plain_pages_link_to_the_rest() {
    let app = spawn_app().await;
    let mut ids = events(&app).await;
    ids.extend(events(&app).await);
    ids.sort();
    let seen = paged(
        &app,
        &format!("{EVENTS}?$orderby=id&$top=5&$select=id"),
        "id",
    )
    .await;
    assert_eq!(seen, ids[..5].to_vec());
}

/// `property` of every member of `path`, two per page, following the nextLinks.
async fn paged(app: &TestApp, path: &str, property: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(app.url(path));
    while let Some(url) = next {
        let response = app.client.get(&url).header("Prefer", "odata.maxpagesize=2");
        let page: Value = response.send().await.unwrap().json().await.unwrap();
        let members = page["value"].as_array().unwrap();
        assert!(members.len() <= 2, "{page}");
        seen.extend(
            members
                .iter()
                .map(|m| m[property].as_str().unwrap().to_owned()),
        );
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    seen
}

#[tokio::test]
async fn write_only_properties_of_plain_page_members_are_written_as_single_reads_write_them() {
    let app = spawn_app().await;
    for (serial, password) in [("SN-1", json!("s3cret")), ("SN-2", Value::Null)] {
        app.create(
            IDENTITIES,
            &json!({"serialNumber": serial, "deviceAccountPassword": password}),
        )
        .await;
    }
    for accept in FORMATS {
        for prefer in [None, Some("omit-values=nulls")] {
            let path = format!("{IDENTITIES}?$orderby=serialNumber");
            let page = get(&app, &path, accept, prefer).await;
            let members = page["value"].as_array().unwrap();
            assert_eq!(members.len(), 2);
            for member in members {
                assert!(!member.to_string().contains("s3cret"), "{member}");
                let expected = if prefer.is_some() {
                    None
                } else {
                    Some(&Value::Null)
                };
                assert_eq!(member.get("deviceAccountPassword"), expected, "{accept}");
                let id = member["id"].as_str().unwrap();
                let mut single = get(&app, &format!("{IDENTITIES}('{id}')"), accept, prefer).await;
                single.as_object_mut().unwrap().remove("@odata.context");
                assert_eq!(member, &single, "{accept} {prefer:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_plain_page_read_long_enough_to_leave_the_workers_thread_is_written_once() {
    let app = spawn_app().await;
    app.create(IDENTITIES, &json!({"id": "d0", "serialNumber": "SN-0"}))
        .await;
    // 5 000 more identities, written behind the service's back; every thousandth matches.
    app.sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
         INSERT INTO \"device_identities\" (\"_tenant\", \"id\", \"_type\", \"serialNumber\") \
         SELECT d.\"_tenant\", 'bulk-' || n.i, d.\"_type\", 'BULK-' || n.i \
         FROM \"device_identities\" AS d, n WHERE d.\"id\" = 'd0'",
        &[],
    )
    .await;
    // Every row is looked at: far more than a read may do on a worker's thread, so the
    // read is cut off there after some members were written and runs again on the pool.
    let filter = "$filter=endswith(serialNumber,'000')&$orderby=serialNumber desc";
    let page = app.get_json(&format!("{IDENTITIES}?{filter}")).await;
    let serials: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["serialNumber"].as_str().unwrap())
        .collect();
    assert_eq!(
        serials,
        [
            "BULK-5000",
            "BULK-4000",
            "BULK-3000",
            "BULK-2000",
            "BULK-1000"
        ]
    );
    // And page by page, through nextLinks.
    let paged = paged(
        &app,
        &format!("{IDENTITIES}?{filter}&$top=4"),
        "serialNumber",
    )
    .await;
    assert_eq!(paged, ["BULK-5000", "BULK-4000", "BULK-3000", "BULK-2000"]);
}
