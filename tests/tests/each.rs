//! Set-based writes through `/$each` (OData 4.01): a PATCH applied to every member a
//! `/$filter(…)` segment or type cast selects, a DELETE of every such member, both all or
//! nothing, within the caller's tenant; and the errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{TestApp, bearer_token, spawn_app, spawn_with_bearer};
use autopilot_model::service::{
    IDENTITIES, PROFILES, SERVICE_CONFIG_READ, SERVICE_CONFIG_READ_WRITE,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Identities d0…d5 with serials SN-0…SN-5 and group tag "old".
async fn devices() -> TestApp {
    let app = spawn_app().await;
    for i in 0..6 {
        let body =
            json!({"id": format!("d{i}"), "serialNumber": format!("SN-{i}"), "groupTag": "old"});
        app.create(IDENTITIES, &body).await;
    }
    app
}

/// `(id, groupTag)` of every identity, by id.
async fn tags(app: &TestApp) -> Vec<(String, Value)> {
    let body = app
        .get_json(&format!("{IDENTITIES}?$select=id,groupTag&$orderby=id"))
        .await;
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e["groupTag"].clone()))
        .collect()
}

fn tagged(pairs: &[(&str, &str)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(id, tag)| ((*id).to_owned(), json!(tag)))
        .collect()
}

