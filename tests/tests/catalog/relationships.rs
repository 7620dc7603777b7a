//! MODEL.md §6.8 for `Products/RelatedProducts`, the many-to-many navigation between
//! products stored in the link table `ProductRelations` (§2.4): binds, deep inserts, `$ref`
//! adds, lists and removals, `$expand`, lambdas through it (§6.4), deletes removing links
//! both ways, and `Reseed` removing every link (§5.8, §5.9).

use acceptance_tests::{TestApp, spawn_catalog};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LAPTOP: &str = "Products(a0000000-0000-4000-8000-000000000001)";
const MOUSE: &str = "Products(a0000000-0000-4000-8000-000000000002)";
const MUG: &str = "Products(a0000000-0000-4000-8000-000000000003)";
const CHAIR: &str = "Products(a0000000-0000-4000-8000-000000000004)";
const PHONE: &str = "Products(a0000000-0000-4000-8000-000000000005)";
const PRO: &str = "Products(a0000000-0000-4000-8000-000000000006)";

/// The names of the products of a collection response.
async fn names(app: &TestApp, path: &str) -> Vec<String> {
    let got = app.get_json(path).await;
    got["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: {got}"))
        .iter()
        .map(|p| p["Name"].as_str().unwrap().to_owned())
        .collect()
}

/// `POST {source}/RelatedProducts/$ref` naming `target` by `url`; the status.
async fn link(app: &TestApp, source: &str, url: &str) -> StatusCode {
    app.post_json(
        &format!("{source}/RelatedProducts/$ref"),
        &json!({"@odata.id": url}),
    )
    .send()
    .await
    .unwrap()
    .status()
}

/// The number of rows of the link table, all tenants.
async fn stored_links(app: &TestApp) -> u64 {
    app.sql(
        "SELECT CAST(COUNT(*) AS TEXT) FROM \"ProductRelations\"",
        &[],
    )
    .await
    .expect("a count")
    .parse()
    .unwrap()
}

async fn count(app: &TestApp, path: &str) -> Value {
    app.get_json(&format!("{path}/RelatedProducts/$count"))
        .await
}

