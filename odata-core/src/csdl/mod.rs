//! CSDL writers: the `$metadata` document of a [`Model`] as CSDL XML ([`to_xml`]) and as
//! CSDL JSON ([`to_json`]), both OData 4.01.
//!
//! Both writers share one document order, which is part of the contract: code generators
//! (odata2ts and friends) emit classes in document order and break when a type appears
//! before a type it depends on. The order is
//!
//! 1. enumeration types, in declaration order;
//! 2. complex types, a base type before the types derived from it and a complex type used
//!    by a property of another complex type before that user;
//! 3. entity types, a base type before the types derived from it (navigation targets do not
//!    constrain the order: navigations may form cycles);
//! 4. actions, then functions, each in declaration order;
//! 5. the entity container.
//!
//! Within those constraints declaration order is kept: among the types whose dependencies
//! are already written, the one declared first comes next (a stable topological sort).
//! Property cycles between complex types (legal in CSDL) are broken at the first declared
//! type whose base type is already written. The output is deterministic.
//!
//! Type names are qualified with the schema alias when the model has one (`graph.entity`,
//! `Collection(graph.x)`), as Microsoft Graph does, else with the namespace. Terms and enum
//! member paths of the standard vocabularies the writers know (Core, Capabilities) use
//! their usual aliases (`Core`, `Capabilities`), declared by the vocabulary references that
//! both documents include for each vocabulary some annotation uses.
//!
//! Annotations are written where they apply: on types, properties, navigation properties,
//! actions, the entity container, entity sets and singletons; annotations whose target has
//! no element of its own ([`crate::edm::ExternalAnnotations`]) follow the container, as
//! `<Annotations Target="…">` elements (XML) and the schema's `$Annotations` (JSON).

mod json;
mod xml;

use std::borrow::Cow;
use std::collections::BTreeSet;

pub use json::{to_json, to_json_placed, to_json_version};
pub use xml::{AnnotationPlacement, to_xml, to_xml_placed, to_xml_version};

use crate::edm::{
    Annotation, CAPABILITIES, CORE, ComplexTypeId, EntityTypeId, EnumTypeId, Model, TypeKind,
    TypeRef,
};

/// The CSDL version a document declares: 4.01 by default, 4.0 for a client that speaks
/// OData 4.0 only (`OData-MaxVersion: 4.0`). The model's elements are the same in both;
/// only the declared version differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsdlVersion {
    /// CSDL 4.0.
    V4_0,
    /// CSDL 4.01.
    #[default]
    V4_01,
}

impl CsdlVersion {
    fn as_str(self) -> &'static str {
        match self {
            Self::V4_0 => "4.0",
            Self::V4_01 => "4.01",
        }
    }
}

/// A standard vocabulary the documents can reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Vocabulary {
    /// Its namespace, e.g. `Org.OData.Core.V1`.
    namespace: &'static str,
    /// The alias it is included under and its terms are written with.
    alias: &'static str,
}

impl Vocabulary {
    /// Where the vocabulary is published, in the format with this extension (`xml`,
    /// `json`).
    fn uri(self, extension: &str) -> String {
        format!(
            "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/{}.{extension}",
            self.namespace
        )
    }
}

/// The vocabularies the writers know, in the order their references are written.
const VOCABULARIES: [Vocabulary; 2] = [
    Vocabulary {
        namespace: CORE,
        alias: "Core",
    },
    Vocabulary {
        namespace: CAPABILITIES,
        alias: "Capabilities",
    },
];

/// Naming rules shared by both writers.
struct Names<'m> {
    model: &'m Model,
    /// The alias when the model has one, else the namespace.
    qualifier: &'m str,
}

impl<'m> Names<'m> {
    fn new(model: &'m Model) -> Self {
        Self {
            model,
            qualifier: model.alias.as_deref().unwrap_or(&model.namespace),
        }
    }

