use reqwest::StatusCode;
use serde_json::Value;

use crate::csdl_xml::Element;
use crate::helpers::spawn_app;
use crate::vocabulary::Vocabularies;

#[tokio::test]
async fn service_document_lists_the_sets() {
    let app = spawn_app().await;
    let r = app.get("").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["odata-version"], "4.01");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["@odata.context"], app.url("$metadata"));
    let names: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["products", "orders"]);
}

#[tokio::test]
async fn metadata_is_xml_by_default_and_json_on_request() {
    let app = spawn_app().await;
    let r = app.get("$metadata").send().await.unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<EntityType Name=\"product\">"));
    assert!(xml.contains("<PropertyRef Name=\"sku\"/>"));
    for request in [
        app.get("$metadata?$format=json"),
        app.get("$metadata").header("Accept", "application/json"),
    ] {
        let r = request.send().await.unwrap();
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let csdl: Value = r.json().await.unwrap();
        assert_eq!(csdl["$Version"], "4.01");
        assert_eq!(csdl["example.shop"]["product"]["$Key"][0], "sku");
    }
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let base = app.root.trim_end_matches("/odata");
    let r = app
        .client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// The capability annotations of one served entity set, as the XML states them.
fn assert_collection_capabilities(set: &Element, searchable: &str) {
    let value = |term: &str, property: &str, attr: &str| {
        set.annotation(term)
            .unwrap_or_else(|| panic!("{term} missing"))
            .property_value(property)
            .unwrap_or_else(|| panic!("{term}/{property} missing"))
            .attr(attr)
            .map(str::to_owned)
    };
    assert_eq!(
        value("Capabilities.CountRestrictions", "Countable", "Bool").as_deref(),
        Some("true")
    );
    assert_eq!(
        value("Capabilities.SearchRestrictions", "Searchable", "Bool").as_deref(),
        Some(searchable)
    );
    assert_eq!(
        value("Capabilities.ExpandRestrictions", "Expandable", "Bool").as_deref(),
        Some("true")
    );
    assert_eq!(
        value("Capabilities.ExpandRestrictions", "MaxLevels", "Int"),
        Some(odata_server::expand::MAX_DEPTH.to_string())
    );
    assert_eq!(
        value("Capabilities.SelectSupport", "Supported", "Bool").as_deref(),
        Some("true")
    );
    for term in ["Capabilities.TopSupported", "Capabilities.SkipSupported"] {
        assert_eq!(set.annotation(term).unwrap().attr("Bool"), Some("true"));
    }
    // Every navigation is bound to storage: none is listed as not expandable.
    assert!(
        set.annotation("Capabilities.ExpandRestrictions")
            .unwrap()
            .property_value("NonExpandableProperties")
            .is_none()
    );
}

#[tokio::test]
async fn metadata_states_the_capabilities_of_the_service_and_its_sets() {
    let app = spawn_app().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let root = Element::parse(&xml);
    let includes: Vec<(Option<&str>, Option<&str>)> = root
        .children("edmx:Reference")
        .flat_map(|r| r.children("edmx:Include"))
        .map(|i| (i.attr("Namespace"), i.attr("Alias")))
        .collect();
    assert!(includes.contains(&(Some("Org.OData.Core.V1"), Some("Core"))));
    assert!(includes.contains(&(Some("Org.OData.Capabilities.V1"), Some("Capabilities"))));
    let container = root.find("EntityContainer", "Name", "Container").unwrap();
    let attr = |term: &str, attr: &str| {
        container
            .annotation(term)
            .unwrap_or_else(|| panic!("{term} missing"))
            .attr(attr)
            .map(str::to_owned)
    };
    assert_eq!(
        attr("Core.ODataVersions", "String").as_deref(),
        Some("4.0 4.01")
    );
    let level = odata_server::capabilities::conformance_level().name();
    assert_eq!(
        attr("Capabilities.ConformanceLevel", "EnumMember"),
        Some(format!("Capabilities.ConformanceLevelType/{level}"))
    );
    // Batch requests, asynchronous requests and URL keys as segments are served.
    for (term, value) in [
        ("Capabilities.AsynchronousRequestsSupported", "true"),
        ("Capabilities.BatchSupported", "true"),
        ("Capabilities.KeyAsSegmentSupported", "true"),
        ("Capabilities.QuerySegmentSupported", "false"),
    ] {
        assert_eq!(attr(term, "Bool").as_deref(), Some(value), "{term}");
    }
    let functions = container
        .annotation("Capabilities.FilterFunctions")
        .unwrap()
        .collection_texts();
    for name in [
        "eq", "in", "not", "contains", "tolower", "year", "round", "cast", "isof",
    ] {
        assert!(functions.contains(&name), "{name}: {functions:?}");
    }
    for name in ["geo.distance", "geo.length", "geo.intersects"] {
        assert!(functions.contains(&name), "{name}: {functions:?}");
    }
    // Each advertised format is one the service answers in.
    let formats = container
        .annotation("Capabilities.SupportedFormats")
        .unwrap()
        .collection_texts();
    assert_eq!(formats.len(), 6, "{formats:?}");
    for format in &formats {
        let r = app
            .get("products")
            .header("Accept", *format)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            format!("{format};charset=utf-8")
        );
    }
    let products = container.find("EntitySet", "Name", "products").unwrap();
    assert_collection_capabilities(products, "true");
    let orders = container.find("EntitySet", "Name", "orders").unwrap();
    assert_collection_capabilities(orders, "true");
}

