//! `$apply` (OData Data Aggregation Extension) on the shop model: every transformation with
//! worked values, chains, the options after `$apply`, navigation paths and every error.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app, spawn_with};

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
        ("products?$apply=join(orders as o)", "join"),
        (
            "products?$apply=aggregate(stock with shop.median as m)",
            "shop.median",
        ),
        (
            "products?$apply=aggregate(stock with sum from color with max as m)",
            "from",
        ),
        (
            "products?$apply=groupby((rollup(color,name)),aggregate($count as n))",
            "rollup",
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
