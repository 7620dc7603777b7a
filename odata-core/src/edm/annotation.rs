//! Vocabulary annotations the framework writes to CSDL and honours at run time.

/// Core vocabulary namespace.
pub const CORE: &str = "Org.OData.Core.V1";

/// The value of an annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnotationValue {
    /// A string constant.
    String(String),
    /// A boolean constant.
    Bool(bool),
    /// An enum member path such as `Org.OData.Core.V1.Permission/Read`.
    EnumMember(String),
}

/// A term applied to a model element, e.g. `Org.OData.Core.V1.Description`.
///
/// ```
/// use odata_core::edm::Annotation;
/// let a = Annotation::description("When the event happened");
/// assert_eq!(a.term, "Org.OData.Core.V1.Description");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Qualified term name.
    pub term: String,
    /// The annotation value.
    pub value: AnnotationValue,
}

impl Annotation {
    /// `Core.Description`: human-readable text for the element.
    pub fn description(text: impl Into<String>) -> Self {
        Self {
            term: format!("{CORE}.Description"),
            value: AnnotationValue::String(text.into()),
        }
    }

    /// `Core.Computed`: the service computes the value; clients may not send it.
    pub fn computed() -> Self {
        Self {
            term: format!("{CORE}.Computed"),
            value: AnnotationValue::Bool(true),
        }
    }

    /// `Core.Immutable`: set on create, never changed afterwards.
    pub fn immutable() -> Self {
        Self {
            term: format!("{CORE}.Immutable"),
            value: AnnotationValue::Bool(true),
        }
    }

    /// `Core.Permissions = Read`: clients can read but not write the property.
    pub fn read_only() -> Self {
        Self::permissions("Read")
    }

    /// `Core.Permissions = Write`: clients can write the property but never read it back
    /// (secrets such as passwords).
    pub fn write_only() -> Self {
        Self::permissions("Write")
    }

    fn permissions(member: &str) -> Self {
        Self {
            term: format!("{CORE}.Permissions"),
            value: AnnotationValue::EnumMember(format!("{CORE}.Permission/{member}")),
        }
    }
}

/// Queries over a list of annotations.
pub(crate) fn has_term(annotations: &[Annotation], term: &str, value: &AnnotationValue) -> bool {
    annotations.iter().any(|a| {
        a.term.strip_prefix(CORE).and_then(|t| t.strip_prefix('.')) == Some(term)
            && &a.value == value
    })
}
