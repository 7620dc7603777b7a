-- The states' key-order indexes, as on SQLite (0003 there): a page of events in key order
-- filtered by a state walks one of them.
CREATE INDEX "ix_autopilot_events_enrollmentState_id" ON "autopilot_events" ("_tenant", "enrollmentState" NULLS FIRST, "id");
CREATE INDEX "ix_autopilot_events_deploymentState_id" ON "autopilot_events" ("_tenant", "deploymentState" NULLS FIRST, "id");
