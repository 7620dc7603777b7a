//! Unit tests of the query syntax layer: table-driven per parser, round trips through
//! `Display`, limits, and property tests (AST → text → AST, and never-panic).

use super::*;

fn limits() -> ParseLimits {
    ParseLimits::default()
}

/// Parses `$filter` text, checks that printing and re-parsing gives an equal tree, and
/// returns the tree.
fn verified(text: &str) -> Expr {
    let ast = parse_filter(text, &limits()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let printed = ast.to_string();
    let again = parse_filter(&printed, &limits())
        .unwrap_or_else(|e| panic!("re-parse of {printed:?} (from {text:?}): {e}"));
    assert_eq!(ast, again, "round trip of {text:?} via {printed:?}");
    ast
}

/// Asserts the canonical form of a `$filter` (and its round trip).
fn canonical(text: &str, expected: &str) {
    assert_eq!(
        verified(text).to_string(),
        expected,
        "canonical form of {text:?}"
    );
}

#[test]
fn filter_canonical_forms() {
    let cases = [
        ("a eq 1", "a eq 1"),
        ("a eq 1 and b ne 'x''y'", "(a eq 1) and (b ne 'x''y')"),
        ("a or b and c", "a or (b and c)"),
        ("a and b or c", "(a and b) or c"),
        ("not a eq b", "not (a eq b)"),
        ("not a eq b and c", "(not (a eq b)) and c"),
        ("not contains(Name,'x')", "not contains(Name,'x')"),
        ("not(a)", "not a"),
        ("a add b mul c", "a add (b mul c)"),
        ("a sub b sub c", "(a sub b) sub c"),
        ("(a add b) mul c", "(a add b) mul c"),
        ("-a mul b", "-a mul b"),
        ("- 5", "-(5)"),
        ("-5", "-5"),
        ("-INF eq x", "-INF eq x"),
        ("a divby 2 eq 2.5", "(a divby 2) eq 2.5"),
        ("a mod 5 eq 0", "(a mod 5) eq 0"),
        ("Price add 2.45 eq 5.00", "(Price add 2.45) eq 5.00"),
        ("( true )", "true"),
        ("TRUE", "true"),
        ("Name in ('Milk', 'Cheese')", "Name in ('Milk','Cheese')"),
        ("Name in ()", "Name in ()"),
        ("Name in ('a')", "Name in ('a')"),
        ("Name in (Other)", "Name in Other"),
        ("Name in @list", "Name in @list"),
        ("Name in [\"a\",'b']", "Name in [\"a\",'b']"),
        (
            "style has Sales.Pattern'Yellow'",
            "style has Sales.Pattern'Yellow'",
        ),
        ("a/b/c eq $it/d", "a/b/c eq $it/d"),
        ("$this eq 'x'", "$this eq 'x'"),
        ("$root/People/Name eq 'x'", "$root/People/Name eq 'x'"),
        ("ns.Type/prop eq 1", "ns.Type/prop eq 1"),
        ("a/ns.Type/prop eq 1", "a/ns.Type/prop eq 1"),
        ("Products/$count gt 0", "Products/$count gt 0"),
        (
            "Products/$count($filter=Price gt 5.00;$search=blue) gt 2",
            "Products/$count($filter=Price gt 5.00;$search=blue) gt 2",
        ),
        (
            "Items/$filter(x eq 1)/$count eq 0",
            "Items/$filter(x eq 1)/$count eq 0",
        ),
        ("Products/any()", "Products/any()"),
        ("Products/any( )", "Products/any()"),
        (
            "Products/any(p:p/Price gt 1)",
            "Products/any(p:p/Price gt 1)",
        ),
        (
            "a/any(x:x/b/all(y:y/c eq x/d))",
            "a/any(x:x/b/all(y:y/c eq x/d))",
        ),
        ("contains(Name,'x')", "contains(Name,'x')"),
        ("geo.distance(a, b) lt 10", "geo.distance(a,b) lt 10"),
        ("now()", "now()"),
        (
            "substring(Name, 1, 2) eq 'ab'",
            "substring(Name,1,2) eq 'ab'",
        ),
        ("cast(Edm.String)", "cast(Edm.String)"),
        ("cast(a, Edm.Int32) gt 1", "cast(a,Edm.Int32) gt 1"),
        ("isof(Model.Customer)", "isof(Model.Customer)"),
        ("isof('Model.Customer')", "isof(Model.Customer)"),
        ("cast(a, 'Edm.Byte') eq 1", "cast(a,Edm.Byte) eq 1"),
        ("cast('Edm.String')", "cast(Edm.String)"),
        (
            "isof(a,Collection(Edm.String))",
            "isof(a,Collection(Edm.String))",
        ),
        (
            "case(X gt 0:1,X lt 0:-1,true:0) eq 1",
            "case(X gt 0:1,X lt 0:-1,true:0) eq 1",
        ),
        ("Model.Available()", "Model.Available()"),
        (
            "Products/Model.ByColor(color='green')/Name",
            "Products/Model.ByColor(color='green')/Name",
        ),
        ("Model.Fn(p=@a)/x eq 1", "Model.Fn(p=@a)/x eq 1"),
        ("@p eq 1", "@p eq 1"),
        (
            "Price/@Measures.Currency eq 'EUR'",
            "Price/@Measures.Currency eq 'EUR'",
        ),
        (
            "Price/@Currency#Reporting eq 'EUR'",
            "Price/@Currency#Reporting eq 'EUR'",
        ),
        (
            "@Core.Messages/any(m:m/severity eq 'error')",
            "@Core.Messages/any(m:m/severity eq 'error')",
        ),
        (
            "a eq {\"k\":[1,\"x\\\"y\"],\"n\":null}",
            "a eq {\"k\":[1,\"x\\\"y\"],\"n\":null}",
        ),
        ("a eq null", "a eq null"),
        ("nullable eq true", "nullable eq true"),
        ("trueish eq false", "trueish eq false"),
    ];
    for (input, expected) in cases {
        canonical(input, expected);
    }
}

#[test]
fn literals_keep_their_text() {
    let cases: &[(&str, Literal)] = &[
        ("null", Literal::Null),
        ("tRUe", Literal::Bool(true)),
        (
            "42",
            Literal::Number {
                text: "42".into(),
                kind: NumberKind::Int,
            },
        ),
        (
            "+42",
            Literal::Number {
                text: "+42".into(),
                kind: NumberKind::Int,
            },
        ),
        (
            "-3.14",
            Literal::Number {
                text: "-3.14".into(),
                kind: NumberKind::Decimal,
            },
        ),
        (
            "1e+5",
            Literal::Number {
                text: "1e+5".into(),
                kind: NumberKind::Double,
            },
        ),
        (
            "1e 5",
            Literal::Number {
                text: "1e+5".into(),
                kind: NumberKind::Double,
            },
        ),
        (
            "-0.314E-1",
            Literal::Number {
                text: "-0.314E-1".into(),
                kind: NumberKind::Double,
            },
        ),
        (
            "INF",
            Literal::Number {
                text: "INF".into(),
                kind: NumberKind::Double,
            },
        ),
        (
            "-INF",
            Literal::Number {
                text: "-INF".into(),
                kind: NumberKind::Double,
            },
        ),
        (
            "NaN",
            Literal::Number {
                text: "NaN".into(),
                kind: NumberKind::Double,
            },
        ),
        (
            "3.14f",
            Literal::Number {
                text: "3.14".into(),
                kind: NumberKind::Single,
            },
        ),
        (
            "1.5e2F",
            Literal::Number {
                text: "1.5e2".into(),
                kind: NumberKind::Single,
            },
        ),
        ("'O''Neil'", Literal::String("O'Neil".into())),
        ("''", Literal::String(String::new())),
        (
            "01234567-89ab-cdef-0123-456789abcdef",
            Literal::Guid("01234567-89ab-cdef-0123-456789abcdef".into()),
        ),
        (
            "deadbeef-89ab-cdef-0123-456789abcdef",
            Literal::Guid("deadbeef-89ab-cdef-0123-456789abcdef".into()),
        ),
        ("2012-09-03", Literal::Date("2012-09-03".into())),
        ("-10000-04-01", Literal::Date("-10000-04-01".into())),
        (
            "2016-12-31T23:59:23.3984029-08:00",
            Literal::DateTimeOffset("2016-12-31T23:59:23.3984029-08:00".into()),
        ),
        (
            "2012-09-03T23:59 01:00",
            Literal::DateTimeOffset("2012-09-03T23:59+01:00".into()),
        ),
        (
            "2012-09-03T23:59Z",
            Literal::DateTimeOffset("2012-09-03T23:59Z".into()),
        ),
        ("23:59:01.5", Literal::TimeOfDay("23:59:01.5".into())),
        ("11:22", Literal::TimeOfDay("11:22".into())),
        (
            "duration'P6DT23H59M59.9999S'",
            Literal::Duration("P6DT23H59M59.9999S".into()),
        ),
        (
            "duration'-PT35.9373414S'",
            Literal::Duration("-PT35.9373414S".into()),
        ),
        ("'P1D'", Literal::String("P1D".into())),
        (
            "Sales.Pattern'Yellow'",
            Literal::Enum {
                type_name: "Sales.Pattern".into(),
                value: "Yellow".into(),
            },
        ),
        (
            "Sales.Pattern'Solid,Yellow,+42'",
            Literal::Enum {
                type_name: "Sales.Pattern".into(),
                value: "Solid,Yellow,+42".into(),
            },
        ),
        ("binary'Zm9vYg=='", Literal::Binary("Zm9vYg==".into())),
        (
            "geography'SRID=4326;Point(1.5 2)'",
            Literal::Geo {
                kind: GeoKind::Geography,
                text: "SRID=4326;Point(1.5 2)".into(),
            },
        ),
    ];
    for (input, expected) in cases {
        let lit = parse_literal(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(&lit, expected, "{input}");
        let printed = lit.to_string();
        assert_eq!(
            parse_literal(&printed).as_ref(),
            Ok(expected),
            "{input} via {printed}"
        );
    }
}

#[test]
fn literal_errors() {
    let cases = [
        ("42.", 3, "digit after '.'"),
        ("'abc", 1, "unterminated"),
        ("duration'P1Y'", 9, "invalid duration"),
        ("binary'Z'", 7, "base64url"),
        ("2012-09-03T25:00Z", 11, "time of day"),
        ("2012-09-03T23:00", 16, "time-zone"),
        ("1e", 2, "exponent"),
        ("12ab", 2, "after number"),
        ("X'1a2B'", 0, "literal"),
    ];
    for (input, offset, message) in cases {
        let e = parse_literal(input).expect_err(input);
        assert_eq!(e.offset, offset, "{input}: {e}");
        assert!(e.message.contains(message), "{input}: {e}");
    }
}

#[test]
fn filter_errors_point_at_the_problem() {
    let cases = [
        ("(a eq 1", 7, "expected ')'"),
        ("a eq", 4, "operand after 'eq'"),
        ("a eq 1 and", 10, "operand after 'and'"),
        ("a eq 'x", 6, "unterminated"),
        ("Model.Available", 15, "expected '/'"),
        ("any()", 3, "lambda"),
        ("Products/all()", 13, "lambda variable"),
        ("a/any(x:a/any(x:true))", 15, "already in scope"),
        ("FirstName in (FirstName,LastName)", 23, "expected ')'"),
        ("a/", 2, "after '/'"),
        ("contains(a,'b'", 14, "expected ',' or ')'"),
        ("", 0, "expected an expression"),
        ("$filter(x)", 0, "$it, $this or $root"),
    ];
    for (input, offset, message) in cases {
        let e = parse_filter(input, &limits()).expect_err(input);
        assert_eq!(e.option, "$filter");
        assert_eq!((e.offset, input), (offset, input), "{e}");
        assert!(e.message.contains(message), "{input}: {e}");
    }
}

#[test]
fn error_display() {
    let e = parse_filter("(Name eq 'Milk' and Price lt 2", &limits()).expect_err("unbalanced");
    assert_eq!(e.to_string(), "$filter: expected ')' at position 30");
}

#[test]
fn error_offsets_count_characters() {
    let e = parse_filter("Name eq 'Ärger' and", &limits()).expect_err("dangling");
    assert_eq!(e.offset, 19);
}

#[test]
fn spans_cover_the_source() {
    let e = parse_filter("a eq 'x' and b", &limits()).expect("valid");
    assert_eq!(e.span(), Span::new(0, 14));
    let Expr::Binary { left, right, .. } = &e else {
        panic!("expected and");
    };
    assert_eq!(left.span(), Span::new(0, 8));
    assert_eq!(right.span(), Span::new(13, 14));
}

#[test]
fn lambda_variables_are_scoped() {
    let e = verified("a/any(x:x/b eq x)");
    let Expr::Path { segments, .. } = &e else {
        panic!("path");
    };
    let Some(Segment::Any(Some(lambda))) = segments.last() else {
        panic!("any");
    };
    let Expr::Binary { left, right, .. } = &*lambda.predicate else {
        panic!("eq");
    };
    assert_eq!(
        **left,
        Expr::Path {
            segments: vec![Segment::Var("x".into()), Segment::Member("b".into())],
            span: AttachedSpan::default()
        }
    );
    assert!(
        matches!(&**right, Expr::Path { segments, .. } if segments == &[Segment::Var("x".into())])
    );
    // Outside the lambda, `x` is a property.
    let e = verified("x eq 1");
    assert!(matches!(e, Expr::Binary { left, .. } if *left == Expr::member_path(&["x"])));
}

#[test]
fn orderby_table() {
    let cases = [
        ("Name", "Name"),
        ("Name asc", "Name"),
        ("Name\tdesc", "Name desc"),
        (
            "Name asc,Rating,ReleaseDate desc",
            "Name,Rating,ReleaseDate desc",
        ),
        ("Name DESC, Rating", "Name desc,Rating"),
        ("Cost ge Revenue asc", "Cost ge Revenue"),
        ("Products/$count desc", "Products/$count desc"),
        ("Price/@Measures.Currency", "Price/@Measures.Currency"),
    ];
    for (input, expected) in cases {
        let o = parse_orderby(input, &limits()).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(o.to_string(), expected);
        assert_eq!(parse_orderby(&o.to_string(), &limits()), Ok(o));
    }
    assert!(parse_orderby("Name asc,", &limits()).is_err());
    assert!(parse_orderby("Name up", &limits()).is_err());
}

#[test]
fn select_table() {
    let cases = [
        ("Rating,ReleaseDate", "Rating,ReleaseDate"),
        ("*", "*"),
        ("Address/Street", "Address/Street"),
        (
            "Address/Model.AddressWithLocation/Location",
            "Address/Model.AddressWithLocation/Location",
        ),
        (
            "Model.ActionName,Model.MostPopularName,Model.*",
            "Model.ActionName,Model.MostPopularName,Model.*",
        ),
        (
            "Model.MostPopularName(Location,Kind)",
            "Model.MostPopularName(Location,Kind)",
        ),
        (
            "Addresses($filter=startswith(City,'H');$top=5;$skip=0;$count=true;$orderby=$it;$search=blue;@c=15)",
            "Addresses($filter=startswith(City,'H');$search=blue;$count=true;$orderby=$it;$skip=0;$top=5;@c=15)",
        ),
        (
            "Address($select=Street,City)",
            "Address($select=Street,City)",
        ),
        ("@Core.Messages($top=5)", "@Core.Messages($top=5)"),
        ("a, b", "a,b"),
    ];
    for (input, expected) in cases {
        let s = parse_select(input, &limits()).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(s.to_string(), expected);
        assert_eq!(parse_select(&s.to_string(), &limits()), Ok(s));
    }
    let errors = [
        ("a($expand=b)", 2, "not allowed"),
        ("a($levels=2)", 2, "not allowed"),
        ("a($top=1;$top=2)", 9, "more than once"),
        ("a/", 2, "property name"),
        ("", 0, "expected"),
    ];
    for (input, offset, message) in errors {
        let e = parse_select(input, &limits()).expect_err(input);
        assert_eq!((e.offset, input), (offset, input), "{e}");
        assert!(e.message.contains(message), "{input}: {e}");
    }
}

#[test]
fn expand_table() {
    let cases = [
        ("Items", "Items"),
        ("Items/$ref", "Items/$ref"),
        (
            "Customer,Items($expand=Product)",
            "Customer,Items($expand=Product)",
        ),
        ("Customer($levels=4)", "Customer($levels=4)"),
        ("Category($levels=max)", "Category($levels=max)"),
        ("Items($count=true)", "Items($count=true)"),
        ("Items/$count", "Items/$count"),
        (
            "Items/$count($filter=Name eq 'Hugo')",
            "Items/$count($filter=Name eq 'Hugo')",
        ),
        (
            "Items($select=Quantity;$expand=Product($select=Name,Price);@c=15)",
            "Items($select=Quantity;$expand=Product($select=Name,Price);@c=15)",
        ),
        (
            "*,*/$ref,*($levels=2),Category",
            "*,*/$ref,*($levels=2),Category",
        ),
        (
            "Address/*,Model.VipCustomer/Address/*",
            "Address/*,Model.VipCustomer/Address/*",
        ),
        ("$value,Thumbnail", "$value,Thumbnail"),
        (
            "@Namespace.EntityTerm($top=2)",
            "@Namespace.EntityTerm($top=2)",
        ),
        (
            "Items($filter=a eq 1;$orderby=b desc;$skip=1;$top=2;$search=x;$compute=a as c)",
            "Items($filter=a eq 1;$search=x;$orderby=b desc;$skip=1;$top=2;$compute=a as c)",
        ),
        (
            "Sales($COMPUTE=Amount mul 2 as Tax)",
            "Sales($compute=Amount mul 2 as Tax)",
        ),
        // 4.01: nested options without `$`, in any case.
        (
            "Customer,Items(expand=Product)",
            "Customer,Items($expand=Product)",
        ),
        ("Customer(Levels=4)", "Customer($levels=4)"),
        (
            "Items/$count(filter=Name eq 'Hugo')",
            "Items/$count($filter=Name eq 'Hugo')",
        ),
        ("Items(Top=1;select=a)", "Items($top=1;$select=a)"),
    ];
    for (input, expected) in cases {
        let x = parse_expand(input, &limits()).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(x.to_string(), expected);
        assert_eq!(parse_expand(&x.to_string(), &limits()), Ok(x));
    }
    let errors = [
        ("Customer/$ref($levels=4)", 14, "not allowed in $ref"),
        ("Customer/$ref($select=Name)", 14, "not allowed"),
        ("Customer,Items/$ref($expand=Product)", 20, "not allowed"),
        ("Items/$count($count=true)", 13, "not allowed"),
        ("Category($levels=04)", 17, "leading zeros"),
        ("Items($foo=1)", 6, "unknown"),
        ("Items(Foo=1)", 6, "unknown nested query option Foo"),
        ("Items(top=1;$TOP=2)", 12, "more than once"),
        ("Items(=1)", 6, "expected a query option"),
        ("Items($top=x)", 11, "non-negative integer"),
        ("Items($filter=a eq 1", 20, "expected ';' or ')'"),
        ("*/$count", 1, "*"),
    ];
    for (input, offset, message) in errors {
        let e = parse_expand(input, &limits()).expect_err(input);
        assert_eq!((e.offset, input), (offset, input), "{e}");
        assert!(e.message.contains(message), "{input}: {e}");
    }
}

#[test]
fn search_table() {
    use Search::*;
    let w = |s: &str| Box::new(Word(s.into()));
    let cases = [
        ("blue", Word("blue".into())),
        ("blue green", And(w("blue"), w("green"))),
        ("blue AND green", And(w("blue"), w("green"))),
        ("blue OR green", Or(w("blue"), w("green"))),
        ("blue NOT green", And(w("blue"), Box::new(Not(w("green"))))),
        ("a OR b c", Or(w("a"), Box::new(And(w("b"), w("c"))))),
        (
            "NOT (blue green)",
            Not(Box::new(And(w("blue"), w("green")))),
        ),
        ("\"blue green\"", Phrase("blue green".into())),
        ("AND", Word("AND".into())),
        ("NOT NOT", Not(w("NOT"))),
        ("AND OR NOT", Or(w("AND"), w("NOT"))),
        ("OR AND", And(w("OR"), w("AND"))),
        ("Daniel's", Word("Daniel's".into())),
        ("'\"blue'", Quoted("\"blue".into())),
        ("'('", Quoted("(".into())),
        ("08/15", Word("08/15".into())),
    ];
    for (input, expected) in cases {
        let s = parse_search(input, &limits()).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(s, expected, "{input}");
        assert_eq!(parse_search(&s.to_string(), &limits()), Ok(s), "{input}");
    }
    for bad in ["\"blue", "gr(een", "a;b", "()", "\"\"", "(a"] {
        assert!(parse_search(bad, &limits()).is_err(), "{bad}");
    }
}

#[test]
fn compute_table() {
    let c = parse_compute(
        "Amount mul Product/TaxRate as Tax,day(Time/Date) as WeekDay",
        &limits(),
    )
    .expect("valid");
    assert_eq!(c.items.len(), 2);
    assert_eq!(c.items[1].alias, "WeekDay");
    assert_eq!(
        c.to_string(),
        "Amount mul Product/TaxRate as Tax,day(Time/Date) as WeekDay"
    );
    let e = parse_compute("Amount mul 2", &limits()).expect_err("no alias");
    assert_eq!(e.offset, 12);
    assert!(parse_compute("a as 1b", &limits()).is_err());
}

#[test]
fn query_string_decoding() {
    let o = parse_query_options(
        "$filter=Name+eq+%27O%27%27Neil%27+and+d+lt+2020-01-01T00:00:00+01:00&$top=5",
    )
    .expect("valid");
    assert_eq!(
        o.filter.as_ref().map(ToString::to_string).as_deref(),
        Some("(Name eq 'O''Neil') and (d lt 2020-01-01T00:00:00+01:00)")
    );
    assert_eq!(o.top, Some(5));
    let o = parse_query_options("?$FILTER=x%20eq%201e%2B5&$Top=1").expect("valid");
    assert_eq!(
        o.filter.map(|f| f.to_string()).as_deref(),
        Some("x eq 1e+5")
    );
    assert_eq!(o.top, Some(1));
    let o = parse_query_options("$filter=s+eq+'a%2Bb'").expect("valid");
    assert_eq!(
        o.filter.map(|f| f.to_string()).as_deref(),
        Some("s eq 'a+b'")
    );
}

#[test]
fn query_string_options() {
    let o = parse_query_options(
        "$select=a,b&$expand=c($top=1)&$orderby=a desc&$skip=10&$count=TRUE&$search=blue&$format=json\
         &$compute=a as b&$skiptoken=abc&$deltatoken=d&$apply=groupby((a))&$index=-1\
         &$schemaversion=1.0&$id=http://x/y&@p='x'&@q=[1,2]&custom=1&flag",
    )
    .expect("valid");
    assert_eq!(o.skip, Some(10));
    assert_eq!(o.count, Some(true));
    assert_eq!(o.format.as_deref(), Some("json"));
    assert_eq!(o.apply.as_deref(), Some("groupby((a))"));
    assert_eq!(o.index, Some(IndexOption::Position(-1)));
    assert_eq!(o.aliases.len(), 2);
    assert_eq!(
        o.custom[1],
        CustomOption {
            name: "flag".into(),
            value: None
        }
    );
    let again = parse_query_options(&o.to_query_string()).expect("re-parse");
    assert_eq!(again, o);
}

#[test]
fn system_options_without_dollar_and_in_any_case() {
    let o = parse_query_options("filter=a+eq+1").expect("filter=");
    assert_eq!(o.filter.map(|f| f.to_string()).as_deref(), Some("a eq 1"));
    assert!(o.custom.is_empty());
    let o = parse_query_options("$FILTER=a eq 1").expect("$FILTER=");
    assert!(o.filter.is_some());
    let o = parse_query_options("Top=1").expect("Top=");
    assert_eq!(o.top, Some(1));
    let o = parse_query_options(
        "select=a&Expand=c(top=1)&orderby=a desc&SKIP=10&count=true&search=blue&format=json\
         &compute=a as b&skiptoken=abc&deltatoken=d&apply=identity&index=-1&schemaversion=1&id=i",
    )
    .expect("all $-less");
    assert!(o.custom.is_empty(), "{:?}", o.custom);
    assert_eq!(
        o.to_string(),
        "$search=blue&$apply=identity&$compute=a as b&$select=a&$expand=c($top=1)&$orderby=a desc\
         &$skip=10&$count=true&$format=json&$skiptoken=abc&$deltatoken=d&$index=-1\
         &$schemaversion=1&$id=i"
    );
    // Custom options, `$levels` outside `$expand` and case-sensitive aliases are unchanged.
    let o = parse_query_options("foo=1&levels=2&filters=x&@p=1&@P=2").expect("custom");
    let names: Vec<&str> = o.custom.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["foo", "levels", "filters"]);
    assert_eq!(o.aliases.len(), 2);
    assert!(o.filter.is_none());
}

#[test]
fn system_query_option_names() {
    let cases = [
        ("filter", Some("$filter")),
        ("$FILTER", Some("$filter")),
        ("SkipToken", Some("$skiptoken")),
        ("$skiptoken", Some("$skiptoken")),
        ("$$top", None),
        ("$levels", None),
        ("levels", None),
        ("@top", None),
        ("foo", None),
        ("", None),
    ];
    for (name, expected) in cases {
        assert_eq!(system_query_option_name(name), expected, "{name:?}");
    }
}

#[test]
fn query_string_errors() {
    let cases = [
        ("$filter=a eq 1&$FILTER=b eq 2", "$filter", "more than once"),
        (
            "$top=1&top=2",
            "$top",
            "more than once (as '$top' and 'top')",
        ),
        ("filter=a&$filter=b", "$filter", "more than once"),
        ("TOP=1&top=2", "$top", "more than once"),
        ("top=x", "$top", "non-negative"),
        ("count", "$count", "expected '='"),
        ("$FOO=1", "$foo", "unknown system query option $foo"),
        ("$foo=1", "$foo", "unknown system query option"),
        ("$top=-1", "$top", "non-negative"),
        ("$top=1x", "$top", "unexpected"),
        ("$count=yes", "$count", "true or false"),
        ("$count", "$count", "expected '='"),
        ("$levels=2", "$levels", "only allowed inside $expand"),
        ("$filter=a%2", "query", "percent-encoding"),
        ("$search=#1", "query", "%23"),
        ("@p=1&@p=2", "@p", "more than once"),
        ("@p=(1", "@p", "expected ')'"),
        ("$skiptoken=", "$skiptoken", "expected a value"),
        ("$filter=%FF", "query", "UTF-8"),
    ];
    for (query, option, message) in cases {
        let e = parse_query_options(query).expect_err(query);
        assert_eq!(e.option, option, "{query}: {e}");
        assert!(e.message.contains(message), "{query}: {e}");
    }
    let e = parse_query_options("$top=1&$filter=Name+eq+%27x%27+and").expect_err("dangling");
    assert_eq!(
        e.to_string(),
        "$filter: expected an operand after 'and' at position 15"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = parse_filter(&deep, &limits()).expect_err("too deep");
    assert!(e.message.contains("nesting too deep"), "{e}");
    let nots = format!("{}true", "not ".repeat(10_000));
    assert!(parse_filter(&nots, &limits()).is_err());
    let negs = format!("{}a", "-".repeat(10_000));
    assert!(parse_filter(&negs, &limits()).is_err());
    let lambdas = (0..5_000).fold(String::from("true"), |acc, i| format!("c/any(x{i}:{acc})"));
    assert!(parse_filter(&lambdas, &limits()).is_err());
    let calls = format!("{}a{}", "f(".repeat(10_000), ")".repeat(10_000));
    assert!(parse_filter(&calls, &limits()).is_err());
    let arrays = format!("a in {}1{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_filter(&arrays, &limits()).is_err());
    let expands = format!("{}a{}", "a($expand=".repeat(10_000), ")".repeat(10_000));
    assert!(parse_expand(&expands, &limits()).is_err());
    let search = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse_search(&search, &limits()).is_err());
    let nots = format!("{}a", "NOT ".repeat(10_000));
    assert!(parse_search(&nots, &limits()).is_err());
    // Within the limit, depth 90 parses.
    let ok = format!("{}a{}", "(".repeat(90), ")".repeat(90));
    assert!(parse_filter(&ok, &limits()).is_ok());
}

#[test]
fn search_terms_are_limited() {
    let max = ParseLimits::MAX_SEARCH_TERMS;
    let words = |n: usize| vec!["w"; n].join(" ");
    assert!(parse_search(&words(max), &limits()).is_ok());
    let e = parse_search(&words(max + 1), &limits()).expect_err("101 terms");
    assert_eq!(e.option, "$search");
    assert!(
        e.message
            .starts_with("too many search terms (more than 100)"),
        "{e}"
    );
    // Phrases count one term each, operators none.
    let phrases = vec!["NOT \"a b\""; max].join(" OR ");
    assert!(parse_search(&phrases, &limits()).is_ok());
    let e = parse_search(&format!("{phrases} OR ( x )"), &limits()).expect_err("101 terms");
    assert!(e.message.contains("too many search terms"), "{e}");
    // A thousand terms fit the URL and the node limit, not the term limit.
    let e = parse_query_options(&format!("$search={}", vec!["w"; 1000].join("+AND+")))
        .expect_err("1000 terms");
    assert_eq!(e.option, "$search");
    assert!(
        e.to_string().starts_with("$search: too many search terms"),
        "{e}"
    );
}

#[test]
fn query_options_remember_their_limits() {
    let tight = ParseLimits {
        max_depth: 7,
        max_nodes: 70,
    };
    assert_eq!(
        parse_query_options_with_limits("$top=1", &tight)
            .expect("valid")
            .limits,
        tight
    );
    assert_eq!(parse_query_options("").expect("valid").limits, limits());
}

#[test]
fn limits_are_configurable() {
    let tight = ParseLimits {
        max_depth: 3,
        max_nodes: 10,
    };
    assert!(parse_filter("((a))", &tight).is_ok());
    assert!(parse_filter("(((a)))", &tight).is_err());
    let big_in = format!("a in ({})", vec!["1"; 20].join(","));
    let e = parse_filter(&big_in, &tight).expect_err("too many nodes");
    assert!(e.message.contains("too large"), "{e}");
    let long_or = vec!["a eq 1"; 5_000].join(" or ");
    assert!(parse_filter(&long_or, &limits()).is_err());
    assert!(
        parse_filter(
            &long_or,
            &ParseLimits {
                max_depth: 100,
                max_nodes: 100_000
            }
        )
        .is_ok()
    );
}

mod props {
    use super::super::*;
    use proptest::prelude::*;
    use proptest::test_runner::Config;

    fn span() -> AttachedSpan {
        AttachedSpan::default()
    }

    fn ident() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a",
            "b",
            "Name",
            "Price",
            "_x",
            "Prop1",
            "addresses",
            "Ünïcode",
        ])
        .prop_map(str::to_owned)
    }

    fn literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            Just(Literal::Null),
            any::<bool>().prop_map(Literal::Bool),
            (any::<i32>()).prop_map(|n| Literal::Number {
                text: n.to_string(),
                kind: NumberKind::Int
            }),
            (0u32..1000, 0u32..1000).prop_map(|(a, b)| Literal::Number {
                text: format!("{a}.{b}"),
                kind: NumberKind::Decimal
            }),
            (0u32..100, -20i32..20).prop_map(|(a, e)| Literal::Number {
                text: format!("{a}e{e}"),
                kind: NumberKind::Double
            }),
            prop::sample::select(vec!["INF", "-INF", "NaN"]).prop_map(|t| Literal::Number {
                text: t.into(),
                kind: NumberKind::Double
            }),
            "[ -~äß']{0,8}".prop_map(Literal::String),
            Just(Literal::Guid("01234567-89ab-cdef-0123-456789abcdef".into())),
            Just(Literal::Date("2012-09-03".into())),
            Just(Literal::DateTimeOffset(
                "2016-12-31T23:59:23.3984029-08:00".into()
            )),
            Just(Literal::TimeOfDay("07:59:01.5".into())),
            Just(Literal::Duration("-P1DT2H3M4.5S".into())),
            Just(Literal::Enum {
                type_name: "Sales.Pattern".into(),
                value: "Yellow,Red".into()
            }),
            Just(Literal::Binary("Zm9vYg==".into())),
            Just(Literal::Geo {
                kind: GeoKind::Geometry,
                text: "SRID=0;Point(1 2)".into()
            }),
        ]
    }

    /// A placeholder segment that `fix_scopes` turns into the innermost lambda variable.
    const VAR: &str = "$var";

    fn path() -> impl Strategy<Value = Expr> {
        let first = prop_oneof![
            4 => ident().prop_map(Segment::Member),
            1 => Just(Segment::It),
            1 => Just(Segment::Var(VAR.into())),
            1 => Just(Segment::Annotation("Core.Messages".into())),
        ];
        let rest = prop_oneof![
            4 => ident().prop_map(Segment::Member),
            1 => Just(Segment::Cast("NS.Type".into())),
            1 => Just(Segment::Annotation("Measures.Currency#Q".into())),
        ];
        (first, prop::collection::vec(rest, 0..3)).prop_map(|(f, r)| {
            let mut segments = vec![f];
            segments.extend(r);
            if segments.len() == 1 && matches!(segments[0], Segment::Annotation(_)) {
                segments.push(Segment::Member("x".into()));
            }
            Expr::Path {
                segments,
                span: span(),
            }
        })
    }

    fn leaf() -> impl Strategy<Value = Expr> {
        prop_oneof![
            3 => literal().prop_map(Expr::literal),
            3 => path(),
            1 => ident().prop_map(|name| Expr::Alias { name, span: span() }),
        ]
    }

    fn binary_op() -> impl Strategy<Value = BinaryOp> {
        prop::sample::select(BinaryOp::ALL.to_vec())
    }

    fn expr() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(5, 40, 4, |inner| {
            prop_oneof![
                4 => (binary_op(), inner.clone(), inner.clone())
                    .prop_map(|(op, l, r)| Expr::binary(op, l, r)),
                1 => (inner.clone(), prop::collection::vec(literal(), 0..3)).prop_map(|(l, items)| {
                    Expr::binary(
                        BinaryOp::In,
                        l,
                        Expr::List { items: items.into_iter().map(Expr::literal).collect(), span: span() },
                    )
                }),
                1 => inner.clone().prop_map(|e| Expr::Unary { op: UnaryOp::Not, operand: Box::new(e), span: span() }),
                1 => inner.clone().prop_map(|e| Expr::Unary { op: UnaryOp::Neg, operand: Box::new(e), span: span() }),
                2 => (prop::sample::select(vec!["contains", "geo.distance", "f", "now"]),
                      prop::collection::vec(inner.clone(), 1..3))
                    .prop_map(|(name, args)| Expr::Call { name: name.into(), args, span: span() }),
                1 => (inner.clone(), prop::sample::select(vec!["Edm.String", "Collection(NS.T)"]))
                    .prop_map(|(e, t)| Expr::Call {
                        name: "cast".into(),
                        args: vec![e, Expr::TypeName { name: t.into(), span: span() }],
                        span: span(),
                    }),
                1 => prop::collection::vec((inner.clone(), inner.clone()), 1..3).prop_map(|bs| Expr::Case {
                    branches: bs.into_iter().map(|(when, then)| CaseBranch { when, then }).collect(),
                    span: span(),
                }),
                1 => (ident(), prop::option::of(inner.clone()), any::<bool>()).prop_map(|(coll, pred, all)| {
                    let lambda = pred.map(|p| Lambda { var: String::new(), predicate: Box::new(p) });
                    let seg = match (lambda, all) {
                        (Some(l), true) => Segment::All(l),
                        (l, _) => Segment::Any(l),
                    };
                    Expr::Path { segments: vec![Segment::Member(coll), seg], span: span() }
                }),
                1 => (ident(), prop::collection::vec(("[a-z]{1,3}", inner.clone()), 0..2), ident())
                    .prop_map(|(n, args, tail)| Expr::Path {
                        segments: vec![
                            Segment::Member(n),
                            Segment::Function {
                                name: "NS.Fn".into(),
                                args: args.into_iter().map(|(name, value)| NamedArg { name, value }).collect(),
                            },
                            Segment::Member(tail),
                        ],
                        span: span(),
                    }),
                1 => (ident(), prop::option::of(inner.clone())).prop_map(|(n, filter)| Expr::Path {
                    segments: vec![Segment::Member(n), Segment::Count { filter: filter.map(Box::new), search: None }],
                    span: span(),
                }),
                1 => prop::collection::vec(prop_oneof![
                        inner.clone(),
                        "[ -~é]{0,5}".prop_map(|value| Expr::JsonString { value, span: span() }),
                    ], 0..3)
                    .prop_map(|items| Expr::Array { items, span: span() }),
                1 => prop::collection::vec(("[ -~]{0,4}", inner.clone()), 0..3)
                    .prop_map(|members| Expr::Object { members, span: span() }),
            ]
        })
    }

    /// Names lambda variables `v0`, `v1`, … by nesting level and resolves the `$var`
    /// placeholder to the innermost variable (or a property outside any lambda).
    fn fix_scopes(e: &mut Expr, scope: &mut Vec<String>) {
        match e {
            Expr::Path { segments, .. } => {
                if let Some(Segment::Var(v)) = segments.first_mut()
                    && v == VAR
                {
                    segments[0] = match scope.last() {
                        Some(var) => Segment::Var(var.clone()),
                        None => Segment::Member("outer".into()),
                    };
                }
                for seg in segments.iter_mut() {
                    match seg {
                        Segment::Any(Some(l)) | Segment::All(l) => {
                            l.var = format!("v{}", scope.len());
                            scope.push(l.var.clone());
                            fix_scopes(&mut l.predicate, scope);
                            scope.pop();
                        }
                        Segment::Function { args, .. } => args
                            .iter_mut()
                            .for_each(|a| fix_scopes(&mut a.value, scope)),
                        Segment::Count {
                            filter: Some(f), ..
                        }
                        | Segment::Filter(f) => fix_scopes(f, scope),
                        _ => {}
                    }
                }
            }
            Expr::Call { args, .. }
            | Expr::List { items: args, .. }
            | Expr::Array { items: args, .. } => args.iter_mut().for_each(|a| fix_scopes(a, scope)),
            Expr::Case { branches, .. } => branches.iter_mut().for_each(|b| {
                fix_scopes(&mut b.when, scope);
                fix_scopes(&mut b.then, scope);
            }),
            Expr::Unary { operand, .. } => fix_scopes(operand, scope),
            Expr::Binary { left, right, .. } => {
                fix_scopes(left, scope);
                fix_scopes(right, scope);
            }
            Expr::Object { members, .. } => {
                members.iter_mut().for_each(|(_, v)| fix_scopes(v, scope))
            }
            Expr::Literal { .. }
            | Expr::Alias { .. }
            | Expr::TypeName { .. }
            | Expr::JsonString { .. } => {}
        }
    }

    fn search() -> impl Strategy<Value = Search> {
        let leaf = prop_oneof![
            "[a-z0-9][a-z0-9'.,:@/$=!*+-]{0,6}".prop_map(Search::Word),
            "[a-z ()';]{1,6}".prop_map(Search::Phrase),
        ];
        leaf.prop_recursive(4, 20, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(|s| Search::Not(Box::new(s))),
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Search::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner).prop_map(|(a, b)| Search::Or(Box::new(a), Box::new(b))),
            ]
        })
    }

    fn search_is_clean(s: &Search) -> bool {
        match s {
            Search::Word(w) => !matches!(w.as_str(), "AND" | "OR" | "NOT"),
            Search::Phrase(_) | Search::Quoted(_) => true,
            Search::Not(a) => search_is_clean(a),
            Search::And(a, b) | Search::Or(a, b) => search_is_clean(a) && search_is_clean(b),
        }
    }

    proptest! {
        #![proptest_config(Config { cases: 1_500, ..Config::default() })]

        #[test]
        fn filter_round_trips(mut e in expr()) {
            fix_scopes(&mut e, &mut Vec::new());
            let text = e.to_string();
            let parsed = parse_filter(&text, &ParseLimits { max_depth: 100, max_nodes: 100_000 });
            prop_assert_eq!(parsed.as_ref(), Ok(&e), "text: {}", text);
        }

        #[test]
        fn search_round_trips(s in search()) {
            prop_assume!(search_is_clean(&s));
            let text = s.to_string();
            prop_assert_eq!(parse_search(&text, &ParseLimits::default()), Ok(s), "text: {}", text);
        }
    }

    proptest! {
        #![proptest_config(Config { cases: 500, ..Config::default() })]

        #[test]
        fn query_options_round_trip(
            mut filter in expr(),
            mut order in expr(),
            top in prop::option::of(0u64..1000),
            s in search(),
        ) {
            prop_assume!(search_is_clean(&s));
            fix_scopes(&mut filter, &mut Vec::new());
            fix_scopes(&mut order, &mut Vec::new());
            let opts = QueryOptions {
                filter: Some(filter),
                orderby: Some(OrderBy { items: vec![OrderByItem { expr: order, direction: SortDirection::Desc }] }),
                top,
                search: Some(s),
                limits: ParseLimits { max_depth: 100, max_nodes: 100_000 },
                ..QueryOptions::default()
            };
            let query = opts.to_query_string();
            let parsed = parse_query_options_with_limits(&query, &opts.limits);
            prop_assert_eq!(parsed.as_ref(), Ok(&opts), "query: {}", query);
        }

        #[test]
        fn parsers_never_panic(text in "[ -~äé\t]{0,40}") {
            let l = ParseLimits::default();
            let _ = parse_filter(&text, &l);
            let _ = parse_expr(&text, &l);
            let _ = parse_orderby(&text, &l);
            let _ = parse_select(&text, &l);
            let _ = parse_expand(&text, &l);
            let _ = parse_search(&text, &l);
            let _ = parse_compute(&text, &l);
            let _ = parse_literal(&text);
            let _ = parse_query_options(&text);
        }

        #[test]
        fn parsers_never_panic_on_odata_like_text(
            parts in prop::collection::vec(prop::sample::select(vec![
                "(", ")", "'", "\"", "/", ",", ";", "=", "$", "@", "[", "]", "{", "}", ":", " ",
                "a", "eq", "and", "not", "-", "1", "2.5", "any", "all", "$filter", "$count",
                "$expand", "$select", "$levels", "*", "$ref", "%", "%2", "+", "&", "NS.T", "in",
                "cast", "case", "true", "null", "2012-01-01", "T10:00", "e",
            ]), 0..30)
        ) {
            let text: String = parts.concat();
            let l = ParseLimits::default();
            let _ = parse_filter(&text, &l);
            let _ = parse_orderby(&text, &l);
            let _ = parse_select(&text, &l);
            let _ = parse_expand(&text, &l);
            let _ = parse_search(&text, &l);
            let _ = parse_compute(&text, &l);
            let _ = parse_literal(&text);
            let _ = parse_query_options(&text);
        }
    }
}

