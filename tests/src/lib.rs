//! Helpers for the acceptance tests: the real Autopilot service on a random port with a
//! temporary database, and the reference material in `../shared`.
//!
//! The database is a SQLite file in a temporary directory, or with
//! `ODATA_TEST_BACKEND=postgres` a fresh database on the test PostgreSQL server (see
//! [`postgres_database`]).

#![allow(clippy::expect_used)]

use std::path::PathBuf;

use odata_server::app::Application;
use odata_server::config::Settings;
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

/// A running service and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>/<base>`.
    pub root: String,
    /// HTTP client.
    pub client: Client,
    /// URL of the service's database (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    _dir: tempfile::TempDir,
    _postgres: Option<FreshDatabase>,
}

impl TestApp {
    /// Absolute URL of a path below the service root.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.root, path.trim_start_matches('/'))
    }

    /// GET below the service root.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// GET below the service root and the JSON body (any status).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.get(path)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON body")
    }

    /// POST a JSON body below the service root.
    pub fn post_json(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client.post(self.url(path)).json(body)
    }

    /// POSTs a JSON body below the service root, which must create it (201, else the test
    /// fails with the answer): the created entity.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        let r = self.post_json(path, body).send().await.expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        assert_eq!(status, reqwest::StatusCode::CREATED, "POST {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Creates an Azure AD deployment profile `id` named `name` (Autopilot service).
    pub async fn create_profile(&self, id: &str, name: &str) {
        self.create(
            "deviceManagement/windowsAutopilotDeploymentProfiles",
            &serde_json::json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "id": id,
                "displayName": name,
            }),
        )
        .await;
    }

    /// PATCH a JSON body below the service root.
    pub fn patch_json(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client.patch(self.url(path)).json(body)
    }

    /// Runs SQL on the service's database directly, bypassing the service (test setup and
    /// inspection only): the first column of the first row as text, if any. `$1`, `$2`, …
    /// are `params` (both backends take `$n`).
    pub async fn sql(&self, sql: &str, params: &[&str]) -> Option<String> {
        use sqlx::Row;
        match test_backend() {
            TestBackend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.database_url)
                    .await
                    .expect("the test database");
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for p in params {
                    query = query.bind(*p);
                }
                let row = query.fetch_optional(&pool).await.expect("SQL runs");
                pool.close().await;
                row.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten())
            }
            TestBackend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.database_url)
                    .await
                    .expect("the test database");
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for p in params {
                    query = query.bind(*p);
                }
                let row = query.fetch_optional(&pool).await.expect("SQL runs");
                pool.close().await;
                row.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten())
            }
        }
    }

    /// `GET <collection>/$count` as a number.
    pub async fn count(&self, collection: &str) -> u64 {
        self.get(&format!("{collection}/$count"))
            .send()
            .await
            .expect("count request")
            .text()
            .await
            .expect("count body")
            .parse()
            .expect("count is a number")
    }
}

/// Starts the Autopilot service with base path `beta`.
pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// The database the tests run on, from `ODATA_TEST_BACKEND`: `sqlite` (the default) or
/// `postgres`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A SQLite file per test app.
    Sqlite,
    /// A fresh database per test app on the server of `ODATA_TEST_POSTGRES_URL`.
    Postgres,
}

/// The backend chosen by `ODATA_TEST_BACKEND`.
pub fn test_backend() -> TestBackend {
    match std::env::var("ODATA_TEST_BACKEND").as_deref() {
        Err(_) | Ok("" | "sqlite") => TestBackend::Sqlite,
        Ok("postgres") => TestBackend::Postgres,
        Ok(other) => panic!("ODATA_TEST_BACKEND={other:?}: expected sqlite or postgres"),
    }
}

/// Starts the Autopilot service after adjusting its settings.
pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_service(
        autopilot_model::service::service(),
        autopilot_model::service::migrations(),
        "beta",
        configure,
    )
    .await
}

/// The catalog service (`catalog-model`) at the root of its listener, over a fresh
/// database holding its demo data.
pub async fn spawn_catalog() -> TestApp {
    spawn_service(
        catalog_model::service::service(),
        catalog_model::service::migrations(),
        "",
        |_| {},
    )
    .await
}

