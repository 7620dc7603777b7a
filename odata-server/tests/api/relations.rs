//! Navigation bindings on a model with an Int64 key referencing a string key: orders bound
//! to a product with `product@odata.bind`, followed and expanded both ways.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{product, spawn_app};

#[tokio::test]
async fn orders_reference_products_and_products_expand_their_orders() {
    let app = spawn_app().await;
    for sku in ["p1", "p2"] {
        let r = app
            .post_json("products", &product(sku))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (number, sku) in [(1, "p1"), (2, "p1"), (3, "p2"), (4, "p1")] {
        let r = app
            .post_json(
                "orders",
                &json!({"number": number, "customer": format!("c{number}"),
                        "product@odata.bind": format!("products('{sku}')")}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
    }
    let body = app.get_json("orders(3)/product").await;
    assert_eq!(body["sku"], "p2");
    let body = app
        .get_json("products('p1')?$expand=orders($orderby=number desc;$top=2;$count=true)")
        .await;
    assert_eq!(body["orders@odata.count"], 3);
    let numbers: Vec<i64> = body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [4, 2]);
    let body = app
        .get_json("orders?$orderby=number&$expand=product($select=sku)&$select=number")
        .await;
    let skus: Vec<&Value> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["product"]["sku"])
        .collect();
    assert_eq!(
        skus,
        [&json!("p1"), &json!("p1"), &json!("p2"), &json!("p1")]
    );
    let r = app
        .get("products('p2')/orders/$count")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "1");
}
