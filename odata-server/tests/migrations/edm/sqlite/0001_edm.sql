-- The model of tests/api/edm.rs: type definitions, a flags enum, default values.
CREATE TABLE "items" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "name" TEXT,
    "price" REAL,
    "rating" INTEGER,
    "status" INTEGER,
    "kind" TEXT,
    "label" TEXT,
    "shipping" INTEGER,
    "code" TEXT,
    "note" TEXT,
    "serial" TEXT,
    "version" INTEGER,
    "createdAt" TEXT,
    "createdAt__utc" INTEGER,
    "extra" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
