//! Media entities, stream properties, a read-only set and a stored singleton, on a model of
//! their own (`example.files`): streams stored with their entities, uploads that create
//! entities, 405 with `Allow` for every refused write, and HEAD.

use odata_core::edm::{
    ActionDef, Annotation, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef,
};
use odata_server::action::{ActionEffect, ActionHandler};
use odata_server::app::Migrations;
use odata_server::media::MediaHandler;
use odata_server::service::{CollectionDef, Service, SingletonDef};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::helpers::{TestApp, spawn_service};

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/media/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/media/postgres");

/// The model: `files` of the media entity type `file`, `cards` with the stream property
/// `photo`, the read-only `notices` (seeded by the migration) and the stored singleton
/// `Company` (seeded too).
fn service() -> Service {
    let model = ModelBuilder::new("example.files")
        .entity_type(
            EntityTypeDef::new("file")
                .has_stream()
                .key(["id"])
                .property(
                    PropertyDef::new("id", "Edm.Guid")
                        .not_null()
                        .annotate(Annotation::computed()),
                )
                .property(PropertyDef::new("name", "Edm.String").not_null())
                .property(PropertyDef::new("contentType", "Edm.String"))
                .property(PropertyDef::new("size", "Edm.Int64"))
                .property(PropertyDef::new("createdAt", "Edm.DateTimeOffset"))
                .property(PropertyDef::new("modifiedAt", "Edm.DateTimeOffset")),
        )
        .entity_type(
            EntityTypeDef::new("card")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null())
                .property(PropertyDef::new("title", "Edm.String"))
                .property(PropertyDef::new("photo", "Edm.Stream"))
                .navigation(NavigationDef::new(
                    "notices",
                    "Collection(example.files.notice)",
                )),
        )
        .entity_type(
            EntityTypeDef::new("notice")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null())
                .property(PropertyDef::new("text", "Edm.String"))
                .navigation(NavigationDef::new("card", "example.files.card")),
        )
        .entity_type(
            EntityTypeDef::new("company")
                .key(["id"])
                .property(
                    PropertyDef::new("id", "Edm.Guid")
                        .not_null()
                        .annotate(Annotation::computed()),
                )
                .property(PropertyDef::new("name", "Edm.String").not_null())
                .property(PropertyDef::new("ceo", "Edm.String"))
                .property(PropertyDef::new("founded", "Edm.Int32"))
                .property(
                    PropertyDef::new("logo", "Edm.Binary")
                        .annotate(Annotation::media_type("image/svg+xml")),
                )
                .property(
                    PropertyDef::new("updatedAt", "Edm.DateTimeOffset")
                        .not_null()
                        .annotate(Annotation::computed()),
                ),
        )
        .action(ActionDef::new("pin").bound_to("notice", "example.files.notice"))
        .entity_set("files", "file")
        .entity_set("cards", "card")
        .entity_set("notices", "notice")
        .singleton("Company", "company")
        .build()
        .unwrap();
    let media = MediaHandler::new()
        .on_create(|upload| {
            let now = json!(upload.now.as_str());
            Ok(vec![
                ("name".into(), json!(upload.slug.unwrap_or_default())),
                ("contentType".into(), json!(upload.content_type)),
                ("size".into(), json!(upload.length)),
                ("createdAt".into(), now.clone()),
                ("modifiedAt".into(), now),
            ])
        })
        .on_replace(|upload| {
            Ok(vec![
                ("contentType".into(), json!(upload.content_type)),
                ("size".into(), json!(upload.length)),
                ("modifiedAt".into(), json!(upload.now.as_str())),
            ])
        });
    Service::builder(model)
        .collection(CollectionDef::new("files", "files").media(media))
        .collection(CollectionDef::new("cards", "cards").inverse("notices", "notices", "card"))
        .collection(
            CollectionDef::new("notices", "notices")
                .read_only()
                .reference("card", "cards")
                .action(
                    "pin",
                    ActionHandler::new(|_| Ok(ActionEffect::update([("text", json!("pinned"))]))),
                ),
        )
        .singleton(SingletonDef::new("Company", "company"))
        .build()
        .unwrap()
}

async fn spawn() -> TestApp {
    let migrations = Migrations {
        sqlite: &SQLITE,
        postgres: Some(&POSTGRES),
    };
    spawn_service(service(), migrations, |_| {}).await
}

