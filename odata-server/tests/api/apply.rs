//! `$apply` (OData Data Aggregation Extension) on the shop model: every transformation with
//! worked values, chains, the options after `$apply`, navigation paths and every error.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app, spawn_with};
use crate::secure_helpers::{ORDERS, READ_WRITE, claims, hs256, spawn_secured, writer};

/// p1 red 5 (discount 1.5), p2 red 3 (no discount), p3 green 10 (2.5), p4 blue 0 (0.5).
/// p1 was released at 22:00 UTC, p2 an hour later, though p1's text sorts after p2's.
async fn shop(app: &TestApp) {
    let rows = [
        (
            "p1",
            "Anvil",
            "red",
            5,
            Some(1.5),
            "2020-01-01T00:00:00+02:00",
        ),
        ("p2", "Bolt", "red", 3, None, "2019-12-31T23:00:00Z"),
        (
            "p3",
            "Crate",
            "green",
            10,
            Some(2.5),
            "2021-06-01T00:00:00Z",
        ),
        ("p4", "Drill", "blue", 0, Some(0.5), "2018-01-01T00:00:00Z"),
    ];
    for (sku, name, color, stock, discount, released) in rows {
        let mut body = product(sku);
        body["name"] = json!(name);
        body["color"] = json!(color);
        body["stock"] = json!(stock);
        body["discount"] = json!(discount);
        body["releasedAt"] = json!(released);
        let r = app.post_json("products", &body).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
    }
    for (number, sku) in [(1, "p1"), (2, "p1"), (3, "p2"), (4, "p1"), (5, "p3")] {
        let r = app
            .post_json(
                "orders",
                &json!({"number": number, "customer": format!("c{}", number % 2),
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
}

async fn ok(app: &TestApp, query: &str) -> Value {
    let r = app.get(query).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

async fn error(app: &TestApp, query: &str, status: StatusCode) -> String {
    let r = app.get(query).send().await.unwrap();
    assert_eq!(r.status(), status, "{query}");
    let body: Value = r.json().await.unwrap();
    body["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn aggregate_computes_each_method() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=aggregate(stock with sum as total,$count as n,stock with min as lo,\
         stock with max as hi,stock with average as mean,discount with average as d,\
         color with countdistinct as colors)",
    )
    .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#products(total,n,lo,hi,mean,d,colors)"),
        "{body}"
    );
    let row = &body["value"][0];
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert_eq!(row["total"], 18);
    assert_eq!(row["total@odata.type"], "#Int64");
    assert_eq!(row["n"], 4);
    assert_eq!(row["n@odata.type"], "#Decimal");
    assert_eq!(
        (row["lo"].clone(), row["hi"].clone()),
        (json!(0), json!(10))
    );
    assert_eq!(row["lo@odata.type"], "#Int32");
    assert_eq!(row["mean"], 4.5);
    assert_eq!(row["mean@odata.type"], "#Decimal");
    // Nulls do not count: (1.5 + 2.5 + 0.5) / 3.
    assert_eq!(row["d"], 1.5);
    assert!(
        row.get("d@odata.type").is_none(),
        "Double needs no annotation"
    );
    assert_eq!(row["colors"], 3);
    assert!(row.get("@odata.id").is_none() && row.get("@odata.etag").is_none());
}

#[tokio::test]
async fn min_and_max_of_date_time_offsets_are_chronological() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=filter(color eq 'red')/aggregate(releasedAt with max as latest,releasedAt with min as first)",
    )
    .await;
    assert_eq!(body["value"][0]["latest"], "2019-12-31T23:00:00Z");
    assert_eq!(body["value"][0]["first"], "2019-12-31T22:00:00Z");
    assert_eq!(body["value"][0]["latest@odata.type"], "#DateTimeOffset");
    // A later stage reads them in UTC, their offset.
    let body = ok(
        &app,
        "products?$apply=filter(color eq 'red')/aggregate(releasedAt with min as first)\
         /compute(hour(first) as h,totaloffsetminutes(first) as o,date(first) as d)",
    )
    .await;
    assert_eq!(body["value"][0]["h"], 22, "{body}");
    assert_eq!(body["value"][0]["o"], 0, "{body}");
    assert_eq!(body["value"][0]["d"], "2019-12-31", "{body}");
}

#[tokio::test]
async fn date_time_offsets_group_by_instant() {
    let app = spawn_app().await;
    shop(&app).await;
    // p2's release, the same instant as p1's spelled in another offset.
    let mut body = product("p5");
    body["color"] = json!("red");
    body["stock"] = json!(1);
    body["releasedAt"] = json!("2019-12-31T22:00:00Z");
    let r = app.post_json("products", &body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body = ok(
        &app,
        "products?$apply=filter(color eq 'red')/groupby((releasedAt),aggregate($count as n))",
    )
    .await;
    let groups: Vec<(&str, i64)> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["releasedAt"].as_str().unwrap(), g["n"].as_i64().unwrap()))
        .collect();
    // One group per instant; its value the member text that sorts first.
    assert_eq!(
        groups,
        [("2019-12-31T22:00:00Z", 2), ("2019-12-31T23:00:00Z", 1)],
        "{body}"
    );
}

#[tokio::test]
async fn groupby_groups_and_aggregates_per_group() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=groupby((color),aggregate(stock with sum as total,$count as n))",
    )
    .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#products(color,total,n)")
    );
    let rows: Vec<(Value, Value, Value)> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["color"].clone(), r["total"].clone(), r["n"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!("red"), json!(8), json!(2)),
            (json!("green"), json!(10), json!(1)),
            (json!("blue"), json!(0), json!(1)),
        ]
    );
    // The enumeration is a declared property: no annotation.
    assert!(body["value"][0].get("color@odata.type").is_none());
    // Without aggregate: the distinct values only.
    let body = ok(&app, "products?$apply=filter(stock gt 2)/groupby((color))").await;
    assert_eq!(body["value"], json!([{"color": "red"}, {"color": "green"}]));
    // A filter inside groupby chooses what each group aggregates; every group stays.
    let body = ok(
        &app,
        "products?$apply=groupby((color),filter(stock gt 3)/aggregate($count as n,stock with sum as s))",
    )
    .await;
    let rows: Vec<(Value, Value, Value)> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["color"].clone(), r["n"].clone(), r["s"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!("red"), json!(1), json!(5)),
            (json!("green"), json!(1), json!(10)),
            (json!("blue"), json!(0), Value::Null),
        ]
    );
    // Per-group filter before the aggregate, and a filter on the aggregated value after.
    let body = ok(
        &app,
        "products?$apply=groupby((color),filter(stock gt 3)/aggregate($count as n)/filter(n ge 1))",
    )
    .await;
    assert_eq!(
        body["value"],
        json!([{"color": "red", "n@odata.type": "#Decimal", "n": 1},
               {"color": "green", "n@odata.type": "#Decimal", "n": 1}])
    );
}

