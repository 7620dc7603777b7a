//! MODEL.md §4: the catalog's functions and actions with their worked values.

use acceptance_tests::{TestApp, spawn_catalog};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LAPTOP: &str = "Products(a0000000-0000-4000-8000-000000000001)";

async fn names(app: &TestApp, path: &str) -> Vec<String> {
    let got = app.get_json(path).await;
    got["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: {got}"))
        .iter()
        .map(|p| p["Name"].as_str().unwrap().to_owned())
        .collect()
}

async fn value(app: &TestApp, path: &str) -> Value {
    let got = app.get_json(path).await;
    assert!(got["@odata.context"].is_string(), "{path}: {got}");
    got["value"].clone()
}

#[tokio::test]
async fn functions_give_the_worked_values() {
    let app = spawn_catalog().await;
    assert_eq!(
        names(&app, "GetTopProducts()").await,
        [
            "Premium Laptop Pro",
            "Laptop",
            "Smartphone",
            "Office Chair",
            "Gaming Mouse Ultra",
            "Wireless Mouse",
            "Coffee Mug"
        ]
    );
    assert_eq!(
        names(&app, "GetTopProducts(count=3)").await,
        ["Premium Laptop Pro", "Laptop", "Smartphone"]
    );
    assert_eq!(
        names(&app, "GetTopProducts(count=5,category='Electronics')").await,
        [
            "Premium Laptop Pro",
            "Laptop",
            "Smartphone",
            "Gaming Mouse Ultra",
            "Wireless Mouse"
        ]
    );
    assert_eq!(
        names(&app, "GetTopProducts()?count=5&category=Electronics&$top=2").await,
        ["Premium Laptop Pro", "Laptop"],
        "parameters as query options, composed with $top"
    );
    assert_eq!(
        names(&app, "FindProducts(name='Laptop',maxPrice=1000)").await,
        ["Laptop"]
    );
    let stats = app.get_json("GetProductStats()").await;
    assert_eq!(
        stats,
        json!({
            "@odata.context": format!("{}/$metadata#Catalog.ProductStats", app.root),
            "totalProducts": 7,
            "averagePrice": 606.4914285714285,
            "maxPrice": 1999.99,
            "minPrice": 15.5
        })
    );
    assert_eq!(value(&app, "Calculate(value=5)").await, json!(10));
    assert_eq!(value(&app, "Calculate(a=3,b=7)").await, json!(10));
    assert_eq!(value(&app, "Convert(input='hello')").await, "String: hello");
    assert_eq!(value(&app, "Convert(number=5)").await, "Number: 5");
    assert_eq!(value(&app, "Convert(number=-3)").await, "Number: -3");
    assert_eq!(
        value(&app, &format!("{LAPTOP}/GetTotalPrice(taxRate=0.08)")).await,
        json!(1079.9892)
    );
    assert_eq!(
        value(
            &app,
            &format!("{LAPTOP}/Catalog.GetTotalPrice(taxRate=0.08)")
        )
        .await,
        json!(1079.9892)
    );
    let mut related = names(&app, &format!("{LAPTOP}/GetRelatedProducts()")).await;
    related.sort();
    assert_eq!(
        related,
        [
            "Gaming Mouse Ultra",
            "Premium Laptop Pro",
            "Smartphone",
            "Wireless Mouse"
        ]
    );
    assert_eq!(
        value(&app, "Products/GetAveragePrice()").await,
        json!(606.4914285714285)
    );
    assert_eq!(
        value(&app, &format!("{LAPTOP}/CalculatePrice(discount=10)")).await,
        json!(899.991)
    );
    assert_eq!(
        value(&app, &format!("{LAPTOP}/CalculatePrice(discount=10,tax=5)")).await,
        json!(944.99055)
    );
    assert_eq!(
        value(&app, &format!("{LAPTOP}/GetInfo(format='json')")).await,
        "Product: Laptop (Price: 999.99) in json format"
    );
}

