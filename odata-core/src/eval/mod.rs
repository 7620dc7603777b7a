//! The in-memory evaluator of bound expressions: the semantic oracle the SQL translation
//! is tested against.
//!
//! Semantics (OData 4.01, DESIGN §4), each decided here once:
//!
//! * **Null.** `x eq null` is true for a null `x`, `x ne 'a'` is true for a null `x`;
//!   `gt`/`ge`/`lt`/`le` with a null operand are false (even `null ge null`), so
//!   comparisons are two-valued and `not (x gt 1)` is true for a null `x`. `and`/`or`/`not`
//!   on a null Boolean (a nullable Boolean property, a function of null): `null and false`
//!   = false, `null and true` = null, `null or true` = true, `null or false` = null,
//!   `not null` = null; [`matches()`] treats null as false. Built-in functions, arithmetic,
//!   `has` and `cast`/`isof` of null return null; `x in (…)` uses `eq` (so `null in
//!   (null)` is true).
//! * **Numbers.** Comparisons promote Int → Decimal → Double. Integer arithmetic runs in
//!   `i64`; overflow is a 400 "arithmetic overflow" (results beyond Int32 but within Int64
//!   are kept). `div` on integers truncates toward zero; integer or decimal division (and
//!   `mod`) by zero is a 400 "division by zero"; on doubles it follows IEEE 754 (±INF,
//!   NaN). `divby` is decimal division (double if an operand is a double). Doubles compare
//!   per IEEE (`NaN eq NaN` is false); `$orderby` sorts NaN after every number.
//!   `round` is half away from zero.
//! * **Strings** are compared ordinally by code point; `contains`/`startswith`/`endswith`
//!   are case-sensitive; `length`, `indexof` and `substring` count Unicode code points;
//!   `tolower`/`toupper` are the full Unicode mappings; `trim` removes Unicode white space.
//!   `substring` with a negative start starts at 0, a negative length gives `''`, and a
//!   start beyond the end gives `''` (the clamping of the .NET OData implementation).
//!   `matchesPattern` uses the `regex` crate (see [`compile_pattern`]) and is null when
//!   either argument is null.
//! * **Temporal.** DateTimeOffset values compare by instant across offsets; `year`…
//!   `fractionalseconds`, `date` and `time` use the value's own offset. Duration
//!   arithmetic is in 100 ns ticks; overflow, or a date/time outside 0001–9999, is a 400
//!   "arithmetic overflow". `DateTimeOffset ± Duration` keeps the offset; `Date ± Duration`
//!   adds the duration to midnight and keeps the day (rounding toward the past);
//!   `Duration mul/div number` truncates to whole ticks.
//! * **Enums** compare by numeric value; `has` is `(x & flags) == flags`.
//! * **Complex values** ([`Value::Json`]) are navigated for complex paths; the JSON leaf
//!   is converted per the path's type (enum member names → [`Value::Enum`], temporal text
//!   parsed); a leaf that does not convert is null. A type cast on a complex path only
//!   changes which properties may be named.
//! * **Lambdas**: `any`/`all` iterate the JSON array (a null collection is empty);
//!   `all` is true only when the predicate is true for every item; `$count` is the array
//!   length.
//! * **Type casts**: a `NS.Derived/prop` path is null for entities not of that type.
//!   `cast(x, T)` converts loosely (numbers ↔ numbers with truncation toward zero and a
//!   range check, anything → string, string → anything parseable, enum ↔ string/integer,
//!   DateTimeOffset → Date/TimeOfDay in its own offset, Date → DateTimeOffset at midnight
//!   UTC) and is null when the value cannot be converted. `isof(x, T)` compares the static
//!   type (for complex values the JSON `@odata.type`, when present, decides).
//! * `path/$count($filter=…;$search=…)` counts the items meeting both; `$search` looks
//!   at a string item or the string members of a complex item.
//! * Nested options of selected properties are applied by [`shape_value`].
//! * `$apply` sequences are evaluated by [`evaluate_apply`] (the semantics are listed in
//!   its module, `eval/apply.rs`).
//! * The geo functions are bound but not evaluated (501).

