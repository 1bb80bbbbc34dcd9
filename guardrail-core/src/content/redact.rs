//! Redaction operators shared by every content detector: typed placeholder, mask that keeps
//! a short prefix (or suffix), and salted hash.
//!
//! ```
//! use guardrail_core::content::redact::{Operator, RedactionPolicy, apply};
//! let policy = RedactionPolicy::default();
//! let out = apply("key ghp_abc123 here", &[(4..14, "github_pat", Operator::Placeholder)], &policy, None);
//! assert_eq!(out, "key [REDACTED:github_pat] here");
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::ops::Range;

/// How a redacted span is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `[REDACTED:<kind>]`, where kind is the last segment of the rule id.
    #[default]
    Placeholder,
    /// Keep `mask.keep_prefix` leading and `mask.keep_suffix` trailing characters and
    /// replace the rest with `*`, so a leaked key can still be identified (`ghp_****`).
    Mask,
    /// `[<kind>:<first 12 hex digits of sha256(salt || value)>]`: the same value always gives
    /// the same token, so occurrences can be correlated without revealing it. The salt comes
    /// from the host (`GuardBuilder::hash_salt`).
    Hash,
}

/// Settings of the mask operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MaskPolicy {
    /// Characters kept at the start.
    pub keep_prefix: usize,
    /// Characters kept at the end (e.g. 4 for card numbers).
    pub keep_suffix: usize,
    /// The masking character.
    pub char: char,
}

impl Default for MaskPolicy {
    fn default() -> MaskPolicy {
        MaskPolicy {
            keep_prefix: 4,
            keep_suffix: 0,
            char: '*',
        }
    }
}

/// The `content.redaction` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionPolicy {
    /// The operator used unless an override names another.
    pub operator: Operator,
    /// Settings of the mask operator.
    pub mask: MaskPolicy,
}

/// Replaces each span of `text` with its operator's output. Spans are byte ranges; they are
/// sorted, and overlapping ones merge into the earliest-starting one (the longer on a tie),
/// so the result does not depend on the order detectors reported them. Spans that are out of
/// range or not on char boundaries are ignored.
pub fn apply(
    text: &str,
    spans: &[(Range<usize>, &str, Operator)],
    policy: &RedactionPolicy,
    salt: Option<&[u8]>,
) -> String {
    let mut sorted: Vec<&(Range<usize>, &str, Operator)> = spans
        .iter()
        .filter(|(r, _, _)| r.start < r.end && text.get(r.clone()).is_some())
        .collect();
    sorted.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.0.end.cmp(&a.0.end)));
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    let mut current: Option<(Range<usize>, &str, Operator)> = None;
    let flush = |out: &mut String, cursor: &mut usize, span: (Range<usize>, &str, Operator)| {
        out.push_str(text.get(*cursor..span.0.start).unwrap_or(""));
        let value = text.get(span.0.clone()).unwrap_or("");
        out.push_str(&replacement(value, span.1, span.2, policy, salt));
        *cursor = span.0.end;
    };
    for (range, kind, op) in sorted {
        match &mut current {
            Some(cur) if range.start < cur.0.end => cur.0.end = cur.0.end.max(range.end),
            _ => {
                if let Some(done) = current.take() {
                    flush(&mut out, &mut cursor, done);
                }
                current = Some((range.clone(), kind, *op));
            }
        }
    }
    if let Some(done) = current.take() {
        flush(&mut out, &mut cursor, done);
    }
    out.push_str(text.get(cursor..).unwrap_or(""));
    out
}

/// The replacement of one value.
pub fn replacement(
    value: &str,
    kind: &str,
    op: Operator,
    policy: &RedactionPolicy,
    salt: Option<&[u8]>,
) -> String {
    match op {
        Operator::Placeholder => format!("[REDACTED:{kind}]"),
        Operator::Mask => {
            let n = value.chars().count();
            let keep = policy.mask.keep_prefix + policy.mask.keep_suffix;
            // Never reveal more than half of a value, however the mask is configured.
            let (pre, suf) = if keep * 2 > n {
                (n / 4, 0)
            } else {
                (policy.mask.keep_prefix, policy.mask.keep_suffix)
            };
            value
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i < pre || i >= n - suf {
                        c
                    } else {
                        policy.mask.char
                    }
                })
                .collect()
        }
        Operator::Hash => {
            let mut h = Sha256::new();
            h.update(salt.unwrap_or_default());
            h.update(value.as_bytes());
            let digest = crate::policy::hex(&h.finalize());
            format!("[{kind}:{}]", digest.get(..12).unwrap_or(&digest))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> RedactionPolicy {
        RedactionPolicy::default()
    }

    #[test]
    fn placeholder_mask_and_hash() {
        let t = "token ghp_0123456789abcdef end";
        let span = 6..26;
        assert_eq!(
            apply(
                t,
                &[(span.clone(), "github_pat", Operator::Mask)],
                &p(),
                None
            ),
            "token ghp_**************** end"
        );
        let a = apply(
            t,
            &[(span.clone(), "github_pat", Operator::Hash)],
            &p(),
            Some(b"s1"),
        );
        let b = apply(
            t,
            &[(span.clone(), "github_pat", Operator::Hash)],
            &p(),
            Some(b"s2"),
        );
        assert!(
            a.starts_with("token [github_pat:") && a.ends_with("] end"),
            "{a}"
        );
        assert_ne!(a, b, "the salt changes the token");
    }

    #[test]
    fn overlapping_spans_merge_deterministically() {
        let t = "mail bob@example.com now";
        let one = apply(
            t,
            &[
                (5..20, "email", Operator::Placeholder),
                (9..20, "url", Operator::Placeholder),
            ],
            &p(),
            None,
        );
        let two = apply(
            t,
            &[
                (9..20, "url", Operator::Placeholder),
                (5..20, "email", Operator::Placeholder),
            ],
            &p(),
            None,
        );
        assert_eq!(one, "mail [REDACTED:email] now");
        assert_eq!(one, two);
    }

    #[test]
    fn bad_spans_are_ignored() {
        let t = "héllo";
        assert_eq!(
            apply(t, &[(2..3, "x", Operator::Placeholder)], &p(), None),
            t
        );
        assert_eq!(
            apply(t, &[(3..99, "x", Operator::Placeholder)], &p(), None),
            t
        );
        assert_eq!(apply("", &[], &p(), None), "");
    }

    #[test]
    fn mask_never_reveals_more_than_half() {
        let mut policy = p();
        policy.mask.keep_prefix = 10;
        assert_eq!(
            replacement("abcdefgh", "k", Operator::Mask, &policy, None),
            "ab******"
        );
    }
}
