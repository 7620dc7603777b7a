-- Indexes whose nullable columns serve OData's order: nulls first ascending, last descending.
-- A PostgreSQL btree orders nulls last by default, so `ORDER BY x ASC NULLS FIRST` (and its
-- backward scan, `x DESC NULLS LAST`) could not walk the indexes of 0001 and sorted instead.
-- Each index is rebuilt with its nullable property columns `NULLS FIRST`; "_tenant", "_parent" and the
-- key "id" are NOT NULL and keep the default. The statements sort NOT NULL key columns without a
-- NULLS clause, so the primary keys serve the default order as they are.

DROP INDEX "ix_autopilot_events_deviceSerialNumber_id";
CREATE INDEX "ix_autopilot_events_deviceSerialNumber_id" ON "autopilot_events" ("_tenant", "deviceSerialNumber" NULLS FIRST, "id");
DROP INDEX "ix_autopilot_events_userPrincipalName_id";
CREATE INDEX "ix_autopilot_events_userPrincipalName_id" ON "autopilot_events" ("_tenant", "userPrincipalName" NULLS FIRST, "id");
DROP INDEX "ix_autopilot_events_deploymentState_eventDateTime__utc_id";
CREATE INDEX "ix_autopilot_events_deploymentState_eventDateTime__utc_id" ON "autopilot_events" ("_tenant", "deploymentState" NULLS FIRST, "eventDateTime__utc" NULLS FIRST, "id");
DROP INDEX "ix_autopilot_events_enrollmentState_eventDateTime__utc_id";
CREATE INDEX "ix_autopilot_events_enrollmentState_eventDateTime__utc_id" ON "autopilot_events" ("_tenant", "enrollmentState" NULLS FIRST, "eventDateTime__utc" NULLS FIRST, "id");
DROP INDEX "ix_autopilot_events_deviceId_id";
CREATE INDEX "ix_autopilot_events_deviceId_id" ON "autopilot_events" ("_tenant", "deviceId" NULLS FIRST, "id");
DROP INDEX "ix_autopilot_events_eventDateTime__utc_id";
CREATE INDEX "ix_autopilot_events_eventDateTime__utc_id" ON "autopilot_events" ("_tenant", "eventDateTime__utc" NULLS FIRST, "id");
DROP INDEX "ix_device_identities_serialNumber_id";
CREATE INDEX "ix_device_identities_serialNumber_id" ON "device_identities" ("_tenant", "serialNumber" NULLS FIRST, "id");
DROP INDEX "ix_device_identities_userPrincipalName_id";
CREATE INDEX "ix_device_identities_userPrincipalName_id" ON "device_identities" ("_tenant", "userPrincipalName" NULLS FIRST, "id");
DROP INDEX "ix_device_identities_enrollmentState_id";
CREATE INDEX "ix_device_identities_enrollmentState_id" ON "device_identities" ("_tenant", "enrollmentState" NULLS FIRST, "id");
DROP INDEX "ix_device_identities_deploymentProfileAssignmentStatus_id";
CREATE INDEX "ix_device_identities_deploymentProfileAssignmentStatus_id" ON "device_identities" ("_tenant", "deploymentProfileAssignmentStatus" NULLS FIRST, "id");
DROP INDEX "ix_device_identities_groupTag_id";
CREATE INDEX "ix_device_identities_groupTag_id" ON "device_identities" ("_tenant", "groupTag" NULLS FIRST, "id");
DROP INDEX "ix_device_identities_azureAdDeviceId_id";
CREATE INDEX "ix_device_identities_azureAdDeviceId_id" ON "device_identities" ("_tenant", "azureAdDeviceId" NULLS FIRST, "id");
DROP INDEX "ix_device_identities_deploymentProfile__id";
CREATE INDEX "ix_device_identities_deploymentProfile__id" ON "device_identities" ("_tenant", "deploymentProfile__id" NULLS FIRST);
DROP INDEX "ix_device_identities_intendedDeploymentProfile__id";
CREATE INDEX "ix_device_identities_intendedDeploymentProfile__id" ON "device_identities" ("_tenant", "intendedDeploymentProfile__id" NULLS FIRST);
DROP INDEX "ix_deployment_profiles_displayName";
CREATE INDEX "ix_deployment_profiles_displayName" ON "deployment_profiles" ("_tenant", "displayName" NULLS FIRST);
DROP INDEX "ix_deployment_profiles_createdDateTime__utc";
CREATE INDEX "ix_deployment_profiles_createdDateTime__utc" ON "deployment_profiles" ("_tenant", "createdDateTime__utc" NULLS FIRST);
