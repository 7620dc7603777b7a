//! Building and running the actix application for a [`Service`].

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use odata_core::csdl::AnnotationPlacement;
use sqlx::migrate::Migrator;

use crate::admission::Admission;
use crate::auth::{AuthConfigError, Authenticator};
use crate::config::{AuthConfig, Settings};
use crate::paging::TokenSealer;
use crate::service::Service;
use crate::sql::schema::Backend;
use crate::store::{Store, StoreError};
use crate::{context, handlers};

/// Shared, read-only state of the running service.
#[derive(Debug)]
pub struct AppState {
    /// The served model and collections.
    pub service: Service,
    /// Database access.
    pub store: Store,
    /// Settings.
    pub settings: Settings,
    /// `/{base}`, stripped from request paths.
    pub(crate) base_prefix: String,
    /// `$metadata` as CSDL XML and CSDL JSON, rendered once per version.
    pub(crate) metadata: Metadata,
    /// Bearer token validation (or none), from `settings.auth`.
    pub(crate) auth: Authenticator,
    /// Per-caller slots for collection queries.
    pub(crate) admission: Admission,
    /// Seals and opens `$skiptoken`s.
    pub(crate) tokens: TokenSealer,
    /// Asynchronous requests and their status monitors, in this instance's memory.
    pub(crate) jobs: crate::jobs::Jobs,
}

/// The `$metadata` documents, rendered at start-up: 4.01 and, for 4.0 clients, 4.0.
#[derive(Debug)]
pub(crate) struct Metadata {
    /// CSDL XML, 4.01.
    pub xml: String,
    /// CSDL JSON, 4.01.
    pub json: String,
    /// CSDL XML, 4.0.
    pub xml_4_0: String,
    /// CSDL JSON, 4.0.
    pub json_4_0: String,
}

impl Metadata {
    fn of(model: &odata_core::edm::Model, placement: AnnotationPlacement) -> Self {
        use odata_core::csdl::{CsdlVersion, to_json_placed, to_xml_placed};
        Self {
            xml: to_xml_placed(model, CsdlVersion::V4_01, placement),
            json: to_json_placed(model, CsdlVersion::V4_01, placement).to_string(),
            xml_4_0: to_xml_placed(model, CsdlVersion::V4_0, placement),
            json_4_0: to_json_placed(model, CsdlVersion::V4_0, placement).to_string(),
        }
    }
}

impl AppState {
    /// Parser limits from the settings.
    pub fn parse_limits(&self) -> odata_core::query::ParseLimits {
        odata_core::query::ParseLimits {
            max_depth: self.settings.max_expr_depth,
            max_nodes: self.settings.max_expr_nodes,
        }
    }

