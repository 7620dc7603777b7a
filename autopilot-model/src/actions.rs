//! What the bound actions of the Graph CSDL do to the stored entities.
//!
//! Graph documents each action by its parameters only; the effects here are the ones its
//! names and parameters describe, on the properties this model stores:
//!
//! | action | effect on the device identity |
//! |---|---|
//! | `assignUserToDevice` | sets `userPrincipalName` (required) and `addressableUserName` |
//! | `unassignUserFromDevice` | clears both |
//! | `assignResourceAccountToDevice` | sets `userPrincipalName` (required), `addressableUserName` and `resourceName` (from `resourceAccountName`) |
//! | `unassignResourceAccountFromDevice` | clears those three |
//! | `updateDeviceProperties` | sets each property the body names (a parameter left out leaves its property as it is) |
//! | `allowNextEnrollment` | `userlessEnrollmentStatus` becomes `allowed`; a `blocked` `enrollmentState` becomes `notContacted` |
//!
//! A profile's `assign` links the devices `deviceIds` names to the profile: they become its
//! `assignedDevices` (their `deploymentProfile`), all or none.

use odata_server::action::{ActionEffect, ActionHandler};
use serde_json::{Value as Json, json};

/// The parameters of `updateDeviceProperties`, each named like the property it sets.
const DEVICE_PROPERTIES: [&str; 7] = [
    "userPrincipalName",
    "addressableUserName",
    "groupTag",
    "displayName",
    "deviceAccountUpn",
    "deviceAccountPassword",
    "deviceFriendlyName",
];

/// The effects of the actions bound to device identities, by action name.
pub fn device_identity_actions() -> Vec<(&'static str, ActionHandler)> {
    vec![
        (
            "assignUserToDevice",
            ActionHandler::new(|call| {
                let user = call.required_string("userPrincipalName")?;
                Ok(ActionEffect::update([
                    ("userPrincipalName", json!(user)),
                    (
                        "addressableUserName",
                        text(call.string("addressableUserName")),
                    ),
                ]))
            }),
        ),
        (
            "unassignUserFromDevice",
            ActionHandler::new(|_| {
                Ok(ActionEffect::update([
                    ("userPrincipalName", Json::Null),
                    ("addressableUserName", Json::Null),
                ]))
            }),
        ),
        (
            "assignResourceAccountToDevice",
            ActionHandler::new(|call| {
                let user = call.required_string("userPrincipalName")?;
                Ok(ActionEffect::update([
                    ("userPrincipalName", json!(user)),
                    (
                        "addressableUserName",
                        text(call.string("addressableUserName")),
                    ),
                    ("resourceName", text(call.string("resourceAccountName"))),
                ]))
            }),
        ),
        (
            "unassignResourceAccountFromDevice",
            ActionHandler::new(|_| {
                Ok(ActionEffect::update([
                    ("userPrincipalName", Json::Null),
                    ("addressableUserName", Json::Null),
                    ("resourceName", Json::Null),
                ]))
            }),
        ),
        (
            "updateDeviceProperties",
            ActionHandler::new(|call| {
                Ok(ActionEffect::update(DEVICE_PROPERTIES.iter().filter_map(
                    |&name| Some((name, call.parameters.get(name)?.clone())),
                )))
            }),
        ),
        (
            "allowNextEnrollment",
            ActionHandler::new(|call| {
                let mut changes = vec![("userlessEnrollmentStatus", json!("allowed"))];
                if call.property("enrollmentState") == "blocked" {
                    changes.push(("enrollmentState", json!("notContacted")));
                }
                Ok(ActionEffect::update(changes))
            }),
        ),
    ]
}

/// The effect of a profile's `assign(deviceIds)`.
pub fn assign_profile() -> ActionHandler {
    ActionHandler::new(|call| {
        let devices = call.required_strings("deviceIds")?;
        Ok(ActionEffect::Link {
            navigation: "assignedDevices".to_owned(),
            keys: devices.into_iter().map(|id| json!(id)).collect(),
            parameter: "deviceIds".to_owned(),
        })
    })
}

/// An optional text parameter as the value it sets.
fn text(value: Option<&str>) -> Json {
    value.map_or(Json::Null, |s| json!(s))
}
