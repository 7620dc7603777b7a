//! The change log of collections that track changes (`CollectionDef::track_changes`),
//! kept by the store in the same transaction as every write (see `crate::delta` for the
//! protocol side).
//!
//! Two framework tables, created by [`Store::prepare_change_log`](super::Store::prepare_change_log):
//! `_odata_change_seq` holds, per tenant, the last change number handed out and the epoch;
//! `_odata_changes` holds, per tracked entity, the number of its latest change and whether
//! that change deleted it (a tombstone). Every write that touches a tracked entity takes
//! the tenant's next number first — an `UPDATE` of the counter row, whose lock is held to
//! the end of the transaction — so numbers are committed in the order they are handed out
//! on PostgreSQL too (SQLite has one writer anyway): once a reader sees number `n`
//! committed, every change numbered up to `n` is committed, and a delta token holding `n`
//! can never skip a change committed later with a lower number. The price is that tracked
//! writes of one tenant commit one after the other.
//!
//! Entity keys are kept as text: a JSON array of the key columns' stored values, so the
//! text is canonical (one per entity) and decodes back to the key values.

use odata_core::value::Value;
use serde_json::{Value as Json, json};

use super::StoreError;
use super::codec::{self, Cells};
use super::page_row::CellRef;
use super::table::Table;
use crate::sql::SqlParam;

/// One entry of the change log ([`Store::changes`](super::Store::changes)).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedChange {
    /// The entity's key values, in key order.
    pub key: Vec<Value>,
    /// The key as the log stores it (the paging position within the log).
    pub key_text: String,
    /// The number of the entity's latest change.
    pub seq: i64,
    /// Whether that change deleted the entity.
    pub deleted: bool,
}

/// The canonical text of an entity's key.
pub(crate) fn key_text(table: &Table, key: &[Value]) -> String {
    let cells: Vec<Json> = table
        .key
        .iter()
        .zip(key)
        .map(
            |(&k, value)| match codec::params(&table.columns[k], value).into_iter().next() {
                None | Some(SqlParam::Null) => Json::Null,
                Some(SqlParam::Integer(i)) => json!({ "i": i }),
                Some(SqlParam::Real(f)) => json!({ "f": f }),
                Some(SqlParam::Text(s)) => json!({ "s": s }),
                Some(SqlParam::Decimal(d)) => json!({ "d": d }),
                Some(SqlParam::Blob(b)) => json!({ "b": b }),
            },
        )
        .collect();
    Json::Array(cells).to_string()
}

/// The key values of a key text made by [`key_text`] for `table`.
pub(crate) fn key_values(table: &Table, text: &str) -> Result<Vec<Value>, StoreError> {
    let corrupt = || StoreError::Corrupt {
        column: "_odata_changes.key".into(),
        reason: format!("not a key of '{}'", table.name),
    };
    let cells: Vec<Json> = serde_json::from_str(text).map_err(|_| corrupt())?;
    if cells.len() != table.key.len() {
        return Err(corrupt());
    }
    let params = cells
        .iter()
        .map(|cell| {
            if cell.is_null() {
                return Some(SqlParam::Null);
            }
            if let Some(i) = cell.get("i").and_then(Json::as_i64) {
                return Some(SqlParam::Integer(i));
            }
            if let Some(f) = cell.get("f").and_then(Json::as_f64) {
                return Some(SqlParam::Real(f));
            }
            if let Some(s) = cell.get("s").and_then(Json::as_str) {
                return Some(SqlParam::Text(s.to_owned()));
            }
            if let Some(d) = cell.get("d").and_then(Json::as_str) {
                return Some(SqlParam::Decimal(d.to_owned()));
            }
            serde_json::from_value::<Vec<u8>>(cell.get("b")?.clone())
                .ok()
                .map(SqlParam::Blob)
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(corrupt)?;
    let row = Params(params);
    table
        .key
        .iter()
        .enumerate()
        .map(|(i, &k)| codec::decode(&row, i, &table.columns[k].property))
        .collect()
}

/// Stored values as a result row, to decode them like cells read from the database.
struct Params(Vec<SqlParam>);

impl Params {
    fn value(&self, index: usize) -> Result<&SqlParam, sqlx::Error> {
        self.0
            .get(index)
            .ok_or(sqlx::Error::ColumnIndexOutOfBounds {
                index,
                len: self.0.len(),
            })
    }
}

fn mismatch(index: usize) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: "a logged key value of another type".into(),
    }
}

impl Cells for Params {
    fn width(&self) -> usize {
        self.0.len()
    }

    fn int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
        match self.value(index)? {
            SqlParam::Null => Ok(None),
            SqlParam::Integer(i) => Ok(Some(*i)),
            _ => Err(mismatch(index)),
        }
    }

    fn real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
        match self.value(index)? {
            SqlParam::Null => Ok(None),
            SqlParam::Real(f) => Ok(Some(*f)),
            _ => Err(mismatch(index)),
        }
    }

    fn text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
        match self.value(index)? {
            SqlParam::Null => Ok(None),
            SqlParam::Text(s) | SqlParam::Decimal(s) => Ok(Some(s.clone())),
            _ => Err(mismatch(index)),
        }
    }

    fn blob(&self, index: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        match self.value(index)? {
            SqlParam::Null => Ok(None),
            SqlParam::Blob(b) => Ok(Some(b.clone())),
            _ => Err(mismatch(index)),
        }
    }

    fn param(&self, index: usize) -> Result<SqlParam, sqlx::Error> {
        self.value(index).cloned()
    }

    fn cell(&self, index: usize) -> Result<CellRef<'_>, sqlx::Error> {
        Ok(match self.value(index)? {
            SqlParam::Null => CellRef::Null,
            SqlParam::Integer(i) => CellRef::Integer(*i),
            SqlParam::Real(r) => CellRef::Real(*r),
            SqlParam::Text(t) | SqlParam::Decimal(t) => CellRef::Text(t),
            SqlParam::Blob(b) => CellRef::Blob(b),
        })
    }
}
