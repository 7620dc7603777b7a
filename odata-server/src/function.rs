//! Functions: operations without side effects, invoked with GET.
//!
//! The model declares them (`ModelBuilder::function`, several overloads of one name when
//! their parameter names differ, and `function_import` for an unbound one exposed at the
//! service root); the service gives each its computation, bound ones with
//! [`CollectionDef::function`](crate::service::CollectionDef::function) (bound to an entity)
//! or [`CollectionDef::collection_function`](crate::service::CollectionDef::collection_function)
//! (bound to the collection), imports with
//! [`ServiceBuilder::function_import`](crate::service::ServiceBuilder::function_import).
//!
//! The framework reads the arguments from the URL — `f(p=1,q='x')`, a parameter alias
//! `f(p=@a)?@a=1`, or query options `f?p=1&q='x'` (on a function call every query option
//! whose name starts with neither `$` nor `@` is a parameter) — picks the overload
//! declaring exactly the names given (parameters marked `Core.OptionalParameter` may be
//! left out; anything else is a 400 naming the function), checks each value against its
//! declared type (400 naming the parameter), authorizes the call as a read of the bound
//! collection (an import is open to every authenticated caller) and answers with what the
//! computation gives:
//!
//! * [`FunctionHandler::new`]: a value of the declared return type (primitive, complex,
//!   collections of them), written as `{"@odata.context": …, "value": …}` (a complex
//!   value: its members beside the context);
//! * [`FunctionHandler::entities`]: for a function returning `Collection(ns.T)` of an
//!   entity set (`EntitySet` of the import, or `EntitySetPath` of a bound function), an
//!   [`EntityQuery`] over that set. The framework reads it like `GET Set?$filter=…`
//!   (tenant, permissions, paging, ETags), with the client's `$filter`, `$select`,
//!   `$expand`, `$orderby`, `$top`, `$skip` and `$count` applied to the function's result.
//!
//! ```
//! use odata_server::function::{EntityQuery, FunctionHandler};
//! use serde_json::json;
//!
//! // `double(x)` → `2 * x`.
//! let double = FunctionHandler::new(|call| {
//!     let x = call.parameters["x"].as_i64().unwrap_or_default();
//!     Ok(json!(2 * x))
//! });
//! // `cheapest(count)`: the `count` cheapest items, each call parameter being a parameter
//! // alias of the query.
//! let cheapest = FunctionHandler::entities(|call| {
//!     let count = call.parameters["count"].as_u64().unwrap_or_default();
//!     Ok(EntityQuery::new().filter("price le @limit").orderby("price").top(count))
//! });
//! # let _ = (double, cheapest);
//! ```

use std::fmt;
use std::sync::Arc;

use odata_core::error::ODataError;
use serde_json::{Map, Value as Json};

/// What one invocation of a function sees.
#[derive(Debug)]
pub struct FunctionCall<'a> {
    /// The bound entity's properties as stored, in OData JSON (write-only ones left out);
    /// `None` for an unbound function or one bound to a collection.
    pub entity: Option<&'a Map<String, Json>>,
    /// For a function bound to a collection, or computing over one
    /// ([`FunctionHandler::over`]): its members (of the caller's tenant, of the cast type
    /// when the URL casts), each as `entity` would be, in key order. At most
    /// [`MAX_BOUND_MEMBERS`] (more is a 501).
    pub members: Option<&'a [Map<String, Json>]>,
    /// The arguments, in OData JSON, checked against their declared types; a parameter
    /// left out is absent.
    pub parameters: &'a Map<String, Json>,
}

/// How many members a function bound to a collection is given at most.
pub const MAX_BOUND_MEMBERS: u32 = 10_000;

/// The query a function returning entities answers with: which members of its entity
/// set, in which order, how many. Filter and order are OData expressions over the set's
/// entity type; every parameter of the call is a parameter alias of the same name
/// (`@count`), and [`EntityQuery::alias_property`] adds the bound entity's properties.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityQuery {
    /// `$filter` text.
    pub filter: Option<String>,
    /// `$orderby` text: the result's order when the client gives none.
    pub orderby: Option<String>,
    /// At most this many entities (after `skip`).
    pub top: Option<u64>,
    /// Leaves out the first entities.
    pub skip: Option<u64>,
    /// Further parameter aliases: the alias name and the bound entity's property whose
    /// value (typed as declared) it stands for.
    pub property_aliases: Vec<(String, String)>,
}

