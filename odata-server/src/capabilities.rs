//! What the service can do, stated in `$metadata` with the Core and Capabilities
//! vocabularies. Everything is derived from what the framework implements and from the
//! service's collections, so every service built on the framework advertises its
//! capabilities without declaring anything.
//!
//! * The entity container carries the protocol-wide facts: `Core.ODataVersions`,
//!   `Capabilities.ConformanceLevel` ([`conformance_level`]), `SupportedFormats`,
//!   `AsynchronousRequestsSupported`, `BatchSupported`, `KeyAsSegmentSupported`,
//!   `QuerySegmentSupported` and `FilterFunctions` (the binder's operators and functions).
//! * Each served collection carries `CountRestrictions`, `SearchRestrictions`,
//!   `ExpandRestrictions` (`MaxLevels` is the expand depth limit), `TopSupported`,
//!   `SkipSupported`, `ComputeSupported` and `SelectSupport`: on its entity set, or, for a collection contained
//!   in a singleton (which has no element of its own), as annotations targeting its path
//!   (`Ns.Container/singleton/navigation`). The singleton also lists each served contained
//!   collection in `Capabilities.NavigationRestrictions/RestrictedProperties`, with the
//!   restrictions that record type can hold.

use std::collections::BTreeMap;

use odata_core::edm::{
    Annotation, AnnotationValue as V, CAPABILITIES, CORE, EntityTypeId, ExternalAnnotations, Model,
};

use crate::service::{Collection, Service};

/// Whether `$batch` is served (`Capabilities.BatchSupported`; the conformance level counts
/// it): in the JSON and multipart formats, see `handlers/batch`.
pub const BATCH_SUPPORTED: bool = true;

/// Whether `Prefer: respond-async` is honoured (`Capabilities.AsynchronousRequestsSupported`):
/// status monitors at `$async/<id>`, see `handlers/asynchronous`.
pub const ASYNC_SUPPORTED: bool = true;

/// The protocol versions the service answers in (`Core.ODataVersions`).
pub const ODATA_VERSIONS: &str = "4.0 4.01";

/// A conformance level of the OData protocol (`Capabilities.ConformanceLevelType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConformanceLevel {
    /// OData Minimal conformance.
    Minimal,
    /// OData Intermediate conformance.
    Intermediate,
    /// OData Advanced conformance.
    Advanced,
}

impl ConformanceLevel {
    /// The member name in the vocabulary.
    pub fn name(self) -> &'static str {
        match self {
            Self::Minimal => "Minimal",
            Self::Intermediate => "Intermediate",
            Self::Advanced => "Advanced",
        }
    }
}

/// Requirements of OData 4.01 Intermediate conformance (Protocol §13.2.2) the framework does
/// not meet yet. Each is a MUST of that level; the service answers them with 501.
pub const INTERMEDIATE_GAPS: [&str; 0] = [];

/// Requirements of OData Advanced conformance (Protocol §13.1.3, §13.2.3) the framework
/// does not meet yet, besides [`INTERMEDIATE_GAPS`].
pub fn advanced_gaps() -> Vec<&'static str> {
    let mut gaps = vec![
        // URL Conventions §4 resource paths (OData 4.0 Advanced).
        "the $all and $crossjoin resources (answered 501)",
    ];
    if !BATCH_SUPPORTED {
        gaps.push("$batch in the multipart and JSON formats");
    }
    gaps
}

/// The conformance level the service achieves, stated honestly: a level is claimed only
/// when every MUST of it is met, and the service speaks 4.01, so the 4.01 definitions
/// apply. The framework meets OData 4.0 Intermediate (`$select`, `$top`, `$filter` with
/// every operator and function, type casts, `/$value`, …) but not 4.01 Intermediate, which
/// adds the requirements in [`INTERMEDIATE_GAPS`]; so it claims `Minimal` until those gaps
/// close, then `Intermediate` until [`advanced_gaps`] is empty too.
pub fn conformance_level() -> ConformanceLevel {
    if !INTERMEDIATE_GAPS.is_empty() {
        ConformanceLevel::Minimal
    } else if !advanced_gaps().is_empty() {
        ConformanceLevel::Intermediate
    } else {
        ConformanceLevel::Advanced
    }
}

