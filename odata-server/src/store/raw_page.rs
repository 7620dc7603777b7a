//! A page of a collection read with its cells as the database gave them, for responses
//! written straight from the cells.
//!
//! Decoding a page into [`StoredEntity`] values allocates every text cell on the thread
//! that reads the rows and frees it on the one that writes the response; for a page of 50
//! Autopilot events that was some 1 250 allocations, and with the decoding a quarter of
//! the read's CPU. A [`RawRow`] copies a row's cells into two allocations (the cells, and
//! the bytes of its text and binary cells); the response writer reads them in place, and
//! decodes a row ([`RawEntity::entity`]) only where it needs values.

use std::ops::Range;

use crate::sql::SqlParam;

use super::codec::Cells;
use super::{RowLayout, StoreError, StoredEntity, found, system_int};

/// One cell of a [`RawRow`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'r> {
    /// NULL, or a column the read did not select.
    Null,
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(&'r str),
    /// An exact decimal's text (PostgreSQL's NUMERIC).
    Decimal(&'r str),
    /// Bytes.
    Blob(&'r [u8]),
}

impl CellRef<'_> {
    /// The cell as an owned parameter value.
    pub fn to_param(self) -> SqlParam {
        match self {
            CellRef::Null => SqlParam::Null,
            CellRef::Integer(i) => SqlParam::Integer(i),
            CellRef::Real(r) => SqlParam::Real(r),
            CellRef::Text(t) => SqlParam::Text(t.to_owned()),
            CellRef::Decimal(t) => SqlParam::Decimal(t.to_owned()),
            CellRef::Blob(b) => SqlParam::Blob(b.to_vec()),
        }
    }
}

impl<'p> From<&'p SqlParam> for CellRef<'p> {
    fn from(param: &'p SqlParam) -> Self {
        match param {
            SqlParam::Null => CellRef::Null,
            SqlParam::Integer(i) => CellRef::Integer(*i),
            SqlParam::Real(r) => CellRef::Real(*r),
            SqlParam::Text(t) => CellRef::Text(t),
            SqlParam::Decimal(t) => CellRef::Decimal(t),
            SqlParam::Blob(b) => CellRef::Blob(b),
        }
    }
}

/// Where a cell's value is in its [`RawRow`].
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(Range<usize>),
    Decimal(Range<usize>),
    Blob(Range<usize>),
}

/// One result row, its cells copied out of the driver's memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawRow {
    cells: Vec<Cell>,
    text: String,
    bytes: Vec<u8>,
}

impl RawRow {
    /// An empty row with room for `width` cells and `text` bytes of text.
    pub(crate) fn with_capacity(width: usize, text: usize) -> Self {
        Self {
            cells: Vec::with_capacity(width),
            text: String::with_capacity(text),
            bytes: Vec::new(),
        }
    }

    /// The bytes of its text cells.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Appends a cell.
    pub(crate) fn push(&mut self, cell: CellRef<'_>) {
        let cell = match cell {
            CellRef::Null => Cell::Null,
            CellRef::Integer(i) => Cell::Integer(i),
            CellRef::Real(r) => Cell::Real(r),
            CellRef::Text(t) => Cell::Text(self.push_text(t)),
            CellRef::Decimal(t) => Cell::Decimal(self.push_text(t)),
            CellRef::Blob(b) => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(b);
                Cell::Blob(start..self.bytes.len())
            }
        };
        self.cells.push(cell);
    }

    fn push_text(&mut self, text: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(text);
        start..self.text.len()
    }

    /// Cell `index`; [`CellRef::Null`] beyond the row.
    pub fn cell(&self, index: usize) -> CellRef<'_> {
        match self.cells.get(index) {
            None | Some(Cell::Null) => CellRef::Null,
            Some(Cell::Integer(i)) => CellRef::Integer(*i),
            Some(Cell::Real(r)) => CellRef::Real(*r),
            Some(Cell::Text(range)) => CellRef::Text(&self.text[range.clone()]),
            Some(Cell::Decimal(range)) => CellRef::Decimal(&self.text[range.clone()]),
            Some(Cell::Blob(range)) => CellRef::Blob(&self.bytes[range.clone()]),
        }
    }
}

