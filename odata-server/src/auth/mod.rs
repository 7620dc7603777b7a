//! Authentication and authorization: who is calling ([`Principal`], established from a bearer
//! JWT by [`Authenticator`]) and whether they may read or write a collection ([`authorize`],
//! against the [`Permissions`] the model declares in [`crate::service::ServiceBuilder`]).
//!
//! Decisions, in request order:
//! 1. [`Authenticator::authenticate`] runs before routing for every request below the service
//!    root: no or an invalid token is a 401 whatever the URL, so unauthenticated callers learn
//!    nothing about the model.
//! 2. The service document and `$metadata` are readable by every authenticated caller: they
//!    describe the API, not anybody's rows.
//! 3. Every request that touches a collection passes [`authorize`] with that collection and the
//!    [`Access`] it needs (GET/HEAD read; everything else, including bound actions, writes).
//!    A valid token lacking the permission is a 403 naming the permissions that would do.
//! 4. Rows are isolated by the [`Principal::tenant`] in the storage layer: another tenant's
//!    entity is simply not there (404), never a 403.

mod jwt;

use std::collections::BTreeSet;

use actix_web::http::Method;
use odata_core::error::{ErrorKind, ODataError};

pub use jwt::{AuthConfigError, Authenticator};

use crate::routing::Target;
use crate::service::Collection;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The tenant whose rows the caller sees and writes; empty when authentication is off or
    /// no tenant claim is configured.
    pub tenant: String,
    /// Delegated scopes (the `scp` claim, split on U+0020 spaces only) and application roles
    /// (the `roles` claim, an array of strings) granted by the token.
    pub scopes: BTreeSet<String>,
    /// True only when authentication is off: every permission is granted.
    pub unrestricted: bool,
    /// Who is calling, as the key of per-caller resource limits: `"{tenant}/{subject}"`, the
    /// subject being the token's `oid` claim, else its `sub` claim, else empty. Empty when
    /// authentication is off.
    pub caller: String,
}

impl Principal {
    /// The caller when authentication is off: the empty tenant, every permission.
    pub fn unrestricted() -> Self {
        Self {
            tenant: String::new(),
            scopes: BTreeSet::new(),
            unrestricted: true,
            caller: String::new(),
        }
    }

    /// True when the caller holds at least one of `any_of`.
    pub fn holds_any(&self, any_of: &[String]) -> bool {
        self.unrestricted || any_of.iter().any(|p| self.scopes.contains(p))
    }
}

/// The kind of access a request needs to a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading rows: GET of a collection, an entity, `$count`, and later `$expand`.
    Read,
    /// Creating, changing or deleting rows, and invoking bound actions.
    Write,
}

/// The permissions (delegated scopes or application roles) a collection requires. Holding any
/// one listed permission suffices. A write permission does not imply read: list it under
/// `read` as well if it should (Microsoft Graph's `*.ReadWrite.All` scopes are listed in both).
///
/// ```
/// use odata_server::auth::Permissions;
/// let p = Permissions::new(&["Items.Read.All", "Items.ReadWrite.All"], &["Items.ReadWrite.All"]);
/// assert_eq!(p.write, ["Items.ReadWrite.All"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permissions {
    /// Any one of these allows reading.
    pub read: Vec<String>,
    /// Any one of these allows writing.
    pub write: Vec<String>,
}

impl Permissions {
    /// Read and write permission lists.
    pub fn new(read: &[&str], write: &[&str]) -> Self {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        Self {
            read: owned(read),
            write: owned(write),
        }
    }

    /// The permissions allowing `access`.
    pub fn for_access(&self, access: Access) -> &[String] {
        match access {
            Access::Read => &self.read,
            Access::Write => &self.write,
        }
    }
}

/// The single authorization check: may `principal` have `access` to `collection`?
///
/// Every code path that reads or writes a collection's rows must pass here first, once per
/// collection it touches: the request entry point does it for the addressed collection (see
/// [`authorize_target`]); `$expand` must call it with [`Access::Read`] for every expanded
/// collection, `$batch` for every inner request (with the outer request's principal), bound
/// actions with [`Access::Write`] for their binding collection. A collection without declared
/// permissions is closed to every authenticated caller (only an unrestricted principal, i.e.
/// authentication off, passes). Tenant isolation is separate and lives in the storage layer.
///
/// Errors: 403 `Forbidden` naming the permissions that would have sufficed.
pub fn authorize(
    principal: &Principal,
    collection: &Collection,
    access: Access,
) -> Result<(), ODataError> {
    if principal.unrestricted {
        return Ok(());
    }
    let verb = match access {
        Access::Read => "read",
        Access::Write => "write",
    };
    let required = collection
        .permissions
        .as_ref()
        .map(|p| p.for_access(access))
        .unwrap_or_default();
    if required.is_empty() {
        return Err(ODataError::new(
            ErrorKind::AccessDenied,
            format!(
                "Access denied: the service grants no permission to {verb} '{}'.",
                collection.path
            ),
        ));
    }
    if principal.holds_any(required) {
        return Ok(());
    }
    Err(ODataError::new(
        ErrorKind::AccessDenied,
        format!(
            "Access denied: to {verb} '{}' the token needs one of the permissions {} (as a \
             delegated scope in 'scp' or an application role in 'roles').",
            collection.path,
            required.join(", ")
        ),
    ))
}

/// The access a request needs to what it addresses: `None` for the service document,
/// `$metadata` and an unstored singleton (open to every authenticated caller), [`Access::Read`] for GET and HEAD on a
/// collection or entity, [`Access::Write`] for every other method. For a navigation it is
/// the access to the related entities' collection; [`authorize_target`] also requires
/// reading the source's.
pub fn required_access<'s>(
    target: &Target<'s>,
    method: &Method,
) -> Option<(&'s Collection, Access)> {
    let collection = match target {
        // The singleton holds nothing of a tenant's but its collections, which are
        // authorized on their own.
        // A batch's requests are authorized one by one.
        Target::ServiceDocument | Target::Metadata | Target::Singleton(_) | Target::Batch => {
            return None;
        }
        Target::Collection(c)
        | Target::Count(c)
        | Target::CollectionRef(c)
        | Target::Each(c)
        | Target::Entity(c, _) => *c,
        // An operation reads (a function) or writes (an action) what it is bound to; an
        // import touches nothing of a tenant's by itself (a function returning entities
        // authorizes reading them when it does).
        Target::Action(invocation) => invocation.binding.collection()?,
        // Changing a reference (`…/{nav}/$ref`) writes the source entity.
        Target::Related(related)
            if related.reference && method != Method::GET && method != Method::HEAD =>
        {
            related.source
        }
        Target::Related(related) => related.target,
        Target::Function(invocation) => invocation.binding.collection()?,
    };
    let read = matches!(
        target,
        Target::Collection(_)
            | Target::Count(_)
            | Target::Entity(..)
            | Target::Related(_)
            | Target::Function(_)
    ) && (method == Method::GET || method == Method::HEAD);
    Some((collection, if read { Access::Read } else { Access::Write }))
}

/// [`authorize`] for the collection a routed request addresses (see [`required_access`]).
pub fn authorize_target(
    principal: &Principal,
    target: &Target<'_>,
    method: &Method,
) -> Result<(), ODataError> {
    // Following a navigation reads the source entity too.
    if let Target::Related(related) = target {
        authorize(principal, related.source, Access::Read)?;
    }
    match required_access(target, method) {
        Some((collection, access)) => authorize(principal, collection, access),
        None => Ok(()),
    }
}
