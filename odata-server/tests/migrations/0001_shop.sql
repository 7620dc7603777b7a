-- A small second model used by the framework's own tests (see tests/api/helpers.rs).
CREATE TABLE "products" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "sku" TEXT NOT NULL,
    "name" TEXT,
    "color" INTEGER,
    "releasedAt" TEXT,
    "releasedAt__utc" INTEGER,
    "warranty" INTEGER,
    "stock" INTEGER,
    "dimensions" TEXT,
    "tags" TEXT,
    "secret" TEXT,
    "createdAt" TEXT,
    "createdAt__utc" INTEGER,
    "modifiedAt" TEXT,
    "modifiedAt__utc" INTEGER,
    "discount" REAL,
    PRIMARY KEY ("_tenant", "sku")
);
CREATE TABLE "orders" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "number" INTEGER NOT NULL,
    "customer" TEXT,
    "placed" TEXT,
    "product__id" TEXT,
    PRIMARY KEY ("_tenant", "number")
);
