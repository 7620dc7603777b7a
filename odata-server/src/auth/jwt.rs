//! Bearer JWT validation with `jsonwebtoken`: the keys, and with them the accepted
//! algorithms, come from the configuration only; the token's header merely selects among them.
//!
//! Before `jsonwebtoken` sees a token, its header and claims segments are decoded here and
//! parsed strictly ([`segments`]): each must be a JSON object, and no object at any depth may
//! name a member twice (RFC 7515 §5.2 and RFC 7519 §4 let a recipient reject such tokens;
//! serde would silently keep one of the two values, so a token carrying `"tid":"A"` and
//! `"tid":"B"` could mean different things to different readers). A header with `crit` is
//! refused because the service understands no JWS extension (RFC 7515 §4.1.11), and `iss`
//! must be one string (`jsonwebtoken` would also accept an array holding the issuer). The
//! principal is derived from the strictly parsed claims, never from a second parse.

use std::collections::BTreeSet;
use std::fmt;

use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use odata_core::error::{ErrorKind, ODataError};
use serde::de::IgnoredAny;
use serde_json::Value as Json;

use super::Principal;
use crate::config::{AuthConfig, BearerConfig, KeySource};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 60;
/// Longest bearer token looked at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Longest tenant id accepted from a token.
const MAX_TENANT_BYTES: usize = 256;
/// Longest subject (`oid` or `sub`) accepted from a token; it becomes part of a limits key.
const MAX_SUBJECT_BYTES: usize = 256;
/// Shortest HS256 secret accepted (256 bits, RFC 7518 §3.2).
const MIN_SECRET_BYTES: usize = 32;

/// Why the authentication configuration cannot be used. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthConfigError {
    /// The HS256 secret is too short.
    #[error("the HS256 secret must be at least {MIN_SECRET_BYTES} bytes long")]
    WeakSecret,
    /// No accepted audience or issuer.
    #[error("an accepted audience and issuer must be configured")]
    MissingAudienceOrIssuer,
    /// The JWKS document could not be used.
    #[error("JWKS: {0}")]
    Jwks(String),
    /// The PEM key could not be used.
    #[error("PEM: {0}")]
    Pem(String),
}

/// Checks the `Authorization` header of requests and yields the [`Principal`].
pub struct Authenticator {
    verifier: Option<Verifier>,
}

struct Verifier {
    keys: Vec<VerifyingKey>,
    tenant_claim: Option<String>,
}

struct VerifyingKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.verifier {
            None => f.write_str("Authenticator(off)"),
            Some(v) => f
                .debug_struct("Authenticator")
                .field("algorithms", &v.algorithms())
                .field("keys", &v.keys.len())
                .field("tenant_claim", &v.tenant_claim)
                .finish(),
        }
    }
}

impl Authenticator {
    /// Prepares the keys of `config`; fails on unusable keys, a weak secret or a missing
    /// audience/issuer, so a misconfigured service does not start.
    pub fn new(config: &AuthConfig) -> Result<Self, AuthConfigError> {
        let verifier = match config {
            AuthConfig::None | AuthConfig::Disabled => None,
            AuthConfig::Bearer(bearer) => Some(Verifier::new(bearer)?),
        };
        Ok(Self { verifier })
    }

    /// The caller of a request: unrestricted when authentication is off, else from a valid
    /// bearer token. 401 (`InvalidAuthenticationToken`) says what was wrong without echoing
    /// the token.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ODataError> {
        let Some(verifier) = &self.verifier else {
            return Ok(Principal::unrestricted());
        };
        let token = bearer_token(headers)?;
        let principal = verifier.verify(token);
        if let Err(e) = &principal {
            tracing::debug!(reason = %e.message, "bearer token rejected");
        }
        principal
    }
}

fn unauthenticated(message: impl Into<String>) -> ODataError {
    ODataError::new(ErrorKind::Unauthenticated, message)
}

