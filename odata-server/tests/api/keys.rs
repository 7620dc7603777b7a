use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{product, spawn_app};

#[tokio::test]
async fn every_key_form_addresses_the_same_entity() {
    let app = spawn_app().await;
    let created = app
        .post_json("products", &product("it's a/b"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.headers()["location"],
        app.url("products('it''s%20a%2Fb')").as_str()
    );
    for path in [
        "products('it''s%20a%2Fb')",
        "products(sku='it''s%20a%2Fb')",
        "products/it's%20a%2Fb",
        "products%28%27it%27%27s%20a%2Fb%27%29",
    ] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["sku"], "it's a/b", "{path}");
    }
    for bad in [
        "products(nokey='x')",
        "products('unterminated)",
        "products(sku='a',sku='b')",
    ] {
        let r = app.get(bad).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn integer_keys_must_be_supplied_and_valid() {
    let app = spawn_app().await;
    let r = app
        .post_json("orders", &json!({"customer": "c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post_json(
            "orders",
            &json!({"number": 42, "customer": "c", "placed": "2024-02-29"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], app.url("orders(42)").as_str());
    for path in ["orders(42)", "orders/42", "orders(number=42)"] {
        let body: Value = app.get_json(path).await;
        assert_eq!(body["placed"], "2024-02-29", "{path}");
    }
    // A well-formed literal of another type addresses no entity.
    for path in [
        "orders('42')",
        "orders/4x",
        "orders(4.5)",
        "orders(number='x')",
    ] {
        assert_eq!(
            app.get(path).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        app.get("orders('42)").send().await.unwrap().status(),
        StatusCode::BAD_REQUEST,
        "malformed"
    );
    assert_eq!(
        app.get("orders(7)").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
