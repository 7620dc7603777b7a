//! A fresh database on the test PostgreSQL server, for the test binaries that include this
//! file (`#[path = "support/postgres.rs"] mod postgres;`) and the acceptance-test crate.

use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

/// A fresh, empty database on the test PostgreSQL server (`ODATA_TEST_POSTGRES_URL`, which
/// `tests/run-all.sh` starts) and its URL; `None` when no server is configured. Under
/// `ODATA_REQUIRE_POSTGRES` or in CI a missing server fails the test instead of skipping
/// it.
pub async fn fresh_database() -> Option<String> {
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
    let options: sqlx::postgres::PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    let mut admin = options.connect().await.expect("the test PostgreSQL server");
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
    Some(format!("{base}/{name}"))
}
