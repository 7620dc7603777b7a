//! `GET …/{key}/{function}(…)`, `GET …/{collection}/{function}(…)` and
//! `GET {import}(…)`: calls a function (see [`crate::function`]) and writes its value, or
//! reads the entities it selects.

use actix_web::HttpResponse;
use odata_core::edm::{Action, EntityTypeId, Model, PrimitiveKind, TypeKind, TypeRef};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json;
use odata_core::query::{QueryOptions, SortDirection};
use odata_core::value::Value;
use serde_json::{Map, Value as Json};

use super::Request;
use super::output::{entity_json, json_options, stored_type};
use super::read::{self, Scope, not_found};
use crate::auth::{self, Access};
use crate::error::internal;
use crate::function::{EntityQuery, FunctionCall, FunctionOutput, MAX_BOUND_MEMBERS};
use crate::routing::{Binding, Invocation};
use crate::service::Collection;
use crate::sql::{self, Condition};
use crate::store::{Find, StoredEntity};
use crate::{negotiation, plan, query};

pub(super) async fn call(
    request: &Request<'_>,
    invocation: &Invocation<'_>,
) -> Result<HttpResponse, ODataError> {
    let function = invocation.function;
    let service = &request.state.service;
    let model = service.model();
    let handler = match &invocation.binding {
        Binding::Entity(collection, ..) => collection.function(function, false),
        Binding::Collection(collection) => collection.function(function, true),
        Binding::Import(_) => service.function_import(function),
    }
    .ok_or_else(|| not_implemented("function", function))?;
    let return_type = function
        .return_type
        .as_ref()
        .ok_or_else(|| internal(&"a function without a return type"))?;
    let stored = bound_entity(request, &invocation.binding).await?;
    let entity = match &stored {
        Some((collection, stored)) => Some(as_json(model, collection, stored)?),
        None => None,
    };
    let members = match (&invocation.binding, handler.reads()) {
        (Binding::Collection(collection), _) if !handler.returns_entities() => {
            Some(members(request, collection).await?)
        }
        (Binding::Import(_), Some(path)) => {
            let collection = service
                .collection(path)
                .ok_or_else(|| internal(&format!("'{path}' is not a collection")))?;
            crate::auth::authorize(&request.principal, collection, crate::auth::Access::Read)?;
            Some(members(request, collection).await?)
        }
        _ => None,
    };
    let output = handler.call(&FunctionCall {
        entity: entity.as_ref(),
        members: members.as_deref(),
        parameters: &invocation.arguments,
    })?;
    match output {
        FunctionOutput::Value(value) => {
            query::collection_only(&request.options)?;
            if request.options.select.is_some()
                || request.options.expand.is_some()
                || request.options.compute.is_some()
            {
                return Err(ODataError::new(
                    ErrorKind::NotImplemented,
                    "'$select', '$expand' and '$compute' on a function's value are not \
                     supported.",
                ));
            }
            value_response(request, function, return_type, &value)
        }
        FunctionOutput::Entities(selection) => {
            let target = entity_set(request, invocation, return_type)?;
            auth::authorize(&request.principal, target, Access::Read)?;
            let entity = stored
                .as_ref()
                .map(|(collection, stored)| (*collection, stored));
            entities(request, invocation, target, &selection, entity).await
        }
    }
}

fn not_implemented(kind: &str, operation: &Action) -> ODataError {
    ODataError::new(
        ErrorKind::NotImplemented,
        format!(
            "The {kind} '{}' is not implemented by this service.",
            operation.qualified_name
        ),
    )
}

/// The entity an operation is bound to, as stored: 404 when it does not exist (or is not
/// of the type the URL casts to). `None` unless bound to an entity.
pub(super) async fn bound_entity<'c>(
    request: &Request<'_>,
    binding: &Binding<'c>,
) -> Result<Option<(&'c Collection, StoredEntity)>, ODataError> {
    let Binding::Entity(collection, key, cast) = binding else {
        return Ok(None);
    };
    let model = request.state.service.model();
    let table = &collection.table;
    let stored = request
        .store
        .get(table, &request.tenant, key)
        .await?
        .filter(|e| is_of_type(model, collection, e, *cast))
        .ok_or_else(|| not_found(collection, key))?;
    Ok(Some((*collection, stored)))
}

/// Whether the stored entity is of the type `cast` (or derived from it); any entity
/// without a cast.
pub(super) fn is_of_type(
    model: &Model,
    collection: &Collection,
    entity: &StoredEntity,
    cast: Option<EntityTypeId>,
) -> bool {
    cast.is_none_or(|cast| {
        collection
            .table
            .table_type(&entity.type_name)
            .is_some_and(|t| model.entity_derives_from(t.id, cast))
    })
}

fn as_json(
    model: &Model,
    collection: &Collection,
    stored: &StoredEntity,
) -> Result<Map<String, Json>, ODataError> {
    let table = &collection.table;
    Ok(entity_json(
        model,
        table,
        stored_type(table, stored)?,
        stored,
    ))
}

