//! Reading the arguments of an operation: the body of an action invocation (one JSON
//! object with a member per parameter) or the URL of a function call, each checked against
//! the parameter's declared type.

use serde_json::{Map, Value as Json};

use super::read::{read_object, read_value};
use crate::edm::{Action, Model, PrimitiveKind};
use crate::error::ODataError;
use crate::query::Literal;

/// Reads an action's parameters from its request body, checked against the action's
/// declaration, and returns them as sent (JSON). An empty body means no parameters.
///
/// A 400 naming the parameter when it is not declared (the binding parameter is never in
/// the body), has a value of the wrong type, or is a non-nullable parameter left out or
/// sent as `null`. Control information (`@odata.type`) is accepted and dropped; other
/// annotations are refused, as they would be silently ignored.
///
/// ```
/// use odata_core::edm::{ActionDef, EntityTypeDef, ModelBuilder, PropertyDef};
/// use odata_core::json::read_parameters;
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(EntityTypeDef::new("t").key(["id"])
///         .property(PropertyDef::new("id", "Edm.String").not_null()))
///     .action(ActionDef::new("tag").bound_to("it", "ns.t")
///         .parameter(PropertyDef::new("label", "Edm.String")))
///     .build().unwrap();
/// let t = model.find_entity_type("t").unwrap();
/// let action = model.bound_action(t, false, "tag").unwrap();
/// let read = read_parameters(&model, action, br#"{"label":"x"}"#).unwrap();
/// assert_eq!(read["label"], "x");
/// let e = read_parameters(&model, action, br#"{"label":1}"#).unwrap_err();
/// assert_eq!(e.target.as_deref(), Some("label"));
/// ```
pub fn read_parameters(
    model: &Model,
    action: &Action,
    body: &[u8],
) -> Result<Map<String, Json>, ODataError> {
    let mut object = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        read_object(body)?
    };
    object.retain(|name, _| super::control_name(name) != Some("type"));
    check_arguments(model, action, &object)?;
    Ok(object)
}

/// Reads a function's arguments as a URL gives them (`fn(p=1,q='x')`, aliases resolved to
/// their literals), checked like [`read_parameters`], as OData JSON. A parameter given
/// twice is a 400.
pub fn read_url_arguments(
    model: &Model,
    function: &Action,
    arguments: &[(String, Literal)],
) -> Result<Map<String, Json>, ODataError> {
    let mut object = Map::new();
    for (name, literal) in arguments {
        // JSON reads numbers from strings (IEEE754Compatible); a URL quotes only strings.
        let declared = function.body_parameters().iter().find(|p| &p.name == name);
        if let (Literal::String(_), Some(parameter)) = (literal, declared)
            && parameter.type_ref.primitive().is_some_and(|p| {
                p.integer_range().is_some()
                    || matches!(
                        p,
                        PrimitiveKind::Double | PrimitiveKind::Single | PrimitiveKind::Decimal
                    )
            })
        {
            return Err(ODataError::bad_request(format!(
                "The parameter '{name}' is of type {}, not a string.",
                model.type_ref_name(&parameter.type_ref)
            ))
            .with_target(name.clone()));
        }
        if object.insert(name.clone(), literal_json(literal)).is_some() {
            return Err(
                ODataError::bad_request(format!("The parameter '{name}' is given twice."))
                    .with_target(name.clone()),
            );
        }
    }
    check_arguments(model, function, &object)?;
    Ok(object)
}

/// A URL literal as the JSON value of the same OData value.
fn literal_json(literal: &Literal) -> Json {
    match literal {
        Literal::Null => Json::Null,
        Literal::Bool(b) => Json::Bool(*b),
        Literal::Number { text, .. } => serde_json::from_str::<serde_json::Number>(text)
            .map_or_else(|_| Json::String(text.clone()), Json::Number),
        Literal::String(s)
        | Literal::Guid(s)
        | Literal::Date(s)
        | Literal::DateTimeOffset(s)
        | Literal::TimeOfDay(s)
        | Literal::Duration(s)
        | Literal::Binary(s) => Json::String(s.clone()),
        Literal::Enum { value, .. } => Json::String(value.clone()),
        Literal::Geo { text, .. } => Json::String(text.clone()),
    }
}

