//! The query language over HTTP on the Autopilot service: every operator and built-in
//! function at least once, `$select`, `$orderby`, `$top`/`$skip`, `$count`, `$search`,
//! server-driven paging, and the errors a person can act on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_app, urlencode};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";
const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// Ten events with varied values; the serial number is each one's label.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    let rows = [
        (
            "A1",
            "success",
            "2016-12-31T23:59:23.3984029-08:00",
            "PT3M21.5549443S",
            0,
            "Alice@contoso.com",
            Some("10.0.19045"),
        ),
        (
            "A2",
            "failure",
            "2017-01-01T08:00:00+00:00",
            "-PT35.9373414S",
            3,
            "bob@contoso.com",
            Some("10.0.22631"),
        ),
        (
            "B1",
            "inProgress",
            "2017-01-01T09:30:00.5+01:30",
            "PT1H",
            7,
            "carol@fabrikam.com",
            None,
        ),
        (
            "B2",
            "failure",
            "2020-02-29T12:00:00Z",
            "PT0S",
            -1,
            "dave@fabrikam.com",
            Some("10.0.19045"),
        ),
        (
            "C1",
            "successOnRetry",
            "2021-06-15T00:00:00+14:00",
            "P1DT2H",
            2_147_483_647,
            "émile@exämple.com",
            Some("11"),
        ),
        (
            "C2",
            "unknown",
            "2024-01-01T00:00:00-12:00",
            "PT44.239152S",
            -2_147_483_648,
            "frank@contoso.com",
            None,
        ),
    ];
    for (serial, state, time, duration, apps, upn, os) in rows {
        let r = app
            .post_json(
                EVENTS,
                &json!({
                    "deviceSerialNumber": serial,
                    "deploymentState": state,
                    "eventDateTime": time,
                    "deploymentDuration": duration,
                    "targetedAppCount": apps,
                    "userPrincipalName": upn,
                    "osVersion": os,
                }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    app
}

/// Serial numbers of the events a query returns, in response order.
async fn serials(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["deviceSerialNumber"].as_str().unwrap_or("-").to_owned())
        .collect()
}

/// Serials matching a `$filter`, sorted by serial.
async fn matching(app: &TestApp, filter: &str) -> Vec<String> {
    let query = format!("$filter={}&$orderby=deviceSerialNumber", urlencode(filter));
    serials(app, &query).await
}

#[tokio::test]
async fn comparison_logical_and_membership_operators() {
    let app = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        ("deploymentState eq 'failure'", &["A2", "B2"]),
        (
            "deploymentState eq microsoft.graph.windowsAutopilotDeploymentState'failure'",
            &["A2", "B2"],
        ),
        ("deploymentState ne 'failure'", &["A1", "B1", "C1", "C2"]),
        ("osVersion eq null", &["B1", "C2"]),
        ("osVersion ne '10.0.19045'", &["A2", "B1", "C1", "C2"]),
        ("osVersion gt '10.0.2'", &["A2", "C1"]),
        ("not (osVersion gt '10.0.2')", &["A1", "B1", "B2", "C2"]),
        (
            "osVersion ge '11' or osVersion lt '10.0.2'",
            &["A1", "B2", "C1"],
        ),
        (
            "osVersion le '10.0.19045' and targetedAppCount ge 0",
            &["A1"],
        ),
        ("deviceSerialNumber in ('A1','C2','Z9')", &["A1", "C2"]),
        (
            "deploymentState in ('failure','unknown')",
            &["A2", "B2", "C2"],
        ),
        (
            "deploymentState has microsoft.graph.windowsAutopilotDeploymentState'failure'",
            &["A2", "B2", "C1"],
        ),
        // chronological across offsets: A1 is 2017-01-01T07:59:23Z, B1 is 2017-01-01T08:00:00.5Z
        (
            "eventDateTime gt 2017-01-01T08:00:00Z",
            &["B1", "B2", "C1", "C2"],
        ),
        ("eventDateTime lt 2017-01-01T07:59:24Z", &["A1"]),
        (
            "eventDateTime ge 2017-01-01T09:00:00+01:00",
            &["A2", "B1", "B2", "C1", "C2"],
        ),
        ("deploymentDuration lt duration'PT0S'", &["A2"]),
        ("deploymentDuration ge duration'PT1H'", &["B1", "C1"]),
        (
            "targetedAppCount eq 2147483647 or targetedAppCount eq -2147483648",
            &["C1", "C2"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(matching(&app, filter).await, *expected, "{filter}");
    }
}

#[tokio::test]
async fn arithmetic_operators() {
    let app = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        ("targetedAppCount add 1 eq 4", &["A2"]),
        ("targetedAppCount sub 1 eq -2", &["B2"]),
        ("targetedAppCount mul 2 eq 14", &["B1"]),
        ("targetedAppCount div 2 eq 3", &["B1"]),
        ("targetedAppCount divby 2 eq 3.5", &["B1"]),
        ("targetedAppCount mod 4 eq 3", &["A2", "B1", "C1"]),
        ("-targetedAppCount eq 1", &["B2"]),
        (
            "eventDateTime add duration'P1D' lt 2017-01-02T08:00:00Z",
            &["A1"],
        ),
        (
            "deploymentDuration add duration'PT1S' eq duration'PT1S'",
            &["B2"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(matching(&app, filter).await, *expected, "{filter}");
    }
}

#[tokio::test]
async fn string_date_and_math_functions() {
    let app = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        ("contains(userPrincipalName,'contoso')", &["A1", "A2", "C2"]),
        ("startswith(userPrincipalName,'Alice')", &["A1"]),
        ("endswith(userPrincipalName,'fabrikam.com')", &["B1", "B2"]),
        ("length(userPrincipalName) eq 17", &["A1", "B2", "C1", "C2"]),
        ("indexof(userPrincipalName,'@') eq 3", &["A2"]),
        ("substring(userPrincipalName,1,3) eq 'aro'", &["B1"]),
        (
            "substring(deviceSerialNumber,1) eq '2'",
            &["A2", "B2", "C2"],
        ),
        ("tolower(userPrincipalName) eq 'alice@contoso.com'", &["A1"]),
        ("toupper(deviceSerialNumber) eq 'C1'", &["C1"]),
        ("trim(concat(' ',deviceSerialNumber)) eq 'C2'", &["C2"]),
        ("concat(deviceSerialNumber,'x') eq 'A1x'", &["A1"]),
        (
            "length(userPrincipalName) eq 17 and contains(userPrincipalName,'é')",
            &["C1"],
        ),
        // date parts are taken in the value's own offset
        ("year(eventDateTime) eq 2016", &["A1"]),
        (
            "month(eventDateTime) eq 2 and day(eventDateTime) eq 29",
            &["B2"],
        ),
        ("hour(eventDateTime) eq 23", &["A1"]),
        ("minute(eventDateTime) eq 30", &["B1"]),
        ("second(eventDateTime) eq 23", &["A1"]),
        ("fractionalseconds(eventDateTime) eq 0.5", &["B1"]),
        ("date(eventDateTime) eq 2021-06-15", &["C1"]),
        ("time(eventDateTime) eq 12:00:00", &["B2"]),
        ("totaloffsetminutes(eventDateTime) eq -480", &["A1"]),
        ("totaloffsetminutes(eventDateTime) eq 840", &["C1"]),
        ("totalseconds(deploymentDuration) eq 3600", &["B1"]),
        (
            "eventDateTime gt mindatetime() and eventDateTime lt maxdatetime()",
            &["A1", "A2", "B1", "B2", "C1", "C2"],
        ),
        (
            "eventDateTime lt now()",
            &["A1", "A2", "B1", "B2", "C1", "C2"],
        ),
        ("round(targetedAppCount divby 2) eq 4", &["B1"]),
        ("floor(targetedAppCount divby 2) eq 1", &["A2"]),
        ("ceiling(targetedAppCount divby 2) eq 2", &["A2"]),
        ("cast(targetedAppCount,Edm.String) eq '7'", &["B1"]),
        (
            "isof(microsoft.graph.deviceManagementAutopilotEvent) and deviceSerialNumber eq 'A1'",
            &["A1"],
        ),
        (
            "case(targetedAppCount gt 5:'big',true:'small') eq 'big'",
            &["B1", "C1"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(matching(&app, filter).await, *expected, "{filter}");
    }
}

#[tokio::test]
async fn lambda_operators_and_parameter_aliases() {
    let app = spawn_app().await;
    for (name, tags) in [
        ("p1", json!(["0", "1"])),
        ("p2", json!(["2"])),
        ("p3", json!([])),
    ] {
        let r = app
            .post_json(
                PROFILES,
                &json!({
                    "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                    "displayName": name,
                    "roleScopeTagIds": tags,
                }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let names = |body: Value| -> Vec<String> {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["displayName"].as_str().unwrap().to_owned())
            .collect()
    };
    for (filter, expected) in [
        ("roleScopeTagIds/any(t:t eq '1')", vec!["p1"]),
        ("roleScopeTagIds/any()", vec!["p1", "p2"]),
        ("roleScopeTagIds/all(t:t ne '2')", vec!["p1", "p3"]),
        ("roleScopeTagIds/$count eq 1", vec!["p2"]),
        // 4.01: keywords in any case, `length` of a collection.
        ("roleScopeTagIds/ANY(t:t eq '1')", vec!["p1"]),
        ("roleScopeTagIds/All(t:t ne '2')", vec!["p1", "p3"]),
        ("length(roleScopeTagIds) eq 0", vec!["p3"]),
        (
            "length(roleScopeTagIds) ge 1 and length(displayName) eq 2",
            vec!["p1", "p2"],
        ),
        ("displayName eq @name", vec!["p2"]),
    ] {
        let url = format!(
            "{PROFILES}?$filter={}&$orderby=displayName&@name='p2'",
            urlencode(filter)
        );
        let body: Value = app.get_json(&url).await;
        assert_eq!(names(body.clone()), expected, "{filter}: {body}");
    }
}

#[tokio::test]
async fn select_orderby_top_skip_count_search() {
    let app = seeded().await;
    assert_eq!(
        serials(&app, "$orderby=targetedAppCount desc&$top=3").await,
        ["C1", "B1", "A2"]
    );
    assert_eq!(
        serials(&app, "$orderby=osVersion,deviceSerialNumber desc").await,
        ["C2", "B1", "B2", "A1", "A2", "C1"],
        "nulls first ascending, then the second key"
    );
    assert_eq!(
        serials(&app, "$orderby=osVersion desc,deviceSerialNumber").await,
        ["C1", "A2", "A1", "B2", "B1", "C2"],
        "nulls last descending"
    );
    assert_eq!(
        serials(&app, "$orderby=eventDateTime").await,
        ["A1", "A2", "B1", "B2", "C1", "C2"],
        "chronological across offsets"
    );
    assert_eq!(
        serials(&app, "$orderby=deviceSerialNumber&$skip=2&$top=2").await,
        ["B1", "B2"]
    );
    let body: Value = app.get_json(&format!("{EVENTS}?$filter=deploymentState+eq+'failure'&$count=true&$top=1&$select=deviceSerialNumber,deploymentState")).await;
    assert_eq!(body["@odata.count"], 2);
    assert_eq!(
        body["@odata.context"],
        app.url(&format!(
            "$metadata#{EVENTS}(deviceSerialNumber,deploymentState)"
        ))
    );
    let first = body["value"][0].as_object().unwrap();
    let keys: Vec<&str> = first
        .keys()
        .map(String::as_str)
        .filter(|k| !k.starts_with('@'))
        .collect();
    assert_eq!(keys, ["deploymentState", "deviceSerialNumber"]);
    let count = app
        .get(&format!(
            "{EVENTS}/$count?$filter=contains(userPrincipalName,'fabrikam')"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "2");
    assert_eq!(
        serials(
            &app,
            "$search=contoso+AND+NOT+alice&$orderby=deviceSerialNumber"
        )
        .await,
        ["A2", "C2"]
    );
    assert_eq!(
        serials(&app, "$search=\"fabrikam.com\"&$orderby=deviceSerialNumber").await,
        ["B1", "B2"]
    );
    let one: Value = app
        .get_json(&format!("{EVENTS}?$filter=deviceSerialNumber+eq+'A1'"))
        .await;
    let id = one["value"][0]["id"].as_str().unwrap();
    let selected: Value = app
        .get_json(&format!("{EVENTS}/{id}?$select=osVersion"))
        .await;
    assert_eq!(selected["osVersion"], "10.0.19045");
    assert!(selected.get("deviceSerialNumber").is_none());
}

/// Server-driven paging over 3+ pages with an insert between pages: every original row
/// appears exactly once, the next link is absolute, and the last page has none.
#[tokio::test]
async fn paging_is_stable_under_concurrent_inserts() {
    let app = seeded().await;
    let mut url = app.url(&format!(
        "{EVENTS}?$orderby=eventDateTime+desc&$filter=targetedAppCount+ne+12345"
    ));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=2")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["preference-applied"], "odata.maxpagesize=2");
        let body: Value = r.json().await.unwrap();
        pages += 1;
        for e in body["value"].as_array().unwrap() {
            seen.push(e["deviceSerialNumber"].as_str().unwrap().to_owned());
        }
        if pages == 1 {
            // An insert that sorts before the current position must not shift later pages.
            app.post_json(
                EVENTS,
                &json!({"deviceSerialNumber": "NEW", "eventDateTime": "2030-01-01T00:00:00Z"}),
            )
            .send()
            .await
            .unwrap();
        }
        match body.get("@odata.nextLink") {
            Some(link) => {
                let link = link.as_str().unwrap();
                assert!(link.starts_with(&app.root), "{link}");
                assert!(link.contains("$skiptoken="), "{link}");
                url = link.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["C2", "C1", "B2", "B1", "A2", "A1"]);
    let body: Value = app
        .get(&format!("{EVENTS}?$top=3"))
        .header("Prefer", "odata.maxpagesize=2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = body["@odata.nextLink"].as_str().unwrap().to_owned();
    let last: Value = app
        .client
        .get(&next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        last["value"].as_array().unwrap().len(),
        1,
        "$top caps the total"
    );
    assert!(last.get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn query_errors_say_what_and_where() {
    let app = seeded().await;
    let cases = [
        (
            "$filter=deploymentState eq 'failure' and (",
            "$filter",
            "position",
        ),
        ("$filter=serialNumbr eq 'x'", "$filter", "serialNumbr"),
        ("$filter=deploymentState eq 'String'", "$filter", "failure"),
        (
            "$filter=targetedAppCount eq 'x'",
            "$filter",
            "targetedAppCount",
        ),
        (
            "$filter=eventDateTime eq 2017-13-01T00:00:00Z",
            "$filter",
            "position 21",
        ),
        (
            "$filter=contains(targetedAppCount,'1')",
            "$filter",
            "contains",
        ),
        (
            "$filter=nosuchfunction(deviceId)",
            "$filter",
            "nosuchfunction",
        ),
        ("$orderby=nope desc", "$orderby", "nope"),
        ("$select=nope", "$select", "nope"),
        ("$top=-1", "$top", "$top"),
        ("$skiptoken=garbage", "$skiptoken", "skiptoken"),
        (
            "$filter=deviceId eq 'a'&$filter=deviceId eq 'b'",
            "$filter",
            "$filter",
        ),
    ];
    for (query, target, fragment) in cases {
        let r = app.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], target, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(fragment), "{query}: {message}");
    }
    for query in ["$filter=matchesPattern(deviceId,'(')", "$expand=nothing"] {
        let r = app.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
        assert!(
            matches!(
                r.status(),
                StatusCode::NOT_IMPLEMENTED | StatusCode::BAD_REQUEST
            ),
            "{query}: {}",
            r.status()
        );
    }
}

#[tokio::test]
async fn matches_pattern_filters_by_regular_expression() {
    let app = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        (
            "matchesPattern(deviceSerialNumber,'^[AB]1$')",
            &["A1", "B1"],
        ),
        ("matchesPattern(userPrincipalName,'(?i)^ALICE@')", &["A1"]),
        ("matchesPattern(userPrincipalName,'ä')", &["C1"]),
        (
            "not matchesPattern(deviceSerialNumber,'1$') and deviceSerialNumber lt 'C'",
            &["A2", "B2"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(matching(&app, filter).await, *expected, "{filter}");
    }
    let r = app
        .get(&format!(
            "{EVENTS}?$filter={}",
            urlencode("matchesPattern(deviceSerialNumber,'(')")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["target"], "$filter");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("unclosed group"), "{message}");
}

#[tokio::test]
async fn ieee754_compatible_writes_the_count_as_a_string() {
    let app = seeded().await;
    let count = |accept: &'static str| {
        let request = app.get(&format!("{EVENTS}?$count=true&$top=1"));
        async move {
            let body: Value = request
                .header("Accept", accept)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["@odata.count"].clone()
        }
    };
    assert_eq!(count("application/json").await, json!(6));
    assert_eq!(
        count("application/json;IEEE754Compatible=true").await,
        json!("6")
    );
}

/// Every page of a paged response, following next links with `Prefer: maxpagesize`.
async fn pages(app: &TestApp, query: &str, size: u32) -> Vec<Vec<String>> {
    let prefer = format!("odata.maxpagesize={size}");
    let mut url = app.url(&format!("{EVENTS}?{query}"));
    let mut out = Vec::new();
    loop {
        let r = app
            .client
            .get(&url)
            .header("Prefer", &prefer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let body: Value = r.json().await.unwrap();
        out.push(
            body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["deviceSerialNumber"].as_str().unwrap().to_owned())
                .collect(),
        );
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return out,
        }
    }
}

#[tokio::test]
async fn skip_applies_once_across_server_driven_pages() {
    let app = seeded().await;
    // A1 A2 B1 B2 C1 C2 by serial.
    assert_eq!(
        pages(&app, "$orderby=deviceSerialNumber&$skip=1&$top=4", 2).await,
        [vec!["A2", "B1"], vec!["B2", "C1"]]
    );
    assert_eq!(
        pages(&app, "$orderby=deviceSerialNumber desc&$skip=3", 2).await,
        [vec!["B1", "A2"], vec!["A1"]]
    );
    assert_eq!(
        pages(&app, "$orderby=deviceSerialNumber&$skip=2&$count=true", 5).await,
        [vec!["B1", "B2", "C1", "C2"]]
    );
}

#[tokio::test]
async fn case_mapping_search_and_patterns_follow_unicode_rules() {
    let app = spawn_app().await;
    for name in ["JOSÉ", "josé", "Jose", "ΩMEGA", "Straße"] {
        let r = app
            .post_json(
                PROFILES,
                &json!({
                    "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                    "displayName": name,
                }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (query, expected) in [
        (
            "$filter=tolower(displayName) eq 'josé'",
            vec!["JOSÉ", "josé"],
        ),
        (
            "$filter=toupper(displayName) eq 'JOSÉ'",
            vec!["JOSÉ", "josé"],
        ),
        ("$filter=contains(tolower(displayName),'ωm')", vec!["ΩMEGA"]),
        ("$filter=toupper(displayName) eq 'STRASSE'", vec!["Straße"]),
        (
            "$orderby=tolower(displayName),displayName&$filter=startswith(tolower(displayName),'jos')",
            vec!["Jose", "JOSÉ", "josé"],
        ),
        ("$search=JOSÉ", vec!["JOSÉ", "josé"]),
        ("$search=ωmega", vec!["ΩMEGA"]),
        // Regular expressions mean the same on both databases (the `regex` crate's syntax).
        (
            "$filter=matchesPattern(displayName,'(?i)^josé$')",
            vec!["JOSÉ", "josé"],
        ),
        (
            "$filter=matchesPattern(displayName,'^\\p{Lu}\\p{Ll}')",
            vec!["Jose", "Straße"],
        ),
        (
            "$filter=matchesPattern(displayName,'^\\w+$') and not matchesPattern(displayName,'[a-z]')",
            vec!["JOSÉ", "ΩMEGA"],
        ),
    ] {
        let body = app
            .get_json(&format!(
                "{PROFILES}?{}&$select=displayName",
                urlencode_query(query)
            ))
            .await;
        let mut got: Vec<&str> = body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["displayName"].as_str().unwrap())
            .collect();
        if !query.contains("$orderby") {
            got.sort_unstable();
        }
        let mut expected = expected;
        if !query.contains("$orderby") {
            expected.sort_unstable();
        }
        assert_eq!(got, expected, "{query}");
    }
}

/// `name=value&…` with each value percent-encoded.
fn urlencode_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => format!("{name}={}", urlencode(value)),
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Serials of the events at a path below the service root (`EVENTS/…?…`), following
/// nextLinks with pages of one.
async fn serials_at(app: &TestApp, path: &str) -> Vec<String> {
    let mut url = app.url(path);
    let mut serials = Vec::new();
    loop {
        let r = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=1")
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        assert!(
            body["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("#deviceManagement/autopilotEvents"),
            "{body}"
        );
        for e in body["value"].as_array().unwrap() {
            serials.push(e["deviceSerialNumber"].as_str().unwrap().to_owned());
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    serials.sort();
    serials
}

#[tokio::test]
async fn filter_path_segments_select_members_like_filter() {
    let app = seeded().await;
    let failed = matching(&app, "deploymentState eq 'failure'").await;
    assert_eq!(failed, ["A2", "B2"]);
    // One segment, pages of one keep it in their nextLinks.
    let path = format!("{EVENTS}/$filter(deploymentState eq 'failure')");
    assert_eq!(serials_at(&app, &path).await, failed);
    // With $filter, with another segment, through an alias: all ANDed.
    let both = matching(
        &app,
        "deploymentState eq 'failure' and targetedAppCount ge 0",
    )
    .await;
    assert_eq!(both, ["A2"]);
    let with_option = format!("{path}?$filter=targetedAppCount ge 0");
    assert_eq!(serials_at(&app, &with_option).await, both);
    let two = format!("{path}/$filter(targetedAppCount ge 0)");
    assert_eq!(serials_at(&app, &two).await, both);
    let aliased = format!("{EVENTS}/$filter(@f)?@f=deploymentState eq 'failure'");
    assert_eq!(serials_at(&app, &aliased).await, failed);
    // A slash inside the expression's string or parentheses does not end the segment.
    let slashes =
        format!("{EVENTS}/$filter(osVersion ne '10/0' and (deploymentState eq 'failure'))");
    let expected = matching(&app, "osVersion ne '10/0' and deploymentState eq 'failure'").await;
    assert_eq!(serials_at(&app, &slashes).await, expected);
    // $count and $ref after it.
    let count = app.get(&format!("{path}/$count")).send().await.unwrap();
    assert_eq!(count.status(), StatusCode::OK);
    assert_eq!(count.text().await.unwrap(), "2");
    let refs = app.get_json(&format!("{path}/$ref")).await;
    assert_eq!(refs["value"].as_array().unwrap().len(), 2, "{refs}");

    // Mistakes: the expression's own errors name $filter; a segment without its closing
    // parenthesis; a key after it; a write to it.
    let r = app
        .get(&format!("{EVENTS}/$filter(deploymentState eq)"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["target"], "$filter", "{body}");
    let r = app
        .get(&format!("{EVENTS}/$filter(deploymentState eq 'failure'"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app.get(&format!("{path}/some-id")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    let before = app.count(EVENTS).await;
    let r = app
        .post_json(&path, &json!({"deviceSerialNumber": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        app.count(EVENTS).await,
        before,
        "the refused write stored nothing"
    );
}
