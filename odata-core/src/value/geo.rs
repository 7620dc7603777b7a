//! Spatial values: points, line strings and polygons of the geography (round-earth) and
//! geometry (flat-earth) families, with their SRID.
//!
//! * URL literals are WKT with an optional `SRID=n;` prefix
//!   (`geography'SRID=4326;POINT(-122.1 47.6)'`, `geography'POINT(-122.1 47.6)'`); names
//!   are case-insensitive.
//! * JSON payloads (and the stored form) are GeoJSON: `{"type":"Point","coordinates":[x,y]}`,
//!   with a `crs` member (`{"type":"name","properties":{"name":"EPSG:n"}}`) only when the
//!   SRID is not the family's default.
//! * Positions are two-dimensional (x = longitude, y = latitude for geography); altitude and
//!   measure values are not supported.
//!
//! The geo functions are computed here, for the in-memory evaluator and for SQLite (which
//! calls these functions): [`Geo::distance`], [`Geo::length`], [`Geo::intersects`].
//!
//! * Geography distances are great-circle distances in meters by the haversine formula on a
//!   sphere of the mean Earth radius [`EARTH_RADIUS_METERS`]; a line string's length is the
//!   sum of its segments' distances.
//! * Geometry distances and lengths are Euclidean in the coordinates' unit.
//! * `intersects(point, polygon)` is the even-odd ray-casting test in the coordinate plane
//!   (edges are straight in longitude/latitude), over all rings, so holes are excluded; a
//!   point exactly on an edge may count as inside or outside.

use std::fmt;

use serde_json::{Map, Number, Value as Json};

use crate::edm::{PrimitiveKind, SpatialFamily, SpatialShape};

/// The mean Earth radius (IUGG), in meters: the sphere of geography distances.
pub const EARTH_RADIUS_METERS: f64 = 6_371_008.8;

/// One position: x (longitude in degrees for geography) and y (latitude).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Longitude (geography) or x (geometry).
    pub x: f64,
    /// Latitude (geography) or y (geometry).
    pub y: f64,
}

/// The shape and coordinates of a spatial value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// One position.
    Point(Position),
    /// Two or more positions.
    LineString(Vec<Position>),
    /// One or more closed rings (at least four positions, the last equal to the first):
    /// the exterior ring, then holes.
    Polygon(Vec<Vec<Position>>),
}

impl Shape {
    /// Which shape this is.
    pub fn kind(&self) -> SpatialShape {
        match self {
            Shape::Point(_) => SpatialShape::Point,
            Shape::LineString(_) => SpatialShape::LineString,
            Shape::Polygon(_) => SpatialShape::Polygon,
        }
    }
}

/// A spatial value: family, SRID and shape.
///
/// ```
/// use odata_core::edm::SpatialFamily;
/// use odata_core::value::Geo;
///
/// let a = Geo::parse_literal("SRID=4326;POINT(-122.3321 47.6062)", SpatialFamily::Geography).unwrap();
/// let b = Geo::parse_literal("Point(-122.4194 37.7749)", SpatialFamily::Geography).unwrap();
/// assert_eq!(a.srid, 4326);
/// let km = a.distance(&b).unwrap() / 1000.0;
/// assert!((km - 1093.0).abs() < 5.0, "{km}");
/// assert_eq!(a.to_geojson().to_string(), r#"{"type":"Point","coordinates":[-122.3321,47.6062]}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Geo {
    /// Geography or geometry.
    pub family: SpatialFamily,
    /// Spatial reference system id (4326 for WGS 84).
    pub srid: u32,
    /// The coordinates.
    pub shape: Shape,
}

/// Why a spatial value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeoError {
    /// Malformed: a 400.
    Invalid(String),
    /// Valid OData that this service does not implement (other shapes, 3D positions): a 501.
    Unsupported(String),
}

