//! The run contract every server binary built on the framework shares: the same flags,
//! each with an environment-variable fallback, turned into [`Settings`]; logging; serving
//! until SIGTERM/Ctrl-C. A product gives its name, its defaults, its service and migrations:
//!
//! ```no_run
//! use odata_server::cli::{Product, run};
//! # fn service() -> odata_server::service::Service {
//! #     let model = odata_core::edm::ModelBuilder::new("shop").build().expect("model");
//! #     odata_server::service::Service::builder(model).build().expect("service")
//! # }
//! # static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), odata_server::cli::RunError> {
//!     let product = Product {
//!         name: "shop-server",
//!         about: "Serves the shop over OData 4.01.",
//!         version: env!("CARGO_PKG_VERSION"),
//!         database_url: "sqlite://shop.db?mode=rwc",
//!         base_path: "odata",
//!     };
//!     run(&product, service(), &MIGRATOR).await
//! }
//! ```

use std::path::Path;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

use crate::app::{Application, Migrations, StartError};
use crate::config::{AuthConfig, BearerConfig, KeySource, Secret, Settings};
use crate::service::Service;

/// What a product binary says about itself and the defaults it runs with.
#[derive(Debug, Clone, Copy)]
pub struct Product {
    /// The binary's name, in `--help` and the log.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// `--version`.
    pub version: &'static str,
    /// Default of `--database-url` / `DATABASE_URL`.
    pub database_url: &'static str,
    /// Default of `--base-path` / `BASE_PATH` (empty: the service root is `/`).
    pub base_path: &'static str,
}

/// Flags or environment variables that do not make a configuration.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An inconsistent combination.
    #[error("{0}")]
    Invalid(String),
    /// A key file that cannot be read.
    #[error("reading {variable} {path}: {source}")]
    Read {
        /// The setting naming the file.
        variable: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl CliError {
    fn read(variable: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Read {
            variable,
            path: path.display().to_string(),
            source,
        }
    }
}

/// Why [`run`] ended with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] CliError),
    /// Starting: database, migrations, listener.
    #[error("starting the service: {0}")]
    Start(#[from] StartError),
    /// Serving.
    #[error("serving: {0}")]
    Serve(#[from] std::io::Error),
}

/// `--auth`: how callers are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// No authentication on any address (development only; logs a warning).
    None,
    /// HS256 tokens signed with the shared secret `AUTH_HS256_SECRET`.
    Hs256,
    /// RS256/ES256 tokens verified with the keys of `AUTH_JWKS_FILE` or `AUTH_PEM_FILE`.
    Jwks,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The flags (each with an environment-variable fallback) every server binary takes.
#[derive(Debug, Parser)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long = "listen", env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// sqlx database URL: `sqlite://…` (default) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://service.db?mode=rwc"
    )]
    pub database_url: String,
    /// First path segment of the service root.
    #[arg(long, env = "BASE_PATH", default_value = "")]
    pub base_path: String,
    /// Public URL as clients see it (behind a proxy); absolute links are built from it.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,
    /// Page size when the client asks for none.
    #[arg(long, env = "DEFAULT_PAGE_SIZE", default_value_t = 100)]
    pub default_page_size: u32,
    /// Largest page size served.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = 1000)]
    pub max_page_size: u32,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most requests one $batch may hold.
    #[arg(long, env = "MAX_BATCH_REQUESTS", default_value_t = 100)]
    pub max_batch_requests: usize,
    /// Most asynchronous requests (Prefer: respond-async) one tenant may have running or
    /// awaiting collection; beyond it requests are answered synchronously.
    #[arg(long, env = "MAX_ASYNC_JOBS_PER_TENANT", default_value_t = 100)]
    pub max_async_jobs_per_tenant: usize,
    /// Seconds the result of a finished asynchronous request stays at its status monitor.
    #[arg(long, env = "ASYNC_JOB_RETENTION_SECS", default_value_t = 300)]
    pub async_job_retention_secs: u64,
    /// Reader connections to the database.
    #[arg(long, env = "DB_READERS", default_value_t = 4)]
    pub db_readers: u32,
    /// Seconds in-flight requests get to finish on SIGTERM.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,
    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Authentication. Without it the server serves loopback addresses only.
    #[arg(long = "auth", env = "AUTH_MODE", value_enum)]
    pub auth: Option<AuthMode>,
    /// HS256 shared secret (at least 32 bytes); prefer the environment variable.
    #[arg(
        long = "auth-hs256-secret",
        env = "AUTH_HS256_SECRET",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub auth_hs256_secret: Option<Secret>,
    /// JWKS file with the public keys tokens are signed with (`--auth jwks`).
    #[arg(long = "auth-jwks-file", env = "AUTH_JWKS_FILE")]
    pub auth_jwks_file: Option<std::path::PathBuf>,
    /// PEM public key (RSA or EC P-256) tokens are signed with (`--auth jwks`).
    #[arg(long = "auth-pem-file", env = "AUTH_PEM_FILE")]
    pub auth_pem_file: Option<std::path::PathBuf>,
    /// Accepted token audiences (`aud`), comma-separated.
    #[arg(long = "auth-audience", env = "AUTH_AUDIENCE", value_delimiter = ',')]
    pub auth_audience: Vec<String>,
    /// Accepted token issuers (`iss`), comma-separated.
    #[arg(long = "auth-issuer", env = "AUTH_ISSUER", value_delimiter = ',')]
    pub auth_issuer: Vec<String>,
    /// Token claim naming the caller's tenant; empty: no tenant isolation.
    #[arg(long = "tenant-claim", env = "TENANT_CLAIM", default_value = "tid")]
    pub tenant_claim: String,
    /// Longest accepted request URL (path and query) in bytes.
    #[arg(long, env = "MAX_URL_BYTES", default_value_t = 8 * 1024)]
    pub max_url_bytes: usize,
    /// Deepest accepted nesting of a query expression.
    #[arg(long, env = "MAX_EXPR_DEPTH", default_value_t = 100)]
    pub max_expr_depth: usize,
    /// Largest accepted number of nodes in a query expression.
    #[arg(long, env = "MAX_EXPR_NODES", default_value_t = 10_000)]
    pub max_expr_nodes: usize,
    /// Milliseconds the database statements of one request may take (503 QueryTimeout).
    #[arg(long, env = "STATEMENT_BUDGET_MS", default_value_t = 5000)]
    pub statement_budget_ms: u64,
    /// Collection queries one caller may run at once (more wait, then 429).
    #[arg(long, env = "MAX_QUERIES_PER_CALLER", default_value_t = 2)]
    pub max_queries_per_caller: u32,
    /// Milliseconds a request body may take to arrive (408 after it).
    #[arg(long, env = "BODY_TIMEOUT_MS", default_value_t = 30_000)]
    pub body_timeout_ms: u64,
    /// Build absolute URLs from Forwarded / X-Forwarded-* headers (only behind a proxy
    /// that sets them; `--public-base-url` takes precedence).
    #[arg(long, env = "TRUST_FORWARDED_HEADERS")]
    pub trust_forwarded_headers: bool,
}