#[tokio::test]
async fn chained_transformations_filter_order_top_skip_identity() {
    let app = spawn_app().await;
    shop(&app).await;
    let base = "products?$apply=groupby((color),aggregate(stock with sum as total))";
    let totals = |body: &Value| -> Vec<Value> {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["total"].clone())
            .collect()
    };
    let body = ok(&app, &format!("{base}/filter(total gt 5)")).await;
    assert_eq!(totals(&body), [json!(8), json!(10)]);
    let body = ok(&app, &format!("{base}/orderby(total desc)/top(2)")).await;
    assert_eq!(totals(&body), [json!(10), json!(8)]);
    let body = ok(
        &app,
        &format!("{base}/orderby(total desc)/skip(1)/identity"),
    )
    .await;
    assert_eq!(totals(&body), [json!(8), json!(0)]);
    // Entity-preserving transformations only: the instances themselves.
    let body = ok(
        &app,
        "products?$apply=filter(stock ge 3)/orderby(stock desc)/skip(1)/top(1)",
    )
    .await;
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert_eq!(body["value"][0]["sku"], "p1");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#products")
    );
    let body = ok(&app, "products?$apply=identity").await;
    assert_eq!(body["value"].as_array().unwrap().len(), 4);
    assert!(
        body["value"][0].get("secret").is_none(),
        "write-only stays out"
    );
    let body = ok(&app, "products?$apply=search(Crate)").await;
    assert_eq!(body["value"][0]["sku"], "p3");
}