/// Serves `service` under `base_path` on a random port over a fresh database (SQLite, or
/// PostgreSQL with `ODATA_TEST_BACKEND=postgres`).
pub async fn spawn_service(
    service: odata_server::service::Service,
    migrations: odata_server::app::Migrations<'static>,
    base_path: &str,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let postgres = match test_backend() {
        TestBackend::Sqlite => None,
        TestBackend::Postgres => Some(
            postgres_database()
                .await
                .expect("ODATA_TEST_BACKEND=postgres needs ODATA_TEST_POSTGRES_URL"),
        ),
    };
    let database_url = match &postgres {
        None => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("service.db").display()
        ),
        Some(database) => database.url().to_owned(),
    };
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url,
        base_path: base_path.into(),
        ..Settings::default()
    };
    configure(&mut settings);
    let base = settings.base_path.clone();
    let database_url = settings.database_url.clone();
    let app = Application::build(service, migrations, settings)
        .await
        .expect("service starts");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        root: format!("http://127.0.0.1:{port}/{base}")
            .trim_end_matches('/')
            .to_owned(),
        client: Client::new(),
        database_url,
        _dir: dir,
        _postgres: postgres,
    }
}

/// HS256 secret, audience and issuer of the bearer tokens [`spawn_with_bearer`] accepts.
pub const BEARER_SECRET: &str = "autopilot-acceptance-secret-32-bytes-or-more";
/// Audience of the test tokens.
pub const BEARER_AUDIENCE: &str = "https://graph.example.test";
/// Issuer of the test tokens.
pub const BEARER_ISSUER: &str = "https://sts.example.test/tenant-a/";

/// Starts the Autopilot service with bearer authentication on: tokens of
/// [`bearer_token`] are accepted.
pub async fn spawn_with_bearer() -> TestApp {
    spawn_with(|s| {
        s.auth =
            odata_server::config::AuthConfig::Bearer(odata_server::config::BearerConfig::hs256(
                BEARER_SECRET,
                BEARER_AUDIENCE,
                BEARER_ISSUER,
            ));
    })
    .await
}

/// A valid delegated token of `tenant` with the scopes `scopes` (space separated), for a
/// service of [`spawn_with_bearer`].
pub fn bearer_token(tenant: &str, scopes: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let claims = serde_json::json!({
        "aud": BEARER_AUDIENCE, "iss": BEARER_ISSUER, "exp": now + 600, "nbf": now - 5,
        "tid": tenant, "scp": scopes
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(BEARER_SECRET.as_bytes()),
    )
    .expect("token encodes")
}

/// `$metadata` XML read into a tree of elements (shared with the framework's tests).
#[path = "../../odata-server/tests/support/csdl_xml.rs"]
pub mod csdl_xml;

/// Checks `$metadata` annotations against the OASIS vocabularies (shared with the
/// framework's tests).
#[path = "../../odata-server/tests/support/vocabulary.rs"]
pub mod vocabulary;

/// The one helper both test crates use to make a database on the test PostgreSQL server.
#[path = "../../odata-server/tests/support/postgres.rs"]
mod postgres_support;

pub use postgres_support::FreshDatabase;

/// A fresh, empty PostgreSQL database on the test server (`ODATA_TEST_POSTGRES_URL`, which
/// `tests/run-all.sh` starts), dropped with the value; `None` when no server is configured.
/// Under `ODATA_REQUIRE_POSTGRES` or in CI a missing server fails the test instead of
/// skipping it.
pub async fn postgres_database() -> Option<FreshDatabase> {
    postgres_support::fresh_database().await
}

/// `s` percent-encoded for a query string (unreserved characters kept, spaces as `+`).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `../shared` beside the project root.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// A seed example body from `shared/graph/seed-examples/`.
pub fn seed(name: &str) -> Value {
    let path = shared_dir().join("graph/seed-examples").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("seed is JSON")
}

/// Valid members used in place of the documents' placeholder `"String"`, per property.
pub const ENUM_STAND_INS: [(&str, &str); 6] = [
    ("enrollmentType", "azureADJoinedWithAutopilotProfile"),
    ("enrollmentState", "enrolled"),
    ("deploymentState", "success"),
    (
        "deploymentProfileAssignmentStatus",
        "assignedUnkownSyncState",
    ),
    (
        "deploymentProfileAssignmentDetailedStatus",
        "hardwareRequirementsNotMet",
    ),
    ("accountSetupStatus", "success"),
];

/// The body with every `"String"` placeholder of an enum property replaced by a member.
pub fn with_valid_enums(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        for (property, member) in ENUM_STAND_INS {
            if let Some(v) = object.get_mut(property)
                && v == "String"
            {
                *v = Value::String(member.to_owned());
            }
        }
    }
    body
}

/// Fails the test unless `xml` validates against the OASIS `edmx.xsd` (with `edm.xsd`).
pub fn assert_valid_csdl(xml: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("metadata.xml");
    std::fs::write(&file, xml).expect("metadata file written");
    let xsd = shared_dir().join("odata-spec/csdl/edmx.xsd");
    let output = std::process::Command::new("xmllint")
        .arg("--nonet")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect(
            "xmllint is not installed: install libxml2-utils (the project's test script \
             tests/run-all.sh does this)",
        );
    assert!(
        output.status.success(),
        "xmllint: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
