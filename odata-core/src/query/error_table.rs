//! Pins the syntax errors of every query option: a table of representative bad inputs,
//! each with its error kind, option, position and message, as an `insta` snapshot
//! (`snapshots/…__error_table.snap`). A changed message shows up as a snapshot diff.

use super::*;

/// Shortens long generated inputs for the table.
fn shown(input: &str) -> String {
    if input.chars().count() <= 60 {
        input.to_owned()
    } else {
        let head: String = input.chars().take(40).collect();
        format!("{head}… ({} chars)", input.chars().count())
    }
}

/// One row: `input => Kind option@position: message`.
fn row(input: &str, limits: &ParseLimits) -> String {
    match parse_query_options_with_limits(input, limits) {
        Ok(_) => format!("{} => accepted (expected an error)", shown(input)),
        Err(e) => format!(
            "{} => {:?} {}@{}: {}",
            shown(input),
            e.kind,
            e.option,
            e.offset,
            e.message
        ),
    }
}

/// Bad query strings, covering every option and every [`ParseErrorKind`].
fn bad_inputs() -> Vec<String> {
    let fixed = [
        // The query string itself.
        "$filter=a eq 1&$FILTER=b eq 2",
        "$top=1&top=2",
        "count",
        "$foo=1",
        "$levels=2",
        "$filter=a%2",
        "$search=#1",
        "$filter=%FF",
        "@p=1&@p=2",
        "@1p=1",
        "@p",
        "$skiptoken=",
        "$format=",
        // $top, $skip, $count, $index
        "$top=-1",
        "$top=1x",
        "$top=99999999999999999999",
        "$skip=abc",
        "$count=yes",
        "$index=x",
        // $filter
        "$filter=",
        "$filter=(a eq 1",
        "$filter=a eq",
        "$filter=a eq 1 and",
        "$filter=a eq 'x",
        "$filter=Model.Available",
        "$filter=any()",
        "$filter=Products/all()",
        "$filter=a/any(x:a/any(x:true))",
        "$filter=a/",
        "$filter=contains(a,'b'",
        "$filter=$filter(x)",
        "$filter=$root",
        "$filter=a eq 42.",
        "$filter=a eq 1e",
        "$filter=a eq 12ab",
        "$filter=a eq duration'P1Y'",
        "$filter=a eq binary'Z'",
        "$filter=a eq geography'nope'",
        "$filter=a eq 2012-09-03T25:00Z",
        "$filter=a eq 2012-09-03T23:00",
        "$filter=a has NS.Color'1x'",
        "$filter=a in [1,2",
        "$filter=a in [\"\\q\"]",
        "$filter=a eq {\"k\" 1}",
        "$filter=cast(a,)",
        "$filter=case(a:1,b)",
        "$filter=a/$count($top=1) gt 1",
        "@p=(1",
        // $orderby
        "$orderby=a,",
        "$orderby=a desc desc",
        // $select
        "$select=a,",
        "$select=a/",
        "$select=a($bogus=1)",
        "$select=a(@p=1;@p=2)",
        "$select=ns.f(a,",
        // $expand
        "$expand=a($top=1;$top=2)",
        "$expand=a($bogus=1)",
        "$expand=a/$count($top=1)",
        "$expand=*/$count",
        "$expand=*($top=1)",
        "$expand=a/$ref(@p=1)",
        "$expand=a($levels=0)",
        "$expand=a($top=1",
        "$expand=a()",
        // $compute
        "$compute=a add 1",
        "$compute=a as 1x",
        // $search
        "$search=\"abc",
        "$search=\"\"",
        "$search=(a",
        "$search='abc",
    ];
    let mut inputs: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
    inputs.push(format!("$filter={}a{}", "(".repeat(200), ")".repeat(200)));
    inputs.push(format!("$search={}", vec!["w"; 101].join("+")));
    inputs
}

#[test]
fn error_table() {
    let limits = ParseLimits::default();
    let mut table: Vec<String> = bad_inputs().iter().map(|i| row(i, &limits)).collect();
    let tight = ParseLimits {
        max_depth: 100,
        max_nodes: 10,
    };
    table.push(format!(
        "(max_nodes 10) {}",
        row("$filter=a in (1,2,3,4,5,6,7,8,9,10,11,12)", &tight)
    ));
    insta::assert_snapshot!(table.join("\n"));
}