#[tokio::test]
async fn compute_adds_properties_that_later_steps_use() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=compute(stock mul 2 as twice)/groupby((color),aggregate(twice with sum as total))/compute(total add 1 as more)",
    )
    .await;
    assert_eq!(
        body["value"][0],
        json!({"color": "red", "total@odata.type": "#Int64", "total": 16, "more@odata.type": "#Int64", "more": 17})
    );
}

#[tokio::test]
async fn topcount_and_bottomcount_rank_instances() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(&app, "products?$apply=topcount(2,stock)").await;
    let skus: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["p3", "p1"]);
    let body = ok(&app, "products?$apply=bottomcount(1,stock)").await;
    assert_eq!(body["value"][0]["sku"], "p4");
}

#[tokio::test]
async fn system_options_apply_to_the_result() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=groupby((color),aggregate(stock with sum as total))\
         &$filter=total gt 0&$orderby=total desc&$count=true&$skip=1&$top=1&$select=total",
    )
    .await;
    assert_eq!(body["@odata.count"], 2);
    assert_eq!(
        body["value"],
        json!([{"total@odata.type": "#Int64", "total": 8}])
    );
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#products(total)")
    );
}

#[tokio::test]
async fn groupby_follows_single_valued_navigations_and_navigation_collections() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "orders?$apply=groupby((product/name),aggregate($count as n))",
    )
    .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#orders(product(name),n)"),
        "{body}"
    );
    assert_eq!(
        body["value"],
        json!([
            {"product": {"name": "Anvil"}, "n@odata.type": "#Decimal", "n": 3},
            {"product": {"name": "Bolt"}, "n@odata.type": "#Decimal", "n": 1},
            {"product": {"name": "Crate"}, "n@odata.type": "#Decimal", "n": 1}
        ])
    );
    let body = ok(
        &app,
        "products('p1')/orders?$apply=groupby((customer),aggregate(number with sum as s))",
    )
    .await;
    assert_eq!(
        body["value"],
        json!([{"customer": "c0", "s@odata.type": "#Int64", "s": 6},
               {"customer": "c1", "s@odata.type": "#Int64", "s": 1}])
    );
}

#[tokio::test]
async fn errors_are_400_naming_apply() {
    let app = spawn_app().await;
    shop(&app).await;
    let bad = StatusCode::BAD_REQUEST;
    let m = error(&app, "products?$apply=frobnicate(stock)", bad).await;
    assert!(
        m.contains("$apply")
            && m.contains("unknown transformation 'frobnicate'")
            && m.contains("position 0"),
        "{m}"
    );
    let m = error(&app, "products?$apply=aggregate(stock with sum)", bad).await;
    assert!(m.contains("$apply") && m.contains("position 24"), "{m}");
    let m = error(&app, "products?$apply=aggregate(stok with sum as t)", bad).await;
    assert!(
        m.starts_with("$apply: aggregate:") && m.contains("stok"),
        "{m}"
    );
    let m = error(&app, "products?$apply=aggregate(name with sum as t)", bad).await;
    assert!(m.contains("numeric"), "{m}");
    let m = error(
        &app,
        "products?$apply=aggregate(name with average as t)",
        bad,
    )
    .await;
    assert!(m.contains("numeric"), "{m}");
    let m = error(
        &app,
        "products?$apply=aggregate(stock with sum as t,$count as t)",
        bad,
    )
    .await;
    assert!(m.contains("alias 't'"), "{m}");
    let m = error(
        &app,
        "products?$apply=groupby((color),aggregate($count as color))",
        bad,
    )
    .await;
    assert!(m.contains("alias 'color'"), "{m}");
    let m = error(&app, "products?$apply=compute(stock as sku)", bad).await;
    assert!(m.contains("alias 'sku'"), "{m}");
    let m = error(
        &app,
        "products?$apply=groupby((color))/filter(stock gt 1)",
        bad,
    )
    .await;
    assert!(
        m.starts_with("$apply: filter:") && m.contains("stock"),
        "{m}"
    );
    let m = error(&app, "products?$apply=top(x)", bad).await;
    assert!(m.contains("non-negative integer"), "{m}");
    let m = error(&app, "products?$apply=groupby((dimensions))", bad).await;
    assert!(m.contains("not a primitive"), "{m}");
    let m = error(&app, "products?$apply=groupby((color))/search(x)", bad).await;
    assert!(m.contains("search"), "{m}");
    let m = error(&app, "products?$apply=groupby((color))&$select=stock", bad).await;
    assert!(m.contains("$select"), "{m}");
    error(&app, "products?$apply=identity&$skiptoken=abc", bad).await;
    error(&app, "products('p1')?$apply=identity", bad).await;
    error(&app, "products?$apply=", bad).await;
}

