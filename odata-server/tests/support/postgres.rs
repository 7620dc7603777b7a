//! A fresh database on the test PostgreSQL server, for the test binaries that include this
//! file (`#[path = "support/postgres.rs"] mod postgres;`) and the acceptance-test crate.

use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

/// A fresh, empty database on the test PostgreSQL server (`ODATA_TEST_POSTGRES_URL`, which
/// `tests/run-all.sh` starts); `None` when no server is configured. Under
/// `ODATA_REQUIRE_POSTGRES` or in CI a missing server fails the test instead of skipping
/// it. The database is dropped with the value: a run creates hundreds, and kept they filled
/// gigabytes of the cluster's disk.
pub async fn fresh_database() -> Option<FreshDatabase> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let Ok(url) = std::env::var("ODATA_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("ODATA_REQUIRE_POSTGRES").is_none()
                && std::env::var_os("CI").is_none(),
            "ODATA_TEST_POSTGRES_URL is not set; run the tests with bash tests/run-all.sh"
        );
        eprintln!("ODATA_TEST_POSTGRES_URL is not set: PostgreSQL test skipped");
        return None;
    };
    let server: sqlx::postgres::PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    let mut admin = server.connect().await.expect("the test PostgreSQL server");
    let name = format!(
        "odata_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    admin.close().await.expect("close");
    let (base, _) = url.rsplit_once('/').expect("a URL with a database name");
    Some(FreshDatabase {
        url: format!("{base}/{name}"),
        server,
        name,
    })
}

/// A database of [`fresh_database`], dropped (with the connections still open to it) when
/// this value is.
pub struct FreshDatabase {
    url: String,
    server: sqlx::postgres::PgConnectOptions,
    name: String,
}

impl FreshDatabase {
    /// The URL to connect to the database with.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let server = self.server.clone();
        let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // On a runtime of its own: the test's runtime may have a single thread, busy here.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let mut admin = server.connect().await?;
                sqlx::raw_sql(AssertSqlSafe(drop))
                    .execute(&mut admin)
                    .await?;
                admin.close().await
            })
        });
        // A database left behind costs disk space, not a result: a test does not fail here.
        if let Ok(Err(e)) = dropped.join() {
            eprintln!("test database {} not dropped: {e}", self.name);
        }
    }
}
