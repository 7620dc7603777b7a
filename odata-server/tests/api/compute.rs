//! `$compute`: computed properties in `$select`, `$filter`, `$orderby`, paging, nested in
//! `$expand`, on single entities and navigation collections, through navigation
//! properties, and the errors.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app};

/// Products p1…p5 with stock 1…5 and names `Widget-1`…; orders 1…4 of p1 (4 of p2).
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    for n in 1..=5 {
        let mut body = product(&format!("p{n}"));
        body["stock"] = json!(n);
        body["name"] = json!(format!("Widget-{n}"));
        body["discount"] = json!(f64::from(n) / 4.0);
        let r = app.post_json("products", &body).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
    }
    for (number, sku) in [(1, "p1"), (2, "p1"), (3, "p1"), (4, "p2")] {
        let r = app
            .post_json(
                "orders",
                &json!({"number": number, "customer": format!("c{number}"),
                        "placed": "2024-02-28",
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
    app
}

fn values(body: &Value) -> &Vec<Value> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value array: {body}"))
}

fn column<'b>(body: &'b Value, name: &str) -> Vec<&'b Value> {
    values(body).iter().map(|e| &e[name]).collect()
}

/// The status and the error message of a request.
async fn error(app: &TestApp, path: &str) -> (StatusCode, String, Value) {
    let r = app.get(path).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, message, body)
}

#[tokio::test]
async fn computed_properties_are_selected_filtered_and_ordered() {
    let app = seeded().await;
    let body = app
        .get_json(
            "products?$compute=stock mul 2 as double,tolower(name) as lname\
             &$select=sku,double,lname&$filter=double gt 4&$orderby=double desc",
        )
        .await;
    assert_eq!(
        column(&body, "sku"),
        [&json!("p5"), &json!("p4"), &json!("p3")]
    );
    assert_eq!(column(&body, "double"), [&json!(10), &json!(8), &json!(6)]);
    assert_eq!(column(&body, "lname")[0], &json!("widget-5"));
    let first = values(&body)[0].as_object().unwrap();
    // Declared properties first, then the computed ones in `$compute` order; nothing else.
    let keys: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "@odata.type",
            "@odata.etag",
            "sku",
            "double@odata.type",
            "double",
            "lname"
        ]
    );
    assert_eq!(first["double@odata.type"], "#Int32");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#products(sku,double,lname)"),
        "{}",
        body["@odata.context"]
    );
    // Ordering by a computed string, ascending.
    let body = app
        .get_json("products?$compute=concat(name,sku) as label&$orderby=label&$select=label&$top=2")
        .await;
    assert_eq!(
        column(&body, "label"),
        [&json!("Widget-1p1"), &json!("Widget-2p2")]
    );
}

#[tokio::test]
async fn without_select_declared_and_computed_properties_are_returned() {
    let app = seeded().await;
    for query in ["", "&$select=*"] {
        let body = app
            .get_json(&format!(
                "products?$compute=stock add 1 as next&$filter=sku eq 'p2'{query}"
            ))
            .await;
        let entity = values(&body)[0].as_object().unwrap();
        assert_eq!(entity["next"], 3, "{query}");
        assert_eq!(entity["stock"], 2);
        assert_eq!(entity["name"], "Widget-2");
        let keys: Vec<&String> = entity.keys().collect();
        let next = keys.iter().position(|k| *k == "next").unwrap();
        let discount = keys.iter().position(|k| *k == "discount").unwrap();
        assert!(next > discount, "computed after declared: {keys:?}");
        assert!(entity.get("secret").is_none_or(Value::is_null));
    }
}

#[tokio::test]
async fn computed_values_have_their_json_form_and_type_annotations() {
    let app = seeded().await;
    let path = "products('p2')?$compute=releasedAt add duration'P1D' as later,\
                stock divby 4 as quarter,discount mul 2 as twice,color as shade,\
                stock gt 1 as many,date(releasedAt) as day,warranty as w\
                &$select=sku,later,quarter,twice,shade,many,day,w";
    let body = app.get_json(path).await;
    assert_eq!(body["later"], "2017-01-01T23:59:23.3984029-08:00");
    assert_eq!(body["later@odata.type"], "#DateTimeOffset");
    assert_eq!(body["quarter"], json!(0.5));
    assert_eq!(body["quarter@odata.type"], "#Decimal");
    assert_eq!(body["twice"], json!(1.0));
    assert!(body.get("twice@odata.type").is_none(), "Double is inferred");
    assert_eq!(body["shade"], "green");
    assert_eq!(body["shade@odata.type"], "#example.shop.color");
    assert_eq!(body["many"], true);
    assert!(body.get("many@odata.type").is_none(), "Boolean is inferred");
    assert_eq!(body["day"], "2016-12-31");
    assert_eq!(body["day@odata.type"], "#Date");
    assert_eq!(body["w"], "-PT35.9373414S");
    assert_eq!(body["w@odata.type"], "#Duration");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#products(sku,later,quarter,twice,shade,many,day,w)/$entity")
    );
    // No control information without metadata.
    let body = app
        .get_json(&format!(
            "{path}&$format=application/json;odata.metadata=none"
        ))
        .await;
    assert_eq!(body["shade"], "green");
    assert!(body.get("shade@odata.type").is_none(), "{body}");
    // An integer division by zero is null, in the output as in `$filter`.
    let body = app
        .get_json("products?$compute=stock div 0 as z&$filter=z eq null&$select=sku,z")
        .await;
    assert_eq!(values(&body).len(), 5);
    assert_eq!(column(&body, "z")[0], &Value::Null);
}