#[tokio::test]
async fn valid_but_unsupported_forms_are_501() {
    let app = spawn_app().await;
    shop(&app).await;
    let ni = StatusCode::NOT_IMPLEMENTED;
    for (query, named) in [
        (
            "products?$apply=addnested(orders,filter(number gt 1) as o)",
            "addnested",
        ),
        ("products?$apply=join(orders as o,top(1))", "'top'"),
        ("products?$apply=groupby((color))/join(orders as o)", "join"),
        (
            "products?$apply=aggregate(stock with shop.median as m)",
            "shop.median",
        ),
        (
            "products?$apply=aggregate(stock with sum from color with max as m)",
            "from",
        ),
        (
            "products?$apply=groupby((rolluprecursive(h,sku)),aggregate($count as n))",
            "rolluprecursive",
        ),
        ("products?$apply=identity&$expand=orders", "$expand"),
        ("products/$count?$apply=identity", "$apply"),
    ] {
        let m = error(&app, query, ni).await;
        assert!(m.contains(named), "{query}: {m}");
    }
}

#[tokio::test]
async fn results_beyond_the_page_size_are_refused_not_cut() {
    let app = spawn_with(|s| s.max_page_size = 2).await;
    shop(&app).await;
    let m = error(
        &app,
        "products?$apply=groupby((color))",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(m.contains("more than 2 rows"), "{m}");
    let body = ok(&app, "products?$apply=groupby((color))/top(2)").await;
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
}

/// The `sku`s of a result, in order.
fn skus(body: &Value) -> Vec<&str> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sku"].as_str().unwrap_or("-"))
        .collect()
}

#[tokio::test]
async fn topsum_toppercent_bottomsum_bottompercent_are_cumulative() {
    let app = spawn_app().await;
    shop(&app).await;
    // Stock: p3 10, p1 5, p2 3, p4 0 (total 18). Discount: p3 2.5, p1 1.5, p4 0.5, p2 null.
    for (apply, expected) in [
        ("topsum(12,stock)", &["p3", "p1"][..]),
        ("topsum(10,stock)", &["p3"]),
        ("topsum(100,stock)", &["p3", "p1", "p2", "p4"]),
        ("toppercent(50,stock)", &["p3"]),
        ("toppercent(60,stock)", &["p3", "p1"]),
        ("bottomsum(3,stock)", &["p4", "p2"]),
        ("bottompercent(40,stock)", &["p4", "p2", "p1"]),
        ("bottompercent(50.0,stock)", &["p4", "p2", "p1", "p3"]),
        // Null values take no part.
        ("topsum(2,discount)", &["p3"]),
        ("bottomsum(1,discount)", &["p4", "p1"]),
        ("TopSum(2.5,discount)", &["p3"]),
        // Later steps see the ranked instances.
        ("topsum(12,stock)/orderby(sku)", &["p1", "p3"]),
        (
            "filter(color eq 'red')/toppercent(100,stock)",
            &["p1", "p2"],
        ),
    ] {
        let body = ok(&app, &format!("products?$apply={apply}")).await;
        assert_eq!(skus(&body), expected, "{apply}: {body}");
    }
    let body = ok(&app, "products?$apply=topsum(@s,stock)&@s=12&$count=true").await;
    assert_eq!(skus(&body), ["p3", "p1"], "{body}");
    assert_eq!(body["@odata.count"], 2, "{body}");
    let bad = StatusCode::BAD_REQUEST;
    for (apply, named) in [
        ("topsum(0,stock)", "greater than 0"),
        ("topcount(0,stock)", "greater than 0"),
        ("bottomcount(-2,stock)", "greater than 0"),
        ("bottomsum(-1,stock)", "greater than 0"),
        ("toppercent(101,stock)", "at most 100"),
        ("bottompercent(0,stock)", "greater than 0"),
        ("topsum(stock,stock)", "number literal"),
        ("topsum('x',stock)", "number literal"),
        ("topsum(5,name)", "numeric"),
    ] {
        let m = error(&app, &format!("products?$apply={apply}"), bad).await;
        assert!(m.contains(named), "{apply}: {m}");
    }
}

