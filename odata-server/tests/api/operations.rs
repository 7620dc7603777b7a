//! Operations on a small model of its own: overloaded functions (unbound and bound),
//! unbound actions through action imports, operations bound to a collection, every
//! invocation form (unqualified names, type casts, parameters in parentheses, as aliases
//! or as query options, no parentheses), result shapes and their context URLs, and
//! functions returning entities that the client's query options compose with.

use odata_core::edm::{
    ActionDef, ComplexTypeDef, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef,
};
use odata_core::error::ODataError;
use odata_server::action::{ActionEffect, ActionHandler};
use odata_server::app::Migrations;
use odata_server::function::{EntityQuery, FunctionHandler};
use odata_server::service::{CollectionDef, Service};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::helpers::{TestApp, spawn_service};

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/operations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/operations/postgres");

fn double(name: &str) -> PropertyDef {
    PropertyDef::new(name, "Edm.Double").not_null()
}

fn int(name: &str) -> PropertyDef {
    PropertyDef::new(name, "Edm.Int64").not_null()
}

fn string(name: &str) -> PropertyDef {
    PropertyDef::new(name, "Edm.String").not_null()
}

fn number(call_value: Option<&Value>) -> f64 {
    call_value.and_then(Value::as_f64).unwrap_or_default()
}

