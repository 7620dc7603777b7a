//! Property paths (`…/{key}/{property}[/{member}][/$value]`), `$entity?$id=…` and key
//! parameter aliases (`…(@k)?@k='x'`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app};

/// An app with the product `p1` (see [`product`]); `discount` is null.
async fn with_product() -> TestApp {
    let app = spawn_app().await;
    let r = app
        .post_json("products", &product("p1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    app
}

/// GET and the status, `ETag`, content type and body text.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, Option<String>, String, String) {
    let r = app.get(path).send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let etag = header("etag");
    let content_type = header("content-type").unwrap_or_default();
    (r.status(), etag, content_type, r.text().await.unwrap())
}

/// `$entity?$id={id}` with the id and any further `(name, value)` options percent-encoded.
fn entity_id(id: &str, more: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut url = format!("$entity?$id={}", encode(id));
    for (name, value) in more {
        url.push_str(&format!("&{}={}", encode(name), encode(value)));
    }
    url
}

/// The error object of a failed request, after checking its status.
async fn error(app: &TestApp, path: &str, status: StatusCode) -> Value {
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), status, "{path}");
    let body: Value = r.json().await.unwrap();
    body["error"].clone()
}

#[tokio::test]
async fn primitive_and_enum_properties_are_written_as_in_the_entity() {
    let app = with_product().await;
    let entity = app
        .client
        .get(app.url("products('p1')"))
        .send()
        .await
        .unwrap();
    let entity_etag = entity.headers()["etag"].to_str().unwrap().to_owned();
    let entity: Value = entity.json().await.unwrap();
    for name in [
        "sku",
        "name",
        "color",
        "releasedAt",
        "warranty",
        "stock",
        "createdAt",
        "modifiedAt",
    ] {
        let path = format!("products('p1')/{name}");
        let (status, etag, content_type, text) = fetch(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {text}");
        assert_eq!(etag.as_deref(), Some(entity_etag.as_str()), "{path}");
        assert!(
            content_type.starts_with("application/json;odata.metadata=minimal"),
            "{content_type}"
        );
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            json!({
                "@odata.context": app.url(&format!("$metadata#products('p1')/{name}")),
                "value": entity[name],
            }),
            "{path}"
        );
    }
    // The DateTimeOffset exactly as sent, the Duration canonical, the enum by name.
    let body = app.get_json("products('p1')/releasedAt").await;
    assert_eq!(body["value"], "2016-12-31T23:59:23.3984029-08:00");
    assert_eq!(
        app.get_json("products('p1')/warranty").await["value"],
        "-PT35.9373414S"
    );
    assert_eq!(app.get_json("products('p1')/color").await["value"], "green");
    // Every key form reaches the property.
    for path in ["products/p1/stock", "products(sku='p1')/stock"] {
        let body = app.get_json(path).await;
        assert_eq!(body["value"], 3, "{path}");
    }
    let r = app
        .get("products('p1')/name")
        .header("Accept", "application/json;odata.metadata=none")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"value": "Widget"}));
}

#[tokio::test]
async fn null_values_are_no_content() {
    let app = with_product().await;
    for path in [
        "products('p1')/discount",
        "products('p1')/discount/$value",
        "products('p1')/dimensions/height",
        "products('p1')/dimensions/height/$value",
    ] {
        let (status, etag, _, text) = fetch(&app, path).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}");
        assert!(etag.is_some(), "{path}");
        assert_eq!(text, "", "{path}");
    }
}

