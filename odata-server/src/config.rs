//! Service settings. The binary fills them from flags and environment variables.

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
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Reader connections in the pool (there is always exactly one writer).
    pub reader_connections: u32,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
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
            reader_connections: 4,
            shutdown_timeout_secs: 30,
        }
    }
}