/// The service's model with the capability annotations added to its container, entity
/// sets and singletons and, for contained collections, as external annotations. This is
/// the model `$metadata` is written from.
pub fn annotated_model(service: &Service) -> Model {
    let mut model = service.model().clone();
    let stated = service.metadata_style().capabilities;
    if stated {
        model.container.annotations.extend(container_annotations());
    }
    let container = format!("{}.{}", model.namespace, model.container.name);
    // Contained collections by singleton, in registration order.
    let mut restricted: BTreeMap<&str, Vec<V>> = BTreeMap::new();
    for collection in service.collections() {
        if collection.singleton {
            continue;
        }
        let capabilities = CollectionCapabilities::of(service.model(), collection);
        let mut annotations = if collection.read_only {
            read_only_annotations()
        } else {
            Vec::new()
        };
        if let Some(version) = collection.table.version {
            let property = &collection.table.columns[version].property.name;
            annotations.push(Annotation::optimistic_concurrency([property.as_str()]));
        }
        if !stated {
            // Only what the service's own declarations say.
            if let [set] = collection.segments.as_slice()
                && let Some(set) = model
                    .container
                    .entity_sets
                    .iter_mut()
                    .find(|s| &s.name == set)
            {
                set.annotations.extend(annotations);
            }
            continue;
        }
        annotations.extend(capabilities.annotations());
        match collection.segments.as_slice() {
            [set] => {
                if let Some(set) = model
                    .container
                    .entity_sets
                    .iter_mut()
                    .find(|s| &s.name == set)
                {
                    set.annotations.extend(annotations);
                }
            }
            [singleton, navigation] if collection.containment.is_none() => {
                restricted
                    .entry(singleton)
                    .or_default()
                    .push(capabilities.navigation_restriction(navigation));
                model.external_annotations.push(ExternalAnnotations {
                    target: format!("{container}/{singleton}/{navigation}"),
                    annotations,
                });
            }
            // A collection contained in entities: the path through its parent's
            // navigation property (`Container/set/nav`, `Container/singleton/nav/nav`).
            path => {
                model.external_annotations.push(ExternalAnnotations {
                    target: format!("{container}/{}", path.join("/")),
                    annotations,
                });
            }
        }
    }
    for singleton in &mut model.container.singletons {
        if let Some(records) = restricted.remove(singleton.name.as_str()) {
            singleton.annotations.push(capability(
                "NavigationRestrictions",
                V::record([("RestrictedProperties", V::Collection(records))]),
            ));
        }
    }
    model
}

/// `Org.OData.Capabilities.V1.{term}` with `value`.
fn capability(term: &str, value: V) -> Annotation {
    Annotation::new(format!("{CAPABILITIES}.{term}"), value)
}

/// What a read-only collection says about itself: `Core.Permissions` `Read`, and no
/// inserts, updates or deletes (the writes answer 405).
fn read_only_annotations() -> Vec<Annotation> {
    vec![
        Annotation::read_only(),
        capability(
            "InsertRestrictions",
            V::record([("Insertable", V::Bool(false))]),
        ),
        capability(
            "UpdateRestrictions",
            V::record([("Updatable", V::Bool(false))]),
        ),
        capability(
            "DeleteRestrictions",
            V::record([("Deletable", V::Bool(false))]),
        ),
    ]
}

/// The container's annotations: the protocol-wide capabilities of the framework.
fn container_annotations() -> Vec<Annotation> {
    vec![
        Annotation::new(
            format!("{CORE}.ODataVersions"),
            V::String(ODATA_VERSIONS.into()),
        ),
        capability(
            "ConformanceLevel",
            V::EnumMember(format!(
                "{CAPABILITIES}.ConformanceLevelType/{}",
                conformance_level().name()
            )),
        ),
        capability(
            "SupportedFormats",
            V::strings(crate::negotiation::supported_json_media_types()),
        ),
        capability("AsynchronousRequestsSupported", V::Bool(ASYNC_SUPPORTED)),
        capability("BatchSupported", V::Bool(BATCH_SUPPORTED)),
        // `…/{collection}/{key}` addresses an entity (routing reads every key form).
        capability("KeyAsSegmentSupported", V::Bool(true)),
        // `…/$query` (POST with the query in the body) is not served.
        capability("QuerySegmentSupported", V::Bool(false)),
        capability(
            "FilterFunctions",
            V::strings(odata_core::bind::supported_filter_functions()),
        ),
    ]
}

/// What requests on one served collection can do.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CollectionCapabilities {
    /// `$search` finds something: the collection has searchable properties.
    searchable: bool,
    /// Some navigation property is bound to storage and can be expanded.
    expandable: bool,
    /// Navigation properties `$expand` refuses: those not bound to storage, and those of
    /// derived types (a type cast inside `$expand` is not supported).
    non_expandable: Vec<String>,
}

