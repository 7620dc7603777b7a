//! Unicode case mapping inside SQLite: `odata_lower(text)` and `odata_upper(text)`,
//! registered on every connection the store opens — and, through the same registration,
//! `odata_decimal_key(text)`, the exact order of Edm.Decimal text (SQLite has no decimal
//! type: see [`DECIMAL_KEY`]).
//!
//! SQLite's own `lower`/`upper` map A–Z only (the bundled library has no ICU), so
//! `tolower(name) eq 'josé'` would miss `JOSÉ` where PostgreSQL (ICU) and the evaluator
//! (Rust's `str::to_lowercase`) find it. These functions map with Rust's `str` methods:
//! the same answers as the evaluator by construction.
//!
//! The geo functions are registered here too, for the same reason (the bundled SQLite has
//! no math functions): `odata_geography_distance(a, b)`, `odata_geometry_distance(a, b)`,
//! `odata_geography_length(line)`, `odata_geometry_length(line)` and
//! `odata_geo_intersects(point, polygon)` take GeoJSON text (the stored form) and compute
//! with [`Geo`]'s methods, the evaluator's own code; null or unreadable input gives null.
//!
//! sqlx has no safe API for scalar functions, so this module calls SQLite's C API through
//! `libsqlite3-sys` (the library sqlx links). It is the one place of the workspace that
//! allows `unsafe`; each block states why it is sound.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use odata_core::edm::{SpatialFamily, SpatialShape};
use odata_core::value::Geo;
use sqlx::sqlite::SqliteConnection;

/// The SQL name of the Unicode `tolower`.
pub const LOWER: &str = "odata_lower";
/// The SQL name of the Unicode `toupper`.
pub const UPPER: &str = "odata_upper";
/// The SQL name of the decimal sort key: the text of `odata_core::value::decimal_sort_key`
/// for a decimal stored as text (its canonical text), whose byte order is the numeric
/// order, so comparisons and ORDER BY of Edm.Decimal values are exact.
pub const DECIMAL_KEY: &str = "odata_decimal_key";

/// The SQL name of `geo.distance` between geography points (meters on the sphere).
pub const GEOGRAPHY_DISTANCE: &str = "odata_geography_distance";
/// The SQL name of `geo.distance` between geometry points (Euclidean).
pub const GEOMETRY_DISTANCE: &str = "odata_geometry_distance";
/// The SQL name of `geo.length` of a geography line string (meters on the sphere).
pub const GEOGRAPHY_LENGTH: &str = "odata_geography_length";
/// The SQL name of `geo.length` of a geometry line string (Euclidean).
pub const GEOMETRY_LENGTH: &str = "odata_geometry_length";
/// The SQL name of `geo.intersects(point, polygon)` (either family): 1, 0 or null.
pub const GEO_INTERSECTS: &str = "odata_geo_intersects";

/// Registers [`LOWER`], [`UPPER`], [`DECIMAL_KEY`] and the geo functions on `connection` (for a pool's
/// `after_connect`).
///
/// ```no_run
/// # async fn f(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
/// odata_server::store::sqlite_case::register(conn).await?;
/// # Ok(()) }
/// ```
pub async fn register(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = connection.lock_handle().await?;
    let db = handle.as_raw_handle();
    for (name, arity, function) in [
        (c"odata_lower", 1, lower as ScalarFunction),
        (c"odata_upper", 1, upper as ScalarFunction),
        (c"odata_decimal_key", 1, decimal_key),
        (c"odata_geography_distance", 2, geography_distance),
        (c"odata_geometry_distance", 2, geometry_distance),
        (c"odata_geography_length", 1, geography_length),
        (c"odata_geometry_length", 1, geometry_length),
        (c"odata_geo_intersects", 2, geo_intersects),
    ] {
        let code = create_function(db, name, arity, function);
        if code != ffi::SQLITE_OK {
            return Err(sqlx::Error::Protocol(format!(
                "registering the SQLite function {} failed with code {code}",
                name.to_string_lossy()
            )));
        }
    }
    Ok(())
}

type ScalarFunction =
    unsafe extern "C" fn(*mut ffi::sqlite3_context, c_int, *mut *mut ffi::sqlite3_value);

/// `sqlite3_create_function_v2` for a deterministic UTF-8 function of `arity` arguments.
fn create_function(
    db: NonNull<ffi::sqlite3>,
    name: &CStr,
    arity: c_int,
    function: ScalarFunction,
) -> c_int {
    // SAFETY: `db` is a live connection that the caller's `LockedSqliteHandle` keeps from
    // being used by sqlx's worker thread during the call; `name` is NUL-terminated and
    // copied by SQLite; no user data, no destructor.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db.as_ptr(),
            name.as_ptr(),
            arity,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
            std::ptr::null_mut(),
            Some(function),
            None,
            None,
            None,
        )
    }
}

unsafe extern "C" fn lower(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls the function with its context and `count` argument values.
    unsafe { map_text(context, count, values, str::to_lowercase) }
}

unsafe extern "C" fn upper(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: as for `lower`.
    unsafe { map_text(context, count, values, str::to_uppercase) }
}

unsafe extern "C" fn decimal_key(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: as for `lower`.
    unsafe { map_text(context, count, values, decimal_key_of) }
}

