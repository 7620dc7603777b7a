//! Binder tests against the shared test model (`test_model.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::value::Decimal;
use indexmap::IndexMap;

use super::test_model::{ctx, model, now};
use super::*;
use crate::edm::{Model, PrimitiveKind as P, TypeKind};
use crate::error::{ErrorKind, ODataError};
use crate::query::{
    Expr, ParseLimits, SortDirection, parse_expr, parse_filter, parse_orderby, parse_search,
    parse_select,
};
use crate::value::{Duration, Value};

fn parse(text: &str) -> Expr {
    parse_filter(text, &ParseLimits::default())
        .unwrap_or_else(|e| panic!("test filter {text:?} does not parse: {e}"))
}

fn aliases(defs: &[(&str, &str)]) -> IndexMap<String, Expr> {
    defs.iter()
        .map(|(n, v)| {
            let e = parse_expr(v, &ParseLimits::default())
                .unwrap_or_else(|e| panic!("alias {v:?} does not parse: {e}"));
            ((*n).to_owned(), e)
        })
        .collect()
}

fn bind_with(m: &Model, a: &IndexMap<String, Expr>, text: &str) -> Result<BoundExpr, ODataError> {
    bind_filter(&ctx(m, a), &parse(text))
}

fn ok(text: &str) -> BoundExpr {
    let m = model();
    bind_with(&m, &IndexMap::new(), text)
        .unwrap_or_else(|e| panic!("{text:?} should bind, got {}", e.message))
}

fn err(text: &str) -> ODataError {
    let m = model();
    match bind_with(&m, &IndexMap::new(), text) {
        Ok(b) => panic!("{text:?} should be rejected, bound to {b:?}"),
        Err(e) => e,
    }
}

fn enum_id(m: &Model, name: &str) -> crate::edm::EnumTypeId {
    match m.find_type(name) {
        Some(TypeKind::Enum(id)) => id,
        other => panic!("{name} is not an enum: {other:?}"),
    }
}

fn prop(path: &[&str], ty: ExprType) -> BoundExpr {
    BoundExpr::Property(PropertyRef {
        variable: None,
        cast: None,
        path: path.iter().map(|s| (*s).to_owned()).collect(),
        ty,
    })
}

fn lit(value: Value, kind: P) -> BoundExpr {
    BoundExpr::Literal {
        value,
        ty: ExprType::Primitive(kind),
    }
}

/// The right operand of a top-level comparison.
fn right_of(b: &BoundExpr) -> &BoundExpr {
    match b {
        BoundExpr::Compare { right, .. } => right,
        other => panic!("not a comparison: {other:?}"),
    }
}

#[test]
fn accepts_every_operator_path_and_literal_kind() {
    let cases = [
        // comparisons and logic
        "name eq 'a'",
        "name ne 'a'",
        "count gt 1",
        "count ge 1",
        "count lt 1",
        "count le 1",
        "name eq null",
        "null eq name",
        "null eq null",
        "settings eq null",
        "settings ne null",
        "flag",
        "not flag",
        "flag eq true",
        "flag gt false",
        "count eq 1 and name eq 'a' or not (ratio lt 1.5)",
        "true",
        "null",
        // arithmetic
        "count add 1 eq 2",
        "count sub 1 eq 2",
        "count mul 2 eq 2",
        "count div 2 eq 2",
        "count divby 2 eq 2.5",
        "count mod 2 eq 0",
        "-count eq -1",
        "-took lt took",
        "big gt 3000000000",
        "price eq 5",
        "price gt 1.5",
        "ratio lt 1e3",
        "ratio eq INF",
        "single gt 1",
        "small eq 3",
        "count eq price",
        "big eq ratio",
        "price add ratio gt 1",
        // other primitives
        "guid eq 01234567-89ab-cdef-0123-456789abcdef",
        "day eq 2024-01-01",
        "day lt day",
        "time ge 12:30",
        "time lt 12:30:01.5",
        "at ge 2024-01-01T00:00:00Z",
        "at lt 2024-01-01T00:00:00+02:00",
        "took gt duration'PT10M'",
        "took gt 'PT10M'",
        "took lt duration'-P1DT2H'",
        "bin eq binary'AAEC'",
        // temporal arithmetic
        "at add duration'PT1H' gt now()",
        "at sub duration'PT1H' lt at",
        "at sub at gt duration'PT0S'",
        "duration'PT1H' add at gt at",
        "day add duration'P1D' eq day",
        "day sub duration'P1D' eq day",
        "day sub day eq duration'P1D'",
        "took add took gt took",
        "took sub took gt took",
        "took mul 2 gt took",
        "2 mul took gt took",
        "took div 2 lt took",
        "took divby 2.5 lt took",
        "at gt now() sub duration'P7D'",
        "at add 'PT1H' gt at",
        // enums
        "state eq 'enrolled'",
        "'enrolled' eq state",
        "state eq tns.state'enrolled'",
        "state eq test.ns.state'failed'",
        "state eq 1",
        "state gt 'enrolled'",
        "state eq state",
        "state in ('enrolled','failed')",
        "state in (1, 2)",
        "perms has tns.perms'read'",
        "perms has tns.perms'read,write'",
        "perms has 'write'",
        "perms eq 'read,write'",
        // in
        "name in ('a','b')",
        "count in (1, 2, 3)",
        "count in (1, 2.5)",
        "name in ()",
        "'a' in tags",
        "count in scores",
        // complex paths, casts, $it
        "settings/eulaHidden eq true",
        "settings/eulaHidden",
        "settings/level gt 3",
        "settings/state eq 'failed'",
        "settings/inner/code eq 'x'",
        "settings/inner eq null",
        "settings/since lt now()",
        "tns.special/extra eq 'x'",
        "test.ns.special/level gt 1",
        "tns.item/name eq 'x'",
        "$it/name eq 'a'",
        "$it/tns.special/extra eq 'x'",
        "$this/name eq 'a'",
        // lambdas and $count
        "tags/any(t: t eq 'a')",
        "tags/any()",
        "tags/all(t: startswith(t, 'x'))",
        "addresses/any(a: a/city eq 'Paris' and a/zip gt 7500)",
        "addresses/any(a: a/tns.usAddress/region eq 'CA')",
        "addresses/all(a: a eq null)",
        "states/any(s: s eq 'failed')",
        "scores/all(s: s gt 1)",
        "tags/any(t: t eq $it/name)",
        "addresses/any(a: tags/any(t: t eq a/city))",
        "tags/$count gt 1",
        "addresses/$count eq 0",
        "tns.special/tags/$count eq 0",
        // type functions, case
        "isof(tns.special)",
        "isof(test.ns.special)",
        "isof(tns.unrelated)",
        "isof(name, Edm.String)",
        "isof(settings, tns.settings)",
        "isof(state, tns.state)",
        "isof($it, tns.special)",
        "cast(count, Edm.String) eq '1'",
        "cast(name, Edm.Int32) gt 1",
        "cast('enrolled', tns.state) eq state",
        "cast(count, Edm.Int32) eq 1",
        "cast(state, Edm.String) eq 'failed'",
        "case(count gt 1: 'big', true: 'small') eq 'big'",
        "case(count gt 1: 1, true: 2.5) gt 1",
        "case(flag: state, true: 'failed') eq 'enrolled'",
        "case(flag: null, true: 1) eq 1",
        "case(flag: true)",
        // geo
        "geo.distance(geography'SRID=4326;Point(1 2)', geography'SRID=4326;Point(3 4)') lt 5",
        "geo.length(geometry'SRID=0;LineString(1 2,3 4)') gt 1",
        "geo.intersects(geography'SRID=4326;Point(1 2)', geography'SRID=4326;Polygon((0 0,1 1,0 1,0 0))')",
        "geo.distance(loc, geography'POINT(-122.1 47.6)') lt 1000",
        "geo.distance(geography'POINT(-122.1 47.6)', loc) lt 1000",
        "geo.length(route) gt 1 and geo.intersects(loc, area)",
        "geo.intersects(loc, null)",
        "loc eq null and route ne null",
        "geography'SRID=4326;Point(1 2)' eq null",
    ];
    for text in cases {
        let b = ok(text);
        assert!(
            b.ty().is_boolean_or_null(),
            "{text:?} bound to non-Boolean {b:?}"
        );
    }
}

