//! The Autopilot model bound to storage: which collections are served from which tables.

use odata_server::auth::Permissions;
use odata_server::service::Service;
use sqlx::migrate::Migrator;

/// The SQLite migrations in `migrations/sqlite`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// The served collections, all contained in the `deviceManagement` singleton as in Graph.
pub const COLLECTIONS: [(&str, &str); 3] = [
    ("deviceManagement/autopilotEvents", "autopilot_events"),
    (
        "deviceManagement/windowsAutopilotDeviceIdentities",
        "device_identities",
    ),
    (
        "deviceManagement/windowsAutopilotDeploymentProfiles",
        "deployment_profiles",
    ),
];

/// Delegated scope / application role reading managed devices (events).
pub const MANAGED_DEVICES_READ: &str = "DeviceManagementManagedDevices.Read.All";
/// Delegated scope / application role writing managed devices (events).
pub const MANAGED_DEVICES_READ_WRITE: &str = "DeviceManagementManagedDevices.ReadWrite.All";
/// Delegated scope / application role reading the service configuration (identities,
/// deployment profiles).
pub const SERVICE_CONFIG_READ: &str = "DeviceManagementServiceConfig.Read.All";
/// Delegated scope / application role writing the service configuration.
pub const SERVICE_CONFIG_READ_WRITE: &str = "DeviceManagementServiceConfig.ReadWrite.All";

/// The permissions of each collection, as Microsoft Graph documents them: any listed
/// permission suffices; `ReadWrite` also reads.
pub fn permissions() -> [(&'static str, Permissions); 3] {
    let managed_devices = Permissions::new(
        &[MANAGED_DEVICES_READ, MANAGED_DEVICES_READ_WRITE],
        &[MANAGED_DEVICES_READ_WRITE],
    );
    let service_config = Permissions::new(
        &[SERVICE_CONFIG_READ, SERVICE_CONFIG_READ_WRITE],
        &[SERVICE_CONFIG_READ_WRITE],
    );
    [
        ("deviceManagement/autopilotEvents", managed_devices),
        (
            "deviceManagement/windowsAutopilotDeviceIdentities",
            service_config.clone(),
        ),
        (
            "deviceManagement/windowsAutopilotDeploymentProfiles",
            service_config,
        ),
    ]
}

/// The string properties `$search` looks in, per collection: identifiers people type.
pub const SEARCHABLE: [(&str, &[&str]); 3] = [
    (
        "deviceManagement/autopilotEvents",
        &[
            "deviceSerialNumber",
            "deviceId",
            "managedDeviceName",
            "userPrincipalName",
            "osVersion",
            "windowsAutopilotDeploymentProfileDisplayName",
        ],
    ),
    (
        "deviceManagement/windowsAutopilotDeviceIdentities",
        &[
            "serialNumber",
            "displayName",
            "userPrincipalName",
            "groupTag",
            "manufacturer",
            "model",
            "productKey",
            "purchaseOrderIdentifier",
        ],
    ),
    (
        "deviceManagement/windowsAutopilotDeploymentProfiles",
        &["displayName", "description"],
    ),
];

/// The Autopilot service definition.
pub fn service() -> Service {
    let builder = COLLECTIONS
        .iter()
        .fold(Service::builder(crate::model()), |b, (path, table)| {
            b.collection(*path, *table)
        });
    let builder = SEARCHABLE.iter().fold(builder, |b, (path, properties)| {
        b.searchable(*path, properties.iter().copied())
    });
    permissions()
        .into_iter()
        .fold(builder, |b, (path, p)| b.permissions(path, p))
        .build()
        .expect("every Autopilot collection is declared in the model")
}
