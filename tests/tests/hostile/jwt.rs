//! Ambiguous and over-reaching bearer JWTs. The attacker holds a correctly signed token (or
//! an issuer that mints loosely shaped ones) and tries to make the service read it differently
//! from other software: duplicate member names in the claims or the JOSE header (serde would
//! silently keep one of them, e.g. the second `tid`), an `iss` that is an array holding the
//! accepted issuer among others, a `crit` header naming extensions the service does not
//! understand, and scopes separated by non-ASCII or tab whitespace to smuggle in a permission.
//! The service answers 401 with an OData error body for every malformed token, and splits
//! `scp` on U+0020 only, so a smuggled scope is a different, unknown scope (403).

use acceptance_tests::{TestApp, spawn_with};
use autopilot_model::service::MANAGED_DEVICES_READ;
use jsonwebtoken::{Algorithm, EncodingKey};
use odata_server::config::{AuthConfig, BearerConfig};
use reqwest::StatusCode;
use serde_json::Value;

const SECRET: &str = "autopilot-acceptance-secret-32-bytes-or-more";
const AUDIENCE: &str = "https://graph.example.test";
const ISSUER: &str = "https://sts.example.test/tenant-a/";
const TENANT: &str = "11111111-1111-1111-1111-111111111111";
const OTHER_TENANT: &str = "22222222-2222-2222-2222-222222222222";
const EVENTS: &str = "deviceManagement/autopilotEvents";
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

