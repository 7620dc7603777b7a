//! MODEL.md §1 and §6.1: the service at the root of its listener.

use acceptance_tests::spawn_catalog;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn the_service_document_lists_the_six_sets_and_the_singleton() {
    let app = spawn_catalog().await;
    let document = app.get_json("").await;
    assert_eq!(
        document["@odata.context"],
        json!(format!("{}/$metadata", app.root))
    );
    let listed: Vec<(String, String, String)> = document["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().unwrap().to_owned();
            (text("name"), text("kind"), text("url"))
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("Products", "EntitySet"),
        ("Categories", "EntitySet"),
        ("ProductDescriptions", "EntitySet"),
        ("MediaItems", "EntitySet"),
        ("ReadOnlyItems", "EntitySet"),
        ("DecimalSamples", "EntitySet"),
        ("Company", "Singleton"),
    ]
    .iter()
    .map(|(n, k)| ((*n).to_owned(), (*k).to_owned(), (*n).to_owned()))
    .collect();
    assert_eq!(listed, expected);
    assert_eq!(
        app.get("products").send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "names are case-sensitive"
    );
}

#[tokio::test]
async fn metadata_declares_the_schema_version_and_answers_for_it() {
    let app = spawn_catalog().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        r#"<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Catalog">"#,
        r#"<EnumType Name="ProductStatus" UnderlyingType="Edm.Int32" IsFlags="true">"#,
        r#"<TypeDefinition Name="DurationValue" UnderlyingType="Edm.Duration"/>"#,
        r#"<EntityType Name="SpecialProduct" BaseType="Catalog.Product">"#,
        r#"<EntityType Name="MediaItem" HasStream="true">"#,
        r#"<ReferentialConstraint Property="CategoryID" ReferencedProperty="ID"/>"#,
        r#"<OnDelete Action="Cascade"/>"#,
        r#"<Singleton Name="Company" Type="Catalog.CompanyInfo"/>"#,
        r#"<Annotation Term="Core.SchemaVersion" String="1.0"/>"#,
    ] {
        assert!(xml.contains(expected), "{expected} in $metadata");
    }
    for (version, status) in [
        ("1.0", StatusCode::OK),
        ("*", StatusCode::OK),
        ("2.0", StatusCode::NOT_FOUND),
    ] {
        let got = app
            .get(&format!("$metadata?$schemaversion={version}"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), status, "$schemaversion={version}");
    }
}

#[tokio::test]
async fn the_read_only_set_refuses_every_write() {
    let app = spawn_catalog().await;
    let id = "e0000000-0000-4000-8000-000000000001";
    let writes = [
        app.post_json("ReadOnlyItems", &json!({"Name": "x"})),
        app.patch_json(&format!("ReadOnlyItems({id})"), &json!({"Name": "x"})),
        app.client
            .put(app.url(&format!("ReadOnlyItems({id})")))
            .json(&json!({"Name": "x"})),
        app.client.delete(app.url(&format!("ReadOnlyItems({id})"))),
    ];
    for write in writes {
        let response = write.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, HEAD");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].is_string());
    }
    let items = app.get_json("ReadOnlyItems?$count=true").await;
    assert_eq!(items["@odata.count"], 2);
}

#[tokio::test]
async fn entities_carry_their_id_and_a_type_only_where_it_is_not_implied() {
    let app = spawn_catalog().await;
    let laptop = app
        .get_json("Products(a0000000-0000-4000-8000-000000000001)")
        .await;
    assert_eq!(
        laptop["@odata.context"],
        json!(format!("{}/$metadata#Products/$entity", app.root))
    );
    assert_eq!(laptop["@odata.type"], "#Catalog.SpecialProduct");
    assert_eq!(
        laptop["@odata.id"],
        json!(format!(
            "{}/Products(a0000000-0000-4000-8000-000000000001)",
            app.root
        ))
    );
    assert_eq!(laptop["@odata.etag"], "W/\"1\"");
    assert_eq!(
        laptop["Location"],
        json!({"type": "Point", "coordinates": [-122.3321, 47.6062]})
    );
    assert_eq!(laptop["Status"], "InStock,Featured");
    assert!(
        laptop.get("Photo").is_none(),
        "stream properties are not JSON"
    );

    let products = app.get_json("Products?$select=Name").await;
    for product in products["value"].as_array().unwrap() {
        let special = ["Laptop", "Premium Laptop Pro", "Gaming Mouse Ultra"]
            .contains(&product["Name"].as_str().unwrap());
        assert_eq!(product.get("@odata.type").is_some(), special, "{product}");
        assert!(
            product["@odata.id"]
                .as_str()
                .unwrap()
                .starts_with(&app.root)
        );
    }
    let description = app
        .get_json(
            "ProductDescriptions(ProductID=a0000000-0000-4000-8000-000000000001,LanguageKey='EN')",
        )
        .await;
    assert_eq!(
        description["@odata.id"],
        json!(format!(
            "{}/ProductDescriptions(ProductID=a0000000-0000-4000-8000-000000000001,LanguageKey='EN')",
            app.root
        ))
    );
    assert!(description.get("@odata.type").is_none());
    let full = app
        .client
        .get(app.url("Categories(c0000000-0000-4000-8000-000000000001)"))
        .header("Accept", "application/json;odata.metadata=full")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(full["@odata.type"], "#Catalog.Category");
    assert!(full["@odata.editLink"].is_string());
}

