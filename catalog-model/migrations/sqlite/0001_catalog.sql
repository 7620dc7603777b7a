-- The catalog (catalog-model): one table per entity set and one for the Company singleton,
-- laid out as the framework maps the model (odata-server/src/store/table.rs).
CREATE TABLE "products" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "ID" TEXT NOT NULL,
    "Name" TEXT,
    "Description" TEXT,
    "Price" REAL,
    "Rating" INTEGER,
    "Temperature" INTEGER,
    "Quantity" INTEGER,
    "Weight" REAL,
    "Data" BLOB,
    "ReleaseDate" TEXT,
    "OpenTime" INTEGER,
    "ShippingTime" INTEGER,
    "ProcessingTime" INTEGER,
    "Offset" INTEGER,
    "CategoryID" TEXT,
    "Status" INTEGER,
    "Version" INTEGER,
    "CreatedAt" TEXT,
    "CreatedAt__utc" INTEGER,
    "SerialNumber" TEXT,
    "ProductType" TEXT,
    "ShippingAddress" TEXT,
    "Dimensions" TEXT,
    "Location" TEXT,
    "Route" TEXT,
    "Area" TEXT,
    "SpecialProperty" TEXT,
    "SpecialFeature" TEXT,
    "Photo__type" TEXT,
    "Photo" BLOB,
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "categories" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "ID" TEXT NOT NULL,
    "Name" TEXT,
    "Description" TEXT,
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "product_descriptions" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "ProductID" TEXT NOT NULL,
    "LanguageKey" TEXT NOT NULL,
    "Description" TEXT,
    "LongText" TEXT,
    "CustomName" TEXT,
    PRIMARY KEY ("_tenant", "ProductID", "LanguageKey")
);
CREATE TABLE "media_items" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "ID" TEXT NOT NULL,
    "Name" TEXT,
    "ContentType" TEXT,
    "Size" INTEGER,
    "CreatedAt" TEXT,
    "CreatedAt__utc" INTEGER,
    "ModifiedAt" TEXT,
    "ModifiedAt__utc" INTEGER,
    "_media_type" TEXT,
    "_media" BLOB,
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "read_only_items" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "ID" TEXT NOT NULL,
    "Name" TEXT,
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "decimal_samples" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "ID" TEXT NOT NULL,
    "Name" TEXT,
    "Amount" TEXT,
    PRIMARY KEY ("_tenant", "ID")
);
CREATE TABLE "company" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "ID" TEXT NOT NULL,
    "Name" TEXT,
    "CEO" TEXT,
    "Founded" INTEGER,
    "HeadQuarter" TEXT,
    "Website" TEXT,
    "Logo" BLOB,
    "Version" INTEGER,
    "UpdatedAt" TEXT,
    "UpdatedAt__utc" INTEGER,
    PRIMARY KEY ("_tenant", "ID")
);
-- Category names are unique (a second category of the same name is a 409).
CREATE UNIQUE INDEX "categories_name" ON "categories" ("_tenant", "Name");
-- Foreign keys, read by navigation and by delete rules.
CREATE INDEX "products_category" ON "products" ("_tenant", "CategoryID");
