-- The primitive-values model of tests/api/values.rs: one property of each numeric and
-- binary kind. Layout per the table mapping (store/table.rs): Edm.Binary is BLOB,
-- Edm.Decimal its canonical text, Edm.Single/Double REAL, integers and enums INTEGER.
CREATE TABLE "samples" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" TEXT NOT NULL,
    "rating" INTEGER,
    "temperature" INTEGER,
    "quantity" INTEGER,
    "count" INTEGER,
    "size" INTEGER,
    "weight" REAL,
    "price" REAL,
    "amount" TEXT,
    "data" BLOB,
    "image" BLOB,
    "status" INTEGER,
    PRIMARY KEY ("_tenant", "id")
);
