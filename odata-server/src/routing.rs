//! Resource paths: from the URL path below the service root to what it addresses.

use odata_core::edm::{
    Action, EntityType, EntityTypeId, Model, PrimitiveKind, Property, Singleton, TypeKind,
    select_overload,
};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::query::{Expr, Literal, QueryOptions};

use odata_core::value::Value;
use percent_encoding::percent_decode_str;

use crate::service::{Collection, Navigation, Service};

/// What a request URL addresses.
#[derive(Debug)]
pub enum Target<'s> {
    /// The service document (the service root).
    ServiceDocument,
    /// `$metadata`.
    Metadata,
    /// A singleton of the model that is not stored itself: the root its contained
    /// collections hang from.
    Singleton(&'s Singleton),
    /// `$batch`.
    Batch,
    /// A collection.
    Collection(&'s Collection),
    /// `collection/$count`.
    Count(&'s Collection),
    /// `collection/$ref`.
    CollectionRef(&'s Collection),
    /// `collection/$each` (after `/$filter(…)` segments or a type cast, the members they
    /// select): each member, for a set-based update or delete.
    Each(&'s Collection),
    /// One entity by key.
    Entity(&'s Collection, Vec<Value>),
    /// An action: bound to one entity or to a collection, or an action import.
    Action(ActionInvocation<'s>),
    /// A function call: bound to one entity or to a collection, or a function import.
    Function(Invocation<'s>),
    /// What a navigation property of one entity leads to.
    Related(Related<'s>),
}

/// `…/{key}/{function}(…)`, `…/{function}(…)` or `{import}(…)`: a function (the overload
/// the arguments chose) and its arguments.
#[derive(Debug)]
pub struct Invocation<'s> {
    /// The function.
    pub function: &'s Action,
    /// What it is bound to.
    pub binding: Binding<'s>,
    /// The arguments, checked against the parameters, in OData JSON.
    pub arguments: serde_json::Map<String, serde_json::Value>,
}

/// `…/{key}/{action}`, `…/{action}` or `{import}`: an action (its parameters come in the
/// body).
#[derive(Debug)]
pub struct ActionInvocation<'s> {
    /// The action.
    pub action: &'s Action,
    /// What it is bound to.
    pub binding: Binding<'s>,
}

/// What an operation is bound to.
#[derive(Debug)]
pub enum Binding<'s> {
    /// One entity (its collection and key), possibly through a type cast
    /// (`…/{key}/{type}/{operation}`): it must then be of that type.
    Entity(&'s Collection, Vec<Value>, Option<EntityTypeId>),
    /// The collection (`…/{collection}/{operation}`).
    Collection(&'s Collection),
    /// Nothing: the import of that name at the service root.
    Import(&'s str),
}

impl<'s> Binding<'s> {
    /// The bound collection (of the entity, or itself); `None` for an import.
    pub fn collection(&self) -> Option<&'s Collection> {
        match self {
            Binding::Entity(c, ..) | Binding::Collection(c) => Some(c),
            Binding::Import(_) => None,
        }
    }
}

/// `…/{key}/{navigation}[/{key}|/$count]`: the entity or entities a navigation property of
/// one entity (the source) leads to.
#[derive(Debug)]
pub struct Related<'s> {
    /// The source entity's collection.
    pub source: &'s Collection,
    /// The source entity's key.
    pub key: Vec<Value>,
    /// The navigation property.
    pub navigation: &'s Navigation,
    /// The related entities' collection.
    pub target: &'s Collection,
    /// `…/{navigation}/{key}`: one member of a collection-valued navigation.
    pub member: Option<Vec<Value>>,
    /// `…/{navigation}/$count`.
    pub count: bool,
    /// `…/{navigation}/$ref`: the links rather than the entities.
    pub reference: bool,
    /// `…/{key}/{type}/{navigation}`: the source entity must be of that type (or one
    /// derived from it).
    pub source_type: Option<EntityTypeId>,
    /// Segments after the related entity (`…/{navigation}[/{key}]/…`): the path goes on
    /// from it, once its key is known (see [`resolve_in_entity`]).
    pub then: Vec<String>,
    /// The `/$filter(…)` segments after a collection-valued navigation property, as a URL
    /// path suffix (see [`filter_path`]); their expressions are the route's `filters`.
    pub filter_path: String,
}

/// A resolved request URL: what it addresses and how.
#[derive(Debug)]
pub struct Route<'s> {
    /// The addressed resource; for a property path, the entity the property belongs to,
    /// so that authorization and tenant isolation are those of the entity.
    pub target: Target<'s>,
    /// How the URL reaches the target.
    pub addressing: Addressing<'s>,
    /// A type-cast segment after the collection or the entity
    /// (`…/microsoft.graph.azureADWindowsAutopilotDeploymentProfile`): only entities of
    /// that type (or derived from it) are addressed.
    pub cast: Option<EntityTypeId>,
    /// `/$filter(…)` segments after the collection (OData 4.01): only its members that
    /// match every one are addressed, as if the expressions were ANDed into `$filter`.
    pub filters: Vec<PathFilter>,
}

/// One `/$filter(…)` path segment.
#[derive(Debug)]
pub struct PathFilter {
    /// The expression as written (decoded), for the URLs of further pages.
    pub text: String,
    /// The expression, parsed as `$filter`.
    pub expr: Expr,
}

/// How a URL reaches its [`Target`].
#[derive(Debug)]
pub enum Addressing<'s> {
    /// By the resource path itself.
    Path,
    /// `$entity?$id=…`: the entity whose id (a URL of this service) `$id` holds. Read only.
    EntityId,
    /// A property of the target entity, possibly a member of a complex value. Read only:
    /// single properties are written through the entity (PATCH).
    Property(PropertyPath<'s>),
    /// A stream of the target entity, read with GET and replaced with PUT: its media stream
    /// (`…/{key}/$value`, `None`) or a stream property (`…/{key}/{name}[/$value]`).
    Stream(Option<&'s str>),
    /// `…/{key}/$ref`: the target entity's reference (its `@odata.id`). Read only.
    Reference,
}

/// `…/{key}/{property}[/{member}…][/$value]`.
#[derive(Debug)]
pub struct PropertyPath<'s> {
    /// The entity's property.
    pub property: &'s Property,
    /// Members of complex values leading from `property` to the addressed value, in order.
    pub members: Vec<&'s Property>,
    /// `/$value`: the raw value of a primitive or enum property.
    pub raw_value: bool,
}

impl<'s> PropertyPath<'s> {
    /// The addressed property: the last member, or the entity's property.
    pub fn addressed(&self) -> &'s Property {
        self.members.last().copied().unwrap_or(self.property)
    }

    /// Every property on the path, the entity's first.
    pub fn segments(&self) -> impl Iterator<Item = &'s Property> + '_ {
        std::iter::once(self.property).chain(self.members.iter().copied())
    }

    /// `property/member/…`, as in the URL (without `/$value`).
    pub fn display(&self) -> String {
        self.segments()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// What routing reads from the request besides its path.
pub struct RequestInfo<'q> {
    /// The parsed query string without [`RequestInfo::operation_parameters`], or why it
    /// did not parse; consulted only for parameter aliases and `$entity`'s `$id`, so other
    /// paths report their own errors first.
    pub options: Result<&'q QueryOptions, &'q ODataError>,
    /// The query options whose names start with neither `$` nor `@` (decoded name and
    /// value): on a function call, its parameters (see [`split_operation_parameters`]).
    pub operation_parameters: &'q [(String, String)],
    /// The service root URL (`{scheme}://{host}{base}`), to recognise absolute `$id`s;
    /// built only when a `$id` needs it, not for every request.
    pub service_root: &'q dyn Fn() -> String,
    /// The service root's path (`/{base}`), to recognise absolute-path `$id`s.
    pub base_path: &'q str,
}

impl<'q> RequestInfo<'q> {
    fn options(&self) -> Result<&'q QueryOptions, ODataError> {
        self.options.map_err(Clone::clone)
    }
}

/// Resolves the raw (still percent-encoded) path below the service root, e.g.
/// `deviceManagement/autopilotEvents/abc` or `products('x')`.
pub fn resolve<'s>(
    service: &'s Service,
    raw_path: &str,
    info: &RequestInfo<'_>,
) -> Result<Route<'s>, ODataError> {
    let segments = decode_segments(raw_path)?;
    let path = |target| {
        Ok(Route {
            target,
            addressing: Addressing::Path,
            cast: None,
            filters: Vec::new(),
        })
    };
    if let [name] = segments.as_slice()
        && let Some(singleton) = service.model().singleton(name)
        && service.stored_singleton(name).is_none()
    {
        return path(Target::Singleton(singleton));
    }
    if let [segment] = segments.as_slice() {
        let (name, arguments) = split_call(segment).unwrap_or((segment.as_str(), ""));
        let model = service.model();
        if let Some((import, function)) = model.function_import(name) {
            let overloads = model.unbound_functions(&function.name);
            let binding = Binding::Import(import.name.as_str());
            return path(Target::Function(invocation(
                model, &overloads, arguments, binding, info,
            )?));
        }
        if let Some((import, action)) = model.action_import(segment) {
            return path(Target::Action(ActionInvocation {
                action,
                binding: Binding::Import(import.name.as_str()),
            }));
        }
    }
    match segments.as_slice() {
        [] => path(Target::ServiceDocument),
        [m] if m == "$metadata" => path(Target::Metadata),
        [b] if b == "$batch" => path(Target::Batch),

        [e] if e == "$entity" => resolve_entity_id(service, info),
        [e, s, ..] if e == "$entity" => Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!("The segment '{s}' after '$entity' is not supported yet."),
        )),
        // Valid OData resources this service does not serve: 501, not 404.
        [first, ..] if first == "$all" || first.starts_with("$crossjoin(") => Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!("The resource '{first}' is not supported by this service."),
        )),
        _ => resolve_in_collections(service, &segments, info),
    }
}