#[test]
fn accepts_every_function_signature() {
    let cases = [
        "contains(name,'a')",
        "CONTAINS(name,'a')",
        "startswith(name,'a')",
        "endswith(name,'a')",
        "length(name) eq 1",
        "indexof(name,'a') eq 0",
        "substring(name,1) eq 'a'",
        "substring(name,1,2) eq 'a'",
        "substring(name,big) eq 'a'",
        "substring(name,small,count) eq 'a'",
        "matchesPattern(name,'^a')",
        "matchespattern(name,'^a')",
        "tolower(name) eq 'a'",
        "toupper(name) eq 'A'",
        "trim(name) eq 'a'",
        "concat(name,'a') eq 'aa'",
        "concat(concat(name,'-'),name) eq 'x'",
        "year(at) eq 2024",
        "year(day) eq 2024",
        "month(at) eq 1",
        "month(day) eq 1",
        "day(at) eq 1",
        "day(day) eq 1",
        "hour(at) eq 1",
        "hour(time) eq 1",
        "minute(at) eq 1",
        "minute(time) eq 1",
        "second(at) eq 1",
        "second(time) eq 1",
        "fractionalseconds(at) gt 0",
        "fractionalseconds(time) lt 0.5",
        "totalseconds(took) gt 1",
        "totalseconds(duration'PT1S') eq 1",
        "totalseconds('PT1S') eq 1",
        "date(at) eq 2024-01-01",
        "time(at) lt 12:00",
        "totaloffsetminutes(at) eq 60",
        "at gt mindatetime()",
        "at lt maxdatetime()",
        "at lt now()",
        "round(price) eq 1",
        "round(ratio) eq 1",
        "round(count) eq 1",
        "floor(ratio) eq 1",
        "ceiling(price) eq 1",
        "round(single) gt 1",
        "contains(null,'a')",
        "length(null) eq null",
    ];
    for text in cases {
        ok(text);
    }
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let ty = |text: &str| {
        bind_expr(&c, &parse_expr(text, &ParseLimits::default()).unwrap())
            .unwrap()
            .ty()
    };
    assert_eq!(ty("length(name)"), ExprType::Primitive(P::Int32));
    assert_eq!(ty("round(count)"), ExprType::Primitive(P::Int32));
    assert_eq!(ty("round(price)"), ExprType::Primitive(P::Decimal));
    assert_eq!(ty("round(single)"), ExprType::Primitive(P::Double));
    assert_eq!(ty("fractionalseconds(at)"), ExprType::Primitive(P::Decimal));
    assert_eq!(ty("totalseconds(took)"), ExprType::Primitive(P::Decimal));
    assert_eq!(ty("date(at)"), ExprType::Primitive(P::Date));
    assert_eq!(ty("time(at)"), ExprType::Primitive(P::TimeOfDay));
    assert_eq!(ty("mindatetime()"), ExprType::Primitive(P::DateTimeOffset));
    assert_eq!(ty("substring(name,1)"), ExprType::Primitive(P::String));
    assert_eq!(ty("count divby 2"), ExprType::Primitive(P::Decimal));
    assert_eq!(ty("ratio divby 2"), ExprType::Primitive(P::Double));
    assert_eq!(ty("count div 2"), ExprType::Primitive(P::Int32));
    assert_eq!(ty("small add small"), ExprType::Primitive(P::Int32));
    assert_eq!(ty("count add big"), ExprType::Primitive(P::Int64));
    assert_eq!(ty("count add price"), ExprType::Primitive(P::Decimal));
    assert_eq!(ty("price add single"), ExprType::Primitive(P::Double));
    assert_eq!(ty("at sub at"), ExprType::Primitive(P::Duration));
    assert_eq!(ty("day sub day"), ExprType::Primitive(P::Duration));
    assert_eq!(ty("day add took"), ExprType::Primitive(P::Date));
    assert_eq!(ty("at add took"), ExprType::Primitive(P::DateTimeOffset));
    assert_eq!(ty("tags/$count"), ExprType::Primitive(P::Int64));
    assert_eq!(
        ty("case(flag: 1, true: 2.5)"),
        ExprType::Primitive(P::Decimal)
    );
    assert_eq!(
        ty("case(flag: state, true: 'failed')"),
        ExprType::Enum(enum_id(&m, "tns.state"))
    );
    assert_eq!(
        ty("cast(count, Edm.String)"),
        ExprType::Primitive(P::String)
    );
    assert_eq!(
        ty("tags"),
        ExprType::Collection(Box::new(ExprType::Primitive(P::String)))
    );
}

#[test]
fn rejects_bad_function_calls_naming_function_and_argument() {
    let cases: &[(&str, &[&str])] = &[
        (
            "contains(count,'a')",
            &["argument 1 of 'contains' must be Edm.String, got 'count' (Edm.Int32)"],
        ),
        ("contains(name)", &["'contains' takes 2 arguments, got 1"]),
        (
            "startswith(name, 1)",
            &["argument 2 of 'startswith' must be Edm.String, got 1 (Edm.Int32)"],
        ),
        ("endswith(1, name)", &["argument 1 of 'endswith'"]),
        (
            "substring(name) eq 'a'",
            &["'substring' takes 2 or 3 arguments, got 1"],
        ),
        (
            "substring(name,1,2,3) eq 'a'",
            &["'substring' takes 2 or 3 arguments, got 4"],
        ),
        (
            "substring(name,'1') eq 'a'",
            &["argument 2 of 'substring' must be an integer, got '1' (Edm.String)"],
        ),
        ("substring(name,1.5) eq 'a'", &["argument 2 of 'substring'"]),
        (
            "substring(name,1,ratio) eq 'a'",
            &["argument 3 of 'substring'"],
        ),
        ("length(count) eq 1", &["argument 1 of 'length'"]),
        (
            "length(name, name) eq 1",
            &["'length' takes 1 argument, got 2"],
        ),
        ("indexof(name, 1) eq 1", &["argument 2 of 'indexof'"]),
        (
            "matchesPattern(name, 1)",
            &["argument 2 of 'matchesPattern'"],
        ),
        ("tolower(count) eq 'a'", &["argument 1 of 'tolower'"]),
        ("toupper(flag) eq 'a'", &["argument 1 of 'toupper'"]),
        ("trim(1) eq 'a'", &["argument 1 of 'trim'"]),
        (
            "concat(name) eq 'a'",
            &["'concat' takes 2 arguments, got 1"],
        ),
        ("concat(name, 1) eq 'a'", &["argument 2 of 'concat'"]),
        (
            "year(time) eq 1",
            &[
                "argument 1 of 'year' must be Edm.Date or Edm.DateTimeOffset, got 'time' (Edm.TimeOfDay)",
            ],
        ),
        ("month(name) eq 1", &["argument 1 of 'month'"]),
        ("day(took) eq 1", &["argument 1 of 'day'"]),
        (
            "hour(day) eq 1",
            &["argument 1 of 'hour' must be Edm.DateTimeOffset or Edm.TimeOfDay"],
        ),
        ("minute(day) eq 1", &["argument 1 of 'minute'"]),
        ("second(1) eq 1", &["argument 1 of 'second'"]),
        (
            "fractionalseconds(day) eq 1",
            &["argument 1 of 'fractionalseconds'"],
        ),
        (
            "totalseconds(at) gt 1",
            &["argument 1 of 'totalseconds' must be Edm.Duration"],
        ),
        (
            "totalseconds('PT1X') gt 1",
            &["invalid Edm.Duration 'PT1X'"],
        ),
        (
            "date(day) eq day",
            &["argument 1 of 'date' must be Edm.DateTimeOffset"],
        ),
        ("time(time) eq time", &["argument 1 of 'time'"]),
        (
            "totaloffsetminutes(day) eq 1",
            &["argument 1 of 'totaloffsetminutes'"],
        ),
        (
            "mindatetime(at) eq at",
            &["'mindatetime' takes 0 arguments, got 1"],
        ),
        ("maxdatetime(1) eq at", &["'maxdatetime' takes 0 arguments"]),
        ("now(1) eq at", &["'now' takes 0 arguments, got 1"]),
        (
            "round(name) eq 1",
            &["argument 1 of 'round' must be a number"],
        ),
        ("floor(at) eq 1", &["argument 1 of 'floor'"]),
        ("ceiling(took) eq 1", &["argument 1 of 'ceiling'"]),
        ("round(1, 2) eq 1", &["'round' takes 1 argument, got 2"]),
        (
            "contain(name,'a')",
            &["unknown function 'contain'; did you mean 'contains'?"],
        ),
        ("frobnicate(name)", &["unknown function 'frobnicate'"]),
        (
            "geo.distance(name, name) lt 1",
            &[
                "argument 1 of 'geo.distance' must be Edm.GeographyPoint or Edm.GeometryPoint, got 'name' (Edm.String)",
            ],
        ),
        (
            "geo.distance(loc) lt 1",
            &["'geo.distance' takes 2 arguments, got 1"],
        ),
        (
            "geo.distance(loc, route) lt 1",
            &["argument 2 of 'geo.distance' must be Edm.GeographyPoint or Edm.GeometryPoint"],
        ),
        (
            "geo.distance(loc, geometry'SRID=0;Point(1 2)') lt 1",
            &["the arguments of 'geo.distance' must both be geography or both be geometry values"],
        ),
        (
            "geo.distance(geography'SRID=4326;Point(1 2)', geography'SRID=4269;Point(1 2)') lt 1",
            &["different SRIDs (4326 and 4269)"],
        ),
        (
            "geo.intersects(area, loc)",
            &["argument 1 of 'geo.intersects' must be Edm.GeographyPoint or Edm.GeometryPoint"],
        ),
        (
            "geo.length(loc) gt 1",
            &[
                "argument 1 of 'geo.length' must be Edm.GeographyLineString or Edm.GeometryLineString",
            ],
        ),
        ("geo.invalid(loc)", &["unknown function 'geo.invalid'"]),
        (
            "loc eq geography'SRID=4326;Point(1 2)'",
            &["cannot use 'eq' with the spatial value 'loc'"],
        ),
        (
            "geo.distance(loc, geography'SRID=4326;Point(1)') lt 1",
            &["invalid geography literal 'SRID=4326;Point(1)'"],
        ),
        (
            "cast(loc, Edm.String) eq 'x'",
            &["spatial values have no conversions"],
        ),
        (
            "geo.length() lt 1",
            &["'geo.length' takes 1 argument, got 0"],
        ),
        (
            "cast(name, tns.nope) eq 1",
            &["'cast': unknown type 'tns.nope'"],
        ),
        (
            "cast(settings, Edm.String) eq 'x'",
            &["cast needs a primitive or enumeration value, got 'settings' (test.ns.settings)"],
        ),
        (
            "cast(name, tns.special) eq 1",
            &["cannot cast 'name' (Edm.String) to an entity type"],
        ),
        ("cast(Edm.String) eq 'x'", &["cast with one argument"]),
        (
            "isof(Edm.String)",
            &["isof with one argument tests the current entity"],
        ),
        ("isof(name, tns.special)", &["isof with an entity type"]),
        ("isof(tags, Edm.String)", &["isof needs a single value"]),
        ("isof(name, tns.nope)", &["'isof': unknown type 'tns.nope'"]),
    ];
    for (text, parts) in cases {
        check_err(text, ErrorKind::BadRequest, parts);
    }
}

