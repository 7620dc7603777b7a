//! `$apply` evaluator tests: each transformation, the result types, the null rules, the
//! order of results and the errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use indexmap::IndexMap;
use serde_json::json;

use super::*;
use crate::edm::{EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef};
use crate::error::ErrorKind;
use crate::query::{ParseLimits, parse_apply};

fn model() -> Model {
    ModelBuilder::new("ns")
        .entity_type(
            EntityTypeDef::new("sale")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null())
                .property(PropertyDef::new("region", "Edm.String"))
                .property(PropertyDef::new("amount", "Edm.Int32"))
                .property(PropertyDef::new("big", "Edm.Int64"))
                .property(PropertyDef::new("price", "Edm.Decimal"))
                .property(PropertyDef::new("ratio", "Edm.Double"))
                .property(PropertyDef::new("flag", "Edm.Boolean"))
                .property(PropertyDef::new("at", "Edm.DateTimeOffset"))
                .navigation(NavigationDef::new("owner", "ns.sale"))
                .navigation(NavigationDef::new("owned", "Collection(ns.sale)")),
        )
        .entity_type(
            EntityTypeDef::new("special")
                .base("ns.sale")
                .property(PropertyDef::new("extra", "Edm.Int32")),
        )
        .build()
        .unwrap()
}

fn dto(s: &str) -> Value {
    Value::DateTimeOffset(DateTimeOffset::parse(s).unwrap())
}