fn service() -> Service {
    let items = "Collection(ops.item)";
    let model = ModelBuilder::new("ops")
        .complex_type(
            ComplexTypeDef::new("stats")
                .property(int("count"))
                .property(double("average")),
        )
        .entity_type(
            EntityTypeDef::new("item")
                .key(["id"])
                .property(string("id"))
                .property(PropertyDef::new("name", "Edm.String"))
                .property(PropertyDef::new("price", "Edm.Double"))
                .property(PropertyDef::new("kind", "Edm.String"))
                .navigation(NavigationDef::new("parent", "ops.item")),
        )
        .entity_type(
            EntityTypeDef::new("special")
                .base("item")
                .property(PropertyDef::new("feature", "Edm.String")),
        )
        .entity_set("items", "item")
        // Unbound function overloads returning entities of `items`.
        .function(ActionDef::new("top").returns(items))
        .function(ActionDef::new("top").parameter(int("count")).returns(items))
        .function(
            ActionDef::new("top")
                .parameter(int("count"))
                .parameter(string("kind"))
                .returns(items),
        )
        .function(
            ActionDef::new("find")
                .parameter(string("name"))
                .parameter(double("maxPrice"))
                .returns(items),
        )
        .function(
            ActionDef::new("calc")
                .parameter(int("value"))
                .returns("Edm.Int64"),
        )
        .function(
            ActionDef::new("calc")
                .parameter(int("a"))
                .parameter(int("b"))
                .returns("Edm.Int64"),
        )
        .function(ActionDef::new("stats").returns("ops.stats"))
        .function_import_in("top", "top", "items")
        .function_import_in("find", "ops.find", "items")
        .function_import("calc", "calc")
        .function_import("stats", "stats")
        // Bound functions.
        .function(
            ActionDef::new("total")
                .bound_to("bindingParameter", "ops.item")
                .parameter(double("rate"))
                .returns("Edm.Double"),
        )
        .function(
            ActionDef::new("price")
                .bound_to("bindingParameter", "ops.item")
                .parameter(double("discount"))
                .returns("Edm.Double"),
        )
        .function(
            ActionDef::new("price")
                .bound_to("bindingParameter", "ops.item")
                .parameter(double("discount"))
                .parameter(double("tax"))
                .returns("Edm.Double"),
        )
        .function(
            ActionDef::new("info")
                .bound_to("bindingParameter", "ops.special")
                .parameter(string("format"))
                .returns("Edm.String"),
        )
        .function(
            ActionDef::new("related")
                .bound_to("bindingParameter", "ops.item")
                .entity_set_path("bindingParameter")
                .returns(items),
        )
        .function(
            ActionDef::new("cheap")
                .bound_to("bindingParameter", items)
                .entity_set_path("bindingParameter")
                .parameter(double("below"))
                .returns(items),
        )
        .function(
            ActionDef::new("average")
                .bound_to("bindingParameter", items)
                .returns("Edm.Double"),
        )
        // Actions.
        .action(
            ActionDef::new("discount")
                .bound_to("bindingParameter", "ops.item")
                .entity_set_path("bindingParameter")
                .parameter(double("percentage"))
                .returns("ops.item"),
        )
        .action(
            ActionDef::new("raise")
                .bound_to("bindingParameter", "ops.item")
                .parameter(double("amount")),
        )
        .action(
            ActionDef::new("quote")
                .bound_to("bindingParameter", "ops.item")
                .parameter(double("percentage"))
                .returns("Edm.Double"),
        )
        .action(
            ActionDef::new("bump")
                .bound_to("bindingParameter", "ops.item")
                .returns("Edm.Double"),
        )
        .action(ActionDef::new("review").bound_to("bindingParameter", items))
        .action(ActionDef::new("reset").returns("ops.stats"))
        .action(
            ActionDef::new("process")
                .parameter(double("percentage"))
                .parameter(double("minPrice").optional_parameter())
                .returns("Edm.String"),
        )
        .action(ActionDef::new("noop"))
        .action_import("reset", "reset")
        .action_import("process", "ops.process")
        .action_import("noop", "noop")
        .build()
        .unwrap();
    Service::builder(model)
        .collection(
            CollectionDef::new("items", "items")
                .reference("parent", "items")
                .function(
                    "total",
                    FunctionHandler::new(|call| {
                        let price = number(call.entity.and_then(|e| e.get("price")));
                        Ok(json!(price * (1.0 + number(call.parameters.get("rate")))))
                    }),
                )
                // One handler per overload.
                .function(
                    "price(discount)",
                    FunctionHandler::new(|call| {
                        let price = number(call.entity.and_then(|e| e.get("price")));
                        Ok(json!(
                            price * (1.0 - number(call.parameters.get("discount")) / 100.0)
                        ))
                    }),
                )
                .function(
                    "ops.price(tax,discount)",
                    FunctionHandler::new(|call| {
                        let price = number(call.entity.and_then(|e| e.get("price")));
                        let discount = number(call.parameters.get("discount"));
                        let tax = number(call.parameters.get("tax"));
                        Ok(json!(
                            price * (1.0 - discount / 100.0) * (1.0 + tax / 100.0)
                        ))
                    }),
                )
                .function(
                    "info",
                    FunctionHandler::new(|call| {
                        let name = call.entity.and_then(|e| e.get("name")).cloned();
                        let format = call.parameters.get("format").cloned();
                        Ok(json!(format!(
                            "{} in {}",
                            name.unwrap_or_default().as_str().unwrap_or_default(),
                            format.unwrap_or_default().as_str().unwrap_or_default()
                        )))
                    }),
                )
                .function(
                    "related",
                    FunctionHandler::entities(|_| {
                        Ok(EntityQuery::new()
                            .filter("kind eq @kind and id ne @id")
                            .alias_property("kind", "kind")
                            .alias_property("id", "id"))
                    }),
                )
                .collection_function(
                    "cheap",
                    FunctionHandler::entities(|_| {
                        Ok(EntityQuery::new()
                            .filter("price lt @below")
                            .orderby("price desc"))
                    }),
                )
                .collection_function(
                    "average",
                    FunctionHandler::new(|call| {
                        let members = call.members.unwrap_or_default();
                        let sum: f64 = members.iter().map(|m| number(m.get("price"))).sum();
                        let n = members.len().max(1) as f64;
                        Ok(json!(sum / n))
                    }),
                )
                .action(
                    "discount",
                    ActionHandler::new(|call| {
                        let price = number(Some(call.property("price")));
                        let percentage = number(call.parameters.get("percentage"));
                        Ok(ActionEffect::update([(
                            "price",
                            json!(price * (1.0 - percentage / 100.0)),
                        )]))
                    }),
                )
                .action(
                    "raise",
                    ActionHandler::new(|call| {
                        let price = number(Some(call.property("price")));
                        let amount = number(call.parameters.get("amount"));
                        Ok(ActionEffect::update([("price", json!(price + amount))]))
                    }),
                )
                .action(
                    "quote",
                    ActionHandler::new(|call| {
                        let price = number(Some(call.property("price")));
                        let percentage = number(call.parameters.get("percentage"));
                        Ok(ActionEffect::value(json!(
                            price * (1.0 - percentage / 100.0)
                        )))
                    }),
                )
                .action(
                    "bump",
                    ActionHandler::new(|call| {
                        let price = number(Some(call.property("price")));
                        Ok(ActionEffect::update([("price", json!(price + 1.0))])
                            .returning(json!(price)))
                    }),
                )
                .collection_action("review", ActionHandler::new(|_| Ok(ActionEffect::Nothing))),
        )
        .function_import(
            "top",
            FunctionHandler::entities(|call| {
                let count = match call.parameters.get("count").and_then(Value::as_i64) {
                    Some(n) if n < 0 => {
                        return Err(ODataError::bad_request("'count' must not be negative.")
                            .with_target("count"));
                    }
                    Some(n) => n.unsigned_abs(),
                    None => 10,
                };
                let query = EntityQuery::new().orderby("price desc").top(count);
                Ok(if call.parameters.contains_key("kind") {
                    query.filter("kind eq @kind")
                } else {
                    query
                })
            }),
        )
        .function_import(
            "find",
            FunctionHandler::entities(|_| {
                Ok(EntityQuery::new().filter("contains(name,@name) and price le @maxPrice"))
            }),
        )
        .function_import(
            "calc(value)",
            FunctionHandler::new(|call| {
                let value = call.parameters["value"].as_i64().unwrap_or_default();
                value.checked_mul(2).map(|v| json!(v)).ok_or_else(|| {
                    ODataError::bad_request("'calc' overflows.").with_target("value")
                })
            }),
        )
        .function_import(
            "calc(a,b)",
            FunctionHandler::new(|call| {
                let a = call.parameters["a"].as_i64().unwrap_or_default();
                let b = call.parameters["b"].as_i64().unwrap_or_default();
                Ok(json!(a.saturating_add(b)))
            }),
        )
        .function_import(
            "stats",
            // Computed over the members of `items`.
            FunctionHandler::over("items", |call| {
                let members = call.members.unwrap_or_default();
                let sum: f64 = members.iter().map(|m| number(m.get("price"))).sum();
                Ok(json!({"count": members.len(), "average": sum / members.len().max(1) as f64}))
            }),
        )
        .action_import(
            "reset",
            // Every item's price back to 0, in one transaction.
            ActionHandler::over("items", |call| {
                let items = call.members.unwrap_or_default();
                let updates = items
                    .iter()
                    .map(|item| (item["id"].clone(), vec![("price".to_owned(), json!(0.0))]))
                    .collect();
                Ok(ActionEffect::UpdateMembers(updates)
                    .returning(json!({"count": items.len(), "average": 0})))
            }),
        )
        .action_import(
            "process",
            ActionHandler::new(|call| {
                let percentage = number(call.parameters.get("percentage"));
                Ok(ActionEffect::value(json!(
                    match call.parameters.get("minPrice") {
                        Some(min) => format!("{percentage} from {}", number(Some(min))),
                        None => format!("{percentage} for all"),
                    }
                )))
            }),
        )
        .action_import("noop", ActionHandler::new(|_| Ok(ActionEffect::Nothing)))
        .build()
        .unwrap()
}

