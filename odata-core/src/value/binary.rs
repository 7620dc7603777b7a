//! Edm.Binary text: base64url (RFC 4648 §5) written, base64url or standard base64 read.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

/// Reads base64url or standard base64, with or without `=` padding; `None` when the text
/// is not base64 in either alphabet (bad characters, impossible length, misplaced padding).
///
/// ```
/// use odata_core::value::parse_base64;
/// assert_eq!(parse_base64("dGVzdA==").unwrap(), b"test");
/// assert_eq!(parse_base64("dGVzdA").unwrap(), b"test");
/// assert_eq!(parse_base64("-_8").unwrap(), parse_base64("+/8=").unwrap());
/// assert!(parse_base64("dGVzdA=").is_none());
/// ```
pub fn parse_base64(text: &str) -> Option<Vec<u8>> {
    let data = text.trim_end_matches('=');
    let padding = text.len() - data.len();
    // Padding, when present, completes the last group of four.
    if padding > 0 && (padding > 2 || !(data.len() + padding).is_multiple_of(4)) {
        return None;
    }
    // One alphabet for both: standard base64's `+` and `/` are base64url's `-` and `_`.
    let url: String = data
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(url).ok()
}

/// The base64url text of `bytes`, padded (`dGVzdA==`).
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE.encode(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_alphabets_and_writes_base64url() {
        let bytes = [0xfb, 0xff, 0xbf, 0x00];
        assert_eq!(base64url(&bytes), "-_-_AA==");
        assert_eq!(parse_base64("+/+/AA==").unwrap(), bytes);
        assert_eq!(parse_base64("-_-_AA").unwrap(), bytes);
        assert_eq!(parse_base64("").unwrap(), b"");
        for bad in ["a", "ab=c", "abc==", "ab*c", "dGVzdA==="] {
            assert!(parse_base64(bad).is_none(), "{bad}");
        }
    }
}
