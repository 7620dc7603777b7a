//! Checks the Core and Capabilities annotations of a CSDL JSON `$metadata` document against
//! the OASIS vocabularies in `shared/odata-spec/vocabularies/`: every term exists, applies
//! to the element it annotates (for the container, its entity sets and singletons, and path
//! targets), and its value has the term's type — record properties that the record type (or
//! a base type) declares, with values of their declared types, enum members the enum
//! declares. For the test binaries that include this file (`#[path =
//! "support/vocabulary.rs"] mod vocabulary;`) and the acceptance-test crate.

use std::path::Path;

use serde_json::{Map, Value};

/// The vocabularies the service references, by alias.
pub struct Vocabularies {
    schemas: Vec<(String, Map<String, Value>)>,
}

impl Vocabularies {
    /// Reads `Org.OData.Core.V1.json` and `Org.OData.Capabilities.V1.json` from `dir`.
    pub fn load(dir: &Path) -> Self {
        let schemas = ["Org.OData.Core.V1", "Org.OData.Capabilities.V1"]
            .into_iter()
            .map(|namespace| {
                let path = dir.join(format!("{namespace}.json"));
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                let doc: Value = serde_json::from_str(&text).expect("vocabulary is JSON");
                let schema = doc[namespace]
                    .as_object()
                    .expect("vocabulary schema")
                    .clone();
                let alias = schema["$Alias"]
                    .as_str()
                    .expect("vocabulary alias")
                    .to_owned();
                (alias, schema)
            })
            .collect();
        Self { schemas }
    }

    /// The vocabulary element `Alias.Name`, if the alias is one of ours.
    fn element(&self, qualified: &str) -> Option<&Map<String, Value>> {
        let (alias, name) = qualified.rsplit_once('.')?;
        let (_, schema) = self.schemas.iter().find(|(a, _)| a == alias)?;
        schema.get(name)?.as_object()
    }

    /// Every problem with the Core and Capabilities annotations of `csdl`; empty when they
    /// all fit the vocabularies. Also returns how many annotations were checked.
    pub fn problems(&self, csdl: &Value) -> (Vec<String>, usize) {
        let mut check = Check {
            vocabularies: self,
            problems: Vec::new(),
            checked: 0,
        };
        let schemas = csdl
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !k.starts_with('$'));
        for (namespace, schema) in schemas {
            check.annotations_anywhere(namespace, schema);
            let Some(schema) = schema.as_object() else {
                continue;
            };
            for (name, element) in schema {
                if element["$Kind"] == "EntityContainer" {
                    check.applies(name, element, "EntityContainer");
                    for (child, value) in element.as_object().into_iter().flatten() {
                        if child.starts_with('$') || child.starts_with('@') {
                            continue;
                        }
                        let kind = if value["$Collection"] == true {
                            "EntitySet"
                        } else {
                            "Singleton"
                        };
                        check.applies(child, value, kind);
                    }
                }
            }
            for (target, annotations) in schema
                .get("$Annotations")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                // A path through a container child ends at a collection-valued navigation.
                check.applies(target, annotations, "Collection");
            }
        }
        (check.problems, check.checked)
    }
}

/// Member `key` of a vocabulary element, `null` when absent.
fn field<'a>(element: &'a Map<String, Value>, key: &str) -> &'a Value {
    element.get(key).unwrap_or(&Value::Null)
}

struct Check<'v> {
    vocabularies: &'v Vocabularies,
    problems: Vec<String>,
    checked: usize,
}

