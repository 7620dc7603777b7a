-- The spatial test model of tests/api/geo.rs: spatial values are GeoJSON text.
CREATE TABLE "places" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "name" TEXT,
    "location" TEXT,
    "route" TEXT,
    "area" TEXT,
    "survey" TEXT,
    "marker" TEXT,
    "home" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
