//! Many-to-many navigation properties stored in link tables (`CollectionDef::many`), on a
//! model of articles, their tags (`tags`, link table `article_tags`) and the articles they
//! refer to (`related`, link table `article_relations`, from articles to articles):
//! reading through them with every query option, `$expand`, `$filter` paths, `$ref`
//! changes, binds, deep inserts, deletes, dataset resets, tenants and permissions.

use odata_core::edm::{ActionDef, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef};
use odata_server::action::{ActionEffect, ActionHandler};
use odata_server::app::Migrations;
use odata_server::auth::Permissions;
use odata_server::config::AuthConfig;
use odata_server::dataset::Dataset;
use odata_server::service::{CollectionDef, Service};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::helpers::{TestApp, spawn_service};
use crate::secure_helpers::{claims, hs256, hs256_config};

static MIGRATOR: Migrator = sqlx::migrate!("tests/migrations/many_to_many/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("tests/migrations/many_to_many/postgres");

const ARTICLES_READ: &str = "Blog.Articles.Read";
const ARTICLES_WRITE: &str = "Blog.Articles.ReadWrite";
const TAGS_READ: &str = "Blog.Tags.Read";
const TAGS_WRITE: &str = "Blog.Tags.ReadWrite";

/// What the `reset` action restores: two articles, two tags, one link of each kind.
fn demo() -> Dataset {
    Dataset::new()
        .collection(
            "articles",
            [
                json!({"id": 1, "title": "one"}),
                json!({"id": 2, "title": "two"}),
            ],
        )
        .collection(
            "tags",
            [
                json!({"name": "a", "weight": 1}),
                json!({"name": "b", "weight": 2}),
            ],
        )
        .links("articles", "tags", [(json!(1), json!("b"))])
        .links("articles", "related", [(json!(2), json!(1))])
}

fn service() -> Service {
    let model = ModelBuilder::new("example.blog")
        .alias("blog")
        .entity_type(
            EntityTypeDef::new("article")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.Int32").not_null())
                .property(PropertyDef::new("title", "Edm.String"))
                .navigation(NavigationDef::new("tags", "Collection(blog.tag)"))
                .navigation(NavigationDef::new("related", "Collection(blog.article)")),
        )
        .entity_type(
            EntityTypeDef::new("tag")
                .key(["name"])
                .property(PropertyDef::new("name", "Edm.String").not_null())
                .property(PropertyDef::new("weight", "Edm.Int32")),
        )
        .entity_set("articles", "blog.article")
        .entity_set("tags", "blog.tag")
        .action(ActionDef::new("reset"))
        .action_import("reset", "blog.reset")
        .build()
        .expect("valid model");
    Service::builder(model)
        .collection(
            CollectionDef::new("articles", "articles")
                .permissions(Permissions::new(
                    &[ARTICLES_READ, ARTICLES_WRITE],
                    &[ARTICLES_WRITE],
                ))
                .many("tags", "tags", "article_tags")
                .many("related", "articles", "article_relations"),
        )
        .collection(
            CollectionDef::new("tags", "tags")
                .permissions(Permissions::new(&[TAGS_READ, TAGS_WRITE], &[TAGS_WRITE])),
        )
        .action_import(
            "reset",
            ActionHandler::new(|_| Ok(ActionEffect::Restore(Box::new(demo())))),
        )
        .build()
        .expect("valid service")
}

fn migrations() -> Migrations<'static> {
    Migrations {
        sqlite: &MIGRATOR,
        postgres: Some(&POSTGRES_MIGRATOR),
    }
}

