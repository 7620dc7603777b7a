//! MODEL.md §2 and §6.4–§6.9 on the demo data: the catalog's types in queries, addressing,
//! relationships and media.

use acceptance_tests::{TestApp, spawn_catalog};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LAPTOP: &str = "Products(a0000000-0000-4000-8000-000000000001)";

/// The `Name`s a query answers, in order.
async fn names(app: &TestApp, query: &str) -> Vec<String> {
    // reqwest percent-encodes what a URL may not hold (spaces).
    let got = app
        .get(&format!(
            "Products?$filter={query}&$select=Name&$orderby=Price desc"
        ))
        .send()
        .await
        .unwrap();
    let status = got.status();
    let body: Value = got.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn filters_over_the_catalogs_types() {
    let app = spawn_catalog().await;
    let cases: [(&str, &[&str]); 14] = [
        (
            "Status has Catalog.ProductStatus'Featured'",
            &["Premium Laptop Pro", "Laptop", "Smartphone"],
        ),
        (
            "Status eq Catalog.ProductStatus'InStock,OnSale'",
            &["Gaming Mouse Ultra", "Wireless Mouse"],
        ),
        ("Status eq 4", &["Office Chair"]),
        ("Status eq 99", &[]),
        ("Weight eq 3.14f", &["Laptop"]),
        ("Rating ge 200", &["Laptop", "Office Chair"]),
        ("Data eq binary'dGVzdA=='", &["Laptop"]),
        ("ShippingTime eq duration'P1D'", &["Laptop"]),
        (
            "totalseconds(ShippingTime) gt 86400",
            &["Office Chair", "Coffee Mug"],
        ),
        ("OpenTime lt 09:00:00", &["Wireless Mouse", "Coffee Mug"]),
        ("ShippingAddress/City eq 'Seattle'", &["Laptop"]),
        ("Category/Name eq 'Kitchen'", &["Coffee Mug"]),
        (
            "Descriptions/any(d: d/LanguageKey eq 'FR')",
            &["Wireless Mouse"],
        ),
        (
            "geo.intersects(geography'SRID=4326;POINT(-122.3 47.6)', Area)",
            &["Laptop"],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(names(&app, query).await, expected, "{query}");
    }
    assert_eq!(
        names(&app, "isof('Catalog.SpecialProduct') and Price gt 500").await,
        ["Premium Laptop Pro", "Laptop"]
    );
    // A type cast before a navigation property: its value is null for the other types.
    let cast_pairs = [
        (
            "Catalog.SpecialProduct/Category/Name eq 'Electronics'",
            "isof('Catalog.SpecialProduct') and Category/Name eq 'Electronics'",
        ),
        (
            "Catalog.SpecialProduct/Category eq null",
            "not isof('Catalog.SpecialProduct') or Category eq null",
        ),
        (
            "Catalog.SpecialProduct/Category/Name ne 'Electronics'",
            "not isof('Catalog.SpecialProduct') or Category/Name ne 'Electronics'",
        ),
    ];
    for (cast, spelled_out) in cast_pairs {
        let got = names(&app, cast).await;
        assert_eq!(got, names(&app, spelled_out).await, "{cast}");
        assert!(!got.is_empty(), "{cast} selects something");
    }
    let searched = app
        .get_json("Products?$search=Mouse NOT Wireless&$select=Name")
        .await;
    let searched: Vec<&Value> = searched["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["Name"])
        .collect();
    assert_eq!(searched, [&json!("Gaming Mouse Ultra")]);
    for (terms, expected) in [
        ("Laptop", vec!["Laptop", "Premium Laptop Pro"]),
        ("Laptop Pro", vec!["Premium Laptop Pro"]),
        ("Laptop AND Mouse", vec![]),
        // The city of the shipping address is searched too.
        ("seattle", vec!["Laptop"]),
        ("\"San Francisco\"", vec!["Wireless Mouse"]),
    ] {
        let found = app
            .get_json(&format!(
                "Products?$search={terms}&$select=Name&$orderby=CreatedAt"
            ))
            .await;
        let names: Vec<&str> = found["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "{terms}");
    }
    for bad in [
        "Name eq 5",
        "ShippingAddress gt 1",
        "ShippingAddress/Nope eq 1",
        "geo.distance(Location)",
    ] {
        let got = app
            .get(&format!("Products?$filter={bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn decimals_are_exact_and_follow_ieee754_compatible() {
    let app = spawn_catalog().await;
    let exact = "123.456789012345678901";
    let created = app
        .client
        .post(app.url("DecimalSamples"))
        .header("Content-Type", "application/json;IEEE754Compatible=true")
        .header("Accept", "application/json;IEEE754Compatible=true")
        .body(format!(r#"{{"Name":"exact","Amount":"{exact}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(
        created.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("IEEE754Compatible=true")
    );
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["Amount"], exact);
    let found = app
        .get_json(&format!(
            "DecimalSamples?$filter=Amount eq {exact}&$select=Name"
        ))
        .await;
    assert_eq!(found["value"][0]["Name"], "exact");
    let too_precise = app
        .post_json(
            "DecimalSamples",
            &json!({"Name": "x", "Amount": "1.0000000000000000001"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(too_precise.status(), StatusCode::BAD_REQUEST);
}

/// A decimal with every digit Precision 38, Scale 18 allows, and one a step of 2·10⁻¹⁸
/// above it: doubles cannot tell them apart.
const BIG: &str = "12345678901234567890.123456789012345678";
const BIGGER: &str = "12345678901234567890.12345678901234568";

/// The catalog with DecimalSamples `a-tenth` 0.1, `b-fifth` 0.2, `c-big` [`BIG`],
/// `d-bigger` [`BIGGER`] and `e-nine` 9.5 besides the seeded `Seed Decimal` 123.45.
async fn decimal_samples() -> TestApp {
    let app = spawn_catalog().await;
    for (name, amount) in [
        ("a-tenth", "0.1"),
        ("b-fifth", "0.2"),
        ("c-big", BIG),
        ("d-bigger", BIGGER),
        ("e-nine", "9.5"),
    ] {
        let created = app
            .client
            .post(app.url("DecimalSamples"))
            .header("Content-Type", "application/json;IEEE754Compatible=true")
            .body(json!({"Name": name, "Amount": amount}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED, "{name}");
    }
    app
}

/// A GET answered with decimals as strings (`IEEE754Compatible=true`): its JSON body.
async fn get_exact(app: &TestApp, path: &str) -> Value {
    let got = app
        .get(path)
        .header("Accept", "application/json;IEEE754Compatible=true")
        .send()
        .await
        .unwrap();
    let status = got.status();
    let body: Value = got.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The `Name`s of the DecimalSamples a query selects: in its order when `options` has an
/// `$orderby`, else sorted (here, not by the database's collation).
async fn sample_names(app: &TestApp, options: &str) -> Vec<String> {
    let body = get_exact(app, &format!("DecimalSamples?$select=Name&{options}")).await;
    let mut names: Vec<String> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap().to_owned())
        .collect();
    if !options.contains("$orderby") {
        names.sort();
    }
    names
}

#[tokio::test]
async fn decimal_arithmetic_in_filters_and_orderby_is_exact() {
    let app = decimal_samples().await;
    let cases: &[(&str, &[&str])] = &[
        ("Amount add 0.1 eq 0.3", &["b-fifth"]),
        ("Amount sub 0.3 eq -0.1", &["b-fifth"]),
        ("Amount mul 3 eq 0.6", &["b-fifth"]),
        ("Amount div 4 eq 0.05", &["b-fifth"]),
        ("Amount divby 4 eq 0.025", &["a-tenth"]),
        ("Amount mod 0.15 eq 0.05", &["b-fifth", "e-nine"]),
        ("-Amount eq -0.1", &["a-tenth"]),
        ("0.3 sub Amount eq Amount", &[]),
        ("0.2 sub Amount eq Amount", &["a-tenth"]),
        (
            "Amount add 0.000000000000000001 eq 12345678901234567890.123456789012345679",
            &["c-big"],
        ),
        (
            "Amount mul 2 eq 24691357802469135780.246913578024691356",
            &["c-big"],
        ),
        (
            "Amount add 1 gt 12345678901234567891.123456789012345679",
            &["d-bigger"],
        ),
        (
            "Amount add 1 lt 12345678901234567891.123456789012345679",
            &["Seed Decimal", "a-tenth", "b-fifth", "c-big", "e-nine"],
        ),
        ("Amount add 0.1 in (0.2, 0.3)", &["a-tenth", "b-fifth"]),
        ("Amount add 0 in (9.5, 123.45)", &["Seed Decimal", "e-nine"]),
        // Against integers and doubles, as the evaluator promotes them.
        ("Amount mul 10 eq 1", &["a-tenth"]),
        ("Amount mul 2 eq 19", &["e-nine"]),
        ("Amount add 0.1 eq 3e-1", &["b-fifth"]),
        (
            "Amount mul 1e0 gt 100",
            &["Seed Decimal", "c-big", "d-bigger"],
        ),
        ("round(Amount mul 5) eq 1", &["a-tenth", "b-fifth"]),
        ("floor(Amount mul 10) eq 2", &["b-fifth"]),
        ("ceiling(Amount mul -10) eq -94", &[]),
        ("ceiling(Amount mul -10) eq -95", &["e-nine"]),
        ("cast(Amount, Edm.Int32) eq 123", &["Seed Decimal"]),
        (
            "cast(Amount add 0.9, Edm.Int32) eq 1",
            &["a-tenth", "b-fifth"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            sample_names(&app, &format!("$filter={filter}")).await,
            *expected,
            "{filter}"
        );
    }
    // Doubles would tie c-big and d-bigger (and then order them by Name).
    assert_eq!(
        sample_names(&app, "$orderby=Amount mul 2 desc,Name").await,
        [
            "d-bigger",
            "c-big",
            "Seed Decimal",
            "e-nine",
            "b-fifth",
            "a-tenth"
        ]
    );
    assert_eq!(
        sample_names(&app, "$orderby=Amount sub 9.5,Name").await,
        [
            "a-tenth",
            "b-fifth",
            "e-nine",
            "Seed Decimal",
            "c-big",
            "d-bigger"
        ]
    );
    // A computed decimal: its value, and filtered and ordered by in SQL.
    let computed = get_exact(
        &app,
        "DecimalSamples?$compute=Amount mul 2 as D&$select=Name,D&$filter=D eq 0.4 or D gt 1e19\
         &$orderby=D desc",
    )
    .await;
    let rows: Vec<(&str, &str)> = computed["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["Name"].as_str().unwrap(), r["D"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            ("d-bigger", "24691357802469135780.24691357802469136"),
            ("c-big", "24691357802469135780.246913578024691356"),
            ("b-fifth", "0.4"),
        ]
    );
}

#[tokio::test]
async fn decimal_aggregates_are_exact() {
    let app = decimal_samples().await;
    let aggregate = |apply: &str| {
        let app = &app;
        let path = format!("DecimalSamples?$apply={apply}");
        async move {
            let body = get_exact(app, &path).await;
            body["value"].as_array().unwrap().clone()
        }
    };
    let small = aggregate("filter(Amount lt 1)/aggregate(Amount with sum as S)").await;
    assert_eq!(small[0]["S"], "0.3", "{small:?}");
    let all =
        aggregate("aggregate(Amount with sum as S,Amount with min as Min,Amount with max as Max)")
            .await;
    assert_eq!(all[0]["S"], "24691357802469135913.496913578024691358");
    assert_eq!(all[0]["Min"], "0.1");
    // By value, not by text ("9.5" is the greatest text).
    assert_eq!(all[0]["Max"], BIGGER);
    let big = aggregate(
        "filter(Amount gt 1000)/aggregate(Amount with average as A,Amount with min as Min,\
         Amount with sum as S)",
    )
    .await;
    assert_eq!(big[0]["A"], "12345678901234567890.123456789012345679");
    assert_eq!(big[0]["Min"], BIG);
    assert_eq!(big[0]["S"], "24691357802469135780.246913578024691358");
    let average = aggregate("filter(Amount lt 1)/aggregate(Amount with average as A)").await;
    assert_eq!(average[0]["A"], "0.15");
    let doubled = aggregate(
        "compute(Amount mul 2 as D)/filter(D lt 1)/aggregate(D with sum as S)/filter(S eq 0.6)",
    )
    .await;
    assert_eq!(doubled.len(), 1, "{doubled:?}");
    assert_eq!(doubled[0]["S"], "0.6");
    // Groups come in numeric order of the decimal grouping value.
    let groups = aggregate("groupby((Amount))").await;
    let amounts: Vec<&str> = groups
        .iter()
        .map(|g| g["Amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["0.1", "0.2", "9.5", "123.45", BIG, BIGGER]);
    // 0.1 + 0.2 is below 0.30000000000000001 exactly (as doubles it is not), so the
    // lowest amounts are taken up to and including 9.5.
    let lowest = aggregate("bottomsum(0.30000000000000001,Amount)").await;
    let names: Vec<&str> = lowest.iter().map(|s| s["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a-tenth", "b-fifth", "e-nine"]);
}

#[tokio::test]
async fn composite_keys_type_casts_and_property_paths_address_resources() {
    let app = spawn_catalog().await;
    let description =
        "ProductDescriptions(LanguageKey='DE',ProductID=a0000000-0000-4000-8000-000000000001)";
    assert_eq!(app.get_json(description).await["CustomName"], "");
    assert_eq!(
        app.get_json(&format!("{LAPTOP}/Catalog.SpecialProduct/SpecialProperty"))
            .await["value"],
        "Extended warranty included"
    );
    for (path, status) in [
        (
            "Products(a0000000-0000-4000-8000-000000000002)/Catalog.SpecialProduct",
            StatusCode::NOT_FOUND,
        ),
        (
            "Products(00000000-0000-0000-0000-000000000000)",
            StatusCode::NOT_FOUND,
        ),
        ("Products(1)", StatusCode::NOT_FOUND),
        ("Products('abc:123')", StatusCode::NOT_FOUND),
        (
            "Products('abc:123')/GetRelatedProducts()",
            StatusCode::NOT_FOUND,
        ),
        ("Products(ID='abc:123)", StatusCode::BAD_REQUEST),
        ("Products/Catalog.SpecialProduct/$count", StatusCode::OK),
        (
            "Products/a0000000-0000-4000-8000-000000000001/Name",
            StatusCode::OK,
        ),
    ] {
        assert_eq!(
            app.get(path).send().await.unwrap().status(),
            status,
            "{path}"
        );
    }
    let price = app
        .get(&format!("{LAPTOP}/Price/$value"))
        .send()
        .await
        .unwrap();
    assert_eq!(price.text().await.unwrap(), "999.99");
    let status = app
        .get(&format!("{LAPTOP}/Status/$value"))
        .send()
        .await
        .unwrap();
    assert_eq!(status.text().await.unwrap(), "InStock,Featured");
    let empty = app
        .get("Products(a0000000-0000-4000-8000-000000000005)/Description")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::NO_CONTENT);
    let city = app
        .get_json(&format!("{LAPTOP}/ShippingAddress/City"))
        .await;
    assert_eq!(city["value"], "Seattle");
}

#[tokio::test]
async fn descriptions_are_created_inside_their_product_and_deleted_with_it() {
    let app = spawn_catalog().await;
    let created = app
        .post_json(
            "Products",
            &json!({
                "Name": "Desk", "Price": 120,
                "Category@odata.bind": "Categories(c0000000-0000-4000-8000-000000000003)",
                "Descriptions": [
                    {"LanguageKey": "EN", "Description": "A desk"},
                    {"LanguageKey": "DE", "Description": "Ein Schreibtisch"}
                ]
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let desk: Value = created.json().await.unwrap();
    let id = desk["ID"].as_str().unwrap().to_owned();
    assert_eq!(desk["CategoryID"], "c0000000-0000-4000-8000-000000000003");
    let descriptions = app
        .get_json(&format!("Products({id})/Descriptions/$count"))
        .await;
    assert_eq!(descriptions, json!(2));
    let duplicate = app
        .post_json(
            "ProductDescriptions",
            &json!({"ProductID": id, "LanguageKey": "EN", "Description": "again"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let taken = app
        .post_json("Categories", &json!({"Name": "Electronics"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);

    let deleted = app
        .client
        .delete(app.url(&format!("Products({id})")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let left = app
        .get_json(&format!(
            "ProductDescriptions/$count?$filter=ProductID eq {id}"
        ))
        .await;
    assert_eq!(left, json!(0));
    let again = app
        .client
        .delete(app.url(&format!("Products({id})")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn media_items_upload_and_serve_their_streams() {
    let app = spawn_catalog().await;
    let uploaded = app
        .client
        .post(app.url("MediaItems"))
        .header("Content-Type", "image/png")
        .header("Slug", "new%20picture.png")
        .body(vec![1u8, 2, 3, 4, 5])
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let location = uploaded.headers()["location"].to_str().unwrap().to_owned();
    let item: Value = uploaded.json().await.unwrap();
    assert_eq!(item["Name"], "new picture.png");
    assert_eq!(item["ContentType"], "image/png");
    assert_eq!(item["Size"], 5);
    assert!(
        item["@odata.mediaReadLink"]
            .as_str()
            .unwrap()
            .ends_with("/$value")
    );
    let path = format!("{}/$value", location.trim_start_matches(&app.root));
    let bytes = app.get(&path).send().await.unwrap();
    assert_eq!(bytes.headers()["content-type"], "image/png");
    assert_eq!(&bytes.bytes().await.unwrap()[..], &[1, 2, 3, 4, 5]);
    let company = app.client.delete(app.url("Company")).send().await.unwrap();
    assert_eq!(company.status(), StatusCode::METHOD_NOT_ALLOWED);
    let photo = app.get(&format!("{LAPTOP}/Photo")).send().await.unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["content-type"], "application/octet-stream");
    assert!(photo.bytes().await.unwrap().is_empty());
}

/// The keys of a collection response's members, each as `ID` or `ProductID/LanguageKey`.
fn keys(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match e["ID"].as_str() {
            Some(id) => id.to_owned(),
            None => format!("{}/{}", e["ProductID"], e["LanguageKey"]).replace('"', ""),
        })
        .collect()
}

#[tokio::test]
async fn index_numbers_products_in_the_whole_result() {
    let app = spawn_catalog().await;
    let all = app
        .get_json("Products?$select=Name&$orderby=Price desc&$count=true")
        .await;
    let total = all["@odata.count"].as_u64().unwrap();
    let ordered: Vec<&str> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert!(total >= 4, "{all}");

    let body = app
        .get_json(
            "Products?$index=true&$select=Name&$orderby=Price desc&$skip=1&$top=3\
             &$expand=Category($select=Name)&$count=true",
        )
        .await;
    assert_eq!(body["@odata.count"].as_u64(), Some(total), "{body}");
    let items = body["value"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{body}");
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["@odata.index"].as_u64(), Some(i as u64 + 1), "{body}");
        assert_eq!(item["Name"].as_str(), Some(ordered[i + 1]), "{body}");
        assert!(item.get("Category").is_some(), "{body}");
    }

    // With `$filter`: positions in the filtered result.
    let body = app
        .get_json("Products?$index=true&$filter=Price gt 100&$orderby=Price")
        .await;
    let indexes: Vec<u64> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["@odata.index"].as_u64().unwrap())
        .collect();
    assert!(!indexes.is_empty(), "{body}");
    assert_eq!(indexes, (0..indexes.len() as u64).collect::<Vec<_>>());

    // A single entity has no position: 400.
    let r = app
        .get(&format!("{LAPTOP}?$index=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app.get("Products?$index=yes").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// The `Name`s of a response's rows, in order.
fn row_names(body: &Value) -> Vec<&str> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap_or("-"))
        .collect()
}

#[tokio::test]
async fn collections_list_in_insertion_order_and_orderby_ties_keep_it() {
    let app = spawn_catalog().await;
    let seed: Value = serde_json::from_str(
        &std::fs::read_to_string(acceptance_tests::shared_dir().join("catalog-model/seed.json"))
            .unwrap(),
    )
    .unwrap();
    // The demo rows in the order of MODEL §5, which is not key order for the descriptions
    // (EN before DE).
    for set in [
        "Categories",
        "Products",
        "ProductDescriptions",
        "MediaItems",
        "ReadOnlyItems",
        "DecimalSamples",
    ] {
        let listed = keys(&app.get_json(set).await);
        let demo = keys(&json!({ "value": seed[set] }));
        assert_eq!(listed, demo, "{set}");
    }
    let descriptions = keys(&app.get_json("ProductDescriptions").await);
    let mut sorted = descriptions.clone();
    sorted.sort();
    assert_ne!(
        descriptions, sorted,
        "the demo descriptions are not in key order"
    );

    // A product created later comes last, whatever its (generated) key; a replaced one
    // keeps its place.
    let created = app
        .post_json(
            "Products",
            &json!({"Name": "Cable", "Price": 29.99, "SerialNumber": "SN-7"}),
        )
        .header("Prefer", "return=representation")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let late_key = created["ID"].as_str().unwrap().to_owned();
    let replaced = app
        .client
        .put(app.url(LAPTOP))
        .json(&json!({"Name": "Laptop", "Price": 29.99, "SerialNumber": "SN-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), StatusCode::NO_CONTENT);
    let products = keys(&app.get_json("Products").await);
    assert_eq!(products.len(), 8);
    assert_eq!(products[0], "a0000000-0000-4000-8000-000000000001");
    assert_eq!(products[7], late_key);

    // Pages follow the same order.
    let mut paged = Vec::new();
    let mut next = Some(app.url("Products"));
    while let Some(url) = next {
        let page: Value = app
            .client
            .get(&url)
            .header("Prefer", "odata.maxpagesize=3")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        paged.extend(keys(&page));
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(paged, products);

    // Laptop, Wireless Mouse and Cable cost 29.99 now: ties in insertion order, both ways.
    let cheapest = keys(&app.get_json("Products?$orderby=Price&$top=3").await);
    assert_eq!(
        cheapest,
        [
            "a0000000-0000-4000-8000-000000000003",
            "a0000000-0000-4000-8000-000000000001",
            "a0000000-0000-4000-8000-000000000002"
        ]
    );
    let by_price = keys(&app.get_json("Products?$orderby=Price desc").await);
    assert_eq!(
        by_price[4..],
        [
            "a0000000-0000-4000-8000-000000000001",
            "a0000000-0000-4000-8000-000000000002",
            late_key.as_str(),
            "a0000000-0000-4000-8000-000000000003",
        ]
    );
    // Expanded collections too: the descriptions of the Laptop, EN before DE.
    let laptop = app
        .get_json(&format!(
            "{LAPTOP}?$expand=Descriptions($select=LanguageKey)"
        ))
        .await;
    let languages: Vec<&Value> = laptop["Descriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["LanguageKey"])
        .collect();
    assert_eq!(languages, ["EN", "DE"]);
}

/// The status of `GET Products?<query>`, with the body for messages.
async fn status_of(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let response = app.get(&format!("Products?{query}")).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_expression_form_of_model_6_4_is_served_and_mistakes_are_400() {
    let app = spawn_catalog().await;
    let served = [
        "$filter=3 divby 2 eq 1.5",
        "$filter=Price div 0 gt 0",
        "$filter=Name in ('Laptop','Laptop',null)",
        "$filter=not (Name in ('Laptop'))",
        "$filter=matchesPattern(Name,'^(Lap|Smart)')",
        "$filter=contains(Name,'%25') or contains(Name,'_')",
        "$filter=Descriptions/any()",
        "$filter=Descriptions/all(d: d/LanguageKey eq 'EN')",
        "$filter=Descriptions/$count gt 1",
        "$filter=Price gt @p and Price lt @p mul 100&@p=10",
        "$filter=Weight lt 1.5e2f",
        "$filter=Rating ge 1e+2",
        "$filter=Price lt INF",
        "$filter=isof(Catalog.SpecialProduct)",
        "$filter=isof(Some.Other.SpecialProduct)",
        "$filter=cast(Rating,Edm.String) eq '200'",
        "$filter=cast(CreatedAt,'Edm.Date') eq 2024-01-15",
        "$filter=cast(CreatedAt,Edm.TimeOfDay) eq 10:30:00",
        "$filter=cast(Status,Edm.Int32) eq 5",
        "$filter=isof(Price,Edm.Double)",
        "$filter=ID eq A0000000-0000-4000-8000-000000000001",
        "$filter=CreatedAt lt 2030-01-01T00:00:00 01:00",
        "$filter=fractionalseconds(CreatedAt) eq 0 and totaloffsetminutes(CreatedAt) eq 0",
        "$filter=CreatedAt gt mindatetime() and CreatedAt lt maxdatetime()",
        "$filter=hour(OpenTime) eq 9 or round(Price) eq 1000",
        "$filter=totalseconds(ProcessingTime) eq 45",
        "$select=ShippingAddress/City,Catalog.SpecialProduct/SpecialProperty",
        "$expand=Descriptions(top=1;count=true)",
        "$expand=Descriptions($search=Laptop;$compute=length(Description) as L;$select=L)",
        "$orderby=ShippingAddress/City,Category/Name desc",
        "$compute=Price mul 2 as Double&$orderby=Double desc&$filter=Double gt 100",
        "$search=%22Wireless Mouse%22",
        "$search=(Laptop OR Mouse) AND NOT Pro",
        "$apply=GROUPBY((CategoryID),Aggregate(Price with Sum as Total))&$filter=Total gt 100",
        "$apply=filter(Price gt 100)/orderby(Price desc)/top(2)/skip(1)",
        "%24top=1",
        "filter=Price gt 1000&SELECT=Name",
    ];
    for query in served {
        let (status, body) = status_of(&app, query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
    }
    let mistakes = [
        ("$filter=Price gt @p", "'@p' has no value"),
        ("$filter=geo.invalid(Location)", "geo.invalid"),
        ("$filter=geo.distance(Location) gt 1", "geo.distance"),
        ("$filter=matchesPattern(Name)", "matchesPattern"),
        ("$filter=substring(Name,-1) eq 'x'", "start argument"),
        ("$filter=Name eq 5", ""),
        ("$filter=Price eq 'x'", ""),
        ("$filter=year(Name) eq 1", ""),
        ("$filter=Name eq 2024-01-01", ""),
        ("$filter=Name in (1,2)", ""),
        ("$filter=Descriptions/LanguageKey eq 'EN'", ""),
        ("$filter=Rating eq 9223372036854775808", ""),
        ("$filter=Data eq binary'!!!'", ""),
        ("$filter=ShippingTime eq duration'PXD'", ""),
        ("$filter=", ""),
        (
            "$filter=geo.distance(Location, geometry'SRID=0;POINT(1 2)') lt 5",
            "",
        ),
        ("$filter=isof(Catalog.Nope)", ""),
        ("$select=Nope", "Nope"),
        ("$orderby=Descriptions", ""),
        ("$expand=Descriptions($top=x)", ""),
        ("$compute=Price mul as X", ""),
        ("$apply=topcount(0,Price)", "greater than 0"),
        ("$apply=bottompercent(-5,Price)", "greater than 0"),
        ("$apply=ancestors()", "needs its arguments"),
        ("$apply=traverse()", "needs its arguments"),
        ("$apply=nope()", "unknown transformation"),
        ("$apply=aggregate(Price with nope as X)", "nope"),
        ("$filter=Price gt 1&filter=Price gt 2", ""),
        ("$bogus=1", "$bogus"),
    ];
    for (query, names) in mistakes {
        let (status, body) = status_of(&app, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{query}: {message}");
    }
}

#[tokio::test]
async fn counts_with_nested_filters_and_cumulative_aggregations() {
    let app = spawn_catalog().await;
    // Descriptions in other languages than EN: Laptop (DE), Wireless Mouse (FR), Smartphone
    // (ES).
    let body = app
        .get_json(
            "Products?$filter=Descriptions/$count($filter=LanguageKey ne 'EN') ge 1\
             &$select=Name&$orderby=Name",
        )
        .await;
    assert_eq!(
        row_names(&body),
        ["Laptop", "Smartphone", "Wireless Mouse"],
        "{body}"
    );
    // Prices: 1999.99, 999.99, 799.99, 249.99, 149.99, 29.99, 15.5 (total 4245.44).
    for (apply, expected) in [
        ("topsum(2500,Price)", &["Premium Laptop Pro", "Laptop"][..]),
        ("toppercent(50,Price)", &["Premium Laptop Pro", "Laptop"]),
        (
            "bottomsum(50,Price)",
            &["Coffee Mug", "Wireless Mouse", "Gaming Mouse Ultra"],
        ),
        // 1 % is 42.4544: the mug alone (15.5) does not reach it.
        ("bottompercent(1,Price)", &["Coffee Mug", "Wireless Mouse"]),
    ] {
        let body = app.get_json(&format!("Products?$apply={apply}")).await;
        assert_eq!(row_names(&body), expected, "{apply}: {body}");
    }
    let body = app
        .get_json("Products?$apply=concat(topcount(1,Price),aggregate(Price with sum as Total))")
        .await;
    let rows = body["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{body}");
    assert_eq!(rows[0]["Name"], "Premium Laptop Pro", "{body}");
    let total = rows[1]["Total"].as_f64().unwrap();
    assert!((total - 4245.44).abs() < 1e-6, "{body}");
    let r = app
        .get("Products?$apply=topsum(0,Price)")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// `(Category name, Name, Total)` of each row of a rollup over `Category/Name` and `Name`.
fn category_totals(body: &Value) -> Vec<(Value, Value, f64)> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| {
            (
                r["Category"]["Name"].clone(),
                r["Name"].clone(),
                r["Total"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

fn assert_totals(got: &[(Value, Value, f64)], expected: &[(Value, Value, f64)], body: &Value) {
    assert_eq!(got.len(), expected.len(), "{body}");
    for (g, e) in got.iter().zip(expected) {
        assert_eq!((&g.0, &g.1), (&e.0, &e.1), "{body}");
        assert!((g.2 - e.2).abs() < 1e-6, "{g:?} vs {e:?}: {body}");
    }
}

#[tokio::test]
async fn rollup_of_the_demo_prices_by_category_and_name() {
    let app = spawn_catalog().await;
    let text = |s: &str| json!(s);
    // seed.json: Electronics 149.99 + 999.99 + 1999.99 + 799.99 + 29.99 = 3979.95,
    // Furniture 249.99, Kitchen 15.5; 4245.44 in all.
    let mut expected = vec![
        (text("Electronics"), text("Gaming Mouse Ultra"), 149.99),
        (text("Electronics"), text("Laptop"), 999.99),
        (text("Electronics"), text("Premium Laptop Pro"), 1999.99),
        (text("Electronics"), text("Smartphone"), 799.99),
        (text("Electronics"), text("Wireless Mouse"), 29.99),
        (text("Furniture"), text("Office Chair"), 249.99),
        (text("Kitchen"), text("Coffee Mug"), 15.5),
        (text("Electronics"), Value::Null, 3979.95),
        (text("Furniture"), Value::Null, 249.99),
        (text("Kitchen"), Value::Null, 15.5),
    ];
    let body = app
        .get_json(
            "Products?$apply=groupby((rollup(Category/Name,Name)),aggregate(Price with sum as Total))",
        )
        .await;
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap_or_default()
            .ends_with("$metadata#Products(Category(Name),Name,Total)"),
        "{body}"
    );
    assert_totals(&category_totals(&body), &expected, &body);
    // With the grand-total level.
    let body = app
        .get_json(
            "Products?$apply=groupby((rollup($all,Category/Name,Name)),aggregate(Price with sum as Total))",
        )
        .await;
    expected.push((Value::Null, Value::Null, 4245.44));
    assert_totals(&category_totals(&body), &expected, &body);
    assert_eq!(
        body["value"][10]["Category"],
        json!({"Name": null}),
        "{body}"
    );
    // The subtotals only, largest first.
    let body = app
        .get_json(
            "Products?$apply=groupby((rollup($all,Category/Name,Name)),aggregate(Price with sum as Total))\
             /filter(Name eq null and Category/Name ne null)/orderby(Total desc)",
        )
        .await;
    assert_totals(
        &category_totals(&body),
        &[
            (text("Electronics"), Value::Null, 3979.95),
            (text("Furniture"), Value::Null, 249.99),
            (text("Kitchen"), Value::Null, 15.5),
        ],
        &body,
    );
}

#[tokio::test]
async fn count_of_a_property_on_the_demo_products() {
    let app = spawn_catalog().await;
    // Data is set on Laptop, Wireless Mouse and Coffee Mug (empty, not null);
    // SpecialProperty on the three SpecialProducts.
    let body = app
        .get_json(
            "Products?$apply=aggregate(Data with count as WithData,\
             Catalog.SpecialProduct/SpecialProperty with count as Special,$count as All)",
        )
        .await;
    assert_eq!(
        body["value"],
        json!([{"WithData@odata.type": "#Decimal", "WithData": 3,
                "Special@odata.type": "#Decimal", "Special": 3,
                "All@odata.type": "#Decimal", "All": 7}]),
        "{body}"
    );
    let body = app
        .get_json("Products?$apply=groupby((Category/Name),aggregate(Data with count as N))")
        .await;
    let counts: Vec<(&str, i64)> = body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| {
            (
                r["Category"]["Name"].as_str().unwrap_or("-"),
                r["N"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("Electronics", 2), ("Furniture", 0), ("Kitchen", 1)],
        "{body}"
    );
}

/// `(Name, the alias's property)` of each row.
fn joined(body: &Value, alias: &str, property: &str) -> Vec<(String, Value)> {
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| {
            (
                r["Name"].as_str().unwrap_or("-").to_owned(),
                r[alias][property].clone(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, Value)]) -> Vec<(String, Value)> {
    expected
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect()
}

/// A joined entity's complex property is read through its path (`P/Dimensions/Height`),
/// in a filter and in an aggregate.
#[tokio::test]
async fn paths_below_a_joined_entitys_complex_property() {
    let app = spawn_catalog().await;
    let body = app
        .get_json(
            "Categories?$apply=join(Products as P)/filter(P/Dimensions/Height gt 3)\
             /groupby((P/Name),aggregate(P/Dimensions/Height with max as H))\
             &$orderby=P/Name",
        )
        .await;
    let rows: Vec<(&str, f64)> = body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| {
            (
                r["P"]["Name"].as_str().unwrap_or("-"),
                r["H"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Coffee Mug", 10.0),
            ("Gaming Mouse Ultra", 4.5),
            ("Wireless Mouse", 4.0)
        ],
        "{body}"
    );
}

#[tokio::test]
async fn join_and_outerjoin_over_descriptions_and_related_products() {
    let app = spawn_catalog().await;
    let body = app
        .get_json("Products?$apply=join(Descriptions as D,orderby(LanguageKey))&$select=Name,D")
        .await;
    assert_eq!(
        joined(&body, "D", "LanguageKey"),
        pairs(&[
            ("Laptop", json!("DE")),
            ("Laptop", json!("EN")),
            ("Wireless Mouse", json!("EN")),
            ("Wireless Mouse", json!("FR")),
            ("Coffee Mug", json!("EN")),
            ("Smartphone", json!("EN")),
            ("Smartphone", json!("ES")),
        ]),
        "{body}"
    );
    assert_eq!(body["value"][1]["D"]["CustomName"], "Promo", "{body}");
    assert_eq!(
        body["value"][1]["D"]["Description"], "High-performance laptop for productivity and gaming",
        "{body}"
    );
    // outerjoin keeps the products without descriptions, their alias null.
    let body = app
        .get_json("Products?$apply=outerjoin(Descriptions as D)/filter(D eq null)&$select=Name,D")
        .await;
    assert_eq!(
        joined(&body, "D", "LanguageKey"),
        pairs(&[
            ("Office Chair", Value::Null),
            ("Premium Laptop Pro", Value::Null),
            ("Gaming Mouse Ultra", Value::Null),
        ]),
        "{body}"
    );
    assert_eq!(
        body["value"][0],
        json!({"Name": "Office Chair", "D": null}),
        "{body}"
    );
    let body = app
        .get_json("Products?$apply=outerjoin(Descriptions as D)&$count=true&$top=0")
        .await;
    assert_eq!(body["@odata.count"], 10, "{body}");
    // Grouped by the alias's and the product's navigation properties.
    let body = app
        .get_json(
            "Products?$apply=join(Descriptions as D)/groupby((D/LanguageKey),aggregate($count as N))",
        )
        .await;
    let languages: Vec<(&str, i64)> = body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| {
            (
                r["D"]["LanguageKey"].as_str().unwrap_or("-"),
                r["N"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        languages,
        [("DE", 1), ("EN", 4), ("ES", 1), ("FR", 1)],
        "{body}"
    );
    let body = app
        .get_json(
            "Products?$apply=join(Descriptions as D)/groupby((Category/Name),\
             aggregate(D/LanguageKey with countdistinct as Languages))",
        )
        .await;
    assert_eq!(
        body["value"],
        json!([
            {"Category": {"Name": "Electronics"}, "Languages@odata.type": "#Decimal", "Languages": 4},
            {"Category": {"Name": "Kitchen"}, "Languages@odata.type": "#Decimal", "Languages": 1}
        ]),
        "{body}"
    );
    // The many-to-many RelatedProducts (the demo data has no links: add three).
    for (source, target) in [
        (LAPTOP, "Products(a0000000-0000-4000-8000-000000000002)"),
        (LAPTOP, "Products(a0000000-0000-4000-8000-000000000005)"),
        ("Products(a0000000-0000-4000-8000-000000000005)", LAPTOP),
    ] {
        let r = app
            .post_json(
                &format!("{source}/RelatedProducts/$ref"),
                &json!({"@odata.id": target}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{source} → {target}");
    }
    let body = app
        .get_json("Products?$apply=join(RelatedProducts as R,orderby(Name))&$select=Name,R")
        .await;
    assert_eq!(
        joined(&body, "R", "Name"),
        pairs(&[
            ("Laptop", json!("Smartphone")),
            ("Laptop", json!("Wireless Mouse")),
            ("Smartphone", json!("Laptop")),
        ]),
        "{body}"
    );
    let body = app
        .get_json("Products?$apply=join(RelatedProducts as R)/aggregate(R/Price with sum as S)")
        .await;
    let s = body["value"][0]["S"].as_f64().unwrap_or(f64::NAN);
    assert!((s - (29.99 + 799.99 + 999.99)).abs() < 1e-6, "{body}");
    for (query, named) in [
        ("Products?$apply=join(Category as C)", "single-valued"),
        ("Products?$apply=join(Descriptions as Name)", "alias 'Name'"),
        (
            "Products?$apply=join(Descriptions as D)/filter(D/Nope eq 1)",
            "Nope",
        ),
    ] {
        let r = app.get(query).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{query}: {message}");
    }
}

#[tokio::test]
async fn nest_groups_the_demo_products() {
    let app = spawn_catalog().await;
    let body = app
        .get_json(
            "Products?$apply=groupby((Category/Name),nest(filter(Price gt 500)/orderby(Price desc) \
             as Expensive,aggregate(Price with max as Top) as Max))",
        )
        .await;
    let rows = body["value"].as_array().unwrap_or_else(|| panic!("{body}"));
    let summary: Vec<(&str, Vec<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r["Category"]["Name"].as_str().unwrap_or("-"),
                r["Expensive"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{body}"))
                    .iter()
                    .map(|p| p["Name"].as_str().unwrap_or("-"))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Electronics",
                vec!["Premium Laptop Pro", "Laptop", "Smartphone"]
            ),
            ("Furniture", vec![]),
            ("Kitchen", vec![]),
        ],
        "{body}"
    );
    assert_eq!(rows[2]["Max"], json!([{"Top": 15.5}]), "{body}");
    // A nested entity has the values a read of it gives.
    let laptop = &rows[0]["Expensive"][1];
    let direct = app.get_json(LAPTOP).await;
    let members = laptop.as_object().unwrap();
    assert!(members.len() >= 20, "{laptop}");
    for (name, value) in members {
        assert_eq!(&direct[name], value, "{name}: {laptop} vs {direct}");
    }
    assert_eq!(laptop["Data"], "dGVzdA==", "{laptop}");
    // An exact decimal (scale 18) keeps every digit inside a nested collection.
    let samples = app.get_json("DecimalSamples").await;
    let body = app
        .get_json("DecimalSamples?$apply=nest(identity as All)")
        .await;
    let sample = &body["value"][0]["All"][0];
    assert!(
        sample["Amount"].is_number() || sample["Amount"].is_string(),
        "{body}"
    );
    for (name, value) in sample.as_object().unwrap_or_else(|| panic!("{body}")) {
        assert_eq!(
            &samples["value"][0][name], value,
            "{name}: {body} vs {samples}"
        );
    }
    // Spatial values of $apply results are GeoJSON objects, as in a read.
    let body = app
        .get_json("Products?$apply=filter(Name eq 'Laptop')")
        .await;
    assert_eq!(body["value"][0]["Location"], direct["Location"], "{body}");
    assert_eq!(body["value"][0]["Location"]["type"], "Point", "{body}");
}
