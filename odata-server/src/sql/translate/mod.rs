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
//! | Double, Single                | REAL                                                 |
//! | Decimal                       | NUMERIC (PostgreSQL); canonical TEXT (SQLite)        |
//! | Binary                        | BLOB / BYTEA                                         |
//! | Duration, TimeOfDay           | INTEGER 100 ns ticks                                 |
//! | DateTimeOffset                | [`Dto`]: UTC ticks + offset minutes (+ the text)     |
//! | complex, collection           | JSON text                                            |
//! | Geography…, Geometry…         | GeoJSON text                                         |
//!
//! Columns already hold these (Decimal, stored as its canonical text, is read with
//! `CAST(… AS NUMERIC)` on PostgreSQL and as it is on SQLite); values inside JSON (complex
//! members, collection items) are converted on the way out by [`Translator::json_leaf`].
//!
//! SQLite has no decimal type, so there a decimal is computed with by the functions the
//! store registers (`store::sqlite_decimal`, through the `decimal_*` hooks of
//! [`ExprDialect`]): arithmetic, negation, `round`/`floor`/`ceiling`, casts, and — for
//! comparisons, `in` and `$orderby` of any decimal-typed expression — the exact sort key
//! (see [`Translator::operand`]). Text must never meet SQL's numeric operators or
//! comparisons: a decimal operand of double arithmetic or of a comparison with a double is
//! converted to REAL first ([`ExprDialect::decimal_to_double`]), as the evaluator
//! converts it.
//!
//! This module holds the [`Translator`], literals, property access, logic, comparisons,
//! `in` and `case`; the other node kinds are in its submodules: [`json`] (values inside
//! JSON, lambdas and counts), [`temporal`] (DateTimeOffset, Date and TimeOfDay parts),
//! [`arithmetic`], [`functions`] (the built-in functions) and [`cast`] (`cast` and `isof`).

mod arithmetic;
mod cast;
mod functions;
mod json;
mod navigation;
mod temporal;

pub use navigation::{Hop, Navigator, NoNavigation};
pub(crate) use temporal::instant_text_nearest_utc;

use odata_core::bind::{BoundExpr, CompareOp, ExprType, PropertyRef};
use odata_core::edm::{EntityTypeId, Model, PrimitiveKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::value::{Decimal, Value, decimal_sort_key, decimal_to_f64};

use super::dialect::ExprDialect;
use super::frag::{Frag, frag};
use super::param::SqlParam;
use crate::store::table::{ColumnKind, Table};
use arithmetic::clamp;
use temporal::{Dto, dto_literal};

/// A constant false. Not the literal `0`: SQLite folds `0 AND x` to the integer 0, and an
/// integer constant in ORDER BY names a result column.
const FALSE: &str = "(1 = 0)";

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

/// How the operands of a comparison, `in` or ORDER BY are compared
/// ([`Translator::domain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Domain {
    /// By exact decimal sort keys ([`ExprDialect::decimal_key`]).
    Key,
    /// As doubles: decimal operands converted.
    Double,
    /// By the values themselves.
    Value,
}

/// Where a property path's value comes from.
enum Source {
    /// A column of the table (index into `Table::columns`).
    Column(usize),
    /// A member inside JSON (a JSON column or a lambda item): the JSON and the member
    /// path (empty: the lambda item itself).
    Json(Frag, Vec<String>),
}

/// What a lambda variable stands for.
#[derive(Debug, Clone)]
enum Scope<'a> {
    /// An item of a JSON array (`json_each`): the expression of its value.
    Item(Frag),
    /// A row of a related table, in a lambda over a collection-valued navigation property:
    /// the alias the subquery gives the table.
    Row { alias: String, table: &'a Table },
}

/// Translates bound expressions over one table.
pub(crate) struct Translator<'a, D: ExprDialect> {
    model: &'a Model,
    table: &'a Table,
    dialect: &'a D,
    /// Lambda variables in scope, innermost last.
    scopes: Vec<(String, Scope<'a>)>,
    /// Counter for unique aliases (`$j1`, `$v2`, …).
    aliases: usize,
    /// Where the table's navigation properties lead.
    navigator: &'a dyn Navigator,
    /// The alias the table goes by inside a navigation subquery; its columns are then
    /// always qualified with it.
    qualifier: Option<String>,
    /// Qualify column references even outside lambdas (inside a subquery's condition).
    qualify: bool,
}

