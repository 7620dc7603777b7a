//! Service settings. The binary fills them from flags and environment variables.

use std::time::Duration;

/// Run-time settings of an OData service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub listen: String,
    /// sqlx database URL, e.g. `sqlite://autopilot.db?mode=rwc`.
    pub database_url: String,
    /// First URL segment of the service root, e.g. `beta`.
    pub base_path: String,
    /// Public URL of the server as clients see it behind proxies (scheme, host, optional
    /// path prefix); absolute links are built from it. Default: from the request's Host.
    pub public_base_url: Option<String>,
    /// Page size when the client states none.
    pub default_page_size: u32,
    /// Largest page the server returns.
    pub max_page_size: u32,
    /// Largest request body accepted (413 above), a `$batch` included.
    pub max_body_bytes: usize,
    /// Most requests one `$batch` may hold (413 above).
    pub max_batch_requests: usize,
    /// Reader connections in the pool (there is always exactly one writer).
    pub reader_connections: u32,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// How callers are authenticated; see [`AuthConfig`].
    pub auth: AuthConfig,
    /// Longest request target (path and query string) accepted, in bytes (414 above).
    pub max_url_bytes: usize,
    /// Deepest nesting of a query expression (`$filter`, `$orderby`, …) accepted.
    pub max_expr_depth: usize,
    /// Largest number of nodes of one query expression accepted.
    pub max_expr_nodes: usize,
    /// Time the database statements of one request may take together; the database
    /// interrupts them when it is spent (503 `QueryTimeout`).
    pub statement_budget: Duration,
    /// Collection queries (`GET collection`, `$count`) one caller may run at once; more wait
    /// for a slot up to the statement budget, then get 429. Key reads are not counted.
    pub max_queries_per_caller: u32,
    /// Longest a request body may take to arrive once the headers are in (408 after it).
    pub body_timeout: Duration,
    /// Build absolute URLs from `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` when
    /// no public base URL is set. Only for a service behind a proxy that sets them: anyone
    /// else could point `@odata.nextLink` at a host of their choosing.
    pub trust_forwarded_headers: bool,
    /// Asynchronous requests (`Prefer: respond-async`) one tenant may have at once, running
    /// or finished and kept for their status monitors. Beyond it a request is answered
    /// synchronously, as if it had not asked (the preference is optional for a service).
    pub max_async_jobs_per_tenant: usize,
    /// How long the result of a finished asynchronous request stays readable at its status
    /// monitor.
    pub async_job_retention: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://odata.db?mode=rwc".into(),
            base_path: "beta".into(),
            public_base_url: None,
            default_page_size: 100,
            max_page_size: 1000,
            max_body_bytes: 1024 * 1024,
            max_batch_requests: 100,
            reader_connections: 4,
            shutdown_timeout_secs: 30,
            auth: AuthConfig::None,
            max_url_bytes: 8 * 1024,
            max_expr_depth: 100,
            max_expr_nodes: 10_000,
            statement_budget: Duration::from_secs(5),
            max_queries_per_caller: 2,
            body_timeout: Duration::from_secs(30),
            trust_forwarded_headers: false,
            max_async_jobs_per_tenant: 100,
            async_job_retention: Duration::from_secs(5 * 60),
        }
    }
}

/// How requests are authenticated.
///
/// Without configuration ([`AuthConfig::None`]) the service serves everyone with full access,
/// so it refuses to listen on anything but a loopback address; [`AuthConfig::Disabled`] is the
/// explicit opt-out (`--auth none`) that allows any address. Both log a warning at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthConfig {
    /// Not configured: no authentication, every caller has full access, loopback only.
    #[default]
    None,
    /// Explicitly disabled: no authentication on any address (development only).
    Disabled,
    /// Bearer JWTs checked for signature, expiry, audience and issuer.
    Bearer(BearerConfig),
}

impl AuthConfig {
    /// True when requests are served without authentication.
    pub fn is_off(&self) -> bool {
        !matches!(self, Self::Bearer(_))
    }
}

/// Validation of bearer JWTs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerConfig {
    /// The keys signatures are checked with; they also fix the accepted algorithms.
    pub keys: KeySource,
    /// Accepted `aud` values (at least one; the token's `aud` must contain one of them).
    pub audience: Vec<String>,
    /// Accepted `iss` values (at least one).
    pub issuer: Vec<String>,
    /// Claim naming the caller's tenant (Entra ID: `tid`). Every row belongs to the tenant of
    /// the token that wrote it and is only visible to that tenant. `None`: all callers share
    /// one tenant.
    pub tenant_claim: Option<String>,
}

impl BearerConfig {
    /// HS256 with a shared secret, audience, issuer and the `tid` tenant claim.
    pub fn hs256(
        secret: impl Into<String>,
        audience: impl Into<String>,
        issuer: impl Into<String>,
    ) -> Self {
        Self {
            keys: KeySource::Hs256(Secret::new(secret)),
            audience: vec![audience.into()],
            issuer: vec![issuer.into()],
            tenant_claim: Some("tid".into()),
        }
    }
}

/// Where the token verification keys come from. The accepted algorithms follow from the keys,
/// never from a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A shared secret (HS256; at least 32 bytes). For tests and local use.
    Hs256(Secret),
    /// The text of a JWKS document (`{"keys":[...]}`) with RSA (RS256) or EC P-256 (ES256)
    /// public keys; a key's `alg` member, if present, fixes its algorithm.
    Jwks(String),
    /// The text of one PEM public key: RSA (RS256) or EC P-256 (ES256).
    Pem(String),
}

/// A secret string: never printed by `Debug`, and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself; do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let settings = Settings {
            auth: AuthConfig::Bearer(BearerConfig::hs256(
                "correct horse battery staple and more",
                "api://aud",
                "https://issuer",
            )),
            ..Settings::default()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("horse"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
        assert!(printed.contains("api://aud"), "{printed}");
    }
}
