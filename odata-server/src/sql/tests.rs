//! Pins the generated SQL text and parameters for each node kind. No request value may
//! appear in SQL text: every test also checks that the literals are parameters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use odata_core::bind::{
    ArithOp, BoundExpr, BoundOrderBy, BoundSearch, CompareOp, ExprType, Function, PropertyRef,
};
use odata_core::edm::{
    ComplexTypeDef, EntityTypeDef, EnumTypeDef, Model, ModelBuilder, PrimitiveKind, PropertyDef,
    TypeKind,
};
use odata_core::error::ErrorKind;
use odata_core::query::SortDirection;
use odata_core::value::{DateTimeOffset, Duration, Value};

use super::*;
use crate::store::table::Table;

use SqlParam::{Integer as I, Null as N, Real as R, Text as T};

fn model() -> Model {
    ModelBuilder::new("ns")
        .enum_type(
            EnumTypeDef::new("color")
                .member("red", 0)
                .member("green", 1)
                .member("blue", 2),
        )
        .enum_type(
            EnumTypeDef::new("perms")
                .flags()
                .member("read", 1)
                .member("write", 2)
                .member("exec", 4),
        )
        .complex_type(
            ComplexTypeDef::new("settings")
                .property(PropertyDef::new("eulaHidden", "Edm.Boolean"))
                .property(PropertyDef::new("level", "Edm.Int32"))
                .property(PropertyDef::new("ratio", "Edm.Double"))
                .property(PropertyDef::new("color", "ns.color"))
                .property(PropertyDef::new("perms", "ns.perms"))
                .property(PropertyDef::new("when", "Edm.DateTimeOffset"))
                .property(PropertyDef::new("at", "Edm.TimeOfDay"))
                .property(PropertyDef::new("owner", "Edm.Guid"))
                .property(PropertyDef::new("tags", "Collection(Edm.String)")),
        )
        .entity_type(
            EntityTypeDef::new("item")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null())
                .property(PropertyDef::new("name", "Edm.String"))
                .property(PropertyDef::new("count", "Edm.Int32"))
                .property(PropertyDef::new("big", "Edm.Int64"))
                .property(PropertyDef::new("ratio", "Edm.Double"))
                .property(PropertyDef::new("price", "Edm.Decimal"))
                .property(PropertyDef::new("flag", "Edm.Boolean"))
                .property(PropertyDef::new("guid", "Edm.Guid"))
                .property(PropertyDef::new("day", "Edm.Date"))
                .property(PropertyDef::new("time", "Edm.TimeOfDay"))
                .property(PropertyDef::new("span", "Edm.Duration"))
                .property(PropertyDef::new("at", "Edm.DateTimeOffset"))
                .property(PropertyDef::new("color", "ns.color"))
                .property(PropertyDef::new("perms", "ns.perms"))
                .property(PropertyDef::new("settings", "ns.settings"))
                .property(PropertyDef::new("tags", "Collection(Edm.String)"))
                .property(PropertyDef::new("history", "Collection(ns.settings)"))
                .property(PropertyDef::new("stamps", "Collection(Edm.DateTimeOffset)")),
        )
        .entity_type(
            EntityTypeDef::new("special")
                .base("ns.item")
                .property(PropertyDef::new("extra", "Edm.Int32")),
        )
        .entity_type(EntityTypeDef::new("moreSpecial").base("ns.special"))
        .entity_set("items", "ns.item")
        .build()
        .unwrap()
}

struct Fixture {
    model: Model,
    table: Table,
}

impl Fixture {
    fn new() -> Self {
        let model = model();
        let item = model.find_entity_type("ns.item").unwrap();
        let table = Table::new(&model, item, "items".into());
        Self { model, table }
    }

    fn enum_ty(&self, name: &str) -> ExprType {
        match self.model.find_type(name).unwrap() {
            TypeKind::Enum(id) => ExprType::Enum(id),
            _ => panic!("{name} is not an enum"),
        }
    }

    fn filter(&self, e: &BoundExpr) -> (String, Vec<SqlParam>) {
        let (sql, params) = filter(Backend::Sqlite, &self.model, &self.table, &NoNavigation, e)
            .unwrap()
            .to_sql();
        assert_eq!(
            sql.matches('?').count(),
            params.len(),
            "placeholders vs params in {sql}"
        );
        (sql, params)
    }

    fn filter_err(&self, e: &BoundExpr) -> odata_core::error::ODataError {
        filter(Backend::Sqlite, &self.model, &self.table, &NoNavigation, e).unwrap_err()
    }
}

fn prim(p: PrimitiveKind) -> ExprType {
    ExprType::Primitive(p)
}

fn prop(path: &[&str], ty: ExprType) -> BoundExpr {
    BoundExpr::Property(prop_ref(None, path, ty))
}

fn prop_ref(variable: Option<&str>, path: &[&str], ty: ExprType) -> PropertyRef {
    PropertyRef {
        variable: variable.map(str::to_owned),
        cast: None,
        path: path.iter().map(|s| (*s).to_owned()).collect(),
        ty,
    }
}

fn lit(value: Value, ty: ExprType) -> BoundExpr {
    BoundExpr::Literal { value, ty }
}

fn s(v: &str) -> BoundExpr {
    lit(Value::String(v.into()), prim(PrimitiveKind::String))
}

fn int(v: i64) -> BoundExpr {
    lit(Value::Int(v), prim(PrimitiveKind::Int32))
}

fn null() -> BoundExpr {
    lit(Value::Null, ExprType::Null)
}

fn cmp(op: CompareOp, l: BoundExpr, r: BoundExpr) -> BoundExpr {
    BoundExpr::Compare {
        op,
        left: Box::new(l),
        right: Box::new(r),
    }
}

fn call(function: Function, args: Vec<BoundExpr>, ty: ExprType) -> BoundExpr {
    BoundExpr::Call { function, args, ty }
}

fn name() -> BoundExpr {
    prop(&["name"], prim(PrimitiveKind::String))
}

fn count() -> BoundExpr {
    prop(&["count"], prim(PrimitiveKind::Int32))
}

fn at() -> BoundExpr {
    prop(&["at"], prim(PrimitiveKind::DateTimeOffset))
}

fn dto(text: &str) -> BoundExpr {
    lit(
        Value::DateTimeOffset(DateTimeOffset::parse(text).unwrap()),
        prim(PrimitiveKind::DateTimeOffset),
    )
}

fn bool_lit(b: bool) -> BoundExpr {
    lit(Value::Boolean(b), prim(PrimitiveKind::Boolean))
}

