//! SQLite functions the store registers on every connection it opens, for the SQL
//! translation to compute what SQLite cannot: Unicode case mapping, exact Edm.Decimal
//! arithmetic and aggregates, and the geo functions.
//!
//! SQLite's own `lower`/`upper` map A–Z only (the bundled library has no ICU), so
//! `tolower(name) eq 'josé'` would miss `JOSÉ` where PostgreSQL (ICU) and the evaluator
//! (Rust's `str::to_lowercase`) find it. `odata_lower(text)` and `odata_upper(text)` map
//! with Rust's `str` methods: the same answers as the evaluator by construction.
//!
//! SQLite has no decimal type: Edm.Decimal values are canonical decimal text, and the
//! scalar functions `odata_decimal_key`, `odata_decimal`, `odata_decimal_add` … and the
//! aggregates `odata_decimal_sum`, `odata_decimal_avg` (both also window functions),
//! `odata_decimal_min` and `odata_decimal_max` compute with them exactly; what each does
//! is in [`super::sqlite_decimal`], the safe code behind them.
//!
//! The geo functions are registered here too, for the same reason (the bundled SQLite has
//! no math functions): `odata_geography_distance(a, b)`, `odata_geometry_distance(a, b)`,
//! `odata_geography_length(line)`, `odata_geometry_length(line)` and
//! `odata_geo_intersects(point, polygon)` take GeoJSON text (the stored form) and compute
//! with [`Geo`]'s methods, the evaluator's own code; null or unreadable input gives null.
//!
//! sqlx has no safe API for user-defined functions, so this module calls SQLite's C API
//! through `libsqlite3-sys` (the library sqlx links). It is, with [`super::sqlite_handle`],
//! one of the two places of the workspace that allow `unsafe`; each block states why it is
//! sound.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;

use libsqlite3_sys as ffi;
use odata_core::edm::{SpatialFamily, SpatialShape};
use odata_core::value::Geo;
use sqlx::sqlite::SqliteConnection;

use super::sqlite_decimal::{Accumulator, Aggregate, Arg, Out, Scalar as DecimalFunction};

/// The SQL name of the Unicode `tolower`.
pub const LOWER: &str = "odata_lower";
/// The SQL name of the Unicode `toupper`.
pub const UPPER: &str = "odata_upper";

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

/// Registers [`LOWER`], [`UPPER`], the decimal functions and aggregates
/// ([`super::sqlite_decimal`]) and the geo functions on `connection` (for a pool's
/// `after_connect`).
///
/// ```no_run
/// # async fn f(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
/// odata_server::store::sqlite_case::register(conn).await?;
/// # Ok(()) }
/// ```
pub async fn register(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = connection.lock_handle().await?;
    register_on(handle.as_raw_handle()).map_err(sqlx::Error::Protocol)
}

/// [`register`] on a connection of the scan readers (`super::sqlite_scan`), and SQLite's
/// `REGEXP` (`matchesPattern`) as sqlx's `with_regexp` defines it: the `regex` crate, null
/// for a null operand.
pub(crate) fn register_scan(connection: &rusqlite::Connection) -> Result<(), String> {
    // SAFETY: the handle is only used for the registrations below, while `connection`
    // (borrowed, so open) is not used by anything else.
    let db = unsafe { connection.handle() };
    register_on(NonNull::new(db).ok_or("the SQLite connection has no handle")?)?;
    connection
        .create_scalar_function(
            "regexp",
            2,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |context| {
                let text = context.get_raw(1);
                if matches!(context.get_raw(0), ValueRef::Null) || matches!(text, ValueRef::Null) {
                    return Ok(None);
                }
                let pattern: std::sync::Arc<regex::Regex> = context
                    .get_or_create_aux(0, |pattern| -> Result<_, BoxError> {
                        Ok(regex::Regex::new(pattern.as_str()?)?)
                    })?;
                let text = text
                    .as_str()
                    .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))?;
                Ok(Some(pattern.is_match(text)))
            },
        )
        .map_err(|e| format!("registering the SQLite function regexp failed: {e}"))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The functions of [`register`] on the connection `db`.
