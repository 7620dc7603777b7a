//! Following a navigation property: `…/{key}/{navigation}` reads the related entity (a
//! reference) or the related collection (an inverse) with every query option,
//! `…/{navigation}/$count` counts it and `…/{navigation}/{key}` reads one member. Writes
//! through it create a linked member (`POST`) or change the entity it leads to.
//!
//! The source entity is read first (404 when it does not exist in the caller's tenant);
//! the related entities are then read from their own collection, in the same tenant, so
//! the link never leads outside it.

use actix_web::HttpResponse;
use actix_web::http::Method;
use odata_core::edm::Model;
use odata_core::error::{ErrorKind, ODataError};
use odata_core::value::Value;

use super::read::{self, Scope, not_found};
use super::{Request, write};
use crate::routing::{Related, key_predicate};
use crate::service::Link;
use crate::sql;
use crate::store::{Deadline, Store, StoredEntity};

/// `GET …/{key}/{navigation}[/{key}|/$count]`.
pub(super) async fn get(
    request: &Request<'_>,
    related: &Related<'_>,
) -> Result<HttpResponse, ODataError> {
    if related.reference {
        read::references_only(request)?;
    }
    let source = source_entity(request, related).await?;
    match related.navigation.link {
        Link::Reference { column } if related.reference => {
            let key = &source.values[column];
            let target = match key {
                Value::Null => None,
                key => {
                    request
                        .state
                        .store
                        .get(
                            &related.target.table,
                            &request.tenant,
                            std::slice::from_ref(key),
                        )
                        .await?
                }
            };
            // No link, or one to an entity deleted since: the navigation is null.
            let Some(target) = target else {
                return Ok(HttpResponse::NoContent().finish());
            };
            Ok(read::reference_response(request, related.target, &target))
        }
        Link::Reference { column } => match &source.values[column] {
            // No related entity, or one deleted since: the navigation is null.
            Value::Null => Ok(HttpResponse::NoContent().finish()),
            key => match read::entity(request, related.target, std::slice::from_ref(key), None)
                .await
            {
                Err(e) if e.kind == ErrorKind::NotFound => Ok(HttpResponse::NoContent().finish()),
                answer => answer,
            },
        },
        Link::Inverse { .. } | Link::Many { .. } => {
            let source_key = source_key(related)?;
            let path = format!(
                "{}{}/{}",
                related.source.path,
                key_predicate(related.source, &related.key),
                related.navigation.name
            );
            let scope = Scope {
                condition: Some(members_of(&request.tenant, related, source_key)),
                // A contained collection's context is the path through its parent.
                context: match related.target.containment {
                    Some(_) => path.clone(),
                    None => related.target.path.clone(),
                },
                // Further pages keep the `/$filter(…)` segments.
                path: format!("{path}{}", related.filter_path),
                references: related.reference,
            };
            match &related.member {
                Some(member) => {
                    // A member of another entity's collection does not exist here.
                    let Some(entity) = member_entity(request, related, member).await? else {
                        return Err(not_found(related.target, member));
                    };
                    if related.reference {
                        return Ok(read::reference_response(request, related.target, &entity));
                    }
                    read::entity(request, related.target, member, None).await
                }
                None if related.count => read::count(request, related.target, &scope).await,
                None => read::collection(request, related.target, &scope).await,
            }
        }
    }
}

/// The condition selecting the members of a collection-valued navigation of the source
/// entity (whose key is `source_key`) among the rows of the target's table.
fn members_of(tenant: &str, related: &Related<'_>, source_key: &Value) -> sql::Condition {
    match &related.navigation.link {
        Link::Inverse { column } => sql::column_in(
            &related.target.table,
            *column,
            std::slice::from_ref(source_key),
        ),
        Link::Many { table } => sql::linked_to(
            &related.target.table,
            table,
            tenant,
            std::slice::from_ref(source_key),
        ),
        // Single-valued: no members.
        Link::Reference { .. } => sql::Condition::none(),
    }
}

/// The member `member` (a key) of the source entity's collection-valued navigation, when
/// it exists and is a member.
async fn member_entity(
    request: &Request<'_>,
    related: &Related<'_>,
    member: &[Value],
) -> Result<Option<StoredEntity>, ODataError> {
    linked_member(
        &request.store,
        &request.tenant,
        request.deadline,
        related,
        member,
    )
    .await
}

/// [`member_entity`] without a request: the member `member` in `tenant` when it is linked
/// to the source entity.
async fn linked_member(
    store: &Store,
    tenant: &str,
    deadline: Deadline,
    related: &Related<'_>,
    member: &[Value],
) -> Result<Option<StoredEntity>, ODataError> {
    let source_key = source_key(related)?;
    let Some(entity) = store.get(&related.target.table, tenant, member).await? else {
        return Ok(None);
    };
    let linked = match &related.navigation.link {
        Link::Inverse { column } => &entity.values[*column] == source_key,
        Link::Many { .. } => {
            let [key] = related.target.table.key.as_slice() else {
                return Ok(None);
            };
            let this = sql::column_in(&related.target.table, *key, member);
            let linked = members_of(tenant, related, source_key);
            store
                .count_matching(&related.target.table, tenant, &[&this, &linked], deadline)
                .await?
                > 0
        }
        Link::Reference { .. } => false,
    };
    Ok(linked.then_some(entity))
}

