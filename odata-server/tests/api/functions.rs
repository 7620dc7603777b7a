//! Functions on the shop model: one bound to a product, two imported at the service root
//! (a complex and a collection value), arguments inline and as parameter aliases, and the
//! errors that name the argument at fault.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app};

async fn error_target(app: &TestApp, path: &str, status: StatusCode) -> Value {
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), status, "{path}");
    let body: Value = r.json().await.unwrap();
    body["error"]["target"].clone()
}

#[tokio::test]
async fn a_bound_function_computes_from_its_entity_and_arguments() {
    let app = spawn_app().await;
    let r = app
        .post_json("products", &product("p1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // The product's stock is 3.
    for (path, expected) in [
        ("products('p1')/restockNeeded(threshold=5)", true),
        ("products('p1')/shop.restockNeeded(threshold=3)", false),
        (
            "products('p1')/example.shop.restockNeeded(threshold=@t)?@t=4",
            true,
        ),
    ] {
        let body = app.get_json(path).await;
        assert_eq!(body["value"], expected, "{path}");
        assert_eq!(body["@odata.context"], app.url("$metadata#Edm.Boolean"));
    }
    for (path, status, target) in [
        (
            "products('p1')/restockNeeded()",
            StatusCode::BAD_REQUEST,
            json!("threshold"),
        ),
        (
            "products('p1')/restockNeeded(threshold='x')",
            StatusCode::BAD_REQUEST,
            json!("threshold"),
        ),
        (
            "products('p1')/restockNeeded(threshold=1,threshold=2)",
            StatusCode::BAD_REQUEST,
            json!("threshold"),
        ),
        (
            "products('p1')/restockNeeded(threshold=1,other=2)",
            StatusCode::BAD_REQUEST,
            json!("other"),
        ),
        (
            "products('p1')/restockNeeded(threshold=@t)",
            StatusCode::BAD_REQUEST,
            json!("@t"),
        ),
        (
            "products('p1')/restockNeeded(threshold=99999999999)",
            StatusCode::BAD_REQUEST,
            json!("threshold"),
        ),
        (
            "products('p1')/restockNeeded(threshold=1)?$top=1",
            StatusCode::BAD_REQUEST,
            json!("$top"),
        ),
        (
            "products('nope')/restockNeeded(threshold=1)",
            StatusCode::NOT_FOUND,
            Value::Null,
        ),
        (
            "products('p1')/label()",
            StatusCode::NOT_IMPLEMENTED,
            Value::Null,
        ),
    ] {
        assert_eq!(error_target(&app, path, status).await, target, "{path}");
    }
    let r = app
        .post_json("products('p1')/restockNeeded(threshold=1)", &json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET");
}

#[tokio::test]
async fn function_imports_return_complex_and_collection_values() {
    let app = spawn_app().await;
    let body = app
        .get_json("box(width=1.5,height=@h,unit=shop.color'blue')?@h=2")
        .await;
    assert_eq!(
        body["@odata.context"],
        app.url("$metadata#example.shop.dimensions")
    );
    assert_eq!(body["width"], 1.5);
    assert_eq!(body["height"], 2.0);
    assert_eq!(body["unit"], "blue");
    let body = app.get_json("box(width=1)").await;
    assert_eq!(body["height"], Value::Null);
    let body = app.get_json("palette()").await;
    assert_eq!(body["value"], json!(["red", "green", "blue"]));
    assert_eq!(
        body["@odata.context"],
        app.url("$metadata#Collection(example.shop.color)")
    );
    assert_eq!(
        error_target(&app, "box(height=1)", StatusCode::BAD_REQUEST).await,
        "width"
    );
    assert_eq!(
        error_target(
            &app,
            "box(width=1,unit=shop.color'mauve')",
            StatusCode::BAD_REQUEST
        )
        .await,
        "unit"
    );
    let r = app.get("nothing()").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let metadata = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metadata.contains(r#"<Function Name="restockNeeded" IsBound="true">"#),
        "{metadata}"
    );
    assert!(
        metadata.contains(r#"<FunctionImport Name="palette" Function="example.shop.palette"/>"#),
        "{metadata}"
    );
}
