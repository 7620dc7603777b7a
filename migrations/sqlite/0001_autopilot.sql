-- Autopilot model (microsoft.graph), SQLite: one rowid table per entity-type hierarchy, key ("_tenant", "id").
-- System columns: "_tenant", "_type" (qualified concrete type), "_version" (ETag source), and "_parent" (parent key) for
-- entities contained in another entity. One column per structural property, named exactly as the property: enums,
-- Boolean/Int32 and Duration (100 ns ticks) INTEGER; complex/collection values JSON TEXT; DateTimeOffset "x" TEXT (as sent)
-- + "x__utc" INTEGER (100 ns ticks since the Unix epoch, UTC); single non-contained navigation "<nav>__id" TEXT.

-- "id" alone is NOT NULL (SQLite would accept NULL in a rowid table's PRIMARY KEY); the framework enforces
-- the nullability of every other property, and derived-type columns are NULL for the other types.

-- microsoft.graph.deviceManagementAutopilotEvent (deviceManagement/autopilotEvents)
CREATE TABLE "autopilot_events" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "id" TEXT NOT NULL,
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "accountSetupDuration" INTEGER,
    "accountSetupStatus" INTEGER,
    "deploymentDuration" INTEGER,
    "deploymentEndDateTime" TEXT,
    "deploymentEndDateTime__utc" INTEGER,
    "deploymentStartDateTime" TEXT,
    "deploymentStartDateTime__utc" INTEGER,
    "deploymentState" INTEGER,
    "deploymentTotalDuration" INTEGER,
    "deviceId" TEXT,
    "devicePreparationDuration" INTEGER,
    "deviceRegisteredDateTime" TEXT,
    "deviceRegisteredDateTime__utc" INTEGER,
    "deviceSerialNumber" TEXT,
    "deviceSetupDuration" INTEGER,
    "deviceSetupStatus" INTEGER,
    "enrollmentFailureDetails" TEXT,
    "enrollmentStartDateTime" TEXT,
    "enrollmentStartDateTime__utc" INTEGER,
    "enrollmentState" INTEGER,
    "enrollmentType" INTEGER,
    "eventDateTime" TEXT,
    "eventDateTime__utc" INTEGER,
    "managedDeviceName" TEXT,
    "osVersion" TEXT,
    "targetedAppCount" INTEGER,
    "targetedPolicyCount" INTEGER,
    "userId" TEXT,
    "userPrincipalName" TEXT,
    "windows10EnrollmentCompletionPageConfigurationDisplayName" TEXT,
    "windows10EnrollmentCompletionPageConfigurationId" TEXT,
    "windowsAutopilotDeploymentProfileDisplayName" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_autopilot_events_deviceSerialNumber_id" ON "autopilot_events" ("_tenant", "deviceSerialNumber", "id");
CREATE INDEX "ix_autopilot_events_userPrincipalName_id" ON "autopilot_events" ("_tenant", "userPrincipalName", "id");
CREATE INDEX "ix_autopilot_events_deploymentState_eventDateTime__utc_id" ON "autopilot_events" ("_tenant", "deploymentState", "eventDateTime__utc", "id");
CREATE INDEX "ix_autopilot_events_enrollmentState_eventDateTime__utc_id" ON "autopilot_events" ("_tenant", "enrollmentState", "eventDateTime__utc", "id");
CREATE INDEX "ix_autopilot_events_deviceId_id" ON "autopilot_events" ("_tenant", "deviceId", "id");
CREATE INDEX "ix_autopilot_events_eventDateTime__utc_id" ON "autopilot_events" ("_tenant", "eventDateTime__utc", "id");

-- microsoft.graph.deviceManagementAutopilotPolicyStatusDetail (autopilotEvents/{id}/policyStatusDetails)
CREATE TABLE "autopilot_policy_status_details" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "id" TEXT NOT NULL,
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "_parent" TEXT NOT NULL,
    "complianceStatus" INTEGER,
    "displayName" TEXT,
    "errorCode" INTEGER,
    "lastReportedDateTime" TEXT,
    "lastReportedDateTime__utc" INTEGER,
    "policyType" INTEGER,
    "trackedOnEnrollmentStatus" INTEGER,
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_autopilot_policy_status_details__parent" ON "autopilot_policy_status_details" ("_tenant", "_parent");

-- microsoft.graph.windowsAutopilotDeviceIdentity (deviceManagement/windowsAutopilotDeviceIdentities)
CREATE TABLE "device_identities" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "id" TEXT NOT NULL,
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "addressableUserName" TEXT,
    "azureActiveDirectoryDeviceId" TEXT,
    "azureAdDeviceId" TEXT,
    "deploymentProfileAssignedDateTime" TEXT,
    "deploymentProfileAssignedDateTime__utc" INTEGER,
    "deploymentProfileAssignmentDetailedStatus" INTEGER,
    "deploymentProfileAssignmentStatus" INTEGER,
    "deviceAccountPassword" TEXT,
    "deviceAccountUpn" TEXT,
    "deviceFriendlyName" TEXT,
    "displayName" TEXT,
    "enrollmentState" INTEGER,
    "groupTag" TEXT,
    "lastContactedDateTime" TEXT,
    "lastContactedDateTime__utc" INTEGER,
    "managedDeviceId" TEXT,
    "manufacturer" TEXT,
    "model" TEXT,
    "orderIdentifier" TEXT,
    "productKey" TEXT,
    "purchaseOrderIdentifier" TEXT,
    "remediationState" INTEGER,
    "remediationStateLastModifiedDateTime" TEXT,
    "remediationStateLastModifiedDateTime__utc" INTEGER,
    "resourceName" TEXT,
    "serialNumber" TEXT,
    "skuNumber" TEXT,
    "systemFamily" TEXT,
    "userlessEnrollmentStatus" INTEGER,
    "userPrincipalName" TEXT,
    "deploymentProfile__id" TEXT,
    "intendedDeploymentProfile__id" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_device_identities_serialNumber_id" ON "device_identities" ("_tenant", "serialNumber", "id");
CREATE INDEX "ix_device_identities_userPrincipalName_id" ON "device_identities" ("_tenant", "userPrincipalName", "id");
CREATE INDEX "ix_device_identities_enrollmentState_id" ON "device_identities" ("_tenant", "enrollmentState", "id");
CREATE INDEX "ix_device_identities_deploymentProfileAssignmentStatus_id" ON "device_identities" ("_tenant", "deploymentProfileAssignmentStatus", "id");
CREATE INDEX "ix_device_identities_groupTag_id" ON "device_identities" ("_tenant", "groupTag", "id");
CREATE INDEX "ix_device_identities_azureAdDeviceId_id" ON "device_identities" ("_tenant", "azureAdDeviceId", "id");
CREATE INDEX "ix_device_identities_deploymentProfile__id" ON "device_identities" ("_tenant", "deploymentProfile__id");
CREATE INDEX "ix_device_identities_intendedDeploymentProfile__id" ON "device_identities" ("_tenant", "intendedDeploymentProfile__id");

-- microsoft.graph.windowsAutopilotDeploymentProfile (abstract) and its subtypes
-- azureADWindowsAutopilotDeploymentProfile (+0) and activeDirectoryWindowsAutopilotDeploymentProfile
-- (+hybridAzureADJoinSkipConnectivityCheck) (deviceManagement/windowsAutopilotDeploymentProfiles)
CREATE TABLE "deployment_profiles" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "id" TEXT NOT NULL,
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "createdDateTime" TEXT,
    "createdDateTime__utc" INTEGER,
    "description" TEXT,
    "deviceNameTemplate" TEXT,
    "deviceType" INTEGER,
    "displayName" TEXT,
    "enableWhiteGlove" INTEGER,
    "enrollmentStatusScreenSettings" TEXT,
    "extractHardwareHash" INTEGER,
    "hardwareHashExtractionEnabled" INTEGER,
    "language" TEXT,
    "lastModifiedDateTime" TEXT,
    "lastModifiedDateTime__utc" INTEGER,
    "locale" TEXT,
    "managementServiceAppId" TEXT,
    "outOfBoxExperienceSetting" TEXT,
    "outOfBoxExperienceSettings" TEXT,
    "preprovisioningAllowed" INTEGER,
    "roleScopeTagIds" TEXT,
    "hybridAzureADJoinSkipConnectivityCheck" INTEGER,
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_deployment_profiles_displayName" ON "deployment_profiles" ("_tenant", "displayName");
CREATE INDEX "ix_deployment_profiles_createdDateTime__utc" ON "deployment_profiles" ("_tenant", "createdDateTime__utc");

-- microsoft.graph.windowsAutopilotDeploymentProfileAssignment (windowsAutopilotDeploymentProfiles/{id}/assignments)
CREATE TABLE "deployment_profile_assignments" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "id" TEXT NOT NULL,
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "_parent" TEXT NOT NULL,
    "source" INTEGER,
    "sourceId" TEXT,
    "target" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_deployment_profile_assignments__parent" ON "deployment_profile_assignments" ("_tenant", "_parent");