impl CollectionCapabilities {
    fn of(model: &Model, collection: &Collection) -> Self {
        let base = model.entity_type(collection.entity_type);
        let mut non_expandable: Vec<String> = base
            .navigation_properties()
            .filter(|n| collection.navigation(&n.name).is_none())
            .map(|n| n.name.clone())
            .collect();
        for (i, ty) in model.entity_types.iter().enumerate() {
            let id = EntityTypeId(i);
            if id != collection.entity_type && model.entity_derives_from(id, collection.entity_type)
            {
                non_expandable.extend(
                    ty.declared_navigation
                        .iter()
                        .map(|n| format!("{}/{}", ty.qualified_name, n.name)),
                );
            }
        }
        Self {
            // `$search` on a collection without searchable properties is accepted but
            // never matches: not a search worth advertising.
            searchable: !collection.searchable.is_empty(),
            expandable: !collection.navigations.is_empty(),
            non_expandable,
        }
    }

    fn search_restrictions(&self) -> V {
        V::record([("Searchable", V::Bool(self.searchable))])
    }

    fn select_support() -> V {
        // Nested options inside `$select` are not supported: their flags keep their
        // default, false.
        V::record([("Supported", V::Bool(true))])
    }

    /// The annotations of the collection itself.
    fn annotations(&self) -> Vec<Annotation> {
        let mut expand = vec![("Expandable", V::Bool(self.expandable))];
        if self.expandable {
            let max_levels = i64::try_from(crate::expand::MAX_DEPTH).unwrap_or(i64::MAX);
            expand.push(("MaxLevels", V::Int(max_levels)));
            if !self.non_expandable.is_empty() {
                let paths = self
                    .non_expandable
                    .iter()
                    .map(|p| V::NavigationPropertyPath(p.clone()))
                    .collect();
                expand.push(("NonExpandableProperties", V::Collection(paths)));
            }
        }
        vec![
            capability(
                "CountRestrictions",
                V::record([("Countable", V::Bool(true))]),
            ),
            capability("SearchRestrictions", self.search_restrictions()),
            capability("ExpandRestrictions", V::record(expand)),
            capability("TopSupported", V::Bool(true)),
            capability("SkipSupported", V::Bool(true)),
            capability("ComputeSupported", V::Bool(true)),
            capability("SelectSupport", Self::select_support()),
        ]
    }

    /// The collection as a `NavigationPropertyRestriction` record of its singleton's
    /// `NavigationRestrictions` (which has no count or expand restrictions).
    fn navigation_restriction(&self, navigation: &str) -> V {
        V::record([
            (
                "NavigationProperty",
                V::NavigationPropertyPath(navigation.to_owned()),
            ),
            ("SearchRestrictions", self.search_restrictions()),
            ("TopSupported", V::Bool(true)),
            ("SkipSupported", V::Bool(true)),
            ("SelectSupport", Self::select_support()),
        ])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::edm::{EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef};

    use super::*;
    use crate::service::CollectionDef;

    /// A singleton with two contained collections (one linked to the other) and an entity
    /// set without searchable properties.
    fn service() -> Service {
        let model = ModelBuilder::new("example.crm")
            .alias("crm")
            .entity_type(
                EntityTypeDef::new("root")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .navigation(NavigationDef::new("people", "Collection(crm.person)").contained())
                    .navigation(NavigationDef::new("teams", "Collection(crm.team)").contained()),
            )
            .entity_type(
                EntityTypeDef::new("person")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("name", "Edm.String"))
                    .navigation(NavigationDef::new("team", "crm.team"))
                    .navigation(NavigationDef::new("manager", "crm.person")),
            )
            .entity_type(
                EntityTypeDef::new("employee")
                    .base("crm.person")
                    .navigation(NavigationDef::new("badges", "Collection(crm.team)")),
            )
            .entity_type(
                EntityTypeDef::new("team")
                    .key(["code"])
                    .property(PropertyDef::new("code", "Edm.Int32").not_null()),
            )
            .entity_type(
                EntityTypeDef::new("tag")
                    .key(["n"])
                    .property(PropertyDef::new("n", "Edm.Int32").not_null()),
            )
            .singleton("root", "crm.root")
            .entity_set("tags", "crm.tag")
            .build()
            .unwrap();
        Service::builder(model)
            .collection(CollectionDef::new("root/teams", "teams"))
            .collection(CollectionDef::new("root/people", "people").reference("team", "root/teams"))
            .collection(CollectionDef::new("tags", "tags"))
            .build()
            .unwrap()
    }

    #[test]
    fn a_read_only_set_says_so() {
        let model = ModelBuilder::new("example.crm")
            .entity_type(
                EntityTypeDef::new("tag")
                    .key(["n"])
                    .property(PropertyDef::new("n", "Edm.Int32").not_null()),
            )
            .entity_set("tags", "tag")
            .entity_set("labels", "tag")
            .build()
            .unwrap();
        let service = Service::builder(model)
            .collection(CollectionDef::new("tags", "tags").read_only())
            .collection(CollectionDef::new("labels", "labels"))
            .build()
            .unwrap();
        let model = annotated_model(&service);
        let tags = &model.container.entity_sets[0].annotations;
        assert_eq!(tags[0], Annotation::read_only());
        for (term, property) in [
            ("InsertRestrictions", "Insertable"),
            ("UpdateRestrictions", "Updatable"),
            ("DeleteRestrictions", "Deletable"),
        ] {
            assert_eq!(find(tags, term), &V::record([(property, V::Bool(false))]));
        }
        let labels = &model.container.entity_sets[1].annotations;
        for term in [
            "InsertRestrictions",
            "UpdateRestrictions",
            "DeleteRestrictions",
        ] {
            let term = format!("{CAPABILITIES}.{term}");
            assert!(labels.iter().all(|a| a.term != term), "{term}");
        }
        assert!(!labels.contains(&Annotation::read_only()));
    }