fn register_on(db: NonNull<ffi::sqlite3>) -> Result<(), String> {
    for (name, arity, function) in [
        (c"odata_lower", 1, lower as ScalarFunction),
        (c"odata_upper", 1, upper as ScalarFunction),
        (c"odata_geography_distance", 2, geography_distance),
        (c"odata_geometry_distance", 2, geometry_distance),
        (c"odata_geography_length", 1, geography_length),
        (c"odata_geometry_length", 1, geometry_length),
        (c"odata_geo_intersects", 2, geo_intersects),
    ] {
        let code = create_function(db, name, arity, function);
        registered(name, code)?;
    }
    for (name, scalar, arity) in &DECIMAL_SCALARS {
        let name = c_name(name)?;
        let arity = c_int::try_from(*arity).unwrap_or(c_int::MAX);
        registered(&name, create_decimal_scalar(db, &name, arity, scalar))?;
    }
    for (name, aggregate) in &DECIMAL_AGGREGATES {
        let name = c_name(name)?;
        registered(&name, create_decimal_aggregate(db, &name, aggregate))?;
    }
    Ok(())
}

/// The decimal scalar functions, in a `static` so each one's user data pointer (the
/// function to compute) lives as long as the program.
static DECIMAL_SCALARS: [(&str, DecimalFunction, usize); 14] = DecimalFunction::ALL;

/// The decimal aggregates, in a `static` for the same reason.
static DECIMAL_AGGREGATES: [(&str, Aggregate); 4] = Aggregate::ALL;

fn c_name(name: &str) -> Result<CString, String> {
    CString::new(name).map_err(|_| format!("the SQLite function name {name:?}"))
}

/// An error for a registration that did not return `SQLITE_OK`.
fn registered(name: &CStr, code: c_int) -> Result<(), String> {
    if code == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(format!(
            "registering the SQLite function {} failed with code {code}",
            name.to_string_lossy()
        ))
    }
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

// ---------------------------------------------------------------------------------------
// Decimal functions and aggregates (the computations are in `super::sqlite_decimal`).

/// `sqlite3_create_function_v2` for the deterministic decimal function `scalar`, passed
/// to [`decimal_scalar`] as the user data.
fn create_decimal_scalar(
    db: NonNull<ffi::sqlite3>,
    name: &CStr,
    arity: c_int,
    scalar: &'static DecimalFunction,
) -> c_int {
    // SAFETY: as in `create_function`; the user data points to a `static`, valid for the
    // life of the program, and is only read.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db.as_ptr(),
            name.as_ptr(),
            arity,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
            std::ptr::from_ref(scalar).cast_mut().cast::<c_void>(),
            Some(decimal_scalar),
            None,
            None,
            None,
        )
    }
}

/// Registers the one-argument aggregate `aggregate` (user data for the callbacks): as a
/// window function where it can drop values again ([`Aggregate::is_window`]), so
/// `odata_decimal_sum(x) OVER (…)` works, else as a plain aggregate.
fn create_decimal_aggregate(
    db: NonNull<ffi::sqlite3>,
    name: &CStr,
    aggregate: &'static Aggregate,
) -> c_int {
    let data = std::ptr::from_ref(aggregate).cast_mut().cast::<c_void>();
    let flags = ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC;
    // SAFETY: as in `create_function`; the user data points to a `static`, only read.
    // The callbacks keep their state in SQLite's aggregate context (see
    // `accumulator`), which `aggregate_final` frees.
    unsafe {
        if aggregate.is_window() {
            ffi::sqlite3_create_window_function(
                db.as_ptr(),
                name.as_ptr(),
                1,
                flags,
                data,
                Some(aggregate_step),
                Some(aggregate_final),
                Some(aggregate_value),
                Some(aggregate_inverse),
                None,
            )
        } else {
            ffi::sqlite3_create_function_v2(
                db.as_ptr(),
                name.as_ptr(),
                1,
                flags,
                data,
                None,
                Some(aggregate_step),
                Some(aggregate_final),
                None,
            )
        }
    }
}