fn dur(ticks: i64) -> BoundExpr {
    lit(
        Value::Duration(Duration::from_ticks(ticks)),
        prim(PrimitiveKind::Duration),
    )
}

fn arith(op: ArithOp, l: BoundExpr, r: BoundExpr, ty: ExprType) -> BoundExpr {
    BoundExpr::Arith {
        op,
        left: Box::new(l),
        right: Box::new(r),
        ty,
    }
}

/// Compares a translation with the pinned SQL and parameters; prints the actual values in
/// source form on a mismatch.
#[track_caller]
fn check(f: &Fixture, e: &BoundExpr, sql: &str, params: &[SqlParam]) {
    let (actual_sql, actual_params) = f.filter(e);
    if std::env::var("PIN_SHOW").is_ok() {
        println!("PIN {actual_sql:?}\nPARAMS {actual_params:?}");
        return;
    }
    if actual_sql != sql || actual_params != params {
        panic!(
            "\nactual SQL:    {actual_sql:?}\nactual params: {actual_params:?}\nexpected SQL:  {sql:?}\nexpected params: {params:?}"
        );
    }
}

#[test]
fn comparisons_are_two_valued_and_sargable() {
    let f = Fixture::new();
    check(
        &f,
        &cmp(CompareOp::Eq, name(), s("a")),
        "(\"name\" = ? AND \"name\" IS NOT NULL)",
        &[T("a".into())],
    );
    check(
        &f,
        &cmp(CompareOp::Ne, name(), null()),
        "(\"name\" IS NOT NULL)",
        &[],
    );
    check(
        &f,
        &cmp(CompareOp::Gt, count(), int(5)),
        "(\"count\" > ? AND \"count\" IS NOT NULL)",
        &[I(5)],
    );
    check(&f, &cmp(CompareOp::Ge, null(), count()), "(1 = 0)", &[]);
    check(
        &f,
        &cmp(
            CompareOp::Lt,
            count(),
            prop(&["big"], prim(PrimitiveKind::Int64)),
        ),
        "(\"count\" < \"big\" AND \"count\" IS NOT NULL AND \"big\" IS NOT NULL)",
        &[],
    );
    check(
        &f,
        &cmp(
            CompareOp::Le,
            call(Function::Length, vec![name()], prim(PrimitiveKind::Int32)),
            int(3),
        ),
        "COALESCE(length(\"name\") <= ?, 0)",
        &[I(3)],
    );
    check(
        &f,
        &cmp(CompareOp::Eq, null(), null()),
        "(NULL IS NULL)",
        &[],
    );
}

#[test]
fn logic_in_and_has() {
    let f = Fixture::new();
    let color = f.enum_ty("ns.color");
    let perms = f.enum_ty("ns.perms");
    let c = || prop(&["color"], color.clone());
    check(
        &f,
        &BoundExpr::And(
            Box::new(cmp(CompareOp::Eq, name(), s("a"))),
            Box::new(BoundExpr::Not(Box::new(prop(
                &["flag"],
                prim(PrimitiveKind::Boolean),
            )))),
        ),
        "((\"name\" = ? AND \"name\" IS NOT NULL) AND (NOT \"flag\"))",
        &[T("a".into())],
    );
    check(
        &f,
        &BoundExpr::Or(
            Box::new(bool_lit(true)),
            Box::new(cmp(CompareOp::Ne, count(), int(1))),
        ),
        "(? OR (\"count\" IS NOT ?))",
        &[I(1), I(1)],
    );
    check(
        &f,
        &BoundExpr::In {
            value: Box::new(c()),
            items: vec![
                lit(Value::Enum(0), color.clone()),
                null(),
                lit(Value::Enum(2), color.clone()),
            ],
        },
        "((\"color\" IN (?, ?) AND \"color\" IS NOT NULL) OR (\"color\" IS NULL))",
        &[I(0), I(2)],
    );
    check(
        &f,
        &BoundExpr::In {
            value: Box::new(call(
                Function::ToLower,
                vec![name()],
                prim(PrimitiveKind::String),
            )),
            items: vec![s("a"), name()],
        },
        "(COALESCE(odata_lower(\"name\") IN (?), 0) OR (odata_lower(\"name\") IS \"name\"))",
        &[T("a".into())],
    );
    check(
        &f,
        &BoundExpr::Has {
            value: Box::new(prop(&["perms"], perms.clone())),
            flags: 3,
        },
        "((\"perms\" & ?) = ?)",
        &[I(3), I(3)],
    );
}