/// Every argument declared and of its type, every non-nullable parameter given.
fn check_arguments(
    model: &Model,
    action: &Action,
    object: &Map<String, Json>,
) -> Result<(), ODataError> {
    let declared = action.body_parameters();
    for (name, json) in object {
        let Some(parameter) = declared.iter().find(|p| &p.name == name) else {
            let known: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
            let known = if known.is_empty() {
                "it takes none".to_owned()
            } else {
                format!("its parameters are {}", known.join(", "))
            };
            return Err(ODataError::bad_request(format!(
                "'{name}' is not a parameter of '{}'; {known}.",
                action.qualified_name
            ))
            .with_target(name.clone()));
        };
        read_value(model, &parameter.type_ref, json, name).map_err(|mut e| {
            // The value reader speaks of properties; here the value is a parameter.
            e.message = e.message.replacen("The property ", "The parameter ", 1);
            e
        })?;
    }
    if let Some(missing) = declared
        .iter()
        .find(|p| !p.may_be_omitted() && !object.contains_key(&p.name))
    {
        return Err(ODataError::bad_request(format!(
            "The operation '{}' needs the parameter '{}'.",
            action.qualified_name, missing.name
        ))
        .with_target(missing.name.clone()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::edm::{ActionDef, EntityTypeDef, ModelBuilder, PropertyDef};
    use crate::error::ErrorKind;

    fn model() -> Model {
        ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .action(
                ActionDef::new("assign")
                    .bound_to("it", "ns.t")
                    .parameter(PropertyDef::new("ids", "Collection(Edm.String)"))
                    .parameter(PropertyDef::new("count", "Edm.Int32").not_null()),
            )
            .action(ActionDef::new("reset").bound_to("it", "ns.t"))
            .build()
            .unwrap()
    }

    fn read(action: &str, body: &str) -> Result<Map<String, Json>, ODataError> {
        let model = model();
        let t = model.find_entity_type("t").unwrap();
        let action = model.bound_action(t, false, action).unwrap();
        read_parameters(&model, action, body.as_bytes())
    }

    #[test]
    fn parameters_are_read_as_sent() {
        let sent = read(
            "assign",
            r##"{"ids":["a","b"],"count":2,"@odata.type":"#x"}"##,
        )
        .unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent["ids"], serde_json::json!(["a", "b"]));
        assert!(read("reset", "").unwrap().is_empty());
        assert!(read("reset", " \n").unwrap().is_empty());
        assert!(read("reset", "{}").unwrap().is_empty());
    }

    #[test]
    fn every_error_names_the_parameter() {
        for (action, body, target, says) in [
            (
                "assign",
                r#"{"count":2,"other":1}"#,
                "other",
                "parameters are ids, count",
            ),
            ("reset", r#"{"x":1}"#, "x", "it takes none"),
            (
                "assign",
                r#"{"count":"2"}"#,
                "count",
                "The parameter 'count'",
            ),
            (
                "assign",
                r#"{"count":2,"ids":[1]}"#,
                "ids[0]",
                "The parameter 'ids[0]'",
            ),
            (
                "assign",
                r#"{"count":2,"ids":null}"#,
                "ids",
                "cannot be null",
            ),
            (
                "assign",
                r#"{"ids":[]}"#,
                "count",
                "needs the parameter 'count'",
            ),
            ("assign", r#"{"count":null}"#, "count", "cannot be null"),
            ("assign", r#"{"count":2,"it":{}}"#, "it", "not a parameter"),
        ] {
            let e = read(action, body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::BadRequest, "{body}");
            assert_eq!(e.target.as_deref(), Some(target), "{body}: {}", e.message);
            assert!(e.message.contains(says), "{body}: {}", e.message);
        }
        assert_eq!(read("reset", "[]").unwrap_err().kind, ErrorKind::BadRequest);
        assert_eq!(read("reset", "{").unwrap_err().kind, ErrorKind::BadRequest);
    }
}
