//! What the catalog's operations compute and write (MODEL.md §4.2, §4.3), registered on
//! the service by [`crate::service::service`].

use odata_core::error::ODataError;
use odata_server::action::{ActionEffect, ActionHandler};
use odata_server::function::{EntityQuery, FunctionHandler};
use serde_json::{Map, Value as Json, json};

/// A number parameter or property (JSON integers count as numbers).
fn number(value: Option<&Json>) -> f64 {
    value.and_then(Json::as_f64).unwrap_or_default()
}

/// The bound product's `Price`.
fn price(entity: Option<&Map<String, Json>>) -> f64 {
    number(entity.and_then(|e| e.get("Price")))
}

/// The members of `ProductStatus`, by value.
const STATUS: [(&str, i64); 5] = [
    ("None", 0),
    ("InStock", 1),
    ("OnSale", 2),
    ("Discontinued", 4),
    ("Featured", 8),
];

/// The value of a `ProductStatus` as written in JSON (member names joined by commas).
fn status_value(json: &Json) -> i64 {
    match json {
        Json::Number(n) => n.as_i64().unwrap_or_default(),
        Json::String(names) => names
            .split(',')
            .filter_map(|name| STATUS.iter().find(|(m, _)| *m == name.trim()))
            .fold(0, |bits, (_, value)| bits | value),
        _ => 0,
    }
}

/// Functions bound to one product: `(overload, handler)`.
pub(crate) fn product_functions() -> Vec<(&'static str, FunctionHandler)> {
    vec![
        (
            "GetTotalPrice",
            FunctionHandler::new(|call| {
                let tax_rate = number(call.parameters.get("taxRate"));
                Ok(json!(price(call.entity) * (1.0 + tax_rate)))
            }),
        ),
        (
            "GetRelatedProducts",
            FunctionHandler::entities(|_| {
                // Never the product itself; none when it has no category.
                Ok(EntityQuery::new()
                    .filter("CategoryID ne null and CategoryID eq @category and ID ne @self")
                    .alias_property("category", "CategoryID")
                    .alias_property("self", "ID")
                    .top(5))
            }),
        ),
        (
            "CalculatePrice(discount)",
            FunctionHandler::new(|call| {
                let discount = number(call.parameters.get("discount"));
                Ok(json!(price(call.entity) * (1.0 - discount / 100.0)))
            }),
        ),
        (
            "CalculatePrice(discount,tax)",
            FunctionHandler::new(|call| {
                let discount = number(call.parameters.get("discount"));
                let tax = number(call.parameters.get("tax"));
                Ok(json!(
                    price(call.entity) * (1.0 - discount / 100.0) * (1.0 + tax / 100.0)
                ))
            }),
        ),
        (
            "GetInfo",
            FunctionHandler::new(|call| {
                let name = call
                    .entity
                    .and_then(|e| e.get("Name"))
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                let format = call
                    .parameters
                    .get("format")
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                Ok(json!(format!(
                    "Product: {name} (Price: {:.2}) in {format} format",
                    price(call.entity)
                )))
            }),
        ),
    ]
}

/// `GetAveragePrice`, bound to a collection of products: 0 for an empty one.
pub(crate) fn average_price() -> FunctionHandler {
    FunctionHandler::new(|call| {
        let members = call.members.unwrap_or_default();
        if members.is_empty() {
            return Ok(json!(0.0));
        }
        let sum: f64 = members.iter().map(|m| number(m.get("Price"))).sum();
        Ok(json!(sum / members.len() as f64))
    })
}

/// Actions bound to one product: `(name, handler)`.
pub(crate) fn product_actions() -> Vec<(&'static str, ActionHandler)> {
    vec![
        (
            "ApplyDiscount",
            ActionHandler::new(|call| {
                let percentage = number(call.parameters.get("percentage"));
                let discounted = number(Some(call.property("Price"))) * (1.0 - percentage / 100.0);
                Ok(ActionEffect::update([("Price", json!(discounted))]))
            }),
        ),
        (
            "IncreasePrice",
            ActionHandler::new(|call| {
                let amount = number(call.parameters.get("amount"));
                let raised = number(Some(call.property("Price"))) + amount;
                Ok(ActionEffect::update([("Price", json!(raised))]))
            }),
        ),
        (
            "Activate",
            ActionHandler::new(|call| {
                // Not discontinued any more, and in stock.
                let status = (status_value(call.property("Status")) & !4) | 1;
                Ok(ActionEffect::update([("Status", json!(status))]))
            }),
        ),
        (
            "CalculateDiscount",
            ActionHandler::new(|call| {
                let percentage = number(call.parameters.get("percentage"));
                Ok(ActionEffect::value(json!(
                    number(Some(call.property("Price"))) * (1.0 - percentage / 100.0)
                )))
            }),
        ),
    ]
}

/// `MarkAllAsReviewed`: accepted; the catalog keeps no review state.
pub(crate) fn mark_all_as_reviewed() -> ActionHandler {
    ActionHandler::new(|_| Ok(ActionEffect::Nothing))
}

