//! MODEL.md §6.1, §6.12, §6.13 on the catalog: batches, conditional reads, preferences.

use acceptance_tests::spawn_catalog;
use reqwest::StatusCode;
use serde_json::{Value, json};

const LAPTOP: &str = "Products(a0000000-0000-4000-8000-000000000001)";

#[tokio::test]
async fn a_json_batch_runs_an_atomicity_group_all_or_nothing() {
    let app = spawn_catalog().await;
    let batch = |requests: Value| {
        app.client
            .post(app.url("$batch"))
            .json(&json!({ "requests": requests }))
            .send()
    };
    let ok = batch(json!([
        {"id": "1", "atomicityGroup": "g", "method": "POST", "url": "Categories",
         "headers": {"content-type": "application/json"}, "body": {"Name": "Garden"}},
        {"id": "2", "atomicityGroup": "g", "method": "PATCH", "url": LAPTOP,
         "headers": {"content-type": "application/json"}, "body": {"Price": 1000.0}}
    ]))
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    let statuses: Vec<i64> = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 204]);

    // A failing member rolls the whole group back.
    let failed = batch(json!([
        {"id": "1", "atomicityGroup": "g", "method": "POST", "url": "Categories",
         "headers": {"content-type": "application/json"}, "body": {"Name": "Toys"}},
        {"id": "2", "atomicityGroup": "g", "method": "POST", "url": "Categories",
         "headers": {"content-type": "application/json"}, "body": {"Name": "Garden"}}
    ]))
    .await
    .unwrap();
    assert_eq!(failed.status(), StatusCode::OK);
    let toys = app
        .get_json("Categories?$filter=Name eq 'Toys'&$count=true")
        .await;
    assert_eq!(toys["@odata.count"], 0, "rolled back");
    assert_eq!(app.get_json(LAPTOP).await["Price"], json!(1000.0));
}

#[tokio::test]
async fn conditional_requests_and_preferences() {
    let app = spawn_catalog().await;
    let laptop = app.get(LAPTOP).send().await.unwrap();
    let etag = laptop.headers()["etag"].to_str().unwrap().to_owned();
    let unchanged = app
        .get(LAPTOP)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    let other = app
        .get(LAPTOP)
        .header("If-None-Match", "W/\"99\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    let guarded = app
        .patch_json(LAPTOP, &json!({"Price": 1.0}))
        .header("If-None-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(guarded.status(), StatusCode::PRECONDITION_FAILED);
    let missing = app
        .patch_json(
            "Products(00000000-0000-0000-0000-000000000000)",
            &json!({"Price": 1.0}),
        )
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let omitted = app
        .get(LAPTOP)
        .header("Prefer", "omit-values=nulls")
        .send()
        .await
        .unwrap();
    assert_eq!(omitted.headers()["preference-applied"], "omit-values=nulls");
    let body: Value = omitted.json().await.unwrap();
    assert!(body.get("Description").is_none() && body.get("SerialNumber").is_none());
    assert_eq!(body["Name"], "Laptop");
    // The 4.0-style spelling is honoured and echoed as sent.
    let prefixed = app
        .get("Products?$select=Name,Description")
        .header("Prefer", "odata.omit-values=nulls")
        .send()
        .await
        .unwrap();
    assert_eq!(
        prefixed.headers()["preference-applied"],
        "odata.omit-values=nulls"
    );
    let body: Value = prefixed.json().await.unwrap();
    assert!(body["value"][0].get("Description").is_none());

    let paged = app
        .get("Products?$select=Name")
        .header("Prefer", "odata.maxpagesize=3")
        .send()
        .await
        .unwrap();
    assert_eq!(paged.headers()["preference-applied"], "odata.maxpagesize=3");
    let page: Value = paged.json().await.unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 3);
    assert!(
        page["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$skiptoken=")
    );

    let old_version = app
        .get("Products")
        .header("OData-MaxVersion", "3.0")
        .send()
        .await
        .unwrap();
    assert_eq!(old_version.status(), StatusCode::NOT_ACCEPTABLE);
    let snapshot = app
        .get("Products")
        .header("OData-Isolation", "snapshot")
        .send()
        .await
        .unwrap();
    assert_eq!(snapshot.status(), StatusCode::PRECONDITION_FAILED);
    let error = app
        .get("Products(00000000-0000-0000-0000-000000000000)")
        .send()
        .await
        .unwrap();
    assert_eq!(error.headers()["content-language"], "en");
    let head = app.client.head(app.url(LAPTOP)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().contains_key("etag"));
}