/// The app with five items: `a1` (10), `a2` (40), `a3` (70) of kind `a`, `b1` (55) of
/// kind `b`, and the special `s1` (100) of kind `b`, whose parent is `a1`.
async fn app() -> TestApp {
    let migrations = Migrations {
        sqlite: &SQLITE,
        postgres: Some(&POSTGRES),
    };
    let app = spawn_service(service(), migrations, |_| {}).await;
    for (id, price, kind) in [
        ("a1", 10.0, "a"),
        ("a2", 40.0, "a"),
        ("a3", 70.0, "a"),
        ("b1", 55.0, "b"),
    ] {
        let body = json!({"id": id, "name": format!("item {id}"), "price": price, "kind": kind});
        let r = app.post_json("items", &body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{id}");
    }
    let special = json!({"@odata.type": "#ops.special", "id": "s1", "name": "special",
        "price": 100.0, "kind": "b", "feature": "x", "parent@odata.bind": "items('a1')"});
    let r = app.post_json("items", &special).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    app
}

/// GET `path`: the status and the JSON body (`Null` when there is none).
async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let r = app.get(path).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// POST `body` (raw, with `content_type` when given) to `path`.
async fn post(
    app: &TestApp,
    path: &str,
    body: &str,
    content_type: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    request.send().await.unwrap()
}

fn ids(body: &Value) -> Vec<&str> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value in {body}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

/// A 400 whose message names `names`.
fn assert_bad_request(path: &str, status: StatusCode, body: &Value, names: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(names), "{path}: {message}");
}

