//! Windows Autopilot deployment profiles (`deviceManagement/windowsAutopilotDeploymentProfiles`):
//! the abstract `windowsAutopilotDeploymentProfile`, its two concrete subtypes, its
//! assignments, the complex types they use and the bound action `assign`.
//!
//! Not declared, because the CSDL excerpt does not define their types:
//! * `activeDirectoryWindowsAutopilotDeploymentProfile/domainJoinConfiguration` (contained
//!   navigation to `graph.windowsDomainJoinConfiguration`, a deviceConfiguration subtype);
//! * `hasPayloadLinks`, bound to the profile collection.

use odata_core::edm::{
    ActionDef, Annotation, ComplexTypeDef, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef,
};

/// Qualified name of the abstract deployment profile entity type.
pub const PROFILE_TYPE: &str = "microsoft.graph.windowsAutopilotDeploymentProfile";

/// Qualified name of the Microsoft Entra joined profile type.
pub const AZURE_AD_PROFILE_TYPE: &str = "microsoft.graph.azureADWindowsAutopilotDeploymentProfile";

/// Qualified name of the hybrid (Active Directory) joined profile type.
pub const ACTIVE_DIRECTORY_PROFILE_TYPE: &str =
    "microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";

/// Qualified name of the profile assignment entity type.
pub const ASSIGNMENT_TYPE: &str = "microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

/// A nullable property with a description.
fn prop(name: &str, ty: &str, description: &str) -> PropertyDef {
    PropertyDef::new(name, ty).description(description)
}

/// A non-nullable property with a description.
fn required(name: &str, ty: &str, description: &str) -> PropertyDef {
    prop(name, ty, description).not_null()
}

/// A non-nullable property without a description.
fn flag(name: &str, ty: &str) -> PropertyDef {
    PropertyDef::new(name, ty).not_null()
}

/// Adds the profile types, the complex types they use and the `assign` action.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    let b = complex_types()
        .into_iter()
        .fold(b, ModelBuilder::complex_type);
    b.entity_type(profile())
        .entity_type(
            EntityTypeDef::new("azureADWindowsAutopilotDeploymentProfile")
                .base("graph.windowsAutopilotDeploymentProfile")
                .annotate(Annotation::description(
                    "Autopilot profile for devices joined to Microsoft Entra ID.",
                )),
        )
        // The CSDL's contained navigation `domainJoinConfiguration` targets
        // graph.windowsDomainJoinConfiguration, which is not in the excerpt: omitted.
        .entity_type(
            EntityTypeDef::new("activeDirectoryWindowsAutopilotDeploymentProfile")
                .base("graph.windowsAutopilotDeploymentProfile")
                .annotate(Annotation::description(
                    "Autopilot profile for hybrid (on-premises Active Directory) joined devices.",
                ))
                .property(required(
                    "hybridAzureADJoinSkipConnectivityCheck",
                    "Edm.Boolean",
                    "Whether to skip the domain controller connectivity check.",
                )),
        )
        .entity_type(assignment())
        .action(
            ActionDef::new("assign")
                .bound_to(
                    "bindingParameter",
                    "graph.windowsAutopilotDeploymentProfile",
                )
                .parameter(PropertyDef::new("deviceIds", "Collection(Edm.String)").unicode(false))
                .annotate(Annotation::description(
                    "Assigns the profile to the given devices.",
                )),
        )
}

