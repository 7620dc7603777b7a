//! `$orderby` keys → SQL sort expressions.

use odata_core::bind::{BoundOrderBy, ExprType};
use odata_core::edm::PrimitiveKind;
use odata_core::error::ODataError;

use super::OrderTerm;
use super::dialect::ExprDialect;
use super::frag::frag;
use super::translate::Translator;

/// One sort expression per key, translated like filter expressions; DateTimeOffset keys
/// sort by their UTC ticks (the indexed `__utc` column for a property), so order is
/// chronological across offsets. Nulls sort first ascending and last descending (OData's
/// order, [`super::dialect::Dialect::order_term`]).
pub(crate) fn order_terms<D: ExprDialect>(
    translator: &mut Translator<'_, D>,
    keys: &[BoundOrderBy],
) -> Result<Vec<OrderTerm>, ODataError> {
    keys.iter()
        .map(|key| {
            if let ExprType::Complex(_) | ExprType::Collection(_) | ExprType::Entity(_) =
                &key.expr.ty()
            {
                return Err(ODataError::bad_request(
                    "$orderby keys must be primitive or enumeration values.",
                )
                .with_target("$orderby"));
            }
            // Decimals sort by their exact key where they are text (SQLite).
            let mut expr = translator.sort_value(&key.expr)?;
            if key.expr.ty().is(PrimitiveKind::Boolean) {
                expr = translator.dialect().boolean_as_integer(expr);
            }
            // A bare constant in ORDER BY would name a result column or be refused.
            if expr.is_bare_constant() {
                expr = frag!["(SELECT ", expr, ")"];
            }
            Ok(OrderTerm {
                expr,
                direction: key.direction,
                nullable: true,
            })
        })
        .collect()
}
