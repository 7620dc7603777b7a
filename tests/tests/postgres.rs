//! The service on PostgreSQL, several instances on one database (the test server of
//! `tests/run-all.sh`): a write through one instance is read through the other, a
//! nextLink made by one is followed on the other with every row exactly once, a stale ETag
//! is refused across instances, and concurrent POSTs through both are all stored. The query
//! options answer on PostgreSQL exactly as on SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use acceptance_tests::{FreshDatabase, TestApp, postgres_database, spawn_with};
use odata_server::sql::{SqlParam, Statement};
use odata_server::store::{Deadline, Store, StoreError};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";

/// Two instances on one fresh PostgreSQL database (dropped with the first value), or `None`
/// without a test server.
async fn two_instances() -> Option<(FreshDatabase, TestApp, TestApp)> {
    let database = postgres_database().await?;
    let first = spawn_with(|s| s.database_url = database.url().to_owned()).await;
    let second = spawn_with(|s| s.database_url = database.url().to_owned()).await;
    Some((database, first, second))
}

async fn post(app: &TestApp, body: &Value) -> Value {
    let r = app.post_json(EVENTS, body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_write_through_one_instance_is_read_through_the_other() {
    let Some((_database, a, b)) = two_instances().await else {
        return;
    };
    let created = post(
        &a,
        &json!({
            "deviceSerialNumber": "SN-1",
            "eventDateTime": "2016-12-31T23:59:23.3984029-08:00",
            "deploymentDuration": "PT3M21.5549443S",
            "deploymentState": "success",
            "targetedAppCount": 3,
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let read: Value = b.get_json(&format!("{EVENTS}/{id}")).await;
    assert_eq!(read["deviceSerialNumber"], "SN-1");
    assert_eq!(read["eventDateTime"], "2016-12-31T23:59:23.3984029-08:00");
    assert_eq!(read["deploymentDuration"], "PT3M21.5549443S");
    assert_eq!(read["deploymentState"], "success");
    assert_eq!(read["targetedAppCount"], 3);
    assert_eq!(b.count(EVENTS).await, 1);

    // A duplicate key through the other instance is a conflict.
    let r = b
        .post_json(EVENTS, &json!({"id": id, "deviceSerialNumber": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    let r = b
        .client
        .delete(b.url(&format!("{EVENTS}/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = a.get(&format!("{EVENTS}/{id}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stale_etag_is_refused_across_instances() {
    let Some((_database, a, b)) = two_instances().await else {
        return;
    };
    let r = a
        .post_json(EVENTS, &json!({"deviceSerialNumber": "SN"}))
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("{EVENTS}/{id}");
    let r = b
        .patch_json(&path, &json!({"deviceSerialNumber": "via b"}))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = a
        .patch_json(&path, &json!({"deviceSerialNumber": "via a"}))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let read: Value = a.get_json(&path).await;
    assert_eq!(read["deviceSerialNumber"], "via b");
}

#[tokio::test]
async fn a_next_link_of_one_instance_is_followed_on_the_other() {
    let Some((_database, a, b)) = two_instances().await else {
        return;
    };
    let mut expected = BTreeSet::new();
    for i in 0..7 {
        let created = post(&a, &json!({"deviceSerialNumber": format!("SN-{i}")})).await;
        expected.insert(created["id"].as_str().unwrap().to_owned());
    }
    let port = |app: &TestApp| {
        app.root
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let (port_a, port_b) = (port(&a), port(&b));
    let mut seen = Vec::new();
    let mut url = a.url(EVENTS);
    let mut hops = 0;
    loop {
        let body: Value = a
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=3")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        let Some(next) = body["@odata.nextLink"].as_str() else {
            break;
        };
        // Alternate instances page by page.
        url = if hops % 2 == 0 {
            next.replace(&port_a, &port_b)
        } else {
            next.replace(&port_b, &port_a)
        };
        hops += 1;
    }
    assert!(hops >= 2, "{hops}");
    assert_eq!(
        seen.len(),
        expected.len(),
        "every row exactly once: {seen:?}"
    );
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test]
async fn concurrent_posts_through_both_instances_are_all_stored() {
    let Some((_database, a, b)) = two_instances().await else {
        return;
    };
    let posts = (0..400).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post_json(EVENTS, &json!({"deviceSerialNumber": format!("C-{i}")}))
            .send()
    });
    let results = futures_util::future::join_all(posts).await;
    for r in results {
        assert_eq!(r.unwrap().status(), StatusCode::CREATED);
    }
    assert_eq!(a.count(EVENTS).await, 400);
    assert_eq!(b.count(EVENTS).await, 400);
}

/// The same events on SQLite and on PostgreSQL answer every query option alike: same
/// entities, same order, same counts, same nextLinks to follow.
#[tokio::test]
async fn queries_answer_alike_on_sqlite_and_postgresql() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let pg = spawn_with(|s| s.database_url = database.url().to_owned()).await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
    let lite = spawn_with(|s| s.database_url = sqlite_url).await;
    let states = ["success", "failure", "inProgress", "unknown"];
    for i in 0..60 {
        let mut event = json!({
            "id": format!("ev-{i:03}"),
            "deviceSerialNumber": if i % 7 == 0 { "Josè-ÄB".to_owned() } else { format!("SN-{}", i % 13) },
            "deploymentState": states[i % 4],
            "targetedAppCount": (i * 37) % 11,
            "deploymentDuration": format!("PT{}M{}.5S", i % 9, i % 60),
        });
        if i % 6 != 0 {
            event["userPrincipalName"] = json!(format!("user{}@contoso.com", i % 4));
        }
        if i % 5 != 0 {
            // Offsets differ, so the instant order differs from the text order.
            let offset = ["Z", "+05:30", "-08:00"][i % 3];
            event["eventDateTime"] = json!(format!(
                "2024-0{}-1{}T0{}:30:00{offset}",
                1 + i % 9,
                i % 10,
                i % 10
            ));
        }
        for app in [&pg, &lite] {
            post(app, &event).await;
        }
    }
    let queries = [
        "$filter=targetedAppCount gt 3&$orderby=targetedAppCount desc",
        "$filter=deploymentState eq 'failure' or deploymentState eq 'unknown'",
        "$filter=not (targetedAppCount ge 5)&$orderby=eventDateTime",
        "$orderby=eventDateTime desc&$top=7&$count=true",
        "$filter=eventDateTime ge 2024-03-01T00:00:00Z&$orderby=eventDateTime",
        "$filter=contains(deviceSerialNumber,'SN-1')&$orderby=deviceSerialNumber desc",
        "$filter=startswith(tolower(deviceSerialNumber),'josè')",
        "$filter=toupper(deviceSerialNumber) eq 'SN-12'",
        "$filter=year(eventDateTime) eq 2024 and hour(eventDateTime) lt 5",
        "$filter=deploymentDuration gt duration'PT4M'&$orderby=deploymentDuration",
        "$filter=deploymentState in ('success', 'inProgress')&$orderby=deploymentState desc",
        "$filter=targetedAppCount mod 3 eq 1 and targetedAppCount div 2 eq 2",
        "$filter=length(deviceSerialNumber) eq 5&$orderby=deviceSerialNumber",
        "$filter=substring(deviceSerialNumber, 3) eq '7'",
        "$filter=matchesPattern(deviceSerialNumber, '^SN-1[0-2]$')",
        "$filter=userPrincipalName eq null",
        "$filter=userPrincipalName ne 'user1@contoso.com'&$orderby=userPrincipalName desc",
        "$search=sn-1 OR josè",
        "$search=NOT sn",
        "$orderby=targetedAppCount,deviceSerialNumber desc&$skip=5&$top=20",
        "$filter=round(targetedAppCount div 3.0) eq 2",
        "$orderby=userPrincipalName eq null desc,deviceSerialNumber&$top=30",
    ];
    for query in queries {
        let path = format!("{EVENTS}?{query}&$select=id,deviceSerialNumber");
        let (from_pg, from_lite) = (all_pages(&pg, &path).await, all_pages(&lite, &path).await);
        assert_eq!(from_pg, from_lite, "{query}");
        let found = from_pg
            .iter()
            .map(|page| page[0].as_array().map_or(0, Vec::len))
            .sum::<usize>();
        // Each query selects some events but not all, so it tells the databases apart.
        assert!(found > 0 && found < 60, "{query} found {found}");
    }
}

/// Every page of a collection request: each page's entities and `@odata.count`.
/// Reads run on connections whose sessions' timeout is the whole statement budget; a read
/// whose deadline is nearer or farther than that still stops at its own.
#[tokio::test]
async fn a_read_stops_at_its_own_deadline_be_it_the_whole_budget_or_not() {
    let Some(database) = postgres_database().await else {
        return;
    };
    // Long enough for a loaded machine to hand the connection back between two reads well
    // within it (the longest a read waits for a connection).
    let budget = Duration::from_secs(2);
    // One read connection: every read below runs on the same session.
    let store = Store::connect(database.url(), 1, budget).await.unwrap();
    let sleep = |seconds: f64| Statement {
        sql: "SELECT 1 FROM pg_sleep($1)".to_owned(),
        params: vec![SqlParam::Real(seconds)],
    };
    let read = |seconds: f64, deadline: Duration| {
        let store = &store;
        async move {
            store
                .rows(sleep(seconds), Deadline::after(deadline))
                .await
                .map(drop)
        }
    };
    let stopped = |outcome: Result<(), StoreError>| {
        assert!(
            matches!(outcome, Err(StoreError::BudgetExceeded)),
            "{outcome:?}"
        );
    };

    // The whole budget left: the session's timeout stops the read.
    stopped(read(10.0, budget).await);
    // A quarter of it: a timeout of the read's own...
    stopped(read(1.5, budget / 4).await);
    // ...reset after, to the whole budget again, not to none.
    read(1.0, budget).await.unwrap();
    stopped(read(10.0, budget).await);
    // More than the budget (a deadline of its own): not stopped at the budget.
    read(3.0, budget * 3).await.unwrap();
    // Hardly any budget left: stopped, and the next read has its whole budget.
    stopped(read(1.5, Duration::ZERO).await);
    read(1.0, budget).await.unwrap();
    store.close().await;
}

/// Pooled connections in steady use are handed out without a check, but one idle for a
/// while is checked first: a server that dropped it meanwhile (a restart, a failover) costs
/// no request its answer.
#[tokio::test]
async fn connections_dropped_by_the_server_while_idle_cost_no_request() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let store = Store::connect(database.url(), 1, Duration::from_secs(5))
        .await
        .unwrap();
    // A collection read (on the read pool) and the readiness query (on the other pool).
    let answers = || async {
        let one = Statement {
            sql: "SELECT 1".to_owned(),
            params: Vec::new(),
        };
        let read = store
            .rows(one, Deadline::after(Duration::from_secs(5)))
            .await;
        (read.map(drop), store.ping().await)
    };
    let (read, ready) = answers().await;
    assert!(read.is_ok() && ready, "{read:?}, {ready}");

    // The server ends every other session of the database: the store's idle connections.
    let admin = sqlx::PgPool::connect(database.url()).await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(ended.len() >= 2 && ended.iter().all(|e| *e), "{ended:?}");
    admin.close().await;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let (read, ready) = answers().await;
    assert!(read.is_ok() && ready, "{read:?}, {ready}");
    store.close().await;
}

async fn all_pages(app: &TestApp, path: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = Some(app.url(path));
    while let Some(url) = next {
        let r = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=8")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let body: Value = r.json().await.unwrap();
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        pages.push(json!([body["value"], body["@odata.count"]]));
    }
    pages
}

/// An integer overflow in a query is the request's fault on PostgreSQL (which fails the
/// statement) as it is in the evaluator: 400, and the service keeps serving.
#[tokio::test]
async fn an_integer_overflow_in_a_query_is_a_400_on_postgresql() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let app = spawn_with(|s| s.database_url = database.url().to_owned()).await;
    post(&app, &json!({"targetedAppCount": 3})).await;
    let r = app
        .get(&format!(
            "{EVENTS}?$filter=targetedAppCount mul 9223372036854775807 gt 0"
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
            .contains("out of range"),
        "{body}"
    );
    assert_eq!(app.count(EVENTS).await, 1);
}

/// Operators and functions of a null literal are null on PostgreSQL too, which cannot type
/// an untyped NULL operand on its own.
#[tokio::test]
async fn null_operands_are_null_on_postgresql() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let app = spawn_with(|s| s.database_url = database.url().to_owned()).await;
    post(&app, &json!({"targetedAppCount": 3})).await;
    for (filter, found) in [
        ("targetedAppCount eq -null", 0),
        ("-null eq null", 1),
        ("null add null eq null", 1),
        ("length(null) eq null", 1),
        ("concat(null, 'a') ne 'a'", 1),
        ("targetedAppCount sub null eq null", 1),
    ] {
        let r = app
            .get(&format!("{EVENTS}?$filter={filter}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{filter}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["value"].as_array().unwrap().len(), found, "{filter}");
    }
}

/// The service reaches PostgreSQL over TLS and verifies the server: `sslmode=verify-full`
/// with the CA of the test cluster's certificate works; without that CA (the built-in web
/// roots do not vouch for a self-signed certificate) the service refuses to start.
#[tokio::test]
async fn the_service_connects_over_verified_tls() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let Some(ca) = std::env::var_os("ODATA_TEST_POSTGRES_CA") else {
        // A server of the developer's own (ODATA_TEST_POSTGRES_URL) may not speak TLS.
        eprintln!("ODATA_TEST_POSTGRES_CA is not set: TLS test skipped");
        return;
    };
    let ca = ca.to_string_lossy().into_owned();
    let url = database.url();
    let verified = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    let app = spawn_with(|s| s.database_url = verified).await;
    let created = post(&app, &json!({"deviceSerialNumber": "TLS-1"})).await;
    let id = created["id"].as_str().unwrap();
    let read = app.get_json(&format!("{EVENTS}/{id}")).await;
    assert_eq!(read["deviceSerialNumber"], "TLS-1");

    let unverifiable = format!("{url}?sslmode=verify-full");
    let settings = odata_server::config::Settings {
        listen: "127.0.0.1:0".into(),
        database_url: unverifiable,
        ..Default::default()
    };
    let refused = odata_server::app::Application::build(
        autopilot_model::service::service(),
        autopilot_model::service::migrations(),
        settings,
    )
    .await;
    assert!(refused.is_err(), "started without verifying the server");
}