/// The percent-decoded, non-empty segments of a path. A `/` inside parentheses or a
/// quoted string does not end a segment: `$filter(a/b eq 1)` and `('x/y')` are one each.
fn decode_segments(raw_path: &str) -> Result<Vec<String>, ODataError> {
    split_path(raw_path)
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| {
                    ODataError::bad_request(format!(
                        "The URL segment '{s}' is not valid percent-encoded UTF-8."
                    ))
                })
        })
        .collect()
}

/// A `$filter(…)` path segment, parsed.
fn path_filter(segment: &str, info: &RequestInfo<'_>) -> Result<PathFilter, ODataError> {
    let Some(text) = segment
        .strip_prefix("$filter(")
        .and_then(|t| t.strip_suffix(')'))
    else {
        return Err(ODataError::bad_request(format!(
            "The segment '{segment}' is not a '$filter(…)' segment: it must end with ')'."
        )));
    };
    let limits = info.options().map(|o| o.limits).unwrap_or_default();
    Ok(PathFilter {
        text: text.to_owned(),
        expr: crate::query::parse_path_filter(text, &limits)?,
    })
}

/// The `/$filter(…)` segments of `filters`, as a URL path suffix (the expressions
/// percent-encoded where a URL or a segment needs it).
pub fn filter_path(filters: &[PathFilter]) -> String {
    /// What a path segment's expression must escape: what ends or splits a URL or a
    /// segment, and what is not printable ASCII.
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    filters
        .iter()
        .map(|f| {
            let text = percent_encoding::utf8_percent_encode(&f.text, ESCAPED);
            format!("/$filter({text})")
        })
        .collect()
}

