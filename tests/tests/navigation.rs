//! Following navigation properties: a device identity's `deploymentProfile` (a reference,
//! 204 when null), a profile's `assignedDevices` (the identities whose `deploymentProfile`
//! it is) with query options, paging, `$count` and member access, tenant and existence
//! checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

async fn profile(app: &TestApp, id: &str, name: &str) {
    app.create_profile(id, name).await;
}

async fn identity(app: &TestApp, id: &str, serial: &str) {
    let r = app
        .post_json(IDENTITIES, &json!({"id": id, "serialNumber": serial}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

/// Points an identity's `deploymentProfile` at a profile (`@odata.bind`).
async fn link(app: &TestApp, identity: &str, profile: &str) {
    let r = app
        .patch_json(
            &format!("{IDENTITIES}/{identity}"),
            &json!({"deploymentProfile@odata.bind": format!("{PROFILES}('{profile}')")}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

/// Two profiles; identities d0…d9, the even ones assigned to p1, d1 and d3 to p2, the rest
/// unassigned.
async fn fixture() -> TestApp {
    let app = spawn_app().await;
    profile(&app, "p1", "Kiosk").await;
    profile(&app, "p2", "Office").await;
    for i in 0..10 {
        identity(&app, &format!("d{i}"), &format!("SN-{}", 9 - i)).await;
        match i {
            _ if i % 2 == 0 => link(&app, &format!("d{i}"), "p1").await,
            1 | 3 => link(&app, &format!("d{i}"), "p2").await,
            _ => {}
        }
    }
    app
}

fn ids(body: &Value) -> Vec<&str> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_reference_leads_to_the_related_entity_or_to_204() {
    let app = fixture().await;
    let r = app
        .get(&format!("{IDENTITIES}/d2/deploymentProfile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("etag"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], "p1");
    assert_eq!(body["displayName"], "Kiosk");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!("$metadata#{PROFILES}/$entity")),
        "{body}"
    );
    // $select applies to the related entity.
    let body = app
        .get_json(&format!(
            "{IDENTITIES}('d3')/deploymentProfile?$select=displayName"
        ))
        .await;
    assert_eq!(body["displayName"], "Office");
    assert!(body.get("description").is_none(), "{body}");

    // Unassigned, and never-set intended profile: null navigation, 204.
    for path in [
        format!("{IDENTITIES}/d5/deploymentProfile"),
        format!("{IDENTITIES}/d2/intendedDeploymentProfile"),
    ] {
        let r = app.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{path}");
    }
    // A profile deleted since: the link is dangling, the navigation null.
    let r = app
        .client
        .delete(app.url(&format!("{PROFILES}/p2")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .get(&format!("{IDENTITIES}/d1/deploymentProfile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The source must exist.
    let r = app
        .get(&format!("{IDENTITIES}/nope/deploymentProfile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Collection options do not apply to a single entity.
    let r = app
        .get(&format!("{IDENTITIES}/d2/deploymentProfile?$top=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_inverse_is_a_collection_with_every_query_option() {
    let app = fixture().await;
    let base = format!("{PROFILES}/p1/assignedDevices");
    let body = app.get_json(&base).await;
    assert_eq!(ids(&body), ["d0", "d2", "d4", "d6", "d8"]);
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!("$metadata#{IDENTITIES}")),
        "{body}"
    );
    let body = app
        .get_json(&format!(
            "{base}?$filter=serialNumber ne 'SN-5'&$orderby=serialNumber&$select=id,serialNumber&$count=true"
        ))
        .await;
    assert_eq!(ids(&body), ["d8", "d6", "d2", "d0"]);
    assert_eq!(body["@odata.count"], 4);
    assert_eq!(
        app.get_json(&format!("{PROFILES}('p2')/assignedDevices"))
            .await["value"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = app.get(&format!("{base}/$count")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "5");
    let r = app
        .get(&format!(
            "{base}/$count?$filter=startswith(serialNumber,'SN-9')"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "1");
    // The source must exist; a profile without devices has an empty collection.
    let r = app
        .get(&format!("{PROFILES}/nope/assignedDevices"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    profile(&app, "p3", "Empty").await;
    let body = app
        .get_json(&format!("{PROFILES}/p3/assignedDevices"))
        .await;
    assert_eq!(ids(&body), Vec::<&str>::new());
}

#[tokio::test]
async fn pages_of_an_inverse_follow_their_own_next_links() {
    let app = fixture().await;
    let mut seen = Vec::new();
    let mut next = Some(app.url(&format!(
        "{PROFILES}/p1/assignedDevices?$orderby=serialNumber desc"
    )));
    while let Some(url) = next {
        let r = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=2")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let body: Value = r.json().await.unwrap();
        seen.extend(ids(&body).into_iter().map(str::to_owned));
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(
                link.contains("/p1/assignedDevices?") || link.contains("('p1')/assignedDevices?"),
                "{link}"
            );
        }
    }
    assert_eq!(seen, ["d0", "d2", "d4", "d6", "d8"]);
}

#[tokio::test]
async fn a_member_of_an_inverse_is_addressed_by_key() {
    let app = fixture().await;
    let body = app
        .get_json(&format!("{PROFILES}/p1/assignedDevices/d4"))
        .await;
    assert_eq!(body["serialNumber"], "SN-5");
    let body = app
        .get_json(&format!(
            "{PROFILES}/p1/assignedDevices('d6')?$select=serialNumber"
        ))
        .await;
    assert_eq!(body["serialNumber"], "SN-3");
    // d1 exists but is p2's; d99 does not exist.
    for member in ["d1", "d99"] {
        let r = app
            .get(&format!("{PROFILES}/p1/assignedDevices/{member}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{member}");
    }
}

#[tokio::test]
async fn whole_navigations_are_not_deleted_and_single_ones_take_no_key() {
    let app = fixture().await;
    let r = app
        .client
        .delete(app.url(&format!("{PROFILES}/p1/assignedDevices")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, POST");
    let r = app
        .get(&format!("{IDENTITIES}/d0/deploymentProfile('p1')"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A path goes on from the entity a single-valued navigation leads to.
    let through = app
        .get_json(&format!("{IDENTITIES}/d0/deploymentProfile/displayName"))
        .await;
    let profile = app
        .get_json(&format!("{IDENTITIES}/d0/deploymentProfile"))
        .await;
    assert!(profile["displayName"].is_string(), "{profile}");
    assert_eq!(through["value"], profile["displayName"]);
}

#[tokio::test]
async fn expand_inlines_references_with_nested_select() {
    let app = fixture().await;
    let body = app
        .get_json(&format!(
            "{IDENTITIES}?$select=id&$expand=deploymentProfile($select=displayName)&$orderby=id"
        ))
        .await;
    let context = body["@odata.context"].as_str().unwrap();
    assert!(
        context.ends_with(&format!(
            "$metadata#{IDENTITIES}(id,deploymentProfile(displayName))"
        )),
        "{context}"
    );
    let values = body["value"].as_array().unwrap();
    assert_eq!(values.len(), 10);
    assert_eq!(values[0]["deploymentProfile"]["displayName"], "Kiosk");
    assert!(values[0]["deploymentProfile"].get("description").is_none());
    assert_eq!(values[1]["deploymentProfile"]["displayName"], "Office");
    assert_eq!(values[5]["deploymentProfile"], Value::Null);
    assert!(values[5].get("serialNumber").is_none());
    // `*` expands every bound navigation; a single entity expands too.
    let body = app.get_json(&format!("{IDENTITIES}/d2?$expand=*")).await;
    assert_eq!(body["deploymentProfile"]["id"], "p1");
    assert_eq!(body["intendedDeploymentProfile"], Value::Null);
    assert_eq!(body["serialNumber"], "SN-7");
}

#[tokio::test]
async fn expand_inlines_inverses_with_nested_options_and_counts() {
    let app = fixture().await;
    let body = app
        .get_json(&format!(
            "{PROFILES}?$orderby=id&$expand=assignedDevices($filter=serialNumber ne 'SN-9';\
             $orderby=serialNumber desc;$top=2;$count=true;$select=serialNumber)"
        ))
        .await;
    let values = body["value"].as_array().unwrap();
    assert_eq!(values[0]["id"], "p1");
    assert_eq!(values[0]["assignedDevices@odata.count"], 4);
    let serials: Vec<&str> = values[0]["assignedDevices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serialNumber"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["SN-7", "SN-5"]);
    assert!(values[0].get("assignedDevices@odata.nextLink").is_none());
    assert_eq!(values[1]["assignedDevices@odata.count"], 2);
    assert_eq!(values[1]["assignedDevices"].as_array().unwrap().len(), 2);

    // Nested $skip per parent, nested $search.
    let body = app
        .get_json(&format!(
            "{PROFILES}?$orderby=id&$expand=assignedDevices($orderby=id;$skip=3)"
        ))
        .await;
    assert_eq!(
        ids(&json!({"value": body["value"][0]["assignedDevices"]})),
        ["d6", "d8"]
    );
    assert_eq!(
        ids(&json!({"value": body["value"][1]["assignedDevices"]})),
        Vec::<&str>::new()
    );
    let body = app
        .get_json(&format!(
            "{PROFILES}('p1')?$expand=assignedDevices($search=\"SN-3\")"
        ))
        .await;
    assert_eq!(ids(&json!({"value": body["assignedDevices"]})), ["d6"]);
    // A nested $filter the related entity does not meet makes the reference null.
    let body = app
        .get_json(&format!(
            "{IDENTITIES}('d2')?$expand=deploymentProfile($filter=displayName eq 'Office')"
        ))
        .await;
    assert_eq!(body["deploymentProfile"], Value::Null);

    // Only the counts.
    let body = app
        .get_json(&format!(
            "{PROFILES}?$orderby=id&$expand=assignedDevices/$count"
        ))
        .await;
    assert_eq!(body["value"][0]["assignedDevices@odata.count"], 5);
    assert_eq!(body["value"][1]["assignedDevices@odata.count"], 2);
    assert!(body["value"][0].get("assignedDevices").is_none());
}

#[tokio::test]
async fn an_expanded_collection_larger_than_a_page_links_to_the_rest() {
    let app = fixture().await;
    let r = app
        .get(&format!(
            "{PROFILES}/p1?$expand=assignedDevices($orderby=serialNumber)"
        ))
        .header("Prefer", "odata.maxpagesize=3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        ids(&json!({"value": body["assignedDevices"]})),
        ["d8", "d6", "d4"]
    );
    let next = body["assignedDevices@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("/assignedDevices?"), "{next}");
    let rest = app.client.get(next).send().await.unwrap();
    assert_eq!(rest.status(), StatusCode::OK, "{next}");
    let rest: Value = rest.json().await.unwrap();
    assert_eq!(ids(&rest), ["d2", "d0"]);
}

#[tokio::test]
async fn expansions_nest_and_are_checked() {
    let app = fixture().await;
    let body = app
        .get_json(&format!(
            "{PROFILES}/p2?$expand=assignedDevices($orderby=id;$expand=deploymentProfile($select=id))"
        ))
        .await;
    let devices = body["assignedDevices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0]["id"], "d1");
    assert_eq!(devices[0]["deploymentProfile"]["id"], "p2");

    for (query, status) in [
        ("$expand=nope", StatusCode::BAD_REQUEST),
        ("$expand=serialNumber", StatusCode::BAD_REQUEST),
        ("$expand=deploymentProfile($top=1)", StatusCode::BAD_REQUEST),
        (
            "$expand=deploymentProfile($filter=nope eq 1)",
            StatusCode::BAD_REQUEST,
        ),
        (
            "$expand=deploymentProfile($expand=assignedDevices($expand=deploymentProfile($expand=assignedDevices($expand=deploymentProfile))))",
            StatusCode::BAD_REQUEST,
        ),
        (
            "$expand=deploymentProfile($levels=2)",
            StatusCode::BAD_REQUEST,
        ),
        (
            "$expand=deploymentProfile/$ref($select=id)",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = app
            .get(&format!("{IDENTITIES}?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{query}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn type_cast_segments_narrow_collections_and_entities() {
    let app = fixture().await;
    let r = app
        .post_json(
            PROFILES,
            &json!({
                "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
                "id": "h1",
                "displayName": "Hybrid",
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let azure = "microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
    let hybrid = "microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
    let body = app
        .get_json(&format!("{PROFILES}/{azure}?$orderby=id"))
        .await;
    assert_eq!(ids(&body), ["p1", "p2"]);
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!("$metadata#{PROFILES}/{azure}")),
        "{body}"
    );
    let r = app
        .get(&format!("{PROFILES}/{hybrid}/$count"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "1");
    // The entity, through either form of the cast; 404 when it is of another type.
    for path in [
        format!("{PROFILES}/{hybrid}/h1"),
        format!("{PROFILES}/h1/{hybrid}"),
    ] {
        let body = app.get_json(&path).await;
        assert_eq!(body["displayName"], "Hybrid", "{path}");
    }
    for path in [
        format!("{PROFILES}/{azure}/h1"),
        format!("{PROFILES}/h1/{azure}"),
    ] {
        let r = app.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // A property of the derived type, after the cast: 404 for an entity of another type.
    let skip = "hybridAzureADJoinSkipConnectivityCheck";
    let body = app
        .get_json(&format!("{PROFILES}/h1/{hybrid}/{skip}"))
        .await;
    assert_eq!(body["value"], false, "{body}");
    let r = app
        .get(&format!("{PROFILES}/p1/{hybrid}/{skip}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .get(&format!("{PROFILES}/h1/{skip}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not without the cast");
    // Derived members in query options, through cast paths.
    let body = app
        .get_json(&format!(
            "{PROFILES}?$filter={hybrid}/{skip} eq false&$select=id,{hybrid}/{skip}"
        ))
        .await;
    assert_eq!(ids(&body), ["h1"]);
    assert_eq!(body["value"][0][skip], false, "{body}");
    // A type outside the hierarchy, and writes through a cast.
    let r = app
        .get(&format!(
            "{PROFILES}/microsoft.graph.windowsAutopilotDeviceIdentity"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .client
        .delete(app.url(&format!("{PROFILES}/h1/{hybrid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn references_are_read_set_and_removed_through_ref() {
    let app = fixture().await;
    // A single-valued navigation's link.
    let body = app
        .get_json(&format!("{IDENTITIES}/d2/deploymentProfile/$ref"))
        .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#$ref"),
        "{body}"
    );
    assert_eq!(body["@odata.id"], app.url(&format!("{PROFILES}('p1')")));
    let r = app
        .get(&format!("{IDENTITIES}/d5/deploymentProfile/$ref"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // A collection-valued navigation's links, with query options and paging.
    let r = app
        .get(&format!(
            "{PROFILES}/p1/assignedDevices/$ref?$orderby=id desc&$count=true"
        ))
        .header("Prefer", "odata.maxpagesize=3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Collection($ref)"),
        "{body}"
    );
    assert_eq!(body["@odata.count"], 5);
    let refs: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["@odata.id"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 3);
    assert!(
        refs[0].ends_with(&format!("{IDENTITIES}('d8')")),
        "{refs:?}"
    );
    let next = body["@odata.nextLink"].as_str().unwrap();
    let rest: Value = app
        .client
        .get(next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["value"].as_array().unwrap().len(), 2);

    // PUT moves the link (If-Match applies to the source), DELETE removes it.
    let etag = app
        .get(&format!("{IDENTITIES}/d5"))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .put(app.url(&format!("{IDENTITIES}/d5/deploymentProfile/$ref")))
        .header("If-Match", "W/\"999\"")
        .json(&json!({"@odata.id": format!("{PROFILES}('p2')")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = app
        .client
        .put(app.url(&format!("{IDENTITIES}/d5/deploymentProfile/$ref")))
        .header("If-Match", etag)
        .json(&json!({"@odata.id": app.url(&format!("{PROFILES}/p2"))}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let body = app
        .get_json(&format!("{IDENTITIES}/d5/deploymentProfile"))
        .await;
    assert_eq!(body["id"], "p2");
    for (body, status) in [
        (
            json!({"@odata.id": format!("{PROFILES}('nope')")}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"@odata.id": format!("{IDENTITIES}('d1')")}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"id": "p1"}), StatusCode::BAD_REQUEST),
    ] {
        let r = app
            .client
            .put(app.url(&format!("{IDENTITIES}/d5/deploymentProfile/$ref")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
    }
    assert_eq!(
        app.get_json(&format!("{IDENTITIES}/d5/deploymentProfile"))
            .await["id"],
        "p2"
    );
    let r = app
        .client
        .delete(app.url(&format!("{IDENTITIES}/d5/deploymentProfile/$ref")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .get(&format!("{IDENTITIES}/d5/deploymentProfile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Removing a member of a collection-valued navigation needs to say which.
    let r = app
        .client
        .delete(app.url(&format!("{PROFILES}/p1/assignedDevices/$ref")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn contained_devices_are_created_inside_not_added_by_reference() {
    let app = spawn_app().await;
    profile(&app, "p1", "Kiosk").await;
    identity(&app, "d1", "SN-1").await;
    let refs = format!("{PROFILES}/p1/assignedDevices/$ref");
    let r = app
        .post_json(
            &refs,
            &json!({"@odata.id": app.url(&format!("{IDENTITIES}/d1"))}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("containment navigation property"),
        "{body}"
    );
    let r = app
        .client
        .delete(app.url(&format!("{refs}?$id={IDENTITIES}/d1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .get(&format!("{IDENTITIES}/d1/deploymentProfile"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // They are created inside it instead.
    let r = app
        .post_json(
            &format!("{PROFILES}/p1/assignedDevices"),
            &json!({"id": "d2", "serialNumber": "SN-2"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let linked = app
        .get_json(&format!("{IDENTITIES}/d2/deploymentProfile"))
        .await;
    assert_eq!(linked["id"], "p1");
    let r = app
        .patch_json(
            &format!("{PROFILES}/p1/assignedDevices/d2"),
            &json!({"groupTag": "lobby"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.get_json(&format!("{IDENTITIES}/d2")).await["groupTag"],
        "lobby"
    );
}

#[tokio::test]
async fn filters_and_orders_follow_single_valued_navigations() {
    let app = fixture().await;
    // d0, d2, … are p1's (Kiosk), d1 and d3 p2's (Office), d5, d7, d9 have none.
    let query = |q: &str| format!("{IDENTITIES}?{q}&$select=id");
    let body = app
        .get_json(&query(
            "$filter=deploymentProfile/displayName eq 'Office'&$orderby=id",
        ))
        .await;
    assert_eq!(ids(&body), ["d1", "d3"]);
    let body = app
        .get_json(&query(
            "$filter=deploymentProfile/displayName ne 'Kiosk' and startswith(id,'d')&$orderby=id",
        ))
        .await;
    // `ne` includes the devices without a profile (null ne 'Kiosk').
    assert_eq!(ids(&body), ["d1", "d3", "d5", "d7", "d9"]);
    let body = app
        .get_json(&query(
            "$filter=deploymentProfile/displayName eq null&$orderby=id desc",
        ))
        .await;
    assert_eq!(ids(&body), ["d9", "d7", "d5"]);
    // Whether there is a related entity at all.
    let body = app
        .get_json(&query("$filter=deploymentProfile eq null&$orderby=id"))
        .await;
    assert_eq!(ids(&body), ["d5", "d7", "d9"]);
    let body = app
        .get_json(&format!(
            "{IDENTITIES}/$count?$filter=deploymentProfile ne null"
        ))
        .await;
    assert_eq!(body, json!(7));
    let r = app
        .get(&format!("{IDENTITIES}?$filter=deploymentProfile eq 'p1'"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Ordered by the related entity's property (nulls first), then by key.
    let body = app
        .get_json(&query(
            "$orderby=deploymentProfile/displayName desc,id&$top=4",
        ))
        .await;
    assert_eq!(ids(&body), ["d1", "d3", "d0", "d2"]);
    let body = app
        .get_json(&format!(
            "{IDENTITIES}/$count?$filter=contains(tolower(deploymentProfile/displayName),'osk')"
        ))
        .await;
    assert_eq!(body, json!(5));
    // Through the navigation in an expansion's filter, too.
    let body = app
        .get_json(&format!(
            "{PROFILES}/p2?$expand=assignedDevices($filter=deploymentProfile/displayName eq 'Office';$select=id)"
        ))
        .await;
    assert_eq!(body["assignedDevices"].as_array().unwrap().len(), 2);
    let r = app
        .get(&format!("{IDENTITIES}?$filter=deploymentProfile/nope eq 1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn filters_and_orders_iterate_and_count_collection_valued_navigations() {
    let app = fixture().await;
    // p1 (Kiosk) has d0, d2, d4, d6, d8; p2 (Office) d1 and d3. The serial of dN is
    // SN-(9-N).
    let cases: &[(String, &[&str])] = &[
        (
            format!("{PROFILES}?$filter=assignedDevices/any(d:d/serialNumber eq 'SN-1')"),
            &["p1"],
        ),
        (
            format!(
                "{PROFILES}?$filter=assignedDevices/all(d:startswith(d/serialNumber,'SN-'))&$orderby=id"
            ),
            &["p1", "p2"],
        ),
        (
            format!("{PROFILES}?$filter=assignedDevices/$count lt 5"),
            &["p2"],
        ),
        (
            format!("{PROFILES}?$orderby=assignedDevices/$count,id"),
            &["p2", "p1"],
        ),
        // From a device through its profile to the profile's devices, and back.
        (
            format!(
                "{IDENTITIES}?$filter=deploymentProfile/assignedDevices/$count eq 2&$orderby=id"
            ),
            &["d1", "d3"],
        ),
        (
            format!(
                "{IDENTITIES}?$filter=deploymentProfile/assignedDevices/any(o:o/id ne $it/id and \
                 o/deploymentProfile/displayName eq 'Office')&$orderby=id"
            ),
            &["d1", "d3"],
        ),
    ];
    for (path, expected) in cases {
        let body = app.get_json(path).await;
        assert_eq!(ids(&body), *expected, "{path}");
    }
}

#[tokio::test]
async fn count_with_nested_filter_and_search_counts_matching_members() {
    let app = fixture().await;
    let r = app
        .patch_json(
            &format!("{PROFILES}/p1"),
            &json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "roleScopeTagIds": ["a", "b", "ab"],
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // p1 (Kiosk) has d0, d2, d4, d6, d8; p2 (Office) d1 and d3. The serial of dN is
    // SN-(9-N).
    let cases: &[(String, &[&str])] = &[
        (
            format!(
                "{PROFILES}?$filter=assignedDevices/$count($filter=serialNumber ne 'SN-9') gt 3"
            ),
            &["p1"],
        ),
        (
            format!(
                "{PROFILES}?$filter=assignedDevices/$count($filter=serialNumber eq 'SN-8' or \
                 serialNumber eq 'SN-6') eq 2"
            ),
            &["p2"],
        ),
        (
            format!(
                "{PROFILES}?$filter=assignedDevices/$count($filter=$it/displayName eq 'Kiosk') gt 0"
            ),
            &["p1"],
        ),
        (
            format!("{PROFILES}?$filter=assignedDevices/$count($search=\"SN-3\") eq 1"),
            &["p1"],
        ),
        (
            format!(
                "{PROFILES}?$filter=assignedDevices/$count($search=\"SN-3\" OR \"SN-8\";\
                 $filter=serialNumber ne 'SN-3') eq 1&$orderby=id"
            ),
            &["p2"],
        ),
        (
            format!(
                "{PROFILES}?$orderby=assignedDevices/$count($filter=serialNumber eq 'SN-8') desc,id"
            ),
            &["p2", "p1"],
        ),
        // A collection of strings: `$this` is the item.
        (
            format!("{PROFILES}?$filter=roleScopeTagIds/$count($filter=$this ne 'a') eq 2"),
            &["p1"],
        ),
        (
            format!("{PROFILES}?$filter=roleScopeTagIds/$count($search=B) eq 2"),
            &["p1"],
        ),
        (
            format!("{PROFILES}?$filter=roleScopeTagIds/$count($search=NOT b) eq 0&$orderby=id"),
            &["p2"],
        ),
    ];
    for (path, expected) in cases {
        let body = app.get_json(path).await;
        assert_eq!(ids(&body), *expected, "{path}");
    }
    for bad in [
        "assignedDevices/$count($filter=nope eq 1) gt 0",
        "assignedDevices/$count($filter=serialNumber) gt 0",
        "assignedDevices/$count($top=1) gt 0",
        "displayName/$count($filter=$this eq 'x') gt 0",
    ] {
        let r = app
            .get(&format!("{PROFILES}?$filter={bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], "$filter", "{bad}: {body}");
    }
}

#[tokio::test]
async fn filter_segments_after_a_navigation_select_its_members() {
    let app = fixture().await;
    // p1 holds d0, d2, d4, d6, d8 with serials SN-9, SN-7, SN-5, SN-3, SN-1.
    let filtered = format!("{PROFILES}/p1/assignedDevices/$filter(serialNumber gt 'SN-2')");
    let mut seen = Vec::new();
    let mut next = Some(app.url(&format!("{filtered}?$orderby=serialNumber")));
    while let Some(url) = next {
        let r = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let body: Value = r.json().await.unwrap();
        seen.extend(ids(&body).into_iter().map(str::to_owned));
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(link.contains("/assignedDevices/$filter("), "{link}");
        }
    }
    assert_eq!(seen, ["d6", "d4", "d2", "d0"]);
    let count = app.get(&format!("{filtered}/$count")).send().await.unwrap();
    assert_eq!(count.text().await.unwrap(), "4");
    let both = app
        .get_json(&format!(
            "{filtered}/$filter(serialNumber lt 'SN-8')?$filter=serialNumber ne 'SN-5'"
        ))
        .await;
    let mut both = ids(&both);
    both.sort_unstable();
    assert_eq!(both, ["d2", "d6"]);
    let refs = app.get_json(&format!("{filtered}/$ref")).await;
    assert_eq!(refs["value"].as_array().unwrap().len(), 4, "{refs}");
    // A member after the segment is not served; a single-valued navigation takes none.
    let r = app.get(&format!("{filtered}/d0")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    let r = app
        .get(&format!(
            "{IDENTITIES}/d0/deploymentProfile/$filter(displayName eq 'Kiosk')"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
