-- The many-to-many model of tests/api/many_to_many.rs: articles, tags, and two link tables.
CREATE TABLE "articles" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "id" INTEGER NOT NULL,
    "title" TEXT,
    PRIMARY KEY ("_tenant", "id")
);
CREATE TABLE "tags" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "_type" TEXT NOT NULL,
    "_version" INTEGER NOT NULL DEFAULT 1,
    "name" TEXT NOT NULL,
    "weight" INTEGER,
    PRIMARY KEY ("_tenant", "name")
);
-- Article (source) has tag (target).
CREATE TABLE "article_tags" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "source" INTEGER NOT NULL,
    "target" TEXT NOT NULL,
    PRIMARY KEY ("_tenant", "source", "target")
);
CREATE INDEX "article_tags_target" ON "article_tags" ("_tenant", "target");
-- Article (source) refers to article (target).
CREATE TABLE "article_relations" (
    "_tenant" TEXT NOT NULL DEFAULT '',
    "source" INTEGER NOT NULL,
    "target" INTEGER NOT NULL,
    PRIMARY KEY ("_tenant", "source", "target")
);
CREATE INDEX "article_relations_target" ON "article_relations" ("_tenant", "target");
