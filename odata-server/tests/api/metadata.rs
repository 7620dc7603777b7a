use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

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
