//! Storage of entities in SQLite through sqlx: one writer connection, a pool of readers,
//! every write one transaction, every value a bound parameter.

pub(crate) mod codec;
pub mod table;

use std::str::FromStr;
use std::time::Duration as StdDuration;

use odata_core::error::ODataError;
use odata_core::value::Value;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Arguments, AssertSqlSafe, Row};

use table::{Table, quote};

/// A storage failure, mapped to an OData error in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No entity with that key (in the caller's tenant).
    #[error("not found")]
    NotFound,
    /// An entity with that key already exists.
    #[error("duplicate key")]
    Duplicate,
    /// `If-Match` did not match the stored version.
    #[error("version mismatch")]
    VersionMismatch,
    /// The update function rejected the change.
    #[error(transparent)]
    Rejected(ODataError),
    /// A stored value that does not decode (never caused by a request).
    #[error("stored value of '{column}' is invalid: {reason}")]
    Corrupt {
        /// Column.
        column: String,
        /// Why.
        reason: String,
    },
    /// A parameter that could not be encoded.
    #[error("bind: {0}")]
    Bind(sqlx::error::BoxDynError),
    /// Any database failure.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// An entity as stored: its concrete type, version and one value per table column.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntity {
    /// Qualified concrete type name.
    pub type_name: String,
    /// Version, incremented by every write (the ETag).
    pub version: i64,
    /// Values aligned with `Table::columns`.
    pub values: Vec<Value>,
}

