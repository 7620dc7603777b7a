//! MODEL.md §7 and Appendix A: `$metadata` is the specified document.

use acceptance_tests::csdl_xml::Element;
use acceptance_tests::{assert_valid_csdl, shared_dir, spawn_catalog};

/// One line per element (name, attributes in document order, text), children sorted: the
/// document as far as Appendix A lets element order and whitespace differ.
fn lines(element: &Element, depth: usize, out: &mut Vec<String>) {
    let attributes: Vec<String> = element
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    out.push(format!(
        "{}<{} {}>{}",
        "  ".repeat(depth),
        element.name,
        attributes.join(" "),
        element.text
    ));
    let mut children: Vec<Vec<String>> = element
        .children
        .iter()
        .map(|c| {
            let mut child = Vec::new();
            lines(c, depth + 1, &mut child);
            child
        })
        .collect();
    children.sort();
    out.extend(children.into_iter().flatten());
}

fn document_lines(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    lines(&Element::parse(xml), 0, &mut out);
    out
}

/// The XML of Appendix A.
fn appendix_a() -> String {
    let model = std::fs::read_to_string(shared_dir().join("catalog-model/MODEL.md")).unwrap();
    let appendix = &model[model.find("## Appendix A").unwrap()..];
    let start = appendix.find("```xml\n").unwrap() + "```xml\n".len();
    let end = start + appendix[start..].find("\n```").unwrap();
    appendix[start..end].to_owned()
}

#[tokio::test]
async fn metadata_is_appendix_a() {
    let app = spawn_catalog().await;
    let served = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (expected, got) = (document_lines(&appendix_a()), document_lines(&served));
    let missing: Vec<&String> = expected.iter().filter(|l| !got.contains(l)).collect();
    let extra: Vec<&String> = got.iter().filter(|l| !expected.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing from $metadata:\n{}\nnot in Appendix A:\n{}",
        missing
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        extra
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(expected, got);
}

#[tokio::test]
async fn metadata_validates_as_4_01_and_4_0_and_csdl_json_is_the_same_model() {
    let app = spawn_catalog().await;
    for (max_version, version) in [(None, "4.01"), (Some("4.0"), "4.0")] {
        let mut request = app.get("$metadata");
        if let Some(max) = max_version {
            request = request.header("OData-MaxVersion", max);
        }
        let xml = request.send().await.unwrap().text().await.unwrap();
        let root = Element::parse(&xml);
        assert_eq!(root.attr("Version"), Some(version));
        assert_valid_csdl(&xml);
    }
    let json: serde_json::Value = app.get_json("$metadata?$format=json").await;
    assert_eq!(json["$Version"], "4.01");
    assert_eq!(json["$EntityContainer"], "Catalog.Container");
    assert_eq!(
        json["Catalog"]["Product"]["Name"]["@Org.OData.Core.V1.Description"],
        "Product display name"
    );
    assert_eq!(
        json["Catalog"]["Container"]["Products"]["$NavigationPropertyBinding"]["Category"],
        "Categories"
    );
    assert_eq!(json["Catalog"]["@Core.SchemaVersion"], "1.0");
}
