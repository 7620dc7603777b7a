//! Binding: the untyped query AST checked against the EDM into a typed tree.
//!
//! [`bind_filter`], [`bind_orderby`], [`bind_expr`], [`bind_select`] and [`bind_search`]
//! resolve names against the model (properties, inherited properties, complex paths,
//! type casts, lambda variables), convert literals to typed [`Value`](crate::value::Value)s
//! (string literals compared with an enumeration become members), resolve parameter
//! aliases and type-check operators and functions. The result ([`BoundExpr`]) is what the
//! evaluator ([`crate::eval`]) and the SQL translator consume.
//!
//! Semantic choices:
//! * `now()` is folded into a DateTimeOffset literal ([`BindContext::now`]).
//! * Numeric literals: integer syntax → Int32 if it fits, else Int64, else Decimal;
//!   decimal syntax → Decimal; exponent/INF/NaN → Double. A literal compared with (or
//!   combined with) a wider numeric operand is widened losslessly (Int → Decimal/Double).
//! * A string or integer literal meeting an enumeration operand becomes a member of that
//!   enumeration (400 listing the members when it is none); a string literal meeting an
//!   Edm.Duration becomes a duration (4.01 allows the `duration` prefix to be omitted).
//!   GUID and DateTimeOffset operands need unquoted literals.
//! * `x in collectionProperty` is rewritten to `collectionProperty/any($in: x eq $in)`.
//! * A parameter alias the request does not define is null; alias cycles are a 400.
//! * The parser's limits hold again for the bound expression, parameter aliases substituted
//!   ([`BindContext::limits`]): an alias used many times, or a chain of aliases, is a 400
//!   once it exceeds them, detected while binding (the oversized tree is never built).
//!   Runs of `and`/`or` are combined pairwise, so long `… or …` lists stay shallow.
//! * Write-only properties (`Core.Permissions/Write`) are a 400 wherever a query names
//!   them (`$filter`, `$orderby`, `$select`, `$compute`, lambdas, aliases).
//! * Function names match case-insensitively (4.01).
//! * A single-valued navigation property leads to the related entity's members (alone, it
//!   only compares with null); a collection-valued one is a collection of entities for
//!   `any`/`all` (whose variable is then an entity) and `$count`.
//! * `$root`, bound functions and annotation paths in expressions are 501
//!   (`ErrorKind::NotImplemented`).
//! * `path/$count($filter=…;$search=…)` binds the nested `$filter` with `$this` (and bare
//!   member names) standing for the item ([`BoundExpr::CountWhere`]); nested options of
//!   selected properties are bound by [`bind_select_options`] the same way.
//! * `$compute` aliases are resolved by substituting their bound expressions
//!   ([`bind_compute`] and the `_computed` entry points).

mod binder;
mod compute;
mod functions;
mod literal;
mod select;
mod select_options;
mod shape;
mod typed;
mod types;

#[cfg(test)]
mod error_table;
#[cfg(test)]
pub(crate) mod test_model;
#[cfg(test)]
mod tests;

pub use binder::{BindContext, THIS, bind_expr, bind_filter, bind_orderby, bind_search};
pub use compute::{
    ComputedProperty, bind_compute, bind_filter_computed, bind_orderby_computed,
    bind_select_computed,
};
pub use functions::{function_name, supported_filter_functions};
pub use select::bind_select;
pub use select_options::{SelectOptions, SelectedMember, SelectedProperty, bind_select_options};
pub use shape::{nested_shape_model, shape_model};
pub use typed::*;
