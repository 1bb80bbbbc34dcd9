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
    // Digits written into a byte buffer, then checked as UTF-8 in one pass: cheaper than a
    // `String::push` per digit (this runs for every audit record and action fingerprint).
    let mut out = vec![0u8; bytes.len() * 2];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]]);
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::hex(&[]), "");
    }
}
