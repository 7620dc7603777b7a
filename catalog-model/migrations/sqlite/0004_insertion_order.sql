-- Every set lists its entities in the order they were created (CollectionDef::insertion_order):
-- "_seq" grows with every insert; rows already stored keep the order they have.
ALTER TABLE "products" ADD COLUMN "_seq" INTEGER;
UPDATE "products" SET "_seq" = rowid;
CREATE UNIQUE INDEX "products_seq" ON "products" ("_seq");
ALTER TABLE "categories" ADD COLUMN "_seq" INTEGER;
UPDATE "categories" SET "_seq" = rowid;
CREATE UNIQUE INDEX "categories_seq" ON "categories" ("_seq");
ALTER TABLE "product_descriptions" ADD COLUMN "_seq" INTEGER;
UPDATE "product_descriptions" SET "_seq" = rowid;
CREATE UNIQUE INDEX "product_descriptions_seq" ON "product_descriptions" ("_seq");
ALTER TABLE "media_items" ADD COLUMN "_seq" INTEGER;
UPDATE "media_items" SET "_seq" = rowid;
CREATE UNIQUE INDEX "media_items_seq" ON "media_items" ("_seq");
ALTER TABLE "read_only_items" ADD COLUMN "_seq" INTEGER;
UPDATE "read_only_items" SET "_seq" = rowid;
CREATE UNIQUE INDEX "read_only_items_seq" ON "read_only_items" ("_seq");
ALTER TABLE "decimal_samples" ADD COLUMN "_seq" INTEGER;
UPDATE "decimal_samples" SET "_seq" = rowid;
CREATE UNIQUE INDEX "decimal_samples_seq" ON "decimal_samples" ("_seq");