#[tokio::test]
async fn concat_appends_the_results_of_each_sequence() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=concat(topcount(1,stock),bottomcount(1,stock),filter(sku eq 'p2'))",
    )
    .await;
    assert_eq!(skus(&body), ["p3", "p4", "p2"], "{body}");
    // Parts of different shapes: every property of any part, null where a part has none.
    let body = ok(
        &app,
        "products?$apply=concat(aggregate(stock with sum as total),\
         groupby((color),aggregate($count as n))/orderby(color))",
    )
    .await;
    let rows = body["value"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{body}");
    assert_eq!(rows[0]["total"], 18, "{body}");
    assert!(rows[0]["color"].is_null(), "{body}");
    let groups: Vec<(&str, i64)> = rows[1..]
        .iter()
        .map(|r| (r["color"].as_str().unwrap(), r["n"].as_i64().unwrap()))
        .collect();
    // Enumeration values sort by their numbers: red 0, green 1, blue 2.
    assert_eq!(groups, [("red", 2), ("green", 1), ("blue", 1)], "{body}");
    assert!(rows[1]["total"].is_null(), "{body}");
    // Transformations and options after concat see the whole result.
    let body = ok(
        &app,
        "products?$apply=concat(filter(stock gt 4),filter(stock lt 1))/orderby(stock)&$top=2&$count=true",
    )
    .await;
    assert_eq!(skus(&body), ["p4", "p1"], "{body}");
    assert_eq!(body["@odata.count"], 3, "{body}");
    let body = ok(
        &app,
        "products?$apply=concat(identity,identity)/aggregate($count as n)",
    )
    .await;
    assert_eq!(body["value"][0]["n"], 8, "{body}");
    // A property of different types in two parts is a 400.
    let m = error(
        &app,
        "products?$apply=concat(compute(stock as x),compute(name as x))",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(m.contains("'x'"), "{m}");
}

/// `(color, name, total)` of each row.
fn totals_by(body: &Value) -> Vec<(Value, Value, Value)> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["color"].clone(), r["name"].clone(), r["total"].clone()))
        .collect()
}

#[tokio::test]
async fn count_of_a_property_counts_its_non_null_values() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=aggregate(discount with count as n,$count as all,name with COUNT as names)",
    )
    .await;
    // p2 has no discount.
    assert_eq!(
        body["value"],
        json!([{"n@odata.type": "#Decimal", "n": 3, "all@odata.type": "#Decimal", "all": 4,
                "names@odata.type": "#Decimal", "names": 4}]),
        "{body}"
    );
    // Per group, and of what a filter inside groupby leaves (blue keeps its group: 0).
    let body = ok(
        &app,
        "products?$apply=groupby((color),filter(stock gt 3)/aggregate(discount with count as n))",
    )
    .await;
    let counts: Vec<(&str, i64)> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["color"].as_str().unwrap(), r["n"].as_i64().unwrap()))
        .collect();
    assert_eq!(counts, [("red", 1), ("green", 1), ("blue", 0)], "{body}");
    // Through a navigation: the orders' products' discounts (order 3's Bolt has none).
    let body = ok(
        &app,
        "orders?$apply=aggregate(product/discount with count as n)",
    )
    .await;
    assert_eq!(body["value"][0]["n"], 4, "{body}");
    let m = error(
        &app,
        "products?$apply=aggregate(dimensions with count as n)",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(m.contains("dimensions"), "{m}");
}

