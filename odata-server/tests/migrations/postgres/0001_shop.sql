-- The shop model of the framework's own tests (see tests/api/helpers.rs), PostgreSQL: the same tables,
-- columns and keys as tests/migrations/0001_shop.sql. Type mapping as the storage code uses it:
-- TEXT -> TEXT, INTEGER -> BIGINT, REAL -> DOUBLE PRECISION. Identifiers are quoted exactly as in the
-- SQLite file (the property columns are camelCase). Every TEXT column is COLLATE "C" so that comparisons
-- and ORDER BY go by code point, as SQLite's default BINARY collation does.
CREATE TABLE "products" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "sku" TEXT COLLATE "C" NOT NULL,
    "name" TEXT COLLATE "C",
    "color" BIGINT,
    "releasedAt" TEXT COLLATE "C",
    "releasedAt__utc" BIGINT,
    "warranty" BIGINT,
    "stock" BIGINT,
    "dimensions" TEXT COLLATE "C",
    "tags" TEXT COLLATE "C",
    "secret" TEXT COLLATE "C",
    "createdAt" TEXT COLLATE "C",
    "createdAt__utc" BIGINT,
    "modifiedAt" TEXT COLLATE "C",
    "modifiedAt__utc" BIGINT,
    "discount" DOUBLE PRECISION,
    PRIMARY KEY ("_tenant", "sku")
);
CREATE TABLE "orders" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "number" BIGINT NOT NULL,
    "customer" TEXT COLLATE "C",
    "placed" TEXT COLLATE "C",
    "product__id" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "number")
);