/// `POST …/{key}/{navigation}`: creates an entity of the navigation's target linked to the
/// source entity (404 when the source does not exist), as a create in the target's
/// collection would with the reference set, or (many-to-many) with a link added in the
/// same transaction.
pub(super) async fn create(
    request: &Request<'_>,
    related: &Related<'_>,
) -> Result<HttpResponse, ODataError> {
    let source_key = source_key(related)?;
    source_entity(request, related).await?;
    match &related.navigation.link {
        Link::Inverse { column } => {
            write::create(
                request,
                related.target,
                false,
                &[(*column, source_key.clone())],
                None,
            )
            .await
        }
        Link::Many { table } => {
            let from = write::LinkedFrom {
                source: related.source,
                key: &related.key,
                link: table,
            };
            write::create(request, related.target, false, &[], Some(from)).await
        }
        Link::Reference { .. } => Err(crate::error::internal(
            &"a create through a single-valued navigation",
        )),
    }
}

/// `PATCH`, `PUT` or `DELETE` of the entity a navigation leads to (`…/{navigation}` of a
/// single-valued one, `…/{navigation}/{key}` of a member of a collection-valued one): the
/// same write as on the entity's own URL, once the link is checked (404 otherwise).
pub(super) async fn write_related(
    request: &Request<'_>,
    related: &Related<'_>,
    method: &Method,
) -> Result<HttpResponse, ODataError> {
    let source = source_entity(request, related).await?;
    let target = related.target;
    let key = match (&related.navigation.link, &related.member) {
        (Link::Reference { column }, _) => match &source.values[*column] {
            Value::Null => {
                return Err(ODataError::not_found(format!(
                    "'{}' of this entity is null.",
                    related.navigation.name
                )));
            }
            key => vec![key.clone()],
        },
        (Link::Inverse { .. } | Link::Many { .. }, Some(member)) => {
            if member_entity(request, related, member).await?.is_none() {
                return Err(not_found(target, member));
            }
            member.clone()
        }
        (Link::Inverse { .. } | Link::Many { .. }, None) => {
            return Err(crate::error::internal(&"a write to a whole collection"));
        }
    };
    match *method {
        Method::DELETE => write::delete(request, target, &key).await,
        Method::PUT => write::update(request, target, &key, true).await,
        _ => write::update(request, target, &key, false).await,
    }
}

/// The source entity's key, which an inverse link stores in its members (a single key:
/// `Service::build` binds references to single-property keys only).
fn source_key<'r>(related: &'r Related<'_>) -> Result<&'r Value, ODataError> {
    match related.key.as_slice() {
        [key] => Ok(key),
        _ => Err(crate::error::internal(&"inverse of a composite key")),
    }
}

/// The entity the navigation starts from, in the caller's tenant.
async fn source_entity(
    request: &Request<'_>,
    related: &Related<'_>,
) -> Result<StoredEntity, ODataError> {
    stored_source(
        &request.state.store,
        request.state.service.model(),
        &request.tenant,
        related,
    )
    .await
}

/// The source entity in `tenant`: 404 when it does not exist or is not of the type a cast
/// before the navigation names.
async fn stored_source(
    store: &Store,
    model: &Model,
    tenant: &str,
    related: &Related<'_>,
) -> Result<StoredEntity, ODataError> {
    store
        .get(&related.source.table, tenant, &related.key)
        .await?
        .filter(|e| {
            related.source_type.is_none_or(|cast| {
                related
                    .source
                    .table
                    .table_type(&e.type_name)
                    .is_some_and(|t| model.entity_derives_from(t.id, cast))
            })
        })
        .ok_or_else(|| not_found(related.source, &related.key))
}

/// The key of the one entity a path goes on from (`…/{navigation}[/{key}]/…`, see
/// [`Related::then`]): the entity a single-valued navigation leads to, or the member of a
/// collection-valued one, checked to be linked to the source. 404 when there is none.
pub(super) async fn follow(
    store: &Store,
    model: &Model,
    tenant: &str,
    deadline: Deadline,
    related: &Related<'_>,
) -> Result<Vec<Value>, ODataError> {
    let source = stored_source(store, model, tenant, related).await?;
    let none = || {
        ODataError::not_found(format!(
            "'{}' of {}{} leads to no entity.",
            related.navigation.name,
            related.source.path,
            key_predicate(related.source, &related.key)
        ))
    };
    match (&related.navigation.link, &related.member) {
        (Link::Reference { column }, _) => match &source.values[*column] {
            Value::Null => Err(none()),
            key => Ok(vec![key.clone()]),
        },
        (Link::Inverse { .. } | Link::Many { .. }, Some(member)) => {
            match linked_member(store, tenant, deadline, related, member).await? {
                Some(_) => Ok(member.clone()),
                None => Err(not_found(related.target, member)),
            }
        }
        (Link::Inverse { .. } | Link::Many { .. }, None) => Err(crate::error::internal(
            &"a path going on from a whole collection",
        )),
    }
}
