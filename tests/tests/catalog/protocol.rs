//! MODEL.md §6.1, §6.12, §6.13 on the catalog: batches, conditional reads, preferences.

use acceptance_tests::spawn_catalog;
use reqwest::StatusCode;
use serde_json::{Value, json};

const LAPTOP: &str = "Products(a0000000-0000-4000-8000-000000000001)";

#[tokio::test]
async fn a_json_batch_runs_an_atomicity_group_all_or_nothing() {
    let app = spawn_catalog().await;
    let batch = |requests: Value| {
        app.client
            .post(app.url("$batch"))
            .json(&json!({ "requests": requests }))
            .send()
    };
    let ok = batch(json!([
        {"id": "1", "atomicityGroup": "g", "method": "POST", "url": "Categories",
         "headers": {"content-type": "application/json"}, "body": {"Name": "Garden"}},
        {"id": "2", "atomicityGroup": "g", "method": "PATCH", "url": LAPTOP,
         "headers": {"content-type": "application/json"}, "body": {"Price": 1000.0}}
    ]))
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    let statuses: Vec<i64> = body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 204]);

    // A failing member rolls the whole group back.
    let failed = batch(json!([
        {"id": "1", "atomicityGroup": "g", "method": "POST", "url": "Categories",
         "headers": {"content-type": "application/json"}, "body": {"Name": "Toys"}},
        {"id": "2", "atomicityGroup": "g", "method": "POST", "url": "Categories",
         "headers": {"content-type": "application/json"}, "body": {"Name": "Garden"}}
    ]))
    .await
    .unwrap();
    assert_eq!(failed.status(), StatusCode::OK);
    let toys = app
        .get_json("Categories?$filter=Name eq 'Toys'&$count=true")
        .await;
    assert_eq!(toys["@odata.count"], 0, "rolled back");
    assert_eq!(app.get_json(LAPTOP).await["Price"], json!(1000.0));
}