#[tokio::test]
async fn csdl_json_states_the_same_capabilities() {
    let app = spawn_app().await;
    let csdl: Value = app.get_json("$metadata?$format=json").await;
    assert_eq!(
        csdl["$Reference"]["https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.json"]
            ["$Include"][0]["$Alias"],
        "Capabilities"
    );
    let container = &csdl["example.shop"]["Container"];
    assert_eq!(container["@Core.ODataVersions"], "4.0 4.01");
    assert_eq!(
        container["@Capabilities.ConformanceLevel"],
        odata_server::capabilities::conformance_level().name()
    );
    assert_eq!(container["@Capabilities.BatchSupported"], true);
    assert_eq!(
        container["@Capabilities.AsynchronousRequestsSupported"],
        true
    );
    assert_eq!(container["@Capabilities.KeyAsSegmentSupported"], true);
    assert_eq!(container["@Capabilities.QuerySegmentSupported"], false);
    let functions = container["@Capabilities.FilterFunctions"]
        .as_array()
        .unwrap();
    assert!(functions.contains(&Value::from("startswith")));
    assert_eq!(
        container["@Capabilities.SupportedFormats"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    for set in ["products", "orders"] {
        let set = &container[set];
        assert_eq!(set["$Collection"], true);
        assert_eq!(
            set["@Capabilities.ExpandRestrictions"],
            serde_json::json!({"Expandable": true, "MaxLevels": odata_server::expand::MAX_DEPTH})
        );
        assert_eq!(
            set["@Capabilities.CountRestrictions"],
            serde_json::json!({"Countable": true})
        );
        assert_eq!(
            set["@Capabilities.SearchRestrictions"],
            serde_json::json!({"Searchable": true})
        );
        assert_eq!(set["@Capabilities.TopSupported"], true);
        assert_eq!(set["@Capabilities.SkipSupported"], true);
        assert_eq!(
            set["@Capabilities.SelectSupport"],
            serde_json::json!({"Supported": true})
        );
    }
}

#[tokio::test]
async fn every_annotation_fits_the_oasis_vocabularies() {
    let app = spawn_app().await;
    let csdl: Value = app.get_json("$metadata?$format=json").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/odata-spec/vocabularies");
    let (problems, checked) = Vocabularies::load(&dir).problems(&csdl);
    assert!(problems.is_empty(), "{problems:#?}");
    // The container's, both sets' and the properties' annotations were all looked at.
    assert!(checked > 20, "{checked}");
    // Control: a misspelt record property or a wrong term is noticed.
    let mut broken = csdl.clone();
    broken["example.shop"]["Container"]["products"]["@Capabilities.CountRestrictions"] =
        serde_json::json!({"Counted": true});
    broken["example.shop"]["Container"]["@Capabilities.BatchSupport"] = Value::Bool(false);
    broken["example.shop"]["Container"]["orders"]["@Capabilities.ConformanceLevel"] =
        Value::from("Minimal");
    let (problems, _) = Vocabularies::load(&dir).problems(&broken);
    assert_eq!(problems.len(), 3, "{problems:#?}");
}

#[tokio::test]
async fn a_4_0_client_gets_a_4_0_document() {
    let app = spawn_app().await;
    for (max, version) in [(None, "4.01"), (Some("4.0"), "4.0"), (Some("4.01"), "4.01")] {
        let mut xml = app.get("$metadata");
        let mut json = app.get("$metadata?$format=json");
        if let Some(max) = max {
            xml = xml.header("OData-MaxVersion", max);
            json = json.header("OData-MaxVersion", max);
        }
        let xml = xml.send().await.unwrap();
        assert_eq!(xml.headers()["odata-version"], version);
        let text = xml.text().await.unwrap();
        assert!(
            text.contains(&format!(
                "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" \
                 Version=\"{version}\">"
            )),
            "{max:?}: {}",
            &text[..200.min(text.len())]
        );
        let json: serde_json::Value = json.send().await.unwrap().json().await.unwrap();
        assert_eq!(json["$Version"], version, "{max:?}");
    }
}
