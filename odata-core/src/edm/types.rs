//! Type references: primitive kinds, resolved type kinds and facets.

use std::fmt;

use super::{ComplexTypeId, EntityTypeId, EnumTypeId, TypeDefinitionId};

/// The EDM primitive types the framework understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrimitiveKind {
    /// `Edm.Binary`
    Binary,
    /// `Edm.Boolean`
    Boolean,
    /// `Edm.Byte`
    Byte,
    /// `Edm.Date`
    Date,
    /// `Edm.DateTimeOffset`
    DateTimeOffset,
    /// `Edm.Decimal`
    Decimal,
    /// `Edm.Double`
    Double,
    /// `Edm.Duration`
    Duration,
    /// `Edm.Guid`
    Guid,
    /// `Edm.Int16`
    Int16,
    /// `Edm.Int32`
    Int32,
    /// `Edm.Int64`
    Int64,
    /// `Edm.SByte`
    SByte,
    /// `Edm.Single`
    Single,
    /// `Edm.String`
    String,
    /// `Edm.TimeOfDay`
    TimeOfDay,
    /// `Edm.GeographyPoint`
    GeographyPoint,
    /// `Edm.GeographyLineString`
    GeographyLineString,
    /// `Edm.GeographyPolygon`
    GeographyPolygon,
    /// `Edm.GeometryPoint`
    GeometryPoint,
    /// `Edm.GeometryLineString`
    GeometryLineString,
    /// `Edm.GeometryPolygon`
    GeometryPolygon,
}

impl PrimitiveKind {
    /// Every primitive kind, in CSDL name order.
    pub const ALL: [PrimitiveKind; 22] = [
        Self::Binary,
        Self::Boolean,
        Self::Byte,
        Self::Date,
        Self::DateTimeOffset,
        Self::Decimal,
        Self::Double,
        Self::Duration,
        Self::Guid,
        Self::Int16,
        Self::Int32,
        Self::Int64,
        Self::SByte,
        Self::Single,
        Self::String,
        Self::TimeOfDay,
        Self::GeographyPoint,
        Self::GeographyLineString,
        Self::GeographyPolygon,
        Self::GeometryPoint,
        Self::GeometryLineString,
        Self::GeometryPolygon,
    ];

    /// The qualified CSDL name, e.g. `Edm.String`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Binary => "Edm.Binary",
            Self::Boolean => "Edm.Boolean",
            Self::Byte => "Edm.Byte",
            Self::Date => "Edm.Date",
            Self::DateTimeOffset => "Edm.DateTimeOffset",
            Self::Decimal => "Edm.Decimal",
            Self::Double => "Edm.Double",
            Self::Duration => "Edm.Duration",
            Self::Guid => "Edm.Guid",
            Self::Int16 => "Edm.Int16",
            Self::Int32 => "Edm.Int32",
            Self::Int64 => "Edm.Int64",
            Self::SByte => "Edm.SByte",
            Self::Single => "Edm.Single",
            Self::String => "Edm.String",
            Self::TimeOfDay => "Edm.TimeOfDay",
            Self::GeographyPoint => "Edm.GeographyPoint",
            Self::GeographyLineString => "Edm.GeographyLineString",
            Self::GeographyPolygon => "Edm.GeographyPolygon",
            Self::GeometryPoint => "Edm.GeometryPoint",
            Self::GeometryLineString => "Edm.GeometryLineString",
            Self::GeometryPolygon => "Edm.GeometryPolygon",
        }
    }

    /// True for the spatial kinds (`Edm.Geography…` and `Edm.Geometry…`).
    pub fn is_spatial(self) -> bool {
        self.spatial().is_some()
    }

    /// The family and shape of a spatial kind; `None` for every other kind.
    pub fn spatial(self) -> Option<(SpatialFamily, SpatialShape)> {
        use SpatialFamily::{Geography, Geometry};
        use SpatialShape::{LineString, Point, Polygon};
        Some(match self {
            Self::GeographyPoint => (Geography, Point),
            Self::GeographyLineString => (Geography, LineString),
            Self::GeographyPolygon => (Geography, Polygon),
            Self::GeometryPoint => (Geometry, Point),
            Self::GeometryLineString => (Geometry, LineString),
            Self::GeometryPolygon => (Geometry, Polygon),
            _ => return None,
        })
    }

    /// The spatial kind of a family and shape.
    pub fn of_spatial(family: SpatialFamily, shape: SpatialShape) -> Self {
        use SpatialFamily::{Geography, Geometry};
        use SpatialShape::{LineString, Point, Polygon};
        match (family, shape) {
            (Geography, Point) => Self::GeographyPoint,
            (Geography, LineString) => Self::GeographyLineString,
            (Geography, Polygon) => Self::GeographyPolygon,
            (Geometry, Point) => Self::GeometryPoint,
            (Geometry, LineString) => Self::GeometryLineString,
            (Geometry, Polygon) => Self::GeometryPolygon,
        }
    }

    /// Looks a kind up by its qualified name (`Edm.Int32`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Integer kinds, with their inclusive range.
    pub fn integer_range(self) -> Option<(i64, i64)> {
        match self {
            Self::Byte => Some((0, u8::MAX.into())),
            Self::SByte => Some((i8::MIN.into(), i8::MAX.into())),
            Self::Int16 => Some((i16::MIN.into(), i16::MAX.into())),
            Self::Int32 => Some((i32::MIN.into(), i32::MAX.into())),
            Self::Int64 => Some((i64::MIN, i64::MAX)),
            _ => None,
        }
    }
}

