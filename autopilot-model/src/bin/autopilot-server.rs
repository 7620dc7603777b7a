//! `autopilot-server`: the Microsoft Graph (beta) compatible Windows Autopilot service.

use odata_server::cli::{Product, run};

/// The Autopilot service's name and defaults: the Graph `beta` root, an `autopilot.db`
/// beside the working directory.
const AUTOPILOT: Product = Product {
    name: "autopilot-server",
    about: "Serves deviceManagement/autopilotEvents, windowsAutopilotDeviceIdentities and \
            windowsAutopilotDeploymentProfiles over OData 4.01.",
    version: env!("CARGO_PKG_VERSION"),
    database_url: "sqlite://autopilot.db?mode=rwc",
    base_path: "beta",
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(
        &AUTOPILOT,
        autopilot_model::service::service(),
        autopilot_model::service::migrations(),
    )
    .await?;
    Ok(())
}
