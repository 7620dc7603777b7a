use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app, spawn_with};

/// Asserts the OData error shape and returns the error object.
async fn error_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["odata-version"], "4.01");
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    let error = body["error"].clone();
    assert!(error["code"].is_string(), "{body}");
    assert!(error["message"].is_string(), "{body}");
    assert_eq!(error["innerError"]["request-id"], request_id.as_str());
    assert_eq!(error["innerError"]["date"].as_str().unwrap().len(), 19);
    error
}

async fn count(app: &TestApp) -> String {
    app.get("products/$count")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn bad_bodies_are_rejected_naming_the_property_and_store_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"sku": "x", "bogus": 1}), "bogus", "does not exist"),
        (json!({"sku": "x", "stock": "3"}), "stock", "Edm.Int32"),
        (
            json!({"sku": "x", "stock": 2_147_483_648_i64}),
            "stock",
            "range",
        ),
        (json!({"sku": "x", "stock": 1.5}), "stock", "range"),
        (
            json!({"sku": "x", "color": "purple"}),
            "color",
            "red, green, blue",
        ),
        (
            json!({"sku": "x", "color": "String"}),
            "color",
            "Allowed members",
        ),
        (
            json!({"sku": "x", "releasedAt": "2016-13-01T00:00:00Z"}),
            "releasedAt",
            "DateTimeOffset",
        ),
        (
            json!({"sku": "x", "warranty": "P1Y"}),
            "warranty",
            "Duration",
        ),
        (
            json!({"sku": "x", "stock": null}),
            "stock",
            "cannot be null",
        ),
        (
            json!({"sku": "x", "name": "a name that is far too long"}),
            "name",
            "maximum length",
        ),
        (
            json!({"sku": "x", "dimensions": {"width": 1, "depth": 2}}),
            "dimensions/depth",
            "does not exist",
        ),
        (
            json!({"sku": "x", "dimensions": {"unit": "pink", "width": 1}}),
            "dimensions/unit",
            "members",
        ),
        (json!({"sku": "x", "tags": [1]}), "tags[0]", "Edm.String"),
        (
            json!({"sku": "x", "createdAt": "2020-01-01T00:00:00Z"}),
            "createdAt",
            "read-only",
        ),
        (
            json!({"@odata.type": "#example.shop.order", "sku": "x"}),
            "@odata.type",
            "not 'example.shop.product'",
        ),
    ];
    for (body, target, fragment) in cases {
        let r = app.post_json("products", &body).send().await.unwrap();
        let error = error_of(r, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["target"], target, "{body}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(fragment), "{body}: {message}");
    }
    assert_eq!(count(&app).await, "0");
}

