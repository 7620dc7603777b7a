//! CSDL XML writer.

use std::borrow::Cow;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{CsdlVersion, DocumentOrder, Names, has_container, used_vocabularies};
use crate::edm::ExternalAnnotations;
use crate::edm::{
    Action, Annotation, AnnotationValue, ComplexType, EntityType, EnumType, Model,
    NavigationProperty, PrimitiveKind, Property, TypeDefinition, TypeKind, TypeRef,
};

type W = Writer<Vec<u8>>;
type Attrs<'a> = Vec<(&'static str, Cow<'a, str>)>;

const EDMX_NS: &str = "http://docs.oasis-open.org/odata/ns/edmx";
const EDM_NS: &str = "http://docs.oasis-open.org/odata/ns/edm";

/// The CSDL XML 4.01 `$metadata` document of `model`, pretty-printed with two-space
/// indentation, types in dependency order (see the [module documentation](super)).
///
/// ```
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
///
/// let model = ModelBuilder::new("example.shop")
///     .alias("shop")
///     .entity_type(
///         EntityTypeDef::new("product")
///             .key(["sku"])
///             .property(PropertyDef::new("sku", "Edm.String").not_null()),
///     )
///     .entity_set("products", "shop.product")
///     .build()
///     .expect("valid model");
/// let xml = odata_core::csdl::to_xml(&model);
/// assert!(xml.contains(r#"<EntitySet Name="products" EntityType="shop.product"/>"#));
/// ```
pub fn to_xml(model: &Model) -> String {
    to_xml_version(model, CsdlVersion::default())
}

/// [`to_xml`] declaring `version`.
pub fn to_xml_version(model: &Model, version: CsdlVersion) -> String {
    to_xml_placed(model, version, AnnotationPlacement::Inline)
}

/// Where the XML document writes annotations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AnnotationPlacement {
    /// As children of the annotated element, each term through its vocabulary's alias
    /// (`Core.Computed`).
    #[default]
    Inline,
    /// The annotations of types, of their properties and navigation properties and of the
    /// container's children in `<Annotations Target="…">` blocks after the container, and
    /// every term by its full name (`Org.OData.Core.V1.Computed`), also on parameters —
    /// except the schema's own annotations (`Core.SchemaVersion`), inline with aliases.
    External,
}

/// [`to_xml_version`] with annotations where `placement` puts them.
pub fn to_xml_placed(
    model: &Model,
    version: CsdlVersion,
    placement: AnnotationPlacement,
) -> String {
    let externalized;
    let model = match placement {
        AnnotationPlacement::Inline => model,
        AnnotationPlacement::External => {
            externalized = externalize(model);
            &externalized
        }
    };
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    XmlWriter {
        names: Names::new(model),
        model,
        version,
        full_terms: placement == AnnotationPlacement::External,
    }
    .document(&mut w)
    .expect("writing to a Vec<u8> cannot fail");
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    // Every input is a `&str` and the writer only adds ASCII, so this is valid UTF-8.
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

struct XmlWriter<'m> {
    names: Names<'m>,
    model: &'m Model,
    version: CsdlVersion,
    /// Terms and enum members by their full names, not through aliases.
    full_terms: bool,
}

/// `model` with the annotations of its types, their properties and navigation properties
/// and the container's children moved into external annotations, one block per target in
/// document order, before the external annotations it had.
fn externalize(model: &Model) -> Model {
    let mut out = model.clone();
    let mut blocks = Vec::new();
    let mut block = |target: String, annotations: &mut Vec<Annotation>| {
        if !annotations.is_empty() {
            blocks.push(ExternalAnnotations {
                target,
                annotations: std::mem::take(annotations),
            });
        }
    };
    for ty in &mut out.complex_types {
        block(ty.qualified_name.clone(), &mut ty.annotations);
        for p in &mut ty.declared_properties {
            block(
                format!("{}/{}", ty.qualified_name, p.name),
                &mut p.annotations,
            );
        }
    }
    for ty in &mut out.entity_types {
        block(ty.qualified_name.clone(), &mut ty.annotations);
        for p in &mut ty.declared_properties {
            block(
                format!("{}/{}", ty.qualified_name, p.name),
                &mut p.annotations,
            );
        }
        for n in &mut ty.declared_navigation {
            block(
                format!("{}/{}", ty.qualified_name, n.name),
                &mut n.annotations,
            );
        }
    }
    let container = format!("{}.{}", out.namespace, out.container.name);
    block(container.clone(), &mut out.container.annotations);
    for set in &mut out.container.entity_sets {
        block(format!("{container}/{}", set.name), &mut set.annotations);
    }
    for singleton in &mut out.container.singletons {
        block(
            format!("{container}/{}", singleton.name),
            &mut singleton.annotations,
        );
    }
    blocks.append(&mut out.external_annotations);
    out.external_annotations = blocks;
    out
}

