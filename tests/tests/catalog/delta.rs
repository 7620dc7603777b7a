//! MODEL.md §6.10 (change tracking on `Products`) and §5.9 (a reseed makes earlier delta
//! tokens gone).

use acceptance_tests::{TestApp, spawn_catalog};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MOUSE: &str = "a0000000-0000-4000-8000-000000000002";
const MUG: &str = "a0000000-0000-4000-8000-000000000003";

async fn get(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = app.client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The delta link of `GET <path>` with `Prefer: odata.track-changes`, checking the answer.
async fn delta_link(app: &TestApp, path: &str) -> String {
    let response = app
        .get(path)
        .header("Prefer", "odata.track-changes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["preference-applied"],
        "odata.track-changes"
    );
    let body: Value = response.json().await.unwrap();
    let link = body["@odata.deltaLink"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&app.url("Products?")), "{link}");
    assert!(link.contains("$deltatoken="), "{link}");
    link
}

fn entries(body: &Value) -> &Vec<Value> {
    body["value"].as_array().unwrap()
}

#[tokio::test]
async fn products_report_their_changes_through_delta_links() {
    let app = spawn_catalog().await;
    let link = delta_link(&app, "Products").await;
    let created = app
        .post_json("Products", &json!({"Name": "Desk Lamp", "Price": 39.9}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let lamp: Value = created.json().await.unwrap();
    let patched = app
        .patch_json(&format!("Products({MOUSE})"), &json!({"Price": 19.99}))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success());
    let deleted = app
        .client
        .delete(app.url(&format!("Products({MUG})")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let (status, body) = get(&app, &link, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["@odata.context"],
        format!("{}/$metadata#Products/$delta", app.root)
    );
    let changed: Vec<&Value> = entries(&body)
        .iter()
        .filter(|e| e.get("@odata.removed").is_none())
        .collect();
    assert_eq!(changed.len(), 2, "{body}");
    let mouse = changed.iter().find(|e| e["ID"] == MOUSE).unwrap();
    assert_eq!(mouse["Price"], 19.99);
    assert_eq!(mouse["Version"], 2);
    assert_eq!(mouse["Name"], "Wireless Mouse", "the full representation");
    assert!(changed.iter().any(|e| e["ID"] == lamp["ID"]));
    let removed: Vec<&Value> = entries(&body)
        .iter()
        .filter(|e| e.get("@odata.removed").is_some())
        .collect();
    assert_eq!(removed.len(), 1, "{body}");
    assert_eq!(removed[0]["@odata.removed"], json!({"reason": "deleted"}));
    assert_eq!(removed[0]["ID"], MUG);
    let id = removed[0]["@odata.id"].as_str().unwrap();
    assert!(
        id.starts_with(&app.url("Products")) && id.contains(MUG),
        "{id}"
    );
    let next = body["@odata.deltaLink"].as_str().unwrap();
    let (_, empty) = get(&app, next, &[]).await;
    assert_eq!(entries(&empty).len(), 0, "{empty}");

    // OData-MaxVersion 4.0: the 4.0 deleted-entity form.
    let (status, old) = get(&app, &link, &[("OData-MaxVersion", "4.0")]).await;
    assert_eq!(status, StatusCode::OK);
    let deleted: Vec<&Value> = entries(&old)
        .iter()
        .filter(|e| e.get("reason").is_some())
        .collect();
    assert_eq!(deleted.len(), 1, "{old}");
    assert_eq!(
        deleted[0]["@odata.context"],
        format!("{}/$metadata#Products/$deletedEntity", app.root)
    );
    assert_eq!(deleted[0]["id"], id);
    assert_eq!(deleted[0]["reason"], "deleted");
}

#[tokio::test]
async fn the_defining_query_is_kept_and_other_sets_ignore_the_preference() {
    let app = spawn_catalog().await;
    let link = delta_link(&app, "Products?$filter=Price lt 100&$select=Name,Price").await;
    assert!(link.contains("$select=Name,Price"), "{link}");
    assert!(link.contains("$filter="), "{link}");
    let patched = app
        .patch_json(
            &format!("Products({MOUSE})"),
            &json!({"Name": "Quiet Mouse"}),
        )
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success());
    let (status, body) = get(&app, &link, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(entries(&body).len(), 1, "{body}");
    assert_eq!(entries(&body)[0]["Name"], "Quiet Mouse");
    assert!(entries(&body)[0].get("Status").is_none(), "$select kept");

    let response = app
        .get("Categories")
        .header("Prefer", "odata.track-changes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("preference-applied").is_none());
    let body: Value = response.json().await.unwrap();
    assert!(body.get("@odata.deltaLink").is_none());

    for url in [
        app.url("Products?$deltatoken=not-a-token"),
        format!("{link}x"),
        format!("{link}&$top=1"),
    ] {
        let (status, body) = get(&app, &url, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}");
        assert!(body["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn a_reseed_makes_earlier_delta_tokens_gone() {
    let app = spawn_catalog().await;
    let link = delta_link(&app, "Products").await;
    let reseeded = app.client.post(app.url("Reseed")).send().await.unwrap();
    assert_eq!(reseeded.status(), StatusCode::OK);
    let (status, body) = get(&app, &link, &[]).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(body["error"]["message"].is_string());
    // A link issued after the reset works.
    let fresh = delta_link(&app, "Products").await;
    let (status, body) = get(&app, &fresh, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(entries(&body).len(), 0, "{body}");
}
