//! `POST …/{entity}/{action}`: invokes a bound action (see [`crate::action`]).

use actix_web::HttpResponse;
use odata_core::edm::Action;
use odata_core::error::{ErrorKind, ODataError};
use odata_core::json;
use odata_core::value::Value;
use serde_json::Value as Json;

use super::Request;
use super::output::{entity_json, stored_type};
use super::read::not_found;
use super::write::{allowed, refresh, require_json_body};
use crate::action::{ActionCall, ActionEffect};
use crate::auth::{self, Access};
use crate::error::internal;
use crate::service::{Collection, Link};
use crate::store::table::{Table, TableType};
use crate::store::{Change, Relink, StoreError};

/// Invokes `action` on the entity `key` of `collection`: reads the parameters, runs the
/// service's effect on the entity as stored and writes its result, in one transaction.
/// 204 on success, as Graph answers its actions.
pub(super) async fn invoke(
    request: &Request<'_>,
    collection: &Collection,
    key: &[Value],
    action: &Action,
) -> Result<HttpResponse, ODataError> {
    let handler = collection.action(&action.qualified_name).ok_or_else(|| {
        ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "The action '{}' is not implemented by this service.",
                action.qualified_name
            ),
        )
    })?;
    if !request.body.iter().all(u8::is_ascii_whitespace) {
        require_json_body(request)?;
    }
    let service = &request.state.service;
    let model = service.model();
    let parameters = json::read_parameters(model, action, &request.body)?;
    let table = &collection.table;
    // Where the keys of a link came from, to name them when one is missing.
    let mut linked: Option<(String, Vec<Json>, &Collection)> = None;
    let result = request
        .store
        .change(table, &request.tenant, key, allowed(request), |current| {
            let table_type = stored_type(table, current)?;
            let entity = entity_json(model, table, table_type, current);
            let call = ActionCall {
                entity: &entity,
                parameters: &parameters,
            };
            match handler.effect(&call)? {
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
                            column,
                            members,
                            link: true,
                        }],
                    })
                }
            }
        })
        .await;
    match result {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
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
