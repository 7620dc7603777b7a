//! Actions: what an action of the model does, invoked with POST.
//!
//! The model declares the action (`ActionDef`, bound to an entity type, to a collection
//! of one, or unbound and exposed with `ModelBuilder::action_import`); the service gives
//! it an effect with [`CollectionDef::action`](crate::service::CollectionDef::action)
//! (bound to an entity),
//! [`CollectionDef::collection_action`](crate::service::CollectionDef::collection_action)
//! (bound to the collection) or
//! [`ServiceBuilder::action_import`](crate::service::ServiceBuilder::action_import). An
//! effect is a pure function of the bound entity (if any) and the parameters that says
//! what to write — properties of the entity, or entities to link to it — and what to
//! answer; the framework does the rest: it reads the body (a JSON object of the
//! parameters; empty or `{}` for none, with or without `Content-Type`) against the
//! declared types (400 naming the parameter), authorizes the call as a write to the
//! collection (an import is open to every authenticated caller), checks `If-Match`, runs
//! the effect on the entity as stored and writes its result in one transaction.
//!
//! The answer follows the declaration: a value the effect returns
//! ([`ActionEffect::value`], [`ActionEffect::returning`]) is written like a function's
//! (`{"@odata.context":"…#Edm.Double","value":…}`); an action returning its bound entity
//! type answers 200 with the entity as written (as `GET` shows it, with its new `ETag`);
//! an action without return type answers 204.
//!
//! ```
//! use odata_server::action::{ActionEffect, ActionHandler};
//! use serde_json::json;
//!
//! // `assignUser(userPrincipalName)`: sets the entity's user, which must be given.
//! let assign_user = ActionHandler::new(|call| {
//!     let user = call.required_string("userPrincipalName")?;
//!     Ok(ActionEffect::update([("userPrincipalName", json!(user))]))
//! });
//! # let _ = assign_user;
//! ```

use std::fmt;
use std::sync::Arc;

use odata_core::error::ODataError;
use serde_json::{Map, Value as Json};

/// What one invocation of an action sees.
#[derive(Debug)]
pub struct ActionCall<'a> {
    /// The bound entity's properties as stored, in OData JSON (enumeration members by
    /// name); write-only properties are left out. `None` for an unbound action or one
    /// bound to a collection.
    pub entity: Option<&'a Map<String, Json>>,
    /// For an unbound action over a collection ([`ActionHandler::over`]): its members as
    /// stored (of the caller's tenant), each as `entity` would be, in key order.
    pub members: Option<&'a [Map<String, Json>]>,
    /// The parameters the body gave, already checked against their declared types; a
    /// parameter left out is absent.
    pub parameters: &'a Map<String, Json>,
}

impl ActionCall<'_> {
    /// The string parameter `name`: `None` when absent or `null`.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).and_then(Json::as_str)
    }

    /// The string parameter `name`, which must be given and not blank: a 400 naming the
    /// parameter otherwise.
    pub fn required_string(&self, name: &str) -> Result<&str, ODataError> {
        self.string(name)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                ODataError::bad_request(format!("The parameter '{name}' is required."))
                    .with_target(name.to_owned())
            })
    }

    /// The collection-of-strings parameter `name`, which must be given and not empty; a
    /// 400 naming the parameter otherwise.
    pub fn required_strings(&self, name: &str) -> Result<Vec<&str>, ODataError> {
        let items: Vec<&str> = match self.parameters.get(name) {
            Some(Json::Array(items)) => items.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        if items.is_empty() {
            return Err(ODataError::bad_request(format!(
                "The parameter '{name}' needs at least one value."
            ))
            .with_target(name.to_owned()));
        }
        Ok(items)
    }

    /// The bound entity's property `name` (`Json::Null` when null or unknown, or when
    /// there is no bound entity).
    pub fn property(&self, name: &str) -> &Json {
        self.entity.and_then(|e| e.get(name)).unwrap_or(&Json::Null)
    }
}

