//! Vocabulary annotations the framework writes to CSDL and honours at run time.

/// Core vocabulary namespace.
pub const CORE: &str = "Org.OData.Core.V1";

/// The term of [`Annotation::schema_version`].
pub(crate) const SCHEMA_VERSION: &str = "Org.OData.Core.V1.SchemaVersion";

/// Capabilities vocabulary namespace.
pub const CAPABILITIES: &str = "Org.OData.Capabilities.V1";

/// The value of an annotation: a constant, or a collection or record of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnotationValue {
    /// A string constant.
    String(String),
    /// A boolean constant.
    Bool(bool),
    /// An integer constant.
    Int(i64),
    /// An enum member path such as `Org.OData.Core.V1.Permission/Read` (flags: several
    /// paths separated by spaces).
    EnumMember(String),
    /// A navigation property path relative to the annotated element (`orders`, or
    /// `ns.derivedType/orders` through a type cast).
    NavigationPropertyPath(String),
    /// A structural property path relative to the annotated element (`version`).
    PropertyPath(String),
    /// A collection of values, in order.
    Collection(Vec<AnnotationValue>),
    /// A record: values for properties of the term's structured type, in order. Properties
    /// left out take their default value.
    Record(Vec<PropertyValue>),
}

impl AnnotationValue {
    /// A collection of string constants.
    ///
    /// ```
    /// use odata_core::edm::AnnotationValue;
    /// let formats = AnnotationValue::strings(["application/json"]);
    /// assert_eq!(
    ///     formats,
    ///     AnnotationValue::Collection(vec![AnnotationValue::String("application/json".into())])
    /// );
    /// ```
    pub fn strings<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Collection(values.into_iter().map(|s| Self::String(s.into())).collect())
    }

    /// A record from `(property, value)` pairs.
    pub fn record<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = (S, AnnotationValue)>,
        S: Into<String>,
    {
        Self::Record(
            values
                .into_iter()
                .map(|(property, value)| PropertyValue {
                    property: property.into(),
                    value,
                })
                .collect(),
        )
    }

    /// Every enum member path in the value, nested ones included (the writers need them
    /// to know which vocabularies a document references).
    pub fn enum_members(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_enum_members(&mut out);
        out
    }

    fn collect_enum_members<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Self::EnumMember(paths) => out.push(paths),
            Self::Collection(items) => items.iter().for_each(|v| v.collect_enum_members(out)),
            Self::Record(values) => values
                .iter()
                .for_each(|p| p.value.collect_enum_members(out)),
            Self::String(_)
            | Self::Bool(_)
            | Self::Int(_)
            | Self::NavigationPropertyPath(_)
            | Self::PropertyPath(_) => {}
        }
    }
}

/// One property of a record annotation value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyValue {
    /// The property of the record's type.
    pub property: String,
    /// Its value.
    pub value: AnnotationValue,
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
    /// The term `term` (qualified with its vocabulary's namespace) with `value`.
    ///
    /// ```
    /// use odata_core::edm::{Annotation, AnnotationValue, CAPABILITIES};
    /// let a = Annotation::new(format!("{CAPABILITIES}.TopSupported"), AnnotationValue::Bool(true));
    /// assert_eq!(a.term, "Org.OData.Capabilities.V1.TopSupported");
    /// ```
    pub fn new(term: impl Into<String>, value: AnnotationValue) -> Self {
        Self {
            term: term.into(),
            value,
        }
    }

    /// `Core.SchemaVersion`: the version of a schema (on the schema, see
    /// [`ModelBuilder::annotate`](super::ModelBuilder::annotate)); requests name it with
    /// `$schemaversion`.
    pub fn schema_version(version: impl Into<String>) -> Self {
        Self {
            term: SCHEMA_VERSION.to_owned(),
            value: AnnotationValue::String(version.into()),
        }
    }

    /// `Core.OptimisticConcurrency`: the properties an entity set's ETags are computed from.
    pub fn optimistic_concurrency<I, S>(properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            term: format!("{CORE}.OptimisticConcurrency"),
            value: AnnotationValue::Collection(
                properties
                    .into_iter()
                    .map(|p| AnnotationValue::PropertyPath(p.into()))
                    .collect(),
            ),
        }
    }

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

    /// `Core.MediaType`: the media type of a binary value (`image/png`), the
    /// `Content-Type` of its raw value (`…/$value`).
    pub fn media_type(media_type: impl Into<String>) -> Self {
        Self {
            term: format!("{CORE}.MediaType"),
            value: AnnotationValue::String(media_type.into()),
        }
    }

    /// `Core.Immutable`: set on create, never changed afterwards.
    pub fn immutable() -> Self {
        Self {
            term: format!("{CORE}.Immutable"),
            value: AnnotationValue::Bool(true),
        }
    }

    /// `Core.Permissions = Read`: clients can read but not write the property (or, on an
    /// entity set, the set).
    pub fn read_only() -> Self {
        Self::permissions("Read")
    }

    /// `Core.Permissions = Write`: clients can write the property but never read it back
    /// (secrets such as passwords).
    pub fn write_only() -> Self {
        Self::permissions("Write")
    }

    /// `Core.OptionalParameter` (an empty record): an operation parameter a call may leave
    /// out.
    pub fn optional_parameter() -> Self {
        Self {
            term: format!("{CORE}.OptionalParameter"),
            value: AnnotationValue::Record(Vec::new()),
        }
    }

    fn permissions(member: &str) -> Self {
        Self {
            term: format!("{CORE}.Permissions"),
            value: AnnotationValue::EnumMember(format!("{CORE}.Permission/{member}")),
        }
    }
}

/// Annotations applied to a model element from outside it (CSDL `<Annotations
/// Target="…">`, CSDL JSON `$Annotations`), for targets that have no element of their own
/// to carry them, such as a containment navigation property reached through a singleton.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalAnnotations {
    /// The target path, qualified with the schema namespace, e.g.
    /// `example.shop.Container/me/orders` (the container, a container child, then
    /// navigation properties).
    pub target: String,
    /// The annotations applied to it.
    pub annotations: Vec<Annotation>,
}

/// Queries over a list of annotations.
pub(crate) fn has_term(
    annotations: &[Annotation],
    term: &str,
    value: impl Fn(&AnnotationValue) -> bool,
) -> bool {
    annotations.iter().any(|a| {
        a.term.strip_prefix(CORE).and_then(|t| t.strip_prefix('.')) == Some(term) && value(&a.value)
    })
}