#[test]
fn operators_and_not_are_case_insensitive() {
    let upper = parse_filter("NOT (a EQ 1) AND b Gt 2 oR c IN (1,2)", &limits()).expect("parses");
    let lower = parse_filter("not (a eq 1) and b gt 2 or c in (1,2)", &limits()).expect("parses");
    assert_eq!(upper, lower);
    // Identifiers that merely start with an operator keyword stay identifiers.
    let e = parse_filter("notes eq 1 and orders gt 2", &limits()).expect("parses");
    assert_eq!(e.to_string(), "(notes eq 1) and (orders gt 2)");
}

#[test]
fn index_is_a_flag_or_an_integer() {
    let o = parse_query_options("$index=true").expect("flag");
    assert_eq!(o.index, Some(IndexOption::Annotate(true)));
    assert!(o.index.is_some_and(IndexOption::annotates));
    assert_eq!(o.to_string(), "$index=true");
    let o = parse_query_options("Index=FALSE").expect("any case, no $");
    assert_eq!(o.index, Some(IndexOption::Annotate(false)));
    let o = parse_query_options("$index=42").expect("ABNF integer");
    assert_eq!(o.index, Some(IndexOption::Position(42)));
    for bad in ["$index=yes", "$index=truex", "$index=", "$index=1.5"] {
        let e = parse_query_options(bad).expect_err(bad);
        assert_eq!(e.option, "$index", "{bad}: {e}");
    }
}
