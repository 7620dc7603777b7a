//! The errors of `$apply`, whoever evaluates it (the in-memory evaluator, a SQL
//! translation): each targets `$apply` and names the transformation at fault.

use crate::error::{ErrorKind, ODataError};

/// A 400 for a `$apply` the request got wrong.
///
/// ```
/// use odata_core::query::apply::errors::bad;
/// assert_eq!(bad("groupby needs a property").message, "$apply: groupby needs a property");
/// ```
pub fn bad(message: impl Into<String>) -> ODataError {
    ODataError::bad_request(format!("$apply: {}", message.into())).with_target("$apply")
}

/// A 501 for a part of `$apply` the service does not evaluate.
pub fn not_implemented(what: impl std::fmt::Display) -> ODataError {
    ODataError::new(
        ErrorKind::NotImplemented,
        format!("$apply: {what} is not supported by this service."),
    )
    .with_target("$apply")
}

/// Re-targets a binder error (which names `$filter`, `$compute`, `$orderby`) at `$apply`,
/// in the transformation `step`.
pub fn in_apply(step: &str) -> impl Fn(ODataError) -> ODataError + '_ {
    move |mut e| {
        if e.kind == ErrorKind::BadRequest {
            let message = e
                .message
                .split_once(": ")
                .filter(|(head, _)| head.starts_with('$'))
                .map_or(e.message.as_str(), |(_, rest)| rest)
                .to_owned();
            e.message = format!("$apply: {step}: {message}");
            e.target = Some("$apply".into());
        }
        e
    }
}

/// A 400 for `rollup(p)` with one path and no `$all`: that names a leveled hierarchy, and
/// no service of this framework defines one.
pub fn one_level_rollup(name: &str) -> ODataError {
    bad(format!(
        "groupby: 'rollup({name})' with one argument names a leveled hierarchy, and this \
         service defines none; list two or more grouping properties, or '$all' and one or \
         more"
    ))
}
