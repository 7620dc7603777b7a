//! Bound expressions → SQL fragments.
//!
//! Every value is kept in one canonical SQL representation per EDM type, so comparisons,
//! `in`, `case` and functions can combine any two expressions of a type:
//!
//! | EDM type                      | SQL value                                            |
//! |-------------------------------|------------------------------------------------------|
//! | String, Date                  | TEXT (`YYYY-MM-DD` for Date)                         |
//! | Guid                          | TEXT, lower-case hyphenated                          |
//! | Boolean                       | INTEGER 0/1                                          |
//! | Byte … Int64, enums           | INTEGER (enums by numeric value)                     |
//! | Double, Single, Decimal       | REAL (see the Decimal caveat in the module docs)     |
//! | Duration, TimeOfDay           | INTEGER 100 ns ticks                                 |
//! | DateTimeOffset                | [`Dto`]: UTC ticks + offset minutes (+ the text)     |
//! | complex, collection           | JSON text                                            |
//!
//! Columns already hold these (Decimal is read with `CAST(… AS REAL)`); values inside JSON
//! (complex members, collection items) are converted on the way out by
//! [`Translator::json_leaf`].

use odata_core::bind::{ArithOp, BoundExpr, CompareOp, ExprType, Function, PropertyRef};
use odata_core::edm::{EntityTypeId, EnumTypeId, Model, PrimitiveKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::value::{DateTimeOffset, Value};

use super::dialect::{ExprDialect, JsonScalar};
use super::frag::{Frag, frag};
use super::param::SqlParam;
use crate::store::table::{ColumnKind, Table};

/// 100 ns ticks per second.
pub(crate) const TICKS_PER_SECOND: i64 = 10_000_000;
/// 100 ns ticks per minute.
pub(crate) const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
/// 100 ns ticks per hour.
pub(crate) const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
/// 100 ns ticks per day.
pub(crate) const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// Every character Rust's `char::is_whitespace` (Unicode `White_Space`) accepts, which is
/// what `str::trim` removes; bound as `trim`'s character set.
pub(crate) const WHITESPACE: &str = concat!(
    "\u{9}\u{a}\u{b}\u{c}\u{d}\u{20}\u{85}\u{a0}\u{1680}",
    "\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}",
    "\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}"
);

/// A constant false. Not the literal `0`: SQLite folds `0 AND x` to the integer 0, and an
/// integer constant in ORDER BY names a result column.
const FALSE: &str = "(1 = 0)";

/// An Edm.DateTimeOffset value: the instant in UTC ticks, the offset it is expressed in
/// (minutes), and — when the value is a stored or literal one — its text, from which the
/// local date and time parts are read by position.
#[derive(Debug, Clone)]
pub(crate) struct Dto {
    /// INTEGER 100 ns ticks since 1970-01-01T00:00:00Z.
    pub(crate) ticks: Frag,
    /// INTEGER offset in minutes; derived from `text` when `None`.
    pub(crate) offset: Option<Frag>,
    /// The text as sent (`YYYY-MM-DDThh:mm[:ss[.f]]` + `Z`/`±hh:mm`/`±hhmm`/`±hh`).
    pub(crate) text: Option<Frag>,
}

/// A translated expression.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    /// A single SQL value in the canonical representation of its type.
    Scalar(Frag),
    /// An Edm.DateTimeOffset.
    Dto(Dto),
}

impl Val {
    /// The value to compare or sort by: the UTC ticks of a DateTimeOffset, else itself.
    pub(crate) fn comparable(self) -> Frag {
        match self {
            Val::Scalar(f) => f,
            Val::Dto(d) => d.ticks,
        }
    }
}

/// Where a property path's value comes from.
enum Source {
    /// A column of the table (index into `Table::columns`).
    Column(usize),
    /// Raw JSON-extracted SQL (a member inside a JSON column or a lambda item).
    Json(Frag),
}

/// Translates bound expressions over one table.
pub(crate) struct Translator<'a, D: ExprDialect> {
    model: &'a Model,
    table: &'a Table,
    dialect: &'a D,
    /// Lambda variables in scope, innermost last: name and current-item expression.
    scopes: Vec<(String, Frag)>,
    /// Counter for unique aliases (`$j1`, `$v2`, …).
    aliases: usize,
}

/// A 501 naming what is not supported.
pub(crate) fn not_implemented(what: impl std::fmt::Display) -> ODataError {
    ODataError::new(
        ErrorKind::NotImplemented,
        format!("{what} is not supported by this service's database queries."),
    )
}

/// A 500 for a bound tree that does not fit the model (a binder bug, never user input).
fn internal(what: impl std::fmt::Display) -> ODataError {
    ODataError::new(
        ErrorKind::Internal,
        format!("Cannot translate the query: {what}."),
    )
}

/// A type's name for messages.
fn type_name(model: &Model, ty: &ExprType) -> String {
    match ty {
        ExprType::Primitive(p) => p.name().to_owned(),
        ExprType::Enum(id) => model.enum_type(*id).qualified_name.clone(),
        ExprType::Complex(id) => model.complex_type(*id).qualified_name.clone(),
        ExprType::Collection(inner) => format!("Collection({})", type_name(model, inner)),
        ExprType::Null => "null".to_owned(),
    }
}

fn is_null_literal(e: &BoundExpr) -> bool {
    matches!(
        e,
        BoundExpr::Literal {
            value: Value::Null,
            ..
        }
    )
}

fn is_value_literal(e: &BoundExpr) -> bool {
    matches!(e, BoundExpr::Literal { value, .. } if !value.is_null())
}

fn is_integer(ty: &ExprType) -> bool {
    matches!(ty, ExprType::Primitive(p) if p.integer_range().is_some())
}

fn is_kind(ty: &ExprType, kind: PrimitiveKind) -> bool {
    matches!(ty, ExprType::Primitive(p) if *p == kind)
}

/// The OData name of a built-in function, for messages.
pub(crate) fn function_name(f: Function) -> &'static str {
    match f {
        Function::Contains => "contains",
        Function::StartsWith => "startswith",
        Function::EndsWith => "endswith",
        Function::Length => "length",
        Function::IndexOf => "indexof",
        Function::Substring => "substring",
        Function::MatchesPattern => "matchesPattern",
        Function::ToLower => "tolower",
        Function::ToUpper => "toupper",
        Function::Trim => "trim",
        Function::Concat => "concat",
        Function::Year => "year",
        Function::Month => "month",
        Function::Day => "day",
        Function::Hour => "hour",
        Function::Minute => "minute",
        Function::Second => "second",
        Function::FractionalSeconds => "fractionalseconds",
        Function::TotalSeconds => "totalseconds",
        Function::Date => "date",
        Function::Time => "time",
        Function::TotalOffsetMinutes => "totaloffsetminutes",
        Function::MinDateTime => "mindatetime",
        Function::MaxDateTime => "maxdatetime",
        Function::Now => "now",
        Function::Round => "round",
        Function::Floor => "floor",
        Function::Ceiling => "ceiling",
        Function::GeoDistance => "geo.distance",
        Function::GeoLength => "geo.length",
        Function::GeoIntersects => "geo.intersects",
    }
}

/// A REAL parameter for a decimal, through its decimal text so the nearest double is
/// chosen (correct rounding).
fn decimal_param(d: &impl std::fmt::Display) -> Frag {
    let text = d.to_string();
    match text.parse::<f64>() {
        Ok(r) => Frag::param(SqlParam::Real(r)),
        Err(_) => Frag::param(SqlParam::Null),
    }
}

