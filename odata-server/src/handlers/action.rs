//! `POST …/{key}/{action}`, `POST …/{collection}/{action}` and `POST {import}`:
//! invokes an action (see [`crate::action`]).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use odata_core::edm::{Action, TypeKind};
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json;
use serde_json::Value as Json;

use super::Request;
use super::function::{is_of_type, value_response};
use super::output::{entity_json, entity_response, stored_type};
use super::read::not_found;
use super::write::{allowed, refresh, require_json_body};
use crate::action::{ActionCall, ActionEffect};
use crate::auth::{self, Access};
use crate::error::internal;
use crate::routing::{ActionInvocation, Binding};
use crate::service::{Collection, Link};
use crate::store::table::{Table, TableType};
use crate::store::{Change, Relink, StoreError, StoredEntity, Via};

/// Invokes the action: reads the parameters, runs the service's effect (on the bound
/// entity as stored) and writes its result, in one transaction; answers with the value
/// the effect returns, the bound entity (an action returning its entity type), or 204.
pub(super) async fn invoke(
    request: &Request<'_>,
    invocation: &ActionInvocation<'_>,
) -> Result<HttpResponse, ODataError> {
    let action = invocation.action;
    let service = &request.state.service;
    let handler = match &invocation.binding {
        Binding::Entity(collection, ..) => collection.action(&action.qualified_name, false),
        Binding::Collection(collection) => collection.action(&action.qualified_name, true),
        Binding::Import(name) => service.action_import(name),
    }
    .ok_or_else(|| {
        ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "The action '{}' is not implemented by this service.",
                action.qualified_name
            ),
        )
    })?;
    let body = request.body.trim_ascii();
    // `{}` says "no parameters" whatever its content type; anything else must be JSON.
    let no_parameters = body.is_empty() || (body == b"{}" && no_content_type(request));
    if !no_parameters {
        require_json_body(request)?;
    }
    let model = service.model();
    let parameters = json::read_parameters(model, action, &request.body)?;
    let Binding::Entity(collection, key, cast) = &invocation.binding else {
        let over = match handler.over_collection() {
            Some(path) => {
                let over = service
                    .collection(path)
                    .ok_or_else(|| internal(&format!("'{path}' is not a collection")))?;
                auth::authorize(&request.principal, over, Access::Write)?;
                Some(over)
            }
            None => None,
        };
        let members = match over {
            Some(over) => Some(super::function::members(request, over).await?),
            None => None,
        };
        let call = ActionCall {
            entity: None,
            members: members.as_deref(),
            parameters: &parameters,
        };
        let (effect, value) = match handler.effect(&call)? {
            ActionEffect::Returning { effect, value } => (*effect, Some(value)),
            effect => (effect, None),
        };
        match effect {
            ActionEffect::Nothing => {}
            ActionEffect::Restore(dataset) => restore(request, &dataset).await?,
            ActionEffect::UpdateMembers(updates) => {
                let over = over.ok_or_else(|| {
                    internal(&format!(
                        "{} updates members but works over no collection",
                        action.qualified_name
                    ))
                })?;
                update_members(request, over, updates).await?;
            }
            _ => {
                return Err(internal(&format!(
                    "{} is bound to no entity but writes one",
                    action.qualified_name
                )));
            }
        }
        return answer(request, action, None, value);
    };
    let table = &collection.table;
    // Where the keys of a link came from, to name them when one is missing.
    let mut linked: Option<(String, Vec<Json>, &Collection)> = None;
    let mut returned: Option<Json> = None;
    let result = request
        .store
        .change(table, &request.tenant, key, allowed(request), |current| {
            if !is_of_type(model, collection, current, *cast) {
                return Err(not_found(collection, key));
            }
            let table_type = stored_type(table, current)?;
            let entity = entity_json(model, table, table_type, current);
            let call = ActionCall {
                entity: Some(&entity),
                members: None,
                parameters: &parameters,
            };
            let effect = match handler.effect(&call)? {
                ActionEffect::Returning { effect, value } => {
                    returned = Some(value);
                    *effect
                }
                effect => effect,
            };
            match effect {
                ActionEffect::Nothing => Ok(Change {
                    values: None,
                    relinks: Vec::new(),
                    stream: None,
                }),
                ActionEffect::Update(changes) => {
                    let mut values = current.values.clone();
                    refresh(model, table, table_type, &mut values, &request.now, false);
                    for (name, json) in changes {
                        let column = writable_column(table, table_type, &name)?;
                        let property = &table.columns[column].property;
                        values[column] = json::read_value(model, &property.type_ref, &json, &name)?;
                    }
                    Ok(Change {
                        values: Some(values),
                        relinks: Vec::new(),
                        stream: None,
                    })
                }
                ActionEffect::Link {
                    navigation,
                    keys,
                    parameter,
                } => {
                    let (target, column) = match collection.navigation(&navigation) {
                        Some(
                            nav @ crate::service::Navigation {
                                link: Link::Inverse { column },
                                ..
                            },
                        ) => (service.target(nav), *column),
                        _ => {
                            return Err(internal(&format!(
                                "'{navigation}' is not a collection-valued navigation of '{}'",
                                collection.path
                            )));
                        }
                    };
                    // Linking changes the members: a write to their collection.
                    auth::authorize(&request.principal, target, Access::Write)?;
                    let [target_key] = target.table.key.as_slice() else {
                        return Err(internal(&"a link target without a single key"));
                    };
                    let key_type = &target.table.columns[*target_key].property.type_ref;
                    let members = keys
                        .iter()
                        .enumerate()
                        .map(|(i, k)| {
                            json::read_value(model, key_type, k, &format!("{parameter}[{i}]"))
                                .map(|v| vec![v])
                        })
                        .collect::<Result<_, _>>()?;
                    linked = Some((parameter, keys, target));
                    Ok(Change {
                        values: None,
                        relinks: vec![Relink {
                            table: &target.table,
                            via: Via::Reference(column),
                            members,
                            link: true,
                        }],
                        stream: None,
                    })
                }
                ActionEffect::Restore(_) | ActionEffect::UpdateMembers(_) => {
                    Err(internal(&format!(
                        "{} restores or updates a collection but is bound to an entity",
                        action.qualified_name
                    )))
                }
                ActionEffect::Returning { .. } => Err(internal(&format!(
                    "{} returns twice",
                    action.qualified_name
                ))),
            }
        })
        .await;
    match result {
        Ok(entity) => answer(request, action, Some((collection, &entity)), returned),
        Err(StoreError::NotFound) => Err(not_found(collection, key)),
        Err(StoreError::MissingMember(i)) => {
            let Some((parameter, keys, target)) = linked else {
                return Err(internal(&"a missing member without a link"));
            };
            let missing = keys.get(i).cloned().unwrap_or_default();
            Err(ODataError::bad_request(format!(
                "'{parameter}': {missing} is not the key of an entity of '{}'; nothing was \
                 linked.",
                target.path
            ))
            .with_target(parameter))
        }
        Err(other) => Err(other.into()),
    }
}

