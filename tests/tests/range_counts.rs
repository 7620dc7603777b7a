//! `$count` of an `eventDateTime` range reads the per-day counts the store keeps
//! (`CollectionDef::range_counts`): exact after inserts, updates (to another day, to a
//! null instant) and deletes, per tenant,
//! at every kind of boundary (inside a day, on midnight, before 1970, other offsets).
//! Each range is counted twice: once as the range alone (the per-day counts) and once
//! with `or false` added, which the counts do not serve (every index entry walked); the
//! two must agree, and with the number the test computes from what it wrote.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, bearer_token, spawn_with_bearer};
use autopilot_model::service::MANAGED_DEVICES_READ_WRITE;
use odata_core::value::DateTimeOffset;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const OURS: &str = "11111111-1111-1111-1111-111111111111";
const THEIRS: &str = "22222222-2222-2222-2222-222222222222";

/// Ticks (100 ns) per minute.
const MINUTE: i64 = 600_000_000;

fn encode(s: &str) -> String {
    s.replace('+', "%2B").replace(' ', "%20")
}

/// The UTC ticks of a DateTimeOffset literal.
fn ticks(text: &str) -> i64 {
    DateTimeOffset::parse(text).unwrap().utc_ticks()
}

/// The literal of UTC ticks.
fn literal(ticks: i64) -> String {
    DateTimeOffset::from_instant(ticks)
        .unwrap()
        .as_str()
        .to_owned()
}