fn parse_secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// The authentication settings from the `--auth*` flags; files are read here.
fn auth_config(args: &ServerArgs) -> Result<AuthConfig, CliError> {
    let keys = match args.auth {
        None => {
            if args.auth_hs256_secret.is_some()
                || args.auth_jwks_file.is_some()
                || args.auth_pem_file.is_some()
            {
                return Err(CliError::Invalid(
                    "authentication keys are configured but --auth/AUTH_MODE is not set".into(),
                ));
            }
            return Ok(AuthConfig::None);
        }
        Some(AuthMode::None) => return Ok(AuthConfig::Disabled),
        Some(AuthMode::Hs256) => KeySource::Hs256(
            args.auth_hs256_secret
                .clone()
                .ok_or_else(|| CliError::Invalid("--auth hs256 needs AUTH_HS256_SECRET".into()))?,
        ),
        Some(AuthMode::Jwks) => match (&args.auth_jwks_file, &args.auth_pem_file) {
            (Some(file), None) => KeySource::Jwks(
                std::fs::read_to_string(file)
                    .map_err(|e| CliError::read("AUTH_JWKS_FILE", file, e))?,
            ),
            (None, Some(file)) => KeySource::Pem(
                std::fs::read_to_string(file)
                    .map_err(|e| CliError::read("AUTH_PEM_FILE", file, e))?,
            ),
            _ => {
                return Err(CliError::Invalid(
                    "--auth jwks needs exactly one of AUTH_JWKS_FILE and AUTH_PEM_FILE".into(),
                ));
            }
        },
    };
    if args.auth_audience.is_empty() || args.auth_issuer.is_empty() {
        return Err(CliError::Invalid(
            "bearer authentication needs AUTH_AUDIENCE and AUTH_ISSUER".into(),
        ));
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

impl ServerArgs {
    /// Parses the process's arguments and environment with `product`'s name and defaults;
    /// exits with usage on bad flags, as clap does.
    pub fn parse_for(product: &Product) -> Self {
        let command = Self::command()
            .name(product.name)
            .bin_name(product.name)
            .about(product.about)
            .version(product.version)
            .mut_arg("database_url", |a| a.default_value(product.database_url))
            .mut_arg("base_path", |a| a.default_value(product.base_path));
        let matches = command.get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// The settings the flags describe; key files are read here.
    pub fn settings(&self) -> Result<Settings, CliError> {
        Ok(Settings {
            listen: self.listen.clone(),
            database_url: self.database_url.clone(),
            base_path: self.base_path.clone(),
            public_base_url: self.public_base_url.clone(),
            default_page_size: self.default_page_size,
            max_page_size: self.max_page_size,
            max_body_bytes: self.max_body_bytes,
            max_batch_requests: self.max_batch_requests,
            reader_connections: self.db_readers,
            shutdown_timeout_secs: self.shutdown_timeout_secs,
            auth: auth_config(self)?,
            max_url_bytes: self.max_url_bytes,
            max_expr_depth: self.max_expr_depth,
            max_expr_nodes: self.max_expr_nodes,
            statement_budget: Duration::from_millis(self.statement_budget_ms),
            max_queries_per_caller: self.max_queries_per_caller,
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            trust_forwarded_headers: self.trust_forwarded_headers,
            max_async_jobs_per_tenant: self.max_async_jobs_per_tenant,
            async_job_retention: Duration::from_secs(self.async_job_retention_secs),
        })
    }
}

/// Runs `product`: parses its flags, starts logging, builds the application for `service`
/// and serves until SIGTERM/Ctrl-C.
pub async fn run(
    product: &Product,
    service: Service,
    migrations: impl Into<Migrations<'_>>,
) -> Result<(), RunError> {
    let args = ServerArgs::parse_for(product);
    crate::telemetry::init(args.log_format == LogFormat::Json);
    let settings = args.settings()?;
    let app = Application::build(service, migrations, settings.clone()).await?;
    tracing::info!(
        listen = %settings.listen,
        port = app.port(),
        base = %settings.base_path,
        "{} listening",
        product.name
    );
    app.run_until_stopped().await?;
    tracing::info!("{} stopped", product.name);
    Ok(())
}
