//! Fragments of serial numbers (`contains`, `endswith` of `deviceSerialNumber`) are looked
//! up in the serial's trigram index, which the service creates at startup, fills from the
//! stored events and keeps with every write, and prefixes (`startswith`) in a range of the
//! serial's index; the answers are exactly those of the functions (case-sensitive, nulls
//! excluded, wildcard characters of the databases taken literally).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, TestBackend, spawn_app, spawn_with, test_backend, urlencode};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const INDEX: &str = "autopilot_events__trigram__deviceSerialNumber";

/// The serial numbers of the events `filter` selects (sorted), and `@odata.count`.
async fn serials(app: &TestApp, filter: &str) -> (Vec<String>, u64) {
    let r = app
        .get(&format!(
            "{EVENTS}?$filter={}&$select=deviceSerialNumber&$count=true",
            urlencode(filter)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{filter}");
    let body: Value = r.json().await.unwrap();
    let mut found: Vec<String> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["deviceSerialNumber"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    (found, body["@odata.count"].as_u64().unwrap())
}

/// Fails unless `filter` selects exactly `expected` (and counts them).
async fn assert_selects(app: &TestApp, filter: &str, expected: &[&str]) {
    let (found, count) = serials(app, filter).await;
    let mut expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(found, expected, "{filter}");
    assert_eq!(count, expected.len() as u64, "{filter}");
}

/// The name of the index in the database's catalog, if it exists.
async fn index_in_catalog(app: &TestApp) -> Option<String> {
    let sql = match test_backend() {
        TestBackend::Sqlite => "SELECT name FROM sqlite_master WHERE name = $1",
        TestBackend::Postgres => "SELECT indexname::text FROM pg_indexes WHERE indexname = $1",
    };
    app.sql(sql, &[INDEX]).await
}

async fn post_serial(app: &TestApp, serial: Option<&str>) -> String {
    let created = app
        .create(EVENTS, &json!({ "deviceSerialNumber": serial }))
        .await;
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn serial_fragments_answer_exactly_through_the_trigram_index() {
    let app = spawn_app().await;
    assert_eq!(index_in_catalog(&app).await.as_deref(), Some(INDEX));
    let mut ids = Vec::new();
    for serial in [
        Some("SN-ABC123-01"),
        Some("SN-ABC123-02"),
        Some("sn-abc123-03"),
        Some("SN-XYZ999-01"),
        Some("50%_OFF\\*[x]?"),
        None,
    ] {
        ids.push(post_serial(&app, serial).await);
    }

    // Case-sensitive, at the function's place in the value.
    assert_selects(
        &app,
        "contains(deviceSerialNumber,'ABC123')",
        &["SN-ABC123-01", "SN-ABC123-02"],
    )
    .await;
    assert_selects(
        &app,
        "startswith(deviceSerialNumber,'SN-ABC')",
        &["SN-ABC123-01", "SN-ABC123-02"],
    )
    .await;
    assert_selects(
        &app,
        "endswith(deviceSerialNumber,'123-03')",
        &["sn-abc123-03"],
    )
    .await;
    assert_selects(&app, "endswith(deviceSerialNumber,'ABC123')", &[]).await;
    // Three characters: PostgreSQL's index, SQLite's walk.
    assert_selects(
        &app,
        "contains(deviceSerialNumber,'C12')",
        &["SN-ABC123-01", "SN-ABC123-02"],
    )
    .await;
    assert_selects(&app, "contains(deviceSerialNumber,'NOPE')", &[]).await;
    // LIKE's and GLOB's wildcards are characters like any other.
    for filter in [
        "contains(deviceSerialNumber,'0%_O')",
        "contains(deviceSerialNumber,'%_OF')",
        "contains(deviceSerialNumber,'_OFF')",
        "endswith(deviceSerialNumber,'*[x]?')",
        "startswith(deviceSerialNumber,'50%_')",
    ] {
        assert_selects(&app, filter, &["50%_OFF\\*[x]?"]).await;
    }
    assert_selects(&app, "contains(deviceSerialNumber,'%_OX')", &[]).await;
    // With other conditions, and under `not` (where no index narrows: nulls stay out).
    assert_selects(
        &app,
        "contains(deviceSerialNumber,'ABC123') and endswith(deviceSerialNumber,'-02')",
        &["SN-ABC123-02"],
    )
    .await;
    assert_selects(
        &app,
        "not contains(deviceSerialNumber,'ABC123')",
        &["sn-abc123-03", "SN-XYZ999-01", "50%_OFF\\*[x]?"],
    )
    .await;

    // Every write keeps the index: a changed serial, a new event, a deleted one.
    let r = app
        .patch_json(
            &format!("{EVENTS}('{}')", ids[3]),
            &json!({"deviceSerialNumber": "SN-ABC123-04"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_selects(&app, "contains(deviceSerialNumber,'XYZ999')", &[]).await;
    post_serial(&app, Some("SN-ABC123-05")).await;
    let r = app
        .client
        .delete(app.url(&format!("{EVENTS}('{}')", ids[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_selects(
        &app,
        "contains(deviceSerialNumber,'ABC123')",
        &["SN-ABC123-02", "SN-ABC123-04", "SN-ABC123-05"],
    )
    .await;
}

/// A database whose events were stored before the index existed (an upgrade): the next
/// start creates the index from them.
#[tokio::test]
async fn the_index_is_built_from_the_events_already_stored() {
    let first = spawn_app().await;
    post_serial(&first, Some("SN-OLD4711")).await;
    let drop = match test_backend() {
        TestBackend::Sqlite => format!("DROP TABLE \"{INDEX}\""),
        TestBackend::Postgres => format!("DROP INDEX \"{INDEX}\""),
    };
    first.sql(&drop, &[]).await;
    assert_eq!(index_in_catalog(&first).await, None);

    let url = first.database_url.clone();
    let second = spawn_with(|s| s.database_url = url).await;
    assert_eq!(index_in_catalog(&second).await.as_deref(), Some(INDEX));
    assert_selects(
        &second,
        "contains(deviceSerialNumber,'OLD4711')",
        &["SN-OLD4711"],
    )
    .await;
    post_serial(&second, Some("SN-NEW4711")).await;
    assert_selects(
        &second,
        "endswith(deviceSerialNumber,'4711')",
        &["SN-NEW4711", "SN-OLD4711"],
    )
    .await;
}

const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// The serial numbers of `entities` (sorted).
fn serial_numbers(entities: &Value) -> Vec<String> {
    let mut found: Vec<String> = entities
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["serialNumber"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    found
}

/// Filters nested in `$expand` and on a related collection imply the same conditions: the
/// identities' serial-number index and the prefix range serve the related entities' reads.
#[tokio::test]
async fn related_and_expanded_reads_answer_exactly_too() {
    let app = spawn_app().await;
    app.create_profile("p1", "Kiosk").await;
    app.create_profile("p2", "Desk").await;
    for (id, serial, profile) in [
        ("d1", "SN-ABC123-01", "p1"),
        ("d2", "SN-ABC123-02", "p2"),
        ("d3", "SN-XYZ999-03", "p1"),
        ("d4", "sn-abc123-04", "p1"),
    ] {
        app.create(
            IDENTITIES,
            &json!({
                "id": id,
                "serialNumber": serial,
                "deploymentProfile@odata.bind": format!("{PROFILES}('{profile}')"),
            }),
        )
        .await;
    }
    for (filter, expected) in [
        ("contains(serialNumber,'ABC123')", vec!["SN-ABC123-01"]),
        ("endswith(serialNumber,'999-03')", vec!["SN-XYZ999-03"]),
        (
            "startswith(serialNumber,'SN-')",
            vec!["SN-ABC123-01", "SN-XYZ999-03"],
        ),
    ] {
        let related = app
            .get_json(&format!(
                "{PROFILES}/p1/assignedDevices?$filter={}&$select=serialNumber",
                urlencode(filter)
            ))
            .await;
        assert_eq!(
            serial_numbers(&related["value"]),
            expected,
            "{filter}: {related}"
        );
        let expanded = app
            .get_json(&format!(
                "{PROFILES}?$filter=id eq 'p1'&$expand=assignedDevices($filter={};$select=serialNumber)",
                urlencode(filter)
            ))
            .await;
        assert_eq!(
            serial_numbers(&expanded["value"][0]["assignedDevices"]),
            expected,
            "{filter}: {expanded}"
        );
    }
}
