//! Primitive values end to end on a model with one property of each numeric kind, two
//! binary properties and a flags enum: range checks that never truncate, exact Int64 and
//! Decimal, Single precision, IEEE754Compatible, base64url and raw `$value`s.

use odata_core::edm::{Annotation, EntityTypeDef, EnumTypeDef, ModelBuilder, PropertyDef};
use odata_server::app::Migrations;
use odata_server::service::{CollectionDef, Service};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::helpers::{TestApp, spawn_service};

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/values/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/values/postgres");

fn service() -> Service {
    let model = ModelBuilder::new("example.values")
        .alias("v")
        .enum_type(
            EnumTypeDef::new("status")
                .flags()
                .member("None", 0)
                .member("InStock", 1)
                .member("Featured", 2),
        )
        .entity_type(
            EntityTypeDef::new("sample")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null())
                .property(PropertyDef::new("rating", "Edm.Byte").not_null())
                .property(PropertyDef::new("temperature", "Edm.SByte").not_null())
                .property(PropertyDef::new("quantity", "Edm.Int16").not_null())
                .property(PropertyDef::new("count", "Edm.Int32"))
                .property(PropertyDef::new("size", "Edm.Int64"))
                .property(PropertyDef::new("weight", "Edm.Single").not_null())
                .property(PropertyDef::new("price", "Edm.Double"))
                .property(PropertyDef::new("amount", "Edm.Decimal").precision(38, Some(18)))
                .property(PropertyDef::new("data", "Edm.Binary"))
                .property(
                    PropertyDef::new("image", "Edm.Binary")
                        .annotate(Annotation::media_type("image/png")),
                )
                .property(PropertyDef::new("status", "v.status").not_null()),
        )
        .entity_set("samples", "v.sample")
        .build()
        .expect("valid model");
    Service::builder(model)
        .collection(CollectionDef::new("samples", "samples"))
        .build()
        .expect("valid service")
}

async fn spawn() -> TestApp {
    let migrations = Migrations {
        sqlite: &SQLITE,
        postgres: Some(&POSTGRES),
    };
    spawn_service(service(), migrations, |_| {}).await
}

