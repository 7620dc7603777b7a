//! Converting property values to bound parameters and result columns back to values.

use odata_core::edm::{PrimitiveKind, Property, TypeKind};
use odata_core::value::{
    Date, DateTimeOffset, Duration, Geo, TimeOfDay, Value, decimal_text, parse_decimal,
};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, TypeInfo, ValueRef};

use crate::sql::SqlParam;

use super::StoreError;
use super::page_row::CellRef;
use super::table::{Column, ColumnKind};

/// The parameter(s) of one column's value: two for a DateTimeOffset (text as sent, UTC
/// ticks), one otherwise.
pub(crate) fn params(column: &Column, value: &Value) -> Vec<SqlParam> {
    let one = match value {
        Value::Null => {
            return match column.kind {
                ColumnKind::DateTimeOffset => vec![SqlParam::Null, SqlParam::Null],
                _ => vec![SqlParam::Null],
            };
        }
        Value::Boolean(b) => SqlParam::Integer(i64::from(*b)),
        Value::Int(i) | Value::Enum(i) => SqlParam::Integer(*i),
        Value::Double(d) => SqlParam::Real(*d),
        Value::Decimal(d) => SqlParam::Text(decimal_text(d)),
        Value::Binary(b) => SqlParam::Blob(b.clone()),
        Value::String(s) => SqlParam::Text(s.clone()),
        Value::Guid(g) => SqlParam::Text(g.hyphenated().to_string()),
        Value::Date(d) => SqlParam::Text(d.to_string()),
        Value::TimeOfDay(t) => SqlParam::Integer(t.ticks()),
        Value::Duration(d) => SqlParam::Integer(d.ticks()),
        Value::DateTimeOffset(d) => {
            return vec![
                SqlParam::Text(d.as_str().to_owned()),
                SqlParam::Integer(d.utc_ticks()),
            ];
        }
        Value::Json(j) => SqlParam::Text(j.to_string()),
        Value::Geo(g) => SqlParam::Text(g.to_geojson().to_string()),
    };
    vec![one]
}

/// Reading the cells of a result row, whatever the database: the few column types the
/// table mapping uses.
pub(crate) trait Cells {
    /// Cell `index` as the database gave it, borrowed from the row.
    fn cell(&self, index: usize) -> Result<CellRef<'_>, sqlx::Error>;
    /// An INTEGER / BIGINT cell.
    fn int(&self, index: usize) -> Result<Option<i64>, sqlx::Error>;
    /// A REAL / DOUBLE PRECISION cell.
    fn real(&self, index: usize) -> Result<Option<f64>, sqlx::Error>;
    /// A TEXT cell.
    fn text(&self, index: usize) -> Result<Option<String>, sqlx::Error>;
    /// A BLOB / BYTEA cell.
    fn blob(&self, index: usize) -> Result<Option<Vec<u8>>, sqlx::Error>;
    /// A cell as a parameter value, by its database type (sort keys for `$skiptoken`).
    fn param(&self, index: usize) -> Result<SqlParam, sqlx::Error>;
    /// The number of cells.
    fn width(&self) -> usize;
}

impl Cells for SqliteRow {
    fn width(&self) -> usize {
        self.len()
    }

    fn cell(&self, index: usize) -> Result<CellRef<'_>, sqlx::Error> {
        let raw = self.try_get_raw(index)?;
        if raw.is_null() {
            return Ok(CellRef::Null);
        }
        // SQLite's storage class of this very value.
        Ok(match raw.type_info().name() {
            "INTEGER" | "BOOLEAN" => CellRef::Integer(self.try_get(index)?),
            "REAL" => CellRef::Real(self.try_get(index)?),
            "BLOB" => CellRef::Blob(self.try_get(index)?),
            _ => CellRef::Text(self.try_get(index)?),
        })
    }

    fn int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(index)
    }

    fn real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
        self.try_get(index)
    }

    fn text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
        self.try_get(index)
    }

    fn blob(&self, index: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.try_get(index)
    }

    fn param(&self, index: usize) -> Result<SqlParam, sqlx::Error> {
        Ok(self.cell(index)?.to_param())
    }
}

/// A row of SQLite's scan readers ([`super::sqlite_scan`]), read in place.
impl Cells for rusqlite::Row<'_> {
    fn width(&self) -> usize {
        self.as_ref().column_count()
    }

    fn int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
        self.get(index).map_err(scan_cell)
    }

    fn real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
        self.get(index).map_err(scan_cell)
    }

    fn text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
        self.get(index).map_err(scan_cell)
    }

    fn blob(&self, index: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.get(index).map_err(scan_cell)
    }

    /// Borrowed from SQLite's memory.
    fn cell(&self, index: usize) -> Result<CellRef<'_>, sqlx::Error> {
        use rusqlite::types::ValueRef as Cell;
        Ok(match self.get_ref(index).map_err(scan_cell)? {
            Cell::Null => CellRef::Null,
            Cell::Integer(i) => CellRef::Integer(i),
            Cell::Real(r) => CellRef::Real(r),
            Cell::Text(t) => {
                CellRef::Text(std::str::from_utf8(t).map_err(|e| sqlx::Error::Decode(Box::new(e)))?)
            }
            Cell::Blob(b) => CellRef::Blob(b),
        })
    }

    fn param(&self, index: usize) -> Result<SqlParam, sqlx::Error> {
        Ok(self.cell(index)?.to_param())
    }
}

