//! Tenant isolation: rows belong to the tenant of the token that wrote them; another
//! tenant's key is simply not there (404, never 403 or 409).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::product;
use crate::secure_helpers::*;

#[tokio::test]
async fn another_tenants_rows_are_invisible_and_untouchable() {
    let app = spawn_secured(hs256_config()).await;
    let (a, b) = (writer("tenant-a"), writer("tenant-b"));
    let r = app
        .post("products", &a, &product("a-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post("products", &a, &product("a-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Reads from tenant B: by key 404, collection empty, $count 0.
    let r = app.get("products('a-1')", &b).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ResourceNotFound");
    let r = app.get("products/a-1", &b).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list: Value = app
        .get("products", &b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"], json!([]));
    let count = app
        .get("products/$count", &b)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "0");

    // Writes from tenant B: PATCH, PUT, DELETE are 404 and change nothing.
    for method in [reqwest::Method::PATCH, reqwest::Method::PUT] {
        let body = if method == reqwest::Method::PUT {
            product("a-1")
        } else {
            json!({"stock": 99})
        };
        let r = app
            .client
            .request(method.clone(), app.url("products('a-1')"))
            .bearer_auth(&b)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method}");
    }
    let r = app
        .client
        .delete(app.url("products('a-1')"))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Tenant A still sees both, unchanged.
    let got: Value = app
        .get("products('a-1')", &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["stock"], 3);
    let count = app
        .get("products/$count", &a)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "2");
    let list: Value = app
        .get("products", &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_same_client_key_in_two_tenants_does_not_conflict() {
    let app = spawn_secured(hs256_config()).await;
    let (a, b) = (writer("tenant-a"), writer("tenant-b"));
    let mut body_b = product("shared");
    body_b["stock"] = json!(7);
    let r = app
        .post("products", &a, &product("shared"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app.post("products", &b, &body_b).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "no 409 across tenants");
    // Within one tenant the key is still unique.
    let r = app.post("products", &b, &body_b).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    let got_a: Value = app
        .get("products('shared')", &a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got_b: Value = app
        .get("products('shared')", &b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got_a["stock"], 3);
    assert_eq!(got_b["stock"], 7);

    // Deleting in B leaves A's row.
    let r = app
        .client
        .delete(app.url("products('shared')"))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.get("products('shared')", &a).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.get("products('shared')", &b).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn navigation_subqueries_stay_in_the_callers_tenant() {
    let app = spawn_secured(hs256_config()).await;
    let orders = |tenant: &str| hs256(&claims(tenant, &format!("{READ_WRITE} {ORDERS}")));
    let (a, b) = (orders("tenant-a"), orders("tenant-b"));
    // The same product key in both tenants; only tenant B's has orders.
    for token in [&a, &b] {
        let r = app
            .post("products", token, &product("p1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for number in [1, 2] {
        let order = json!({"number": number, "customer": "x",
                           "product@odata.bind": "products('p1')"});
        let r = app.post("orders", &b, &order).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (path, a_sees, b_sees) in [
        ("products?$filter=orders/any()", 0, 1),
        ("products?$filter=orders/$count eq 2", 0, 1),
        ("products?$filter=orders/all(o: o/customer eq 'y')", 1, 0),
        ("orders?$filter=product/orders/$count eq 2", 0, 2),
    ] {
        for (token, expected) in [(&a, a_sees), (&b, b_sees)] {
            let body: Value = app
                .get(path, token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                body["value"].as_array().unwrap().len(),
                expected,
                "{path}: {body}"
            );
        }
    }
}