impl EntityQuery {
    /// Every member of the set, in the set's default order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the members for which the `$filter` expression `filter` is true.
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// In the order of the `$orderby` expression `orderby`.
    pub fn orderby(mut self, orderby: impl Into<String>) -> Self {
        self.orderby = Some(orderby.into());
        self
    }

    /// At most `top` members.
    pub fn top(mut self, top: u64) -> Self {
        self.top = Some(top);
        self
    }

    /// Without the first `skip` members.
    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = Some(skip);
        self
    }

    /// The parameter alias `@{alias}` stands for the bound entity's property `property`.
    pub fn alias_property(mut self, alias: impl Into<String>, property: impl Into<String>) -> Self {
        self.property_aliases.push((alias.into(), property.into()));
        self
    }
}

type Compute = dyn Fn(&FunctionCall<'_>) -> Result<Json, ODataError> + Send + Sync;
type Query = dyn Fn(&FunctionCall<'_>) -> Result<EntityQuery, ODataError> + Send + Sync;

#[derive(Clone)]
enum Kind {
    Value(Arc<Compute>),
    Entities(Arc<Query>),
}

/// The computation of one function (or of several overloads): the call to its value, or
/// to the query of the entities it returns. An error it returns is the response.
#[derive(Clone)]
pub struct FunctionHandler {
    kind: Kind,
    /// The collection whose members an unbound function computes from (see
    /// [`FunctionHandler::over`]).
    reads: Option<String>,
}

/// What a [`FunctionHandler`] answers for one call.
#[derive(Debug)]
pub enum FunctionOutput {
    /// A value in OData JSON of the declared return type.
    Value(Json),
    /// The entities of the function's entity set this query selects.
    Entities(EntityQuery),
}

impl FunctionHandler {
    /// A function computing a value of its declared (non-entity) return type.
    pub fn new<F>(compute: F) -> Self
    where
        F: Fn(&FunctionCall<'_>) -> Result<Json, ODataError> + Send + Sync + 'static,
    {
        Self {
            kind: Kind::Value(Arc::new(compute)),
            reads: None,
        }
    }

    /// An unbound function computing a value from the members of the collection at
    /// `collection` (statistics over a set, say), which it finds in
    /// [`FunctionCall::members`]; the caller needs read permission on the collection.
    ///
    /// ```
    /// use odata_server::function::FunctionHandler;
    /// use serde_json::json;
    ///
    /// // `countProducts()`: how many products there are.
    /// let count = FunctionHandler::over("products", |call| {
    ///     Ok(json!(call.members.map_or(0, <[_]>::len)))
    /// });
    /// # let _ = count;
    /// ```
    pub fn over<F>(collection: impl Into<String>, compute: F) -> Self
    where
        F: Fn(&FunctionCall<'_>) -> Result<Json, ODataError> + Send + Sync + 'static,
    {
        Self {
            kind: Kind::Value(Arc::new(compute)),
            reads: Some(collection.into()),
        }
    }

    /// The collection an unbound function computes from, if it reads one.
    pub fn reads(&self) -> Option<&str> {
        self.reads.as_deref()
    }

    /// A function returning entities of its entity set: the call to the query selecting
    /// them (see [`EntityQuery`]).
    pub fn entities<F>(query: F) -> Self
    where
        F: Fn(&FunctionCall<'_>) -> Result<EntityQuery, ODataError> + Send + Sync + 'static,
    {
        Self {
            kind: Kind::Entities(Arc::new(query)),
            reads: None,
        }
    }

    /// What the function answers for this call.
    pub fn call(&self, call: &FunctionCall<'_>) -> Result<FunctionOutput, ODataError> {
        match &self.kind {
            Kind::Value(compute) => compute(call).map(FunctionOutput::Value),
            Kind::Entities(query) => query(call).map(FunctionOutput::Entities),
        }
    }

    /// Whether the handler answers with entities.
    pub fn returns_entities(&self) -> bool {
        matches!(self.kind, Kind::Entities(_))
    }
}

impl fmt::Debug for FunctionHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FunctionHandler")
    }
}
