//! Evaluator tests: expected values per expression, the null rules one by one, ordering
//! and search.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use crate::value::Decimal;
use indexmap::IndexMap;
use serde_json::json;

use super::*;
use crate::bind::test_model::{ctx, model};
use crate::bind::{bind_expr, bind_filter, bind_orderby, bind_search};
use crate::error::ErrorKind;
use crate::query::{ParseLimits, parse_expr, parse_filter, parse_orderby, parse_search};
use crate::value::{Date, DateTimeOffset, Duration, TimeOfDay};

fn dto(s: &str) -> Value {
    Value::DateTimeOffset(DateTimeOffset::parse(s).unwrap())
}
fn dur(s: &str) -> Value {
    Value::Duration(Duration::parse(s).unwrap())
}
fn date(s: &str) -> Value {
    Value::Date(Date::parse(s).unwrap())
}
fn dec(s: &str) -> Value {
    Value::Decimal(s.parse::<Decimal>().unwrap())
}
fn geo(wkt: &str) -> Value {
    Value::Geo(crate::value::Geo::parse_literal(wkt, crate::edm::SpatialFamily::Geography).unwrap())
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn entity(m: &Model, ty: &str, values: Vec<(&str, Value)>) -> MapEntity {
    MapEntity {
        entity_type: m.find_entity_type(ty).unwrap(),
        values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

/// A `special` entity with every property set (except `color` and `level`).
fn full(m: &Model) -> MapEntity {
    entity(
        m,
        "tns.special",
        vec![
            ("id", s("e1")),
            ("name", s("Hello")),
            ("count", Value::Int(5)),
            ("big", Value::Int(10)),
            ("small", Value::Int(3)),
            ("price", dec("2.5")),
            ("ratio", Value::Double(1.5)),
            ("single", Value::Double(0.5)),
            ("flag", Value::Boolean(true)),
            (
                "guid",
                Value::Guid(uuid::Uuid::parse_str("01234567-89ab-cdef-0123-456789abcdef").unwrap()),
            ),
            ("day", date("2024-02-29")),
            (
                "time",
                Value::TimeOfDay(TimeOfDay::parse("13:45:30.25").unwrap()),
            ),
            ("at", dto("2016-12-31T23:59:23.3984029-08:00")),
            ("took", dur("PT1H30M")),
            ("state", Value::Enum(1)),
            ("perms", Value::Enum(3)),
            ("color", Value::Null),
            (
                "settings",
                Value::Json(json!({
                    "eulaHidden": true,
                    "language": "fr",
                    "level": 3,
                    "state": "failed",
                    "since": "2020-01-01T00:00:00+01:00",
                    "inner": {"code": "Z"}
                })),
            ),
            ("tags", Value::Json(json!(["a", "b", "Ünï"]))),
            (
                "addresses",
                Value::Json(json!([
                    {"street": "1 Main", "city": "Paris", "zip": 75001},
                    {"@odata.type": "#test.ns.usAddress", "city": "Austin", "zip": 73301, "region": "TX"}
                ])),
            ),
            ("states", Value::Json(json!(["enrolled", "failed"]))),
            ("scores", Value::Json(json!([1, 2, 3]))),
            ("bin", Value::Binary(vec![0, 1, 2])),
            ("loc", geo("POINT(-122.3321 47.6062)")),
            (
                "route",
                geo("LINESTRING(-122.3321 47.6062, -122.4194 47.2529)"),
            ),
            (
                "area",
                geo("POLYGON((-122.5 47.5, -122.0 47.5, -122.0 47.8, -122.5 47.8, -122.5 47.5))"),
            ),
            ("extra", s("x")),
            ("level", Value::Null),
        ],
    )
}

/// An `other` entity whose properties are all null.
fn nulls(m: &Model) -> MapEntity {
    entity(
        m,
        "tns.other",
        vec![
            ("id", s("e2")),
            ("name", Value::Null),
            ("count", Value::Null),
            ("flag", Value::Null),
            ("at", Value::Null),
            ("perms", Value::Null),
            ("settings", Value::Null),
            ("tags", Value::Null),
        ],
    )
}

fn eval_on(m: &Model, e: &MapEntity, text: &str) -> Result<Value, ODataError> {
    let a = IndexMap::new();
    let expr = parse_expr(text, &ParseLimits::default())
        .unwrap_or_else(|err| panic!("{text:?} does not parse: {err}"));
    let bound = bind_expr(&ctx(m, &a), &expr)
        .unwrap_or_else(|err| panic!("{text:?} does not bind: {}", err.message));
    evaluate(m, &bound, e)
}

fn matches_on(m: &Model, e: &MapEntity, text: &str) -> bool {
    let a = IndexMap::new();
    let expr = parse_filter(text, &ParseLimits::default()).unwrap();
    let bound = bind_filter(&ctx(m, &a), &expr)
        .unwrap_or_else(|err| panic!("{text:?} does not bind: {}", err.message));
    matches(m, &bound, e).unwrap()
}

fn check(m: &Model, e: &MapEntity, cases: &[(&str, Value)]) {
    for (text, expected) in cases {
        let got = eval_on(m, e, text).unwrap_or_else(|err| panic!("{text:?}: {}", err.message));
        assert_eq!(&got, expected, "{text}");
    }
}

#[test]
fn arithmetic_and_numbers() {
    let m = model();
    let e = full(&m);
    check(
        &m,
        &e,
        &[
            ("count add 1", Value::Int(6)),
            ("count sub 10", Value::Int(-5)),
            ("count mul 2", Value::Int(10)),
            ("7 div 2", Value::Int(3)),
            ("-7 div 2", Value::Int(-3)),
            ("-7 mod 2", Value::Int(-1)),
            ("7 mod -2", Value::Int(1)),
            ("7 divby 2", dec("3.5")),
            ("count divby 2", dec("2.5")),
            ("price add 1", dec("3.5")),
            ("price mul count", dec("12.5")),
            ("price mod 1", dec("0.5")),
            ("ratio mul 2", Value::Double(3.0)),
            ("ratio div 0", Value::Double(f64::INFINITY)),
            ("-ratio div 0", Value::Double(f64::NEG_INFINITY)),
            ("ratio mod 1", Value::Double(0.5)),
            ("count add price", dec("7.5")),
            ("count add ratio", Value::Double(6.5)),
            ("-count", Value::Int(-5)),
            ("-price", dec("-2.5")),
            ("round(2.5)", dec("3")),
            ("round(-2.5)", dec("-3")),
            ("round(2.4)", dec("2")),
            ("round(ratio)", Value::Double(2.0)),
            ("round(-1.5e0)", Value::Double(-2.0)),
            ("floor(-1.5)", dec("-2")),
            ("ceiling(-1.5)", dec("-1")),
            ("floor(ratio)", Value::Double(1.0)),
            ("round(count)", Value::Int(5)),
            ("count eq 5.0", Value::Boolean(true)),
            ("count lt 5.5", Value::Boolean(true)),
            ("price eq 2.5", Value::Boolean(true)),
            ("ratio eq 1.5", Value::Boolean(true)),
            ("ratio lt price", Value::Boolean(true)),
            ("big gt count", Value::Boolean(true)),
            ("count in (1, 5)", Value::Boolean(true)),
            ("count in (1, 2)", Value::Boolean(false)),
        ],
    );
    let nan = eval_on(&m, &e, "NaN eq NaN").unwrap();
    assert_eq!(
        nan,
        Value::Boolean(false),
        "IEEE: NaN is not equal to itself"
    );
}

#[test]
fn int32_and_int64_extremes() {
    let m = model();
    let e = entity(
        &m,
        "tns.special",
        vec![
            ("count", Value::Int(i64::from(i32::MAX))),
            ("small", Value::Int(i64::from(i32::MIN))),
            ("big", Value::Int(i64::MAX)),
        ],
    );
    check(
        &m,
        &e,
        &[
            ("count add 1", Value::Int(2_147_483_648)),
            ("small sub 1", Value::Int(-2_147_483_649)),
            ("-small", Value::Int(2_147_483_648)),
            ("count eq 2147483647", Value::Boolean(true)),
            ("count lt 2147483648", Value::Boolean(true)),
            ("small eq -2147483648", Value::Boolean(true)),
            ("big eq 9223372036854775807", Value::Boolean(true)),
            ("big lt 9223372036854775807.5", Value::Boolean(true)),
            ("big lt 9223372036854775808.0", Value::Boolean(true)),
            ("cast(2147483648, Edm.Int32)", Value::Null),
            ("cast(count, Edm.Int32)", Value::Int(2_147_483_647)),
            ("cast(count add 1, Edm.Int32)", Value::Null),
            ("cast(count, Edm.Int64)", Value::Int(2_147_483_647)),
        ],
    );
    // An integer literal beyond Int64 does not silently become a decimal for an integer.
    let a = IndexMap::new();
    for text in [
        "big lt 9223372036854775808",
        "count eq -9223372036854775809",
    ] {
        let expr = parse_expr(text, &ParseLimits::default()).unwrap();
        let err = bind_expr(&ctx(&m, &a), &expr).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest, "{text}");
        assert!(
            err.message.contains("out of the range of Edm.Int64"),
            "{text}: {}",
            err.message
        );
    }
    for (text, msg) in [
        ("big add 1", "arithmetic overflow in 'add'"),
        ("big mul 2", "arithmetic overflow in 'mul'"),
        ("-big sub 2", "arithmetic overflow in 'sub'"),
        (
            "-9223372036854775808 div -1",
            "arithmetic overflow in 'div'",
        ),
        ("-(-9223372036854775808)", "arithmetic overflow in '-'"),
        ("count div 0", "division by zero in 'div'"),
        ("count mod 0", "division by zero in 'mod'"),
        ("count divby 0", "division by zero in 'divby'"),
        ("2.5 div 0", "division by zero in 'div'"),
    ] {
        let err = eval_on(&m, &e, text).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest, "{text}");
        assert_eq!(err.message, msg, "{text}");
    }
}

#[test]
fn unicode_string_functions() {
    let m = model();
    let e = full(&m);
    check(
        &m,
        &e,
        &[
            ("length('é')", Value::Int(1)),
            ("length('😀a')", Value::Int(2)),
            ("length('')", Value::Int(0)),
            ("indexof('aéb','b')", Value::Int(2)),
            ("indexof('aéb','z')", Value::Int(-1)),
            ("indexof(name,'l')", Value::Int(2)),
            ("substring('héllo', 1)", s("éllo")),
            ("substring('héllo', 1, 2)", s("él")),
            ("substring('😀héllo', 1, 1)", s("h")),
            ("substring('héllo', 10)", s("")),
            ("substring('héllo', 1, 0)", s("")),
            ("substring('héllo', 1, 100)", s("éllo")),
            ("tolower('ÀÉÎ Σ')", s("àéî σ")),
            ("toupper('straße')", s("STRASSE")),
            ("toupper(name)", s("HELLO")),
            ("trim('  a b \t')", s("a b")),
            ("concat('a','é')", s("aé")),
            ("concat(concat(name,' '),name)", s("Hello Hello")),
            ("contains(name,'ell')", Value::Boolean(true)),
            ("contains(name,'ELL')", Value::Boolean(false)),
            ("startswith(name,'He')", Value::Boolean(true)),
            ("startswith(name,'he')", Value::Boolean(false)),
            ("endswith(name,'lo')", Value::Boolean(true)),
            ("tolower(name) eq 'hello'", Value::Boolean(true)),
            ("name gt 'Hallo'", Value::Boolean(true)),
            ("'é' gt 'z'", Value::Boolean(true)),
        ],
    );
}

#[test]
fn date_parts_use_the_values_own_offset() {
    let m = model();
    let e = full(&m);
    check(
        &m,
        &e,
        &[
            ("year(at)", Value::Int(2016)),
            ("month(at)", Value::Int(12)),
            ("day(at)", Value::Int(31)),
            ("hour(at)", Value::Int(23)),
            ("minute(at)", Value::Int(59)),
            ("second(at)", Value::Int(23)),
            ("fractionalseconds(at)", dec("0.3984029")),
            ("date(at)", date("2016-12-31")),
            (
                "time(at)",
                Value::TimeOfDay(TimeOfDay::parse("23:59:23.3984029").unwrap()),
            ),
            ("totaloffsetminutes(at)", Value::Int(-480)),
            ("hour(2016-12-31T23:59:23-08:00)", Value::Int(23)),
            ("year(day)", Value::Int(2024)),
            ("month(day)", Value::Int(2)),
            ("day(day)", Value::Int(29)),
            ("hour(time)", Value::Int(13)),
            ("minute(time)", Value::Int(45)),
            ("second(time)", Value::Int(30)),
            ("fractionalseconds(time)", dec("0.25")),
            ("totalseconds(took)", dec("5400")),
            ("totalseconds(duration'-PT1.5S')", dec("-1.5")),
            ("mindatetime()", dto("0001-01-01T00:00:00Z")),
            ("maxdatetime()", dto("9999-12-31T23:59:59.9999999Z")),
            ("mindatetime() lt at", Value::Boolean(true)),
        ],
    );
}

#[test]
fn date_time_offsets_compare_by_instant_across_offsets() {
    let m = model();
    let e = full(&m);
    check(
        &m,
        &e,
        &[
            ("at eq 2017-01-01T07:59:23.3984029Z", Value::Boolean(true)),
            (
                "at eq 2017-01-01T08:59:23.3984029+01:00",
                Value::Boolean(true),
            ),
            ("at gt 2017-01-01T07:00:00Z", Value::Boolean(true)),
            ("at lt 2017-01-01T00:00:00Z", Value::Boolean(false)),
            ("at ge 2017-01-01T07:59:23.3984029Z", Value::Boolean(true)),
            (
                "settings/since lt 2020-01-01T00:00:00Z",
                Value::Boolean(true),
            ),
            (
                "settings/since eq 2019-12-31T23:00:00Z",
                Value::Boolean(true),
            ),
            ("date(at) eq 2016-12-31", Value::Boolean(true)),
        ],
    );
}

#[test]
fn durations_and_temporal_arithmetic() {
    let m = model();
    let e = full(&m);
    let at_plus = DateTimeOffset::parse("2017-01-01T00:00:23.3984029-08:00").unwrap();
    let got = eval_on(&m, &e, "at add duration'PT1M'").unwrap();
    match &got {
        Value::DateTimeOffset(d) => {
            assert_eq!(d, &at_plus);
            assert_eq!(
                d.as_str(),
                "2017-01-01T00:00:23.3984029-08:00",
                "keeps the offset"
            );
        }
        other => panic!("{other:?}"),
    }
    check(
        &m,
        &e,
        &[
            ("duration'-PT1M' lt duration'PT0S'", Value::Boolean(true)),
            ("duration'-P1D' lt duration'-PT23H'", Value::Boolean(true)),
            ("took gt duration'PT1H'", Value::Boolean(true)),
            ("took gt 'PT1H'", Value::Boolean(true)),
            ("took sub duration'PT2H'", dur("-PT30M")),
            ("-took", dur("-PT1H30M")),
            ("duration'-P1D' add duration'PT1H'", dur("-PT23H")),
            ("took mul 2", dur("PT3H")),
            ("2 mul took", dur("PT3H")),
            ("took div 4", dur("PT22M30S")),
            ("took mul 0.5", dur("PT45M")),
            ("took divby 2.0", dur("PT45M")),
            (
                "2024-01-01T00:00:00Z sub 2023-12-31T00:00:00+01:00",
                dur("PT25H"),
            ),
            ("at sub duration'-PT1S' gt at", Value::Boolean(true)),
            ("day add duration'P1D'", date("2024-03-01")),
            ("day sub 2024-02-01", dur("P28D")),
            ("2024-02-01 sub day", dur("-P28D")),
            ("day add duration'-PT1H'", date("2024-02-28")),
            ("day add duration'PT23H'", date("2024-02-29")),
        ],
    );
    for text in [
        "duration'P10675199D' add duration'P10675199D'",
        "maxdatetime() add duration'PT1S'",
        "mindatetime() sub duration'PT1S'",
        "-duration'-P10675199DT2H48M5.4775808S'",
    ] {
        let err = eval_on(&m, &e, text).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest, "{text}");
        assert!(
            err.message.starts_with("arithmetic overflow"),
            "{text}: {}",
            err.message
        );
    }
}

