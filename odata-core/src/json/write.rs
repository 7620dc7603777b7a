//! Writing entities in the OData JSON format straight into a response buffer.

use std::io::Write as _;

use crate::edm::{Model, PrimitiveKind, Property, TypeKind, TypeRef};
use crate::value::{Value, base64url, decimal_text};

/// `odata.metadata` level of the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataLevel {
    /// No control information beyond what paging needs.
    None,
    /// Context URL, type, etag (the default).
    #[default]
    Minimal,
    /// Everything, including ids, edit links and property type annotations.
    Full,
}

/// Negotiated format options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Metadata level.
    pub metadata: MetadataLevel,
    /// `IEEE754Compatible=true`: Int64 and Decimal written as strings.
    pub ieee754_compatible: bool,
    /// `Prefer: omit-values=nulls` applied: properties whose value is null are left out of
    /// entities (a client reads a missing property as null).
    pub omit_nulls: bool,
}

/// Per-entity control information.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntityControl<'a> {
    /// `@odata.context`, written for top-level entities.
    pub context: Option<&'a str>,
    /// The entity's canonical URL: `@odata.id`, and `@odata.editLink` in full metadata.
    pub id: Option<&'a str>,
    /// `@odata.etag`.
    pub etag: Option<&'a str>,
    /// The media control information of a media entity.
    pub media: Option<MediaControl<'a>>,
    /// Leave `@odata.type` out in minimal metadata (the entity is of the type its context
    /// implies; see [`ControlInformation`]).
    pub omit_type: bool,
    /// `{property}@odata.count` for collection-valued properties selected with
    /// `$count=true` (`$select=tags($count=true)`), written right before the property.
    pub property_counts: &'a [(&'a str, u64)],
}

/// The control information a service writes on every entity in minimal metadata, beyond
/// what OData requires (`@odata.context`, `@odata.etag`, the type of an entity of a derived
/// type, media links). The default is Microsoft Graph's: `@odata.type` on every entity,
/// no `@odata.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlInformation {
    /// `@odata.type` on every entity, also where the context implies the type.
    pub type_of_every_entity: bool,
    /// `@odata.id` (the entity's canonical URL) on every entity.
    pub id_of_every_entity: bool,
}

impl Default for ControlInformation {
    fn default() -> Self {
        Self {
            type_of_every_entity: true,
            id_of_every_entity: false,
        }
    }
}

impl ControlInformation {
    /// `@odata.type` only where the entity's type is not the one its context implies, and
    /// `@odata.id` on every entity, so a client can follow any entity it read.
    pub fn with_ids() -> Self {
        Self {
            type_of_every_entity: false,
            id_of_every_entity: true,
        }
    }
}

/// The control information of a media entity's stream: `@odata.mediaReadLink`,
/// `@odata.mediaEditLink` and `@odata.mediaContentType`, written with minimal and full
/// metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct MediaControl<'a> {
    /// Where the stream is read (`…/{key}/$value`).
    pub read_link: &'a str,
    /// Where the stream is replaced (the same URL for a stream stored with the entity).
    pub edit_link: &'a str,
    /// The stream's media type.
    pub content_type: &'a str,
}

/// A property's value as [`write_entity`] writes it: a decoded [`Value`], or a value a
/// store writes straight from where it read it (a cell of a result row), without
/// decoding it first.
pub trait PropertyValue {
    /// Whether the value is null (left out under [`WriteOptions::omit_nulls`]).
    fn is_null(&self) -> bool;
    /// Writes the value, of type `type_ref`, as JSON.
    fn write(&self, out: &mut Vec<u8>, model: &Model, type_ref: &TypeRef, options: WriteOptions);
    /// Whether `property`, whose value this is, is write-only (written as null): a writer
    /// of many entities of one type may have looked it up once.
    fn is_write_only(&self, property: &Property) -> bool {
        property.is_write_only()
    }
}

impl PropertyValue for &Value {
    fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::Json(serde_json::Value::Null))
    }

    fn write(&self, out: &mut Vec<u8>, model: &Model, type_ref: &TypeRef, options: WriteOptions) {
        write_value(out, model, type_ref, self, options);
    }
}

