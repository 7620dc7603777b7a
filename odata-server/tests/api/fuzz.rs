//! Hostile input: random bytes and near-valid strings into the URL path, the query options and
//! JSON bodies. Never a 5xx other than 501 for a valid but unimplemented feature, every 4xx
//! and 501 carries the OData error JSON, and the service keeps serving.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, product, spawn_with};

const CASES: u32 = 300;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Starts the shop service on its own runtime (seeded with one product) for a proptest run.
fn start() -> (tokio::runtime::Runtime, TestApp) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(async {
        let app = spawn_with(|s| s.max_url_bytes = 64 * 1024).await;
        let r = app
            .post_json("products", &product("p1"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        app
    });
    (rt, app)
}

/// Sends the request; fails on a 5xx other than 501, or an error without the OData body.
async fn check(
    app: &TestApp,
    method: Method,
    url: &str,
    body: Option<Vec<u8>>,
) -> Result<(), TestCaseError> {
    let Ok(url) = reqwest::Url::parse(url) else {
        return Ok(()); // not expressible as a URL by the client at all
    };
    let mut request = app.client.request(method.clone(), url.clone());
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body);
    }
    let response = request
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("request failed: {}", e.without_url())))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let shown = || url.as_str().chars().take(300).collect::<String>();
    if status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
        return Err(TestCaseError::fail(format!(
            "{method} {} -> {status}: {text}",
            shown()
        )));
    }
    if (status.is_client_error() && status != StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        || status == StatusCode::NOT_IMPLEMENTED
    {
        let body: Value = serde_json::from_str(&text).map_err(|_| {
            TestCaseError::fail(format!(
                "{method} {} -> {status} without JSON: {text}",
                shown()
            ))
        })?;
        if !body["error"]["code"].is_string() || !body["error"]["message"].is_string() {
            return Err(TestCaseError::fail(format!("not an OData error: {body}")));
        }
    }
    Ok(())
}

fn still_serving(rt: &tokio::runtime::Runtime, app: &TestApp) {
    let status = rt.block_on(async { app.get("products('p1')").send().await.unwrap().status() });
    assert_eq!(status, StatusCode::OK);
}

/// Characters that matter to OData URLs, plus arbitrary ones.
fn url_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        "/",
        "(",
        ")",
        "'",
        "''",
        "%",
        "%2",
        "%27",
        "%ZZ",
        "%FF",
        "%C0%80",
        "=",
        ",",
        "$",
        ".",
        "?",
        "#",
        "&",
        "+",
        " ",
        "$count",
        "$ref",
        "$metadata",
        "$value",
        "products",
        "orders",
        "p1",
        "sku",
        "stock",
        "number",
        "example.shop.product",
        "shop.product",
        "1",
        "-1",
        "99999999999999999999",
        "null",
        "\u{0}",
        "\u{FFFD}",
        "é",
        "%00",
        "..",
        "@a",
    ])
    .prop_map(str::to_owned);
    let any = any::<char>().prop_map(|c| c.to_string());
    prop::collection::vec(prop_oneof![3 => special, 1 => any], 0..12).prop_map(|v| v.concat())
}

#[test]
fn random_paths_never_give_5xx() {
    let (rt, app) = start();
    let methods = prop::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
    ]);
    let percent_bytes = prop::collection::vec(any::<u8>(), 0..40).prop_map(|bytes| {
        bytes
            .iter()
            .map(|b| format!("%{b:02X}"))
            .collect::<String>()
    });
    let path = prop_oneof![
        url_text(),
        percent_bytes.prop_map(|p| format!("products/{p}"))
    ];
    runner()
        .run(&(methods, path), |(method, path)| {
            let body = (method != Method::GET && method != Method::DELETE)
                .then(|| product("x").to_string().into_bytes());
            rt.block_on(check(&app, method, &app.url(&path), body))
        })
        .unwrap();
    still_serving(&rt, &app);
}