/// The sort key of decimal text; text that is no decimal (never stored) sorts first.
fn decimal_key_of(text: &str) -> String {
    odata_core::value::parse_decimal(text)
        .map(|d| odata_core::value::decimal_sort_key(&d))
        .unwrap_or_default()
}

/// The function's result: `map` of its one argument read as text; null for null.
///
/// # Safety
///
/// `context` and `values` (`count` of them) must be what SQLite passes to a scalar
/// function's implementation.
unsafe fn map_text(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
    map: fn(&str) -> String,
) {
    // SAFETY: SQLite's contract for a function registered with one argument: `values`
    // points to `count` (= 1) valid values, alive during the call. `sqlite3_value_text` is
    // called before `sqlite3_value_bytes` as SQLite documents, and the text pointer stays
    // valid until the value is next converted, which nothing here does. The result is
    // copied by SQLite (`SQLITE_TRANSIENT`) before `mapped` is dropped.
    unsafe {
        if count != 1 || values.is_null() {
            ffi::sqlite3_result_null(context);
            return;
        }
        let value = *values;
        if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
            ffi::sqlite3_result_null(context);
            return;
        }
        let text = ffi::sqlite3_value_text(value);
        let length = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
        if text.is_null() {
            ffi::sqlite3_result_null(context);
            return;
        }
        let bytes = std::slice::from_raw_parts(text, length);
        let mapped = map(&String::from_utf8_lossy(bytes));
        let Ok(length) = c_int::try_from(mapped.len()) else {
            ffi::sqlite3_result_error_toobig(context);
            return;
        };
        ffi::sqlite3_result_text(
            context,
            mapped.as_ptr().cast::<c_char>(),
            length,
            ffi::SQLITE_TRANSIENT(),
        );
    }
}

/// What a geo function returns to SQLite.
enum Scalar {
    Real(f64),
    Boolean(bool),
}

/// Reads a GeoJSON argument of the given family and shape (its SRID is not checked: the
/// binder compared the arguments' types).
fn spatial(text: &str, family: SpatialFamily, shape: SpatialShape) -> Option<Geo> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    Geo::from_geojson(&json, family, shape, None).ok()
}

fn distance(family: SpatialFamily, args: &[String]) -> Option<Scalar> {
    let a = spatial(args.first()?, family, SpatialShape::Point)?;
    let b = spatial(args.get(1)?, family, SpatialShape::Point)?;
    a.distance(&b).map(Scalar::Real)
}

fn length(family: SpatialFamily, args: &[String]) -> Option<Scalar> {
    spatial(args.first()?, family, SpatialShape::LineString)?
        .length()
        .map(Scalar::Real)
}

/// `intersects` does not depend on the family: the arguments are read as geometry, which
/// skips the longitude/latitude range check (geography values passed it on input).
fn intersects(args: &[String]) -> Option<Scalar> {
    let family = SpatialFamily::Geometry;
    let point = spatial(args.first()?, family, SpatialShape::Point)?;
    let polygon = spatial(args.get(1)?, family, SpatialShape::Polygon)?;
    point.intersects(&polygon).map(Scalar::Boolean)
}

/// A SQLite function over the text of its arguments (see `map_texts`).
macro_rules! text_function {
    ($name:ident, $compute:expr) => {
        unsafe extern "C" fn $name(
            context: *mut ffi::sqlite3_context,
            count: c_int,
            values: *mut *mut ffi::sqlite3_value,
        ) {
            // SAFETY: SQLite calls the function with its context and `count` argument
            // values, as `map_texts` requires.
            unsafe { map_texts(context, count, values, $compute) }
        }
    };
}

text_function!(geography_distance, |a| distance(
    SpatialFamily::Geography,
    a
));
text_function!(geometry_distance, |a| distance(SpatialFamily::Geometry, a));
text_function!(geography_length, |a| length(SpatialFamily::Geography, a));
text_function!(geometry_length, |a| length(SpatialFamily::Geometry, a));
text_function!(geo_intersects, intersects);

/// The function's result: `f` of its arguments read as text; null when an argument is
/// null or `f` gives nothing.
///
/// # Safety
///
/// `context` and `values` (`count` of them) must be what SQLite passes to a scalar
/// function's implementation.
unsafe fn map_texts(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
    f: impl FnOnce(&[String]) -> Option<Scalar>,
) {
    // SAFETY: SQLite's contract: `values` points to `count` valid values, alive during the
    // call. Each text pointer is read (text before bytes, as SQLite documents) and copied
    // into a `String` before the next value is touched.
    unsafe {
        let Ok(n) = usize::try_from(count) else {
            ffi::sqlite3_result_null(context);
            return;
        };
        if values.is_null() {
            ffi::sqlite3_result_null(context);
            return;
        }
        let mut args = Vec::with_capacity(n);
        for i in 0..n {
            let value = *values.add(i);
            if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
                ffi::sqlite3_result_null(context);
                return;
            }
            let text = ffi::sqlite3_value_text(value);
            let length = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
            if text.is_null() {
                ffi::sqlite3_result_null(context);
                return;
            }
            let bytes = std::slice::from_raw_parts(text, length);
            args.push(String::from_utf8_lossy(bytes).into_owned());
        }
        match f(&args) {
            Some(Scalar::Real(x)) => ffi::sqlite3_result_double(context, x),
            Some(Scalar::Boolean(b)) => ffi::sqlite3_result_int(context, c_int::from(b)),
            None => ffi::sqlite3_result_null(context),
        }
    }
}
