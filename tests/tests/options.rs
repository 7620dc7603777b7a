//! OData 4.01 system query option names over HTTP: the `$` is optional and names are
//! case-insensitive (`filter=`, `$FILTER=`, `Top=`), so such options take effect instead of
//! being ignored as custom options; giving one twice in any spelling is a 400.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EVENTS: &str = "deviceManagement/autopilotEvents";

/// Three events with serial numbers `A`, `B` and `C`.
async fn seeded() -> TestApp {
    let app = spawn_app().await;
    for serial in ["A", "B", "C"] {
        let r = app
            .post_json(EVENTS, &json!({ "deviceSerialNumber": serial }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "POST {serial}");
    }
    app
}

/// The JSON body of `GET events?{query}`, asserting a 200.
async fn ok_body(app: &TestApp, query: &str, prefer: Option<&str>) -> Value {
    let mut request = app.get(&format!("{EVENTS}?{query}"));
    if let Some(prefer) = prefer {
        request = request.header("Prefer", prefer);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

/// Serial numbers of the events in a response, in response order.
fn serials(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["deviceSerialNumber"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn filter_without_dollar_or_in_upper_case_filters() {
    let app = seeded().await;
    for query in [
        "filter=deviceSerialNumber%20eq%20'A'",
        "$FILTER=deviceSerialNumber%20eq%20'A'",
        "Filter=deviceSerialNumber+eq+'A'",
    ] {
        let body = ok_body(&app, query, None).await;
        assert_eq!(serials(&body), ["A"], "{query}");
    }
}

#[tokio::test]
async fn top_orderby_select_and_count_without_dollar_apply() {
    let app = seeded().await;

    let body = ok_body(&app, "Top=1&orderby=deviceSerialNumber", None).await;
    assert_eq!(serials(&body), ["A"], "Top=1");

    // Both directions, so the service's default order cannot satisfy both by chance.
    let body = ok_body(&app, "orderby=deviceSerialNumber%20desc", None).await;
    assert_eq!(serials(&body), ["C", "B", "A"], "orderby=… desc");
    let body = ok_body(&app, "orderby=deviceSerialNumber", None).await;
    assert_eq!(serials(&body), ["A", "B", "C"], "orderby=…");

    let body = ok_body(&app, "SKIP=2&$OrderBy=deviceSerialNumber", None).await;
    assert_eq!(serials(&body), ["C"], "SKIP=2");

    let properties = |event: &Value| -> Vec<String> {
        let mut names: Vec<String> = event
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.contains('@'))
            .cloned()
            .collect();
        names.sort_unstable();
        names
    };
    let full = ok_body(&app, "", None).await;
    assert!(properties(&full["value"][0]).len() > 2, "{full}");
    let body = ok_body(&app, "select=deviceSerialNumber", None).await;
    for event in body["value"].as_array().unwrap() {
        let names = properties(event);
        assert!(
            names.iter().all(|n| n == "deviceSerialNumber" || n == "id"),
            "select=deviceSerialNumber gave {event}"
        );
    }

    let body = ok_body(&app, "count=true&top=1", None).await;
    assert_eq!(body["@odata.count"], 3, "count=true: {body}");
    assert_eq!(serials(&body).len(), 1, "top=1: {body}");
}

#[tokio::test]
async fn the_same_option_twice_in_any_spelling_is_a_400_naming_it() {
    let app = seeded().await;
    let cases = [
        (
            "$filter=deviceSerialNumber%20eq%20'A'&filter=deviceSerialNumber%20eq%20'B'",
            "$filter",
        ),
        ("$top=1&TOP=2", "$top"),
        (
            "orderby=deviceSerialNumber&$ORDERBY=deviceSerialNumber",
            "$orderby",
        ),
    ];
    for (query, target) in cases {
        let r = app.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], target, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("more than once"), "{query}: {message}");
    }
}

#[tokio::test]
async fn unknown_dollar_options_stay_400_and_custom_options_stay_ignored() {
    let app = seeded().await;
    let r = app.get(&format!("{EVENTS}?$foo=1")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = ok_body(&app, "foo=1&filters=x", None).await;
    assert_eq!(serials(&body).len(), 3);
}

#[tokio::test]
async fn paging_works_with_dollar_less_options_and_tokens() {
    let app = seeded().await;
    let prefer = Some("odata.maxpagesize=1");
    let first = ok_body(&app, "orderby=deviceSerialNumber%20desc", prefer).await;
    assert_eq!(serials(&first), ["C"]);
    let link = first["@odata.nextLink"].as_str().unwrap();
    assert!(link.contains("orderby="), "{link}");
    let token = link
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("$skiptoken="))
        .unwrap();

    // The token given as `skiptoken=` continues after C instead of restarting.
    let query = format!("orderby=deviceSerialNumber%20desc&skiptoken={token}");
    let second = ok_body(&app, &query, prefer).await;
    assert_eq!(serials(&second), ["B"], "{query}");

    // The next link carries one token, so following it is not a repeated-option error.
    let link = second["@odata.nextLink"].as_str().unwrap();
    assert_eq!(
        link.to_ascii_lowercase().matches("skiptoken=").count(),
        1,
        "{link}"
    );
    let r = app
        .client
        .get(link)
        .header("Prefer", "odata.maxpagesize=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{link}");
    let third: Value = r.json().await.unwrap();
    assert_eq!(serials(&third), ["A"], "{link}");
}

/// `@odata.index` of each member of a response, in response order (`None` when absent).
fn indexes(body: &Value) -> Vec<Option<u64>> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["@odata.index"].as_u64())
        .collect()
}

