//! Server-driven paging: page sizes and the opaque keyset `$skiptoken`.
//!
//! A token holds the sort-key values of the last row served (the `$orderby` keys followed by
//! the entity key) and how many rows `$top` still allows. The next page asks for rows
//! strictly after those values in the same order, so pages stay stable when rows are
//! inserted concurrently and deep pages cost the same as the first.
//!
//! Tokens leave the server sealed by a [`TokenSealer`]: encrypted and authenticated
//! (XChaCha20-Poly1305) with a key kept in the database, so every instance sharing the
//! database reads the others' tokens, nobody can read the sort keys inside or forge a
//! position, and a token only opens for the query that made it (the binding, see
//! [`TokenSealer::seal`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305, XNonce};
use odata_core::error::ODataError;
use serde_json::{Value as Json, json};

use crate::sql::SqlParam;

/// Decoded `$skiptoken`.
#[derive(Debug, Clone, PartialEq)]
pub struct SkipToken {
    /// Sort-key values of the last row served, one per order term.
    pub keys: Vec<SqlParam>,
    /// Rows `$top` still allows, if a `$top` was given.
    pub remaining: Option<u64>,
    /// With change tracking (`Prefer: odata.track-changes`): the change mark read before
    /// the first page, which the delta link of the last page carries (see
    /// [`crate::delta`]), so no change made while the pages are read is missed.
    pub delta: Option<crate::delta::ChangeMark>,
    /// The zero-based position of the next page's first row in the whole result (`$skip`
    /// plus the rows served before), for `@odata.index`.
    pub position: u64,
}

impl SkipToken {
    /// The plaintext form (base64url JSON) that [`TokenSealer::seal`] encrypts.
    fn encode(&self) -> String {
        let keys: Vec<Json> = self
            .keys
            .iter()
            .map(|k| match k {
                SqlParam::Null => Json::Null,
                SqlParam::Integer(i) => json!({ "i": i }),
                SqlParam::Real(f) => json!({ "f": f }),
                SqlParam::Text(s) => json!({ "s": s }),
                SqlParam::Blob(b) => json!({ "b": URL_SAFE_NO_PAD.encode(b) }),
                SqlParam::Decimal(d) => json!({ "d": d }),
            })
            .collect();
        let mut body = json!({ "k": keys, "r": self.remaining, "p": self.position });
        if let Some(mark) = self.delta {
            body["d"] = json!([mark.epoch, mark.seq]);
        }
        URL_SAFE_NO_PAD.encode(body.to_string())
    }

    /// Parses the plaintext form for a query with `terms` order terms (entity key
    /// included); anything else is a 400.
    fn decode(text: &str, terms: usize) -> Result<Self, ODataError> {
        let invalid = invalid_token;
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
                if let Some(d) = k.get("d").and_then(Json::as_str) {
                    return Some(SqlParam::Decimal(d.to_owned()));
                }
                if let Some(b) = k.get("b").and_then(Json::as_str) {
                    return URL_SAFE_NO_PAD.decode(b).ok().map(SqlParam::Blob);
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
        let delta = match body.get("d") {
            None => None,
            Some(d) => {
                let pair = d.as_array().filter(|p| p.len() == 2).ok_or_else(invalid)?;
                let epoch = pair[0].as_i64().ok_or_else(invalid)?;
                let seq = pair[1].as_i64().ok_or_else(invalid)?;
                Some(crate::delta::ChangeMark { epoch, seq })
            }
        };
        let position = match body.get("p") {
            None | Some(Json::Null) => 0,
            Some(p) => p.as_u64().ok_or_else(invalid)?,
        };
        Ok(Self {
            keys,
            remaining,
            delta,
            position,
        })
    }
}

/// Length of the random nonce in front of every sealed token.
const NONCE_BYTES: usize = 24;

/// Seals and opens `$skiptoken`s with the service's token key.
#[derive(Clone)]
pub struct TokenSealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSealer([redacted])")
    }
}

impl TokenSealer {
    /// A sealer for a 32-byte key (kept in the database, see `Store::token_key`).
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&Key::from(*key)),
        }
    }

    /// The URL-safe sealed text of `token`. `binding` names the query the token belongs to
    /// (tenant, collection, options); [`TokenSealer::open`] refuses it for any other.
    pub fn seal(&self, token: &SkipToken, binding: &str) -> String {
        self.seal_text(&token.encode(), binding)
    }

    /// Seals any plaintext (another kind of token, see [`crate::delta`]) for `binding`.
    pub fn seal_text(&self, plain: &str, binding: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        if getrandom::fill(&mut nonce).is_err() {
            // No randomness: a v4 UUID still gives a non-repeating nonce.
            nonce[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        }
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: binding.as_bytes(),
        };
        // Encryption fails only for messages beyond 256 GiB.
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens a token sealed by [`TokenSealer::seal`] with the same `binding`, for a query
    /// with `terms` order terms; a modified token, or one of another query, is a 400.
    pub fn open(&self, text: &str, binding: &str, terms: usize) -> Result<SkipToken, ODataError> {
        let plain = self.open_text(text, binding).ok_or_else(invalid_token)?;
        SkipToken::decode(&plain, terms)
    }

    /// Opens a text sealed by [`TokenSealer::seal_text`] with the same `binding`; `None`
    /// for anything else (changed, another binding, another key, not a token at all).
    pub fn open_text(&self, text: &str, binding: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        if bytes.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: binding.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

fn invalid_token() -> ODataError {
    ODataError::bad_request(
        "$skiptoken is not valid for this request: it was changed, or made for another \
         query; follow @odata.nextLink as returned.",
    )
    .with_target("$skiptoken")
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
            delta: Some(crate::delta::ChangeMark { epoch: 2, seq: 40 }),
            position: 12,
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
    fn sealed_tokens_open_only_unchanged_and_for_their_own_query() {
        let sealer = TokenSealer::new(&[7; 32]);
        let token = SkipToken {
            keys: vec![SqlParam::Text("secret sort key".into())],
            remaining: None,
            delta: None,
            position: 0,
        };
        let sealed = sealer.seal(&token, "tenant-a\nevents\n$filter=x eq 1");
        assert!(
            sealed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let plain = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert!(
            !String::from_utf8_lossy(&plain).contains("secret"),
            "the sort keys are not readable"
        );
        assert_eq!(
            sealer
                .open(&sealed, "tenant-a\nevents\n$filter=x eq 1", 1)
                .unwrap(),
            token
        );
        // Another query, another tenant, another key, a flipped bit: all refused.
        assert!(
            sealer
                .open(&sealed, "tenant-a\nevents\n$filter=x eq 2", 1)
                .is_err()
        );
        assert!(
            sealer
                .open(&sealed, "tenant-b\nevents\n$filter=x eq 1", 1)
                .is_err()
        );
        let other = TokenSealer::new(&[8; 32]);
        assert!(
            other
                .open(&sealed, "tenant-a\nevents\n$filter=x eq 1", 1)
                .is_err()
        );
        let mut bytes = plain.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(bytes);
        let e = sealer
            .open(&tampered, "tenant-a\nevents\n$filter=x eq 1", 1)
            .unwrap_err();
        assert_eq!(e.target.as_deref(), Some("$skiptoken"));
        // Sealing twice gives different texts (random nonce).
        assert_ne!(
            sealed,
            sealer.seal(&token, "tenant-a\nevents\n$filter=x eq 1")
        );
    }
}
