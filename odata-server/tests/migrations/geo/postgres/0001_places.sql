-- The spatial test model of tests/api/geo.rs, PostgreSQL: the same table as
-- ../sqlite/0001_places.sql; spatial values are GeoJSON text.
CREATE TABLE "places" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C",
    "location" TEXT COLLATE "C",
    "route" TEXT COLLATE "C",
    "area" TEXT COLLATE "C",
    "survey" TEXT COLLATE "C",
    "marker" TEXT COLLATE "C",
    "home" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