#[tokio::test]
async fn conditional_requests_and_preferences() {
    let app = spawn_catalog().await;
    let laptop = app.get(LAPTOP).send().await.unwrap();
    let etag = laptop.headers()["etag"].to_str().unwrap().to_owned();
    let unchanged = app
        .get(LAPTOP)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    let other = app
        .get(LAPTOP)
        .header("If-None-Match", "W/\"99\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    let guarded = app
        .patch_json(LAPTOP, &json!({"Price": 1.0}))
        .header("If-None-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(guarded.status(), StatusCode::PRECONDITION_FAILED);
    let missing = app
        .patch_json(
            "Products(00000000-0000-0000-0000-000000000000)",
            &json!({"Price": 1.0}),
        )
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let omitted = app
        .get(LAPTOP)
        .header("Prefer", "omit-values=nulls")
        .send()
        .await
        .unwrap();
    assert_eq!(omitted.headers()["preference-applied"], "omit-values=nulls");
    let body: Value = omitted.json().await.unwrap();
    assert!(body.get("Description").is_none() && body.get("SerialNumber").is_none());
    assert_eq!(body["Name"], "Laptop");
    // The 4.0-style spelling is honoured and echoed as sent.
    let prefixed = app
        .get("Products?$select=Name,Description")
        .header("Prefer", "odata.omit-values=nulls")
        .send()
        .await
        .unwrap();
    assert_eq!(
        prefixed.headers()["preference-applied"],
        "odata.omit-values=nulls"
    );
    let body: Value = prefixed.json().await.unwrap();
    assert!(body["value"][0].get("Description").is_none());

    let paged = app
        .get("Products?$select=Name")
        .header("Prefer", "odata.maxpagesize=3")
        .send()
        .await
        .unwrap();
    assert_eq!(paged.headers()["preference-applied"], "odata.maxpagesize=3");
    let page: Value = paged.json().await.unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 3);
    assert!(
        page["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$skiptoken=")
    );

    let old_version = app
        .get("Products")
        .header("OData-MaxVersion", "3.0")
        .send()
        .await
        .unwrap();
    assert_eq!(old_version.status(), StatusCode::NOT_ACCEPTABLE);
    let snapshot = app
        .get("Products")
        .header("OData-Isolation", "snapshot")
        .send()
        .await
        .unwrap();
    assert_eq!(snapshot.status(), StatusCode::PRECONDITION_FAILED);
    let error = app
        .get("Products(00000000-0000-0000-0000-000000000000)")
        .send()
        .await
        .unwrap();
    assert_eq!(error.headers()["content-language"], "en");
    let head = app.client.head(app.url(LAPTOP)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.headers().contains_key("etag"));
}

/// The statuses of a JSON batch's responses by request id.
fn statuses(body: &Value) -> Vec<(String, i64)> {
    body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn json_batches_go_on_after_failures_and_fail_dependents_with_424() {
    let app = spawn_catalog().await;
    let send = |body: Value, prefer: Option<&'static str>, max_version: Option<&'static str>| {
        let mut request = app.client.post(app.url("$batch")).json(&body);
        if let Some(prefer) = prefer {
            request = request.header("Prefer", prefer);
        }
        if let Some(version) = max_version {
            request = request.header("OData-MaxVersion", version);
        }
        request.send()
    };
    let requests = json!({"requests": [
        {"id": "1", "method": "GET", "url": "Products(00000000-0000-0000-0000-000000000000)"},
        {"id": "2", "method": "GET", "url": "Categories", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "Categories?$top=1"}
    ]});
    let answered = send(requests.clone(), None, None).await.unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    let body: Value = answered.json().await.unwrap();
    assert_eq!(
        statuses(&body),
        [("1".into(), 404), ("2".into(), 424), ("3".into(), 200)]
    );
    assert_eq!(
        body["responses"][2]["body"]["value"][0]["Name"],
        "Electronics"
    );

    // The client may ask to stop at the first failure.
    let stopped = send(
        requests.clone(),
        Some("odata.continue-on-error=false"),
        None,
    )
    .await
    .unwrap();
    let body: Value = stopped.json().await.unwrap();
    assert_eq!(statuses(&body)[0], ("1".into(), 404));
    assert!(statuses(&body).iter().all(|(id, _)| id != "3"), "{body}");

    let empty = send(json!({"requests": []}), None, Some("4.01"))
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(
        empty.json::<Value>().await.unwrap(),
        json!({"responses": []})
    );
    // The JSON format is OData 4.01.
    let old = send(json!({"requests": []}), None, Some("4.0"))
        .await
        .unwrap();
    assert!(old.status().is_client_error(), "{}", old.status());
    let error: Value = old.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("4.01"));

    for invalid in [
        json!({}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "Products"},
                            {"id": "1", "method": "GET", "url": "Products"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "Products", "dependsOn": ["2"]},
                            {"id": "2", "method": "GET", "url": "Products"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "Products", "dependsOn": ["9"]}]}),
        json!({"requests": [
            {"id": "1", "method": "POST", "url": "Categories", "atomicityGroup": "g", "body": {"Name": "A"}},
            {"id": "2", "method": "GET", "url": "Products"},
            {"id": "3", "method": "POST", "url": "Categories", "atomicityGroup": "g", "body": {"Name": "B"}}]}),
        json!({"requests": [
            {"id": "g", "method": "POST", "url": "Categories", "atomicityGroup": "g", "body": {"Name": "A"}}]}),
    ] {
        let refused = send(invalid.clone(), None, None).await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{invalid}");
    }
    assert_eq!(
        app.get_json("Categories?$count=true&$top=0").await["@odata.count"],
        3,
        "no refused batch wrote anything"
    );
}

