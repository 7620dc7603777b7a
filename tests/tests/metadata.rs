//! `$metadata` of the Autopilot service: valid against the OASIS schema, complete, ordered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acceptance_tests::csdl_xml::Element;
use acceptance_tests::vocabulary::Vocabularies;
use acceptance_tests::{assert_valid_csdl, seed, shared_dir, spawn_app};
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
    // The document is the same whichever version the response is negotiated to.
    for max_version in [None, Some("4.0"), Some("4.01")] {
        let mut request = app.get("$metadata");
        if let Some(version) = max_version {
            request = request.header("OData-MaxVersion", version);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{max_version:?}");
        let xml = r.text().await.unwrap();
        assert!(
            xml.contains("Capabilities.ConformanceLevel"),
            "{max_version:?}"
        );
        assert_valid_csdl(&xml);
    }
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

const CONTAINED: [&str; 3] = [
    "autopilotEvents",
    "windowsAutopilotDeviceIdentities",
    "windowsAutopilotDeploymentProfiles",
];

/// The contained collections' capabilities: listed in the singleton's
/// `NavigationRestrictions` and annotated through their paths.
#[tokio::test]
async fn metadata_states_the_capabilities_of_the_contained_collections() {
    let app = spawn_app().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let root = Element::parse(&xml);
    let container = root
        .find("EntityContainer", "Name", "GraphService")
        .unwrap();
    assert_eq!(
        container
            .annotation("Core.ODataVersions")
            .and_then(|a| a.attr("String")),
        Some("4.0 4.01")
    );
    assert_eq!(
        container
            .annotation("Capabilities.BatchSupported")
            .and_then(|a| a.attr("Bool")),
        Some("true")
    );
    assert!(
        container
            .annotation("Capabilities.ConformanceLevel")
            .and_then(|a| a.attr("EnumMember"))
            .is_some_and(|m| m.starts_with("Capabilities.ConformanceLevelType/"))
    );
    let singleton = container
        .find("Singleton", "Name", "deviceManagement")
        .unwrap();
    let restricted = singleton
        .annotation("Capabilities.NavigationRestrictions")
        .unwrap()
        .property_value("RestrictedProperties")
        .unwrap();
    let records: Vec<&Element> = restricted
        .children("Collection")
        .flat_map(|c| c.children("Record"))
        .collect();
    let navigations: Vec<&str> = records
        .iter()
        .filter_map(|r| r.property_value("NavigationProperty"))
        .filter_map(|p| p.attr("NavigationPropertyPath"))
        .collect();
    assert_eq!(navigations, CONTAINED);
    for record in &records {
        let searchable = record
            .property_value("SearchRestrictions")
            .and_then(|s| s.property_value("Searchable"))
            .and_then(|s| s.attr("Bool"));
        assert_eq!(searchable, Some("true"));
        assert_eq!(
            record
                .property_value("TopSupported")
                .and_then(|p| p.attr("Bool")),
            Some("true")
        );
    }
    // Count and expand restrictions have no place in that record: they target the path.
    let expand = |navigation: &str| {
        let target = format!("graph.GraphService/deviceManagement/{navigation}");
        let annotations = root
            .find("Annotations", "Target", &target)
            .unwrap_or_else(|| panic!("no annotations for {target}"));
        assert_eq!(
            annotations
                .annotation("Capabilities.CountRestrictions")
                .and_then(|c| c.property_value("Countable"))
                .and_then(|c| c.attr("Bool")),
            Some("true")
        );
        annotations
            .annotation("Capabilities.ExpandRestrictions")
            .unwrap()
            .clone()
    };
    // Every navigation of the three collections is stored: each expands to the depth
    // limit, none is listed as not expandable.
    for navigation in [
        "autopilotEvents",
        "windowsAutopilotDeviceIdentities",
        "windowsAutopilotDeploymentProfiles",
    ] {
        let restrictions = expand(navigation);
        assert_eq!(
            restrictions
                .property_value("Expandable")
                .and_then(|e| e.attr("Bool")),
            Some("true"),
            "{navigation}"
        );
        assert_eq!(
            restrictions
                .property_value("MaxLevels")
                .and_then(|e| e.attr("Int")),
            Some(odata_server::expand::MAX_DEPTH.to_string().as_str())
        );
        assert!(
            restrictions
                .property_value("NonExpandableProperties")
                .is_none(),
            "{navigation}"
        );
    }
    // Collections contained in entities are annotated through their parent's path.
    for navigation in [
        "windowsAutopilotDeploymentProfiles/assignments",
        "autopilotEvents/policyStatusDetails",
    ] {
        assert_eq!(
            expand(navigation)
                .property_value("Expandable")
                .and_then(|e| e.attr("Bool")),
            Some("false"),
            "{navigation}"
        );
    }
    // And they hold.
    for query in [
        "deviceManagement/windowsAutopilotDeploymentProfiles?$expand=assignedDevices,assignments",
        "deviceManagement/autopilotEvents?$expand=policyStatusDetails",
    ] {
        let r = app.get(query).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{query}");
    }
}

#[tokio::test]
async fn csdl_json_states_the_capabilities_too() {
    let app = spawn_app().await;
    let csdl: Value = app.get_json("$metadata?$format=json").await;
    let schema = &csdl["microsoft.graph"];
    let container = &schema["GraphService"];
    assert_eq!(container["@Core.ODataVersions"], "4.0 4.01");
    assert_eq!(container["@Capabilities.KeyAsSegmentSupported"], true);
    assert!(
        container["@Capabilities.FilterFunctions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("contains"))
    );
    let records = container["deviceManagement"]["@Capabilities.NavigationRestrictions"]
        ["RestrictedProperties"]
        .as_array()
        .unwrap();
    let navigations: Vec<&Value> = records
        .iter()
        .map(|r| &r["NavigationProperty"]["$NavigationPropertyPath"])
        .collect();
    assert_eq!(
        navigations,
        CONTAINED.map(Value::from).iter().collect::<Vec<_>>()
    );
    let identities = &schema["$Annotations"]["graph.GraphService/deviceManagement/windowsAutopilotDeviceIdentities"];
    assert_eq!(
        identities["@Capabilities.ExpandRestrictions"],
        serde_json::json!({"Expandable": true, "MaxLevels": odata_server::expand::MAX_DEPTH})
    );
    assert_eq!(
        identities["@Capabilities.SearchRestrictions"],
        serde_json::json!({"Searchable": true})
    );
}

/// Term names, record property names and value types are those of the OASIS vocabularies.
#[tokio::test]
async fn every_annotation_fits_the_oasis_vocabularies() {
    let app = spawn_app().await;
    let csdl: Value = app.get_json("$metadata?$format=json").await;
    let vocabularies = Vocabularies::load(&shared_dir().join("odata-spec/vocabularies"));
    let (problems, checked) = vocabularies.problems(&csdl);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(checked > 100, "{checked}");
    // Control: an enum value the vocabulary does not declare is noticed.
    let mut broken = csdl.clone();
    broken["microsoft.graph"]["GraphService"]["@Capabilities.ConformanceLevel"] =
        Value::from("Superb");
    let (problems, _) = vocabularies.problems(&broken);
    assert_eq!(problems.len(), 1, "{problems:#?}");
}