fn profile() -> EntityTypeDef {
    EntityTypeDef::new("windowsAutopilotDeploymentProfile")
        .base("graph.entity")
        .abstract_type()
        .annotate(Annotation::description(
            "A Windows Autopilot deployment profile (abstract; use a concrete subtype).",
        ))
        .property(
            required(
                "createdDateTime",
                "Edm.DateTimeOffset",
                "When the profile was created; set by the service.",
            )
            .annotate(Annotation::computed())
            .annotate(Annotation::immutable()),
        )
        .property(prop(
            "description",
            "Edm.String",
            "Description of the profile.",
        ))
        .property(prop(
            "deviceNameTemplate",
            "Edm.String",
            "Template for generated device names (at most 15 characters).",
        ))
        .property(required(
            "deviceType",
            "graph.windowsAutopilotDeviceType",
            "Kind of device the profile targets.",
        ))
        .property(prop("displayName", "Edm.String", "Name of the profile."))
        .property(required(
            "enableWhiteGlove",
            "Edm.Boolean",
            "Whether pre-provisioning (white glove) is enabled.",
        ))
        .property(prop(
            "enrollmentStatusScreenSettings",
            "graph.windowsEnrollmentStatusScreenSettings",
            "Enrollment Status Page settings.",
        ))
        .property(required(
            "extractHardwareHash",
            "Edm.Boolean",
            "Whether existing devices are converted to Autopilot devices.",
        ))
        .property(prop(
            "hardwareHashExtractionEnabled",
            "Edm.Boolean",
            "Whether the hardware hash is extracted.",
        ))
        .property(prop("language", "Edm.String", "Language of the device."))
        .property(
            required(
                "lastModifiedDateTime",
                "Edm.DateTimeOffset",
                "When the profile was last modified; set by the service.",
            )
            .annotate(Annotation::computed()),
        )
        .property(prop("locale", "Edm.String", "Locale of the device."))
        .property(prop(
            "managementServiceAppId",
            "Edm.String",
            "App id of the management service.",
        ))
        .property(prop(
            "outOfBoxExperienceSetting",
            "graph.outOfBoxExperienceSetting",
            "Out-of-box experience settings (current names).",
        ))
        .property(prop(
            "outOfBoxExperienceSettings",
            "graph.outOfBoxExperienceSettings",
            "Out-of-box experience settings (older names).",
        ))
        .property(prop(
            "preprovisioningAllowed",
            "Edm.Boolean",
            "Whether pre-provisioning is allowed.",
        ))
        .property(prop(
            "roleScopeTagIds",
            "Collection(Edm.String)",
            "Scope tags of the profile.",
        ))
        .navigation(
            NavigationDef::new(
                "assignedDevices",
                "Collection(graph.windowsAutopilotDeviceIdentity)",
            )
            .contained()
            .annotate(Annotation::description(
                "Devices the profile is assigned to.",
            )),
        )
        .navigation(
            NavigationDef::new(
                "assignments",
                "Collection(graph.windowsAutopilotDeploymentProfileAssignment)",
            )
            .contained()
            .annotate(Annotation::description("Group assignments of the profile.")),
        )
}

fn assignment() -> EntityTypeDef {
    EntityTypeDef::new("windowsAutopilotDeploymentProfileAssignment")
        .base("graph.entity")
        .annotate(Annotation::description(
            "An assignment of a deployment profile to a target.",
        ))
        .property(required(
            "source",
            "graph.deviceAndAppManagementAssignmentSource",
            "Whether the assignment is direct or comes from a policy set.",
        ))
        .property(prop(
            "sourceId",
            "Edm.String",
            "Id of the source of the assignment.",
        ))
        .property(prop(
            "target",
            "graph.deviceAndAppManagementAssignmentTarget",
            "Target of the assignment.",
        ))
}