#[tokio::test]
async fn malformed_json_and_wrong_media_type() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("products"))
        .header("Content-Type", "application/json")
        .body("{\"sku\": ")
        .send()
        .await
        .unwrap();
    let e = error_of(r, StatusCode::BAD_REQUEST).await;
    assert!(e["message"].as_str().unwrap().contains("line 1"));
    let r = app
        .client
        .post(app.url("products"))
        .header("Content-Type", "application/json")
        .body("[1]")
        .send()
        .await
        .unwrap();
    error_of(r, StatusCode::BAD_REQUEST).await;
    let r = app
        .client
        .post(app.url("products"))
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    error_of(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let r = app
        .client
        .post(app.url("products"))
        .body("{}")
        .send()
        .await
        .unwrap();
    error_of(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(count(&app).await, "0");
}

#[tokio::test]
async fn duplicate_key_is_a_conflict() {
    let app = spawn_app().await;
    let first = app
        .post_json("products", &product("dup"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let mut changed = product("dup");
    changed["stock"] = json!(99);
    let second = app.post_json("products", &changed).send().await.unwrap();
    error_of(second, StatusCode::CONFLICT).await;
    let body: Value = app.get_json("products/dup").await;
    assert_eq!(body["stock"], 3, "the conflicting write changed nothing");
}

/// U+0000 in a written string or a key: SQLite stores and finds it; PostgreSQL text cannot
/// hold it, so there the request is a 400 and nothing is stored — never a 500.
#[tokio::test]
async fn a_nul_character_in_text_is_stored_or_refused_never_a_server_error() {
    let app = spawn_app().await;
    let mut body = product("nul");
    body["name"] = json!("a\u{0}b");
    let r = app.post_json("products", &body).send().await.unwrap();
    let key_read = app.get("products('x%00y')").send().await.unwrap();
    if crate::helpers::on_postgres() {
        let error = error_of(r, StatusCode::BAD_REQUEST).await;
        assert!(
            error["message"].as_str().unwrap().contains("U+0000"),
            "{error}"
        );
        error_of(key_read, StatusCode::BAD_REQUEST).await;
        assert_eq!(count(&app).await, "0");
    } else {
        assert_eq!(r.status(), StatusCode::CREATED);
        let stored: Value = app.get_json("products/nul").await;
        assert_eq!(stored["name"], "a\u{0}b");
        error_of(key_read, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn patch_errors_leave_the_entity_unchanged() {
    let app = spawn_app().await;
    app.post_json("products", &product("p"))
        .send()
        .await
        .unwrap();
    for body in [
        json!({"stock": 5, "color": "nope"}),
        json!({"sku": "other"}),
        json!({"@odata.type": "#example.shop.order"}),
    ] {
        let r = app.patch_json("products/p", &body).send().await.unwrap();
        error_of(r, StatusCode::BAD_REQUEST).await;
    }
    let body: Value = app.get_json("products/p").await;
    assert_eq!(body["stock"], 3);
    let r = app
        .patch_json("products/missing", &json!({"stock": 1}))
        .send()
        .await
        .unwrap();
    let e = error_of(r, StatusCode::NOT_FOUND).await;
    assert!(e["message"].as_str().unwrap().contains("'missing'"));
}

#[tokio::test]
async fn unknown_resources_methods_and_formats() {
    let app = spawn_app().await;
    error_of(
        app.get("nothing").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    error_of(
        app.get("products/x/nothing").send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let outside = app
        .client
        .get(app.root.replace("/odata", "/elsewhere"))
        .send()
        .await
        .unwrap();
    error_of(outside, StatusCode::NOT_FOUND).await;
    let r = app.client.delete(app.url("products")).send().await.unwrap();
    assert_eq!(r.headers()["allow"], "GET, POST");
    error_of(r, StatusCode::METHOD_NOT_ALLOWED).await;
    let r = app.client.post(app.url("$metadata")).send().await.unwrap();
    assert_eq!(r.headers()["allow"], "GET");
    error_of(r, StatusCode::METHOD_NOT_ALLOWED).await;
    let r = app
        .get("products")
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    error_of(r, StatusCode::NOT_ACCEPTABLE).await;
    let r = app.get("products?$format=atom").send().await.unwrap();
    error_of(r, StatusCode::NOT_ACCEPTABLE).await;
    let r = app.get("products?$bogus=1").send().await.unwrap();
    error_of(r, StatusCode::BAD_REQUEST).await;
    let r = app
        .get("products?$format=json&$format=json")
        .send()
        .await
        .unwrap();
    error_of(r, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn oversize_body_is_413_and_the_service_keeps_serving() {
    let app = spawn_with(|s| s.max_body_bytes = 1024).await;
    let mut big = product("big");
    big["name"] = json!("x".repeat(4096));
    let r = app.post_json("products", &big).send().await.unwrap();
    error_of(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    let ok = app
        .post_json("products", &product("small"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn request_ids_on_every_response() {
    let app = spawn_app().await;
    let r = app
        .get("products")
        .header("client-request-id", "my-id-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["client-request-id"], "my-id-1");
    let id = r.headers()["request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    let r = app
        .get("nothing")
        .header("client-request-id", "my-id-2")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["request-id"].to_str().unwrap(), id);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["innerError"]["client-request-id"], "my-id-2");
}

/// Operators over null-typed operands (`-(null add null)` through aliases) are null, on
/// PostgreSQL too, which cannot choose an operator for an untyped NULL.
#[tokio::test]
async fn operators_over_nulls_are_null_not_a_database_error() {
    let app = spawn_app().await;
    for query in [
        "$filter=@a0 and @a1&@a0=-@a1&@a1=@a2 add @a2&@a2=null",
        "$filter=@a0 eq null&@a0=-(null add null)",
        "$orderby=@a0&@a0=-(null mul null)",
    ] {
        let r = app.get(&format!("products?{query}")).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{query}: {}",
            r.text().await.unwrap()
        );
    }
}
