//! Reading request bodies: every property checked against its EDM type, every error names
//! the property at fault.

use std::cell::{Cell, OnceCell};
use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::control_name;
use crate::edm::{
    ComplexTypeId, EntityType, EntityTypeId, Model, NavigationProperty, PrimitiveKind, Property,
    TypeKind, TypeRef,
};
use crate::error::{ErrorKind, ODataError};
use crate::value::{
    Date, DateTimeOffset, Decimal, Duration, Geo, GeoError, TimeOfDay, Value, check_decimal_facets,
    parse_base64, parse_decimal,
};

/// An entity body read against an entity type.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityPayload {
    /// The concrete type: the declared one, or a derived one named by `@odata.type`.
    pub entity_type: EntityTypeId,
    /// Property values in body order.
    pub values: IndexMap<String, Value>,
    /// The links the body sets, by single-valued navigation property name, in body order.
    pub binds: IndexMap<String, Bind>,
    /// The entities the body adds to collection-valued navigation properties by URL
    /// (`x@odata.bind: ["…", …]`), by navigation property name.
    pub links: IndexMap<String, Links>,
    /// Related entities to create with this one (deep insert: `x: {…}` or `x: [{…}, …]`),
    /// by navigation property name; only in a create body.
    pub inline: IndexMap<String, Inline>,
}

/// A binding member for a collection-valued navigation property `x`: `x@odata.bind` (or
/// `x@bind`) with the URLs of existing entities to add to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The member as written, the target of errors about it.
    pub member: String,
    /// The URLs, as written (see [`Bind::url`]).
    pub urls: Vec<String>,
}

/// Related entities written inline in a create body, to be created with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inline {
    /// The member (navigation property) as written.
    pub member: String,
    /// The entities, each read against the navigation's target type: one for a
    /// single-valued navigation property.
    pub entities: Vec<EntityPayload>,
}

/// A binding member of an entity body, `x@odata.bind` (4.0) or `x@bind` (4.01), for a
/// single-valued navigation property `x`: link the entity to an existing entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// The member as written (`deploymentProfile@odata.bind`), the target of errors about it.
    pub member: String,
    /// The URL of the entity to link, as written: relative to the service root, an absolute
    /// path or an absolute URL. `None` (JSON `null`) removes the link.
    pub url: Option<String>,
}

/// Parses a JSON body into an object, with a 400 naming line and column on bad JSON.
///
/// Stricter than plain JSON parsing: a member name repeated within one object, at any
/// depth, is a 400 whose target is the member's path (`deviceId`, `settings/flag`,
/// `tags[2]/name`), because which of the values would win is parser-dependent. The literal
/// `-0` reads as the integer 0 (serde_json would make it the float -0.0, which integer
/// properties reject); `-0.0` stays a float.
pub fn read_object(body: &[u8]) -> Result<Map<String, Json>, ODataError> {
    let scan = Scan {
        body,
        numbers: Cell::new(0),
        minus_zeros: OnceCell::new(),
        duplicate: Cell::new(None),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = Strict {
        scan: &scan,
        path: Path::Root,
    }
    .deserialize(&mut deserializer)
    .and_then(|json| deserializer.end().map(|()| json));
    let json = parsed.map_err(|e| match scan.duplicate.take() {
        Some(path) => ODataError::bad_request(format!(
            "The member '{path}' appears more than once in the request body (line {}, \
             column {}).",
            e.line(),
            e.column()
        ))
        .with_target(path),
        None => ODataError::bad_request(format!(
            "The request body is not valid JSON: {e} (line {}, column {}).",
            e.line(),
            e.column()
        )),
    })?;
    match json {
        Json::Object(map) => Ok(map),
        other => Err(ODataError::bad_request(format!(
            "The request body must be a JSON object, not {}.",
            json_kind(&other)
        ))),
    }
}

/// State shared by every level of one strict parse.
struct Scan<'b> {
    body: &'b [u8],
    /// Numbers visited so far; serde_json visits them in document order.
    numbers: Cell<usize>,
    /// Document-order indices of the numbers written `-0`, found on first need.
    minus_zeros: OnceCell<Vec<usize>>,
    /// Path of the repeated member that stopped the parse.
    duplicate: Cell<Option<String>>,
}

impl Scan<'_> {
    /// Counts a number; returns its document-order index.
    fn count_number(&self) -> usize {
        let index = self.numbers.get();
        self.numbers.set(index + 1);
        index
    }

    /// Counts a float and says whether it was written exactly `-0`. Only a -0.0 needs the
    /// look at the raw text: serde_json reads `-0`, `-0.0` and `-0e1` all as -0.0.
    fn float_is_minus_zero_literal(&self, value: f64) -> bool {
        let index = self.count_number();
        value == 0.0
            && value.is_sign_negative()
            && self
                .minus_zeros
                .get_or_init(|| minus_zero_literals(self.body))
                .binary_search(&index)
                .is_ok()
    }
}

/// Document-order indices, among all numbers of a JSON text, of those written `-0`.
/// Outside strings, a run starting with `-` or a digit is exactly one number in valid JSON;
/// only the prefix that serde_json has already accepted is ever consulted.
fn minus_zero_literals(body: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut index = 0;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        i += 1;
        match b {
            b'"' => {
                while let Some(&c) = body.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i - 1;
                while body
                    .get(i)
                    .is_some_and(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    i += 1;
                }
                if body.get(start..i) == Some(b"-0") {
                    found.push(index);
                }
                index += 1;
            }
            _ => {}
        }
    }
    found
}

