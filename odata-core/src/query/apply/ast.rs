//! The untyped tree of a `$apply` value (OData Data Aggregation Extension 4.0).

use crate::query::ast::{Compute, Expr, OrderBy, Search};

/// A `$apply` value: transformations applied in order, each to the output of the one
/// before (`applyExpr = applyTrafo *( "/" applyTrafo )`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Apply {
    /// The transformations, at least one.
    pub transformations: Vec<Transformation>,
}

/// One transformation of a `$apply` sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transformation {
    /// `aggregate(item, …)`: one result instance with the aggregated values.
    Aggregate(Vec<AggregateItem>),
    /// `groupby((path, …)[, applyExpr])`: one result instance per distinct combination of
    /// the grouping paths, the nested transformations applied to each group.
    GroupBy {
        /// The grouping properties (paths of property names, at least one).
        properties: Vec<GroupingPath>,
        /// Transformations applied to each group (`None`: the groups' values only).
        then: Option<Apply>,
    },
    /// `filter(boolCommonExpr)`.
    Filter(Expr),
    /// `compute(expr as alias, …)`.
    Compute(Compute),
    /// `search(searchExpr)`.
    Search(Search),
    /// `orderby(item, …)`.
    OrderBy(OrderBy),
    /// `top(n)`.
    Top(u64),
    /// `skip(n)`.
    Skip(u64),
    /// `identity`.
    Identity,
    /// `concat(applyExpr, applyExpr, …)`: the results of each sequence, one after the other.
    Concat(Vec<Apply>),
    /// `topcount`/`topsum`/`toppercent`/`bottomcount`/`bottomsum`/`bottompercent`
    /// `(n, value)`.
    TopBottom {
        /// Which of the six.
        kind: TopBottomKind,
        /// The first argument (count, sum or percentage).
        n: Expr,
        /// The value instances are ranked by.
        value: Expr,
    },
    /// A transformation this service parses but does not evaluate (`join`, `outerjoin`,
    /// `nest`, `addnested`, `ancestors`, `descendants`, `traverse`, `rollup`,
    /// custom functions): its name and argument text.
    Unsupported {
        /// The name as written (`join`, `Self.myFunction`, `groupby with rollup`).
        name: String,
        /// The text between the parentheses.
        arguments: String,
    },
}

/// The six top/bottom transformations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopBottomKind {
    /// `topcount(n, value)`: the n instances with the highest values.
    TopCount,
    /// `topsum(s, value)`: the highest instances whose values add up to at least s.
    TopSum,
    /// `toppercent(p, value)`: the highest instances making up p percent of the total.
    TopPercent,
    /// `bottomcount(n, value)`.
    BottomCount,
    /// `bottomsum(s, value)`.
    BottomSum,
    /// `bottompercent(p, value)`.
    BottomPercent,
}

impl TopBottomKind {
    /// The transformation's name.
    pub fn name(self) -> &'static str {
        match self {
            TopBottomKind::TopCount => "topcount",
            TopBottomKind::TopSum => "topsum",
            TopBottomKind::TopPercent => "toppercent",
            TopBottomKind::BottomCount => "bottomcount",
            TopBottomKind::BottomSum => "bottomsum",
            TopBottomKind::BottomPercent => "bottompercent",
        }
    }

    /// True for the `top…` forms (highest values first).
    pub fn is_top(self) -> bool {
        matches!(
            self,
            TopBottomKind::TopCount | TopBottomKind::TopSum | TopBottomKind::TopPercent
        )
    }
}

/// A grouping property: a path of property names (`category`, `profile/displayName`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupingPath {
    /// Segments from the input instance inward.
    pub segments: Vec<String>,
}

impl std::fmt::Display for GroupingPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.segments.join("/"))
    }
}

/// One aggregate expression with its alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AggregateItem {
    /// What is aggregated.
    pub kind: AggregateKind,
    /// The name of the result property.
    pub alias: String,
}

/// What an aggregate expression aggregates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AggregateKind {
    /// `$count`: the number of input instances.
    Count,
    /// `expr with method [from …]`.
    With {
        /// The aggregated expression (a property path or any expression).
        expr: Expr,
        /// The aggregation method.
        method: AggregateMethod,
        /// `from` clauses (grouping properties and the method aggregating across them),
        /// outermost last.
        from: Vec<(Vec<GroupingPath>, AggregateMethod)>,
    },
}

/// An aggregation method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AggregateMethod {
    /// `sum`
    Sum,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `average`
    Average,
    /// `countdistinct`
    CountDistinct,
    /// A custom method `namespace.name`.
    Custom(String),
}

impl std::fmt::Display for AggregateMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AggregateMethod::Sum => "sum",
            AggregateMethod::Min => "min",
            AggregateMethod::Max => "max",
            AggregateMethod::Average => "average",
            AggregateMethod::CountDistinct => "countdistinct",
            AggregateMethod::Custom(name) => name,
        })
    }
}
