-- Autopilot model (microsoft.graph), PostgreSQL: the same tables, columns, keys and indexes as
-- migrations/sqlite/0001_autopilot.sql, one table per entity-type hierarchy, key ("_tenant", "id").
-- Type mapping (kept identical to the one the storage code uses): TEXT -> TEXT, INTEGER -> BIGINT (enums,
-- Boolean/Int32, Duration ticks, "_version" and the "x__utc" tick columns), REAL -> DOUBLE PRECISION,
-- JSON text -> TEXT, BLOB -> BYTEA. Identifiers are quoted exactly as in the SQLite file: PostgreSQL folds
-- unquoted names to lower case and the property columns are camelCase.
-- Every TEXT column is COLLATE "C" so that comparisons and ORDER BY (and the indexes serving them) go by
-- code point, as SQLite's default BINARY collation does, whatever the database's default collation is.

-- microsoft.graph.deviceManagementAutopilotEvent (deviceManagement/autopilotEvents)
CREATE TABLE "autopilot_events" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "id" TEXT COLLATE "C" NOT NULL,
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "accountSetupDuration" BIGINT,
    "accountSetupStatus" BIGINT,
    "deploymentDuration" BIGINT,
    "deploymentEndDateTime" TEXT COLLATE "C",
    "deploymentEndDateTime__utc" BIGINT,
    "deploymentStartDateTime" TEXT COLLATE "C",
    "deploymentStartDateTime__utc" BIGINT,
    "deploymentState" BIGINT,
    "deploymentTotalDuration" BIGINT,
    "deviceId" TEXT COLLATE "C",
    "devicePreparationDuration" BIGINT,
    "deviceRegisteredDateTime" TEXT COLLATE "C",
    "deviceRegisteredDateTime__utc" BIGINT,
    "deviceSerialNumber" TEXT COLLATE "C",
    "deviceSetupDuration" BIGINT,
    "deviceSetupStatus" BIGINT,
    "enrollmentFailureDetails" TEXT COLLATE "C",
    "enrollmentStartDateTime" TEXT COLLATE "C",
    "enrollmentStartDateTime__utc" BIGINT,
    "enrollmentState" BIGINT,
    "enrollmentType" BIGINT,
    "eventDateTime" TEXT COLLATE "C",
    "eventDateTime__utc" BIGINT,
    "managedDeviceName" TEXT COLLATE "C",
    "osVersion" TEXT COLLATE "C",
    "targetedAppCount" BIGINT,
    "targetedPolicyCount" BIGINT,
    "userId" TEXT COLLATE "C",
    "userPrincipalName" TEXT COLLATE "C",
    "windows10EnrollmentCompletionPageConfigurationDisplayName" TEXT COLLATE "C",
    "windows10EnrollmentCompletionPageConfigurationId" TEXT COLLATE "C",
    "windowsAutopilotDeploymentProfileDisplayName" TEXT COLLATE "C",
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
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "id" TEXT COLLATE "C" NOT NULL,
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "_parent" TEXT COLLATE "C" NOT NULL,
    "complianceStatus" BIGINT,
    "displayName" TEXT COLLATE "C",
    "errorCode" BIGINT,
    "lastReportedDateTime" TEXT COLLATE "C",
    "lastReportedDateTime__utc" BIGINT,
    "policyType" BIGINT,
    "trackedOnEnrollmentStatus" BIGINT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_autopilot_policy_status_details__parent" ON "autopilot_policy_status_details" ("_tenant", "_parent");

-- microsoft.graph.windowsAutopilotDeviceIdentity (deviceManagement/windowsAutopilotDeviceIdentities)
CREATE TABLE "device_identities" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "id" TEXT COLLATE "C" NOT NULL,
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "addressableUserName" TEXT COLLATE "C",
    "azureActiveDirectoryDeviceId" TEXT COLLATE "C",
    "azureAdDeviceId" TEXT COLLATE "C",
    "deploymentProfileAssignedDateTime" TEXT COLLATE "C",
    "deploymentProfileAssignedDateTime__utc" BIGINT,
    "deploymentProfileAssignmentDetailedStatus" BIGINT,
    "deploymentProfileAssignmentStatus" BIGINT,
    "deviceAccountPassword" TEXT COLLATE "C",
    "deviceAccountUpn" TEXT COLLATE "C",
    "deviceFriendlyName" TEXT COLLATE "C",
    "displayName" TEXT COLLATE "C",
    "enrollmentState" BIGINT,
    "groupTag" TEXT COLLATE "C",
    "lastContactedDateTime" TEXT COLLATE "C",
    "lastContactedDateTime__utc" BIGINT,
    "managedDeviceId" TEXT COLLATE "C",
    "manufacturer" TEXT COLLATE "C",
    "model" TEXT COLLATE "C",
    "orderIdentifier" TEXT COLLATE "C",
    "productKey" TEXT COLLATE "C",
    "purchaseOrderIdentifier" TEXT COLLATE "C",
    "remediationState" BIGINT,
    "remediationStateLastModifiedDateTime" TEXT COLLATE "C",
    "remediationStateLastModifiedDateTime__utc" BIGINT,
    "resourceName" TEXT COLLATE "C",
    "serialNumber" TEXT COLLATE "C",
    "skuNumber" TEXT COLLATE "C",
    "systemFamily" TEXT COLLATE "C",
    "userlessEnrollmentStatus" BIGINT,
    "userPrincipalName" TEXT COLLATE "C",
    "deploymentProfile__id" TEXT COLLATE "C",
    "intendedDeploymentProfile__id" TEXT COLLATE "C",
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
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "id" TEXT COLLATE "C" NOT NULL,
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "createdDateTime" TEXT COLLATE "C",
    "createdDateTime__utc" BIGINT,
    "description" TEXT COLLATE "C",
    "deviceNameTemplate" TEXT COLLATE "C",
    "deviceType" BIGINT,
    "displayName" TEXT COLLATE "C",
    "enableWhiteGlove" BIGINT,
    "enrollmentStatusScreenSettings" TEXT COLLATE "C",
    "extractHardwareHash" BIGINT,
    "hardwareHashExtractionEnabled" BIGINT,
    "language" TEXT COLLATE "C",
    "lastModifiedDateTime" TEXT COLLATE "C",
    "lastModifiedDateTime__utc" BIGINT,
    "locale" TEXT COLLATE "C",
    "managementServiceAppId" TEXT COLLATE "C",
    "outOfBoxExperienceSetting" TEXT COLLATE "C",
    "outOfBoxExperienceSettings" TEXT COLLATE "C",
    "preprovisioningAllowed" BIGINT,
    "roleScopeTagIds" TEXT COLLATE "C",
    "hybridAzureADJoinSkipConnectivityCheck" BIGINT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_deployment_profiles_displayName" ON "deployment_profiles" ("_tenant", "displayName");
CREATE INDEX "ix_deployment_profiles_createdDateTime__utc" ON "deployment_profiles" ("_tenant", "createdDateTime__utc");

-- microsoft.graph.windowsAutopilotDeploymentProfileAssignment (windowsAutopilotDeploymentProfiles/{id}/assignments)
CREATE TABLE "deployment_profile_assignments" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "id" TEXT COLLATE "C" NOT NULL,
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "_parent" TEXT COLLATE "C" NOT NULL,
    "source" BIGINT,
    "sourceId" TEXT COLLATE "C",
    "target" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
CREATE INDEX "ix_deployment_profile_assignments__parent" ON "deployment_profile_assignments" ("_tenant", "_parent");
