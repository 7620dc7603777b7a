//! Bound parameter values of generated SQL.

use sqlx::Arguments;
use sqlx::sqlite::SqliteArguments;

/// One bound parameter of a generated SQL fragment, in SQLite's storage classes.
///
/// Every value that comes from a request (literals, JSON paths, type names, search terms)
/// reaches the database as one of these; none is ever written into SQL text.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    /// SQL `NULL`.
    Null,
    /// An INTEGER.
    Integer(i64),
    /// A REAL.
    Real(f64),
    /// A TEXT.
    Text(String),
    /// A BLOB (BYTEA).
    Blob(Vec<u8>),
    /// An exact decimal, as its canonical text: bound as text, a PostgreSQL NUMERIC in
    /// the statement (a sort key of a Decimal `$orderby` in a `$skiptoken`).
    Decimal(String),
}

impl SqlParam {
    /// Appends the value to `args`, for the next `?` placeholder.
    pub fn bind(&self, args: &mut SqliteArguments) -> Result<(), sqlx::error::BoxDynError> {
        match self {
            SqlParam::Null => args.add(None::<i64>),
            SqlParam::Integer(i) => args.add(*i),
            SqlParam::Real(r) => args.add(*r),
            SqlParam::Text(s) | SqlParam::Decimal(s) => args.add(s.clone()),
            SqlParam::Blob(b) => args.add(b.clone()),
        }
    }
}

impl SqlParam {
    /// Appends the value to PostgreSQL arguments, for the next `$n` placeholder. A null is
    /// bound as a null TEXT; statements cast it where a column of another type takes it.
    pub fn bind_postgres(
        &self,
        args: &mut sqlx::postgres::PgArguments,
    ) -> Result<(), sqlx::error::BoxDynError> {
        match self {
            SqlParam::Null => args.add(None::<String>),
            SqlParam::Integer(i) => args.add(*i),
            SqlParam::Real(r) => args.add(*r),
            SqlParam::Text(s) | SqlParam::Decimal(s) => args.add(s.clone()),
            SqlParam::Blob(b) => args.add(b.clone()),
        }
    }
}

/// Binds the value for rusqlite (SQLite's scan readers), borrowed: no copy of a text or
/// blob.
impl rusqlite::ToSql for SqlParam {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ValueRef;
        Ok(rusqlite::types::ToSqlOutput::Borrowed(match self {
            SqlParam::Null => ValueRef::Null,
            SqlParam::Integer(i) => ValueRef::Integer(*i),
            SqlParam::Real(r) => ValueRef::Real(*r),
            SqlParam::Text(s) | SqlParam::Decimal(s) => ValueRef::Text(s.as_bytes()),
            SqlParam::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl From<&str> for SqlParam {
    fn from(s: &str) -> Self {
        SqlParam::Text(s.to_owned())
    }
}

impl From<String> for SqlParam {
    fn from(s: String) -> Self {
        SqlParam::Text(s)
    }
}

impl From<i64> for SqlParam {
    fn from(i: i64) -> Self {
        SqlParam::Integer(i)
    }
}