/// Writes one entity object: control information, then each `(property, value)` pair.
/// Write-only properties are written as `null`; with [`WriteOptions::omit_nulls`], null
/// (and write-only) properties are left out.
///
/// ```
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
/// use odata_core::json::{EntityControl, WriteOptions, write_entity};
/// use odata_core::value::Value;
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(EntityTypeDef::new("t").key(["id"])
///         .property(PropertyDef::new("id", "Edm.String").not_null()))
///     .build().unwrap();
/// let id = model.find_entity_type("t").unwrap();
/// let ty = model.entity_type(id);
/// let values = [Value::String("a".into())];
/// let mut out = Vec::new();
/// write_entity(&mut out, &model, id, ty.properties().zip(values.iter()),
///     &EntityControl::default(), WriteOptions::default());
/// assert_eq!(String::from_utf8(out).unwrap(), r##"{"@odata.type":"#ns.t","id":"a"}"##);
/// ```
pub fn write_entity<'p, I, V>(
    out: &mut Vec<u8>,
    model: &Model,
    entity_type: crate::edm::EntityTypeId,
    properties: I,
    control: &EntityControl<'_>,
    options: WriteOptions,
) where
    I: IntoIterator<Item = (&'p Property, V)>,
    V: PropertyValue,
{
    let ty = model.entity_type(entity_type);
    out.push(b'{');
    let mut first = true;
    let mut member = |out: &mut Vec<u8>, name: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        write_str(out, name);
        out.push(b':');
    };
    if options.metadata != MetadataLevel::None {
        if let Some(context) = control.context {
            member(out, "@odata.context");
            write_str(out, context);
        }
        if !control.omit_type || options.metadata == MetadataLevel::Full {
            member(out, "@odata.type");
            // A qualified name is made of identifiers: nothing in it needs an escape.
            out.extend_from_slice(b"\"#");
            out.extend_from_slice(ty.qualified_name.as_bytes());
            out.push(b'"');
        }
        if let Some(id) = control.id {
            member(out, "@odata.id");
            write_str(out, id);
            if options.metadata == MetadataLevel::Full {
                member(out, "@odata.editLink");
                write_str(out, id);
            }
        }
        if let Some(etag) = control.etag {
            member(out, "@odata.etag");
            write_str(out, etag);
        }
        if let Some(media) = control.media {
            member(out, "@odata.mediaReadLink");
            write_str(out, media.read_link);
            member(out, "@odata.mediaEditLink");
            write_str(out, media.edit_link);
            member(out, "@odata.mediaContentType");
            write_str(out, media.content_type);
        }
    }
    for (property, value) in properties {
        let write_only = value.is_write_only(property);
        // Write-only properties are written as null, so they go too.
        if options.omit_nulls && (write_only || value.is_null()) {
            continue;
        }
        if options.metadata == MetadataLevel::Full
            && let Some(annotation) = type_annotation(model, &property.type_ref)
        {
            member(out, &format!("{}@odata.type", property.name));
            write_str(out, &annotation);
        }
        if let Some((_, n)) = control
            .property_counts
            .iter()
            .find(|(name, _)| *name == property.name)
        {
            member(out, &format!("{}@odata.count", property.name));
            if options.ieee754_compatible {
                write_str(out, &n.to_string());
            } else {
                out.extend_from_slice(n.to_string().as_bytes());
            }
        }
        member(out, &property.name);
        if write_only {
            out.extend_from_slice(b"null");
        } else {
            value.write(out, model, &property.type_ref, options);
        }
    }
    out.push(b'}');
}

/// `#Int32`, `#microsoft.graph.enumType`, `#Collection(String)`: the property type annotation
/// of full metadata, omitted for types JSON represents natively; a type definition by its
/// qualified name (`#ns.durationValue`).
fn type_annotation(model: &Model, type_ref: &TypeRef) -> Option<String> {
    let name = match type_ref.kind {
        TypeKind::Primitive(
            PrimitiveKind::String | PrimitiveKind::Boolean | PrimitiveKind::Double,
        ) if !type_ref.collection => {
            return None;
        }
        TypeKind::Primitive(_) if type_ref.definition.is_some() => model.type_ref_name(&TypeRef {
            collection: false,
            ..type_ref.clone()
        }),
        TypeKind::Primitive(p) => p.name().trim_start_matches("Edm.").to_owned(),
        other => model.type_name(other).to_owned(),
    };
    Some(if type_ref.collection {
        format!("#Collection({name})")
    } else {
        format!("#{name}")
    })
}