#[tokio::test]
async fn metadata_writes_overloads_imports_and_optional_parameters() {
    let app = app().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(xml.matches("<Function Name=\"calc\">").count(), 2, "{xml}");
    assert_eq!(xml.matches("<Function Name=\"top\">").count(), 3);
    for expected in [
        r#"<Function Name="related" IsBound="true" EntitySetPath="bindingParameter">"#,
        r#"<Action Name="discount" IsBound="true" EntitySetPath="bindingParameter">"#,
        r#"<Parameter Name="bindingParameter" Type="Collection(ops.item)"/>"#,
        r#"<FunctionImport Name="top" Function="ops.top" EntitySet="items"/>"#,
        r#"<FunctionImport Name="calc" Function="ops.calc"/>"#,
        r#"<ActionImport Name="reset" Action="ops.reset"/>"#,
        r#"<ActionImport Name="process" Action="ops.process"/>"#,
    ] {
        assert!(xml.contains(expected), "{expected} missing in {xml}");
    }
    let optional = xml
        .split("<Parameter Name=\"minPrice\"")
        .nth(1)
        .and_then(|rest| rest.split("</Parameter>").next())
        .unwrap_or_else(|| panic!("no minPrice element in {xml}"));
    assert!(optional.contains("OptionalParameter"), "{optional}");
    assert!(optional.contains("<Record/>"), "{optional}");
    let (status, csdl) = get(&app, "$metadata?$format=json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csdl["ops"]["calc"].as_array().unwrap().len(), 2);
    assert_eq!(csdl["ops"]["top"].as_array().unwrap().len(), 3);
    assert_eq!(
        csdl["ops"]["related"][0]["$EntitySetPath"],
        "bindingParameter"
    );
    let container = &csdl["ops"]["Container"];
    assert_eq!(
        container["top"],
        json!({"$Function": "ops.top", "$EntitySet": "items"})
    );
    assert_eq!(container["reset"], json!({"$Action": "ops.reset"}));
    let min_price = &csdl["ops"]["process"][0]["$Parameter"][1];
    assert_eq!(min_price["$Name"], "minPrice");
    assert!(
        min_price
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.ends_with("OptionalParameter")),
        "{min_price}"
    );
}

