//! `windowsAutopilotDeviceIdentity` (`deviceManagement/windowsAutopilotDeviceIdentities`)
//! and the actions bound to it.
//!
//! Properties are those of the 2026 CSDL in CSDL order plus the seed-era `orderIdentifier`
//! at its alphabetical position. `deviceAccountPassword` is write-only: stored, never
//! returned.
//!
//! The documented collection-bound action `deleteDevices` is deliberately not declared: it
//! is not in the Graph metadata (its return type `deletedWindowsAutopilotDeviceState`
//! appears in no type mapping), so the CSDL excerpt does not define it.

use odata_core::edm::{
    ActionDef, Annotation, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef,
};

/// Qualified name of the device identity entity type.
pub const DEVICE_IDENTITY_TYPE: &str = "microsoft.graph.windowsAutopilotDeviceIdentity";

/// Binding parameter type of the identity actions.
const BINDING: &str = "graph.windowsAutopilotDeviceIdentity";

/// A nullable property with a description.
fn prop(name: &str, ty: &str, description: &str) -> PropertyDef {
    PropertyDef::new(name, ty).description(description)
}

/// A non-nullable property with a description.
fn required(name: &str, ty: &str, description: &str) -> PropertyDef {
    prop(name, ty, description).not_null()
}

/// A nullable `Edm.String` action parameter with `Unicode="false"`, as the CSDL declares
/// every parameter of these actions.
fn ascii_param(name: &str) -> PropertyDef {
    PropertyDef::new(name, "Edm.String").unicode(false)
}

/// Adds the device identity entity type and its bound actions.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    actions()
        .into_iter()
        .fold(b.entity_type(identity()), ModelBuilder::action)
}

fn identity() -> EntityTypeDef {
    const PROFILE: &str = "graph.windowsAutopilotDeploymentProfile";
    EntityTypeDef::new("windowsAutopilotDeviceIdentity")
        .base("graph.entity")
        .annotate(Annotation::description(
            "A device registered with Windows Autopilot (its hardware identity).",
        ))
        .property(prop(
            "addressableUserName",
            "Edm.String",
            "Addressable user name (greeting name).",
        ))
        .property(prop(
            "azureActiveDirectoryDeviceId",
            "Edm.String",
            "Microsoft Entra device id; to be deprecated in favour of azureAdDeviceId.",
        ))
        .property(prop(
            "azureAdDeviceId",
            "Edm.String",
            "Microsoft Entra device id.",
        ))
        .property(required(
            "deploymentProfileAssignedDateTime",
            "Edm.DateTimeOffset",
            "When the deployment profile was assigned.",
        ))
        .property(required(
            "deploymentProfileAssignmentDetailedStatus",
            "graph.windowsAutopilotProfileAssignmentDetailedStatus",
            "Detailed status of the deployment profile assignment.",
        ))
        .property(required(
            "deploymentProfileAssignmentStatus",
            "graph.windowsAutopilotProfileAssignmentStatus",
            "Status of the deployment profile assignment.",
        ))
        .property(
            prop(
                "deviceAccountPassword",
                "Edm.String",
                "Surface Hub device account password; write-only, never returned.",
            )
            .annotate(Annotation::write_only()),
        )
        .property(prop(
            "deviceAccountUpn",
            "Edm.String",
            "Surface Hub device account user principal name.",
        ))
        .property(prop(
            "deviceFriendlyName",
            "Edm.String",
            "Surface Hub device friendly name.",
        ))
        .property(prop(
            "displayName",
            "Edm.String",
            "Display name of the device.",
        ))
        .property(required(
            "enrollmentState",
            "graph.enrollmentState",
            "Intune enrollment state of the device.",
        ))
        .property(prop(
            "groupTag",
            "Edm.String",
            "Group tag used to target profiles.",
        ))
        .property(required(
            "lastContactedDateTime",
            "Edm.DateTimeOffset",
            "When the device last contacted Intune.",
        ))
        .property(prop(
            "managedDeviceId",
            "Edm.String",
            "Id of the Intune managed device.",
        ))
        .property(prop("manufacturer", "Edm.String", "Device manufacturer."))
        .property(prop("model", "Edm.String", "Device model."))
        .property(prop(
            "orderIdentifier",
            "Edm.String",
            "Order identifier (deprecated). Kept for compatibility with the seed-era (2021) \
             Graph beta API; not in the current beta metadata.",
        ))
        .property(prop(
            "productKey",
            "Edm.String",
            "Product key of the device.",
        ))
        .property(prop(
            "purchaseOrderIdentifier",
            "Edm.String",
            "Purchase order identifier.",
        ))
        .property(required(
            "remediationState",
            "graph.windowsAutopilotDeviceRemediationState",
            "Hardware hash remediation state of the device.",
        ))
        .property(required(
            "remediationStateLastModifiedDateTime",
            "Edm.DateTimeOffset",
            "When the remediation state last changed.",
        ))
        .property(prop(
            "resourceName",
            "Edm.String",
            "Resource (account) name.",
        ))
        .property(prop(
            "serialNumber",
            "Edm.String",
            "Serial number of the device.",
        ))
        .property(prop("skuNumber", "Edm.String", "SKU number of the device."))
        .property(prop(
            "systemFamily",
            "Edm.String",
            "System family of the device.",
        ))
        .property(required(
            "userlessEnrollmentStatus",
            "graph.windowsAutopilotUserlessEnrollmentStatus",
            "Whether userless enrollment is allowed for the device.",
        ))
        .property(prop(
            "userPrincipalName",
            "Edm.String",
            "User principal name of the assigned user.",
        ))
        .navigation(NavigationDef::new("deploymentProfile", PROFILE).annotate(
            Annotation::description("The deployment profile currently assigned to the device."),
        ))
        .navigation(
            NavigationDef::new("intendedDeploymentProfile", PROFILE).annotate(
                Annotation::description("The deployment profile intended for the device."),
            ),
        )
}