/// The token of `Authorization: Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Result<&str, ODataError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(unauthenticated(
            "The request has no bearer token: send the header 'Authorization: Bearer <token>'.",
        ));
    };
    let value = value.to_str().map_err(|_| {
        unauthenticated("The Authorization header is not valid: it must be visible ASCII.")
    })?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthenticated(
            "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'.",
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(unauthenticated(
            "The Authorization header carries an empty bearer token.",
        ));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(unauthenticated(format!(
            "The bearer token is longer than {MAX_TOKEN_BYTES} bytes."
        )));
    }
    Ok(token)
}

impl Verifier {
    fn new(config: &BearerConfig) -> Result<Self, AuthConfigError> {
        let audience: Vec<&str> = non_empty(&config.audience);
        let issuer: Vec<&str> = non_empty(&config.issuer);
        if audience.is_empty() || issuer.is_empty() {
            return Err(AuthConfigError::MissingAudienceOrIssuer);
        }
        let keys: Vec<(Option<String>, Algorithm, DecodingKey)> = match &config.keys {
            KeySource::Hs256(secret) => {
                let secret = secret.expose().as_bytes();
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(AuthConfigError::WeakSecret);
                }
                vec![(None, Algorithm::HS256, DecodingKey::from_secret(secret))]
            }
            KeySource::Jwks(text) => jwks_keys(text)?,
            KeySource::Pem(text) => vec![pem_key(text)?],
        };
        let keys = keys
            .into_iter()
            .map(|(kid, algorithm, key)| {
                let mut validation = Validation::new(algorithm);
                validation.leeway = LEEWAY_SECS;
                validation.validate_exp = true;
                validation.validate_nbf = true;
                validation.validate_aud = true;
                validation.set_audience(&audience);
                validation.set_issuer(&issuer);
                validation.set_required_spec_claims(&["exp", "aud", "iss"]);
                VerifyingKey {
                    kid,
                    algorithm,
                    key,
                    validation,
                }
            })
            .collect();
        Ok(Self {
            keys,
            tenant_claim: config.tenant_claim.clone().filter(|c| !c.trim().is_empty()),
        })
    }

    fn algorithms(&self) -> Vec<Algorithm> {
        let mut algorithms: Vec<Algorithm> = Vec::new();
        for k in &self.keys {
            if !algorithms.contains(&k.algorithm) {
                algorithms.push(k.algorithm);
            }
        }
        algorithms
    }

    fn verify(&self, token: &str) -> Result<Principal, ODataError> {
        let (header_json, claims) = segments(token)?;
        reject_critical(&header_json)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            unauthenticated(
                "The bearer token is malformed or names an unsupported algorithm: expected a \
                 signed JWT (header.payload.signature); unsigned tokens (alg 'none') are never \
                 accepted.",
            )
        })?;
        let same_alg: Vec<&VerifyingKey> = self
            .keys
            .iter()
            .filter(|k| k.algorithm == header.alg)
            .collect();
        if same_alg.is_empty() {
            let accepted: Vec<String> =
                self.algorithms().iter().map(|a| format!("{a:?}")).collect();
            return Err(unauthenticated(format!(
                "The token is signed with {:?}; this service accepts only {}.",
                header.alg,
                accepted.join(", ")
            )));
        }
        let candidates: Vec<&VerifyingKey> = match &header.kid {
            Some(kid) if same_alg.iter().any(|k| k.kid.as_deref() == Some(kid)) => same_alg
                .into_iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .collect(),
            Some(_) if same_alg.iter().all(|k| k.kid.is_some()) => {
                return Err(unauthenticated(
                    "No configured key has the token's key id (kid).",
                ));
            }
            _ => same_alg,
        };
        let mut last = None;
        for key in candidates {
            // The claims are ignored here: the principal comes from the strict parse above.
            match jsonwebtoken::decode::<IgnoredAny>(token, &key.key, &key.validation) {
                Ok(_) => return self.principal(&claims),
                Err(e) if matches!(e.kind(), JwtErrorKind::InvalidSignature) => last = Some(e),
                Err(e) => return Err(token_error(e.kind())),
            }
        }
        Err(last
            .map(|e| token_error(e.kind()))
            .unwrap_or_else(|| token_error(&JwtErrorKind::InvalidSignature)))
    }

    /// The caller described by verified `claims`.
    fn principal(&self, claims: &Json) -> Result<Principal, ODataError> {
        if !matches!(claims.get("iss"), Some(Json::String(_))) {
            return Err(unauthenticated(
                "The token's issuer (iss) must be a single string.",
            ));
        }
        let tenant = match &self.tenant_claim {
            None => String::new(),
            Some(claim) => match claims.get(claim) {
                Some(Json::String(t)) if !t.is_empty() && t.len() <= MAX_TENANT_BYTES => t.clone(),
                Some(_) => {
                    return Err(unauthenticated(format!(
                        "The token's tenant claim '{claim}' must be a non-empty string of at \
                         most {MAX_TENANT_BYTES} bytes."
                    )));
                }
                None => {
                    return Err(unauthenticated(format!(
                        "The token has no tenant claim '{claim}'."
                    )));
                }
            },
        };
        let mut scopes = BTreeSet::new();
        match claims.get("scp") {
            None | Some(Json::Null) => {}
            // RFC 6749 §3.3 separates scopes by U+0020 only; splitting on other whitespace
            // (no-break space, tab) would turn one unknown scope into a granted one.
            Some(Json::String(s)) => {
                scopes.extend(s.split(' ').filter(|p| !p.is_empty()).map(str::to_owned));
            }
            Some(_) => {
                return Err(unauthenticated(
                    "The token's 'scp' claim must be a space-separated string.",
                ));
            }
        }
        match claims.get("roles") {
            None | Some(Json::Null) => {}
            Some(Json::Array(roles)) if roles.iter().all(Json::is_string) => {
                scopes.extend(roles.iter().filter_map(Json::as_str).map(str::to_owned));
            }
            Some(_) => {
                return Err(unauthenticated(
                    "The token's 'roles' claim must be an array of strings.",
                ));
            }
        }
        let oid = subject_claim(claims, "oid")?;
        let sub = subject_claim(claims, "sub")?;
        let subject = oid.or(sub).unwrap_or_default();
        Ok(Principal {
            caller: format!("{tenant}/{subject}"),
            tenant,
            scopes,
            unrestricted: false,
        })
    }
}

