//! PEM private key blocks: a `-----BEGIN <label> PRIVATE KEY-----` line, a base64 body, and
//! the `-----END` line with the same label. Bodies may be split by real newlines or by the
//! literal `\n` escapes of a JSON string (service-account files, transcripts).

use memchr::memmem;
use std::ops::Range;

/// The longest block looked for (an RSA 8192 key in PEM is about 6.4 KB).
pub(crate) const MAX_BLOCK: usize = 12 * 1024;

/// Finds the PEM private key block that starts at `begin` (the offset of `-----BEGIN`).
/// Returns the block's byte range, end line included.
pub(crate) fn block_at(text: &[u8], begin: usize) -> Option<Range<usize>> {
    let rest = text.get(begin..)?;
    let header = rest.strip_prefix(b"-----BEGIN ")?;
    // The label: up to `-----`, uppercase words ending in `PRIVATE KEY` (optionally ` BLOCK`).
    let label_len = memmem::find(header.get(..header.len().min(64))?, b"-----")?;
    let label = header.get(..label_len)?;
    let is_private = label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK");
    if !is_private
        || !label
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b' ')
    {
        return None;
    }
    let body_start = begin + "-----BEGIN ".len() + label_len + 5;
    let limit = text.len().min(begin.saturating_add(MAX_BLOCK));
    let search = text.get(body_start..limit)?;
    let mut end_line = Vec::with_capacity(label.len() + 14);
    end_line.extend_from_slice(b"-----END ");
    end_line.extend_from_slice(label);
    end_line.extend_from_slice(b"-----");
    let body_len = memmem::find(search, &end_line)?;
    let body = search.get(..body_len)?;
    if !body_looks_like_key(body) {
        return None;
    }
    Some(begin..body_start + body_len + end_line.len())
}

/// A key body: mostly base64, at least 40 base64 characters in all; header lines
/// (`Proc-Type:`, `DEK-Info:`, `Comment:`) and JSON `\n` escapes are allowed.
fn body_looks_like_key(body: &[u8]) -> bool {
    let b64 = body
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    let other = body
        .iter()
        .filter(|b| {
            !(b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'+' | b'/'
                        | b'='
                        | b'\n'
                        | b'\r'
                        | b' '
                        | b'\t'
                        | b'\\'
                        | b':'
                        | b','
                        | b'-'
                        | b'.'
                        | b'"'
                ))
        })
        .count();
    b64 >= 40 && other * 20 <= body.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(label: &str, sep: &str) -> String {
        let line = "MIIEowIBAAKCAQEAx4Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQeZq8vL2mXw9";
        format!("-----BEGIN {label}-----{sep}{line}{sep}{line}{sep}-----END {label}-----")
    }

    #[test]
    fn finds_blocks_with_matching_end() {
        for label in [
            "RSA PRIVATE KEY",
            "PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let k = key(label, "\n");
            let text = format!("x = \"{k}\" y");
            let r = block_at(text.as_bytes(), 5).unwrap();
            assert_eq!(&text[r], k);
        }
        let json = key("EC PRIVATE KEY", "\\n");
        assert!(block_at(json.as_bytes(), 0).is_some());
    }

    #[test]
    fn rejects_mismatched_public_and_empty() {
        let k = key("RSA PRIVATE KEY", "\n").replace("END RSA", "END EC");
        assert!(block_at(k.as_bytes(), 0).is_none());
        assert!(block_at(key("PUBLIC KEY", "\n").as_bytes(), 0).is_none());
        assert!(block_at(key("CERTIFICATE", "\n").as_bytes(), 0).is_none());
        assert!(block_at(
            b"-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----",
            0
        )
        .is_none());
        assert!(block_at(
            b"-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----",
            0
        )
        .is_none());
        assert!(block_at(b"-----BEGIN ", 0).is_none());
        assert!(block_at(b"", 0).is_none());
    }
}
