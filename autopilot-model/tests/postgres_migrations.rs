//! The PostgreSQL migrations against a real server: `POSTGRES_MIGRATOR` run twice at once
//! (sqlx's advisory lock lets exactly one apply each migration), then the schema compared
//! with the SQLite migration it mirrors.
//!
//! The server comes from `ODATA_TEST_POSTGRES_URL`, which `bash tests/run-all.sh` sets after
//! starting a private cluster. Without it the test fails when `CI` or
//! `ODATA_REQUIRE_POSTGRES` is set, and otherwise prints a notice and returns, so that a
//! plain `cargo test` still passes on a machine without PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use autopilot_model::service::{MIGRATOR, POSTGRES_MIGRATOR};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The server to test against, or `None` when the test may be skipped.
fn postgres_url() -> Option<String> {
    match std::env::var("ODATA_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let required = ["CI", "ODATA_REQUIRE_POSTGRES"].iter().any(|name| {
                std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
            });
            assert!(
                !required,
                "ODATA_TEST_POSTGRES_URL is not set but CI or ODATA_REQUIRE_POSTGRES is: \
                 run `bash tests/run-all.sh`, which starts a private PostgreSQL cluster"
            );
            eprintln!(
                "postgres_migrations: ODATA_TEST_POSTGRES_URL not set, not testing PostgreSQL \
                 (bash tests/run-all.sh sets it)"
            );
            None
        }
    }
}

/// A database name of this run alone.
fn fresh_database_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("odata_{}_{:x}", std::process::id(), nanos)
}

/// A column of the SQLite migration: name, SQLite type, NOT NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SqliteColumn {
    name: String,
    ty: String,
    not_null: bool,
}

/// Table name -> columns in order.
type SqliteTables = BTreeMap<String, Vec<SqliteColumn>>;
/// Index name -> (table, columns in order).
type SqliteIndexes = BTreeMap<String, (String, Vec<String>)>;
/// A row of information_schema.columns: table, column, data type, nullable, default,
/// collation.
type ColumnRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The tables (with their columns in order) and the indexes (table, columns) of the SQLite
/// migration. The file is written one column per line, so a line scan reads it.
fn sqlite_schema() -> (SqliteTables, SqliteIndexes) {
    fn quoted(s: &str) -> Vec<String> {
        s.split('"').skip(1).step_by(2).map(str::to_owned).collect()
    }
    let mut tables = SqliteTables::new();
    let mut indexes = SqliteIndexes::new();
    let mut current: Option<String> = None;
    // Every SQLite migration the PostgreSQL ones mirror, in the order they run.
    for line in MIGRATOR.iter().flat_map(|m| m.sql.as_str().lines()) {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("DROP INDEX ") {
            indexes.remove(&quoted(rest).remove(0));
        } else if let Some(rest) = trimmed.strip_prefix("CREATE TABLE ") {
            let name = quoted(rest).remove(0);
            tables.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if trimmed.starts_with(");") {
            current = None;
        } else if let Some(rest) = trimmed.strip_prefix("CREATE INDEX ") {
            let mut names = quoted(rest);
            let index = names.remove(0);
            let table = names.remove(0);
            indexes.insert(index, (table, names));
        } else if let (Some(table), true) = (&current, trimmed.starts_with('"')) {
            let name = quoted(trimmed).remove(0);
            let after = trimmed[name.len() + 2..].trim_start();
            let ty = after
                .split([' ', ','])
                .next()
                .unwrap_or_default()
                .to_owned();
            let not_null = after.contains("NOT NULL");
            if let Some(columns) = tables.get_mut(table) {
                columns.push(SqliteColumn { name, ty, not_null });
            }
        }
    }
    (tables, indexes)
}

/// The PostgreSQL type of each SQLite type (the mapping the storage code uses as well).
fn mapped_type(sqlite: &str) -> &'static str {
    match sqlite {
        "TEXT" => "text",
        "INTEGER" => "bigint",
        "REAL" => "double precision",
        "BLOB" => "bytea",
        other => panic!("unexpected SQLite type {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_apply_once_and_mirror_the_sqlite_schema() -> TestResult {
    let Some(url) = postgres_url() else {
        return Ok(());
    };
    let admin_options = PgConnectOptions::from_str(&url)?;
    let database = fresh_database_name();

    // A database of this run alone. ICU's en-US collation as its default (when the server has
    // ICU) makes the ordering check below meaningful: only COLLATE "C" orders "B" before "a".
    let mut admin = admin_options.connect().await?;
    let icu = format!(
        "CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8' \
         LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
    );
    if let Err(error) = sqlx::raw_sql(AssertSqlSafe(icu)).execute(&mut admin).await {
        eprintln!("postgres_migrations: no ICU database ({error}), using the default collation");
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{database}\"")))
            .execute(&mut admin)
            .await?;
    }

    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(admin_options.clone().database(&database))
        .await?;
    let outcome = check_database(&pool).await;
    pool.close().await;

    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE \"{database}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    admin.close().await?;
    outcome
}