#[tokio::test]
async fn rollup_adds_subtotals_with_and_without_the_grand_total() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=groupby((rollup(color,name)),aggregate(stock with sum as total))",
    )
    .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#products(color,name,total)"),
        "{body}"
    );
    // The finest level first (in grouping order), then per color, no grand total.
    let finest = [
        (json!("red"), json!("Anvil"), json!(5)),
        (json!("red"), json!("Bolt"), json!(3)),
        (json!("green"), json!("Crate"), json!(10)),
        (json!("blue"), json!("Drill"), json!(0)),
    ];
    let per_color = [
        (json!("red"), Value::Null, json!(8)),
        (json!("green"), Value::Null, json!(10)),
        (json!("blue"), Value::Null, json!(0)),
    ];
    let expected: Vec<_> = finest.iter().chain(&per_color).cloned().collect();
    assert_eq!(totals_by(&body), expected, "{body}");
    assert_eq!(body["value"][0]["total@odata.type"], "#Int64");
    // `$all`: the grand total too, every grouping property null.
    let body = ok(
        &app,
        "products?$apply=groupby((rollup($all,color,name)),aggregate(stock with sum as total))",
    )
    .await;
    let mut expected = expected;
    expected.push((Value::Null, Value::Null, json!(18)));
    assert_eq!(totals_by(&body), expected, "{body}");
    // Later steps and options see every level.
    let body = ok(
        &app,
        "products?$apply=groupby((rollup($all,color,name)),aggregate(stock with sum as total))\
         /filter(name eq null)&$orderby=total desc&$count=true",
    )
    .await;
    assert_eq!(body["@odata.count"], 4, "{body}");
    let totals: Vec<i64> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total"].as_i64().unwrap())
        .collect();
    assert_eq!(totals, [18, 10, 8, 0], "{body}");
    // A rollup through a navigation path beside a plain grouping property.
    let body = ok(
        &app,
        "orders?$apply=groupby((customer,rollup($all,product/color,product/name)),\
         aggregate($count as n))&$filter=customer eq 'c0'",
    )
    .await;
    assert_eq!(
        body["value"],
        json!([
            {"customer": "c0", "product": {"color": "red", "name": "Anvil"},
             "n@odata.type": "#Decimal", "n": 2},
            {"customer": "c0", "product": {"color": "red", "name": null},
             "n@odata.type": "#Decimal", "n": 2},
            {"customer": "c0", "product": {"color": null, "name": null},
             "n@odata.type": "#Decimal", "n": 2}
        ]),
        "{body}"
    );
    // Without aggregate: the distinct values of each level.
    let body = ok(&app, "products?$apply=groupby((rollup($all,color,name)))").await;
    assert_eq!(body["value"].as_array().unwrap().len(), 8, "{body}");
    assert_eq!(
        body["value"][7],
        json!({"color": null, "name": null}),
        "{body}"
    );
    let bad = StatusCode::BAD_REQUEST;
    let m = error(
        &app,
        "products?$apply=groupby((rollup(color)),aggregate($count as n))",
        bad,
    )
    .await;
    assert!(m.contains("leveled hierarchy"), "{m}");
    let m = error(
        &app,
        "products?$apply=groupby((rollup(color,nope)),aggregate($count as n))",
        bad,
    )
    .await;
    assert!(m.contains("nope"), "{m}");
    let m = error(
        &app,
        "products?$apply=groupby((rollup($all)),aggregate($count as n))",
        bad,
    )
    .await;
    assert!(m.contains("$all"), "{m}");
}

