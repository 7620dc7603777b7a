//! Functions: operations without side effects that compute a value, invoked with GET.
//!
//! The model declares them (`ModelBuilder::function`, and `function_import` for an unbound
//! one exposed at the service root); the service gives each its computation, bound ones
//! with [`CollectionDef::function`](crate::service::CollectionDef::function) and imports
//! with [`ServiceBuilder::function_import`](crate::service::ServiceBuilder::function_import).
//! The framework reads the arguments from the URL — `fn(p=1,q='x')`, or a parameter alias
//! `fn(p=@a)?@a=1` — checked against the declared parameter types (400 naming the
//! parameter), authorizes the call as a read of the bound entity's collection (an import
//! is open to every authenticated caller), and writes the returned value, checked against
//! the declared return type, as `{"@odata.context": …, "value": …}`.
//!
//! ```
//! use odata_server::function::FunctionHandler;
//! use serde_json::json;
//!
//! // `double(x)` → `2 * x`.
//! let double = FunctionHandler::new(|call| {
//!     let x = call.parameters["x"].as_i64().unwrap_or_default();
//!     Ok(json!(2 * x))
//! });
//! # let _ = double;
//! ```

use std::fmt;
use std::sync::Arc;

use odata_core::error::ODataError;
use serde_json::{Map, Value as Json};

/// What one invocation of a function sees.
#[derive(Debug)]
pub struct FunctionCall<'a> {
    /// The bound entity's properties as stored, in OData JSON (write-only ones left out);
    /// `None` for an unbound function.
    pub entity: Option<&'a Map<String, Json>>,
    /// The arguments, in OData JSON, checked against their declared types; a nullable
    /// parameter left out is absent.
    pub parameters: &'a Map<String, Json>,
}

type Compute = dyn Fn(&FunctionCall<'_>) -> Result<Json, ODataError> + Send + Sync;

/// The computation of one function: the call to its value, in OData JSON of the declared
/// return type. An error it returns is the response.
#[derive(Clone)]
pub struct FunctionHandler(Arc<Compute>);

impl FunctionHandler {
    /// Wraps the computation.
    pub fn new<F>(compute: F) -> Self
    where
        F: Fn(&FunctionCall<'_>) -> Result<Json, ODataError> + Send + Sync + 'static,
    {
        Self(Arc::new(compute))
    }

    /// The function's value for this call.
    pub fn value(&self, call: &FunctionCall<'_>) -> Result<Json, ODataError> {
        (self.0)(call)
    }
}

impl fmt::Debug for FunctionHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FunctionHandler")
    }
}