#[test]
fn enums_complex_paths_lambdas_and_casts() {
    let m = model();
    let e = full(&m);
    let t = Value::Boolean(true);
    let f = Value::Boolean(false);
    check(
        &m,
        &e,
        &[
            ("state eq 'enrolled'", t.clone()),
            ("state lt 'failed'", t.clone()),
            ("state in ('failed','enrolled')", t.clone()),
            ("perms has 'read'", t.clone()),
            ("perms has tns.perms'exec'", f.clone()),
            ("perms has tns.perms'read,write'", t.clone()),
            ("color eq null", t.clone()),
            ("settings/eulaHidden", t.clone()),
            ("settings/level", Value::Int(3)),
            ("settings/state", Value::Enum(2)),
            ("settings/state eq 'failed'", t.clone()),
            ("settings/inner/code", s("Z")),
            ("settings/language eq null", f.clone()),
            ("settings ne null", t.clone()),
            ("tags/any(t: t eq 'b')", t.clone()),
            ("tags/any(t: t eq 'Ünï')", t.clone()),
            ("tags/all(t: length(t) eq 1)", f.clone()),
            ("tags/all(t: length(t) le 3)", t.clone()),
            ("tags/any()", t.clone()),
            ("tags/any(t: t eq $it/name)", f.clone()),
            ("tags/$count", Value::Int(3)),
            ("'a' in tags", t.clone()),
            ("'z' in tags", f.clone()),
            ("addresses/any(a: a/city eq 'Austin')", t.clone()),
            ("addresses/all(a: a/zip gt 70000)", t.clone()),
            (
                "addresses/any(a: a/tns.usAddress/region eq 'TX')",
                t.clone(),
            ),
            ("addresses/any(a: a/street eq null)", t.clone()),
            ("addresses/any(a: isof(a, tns.usAddress))", t.clone()),
            ("addresses/all(a: isof(a, tns.usAddress))", f.clone()),
            (
                "addresses/any(a: tags/any(t: t eq 'a') and a/zip eq 75001)",
                t.clone(),
            ),
            ("addresses/$count", Value::Int(2)),
            ("states/any(s: s eq 'failed')", t.clone()),
            ("scores/all(s: s gt 0)", t.clone()),
            ("scores/any(s: s gt 3)", f.clone()),
            ("5 in scores", f.clone()),
            ("isof(tns.special)", t.clone()),
            ("isof(tns.item)", t.clone()),
            ("isof(tns.other)", f.clone()),
            ("isof(name, Edm.String)", t.clone()),
            ("isof(count, Edm.Int64)", f.clone()),
            ("isof(settings, tns.settings)", t.clone()),
            ("tns.special/extra eq 'x'", t.clone()),
            ("tns.special/level eq null", t.clone()),
            ("cast(count, Edm.String)", s("5")),
            ("cast('42', Edm.Int32)", Value::Int(42)),
            ("cast('x', Edm.Int32)", Value::Null),
            ("cast(2.7, Edm.Int32)", Value::Int(2)),
            ("cast(-2.7, Edm.Int32)", Value::Int(-2)),
            ("cast(state, Edm.String)", s("enrolled")),
            ("cast(perms, Edm.String)", s("read,write")),
            ("cast('failed', tns.state)", Value::Enum(2)),
            ("cast('bogus', tns.state)", Value::Null),
            ("cast(count, Edm.Decimal)", dec("5")),
            ("cast(ratio, Edm.String)", s("1.5")),
            ("cast('2024-01-01', Edm.Date)", date("2024-01-01")),
            ("cast(at, Edm.Date)", date("2016-12-31")),
            (
                "cast(at, Edm.String)",
                s("2016-12-31T23:59:23.3984029-08:00"),
            ),
            ("cast(took, Edm.String)", s("PT1H30M")),
            ("cast('true', Edm.Boolean)", t.clone()),
            ("cast(day, Edm.DateTimeOffset)", dto("2024-02-29T00:00:00Z")),
            (
                "case(count gt 10: 'big', count gt 1: 'mid', true: 'small')",
                s("mid"),
            ),
            ("case(false: 1)", Value::Null),
            ("case(flag: state, true: 'failed')", Value::Enum(1)),
            ("bin eq binary'AAEC'", t.clone()),
            ("guid eq 01234567-89AB-CDEF-0123-456789ABCDEF", t.clone()),
            ("time lt 14:00", t.clone()),
        ],
    );
}

