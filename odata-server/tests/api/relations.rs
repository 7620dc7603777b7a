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

#[tokio::test]
async fn members_are_added_and_removed_through_ref() {
    let app = spawn_app().await;
    for sku in ["p1", "p2"] {
        let r = app
            .post_json("products", &product(sku))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for number in [1, 2, 3] {
        let r = app
            .post_json("orders", &json!({"number": number}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let refs = "products('p1')/orders/$ref";
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let request = app.client.request(method, app.url(path));
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
    };
    // Relative and absolute ids; the 4.01 `@id` too.
    for body in [
        json!({"@odata.id": "orders(1)"}),
        json!({"@odata.id": app.url("orders(2)")}),
        json!({"@id": "orders(3)"}),
    ] {
        let r = send(reqwest::Method::POST, refs, Some(body.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{body}");
    }
    assert_eq!(app.get_json("orders(2)/product").await["sku"], "p1");
    let listed = app.get_json(&format!("{refs}?$orderby=number")).await;
    let ids: Vec<&str> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["@odata.id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0].ends_with("orders(1)"), "{ids:?}");
    let one = app.get_json("products('p1')/orders(2)/$ref").await;
    assert!(
        one["@odata.id"].as_str().unwrap().ends_with("orders(2)"),
        "{one}"
    );
    assert!(
        one["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#$ref")
    );

    // Bad adds: no such order, not an order, no id, no such product.
    for (path, body, status, target) in [
        (
            refs,
            json!({"@odata.id": "orders(99)"}),
            StatusCode::BAD_REQUEST,
            "@odata.id",
        ),
        (
            refs,
            json!({"@odata.id": "products('p2')"}),
            StatusCode::BAD_REQUEST,
            "@odata.id",
        ),
        (
            refs,
            json!({"id": "orders(1)"}),
            StatusCode::BAD_REQUEST,
            "@odata.id",
        ),
        (
            "products('nope')/orders/$ref",
            json!({"@odata.id": "orders(1)"}),
            StatusCode::NOT_FOUND,
            "",
        ),
    ] {
        let r = send(reqwest::Method::POST, path, Some(body.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
        if !target.is_empty() {
            let e: Value = r.json().await.unwrap();
            assert_eq!(e["error"]["target"], target, "{e}");
        }
    }

    // Removing: by `$id`, by key in the path; a non-member is a 404.
    let r = send(
        reqwest::Method::DELETE,
        &format!("{refs}?$id=orders(1)"),
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.get("orders(1)/product").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "the link is gone");
    let r = send(
        reqwest::Method::DELETE,
        &format!("{refs}?$id=orders(1)"),
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = send(
        reqwest::Method::DELETE,
        "products('p1')/orders(2)/$ref",
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = send(
        reqwest::Method::DELETE,
        "products('p2')/orders(3)/$ref",
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "order 3 is p1's");
    let r = send(reqwest::Method::DELETE, refs, None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "which member?");
    assert_eq!(app.get_json("products('p1')/orders/$count").await, json!(1));
    let r = send(
        reqwest::Method::PUT,
        refs,
        Some(json!({"@odata.id": "orders(1)"})),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, POST, DELETE");
}

#[tokio::test]
async fn deep_inserts_and_collection_binds_write_everything_or_nothing() {
    let app = spawn_app().await;
    for number in [1, 2] {
        let r = app
            .post_json("orders", &json!({"number": number}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    // A product created with two new orders and two existing ones.
    let mut body = product("p1");
    body["orders"] = json!([{"number": 10, "customer": "c10"}, {"number": 11}]);
    body["orders@odata.bind"] = json!(["orders(1)", app.url("orders(2)")]);
    let r = app.post_json("products", &body).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "inline and bound at once"
    );
    body.as_object_mut().unwrap().remove("orders@odata.bind");
    let r = app.post_json("products", &body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // The created orders come back inline.
    let created: Value = r.json().await.unwrap();
    let mut inline: Vec<i64> = created["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("{created}"))
        .iter()
        .map(|o| o["number"].as_i64().unwrap())
        .collect();
    inline.sort_unstable();
    assert_eq!(inline, [10, 11]);
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
        [10, 11]
    );
    let mut body = product("p2");
    body["orders@odata.bind"] = json!(["orders(1)", app.url("orders(2)")]);
    let r = app.post_json("products", &body).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        numbers(app.get_json("products('p2')/orders?$orderby=number").await),
        [1, 2]
    );
    // An order created with its new product.
    let r = app
        .post_json("orders", &json!({"number": 20, "product": product("p3")}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(app.get_json("orders(20)/product").await["sku"], "p3");

    // Failures leave nothing behind: a duplicate inline order, a bind to a missing order,
    // an invalid inline property (named by its path).
    let products_before = app.get_json("products/$count").await;
    let orders_before = app.get_json("orders/$count").await;
    for (body, status, target) in [
        (
            json!({"orders": [{"number": 30}, {"number": 1}]}),
            StatusCode::CONFLICT,
            None,
        ),
        (
            json!({"orders": [{"number": 31}], "orders@odata.bind": []}),
            StatusCode::BAD_REQUEST,
            Some("orders"),
        ),
        (
            json!({"orders@odata.bind": ["orders(1)", "orders(99)"]}),
            StatusCode::BAD_REQUEST,
            Some("orders@odata.bind"),
        ),
        (
            json!({"orders": [{"number": 32}, {"number": "x"}]}),
            StatusCode::BAD_REQUEST,
            Some("orders[1]/number"),
        ),
    ] {
        let mut full = product("p9");
        full.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let r = app.post_json("products", &full).send().await.unwrap();
        assert_eq!(r.status(), status, "{body}");
        if let Some(target) = target {
            let e: Value = r.json().await.unwrap();
            assert_eq!(e["error"]["target"], target, "{e}");
        }
    }
    assert_eq!(app.get_json("products/$count").await, products_before);
    assert_eq!(app.get_json("orders/$count").await, orders_before);
    assert_eq!(
        numbers(app.get_json("products('p2')/orders?$orderby=number").await),
        [1, 2]
    );

    // PATCH adds to a collection by bind, in the update's transaction.
    let r = app
        .patch_json(
            "products('p1')",
            &json!({"stock": 1, "orders@odata.bind": ["orders(1)"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        numbers(app.get_json("products('p1')/orders?$orderby=number").await),
        [1, 10, 11]
    );
    let r = app
        .patch_json(
            "products('p1')",
            &json!({"stock": 2, "orders@odata.bind": ["orders(404)"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.get_json("products('p1')").await["stock"], 1);
    // No deep update.
    let r = app
        .patch_json("products('p1')", &json!({"orders": [{"number": 40}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expanded_references_are_ids_with_the_collection_options() {
    let app = spawn_app().await;
    let r = app
        .post_json("products", &product("p1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    for number in [1, 2, 3] {
        let r = app
            .post_json(
                "orders",
                &json!({"number": number, "product@odata.bind": "products('p1')"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let body = app
        .get_json("products('p1')?$expand=orders/$ref($filter=number ge 2;$orderby=number desc;$count=true)")
        .await;
    assert_eq!(body["orders@odata.count"], 2);
    assert_eq!(
        body["orders"],
        json!([{"@odata.id": app.url("orders(3)")}, {"@odata.id": app.url("orders(2)")}])
    );
    let body = app.get_json("orders(1)?$expand=product/$ref").await;
    assert_eq!(
        body["product"],
        json!({"@odata.id": app.url("products('p1')")})
    );
    for nested in ["$select=number", "$expand=product", "$levels=2"] {
        let r = app
            .get(&format!("products('p1')?$expand=orders/$ref({nested})"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{nested}");
    }
}

#[tokio::test]
async fn entities_are_created_updated_and_deleted_through_navigation() {
    let app = spawn_app().await;
    for sku in ["p1", "p2"] {
        let r = app
            .post_json("products", &product(sku))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    // Created through the navigation: linked to the product.
    let r = app
        .post_json(
            "products('p1')/orders",
            &json!({"number": 1, "customer": "a"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("orders(1)")
    );
    assert_eq!(app.get_json("orders(1)/product").await["sku"], "p1");
    let r = app
        .post_json("products('nope')/orders", &json!({"number": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get_json("orders/$count").await, json!(1));
    // Updated through it, as a member of this product only.
    let r = app
        .patch_json("products('p1')/orders(1)", &json!({"customer": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get_json("orders(1)").await["customer"], "b");
    let r = app
        .patch_json("products('p2')/orders(1)", &json!({"customer": "c"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A single-valued navigation's entity.
    let r = app
        .patch_json("orders(1)/product", &json!({"stock": 42}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get_json("products('p1')").await["stock"], 42);
    let r = app
        .client
        .delete(app.url("products('p2')/orders(1)"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .client
        .delete(app.url("products('p1')/orders(1)"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json("orders/$count").await, json!(0));
    let r = app
        .client
        .patch(app.url("products('p1')/orders"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, POST");
}

/// Creates products `p1`..`p3` and orders 1–4 (three of `p1`, one of `p2`, none of `p3`).
async fn three_products_four_orders(app: &crate::helpers::TestApp) {
    for (sku, stock) in [("p1", 5), ("p2", 7), ("p3", 5)] {
        let mut body = product(sku);
        body["stock"] = json!(stock);
        let r = app.post_json("products", &body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (number, sku, customer) in [
        (1, "p1", "ann"),
        (2, "p1", "bob"),
        (3, "p2", "ann"),
        (4, "p1", "cy"),
    ] {
        let r = app
            .post_json(
                "orders",
                &json!({"number": number, "customer": customer,
                        "placed": (number != 4).then(|| format!("2024-0{number}-01")),
                        "product@odata.bind": format!("products('{sku}')")}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

/// The keys `key` of the entities a GET answers, in order.
async fn keys(app: &crate::helpers::TestApp, path: &str, key: &str) -> Vec<Value> {
    let r = app.get(path).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[key].clone())
        .collect()
}

#[tokio::test]
async fn collection_valued_navigations_are_iterated_and_counted_in_expressions() {
    let app = spawn_app().await;
    three_products_four_orders(&app).await;
    let cases: &[(&str, Value)] = &[
        // Lambdas over the related entities.
        (
            "products?$filter=orders/any(o: o/customer eq 'ann')&$orderby=sku",
            json!(["p1", "p2"]),
        ),
        (
            "products?$filter=orders/any()&$orderby=sku",
            json!(["p1", "p2"]),
        ),
        ("products?$filter=not orders/any()", json!(["p3"])),
        // `all` over no related entity is true.
        (
            "products?$filter=orders/all(o: o/customer ne 'bob')&$orderby=sku",
            json!(["p2", "p3"]),
        ),
        // A null predicate (order 4 has no date) counts as false in `all`.
        (
            "products?$filter=orders/all(o: o/placed ge 2024-01-01)&$orderby=sku",
            json!(["p2", "p3"]),
        ),
        // `$it` inside the predicate is the product; the variable goes on through `product`.
        (
            "products?$filter=orders/any(o: o/number gt $it/stock sub 4)",
            json!(["p1"]),
        ),
        (
            "products?$filter=orders/any(o: o/product/stock eq 7)",
            json!(["p2"]),
        ),
        // Lambdas nest; the inner one iterates a JSON collection of the outer row.
        (
            "products?$filter=orders/any(o: o/product/tags/any(t: t eq 'nothing'))",
            json!([]),
        ),
        (
            "products?$filter=orders/any(o: o/customer eq 'bob' and o/product/tags/any(t: t eq 'b'))",
            json!(["p1"]),
        ),
        // Counts, in $filter and $orderby.
        ("products?$filter=orders/$count ge 2", json!(["p1"])),
        ("products?$filter=orders/$count eq 0", json!(["p3"])),
        (
            "products?$orderby=orders/$count desc,sku",
            json!(["p1", "p2", "p3"]),
        ),
        // Several hops: from an order through its product to that product's orders.
        (
            "orders?$filter=product/orders/$count eq 3&$orderby=number",
            json!([1, 2, 4]),
        ),
        (
            "orders?$filter=product/orders/any(o: o/customer eq 'cy')&$orderby=number",
            json!([1, 2, 4]),
        ),
        (
            "orders?$filter=product/orders/all(o: o/customer eq $it/customer)",
            json!([3]),
        ),
        // Inside an expansion's options.
        (
            "products('p1')/orders?$filter=product/orders/$count gt 2&$orderby=number",
            json!([1, 2, 4]),
        ),
    ];
    for (path, expected) in cases {
        let key = if path.starts_with("products?") {
            "sku"
        } else {
            "number"
        };
        assert_eq!(
            &Value::Array(keys(&app, path, key).await),
            expected,
            "{path}"
        );
    }
    let body = app
        .get_json("products?$filter=sku eq 'p1'&$expand=orders($filter=product/orders/$count eq 3;$select=number)")
        .await;
    assert_eq!(
        body["value"][0]["orders"].as_array().unwrap().len(),
        3,
        "{body}"
    );
    // A collection-valued navigation is not a value, and its members are entities.
    for (path, message) in [
        (
            "products?$filter=orders eq null",
            "collection-valued navigation property",
        ),
        ("products?$filter=orders/customer eq 'x'", "is a collection"),
        (
            "products?$filter=orders/any(o: o/nothing eq 1)",
            "'nothing' is not a property of 'example.shop.order'",
        ),
        (
            "products?$filter=orders/any(o: o eq 1)",
            "a path must end in a property",
        ),
    ] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = r.json().await.unwrap();
        let text = body["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{path}: {text}");
    }
}