#[tokio::test]
async fn index_numbers_members_by_their_position_in_the_whole_result() {
    let app = seeded().await;
    let body = ok_body(&app, "$index=true&$orderby=deviceSerialNumber", None).await;
    assert_eq!(serials(&body), ["A", "B", "C"]);
    assert_eq!(indexes(&body), [Some(0), Some(1), Some(2)]);
    // Control information comes first in each member.
    let first = body["value"][0].as_object().unwrap();
    assert_eq!(
        first.keys().next().map(String::as_str),
        Some("@odata.index")
    );

    // `$skip` shifts the positions; `$top` cuts after them.
    let body = ok_body(
        &app,
        "index=TRUE&$orderby=deviceSerialNumber%20desc&$skip=1&$top=1",
        None,
    )
    .await;
    assert_eq!(serials(&body), ["B"]);
    assert_eq!(indexes(&body), [Some(1)]);

    // With `$filter`, `$select` and `$count`: positions in the filtered result.
    let body = ok_body(
        &app,
        "$index=true&$filter=deviceSerialNumber%20ne%20'A'&$select=deviceSerialNumber\
         &$count=true&$orderby=deviceSerialNumber",
        None,
    )
    .await;
    assert_eq!(body["@odata.count"], 2);
    assert_eq!(serials(&body), ["B", "C"]);
    assert_eq!(indexes(&body), [Some(0), Some(1)]);
    assert!(body["value"][0].get("id").is_none(), "{body}");

    // `$index=false` and no `$index`: no annotation.
    for query in ["$index=false", "$orderby=deviceSerialNumber"] {
        let body = ok_body(&app, query, None).await;
        assert_eq!(indexes(&body), [None, None, None], "{query}");
    }
}

