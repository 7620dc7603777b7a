-- The media model of the framework's tests (see tests/api/media.rs), PostgreSQL: the same
-- tables as ../sqlite/0001_media.sql, TEXT COLLATE "C", BIGINT, BYTEA.
CREATE TABLE "files" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C",
    "contentType" TEXT COLLATE "C",
    "size" BIGINT,
    "createdAt" TEXT COLLATE "C",
    "createdAt__utc" BIGINT,
    "modifiedAt" TEXT COLLATE "C",
    "modifiedAt__utc" BIGINT,
    "_media_type" TEXT COLLATE "C",
    "_media" BYTEA,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "cards" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "title" TEXT COLLATE "C",
    "photo__type" TEXT COLLATE "C",
    "photo" BYTEA,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "notices" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "text" TEXT COLLATE "C",
    "card__id" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "company" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C",
    "ceo" TEXT COLLATE "C",
    "founded" BIGINT,
    "logo" BYTEA,
    "updatedAt" TEXT COLLATE "C",
    "updatedAt__utc" BIGINT,
    PRIMARY KEY ("_tenant", "id")
);
INSERT INTO "notices" ("_type", "id", "text") VALUES
    ('example.files.notice', 'n1', 'Closed on Monday'),
    ('example.files.notice', 'n2', 'New opening hours');
-- The logo is `<svg/>` in base64url.
INSERT INTO "company" ("_type", "id", "name", "ceo", "founded", "logo", "updatedAt", "updatedAt__utc")
VALUES ('example.files.company', 'c0000000-0000-4000-8000-000000000001', 'Files Inc.', 'Ada', 1990,
        '\x3c7376672f3e'::bytea, '2024-01-01T00:00:00Z', 17040672000000000);
