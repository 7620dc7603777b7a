//! The Microsoft Graph (beta) Windows Autopilot model, declared through the
//! framework's public [`odata_core::edm::ModelBuilder`] like any third-party model.
//!
//! Scope is the union of the 2026 Graph beta CSDL excerpt and the seed-era (2021) product
//! documents: all current types, enums, navigations and bound actions, plus the seed-era
//! properties and the `policyStatusDetails` navigation. Every Autopilot collection is
//! contained in the `deviceManagement` singleton; there are no entity sets.

pub mod actions;
pub mod autopilot_event;
pub mod deployment_profile;
pub mod device_identity;
pub mod device_management;
mod enums;
pub mod service;

use odata_core::edm::{Model, ModelBuilder};

/// Schema namespace of the model (alias `graph`).
pub const NAMESPACE: &str = "microsoft.graph";

/// Builds the Autopilot entity data model (namespace `microsoft.graph`, alias `graph`,
/// container `GraphService`).
pub fn model() -> Model {
    let b = ModelBuilder::new(NAMESPACE)
        .alias("graph")
        .container_name("GraphService");
    let b = enums::declare(b);
    let b = device_management::declare(b);
    let b = autopilot_event::declare(b);
    let b = device_identity::declare(b);
    let b = deployment_profile::declare(b);
    b.build().expect("the Autopilot model is valid")
}