async fn app() -> TestApp {
    spawn_with(|s| s.auth = AuthConfig::Bearer(BearerConfig::hs256(SECRET, AUDIENCE, ISSUER))).await
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A correctly HS256-signed token over the verbatim header and claims texts, so the texts
/// can hold what a JSON serializer would never write (duplicate members).
fn signed(header: &str, claims: &str) -> String {
    let message = format!(
        "{}.{}",
        b64url(header.as_bytes()),
        b64url(claims.as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(SECRET.as_bytes()),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{message}.{signature}")
}

/// Claims text: valid audience and lifetime, then `members` verbatim.
fn claims(members: &str) -> String {
    format!(
        r#"{{"aud":"{AUDIENCE}","exp":{},"nbf":{},{members}}}"#,
        now() + 600,
        now() - 5
    )
}

/// Issuer, tenant and read scope members of a token the service accepts.
fn standard() -> String {
    format!(r#""iss":"{ISSUER}","tid":"{TENANT}","scp":"{MANAGED_DEVICES_READ}""#)
}

async fn list(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let response = app.get(EVENTS).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn assert_status(app: &TestApp, token: &str, expected: StatusCode, what: &str) {
    let (status, body) = list(app, token).await;
    assert_eq!(status, expected, "{what}: {body}");
    if !status.is_success() {
        assert!(body["error"]["code"].is_string(), "{what}: {body}");
    }
}

#[tokio::test]
async fn duplicate_claim_members_are_rejected() {
    let app = app().await;
    let s = standard();
    assert_status(
        &app,
        &signed(HEADER, &claims(&s)),
        StatusCode::OK,
        "control",
    )
    .await;
    let cases = [
        (format!(r#""tid":"{OTHER_TENANT}",{s}"#), "two tid members"),
        (
            format!(r#"{s},"t\u0069d":"{OTHER_TENANT}""#),
            "two tid members, one spelled with an escape",
        ),
        (format!(r#""scp":"Other",{s}"#), "two scp members"),
        (format!(r#"{s},"ext":{{"a":1,"a":2}}"#), "nested object"),
        (
            format!(r#"{s},"ext":[{{"k":true}},{{"k":true,"k":false}}]"#),
            "object inside an array",
        ),
    ];
    for (members, what) in cases {
        let token = signed(HEADER, &claims(&members));
        assert_status(&app, &token, StatusCode::UNAUTHORIZED, what).await;
    }
}

#[tokio::test]
async fn duplicate_header_members_and_malformed_segments_are_rejected() {
    let app = app().await;
    let c = claims(&standard());
    let cases = [
        (
            signed(r#"{"alg":"HS256","typ":"JWT","x":1,"x":2}"#, &c),
            "two extension members",
        ),
        (
            signed(r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#, &c),
            "two typ members",
        ),
        (signed(HEADER, "[1,2]"), "claims are an array"),
        (signed(HEADER, &format!("{c} {{}}")), "trailing JSON"),
        (signed(HEADER, "{\"aud\":"), "truncated claims"),
        (
            format!("{}.%%%.sig", b64url(HEADER.as_bytes())),
            "claims not base64url",
        ),
    ];
    for (token, what) in cases {
        assert_status(&app, &token, StatusCode::UNAUTHORIZED, what).await;
    }
}

#[tokio::test]
async fn issuer_must_be_a_string() {
    let app = app().await;
    let rest = format!(r#""tid":"{TENANT}","scp":"{MANAGED_DEVICES_READ}""#);
    // The audience keeps both of its forms: one string or an array of strings.
    let array_aud = format!(
        r#"{{"aud":["{AUDIENCE}","https://other.test"],"exp":{},"iss":"{ISSUER}",{rest}}}"#,
        now() + 600
    );
    assert_status(
        &app,
        &signed(HEADER, &array_aud),
        StatusCode::OK,
        "aud array",
    )
    .await;
    let string_aud = claims(&format!(r#""iss":"{ISSUER}",{rest}"#));
    assert_status(
        &app,
        &signed(HEADER, &string_aud),
        StatusCode::OK,
        "aud string",
    )
    .await;
    let cases = [
        (format!(r#""iss":["{ISSUER}"]"#), "array of the issuer"),
        (
            format!(r#""iss":["https://evil.test/","{ISSUER}"]"#),
            "array with the issuer",
        ),
        (r#""iss":42"#.to_owned(), "number"),
        (format!(r#""iss":{{"value":"{ISSUER}"}}"#), "object"),
    ];
    for (iss, what) in cases {
        let token = signed(HEADER, &claims(&format!("{iss},{rest}")));
        assert_status(&app, &token, StatusCode::UNAUTHORIZED, what).await;
    }
}

#[tokio::test]
async fn critical_header_extensions_are_rejected() {
    let app = app().await;
    let c = claims(&standard());
    let cases = [
        (
            r#"{"alg":"HS256","typ":"JWT","crit":["urn:example:ext"],"urn:example:ext":1}"#,
            "unknown extension",
        ),
        (
            r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
            "registered name",
        ),
        (r#"{"alg":"HS256","crit":[]}"#, "empty crit"),
        (r#"{"alg":"HS256","crit":"b64"}"#, "crit a string"),
        (r#"{"alg":"HS256","crit":[1]}"#, "crit of a number"),
    ];
    for (header, what) in cases {
        let token = signed(header, &c);
        assert_status(&app, &token, StatusCode::UNAUTHORIZED, what).await;
    }
}

#[tokio::test]
async fn scopes_split_on_ascii_space_only() {
    let app = app().await;
    let with_scp = |scp: &str| {
        let scp = serde_json::to_string(scp).unwrap();
        signed(
            HEADER,
            &claims(&format!(r#""iss":"{ISSUER}","tid":"{TENANT}","scp":{scp}"#)),
        )
    };
    let cases = [
        (MANAGED_DEVICES_READ.to_owned(), StatusCode::OK, "one scope"),
        (
            format!("Other  {MANAGED_DEVICES_READ} "),
            StatusCode::OK,
            "double and trailing spaces",
        ),
        (
            format!("{MANAGED_DEVICES_READ}\u{00A0}Other"),
            StatusCode::FORBIDDEN,
            "no-break space",
        ),
        (
            format!("Other\t{MANAGED_DEVICES_READ}"),
            StatusCode::FORBIDDEN,
            "tab",
        ),
        (
            format!("Other\u{3000}{MANAGED_DEVICES_READ}"),
            StatusCode::FORBIDDEN,
            "ideographic space",
        ),
    ];
    for (scp, expected, what) in cases {
        assert_status(&app, &with_scp(&scp), expected, what).await;
    }
}