#[tokio::test]
async fn patch_each_updates_every_selected_member_and_answers_them() {
    let app = devices().await;
    let url = format!("{IDENTITIES}/$filter(serialNumber in ('SN-1','SN-3','SN-4'))/$each");
    let r = app
        .patch_json(&url, &json!({"groupTag": "kiosk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let updated: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(updated, ["d1", "d3", "d4"]);
    assert_eq!(body["value"][0]["groupTag"], "kiosk");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#deviceManagement/windowsAutopilotDeviceIdentities"),
        "{body}"
    );
    assert_eq!(
        tags(&app).await,
        tagged(&[
            ("d0", "old"),
            ("d1", "kiosk"),
            ("d2", "old"),
            ("d3", "kiosk"),
            ("d4", "kiosk"),
            ("d5", "old")
        ])
    );
    // Each member's version moved, as a PATCH of it would move it.
    let r = app.get(&format!("{IDENTITIES}/d1")).send().await.unwrap();
    let d1_etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let r = app.get(&format!("{IDENTITIES}/d0")).send().await.unwrap();
    assert_ne!(r.headers()["etag"].to_str().unwrap(), d1_etag);
    // Two segments and a `$select` shaping the answer; `return=minimal` answers 204.
    let r = app
        .patch_json(
            &format!(
                "{IDENTITIES}/$filter(groupTag eq 'kiosk')/$filter(id ne 'd3')/$each?$select=id,groupTag"
            ),
            &json!({"groupTag": "lobby"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let answered: Vec<(&Value, &Value, &Value)> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (&e["id"], &e["groupTag"], &e["@odata.etag"]))
        .collect();
    // Created, then two set-based updates: version 3.
    let lobby = json!("lobby");
    let v3 = json!("W/\"3\"");
    assert_eq!(
        answered,
        [(&json!("d1"), &lobby, &v3), (&json!("d4"), &lobby, &v3)]
    );
    assert!(body["value"][0].get("serialNumber").is_none(), "{body}");
    let r = app
        .patch_json(&format!("{IDENTITIES}/$each"), &json!({"groupTag": "all"}))
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["preference-applied"], "return=minimal");
    assert!(tags(&app).await.iter().all(|(_, tag)| tag == "all"));
    // Nothing selected: nothing written, an empty answer.
    let r = app
        .patch_json(
            &format!("{IDENTITIES}/$filter(false)/$each"),
            &json!({"groupTag": "none"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["value"], json!([]));
}

#[tokio::test]
async fn patch_each_binds_every_member_to_one_profile() {
    let app = devices().await;
    app.create_profile("p1", "Kiosk").await;
    let r = app
        .patch_json(
            &format!("{IDENTITIES}/$filter(startswith(id,'d') and id lt 'd3')/$each"),
            &json!({"deploymentProfile@odata.bind": format!("{PROFILES}('p1')")}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let body = app
        .get_json(&format!("{PROFILES}/p1/assignedDevices?$select=id"))
        .await;
    let ids: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["d0", "d1", "d2"]);
}

#[tokio::test]
async fn delete_each_deletes_every_selected_member() {
    let app = devices().await;
    let r = app
        .client
        .delete(app.url(&format!(
            "{IDENTITIES}/$filter(endswith(serialNumber,'2') or endswith(serialNumber,'5'))/$each"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let ids: Vec<String> = tags(&app).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["d0", "d1", "d3", "d4"]);
    let r = app
        .client
        .delete(app.url(&format!("{IDENTITIES}/$each")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count(IDENTITIES).await, 0);
}

#[tokio::test]
async fn a_failing_member_fails_the_whole_and_writes_nothing() {
    let app = devices().await;
    let before = tags(&app).await;
    // A value the type refuses: 400 naming it.
    let r = app
        .patch_json(
            &format!("{IDENTITIES}/$each"),
            &json!({"groupTag": "new", "enrollmentState": "bogus"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("bogus"),
        "{body}"
    );
    // One member's ETag matches the first member only: 412, and the first is untouched too.
    let r = app.get(&format!("{IDENTITIES}/d0")).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    app.patch_json(&format!("{IDENTITIES}/d1"), &json!({"groupTag": "moved"}))
        .send()
        .await
        .unwrap();
    let before_412 = tags(&app).await;
    let r = app
        .patch_json(
            &format!("{IDENTITIES}/$filter(id le 'd1')/$each"),
            &json!({"groupTag": "new"}),
        )
        .header("If-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(tags(&app).await, before_412);
    assert_ne!(before, before_412);
    let r = app
        .client
        .delete(app.url(&format!("{IDENTITIES}/$filter(id le 'd1')/$each")))
        .header("If-Match", r#"W/"999""#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(tags(&app).await, before_412);
}

#[tokio::test]
async fn each_answers_errors_naming_what_is_wrong() {
    let app = devices().await;
    let each = format!("{IDENTITIES}/$each");
    // Reading it is not a thing: 405 with what is allowed.
    let r = app.get(&each).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "PATCH, DELETE");
    // Options that window or order do not apply.
    for option in ["$top=1", "$orderby=id", "$skip=1", "$count=true"] {
        let r = app
            .patch_json(&format!("{each}?{option}"), &json!({"groupTag": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{option}");
        let body: Value = r.json().await.unwrap();
        let name = option.split('=').next().unwrap();
        assert_eq!(body["error"]["target"], name, "{body}");
    }
    // Not after a navigation property, and operations bound to $each are not offered.
    let r = app
        .patch_json(
            &format!("{PROFILES}/p1/assignedDevices/$each"),
            &json!({"groupTag": "x"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    let r = app
        .post_json(
            &format!("{each}/microsoft.graph.assignUserToDevice"),
            &json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    // A body that is no object, and an empty one.
    let r = app
        .client
        .patch(app.url(&each))
        .header("Content-Type", "application/json")
        .body("[1]")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(tags(&app).await.iter().all(|(_, tag)| tag == "old"));
}

#[tokio::test]
async fn each_writes_the_callers_tenant_only_and_needs_write_permission() {
    let app = spawn_with_bearer().await;
    let ours = bearer_token(
        "11111111-1111-1111-1111-111111111111",
        SERVICE_CONFIG_READ_WRITE,
    );
    let theirs = bearer_token(
        "22222222-2222-2222-2222-222222222222",
        SERVICE_CONFIG_READ_WRITE,
    );
    let reader = bearer_token("11111111-1111-1111-1111-111111111111", SERVICE_CONFIG_READ);
    for (token, serial) in [(&ours, "SN-1"), (&theirs, "SN-1")] {
        let r = app
            .post_json(
                IDENTITIES,
                &json!({"serialNumber": serial, "groupTag": "old"}),
            )
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let each = format!("{IDENTITIES}/$filter(serialNumber eq 'SN-1')/$each");
    let r = app
        .patch_json(&each, &json!({"groupTag": "ours"}))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .patch_json(&each, &json!({"groupTag": "ours"}))
        .bearer_auth(&ours)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let theirs_now = app
        .get(&format!("{IDENTITIES}?$select=groupTag"))
        .bearer_auth(&theirs)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(theirs_now["value"][0]["groupTag"], "old", "{theirs_now}");
    let r = app
        .client
        .delete(app.url(&format!("{IDENTITIES}/$each")))
        .bearer_auth(&ours)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let theirs_now = app
        .get(&format!("{IDENTITIES}/$count"))
        .bearer_auth(&theirs)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(theirs_now, "1");
}

#[tokio::test]
async fn more_members_than_a_set_based_write_takes_are_refused_with_nothing_written() {
    let app = devices().await;
    // 10 000 more identities, written behind the service's back: 10 006 in all.
    app.sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
         INSERT INTO \"device_identities\" (\"_tenant\", \"id\", \"_type\", \"serialNumber\", \
         \"groupTag\") SELECT d.\"_tenant\", 'bulk-' || n.i, d.\"_type\", 'BULK', 'old' \
         FROM \"device_identities\" AS d, n WHERE d.\"id\" = 'd0'",
        &[],
    )
    .await;
    assert_eq!(app.count(IDENTITIES).await, 10_006);
    for (method, path) in [
        (reqwest::Method::PATCH, format!("{IDENTITIES}/$each")),
        (reqwest::Method::DELETE, format!("{IDENTITIES}/$each")),
    ] {
        let r = app
            .client
            .request(method.clone(), app.url(&path))
            .json(&json!({"groupTag": "new"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{method}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["target"], "$each", "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("10000"),
            "{body}"
        );
    }
    assert_eq!(app.count(IDENTITIES).await, 10_006);
    let body = app
        .get_json(&format!("{IDENTITIES}/$count?$filter=groupTag ne 'old'"))
        .await;
    assert_eq!(body, json!(0));
    // Narrowed by a segment, the same write goes through.
    let r = app
        .patch_json(
            &format!("{IDENTITIES}/$filter(serialNumber ne 'BULK')/$each?$select=id"),
            &json!({"groupTag": "new"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = app
        .get_json(&format!("{IDENTITIES}/$count?$filter=groupTag eq 'new'"))
        .await;
    assert_eq!(body, json!(6));
}