/// The optional subject claim `name` (`oid` or `sub`): absent or null is `None`; anything but
/// a string of at most [`MAX_SUBJECT_BYTES`] is a 401, so the caller key stays unambiguous.
fn subject_claim<'c>(claims: &'c Json, name: &str) -> Result<Option<&'c str>, ODataError> {
    match claims.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if s.len() <= MAX_SUBJECT_BYTES => Ok(Some(s)),
        Some(_) => Err(unauthenticated(format!(
            "The token's '{name}' claim must be a string of at most {MAX_SUBJECT_BYTES} bytes."
        ))),
    }
}

/// The header and claims of a compact JWS (`header.claims.signature`), each base64url-decoded
/// and parsed by [`strict_object`].
fn segments(token: &str) -> Result<(Json, Json), ODataError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unauthenticated(
            "The bearer token is malformed: expected a signed JWT (header.payload.signature).",
        ));
    };
    Ok((
        strict_object(header, "header")?,
        strict_object(claims, "claims")?,
    ))
}

/// One base64url segment as a JSON object in which no object, at any depth, repeats a member
/// name. `what` names the segment in the 401 message.
fn strict_object(segment: &str, what: &str) -> Result<Json, ODataError> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| {
        unauthenticated(format!(
            "The token's {what} segment is not base64url without padding."
        ))
    })?;
    // The same strict parse as request bodies: one object, no member name repeated in any
    // object at any depth.
    match odata_core::json::read_object(&bytes) {
        Ok(object) => Ok(Json::Object(object)),
        Err(e) if e.target.is_some() => Err(unauthenticated(format!(
            "The token's {what} names a member twice in one object ('{}'); every member name \
             must be unique.",
            e.target.unwrap_or_default()
        ))),
        Err(_) => Err(unauthenticated(format!(
            "The token's {what} is not a valid JSON object."
        ))),
    }
}

