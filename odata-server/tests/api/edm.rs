//! Type definitions, flags enums, `DefaultValue` and the write rules that use them
//! (`WriteRules::standard`), on a model of their own: `items` of type `item` (and the
//! derived `special`) with a flags enum `state`, the type definitions `durationValue`
//! (Edm.Duration) and `code` (Edm.String, MaxLength 8), defaults, computed and immutable
//! properties.

use odata_core::edm::{
    ActionDef, Annotation, EntityTypeDef, EnumTypeDef, ModelBuilder, PrimitiveKind, PropertyDef,
    TypeDefinitionDef,
};
use odata_core::json::WriteRules;
use odata_server::app::Migrations;
use odata_server::function::FunctionHandler;
use odata_server::service::{CollectionDef, Service};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::helpers::{TestApp, spawn_service};

static MIGRATOR: Migrator = sqlx::migrate!("tests/migrations/edm/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("tests/migrations/edm/postgres");

fn model() -> ModelBuilder {
    ModelBuilder::new("test.edm")
        .alias("te")
        .enum_type(
            EnumTypeDef::new("state")
                .underlying(PrimitiveKind::Int32)
                .flags()
                .member("none", 0)
                .member("inStock", 1)
                .member("onSale", 2)
                .member("discontinued", 4)
                .member("featured", 8),
        )
        .type_definition(TypeDefinitionDef::new("durationValue", "Edm.Duration"))
        .type_definition(TypeDefinitionDef::new("code", "Edm.String").max_length(8))
        .entity_type(
            EntityTypeDef::new("item")
                .key(["id"])
                .property(
                    PropertyDef::new("id", "Edm.Guid")
                        .not_null()
                        .annotate(Annotation::computed()),
                )
                .property(
                    PropertyDef::new("name", "Edm.String")
                        .not_null()
                        .max_length(50),
                )
                .property(PropertyDef::new("price", "Edm.Double").not_null())
                .property(
                    PropertyDef::new("rating", "Edm.Byte")
                        .not_null()
                        .default_value("0"),
                )
                .property(
                    PropertyDef::new("status", "te.state")
                        .not_null()
                        .default_value("none"),
                )
                .property(
                    PropertyDef::new("kind", "Edm.String")
                        .not_null()
                        .max_length(20)
                        .default_value("plain"),
                )
                .property(
                    PropertyDef::new("label", "Edm.String")
                        .not_null()
                        .default_value(""),
                )
                .property(PropertyDef::new("shipping", "te.durationValue"))
                .property(PropertyDef::new("code", "test.edm.code"))
                .property(PropertyDef::new("note", "Edm.String"))
                .property(
                    PropertyDef::new("serial", "Edm.String").annotate(Annotation::immutable()),
                )
                .property(
                    PropertyDef::new("version", "Edm.Int32")
                        .not_null()
                        .annotate(Annotation::computed()),
                )
                .property(
                    PropertyDef::new("createdAt", "Edm.DateTimeOffset")
                        .not_null()
                        .annotate(Annotation::computed())
                        .annotate(Annotation::immutable()),
                ),
        )
        .entity_type(
            EntityTypeDef::new("special")
                .base("te.item")
                .property(PropertyDef::new("extra", "Edm.String")),
        )
        .function(
            ActionDef::new("later")
                .parameter(PropertyDef::new("by", "te.durationValue").not_null())
                .returns("te.durationValue"),
        )
        .function_import("later", "later")
        .entity_set("items", "te.item")
}

fn service() -> Service {
    Service::builder(model().build().expect("valid model"))
        .collection(CollectionDef::new("items", "items"))
        .function_import(
            "later",
            FunctionHandler::new(|call| Ok(call.parameters["by"].clone())),
        )
        .write_rules(WriteRules::standard())
        .build()
        .expect("valid service")
}

async fn app() -> TestApp {
    spawn_service(
        service(),
        Migrations {
            sqlite: &MIGRATOR,
            postgres: Some(&POSTGRES_MIGRATOR),
        },
        |_| {},
    )
    .await
}

/// Creates an item and returns its id.
async fn create(app: &TestApp, body: Value) -> String {
    let r = app.post_json("items", &body).send().await.unwrap();
    let status = r.status();
    let created: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}: {created}");
    created["id"].as_str().unwrap().to_owned()
}

