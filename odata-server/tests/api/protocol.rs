//! Version negotiation, HEAD, `Allow` on 405 and refused snapshot isolation on the shop model.

use reqwest::StatusCode;

use crate::helpers::{product, spawn_app};

#[tokio::test]
async fn versions_are_negotiated_and_unsupported_ones_refused() {
    let app = spawn_app().await;
    let r = app.get("products").send().await.unwrap();
    assert_eq!(r.headers()["odata-version"], "4.01");
    let r = app
        .get("products")
        .header("OData-MaxVersion", "4.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["odata-version"], "4.0");
    let r = app
        .get("$metadata")
        .header("OData-MaxVersion", "4.02")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["odata-version"], "4.01");
    let r = app
        .get("products")
        .header("OData-MaxVersion", "3.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    assert_eq!(r.headers()["odata-version"], "4.01");
    let r = app
        .post_json("products", &product("v-1"))
        .header("OData-Version", "3.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post_json("products", &product("v-1"))
        .header("OData-Version", "4.0")
        .header("OData-MaxVersion", "4.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["odata-version"], "4.0");
    let count = app.get("products/$count").send().await.unwrap();
    assert_eq!(count.text().await.unwrap(), "1");
}

#[tokio::test]
async fn head_is_get_without_the_body() {
    let app = spawn_app().await;
    let created = app
        .post_json("products", &product("h-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    for path in [
        "products",
        "products('h-1')",
        "products/$count",
        "$metadata",
        "",
    ] {
        let get = app.get(path).send().await.unwrap();
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "{path}");
        for name in ["content-type", "content-length", "etag", "odata-version"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path}: {name}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn method_not_allowed_lists_the_allowed_methods() {
    let app = spawn_app().await;
    let r = app.client.put(app.url("products")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, POST");
    let r = app
        .client
        .post(app.url("products('x')"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, PATCH, PUT, DELETE");
}

#[tokio::test]
async fn snapshot_isolation_is_precondition_failed() {
    let app = spawn_app().await;
    for header in ["Isolation", "OData-Isolation"] {
        let r = app
            .get("products")
            .header(header, "snapshot")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED, "{header}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], header);
    }
}
