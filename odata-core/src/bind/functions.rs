//! Built-in functions (OData URL conventions §5.1.1.5–5.1.1.11): name lookup, argument
//! count and types, result types; `cast` and `isof`; `now()` folded to the request's
//! instant; the geo functions on spatial values (one family per call).
//!
//! Function names are matched case-insensitively (4.01).

use crate::edm::{PrimitiveKind as P, SpatialShape, TypeKind};
use crate::error::ODataError;
use crate::query::{BinaryOp, Expr, Segment};
use crate::value::Value;

use super::binder::{Binder, closest};
use super::literal::lit;
use super::typed::{BoundExpr, ExprType, Function};
use super::types::widen;

/// Every built-in function by its canonical name (`cast`, `isof` and `case` are separate).
const FUNCTIONS: [(&str, Function); 31] = [
    ("contains", Function::Contains),
    ("startswith", Function::StartsWith),
    ("endswith", Function::EndsWith),
    ("length", Function::Length),
    ("indexof", Function::IndexOf),
    ("substring", Function::Substring),
    ("matchesPattern", Function::MatchesPattern),
    ("tolower", Function::ToLower),
    ("toupper", Function::ToUpper),
    ("trim", Function::Trim),
    ("concat", Function::Concat),
    ("year", Function::Year),
    ("month", Function::Month),
    ("day", Function::Day),
    ("hour", Function::Hour),
    ("minute", Function::Minute),
    ("second", Function::Second),
    ("fractionalseconds", Function::FractionalSeconds),
    ("totalseconds", Function::TotalSeconds),
    ("date", Function::Date),
    ("time", Function::Time),
    ("totaloffsetminutes", Function::TotalOffsetMinutes),
    ("mindatetime", Function::MinDateTime),
    ("maxdatetime", Function::MaxDateTime),
    ("now", Function::Now),
    ("round", Function::Round),
    ("floor", Function::Floor),
    ("ceiling", Function::Ceiling),
    ("geo.distance", Function::GeoDistance),
    ("geo.length", Function::GeoLength),
    ("geo.intersects", Function::GeoIntersects),
];

/// Valid OData 4.01 functions this service does not implement.
const NOT_IMPLEMENTED: [&str; 2] = ["hassubset", "hassubsequence"];

/// The operators and canonical functions `$filter` evaluates, as their URL keywords: the
/// logical, comparison and arithmetic operators, the lambda operators, then every built-in
/// function of the binder's table, then `cast`, `isof` and `case`. This is what a service
/// advertises as `Capabilities.FilterFunctions`.
///
/// ```
/// let names = odata_core::bind::supported_filter_functions();
/// assert!(names.contains(&"contains") && names.contains(&"in") && names.contains(&"cast"));
/// assert!(names.contains(&"geo.distance"));
/// ```
pub fn supported_filter_functions() -> Vec<&'static str> {
    let operators = BinaryOp::ALL
        .iter()
        .map(|op| op.keyword())
        .chain(["not", "any", "all"]);
    let functions = FUNCTIONS.iter().map(|(name, _)| *name);
    operators
        .chain(functions)
        .chain(["cast", "isof", "case"])
        .collect()
}

/// The canonical name of a function.
pub fn function_name(f: Function) -> &'static str {
    FUNCTIONS
        .iter()
        .find(|(_, g)| *g == f)
        .map_or("?", |(n, _)| n)
}

/// What an argument position accepts (besides the `null` literal).
#[derive(Debug, Clone, Copy)]
enum Accept {
    Str,
    Int,
    Num,
    Dur,
    Dto,
    DateOrDto,
    DtoOrTime,
    /// A spatial value of this shape, of either family.
    Spatial(SpatialShape),
}

impl Accept {
    fn accepts(self, ty: &ExprType) -> bool {
        if matches!(ty, ExprType::Null) {
            return true;
        }
        match self {
            Accept::Str => ty.is(P::String),
            Accept::Int => ty.is_integer(),
            Accept::Num => ty.is_numeric(),
            Accept::Dur => ty.is(P::Duration),
            Accept::Dto => ty.is(P::DateTimeOffset),
            Accept::DateOrDto => ty.is(P::Date) || ty.is(P::DateTimeOffset),
            Accept::DtoOrTime => ty.is(P::TimeOfDay) || ty.is(P::DateTimeOffset),
            Accept::Spatial(shape) => ty
                .primitive()
                .and_then(P::spatial)
                .is_some_and(|(_, s)| s == shape),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Accept::Str => "Edm.String",
            Accept::Int => "an integer",
            Accept::Num => "a number (Edm.Decimal, Edm.Double or an integer)",
            Accept::Dur => "Edm.Duration",
            Accept::Dto => "Edm.DateTimeOffset",
            Accept::DateOrDto => "Edm.Date or Edm.DateTimeOffset",
            Accept::DtoOrTime => "Edm.DateTimeOffset or Edm.TimeOfDay",
            Accept::Spatial(SpatialShape::Point) => "Edm.GeographyPoint or Edm.GeometryPoint",
            Accept::Spatial(SpatialShape::LineString) => {
                "Edm.GeographyLineString or Edm.GeometryLineString"
            }
            Accept::Spatial(SpatialShape::Polygon) => "Edm.GeographyPolygon or Edm.GeometryPolygon",
        }
    }
}

