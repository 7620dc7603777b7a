//! Spatial properties (`Edm.GeographyPoint`, `…LineString`, `…Polygon`, a geometry point, a
//! point with an explicit SRID and one inside a complex value): GeoJSON in and out, the
//! `geo.distance`, `geo.length` and `geo.intersects` functions in `$filter`, `$orderby` and
//! `$compute` (compared with the in-memory evaluator's values), null semantics, property
//! paths, `$metadata`, and the errors.

use odata_core::edm::{
    ComplexTypeDef, EntityTypeDef, ModelBuilder, PropertyDef, SpatialFamily, SpatialShape,
};
use odata_core::value::Geo;
use odata_server::app::Migrations;
use odata_server::service::{CollectionDef, Service};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

use crate::helpers::{TestApp, spawn_service};

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/geo/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/geo/postgres");

fn service() -> Service {
    let model = ModelBuilder::new("example.geo")
        .complex_type(
            ComplexTypeDef::new("site")
                .property(PropertyDef::new("label", "Edm.String"))
                .property(PropertyDef::new("point", "Edm.GeographyPoint")),
        )
        .entity_type(
            EntityTypeDef::new("place")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null())
                .property(PropertyDef::new("name", "Edm.String"))
                .property(PropertyDef::new("location", "Edm.GeographyPoint"))
                .property(PropertyDef::new("route", "Edm.GeographyLineString"))
                .property(PropertyDef::new("area", "Edm.GeographyPolygon"))
                .property(PropertyDef::new("survey", "Edm.GeographyPoint").srid(4269))
                .property(PropertyDef::new("marker", "Edm.GeometryPoint"))
                .property(PropertyDef::new("home", "example.geo.site")),
        )
        .entity_set("places", "example.geo.place")
        .build()
        .expect("valid spatial model");
    Service::builder(model)
        .collection(CollectionDef::new("places", "places"))
        .build()
        .expect("valid service")
}

async fn spawn() -> TestApp {
    let migrations = Migrations {
        sqlite: &SQLITE,
        postgres: Some(&POSTGRES),
    };
    spawn_service(service(), migrations, |_| {}).await
}

fn point(x: f64, y: f64) -> Value {
    json!({"type": "Point", "coordinates": [x, y]})
}

fn line(positions: &[[f64; 2]]) -> Value {
    json!({"type": "LineString", "coordinates": positions})
}

/// A rectangle as a closed polygon ring.
fn rect(x1: f64, y1: f64, x2: f64, y2: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]})
}

/// Seattle, San Francisco, Portland (a three-position route), p4 without any spatial
/// value, New York.
fn places() -> Vec<Value> {
    vec![
        json!({
            "id": "p1", "name": "Seattle",
            "location": point(-122.3321, 47.6062),
            "route": line(&[[-122.3321, 47.6062], [-122.4194, 47.2529]]),
            "area": rect(-122.5, 47.5, -122.0, 47.8),
            "survey": {"type": "Point", "coordinates": [-122.3, 47.6],
                       "crs": {"type": "name", "properties": {"name": "EPSG:4269"}}},
            "home": {"label": "hq", "point": point(-122.3321, 47.6062)}
        }),
        json!({
            "id": "p2", "name": "San Francisco",
            "location": point(-122.4194, 37.7749),
            "route": line(&[[-122.4194, 37.7749], [-122.2711, 37.8044]]),
            "area": rect(-122.5, 37.7, -122.3, 37.9),
            "marker": point(3.0, 4.0)
        }),
        json!({
            "id": "p3", "name": "Portland",
            "location": point(-122.6765, 45.5231),
            "route": line(&[[-122.6765, 45.5231], [-122.6587, 45.5152], [-122.65, 45.52]]),
            "area": rect(-122.8, 45.4, -122.5, 45.7)
        }),
        json!({"id": "p4", "name": "Nowhere"}),
        json!({
            "id": "p5", "name": "New York",
            "location": point(-74.006, 40.7128),
            "route": line(&[[-74.006, 40.7128], [-73.9352, 40.7306]]),
            "area": rect(-74.1, 40.6, -73.8, 40.9)
        }),
    ]
}

async fn seeded() -> TestApp {
    let app = spawn().await;
    for body in places() {
        let r = app.post_json("places", &body).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
    }
    app
}

/// The ids a query returns, in order.
async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("places?{query}")).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{query}: {body}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The status, message and target of an error response.
async fn error(app: &TestApp, response: reqwest::Response) -> (StatusCode, String, Value) {
    let _ = app;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {body}"))
        .to_owned();
    (status, message, body["error"]["target"].clone())
}

