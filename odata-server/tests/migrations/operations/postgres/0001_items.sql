-- The model of tests/api/operations.rs, PostgreSQL: the same table as the SQLite migration.
CREATE TABLE "items" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C",
    "price" DOUBLE PRECISION,
    "kind" TEXT COLLATE "C",
    "feature" TEXT COLLATE "C",
    "parent__id" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