fn check_err(text: &str, kind: ErrorKind, parts: &[&str]) {
    let e = err(text);
    assert_eq!(e.kind, kind, "{text:?}: {}", e.message);
    assert!(
        e.message.starts_with("$filter: "),
        "{text:?}: message does not name the option: {}",
        e.message
    );
    assert_eq!(e.target.as_deref(), Some("$filter"), "{text:?}");
    for part in parts {
        assert!(
            e.message.contains(part),
            "{text:?}: message {:?} lacks {part:?}",
            e.message
        );
    }
}

#[test]
fn rejects_bad_paths_and_types_naming_property_and_type() {
    let bad = ErrorKind::BadRequest;
    let todo = ErrorKind::NotImplemented;
    let cases: &[(&str, ErrorKind, &[&str])] = &[
        (
            "nme eq 'a'",
            bad,
            &["$filter: 'nme' is not a property of 'test.ns.item'; did you mean 'name'?"],
        ),
        (
            "extra eq 'a'",
            bad,
            &[
                "'extra' is not a property of 'test.ns.item'",
                "derived type 'test.ns.special': write 'test.ns.special/extra'",
            ],
        ),
        (
            "settings/lvl eq 1",
            bad,
            &["'lvl' is not a property of 'test.ns.settings'; did you mean 'level'?"],
        ),
        (
            "addresses/any(a: a/town eq 'x')",
            bad,
            &["'town' is not a property of 'test.ns.address'"],
        ),
        (
            "owner eq 'x'",
            bad,
            &["a navigation property can only be compared with null"],
        ),
        ("owner gt null", bad, &["'gt'"]),
        (
            "name eq 1",
            bad,
            &["cannot compare 'name' (Edm.String) with 1 (Edm.Int32)"],
        ),
        (
            "count eq 'a'",
            bad,
            &["cannot compare 'count' (Edm.Int32) with 'a' (Edm.String)"],
        ),
        ("flag eq 1", bad, &["cannot compare 'flag' (Edm.Boolean)"]),
        (
            "time eq day",
            bad,
            &["cannot compare 'time' (Edm.TimeOfDay) with 'day' (Edm.Date)"],
        ),
        (
            "at eq day",
            bad,
            &["Edm.DateTimeOffset cannot be compared with an Edm.Date"],
        ),
        (
            "at ge 2024-01-01",
            bad,
            &[
                "cannot compare 'at' (Edm.DateTimeOffset) with 2024-01-01 (Edm.Date)",
                "date(…)",
            ],
        ),
        (
            "guid eq '01234567-89ab-cdef-0123-456789abcdef'",
            bad,
            &["cannot compare 'guid' (Edm.Guid)", "without quotes"],
        ),
        (
            "state eq 'String'",
            bad,
            &[
                "'String' is not a member of 'test.ns.state' (property 'state')",
                "allowed members: unknown, enrolled, failed, notContacted",
            ],
        ),
        ("state eq 'Enrolled'", bad, &["'Enrolled' is not a member"]),
        (
            "state eq color",
            bad,
            &["cannot compare 'state' (test.ns.state) with 'color' (test.ns.color)"],
        ),
        (
            "state eq tns.color'red'",
            bad,
            &["cannot compare 'state' (test.ns.state)"],
        ),
        (
            "state eq tns.state'bogus'",
            bad,
            &["'bogus' is not a member of 'test.ns.state'; allowed members: unknown"],
        ),
        (
            "state eq tns.nope'x'",
            bad,
            &["'tns.nope' is not an enumeration type of the model"],
        ),
        (
            "state eq name",
            bad,
            &["cannot compare 'state' (test.ns.state) with 'name'"],
        ),
        (
            "settings eq 'x'",
            bad,
            &[
                "complex value 'settings' (test.ns.settings): complex values can only be compared with null",
            ],
        ),
        (
            "settings gt null",
            bad,
            &["'gt' with the complex value 'settings'"],
        ),
        (
            "tags eq 'a'",
            bad,
            &["cannot use 'eq' with the collection 'tags'", "any()"],
        ),
        ("tags eq null", bad, &["collection 'tags'"]),
        (
            "name",
            bad,
            &["$filter: the expression must be Boolean, got 'name' (Edm.String)"],
        ),
        (
            "count add 1",
            bad,
            &["must be Boolean, got an expression of type Edm.Int32"],
        ),
        ("'x'", bad, &["must be Boolean, got 'x' (Edm.String)"]),
        (
            "name and flag",
            bad,
            &["'and' needs Boolean operands, got 'name' (Edm.String)"],
        ),
        (
            "flag or 1",
            bad,
            &["'or' needs Boolean operands, got 1 (Edm.Int32)"],
        ),
        (
            "not name",
            bad,
            &["'not' needs Boolean operands, got 'name'"],
        ),
        (
            "name add 1 eq 1",
            bad,
            &["operator 'add' is not defined for 'name' (Edm.String) and 1 (Edm.Int32)"],
        ),
        ("at add at gt at", bad, &["operator 'add' is not defined"]),
        ("day add at gt at", bad, &["operator 'add' is not defined"]),
        (
            "took mod 2 gt took",
            bad,
            &["operator 'mod' is not defined"],
        ),
        (
            "took sub at gt took",
            bad,
            &["operator 'sub' is not defined"],
        ),
        (
            "state add 1 eq 1",
            bad,
            &["operator 'add' is not defined for 'state'"],
        ),
        (
            "-name eq 'a'",
            bad,
            &["'-' needs a numeric or Edm.Duration operand, got 'name'"],
        ),
        ("took gt 'PT1X'", bad, &["invalid Edm.Duration 'PT1X'"]),
        (
            "day eq 2024-02-30",
            bad,
            &["invalid Edm.Date '2024-02-30': expected YYYY-MM-DD"],
        ),
        (
            "count has tns.perms'read'",
            bad,
            &["'has' needs an enumeration operand on the left, got 'count'"],
        ),
        (
            "perms has tns.state'enrolled'",
            bad,
            &["the right operand of 'has' must be a literal of 'test.ns.perms'"],
        ),
        (
            "perms has tns.perms'bogus'",
            bad,
            &["'bogus' is not a member of 'test.ns.perms'"],
        ),
        ("perms has perms", bad, &["the right operand of 'has'"]),
        (
            "name in ('a', 1)",
            bad,
            &["cannot compare 'name' (Edm.String) with 1 (Edm.Int32)"],
        ),
        (
            "state in ('enrolled','nope')",
            bad,
            &["'nope' is not a member of 'test.ns.state'"],
        ),
        (
            "name in name",
            bad,
            &["the right operand of 'in' must be a list"],
        ),
        ("name in scores", bad, &["cannot compare"]),
        (
            "tags/any(t: t)",
            bad,
            &["the predicate of 'any' must be Boolean, got 't' (Edm.String)"],
        ),
        (
            "tags/all(t: concat(t, 'x'))",
            bad,
            &["the predicate of 'all' must be Boolean"],
        ),
        (
            "name/any(t: t eq 'a')",
            bad,
            &["'any' must follow a collection-valued property, not 'name'"],
        ),
        (
            "name/$count gt 1",
            bad,
            &["$count must follow a collection-valued property, not 'name'"],
        ),
        (
            "tags/x eq 1",
            bad,
            &["'tags' is a collection: use any(), all() or $count"],
        ),
        (
            "name/x eq 1",
            bad,
            &["'name' is of type Edm.String and has no property 'x'"],
        ),
        (
            "tags/any(t: t/x eq 1)",
            bad,
            &["'t' is of type Edm.String and has no property 'x'"],
        ),
        (
            "tns.unrelated/id eq 'a'",
            bad,
            &["'tns.unrelated' is not derived from 'test.ns.item'"],
        ),
        (
            "tns.nope/x eq 1",
            bad,
            &["unknown type 'tns.nope' in type-cast segment"],
        ),
        (
            "settings/tns.address/city eq 'x'",
            bad,
            &["'tns.address' is not derived from 'test.ns.settings'"],
        ),
        (
            "tns.special/nope eq 1",
            bad,
            &["'nope' is not a property of 'test.ns.special'"],
        ),
        ("tns.special eq null", bad, &[]),
        (
            "$root/items/name eq 'a'",
            todo,
            &["$root paths are not supported"],
        ),
        (
            "tags/$count($filter=$this) gt 1",
            bad,
            &["the $filter inside $count must be Boolean"],
        ),
        (
            "addresses/$count($filter=nope eq 1) gt 1",
            bad,
            &["'nope' is not a property of 'test.ns.address'"],
        ),
        (
            "geo.distance(loc, geography'SRID=4326;MultiPoint((1 2))') lt 1",
            todo,
            &["MultiPoint values are not supported"],
        ),
        (
            "hassubset(tags, tags)",
            todo,
            &["the function 'hassubset' is not supported"],
        ),
        (
            "case(name: 1, true: 2) eq 1",
            bad,
            &["case: every condition must be Boolean, got 'name'"],
        ),
        (
            "case(flag: 1, true: 'a') eq 1",
            bad,
            &["case: the branches have incompatible types Edm.Int32 and Edm.String"],
        ),
        (
            "case(flag: tags) eq null",
            bad,
            &["case: branch values cannot be collections"],
        ),
    ];
    for (text, kind, parts) in cases {
        if text.starts_with("tns.special eq") {
            // `NS.Type` alone is rejected by the parser; nothing to bind.
            continue;
        }
        check_err(text, *kind, parts);
    }
}