/// `raw_path` cut at each `/` outside parentheses and single-quoted strings (a doubled
/// quote inside a string toggles twice, so it stays inside).
fn split_path(raw_path: &str) -> Vec<&str> {
    let (mut segments, mut start, mut depth, mut quoted) = (Vec::new(), 0, 0usize, false);
    for (i, c) in raw_path.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            '/' if !quoted && depth == 0 => {
                segments.push(&raw_path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    segments.push(&raw_path[start..]);
    segments
}

/// A path that starts with a collection's segments.
fn resolve_in_collections<'s>(
    service: &'s Service,
    segments: &[String],
    info: &RequestInfo<'_>,
) -> Result<Route<'s>, ODataError> {
    // A contained collection is reached through its parent entity only.
    for collection in service
        .collections()
        .iter()
        .filter(|c| c.containment.is_none())
    {
        if let Some((predicate, rest)) = match_collection(collection, segments) {
            return resolve_in_collection(service, collection, predicate, rest, info);
        }
    }
    Err(not_found_segment(service, segments))
}

/// `$entity?$id=…`: resolves `$id` (relative to the service root, or an absolute URL or
/// path below it) as a resource path that must address one entity.
fn resolve_entity_id<'s>(
    service: &'s Service,
    info: &RequestInfo<'_>,
) -> Result<Route<'s>, ODataError> {
    let id = info.options()?.id.as_deref().ok_or_else(|| {
        ODataError::bad_request(
            "'$entity' needs the query option '$id' with the URL of the entity to read.",
        )
        .with_target("$id")
    })?;
    let outside = || {
        ODataError::bad_request(format!(
            "The '$id' '{id}' is not the URL of an entity of this service."
        ))
        .with_target("$id")
    };
    let service_root = (info.service_root)();
    let relative = below_service_root(id, &service_root, info.base_path).ok_or_else(outside)?;
    // The id names a resource: a query or fragment in it would be silently dropped.
    if relative.contains(['?', '#']) {
        return Err(outside());
    }
    // Only collections can hold entities, so neither `$metadata` nor `$entity` itself
    // (which would recurse) is looked at.
    match resolve_in_collections(service, &decode_segments(relative)?, info)? {
        Route {
            target: target @ Target::Entity(..),
            addressing: Addressing::Path,
            cast,
            ..
        } => Ok(Route {
            target,
            addressing: Addressing::EntityId,
            cast,
            filters: Vec::new(),
        }),
        _ => Err(
            ODataError::bad_request(format!("The '$id' '{id}' does not identify an entity."))
                .with_target("$id"),
        ),
    }
}

/// Matches the collection's segments at the start of the path; the last may carry a key
/// predicate `(...)`. Returns the predicate text (inside the parentheses) and the rest.
fn match_collection<'p>(
    collection: &Collection,
    segments: &'p [String],
) -> Option<(Option<&'p str>, &'p [String])> {
    let n = collection.segments.len();
    if segments.len() < n {
        return None;
    }
    for (want, got) in collection.segments[..n - 1].iter().zip(segments) {
        if want != got {
            return None;
        }
    }
    let last = &segments[n - 1];
    let name = &collection.segments[n - 1];
    if last == name {
        return Some((None, &segments[n..]));
    }
    let predicate = last
        .strip_prefix(name.as_str())?
        .strip_prefix('(')?
        .strip_suffix(')')?;
    Some((Some(predicate), &segments[n..]))
}

fn resolve_in_collection<'s>(
    service: &'s Service,
    collection: &'s Collection,
    predicate: Option<&str>,
    rest: &[String],
    info: &RequestInfo<'_>,
) -> Result<Route<'s>, ODataError> {
    let model = service.model();
    let path = |target| {
        Ok(Route {
            target,
            addressing: Addressing::Path,
            cast: None,
            filters: Vec::new(),
        })
    };
    let (key, rest) = match (predicate, rest) {
        // A stored singleton is its one entity: no key.
        (None, rest) if collection.singleton => (Vec::new(), rest),
        (Some(_), _) if collection.singleton => {
            return Err(ODataError::bad_request(format!(
                "'{}' is a singleton: it takes no key.",
                collection.path
            )));
        }
        (Some(p), rest) => (parse_predicate(service, collection, p, info)?, rest),
        (None, []) => return path(Target::Collection(collection)),
        (None, [s]) if s == "$count" => return path(Target::Count(collection)),
        (None, [s]) if s == "$ref" => return path(Target::CollectionRef(collection)),
        (None, [s]) if s == "$each" => return path(Target::Each(collection)),
        (None, [s, _, ..]) if s == "$each" => {
            return Err(ODataError::new(
                ErrorKind::NotImplemented,
                "Operations bound to '$each' are not supported; invoke them on each entity.",
            ));
        }
        (None, [s, rest @ ..]) if s.starts_with("$filter(") => {
            let filter = path_filter(s, info)?;
            let mut route = resolve_in_collection(service, collection, None, rest, info)?;
            let filterable = matches!(
                route.target,
                Target::Collection(_)
                    | Target::Count(_)
                    | Target::CollectionRef(_)
                    | Target::Each(_)
            );
            if !filterable || !matches!(route.addressing, Addressing::Path) {
                return Err(ODataError::new(
                    ErrorKind::NotImplemented,
                    "Only the collection, its $count, its $ref, $each, a type cast or another \
                     '$filter(…)' can follow a '$filter(…)' segment.",
                ));
            }
            route.filters.insert(0, filter);
            return Ok(route);
        }
        (None, [s, ..]) if s.starts_with('$') => {
            return Err(ODataError::bad_request(format!(
                "The segment '{s}' is not valid after '{}'.",
                collection.path
            )));
        }
        (None, [segment, rest @ ..]) if derived_type(model, collection, segment).is_some() => {
            let mut route = resolve_in_collection(service, collection, None, rest, info)?;
            let castable = matches!(
                route.target,
                Target::Collection(_) | Target::Count(_) | Target::Entity(..) | Target::Each(_)
            );
            if !castable || route.cast.is_some() || !matches!(route.addressing, Addressing::Path) {
                return Err(ODataError::new(
                    ErrorKind::NotImplemented,
                    "Only collections, their $count, $each and their entities can follow a \
                     type-cast segment.",
                ));
            }
            route.cast = derived_type(model, collection, segment);
            return Ok(route);
        }
        (None, [segment, tail @ ..])
            if is_operation(model, collection.entity_type, true, segment) =>
        {
            let binding = Binding::Collection(collection);
            return operation(
                model,
                collection.entity_type,
                true,
                segment,
                tail,
                binding,
                info,
            );
        }
        (None, [segment, rest @ ..]) => {
            let key = key_as_segment(service, collection, segment).map_err(|e| {
                // Not a key, but a qualified name: a type cast to a type the model lacks.
                if is_qualified_name(segment) {
                    ODataError::not_found(format!(
                        "'{segment}' names no type derived from '{}'.",
                        model.entity_type(collection.entity_type).qualified_name
                    ))
                    .with_target(segment.clone())
                } else {
                    e
                }
            })?;
            (key, rest)
        }
    };
    resolve_in_entity(service, collection, key, rest, info)
}