#[tokio::test]
async fn paging_by_a_computed_key_follows_next_links() {
    let app = seeded().await;
    let mut url =
        app.url("products?$compute=stock mul -1 as neg&$orderby=neg&$select=sku,neg&$count=true");
    let mut skus = Vec::new();
    let mut pages = 0;
    loop {
        let body: Value = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=2")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        assert_eq!(body["@odata.count"], 5);
        skus.extend(column(&body, "sku").into_iter().cloned());
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(skus, ["p5", "p4", "p3", "p2", "p1"]);
    // $top and $skip with a computed order.
    let body = app
        .get_json("products?$compute=stock mod 2 as odd&$orderby=odd desc,sku&$skip=1&$top=2&$select=sku,odd")
        .await;
    assert_eq!(column(&body, "sku"), [&json!("p3"), &json!("p5")]);
    assert_eq!(column(&body, "odd"), [&json!(1), &json!(1)]);
    // `/$count` honours a filter on a computed property.
    let r = app
        .get("products/$count?$compute=stock mul 2 as d&$filter=d ge 6")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "3");
}

#[tokio::test]
async fn nested_compute_in_expand() {
    let app = seeded().await;
    let body = app
        .get_json(
            "products('p1')?$select=sku&$expand=orders($compute=number mul 10 as big;\
             $select=number,big;$filter=big gt 10;$orderby=big desc)",
        )
        .await;
    let orders = body["orders"].as_array().unwrap();
    let big: Vec<&Value> = orders.iter().map(|o| &o["big"]).collect();
    assert_eq!(big, [&json!(30), &json!(20)]);
    assert_eq!(orders[0]["big@odata.type"], "#Int64");
    assert!(orders[0].get("customer").is_none(), "{}", orders[0]);
    // A single-valued navigation, and a computed property at both levels.
    let body = app
        .get_json(
            "orders?$compute=number add 100 as n&$orderby=n desc&$select=number,n\
             &$expand=product($compute=toupper(sku) as code;$select=code)",
        )
        .await;
    assert_eq!(column(&body, "n")[0], &json!(104));
    assert_eq!(values(&body)[0]["product"]["code"], "P2");
    assert_eq!(values(&body)[1]["product"]["code"], "P1");
}

#[tokio::test]
async fn single_entities_and_navigation_collections() {
    let app = seeded().await;
    let body = app
        .get_json("products('p3')?$compute=stock mul stock as square&$select=name,square")
        .await;
    assert_eq!(body["square"], 9);
    assert_eq!(body["name"], "Widget-3");
    assert!(body.get("stock").is_none());
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#products(name,square)/$entity")
    );
    let body = app
        .get_json(
            "products('p1')/orders?$compute=number add 1 as next&$filter=next gt 2&$orderby=next",
        )
        .await;
    assert_eq!(column(&body, "number"), [&json!(2), &json!(3)]);
    assert_eq!(column(&body, "next"), [&json!(3), &json!(4)]);
    // A later item uses an earlier one.
    let body = app
        .get_json("products('p2')?$compute=stock mul 3 as a,a add 1 as b&$select=b")
        .await;
    assert_eq!(body["b"], 7);
}

#[tokio::test]
async fn bad_compute_options_are_400_naming_the_problem() {
    let app = seeded().await;
    let cases = [
        ("products?$compute=stock add 1 as name", "'name'"),
        ("products?$compute=stock as orders", "'orders'"),
        ("products?$compute=stock as a,stock as a", "more than once"),
        (
            "products?$compute=stock as 1a",
            "name of the computed property",
        ),
        ("products?$compute=dimensions as d", "primitive"),
        ("products?$compute=stock add 'x' as s", "add"),
        ("products('p1')?$compute=stock as s&$select=t", "'t'"),
        ("products?$compute=stock as s&$select=sku,t", "'t'"),
        ("products?$compute=stock as s&$filter=t gt 1", "'t'"),
        ("products?$compute=secret as s", "secret"),
        (
            "products('p1')/name?$compute=stock as s",
            "applies to entities",
        ),
        (
            "products('p1')?$expand=orders/$ref($compute=number as n)",
            "$compute",
        ),
    ];
    for (path, needle) in cases {
        let (status, message, body) = error(&app, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(message.contains(needle), "{path}: {message}");
        let named = message.contains("$compute")
            || message.contains("$select")
            || message.contains("$filter");
        assert!(named, "{path}: {message}");
    }
    // Through a navigation property, as anywhere: an unknown property is a 400.
    let (status, message, _) = error(&app, "orders?$compute=product/nope as s").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("'nope'"), "{message}");
}

