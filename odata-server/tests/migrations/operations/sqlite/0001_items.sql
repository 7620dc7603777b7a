-- The model of tests/api/operations.rs: one table for `ops.item` and its derived `ops.special`.
CREATE TABLE "items" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "name" TEXT,
    "price" REAL,
    "kind" TEXT,
    "feature" TEXT,
    "parent__id" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