impl fmt::Display for GeoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeoError::Invalid(m) | GeoError::Unsupported(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for GeoError {}

fn invalid<T>(message: impl Into<String>) -> Result<T, GeoError> {
    Err(GeoError::Invalid(message.into()))
}

/// The largest SRID (`sridLiteral = "SRID" EQ 1*5DIGIT SEMI`).
const MAX_SRID: u32 = 99_999;

impl Geo {
    /// The EDM kind of the value (`Edm.GeographyPoint` …).
    pub fn kind(&self) -> PrimitiveKind {
        PrimitiveKind::of_spatial(self.family, self.shape.kind())
    }

    /// Parses the text between the quotes of a `geography'…'`/`geometry'…'` literal:
    /// `[SRID=n;]Point(x y)`, `LineString(x y,x y,…)`, `Polygon((x y,…),(…))`.
    pub fn parse_literal(text: &str, family: SpatialFamily) -> Result<Geo, GeoError> {
        let mut srid = family.default_srid();
        let mut body = text.trim();
        if body.len() >= 5 && body[..5].eq_ignore_ascii_case("SRID=") {
            let rest = &body[5..];
            let Some((digits, after)) = rest.split_once(';') else {
                return invalid("expected ';' after the SRID");
            };
            srid = parse_srid(digits.trim())?;
            body = after.trim_start();
        }
        let name_end = body.find(['(', ' ']).unwrap_or(body.len());
        let (name, data) = body.split_at(name_end);
        let shape = match name.to_ascii_lowercase().as_str() {
            "point" => SpatialShape::Point,
            "linestring" => SpatialShape::LineString,
            "polygon" => SpatialShape::Polygon,
            "multipoint" | "multilinestring" | "multipolygon" | "geometrycollection"
            | "collection" => {
                return Err(GeoError::Unsupported(format!(
                    "{name} values are not supported; use Point, LineString or Polygon"
                )));
            }
            _ => {
                return invalid(format!(
                    "expected Point, LineString or Polygon, found '{name}'"
                ));
            }
        };
        let mut reader = Wkt {
            text: data.trim(),
            pos: 0,
        };
        let shape = match shape {
            SpatialShape::Point => {
                let mut ps = reader.positions()?;
                if ps.len() != 1 {
                    return invalid("a Point has exactly one position");
                }
                Shape::Point(ps.remove(0))
            }
            SpatialShape::LineString => Shape::LineString(reader.positions()?),
            SpatialShape::Polygon => {
                reader.open()?;
                let mut rings = vec![reader.positions()?];
                while reader.comma() {
                    rings.push(reader.positions()?);
                }
                reader.close()?;
                Shape::Polygon(rings)
            }
        };
        if !reader.at_end() {
            return invalid("unexpected text after the coordinates");
        }
        let geo = Geo {
            family,
            srid,
            shape,
        };
        geo.validate()?;
        Ok(geo)
    }

    /// Reads a GeoJSON object of the given kind. `srid` is the one the target declares (a
    /// `crs` member naming another is refused); with `None` the `crs` member, else the
    /// family's default, gives the SRID.
    pub fn from_geojson(
        json: &Json,
        family: SpatialFamily,
        shape: SpatialShape,
        srid: Option<u32>,
    ) -> Result<Geo, GeoError> {
        let Json::Object(object) = json else {
            return invalid(format!(
                "expected a GeoJSON object such as {{\"type\":\"{}\",\"coordinates\":…}}",
                shape.name()
            ));
        };
        match object.get("type") {
            Some(Json::String(t)) if t == shape.name() => {}
            Some(Json::String(t)) => {
                return invalid(format!(
                    "expected GeoJSON type \"{}\", got \"{t}\"",
                    shape.name()
                ));
            }
            _ => return invalid("the GeoJSON member \"type\" is missing or not a string"),
        }
        let stated = object.get("crs").map(crs_srid).transpose()?;
        let srid = match (srid, stated) {
            (Some(declared), Some(stated)) if declared != stated => {
                return invalid(format!("expected SRID {declared}, got {stated}"));
            }
            (Some(srid), _) | (None, Some(srid)) => srid,
            (None, None) => family.default_srid(),
        };
        let Some(coordinates) = object.get("coordinates") else {
            return invalid("the GeoJSON member \"coordinates\" is missing");
        };
        let shape = match shape {
            SpatialShape::Point => Shape::Point(json_position(coordinates)?),
            SpatialShape::LineString => Shape::LineString(json_positions(coordinates)?),
            SpatialShape::Polygon => {
                let Json::Array(rings) = coordinates else {
                    return invalid("Polygon coordinates must be an array of rings");
                };
                Shape::Polygon(rings.iter().map(json_positions).collect::<Result<_, _>>()?)
            }
        };
        let geo = Geo {
            family,
            srid,
            shape,
        };
        geo.validate()?;
        Ok(geo)
    }

    /// The GeoJSON object: `type`, `coordinates`, and `crs` when the SRID is not the
    /// family's default.
    pub fn to_geojson(&self) -> Json {
        let mut object = Map::new();
        object.insert("type".into(), Json::String(self.shape.kind().name().into()));
        let coordinates = match &self.shape {
            Shape::Point(p) => position_json(*p),
            Shape::LineString(ps) => positions_json(ps),
            Shape::Polygon(rings) => Json::Array(rings.iter().map(|r| positions_json(r)).collect()),
        };
        object.insert("coordinates".into(), coordinates);
        if self.srid != self.family.default_srid() {
            let mut properties = Map::new();
            properties.insert("name".into(), Json::String(format!("EPSG:{}", self.srid)));
            let mut crs = Map::new();
            crs.insert("type".into(), Json::String("name".into()));
            crs.insert("properties".into(), Json::Object(properties));
            object.insert("crs".into(), Json::Object(crs));
        }
        Json::Object(object)
    }

    /// Shape rules: a line string has two or more positions; a polygon has rings of four
    /// or more positions whose last equals the first; geography coordinates are
    /// longitudes in [-180, 180] and latitudes in [-90, 90].
    fn validate(&self) -> Result<(), GeoError> {
        let all: Vec<Position> = match &self.shape {
            Shape::Point(p) => vec![*p],
            Shape::LineString(ps) => {
                if ps.len() < 2 {
                    return invalid("a LineString needs at least two positions");
                }
                ps.clone()
            }
            Shape::Polygon(rings) => {
                if rings.is_empty() {
                    return invalid("a Polygon needs at least one ring");
                }
                for ring in rings {
                    if ring.len() < 4 {
                        return invalid("a Polygon ring needs at least four positions");
                    }
                    if ring.first() != ring.last() {
                        return invalid(
                            "a Polygon ring must be closed: its last position must equal its first",
                        );
                    }
                }
                rings.iter().flatten().copied().collect()
            }
        };
        if self.family == SpatialFamily::Geography {
            for p in all {
                if !(-180.0..=180.0).contains(&p.x) || !(-90.0..=90.0).contains(&p.y) {
                    return invalid(format!(
                        "position ({} {}) is not a longitude in [-180, 180] and a latitude in \
                         [-90, 90]",
                        p.x, p.y
                    ));
                }
            }
        }
        Ok(())
    }

    /// `geo.distance`: between two points of the same family, meters on the sphere for
    /// geography, Euclidean for geometry. `None` for other shapes.
    pub fn distance(&self, other: &Geo) -> Option<f64> {
        match (&self.shape, &other.shape) {
            (Shape::Point(a), Shape::Point(b)) => Some(segment(self.family, *a, *b)),
            _ => None,
        }
    }

    /// `geo.length`: the length of a line string (the sum of its segments). `None` for
    /// other shapes.
    pub fn length(&self) -> Option<f64> {
        match &self.shape {
            Shape::LineString(ps) => Some(
                ps.windows(2)
                    .map(|w| segment(self.family, w[0], w[1]))
                    .fold(0.0, |sum, d| sum + d),
            ),
            _ => None,
        }
    }

    /// `geo.intersects(point, polygon)`: whether the point lies inside the polygon (even-odd
    /// rule over all rings). `None` unless `self` is a point and `other` a polygon.
    pub fn intersects(&self, other: &Geo) -> Option<bool> {
        let (Shape::Point(p), Shape::Polygon(rings)) = (&self.shape, &other.shape) else {
            return None;
        };
        let mut inside = false;
        for ring in rings {
            for w in ring.windows(2) {
                let (a, b) = (w[0], w[1]);
                // The same expression, in the same order, as the SQL translation.
                if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x
                {
                    inside = !inside;
                }
            }
        }
        Some(inside)
    }
}

/// The URL literal form: `geography'SRID=4326;Point(-122.1 47.6)'`.
impl fmt::Display for Geo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, ps: &[Position]) -> fmt::Result {
            f.write_str("(")?;
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{} {}", p.x, p.y)?;
            }
            f.write_str(")")
        }
        let name = self.shape.kind().name();
        write!(f, "{}'SRID={};{name}", self.family.name(), self.srid)?;
        match &self.shape {
            Shape::Point(p) => list(f, std::slice::from_ref(p))?,
            Shape::LineString(ps) => list(f, ps)?,
            Shape::Polygon(rings) => {
                f.write_str("(")?;
                for (i, ring) in rings.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    list(f, ring)?;
                }
                f.write_str(")")?;
            }
        }
        f.write_str("'")
    }
}

