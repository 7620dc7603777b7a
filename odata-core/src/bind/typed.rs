//! The bound (type-checked) expression tree: names resolved against the model, literals
//! converted to typed values, every node typed. Only this tree reaches the evaluator
//! (`crate::eval`) and the SQL translator (in `odata-server`).

use crate::edm::{ComplexTypeId, EntityTypeId, EnumTypeId, PrimitiveKind};
use crate::query::SortDirection;
use crate::value::Value;

/// The type of a bound expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExprType {
    /// A primitive type. Integer kinds are kept (Int32 vs Int64) for range checks;
    /// arithmetic promotes per the OData rules (Int → Int64 → Decimal → Double).
    Primitive(PrimitiveKind),
    /// An enumeration type.
    Enum(EnumTypeId),
    /// A complex type (only as a path prefix, in `eq null` or in `isof`/`cast`).
    Complex(ComplexTypeId),
    /// An entity reached through a single-valued navigation property (only in `eq null` /
    /// `ne null`: whether there is a related entity).
    Entity(EntityTypeId),
    /// A collection of items of the inner type (lambda operators, `length`-less
    /// `$count` segments, `in` right operands).
    Collection(Box<ExprType>),
    /// The untyped `null` literal; compatible with every type.
    Null,
}

/// A property of the current entity (`$it`) or of a lambda variable, possibly reached
/// through complex properties and a type cast.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyRef {
    /// `None` for `$it`; `Some(name)` for a lambda variable bound by an enclosing
    /// `any`/`all`.
    pub variable: Option<String>,
    /// A derived entity type the path casts to (`NS.Derived/prop`); the value is null for
    /// entities of other types.
    pub cast: Option<EntityTypeId>,
    /// Property names from the entity (or variable) inward: `["settings", "eulaHidden"]`.
    /// Empty when the path is the lambda variable itself (`t` in `tags/any(t: t eq 'x')`).
    pub path: Vec<String>,
    /// Type of the value at the end of the path.
    pub ty: ExprType,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: null eq null is true.
    Eq,
    /// `ne`: x ne null is true for non-null x.
    Ne,
    /// `gt`: false when either side is null.
    Gt,
    /// `ge`: false when either side is null (even null ge null).
    Ge,
    /// `lt`: false when either side is null.
    Lt,
    /// `le`: false when either side is null (even null le null).
    Le,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `add` (numbers; DateTimeOffset/Date + Duration; Duration + Duration).
    Add,
    /// `sub` (numbers; DateTimeOffset − Duration; DateTimeOffset − DateTimeOffset →
    /// Duration; Date − Date → Duration; Duration − Duration).
    Sub,
    /// `mul`
    Mul,
    /// `div`: integer division truncating toward zero for integers. Division by zero:
    /// ±INF/NaN for doubles; for integers and decimals the evaluator reports a 400, while
    /// the SQL translation yields null, so such a row never matches.
    Div,
    /// `divby`: always decimal/double division.
    DivBy,
    /// `mod`: remainder with the sign of the dividend; by zero as for `div`.
    Mod,
}

/// Built-in functions (URL conventions §5.1.1.5–5.1.1.11). All return null when an
/// argument is null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `contains(s, t)` → Boolean
    Contains,
    /// `startswith(s, t)` → Boolean
    StartsWith,
    /// `endswith(s, t)` → Boolean
    EndsWith,
    /// `length(s)` → Int32, in Unicode code points
    Length,
    /// `indexof(s, t)` → Int32, zero-based code point index, -1 when absent
    IndexOf,
    /// `substring(s, start[, length])` → String, code points
    Substring,
    /// `matchesPattern(s, ECMAScript regex)` → Boolean
    MatchesPattern,
    /// `tolower(s)`
    ToLower,
    /// `toupper(s)`
    ToUpper,
    /// `trim(s)`
    Trim,
    /// `concat(a, b)` → String
    Concat,
    /// `year(d)` in the value's own offset
    Year,
    /// `month(d)`
    Month,
    /// `day(d)`
    Day,
    /// `hour(d)`
    Hour,
    /// `minute(d)`
    Minute,
    /// `second(d)`
    Second,
    /// `fractionalseconds(d)` → Decimal
    FractionalSeconds,
    /// `totalseconds(duration)` → Decimal
    TotalSeconds,
    /// `date(dto)` → Date in the value's own offset
    Date,
    /// `time(dto)` → TimeOfDay in the value's own offset
    Time,
    /// `totaloffsetminutes(dto)` → Int32
    TotalOffsetMinutes,
    /// `mindatetime()` → DateTimeOffset `0001-01-01T00:00:00Z`
    MinDateTime,
    /// `maxdatetime()` → DateTimeOffset `9999-12-31T23:59:59.9999999Z`
    MaxDateTime,
    /// `now()` → DateTimeOffset (fixed once per request by the binder's caller)
    Now,
    /// `round(n)` (half away from zero)
    Round,
    /// `floor(n)`
    Floor,
    /// `ceiling(n)`
    Ceiling,
    /// `geo.distance(point, point)` → Double: meters on the sphere (geography), Euclidean
    /// (geometry); see `crate::value::Geo::distance`
    GeoDistance,
    /// `geo.length(lineString)` → Double, the sum of the segments' distances
    GeoLength,
    /// `geo.intersects(point, polygon)` → Boolean, the point lies inside the polygon
    GeoIntersects,
}

