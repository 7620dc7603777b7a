//! Typed OData values: the [`Value`] every layer exchanges, and the temporal types that keep
//! their wire text (Edm.DateTimeOffset, Edm.Duration, Edm.Date, Edm.TimeOfDay), exact
//! decimals, binary values (base64url on the wire) and spatial values ([`Geo`]).

mod binary;
mod date;
mod datetime;
mod decimal;
mod duration;
mod error;
mod geo;
mod primitive;

pub use binary::{base64url, parse_base64};
pub use date::{
    Date, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND, TimeOfDay,
};
pub use datetime::DateTimeOffset;
pub use decimal::{
    Decimal, DecimalOp, DecimalRounding, check_decimal_facets, decimal_arith, decimal_from_f64,
    decimal_round, decimal_sort_key, decimal_text, decimal_to_f64, decimal_trunc_i64,
    parse_decimal,
};
pub use duration::Duration;
pub use error::ValueError;
pub use geo::{EARTH_RADIUS_METERS, Geo, GeoError, Position, Shape, haversine};
pub use primitive::Value;