impl fmt::Display for PrimitiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Round-earth (`Edm.Geography…`, longitude/latitude in degrees) or flat-earth
/// (`Edm.Geometry…`) spatial values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpatialFamily {
    /// `Edm.Geography…`: default SRID 4326.
    Geography,
    /// `Edm.Geometry…`: default SRID 0.
    Geometry,
}

impl SpatialFamily {
    /// The SRID a value of the family has when none is stated (CSDL §4.4 `SRID` facet).
    pub fn default_srid(self) -> u32 {
        match self {
            Self::Geography => 4326,
            Self::Geometry => 0,
        }
    }

    /// `geography` or `geometry`, as in literals.
    pub fn name(self) -> &'static str {
        match self {
            Self::Geography => "geography",
            Self::Geometry => "geometry",
        }
    }
}

/// The spatial shapes the framework stores and evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpatialShape {
    /// One position.
    Point,
    /// Two or more positions.
    LineString,
    /// Closed rings: the exterior first, then holes.
    Polygon,
}

impl SpatialShape {
    /// The GeoJSON `type` member (`Point`, `LineString`, `Polygon`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::LineString => "LineString",
            Self::Polygon => "Polygon",
        }
    }
}

/// What a type reference points at, resolved to an index into the [`Model`](super::Model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// A primitive type.
    Primitive(PrimitiveKind),
    /// An enumeration type of the model.
    Enum(EnumTypeId),
    /// A complex type of the model.
    Complex(ComplexTypeId),
    /// An entity type of the model.
    Entity(EntityTypeId),
}

/// A resolved type reference with its facets, as used by properties and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    /// The referenced type.
    pub kind: TypeKind,
    /// `Collection(...)` of the type.
    pub collection: bool,
    /// Whether `null` is allowed (for collections: whether items may be null).
    pub nullable: bool,
    /// `MaxLength` facet for strings and binaries.
    pub max_length: Option<u32>,
    /// `Precision` facet.
    pub precision: Option<u32>,
    /// `Scale` facet.
    pub scale: Option<u32>,
    /// `Unicode` facet; `None` means the CSDL default (true).
    pub unicode: Option<bool>,
    /// The type definition the reference names, if any: `kind` is then its underlying
    /// primitive type and the facets are the definition's. Only `$metadata` and messages
    /// use it; everything else treats the value as one of the primitive type.
    pub definition: Option<TypeDefinitionId>,
    /// `SRID` facet of spatial types, when declared; `None` means the family's default
    /// (4326 for geography, 0 for geometry), see [`TypeRef::srid`].
    pub srid: Option<u32>,
}

impl TypeRef {
    /// A nullable, single-valued reference to `kind` without facets.
    pub fn of(kind: TypeKind) -> Self {
        Self {
            kind,
            collection: false,
            nullable: true,
            max_length: None,
            precision: None,
            scale: None,
            unicode: None,
            definition: None,
            srid: None,
        }
    }

    /// The primitive kind, when the reference is to a primitive type.
    pub fn primitive(&self) -> Option<PrimitiveKind> {
        match self.kind {
            TypeKind::Primitive(p) => Some(p),
            _ => None,
        }
    }

    /// The SRID values of a spatial type have: the declared facet, else the family's
    /// default. `None` for non-spatial types.
    pub fn srid(&self) -> Option<u32> {
        let (family, _) = self.primitive()?.spatial()?;
        Some(self.srid.unwrap_or(family.default_srid()))
    }
}