#[test]
fn type_cast_path_is_null_for_other_types() {
    let m = model();
    let o = nulls(&m);
    assert_eq!(eval_on(&m, &o, "tns.special/extra").unwrap(), Value::Null);
    assert!(matches_on(&m, &o, "tns.special/extra eq null"));
    assert!(!matches_on(&m, &o, "tns.special/extra eq 'x'"));
    assert!(!matches_on(&m, &o, "isof(tns.special)"));
}

#[test]
fn matches_pattern_uses_regular_expressions_and_null_rules() {
    let m = model();
    let e = full(&m);
    for (text, expected) in [
        ("matchesPattern(name,'^H')", Value::Boolean(true)),
        ("matchesPattern(name,'^h')", Value::Boolean(false)),
        ("matchesPattern(name,'(?i)^h')", Value::Boolean(true)),
        ("matchesPattern(name,null)", Value::Null),
    ] {
        assert_eq!(eval_on(&m, &e, text).unwrap(), expected, "{text}");
    }
    let a = IndexMap::new();
    let expr = parse_expr("matchesPattern(name,'(')", &ParseLimits::default()).unwrap();
    let err = bind_expr(&ctx(&m, &a), &expr).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.message.contains("unclosed group"), "{}", err.message);
    assert!(!err.message.contains('\n'), "{}", err.message);
}