/// Refuses a JOSE header with `crit` (RFC 7515 §4.1.11): it lists extensions the recipient
/// must understand, and this service understands none. A malformed `crit` is refused too.
fn reject_critical(header: &Json) -> Result<(), ODataError> {
    match header.get("crit") {
        None => Ok(()),
        Some(Json::Array(names)) if !names.is_empty() && names.iter().all(Json::is_string) => {
            Err(unauthenticated(
                "The token's header lists critical extensions (crit); this service supports \
                 none.",
            ))
        }
        Some(_) => Err(unauthenticated(
            "The token's 'crit' header must be a non-empty array of extension names; this \
             service supports no extension.",
        )),
    }
}

/// What was wrong with a token, for the 401 message.
fn token_error(kind: &JwtErrorKind) -> ODataError {
    let message = match kind {
        JwtErrorKind::ExpiredSignature => "The token has expired (exp).".to_owned(),
        JwtErrorKind::ImmatureSignature => "The token is not valid yet (nbf).".to_owned(),
        JwtErrorKind::InvalidSignature => "The token's signature is invalid.".to_owned(),
        JwtErrorKind::InvalidAudience => {
            "The token's audience (aud) is not accepted by this service.".to_owned()
        }
        JwtErrorKind::InvalidIssuer => {
            "The token's issuer (iss) is not accepted by this service.".to_owned()
        }
        JwtErrorKind::MissingRequiredClaim(claim) => {
            format!("The token has no '{claim}' claim.")
        }
        JwtErrorKind::InvalidClaimFormat(claim) => {
            format!("The token's '{claim}' claim has an invalid format.")
        }
        JwtErrorKind::InvalidAlgorithm => {
            "The token's algorithm does not match the configured key.".to_owned()
        }
        _ => "The bearer token is malformed.".to_owned(),
    };
    unauthenticated(message)
}

fn non_empty(values: &[String]) -> Vec<&str> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The public keys of a JWKS document with their algorithms. Symmetric (`oct`) keys are
/// refused: a JWKS is public, and accepting HMAC with public material is algorithm confusion.
fn jwks_keys(text: &str) -> Result<Vec<(Option<String>, Algorithm, DecodingKey)>, AuthConfigError> {
    let set: JwkSet = serde_json::from_str(text)
        .map_err(|e| AuthConfigError::Jwks(format!("not a JWKS document: {e}")))?;
    let mut keys = Vec::new();
    for (i, jwk) in set.keys.iter().enumerate() {
        let name = jwk.common.key_id.clone().unwrap_or_else(|| format!("#{i}"));
        let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
            (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
            (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::RS384)) => Algorithm::RS384,
            (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::RS512)) => Algorithm::RS512,
            (AlgorithmParameters::RSA(_), Some(KeyAlgorithm::PS256)) => Algorithm::PS256,
            (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256))
                if p.curve == EllipticCurve::P256 =>
            {
                Algorithm::ES256
            }
            (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES384))
                if p.curve == EllipticCurve::P384 =>
            {
                Algorithm::ES384
            }
            (AlgorithmParameters::OctetKey(_), _) => {
                return Err(AuthConfigError::Jwks(format!(
                    "key {name} is a symmetric (oct) key; a JWKS must hold public keys"
                )));
            }
            _ => {
                return Err(AuthConfigError::Jwks(format!(
                    "key {name}: unsupported key type or algorithm (use RSA RS256 or EC P-256 ES256)"
                )));
            }
        };
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| AuthConfigError::Jwks(format!("key {name}: {e}")))?;
        keys.push((jwk.common.key_id.clone(), algorithm, key));
    }
    if keys.is_empty() {
        return Err(AuthConfigError::Jwks("the document has no keys".into()));
    }
    Ok(keys)
}