#[test]
fn numeric_literals_get_the_narrowest_type() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let d = |s: &str| Value::Decimal(s.parse::<Decimal>().unwrap());
    let cases = [
        ("5", Value::Int(5), P::Int32),
        ("-2147483648", Value::Int(-2_147_483_648), P::Int32),
        ("2147483647", Value::Int(2_147_483_647), P::Int32),
        ("2147483648", Value::Int(2_147_483_648), P::Int64),
        ("-9223372036854775808", Value::Int(i64::MIN), P::Int64),
        ("9223372036854775808", d("9223372036854775808"), P::Decimal),
        ("1.5", d("1.5"), P::Decimal),
        ("-0.25", d("-0.25"), P::Decimal),
        ("1e5", Value::Double(1e5), P::Double),
        ("1.5E-3", Value::Double(1.5e-3), P::Double),
        ("INF", Value::Double(f64::INFINITY), P::Double),
        ("-INF", Value::Double(f64::NEG_INFINITY), P::Double),
        ("'it''s'", Value::String("it's".into()), P::String),
        ("true", Value::Boolean(true), P::Boolean),
        (
            "duration'-PT35.9373414S'",
            Value::Duration(Duration::parse("-PT35.9373414S").unwrap()),
            P::Duration,
        ),
    ];
    for (text, value, kind) in cases {
        let b = bind_expr(&c, &parse_expr(text, &ParseLimits::default()).unwrap()).unwrap();
        assert_eq!(b, lit(value, kind), "{text}");
    }
    let nan = bind_expr(&c, &parse_expr("NaN", &ParseLimits::default()).unwrap()).unwrap();
    assert!(matches!(nan, BoundExpr::Literal { value: Value::Double(f), .. } if f.is_nan()));
}