/// The arguments of a call, by storage class (text copied out).
///
/// # Safety
///
/// `values` (`count` of them) must be what SQLite passes to a function's implementation.
unsafe fn args(count: c_int, values: *mut *mut ffi::sqlite3_value) -> Vec<Arg> {
    let n = usize::try_from(count).unwrap_or(0);
    if values.is_null() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: SQLite's contract: `values` points to `count` valid values, alive during
        // the call. Each is read by its own storage class, so nothing converts it; a text
        // pointer is read before its length (as SQLite documents) and copied at once.
        unsafe {
            let value = *values.add(i);
            out.push(match ffi::sqlite3_value_type(value) {
                ffi::SQLITE_INTEGER => Arg::Integer(ffi::sqlite3_value_int64(value)),
                ffi::SQLITE_FLOAT => Arg::Real(ffi::sqlite3_value_double(value)),
                ffi::SQLITE_TEXT => {
                    let text = ffi::sqlite3_value_text(value);
                    let length = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
                    if text.is_null() {
                        Arg::Null
                    } else {
                        let bytes = std::slice::from_raw_parts(text, length);
                        Arg::Text(String::from_utf8_lossy(bytes).into_owned())
                    }
                }
                ffi::SQLITE_BLOB => Arg::Blob,
                _ => Arg::Null,
            });
        }
    }
    out
}

/// Sets the function's result.
///
/// # Safety
///
/// `context` must be the context SQLite passed to the running callback.
unsafe fn set_result(context: *mut ffi::sqlite3_context, out: Out) {
    // SAFETY: `context` is live during the callback; text is copied by SQLite
    // (`SQLITE_TRANSIENT`) before `s` is dropped.
    unsafe {
        match out {
            Out::Null => ffi::sqlite3_result_null(context),
            Out::Integer(i) => ffi::sqlite3_result_int64(context, i),
            Out::Real(x) => ffi::sqlite3_result_double(context, x),
            Out::Text(s) => {
                let Ok(length) = c_int::try_from(s.len()) else {
                    ffi::sqlite3_result_error_toobig(context);
                    return;
                };
                ffi::sqlite3_result_text(
                    context,
                    s.as_ptr().cast::<c_char>(),
                    length,
                    ffi::SQLITE_TRANSIENT(),
                );
            }
        }
    }
}

/// Runs `f`, null if it panics: a panic must not unwind into SQLite (it would abort the
/// process).
fn guarded(f: impl FnOnce() -> Out) -> Out {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Out::Null)
}

unsafe extern "C" fn decimal_scalar(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls the function with its context and `count` argument values; the
    // user data is the `&'static DecimalFunction` `create_decimal_scalar` registered.
    unsafe {
        let scalar = ffi::sqlite3_user_data(context)
            .cast::<DecimalFunction>()
            .cast_const()
            .as_ref();
        let Some(scalar) = scalar.copied() else {
            ffi::sqlite3_result_null(context);
            return;
        };
        let args = args(count, values);
        set_result(context, guarded(|| scalar.call(&args)));
    }
}

/// The aggregate a callback computes (its user data).
///
/// # Safety
///
/// `context` must be the context SQLite passed to an aggregate callback registered by
/// `create_decimal_aggregate`.
unsafe fn aggregate_of(context: *mut ffi::sqlite3_context) -> Option<Aggregate> {
    // SAFETY: the user data is the `&'static Aggregate` registered with the function.
    unsafe {
        ffi::sqlite3_user_data(context)
            .cast::<Aggregate>()
            .cast_const()
            .as_ref()
            .copied()
    }
}