/// Where a value sits in the body, rendered only when an error needs it.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Member(&'p Path<'p>, &'p str),
    Item(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Member(Path::Root, name) => f.write_str(name),
            Path::Member(parent, name) => write!(f, "{parent}/{name}"),
            Path::Item(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// The member name under which serde_json's `arbitrary_precision` passes a number's text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Deserializes one JSON value into a [`Json`], failing on a repeated member name.
struct Strict<'s, 'p> {
    scan: &'s Scan<'s>,
    path: Path<'p>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_, '_> {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_, '_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        self.scan.count_number();
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        self.scan.count_number();
        Ok(Json::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        if self.scan.float_is_minus_zero_literal(v) {
            return Ok(Json::from(0_u64));
        }
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(access.size_hint().unwrap_or(0));
        while let Some(item) = access.next_element_seed(Strict {
            scan: self.scan,
            path: Path::Item(&self.path, items.len()),
        })? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            // serde_json (`arbitrary_precision`) hands a number over as a one-member map
            // holding its exact text, so Edm.Decimal digits survive.
            if key == NUMBER_TOKEN && map.is_empty() {
                let text: String = access.next_value()?;
                self.scan.count_number();
                // `-0` is the integer 0 (integer properties take it); `-0.0` stays a float.
                if text == "-0" {
                    return Ok(Json::from(0_u64));
                }
                return text
                    .parse::<serde_json::Number>()
                    .map(Json::Number)
                    .map_err(de::Error::custom);
            }
            let path = Path::Member(&self.path, &key);
            if map.contains_key(&key) {
                self.scan.duplicate.set(Some(path.to_string()));
                return Err(de::Error::custom(format_args!("duplicate member '{path}'")));
            }
            let value = access.next_value_seed(Strict {
                scan: self.scan,
                path,
            })?;
            map.insert(key, value);
        }
        Ok(Json::Object(map))
    }
}

/// Reads an entity body for an entity of type `declared` (or a subtype).
///
/// Rejects repeated members, unknown and read-only properties, navigation properties,
/// values of the wrong JSON type, out of range or longer than their `MaxLength`, bad
/// temporal literals, unknown enum members, an empty string as a key value, and an
/// `@odata.type` that is not `declared` or derived from it (required when `declared` is
/// abstract).
///
/// `x@odata.bind` (or `x@bind`) for a single-valued navigation property `x` is read into
/// [`EntityPayload::binds`]: its value must be a string (the URL of the entity to link) or,
/// when `x` is nullable, `null` (no link). For a collection-valued `x` it is read into
/// [`EntityPayload::links`] and must be an array of URLs. It is a 400 when `x` is not a
/// navigation property, is a containment navigation property or is bound twice. Whether a
/// URL names an entity is for the caller to check. A navigation property written inline
/// (`x: {…}`, `x: [{…}]`) is read into [`EntityPayload::inline`], each entity as a create
/// body of the navigation's target type (errors name its path, `x[1]/name`). Other
/// annotations are ignored.
pub fn read_entity(
    model: &Model,
    declared: EntityTypeId,
    body: &[u8],
) -> Result<EntityPayload, ODataError> {
    read_entity_with(model, declared, body, WriteRules::default())
}

/// [`read_entity`] under `rules`.
pub fn read_entity_with(
    model: &Model,
    declared: EntityTypeId,
    body: &[u8],
    rules: WriteRules,
) -> Result<EntityPayload, ODataError> {
    read_new_entity(model, declared, &read_object(body)?, rules)
}

/// How a service treats what OData leaves to it in entity bodies. The default is Microsoft
/// Graph's behaviour (a read-only property in a body is a 400; a create may leave out any
/// property, which then gets its default or zero value); [`WriteRules::standard`] is the
/// behaviour OData 4.01 describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteRules {
    /// Values of read-only properties (`Core.Computed`, `Core.Permissions/Read`) in a body
    /// are ignored instead of being a 400.
    pub ignore_read_only: bool,
    /// A create must set every non-nullable property that has no `DefaultValue` and is not
    /// computed (a 400 naming the first one missing), instead of storing its type's zero
    /// value.
    pub require_non_nullable: bool,
    /// Values of read-only properties are kept: for a service's own data (keys, versions
    /// and timestamps of demo data), never for a client's body.
    pub keep_read_only: bool,
}

impl WriteRules {
    /// OData 4.01's rules: read-only values ignored, non-nullable properties without a
    /// default required on create.
    pub fn standard() -> Self {
        Self {
            ignore_read_only: true,
            require_non_nullable: true,
            keep_read_only: false,
        }
    }
}

/// [`read_entity_with`] of a body already parsed with [`read_object`].
pub fn read_entity_object(
    model: &Model,
    declared: EntityTypeId,
    object: &Map<String, Json>,
    rules: WriteRules,
) -> Result<EntityPayload, ODataError> {
    read_new_entity(model, declared, object, rules)
}

/// A create body, or one entity of a deep insert, already parsed.
fn read_new_entity(
    model: &Model,
    declared: EntityTypeId,
    object: &Map<String, Json>,
    rules: WriteRules,
) -> Result<EntityPayload, ODataError> {
    let entity_type = entity_type_of(model, declared, object)?;
    let payload = read_properties(model, entity_type, object, true, rules)?;
    // An empty key makes the entity's key-as-segment URL (`collection/`) name the collection.
    for name in &model.entity_type(entity_type).key {
        if matches!(payload.values.get(name), Some(Value::String(s)) if s.is_empty()) {
            return Err(ODataError::bad_request(format!(
                "The key property '{name}' cannot be an empty string."
            ))
            .with_target(name.clone()));
        }
    }
    Ok(payload)
}

/// Reads an update body (PATCH/PUT) for an existing entity of concrete type `current`.
/// `@odata.type`, if present, must name `current` or one of its base types: an update
/// cannot change an entity's type. Otherwise as [`read_entity`].
pub fn read_entity_update(
    model: &Model,
    current: EntityTypeId,
    body: &[u8],
) -> Result<EntityPayload, ODataError> {
    read_entity_update_object(model, current, &read_object(body)?)
}

/// [`read_entity_update`] of a body already parsed with [`read_object`].
pub fn read_entity_update_object(
    model: &Model,
    current: EntityTypeId,
    object: &Map<String, Json>,
) -> Result<EntityPayload, ODataError> {
    read_entity_update_with(model, current, object, WriteRules::default())
}

/// [`read_entity_update_object`] under `rules`.
pub fn read_entity_update_with(
    model: &Model,
    current: EntityTypeId,
    object: &Map<String, Json>,
    rules: WriteRules,
) -> Result<EntityPayload, ODataError> {
    if let Some(name) = odata_type(object)? {
        let named = model.find_entity_type(name);
        if !named.is_some_and(|n| model.entity_derives_from(current, n)) {
            return Err(ODataError::bad_request(format!(
                "'@odata.type' '{name}' does not match the entity's type '{}'; an update \
                 cannot change the type.",
                model.entity_type(current).qualified_name
            ))
            .with_target("@odata.type"));
        }
    }
    read_properties(model, current, object, false, rules)
}

/// The body's members against `entity_type`; `deep`: navigation properties may hold
/// entities to create (a create body), otherwise they are refused.
fn read_properties(
    model: &Model,
    entity_type: EntityTypeId,
    object: &Map<String, Json>,
    deep: bool,
    rules: WriteRules,
) -> Result<EntityPayload, ODataError> {
    let ty = model.entity_type(entity_type);
    let mut values = IndexMap::with_capacity(object.len());
    let mut binds = IndexMap::new();
    let mut links = IndexMap::new();
    let mut inline = IndexMap::new();
    for (key, json) in object {
        if let Some(name) = bound_navigation(key) {
            let Some(navigation) = ty.navigation_property(name) else {
                return Err(ODataError::bad_request(format!(
                    "'{key}': '{name}' is not a navigation property of '{}'.",
                    ty.qualified_name
                ))
                .with_target(key.clone()));
            };
            if binds.contains_key(name) || links.contains_key(name) {
                return Err(ODataError::bad_request(format!(
                    "'{key}': the navigation property '{name}' is bound more than once."
                ))
                .with_target(key.clone()));
            }
            if navigation.collection {
                let urls = read_links(navigation, key, json)?;
                links.insert(
                    name.to_owned(),
                    Links {
                        member: key.clone(),
                        urls,
                    },
                );
            } else {
                let url = read_bind(navigation, key, json)?;
                binds.insert(
                    name.to_owned(),
                    Bind {
                        member: key.clone(),
                        url,
                    },
                );
            }
            continue;
        }
        if key.starts_with('@') || key.starts_with("odata.") || key.contains('@') {
            continue;
        }
        if deep && let Some(navigation) = ty.navigation_property(key) {
            let entities = read_inline(model, navigation, key, json, rules)?;
            inline.insert(
                key.clone(),
                Inline {
                    member: key.clone(),
                    entities,
                },
            );
            continue;
        }
        let Some(property) = ty.property(key) else {
            return Err(unknown_member(ty, key));
        };
        if property.is_read_only() && !rules.keep_read_only {
            if rules.ignore_read_only {
                continue;
            }
            return Err(ODataError::bad_request(format!(
                "The property '{key}' is read-only and cannot be set by a client."
            ))
            .with_target(key.clone()));
        }
        let value = read_value(model, &property.type_ref, json, key)?;
        values.insert(key.clone(), value);
    }
    if let Some(both) = inline
        .keys()
        .find(|n| binds.contains_key(*n) || links.contains_key(*n))
    {
        return Err(ODataError::bad_request(format!(
            "'{both}' is both bound and written inline; do one or the other."
        ))
        .with_target(both.clone()));
    }
    Ok(EntityPayload {
        entity_type,
        values,
        binds,
        links,
        inline,
    })
}

/// The URLs of a binding member for a collection-valued navigation property.
fn read_links(
    navigation: &NavigationProperty,
    member: &str,
    json: &Json,
) -> Result<Vec<String>, ODataError> {
    let error = |message: String| ODataError::bad_request(message).with_target(member.to_owned());
    if navigation.contains_target {
        return Err(error(format!(
            "'{member}': '{}' is a containment navigation property; its entities are \
             created inside it, not bound.",
            navigation.name
        )));
    }
    let Json::Array(items) = json else {
        return Err(error(format!(
            "'{member}': the collection-valued navigation property '{}' is bound with an \
             array of entity URLs, not {}.",
            navigation.name,
            json_kind(json)
        )));
    };
    items
        .iter()
        .map(|item| match item {
            Json::String(url) => Ok(url.clone()),
            other => Err(error(format!(
                "'{member}' holds entity URLs (strings), not {}.",
                json_kind(other)
            ))),
        })
        .collect()
}

/// The entities written inline for a navigation property in a create body: an object for
/// a single-valued one, an array of objects for a collection-valued one.
fn read_inline(
    model: &Model,
    navigation: &NavigationProperty,
    member: &str,
    json: &Json,
    rules: WriteRules,
) -> Result<Vec<EntityPayload>, ODataError> {
    let one = |object: &Json, path: String| match object {
        Json::Object(object) => {
            read_new_entity(model, navigation.target, object, rules).map_err(|mut e| {
                e.target = Some(match e.target.take() {
                    Some(inner) => format!("{path}/{inner}"),
                    None => path.clone(),
                });
                e
            })
        }
        other => Err(ODataError::bad_request(format!(
            "'{path}' must be an entity (a JSON object), not {}.",
            json_kind(other)
        ))
        .with_target(path)),
    };
    match json {
        Json::Array(items) if navigation.collection => items
            .iter()
            .enumerate()
            .map(|(i, item)| one(item, format!("{member}[{i}]")))
            .collect(),
        object @ Json::Object(_) if !navigation.collection => {
            Ok(vec![one(object, member.to_owned())?])
        }
        other => Err(ODataError::bad_request(format!(
            "'{member}' must be {} to create with the entity, not {}.",
            if navigation.collection {
                "an array of entities"
            } else {
                "an entity (a JSON object)"
            },
            json_kind(other)
        ))
        .with_target(member.to_owned())),
    }
}

/// The value of the binding member `member` of `navigation`: the URL to link, or `None`
/// (`null`) to link nothing.
fn read_bind(
    navigation: &NavigationProperty,
    member: &str,
    json: &Json,
) -> Result<Option<String>, ODataError> {
    let name = &navigation.name;
    let error = |message: String| ODataError::bad_request(message).with_target(member.to_owned());
    if navigation.contains_target {
        return Err(error(format!(
            "'{member}': '{name}' is a containment navigation property; its entities are \
             created inside it, not bound."
        )));
    }
    match json {
        Json::String(url) => Ok(Some(url.clone())),
        Json::Null if navigation.nullable => Ok(None),
        Json::Null => Err(error(format!(
            "'{member}': the navigation property '{name}' cannot be null."
        ))),
        other => Err(error(format!(
            "'{member}' must be a string with the URL of the entity to bind to '{name}', not \
             {}.",
            json_kind(other)
        ))),
    }
}

/// The navigation property named by a binding member, `x@odata.bind` (4.0) or `x@bind`
/// (4.01): `x`. Any other member name: `None`.
pub fn bound_navigation(key: &str) -> Option<&str> {
    key.split_once('@')
        .filter(|(name, term)| !name.is_empty() && matches!(*term, "odata.bind" | "bind"))
        .map(|(name, _)| name)
}

fn unknown_member(ty: &EntityType, key: &str) -> ODataError {
    let message = if ty.navigation_property(key).is_some() {
        format!(
            "The navigation property '{key}' cannot be written inline; deep inserts and updates \
             are not supported."
        )
    } else {
        format!(
            "The property '{key}' does not exist on type '{}'.",
            ty.qualified_name
        )
    };
    ODataError::bad_request(message).with_target(key.to_owned())
}

/// The `@odata.type` named in an object, without its leading `#`.
fn odata_type(object: &Map<String, Json>) -> Result<Option<&str>, ODataError> {
    let Some((key, value)) = object.iter().find(|(k, _)| control_name(k) == Some("type")) else {
        return Ok(None);
    };
    match value {
        Json::String(s) => Ok(Some(s.strip_prefix('#').unwrap_or(s))),
        other => Err(ODataError::bad_request(format!(
            "'{key}' must be a string naming a type, not {}.",
            json_kind(other)
        ))
        .with_target(key.clone())),
    }
}

fn entity_type_of(
    model: &Model,
    declared: EntityTypeId,
    object: &Map<String, Json>,
) -> Result<EntityTypeId, ODataError> {
    let declared_ty = model.entity_type(declared);
    let id = match odata_type(object)? {
        None => declared,
        Some(name) => match model.find_entity_type(name) {
            Some(id) if model.entity_derives_from(id, declared) => id,
            _ => {
                return Err(ODataError::bad_request(format!(
                    "'@odata.type' '{name}' is not '{}' or a type derived from it.",
                    declared_ty.qualified_name
                ))
                .with_target("@odata.type"));
            }
        },
    };
    if model.entity_type(id).is_abstract {
        return Err(ODataError::bad_request(format!(
            "The type '{}' is abstract; '@odata.type' must name one of its concrete types: {}.",
            model.entity_type(id).qualified_name,
            concrete_entity_types(model, id)
        ))
        .with_target("@odata.type"));
    }
    Ok(id)
}

fn concrete_entity_types(model: &Model, id: EntityTypeId) -> String {
    model
        .entity_type_and_subtypes(id)
        .into_iter()
        .map(|t| model.entity_type(t))
        .filter(|t| !t.is_abstract)
        .map(|t| format!("#{}", t.qualified_name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one value of the given type. `path` names the property for error messages
/// (`settings/flag`, `tags[2]`).
pub fn read_value(
    model: &Model,
    type_ref: &TypeRef,
    json: &Json,
    path: &str,
) -> Result<Value, ODataError> {
    if json.is_null() {
        // A collection is never null (OData: it is empty instead).
        return if type_ref.collection {
            Err(ODataError::bad_request(format!(
                "The collection-valued property '{path}' cannot be null; send [] for an empty \
                 collection."
            ))
            .with_target(path.to_owned()))
        } else if type_ref.nullable {
            Ok(Value::Null)
        } else {
            Err(
                ODataError::bad_request(format!("The property '{path}' cannot be null."))
                    .with_target(path.to_owned()),
            )
        };
    }
    if type_ref.collection {
        let Json::Array(items) = json else {
            return Err(type_mismatch(model, type_ref, json, path));
        };
        let item_ref = TypeRef {
            collection: false,
            ..type_ref.clone()
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let v = read_value(model, &item_ref, item, &item_path)?;
            out.push(value_to_json(model, &item_ref, v, item));
        }
        return Ok(Value::Json(Json::Array(out)));
    }
    match type_ref.kind {
        TypeKind::Primitive(kind) => read_primitive(kind, type_ref, json, path)
            .ok_or_else(|| type_mismatch(model, type_ref, json, path))?,
        TypeKind::Enum(id) => {
            let e = model.enum_type(id);
            let parsed = match json {
                Json::String(s) => e.parse_value(s),
                Json::Number(n) => n.as_i64().filter(|v| e.is_valid_value(*v)),
                _ => None,
            };
            parsed.map(Value::Enum).ok_or_else(|| {
                ODataError::bad_request(format!(
                    "The value {json} is not a member of the enumeration '{}' of property \
                     '{path}'. Allowed members: {}.",
                    e.qualified_name,
                    e.member_list()
                ))
                .with_target(path.to_owned())
            })
        }
        TypeKind::Complex(id) => {
            let Json::Object(object) = json else {
                return Err(type_mismatch(model, type_ref, json, path));
            };
            read_complex(model, id, object, path).map(Value::Json)
        }
        TypeKind::Entity(_) => Err(ODataError::bad_request(format!(
            "The property '{path}' refers to an entity; inline entities are not supported."
        ))
        .with_target(path.to_owned())),
    }
}

/// A validated complex value as JSON: annotations other than `@odata.type` dropped, enum
/// members as names, numbers range-checked.
fn read_complex(
    model: &Model,
    declared: ComplexTypeId,
    object: &Map<String, Json>,
    path: &str,
) -> Result<Json, ODataError> {
    let declared_ty = model.complex_type(declared);
    let id = match odata_type(object)? {
        None => declared,
        Some(name) => match model.find_complex_type(name) {
            Some(id) if model.complex_derives_from(id, declared) => id,
            _ => {
                return Err(ODataError::bad_request(format!(
                    "'@odata.type' '{name}' of property '{path}' is not '{}' or a type derived \
                     from it.",
                    declared_ty.qualified_name
                ))
                .with_target(path.to_owned()));
            }
        },
    };
    let ty = model.complex_type(id);
    if ty.is_abstract {
        let concrete: Vec<String> = (0..model.complex_types.len())
            .map(ComplexTypeId)
            .filter(|c| model.complex_derives_from(*c, id) && !model.complex_type(*c).is_abstract)
            .map(|c| format!("#{}", model.complex_type(c).qualified_name))
            .collect();
        return Err(ODataError::bad_request(format!(
            "The property '{path}' has the abstract type '{}'; '@odata.type' must name one of: {}.",
            ty.qualified_name,
            concrete.join(", ")
        ))
        .with_target(path.to_owned()));
    }
    let mut out = Map::new();
    if id != declared {
        out.insert(
            "@odata.type".into(),
            format!("#{}", ty.qualified_name).into(),
        );
    }
    for (key, json) in object {
        if let Some(name) = bound_navigation(key) {
            let member_path = format!("{path}/{key}");
            return Err(ODataError::bad_request(format!(
                "'{member_path}': '{name}' is not a navigation property of '{}'.",
                ty.qualified_name
            ))
            .with_target(member_path));
        }
        if key.starts_with('@') || key.starts_with("odata.") || key.contains('@') {
            continue;
        }
        let member_path = format!("{path}/{key}");
        let Some(property) = ty.property(key) else {
            return Err(ODataError::bad_request(format!(
                "The property '{key}' does not exist on type '{}' (at '{member_path}').",
                ty.qualified_name
            ))
            .with_target(member_path));
        };
        let value = read_value(model, &property.type_ref, json, &member_path)?;
        out.insert(
            key.clone(),
            value_to_json(model, &property.type_ref, value, json),
        );
    }
    Ok(Json::Object(out))
}

/// The JSON kept for a validated value nested in a complex or collection value: the
/// original JSON, except enums, which are normalised to member names.
fn value_to_json(model: &Model, type_ref: &TypeRef, value: Value, original: &Json) -> Json {
    match (type_ref.kind, value) {
        (_, Value::Json(j)) => j,
        (_, Value::Geo(g)) => g.to_geojson(),
        (TypeKind::Enum(id), Value::Enum(v)) => model
            .enum_type(id)
            .format_value(v)
            .map_or_else(|| original.clone(), Json::String),
        _ => original.clone(),
    }
}

/// `None` when the JSON type does not fit; `Some(Err)` for a fitting JSON type with an
/// invalid value.
fn read_primitive(
    kind: PrimitiveKind,
    type_ref: &TypeRef,
    json: &Json,
    path: &str,
) -> Option<Result<Value, ODataError>> {
    let invalid = |detail: String| {
        ODataError::bad_request(format!(
            "Invalid value for property '{path}' of type {}: {detail}",
            kind.name()
        ))
        .with_target(path.to_owned())
    };
    let parsed = |r: Result<Value, crate::value::ValueError>| r.map_err(|e| invalid(e.to_string()));
    Some(match (kind, json) {
        (PrimitiveKind::String, Json::String(s)) => {
            if let Some(max) = type_ref.max_length
                && s.chars().count() > max as usize
            {
                return Some(Err(invalid(format!(
                    "longer than the maximum length of {max} characters."
                ))));
            }
            Ok(Value::String(s.clone()))
        }
        (PrimitiveKind::Boolean, Json::Bool(b)) => Ok(Value::Boolean(*b)),
        (
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64,
            Json::Number(_) | Json::String(_),
        ) => {
            // Int64 may arrive as a string (IEEE754Compatible=true); others must be numbers.
            let n = match json {
                Json::Number(n) => n.as_i64(),
                Json::String(s) if kind == PrimitiveKind::Int64 => s.parse().ok(),
                _ => return None,
            };
            let (min, max) = kind.integer_range()?;
            match n {
                Some(v) if (min..=max).contains(&v) => Ok(Value::Int(v)),
                _ => Err(invalid(format!(
                    "{json} is not an integer in the range {min}..={max}."
                ))),
            }
        }
        (PrimitiveKind::Double, Json::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(Value::Double(f)),
            _ => Err(invalid(format!("{n} is out of the range of Edm.Double."))),
        },
        // Edm.Single keeps the nearest 32-bit float (as the f64 that holds it exactly).
        (PrimitiveKind::Single, Json::Number(n)) => match n.as_f64().map(|f| f as f32) {
            Some(f) if f.is_finite() => Ok(Value::Double(f64::from(f))),
            _ => Err(invalid(format!("{n} is out of the range of Edm.Single."))),
        },
        (PrimitiveKind::Double | PrimitiveKind::Single, Json::String(s)) => match s.as_str() {
            "INF" => Ok(Value::Double(f64::INFINITY)),
            "-INF" => Ok(Value::Double(f64::NEG_INFINITY)),
            "NaN" => Ok(Value::Double(f64::NAN)),
            _ => return None,
        },
        // Numbers arrive as their exact text; strings are the IEEE754Compatible form.
        (PrimitiveKind::Decimal, Json::Number(_) | Json::String(_)) => {
            let text = match json {
                Json::Number(n) => n.to_string(),
                Json::String(s) => s.clone(),
                _ => return None,
            };
            match parse_decimal(&text) {
                None => Err(invalid(format!("{json} is not a decimal number."))),
                Some(d) => check_decimal_facets(&d, type_ref.precision, type_ref.scale)
                    .map(|()| Value::Decimal(d))
                    .map_err(|e| invalid(format!("{e}; the value is not rounded."))),
            }
        }
        (PrimitiveKind::Guid, Json::String(s)) => uuid::Uuid::try_parse(s)
            .ok()
            .filter(|_| s.len() == 36)
            .map(Value::Guid)
            .ok_or_else(|| invalid(format!("'{s}' is not a GUID (8-4-4-4-12 hex digits)."))),
        (PrimitiveKind::DateTimeOffset, Json::String(s)) => {
            parsed(DateTimeOffset::parse(s).map(Value::DateTimeOffset))
        }
        (PrimitiveKind::Duration, Json::String(s)) => {
            parsed(Duration::parse(s).map(Value::Duration))
        }
        (PrimitiveKind::Date, Json::String(s)) => parsed(Date::parse(s).map(Value::Date)),
        (PrimitiveKind::TimeOfDay, Json::String(s)) => {
            parsed(TimeOfDay::parse(s).map(Value::TimeOfDay))
        }
        (_, Json::Object(_)) if kind.is_spatial() => {
            let (family, shape) = kind.spatial()?;
            Geo::from_geojson(json, family, shape, type_ref.srid())
                .map(Value::Geo)
                .map_err(|e| match e {
                    GeoError::Invalid(m) => invalid(format!("{m}.")),
                    GeoError::Unsupported(m) => ODataError::new(
                        ErrorKind::NotImplemented,
                        format!("Property '{path}': {m}."),
                    )
                    .with_target(path.to_owned()),
                })
        }
        (PrimitiveKind::Binary, Json::String(s)) => match parse_base64(s) {
            Some(bytes) => {
                if let Some(max) = type_ref.max_length
                    && bytes.len() > max as usize
                {
                    return Some(Err(invalid(format!(
                        "longer than the maximum length of {max} bytes."
                    ))));
                }
                Ok(Value::Binary(bytes))
            }
            None => Err(invalid(
                "not base64url or base64 (RFC 4648) text.".to_owned(),
            )),
        },
        _ => return None,
    })
}

fn type_mismatch(model: &Model, type_ref: &TypeRef, json: &Json, path: &str) -> ODataError {
    ODataError::bad_request(format!(
        "The property '{path}' expects a value of type {}, but the body has {}.",
        model.type_ref_name(type_ref),
        json_kind(json)
    ))
    .with_target(path.to_owned())
}

fn json_kind(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) if s.chars().count() > 40 => "a string".into(),
        Json::String(s) => format!("the string \"{s}\""),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

/// The value of the CSDL literal `literal` (a `DefaultValue`) as a value of `type_ref`: a
/// 400-style error saying what is wrong when it is none.
///
/// ```
/// use odata_core::edm::{PrimitiveKind, TypeKind, TypeRef, ModelBuilder};
/// use odata_core::json::parse_default_value;
/// use odata_core::value::Value;
///
/// let model = ModelBuilder::new("ns").build().unwrap();
/// let byte = TypeRef::of(TypeKind::Primitive(PrimitiveKind::Byte));
/// assert_eq!(parse_default_value(&model, &byte, "7").unwrap(), Value::Int(7));
/// assert!(parse_default_value(&model, &byte, "256").is_err());
/// ```
pub fn parse_default_value(
    model: &Model,
    type_ref: &TypeRef,
    literal: &str,
) -> Result<Value, ODataError> {
    let numeric = matches!(
        type_ref.kind,
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
    let json = if type_ref.collection || !numeric {
        Json::String(literal.to_owned())
    } else {
        serde_json::from_str::<Json>(literal)
            .ok()
            .filter(|j| j.is_number() || j.is_boolean())
            .unwrap_or_else(|| Json::String(literal.to_owned()))
    };
    let not_null = TypeRef {
        nullable: false,
        ..type_ref.clone()
    };
    read_value(model, &not_null, &json, "DefaultValue")
}

/// The declared `DefaultValue` of `property`, if it has one (checked when the model was
/// built, so it reads).
pub fn default_value(model: &Model, property: &Property) -> Option<Value> {
    let literal = property.default_value.as_deref()?;
    parse_default_value(model, &property.type_ref, literal).ok()
}

/// The zero value Graph returns for a non-nullable property that a create body omitted:
/// `false`, `0`, `""`, the zero duration, the enum's `unknown` member, else its member of
/// value 0, else its first member; null when nullable.
pub fn zero_value(model: &Model, property: &Property) -> Value {
    let t = &property.type_ref;
    if t.collection {
        return Value::Json(Json::Array(Vec::new()));
    }
    if t.nullable {
        return Value::Null;
    }
    match t.kind {
        TypeKind::Primitive(kind) => match kind {
            PrimitiveKind::Boolean => Value::Boolean(false),
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64 => Value::Int(0),
            PrimitiveKind::Double | PrimitiveKind::Single => Value::Double(0.0),
            PrimitiveKind::Decimal => Value::Decimal(Decimal::from(0)),
            PrimitiveKind::String => Value::String(String::new()),
            PrimitiveKind::Binary => Value::Binary(Vec::new()),
            PrimitiveKind::Guid => Value::Guid(uuid::Uuid::nil()),
            PrimitiveKind::Date => Value::Date(Date::min_value()),
            PrimitiveKind::TimeOfDay => Value::TimeOfDay(TimeOfDay::midnight()),
            PrimitiveKind::DateTimeOffset => Value::DateTimeOffset(DateTimeOffset::min_value()),
            PrimitiveKind::Duration => Value::Duration(Duration::zero()),
            // No spatial value is a natural zero.
            PrimitiveKind::GeographyPoint
            | PrimitiveKind::GeographyLineString
            | PrimitiveKind::GeographyPolygon
            | PrimitiveKind::GeometryPoint
            | PrimitiveKind::GeometryLineString
            | PrimitiveKind::GeometryPolygon => Value::Null,
        },
        TypeKind::Enum(id) => {
            let e = model.enum_type(id);
            Value::Enum(
                e.member("unknown")
                    .map_or_else(|| e.zero_value(), |m| m.value),
            )
        }
        TypeKind::Complex(_) | TypeKind::Entity(_) => Value::Null,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::edm::{ComplexTypeDef, EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef};
    use crate::error::ErrorKind;

    /// `thing` (key `id`, at most 8 characters) with every integer kind, a complex value, a
    /// collection of complex values, the single-valued navigation properties `owner` and
    /// `home` (not nullable), the collection-valued `parts` and the contained `pieces` and
    /// `spare`.
    fn model() -> (Model, EntityTypeId) {
        let model = ModelBuilder::new("test.read")
            .alias("tr")
            .complex_type(
                ComplexTypeDef::new("settings")
                    .property(PropertyDef::new("flag", "Edm.Boolean"))
                    .property(PropertyDef::new("level", "Edm.Int32")),
            )
            .entity_type(
                EntityTypeDef::new("thing")
                    .key(["id"])
                    .property(
                        PropertyDef::new("id", "Edm.String")
                            .not_null()
                            .max_length(8),
                    )
                    .property(PropertyDef::new("name", "Edm.String"))
                    .property(PropertyDef::new("byte", "Edm.Byte"))
                    .property(PropertyDef::new("sbyte", "Edm.SByte"))
                    .property(PropertyDef::new("small", "Edm.Int16"))
                    .property(PropertyDef::new("count", "Edm.Int32"))
                    .property(PropertyDef::new("big", "Edm.Int64"))
                    .property(PropertyDef::new("ratio", "Edm.Double"))
                    .property(PropertyDef::new("settings", "tr.settings"))
                    .property(PropertyDef::new("list", "Collection(tr.settings)"))
                    .navigation(NavigationDef::new("owner", "tr.thing"))
                    .navigation(NavigationDef::new("home", "tr.thing").not_null())
                    .navigation(NavigationDef::new("parts", "Collection(tr.thing)"))
                    .navigation(NavigationDef::new("pieces", "Collection(tr.thing)").contained())
                    .navigation(NavigationDef::new("spare", "tr.thing").contained()),
            )
            .entity_set("things", "tr.thing")
            .build()
            .unwrap();
        let thing = model.find_entity_type("thing").unwrap();
        (model, thing)
    }

    fn create(body: &str) -> Result<EntityPayload, ODataError> {
        let (model, thing) = model();
        read_entity(&model, thing, body.as_bytes())
    }

    fn update(body: &str) -> Result<EntityPayload, ODataError> {
        let (model, thing) = model();
        read_entity_update(&model, thing, body.as_bytes())
    }

    /// An error of `kind` with `target`.
    fn assert_error(result: Result<EntityPayload, ODataError>, kind: ErrorKind, target: &str) {
        let e = result.expect_err("an error");
        assert_eq!(e.kind, kind, "{e}");
        assert_eq!(e.target.as_deref(), Some(target), "{e}");
    }

    #[test]
    fn repeated_members_are_rejected_at_every_depth() {
        for (body, path) in [
            (r#"{"name": "a", "count": 1, "name": "b"}"#, "name"),
            (
                r#"{"settings": {"flag": true, "flag": false}}"#,
                "settings/flag",
            ),
            (
                r#"{"list": [{"level": 1}, {"level": 2, "flag": true, "level": 3}]}"#,
                "list[1]/level",
            ),
            (
                r##"{"@odata.type": "#tr.thing", "@odata.type": "#tr.thing"}"##,
                "@odata.type",
            ),
        ] {
            let e = create(body).expect_err(body);
            assert_eq!(e.kind, ErrorKind::BadRequest);
            assert_eq!(e.target.as_deref(), Some(path), "{body}");
            assert!(e.message.contains(&format!("'{path}'")), "{}", e.message);
            assert!(e.message.contains("more than once"), "{}", e.message);
            assert!(e.message.contains("line 1"), "{}", e.message);
            assert_error(update(body), ErrorKind::BadRequest, path);
        }
        // Members the model does not know are checked too, before any model lookup.
        let e = read_object(br#"{"a": {"b": [{"c": 1}, {"c": 2, "c": 3}]}}"#).unwrap_err();
        assert_eq!(e.target.as_deref(), Some("a/b[1]/c"));
        let e = read_object(b"{\n  \"x\": 1,\n  \"x\": 2\n}").unwrap_err();
        assert!(e.message.contains("line 3"), "{}", e.message);
    }

    #[test]
    fn equal_names_in_different_objects_are_fine() {
        let object =
            read_object(br#"{"a": {"x": 1, "y": [{"x": 2}, {"x": 3}]}, "b": {"x": 1}, "x": 0}"#)
                .unwrap();
        assert_eq!(object.len(), 3);
        assert_eq!(object["a"]["y"][1]["x"], 3);
        let payload =
            create(r#"{"list": [{"level": 1}, {"level": 2}], "settings": {"level": 3}}"#).unwrap();
        assert_eq!(payload.values.len(), 2);
    }

    #[test]
    fn malformed_and_non_object_bodies_are_still_rejected() {
        for body in [
            &b"{\"name\": \"x\","[..],
            b"{\"name\": \"x\"} trailing",
            b"",
            b"{\"name\": 01}",
            b"{\"name\": -}",
            b"[1, 2",
        ] {
            let e = read_object(body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::BadRequest);
            assert!(e.message.contains("not valid JSON"), "{}", e.message);
            assert!(e.message.contains("column"), "{}", e.message);
            assert_eq!(e.target, None);
        }
        for body in [&b"[]"[..], b"1", b"\"x\"", b"null"] {
            let e = read_object(body).unwrap_err();
            assert!(e.message.contains("must be a JSON object"), "{}", e.message);
        }
        // serde_json's nesting limit still applies.
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        let e = read_object(deep.as_bytes()).unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
    }

    #[test]
    fn values_survive_the_strict_parse() {
        let body = r#"{"s": "é\"\\u00e9", "n": null, "t": true, "i": -5, "u": 18446744073709551615,
                       "f": 1.5, "e": 1e300, "a": [], "o": {}}"#;
        let strict = read_object(body.as_bytes());
        let plain: Json = serde_json::from_str(body).unwrap();
        assert_eq!(Json::Object(strict.unwrap()), plain);
    }

    #[test]
    fn decimals_keep_every_digit_and_singles_are_rounded() {
        let model = ModelBuilder::new("test.values")
            .entity_type(
                EntityTypeDef::new("v")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("d", "Edm.Decimal").precision(38, Some(18)))
                    .property(PropertyDef::new("f", "Edm.Single"))
                    .property(PropertyDef::new("b", "Edm.Binary")),
            )
            .build()
            .unwrap();
        let ty = model.find_entity_type("v").unwrap();
        let read = |body: &str| read_entity(&model, ty, body.as_bytes());
        let exact = "12345678901234567890.123456789012345678";
        let payload = read(&format!(r#"{{"d": {exact}, "f": 1.1, "b": "_-8"}}"#)).unwrap();
        assert_eq!(
            payload.values["d"],
            Value::Decimal(parse_decimal(exact).unwrap())
        );
        assert_eq!(payload.values["f"], Value::Double(f64::from(1.1_f32)));
        assert_eq!(payload.values["b"], Value::Binary(vec![0xff, 0xef]));
        let payload = read(&format!(r#"{{"d": "{exact}"}}"#)).unwrap();
        assert_eq!(
            payload.values["d"],
            Value::Decimal(parse_decimal(exact).unwrap())
        );
        for body in [
            r#"{"d": 0.0000000000000000001}"#,
            r#"{"d": 123456789012345678901}"#,
            r#"{"f": 1e39}"#,
            r#"{"b": "a"}"#,
        ] {
            let e = read(body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::BadRequest, "{body}");
        }
    }

    #[test]
    fn minus_zero_is_the_integer_zero() {
        for property in ["byte", "sbyte", "small", "count", "big"] {
            let payload = create(&format!(r#"{{"{property}": -0}}"#)).unwrap();
            assert_eq!(payload.values[property], Value::Int(0), "{property}");
        }
        let payload = create(r#"{"settings": {"level": -0}, "list": [{"level": -0}]}"#).unwrap();
        assert_eq!(
            payload.values["settings"],
            Value::Json(serde_json::json!({"level": 0}))
        );
        assert_eq!(
            payload.values["list"],
            Value::Json(serde_json::json!([{"level": 0}]))
        );
        // Floats stay floats: no integer property takes them.
        for literal in ["-0.0", "0.0", "1.0", "-0e0", "-0E+1", "-1e-400"] {
            let body = format!(r#"{{"count": {literal}}}"#);
            let e = create(&body).expect_err(&body);
            assert_eq!(e.target.as_deref(), Some("count"), "{body}");
            assert!(e.message.contains("not an integer"), "{}", e.message);
        }
        let payload = create(r#"{"ratio": -0.0}"#).unwrap();
        assert!(
            matches!(payload.values["ratio"], Value::Double(d) if d == 0.0 && d.is_sign_negative())
        );
    }

    #[test]
    fn minus_zero_is_found_among_strings_and_other_numbers() {
        // Digits, `-0` and escaped quotes inside strings are not numbers.
        let body = r#"{"name": "-0 \"-0\" 12\\", "ratio": -0.0, "big": 7,
                       "settings": {"level": -0}, "count": -0, "small": -0.0}"#;
        let e = create(body).unwrap_err();
        assert_eq!(e.target.as_deref(), Some("small"), "{}", e.message);
        let object = read_object(body.as_bytes()).unwrap();
        assert_eq!(object["name"], "-0 \"-0\" 12\\");
        assert!(object["ratio"].is_f64());
        assert_eq!(object["count"].as_i64(), Some(0));
        assert_eq!(object["settings"]["level"].as_i64(), Some(0));
        assert!(object["small"].is_f64());
        assert_eq!(
            minus_zero_literals(br#"["-0", -0, -0.0, 0, -00, -0]"#),
            [0, 4]
        );
    }

    #[test]
    fn single_valued_binds_are_read_in_both_spellings() {
        for key in ["owner@odata.bind", "owner@bind"] {
            let body = format!(r#"{{"name": "a", "{key}": "things('x')"}}"#);
            for payload in [create(&body).unwrap(), update(&body).unwrap()] {
                assert_eq!(payload.values.keys().collect::<Vec<_>>(), ["name"]);
                assert_eq!(
                    payload.binds.into_iter().collect::<Vec<_>>(),
                    [(
                        "owner".to_owned(),
                        Bind {
                            member: key.to_owned(),
                            url: Some("things('x')".to_owned()),
                        }
                    )]
                );
            }
        }
        // `null` removes a link; the URL is taken as written.
        let payload =
            update(r#"{"owner@odata.bind": null, "home@bind": "/root/things/y"}"#).unwrap();
        assert_eq!(payload.binds["owner"].url, None);
        assert_eq!(payload.binds["home"].url.as_deref(), Some("/root/things/y"));
        assert!(create(r#"{"name": "a"}"#).unwrap().binds.is_empty());
    }

    #[test]
    fn malformed_binds_are_rejected() {
        for (body, key, kind, needle) in [
            (
                r#"{"owner@odata.bind": 1}"#,
                "owner@odata.bind",
                ErrorKind::BadRequest,
                "must be a string with the URL of the entity to bind to 'owner', not the number 1",
            ),
            (
                r#"{"owner@bind": ["things('x')"]}"#,
                "owner@bind",
                ErrorKind::BadRequest,
                "not an array",
            ),
            (
                r#"{"owner@odata.bind": {"id": "x"}}"#,
                "owner@odata.bind",
                ErrorKind::BadRequest,
                "not an object",
            ),
            (
                r#"{"home@odata.bind": null}"#,
                "home@odata.bind",
                ErrorKind::BadRequest,
                "'home' cannot be null",
            ),
            (
                r#"{"owner@odata.bind": "things('x')", "owner@bind": "things('y')"}"#,
                "owner@bind",
                ErrorKind::BadRequest,
                "bound more than once",
            ),
            (
                r#"{"parts@odata.bind": ["things('x')", 2]}"#,
                "parts@odata.bind",
                ErrorKind::BadRequest,
                "holds entity URLs (strings), not the number 2",
            ),
            (
                r#"{"parts@bind": ["things('x')"], "parts@odata.bind": []}"#,
                "parts@odata.bind",
                ErrorKind::BadRequest,
                "bound more than once",
            ),
            (
                r#"{"parts@odata.bind": "things('x')"}"#,
                "parts@odata.bind",
                ErrorKind::BadRequest,
                "bound with an array of entity URLs, not the string",
            ),
            (
                r#"{"pieces@odata.bind": ["things('x')"]}"#,
                "pieces@odata.bind",
                ErrorKind::BadRequest,
                "containment navigation property",
            ),
            (
                r#"{"spare@odata.bind": "things('x')"}"#,
                "spare@odata.bind",
                ErrorKind::BadRequest,
                "containment navigation property",
            ),
        ] {
            let e = create(body).expect_err(body);
            assert_eq!(e.kind, kind, "{body}: {e}");
            assert_eq!(e.target.as_deref(), Some(key), "{body}");
            assert!(e.message.contains(needle), "{body}: {}", e.message);
            assert!(e.message.contains(&format!("'{key}'")), "{}", e.message);
            assert_error(update(body), kind, key);
        }
    }

    #[test]
    fn binds_of_non_navigation_members_are_rejected() {
        for key in ["name@odata.bind", "nope@bind", "settings@odata.bind"] {
            let body = format!(r#"{{"{key}": "things('x')"}}"#);
            let e = create(&body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::BadRequest);
            assert_eq!(e.target.as_deref(), Some(key));
            let name = key.split('@').next().unwrap();
            assert!(
                e.message.contains(&format!(
                    "'{name}' is not a navigation property of 'test.read.thing'"
                )),
                "{}",
                e.message
            );
            assert_error(update(&body), ErrorKind::BadRequest, key);
        }
        let e = create(r#"{"settings": {"flag@odata.bind": "things('x')"}}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert_eq!(e.target.as_deref(), Some("settings/flag@odata.bind"));
        assert!(
            e.message.contains("'flag' is not a navigation property"),
            "{}",
            e.message
        );
    }

    #[test]
    fn bound_navigation_names_the_property() {
        assert_eq!(bound_navigation("owner@odata.bind"), Some("owner"));
        assert_eq!(bound_navigation("owner@bind"), Some("owner"));
        for key in [
            "@bind",
            "@odata.bind",
            "owner",
            "owner@odata.type",
            "owner@my.bind",
        ] {
            assert_eq!(bound_navigation(key), None, "{key}");
        }
    }

    #[test]
    fn other_annotations_are_still_ignored() {
        let payload = create(
            r##"{"@odata.context": "x", "name@odata.type": "#String", "name@my.note": 1,
                "@bind": "x", "odata.etag": "x", "name": "a",
                "settings": {"@my.note": 1, "flag@my.note": 2, "flag": true}}"##,
        )
        .unwrap();
        assert_eq!(
            payload.values.keys().collect::<Vec<_>>(),
            ["name", "settings"]
        );
        assert_eq!(
            payload.values["settings"],
            Value::Json(serde_json::json!({"flag": true}))
        );
    }

    #[test]
    fn inline_entities_are_read_in_creates_only() {
        let payload = create(
            r#"{"owner": {"id": "x"}, "parts": [{"id": "p", "name": "n"}, {}],
                "parts@bind": ["things('y')"]}"#,
        );
        assert_error(payload, ErrorKind::BadRequest, "parts");
        let payload = create(
            r#"{"owner": {"id": "x"}, "parts": [{"id": "p", "name": "n"}, {}],
                "home@bind": "things('y')"}"#,
        )
        .unwrap();
        assert_eq!(payload.inline["owner"].entities.len(), 1);
        assert_eq!(
            payload.inline["owner"].entities[0].values["id"],
            Value::String("x".into())
        );
        assert_eq!(payload.inline["parts"].entities.len(), 2);
        assert_eq!(payload.binds["home"].url.as_deref(), Some("things('y')"));
        // Errors inside name the path to the member at fault.
        for (body, target) in [
            (r#"{"parts": [{}, {"id": 7}]}"#, "parts[1]/id"),
            (r#"{"parts": {"id": "x"}}"#, "parts"),
            (r#"{"owner": [{"id": "x"}]}"#, "owner"),
            (r#"{"parts": [1]}"#, "parts[0]"),
            (
                r#"{"owner": {"parts": [{"nope": 1}]}}"#,
                "owner/parts[0]/nope",
            ),
        ] {
            assert_error(create(body), ErrorKind::BadRequest, target);
        }
        // An update does not create related entities.
        assert_error(
            update(r#"{"owner": {"id": "x"}}"#),
            ErrorKind::BadRequest,
            "owner",
        );
        let links = update(r#"{"parts@odata.bind": ["things('x')"]}"#).unwrap();
        assert_eq!(links.links["parts"].urls, ["things('x')"]);
    }

    #[test]
    fn keys_are_bounded_and_not_empty() {
        let payload = create(r#"{"id": "éééééééé"}"#).unwrap();
        assert_eq!(payload.values["id"], Value::String("éééééééé".into()));
        let e = create(r#"{"id": "123456789"}"#).unwrap_err();
        assert_eq!(e.target.as_deref(), Some("id"));
        assert!(e.message.contains("maximum length of 8"), "{}", e.message);
        let e = create(r#"{"name": "a", "id": ""}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert_eq!(e.target.as_deref(), Some("id"));
        assert!(
            e.message.contains("'id'") && e.message.contains("empty"),
            "{}",
            e.message
        );
        // Without a key the service generates one.
        assert!(create(r#"{"name": "a"}"#).is_ok());
    }

    #[test]
    fn read_only_values_are_refused_ignored_or_kept_by_the_rules() {
        let model = ModelBuilder::new("test.ro")
            .entity_type(
                EntityTypeDef::new("thing")
                    .key(["id"])
                    .property(
                        PropertyDef::new("id", "Edm.Int32")
                            .not_null()
                            .annotate(crate::edm::Annotation::computed()),
                    )
                    .property(PropertyDef::new("name", "Edm.String")),
            )
            .build()
            .unwrap();
        let thing = model.find_entity_type("thing").unwrap();
        let body: Map<String, Json> = serde_json::from_str(r#"{"id": 7, "name": "x"}"#).unwrap();
        let read = |rules| read_entity_object(&model, thing, &body, rules);
        let refused = read(WriteRules::default()).unwrap_err();
        assert_eq!(refused.target.as_deref(), Some("id"));
        let ignored = read(WriteRules::standard()).unwrap();
        assert!(!ignored.values.contains_key("id"));
        let kept = read(WriteRules {
            keep_read_only: true,
            ..WriteRules::standard()
        })
        .unwrap();
        assert_eq!(kept.values["id"], Value::Int(7));
    }
}
