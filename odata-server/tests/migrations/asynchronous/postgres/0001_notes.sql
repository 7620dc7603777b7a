-- The model of tests/api/asynchronous.rs, PostgreSQL: the same table as the SQLite migration.
CREATE TABLE "notes" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" BIGINT NOT NULL,
    "text" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