fn complex_types() -> Vec<ComplexTypeDef> {
    let described =
        |name: &str, text: &str| ComplexTypeDef::new(name).annotate(Annotation::description(text));
    const TARGET: &str = "graph.deviceAndAppManagementAssignmentTarget";
    vec![
        described(
            "deviceAndAppManagementAssignmentTarget",
            "Base type of assignment targets.",
        )
        .abstract_type()
        .property(PropertyDef::new(
            "deviceAndAppManagementAssignmentFilterId",
            "Edm.String",
        ))
        .property(flag(
            "deviceAndAppManagementAssignmentFilterType",
            "graph.deviceAndAppManagementAssignmentFilterType",
        )),
        described("allDevicesAssignmentTarget", "Targets all devices.").base(TARGET),
        described(
            "allLicensedUsersAssignmentTarget",
            "Targets all licensed users.",
        )
        .base(TARGET),
        described(
            "configurationManagerCollectionAssignmentTarget",
            "Targets a Configuration Manager collection.",
        )
        .base(TARGET)
        .property(PropertyDef::new("collectionId", "Edm.String")),
        described("groupAssignmentTarget", "Targets a group.")
            .base(TARGET)
            .property(PropertyDef::new("groupId", "Edm.String")),
        described("exclusionGroupAssignmentTarget", "Excludes a group.")
            .base("graph.groupAssignmentTarget"),
        described(
            "outOfBoxExperienceSetting",
            "Out-of-box experience settings (current property names).",
        )
        .property(flag("deviceUsageType", "graph.windowsDeviceUsageType"))
        .property(flag("escapeLinkHidden", "Edm.Boolean"))
        .property(flag("eulaHidden", "Edm.Boolean"))
        .property(flag("keyboardSelectionPageSkipped", "Edm.Boolean"))
        .property(flag("privacySettingsHidden", "Edm.Boolean"))
        .property(flag("userType", "graph.windowsUserType")),
        described(
            "outOfBoxExperienceSettings",
            "Out-of-box experience settings (older property names).",
        )
        .property(flag("deviceUsageType", "graph.windowsDeviceUsageType"))
        .property(flag("hideEscapeLink", "Edm.Boolean"))
        .property(flag("hideEULA", "Edm.Boolean"))
        .property(flag("hidePrivacySettings", "Edm.Boolean"))
        .property(flag("skipKeyboardSelectionPage", "Edm.Boolean"))
        .property(flag("userType", "graph.windowsUserType")),
        described(
            "windowsEnrollmentStatusScreenSettings",
            "Enrollment Status Page settings of a deployment profile.",
        )
        .property(flag(
            "allowDeviceUseBeforeProfileAndAppInstallComplete",
            "Edm.Boolean",
        ))
        .property(flag("allowDeviceUseOnInstallFailure", "Edm.Boolean"))
        .property(flag("allowLogCollectionOnInstallFailure", "Edm.Boolean"))
        .property(flag("blockDeviceSetupRetryByUser", "Edm.Boolean"))
        .property(PropertyDef::new("customErrorMessage", "Edm.String"))
        .property(flag("hideInstallationProgress", "Edm.Boolean"))
        .property(PropertyDef::new(
            "installProgressTimeoutInMinutes",
            "Edm.Int32",
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_hierarchy_and_server_managed_dates() {
        let model = crate::model();
        let base = model.find_entity_type(PROFILE_TYPE).expect("profile");
        assert!(model.entity_type(base).is_abstract);
        for name in ["createdDateTime", "lastModifiedDateTime"] {
            let p = model.entity_type(base).property(name).expect("date");
            assert!(p.is_computed() && p.is_read_only(), "{name}");
        }
        let ad = model
            .find_entity_type(ACTIVE_DIRECTORY_PROFILE_TYPE)
            .expect("AD profile");
        let aad = model.find_entity_type(AZURE_AD_PROFILE_TYPE).expect("AAD");
        assert_eq!(model.entity_type_and_subtypes(base), vec![base, aad, ad]);
        assert!(
            model
                .entity_type(ad)
                .navigation_property("domainJoinConfiguration")
                .is_none()
        );
        let assign = model
            .bound_action(ad, false, "assign")
            .expect("assign is inherited by subtypes");
        let ids = &assign.body_parameters()[0];
        assert!(ids.type_ref.collection);
        assert_eq!(ids.type_ref.unicode, Some(false));
        assert!(model.find_entity_type(ASSIGNMENT_TYPE).is_some());
    }
}
