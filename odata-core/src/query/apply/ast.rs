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
    /// `groupby((…, rollup(…), …)[, applyExpr])`: a groupby whose grouping list holds at
    /// least one `rollup`, so the result holds one set of groups per combination of rollup
    /// levels (see [`GroupingItem::grouping_sets`]). A list without `rollup` is
    /// [`Transformation::GroupBy`].
    GroupByRollup {
        /// The grouping list in the order written: paths and rollups.
        items: Vec<GroupingItem>,
        /// Transformations applied to each group (`None`: the groups' values only).
        then: Option<Apply>,
    },
    /// `join(path as alias[, applyExpr])` and `outerjoin(…)`: one output instance per input
    /// instance and member of the collection `path` addresses, the member under `alias`.
    Join {
        /// `outerjoin`: an input instance without members is kept, its alias null.
        outer: bool,
        /// The collection-valued (navigation) property, possibly with a type cast.
        path: GroupingPath,
        /// The name of the added property.
        alias: String,
        /// Transformations applied to each instance's members first.
        then: Option<Apply>,
    },
    /// `nest(applyExpr as alias, …)`: one instance holding, per sequence, the collection
    /// the sequence makes of the input under its alias.
    Nest(Vec<NestItem>),
    /// A transformation this service parses but does not evaluate (`addnested`,
    /// `ancestors`, `descendants`, `traverse`, `rolluprecursive`, custom functions): its
    /// name and argument text.
    Unsupported {
        /// The name as written (`addnested`, `Self.myFunction`, `groupby with rolluprecursive`).
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

impl Transformation {
    /// The transformation's name as `$apply` spells it, for messages.
    ///
    /// ```
    /// use odata_core::query::apply::Transformation;
    /// assert_eq!(Transformation::Identity.name(), "identity");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Transformation::Aggregate(_) => "aggregate",
            Transformation::GroupBy { .. } => "groupby",
            Transformation::Filter(_) => "filter",
            Transformation::Compute(_) => "compute",
            Transformation::Search(_) => "search",
            Transformation::OrderBy(_) => "orderby",
            Transformation::Top(_) => "top",
            Transformation::Skip(_) => "skip",
            Transformation::Identity => "identity",
            Transformation::Concat(_) => "concat",
            Transformation::GroupByRollup { .. } => "groupby",
            Transformation::Join { outer: false, .. } => "join",
            Transformation::Join { outer: true, .. } => "outerjoin",
            Transformation::Nest(_) => "nest",
            Transformation::TopBottom { kind, .. } => kind.name(),
            Transformation::Unsupported { .. } => "custom transformation",
        }
    }
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

/// One element of a groupby's grouping list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupingItem {
    /// A grouping property.
    Path(GroupingPath),
    /// `rollup(p1, p2, …)` or `rollup($all, p1, …)`: the levels (p1, p2, …), (p1, …), …,
    /// (p1), and with `$all` also the grand total over all levels.
    Rollup {
        /// `$all` was the first argument: the grand-total level is included.
        all: bool,
        /// The paths from the coarsest level to the finest (at least one; two without
        /// `$all`).
        levels: Vec<GroupingPath>,
    },
}

impl GroupingItem {
    /// The grouping sets a grouping list stands for, finest first: every combination of
    /// one level per rollup (the levels of each rollup from the finest to the coarsest,
    /// later rollups varying fastest), each set listing its paths in the order of the list.
    ///
    /// ```
    /// use odata_core::query::{GroupingItem, GroupingPath};
    ///
    /// let p = |s: &str| GroupingPath { segments: vec![s.to_owned()] };
    /// let items = [
    ///     GroupingItem::Path(p("x")),
    ///     GroupingItem::Rollup { all: true, levels: vec![p("a"), p("b")] },
    /// ];
    /// let sets: Vec<Vec<String>> = GroupingItem::grouping_sets(&items)
    ///     .iter()
    ///     .map(|set| set.iter().map(|g| g.to_string()).collect())
    ///     .collect();
    /// assert_eq!(sets, [vec!["x", "a", "b"], vec!["x", "a"], vec!["x"]]);
    /// ```
    pub fn grouping_sets(items: &[GroupingItem]) -> Vec<Vec<&GroupingPath>> {
        let mut sets: Vec<Vec<&GroupingPath>> = vec![Vec::new()];
        for item in items {
            match item {
                GroupingItem::Path(path) => sets.iter_mut().for_each(|s| s.push(path)),
                GroupingItem::Rollup { all, levels } => {
                    let coarsest = usize::from(!*all);
                    let mut next = Vec::with_capacity(sets.len() * levels.len());
                    for set in &sets {
                        for depth in (coarsest..=levels.len()).rev() {
                            let mut s = set.clone();
                            s.extend(&levels[..depth]);
                            next.push(s);
                        }
                    }
                    sets = next;
                }
            }
        }
        sets
    }

    /// The paths the item groups by at its finest level.
    pub fn paths(&self) -> &[GroupingPath] {
        match self {
            GroupingItem::Path(path) => std::slice::from_ref(path),
            GroupingItem::Rollup { levels, .. } => levels,
        }
    }
}

/// One sequence of a `nest` transformation with its alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NestItem {
    /// The transformations applied to the input.
    pub apply: Apply,
    /// The name of the property holding their result.
    pub alias: String,
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
    /// `count`: the number of non-null values (this service's method; the standard form
    /// counts instances with `$count`).
    Count,
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
            AggregateMethod::Count => "count",
            AggregateMethod::Custom(name) => name,
        })
    }
}
