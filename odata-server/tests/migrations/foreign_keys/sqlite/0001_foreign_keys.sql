-- The foreign-key model of tests/api/foreign_keys.rs.
CREATE TABLE "groups" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" INTEGER NOT NULL,
    "name" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "items" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" INTEGER NOT NULL,
    "label" TEXT,
    "groupId" INTEGER,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "notes" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "itemId" INTEGER NOT NULL,
    "lang" TEXT NOT NULL,
    "text" TEXT,
    PRIMARY KEY ("_tenant", "itemId", "lang")
);
CREATE TABLE "badges" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" INTEGER NOT NULL,
    "groupId" INTEGER NOT NULL,
    PRIMARY KEY ("_tenant", "id")
);
-- Group names are unique within a tenant.
CREATE UNIQUE INDEX "groups_name" ON "groups" ("_tenant", "name");
CREATE INDEX "items_group" ON "items" ("_tenant", "groupId");
CREATE INDEX "badges_group" ON "badges" ("_tenant", "groupId");
