//! CSDL JSON writer.

use serde_json::{Map, Value, json};

use super::xml::AnnotationPlacement;
use super::{
    CsdlVersion, DocumentOrder, Names, has_container, json_enum_member, used_vocabularies,
};
use crate::edm::{
    Action, Annotation, AnnotationValue, ComplexType, EntityType, EnumType, Model,
    NavigationProperty, PrimitiveKind, Property, TypeDefinition, TypeKind, TypeRef,
};

/// The CSDL JSON 4.01 `$metadata` document of `model`, types in dependency order (see the
/// [module documentation](super)); object members keep that order when serialized.
///
/// Type references use the alias-qualified name when the schema has an alias;
/// `$EntityContainer` uses the namespace-qualified name as the specification requires.
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
/// let doc = odata_core::csdl::to_json(&model);
/// assert_eq!(doc["$EntityContainer"], "example.shop.Container");
/// assert_eq!(doc["example.shop"]["product"]["$Key"][0], "sku");
/// ```
pub fn to_json(model: &Model) -> Value {
    to_json_version(model, CsdlVersion::default())
}

/// [`to_json`] declaring `version`.
pub fn to_json_version(model: &Model, version: CsdlVersion) -> Value {
    to_json_placed(model, version, AnnotationPlacement::Inline)
}

/// [`to_json_version`] with the term names of `placement`: through aliases
/// (`@Core.Computed`) or, for [`AnnotationPlacement::External`], by their full names
/// (`@Org.OData.Core.V1.Computed`) except the schema's own. Annotations stay with their
/// elements either way.
pub fn to_json_placed(
    model: &Model,
    version: CsdlVersion,
    placement: AnnotationPlacement,
) -> Value {
    JsonWriter {
        names: Names::new(model),
        model,
        version,
        full_terms: placement == AnnotationPlacement::External,
    }
    .document()
}

struct JsonWriter<'m> {
    names: Names<'m>,
    model: &'m Model,
    version: CsdlVersion,
    /// Terms by their full names, not through aliases.
    full_terms: bool,
}

