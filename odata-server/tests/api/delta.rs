//! Change tracking: `Prefer: odata.track-changes`, delta links and delta responses, on the
//! foreign-key model (`groups`, `items` and `notes` track changes, `badges` does not) and,
//! for tenant isolation, on the secured shop model.

use std::time::Duration;

use odata_server::auth::Permissions;
use odata_server::config::{AuthConfig, Settings};
use odata_server::dataset::{self, Dataset};
use odata_server::service::{CollectionDef, Service};
use odata_server::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::foreign_keys::{builder_tracking, migrations};
use crate::helpers::{TestApp, spawn_service};
use crate::secure_helpers::{READ, READ_WRITE, hs256_config, writer};

const TRACK: (&str, &str) = ("Prefer", "odata.track-changes");

async fn app() -> TestApp {
    app_with(|_| {}).await
}

async fn app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let service = builder_tracking(true).build().unwrap();
    let app = spawn_service(service, migrations(), configure).await;
    for (id, name) in [(1, "red"), (2, "blue")] {
        let created = app
            .post_json("groups", &json!({"id": id, "name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    for body in [
        json!({"id": 1, "label": "one", "groupId": 1, "notes": [{"lang": "en"}, {"lang": "fr"}]}),
        json!({"id": 2, "label": "two", "groupId": 1}),
        json!({"id": 3, "label": "three", "groupId": 2}),
    ] {
        let created = app.post_json("items", &body).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    app
}

/// GET of an absolute URL (a link the service returned) with optional headers.
async fn follow(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = app.client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The delta link of a tracked read of `path` (following next links to the last page).
async fn delta_link(app: &TestApp, path: &str) -> String {
    let (status, mut body) = follow(app, &app.url(path), &[TRACK]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    while let Some(next) = body["@odata.nextLink"].as_str().map(str::to_owned) {
        assert!(body.get("@odata.deltaLink").is_none(), "{body}");
        body = follow(app, &next, &[TRACK]).await.1;
    }
    body["@odata.deltaLink"]
        .as_str()
        .unwrap_or_else(|| panic!("no delta link: {body}"))
        .to_owned()
}

fn values(body: &Value) -> &Vec<Value> {
    body["value"].as_array().unwrap()
}

/// The entries of a delta response that are entities (not removals), by `id`.
fn changed_ids(body: &Value) -> Vec<i64> {
    values(body)
        .iter()
        .filter(|v| v.get("@odata.removed").is_none())
        .map(|v| v["id"].as_i64().unwrap())
        .collect()
}

fn removed(body: &Value) -> Vec<&Value> {
    values(body)
        .iter()
        .filter(|v| v.get("@odata.removed").is_some())
        .collect()
}

#[tokio::test]
async fn tracked_reads_apply_the_preference_and_end_with_a_delta_link() {
    let app = app().await;
    let response = app
        .get("items?$filter=groupId ne 9&$select=label&$top=3&$orderby=id desc")
        .header("Prefer", "odata.track-changes, odata.maxpagesize=2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let applied = response.headers()["preference-applied"].to_str().unwrap();
    assert!(applied.contains("odata.track-changes"), "{applied}");
    assert!(applied.contains("odata.maxpagesize=2"), "{applied}");
    let body: Value = response.json().await.unwrap();
    assert!(
        body.get("@odata.deltaLink").is_none(),
        "not on a page with a next link"
    );
    let next = body["@odata.nextLink"].as_str().unwrap().to_owned();
    // The next page carries the tracking on, with or without the header.
    let (_, last) = follow(&app, &next, &[]).await;
    assert!(last.get("@odata.nextLink").is_none());
    let link = last["@odata.deltaLink"].as_str().unwrap();
    assert!(link.starts_with(&app.url("items?")), "{link}");
    assert!(link.contains("$filter=groupId%20ne%209") || link.contains("$filter=groupId ne 9"));
    assert!(link.contains("$select=label"), "{link}");
    assert!(link.contains("$deltatoken="), "{link}");
    for dropped in ["$top", "$orderby", "$skiptoken", "maxpagesize"] {
        assert!(!link.contains(dropped), "{link}");
    }
    // The 4.01 spelling is echoed as sent.
    let response = app
        .get("items")
        .header("Prefer", "track-changes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["preference-applied"], "track-changes");
    let body: Value = response.json().await.unwrap();
    assert!(body["@odata.deltaLink"].is_string());
}

#[tokio::test]
async fn collections_without_tracking_ignore_the_preference() {
    let app = app().await;
    let created = app
        .post_json("badges", &json!({"id": 1, "groupId": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let response = app
        .get("badges")
        .header(TRACK.0, TRACK.1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("preference-applied").is_none());
    let body: Value = response.json().await.unwrap();
    assert!(body.get("@odata.deltaLink").is_none(), "{body}");
    assert_eq!(values(&body).len(), 1);
    // A tracked collection read without the preference has no delta link either.
    let body = app.get_json("items").await;
    assert!(body.get("@odata.deltaLink").is_none(), "{body}");
    // Nor does a type cast or navigation path of a tracked one.
    let response = app
        .get("groups(1)/items")
        .header(TRACK.0, TRACK.1)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("preference-applied").is_none());
    // A delta token on an untracked collection is a 400.
    let response = app.get("badges?$deltatoken=abc").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["target"], "$deltatoken");
}

#[tokio::test]
async fn delta_responses_list_creates_updates_and_deletes_once_each() {
    let app = app().await;
    let link = delta_link(&app, "items").await;

    // Nothing changed yet: an empty delta and a new link.
    let (status, body) = follow(&app, &link, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["@odata.context"],
        format!("{}/$metadata#items/$delta", app.root)
    );
    assert_eq!(values(&body).len(), 0);
    assert!(body["@odata.deltaLink"].is_string());

    let created = app
        .post_json("items", &json!({"id": 4, "label": "four", "groupId": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    for label in ["deux", "zwei"] {
        let patched = app
            .patch_json("items(2)", &json!({"label": label}))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), StatusCode::OK);
    }
    let deleted = app.client.delete(app.url("items(3)")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let (status, body) = follow(&app, &link, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut ids = changed_ids(&body);
    ids.sort_unstable();
    assert_eq!(ids, [2, 4], "{body}");
    let two = values(&body).iter().find(|v| v["id"] == 2).unwrap();
    assert_eq!(two["label"], "zwei", "the current state");
    assert_eq!(two["groupId"], 1, "the full representation");
    let four = values(&body).iter().find(|v| v["id"] == 4).unwrap();
    assert_eq!(four["label"], "four");
    assert_eq!(
        removed(&body),
        [&json!({
            "@odata.removed": {"reason": "deleted"},
            "@odata.id": app.url("items(3)"),
            "id": 3
        })]
    );
    assert!(body.get("@odata.nextLink").is_none());
    let newer = body["@odata.deltaLink"].as_str().unwrap().to_owned();

    // The old link still lists the same; the new one nothing until the next change.
    let (_, again) = follow(&app, &link, &[]).await;
    assert_eq!(values(&again).len(), 3);
    let (_, empty) = follow(&app, &newer, &[]).await;
    assert_eq!(values(&empty).len(), 0, "{empty}");
    // A re-created key is a change again, not a removal.
    let created = app
        .post_json("items", &json!({"id": 3, "label": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let (_, body) = follow(&app, &newer, &[]).await;
    assert_eq!(changed_ids(&body), [3]);
    assert!(removed(&body).is_empty());
}

#[tokio::test]
async fn references_cascades_and_unlinks_are_changes() {
    let app = app().await;
    let items = delta_link(&app, "items").await;
    let notes = delta_link(&app, "notes").await;
    let groups = delta_link(&app, "groups").await;

    // A $ref change is a change of the item holding the reference.
    let unset = app
        .client
        .delete(app.url("items(3)/group/$ref"))
        .send()
        .await
        .unwrap();
    assert_eq!(unset.status(), StatusCode::NO_CONTENT);
    let (_, body) = follow(&app, &items, &[]).await;
    assert_eq!(changed_ids(&body), [3]);
    assert_eq!(values(&body)[0]["groupId"], Value::Null);
    let items = body["@odata.deltaLink"].as_str().unwrap().to_owned();

    // Deleting group 1 unlinks items 1 and 2 (their foreign key is cleared).
    let deleted = app
        .client
        .delete(app.url("groups(1)"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (_, body) = follow(&app, &items, &[]).await;
    let mut ids = changed_ids(&body);
    ids.sort_unstable();
    assert_eq!(ids, [1, 2], "{body}");
    assert!(values(&body).iter().all(|v| v["groupId"].is_null()));
    let (_, body) = follow(&app, &groups, &[]).await;
    assert_eq!(removed(&body).len(), 1);
    assert_eq!(removed(&body)[0]["id"], 1);

    // Deleting item 1 deletes its notes (OnDelete Cascade): removals with both key parts.
    let deleted = app.client.delete(app.url("items(1)")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (_, body) = follow(&app, &notes, &[]).await;
    let mut gone: Vec<(Value, Value, Value)> = removed(&body)
        .iter()
        .map(|r| {
            (
                r["itemId"].clone(),
                r["lang"].clone(),
                r["@odata.id"].clone(),
            )
        })
        .collect();
    gone.sort_by_key(|g| g.1.as_str().unwrap().to_owned());
    assert_eq!(
        gone,
        [
            (
                json!(1),
                json!("en"),
                json!(app.url("notes(itemId=1,lang='en')"))
            ),
            (
                json!(1),
                json!("fr"),
                json!(app.url("notes(itemId=1,lang='fr')"))
            ),
        ],
        "{body}"
    );
}

#[tokio::test]
async fn the_defining_filter_and_select_are_kept() {
    let app = app().await;
    let link = delta_link(&app, "items?$filter=groupId eq 1&$select=label").await;
    for (key, body) in [
        ("items(2)", json!({"label": "deux"})),
        // Leaves the filter: reported as removed because changed.
        ("items(1)", json!({"groupId": 2})),
        // Outside the filter before and after.
        ("items(3)", json!({"label": "trois"})),
    ] {
        let patched = app.patch_json(key, &body).send().await.unwrap();
        assert_eq!(patched.status(), StatusCode::OK);
    }
    let (status, body) = follow(&app, &link, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entities: Vec<&Value> = values(&body)
        .iter()
        .filter(|v| v.get("@odata.removed").is_none())
        .collect();
    assert_eq!(entities.len(), 1, "{body}");
    assert_eq!(entities[0]["label"], "deux");
    assert!(entities[0].get("groupId").is_none(), "$select kept: {body}");
    let reasons: Vec<(&Value, &Value)> = removed(&body)
        .iter()
        .map(|r| (&r["id"], &r["@odata.removed"]["reason"]))
        .collect();
    // Item 3 never matched; it may be reported as removed too, item 1 must be.
    assert!(reasons.contains(&(&json!(1), &json!("changed"))), "{body}");
    let next = body["@odata.deltaLink"].as_str().unwrap();
    assert!(next.contains("$select=label"), "{next}");
    assert!(next.contains("$filter="), "{next}");
}

#[tokio::test]
async fn the_4_0_format_reports_deleted_entities() {
    let app = app().await;
    let link = delta_link(&app, "items").await;
    let deleted = app.client.delete(app.url("items(2)")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, body) = follow(&app, &link, &[("OData-MaxVersion", "4.0")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        values(&body),
        &[json!({
            "@odata.context": format!("{}/$metadata#items/$deletedEntity", app.root),
            "id": app.url("items(2)"),
            "reason": "deleted"
        })]
    );
}

#[tokio::test]
async fn delta_responses_are_paged() {
    let app = app_with(|s| s.default_page_size = 2).await;
    let link = delta_link(&app, "items").await;
    for id in 10..15 {
        let created = app
            .post_json("items", &json!({"id": id}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let (_, mut body) = follow(&app, &link, &[]).await;
    let mut ids = changed_ids(&body);
    let mut pages = 1;
    while let Some(next) = body["@odata.nextLink"].as_str().map(str::to_owned) {
        assert!(body.get("@odata.deltaLink").is_none());
        assert!(next.contains("$deltatoken="), "{next}");
        // A change made while paging is reported by the next delta link, not lost.
        if pages == 1 {
            let patched = app
                .patch_json("items(10)", &json!({"label": "late"}))
                .send()
                .await
                .unwrap();
            assert_eq!(patched.status(), StatusCode::OK);
        }
        body = follow(&app, &next, &[]).await.1;
        ids.extend(changed_ids(&body));
        pages += 1;
    }
    assert_eq!(pages, 3);
    ids.sort_unstable();
    ids.dedup();
    assert!(ids.iter().all(|id| (10..15).contains(id)), "{ids:?}");
    assert!(ids.len() >= 4, "{ids:?}");
    let (_, after) = follow(&app, body["@odata.deltaLink"].as_str().unwrap(), &[]).await;
    assert!(changed_ids(&after).contains(&10), "{after}");
}

#[tokio::test]
async fn unusable_tokens_and_options_are_400() {
    let app = app().await;
    let link = delta_link(&app, "items?$filter=groupId eq 1").await;
    let token = link.split("$deltatoken=").nth(1).unwrap().to_owned();
    let mut flipped = token.clone().into_bytes();
    let middle = flipped.len() / 2;
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for (url, target) in [
        (app.url("items?$deltatoken=garbage"), "$deltatoken"),
        (
            app.url(&format!("items?$filter=groupId eq 1&$deltatoken={flipped}")),
            "$deltatoken",
        ),
        // Another defining query, another collection.
        (
            app.url(&format!("items?$filter=groupId eq 2&$deltatoken={token}")),
            "$deltatoken",
        ),
        (
            app.url(&format!("notes?$filter=itemId eq 1&$deltatoken={token}")),
            "$deltatoken",
        ),
        (format!("{link}&$top=1"), "$top"),
        (format!("{link}&$orderby=id"), "$orderby"),
        (format!("{link}&$count=true"), "$count"),
        (format!("{link}&$skip=1"), "$skip"),
    ] {
        let (status, body) = follow(&app, &url, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["target"], target, "{url}");
    }
    // $format may be added.
    let (status, _) = follow(&app, &format!("{link}&$format=json"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    // A single entity takes no delta token.
    let (status, _) = follow(
        &app,
        &app.url(&format!("items(1)?$deltatoken={token}")),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tokens_from_before_a_restore_are_gone() {
    let app = app().await;
    let link = delta_link(&app, "items").await;
    let service = builder_tracking(true).build().unwrap();
    let store = Store::connect(&app.database, 1, Duration::from_secs(5))
        .await
        .unwrap();
    let data = Dataset::new()
        .collection("groups", [json!({"id": 7, "name": "new"})])
        .collection("items", [json!({"id": 70, "groupId": 7})]);
    dataset::replace(&service, &store, "", &data).await.unwrap();
    store.close().await;
    let (status, body) = follow(&app, &link, &[]).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["error"]["code"], "Gone");
    assert_eq!(body["error"]["target"], "$deltatoken");
    // A new link works, and lists what changes after it.
    let fresh = delta_link(&app, "items").await;
    let patched = app
        .patch_json("items(70)", &json!({"label": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let (status, body) = follow(&app, &fresh, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed_ids(&body), [70]);
}

/// The secured shop with `products` tracking changes.
fn secured_tracking_service() -> Service {
    let model = crate::helpers::shop_service().model().clone();
    Service::builder(model)
        .collection(
            CollectionDef::new("products", "products")
                .permissions(Permissions::new(&[READ, READ_WRITE], &[READ_WRITE]))
                .inverse("orders", "orders", "product")
                .track_changes(),
        )
        .collection(CollectionDef::new("orders", "orders").reference("product", "products"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn changes_stay_in_their_tenant() {
    let database = crate::helpers::test_database().await;
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: database.url.clone(),
        base_path: "odata".into(),
        auth: AuthConfig::Bearer(hs256_config()),
        ..Settings::default()
    };
    let app = odata_server::app::Application::build(
        secured_tracking_service(),
        crate::helpers::migrations(),
        settings,
    )
    .await
    .unwrap();
    let root = format!("http://127.0.0.1:{}/odata", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let (a, b) = (writer("tenant-a"), writer("tenant-b"));
    let get =
        |url: String, token: &str| client.get(url).bearer_auth(token).header(TRACK.0, TRACK.1);
    let link_of = |body: &Value| body["@odata.deltaLink"].as_str().unwrap().to_owned();
    let body: Value = get(format!("{root}/products"), &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link_a = link_of(&body);
    let body: Value = get(format!("{root}/products"), &b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link_b = link_of(&body);
    let created = client
        .post(format!("{root}/products"))
        .bearer_auth(&a)
        .json(&crate::helpers::product("a-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = get(link_a.clone(), &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(values(&body).len(), 1);
    assert_eq!(values(&body)[0]["sku"], "a-1");
    let body: Value = get(link_b, &b).send().await.unwrap().json().await.unwrap();
    assert_eq!(values(&body).len(), 0, "{body}");
    // Tenant A's token does not open for tenant B.
    let response = get(link_a, &b).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
