//! MODEL.md §6.5, §6.6 and §6.8: paths that go on from related entities, type casts
//! before navigation properties, and references (`$ref`) of sets, entities and links.

use acceptance_tests::{TestApp, spawn_catalog};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LAPTOP: &str = "Products(a0000000-0000-4000-8000-000000000001)";
const MOUSE: &str = "Products(a0000000-0000-4000-8000-000000000002)";
const MUG: &str = "Products(a0000000-0000-4000-8000-000000000003)";
const KITCHEN: &str = "Categories(c0000000-0000-4000-8000-000000000002)";

async fn status_and_body(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app.get(path).send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn paths_go_on_from_related_entities() {
    let app = spawn_catalog().await;
    let (status, body) = status_and_body(&app, &format!("{LAPTOP}/Category/Name")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"], "Electronics");

    let (status, body) =
        status_and_body(&app, &format!("{LAPTOP}/Category/Products?$select=Name")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Laptop",
            "Wireless Mouse",
            "Smartphone",
            "Premium Laptop Pro",
            "Gaming Mouse Ultra"
        ]
    );
    let count = app
        .get(&format!("{LAPTOP}/Category/Products/$count"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "5");

    // Through a member of a collection-valued navigation, checked to belong to it.
    let (status, body) = status_and_body(
        &app,
        &format!(
            "{LAPTOP}/Descriptions(ProductID=a0000000-0000-4000-8000-000000000001,LanguageKey='DE')/Product/Name"
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"], "Laptop");
    let (status, _) = status_and_body(&app, &format!("{KITCHEN}/{MUG}/Category/Name")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = status_and_body(&app, &format!("{KITCHEN}/{LAPTOP}/Name")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the Laptop is no kitchen product: {body}"
    );
    assert_eq!(body["error"]["code"], "ResourceNotFound");

    // A null single-valued navigation leads nowhere.
    let created = app
        .post_json(
            "Products",
            &json!({"Name": "Loose", "Price": 1.0, "SerialNumber": "SN-L"}),
        )
        .header("Prefer", "return=representation")
        .send()
        .await
        .unwrap();
    let loose: Value = created.json().await.unwrap();
    let loose = format!("Products({})", loose["ID"].as_str().unwrap());
    let (status, _) = status_and_body(&app, &format!("{loose}/Category")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = status_and_body(&app, &format!("{loose}/Category/Name")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = status_and_body(
        &app,
        "Products(00000000-0000-0000-0000-000000000000)/Category/Name",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn malformed_key_predicates_are_400_and_unknown_names_404() {
    let app = spawn_catalog().await;
    for path in [
        "Products(a0000000-0000-4000-8000-000000000001",
        "Products(ID='abc:123)",
        "Products(a0000000-0000-4000-8000-000000000001/Name",
    ] {
        let (status, body) = status_and_body(&app, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
    }
    for path in [
        "products",
        "Products(1)",
        "Products('abc:123')/Name",
        "Nothing(1",
    ] {
        let (status, _) = status_and_body(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_type_cast_before_a_navigation_property_needs_an_entity_of_that_type() {
    let app = spawn_catalog().await;
    let (status, body) =
        status_and_body(&app, &format!("{LAPTOP}/Catalog.SpecialProduct/Category")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Name"], "Electronics");
    let (status, body) = status_and_body(
        &app,
        &format!("{LAPTOP}/Some.Other.SpecialProduct/Category/Name"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"], "Electronics");
    let (status, _) =
        status_and_body(&app, &format!("{MOUSE}/Catalog.SpecialProduct/Category")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the mouse is a plain product"
    );
}

/// The `@odata.id`s of a `$ref` collection response, below the service root.
fn ids(app: &TestApp, body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["@odata.id"].as_str().unwrap();
            id.strip_prefix(&format!("{}/", app.root))
                .unwrap_or(id)
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn references_of_sets_entities_and_links() {
    let app = spawn_catalog().await;
    let (status, body) =
        status_and_body(&app, "Products/$ref?$orderby=Price&$top=2&$count=true").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#Collection($ref)")
    );
    assert_eq!(body["@odata.count"], 7);
    assert_eq!(ids(&app, &body), [MUG, MOUSE]);
    let (status, body) = status_and_body(&app, "Products/$ref?$filter=Price gt 1000&$skip=0").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        ids(&app, &body),
        ["Products(a0000000-0000-4000-8000-000000000006)"]
    );

    let (status, body) = status_and_body(&app, &format!("{LAPTOP}/$ref")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#$ref")
    );
    assert_eq!(body["@odata.id"], format!("{}/{LAPTOP}", app.root));
    let (status, _) =
        status_and_body(&app, "Products(00000000-0000-0000-0000-000000000000)/$ref").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = status_and_body(
        &app,
        &format!("{KITCHEN}/Products/$ref?$count=true&$orderby=Name"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["@odata.count"], 1);
    assert_eq!(ids(&app, &body), [MUG]);
    let (status, body) = status_and_body(&app, &format!("{LAPTOP}/Category/$ref")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["@odata.id"],
        format!(
            "{}/Categories(c0000000-0000-4000-8000-000000000001)",
            app.root
        )
    );

    // A reference is an id only.
    for path in [
        "Products/$ref?$expand=Category".to_owned(),
        "Products/$ref?$select=Name".to_owned(),
        format!("{LAPTOP}/$ref?$select=Name"),
        format!("{LAPTOP}/Descriptions/$ref?$expand=Product"),
        format!("{LAPTOP}/Category/$ref?$select=Name"),
    ] {
        let (status, body) = status_and_body(&app, &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("$ref"));
    }
    for path in [
        format!("{LAPTOP}/Nope/$ref"),
        "Products(00000000-0000-0000-0000-000000000000)/Category/$ref".to_owned(),
    ] {
        let (status, _) = status_and_body(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let wrong = app
        .client
        .patch(app.url("Products/$ref"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.headers()["allow"], "GET, POST");
}

#[tokio::test]
async fn selecting_navigation_properties_and_expanding_to_the_deepest_level() {
    let app = spawn_catalog().await;
    let (status, body) = status_and_body(&app, "Products?$select=Category,Name&$top=1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#Products(Category,Name)")
    );
    let first = &body["value"][0];
    assert_eq!(first["Name"], "Laptop");
    assert!(first.get("Category").is_none() && first.get("Price").is_none());
    let (status, body) = status_and_body(&app, "Products?$select=Category/Name").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // `max` on a navigation the related entities do not have again: one level.
    let (status, body) = status_and_body(
        &app,
        &format!("{KITCHEN}?$expand=Products($levels=max;$select=Name)"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Products"][0]["Name"], "Coffee Mug");
    for levels in ["0", "-1"] {
        let (status, _) = status_and_body(
            &app,
            &format!("Categories?$expand=Products($levels={levels})"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "$levels={levels}");
    }
}

/// The `Name`s of the products expanded into each category, by category name.
fn expanded_names(body: &Value) -> Vec<(String, Vec<String>)> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|c| {
            let products = c["Products"].as_array().unwrap_or_else(|| panic!("{c}"));
            (
                c["Name"].as_str().unwrap().to_owned(),
                products
                    .iter()
                    .map(|p| p["Name"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn type_casts_inside_expand_keep_the_derived_entities() {
    let app = spawn_catalog().await;
    let all = app
        .get_json("Categories?$select=Name&$orderby=Name&$expand=Products($select=Name,ProductType;$orderby=Name)")
        .await;
    // What the cast must keep: per category, the products whose type is SpecialProduct.
    let expected: Vec<(String, Vec<String>)> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["Name"].as_str().unwrap().to_owned(),
                c["Products"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["ProductType"] == "SpecialProduct")
                    .map(|p| p["Name"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    let special: usize = expected.iter().map(|(_, p)| p.len()).sum();
    assert_eq!(
        special, 3,
        "MODEL §2.5: three SpecialProducts in the demo data"
    );
    let cast = app
        .get_json(
            "Categories?$select=Name&$orderby=Name\
             &$expand=Products/Catalog.SpecialProduct($select=Name;$orderby=Name)",
        )
        .await;
    assert_eq!(expanded_names(&cast), expected, "{cast}");
    // The base type itself is a cast that keeps every product.
    let base = app
        .get_json("Categories?$select=Name&$orderby=Name&$expand=Products/Catalog.Product($select=Name;$orderby=Name)")
        .await;
    assert_eq!(expanded_names(&base), expanded_names(&all));

    // A type that is not the target's or derived from it: 400 naming it.
    for path in [
        "Categories?$expand=Products/Catalog.Category",
        "Categories?$expand=Products/Catalog.Nope",
    ] {
        let (status, body) = status_and_body(&app, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["target"], "$expand", "{body}");
    }
}

#[tokio::test]
async fn all_and_crossjoin_are_501_not_404() {
    let app = spawn_catalog().await;
    for path in ["$all", "$crossjoin(Products,Categories)"] {
        let (status, body) = status_and_body(&app, path).await;
        assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(path), "{message}");
    }
}
