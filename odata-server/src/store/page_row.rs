//! The rows of a collection page handed one by one to what writes the response
//! ([`PageSink`]), with their cells as the database gave them.
//!
//! Decoding a page into [`StoredEntity`] values allocates every text cell; for a page of
//! 50 Autopilot events that was some 1 250 allocations, and with the decoding a quarter of
//! the read's CPU. A [`PageRow`] lends its cells ([`CellRef`]) where they are: in SQLite's
//! memory while a scan reader steps the statement on the caller's thread, in a [`RawRow`]
//! when the read ran on the blocking pool, in sqlx's row otherwise. The sink writes them
//! in place and decodes a row ([`PageRow::entity`]) only where it needs values.

use std::ops::Range;

use crate::sql::SqlParam;

use super::codec::Cells;
use super::{RowLayout, StoreError, StoredEntity, system_int};

/// One cell of a result row, borrowed.
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
            CellRef::Blob(b) => SqlParam::Blob(b.to_vec()),
        }
    }
}

/// What a page read hands its rows to, in order, as they are read.
pub trait PageSink {
    /// The next row.
    fn row(&mut self, row: &PageRow<'_>) -> Result<(), StoreError>;
    /// The rows handed over so far are void: the read starts again from its first row
    /// (a read cut off on the caller's thread runs again on the blocking pool).
    fn restart(&mut self);
}

/// What a read hands its rows to as they are read, whatever the rows are: a
/// [`PageSink`] with the page's layout ([`PageRows`]).
pub(crate) trait RowSink {
    /// The next row.
    fn row(&mut self, row: &dyn Cells) -> Result<(), StoreError>;
    /// The rows handed over so far are void: they come again from the first.
    fn restart(&mut self);
}

/// The rows of one page read, handed to a [`PageSink`] as [`PageRow`]s.
pub(super) struct PageRows<'s> {
    pub(super) sink: &'s mut dyn PageSink,
    pub(super) layout: &'s RowLayout,
    pub(super) order_terms: usize,
}

impl RowSink for PageRows<'_> {
    fn row(&mut self, row: &dyn Cells) -> Result<(), StoreError> {
        self.sink.row(&PageRow {
            row,
            layout: self.layout,
            order_terms: self.order_terms,
        })
    }

    fn restart(&mut self) {
        self.sink.restart();
    }
}

/// One row of a page read by [`super::Store::find_each`].
#[derive(Clone, Copy)]
pub struct PageRow<'r> {
    pub(super) row: &'r dyn Cells,
    pub(super) layout: &'r RowLayout,
    pub(super) order_terms: usize,
}

impl<'r> PageRow<'r> {
    /// The row's concrete type name (`_type`).
    pub fn type_name(&self) -> Result<&'r str, StoreError> {
        match self.row.cell(0)? {
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

    /// Where the cell of table column `column` is in the page's rows; `None` when the
    /// read did not select the column.
    pub fn position(&self, column: usize) -> Option<usize> {
        self.layout.position(column)
    }

    /// The cell at `position` ([`PageRow::position`]).
    pub fn cell(&self, position: usize) -> Result<CellRef<'r>, StoreError> {
        Ok(self.row.cell(position)?)
    }

    /// The values of the row's sort terms (for the next page's `$skiptoken`).
    pub fn sort_keys(&self) -> Result<Vec<SqlParam>, StoreError> {
        let first = 2 + self.layout.columns.len();
        (first..first + self.order_terms)
            .map(|i| Ok(self.row.param(i)?))
            .collect()
    }

    /// The entity, decoded as [`super::Store::find`] decodes it.
    pub fn entity(&self) -> Result<StoredEntity, StoreError> {
        self.layout.entity(self.row)
    }
}

/// Where a cell's value is in its [`RawRow`].
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(Range<usize>),
    Blob(Range<usize>),
}

/// One result row, its cells copied out of the driver's memory (a read on the blocking
/// pool hands its rows over when it is done).
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct RawRow {
    cells: Vec<Cell>,
    text: String,
    bytes: Vec<u8>,
}

impl RawRow {
    /// The cells of `row`, with room for `text` bytes of text (the previous row's, so that
    /// the row's text is copied once).
    pub(super) fn copy(row: &dyn Cells, text: usize) -> Result<Self, sqlx::Error> {
        let width = row.width();
        let mut raw = Self {
            cells: Vec::with_capacity(width),
            text: String::with_capacity(text),
            bytes: Vec::new(),
        };
        for index in 0..width {
            let cell = match row.cell(index)? {
                CellRef::Null => Cell::Null,
                CellRef::Integer(i) => Cell::Integer(i),
                CellRef::Real(r) => Cell::Real(r),
                CellRef::Text(t) => {
                    let start = raw.text.len();
                    raw.text.push_str(t);
                    Cell::Text(start..raw.text.len())
                }
                CellRef::Blob(b) => {
                    let start = raw.bytes.len();
                    raw.bytes.extend_from_slice(b);
                    Cell::Blob(start..raw.bytes.len())
                }
            };
            raw.cells.push(cell);
        }
        Ok(raw)
    }

    /// The bytes of its text cells.
    pub(super) fn text_len(&self) -> usize {
        self.text.len()
    }
}

/// A cell that is not of the class a value of its column needs.
fn mismatch(index: usize, wanted: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("cell {index} is not {wanted}").into())
}

impl Cells for RawRow {
    fn cell(&self, index: usize) -> Result<CellRef<'_>, sqlx::Error> {
        Ok(match self.cells.get(index) {
            None | Some(Cell::Null) => CellRef::Null,
            Some(Cell::Integer(i)) => CellRef::Integer(*i),
            Some(Cell::Real(r)) => CellRef::Real(*r),
            Some(Cell::Text(range)) => CellRef::Text(&self.text[range.clone()]),
            Some(Cell::Blob(range)) => CellRef::Blob(&self.bytes[range.clone()]),
        })
    }

    fn int(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
        match self.cell(index)? {
            CellRef::Null => Ok(None),
            CellRef::Integer(i) => Ok(Some(i)),
            _ => Err(mismatch(index, "an integer")),
        }
    }

    fn real(&self, index: usize) -> Result<Option<f64>, sqlx::Error> {
        match self.cell(index)? {
            CellRef::Null => Ok(None),
            CellRef::Real(r) => Ok(Some(r)),
            // SQLite hands out a REAL column's integral values as such in places.
            CellRef::Integer(i) => Ok(Some(i as f64)),
            _ => Err(mismatch(index, "a number")),
        }
    }

    fn text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
        match self.cell(index)? {
            CellRef::Null => Ok(None),
            CellRef::Text(t) => Ok(Some(t.to_owned())),
            _ => Err(mismatch(index, "text")),
        }
    }

    fn blob(&self, index: usize) -> Result<Option<Vec<u8>>, sqlx::Error> {
        match self.cell(index)? {
            CellRef::Null => Ok(None),
            CellRef::Blob(b) => Ok(Some(b.to_vec())),
            CellRef::Text(t) => Ok(Some(t.as_bytes().to_vec())),
            _ => Err(mismatch(index, "bytes")),
        }
    }

    fn param(&self, index: usize) -> Result<SqlParam, sqlx::Error> {
        Ok(self.cell(index)?.to_param())
    }

    fn width(&self) -> usize {
        self.cells.len()
    }
}
