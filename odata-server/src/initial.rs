//! What a new entity starts with: the values of the properties a create leaves out, and
//! the server's time that stamps them.

use odata_core::edm::{Model, PrimitiveKind, Property, TypeKind};
use odata_core::json;
use odata_core::value::{DateTimeOffset, Value};

/// The current time, in 100 ns ticks, as requests see it.
pub(crate) fn now() -> DateTimeOffset {
    let utc = chrono::Utc::now();
    let ticks = utc.timestamp() * 10_000_000 + i64::from(utc.timestamp_subsec_nanos() / 100);
    DateTimeOffset::from_utc_ticks(ticks, 0).unwrap_or_else(DateTimeOffset::min_value)
}

/// The request's time in whole seconds, as creation timestamps record it.
pub(crate) fn creation_time(now: &DateTimeOffset) -> DateTimeOffset {
    const TICKS_PER_SECOND: i64 = 10_000_000;
    let ticks = now.utc_ticks();
    DateTimeOffset::from_utc_ticks(ticks - ticks.rem_euclid(TICKS_PER_SECOND), 0)
        .unwrap_or_else(|| now.clone())
}

/// Whether the property holds one Edm.DateTimeOffset.
pub(crate) fn is_timestamp(property: &Property) -> bool {
    property.type_ref.kind == TypeKind::Primitive(PrimitiveKind::DateTimeOffset)
        && !property.type_ref.collection
}

/// The value of a property the body does not set: the current time for computed
/// timestamps, otherwise its `DefaultValue`, else the type's zero value (null when
/// nullable).
pub(crate) fn initial_value(model: &Model, property: &Property, now: &DateTimeOffset) -> Value {
    if property.is_computed() && is_timestamp(property) {
        return Value::DateTimeOffset(now.clone());
    }
    json::default_value(model, property).unwrap_or_else(|| json::zero_value(model, property))
}