    fn find<'a>(annotations: &'a [Annotation], term: &str) -> &'a V {
        &annotations
            .iter()
            .find(|a| a.term == format!("{CAPABILITIES}.{term}"))
            .unwrap_or_else(|| panic!("{term} missing"))
            .value
    }

    #[test]
    fn the_claimed_level_leaves_no_known_gap() {
        let level = conformance_level();
        assert!(level < ConformanceLevel::Intermediate || INTERMEDIATE_GAPS.is_empty());
        assert!(level < ConformanceLevel::Advanced || advanced_gaps().is_empty());
        assert_eq!(
            advanced_gaps().iter().any(|g| g.contains("$batch")),
            !BATCH_SUPPORTED
        );
    }

    #[test]
    fn the_container_states_the_protocol_capabilities() {
        let model = annotated_model(&service());
        let container = &model.container.annotations;
        assert_eq!(container[0].term, "Org.OData.Core.V1.ODataVersions");
        assert_eq!(container[0].value, V::String("4.0 4.01".into()));
        assert_eq!(
            find(container, "ConformanceLevel"),
            &V::EnumMember(format!(
                "{CAPABILITIES}.ConformanceLevelType/{}",
                conformance_level().name()
            ))
        );
        assert_eq!(find(container, "BatchSupported"), &V::Bool(BATCH_SUPPORTED));
        assert_eq!(find(container, "KeyAsSegmentSupported"), &V::Bool(true));
        assert_eq!(find(container, "QuerySegmentSupported"), &V::Bool(false));
        let V::Collection(functions) = find(container, "FilterFunctions") else {
            panic!("FilterFunctions is not a collection")
        };
        for name in ["eq", "in", "contains", "tolower", "cast", "any"] {
            assert!(functions.contains(&V::String(name.into())), "{name}");
        }
        assert!(functions.contains(&V::String("geo.distance".into())));
    }

    #[test]
    fn entity_sets_and_contained_collections_state_their_restrictions() {
        let model = annotated_model(&service());
        let tags = &model.container.entity_sets[0].annotations;
        assert_eq!(
            find(tags, "SearchRestrictions"),
            &V::record([("Searchable", V::Bool(false))]),
            "no string property to search"
        );
        assert_eq!(
            find(tags, "ExpandRestrictions"),
            &V::record([("Expandable", V::Bool(false))])
        );
        assert_eq!(find(tags, "TopSupported"), &V::Bool(true));
        assert_eq!(find(tags, "ComputeSupported"), &V::Bool(true));
        // Contained collections: annotations targeting their path, in registration order.
        let targets: Vec<&str> = model
            .external_annotations
            .iter()
            .map(|e| e.target.as_str())
            .collect();
        assert_eq!(
            targets,
            [
                "example.crm.Container/root/teams",
                "example.crm.Container/root/people"
            ]
        );
        let people = &model.external_annotations[1].annotations;
        assert_eq!(
            find(people, "ExpandRestrictions"),
            &V::record([
                ("Expandable", V::Bool(true)),
                ("MaxLevels", V::Int(4)),
                (
                    "NonExpandableProperties",
                    V::Collection(vec![
                        V::NavigationPropertyPath("manager".into()),
                        V::NavigationPropertyPath("example.crm.employee/badges".into()),
                    ])
                ),
            ])
        );
        assert_eq!(
            find(people, "CountRestrictions"),
            &V::record([("Countable", V::Bool(true))])
        );
        let root = &model.container.singletons[0].annotations;
        let V::Record(restrictions) = find(root, "NavigationRestrictions") else {
            panic!("not a record")
        };
        let V::Collection(records) = &restrictions[0].value else {
            panic!("RestrictedProperties is not a collection")
        };
        let navigations: Vec<&V> = records
            .iter()
            .map(|r| match r {
                V::Record(values) => &values[0].value,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            navigations,
            [
                &V::NavigationPropertyPath("teams".into()),
                &V::NavigationPropertyPath("people".into())
            ]
        );
        // The served model itself is left as declared.
        assert!(service().model().container.annotations.is_empty());
    }
}