#[tokio::test]
async fn calls_no_overload_takes_are_400_and_wrong_verbs_405() {
    let app = spawn_catalog().await;
    for path in [
        "Calculate(a=3)".to_owned(),
        "Convert(input='hello',number=5)".to_owned(),
        "GetTopProducts(category='Electronics')".to_owned(),
        format!("{LAPTOP}/CalculatePrice(tax=5.0)"),
        format!("{LAPTOP}/GetTotalPrice()"),
        format!("{LAPTOP}/GetTotalPrice(taxRate='not-a-number')"),
        "GetTopProducts(count=-1)".to_owned(),
        "Calculate(a=9223372036854775807,b=1)".to_owned(),
    ] {
        let got = app.get(&path).send().await.unwrap();
        assert_eq!(got.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let missing = app
        .get("Products(00000000-0000-0000-0000-000000000000)/GetTotalPrice(taxRate=0.08)")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let post = app
        .client
        .post(app.url("GetTopProducts()"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(post.headers().contains_key("allow"));
}

#[tokio::test]
async fn actions_change_the_product_or_compute_a_value() {
    let app = spawn_catalog().await;
    let quote = app
        .post_json(
            &format!("{LAPTOP}/CalculateDiscount"),
            &json!({"percentage": 10}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(quote.status(), StatusCode::OK);
    assert_eq!(
        quote.json::<Value>().await.unwrap()["value"],
        json!(899.991)
    );
    assert_eq!(
        app.get_json(LAPTOP).await["Price"],
        json!(999.99),
        "not saved"
    );

    let discounted = app
        .post_json(
            &format!("{LAPTOP}/ApplyDiscount"),
            &json!({"percentage": 10}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(discounted.status(), StatusCode::OK);
    let etag = discounted.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = discounted.json().await.unwrap();
    assert_eq!(body["Price"], json!(899.991));
    assert_eq!(body["Version"], json!(2));
    assert_eq!(app.get_json(LAPTOP).await["Price"], json!(899.991));
    assert_ne!(etag, "W/\"1\"");

    let chair = "Products(a0000000-0000-4000-8000-000000000004)";
    let activated = app
        .client
        .post(app.url(&format!("{chair}/Activate")))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(chair).await["Status"], "InStock");
    let raised = app
        .post_json(&format!("{chair}/IncreasePrice"), &json!({"amount": 0.01}))
        .send()
        .await
        .unwrap();
    assert_eq!(raised.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(chair).await["Price"], json!(250.0));
    let bad = app
        .post_json(
            &format!("{LAPTOP}/ApplyDiscount"),
            &json!({"percentage": "invalid"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    for (path, body) in [
        ("Products/MarkAllAsReviewed", None),
        ("ResetProducts", Some(json!({}))),
    ] {
        let request = app.client.post(app.url(path));
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        assert_eq!(
            request.send().await.unwrap().status(),
            StatusCode::NO_CONTENT,
            "{path}"
        );
    }
    let wrong_verb = app.get("ResetProducts").send().await.unwrap();
    assert_eq!(wrong_verb.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn bulk_actions_change_every_product_they_concern_in_one_go() {
    let app = spawn_catalog().await;
    let lamp = app
        .post_json("Products", &json!({"Name": "Lamp", "Price": 50}))
        .send()
        .await
        .unwrap();
    let lamp: Value = lamp.json().await.unwrap();
    let lamp = format!("Products({})", lamp["ID"].as_str().unwrap());

    let processed = app
        .post_json("Process", &json!({"percentage": 10, "minPrice": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(processed.status(), StatusCode::NO_CONTENT);
    let laptop = app.get_json(LAPTOP).await;
    assert_eq!(laptop["Price"], json!(899.991));
    assert_eq!(laptop["Version"], json!(2));
    assert_eq!(
        app.get_json(&lamp).await["Price"],
        json!(50.0),
        "below minPrice"
    );
    let all = app
        .post_json("Process", &json!({"percentage": 50}))
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&lamp).await["Price"], json!(25.0));
    let without = app
        .post_json("Process", &json!({"minPrice": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::BAD_REQUEST);

    let reset = app
        .client
        .post(app.url("ResetAllPrices"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    let result: Value = reset.json().await.unwrap();
    assert_eq!(result["message"], "Prices reset successfully");
    assert_eq!(result["updatedCount"], 7);
    assert_eq!(app.get_json(LAPTOP).await["Price"], json!(999.99));
    assert_eq!(
        app.get_json(&lamp).await["Price"],
        json!(25.0),
        "not a demo product"
    );
}
