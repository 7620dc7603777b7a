//! Server-driven paging: page sizes and the opaque keyset `$skiptoken`.
//!
//! A token holds the sort-key values of the last row served (the `$orderby` keys followed by
//! the entity key) and how many rows `$top` still allows. The next page asks for rows
//! strictly after those values in the same order, so pages stay stable when rows are
//! inserted concurrently and deep pages cost the same as the first.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use odata_core::error::ODataError;
use odata_core::query::SortDirection;
use serde_json::{Value as Json, json};

use crate::sql::{Condition, OrderTerm, SqlParam};

/// Decoded `$skiptoken`.
#[derive(Debug, Clone, PartialEq)]
pub struct SkipToken {
    /// Sort-key values of the last row served, one per order term.
    pub keys: Vec<SqlParam>,
    /// Rows `$top` still allows, if a `$top` was given.
    pub remaining: Option<u64>,
}

impl SkipToken {
    /// The URL-safe opaque text.
    pub fn encode(&self) -> String {
        let keys: Vec<Json> = self
            .keys
            .iter()
            .map(|k| match k {
                SqlParam::Null => Json::Null,
                SqlParam::Integer(i) => json!({ "i": i }),
                SqlParam::Real(f) => json!({ "f": f }),
                SqlParam::Text(s) => json!({ "s": s }),
            })
            .collect();
        let body = json!({ "k": keys, "r": self.remaining });
        URL_SAFE_NO_PAD.encode(body.to_string())
    }

    /// Parses a token produced by [`SkipToken::encode`] for a query with `terms` order
    /// terms (entity key included); anything else is a 400.
    pub fn decode(text: &str, terms: usize) -> Result<Self, ODataError> {
        let invalid = || {
            ODataError::bad_request(
                "$skiptoken is not valid for this request; follow @odata.nextLink as returned.",
            )
            .with_target("$skiptoken")
        };
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| invalid())?;
        let body: Json = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let keys = body
            .get("k")
            .and_then(Json::as_array)
            .ok_or_else(invalid)?
            .iter()
            .map(|k| {
                if k.is_null() {
                    return Some(SqlParam::Null);
                }
                if let Some(i) = k.get("i").and_then(Json::as_i64) {
                    return Some(SqlParam::Integer(i));
                }
                if let Some(f) = k.get("f").and_then(Json::as_f64) {
                    return Some(SqlParam::Real(f));
                }
                k.get("s")
                    .and_then(Json::as_str)
                    .map(|s| SqlParam::Text(s.to_owned()))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(invalid)?;
        if keys.len() != terms {
            return Err(invalid());
        }
        let remaining = match body.get("r") {
            None | Some(Json::Null) => None,
            Some(r) => Some(r.as_u64().ok_or_else(invalid)?),
        };
        Ok(Self { keys, remaining })
    }
}

/// The condition "row sorts strictly after `values`" for `terms` (nulls first ascending,
/// last descending, as SQLite orders them):
/// `after(t0) OR (equal(t0) AND after(t1)) OR …`.
pub fn after(terms: &[OrderTerm], values: &[SqlParam]) -> Condition {
    let mut alternatives = Vec::with_capacity(terms.len());
    for i in 0..terms.len() {
        let mut sql = String::from("(");
        let mut params = Vec::new();
        for (term, value) in terms[..i].iter().zip(values) {
            push_equal(&mut sql, &mut params, term, value);
            sql.push_str(" AND ");
        }
        push_after(&mut sql, &mut params, &terms[i], &values[i]);
        sql.push(')');
        alternatives.push(Condition { sql, params });
    }
    let mut sql = String::from("(");
    let mut params = Vec::new();
    for (i, c) in alternatives.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str(&c.sql);
        params.extend(c.params);
    }
    sql.push(')');
    Condition { sql, params }
}

fn push_term(sql: &mut String, params: &mut Vec<SqlParam>, term: &OrderTerm) {
    sql.push('(');
    sql.push_str(&term.sql);
    sql.push(')');
    params.extend(term.params.iter().cloned());
}

fn push_equal(sql: &mut String, params: &mut Vec<SqlParam>, term: &OrderTerm, value: &SqlParam) {
    push_term(sql, params, term);
    sql.push_str(" IS ?");
    params.push(value.clone());
}

fn push_after(sql: &mut String, params: &mut Vec<SqlParam>, term: &OrderTerm, value: &SqlParam) {
    match (term.direction, value) {
        (SortDirection::Asc, SqlParam::Null) => {
            push_term(sql, params, term);
            sql.push_str(" IS NOT NULL");
        }
        (SortDirection::Asc, v) => {
            push_term(sql, params, term);
            sql.push_str(" > ?");
            params.push(v.clone());
        }
        (SortDirection::Desc, SqlParam::Null) => sql.push('0'),
        (SortDirection::Desc, v) => {
            sql.push('(');
            push_term(sql, params, term);
            sql.push_str(" < ? OR ");
            params.push(v.clone());
            push_term(sql, params, term);
            sql.push_str(" IS NULL)");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let token = SkipToken {
            keys: vec![
                SqlParam::Null,
                SqlParam::Integer(-3),
                SqlParam::Real(1.5),
                SqlParam::Text("it's".into()),
            ],
            remaining: Some(7),
        };
        let text = token.encode();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(SkipToken::decode(&text, 4).unwrap(), token);
        assert!(SkipToken::decode(&text, 3).is_err(), "other query shape");
        assert!(SkipToken::decode("not a token", 4).is_err());
        assert!(SkipToken::decode(&URL_SAFE_NO_PAD.encode("{\"k\":[{\"x\":1}]}"), 1).is_err());
    }

    #[test]
    fn after_condition_respects_direction_and_nulls() {
        let terms = [
            OrderTerm {
                sql: "\"a\"".into(),
                params: vec![],
                direction: SortDirection::Desc,
            },
            OrderTerm {
                sql: "\"id\"".into(),
                params: vec![],
                direction: SortDirection::Asc,
            },
        ];
        let c = after(&terms, &[SqlParam::Integer(5), SqlParam::Text("k".into())]);
        assert_eq!(
            c.sql,
            "((((\"a\") < ? OR (\"a\") IS NULL)) OR ((\"a\") IS ? AND (\"id\") > ?))"
        );
        assert_eq!(
            c.params,
            vec![
                SqlParam::Integer(5),
                SqlParam::Integer(5),
                SqlParam::Text("k".into())
            ]
        );
        let c = after(&terms, &[SqlParam::Null, SqlParam::Text("k".into())]);
        assert_eq!(c.sql, "((0) OR ((\"a\") IS ? AND (\"id\") > ?))");
    }
}
