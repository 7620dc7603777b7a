-- The events' time index also holds the serial number, as on SQLite (0002 there): an
-- index-only scan can test `contains(deviceSerialNumber, …)` on its entries. It serves
-- everything the index it replaces served.
DROP INDEX "ix_autopilot_events_eventDateTime__utc_id";
CREATE INDEX "ix_autopilot_events_eventDateTime__utc_id_deviceSerialNumber" ON "autopilot_events" ("_tenant", "eventDateTime__utc" NULLS FIRST, "id", "deviceSerialNumber");