/// The tenant's `$count` of `filter`, through `/$count` and through `@odata.count`, which
/// must agree.
async fn count(app: &TestApp, token: &str, filter: &str) -> i64 {
    let filter = encode(filter);
    let r = app
        .get(&format!("{EVENTS}/$count?$filter={filter}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{filter}");
    let plain: i64 = r.text().await.unwrap().parse().unwrap();
    let r = app
        .get(&format!("{EVENTS}?$filter={filter}&$count=true&$top=1"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["@odata.count"], plain, "{filter}: {body}");
    plain
}

/// An event of the tenant at `at` (or without `eventDateTime`); its id.
async fn post(app: &TestApp, token: &str, at: Option<&str>) -> String {
    let mut body = json!({"deviceSerialNumber": "SN"});
    if let Some(at) = at {
        body["eventDateTime"] = json!(at);
    }
    let r = app
        .post_json(EVENTS, &body)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The events the test wrote for our tenant and their instants (UTC ticks), to compute
/// each range's count.
struct Written(Vec<(String, Option<i64>)>);

impl Written {
    fn between(&self, from: i64, to: i64) -> i64 {
        let n = self
            .0
            .iter()
            .filter(|(_, at)| at.is_some_and(|at| from <= at && at < to));
        i64::try_from(n.count()).unwrap()
    }
}

/// Counts the range `[from, to)` through the per-day counts and through the index, and
/// checks both against what was written; then its pages: a wide range's first pages walk
/// the key order, a narrow one's sort the range, and either way they are the pages of
/// the same filter with `or false` (which always leaves the plan to the database).
async fn check(app: &TestApp, token: &str, written: &Written, from: &str, to: &str) {
    let range = format!("eventDateTime ge {from} and eventDateTime lt {to}");
    let counted = count(app, token, &range).await;
    let walked = count(app, token, &format!("({range}) or false")).await;
    assert_eq!(counted, walked, "{range}");
    assert_eq!(counted, written.between(ticks(from), ticks(to)), "{range}");
    for window in ["$top=1", "$top=3&$skip=2", "$skip=1"] {
        let ranged = ids(app, token, &range, window).await;
        let plain = ids(app, token, &format!("({range}) or false"), window).await;
        assert_eq!(ranged, plain, "{range} {window}");
    }
}

/// The ids of the tenant's page of `filter` with the `window` options, following
/// nextLinks (a page of at most 2).
async fn ids(app: &TestApp, token: &str, filter: &str, window: &str) -> Vec<String> {
    let mut url = app.url(&format!("{EVENTS}?$filter={}&{window}", encode(filter)));
    let mut ids = Vec::new();
    loop {
        let r = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=2")
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let body: Value = r.json().await.unwrap();
        let page = body["value"].as_array().unwrap();
        ids.extend(page.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn range_counts_are_exact_after_every_kind_of_write() {
    let app = spawn_with_bearer().await;
    let ours = bearer_token(OURS, MANAGED_DEVICES_READ_WRITE);
    let theirs = bearer_token(THEIRS, MANAGED_DEVICES_READ_WRITE);
    let mut written = Written(Vec::new());
    // Every 7 hours 13 minutes over about 30 days, so days hold different numbers and
    // instants fall on both sides of midnight; a few before 1970 and in other offsets.
    let start = ticks("2025-02-20T22:30:00Z");
    let mut texts: Vec<String> = (0..100)
        .map(|i| literal(start + i * 433 * MINUTE))
        .collect();
    texts.extend(
        [
            "1969-12-31T23:59:59.9999999Z",
            "1969-12-31T12:00:00-12:00",
            "1970-01-01T00:00:00Z",
            "0001-01-02T00:00:00Z",
            "2025-03-01T00:00:00Z",
            "2025-03-01T05:30:00+05:30",
            "2025-03-01T00:00:00.0000001Z",
        ]
        .map(str::to_owned),
    );
    for text in &texts {
        let id = post(&app, &ours, Some(text)).await;
        written.0.push((id, Some(ticks(text))));
    }
    // Another tenant's events in the same days must not count.
    for i in 0..40 {
        post(&app, &theirs, Some(&literal(start + i * 17 * 60 * MINUTE))).await;
    }

    check(
        &app,
        &ours,
        &written,
        "2025-03-01T00:00:00Z",
        "2025-03-15T00:00:00Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "2025-02-21T13:17:00Z",
        "2025-03-09T01:00:00.5Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "2025-03-01T00:00:00.0000001Z",
        "2025-03-01T00:00:00.0000002Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "2025-03-02T10:00:00Z",
        "2025-03-02T11:00:00Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "1969-12-31T00:00:00Z",
        "1970-01-02T00:00:00Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "2025-03-10T00:00:00+14:00",
        "2025-03-20T00:00:00-12:00",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "2025-03-05T00:00:00Z",
        "2025-03-01T00:00:00Z",
    )
    .await;

    // One-sided ranges, `gt`/`le`, `eq` and literals on the left.
    let (earliest, latest) = (ticks("0001-01-01T00:00:00Z"), ticks("9999-12-31T00:00:00Z"));
    let midnight = ticks("2025-03-01T00:00:00Z");
    let all_dated = written.between(earliest, latest);
    assert_eq!(
        count(&app, &ours, "eventDateTime ge 0001-01-01T00:00:00Z").await,
        all_dated
    );
    let before = written.between(earliest, midnight + 1);
    assert_eq!(
        count(&app, &ours, "eventDateTime le 2025-03-01T00:00:00Z").await,
        before
    );
    assert_eq!(
        count(&app, &ours, "2025-03-01T00:00:00Z ge eventDateTime").await,
        before
    );
    let after = all_dated - before;
    assert_eq!(
        count(&app, &ours, "eventDateTime gt 2025-03-01T00:00:00Z").await,
        after
    );
    let at_midnight = written.between(midnight, midnight + 1);
    assert_eq!(at_midnight, 2);
    assert_eq!(
        count(&app, &ours, "eventDateTime eq 2025-03-01T00:00:00Z").await,
        at_midnight
    );

    // The counts are what answers: a day's count changed behind the service's back shows.
    let counts = "\"autopilot_events__counts__eventDateTime\"";
    let first_day = format!("(SELECT MIN(\"bucket\") FROM {counts})");
    app.sql(
        &format!("UPDATE {counts} SET \"n\" = \"n\" + 1000 WHERE \"bucket\" = {first_day}"),
        &[],
    )
    .await;
    assert_eq!(
        count(&app, &ours, "eventDateTime ge 0001-01-01T00:00:00Z").await,
        all_dated + 1000
    );
    app.sql(
        &format!("UPDATE {counts} SET \"n\" = \"n\" - 1000 WHERE \"bucket\" = {first_day}"),
        &[],
    )
    .await;

    // Updates move an event between days or out of every range; deletes remove it.
    let patch = |index: usize, at: Option<&'static str>| {
        let id = written.0[index].0.clone();
        let request = app
            .patch_json(&format!("{EVENTS}/{id}"), &json!({"eventDateTime": at}))
            .bearer_auth(&ours);
        async move { assert!(request.send().await.unwrap().status().is_success()) }
    };
    let last = written.0.len() - 1;
    patch(10, Some("2025-03-03T12:00:00Z")).await;
    patch(40, Some("2025-03-04T23:59:59.9999999Z")).await;
    patch(last, Some("2025-03-03T00:00:00Z")).await;
    written.0[10].1 = Some(ticks("2025-03-03T12:00:00Z"));
    written.0[40].1 = Some(ticks("2025-03-04T23:59:59.9999999Z"));
    written.0[last].1 = Some(ticks("2025-03-03T00:00:00Z"));
    // A null instant (the service never writes one: eventDateTime is required) leaves
    // its day's count, through the same triggers.
    let nulled = written.0[50].0.clone();
    app.sql(
        "UPDATE \"autopilot_events\" SET \"eventDateTime__utc\" = NULL WHERE \"id\" = $1",
        &[&nulled],
    )
    .await;
    written.0[50].1 = None;
    let deleted: Vec<String> = [20, 21, 60].map(|i| written.0[i].0.clone()).into();
    for id in &deleted {
        let r = app
            .client
            .delete(app.url(&format!("{EVENTS}/{id}")))
            .bearer_auth(&ours)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    written.0.retain(|(id, _)| !deleted.contains(id));
    check(
        &app,
        &ours,
        &written,
        "2025-02-20T00:00:00Z",
        "2025-03-30T00:00:00Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "2025-03-03T00:00:00Z",
        "2025-03-04T00:00:00Z",
    )
    .await;
    check(
        &app,
        &ours,
        &written,
        "2025-02-21T06:00:00Z",
        "2025-03-12T18:00:00Z",
    )
    .await;
}
