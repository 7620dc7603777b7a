//! The authentication and authorization matrix over HTTP on the Autopilot service with
//! HS256 tokens: (token kind) × (operation) on autopilotEvents and
//! windowsAutopilotDeviceIdentities, with the expected status of every cell in a table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_with};
use autopilot_model::service::{
    MANAGED_DEVICES_READ, MANAGED_DEVICES_READ_WRITE, SERVICE_CONFIG_READ,
    SERVICE_CONFIG_READ_WRITE,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use odata_server::config::{AuthConfig, BearerConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SECRET: &str = "autopilot-acceptance-secret-32-bytes-or-more";
const AUDIENCE: &str = "https://graph.example.test";
const ISSUER: &str = "https://sts.example.test/tenant-a/";
const TENANT: &str = "11111111-1111-1111-1111-111111111111";
const OTHER_TENANT: &str = "22222222-2222-2222-2222-222222222222";

const EVENTS: &str = "deviceManagement/autopilotEvents";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    None,
    BadSignature,
    Expired,
    WrongAudience,
    WrongIssuer,
    AlgNone,
    ReadScope,
    WriteScope,
    AppRole,
    OtherSetsWriteScope,
    OtherTenant,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    List,
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Count,
    Filter,
}

const OPS: [Op; 8] = [
    Op::List,
    Op::Get,
    Op::Post,
    Op::Put,
    Op::Patch,
    Op::Delete,
    Op::Count,
    Op::Filter,
];

/// Rows: token kind; columns in the order of [`OPS`]:
/// GET collection, GET by key, POST, PUT, PATCH, DELETE, $count, $filter.
const MATRIX: [(Token, [u16; 8]); 11] = [
    (Token::None, [401; 8]),
    (Token::BadSignature, [401; 8]),
    (Token::Expired, [401; 8]),
    (Token::WrongAudience, [401; 8]),
    (Token::WrongIssuer, [401; 8]),
    (Token::AlgNone, [401; 8]),
    (Token::ReadScope, [200, 200, 403, 403, 403, 403, 200, 200]),
    (Token::WriteScope, [200, 200, 201, 200, 200, 204, 200, 200]),
    (Token::AppRole, [200, 200, 201, 200, 200, 204, 200, 200]),
    (Token::OtherSetsWriteScope, [403; 8]),
    (Token::OtherTenant, [200, 404, 201, 404, 404, 404, 200, 200]),
];

struct Set {
    path: &'static str,
    read: &'static str,
    write: &'static str,
    other_write: &'static str,
    serial_property: &'static str,
}

const SETS: [Set; 2] = [
    Set {
        path: EVENTS,
        read: MANAGED_DEVICES_READ,
        write: MANAGED_DEVICES_READ_WRITE,
        other_write: SERVICE_CONFIG_READ_WRITE,
        serial_property: "deviceSerialNumber",
    },
    Set {
        path: IDENTITIES,
        read: SERVICE_CONFIG_READ,
        write: SERVICE_CONFIG_READ_WRITE,
        other_write: MANAGED_DEVICES_READ_WRITE,
        serial_property: "serialNumber",
    },
];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(tenant: &str) -> Value {
    json!({"aud": AUDIENCE, "iss": ISSUER, "exp": now() + 600, "nbf": now() - 5, "tid": tenant})
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The bearer token of a row, or `None` for no Authorization header.
fn token(kind: Token, set: &Set) -> Option<String> {
    let with_scope = |scope: &str| {
        let mut c = claims(TENANT);
        c["scp"] = json!(scope);
        c
    };
    let valid = hs256(&with_scope(set.write), SECRET);
    Some(match kind {
        Token::None => return None,
        Token::BadSignature => hs256(
            &with_scope(set.write),
            "not-the-secret-but-just-as-long-as-it",
        ),
        Token::Expired => {
            let mut c = with_scope(set.write);
            c["exp"] = json!(now() - 3600);
            hs256(&c, SECRET)
        }
        Token::WrongAudience => {
            let mut c = with_scope(set.write);
            c["aud"] = json!("https://other.example.test");
            hs256(&c, SECRET)
        }
        Token::WrongIssuer => {
            let mut c = with_scope(set.write);
            c["iss"] = json!("https://sts.evil.test/");
            hs256(&c, SECRET)
        }
        Token::AlgNone => {
            let payload = valid.split('.').nth(1).unwrap().to_owned();
            format!("{}.{payload}.", b64url(br#"{"alg":"none","typ":"JWT"}"#))
        }
        Token::ReadScope => hs256(&with_scope(set.read), SECRET),
        Token::WriteScope => valid,
        Token::AppRole => {
            let mut c = claims(TENANT);
            c["roles"] = json!([set.write]);
            hs256(&c, SECRET)
        }
        Token::OtherSetsWriteScope => hs256(&with_scope(set.other_write), SECRET),
        Token::OtherTenant => {
            let mut c = claims(OTHER_TENANT);
            c["scp"] = json!(set.write);
            hs256(&c, SECRET)
        }
    })
}

fn body(set: &Set, serial: &str) -> Value {
    json!({ set.serial_property: serial })
}

/// Creates an entity in [`TENANT`]; returns its id.
async fn seed(app: &TestApp, set: &Set, serial: &str) -> String {
    let admin = hs256(
        &{
            let mut c = claims(TENANT);
            c["scp"] = json!(format!(
                "{MANAGED_DEVICES_READ_WRITE} {SERVICE_CONFIG_READ_WRITE}"
            ));
            c
        },
        SECRET,
    );
    let r = app
        .post_json(set.path, &body(set, serial))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

async fn secured_app() -> TestApp {
    spawn_with(|s| {
        s.auth = AuthConfig::Bearer(BearerConfig::hs256(SECRET, AUDIENCE, ISSUER));
    })
    .await
}

#[tokio::test]
async fn authentication_and_authorization_matrix() {
    let app = secured_app().await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for set in &SETS {
        for (row, (kind, expected)) in MATRIX.iter().enumerate() {
            let serial = format!("SN-{row}");
            let id = seed(&app, set, &serial).await;
            let token = token(*kind, set);
            for (op, expect) in OPS.iter().zip(expected) {
                let (method, path, payload) = match op {
                    Op::List => (Method::GET, set.path.to_owned(), None),
                    Op::Get => (Method::GET, format!("{}/{id}", set.path), None),
                    Op::Post => (Method::POST, set.path.to_owned(), Some(body(set, "new"))),
                    Op::Put => (
                        Method::PUT,
                        format!("{}/{id}", set.path),
                        Some(body(set, "replaced")),
                    ),
                    Op::Patch => (
                        Method::PATCH,
                        format!("{}/{id}", set.path),
                        Some(body(set, "patched")),
                    ),
                    Op::Delete => (Method::DELETE, format!("{}/{id}", set.path), None),
                    Op::Count => (Method::GET, format!("{}/$count", set.path), None),
                    Op::Filter => (
                        Method::GET,
                        format!("{}?$filter={} eq '{serial}'", set.path, set.serial_property),
                        None,
                    ),
                };
                let mut request = app.client.request(method, app.url(&path));
                if let Some(t) = &token {
                    request = request.bearer_auth(t);
                }
                if let Some(p) = &payload {
                    request = request.json(p);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                cells += 1;
                let ok = status == *expect;
                // Another tenant's rows never show up in its listings. (A 404 may repeat
                // the key the caller sent itself.)
                let leaked = *kind == Token::OtherTenant
                    && matches!(op, Op::List | Op::Filter)
                    && (text.contains(&id) || text.contains(&serial));
                if !ok || leaked {
                    failures.push(format!(
                        "{} × {kind:?} × {op:?}: got {status}, expected {expect:?}{}",
                        set.path,
                        if leaked {
                            " (leaked the other tenant's row)"
                        } else {
                            ""
                        }
                    ));
                }
                if [401, 403].contains(&status) {
                    let error: Value = serde_json::from_str(&text).unwrap();
                    assert!(error["error"]["message"].is_string(), "{text}");
                }
            }
        }
    }
    assert_eq!(cells, 2 * 11 * 8);
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn denials_name_what_was_wrong_and_the_missing_permission() {
    let app = secured_app().await;
    let set = &SETS[0];
    let r = app.get(EVENTS).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "InvalidAuthenticationToken");

    let expired = token(Token::Expired, set).unwrap();
    let r = app.get(EVENTS).bearer_auth(&expired).send().await.unwrap();
    let e: Value = r.json().await.unwrap();
    assert!(e["error"]["message"].as_str().unwrap().contains("expired"));
    assert!(!e.to_string().contains(&expired));

    let reader = token(Token::ReadScope, set).unwrap();
    let r = app
        .post_json(EVENTS, &body(set, "x"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "Forbidden");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains(MANAGED_DEVICES_READ_WRITE), "{message}");

    // $metadata and the service document: any authenticated caller, no permission needed.
    let nobody = hs256(&claims(TENANT), SECRET);
    for path in ["", "$metadata"] {
        let r = app.get(path).bearer_auth(&nobody).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(app.get(path).send().await.unwrap().status(), 401, "{path}");
    }
    // Deployment profiles follow the service-configuration permissions.
    let r = app
        .get("deviceManagement/windowsAutopilotDeploymentProfiles")
        .bearer_auth(hs256(
            &{
                let mut c = claims(TENANT);
                c["scp"] = json!(SERVICE_CONFIG_READ);
                c
            },
            SECRET,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .get("deviceManagement/windowsAutopilotDeploymentProfiles")
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
