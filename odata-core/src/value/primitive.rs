//! The value of one property, typed by the EDM type it was read against.

use super::{Date, DateTimeOffset, Decimal, Duration, Geo, TimeOfDay};

/// A property value. Which variant is used is decided by the property's EDM type, so e.g.
/// every integer kind is an [`Value::Int`] and enums carry their numeric value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// Edm.Boolean.
    Boolean(bool),
    /// Edm.Byte, SByte, Int16, Int32, Int64 (range-checked against the type on input).
    Int(i64),
    /// Edm.Double, Edm.Single (a Single value is one an `f32` holds exactly).
    Double(f64),
    /// Edm.Decimal, exact.
    Decimal(Decimal),
    /// Edm.String.
    String(String),
    /// Edm.Guid.
    Guid(uuid::Uuid),
    /// Edm.Binary: the bytes.
    Binary(Vec<u8>),
    /// Edm.Date.
    Date(Date),
    /// Edm.TimeOfDay.
    TimeOfDay(TimeOfDay),
    /// Edm.DateTimeOffset, keeping the text as sent.
    DateTimeOffset(DateTimeOffset),
    /// Edm.Duration.
    Duration(Duration),
    /// Enumeration value (numeric; names come from the enum type).
    Enum(i64),
    /// Complex or collection value, validated and kept as JSON.
    Json(serde_json::Value),
    /// Edm.GeographyPoint/LineString/Polygon and the geometry counterparts.
    Geo(Geo),
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}