/// `(sku, order number)` of each row (`-1` without an order).
fn pairs(body: &Value) -> Vec<(String, i64)> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["sku"].as_str().unwrap_or("-").to_owned(),
                r["o"]["number"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

fn pairs_of(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected.iter().map(|(s, n)| (s.to_string(), *n)).collect()
}

#[tokio::test]
async fn join_and_outerjoin_pair_entities_with_their_related_entities() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(&app, "products?$apply=join(orders as o)&$select=sku,o").await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/$metadata#products(sku,o(number,customer,placed))"),
        "{body}"
    );
    assert_eq!(
        pairs(&body),
        pairs_of(&[("p1", 1), ("p1", 2), ("p1", 4), ("p2", 3), ("p3", 5)]),
        "{body}"
    );
    assert_eq!(
        body["value"][0],
        json!({"sku": "p1", "o": {"number": 1, "customer": "c1", "placed": null}}),
        "{body}"
    );
    // The entity's own properties stay, typed as declared.
    let body = ok(&app, "products?$apply=join(orders as o)/top(1)").await;
    assert_eq!(body["value"][0]["releasedAt"], "2020-01-01T00:00:00+02:00");
    assert_eq!(body["value"][0]["tags"], json!(["a", "b"]), "{body}");
    // outerjoin keeps p4, which has no order: its alias is null.
    let body = ok(&app, "products?$apply=outerjoin(orders as o)").await;
    assert_eq!(
        pairs(&body),
        pairs_of(&[
            ("p1", 1),
            ("p1", 2),
            ("p1", 4),
            ("p2", 3),
            ("p3", 5),
            ("p4", -1)
        ]),
        "{body}"
    );
    assert_eq!(body["value"][5]["o"], Value::Null, "{body}");
    let body = ok(
        &app,
        "products?$apply=outerjoin(orders as o)/filter(o eq null)",
    )
    .await;
    assert_eq!(pairs(&body), pairs_of(&[("p4", -1)]), "{body}");
    // The second argument: transformations of each entity's related entities.
    let body = ok(
        &app,
        "products?$apply=outerjoin(orders as o,filter(customer eq 'c0')/orderby(number desc))",
    )
    .await;
    assert_eq!(
        pairs(&body),
        pairs_of(&[("p1", 4), ("p1", 2), ("p2", -1), ("p3", -1), ("p4", -1)]),
        "{body}"
    );
    // Later transformations reach the alias's properties and the entity's navigations.
    let body = ok(
        &app,
        "products?$apply=join(orders as o)/groupby((o/customer),aggregate(stock with sum as s,\
         o/number with max as last))",
    )
    .await;
    assert_eq!(
        body["value"],
        json!([
            {"o": {"customer": "c0"}, "s@odata.type": "#Int64", "s": 10,
             "last@odata.type": "#Int64", "last": 4},
            {"o": {"customer": "c1"}, "s@odata.type": "#Int64", "s": 18,
             "last@odata.type": "#Int64", "last": 5}
        ]),
        "{body}"
    );
    let body = ok(
        &app,
        "products?$apply=join(orders as o)/filter(orders/$count ge 2 and o/number gt 1)\
         /aggregate($count as n,o/number with sum as s)",
    )
    .await;
    assert_eq!(body["value"][0]["n"], 2, "{body}");
    assert_eq!(body["value"][0]["s"], 6, "{body}");
    let body = ok(&app, "products?$apply=join(orders as o)/search(Crate)").await;
    assert_eq!(pairs(&body), pairs_of(&[("p3", 5)]), "{body}");
    let bad = StatusCode::BAD_REQUEST;
    for (query, named) in [
        (
            "products?$apply=join(name as x)",
            "'name' is not a navigation",
        ),
        ("products?$apply=join(nope as x)", "'nope'"),
        ("products?$apply=join(orders as sku)", "alias 'sku'"),
        ("orders?$apply=join(product as p)", "single-valued"),
        (
            "products?$apply=join(orders as o)/filter(o/nope eq 1)",
            "nope",
        ),
        (
            "products?$apply=join(orders as o,filter(nope eq 1))",
            "nope",
        ),
        (
            "products?$apply=join(orders/shop.product as o)",
            "shop.product",
        ),
        ("products?$apply=join(orders)", "as"),
        ("products?$apply=join(orders as o)/filter(o eq 1)", "$apply"),
    ] {
        let m = error(&app, query, bad).await;
        assert!(m.contains(named), "{query}: {m}");
    }
}