#[test]
fn typed_columns() {
    let f = Fixture::new();
    check(
        &f,
        &cmp(CompareOp::Gt, at(), dto("2020-01-01T00:00:00+01:00")),
        "(\"at__utc\" > ? AND \"at__utc\" IS NOT NULL)",
        &[I(15778332000000000)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            prop(&["price"], prim(PrimitiveKind::Decimal)),
            lit(
                Value::Decimal("0.1".parse().unwrap()),
                prim(PrimitiveKind::Decimal),
            ),
        ),
        // Stored decimals compare exactly, by their sort key (SQLite has no decimal type).
        "COALESCE(odata_decimal_key(\"price\") = ?, 0)",
        &[T("250001".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            BoundExpr::Arith {
                op: ArithOp::Add,
                left: Box::new(prop(&["price"], prim(PrimitiveKind::Decimal))),
                right: Box::new(lit(
                    Value::Decimal("0.1".parse().unwrap()),
                    prim(PrimitiveKind::Decimal),
                )),
                ty: prim(PrimitiveKind::Decimal),
            },
            lit(
                Value::Decimal("0.2".parse().unwrap()),
                prim(PrimitiveKind::Decimal),
            ),
        ),
        // Computed decimals are exact decimal text on SQLite, compared by sort key.
        "COALESCE(odata_decimal_key(odata_decimal_add(\"price\", ?)) = ?, 0)",
        &[T("0.1".into()), T("250002".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            prop(&["guid"], prim(PrimitiveKind::Guid)),
            lit(
                Value::Guid("0F8FAD5B-D9CB-469F-A165-70867728950E".parse().unwrap()),
                prim(PrimitiveKind::Guid),
            ),
        ),
        "(\"guid\" = ? AND \"guid\" IS NOT NULL)",
        &[T("0f8fad5b-d9cb-469f-a165-70867728950e".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Lt,
            prop(&["span"], prim(PrimitiveKind::Duration)),
            dur(-10_000_000),
        ),
        "(\"span\" < ? AND \"span\" IS NOT NULL)",
        &[I(-10000000)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Le,
            prop(&["day"], prim(PrimitiveKind::Date)),
            lit(
                Value::Date(odata_core::value::Date::parse("2020-02-29").unwrap()),
                prim(PrimitiveKind::Date),
            ),
        ),
        "(\"day\" <= ? AND \"day\" IS NOT NULL)",
        &[T("2020-02-29".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            prop(&["flag"], prim(PrimitiveKind::Boolean)),
            bool_lit(true),
        ),
        "(\"flag\" = ? AND \"flag\" IS NOT NULL)",
        &[I(1)],
    );
}

#[test]
fn arithmetic() {
    let f = Fixture::new();
    let i32t = prim(PrimitiveKind::Int32);
    let dbl = prim(PrimitiveKind::Double);
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            arith(ArithOp::Div, count(), int(2), i32t.clone()),
            int(1),
        ),
        "COALESCE((\"count\" / NULLIF(?, 0)) = ?, 0)",
        &[I(2), I(1)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            arith(ArithOp::Mod, count(), int(2), i32t.clone()),
            int(1),
        ),
        "COALESCE((\"count\" % NULLIF(?, 0)) = ?, 0)",
        &[I(2), I(1)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Gt,
            arith(
                ArithOp::DivBy,
                count(),
                int(2),
                prim(PrimitiveKind::Decimal),
            ),
            int(1),
        ),
        "COALESCE(odata_decimal_key(odata_decimal_div(\"count\", ?)) > ?, 0)",
        &[I(2), T("250011".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Gt,
            arith(
                ArithOp::Mod,
                prop(&["ratio"], dbl.clone()),
                lit(Value::Double(1.5), dbl.clone()),
                dbl.clone(),
            ),
            lit(Value::Double(0.5), dbl.clone()),
        ),
        "COALESCE((\"ratio\" - ? * CAST((CAST(\"ratio\" AS REAL) / NULLIF(?, 0)) AS INTEGER)) > ?, 0)",
        &[R(1.5), R(1.5), R(0.5)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Lt,
            arith(
                ArithOp::Mul,
                prop(&["span"], prim(PrimitiveKind::Duration)),
                lit(
                    Value::Decimal("1.5".parse().unwrap()),
                    prim(PrimitiveKind::Decimal),
                ),
                prim(PrimitiveKind::Duration),
            ),
            dur(0),
        ),
        "COALESCE(odata_decimal_integer(odata_decimal_mul(\"span\", ?)) < ?, 0)",
        &[T("1.5".into()), I(0)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Ge,
            arith(
                ArithOp::Add,
                at(),
                dur(36_000_000_000),
                prim(PrimitiveKind::DateTimeOffset),
            ),
            dto("2020-01-01T00:00:00Z"),
        ),
        "COALESCE((\"at__utc\" + ?) >= ?, 0)",
        &[I(36000000000), I(15778368000000000)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Gt,
            arith(
                ArithOp::Sub,
                at(),
                dto("2020-01-01T00:00:00Z"),
                prim(PrimitiveKind::Duration),
            ),
            dur(0),
        ),
        "COALESCE((\"at__utc\" - ?) > ?, 0)",
        &[I(15778368000000000), I(0)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            BoundExpr::Neg {
                operand: Box::new(count()),
                ty: i32t,
            },
            int(-1),
        ),
        "COALESCE((- \"count\") = ?, 0)",
        &[I(-1)],
    );
}

#[test]
fn string_functions() {
    let f = Fixture::new();
    let str_t = prim(PrimitiveKind::String);
    let i32t = prim(PrimitiveKind::Int32);
    let boolean = prim(PrimitiveKind::Boolean);
    check(
        &f,
        &call(Function::Contains, vec![name(), s("b")], boolean.clone()),
        "(instr(\"name\", ?) > 0)",
        &[T("b".into())],
    );
    check(
        &f,
        &call(Function::StartsWith, vec![name(), s("b")], boolean.clone()),
        "(substr(\"name\", 1, length(?)) = ?)",
        &[T("b".into()), T("b".into())],
    );
    check(
        &f,
        &call(Function::EndsWith, vec![name(), s("b")], boolean.clone()),
        "(length(\"name\") >= length(?) AND substr(\"name\", length(\"name\") - length(?) + 1) = ?)",
        &[T("b".into()), T("b".into()), T("b".into())],
    );
    check(&f, &call(Function::EndsWith, vec![call(Function::Trim, vec![name()], str_t.clone()), s("b")], boolean), "(SELECT (length(\"$v1\") >= length(?) AND substr(\"$v1\", length(\"$v1\") - length(?) + 1) = ?) FROM (SELECT trim(\"name\", ?) AS \"$v1\") AS \"$s2\")", &[T("b".into()), T("b".into()), T("b".into()), T("\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}".into())]);
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::IndexOf, vec![name(), s("b")], i32t.clone()),
            int(0),
        ),
        "COALESCE((instr(\"name\", ?) - 1) = ?, 0)",
        &[T("b".into()), I(0)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Substring, vec![name(), int(1)], str_t.clone()),
            s("b"),
        ),
        "COALESCE(substr(\"name\", (? + 1)) = ?, 0)",
        &[I(1), T("b".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(
                Function::Substring,
                vec![name(), int(1), int(2)],
                str_t.clone(),
            ),
            s("b"),
        ),
        "COALESCE(substr(\"name\", (? + 1), ?) = ?, 0)",
        &[I(1), I(2), T("b".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(
                Function::Concat,
                vec![
                    call(Function::ToLower, vec![name()], str_t.clone()),
                    call(Function::ToUpper, vec![s("x")], str_t.clone()),
                ],
                str_t,
            ),
            s("ax"),
        ),
        "COALESCE((odata_lower(\"name\") || odata_upper(?)) = ?, 0)",
        &[T("x".into()), T("ax".into())],
    );
}

#[test]
fn date_and_time_functions() {
    let f = Fixture::new();
    let i32t = prim(PrimitiveKind::Int32);
    let dec = prim(PrimitiveKind::Decimal);
    let when = prop(&["settings", "when"], prim(PrimitiveKind::DateTimeOffset));
    let shifted = arith(
        ArithOp::Add,
        at(),
        dur(1),
        prim(PrimitiveKind::DateTimeOffset),
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Year, vec![at()], i32t.clone()),
            int(2020),
        ),
        "COALESCE(CAST(substr(\"at\", 1, 4) AS INTEGER) = ?, 0)",
        &[I(2020)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Hour, vec![shifted], i32t.clone()),
            int(1),
        ),
        "COALESCE((SELECT ((((\"$v1\" % 864000000000) + 864000000000) % 864000000000) / 36000000000) FROM (SELECT ((\"at__utc\" + ?) + ((CASE WHEN substr(\"at\", -1, 1) IN ('Z', 'z') THEN 0 WHEN substr(\"at\", -3, 1) = ':' THEN (CASE substr(\"at\", -6, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"at\", -5, 2) AS INTEGER) * 60 + CAST(substr(\"at\", -2, 2) AS INTEGER)) WHEN substr(\"at\", -3, 1) IN ('+', '-') THEN (CASE substr(\"at\", -3, 1) WHEN '-' THEN -1 ELSE 1 END) * CAST(substr(\"at\", -2, 2) AS INTEGER) * 60 ELSE (CASE substr(\"at\", -5, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"at\", -4, 2) AS INTEGER) * 60 + CAST(substr(\"at\", -2, 2) AS INTEGER)) END) + 0 * ?) * 600000000) AS \"$v1\") AS \"$s2\") = ?, 0)",
        &[I(1), I(1), I(1)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Second, vec![at()], i32t.clone()),
            int(1),
        ),
        "COALESCE(((((\"at__utc\" % 600000000) + 600000000) % 600000000) / 10000000) = ?, 0)",
        &[I(1)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::FractionalSeconds, vec![at()], dec.clone()),
            int(0),
        ),
        "COALESCE(odata_decimal_key(odata_decimal_div((((\"at__utc\" % 10000000) + 10000000) % 10000000), 10000000)) = ?, 0)",
        &[T("1".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::TotalOffsetMinutes, vec![at()], i32t.clone()),
            int(60),
        ),
        "COALESCE((CASE WHEN substr(\"at\", -1, 1) IN ('Z', 'z') THEN 0 WHEN substr(\"at\", -3, 1) = ':' THEN (CASE substr(\"at\", -6, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"at\", -5, 2) AS INTEGER) * 60 + CAST(substr(\"at\", -2, 2) AS INTEGER)) WHEN substr(\"at\", -3, 1) IN ('+', '-') THEN (CASE substr(\"at\", -3, 1) WHEN '-' THEN -1 ELSE 1 END) * CAST(substr(\"at\", -2, 2) AS INTEGER) * 60 ELSE (CASE substr(\"at\", -5, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"at\", -4, 2) AS INTEGER) * 60 + CAST(substr(\"at\", -2, 2) AS INTEGER)) END) = ?, 0)",
        &[I(60)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Date, vec![at()], prim(PrimitiveKind::Date)),
            prop(&["day"], prim(PrimitiveKind::Date)),
        ),
        "(substr(\"at\", 1, 10) IS \"day\")",
        &[],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Time, vec![at()], prim(PrimitiveKind::TimeOfDay)),
            prop(&["time"], prim(PrimitiveKind::TimeOfDay)),
        ),
        "((CAST(substr(\"at\", 12, 2) AS INTEGER) * 36000000000 + CAST(substr(\"at\", 15, 2) AS INTEGER) * 600000000 + (((\"at__utc\" % 600000000) + 600000000) % 600000000)) IS \"time\")",
        &[],
    );
    check(
        &f,
        &cmp(
            CompareOp::Gt,
            call(
                Function::TotalSeconds,
                vec![prop(&["span"], prim(PrimitiveKind::Duration))],
                dec,
            ),
            int(1),
        ),
        "COALESCE(odata_decimal_key(odata_decimal_div(\"span\", 10000000)) > ?, 0)",
        &[T("250011".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Gt,
            when,
            call(
                Function::MinDateTime,
                vec![],
                prim(PrimitiveKind::DateTimeOffset),
            ),
        ),
        "COALESCE((SELECT ((CAST(strftime('%s', substr(\"$v1\", 1, 10) || ' ' || substr(\"$v1\", 12, 5)) AS INTEGER) + (CASE WHEN substr(\"$v1\", 17, 1) = ':' THEN CAST(substr(\"$v1\", 18, 2) AS INTEGER) ELSE 0 END)) * 10000000 + (CASE WHEN substr(\"$v1\", 20, 1) = '.' THEN CAST(substr(substr(\"$v1\", 21, length(\"$v1\") - 20 - (CASE WHEN substr(\"$v1\", -1, 1) IN ('Z', 'z') THEN 1 WHEN substr(\"$v1\", -3, 1) = ':' THEN 6 WHEN substr(\"$v1\", -3, 1) IN ('+', '-') THEN 3 ELSE 5 END)) || '000000', 1, 7) AS INTEGER) ELSE 0 END) - (CASE WHEN substr(\"$v1\", -1, 1) IN ('Z', 'z') THEN 0 WHEN substr(\"$v1\", -3, 1) = ':' THEN (CASE substr(\"$v1\", -6, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"$v1\", -5, 2) AS INTEGER) * 60 + CAST(substr(\"$v1\", -2, 2) AS INTEGER)) WHEN substr(\"$v1\", -3, 1) IN ('+', '-') THEN (CASE substr(\"$v1\", -3, 1) WHEN '-' THEN -1 ELSE 1 END) * CAST(substr(\"$v1\", -2, 2) AS INTEGER) * 60 ELSE (CASE substr(\"$v1\", -5, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"$v1\", -4, 2) AS INTEGER) * 60 + CAST(substr(\"$v1\", -2, 2) AS INTEGER)) END) * 600000000) FROM (SELECT json_extract(\"settings\", ?) AS \"$v1\") AS \"$s2\") > ?, 0)",
        &[T("$.when".into()), I(-621355968000000000)],
    );
}