async fn check_database(pool: &PgPool) -> TestResult {
    // Two migrators at once, each on its own connection: both succeed, one applies.
    let first = tokio::spawn({
        let pool = pool.clone();
        async move { POSTGRES_MIGRATOR.run(&pool).await }
    });
    let second = tokio::spawn({
        let pool = pool.clone();
        async move { POSTGRES_MIGRATOR.run(&pool).await }
    });
    let (first, second) = (first.await?, second.await?);
    assert!(first.is_ok(), "first concurrent migrator: {first:?}");
    assert!(second.is_ok(), "second concurrent migrator: {second:?}");
    // And again afterwards: nothing left to do.
    POSTGRES_MIGRATOR.run(pool).await?;

    let expected_versions: Vec<i64> = POSTGRES_MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .collect();
    assert!(!expected_versions.is_empty(), "no PostgreSQL migration");
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await?;
    assert_eq!(
        applied,
        expected_versions
            .iter()
            .map(|v| (*v, true))
            .collect::<Vec<_>>(),
        "exactly one successful row per migration"
    );

    check_columns(pool).await?;
    check_indexes(pool).await?;
    check_ordering(pool).await?;
    Ok(())
}

/// Every table and column of the SQLite migration, with the mapped type, nullability,
/// defaults and collation "C" on text; one table also against a hard-coded expectation.
async fn check_columns(pool: &PgPool) -> TestResult {
    let rows: Vec<ColumnRow> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, \
                    column_default::text, collation_name::text \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
             ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await?;
    let mut actual: BTreeMap<String, Vec<(String, String, bool)>> = BTreeMap::new();
    for (table, column, data_type, nullable, default, collation) in &rows {
        if data_type == "text" {
            assert_eq!(
                collation.as_deref(),
                Some("C"),
                "{table}.{column} must be COLLATE \"C\""
            );
        }
        match column.as_str() {
            "_tenant" => assert_eq!(default.as_deref(), Some("''::text"), "{table}._tenant"),
            "_version" => assert_eq!(default.as_deref(), Some("1"), "{table}._version"),
            _ => {}
        }
        actual.entry(table.clone()).or_default().push((
            column.clone(),
            data_type.clone(),
            nullable == "NO",
        ));
    }

    // Hard-coded: guards the line scan of the SQLite file as much as the migration.
    let policy_status_details: Vec<(String, String, bool)> = [
        ("_tenant", "text", true),
        ("id", "text", true),
        ("_type", "text", true),
        ("_version", "bigint", true),
        ("_parent", "text", true),
        ("complianceStatus", "bigint", false),
        ("displayName", "text", false),
        ("errorCode", "bigint", false),
        ("lastReportedDateTime", "text", false),
        ("lastReportedDateTime__utc", "bigint", false),
        ("policyType", "bigint", false),
        ("trackedOnEnrollmentStatus", "bigint", false),
    ]
    .iter()
    .map(|(c, t, n)| ((*c).to_owned(), (*t).to_owned(), *n))
    .collect();
    assert_eq!(
        actual.get("autopilot_policy_status_details"),
        Some(&policy_status_details)
    );
    let counts: BTreeMap<&str, usize> = actual.iter().map(|(t, c)| (t.as_str(), c.len())).collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("autopilot_events", 36),
            ("autopilot_policy_status_details", 12),
            ("deployment_profile_assignments", 8),
            ("deployment_profiles", 24),
            ("device_identities", 36),
        ])
    );

    // All of the SQLite migration, column by column and in order.
    let (sqlite_tables, _) = sqlite_schema();
    let expected: BTreeMap<String, Vec<(String, String, bool)>> = sqlite_tables
        .into_iter()
        .map(|(table, columns)| {
            let columns = columns
                .into_iter()
                .map(|c| (c.name, mapped_type(&c.ty).to_owned(), c.not_null))
                .collect();
            (table, columns)
        })
        .collect();
    assert_eq!(actual, expected);
    Ok(())
}

