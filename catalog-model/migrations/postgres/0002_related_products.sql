-- Products/RelatedProducts: a many-to-many navigation between products, one row per link
-- (source: the product the navigation starts from, target: the related product).
CREATE TABLE "ProductRelations" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "source" TEXT COLLATE "C" NOT NULL,
    "target" TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY ("_tenant", "source", "target")
);
-- Deleting a product removes the links to it too.
CREATE INDEX "ProductRelations_target" ON "ProductRelations" ("_tenant", "target");
