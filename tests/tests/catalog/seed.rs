//! MODEL.md §5: after start-up the store holds exactly the demo data of `seed.json`.

use acceptance_tests::{TestApp, shared_dir, spawn_catalog};
use odata_core::edm::SpatialFamily;
use odata_core::value::{Duration, Geo, parse_base64, parse_decimal};
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

fn seed() -> Value {
    let path = shared_dir().join("catalog-model/seed.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Members of the file that are not properties, or whose value is the load time.
fn skipped(member: &str, expected: &Value) -> bool {
    matches!(
        member,
        "StatusText" | "ProductName" | "ContentText" | "LogoText" | "Content"
    ) || expected.as_str() == Some("<time of reset>")
}

/// Whether the service's value is the file's, in the forms MODEL.md §6.2 allows.
fn same(member: &str, expected: &Value, got: &Value) -> bool {
    match (member, expected, got) {
        (_, Value::Null, _) | (_, _, Value::Null) => expected == got,
        ("Status", Value::Number(_), Value::String(_)) => false, // compared by StatusText
        ("Data" | "Logo", Value::String(e), Value::String(g)) => {
            parse_base64(e).is_some() && parse_base64(e) == parse_base64(g)
        }
        ("Location" | "Route" | "Area", Value::String(wkt), _) => {
            Geo::parse_literal(wkt, SpatialFamily::Geography)
                .is_ok_and(|geo| &geo.to_geojson() == got)
        }
        ("ShippingTime" | "ProcessingTime" | "Offset", Value::String(e), Value::String(g)) => {
            Duration::parse(e).ok() == Duration::parse(g).ok()
        }
        ("Amount", Value::String(e), Value::Number(g)) => {
            parse_decimal(e).is_some() && parse_decimal(e) == parse_decimal(&g.to_string())
        }
        (_, Value::Number(e), Value::Number(g)) => e.as_f64() == g.as_f64(),
        (_, Value::Object(e), Value::Object(g)) => {
            e.len() == g.len()
                && e.iter()
                    .all(|(k, v)| g.get(k).is_some_and(|gv| same(k, v, gv)))
        }
        _ => expected == got,
    }
}

/// Every row of `rows` is in `collection` (and nothing else) with every property value of
/// the file; `key` are the key properties that find a row's entity.
async fn assert_rows(app: &TestApp, collection: &str, rows: &Value, key: &[&str]) {
    let got = app.get_json(collection).await;
    let got = got["value"].as_array().unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(got.len(), rows.len(), "{collection}: row count");
    for row in rows {
        let name: Vec<String> = key.iter().map(|k| row[*k].to_string()).collect();
        let entity = got
            .iter()
            .find(|e| key.iter().all(|k| e[*k] == row[*k]))
            .unwrap_or_else(|| panic!("{collection} {name:?} is missing"));
        for (member, expected) in row.as_object().unwrap() {
            if skipped(member, expected) {
                continue;
            }
            let actual = if member == "Status" {
                assert_eq!(
                    entity["Status"], row["StatusText"],
                    "{collection} {name:?} Status"
                );
                continue;
            } else {
                &entity[member]
            };
            assert!(
                same(member, expected, actual),
                "{collection} {name:?} {member}: expected {expected}, got {actual}"
            );
        }
    }
}

#[tokio::test]
async fn the_store_holds_exactly_the_demo_data_after_start_up() {
    let app = spawn_catalog().await;
    assert_demo_data(&app).await;
}

#[tokio::test]
async fn reseed_restores_the_demo_data_whatever_happened_since() {
    let app = spawn_catalog().await;
    let laptop = "Products(a0000000-0000-4000-8000-000000000001)";
    let created = app
        .post_json("Products", &json!({"Name": "Desk Lamp", "Price": 39.9}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let changed = app
        .patch_json(laptop, &json!({"Price": 1.0, "Description": "changed"}))
        .send()
        .await
        .unwrap();
    assert!(changed.status().is_success());
    let deleted = app
        .client
        .delete(app.url("Categories(c0000000-0000-4000-8000-000000000002)"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let replaced = app
        .client
        .put(app.url("MediaItems(d0000000-0000-4000-8000-000000000001)/$value"))
        .header("Content-Type", "text/plain")
        .body("other bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::NO_CONTENT);

    for body in [None, Some(json!({}))] {
        let request = app.client.post(app.url("Reseed"));
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let reseeded = request.send().await.unwrap();
        assert_eq!(reseeded.status(), StatusCode::OK);
        let result: Value = reseeded.json().await.unwrap();
        assert_eq!(
            result,
            json!({
                "@odata.context": format!("{}/$metadata#Catalog.DemoResetResult", app.root),
                "status": "success",
                "message": "Database reseeded with default data"
            })
        );
        assert_demo_data(&app).await;
    }
}

#[tokio::test]
async fn readers_see_the_data_before_or_after_a_reseed_never_between() {
    let app = spawn_catalog().await;
    for i in 0..5 {
        let created = app
            .post_json(
                "Products",
                &json!({"Name": format!("extra {i}"), "Price": 1}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let counts = async {
        let mut seen = Vec::new();
        for _ in 0..40 {
            let count = app.get("Products/$count").send().await.unwrap();
            seen.push(count.text().await.unwrap());
        }
        seen
    };
    let reseed = async {
        let reseeded = app.client.post(app.url("Reseed")).send().await.unwrap();
        assert_eq!(reseeded.status(), StatusCode::OK);
    };
    let (seen, ()) = tokio::join!(counts, reseed);
    assert!(
        seen.iter().all(|c| c == "12" || c == "7"),
        "every read sees 12 (before) or 7 (after) products: {seen:?}"
    );
    assert_eq!(
        app.get("Products/$count")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "7"
    );
}

/// Every set and the singleton hold exactly the rows of `seed.json`.
async fn assert_demo_data(app: &TestApp) {
    let seed = seed();
    for collection in [
        "Categories",
        "Products",
        "MediaItems",
        "ReadOnlyItems",
        "DecimalSamples",
    ] {
        assert_rows(app, collection, &seed[collection], &["ID"]).await;
    }
    assert_rows(
        app,
        "ProductDescriptions",
        &seed["ProductDescriptions"],
        &["ProductID", "LanguageKey"],
    )
    .await;
    let company = app.get_json("Company").await;
    for (member, expected) in seed["Company"].as_object().unwrap() {
        if !skipped(member, expected) {
            assert!(
                same(member, expected, &company[member]),
                "Company {member}: expected {expected}, got {}",
                company[member]
            );
        }
    }

    // The types of the derived products, and the media contents with their types.
    let special = app
        .get_json("Products/Catalog.SpecialProduct?$select=Name")
        .await;
    let names: Vec<&str> = special["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Laptop", "Premium Laptop Pro", "Gaming Mouse Ultra"]
    );
    for item in seed["MediaItems"].as_array().unwrap() {
        let response = app
            .get(&format!(
                "MediaItems({})/$value",
                item["ID"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"],
            item["ContentType"].as_str().unwrap()
        );
        let bytes = response.bytes().await.unwrap();
        assert_eq!(&bytes[..], item["ContentText"].as_str().unwrap().as_bytes());
    }
    let logo = app.get("Company/Logo/$value").send().await.unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert_eq!(
        logo.text().await.unwrap(),
        seed["Company"]["LogoText"].as_str().unwrap()
    );
}