    /// Qualified name of a type, with the alias when there is one (`graph.entity`).
    fn type_name(&self, kind: TypeKind) -> Cow<'m, str> {
        let local = match kind {
            TypeKind::Primitive(p) => return Cow::Borrowed(p.name()),
            TypeKind::Enum(id) => &self.model.enum_type(id).name,
            TypeKind::Complex(id) => &self.model.complex_type(id).name,
            TypeKind::Entity(id) => &self.model.entity_type(id).name,
        };
        Cow::Owned(format!("{}.{local}", self.qualifier))
    }

    /// XML spelling of a type reference: `Collection(graph.x)` for collections.
    fn type_ref_name(&self, type_ref: &TypeRef) -> Cow<'m, str> {
        let name = match type_ref.definition {
            Some(id) => Cow::Owned(format!(
                "{}.{}",
                self.qualifier,
                self.model.type_definition(id).name
            )),
            None => self.type_name(type_ref.kind),
        };
        if type_ref.collection {
            Cow::Owned(format!("Collection({name})"))
        } else {
            name
        }
    }

    /// Qualified name of an entity type.
    fn entity_name(&self, id: EntityTypeId) -> Cow<'m, str> {
        self.type_name(TypeKind::Entity(id))
    }

    /// A qualified name of a model element or vocabulary term, rewritten to use the
    /// vocabulary aliases and the schema alias: `Org.OData.Core.V1.Description` →
    /// `Core.Description`.
    fn qualified<'a>(&self, name: &'a str) -> Cow<'a, str> {
        for vocabulary in VOCABULARIES {
            if let Some(rest) = name
                .strip_prefix(vocabulary.namespace)
                .and_then(|r| r.strip_prefix('.'))
            {
                return Cow::Owned(format!("{}.{rest}", vocabulary.alias));
            }
        }
        if let Some(alias) = &self.model.alias
            && let Some(rest) = name
                .strip_prefix(self.model.namespace.as_str())
                .and_then(|r| r.strip_prefix('.'))
        {
            return Cow::Owned(format!("{alias}.{rest}"));
        }
        Cow::Borrowed(name)
    }

    /// The annotation term as written in both documents (`Core.Description`).
    fn term<'a>(&self, annotation: &'a Annotation) -> Cow<'a, str> {
        self.qualified(&annotation.term)
    }

    /// An XML `EnumMember` value: space-separated `Type/Member` paths with aliases applied.
    fn xml_enum_member(&self, paths: &str) -> String {
        paths
            .split_whitespace()
            .map(|path| match path.split_once('/') {
                Some((ty, member)) => format!("{}/{member}", self.qualified(ty)),
                None => path.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A JSON enumeration value: the member names of the `Type/Member` paths, comma-separated.
fn json_enum_member(paths: &str) -> String {
    paths
        .split_whitespace()
        .map(|path| path.rsplit_once('/').map_or(path, |(_, member)| member))
        .collect::<Vec<_>>()
        .join(",")
}

/// Every annotation anywhere in the model.
fn all_annotations(model: &Model) -> impl Iterator<Item = &Annotation> {
    let enums = model.enum_types.iter().flat_map(|e| {
        e.annotations
            .iter()
            .chain(e.members.iter().flat_map(|m| &m.annotations))
    });
    let definitions = model.type_definitions.iter().flat_map(|t| &t.annotations);
    let complex = model.complex_types.iter().flat_map(|c| {
        c.annotations
            .iter()
            .chain(c.declared_properties.iter().flat_map(|p| &p.annotations))
    });
    let entities = model.entity_types.iter().flat_map(|e| {
        e.annotations
            .iter()
            .chain(e.declared_properties.iter().flat_map(|p| &p.annotations))
            .chain(e.declared_navigation.iter().flat_map(|n| &n.annotations))
    });
    let actions = model.actions.iter().chain(&model.functions).flat_map(|a| {
        a.annotations
            .iter()
            .chain(a.parameters.iter().flat_map(|p| &p.annotations))
    });
    let container = &model.container;
    let container = container
        .annotations
        .iter()
        .chain(container.entity_sets.iter().flat_map(|s| &s.annotations))
        .chain(container.singletons.iter().flat_map(|s| &s.annotations));
    let external = model
        .external_annotations
        .iter()
        .flat_map(|e| &e.annotations)
        .chain(&model.annotations);
    enums
        .chain(definitions)
        .chain(complex)
        .chain(entities)
        .chain(actions)
        .chain(container)
        .chain(external)
}

/// The vocabularies whose terms or enumerations some annotation uses, which the document
/// must therefore reference, in [`VOCABULARIES`] order.
fn used_vocabularies(model: &Model) -> Vec<Vocabulary> {
    VOCABULARIES
        .into_iter()
        .filter(|vocabulary| {
            let prefix = format!("{}.", vocabulary.namespace);
            all_annotations(model).any(|a| {
                a.term.starts_with(&prefix)
                    || a.value
                        .enum_members()
                        .iter()
                        .any(|paths| paths.contains(&prefix))
            })
        })
        .collect()
}

/// True when the container has anything to write (CSDL requires at least one child).
fn has_container(model: &Model) -> bool {
    let c = &model.container;
    !c.entity_sets.is_empty()
        || !c.singletons.is_empty()
        || !c.function_imports.is_empty()
        || !c.action_imports.is_empty()
}

/// The order in which both writers emit the schema's types.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DocumentOrder {
    enums: Vec<EnumTypeId>,
    complex: Vec<ComplexTypeId>,
    entities: Vec<EntityTypeId>,
}

impl DocumentOrder {
    fn of(model: &Model) -> Self {
        let complex_deps: Vec<Deps> = model
            .complex_types
            .iter()
            .map(|c| Deps {
                hard: c.base.map(|b| b.0),
                soft: c
                    .declared_properties
                    .iter()
                    .filter_map(|p| match p.type_ref.kind {
                        TypeKind::Complex(id) => Some(id.0),
                        _ => None,
                    })
                    .collect(),
            })
            .collect();
        let entity_deps: Vec<Deps> = model
            .entity_types
            .iter()
            .map(|e| Deps {
                hard: e.base.map(|b| b.0),
                soft: Vec::new(),
            })
            .collect();
        Self {
            enums: (0..model.enum_types.len()).map(EnumTypeId).collect(),
            complex: stable_topological_order(&complex_deps)
                .into_iter()
                .map(ComplexTypeId)
                .collect(),
            entities: stable_topological_order(&entity_deps)
                .into_iter()
                .map(EntityTypeId)
                .collect(),
        }
    }
}

/// What one type must follow: its base type (never part of a cycle, the model rejects
/// inheritance cycles) and the types it uses (which may form cycles).
struct Deps {
    hard: Option<usize>,
    soft: Vec<usize>,
}

/// Orders `0..deps.len()` so that every node comes after its dependencies, picking the
/// lowest-index ready node each time. When only cycles of soft dependencies remain, the
/// lowest-index node whose hard dependency is satisfied goes next.
fn stable_topological_order(deps: &[Deps]) -> Vec<usize> {
    let n = deps.len();
    // Distinct dependencies of each node, self-references dropped.
    let edges: Vec<BTreeSet<usize>> = deps
        .iter()
        .enumerate()
        .map(|(i, d)| {
            d.hard
                .iter()
                .chain(&d.soft)
                .copied()
                .filter(|&j| j != i && j < n)
                .collect()
        })
        .collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        for &j in e {
            dependents[j].push(i);
        }
    }
    let mut pending: Vec<usize> = edges.iter().map(BTreeSet::len).collect();
    let mut done = vec![false; n];
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = match ready.pop_first() {
            Some(i) => i,
            // Only cycles are left: break one at the first node whose base is written.
            None => match (0..n)
                .find(|&i| !done[i] && deps[i].hard.is_none_or(|b| b >= n || b == i || done[b]))
            {
                Some(i) => i,
                // Unreachable for a validated model (no inheritance cycles); write the
                // rest in declaration order rather than loop forever.
                None => match (0..n).find(|&i| !done[i]) {
                    Some(i) => i,
                    None => break,
                },
            },
        };
        if done[next] {
            continue;
        }
        done[next] = true;
        order.push(next);
        for &d in &dependents[next] {
            if !done[d] {
                pending[d] -= 1;
                if pending[d] == 0 {
                    ready.insert(d);
                }
            }
        }
    }
    order
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::edm::{
        ActionDef, Annotation, ComplexTypeDef, EntityTypeDef, EnumTypeDef, ModelBuilder,
        NavigationDef, PrimitiveKind, PropertyDef,
    };

    /// A small model declared deliberately in the wrong order: derived types before their
    /// bases, users before the complex types they use.
    pub(crate) fn sample() -> Model {
        ModelBuilder::new("example.devices")
            .alias("dev")
            .container_name("Service")
            .enum_type(
                EnumTypeDef::new("capability")
                    .flags()
                    .underlying(PrimitiveKind::Int64)
                    .member("none", 0)
                    .member("camera", 1)
                    .member("gps", 2),
            )
            .enum_type(
                EnumTypeDef::new("state")
                    .member("unknown", 0)
                    .member("active", 1)
                    .annotate(Annotation::description("Lifecycle state")),
            )
            // Derived complex type declared before its base.
            .complex_type(
                ComplexTypeDef::new("postalAddress")
                    .base("dev.address")
                    .property(PropertyDef::new("postalCode", "Edm.String").max_length(10)),
            )
            // Uses `address` and `geoPoint`, both declared later.
            .complex_type(
                ComplexTypeDef::new("location")
                    .property(PropertyDef::new("address", "dev.address"))
                    .property(PropertyDef::new("trail", "Collection(dev.geoPoint)")),
            )
            .complex_type(
                ComplexTypeDef::new("address")
                    .abstract_type()
                    .property(PropertyDef::new("street", "Edm.String"))
                    .property(PropertyDef::new("point", "example.devices.geoPoint")),
            )
            .complex_type(
                ComplexTypeDef::new("geoPoint")
                    .property(
                        PropertyDef::new("latitude", "Edm.Decimal")
                            .not_null()
                            .precision(9, Some(6)),
                    )
                    .property(PropertyDef::new("longitude", "Edm.Double").not_null()),
            )
            // Grandchild, child, then the abstract root with the key.
            .entity_type(
                EntityTypeDef::new("phone")
                    .base("dev.device")
                    .property(PropertyDef::new("number", "Edm.String").unicode(false)),
            )
            .entity_type(
                EntityTypeDef::new("device")
                    .base("dev.entity")
                    .open_type()
                    .property(
                        PropertyDef::new("displayName", "Edm.String")
                            .description(r#"Name shown <to> users & "admins""#),
                    )
                    .property(PropertyDef::new("state", "dev.state").not_null())
                    .property(PropertyDef::new("capabilities", "dev.capability").not_null())
                    .property(PropertyDef::new("tags", "Collection(Edm.String)"))
                    .property(PropertyDef::new("location", "dev.location"))
                    .property(
                        PropertyDef::new("createdDateTime", "Edm.DateTimeOffset")
                            .not_null()
                            .annotate(Annotation::computed()),
                    )
                    .property(
                        PropertyDef::new("serialNumber", "Edm.String")
                            .annotate(Annotation::read_only()),
                    )
                    .property(
                        PropertyDef::new("password", "Edm.String")
                            .annotate(Annotation::write_only()),
                    )
                    .navigation(
                        NavigationDef::new("owner", "dev.user")
                            .not_null()
                            .partner("devices"),
                    )
                    .navigation(NavigationDef::new("events", "Collection(dev.event)").contained()),
            )
            .entity_type(
                EntityTypeDef::new("entity")
                    .abstract_type()
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .entity_type(
                EntityTypeDef::new("user")
                    .base("dev.entity")
                    .navigation(
                        NavigationDef::new("devices", "Collection(dev.device)").partner("owner"),
                    )
                    .annotate(Annotation::description("A person")),
            )
            .entity_type(
                EntityTypeDef::new("event")
                    .key(["eventId"])
                    .property(PropertyDef::new("eventId", "Edm.Int64").not_null())
                    .property(PropertyDef::new("duration", "Edm.Duration")),
            )
            .action(
                ActionDef::new("assignUser")
                    .bound_to("bindingParameter", "dev.device")
                    .parameter(PropertyDef::new("userId", "Edm.String").not_null())
                    .parameter(PropertyDef::new("slots", "Collection(Edm.Int32)"))
                    .returns("dev.user"),
            )
            .action(ActionDef::new("resetAll").bound_to("devices", "Collection(dev.device)"))
            .entity_set("devices", "dev.device")
            .entity_set("users", "dev.user")
            .singleton("me", "dev.user")
            .build()
            .unwrap()
    }

    /// [`sample`] with annotations of every value kind on the container, an entity set, a
    /// singleton and an external target.
    pub(crate) fn annotated_sample() -> Model {
        use crate::edm::{AnnotationValue as V, CAPABILITIES, ExternalAnnotations};
        let cap = |term: &str| format!("{CAPABILITIES}.{term}");
        let mut m = sample();
        m.container.annotations = vec![
            Annotation::new(
                format!("{CORE}.ODataVersions"),
                V::String("4.0 4.01".into()),
            ),
            Annotation::new(
                cap("ConformanceLevel"),
                V::EnumMember(format!("{CAPABILITIES}.ConformanceLevelType/Minimal")),
            ),
            Annotation::new(cap("BatchSupported"), V::Bool(false)),
            Annotation::new(cap("FilterFunctions"), V::strings(["eq", "contains"])),
        ];
        m.container.entity_sets[0].annotations = vec![
            Annotation::new(
                cap("ExpandRestrictions"),
                V::record([
                    ("Expandable", V::Bool(true)),
                    ("MaxLevels", V::Int(4)),
                    (
                        "NonExpandableProperties",
                        V::Collection(vec![V::NavigationPropertyPath("events".into())]),
                    ),
                ]),
            ),
            Annotation::new(cap("TopSupported"), V::Bool(true)),
        ];
        m.container.singletons[0].annotations = vec![Annotation::new(
            cap("NavigationRestrictions"),
            V::record([(
                "RestrictedProperties",
                V::Collection(vec![V::record([
                    (
                        "NavigationProperty",
                        V::NavigationPropertyPath("devices".into()),
                    ),
                    ("TopSupported", V::Bool(true)),
                ])]),
            )]),
        )];
        m.external_annotations = vec![
            ExternalAnnotations {
                target: "example.devices.Service/me/devices".into(),
                annotations: vec![Annotation::new(
                    cap("CountRestrictions"),
                    V::record([("Countable", V::Bool(true))]),
                )],
            },
            ExternalAnnotations {
                target: "example.devices.Service/users".into(),
                annotations: Vec::new(),
            },
        ];
        m
    }

    #[test]
    fn the_schema_carries_its_version() {
        let model = crate::edm::ModelBuilder::new("ns")
            .annotate(Annotation::schema_version("2.1"))
            .entity_type(
                crate::edm::EntityTypeDef::new("thing")
                    .key(["id"])
                    .property(crate::edm::PropertyDef::new("id", "Edm.Int32").not_null()),
            )
            .build()
            .unwrap();
        assert_eq!(model.schema_version(), Some("2.1"));
        assert_eq!(sample().schema_version(), None);
        assert_eq!(used_vocabularies(&model), [VOCABULARIES[0]]);
        let xml = to_xml(&model);
        assert!(
            xml.contains(
                "</EntityType>\n      <Annotation Term=\"Core.SchemaVersion\" String=\"2.1\"/>\n    </Schema>"
            ),
            "{xml}"
        );
        assert_eq!(
            to_json(&model)["ns"]["@Core.SchemaVersion"],
            serde_json::json!("2.1")
        );
    }

    #[test]
    fn vocabularies_are_referenced_when_used_nested_or_not() {
        let m = annotated_sample();
        assert_eq!(used_vocabularies(&m), VOCABULARIES);
        let names = Names::new(&m);
        assert_eq!(
            names.qualified("Org.OData.Capabilities.V1.ConformanceLevelType"),
            "Capabilities.ConformanceLevelType"
        );
        assert_eq!(
            names.qualified("example.devices.Service/me/devices"),
            "dev.Service/me/devices"
        );
        // An enum member of the vocabulary deep inside a record is enough.
        let mut only_nested = sample();
        only_nested.container.annotations = vec![Annotation::new(
            "other.Term",
            crate::edm::AnnotationValue::record([(
                "Level",
                crate::edm::AnnotationValue::EnumMember(format!(
                    "{CAPABILITIES}.ConformanceLevelType/Minimal"
                )),
            )]),
        )];
        assert_eq!(used_vocabularies(&only_nested), VOCABULARIES);
        assert_eq!(
            VOCABULARIES[1].uri("xml"),
            "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml"
        );
    }

    #[test]
    fn type_definitions_are_written_with_their_annotations() {
        let m = ModelBuilder::new("ns")
            .type_definition(
                crate::edm::TypeDefinitionDef::new("money", "Edm.Decimal")
                    .precision(10, Some(2))
                    .annotate(Annotation::description("An amount")),
            )
            .build()
            .unwrap();
        assert_eq!(used_vocabularies(&m), [VOCABULARIES[0]]);
        let xml = super::to_xml(&m);
        assert!(
            xml.contains(
                r#"<TypeDefinition Name="money" UnderlyingType="Edm.Decimal" Precision="10" Scale="2">"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<Annotation Term="Core.Description" String="An amount"/>"#));
        let json = super::to_json(&m);
        assert_eq!(
            json["ns"]["money"],
            serde_json::json!({
                "$Kind": "TypeDefinition", "$UnderlyingType": "Edm.Decimal",
                "$Precision": 10, "$Scale": 2, "@Core.Description": "An amount"
            })
        );
    }

    #[test]
    fn order_puts_dependencies_first_and_keeps_declaration_order_otherwise() {
        let m = sample();
        let order = DocumentOrder::of(&m);
        let complex: Vec<&str> = order
            .complex
            .iter()
            .map(|&id| m.complex_type(id).name.as_str())
            .collect();
        assert_eq!(
            complex,
            ["geoPoint", "address", "postalAddress", "location"]
        );
        let entities: Vec<&str> = order
            .entities
            .iter()
            .map(|&id| m.entity_type(id).name.as_str())
            .collect();
        assert_eq!(entities, ["entity", "device", "phone", "user", "event"]);
        assert_eq!(order.enums.len(), 2);
    }

    fn deps(list: &[(Option<usize>, &[usize])]) -> Vec<Deps> {
        list.iter()
            .map(|(hard, soft)| Deps {
                hard: *hard,
                soft: soft.to_vec(),
            })
            .collect()
    }

    #[test]
    fn topological_order_is_stable_and_survives_cycles() {
        // Already ordered: unchanged.
        assert_eq!(
            stable_topological_order(&deps(&[(None, &[]), (Some(0), &[]), (None, &[1])])),
            [0, 1, 2]
        );
        // Reversed chain.
        assert_eq!(
            stable_topological_order(&deps(&[(Some(1), &[]), (Some(2), &[]), (None, &[])])),
            [2, 1, 0]
        );
        // 0 <-> 1 use each other, 2 derives from 1, 1 uses itself: the cycle is broken at
        // the first declared node, the base still precedes the derived type.
        assert_eq!(
            stable_topological_order(&deps(&[(None, &[1]), (None, &[0, 1]), (Some(1), &[0])])),
            [0, 1, 2]
        );
        // Cycle whose first node has an unwritten base: break at the next eligible node.
        assert_eq!(
            stable_topological_order(&deps(&[(Some(1), &[]), (None, &[2]), (None, &[1])])),
            [1, 0, 2]
        );
        assert!(stable_topological_order(&[]).is_empty());
    }

    #[test]
    fn names_use_aliases() {
        let m = sample();
        let names = Names::new(&m);
        assert_eq!(
            names.qualified("Org.OData.Core.V1.Description"),
            "Core.Description"
        );
        assert_eq!(names.qualified("example.devices.state"), "dev.state");
        assert_eq!(names.qualified("Other.Vocab.Term"), "Other.Vocab.Term");
        assert_eq!(
            names.xml_enum_member(
                "Org.OData.Core.V1.Permission/Read Org.OData.Core.V1.Permission/Write"
            ),
            "Core.Permission/Read Core.Permission/Write"
        );
        assert_eq!(
            json_enum_member(
                "Org.OData.Core.V1.Permission/Read Org.OData.Core.V1.Permission/Write"
            ),
            "Read,Write"
        );
        assert_eq!(used_vocabularies(&m), [VOCABULARIES[0]]);
        let plain = ModelBuilder::new("n")
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["k"])
                    .property(PropertyDef::new("k", "Edm.Int32").not_null()),
            )
            .build()
            .unwrap();
        assert!(used_vocabularies(&plain).is_empty());
        assert!(!has_container(&plain));
        assert_eq!(
            Names::new(&plain).type_name(TypeKind::Entity(EntityTypeId(0))),
            "n.t"
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod operation_tests {
    use crate::edm::{ActionDef, EntityTypeDef, Model, ModelBuilder, PropertyDef};

    /// Overloads, an entity-returning import, an action import, `EntitySetPath` and an
    /// optional parameter.
    fn model() -> Model {
        let int = |n: &str| PropertyDef::new(n, "Edm.Int64").not_null();
        ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .entity_set("ts", "t")
            .function(ActionDef::new("f").returns("Collection(ns.t)"))
            .function(
                ActionDef::new("f")
                    .parameter(int("n"))
                    .returns("Collection(ns.t)"),
            )
            .function(
                ActionDef::new("g")
                    .bound_to("bindingParameter", "ns.t")
                    .entity_set_path("bindingParameter")
                    .returns("Collection(ns.t)"),
            )
            .action(
                ActionDef::new("go")
                    .parameter(int("a"))
                    .parameter(int("b").optional_parameter()),
            )
            .function_import_in("f", "f", "ts")
            .action_import("go", "go")
            .build()
            .unwrap()
    }

    #[test]
    fn xml_writes_overloads_imports_and_parameter_annotations() {
        let xml = super::xml::to_xml(&model());
        assert_eq!(xml.matches("<Function Name=\"f\">").count(), 2, "{xml}");
        for expected in [
            r#"<Function Name="g" IsBound="true" EntitySetPath="bindingParameter">"#,
            r#"<FunctionImport Name="f" Function="ns.f" EntitySet="ts"/>"#,
            r#"<ActionImport Name="go" Action="ns.go"/>"#,
        ] {
            assert!(xml.contains(expected), "{expected} in {xml}");
        }
        let b = xml.split("<Parameter Name=\"b\"").nth(1).unwrap();
        let b = b.split("</Parameter>").next().unwrap();
        assert!(b.contains("OptionalParameter\">"), "{b}");
        assert!(b.contains("<Record/>"), "{b}");
    }

    #[test]
    fn json_writes_overloads_imports_and_parameter_annotations() {
        let doc = super::json::to_json(&model());
        let ns = &doc["ns"];
        assert_eq!(ns["f"].as_array().unwrap().len(), 2);
        assert_eq!(ns["g"][0]["$EntitySetPath"], "bindingParameter");
        assert_eq!(
            ns["Container"]["f"],
            serde_json::json!({"$Function": "ns.f", "$EntitySet": "ts"})
        );
        assert_eq!(
            ns["Container"]["go"],
            serde_json::json!({"$Action": "ns.go"})
        );
        let b = ns["go"][0]["$Parameter"][1].as_object().unwrap();
        assert_eq!(b["$Name"], "b");
        assert!(b.keys().any(|k| k.ends_with("OptionalParameter")), "{b:?}");
    }
}