/// The path `rest` below the entity of `collection` with key `key`: the entity itself, or
/// its property, stream, navigation or bound operation.
pub fn resolve_in_entity<'s>(
    service: &'s Service,
    collection: &'s Collection,
    key: Vec<Value>,
    rest: &[String],
    info: &RequestInfo<'_>,
) -> Result<Route<'s>, ODataError> {
    let model = service.model();
    let path = |target| {
        Ok(Route {
            target,
            addressing: Addressing::Path,
            cast: None,
            filters: Vec::new(),
        })
    };
    let [name, tail @ ..] = rest else {
        return path(Target::Entity(collection, key));
    };
    let ty = model.entity_type(collection.entity_type);
    let stream = |name| {
        Ok(Route {
            target: Target::Entity(collection, key.clone()),
            addressing: Addressing::Stream(name),
            cast: None,
            filters: Vec::new(),
        })
    };
    match (name.as_str(), tail) {
        ("$ref", []) => {
            return Ok(Route {
                target: Target::Entity(collection, key),
                addressing: Addressing::Reference,
                cast: None,
                filters: Vec::new(),
            });
        }
        ("$value", []) if ty.has_stream => return stream(None),
        ("$value", _) if !ty.has_stream => {
            return Err(ODataError::bad_request(format!(
                "'$value' after an entity addresses the media stream of a media entity; '{}' \
                 has none.",
                ty.qualified_name
            )));
        }
        // `$filter(…)` selects members of a collection; an entity has none.
        (s, _) if s.starts_with("$filter(") => {
            return Err(ODataError::bad_request(format!(
                "'{s}' filters the members of a collection; it cannot follow the single \
                 entity '{}'.",
                ty.qualified_name
            )));
        }
        _ => {}
    }
    if let Some(property) = ty.stream_property(name) {
        return match tail {
            [] => stream(Some(property.name.as_str())),
            [v] if v == "$value" => stream(Some(property.name.as_str())),
            [v, ..] => Err(ODataError::bad_request(format!(
                "Only '$value' may follow the stream property '{name}', not '{v}'."
            ))),
        };
    }
    if is_operation(model, collection.entity_type, false, name) {
        let binding = Binding::Entity(collection, key, None);
        return operation(
            model,
            collection.entity_type,
            false,
            name,
            tail,
            binding,
            info,
        );
    }
    if let Some(property) = ty.property(name) {
        let addressed = property_path(model, property, tail)?;
        return Ok(Route {
            target: Target::Entity(collection, key),
            addressing: Addressing::Property(addressed),
            cast: None,
            filters: Vec::new(),
        });
    }
    let (nav_name, nav_predicate) = match name.split_once('(') {
        Some((n, p)) => (n, p.strip_suffix(')')),
        None => (name.as_str(), None),
    };
    if let Some(navigation) = collection.navigation(nav_name) {
        let target = service.target(navigation);
        let mut related = Related {
            source: collection,
            key,
            navigation,
            target,
            member: None,
            count: false,
            reference: false,
            source_type: None,
            then: Vec::new(),
            filter_path: String::new(),
        };
        // `…/{navigation}/$filter(…)…`: the members matching the expressions.
        let mut filters = Vec::new();
        let mut tail = tail;
        while nav_predicate.is_none()
            && navigation.is_collection()
            && let [s, rest @ ..] = tail
            && s.starts_with("$filter(")
        {
            filters.push(path_filter(s, info)?);
            tail = rest;
        }
        let rest = match (nav_predicate, tail) {
            (Some(p), rest) if navigation.is_collection() => {
                related.member = Some(parse_predicate(service, target, p, info)?);
                rest
            }
            (Some(_), _) => {
                return Err(ODataError::bad_request(format!(
                    "'{nav_name}' is single-valued: it takes no key."
                )));
            }
            (None, [s]) if s == "$count" && navigation.is_collection() => {
                related.count = true;
                &[][..]
            }
            (None, [s]) if s == "$ref" => {
                related.reference = true;
                &[][..]
            }
            (None, [s, rest @ ..]) if navigation.is_collection() && !s.starts_with('$') => {
                related.member = Some(key_as_segment(service, target, s)?);
                rest
            }
            (None, rest) => rest,
        };
        let route = match rest {
            [] => path(Target::Related(related)),
            // `…/{navigation}/{key}/$ref`: the link to one member.
            [s] if s == "$ref" && related.member.is_some() => {
                related.reference = true;
                path(Target::Related(related))
            }
            // The path goes on from one related entity.
            [_, ..] if related.member.is_some() || !navigation.is_collection() => {
                related.then = rest.to_vec();
                path(Target::Related(related))
            }
            [s, ..] => Err(ODataError::new(
                ErrorKind::NotImplemented,
                format!(
                    "The segment '{s}' after the navigation property '{nav_name}' is not supported yet."
                ),
            )),
        };
        let mut route = route?;
        if !filters.is_empty() {
            let Target::Related(related) = &mut route.target else {
                return Err(crate::error::internal(&"a navigation that leads nowhere"));
            };
            if related.member.is_some() || !related.then.is_empty() {
                return Err(ODataError::new(
                    ErrorKind::NotImplemented,
                    "Only the members, their $count or their $ref can follow a '$filter(…)' \
                     segment.",
                ));
            }
            related.filter_path = filter_path(&filters);
            route.filters = filters;
        }
        return Ok(route);
    }
    if ty.navigation_property(nav_name).is_some() {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "The navigation property '{nav_name}' is not bound to storage by this service."
            ),
        ));
    }
    if let Some(cast) = derived_type(model, collection, name) {
        let cast_property = match tail {
            [property, ..] => model.entity_type(cast).property(property),
            [] => None,
        };
        if let [operation_segment, rest @ ..] = tail
            && cast_property.is_none()
            && is_operation(model, cast, false, operation_segment)
        {
            let binding = Binding::Entity(collection, key, Some(cast));
            return operation(model, cast, false, operation_segment, rest, binding, info);
        }
        return match (tail, cast_property) {
            ([], _) => Ok(Route {
                target: Target::Entity(collection, key),
                addressing: Addressing::Path,
                cast: Some(cast),
                filters: Vec::new(),
            }),
            // A property of the derived type (or a base): read from entities of that type.
            ([_, rest @ ..], Some(property)) => Ok(Route {
                target: Target::Entity(collection, key),
                addressing: Addressing::Property(property_path(model, property, rest)?),
                cast: Some(cast),
                filters: Vec::new(),
            }),
            // A navigation property of the derived type (or a base): followed from
            // entities of that type.
            ([navigation, ..], None)
                if model
                    .entity_type(cast)
                    .navigation_property(navigation.split('(').next().unwrap_or_default())
                    .is_some() =>
            {
                let mut route = resolve_in_entity(service, collection, key, tail, info)?;
                match &mut route.target {
                    Target::Related(related) => related.source_type = Some(cast),
                    _ => return Err(crate::error::internal(&"a navigation led elsewhere")),
                }
                Ok(route)
            }
            ([s, ..], None) => Err(ODataError::new(
                ErrorKind::NotImplemented,
                format!(
                    "The segment '{s}' after the type-cast segment '{name}' is not supported \
                     yet; address the properties of '{}' directly.",
                    ty.qualified_name
                ),
            )),
        };
    }
    if model.find_entity_type(name).is_some() {
        return Err(ODataError::bad_request(format!(
            "'{name}' is not '{}' or a type derived from it.",
            ty.qualified_name
        ))
        .with_target(name.clone()));
    }
    if is_qualified_name(name) {
        return Err(ODataError::not_found(format!(
            "'{name}' names no type derived from '{}'.",
            ty.qualified_name
        ))
        .with_target(name.clone()));
    }
    Err(not_a_member(name, ty))
}

