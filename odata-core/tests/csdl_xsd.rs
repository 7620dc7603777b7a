//! Validates the CSDL writers against the OASIS schemas in `../shared/odata-spec/csdl/`:
//! the XML document against `edmx.xsd` (which imports `edm.xsd`) with `xmllint`, the JSON
//! document structurally in Rust and, when Python's `jsonschema` and `regex` modules are
//! already installed, against `csdl.schema.json`.

#![allow(clippy::unwrap_used)]

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use odata_core::csdl::{to_json, to_xml};
use odata_core::edm::{
    ActionDef, Annotation, ComplexTypeDef, EntityTypeDef, EnumTypeDef, Model, ModelBuilder,
    NavigationDef, PrimitiveKind, PropertyDef, TypeDefinitionDef,
};
use serde_json::{Value, json};

/// A model with every construct the writers know, declared in the wrong order (derived
/// before base, users before the complex types they use).
fn model() -> Model {
    ModelBuilder::new("microsoft.graph")
        .alias("graph")
        .enum_type(
            EnumTypeDef::new("enrollmentState")
                .member("unknown", 0)
                .member("enrolled", 1)
                .member("assignedUnkownSyncState", 2),
        )
        .enum_type(
            EnumTypeDef::new("platforms")
                .flags()
                .underlying(PrimitiveKind::Int64)
                .member("none", 0)
                .member("windows", 1)
                .member("linux", 2),
        )
        .type_definition(TypeDefinitionDef::new("floorNumber", "Edm.Int32"))
        .type_definition(TypeDefinitionDef::new("label", "Edm.String").max_length(20))
        .complex_type(
            ComplexTypeDef::new("detailedLocation")
                .base("graph.location")
                .property(PropertyDef::new("building", "Edm.String").max_length(64))
                .property(
                    PropertyDef::new("floor", "graph.floorNumber")
                        .not_null()
                        .default_value("0"),
                )
                .property(PropertyDef::new("sign", "graph.label").default_value("")),
        )
        .complex_type(
            ComplexTypeDef::new("deviceInfo")
                .property(PropertyDef::new("where", "graph.location"))
                .property(PropertyDef::new("history", "Collection(graph.location)")),
        )
        .complex_type(
            ComplexTypeDef::new("location")
                .property(PropertyDef::new("city", "Edm.String"))
                .property(
                    PropertyDef::new("latitude", "Edm.Decimal")
                        .not_null()
                        .precision(9, Some(6)),
                ),
        )
        .entity_type(
            EntityTypeDef::new("azureADProfile")
                .base("graph.deploymentProfile")
                .property(PropertyDef::new("hybrid", "Edm.Boolean").not_null()),
        )
        .entity_type(
            EntityTypeDef::new("deploymentProfile")
                .base("graph.entity")
                .abstract_type()
                .property(
                    PropertyDef::new("displayName", "Edm.String")
                        .description("Profile name <shown> to \"admins\" & users"),
                )
                .property(
                    PropertyDef::new("createdDateTime", "Edm.DateTimeOffset")
                        .not_null()
                        .annotate(Annotation::computed()),
                )
                .navigation(
                    NavigationDef::new("assignedDevices", "Collection(graph.deviceIdentity)")
                        .partner("deploymentProfile"),
                ),
        )
        .entity_type(
            EntityTypeDef::new("entity")
                .abstract_type()
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null()),
        )
        .entity_type(
            EntityTypeDef::new("deviceIdentity")
                .base("graph.entity")
                .property(PropertyDef::new("state", "graph.enrollmentState").not_null())
                .property(PropertyDef::new("platforms", "graph.platforms").not_null())
                .property(PropertyDef::new("info", "graph.deviceInfo"))
                .property(PropertyDef::new("tags", "Collection(Edm.String)"))
                .property(
                    PropertyDef::new("serialNumber", "Edm.String")
                        .unicode(false)
                        .annotate(Annotation::read_only()),
                )
                .property(
                    PropertyDef::new("password", "Edm.String").annotate(Annotation::write_only()),
                )
                .navigation(
                    NavigationDef::new("deploymentProfile", "graph.deploymentProfile")
                        .partner("assignedDevices"),
                )
                .navigation(NavigationDef::new("events", "Collection(graph.event)").contained()),
        )
        .entity_type(
            EntityTypeDef::new("event")
                .base("graph.entity")
                .property(PropertyDef::new("duration", "Edm.Duration")),
        )
        .entity_type(
            EntityTypeDef::new("deviceManagement")
                .base("graph.entity")
                .navigation(
                    NavigationDef::new("identities", "Collection(graph.deviceIdentity)")
                        .contained(),
                ),
        )
        .action(
            ActionDef::new("assignUserToDevice")
                .bound_to("bindingParameter", "graph.deviceIdentity")
                .parameter(PropertyDef::new("userPrincipalName", "Edm.String").not_null())
                .parameter(PropertyDef::new("slots", "Collection(Edm.Int32)"))
                .returns("graph.deviceIdentity")
                .annotate(Annotation::description("Assigns a user")),
        )
        .action(ActionDef::new("assign").bound_to("bindingParameter", "graph.deploymentProfile"))
        .entity_set("profiles", "graph.deploymentProfile")
        .singleton("deviceManagement", "graph.deviceManagement")
        .build()
        .unwrap()
}

