//! The policy's content hash: sha256 over a canonical JSON form (keys sorted, no
//! insignificant white space), so YAML formatting, comments, key order and the choice of
//! YAML or JSON do not change it.

use sha2::{Digest, Sha256};

/// `sha256:<64 hex digits>` of the canonical form of `value`.
pub(crate) fn content_hash(value: &serde_json::Value) -> String {
    // serde_json's map is ordered by key, so `to_string` is already canonical.
    let canonical = value.to_string();
    format!("sha256:{}", hex(&Sha256::digest(canonical.as_bytes())))
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}