/// `a.b` or `a.b.c`: dot-separated identifiers (the shape of a qualified type name).
fn is_qualified_name(segment: &str) -> bool {
    let mut parts = segment.split('.');
    let identifier = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    segment.contains('.') && parts.all(identifier)
}

/// The entity type a type-cast segment names, when it is the collection's type or derives
/// from it.
fn derived_type(model: &Model, collection: &Collection, segment: &str) -> Option<EntityTypeId> {
    model
        .find_entity_type(segment)
        .filter(|&t| model.entity_derives_from(t, collection.entity_type))
}

/// The path below the service root that `url` names: `url` itself when it is relative,
/// the rest of an absolute URL that starts with the service root `root`, or of an absolute
/// path that starts with the service root's path `base_path`. `None` when `url` is outside
/// the service.
pub fn below_service_root<'u>(url: &'u str, root: &str, base_path: &str) -> Option<&'u str> {
    let root = root.trim_end_matches('/');
    let base = base_path.trim_matches('/');
    if let Some(rest) = url.strip_prefix(root) {
        return rest.strip_prefix('/');
    }
    if url.starts_with("//") || url.contains("://") {
        return None;
    }
    match url.strip_prefix('/') {
        None => Some(url),
        Some(path) if base.is_empty() => Some(path),
        Some(path) => path.strip_prefix(base)?.strip_prefix('/'),
    }
}

/// 404 for a name that is neither a property, a navigation property nor a bound action.
fn not_a_member(name: &str, ty: &EntityType) -> ODataError {
    ODataError::not_found(format!(
        "'{name}' is not a property, navigation property or bound action of '{}'.",
        ty.qualified_name
    ))
    .with_target(name.to_owned())
}