/// An element without children.
fn leaf(w: &mut W, name: &str, attrs: Attrs<'_>) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attrs)
        .write_empty()?;
    Ok(())
}

/// An element with children written by `body`.
fn node(
    w: &mut W,
    name: &str,
    attrs: Attrs<'_>,
    body: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attrs)
        .write_inner_content(body)?;
    Ok(())
}

/// Facet attributes of a type reference (defaults omitted); a type definition's facets are
/// written on the definition only.
fn facets(attrs: &mut Attrs<'_>, type_ref: &TypeRef) {
    if type_ref.definition.is_some() {
        return;
    }
    if let Some(n) = type_ref.max_length {
        attrs.push(("MaxLength", n.to_string().into()));
    }
    if let Some(n) = type_ref.precision {
        attrs.push(("Precision", n.to_string().into()));
    }
    if let Some(n) = type_ref.scale {
        attrs.push(("Scale", n.to_string().into()));
    }
    if type_ref.unicode == Some(false) {
        attrs.push(("Unicode", "false".into()));
    }
    if let Some(n) = type_ref.srid {
        attrs.push(("SRID", n.to_string().into()));
    }
}

fn flag(attrs: &mut Attrs<'_>, name: &'static str, value: bool) {
    if value {
        attrs.push((name, "true".into()));
    }
}