/// The result type rule of a function.
#[derive(Debug, Clone, Copy)]
enum Ret {
    Fixed(P),
    /// The (widened) type of the first argument: `round(Int32)` is Int32.
    SameAsArg,
}

/// Parameters, number of required parameters, result type.
fn signature(f: Function) -> (&'static [Accept], usize, Ret) {
    use Accept::*;
    match f {
        Function::Contains
        | Function::StartsWith
        | Function::EndsWith
        | Function::MatchesPattern => (&[Str, Str], 2, Ret::Fixed(P::Boolean)),
        Function::Length => (&[Str], 1, Ret::Fixed(P::Int32)),
        Function::IndexOf => (&[Str, Str], 2, Ret::Fixed(P::Int32)),
        Function::Substring => (&[Str, Int, Int], 2, Ret::Fixed(P::String)),
        Function::ToLower | Function::ToUpper | Function::Trim => {
            (&[Str], 1, Ret::Fixed(P::String))
        }
        Function::Concat => (&[Str, Str], 2, Ret::Fixed(P::String)),
        Function::Year | Function::Month | Function::Day => (&[DateOrDto], 1, Ret::Fixed(P::Int32)),
        Function::Hour | Function::Minute | Function::Second => {
            (&[DtoOrTime], 1, Ret::Fixed(P::Int32))
        }
        Function::FractionalSeconds => (&[DtoOrTime], 1, Ret::Fixed(P::Decimal)),
        Function::TotalSeconds => (&[Dur], 1, Ret::Fixed(P::Decimal)),
        Function::Date => (&[Dto], 1, Ret::Fixed(P::Date)),
        Function::Time => (&[Dto], 1, Ret::Fixed(P::TimeOfDay)),
        Function::TotalOffsetMinutes => (&[Dto], 1, Ret::Fixed(P::Int32)),
        Function::MinDateTime | Function::MaxDateTime | Function::Now => {
            (&[], 0, Ret::Fixed(P::DateTimeOffset))
        }
        Function::Round | Function::Floor | Function::Ceiling => (&[Num], 1, Ret::SameAsArg),
        Function::GeoDistance => (
            &[Spatial(SpatialShape::Point), Spatial(SpatialShape::Point)],
            2,
            Ret::Fixed(P::Double),
        ),
        Function::GeoLength => (
            &[Spatial(SpatialShape::LineString)],
            1,
            Ret::Fixed(P::Double),
        ),
        Function::GeoIntersects => (
            &[Spatial(SpatialShape::Point), Spatial(SpatialShape::Polygon)],
            2,
            Ret::Fixed(P::Boolean),
        ),
    }
}

/// Looks a function up: exact canonical name first, then case-insensitively.
fn lookup(name: &str) -> Option<(&'static str, Function)> {
    FUNCTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .or_else(|| FUNCTIONS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)))
        .copied()
}

/// "1 argument", "2 arguments", "2 or 3 arguments".
fn arity_text(min: usize, max: usize) -> String {
    let plural = if max == 1 { "argument" } else { "arguments" };
    if min == max {
        format!("{max} {plural}")
    } else {
        format!("{min} or {max} {plural}")
    }
}