#[test]
fn math_functions() {
    let f = Fixture::new();
    let dbl = prim(PrimitiveKind::Double);
    let ratio = || prop(&["ratio"], dbl.clone());
    let two = lit(Value::Double(2.0), dbl.clone());
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Round, vec![ratio()], dbl.clone()),
            two.clone(),
        ),
        "COALESCE(round(\"ratio\") = ?, 0)",
        &[R(2.0)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Floor, vec![ratio()], dbl.clone()),
            two.clone(),
        ),
        "COALESCE((CASE WHEN abs(\"ratio\") >= 4503599627370496.0 THEN \"ratio\" ELSE CAST(CAST(\"ratio\" AS INTEGER) - (\"ratio\" < CAST(\"ratio\" AS INTEGER)) AS REAL) END) = ?, 0)",
        &[R(2.0)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Ceiling, vec![ratio()], dbl.clone()),
            two,
        ),
        "COALESCE((CASE WHEN abs(\"ratio\") >= 4503599627370496.0 THEN \"ratio\" ELSE CAST(CAST(\"ratio\" AS INTEGER) + (\"ratio\" > CAST(\"ratio\" AS INTEGER)) AS REAL) END) = ?, 0)",
        &[R(2.0)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            call(Function::Floor, vec![count()], prim(PrimitiveKind::Int32)),
            int(2),
        ),
        "(\"count\" = ? AND \"count\" IS NOT NULL)",
        &[I(2)],
    );
}