#[tokio::test]
async fn raw_values_are_plain_text() {
    let app = with_product().await;
    for (path, want) in [
        ("products('p1')/name/$value", "Widget"),
        (
            "products('p1')/releasedAt/$value",
            "2016-12-31T23:59:23.3984029-08:00",
        ),
        ("products('p1')/warranty/$value", "-PT35.9373414S"),
        ("products('p1')/color/$value", "green"),
        ("products('p1')/stock/$value", "3"),
        ("products('p1')/dimensions/width/$value", "1.5"),
        ("products('p1')/dimensions/unit/$value", "blue"),
    ] {
        let (status, etag, content_type, text) = fetch(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {text}");
        assert!(etag.is_some(), "{path}");
        assert_eq!(content_type, "text/plain;charset=utf-8", "{path}");
        assert_eq!(text, want, "{path}");
    }
    for path in [
        "products('p1')/dimensions/$value",
        "products('p1')/tags/$value",
        "products('p1')/name/$value/x",
    ] {
        let e = error(&app, path, StatusCode::BAD_REQUEST).await;
        assert!(e["message"].as_str().unwrap().contains("$value"), "{e}");
    }
}

#[tokio::test]
async fn complex_values_members_and_collections() {
    let app = with_product().await;
    let body = app.get_json("products('p1')/dimensions").await;
    assert_eq!(
        body,
        json!({
            "@odata.context": app.url("$metadata#products('p1')/dimensions"),
            "width": 1.5,
            "unit": "blue",
        })
    );
    let body = app.get_json("products('p1')/dimensions/unit").await;
    assert_eq!(
        body,
        json!({
            "@odata.context": app.url("$metadata#products('p1')/dimensions/unit"),
            "value": "blue",
        })
    );
    let body = app.get_json("products('p1')/tags").await;
    assert_eq!(
        body,
        json!({
            "@odata.context": app.url("$metadata#products('p1')/tags"),
            "value": ["a", "b"],
        })
    );
    // A collection is never null: an absent one is empty.
    let mut bare = product("p2");
    bare.as_object_mut().unwrap().remove("tags");
    let r = app.post_json("products", &bare).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body = app.get_json("products('p2')/tags").await;
    assert_eq!(body["value"], json!([]));

    let e = error(
        &app,
        "products('p1')/dimensions/depth",
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(e["target"], "depth");
    assert!(e["message"].as_str().unwrap().contains("depth"), "{e}");
    for path in ["products('p1')/name/first", "products('p1')/tags/x"] {
        error(&app, path, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn write_only_properties_are_refused_without_their_value() {
    let app = with_product().await;
    for path in ["products('p1')/secret", "products('p1')/secret/$value"] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["error"]["target"], "secret");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("'secret' is write-only"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn unknown_properties_and_missing_entities_are_not_found() {
    let app = with_product().await;
    let e = error(&app, "products('p1')/nonsense", StatusCode::NOT_FOUND).await;
    assert_eq!(e["target"], "nonsense");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("'nonsense' is not a property"),
        "{e}"
    );
    let e = error(&app, "products('nope')/name", StatusCode::NOT_FOUND).await;
    assert!(e["message"].as_str().unwrap().contains("'nope'"), "{e}");
    // A cast to the entity's own type, then a property.
    let body = app.get_json("products('p1')/shop.product/name").await;
    assert_eq!(body["value"], "Widget");
    // A navigation after a cast follows it from an entity of that type.
    let through_cast = app.get_json("products('p1')/shop.product/orders").await;
    let direct = app.get_json("products('p1')/orders").await;
    assert_eq!(through_cast["value"], direct["value"]);
}

#[tokio::test]
async fn property_paths_take_no_collection_options_and_are_read_only() {
    let app = with_product().await;
    for (query, option) in [
        ("$filter=stock eq 3", "$filter"),
        ("$top=1", "$top"),
        ("$orderby=name", "$orderby"),
        ("$select=name", "$select"),
    ] {
        let e = error(
            &app,
            &format!("products('p1')/name?{query}"),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(e["target"], option, "{query}");
    }
    let url = app.url("products('p1')/name");
    for request in [
        app.client.patch(&url).json(&json!("x")),
        app.client.put(&url).json(&json!({"value": "x"})),
        app.client.delete(&url),
        app.client.post(&url).json(&json!({})),
    ] {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers()["allow"], "GET");
    }
    assert_eq!(app.get_json("products('p1')/name").await["value"], "Widget");

    let head = app.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    let etag = head.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(head.text().await.unwrap(), "");
    let r = app
        .get("products('p1')/name")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn entity_id_reads_the_entity_it_names() {
    let app = with_product().await;
    let direct = app.get_json("products('p1')").await;
    let absolute = app.url("products('p1')");
    for id in [
        "products('p1')",
        "products/p1",
        absolute.as_str(),
        "/odata/products('p1')",
    ] {
        let r = app.get(&entity_id(id, &[])).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{id}");
        assert!(r.headers().contains_key("etag"), "{id}");
        assert_eq!(r.json::<Value>().await.unwrap(), direct, "{id}");
    }
    let body = app
        .get(&entity_id("products('p1')", &[("$select", "name")]))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(body["name"], "Widget");
    assert!(body.get("stock").is_none(), "{body}");

    let e = error(&app, "$entity", StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "$id");
    for id in [
        "http://elsewhere.example/odata/products('p1')",
        "/other/products('p1')",
        "products",
        "products('p1')/name",
    ] {
        let r = app.get(&entity_id(id, &[])).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{id}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], "$id", "{id}");
    }
    let r = app
        .get(&entity_id("products('nope')", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = app
        .client
        .patch(app.url(&entity_id("products('p1')", &[])))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET");
    // Elsewhere `$id` means nothing: refused, not ignored.
    let e = error(&app, "products?$id=products('p1')", StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "$id");
}

#[tokio::test]
async fn key_values_may_be_parameter_aliases() {
    let app = with_product().await;
    let r = app
        .post_json("orders", &json!({"number": 42, "customer": "c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    for path in [
        "products(@k)?@k='p1'",
        "products(sku=@k)?@k='p1'",
        "products(%40k)?%40k=%27p1%27",
    ] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["sku"], "p1", "{path}");
    }
    let body = app.get_json("orders(@n)?@n=42").await;
    assert_eq!(body["number"], 42);
    let body = app.get_json("products(@k)/name?@k='p1'").await;
    assert_eq!(
        body["@odata.context"],
        app.url("$metadata#products('p1')/name").as_str()
    );
    assert_eq!(body["value"], "Widget");
    let r = app
        .get(&entity_id("products(@k)", &[("@k", "'p1'")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let e = error(&app, "products(@k)", StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "@k");
    assert!(e["message"].as_str().unwrap().contains("'@k'"), "{e}");
    let e = error(&app, "products(@k)?@j='p1'", StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "@k");
    let e = error(&app, "products(@k)?@k=sku", StatusCode::BAD_REQUEST).await;
    assert_eq!(e["target"], "@k");
    // A well-formed value of another type than the key's addresses no entity.
    let e = error(&app, "orders(@n)?@n='x'", StatusCode::NOT_FOUND).await;
    assert_eq!(e["target"], "number");
}