#[tokio::test]
async fn overloads_are_chosen_by_the_names_of_the_parameters_given() {
    let app = app().await;
    for (path, expected) in [
        ("calc(value=5)", json!(10)),
        ("calc(a=3,b=7)", json!(10)),
        ("calc(b=7,a=3)", json!(10)),
        ("calc(value=@x)?@x=4", json!(8)),
        ("calc?value=4", json!(8)),
        ("calc()?b=2&a=1", json!(3)),
        ("items('a1')/price(discount=10)", json!(9.0)),
        ("items('a1')/ops.price(discount=10,tax=10)", json!(9.9)),
        ("items('a1')/price?tax=10&discount=10", json!(9.9)),
    ] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let value = body["value"].as_f64().unwrap();
        assert!(
            (value - expected.as_f64().unwrap()).abs() < 1e-9,
            "{path}: {body}"
        );
    }
    let (_, body) = get(&app, "calc(value=5)").await;
    assert_eq!(body["@odata.context"], app.url("$metadata#Edm.Int64"));
    // Names no overload declares, a missing name, a combination of two overloads: 400
    // naming the operation, never 404.
    for path in [
        "calc(a=3)",
        "calc(value=1,a=2)",
        "calc(x=1)",
        "calc()",
        "calc",
        "calc(value=1)?b=2",
        "items('a1')/price(tax=5)",
        "items('a1')/price?tax=8",
        "items('a1')/price()",
        "top(kind='a')",
        "top()?count=5&kind=a&colour=red",
    ] {
        let (status, body) = get(&app, path).await;
        assert_bad_request(path, status, &body, "'");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            ["calc", "price", "top"].iter().any(|n| message.contains(n)),
            "{path}: {message}"
        );
    }
    // Values typed by the overload chosen: an integer for a Double, a string is wrong.
    let (status, body) = get(&app, "items('a1')/total(rate=1)").await;
    assert_eq!(
        (status, body["value"].clone()),
        (StatusCode::OK, json!(20.0))
    );
    for (path, target) in [
        ("items('a1')/total(rate='x')", "rate"),
        ("items('a1')/total(rate=null)", "rate"),
        ("calc(a=1,b='2')", "b"),
    ] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body["error"]["target"], target, "{path}: {body}");
    }
}

