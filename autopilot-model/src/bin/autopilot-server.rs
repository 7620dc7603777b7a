//! `autopilot-server`: the Microsoft Graph (beta) compatible Windows Autopilot service.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use odata_server::app::Application;
use odata_server::config::{AuthConfig, BearerConfig, KeySource, Secret, Settings};

/// `--auth`: how callers are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuthMode {
    /// No authentication on any address (development only; logs a warning).
    None,
    /// HS256 tokens signed with the shared secret `AUTH_HS256_SECRET`.
    Hs256,
    /// RS256/ES256 tokens verified with the keys of `AUTH_JWKS_FILE` or `AUTH_PEM_FILE`.
    Jwks,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Serves deviceManagement/autopilotEvents, windowsAutopilotDeviceIdentities and
/// windowsAutopilotDeploymentProfiles over OData 4.01.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long = "listen", env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// sqlx database URL: `sqlite://…` (default) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://autopilot.db?mode=rwc"
    )]
    database_url: String,
    /// First path segment of the service root.
    #[arg(long, env = "BASE_PATH", default_value = "beta")]
    base_path: String,
    /// Public URL as clients see it (behind a proxy); absolute links are built from it.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    public_base_url: Option<String>,
    /// Page size when the client asks for none.
    #[arg(long, env = "DEFAULT_PAGE_SIZE", default_value_t = 100)]
    default_page_size: u32,
    /// Largest page size served.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = 1000)]
    max_page_size: u32,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Most requests one $batch may hold.
    #[arg(long, env = "MAX_BATCH_REQUESTS", default_value_t = 100)]
    max_batch_requests: usize,
    /// Reader connections to the database.
    #[arg(long, env = "DB_READERS", default_value_t = 4)]
    db_readers: u32,
    /// Seconds in-flight requests get to finish on SIGTERM.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    shutdown_timeout_secs: u64,
    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Authentication. Without it the server serves loopback addresses only.
    #[arg(long = "auth", env = "AUTH_MODE", value_enum)]
    auth: Option<AuthMode>,
    /// HS256 shared secret (at least 32 bytes); prefer the environment variable.
    #[arg(
        long = "auth-hs256-secret",
        env = "AUTH_HS256_SECRET",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    auth_hs256_secret: Option<Secret>,
    /// JWKS file with the public keys tokens are signed with (`--auth jwks`).
    #[arg(long = "auth-jwks-file", env = "AUTH_JWKS_FILE")]
    auth_jwks_file: Option<std::path::PathBuf>,
    /// PEM public key (RSA or EC P-256) tokens are signed with (`--auth jwks`).
    #[arg(long = "auth-pem-file", env = "AUTH_PEM_FILE")]
    auth_pem_file: Option<std::path::PathBuf>,
    /// Accepted token audiences (`aud`), comma-separated.
    #[arg(long = "auth-audience", env = "AUTH_AUDIENCE", value_delimiter = ',')]
    auth_audience: Vec<String>,
    /// Accepted token issuers (`iss`), comma-separated.
    #[arg(long = "auth-issuer", env = "AUTH_ISSUER", value_delimiter = ',')]
    auth_issuer: Vec<String>,
    /// Token claim naming the caller's tenant; empty: no tenant isolation.
    #[arg(long = "tenant-claim", env = "TENANT_CLAIM", default_value = "tid")]
    tenant_claim: String,
    /// Longest accepted request URL (path and query) in bytes.
    #[arg(long, env = "MAX_URL_BYTES", default_value_t = 8 * 1024)]
    max_url_bytes: usize,
    /// Deepest accepted nesting of a query expression.
    #[arg(long, env = "MAX_EXPR_DEPTH", default_value_t = 100)]
    max_expr_depth: usize,
    /// Largest accepted number of nodes in a query expression.
    #[arg(long, env = "MAX_EXPR_NODES", default_value_t = 10_000)]
    max_expr_nodes: usize,
    /// Milliseconds the database statements of one request may take (503 QueryTimeout).
    #[arg(long, env = "STATEMENT_BUDGET_MS", default_value_t = 5000)]
    statement_budget_ms: u64,
    /// Collection queries one caller may run at once (more wait, then 429).
    #[arg(long, env = "MAX_QUERIES_PER_CALLER", default_value_t = 2)]
    max_queries_per_caller: u32,
    /// Milliseconds a request body may take to arrive (408 after it).
    #[arg(long, env = "BODY_TIMEOUT_MS", default_value_t = 30_000)]
    body_timeout_ms: u64,
    /// Build absolute URLs from Forwarded / X-Forwarded-* headers (only behind a proxy
    /// that sets them; `--public-base-url` takes precedence).
    #[arg(long, env = "TRUST_FORWARDED_HEADERS")]
    trust_forwarded_headers: bool,
}