#[tokio::test]
async fn index_continues_across_server_driven_pages() {
    let app = seeded().await;
    let prefer = Some("odata.maxpagesize=2");
    let first = ok_body(&app, "$index=true&$orderby=deviceSerialNumber", prefer).await;
    assert_eq!(indexes(&first), [Some(0), Some(1)]);
    let link = first["@odata.nextLink"].as_str().unwrap();
    let r = app
        .client
        .get(link)
        .header("Prefer", "odata.maxpagesize=2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{link}");
    let second: Value = r.json().await.unwrap();
    assert_eq!(serials(&second), ["C"]);
    assert_eq!(indexes(&second), [Some(2)]);

    // Pages after a `$skip` continue from it.
    let first = ok_body(
        &app,
        "$index=true&$skip=1&$orderby=deviceSerialNumber",
        Some("odata.maxpagesize=1"),
    )
    .await;
    assert_eq!(indexes(&first), [Some(1)]);
    let link = first["@odata.nextLink"].as_str().unwrap();
    let r = app
        .client
        .get(link)
        .header("Prefer", "odata.maxpagesize=1")
        .send()
        .await
        .unwrap();
    let second: Value = r.json().await.unwrap();
    assert_eq!(serials(&second), ["C"]);
    assert_eq!(indexes(&second), [Some(2)]);
}

