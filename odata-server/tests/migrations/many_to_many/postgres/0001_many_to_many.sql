-- The many-to-many model of tests/api/many_to_many.rs (PostgreSQL: the same tables as the SQLite file).
CREATE TABLE "articles" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "id" BIGINT NOT NULL,
    "title" TEXT COLLATE "C",
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "tags" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "_type" TEXT COLLATE "C" NOT NULL,
    "_version" BIGINT NOT NULL DEFAULT 1,
    "name" TEXT COLLATE "C" NOT NULL,
    "weight" BIGINT,
    PRIMARY KEY ("_tenant", "name")
);
-- Article (source) has tag (target).
CREATE TABLE "article_tags" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "source" BIGINT NOT NULL,
    "target" TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY ("_tenant", "source", "target")
);
CREATE INDEX "article_tags_target" ON "article_tags" ("_tenant", "target");
-- Article (source) refers to article (target).
CREATE TABLE "article_relations" (
    "_tenant" TEXT COLLATE "C" NOT NULL DEFAULT '',
    "source" BIGINT NOT NULL,
    "target" BIGINT NOT NULL,
    PRIMARY KEY ("_tenant", "source", "target")
);
CREATE INDEX "article_relations_target" ON "article_relations" ("_tenant", "target");
