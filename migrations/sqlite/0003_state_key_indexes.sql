-- A page of events in key order filtered by a state (`enrollmentState eq 'enrolled'`, the
-- default order) is one walk of these indexes, whatever the planner's statistics say. With
-- only the states' time indexes, the sampled statistics `PRAGMA optimize` writes made the
-- planner take the state's index and sort every event in that state by key, for one page.
CREATE INDEX "ix_autopilot_events_enrollmentState_id" ON "autopilot_events" ("_tenant", "enrollmentState", "id");
CREATE INDEX "ix_autopilot_events_deploymentState_id" ON "autopilot_events" ("_tenant", "deploymentState", "id");