async fn count(app: &TestApp) -> u64 {
    app.get("places/$count")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn spatial_values_round_trip_as_geojson() {
    let app = seeded().await;
    let seattle = places().remove(0);
    let got = app.get_json("places('p1')").await;
    for name in ["location", "route", "area", "survey", "home"] {
        assert_eq!(got[name], seattle[name], "{name}: {got}");
    }
    assert_eq!(
        got["location"].to_string(),
        r#"{"type":"Point","coordinates":[-122.3321,47.6062]}"#
    );
    assert_eq!(got["marker"], Value::Null);
    let empty = app.get_json("places('p4')").await;
    for name in ["location", "route", "area", "survey", "marker", "home"] {
        assert_eq!(empty[name], Value::Null, "{name}: {empty}");
    }
    // $select of spatial properties.
    let selected = app
        .get_json("places?$select=id,location&$filter=id eq 'p2'")
        .await;
    let row = &selected["value"][0];
    assert_eq!(row["location"], point(-122.4194, 37.7749), "{selected}");
    assert!(row.get("route").is_none(), "{selected}");
    // Full metadata names the type.
    let full = app
        .get("places('p2')")
        .header("Accept", "application/json;odata.metadata=full")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(full["location@odata.type"], "#GeographyPoint", "{full}");
    assert_eq!(full["marker@odata.type"], "#GeometryPoint", "{full}");
    // PATCH replaces a value and sets one to null.
    let r = app
        .patch_json(
            "places('p2')",
            &json!({"location": point(-122.0, 37.0), "route": null}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let got = app.get_json("places('p2')").await;
    assert_eq!(got["location"], point(-122.0, 37.0));
    assert_eq!(got["route"], Value::Null);
}

#[tokio::test]
async fn a_spatial_property_path_answers_with_its_value() {
    let app = seeded().await;
    let r = app.get("places('p1')/location").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["value"], point(-122.3321, 47.6062), "{body}");
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#places('p1')/location"),
        "{body}"
    );
    let body = app.get_json("places('p1')/home/point").await;
    assert_eq!(body["value"], point(-122.3321, 47.6062), "{body}");
    let r = app.get("places('p4')/area").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn invalid_spatial_payloads_are_400_naming_the_property() {
    let app = seeded().await;
    let before = count(&app).await;
    for (property, value, part) in [
        (
            "location",
            line(&[[1.0, 2.0], [3.0, 4.0]]),
            "expected GeoJSON type \"Point\"",
        ),
        (
            "location",
            json!({"type": "Point", "coordinates": [1.0]}),
            "a position must be",
        ),
        (
            "location",
            json!({"type": "Point", "coordinates": ["a", 2]}),
            "finite numbers",
        ),
        (
            "location",
            json!({"type": "Point", "coordinates": [1.0, 91.0]}),
            "latitude",
        ),
        (
            "location",
            json!("POINT(1 2)"),
            "expects a value of type Edm.GeographyPoint",
        ),
        ("route", line(&[[1.0, 2.0]]), "at least two positions"),
        (
            "area",
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            "must be closed",
        ),
        (
            "survey",
            json!({"type": "Point", "coordinates": [1.0, 2.0],
                   "crs": {"type": "name", "properties": {"name": "EPSG:4326"}}}),
            "expected SRID 4269, got 4326",
        ),
        ("home", json!({"point": point(500.0, 2.0)}), "longitude"),
    ] {
        let body = json!({"id": "bad", property: value});
        let r = app.post_json("places", &body).send().await.unwrap();
        let (status, message, target) = error(&app, r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{property}: {message}");
        assert!(message.contains(property), "{property}: {message}");
        assert!(message.contains(part), "{property}: {message}");
        assert!(
            target.as_str().is_some_and(|t| t.starts_with(property)),
            "{target}"
        );
    }
    // Valid GeoJSON this service does not implement.
    let body = json!({"id": "bad", "location": {"type": "Point", "coordinates": [1.0, 2.0, 3.0]}});
    let r = app.post_json("places", &body).send().await.unwrap();
    let (status, message, _) = error(&app, r).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{message}");
    assert!(message.contains("location"), "{message}");
    assert_eq!(count(&app).await, before, "nothing is written");
}

#[tokio::test]
async fn geo_functions_filter_and_order() {
    let app = seeded().await;
    let seattle = "geography'SRID=4326;POINT(-122.3321 47.6062)'";
    for (query, expected) in [
        // Seattle–Portland is about 234 km, Seattle–San Francisco about 1093 km.
        (
            format!("$filter=geo.distance(location, {seattle}) lt 700000"),
            &["p1", "p3"][..],
        ),
        (
            format!("$filter=geo.distance({seattle}, location) ge 700000"),
            &["p2", "p5"],
        ),
        // The literal without its SRID has the default.
        (
            "$filter=geo.distance(location, geography'POINT(-74.006 40.7128)') lt 1".to_owned(),
            &["p5"],
        ),
        ("$filter=geo.length(route) gt 20000".to_owned(), &["p1"]),
        (
            "$filter=geo.length(route) lt 20000".to_owned(),
            &["p2", "p3", "p5"],
        ),
        (
            "$filter=geo.intersects(location, area)".to_owned(),
            &["p1", "p2", "p3", "p5"],
        ),
        (
            "$filter=geo.intersects(location, geography'POLYGON((-123 45, -122 45, -122 48, \
             -123 48, -123 45))')"
                .to_owned(),
            &["p1", "p3"],
        ),
        (
            "$filter=geo.intersects(geography'POINT(-122.4 37.8)', area)".to_owned(),
            &["p2"],
        ),
        (
            "$filter=not geo.intersects(geography'POINT(-122.4 37.8)', area)".to_owned(),
            &["p1", "p3", "p5"],
        ),
        ("$filter=location eq null".to_owned(), &["p4"]),
        (
            "$filter=area ne null and route ne null".to_owned(),
            &["p1", "p2", "p3", "p5"],
        ),
        ("$filter=home/point ne null".to_owned(), &["p1"]),
        (
            "$filter=geo.distance(home/point, location) eq 0".to_owned(),
            &["p1"],
        ),
        (
            "$filter=geo.distance(marker, geometry'POINT(0 0)') eq 5".to_owned(),
            &["p2"],
        ),
        // Parameter aliases carry spatial literals too.
        (
            "$filter=geo.distance(location, @p) lt 700000&@p=geography'POINT(-122.6765 45.5231)'"
                .to_owned(),
            &["p1", "p3"],
        ),
        // Nulls first ascending, last descending.
        (
            format!("$orderby=geo.distance(location, {seattle}) desc"),
            &["p5", "p2", "p3", "p1", "p4"],
        ),
        (
            "$orderby=geo.length(route),id".to_owned(),
            &["p4", "p3", "p5", "p2", "p1"],
        ),
    ] {
        assert_eq!(ids(&app, &query).await, expected, "{query}");
    }
}

/// The database's values (each row selected by a narrow `$filter` window around the
/// evaluator's value) agree with the in-memory evaluator's (which `$compute` writes, and
/// which is the `Geo` methods), on both databases.
#[tokio::test]
async fn sql_geo_values_agree_with_the_evaluator() {
    let app = seeded().await;
    let origin = "geography'POINT(-122.4194 37.7749)'";
    let body = app
        .get_json(&format!(
            "places?$compute=geo.distance(location, {origin}) as d,geo.length(route) as len,\
             geo.intersects(location, area) as inside&$select=id,d,len,inside&$orderby=id"
        ))
        .await;
    let rows = body["value"].as_array().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(rows.len(), 5, "{body}");
    // The evaluator's values are the `Geo` methods'.
    let from = Geo::from_geojson(
        &point(-122.4194, 37.7749),
        SpatialFamily::Geography,
        SpatialShape::Point,
        None,
    )
    .unwrap();
    for (row, place) in rows.iter().zip(places()) {
        assert_eq!(row["id"], place["id"]);
        if place["location"].is_null() {
            for name in ["d", "len", "inside"] {
                assert_eq!(row[name], Value::Null, "{row}");
            }
            continue;
        }
        let geo = |name: &str, shape| {
            Geo::from_geojson(&place[name], SpatialFamily::Geography, shape, None).unwrap()
        };
        let location = geo("location", SpatialShape::Point);
        // Within a few units in the last place: the client's JSON parser may round a
        // 17-digit number differently from the server's writer.
        let same = |got: &Value, expected: f64| {
            let got = got.as_f64().unwrap_or_else(|| panic!("{row}"));
            assert!(
                (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
                "{got} vs {expected}: {row}"
            );
        };
        same(&row["d"], location.distance(&from).unwrap());
        same(
            &row["len"],
            geo("route", SpatialShape::LineString).length().unwrap(),
        );
        let inside = location
            .intersects(&geo("area", SpatialShape::Polygon))
            .unwrap();
        assert_eq!(row["inside"], json!(inside), "{row}");
    }
    // Each row's SQL value lies within a billionth of the evaluator's.
    for row in rows.iter().filter(|r| !r["d"].is_null()) {
        let id = row["id"].as_str().unwrap();
        for (expression, value) in [
            (format!("geo.distance(location, {origin})"), &row["d"]),
            ("geo.length(route)".to_owned(), &row["len"]),
        ] {
            let v = value.as_f64().unwrap();
            let slack = 1e-9 * v.abs().max(1.0);
            let query = format!(
                "$filter={expression} ge {:e} and {expression} le {:e}",
                v - slack,
                v + slack
            );
            assert_eq!(ids(&app, &query).await, [id], "{query}");
        }
        let inside = if row["inside"] == json!(true) {
            ""
        } else {
            "not "
        };
        let query = format!("$filter={inside}geo.intersects(location, area) and id eq '{id}'");
        assert_eq!(ids(&app, &query).await, [id], "{query}");
    }
    // San Francisco to itself is 0 in SQL as in the evaluator.
    let query = format!("$filter=geo.distance(location, {origin}) eq 0");
    assert_eq!(ids(&app, &query).await, ["p2"]);
}

#[tokio::test]
async fn geo_errors_are_400_naming_the_function_or_property() {
    let app = seeded().await;
    for (query, status, part) in [
        (
            "$filter=geo.distance(location, geometry'SRID=0;POINT(1 2)') lt 1",
            StatusCode::BAD_REQUEST,
            "must both be geography or both be geometry",
        ),
        (
            "$filter=geo.distance(location) lt 1",
            StatusCode::BAD_REQUEST,
            "'geo.distance' takes 2 arguments, got 1",
        ),
        (
            "$filter=geo.invalid(location)",
            StatusCode::BAD_REQUEST,
            "geo.invalid",
        ),
        (
            "$filter=geo.length(location) gt 1",
            StatusCode::BAD_REQUEST,
            "argument 1 of 'geo.length' must be Edm.GeographyLineString",
        ),
        (
            "$filter=geo.intersects(area, location)",
            StatusCode::BAD_REQUEST,
            "argument 1 of 'geo.intersects'",
        ),
        (
            "$filter=location eq geography'POINT(1 2)'",
            StatusCode::BAD_REQUEST,
            "spatial values can only be compared with null",
        ),
        (
            "$orderby=location",
            StatusCode::BAD_REQUEST,
            "spatial values have no order",
        ),
        (
            "$filter=geo.distance(location, geography'POINT(1)') lt 1",
            StatusCode::BAD_REQUEST,
            "invalid geography literal",
        ),
        (
            "$filter=geo.distance(location, geography'SRID=4326;POINT(1 2') lt 1",
            StatusCode::BAD_REQUEST,
            "spatial literal",
        ),
        (
            "$filter=geo.distance(location, geography'MULTIPOINT((1 2))') lt 1",
            StatusCode::NOT_IMPLEMENTED,
            "MULTIPOINT values are not supported",
        ),
    ] {
        let r = app.get(&format!("places?{query}")).send().await.unwrap();
        let (got, message, _) = error(&app, r).await;
        assert_eq!(got, status, "{query}: {message}");
        assert!(message.contains(part), "{query}: {message}");
    }
}

#[tokio::test]
async fn metadata_declares_spatial_types_and_explicit_srids() {
    let app = spawn().await;
    let xml = app
        .get("$metadata")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for part in [
        r#"<Property Name="location" Type="Edm.GeographyPoint"/>"#,
        r#"<Property Name="route" Type="Edm.GeographyLineString"/>"#,
        r#"<Property Name="area" Type="Edm.GeographyPolygon"/>"#,
        r#"<Property Name="survey" Type="Edm.GeographyPoint" SRID="4269"/>"#,
        r#"<Property Name="marker" Type="Edm.GeometryPoint"/>"#,
    ] {
        assert!(xml.contains(part), "{part} in {xml}");
    }
    let csdl = app
        .get("$metadata")
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let place = &csdl["example.geo"]["place"];
    assert_eq!(place["survey"]["$SRID"], 4269, "{place}");
    assert_eq!(place["location"]["$Type"], "Edm.GeographyPoint", "{place}");
    assert!(place["location"].get("$SRID").is_none(), "{place}");
}