/// Three items: `a` (status 9, shipping P1D), `b` (status 0, shipping PT2H), `c` (status 3,
/// no shipping).
async fn seeded() -> TestApp {
    let app = app().await;
    create(
        &app,
        json!({"name": "a", "price": 1, "status": "featured,inStock", "shipping": "P1D"}),
    )
    .await;
    create(&app, json!({"name": "b", "price": 2, "shipping": "PT2H"})).await;
    create(&app, json!({"name": "c", "price": 3, "status": 3})).await;
    app
}

/// The names of the items a query selects, in response order; panics unless 200.
async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("items?{query}")).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The error of a request that must be a 400.
async fn bad_request(r: reqwest::Response, context: &str) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{context}: {body}");
    body["error"].clone()
}

#[test]
fn invalid_defaults_and_underlying_types_stop_the_model() {
    for (ty, default) in [
        ("Edm.Byte", "256"),
        ("Edm.Int32", "x"),
        ("te.state", "nope"),
        ("te.state", "16"),
        ("Edm.Duration", "P1X"),
        ("Edm.Boolean", "yes"),
    ] {
        let err = model()
            .entity_type(
                EntityTypeDef::new("bad")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .property(PropertyDef::new("p", ty).default_value(default)),
            )
            .build()
            .expect_err(default);
        assert!(err.to_string().contains("bad/p"), "{err}");
        assert!(err.to_string().contains(default), "{err}");
    }
    let err = model()
        .type_definition(TypeDefinitionDef::new("t", "te.state"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("not a primitive type"), "{err}");
}

#[tokio::test]
async fn metadata_declares_type_definitions_flags_and_defaults() {
    let app = app().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        r#"<EnumType Name="state" UnderlyingType="Edm.Int32" IsFlags="true">"#,
        r#"<Member Name="featured" Value="8"/>"#,
        r#"<TypeDefinition Name="durationValue" UnderlyingType="Edm.Duration"/>"#,
        r#"<TypeDefinition Name="code" UnderlyingType="Edm.String" MaxLength="8"/>"#,
        r#"<Property Name="rating" Type="Edm.Byte" Nullable="false" DefaultValue="0"/>"#,
        r#"<Property Name="status" Type="te.state" Nullable="false" DefaultValue="none"/>"#,
        r#"<Property Name="kind" Type="Edm.String" Nullable="false" MaxLength="20" DefaultValue="plain"/>"#,
        r#"<Property Name="label" Type="Edm.String" Nullable="false" DefaultValue=""/>"#,
        r#"<Property Name="shipping" Type="te.durationValue"/>"#,
        r#"<Property Name="code" Type="te.code"/>"#,
        r#"<Parameter Name="by" Type="te.durationValue" Nullable="false"/>"#,
        r#"<ReturnType Type="te.durationValue"/>"#,
    ] {
        assert!(xml.contains(needle), "{needle} missing in {xml}");
    }
    // Referenced types come before their users.
    assert!(xml.find("<TypeDefinition").unwrap() < xml.find("<EntityType").unwrap());

    let csdl: Value = app
        .get("$metadata?$format=json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schema = &csdl["test.edm"];
    assert_eq!(
        schema["durationValue"],
        json!({"$Kind": "TypeDefinition", "$UnderlyingType": "Edm.Duration"})
    );
    assert_eq!(
        schema["code"],
        json!({"$Kind": "TypeDefinition", "$UnderlyingType": "Edm.String", "$MaxLength": 8})
    );
    assert_eq!(schema["state"]["$IsFlags"], true);
    assert_eq!(schema["state"]["$UnderlyingType"], "Edm.Int32");
    let item = &schema["item"];
    assert_eq!(item["rating"]["$DefaultValue"], 0);
    assert_eq!(item["status"]["$DefaultValue"], "none");
    assert_eq!(item["label"]["$DefaultValue"], "");
    assert_eq!(item["shipping"]["$Type"], "te.durationValue");
    assert_eq!(item["code"], json!({"$Type": "te.code", "$Nullable": true}));
}

#[tokio::test]
async fn flags_enums_are_written_as_sorted_member_names_and_read_in_every_form() {
    let app = app().await;
    for (input, written) in [
        (json!("featured,inStock"), "inStock,featured"),
        (json!("inStock, onSale"), "inStock,onSale"),
        (json!("9"), "inStock,featured"),
        (json!(11), "inStock,onSale,featured"),
        (json!(0), "none"),
        (json!("none"), "none"),
        (json!(15), "inStock,onSale,discontinued,featured"),
    ] {
        let r = app
            .post_json("items", &json!({"name": "x", "price": 1, "status": input}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{input}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], written, "{input}");
        let id = body["id"].as_str().unwrap();
        let raw = app
            .get(&format!("items({id})/status/$value"))
            .send()
            .await
            .unwrap();
        assert_eq!(raw.status(), StatusCode::OK);
        assert_eq!(raw.text().await.unwrap(), written);
    }
    for input in [
        json!("nope"),
        json!("inStock,nope"),
        json!(16),
        json!(-1),
        json!("16"),
        json!(true),
        json!(1.5),
    ] {
        let r = app
            .post_json("items", &json!({"name": "x", "price": 1, "status": input}))
            .send()
            .await
            .unwrap();
        let error = bad_request(r, &input.to_string()).await;
        assert_eq!(error["target"], "status", "{input}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("none, inStock, onSale, discontinued, featured"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn flags_enums_in_filter_orderby_and_cast() {
    let app = seeded().await;
    let cases = [
        ("$filter=status eq te.state'inStock,featured'", vec!["a"]),
        (
            "$filter=status eq test.edm.state'featured,inStock'",
            vec!["a"],
        ),
        ("$filter=status eq te.state'9'", vec!["a"]),
        ("$filter=status eq 'inStock,featured'", vec!["a"]),
        ("$filter=status eq 'none'", vec!["b"]),
        ("$filter=status eq 9", vec!["a"]),
        ("$filter=status eq 0", vec!["b"]),
        ("$filter=status gt 0&$orderby=name", vec!["a", "c"]),
        ("$filter=status eq -1", vec![]),
        ("$filter=status eq 99", vec![]),
        ("$filter=status eq null", vec![]),
        ("$filter=status ne null&$orderby=name", vec!["a", "b", "c"]),
        ("$filter=status has te.state'featured'", vec!["a"]),
        (
            "$filter=status has te.state'inStock'&$orderby=name",
            vec!["a", "c"],
        ),
        ("$filter=status has 'onSale'", vec!["c"]),
        (
            "$filter=status in (te.state'9', te.state'none')&$orderby=name",
            vec!["a", "b"],
        ),
        ("$orderby=status", vec!["b", "c", "a"]),
        ("$orderby=status desc", vec!["a", "c", "b"]),
        ("$filter=cast(status, Edm.Int32) eq 9", vec!["a"]),
        ("$filter=cast(status,'Edm.Byte') eq 3", vec!["c"]),
        ("$filter=cast(status,Edm.Int64) lt 3", vec!["b"]),
    ];
    for (query, expected) in cases {
        assert_eq!(names(&app, query).await, expected, "{query}");
    }
    for query in [
        "$filter=status eq te.state'nope'",
        "$filter=status eq te.state'16'",
        "$filter=status eq 'nope'",
    ] {
        let r = app.get(&format!("items?{query}")).send().await.unwrap();
        bad_request(r, query).await;
    }
}

#[tokio::test]
async fn type_definitions_behave_like_their_underlying_type() {
    let app = seeded().await;
    let a = app.get_json("items?$filter=name eq 'a'").await;
    assert_eq!(a["value"][0]["shipping"], "P1D");
    let full = app
        .get_json("items?$filter=name eq 'a'&$format=application/json;odata.metadata=full")
        .await;
    assert_eq!(full["value"][0]["shipping"], "P1D");
    assert_eq!(
        full["value"][0]["shipping@odata.type"], "#test.edm.durationValue",
        "{full}"
    );
    let cases = [
        ("$filter=shipping eq duration'P1D'", vec!["a"]),
        ("$filter=shipping eq 'P1D'", vec!["a"]),
        ("$filter=shipping eq P1D", vec!["a"]),
        ("$filter=PT2H eq shipping", vec!["b"]),
        ("$filter=shipping lt duration'P1D'", vec!["b"]),
        ("$filter=totalseconds(shipping) eq 7200", vec!["b"]),
        ("$filter=shipping eq null", vec!["c"]),
        (
            "$filter=isof(shipping, Edm.Duration)&$orderby=name",
            vec!["a", "b"],
        ),
        (
            "$filter=isof(shipping, te.durationValue)&$orderby=name",
            vec!["a", "b"],
        ),
        (
            "$filter=isof(shipping, 'Edm.Duration')&$orderby=name",
            vec!["a", "b"],
        ),
        (
            "$filter=cast(shipping, 'Edm.Duration') eq duration'PT2H'",
            vec!["b"],
        ),
        (
            "$filter=cast(shipping, te.durationValue) eq duration'PT2H'",
            vec!["b"],
        ),
        ("$orderby=shipping desc", vec!["a", "b", "c"]),
        ("$orderby=shipping", vec!["c", "b", "a"]),
    ];
    for (query, expected) in cases {
        assert_eq!(names(&app, query).await, expected, "{query}");
    }
    let r = app
        .get("items?$filter=shipping eq 'one day'")
        .send()
        .await
        .unwrap();
    bad_request(r, "not a duration").await;

    // Aggregation sees the underlying type.
    let grouped = app
        .get_json("items?$apply=groupby((shipping),aggregate($count as n))&$orderby=shipping")
        .await;
    let groups = grouped["value"].as_array().unwrap();
    assert_eq!(groups.len(), 3, "{grouped}");
    assert_eq!(groups[2]["shipping"], "P1D", "{grouped}");

    // Writes check the underlying type and the definition's facets.
    let r = app
        .post_json(
            "items",
            &json!({"name": "x", "price": 1, "shipping": "one day"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad_request(r, "bad duration").await["target"], "shipping");
    let r = app
        .post_json(
            "items",
            &json!({"name": "x", "price": 1, "code": "123456789"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad_request(r, "too long").await["target"], "code");
    create(&app, json!({"name": "x", "price": 1, "code": "12345678"})).await;

    // As parameter and return type.
    let later = app.get_json("later(by=duration'PT5M')").await;
    assert_eq!(later["value"], "PT5M", "{later}");
    assert!(
        later["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#test.edm.durationValue"),
        "{later}"
    );
    let r = app.get("later(by=5)").send().await.unwrap();
    bad_request(r, "not a duration").await;
}

#[tokio::test]
async fn defaults_fill_omitted_properties_and_required_ones_are_checked() {
    let app = app().await;
    let r = app
        .post_json("items", &json!({"name": "n", "price": 2.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["rating"], 0);
    assert_eq!(body["status"], "none");
    assert_eq!(body["kind"], "plain");
    assert_eq!(body["label"], "");
    assert_eq!(body["note"], Value::Null);
    assert_eq!(body["shipping"], Value::Null);

    for (missing, body) in [
        ("name", json!({"price": 1})),
        ("price", json!({"name": "n"})),
    ] {
        let r = app.post_json("items", &body).send().await.unwrap();
        let error = bad_request(r, missing).await;
        assert_eq!(error["target"], missing);
        assert!(
            error["message"].as_str().unwrap().contains("required"),
            "{error}"
        );
    }
    for (property, body) in [
        ("rating", json!({"name": "n", "price": 1, "rating": null})),
        ("status", json!({"name": "n", "price": 1, "status": null})),
        ("name", json!({"name": null, "price": 1})),
    ] {
        let r = app.post_json("items", &body).send().await.unwrap();
        let error = bad_request(r, property).await;
        assert_eq!(error["target"], property);
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("cannot be null"),
            "{error}"
        );
    }
    // Computed values are ignored, not refused; immutable ones are set on create.
    let r = app
        .post_json(
            "items",
            &json!({
                "id": "00000000-0000-0000-0000-000000000001",
                "version": 42,
                "createdAt": "2000-01-01T00:00:00Z",
                "name": "n",
                "price": 1,
                "serial": "S-1"
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_ne!(body["id"], "00000000-0000-0000-0000-000000000001");
    assert_eq!(body["version"], 0);
    assert_ne!(body["createdAt"], "2000-01-01T00:00:00Z");
    assert_eq!(body["serial"], "S-1");
    let r = app
        .get("items(00000000-0000-0000-0000-000000000001)")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_resets_to_defaults_nulls_and_zero_values() {
    let app = app().await;
    let id = create(
        &app,
        json!({
            "name": "full", "price": 9.5, "rating": 7, "status": "onSale", "kind": "big",
            "label": "L", "shipping": "PT1H", "code": "C", "note": "N", "serial": "S-1"
        }),
    )
    .await;
    let before = app.get_json(&format!("items({id})")).await;
    let other = "00000000-0000-0000-0000-0000000000ff";
    let r = app
        .client
        .put(app.url(&format!("items({id})")))
        .json(&json!({"id": other, "price": 1, "serial": "S-2", "version": 5}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let after = app.get_json(&format!("items({id})")).await;
    assert_eq!(after["id"], id.as_str(), "the addressed entity is replaced");
    assert_eq!(after["price"], 1.0);
    assert_eq!(
        after["name"], "",
        "non-nullable without default: zero value"
    );
    assert_eq!(after["rating"], 0, "default");
    assert_eq!(after["status"], "none", "default");
    assert_eq!(after["kind"], "plain", "default");
    assert_eq!(after["label"], "", "default");
    assert_eq!(after["shipping"], Value::Null);
    assert_eq!(after["code"], Value::Null);
    assert_eq!(after["note"], Value::Null);
    assert_eq!(after["serial"], "S-1", "immutable");
    assert_eq!(after["createdAt"], before["createdAt"], "computed");
    assert_eq!(after["version"], before["version"], "computed");
    let r = app.get(&format!("items({other})")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "nothing was re-keyed");

    // A PUT without a required property still succeeds: it resets it.
    let r = app
        .client
        .put(app.url(&format!("items({id})")))
        .json(&json!({"name": "only"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(app.get_json(&format!("items({id})")).await["price"], 0.0);
}

#[tokio::test]
async fn patch_checks_keys_and_ignores_computed_and_immutable_values() {
    let app = app().await;
    let id = create(&app, json!({"name": "p", "price": 1, "serial": "S-1"})).await;
    let r = app
        .patch_json(
            &format!("items({id})"),
            &json!({"id": "00000000-0000-0000-0000-0000000000ff", "name": "q"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad_request(r, "re-keying").await["target"], "id");
    let r = app
        .patch_json(
            &format!("items({id})"),
            &json!({"id": id, "name": "q", "serial": "S-2", "version": 9,
                    "createdAt": "2000-01-01T00:00:00Z"}),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let after = app.get_json(&format!("items({id})")).await;
    assert_eq!(after["name"], "q");
    assert_eq!(after["serial"], "S-1");
    assert_eq!(after["version"], 0);
    assert_ne!(after["createdAt"], "2000-01-01T00:00:00Z");
    let r = app
        .patch_json(&format!("items({id})"), &json!({"status": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_request(r, "null enum").await["target"], "status");
}

#[tokio::test]
async fn type_names_resolve_bare_quoted_and_by_their_last_segment() {
    let app = app().await;
    create(&app, json!({"name": "plain", "price": 1})).await;
    let r = app
        .post_json(
            "items",
            &json!({"@odata.type": "#Other.Namespace.special", "name": "sp", "price": 2,
                    "extra": "e"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let special: Value = r.json().await.unwrap();
    assert_eq!(special["@odata.type"], "#test.edm.special");
    let id = special["id"].as_str().unwrap().to_owned();

    for query in [
        "$filter=isof(te.special)",
        "$filter=isof('te.special')",
        "$filter=isof(test.edm.special)",
        "$filter=isof(Some.Other.special)",
        "$filter=isof('Some.Other.special')",
        "$filter=isof($it, Alias.special)",
        "$filter=isof(Foo.special) and cast(name, 'Edm.String') eq 'sp'",
        "$filter=isof(name, Edm.String) and isof(Foo.special)",
    ] {
        assert_eq!(names(&app, query).await, vec!["sp"], "{query}");
    }
    for query in [
        "$filter=isof(Some.Other.nothing)",
        "$filter=cast(name, Other.nothing) ne null",
        "$filter=isof(name, Edm.Nothing)",
    ] {
        let r = app.get(&format!("items?{query}")).send().await.unwrap();
        bad_request(r, query).await;
    }
    for path in [
        "items/Other.special",
        "items/te.special",
        "items/Some.Deep.Other.special",
    ] {
        assert_eq!(app.get_json(path).await["value"][0]["name"], "sp", "{path}");
    }
    let one = app
        .get(&format!("items({id})/Other.special"))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), StatusCode::OK);
    for path in [
        "items/Other.nothing".to_owned(),
        format!("items({id})/Other.nothing"),
    ] {
        let r = app.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .post_json(
            "items",
            &json!({"@odata.type": "#Other.nothing", "name": "x", "price": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad_request(r, "unknown type").await["target"],
        "@odata.type"
    );
    let r = app
        .patch_json(
            &format!("items({id})"),
            &json!({"@odata.type": "#Other.special", "extra": "f"}),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}