#[tokio::test]
async fn operations_are_invoked_in_every_form() {
    let app = app().await;
    // Unqualified and qualified, after a type cast, with and without parentheses.
    for (path, expected) in [
        ("items('a1')/total(rate=0.5)", json!(15.0)),
        ("items('a1')/ops.total(rate=0.5)", json!(15.0)),
        ("items('a1')/total?rate=0.5", json!(15.0)),
        ("items/a1/total(rate=@r)?@r=0.5", json!(15.0)),
        (
            "items('s1')/ops.special/info(format='x')",
            json!("special in x"),
        ),
        (
            "items('s1')/ops.special/ops.info(format='y')",
            json!("special in y"),
        ),
        (
            "items('s1')/ops.special/info?format=z",
            json!("special in z"),
        ),
        ("items/average()", json!(55.0)),
        ("items/ops.average", json!(55.0)),
    ] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["value"], expected, "{path}");
    }
    let (status, body) = get(&app, "items/average").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["@odata.context"], app.url("$metadata#Edm.Double"));
    // A complex value: its members beside its context, with or without parentheses.
    for path in ["stats()", "stats"] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            body,
            json!({"@odata.context": app.url("$metadata#ops.stats"), "count": 5, "average": 55.0})
        );
    }
    // The bound entity must exist, and be of the type cast to; an operation of a derived
    // type needs the cast.
    for path in [
        "items('s1')/info(format='x')",
        "items('nope')/total(rate=1)",
        "items('a1')/ops.special/info(format='x')",
        "items('nope')/related()",
    ] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let r = post(
        &app,
        "items('nope')/raise",
        r#"{"amount":1}"#,
        Some("application/json"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The wrong verb: 405 with Allow and an OData error.
    for (method, path, allow) in [
        ("POST", "calc(value=1)", "GET"),
        ("POST", "stats", "GET"),
        ("POST", "items('a1')/total(rate=1)", "GET"),
        ("GET", "reset", "POST"),
        ("GET", "items('a1')/raise", "POST"),
        ("GET", "items/review", "POST"),
    ] {
        let r = match method {
            "GET" => app.get(path).send().await.unwrap(),
            _ => post(&app, path, "", None).await,
        };
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(r.headers()["Allow"], allow, "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn actions_answer_with_the_entity_a_value_or_nothing() {
    let app = app().await;
    let before = app.get("items('a2')").send().await.unwrap();
    let etag = before.headers()["ETag"].to_str().unwrap().to_owned();
    // Returning the bound entity: 200 as GET shows it, with a new ETag.
    let r = post(
        &app,
        "items('a2')/discount",
        r#"{"percentage":10}"#,
        Some("application/json"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let new_etag = r.headers()["ETag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["@odata.context"], app.url("$metadata#items/$entity"));
    assert_eq!(body["price"], json!(36.0));
    let (_, read) = get(&app, "items('a2')").await;
    assert_eq!(read["price"], json!(36.0));
    let again = app.get("items('a2')").send().await.unwrap();
    assert_eq!(again.headers()["ETag"].to_str().unwrap(), new_etag);
    // No return type: 204, written.
    let r = post(
        &app,
        "items('a1')/ops.raise",
        r#"{"amount":5}"#,
        Some("application/json"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.text().await.unwrap(), "");
    assert_eq!(get(&app, "items('a1')").await.1["price"], json!(15.0));
    // A value without writing.
    let r = post(
        &app,
        "items('a1')/quote",
        r#"{"percentage":20}"#,
        Some("application/json"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"@odata.context": app.url("$metadata#Edm.Double"), "value": 12.0})
    );
    assert_eq!(get(&app, "items('a1')").await.1["price"], json!(15.0));
    // A value and a write.
    let r = post(&app, "items('a1')/bump", "", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["value"], json!(15.0));
    assert_eq!(get(&app, "items('a1')").await.1["price"], json!(16.0));
    // Bound to the collection.
    let r = post(&app, "items/review", "{}", None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Wrong or missing parameters: 400 naming the parameter, nothing written.
    for (path, body, target) in [
        ("items('a1')/raise", r#"{"amount":"x"}"#, "amount"),
        ("items('a1')/raise", r#"{"amount":null}"#, "amount"),
        ("items('a1')/raise", r#"{}"#, "amount"),
        ("items('a1')/raise", r#"{"amount":1,"other":2}"#, "other"),
    ] {
        let r = post(&app, path, body, Some("application/json")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"]["target"], target, "{body}");
    }
    assert_eq!(get(&app, "items('a1')").await.1["price"], json!(16.0));
}

#[tokio::test]
async fn unbound_actions_are_invoked_through_their_imports() {
    let app = app().await;
    // Parameterless: an empty body or `{}`, with or without a content type.
    for (body, content_type) in [
        ("", None),
        ("", Some("application/json")),
        ("{}", None),
        ("{}", Some("application/json")),
    ] {
        let r = post(&app, "noop", body, content_type).await;
        assert_eq!(
            r.status(),
            StatusCode::NO_CONTENT,
            "{body:?} {content_type:?}"
        );
    }
    let r = post(&app, "reset", "", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["@odata.context"], app.url("$metadata#ops.stats"));
    assert_eq!(
        (body["count"].as_i64(), body["average"].as_f64()),
        (Some(5), Some(0.0))
    );
    let priced = app.get_json("items?$filter=price ne 0&$count=true").await;
    assert_eq!(priced["@odata.count"], 0, "every item was reset");
    // An optional parameter may be left out.
    for (body, expected) in [
        (r#"{"percentage":10}"#, "10 for all"),
        (r#"{"minPrice":100,"percentage":10}"#, "10 from 100"),
    ] {
        let r = post(&app, "process", body, Some("application/json")).await;
        assert_eq!(r.status(), StatusCode::OK, "{body}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["value"],
            expected,
            "{body}"
        );
    }
    for (body, target) in [
        (r#"{"minPrice":100}"#, "percentage"),
        (r#"{"percentage":"invalid"}"#, "percentage"),
        (r#"{"percentage":10,"minPrice":null}"#, "minPrice"),
        (r#"{"percentage":10,"maxPrice":1}"#, "maxPrice"),
    ] {
        let r = post(&app, "process", body, Some("application/json")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"]["target"], target, "{body}");
    }
    // A body other than JSON.
    let r = post(&app, "process", "percentage=1", Some("text/plain")).await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn functions_returning_entities_compose_with_query_options() {
    let app = app().await;
    for (path, expected) in [
        ("top()", vec!["s1", "a3", "b1", "a2", "a1"]),
        ("top", vec!["s1", "a3", "b1", "a2", "a1"]),
        ("top(count=3)", vec!["s1", "a3", "b1"]),
        ("top(count=0)", vec![]),
        ("top(count=2,kind='a')", vec!["a3", "a2"]),
        ("top()?count=2&kind=a", vec!["a3", "a2"]),
        ("top?kind='b'&count=5", vec!["s1", "b1"]),
        ("find(name='item',maxPrice=50)", vec!["a1", "a2"]),
        ("find(name='it%25',maxPrice=500)", vec![]),
        // The client's options apply to the function's result.
        ("top(count=3)?$filter=price lt 60", vec!["b1"]),
        ("top(count=3)?$orderby=id", vec!["a3", "b1", "s1"]),
        ("top(count=3)?$top=1&$skip=1", vec!["a3"]),
        (
            "top()?$filter=kind eq 'a'&$orderby=price",
            vec!["a1", "a2", "a3"],
        ),
        ("items('a1')/related()", vec!["a2", "a3"]),
        ("items('b1')/related", vec!["s1"]),
        ("items('a1')/related()?$filter=price gt 50", vec!["a3"]),
        ("items/cheap(below=60)", vec!["b1", "a2", "a1"]),
        (
            "items/ops.cheap?below=60&$filter=kind eq 'a'",
            vec!["a2", "a1"],
        ),
    ] {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(ids(&body), expected, "{path}");
        assert_eq!(body["@odata.context"], app.url("$metadata#items"), "{path}");
    }
    let (_, body) = get(&app, "top(count=3)?$count=true&$top=1&$select=name").await;
    assert_eq!(body["@odata.count"], 3);
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    let first = body["value"][0].as_object().unwrap();
    assert!(
        first.contains_key("name") && !first.contains_key("price"),
        "{body}"
    );
    let (status, body) = get(&app, "top(count=2)?$expand=parent($select=name)").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"][0]["parent"]["name"], "item a1", "{body}");
    assert_eq!(body["value"][1]["parent"], Value::Null, "{body}");
    // Each entity with its usual control information.
    let (_, body) = get(&app, "top(count=1)").await;
    assert_eq!(body["value"][0]["@odata.type"], "#ops.special");
    // Server-driven paging keeps the call.
    let r = app
        .get("top(count=3)")
        .header("Prefer", "odata.maxpagesize=2")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(ids(&body), vec!["s1", "a3"]);
    let next = body["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(next.starts_with(&app.url("top(count=3)?")), "{next}");
    let body: Value = app
        .client
        .get(&next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&body), vec!["b1"]);
    // Errors of the call and of the client's options.
    let (status, body) = get(&app, "top(count=-1)").await;
    assert_bad_request("top(count=-1)", status, &body, "count");
    let (status, body) = get(&app, "top(count=3)?$filter=nope eq 1").await;
    assert_bad_request("$filter", status, &body, "nope");
}
