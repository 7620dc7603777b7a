//! The root of the Graph model: the abstract base type `entity` (key `id`), the
//! `deviceManagement` entity type with its three contained Autopilot collections, and the
//! `deviceManagement` singleton. There are no entity sets: every Autopilot entity is reached
//! through containment under the singleton.
//!
//! The CSDL's `deviceManagement` has 20 further properties and 170 further navigation
//! properties outside the Autopilot scope; they are not declared.

use odata_core::edm::{Annotation, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef};

/// Qualified name of the abstract base entity type.
pub const ENTITY_TYPE: &str = "microsoft.graph.entity";

/// Qualified name of the `deviceManagement` entity type.
pub const DEVICE_MANAGEMENT_TYPE: &str = "microsoft.graph.deviceManagement";

/// Name of the singleton that roots every Autopilot collection.
pub const SINGLETON: &str = "deviceManagement";

/// `MaxLength` of the key `id` of every entity: a longer key could be stored but never
/// addressed, since every URL naming it would be too long.
pub const ID_MAX_LENGTH: u32 = 256;

/// Adds `entity`, `deviceManagement` and the `deviceManagement` singleton.
pub(crate) fn declare(b: ModelBuilder) -> ModelBuilder {
    let contained = |name: &str, target: &str, description: &str| {
        NavigationDef::new(name, format!("Collection(graph.{target})"))
            .contained()
            .annotate(Annotation::description(description))
    };
    b.entity_type(
        EntityTypeDef::new("entity")
            .abstract_type()
            .key(["id"])
            .annotate(Annotation::description(
                "Base type of every Graph entity; carries the key.",
            ))
            .property(
                PropertyDef::new("id", "Edm.String")
                    .not_null()
                    .max_length(ID_MAX_LENGTH)
                    .description("Unique identifier of the entity."),
            ),
    )
    .entity_type(
        EntityTypeDef::new("deviceManagement")
            .base("graph.entity")
            .annotate(Annotation::description(
                "The Intune device management root (Autopilot members only).",
            ))
            .navigation(contained(
                "autopilotEvents",
                "deviceManagementAutopilotEvent",
                "Windows Autopilot deployment events.",
            ))
            .navigation(contained(
                "windowsAutopilotDeploymentProfiles",
                "windowsAutopilotDeploymentProfile",
                "Windows Autopilot deployment profiles.",
            ))
            .navigation(contained(
                "windowsAutopilotDeviceIdentities",
                "windowsAutopilotDeviceIdentity",
                "Devices registered with Windows Autopilot.",
            )),
    )
    .singleton(SINGLETON, "graph.deviceManagement")
}