fn actions() -> Vec<ActionDef> {
    let bound = |name: &str, description: &str| {
        ActionDef::new(name)
            .bound_to("bindingParameter", BINDING)
            .annotate(Annotation::description(description))
    };
    vec![
        bound(
            "allowNextEnrollment",
            "Allows the device to enroll once more.",
        ),
        bound(
            "assignResourceAccountToDevice",
            "Assigns a resource account to the device.",
        )
        .parameter(ascii_param("userPrincipalName"))
        .parameter(ascii_param("addressableUserName"))
        .parameter(ascii_param("resourceAccountName")),
        bound("assignUserToDevice", "Assigns a user to the device.")
            .parameter(ascii_param("userPrincipalName"))
            .parameter(ascii_param("addressableUserName")),
        bound(
            "unassignResourceAccountFromDevice",
            "Removes the resource account from the device.",
        ),
        bound(
            "unassignUserFromDevice",
            "Removes the assigned user from the device.",
        ),
        bound(
            "updateDeviceProperties",
            "Updates the user, group tag, display name and Surface Hub account properties.",
        )
        .parameter(ascii_param("userPrincipalName"))
        .parameter(ascii_param("addressableUserName"))
        .parameter(ascii_param("groupTag"))
        .parameter(ascii_param("displayName"))
        .parameter(ascii_param("deviceAccountUpn"))
        .parameter(ascii_param("deviceAccountPassword"))
        .parameter(ascii_param("deviceFriendlyName")),
    ]
}

#[cfg(test)]
mod tests {
    use crate::device_management::test_support::seed_request_keys;

    use super::*;

    #[test]
    fn every_seed_identity_property_exists() {
        let model = crate::model();
        let identity = model.entity_type(
            model
                .find_entity_type(DEVICE_IDENTITY_TYPE)
                .expect("identity type"),
        );
        let keys = seed_request_keys("003-post-identity");
        assert_eq!(
            keys.len(),
            20,
            "seed 003 has 20 properties besides @odata.type"
        );
        for key in keys {
            assert!(
                identity.property(&key).is_some(),
                "{key} not on the identity"
            );
        }
    }

    #[test]
    fn password_is_write_only_and_navs_are_not_contained() {
        let model = crate::model();
        let ty = model
            .find_entity_type(DEVICE_IDENTITY_TYPE)
            .expect("identity");
        let identity = model.entity_type(ty);
        let password = identity
            .property("deviceAccountPassword")
            .expect("password");
        assert!(password.is_write_only());
        assert!(!password.is_read_only());
        for nav in ["deploymentProfile", "intendedDeploymentProfile"] {
            let n = identity.navigation_property(nav).expect("nav");
            assert!(!n.collection && !n.contains_target && n.nullable, "{nav}");
        }
        let update = model
            .bound_action(ty, false, "microsoft.graph.updateDeviceProperties")
            .expect("updateDeviceProperties");
        assert_eq!(update.body_parameters().len(), 7);
        assert!(model.bound_action(ty, true, "deleteDevices").is_none());
    }
}