impl Check<'_> {
    /// Every annotation of our vocabularies anywhere below `value`: the term exists and the
    /// value fits its type.
    fn annotations_anywhere(&mut self, at: &str, value: &Value) {
        match value {
            Value::Object(members) => {
                for (key, member) in members {
                    let here = format!("{at}/{key}");
                    if let Some((_, term)) = key.split_once('@')
                        && (term.starts_with("Core.") || term.starts_with("Capabilities."))
                    {
                        self.checked += 1;
                        match self.vocabularies.element(term) {
                            Some(def) if field(def, "$Kind") == "Term" => {
                                let ty = field(def, "$Type").as_str().unwrap_or("Edm.String");
                                let collection = field(def, "$Collection") == true;
                                self.value(&here, member, ty, collection);
                            }
                            _ => self.problems.push(format!("{here}: no term {term}")),
                        }
                    } else {
                        self.annotations_anywhere(&here, member);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.annotations_anywhere(at, item);
                }
            }
            _ => {}
        }
    }

    /// The annotations directly on `element` (a `kind`) apply to that kind.
    fn applies(&mut self, at: &str, element: &Value, kind: &str) {
        for (key, _) in element.as_object().into_iter().flatten() {
            let Some(term) = key.strip_prefix('@') else {
                continue;
            };
            let Some(def) = self.vocabularies.element(term) else {
                continue;
            };
            let applies = field(def, "$AppliesTo")
                .as_array()
                .is_none_or(|kinds| kinds.iter().any(|k| k == kind));
            if !applies {
                self.problems
                    .push(format!("{at}: {term} does not apply to {kind}"));
            }
        }
    }

    /// `value` is of type `ty` (a collection of it when `collection`).
    fn value(&mut self, at: &str, value: &Value, ty: &str, collection: bool) {
        if collection {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(&format!("{at}[{i}]"), item, ty, false);
                    }
                }
                None => self
                    .problems
                    .push(format!("{at}: not a collection of {ty}")),
            }
            return;
        }
        let fits = match ty {
            "Edm.String" => value.is_string(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Int32" | "Edm.Int64" => value.is_i64(),
            "Edm.NavigationPropertyPath" => value["$NavigationPropertyPath"].is_string(),
            "Edm.PropertyPath" => value["$PropertyPath"].is_string(),
            _ => return self.structured(at, value, ty),
        };
        if !fits {
            self.problems.push(format!("{at}: {value} is not {ty}"));
        }
    }

    /// `value` of a vocabulary type: a type definition's underlying type, an enum member
    /// (flags: comma-separated members), or a record of a complex type.
    fn structured(&mut self, at: &str, value: &Value, ty: &str) {
        let Some(def) = self.vocabularies.element(ty) else {
            self.problems.push(format!("{at}: unknown type {ty}"));
            return;
        };
        match field(def, "$Kind").as_str() {
            Some("TypeDefinition") => {
                let underlying = field(def, "$UnderlyingType")
                    .as_str()
                    .unwrap_or("Edm.String");
                self.value(at, value, underlying, false);
            }
            Some("EnumType") => {
                let members = value.as_str().map(|v| v.split(',').collect::<Vec<_>>());
                let known = members.as_ref().is_some_and(|members| {
                    members
                        .iter()
                        .all(|m| !m.starts_with('$') && def.contains_key(m.trim()))
                });
                if !known {
                    self.problems
                        .push(format!("{at}: {value} is no member of {ty}"));
                }
            }
            Some("ComplexType") => {
                let Some(record) = value.as_object() else {
                    self.problems
                        .push(format!("{at}: {value} is not a {ty} record"));
                    return;
                };
                for (property, v) in record {
                    if property.starts_with('@') {
                        continue;
                    }
                    match self.property(ty, property) {
                        Some((pty, collection)) => {
                            self.value(&format!("{at}/{property}"), v, &pty, collection);
                        }
                        None => self
                            .problems
                            .push(format!("{at}: {ty} has no property {property}")),
                    }
                }
            }
            other => self
                .problems
                .push(format!("{at}: {ty} is a {other:?}, not a type")),
        }
    }

    /// The type of `property` of complex type `ty` or of one of its base types.
    fn property(&self, ty: &str, property: &str) -> Option<(String, bool)> {
        let def = self.vocabularies.element(ty)?;
        match def.get(property) {
            Some(p) if p.is_object() && p["$Kind"].is_null() => Some((
                p["$Type"].as_str().unwrap_or("Edm.String").to_owned(),
                p["$Collection"] == true,
            )),
            _ => self.property(field(def, "$BaseType").as_str()?, property),
        }
    }
}