#[tokio::test]
async fn index_numbers_the_top_level_members_when_expanding() {
    let app = spawn_app().await;
    const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
    const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
    for (id, name) in [("p1", "Kiosk"), ("p2", "Office")] {
        let r = app
            .post_json(
                PROFILES,
                &json!({
                    "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                    "id": id,
                    "displayName": name,
                }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (id, profile) in [("d1", "p1"), ("d2", "p1"), ("d3", "p2")] {
        let r = app
            .post_json(IDENTITIES, &json!({ "id": id, "serialNumber": id }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let r = app
            .patch_json(
                &format!("{IDENTITIES}/{id}"),
                &json!({ "deploymentProfile@odata.bind": format!("{PROFILES}('{profile}')") }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let body = app
        .get_json(&format!(
            "{PROFILES}?$index=true&$orderby=id&$expand=assignedDevices($orderby=id)"
        ))
        .await;
    assert_eq!(indexes(&body), [Some(0), Some(1)], "{body}");
    let devices = body["value"][0]["assignedDevices"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{body}");
    // Only the response's own members are numbered.
    assert!(devices[0].get("@odata.index").is_none(), "{body}");

    // A navigation collection is a collection response too.
    let body = app
        .get_json(&format!(
            "{PROFILES}('p1')/assignedDevices?$index=true&$orderby=id&$skip=1"
        ))
        .await;
    assert_eq!(indexes(&body), [Some(1)], "{body}");
}

#[tokio::test]
async fn index_is_a_400_when_invalid_or_on_a_single_entity() {
    let app = seeded().await;
    let body = ok_body(&app, "$top=1", None).await;
    let id = body["value"][0]["id"].as_str().unwrap().to_owned();
    for query in ["$index=yes", "$index=", "index=1.5"] {
        let r = app.get(&format!("{EVENTS}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], "$index", "{query}: {body}");
    }
    let r = app
        .get(&format!("{EVENTS}/{id}?$index=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["target"], "$index", "{body}");
    // An integer is an insert position into an ordered collection: valid OData this
    // service does not offer.
    let r = app.get(&format!("{EVENTS}?$index=2")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
}

const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// A profile with scope tags `t3 t1 t4 t2` and out-of-box settings.
async fn tagged_profile() -> TestApp {
    let app = spawn_app().await;
    let r = app
        .post_json(
            PROFILES,
            &json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "id": "p1",
                "displayName": "Kiosk",
                "roleScopeTagIds": ["t3", "t1", "t4", "t2"],
                "outOfBoxExperienceSetting": {
                    "eulaHidden": true,
                    "escapeLinkHidden": false,
                    "privacySettingsHidden": true,
                    "userType": "standard",
                },
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    app
}

#[tokio::test]
async fn nested_select_options_shape_a_collection_property() {
    let app = tagged_profile().await;
    let body = app
        .get_json(&format!(
            "{PROFILES}?$select=displayName,roleScopeTagIds($filter=$this ne 't4';\
             $orderby=$this desc;$skip=1;$top=2;$count=true)"
        ))
        .await;
    let profile = &body["value"][0];
    // t3 t1 t2 kept (3), sorted t3 t2 t1, skip 1, top 2.
    assert_eq!(profile["roleScopeTagIds"], json!(["t2", "t1"]), "{body}");
    assert_eq!(profile["roleScopeTagIds@odata.count"], 3, "{body}");
    assert_eq!(profile["displayName"], "Kiosk");
    assert!(profile.get("locale").is_none(), "{body}");
    // The count annotation comes right before its property.
    let names: Vec<&String> = profile.as_object().unwrap().keys().collect();
    let at = names.iter().position(|n| *n == "roleScopeTagIds").unwrap();
    assert_eq!(names[at - 1], "roleScopeTagIds@odata.count", "{names:?}");

    // The same on a single entity, `$`-less and in other letter cases; `$search` too.
    let body = app
        .get_json(&format!(
            "{PROFILES}/p1?$select=roleScopeTagIds(search=t1 OR t2;orderby=$this)"
        ))
        .await;
    assert_eq!(body["roleScopeTagIds"], json!(["t1", "t2"]), "{body}");
    assert!(body.get("roleScopeTagIds@odata.count").is_none(), "{body}");
    // `$it` is the entity.
    let body = app
        .get_json(&format!(
            "{PROFILES}/p1?$select=roleScopeTagIds($filter=$it/displayName eq 'Other')"
        ))
        .await;
    assert_eq!(body["roleScopeTagIds"], json!([]), "{body}");
}

#[tokio::test]
async fn nested_select_picks_members_of_a_complex_property() {
    let app = tagged_profile().await;
    let body = app
        .get_json(&format!(
            "{PROFILES}/p1?$select=outOfBoxExperienceSetting($select=privacySettingsHidden,eulaHidden)"
        ))
        .await;
    let setting = body["outOfBoxExperienceSetting"].as_object().unwrap();
    let names: Vec<&str> = setting
        .keys()
        .filter(|k| !k.starts_with('@'))
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["privacySettingsHidden", "eulaHidden"], "{body}");
    assert_eq!(setting["eulaHidden"], true);
}

#[tokio::test]
async fn invalid_nested_select_options_are_400() {
    let app = tagged_profile().await;
    for select in [
        "roleScopeTagIds($filter=$this)",
        "roleScopeTagIds($filter=nope eq 1)",
        "roleScopeTagIds($top=x)",
        "roleScopeTagIds($select=a)",
        "roleScopeTagIds($bogus=1)",
        "displayName($top=1)",
        "outOfBoxExperienceSetting($top=1)",
        "outOfBoxExperienceSetting($select=nope)",
        "assignedDevices($top=1)",
    ] {
        let r = app
            .get(&format!("{PROFILES}?$select={select}"))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{select}: {body}");
        assert!(body["error"]["message"].is_string(), "{select}: {body}");
    }
    // `$compute` inside is valid OData this service does not offer.
    let r = app
        .get(&format!(
            "{PROFILES}?$select=roleScopeTagIds($compute=length($this) as n)"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
}

#[tokio::test]
async fn nested_select_options_apply_inside_expand() {
    let app = tagged_profile().await;
    const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
    let r = app
        .post_json(IDENTITIES, &json!({ "id": "d1", "serialNumber": "S1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .patch_json(
            &format!("{IDENTITIES}/d1"),
            &json!({ "deploymentProfile@odata.bind": format!("{PROFILES}('p1')") }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = app
        .get_json(&format!(
            "{IDENTITIES}?$expand=deploymentProfile($select=roleScopeTagIds($orderby=$this;$top=1;$count=true))"
        ))
        .await;
    let profile = &body["value"][0]["deploymentProfile"];
    assert_eq!(profile["roleScopeTagIds"], json!(["t1"]), "{body}");
    assert_eq!(profile["roleScopeTagIds@odata.count"], 4, "{body}");
}
