//! `$batch` in both formats on the shop model: inner requests answered as top-level ones,
//! `$<id>` references, dependencies (424), atomicity groups and change sets that write all
//! or nothing, continue-on-error, and envelopes refused as a whole.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_app, spawn_with};

async fn batch(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("$batch", body).send().await.unwrap()
}

/// The JSON batch's responses, asserting a 200 envelope.
async fn responses(app: &TestApp, body: &Value) -> Vec<Value> {
    let r = batch(app, body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["responses"].as_array().unwrap().clone()
}

fn statuses(responses: &[Value]) -> Vec<(String, u64)> {
    responses
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(id, s)| ((*id).to_owned(), *s)).collect()
}

async fn count(app: &TestApp, path: &str) -> u64 {
    app.get(&format!("{path}/$count"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn json_requests_run_in_order_and_reference_what_they_created() {
    let app = spawn_app().await;
    let answers = responses(
        &app,
        &json!({"requests": [
            {"id": "1", "method": "post", "url": "products", "body": product("p1")},
            {"id": "2", "method": "PATCH", "url": "$1", "body": {"stock": 40}, "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": "$1?$select=sku,stock", "dependsOn": ["2"]},
            {"id": "4", "method": "GET", "url": app.url("products/$count")},
            {"id": "5", "method": "GET", "url": "/odata/products('p1')/name/$value",
             "headers": {"accept": "text/plain"}}
        ]}),
    )
    .await;
    assert_eq!(
        statuses(&answers),
        pairs(&[("1", 201), ("2", 200), ("3", 200), ("4", 200), ("5", 200)])
    );
    assert!(
        answers[0]["headers"]["location"]
            .as_str()
            .unwrap()
            .ends_with("products('p1')")
    );
    assert_eq!(answers[0]["headers"]["odata-version"], "4.01");
    assert_eq!(answers[2]["body"]["stock"], 40);
    assert_eq!(
        answers[2]["body"]["@odata.context"],
        app.url("$metadata#products(sku,stock)/$entity")
    );
    // A text/plain body is a string.
    assert_eq!(answers[3]["body"], "1");
    assert_eq!(answers[4]["body"], "Widget");
}

#[tokio::test]
async fn an_atomicity_group_whose_third_request_fails_writes_nothing() {
    let app = spawn_app().await;
    let answers = responses(
        &app,
        &json!({"requests": [
            {"id": "a", "method": "POST", "url": "products", "body": product("p1"), "atomicityGroup": "g"},
            {"id": "b", "method": "POST", "url": "orders", "body": {"number": 1}, "atomicityGroup": "g"},
            {"id": "c", "method": "POST", "url": "products", "body": product("p1"), "atomicityGroup": "g"},
            {"id": "d", "method": "POST", "url": "orders", "body": {"number": 2}, "atomicityGroup": "g"},
            {"id": "e", "method": "GET", "url": "products", "dependsOn": ["g"]}
        ]}),
    )
    .await;
    // The duplicate key fails; everything else of the group is rolled back or not run,
    // and so is what depends on the group. The batch stops after the failure.
    assert_eq!(
        statuses(&answers),
        pairs(&[("a", 424), ("b", 424), ("c", 409), ("d", 424)])
    );
    assert!(answers.iter().all(|a| a["atomicityGroup"] == "g"));
    assert_eq!(count(&app, "products").await, 0);
    assert_eq!(count(&app, "orders").await, 0);

    // The same group without the failure commits as one.
    let answers = responses(
        &app,
        &json!({"requests": [
            {"id": "a", "method": "POST", "url": "products", "body": product("p1"), "atomicityGroup": "g"},
            {"id": "b", "method": "POST", "url": "orders",
             "body": {"number": 1, "product@odata.bind": "products('p0')"}, "atomicityGroup": "g"}
        ]}),
    )
    .await;
    // A bind to an entity that does not exist fails the group too.
    assert_eq!(statuses(&answers), pairs(&[("a", 424), ("b", 400)]));
    let answers = responses(
        &app,
        &json!({"requests": [
            {"id": "a", "method": "POST", "url": "products", "body": product("p1"), "atomicityGroup": "g"},
            {"id": "b", "method": "POST", "url": "orders", "body": {"number": 1}, "atomicityGroup": "g"},
            {"id": "c", "method": "PATCH", "url": "$a", "body": {"stock": 9}, "atomicityGroup": "g"}
        ]}),
    )
    .await;
    assert_eq!(
        statuses(&answers),
        pairs(&[("a", 201), ("b", 201), ("c", 200)])
    );
    assert_eq!(app.get_json("products('p1')").await["stock"], 9);
    assert_eq!(count(&app, "orders").await, 1);
}

#[tokio::test]
async fn failures_stop_the_batch_unless_the_client_prefers_to_continue() {
    let app = spawn_app().await;
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "products('nope')"},
        {"id": "2", "method": "POST", "url": "products", "body": product("p1")},
        {"id": "3", "method": "GET", "url": "products('p1')", "dependsOn": ["1"]}
    ]});
    let answers = responses(&app, &body).await;
    assert_eq!(statuses(&answers), pairs(&[("1", 404)]));
    assert_eq!(count(&app, "products").await, 0);
    let r = app
        .post_json("$batch", &body)
        .header("Prefer", "odata.continue-on-error")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["preference-applied"], "odata.continue-on-error");
    let answers: Value = r.json().await.unwrap();
    let answers = answers["responses"].as_array().unwrap().clone();
    assert_eq!(
        statuses(&answers),
        pairs(&[("1", 404), ("2", 201), ("3", 424)])
    );
    assert_eq!(answers[0]["body"]["error"]["code"], "ResourceNotFound");
    assert_eq!(answers[2]["body"]["error"]["code"], "FailedDependency");
}

