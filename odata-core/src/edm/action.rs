//! Actions (bound or unbound operations with side effects).

use super::annotation::Annotation;
use super::types::TypeRef;

/// A parameter of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Parameter name.
    pub name: String,
    /// Its type.
    pub type_ref: TypeRef,
}

/// An action. For bound actions the first parameter is the binding parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Unqualified name.
    pub name: String,
    /// Qualified name.
    pub qualified_name: String,
    /// Bound to an entity or collection (first parameter).
    pub is_bound: bool,
    /// Parameters, binding parameter first when bound.
    pub parameters: Vec<Parameter>,
    /// Return type, if the action returns something.
    pub return_type: Option<TypeRef>,
    /// Annotations on the action.
    pub annotations: Vec<Annotation>,
}

impl Action {
    /// The binding parameter of a bound action.
    pub fn binding_parameter(&self) -> Option<&Parameter> {
        if self.is_bound {
            self.parameters.first()
        } else {
            None
        }
    }

    /// Parameters a client sends in the body (all but the binding parameter).
    pub fn body_parameters(&self) -> &[Parameter] {
        if self.is_bound {
            &self.parameters[1..]
        } else {
            &self.parameters
        }
    }
}
