//! Asynchronous requests (`Prefer: respond-async`): 202 with a status monitor, the final
//! response as `application/http` at the monitor, cancelling, unknown monitors, tenant
//! isolation, 4.0 and 4.01, several jobs at once, the per-tenant job limit, and a dataset
//! restore dropping the tenant's jobs — on a small model of its own (and the secured shop
//! for tenants).
//!
//! A job that is still running is made observable without timing: the test holds the
//! database's write lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL `LOCK TABLE … EXCLUSIVE`),
//! so that a background insert waits for it until the test lets go.

use std::time::Duration;

use odata_core::edm::{ActionDef, EntityTypeDef, ModelBuilder, PropertyDef};
use odata_server::action::{ActionEffect, ActionHandler};
use odata_server::app::Migrations;
use odata_server::dataset::Dataset;
use odata_server::function::FunctionHandler;
use odata_server::service::{CollectionDef, Service};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor};

use crate::helpers::{TestApp, on_postgres, spawn_service};
use crate::secure_helpers::{READ_WRITE, claims, hs256, spawn_secured, writer};

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/asynchronous/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/asynchronous/postgres");

const ASYNC: (&str, &str) = ("prefer", "respond-async");

fn service() -> Service {
    let model = ModelBuilder::new("example.jobs")
        .entity_type(
            EntityTypeDef::new("note")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.Int32").not_null())
                .property(PropertyDef::new("text", "Edm.String")),
        )
        .action(ActionDef::new("reset"))
        .action_import("reset", "reset")
        .function(ActionDef::new("total").returns("Edm.Int32"))
        .function_import("total", "total")
        .entity_set("notes", "example.jobs.note")
        .build()
        .unwrap();
    Service::builder(model)
        .collection(CollectionDef::new("notes", "notes"))
        .action_import(
            "reset",
            ActionHandler::new(|_| {
                let seed = Dataset::new().collection("notes", [json!({"id": 1, "text": "seed"})]);
                Ok(ActionEffect::Restore(Box::new(seed)))
            }),
        )
        .function_import(
            "total",
            FunctionHandler::over("notes", |call| {
                Ok(json!(call.members.unwrap_or_default().len()))
            }),
        )
        .build()
        .unwrap()
}