#[test]
fn geo_functions_compute_distances_lengths_and_containment() {
    let m = model();
    let e = full(&m);
    let n = nulls(&m);
    let double = |text: &str, on: &MapEntity| match eval_on(&m, on, text).unwrap() {
        Value::Double(d) => d,
        other => panic!("{text}: {other:?}"),
    };
    // Seattle → Tacoma is about 39.8 km; the route is that one segment.
    let d = double(
        "geo.distance(loc, geography'SRID=4326;POINT(-122.4194 47.2529)')",
        &e,
    );
    assert!((d - 39_800.0).abs() < 500.0, "{d}");
    assert_eq!(double("geo.length(route)", &e), d);
    assert_eq!(
        double("geo.distance(geography'POINT(-122.4194 47.2529)', loc)", &e),
        d,
        "symmetric"
    );
    assert_eq!(
        double("geo.length(geometry'SRID=0;LineString(0 0,3 4)')", &e),
        5.0
    );
    check(
        &m,
        &e,
        &[
            ("geo.intersects(loc, area)", Value::Boolean(true)),
            (
                "geo.intersects(geography'POINT(-122.4194 47.2529)', area)",
                Value::Boolean(false),
            ),
            ("geo.intersects(loc, null)", Value::Null),
            ("loc eq null", Value::Boolean(false)),
        ],
    );
    check(
        &m,
        &n,
        &[
            ("geo.distance(loc, loc)", Value::Null),
            ("geo.length(route)", Value::Null),
            ("geo.intersects(loc, area)", Value::Null),
            ("loc eq null", Value::Boolean(true)),
        ],
    );
    assert!(matches_on(
        &m,
        &e,
        "geo.distance(loc, geography'POINT(-122.4194 47.2529)') lt 40000"
    ));
    assert!(!matches_on(&m, &n, "geo.intersects(loc, area)"));
}