/// Operations of every shape: function overloads (unbound and bound, one bound to a
/// collection), an entity-returning import with its entity set, `EntitySetPath`, unbound
/// actions with an action import and an optional parameter.
fn operations_model() -> Model {
    let int = |n: &str| PropertyDef::new(n, "Edm.Int64").not_null();
    ModelBuilder::new("ns")
        .entity_type(
            EntityTypeDef::new("t")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.String").not_null()),
        )
        .entity_set("ts", "ns.t")
        .function(ActionDef::new("top").returns("Collection(ns.t)"))
        .function(
            ActionDef::new("top")
                .parameter(int("count"))
                .returns("Collection(ns.t)"),
        )
        .function(
            ActionDef::new("related")
                .bound_to("bindingParameter", "ns.t")
                .entity_set_path("bindingParameter")
                .returns("Collection(ns.t)"),
        )
        .function(
            ActionDef::new("average")
                .bound_to("bindingParameter", "Collection(ns.t)")
                .returns("Edm.Double"),
        )
        .action(
            ActionDef::new("process")
                .parameter(PropertyDef::new("percentage", "Edm.Double").not_null())
                .parameter(
                    PropertyDef::new("minPrice", "Edm.Double")
                        .not_null()
                        .optional_parameter(),
                ),
        )
        .action(ActionDef::new("reset"))
        .function_import_in("top", "top", "ts")
        .action_import("process", "process")
        .action_import("reset", "ns.reset")
        .build()
        .unwrap()
}

/// [`model`] with annotations of every value kind on the container, the entity set, the
/// singleton and a path through the singleton (the shapes a service's capabilities take).
fn annotated_model() -> Model {
    use odata_core::edm::{AnnotationValue as V, CAPABILITIES, CORE, ExternalAnnotations};
    let cap = |term: &str| format!("{CAPABILITIES}.{term}");
    let mut m = model();
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
        Annotation::new(
            cap("SupportedFormats"),
            V::strings(["application/json;odata.metadata=full;IEEE754Compatible=false"]),
        ),
        Annotation::new(cap("FilterFunctions"), V::strings(["eq", "geo.distance"])),
    ];
    let restrictions = |expandable: bool| {
        vec![
            Annotation::new(
                cap("CountRestrictions"),
                V::record([("Countable", V::Bool(true))]),
            ),
            Annotation::new(
                cap("ExpandRestrictions"),
                V::record([
                    ("Expandable", V::Bool(expandable)),
                    ("MaxLevels", V::Int(4)),
                    (
                        "NonExpandableProperties",
                        V::Collection(vec![V::NavigationPropertyPath(
                            "graph.azureADProfile/assignedDevices".into(),
                        )]),
                    ),
                ]),
            ),
            Annotation::new(cap("TopSupported"), V::Bool(true)),
            Annotation::new(
                cap("SelectSupport"),
                V::record([("Supported", V::Bool(true))]),
            ),
        ]
    };
    m.container.entity_sets[0].annotations = restrictions(false);
    m.container.singletons[0].annotations = vec![Annotation::new(
        cap("NavigationRestrictions"),
        V::record([(
            "RestrictedProperties",
            V::Collection(vec![V::record([
                (
                    "NavigationProperty",
                    V::NavigationPropertyPath("identities".into()),
                ),
                ("SkipSupported", V::Bool(true)),
                (
                    "SearchRestrictions",
                    V::record([("Searchable", V::Bool(false))]),
                ),
            ])]),
        )]),
    )];
    m.external_annotations = vec![ExternalAnnotations {
        target: "microsoft.graph.Container/deviceManagement/identities".into(),
        annotations: restrictions(true),
    }];
    m
}