#[tokio::test]
async fn creates_answer_201_and_updates_204_unless_the_entity_is_asked_for() {
    let app = spawn_catalog().await;
    let lamp = json!({"Name": "Desk Lamp", "Price": 39.9, "SerialNumber": "SN-1001"});
    let created = app.post_json("Products", &lamp).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(created.headers()["odata-entityid"], location.as_str());
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["Rating"], 0, "defaults fill what the body leaves out");
    assert_eq!(body["Status"], "None");
    assert_eq!(body["ProductType"], "Product");

    let minimal = app
        .post_json("Products", &lamp)
        .header("Prefer", "return=minimal")
        .send()
        .await
        .unwrap();
    assert_eq!(minimal.status(), StatusCode::CREATED);
    assert_eq!(minimal.headers()["preference-applied"], "return=minimal");
    assert!(minimal.headers().contains_key("location"));
    assert!(minimal.headers().contains_key("etag"));
    assert!(minimal.bytes().await.unwrap().is_empty());

    let path = location.trim_start_matches(&app.root).to_owned();
    let patched = app
        .patch_json(&path, &json!({"Price": 41.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    assert!(patched.headers().contains_key("etag"));
    let represented = app
        .patch_json(&path, &json!({"Price": 42.0}))
        .header("Prefer", "return=representation")
        .send()
        .await
        .unwrap();
    assert_eq!(represented.status(), StatusCode::OK);
    assert_eq!(
        represented.json::<Value>().await.unwrap()["Price"],
        json!(42.0)
    );

    for (body, target) in [
        (json!({"Price": 1}), "Name"),
        (json!({"Name": "x"}), "Price"),
        (json!({"Name": null, "Price": 1}), "Name"),
        (json!({"Name": "x", "Price": 1, "Rating": 256}), "Rating"),
        (json!({"Name": "x", "Price": 1, "Status": "Nope"}), "Status"),
        (
            json!({"Name": "x", "Price": 1, "SpecialProperty": "y"}),
            "SpecialProperty",
        ),
        (json!({"Name": "x", "Price": "not-a-number"}), "Price"),
        (
            json!({"Name": "x", "Price": 1, "CategoryID": "c0000000-0000-4000-8000-000000000009"}),
            "CategoryID",
        ),
    ] {
        let refused = app.post_json("Products", &body).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = refused.json().await.unwrap();
        assert_eq!(error["error"]["target"], target, "{body}");
    }
    let count = app
        .get("Products/$count")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, "9", "the refused creates wrote nothing");
}

#[tokio::test]
async fn version_counts_every_change_and_is_the_etag() {
    let app = spawn_catalog().await;
    let mug = "Products(a0000000-0000-4000-8000-000000000003)";
    let before = app.get_json(mug).await;
    assert_eq!(
        (before["Version"].clone(), before["@odata.etag"].clone()),
        (json!(1), json!("W/\"1\""))
    );
    let patched = app
        .patch_json(mug, &json!({"Price": 16.0, "Version": 99}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    assert_eq!(patched.headers()["etag"], "W/\"2\"");
    let relinked = app
        .client
        .put(app.url(&format!("{mug}/Category/$ref")))
        .json(&json!({"@odata.id": "Categories(c0000000-0000-4000-8000-000000000001)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(relinked.status(), StatusCode::NO_CONTENT);
    // Deleting the category unlinks its products, which changes them too.
    let deleted = app
        .client
        .delete(app.url("Categories(c0000000-0000-4000-8000-000000000001)"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let after = app.get_json(mug).await;
    assert_eq!(after["CategoryID"], Value::Null);
    assert_eq!(after["Version"], json!(4));
    assert_eq!(after["@odata.etag"], "W/\"4\"");
    let found = app
        .get_json("Products?$filter=Version eq 4&$select=Name")
        .await;
    assert_eq!(found["value"][0]["Name"], "Coffee Mug");

    let stale = app
        .patch_json(mug, &json!({"Price": 1.0}))
        .header("If-Match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    let company = app
        .patch_json("Company", &json!({"CEO": "Ada Lovelace"}))
        .send()
        .await
        .unwrap();
    assert_eq!(company.status(), StatusCode::NO_CONTENT);
    let company = app.get_json("Company").await;
    assert_eq!(
        (company["Version"].clone(), company["@odata.etag"].clone()),
        (json!(2), json!("W/\"2\""))
    );
}

#[tokio::test]
async fn creation_times_are_stamped_once_in_whole_seconds() {
    let app = spawn_catalog().await;
    let created = app
        .post_json(
            "Products",
            &json!({"Name": "Lamp", "Price": 1, "CreatedAt": "2000-01-01T00:00:00Z"}),
        )
        .send()
        .await
        .unwrap();
    let product: Value = created.json().await.unwrap();
    let stamped = product["CreatedAt"].as_str().unwrap().to_owned();
    assert!(
        !stamped.starts_with("2000"),
        "computed: the client's value is ignored"
    );
    assert!(!stamped.contains('.'), "whole seconds: {stamped}");
    let path = format!("Products({})", product["ID"].as_str().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let updated = app
        .patch_json(&path, &json!({"Price": 2}))
        .header("Prefer", "return=representation")
        .send()
        .await
        .unwrap();
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(
        updated["CreatedAt"],
        json!(stamped),
        "never changed afterwards"
    );

    let item = app
        .post_json(
            "MediaItems",
            &json!({"Name": "doc", "ContentType": "text/plain"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(item.status(), StatusCode::CREATED);
    let item: Value = item.json().await.unwrap();
    assert!(
        item["CreatedAt"].is_string() && item["ModifiedAt"].is_string(),
        "{item}"
    );
    assert_eq!(item["CreatedAt"], item["ModifiedAt"]);
}

#[tokio::test]
async fn product_type_names_the_type_and_never_changes() {
    let app = spawn_catalog().await;
    let by_property = app
        .post_json(
            "Products",
            &json!({"Name": "Tablet", "Price": 300, "ProductType": "SpecialProduct", "SpecialProperty": "pen"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_property.status(), StatusCode::CREATED);
    let tablet: Value = by_property.json().await.unwrap();
    assert_eq!(tablet["@odata.type"], "#Catalog.SpecialProduct");
    assert_eq!(tablet["SpecialProperty"], "pen");
    let by_type = app
        .post_json(
            "Products",
            &json!({"@odata.type": "#Catalog.SpecialProduct", "Name": "Pen", "Price": 3}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_type.status(), StatusCode::CREATED);
    let pen: Value = by_type.json().await.unwrap();
    assert_eq!(pen["ProductType"], "SpecialProduct");
    for body in [
        json!({"Name": "x", "Price": 1, "ProductType": "Gadget"}),
        json!({"@odata.type": "#Catalog.SpecialProduct", "Name": "x", "Price": 1, "ProductType": "Product"}),
        json!({"Name": "x", "Price": 1, "SpecialProperty": "only on special products"}),
    ] {
        let refused = app.post_json("Products", &body).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{body}");
    }

    let pen_path = format!("Products({})", pen["ID"].as_str().unwrap());
    let same = app
        .patch_json(
            &pen_path,
            &json!({"ProductType": "SpecialProduct", "Price": 4}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::NO_CONTENT);
    let other = app
        .patch_json(&pen_path, &json!({"ProductType": "Product"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    let replaced = app
        .client
        .put(app.url(&pen_path))
        .json(&json!({"Name": "Incomplete"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::NO_CONTENT);
    let after = app.get_json(&pen_path).await;
    assert_eq!(after["ProductType"], "SpecialProduct");
    assert_eq!(after["@odata.type"], "#Catalog.SpecialProduct");
    assert_eq!(after["Price"], json!(0.0), "PUT resets what it leaves out");
    assert_eq!(after["CategoryID"], Value::Null);
}