    /// The absolute service root URL for a request, e.g. `http://host:8080/beta`: from
    /// the configured public base URL, else from the `Host` header (and, only when the
    /// settings trust them, the `Forwarded` / `X-Forwarded-*` headers).
    pub fn service_root(&self, req: &HttpRequest) -> String {
        use actix_web::HttpMessage;
        // A request inside a `$batch` has the batch's root, one run by an asynchronous
        // job the root of the request that started it.
        if let Some(root) = req.extensions().get::<handlers::BatchServiceRoot>() {
            return root.0.clone();
        }
        if let Some(base) = &self.settings.public_base_url {
            return format!("{}{}", base.trim_end_matches('/'), self.base_prefix);
        }
        if self.settings.trust_forwarded_headers {
            let info = req.connection_info();
            return format!("{}://{}{}", info.scheme(), info.host(), self.base_prefix);
        }
        let scheme = if req.app_config().secure() {
            "https"
        } else {
            "http"
        };
        let host = req
            .headers()
            .get(actix_web::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map_or_else(|| req.app_config().host().to_owned(), str::to_owned);
        format!("{scheme}://{host}{}", self.base_prefix)
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Database connection or migration failure.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The database's tables do not match the table mapping of the service's collections.
    #[error("{0}")]
    Schema(#[from] crate::sql::schema::SchemaError),
    /// Binding the listen address failed.
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
    /// The authentication settings are unusable.
    #[error("authentication: {0}")]
    Auth(#[from] AuthConfigError),
    /// A non-loopback address without authentication configured.
    #[error(
        "refusing to serve {0} without authentication: configure bearer authentication, \
         listen on a loopback address, or disable authentication explicitly (--auth none)"
    )]
    InsecureListen(std::net::SocketAddr),
    /// The initial data could not be written.
    #[error("initial data: {0}")]
    InitialData(#[from] crate::dataset::DatasetError),
    /// The database URL names a database the service has no migrations for.
    #[error("the service has no migrations for {0:?}; use another DATABASE_URL")]
    NoMigrations(Backend),
}

/// The schema migrations of a service, one set per database it can run on.
///
/// A `&Migrator` alone is a SQLite-only service: `Application::build(service, &MIGRATOR,
/// settings)`.
#[derive(Debug, Clone, Copy)]
pub struct Migrations<'m> {
    /// Migrations for SQLite.
    pub sqlite: &'m Migrator,
    /// Migrations for PostgreSQL (`None`: the service does not run on PostgreSQL).
    pub postgres: Option<&'m Migrator>,
}

impl<'m> From<&'m Migrator> for Migrations<'m> {
    fn from(sqlite: &'m Migrator) -> Self {
        Self {
            sqlite,
            postgres: None,
        }
    }
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    store: Store,
}

impl Application {
    /// Connects the database, runs migrations, binds the listener and builds the server.
    pub async fn build(
        service: Service,
        migrations: impl Into<Migrations<'_>>,
        settings: Settings,
    ) -> Result<Self, StartError> {
        let auth = Authenticator::new(&settings.auth)?;
        let listener = TcpListener::bind(&settings.listen)?;
        let local = listener.local_addr()?;
        check_listen_security(&settings.auth, local)?;
        if !settings.auth.is_off()
            && service
                .collections()
                .iter()
                .any(|c| c.permissions.is_none())
        {
            tracing::warn!("collections without declared permissions are closed to every caller");
        }
        let store = Store::connect(
            &settings.database_url,
            settings.reader_connections,
            settings.statement_budget,
        )
        .await?;
        let migrations = migrations.into();
        let postgres = match store.backend() {
            Backend::Postgres => migrations
                .postgres
                .ok_or(StartError::NoMigrations(Backend::Postgres))?,
            Backend::Sqlite => migrations.sqlite,
        };
        store.migrate(migrations.sqlite, postgres).await?;
        store.verify_schema(&service).await?;
        if service.collections().iter().any(|c| c.table.track_changes) {
            store.prepare_change_log().await?;
        }
        for collection in service.collections() {
            let table = &collection.table;
            if !table.range_counts.is_empty() || !table.trigram_indexes.is_empty() {
                store.prepare_derived(table).await?;
            }
        }
        if let Some(dataset) = service.initial_data()
            && crate::dataset::load_if_empty(&service, &store, "", dataset).await?
        {
            tracing::info!("initial data written into the empty store");
        }
        let tokens = TokenSealer::new(&store.token_key().await?);
        let port = local.port();
        // `/beta` for the base path `beta`; empty when the service root is the listener's root.
        let base_prefix = match settings.base_path.trim_matches('/') {
            "" => String::new(),
            base => format!("/{base}"),
        };
        // `$metadata` states the service's capabilities besides its model.
        let described = crate::capabilities::annotated_model(&service);
        let state = web::Data::new(AppState {
            metadata: Metadata::of(&described, service.metadata_style().placement),
            service,
            store: store.clone(),
            base_prefix: base_prefix.clone(),
            admission: Admission::new(settings.max_queries_per_caller),
            tokens,
            jobs: crate::jobs::Jobs::new(
                settings.max_async_jobs_per_tenant,
                settings.async_job_retention,
            ),
            settings: settings.clone(),
            auth,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(context::middleware))
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .service(web::scope(&base_prefix).default_service(web::to(handlers::odata)))
                .default_service(web::to(handlers::not_found))
        })
        .listen(listener)?
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(30))
        // A client that closes its side has given up: drop its request, so the statement
        // it started is interrupted (see `store::budget`) instead of running for nobody.
        .h1_allow_half_closed(false)
        .run();
        Ok(Self {
            port,
            server,
            store,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT (in-flight requests finish), then closes the database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.store.close().await;
        result
    }
}

/// The secure default: without authentication configured only loopback addresses are served;
/// `--auth none` ([`AuthConfig::Disabled`]) is the explicit opt-out. Both log a warning.
fn check_listen_security(auth: &AuthConfig, local: std::net::SocketAddr) -> Result<(), StartError> {
    match auth {
        AuthConfig::Bearer(_) => Ok(()),
        AuthConfig::Disabled => {
            tracing::warn!(
                listen = %local,
                "authentication is disabled (--auth none): every caller can read and change every row"
            );
            Ok(())
        }
        AuthConfig::None if local.ip().is_loopback() => {
            tracing::warn!(
                listen = %local,
                "authentication is not configured: serving without authentication, on loopback only"
            );
            Ok(())
        }
        AuthConfig::None => Err(StartError::InsecureListen(local)),
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.store.ping().await {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(r#"{"status":"ready"}"#)
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("application/json")
            .body(r#"{"status":"database unavailable"}"#)
    }
}
