-- The media model of the framework's tests (see tests/api/media.rs): a media entity set,
-- a set with a stream property, a read-only set and a stored singleton.
CREATE TABLE "files" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "name" TEXT,
    "contentType" TEXT,
    "size" INTEGER,
    "createdAt" TEXT,
    "createdAt__utc" INTEGER,
    "modifiedAt" TEXT,
    "modifiedAt__utc" INTEGER,
    "_media_type" TEXT,
    "_media" BLOB,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "cards" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "title" TEXT,
    "photo__type" TEXT,
    "photo" BLOB,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "notices" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "text" TEXT,
    "card__id" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "company" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "name" TEXT,
    "ceo" TEXT,
    "founded" INTEGER,
    "logo" BLOB,
    "updatedAt" TEXT,
    "updatedAt__utc" INTEGER,
    PRIMARY KEY ("_tenant", "id")
);
INSERT INTO "notices" ("_type", "id", "text") VALUES
    ('example.files.notice', 'n1', 'Closed on Monday'),
    ('example.files.notice', 'n2', 'New opening hours');
-- The logo is `<svg/>` in base64url.
INSERT INTO "company" ("_type", "id", "name", "ceo", "founded", "logo", "updatedAt", "updatedAt__utc")
VALUES ('example.files.company', 'c0000000-0000-4000-8000-000000000001', 'Files Inc.', 'Ada', 1990,
        X'3C7376672F3E', '2024-01-01T00:00:00Z', 17040672000000000);