#[tokio::test]
async fn computed_values_read_through_navigation_properties() {
    let app = seeded().await;
    // An order without a product: its values through `product` are null.
    let r = app
        .post_json(
            "orders",
            &json!({"number": 5, "customer": "c5", "placed": "2024-03-01"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Single-valued: a property, arithmetic with the order's own, a function; selected,
    // filtered and ordered by.
    let body = app
        .get_json(
            "orders?$compute=product/name as item,product/stock mul number as weighted,\
             toupper(product/sku) as code,number add 1 as next\
             &$select=number,item,weighted,code,next&$orderby=number",
        )
        .await;
    assert_eq!(
        column(&body, "item"),
        [
            &json!("Widget-1"),
            &json!("Widget-1"),
            &json!("Widget-1"),
            &json!("Widget-2"),
            &Value::Null
        ]
    );
    assert_eq!(
        column(&body, "weighted"),
        [&json!(1), &json!(2), &json!(3), &json!(8), &Value::Null]
    );
    assert_eq!(column(&body, "code")[3], &json!("P2"));
    assert_eq!(column(&body, "next")[4], &json!(6));
    assert_eq!(values(&body)[0]["weighted@odata.type"], "#Int64");
    let body = app
        .get_json(
            "orders?$compute=product/stock as stock&$filter=stock ge 2\
             &$orderby=stock desc,number&$select=number,stock",
        )
        .await;
    assert_eq!(column(&body, "number"), [&json!(4)]);
    assert_eq!(column(&body, "stock"), [&json!(2)]);
    // Collection-valued: counts and lambdas, also of a single entity, and one page at a
    // time through the nextLinks ordered by the count.
    let query = "products?$compute=orders/$count as n,\
                 orders/any(o: o/customer eq 'c4') as c4\
                 &$select=sku,n,c4&$orderby=n desc,sku";
    let body = app.get_json(query).await;
    assert_eq!(
        column(&body, "sku"),
        [
            &json!("p1"),
            &json!("p2"),
            &json!("p3"),
            &json!("p4"),
            &json!("p5")
        ]
    );
    assert_eq!(
        column(&body, "n"),
        [&json!(3), &json!(1), &json!(0), &json!(0), &json!(0)]
    );
    assert_eq!(
        column(&body, "c4"),
        [
            &json!(false),
            &json!(true),
            &json!(false),
            &json!(false),
            &json!(false)
        ]
    );
    let mut url = app.url(query);
    let mut counts = Vec::new();
    loop {
        let page: Value = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=2")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        counts.extend(column(&page, "n").into_iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(counts, [json!(3), json!(1), json!(0), json!(0), json!(0)]);
    let body = app
        .get_json("products('p1')?$compute=orders/$count as n&$select=n")
        .await;
    assert_eq!(body["n"], 3);
    // Nested in `$expand`, through the expanded entity's own navigation properties.
    let body = app
        .get_json(
            "orders(4)?$select=number&$expand=product($compute=orders/$count as n;\
             $select=sku,n)",
        )
        .await;
    assert_eq!(body["product"]["n"], 1);
    let body = app
        .get_json(
            "products('p1')?$select=sku&$expand=orders($compute=product/name as item;\
             $select=number,item;$orderby=number)",
        )
        .await;
    let items: Vec<&Value> = body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["item"])
        .collect();
    assert_eq!(items, [&json!("Widget-1"); 3]);
    // Values of every kind keep their OData form: an offset as written, an enum member,
    // a duration, a date compared inside a lambda.
    let body = app
        .get_json(
            "orders(1)?$compute=product/releasedAt as released,product/color as color,\
             product/warranty as warranty,product/releasedAt add duration'P1D' as later,\
             product/orders/any(o: o/placed eq 2024-02-28) as feb28\
             &$select=released,color,warranty,later,feb28",
        )
        .await;
    assert_eq!(
        body["released"], "2016-12-31T23:59:23.3984029-08:00",
        "{body}"
    );
    assert_eq!(body["released@odata.type"], "#DateTimeOffset");
    assert_eq!(body["later"], "2017-01-01T23:59:23.3984029-08:00", "{body}");
    assert_eq!(body["color"], "green");
    assert_eq!(body["warranty"], "-PT35.9373414S");
    assert_eq!(body["feb28"], true);
    // What a client may not read directly it may not compute either.
    let (status, message, _) = error(&app, "orders?$compute=product/secret as s").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("secret"), "{message}");
}
