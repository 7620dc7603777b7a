//! Change tracking (OData Protocol §11.3, JSON Format §15): delta links and delta tokens.
//!
//! A collection declared with [`CollectionDef::track_changes`] answers `GET` with
//! `Prefer: odata.track-changes` (or `track-changes`) with `Preference-Applied` and, on the
//! last page, an absolute `@odata.deltaLink`
//! `<root>/<collection>?<defining options>&$deltatoken=<token>`. The *defining query* is
//! `$filter`, `$search`, `$select` and `$expand` (with the parameter aliases they use):
//! they stay in the link as sent, and the token is bound to them. `$top`, `$skip`,
//! `$orderby` and `$count` shape the first response only (a delta link never encodes a
//! top or skip); with `$apply` or `$compute`, or on a navigation or type-cast path, the
//! preference is not applied.
//!
//! `GET` of a delta link lists, once each and in the order of their latest change, the
//! entities created or changed since the token that match the defining query (in full,
//! under its `$select`/`$expand`), the entities deleted since (`@odata.removed` with
//! reason `deleted`; the 4.0 `$deletedEntity` form under `OData-MaxVersion: 4.0`) and
//! those changed so that they no longer match the defining `$filter`/`$search` (reason
//! `changed`), then a new `@odata.deltaLink`; pages of the configured size continue
//! through `@odata.nextLink`, whose token carries the position. The link must be used as
//! returned: another system query option with `$deltatoken` (except `$format`) is a 400,
//! and so is a changed defining option (the token then does not open).
//!
//! Tokens are sealed like `$skiptoken`s ([`TokenSealer`](crate::paging::TokenSealer)):
//! opaque, tamper-proof, bound to the tenant, the collection and the defining query. Each
//! carries the tenant's change *epoch*; replacing the tenant's tracked data (a dataset
//! restore, [`crate::dataset::replace`]) starts a new epoch, and a token of an earlier one
//! is answered with 410 Gone. How changes are recorded: [`crate::store::changes`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use odata_core::query::QueryOptions;
use serde_json::{Value as Json, json};

/// Where a tenant's change log stands: its epoch and the last change number committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeMark {
    /// Bumped whenever the tenant's tracked data is replaced; tokens of an older epoch
    /// are gone.
    pub epoch: i64,
    /// The last change number handed out (and committed).
    pub seq: i64,
}

/// The content of a `$deltatoken`: changes after a position, up to a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaToken {
    /// The epoch the token was issued in.
    pub epoch: i64,
    /// Changes after this change number and, within that number, after this key text (a
    /// page boundary inside a delta response).
    pub after: (i64, Option<String>),
    /// Inside a paged delta response: the last change number it covers (the mark read
    /// for its first page). `None`: up to the latest change.
    pub upto: Option<i64>,
}

impl DeltaToken {
    /// The token a delta link carries: every change after `mark`.
    pub fn after(mark: ChangeMark) -> Self {
        Self {
            epoch: mark.epoch,
            after: (mark.seq, None),
            upto: None,
        }
    }

    /// The plaintext that is sealed.
    pub fn encode(&self) -> String {
        let body = json!({
            "e": self.epoch,
            "a": self.after.0,
            "k": self.after.1,
            "u": self.upto,
        });
        URL_SAFE_NO_PAD.encode(body.to_string())
    }

    /// Parses [`DeltaToken::encode`]'s text; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let body: Json = serde_json::from_slice(&bytes).ok()?;
        let key = match body.get("k")? {
            Json::Null => None,
            k => Some(k.as_str()?.to_owned()),
        };
        let upto = match body.get("u")? {
            Json::Null => None,
            u => Some(u.as_i64()?),
        };
        Some(Self {
            epoch: body.get("e")?.as_i64()?,
            after: (body.get("a")?.as_i64()?, key),
            upto,
        })
    }
}

/// The defining query of a tracked read: `$filter`, `$search`, `$select`, `$expand` and
/// the parameter aliases, as one canonical text (part of a token's binding).
pub fn defining_query(options: &QueryOptions) -> String {
    QueryOptions {
        filter: options.filter.clone(),
        search: options.search.clone(),
        select: options.select.clone(),
        expand: options.expand.clone(),
        aliases: options.aliases.clone(),
        ..QueryOptions::default()
    }
    .to_string()
}

/// What a delta token is bound to: the tenant, the collection path and the defining query.
pub fn binding(tenant: &str, path: &str, options: &QueryOptions) -> String {
    format!("delta\n{tenant}\n{path}\n{}", defining_query(options))
}

/// The system query options that cannot go with `$deltatoken` (the delta link is used as
/// returned): the name of the first one given.
pub fn conflicting_option(options: &QueryOptions) -> Option<&'static str> {
    [
        ("$orderby", options.orderby.is_some()),
        ("$top", options.top.is_some()),
        ("$skip", options.skip.is_some()),
        ("$count", options.count.is_some()),
        ("$skiptoken", options.skiptoken.is_some()),
        ("$apply", options.apply.is_some()),
        ("$compute", options.compute.is_some()),
        ("$index", options.index.is_some()),
    ]
    .into_iter()
    .find(|(_, given)| *given)
    .map(|(name, _)| name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = DeltaToken {
            epoch: 3,
            after: (17, Some("[{\"s\":\"a\"}]".into())),
            upto: Some(20),
        };
        assert_eq!(DeltaToken::decode(&token.encode()), Some(token));
        let link = DeltaToken::after(ChangeMark { epoch: 1, seq: 9 });
        assert_eq!(DeltaToken::decode(&link.encode()), Some(link));
        assert_eq!(DeltaToken::decode("not a token"), None);
        assert_eq!(
            DeltaToken::decode(&URL_SAFE_NO_PAD.encode("{\"e\":1}")),
            None
        );
    }

    #[test]
    fn the_defining_query_leaves_out_paging_and_order() {
        let limits = odata_core::query::ParseLimits::default();
        let a = odata_core::query::parse_query_options_with_limits(
            "$filter=x eq 1&$select=x&$top=2&$orderby=x&$count=true",
            &limits,
        )
        .unwrap();
        let b =
            odata_core::query::parse_query_options_with_limits("$select=x&$filter=x eq 1", &limits)
                .unwrap();
        assert_eq!(defining_query(&a), defining_query(&b));
        assert_eq!(binding("t", "P", &a), binding("t", "P", &b));
        assert_ne!(binding("t", "P", &a), binding("u", "P", &a));
        assert_eq!(conflicting_option(&a), Some("$orderby"));
        assert_eq!(conflicting_option(&b), None);
    }
}