/// The error body's code, asserting the OData error shape.
async fn error_code(r: reqwest::Response) -> String {
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{body}");
    body["error"]["code"].as_str().unwrap().to_owned()
}

/// Uploads `bytes` as a new file named by `slug`; returns the created entity and its URL.
async fn upload(app: &TestApp, slug: &str, media_type: &str, bytes: &[u8]) -> (Value, String) {
    let r = app
        .client
        .post(app.url("files"))
        .header("Content-Type", media_type)
        .header("Slug", slug)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(r.headers()["odata-entityid"], location.as_str());
    (r.json().await.unwrap(), location)
}

#[tokio::test]
async fn metadata_declares_media_types_streams_and_read_only_sets() {
    let app = spawn().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        r#"<EntityType Name="file" HasStream="true">"#,
        r#"<Property Name="photo" Type="Edm.Stream"/>"#,
        r#"<Annotation Term="Core.MediaType" String="image/svg+xml"/>"#,
        r#"<Singleton Name="Company" Type="example.files.company"/>"#,
    ] {
        assert!(xml.contains(needle), "{needle} missing:\n{xml}");
    }
    let notices = &xml[xml.find(r#"<EntitySet Name="notices""#).unwrap()..];
    let notices = &notices[..notices.find("</EntitySet>").unwrap()];
    for needle in [
        r#"<Annotation Term="Core.Permissions" EnumMember="Core.Permission/Read"/>"#,
        r#"<Annotation Term="Capabilities.InsertRestrictions">"#,
        r#"<Annotation Term="Capabilities.UpdateRestrictions">"#,
        r#"<Annotation Term="Capabilities.DeleteRestrictions">"#,
        r#"<PropertyValue Property="Insertable" Bool="false"/>"#,
        r#"<PropertyValue Property="Updatable" Bool="false"/>"#,
        r#"<PropertyValue Property="Deletable" Bool="false"/>"#,
    ] {
        assert!(notices.contains(needle), "{needle} missing:\n{notices}");
    }
    let files = &xml[xml.find(r#"<EntitySet Name="files""#).unwrap()..];
    let files = &files[..files.find("</EntitySet>").unwrap()];
    assert!(!files.contains("InsertRestrictions"), "{files}");
    let json: Value = app.get_json("$metadata?$format=json").await;
    assert_eq!(json["example.files"]["file"]["$HasStream"], true);
    assert_eq!(
        json["example.files"]["card"]["photo"]["$Type"],
        "Edm.Stream"
    );
    // The service document lists the singleton as a singleton.
    let document = app.get_json("").await;
    assert!(
        document["value"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "Company", "kind": "Singleton", "url": "Company"})),
        "{document}"
    );
}

#[tokio::test]
async fn an_upload_creates_a_media_entity_from_the_stream() {
    let app = spawn().await;
    let bytes = b"\x89PNG\r\n\x1a\n\x00\x01binary";
    let (entity, location) = upload(&app, "my%20picture.png", "image/png", bytes).await;
    assert_eq!(entity["name"], "my picture.png");
    assert_eq!(entity["contentType"], "image/png");
    assert_eq!(entity["size"], bytes.len());
    assert_eq!(entity["createdAt"], entity["modifiedAt"]);
    assert!(entity["createdAt"].is_string(), "{entity}");
    let value = format!("{location}/$value");
    assert_eq!(entity["@odata.mediaReadLink"], value.as_str());
    assert_eq!(entity["@odata.mediaEditLink"], value.as_str());
    assert_eq!(entity["@odata.mediaContentType"], "image/png");
    let r = app.client.get(&value).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["etag"], "W/\"1\"");
    assert_eq!(r.bytes().await.unwrap().as_ref(), bytes);
    // The entity reads the same, alone and in its collection.
    let read: Value = app
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["@odata.mediaContentType"], "image/png");
    let all = app.get_json("files").await;
    assert_eq!(all["value"][0]["@odata.mediaReadLink"], value.as_str());
    // Without a Slug the name is empty; `return=minimal` gives no body.
    let r = app
        .client
        .post(app.url("files"))
        .header("Content-Type", "text/plain")
        .header("Prefer", "return=minimal")
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(r.headers().contains_key("location"));
    let count = app
        .get("files/$count")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "2");
    // A Slug that is not percent-encoded UTF-8 is a 400, and nothing is created.
    let r = app
        .client
        .post(app.url("files"))
        .header("Content-Type", "text/plain")
        .header("Slug", "%FF")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let count = app
        .get("files/$count")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "2");
}