/// A bound expression.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundExpr {
    /// A typed constant (from a literal or a parameter alias). `Value::Null` with
    /// `ExprType::Null` for the `null` literal.
    Literal {
        /// The value.
        value: Value,
        /// Its type.
        ty: ExprType,
    },
    /// A property value.
    Property(PropertyRef),
    /// `not` (Boolean operand).
    Not(Box<BoundExpr>),
    /// Arithmetic negation.
    Neg {
        /// Operand.
        operand: Box<BoundExpr>,
        /// Result type.
        ty: ExprType,
    },
    /// `and`: `null and false` is false, `null and true` is null (→ false at the top).
    And(Box<BoundExpr>, Box<BoundExpr>),
    /// `or`: `null or true` is true.
    Or(Box<BoundExpr>, Box<BoundExpr>),
    /// A comparison; both operands already promoted to one comparable type.
    Compare {
        /// Operator.
        op: CompareOp,
        /// Left operand.
        left: Box<BoundExpr>,
        /// Right operand.
        right: Box<BoundExpr>,
    },
    /// `x in (a, b, …)`: true when `x eq` any item.
    In {
        /// Tested value.
        value: Box<BoundExpr>,
        /// Items (constants or expressions of a compatible type).
        items: Vec<BoundExpr>,
    },
    /// `x has NS.Enum'flags'`: `(x & flags) == flags`.
    Has {
        /// An enum-typed operand.
        value: Box<BoundExpr>,
        /// The flag bits.
        flags: i64,
    },
    /// Arithmetic.
    Arith {
        /// Operator.
        op: ArithOp,
        /// Left operand.
        left: Box<BoundExpr>,
        /// Right operand.
        right: Box<BoundExpr>,
        /// Result type.
        ty: ExprType,
    },
    /// A built-in function call.
    Call {
        /// The function.
        function: Function,
        /// Arguments, type-checked.
        args: Vec<BoundExpr>,
        /// Result type.
        ty: ExprType,
    },
    /// `case(c1: v1, …)`: the first true condition's value, else null.
    Case {
        /// `(condition, value)` pairs.
        branches: Vec<(BoundExpr, BoundExpr)>,
        /// Result type.
        ty: ExprType,
    },
    /// `cast(x, Edm.T)` to a primitive type: null when the value cannot be converted.
    Cast {
        /// Operand.
        operand: Box<BoundExpr>,
        /// Target type.
        ty: ExprType,
    },
    /// `isof(NS.Derived)` (operand `None` = `$it`) or `isof(x, Edm.T)`.
    IsOf {
        /// Operand; `None` tests the current entity's type.
        operand: Option<Box<BoundExpr>>,
        /// Entity type tested when the operand is `$it` (true for it and its subtypes).
        entity_type: Option<EntityTypeId>,
        /// Primitive/enum/complex type tested otherwise.
        ty: Option<ExprType>,
    },
    /// `collection/any(v: predicate)`; `predicate` `None` for `any()` (non-empty).
    Any {
        /// A collection-valued property.
        collection: PropertyRef,
        /// Lambda variable name.
        variable: String,
        /// Boolean predicate over the variable.
        predicate: Option<Box<BoundExpr>>,
    },
    /// `collection/all(v: predicate)` (true for an empty collection).
    All {
        /// A collection-valued property.
        collection: PropertyRef,
        /// Lambda variable name.
        variable: String,
        /// Boolean predicate.
        predicate: Box<BoundExpr>,
    },
    /// `collection/$count` → Int64.
    Count(PropertyRef),
    /// `collection/$count($filter=…;$search=…)` → Int64: the number of items the nested
    /// options keep. In `filter`, `variable` ([`super::THIS`]) stands for the item: bare
    /// member names are its members, `$it` is still the entity.
    CountWhere {
        /// Collection-valued path.
        collection: PropertyRef,
        /// The item variable of `filter`.
        variable: String,
        /// Nested `$filter` (Boolean), if given.
        filter: Option<Box<BoundExpr>>,
        /// Nested `$search`, if given: for related entities their searchable properties
        /// (the service decides which), for other items their string values or members.
        search: Option<BoundSearch>,
    },
}

/// One bound `$orderby` item.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundOrderBy {
    /// Sort key (primitive or enum typed).
    pub expr: BoundExpr,
    /// Direction; nulls sort first ascending, last descending.
    pub direction: SortDirection,
}

/// A bound `$search`: terms matched case-insensitively as substrings of any searchable
/// string property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundSearch {
    /// A word or phrase.
    Term(String),
    /// `NOT`
    Not(Box<BoundSearch>),
    /// `AND`
    And(Box<BoundSearch>, Box<BoundSearch>),
    /// `OR`
    Or(Box<BoundSearch>, Box<BoundSearch>),
}