/// A 501 naming what is not supported.
fn not_implemented(what: impl std::fmt::Display) -> ODataError {
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

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// A translator for expressions over `table`.
    pub(crate) fn new(
        model: &'a Model,
        table: &'a Table,
        navigator: &'a dyn Navigator,
        dialect: &'a D,
    ) -> Self {
        Self {
            model,
            table,
            dialect,
            scopes: Vec::new(),
            aliases: 0,
            navigator,
            qualifier: None,
            qualify: false,
        }
    }

    /// The dialect the translation is for.
    pub(crate) fn dialect(&self) -> &'a D {
        self.dialect
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
        let ty = e.ty();
        if ty.is_boolean_or_null() {
            Ok(self.value(e)?.comparable())
        } else {
            Err(ODataError::bad_request(format!(
                "The expression has the type {} where a Boolean is required.",
                ty.display(self.model)
            )))
        }
    }

    /// Translates any expression.
    /// The cells of `e` as a value to select: the value itself (a Boolean as 0/1) and, for
    /// an Edm.DateTimeOffset, its text in its own offset and its UTC ticks.
    pub(crate) fn selected_cells(
        &mut self,
        e: &BoundExpr,
    ) -> Result<(Frag, Option<Frag>), ODataError> {
        Ok(match self.value(e)? {
            Val::Scalar(f) if e.ty().is(PrimitiveKind::Boolean) => {
                (self.dialect.boolean_as_integer(f), None)
            }
            Val::Scalar(f) => (f, None),
            Val::Dto(d) => (self.dto_text(&d)?, Some(d.ticks)),
        })
    }

    pub(crate) fn value(&mut self, e: &BoundExpr) -> Result<Val, ODataError> {
        // Only null has the type of the null literal (`-(null add null)`): said so, because
        // PostgreSQL cannot choose an operator or function for an untyped NULL.
        if e.ty() == ExprType::Null {
            return Ok(Val::Scalar(Frag::atom("NULL")));
        }
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
            // Operators and functions of a null literal are null; said so, because
            // PostgreSQL cannot choose an operator or function for an untyped NULL.
            BoundExpr::Neg { operand, .. } if is_null_literal(operand) => {
                Val::Scalar(Frag::atom("NULL"))
            }
            BoundExpr::Arith { left, right, .. }
                if is_null_literal(left) || is_null_literal(right) =>
            {
                Val::Scalar(Frag::atom("NULL"))
            }
            BoundExpr::Call { args, .. } if args.iter().any(is_null_literal) => {
                Val::Scalar(Frag::atom("NULL"))
            }
            BoundExpr::Arith {
                op,
                left,
                right,
                ty,
            } => self.arith(*op, left, right, ty)?,
            BoundExpr::Neg { operand, .. } => {
                let decimal = operand.ty().is(PrimitiveKind::Decimal);
                match self.value(operand)? {
                    Val::Scalar(f) if decimal => Val::Scalar(
                        self.dialect
                            .decimal_negate(f.clone())
                            .unwrap_or_else(|| frag!["(- ", f, ")"]),
                    ),
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
            BoundExpr::Count(collection) => Val::Scalar(self.count(collection)?),
            BoundExpr::CountWhere {
                collection,
                variable,
                filter,
                search,
            } => Val::Scalar(self.count_where(
                collection,
                variable,
                filter.as_deref(),
                search.as_ref(),
            )?),
        })
    }

    fn literal(&self, value: &Value, ty: &ExprType) -> Result<Val, ODataError> {
        Ok(Val::Scalar(match value {
            Value::Null => Frag::atom("NULL"),
            Value::Boolean(b) => self.dialect.boolean(*b),
            Value::Int(i) | Value::Enum(i) => Frag::param(*i),
            Value::Double(d) => Frag::param(SqlParam::Real(*d)),
            Value::Decimal(d) => self.dialect.decimal_literal(d),
            Value::Binary(b) => Frag::param(SqlParam::Blob(b.clone())),
            Value::String(s) => Frag::param(s.as_str()),
            Value::Guid(g) => Frag::param(g.hyphenated().to_string()),
            Value::Date(d) => Frag::param(d.to_string()),
            Value::TimeOfDay(t) => Frag::param(t.ticks()),
            Value::Duration(d) => Frag::param(d.ticks()),
            Value::DateTimeOffset(d) => return Ok(Val::Dto(dto_literal(d))),
            Value::Geo(g) => Frag::param(g.to_geojson().to_string()),
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
        if let Some(alias) = &self.qualifier {
            return Frag::atom(format!(
                "{}.{}",
                self.dialect.quote(alias),
                self.dialect.quote(name)
            ));
        }
        if self.scopes.is_empty() && !self.qualify {
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
                // The result of a `$apply` stage holds a nested member (`Category/Name`,
                // a joined entity's `D/Description`) in a column named by its path, and a
                // joined entity's complex property (`D/Dimensions`) in one named by the
                // path to it: the longest prefix of the path that names a column holds
                // the value, the rest of the path leads into its JSON.
                if !rest.is_empty() && p.cast.is_none() {
                    for end in (2..=p.path.len()).rev() {
                        if let Some(index) = self.table.column_index(&p.path[..end].join("/")) {
                            return Ok(if end == p.path.len() {
                                Source::Column(index)
                            } else {
                                Source::Json(
                                    self.column(&p.path[..end].join("/")),
                                    p.path[end..].to_vec(),
                                )
                            });
                        }
                    }
                }
                let Some(index) = self.table.column_index(first) else {
                    let prefix = format!("{first}/");
                    if self
                        .table
                        .columns
                        .iter()
                        .any(|c| c.property.name.starts_with(&prefix))
                    {
                        return Err(ODataError::bad_request(format!(
                            "'{first}' groups values of the $apply result and is no value \
                             itself: use its properties ('{first}/…')"
                        )));
                    }
                    return Err(internal(format!("no column for property '{first}'")));
                };
                if rest.is_empty() {
                    Ok(Source::Column(index))
                } else {
                    let column = self.guard(p.cast, self.column(first));
                    Ok(Source::Json(column, rest.to_vec()))
                }
            }
            Some(var) => {
                if p.cast.is_some() {
                    return Err(not_implemented("A type cast on a lambda variable"));
                }
                let item = match self.scopes.iter().rev().find(|(name, _)| name == var) {
                    Some((_, Scope::Item(item))) => item.clone(),
                    Some((_, Scope::Row { .. })) => {
                        return Err(internal(format!("'{var}' is a row, not a JSON item")));
                    }
                    None => return Err(internal(format!("unknown lambda variable '{var}'"))),
                };
                Ok(Source::Json(item, p.path.clone()))
            }
        }
    }

    /// A column of the table, always qualified (for a correlated subquery to refer to).
    fn outer_column(&self, name: &str) -> Frag {
        let table = self.qualifier.as_deref().unwrap_or(&self.table.name);
        Frag::atom(format!(
            "{}.{}",
            self.dialect.quote(table),
            self.dialect.quote(name)
        ))
    }

    fn property(&mut self, p: &PropertyRef) -> Result<Val, ODataError> {
        if let Some(value) = self.through_row(p)? {
            return Ok(value);
        }
        if let Some(value) = self.through_reference(p)? {
            return Ok(value);
        }
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
                    ColumnKind::Text if p.ty.is(PrimitiveKind::Decimal) => Val::Scalar(
                        self.dialect
                            .decimal_column(self.guard(p.cast, self.column(&name))),
                    ),
                    ColumnKind::Integer if p.ty.is(PrimitiveKind::Boolean) => Val::Scalar(
                        self.dialect
                            .boolean_column(self.guard(p.cast, self.column(&name))),
                    ),
                    ColumnKind::Text
                    | ColumnKind::Integer
                    | ColumnKind::Real
                    | ColumnKind::Json
                    | ColumnKind::Blob => Val::Scalar(self.guard(p.cast, self.column(&name))),
                })
            }
            // A decimal member keeps every digit of its JSON text where the database
            // reads JSON numbers as doubles (SQLite).
            Source::Json(json, members) if p.ty.is(PrimitiveKind::Decimal) => {
                match self.dialect.json_decimal(json.clone(), &members) {
                    Some(exact) => Ok(Val::Scalar(exact)),
                    None => self.json_leaf(self.dialect.json_extract(json, &members), &p.ty),
                }
            }
            Source::Json(json, members) => {
                self.json_leaf(self.dialect.json_extract(json, &members), &p.ty)
            }
        }
    }

    /// How operands of these types compare: by exact decimal sort keys where decimals
    /// are text (SQLite) and a decimal meets decimals or integers; as doubles where a
    /// decimal meets a double (the evaluator compares so); else by their values.
    pub(crate) fn domain<'e>(&self, operands: impl IntoIterator<Item = &'e BoundExpr>) -> Domain {
        let mut decimal = false;
        let mut double = false;
        for e in operands {
            match e.ty().primitive() {
                Some(PrimitiveKind::Decimal) => decimal = true,
                Some(PrimitiveKind::Double | PrimitiveKind::Single) => double = true,
                _ => {}
            }
        }
        match (decimal, double) {
            (true, true) => Domain::Double,
            (true, false) if self.dialect.decimal_key(Frag::atom("NULL")).is_some() => Domain::Key,
            _ => Domain::Value,
        }
    }

    /// `e` as an operand of a comparison, `in` or ORDER BY in `domain` (see
    /// [`Translator::domain`]). Literals become parameters of the domain (a decimal
    /// literal's sort key is computed here), so a comparison with one stays a plain
    /// `column op ?`.
    pub(crate) fn operand(&mut self, e: &BoundExpr, domain: Domain) -> Result<Frag, ODataError> {
        let decimal = e.ty().is(PrimitiveKind::Decimal);
        match (domain, e) {
            (
                Domain::Key,
                BoundExpr::Literal {
                    value: Value::Decimal(d),
                    ..
                },
            ) => Ok(Frag::param(SqlParam::Text(decimal_sort_key(d)))),
            (
                Domain::Key,
                BoundExpr::Literal {
                    value: Value::Int(i),
                    ..
                },
            ) => Ok(Frag::param(SqlParam::Text(decimal_sort_key(
                &Decimal::from(*i),
            )))),
            (Domain::Key, _) if e.ty().is_integer() || decimal => {
                let v = self.value(e)?.comparable();
                Ok(self.dialect.decimal_key(v.clone()).unwrap_or(v))
            }
            (
                Domain::Double,
                BoundExpr::Literal {
                    value: Value::Decimal(d),
                    ..
                },
            ) => Ok(
                decimal_to_f64(d).map_or(Frag::atom("NULL"), |f| Frag::param(SqlParam::Real(f)))
            ),
            (Domain::Double, _) if decimal => {
                let v = self.value(e)?.comparable();
                Ok(self.dialect.decimal_to_double(v))
            }
            _ => Ok(self.value(e)?.comparable()),
        }
    }

    /// The value `e` sorts by in ORDER BY: a decimal by its exact sort key where decimals
    /// are text.
    pub(crate) fn sort_value(&mut self, e: &BoundExpr) -> Result<Frag, ODataError> {
        let domain = self.domain([e]);
        self.operand(e, domain)
    }

    fn compare(
        &mut self,
        op: CompareOp,
        left: &BoundExpr,
        right: &BoundExpr,
    ) -> Result<Frag, ODataError> {
        for side in [left, right] {
            if let ExprType::Complex(_) | ExprType::Collection(_) | ExprType::Entity(_) = side.ty()
                && !matches!(op, CompareOp::Eq | CompareOp::Ne)
            {
                return Err(ODataError::bad_request(
                    "Complex and collection values can only be compared with null.",
                ));
            }
        }
        let domain = self.domain([left, right]);
        let l = self.operand(left, domain)?;
        let r = self.operand(right, domain)?;
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
        // Decimals among decimals and integers: by exact sort keys (see `compare`).
        let domain = self.domain(std::iter::once(value).chain(items));
        let v = self.operand(value, domain)?;
        let mut literals = Vec::new();
        let mut null_item = false;
        let mut others = Vec::new();
        for item in items {
            if is_null_literal(item) {
                null_item = true;
            } else if is_value_literal(item) {
                literals.push(self.operand(item, domain)?);
            } else {
                others.push(self.operand(item, domain)?);
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

    fn case(
        &mut self,
        branches: &[(BoundExpr, BoundExpr)],
        ty: &ExprType,
    ) -> Result<Val, ODataError> {
        let mut conditions = Vec::with_capacity(branches.len());
        let mut values = Vec::with_capacity(branches.len());
        for (c, v) in branches {
            conditions.push(self.condition(c)?);
            let value = self.value(v)?;
            // Branches of another numeric type take the case's: a decimal case holds
            // decimal values only (text on SQLite), a double case doubles only.
            let value = match (ty.primitive(), v.ty().primitive(), value) {
                (Some(PrimitiveKind::Decimal), Some(from), Val::Scalar(x))
                    if from != PrimitiveKind::Decimal =>
                {
                    Val::Scalar(self.dialect.to_decimal(x))
                }
                (
                    Some(PrimitiveKind::Double | PrimitiveKind::Single),
                    Some(PrimitiveKind::Decimal),
                    Val::Scalar(x),
                ) => Val::Scalar(self.dialect.decimal_to_double(x)),
                (_, _, value) => value,
            };
            values.push(value);
        }
        let build = |parts: Vec<Frag>| {
            let mut out = Frag::sql("(CASE");
            for (c, v) in conditions.iter().zip(parts) {
                out.push(frag![" WHEN ", c, " THEN ", v]);
            }
            out.push(Frag::sql(" END)"));
            out
        };
        if ty.is(PrimitiveKind::DateTimeOffset) {
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
}
