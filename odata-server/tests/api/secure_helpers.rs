//! The shop model with declared permissions, served with bearer authentication, and token
//! minting for the auth and tenant tests.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use odata_server::app::Application;
use odata_server::auth::Permissions;
use odata_server::config::{AuthConfig, BearerConfig, KeySource, Settings};
use odata_server::service::{CollectionDef, Service};
use reqwest::{Client, RequestBuilder};
use serde_json::{Value, json};

pub const SECRET: &str = "shop-test-secret-that-is-at-least-32-bytes";
pub const AUDIENCE: &str = "api://shop";
pub const ISSUER: &str = "https://login.example.test/shop/v2.0";
pub const READ: &str = "Shop.Read";
pub const READ_WRITE: &str = "Shop.ReadWrite";
/// Reads and writes orders (and nothing else).
pub const ORDERS: &str = "Shop.Orders";

/// The shop model: `products` needs `Shop.Read`/`Shop.ReadWrite`, `orders` declares nothing.
pub fn secured_service() -> Service {
    let model = crate::helpers::shop_service().model().clone();
    Service::builder(model)
        .collection(
            CollectionDef::new("products", "products")
                .permissions(Permissions::new(&[READ, READ_WRITE], &[READ_WRITE]))
                .inverse("orders", "orders", "product"),
        )
        .collection(
            CollectionDef::new("orders", "orders")
                .permissions(Permissions::new(&[ORDERS], &[ORDERS]))
                .reference("product", "products"),
        )
        .build()
        .expect("valid service")
}

pub struct SecureApp {
    pub root: String,
    pub client: Client,
    _database: crate::helpers::TestDatabase,
}

impl SecureApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.root, path.trim_start_matches('/'))
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
    }
}

/// HS256 with [`SECRET`], [`AUDIENCE`], [`ISSUER`], tenant claim `tid`.
pub fn hs256_config() -> BearerConfig {
    BearerConfig::hs256(SECRET, AUDIENCE, ISSUER)
}

pub async fn spawn_secured(bearer: BearerConfig) -> SecureApp {
    try_spawn(AuthConfig::Bearer(bearer), "127.0.0.1:0")
        .await
        .expect("app starts")
}

pub async fn try_spawn(
    auth: AuthConfig,
    listen: &str,
) -> Result<SecureApp, odata_server::app::StartError> {
    let database = crate::helpers::test_database().await;
    let settings = Settings {
        listen: listen.into(),
        database_url: database.url.clone(),
        base_path: "odata".into(),
        auth,
        ..Settings::default()
    };
    let app = Application::build(secured_service(), crate::helpers::migrations(), settings).await?;
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    Ok(SecureApp {
        root: format!("http://127.0.0.1:{port}/odata"),
        client: Client::new(),
        _database: database,
    })
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Valid claims for `tenant` with the delegated scopes `scp`.
pub fn claims(tenant: &str, scp: &str) -> Value {
    json!({
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now(),
        "nbf": now() - 5,
        "exp": now() + 600,
        "tid": tenant,
        "scp": scp,
    })
}

pub fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).expect("token encodes")
}

pub fn hs256(claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET.as_bytes()),
        claims,
    )
}

/// A read-write token of `tenant`.
pub fn writer(tenant: &str) -> String {
    hs256(&claims(tenant, READ_WRITE))
}

/// `{"alg":"none"}` unsigned token with otherwise valid claims.
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    )
}

/// Unpadded base64url, enough for tests.
pub fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub fn key_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn with_keys(keys: KeySource) -> BearerConfig {
    BearerConfig {
        keys,
        ..hs256_config()
    }
}
