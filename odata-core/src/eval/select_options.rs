//! Nested `$select` options applied to a property's JSON value (see
//! [`crate::bind::SelectOptions`]).
//!
//! Order of application, as for a collection request: `$filter` and `$search`, then the
//! count, then `$orderby` (a stable sort: equal items keep their stored order), `$skip`,
//! `$top`, and finally `$select` on each remaining complex item. An arithmetic error in a
//! nested expression (division by zero, overflow) reads as null, as the SQL translation of
//! the same expression would: the item is not kept by `$filter` and sorts as null.

use std::cmp::Ordering;

use serde_json::{Map, Value as Json};

use crate::bind::{BoundExpr, SelectOptions, SelectedMember, THIS};
use crate::edm::Model;
use crate::error::{ErrorKind, ODataError};
use crate::query::SortDirection;
use crate::value::Value;

use super::{EntityValues, Evaluator, json, ops, search_matches};

/// A property value after its nested options.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapedValue {
    /// The value to write.
    pub value: Json,
    /// With `$count=true`: the number of items `$filter` and `$search` kept (before
    /// `$skip`/`$top`).
    pub count: Option<u64>,
}

/// Applies `options` to `value`, the JSON value of a selected property of `entity` (`$it`
/// in the nested expressions). A null value stays null (its count is 0).
///
/// ```
/// use odata_core::bind::{ExprType, SelectOptions};
/// use odata_core::edm::{ModelBuilder, PrimitiveKind};
/// use odata_core::eval::{MapEntity, shape_value};
/// use serde_json::json;
///
/// # let model = ModelBuilder::new("ns")
/// #     .entity_type(odata_core::edm::EntityTypeDef::new("t").key(["id"])
/// #         .property(odata_core::edm::PropertyDef::new("id", "Edm.Int32").not_null()))
/// #     .build().unwrap();
/// let entity = MapEntity { entity_type: model.find_entity_type("t").unwrap(), values: Default::default() };
/// let options = SelectOptions {
///     collection: true,
///     item: ExprType::Primitive(PrimitiveKind::Int32),
///     filter: None, search: None, orderby: Vec::new(),
///     skip: Some(1), top: Some(1), count: true, select: None,
/// };
/// let shaped = shape_value(&model, &options, &json!([5, 6, 7]), &entity).unwrap();
/// assert_eq!(shaped.value, json!([6]));
/// assert_eq!(shaped.count, Some(3));
/// ```
pub fn shape_value(
    model: &Model,
    options: &SelectOptions,
    value: &Json,
    entity: &dyn EntityValues,
) -> Result<ShapedValue, ODataError> {
    if !options.collection {
        let value = match (&options.select, value) {
            (Some(members), Json::Object(object)) => {
                Json::Object(select_members(model, members, object, entity)?)
            }
            _ => value.clone(),
        };
        return Ok(ShapedValue { value, count: None });
    }
    let Json::Array(items) = value else {
        return Ok(ShapedValue {
            value: value.clone(),
            count: options.count.then_some(0),
        });
    };
    let mut kept: Vec<&Json> = Vec::with_capacity(items.len());
    for item in items {
        if let Some(filter) = &options.filter
            && !matches!(
                on_item(model, filter, entity, options, item)?,
                Value::Boolean(true)
            )
        {
            continue;
        }
        if let Some(search) = &options.search {
            let texts = item_texts(item);
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            if !search_matches(search, &texts) {
                continue;
            }
        }
        kept.push(item);
    }
    let count = options.count.then_some(kept.len() as u64);
    if !options.orderby.is_empty() {
        let mut keyed = Vec::with_capacity(kept.len());
        for item in kept {
            let mut keys = Vec::with_capacity(options.orderby.len());
            for key in &options.orderby {
                keys.push(on_item(model, &key.expr, entity, options, item)?);
            }
            keyed.push((keys, item));
        }
        // `sort_by` is stable: equal items keep their stored order.
        keyed.sort_by(|(a, _), (b, _)| {
            for ((va, vb), key) in a.iter().zip(b).zip(&options.orderby) {
                let ord = ops::sort_order(va, vb);
                let ord = match key.direction {
                    SortDirection::Asc => ord,
                    SortDirection::Desc => ord.reverse(),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        kept = keyed.into_iter().map(|(_, item)| item).collect();
    }
    let skip = usize::try_from(options.skip.unwrap_or(0)).unwrap_or(usize::MAX);
    let top = options
        .top
        .map_or(usize::MAX, |t| usize::try_from(t).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(kept.len().min(top));
    for item in kept.into_iter().skip(skip).take(top) {
        out.push(match (&options.select, item) {
            (Some(members), Json::Object(object)) => {
                Json::Object(select_members(model, members, object, entity)?)
            }
            _ => item.clone(),
        });
    }
    Ok(ShapedValue {
        value: Json::Array(out),
        count,
    })
}

/// The members of a complex value a nested `$select` keeps, each shaped by its own
/// options (with `{member}@odata.count` before it when asked for). Annotations the value
/// carries (`@odata.type`) stay.
fn select_members(
    model: &Model,
    members: &[SelectedMember],
    object: &Map<String, Json>,
    entity: &dyn EntityValues,
) -> Result<Map<String, Json>, ODataError> {
    let mut out = Map::new();
    for (name, value) in object {
        if name.starts_with('@') {
            out.insert(name.clone(), value.clone());
        }
    }
    for member in members {
        let value = object.get(&member.name).unwrap_or(&Json::Null);
        match &member.options {
            None => {
                out.insert(member.name.clone(), value.clone());
            }
            Some(options) => {
                let shaped = shape_value(model, options, value, entity)?;
                if let Some(n) = shaped.count {
                    out.insert(format!("{}@odata.count", member.name), Json::from(n));
                }
                out.insert(member.name.clone(), shaped.value);
            }
        }
    }
    Ok(out)
}

/// Evaluates `expr` with `$this` bound to `item`; an arithmetic error reads as null.
fn on_item(
    model: &Model,
    expr: &BoundExpr,
    entity: &dyn EntityValues,
    options: &SelectOptions,
    item: &Json,
) -> Result<Value, ODataError> {
    let mut evaluator = Evaluator {
        model,
        entity,
        vars: vec![(THIS, json::to_value(model, item, &options.item))],
    };
    match evaluator.eval(expr) {
        Ok(v) => Ok(v),
        Err(e) if e.kind == ErrorKind::BadRequest => Ok(Value::Null),
        Err(e) => Err(e),
    }
}

/// [`item_texts`] of an item already converted to a [`Value`].
pub(super) fn item_texts_of(item: &Value) -> Vec<&str> {
    match item {
        Value::String(s) => vec![s.as_str()],
        Value::Json(Json::Object(object)) => object
            .iter()
            .filter(|(name, _)| !name.starts_with('@'))
            .filter_map(|(_, v)| v.as_str())
            .collect(),
        _ => Vec::new(),
    }
}

/// The texts `$search` looks at in an item: a string item itself, or the string members
/// of a complex item.
fn item_texts(item: &Json) -> Vec<String> {
    match item {
        Json::String(s) => vec![s.clone()],
        Json::Object(object) => object
            .iter()
            .filter(|(name, _)| !name.starts_with('@'))
            .filter_map(|(_, v)| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}