#[tokio::test]
async fn a_json_create_has_an_empty_stream() {
    let app = spawn().await;
    let r = app
        .post_json(
            "files",
            &json!({"name": "notes", "contentType": "text/plain"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let entity: Value = r.json().await.unwrap();
    assert_eq!(
        entity["@odata.mediaContentType"],
        "application/octet-stream"
    );
    let r = app
        .client
        .get(format!("{location}/$value"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert!(r.bytes().await.unwrap().is_empty());
    // A POST that is neither JSON nor declares a type stays a 415.
    let r = app
        .client
        .post(app.url("files"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(r).await, "UnsupportedMediaType");
}

#[tokio::test]
async fn replacing_the_stream_updates_it_and_the_entity() {
    let app = spawn().await;
    let (created, location) = upload(&app, "a.bin", "application/x-thing", b"first").await;
    let value = format!("{location}/$value");
    let r = app
        .client
        .put(&value)
        .header("Content-Type", "text/plain;charset=utf-8")
        .body("hello, world")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["etag"], "W/\"2\"");
    let r = app.client.get(&value).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/plain;charset=utf-8");
    assert_eq!(r.headers()["etag"], "W/\"2\"");
    assert_eq!(r.text().await.unwrap(), "hello, world");
    let entity: Value = app
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(entity["size"], 12);
    assert_eq!(entity["contentType"], "text/plain;charset=utf-8");
    assert_eq!(
        entity["@odata.mediaContentType"],
        "text/plain;charset=utf-8"
    );
    assert_eq!(entity["@odata.etag"], "W/\"2\"");
    assert_eq!(entity["createdAt"], created["createdAt"]);
    assert_eq!(entity["name"], "a.bin");
    // A stale ETag changes nothing.
    let r = app
        .client
        .put(&value)
        .header("Content-Type", "text/plain")
        .header("If-Match", "W/\"1\"")
        .body("stale")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.client
            .get(&value)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "hello, world"
    );
    let r = app
        .client
        .put(&value)
        .header("Content-Type", "text/plain")
        .header("If-Match", "W/\"2\"")
        .body("fresh")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // If-None-Match with the current ETag: not modified.
    let r = app
        .client
        .get(&value)
        .header("If-None-Match", "W/\"3\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // Streams are replaced with PUT only.
    let r = app.client.patch(&value).body("x").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, PUT");
    assert_eq!(error_code(r).await, "MethodNotAllowed");
}

#[tokio::test]
async fn accept_on_a_stream_admits_its_type_or_a_wildcard() {
    let app = spawn().await;
    let (_, location) = upload(&app, "p", "image/png", b"png").await;
    let value = format!("{location}/$value");
    for accept in [
        "*/*",
        "image/*",
        "image/png",
        "application/json;q=0.5, image/png",
    ] {
        let r = app
            .client
            .get(&value)
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{accept}");
        assert_eq!(r.bytes().await.unwrap().as_ref(), b"png");
    }
    for accept in ["application/json", "text/*", "image/png;q=0"] {
        let r = app
            .client
            .get(&value)
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE, "{accept}");
        assert_eq!(error_code(r).await, "NotAcceptable");
    }
}

#[tokio::test]
async fn deleting_a_media_entity_removes_its_stream() {
    let app = spawn().await;
    let (_, location) = upload(&app, "gone", "image/png", b"bytes").await;
    let r = app.client.delete(&location).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for url in [location.clone(), format!("{location}/$value")] {
        let r = app.client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{url}");
    }
    let r = app
        .client
        .put(format!("{location}/$value"))
        .header("Content-Type", "image/png")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(r).await, "ResourceNotFound");
}

#[tokio::test]
async fn stream_properties_are_read_and_replaced_at_their_own_url() {
    let app = spawn().await;
    let r = app
        .post_json("cards", &json!({"id": "c1", "title": "Hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let entity: Value = r.json().await.unwrap();
    assert!(entity.get("photo").is_none(), "{entity}");
    assert!(entity.get("@odata.mediaReadLink").is_none(), "{entity}");
    // Never written: empty, as an octet stream.
    for path in ["cards('c1')/photo", "cards('c1')/photo/$value"] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
        assert!(r.bytes().await.unwrap().is_empty(), "{path}");
    }
    let r = app
        .client
        .put(app.url("cards('c1')/photo"))
        .header("Content-Type", "image/jpeg")
        .body(b"\xff\xd8jpeg".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["etag"], "W/\"2\"");
    for path in ["cards('c1')/photo", "cards/c1/photo/$value"] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert_eq!(r.bytes().await.unwrap().as_ref(), b"\xff\xd8jpeg");
    }
    let r = app
        .client
        .put(app.url("cards('c1')/photo/$value"))
        .header("Content-Type", "image/gif")
        .body("gif")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let entity = app.get_json("cards('c1')").await;
    assert_eq!(entity["@odata.etag"], "W/\"3\"");
    assert_eq!(entity["title"], "Hello");
    assert!(entity.get("photo").is_none(), "{entity}");
    // A PATCH of the entity keeps the stream.
    let r = app
        .patch_json("cards('c1')", &json!({"title": "Changed"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = app.get("cards('c1')/photo").send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/gif");
    assert_eq!(r.text().await.unwrap(), "gif");
    // Wrong addressing.
    let r = app.get("cards('c1')/photo/x").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app.get("cards('c1')/$value").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(r).await, "BadRequest");
    let r = app.get("cards('none')/photo").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .client
        .delete(app.url("cards('c1')/photo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, PUT");
}

#[tokio::test]
async fn a_read_only_set_reads_and_refuses_every_write() {
    let app = spawn().await;
    let page = app
        .get_json("notices?$filter=startswith(text,'New')&$select=id")
        .await;
    assert_eq!(page["value"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["value"][0]["id"], "n2");
    let page = app
        .get_json("notices?$orderby=id desc&$top=1&$count=true")
        .await;
    assert_eq!(page["@odata.count"], 2);
    assert_eq!(page["value"][0]["id"], "n2");
    assert_eq!(
        app.get_json("notices('n1')").await["text"],
        "Closed on Monday"
    );
    let r = app
        .post_json("cards", &json!({"id": "c1", "title": "Board"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app.get("notices('n1')/card/$ref").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let writes = [
        (reqwest::Method::PUT, "notices('n1')/card/$ref"),
        (reqwest::Method::DELETE, "notices('n1')/card/$ref"),
        (reqwest::Method::POST, "cards('c1')/notices/$ref"),
        (reqwest::Method::POST, "cards('c1')/notices"),
        (reqwest::Method::POST, "notices"),
        (reqwest::Method::POST, "notices/$ref"),
        (reqwest::Method::PATCH, "notices('n1')"),
        (reqwest::Method::PUT, "notices('n1')"),
        (reqwest::Method::DELETE, "notices('n1')"),
        (reqwest::Method::POST, "notices('n1')/pin"),
        (reqwest::Method::POST, "notices('n1')/example.files.pin"),
    ];
    for (method, path) in writes {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({"id": "n3", "text": "x", "@odata.id": "notices('n2')"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(r.headers()["allow"], "GET, HEAD", "{method} {path}");
        assert_eq!(error_code(r).await, "MethodNotAllowed", "{method} {path}");
    }
    // Nothing changed.
    let r = app.get("notices('n1')/card/$ref").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json("cards('c1')/notices").await["value"],
        json!([])
    );
    let page = app.get_json("notices").await;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get_json("notices('n1')").await["text"],
        "Closed on Monday"
    );
    let r = app.client.head(app.url("notices")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_stored_singleton_is_read_and_updated() {
    let app = spawn().await;
    let root = app.url("");
    let company = app.get_json("Company").await;
    assert_eq!(
        company["@odata.context"],
        format!("{root}$metadata#Company")
    );
    assert_eq!(company["@odata.etag"], "W/\"1\"");
    assert_eq!(company["name"], "Files Inc.");
    assert_eq!(company["founded"], 1990);
    assert_eq!(company["id"], "c0000000-0000-4000-8000-000000000001");
    let selected = app.get_json("Company?$select=name,ceo").await;
    assert_eq!(
        selected["@odata.context"],
        format!("{root}$metadata#Company(name,ceo)")
    );
    assert_eq!(selected["ceo"], "Ada");
    assert!(selected.get("founded").is_none(), "{selected}");
    let name = app.get_json("Company/name").await;
    assert_eq!(
        name["@odata.context"],
        format!("{root}$metadata#Company/name")
    );
    assert_eq!(name["value"], "Files Inc.");
    let r = app.get("Company/name/$value").send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "Files Inc.");
    // A Binary property with Core.MediaType is served raw as that type.
    let r = app.get("Company/logo/$value").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert_eq!(r.text().await.unwrap(), "<svg/>");
    let r = app
        .get("Company/logo/$value")
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    // If-None-Match with the current ETag.
    let r = app
        .get("Company")
        .header("If-None-Match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // PATCH: 204 with the new ETag, If-Match optional; the computed timestamp moves on.
    let r = app
        .patch_json("Company", &json!({"name": "Files Ltd."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["etag"], "W/\"2\"");
    let company = app.get_json("Company").await;
    assert_eq!(company["name"], "Files Ltd.");
    assert_eq!(company["ceo"], "Ada");
    assert_eq!(company["@odata.etag"], "W/\"2\"");
    assert_ne!(company["updatedAt"], "2024-01-01T00:00:00Z");
    let r = app
        .patch_json("Company", &json!({"name": "Stale"}))
        .header("If-Match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(error_code(r).await, "PreconditionFailed");
    let r = app
        .patch_json("Company", &json!({"founded": 1991}))
        .header("If-Match", "W/\"2\"")
        .header("Prefer", "return=representation")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["founded"], 1991);
    assert_eq!(body["@odata.context"], format!("{root}$metadata#Company"));
    // PUT replaces: what the body leaves out is reset, the key is kept.
    let r = app
        .client
        .put(app.url("Company"))
        .json(&json!({"name": "Replaced"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let company = app.get_json("Company").await;
    assert_eq!(company["name"], "Replaced");
    assert_eq!(company["ceo"], Value::Null);
    assert_eq!(company["id"], "c0000000-0000-4000-8000-000000000001");
    assert_eq!(company["@odata.etag"], "W/\"4\"");
    let r = app
        .patch_json("Company", &json!({"name": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Neither created nor deleted through HTTP.
    for method in [reqwest::Method::POST, reqwest::Method::DELETE] {
        let r = app
            .client
            .request(method.clone(), app.url("Company"))
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(r.headers()["allow"], "GET, HEAD, PATCH, PUT");
        assert_eq!(error_code(r).await, "MethodNotAllowed");
    }
    let r = app.get("Company('x')").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let get = app.get("Company").send().await.unwrap();
    let head = app.client.head(app.url("Company")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["etag"], get.headers()["etag"]);
    assert!(head.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn writes_to_collections_and_system_resources_are_405_with_allow() {
    let app = spawn().await;
    let cases = [
        (reqwest::Method::PUT, "files", "GET, POST"),
        (reqwest::Method::PATCH, "files", "GET, POST"),
        (reqwest::Method::POST, "", "GET"),
        (reqwest::Method::PUT, "", "GET"),
        (reqwest::Method::PATCH, "", "GET"),
        (reqwest::Method::DELETE, "", "GET"),
        (reqwest::Method::POST, "$metadata", "GET"),
        (reqwest::Method::PUT, "$metadata", "GET"),
        (reqwest::Method::PATCH, "$metadata", "GET"),
        (reqwest::Method::DELETE, "$metadata", "GET"),
    ];
    for (method, path, allow) in cases {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} /{path}"
        );
        assert_eq!(r.headers()["allow"], allow, "{method} /{path}");
        assert_eq!(error_code(r).await, "MethodNotAllowed", "{method} /{path}");
    }
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn().await;
    let (_, location) = upload(&app, "h", "image/png", b"head").await;
    let entity = location.trim_start_matches(&app.url(""));
    let value = format!("{entity}/$value");
    for path in [
        "",
        "$metadata",
        "files",
        entity,
        value.as_str(),
        "notices('n1')",
    ] {
        let get = app.get(path).send().await.unwrap();
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "{path}");
        for name in ["content-type", "content-length", "etag", "odata-version"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path}: {name}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    let missing = "files(00000000-0000-4000-8000-000000000000)";
    let head = app.client.head(app.url(missing)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    assert!(head.bytes().await.unwrap().is_empty());
}
