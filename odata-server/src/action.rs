//! Bound actions: what an action of the model does to the entity it is bound to.
//!
//! The model declares the action (`ActionDef`); the service gives it an effect with
//! [`CollectionDef::action`](crate::service::CollectionDef::action). An effect is a pure
//! function of the bound entity and the parameters that says what to write — properties of
//! the entity, or entities to link to it — and the framework does the rest: it reads the
//! parameters against their declared types (400 naming the parameter), authorizes the call
//! as a write to the collection, checks `If-Match`, runs the effect on the entity as stored
//! and writes its result in one transaction, and answers 204.
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

/// What one invocation of a bound action sees.
#[derive(Debug)]
pub struct ActionCall<'a> {
    /// The bound entity's properties as stored, in OData JSON (enumeration members by
    /// name); write-only properties are left out.
    pub entity: &'a Map<String, Json>,
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

    /// The bound entity's property `name` (`Json::Null` when null or unknown).
    pub fn property(&self, name: &str) -> &Json {
        self.entity.get(name).unwrap_or(&Json::Null)
    }
}

/// What a bound action writes.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionEffect {
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
}

impl ActionEffect {
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

/// The effect of one bound action: a function of the call to what it writes. An error it
/// returns is the response (a 400 for invalid parameters, typically); nothing is written.
#[derive(Clone)]
pub struct ActionHandler(Arc<Effect>);

impl ActionHandler {
    /// Wraps the effect function.
    pub fn new<F>(effect: F) -> Self
    where
        F: Fn(&ActionCall<'_>) -> Result<ActionEffect, ODataError> + Send + Sync + 'static,
    {
        Self(Arc::new(effect))
    }

    /// What the action writes for this call.
    pub fn effect(&self, call: &ActionCall<'_>) -> Result<ActionEffect, ODataError> {
        (self.0)(call)
    }
}

impl fmt::Debug for ActionHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActionHandler")
    }
}