fn dec(s: &str) -> Value {
    Value::Decimal(s.parse::<Decimal>().unwrap())
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

/// A sale: id, region, amount, big, price, ratio, flag, at; `owner` is the JSON of
/// another sale (or null), `owned` a JSON array of sales.
#[allow(clippy::too_many_arguments)]
fn sale(
    m: &Model,
    id: &str,
    region: Value,
    amount: Value,
    price: Value,
    ratio: Value,
    flag: Value,
    at: Value,
) -> MapEntity {
    let values: IndexMap<String, Value> = [
        ("id", s(id)),
        ("region", region),
        ("amount", amount),
        ("big", Value::Null),
        ("price", price),
        ("ratio", ratio),
        ("flag", flag),
        ("at", at),
        ("owner", Value::Null),
        ("owned", Value::Json(json!([]))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    MapEntity {
        entity_type: m.find_entity_type("sale").unwrap(),
        values,
    }
}

/// Five sales in key order: regions west/east/null, amounts 3, 4, null, 5, 1. s1 owns s2
/// and s5; s4 owns a special sale of another collection, x1 (region north, amount 7).
fn sales(m: &Model) -> Vec<MapEntity> {
    let mut rows = vec![
        sale(
            m,
            "s1",
            s("west"),
            Value::Int(3),
            dec("1.25"),
            Value::Double(0.5),
            Value::Boolean(true),
            dto("2020-01-01T00:00:00Z"),
        ),
        sale(
            m,
            "s2",
            s("east"),
            Value::Int(4),
            dec("2.5"),
            Value::Double(1.5),
            Value::Boolean(false),
            dto("2020-01-01T01:00:00+01:00"),
        ),
        sale(
            m,
            "s3",
            s("west"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ),
        sale(
            m,
            "s4",
            Value::Null,
            Value::Int(5),
            dec("0.25"),
            Value::Double(-2.0),
            Value::Boolean(true),
            dto("2021-06-15T12:00:00-08:00"),
        ),
        sale(
            m,
            "s5",
            s("east"),
            Value::Int(1),
            dec("10"),
            Value::Double(4.0),
            Value::Boolean(true),
            dto("2019-12-31T23:00:00Z"),
        ),
    ];
    // s2 and s5 are owned by s1.
    let owner = json!({"id": "s1", "region": "west", "amount": 3});
    rows[1]
        .values
        .insert("owner".into(), Value::Json(owner.clone()));
    rows[4].values.insert("owner".into(), Value::Json(owner));
    let owned = json!([
        {"id": "s2", "region": "east", "amount": 4, "price": "2.5", "ratio": 1.5,
         "flag": false, "at": "2020-01-01T01:00:00+01:00", "owner": {"id": "s1"}},
        {"id": "s5", "region": "east", "amount": 1, "price": "10", "ratio": 4.0,
         "flag": true, "at": "2019-12-31T23:00:00Z", "owner": {"id": "s1"}},
    ]);
    rows[0].values.insert("owned".into(), Value::Json(owned));
    let special = json!([{"@odata.type": "#ns.special", "id": "x1", "region": "north",
                          "amount": 7, "extra": 9, "owner": null}]);
    rows[3].values.insert("owned".into(), Value::Json(special));
    rows
}

fn run_on(m: &Model, rows: &[MapEntity], apply: &str) -> Result<ApplyResult, ODataError> {
    let aliases = IndexMap::new();
    let ctx = BindContext {
        model: m,
        entity_type: m.find_entity_type("sale").unwrap(),
        aliases: &aliases,
        now: DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap(),
        limits: ParseLimits::default(),
    };
    let apply = parse_apply(apply, &ParseLimits::default()).unwrap();
    let entities: Vec<&dyn EntityValues> = rows.iter().map(|r| r as &dyn EntityValues).collect();
    evaluate_apply(&ctx, &apply, &entities, &[vec!["region".to_owned()]])
}

fn run(apply: &str) -> Result<ApplyResult, ODataError> {
    let m = model();
    run_on(&m, &sales(&m), apply)
}

/// The rows' values.
fn values(r: &ApplyResult) -> Vec<Vec<Value>> {
    r.rows.iter().map(|row| row.values.clone()).collect()
}

/// The ids of entity rows.
fn ids(r: &ApplyResult) -> Vec<String> {
    assert!(r.entities);
    let id = r.properties.iter().position(|p| p.name() == "id").unwrap();
    r.rows
        .iter()
        .map(|row| match &row.values[id] {
            Value::String(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn names(r: &ApplyResult) -> Vec<String> {
    r.properties.iter().map(ResultProperty::name).collect()
}

fn kind(r: &ApplyResult, name: &str) -> TypeKind {
    r.properties
        .iter()
        .find(|p| p.name() == name)
        .unwrap()
        .type_ref
        .kind
}

fn err(apply: &str) -> ODataError {
    run(apply).unwrap_err()
}

#[test]
fn groupby_aggregates_each_group_and_orders_groups_nulls_first() {
    let r = run(
        "groupby((region),aggregate(amount with sum as total,$count as n,\
         amount with average as avg,amount with min as lo,amount with max as hi,\
         flag with countdistinct as flags))",
    )
    .unwrap();
    assert!(!r.entities);
    assert_eq!(
        names(&r),
        ["region", "total", "n", "avg", "lo", "hi", "flags"]
    );
    assert_eq!(
        values(&r),
        [
            vec![
                Value::Null,
                Value::Int(5),
                dec("1"),
                dec("5"),
                Value::Int(5),
                Value::Int(5),
                dec("1"),
            ],
            vec![
                s("east"),
                Value::Int(5),
                dec("2"),
                dec("2.5"),
                Value::Int(1),
                Value::Int(4),
                dec("2"),
            ],
            vec![
                s("west"),
                Value::Int(3),
                dec("2"),
                dec("3"),
                Value::Int(3),
                Value::Int(3),
                dec("1"),
            ],
        ]
    );
    let dynamic: Vec<bool> = r.properties.iter().map(|p| p.dynamic).collect();
    assert_eq!(dynamic, [false, true, true, true, true, true, true]);
}

#[test]
fn aggregate_result_types_follow_the_input_types() {
    let r = run(
        "aggregate(amount with sum as a,price with sum as b,ratio with sum as c,\
         amount with average as d,price with average as e,ratio with average as f,\
         at with max as g,$count as h,region with countdistinct as i)",
    )
    .unwrap();
    use PrimitiveKind as P;
    let expect = [
        ("a", P::Int64),
        ("b", P::Decimal),
        ("c", P::Double),
        ("d", P::Decimal),
        ("e", P::Decimal),
        ("f", P::Double),
        ("g", P::DateTimeOffset),
        ("h", P::Decimal),
        ("i", P::Decimal),
    ];
    for (name, p) in expect {
        assert_eq!(kind(&r, name), TypeKind::Primitive(p), "{name}");
    }
    let scale = |name: &str| {
        r.properties
            .iter()
            .find(|p| p.name() == name)
            .unwrap()
            .type_ref
            .scale
    };
    assert_eq!(scale("h"), Some(0));
    assert_eq!(scale("i"), Some(0));
    assert_eq!(
        values(&r),
        [vec![
            Value::Int(13),
            dec("14"),
            Value::Double(4.0),
            dec("3.25"),
            dec("3.5"),
            Value::Double(1.0),
            // The latest instant, in UTC.
            dto("2021-06-15T20:00:00Z"),
            dec("5"),
            dec("2"),
        ]]
    );
    let Value::DateTimeOffset(max) = &values(&r)[0][6] else {
        panic!()
    };
    assert_eq!(max.as_str(), "2021-06-15T20:00:00Z");
}

#[test]
fn an_average_keeps_the_exact_quotient() {
    let r = run("filter(amount ne null and amount ne 5)/aggregate(amount with average as avg)")
        .unwrap();
    // (3 + 4 + 1) / 3
    let Value::Decimal(avg) = &values(&r)[0][0] else {
        panic!()
    };
    assert!(avg.to_string().starts_with("2.6666666666666666666666666"));
}

#[test]
fn aggregating_nothing_gives_one_record_of_nulls_and_zero_counts() {
    let r = run(
        "filter(amount gt 100)/aggregate(amount with sum as total,$count as n,\
         amount with min as lo,amount with countdistinct as d,ratio with average as avg)",
    )
    .unwrap();
    assert_eq!(
        values(&r),
        [vec![
            Value::Null,
            dec("0"),
            Value::Null,
            dec("0"),
            Value::Null
        ]]
    );
    // groupby of nothing: no groups.
    let r = run("filter(amount gt 100)/groupby((region),aggregate($count as n))").unwrap();
    assert!(r.rows.is_empty());
}

#[test]
fn a_sum_beyond_int64_is_an_overflow() {
    let m = model();
    let mut rows = sales(&m);
    rows[0].values.insert("big".into(), Value::Int(i64::MAX));
    rows[1].values.insert("big".into(), Value::Int(1));
    let e = run_on(&m, &rows, "aggregate(big with sum as s)").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.contains("overflow"), "{}", e.message);
    // An intermediate sum beyond Int64 is no error when the total fits.
    rows[2].values.insert("big".into(), Value::Int(-5));
    let r = run_on(&m, &rows, "aggregate(big with sum as s)").unwrap();
    assert_eq!(values(&r), [vec![Value::Int(i64::MAX - 4)]]);
}

#[test]
fn datetimeoffsets_group_by_instant_with_the_first_text() {
    let r = run("groupby((at),aggregate($count as n))").unwrap();
    let texts: Vec<(Option<String>, Value)> = r
        .rows
        .iter()
        .map(|row| match &row.values[0] {
            Value::DateTimeOffset(d) => (Some(d.as_str().to_owned()), row.values[1].clone()),
            _ => (None, row.values[1].clone()),
        })
        .collect();
    assert_eq!(
        texts,
        [
            (None, dec("1")),
            (Some("2019-12-31T23:00:00Z".into()), dec("1")),
            // 2020-01-01T00:00:00Z and 2020-01-01T01:00:00+01:00: one instant.
            (Some("2020-01-01T00:00:00Z".into()), dec("2")),
            (Some("2021-06-15T12:00:00-08:00".into()), dec("1")),
        ]
    );
}

#[test]
fn groupby_through_a_navigation_property_and_without_aggregate() {
    let r = run("groupby((owner/region),aggregate(amount with sum as total))").unwrap();
    assert_eq!(names(&r), ["owner/region", "total"]);
    assert_eq!(r.properties[0].path, ["owner", "region"]);
    assert_eq!(
        values(&r),
        [
            vec![Value::Null, Value::Int(8)],
            vec![s("west"), Value::Int(5)],
        ]
    );
    let r = run("groupby((flag,region))").unwrap();
    assert_eq!(names(&r), ["flag", "region"]);
    assert_eq!(
        values(&r),
        [
            vec![Value::Null, s("west")],
            vec![Value::Boolean(false), s("east")],
            vec![Value::Boolean(true), Value::Null],
            vec![Value::Boolean(true), s("east")],
            vec![Value::Boolean(true), s("west")],
        ]
    );
}

#[test]
fn nested_transformations_before_aggregate_keep_empty_groups() {
    let r =
        run("groupby((region),filter(amount gt 3)/aggregate($count as n,amount with sum as s))")
            .unwrap();
    assert_eq!(
        values(&r),
        [
            vec![Value::Null, dec("1"), Value::Int(5)],
            vec![s("east"), dec("1"), Value::Int(4)],
            vec![s("west"), dec("0"), Value::Null],
        ]
    );
    // After aggregate: filter and compute work on the groups.
    let r = run("groupby((region),aggregate($count as n)/filter(n gt 1)/compute(n mul 2 as m))")
        .unwrap();
    assert_eq!(names(&r), ["region", "n", "m"]);
    assert_eq!(
        values(&r),
        [
            vec![s("east"), dec("2"), dec("4")],
            vec![s("west"), dec("2"), dec("4")],
        ]
    );
    let r = run("groupby((flag),search(EAST)/aggregate($count as n))").unwrap();
    assert_eq!(
        values(&r),
        [
            vec![Value::Null, dec("0")],
            vec![Value::Boolean(false), dec("1")],
            vec![Value::Boolean(true), dec("1")],
        ]
    );
}

#[test]
fn unsupported_nested_forms_are_not_implemented() {
    for apply in [
        "groupby((region),orderby(amount)/aggregate($count as n))",
        "groupby((region),aggregate($count as n)/top(1))",
        "groupby((region),filter(amount gt 1))",
        "aggregate(amount with sum from region with average as x)",
        "aggregate(amount with ns.custom as x)",
    ] {
        assert_eq!(err(apply).kind, ErrorKind::NotImplemented, "{apply}");
    }
}

#[test]
fn filter_orderby_top_skip_identity_keep_instances_in_order() {
    let r = run("filter(amount ne null)/orderby(region desc)/skip(1)/top(2)/identity").unwrap();
    // region desc: west (s1), east (s2, s5 in key order), null (s4).
    assert_eq!(ids(&r), ["s2", "s5"]);
    assert_eq!(r.rows[0].source, Some(1));
    // A stable sort: equal keys keep the order before.
    let r = run("orderby(amount desc)/orderby(flag)").unwrap();
    assert_eq!(ids(&r), ["s3", "s2", "s4", "s1", "s5"]);
    let r = run("top(0)").unwrap();
    assert!(r.rows.is_empty());
    assert!(r.entities);
    // Derived-type properties are not part of the result: it has the collection's type.
    assert!(!names(&r).contains(&"extra".to_owned()));
}

#[test]
fn compute_adds_properties_and_ends_navigation() {
    let r = run("compute(amount add 1 as next,region eq 'west' as w)/filter(next gt 4)").unwrap();
    assert!(!r.entities);
    assert_eq!(
        names(&r),
        [
            "id", "region", "amount", "big", "price", "ratio", "flag", "at", "next", "w"
        ]
    );
    let next = names(&r).iter().position(|n| n == "next").unwrap();
    let got: Vec<(Value, Value)> = r
        .rows
        .iter()
        .map(|row| (row.values[0].clone(), row.values[next].clone()))
        .collect();
    assert_eq!(got, [(s("s2"), Value::Int(5)), (s("s4"), Value::Int(6))]);
    assert_eq!(kind(&r, "w"), TypeKind::Primitive(PrimitiveKind::Boolean));
    assert!(r.properties[9].dynamic && !r.properties[0].dynamic);
    // Navigation properties lead nowhere from records; the alias must be new.
    assert_eq!(
        err("compute(1 as x)/filter(owner/amount gt 1)").kind,
        ErrorKind::BadRequest
    );
    let e = err("compute(amount add 1 as amount)");
    assert!(e.message.contains("already a property"), "{}", e.message);
    assert_eq!(err("compute(1 as x,2 as x)").kind, ErrorKind::BadRequest);
    assert_eq!(err("compute(null as x)").kind, ErrorKind::BadRequest);
    // An arithmetic error is the evaluator's 400.
    let e = err("compute(amount div 0 as x)");
    assert!(e.message.contains("division by zero"), "{}", e.message);
}

#[test]
fn search_applies_to_instances_only() {
    let r = run("search(west)").unwrap();
    assert_eq!(ids(&r), ["s1", "s3"]);
    let r = run("search(NOT west)").unwrap();
    assert_eq!(ids(&r), ["s2", "s4", "s5"]);
    let e = err("groupby((region))/search(west)");
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert_eq!(e.target.as_deref(), Some("$apply"));
}

#[test]
fn topcount_and_bottomcount_rank_with_nulls_last_and_first() {
    let r = run("topcount(2,amount)").unwrap();
    assert_eq!(ids(&r), ["s4", "s2"]);
    let r = run("bottomcount(2,amount)").unwrap();
    // Nulls sort first ascending.
    assert_eq!(ids(&r), ["s3", "s5"]);
    let r = run("topcount(10,amount)").unwrap();
    assert_eq!(ids(&r), ["s4", "s2", "s1", "s5", "s3"]);
    for apply in [
        "topcount(0,amount)",
        "topcount(1.5,amount)",
        "topcount(amount,amount)",
    ] {
        assert_eq!(err(apply).kind, ErrorKind::BadRequest, "{apply}");
    }
    assert!(err("topcount(1,region)").message.contains("numeric"));
}

#[test]
fn cumulative_forms_include_the_instance_that_reaches_the_threshold() {
    // Amounts: s4 5, s2 4, s1 3, s5 1 (s3 null takes no part); total 13.
    let cases = [
        ("topsum(5,amount)", &["s4"][..]),
        ("topsum(6,amount)", &["s4", "s2"]),
        ("topsum(100,amount)", &["s4", "s2", "s1", "s5"]),
        ("topsum(5.5,amount)", &["s4", "s2"]),
        ("bottomsum(1,amount)", &["s5"]),
        ("bottomsum(4,amount)", &["s5", "s1"]),
        // 5 × 100 < 13 × 50 → s2 too; 9 × 100 ≥ 650 → stop.
        ("toppercent(50,amount)", &["s4", "s2"]),
        ("toppercent(100,amount)", &["s4", "s2", "s1", "s5"]),
        ("bottompercent(30,amount)", &["s5", "s1"]),
        ("bottompercent(31,amount)", &["s5", "s1", "s2"]),
        ("topsum(1,price)", &["s5"]),
        ("topsum(10.5,price)", &["s5", "s2"]),
        // Ratios: s5 4, s2 1.5, s1 0.5, s4 -2.
        ("topsum(4,ratio)", &["s5"]),
        ("topsum(5,ratio)", &["s5", "s2"]),
        // A negative value keeps the sum below the threshold.
        ("bottomsum(0.25,ratio)", &["s4", "s1", "s2", "s5"]),
    ];
    for (apply, expected) in cases {
        assert_eq!(ids(&run(apply).unwrap()), expected, "{apply}");
    }
    for apply in [
        "topsum(0,amount)",
        "bottomsum(-1,amount)",
        "toppercent(101,amount)",
        "bottompercent(0,amount)",
        "topsum(amount,amount)",
        "topsum('x',amount)",
        "topsum(5,region)",
    ] {
        assert_eq!(err(apply).kind, ErrorKind::BadRequest, "{apply}");
    }
}

#[test]
fn concat_lists_the_parts_one_after_the_other() {
    let r = run(
        "concat(topcount(1,amount),groupby((region),aggregate($count as n)),\
         aggregate(amount with sum as n2))",
    )
    .unwrap();
    assert!(!r.entities);
    let n = names(&r);
    assert_eq!(
        n[..8],
        [
            "id", "region", "amount", "big", "price", "ratio", "flag", "at"
        ]
    );
    assert_eq!(n[8..], ["n", "n2"]);
    let rows = values(&r);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0][0], s("s4"));
    assert_eq!(rows[0][8], Value::Null);
    assert_eq!((&rows[1][1], &rows[1][8]), (&Value::Null, &dec("1")));
    assert_eq!((&rows[3][1], &rows[3][8]), (&s("west"), &dec("2")));
    assert_eq!(rows[4][9], Value::Int(13));
    assert_eq!(rows[4][0], Value::Null);
    // Integers of different sizes meet as Int64; other differences are refused.
    let r = run("concat(compute(amount as x),aggregate(amount with sum as x))").unwrap();
    assert_eq!(kind(&r, "x"), TypeKind::Primitive(PrimitiveKind::Int64));
    let e = err("concat(compute(amount as x),compute(region as x))");
    assert!(e.message.contains("different types"), "{}", e.message);
}

#[test]
fn aggregation_methods_check_their_input() {
    for (apply, what) in [
        ("aggregate(region with sum as x)", "numeric"),
        ("aggregate(region with average as x)", "numeric"),
        ("aggregate(flag with min as x)", "orderable"),
        ("aggregate(owner with countdistinct as x)", "primitive"),
        ("groupby((owner))", "primitive"),
        ("groupby((region,region))", "twice"),
        (
            "groupby((region),aggregate($count as region))",
            "already used",
        ),
        ("groupby((nope))", "nope"),
    ] {
        let e = err(apply);
        assert_eq!(e.kind, ErrorKind::BadRequest, "{apply}");
        assert!(e.message.contains(what), "{apply}: {}", e.message);
        assert!(e.message.starts_with("$apply: "), "{apply}: {}", e.message);
    }
}

#[test]
fn later_stages_name_grouping_properties_and_aliases() {
    let r = run("groupby((region),aggregate(amount with sum as total))\
         /orderby(total desc)/top(2)/compute(total add 1 as more)")
    .unwrap();
    assert_eq!(
        values(&r),
        [
            vec![Value::Null, Value::Int(5), Value::Int(6)],
            vec![s("east"), Value::Int(5), Value::Int(6)],
        ]
    );
    let r = run("aggregate($count as n)/filter(n eq 5)").unwrap();
    assert_eq!(values(&r), [vec![dec("5")]]);
    // The input's properties are gone after aggregation.
    assert_eq!(
        err("aggregate($count as n)/filter(amount gt 1)").kind,
        ErrorKind::BadRequest
    );
}

#[test]
fn rollup_is_each_grouping_set_finest_first_with_the_rolled_up_properties_null() {
    let count = |v: &Value| match v {
        Value::Int(n) => *n,
        Value::Decimal(d) => d.to_string().parse().unwrap(),
        other => panic!("a count: {other:?}"),
    };
    let r = run("groupby((rollup($all,region,flag)),aggregate($count as n))").unwrap();
    assert_eq!(names(&r), ["region", "flag", "n"]);
    let rows = values(&r);
    // Five (region, flag) groups of one sale each, then the three regions (flag null),
    // then the grand total.
    assert_eq!(rows.len(), 5 + 3 + 1, "{rows:?}");
    assert!(rows[..5].iter().all(|row| count(&row[2]) == 1), "{rows:?}");
    let regions = &rows[5..8];
    assert!(regions.iter().all(|row| row[1] == Value::Null), "{rows:?}");
    let mut by_region: Vec<(String, i64)> = regions
        .iter()
        .map(|row| (format!("{:?}", row[0]), count(&row[2])))
        .collect();
    by_region.sort();
    assert_eq!(
        by_region.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [1, 2, 2],
        "{by_region:?}"
    );
    assert_eq!(rows[8][..2], [Value::Null, Value::Null]);
    assert_eq!(count(&rows[8][2]), 5);
    // Without $all, no grand total; one path without it names a hierarchy.
    let r = run("groupby((rollup(region,flag)),aggregate($count as n))").unwrap();
    assert_eq!(values(&r).len(), 5 + 3);
    assert_eq!(err("groupby((rollup(region)))").kind, ErrorKind::BadRequest);
}

/// The values of the property `name` of every row.
fn column(r: &ApplyResult, name: &str) -> Vec<Value> {
    let i = r.properties.iter().position(|p| p.name() == name).unwrap();
    r.rows.iter().map(|row| row.values[i].clone()).collect()
}

/// The rows of a nested collection, as the ids of their instances.
fn nested_ids(rows: &[ResultRow]) -> Vec<Value> {
    rows.iter().map(|row| row.values[0].clone()).collect()
}

#[test]
fn join_gives_a_record_per_related_entity_and_drops_the_others() {
    let r = run("join(owned as o)").unwrap();
    assert!(!r.entities);
    assert_eq!(
        names(&r),
        [
            "id", "region", "amount", "big", "price", "ratio", "flag", "at", "o", "o/id",
            "o/region", "o/amount", "o/big", "o/price", "o/ratio", "o/flag", "o/at"
        ]
    );
    // The alias is a dynamic Boolean, the related entity's properties stay declared.
    let o = &r.properties[8];
    assert_eq!((o.role.clone(), o.dynamic), (PropertyRole::Presence, true));
    assert_eq!(kind(&r, "o"), TypeKind::Primitive(PrimitiveKind::Boolean));
    assert!(r.properties[9..].iter().all(|p| !p.dynamic));
    assert_eq!(
        kind(&r, "o/price"),
        TypeKind::Primitive(PrimitiveKind::Decimal)
    );
    // Per instance in input order, its related entities in their order; s2, s3 and s5
    // own nothing.
    assert_eq!(column(&r, "id"), [s("s1"), s("s1"), s("s4")]);
    assert_eq!(column(&r, "o/id"), [s("s2"), s("s5"), s("x1")]);
    assert_eq!(column(&r, "o"), vec![Value::Boolean(true); 3]);
    assert_eq!(column(&r, "o/price"), [dec("2.5"), dec("10"), Value::Null]);
    assert_eq!(
        column(&r, "o/at"),
        [
            dto("2020-01-01T01:00:00+01:00"),
            dto("2019-12-31T23:00:00Z"),
            Value::Null
        ]
    );
    assert!(r.rows.iter().all(|row| row.source.is_none()));
}

#[test]
fn outerjoin_keeps_instances_without_related_entities_with_the_alias_null() {
    let r = run("outerjoin(owned as o)").unwrap();
    assert_eq!(
        column(&r, "id"),
        [s("s1"), s("s1"), s("s2"), s("s3"), s("s4"), s("s5")]
    );
    assert_eq!(
        column(&r, "o"),
        [
            Value::Boolean(true),
            Value::Boolean(true),
            Value::Null,
            Value::Null,
            Value::Boolean(true),
            Value::Null
        ]
    );
    assert_eq!(column(&r, "o/amount")[2..4], [Value::Null, Value::Null]);
    // The alias is null where no entity was found, not where one has null values.
    let r = run("outerjoin(owned as o)/filter(o eq null)").unwrap();
    assert_eq!(column(&r, "id"), [s("s2"), s("s3"), s("s5")]);
    let r = run("outerjoin(owned as o)/filter(o ne null and o/price eq null)").unwrap();
    assert_eq!(column(&r, "o/id"), [s("x1")]);
}

#[test]
fn join_applies_its_sequence_to_the_related_entities_and_casts() {
    let r = run(
        "join(owned as o,filter(amount gt 1)/orderby(amount desc)/compute(amount mul 2 as twice))",
    )
    .unwrap();
    assert_eq!(column(&r, "o/id"), [s("s2"), s("x1")]);
    assert_eq!(column(&r, "o/twice"), [Value::Int(8), Value::Int(14)]);
    let twice = r.properties.iter().find(|p| p.name() == "o/twice").unwrap();
    assert!(twice.dynamic);
    // The order of the sequence within each instance's entities.
    let r = run("join(owned as o,orderby(amount))").unwrap();
    assert_eq!(column(&r, "o/id"), [s("s5"), s("s2"), s("x1")]);
    let r = run("join(owned as o,search(north))").unwrap();
    assert_eq!(column(&r, "o/id"), [s("x1")]);
    // A cast keeps the entities of that type (its `@odata.type`) and adds its properties.
    let r = run("join(owned/ns.special as o)").unwrap();
    assert_eq!(column(&r, "o/id"), [s("x1")]);
    assert_eq!(column(&r, "o/extra"), [Value::Int(9)]);
}

#[test]
fn later_stages_read_the_alias_paths_and_the_instance_navigation() {
    let r =
        run("join(owned as o)/groupby((o/region),aggregate(o/amount with sum as total))").unwrap();
    assert_eq!(names(&r), ["o/region", "total"]);
    assert_eq!(
        values(&r),
        [
            vec![s("east"), Value::Int(5)],
            vec![s("north"), Value::Int(7)]
        ]
    );
    let r = run("join(owned as o)/filter(o/amount gt 3 and owner eq null)/aggregate($count as n)")
        .unwrap();
    assert_eq!(values(&r), [vec![dec("2")]]);
    // Joined instances keep their navigation properties, search and further joins.
    let r = run("join(owned as o)/filter(owned/$count gt 1)/search(west)").unwrap();
    assert_eq!(column(&r, "o/id"), [s("s2"), s("s5")]);
    let r = run("join(owned as o)/join(owned as p)").unwrap();
    assert_eq!(r.rows.len(), 2 * 2 + 1);
    assert_eq!(names(&r)[17], "p");
    // A grouped path through a navigation property is read by later stages too.
    let r = run("groupby((owner/region))/filter(owner/region ne null)").unwrap();
    assert_eq!(values(&r), [vec![s("west")]]);
    // compute ends the navigation of joined instances.
    assert_eq!(
        err("join(owned as o)/compute(1 as x)/filter(owner eq null)").kind,
        ErrorKind::BadRequest
    );
}

#[test]
fn join_refuses_what_the_sql_translation_refuses() {
    for (apply, what) in [
        ("join(owner as o)", "single-valued"),
        ("outerjoin(owner as o)", "single-valued"),
        ("join(region as o)", "not a navigation property"),
        ("join(owned as region)", "already a property"),
        ("join(owned as owner)", "already a property"),
        ("join(owned as o)/join(owned as o)", "already a property"),
        ("join(owned/ns.nope as o)", "derived"),
        ("join(owned/id/x as o)", "collection-valued"),
        ("join(owned as o)/filter(o/nope eq 1)", "nope"),
        // Bound whether or not an instance has related entities.
        ("filter(false)/join(owned as o,filter(nope eq 1))", "nope"),
    ] {
        let e = err(apply);
        assert_eq!(e.kind, ErrorKind::BadRequest, "{apply}: {}", e.message);
        assert!(e.message.contains(what), "{apply}: {}", e.message);
    }
    for apply in [
        "join(owned as o,top(1))",
        "join(owned as o,aggregate($count as n))",
        "compute(1 as x)/join(owned as o)",
        "groupby((region))/join(owned as o)",
        "nest(identity as n)/outerjoin(owned as o)",
    ] {
        assert_eq!(err(apply).kind, ErrorKind::NotImplemented, "{apply}");
    }
}

#[test]
fn nest_at_the_top_level_is_one_record_of_the_sequences_results() {
    let r = run("nest(filter(amount gt 3) as big,aggregate($count as n) as count)").unwrap();
    assert!(!r.entities);
    assert_eq!(names(&r), ["big", "count"]);
    for p in &r.properties {
        assert!(p.dynamic && p.type_ref.collection, "{p:?}");
        assert_eq!(p.type_ref.kind, TypeKind::Primitive(PrimitiveKind::String));
    }
    let PropertyRole::Nested(inner) = &r.properties[1].role else {
        panic!("{:?}", r.properties[1])
    };
    assert_eq!(
        inner.iter().map(ResultProperty::name).collect::<Vec<_>>(),
        ["n"]
    );
    assert_eq!(values(&r), [vec![Value::Null, Value::Null]]);
    let big = &r.rows[0].nested["big"];
    assert_eq!(nested_ids(big), [s("s2"), s("s4")]);
    assert_eq!(big[0].source, Some(1));
    assert_eq!(values_of(&r.rows[0].nested["count"]), [vec![dec("5")]]);
    // Nested collections are no properties of later stages; aliases are unique.
    let r = run("nest(identity as all)/compute(1 as one)").unwrap();
    assert_eq!(names(&r), ["all", "one"]);
    assert_eq!(r.rows[0].nested["all"].len(), 5);
    assert_eq!(
        err("nest(identity as n)/filter(n eq null)").kind,
        ErrorKind::BadRequest
    );
    assert_eq!(
        err("nest(identity as n,top(1) as n)").kind,
        ErrorKind::BadRequest
    );
    let e = err("concat(nest(identity as n),nest(aggregate($count as c) as n))");
    assert!(e.message.contains("different types"), "{}", e.message);
}

/// The values of nested rows.
fn values_of(rows: &[ResultRow]) -> Vec<Vec<Value>> {
    rows.iter().map(|row| row.values.clone()).collect()
}

#[test]
fn nest_inside_groupby_nests_each_groups_rows() {
    let r = run(
        "groupby((region),filter(amount gt 1)/nest(orderby(amount desc) as best,\
         aggregate($count as n) as c))",
    )
    .unwrap();
    assert_eq!(names(&r), ["region", "best", "c"]);
    assert_eq!(column(&r, "region"), [Value::Null, s("east"), s("west")]);
    let best: Vec<Vec<Value>> = r
        .rows
        .iter()
        .map(|row| nested_ids(&row.nested["best"]))
        .collect();
    // east: s2 (4; s5's 1 is filtered out), west: s1 (s3's null is filtered out).
    assert_eq!(best, [vec![s("s4")], vec![s("s2")], vec![s("s1")]]);
    let counts: Vec<Vec<Vec<Value>>> = r
        .rows
        .iter()
        .map(|row| values_of(&row.nested["c"]))
        .collect();
    assert_eq!(counts, [[[dec("1")]], [[dec("1")]], [[dec("1")]]]);
    // A group whose rows are all filtered out nests nothing; after nest, filter works on
    // the groups.
    let r = run("groupby((region),filter(amount gt 4)/nest(identity as n)/filter(region ne null))")
        .unwrap();
    assert_eq!(column(&r, "region"), [s("east"), s("west")]);
    assert!(r.rows.iter().all(|row| row.nested["n"].is_empty()));
    // Each grouping set of a rollup nests its own groups' rows.
    let r = run("groupby((rollup($all,region,flag)),nest(aggregate($count as n) as c))").unwrap();
    assert_eq!(r.rows.len(), 5 + 3 + 1);
    assert_eq!(values_of(&r.rows[8].nested["c"]), [vec![dec("5")]]);
    // Rows in input order inside each group.
    let r = run("groupby((region),nest(identity as all))").unwrap();
    assert_eq!(nested_ids(&r.rows[2].nested["all"]), [s("s1"), s("s3")]);
    for (apply, kind) in [
        (
            "groupby((region),nest(identity as region))",
            ErrorKind::BadRequest,
        ),
        (
            "groupby((owner/region),nest(identity as owner))",
            ErrorKind::BadRequest,
        ),
        // Bound whether or not there are groups.
        (
            "filter(false)/groupby((region),nest(filter(nope eq 1) as n))",
            ErrorKind::BadRequest,
        ),
        (
            "groupby((region),nest(identity as n)/top(1))",
            ErrorKind::NotImplemented,
        ),
        (
            "groupby((region),nest(identity as n)/aggregate($count as c))",
            ErrorKind::NotImplemented,
        ),
        (
            "groupby((region),orderby(amount)/nest(identity as n))",
            ErrorKind::NotImplemented,
        ),
    ] {
        assert_eq!(err(apply).kind, kind, "{apply}");
    }
}
