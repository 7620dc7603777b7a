//! The Autopilot model bound to storage: which collections are served from which tables.

use odata_server::auth::Permissions;
use odata_server::service::{CollectionDef, Service, ServiceBuilder};
use sqlx::migrate::Migrator;

/// The SQLite migrations in `migrations/sqlite`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// The PostgreSQL migrations in `migrations/postgres`, embedded in the binary: the same
/// tables, columns, keys and indexes as [`MIGRATOR`]'s, in PostgreSQL types.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// Both migration sets, for `Application::build`: the database URL picks one.
pub fn migrations() -> odata_server::app::Migrations<'static> {
    odata_server::app::Migrations {
        sqlite: &MIGRATOR,
        postgres: Some(&POSTGRES_MIGRATOR),
    }
}

/// Delegated scope / application role reading managed devices (events).
pub const MANAGED_DEVICES_READ: &str = "DeviceManagementManagedDevices.Read.All";
/// Delegated scope / application role writing managed devices (events).
pub const MANAGED_DEVICES_READ_WRITE: &str = "DeviceManagementManagedDevices.ReadWrite.All";
/// Delegated scope / application role reading the service configuration (identities,
/// deployment profiles).
pub const SERVICE_CONFIG_READ: &str = "DeviceManagementServiceConfig.Read.All";
/// Delegated scope / application role writing the service configuration.
pub const SERVICE_CONFIG_READ_WRITE: &str = "DeviceManagementServiceConfig.ReadWrite.All";

/// The Autopilot device identities.
pub const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
/// The deployment profiles.
pub const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// The served collections, all contained in the `deviceManagement` singleton as in Graph,
/// each with its table, its permissions as Microsoft Graph documents them (any listed
/// permission suffices; `ReadWrite` also reads) and the string properties `$search` looks
/// in (identifiers people type). A device's `deploymentProfile` and
/// `intendedDeploymentProfile` are references to profiles; a profile's `assignedDevices`
/// are the devices whose `deploymentProfile` it is. An event's `policyStatusDetails` and a
/// profile's `assignments` are contained in it. The bound actions have the effects of
/// [`crate::actions`].
pub fn collections() -> [CollectionDef; 3] {
    let managed_devices = Permissions::new(
        &[MANAGED_DEVICES_READ, MANAGED_DEVICES_READ_WRITE],
        &[MANAGED_DEVICES_READ_WRITE],
    );
    let service_config = Permissions::new(
        &[SERVICE_CONFIG_READ, SERVICE_CONFIG_READ_WRITE],
        &[SERVICE_CONFIG_READ_WRITE],
    );
    [
        CollectionDef::new("deviceManagement/autopilotEvents", "autopilot_events")
            .permissions(managed_devices)
            .contains("policyStatusDetails", "autopilot_policy_status_details")
            // Reports count events of a period: `$count` of an eventDateTime range.
            .range_counts("eventDateTime")
            // Serial numbers are looked up by fragments people type.
            .trigram_index("deviceSerialNumber")
            .searchable([
                "deviceSerialNumber",
                "deviceId",
                "managedDeviceName",
                "userPrincipalName",
                "osVersion",
                "windowsAutopilotDeploymentProfileDisplayName",
            ]),
        crate::actions::device_identity_actions()
            .into_iter()
            .fold(
                CollectionDef::new(IDENTITIES, "device_identities"),
                |def, (name, handler)| def.action(name, handler),
            )
            .permissions(service_config.clone())
            .reference("deploymentProfile", PROFILES)
            .reference("intendedDeploymentProfile", PROFILES)
            .trigram_index("serialNumber")
            .searchable([
                "serialNumber",
                "displayName",
                "userPrincipalName",
                "groupTag",
                "manufacturer",
                "model",
                "productKey",
                "purchaseOrderIdentifier",
            ]),
        CollectionDef::new(PROFILES, "deployment_profiles")
            .permissions(service_config)
            .inverse("assignedDevices", IDENTITIES, "deploymentProfile")
            .contains("assignments", "deployment_profile_assignments")
            .action("assign", crate::actions::assign_profile())
            .searchable(["displayName", "description"]),
    ]
}

/// The Autopilot service definition.
pub fn service() -> Service {
    collections()
        .into_iter()
        .fold(Service::builder(crate::model()), ServiceBuilder::collection)
        .build()
        .expect("every Autopilot collection is declared in the model")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use odata_server::store::Store;

    use super::*;

    /// The migrations create every column the table mapping of the served collections
    /// expects, with its type (the check the service runs at start-up).
    #[tokio::test]
    async fn the_migrations_fit_the_table_mapping() {
        let store = Store::connect("sqlite::memory:", 1, Duration::from_secs(5))
            .await
            .expect("in-memory database");
        store
            .migrate(&MIGRATOR, &POSTGRES_MIGRATOR)
            .await
            .expect("migrations");
        let verified = store.verify_schema(&service()).await;
        assert!(verified.is_ok(), "{verified:?}");
    }
}