/// Appends dynamic properties (`$compute` results) to an entity object `out` ends with:
/// each `(name, type, value)` after the members already written. `type` is `None` for an
/// untyped null.
///
/// Which values carry `{name}@odata.type` (OData JSON Format 4.01, "Control Information:
/// type"): a dynamic property's type is not in `$metadata`, so in minimal and full
/// metadata the type is written unless a reader infers it from the JSON value — Boolean
/// values, strings (read as Edm.String) and numbers of type Edm.Double. Every other numeric
/// type (Int32 included: "numeric values … include type control information unless their
/// type is Double"), the special values `INF`/`-INF`/`NaN`, the string-encoded types
/// (Date, DateTimeOffset, Decimal under IEEE754Compatible, Duration, Guid, TimeOfDay …)
/// and enumeration members are annotated. Null values need no type; with
/// [`WriteOptions::omit_nulls`] they are left out.
///
/// ```
/// use odata_core::edm::{ModelBuilder, PrimitiveKind, TypeKind};
/// use odata_core::json::{WriteOptions, write_dynamic_properties};
/// use odata_core::value::Value;
///
/// let model = ModelBuilder::new("ns").build().unwrap();
/// let mut out = br#"{"id":"a"}"#.to_vec();
/// let int = TypeKind::Primitive(PrimitiveKind::Int32);
/// let text = TypeKind::Primitive(PrimitiveKind::String);
/// write_dynamic_properties(
///     &mut out,
///     &model,
///     [("n", Some(int), &Value::Int(3)), ("s", Some(text), &Value::String("x".into()))],
///     WriteOptions::default(),
/// );
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     r##"{"id":"a","n@odata.type":"#Int32","n":3,"s":"x"}"##
/// );
/// ```
pub fn write_dynamic_properties<'v, I>(
    out: &mut Vec<u8>,
    model: &Model,
    properties: I,
    options: WriteOptions,
) where
    I: IntoIterator<Item = (&'v str, Option<TypeKind>, &'v Value)>,
{
    // Reopen the object: drop its closing brace, append, close it again.
    if out.last() == Some(&b'}') {
        out.pop();
    }
    let member = |out: &mut Vec<u8>, name: &str| {
        if !matches!(out.last(), Some(b'{') | None) {
            out.push(b',');
        }
        write_str(out, name);
        out.push(b':');
    };
    for (name, kind, value) in properties {
        let null = matches!(value, Value::Null | Value::Json(serde_json::Value::Null));
        if null && options.omit_nulls {
            continue;
        }
        let Some(kind) = kind.filter(|_| !null) else {
            member(out, name);
            out.extend_from_slice(b"null");
            continue;
        };
        let type_ref = TypeRef::of(kind);
        if options.metadata != MetadataLevel::None
            && let Some(annotation) = dynamic_type_annotation(model, kind, value)
        {
            member(out, &format!("{name}@odata.type"));
            write_str(out, &annotation);
        }
        member(out, name);
        write_value(out, model, &type_ref, value, options);
    }
    out.push(b'}');
}

/// The `@odata.type` of a non-null dynamic property, `None` when a reader infers the type
/// from the JSON value itself.
fn dynamic_type_annotation(model: &Model, kind: TypeKind, value: &Value) -> Option<String> {
    let name = match kind {
        TypeKind::Primitive(PrimitiveKind::String | PrimitiveKind::Boolean) => return None,
        TypeKind::Primitive(PrimitiveKind::Double) if matches!(value, Value::Double(d) if d.is_finite()) =>
        {
            return None;
        }
        TypeKind::Primitive(p) => p.name().trim_start_matches("Edm.").to_owned(),
        other => model.type_name(other).to_owned(),
    };
    Some(format!("#{name}"))
}

/// Writes one value of the given type.
pub fn write_value(
    out: &mut Vec<u8>,
    model: &Model,
    type_ref: &TypeRef,
    value: &Value,
    options: WriteOptions,
) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => {
            let as_string =
                options.ieee754_compatible && type_ref.primitive() == Some(PrimitiveKind::Int64);
            if as_string {
                out.push(b'"');
            }
            out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
            if as_string {
                out.push(b'"');
            }
        }
        Value::Double(d) => {
            if d.is_nan() {
                write_str(out, "NaN");
            } else if d.is_infinite() {
                write_str(out, if *d > 0.0 { "INF" } else { "-INF" });
            } else if type_ref.primitive() == Some(PrimitiveKind::Single) {
                // The shortest text that reads back as the same 32-bit float (`3.14`).
                let _ = serde_json::to_writer(&mut *out, &(*d as f32));
            } else {
                // serde_json prints the shortest representation that round-trips.
                let _ = serde_json::to_writer(&mut *out, d);
            }
        }
        Value::Decimal(d) => {
            let text = decimal_text(d);
            if options.ieee754_compatible {
                write_str(out, &text);
            } else {
                out.extend_from_slice(text.as_bytes());
            }
        }
        Value::Binary(b) => write_str(out, &base64url(b)),
        Value::String(s) => write_str(out, s),
        // Written in place: their text never needs an escape.
        Value::Guid(g) => {
            let _ = write!(out, "\"{}\"", g.hyphenated());
        }
        Value::Date(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        Value::TimeOfDay(t) => {
            let _ = write!(out, "\"{t}\"");
        }
        Value::DateTimeOffset(d) => write_str(out, d.as_str()),
        Value::Duration(d) => {
            out.push(b'"');
            d.write_to(out);
            out.push(b'"');
        }
        Value::Enum(v) => match type_ref.kind {
            TypeKind::Enum(id) => {
                let ty = model.enum_type(id);
                // One member (most values): its name as it is; flags combined: joined.
                match ty.member_by_value(*v) {
                    Some(member) => write_str(out, &member.name),
                    None => match ty.format_value(*v) {
                        Some(names) => write_str(out, &names),
                        None => write_str(out, &v.to_string()),
                    },
                }
            }
            _ => {
                let _ = write!(out, "{v}");
            }
        },
        Value::Json(j) => {
            let _ = serde_json::to_writer(&mut *out, j);
        }
        Value::Geo(g) => {
            let _ = serde_json::to_writer(&mut *out, &g.to_geojson());
        }
    }
}