impl Binder<'_, '_> {
    /// A positional function call `name(args)`.
    pub(super) fn bind_call(&mut self, name: &str, args: &[Expr]) -> Result<BoundExpr, ODataError> {
        if name.eq_ignore_ascii_case("cast") {
            return self.bind_cast(args);
        }
        if name.eq_ignore_ascii_case("isof") {
            return self.bind_isof(args);
        }
        let Some((fname, f)) = lookup(name) else {
            if NOT_IMPLEMENTED.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(self.not_implemented(format!("the function '{name}' is not supported")));
            }
            let mut msg = format!("unknown function '{name}'");
            let names = FUNCTIONS
                .iter()
                .map(|(n, _)| *n)
                .chain(["cast", "isof", "case"]);
            if let Some(close) = closest(name, names) {
                msg.push_str(&format!("; did you mean '{close}'?"));
            }
            return Err(self.err(msg));
        };
        let (params, min, ret) = signature(f);
        let max = params.len();
        if args.len() < min || args.len() > max {
            return Err(self.err(format!(
                "'{fname}' takes {}, got {}",
                arity_text(min, max),
                args.len()
            )));
        }
        if f == Function::Now {
            return Ok(lit(
                Value::DateTimeOffset(self.ctx.now.clone()),
                ExprType::Primitive(P::DateTimeOffset),
            ));
        }
        let mut bound = Vec::with_capacity(args.len());
        for (i, (arg, accept)) in args.iter().zip(params).enumerate() {
            let mut b = self.bind(arg)?;
            // 4.01: `length` of a collection is its number of items (as `/$count`).
            if f == Function::Length
                && let BoundExpr::Property(property) = &b
                && matches!(property.ty, ExprType::Collection(_))
            {
                return Ok(BoundExpr::Count(property.clone()));
            }
            if matches!(accept, Accept::Dur) {
                b = self.coerce(b, &ExprType::Primitive(P::Duration), None)?;
            }
            if !accept.accepts(&b.ty()) {
                return Err(self.err(format!(
                    "argument {} of '{fname}' must be {}, got {}",
                    i + 1,
                    accept.expected(),
                    self.describe(&b)
                )));
            }
            bound.push(b);
        }
        if f == Function::MatchesPattern {
            self.check_pattern(&bound[1])?;
        }
        if matches!(f, Function::GeoDistance | Function::GeoIntersects) {
            self.check_same_space(fname, &bound)?;
        }
        if f == Function::Substring {
            for (index, argument) in [(1, "start"), (2, "length")] {
                if let Some(BoundExpr::Literal {
                    value: Value::Int(n),
                    ..
                }) = bound.get(index)
                    && *n < 0
                {
                    return Err(self.err(format!(
                        "the {argument} argument of 'substring' must not be negative, got {n}"
                    )));
                }
            }
        }
        let ty = match ret {
            Ret::Fixed(p) => ExprType::Primitive(p),
            Ret::SameAsArg => match bound.first().map(BoundExpr::ty) {
                Some(ExprType::Primitive(p)) => ExprType::Primitive(widen(p).unwrap_or(p)),
                _ => ExprType::Primitive(P::Double),
            },
        };
        Ok(BoundExpr::Call {
            function: f,
            args: bound,
            ty,
        })
    }

    /// The pattern of `matchesPattern` must be a string literal (or an alias of one) that
    /// compiles: a bad pattern is the request's error, found before any row is read.
    fn check_pattern(&self, pattern: &BoundExpr) -> Result<(), ODataError> {
        match pattern {
            BoundExpr::Literal {
                value: Value::String(text),
                ..
            } => crate::eval::compile_pattern(text).map(|_| ()).map_err(|e| {
                // The regex crate's message spans lines (pattern, caret, error): keep the error.
                let text = e.to_string();
                let reason = text.lines().last().unwrap_or_default().trim().to_owned();
                self.err(format!(
                    "the pattern of 'matchesPattern' is invalid: {reason}"
                ))
            }),
            BoundExpr::Literal {
                value: Value::Null, ..
            } => Ok(()),
            _ => {
                Err(self
                    .not_implemented("the pattern of 'matchesPattern' must be a string literal"))
            }
        }
    }

    /// The two spatial arguments of `geo.distance`/`geo.intersects` must be of one family
    /// (a geometry literal against a geography property is a type error) and, when both
    /// are literals, of one SRID.
    fn check_same_space(&self, fname: &str, args: &[BoundExpr]) -> Result<(), ODataError> {
        let family = |e: &BoundExpr| e.ty().primitive().and_then(P::spatial).map(|(f, _)| f);
        if let [a, b] = args
            && let (Some(fa), Some(fb)) = (family(a), family(b))
        {
            if fa != fb {
                return Err(self.err(format!(
                    "the arguments of '{fname}' must both be geography or both be geometry \
                     values, got {} and {}",
                    self.describe(a),
                    self.describe(b)
                )));
            }
            if let (
                BoundExpr::Literal {
                    value: Value::Geo(ga),
                    ..
                },
                BoundExpr::Literal {
                    value: Value::Geo(gb),
                    ..
                },
            ) = (a, b)
                && ga.srid != gb.srid
            {
                return Err(self.err(format!(
                    "the arguments of '{fname}' have different SRIDs ({} and {})",
                    ga.srid, gb.srid
                )));
            }
        }
        Ok(())
    }

    /// The type named by the last argument of `cast`/`isof`.
    fn type_argument(&self, function: &str, arg: Option<&Expr>) -> Result<TypeKind, ODataError> {
        let name = match arg {
            Some(Expr::TypeName { name, .. }) => name.as_str(),
            Some(Expr::Path { segments, .. }) if segments.len() == 1 => match &segments[0] {
                Segment::Member(n) | Segment::Cast(n) => n.as_str(),
                _ => {
                    return Err(self.err(format!(
                        "the last argument of '{function}' must be a type name such as Edm.String"
                    )));
                }
            },
            _ => {
                return Err(self.err(format!(
                    "the last argument of '{function}' must be a type name such as Edm.String"
                )));
            }
        };
        if name.starts_with("Collection(") {
            return Err(self.not_implemented(format!(
                "'{function}' to a collection type ('{name}') is not supported"
            )));
        }
        self.ctx
            .model
            .find_type(name)
            .ok_or_else(|| self.err(format!("'{function}': unknown type '{name}'")))
    }

    /// `cast(x, T)` to a primitive or enumeration type. `cast(T)` (the current entity)
    /// is not supported: a type-cast segment (`NS.Derived/prop`) says the same.
    fn bind_cast(&mut self, args: &[Expr]) -> Result<BoundExpr, ODataError> {
        match args {
            [ty] => {
                let kind = self.type_argument("cast", Some(ty))?;
                match kind {
                    TypeKind::Entity(_) => Err(self.not_implemented(
                        "cast of the current entity is not supported; use a type-cast segment \
                         such as Namespace.DerivedType/property",
                    )),
                    _ => Err(self.err(
                        "cast with one argument casts the current entity and needs an entity \
                         type; to cast a value write cast(value, Edm.Type)",
                    )),
                }
            }
            [operand, ty] => {
                let kind = self.type_argument("cast", Some(ty))?;
                let operand = self.bind(operand)?;
                let target = match kind {
                    TypeKind::Primitive(p) => ExprType::Primitive(p),
                    TypeKind::Enum(id) => ExprType::Enum(id),
                    TypeKind::Complex(_) => {
                        return Err(self.not_implemented("cast to a complex type is not supported"));
                    }
                    TypeKind::Entity(_) => {
                        return Err(self.err(format!(
                            "cannot cast {} to an entity type",
                            self.describe(&operand)
                        )));
                    }
                };
                let spatial = |t: &ExprType| t.primitive().is_some_and(P::is_spatial);
                if spatial(&target) || spatial(&operand.ty()) {
                    return Err(self.err(format!(
                        "cannot cast {} to {}: spatial values have no conversions",
                        self.describe(&operand),
                        target.display(self.ctx.model)
                    )));
                }
                match operand.ty() {
                    ExprType::Primitive(_) | ExprType::Enum(_) | ExprType::Null => {}
                    _ => {
                        return Err(self.err(format!(
                            "cast needs a primitive or enumeration value, got {}",
                            self.describe(&operand)
                        )));
                    }
                }
                Ok(BoundExpr::Cast {
                    operand: Box::new(operand),
                    ty: target,
                })
            }
            _ => Err(self.err(format!("'cast' takes 1 or 2 arguments, got {}", args.len()))),
        }
    }

    /// `isof(NS.Derived)` (the current entity) or `isof(x, T)`.
    fn bind_isof(&mut self, args: &[Expr]) -> Result<BoundExpr, ODataError> {
        let current = |e: &Expr| {
            matches!(e, Expr::Path { segments, .. }
                if matches!(segments.as_slice(), [Segment::It | Segment::This]))
        };
        match args {
            [ty] => self.isof_entity(ty),
            [operand, ty] if current(operand) => self.isof_entity(ty),
            [operand, ty] => {
                let kind = self.type_argument("isof", Some(ty))?;
                let target = match kind {
                    TypeKind::Primitive(p) => ExprType::Primitive(p),
                    TypeKind::Enum(id) => ExprType::Enum(id),
                    TypeKind::Complex(id) => ExprType::Complex(id),
                    TypeKind::Entity(_) => {
                        return Err(self.err(
                            "isof with an entity type tests the current entity: write \
                             isof(Namespace.DerivedType)",
                        ));
                    }
                };
                let operand = self.bind(operand)?;
                if matches!(operand.ty(), ExprType::Collection(_)) {
                    return Err(self.err(format!(
                        "isof needs a single value, got {}",
                        self.describe(&operand)
                    )));
                }
                Ok(BoundExpr::IsOf {
                    operand: Some(Box::new(operand)),
                    entity_type: None,
                    ty: Some(target),
                })
            }
            _ => Err(self.err(format!("'isof' takes 1 or 2 arguments, got {}", args.len()))),
        }
    }

    fn isof_entity(&self, ty: &Expr) -> Result<BoundExpr, ODataError> {
        match self.type_argument("isof", Some(ty))? {
            TypeKind::Entity(id) => Ok(BoundExpr::IsOf {
                operand: None,
                entity_type: Some(id),
                ty: None,
            }),
            _ => Err(self.err(
                "isof with one argument tests the current entity and needs an entity type; to \
                 test a value write isof(value, Edm.Type)",
            )),
        }
    }
}