/// The segments after a property: members of complex values, then optionally `$value`.
fn property_path<'s>(
    model: &'s Model,
    property: &'s Property,
    mut rest: &[String],
) -> Result<PropertyPath<'s>, ODataError> {
    let mut path = PropertyPath {
        property,
        members: Vec::new(),
        raw_value: false,
    };
    while let [segment, tail @ ..] = rest {
        let current = path.addressed();
        let type_ref = &current.type_ref;
        let type_name = model.type_ref_name(type_ref);
        match (segment.as_str(), type_ref.kind) {
            ("$value", TypeKind::Primitive(_) | TypeKind::Enum(_))
                if !type_ref.collection && tail.is_empty() =>
            {
                path.raw_value = true;
            }
            ("$value", _) if !tail.is_empty() => {
                return Err(ODataError::bad_request(format!(
                    "No segment may follow '$value' (after '{}/$value').",
                    path.display()
                )));
            }
            ("$value", _) => {
                return Err(ODataError::bad_request(format!(
                    "'$value' addresses the raw value of a primitive property; '{}' is of type \
                     {type_name}.",
                    path.display()
                ))
                .with_target(path.display()));
            }
            ("$count", _) if type_ref.collection => {
                return Err(ODataError::new(
                    ErrorKind::NotImplemented,
                    format!(
                        "'$count' of the collection-valued property '{}' is not supported yet.",
                        path.display()
                    ),
                ));
            }
            (s, _) if s.starts_with('$') => {
                return Err(ODataError::bad_request(format!(
                    "The segment '{s}' is not valid after '{}'.",
                    path.display()
                )));
            }
            (s, TypeKind::Complex(id)) if !type_ref.collection => {
                let complex = model.complex_type(id);
                if let Some(member) = complex.property(s) {
                    path.members.push(member);
                } else if model.find_complex_type(s).is_some() {
                    return Err(ODataError::new(
                        ErrorKind::NotImplemented,
                        format!(
                            "The type-cast segment '{s}' is not supported yet (after '{}').",
                            path.display()
                        ),
                    ));
                } else {
                    return Err(ODataError::not_found(format!(
                        "'{s}' is not a property of '{}' (after '{}').",
                        complex.qualified_name,
                        path.display()
                    ))
                    .with_target(s.to_owned()));
                }
            }
            (s, _) => {
                return Err(ODataError::not_found(format!(
                    "The resource path segment '{s}' is not valid after '{}' of type {type_name}.",
                    path.display()
                ))
                .with_target(s.to_owned()));
            }
        }
        rest = tail;
    }
    Ok(path)
}

fn not_found_segment(service: &Service, segments: &[String]) -> ODataError {
    // `Products(…` without its `)`: a malformed key predicate, not a missing resource.
    let unclosed = service.collections().iter().find(|c| {
        let n = c.segments.len();
        segments.len() >= n
            && c.segments[..n - 1] == segments[..n - 1]
            && segments[n - 1]
                .strip_prefix(c.segments[n - 1].as_str())
                .is_some_and(|rest| rest.starts_with('(') && !rest.ends_with(')'))
    });
    if let Some(collection) = unclosed {
        return ODataError::bad_request(format!(
            "The key predicate after '{}' is not closed with ')'.",
            collection.path
        ));
    }
    let first = segments.first().map(String::as_str).unwrap_or_default();
    let known = service
        .collections()
        .iter()
        .any(|c| c.segments.first().map(String::as_str) == Some(first));
    let message = if known && segments.len() > 1 {
        format!("'{}' is not a collection of '{first}'.", segments[1])
    } else if known {
        format!("The resource '{first}' cannot be addressed directly.")
    } else {
        format!("The resource '{first}' does not exist.")
    };
    ODataError::not_found(message)
}

/// Key-as-segment (Graph's form): the whole segment is the value of the single key.
fn key_as_segment(
    service: &Service,
    collection: &Collection,
    segment: &str,
) -> Result<Vec<Value>, ODataError> {
    let table = &collection.table;
    if table.key.len() != 1 {
        return Err(ODataError::bad_request(format!(
            "'{}' has a composite key; use the form (name=value,...) to address an entity.",
            collection.path
        )));
    }
    let column = &table.columns[table.key[0]];
    Ok(vec![key_value(
        service,
        &column.property.type_ref.kind,
        &column.property.name,
        segment,
        false,
    )?])
}

/// `'abc'`, `id='abc'`, `42`, `a=1,b='x'`; any value may be a parameter alias (`@k`,
/// `id=@k`) defined in the query string.
fn parse_predicate(
    service: &Service,
    collection: &Collection,
    predicate: &str,
    info: &RequestInfo<'_>,
) -> Result<Vec<Value>, ODataError> {
    let table = &collection.table;
    let parts = split_top_level(predicate);
    let key_names: Vec<&str> = table
        .key
        .iter()
        .map(|&i| table.columns[i].property.name.as_str())
        .collect();
    let bad = || {
        ODataError::bad_request(format!(
            "The key predicate '({predicate})' does not match the key ({}) of '{}'.",
            key_names.join(","),
            collection.path
        ))
    };
    let mut values: Vec<Option<Value>> = vec![None; key_names.len()];
    for part in &parts {
        let (index, literal) = match split_name_value(part) {
            Some((name, literal)) => (
                key_names.iter().position(|k| *k == name).ok_or_else(bad)?,
                literal,
            ),
            None if key_names.len() == 1 && parts.len() == 1 => (0, part.as_str()),
            None => return Err(bad()),
        };
        let column = &table.columns[table.key[index]];
        let literal = literal.trim();
        let aliased;
        let literal = match literal.strip_prefix('@') {
            Some(alias) => {
                aliased = alias_value(alias, info)?;
                aliased.as_str()
            }
            None => literal,
        };
        let value = key_value(
            service,
            &column.property.type_ref.kind,
            &column.property.name,
            literal,
            true,
        )?;
        if values[index].replace(value).is_some() {
            return Err(bad());
        }
    }
    values.into_iter().map(|v| v.ok_or_else(bad)).collect()
}

/// The literal text of the parameter alias `@{alias}` from the query string.
fn alias_value(alias: &str, info: &RequestInfo<'_>) -> Result<String, ODataError> {
    let target = format!("@{alias}");
    match info.options()?.aliases.get(alias) {
        Some(Expr::Literal { value, .. }) => Ok(value.to_string()),
        Some(_) => Err(ODataError::bad_request(format!(
            "The parameter alias '{target}' used in the key predicate must be a literal value."
        ))
        .with_target(target)),
        None => Err(ODataError::bad_request(format!(
            "The parameter alias '{target}' used in the key predicate is not defined in the \
             query string."
        ))
        .with_target(target)),
    }
}