/// A new product named `name`; its URL (`Products(<id>)`).
async fn create(app: &TestApp, name: &str) -> String {
    let created = app
        .post_json("Products", &json!({"Name": name, "Price": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    format!("Products({})", body["ID"].as_str().unwrap())
}

#[tokio::test]
async fn references_add_list_and_remove_related_products() {
    let app = spawn_catalog().await;
    // The demo data has no links.
    assert_eq!(
        app.get_json(&format!("{LAPTOP}/RelatedProducts")).await["value"],
        json!([])
    );
    assert_eq!(stored_links(&app).await, 0);
    // Relative and absolute URLs; adding a link twice is still one link.
    assert_eq!(link(&app, LAPTOP, MOUSE).await, StatusCode::NO_CONTENT);
    assert_eq!(
        link(&app, LAPTOP, &app.url(PHONE)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(link(&app, LAPTOP, MOUSE).await, StatusCode::NO_CONTENT);
    assert_eq!(count(&app, LAPTOP).await, json!(2));
    assert_eq!(stored_links(&app).await, 2);
    // Links have a direction: the mouse relates to nothing.
    assert_eq!(count(&app, MOUSE).await, json!(0));
    // The references, with $filter, $orderby, $top, $skip and $count.
    let refs = app
        .get_json(&format!("{LAPTOP}/RelatedProducts/$ref"))
        .await;
    assert_eq!(refs["value"].as_array().unwrap().len(), 2, "{refs}");
    let refs = app
        .get_json(&format!(
            "{LAPTOP}/RelatedProducts/$ref?$orderby=Name&$top=1&$count=true"
        ))
        .await;
    assert_eq!(refs["@odata.count"], 2);
    assert_eq!(refs["value"], json!([{"@odata.id": app.url(PHONE)}]));
    let refs = app
        .get_json(&format!(
            "{LAPTOP}/RelatedProducts/$ref?$filter=Price lt 100&$skip=0"
        ))
        .await;
    assert_eq!(refs["value"], json!([{"@odata.id": app.url(MOUSE)}]));
    for option in ["$select=Name", "$expand=Category"] {
        let r = app
            .get(&format!("{LAPTOP}/RelatedProducts/$ref?{option}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{option}");
    }
    // The related products themselves, with query options, and one of them.
    assert_eq!(
        names(
            &app,
            &format!("{LAPTOP}/RelatedProducts?$orderby=Price desc&$select=Name")
        )
        .await,
        ["Smartphone", "Wireless Mouse"]
    );
    let phone = app
        .get_json(&format!(
            "{LAPTOP}/RelatedProducts({})",
            &PHONE[9..PHONE.len() - 1]
        ))
        .await;
    assert_eq!(phone["Name"], "Smartphone");
    // Removing by $id and by key.
    let r = app
        .client
        .delete(app.url(&format!(
            "{LAPTOP}/RelatedProducts/$ref?$id={}",
            app.url(MOUSE)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let by_key = format!(
        "{LAPTOP}/RelatedProducts({})/$ref",
        &PHONE[9..PHONE.len() - 1]
    );
    let r = app.client.delete(app.url(&by_key)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&app, LAPTOP).await, json!(0));
    assert_eq!(stored_links(&app).await, 0);
    assert_eq!(
        app.count("Products").await,
        7,
        "unlinking deletes no product"
    );
    // Removing a link that does not exist; linking what does not exist; a missing source.
    let r = app.client.delete(app.url(&by_key)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        link(
            &app,
            LAPTOP,
            "Products(a0000000-0000-4000-8000-0000000000ff)"
        )
        .await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        link(&app, LAPTOP, "not a URL").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        link(
            &app,
            "Products(a0000000-0000-4000-8000-0000000000ff)",
            MOUSE
        )
        .await,
        StatusCode::NOT_FOUND
    );
    let r = app
        .get(&format!("{LAPTOP}/Unrelated/$ref"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn binds_and_deep_inserts_link_related_products() {
    let app = spawn_catalog().await;
    let created = app
        .post_json(
            "Products",
            &json!({
                "Name": "Bundle", "Price": 10,
                "RelatedProducts@odata.bind": [LAPTOP, app.url(MUG)]
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let bundle = format!(
        "Products({})",
        created.json::<Value>().await.unwrap()["ID"]
            .as_str()
            .unwrap()
    );
    assert_eq!(
        names(&app, &format!("{bundle}/RelatedProducts?$orderby=Name")).await,
        ["Coffee Mug", "Laptop"]
    );
    // PATCH with a bind adds (and may carry other properties).
    let r = app
        .patch_json(
            &bundle,
            &json!({"Price": 11, "RelatedProducts@odata.bind": [CHAIR]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&app, &bundle).await, json!(3));
    assert_eq!(app.get_json(&bundle).await["Price"], 11.0);
    // A bind to a product that does not exist, or a malformed one: 400, nothing written.
    for bind in [
        json!([LAPTOP, "Products(a0000000-0000-4000-8000-0000000000ff)"]),
        json!("Products(a0000000-0000-4000-8000-000000000001)"),
        json!([42]),
    ] {
        let r = app
            .post_json(
                "Products",
                &json!({"Name": "Broken", "Price": 1, "RelatedProducts@odata.bind": bind}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bind}");
        let r = app
            .patch_json(
                &bundle,
                &json!({"Price": 99, "RelatedProducts@odata.bind": bind}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bind}");
    }
    assert_eq!(
        app.get_json("Products/$count?$filter=Name eq 'Broken'")
            .await,
        json!(0)
    );
    assert_eq!(app.get_json(&bundle).await["Price"], 11.0);
    assert_eq!(count(&app, &bundle).await, json!(3));
    assert_eq!(stored_links(&app).await, 3);
    // Deep insert: the related product is created and linked with its product.
    let created = app
        .post_json(
            "Products",
            &json!({
                "Name": "Kit", "Price": 5,
                "RelatedProducts": [{"Name": "Part", "Price": 1, "RelatedProducts@odata.bind": [MOUSE]}]
            }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let kit: Value = created.json().await.unwrap();
    assert_eq!(kit["RelatedProducts"][0]["Name"], "Part", "{kit}");
    let kit = format!("Products({})", kit["ID"].as_str().unwrap());
    assert_eq!(
        names(&app, &format!("{kit}/RelatedProducts")).await,
        ["Part"]
    );
    assert_eq!(
        names(
            &app,
            "Products?$filter=RelatedProducts/any(r: r/Name eq 'Wireless Mouse')"
        )
        .await,
        ["Part"]
    );
    // An invalid nested product fails the whole request.
    let r = app
        .post_json(
            "Products",
            &json!({"Name": "Kit2", "Price": 5, "RelatedProducts": [{"Name": "NoPrice"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get_json("Products/$count?$filter=Name eq 'Kit2' or Name eq 'NoPrice'")
            .await,
        json!(0)
    );
}

#[tokio::test]
async fn expand_and_lambdas_follow_related_products() {
    let app = spawn_catalog().await;
    for (source, target) in [(LAPTOP, MOUSE), (LAPTOP, PHONE), (PRO, LAPTOP)] {
        assert_eq!(link(&app, source, target).await, StatusCode::NO_CONTENT);
    }
    // §6.4: `RelatedProducts/any(r: r/Descriptions/any(d: …))`.
    assert_eq!(
        names(
            &app,
            "Products?$filter=RelatedProducts/any(r: r/Descriptions/any(d: d/LanguageKey eq 'FR'))"
        )
        .await,
        ["Laptop"]
    );
    assert_eq!(
        names(
            &app,
            "Products?$filter=RelatedProducts/any(r: r/RelatedProducts/any(s: s/Name eq 'Smartphone'))"
        )
        .await,
        ["Premium Laptop Pro"]
    );
    assert_eq!(
        names(
            &app,
            "Products?$filter=RelatedProducts/$count gt 0&$orderby=Name"
        )
        .await,
        ["Laptop", "Premium Laptop Pro"]
    );
    assert_eq!(
        names(&app, "Products?$filter=RelatedProducts/any()&$orderby=Name").await,
        ["Laptop", "Premium Laptop Pro"]
    );
    assert_eq!(
        app.get_json("Products/$count?$filter=RelatedProducts/all(r: r/Price gt 1000)")
            .await,
        json!(5),
        "all is true for the five products without links"
    );
    // $expand on a single product with nested options, and on the collection.
    let laptop = app
        .get_json(&format!(
            "{LAPTOP}?$select=Name&$expand=RelatedProducts($select=Name;$orderby=Name;$expand=Descriptions($select=LanguageKey;$orderby=LanguageKey))"
        ))
        .await;
    let related = laptop["RelatedProducts"].as_array().unwrap();
    let related_names: Vec<&str> = related
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(related_names, ["Smartphone", "Wireless Mouse"], "{laptop}");
    let languages: Vec<&str> = related[1]["Descriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["LanguageKey"].as_str().unwrap())
        .collect();
    assert_eq!(languages, ["EN", "FR"]);
    let all = app
        .get_json("Products?$select=Name&$orderby=Name&$expand=RelatedProducts($select=Name;$count=true;$top=1;$orderby=Name)")
        .await;
    let by_name = |name: &str| {
        all["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Name"] == name)
            .cloned()
            .unwrap()
    };
    let laptop = by_name("Laptop");
    assert_eq!(laptop["RelatedProducts@odata.count"], 2);
    assert_eq!(laptop["RelatedProducts"][0]["Name"], "Smartphone");
    assert_eq!(
        by_name("Premium Laptop Pro")["RelatedProducts"][0]["Name"],
        "Laptop"
    );
    assert_eq!(by_name("Coffee Mug")["RelatedProducts"], json!([]));
}

#[tokio::test]
async fn deleting_a_product_removes_its_links_both_ways() {
    let app = spawn_catalog().await;
    let gadget = create(&app, "Gadget").await;
    let widget = create(&app, "Widget").await;
    for (source, target) in [
        (gadget.as_str(), LAPTOP),
        (MOUSE, gadget.as_str()),
        (widget.as_str(), gadget.as_str()),
        (widget.as_str(), MUG),
    ] {
        assert_eq!(link(&app, source, target).await, StatusCode::NO_CONTENT);
    }
    assert_eq!(stored_links(&app).await, 4);
    let r = app.client.delete(app.url(&gadget)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&app, MOUSE).await, json!(0));
    assert_eq!(
        names(&app, &format!("{widget}/RelatedProducts")).await,
        ["Coffee Mug"]
    );
    assert_eq!(stored_links(&app).await, 1, "only widget → mug is left");
    // The related products themselves stay.
    assert_eq!(
        app.get(LAPTOP).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn reseed_removes_every_link() {
    let app = spawn_catalog().await;
    let extra = create(&app, "Extra").await;
    for (source, target) in [(LAPTOP, MOUSE), (PHONE, LAPTOP), (MUG, extra.as_str())] {
        assert_eq!(link(&app, source, target).await, StatusCode::NO_CONTENT);
    }
    assert_eq!(stored_links(&app).await, 3);
    let r = app.post_json("Reseed", &json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(stored_links(&app).await, 0);
    assert_eq!(count(&app, LAPTOP).await, json!(0));
    assert_eq!(count(&app, PHONE).await, json!(0));
    assert_eq!(
        app.get_json("Products/$count?$filter=RelatedProducts/any()")
            .await,
        json!(0)
    );
}

#[tokio::test]
async fn paths_go_on_from_a_linked_member_only() {
    let app = spawn_catalog().await;
    assert_eq!(
        link(&app, LAPTOP, &app.url(PHONE)).await,
        StatusCode::NO_CONTENT
    );
    let phone_key = &PHONE[9..PHONE.len() - 1];
    let via_link = app
        .get_json(&format!("{LAPTOP}/RelatedProducts({phone_key})/Category"))
        .await;
    let direct = app.get_json(&format!("{PHONE}/Category")).await;
    assert_eq!(via_link["ID"], direct["ID"], "{via_link}");
    assert_eq!(
        app.get_json(&format!(
            "{LAPTOP}/RelatedProducts({phone_key})/Descriptions/$count"
        ))
        .await,
        app.get_json(&format!("{PHONE}/Descriptions/$count")).await
    );
    // The chair exists but is not related to the laptop: nothing to go on from.
    let chair_key = &CHAIR[9..CHAIR.len() - 1];
    let r = app
        .get(&format!("{LAPTOP}/RelatedProducts({chair_key})/Category"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ResourceNotFound", "{body}");
}