#[test]
fn every_kind_is_reported() {
    let kind = |q: &str| parse_query_options(q).expect_err(q).kind;
    assert_eq!(kind("$filter=a eq b c"), ParseErrorKind::Syntax);
    assert_eq!(kind("$filter=a eq"), ParseErrorKind::UnexpectedEnd);
    assert_eq!(kind("$filter=(a"), ParseErrorKind::UnexpectedEnd);
    assert_eq!(kind("$filter=a eq 42."), ParseErrorKind::InvalidLiteral);
    assert_eq!(
        kind("$top=99999999999999999999"),
        ParseErrorKind::InvalidLiteral
    );
    let deep = format!("$filter={}a{}", "(".repeat(500), ")".repeat(500));
    assert_eq!(kind(&deep), ParseErrorKind::TooDeep);
    let long_or = format!("$filter={}", vec!["a eq 1"; 5_000].join(" or "));
    assert_eq!(kind(&long_or), ParseErrorKind::TooManyNodes);
    let words = format!("$search={}", vec!["w"; 101].join(" "));
    assert_eq!(kind(&words), ParseErrorKind::TooManySearchTerms);
    assert_eq!(kind("$foo=1"), ParseErrorKind::UnknownOption);
    assert_eq!(kind("$expand=a($foo=1)"), ParseErrorKind::UnknownOption);
    assert_eq!(kind("$top=1&top=2"), ParseErrorKind::DuplicateOption);
    assert_eq!(
        kind("$expand=a($top=1;top=2)"),
        ParseErrorKind::DuplicateOption
    );
    assert_eq!(
        kind("$expand=a/$count($top=1)"),
        ParseErrorKind::OptionNotAllowed
    );
    assert_eq!(kind("$top"), ParseErrorKind::MissingValue);
    assert_eq!(kind("$filter=%zz"), ParseErrorKind::InvalidEncoding);
}

#[test]
fn common_expr_at_a_position_of_a_larger_value() {
    use parser::expr::parse_common_expr_at;
    let text = "filter(Price gt 5)/top(2)";
    let (end, e) = parse_common_expr_at("$apply", text, 7, &ParseLimits::default()).expect("valid");
    assert_eq!(&text[end..], ")/top(2)");
    assert_eq!(e.span(), Span::new(7, 17));
    assert_eq!(e.to_string(), "Price gt 5");
    let err = parse_common_expr_at("$apply", "filter(Price gt )", 7, &ParseLimits::default())
        .expect_err("missing operand");
    assert_eq!(err.option, "$apply");
    assert_eq!(err.kind, ParseErrorKind::Syntax);
    assert_eq!(err.offset, 16, "{err}");
    assert_eq!(err.message, "expected an expression");
}

#[test]
fn the_list_helper_commits_after_a_separator() {
    use nom::Parser;
    use parser::{Ctx, comma, list1};
    let text = "1, 2,x";
    let ctx = Ctx::new(text, ParseLimits::default());
    let digit = |i| parser::digits(&ctx, i);
    let r = list1(digit, comma).parse(text);
    assert!(matches!(r, Err(nom::Err::Failure(_))), "{r:?}");
    let ok = list1(|i| parser::digits(&ctx, i), comma).parse("1 , 2 rest");
    assert_eq!(ok.map(|(rest, v)| (rest, v.len())).ok(), Some((" rest", 2)));
}

#[test]
fn top_level_search_words_may_contain_an_encoded_semicolon() {
    let o = parse_query_options("$search=a%3Bb").expect("%3B is a word character");
    assert_eq!(o.search, Some(Search::Word("a;b".to_owned())));
    let e = parse_query_options("$search=a;b").expect_err("a raw ';' is not");
    assert_eq!((e.option.as_str(), e.offset), ("$search", 1), "{e}");
    // Nested, `;` separates options whether encoded or not.
    let e = parse_query_options("$expand=m($search=a%3Bb)").expect_err("nested");
    assert_eq!(e.kind, ParseErrorKind::UnknownOption, "{e}");
    assert_eq!(e.message, "unknown nested query option b");
}