/// `name(arguments)` → `(name, arguments)`.
fn split_call(segment: &str) -> Option<(&str, &str)> {
    let (name, rest) = segment.split_once('(')?;
    let arguments = rest.strip_suffix(')')?;
    (!name.is_empty()).then_some((name, arguments))
}

/// Whether `segment` (`name` or `name(…)`) names an action or a function bound to `ty`
/// (or a collection of it, with `collection`).
fn is_operation(model: &Model, ty: EntityTypeId, collection: bool, segment: &str) -> bool {
    let name = split_call(segment).map_or(segment, |(name, _)| name);
    model.bound_action(ty, collection, segment).is_some()
        || !model.bound_functions(ty, collection, name).is_empty()
}

/// The route of the bound operation `segment` (see [`is_operation`]); nothing may follow
/// it.
fn operation<'s>(
    model: &'s Model,
    ty: EntityTypeId,
    collection: bool,
    segment: &str,
    tail: &[String],
    binding: Binding<'s>,
    info: &RequestInfo<'_>,
) -> Result<Route<'s>, ODataError> {
    if let [s, ..] = tail {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!("The segment '{s}' after the operation '{segment}' is not supported."),
        ));
    }
    let target = match model.bound_action(ty, collection, segment) {
        Some(action) => Target::Action(ActionInvocation { action, binding }),
        None => {
            let (name, arguments) = split_call(segment).unwrap_or((segment, ""));
            let overloads = model.bound_functions(ty, collection, name);
            Target::Function(invocation(model, &overloads, arguments, binding, info)?)
        }
    };
    Ok(Route {
        target,
        addressing: Addressing::Path,
        cast: None,
        filters: Vec::new(),
    })
}

/// A call of one of `overloads` (never empty) with the arguments `text` (inside the
/// parentheses: `p=1,q='x',r=@alias`) and the query options that are parameters: picks the
/// overload that declares exactly the names given (optional parameters may be left out)
/// and reads the arguments against its parameters.
fn invocation<'s>(
    model: &Model,
    overloads: &[&'s Action],
    text: &str,
    binding: Binding<'s>,
    info: &RequestInfo<'_>,
) -> Result<Invocation<'s>, ODataError> {
    let [first, ..] = overloads else {
        return Err(crate::error::internal(&"a call without a function"));
    };
    let mut arguments = inline_arguments(first, text, info)?;
    for (name, value) in info.operation_parameters {
        // A string may be given unquoted as a query option (`?category=x`).
        let literal = match parse_argument(name, value.trim(), info) {
            Ok(literal) => literal,
            Err(_) if !value.starts_with(['\'', '@']) => Literal::String(value.clone()),
            Err(e) => return Err(e),
        };
        arguments.push((name.clone(), literal));
    }
    let names: Vec<&str> = arguments.iter().map(|(n, _)| n.as_str()).collect();
    let function = match overloads {
        // One declaration: its own errors name the parameter at fault.
        [only] => *only,
        _ => select_overload(overloads, &names).ok_or_else(|| {
            let mut declared: Vec<String> = overloads
                .iter()
                .map(|f| format!("({})", f.signature().replace(',', ", ")))
                .collect();
            declared.sort();
            ODataError::bad_request(format!(
                "No overload of the function '{}' takes the parameters ({}); its overloads \
                 take {}.",
                first.qualified_name,
                names.join(", "),
                declared.join(", ")
            ))
            .with_target(first.name.clone())
        })?,
    };
    Ok(Invocation {
        function,
        binding,
        arguments: odata_core::json::read_url_arguments(model, function, &arguments)?,
    })
}

/// The arguments inside a function call's parentheses, `p=1,q='x',r=@alias` (aliases
/// from the query string), as literals.
fn inline_arguments(
    function: &Action,
    text: &str,
    info: &RequestInfo<'_>,
) -> Result<Vec<(String, Literal)>, ODataError> {
    let mut arguments = Vec::new();
    // `f()`: no arguments (not one empty one).
    let parts = if text.trim().is_empty() {
        Vec::new()
    } else {
        split_top_level(text)
    };
    for part in parts {
        let (name, value) = split_name_value(&part).ok_or_else(|| {
            ODataError::bad_request(format!(
                "'{part}' is not an argument 'name=value' of the function '{}'.",
                function.qualified_name
            ))
        })?;
        arguments.push((name.to_owned(), parse_argument(name, value.trim(), info)?));
    }
    Ok(arguments)
}

/// One argument's value: a literal, or a parameter alias `@a` defined in the query string
/// as one.
fn parse_argument(name: &str, value: &str, info: &RequestInfo<'_>) -> Result<Literal, ODataError> {
    match value.strip_prefix('@') {
        Some(alias) => match info.options()?.aliases.get(alias) {
            Some(Expr::Literal { value, .. }) => Ok(value.clone()),
            Some(_) => Err(ODataError::bad_request(format!(
                "The parameter alias '@{alias}' for '{name}' must be a literal value."
            ))
            .with_target(format!("@{alias}"))),
            None => Err(ODataError::bad_request(format!(
                "The parameter alias '@{alias}' for '{name}' is not defined in the query string."
            ))
            .with_target(format!("@{alias}"))),
        },
        None => odata_core::query::parse_literal(value).map_err(|e| {
            ODataError::bad_request(format!("The argument '{name}' is not a literal value: {e}"))
                .with_target(name.to_owned())
        }),
    }
}