// ---- The null rules, one test each. ----

#[test]
fn null_eq_null_is_true() {
    let m = model();
    let (n, e) = (nulls(&m), full(&m));
    assert!(matches_on(&m, &n, "name eq null"));
    assert!(matches_on(&m, &n, "null eq name"));
    assert!(!matches_on(&m, &e, "name eq null"));
    assert!(
        matches_on(&m, &n, "count eq small"),
        "two null properties are equal"
    );
    assert!(matches_on(&m, &n, "name eq tns.special/extra"));
}

#[test]
fn ne_includes_nulls() {
    let m = model();
    let n = nulls(&m);
    assert!(matches_on(&m, &n, "name ne 'a'"));
    assert!(!matches_on(&m, &n, "name ne null"));
    assert!(matches_on(&m, &full(&m), "name ne null"));
}

#[test]
fn ordering_comparisons_with_null_are_false() {
    let m = model();
    let n = nulls(&m);
    for text in [
        "count gt 1",
        "count ge 1",
        "count lt 1",
        "count le 1",
        "1 lt count",
        "at gt 2000-01-01T00:00:00Z",
        "name lt 'z'",
    ] {
        assert!(!matches_on(&m, &n, text), "{text}");
        assert_eq!(
            eval_on(&m, &n, text).unwrap(),
            Value::Boolean(false),
            "{text}"
        );
    }
}