mod apply;
mod functions;
mod json;
mod ops;
mod select_options;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use indexmap::IndexMap;

pub use apply::{ApplyResult, PropertyRole, ResultProperty, ResultRow, evaluate_apply};
pub use select_options::{ShapedValue, shape_value};

use crate::bind::{BoundExpr, BoundOrderBy, BoundSearch, ExprType, PropertyRef};
use crate::edm::{EntityTypeId, Model};
use crate::error::{ErrorKind, ODataError};
use crate::query::SortDirection;
use crate::value::Value;

/// Read access to one entity's property values.
pub trait EntityValues {
    /// The concrete (most derived) type of the entity.
    fn entity_type(&self) -> EntityTypeId;
    /// The value of a structural property; `None` when the type has no such property.
    fn property(&self, name: &str) -> Option<&Value>;
}

/// An entity as a map of property values (for tests and the differential test).
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntity {
    /// The concrete entity type.
    pub entity_type: EntityTypeId,
    /// Property values by name; a missing property reads as absent (null).
    pub values: IndexMap<String, Value>,
}

impl EntityValues for MapEntity {
    fn entity_type(&self) -> EntityTypeId {
        self.entity_type
    }

    fn property(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
}

/// Evaluates a bound expression against one entity.
pub fn evaluate(
    model: &Model,
    expr: &BoundExpr,
    entity: &dyn EntityValues,
) -> Result<Value, ODataError> {
    Evaluator {
        model,
        entity,
        vars: Vec::new(),
    }
    .eval(expr)
}

/// True when the filter evaluates to `true` (null and false do not match).
pub fn matches(
    model: &Model,
    filter: &BoundExpr,
    entity: &dyn EntityValues,
) -> Result<bool, ODataError> {
    Ok(matches!(
        evaluate(model, filter, entity)?,
        Value::Boolean(true)
    ))
}

/// Orders two entities by `$orderby` keys: nulls first ascending, last descending.
pub fn compare_for_orderby(
    model: &Model,
    keys: &[BoundOrderBy],
    a: &dyn EntityValues,
    b: &dyn EntityValues,
) -> Result<Ordering, ODataError> {
    for key in keys {
        let va = evaluate(model, &key.expr, a)?;
        let vb = evaluate(model, &key.expr, b)?;
        let ord = ops::sort_order(&va, &vb);
        let ord = match key.direction {
            SortDirection::Asc => ord,
            SortDirection::Desc => ord.reverse(),
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}

/// True when the search matches: a term matches when its Unicode lower case is a
/// substring of the lower case of any of `texts`.
pub fn search_matches(search: &BoundSearch, texts: &[&str]) -> bool {
    let lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    search_lowered(search, &lowered)
}

fn search_lowered(search: &BoundSearch, texts: &[String]) -> bool {
    match search {
        BoundSearch::Term(term) => {
            let term = term.to_lowercase();
            texts.iter().any(|t| t.contains(&term))
        }
        BoundSearch::Not(s) => !search_lowered(s, texts),
        BoundSearch::And(a, b) => search_lowered(a, texts) && search_lowered(b, texts),
        BoundSearch::Or(a, b) => search_lowered(a, texts) || search_lowered(b, texts),
    }
}

/// A 500 for a value whose type the binder should have excluded.
/// Largest compiled form of a `matchesPattern` pattern: a pattern that would need more is
/// refused rather than letting one request build a huge automaton.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Compiles a `matchesPattern` pattern. Patterns use the syntax of the `regex` crate (the
/// ECMAScript syntax OData names, less look-around and back-references, which it refuses),
/// the same engine the SQLite store registers, so both agree on every match.
///
/// ```
/// let p = odata_core::eval::compile_pattern("^SN-[0-9]+$").unwrap();
/// assert!(p.is_match("SN-42"));
/// assert!(odata_core::eval::compile_pattern("(a").is_err());
/// ```
pub fn compile_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
}

pub(crate) fn type_error(what: &str, got: &Value) -> ODataError {
    ODataError::new(
        ErrorKind::Internal,
        format!("evaluator: expected {what}, got {}", ops::variant_name(got)),
    )
}

/// Evaluation state: the entity and the lambda variables in scope.
struct Evaluator<'a> {
    model: &'a Model,
    entity: &'a dyn EntityValues,
    vars: Vec<(&'a str, Value)>,
}

impl<'a> Evaluator<'a> {
    fn eval(&mut self, e: &'a BoundExpr) -> Result<Value, ODataError> {
        Ok(match e {
            BoundExpr::Literal { value, .. } => value.clone(),
            BoundExpr::Property(p) => self.property(p)?,
            BoundExpr::Not(x) => match self.boolean(x)? {
                Some(b) => Value::Boolean(!b),
                None => Value::Null,
            },
            BoundExpr::Neg { operand, .. } => ops::neg(self.eval(operand)?)?,
            BoundExpr::And(a, b) => {
                let l = self.boolean(a)?;
                if l == Some(false) {
                    return Ok(Value::Boolean(false));
                }
                match (l, self.boolean(b)?) {
                    (_, Some(false)) => Value::Boolean(false),
                    (Some(true), Some(true)) => Value::Boolean(true),
                    _ => Value::Null,
                }
            }
            BoundExpr::Or(a, b) => {
                let l = self.boolean(a)?;
                if l == Some(true) {
                    return Ok(Value::Boolean(true));
                }
                match (l, self.boolean(b)?) {
                    (_, Some(true)) => Value::Boolean(true),
                    (Some(false), Some(false)) => Value::Boolean(false),
                    _ => Value::Null,
                }
            }
            BoundExpr::Compare { op, left, right } => {
                let l = self.eval(left)?;
                let r = self.eval(right)?;
                Value::Boolean(ops::compare(*op, &l, &r))
            }
            BoundExpr::In { value, items } => {
                let v = self.eval(value)?;
                for item in items {
                    if ops::equal(&v, &self.eval(item)?) {
                        return Ok(Value::Boolean(true));
                    }
                }
                Value::Boolean(false)
            }
            BoundExpr::Has { value, flags } => match self.eval(value)? {
                Value::Null => Value::Null,
                Value::Enum(n) | Value::Int(n) => Value::Boolean(n & flags == *flags),
                other => return Err(type_error("an enumeration value", &other)),
            },
            BoundExpr::Arith {
                op,
                left,
                right,
                ty,
            } => {
                let l = self.eval(left)?;
                let r = self.eval(right)?;
                ops::arith(*op, l, r, ty)?
            }
            BoundExpr::Call { function, args, .. } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a)?);
                }
                functions::call(*function, values)?
            }
            BoundExpr::Case { branches, .. } => {
                for (when, then) in branches {
                    if self.boolean(when)? == Some(true) {
                        return self.eval(then);
                    }
                }
                Value::Null
            }
            BoundExpr::Cast { operand, ty } => {
                let v = self.eval(operand)?;
                functions::cast(self.model, v, &operand.ty(), ty)
            }
            BoundExpr::IsOf {
                operand,
                entity_type,
                ty,
            } => match (operand, entity_type, ty) {
                (None, Some(et), _) => Value::Boolean(
                    self.model
                        .entity_derives_from(self.entity.entity_type(), *et),
                ),
                (Some(op), _, Some(ty)) => {
                    let v = self.eval(op)?;
                    functions::isof(self.model, &v, &op.ty(), ty)
                }
                _ => Value::Null,
            },
            BoundExpr::Any {
                collection,
                variable,
                predicate,
            } => {
                let items = self.items(collection)?;
                let Some(predicate) = predicate else {
                    return Ok(Value::Boolean(!items.is_empty()));
                };
                for item in items {
                    if self.with_var(variable, item, predicate)? == Some(true) {
                        return Ok(Value::Boolean(true));
                    }
                }
                Value::Boolean(false)
            }
            BoundExpr::All {
                collection,
                variable,
                predicate,
            } => {
                for item in self.items(collection)? {
                    if self.with_var(variable, item, predicate)? != Some(true) {
                        return Ok(Value::Boolean(false));
                    }
                }
                Value::Boolean(true)
            }
            BoundExpr::CountWhere {
                collection,
                variable,
                filter,
                search,
            } => {
                let mut n: i64 = 0;
                for item in self.items(collection)? {
                    if let Some(search) = search
                        && !search_matches(search, &select_options::item_texts_of(&item))
                    {
                        continue;
                    }
                    if let Some(filter) = filter
                        && self.with_var(variable, item, filter)? != Some(true)
                    {
                        continue;
                    }
                    n += 1;
                }
                Value::Int(n)
            }
            BoundExpr::Count(p) => match self.property(p)? {
                Value::Null => Value::Int(0),
                Value::Json(serde_json::Value::Array(a)) => {
                    Value::Int(i64::try_from(a.len()).unwrap_or(i64::MAX))
                }
                other => return Err(type_error("a collection", &other)),
            },
        })
    }

    /// A Boolean operand: `Some(b)`, or `None` for null.
    fn boolean(&mut self, e: &'a BoundExpr) -> Result<Option<bool>, ODataError> {
        match self.eval(e)? {
            Value::Boolean(b) => Ok(Some(b)),
            Value::Null => Ok(None),
            other => Err(type_error("a Boolean", &other)),
        }
    }

    /// Evaluates `predicate` with `variable` bound to `item`.
    fn with_var(
        &mut self,
        variable: &'a str,
        item: Value,
        predicate: &'a BoundExpr,
    ) -> Result<Option<bool>, ODataError> {
        self.vars.push((variable, item));
        let result = self.boolean(predicate);
        self.vars.pop();
        result
    }

    /// The items of a collection-valued property, converted per the item type.
    fn items(&self, collection: &PropertyRef) -> Result<Vec<Value>, ODataError> {
        let ExprType::Collection(item_ty) = &collection.ty else {
            return Err(ODataError::new(
                ErrorKind::Internal,
                "evaluator: lambda over a non-collection",
            ));
        };
        match self.property(collection)? {
            Value::Null => Ok(Vec::new()),
            Value::Json(serde_json::Value::Array(items)) => Ok(items
                .iter()
                .map(|j| json::to_value(self.model, j, item_ty))
                .collect()),
            other => Err(type_error("a collection", &other)),
        }
    }

    /// The value of a property path.
    fn property(&self, p: &PropertyRef) -> Result<Value, ODataError> {
        if let Some(cast) = p.cast
            && !self
                .model
                .entity_derives_from(self.entity.entity_type(), cast)
        {
            return Ok(Value::Null);
        }
        let (start, rest): (&Value, &[String]) = match &p.variable {
            Some(v) => match self.vars.iter().rev().find(|(n, _)| n == v) {
                Some((_, value)) => (value, &p.path[..]),
                None => {
                    return Err(ODataError::new(
                        ErrorKind::Internal,
                        format!("evaluator: lambda variable '{v}' is not bound"),
                    ));
                }
            },
            None => match p.path.split_first() {
                Some((first, rest)) => (self.entity.property(first).unwrap_or(&Value::Null), rest),
                None => return Ok(Value::Null),
            },
        };
        if rest.is_empty() {
            return Ok(start.clone());
        }
        let mut cur = match start {
            Value::Json(j) => j,
            Value::Null => return Ok(Value::Null),
            other => return Err(type_error("a complex value", other)),
        };
        for name in rest {
            match cur.get(name.as_str()) {
                Some(next) => cur = next,
                None => return Ok(Value::Null),
            }
        }
        Ok(json::to_value(self.model, cur, &p.ty))
    }
}