/// `text` percent-encoded for a query option value (a space as `+`).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'$' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Near-valid query expressions assembled from OData tokens.
fn expression() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "stock",
        "name",
        "color",
        "releasedAt",
        "warranty",
        "dimensions/width",
        "tags",
        "secret",
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "and",
        "or",
        "not",
        "in",
        "has",
        "add",
        "sub",
        "mul",
        "div",
        "mod",
        "(",
        ")",
        "(",
        ")",
        "'",
        "'a'",
        "'it''s'",
        "1",
        "-1",
        "2147483648",
        "1e999",
        "-9223372036854775809",
        "3.14",
        "INF",
        "NaN",
        "null",
        "true",
        "false",
        "2016-12-31T23:59:23Z",
        "2016-13-45",
        "duration'P1D'",
        "duration'PX'",
        "shop.color'red'",
        "shop.color'purple'",
        "contains(",
        "startswith(",
        "length(",
        "substring(",
        "cast(",
        "isof(",
        "now()",
        "any(",
        "all(",
        "x:",
        "x/stock",
        "$it",
        "$root",
        "@p",
        ",",
        "/",
        "[",
        "]",
        "{",
        "}",
        "asc",
        "desc",
        "*",
        "$count",
        "%",
        "%2B",
        "+",
        "-",
        " ",
    ])
    .prop_map(str::to_owned);
    prop::collection::vec(token, 0..16).prop_map(|v| v.join(" "))
}

