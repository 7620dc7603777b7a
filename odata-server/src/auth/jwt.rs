//! Bearer JWT validation with `jsonwebtoken`: the keys, and with them the accepted
//! algorithms, come from the configuration only; the token's header merely selects among them.

use std::collections::BTreeSet;
use std::fmt;

use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use odata_core::error::{ErrorKind, ODataError};
use serde_json::Value as Json;

use super::Principal;
use crate::config::{AuthConfig, BearerConfig, KeySource};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 60;
/// Longest bearer token looked at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Longest tenant id accepted from a token.
const MAX_TENANT_BYTES: usize = 256;
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
            match jsonwebtoken::decode::<Json>(token, &key.key, &key.validation) {
                Ok(data) => return self.principal(&data.claims),
                Err(e) if matches!(e.kind(), JwtErrorKind::InvalidSignature) => last = Some(e),
                Err(e) => return Err(token_error(e.kind())),
            }
        }
        Err(last
            .map(|e| token_error(e.kind()))
            .unwrap_or_else(|| token_error(&JwtErrorKind::InvalidSignature)))
    }

    fn principal(&self, claims: &Json) -> Result<Principal, ODataError> {
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
            Some(Json::String(s)) => scopes.extend(s.split_whitespace().map(str::to_owned)),
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
        Ok(Principal {
            tenant,
            scopes,
            unrestricted: false,
        })
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
