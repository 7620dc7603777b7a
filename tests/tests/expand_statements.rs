//! `$expand` runs one statement per expanded navigation and level, however many parents
//! the page has: counted here from the logs of every statement executed (sqlx's target
//! `sqlx::query` and the SQLite scan readers' own), over a page of 1 000 device identities and a profile with 1 000
//! assigned devices. This binary holds this one test, so no other request is counted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use acceptance_tests::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

/// Counts the statement log events, but for the statement budget's settings of a
/// PostgreSQL session (a read that starts with less than its whole budget left sets and
/// resets `statement_timeout`: how many do depends on the machine's speed, not on the
/// parents).
struct StatementCounter;

impl<S: tracing::Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let target = event.metadata().target();
        if target != "sqlx::query" && target != odata_server::store::sqlite_scan::STATEMENT_LOG {
            return;
        }
        let mut setting = BudgetSetting(false);
        event.record(&mut setting);
        if !setting.0 {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Whether a statement log event's summary (sqlx's first words of the statement) is a
/// setting of `statement_timeout`.
struct BudgetSetting(bool);

impl tracing::field::Visit for BudgetSetting {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            self.0 |= value.contains("statement_timeout");
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 |= format!("{value:?}").contains("statement_timeout");
        }
    }
}

/// The statements one GET runs, and its body.
async fn statements_of(app: &TestApp, path: &str) -> (usize, Value) {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let r = app
        .get(path)
        .header("Prefer", "odata.maxpagesize=1000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let body: Value = r.json().await.unwrap();
    (STATEMENTS.load(Ordering::SeqCst) - before, body)
}

#[tokio::test]
async fn expand_runs_a_fixed_number_of_statements_for_a_thousand_parents() {
    let subscriber = Registry::default().with(StatementCounter);
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let app = spawn_app().await;
    for (id, name) in [("p0", "A"), ("p1", "B"), ("p2", "C")] {
        let r = app
            .post_json(
                PROFILES,
                &json!({
                    "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                    "id": id,
                    "displayName": name,
                }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let posts = (0..1000).map(|i| {
        app.post_json(
            IDENTITIES,
            &json!({"id": format!("d{i:04}"), "serialNumber": format!("SN-{i}")}),
        )
        .send()
    });
    for r in futures_util::future::join_all(posts).await {
        assert_eq!(r.unwrap().status(), StatusCode::CREATED);
    }
    // Device i is assigned to profile i % 3, except every tenth, which has none.
    app.sql(
        "UPDATE \"device_identities\" SET \"deploymentProfile__id\" = \
         CASE WHEN CAST(substr(\"id\", 2) AS INTEGER) % 10 = 0 THEN NULL \
         ELSE 'p' || (CAST(substr(\"id\", 2) AS INTEGER) % 3) END",
        &[],
    )
    .await;

    let (plain, _) = statements_of(&app, &format!("{IDENTITIES}?$top=1000")).await;
    let (expanded, body) = statements_of(
        &app,
        &format!("{IDENTITIES}?$top=1000&$expand=deploymentProfile($select=displayName)"),
    )
    .await;
    let values = body["value"].as_array().unwrap();
    assert_eq!(values.len(), 1000);
    assert_eq!(values[1]["deploymentProfile"]["displayName"], "B");
    assert_eq!(values[10]["deploymentProfile"], Value::Null);
    assert!(
        expanded - plain <= 3,
        "1 000 references expanded with {} more statements than the plain page ({plain})",
        expanded - plain
    );

    println!("identities: plain page {plain} statements, with $expand {expanded}");
    let (plain, _) = statements_of(&app, PROFILES).await;
    let (expanded, body) = statements_of(
        &app,
        &format!(
            "{PROFILES}?$orderby=id&$expand=assignedDevices($count=true;$select=id;\
             $expand=deploymentProfile($select=id))"
        ),
    )
    .await;
    assert_eq!(body["value"][0]["assignedDevices@odata.count"], 300);
    assert_eq!(
        body["value"][1]["assignedDevices"]
            .as_array()
            .unwrap()
            .len(),
        300
    );
    assert_eq!(
        body["value"][2]["assignedDevices"][0]["deploymentProfile"]["id"],
        "p2"
    );
    // The devices, their count, and their profiles: three reads (each armed and reset on
    // PostgreSQL), not one per profile or device.
    assert!(
        expanded - plain <= 9,
        "two levels over 900 devices took {} more statements than the plain page ({plain})",
        expanded - plain
    );
    println!("profiles: plain page {plain} statements, with two levels of $expand {expanded}");
    assert!(plain > 0, "no statement was counted");
}