/// A cell that is not of the class a value of its column needs.
fn mismatch(index: usize, wanted: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("cell {index} is not {wanted}").into())
}

impl Cells for RawRow {
    fn int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
        match self.cell(index) {
            CellRef::Null => Ok(None),
            CellRef::Integer(i) => Ok(Some(i)),
            _ => Err(mismatch(index, "an integer")),
        }
    }

    fn real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
        match self.cell(index) {
            CellRef::Null => Ok(None),
            CellRef::Real(r) => Ok(Some(r)),
            // SQLite hands out a REAL column's integral values as such in places.
            CellRef::Integer(i) => Ok(Some(i as f64)),
            _ => Err(mismatch(index, "a number")),
        }
    }

    fn text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
        match self.cell(index) {
            CellRef::Null => Ok(None),
            CellRef::Text(t) | CellRef::Decimal(t) => Ok(Some(t.to_owned())),
            _ => Err(mismatch(index, "text")),
        }
    }

    fn blob(&self, index: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        match self.cell(index) {
            CellRef::Null => Ok(None),
            CellRef::Blob(b) => Ok(Some(b.to_vec())),
            CellRef::Text(t) => Ok(Some(t.as_bytes().to_vec())),
            _ => Err(mismatch(index, "bytes")),
        }
    }

    fn param(&self, index: usize) -> Result<SqlParam, sqlx::Error> {
        Ok(self.cell(index).to_param())
    }

    fn width(&self) -> usize {
        self.cells.len()
    }
}

/// The rows of a page read by [`super::Store::find_raw`], as [`super::Store::find`]
/// would decode them on request.
#[derive(Debug)]
pub struct RawPage {
    pub(super) rows: Vec<RawRow>,
    pub(super) layout: RowLayout,
    pub(super) order_terms: usize,
}

/// One row of a [`RawPage`].
#[derive(Debug, Clone, Copy)]
pub struct RawEntity<'p> {
    row: &'p RawRow,
    layout: &'p RowLayout,
}

impl RawPage {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the page has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Keeps the first `rows` rows.
    pub fn truncate(&mut self, rows: usize) {
        self.rows.truncate(rows);
    }

    /// The rows, in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = RawEntity<'_>> {
        self.rows.iter().map(|row| RawEntity {
            row,
            layout: &self.layout,
        })
    }

    /// Where the cell of table column `column` is in the rows; `None` when the read did
    /// not select the column.
    pub fn position(&self, column: usize) -> Option<usize> {
        self.layout.position(column)
    }

    /// The values of row `index`'s sort terms (for the next page's `$skiptoken`).
    pub fn sort_keys(&self, index: usize) -> Result<Option<Vec<SqlParam>>, StoreError> {
        self.rows
            .get(index)
            .map(|row| Ok(found(&self.layout, self.order_terms, row)?.sort_keys))
            .transpose()
    }
}

impl<'p> RawEntity<'p> {
    /// The row's concrete type name (`_type`).
    pub fn type_name(&self) -> Result<&'p str, StoreError> {
        match self.row.cell(0) {
            CellRef::Text(name) => Ok(name),
            _ => Err(StoreError::Corrupt {
                column: "_type".into(),
                reason: "not text".into(),
            }),
        }
    }

    /// The row's version (`_version`).
    pub fn version(&self) -> Result<i64, StoreError> {
        system_int(self.row, 1)
    }

    /// The cell at `position` ([`RawPage::position`]).
    pub fn cell(&self, position: usize) -> CellRef<'p> {
        self.row.cell(position)
    }

    /// The entity, decoded as [`super::Store::find`] decodes it.
    pub fn entity(&self) -> Result<StoredEntity, StoreError> {
        self.layout.entity(self.row)
    }
}
