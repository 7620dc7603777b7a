//! The demo data (MODEL.md §5): `data/seed.json`, value for value, as a [`Dataset`].
//!
//! The file lists every row with a few helper fields for readers (`StatusText`,
//! `ProductName`, `ContentText`, `LogoText`), geography as WKT, media contents as base64
//! and `"<time of reset>"` where the time the data is loaded goes; this module turns it
//! into the OData JSON the service stores.

use odata_core::edm::SpatialFamily;
use odata_core::value::{Geo, parse_base64};
use odata_server::dataset::Dataset;
use serde_json::{Map, Value as Json};

/// The demo data file, embedded in the binary.
pub const SEED_JSON: &str = include_str!("../data/seed.json");

/// Helper fields of the file that are no properties.
const HELPERS: [&str; 4] = ["StatusText", "ProductName", "ContentText", "LogoText"];

/// Placeholder of the file for the time the data is loaded.
const LOAD_TIME: &str = "<time of reset>";

/// The demo data, with `now` (an `Edm.DateTimeOffset` literal) as the load time.
///
/// # Panics
/// When the embedded file is not the demo data's shape: a defect of the build, caught by
/// the crate's tests.
pub fn dataset(now: &str) -> Dataset {
    let seed: Json = serde_json::from_str(SEED_JSON).expect("data/seed.json is JSON");
    let rows = |name: &str| -> Vec<Map<String, Json>> {
        seed[name]
            .as_array()
            .expect("a list of rows")
            .iter()
            .map(|row| clean(row, now))
            .collect()
    };
    let mut dataset = Dataset::new()
        .collection(
            "Categories",
            rows("Categories").into_iter().map(Json::Object),
        )
        .collection(
            "Products",
            rows("Products").into_iter().map(|mut p| {
                if p.get("ProductType").and_then(Json::as_str) == Some("SpecialProduct") {
                    p.insert("@odata.type".into(), "#Catalog.SpecialProduct".into());
                } else {
                    // Properties of the derived type only (null in the file).
                    p.remove("SpecialProperty");
                    p.remove("SpecialFeature");
                }
                for member in ["Location", "Route", "Area"] {
                    if let Some(Json::String(wkt)) = p.get(member) {
                        let geo = Geo::parse_literal(wkt, SpatialFamily::Geography)
                            .expect("demo geography is valid WKT");
                        p.insert(member.into(), geo.to_geojson());
                    }
                }
                Json::Object(p)
            }),
        )
        .collection(
            "ProductDescriptions",
            rows("ProductDescriptions").into_iter().map(Json::Object),
        );
    for mut item in rows("MediaItems") {
        let content = item
            .remove("Content")
            .and_then(|c| c.as_str().and_then(parse_base64))
            .expect("media content in base64");
        let media_type = item["ContentType"]
            .as_str()
            .expect("a content type")
            .to_owned();
        dataset = dataset.media_entity("MediaItems", Json::Object(item), content, media_type);
    }
    dataset
        .collection(
            "ReadOnlyItems",
            rows("ReadOnlyItems").into_iter().map(Json::Object),
        )
        .collection(
            "DecimalSamples",
            rows("DecimalSamples").into_iter().map(Json::Object),
        )
        .collection("Company", [Json::Object(clean(&seed["Company"], now))])
}

/// The demo products' keys with their prices.
///
/// # Panics
/// As [`dataset`].
pub(crate) fn demo_prices() -> Vec<(String, f64)> {
    let seed: Json = serde_json::from_str(SEED_JSON).expect("data/seed.json is JSON");
    seed["Products"]
        .as_array()
        .expect("a list of products")
        .iter()
        .map(|p| {
            let id = p["ID"].as_str().expect("a product key").to_owned();
            (id, p["Price"].as_f64().expect("a price"))
        })
        .collect()
}

/// A row without the file's helper fields, the load time filled in.
fn clean(row: &Json, now: &str) -> Map<String, Json> {
    let mut row = row.as_object().expect("a row is an object").clone();
    for helper in HELPERS {
        row.remove(helper);
    }
    for value in row.values_mut() {
        if value.as_str() == Some(LOAD_TIME) {
            *value = Json::String(now.to_owned());
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded copy is the specification's file.
    #[test]
    fn the_embedded_seed_is_the_specified_one() {
        let specified = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/catalog-model/seed.json");
        let specified = std::fs::read_to_string(specified).expect("../shared/catalog-model");
        assert_eq!(SEED_JSON, specified);
    }
}