fn no_content_type(request: &Request<'_>) -> bool {
    request
        .http
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_none()
}

/// The answer to an action: the value its effect returned, the entity as written when
/// it returns an entity, or 204 when it returns nothing.
fn answer(
    request: &Request<'_>,
    action: &Action,
    entity: Option<(&Collection, &StoredEntity)>,
    value: Option<Json>,
) -> Result<HttpResponse, ODataError> {
    match (&action.return_type, value, entity) {
        (Some(return_type), Some(value), _) => value_response(request, action, return_type, &value),
        (Some(r), None, Some((collection, entity)))
            if !r.collection && matches!(r.kind, TypeKind::Entity(_)) =>
        {
            entity_response(request, collection, entity, StatusCode::OK, None)
        }
        (None, None, _) => Ok(HttpResponse::NoContent().finish()),
        (None, Some(_), _) => Err(internal(&format!(
            "{} returns a value but declares no return type",
            action.qualified_name
        ))),
        (Some(_), None, _) => Err(internal(&format!(
            "{} declares a return type but its effect returned nothing",
            action.qualified_name
        ))),
    }
}

/// The column of a property an effect sets: one of the entity's type that is neither a
/// key nor immutable (anything else is a fault of the effect, not of the request).
pub(super) fn writable_column(
    table: &Table,
    table_type: &TableType,
    name: &str,
) -> Result<usize, ODataError> {
    table
        .column_index(name)
        .filter(|c| table_type.columns.contains(c) && !table.key.contains(c))
        .filter(|&c| !table.columns[c].property.is_immutable())
        .ok_or_else(|| internal(&format!("the service sets '{name}', which it cannot")))
}

/// Replaces the caller's data with `dataset` ([`ActionEffect::Restore`]): a write to every
/// collection of the service. The tenant's asynchronous jobs are dropped with it.
async fn restore(
    request: &Request<'_>,
    dataset: &crate::dataset::Dataset,
) -> Result<(), ODataError> {
    let service = &request.state.service;
    for collection in service.collections() {
        auth::authorize(&request.principal, collection, Access::Write)?;
    }
    crate::dataset::replace(service, &request.store, &request.tenant, dataset)
        .await
        .map_err(|e| internal(&e))?;
    // The tenant's asynchronous jobs worked on the data just replaced: they are dropped
    // (their monitors answer 404), except the job running this restore, whose caller is
    // still to read its outcome.
    use actix_web::HttpMessage;
    let own = request
        .http
        .extensions()
        .get::<super::AsyncJob>()
        .map(|job| job.0.clone());
    request
        .state
        .jobs
        .drop_tenant(&request.tenant, own.as_deref());
    Ok(())
}

/// Sets properties of members of `collection` ([`ActionEffect::UpdateMembers`]), all in
/// one transaction: a member that no longer exists fails the whole.
async fn update_members(
    request: &Request<'_>,
    collection: &Collection,
    updates: Vec<(Json, Vec<(String, Json)>)>,
) -> Result<(), ODataError> {
    let model = request.state.service.model();
    let table = &collection.table;
    let [key_column] = table.key.as_slice() else {
        return Err(internal(
            &"members updated by key of a composite-key collection",
        ));
    };
    let key_type = &table.columns[*key_column].property.type_ref;
    let group = request.store.begin_group().await?;
    let mut written = Ok(());
    for (key, changes) in updates {
        let key = match json::read_value(model, key_type, &key, "key") {
            Ok(key) => key,
            Err(e) => {
                written = Err(e);
                break;
            }
        };
        let result = group
            .update(
                table,
                &request.tenant,
                &[key],
                |_| true,
                |current| {
                    let table_type = stored_type(table, current)?;
                    let mut values = current.values.clone();
                    refresh(model, table, table_type, &mut values, &request.now, false);
                    for (name, json) in &changes {
                        let column = writable_column(table, table_type, name)?;
                        let property = &table.columns[column].property;
                        values[column] = json::read_value(model, &property.type_ref, json, name)?;
                    }
                    Ok(values)
                },
            )
            .await;
        if let Err(e) = result {
            written = Err(e.into());
            break;
        }
    }
    group.end_group(written.is_ok()).await?;
    written
}
