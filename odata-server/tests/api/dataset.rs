//! Data a service writes by itself: initial data at start-up into an empty store, and the
//! replacement of everything the store holds, on the foreign-key model.

use std::time::Duration;

use odata_server::dataset::{self, Dataset, DatasetError};
use odata_server::store::Store;
use serde_json::json;

use crate::foreign_keys::{builder, migrations};
use crate::helpers::{TestDatabase, spawn_service, test_database};

fn demo() -> Dataset {
    Dataset::new()
        .collection(
            "groups",
            [
                json!({"id": 1, "name": "red"}),
                json!({"id": 2, "name": "blue"}),
            ],
        )
        .collection(
            "items",
            [
                json!({"id": 10, "label": "ten", "groupId": 2}),
                json!({"id": 11}),
            ],
        )
        .collection("notes", [json!({"itemId": 10, "lang": "en", "text": "x"})])
}

async fn store(database: &TestDatabase) -> Store {
    let store = Store::connect(&database.url, 1, Duration::from_secs(5))
        .await
        .unwrap();
    let m = migrations();
    store.migrate(m.sqlite, m.postgres.unwrap()).await.unwrap();
    store
}

async fn names(store: &Store, service: &odata_server::service::Service) -> Vec<String> {
    let groups = &service.collections()[0];
    let mut names = Vec::new();
    for id in [1, 2, 3] {
        if let Some(group) = store
            .get(&groups.table, "", &[odata_core::value::Value::Int(id)])
            .await
            .unwrap()
        {
            names.push(format!("{:?}", group.values[1]));
        }
    }
    names
}

#[tokio::test]
async fn initial_data_is_written_into_an_empty_store_at_start_up() {
    let app = spawn_service(
        builder().initial_data(demo()).build().unwrap(),
        migrations(),
        |_| {},
    )
    .await;
    let groups = app.get_json("groups?$select=name&$orderby=id").await;
    let names: Vec<_> = groups["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].clone())
        .collect();
    assert_eq!(names, [json!("red"), json!("blue")]);
    assert_eq!(app.get_json("items(10)/group").await["name"], "blue");
    assert_eq!(app.get_json("items(11)").await["groupId"], json!(null));
    assert_eq!(app.get_json("items(10)/notes/$count").await, json!(1));
}

#[tokio::test]
async fn a_store_holding_data_keeps_it() {
    let database = test_database().await;
    let store = store(&database).await;
    let service = builder().build().unwrap();
    assert!(
        dataset::load_if_empty(&service, &store, "", &demo())
            .await
            .unwrap()
    );
    let other = Dataset::new().collection("groups", [json!({"id": 3, "name": "green"})]);
    assert!(
        !dataset::load_if_empty(&service, &store, "", &other)
            .await
            .unwrap()
    );
    assert_eq!(
        names(&store, &service).await,
        ["String(\"red\")", "String(\"blue\")"]
    );
}

#[tokio::test]
async fn replacing_is_all_or_nothing() {
    let database = test_database().await;
    let store = store(&database).await;
    let service = builder().build().unwrap();
    dataset::replace(&service, &store, "", &demo())
        .await
        .unwrap();
    let other = Dataset::new().collection("groups", [json!({"id": 3, "name": "green"})]);
    dataset::replace(&service, &store, "", &other)
        .await
        .unwrap();
    assert_eq!(names(&store, &service).await, ["String(\"green\")"]);

    // An invalid entity after valid ones: nothing is replaced.
    let invalid = Dataset::new()
        .collection("groups", [json!({"id": 1, "name": "red"})])
        .collection("items", [json!({"id": "not a number"})]);
    let error = dataset::replace(&service, &store, "", &invalid)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, DatasetError::Invalid { collection, index: 0, .. } if collection == "items"),
        "{error}"
    );
    assert_eq!(names(&store, &service).await, ["String(\"green\")"]);
    let unknown = Dataset::new().collection("nope", []);
    assert!(matches!(
        dataset::replace(&service, &store, "", &unknown).await,
        Err(DatasetError::UnknownCollection(path)) if path == "nope"
    ));
    assert_eq!(names(&store, &service).await, ["String(\"green\")"]);
}