/// The distance between two positions of a family.
fn segment(family: SpatialFamily, a: Position, b: Position) -> f64 {
    match family {
        SpatialFamily::Geography => haversine(a, b),
        SpatialFamily::Geometry => {
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            (dx * dx + dy * dy).sqrt()
        }
    }
}

/// Great-circle distance in meters between two longitude/latitude positions (degrees).
///
/// `2 R asin(min(1, sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2))))`, written in the
/// operation order the PostgreSQL translation uses, so both compute the same doubles.
pub fn haversine(a: Position, b: Position) -> f64 {
    let half_lat = (b.y - a.y).to_radians() / 2.0;
    let half_lon = (b.x - a.x).to_radians() / 2.0;
    let h = half_lat.sin() * half_lat.sin()
        + a.y.to_radians().cos() * b.y.to_radians().cos() * (half_lon.sin() * half_lon.sin());
    2.0 * EARTH_RADIUS_METERS * h.sqrt().min(1.0).asin()
}

fn parse_srid(digits: &str) -> Result<u32, GeoError> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return invalid(format!("invalid SRID '{digits}': expected 1 to 5 digits"));
    }
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_SRID)
        .map_or_else(|| invalid(format!("invalid SRID '{digits}'")), Ok)
}

/// The SRID of a GeoJSON `crs` member: `{"type":"name","properties":{"name":"EPSG:4326"}}`
/// (also `urn:ogc:def:crs:EPSG::4326`).
fn crs_srid(crs: &Json) -> Result<u32, GeoError> {
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Json::as_str);
    let Some(name) = name else {
        return invalid(
            "the GeoJSON member \"crs\" must be {\"type\":\"name\",\"properties\":{\"name\":\"EPSG:n\"}}",
        );
    };
    let digits = name.rsplit(':').next().unwrap_or_default();
    if !name.to_ascii_uppercase().contains("EPSG:") {
        return invalid(format!("unknown coordinate reference system '{name}'"));
    }
    parse_srid(digits)
}

