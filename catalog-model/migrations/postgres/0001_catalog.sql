-- The catalog (catalog-model) on PostgreSQL: the same tables, columns and keys as
-- migrations/sqlite/0001_catalog.sql in PostgreSQL types; text compares by code point ("C").
CREATE TABLE "products" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "ID" TEXT COLLATE "C" NOT NULL,
    "Name" TEXT COLLATE "C",
    "Description" TEXT COLLATE "C",
    "Price" DOUBLE PRECISION,
    "Rating" BIGINT,
    "Temperature" BIGINT,
    "Quantity" BIGINT,
    "Weight" DOUBLE PRECISION,
    "Data" BYTEA,
    "ReleaseDate" TEXT COLLATE "C",
    "OpenTime" BIGINT,
    "ShippingTime" BIGINT,
    "ProcessingTime" BIGINT,
    "Offset" BIGINT,
    "CategoryID" TEXT COLLATE "C",
    "Status" BIGINT,
    "Version" BIGINT,
    "CreatedAt" TEXT COLLATE "C",
    "CreatedAt__utc" BIGINT,
    "SerialNumber" TEXT COLLATE "C",
    "ProductType" TEXT COLLATE "C",
    "ShippingAddress" TEXT COLLATE "C",
    "Dimensions" TEXT COLLATE "C",
    "Location" TEXT COLLATE "C",
    "Route" TEXT COLLATE "C",
    "Area" TEXT COLLATE "C",
    "SpecialProperty" TEXT COLLATE "C",
    "SpecialFeature" TEXT COLLATE "C",
    "Photo__type" TEXT COLLATE "C",
    "Photo" BYTEA,
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "categories" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "ID" TEXT COLLATE "C" NOT NULL,
    "Name" TEXT COLLATE "C",
    "Description" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "product_descriptions" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "ProductID" TEXT COLLATE "C" NOT NULL,
    "LanguageKey" TEXT COLLATE "C" NOT NULL,
    "Description" TEXT COLLATE "C",
    "LongText" TEXT COLLATE "C",
    "CustomName" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "ProductID", "LanguageKey")
);
CREATE TABLE "media_items" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "ID" TEXT COLLATE "C" NOT NULL,
    "Name" TEXT COLLATE "C",
    "ContentType" TEXT COLLATE "C",
    "Size" BIGINT,
    "CreatedAt" TEXT COLLATE "C",
    "CreatedAt__utc" BIGINT,
    "ModifiedAt" TEXT COLLATE "C",
    "ModifiedAt__utc" BIGINT,
    "_media_type" TEXT COLLATE "C",
    "_media" BYTEA,
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "read_only_items" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "ID" TEXT COLLATE "C" NOT NULL,
    "Name" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "decimal_samples" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "ID" TEXT COLLATE "C" NOT NULL,
    "Name" TEXT COLLATE "C",
    "Amount" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "company" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "ID" TEXT COLLATE "C" NOT NULL,
    "Name" TEXT COLLATE "C",
    "CEO" TEXT COLLATE "C",
    "Founded" BIGINT,
    "HeadQuarter" TEXT COLLATE "C",
    "Website" TEXT COLLATE "C",
    "Logo" BYTEA,
    "Version" BIGINT,
    "UpdatedAt" TEXT COLLATE "C",
    "UpdatedAt__utc" BIGINT,
    PRIMARY KEY ("_tenant", "ID")
);
-- Category names are unique (a second category of the same name is a 409).
CREATE UNIQUE INDEX "categories_name" ON "categories" ("_tenant", "Name");
-- Foreign keys, read by navigation and by delete rules.
CREATE INDEX "products_category" ON "products" ("_tenant", "CategoryID");