#[tokio::test]
async fn bad_envelopes_are_refused_before_anything_runs() {
    let app = spawn_with(|s| {
        s.max_batch_requests = 3;
        s.max_body_bytes = 8 * 1024;
    })
    .await;
    let post =
        |id: &str| json!({"id": id, "method": "POST", "url": "products", "body": product(id)});
    for (body, status) in [
        (
            json!({"requests": [post("a"), post("a")]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"requests": [post("a"), {"id": "b", "method": "GET", "url": "products", "dependsOn": ["z"]}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"requests": [post("a"), post("b"), post("c"), post("d")]}),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            json!({"requests": [{"id": "a", "method": "GET", "url": "products", "atomicityGroup": "g"}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"requests": [
            {"id": "a", "method": "POST", "url": "products", "body": product("a"), "atomicityGroup": "g"},
            post("b"),
            {"id": "c", "method": "POST", "url": "products", "body": product("c"), "atomicityGroup": "g"}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"requests": [post("a"), {"id": "b", "method": "POST", "url": "$batch"}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"requests": [{"id": "a", "method": "GET"}]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"requests": [{"id": "a", "method": "GET", "url": "products", "extra": 1}]}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"requests": {}}), StatusCode::BAD_REQUEST),
        (
            json!({"requests": [{"id": "a", "method": "GET", "url": "products", "if": "true"}]}),
            StatusCode::NOT_IMPLEMENTED,
        ),
    ] {
        let r = batch(&app, &body).await;
        assert_eq!(r.status(), status, "{body}");
        let error: Value = r.json().await.unwrap();
        assert!(error["error"]["message"].is_string(), "{error}");
    }
    // A batch larger than the body limit is refused unread.
    let mut big = post("big");
    big["body"]["name"] = json!("x".repeat(10 * 1024));
    let r = batch(&app, &json!({"requests": [big]})).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(count(&app, "products").await, 0, "nothing ran");
    let r = app
        .client
        .post(app.url("$batch"))
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app
        .post_json("$batch", &json!({"requests": []}))
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app.get("$batch").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "POST");
}

/// A multipart/mixed batch body with `boundary`.
fn multipart(boundary: &str, parts: &[String]) -> String {
    let mut body = String::new();
    for part in parts {
        body.push_str(&format!("--{boundary}\r\n{part}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body
}

fn http_part(id: Option<&str>, request: &str) -> String {
    let id = id
        .map(|id| format!("Content-ID: {id}\r\n"))
        .unwrap_or_default();
    format!(
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n{id}\r\n{request}"
    )
}

fn change_set(boundary: &str, parts: &[String]) -> String {
    format!(
        "Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{}",
        multipart(boundary, parts)
    )
}

async fn send_multipart(app: &TestApp, body: String) -> (StatusCode, String) {
    let r = app
        .client
        .post(app.url("$batch"))
        .header("Content-Type", "multipart/mixed; boundary=batch_1")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let content_type = r.headers()["content-type"].to_str().unwrap();
    if status == StatusCode::OK {
        assert!(
            content_type.starts_with("multipart/mixed; boundary="),
            "{content_type}"
        );
    } else {
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
    }
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn multipart_batches_run_reads_and_change_sets() {
    let app = spawn_app().await;
    let create = |sku: &str| {
        format!(
            "POST products HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{}",
            product(sku)
        )
    };
    let body = multipart(
        "batch_1",
        &[
            http_part(
                None,
                "GET products/$count HTTP/1.1\r\nAccept: text/plain\r\n\r\n",
            ),
            change_set(
                "changeset_1",
                &[
                    http_part(Some("1"), &create("p1")),
                    http_part(
                        Some("2"),
                        "PATCH $1 HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"stock\":7}",
                    ),
                ],
            ),
        ],
    );
    let (status, text) = send_multipart(&app, body).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("HTTP/1.1 201 Created\r\n"), "{text}");
    assert!(text.contains("Content-ID: 2\r\n"), "{text}");
    assert!(
        text.contains("multipart/mixed; boundary=changesetresponse_"),
        "{text}"
    );
    assert_eq!(app.get_json("products('p1')").await["stock"], 7);

    // A failing change set answers with its one error and writes nothing.
    let body = multipart(
        "batch_1",
        &[change_set(
            "changeset_2",
            &[
                http_part(Some("1"), &create("p2")),
                http_part(Some("2"), &create("p1")),
            ],
        )],
    );
    let (status, text) = send_multipart(&app, body).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("HTTP/1.1 409 Conflict\r\n"), "{text}");
    assert!(!text.contains("201 Created"), "{text}");
    assert_eq!(count(&app, "products").await, 1);

    // Malformed envelopes.
    for body in [
        "no delimiters".to_owned(),
        multipart(
            "batch_1",
            &["Content-Type: text/plain\r\n\r\nhello".to_owned()],
        ),
        multipart(
            "batch_1",
            &[change_set("cs", &[http_part(None, &create("p3"))])],
        ),
        multipart("batch_1", &[http_part(None, "NOT A REQUEST")]),
    ] {
        let (status, _) = send_multipart(&app, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let r = app
        .client
        .post(app.url("$batch"))
        .header("Content-Type", "multipart/mixed")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "no boundary");
}

#[tokio::test]
async fn references_to_created_entities_work_in_bodies_and_if_match() {
    let app = spawn_app().await;
    let answers = responses(
        &app,
        &json!({"requests": [
            {"id": "p", "method": "POST", "url": "products", "body": product("p1"), "atomicityGroup": "g"},
            {"id": "o", "method": "POST", "url": "orders",
             "body": {"number": 1, "product@odata.bind": "$p"}, "atomicityGroup": "g"},
            {"id": "o2", "method": "POST", "url": "$p/orders/$ref",
             "body": {"@odata.id": "$o"}, "atomicityGroup": "g"},
            {"id": "u", "method": "PATCH", "url": "$p", "headers": {"if-match": "$p"},
             "body": {"stock": 5}, "dependsOn": ["g"]},
            {"id": "stale", "method": "PATCH", "url": "$p", "headers": {"if-match": "$p"},
             "body": {"stock": 6}, "dependsOn": ["u"]}
        ]}),
    )
    .await;
    // The second PATCH sends the ETag of the create, which the first PATCH changed.
    assert_eq!(
        statuses(&answers),
        pairs(&[
            ("p", 201),
            ("o", 201),
            ("o2", 204),
            ("u", 200),
            ("stale", 412)
        ])
    );
    assert_eq!(app.get_json("orders(1)/product").await["sku"], "p1");
    assert_eq!(app.get_json("products('p1')").await["stock"], 5);
}
