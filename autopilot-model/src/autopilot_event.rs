//! `deviceManagementAutopilotEvent` (`deviceManagement/autopilotEvents`) and its seed-era
//! contained children, `deviceManagementAutopilotPolicyStatusDetail`.
//!
//! The event carries every property of the 2026 CSDL in CSDL (alphabetical) order, with
//! the seed-era properties `devicePreparationDuration`, `targetedAppCount` and
//! `targetedPolicyCount` (2021 CSDL, dropped since) at their alphabetical positions, and the
//! seed-era contained navigation `policyStatusDetails`.

use odata_core::edm::{Annotation, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef};

/// Qualified name of the event entity type.
pub const EVENT_TYPE: &str = "microsoft.graph.deviceManagementAutopilotEvent";

/// Qualified name of the policy status detail entity type.
pub const POLICY_STATUS_DETAIL_TYPE: &str =
    "microsoft.graph.deviceManagementAutopilotPolicyStatusDetail";

/// Note appended to the descriptions of properties kept only for the seed-era API.
const SEED_ERA: &str = "Kept for compatibility with the seed-era (2021) Graph beta API; \
                        not in the current beta metadata.";

/// A nullable property with a description.
fn prop(name: &str, ty: &str, description: &str) -> PropertyDef {
    PropertyDef::new(name, ty).description(description)
}

/// A non-nullable property with a description.
fn required(name: &str, ty: &str, description: &str) -> PropertyDef {
    prop(name, ty, description).not_null()
}

/// Adds the event and policy status detail entity types.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    b.entity_type(event()).entity_type(policy_status_detail())
}

fn event() -> EntityTypeDef {
    const STATE: &str = "graph.windowsAutopilotDeploymentState";
    EntityTypeDef::new("deviceManagementAutopilotEvent")
        .base("graph.entity")
        .annotate(Annotation::description(
            "A Windows Autopilot deployment event reported for a device.",
        ))
        .property(required(
            "accountSetupDuration",
            "Edm.Duration",
            "Time spent in the user (account setup) phase of the Enrollment Status Page.",
        ))
        .property(required(
            "accountSetupStatus",
            STATE,
            "Outcome of the account setup phase of the Enrollment Status Page.",
        ))
        .property(required(
            "deploymentDuration",
            "Edm.Duration",
            "Autopilot deployment duration, including enrollment.",
        ))
        .property(required(
            "deploymentEndDateTime",
            "Edm.DateTimeOffset",
            "When the deployment ended.",
        ))
        .property(required(
            "deploymentStartDateTime",
            "Edm.DateTimeOffset",
            "When the deployment started.",
        ))
        .property(required(
            "deploymentState",
            STATE,
            "Overall state of the deployment.",
        ))
        .property(required(
            "deploymentTotalDuration",
            "Edm.Duration",
            "Total time from enrollment start to the desktop screen.",
        ))
        .property(prop("deviceId", "Edm.String", "Id of the device."))
        .property(required(
            "devicePreparationDuration",
            "Edm.Duration",
            &format!("Time spent in device enrollment (device preparation). {SEED_ERA}"),
        ))
        .property(required(
            "deviceRegisteredDateTime",
            "Edm.DateTimeOffset",
            "When the device was registered.",
        ))
        .property(prop(
            "deviceSerialNumber",
            "Edm.String",
            "Serial number of the device.",
        ))
        .property(required(
            "deviceSetupDuration",
            "Edm.Duration",
            "Time spent in the device setup phase of the Enrollment Status Page.",
        ))
        .property(required(
            "deviceSetupStatus",
            STATE,
            "Outcome of the device setup phase of the Enrollment Status Page.",
        ))
        .property(prop(
            "enrollmentFailureDetails",
            "Edm.String",
            "Details of an enrollment failure.",
        ))
        .property(required(
            "enrollmentStartDateTime",
            "Edm.DateTimeOffset",
            "When enrollment started.",
        ))
        .property(required(
            "enrollmentState",
            "graph.enrollmentState",
            "Enrollment state of the device.",
        ))
        .property(required(
            "enrollmentType",
            "graph.windowsAutopilotEnrollmentType",
            "Type of the Autopilot enrollment.",
        ))
        .property(required(
            "eventDateTime",
            "Edm.DateTimeOffset",
            "When the event occurred.",
        ))
        .property(prop(
            "managedDeviceName",
            "Edm.String",
            "Name of the managed device.",
        ))
        .property(prop(
            "osVersion",
            "Edm.String",
            "Operating system version of the device.",
        ))
        .property(required(
            "targetedAppCount",
            "Edm.Int32",
            &format!("Number of apps targeted to the device. {SEED_ERA}"),
        ))
        .property(required(
            "targetedPolicyCount",
            "Edm.Int32",
            &format!("Number of policies targeted to the device. {SEED_ERA}"),
        ))
        .property(prop("userId", "Edm.String", "Id of the enrolling user."))
        .property(prop(
            "userPrincipalName",
            "Edm.String",
            "User principal name used for the enrollment.",
        ))
        .property(prop(
            "windows10EnrollmentCompletionPageConfigurationDisplayName",
            "Edm.String",
            "Name of the Enrollment Status Page profile.",
        ))
        .property(prop(
            "windows10EnrollmentCompletionPageConfigurationId",
            "Edm.String",
            "Id of the Enrollment Status Page profile.",
        ))
        .property(prop(
            "windowsAutopilotDeploymentProfileDisplayName",
            "Edm.String",
            "Name of the Autopilot deployment profile.",
        ))
        .navigation(
            NavigationDef::new(
                "policyStatusDetails",
                "Collection(graph.deviceManagementAutopilotPolicyStatusDetail)",
            )
            .contained()
            .annotate(Annotation::description(format!(
                "Status of the policies and apps tracked for this event. {SEED_ERA}"
            ))),
        )
}