fn parse_secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// The authentication settings from the `--auth*` flags; files are read here.
fn auth_config(args: &Args) -> anyhow::Result<AuthConfig> {
    let keys = match args.auth {
        None => {
            if args.auth_hs256_secret.is_some()
                || args.auth_jwks_file.is_some()
                || args.auth_pem_file.is_some()
            {
                anyhow::bail!("authentication keys are configured but --auth/AUTH_MODE is not set");
            }
            return Ok(AuthConfig::None);
        }
        Some(AuthMode::None) => return Ok(AuthConfig::Disabled),
        Some(AuthMode::Hs256) => KeySource::Hs256(
            args.auth_hs256_secret
                .clone()
                .context("--auth hs256 needs AUTH_HS256_SECRET")?,
        ),
        Some(AuthMode::Jwks) => match (&args.auth_jwks_file, &args.auth_pem_file) {
            (Some(file), None) => KeySource::Jwks(
                std::fs::read_to_string(file)
                    .with_context(|| format!("reading AUTH_JWKS_FILE {}", file.display()))?,
            ),
            (None, Some(file)) => KeySource::Pem(
                std::fs::read_to_string(file)
                    .with_context(|| format!("reading AUTH_PEM_FILE {}", file.display()))?,
            ),
            _ => anyhow::bail!("--auth jwks needs exactly one of AUTH_JWKS_FILE and AUTH_PEM_FILE"),
        },
    };
    if args.auth_audience.is_empty() || args.auth_issuer.is_empty() {
        anyhow::bail!("bearer authentication needs AUTH_AUDIENCE and AUTH_ISSUER");
    }
    let tenant_claim = Some(args.tenant_claim.trim().to_owned()).filter(|c| !c.is_empty());
    if tenant_claim.is_none() {
        tracing::warn!("no tenant claim configured: all callers share one tenant's rows");
    }
    Ok(AuthConfig::Bearer(BearerConfig {
        keys,
        audience: args.auth_audience.clone(),
        issuer: args.auth_issuer.clone(),
        tenant_claim,
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    odata_server::telemetry::init(matches!(args.log_format, LogFormat::Json));
    let auth = auth_config(&args)?;
    let settings = Settings {
        listen: args.listen,
        database_url: args.database_url,
        base_path: args.base_path,
        public_base_url: args.public_base_url,
        default_page_size: args.default_page_size,
        max_page_size: args.max_page_size,
        max_body_bytes: args.max_body_bytes,
        max_batch_requests: args.max_batch_requests,
        reader_connections: args.db_readers,
        shutdown_timeout_secs: args.shutdown_timeout_secs,
        auth,
        max_url_bytes: args.max_url_bytes,
        max_expr_depth: args.max_expr_depth,
        max_expr_nodes: args.max_expr_nodes,
        statement_budget: Duration::from_millis(args.statement_budget_ms),
        max_queries_per_caller: args.max_queries_per_caller,
        body_timeout: Duration::from_millis(args.body_timeout_ms),
        trust_forwarded_headers: args.trust_forwarded_headers,
    };
    let app = Application::build(
        autopilot_model::service::service(),
        autopilot_model::service::migrations(),
        settings.clone(),
    )
    .await
    .context("starting the service")?;
    tracing::info!(
        listen = %settings.listen,
        port = app.port(),
        base = %settings.base_path,
        "autopilot-server listening"
    );
    app.run_until_stopped().await.context("serving")?;
    tracing::info!("autopilot-server stopped");
    Ok(())
}
