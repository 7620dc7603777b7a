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

const FULL: &str = "application/json;odata.metadata=full";

/// Two products and an order linked to the first one.
async fn linked_shop() -> crate::helpers::TestApp {
    let app = spawn_app().await;
    for sku in ["p-1", "p-2"] {
        let r = app
            .post_json("products", &product(sku))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = app
        .post_json(
            "orders",
            &serde_json::json!({"number": 7, "customer": "c",
                                "product@odata.bind": "products('p-1')"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    app
}

/// Asserts the full-metadata control information of a product or an order: its id, edit
/// link and type, and the link of its navigation property unless `linked` is false.
fn assert_full_as(
    app: &crate::helpers::TestApp,
    entity: &serde_json::Value,
    path: &str,
    ty: &str,
    linked: bool,
) {
    let url = app.url(path);
    assert_eq!(entity["@odata.id"], url.as_str(), "{entity}");
    assert_eq!(entity["@odata.editLink"], url.as_str(), "{entity}");
    assert_eq!(
        entity["@odata.type"],
        format!("#example.shop.{ty}"),
        "{entity}"
    );
    let navigation = if ty == "product" { "orders" } else { "product" };
    let link = &entity[format!("{navigation}@odata.navigationLink")];
    if linked {
        assert_eq!(link, &format!("{url}/{navigation}"), "{entity}");
    } else {
        assert!(link.is_null(), "{entity}");
    }
}

fn assert_full(app: &crate::helpers::TestApp, entity: &serde_json::Value, path: &str, ty: &str) {
    assert_full_as(app, entity, path, ty, true);
}

#[tokio::test]
async fn full_metadata_writes_ids_edit_links_and_navigation_links() {
    let app = linked_shop().await;
    // Accept and $format both ask for it.
    let r = app
        .get("products")
        .header("Accept", FULL)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("odata.metadata=full")
    );
    let body: serde_json::Value = r.json().await.unwrap();
    let products = body["value"].as_array().unwrap();
    assert_eq!(products.len(), 2);
    assert_full(&app, &products[0], "products('p-1')", "product");
    assert_full(&app, &products[1], "products('p-2')", "product");
    let order = app.get_json(&format!("orders(7)?$format={FULL}")).await;
    assert_full(&app, &order, "orders(7)", "order");
    // Without the key selected, the entity still says which it is; a select list leaves
    // out the navigations it does not name.
    let order = app
        .get_json(&format!("orders?$select=customer&$format={FULL}"))
        .await;
    let order = &order["value"][0];
    assert_full_as(&app, order, "orders(7)", "order", false);
    assert!(order.get("number").is_none(), "{order}");
    // Expanded entities carry theirs; an expanded navigation is linked, selected or not.
    let order = app
        .get_json(&format!(
            "orders(7)?$select=number&$expand=product($select=name)&$format={FULL}"
        ))
        .await;
    assert_full(&app, &order, "orders(7)", "order");
    assert_full_as(&app, &order["product"], "products('p-1')", "product", false);
    let product = app
        .get_json(&format!("products('p-1')?$expand=orders&$format={FULL}"))
        .await;
    assert_full(&app, &product, "products('p-1')", "product");
    assert_full(&app, &product["orders"][0], "orders(7)", "order");
    // The links point at resources that exist.
    let related = app.get_json("orders(7)/product").await;
    assert_eq!(related["sku"], "p-1");
}

#[tokio::test]
async fn minimal_metadata_writes_no_ids_or_links() {
    let app = linked_shop().await;
    for path in [
        "products",
        "products('p-1')?$expand=orders",
        "orders(7)?$expand=product",
        "orders?$format=application/json;odata.metadata=minimal",
    ] {
        let text = app.get(path).send().await.unwrap().text().await.unwrap();
        for control in ["@odata.id", "@odata.editLink", "@odata.navigationLink"] {
            assert!(!text.contains(control), "{path}: {control} in {text}");
        }
        assert!(text.contains("\"@odata.type\":\"#example.shop."), "{path}");
    }
}

#[tokio::test]
async fn omit_values_nulls_leaves_out_null_properties_and_says_so() {
    let app = spawn_app().await;
    let r = app
        .post_json("products", &product("o-1"))
        .header("Prefer", "omit-values=nulls, return=representation")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers().get_all("preference-applied").iter().count(), 1);
    assert_eq!(
        r.headers()["preference-applied"],
        "omit-values=nulls, return=representation"
    );
    let created: serde_json::Value = r.json().await.unwrap();
    assert!(created.get("discount").is_none(), "{created}");
    assert!(created.get("secret").is_none(), "{created}");
    assert_eq!(created["sku"], "o-1");
    // Without the preference, nulls are written.
    let plain = app.get("products('o-1')").send().await.unwrap();
    assert!(plain.headers().get("preference-applied").is_none());
    let plain: serde_json::Value = plain.json().await.unwrap();
    assert!(plain["discount"].is_null() && plain.get("discount").is_some());
    for path in [
        "products('o-1')",
        "products",
        "products?$select=sku,discount",
    ] {
        let r = app
            .get(path)
            .header("Prefer", "odata.omit-values=nulls")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["preference-applied"],
            "odata.omit-values=nulls",
            "{path}"
        );
        let text = r.text().await.unwrap();
        assert!(!text.contains("\"discount\":"), "{path}: {text}");
        assert!(text.contains("\"sku\":\"o-1\""), "{path}: {text}");
    }
    // A 4.0 response cannot omit anything: the preference is not applied.
    let r = app
        .get("products('o-1')")
        .header("Prefer", "omit-values=nulls")
        .header("OData-MaxVersion", "4.0")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("preference-applied").is_none());
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body.get("discount").is_some(), "{body}");
    // omit-values=defaults is not applied.
    let r = app
        .get("products('o-1')")
        .header("Prefer", "omit-values=defaults")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("preference-applied").is_none());
    assert!(r.text().await.unwrap().contains("\"discount\":null"));
}