/// The slot in SQLite's aggregate context that holds this group's state, allocated (and
/// zeroed: `None`) by SQLite on the first call; with `allocate` false, `None` when no
/// call allocated it (no row was aggregated).
///
/// # Safety
///
/// `context` must be the context SQLite passed to an aggregate callback; the slot is
/// valid until the group's `xFinal` returns.
unsafe fn accumulator<'a>(
    context: *mut ffi::sqlite3_context,
    allocate: bool,
) -> Option<&'a mut Option<Box<Accumulator>>> {
    let size = if allocate {
        c_int::try_from(size_of::<Option<Box<Accumulator>>>()).unwrap_or(0)
    } else {
        0
    };
    // SAFETY: SQLite returns the same zeroed, 8-byte-aligned block of `size` bytes for
    // every call of one group (null if it cannot allocate, or when `size` is 0 and no
    // call allocated it). All zero bytes are `None` for an `Option<Box<_>>` (the null
    // pointer niche), and a pointer's alignment is at most 8, so the block is a valid
    // `Option<Box<Accumulator>>`. SQLite runs one callback of a group at a time, so the
    // reference is unique while the callback uses it.
    unsafe {
        ffi::sqlite3_aggregate_context(context, size)
            .cast::<Option<Box<Accumulator>>>()
            .as_mut()
    }
}

unsafe extern "C" fn aggregate_step(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls xStep with the group's context and the argument values.
    unsafe {
        let (Some(aggregate), Some(slot)) = (aggregate_of(context), accumulator(context, true))
        else {
            ffi::sqlite3_result_error_nomem(context);
            return;
        };
        let args = args(count, values);
        let state = slot.get_or_insert_with(Box::default);
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if let Some(arg) = args.first() {
                state.step(aggregate, arg);
            }
        }));
    }
}

unsafe extern "C" fn aggregate_inverse(
    context: *mut ffi::sqlite3_context,
    count: c_int,
    values: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls xInverse with the group's context and the argument values of
    // a row xStep saw before.
    unsafe {
        let (Some(aggregate), Some(slot)) = (aggregate_of(context), accumulator(context, true))
        else {
            ffi::sqlite3_result_error_nomem(context);
            return;
        };
        let args = args(count, values);
        let state = slot.get_or_insert_with(Box::default);
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if let Some(arg) = args.first() {
                state.inverse(aggregate, arg);
            }
        }));
    }
}

unsafe extern "C" fn aggregate_value(context: *mut ffi::sqlite3_context) {
    // SAFETY: SQLite calls xValue with the window's context; the state stays in place.
    unsafe {
        let out = match (aggregate_of(context), accumulator(context, false)) {
            (Some(aggregate), Some(Some(state))) => guarded(|| state.result(aggregate)),
            _ => Out::Null,
        };
        set_result(context, out);
    }
}

