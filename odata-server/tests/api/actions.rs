//! Bound actions on the shop model: an effect that updates the bound entity from its stored
//! state and a parameter, one that links other entities (Int64 keys) to it, and one the
//! service gives no effect.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app};

async fn created(app: &TestApp, path: &str, body: &Value) {
    let r = app.post_json(path, body).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

/// Sends the request; asserts the status and, for errors, the target.
async fn expect(app: &TestApp, path: &str, body: &Value, status: StatusCode, target: Option<&str>) {
    let r = app.post_json(path, body).send().await.unwrap();
    assert_eq!(r.status(), status, "{path} {body}");
    if let Some(target) = target {
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"]["target"], target, "{error}");
    }
}

#[tokio::test]
async fn an_update_effect_reads_the_stored_entity_and_checks_its_parameters() {
    let app = spawn_app().await;
    created(&app, "products", &product("p1")).await;
    let before = app.get_json("products('p1')").await;
    let stock = before["stock"].as_i64().unwrap();
    for name in ["restock", "shop.restock", "example.shop.restock"] {
        expect(
            &app,
            &format!("products('p1')/{name}"),
            &json!({"quantity": 2}),
            StatusCode::NO_CONTENT,
            None,
        )
        .await;
    }
    let after = app.get_json("products('p1')").await;
    assert_eq!(after["stock"].as_i64().unwrap(), stock + 6);
    assert_ne!(
        after["@odata.etag"], before["@odata.etag"],
        "a write changes the ETag"
    );
    assert_ne!(after["modifiedAt"], Value::Null);
    let path = "products('p1')/restock";
    for (body, target) in [
        (json!({}), "quantity"),
        (json!({"quantity": "2"}), "quantity"),
        (json!({"quantity": 0}), "quantity"),
        (json!({"quantity": 1, "extra": 1}), "extra"),
    ] {
        expect(&app, path, &body, StatusCode::BAD_REQUEST, Some(target)).await;
    }
    assert_eq!(
        app.get_json("products('p1')").await["stock"],
        after["stock"]
    );
    expect(
        &app,
        "products('nope')/restock",
        &json!({"quantity": 1}),
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    // If-Match guards the bound entity.
    let r = app
        .post_json(path, &json!({"quantity": 1}))
        .header("If-Match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = app
        .post_json(path, &json!({"quantity": 1}))
        .header("If-Match", after["@odata.etag"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .client
        .post(app.url(path))
        .header("Content-Type", "text/plain")
        .body("{\"quantity\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "POST");
}

#[tokio::test]
async fn a_link_effect_links_all_or_nothing() {
    let app = spawn_app().await;
    for sku in ["p1", "p2"] {
        created(&app, "products", &product(sku)).await;
    }
    for number in [1, 2, 3] {
        created(
            &app,
            "orders",
            &json!({"number": number, "product@odata.bind": "products('p2')"}),
        )
        .await;
    }
    let claim = "products('p1')/claim";
    // One order that does not exist: nothing is linked.
    expect(
        &app,
        claim,
        &json!({"orders": [1, 99]}),
        StatusCode::BAD_REQUEST,
        Some("orders"),
    )
    .await;
    expect(
        &app,
        claim,
        &json!({"orders": ["x"]}),
        StatusCode::BAD_REQUEST,
        Some("orders[0]"),
    )
    .await;
    assert_eq!(app.get_json("products('p1')/orders/$count").await, json!(0));
    expect(
        &app,
        claim,
        &json!({"orders": [1, 3]}),
        StatusCode::NO_CONTENT,
        None,
    )
    .await;
    let numbers = |body: Value| -> Vec<i64> {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["number"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        numbers(app.get_json("products('p1')/orders?$orderby=number").await),
        [1, 3]
    );
    assert_eq!(numbers(app.get_json("products('p2')/orders").await), [2]);
}

#[tokio::test]
async fn an_action_without_an_effect_is_not_implemented() {
    let app = spawn_app().await;
    created(&app, "products", &product("p1")).await;
    expect(
        &app,
        "products('p1')/discontinue",
        &json!({}),
        StatusCode::NOT_IMPLEMENTED,
        None,
    )
    .await;
    expect(
        &app,
        "products('p1')/nonsense",
        &json!({}),
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}
