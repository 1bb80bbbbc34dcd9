//! Evasion: secrets hidden by an encoding. A trigger found by the keyword pass (a zero-width
//! character, a `%xx` escape, a `\u00xx` escape, a keyword as it looks in base64) marks a
//! region; the region is decoded, scanned again one level deeper, and every hit is mapped
//! back to the bytes of the original text it came from.
//!
//! Regions are bounded ([`MAX_REGION`]) and never overlap, and the depth is bounded by the
//! policy, so the extra work stays linear in the input.

use base64::Engine as _;
use std::ops::Range;

/// The most bytes one decoded region covers.
pub(crate) const MAX_REGION: usize = 8 * 1024;

/// Which encoding a trigger points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Zero-width and invisible format characters inserted between a secret's characters.
    ZeroWidth,
    /// `%41%4B%49%41...`
    Percent,
    /// `\u0041`, `\x41`, `\/` inside string literals.
    Escape,
    /// A keyword encoded in base64 (standard or URL-safe alphabet).
    Base64,
}

/// Invisible characters that attackers insert to break up a secret.
pub(crate) const ZERO_WIDTH: &[&str] = &[
    "\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00AD}", "\u{180E}",
];

/// Trigger strings for percent and escape encodings.
pub(crate) const PERCENT_TRIGGERS: &[&str] = &["%2", "%3", "%4", "%5", "%6", "%7"];
pub(crate) const ESCAPE_TRIGGERS: &[&str] = &["\\u00", "\\x", "\\/"];

/// A decoded region: the decoded bytes and, for each decoded byte, the original range it
/// came from.
pub(crate) struct Decoded {
    pub bytes: Vec<u8>,
    pub origin: Vec<Range<usize>>,
}

impl Decoded {
    /// Maps a decoded range back to the original text.
    pub(crate) fn map(&self, r: Range<usize>) -> Option<Range<usize>> {
        let first = self.origin.get(r.start)?;
        let last = self.origin.get(r.end.checked_sub(1)?)?;
        Some(first.start..last.end.max(first.start))
    }
}

fn is_ws_or_quote(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>')
}

/// The region around a trigger at `hit` that an encoding of `kind` may cover.
pub(crate) fn region(text: &[u8], hit: Range<usize>, kind: Encoding) -> Range<usize> {
    let inside = |b: u8| match kind {
        Encoding::ZeroWidth | Encoding::Percent | Encoding::Escape => !is_ws_or_quote(b),
        Encoding::Base64 => b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'),
    };
    let half = MAX_REGION / 2;
    let mut start = hit.start;
    let low = hit.start.saturating_sub(half);
    while start > low && text.get(start - 1).copied().is_some_and(inside) {
        start -= 1;
    }
    let mut end = hit.end.min(text.len());
    let high = hit.end.saturating_add(half).min(text.len());
    while end < high && text.get(end).copied().is_some_and(inside) {
        end += 1;
    }
    if kind == Encoding::Base64 {
        while end < high && text.get(end) == Some(&b'=') {
            end += 1;
        }
    }
    // Bounds may fall inside a multi-byte character: move them out to char boundaries.
    while start > 0 && text.get(start).is_some_and(|b| b & 0xC0 == 0x80) {
        start -= 1;
    }
    while end < text.len() && text.get(end).is_some_and(|b| b & 0xC0 == 0x80) {
        end += 1;
    }
    start..end
}

/// Decodes `text[r]` as `kind`. Returns `None` when nothing changed or it does not decode.
pub(crate) fn decode(text: &[u8], r: Range<usize>, kind: Encoding) -> Option<Decoded> {
    let src = text.get(r.clone())?;
    let base = r.start;
    let out = match kind {
        Encoding::ZeroWidth => strip_zero_width(src, base),
        Encoding::Percent => percent(src, base),
        Encoding::Escape => escapes(src, base),
        Encoding::Base64 => base64_region(src, base),
    }?;
    (out.bytes.as_slice() != src).then_some(out)
}

fn strip_zero_width(src: &[u8], base: usize) -> Option<Decoded> {
    let mut out = Decoded {
        bytes: Vec::with_capacity(src.len()),
        origin: Vec::with_capacity(src.len()),
    };
    let mut i = 0;
    while i < src.len() {
        let rest = src.get(i..).unwrap_or_default();
        let b = rest.first().copied().unwrap_or(0);
        if b >= 0xC2 {
            if let Some(zw) = ZERO_WIDTH.iter().find(|z| rest.starts_with(z.as_bytes())) {
                i += zw.len();
                continue;
            }
        }
        out.bytes.push(b);
        out.origin.push(base + i..base + i + 1);
        i += 1;
    }
    Some(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex_pair(src: &[u8], at: usize) -> Option<u8> {
    Some(hex_val(*src.get(at)?)? << 4 | hex_val(*src.get(at + 1)?)?)
}

fn percent(src: &[u8], base: usize) -> Option<Decoded> {
    let mut out = Decoded {
        bytes: Vec::with_capacity(src.len()),
        origin: Vec::with_capacity(src.len()),
    };
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        if b == b'%' {
            if let Some(v) = hex_pair(src, i + 1) {
                out.bytes.push(v);
                out.origin.push(base + i..base + i + 3);
                i += 3;
                continue;
            }
        }
        out.bytes.push(b);
        out.origin.push(base + i..base + i + 1);
        i += 1;
    }
    Some(out)
}

fn escapes(src: &[u8], base: usize) -> Option<Decoded> {
    let mut out = Decoded {
        bytes: Vec::with_capacity(src.len()),
        origin: Vec::with_capacity(src.len()),
    };
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        if b == b'\\' {
            let next = src.get(i + 1).copied();
            let decoded = match next {
                Some(b'u') if src.get(i + 2) == Some(&b'0') && src.get(i + 3) == Some(&b'0') => {
                    hex_pair(src, i + 4).filter(u8::is_ascii).map(|v| (v, 6))
                }
                Some(b'x') => hex_pair(src, i + 2).filter(u8::is_ascii).map(|v| (v, 4)),
                Some(c @ (b'/' | b'\\' | b'"' | b'\'')) => Some((c, 2)),
                _ => None,
            };
            if let Some((v, len)) = decoded {
                out.bytes.push(v);
                out.origin.push(base + i..base + i + len);
                i += len;
                continue;
            }
        }
        out.bytes.push(b);
        out.origin.push(base + i..base + i + 1);
        i += 1;
    }
    Some(out)
}