#[tokio::test]
async fn applied_preferences_share_one_header() {
    let app = spawn_app().await;
    for sku in ["a", "b"] {
        app.post_json("products", &product(sku))
            .send()
            .await
            .unwrap();
    }
    let r = app
        .get("products")
        .header("Prefer", "maxpagesize=1")
        .header("Prefer", "omit-values=nulls")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get_all("preference-applied").iter().count(), 1);
    assert_eq!(
        r.headers()["preference-applied"],
        "maxpagesize=1, omit-values=nulls"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert!(body["@odata.nextLink"].is_string());
    let r = app
        .patch_json("products('a')", &serde_json::json!({"stock": 9}))
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["preference-applied"], "return=minimal");
}

#[tokio::test]
async fn include_annotations_is_accepted_but_never_reported_as_applied() {
    let app = spawn_app().await;
    app.post_json("products", &product("i-1"))
        .send()
        .await
        .unwrap();
    let plain = app.get_json("products").await;
    for prefer in [
        r#"odata.include-annotations="*""#,
        r#"include-annotations="-*,display.*""#,
        // Malformed values are ignored like unknown preferences.
        r#"include-annotations="bad,,""#,
        "odata.include-annotations=",
        r#"include-annotations="unterminated"#,
    ] {
        let r = app
            .get("products")
            .header("Prefer", prefer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{prefer}");
        // No instance annotations are written, so the preference changes nothing.
        assert!(r.headers().get("preference-applied").is_none(), "{prefer}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body, plain, "{prefer}");
    }
    let r = app
        .get("products")
        .header(
            "Prefer",
            r#"odata.include-annotations="*", odata.maxpagesize=5"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["preference-applied"], "odata.maxpagesize=5");
    // A malformed maxpagesize is ignored: the default page, nothing applied.
    let r = app
        .get("products")
        .header("Prefer", "odata.maxpagesize=0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("preference-applied").is_none());
}

/// The `Vary` names of a response, lower-cased.
fn vary(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn responses_that_depend_on_prefer_vary_on_it() {
    let app = spawn_app().await;
    let created = app
        .post_json("products", &product("v-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(vary(&created), ["prefer"]);
    let minimal = app
        .post_json("products", &product("v-2"))
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(vary(&minimal), ["prefer"]);
    for path in [
        "products",
        "products('v-1')",
        "products/v-1",
        "products('v-1')/orders",
        "$entity?$id=products('v-1')",
    ] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(vary(&r), ["prefer"], "{path}");
    }
    let patched = app
        .patch_json("products('v-1')", &serde_json::json!({"stock": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(vary(&patched), ["prefer"]);
    for path in ["", "$metadata", "products/$count", "products('v-1')/name"] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(vary(&r).is_empty(), "{path}: {:?}", vary(&r));
    }
    let deleted = app
        .client
        .delete(app.url("products('v-2')"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(vary(&deleted).is_empty());
}

#[tokio::test]
async fn accept_is_read_by_quality_and_parameters_are_checked() {
    let app = spawn_app().await;
    let get = |path: &str, accept: &str| app.get(path).header("Accept", accept.to_owned()).send();
    // The higher quality wins, whatever the order.
    let r = get("$metadata", "application/xml;q=0.5, application/json;q=0.9")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let r = get("$metadata", "application/json;q=0.1, application/xml")
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    // Parameter values are case-insensitive.
    let r = get("products", "application/json;odata.metadata=FULL")
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("odata.metadata=full")
    );
    // An unknown parameter is not silently dropped: that range is not served, another
    // one may be.
    let r = get("products", "application/json;odata=verbose")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'odata'"),
        "{body}"
    );
    let r = get(
        "products",
        "application/json;odata=verbose, application/json;q=0.5",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .get("products?$format=application/json;odata.streaming=true;charset=utf-8")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .get("products?$format=application/json;foo=bar")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
}