/// `((x % m) + m) % m`: the floored remainder (SQLite's `%` truncates toward zero).
fn floor_mod(x: &Frag, m: i64) -> Frag {
    frag!["(((", x, format!(" % {m}) + {m}) % {m})").as_str()]
}

/// The offset in minutes of DateTimeOffset text `t` (an atomic fragment), read from its
/// end: `Z`/`z`, `±hh:mm`, `±hh` or `±hhmm`.
fn offset_of_text(d: &impl ExprDialect, t: &Frag) -> Frag {
    let sign = |from_end: u32| {
        frag![
            "(CASE ",
            d.substr_from_end(t, from_end, 1),
            " WHEN '-' THEN -1 ELSE 1 END)"
        ]
    };
    let num = |from_end: u32| {
        frag![
            "CAST(",
            d.substr_from_end(t, from_end, 2),
            " AS ",
            d.integer_type(),
            ")"
        ]
    };
    frag![
        "(CASE WHEN ",
        d.substr_from_end(t, 1, 1),
        " IN ('Z', 'z') THEN 0 WHEN ",
        d.substr_from_end(t, 3, 1),
        " = ':' THEN ",
        sign(6),
        " * (",
        num(5),
        " * 60 + ",
        num(2),
        ") WHEN ",
        d.substr_from_end(t, 3, 1),
        " IN ('+', '-') THEN ",
        sign(3),
        " * ",
        num(2),
        " * 60 ELSE ",
        sign(5),
        " * (",
        num(4),
        " * 60 + ",
        num(2),
        ") END)"
    ]
}

/// `r`, or null for zero: division and remainder by zero are null on every database.
fn nonzero(r: Frag) -> Frag {
    frag!["NULLIF(", r, ", 0)"]
}

/// The largest 32-bit integer.
const I32_MAX: i64 = i32::MAX as i64;

/// `x` (atomic) within `0..=max`; null for null.
fn clamp(x: &Frag, max: i64) -> Frag {
    frag![
        "(CASE WHEN ",
        x,
        " < 0 THEN 0 WHEN ",
        x,
        format!(" > {max} THEN {max} ELSE ").as_str(),
        x,
        " END)"
    ]
}

/// The length of the offset suffix of DateTimeOffset text `t` (atomic).
fn offset_len_of_text(d: &impl ExprDialect, t: &Frag) -> Frag {
    frag![
        "(CASE WHEN ",
        d.substr_from_end(t, 1, 1),
        " IN ('Z', 'z') THEN 1 WHEN ",
        d.substr_from_end(t, 3, 1),
        " = ':' THEN 6 WHEN ",
        d.substr_from_end(t, 3, 1),
        " IN ('+', '-') THEN 3 ELSE 5 END)"
    ]
}

