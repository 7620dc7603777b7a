//! Runaway queries. The attacker sends a short query whose cost explodes inside the
//! database — three nested `any()` over a 1 000-element collection is a billion steps — and
//! repeats it to hold every reader connection, so that everyone else's reads (and
//! `/readyz`) time out. The service answers instead: the request's statements are
//! interrupted inside the database when the statement budget is spent (503 `QueryTimeout`,
//! the connection goes back to the pool healthy); a statement whose client went away is
//! interrupted at once; one caller's queries wait for that caller's own slots (429 when none
//! frees up in time) while key reads and `/readyz` run on a lane of their own; a query too
//! large for the database is a 400 naming the option, not a 500.

use std::time::Duration;

use acceptance_tests::{TestApp, spawn_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const EVENTS: &str = "deviceManagement/autopilotEvents";

/// `$count` of profiles with three nested lambdas over `roleScopeTagIds`: with 1 000 tags
/// the database walks 10⁹ combinations.
const RUNAWAY: &str = "deviceManagement/windowsAutopilotDeploymentProfiles/$count?$filter=\
    roleScopeTagIds/any(a:roleScopeTagIds/any(b:roleScopeTagIds/any(c:c eq concat(a,b))))";

/// A profile with 1 000 role scope tags; returns its id.
async fn wide_profile(app: &TestApp) -> String {
    let tags: Vec<String> = (0..1000).map(|i| format!("tag-{i}")).collect();
    let r = app
        .post_json(
            PROFILES,
            &json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": "wide",
                "roleScopeTagIds": tags,
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// GET with a generous client timeout: the test fails rather than hangs if the service
/// never answers.
async fn get_status(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let r = app
        .get(path)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("the service answers");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_runaway_statement_is_interrupted_at_the_budget_and_the_pool_stays_healthy() {
    let app = spawn_with(|s| {
        s.statement_budget = Duration::from_millis(500);
        s.reader_connections = 1;
    })
    .await;
    wide_profile(&app).await;
    let (status, body) = get_status(&app, RUNAWAY).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "QueryTimeout");
    // The one scan connection is usable again at once.
    for _ in 0..3 {
        let (status, body) = get_status(&app, &format!("{PROFILES}?$count=true")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["@odata.count"], 1);
    }
}

#[tokio::test]
async fn key_reads_and_readiness_answer_while_one_caller_runs_six_runaway_queries() {
    // As many scan connections as the caller's query slots: the runaways hold them all.
    let app = spawn_with(|s| {
        s.statement_budget = Duration::from_secs(3);
        s.reader_connections = s.max_queries_per_caller;
    })
    .await;
    let id = wide_profile(&app).await;
    let runaways: Vec<_> = (0..6)
        .map(|_| {
            let request = app.get(RUNAWAY).timeout(Duration::from_secs(60)).send();
            tokio::spawn(request)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let r = app
            .get(&format!("{PROFILES}/{id}"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .expect("a key read answers within 2 s");
        assert_eq!(r.status(), StatusCode::OK);
        let ready = app
            .client
            .get(app.root.replace("/beta", "/readyz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .expect("/readyz answers within 2 s");
        assert_eq!(ready.status(), StatusCode::OK);
    }
    let mut statuses = Vec::new();
    for r in runaways {
        let r = r
            .await
            .unwrap()
            .expect("the runaway request gets an answer");
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{body}");
        statuses.push(status.as_u16());
    }
    // Two ran into the budget; the others waited for the caller's slots and either gave up
    // (429) or got a slot as their own budget ran out (503): which one depends on timing.
    assert!(
        statuses.iter().all(|s| *s == 503 || *s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&503), "{statuses:?}");
}

#[tokio::test]
async fn a_statement_whose_client_went_away_is_interrupted() {
    // A budget far beyond the test: only the disconnect can stop the statement.
    let app = spawn_with(|s| {
        s.statement_budget = Duration::from_secs(600);
        s.reader_connections = 1;
        s.max_queries_per_caller = 1;
    })
    .await;
    wide_profile(&app).await;
    let abandoned = app
        .get(RUNAWAY)
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(abandoned.is_err(), "the client gives up first");
    // The only scan connection and the caller's only slot are free again.
    let r = app
        .get(&format!("{PROFILES}/$count"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("the abandoned statement no longer holds the scan connection");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "1");
}

#[tokio::test]
async fn a_long_operator_chain_within_the_url_limit_is_refused_not_a_crash() {
    let app = spawn_with(|_| {}).await;
    // 1 300 chained additions fit in the default 8 KiB URL and parse without nesting, but
    // the tree is 1 300 levels deep.
    let filter = format!("targetedAppCount{}+eq+0", "+add+1".repeat(1300));
    let r = app
        .get(&format!("{EVENTS}?$filter={filter}"))
        .send()
        .await
        .expect("the service answers");
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        body["error"]["message"]
    );
    assert_eq!(body["error"]["target"], "$filter");
    let (status, _) = get_status(&app, EVENTS).await;
    assert_eq!(status, StatusCode::OK);
}
