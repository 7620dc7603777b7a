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
//! sqlx has no safe API for scalar functions, so this module calls SQLite's C API through
//! `libsqlite3-sys` (the library sqlx links). It is the one place of the workspace that
//! allows `unsafe`; each block states why it is sound.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use sqlx::sqlite::SqliteConnection;

/// The SQL name of the Unicode `tolower`.
pub const LOWER: &str = "odata_lower";
/// The SQL name of the Unicode `toupper`.
pub const UPPER: &str = "odata_upper";
/// The SQL name of the decimal sort key: the text of `odata_core::value::decimal_sort_key`
/// for a decimal stored as text (its canonical text), whose byte order is the numeric
/// order, so comparisons and ORDER BY of Edm.Decimal values are exact.
pub const DECIMAL_KEY: &str = "odata_decimal_key";

/// Registers [`LOWER`], [`UPPER`] and [`DECIMAL_KEY`] on `connection` (for a pool's
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
    for (name, function) in [
        (c"odata_lower", lower as ScalarFunction),
        (c"odata_upper", upper as ScalarFunction),
        (c"odata_decimal_key", decimal_key as ScalarFunction),
    ] {
        let code = create_function(db, name, function);
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

/// `sqlite3_create_function_v2` for a deterministic one-argument UTF-8 function.
fn create_function(db: NonNull<ffi::sqlite3>, name: &CStr, function: ScalarFunction) -> c_int {
    // SAFETY: `db` is a live connection that the caller's `LockedSqliteHandle` keeps from
    // being used by sqlx's worker thread during the call; `name` is NUL-terminated and
    // copied by SQLite; no user data, no destructor.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db.as_ptr(),
            name.as_ptr(),
            1,
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
