//! Navigation properties backed by referential constraints (foreign-key properties), their
//! `OnDelete` rules, and unique constraints, on a model of groups, their items, the items'
//! notes (a composite key) and badges that cannot exist without their group.

use odata_core::edm::{
    Annotation, EntityTypeDef, ModelBuilder, NavigationDef, OnDeleteAction, PropertyDef,
};
use odata_server::app::Migrations;
use odata_server::service::{CollectionDef, Service, ServiceBuilder};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::helpers::{TestApp, spawn_service};

static MIGRATOR: Migrator = sqlx::migrate!("tests/migrations/foreign_keys/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("tests/migrations/foreign_keys/postgres");

/// The model served, before any service-wide setting.
pub fn builder() -> ServiceBuilder {
    builder_tracking(false)
}

/// [`builder`], with `groups`, `items` and `notes` tracking changes when `track` is set.
pub fn builder_tracking(track: bool) -> ServiceBuilder {
    let tracked = |def: CollectionDef| if track { def.track_changes() } else { def };
    let int = |name: &str| PropertyDef::new(name, "Edm.Int32").not_null();
    let model = ModelBuilder::new("example.fk")
        .alias("fk")
        .annotate(Annotation::schema_version("1.0"))
        .entity_type(
            EntityTypeDef::new("group")
                .key(["id"])
                .property(int("id"))
                .property(PropertyDef::new("name", "Edm.String").not_null())
                .navigation(NavigationDef::new("items", "Collection(fk.item)").partner("group"))
                .navigation(NavigationDef::new("badges", "Collection(fk.badge)").partner("group")),
        )
        .entity_type(
            EntityTypeDef::new("item")
                .key(["id"])
                .property(int("id"))
                .property(PropertyDef::new("label", "Edm.String"))
                .property(PropertyDef::new("groupId", "Edm.Int32"))
                .navigation(
                    NavigationDef::new("group", "fk.group")
                        .partner("items")
                        .constraint("groupId", "id"),
                )
                .navigation(
                    NavigationDef::new("notes", "Collection(fk.note)")
                        .partner("item")
                        .on_delete(OnDeleteAction::Cascade),
                ),
        )
        .entity_type(
            EntityTypeDef::new("note")
                .key(["itemId", "lang"])
                .property(int("itemId"))
                .property(PropertyDef::new("lang", "Edm.String").not_null())
                .property(PropertyDef::new("text", "Edm.String"))
                .navigation(
                    NavigationDef::new("item", "fk.item")
                        .not_null()
                        .partner("notes")
                        .constraint("itemId", "id"),
                ),
        )
        .entity_type(
            EntityTypeDef::new("badge")
                .key(["id"])
                .property(int("id"))
                .property(int("groupId"))
                .navigation(
                    NavigationDef::new("group", "fk.group")
                        .not_null()
                        .partner("badges")
                        .constraint("groupId", "id"),
                ),
        )
        .entity_set("groups", "fk.group")
        .entity_set("items", "fk.item")
        .entity_set("notes", "fk.note")
        .entity_set("badges", "fk.badge")
        .build()
        .expect("valid model");
    Service::builder(model)
        .collection(tracked(
            CollectionDef::new("groups", "groups")
                .inverse("items", "items", "group")
                .inverse("badges", "badges", "group"),
        ))
        .collection(tracked(
            CollectionDef::new("items", "items")
                .reference("group", "groups")
                .inverse("notes", "notes", "item"),
        ))
        .collection(tracked(
            CollectionDef::new("notes", "notes").reference("item", "items"),
        ))
        .collection(CollectionDef::new("badges", "badges").reference("group", "groups"))
}

pub fn service() -> Service {
    builder().build().expect("valid service")
}

/// The model's migrations for both databases.
pub fn migrations() -> Migrations<'static> {
    Migrations {
        sqlite: &MIGRATOR,
        postgres: Some(&POSTGRES_MIGRATOR),
    }
}