impl JsonWriter<'_> {
    fn document(&self) -> Value {
        let model = self.model;
        let mut doc = Map::new();
        doc.insert("$Version".into(), self.version.as_str().into());
        if has_container(model) {
            doc.insert(
                "$EntityContainer".into(),
                format!("{}.{}", model.namespace, model.container.name).into(),
            );
        }
        let vocabularies = used_vocabularies(model);
        if !vocabularies.is_empty() {
            let references = vocabularies
                .into_iter()
                .map(|v| {
                    let include = json!({
                        "$Include": [{ "$Namespace": v.namespace, "$Alias": v.alias }]
                    });
                    (v.uri("json"), include)
                })
                .collect();
            doc.insert("$Reference".into(), Value::Object(references));
        }
        doc.insert(model.namespace.clone(), Value::Object(self.schema()));
        Value::Object(doc)
    }

    fn schema(&self) -> Map<String, Value> {
        let model = self.model;
        let mut schema = Map::new();
        if let Some(alias) = &model.alias {
            schema.insert("$Alias".into(), alias.as_str().into());
        }
        let order = DocumentOrder::of(model);
        for &id in &order.enums {
            let e = model.enum_type(id);
            schema.insert(e.name.clone(), self.enum_type(e));
        }
        for t in &model.type_definitions {
            schema.insert(t.name.clone(), self.type_definition(t));
        }
        for &id in &order.complex {
            let c = model.complex_type(id);
            schema.insert(c.name.clone(), self.complex_type(c));
        }
        for &id in &order.entities {
            let e = model.entity_type(id);
            schema.insert(e.name.clone(), self.entity_type(e));
        }
        // Overloads share one array, placed where the first one is declared.
        let operations = model
            .actions
            .iter()
            .map(|a| (a, "Action"))
            .chain(model.functions.iter().map(|f| (f, "Function")));
        for (a, kind) in operations {
            let overloads = schema
                .entry(a.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = overloads {
                list.push(self.operation(a, kind));
            }
        }
        if has_container(model) {
            schema.insert(model.container.name.clone(), self.container());
        }
        self.annotations_with(&mut schema, "", &model.annotations, false);
        let mut targets = Map::new();
        for external in &model.external_annotations {
            let target = targets
                .entry(self.names.qualified(&external.target).into_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(target) = target {
                self.annotations(target, "", &external.annotations);
            }
        }
        targets.retain(|_, annotations| annotations.as_object().is_some_and(|a| !a.is_empty()));
        if !targets.is_empty() {
            schema.insert("$Annotations".into(), Value::Object(targets));
        }
        schema
    }

    /// Adds `@Term` (or `{prefix}@Term`) members for the annotations.
    fn annotations(&self, obj: &mut Map<String, Value>, prefix: &str, annotations: &[Annotation]) {
        self.annotations_with(obj, prefix, annotations, self.full_terms);
    }

    fn annotations_with(
        &self,
        obj: &mut Map<String, Value>,
        prefix: &str,
        annotations: &[Annotation],
        full_terms: bool,
    ) {
        for a in annotations {
            let term = if full_terms {
                std::borrow::Cow::Borrowed(a.term.as_str())
            } else {
                self.names.term(a)
            };
            obj.insert(format!("{prefix}@{term}"), annotation_value(&a.value));
        }
    }

    /// `$Collection`, `$Type` (omitted for `Edm.String`), `$Nullable` (only when true) and
    /// facets of a property, parameter or return type.
    fn type_ref(&self, obj: &mut Map<String, Value>, type_ref: &TypeRef) {
        if type_ref.collection {
            obj.insert("$Collection".into(), true.into());
        }
        if type_ref.definition.is_some()
            || type_ref.kind != TypeKind::Primitive(PrimitiveKind::String)
        {
            let name = self.names.type_ref_name(&TypeRef {
                collection: false,
                ..type_ref.clone()
            });
            obj.insert("$Type".into(), name.into_owned().into());
        }
        if type_ref.nullable {
            obj.insert("$Nullable".into(), true.into());
        }
        if type_ref.definition.is_none() {
            self.facets(obj, type_ref);
        }
    }

    /// `$MaxLength`, `$Precision`, `$Scale` and `$Unicode` (defaults omitted).
    fn facets(&self, obj: &mut Map<String, Value>, type_ref: &TypeRef) {
        if let Some(n) = type_ref.max_length {
            obj.insert("$MaxLength".into(), n.into());
        }
        if let Some(n) = type_ref.precision {
            obj.insert("$Precision".into(), n.into());
        }
        if let Some(n) = type_ref.scale {
            obj.insert("$Scale".into(), n.into());
        }
        if type_ref.unicode == Some(false) {
            obj.insert("$Unicode".into(), false.into());
        }
        if let Some(n) = type_ref.srid {
            obj.insert("$SRID".into(), n.into());
        }
    }

    fn enum_type(&self, e: &EnumType) -> Value {
        let mut obj = Map::new();
        obj.insert("$Kind".into(), "EnumType".into());
        if e.underlying_declared || e.underlying != PrimitiveKind::Int32 {
            obj.insert("$UnderlyingType".into(), e.underlying.name().into());
        }
        if e.is_flags {
            obj.insert("$IsFlags".into(), true.into());
        }
        for m in &e.members {
            obj.insert(m.name.clone(), m.value.into());
            self.annotations(&mut obj, &m.name, &m.annotations);
        }
        self.annotations(&mut obj, "", &e.annotations);
        Value::Object(obj)
    }

    fn type_definition(&self, t: &TypeDefinition) -> Value {
        let mut obj = Map::new();
        obj.insert("$Kind".into(), "TypeDefinition".into());
        obj.insert("$UnderlyingType".into(), t.underlying.name().into());
        self.facets(
            &mut obj,
            &TypeRef {
                max_length: t.max_length,
                precision: t.precision,
                scale: t.scale,
                unicode: t.unicode,
                ..TypeRef::of(TypeKind::Primitive(t.underlying))
            },
        );
        self.annotations(&mut obj, "", &t.annotations);
        Value::Object(obj)
    }

    fn property(&self, p: &Property) -> Value {
        let mut obj = Map::new();
        self.type_ref(&mut obj, &p.type_ref);
        if let Some(default) = &p.default_value {
            obj.insert("$DefaultValue".into(), default_value_json(p, default));
        }
        self.annotations(&mut obj, "", &p.annotations);
        Value::Object(obj)
    }

    fn navigation(&self, n: &NavigationProperty) -> Value {
        let mut obj = Map::new();
        obj.insert("$Kind".into(), "NavigationProperty".into());
        if n.collection {
            obj.insert("$Collection".into(), true.into());
        }
        obj.insert(
            "$Type".into(),
            self.names.entity_name(n.target).into_owned().into(),
        );
        if !n.collection && n.nullable {
            obj.insert("$Nullable".into(), true.into());
        }
        if let Some(partner) = &n.partner {
            obj.insert("$Partner".into(), partner.as_str().into());
        }
        if n.contains_target {
            obj.insert("$ContainsTarget".into(), true.into());
        }
        if !n.constraints.is_empty() {
            let constraints = n
                .constraints
                .iter()
                .map(|c| (c.property.clone(), c.referenced_property.as_str().into()))
                .collect();
            obj.insert("$ReferentialConstraint".into(), Value::Object(constraints));
        }
        if let Some(action) = n.on_delete {
            obj.insert("$OnDelete".into(), action.name().into());
        }
        self.annotations(&mut obj, "", &n.annotations);
        Value::Object(obj)
    }

    fn structured_header(
        &self,
        kind: &str,
        base: Option<TypeKind>,
        is_abstract: bool,
        is_open: bool,
    ) -> Map<String, Value> {
        let mut obj = Map::new();
        obj.insert("$Kind".into(), kind.into());
        if let Some(base) = base {
            obj.insert(
                "$BaseType".into(),
                self.names.type_name(base).into_owned().into(),
            );
        }
        if is_abstract {
            obj.insert("$Abstract".into(), true.into());
        }
        if is_open {
            obj.insert("$OpenType".into(), true.into());
        }
        obj
    }

    fn complex_type(&self, c: &ComplexType) -> Value {
        let base = c.base.map(TypeKind::Complex);
        let mut obj = self.structured_header("ComplexType", base, c.is_abstract, c.is_open);
        for p in &c.declared_properties {
            obj.insert(p.name.clone(), self.property(p));
        }
        self.annotations(&mut obj, "", &c.annotations);
        Value::Object(obj)
    }

    fn entity_type(&self, e: &EntityType) -> Value {
        let base = e.base.map(TypeKind::Entity);
        let mut obj = self.structured_header("EntityType", base, e.is_abstract, e.is_open);
        if e.declares_stream {
            obj.insert("$HasStream".into(), true.into());
        }
        if e.declares_key && !e.key.is_empty() {
            obj.insert("$Key".into(), e.key.clone().into());
        }
        for p in &e.declared_properties {
            obj.insert(p.name.clone(), self.property(p));
        }
        for s in &e.declared_stream_properties {
            let mut stream = Map::new();
            stream.insert("$Type".into(), "Edm.Stream".into());
            self.annotations(&mut stream, "", &s.annotations);
            obj.insert(s.name.clone(), Value::Object(stream));
        }
        for n in &e.declared_navigation {
            obj.insert(n.name.clone(), self.navigation(n));
        }
        self.annotations(&mut obj, "", &e.annotations);
        Value::Object(obj)
    }

    /// An action or function (`kind`).
    fn operation(&self, a: &Action, kind: &str) -> Value {
        let mut obj = Map::new();
        obj.insert("$Kind".into(), kind.into());
        if a.is_bound {
            obj.insert("$IsBound".into(), true.into());
        }
        if let Some(path) = &a.entity_set_path {
            obj.insert("$EntitySetPath".into(), path.as_str().into());
        }
        if !a.parameters.is_empty() {
            let params = a
                .parameters
                .iter()
                .map(|p| {
                    let mut param = Map::new();
                    param.insert("$Name".into(), p.name.as_str().into());
                    self.type_ref(&mut param, &p.type_ref);
                    self.annotations(&mut param, "", &p.annotations);
                    Value::Object(param)
                })
                .collect();
            obj.insert("$Parameter".into(), Value::Array(params));
        }
        if let Some(r) = &a.return_type {
            let mut ret = Map::new();
            self.type_ref(&mut ret, r);
            obj.insert("$ReturnType".into(), Value::Object(ret));
        }
        self.annotations(&mut obj, "", &a.annotations);
        Value::Object(obj)
    }

    fn container(&self) -> Value {
        let c = &self.model.container;
        let mut obj = Map::new();
        obj.insert("$Kind".into(), "EntityContainer".into());
        for s in &c.entity_sets {
            let mut set = Map::new();
            set.insert("$Collection".into(), true.into());
            set.insert(
                "$Type".into(),
                self.names.entity_name(s.entity_type).into_owned().into(),
            );
            if !s.navigation_bindings.is_empty() {
                let bindings = s
                    .navigation_bindings
                    .iter()
                    .map(|(path, target)| (path.clone(), target.as_str().into()))
                    .collect();
                set.insert("$NavigationPropertyBinding".into(), Value::Object(bindings));
            }
            self.annotations(&mut set, "", &s.annotations);
            obj.insert(s.name.clone(), Value::Object(set));
        }
        for s in &c.singletons {
            let mut singleton = Map::new();
            singleton.insert(
                "$Type".into(),
                self.names.entity_name(s.entity_type).into_owned().into(),
            );
            self.annotations(&mut singleton, "", &s.annotations);
            obj.insert(s.name.clone(), Value::Object(singleton));
        }
        for import in &c.function_imports {
            if let Some(function) = self.model.functions.get(import.function) {
                let mut entry = json!({ "$Function": function.qualified_name });
                if let (Some(set), Value::Object(entry)) = (&import.entity_set, &mut entry) {
                    entry.insert("$EntitySet".into(), set.as_str().into());
                }
                obj.insert(import.name.clone(), entry);
            }
        }
        for import in &c.action_imports {
            if let Some(action) = self.model.actions.get(import.action) {
                obj.insert(
                    import.name.clone(),
                    json!({ "$Action": action.qualified_name }),
                );
            }
        }
        self.annotations(&mut obj, "", &c.annotations);
        Value::Object(obj)
    }
}

/// An annotation value in CSDL JSON: constants as JSON values (an enum member by its name,
/// flags comma-separated), a navigation property path as `{"$NavigationPropertyPath": …}`,
/// a collection as an array, a record as an object.
/// A `DefaultValue` in its type's JSON representation: numbers and booleans as JSON
/// numbers and booleans, everything else as the literal string.
fn default_value_json(p: &Property, literal: &str) -> Value {
    let numeric = matches!(
        p.type_ref.kind,
        TypeKind::Primitive(
            PrimitiveKind::Boolean
                | PrimitiveKind::Byte
                | PrimitiveKind::SByte
                | PrimitiveKind::Int16
                | PrimitiveKind::Int32
                | PrimitiveKind::Int64
                | PrimitiveKind::Double
                | PrimitiveKind::Single
        )
    );
    numeric
        .then(|| serde_json::from_str::<Value>(literal).ok())
        .flatten()
        .filter(|v| v.is_number() || v.is_boolean())
        .unwrap_or_else(|| literal.into())
}

fn annotation_value(value: &AnnotationValue) -> Value {
    match value {
        AnnotationValue::String(s) => Value::from(s.as_str()),
        AnnotationValue::Bool(b) => Value::from(*b),
        AnnotationValue::Int(i) => Value::from(*i),
        AnnotationValue::EnumMember(p) => Value::from(json_enum_member(p)),
        AnnotationValue::NavigationPropertyPath(p) => json!({ "$NavigationPropertyPath": p }),
        AnnotationValue::PropertyPath(p) => json!({ "$PropertyPath": p }),
        AnnotationValue::Collection(items) => items.iter().map(annotation_value).collect(),
        AnnotationValue::Record(values) => Value::Object(
            values
                .iter()
                .map(|v| (v.property.clone(), annotation_value(&v.value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::{Value, json};

    use super::to_json;
    use crate::csdl::tests::sample;
    use crate::edm::{ActionDef, EntityTypeDef, ModelBuilder, PropertyDef};

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn document_header_and_schema_order() {
        let doc = to_json(&sample());
        assert_eq!(
            keys(&doc),
            [
                "$Version",
                "$EntityContainer",
                "$Reference",
                "example.devices"
            ]
        );
        assert_eq!(doc["$Version"], "4.01");
        assert_eq!(doc["$EntityContainer"], "example.devices.Service");
        assert_eq!(
            doc["$Reference"],
            json!({
                "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.json": {
                    "$Include": [{ "$Namespace": "Org.OData.Core.V1", "$Alias": "Core" }]
                }
            })
        );
        assert_eq!(
            keys(&doc["example.devices"]),
            [
                "$Alias",
                "capability",
                "state",
                "geoPoint",
                "address",
                "postalAddress",
                "location",
                "entity",
                "device",
                "phone",
                "user",
                "event",
                "assignUser",
                "resetAll",
                "Service",
            ]
        );
        assert_eq!(doc["example.devices"]["$Alias"], "dev");
        assert_eq!(doc, to_json(&sample()), "output is deterministic");
    }

    #[test]
    fn enums_complex_and_entity_types() {
        let doc = to_json(&sample());
        let s = &doc["example.devices"];
        assert_eq!(
            s["capability"],
            json!({"$Kind": "EnumType", "$UnderlyingType": "Edm.Int64", "$IsFlags": true,
                   "none": 0, "camera": 1, "gps": 2})
        );
        assert_eq!(
            s["state"],
            json!({"$Kind": "EnumType", "unknown": 0, "active": 1,
                   "@Core.Description": "Lifecycle state"})
        );
        assert_eq!(
            s["postalAddress"],
            json!({"$Kind": "ComplexType", "$BaseType": "dev.address",
                   "postalCode": {"$Nullable": true, "$MaxLength": 10}})
        );
        assert_eq!(
            s["geoPoint"]["latitude"],
            json!({"$Type": "Edm.Decimal", "$Precision": 9, "$Scale": 6})
        );
        assert_eq!(
            s["location"]["trail"],
            json!({"$Collection": true, "$Type": "dev.geoPoint", "$Nullable": true})
        );
        assert_eq!(
            s["entity"],
            json!({"$Kind": "EntityType", "$Abstract": true, "$Key": ["id"], "id": {}})
        );
        let device = &s["device"];
        assert_eq!(device["$BaseType"], "dev.entity");
        assert_eq!(device["$OpenType"], true);
        assert!(device.get("$Key").is_none(), "key only where declared");
        assert!(device.get("$Abstract").is_none());
        assert_eq!(
            device["displayName"],
            json!({"$Nullable": true, "@Core.Description": r#"Name shown <to> users & "admins""#})
        );
        assert_eq!(device["state"], json!({"$Type": "dev.state"}));
        assert_eq!(
            device["tags"],
            json!({"$Collection": true, "$Nullable": true})
        );
        assert_eq!(
            device["createdDateTime"],
            json!({"$Type": "Edm.DateTimeOffset", "@Core.Computed": true})
        );
        assert_eq!(
            device["serialNumber"],
            json!({"$Nullable": true, "@Core.Permissions": "Read"})
        );
        assert_eq!(
            device["password"],
            json!({"$Nullable": true, "@Core.Permissions": "Write"})
        );
        assert_eq!(
            device["owner"],
            json!({"$Kind": "NavigationProperty", "$Type": "dev.user", "$Partner": "devices"})
        );
        assert_eq!(
            device["events"],
            json!({"$Kind": "NavigationProperty", "$Collection": true, "$Type": "dev.event",
                   "$ContainsTarget": true})
        );
        assert_eq!(
            s["phone"]["number"],
            json!({"$Nullable": true, "$Unicode": false})
        );
        assert_eq!(s["user"]["@Core.Description"], "A person");
    }

    #[test]
    fn actions_and_container() {
        let doc = to_json(&sample());
        let s = &doc["example.devices"];
        assert_eq!(
            s["assignUser"],
            json!([{
                "$Kind": "Action",
                "$IsBound": true,
                "$Parameter": [
                    {"$Name": "bindingParameter", "$Type": "dev.device", "$Nullable": true},
                    {"$Name": "userId"},
                    {"$Name": "slots", "$Collection": true, "$Type": "Edm.Int32", "$Nullable": true}
                ],
                "$ReturnType": {"$Type": "dev.user", "$Nullable": true}
            }])
        );
        assert_eq!(
            s["Service"],
            json!({
                "$Kind": "EntityContainer",
                "devices": {"$Collection": true, "$Type": "dev.device"},
                "users": {"$Collection": true, "$Type": "dev.user"},
                "me": {"$Type": "dev.user"}
            })
        );
    }

    #[test]
    fn container_set_singleton_and_external_annotations() {
        let doc = to_json(&crate::csdl::tests::annotated_sample());
        assert_eq!(
            doc["$Reference"],
            json!({
                "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.json": {
                    "$Include": [{ "$Namespace": "Org.OData.Core.V1", "$Alias": "Core" }]
                },
                "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.json": {
                    "$Include": [{ "$Namespace": "Org.OData.Capabilities.V1", "$Alias": "Capabilities" }]
                }
            })
        );
        let s = &doc["example.devices"];
        let container = &s["Service"];
        assert_eq!(container["@Core.ODataVersions"], "4.0 4.01");
        assert_eq!(container["@Capabilities.ConformanceLevel"], "Minimal");
        assert_eq!(container["@Capabilities.BatchSupported"], false);
        assert_eq!(
            container["@Capabilities.FilterFunctions"],
            json!(["eq", "contains"])
        );
        assert_eq!(
            container["devices"],
            json!({
                "$Collection": true,
                "$Type": "dev.device",
                "@Capabilities.ExpandRestrictions": {
                    "Expandable": true,
                    "MaxLevels": 4,
                    "NonExpandableProperties": [{"$NavigationPropertyPath": "events"}]
                },
                "@Capabilities.TopSupported": true
            })
        );
        assert_eq!(
            container["me"]["@Capabilities.NavigationRestrictions"],
            json!({"RestrictedProperties": [
                {"NavigationProperty": {"$NavigationPropertyPath": "devices"}, "TopSupported": true}
            ]})
        );
        assert_eq!(
            s["$Annotations"],
            json!({"dev.Service/me/devices": {"@Capabilities.CountRestrictions": {"Countable": true}}})
        );
        assert_eq!(keys(s).last(), Some(&"$Annotations"));
    }

    #[test]
    fn overloads_share_one_array_and_names_use_the_namespace_without_alias() {
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("a")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null()),
            )
            .entity_type(EntityTypeDef::new("b").base("a"))
            .action(ActionDef::new("go").bound_to("x", "ns.a"))
            .action(ActionDef::new("stop"))
            .action(ActionDef::new("go").bound_to("x", "Collection(ns.b)"))
            .build()
            .unwrap();
        let doc = to_json(&model);
        assert_eq!(keys(&doc), ["$Version", "ns"], "no container, no reference");
        assert_eq!(keys(&doc["ns"]), ["a", "b", "go", "stop"]);
        assert_eq!(
            doc["ns"]["go"],
            json!([
                {"$Kind": "Action", "$IsBound": true,
                 "$Parameter": [{"$Name": "x", "$Type": "ns.a", "$Nullable": true}]},
                {"$Kind": "Action", "$IsBound": true,
                 "$Parameter": [{"$Name": "x", "$Collection": true, "$Type": "ns.b", "$Nullable": true}]}
            ])
        );
        assert_eq!(doc["ns"]["stop"], json!([{"$Kind": "Action"}]));
        assert_eq!(
            doc["ns"]["b"],
            json!({"$Kind": "EntityType", "$BaseType": "ns.a"})
        );
    }

    #[test]
    fn writes_referential_constraints_and_on_delete() {
        let json = to_json(&crate::csdl::xml::tests::constrained());
        assert_eq!(
            json["ns"]["group"]["items"],
            json!({"$Kind": "NavigationProperty", "$Collection": true, "$Type": "ns.item",
                   "$Partner": "group", "$OnDelete": "Cascade"})
        );
        assert_eq!(
            json["ns"]["item"]["group"],
            json!({"$Kind": "NavigationProperty", "$Type": "ns.group", "$Nullable": true,
                   "$Partner": "items", "$ReferentialConstraint": {"groupId": "id"}})
        );
    }
}
