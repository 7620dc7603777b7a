-- The foreign-key model of tests/api/foreign_keys.rs (PostgreSQL: the same tables as the SQLite file).
CREATE TABLE "groups" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" BIGINT NOT NULL,
    "name" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "items" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" BIGINT NOT NULL,
    "label" TEXT COLLATE "C",
    "groupId" BIGINT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "notes" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "itemId" BIGINT NOT NULL,
    "lang" TEXT COLLATE "C" NOT NULL,
    "text" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "itemId", "lang")
);
CREATE TABLE "badges" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" BIGINT NOT NULL,
    "groupId" BIGINT NOT NULL,
    PRIMARY KEY ("_tenant", "id")
);
-- Group names are unique within a tenant.
CREATE UNIQUE INDEX "groups_name" ON "groups" ("_tenant", "name");
CREATE INDEX "items_group" ON "items" ("_tenant", "groupId");
CREATE INDEX "badges_group" ON "badges" ("_tenant", "groupId");
