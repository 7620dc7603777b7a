//! `autopilot-server`: the Microsoft Graph (beta) compatible Windows Autopilot service.

use anyhow::Context;
use clap::{Parser, ValueEnum};
use odata_server::app::Application;
use odata_server::config::Settings;

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
    /// sqlx database URL (SQLite).
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
    /// Reader connections to the database.
    #[arg(long, env = "DB_READERS", default_value_t = 4)]
    db_readers: u32,
    /// Seconds in-flight requests get to finish on SIGTERM.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    shutdown_timeout_secs: u64,
    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    odata_server::telemetry::init(matches!(args.log_format, LogFormat::Json));
    let settings = Settings {
        listen: args.listen,
        database_url: args.database_url,
        base_path: args.base_path,
        public_base_url: args.public_base_url,
        default_page_size: args.default_page_size,
        max_page_size: args.max_page_size,
        max_body_bytes: args.max_body_bytes,
        reader_connections: args.db_readers,
        shutdown_timeout_secs: args.shutdown_timeout_secs,
    };
    let app = Application::build(
        autopilot_model::service::service(),
        &autopilot_model::service::MIGRATOR,
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