#[test]
fn literals_widen_toward_the_other_operand() {
    assert_eq!(
        right_of(&ok("price eq 5")),
        &lit(Value::Decimal(Decimal::from(5)), P::Decimal)
    );
    assert_eq!(
        right_of(&ok("ratio eq 5")),
        &lit(Value::Double(5.0), P::Double)
    );
    assert_eq!(
        right_of(&ok("ratio eq 1.5")),
        &lit(Value::Double(1.5), P::Double)
    );
    assert_eq!(right_of(&ok("big eq 5")), &lit(Value::Int(5), P::Int64));
    // A wider literal is not narrowed: the comparison promotes at evaluation.
    assert_eq!(
        right_of(&ok("count eq 1.5")),
        &lit(Value::Decimal("1.5".parse().unwrap()), P::Decimal)
    );
    match ok("5 eq price") {
        BoundExpr::Compare { left, .. } => {
            assert_eq!(*left, lit(Value::Decimal(Decimal::from(5)), P::Decimal));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn enum_string_and_number_literals_become_members() {
    let m = model();
    let state = ExprType::Enum(enum_id(&m, "tns.state"));
    let perms = ExprType::Enum(enum_id(&m, "tns.perms"));
    let member = |n: i64, ty: &ExprType| BoundExpr::Literal {
        value: Value::Enum(n),
        ty: ty.clone(),
    };
    assert_eq!(
        ok("state eq 'enrolled'"),
        BoundExpr::Compare {
            op: CompareOp::Eq,
            left: Box::new(prop(&["state"], state.clone())),
            right: Box::new(member(1, &state)),
        }
    );
    assert_eq!(
        right_of(&ok("state eq tns.state'failed'")),
        &member(2, &state)
    );
    assert_eq!(right_of(&ok("state eq 3")), &member(3, &state));
    // An integer is the underlying value, a member's or not: `state eq 7` is never true.
    assert_eq!(right_of(&ok("state eq 7")), &member(7, &state));
    assert_eq!(right_of(&ok("state gt -1")), &member(-1, &state));
    assert_eq!(right_of(&ok("perms eq 'read,exec'")), &member(5, &perms));
    match ok("'enrolled' eq state") {
        BoundExpr::Compare { left, .. } => assert_eq!(*left, member(1, &state)),
        other => panic!("{other:?}"),
    }
    match ok("state in ('enrolled', 'failed')") {
        BoundExpr::In { items, .. } => {
            assert_eq!(items, vec![member(1, &state), member(2, &state)]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ok("perms has tns.perms'read,write'"),
        BoundExpr::Has {
            value: Box::new(prop(&["perms"], perms.clone())),
            flags: 3,
        }
    );
    assert_eq!(
        right_of(&ok("settings/state eq 'failed'")),
        &member(2, &state)
    );
    assert_eq!(
        right_of(&ok("took gt 'PT10M'")),
        &lit(
            Value::Duration(Duration::parse("PT10M").unwrap()),
            P::Duration
        )
    );
    // Without quotes too, where no property has that name.
    assert_eq!(
        right_of(&ok("took gt P1DT2H")),
        &lit(
            Value::Duration(Duration::parse("P1DT2H").unwrap()),
            P::Duration
        )
    );
    assert!(err("took gt P1X").message.contains("'P1X'"));
}

#[test]
fn resolves_paths_casts_lambdas_and_counts() {
    let m = model();
    let special = m.find_entity_type("tns.special").unwrap();
    let string = ExprType::Primitive(P::String);
    let strings = ExprType::Collection(Box::new(string.clone()));
    assert_eq!(
        right_of(&ok("'x' eq settings/inner/code")),
        &prop(&["settings", "inner", "code"], string.clone())
    );
    match ok("tns.special/extra eq 'x'") {
        BoundExpr::Compare { left, .. } => assert_eq!(
            *left,
            BoundExpr::Property(PropertyRef {
                variable: None,
                cast: Some(special),
                path: vec!["extra".into()],
                ty: string.clone(),
            })
        ),
        other => panic!("{other:?}"),
    }
    // A cast to the collection's own type is no cast.
    match ok("tns.item/name eq 'x'") {
        BoundExpr::Compare { left, .. } => assert_eq!(*left, prop(&["name"], string.clone())),
        other => panic!("{other:?}"),
    }
    assert_eq!(ok("$it/name eq 'a'"), ok("name eq 'a'"));
    assert_eq!(ok("$this/name eq 'a'"), ok("name eq 'a'"));
    let tags = PropertyRef {
        variable: None,
        cast: None,
        path: vec!["tags".into()],
        ty: strings.clone(),
    };
    assert_eq!(
        ok("tags/any(t: t eq 'a')"),
        BoundExpr::Any {
            collection: tags.clone(),
            variable: "t".into(),
            predicate: Some(Box::new(BoundExpr::Compare {
                op: CompareOp::Eq,
                left: Box::new(BoundExpr::Property(PropertyRef {
                    variable: Some("t".into()),
                    cast: None,
                    path: vec![],
                    ty: string.clone(),
                })),
                right: Box::new(lit(Value::String("a".into()), P::String)),
            })),
        }
    );
    assert_eq!(
        ok("tags/any()"),
        BoundExpr::Any {
            collection: tags.clone(),
            variable: String::new(),
            predicate: None,
        }
    );
    match ok("addresses/any(a: a/city eq 'Paris')") {
        BoundExpr::Any {
            predicate: Some(p), ..
        } => match *p {
            BoundExpr::Compare { left, .. } => assert_eq!(
                *left,
                BoundExpr::Property(PropertyRef {
                    variable: Some("a".into()),
                    cast: None,
                    path: vec!["city".into()],
                    ty: string.clone(),
                })
            ),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    match ok("tags/$count gt 1") {
        BoundExpr::Compare { left, right, .. } => {
            assert_eq!(*left, BoundExpr::Count(tags.clone()));
            assert_eq!(*right, lit(Value::Int(1), P::Int64));
        }
        other => panic!("{other:?}"),
    }
    // `x in collection` is `collection/any($in: x eq $in)`.
    match ok("'a' in tags") {
        BoundExpr::Any {
            collection,
            variable,
            predicate: Some(_),
        } => {
            assert_eq!(collection, tags);
            assert_eq!(variable, "$in");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ok("isof(tns.special)"),
        BoundExpr::IsOf {
            operand: None,
            entity_type: Some(special),
            ty: None,
        }
    );
    assert_eq!(ok("isof($it, tns.special)"), ok("isof(tns.special)"));
}

#[test]
fn now_is_the_request_instant() {
    assert_eq!(
        right_of(&ok("at lt now()")),
        &lit(Value::DateTimeOffset(now()), P::DateTimeOffset)
    );
}

#[test]
fn parameter_aliases_bind_in_place() {
    let m = model();
    let state = ExprType::Enum(enum_id(&m, "tns.state"));
    let a = aliases(&[
        ("p", "'enrolled'"),
        ("n", "3"),
        ("list", r#"["a","b"]"#),
        ("a", "@b"),
        ("b", "@a"),
        ("self", "@self"),
        ("via", "@n"),
        ("f", "name eq 'x'"),
    ]);
    let b = |text: &str| bind_with(&m, &a, text);
    assert_eq!(
        right_of(&b("state eq @p").unwrap()),
        &BoundExpr::Literal {
            value: Value::Enum(1),
            ty: state,
        }
    );
    assert_eq!(
        right_of(&b("count gt @via").unwrap()),
        &lit(Value::Int(3), P::Int32)
    );
    assert_eq!(b("@f").unwrap(), ok("name eq 'x'"));
    // An alias the request does not define is an error naming it.
    let missing = b("name eq @missing").unwrap_err();
    assert_eq!(missing.kind, ErrorKind::BadRequest);
    assert!(
        missing.message.contains("'@missing' has no value"),
        "{}",
        missing.message
    );
    match b("name in @list").unwrap() {
        BoundExpr::In { items, .. } => assert_eq!(items.len(), 2),
        other => panic!("{other:?}"),
    }
    let e = b("name eq @a").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(
        e.message
            .starts_with("$filter: parameter alias '@a' refers to itself"),
        "{}",
        e.message
    );
    let e = b("name eq @self").unwrap_err();
    assert!(
        e.message.contains("'@self' refers to itself"),
        "{}",
        e.message
    );
    let e = b("name in @nothing").unwrap_err();
    assert!(
        e.message
            .contains("'@nothing', which the request does not define"),
        "{}",
        e.message
    );
}

#[test]
fn orderby_keys_must_be_primitive_or_enum() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let bind =
        |text: &str| bind_orderby(&c, &parse_orderby(text, &ParseLimits::default()).unwrap());
    let keys = bind(
        "name desc, count, state, tags/$count desc, settings/level, length(name), \
         geo.distance(loc, geography'POINT(1 2)')",
    )
    .unwrap();
    assert_eq!(keys.len(), 7);
    assert_eq!(keys[0].direction, SortDirection::Desc);
    assert_eq!(keys[1].direction, SortDirection::Asc);
    assert_eq!(
        keys[0].expr,
        prop(&["name"], ExprType::Primitive(P::String))
    );
    for (text, part) in [
        (
            "settings",
            "$orderby: cannot sort by 'settings' (test.ns.settings)",
        ),
        (
            "tags",
            "$orderby: cannot sort by 'tags' (Collection(Edm.String))",
        ),
        ("nme", "$orderby: 'nme' is not a property of 'test.ns.item'"),
        ("name add 1", "$orderby: operator 'add' is not defined"),
        (
            "loc",
            "$orderby: cannot sort by 'loc' (Edm.GeographyPoint): spatial values have no order",
        ),
    ] {
        let e = bind(text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest, "{text}");
        assert!(e.message.starts_with(part), "{text}: {}", e.message);
        assert_eq!(e.target.as_deref(), Some("$orderby"));
    }
}

#[test]
fn compute_expressions_bind_with_any_type() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let bind = |text: &str| bind_expr(&c, &parse_expr(text, &ParseLimits::default()).unwrap());
    assert_eq!(
        bind("count add 1").unwrap().ty(),
        ExprType::Primitive(P::Int32)
    );
    let e = bind("nme").unwrap_err();
    assert!(
        e.message.starts_with("$compute: 'nme' is not a property"),
        "{}",
        e.message
    );
    assert_eq!(e.target.as_deref(), Some("$compute"));
}

#[test]
fn select_returns_structural_properties_in_request_order() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let bind = |text: &str| bind_select(&c, &parse_select(text, &ParseLimits::default()).unwrap());
    let names = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    assert_eq!(bind("name,count,name").unwrap(), names(&["name", "count"]));
    assert_eq!(bind("*").unwrap(), None);
    assert_eq!(bind("name,*").unwrap(), None);
    assert_eq!(
        bind("tns.special/extra,name").unwrap(),
        names(&["extra", "name"])
    );
    assert_eq!(bind("test.ns.special/level").unwrap(), names(&["level"]));
    assert_eq!(
        bind("settings/eulaHidden,settings").unwrap(),
        names(&["settings"])
    );
    assert_eq!(bind("settings/inner/code").unwrap(), names(&["settings"]));
    assert_eq!(
        bind("addresses/tns.usAddress/region").unwrap(),
        names(&["addresses"])
    );
    assert_eq!(bind("tns.reset,id").unwrap(), names(&["id"]));
    assert_eq!(bind("test.ns.*").unwrap(), names(&[]));
    let cases: &[(&str, ErrorKind, &str)] = &[
        (
            "nme",
            ErrorKind::BadRequest,
            "$select: 'nme' is not a property of 'test.ns.item'; did you mean 'name'?",
        ),
        (
            "extra",
            ErrorKind::BadRequest,
            "$select: 'extra' is not a property of 'test.ns.item'; it is declared on the derived type 'test.ns.special'",
        ),
        (
            "owner/name",
            ErrorKind::BadRequest,
            "$select: 'owner/name' goes through the navigation property 'owner': use $expand=owner($select=…)",
        ),
        (
            "settings/nope",
            ErrorKind::BadRequest,
            "$select: 'nope' is not a property of 'test.ns.settings'",
        ),
        (
            "name/x",
            ErrorKind::BadRequest,
            "$select: 'name/x' has no properties",
        ),
        (
            "tns.unrelated/id",
            ErrorKind::BadRequest,
            "$select: 'tns.unrelated' is not a type derived from 'test.ns.item'",
        ),
        (
            "tns.nothing",
            ErrorKind::BadRequest,
            "$select: 'tns.nothing' is neither a property nor a bound action of 'test.ns.item'",
        ),
        (
            "name($top=1)",
            ErrorKind::BadRequest,
            "$select: 'name' is not a collection: $top does not apply to it",
        ),
        (
            "settings/inner($select=code)",
            ErrorKind::NotImplemented,
            "$select: nested options are supported on a single property name only",
        ),
    ];
    for (text, kind, msg) in cases {
        let e = bind(text).unwrap_err();
        assert_eq!(e.kind, *kind, "{text}");
        assert!(e.message.starts_with(msg), "{text}: {}", e.message);
        assert_eq!(e.target.as_deref(), Some("$select"));
    }
}

#[test]
fn search_binds_terms() {
    let s = parse_search(r#"a AND ("b c" OR NOT d)"#, &ParseLimits::default()).unwrap();
    let t = |s: &str| Box::new(BoundSearch::Term(s.into()));
    assert_eq!(
        bind_search(&s),
        BoundSearch::And(
            t("a"),
            Box::new(BoundSearch::Or(
                t("b c"),
                Box::new(BoundSearch::Not(t("d")))
            ))
        )
    );
}

#[test]
fn function_names_are_canonical() {
    assert_eq!(function_name(Function::MatchesPattern), "matchesPattern");
    assert_eq!(function_name(Function::GeoDistance), "geo.distance");
}

/// The depth of a bound tree, counting every node.
fn depth(e: &BoundExpr) -> usize {
    let children: Vec<&BoundExpr> = match e {
        BoundExpr::Literal { .. }
        | BoundExpr::Property(_)
        | BoundExpr::Count(_)
        | BoundExpr::CountWhere { filter: None, .. }
        | BoundExpr::Any {
            predicate: None, ..
        } => Vec::new(),
        BoundExpr::CountWhere {
            filter: Some(x), ..
        } => vec![x],
        BoundExpr::Not(x)
        | BoundExpr::Neg { operand: x, .. }
        | BoundExpr::Has { value: x, .. }
        | BoundExpr::Cast { operand: x, .. }
        | BoundExpr::Any {
            predicate: Some(x), ..
        }
        | BoundExpr::All { predicate: x, .. } => vec![x],
        BoundExpr::And(a, b)
        | BoundExpr::Or(a, b)
        | BoundExpr::Compare {
            left: a, right: b, ..
        }
        | BoundExpr::Arith {
            left: a, right: b, ..
        } => vec![a, b],
        BoundExpr::In { value, items } => std::iter::once(&**value).chain(items).collect(),
        BoundExpr::Call { args, .. } => args.iter().collect(),
        BoundExpr::Case { branches, .. } => branches.iter().flat_map(|(w, t)| [w, t]).collect(),
        BoundExpr::IsOf { operand, .. } => operand.iter().map(|b| &**b).collect(),
    };
    1 + children.into_iter().map(depth).max().unwrap_or(0)
}

/// `count eq @a0` where each of `k` aliases uses the next one twice and the last is `count`:
/// 2^k leaves once substituted.
fn doubling_aliases(k: usize) -> IndexMap<String, Expr> {
    let defs: Vec<(String, String)> = (0..k)
        .map(|i| (format!("a{i}"), format!("@a{} add @a{}", i + 1, i + 1)))
        .chain([(format!("a{k}"), "count".to_owned())])
        .collect();
    let refs: Vec<(&str, &str)> = defs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    aliases(&refs)
}

#[test]
fn aliases_used_many_times_count_against_the_node_limit() {
    let m = model();
    // 2^24 leaves would be GBs of tree: the binder stops after `max_nodes` nodes instead.
    let a = doubling_aliases(24);
    let started = std::time::Instant::now();
    let e = bind_with(&m, &a, "count eq @a0").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert_eq!(e.target.as_deref(), Some("$filter"));
    assert!(
        e.message.starts_with(
            "$filter: expression too large (more than 10000 nodes with parameter aliases \
             substituted)"
        ),
        "{}",
        e.message
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // 2^12 leaves (8 193 nodes) are within the limit, 2^13 are not.
    let bound = bind_with(&m, &doubling_aliases(12), "count eq @a0").unwrap();
    assert!(depth(&bound) <= ParseLimits::default().max_depth);
    assert!(bind_with(&m, &doubling_aliases(13), "count eq @a0").is_err());
    // The limits are the context's: a tighter one stops earlier.
    let tight = BindContext {
        limits: ParseLimits {
            max_depth: 100,
            max_nodes: 50,
        },
        ..ctx(&m, &a)
    };
    let e = bind_filter(&tight, &parse("count eq @a0")).unwrap_err();
    assert!(e.message.contains("more than 50 nodes"), "{}", e.message);
}

/// `@a0=@a1`, …, `@a{n-1}=count`.
fn alias_chain(n: usize) -> IndexMap<String, Expr> {
    let defs: Vec<(String, String)> = (0..n)
        .map(|i| {
            let next = if i + 1 == n {
                "count".to_owned()
            } else {
                format!("@a{}", i + 1)
            };
            (format!("a{i}"), next)
        })
        .collect();
    let refs: Vec<(&str, &str)> = defs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    aliases(&refs)
}

#[test]
fn alias_chains_count_against_the_depth_limit() {
    let m = model();
    let e = bind_with(&m, &alias_chain(150), "count eq @a0").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert_eq!(e.target.as_deref(), Some("$filter"));
    assert!(
        e.message.starts_with(
            "$filter: nesting too deep (more than 100 levels with parameter aliases substituted)"
        ),
        "{}",
        e.message
    );
    assert_eq!(
        bind_with(&m, &alias_chain(40), "count eq @a0").unwrap(),
        ok("count eq count")
    );
    // The same through $orderby and $compute, which name their own option.
    let a = alias_chain(150);
    let c = ctx(&m, &a);
    let e = bind_orderby(&c, &parse_orderby("@a0", &ParseLimits::default()).unwrap()).unwrap_err();
    assert!(
        e.message.starts_with("$orderby: nesting too deep"),
        "{}",
        e.message
    );
    assert_eq!(e.target.as_deref(), Some("$orderby"));
    let e = bind_expr(
        &c,
        &parse_expr("@a0 add 1", &ParseLimits::default()).unwrap(),
    )
    .unwrap_err();
    assert!(
        e.message.starts_with("$compute: nesting too deep"),
        "{}",
        e.message
    );
}

#[test]
fn alias_cycles_are_rejected() {
    let m = model();
    let a = aliases(&[
        ("me", "@me add 1"),
        ("x", "@y add 1"),
        ("y", "2 mul @z"),
        ("z", "@x"),
        ("l", "@l"),
        ("b", "@b or flag"),
    ]);
    for (text, alias) in [
        ("count eq @me", "'@me'"),
        ("count eq @x", "'@x'"),
        ("count eq @z", "'@z'"),
        ("name in @l", "'@l'"),
        ("@b", "'@b'"),
        ("tags/any(t: @b)", "'@b'"),
    ] {
        let e = bind_with(&m, &a, text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest, "{text}");
        assert_eq!(e.target.as_deref(), Some("$filter"), "{text}");
        assert!(
            e.message.starts_with(&format!(
                "$filter: parameter alias {alias} refers to itself"
            )),
            "{text}: {}",
            e.message
        );
    }
}

#[test]
fn long_and_or_runs_bind_shallow_and_other_chains_hit_the_depth_limit() {
    let ids = (0..500)
        .map(|i| format!("count eq {i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let bound = ok(&ids);
    assert!(depth(&bound) <= 12, "depth {}", depth(&bound));
    // Every operand is kept, in order.
    let mut first = &bound;
    while let BoundExpr::Or(a, _) = first {
        first = a;
    }
    assert_eq!(first, &ok("count eq 0"));
    let mixed = (0..300)
        .map(|i| format!("(count eq {i} and flag)"))
        .collect::<Vec<_>>()
        .join(" or ");
    assert!(depth(&ok(&mixed)) <= 12);
    // Short runs keep their left-nested shape.
    assert_eq!(
        ok("flag and flag and count eq 1"),
        BoundExpr::And(
            Box::new(BoundExpr::And(
                Box::new(prop(&["flag"], ExprType::Primitive(P::Boolean))),
                Box::new(prop(&["flag"], ExprType::Primitive(P::Boolean)))
            )),
            Box::new(ok("count eq 1"))
        )
    );
    // A run of operands with one non-Boolean is still a 400 naming it.
    let e = err("flag or flag or name or flag");
    assert!(
        e.message
            .starts_with("$filter: 'or' needs Boolean operands, got 'name' (Edm.String)"),
        "{}",
        e.message
    );
    // Arithmetic is not reassociated: a long chain is as deep as it is long.
    let sum = format!("count{} eq 1", " add 1".repeat(150));
    let e = err(&sum);
    assert!(
        e.message.starts_with("$filter: nesting too deep"),
        "{}",
        e.message
    );
    assert!(depth(&ok(&format!("count{} eq 1", " add 1".repeat(90)))) <= 100);
}

#[test]
fn write_only_properties_are_refused_everywhere_in_a_query() {
    let m = model();
    let a = aliases(&[("p", "secret"), ("q", "startswith(secret,'x')")]);
    let filters = [
        ("secret eq 'x'", "secret"),
        ("startswith(secret,'Hu')", "secret"),
        ("length(concat(secret,'a')) gt 1", "secret"),
        ("cast(secret,Edm.String) eq 'x'", "secret"),
        ("isof(secret,Edm.String)", "secret"),
        ("secret in ('a','b')", "secret"),
        ("'a' in secrets", "secrets"),
        ("secrets/any(s: s eq 'x')", "secrets"),
        ("secrets/$count gt 0", "secrets"),
        ("tags/any(t: t eq secret)", "secret"),
        (
            "addresses/any(a: a/city eq 'x' and startswith($it/secret,'x'))",
            "secret",
        ),
        ("tags/any(t: tags/all(u: u eq secret))", "secret"),
        ("settings/pin eq '1234'", "pin"),
        ("tns.special/secret eq 'x'", "secret"),
        ("case(secret eq 'x': 1, true: 0) eq 1", "secret"),
        ("not (secret eq 'x')", "secret"),
        ("@p eq 'x'", "secret"),
        ("@q", "secret"),
        ("name eq 'x' or @q", "secret"),
    ];
    for (text, name) in filters {
        let e = bind_with(&m, &a, text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest, "{text}");
        assert_eq!(e.target.as_deref(), Some("$filter"), "{text}");
        assert_eq!(
            e.message,
            format!("$filter: '{name}' is write-only and cannot be used in a query"),
            "{text}"
        );
    }
    let c = ctx(&m, &a);
    let l = ParseLimits::default();
    for text in ["secret", "name, secret desc", "length(secret)", "@p"] {
        let e = bind_orderby(&c, &parse_orderby(text, &l).unwrap()).unwrap_err();
        assert_eq!(
            e.message, "$orderby: 'secret' is write-only and cannot be used in a query",
            "{text}"
        );
        assert_eq!(e.target.as_deref(), Some("$orderby"));
    }
    for (text, name) in [
        ("secret", "secret"),
        ("name,secret", "secret"),
        ("tns.special/secret", "secret"),
        ("settings/pin", "pin"),
        ("secrets", "secrets"),
    ] {
        let e = bind_select(&c, &parse_select(text, &l).unwrap()).unwrap_err();
        assert_eq!(
            e.message,
            format!("$select: '{name}' is write-only and cannot be used in a query"),
            "{text}"
        );
        assert_eq!(e.target.as_deref(), Some("$select"));
    }
    let e = bind_expr(&c, &parse_expr("concat(secret,'x')", &l).unwrap()).unwrap_err();
    assert_eq!(
        e.message,
        "$compute: 'secret' is write-only and cannot be used in a query"
    );
    // Other properties of the same complex value stay usable.
    ok("settings/language eq 'en'");
    assert_eq!(
        bind_select(&c, &parse_select("settings/language", &l).unwrap()).unwrap(),
        Some(vec!["settings".to_owned()])
    );
}

#[test]
fn search_runs_bind_shallow() {
    let terms = vec!["w"; 100].join(" OR ");
    let s = parse_search(&terms, &ParseLimits::default()).unwrap();
    fn depth(s: &BoundSearch) -> usize {
        match s {
            BoundSearch::Term(_) => 1,
            BoundSearch::Not(x) => 1 + depth(x),
            BoundSearch::And(a, b) | BoundSearch::Or(a, b) => 1 + depth(a).max(depth(b)),
        }
    }
    let bound = bind_search(&s);
    assert_eq!(depth(&bound), 8);
    let s = parse_search("a b OR NOT (c d e)", &ParseLimits::default()).unwrap();
    let t = |s: &str| Box::new(BoundSearch::Term(s.into()));
    assert_eq!(
        bind_search(&s),
        BoundSearch::Or(
            Box::new(BoundSearch::And(t("a"), t("b"))),
            Box::new(BoundSearch::Not(Box::new(BoundSearch::And(
                Box::new(BoundSearch::And(t("c"), t("d"))),
                t("e")
            ))))
        )
    );
}

#[test]
fn bound_trees_are_never_deeper_than_the_depth_limit() {
    let m = model();
    let a = aliases(&[
        ("n", "count add 1"),
        ("t", "tags"),
        ("b", "flag or count eq @n"),
    ]);
    let texts = [
        "count eq 1",
        "name in tags",
        "(name in tags) in (true, false)",
        "name in @t and @b",
        "tags/any(t: t in tags and t eq name)",
        "tags/any(t: tags/all(u: u ne t or length(u) gt @n))",
        "not (count add @n mul 2 gt -count)",
        "case(flag: count, @b: @n, true: 0) eq length(concat(name, 'x'))",
        "flag and flag or flag and flag or flag and flag or @b",
        "isof(cast(count, Edm.Int64), Edm.Int64) and geo.intersects(geography'SRID=4326;Point(1 2)', null)",
        "addresses/any(a: a/zip eq @n and scores/all(s: s lt a/zip))",
    ];
    for text in texts {
        let mut accepted = false;
        for max_depth in 1..=16 {
            let c = BindContext {
                limits: ParseLimits {
                    max_depth,
                    max_nodes: 10_000,
                },
                ..ctx(&m, &a)
            };
            match bind_filter(&c, &parse(text)) {
                Ok(bound) => {
                    accepted = true;
                    assert!(
                        depth(&bound) <= max_depth,
                        "{text}: depth {} over {max_depth}",
                        depth(&bound)
                    );
                }
                Err(e) => assert!(
                    e.message.starts_with("$filter: nesting too deep"),
                    "{text}: {}",
                    e.message
                ),
            }
        }
        assert!(accepted, "{text} never binds");
    }
}

#[test]
fn length_of_a_collection_counts_it_and_substring_arguments_are_not_negative() {
    assert!(
        matches!(ok("length(tags) gt 1"), BoundExpr::Compare { left, .. } if matches!(*left, BoundExpr::Count(_))),
        "length of a collection is its count"
    );
    assert!(matches!(
        ok("length(name) gt 1"),
        BoundExpr::Compare { left, .. } if matches!(*left, BoundExpr::Call { function: Function::Length, .. })
    ));
    let e = err("substring(name,1,-1) eq 'x'");
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.contains("must not be negative"), "{}", e.message);
    let e = err("substring(name,-1,1) eq 'x'");
    assert!(e.message.contains("start argument"), "{}", e.message);
    ok("substring(name,1,0) eq ''");
}

#[test]
fn lambda_operators_are_case_insensitive() {
    for text in ["tags/ANY(t:t eq 'a')", "tags/All(t:t eq 'a')", "tags/aNy()"] {
        ok(text);
    }
}

#[test]
fn single_valued_navigations_lead_to_the_related_members() {
    let BoundExpr::Compare { left, .. } = ok("owner/name eq 'a'") else {
        panic!("a comparison");
    };
    let BoundExpr::Property(p) = *left else {
        panic!("a property");
    };
    assert_eq!(p.path, ["owner", "name"]);
    assert_eq!(p.ty, ExprType::Primitive(P::String));
    let e = err("owner/nope eq 'a'");
    assert!(
        e.message.contains("'nope' is not a property"),
        "{}",
        e.message
    );
    // The navigation itself: only whether there is a related entity.
    ok("owner eq null");
    ok("null ne owner");
}

#[test]
fn collection_valued_navigations_are_iterated_and_counted() {
    // The lambda variable stands for a related entity: its members, its navigations.
    let BoundExpr::Any {
        collection,
        variable,
        predicate: Some(predicate),
    } = ok("parts/any(p: p/owner/name eq $it/name)")
    else {
        panic!("any with a predicate");
    };
    assert_eq!(variable, "p");
    assert_eq!(collection.path, ["parts"]);
    assert!(
        matches!(&collection.ty, ExprType::Collection(item) if matches!(**item, ExprType::Entity(_)))
    );
    let BoundExpr::Compare { left, .. } = *predicate else {
        panic!("a comparison");
    };
    let BoundExpr::Property(p) = *left else {
        panic!("a property");
    };
    assert_eq!(
        (p.variable.as_deref(), p.path.as_slice()),
        (Some("p"), &["owner".to_owned(), "name".to_owned()][..])
    );
    ok("parts/all(p: p/parts/any(q: q/name eq p/name))");
    ok("owner/parts/$count gt 1");
    ok("parts/any()");
    for (text, part) in [
        (
            "parts eq null",
            "'parts' is a collection-valued navigation property",
        ),
        ("parts/name eq 'a'", "'parts' is a collection"),
        ("parts/any(p: p/nope eq 1)", "'nope' is not a property"),
        ("parts/any(p: p)", "a path must end in a property"),
    ] {
        let e = err(text);
        assert!(e.message.contains(part), "{text}: {}", e.message);
    }
}

/// Binds `$compute` over `model()`'s `item`.
fn compute(m: &Model, text: &str) -> Result<Vec<ComputedProperty>, ODataError> {
    let a = IndexMap::new();
    let parsed = crate::query::parse_compute(text, &ParseLimits::default())
        .unwrap_or_else(|e| panic!("test $compute {text:?} does not parse: {e}"));
    bind_compute(&ctx(m, &a), &parsed)
}

fn compute_err(text: &str) -> ODataError {
    match compute(&model(), text) {
        Ok(c) => panic!("{text:?} should be rejected, bound to {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn computed_properties_are_typed_and_usable_in_filter_orderby_and_select() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let computed = compute(&m, "count mul 2 as twice,twice add big as sum,name as n").unwrap();
    assert_eq!(computed[0].ty(), ExprType::Primitive(P::Int32));
    // A later item uses an earlier one: its expression is substituted.
    assert_eq!(computed[1].ty(), ExprType::Primitive(P::Int64));
    let BoundExpr::Arith { left, .. } = &computed[1].expr else {
        panic!("an addition");
    };
    assert_eq!(**left, computed[0].expr);
    let filter =
        bind_filter_computed(&c, &computed, &parse("twice gt 4 and $it/n eq 'a'")).unwrap();
    let BoundExpr::And(left, _) = filter else {
        panic!("an and");
    };
    let BoundExpr::Compare { left, .. } = *left else {
        panic!("a comparison");
    };
    assert_eq!(*left, computed[0].expr);
    let orderby = parse_orderby("sum desc", &ParseLimits::default()).unwrap();
    let keys = bind_orderby_computed(&c, &computed, &orderby).unwrap();
    assert_eq!(keys[0].expr, computed[1].expr);
    assert_eq!(keys[0].direction, SortDirection::Desc);
    let select = parse_select("name,sum,twice", &ParseLimits::default()).unwrap();
    assert_eq!(
        bind_select_computed(&c, &computed, &select).unwrap(),
        Some(vec![
            "name".to_owned(),
            "sum".to_owned(),
            "twice".to_owned()
        ])
    );
    // Without the computed properties, the aliases are unknown.
    assert!(bind_filter(&c, &parse("twice gt 4")).is_err());
    // A lambda variable of the same name shadows the alias.
    let computed = compute(&m, "count as t").unwrap();
    bind_filter_computed(&c, &computed, &parse("tags/any(t: t eq 'x')")).unwrap();
}

#[test]
fn bad_computed_properties_are_400_naming_compute() {
    for (text, needle) in [
        (
            "count add 1 as name",
            "has the name of a declared property of 'test.ns.item'",
        ),
        ("count as owner", "'owner'"),
        ("count as extra", "'test.ns.special'"),
        ("count as a,name as a", "'a' is defined more than once"),
        ("settings as s", "must be a primitive or enumeration value"),
        ("tags as t", "must be a primitive or enumeration value"),
        ("count add 'x' as s", "'add'"),
        ("nope as s", "'nope' is not a property"),
        ("secret as s", "secret"),
        ("later add 1 as early,count as later", "'later'"),
    ] {
        let e = compute_err(text);
        assert_eq!(e.kind, ErrorKind::BadRequest, "{text}: {}", e.message);
        assert_eq!(e.target.as_deref(), Some("$compute"), "{text}");
        assert!(e.message.starts_with("$compute: "), "{text}: {}", e.message);
        assert!(e.message.contains(needle), "{text}: {}", e.message);
    }
    // An alias built by hand that is not an identifier.
    let m = model();
    let a = IndexMap::new();
    let mut parsed = crate::query::parse_compute("count as c", &ParseLimits::default()).unwrap();
    parsed.items[0].alias = "not valid".into();
    let e = bind_compute(&ctx(&m, &a), &parsed).unwrap_err();
    assert!(e.message.contains("must be an identifier"), "{}", e.message);
}

#[test]
fn undefined_computed_properties_in_select_name_compute() {
    let m = model();
    let a = IndexMap::new();
    let computed = compute(&m, "count as c").unwrap();
    let select = parse_select("id,d", &ParseLimits::default()).unwrap();
    let e = bind_select_computed(&ctx(&m, &a), &computed, &select).unwrap_err();
    assert_eq!(e.target.as_deref(), Some("$select"));
    assert!(
        e.message
            .contains("'d' is neither a property of 'test.ns.item' nor a computed property"),
        "{}",
        e.message
    );
}

#[test]
fn limits_hold_for_computed_properties_once_substituted() {
    let m = model();
    let a = IndexMap::new();
    let limits = ParseLimits {
        max_nodes: 40,
        ..ParseLimits::default()
    };
    let tight = BindContext {
        limits,
        ..ctx(&m, &a)
    };
    // 15 nodes: fits once, not three times over.
    let text = "count add count add count add count add count add count add count add count as s";
    let parsed = crate::query::parse_compute(text, &ParseLimits::default()).unwrap();
    let computed = bind_compute(&tight, &parsed).unwrap();
    bind_filter_computed(&tight, &computed, &parse("s gt 1")).unwrap();
    let e = bind_filter_computed(&tight, &computed, &parse("s gt 1 and s gt 2 and s gt 3"))
        .unwrap_err();
    assert!(e.message.contains("expression too large"), "{}", e.message);
    assert_eq!(e.target.as_deref(), Some("$filter"));
    // The limits apply to each item itself too.
    let limits = ParseLimits {
        max_nodes: 5,
        ..ParseLimits::default()
    };
    let tiny = BindContext {
        limits,
        ..ctx(&m, &a)
    };
    let e = bind_compute(&tiny, &parsed).unwrap_err();
    assert_eq!(e.target.as_deref(), Some("$compute"));
}

#[test]
fn single_literals_are_32_bit_and_binary_literals_are_bytes() {
    // `f` makes an Edm.Single literal holding the nearest f32.
    assert_eq!(
        *right_of(&ok("single eq 1.1f")),
        lit(Value::Double(f64::from(1.1_f32)), P::Single)
    );
    assert_eq!(
        *right_of(&ok("single lt 1.5e2f")),
        lit(Value::Double(150.0), P::Single)
    );
    assert!(
        err("single eq 1e39f")
            .message
            .contains("out of the range of Edm.Single")
    );
    // base64url or base64, padded or not: the same bytes.
    for text in ["bin eq binary'dGVzdA=='", "bin eq binary'dGVzdA'"] {
        assert_eq!(
            *right_of(&ok(text)),
            lit(Value::Binary(b"test".to_vec()), P::Binary)
        );
    }
}

#[test]
fn select_options_bind_per_item_with_this_and_members() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let bind =
        |text: &str| bind_select_options(&c, &parse_select(text, &ParseLimits::default()).unwrap());
    let got =
        bind("name,scores($filter=$this gt 1;$orderby=$this desc;$top=2;$skip=1;$count=true)")
            .unwrap();
    assert_eq!(got.len(), 1);
    let o = &got[0].options;
    assert_eq!(got[0].name, "scores");
    assert!(o.collection && o.count);
    assert_eq!((o.skip, o.top), (Some(1), Some(2)));
    assert_eq!(o.item, ExprType::Primitive(P::Int32));
    let Some(BoundExpr::Compare { left, .. }) = &o.filter else {
        panic!("{:?}", o.filter)
    };
    let BoundExpr::Property(p) = left.as_ref() else {
        panic!("{left:?}")
    };
    assert_eq!(p.variable.as_deref(), Some(THIS));
    assert!(p.path.is_empty());
    // Bare member names are members of a complex item; `$it` is still the entity.
    let got = bind("addresses($filter=city eq 'x' and $it/name eq 'n';$select=zip,city)").unwrap();
    let o = &got[0].options;
    let names: Vec<&str> = o
        .select
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["zip", "city"]);
    let properties: Vec<(Option<&str>, String)> = o
        .filter
        .as_ref()
        .unwrap()
        .properties()
        .into_iter()
        .map(|p| (p.variable.as_deref(), p.path.join("/")))
        .collect();
    assert_eq!(
        properties,
        [(Some(THIS), "city".to_owned()), (None, "name".to_owned())]
    );
    // A complex property takes a nested `$select` only.
    let got = bind("settings($select=language,inner)").unwrap();
    assert!(!got[0].options.collection);
    // The names are still selected.
    assert_eq!(
        bind_select(
            &c,
            &parse_select("tags($top=1),name", &ParseLimits::default()).unwrap()
        )
        .unwrap(),
        Some(vec!["tags".to_owned(), "name".to_owned()])
    );
    let cases: &[(&str, &str)] = &[
        (
            "tags($filter=$this)",
            "$filter: the expression must be Boolean",
        ),
        (
            "tags($filter=length eq 1)",
            "$filter: the items are not of a complex type",
        ),
        (
            "addresses($filter=nope eq 1)",
            "$filter: 'nope' is not a property",
        ),
        (
            "addresses($orderby=zip,nope)",
            "$orderby: 'nope' is not a property",
        ),
        ("tags($select=x)", "$select: 'tags' holds primitive values"),
        (
            "settings($top=1)",
            "$select: 'settings' is not a collection",
        ),
        (
            "addresses($select=nope)",
            "$select: 'nope' is not a property of 'test.ns.address'",
        ),
        ("owner($top=1)", "$select: 'owner' is a navigation property"),
        ("settings($select=pin)", "$select: 'pin' is write-only"),
        ("count($count=true)", "$select: 'count' is not a collection"),
    ];
    for (text, msg) in cases {
        let e = bind(text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest, "{text}");
        assert!(e.message.starts_with(msg), "{text}: {}", e.message);
        // `bind_select` rejects them as well.
        assert!(bind_select(&c, &parse_select(text, &ParseLimits::default()).unwrap()).is_err());
    }
    let e = bind("tags($compute=1 as x)").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotImplemented);
}

#[test]
fn count_with_nested_options_binds_the_item_as_this() {
    let m = model();
    let a = IndexMap::new();
    let c = ctx(&m, &a);
    let bind = |text: &str| bind_filter(&c, &parse_filter(text, &ParseLimits::default()).unwrap());
    let e = bind("tags/$count($filter=$this ne 'a';$search=b) gt 1").unwrap();
    let BoundExpr::Compare { left, .. } = e else {
        panic!("{e:?}")
    };
    let BoundExpr::CountWhere {
        collection,
        variable,
        filter,
        search,
    } = *left
    else {
        panic!("{left:?}")
    };
    assert_eq!(collection.path, ["tags"]);
    assert_eq!(variable, THIS);
    assert_eq!(search, Some(BoundSearch::Term("b".into())));
    let props: Vec<Option<&str>> = filter
        .as_ref()
        .unwrap()
        .properties()
        .into_iter()
        .map(|p| p.variable.as_deref())
        .collect();
    assert_eq!(props, [Some(THIS)]);
    // Members of complex items and of related entities; `$it` is the entity.
    assert!(bind("addresses/$count($filter=city eq 'x' and $it/name eq 'y') eq 0").is_ok());
    assert!(bind("parts/$count($filter=name eq 'x') ge 1").is_ok());
    assert!(bind("parts/$count($search=x) ge 1").is_ok());
    let e = bind("parts/$count($filter=nope eq 'x') ge 1").unwrap_err();
    assert!(
        e.message.contains("'nope' is not a property"),
        "{}",
        e.message
    );
}