#[tokio::test]
async fn join_reads_the_callers_tenant_only() {
    let app = spawn_secured(crate::secure_helpers::hs256_config()).await;
    let both = format!("{READ_WRITE} {ORDERS}");
    let (a, b) = (
        hs256(&claims("tenant-a", &both)),
        hs256(&claims("tenant-b", &both)),
    );
    // The same product key in both tenants; each tenant's orders for it.
    for (token, numbers) in [(&a, &[1, 2][..]), (&b, &[3][..])] {
        let r = app
            .post("products", token, &product("p1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        for number in numbers {
            let r = app
                .post(
                    "orders",
                    token,
                    &json!({"number": number, "product@odata.bind": "products('p1')"}),
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
    }
    for (token, expected) in [(&a, json!([1, 2])), (&b, json!([3]))] {
        let body: Value = app
            .get("products?$apply=join(orders as o)", token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let numbers: Vec<Value> = body["value"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|r| r["o"]["number"].clone())
            .collect();
        assert_eq!(json!(numbers), expected, "{body}");
    }
    // Joining reads the orders: a caller who may not read them is refused.
    let r = app
        .get("products?$apply=join(orders as o)", &writer("tenant-a"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn nest_makes_collections_of_the_input_or_of_each_group() {
    let app = spawn_app().await;
    shop(&app).await;
    let body = ok(
        &app,
        "products?$apply=nest(groupby((color),aggregate(stock with sum as total)) as totals,\
         filter(stock gt 4)/orderby(stock desc)/compute(stock mul 2 as twice) as big)",
    )
    .await;
    assert!(
        body["@odata.context"].as_str().unwrap().ends_with(
            "/$metadata#products(totals(color,total),big(sku,name,color,releasedAt,warranty,\
             stock,dimensions,tags,createdAt,modifiedAt,discount,twice))"
        ),
        "{body}"
    );
    let rows = body["value"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(
        rows[0]["totals"],
        json!([
            {"color": "red", "total@odata.type": "#Int64", "total": 8},
            {"color": "green", "total@odata.type": "#Int64", "total": 10},
            {"color": "blue", "total@odata.type": "#Int64", "total": 0}
        ]),
        "{body}"
    );
    // Entities keep every value as the entity has it.
    let big = rows[0]["big"].as_array().unwrap();
    let skus: Vec<&str> = big.iter().map(|r| r["sku"].as_str().unwrap()).collect();
    assert_eq!(skus, ["p3", "p1"], "{body}");
    assert_eq!(big[1]["releasedAt"], "2020-01-01T00:00:00+02:00", "{body}");
    assert_eq!(big[1]["warranty"], "-PT35.9373414S", "{body}");
    assert_eq!(big[1]["tags"], json!(["a", "b"]), "{body}");
    assert_eq!(big[1]["dimensions"]["width"], 1.5, "{body}");
    assert_eq!(big[1]["discount"], 1.5, "{body}");
    assert_eq!(big[1]["twice"], 10, "{body}");
    // Inside groupby: per group, of the group's instances (those a filter before keeps).
    let body = ok(
        &app,
        "orders?$apply=groupby((customer),filter(number ge 2)/nest(orderby(number desc)\
         /top(2) as latest,aggregate(number with sum as s) as sums))",
    )
    .await;
    let groups: Vec<(Value, Vec<Value>, Value)> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["customer"].clone(),
                r["latest"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["number"].clone())
                    .collect(),
                r["sums"][0]["s"].clone(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (json!("c0"), vec![json!(4), json!(2)], json!(6)),
            (json!("c1"), vec![json!(5), json!(3)], json!(8)),
        ],
        "{body}"
    );
    // With rollup: the grand total's group holds every instance.
    let body = ok(
        &app,
        "products?$apply=groupby((rollup($all,color,name)),nest(aggregate($count as n) as c))\
         &$filter=color eq null",
    )
    .await;
    assert_eq!(
        body["value"],
        json!([{"color": null, "name": null, "c": [{"n@odata.type": "#Decimal", "n": 4}]}]),
        "{body}"
    );
    // An empty group's collection is empty.
    let body = ok(
        &app,
        "products?$apply=groupby((color),filter(stock gt 100)/nest(identity as none))&$top=1",
    )
    .await;
    assert_eq!(
        body["value"],
        json!([{"color": "red", "none": []}]),
        "{body}"
    );
    let m = error(
        &app,
        "products?$apply=nest(identity as a,identity as a)",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(m.contains("'a'"), "{m}");
    let m = error(
        &app,
        "products?$apply=nest(filter(nope eq 1) as a)",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(m.contains("nope"), "{m}");
}

#[tokio::test]
async fn nested_collections_beyond_the_page_size_are_refused() {
    let app = spawn_with(|s| s.max_page_size = 3).await;
    shop(&app).await;
    let m = error(
        &app,
        "products?$apply=nest(identity as all)",
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(m.contains("'all'") && m.contains("more than 3"), "{m}");
    let body = ok(&app, "products?$apply=nest(top(3) as some)").await;
    assert_eq!(body["value"][0]["some"].as_array().unwrap().len(), 3);
}
