//! Creating related entities with an entity (deep insert) and adding existing entities to
//! its collection-valued navigation properties (`x@odata.bind: [URLs]`), all in the
//! transaction of the create (a write group, see [`crate::store::Store::begin_group`]).
//!
//! A single-valued related entity is created first, so that its key can be stored in the
//! entity's reference column; collection-valued ones are created after the entity, each
//! with its reference back to it, or (a many-to-many navigation) then linked to it through
//! the link table. Creating in another collection, or linking members through their
//! reference column, needs the caller's write permission there; linking through a link
//! table changes no member, so it needs read permission. Everything happens in the
//! caller's tenant.

use odata_core::error::{ErrorKind, ODataError};
use odata_core::json::{EntityPayload, Links};
use odata_core::value::Value;

use super::Request;
use super::write::{insert, key_of_url};
use crate::auth::{self, Access};
use crate::error::internal;
use crate::service::{Collection, Link, Navigation};
use crate::store::{Change, Relink, Store, StoreError, StoredEntity, Via};

/// Inserts the entity of `payload` into `collection` with its inline related entities and
/// collection links, through `store` (a write group the caller commits or rolls back).
pub(super) async fn insert_with_related(
    request: &Request<'_>,
    store: &Store,
    collection: &Collection,
    payload: &EntityPayload,
    preset: &[(usize, Value)],
) -> Result<StoredEntity, ODataError> {
    let service = &request.state.service;
    let mut references = preset.to_vec();
    for (name, inline) in &payload.inline {
        let navigation = stored_navigation(collection, name, &inline.member)?;
        if let Link::Reference { column } = navigation.link {
            let target = service.target(navigation);
            auth::authorize(&request.principal, target, Access::Write)?;
            for related in &inline.entities {
                let created =
                    Box::pin(insert_with_related(request, store, target, related, &[])).await?;
                references.push((column, single_key(target, &created)?));
            }
        }
    }
    let entity = insert(request, store, collection, payload, &references).await?;
    let referred_back = !payload.links.is_empty()
        || payload.inline.keys().any(|name| {
            collection
                .navigation(name)
                .is_some_and(|n| matches!(n.link, Link::Inverse { .. } | Link::Many { .. }))
        });
    if !referred_back {
        // Nothing holds the entity's key, which may then be composite.
        return Ok(entity);
    }
    let key = single_key(collection, &entity)?;
    // Created members of many-to-many navigations, linked with the bound ones below.
    let mut created_links = Vec::new();
    for (name, inline) in &payload.inline {
        let navigation = stored_navigation(collection, name, &inline.member)?;
        match &navigation.link {
            Link::Inverse { column } => {
                let target = service.target(navigation);
                auth::authorize(&request.principal, target, Access::Write)?;
                let back = [(*column, key.clone())];
                for related in &inline.entities {
                    Box::pin(insert_with_related(request, store, target, related, &back)).await?;
                }
            }
            Link::Many { table } => {
                let target = service.target(navigation);
                auth::authorize(&request.principal, target, Access::Write)?;
                let mut members = Vec::new();
                for related in &inline.entities {
                    let created =
                        Box::pin(insert_with_related(request, store, target, related, &[])).await?;
                    members.push(vec![single_key(target, &created)?]);
                }
                created_links.push(Relink {
                    table: &target.table,
                    via: Via::Links(table),
                    members,
                    link: true,
                });
            }
            Link::Reference { .. } => {}
        }
    }
    if !payload.links.is_empty() || !created_links.is_empty() {
        let mut relinks = Vec::new();
        let mut added = Vec::new();
        for (name, links) in &payload.links {
            relinks.push(relink(request, collection, name, links)?);
            added.push((links.member.clone(), links.urls.clone()));
        }
        relinks.extend(created_links);
        let table = &collection.table;
        store
            .change(
                table,
                &request.tenant,
                std::slice::from_ref(&key),
                |_| true,
                |_| {
                    Ok(Change {
                        values: None,
                        relinks,
                        stream: None,
                    })
                },
            )
            .await
            .map_err(|e| match e {
                StoreError::MissingMember(i) => missing_member(&added, i),
                other => other.into(),
            })?;
    }
    Ok(entity)
}

/// The [`Relink`] that adds the entities `links` names to the collection-valued
/// navigation `name` of an entity of `collection`: 501 unless the navigation is bound to
/// storage as an inverse, 403 without write permission on its target, 400 for a URL that
/// is not one of the target's entities.
pub(super) fn relink<'s>(
    request: &Request<'s>,
    collection: &'s Collection,
    name: &str,
    links: &Links,
) -> Result<Relink<'s>, ODataError> {
    let navigation = stored_navigation(collection, name, &links.member)?;
    let target = request.state.service.target(navigation);
    let via = match &navigation.link {
        // The members' rows change.
        Link::Inverse { column } => {
            auth::authorize(&request.principal, target, Access::Write)?;
            Via::Reference(*column)
        }
        // Only the link table changes; the members must be readable.
        Link::Many { table } => {
            auth::authorize(&request.principal, target, Access::Read)?;
            Via::Links(table)
        }
        Link::Reference { .. } => {
            return Err(internal(&"collection links on a single-valued navigation"));
        }
    };
    let members = links
        .urls
        .iter()
        .map(|url| key_of_url(request, target, &links.member, url).map(|(key, _)| key))
        .collect::<Result<_, _>>()?;
    Ok(Relink {
        table: &target.table,
        via,
        members,
        link: true,
    })
}

/// The 400 for the `index`-th URL, counted across `added` (member, URLs) in order, whose
/// entity does not exist.
pub(super) fn missing_member(added: &[(String, Vec<String>)], index: usize) -> ODataError {
    let mut rest = index;
    for (member, urls) in added {
        if let Some(url) = urls.get(rest) {
            return ODataError::bad_request(format!(
                "'{member}': the entity '{url}' does not exist; only existing entities can be \
                 bound."
            ))
            .with_target(member.clone());
        }
        rest -= urls.len();
    }
    internal(&"a missing member outside the links")
}

/// The navigation property `name` bound to storage; 501 naming `member` otherwise.
fn stored_navigation<'c>(
    collection: &'c Collection,
    name: &str,
    member: &str,
) -> Result<&'c Navigation, ODataError> {
    collection.navigation(name).ok_or_else(|| {
        ODataError::new(
            ErrorKind::NotImplemented,
            format!(
                "'{member}': the navigation property '{name}' of '{}' is not stored by this \
                 service; related entities cannot be created or bound through it.",
                collection.path
            ),
        )
        .with_target(member.to_owned())
    })
}

/// The single key value of a stored entity of `collection` (what references hold).
fn single_key(collection: &Collection, entity: &StoredEntity) -> Result<Value, ODataError> {
    match collection.table.key.as_slice() {
        [k] => Ok(entity.values[*k].clone()),
        _ => Err(internal(&"a linked entity without a single key")),
    }
}