/// What an action writes, and what it answers besides.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionEffect {
    /// Writes nothing (for an action returning its bound entity: the entity as stored).
    Nothing,
    /// Sets properties of the bound entity, as a PATCH body would: each value in OData JSON,
    /// checked against the property's type. Computed properties are refreshed as by every
    /// write, and the entity's ETag changes.
    Update(Vec<(String, Json)>),
    /// Links the entities whose keys are `keys` to the bound entity through its
    /// collection-valued navigation property `navigation`. Every key must name an entity
    /// of the navigation's target collection in the caller's tenant; otherwise nothing is
    /// written and the answer is a 400 naming `parameter` (where the keys came from).
    Link {
        /// The navigation property (bound with `CollectionDef::inverse`).
        navigation: String,
        /// The keys of the entities to link, in OData JSON.
        keys: Vec<Json>,
        /// The parameter the keys came from, for errors.
        parameter: String,
    },
    /// Replaces everything the caller's tenant holds in the service's collections with a
    /// dataset, in one transaction ([`crate::dataset::replace`]): a reset to demo or
    /// fixture data. Unbound actions only; the caller needs write permission on every
    /// collection.
    Restore(Box<crate::dataset::Dataset>),
    /// Sets properties of members of the collection an unbound action works over
    /// ([`ActionHandler::over`]): for each `(key, changes)`, as a PATCH body would, all
    /// in one transaction; each changed member's ETag changes. Keys in OData JSON.
    UpdateMembers(Vec<(Json, Vec<(String, Json)>)>),
    /// Writes what `effect` writes, then answers `value` (OData JSON of the declared
    /// return type) rather than the entity or 204.
    Returning {
        /// What is written.
        effect: Box<ActionEffect>,
        /// The answer.
        value: Json,
    },
}

impl ActionEffect {
    /// Writes nothing and answers `value`, of the declared return type.
    pub fn value(value: Json) -> Self {
        Self::Nothing.returning(value)
    }

    /// Writes what `self` writes and answers `value`, of the declared return type.
    ///
    /// ```
    /// use odata_server::action::ActionEffect;
    /// use serde_json::json;
    ///
    /// // Sets the price and answers the old one.
    /// let effect = ActionEffect::update([("price", json!(9.5))]).returning(json!(12.0));
    /// # let _ = effect;
    /// ```
    pub fn returning(self, value: Json) -> Self {
        Self::Returning {
            effect: Box::new(self),
            value,
        }
    }

    /// [`ActionEffect::Update`] from `(property, value)` pairs.
    pub fn update<I, S>(changes: I) -> Self
    where
        I: IntoIterator<Item = (S, Json)>,
        S: Into<String>,
    {
        Self::Update(
            changes
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
        )
    }
}

type Effect = dyn Fn(&ActionCall<'_>) -> Result<ActionEffect, ODataError> + Send + Sync;

/// The effect of one action: a function of the call to what it writes and answers. An
/// error it returns is the response (a 400 for invalid parameters, typically); nothing
/// is written. Unbound actions and actions bound to a collection have no entity to write:
/// their effect is [`ActionEffect::Nothing`] or a value.
#[derive(Clone)]
pub struct ActionHandler {
    effect: Arc<Effect>,
    /// The collection an unbound action works over ([`ActionHandler::over`]).
    over: Option<String>,
}

impl ActionHandler {
    /// Wraps the effect function.
    pub fn new<F>(effect: F) -> Self
    where
        F: Fn(&ActionCall<'_>) -> Result<ActionEffect, ODataError> + Send + Sync + 'static,
    {
        Self {
            effect: Arc::new(effect),
            over: None,
        }
    }

    /// An unbound action working over the members of the collection at `collection`: it
    /// finds them in [`ActionCall::members`] and may change them with
    /// [`ActionEffect::UpdateMembers`]; the caller needs write permission on the
    /// collection.
    ///
    /// ```
    /// use odata_server::action::{ActionEffect, ActionHandler};
    /// use serde_json::json;
    ///
    /// // `restockAll()`: every product gets a stock of 10.
    /// let restock_all = ActionHandler::over("products", |call| {
    ///     let changes = call.members.unwrap_or_default().iter()
    ///         .map(|p| (p["sku"].clone(), vec![("stock".to_owned(), json!(10))]))
    ///         .collect();
    ///     Ok(ActionEffect::UpdateMembers(changes))
    /// });
    /// # let _ = restock_all;
    /// ```
    pub fn over<F>(collection: impl Into<String>, effect: F) -> Self
    where
        F: Fn(&ActionCall<'_>) -> Result<ActionEffect, ODataError> + Send + Sync + 'static,
    {
        Self {
            effect: Arc::new(effect),
            over: Some(collection.into()),
        }
    }

    /// The collection an unbound action works over, if any.
    pub fn over_collection(&self) -> Option<&str> {
        self.over.as_deref()
    }

    /// What the action writes for this call.
    pub fn effect(&self, call: &ActionCall<'_>) -> Result<ActionEffect, ODataError> {
        (self.effect)(call)
    }
}

impl fmt::Debug for ActionHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActionHandler")
    }
}
