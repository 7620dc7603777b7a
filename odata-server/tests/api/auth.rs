//! Bearer authentication and per-collection permissions on the shop model.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use odata_server::app::StartError;
use odata_server::config::{AuthConfig, BearerConfig, KeySource, Secret};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::product;
use crate::secure_helpers::*;

/// Asserts a 401 with `WWW-Authenticate: Bearer`, the OData error JSON, a message containing
/// `reason`, and the token not echoed.
async fn assert_401(response: reqwest::Response, reason: &str, token: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert!(response.headers().contains_key("request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(reason),
        "{message:?} should say {reason:?}"
    );
    if token.len() > 8 {
        assert!(!body.to_string().contains(token), "token echoed: {body}");
        let signature = token.rsplit('.').next().unwrap_or_default();
        if signature.len() > 8 {
            assert!(!body.to_string().contains(signature));
        }
    }
}

#[tokio::test]
async fn missing_and_malformed_authorization_headers_are_401() {
    let app = spawn_secured(hs256_config()).await;
    let r = app.client.get(app.url("products")).send().await.unwrap();
    assert_401(r, "no bearer token", "").await;
    let r = app
        .client
        .get(app.url("products"))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_401(r, "Bearer scheme", "").await;
    let r = app
        .get("products", "not-a-jwt-at-all")
        .send()
        .await
        .unwrap();
    assert_401(r, "malformed", "not-a-jwt-at-all").await;
    let r = app
        .client
        .get(app.url("products"))
        .header("Authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_token_defect_is_401_with_its_reason() {
    let app = spawn_secured(hs256_config()).await;
    let mut wrong_aud = claims("t1", READ);
    wrong_aud["aud"] = json!("api://other");
    let mut wrong_iss = claims("t1", READ);
    wrong_iss["iss"] = json!("https://evil.example");
    let mut expired = claims("t1", READ);
    expired["exp"] = json!(now() - 3600);
    let mut not_yet = claims("t1", READ);
    not_yet["nbf"] = json!(now() + 3600);
    let mut no_exp = claims("t1", READ);
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut no_tenant = claims("t1", READ);
    no_tenant.as_object_mut().unwrap().remove("tid");
    let mut numeric_tenant = claims("t1", READ);
    numeric_tenant["tid"] = json!(42);
    let other_key = EncodingKey::from_secret(b"another-secret-that-is-32-bytes-long!!");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bad signature",
            sign(Algorithm::HS256, &other_key, &claims("t1", READ)),
            "signature is invalid",
        ),
        ("expired", hs256(&expired), "expired"),
        ("not yet valid", hs256(&not_yet), "not valid yet"),
        ("wrong audience", hs256(&wrong_aud), "audience"),
        ("wrong issuer", hs256(&wrong_iss), "issuer"),
        ("no exp", hs256(&no_exp), "'exp'"),
        ("no tenant", hs256(&no_tenant), "tenant claim 'tid'"),
        (
            "numeric tenant",
            hs256(&numeric_tenant),
            "tenant claim 'tid'",
        ),
        ("alg none", unsigned(&claims("t1", READ)), "alg 'none'"),
        (
            "HS384 with the right secret",
            sign(
                Algorithm::HS384,
                &EncodingKey::from_secret(SECRET.as_bytes()),
                &claims("t1", READ),
            ),
            "accepts only HS256",
        ),
    ];
    for (name, token, reason) in cases {
        let r = app.get("products", &token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_401(r, reason, &token).await;
    }
}

#[tokio::test]
async fn leeway_tolerates_small_clock_skew() {
    let app = spawn_secured(hs256_config()).await;
    let mut skewed = claims("t1", READ);
    skewed["exp"] = json!(now() - 10);
    skewed["nbf"] = json!(now() + 10);
    let r = app.get("products", &hs256(&skewed)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn scopes_and_roles_decide_read_and_write() {
    let app = spawn_secured(hs256_config()).await;
    let reader = hs256(&claims("t1", READ));
    let writer = writer("t1");
    let nothing = hs256(&claims("t1", "User.Read"));
    let mut app_role = claims("t1", "");
    app_role.as_object_mut().unwrap().remove("scp");
    app_role["roles"] = json!([READ_WRITE]);
    let app_role = hs256(&app_role);

    // Writing needs Shop.ReadWrite, from `scp` or `roles`.
    let r = app
        .post("products", &reader, &product("p1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Forbidden");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Shop.ReadWrite") && message.contains("write"),
        "{message}"
    );
    assert_eq!(
        app.post("products", &writer, &product("p1"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post("products", &app_role, &product("p2"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    // Reading: either permission; none of them is 403 naming both.
    for token in [&reader, &writer, &app_role] {
        let r = app.get("products('p1')", token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app.get("products", &nothing).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Shop.Read, Shop.ReadWrite"), "{message}");
    // Write methods on an entity are writes, $count is a read.
    for (method, expect_reader) in [
        (reqwest::Method::PATCH, StatusCode::FORBIDDEN),
        (reqwest::Method::DELETE, StatusCode::FORBIDDEN),
    ] {
        let r = app
            .client
            .request(method, app.url("products('p1')"))
            .bearer_auth(&reader)
            .json(&json!({"stock": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expect_reader);
    }
    let r = app.get("products/$count", &reader).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "2");
}

#[tokio::test]
async fn metadata_needs_a_token_but_no_permission_and_undeclared_sets_are_closed() {
    let app = spawn_secured(hs256_config()).await;
    let nothing = hs256(&claims("t1", ""));
    for path in ["", "$metadata"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        let r = app.get(path, &nothing).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    // `orders` needs a permission of its own: closed to a caller holding all the
    // products' permissions.
    let all = hs256(&claims("t1", &format!("{READ} {READ_WRITE}")));
    let r = app.get("orders", &all).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Expanding or following into `orders` needs its permissions too, not only those of
    // the products the request starts from.
    let r = app.get("products", &all).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for path in [
        "products?$expand=orders",
        "products?$expand=orders/$count",
        "products?$expand=*",
        "products('x')/orders",
        "products?$filter=orders/any(o: o/customer eq 'x')",
        "products?$filter=orders/$count gt 1",
        "products?$orderby=orders/$count",
        "products?$compute=orders/$count as n",
        "products('x')?$compute=orders/$count as n",
    ] {
        let r = app.get(path, &all).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("'orders'"),
            "{path}: {body}"
        );
    }
    // Filtering or ordering orders through `product` reads products: their permission
    // is needed too.
    let orders_only = hs256(&claims("t1", ORDERS));
    let r = app.get("orders", &orders_only).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for path in [
        "orders?$filter=product/name eq 'x'",
        "orders?$orderby=product/name",
        "orders/$count?$filter=product/stock gt 1",
        "orders?$filter=product/orders/$count gt 1",
        "orders?$apply=groupby((product/name))",
        "orders?$apply=filter(product/stock gt 1)/aggregate($count as n)",
        "orders?$compute=product/name as n",
        "orders(1)?$compute=product/name as n",
    ] {
        let r = app.get(path, &orders_only).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("'products'"),
            "{path}: {body}"
        );
    }
    let both = hs256(&claims("t1", &format!("{ORDERS} {READ}")));
    let r = app
        .get("orders?$filter=product/name eq 'x'", &both)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .get("orders?$apply=groupby((product/name))", &both)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Unknown paths are 401 before they are 404: nothing is revealed without a token.
    let r = app.client.get(app.url("nothingHere")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.get("nothingHere", &all).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Health endpoints stay open for probes.
    let health = app.url("").replace("/odata/", "/healthz");
    assert_eq!(
        app.client.get(health).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn rs256_from_pem_and_jwks_and_es256_from_pem() {
    let rsa = EncodingKey::from_rsa_pem(key_file("rsa-private.pem").as_bytes()).unwrap();
    let ec = EncodingKey::from_ec_pem(key_file("ec-private.pem").as_bytes()).unwrap();
    let token = |alg, key: &EncodingKey, kid: Option<&str>| {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims("t1", READ), key).unwrap()
    };

    let pem = spawn_secured(with_keys(KeySource::Pem(key_file("rsa-public.pem")))).await;
    let r = pem
        .get("products", &token(Algorithm::RS256, &rsa, None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = pem.get("products", &writer("t1")).send().await.unwrap();
    assert_401(r, "accepts only RS256", "").await;
    // Algorithm confusion: an HS256 token "signed" with the public key as the HMAC secret.
    let confused = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(key_file("rsa-public.pem").as_bytes()),
        &claims("t1", READ),
    );
    let r = pem.get("products", &confused).send().await.unwrap();
    assert_401(r, "accepts only RS256", &confused).await;
    // Signed by another key pair (the EC key, claiming RS256 is impossible; use ES256).
    let r = pem
        .get("products", &token(Algorithm::ES256, &ec, None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let jwks = spawn_secured(with_keys(KeySource::Jwks(key_file("jwks.json")))).await;
    for kid in [Some("test-rsa-1"), None] {
        let r = jwks
            .get("products", &token(Algorithm::RS256, &rsa, kid))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "kid {kid:?}");
    }
    let r = jwks
        .get(
            "products",
            &token(Algorithm::RS256, &rsa, Some("unknown-kid")),
        )
        .send()
        .await
        .unwrap();
    assert_401(r, "key id", "").await;

    let es = spawn_secured(with_keys(KeySource::Pem(key_file("ec-public.pem")))).await;
    let r = es
        .get("products", &token(Algorithm::ES256, &ec, None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = es
        .get("products", &token(Algorithm::RS256, &rsa, None))
        .send()
        .await
        .unwrap();
    assert_401(r, "accepts only ES256", "").await;
}

#[tokio::test]
async fn unusable_auth_configuration_refuses_to_start() {
    let weak = BearerConfig {
        keys: KeySource::Hs256(Secret::new("short")),
        ..hs256_config()
    };
    let no_audience = BearerConfig {
        audience: vec![],
        ..hs256_config()
    };
    let private_pem = with_keys(KeySource::Pem(key_file("rsa-private.pem")));
    let symmetric_jwks = with_keys(KeySource::Jwks(
        r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#.into(),
    ));
    let empty_jwks = with_keys(KeySource::Jwks(r#"{"keys":[]}"#.into()));
    for config in [weak, no_audience, private_pem, symmetric_jwks, empty_jwks] {
        let result = try_spawn(AuthConfig::Bearer(config), "127.0.0.1:0").await;
        let Err(StartError::Auth(e)) = result else {
            panic!("expected an auth configuration error");
        };
        assert!(!e.to_string().contains(SECRET));
    }
}

#[tokio::test]
async fn without_auth_only_loopback_is_served_unless_disabled_explicitly() {
    let refused = try_spawn(AuthConfig::None, "0.0.0.0:0").await;
    assert!(
        matches!(refused, Err(StartError::InsecureListen(_))),
        "non-loopback without auth must not start"
    );
    assert!(try_spawn(AuthConfig::None, "127.0.0.1:0").await.is_ok());
    let open = try_spawn(AuthConfig::Disabled, "0.0.0.0:0").await.unwrap();
    // Authentication off: no token needed, everything allowed, even undeclared sets.
    let r = open.client.get(open.url("orders")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Bearer auth may listen anywhere.
    assert!(
        try_spawn(AuthConfig::Bearer(hs256_config()), "0.0.0.0:0")
            .await
            .is_ok()
    );
}
