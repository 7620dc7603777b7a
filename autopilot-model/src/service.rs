//! The Autopilot model bound to storage: which collections are served from which tables.

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

/// The Autopilot service definition.
pub fn service() -> Service {
    COLLECTIONS
        .iter()
        .fold(Service::builder(crate::model()), |b, (path, table)| {
            b.collection(*path, *table)
        })
        .build()
        .expect("every Autopilot collection is declared in the model")
}