fn base64_region(src: &[u8], base: usize) -> Option<Decoded> {
    let mut end = src.len();
    while end > 0 && src.get(end - 1) == Some(&b'=') {
        end -= 1;
    }
    // The region may begin inside the encoded data: try the four alignments and keep the
    // first that decodes to text.
    (0..4usize).find_map(|skip| {
        let mut stop = end;
        if stop < skip + 8 {
            return None;
        }
        if (stop - skip) % 4 == 1 {
            stop -= 1;
        }
        decode_text(src.get(skip..stop)?, base + skip)
    })
}

fn decode_text(data: &[u8], base: usize) -> Option<Decoded> {
    let url_safe = data.iter().any(|b| matches!(b, b'-' | b'_'));
    let engine = if url_safe {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let bytes = engine.decode(data).ok()?;
    // Only text is worth scanning: binary (images, keys, compressed data) is skipped.
    let printable = bytes
        .iter()
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    if bytes.is_empty() || printable * 10 < bytes.len() * 9 {
        return None;
    }
    let origin = (0..bytes.len())
        .map(|i| {
            let q = base + (i / 3) * 4;
            q..(q + 4).min(base + data.len())
        })
        .collect();
    Some(Decoded { bytes, origin })
}

/// The base64 forms of `keyword` at the three byte alignments, each reduced to the
/// characters that depend on the keyword alone. Forms shorter than 5 characters are dropped.
pub(crate) fn base64_forms(keyword: &str) -> Vec<String> {
    let kw = keyword.as_bytes();
    let mut forms = Vec::new();
    for offset in 0..3usize {
        let mut buf = vec![0u8; offset];
        buf.extend_from_slice(kw);
        buf.extend_from_slice(&[0, 0]);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&buf);
        let first = (8 * offset).div_ceil(6);
        let last = (8 * (offset + kw.len())) / 6; // exclusive
        if let Some(s) = encoded.get(first..last) {
            if s.len() >= 5 {
                forms.push(s.to_string());
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms_are_found_in_encoded_text() {
        for prefix in ["", "a", "ab"] {
            let plain = format!("{prefix}ghp_token here");
            let enc = base64::engine::general_purpose::STANDARD.encode(plain.as_bytes());
            assert!(
                base64_forms("ghp_tok")
                    .iter()
                    .any(|f| enc.contains(f.as_str())),
                "{enc}"
            );
        }
    }

    #[test]
    fn decodes_and_maps_back() {
        let text = b"x %67%68%70_abc y";
        let r = region(text, 2..4, Encoding::Percent);
        assert_eq!(r, 2..15);
        let d = decode(text, r, Encoding::Percent).unwrap();
        assert_eq!(d.bytes, b"ghp_abc");
        assert_eq!(d.map(0..3), Some(2..11));

        let zw = "gh\u{200B}p_\u{200D}abc".as_bytes();
        let d = decode(zw, 0..zw.len(), Encoding::ZeroWidth).unwrap();
        assert_eq!(d.bytes, b"ghp_abc");
        assert_eq!(d.map(0..7), Some(0..zw.len()));

        let esc = br"\u0067hp\/x";
        let d = decode(esc, 0..esc.len(), Encoding::Escape).unwrap();
        assert_eq!(d.bytes, b"ghp/x");

        let b64 = b"Z2hwX2FiY2RlZg==";
        let d = decode(b64, 0..b64.len(), Encoding::Base64).unwrap();
        assert_eq!(d.bytes, b"ghp_abcdef");
        assert_eq!(d.map(0..10), Some(0..14));
    }

    #[test]
    fn unchanged_or_binary_regions_are_skipped() {
        assert!(decode(b"plain", 0..5, Encoding::Percent).is_none());
        // Base64 of binary bytes.
        let bin = base64::engine::general_purpose::STANDARD
            .encode([0u8, 1, 2, 3, 250, 251, 252, 253, 254]);
        assert!(decode(bin.as_bytes(), 0..bin.len(), Encoding::Base64).is_none());
        assert!(decode(b"", 0..0, Encoding::Base64).is_none());
    }
}