#[test]
fn random_query_options_never_give_5xx() {
    let (rt, app) = start();
    let option = prop::sample::select(vec![
        "$filter",
        "$orderby",
        "$select",
        "$expand",
        "$top",
        "$skip",
        "$count",
        "$search",
        "$format",
        "$skiptoken",
        "$compute",
        "$apply",
        "$levels",
        "$FILTER",
        "filter",
        "@p",
        "$bogus",
    ]);
    let value = prop_oneof![expression(), url_text()];
    let pairs = prop::collection::vec((option, value), 1..4);
    let target = prop::sample::select(vec!["products", "products/$count", "products('p1')", ""]);
    runner()
        .run(&(target, pairs), |(target, pairs)| {
            let query = pairs
                .iter()
                .map(|(o, v)| format!("{o}={}", encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            rt.block_on(check(
                &app,
                Method::GET,
                &app.url(&format!("{target}?{query}")),
                None,
            ))
        })
        .unwrap();
    still_serving(&rt, &app);
}

/// Random JSON values, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
        prop::sample::select(vec![
            "green",
            "purple",
            "2016-12-31T23:59:23Z",
            "PT1S",
            "-P",
            "#example.shop.product",
            "#example.shop.order",
            "",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z@.]{0,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

#[test]
fn random_json_bodies_never_give_5xx() {
    let (rt, app) = start();
    let property = prop::sample::select(vec![
        "sku",
        "name",
        "color",
        "releasedAt",
        "warranty",
        "stock",
        "dimensions",
        "tags",
        "secret",
        "createdAt",
        "modifiedAt",
        "discount",
        "@odata.type",
        "@odata.id",
        "bogus",
        "width",
    ]);
    // Valid products with some properties replaced by random values.
    let mutated = prop::collection::vec((property, json_value()), 0..4).prop_map(|changes| {
        let mut body = product("fuzz");
        for (k, v) in changes {
            body[k] = v;
        }
        body.to_string().into_bytes()
    });
    let random_bytes = prop::collection::vec(any::<u8>(), 0..200);
    let random_json = json_value().prop_map(|v| v.to_string().into_bytes());
    let body = prop_oneof![2 => mutated, 1 => random_bytes, 1 => random_json];
    let target = prop::sample::select(vec![
        (Method::POST, "products"),
        (Method::PATCH, "products('p1')"),
        (Method::PUT, "products('p1')"),
        (Method::POST, "products/$ref"),
        (Method::PATCH, "products('missing')"),
    ]);
    runner()
        .run(&(target, body), |((method, path), body)| {
            rt.block_on(async {
                check(&app, method, &app.url(path), Some(body)).await?;
                // A successful POST created 'fuzz': remove it so the next POST is not a 409.
                let _ = app.client.delete(app.url("products('fuzz')")).send().await;
                Ok(())
            })
        })
        .unwrap();
    still_serving(&rt, &app);
}

/// Parameter alias definitions `@a0 … @a{n-1}`: each body names the next alias (`{next}`,
/// so chains), any alias (`{any}`, so cycles and self-references) or none, once or twice
/// (so substituted trees double per level), or is a plain value.
fn alias_definitions() -> impl Strategy<Value = Vec<(String, String)>> {
    let body = prop::sample::select(vec![
        "@{next}",
        "@{next} add @{next}",
        "@{next} or @{next}",
        "@{next} and @{any}",
        "@{any}",
        "@{any} add 1",
        "not @{next}",
        "(@{next})",
        "-@{next}",
        "concat(@{next},@{next})",
        "name eq @{next}",
        "stock in @{next}",
        "tags/any(t: t eq @{next})",
        "case(@{next}: 1, true: @{any})",
        "stock",
        "name",
        "secret",
        "tags",
        "1",
        "'x'",
        "null",
        "true",
        "[1,2]",
        "(1,2)",
        "@self",
    ]);
    let random =
        prop::collection::vec((body, any::<prop::sample::Index>()), 1..40).prop_map(|bodies| {
            let n = bodies.len();
            bodies
                .into_iter()
                .enumerate()
                .map(|(i, (body, any))| {
                    let body = body
                        .replace("{next}", &format!("a{}", i + 1))
                        .replace("{any}", &format!("a{}", any.index(n)))
                        .replace("@self", &format!("@a{i}"));
                    (format!("a{i}"), body)
                })
                .collect()
        });
    // Every alias using the next one twice, ending in a property: 2^k nodes substituted.
    let doubling =
        (1..40usize, prop::sample::select(vec!["add", "or", "mul"])).prop_map(|(k, op)| {
            (0..k)
                .map(|i| (format!("a{i}"), format!("@a{} {op} @a{}", i + 1, i + 1)))
                .chain([(format!("a{k}"), "stock".to_owned())])
                .collect()
        });
    // A chain of aliases each naming the next, possibly closing into a cycle.
    let chain = (1..300usize, any::<bool>()).prop_map(|(n, cycle)| {
        (0..n)
            .map(|i| {
                let next = if i + 1 < n {
                    format!("@a{}", i + 1)
                } else if cycle {
                    "@a0".to_owned()
                } else {
                    "stock".to_owned()
                };
                (format!("a{i}"), next)
            })
            .collect()
    });
    prop_oneof![2 => random, 1 => doubling, 1 => chain]
}

#[test]
fn parameter_aliases_never_give_5xx() {
    let (rt, app) = start();
    let using = prop::sample::select(vec![
        "$filter=stock eq @a0",
        "$filter=@a0",
        "$filter=name in @a0",
        "$filter=@a0 and @a1",
        "$filter=stock add @a0 gt 1",
        "$filter=tags/any(t: @a0)",
        "$filter=contains(@a0,'x')",
        "$orderby=@a0",
        "$orderby=stock,@a1 desc",
    ]);
    let target = prop::sample::select(vec!["products", "products/$count", "products('p1')"]);
    runner()
        .run(
            &(target, using, alias_definitions()),
            |(target, using, aliases)| {
                let (option, value) = using.split_once('=').unwrap_or((using, ""));
                let mut query = format!("{option}={}", encode(value));
                for (name, body) in &aliases {
                    query.push_str(&format!("&@{name}={}", encode(body)));
                }
                rt.block_on(check(
                    &app,
                    Method::GET,
                    &app.url(&format!("{target}?{query}")),
                    None,
                ))
            },
        )
        .unwrap();
    still_serving(&rt, &app);
}

/// `$search` values: random tokens (words, phrases, quotes, operators, parentheses), long
/// runs of terms (past the term limit), and deep `NOT` and parenthesis nesting.
fn search_expression() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "widget",
        "Widget",
        "hunter2",
        "AND",
        "OR",
        "NOT",
        "and",
        "(",
        ")",
        "\"a phrase\"",
        "\"",
        "\"\"",
        "'quoted'",
        "'",
        "''",
        "'it''s'",
        "p1",
        "é",
        "-",
        "*",
        ";",
        "%",
        "+",
        "\"unterminated",
        "NOT NOT",
        "a\"b",
    ]);
    let tokens = prop::collection::vec(token, 0..24).prop_map(|v| v.join(" "));
    let run = (
        1..400usize,
        prop::sample::select(vec![" ", " AND ", " OR ", " OR NOT ", " AND NOT "]),
    )
        .prop_map(|(n, sep)| {
            (0..n)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join(sep)
        });
    let phrases = (1..200usize).prop_map(|n| vec!["\"a b\""; n].join(" OR "));
    let parens = (1..200usize).prop_map(|d| format!("{}w{}", "(".repeat(d), ")".repeat(d)));
    let nots = (1..200usize).prop_map(|d| format!("{}w", "NOT ".repeat(d)));
    prop_oneof![3 => tokens, 2 => run, 1 => phrases, 1 => parens, 1 => nots]
}

#[test]
fn search_expressions_never_give_5xx() {
    let (rt, app) = start();
    let target = prop::sample::select(vec!["products", "products/$count", "orders"]);
    runner()
        .run(&(target, search_expression()), |(target, search)| {
            rt.block_on(check(
                &app,
                Method::GET,
                &app.url(&format!("{target}?$search={}", encode(&search))),
                None,
            ))
        })
        .unwrap();
    still_serving(&rt, &app);
}

/// Lambdas nested inside lambdas, each level wrapping the inner predicate in some glue and
/// referring to variables in scope, out of scope, reused, or to `$it` and `secret`.
fn nested_lambda() -> impl Strategy<Value = String> {
    let var = prop::sample::select(vec!["t", "u", "v", "w", "x"]);
    let op = prop::sample::select(vec!["any", "all"]);
    let glue = prop::sample::select(vec![
        "{inner}",
        "{var} eq 'a' and {inner}",
        "not ({inner})",
        "{inner} or $it/stock gt 1",
        "contains({var},'b') and {inner}",
        "{inner} and secret eq 'x'",
    ]);
    let leaf = prop::sample::select(vec![
        "{var} eq 'a'",
        "{var} ne {other}",
        "$it/stock gt 1",
        "secret eq 'x'",
        "true",
        "length({var}) gt {other}",
        "{var} in tags",
        "tags/any()",
        "tags/$count gt 1",
    ]);
    (
        prop::collection::vec((var.clone(), op, glue), 1..14),
        leaf,
        var.clone(),
        var,
    )
        .prop_map(|(levels, leaf, inner_var, other)| {
            let mut predicate = leaf.replace("{var}", inner_var).replace("{other}", other);
            for (var, op, glue) in levels.iter().rev() {
                let body = glue.replace("{inner}", &predicate).replace("{var}", var);
                predicate = format!("tags/{op}({var}: {body})");
            }
            predicate
        })
}

#[test]
fn nested_lambdas_never_give_5xx() {
    let (rt, app) = start();
    let target = prop::sample::select(vec!["products", "products/$count"]);
    runner()
        .run(&(target, nested_lambda()), |(target, filter)| {
            rt.block_on(check(
                &app,
                Method::GET,
                &app.url(&format!("{target}?$filter={}", encode(&filter))),
                None,
            ))
        })
        .unwrap();
    still_serving(&rt, &app);
}

/// A product body as JSON text with one member repeated: at the top level, inside the
/// complex `dimensions`, as an annotation, or spelled with an escape (`n\u0061me`).
fn body_with_duplicate_member() -> impl Strategy<Value = Vec<u8>> {
    let member = prop::sample::select(vec![
        r#""sku":"dup""#,
        r#""sku":"other""#,
        r#""name":"Gadget""#,
        r#""n\u0061me":"Gadget""#,
        r#""color":"purple""#,
        r#""stock":2147483648"#,
        r#""stock":3"#,
        r#""tags":null"#,
        r#""secret":"x""#,
        r##""@odata.type":"#example.shop.product""##,
        r##""@odata.type":"#example.shop.order""##,
        r#""dimensions":{"width":1,"width":2}"#,
    ]);
    (member, any::<bool>()).prop_map(|(member, first)| {
        let mut body = product("dup");
        if let Some(object) = body.as_object_mut() {
            object.insert("@odata.type".into(), "#example.shop.product".into());
            // A nested duplicate replaces `dimensions`, so only its inner member repeats.
            if member.starts_with(r#""dimensions""#) {
                object.remove("dimensions");
            }
        }
        let text = body.to_string();
        let inner = text.trim_start_matches('{').trim_end_matches('}');
        let joined = if first {
            format!("{{{member},{inner}}}")
        } else {
            format!("{{{inner},{member}}}")
        };
        joined.into_bytes()
    })
}

#[test]
fn bodies_with_duplicate_members_are_4xx() {
    let (rt, app) = start();
    let target = prop::sample::select(vec![
        (Method::POST, "products"),
        (Method::PATCH, "products('p1')"),
        (Method::PUT, "products('p1')"),
    ]);
    runner()
        .run(
            &(target, body_with_duplicate_member()),
            |((method, path), body)| {
                rt.block_on(async {
                    let sent = String::from_utf8_lossy(&body).into_owned();
                    let r = app
                        .client
                        .request(method.clone(), app.url(path))
                        .header("Content-Type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map_err(|e| TestCaseError::fail(format!("request failed: {e}")))?;
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    if !status.is_client_error() {
                        // Keep later cases independent of an accepted body.
                        let _ = app.client.delete(app.url("products('dup')")).send().await;
                        return Err(TestCaseError::fail(format!(
                            "{method} {path} {sent} -> {status}: {text}"
                        )));
                    }
                    let error: Value = serde_json::from_str(&text).map_err(|_| {
                        TestCaseError::fail(format!("{method} {path} -> {status}: {text}"))
                    })?;
                    if !error["error"]["code"].is_string() || !error["error"]["message"].is_string()
                    {
                        return Err(TestCaseError::fail(format!("not an OData error: {text}")));
                    }
                    Ok(())
                })
            },
        )
        .unwrap();
    still_serving(&rt, &app);
}