/// The same index names on the same column lists, and the primary key ("_tenant", "id").
async fn check_indexes(pool: &PgPool) -> TestResult {
    let rows: Vec<(String, String, bool, Vec<String>)> = sqlx::query_as(
        "SELECT i.relname::text, t.relname::text, x.indisprimary, \
                array_agg(a.attname::text ORDER BY k.ord) \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations' \
         GROUP BY i.relname, t.relname, x.indisprimary",
    )
    .fetch_all(pool)
    .await?;
    let mut secondary = BTreeMap::new();
    let mut primary = BTreeSet::new();
    for (index, table, is_primary, columns) in rows {
        if is_primary {
            assert_eq!(columns, ["_tenant", "id"], "primary key of {table}");
            primary.insert(table);
        } else {
            secondary.insert(index, (table, columns));
        }
    }
    let (sqlite_tables, sqlite_indexes) = sqlite_schema();
    assert_eq!(
        primary,
        sqlite_tables.into_keys().collect::<BTreeSet<_>>(),
        "every table has its primary key"
    );
    assert_eq!(sqlite_indexes.len(), 20, "indexes of the SQLite migrations");
    assert_eq!(secondary, sqlite_indexes);
    Ok(())
}

/// Text orders by code point, as in SQLite: "B" < "Z" < "_" < "a" < "b" < "é".
async fn check_ordering(pool: &PgPool) -> TestResult {
    let mut tx = pool.begin().await?;
    for (id, serial) in [
        ("1", "b"),
        ("2", "é"),
        ("3", "_"),
        ("4", "Z"),
        ("5", "a"),
        ("6", "B"),
    ] {
        sqlx::query(
            "INSERT INTO \"autopilot_events\" (\"id\", \"_type\", \"deviceSerialNumber\") \
             VALUES ($1, '#microsoft.graph.deviceManagementAutopilotEvent', $2)",
        )
        .bind(id)
        .bind(serial)
        .execute(&mut *tx)
        .await?;
    }
    let ordered: Vec<String> = sqlx::query_scalar(
        "SELECT \"deviceSerialNumber\" FROM \"autopilot_events\" \
         WHERE \"_tenant\" = '' ORDER BY \"deviceSerialNumber\", \"id\"",
    )
    .fetch_all(&mut *tx)
    .await?;
    assert_eq!(ordered, ["B", "Z", "_", "a", "b", "é"]);
    let below: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM \"autopilot_events\" WHERE \"deviceSerialNumber\" < 'a'",
    )
    .fetch_one(&mut *tx)
    .await?;
    assert_eq!(below, 3, "B, Z and _ sort before a");
    tx.rollback().await?;
    Ok(())
}
