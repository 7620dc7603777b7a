-- The model of tests/api/asynchronous.rs.
CREATE TABLE "notes" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" INTEGER NOT NULL,
    "text" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