/// The members of a collection a function is bound to, in their default order; more than
/// [`MAX_BOUND_MEMBERS`] is a 501.
pub(super) async fn members(
    request: &Request<'_>,
    collection: &Collection,
) -> Result<Vec<Map<String, Json>>, ODataError> {
    let table = &collection.table;
    let order = crate::sql::default_order(table, SortDirection::Asc);
    let rows = request
        .store
        .find(
            table,
            &request.tenant,
            &Find {
                conditions: &[],
                order: &order,
                projection: None,
                limit: MAX_BOUND_MEMBERS + 1,
                offset: 0,
            },
            request.deadline,
        )
        .await?;
    if rows.len() > MAX_BOUND_MEMBERS as usize {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "'{}' has more than {MAX_BOUND_MEMBERS} members: too many for a function bound \
                 to it.",
                collection.path
            ),
        ));
    }
    let model = request.state.service.model();
    rows.iter()
        .map(|row| as_json(model, collection, &row.entity))
        .collect()
}

/// `{"@odata.context":"…#Type","value":…}` for a value of `return_type` (a complex
/// value: its members beside the context). A value of another type is the computation's
/// fault, not the caller's.
pub(super) fn value_response(
    request: &Request<'_>,
    operation: &Action,
    return_type: &TypeRef,
    value: &Json,
) -> Result<HttpResponse, ODataError> {
    let model = request.state.service.model();
    let options = json_options(request)?;
    if matches!(return_type.kind, TypeKind::Entity(_)) {
        return Err(internal(&format!(
            "{} returns a value for entities",
            operation.qualified_name
        )));
    }
    let typed = json::read_value(model, return_type, value, "value")
        .map_err(|e| internal(&format!("{}: {}", operation.qualified_name, e.message)))?;
    let root = request.state.service_root(request.http);
    let context = format!("{root}/$metadata#{}", model.type_ref_name(return_type));
    let mut written = Vec::new();
    json::write_value(&mut written, model, return_type, &typed, options);
    let mut body = Vec::with_capacity(written.len() + context.len() + 32);
    body.extend_from_slice(b"{\"@odata.context\":");
    body.extend_from_slice(Json::from(context).to_string().as_bytes());
    match written.strip_prefix(b"{") {
        // A complex value: its members next to the context.
        Some(members)
            if !return_type.collection && matches!(return_type.kind, TypeKind::Complex(_)) =>
        {
            if members != b"}" {
                body.push(b',');
            }
            body.extend_from_slice(members);
        }
        _ => {
            body.extend_from_slice(b",\"value\":");
            body.extend_from_slice(&written);
            body.push(b'}');
        }
    }
    Ok(HttpResponse::Ok()
        .content_type(negotiation::json_content_type(options))
        .body(body))
}

/// The served collection holding the entities a function returns: its import's
/// `EntitySet`, or the binding's collection for `EntitySetPath` naming the binding
/// parameter.
fn entity_set<'s>(
    request: &Request<'s>,
    invocation: &Invocation<'s>,
    return_type: &TypeRef,
) -> Result<&'s Collection, ODataError> {
    let function = invocation.function;
    let service = &request.state.service;
    let TypeKind::Entity(returned) = return_type.kind else {
        return Err(internal(&format!(
            "{} answers with entities but does not return them",
            function.qualified_name
        )));
    };
    if !return_type.collection {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "The function '{}' returns a single entity, which is not supported.",
                function.qualified_name
            ),
        ));
    }
    let set = match &invocation.binding {
        Binding::Import(name) => service
            .model()
            .container
            .function_imports
            .iter()
            .find(|i| i.name == *name)
            .and_then(|i| i.entity_set.as_deref())
            .and_then(|set| {
                service
                    .collections()
                    .iter()
                    .find(|c| c.containment.is_none() && c.path == set)
            }),
        binding => {
            let binding_name = function.binding_parameter().map(|p| p.name.as_str());
            binding
                .collection()
                .filter(|_| function.entity_set_path.as_deref() == binding_name)
        }
    };
    set.filter(|c| {
        service.model().entity_derives_from(c.entity_type, returned) || c.entity_type == returned
    })
    .ok_or_else(|| {
        internal(&format!(
            "{} returns entities of no served entity set",
            function.qualified_name
        ))
    })
}