fn policy_status_detail() -> EntityTypeDef {
    EntityTypeDef::new("deviceManagementAutopilotPolicyStatusDetail")
        .base("graph.entity")
        .annotate(Annotation::description(
            "Status of one policy or app tracked during an Autopilot deployment, contained \
             by an Autopilot event.",
        ))
        .property(required(
            "complianceStatus",
            "graph.deviceManagementAutopilotPolicyComplianceStatus",
            "Compliance or enforcement status of the policy (enforcement wins).",
        ))
        .property(prop("displayName", "Edm.String", "Name of the policy."))
        .property(required(
            "errorCode",
            "Edm.Int32",
            "Error code reported for the policy.",
        ))
        .property(required(
            "lastReportedDateTime",
            "Edm.DateTimeOffset",
            "When the status was last reported.",
        ))
        .property(required(
            "policyType",
            "graph.deviceManagementAutopilotPolicyType",
            "Type of the policy.",
        ))
        .property(required(
            "trackedOnEnrollmentStatus",
            "Edm.Boolean",
            "Whether the policy was tracked by the Enrollment Status Page.",
        ))
}

#[cfg(test)]
mod tests {
    use crate::device_management::test_support::seed_request_keys;

    use super::*;

    #[test]
    fn every_seed_event_property_exists() {
        let model = crate::model();
        let event = model.entity_type(model.find_entity_type(EVENT_TYPE).expect("event type"));
        for seed in ["000-post-event", "001-patch-event", "002-patch-event"] {
            let keys = seed_request_keys(seed);
            assert!(keys.len() > 20, "{seed}: parsed {} keys", keys.len());
            for key in keys {
                assert!(
                    event.property(&key).is_some(),
                    "{seed}: {key} not on the event"
                );
            }
        }
    }

    #[test]
    fn seed_era_members_are_declared() {
        let model = crate::model();
        let event = model.entity_type(model.find_entity_type(EVENT_TYPE).expect("event type"));
        for name in [
            "devicePreparationDuration",
            "targetedAppCount",
            "targetedPolicyCount",
        ] {
            let p = event.property(name).expect("seed-era property");
            assert!(!p.type_ref.nullable, "{name} is not nullable");
            assert!(!p.annotations.is_empty(), "{name} has a description");
        }
        let nav = event
            .navigation_property("policyStatusDetails")
            .expect("policyStatusDetails");
        assert!(nav.collection && nav.contains_target);
        assert_eq!(
            model.entity_type(nav.target).qualified_name,
            POLICY_STATUS_DETAIL_TYPE
        );
    }
}