/// A model with no alias, no annotations and no container.
fn bare_model() -> Model {
    ModelBuilder::new("example.bare")
        .entity_type(
            EntityTypeDef::new("thing")
                .key(["id"])
                .property(PropertyDef::new("id", "Edm.Int64").not_null()),
        )
        .build()
        .unwrap()
}

fn csdl_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/odata-spec/csdl");
    assert!(
        dir.join("edmx.xsd").is_file() && dir.join("edm.xsd").is_file(),
        "the OASIS CSDL schemas are missing: expected edmx.xsd and edm.xsd in {}",
        dir.display()
    );
    dir
}

/// Runs `xmllint` on `xml`; fails the test (never skips) when xmllint is not installed.
fn xmllint(xml: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metadata.xml");
    std::fs::write(&file, xml).unwrap();
    // edmx.xsd imports edm.xsd by a relative schemaLocation: keep them together.
    let schema = csdl_dir().join("edmx.xsd");
    match Command::new("xmllint")
        .arg("--nonet")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "xmllint is not installed: install libxml2-utils (apt-get install -y libxml2-utils); \
             the project's test script installs it"
        ),
        Err(e) => panic!("could not run xmllint: {e}"),
    }
}

fn assert_valid_xml(xml: &str) {
    let out = xmllint(xml);
    assert!(
        out.status.success(),
        "xmllint rejected the document:\n{}\n--- document ---\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("validates"));
}

#[test]
fn xml_validates_against_edmx_xsd() {
    assert_valid_xml(&to_xml(&model()));
    assert_valid_xml(&to_xml(&bare_model()));
    assert_valid_xml(&to_xml(&operations_model()));
    let annotated = to_xml(&annotated_model());
    assert!(
        annotated.contains(r#"<Annotations Target="graph.Container/deviceManagement/identities">"#)
    );
    assert_valid_xml(&annotated);
}

#[test]
fn xmllint_rejects_an_invalid_document() {
    // Control: the validation above really checks something.
    let xml = to_xml(&model())
        .replace("Version=\"4.01\"", "Version=\"5.0\"")
        .replace("<EnumType Name=", "<EnumType Nome=");
    let out = xmllint(&xml);
    assert!(
        !out.status.success(),
        "xmllint accepted an invalid document"
    );
}

#[test]
fn xml_order_follows_dependencies() {
    let xml = to_xml(&model());
    let order = [
        r#"<EnumType Name="enrollmentState""#,
        r#"<EnumType Name="platforms""#,
        r#"<TypeDefinition Name="floorNumber" UnderlyingType="Edm.Int32"/>"#,
        r#"<TypeDefinition Name="label" UnderlyingType="Edm.String" MaxLength="20"/>"#,
        r#"<ComplexType Name="location""#,
        r#"<ComplexType Name="detailedLocation" BaseType="graph.location""#,
        r#"<ComplexType Name="deviceInfo""#,
        r#"<EntityType Name="entity" Abstract="true""#,
        r#"<EntityType Name="deploymentProfile" BaseType="graph.entity" Abstract="true""#,
        r#"<EntityType Name="azureADProfile" BaseType="graph.deploymentProfile""#,
        r#"<EntityType Name="deviceIdentity" BaseType="graph.entity""#,
        r#"<EntityType Name="event""#,
        r#"<EntityType Name="deviceManagement""#,
        r#"<Action Name="assignUserToDevice" IsBound="true""#,
        r#"<Action Name="assign" IsBound="true""#,
        r#"<EntityContainer Name="Container""#,
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|n| {
            xml.find(n)
                .unwrap_or_else(|| panic!("missing `{n}`:\n{xml}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "wrong order:\n{xml}"
    );
    assert!(xml.contains(
        r#"<Annotation Term="Core.Description" String="Profile name &lt;shown&gt; to &quot;admins&quot; &amp; users"/>"#
    ));
    assert!(xml.contains(
        r#"<Property Name="floor" Type="graph.floorNumber" Nullable="false" DefaultValue="0"/>"#
    ));
    assert!(xml.contains(r#"<Property Name="sign" Type="graph.label" DefaultValue=""/>"#));
}

#[test]
fn json_has_the_csdl_structure() {
    let doc = to_json(&model());
    assert_eq!(doc["$Version"], "4.01");
    assert_eq!(doc["$EntityContainer"], "microsoft.graph.Container");
    assert_eq!(
        doc["$Reference"]["https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.json"]
            ["$Include"],
        json!([{"$Namespace": "Org.OData.Core.V1", "$Alias": "Core"}])
    );
    let schema = &doc["microsoft.graph"];
    let names: Vec<&str> = schema
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "$Alias",
            "enrollmentState",
            "platforms",
            "floorNumber",
            "label",
            "location",
            "detailedLocation",
            "deviceInfo",
            "entity",
            "deploymentProfile",
            "azureADProfile",
            "deviceIdentity",
            "event",
            "deviceManagement",
            "assignUserToDevice",
            "assign",
            "Container",
        ]
    );
    assert_eq!(schema["$Alias"], "graph");
    assert_eq!(
        schema["label"],
        json!({"$Kind": "TypeDefinition", "$UnderlyingType": "Edm.String", "$MaxLength": 20})
    );
    assert_eq!(
        schema["detailedLocation"]["floor"],
        json!({"$Type": "graph.floorNumber", "$DefaultValue": 0})
    );
    assert_eq!(
        schema["detailedLocation"]["sign"],
        json!({"$Type": "graph.label", "$Nullable": true, "$DefaultValue": ""})
    );
    assert_eq!(schema["platforms"]["$IsFlags"], true);
    assert_eq!(schema["platforms"]["$UnderlyingType"], "Edm.Int64");
    assert_eq!(schema["enrollmentState"]["assignedUnkownSyncState"], 2);
    assert_eq!(schema["entity"]["$Key"], json!(["id"]));
    assert_eq!(schema["deviceIdentity"]["$BaseType"], "graph.entity");
    assert!(schema["deviceIdentity"].get("$Key").is_none());
    assert_eq!(
        schema["deviceIdentity"]["serialNumber"],
        json!({"$Nullable": true, "$Unicode": false, "@Core.Permissions": "Read"})
    );
    assert_eq!(
        schema["deviceIdentity"]["events"],
        json!({"$Kind": "NavigationProperty", "$Collection": true, "$Type": "graph.event",
               "$ContainsTarget": true})
    );
    assert_eq!(
        schema["deploymentProfile"]["displayName"]["@Core.Description"],
        "Profile name <shown> to \"admins\" & users"
    );
    assert_eq!(schema["assignUserToDevice"][0]["$Kind"], "Action");
    assert_eq!(
        schema["assignUserToDevice"][0]["@Core.Description"],
        "Assigns a user"
    );
    assert_eq!(
        schema["Container"]["deviceManagement"],
        json!({"$Type": "graph.deviceManagement"})
    );
    assert_eq!(
        schema["Container"]["profiles"],
        json!({"$Collection": true, "$Type": "graph.deploymentProfile"})
    );
    let bare = to_json(&bare_model());
    assert_eq!(
        bare,
        json!({"$Version": "4.01", "example.bare": {
            "thing": {"$Kind": "EntityType", "$Key": ["id"], "id": {"$Type": "Edm.Int64"}}
        }})
    );
}

/// Validates with Python `jsonschema`; Python's `re` lacks `\p{..}`, so the script swaps in
/// the `regex` module. Exit 0 valid, 1 invalid, 2 tooling unusable.
const VALIDATE_PY: &str = r#"
import json, sys
try:
    import jsonschema, regex
except ImportError as e:
    print("missing module:", e); sys.exit(2)
for name in ("_keywords", "_utils", "_legacy_keywords"):
    module = getattr(jsonschema, name, None)
    if module is not None and hasattr(module, "re"):
        module.re = regex
schema_path, example_path, doc_path = sys.argv[1:4]
try:
    v = jsonschema.Draft7Validator(json.load(open(schema_path)))
    if list(v.iter_errors(json.load(open(example_path)))):
        print("the OASIS example does not validate"); sys.exit(2)
    if not list(v.iter_errors({"$Version": "5.0"})):
        print("an invalid document validates"); sys.exit(2)
    errors = list(v.iter_errors(json.load(open(doc_path))))
except Exception as e:
    print("validator unusable:", e); sys.exit(2)
for e in errors:
    print(list(e.absolute_path), e.message)
sys.exit(1 if errors else 0)
"#;

#[test]
fn json_validates_against_csdl_schema_when_python_jsonschema_is_available() {
    let dir = csdl_dir();
    let tmp = tempfile::tempdir().unwrap();
    for (name, doc) in [
        ("model.json", to_json(&model())),
        ("bare.json", to_json(&bare_model())),
        ("operations.json", to_json(&operations_model())),
        ("annotated.json", to_json(&annotated_model())),
    ] {
        let file = tmp.path().join(name);
        std::fs::write(&file, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        let out = Command::new("python3")
            .arg("-c")
            .arg(VALIDATE_PY)
            .arg(dir.join("csdl.schema.json"))
            .arg(dir.join("examples/csdl-16.1.json"))
            .arg(&file)
            .output();
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                eprintln!("skipping csdl.schema.json validation: cannot run python3: {e}");
                return;
            }
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        match out.status.code() {
            Some(0) => {}
            Some(1) => panic!("{name} does not match csdl.schema.json:\n{stdout}\n{doc:#}"),
            _ => {
                eprintln!(
                    "skipping csdl.schema.json validation: {}{}",
                    stdout,
                    String::from_utf8_lossy(&out.stderr)
                );
                return;
            }
        }
    }
}

#[test]
fn json_and_xml_agree_on_type_order() {
    let xml = to_xml(&model());
    let doc = to_json(&model());
    let Value::Object(schema) = &doc["microsoft.graph"] else {
        panic!("schema is not an object")
    };
    let from_json: Vec<&str> = schema
        .iter()
        .filter(|(_, v)| {
            matches!(
                v["$Kind"].as_str(),
                Some("EnumType" | "ComplexType" | "EntityType")
            )
        })
        .map(|(k, _)| k.as_str())
        .collect();
    let mut from_xml: Vec<(usize, &str)> = from_json
        .iter()
        .map(|name| {
            let at = ["EnumType", "ComplexType", "EntityType"]
                .iter()
                .find_map(|kind| xml.find(&format!("<{kind} Name=\"{name}\"")))
                .unwrap();
            (at, *name)
        })
        .collect();
    from_xml.sort_unstable();
    assert_eq!(
        from_xml.into_iter().map(|(_, n)| n).collect::<Vec<_>>(),
        from_json
    );
}
