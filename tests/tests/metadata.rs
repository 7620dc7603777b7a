//! `$metadata` of the Autopilot service: valid against the OASIS schema, complete, ordered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::{seed, shared_dir, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

fn entity_type_block<'a>(xml: &'a str, name: &str) -> &'a str {
    let start = xml
        .find(&format!("<EntityType Name=\"{name}\""))
        .unwrap_or_else(|| panic!("EntityType {name} missing"));
    let end = xml[start..]
        .find("</EntityType>")
        .map_or(xml.len(), |e| start + e);
    &xml[start..end]
}

#[tokio::test]
async fn metadata_validates_against_the_oasis_xsd() {
    let app = spawn_app().await;
    let r = app.get("$metadata").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let xml = r.text().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metadata.xml");
    std::fs::write(&file, &xml).unwrap();
    let xsd = shared_dir().join("odata-spec/csdl/edmx.xsd");
    let output = std::process::Command::new("xmllint")
        .arg("--nonet")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect(
            "xmllint is not installed: install libxml2-utils (the project's test script \
             tests/run-all.sh does this)",
        );
    assert!(
        output.status.success(),
        "xmllint: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn metadata_lists_every_property_of_the_documents() {
    let app = spawn_app().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (entity_type, request) in [
        (
            "deviceManagementAutopilotEvent",
            "000-post-event.request.json",
        ),
        (
            "deviceManagementAutopilotEvent",
            "002-patch-event.request.json",
        ),
        (
            "windowsAutopilotDeviceIdentity",
            "003-post-identity.request.json",
        ),
    ] {
        let block = entity_type_block(&xml, entity_type);
        for key in seed(request).as_object().unwrap().keys() {
            if key.starts_with('@') {
                continue;
            }
            assert!(
                block.contains(&format!("<Property Name=\"{key}\"")),
                "{entity_type} lacks {key}"
            );
        }
    }
    for name in [
        "userId",
        "userlessEnrollmentStatus",
        "remediationState",
        "assignedUnkownSyncState",
    ] {
        assert!(xml.contains(&format!("\"{name}\"")), "{name}");
    }
    for action in [
        "assignUserToDevice",
        "unassignUserFromDevice",
        "updateDeviceProperties",
        "assignResourceAccountToDevice",
        "unassignResourceAccountFromDevice",
        "allowNextEnrollment",
        "assign",
    ] {
        assert!(
            xml.contains(&format!("<Action Name=\"{action}\"")),
            "{action}"
        );
    }
}

/// Code generators emit classes in document order: a base type precedes its subtypes and
/// enum/complex types precede their users.
#[tokio::test]
async fn metadata_is_in_dependency_order_and_deterministic() {
    let app = spawn_app().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pos = |needle: &str| xml.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(
        pos("<EntityType Name=\"entity\"")
            < pos("<EntityType Name=\"deviceManagementAutopilotEvent\"")
    );
    assert!(
        pos("<EntityType Name=\"windowsAutopilotDeploymentProfile\"")
            < pos("<EntityType Name=\"azureADWindowsAutopilotDeploymentProfile\"")
    );
    assert!(
        pos("<ComplexType Name=\"deviceAndAppManagementAssignmentTarget\"")
            < pos("<ComplexType Name=\"groupAssignmentTarget\"")
    );
    assert!(
        pos("<ComplexType Name=\"groupAssignmentTarget\"")
            < pos("<ComplexType Name=\"exclusionGroupAssignmentTarget\"")
    );
    assert!(pos("<EnumType Name=\"enrollmentState\"") < pos("<EntityType "));
    let again = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(xml, again);
}

#[tokio::test]
async fn csdl_json_and_service_document() {
    let app = spawn_app().await;
    let csdl: Value = app.get_json("$metadata?$format=json").await;
    let schema = &csdl["microsoft.graph"];
    assert_eq!(schema["$Alias"], "graph");
    assert_eq!(
        schema["windowsAutopilotDeploymentProfile"]["$Abstract"],
        true
    );
    assert_eq!(
        schema["windowsAutopilotProfileAssignmentStatus"]["assignedUnkownSyncState"],
        3
    );
    let doc: Value = app.get_json("").await;
    assert_eq!(doc["value"][0]["name"], "deviceManagement");
    assert_eq!(doc["value"][0]["kind"], "Singleton");
}
