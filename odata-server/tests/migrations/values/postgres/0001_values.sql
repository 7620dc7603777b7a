-- The primitive-values model of tests/api/values.rs, PostgreSQL: the same columns as the
-- SQLite file (BLOB -> BYTEA, INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, TEXT COLLATE "C").
CREATE TABLE "samples" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" TEXT COLLATE "C" NOT NULL,
    "rating" BIGINT,
    "temperature" BIGINT,
    "quantity" BIGINT,
    "count" BIGINT,
    "size" BIGINT,
    "weight" DOUBLE PRECISION,
    "price" DOUBLE PRECISION,
    "amount" TEXT COLLATE "C",
    "data" BYTEA,
    "image" BYTEA,
    "status" BIGINT,
    PRIMARY KEY ("_tenant", "id")
);
