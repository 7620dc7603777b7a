//! Pins the binder's errors: the bad `$filter` expressions of the binder tests (wrong
//! paths, types, functions and arguments) and a few bad `$orderby` keys, each with its
//! error kind, target and message, as an `insta` snapshot
//! (`snapshots/…__error_table.snap`). A changed message shows up as a snapshot diff.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use indexmap::IndexMap;

use super::test_model::{ctx, model};
use super::*;
use crate::error::ODataError;
use crate::query::{ParseLimits, parse_filter, parse_orderby};

/// `$filter` values that parse but do not bind.
const FILTERS: &[&str] = &[
    "contains(count,'a')",
    "contains(name)",
    "startswith(name, 1)",
    "endswith(1, name)",
    "substring(name) eq 'a'",
    "substring(name,1,2,3) eq 'a'",
    "substring(name,'1') eq 'a'",
    "substring(name,1.5) eq 'a'",
    "substring(name,1,ratio) eq 'a'",
    "length(count) eq 1",
    "length(name, name) eq 1",
    "indexof(name, 1) eq 1",
    "matchesPattern(name, 1)",
    "tolower(count) eq 'a'",
    "toupper(flag) eq 'a'",
    "trim(1) eq 'a'",
    "concat(name) eq 'a'",
    "concat(name, 1) eq 'a'",
    "year(time) eq 1",
    "month(name) eq 1",
    "day(took) eq 1",
    "hour(day) eq 1",
    "minute(day) eq 1",
    "second(1) eq 1",
    "fractionalseconds(day) eq 1",
    "totalseconds(at) gt 1",
    "totalseconds('PT1X') gt 1",
    "date(day) eq day",
    "time(time) eq time",
    "totaloffsetminutes(day) eq 1",
    "mindatetime(at) eq at",
    "maxdatetime(1) eq at",
    "now(1) eq at",
    "round(name) eq 1",
    "floor(at) eq 1",
    "ceiling(took) eq 1",
    "round(1, 2) eq 1",
    "contain(name,'a')",
    "frobnicate(name)",
    "geo.distance(name, name) lt 1",
    "geo.distance(loc) lt 1",
    "geo.distance(loc, route) lt 1",
    "geo.distance(loc, geometry'SRID=0;Point(1 2)') lt 1",
    "geo.distance(geography'SRID=4326;Point(1 2)', geography'SRID=4269;Point(1 2)') lt 1",
    "geo.intersects(area, loc)",
    "geo.length(loc) gt 1",
    "geo.invalid(loc)",
    "loc eq geography'SRID=4326;Point(1 2)'",
    "geo.distance(loc, geography'SRID=4326;Point(1)') lt 1",
    "cast(loc, Edm.String) eq 'x'",
    "geo.length() lt 1",
    "cast(name, tns.nope) eq 1",
    "cast(settings, Edm.String) eq 'x'",
    "cast(name, tns.special) eq 1",
    "cast(Edm.String) eq 'x'",
    "isof(Edm.String)",
    "isof(name, tns.special)",
    "isof(tags, Edm.String)",
    "isof(name, tns.nope)",
    "nme eq 'a'",
    "extra eq 'a'",
    "settings/lvl eq 1",
    "addresses/any(a: a/town eq 'x')",
    "owner eq 'x'",
    "owner gt null",
    "name eq 1",
    "count eq 'a'",
    "flag eq 1",
    "time eq day",
    "at eq day",
    "at ge 2024-01-01",
    "guid eq '01234567-89ab-cdef-0123-456789abcdef'",
    "state eq 'String'",
    "state eq 'Enrolled'",
    "state eq color",
    "state eq tns.color'red'",
    "state eq tns.state'bogus'",
    "state eq tns.nope'x'",
    "state eq name",
    "settings eq 'x'",
    "settings gt null",
    "tags eq 'a'",
    "tags eq null",
    "name",
    "count add 1",
    "'x'",
    "name and flag",
    "flag or 1",
    "not name",
    "name add 1 eq 1",
    "at add at gt at",
    "day add at gt at",
    "took mod 2 gt took",
    "took sub at gt took",
    "state add 1 eq 1",
    "-name eq 'a'",
    "took gt 'PT1X'",
    "day eq 2024-02-30",
    "count has tns.perms'read'",
    "perms has tns.state'enrolled'",
    "perms has tns.perms'bogus'",
    "perms has perms",
    "name in ('a', 1)",
    "state in ('enrolled','nope')",
    "name in name",
    "name in scores",
    "tags/any(t: t)",
    "tags/all(t: concat(t, 'x'))",
    "name/any(t: t eq 'a')",
    "name/$count gt 1",
    "tags/x eq 1",
    "name/x eq 1",
    "tags/any(t: t/x eq 1)",
    "tns.unrelated/id eq 'a'",
    "tns.nope/x eq 1",
    "settings/tns.address/city eq 'x'",
    "tns.special/nope eq 1",
    "tns.special eq null",
    "$root/items/name eq 'a'",
    "tags/$count($filter=$this) gt 1",
    "addresses/$count($filter=nope eq 1) gt 1",
    "geo.distance(loc, geography'SRID=4326;MultiPoint((1 2))') lt 1",
    "hassubset(tags, tags)",
    "case(name: 1, true: 2) eq 1",
    "case(flag: 1, true: 'a') eq 1",
    "case(flag: tags) eq null",
];

/// `$orderby` values that parse but do not bind.
const ORDERBYS: &[&str] = &["nme", "addresses", "settings", "tags", "owner"];

/// One row: `option input => Kind target: message`.
fn row(option: &str, input: &str, result: Result<(), ODataError>) -> String {
    match result {
        Ok(()) => format!("{option} {input} => accepted (expected an error)"),
        Err(e) => format!(
            "{option} {input} => {:?} {}: {}",
            e.kind,
            e.target.as_deref().unwrap_or("-"),
            e.message
        ),
    }
}

#[test]
fn error_table() {
    let m = model();
    let aliases = IndexMap::new();
    let ctx = ctx(&m, &aliases);
    let limits = ParseLimits::default();
    let mut rows = Vec::new();
    for input in FILTERS {
        // A few of the binder tests' inputs already fail to parse; they stay in the table
        // as the parser's error.
        match parse_filter(input, &limits) {
            Ok(parsed) => rows.push(row(
                "$filter",
                input,
                bind_filter(&ctx, &parsed).map(|_| ()),
            )),
            Err(e) => rows.push(format!("$filter {input} => parse {:?}: {e}", e.kind)),
        }
    }
    for input in ORDERBYS {
        let parsed = parse_orderby(input, &limits).unwrap();
        rows.push(row(
            "$orderby",
            input,
            bind_orderby(&ctx, &parsed).map(|_| ()),
        ));
    }
    assert!(
        rows.iter().all(|r| !r.ends_with("(expected an error)")),
        "{rows:#?}"
    );
    insta::assert_snapshot!(rows.join("\n"));
}