/// A cell of a scan reader's row that does not decode as asked.
fn scan_cell(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

impl Cells for PgRow {
    fn width(&self) -> usize {
        self.len()
    }

    /// A NUMERIC cell (an Edm.Decimal expression) is only read as a parameter. sqlx
    /// decodes each integer width only into its own Rust type (`length(…)` is INT4).
    fn cell(&self, index: usize) -> Result<CellRef<'_>, sqlx::Error> {
        let raw = self.try_get_raw(index)?;
        if raw.is_null() {
            return Ok(CellRef::Null);
        }
        Ok(match raw.type_info().name() {
            "INT8" => CellRef::Integer(self.try_get(index)?),
            "INT4" => CellRef::Integer(i64::from(self.try_get::<i32, _>(index)?)),
            "INT2" => CellRef::Integer(i64::from(self.try_get::<i16, _>(index)?)),
            "FLOAT8" => CellRef::Real(self.try_get(index)?),
            "FLOAT4" => CellRef::Real(f64::from(self.try_get::<f32, _>(index)?)),
            "BYTEA" => CellRef::Blob(self.try_get(index)?),
            "NUMERIC" => {
                return Err(sqlx::Error::Decode(
                    "a NUMERIC cell is read as a parameter".into(),
                ));
            }
            _ => CellRef::Text(self.try_get(index)?),
        })
    }

    fn int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(index)
    }

    fn real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
        self.try_get(index)
    }

    fn text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
        self.try_get(index)
    }

    fn blob(&self, index: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        self.try_get(index)
    }

    fn param(&self, index: usize) -> Result<SqlParam, sqlx::Error> {
        let raw = self.try_get_raw(index)?;
        if raw.is_null() {
            return Ok(SqlParam::Null);
        }
        // The column's declared type (the mapping uses four), or NUMERIC: Edm.Decimal
        // expressions.
        match raw.type_info().name() {
            "NUMERIC" => Ok(SqlParam::Decimal(decimal_text(&self.try_get(index)?))),
            _ => Ok(self.cell(index)?.to_param()),
        }
    }
}

/// Decodes column `index` of `row` as the value of `property`.
pub(crate) fn decode(
    row: &(impl Cells + ?Sized),
    index: usize,
    property: &Property,
) -> Result<Value, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        column: property.name.clone(),
        reason,
    };
    let t = &property.type_ref;
    if t.collection {
        return json(row, index, property);
    }
    Ok(match t.kind {
        TypeKind::Complex(_) | TypeKind::Entity(_) => return json(row, index, property),
        TypeKind::Enum(_) => opt_int(row, index)?.map_or(Value::Null, Value::Enum),
        TypeKind::Primitive(p) => match p {
            PrimitiveKind::Boolean => {
                opt_int(row, index)?.map_or(Value::Null, |i| Value::Boolean(i != 0))
            }
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64 => opt_int(row, index)?.map_or(Value::Null, Value::Int),
            PrimitiveKind::Duration => opt_int(row, index)?
                .map_or(Value::Null, |t| Value::Duration(Duration::from_ticks(t))),
            PrimitiveKind::TimeOfDay => match opt_int(row, index)? {
                None => Value::Null,
                Some(t) => Value::TimeOfDay(
                    TimeOfDay::from_ticks(t).ok_or_else(|| corrupt(format!("{t} ticks")))?,
                ),
            },
            PrimitiveKind::Double | PrimitiveKind::Single => {
                row.real(index)?.map_or(Value::Null, Value::Double)
            }
            PrimitiveKind::Binary => row.blob(index)?.map_or(Value::Null, Value::Binary),
            _ => match row.text(index)? {
                None => Value::Null,
                Some(s) => match p {
                    PrimitiveKind::Guid => {
                        Value::Guid(uuid::Uuid::try_parse(&s).map_err(|e| corrupt(e.to_string()))?)
                    }
                    PrimitiveKind::Date => {
                        Value::Date(Date::parse(&s).map_err(|e| corrupt(e.to_string()))?)
                    }
                    PrimitiveKind::Decimal => {
                        Value::Decimal(parse_decimal(&s).ok_or_else(|| corrupt(s.clone()))?)
                    }
                    PrimitiveKind::DateTimeOffset => Value::DateTimeOffset(
                        DateTimeOffset::parse(&s).map_err(|e| corrupt(e.to_string()))?,
                    ),
                    _ if p.is_spatial() => {
                        let json: serde_json::Value =
                            serde_json::from_str(&s).map_err(|e| corrupt(e.to_string()))?;
                        let (family, shape) = p
                            .spatial()
                            .ok_or_else(|| corrupt("not a spatial type".into()))?;
                        Value::Geo(
                            Geo::from_geojson(&json, family, shape, t.srid())
                                .map_err(|e| corrupt(e.to_string()))?,
                        )
                    }
                    _ => Value::String(s),
                },
            },
        },
    })
}

fn opt_int(row: &(impl Cells + ?Sized), index: usize) -> Result<Option<i64>, StoreError> {
    Ok(row.int(index)?)
}

fn json(
    row: &(impl Cells + ?Sized),
    index: usize,
    property: &Property,
) -> Result<Value, StoreError> {
    match row.text(index)? {
        None => Ok(Value::Null),
        Some(s) => serde_json::from_str(&s)
            .map(Value::Json)
            .map_err(|e| StoreError::Corrupt {
                column: property.name.clone(),
                reason: e.to_string(),
            }),
    }
}
