-- The model of tests/api/edm.rs on PostgreSQL: the same columns as ../sqlite/0001_edm.sql.
CREATE TABLE "items" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C",
    "price" DOUBLE PRECISION,
    "rating" BIGINT,
    "status" BIGINT,
    "kind" TEXT COLLATE "C",
    "label" TEXT COLLATE "C",
    "shipping" BIGINT,
    "code" TEXT COLLATE "C",
    "note" TEXT COLLATE "C",
    "serial" TEXT COLLATE "C",
    "version" BIGINT,
    "createdAt" TEXT COLLATE "C",
    "createdAt__utc" BIGINT,
    "extra" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