/// POSTs a raw JSON text (numbers exactly as written) with `content_type`.
async fn post_raw(app: &TestApp, body: &str, content_type: &str) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url("samples"))
        .header(CONTENT_TYPE, content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn create(app: &TestApp, body: &str) -> String {
    let (status, text) = post_raw(app, body, "application/json").await;
    assert_eq!(status, StatusCode::CREATED, "{body}: {text}");
    text
}

/// The 400 of a body, its target and message.
async fn rejected(app: &TestApp, body: &str) -> (String, String) {
    let (status, text) = post_raw(app, body, "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    (
        error["error"]["target"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        error["error"]["message"].as_str().unwrap().to_owned(),
    )
}

/// The ids a `$filter` selects, in `$orderby=id` order, or the error status.
async fn ids(app: &TestApp, query: &str) -> Result<Vec<String>, StatusCode> {
    let response = app.get(&format!("samples?{query}")).send().await.unwrap();
    if response.status() != StatusCode::OK {
        return Err(response.status());
    }
    let body: Value = response.json().await.unwrap();
    Ok(body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect())
}

async fn raw_get(app: &TestApp, path: &str, accept: Option<&str>) -> (StatusCode, String, String) {
    let mut request = app.get(path);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn integers_are_range_checked_never_truncated_and_int64_is_exact() {
    let app = spawn().await;
    let max = create(
        &app,
        r#"{"id":"max","rating":255,"temperature":127,"quantity":32767,
            "count":2147483647,"size":9223372036854775807}"#,
    )
    .await;
    assert!(max.contains(r#""size":9223372036854775807"#), "{max}");
    create(
        &app,
        r#"{"id":"min","rating":0,"temperature":-128,"quantity":-32768,
            "count":-2147483648,"size":-9223372036854775808}"#,
    )
    .await;
    let (_, _, text) = raw_get(&app, "samples('min')", None).await;
    assert!(text.contains(r#""size":-9223372036854775808"#), "{text}");
    assert!(
        text.contains(r#""temperature":-128,"quantity":-32768"#),
        "{text}"
    );

    for (property, value) in [
        ("rating", "256"),
        ("rating", "-1"),
        ("temperature", "128"),
        ("temperature", "-129"),
        ("quantity", "32768"),
        ("count", "2147483648"),
        ("size", "9223372036854775808"),
        ("size", "-9223372036854775809"),
        ("rating", "1.5"),
    ] {
        let (target, message) =
            rejected(&app, &format!(r#"{{"id":"bad","{property}":{value}}}"#)).await;
        assert_eq!(target, property, "{property}={value}");
        assert!(
            message.contains(property) && message.contains(value),
            "{message}"
        );
    }
    assert_eq!(
        app.get("samples('bad')").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        ids(&app, "$filter=size eq 9223372036854775807")
            .await
            .unwrap(),
        ["max"]
    );
    assert_eq!(
        ids(&app, "$filter=size eq -9223372036854775808")
            .await
            .unwrap(),
        ["min"]
    );
    assert_eq!(ids(&app, "$filter=rating eq 255").await.unwrap(), ["max"]);
    for query in [
        "$filter=size eq 9223372036854775808",
        "$filter=size lt -9223372036854775809",
        "$filter=rating eq 99999999999999999999",
    ] {
        let response = app.get(&format!("samples?{query}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("out of the range of Edm.Int64"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn single_is_stored_as_a_32_bit_float_and_compared_in_single_precision() {
    let app = spawn().await;
    let pi = create(&app, r#"{"id":"pi","weight":3.14,"price":3.14}"#).await;
    // The shortest text that reads back as the same f32, not the f64 of the f32.
    assert!(pi.contains(r#""weight":3.14,"#), "{pi}");
    let big = create(&app, r#"{"id":"big","weight":16777217,"price":16777217}"#).await;
    assert!(
        big.contains(r#""weight":16777216.0"#),
        "rounded to f32: {big}"
    );
    assert!(
        big.contains(r#""price":16777217.0"#),
        "Double keeps it: {big}"
    );
    create(&app, r#"{"id":"inf","weight":"-INF","price":"INF"}"#).await;
    let (_, _, text) = raw_get(&app, "samples('inf')", None).await;
    assert!(text.contains(r#""weight":"-INF","price":"INF""#), "{text}");

    let f = |q: &str| format!("$filter={q}&$orderby=id");
    assert_eq!(ids(&app, &f("weight eq 3.14f")).await.unwrap(), ["pi"]);
    assert_eq!(
        ids(&app, &f("weight lt 1.5e2f")).await.unwrap(),
        ["inf", "pi"]
    );
    assert_eq!(ids(&app, &f("weight eq 16777216f")).await.unwrap(), ["big"]);
    assert_eq!(ids(&app, &f("weight gt 3.14f")).await.unwrap(), ["big"]);
    assert_eq!(ids(&app, &f("price eq INF")).await.unwrap(), ["inf"]);
    assert_eq!(ids(&app, &f("weight eq -INF")).await.unwrap(), ["inf"]);
    assert_eq!(ids(&app, &f("price lt 1e+8")).await.unwrap(), ["big", "pi"]);
    assert_eq!(ids(&app, &f("price lt 1e+5")).await.unwrap(), ["pi"]);
    assert_eq!(
        ids(&app, "$filter=weight eq 1e39f").await,
        Err(StatusCode::BAD_REQUEST),
        "beyond the range of Edm.Single"
    );
    let (target, _) = rejected(&app, r#"{"id":"x","weight":1e39}"#).await;
    assert_eq!(target, "weight");
}

#[tokio::test]
async fn decimals_are_exact_and_never_rounded() {
    let app = spawn().await;
    let exact = "12345678901234567890.123456789012345678";
    let text = create(&app, &format!(r#"{{"id":"p38","amount":{exact}}}"#)).await;
    assert!(text.contains(&format!(r#""amount":{exact}"#)), "{text}");
    create(&app, r#"{"id":"small","amount":123.450000000000000000}"#).await;
    create(&app, r#"{"id":"neg","amount":-0.000000000000000001}"#).await;
    let (_, _, text) = raw_get(&app, "samples('small')", None).await;
    assert!(text.contains(r#""amount":123.45,"#), "{text}");
    let (_, _, text) = raw_get(&app, "samples('p38')", None).await;
    assert!(text.contains(&format!(r#""amount":{exact}"#)), "{text}");

    for (value, what) in [
        ("0.1234567890123456789", "19 decimal places"),
        (
            "123456789012345678901",
            "21 digits before the decimal point",
        ),
        ("1e20", "21 digits before the decimal point"),
        ("\"12x\"", "not a decimal number"),
    ] {
        let (target, message) =
            rejected(&app, &format!(r#"{{"id":"bad","amount":{value}}}"#)).await;
        assert_eq!(target, "amount");
        assert!(message.contains(what), "{value}: {message}");
    }

    assert_eq!(
        ids(&app, &format!("$filter=amount eq {exact}"))
            .await
            .unwrap(),
        ["p38"]
    );
    assert_eq!(
        ids(&app, "$filter=amount eq 123.45").await.unwrap(),
        ["small"]
    );
    assert_eq!(ids(&app, "$filter=amount lt 0").await.unwrap(), ["neg"]);
    assert_eq!(
        ids(&app, "$orderby=amount desc").await.unwrap(),
        ["p38", "small", "neg"]
    );
    // Exact beyond the 15-17 digits of a double: these three are one double.
    create(&app, r#"{"id":"d1","amount":1.000000000000000001}"#).await;
    create(&app, r#"{"id":"d2","amount":1.000000000000000002}"#).await;
    create(&app, r#"{"id":"d0","amount":1}"#).await;
    let q = |filter: &str| format!("$filter={filter}&$orderby=id");
    assert_eq!(
        ids(&app, &q("amount eq 1.000000000000000001"))
            .await
            .unwrap(),
        ["d1"]
    );
    assert_eq!(
        ids(&app, &q("amount gt 1")).await.unwrap(),
        ["d1", "d2", "p38", "small"]
    );
    assert_eq!(
        ids(&app, &q("amount ge 1.000000000000000002 and amount lt 2"))
            .await
            .unwrap(),
        ["d2"]
    );
    assert_eq!(ids(&app, &q("amount eq 1")).await.unwrap(), ["d0"]);
    assert_eq!(
        ids(&app, &q("amount in (1.000000000000000002, 1.5, null)"))
            .await
            .unwrap(),
        ["d2"]
    );
    assert_eq!(
        ids(
            &app,
            "$filter=amount ge 1 and amount lt 2&$orderby=amount desc"
        )
        .await
        .unwrap(),
        ["d2", "d1", "d0"]
    );
    // Keyset paging by an exact decimal key: one entity per page, in order.
    let mut seen = Vec::new();
    let mut next = Some(app.url("samples?$orderby=amount&$select=id"));
    while let Some(url) = next {
        let page: Value = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=1")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ["neg", "d0", "d1", "d2", "small", "p38"]);

    let (status, content_type, text) = raw_get(&app, "samples('small')/amount/$value", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(text, "123.45");
}

#[tokio::test]
async fn ieee754_compatible_writes_and_reads_int64_and_decimal_as_strings() {
    let app = spawn().await;
    let ieee = "application/json;IEEE754Compatible=true";
    let (status, text) = post_raw(
        &app,
        r#"{"id":"s","amount":"123.456789012345678901","size":"9223372036854775807","count":7}"#,
        ieee,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert!(text.contains(r#""size":"9223372036854775807""#), "{text}");
    assert!(
        text.contains(r#""amount":"123.456789012345678901""#),
        "{text}"
    );
    assert!(
        text.contains(r#""count":7,"#),
        "Int32 stays a number: {text}"
    );

    let (_, content_type, text) = raw_get(&app, "samples('s')", Some(ieee)).await;
    assert!(
        content_type.contains("IEEE754Compatible=true"),
        "{content_type}"
    );
    assert!(
        text.contains(r#""amount":"123.456789012345678901""#),
        "{text}"
    );
    assert!(text.contains(r#""size":"9223372036854775807""#), "{text}");
    let (_, content_type, text) = raw_get(&app, "samples('s')", Some("application/json")).await;
    assert!(
        content_type.contains("IEEE754Compatible=false"),
        "{content_type}"
    );
    assert!(
        text.contains(r#""amount":123.456789012345678901,"#),
        "{text}"
    );
    assert!(text.contains(r#""size":9223372036854775807,"#), "{text}");
    let (_, _, text) = raw_get(&app, "samples?$filter=id eq 's'", Some(ieee)).await;
    assert!(
        text.contains(r#""amount":"123.456789012345678901""#),
        "collection: {text}"
    );
}

#[tokio::test]
async fn binary_is_base64url_in_json_bytes_in_storage_and_raw_in_value() {
    let app = spawn().await;
    let text = create(
        &app,
        r#"{"id":"std","data":"+/+/AA==","image":"iVBORw0KGgo="}"#,
    )
    .await;
    assert!(
        text.contains(r#""data":"-_-_AA==""#),
        "base64url out: {text}"
    );
    create(&app, r#"{"id":"url","data":"-_-_AA"}"#).await;
    create(&app, r#"{"id":"test","data":"dGVzdA"}"#).await;
    let text = create(&app, r#"{"id":"empty","data":""}"#).await;
    assert!(text.contains(r#""data":"","#), "empty is not null: {text}");
    create(&app, r#"{"id":"none"}"#).await;
    for bad in ["\"not base64!\"", "\"abc==\"", "\"a\"", "5"] {
        let (target, _) = rejected(&app, &format!(r#"{{"id":"bad","data":{bad}}}"#)).await;
        assert_eq!(target, "data", "{bad}");
    }

    let f = |q: &str| format!("$filter={q}&$orderby=id");
    assert_eq!(
        ids(&app, &f("data eq binary'dGVzdA=='")).await.unwrap(),
        ["test"]
    );
    assert_eq!(
        ids(&app, &f("data eq binary'dGVzdA'")).await.unwrap(),
        ["test"]
    );
    assert_eq!(
        ids(&app, &f("data eq binary'-_-_AA=='")).await.unwrap(),
        ["std", "url"]
    );
    assert_eq!(
        ids(&app, &f("data ne binary'-_-_AA'")).await.unwrap(),
        ["empty", "none", "test"]
    );
    assert_eq!(ids(&app, &f("data eq binary''")).await.unwrap(), ["empty"]);
    assert_eq!(ids(&app, &f("data eq null")).await.unwrap(), ["none"]);
    assert_eq!(
        ids(&app, "$filter=data eq binary'a'").await,
        Err(StatusCode::BAD_REQUEST)
    );

    let response = app.get("samples('std')/data/$value").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/octet-stream");
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        [0xfb, 0xff, 0xbf, 0x00]
    );
    let response = app.get("samples('std')/image/$value").send().await.unwrap();
    assert_eq!(response.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        b"\x89PNG\r\n\x1a\n"
    );
    let response = app.get("samples('none')/data/$value").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let body = app.get_json("samples('test')/data").await;
    assert_eq!(body["value"], json!("dGVzdA=="));
}

#[tokio::test]
async fn raw_values_of_numbers_and_enums_are_plain_text() {
    let app = spawn().await;
    create(
        &app,
        r#"{"id":"a","price":999.99,"rating":200,"weight":3.14,"status":"InStock,Featured"}"#,
    )
    .await;
    for (property, expected) in [
        ("price", "999.99"),
        ("rating", "200"),
        ("weight", "3.14"),
        ("status", "InStock,Featured"),
    ] {
        let (status, content_type, text) =
            raw_get(&app, &format!("samples('a')/{property}/$value"), None).await;
        assert_eq!(status, StatusCode::OK, "{property}");
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert_eq!(text, expected, "{property}");
    }
}

#[tokio::test]
async fn decimal_aggregates_are_exact_on_postgresql() {
    let app = spawn().await;
    for (id, amount) in [
        ("a", "0.000000000000000001"),
        ("b", "10000000000000000000"),
        ("c", "1.25"),
    ] {
        create(&app, &format!(r#"{{"id":"{id}","amount":{amount}}}"#)).await;
    }
    let (status, _, text) = raw_get(
        &app,
        "samples?$apply=aggregate(amount with sum as total,amount with max as top)",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains(r#""top":10000000000000000000"#), "{text}");
    if crate::helpers::on_postgres() {
        // NUMERIC: exact. SQLite sums the decimals as doubles (documented in `sql`).
        assert!(
            text.contains(r#""total":10000000000000000001.250000000000000001"#),
            "{text}"
        );
    }
    let (status, _, text) = raw_get(
        &app,
        "samples?$apply=filter(amount lt 2)/aggregate(amount with sum as total)",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    if crate::helpers::on_postgres() {
        assert!(text.contains(r#""total":1.250000000000000001"#), "{text}");
    } else {
        assert!(text.contains(r#""total":1.25"#), "{text}");
    }
}