async fn app() -> TestApp {
    let app = spawn_service(service(), migrations(), |_| {}).await;
    for (id, name) in [(1, "red"), (2, "blue")] {
        let created = app
            .post_json("groups", &json!({"id": id, "name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    app
}

async fn status_and_body(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn metadata_declares_constraints_and_delete_actions() {
    let app = app().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains(r#"<ReferentialConstraint Property="groupId" ReferencedProperty="id"/>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<OnDelete Action="Cascade"/>"#), "{xml}");
}

#[tokio::test]
async fn a_foreign_key_property_is_the_link() {
    let app = app().await;
    let created = app
        .post_json("items", &json!({"id": 1, "label": "a", "groupId": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let group = app.get_json("items(1)/group").await;
    assert_eq!(group["name"], "red");
    let expanded = app.get_json("items(1)?$expand=group($select=name)").await;
    assert_eq!(expanded["groupId"], 1);
    assert_eq!(expanded["group"]["name"], "red");
    let filtered = app.get_json("items?$filter=group/name eq 'red'").await;
    assert_eq!(filtered["value"].as_array().unwrap().len(), 1);
    let members = app.get_json("groups(1)/items?$select=id").await;
    assert_eq!(members["value"][0]["id"], 1);

    // Re-linking by value, by bind and through $ref all move the same foreign key.
    let patched = app
        .patch_json("items(1)", &json!({"groupId": 2}))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success());
    assert_eq!(app.get_json("items(1)/group").await["name"], "blue");
    let bound = app
        .patch_json("items(1)", &json!({"group@odata.bind": "groups(1)"}))
        .send()
        .await
        .unwrap();
    assert!(bound.status().is_success());
    assert_eq!(app.get_json("items(1)").await["groupId"], 1);
    let cleared = app
        .client
        .delete(app.url("items(1)/group/$ref"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json("items(1)").await["groupId"], Value::Null);
    let set = app
        .client
        .put(app.url("items(1)/group/$ref"))
        .json(&json!({"@odata.id": "groups(2)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json("items(1)").await["groupId"], 2);
}

#[tokio::test]
async fn a_foreign_key_must_refer_to_an_existing_entity() {
    let app = app().await;
    let (status, body) = status_and_body(
        app.post_json("items", &json!({"id": 1, "groupId": 9}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["target"], "groupId");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'groups'")
    );
    assert_eq!(
        app.get("items(1)").send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "nothing is written"
    );

    app.post_json("items", &json!({"id": 1, "groupId": 1}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_body(
        app.patch_json("items(1)", &json!({"groupId": 9, "label": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["target"], "groupId");
    let item = app.get_json("items(1)").await;
    assert_eq!(
        (item["groupId"].clone(), item["label"].clone()),
        (json!(1), Value::Null)
    );

    let (status, body) = status_and_body(
        app.patch_json(
            "items(1)",
            &json!({"groupId": 2, "group@odata.bind": "groups(1)"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["target"], "groupId");

    // A non-nullable foreign key of a composite key.
    let (status, body) = status_and_body(
        app.post_json("notes", &json!({"itemId": 7, "lang": "en"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["target"], "itemId");
}

#[tokio::test]
async fn deep_insert_fills_the_foreign_key_from_the_parent() {
    let app = app().await;
    let created = app
        .post_json(
            "items",
            &json!({"id": 3, "groupId": 1, "notes": [
                {"lang": "en", "text": "hello"}, {"lang": "de", "text": "hallo"}
            ]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let note = app.get_json("notes(itemId=3,lang='de')").await;
    assert_eq!(note["text"], "hallo");
    assert_eq!(note["itemId"], 3);
    let notes = app.get_json("items(3)/notes/$count").await;
    assert_eq!(notes, json!(2));
}

#[tokio::test]
async fn deleting_follows_the_on_delete_rules() {
    let app = app().await;
    for body in [
        json!({"id": 1, "groupId": 1, "notes": [{"lang": "en"}, {"lang": "fr"}]}),
        json!({"id": 2, "groupId": 1}),
        json!({"id": 3, "groupId": 2}),
    ] {
        let created = app.post_json("items", &body).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let etag_before = app.get("items(2)").send().await.unwrap().headers()["etag"].clone();

    // No OnDelete and a nullable foreign key: the items stay, unlinked, with new ETags.
    let deleted = app
        .client
        .delete(app.url("groups(1)"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let unlinked = app
        .get_json("items?$filter=groupId eq null&$select=id")
        .await;
    let ids: Vec<&Value> = unlinked["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&json!(1), &json!(2)]);
    let etag_after = app.get("items(2)").send().await.unwrap().headers()["etag"].clone();
    assert_ne!(etag_before, etag_after);
    assert_eq!(app.get_json("items(3)").await["groupId"], 2);

    // OnDelete Cascade: the notes go with their item.
    let deleted = app.client.delete(app.url("items(1)")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json("notes/$count").await, json!(0));
    assert_eq!(
        app.get("notes(itemId=1,lang='en')")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // A non-nullable foreign key without OnDelete keeps its principal.
    let badge = app
        .post_json("badges", &json!({"id": 1, "groupId": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(badge.status(), StatusCode::CREATED);
    let (status, body) = status_and_body(
        app.client
            .delete(app.url("groups(2)"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'badges'") && message.contains("'groupId'"),
        "{message}"
    );
    assert_eq!(
        app.get_json("items(3)").await["groupId"],
        2,
        "nothing changed"
    );
    let removed = app
        .client
        .delete(app.url("badges(1)"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let deleted = app
        .client
        .delete(app.url("groups(2)"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_unique_value_taken_twice_is_a_conflict() {
    let app = app().await;
    let (status, body) = status_and_body(
        app.post_json("groups", &json!({"id": 3, "name": "red"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        app.get("groups(3)").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let renamed = app
        .patch_json("groups(2)", &json!({"name": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn requests_name_the_schema_version_they_are_made_against() {
    let app = app().await;
    let xml = app
        .get("$metadata?$schemaversion=1.0")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains(r#"<Annotation Term="Core.SchemaVersion" String="1.0"/>"#),
        "{xml}"
    );
    for path in [
        "$metadata?$schemaversion=*",
        "groups?$schemaversion=1.0",
        "groups",
    ] {
        assert_eq!(
            app.get(path).send().await.unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }
    for path in [
        "$metadata?$schemaversion=2.0",
        "groups(1)?$schemaversion=0.9",
    ] {
        let (status, body) = status_and_body(app.get(path).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["target"], "$schemaversion");
        assert!(body["error"]["message"].as_str().unwrap().contains("'1.0'"));
    }
}