fn json_number(json: &Json) -> Result<f64, GeoError> {
    match json.as_f64() {
        Some(n) if n.is_finite() => Ok(n),
        _ => invalid(format!("coordinates must be finite numbers, got {json}")),
    }
}

fn json_position(json: &Json) -> Result<Position, GeoError> {
    match json {
        Json::Array(items) if items.len() == 2 => Ok(Position {
            x: json_number(&items[0])?,
            y: json_number(&items[1])?,
        }),
        Json::Array(items) if items.len() > 2 && items.len() <= 4 => Err(GeoError::Unsupported(
            "positions with altitude or measure are not supported".into(),
        )),
        _ => invalid(format!("a position must be an array [x, y], got {json}")),
    }
}

fn json_positions(json: &Json) -> Result<Vec<Position>, GeoError> {
    match json {
        Json::Array(items) => items.iter().map(json_position).collect(),
        _ => invalid(format!("expected an array of positions, got {json}")),
    }
}

fn number_json(n: f64) -> Json {
    Number::from_f64(n).map_or(Json::Null, Json::Number)
}

fn position_json(p: Position) -> Json {
    Json::Array(vec![number_json(p.x), number_json(p.y)])
}

fn positions_json(ps: &[Position]) -> Json {
    Json::Array(ps.iter().map(|p| position_json(*p)).collect())
}