/// Splits the raw query string of a request into the query options whose names start
/// with `$` or `@` (returned as a query string, still encoded) and the others (returned
/// decoded, name and value): on a function call those are its parameters
/// (`/F?count=5&$top=2`). A part that does not decode stays with the options, whose
/// parser reports it.
pub fn split_operation_parameters(raw: &str) -> (String, Vec<(String, String)>) {
    let mut kept = Vec::new();
    let mut parameters = Vec::new();
    for part in raw.strip_prefix('?').unwrap_or(raw).split('&') {
        let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let decoded = odata_core::query::decode_query_component(raw_name)
            .ok()
            .zip(odata_core::query::decode_query_component(raw_value).ok());
        match decoded {
            Some((name, value)) if !name.is_empty() && !name.starts_with(['$', '@']) => {
                parameters.push((name, value));
            }
            _ => kept.push(part),
        }
    }
    (kept.join("&"), parameters)
}

/// Splits on commas outside single-quoted strings.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut in_string = false;
    for c in text.chars() {
        match c {
            '\'' => in_string = !in_string,
            ',' if !in_string => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// `name=value` outside quotes.
fn split_name_value(part: &str) -> Option<(&str, &str)> {
    let eq = part.find('=')?;
    let quote = part.find('\'');
    if quote.is_some_and(|q| q < eq) {
        return None;
    }
    Some((part[..eq].trim(), &part[eq + 1..]))
}

/// Types a key literal. In a predicate strings are quoted (`'it''s'`); as a segment the
/// text is the value itself.
fn key_value(
    service: &Service,
    kind: &TypeKind,
    name: &str,
    text: &str,
    quoted: bool,
) -> Result<Value, ODataError> {
    // A well-formed literal of another type (or any key-as-segment text) addresses no
    // entity: 404; only a malformed literal is a 400.
    let invalid = || {
        let type_name = service.model().type_name(*kind);
        if !quoted || is_well_formed_literal(text) {
            ODataError::not_found(format!(
                "No entity has the key {text}: it is not a value of the key property '{name}' \
                 of type {type_name}."
            ))
        } else {
            ODataError::bad_request(format!(
                "'{text}' is not a valid value for the key property '{name}' of type \
                 {type_name}."
            ))
        }
        .with_target(name.to_owned())
    };
    let TypeKind::Primitive(p) = *kind else {
        return Err(invalid());
    };
    match p {
        PrimitiveKind::String => {
            if !quoted {
                return Ok(Value::String(text.to_owned()));
            }
            let inner = text
                .strip_prefix('\'')
                .and_then(|t| t.strip_suffix('\''))
                .filter(|_| text.len() >= 2)
                .ok_or_else(invalid)?;
            if inner.replace("''", "").contains('\'') {
                return Err(invalid());
            }
            Ok(Value::String(inner.replace("''", "'")))
        }
        PrimitiveKind::Guid => uuid::Uuid::try_parse(text)
            .ok()
            .filter(|_| text.len() == 36)
            .map(Value::Guid)
            .ok_or_else(invalid),
        _ => match p.integer_range() {
            Some((min, max)) => text
                .parse::<i64>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .map(Value::Int)
                .ok_or_else(invalid),
            None => Err(invalid()),
        },
    }
}

/// Whether `text` is a literal of some primitive type: a quoted string whose quotes are
/// doubled, a number, a GUID, a boolean.
fn is_well_formed_literal(text: &str) -> bool {
    let quoted = text.len() >= 2
        && text.starts_with('\'')
        && text.ends_with('\'')
        && !text[1..text.len() - 1].replace("''", "").contains('\'');
    quoted
        || text.parse::<f64>().is_ok_and(f64::is_finite)
        || (text.len() == 36 && uuid::Uuid::try_parse(text).is_ok())
        || matches!(text, "true" | "false")
}

/// The canonical key predicate of an entity, e.g. `('a''b')` or `(a=1,b='x')`.
pub fn key_predicate(collection: &Collection, key: &[Value]) -> String {
    let table = &collection.table;
    let literal = |v: &Value| match v {
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Int(i) => i.to_string(),
        Value::Guid(g) => g.hyphenated().to_string(),
        other => format!("{other:?}"),
    };
    if key.len() == 1 {
        return format!("({})", literal(&key[0]));
    }
    let parts: Vec<String> = table
        .key
        .iter()
        .zip(key)
        .map(|(&i, v)| format!("{}={}", table.columns[i].property.name, literal(v)))
        .collect();
    format!("({})", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::{below_service_root, split_path};

    #[test]
    fn slashes_inside_parentheses_and_strings_stay_in_their_segment() {
        assert_eq!(
            split_path("a/b('x/y')/$filter(c/d eq 'e''/f')/$count"),
            ["a", "b('x/y')", "$filter(c/d eq 'e''/f')", "$count"]
        );
        assert_eq!(split_path("a//b/"), ["a", "", "b", ""]);
        // An unbalanced parenthesis keeps the rest in one segment, which then fails to
        // resolve rather than splitting a string.
        assert_eq!(split_path("a(/b/c"), ["a(/b/c"]);
    }

    #[test]
    fn bind_urls_are_taken_below_the_service_root() {
        let root = "https://example.test/beta";
        for (url, below) in [
            ("products('a')", Some("products('a')")),
            ("products/a", Some("products/a")),
            ("/beta/products('a')", Some("products('a')")),
            (
                "https://example.test/beta/products('a')",
                Some("products('a')"),
            ),
            ("https://example.test/beta/", Some("")),
            ("https://example.test/beta", None),
            ("https://example.test/betamax/products('a')", None),
            ("https://other.test/beta/products('a')", None),
            ("http://example.test/beta/products('a')", None),
            ("//example.test/beta/products('a')", None),
            ("/products('a')", None),
            ("/betamax/products('a')", None),
            ("/beta", None),
        ] {
            assert_eq!(below_service_root(url, root, "/beta"), below, "{url}");
        }
        assert_eq!(
            below_service_root("/products('a')", "https://example.test/", "/"),
            Some("products('a')")
        );
        assert_eq!(
            below_service_root(
                "https://example.test/products('a')",
                "https://example.test",
                ""
            ),
            Some("products('a')")
        );
    }
}