#[test]
fn complex_paths_casts_and_types() {
    let f = Fixture::new();
    let special = f.model.find_entity_type("ns.special").unwrap();
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            prop(&["settings", "eulaHidden"], prim(PrimitiveKind::Boolean)),
            bool_lit(true),
        ),
        "COALESCE(json_extract(\"settings\", ?) = ?, 0)",
        &[T("$.eulaHidden".into()), I(1)],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            prop(&["settings", "color"], f.enum_ty("ns.color")),
            lit(Value::Enum(1), f.enum_ty("ns.color")),
        ),
        "COALESCE((SELECT (CASE WHEN (typeof(\"$v1\") = 'integer' OR (\"$v1\" <> '' AND \"$v1\" NOT GLOB '*[^0-9]*')) THEN CAST(\"$v1\" AS INTEGER) ELSE (CASE \"$v1\" WHEN ? THEN ? WHEN ? THEN ? WHEN ? THEN ? END) END) FROM (SELECT json_extract(\"settings\", ?) AS \"$v1\") AS \"$s2\") = ?, 0)",
        &[
            T("red".into()),
            I(0),
            T("green".into()),
            I(1),
            T("blue".into()),
            I(2),
            T("$.color".into()),
            I(1),
        ],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            prop(
                &["settings"],
                ExprType::Complex(f.model.find_complex_type("ns.settings").unwrap()),
            ),
            null(),
        ),
        "(\"settings\" IS NULL)",
        &[],
    );
    let extra = BoundExpr::Property(PropertyRef {
        variable: None,
        cast: Some(special),
        path: vec!["extra".into()],
        ty: prim(PrimitiveKind::Int32),
    });
    check(
        &f,
        &cmp(CompareOp::Gt, extra, int(1)),
        "COALESCE((CASE WHEN \"_type\" IN (?, ?) THEN \"extra\" END) > ?, 0)",
        &[T("ns.special".into()), T("ns.moreSpecial".into()), I(1)],
    );
    check(
        &f,
        &BoundExpr::IsOf {
            operand: None,
            entity_type: Some(special),
            ty: None,
        },
        "(\"_type\" IN (?, ?))",
        &[T("ns.special".into()), T("ns.moreSpecial".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            BoundExpr::Cast {
                operand: Box::new(count()),
                ty: prim(PrimitiveKind::String),
            },
            s("1"),
        ),
        "COALESCE(CAST(\"count\" AS TEXT) = ?, 0)",
        &[T("1".into())],
    );
    check(
        &f,
        &cmp(
            CompareOp::Eq,
            BoundExpr::Case {
                branches: vec![
                    (cmp(CompareOp::Gt, count(), int(1)), s("many")),
                    (bool_lit(true), name()),
                ],
                ty: prim(PrimitiveKind::String),
            },
            s("x"),
        ),
        "COALESCE((CASE WHEN (\"count\" > ? AND \"count\" IS NOT NULL) THEN ? WHEN ? THEN \"name\" END) = ?, 0)",
        &[I(1), T("many".into()), I(1), T("x".into())],
    );
}

#[test]
fn lambdas_and_counts() {
    let f = Fixture::new();
    let strings = ExprType::Collection(Box::new(prim(PrimitiveKind::String)));
    let settings = ExprType::Complex(f.model.find_complex_type("ns.settings").unwrap());
    let tags = prop_ref(None, &["tags"], strings.clone());
    check(
        &f,
        &BoundExpr::Any {
            collection: tags.clone(),
            variable: "t".into(),
            predicate: Some(Box::new(cmp(
                CompareOp::Eq,
                BoundExpr::Property(prop_ref(Some("t"), &[], prim(PrimitiveKind::String))),
                s("x"),
            ))),
        },
        "(EXISTS (SELECT 1 FROM json_each(\"tags\") AS \"$j1\" WHERE (\"$j1\".\"value\" = ? AND \"$j1\".\"value\" IS NOT NULL) LIMIT 1))",
        &[T("x".into())],
    );
    check(
        &f,
        &BoundExpr::Any {
            collection: tags.clone(),
            variable: "t".into(),
            predicate: None,
        },
        "(COALESCE(json_array_length(\"tags\"), 0) > 0)",
        &[],
    );
    check(
        &f,
        &cmp(CompareOp::Gt, BoundExpr::Count(tags), int(2)),
        "COALESCE(COALESCE(json_array_length(\"tags\"), 0) > ?, 0)",
        &[I(2)],
    );
    let history = prop_ref(None, &["history"], ExprType::Collection(Box::new(settings)));
    let inner = BoundExpr::Any {
        collection: prop_ref(Some("h"), &["tags"], strings),
        variable: "x".into(),
        predicate: Some(Box::new(cmp(
            CompareOp::Eq,
            BoundExpr::Property(prop_ref(Some("x"), &[], prim(PrimitiveKind::String))),
            name(),
        ))),
    };
    let predicate = BoundExpr::And(
        Box::new(cmp(
            CompareOp::Gt,
            BoundExpr::Property(prop_ref(Some("h"), &["level"], prim(PrimitiveKind::Int32))),
            int(1),
        )),
        Box::new(inner),
    );
    check(
        &f,
        &BoundExpr::All {
            collection: history,
            variable: "h".into(),
            predicate: Box::new(predicate),
        },
        "(NOT EXISTS (SELECT 1 FROM json_each(\"history\") AS \"$j1\" WHERE NOT COALESCE((COALESCE(CAST(json_extract(\"$j1\".\"value\", ?) AS INTEGER) > ?, 0) AND (EXISTS (SELECT 1 FROM json_each(json_extract(\"$j1\".\"value\", ?)) AS \"$j2\" WHERE (\"$j2\".\"value\" IS \"items\".\"name\") LIMIT 1))), 0) LIMIT 1))",
        &[T("$.level".into()), I(1), T("$.tags".into())],
    );
    let stamps = prop_ref(
        None,
        &["stamps"],
        ExprType::Collection(Box::new(prim(PrimitiveKind::DateTimeOffset))),
    );
    check(
        &f,
        &BoundExpr::Any {
            collection: stamps,
            variable: "d".into(),
            predicate: Some(Box::new(cmp(
                CompareOp::Lt,
                BoundExpr::Property(prop_ref(
                    Some("d"),
                    &[],
                    prim(PrimitiveKind::DateTimeOffset),
                )),
                at(),
            ))),
        },
        "(EXISTS (SELECT 1 FROM json_each(\"stamps\") AS \"$j1\" WHERE COALESCE(((CAST(strftime('%s', substr(\"$j1\".\"value\", 1, 10) || ' ' || substr(\"$j1\".\"value\", 12, 5)) AS INTEGER) + (CASE WHEN substr(\"$j1\".\"value\", 17, 1) = ':' THEN CAST(substr(\"$j1\".\"value\", 18, 2) AS INTEGER) ELSE 0 END)) * 10000000 + (CASE WHEN substr(\"$j1\".\"value\", 20, 1) = '.' THEN CAST(substr(substr(\"$j1\".\"value\", 21, length(\"$j1\".\"value\") - 20 - (CASE WHEN substr(\"$j1\".\"value\", -1, 1) IN ('Z', 'z') THEN 1 WHEN substr(\"$j1\".\"value\", -3, 1) = ':' THEN 6 WHEN substr(\"$j1\".\"value\", -3, 1) IN ('+', '-') THEN 3 ELSE 5 END)) || '000000', 1, 7) AS INTEGER) ELSE 0 END) - (CASE WHEN substr(\"$j1\".\"value\", -1, 1) IN ('Z', 'z') THEN 0 WHEN substr(\"$j1\".\"value\", -3, 1) = ':' THEN (CASE substr(\"$j1\".\"value\", -6, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"$j1\".\"value\", -5, 2) AS INTEGER) * 60 + CAST(substr(\"$j1\".\"value\", -2, 2) AS INTEGER)) WHEN substr(\"$j1\".\"value\", -3, 1) IN ('+', '-') THEN (CASE substr(\"$j1\".\"value\", -3, 1) WHEN '-' THEN -1 ELSE 1 END) * CAST(substr(\"$j1\".\"value\", -2, 2) AS INTEGER) * 60 ELSE (CASE substr(\"$j1\".\"value\", -5, 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(substr(\"$j1\".\"value\", -4, 2) AS INTEGER) * 60 + CAST(substr(\"$j1\".\"value\", -2, 2) AS INTEGER)) END) * 600000000) < \"items\".\"at__utc\", 0) LIMIT 1))",
        &[],
    );
}

