//! Type definitions: named primitive types with optional facets (`<TypeDefinition>`).
//!
//! A property typed with a type definition behaves exactly like one of the underlying
//! primitive type: its [`TypeRef`](super::TypeRef) has the primitive kind and the
//! definition's facets, and only remembers the definition for `$metadata`.

use super::annotation::Annotation;
use super::types::PrimitiveKind;

/// A type definition of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDefinition {
    /// Unqualified name.
    pub name: String,
    /// Qualified name.
    pub qualified_name: String,
    /// The primitive type it names.
    pub underlying: PrimitiveKind,
    /// `MaxLength` facet.
    pub max_length: Option<u32>,
    /// `Precision` facet.
    pub precision: Option<u32>,
    /// `Scale` facet.
    pub scale: Option<u32>,
    /// `Unicode` facet; `None` means the CSDL default (true).
    pub unicode: Option<bool>,
    /// Annotations on the type definition.
    pub annotations: Vec<Annotation>,
}