/// A multipart/mixed body of `parts` with boundary `b`.
fn multipart(b: &str, parts: &[String]) -> String {
    let mut body: String = parts.iter().map(|p| format!("--{b}\r\n{p}\r\n")).collect();
    body.push_str(&format!("--{b}--\r\n"));
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

fn change_set(b: &str, parts: &[String]) -> String {
    format!(
        "Content-Type: multipart/mixed; boundary={b}\r\n\r\n{}",
        multipart(b, parts)
    )
}

#[tokio::test]
async fn multipart_batches_reference_earlier_results_and_roll_change_sets_back() {
    let app = spawn_catalog().await;
    let send = |body: String| {
        app.client
            .post(app.url("$batch"))
            .header("Content-Type", "multipart/mixed; boundary=batch")
            .body(body)
            .send()
    };
    let create = "POST Products HTTP/1.1\r\nContent-Type: application/json\r\n\r\n\
                  {\"Name\":\"Kettle\",\"Price\":20,\"Descriptions\":[{\"LanguageKey\":\"EN\",\"Description\":\"Boils\"}]}";
    let body = multipart(
        "batch",
        &[change_set(
            "cs1",
            &[
                http_part(Some("new"), create),
                http_part(
                    Some("rename"),
                    "PATCH $new HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"Name\":\"Kettle 2\"}",
                ),
            ],
        )],
    );
    let answered = send(body).await.unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    assert!(
        answered.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/mixed")
    );
    assert!(answered.headers().contains_key("odata-version"));
    let text = answered.text().await.unwrap();
    assert!(text.contains("HTTP/1.1 201 Created"), "{text}");
    assert!(text.contains("Content-ID: new\r\n"), "{text}");
    assert!(text.contains("Content-ID: rename\r\n"), "{text}");
    let kettle = app
        .get_json("Products?$filter=Name eq 'Kettle 2'&$select=ID")
        .await;
    let id = kettle["value"][0]["ID"].as_str().unwrap().to_owned();

    // `$<id>` as a path prefix in a read, and a delete through it, in one change set.
    let body = multipart(
        "batch",
        &[
            http_part(
                None,
                &format!("GET Products({id})/Descriptions HTTP/1.1\r\n\r\n"),
            ),
            change_set(
                "cs2",
                &[
                    http_part(Some("a"), create),
                    http_part(Some("b"), "DELETE $a HTTP/1.1\r\n\r\n"),
                ],
            ),
        ],
    );
    let text = send(body).await.unwrap().text().await.unwrap();
    assert!(text.contains("\"Boils\""), "{text}");
    assert!(text.contains("HTTP/1.1 204 No Content"), "{text}");
    assert_eq!(
        app.get_json("Products?$filter=Name eq 'Kettle'&$count=true&$top=0")
            .await["@odata.count"],
        0
    );

    // An unresolvable `$<id>` fails its change set, which writes nothing.
    let body = multipart(
        "batch",
        &[change_set(
            "cs3",
            &[
                http_part(Some("a"), create),
                http_part(
                    Some("b"),
                    "PATCH $nope HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"Name\":\"x\"}",
                ),
            ],
        )],
    );
    let text = send(body).await.unwrap().text().await.unwrap();
    assert!(!text.contains("201 Created"), "{text}");
    assert!(text.contains("\"error\""), "{text}");
    assert_eq!(
        app.get_json("Products?$filter=Name eq 'Kettle'&$count=true&$top=0")
            .await["@odata.count"],
        0
    );

    // A Content-ID used twice in one change set, or a malformed body: 400.
    let twice = multipart(
        "batch",
        &[change_set(
            "cs4",
            &[http_part(Some("a"), create), http_part(Some("a"), create)],
        )],
    );
    for body in [twice, "--batch\r\nnonsense".to_owned()] {
        let refused = send(body).await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let error: Value = refused.json().await.unwrap();
        assert!(error["error"]["message"].is_string());
    }
    let count = app.get("Products/$count").send().await.unwrap();
    assert_eq!(count.text().await.unwrap(), "8");
}
