//! The service on PostgreSQL, several instances on one database (the test server of
//! `tests/run-all.sh`): a write through one instance is read through the other, a
//! nextLink made by one is followed on the other with every row exactly once, a stale ETag
//! is refused across instances, and concurrent POSTs through both are all stored. Query
//! options that need the expression translation answer 501 on PostgreSQL for now.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use acceptance_tests::{TestApp, postgres_database, spawn_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";

/// Two instances on one fresh PostgreSQL database, or `None` without a test server.
async fn two_instances() -> Option<(TestApp, TestApp)> {
    let url = postgres_database().await?;
    let first = spawn_with(|s| s.database_url = url.clone()).await;
    let second = spawn_with(|s| s.database_url = url).await;
    Some((first, second))
}

async fn post(app: &TestApp, body: &Value) -> Value {
    let r = app.post_json(EVENTS, body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_write_through_one_instance_is_read_through_the_other() {
    let Some((a, b)) = two_instances().await else {
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
    let Some((a, b)) = two_instances().await else {
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
    let Some((a, b)) = two_instances().await else {
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
    let Some((a, b)) = two_instances().await else {
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

#[tokio::test]
async fn expression_options_answer_501_on_postgresql() {
    let Some((a, _)) = two_instances().await else {
        return;
    };
    for query in [
        "$filter=targetedAppCount%20gt%201",
        "$search=SN",
        "$orderby=deviceSerialNumber",
    ] {
        let r = a.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED, "{query}");
    }
    let r = a
        .get(&format!(
            "{EVENTS}?$select=deviceSerialNumber&$top=1&$count=true"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