#[test]
fn null_ge_null_is_false() {
    let m = model();
    let n = nulls(&m);
    assert_eq!(
        eval_on(&m, &n, "null ge null").unwrap(),
        Value::Boolean(false)
    );
    assert_eq!(
        eval_on(&m, &n, "null le null").unwrap(),
        Value::Boolean(false)
    );
    assert_eq!(
        eval_on(&m, &n, "count ge null").unwrap(),
        Value::Boolean(false)
    );
    assert_eq!(
        eval_on(&m, &n, "null eq null").unwrap(),
        Value::Boolean(true)
    );
}

#[test]
fn not_of_a_comparison_with_null_is_true() {
    let m = model();
    let n = nulls(&m);
    assert!(matches_on(&m, &n, "not (count gt 1)"));
    assert!(matches_on(&m, &n, "not (count le 1)"));
}

#[test]
fn null_and_false_is_false() {
    let m = model();
    let n = nulls(&m);
    assert_eq!(
        eval_on(&m, &n, "flag and false").unwrap(),
        Value::Boolean(false)
    );
    assert_eq!(
        eval_on(&m, &n, "false and flag").unwrap(),
        Value::Boolean(false)
    );
    assert!(matches_on(&m, &n, "not (flag and false)"));
}

#[test]
fn null_or_true_is_true() {
    let m = model();
    let n = nulls(&m);
    assert_eq!(
        eval_on(&m, &n, "flag or true").unwrap(),
        Value::Boolean(true)
    );
    assert_eq!(
        eval_on(&m, &n, "true or flag").unwrap(),
        Value::Boolean(true)
    );
    assert!(matches_on(&m, &n, "flag or true"));
}

#[test]
fn null_and_true_is_null() {
    let m = model();
    let n = nulls(&m);
    assert_eq!(eval_on(&m, &n, "flag and true").unwrap(), Value::Null);
    assert_eq!(eval_on(&m, &n, "true and flag").unwrap(), Value::Null);
    assert_eq!(eval_on(&m, &n, "flag and flag").unwrap(), Value::Null);
}

#[test]
fn null_or_false_is_null() {
    let m = model();
    let n = nulls(&m);
    assert_eq!(eval_on(&m, &n, "flag or false").unwrap(), Value::Null);
    assert_eq!(eval_on(&m, &n, "false or flag").unwrap(), Value::Null);
}

#[test]
fn not_null_is_null() {
    let m = model();
    let n = nulls(&m);
    assert_eq!(eval_on(&m, &n, "not flag").unwrap(), Value::Null);
    assert_eq!(eval_on(&m, &n, "not null").unwrap(), Value::Null);
}

#[test]
fn matches_treats_null_as_false() {
    let m = model();
    let n = nulls(&m);
    assert!(!matches_on(&m, &n, "flag"));
    assert!(!matches_on(&m, &n, "not flag"));
    assert!(!matches_on(&m, &n, "null"));
    assert!(!matches_on(&m, &n, "flag and true"));
}

#[test]
fn functions_and_arithmetic_of_null_return_null() {
    let m = model();
    let n = nulls(&m);
    for text in [
        "length(name)",
        "contains(name,'a')",
        "concat(name,'a')",
        "concat('a',name)",
        "substring(name,1)",
        "substring('abc',count)",
        "tolower(name)",
        "year(at)",
        "totaloffsetminutes(at)",
        "round(count)",
        "count add 1",
        "-count",
        "at add duration'PT1H'",
        "perms has tns.perms'read'",
        "cast(name, Edm.Int32)",
        "isof(name, Edm.String)",
        "settings/level",
        "settings/inner/code",
        "contains(null,'a')",
    ] {
        assert_eq!(eval_on(&m, &n, text).unwrap(), Value::Null, "{text}");
    }
    assert!(matches_on(&m, &n, "length(name) eq null"));
    assert!(!matches_on(&m, &n, "contains(name,'a')"));
    assert!(!matches_on(&m, &n, "not contains(name,'a')"));
}