#[test]
fn unsupported_functions_are_501_naming_the_function() {
    let f = Fixture::new();
    let boolean = prim(PrimitiveKind::Boolean);
    let (sql, params) = f.filter(&call(
        Function::MatchesPattern,
        vec![name(), s("^a")],
        boolean.clone(),
    ));
    assert_eq!(sql, "regexp(?, \"name\")");
    assert_eq!(params, [T("^a".into())]);
    let e = f.filter_err(&cmp(
        CompareOp::Eq,
        BoundExpr::Cast {
            operand: Box::new(name()),
            ty: prim(PrimitiveKind::Int32),
        },
        int(1),
    ));
    assert_eq!(e.kind, ErrorKind::NotImplemented);
    assert!(e.message.contains("Edm.String"), "{}", e.message);
}

fn geo(wkt: &str, family: odata_core::edm::SpatialFamily) -> BoundExpr {
    let g = odata_core::value::Geo::parse_literal(wkt, family).unwrap();
    let ty = prim(g.kind());
    BoundExpr::Literal {
        value: Value::Geo(g),
        ty,
    }
}

#[test]
fn geo_functions_bind_their_geojson_arguments() {
    use odata_core::edm::SpatialFamily::{Geography, Geometry};
    let f = Fixture::new();
    let a = geo("POINT(1 2)", Geography);
    let b = geo("POINT(3 4)", Geography);
    let point = r#"{"type":"Point","coordinates":[1.0,2.0]}"#;
    let e = cmp(
        CompareOp::Lt,
        call(
            Function::GeoDistance,
            vec![a.clone(), b.clone()],
            prim(PrimitiveKind::Double),
        ),
        int(1),
    );
    let (sql, params) = f.filter(&e);
    assert_eq!(sql, "COALESCE(odata_geography_distance(?, ?) < ?, 0)");
    assert_eq!(params[0], T(point.into()));
    let (sql, _) = f.filter(&cmp(
        CompareOp::Lt,
        call(
            Function::GeoLength,
            vec![geo("LINESTRING(0 0,3 4)", Geometry)],
            prim(PrimitiveKind::Double),
        ),
        int(1),
    ));
    assert!(
        sql.starts_with("COALESCE(odata_geometry_length(?)"),
        "{sql}"
    );
    let area = geo("POLYGON((0 0,5 0,5 5,0 0))", Geography);
    let inside = call(
        Function::GeoIntersects,
        vec![a.clone(), area],
        prim(PrimitiveKind::Boolean),
    );
    let (sql, _) = f.filter(&inside);
    assert!(sql.contains("odata_geo_intersects(?, ?)"), "{sql}");
    // PostgreSQL: plain SQL over jsonb, every value a placeholder.
    for e in [e, inside] {
        let (sql, params) = filter(Backend::Postgres, &f.model, &f.table, &NoNavigation, &e)
            .unwrap()
            .to_sql();
        assert!(sql.contains("AS jsonb"), "{sql}");
        assert!(!sql.contains("Point"), "{sql}");
        assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
        assert!(params.contains(&T(point.into())), "{params:?}");
    }
}

#[test]
fn request_values_never_reach_sql_text() {
    let f = Fixture::new();
    let marker = "zz'; DROP TABLE items; --";
    let e = BoundExpr::Or(
        Box::new(cmp(CompareOp::Eq, name(), s(marker))),
        Box::new(BoundExpr::Any {
            collection: prop_ref(
                None,
                &["tags"],
                ExprType::Collection(Box::new(prim(PrimitiveKind::String))),
            ),
            variable: "t".into(),
            predicate: Some(Box::new(call(
                Function::Contains,
                vec![
                    BoundExpr::Property(prop_ref(Some("t"), &[], prim(PrimitiveKind::String))),
                    s(marker),
                ],
                prim(PrimitiveKind::Boolean),
            ))),
        }),
    );
    let (sql, params) = f.filter(&e);
    assert!(!sql.contains("zz"), "{sql}");
    assert_eq!(params, [T(marker.into()), T(marker.into())]);
    let c = search(
        Backend::Sqlite,
        &f.table,
        &BoundSearch::Term(marker.into()),
        &[plain(f.table.column_index("name").unwrap())],
    );
    let (sql, _) = c.to_sql();
    assert!(!sql.contains("zz"), "{sql}");
}