/// `CAST(substr(t, pos, len) AS INTEGER)`: digits at a fixed position.
fn text_int(d: &impl ExprDialect, t: &Frag, pos: u32, len: u32) -> Frag {
    frag![
        "CAST(substr(",
        t,
        format!(", {pos}, {len}) AS ").as_str(),
        d.integer_type(),
        ")"
    ]
}

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// A translator for expressions over `table`.
    pub(crate) fn new(model: &'a Model, table: &'a Table, dialect: &'a D) -> Self {
        Self {
            model,
            table,
            dialect,
            scopes: Vec::new(),
            aliases: 0,
        }
    }

    /// `x` as a double.
    fn real(&self, x: Frag) -> Frag {
        frag!["CAST(", x, " AS ", self.dialect.real_type(), ")"]
    }

    /// The integer `value` (translated from `arg`) within `0..=max`: a literal clamped
    /// here, anything else in SQL (null stays null).
    fn clamped(&mut self, arg: &BoundExpr, value: Frag, max: i64) -> Frag {
        match arg {
            BoundExpr::Literal {
                value: Value::Int(i),
                ..
            } => Frag::param((*i).clamp(0, max)),
            _ => self.share(vec![value], |v| clamp(&v[0], max)),
        }
    }

    fn next_alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("${prefix}{}", self.aliases)
    }

    /// Evaluates `body` over `inputs`, each referred to once: atomic inputs are passed
    /// through, others are computed once in a scalar subquery
    /// `(SELECT body FROM (SELECT input AS "$v1", …))`, so SQL size stays linear in the
    /// expression size however often `body` repeats an input.
    fn share(&mut self, inputs: Vec<Frag>, body: impl FnOnce(&[Frag]) -> Frag) -> Frag {
        let mut refs = Vec::with_capacity(inputs.len());
        let mut bound = Vec::new();
        for input in inputs {
            if input.is_atomic() {
                refs.push(input);
            } else {
                let name = self.dialect.quote(&self.next_alias("v"));
                bound.push(frag![input, " AS ", name.as_str()]);
                refs.push(Frag::atom(name));
            }
        }
        let body = body(&refs);
        if bound.is_empty() {
            body
        } else {
            // PostgreSQL requires the derived table to be named.
            let table = self.dialect.quote(&self.next_alias("s"));
            frag![
                "(SELECT ",
                body,
                " FROM (SELECT ",
                Frag::join(bound, ", "),
                ") AS ",
                table.as_str(),
                ")"
            ]
        }
    }

    /// A Boolean expression as a SQL condition (null, 0 or 1).
    pub(crate) fn condition(&mut self, e: &BoundExpr) -> Result<Frag, ODataError> {
        match e.ty() {
            ExprType::Primitive(PrimitiveKind::Boolean) | ExprType::Null => {
                Ok(self.value(e)?.comparable())
            }
            other => Err(ODataError::bad_request(format!(
                "The expression has the type {} where a Boolean is required.",
                type_name(self.model, &other)
            ))),
        }
    }

    /// Translates any expression.
    pub(crate) fn value(&mut self, e: &BoundExpr) -> Result<Val, ODataError> {
        Ok(match e {
            BoundExpr::Literal { value, ty } => self.literal(value, ty)?,
            BoundExpr::Property(p) => self.property(p)?,
            BoundExpr::Not(x) => Val::Scalar(frag!["(NOT ", self.condition(x)?, ")"]),
            BoundExpr::And(a, b) => Val::Scalar(frag![
                "(",
                self.condition(a)?,
                " AND ",
                self.condition(b)?,
                ")"
            ]),
            BoundExpr::Or(a, b) => Val::Scalar(frag![
                "(",
                self.condition(a)?,
                " OR ",
                self.condition(b)?,
                ")"
            ]),
            BoundExpr::Compare { op, left, right } => Val::Scalar(self.compare(*op, left, right)?),
            BoundExpr::In { value, items } => Val::Scalar(self.in_list(value, items)?),
            BoundExpr::Has { value, flags } => {
                let v = self.value(value)?.comparable();
                Val::Scalar(frag![
                    "((",
                    v,
                    " & ",
                    Frag::param(*flags),
                    ") = ",
                    Frag::param(*flags),
                    ")"
                ])
            }
            BoundExpr::Arith {
                op,
                left,
                right,
                ty,
            } => self.arith(*op, left, right, ty)?,
            BoundExpr::Neg { operand, .. } => {
                let v = self.value(operand)?;
                match v {
                    Val::Scalar(f) => Val::Scalar(frag!["(- ", f, ")"]),
                    Val::Dto(_) => return Err(internal("negation of a DateTimeOffset")),
                }
            }
            BoundExpr::Call { function, args, .. } => self.call(*function, args)?,
            BoundExpr::Case { branches, ty } => self.case(branches, ty)?,
            BoundExpr::Cast { operand, ty } => self.cast(operand, ty)?,
            BoundExpr::IsOf {
                operand,
                entity_type,
                ty,
            } => Val::Scalar(self.is_of(operand.as_deref(), *entity_type, ty.as_ref())?),
            BoundExpr::Any {
                collection,
                variable,
                predicate,
            } => Val::Scalar(self.lambda(collection, variable, predicate.as_deref(), false)?),
            BoundExpr::All {
                collection,
                variable,
                predicate,
            } => Val::Scalar(self.lambda(collection, variable, Some(predicate), true)?),
            BoundExpr::Count(collection) => {
                let array = self.collection(collection)?;
                Val::Scalar(frag![
                    "COALESCE(",
                    self.dialect.json_array_length(array),
                    ", 0)"
                ])
            }
        })
    }

    fn literal(&self, value: &Value, ty: &ExprType) -> Result<Val, ODataError> {
        Ok(Val::Scalar(match value {
            Value::Null => Frag::atom("NULL"),
            Value::Boolean(b) => self.dialect.boolean(*b),
            Value::Int(i) | Value::Enum(i) => Frag::param(*i),
            Value::Double(d) => Frag::param(SqlParam::Real(*d)),
            Value::Decimal(d) => decimal_param(d),
            Value::String(s) => Frag::param(s.as_str()),
            Value::Guid(g) => Frag::param(g.hyphenated().to_string()),
            Value::Date(d) => Frag::param(d.to_string()),
            Value::TimeOfDay(t) => Frag::param(t.ticks()),
            Value::Duration(d) => Frag::param(d.ticks()),
            Value::DateTimeOffset(d) => return Ok(Val::Dto(dto_literal(d))),
            Value::Json(j) => {
                if matches!(ty, ExprType::Complex(_) | ExprType::Collection(_)) {
                    Frag::param(j.to_string())
                } else {
                    return Err(internal("a JSON literal of a primitive type"));
                }
            }
        }))
    }

    /// A column reference, qualified with the table name inside lambda subqueries (whose
    /// `json_each` columns `key`, `value`, `type`, `id`, … would otherwise shadow
    /// properties of the same name).
    fn column(&self, name: &str) -> Frag {
        if self.scopes.is_empty() {
            Frag::atom(self.dialect.quote(name))
        } else {
            Frag::atom(format!(
                "{}.{}",
                self.dialect.quote(&self.table.name),
                self.dialect.quote(name)
            ))
        }
    }

    /// `"_type" IN (?, …)`: the entity is of `ty` or one of its subtypes.
    fn type_test(&self, ty: EntityTypeId) -> Frag {
        let names: Vec<Frag> = self
            .model
            .entity_type_and_subtypes(ty)
            .into_iter()
            .map(|t| Frag::param(self.model.entity_type(t).qualified_name.as_str()))
            .collect();
        frag![self.column("_type"), " IN (", Frag::join(names, ", "), ")"]
    }

    /// `x`, or `CASE WHEN "_type" IN (…) THEN x END` for a path cast to a derived type.
    fn guard(&self, cast: Option<EntityTypeId>, x: Frag) -> Frag {
        match cast {
            None => x,
            Some(ty) => frag!["(CASE WHEN ", self.type_test(ty), " THEN ", x, " END)"],
        }
    }

    fn source(&self, p: &PropertyRef) -> Result<Source, ODataError> {
        match &p.variable {
            None => {
                let (first, rest) = p
                    .path
                    .split_first()
                    .ok_or_else(|| internal("an empty property path"))?;
                let index = self
                    .table
                    .column_index(first)
                    .ok_or_else(|| internal(format!("no column for property '{first}'")))?;
                if rest.is_empty() {
                    Ok(Source::Column(index))
                } else {
                    let column = self.guard(p.cast, self.column(first));
                    Ok(Source::Json(self.dialect.json_extract(column, rest)))
                }
            }
            Some(var) => {
                if p.cast.is_some() {
                    return Err(not_implemented("A type cast on a lambda variable"));
                }
                let item = self
                    .scopes
                    .iter()
                    .rev()
                    .find(|(name, _)| name == var)
                    .map(|(_, item)| item.clone())
                    .ok_or_else(|| internal(format!("unknown lambda variable '{var}'")))?;
                Ok(Source::Json(self.dialect.json_extract(item, &p.path)))
            }
        }
    }

    fn property(&mut self, p: &PropertyRef) -> Result<Val, ODataError> {
        match self.source(p)? {
            Source::Column(index) => {
                let column = &self.table.columns[index];
                let name = column.property.name.clone();
                Ok(match column.kind {
                    ColumnKind::DateTimeOffset => Val::Dto(Dto {
                        ticks: self.guard(p.cast, self.column(&format!("{name}__utc"))),
                        offset: None,
                        text: Some(self.guard(p.cast, self.column(&name))),
                    }),
                    ColumnKind::Text if is_kind(&p.ty, PrimitiveKind::Decimal) => {
                        Val::Scalar(frag![
                            "CAST(",
                            self.guard(p.cast, self.column(&name)),
                            " AS ",
                            self.dialect.real_type(),
                            ")"
                        ])
                    }
                    ColumnKind::Integer if is_kind(&p.ty, PrimitiveKind::Boolean) => Val::Scalar(
                        self.dialect
                            .boolean_column(self.guard(p.cast, self.column(&name))),
                    ),
                    ColumnKind::Text
                    | ColumnKind::Integer
                    | ColumnKind::Real
                    | ColumnKind::Json => Val::Scalar(self.guard(p.cast, self.column(&name))),
                })
            }
            Source::Json(raw) => self.json_leaf(raw, &p.ty),
        }
    }

    /// The JSON text of a collection-valued path.
    fn collection(&mut self, p: &PropertyRef) -> Result<Frag, ODataError> {
        match self.source(p)? {
            Source::Column(index) => {
                let name = self.table.columns[index].property.name.clone();
                Ok(self.guard(p.cast, self.column(&name)))
            }
            Source::Json(raw) => Ok(raw),
        }
    }

    /// Converts a value read out of JSON (by `json_extract` or `json_each`) to the
    /// canonical representation of `ty`.
    fn json_leaf(&mut self, raw: Frag, ty: &ExprType) -> Result<Val, ODataError> {
        let p = match ty {
            ExprType::Complex(_) | ExprType::Collection(_) | ExprType::Null => {
                return Ok(Val::Scalar(raw));
            }
            ExprType::Enum(id) => return Ok(Val::Scalar(self.enum_json_leaf(raw, *id))),
            ExprType::Primitive(p) => *p,
        };
        let dialect = self.dialect;
        Ok(Val::Scalar(match p {
            PrimitiveKind::String | PrimitiveKind::Date => raw,
            PrimitiveKind::Boolean => dialect.json_scalar(raw, JsonScalar::Boolean),
            PrimitiveKind::Guid => frag!["lower(", raw, ")"],
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64 => dialect.json_scalar(raw, JsonScalar::Integer),
            PrimitiveKind::Decimal => frag!["CAST(", raw, " AS ", dialect.real_type(), ")"],
            PrimitiveKind::Double | PrimitiveKind::Single => self.share(vec![raw], |v| {
                dialect.json_scalar(v[0].clone(), JsonScalar::Real)
            }),
            PrimitiveKind::TimeOfDay => self.share(vec![raw], |v| {
                let t = &v[0];
                frag![
                    "(",
                    text_int(dialect, t, 1, 2),
                    format!(" * {TICKS_PER_HOUR} + ").as_str(),
                    text_int(dialect, t, 4, 2),
                    format!(" * {TICKS_PER_MINUTE} + (CASE WHEN substr(").as_str(),
                    t,
                    ", 6, 1) = ':' THEN ",
                    text_int(dialect, t, 7, 2),
                    format!(" * {TICKS_PER_SECOND} ELSE 0 END) + (CASE WHEN substr(").as_str(),
                    t,
                    ", 9, 1) = '.' THEN CAST(substr(substr(",
                    t,
                    ", 10) || '000000', 1, 7) AS ",
                    dialect.integer_type(),
                    ") ELSE 0 END))"
                ]
            }),
            PrimitiveKind::DateTimeOffset => {
                let ticks = self.ticks_of_text(raw.clone());
                return Ok(Val::Dto(Dto {
                    ticks,
                    offset: None,
                    text: Some(raw),
                }));
            }
            PrimitiveKind::Duration => {
                return Err(not_implemented(
                    "Comparing an Edm.Duration inside a complex or collection value",
                ));
            }
            PrimitiveKind::Binary => return Err(not_implemented("Edm.Binary")),
        }))
    }

    /// An enum member stored in JSON by name (`"a"`, or `"a,b"` for flags) as its
    /// numeric value; a number stored as such is kept.
    fn enum_json_leaf(&mut self, raw: Frag, id: EnumTypeId) -> Frag {
        let e = self.model.enum_type(id);
        let members: Vec<(String, i64)> = e
            .members
            .iter()
            .map(|m| (m.name.clone(), m.value))
            .collect();
        let flags = e.is_flags;
        let dialect = self.dialect;
        self.share(vec![raw], |v| {
            let v = &v[0];
            let mapped = if members.is_empty() {
                Frag::atom("NULL")
            } else if flags {
                let bits = members.iter().map(|(name, value)| {
                    let found = dialect.position(
                        frag!["(',' || ", v, " || ',')"],
                        Frag::param(format!(",{name},")),
                    );
                    frag![
                        "(CASE WHEN ",
                        &found,
                        " > 0 THEN ",
                        Frag::param(*value),
                        " WHEN ",
                        found,
                        " = 0 THEN 0 END)"
                    ]
                });
                frag!["(", Frag::join(bits, " | "), ")"]
            } else {
                let mut case = frag!["(CASE ", v];
                for (name, value) in &members {
                    case.push(frag![
                        " WHEN ",
                        Frag::param(name.as_str()),
                        " THEN ",
                        Frag::param(*value)
                    ]);
                }
                case.push(Frag::sql(" END)"));
                case
            };
            // A flags value without member names is kept as its number (or its text).
            frag![
                "(CASE WHEN ",
                dialect.json_is_integer(v),
                " THEN ",
                dialect.json_scalar(v.clone(), JsonScalar::Integer),
                " ELSE ",
                mapped,
                " END)"
            ]
        })
    }

    /// UTC ticks of DateTimeOffset text (null for null).
    fn ticks_of_text(&mut self, text: Frag) -> Frag {
        let dialect = self.dialect;
        self.share(vec![text], |v| {
            let t = &v[0];
            let local_minute = dialect.epoch_seconds(frag![
                "substr(",
                t,
                ", 1, 10) || ' ' || substr(",
                t,
                ", 12, 5)"
            ]);
            frag![
                "((",
                local_minute,
                " + (CASE WHEN substr(",
                t,
                ", 17, 1) = ':' THEN ",
                text_int(dialect, t, 18, 2),
                format!(" ELSE 0 END)) * {TICKS_PER_SECOND} + (CASE WHEN substr(").as_str(),
                t,
                ", 20, 1) = '.' THEN CAST(substr(substr(",
                t,
                ", 21, length(",
                t,
                ") - 20 - ",
                offset_len_of_text(dialect, t),
                ") || '000000', 1, 7) AS ",
                dialect.integer_type(),
                ") ELSE 0 END) - ",
                offset_of_text(dialect, t),
                format!(" * {TICKS_PER_MINUTE})").as_str()
            ]
        })
    }

    fn dto_offset(&mut self, d: &Dto) -> Result<Frag, ODataError> {
        match (&d.offset, &d.text) {
            (Some(offset), _) => Ok(offset.clone()),
            (None, Some(text)) => {
                let dialect = self.dialect;
                Ok(self.share(vec![text.clone()], |v| offset_of_text(dialect, &v[0])))
            }
            (None, None) => Err(internal("a DateTimeOffset without offset")),
        }
    }

    fn compare(
        &mut self,
        op: CompareOp,
        left: &BoundExpr,
        right: &BoundExpr,
    ) -> Result<Frag, ODataError> {
        for side in [left, right] {
            if let ExprType::Complex(_) | ExprType::Collection(_) = side.ty()
                && !matches!(op, CompareOp::Eq | CompareOp::Ne)
            {
                return Err(ODataError::bad_request(
                    "Complex and collection values can only be compared with null.",
                ));
            }
        }
        let l = self.value(left)?.comparable();
        let r = self.value(right)?.comparable();
        let with_value = is_value_literal(left) || is_value_literal(right);
        let symbol = match op {
            // Against a non-null literal, `eq` is the two-valued `=` below, which an index
            // serves on every database (PostgreSQL's `IS NOT DISTINCT FROM` is not
            // indexable).
            CompareOp::Eq if !with_value => return Ok(self.dialect.null_safe_eq(l, r)),
            CompareOp::Ne => return Ok(self.dialect.null_safe_ne(l, r)),
            _ if is_null_literal(left) || is_null_literal(right) => return Ok(Frag::sql(FALSE)),
            CompareOp::Eq => " = ",
            CompareOp::Gt => " > ",
            CompareOp::Ge => " >= ",
            CompareOp::Lt => " < ",
            CompareOp::Le => " <= ",
        };
        // Two-valued: false (not null) when either side is null, so `not (x gt 1)` holds
        // for a null x. The `IS NOT NULL` form keeps a column comparison sargable.
        let l_checked = is_value_literal(left) || l.is_atomic();
        let r_checked = is_value_literal(right) || r.is_atomic();
        if l_checked && r_checked {
            let mut out = frag!["(", &l, symbol, &r];
            if !is_value_literal(left) {
                out.push(frag![" AND ", l, " IS NOT NULL"]);
            }
            if !is_value_literal(right) {
                out.push(frag![" AND ", r, " IS NOT NULL"]);
            }
            out.push(Frag::sql(")"));
            Ok(out)
        } else {
            Ok(self.dialect.two_valued(frag![l, symbol, r]))
        }
    }

    fn in_list(&mut self, value: &BoundExpr, items: &[BoundExpr]) -> Result<Frag, ODataError> {
        let v = self.value(value)?.comparable();
        let mut literals = Vec::new();
        let mut null_item = false;
        let mut others = Vec::new();
        for item in items {
            if is_null_literal(item) {
                null_item = true;
            } else if is_value_literal(item) {
                literals.push(self.value(item)?.comparable());
            } else {
                others.push(self.value(item)?.comparable());
            }
        }
        let mut alternatives = Vec::new();
        if !literals.is_empty() {
            let list = Frag::join(literals, ", ");
            alternatives.push(if v.is_atomic() {
                frag!["(", &v, " IN (", list, ") AND ", &v, " IS NOT NULL)"]
            } else {
                self.dialect.two_valued(frag![&v, " IN (", list, ")"])
            });
        }
        if null_item {
            alternatives.push(frag!["(", &v, " IS NULL)"]);
        }
        for item in others {
            alternatives.push(self.dialect.null_safe_eq(v.clone(), item));
        }
        Ok(match alternatives.len() {
            0 => Frag::sql(FALSE),
            1 => alternatives.remove(0),
            _ => frag!["(", Frag::join(alternatives, " OR "), ")"],
        })
    }

    fn arith(
        &mut self,
        op: ArithOp,
        left: &BoundExpr,
        right: &BoundExpr,
        ty: &ExprType,
    ) -> Result<Val, ODataError> {
        let lt = left.ty();
        let rt = right.ty();
        let l = self.value(left)?;
        let r = self.value(right)?;
        match (l, r) {
            (Val::Dto(d), Val::Scalar(duration)) => {
                let sign = match op {
                    ArithOp::Add => " + ",
                    ArithOp::Sub => " - ",
                    _ => return Err(internal("DateTimeOffset arithmetic other than add/sub")),
                };
                // `0 * duration` makes the offset null with the duration.
                let offset = self.dto_offset(&d)?;
                Ok(Val::Dto(Dto {
                    ticks: frag!["(", d.ticks, sign, &duration, ")"],
                    offset: Some(frag!["(", offset, " + 0 * ", duration, ")"]),
                    text: None,
                }))
            }
            (Val::Scalar(duration), Val::Dto(d)) if op == ArithOp::Add => {
                let offset = self.dto_offset(&d)?;
                Ok(Val::Dto(Dto {
                    ticks: frag!["(", &duration, " + ", d.ticks, ")"],
                    offset: Some(frag!["(", offset, " + 0 * ", duration, ")"]),
                    text: None,
                }))
            }
            (Val::Dto(a), Val::Dto(b)) if op == ArithOp::Sub => {
                Ok(Val::Scalar(frag!["(", a.ticks, " - ", b.ticks, ")"]))
            }
            (Val::Dto(_), Val::Dto(_)) | (Val::Scalar(_), Val::Dto(_)) => {
                Err(internal("unsupported DateTimeOffset arithmetic"))
            }
            (Val::Scalar(l), Val::Scalar(r)) => {
                let date = |t: &ExprType| is_kind(t, PrimitiveKind::Date);
                if date(&lt) && date(&rt) && op == ArithOp::Sub {
                    let days = frag![
                        "(",
                        self.dialect.epoch_seconds(l),
                        " - ",
                        self.dialect.epoch_seconds(r),
                        ")"
                    ];
                    return Ok(Val::Scalar(frag![
                        days,
                        format!(" * {TICKS_PER_SECOND}").as_str()
                    ]));
                }
                let duration = |t: &ExprType| is_kind(t, PrimitiveKind::Duration);
                if date(&lt) || date(&rt) {
                    // Date ± Duration: midnight moved by the duration, floored to the day.
                    let (day, shift) = match (op, date(&lt)) {
                        (ArithOp::Add, true) => (l, r),
                        (ArithOp::Add, false) => (r, l),
                        (ArithOp::Sub, true) => (l, frag!["(- ", r, ")"]),
                        _ => return Err(internal("unsupported Edm.Date arithmetic")),
                    };
                    let dialect = self.dialect;
                    let moved = frag![
                        "(",
                        dialect.epoch_seconds(day),
                        format!(" / 86400 * {TICKS_PER_DAY} + ").as_str(),
                        shift,
                        ")"
                    ];
                    return Ok(Val::Scalar(self.share(vec![moved], |v| {
                        let x = &v[0];
                        dialect.date_from_epoch_days(frag![
                            "(",
                            x,
                            " - ",
                            floor_mod(x, TICKS_PER_DAY),
                            format!(") / {TICKS_PER_DAY}").as_str()
                        ])
                    })));
                }
                if duration(ty) && !(duration(&lt) && duration(&rt)) {
                    // Duration scaled by a number: whole ticks, truncated toward zero.
                    let number = if duration(&lt) { &rt } else { &lt };
                    let dialect = self.dialect;
                    return Ok(Val::Scalar(match op {
                        ArithOp::Mul if is_integer(number) => frag!["(", l, " * ", r, ")"],
                        ArithOp::Mul => dialect.truncate_to_integer(frag!["(", l, " * ", r, ")"]),
                        ArithOp::Div | ArithOp::DivBy if is_integer(number) => {
                            frag!["(", l, " / ", nonzero(r), ")"]
                        }
                        ArithOp::Div | ArithOp::DivBy => dialect.truncate_to_integer(frag![
                            "(",
                            self.real(l),
                            " / ",
                            nonzero(r),
                            ")"
                        ]),
                        _ => return Err(internal("unsupported Edm.Duration arithmetic")),
                    }));
                }
                let integer = is_integer(ty);
                let dialect = self.dialect;
                Ok(Val::Scalar(match op {
                    ArithOp::Add => frag!["(", l, " + ", r, ")"],
                    ArithOp::Sub => frag!["(", l, " - ", r, ")"],
                    ArithOp::Mul => frag!["(", l, " * ", r, ")"],
                    ArithOp::Div if integer => frag!["(", l, " / ", nonzero(r), ")"],
                    ArithOp::Div | ArithOp::DivBy => {
                        frag!["(", self.real(l), " / ", nonzero(r), ")"]
                    }
                    ArithOp::Mod if integer => frag!["(", l, " % ", nonzero(r), ")"],
                    // `%` is for integers only: l - r·trunc(l/r).
                    ArithOp::Mod => self.share(vec![l, r], |v| {
                        let (l, r) = (&v[0], &v[1]);
                        let quotient = frag![
                            "(CAST(",
                            l,
                            " AS ",
                            dialect.real_type(),
                            ") / ",
                            nonzero(r.clone()),
                            ")"
                        ];
                        frag!["(", l, " - ", r, " * ", dialect.truncate(quotient), ")"]
                    }),
                }))
            }
        }
    }

    fn case(
        &mut self,
        branches: &[(BoundExpr, BoundExpr)],
        ty: &ExprType,
    ) -> Result<Val, ODataError> {
        let mut conditions = Vec::with_capacity(branches.len());
        let mut values = Vec::with_capacity(branches.len());
        for (c, v) in branches {
            conditions.push(self.condition(c)?);
            values.push(self.value(v)?);
        }
        let build = |parts: Vec<Frag>| {
            let mut out = Frag::sql("(CASE");
            for (c, v) in conditions.iter().zip(parts) {
                out.push(frag![" WHEN ", c, " THEN ", v]);
            }
            out.push(Frag::sql(" END)"));
            out
        };
        if is_kind(ty, PrimitiveKind::DateTimeOffset) {
            let mut ticks = Vec::new();
            let mut offsets = Vec::new();
            for v in values {
                match v {
                    Val::Dto(d) => {
                        offsets.push(self.dto_offset(&d)?);
                        ticks.push(d.ticks);
                    }
                    Val::Scalar(null) => {
                        ticks.push(null.clone());
                        offsets.push(null);
                    }
                }
            }
            Ok(Val::Dto(Dto {
                ticks: build(ticks),
                offset: Some(build(offsets)),
                text: None,
            }))
        } else {
            Ok(Val::Scalar(build(
                values.into_iter().map(Val::comparable).collect(),
            )))
        }
    }

    /// `cast(x, T)` for the conversions the evaluator defines that have an exact SQL
    /// counterpart; null when the value does not convert. Others are 501.
    fn cast(&mut self, operand: &BoundExpr, ty: &ExprType) -> Result<Val, ODataError> {
        let from = operand.ty();
        if &from == ty {
            return self.value(operand);
        }
        if from == ExprType::Null {
            return Ok(Val::Scalar(Frag::atom("NULL")));
        }
        let value = self.value(operand)?;
        let converted = match (ty, &from, value) {
            (ExprType::Enum(id), _, Val::Scalar(v)) => self.cast_to_enum(v, &from, *id),
            (ExprType::Primitive(target), ExprType::Enum(id), Val::Scalar(v)) => {
                self.cast_enum(v, *id, *target)
            }
            (ExprType::Primitive(target), ExprType::Primitive(source), Val::Scalar(v)) => {
                self.cast_primitive(v, *source, *target)
            }
            (ExprType::Primitive(target), _, Val::Dto(d)) => match target {
                PrimitiveKind::Date => Some(self.dto_part(Function::Date, d)?),
                PrimitiveKind::TimeOfDay => Some(self.dto_part(Function::Time, d)?),
                PrimitiveKind::String => d.text.map(Val::Scalar),
                _ => None,
            },
            _ => None,
        };
        converted.ok_or_else(|| {
            not_implemented(format!(
                "cast from {} to {}",
                type_name(self.model, &from),
                type_name(self.model, ty)
            ))
        })
    }

    /// Integer or String → enum (a member's value; any value of a flags enum).
    fn cast_to_enum(&mut self, v: Frag, from: &ExprType, id: EnumTypeId) -> Option<Val> {
        let e = self.model.enum_type(id);
        let integer = matches!(from, ExprType::Enum(_)) || is_integer(from);
        if integer && e.is_flags {
            return Some(Val::Scalar(v));
        }
        if integer {
            let values: Vec<Frag> = e.members.iter().map(|m| Frag::param(m.value)).collect();
            return Some(Val::Scalar(self.share(vec![v], |v| {
                let v = &v[0];
                frag![
                    "(CASE WHEN ",
                    v,
                    " IN (",
                    Frag::join(values, ", "),
                    ") THEN ",
                    v,
                    " END)"
                ]
            })));
        }
        if !is_kind(from, PrimitiveKind::String) || e.is_flags {
            return None;
        }
        let mut case = frag!["(CASE ", v];
        for m in &e.members {
            for text in [m.name.clone(), m.value.to_string()] {
                case.push(frag![
                    " WHEN ",
                    Frag::param(text),
                    " THEN ",
                    Frag::param(m.value)
                ]);
            }
        }
        case.push(Frag::sql(" END)"));
        Some(Val::Scalar(case))
    }

    /// Enum → integer (range-checked) or String (the member name; non-flags enums).
    fn cast_enum(&mut self, v: Frag, id: EnumTypeId, target: PrimitiveKind) -> Option<Val> {
        if let Some((min, max)) = target.integer_range() {
            return Some(Val::Scalar(self.int_range(v, min, max)));
        }
        let e = self.model.enum_type(id);
        if target != PrimitiveKind::String || e.is_flags {
            return None;
        }
        let mut case = frag!["(CASE ", &v];
        for m in &e.members {
            case.push(frag![
                " WHEN ",
                Frag::param(m.value),
                " THEN ",
                Frag::param(m.name.as_str())
            ]);
        }
        case.push(frag![" ELSE CAST(", v, " AS TEXT) END)"]);
        Some(Val::Scalar(case))
    }

    fn cast_primitive(
        &mut self,
        v: Frag,
        source: PrimitiveKind,
        target: PrimitiveKind,
    ) -> Option<Val> {
        use PrimitiveKind as P;
        let real = |k: P| matches!(k, P::Double | P::Single | P::Decimal);
        let int = |k: P| k.integer_range().is_some();
        Some(Val::Scalar(match (target, source) {
            (t, s) if int(t) && int(s) => {
                let (min, max) = t.integer_range()?;
                self.int_range(v, min, max)
            }
            (t, s) if int(t) && real(s) => {
                let (min, max) = t.integer_range()?;
                // Truncation toward zero lands in [min, max] exactly when
                // min - 1 < v < max + 1; doubles beyond ±9.2e18 do not convert.
                let (low, high) = if max == i64::MAX {
                    ("-9.2e18".to_owned(), "9.2e18".to_owned())
                } else {
                    (format!("{}.0", min - 1), format!("{}.0", max + 1))
                };
                let dialect = self.dialect;
                self.share(vec![v], |v| {
                    let v = &v[0];
                    frag![
                        "(CASE WHEN ",
                        v,
                        format!(" > {low} AND ").as_str(),
                        v,
                        format!(" < {high} THEN ").as_str(),
                        dialect.truncate_to_integer(v.clone()),
                        " END)"
                    ]
                })
            }
            (P::Double | P::Single, s) if int(s) || real(s) => self.real(v),
            (P::Decimal, s) if int(s) => self.real(v),
            // Decimal::from_f64 fails beyond the decimal range (and for ±INF).
            (P::Decimal, P::Double | P::Single) => self.share(vec![v], |v| {
                let v = &v[0];
                frag!["(CASE WHEN abs(", v, ") < 7.9e28 THEN ", v, " END)"]
            }),
            (P::Boolean, P::String) => frag![
                "(CASE lower(",
                v,
                ") WHEN 'true' THEN ",
                self.dialect.boolean(true),
                " WHEN 'false' THEN ",
                self.dialect.boolean(false),
                " END)"
            ],
            (P::String, s) if int(s) => frag!["CAST(", v, " AS TEXT)"],
            (P::String, P::Guid | P::Date) => v,
            (P::String, P::Boolean) => self.share(vec![v], |v| {
                let v = &v[0];
                frag![
                    "(CASE WHEN ",
                    v,
                    " THEN 'true' WHEN NOT ",
                    v,
                    " THEN 'false' END)"
                ]
            }),
            (P::String, P::TimeOfDay) => {
                let dialect = self.dialect;
                self.share(vec![v], |v| time_of_day_text(dialect, &v[0]))
            }
            (P::DateTimeOffset, P::Date) => {
                let ticks = frag![
                    "(",
                    self.dialect.epoch_seconds(v.clone()),
                    format!(" * {TICKS_PER_SECOND})").as_str()
                ];
                return Some(Val::Dto(Dto {
                    ticks,
                    offset: Some(frag!["(CASE WHEN ", &v, " IS NOT NULL THEN 0 END)"]),
                    text: Some(frag!["(", v, " || 'T00:00:00Z')"]),
                }));
            }
            _ => return None,
        }))
    }

    /// `v` when within `[min, max]`, else null.
    fn int_range(&mut self, v: Frag, min: i64, max: i64) -> Frag {
        if min == i64::MIN && max == i64::MAX {
            return v;
        }
        self.share(vec![v], |v| {
            let v = &v[0];
            frag![
                "(CASE WHEN ",
                v,
                format!(" BETWEEN {min} AND {max} THEN ").as_str(),
                v,
                " END)"
            ]
        })
    }

    /// `isof`: the entity's type for `$it`; otherwise null for null and the static type
    /// (for complex values the stored `@odata.type`, when present) decides.
    fn is_of(
        &mut self,
        operand: Option<&BoundExpr>,
        entity_type: Option<EntityTypeId>,
        ty: Option<&ExprType>,
    ) -> Result<Frag, ODataError> {
        let (x, target) = match (operand, entity_type, ty) {
            (None, Some(t), _) => return Ok(frag!["(", self.type_test(t), ")"]),
            (Some(x), _, Some(t)) => (x, t),
            _ => return Ok(Frag::atom("NULL")),
        };
        let from = x.ty();
        let v = self.value(x)?.comparable();
        if let (ExprType::Complex(target), ExprType::Complex(declared)) = (target, &from) {
            let model = self.model;
            let mut derived = Vec::new();
            let mut others = Vec::new();
            for (i, c) in model.complex_types.iter().enumerate() {
                let list = if model.complex_derives_from(odata_core::edm::ComplexTypeId(i), *target)
                {
                    &mut derived
                } else {
                    &mut others
                };
                list.push(Frag::param(format!("#{}", c.qualified_name)));
                list.push(Frag::param(c.qualified_name.as_str()));
            }
            let default = model.complex_derives_from(*declared, *target);
            let dialect = self.dialect;
            return Ok(self.share(vec![v], |v| {
                let v = &v[0];
                let odata_type = dialect.json_extract(v.clone(), &["@odata.type".to_owned()]);
                let mut out = frag!["(CASE WHEN ", v, " IS NULL THEN NULL"];
                if !derived.is_empty() {
                    out.push(frag![
                        " WHEN ",
                        &odata_type,
                        " IN (",
                        Frag::join(derived, ", "),
                        ") THEN ",
                        dialect.boolean(true)
                    ]);
                }
                if !others.is_empty() {
                    out.push(frag![
                        " WHEN ",
                        &odata_type,
                        " IN (",
                        Frag::join(others, ", "),
                        ") THEN ",
                        dialect.boolean(false)
                    ]);
                }
                out.push(frag![" ELSE ", dialect.boolean(default), " END)"]);
                out
            }));
        }
        Ok(frag![
            "(CASE WHEN ",
            v,
            " IS NOT NULL THEN ",
            self.dialect.boolean(&from == target),
            " END)"
        ])
    }

    fn lambda(
        &mut self,
        collection: &PropertyRef,
        variable: &str,
        predicate: Option<&BoundExpr>,
        all: bool,
    ) -> Result<Frag, ODataError> {
        let array = self.collection(collection)?;
        let Some(predicate) = predicate else {
            return Ok(frag![
                "(COALESCE(",
                self.dialect.json_array_length(array),
                ", 0) > 0)"
            ]);
        };
        let alias = self.next_alias("j");
        let (from, item) = self.dialect.json_each(array, &alias);
        self.scopes.push((variable.to_owned(), item));
        let predicate = self.condition(predicate);
        self.scopes.pop();
        let predicate = predicate?;
        Ok(if all {
            frag![
                "(NOT EXISTS (SELECT 1 FROM ",
                from,
                " WHERE NOT ",
                self.dialect.two_valued(predicate),
                "))"
            ]
        } else {
            frag!["(EXISTS (SELECT 1 FROM ", from, " WHERE ", predicate, "))"]
        })
    }

    fn call(&mut self, function: Function, args: &[BoundExpr]) -> Result<Val, ODataError> {
        let arg_type = args.first().map(BoundExpr::ty);
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.value(a)?);
        }
        let arity = |n: usize| {
            if vals.len() == n {
                Ok(())
            } else {
                Err(internal(format!(
                    "{} with {} arguments",
                    function_name(function),
                    vals.len()
                )))
            }
        };
        let dialect = self.dialect;
        let scalar = |v: &Val| v.clone().comparable();
        Ok(Val::Scalar(match function {
            Function::Contains => {
                arity(2)?;
                frag![
                    "(",
                    dialect.position(scalar(&vals[0]), scalar(&vals[1])),
                    " > 0)"
                ]
            }
            Function::StartsWith => {
                arity(2)?;
                self.share(vec![scalar(&vals[0]), scalar(&vals[1])], |v| {
                    let (s, t) = (&v[0], &v[1]);
                    frag!["(substr(", s, ", 1, length(", t, ")) = ", t, ")"]
                })
            }
            Function::EndsWith => {
                arity(2)?;
                self.share(vec![scalar(&vals[0]), scalar(&vals[1])], |v| {
                    let (s, t) = (&v[0], &v[1]);
                    frag![
                        "(length(",
                        s,
                        ") >= length(",
                        t,
                        ") AND substr(",
                        s,
                        ", length(",
                        s,
                        ") - length(",
                        t,
                        ") + 1) = ",
                        t,
                        ")"
                    ]
                })
            }
            Function::Length => {
                arity(1)?;
                frag!["length(", scalar(&vals[0]), ")"]
            }
            Function::IndexOf => {
                arity(2)?;
                frag![
                    "(",
                    dialect.position(scalar(&vals[0]), scalar(&vals[1])),
                    " - 1)"
                ]
            }
            Function::Substring => {
                // Negative positions and lengths count as zero.
                // (No text is as long as the clamps.)
                let s = scalar(&vals[0]);
                let start = self.clamped(&args[1], scalar(&vals[1]), I32_MAX - 1);
                let start = frag!["(", start, " + 1)"];
                match vals.len() {
                    2 => dialect.substring(s, start, None),
                    3 => {
                        let len = self.clamped(&args[2], scalar(&vals[2]), I32_MAX);
                        dialect.substring(s, start, Some(len))
                    }
                    _ => return Err(internal("substring arity")),
                }
            }
            Function::ToLower | Function::ToUpper => {
                arity(1)?;
                dialect.fold_case(scalar(&vals[0]), function == Function::ToUpper)
            }
            Function::Trim => {
                arity(1)?;
                dialect.trim_characters(scalar(&vals[0]), Frag::param(WHITESPACE))
            }
            Function::Concat => {
                arity(2)?;
                frag!["(", scalar(&vals[0]), " || ", scalar(&vals[1]), ")"]
            }
            Function::Year
            | Function::Month
            | Function::Day
            | Function::Hour
            | Function::Minute
            | Function::Second
            | Function::FractionalSeconds
            | Function::Date
            | Function::Time
            | Function::TotalOffsetMinutes => {
                arity(1)?;
                let arg_type = arg_type.unwrap_or(ExprType::Null);
                return self.temporal_part(function, vals.remove(0), &arg_type);
            }
            Function::TotalSeconds => {
                arity(1)?;
                frag![
                    "(",
                    scalar(&vals[0]),
                    format!(" / {TICKS_PER_SECOND}.0)").as_str()
                ]
            }
            Function::MinDateTime => {
                return Ok(Val::Dto(dto_literal(&DateTimeOffset::min_value())));
            }
            Function::MaxDateTime => {
                let max = DateTimeOffset::parse("9999-12-31T23:59:59.9999999Z")
                    .map_err(|e| internal(e.to_string()))?;
                return Ok(Val::Dto(dto_literal(&max)));
            }
            Function::Now => {
                let now = DateTimeOffset::from_chrono(&chrono::Utc::now().fixed_offset())
                    .ok_or_else(|| internal("the current time"))?;
                return Ok(Val::Dto(dto_literal(&now)));
            }
            Function::Round => {
                arity(1)?;
                if arg_type.as_ref().is_some_and(is_integer) {
                    scalar(&vals[0])
                } else {
                    self.share(vec![scalar(&vals[0])], |v| dialect.round_half_away(&v[0]))
                }
            }
            Function::Floor | Function::Ceiling => {
                arity(1)?;
                let x = scalar(&vals[0]);
                if arg_type.as_ref().is_some_and(is_integer) {
                    x
                } else {
                    let ceiling = function == Function::Ceiling;
                    self.share(vec![x], |v| dialect.floor_or_ceiling(&v[0], ceiling))
                }
            }
            Function::MatchesPattern => {
                arity(2)?;
                dialect.matches_pattern(scalar(&vals[0]), scalar(&vals[1]))
            }
            Function::GeoDistance | Function::GeoLength | Function::GeoIntersects => {
                return Err(not_implemented(format!(
                    "The function '{}'",
                    function_name(function)
                )));
            }
        }))
    }

    /// year … totaloffsetminutes of a DateTimeOffset (in its own offset), a Date or a
    /// TimeOfDay.
    fn temporal_part(
        &mut self,
        function: Function,
        v: Val,
        arg_type: &ExprType,
    ) -> Result<Val, ODataError> {
        let unsupported = || {
            internal(format!(
                "{} of a value that is not a date or time",
                function_name(function)
            ))
        };
        let ExprType::Primitive(kind) = arg_type else {
            // `null` literal argument.
            return Ok(Val::Scalar(Frag::atom("NULL")));
        };
        let dialect = self.dialect;
        match (kind, v) {
            (PrimitiveKind::Date, Val::Scalar(d)) => Ok(Val::Scalar(match function {
                Function::Year => text_int(dialect, &d, 1, 4),
                Function::Month => text_int(dialect, &d, 6, 2),
                Function::Day => text_int(dialect, &d, 9, 2),
                _ => return Err(unsupported()),
            })),
            (PrimitiveKind::TimeOfDay, Val::Scalar(t)) => time_part(function, &t)
                .map(Val::Scalar)
                .ok_or_else(unsupported),
            (PrimitiveKind::DateTimeOffset, Val::Dto(d)) => self.dto_part(function, d),
            _ => Err(unsupported()),
        }
    }

    fn dto_part(&mut self, function: Function, d: Dto) -> Result<Val, ODataError> {
        let dialect = self.dialect;
        match function {
            Function::TotalOffsetMinutes => return Ok(Val::Scalar(self.dto_offset(&d)?)),
            Function::Second => {
                return Ok(Val::Scalar(self.share(vec![d.ticks], |v| {
                    frag![
                        "(",
                        floor_mod(&v[0], TICKS_PER_MINUTE),
                        format!(" / {TICKS_PER_SECOND})").as_str()
                    ]
                })));
            }
            Function::FractionalSeconds => {
                return Ok(Val::Scalar(self.share(vec![d.ticks], |v| {
                    frag![
                        "(",
                        floor_mod(&v[0], TICKS_PER_SECOND),
                        format!(" / {TICKS_PER_SECOND}.0)").as_str()
                    ]
                })));
            }
            _ => {}
        }
        if let Some(text) = d.text.clone() {
            // Local parts are where the text has them.
            return Ok(Val::Scalar(match function {
                Function::Year => text_int(dialect, &text, 1, 4),
                Function::Month => text_int(dialect, &text, 6, 2),
                Function::Day => text_int(dialect, &text, 9, 2),
                Function::Hour => text_int(dialect, &text, 12, 2),
                Function::Minute => text_int(dialect, &text, 15, 2),
                Function::Date => frag!["substr(", text, ", 1, 10)"],
                Function::Time => self.share(vec![text, d.ticks], |v| {
                    frag![
                        "(",
                        text_int(dialect, &v[0], 12, 2),
                        format!(" * {TICKS_PER_HOUR} + ").as_str(),
                        text_int(dialect, &v[0], 15, 2),
                        format!(" * {TICKS_PER_MINUTE} + ").as_str(),
                        floor_mod(&v[1], TICKS_PER_MINUTE),
                        ")"
                    ]
                }),
                _ => return Err(internal(function_name(function))),
            }));
        }
        let offset = self.dto_offset(&d)?;
        let local = frag![
            "(",
            d.ticks,
            " + ",
            offset,
            format!(" * {TICKS_PER_MINUTE})").as_str()
        ];
        Ok(Val::Scalar(self.share(vec![local], |v| {
            let local = &v[0];
            let tod = floor_mod(local, TICKS_PER_DAY);
            let days = frag![
                "((",
                local,
                " - ",
                &tod,
                format!(") / {TICKS_PER_DAY})").as_str()
            ];
            let date = dialect.date_from_epoch_days(days);
            match function {
                Function::Year => text_int(dialect, &date, 1, 4),
                Function::Month => text_int(dialect, &date, 6, 2),
                Function::Day => text_int(dialect, &date, 9, 2),
                Function::Date => date,
                Function::Hour => frag!["(", tod, format!(" / {TICKS_PER_HOUR})").as_str()],
                Function::Minute => {
                    frag!["(", tod, format!(" / {TICKS_PER_MINUTE} % 60)").as_str()]
                }
                _ => tod,
            }
        })))
    }
}