/// Writes `s` as a JSON string literal, escaped as serde_json escapes it.
///
/// ```
/// let mut out = Vec::new();
/// odata_core::json::write_string(&mut out, "a\"b");
/// assert_eq!(out, br#""a\"b""#);
/// ```
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    write_str(out, s);
}

/// Whether `bytes` hold a byte a JSON string escapes. Checked 16 bytes at a time without
/// a branch per byte, which the compiler turns into vector instructions: responses are
/// mostly text, and this check was a tenth of a page's CPU byte by byte.
fn needs_escape(bytes: &[u8]) -> bool {
    let escaped = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |hit, &b| hit | escaped(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| escaped(b))
}

/// A JSON string literal with escaping.
fn write_str(out: &mut Vec<u8>, s: &str) {
    // Most names and values need no escape (what serde_json escapes: `"`, `\\` and
    // control characters): copied as they are, the same bytes serde_json would write.
    if !needs_escape(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::edm::{Annotation, EntityTypeDef, ModelBuilder, PropertyDef};

    proptest::proptest! {
        #[test]
        fn strings_are_written_as_serde_json_writes_them(s in "\\PC*|[\\x00-\\x7f]*") {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            proptest::prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }

    #[test]
    fn an_escape_anywhere_in_a_long_string_is_written() {
        for escaped in ['"', '\\', '\n', '\u{1f}', '\u{0}'] {
            for at in 0..40 {
                let prefix: String = "ab✓".repeat(14).chars().take(at).collect();
                let s = format!("{prefix}{escaped}tail of the string");
                let mut out = Vec::new();
                write_str(&mut out, &s);
                assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
            }
        }
    }

    #[test]
    fn omit_nulls_leaves_out_null_and_write_only_properties() {
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("note", "Edm.String"))
                    .property(PropertyDef::new("n", "Edm.Int32"))
                    .property(
                        PropertyDef::new("secret", "Edm.String").annotate(Annotation::write_only()),
                    ),
            )
            .build()
            .unwrap();
        let id = model.find_entity_type("t").unwrap();
        let values = [
            Value::String("a".into()),
            Value::Null,
            Value::Int(0),
            Value::String("hidden".into()),
        ];
        let write = |options: WriteOptions| {
            let mut out = Vec::new();
            let ty = model.entity_type(id);
            write_entity(
                &mut out,
                &model,
                id,
                ty.properties().zip(values.iter()),
                &EntityControl::default(),
                options,
            );
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            write(WriteOptions::default()),
            r##"{"@odata.type":"#ns.t","id":"a","note":null,"n":0,"secret":null}"##
        );
        let omit = WriteOptions {
            omit_nulls: true,
            ..WriteOptions::default()
        };
        assert_eq!(write(omit), r##"{"@odata.type":"#ns.t","id":"a","n":0}"##);
        let full = WriteOptions {
            metadata: MetadataLevel::Full,
            ..omit
        };
        // The type annotation of an omitted property goes with it.
        assert_eq!(
            write(full),
            r##"{"@odata.type":"#ns.t","id":"a","n@odata.type":"#Int32","n":0}"##
        );
    }

    #[test]
    fn ids_and_implied_types_follow_the_control() {
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .build()
            .unwrap();
        let id = model.find_entity_type("t").unwrap();
        let values = [Value::String("a".into())];
        let write = |control: &EntityControl<'_>, metadata| {
            let mut out = Vec::new();
            let options = WriteOptions {
                metadata,
                ..WriteOptions::default()
            };
            let ty = model.entity_type(id);
            write_entity(
                &mut out,
                &model,
                id,
                ty.properties().zip(values.iter()),
                control,
                options,
            );
            String::from_utf8(out).unwrap()
        };
        let control = EntityControl {
            id: Some("http://h/ts('a')"),
            omit_type: true,
            ..EntityControl::default()
        };
        assert_eq!(
            write(&control, MetadataLevel::Minimal),
            r##"{"@odata.id":"http://h/ts('a')","id":"a"}"##
        );
        assert_eq!(
            write(&control, MetadataLevel::Full),
            r##"{"@odata.type":"#ns.t","@odata.id":"http://h/ts('a')","@odata.editLink":"http://h/ts('a')","id":"a"}"##
        );
        assert_eq!(write(&control, MetadataLevel::None), r#"{"id":"a"}"#);
    }
}