/// Unbound functions, through their imports: `(overload, handler)`.
pub(crate) fn function_imports() -> Vec<(&'static str, FunctionHandler)> {
    vec![
        (
            "GetProductStats",
            FunctionHandler::over("Products", |call| {
                let prices: Vec<f64> = call
                    .members
                    .unwrap_or_default()
                    .iter()
                    .map(|p| number(p.get("Price")))
                    .collect();
                if prices.is_empty() {
                    return Ok(json!({
                        "totalProducts": 0, "averagePrice": 0.0, "maxPrice": 0.0, "minPrice": 0.0
                    }));
                }
                let total = prices.len();
                Ok(json!({
                    "totalProducts": total,
                    "averagePrice": prices.iter().sum::<f64>() / total as f64,
                    "maxPrice": prices.iter().copied().fold(f64::MIN, f64::max),
                    "minPrice": prices.iter().copied().fold(f64::MAX, f64::min),
                }))
            }),
        ),
        (
            "GetTopProducts",
            FunctionHandler::entities(|call| {
                let count = match call.parameters.get("count").and_then(Json::as_i64) {
                    Some(n) if n < 0 => {
                        return Err(ODataError::bad_request(
                            "The parameter 'count' of 'GetTopProducts' must not be negative.",
                        )
                        .with_target("count"));
                    }
                    Some(n) => n.unsigned_abs(),
                    None => 10,
                };
                let top = EntityQuery::new().orderby("Price desc").top(count);
                Ok(if call.parameters.contains_key("category") {
                    top.filter("Category/Name eq @category")
                } else {
                    top
                })
            }),
        ),
        (
            "FindProducts",
            FunctionHandler::entities(|_| {
                Ok(EntityQuery::new().filter("contains(Name,@name) and Price le @maxPrice"))
            }),
        ),
        (
            "Calculate(value)",
            FunctionHandler::new(|call| {
                let value = call.parameters["value"].as_i64().unwrap_or_default();
                value.checked_mul(2).map(|v| json!(v)).ok_or_else(overflow)
            }),
        ),
        (
            "Calculate(a,b)",
            FunctionHandler::new(|call| {
                let a = call.parameters["a"].as_i64().unwrap_or_default();
                let b = call.parameters["b"].as_i64().unwrap_or_default();
                a.checked_add(b).map(|v| json!(v)).ok_or_else(overflow)
            }),
        ),
        (
            "Convert(input)",
            FunctionHandler::new(|call| {
                let input = call.parameters["input"].as_str().unwrap_or_default();
                Ok(json!(format!("String: {input}")))
            }),
        ),
        (
            "Convert(number)",
            FunctionHandler::new(|call| {
                let number = call.parameters["number"].as_i64().unwrap_or_default();
                Ok(json!(format!("Number: {number}")))
            }),
        ),
    ]
}

/// `ResetProducts`: accepted, no effect in this version (the full restore is `Reseed`).
pub(crate) fn reset_products() -> ActionHandler {
    ActionHandler::new(|_| Ok(ActionEffect::Nothing))
}

fn overflow() -> ODataError {
    ODataError::bad_request("The result of 'Calculate' is out of the range of Edm.Int64.")
}

/// `Reseed`: restores the demo data (MODEL.md §5.9), in one transaction.
pub(crate) fn reseed() -> ActionHandler {
    ActionHandler::new(|_| {
        let demo = crate::seed::dataset(&crate::service::now());
        Ok(ActionEffect::Restore(Box::new(demo)).returning(json!({
            "status": "success",
            "message": "Database reseeded with default data"
        })))
    })
}

/// `ResetAllPrices`: the demo products found get their demo prices back.
pub(crate) fn reset_all_prices() -> ActionHandler {
    ActionHandler::over("Products", |call| {
        let demo = crate::seed::demo_prices();
        let updates: Vec<_> = call
            .members
            .unwrap_or_default()
            .iter()
            .filter_map(|p| {
                let id = p.get("ID")?.as_str()?;
                let (_, price) = demo.iter().find(|(demo_id, _)| demo_id == id)?;
                Some((json!(id), vec![("Price".to_owned(), json!(price))]))
            })
            .collect();
        let count = updates.len();
        Ok(ActionEffect::UpdateMembers(updates).returning(json!({
            "message": "Prices reset successfully",
            "updatedCount": count
        })))
    })
}

/// `Process(percentage[, minPrice])`: lowers by `percentage` the price of every product,
/// or of those priced at least `minPrice`.
pub(crate) fn process() -> ActionHandler {
    ActionHandler::over("Products", |call| {
        let Some(percentage) = call.parameters.get("percentage").and_then(Json::as_f64) else {
            return Err(ODataError::bad_request(
                "The parameter 'percentage' of 'Process' is required.",
            )
            .with_target("percentage"));
        };
        let min_price = call.parameters.get("minPrice").and_then(Json::as_f64);
        let updates = call
            .members
            .unwrap_or_default()
            .iter()
            .filter(|p| min_price.is_none_or(|min| number(p.get("Price")) >= min))
            .map(|p| {
                let lowered = number(p.get("Price")) * (1.0 - percentage / 100.0);
                (
                    p.get("ID").cloned().unwrap_or_default(),
                    vec![("Price".to_owned(), json!(lowered))],
                )
            })
            .collect();
        Ok(ActionEffect::UpdateMembers(updates))
    })
}