/// Reads the entities `selection` picks from `target`, with the client's options applied
/// to them, as `GET target` would.
async fn entities(
    request: &Request<'_>,
    invocation: &Invocation<'_>,
    target: &Collection,
    selection: &EntityQuery,
    bound: Option<(&Collection, &StoredEntity)>,
) -> Result<HttpResponse, ODataError> {
    let state = request.state;
    let service = &state.service;
    let model = service.model();
    let function = invocation.function;
    let fault = |what: &str, e: &dyn std::fmt::Display| {
        internal(&format!("{}: {what}: {e}", function.qualified_name))
    };
    let limits = request.options.limits;
    // Each argument is a parameter alias of its name; the handler may add properties.
    let mut aliases = indexmap::IndexMap::new();
    for parameter in function.body_parameters() {
        if let Some(value) = invocation.arguments.get(&parameter.name) {
            let text = literal(model, &parameter.type_ref, value)
                .ok_or_else(|| fault("alias", &parameter.name))?;
            let expr = odata_core::query::parse_expr(&text, &limits)
                .map_err(|e| fault(&parameter.name, &e))?;
            aliases.insert(parameter.name.clone(), expr);
        }
    }
    for (alias, property) in &selection.property_aliases {
        let (collection, stored) = bound.ok_or_else(|| fault("alias", alias))?;
        let table = &collection.table;
        let column = table
            .column_index(property)
            .ok_or_else(|| fault("no property", property))?;
        let type_ref = &table.columns[column].property.type_ref;
        let value = as_json(model, collection, stored)?
            .get(property)
            .cloned()
            .unwrap_or(Json::Null);
        let text = literal(model, type_ref, &value).ok_or_else(|| fault("alias", alias))?;
        let expr = odata_core::query::parse_expr(&text, &limits).map_err(|e| fault(alias, &e))?;
        aliases.insert(alias.clone(), expr);
    }
    let own = QueryOptions {
        filter: selection
            .filter
            .as_deref()
            .map(|f| odata_core::query::parse_filter(f, &limits))
            .transpose()
            .map_err(|e| fault("filter", &e))?,
        orderby: selection
            .orderby
            .as_deref()
            .map(|o| odata_core::query::parse_orderby(o, &limits))
            .transpose()
            .map_err(|e| fault("orderby", &e))?,
        aliases: aliases.clone(),
        limits,
        ..QueryOptions::default()
    };
    let backend = state.store.backend();
    let own_plan = plan::plan(service, backend, target, &own, request.now.clone())?;
    let mut conditions = own_plan.conditions.clone();
    if selection.top.is_some() || selection.skip.is_some() {
        // A window of the function's order: its members by key, so the client's options
        // apply to exactly those.
        let [key] = target.table.key.as_slice() else {
            return Err(ODataError::new(
                ErrorKind::NotImplemented,
                format!(
                    "'{}' returns a window of entities with a composite key, which is not \
                     supported.",
                    function.qualified_name
                ),
            ));
        };
        let limit = selection
            .top
            .unwrap_or(u64::from(MAX_BOUND_MEMBERS))
            .min(u64::from(MAX_BOUND_MEMBERS));
        let own_conditions: Vec<&Condition> = own_plan.conditions.iter().collect();
        let rows = if limit == 0 {
            Vec::new()
        } else {
            request
                .store
                .find(
                    &target.table,
                    &request.tenant,
                    &Find {
                        conditions: &own_conditions,
                        order: &own_plan.order,
                        projection: Some(&[]),
                        limit: u32::try_from(limit).unwrap_or(MAX_BOUND_MEMBERS),
                        offset: selection.skip.unwrap_or(0),
                    },
                    request.deadline,
                )
                .await?
        };
        let keys: Vec<Value> = rows
            .into_iter()
            .map(|row| row.entity.values[*key].clone())
            .collect();
        conditions = vec![sql::column_in(&target.table, *key, &keys)];
    }
    let mut options = request.options.clone();
    if options.orderby.is_none() {
        options.orderby = own.orderby.clone();
        for (name, expr) in aliases {
            options.aliases.entry(name).or_insert(expr);
        }
    }
    let path = request
        .http
        .uri()
        .path()
        .strip_prefix(&state.base_prefix)
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    let scope = Scope {
        condition: sql::all(conditions),
        path,
        context: target.path.clone(),
        references: false,
    };
    let derived = Request {
        http: request.http,
        state,
        store: request.store.clone(),
        options,
        now: request.now.clone(),
        tenant: request.tenant.clone(),
        principal: request.principal.clone(),
        caller: request.caller.clone(),
        deadline: request.deadline,
        body: request.body.clone(),
        version: request.version,
        prefer: request.prefer.clone(),
    };
    read::collection(&derived, target, &scope).await
}

/// The OData literal (URL form) of a JSON value of type `type_ref`, to stand for a
/// parameter alias; `None` for values that have none (complex, collections).
fn literal(model: &Model, type_ref: &TypeRef, value: &Json) -> Option<String> {
    if value.is_null() {
        return Some("null".into());
    }
    if type_ref.collection {
        return None;
    }
    let text = || match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let quoted = |s: String| format!("'{}'", s.replace('\'', "''"));
    match type_ref.kind {
        TypeKind::Primitive(PrimitiveKind::String) => text().map(quoted),
        TypeKind::Primitive(PrimitiveKind::Duration) => {
            text().map(|t| format!("duration{}", quoted(t)))
        }
        TypeKind::Primitive(PrimitiveKind::Binary) => {
            text().map(|t| format!("binary{}", quoted(t)))
        }
        TypeKind::Primitive(_) => text(),
        TypeKind::Enum(id) => {
            text().map(|t| format!("{}{}", model.enum_type(id).qualified_name, quoted(t)))
        }
        TypeKind::Complex(_) | TypeKind::Entity(_) => None,
    }
}