impl<'m> XmlWriter<'m> {
    fn document(&self, w: &mut W) -> io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let attrs: Attrs<'_> = vec![
            ("xmlns:edmx", EDMX_NS.into()),
            ("Version", self.version.as_str().into()),
        ];
        node(w, "edmx:Edmx", attrs, |w| {
            for vocabulary in used_vocabularies(self.model) {
                let uri = vocabulary.uri("xml");
                node(w, "edmx:Reference", vec![("Uri", uri.into())], |w| {
                    leaf(
                        w,
                        "edmx:Include",
                        vec![
                            ("Namespace", vocabulary.namespace.into()),
                            ("Alias", vocabulary.alias.into()),
                        ],
                    )
                })?;
            }
            node(w, "edmx:DataServices", Vec::new(), |w| self.schema(w))
        })
    }

    fn schema(&self, w: &mut W) -> io::Result<()> {
        let model = self.model;
        let mut attrs: Attrs<'_> = vec![
            ("xmlns", EDM_NS.into()),
            ("Namespace", model.namespace.as_str().into()),
        ];
        if let Some(alias) = &model.alias {
            attrs.push(("Alias", alias.as_str().into()));
        }
        let order = DocumentOrder::of(model);
        node(w, "Schema", attrs, |w| {
            for &id in &order.enums {
                self.enum_type(w, model.enum_type(id))?;
            }
            for t in &model.type_definitions {
                self.type_definition(w, t)?;
            }
            for &id in &order.complex {
                self.complex_type(w, model.complex_type(id))?;
            }
            for &id in &order.entities {
                self.entity_type(w, model.entity_type(id))?;
            }
            for action in &model.actions {
                self.operation(w, action, "Action")?;
            }
            for function in &model.functions {
                self.operation(w, function, "Function")?;
            }
            if has_container(model) {
                self.container(w)?;
            }
            self.annotations_with(w, &model.annotations, false)?;
            for external in &model.external_annotations {
                // CSDL requires at least one annotation in an `Annotations` element.
                if external.annotations.is_empty() {
                    continue;
                }
                let attrs: Attrs<'_> = vec![("Target", self.names.qualified(&external.target))];
                node(w, "Annotations", attrs, |w| {
                    self.annotations(w, &external.annotations)
                })?;
            }
            Ok(())
        })
    }

    fn annotations(&self, w: &mut W, annotations: &[Annotation]) -> io::Result<()> {
        self.annotations_with(w, annotations, self.full_terms)
    }

    /// `full_terms`: each term by its full name rather than through its alias.
    fn annotations_with(
        &self,
        w: &mut W,
        annotations: &[Annotation],
        full_terms: bool,
    ) -> io::Result<()> {
        for a in annotations {
            let term = if full_terms {
                Cow::Borrowed(a.term.as_str())
            } else {
                self.names.term(a)
            };
            let mut attrs: Attrs<'_> = vec![("Term", term)];
            match self.constant(&a.value) {
                Some(attr) => {
                    attrs.push(attr);
                    leaf(w, "Annotation", attrs)?;
                }
                None => node(w, "Annotation", attrs, |w| self.expression(w, &a.value))?,
            }
        }
        Ok(())
    }

    /// The attribute form of a constant value (`Bool="true"`); `None` for collections and
    /// records, which are written as child elements.
    fn constant<'v>(&self, value: &'v AnnotationValue) -> Option<(&'static str, Cow<'v, str>)> {
        Some(match value {
            AnnotationValue::String(s) => ("String", s.as_str().into()),
            AnnotationValue::Bool(b) => ("Bool", b.to_string().into()),
            AnnotationValue::Int(i) => ("Int", i.to_string().into()),
            AnnotationValue::EnumMember(p) if self.full_terms => ("EnumMember", p.as_str().into()),
            AnnotationValue::EnumMember(p) => ("EnumMember", self.names.xml_enum_member(p).into()),
            AnnotationValue::NavigationPropertyPath(p) => {
                ("NavigationPropertyPath", p.as_str().into())
            }
            AnnotationValue::PropertyPath(p) => ("PropertyPath", p.as_str().into()),
            AnnotationValue::Collection(_) | AnnotationValue::Record(_) => return None,
        })
    }

    /// The element form of a value: `<String>a</String>` for a constant,
    /// `<Collection>…</Collection>`, `<Record><PropertyValue …/></Record>`.
    fn expression(&self, w: &mut W, value: &AnnotationValue) -> io::Result<()> {
        match value {
            AnnotationValue::Collection(items) if items.is_empty() => {
                leaf(w, "Collection", Vec::new())
            }
            AnnotationValue::Collection(items) => node(w, "Collection", Vec::new(), |w| {
                items.iter().try_for_each(|item| self.expression(w, item))
            }),
            AnnotationValue::Record(values) if values.is_empty() => leaf(w, "Record", Vec::new()),
            AnnotationValue::Record(values) => node(w, "Record", Vec::new(), |w| {
                for v in values {
                    let mut attrs: Attrs<'_> = vec![("Property", v.property.as_str().into())];
                    match self.constant(&v.value) {
                        Some(attr) => {
                            attrs.push(attr);
                            leaf(w, "PropertyValue", attrs)?;
                        }
                        None => node(w, "PropertyValue", attrs, |w| self.expression(w, &v.value))?,
                    }
                }
                Ok(())
            }),
            constant => {
                if let Some((name, text)) = self.constant(constant) {
                    w.create_element(name)
                        .write_text_content(BytesText::new(&text))?;
                }
                Ok(())
            }
        }
    }

    /// `leaf` when there are no annotations, else the element with its annotations.
    fn annotated(
        &self,
        w: &mut W,
        name: &str,
        attrs: Attrs<'_>,
        annotations: &[Annotation],
    ) -> io::Result<()> {
        if annotations.is_empty() {
            leaf(w, name, attrs)
        } else {
            node(w, name, attrs, |w| self.annotations(w, annotations))
        }
    }

    fn enum_type(&self, w: &mut W, e: &EnumType) -> io::Result<()> {
        let mut attrs: Attrs<'_> = vec![("Name", e.name.as_str().into())];
        if e.underlying_declared || e.underlying != PrimitiveKind::Int32 {
            attrs.push(("UnderlyingType", e.underlying.name().into()));
        }
        flag(&mut attrs, "IsFlags", e.is_flags);
        node(w, "EnumType", attrs, |w| {
            for m in &e.members {
                let attrs: Attrs<'_> = vec![
                    ("Name", m.name.as_str().into()),
                    ("Value", m.value.to_string().into()),
                ];
                self.annotated(w, "Member", attrs, &m.annotations)?;
            }
            self.annotations(w, &e.annotations)
        })
    }

    fn property(&self, w: &mut W, p: &Property) -> io::Result<()> {
        let mut attrs: Attrs<'_> = vec![
            ("Name", p.name.as_str().into()),
            ("Type", self.names.type_ref_name(&p.type_ref)),
        ];
        if !p.type_ref.nullable {
            attrs.push(("Nullable", "false".into()));
        }
        facets(&mut attrs, &p.type_ref);
        if let Some(default) = &p.default_value {
            attrs.push(("DefaultValue", default.as_str().into()));
        }
        self.annotated(w, "Property", attrs, &p.annotations)
    }

    fn type_definition(&self, w: &mut W, t: &TypeDefinition) -> io::Result<()> {
        let mut attrs: Attrs<'_> = vec![
            ("Name", t.name.as_str().into()),
            ("UnderlyingType", t.underlying.name().into()),
        ];
        facets(
            &mut attrs,
            &TypeRef {
                max_length: t.max_length,
                precision: t.precision,
                scale: t.scale,
                unicode: t.unicode,
                ..TypeRef::of(TypeKind::Primitive(t.underlying))
            },
        );
        self.annotated(w, "TypeDefinition", attrs, &t.annotations)
    }

    fn navigation(&self, w: &mut W, n: &NavigationProperty) -> io::Result<()> {
        let target = self.names.entity_name(n.target);
        let ty = if n.collection {
            format!("Collection({target})").into()
        } else {
            target
        };
        let mut attrs: Attrs<'_> = vec![("Name", n.name.as_str().into()), ("Type", ty)];
        if !n.collection && !n.nullable {
            attrs.push(("Nullable", "false".into()));
        }
        if let Some(partner) = &n.partner {
            attrs.push(("Partner", partner.as_str().into()));
        }
        flag(&mut attrs, "ContainsTarget", n.contains_target);
        if n.constraints.is_empty() && n.on_delete.is_none() {
            return self.annotated(w, "NavigationProperty", attrs, &n.annotations);
        }
        node(w, "NavigationProperty", attrs, |w| {
            for c in &n.constraints {
                leaf(
                    w,
                    "ReferentialConstraint",
                    vec![
                        ("Property", c.property.as_str().into()),
                        ("ReferencedProperty", c.referenced_property.as_str().into()),
                    ],
                )?;
            }
            if let Some(action) = n.on_delete {
                leaf(w, "OnDelete", vec![("Action", action.name().into())])?;
            }
            self.annotations(w, &n.annotations)
        })
    }

    fn structured_attrs(
        &self,
        name: &'m str,
        base: Option<Cow<'m, str>>,
        is_abstract: bool,
        is_open: bool,
    ) -> Attrs<'m> {
        let mut attrs: Attrs<'m> = vec![("Name", name.into())];
        if let Some(base) = base {
            attrs.push(("BaseType", base));
        }
        flag(&mut attrs, "Abstract", is_abstract);
        flag(&mut attrs, "OpenType", is_open);
        attrs
    }

    fn complex_type(&self, w: &mut W, c: &'m ComplexType) -> io::Result<()> {
        let base = c.base.map(|b| self.names.type_name(TypeKind::Complex(b)));
        let attrs = self.structured_attrs(&c.name, base, c.is_abstract, c.is_open);
        if c.declared_properties.is_empty() && c.annotations.is_empty() {
            return leaf(w, "ComplexType", attrs);
        }
        node(w, "ComplexType", attrs, |w| {
            for p in &c.declared_properties {
                self.property(w, p)?;
            }
            self.annotations(w, &c.annotations)
        })
    }

    fn entity_type(&self, w: &mut W, e: &'m EntityType) -> io::Result<()> {
        let base = e.base.map(|b| self.names.entity_name(b));
        let mut attrs = self.structured_attrs(&e.name, base, e.is_abstract, e.is_open);
        flag(&mut attrs, "HasStream", e.declares_stream);
        let has_key = e.declares_key && !e.key.is_empty();
        if !has_key
            && e.declared_properties.is_empty()
            && e.declared_stream_properties.is_empty()
            && e.declared_navigation.is_empty()
            && e.annotations.is_empty()
        {
            return leaf(w, "EntityType", attrs);
        }
        node(w, "EntityType", attrs, |w| {
            if has_key {
                node(w, "Key", Vec::new(), |w| {
                    for k in &e.key {
                        leaf(w, "PropertyRef", vec![("Name", k.as_str().into())])?;
                    }
                    Ok(())
                })?;
            }
            for p in &e.declared_properties {
                self.property(w, p)?;
            }
            // Stream properties follow the structural ones.
            for s in &e.declared_stream_properties {
                let attrs: Attrs<'_> = vec![
                    ("Name", s.name.as_str().into()),
                    ("Type", "Edm.Stream".into()),
                ];
                self.annotated(w, "Property", attrs, &s.annotations)?;
            }
            for n in &e.declared_navigation {
                self.navigation(w, n)?;
            }
            self.annotations(w, &e.annotations)
        })
    }

    /// An `Action` or `Function` element (`kind`).
    fn operation(&self, w: &mut W, a: &Action, kind: &str) -> io::Result<()> {
        let mut attrs: Attrs<'_> = vec![("Name", a.name.as_str().into())];
        flag(&mut attrs, "IsBound", a.is_bound);
        if let Some(path) = &a.entity_set_path {
            attrs.push(("EntitySetPath", path.as_str().into()));
        }
        if a.parameters.is_empty() && a.return_type.is_none() && a.annotations.is_empty() {
            return leaf(w, kind, attrs);
        }
        node(w, kind, attrs, |w| {
            for p in &a.parameters {
                let mut attrs: Attrs<'_> = vec![
                    ("Name", p.name.as_str().into()),
                    ("Type", self.names.type_ref_name(&p.type_ref)),
                ];
                if !p.type_ref.nullable {
                    attrs.push(("Nullable", "false".into()));
                }
                facets(&mut attrs, &p.type_ref);
                self.annotated(w, "Parameter", attrs, &p.annotations)?;
            }
            if let Some(r) = &a.return_type {
                let mut attrs: Attrs<'_> = vec![("Type", self.names.type_ref_name(r))];
                if !r.nullable {
                    attrs.push(("Nullable", "false".into()));
                }
                facets(&mut attrs, r);
                leaf(w, "ReturnType", attrs)?;
            }
            self.annotations(w, &a.annotations)
        })
    }

    fn container(&self, w: &mut W) -> io::Result<()> {
        let c = &self.model.container;
        node(
            w,
            "EntityContainer",
            vec![("Name", c.name.as_str().into())],
            |w| {
                // The schema wants the container's own annotations before its children.
                self.annotations(w, &c.annotations)?;
                for s in &c.entity_sets {
                    let attrs: Attrs<'_> = vec![
                        ("Name", s.name.as_str().into()),
                        ("EntityType", self.names.entity_name(s.entity_type)),
                    ];
                    if s.navigation_bindings.is_empty() {
                        self.annotated(w, "EntitySet", attrs, &s.annotations)?;
                        continue;
                    }
                    node(w, "EntitySet", attrs, |w| {
                        for (path, target) in &s.navigation_bindings {
                            leaf(
                                w,
                                "NavigationPropertyBinding",
                                vec![
                                    ("Path", path.as_str().into()),
                                    ("Target", target.as_str().into()),
                                ],
                            )?;
                        }
                        self.annotations(w, &s.annotations)
                    })?;
                }
                for s in &c.singletons {
                    let attrs: Attrs<'_> = vec![
                        ("Name", s.name.as_str().into()),
                        ("Type", self.names.entity_name(s.entity_type)),
                    ];
                    self.annotated(w, "Singleton", attrs, &s.annotations)?;
                }
                for import in &c.function_imports {
                    if let Some(function) = self.model.functions.get(import.function) {
                        let mut attrs: Attrs<'_> = vec![
                            ("Name", import.name.as_str().into()),
                            ("Function", function.qualified_name.as_str().into()),
                        ];
                        if let Some(set) = &import.entity_set {
                            attrs.push(("EntitySet", set.as_str().into()));
                        }
                        leaf(w, "FunctionImport", attrs)?;
                    }
                }
                for import in &c.action_imports {
                    if let Some(action) = self.model.actions.get(import.action) {
                        let attrs: Attrs<'_> = vec![
                            ("Name", import.name.as_str().into()),
                            ("Action", action.qualified_name.as_str().into()),
                        ];
                        leaf(w, "ActionImport", attrs)?;
                    }
                }
                Ok(())
            },
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use quick_xml::Reader;
    use quick_xml::XmlVersion;
    use quick_xml::events::Event;

    use super::to_xml;
    use crate::csdl::tests::sample;
    use crate::edm::{
        EntityTypeDef, EnumTypeDef, Model, ModelBuilder, NavigationDef, OnDeleteAction, PropertyDef,
    };

    /// Byte offset of `needle`, failing the test when it is missing.
    fn pos(xml: &str, needle: &str) -> usize {
        xml.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not in:\n{xml}"))
    }

    fn assert_in_order(xml: &str, needles: &[&str]) {
        let positions: Vec<usize> = needles.iter().map(|n| pos(xml, n)).collect();
        for (w, pair) in positions.windows(2).zip(needles.windows(2)) {
            assert!(w[0] < w[1], "`{}` must come before `{}`", pair[0], pair[1]);
        }
    }

    /// A media entity type and a stream property, as CSDL XML and JSON write them: the
    /// stream property after the structural ones, `HasStream` only where it is declared.
    #[test]
    fn writes_media_types_and_stream_properties() {
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("item")
                    .has_stream()
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .property(PropertyDef::new("photo", "Edm.Stream"))
                    .property(PropertyDef::new("name", "Edm.String")),
            )
            .entity_type(EntityTypeDef::new("special").base("ns.item"))
            .build()
            .unwrap();
        let xml = to_xml(&model);
        assert_in_order(
            &xml,
            &[
                r#"<EntityType Name="item" HasStream="true">"#,
                r#"<Property Name="name" Type="Edm.String"/>"#,
                r#"<Property Name="photo" Type="Edm.Stream"/>"#,
                r#"<EntityType Name="special" BaseType="ns.item"/>"#,
            ],
        );
        let item = model.entity_type(model.find_entity_type("item").unwrap());
        assert!(
            item.property("photo").is_none(),
            "not a structural property"
        );
        assert!(item.stream_property("photo").is_some());
        let special = model.entity_type(model.find_entity_type("special").unwrap());
        assert!(special.has_stream && !special.declares_stream);
        assert!(special.stream_property("photo").is_some(), "inherited");
        let json = crate::csdl::json::to_json(&model);
        assert_eq!(json["ns"]["item"]["$HasStream"], true);
        assert_eq!(json["ns"]["item"]["photo"]["$Type"], "Edm.Stream");
        assert!(json["ns"]["special"].get("$HasStream").is_none());
        let duplicate = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("item")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .property(PropertyDef::new("id", "Edm.Stream")),
            )
            .build();
        assert!(
            duplicate.is_err(),
            "a stream property named like a property"
        );
    }

    #[test]
    fn types_come_in_dependency_order() {
        let xml = to_xml(&sample());
        assert_in_order(
            &xml,
            &[
                r#"<EnumType Name="capability""#,
                r#"<EnumType Name="state""#,
                r#"<ComplexType Name="geoPoint""#,
                r#"<ComplexType Name="address""#,
                r#"<ComplexType Name="postalAddress""#,
                r#"<ComplexType Name="location""#,
                r#"<EntityType Name="entity""#,
                r#"<EntityType Name="device""#,
                r#"<EntityType Name="phone""#,
                r#"<EntityType Name="user""#,
                r#"<EntityType Name="event""#,
                r#"<Action Name="assignUser""#,
                r#"<Action Name="resetAll""#,
                r#"<EntityContainer Name="Service">"#,
            ],
        );
        assert_eq!(xml, to_xml(&sample()), "output is deterministic");
    }

    #[test]
    fn writes_header_reference_and_schema() {
        let xml = to_xml(&sample());
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<edmx:Edmx \
             xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.01\">\n  <edmx:Reference \
             Uri=\"https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml\">\n    \
             <edmx:Include Namespace=\"Org.OData.Core.V1\" Alias=\"Core\"/>\n  </edmx:Reference>\n  \
             <edmx:DataServices>\n    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" \
             Namespace=\"example.devices\" Alias=\"dev\">\n"
        ));
        assert!(xml.ends_with("    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n"));
    }

    #[test]
    fn writes_types_members_and_facets() {
        let xml = to_xml(&sample());
        for line in [
            r#"<EnumType Name="capability" UnderlyingType="Edm.Int64" IsFlags="true">"#,
            r#"<Member Name="gps" Value="2"/>"#,
            r#"<EnumType Name="state">"#,
            r#"<ComplexType Name="address" Abstract="true">"#,
            r#"<ComplexType Name="postalAddress" BaseType="dev.address">"#,
            r#"<Property Name="postalCode" Type="Edm.String" MaxLength="10"/>"#,
            r#"<Property Name="latitude" Type="Edm.Decimal" Nullable="false" Precision="9" Scale="6"/>"#,
            r#"<Property Name="point" Type="dev.geoPoint"/>"#,
            r#"<Property Name="trail" Type="Collection(dev.geoPoint)"/>"#,
            r#"<EntityType Name="entity" Abstract="true">"#,
            r#"<EntityType Name="device" BaseType="dev.entity" OpenType="true">"#,
            r#"<Property Name="tags" Type="Collection(Edm.String)"/>"#,
            r#"<Property Name="state" Type="dev.state" Nullable="false"/>"#,
            r#"<Property Name="number" Type="Edm.String" Unicode="false"/>"#,
            r#"<NavigationProperty Name="owner" Type="dev.user" Nullable="false" Partner="devices"/>"#,
            r#"<NavigationProperty Name="events" Type="Collection(dev.event)" ContainsTarget="true"/>"#,
            r#"<NavigationProperty Name="devices" Type="Collection(dev.device)" Partner="owner"/>"#,
            r#"<Action Name="assignUser" IsBound="true">"#,
            r#"<Parameter Name="bindingParameter" Type="dev.device"/>"#,
            r#"<Parameter Name="userId" Type="Edm.String" Nullable="false"/>"#,
            r#"<Parameter Name="slots" Type="Collection(Edm.Int32)"/>"#,
            r#"<ReturnType Type="dev.user"/>"#,
            r#"<Parameter Name="devices" Type="Collection(dev.device)"/>"#,
            r#"<EntitySet Name="devices" EntityType="dev.device"/>"#,
            r#"<Singleton Name="me" Type="dev.user"/>"#,
        ] {
            pos(&xml, line);
        }
        // The key is written only where it is declared.
        assert_eq!(xml.matches("<Key>").count(), 2);
        assert_in_order(
            &xml,
            &[
                r#"<EntityType Name="entity""#,
                r#"<PropertyRef Name="id"/>"#,
                r#"<EntityType Name="device""#,
            ],
        );
        assert!(!xml.contains("Nullable=\"true\""));
        assert!(!xml.contains("microsoft") && !xml.contains("example.devices."));
    }

    #[test]
    fn writes_annotations_with_core_alias() {
        let xml = to_xml(&sample());
        assert_in_order(
            &xml,
            &[
                r#"<Property Name="createdDateTime" Type="Edm.DateTimeOffset" Nullable="false">"#,
                r#"<Annotation Term="Core.Computed" Bool="true"/>"#,
                r#"<Property Name="serialNumber" Type="Edm.String">"#,
                r#"<Annotation Term="Core.Permissions" EnumMember="Core.Permission/Read"/>"#,
                r#"<Property Name="password" Type="Edm.String">"#,
                r#"<Annotation Term="Core.Permissions" EnumMember="Core.Permission/Write"/>"#,
                r#"<NavigationProperty Name="owner""#,
            ],
        );
        pos(
            &xml,
            r#"<Annotation Term="Core.Description" String="A person"/>"#,
        );
        pos(
            &xml,
            r#"<Annotation Term="Core.Description" String="Lifecycle state"/>"#,
        );
        assert!(!xml.contains("Org.OData.Core.V1.Description"));
    }

    #[test]
    fn writes_container_set_singleton_and_external_annotations() {
        let xml = to_xml(&crate::csdl::tests::annotated_sample());
        assert_in_order(
            &xml,
            &[
                r#"<edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>"#,
                r#"<edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">"#,
                r#"<edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>"#,
                r#"<EntityContainer Name="Service">"#,
                r#"<Annotation Term="Core.ODataVersions" String="4.0 4.01"/>"#,
                r#"<Annotation Term="Capabilities.ConformanceLevel" EnumMember="Capabilities.ConformanceLevelType/Minimal"/>"#,
                r#"<Annotation Term="Capabilities.BatchSupported" Bool="false"/>"#,
                "<Annotation Term=\"Capabilities.FilterFunctions\">\n          <Collection>\n            \
                 <String>eq</String>\n            <String>contains</String>\n          </Collection>",
                r#"<EntitySet Name="devices" EntityType="dev.device">"#,
                "<Annotation Term=\"Capabilities.ExpandRestrictions\">\n            <Record>",
                r#"<PropertyValue Property="Expandable" Bool="true"/>"#,
                r#"<PropertyValue Property="MaxLevels" Int="4"/>"#,
                r#"<PropertyValue Property="NonExpandableProperties">"#,
                "<NavigationPropertyPath>events</NavigationPropertyPath>",
                r#"<Annotation Term="Capabilities.TopSupported" Bool="true"/>"#,
                "</EntitySet>",
                r#"<EntitySet Name="users" EntityType="dev.user"/>"#,
                r#"<Singleton Name="me" Type="dev.user">"#,
                r#"<PropertyValue Property="NavigationProperty" NavigationPropertyPath="devices"/>"#,
                "</Singleton>",
                "</EntityContainer>",
                r#"<Annotations Target="dev.Service/me/devices">"#,
                r#"<PropertyValue Property="Countable" Bool="true"/>"#,
                "</Annotations>",
                "</Schema>",
            ],
        );
        // No element for a target without annotations: CSDL requires at least one.
        assert!(!xml.contains("dev.Service/users"));
    }

    #[test]
    fn escapes_attribute_values() {
        let xml = to_xml(&sample());
        pos(
            &xml,
            r#"String="Name shown &lt;to&gt; users &amp; &quot;admins&quot;""#,
        );
        // The document is well-formed and the value reads back unchanged.
        let mut reader = Reader::from_str(&xml);
        let mut descriptions = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Eof => break,
                Event::Empty(e) if e.name().as_ref() == "Annotation" => {
                    if let Some(a) = e.try_get_attribute("String").unwrap() {
                        let value = a.normalized_value(XmlVersion::Implicit1_0).unwrap();
                        descriptions.push(value.into_owned());
                    }
                }
                _ => {}
            }
        }
        assert!(descriptions.contains(&r#"Name shown <to> users & "admins""#.to_owned()));
    }

    #[test]
    fn minimal_model_without_alias_or_annotations() {
        let model = ModelBuilder::new("ns")
            .enum_type(EnumTypeDef::new("color").member("red", 0))
            .entity_type(
                EntityTypeDef::new("thing")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Guid").not_null())
                    .property(PropertyDef::new("color", "ns.color")),
            )
            .entity_set("things", "thing")
            .build()
            .unwrap();
        let expected = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.01">
  <edmx:DataServices>
    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="ns">
      <EnumType Name="color">
        <Member Name="red" Value="0"/>
      </EnumType>
      <EntityType Name="thing">
        <Key>
          <PropertyRef Name="id"/>
        </Key>
        <Property Name="id" Type="Edm.Guid" Nullable="false"/>
        <Property Name="color" Type="ns.color"/>
      </EntityType>
      <EntityContainer Name="Container">
        <EntitySet Name="things" EntityType="ns.thing"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"#;
        assert_eq!(to_xml(&model), expected);
    }

    #[test]
    fn empty_container_is_omitted() {
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("thing")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null()),
            )
            .build()
            .unwrap();
        assert!(!to_xml(&model).contains("EntityContainer"));
    }

    /// A model whose `item` belongs to a `group` through the foreign key `groupId`, and
    /// whose groups delete their items.
    pub(crate) fn constrained() -> Model {
        ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("group")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .navigation(
                        NavigationDef::new("items", "Collection(ns.item)")
                            .partner("group")
                            .on_delete(OnDeleteAction::Cascade),
                    ),
            )
            .entity_type(
                EntityTypeDef::new("item")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .property(PropertyDef::new("groupId", "Edm.Int32"))
                    .navigation(
                        NavigationDef::new("group", "ns.group")
                            .partner("items")
                            .constraint("groupId", "id"),
                    ),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn writes_referential_constraints_and_on_delete() {
        let xml = to_xml(&constrained());
        for expected in [
            "<NavigationProperty Name=\"items\" Type=\"Collection(ns.item)\" Partner=\"group\">\n          \
             <OnDelete Action=\"Cascade\"/>\n        </NavigationProperty>",
            "<NavigationProperty Name=\"group\" Type=\"ns.group\" Partner=\"items\">\n          \
             <ReferentialConstraint Property=\"groupId\" ReferencedProperty=\"id\"/>\n        \
             </NavigationProperty>",
        ] {
            assert!(xml.contains(expected), "{expected} in {xml}");
        }
    }

    #[test]
    fn constraints_must_pair_properties_of_one_type() {
        let build = |constraint: (&str, &str), ty: &str| {
            ModelBuilder::new("ns")
                .entity_type(
                    EntityTypeDef::new("group")
                        .key(["id"])
                        .property(PropertyDef::new("id", "Edm.Int32").not_null()),
                )
                .entity_type(
                    EntityTypeDef::new("item")
                        .key(["id"])
                        .property(PropertyDef::new("id", "Edm.Int32").not_null())
                        .property(PropertyDef::new("groupId", ty))
                        .navigation(
                            NavigationDef::new("group", "ns.group")
                                .constraint(constraint.0, constraint.1),
                        ),
                )
                .build()
        };
        assert!(build(("groupId", "id"), "Edm.Int32").is_ok());
        for (constraint, ty, reason) in [
            (
                ("nope", "id"),
                "Edm.Int32",
                "'nope' is not a property of the type",
            ),
            (
                ("groupId", "nope"),
                "Edm.Int32",
                "'nope' is not a property of 'ns.group'",
            ),
            (
                ("groupId", "id"),
                "Edm.String",
                "not of the same primitive type",
            ),
        ] {
            let error = build(constraint, ty).unwrap_err().to_string();
            assert!(error.contains(reason), "{error}");
        }
    }

    /// A model with an annotated property and entity set, a navigation property binding
    /// and a non-nullable bound function.
    fn placed() -> Result<Model, crate::edm::ModelError> {
        ModelBuilder::new("ns")
            .annotate(crate::edm::Annotation::schema_version("2"))
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(
                        PropertyDef::new("id", "Edm.Int32")
                            .not_null()
                            .annotate(crate::edm::Annotation::computed()),
                    )
                    .navigation(NavigationDef::new("next", "ns.t")),
            )
            .function(
                crate::edm::ActionDef::new("f")
                    .non_nullable()
                    .bound_to("bindingParameter", "ns.t")
                    .returns("Edm.Int32"),
            )
            .entity_set("ts", "ns.t")
            .navigation_binding("ts", "next", "ts")
            .build()
    }

    #[test]
    fn external_placement_moves_annotations_into_blocks_with_full_term_names() {
        let model = placed().unwrap();
        let inline = super::to_xml(&model);
        assert!(inline.contains(r#"<Annotation Term="Core.Computed" Bool="true"/>"#));
        let external = super::to_xml_placed(
            &model,
            crate::csdl::CsdlVersion::V4_01,
            super::AnnotationPlacement::External,
        );
        for expected in [
            r#"<Property Name="id" Type="Edm.Int32" Nullable="false"/>"#,
            "<Annotations Target=\"ns.t/id\">\n        \
             <Annotation Term=\"Org.OData.Core.V1.Computed\" Bool=\"true\"/>",
            r#"<Annotation Term="Core.SchemaVersion" String="2"/>"#,
            r#"<NavigationPropertyBinding Path="next" Target="ts"/>"#,
            r#"<Parameter Name="bindingParameter" Type="ns.t" Nullable="false"/>"#,
            r#"<ReturnType Type="Edm.Int32" Nullable="false"/>"#,
        ] {
            assert!(external.contains(expected), "{expected} in {external}");
        }
    }

    #[test]
    fn navigation_bindings_name_sets_and_navigation_properties() {
        assert!(placed().is_ok());
        let build = |path: &str, target: &str| {
            ModelBuilder::new("ns")
                .entity_type(
                    EntityTypeDef::new("t")
                        .key(["id"])
                        .property(PropertyDef::new("id", "Edm.Int32").not_null())
                        .navigation(NavigationDef::new("next", "ns.t")),
                )
                .entity_set("ts", "ns.t")
                .navigation_binding("ts", path, target)
                .build()
        };
        assert!(build("next", "ts").is_ok());
        for (path, target) in [("nope", "ts"), ("next", "nowhere")] {
            assert!(
                matches!(
                    build(path, target),
                    Err(crate::edm::ModelError::InvalidBinding { .. })
                ),
                "{path} → {target}"
            );
        }
    }
}