/// Parts of a TimeOfDay in ticks; `None` for parts it does not have.
fn time_part(function: Function, t: &Frag) -> Option<Frag> {
    Some(match function {
        Function::Hour => frag!["(", t, format!(" / {TICKS_PER_HOUR})").as_str()],
        Function::Minute => frag!["(", t, format!(" / {TICKS_PER_MINUTE} % 60)").as_str()],
        Function::Second => frag!["(", t, format!(" / {TICKS_PER_SECOND} % 60)").as_str()],
        Function::FractionalSeconds => frag![
            "(",
            t,
            format!(" % {TICKS_PER_SECOND} / {TICKS_PER_SECOND}.0)").as_str()
        ],
        _ => return None,
    })
}

/// The canonical text `hh:mm:ss[.fffffff without trailing zeros]` of TimeOfDay ticks `t`
/// (atomic), as `TimeOfDay`'s `Display` writes it.
fn time_of_day_text(d: &impl ExprDialect, t: &Frag) -> Frag {
    let part = |f| time_part(f, t).unwrap_or_else(|| Frag::atom("NULL"));
    frag![
        "(CASE WHEN ",
        t,
        " IS NOT NULL THEN ",
        d.zero_padded(part(Function::Hour), 2),
        " || ':' || ",
        d.zero_padded(part(Function::Minute), 2),
        " || ':' || ",
        d.zero_padded(part(Function::Second), 2),
        " || (CASE WHEN ",
        t,
        format!(" % {TICKS_PER_SECOND} = 0 THEN '' ELSE '.' || rtrim(").as_str(),
        d.zero_padded(frag!["(", t, format!(" % {TICKS_PER_SECOND})").as_str()], 7),
        ", '0') END) END)"
    ]
}

fn dto_literal(d: &DateTimeOffset) -> Dto {
    Dto {
        ticks: Frag::param(d.utc_ticks()),
        offset: Some(Frag::param(i64::from(d.offset_minutes()))),
        text: Some(Frag::param(d.as_str())),
    }
}