#[test]
fn in_uses_eq_semantics_for_null() {
    let m = model();
    let n = nulls(&m);
    assert!(matches_on(&m, &n, "name in ('a', null)"));
    assert!(!matches_on(&m, &n, "name in ('a', 'b')"));
}

#[test]
fn null_collections_are_empty() {
    let m = model();
    let n = nulls(&m);
    assert_eq!(
        eval_on(&m, &n, "tags/any()").unwrap(),
        Value::Boolean(false)
    );
    assert_eq!(
        eval_on(&m, &n, "tags/any(t: t eq 'a')").unwrap(),
        Value::Boolean(false)
    );
    assert_eq!(
        eval_on(&m, &n, "tags/all(t: t eq 'a')").unwrap(),
        Value::Boolean(true)
    );
    assert_eq!(eval_on(&m, &n, "tags/$count").unwrap(), Value::Int(0));
}

#[test]
fn orderby_sorts_nulls_first_ascending_and_last_descending() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let keys = |text: &str| {
        bind_orderby(&c, &parse_orderby(text, &ParseLimits::default()).unwrap()).unwrap()
    };
    let row = |id: &str, name: Value, count: i64, at: &str| {
        entity(
            &m,
            "tns.other",
            vec![
                ("id", s(id)),
                ("name", name),
                ("count", Value::Int(count)),
                ("at", dto(at)),
            ],
        )
    };
    let rows = [
        row("1", s("b"), 1, "2024-01-01T10:00:00+02:00"),
        row("2", Value::Null, 2, "2024-01-01T09:00:00Z"),
        row("3", s("a"), 1, "2024-01-01T07:30:00-01:00"),
    ];
    let sorted = |text: &str| {
        let k = keys(text);
        let mut v: Vec<&MapEntity> = rows.iter().collect();
        v.sort_by(|x, y| compare_for_orderby(&m, &k, *x, *y).unwrap());
        v.iter()
            .map(|r| match r.values.get("id") {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(sorted("name"), "2,3,1");
    assert_eq!(sorted("name desc"), "1,3,2");
    assert_eq!(sorted("count, name desc"), "1,3,2");
    // 08:00Z, 09:00Z, 08:30Z by instant.
    assert_eq!(sorted("at"), "1,3,2");
    assert_eq!(sorted("at desc"), "2,3,1");
    assert_eq!(
        compare_for_orderby(&m, &keys("count"), &rows[0], &rows[2]).unwrap(),
        Ordering::Equal
    );
}

#[test]
fn search_is_case_insensitive_substring_of_any_text() {
    let b = |text: &str| bind_search(&parse_search(text, &ParseLimits::default()).unwrap());
    assert!(search_matches(&b("ÉCOLE"), &["une école", "x"]));
    assert!(search_matches(&b("serial"), &["x", "SERIAL-1"]));
    assert!(!search_matches(&b("serial"), &["x", "y"]));
    assert!(search_matches(&b("a AND b"), &["A", "B"]));
    assert!(!search_matches(&b("a AND z"), &["A", "B"]));
    assert!(search_matches(&b("a OR z"), &["A"]));
    assert!(search_matches(&b("NOT z"), &["A"]));
    assert!(!search_matches(&b("NOT a"), &["A"]));
    assert!(search_matches(&b("\"b c\""), &["ab cd"]));
    assert!(!search_matches(&b("x"), &[]));
}

/// A path through a single-valued navigation reads the related entity, given as its OData
/// JSON (as an expansion writes it); without one the path is null.
#[test]
fn navigation_paths_read_the_related_entity() {
    let m = model();
    let with = entity(
        &m,
        "tns.item",
        vec![("owner", Value::Json(json!({"id": "o1", "name": "Ada"})))],
    );
    let without = entity(&m, "tns.item", vec![]);
    assert!(matches_on(&m, &with, "owner/name eq 'Ada'"));
    assert!(!matches_on(&m, &without, "owner/name eq 'Ada'"));
    assert!(matches_on(&m, &without, "owner/name eq null"));
    assert!(matches_on(&m, &without, "owner/name ne 'Ada'"));
    assert!(matches_on(&m, &without, "owner eq null"));
    assert!(!matches_on(&m, &with, "owner eq null"));
    assert!(matches_on(&m, &with, "owner ne null"));
}

/// A collection-valued navigation is the related entities' OData JSON array: lambdas
/// iterate it (the variable is an entity), `$count` counts it, none is empty.
#[test]
fn collection_valued_navigations_are_iterated_and_counted() {
    let m = model();
    let with = entity(
        &m,
        "tns.item",
        vec![
            ("name", s("Ada")),
            (
                "parts",
                Value::Json(json!([
                    {"id": "p1", "name": "Ada", "owner": {"id": "o1", "name": "Bo"}},
                    {"id": "p2", "name": null, "owner": null}
                ])),
            ),
        ],
    );
    let without = entity(&m, "tns.item", vec![]);
    assert!(matches_on(&m, &with, "parts/any(p: p/name eq $it/name)"));
    assert!(matches_on(&m, &with, "parts/any(p: p/owner/name eq 'Bo')"));
    assert!(!matches_on(&m, &with, "parts/all(p: p/name eq 'Ada')"));
    assert!(matches_on(&m, &with, "parts/$count eq 2"));
    assert!(!matches_on(&m, &without, "parts/any()"));
    assert!(matches_on(&m, &without, "parts/all(p: p/name eq 'x')"));
    assert!(matches_on(&m, &without, "parts/$count eq 0"));
}

#[test]
fn nested_select_options_shape_collections_and_complex_values() {
    use crate::bind::bind_select_options;
    use crate::query::parse_select;
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let e = entity(&m, "tns.item", vec![("name", s("n"))]);
    let shape = |select: &str, value: serde_json::Value| {
        let bound =
            bind_select_options(&c, &parse_select(select, &ParseLimits::default()).unwrap())
                .unwrap();
        shape_value(&m, &bound[0].options, &value, &e).unwrap()
    };
    let got = shape(
        "scores($filter=$this gt 1;$orderby=$this desc;$top=2;$skip=1;$count=true)",
        json!([1, 5, 3, 2, 9]),
    );
    // Kept 5,3,2,9 (4); sorted 9,5,3,2; skip 1, top 2.
    assert_eq!(got.value, json!([5, 3]));
    assert_eq!(got.count, Some(4));
    // Null collections stay null, and count nothing.
    let got = shape("scores($count=true)", serde_json::Value::Null);
    assert_eq!((got.value, got.count), (serde_json::Value::Null, Some(0)));
    // Complex items: members in conditions, `$it` for the entity, a nested `$select`.
    let addresses = json!([
        {"street": "a", "city": "Oslo", "zip": 3},
        {"street": "b", "city": "Rome", "zip": 1},
        {"@odata.type": "#test.ns.usAddress", "street": "c", "city": "Oslo", "zip": 2, "region": "x"}
    ]);
    let got = shape(
        "addresses($filter=city eq 'Oslo' and $it/name eq 'n';$orderby=zip;$select=zip)",
        addresses.clone(),
    );
    assert_eq!(
        got.value,
        json!([{"@odata.type": "#test.ns.usAddress", "zip": 2}, {"zip": 3}])
    );
    assert_eq!(got.count, None);
    let got = shape("addresses($filter=$it/name eq 'other')", addresses.clone());
    assert_eq!(got.value, json!([]));
    // `$search` looks at the string members.
    let got = shape("addresses($search=rom)", addresses);
    assert_eq!(got.value.as_array().map(Vec::len), Some(1));
    let got = shape("tags($search=b OR c)", json!(["ab", "x", "c"]));
    assert_eq!(got.value, json!(["ab", "c"]));
    // Division by zero reads as null: not kept.
    let got = shape("scores($filter=($this div 0) eq 1)", json!([1, 2]));
    assert_eq!(got.value, json!([]));
    // A complex value keeps the selected members, in request order.
    let got = shape(
        "settings($select=level,language)",
        json!({"eulaHidden": true, "language": "en", "level": 2}),
    );
    assert_eq!(got.value, json!({"level": 2, "language": "en"}));
    assert_eq!(
        got.value.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["level", "language"]
    );
}

#[test]
fn count_with_nested_options_counts_the_kept_items() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let e = entity(
        &m,
        "tns.item",
        vec![
            ("name", s("n")),
            ("tags", Value::Json(json!(["ab", "b", "c", null]))),
            (
                "addresses",
                Value::Json(json!([{"city": "Oslo"}, {"city": "Rome"}, {"city": "Oslo"}])),
            ),
        ],
    );
    let count = |text: &str| {
        let f = bind_expr(&c, &parse_expr(text, &ParseLimits::default()).unwrap()).unwrap();
        evaluate(&m, &f, &e).unwrap()
    };
    assert_eq!(count("tags/$count($filter=$this ne 'b')"), Value::Int(3));
    assert_eq!(count("tags/$count($search=b)"), Value::Int(2));
    assert_eq!(
        count("tags/$count($filter=$this ne 'ab';$search=b)"),
        Value::Int(1)
    );
    assert_eq!(
        count("addresses/$count($filter=city eq 'Oslo')"),
        Value::Int(2)
    );
    assert_eq!(
        count("addresses/$count($filter=city eq 'Oslo' and $it/name eq 'other')"),
        Value::Int(0)
    );
    assert_eq!(count("scores/$count($filter=$this gt 1)"), Value::Int(0));
}