#[test]
fn order_terms() {
    let f = Fixture::new();
    let keys = [
        BoundOrderBy {
            expr: at(),
            direction: SortDirection::Desc,
        },
        BoundOrderBy {
            expr: call(Function::ToLower, vec![name()], prim(PrimitiveKind::String)),
            direction: SortDirection::Asc,
        },
        BoundOrderBy {
            expr: prop(&["settings", "level"], prim(PrimitiveKind::Int32)),
            direction: SortDirection::Asc,
        },
        BoundOrderBy {
            expr: cmp(CompareOp::Gt, null(), count()),
            direction: SortDirection::Asc,
        },
    ];
    let terms = order_by(Backend::Sqlite, &f.model, &f.table, &NoNavigation, &keys).unwrap();
    let rendered: Vec<(String, Vec<SqlParam>, SortDirection)> = terms
        .iter()
        .map(|t| {
            let (sql, params) = t.to_sql();
            (sql, params, t.direction)
        })
        .collect();
    let shown: Vec<(&str, &[SqlParam], SortDirection)> = rendered
        .iter()
        .map(|(sql, params, d)| (sql.as_str(), params.as_slice(), *d))
        .collect();
    assert_eq!(
        shown,
        [
            ("\"at__utc\"", &[][..], SortDirection::Desc),
            ("odata_lower(\"name\")", &[][..], SortDirection::Asc),
            (
                "CAST(json_extract(\"settings\", ?) AS INTEGER)",
                &[T("$.level".into())][..],
                SortDirection::Asc
            ),
            ("(1 = 0)", &[][..], SortDirection::Asc),
        ]
    );
    let e = order_by(
        Backend::Sqlite,
        &f.model,
        &f.table,
        &NoNavigation,
        &[BoundOrderBy {
            expr: prop(
                &["settings"],
                ExprType::Complex(f.model.find_complex_type("ns.settings").unwrap()),
            ),
            direction: SortDirection::Asc,
        }],
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
}

/// `$search` over a string property's column.
fn plain(column: usize) -> crate::sql::SearchPath {
    crate::sql::SearchPath {
        column,
        members: Vec::new(),
    }
}

#[test]
fn search_looks_into_complex_members_through_json() {
    let f = Fixture::new();
    let path = crate::sql::SearchPath {
        column: f.table.column_index("name").unwrap(),
        members: vec!["address".into(), "city".into()],
    };
    let term = BoundSearch::Term("sea".into());
    let (sql, _) = search(
        Backend::Sqlite,
        &f.table,
        &term,
        std::slice::from_ref(&path),
    )
    .to_sql();
    assert!(sql.contains("json_extract(\"name\", "), "{sql}");
    let (sql, params) = search(Backend::Postgres, &f.table, &term, &[path]).to_sql();
    assert!(sql.contains("CAST(\"name\" AS jsonb) -> ? -> ?"), "{sql}");
    assert_eq!(
        params.len(),
        3,
        "the two members and the term, bound: {params:?}"
    );
}

#[test]
fn search_conditions() {
    let f = Fixture::new();
    let name = f.table.column_index("name").unwrap();
    let id = f.table.column_index("id").unwrap();
    let term = |t: &str| Box::new(BoundSearch::Term(t.into()));
    let c = search(
        Backend::Sqlite,
        &f.table,
        &BoundSearch::And(term("a"), Box::new(BoundSearch::Not(term("b")))),
        &[plain(name), plain(id)],
    );
    let (sql, params) = c.to_sql();
    assert_eq!(
        sql,
        "((COALESCE((instr(odata_lower(\"name\"), odata_lower(?)) > 0), 0) OR COALESCE((instr(odata_lower(\"id\"), \
         odata_lower(?)) > 0), 0)) AND (NOT (COALESCE((instr(odata_lower(\"name\"), odata_lower(?)) > 0), 0) OR \
         COALESCE((instr(odata_lower(\"id\"), odata_lower(?)) > 0), 0))))"
    );
    assert_eq!(
        params,
        [T("a".into()), T("a".into()), T("b".into()), T("b".into())]
    );
    let (sql, params) = search(
        Backend::Sqlite,
        &f.table,
        &BoundSearch::Term("a".into()),
        &[],
    )
    .to_sql();
    assert_eq!(sql, "(1 = 0)");
    assert!(params.is_empty());
}

#[test]
fn params_bind_in_order() {
    use sqlx::Arguments;
    let mut args = sqlx::sqlite::SqliteArguments::default();
    for p in [N, I(1), R(1.5), T("x".into())] {
        p.bind(&mut args).unwrap();
    }
    assert_eq!(args.len(), 4);
}

#[test]
fn time_ranges_count_whole_days_and_the_partial_ends() {
    use super::range_count::{self, TimeRange};
    let mut f = Fixture::new();
    let column = f.table.column_index("at").unwrap();
    f.table.range_counts = vec![column];
    let day = 864_000_000_000_i64;
    let t0 = DateTimeOffset::parse("2025-03-01T00:00:00Z")
        .unwrap()
        .utc_ticks();
    let both = |low: BoundExpr, high: BoundExpr| BoundExpr::And(Box::new(low), Box::new(high));
    let statement = |filter: &BoundExpr| {
        let range = TimeRange::of_filter(&f.table, filter).expect("a time range");
        range_count::count(&super::dialect::Sqlite, &f.table, "t", &range).params
    };
    // 14 whole days (buckets shifted by 800 000 days), nothing before, half a day after;
    // then the tenant's whole count.
    let fortnight = both(
        cmp(CompareOp::Ge, at(), dto("2025-03-01T00:00:00Z")),
        cmp(CompareOp::Lt, at(), dto("2025-03-15T12:00:00Z")),
    );
    let (first, end) = (t0 / day + 800_000, t0 / day + 800_014);
    assert_eq!(
        statement(&fortnight),
        [
            T("t".into()),
            I(first),
            I(end),
            T("t".into()),
            I(t0),
            I(t0),
            T("t".into()),
            I(t0 + 14 * day),
            I(t0 + 14 * day + day / 2),
            T("t".into())
        ]
    );
    // The same range with the literals on the left, gt/le spelled as the next tick.
    let flipped = both(
        cmp(CompareOp::Le, dto("2025-03-01T00:00:00Z"), at()),
        cmp(CompareOp::Gt, dto("2025-03-15T12:00:00Z"), at()),
    );
    assert_eq!(statement(&flipped), statement(&fortnight));
    let ticks_apart = both(
        cmp(CompareOp::Gt, at(), dto("2025-02-28T23:59:59.9999999Z")),
        cmp(CompareOp::Le, at(), dto("2025-03-15T11:59:59.9999999Z")),
    );
    assert_eq!(statement(&ticks_apart), statement(&fortnight));
    // Less than a day: no bucket, the index counts it all.
    let hour = both(
        cmp(CompareOp::Ge, at(), dto("2025-03-01T10:00:00Z")),
        cmp(CompareOp::Lt, at(), dto("2025-03-01T11:00:00Z")),
    );
    let params = statement(&hour);
    assert_eq!(params[1], params[2], "an empty run of buckets: {params:?}");
    assert_eq!(params[4], I(t0 + 10 * day / 24));
    assert_eq!(params[5], I(t0 + 11 * day / 24));
    // Not a range the counts serve.
    let not_ranges = [
        cmp(CompareOp::Ne, at(), dto("2025-03-01T00:00:00Z")),
        BoundExpr::Or(
            Box::new(cmp(CompareOp::Ge, at(), dto("2025-03-01T00:00:00Z"))),
            Box::new(cmp(CompareOp::Lt, at(), dto("2025-03-15T12:00:00Z"))),
        ),
        both(
            cmp(CompareOp::Ge, at(), dto("2025-03-01T00:00:00Z")),
            cmp(CompareOp::Gt, count(), int(3)),
        ),
        cmp(CompareOp::Ge, at(), null()),
    ];
    for filter in &not_ranges {
        assert_eq!(TimeRange::of_filter(&f.table, filter), None, "{filter:?}");
    }
    f.table.range_counts.clear();
    assert_eq!(TimeRange::of_filter(&f.table, &fortnight), None);
}

#[test]
fn a_wide_range_walks_the_default_order() {
    use super::range_count::TimeRange;
    // A page of 2 in a range holding a quarter of 100 000 entities: about 8 entities
    // walked against 25 000 sorted.
    assert!(TimeRange::walks_default_order(2, 25_000, 100_000));
    // A day of a year: 2 pages of 101 would walk 37 000 entities to sort 275.
    assert!(!TimeRange::walks_default_order(101, 275, 100_000));
    assert!(!TimeRange::walks_default_order(1, 0, 0));
}

#[test]
fn text_matches_imply_conditions_their_indexes_serve() {
    let mut f = Fixture::new();
    f.table.trigram_indexes = vec![f.table.column_index("name").unwrap()];
    let boolean = prim(PrimitiveKind::Boolean);
    let text =
        |function: Function, needle: &str| call(function, vec![name(), s(needle)], boolean.clone());
    let on = |backend: Backend, e: &BoundExpr| -> Vec<(String, Vec<SqlParam>)> {
        implied_conditions(backend, &f.table, e)
            .into_iter()
            .map(|c| c.to_sql())
            .collect()
    };
    let sqlite_index = "likelihood(\"name\" IN (SELECT \"name\" FROM \"items__trigram__name\" \
                        WHERE \"name\" GLOB ?), 0.0001)";

    // SQLite: a needle of four characters or more, as a GLOB pattern at its anchor.
    for (function, pattern) in [
        (Function::Contains, "*abcd*"),
        (Function::EndsWith, "*abcd"),
    ] {
        assert_eq!(
            on(Backend::Sqlite, &text(function, "abcd")),
            [(sqlite_index.to_owned(), vec![T(pattern.into())])]
        );
    }
    // A prefix is a range of the column's b-tree, any length, on both databases.
    let range = "(\"name\" >= ? AND \"name\" < ?)".to_owned();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        assert_eq!(
            on(backend, &text(Function::StartsWith, "ab")),
            [(range.clone(), vec![T("ab".into()), T("ac".into())])]
        );
    }
    assert_eq!(
        on(Backend::Sqlite, &text(Function::StartsWith, "\u{10ffff}")),
        [("\"name\" >= ?".to_owned(), vec![T("\u{10ffff}".into())])]
    );
    assert_eq!(on(Backend::Sqlite, &text(Function::StartsWith, "")), []);
    // Characters, not bytes, count; three are too few for SQLite, enough for PostgreSQL.
    assert_eq!(
        on(Backend::Sqlite, &text(Function::Contains, "\u{e9}t\u{e9}")),
        []
    );
    assert_eq!(
        on(Backend::Postgres, &text(Function::Contains, "abc")),
        [("\"name\" LIKE ?".to_owned(), vec![T("%abc%".into())])]
    );
    assert_eq!(on(Backend::Postgres, &text(Function::EndsWith, "ab")), []);
    // GLOB's wildcards are no literal text for SQLite; LIKE's are escaped for PostgreSQL.
    assert_eq!(on(Backend::Sqlite, &text(Function::Contains, "ab*cd")), []);
    assert_eq!(
        on(Backend::Postgres, &text(Function::EndsWith, "5%_\\x")),
        [(
            "\"name\" LIKE ?".to_owned(),
            vec![T("%5\\%\\_\\\\x".into())]
        )]
    );

    // One condition per top-level conjunct the index serves; none under `or` or `not`
    // (where a narrower condition would change the answer), none for other columns,
    // lambda variables or non-literal needles.
    let both = BoundExpr::And(
        Box::new(cmp(CompareOp::Gt, count(), int(1))),
        Box::new(BoundExpr::And(
            Box::new(text(Function::Contains, "abcd")),
            Box::new(text(Function::EndsWith, "wxyz")),
        )),
    );
    assert_eq!(on(Backend::Sqlite, &both).len(), 2);
    let either = BoundExpr::Or(
        Box::new(text(Function::Contains, "abcd")),
        Box::new(cmp(CompareOp::Gt, count(), int(1))),
    );
    assert_eq!(on(Backend::Sqlite, &either), []);
    let negated = BoundExpr::Not(Box::new(text(Function::Contains, "abcd")));
    assert_eq!(on(Backend::Sqlite, &negated), []);
    let other_column = call(
        Function::Contains,
        vec![prop(&["id"], prim(PrimitiveKind::String)), s("abcd")],
        boolean.clone(),
    );
    assert_eq!(on(Backend::Sqlite, &other_column), []);
    let variable = call(
        Function::Contains,
        vec![
            BoundExpr::Property(prop_ref(Some("x"), &["name"], prim(PrimitiveKind::String))),
            s("abcd"),
        ],
        boolean.clone(),
    );
    assert_eq!(on(Backend::Sqlite, &variable), []);
    let column_needle = call(Function::Contains, vec![name(), name()], boolean);
    assert_eq!(on(Backend::Sqlite, &column_needle), []);
}