/// The app with the notes 1 and 2, and its database URL.
async fn app_with(
    configure: impl FnOnce(&mut odata_server::config::Settings),
) -> (TestApp, String) {
    let migrations = Migrations {
        sqlite: &SQLITE,
        postgres: Some(&POSTGRES),
    };
    let mut url = String::new();
    let app = spawn_service(service(), migrations, |settings| {
        configure(settings);
        url.clone_from(&settings.database_url);
    })
    .await;
    for id in [1, 2] {
        let r = app
            .post_json("notes", &json!({"id": id, "text": format!("note {id}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    (app, url)
}

async fn app() -> (TestApp, String) {
    app_with(|_| {}).await
}

/// Sends `method path` with `Prefer: respond-async` (and `body` as JSON) and checks the
/// 202: empty body, `Location` an absolute monitor URL of the service, `Retry-After` in
/// seconds, `Preference-Applied: respond-async`. Returns the monitor URL.
async fn start(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> String {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header(ASYNC.0, ASYNC.1);
    if let Some(body) = body {
        request = request.json(&body);
    }
    accepted(app, request.send().await.unwrap()).await
}

/// Checks a 202 of an accepted asynchronous request; returns the monitor URL.
async fn accepted(app: &TestApp, r: Response) -> String {
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let location = header("location");
    assert!(
        location.starts_with(&format!("{}/$async/", app.root)),
        "{location}"
    );
    assert!(location.len() > app.root.len() + "/$async/".len() + 20);
    header("retry-after").parse::<u32>().unwrap();
    assert_eq!(header("preference-applied"), "respond-async");
    assert_eq!(header("odata-version"), "4.01");
    assert_eq!(r.text().await.unwrap(), "");
    location
}

/// GETs the monitor until it no longer answers 202 (bounded), and returns that response.
async fn poll(app: &TestApp, monitor: &str) -> Response {
    for _ in 0..1000 {
        let r = app.client.get(monitor).send().await.unwrap();
        if r.status() != StatusCode::ACCEPTED {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the job at {monitor} did not finish");
}

/// A final response read from a monitor.
#[derive(Debug)]
struct Final {
    /// `AsyncResult` of the monitor's response, if any.
    async_result: Option<String>,
    status: u16,
    status_line: String,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: String,
}

impl Final {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// Polls the monitor until done and checks the 200 `application/http` envelope.
async fn outcome(app: &TestApp, monitor: &str) -> Final {
    let r = poll(app, monitor).await;
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(header("content-type").as_deref(), Some("application/http"));
    assert_eq!(
        header("content-transfer-encoding").as_deref(),
        Some("binary")
    );
    let async_result = header("asyncresult");
    let text = r.text().await.unwrap();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a blank line after the headers");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap().to_owned();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let result = Final {
        async_result,
        status,
        status_line,
        headers,
        body: body.to_owned(),
    };
    if result.status != 204 {
        assert_eq!(
            result
                .header("content-length")
                .map(|l| l.parse::<usize>().unwrap()),
            Some(result.body.len()),
            "{result:?}"
        );
    }
    result
}

/// Holds the database's write lock until released: background writes wait for it.
enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    async fn take(database_url: &str) -> Self {
        if on_postgres() {
            let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
            c.execute("BEGIN; LOCK TABLE notes IN EXCLUSIVE MODE")
                .await
                .unwrap();
            Self::Postgres(c)
        } else {
            let mut c = sqlx::SqliteConnection::connect(database_url).await.unwrap();
            c.execute("BEGIN IMMEDIATE").await.unwrap();
            Self::Sqlite(c)
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut c) => {
                c.execute("ROLLBACK").await.unwrap();
                c.close().await.unwrap();
            }
            Self::Postgres(mut c) => {
                c.execute("ROLLBACK").await.unwrap();
                c.close().await.unwrap();
            }
        }
    }
}

#[tokio::test]
async fn a_read_is_accepted_and_its_response_is_read_at_the_monitor() {
    let (app, _) = app().await;
    let synchronous: Value = app
        .get("notes?$orderby=id")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let monitor = start(&app, Method::GET, "notes?$orderby=id", None).await;
    let done = outcome(&app, &monitor).await;
    assert_eq!(done.async_result.as_deref(), Some("200"));
    assert_eq!(done.status, 200);
    assert_eq!(done.status_line, "HTTP/1.1 200 OK");
    assert!(
        done.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(done.header("odata-version"), Some("4.01"));
    assert_eq!(done.json(), synchronous);
    assert_eq!(done.json()["value"].as_array().unwrap().len(), 2);
    // The monitor of a finished job stays readable.
    let again = outcome(&app, &monitor).await;
    assert_eq!(again.body, done.body);
    // HEAD on the monitor answers as GET does, without the body.
    let r = app.client.head(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["asyncresult"], "200");
}

#[tokio::test]
async fn without_the_preference_nothing_is_asynchronous() {
    let (app, _) = app().await;
    let r = app.get("notes").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("preference-applied").is_none());
    let r = app
        .post_json("notes", &json!({"id": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Other preferences do not make a request asynchronous either.
    let r = app
        .get("notes")
        .header("prefer", "wait=5, odata.respond-async, respond-async=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // `$metadata` and the service document are answered at once, the preference ignored.
    for path in ["$metadata", ""] {
        let r = app.get(path).header(ASYNC.0, ASYNC.1).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers().get("preference-applied").is_none(), "{path}");
    }
    // HEAD is answered at once.
    let r = app
        .client
        .head(app.url("notes"))
        .header(ASYNC.0, ASYNC.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn writes_run_in_the_background_as_they_would_at_once() {
    let (app, _) = app().await;
    // POST: 201 with the created entity and its Location.
    let monitor = start(
        &app,
        Method::POST,
        "notes",
        Some(json!({"id": 3, "text": "three"})),
    )
    .await;
    let created = outcome(&app, &monitor).await;
    assert_eq!(created.async_result.as_deref(), Some("201"));
    assert_eq!(created.status_line, "HTTP/1.1 201 Created");
    assert_eq!(
        created.header("location"),
        Some(app.url("notes(3)").as_str())
    );
    assert!(created.header("etag").is_some());
    assert_eq!(created.json()["text"], "three");
    assert_eq!(app.get_json("notes(3)").await["text"], "three");
    // PATCH: 204, or 200 with the entity when asked for with `return=representation`.
    let r = app
        .patch_json("notes(3)", &json!({"text": "patched"}))
        .header("prefer", "respond-async, return=representation")
        .send()
        .await
        .unwrap();
    let patched = outcome(&app, &accepted(&app, r).await).await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.async_result.as_deref(), Some("200"));
    assert_eq!(
        patched.header("preference-applied"),
        Some("return=representation")
    );
    assert_eq!(patched.json()["text"], "patched");
    // Without preference: as the same PATCH would answer synchronously.
    let r = app
        .patch_json("notes(1)", &json!({"text": "one"}))
        .send()
        .await
        .unwrap();
    let (status, body) = (r.status().as_u16(), r.text().await.unwrap());
    let monitor = start(
        &app,
        Method::PATCH,
        "notes(3)",
        Some(json!({"text": "one"})),
    )
    .await;
    let patched = outcome(&app, &monitor).await;
    assert_eq!(patched.status, status);
    assert_eq!(patched.async_result, Some(status.to_string()));
    // The same representation but for the key and the version.
    let strip = |mut entity: Value| {
        let members = entity.as_object_mut().unwrap();
        members.remove("@odata.etag");
        members.remove("id");
        entity
    };
    assert_eq!(
        strip(patched.json()),
        strip(serde_json::from_str(&body).unwrap())
    );
    let monitor = start(
        &app,
        Method::PATCH,
        "notes(3)",
        Some(json!({"text": "again"})),
    )
    .await;
    outcome(&app, &monitor).await;
    assert_eq!(app.get_json("notes(3)").await["text"], "again");
    // PUT.
    let r = app
        .client
        .put(app.url("notes(1)"))
        .json(&json!({"id": 1, "text": "put"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let monitor = start(
        &app,
        Method::PUT,
        "notes(3)",
        Some(json!({"id": 3, "text": "put"})),
    )
    .await;
    assert_eq!(outcome(&app, &monitor).await.status, status);
    assert_eq!(app.get_json("notes(3)").await["text"], "put");
    // DELETE.
    let monitor = start(&app, Method::DELETE, "notes(3)", None).await;
    assert_eq!(outcome(&app, &monitor).await.status, 204);
    let r = app.get("notes(3)").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn actions_functions_and_batches_run_asynchronously() {
    let (app, _) = app().await;
    // A function.
    let monitor = start(&app, Method::GET, "total()", None).await;
    let total = outcome(&app, &monitor).await;
    assert_eq!(total.status, 200);
    assert_eq!(total.json()["value"], 2);
    // A batch: its own response, whole, is the final response.
    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": "notes", "body": {"id": 5, "text": "five"}},
        {"id": "2", "method": "GET", "url": "notes/$count", "dependsOn": ["1"]}
    ]});
    let monitor = start(&app, Method::POST, "$batch", Some(batch)).await;
    let answered = outcome(&app, &monitor).await;
    assert_eq!(answered.status, 200);
    let responses = answered.json()["responses"].as_array().unwrap().clone();
    assert_eq!(responses[0]["status"], 201);
    assert_eq!(responses[1]["status"], 200);
    assert_eq!(responses[1]["body"].to_string().trim_matches('"'), "3");
    // An action (the restore).
    let monitor = start(&app, Method::POST, "reset", None).await;
    let reset = outcome(&app, &monitor).await;
    assert_eq!(reset.status, 204);
    assert_eq!(reset.async_result.as_deref(), Some("204"));
    assert_eq!(app.get_json("notes/$count").await, json!(1));
}

#[tokio::test]
async fn failures_after_the_202_are_the_final_response_earlier_ones_come_at_once() {
    let (app, _) = app().await;
    // The body is checked by the job: its 400 is the final response.
    let monitor = start(&app, Method::POST, "notes", Some(json!({"id": "one"}))).await;
    let failed = outcome(&app, &monitor).await;
    assert_eq!(failed.async_result.as_deref(), Some("400"));
    assert_eq!(failed.status_line, "HTTP/1.1 400 Bad Request");
    assert!(failed.json()["error"]["message"].is_string());
    let monitor = start(&app, Method::GET, "notes(99)", None).await;
    let missing = outcome(&app, &monitor).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.async_result.as_deref(), Some("404"));
    // So is a method the resource does not allow.
    let monitor = start(&app, Method::PATCH, "notes", Some(json!({}))).await;
    assert_eq!(outcome(&app, &monitor).await.status, 405);
    // A path that names no resource and an invalid query are refused at once.
    for (method, path, status) in [
        (Method::GET, "nothing", StatusCode::NOT_FOUND),
        (Method::GET, "notes?$top=x", StatusCode::BAD_REQUEST),
    ] {
        let r = app
            .client
            .request(method, app.url(path))
            .header(ASYNC.0, ASYNC.1)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert!(r.headers().get("preference-applied").is_none());
    }
}

#[tokio::test]
async fn a_running_job_answers_202_at_its_monitor_until_done() {
    let (app, url) = app().await;
    let lock = WriteLock::take(&url).await;
    let monitor = start(&app, Method::POST, "notes", Some(json!({"id": 10}))).await;
    for _ in 0..3 {
        let r = app.client.get(&monitor).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_eq!(r.headers()["location"], monitor.as_str());
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap();
        assert_eq!(r.text().await.unwrap(), "");
    }
    lock.release().await;
    let created = outcome(&app, &monitor).await;
    assert_eq!(created.status, 201);
    assert_eq!(app.get_json("notes(10)").await["id"], 10);
}

#[tokio::test]
async fn several_jobs_run_at_once() {
    let (app, url) = app().await;
    let lock = WriteLock::take(&url).await;
    let mut writes = Vec::new();
    for id in 20..24 {
        writes.push(start(&app, Method::POST, "notes", Some(json!({"id": id}))).await);
    }
    // Reads do not wait for the writes.
    let read = start(&app, Method::GET, "notes/$count", None).await;
    assert_eq!(outcome(&app, &read).await.body, "2");
    for monitor in &writes {
        let r = app.client.get(monitor).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    lock.release().await;
    for monitor in &writes {
        assert_eq!(outcome(&app, monitor).await.status, 201);
    }
    assert_eq!(app.get_json("notes/$count").await, json!(6));
}

#[tokio::test]
async fn deleting_the_monitor_cancels_the_job() {
    let (app, url) = app().await;
    let lock = WriteLock::take(&url).await;
    let monitor = start(&app, Method::POST, "notes", Some(json!({"id": 30}))).await;
    let r = app.client.delete(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.client.get(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    lock.release().await;
    // The cancelled insert never happened.
    let r = app.get("notes(30)").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get_json("notes/$count").await, json!(2));
    // A finished job's monitor is deleted too; then it is gone.
    let monitor = start(&app, Method::GET, "notes", None).await;
    outcome(&app, &monitor).await;
    let r = app.client.delete(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.client.delete(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unknown_monitor_is_404_and_only_get_and_delete_are_allowed() {
    let (app, _) = app().await;
    for path in [
        "$async/0123456789abcdef0123456789abcdef",
        "%24async/nope",
        "$async/",
    ] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "ResourceNotFound");
        let r = app.client.delete(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let monitor = start(&app, Method::GET, "notes", None).await;
    let r = app
        .client
        .post(&monitor)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, DELETE");
    // Asking the monitor asynchronously changes nothing.
    let r = poll(&app, &monitor).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .get(&monitor)
        .header(ASYNC.0, ASYNC.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("preference-applied").is_none());
}

#[tokio::test]
async fn a_4_0_request_gets_no_async_result_and_stays_4_0() {
    let (app, _) = app().await;
    let r = app
        .get("notes")
        .header(ASYNC.0, ASYNC.1)
        .header("odata-maxversion", "4.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(r.headers()["odata-version"], "4.0");
    assert_eq!(r.headers()["preference-applied"], "respond-async");
    let monitor = r.headers()["location"].to_str().unwrap().to_owned();
    let done = outcome(&app, &monitor).await;
    assert_eq!(done.async_result, None);
    assert_eq!(done.status, 200);
    assert_eq!(done.header("odata-version"), Some("4.0"));
    // The same under 4.01 has it.
    let monitor = start(&app, Method::GET, "notes", None).await;
    let done = outcome(&app, &monitor).await;
    assert_eq!(done.async_result.as_deref(), Some("200"));
    assert_eq!(done.header("odata-version"), Some("4.01"));
}

#[tokio::test]
async fn a_restore_drops_the_tenants_jobs() {
    let (app, _) = app().await;
    let finished = start(&app, Method::GET, "notes", None).await;
    outcome(&app, &finished).await;
    // A synchronous restore: the earlier monitor is gone.
    let r = app.client.post(app.url("reset")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.client.get(&finished).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // An asynchronous restore drops the others but keeps its own job.
    let finished = start(&app, Method::GET, "notes", None).await;
    outcome(&app, &finished).await;
    let own = start(&app, Method::POST, "reset", None).await;
    assert_eq!(outcome(&app, &own).await.status, 204);
    let r = app.client.get(&finished).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A restore inside an asynchronous batch keeps the batch's job too.
    let batch = json!({"requests": [{"id": "1", "method": "POST", "url": "reset"}]});
    let own = start(&app, Method::POST, "$batch", Some(batch)).await;
    let answered = outcome(&app, &own).await;
    assert_eq!(answered.json()["responses"][0]["status"], 204);
}

#[tokio::test]
async fn beyond_the_job_limit_requests_are_answered_at_once() {
    let (app, _) = app_with(|s| s.max_async_jobs_per_tenant = 2).await;
    let first = start(&app, Method::GET, "notes", None).await;
    let second = start(&app, Method::GET, "notes", None).await;
    outcome(&app, &first).await;
    // Finished jobs count until collected and purged: the third is synchronous.
    let r = app
        .get("notes")
        .header(ASYNC.0, ASYNC.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("preference-applied").is_none());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
    // Deleting a monitor frees its place.
    let r = app.client.delete(&second).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    start(&app, Method::GET, "notes", None).await;
}

#[tokio::test]
async fn a_monitor_belongs_to_its_tenant_and_caller() {
    let app = spawn_secured(crate::secure_helpers::hs256_config()).await;
    let (a, b) = (writer("tenant-a"), writer("tenant-b"));
    let mut other = claims("tenant-a", READ_WRITE);
    other["sub"] = json!("someone-else");
    let colleague = hs256(&other);
    let r = app
        .get("products", &a)
        .header(ASYNC.0, ASYNC.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let monitor = r.headers()["location"].to_str().unwrap().to_owned();
    for token in [&b, &colleague] {
        let r = app
            .client
            .get(&monitor)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = app
            .client
            .delete(&monitor)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let r = app.client.get(&monitor).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The owner reads the result, computed with the owner's identity.
    let mut done = None;
    for _ in 0..1000 {
        let r = app
            .client
            .get(&monitor)
            .bearer_auth(&a)
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::ACCEPTED {
            done = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = done.expect("the job finishes");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["asyncresult"], "200");
    let text = r.text().await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    // Without the write scope the job's request is refused when it is made, not later.
    let reader = hs256(&claims("tenant-a", crate::secure_helpers::READ));
    let r = app
        .post("products", &reader, &crate::helpers::product("p"))
        .header(ASYNC.0, ASYNC.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn finished_jobs_are_purged_after_the_retention() {
    let (app, _) = app_with(|s| s.async_job_retention = Duration::ZERO).await;
    let monitor = start(&app, Method::GET, "notes", None).await;
    // Once done, the result is kept for no time at all: the monitor is gone.
    let r = poll(&app, &monitor).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