/// Reading the shared reference files (`../shared/graph/`) with plain string scanning.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    /// A property or parameter as written in a CSDL file.
    #[derive(Debug, Clone)]
    pub(crate) struct CsdlProperty {
        pub name: String,
        pub type_name: String,
        pub nullable: bool,
        pub unicode_false: bool,
    }

    /// A navigation property as written in a CSDL file.
    #[derive(Debug, Clone)]
    pub(crate) struct CsdlNavigation {
        pub name: String,
        pub type_name: String,
        pub contained: bool,
    }

    /// An `EntityType` or `ComplexType` element.
    #[derive(Debug, Clone)]
    pub(crate) struct CsdlStructured {
        pub entity: bool,
        pub name: String,
        pub base: Option<String>,
        pub is_abstract: bool,
        pub properties: Vec<CsdlProperty>,
        pub navigation: Vec<CsdlNavigation>,
    }

    /// An `Action` element: name and parameters (binding parameter first).
    #[derive(Debug, Clone)]
    pub(crate) struct CsdlAction {
        pub name: String,
        pub parameters: Vec<CsdlProperty>,
    }

    fn graph_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/graph")
    }

    fn read(path: PathBuf) -> String {
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// The 2026 CSDL excerpt.
    pub(crate) fn csdl() -> String {
        read(graph_dir().join("autopilot-csdl.xml"))
    }

    /// The 2021 (seed-era) CSDL excerpt.
    pub(crate) fn legacy_csdl() -> String {
        read(graph_dir().join("autopilot-csdl-legacy-2021-03.xml"))
    }

    /// The migration under test.
    pub(crate) fn migration() -> String {
        read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../migrations/sqlite/0001_autopilot.sql"),
        )
    }

    /// Top-level keys of a seed request body except `@odata.type`. The bodies are indented
    /// by two spaces per level, so a top-level member starts with exactly two spaces.
    pub(crate) fn seed_request_keys(seed: &str) -> Vec<String> {
        let text = read(graph_dir().join(format!("seed-examples/{seed}.request.json")));
        text.lines()
            .filter_map(|l| l.strip_prefix("  \""))
            .filter_map(|l| l.split_once('"').map(|(k, _)| k.to_owned()))
            .filter(|k| k != "@odata.type")
            .collect()
    }

    /// The value of attribute `name` on an element line.
    pub(crate) fn attr<'a>(line: &'a str, name: &str) -> Option<&'a str> {
        let start = line.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = line[start..].find('"')?;
        Some(&line[start..start + len])
    }

    fn property(line: &str) -> CsdlProperty {
        CsdlProperty {
            name: attr(line, "Name").expect("Name").to_owned(),
            type_name: attr(line, "Type").expect("Type").to_owned(),
            nullable: attr(line, "Nullable") != Some("false"),
            unicode_false: attr(line, "Unicode") == Some("false"),
        }
    }

    /// `(enum name, [(member, value)])` for every `EnumType` block.
    pub(crate) fn enum_blocks(xml: &str) -> Vec<(String, Vec<(String, i64)>)> {
        let mut out: Vec<(String, Vec<(String, i64)>)> = Vec::new();
        for line in xml.lines().map(str::trim) {
            if line.starts_with("<EnumType ") {
                out.push((attr(line, "Name").expect("Name").to_owned(), Vec::new()));
            } else if line.starts_with("<Member ") {
                let value = attr(line, "Value").expect("Value").parse().expect("int");
                let (_, members) = out.last_mut().expect("member inside an enum");
                members.push((attr(line, "Name").expect("Name").to_owned(), value));
            }
        }
        out
    }

    /// Every `EntityType` and `ComplexType` block.
    pub(crate) fn structured_blocks(xml: &str) -> Vec<CsdlStructured> {
        let mut out: Vec<CsdlStructured> = Vec::new();
        let mut open = false;
        for line in xml.lines().map(str::trim) {
            let entity = line.starts_with("<EntityType ");
            if entity || line.starts_with("<ComplexType ") {
                out.push(CsdlStructured {
                    entity,
                    name: attr(line, "Name").expect("Name").to_owned(),
                    base: attr(line, "BaseType").map(str::to_owned),
                    is_abstract: attr(line, "Abstract") == Some("true"),
                    properties: Vec::new(),
                    navigation: Vec::new(),
                });
                open = !line.ends_with("/>");
            } else if line.starts_with("</EntityType>") || line.starts_with("</ComplexType>") {
                open = false;
            } else if open && line.starts_with("<Property ") {
                let p = property(line);
                out.last_mut().expect("open type").properties.push(p);
            } else if open && line.starts_with("<NavigationProperty ") {
                let n = CsdlNavigation {
                    name: attr(line, "Name").expect("Name").to_owned(),
                    type_name: attr(line, "Type").expect("Type").to_owned(),
                    contained: attr(line, "ContainsTarget") == Some("true"),
                };
                out.last_mut().expect("open type").navigation.push(n);
            }
        }
        out
    }

    /// Every `Action` block.
    pub(crate) fn action_blocks(xml: &str) -> Vec<CsdlAction> {
        let mut out: Vec<CsdlAction> = Vec::new();
        let mut open = false;
        for line in xml.lines().map(str::trim) {
            if line.starts_with("<Action ") {
                out.push(CsdlAction {
                    name: attr(line, "Name").expect("Name").to_owned(),
                    parameters: Vec::new(),
                });
                open = true;
            } else if line.starts_with("</Action>") {
                open = false;
            } else if open && line.starts_with("<Parameter ") {
                out.last_mut()
                    .expect("open action")
                    .parameters
                    .push(property(line));
            }
        }
        out
    }

    /// A CSDL type name with the `graph.` alias expanded to the namespace.
    pub(crate) fn qualify(type_name: &str) -> String {
        match type_name.strip_prefix("Collection(") {
            Some(inner) => format!("Collection({})", qualify(inner.trim_end_matches(')'))),
            None => match type_name.strip_prefix("graph.") {
                Some(local) => format!("{}.{local}", crate::NAMESPACE),
                None => type_name.to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use odata_core::edm::{Model, PrimitiveKind, Property, TypeKind, TypeRef};
    use odata_server::sql::schema::{Backend, column_type};
    use odata_server::store::table::ColumnKind;

    use super::test_support::*;
    use super::*;
    use crate::autopilot_event::{EVENT_TYPE, POLICY_STATUS_DETAIL_TYPE};
    use crate::deployment_profile::{ASSIGNMENT_TYPE, PROFILE_TYPE};
    use crate::device_identity::DEVICE_IDENTITY_TYPE;

    /// Seed-era properties: in the product documents, not in the 2026 CSDL.
    const SEED_ERA: [&str; 4] = [
        "devicePreparationDuration",
        "targetedAppCount",
        "targetedPolicyCount",
        "orderIdentifier",
    ];

    /// `(abstract, declared properties, qualified base)` of an entity or complex type.
    fn declared(model: &Model, name: &str) -> Option<(bool, Vec<Property>, Option<String>)> {
        match model.find_type(name)? {
            TypeKind::Entity(id) => {
                let t = model.entity_type(id);
                let base = t.base.map(|b| model.entity_type(b).qualified_name.clone());
                Some((t.is_abstract, t.declared_properties.clone(), base))
            }
            TypeKind::Complex(id) => {
                let t = model.complex_type(id);
                let base = t.base.map(|b| model.complex_type(b).qualified_name.clone());
                Some((t.is_abstract, t.declared_properties.clone(), base))
            }
            _ => None,
        }
    }

    /// Checks every property of every structured type of a CSDL file against the model;
    /// `exhaustive`: the file also lists every property we declare (seed-era ones aside).
    fn check_properties_against(xml: &str, file: &str, exhaustive: bool) -> usize {
        let model = crate::model();
        let mut checked = 0;
        for block in structured_blocks(xml) {
            let (is_abstract, props, base) = declared(&model, &block.name)
                .unwrap_or_else(|| panic!("{file}: type {} missing", block.name));
            assert_eq!(
                is_abstract, block.is_abstract,
                "{file}: {} Abstract",
                block.name
            );
            assert_eq!(
                base,
                block.base.as_deref().map(qualify),
                "{file}: {} BaseType",
                block.name
            );
            for p in &block.properties {
                let ours = props
                    .iter()
                    .find(|o| o.name == p.name)
                    .unwrap_or_else(|| panic!("{file}: {}/{} missing", block.name, p.name));
                assert_eq!(
                    model.type_ref_name(&ours.type_ref),
                    qualify(&p.type_name),
                    "{file}: {}/{} Type",
                    block.name,
                    p.name
                );
                assert_eq!(
                    ours.type_ref.nullable, p.nullable,
                    "{file}: {}/{} Nullable",
                    block.name, p.name
                );
                checked += 1;
            }
            // Everything we declare beyond this file is seed-era (or deviceManagement's
            // abridged members, of which we declare none).
            for o in props.iter().filter(|_| exhaustive) {
                assert!(
                    block.properties.iter().any(|p| p.name == o.name)
                        || SEED_ERA.contains(&o.name.as_str()),
                    "{file}: {}/{} is neither in the CSDL nor seed-era",
                    block.name,
                    o.name
                );
            }
            if block.entity {
                let id = model.find_entity_type(&block.name).expect("entity");
                for n in &block.navigation {
                    let Some(ours) = model.entity_type(id).navigation_property(&n.name) else {
                        assert_eq!(n.name, "domainJoinConfiguration", "{file}: nav missing");
                        continue;
                    };
                    let target = &model.entity_type(ours.target).qualified_name;
                    let ours_type = if ours.collection {
                        format!("Collection({target})")
                    } else {
                        target.clone()
                    };
                    assert_eq!(ours_type, qualify(&n.type_name), "{file}: {}", n.name);
                    assert_eq!(ours.contains_target, n.contained, "{file}: {}", n.name);
                }
            }
        }
        checked
    }

    #[test]
    fn model_builds_with_the_graph_container() {
        let model = crate::model();
        assert_eq!(model.namespace, crate::NAMESPACE);
        assert_eq!(model.alias.as_deref(), Some("graph"));
        assert_eq!(model.container.name, "GraphService");
        assert!(model.container.entity_sets.is_empty(), "no entity sets");
        let singleton = model.singleton(SINGLETON).expect("singleton");
        let dm = model.entity_type(singleton.entity_type);
        assert_eq!(dm.qualified_name, DEVICE_MANAGEMENT_TYPE);
        let navs: Vec<_> = dm
            .navigation_properties()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(
            navs,
            [
                "autopilotEvents",
                "windowsAutopilotDeploymentProfiles",
                "windowsAutopilotDeviceIdentities"
            ]
        );
        assert!(
            dm.navigation_properties()
                .all(|n| n.contains_target && n.collection)
        );
        let entity = model.find_entity_type(ENTITY_TYPE).expect("entity");
        for t in &model.entity_types {
            assert!(
                model.entity_derives_from(model.find_entity_type(&t.name).expect("t"), entity),
                "{} derives from graph.entity",
                t.name
            );
            assert_eq!(t.key, ["id"]);
            let id = t.property("id").expect("id");
            assert_eq!(id.type_ref.max_length, Some(ID_MAX_LENGTH), "{}", t.name);
        }
        assert_eq!(model.entity_types.len(), 9);
        assert_eq!(model.complex_types.len(), 9);
        assert_eq!(model.enum_types.len(), 14);
    }

    #[test]
    fn every_csdl_property_exists_with_its_type_and_nullability() {
        let checked = check_properties_against(&csdl(), "2026 CSDL", true);
        assert!(checked > 90, "checked only {checked} properties");
        // Every type of the excerpt is declared, and nothing else.
        let model = crate::model();
        let csdl_types: BTreeSet<String> = structured_blocks(&csdl())
            .into_iter()
            .map(|b| b.name)
            .collect();
        let ours: BTreeSet<String> = model
            .entity_types
            .iter()
            .map(|t| t.name.clone())
            .chain(model.complex_types.iter().map(|t| t.name.clone()))
            .collect();
        assert_eq!(ours, csdl_types);
    }

    #[test]
    fn seed_era_properties_match_the_legacy_csdl() {
        let legacy = legacy_csdl();
        let checked = check_properties_against(&legacy, "2021 CSDL", false);
        assert!(checked > 50, "checked only {checked} properties");
        for name in SEED_ERA {
            assert!(
                legacy.contains(&format!("<Property Name=\"{name}\"")),
                "{name}"
            );
        }
    }

    #[test]
    fn actions_match_the_csdl() {
        let model = crate::model();
        let actions = action_blocks(&csdl());
        assert_eq!(actions.len(), model.actions.len());
        for a in actions {
            let ours = model
                .actions
                .iter()
                .find(|o| o.name == a.name)
                .unwrap_or_else(|| panic!("action {} missing", a.name));
            assert!(ours.is_bound && ours.return_type.is_none(), "{}", a.name);
            let ours_names: Vec<&str> = ours.parameters.iter().map(|p| p.name.as_str()).collect();
            let csdl_names: Vec<&str> = a.parameters.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(ours_names, csdl_names, "{} parameters", a.name);
            for (o, p) in ours.parameters.iter().zip(&a.parameters) {
                assert_eq!(model.type_ref_name(&o.type_ref), qualify(&p.type_name));
                assert_eq!(o.type_ref.unicode == Some(false), p.unicode_false);
                if p.name != "bindingParameter" {
                    assert_eq!(o.type_ref.nullable, p.nullable, "{}/{}", a.name, p.name);
                }
            }
        }
    }

    /// SQLite column type of a property: the framework's mapping, which the service also
    /// checks against the live database at start-up.
    fn sql_type(t: &TypeRef) -> &'static str {
        column_type(ColumnKind::of(t), Backend::Sqlite)
    }

    /// `table → (column → rest of its definition)`, plus the table-level lines.
    fn tables(sql: &str) -> BTreeMap<String, (BTreeMap<String, String>, Vec<String>)> {
        let mut out = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in sql.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("CREATE TABLE \"") {
                let name = rest.split('"').next().expect("table name").to_owned();
                out.insert(name.clone(), (BTreeMap::new(), Vec::new()));
                current = Some(name);
            } else if line.starts_with(");") || line.starts_with(')') {
                assert!(!line.contains("WITHOUT ROWID"), "rowid tables wanted");
                current = None;
            } else if let Some(table) = &current {
                let entry = out.get_mut(table).expect("open table");
                if let Some(rest) = line.strip_prefix('"') {
                    let (col, def) = rest.split_once('"').expect("quoted column");
                    let def = def.trim().trim_end_matches(',').to_owned();
                    assert!(
                        entry.0.insert(col.to_owned(), def).is_none(),
                        "{table}: duplicate column {col}"
                    );
                } else {
                    entry.1.push(line.to_owned());
                }
            }
        }
        out
    }

    /// `(index name, table, columns)` of every CREATE INDEX.
    fn indexes(sql: &str) -> Vec<(String, String, Vec<String>)> {
        sql.lines()
            .filter_map(|l| l.trim().strip_prefix("CREATE INDEX \""))
            .map(|rest| {
                let quoted: Vec<&str> = rest.split('"').collect();
                // name " ON " table " (" col ", " col ... ");
                let name = quoted[0].to_owned();
                let table = quoted[2].to_owned();
                let cols = quoted[4..]
                    .iter()
                    .step_by(2)
                    .map(|c| (*c).to_owned())
                    .collect();
                (name, table, cols)
            })
            .collect()
    }

    #[test]
    fn migration_has_a_column_for_every_property() {
        let model = crate::model();
        let sql = migration();
        let tables = tables(&sql);
        // table, root type of its hierarchy, contained in another entity
        let mapping = [
            ("autopilot_events", EVENT_TYPE, false),
            (
                "autopilot_policy_status_details",
                POLICY_STATUS_DETAIL_TYPE,
                true,
            ),
            ("device_identities", DEVICE_IDENTITY_TYPE, false),
            ("deployment_profiles", PROFILE_TYPE, false),
            ("deployment_profile_assignments", ASSIGNMENT_TYPE, true),
        ];
        assert_eq!(tables.len(), mapping.len());
        for (table, root, contained) in mapping {
            let (columns, constraints) = tables
                .get(table)
                .unwrap_or_else(|| panic!("table {table} missing"));
            let mut expected: BTreeMap<String, String> = [
                ("_tenant", "TEXT NOT NULL DEFAULT ''"),
                ("_type", "TEXT NOT NULL"),
                ("_version", "INTEGER NOT NULL DEFAULT 1"),
            ]
            .into_iter()
            .map(|(c, d)| (c.to_owned(), d.to_owned()))
            .collect();
            if contained {
                expected.insert("_parent".into(), "TEXT NOT NULL".into());
            }
            let root = model.find_entity_type(root).expect("root type");
            for ty in model.entity_type_and_subtypes(root) {
                let ty = model.entity_type(ty);
                for p in ty.properties() {
                    let def = if p.name == "id" {
                        "TEXT NOT NULL".to_owned()
                    } else {
                        sql_type(&p.type_ref).to_owned()
                    };
                    expected.insert(p.name.clone(), def);
                    if p.type_ref.primitive() == Some(PrimitiveKind::DateTimeOffset) {
                        expected.insert(
                            format!("{}__utc", p.name),
                            column_type(ColumnKind::Integer, Backend::Sqlite).into(),
                        );
                    }
                }
                for n in ty.navigation_properties() {
                    if !n.collection && !n.contains_target {
                        expected.insert(format!("{}__id", n.name), "TEXT".into());
                    }
                }
            }
            assert_eq!(columns, &expected, "columns of {table}");
            assert_eq!(
                constraints,
                &vec!["PRIMARY KEY (\"_tenant\", \"id\")".to_owned()],
                "{table}"
            );
        }
        let all = indexes(&sql);
        for (name, table, cols) in &all {
            assert_eq!(cols[0], "_tenant", "{name} is led by _tenant");
            assert_eq!(name, &format!("ix_{table}_{}", cols[1..].join("_")));
            for c in cols {
                assert!(tables[table].0.contains_key(c), "{name}: no column {c}");
            }
        }
        let wanted = [
            ("autopilot_events", "deviceSerialNumber_id"),
            ("autopilot_events", "userPrincipalName_id"),
            ("autopilot_events", "deploymentState_eventDateTime__utc_id"),
            ("autopilot_events", "enrollmentState_eventDateTime__utc_id"),
            ("autopilot_events", "deviceId_id"),
            ("autopilot_events", "eventDateTime__utc_id"),
            ("autopilot_policy_status_details", "_parent"),
            ("device_identities", "serialNumber_id"),
            ("device_identities", "userPrincipalName_id"),
            ("device_identities", "enrollmentState_id"),
            ("device_identities", "deploymentProfileAssignmentStatus_id"),
            ("device_identities", "groupTag_id"),
            ("device_identities", "azureAdDeviceId_id"),
            ("device_identities", "deploymentProfile__id"),
            ("device_identities", "intendedDeploymentProfile__id"),
            ("deployment_profiles", "displayName"),
            ("deployment_profiles", "createdDateTime__utc"),
            ("deployment_profile_assignments", "_parent"),
        ];
        let names: BTreeSet<String> = all.iter().map(|(n, _, _)| n.clone()).collect();
        let wanted: BTreeSet<String> = wanted.iter().map(|(t, c)| format!("ix_{t}_{c}")).collect();
        assert_eq!(names, wanted);
    }
}