unsafe extern "C" fn aggregate_final(context: *mut ffi::sqlite3_context) {
    // SAFETY: SQLite calls xFinal once per group, last; the state is taken out of the
    // slot and dropped here, so nothing leaks and nothing reads it again.
    unsafe {
        let state = accumulator(context, false).and_then(Option::take);
        let out = match (aggregate_of(context), state) {
            (Some(aggregate), Some(state)) => guarded(|| state.result(aggregate)),
            _ => Out::Null,
        };
        set_result(context, out);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::value::{DecimalOp, decimal_arith, decimal_text, parse_decimal};
    use sqlx::{Connection, Row, SqliteConnection};

    fn d(s: &str) -> odata_core::value::Decimal {
        parse_decimal(s).unwrap()
    }

    async fn connection() -> SqliteConnection {
        let mut c = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        super::register(&mut c).await.unwrap();
        c
    }

    /// The one row of `sql`: each column's text (null: `None`) and SQLite type.
    async fn row(c: &mut SqliteConnection, sql: &str) -> Vec<(Option<String>, String)> {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut *c)
            .await
            .unwrap();
        let mut out = Vec::new();
        for i in 0..r.len() {
            let raw = sqlx::Row::try_get_raw(&r, i).unwrap();
            let class = sqlx::ValueRef::type_info(&raw).to_string();
            let is_null = sqlx::ValueRef::is_null(&raw);
            let text = if is_null {
                None
            } else if class == "REAL" {
                Some(r.get::<f64, _>(i).to_string())
            } else if class == "INTEGER" {
                Some(r.get::<i64, _>(i).to_string())
            } else {
                Some(r.get::<String, _>(i))
            };
            out.push((text, class));
        }
        out
    }

    fn text(s: &str) -> (Option<String>, String) {
        (Some(s.to_owned()), "TEXT".to_owned())
    }

    #[tokio::test]
    async fn decimal_functions_compute_exactly_in_sql() {
        let mut c = connection().await;
        let big = "12345678901234567890.123456789012345678";
        assert_eq!(
            row(
                &mut c,
                &format!(
                    "SELECT odata_decimal_add('0.1', '0.2'), odata_decimal_mul('{big}', 2), \
                     odata_decimal_sub(1, 0.5), odata_decimal_div('0.6', 3), \
                     odata_decimal_mod('-7.5', 2), odata_decimal_neg('{big}'), \
                     odata_decimal_round('-2.5'), odata_decimal_floor('-2.5'), \
                     odata_decimal_ceiling('-2.5'), odata_decimal(0.1), odata_decimal('1.50')"
                )
            )
            .await,
            [
                text("0.3"),
                text("24691357802469135780.246913578024691356"),
                text("0.5"),
                text("0.2"),
                text("-1.5"),
                text(&format!("-{big}")),
                text("-3"),
                text("-3"),
                text("-2"),
                text("0.1"),
                text("1.5"),
            ]
        );
        let other = row(
            &mut c,
            "SELECT odata_decimal_div(1, 0), odata_decimal_add(NULL, 1), \
             odata_decimal_double('0.1'), odata_decimal_integer('-2.9'), \
             odata_decimal_key('2.0') = odata_decimal_key(2), \
             odata_decimal_json('{\"a\": 12345678901234567890.123456789012345678}' -> '$.a'), \
             odata_decimal_json('{\"a\": \"0.10\"}' -> '$.a')",
        )
        .await;
        assert_eq!(other[0].0, None);
        assert_eq!(other[1].0, None);
        assert_eq!(other[2], (Some("0.1".to_owned()), "REAL".to_owned()));
        assert_eq!(other[3], (Some("-2".to_owned()), "INTEGER".to_owned()));
        assert_eq!(other[4].0.as_deref(), Some("1"));
        assert_eq!(other[5], text(big));
        assert_eq!(other[6], text("0.1"));
    }

    #[tokio::test]
    async fn decimal_aggregates_and_window_sums_are_exact() {
        let mut c = connection().await;
        sqlx::query("CREATE TABLE t (i INTEGER, a TEXT)")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO t VALUES (1, '0.1'), (2, '0.2'), (3, '9.5'), (4, NULL), \
             (5, '12345678901234567890.123456789012345678')",
        )
        .execute(&mut c)
        .await
        .unwrap();
        assert_eq!(
            row(
                &mut c,
                "SELECT odata_decimal_sum(a), odata_decimal_avg(a), odata_decimal_min(a), \
                 odata_decimal_max(a) FROM t WHERE i < 4"
            )
            .await,
            [
                text("9.8"),
                // As the evaluator divides.
                text(&decimal_text(
                    &decimal_arith(DecimalOp::Div, &d("9.8"), &d("3")).unwrap()
                )),
                text("0.1"),
                text("9.5"),
            ]
        );
        assert_eq!(
            row(
                &mut c,
                "SELECT odata_decimal_max(a), odata_decimal_sum(a) FROM t"
            )
            .await,
            [
                text("12345678901234567890.123456789012345678"),
                text("12345678901234567899.923456789012345678"),
            ]
        );
        let empty = row(
            &mut c,
            "SELECT odata_decimal_sum(a), odata_decimal_avg(a), odata_decimal_min(a) \
             FROM t WHERE i > 10",
        )
        .await;
        assert!(empty.iter().all(|(v, _)| v.is_none()), "{empty:?}");
        // Running sums before each row, and over a sliding frame (which drops values).
        let running: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT odata_decimal_sum(a) OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING \
             AND 1 PRECEDING) FROM t WHERE i < 4 ORDER BY i",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        assert_eq!(running, [None, Some("0.1".into()), Some("0.3".into())]);
        let sliding: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT odata_decimal_sum(a) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING \
             AND CURRENT ROW) FROM t ORDER BY i",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        assert_eq!(
            sliding,
            [
                Some("0.1".into()),
                Some("0.3".into()),
                Some("9.7".into()),
                Some("9.5".into()),
                Some("12345678901234567890.123456789012345678".into()),
            ]
        );
    }
}