/// Connection pools to one SQLite database.
#[derive(Debug, Clone)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database: WAL, `synchronous=FULL` so an acknowledged
    /// write survives power loss, a busy timeout so writers queue instead of failing, foreign
    /// keys on. One writer connection; `readers` reader connections.
    pub async fn connect(url: &str, readers: u32) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(StdDuration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(readers.max(1))
                .connect_with(options.read_only(true))
                .await?
        };
        Ok(Self { writer, reader })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self, migrator: &sqlx::migrate::Migrator) -> Result<(), StoreError> {
        migrator.run(&self.writer).await?;
        Ok(())
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.reader).await.is_ok()
    }

    /// Closes both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// One entity by key.
    pub async fn get(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
    ) -> Result<Option<StoredEntity>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE \"_tenant\" = ?{}",
            table.select_list,
            quote(&table.name),
            key_clause(table)
        );
        let args = key_args(table, tenant, key)?;
        let row = sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| decode_row(table, &r)).transpose()
    }

    /// A page of entities in key order.
    pub async fn list(
        &self,
        table: &Table,
        tenant: &str,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<StoredEntity>, StoreError> {
        let order = table
            .key
            .iter()
            .map(|&i| quote(&table.columns[i].property.name))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT {} FROM {} WHERE \"_tenant\" = ? ORDER BY {order} LIMIT ? OFFSET ?",
            table.select_list,
            quote(&table.name)
        );
        let mut args = SqliteArguments::default();
        args.add(tenant.to_owned()).map_err(StoreError::Bind)?;
        args.add(i64::from(limit)).map_err(StoreError::Bind)?;
        args.add(i64::try_from(offset).unwrap_or(i64::MAX))
            .map_err(StoreError::Bind)?;
        let rows = sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| decode_row(table, r)).collect()
    }

    /// Number of entities in the tenant.
    pub async fn count(&self, table: &Table, tenant: &str) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE \"_tenant\" = ?",
            quote(&table.name)
        );
        let mut args = SqliteArguments::default();
        args.add(tenant.to_owned()).map_err(StoreError::Bind)?;
        let row = sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Inserts a new entity; [`StoreError::Duplicate`] when the key exists.
    pub async fn insert(
        &self,
        table: &Table,
        tenant: &str,
        type_name: &str,
        values: &[Value],
    ) -> Result<StoredEntity, StoreError> {
        let placeholders = vec!["?"; table.write_columns.len()].join(",");
        let sql = format!(
            "INSERT INTO {} (\"_tenant\",\"_type\",\"_version\",{}) VALUES (?,?,1,{placeholders})",
            quote(&table.name),
            table.write_columns.join(",")
        );
        let mut args = SqliteArguments::default();
        args.add(tenant.to_owned()).map_err(StoreError::Bind)?;
        args.add(type_name.to_owned()).map_err(StoreError::Bind)?;
        for (column, value) in table.columns.iter().zip(values) {
            codec::bind(&mut args, column, value)?;
        }
        let mut tx = self.writer.begin().await?;
        match sqlx::query_with(AssertSqlSafe(sql), args)
            .execute(&mut *tx)
            .await
        {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Duplicate);
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(StoredEntity {
            type_name: type_name.to_owned(),
            version: 1,
            values: values.to_vec(),
        })
    }

    /// Reads the entity, lets `change` compute its new values, and writes them, all in one
    /// transaction. `if_match` is the version the caller expects (ETag precondition).
    pub async fn update<F>(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
        if_match: Option<i64>,
        change: F,
    ) -> Result<StoredEntity, StoreError>
    where
        F: FnOnce(&StoredEntity) -> Result<Vec<Value>, ODataError>,
    {
        let mut tx = self.writer.begin().await?;
        let select = format!(
            "SELECT {} FROM {} WHERE \"_tenant\" = ?{}",
            table.select_list,
            quote(&table.name),
            key_clause(table)
        );
        let row = sqlx::query_with(AssertSqlSafe(select), key_args(table, tenant, key)?)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let current = decode_row(table, &row)?;
        if if_match.is_some_and(|v| v != current.version) {
            return Err(StoreError::VersionMismatch);
        }
        let values = change(&current).map_err(StoreError::Rejected)?;
        let assignments = table
            .write_columns
            .iter()
            .map(|c| format!("{c}=?"))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "UPDATE {} SET \"_version\"=\"_version\"+1,{assignments} WHERE \"_tenant\" = ?{}",
            quote(&table.name),
            key_clause(table)
        );
        let mut args = SqliteArguments::default();
        for (column, value) in table.columns.iter().zip(&values) {
            codec::bind(&mut args, column, value)?;
        }
        args.add(tenant.to_owned()).map_err(StoreError::Bind)?;
        for (&i, value) in table.key.iter().zip(key) {
            codec::bind(&mut args, &table.columns[i], value)?;
        }
        sqlx::query_with(AssertSqlSafe(sql), args)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(StoredEntity {
            type_name: current.type_name,
            version: current.version + 1,
            values,
        })
    }

    /// Deletes the entity; [`StoreError::NotFound`] or [`StoreError::VersionMismatch`].
    pub async fn delete(
        &self,
        table: &Table,
        tenant: &str,
        key: &[Value],
        if_match: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let select = format!(
            "SELECT \"_version\" FROM {} WHERE \"_tenant\" = ?{}",
            quote(&table.name),
            key_clause(table)
        );
        let version: i64 = sqlx::query_with(AssertSqlSafe(select), key_args(table, tenant, key)?)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get(0)?;
        if if_match.is_some_and(|v| v != version) {
            return Err(StoreError::VersionMismatch);
        }
        let sql = format!(
            "DELETE FROM {} WHERE \"_tenant\" = ?{}",
            quote(&table.name),
            key_clause(table)
        );
        sqlx::query_with(AssertSqlSafe(sql), key_args(table, tenant, key)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// ` AND "k1" = ? AND "k2" = ?` for the key columns.
fn key_clause(table: &Table) -> String {
    table
        .key
        .iter()
        .map(|&i| format!(" AND {} = ?", quote(&table.columns[i].property.name)))
        .collect()
}

fn key_args(table: &Table, tenant: &str, key: &[Value]) -> Result<SqliteArguments, StoreError> {
    let mut args = SqliteArguments::default();
    args.add(tenant.to_owned()).map_err(StoreError::Bind)?;
    for (&i, value) in table.key.iter().zip(key) {
        codec::bind(&mut args, &table.columns[i], value)?;
    }
    Ok(args)
}

fn decode_row(table: &Table, row: &SqliteRow) -> Result<StoredEntity, StoreError> {
    let values = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| codec::decode(row, i + 2, &c.property))
        .collect::<Result<_, _>>()?;
    Ok(StoredEntity {
        type_name: row.try_get(0)?,
        version: row.try_get(1)?,
        values,
    })
}
