//! The 14 enumeration types of the Autopilot model, member names and values exactly as in
//! the 2026 Graph beta CSDL (including the misspelled `assignedUnkownSyncState`, which is
//! the wire value). None of them is a flags enum.

use odata_core::edm::{EnumTypeDef, ModelBuilder};

/// Every enum as `(name, [(member, value)])`, in CSDL order.
const ENUMS: &[(&str, &[(&str, i64)])] = &[
    (
        "deviceAndAppManagementAssignmentFilterType",
        &[("none", 0), ("include", 1), ("exclude", 2)],
    ),
    (
        "deviceAndAppManagementAssignmentSource",
        &[("direct", 0), ("policySets", 1)],
    ),
    (
        "deviceManagementAutopilotPolicyComplianceStatus",
        &[
            ("unknown", 0),
            ("compliant", 1),
            ("installed", 2),
            ("notCompliant", 3),
            ("notInstalled", 4),
            ("error", 5),
        ],
    ),
    (
        "deviceManagementAutopilotPolicyType",
        &[
            ("unknown", 0),
            ("application", 3),
            ("appModel", 7),
            ("configurationPolicy", 12),
        ],
    ),
    (
        "enrollmentState",
        &[
            ("unknown", 0),
            ("enrolled", 1),
            ("pendingReset", 2),
            ("failed", 3),
            ("notContacted", 4),
            ("blocked", 5),
        ],
    ),
    (
        "windowsAutopilotDeploymentState",
        &[
            ("unknown", 0),
            ("success", 1),
            ("inProgress", 2),
            ("failure", 3),
            ("successWithTimeout", 4),
            ("notAttempted", 5),
            ("disabled", 6),
            ("successOnRetry", 7),
        ],
    ),
    (
        "windowsAutopilotDeviceRemediationState",
        &[
            ("unknown", 0),
            ("noRemediationRequired", 1),
            ("automaticRemediationRequired", 2),
            ("manualRemediationRequired", 3),
            ("unknownFutureValue", 4),
        ],
    ),
    (
        "windowsAutopilotDeviceType",
        &[
            ("windowsPc", 0),
            ("holoLens", 1),
            ("surfaceHub2", 2),
            ("surfaceHub2S", 3),
            ("virtualMachine", 4),
            ("unknownFutureValue", 99),
        ],
    ),
    (
        "windowsAutopilotEnrollmentType",
        &[
            ("unknown", 0),
            ("azureADJoinedWithAutopilotProfile", 1),
            ("offlineDomainJoined", 2),
            ("azureADJoinedUsingDeviceAuthWithAutopilotProfile", 3),
            ("azureADJoinedUsingDeviceAuthWithoutAutopilotProfile", 4),
            ("azureADJoinedWithOfflineAutopilotProfile", 5),
            ("azureADJoinedWithWhiteGlove", 6),
            ("offlineDomainJoinedWithWhiteGlove", 7),
            ("offlineDomainJoinedWithOfflineAutopilotProfile", 8),
        ],
    ),
    (
        "windowsAutopilotProfileAssignmentDetailedStatus",
        &[
            ("none", 0),
            ("hardwareRequirementsNotMet", 1),
            ("surfaceHubProfileNotSupported", 2),
            ("holoLensProfileNotSupported", 3),
            ("windowsPcProfileNotSupported", 4),
            ("surfaceHub2SProfileNotSupported", 5),
            ("unknownFutureValue", 99),
        ],
    ),
    (
        "windowsAutopilotProfileAssignmentStatus",
        &[
            ("unknown", 0),
            ("assignedInSync", 1),
            ("assignedOutOfSync", 2),
            // Misspelled in the Graph CSDL itself; this is the wire value.
            ("assignedUnkownSyncState", 3),
            ("notAssigned", 4),
            ("pending", 5),
            ("failed", 6),
        ],
    ),
    (
        "windowsAutopilotUserlessEnrollmentStatus",
        &[
            ("unknown", 0),
            ("allowed", 1),
            ("blocked", 2),
            ("unknownFutureValue", 3),
        ],
    ),
    (
        "windowsDeviceUsageType",
        &[("singleUser", 0), ("shared", 1), ("unknownFutureValue", 2)],
    ),
    (
        "windowsUserType",
        &[
            ("administrator", 0),
            ("standard", 1),
            ("unknownFutureValue", 2),
        ],
    ),
];

/// Adds every enumeration type of the model.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    ENUMS.iter().fold(b, |b, (name, members)| {
        b.enum_type(
            members
                .iter()
                .fold(EnumTypeDef::new(*name), |e, (m, v)| e.member(*m, *v)),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::device_management::test_support::{csdl, enum_blocks};

    #[test]
    fn each_enum_has_exactly_the_csdl_members() {
        let model = crate::model();
        let expected = enum_blocks(&csdl());
        assert_eq!(expected.len(), 14, "the excerpt declares 14 enums");
        assert_eq!(model.enum_types.len(), expected.len());
        for (name, members) in &expected {
            let e = model
                .enum_types
                .iter()
                .find(|e| &e.name == name)
                .unwrap_or_else(|| panic!("enum {name} missing from the model"));
            assert!(!e.is_flags, "{name} is not a flags enum");
            let ours: Vec<(String, i64)> = e
                .members
                .iter()
                .map(|m| (m.name.clone(), m.value))
                .collect();
            assert_eq!(&ours, members, "members of {name}");
        }
    }

    #[test]
    fn misspelled_member_is_kept() {
        let model = crate::model();
        let e = model
            .enum_types
            .iter()
            .find(|e| e.name == "windowsAutopilotProfileAssignmentStatus")
            .expect("enum declared");
        assert_eq!(e.parse_value("assignedUnkownSyncState"), Some(3));
        assert_eq!(e.parse_value("String"), None);
    }
}