/// A cursor over WKT coordinate text.
struct Wkt<'a> {
    text: &'a str,
    pos: usize,
}

impl Wkt<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.rest().starts_with(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn open(&mut self) -> Result<(), GeoError> {
        if self.eat('(') {
            Ok(())
        } else {
            invalid("expected '('")
        }
    }

    fn close(&mut self) -> Result<(), GeoError> {
        if self.eat(')') {
            Ok(())
        } else {
            invalid("expected ')'")
        }
    }

    fn comma(&mut self) -> bool {
        self.eat(',')
    }

    fn at_end(&mut self) -> bool {
        self.skip_spaces();
        self.rest().is_empty()
    }

    /// `( x y , x y … )`
    fn positions(&mut self) -> Result<Vec<Position>, GeoError> {
        self.open()?;
        let mut out = vec![self.position()?];
        while self.comma() {
            out.push(self.position()?);
        }
        self.close()?;
        Ok(out)
    }

    /// `x y` (two numbers separated by spaces).
    fn position(&mut self) -> Result<Position, GeoError> {
        let mut numbers = Vec::with_capacity(2);
        loop {
            self.skip_spaces();
            let rest = self.rest();
            let end = rest.find([' ', ',', ')', '(']).unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            let token = &rest[..end];
            let n = token
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map_or_else(|| invalid(format!("invalid coordinate '{token}'")), Ok)?;
            numbers.push(n);
            self.pos += end;
        }
        match numbers.as_slice() {
            [x, y] => Ok(Position { x: *x, y: *y }),
            [_, _, _] | [_, _, _, _] => Err(GeoError::Unsupported(
                "positions with altitude or measure are not supported".into(),
            )),
            _ => invalid("a position is two numbers separated by a space: 'x y'"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const GEO: SpatialFamily = SpatialFamily::Geography;

    fn point(x: f64, y: f64) -> Geo {
        Geo {
            family: GEO,
            srid: 4326,
            shape: Shape::Point(Position { x, y }),
        }
    }

    #[test]
    fn literals_parse_with_and_without_srid() {
        let g = Geo::parse_literal("SRID=4326;POINT(-122.1 47.6)", GEO).unwrap();
        assert_eq!(g, point(-122.1, 47.6));
        assert_eq!(Geo::parse_literal("point(-122.1 47.6)", GEO).unwrap(), g);
        assert_eq!(g.to_string(), "geography'SRID=4326;Point(-122.1 47.6)'");
        let g = Geo::parse_literal("srid=0;LineString(1 2,3 4)", SpatialFamily::Geometry).unwrap();
        assert_eq!(g.srid, 0);
        assert_eq!(g.kind(), PrimitiveKind::GeometryLineString);
        let g = Geo::parse_literal(
            "SRID=4269;Polygon((0 0,1 0,1 1,0 0),(0.1 0.1, 0.2 0.1, 0.2 0.2, 0.1 0.1))",
            GEO,
        )
        .unwrap();
        assert_eq!(g.srid, 4269);
        let Shape::Polygon(rings) = &g.shape else {
            panic!("{g:?}")
        };
        assert_eq!(rings.len(), 2);
    }

    #[test]
    fn malformed_literals_are_invalid_and_other_shapes_unsupported() {
        for text in [
            "SRID=4326;POINT(1)",
            "SRID=4326;POINT(a b)",
            "SRID=4326;POINT(1 2",
            "SRID=4326;POINT(1 2,3 4)",
            "SRID=x;POINT(1 2)",
            "SRID=123456;POINT(1 2)",
            "SRID=4326;LINESTRING(1 2)",
            "POLYGON((0 0,1 0,1 1,0 1))",
            "POLYGON((0 0,1 0,0 0))",
            "POINT(1 2) x",
            "CIRCLE(1 2)",
            "POINT(200 0)",
            "POINT(0 91)",
        ] {
            assert!(
                matches!(Geo::parse_literal(text, GEO), Err(GeoError::Invalid(_))),
                "{text}"
            );
        }
        for text in ["MultiPoint((1 2))", "POINT(1 2 3)"] {
            assert!(
                matches!(Geo::parse_literal(text, GEO), Err(GeoError::Unsupported(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn geojson_round_trips_and_is_validated() {
        let j = json!({"type":"Polygon","coordinates":[[[-122.5,47.5],[-122.0,47.5],[-122.0,47.8],[-122.5,47.5]]]});
        let g = Geo::from_geojson(&j, GEO, SpatialShape::Polygon, Some(4326)).unwrap();
        assert_eq!(g.to_geojson(), j);
        let with_crs = json!({"type":"Point","coordinates":[1.0,2.0],"crs":{"type":"name","properties":{"name":"EPSG:4269"}}});
        let g = Geo::from_geojson(&with_crs, GEO, SpatialShape::Point, Some(4269)).unwrap();
        assert_eq!(g.to_geojson(), with_crs);
        for (j, shape) in [
            (
                json!({"type":"Point","coordinates":[1.0,2.0]}),
                SpatialShape::LineString,
            ),
            (
                json!({"type":"Point","coordinates":[1.0]}),
                SpatialShape::Point,
            ),
            (
                json!({"type":"Point","coordinates":["a",2]}),
                SpatialShape::Point,
            ),
            (json!({"type":"Point"}), SpatialShape::Point),
            (json!([1, 2]), SpatialShape::Point),
            (
                json!({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}),
                SpatialShape::Polygon,
            ),
            (with_crs.clone(), SpatialShape::Point),
        ] {
            assert!(
                matches!(
                    Geo::from_geojson(&j, GEO, shape, Some(4326)),
                    Err(GeoError::Invalid(_))
                ),
                "{j}"
            );
        }
    }

    #[test]
    fn distances_lengths_and_containment() {
        let seattle = point(-122.3321, 47.6062);
        let tacoma = point(-122.4194, 47.2529);
        let d = seattle.distance(&tacoma).unwrap();
        assert!((d - 39_800.0).abs() < 500.0, "{d}");
        assert_eq!(seattle.distance(&seattle), Some(0.0));
        let route =
            Geo::parse_literal("LINESTRING(-122.3321 47.6062, -122.4194 47.2529)", GEO).unwrap();
        assert_eq!(route.length(), Some(d));
        assert_eq!(seattle.length(), None);
        let plane = Geo::parse_literal("LINESTRING(0 0,3 4,3 5)", SpatialFamily::Geometry).unwrap();
        assert_eq!(plane.length(), Some(6.0));
        let area = Geo::parse_literal(
            "POLYGON((-122.5 47.5, -122.0 47.5, -122.0 47.8, -122.5 47.8, -122.5 47.5))",
            GEO,
        )
        .unwrap();
        assert_eq!(seattle.intersects(&area), Some(true));
        assert_eq!(tacoma.intersects(&area), Some(false));
        assert_eq!(area.intersects(&seattle), None);
        let holed = Geo::parse_literal(
            "POLYGON((0 0,10 0,10 10,0 10,0 0),(4 4,6 4,6 6,4 6,4 4))",
            SpatialFamily::Geometry,
        )
        .unwrap();
        let at = |x, y| Geo {
            family: SpatialFamily::Geometry,
            srid: 0,
            shape: Shape::Point(Position { x, y }),
        };
        assert_eq!(at(2.0, 2.0).intersects(&holed), Some(true));
        assert_eq!(at(5.0, 5.0).intersects(&holed), Some(false));
        assert_eq!(at(11.0, 5.0).intersects(&holed), Some(false));
    }
}
