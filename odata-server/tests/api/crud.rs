use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{product, spawn_app};

#[tokio::test]
async fn create_read_update_replace_delete() {
    let app = spawn_app().await;
    let created = app
        .post_json("products", &product("w-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["odata-version"], "4.01");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, app.url("products('w-1')"));
    assert_eq!(created.headers()["odata-entityid"], location.as_str());
    assert!(
        created.headers()["etag"]
            .to_str()
            .unwrap()
            .starts_with("W/")
    );
    let body: Value = created.json().await.unwrap();
    assert_eq!(
        body["@odata.context"],
        app.url("$metadata#products/$entity")
    );
    assert_eq!(body["@odata.type"], "#example.shop.product");
    assert_eq!(body["releasedAt"], "2016-12-31T23:59:23.3984029-08:00");
    assert_eq!(body["warranty"], "-PT35.9373414S");
    assert_eq!(body["color"], "green");
    assert_eq!(body["dimensions"], json!({"width": 1.5, "unit": "blue"}));
    assert_eq!(body["tags"], json!(["a", "b"]));
    assert_eq!(
        body["secret"],
        Value::Null,
        "write-only values are never returned"
    );
    assert_eq!(body["discount"], Value::Null);
    let created_at = body["createdAt"].as_str().unwrap().to_owned();
    assert!(created_at.ends_with('Z'));

    let got: Value = app
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, body);

    let patched = app
        .patch_json("products/w-1", &json!({"stock": 7, "color": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["stock"], 7);
    assert_eq!(patched["color"], "red");
    assert_eq!(
        patched["name"], "Widget",
        "PATCH keeps what it does not name"
    );
    assert_eq!(
        patched["createdAt"],
        created_at.as_str(),
        "immutable computed value kept"
    );

    let replaced = app
        .client
        .put(app.url("products('w-1')"))
        .json(&json!({"releasedAt": "2020-01-01T00:00:00Z", "color": "blue"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(
        replaced["name"],
        Value::Null,
        "PUT resets what it does not name"
    );
    assert_eq!(
        replaced["stock"], 0,
        "non-nullable properties reset to their zero value"
    );
    assert_eq!(replaced["tags"], json!([]));
    assert_eq!(replaced["sku"], "w-1");
    assert_eq!(replaced["createdAt"], created_at.as_str());

    let deleted = app
        .client
        .delete(app.url("products/w-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(deleted.headers()["odata-version"], "4.01");
    let gone = app.get("products/w-1").send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let again = app
        .client
        .delete(app.url("products/w-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn omitted_non_nullable_properties_get_zero_values() {
    let app = spawn_app().await;
    let body: Value = app
        .post_json("products", &json!({"sku": "z"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["color"], "red",
        "first member when the enum has no 'unknown'"
    );
    assert_eq!(body["releasedAt"], "0001-01-01T00:00:00Z");
    assert_eq!(body["stock"], 0);
    assert_eq!(body["warranty"], Value::Null);
    assert_eq!(body["name"], Value::Null);
}

/// The same statement written first with nulls, then with values, in every nullable column
/// kind (text, integer, real, JSON), by inserts and updates alike: each write stores what
/// it was given, whatever the statements before it bound.
#[tokio::test]
async fn nulls_then_values_in_the_same_columns_are_all_stored() {
    let app = spawn_app().await;
    let nulls = json!({"name": null, "warranty": null, "discount": null, "dimensions": null});
    let values = json!({
        "name": "n",
        "warranty": "PT1S",
        "discount": 0.25,
        "dimensions": {"width": 1.5, "unit": "blue"},
    });
    for i in 0..4 {
        for (n, fields) in [(2 * i, &nulls), (2 * i + 1, &values)] {
            let mut body = product(&format!("p-{n}"));
            for (k, v) in fields.as_object().unwrap() {
                body[k] = v.clone();
            }
            let r = app.post_json("products", &body).send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::CREATED,
                "{}",
                r.text().await.unwrap()
            );
            let stored: Value = app.get_json(&format!("products/p-{n}")).await;
            for (k, v) in fields.as_object().unwrap() {
                assert_eq!(&stored[k], v, "{k} of p-{n}");
            }
        }
    }
    for fields in [&nulls, &values, &nulls, &values] {
        let r = app.patch_json("products/p-0", fields).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let stored: Value = app.get_json("products/p-0").await;
        for (k, v) in fields.as_object().unwrap() {
            assert_eq!(&stored[k], v, "{k} after PATCH");
        }
    }
}

#[tokio::test]
async fn collection_count_and_minimal_return() {
    let app = spawn_app().await;
    for sku in ["b", "a", "c"] {
        let r = app
            .post_json("products", &product(sku))
            .header("Prefer", "return=minimal")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert_eq!(r.headers()["preference-applied"], "return=minimal");
        assert!(r.headers().contains_key("location"));
    }
    let list: Value = app.get_json("products").await;
    assert_eq!(list["@odata.context"], app.url("$metadata#products"));
    let skus: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["a", "b", "c"]);
    let count = app.get("products/$count").send().await.unwrap();
    assert!(
        count.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(count.text().await.unwrap(), "3");
    let patched = app
        .patch_json("products/a", &json!({"stock": 1}))
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn etag_preconditions() {
    let app = spawn_app().await;
    let created = app
        .post_json("products", &product("e"))
        .send()
        .await
        .unwrap();
    let etag = created.headers()["etag"].to_str().unwrap().to_owned();
    let stale = app
        .patch_json("products/e", &json!({"stock": 2}))
        .header("If-Match", "W/\"999\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let ok = app
        .patch_json("products/e", &json!({"stock": 2}))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let delete_stale = app
        .client
        .delete(app.url("products/e"))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(delete_stale.status(), StatusCode::PRECONDITION_FAILED);
    let body: Value = app.get_json("products/e").await;
    assert_eq!(body["stock"], 2, "a failed precondition changes nothing");
}

#[tokio::test]
async fn posting_to_ref_with_an_entity_body_creates() {
    let app = spawn_app().await;
    let r = app
        .post_json("products/$ref", &product("r"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json("products/$ref", &json!({"@odata.id": "products('r')"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn full_and_none_metadata() {
    let app = spawn_app().await;
    app.post_json("products", &product("m"))
        .send()
        .await
        .unwrap();
    let full: Value = app
        .get("products/m")
        .header("Accept", "application/json;odata.metadata=full")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["@odata.id"], app.url("products('m')"));
    assert_eq!(full["releasedAt@odata.type"], "#DateTimeOffset");
    let none: Value = app
        .get_json("products/m?$format=application/json;odata.metadata=none")
        .await;
    assert!(none.get("@odata.context").is_none());
    assert!(none.get("@odata.type").is_none());
    assert_eq!(none["sku"], "m");
}
