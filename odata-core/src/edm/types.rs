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
}

impl PrimitiveKind {
    /// Every primitive kind, in CSDL name order.
    pub const ALL: [PrimitiveKind; 16] = [
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
        }
    }

    /// The primitive kind, when the reference is to a primitive type.
    pub fn primitive(&self) -> Option<PrimitiveKind> {
        match self.kind {
            TypeKind::Primitive(p) => Some(p),
            _ => None,
        }
    }
}