/// One PEM public key: RSA (RS256) or EC P-256 (ES256).
fn pem_key(text: &str) -> Result<(Option<String>, Algorithm, DecodingKey), AuthConfigError> {
    if text.contains("PRIVATE KEY") {
        return Err(AuthConfigError::Pem(
            "a private key was given; configure the public key".into(),
        ));
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(text.as_bytes()) {
        return Ok((None, Algorithm::RS256, key));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(text.as_bytes()) {
        return Ok((None, Algorithm::ES256, key));
    }
    Err(AuthConfigError::Pem(
        "not an RSA or EC P-256 public key in PEM form".into(),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use jsonwebtoken::EncodingKey;

    use super::*;

    const SECRET: &str = "unit-test-secret-of-at-least-32-bytes!";
    const AUDIENCE: &str = "api://unit";
    const ISSUER: &str = "https://issuer.unit/";
    const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    fn verifier() -> Verifier {
        Verifier::new(&BearerConfig::hs256(SECRET, AUDIENCE, ISSUER)).unwrap()
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// An HS256 token over the verbatim header and claims texts.
    fn signed(header: &str, claims: &str) -> String {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(SECRET.as_bytes()),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{message}.{signature}")
    }

    /// Claims text with a valid audience, expiry and tenant, then `members` verbatim.
    fn claims(members: &str) -> String {
        format!(
            r#"{{"aud":"{AUDIENCE}","exp":{},"tid":"t1"{members}}}"#,
            now() + 600
        )
    }

    fn verify(members: &str) -> Result<Principal, ODataError> {
        verifier().verify(&signed(HEADER, &claims(members)))
    }

    fn iss() -> String {
        format!(r#","iss":"{ISSUER}""#)
    }

    fn strict(text: &str) -> Result<Json, ODataError> {
        strict_object(&URL_SAFE_NO_PAD.encode(text), "claims")
    }

    #[test]
    fn strict_parse_rejects_duplicate_members_at_any_depth() {
        assert!(strict(r#"{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}"#).is_ok());
        for text in [
            r#"{"tid":"A","tid":"B"}"#,
            r#"{"tid":"A","t\u0069d":"B"}"#,
            r#"{"x":{"k":1,"k":1}}"#,
            r#"{"x":[1,{"k":1,"y":2,"k":3}]}"#,
            r#"{"x":[[{"k":null,"k":null}]]}"#,
        ] {
            let e = strict(text).expect_err(text);
            assert_eq!(e.kind, ErrorKind::Unauthenticated, "{text}");
            assert!(e.message.contains("twice"), "{text}: {}", e.message);
        }
    }

    #[test]
    fn strict_parse_rejects_malformed_segments() {
        for text in [
            "[1]",
            "\"s\"",
            "null",
            "{} {}",
            "{\"a\":",
            "",
            "{\"a\":\"\\ud800\"}",
        ] {
            let e = strict(text).expect_err(text);
            assert_eq!(e.kind, ErrorKind::Unauthenticated, "{text}");
        }
        for segment in ["e30=", "e30.", "%%", "e3"] {
            assert!(strict_object(segment, "claims").is_err(), "{segment}");
        }
        assert!(strict_object("e30", "claims").is_ok());
        for token in ["a.b", "a.b.c.d", ""] {
            assert!(segments(token).is_err(), "{token}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!(r#"{{"a":{}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
        assert!(strict(&text).is_err());
    }

    #[test]
    fn duplicate_members_make_a_signed_token_invalid() {
        let v = verifier();
        assert!(v.verify(&signed(HEADER, &claims(&iss()))).is_ok());
        let dup_claims = claims(&format!(r#"{},"tid":"t2""#, iss()));
        assert!(v.verify(&signed(HEADER, &dup_claims)).is_err());
        let dup_header = r#"{"alg":"HS256","typ":"JWT","x":1,"x":1}"#;
        assert!(v.verify(&signed(dup_header, &claims(&iss()))).is_err());
    }

    #[test]
    fn crit_is_always_refused() {
        assert!(reject_critical(&serde_json::json!({"alg": "HS256"})).is_ok());
        for crit in [
            serde_json::json!(["b64"]),
            serde_json::json!(["urn:x", "urn:y"]),
            serde_json::json!([]),
            serde_json::json!("b64"),
            serde_json::json!([1]),
            serde_json::json!(null),
        ] {
            let header = serde_json::json!({"alg": "HS256", "crit": crit});
            assert!(reject_critical(&header).is_err(), "{header}");
        }
        let header = r#"{"alg":"HS256","crit":["urn:x"],"urn:x":true}"#;
        assert!(verifier().verify(&signed(header, &claims(&iss()))).is_err());
    }

    #[test]
    fn issuer_must_be_one_string_and_audience_may_be_an_array() {
        assert!(verify(&iss()).is_ok());
        for bad in [
            format!(r#","iss":["{ISSUER}"]"#),
            format!(r#","iss":["{ISSUER}","https://other/"]"#),
            r#","iss":7"#.to_owned(),
            format!(r#","iss":{{"v":"{ISSUER}"}}"#),
        ] {
            let e = verify(&bad).expect_err(&bad);
            assert_eq!(e.kind, ErrorKind::Unauthenticated, "{bad}");
        }
        let aud_array = format!(
            r#"{{"aud":["{AUDIENCE}","api://other"],"exp":{},"tid":"t1"{}}}"#,
            now() + 600,
            iss()
        );
        assert!(verifier().verify(&signed(HEADER, &aud_array)).is_ok());
        let aud_other = format!(
            r#"{{"aud":["api://other"],"exp":{},"tid":"t1"{}}}"#,
            now() + 600,
            iss()
        );
        assert!(verifier().verify(&signed(HEADER, &aud_other)).is_err());
    }

    #[test]
    fn scopes_split_on_ascii_space_only_and_roles_are_kept() {
        let scopes = |scp: &str| {
            let scp = serde_json::to_string(scp).unwrap();
            verify(&format!(r#"{},"scp":{scp}"#, iss())).unwrap().scopes
        };
        let set = |items: &[&str]| {
            items
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(scopes("A B"), set(&["A", "B"]));
        assert_eq!(scopes("  A   B "), set(&["A", "B"]));
        assert_eq!(scopes("A\u{00A0}B"), set(&["A\u{00A0}B"]));
        assert_eq!(scopes("A\tB"), set(&["A\tB"]));
        assert_eq!(scopes("A\nB C"), set(&["A\nB", "C"]));
        assert_eq!(scopes(""), set(&[]));
        let p = verify(&format!(r#"{},"scp":"A","roles":["R1","R 2"]"#, iss())).unwrap();
        assert_eq!(p.scopes, set(&["A", "R1", "R 2"]));
        assert!(verify(&format!(r#"{},"roles":"R1""#, iss())).is_err());
        assert!(verify(&format!(r#"{},"roles":["R1",2]"#, iss())).is_err());
        assert!(verify(&format!(r#"{},"scp":["A"]"#, iss())).is_err());
    }

    #[test]
    fn caller_is_tenant_and_oid_else_sub() {
        let caller = |members: &str| verify(&format!("{}{members}", iss())).unwrap().caller;
        assert_eq!(caller(r#","oid":"o1","sub":"s1""#), "t1/o1");
        assert_eq!(caller(r#","sub":"s1""#), "t1/s1");
        assert_eq!(caller(r#","oid":null,"sub":"s1""#), "t1/s1");
        assert_eq!(caller(""), "t1/");
        for bad in [
            r#","oid":7"#.to_owned(),
            r#","sub":["s1"]"#.to_owned(),
            format!(r#","oid":"{}""#, "o".repeat(MAX_SUBJECT_BYTES + 1)),
        ] {
            assert!(verify(&bad).is_err(), "{bad}");
        }
        let p = verify(&iss()).unwrap();
        assert!(!p.unrestricted);
        assert_eq!(Principal::unrestricted().caller, "");
    }

    #[test]
    fn off_yields_the_unrestricted_principal() {
        let auth = Authenticator::new(&AuthConfig::None).unwrap();
        let p = auth.authenticate(&HeaderMap::new()).unwrap();
        assert!(p.unrestricted);
        assert!(p.caller.is_empty());
    }
}