/// Articles 1–3 (`one`, `two`, `three`), tags `a`–`d` (weights 1–4), no links.
async fn app() -> TestApp {
    let app = spawn_service(service(), migrations(), |_| {}).await;
    for (id, title) in [(1, "one"), (2, "two"), (3, "three")] {
        let r = app
            .post_json("articles", &json!({"id": id, "title": title}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for (name, weight) in [("a", 1), ("b", 2), ("c", 3), ("d", 4)] {
        let r = app
            .post_json("tags", &json!({"name": name, "weight": weight}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    app
}

/// `POST {path}/$ref` with the URL `{url}` (relative to the service root); the status.
async fn add_ref(app: &TestApp, path: &str, url: &str) -> StatusCode {
    app.post_json(&format!("{path}/$ref"), &json!({"@odata.id": app.url(url)}))
        .send()
        .await
        .unwrap()
        .status()
}

/// Article 1 tagged a, b, c; article 2 tagged a; article 2 related to 1, article 1 to 3.
async fn linked_app() -> TestApp {
    let app = app().await;
    for (path, url) in [
        ("articles(1)/tags", "tags('a')"),
        ("articles(1)/tags", "tags('b')"),
        ("articles(1)/tags", "tags('c')"),
        ("articles(2)/tags", "tags('a')"),
        ("articles(2)/related", "articles(1)"),
        ("articles(1)/related", "articles(3)"),
    ] {
        assert_eq!(
            add_ref(&app, path, url).await,
            StatusCode::NO_CONTENT,
            "{path}"
        );
    }
    app
}

async fn status_and_body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// A property of every member of `body["value"]`.
fn values(body: &Value, property: &str) -> Vec<Value> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("a collection: {body}"))
        .iter()
        .map(|m| m[property].clone())
        .collect()
}

async fn tag_names(app: &TestApp, path: &str) -> Vec<Value> {
    values(
        &app.get_json(&format!("{path}?$orderby=name")).await,
        "name",
    )
}

#[tokio::test]
async fn references_are_added_listed_and_removed() {
    let app = linked_app().await;
    // Adding an existing link again changes nothing.
    assert_eq!(
        add_ref(&app, "articles(1)/tags", "tags('a')").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        tag_names(&app, "articles(1)/tags").await,
        [json!("a"), json!("b"), json!("c")]
    );
    // The references, with query options.
    let refs = app.get_json("articles(1)/tags/$ref").await;
    assert!(
        refs["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Collection($ref)"),
        "{refs}"
    );
    assert_eq!(refs["value"].as_array().unwrap().len(), 3);
    let refs = app
        .get_json("articles(1)/tags/$ref?$filter=weight gt 1&$orderby=weight desc&$top=1&$skip=1&$count=true")
        .await;
    assert_eq!(refs["@odata.count"], 2, "{refs}");
    assert_eq!(values(&refs, "@odata.id"), [json!(app.url("tags('b')"))]);
    // References have no properties to select or expand.
    for option in ["$select", "$expand"] {
        let value = if option == "$select" { "name" } else { "*" };
        let (status, body) = status_and_body(
            app.get(&format!("articles(1)/tags/$ref?{option}={value}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{option}");
        assert_eq!(body["error"]["target"], option);
    }
    // Removing by `$id` and by key in the path.
    let r = app
        .client
        .delete(app.url(&format!(
            "articles(1)/tags/$ref?$id={}",
            app.url("tags('a')")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app
        .client
        .delete(app.url("articles(1)/tags('b')/$ref"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(tag_names(&app, "articles(1)/tags").await, [json!("c")]);
    // The tags themselves and the other article's link remain.
    assert_eq!(app.get_json("tags/$count").await, json!(4));
    assert_eq!(tag_names(&app, "articles(2)/tags").await, [json!("a")]);
    // Removing a link that does not exist: the reference is not found.
    let (status, body) = status_and_body(
        app.client
            .delete(app.url("articles(1)/tags('b')/$ref"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let r = app
        .client
        .delete(app.url(&format!(
            "articles(1)/tags/$ref?$id={}",
            app.url("tags('d')")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Adding an entity that does not exist, or to an article that does not.
    let (status, body) = status_and_body(
        app.post_json(
            "articles(1)/tags/$ref",
            &json!({"@odata.id": app.url("tags('zz')")}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["target"], "@odata.id");
    assert_eq!(
        add_ref(&app, "articles(9)/tags", "tags('a')").await,
        StatusCode::NOT_FOUND
    );
    // A URL of another collection.
    assert_eq!(
        add_ref(&app, "articles(1)/tags", "articles(2)").await,
        StatusCode::BAD_REQUEST
    );
    // An article relates to articles, itself included.
    assert_eq!(
        add_ref(&app, "articles(3)/related", "articles(3)").await,
        StatusCode::NO_CONTENT
    );
    let related = app.get_json("articles(3)/related").await;
    assert_eq!(values(&related, "id"), [json!(3)]);
}

#[tokio::test]
async fn the_related_collection_reads_with_every_query_option() {
    let app = linked_app().await;
    let body = app
        .get_json(
            "articles(1)/tags?$filter=weight ge 2&$orderby=weight desc&$select=name&$count=true",
        )
        .await;
    assert_eq!(body["@odata.count"], 2, "{body}");
    assert_eq!(values(&body, "name"), [json!("c"), json!("b")]);
    assert!(body["value"][0].get("weight").is_none(), "{body}");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .contains("$metadata#tags(name)"),
        "{body}"
    );
    let body = app
        .get_json("articles(1)/tags?$orderby=name&$top=1&$skip=1")
        .await;
    assert_eq!(values(&body, "name"), [json!("b")]);
    assert_eq!(app.get_json("articles(1)/tags/$count").await, json!(3));
    assert_eq!(app.get_json("articles(3)/tags/$count").await, json!(0));
    assert_eq!(
        app.get_json("articles(1)/tags/$count?$filter=weight gt 2")
            .await,
        json!(1)
    );
    // Server-driven paging through the navigation.
    let first = app
        .get("articles(1)/tags?$orderby=name")
        .header("Prefer", "odata.maxpagesize=2")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(values(&first, "name"), [json!("a"), json!("b")]);
    let next = first["@odata.nextLink"].as_str().expect("a next page");
    let second: Value = app
        .client
        .get(next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(values(&second, "name"), [json!("c")]);
    assert!(second.get("@odata.nextLink").is_none(), "{second}");
    // One member, through the navigation.
    let (status, tag) =
        status_and_body(app.get("articles(1)/tags('b')").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tag["weight"], 2);
    let r = app.get("articles(1)/tags('b')/$ref").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["@odata.id"],
        json!(app.url("tags('b')"))
    );
    // A tag that exists but is not linked, and one that does not exist.
    for path in [
        "articles(1)/tags('d')",
        "articles(2)/tags('b')",
        "articles(1)/tags('zz')",
    ] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The navigation of an article that does not exist.
    let r = app.get("articles(9)/tags").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A member changed through the navigation is the tag itself.
    let r = app
        .patch_json("articles(1)/tags('b')", &json!({"weight": 20}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get_json("tags('b')").await["weight"], 20);
    let r = app
        .patch_json("articles(1)/tags('d')", &json!({"weight": 40}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn expand_reads_the_links_of_a_whole_page() {
    let app = linked_app().await;
    let body = app
        .get_json(
            "articles?$orderby=id&$expand=tags($orderby=name desc;$top=2;$count=true;$select=name)",
        )
        .await;
    let articles = body["value"].as_array().unwrap();
    assert_eq!(articles.len(), 3, "{body}");
    assert_eq!(
        values(&json!({"value": articles[0]["tags"]}), "name"),
        [json!("c"), json!("b")]
    );
    assert_eq!(articles[0]["tags@odata.count"], 3);
    // `$top=2` asked for two: no next link.
    assert!(articles[0].get("tags@odata.nextLink").is_none(), "{body}");
    // Tag `a` belongs to both articles 1 and 2: each gets it.
    assert_eq!(
        values(&json!({"value": articles[1]["tags"]}), "name"),
        [json!("a")]
    );
    assert_eq!(articles[1]["tags@odata.count"], 1);
    assert_eq!(articles[2]["tags"], json!([]));
    assert_eq!(articles[2]["tags@odata.count"], 0);
    // A single entity, nested expansions, a nested filter, counts only.
    let one = app
        .get_json(
            "articles(2)?$expand=related($expand=tags($filter=weight gt 1;$orderby=name),related)",
        )
        .await;
    assert_eq!(values(&json!({"value": one["related"]}), "id"), [json!(1)]);
    assert_eq!(
        values(&json!({"value": one["related"][0]["tags"]}), "name"),
        [json!("b"), json!("c")]
    );
    assert_eq!(
        values(&json!({"value": one["related"][0]["related"]}), "id"),
        [json!(3)]
    );
    let counts = app
        .get_json("articles?$orderby=id&$expand=tags/$count")
        .await;
    assert_eq!(
        values(&counts, "tags@odata.count"),
        [json!(3), json!(1), json!(0)]
    );
    let refs = app.get_json("articles(2)?$expand=tags/$ref").await;
    assert_eq!(
        refs["tags"],
        json!([{"@odata.id": app.url("tags('a')")}]),
        "{refs}"
    );
}

#[tokio::test]
async fn filters_follow_the_links() {
    let app = linked_app().await;
    let ids = |filter: &str| {
        let app = &app;
        let filter = filter.to_owned();
        async move {
            let body = app
                .get_json(&format!("articles?$orderby=id&$filter={filter}"))
                .await;
            values(&body, "id")
        }
    };
    assert_eq!(
        ids("tags/any(t: t/name eq 'a')").await,
        [json!(1), json!(2)]
    );
    assert_eq!(ids("tags/any(t: t/weight gt 2)").await, [json!(1)]);
    assert_eq!(ids("tags/any()").await, [json!(1), json!(2)]);
    // `all` over no links is true.
    assert_eq!(
        ids("tags/all(t: t/weight lt 2)").await,
        [json!(2), json!(3)]
    );
    assert_eq!(ids("tags/$count gt 0").await, [json!(1), json!(2)]);
    assert_eq!(ids("tags/$count eq 3").await, [json!(1)]);
    // Nested: articles relating to an article tagged `c`.
    assert_eq!(
        ids("related/any(r: r/tags/any(t: t/name eq 'c'))").await,
        [json!(2)]
    );
    assert_eq!(
        ids("related/any(r: r/related/any(s: s/title eq 'three'))").await,
        [json!(2)]
    );
    // The same inside a navigation and in $orderby.
    let body = app
        .get_json("articles(2)/related?$filter=tags/any(t: t/name eq 'b')")
        .await;
    assert_eq!(values(&body, "id"), [json!(1)]);
    let body = app.get_json("articles?$orderby=tags/$count desc,id").await;
    assert_eq!(values(&body, "id"), [json!(1), json!(2), json!(3)]);
}

#[tokio::test]
async fn binds_add_links_and_a_bind_to_nothing_writes_nothing() {
    let app = app().await;
    let r = app
        .post_json(
            "articles",
            &json!({"id": 4, "title": "four", "tags@odata.bind": ["tags('a')", "tags('b')"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        tag_names(&app, "articles(4)/tags").await,
        [json!("a"), json!("b")]
    );
    // An update's binds add to the links.
    let r = app
        .patch_json(
            "articles(4)",
            &json!({"tags@odata.bind": ["tags('c')"], "related@odata.bind": ["articles(1)"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        tag_names(&app, "articles(4)/tags").await,
        [json!("a"), json!("b"), json!("c")]
    );
    assert_eq!(app.get_json("articles(4)/related/$count").await, json!(1));
    // A create binding a tag that does not exist: 400, no article, no link.
    let (status, body) = status_and_body(
        app.post_json(
            "articles",
            &json!({"id": 5, "tags@odata.bind": ["tags('a')", "tags('zz')"]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["target"], "tags@odata.bind");
    let r = app.get("articles(5)").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_json("articles?$filter=tags/any(t: t/name eq 'a')&$count=true")
            .await["@odata.count"],
        1
    );
    // An update binding one: 400, neither the title nor the links change.
    let (status, _) = status_and_body(
        app.patch_json(
            "articles(4)",
            &json!({"title": "changed", "tags@odata.bind": ["tags('d')", "tags('zz')"]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get_json("articles(4)").await["title"], "four");
    assert_eq!(app.get_json("articles(4)/tags/$count").await, json!(3));
}

#[tokio::test]
async fn deep_inserts_create_and_link_in_one_transaction() {
    let app = app().await;
    let r = app
        .post_json(
            "articles",
            &json!({
                "id": 6,
                "tags": [{"name": "new1", "weight": 7}, {"name": "new2"}],
                "related": [{"id": 60, "title": "inner", "tags@odata.bind": ["tags('a')"]}],
            }),
        )
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_body(r).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        values(&json!({"value": body["tags"]}), "name").len(),
        2,
        "{body}"
    );
    assert_eq!(app.get_json("tags('new1')").await["weight"], 7);
    assert_eq!(
        tag_names(&app, "articles(6)/tags").await,
        [json!("new1"), json!("new2")]
    );
    assert_eq!(
        values(&app.get_json("articles(6)/related").await, "id"),
        [json!(60)]
    );
    assert_eq!(tag_names(&app, "articles(60)/tags").await, [json!("a")]);
    // A related entity that cannot be created (its key exists): nothing is written.
    let (status, body) = status_and_body(
        app.post_json(
            "articles",
            &json!({"id": 7, "tags": [{"name": "new3"}, {"name": "a"}]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        app.get("articles(7)").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("tags('new3')").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // Creating through the navigation links the new entity.
    let r = app
        .post_json("articles(1)/tags", &json!({"name": "via", "weight": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(tag_names(&app, "articles(1)/tags").await, [json!("via")]);
    let r = app
        .post_json("articles(9)/tags", &json!({"name": "orphan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("tags('orphan')").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn deleting_either_entity_removes_its_links() {
    let app = linked_app().await;
    // A deleted tag leaves every article's tags.
    let r = app
        .client
        .delete(app.url("tags('a')"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        tag_names(&app, "articles(1)/tags").await,
        [json!("b"), json!("c")]
    );
    assert_eq!(app.get_json("articles(2)/tags/$count").await, json!(0));
    // A deleted article: its own links (to tags and articles) and those to it go.
    let r = app
        .client
        .delete(app.url("articles(1)"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json("articles(2)/related/$count").await, json!(0));
    assert_eq!(app.get_json("tags/$count").await, json!(3), "tags stay");
    // Created again with the same key, it has no links.
    let r = app
        .post_json("articles", &json!({"id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(app.get_json("articles(1)/tags/$count").await, json!(0));
    assert_eq!(app.get_json("articles(1)/related/$count").await, json!(0));
    assert_eq!(
        app.get_json("articles?$filter=related/any()").await["value"],
        json!([])
    );
}

#[tokio::test]
async fn a_reset_replaces_the_links_with_the_datasets() {
    let app = linked_app().await;
    let r = app.post_json("reset", &json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(tag_names(&app, "articles(1)/tags").await, [json!("b")]);
    assert_eq!(app.get_json("articles(2)/tags/$count").await, json!(0));
    assert_eq!(
        values(&app.get_json("articles(2)/related").await, "id"),
        [json!(1)]
    );
    assert_eq!(app.get_json("articles(1)/related/$count").await, json!(0));
    assert_eq!(
        app.get("articles(3)").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn initial_data_loads_links() {
    let service = Service::builder(service().model().clone())
        .collection(
            CollectionDef::new("articles", "articles")
                .many("tags", "tags", "article_tags")
                .many("related", "articles", "article_relations"),
        )
        .collection(CollectionDef::new("tags", "tags"))
        .initial_data(demo())
        .build()
        .unwrap();
    let app = spawn_service(service, migrations(), |_| {}).await;
    assert_eq!(tag_names(&app, "articles(1)/tags").await, [json!("b")]);
    assert_eq!(
        values(&app.get_json("articles(2)/related").await, "id"),
        [json!(1)]
    );
}

#[tokio::test]
async fn links_stay_in_their_tenant_and_need_permissions() {
    let app = spawn_service(service(), migrations(), |s| {
        s.auth = AuthConfig::Bearer(hs256_config());
    })
    .await;
    let token = |tenant: &str, scopes: &str| hs256(&claims(tenant, scopes));
    let all = format!("{ARTICLES_WRITE} {TAGS_WRITE}");
    let (a, b) = (token("tenant-a", &all), token("tenant-b", &all));
    let send = |request: reqwest::RequestBuilder, token: &str| {
        let request = request.bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    // The same keys in both tenants; only tenant A links them.
    for t in [&a, &b] {
        for (path, body) in [
            ("articles", json!({"id": 1})),
            ("articles", json!({"id": 2})),
            ("tags", json!({"name": "x"})),
        ] {
            let r = send(app.post_json(path, &body), t).await;
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    }
    let link = json!({"@odata.id": app.url("tags('x')")});
    let r = send(app.post_json("articles(1)/tags/$ref", &link), &a).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = send(
        app.post_json(
            "articles(2)/related/$ref",
            &json!({"@odata.id": app.url("articles(1)")}),
        ),
        &a,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for (token, tags, filtered) in [(&a, 1, json!([1])), (&b, 0, json!([]))] {
        let body: Value = send(app.get("articles(1)/tags/$count"), token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body, json!(tags));
        let body: Value = send(
            app.get("articles?$filter=tags/any(t: t/name eq 'x')&$select=id"),
            token,
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(values(&body, "id"), filtered.as_array().unwrap().clone());
        let body: Value = send(app.get("articles(1)?$expand=tags"), token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["tags"].as_array().unwrap().len(), tags);
        let body: Value = send(app.get("articles(2)/related/$count"), token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body, json!(tags));
        // $apply joins read the link tables and the related rows of the tenant only.
        for query in [
            "articles?$apply=join(tags as t)",
            "articles?$apply=outerjoin(related as r)/filter(r ne null)",
        ] {
            let body: Value = send(app.get(query), token).await.json().await.unwrap();
            assert_eq!(
                body["value"].as_array().map(Vec::len),
                Some(tags),
                "{query}: {body}"
            );
        }
    }
    // Tenant B's delete of its own tag leaves tenant A's link.
    let r = send(app.client.delete(app.url("tags('x')")), &b).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let body: Value = send(app.get("articles(1)/tags/$count"), &a)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!(1));
    // Reading through the navigation needs read permission on the tags.
    let articles_only = token("tenant-a", ARTICLES_WRITE);
    let r = send(app.get("articles(1)/tags"), &articles_only).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(app.get("articles(1)?$expand=tags"), &articles_only).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(app.get("articles?$filter=tags/any()"), &articles_only).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(app.get("articles(1)/tags/$ref"), &articles_only).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let readers = token("tenant-a", &format!("{ARTICLES_READ} {TAGS_READ}"));
    let r = send(app.get("articles(1)/tags"), &readers).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Changing links needs write permission on the articles (not on the tags) and
    // reading the tag linked.
    let r = send(app.post_json("articles(2)/tags/$ref", &link), &readers).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        app.client.delete(app.url("articles(1)/tags('x')/$ref")),
        &readers,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        app.post_json("articles(2)/tags/$ref", &link),
        &articles_only,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let linker = token("tenant-a", &format!("{ARTICLES_WRITE} {TAGS_READ}"));
    let r = send(app.post_json("articles(2)/tags/$ref", &link), &linker).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = send(
        app.client.delete(app.url("articles(1)/tags('x')/$ref")),
        &linker,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Tenant B cannot link tenant A's… its own tag is gone: 400.
    let r = send(app.post_json("articles(1)/tags/$ref", &link), &b).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn apply_joins_follow_link_tables() {
    let app = linked_app().await;
    let pairs = |body: &Value, alias: &str, property: &str| -> Vec<(Value, Value)> {
        body["value"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|r| (r["id"].clone(), r[alias][property].clone()))
            .collect()
    };
    let body = app
        .get_json("articles?$apply=join(tags as t)&$select=id,t")
        .await;
    assert_eq!(
        pairs(&body, "t", "name"),
        [
            (json!(1), json!("a")),
            (json!(1), json!("b")),
            (json!(1), json!("c")),
            (json!(2), json!("a"))
        ],
        "{body}"
    );
    assert_eq!(
        body["value"][0]["t"],
        json!({"name": "a", "weight": 1}),
        "{body}"
    );
    // From articles to articles: the alias holds the related article.
    let body = app
        .get_json("articles?$apply=outerjoin(related as r)")
        .await;
    assert_eq!(
        pairs(&body, "r", "title"),
        [
            (json!(1), json!("three")),
            (json!(2), json!("one")),
            (json!(3), Value::Null)
        ],
        "{body}"
    );
    assert_eq!(body["value"][2]["r"], Value::Null, "{body}");
    // The related entities' transformations, and later steps over the alias.
    let body = app
        .get_json("articles?$apply=join(tags as t,filter(weight ge 2)/orderby(weight desc))")
        .await;
    assert_eq!(
        pairs(&body, "t", "name"),
        [(json!(1), json!("c")), (json!(1), json!("b"))],
        "{body}"
    );
    let body = app
        .get_json(
            "articles?$apply=join(tags as t)/groupby((t/name),aggregate($count as n,\
             t/weight with sum as w))",
        )
        .await;
    assert_eq!(
        body["value"],
        json!([
            {"t": {"name": "a"}, "n@odata.type": "#Decimal", "n": 2, "w@odata.type": "#Int64", "w": 2},
            {"t": {"name": "b"}, "n@odata.type": "#Decimal", "n": 1, "w@odata.type": "#Int64", "w": 2},
            {"t": {"name": "c"}, "n@odata.type": "#Decimal", "n": 1, "w@odata.type": "#Int64", "w": 3}
        ]),
        "{body}"
    );
    // Nested per group: each article's tags.
    let body = app
        .get_json("articles?$apply=join(tags as t)/groupby((id),nest(groupby((t/name)) as names))")
        .await;
    assert_eq!(
        body["value"],
        json!([
            {"id": 1, "names": [{"t": {"name": "a"}}, {"t": {"name": "b"}}, {"t": {"name": "c"}}]},
            {"id": 2, "names": [{"t": {"name": "a"}}]}
        ]),
        "{body}"
    );
}
