//! Values that look like credentials but are not: the example keys that providers print in
//! their documentation, and placeholders (`xxxx`, `<your-key>`, `${VAR}`, `changeme`).

use aho_corasick::AhoCorasick;
use regex::bytes::RegexSet;
use std::sync::OnceLock;

/// Example credentials published in providers' documentation. They appear in tutorials,
/// READMEs and test fixtures and never grant access.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    // AWS documentation.
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "ASIAIOSFODNN7EXAMPLE",
    // Stripe documentation's test keys.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    // Google API keys used as test values in the Firebase SDKs' public test suites
    // (API-key format checks); copied into countless sample apps.
    "AIzaSyabcdefghijklmnopqrstuvwxyz1234567",
    "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
    "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM",
    "AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
    "AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0",
    "AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
    "AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c",
    "AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
    "AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY",
    "AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
    "AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ",
    "AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
    "AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU",
    "AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw",
    "AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE",
    "AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
    // Azure storage emulator (Azurite) well-known account key.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
];

/// Words that mark a value as a placeholder wherever they appear in it.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "redacted",
    "your_",
    "your-",
    "yourapi",
    "yourkey",
    "yoursecret",
    "yourtoken",
    "insert",
    "notreal",
    "not_real",
    "not-a-real",
    "todo",
    "fixme",
    "xxxxx",
    "*****",
    "#####",
    "..",
    "<",
    ">",
    "{{",
    "}}",
    "${",
    "$(",
    "%(",
    "#{",
];

/// Whether `value` is a documented example or a placeholder.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    if DOCUMENTED_EXAMPLES.iter().any(|e| e.as_bytes() == value) {
        return true;
    }
    if placeholder_words().is_some_and(|ac| ac.is_match(value)) {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    if value.first() == Some(&b'$') {
        return true;
    }
    dominated_by_one_byte(&lower) || has_long_sequence(&lower)
}

/// The placeholder words as one automaton, built on first use (one pass per candidate
/// instead of one search per word).
fn placeholder_words() -> Option<&'static AhoCorasick> {
    static WORDS: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    WORDS
        .get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(PLACEHOLDER_WORDS)
                .ok()
        })
        .as_ref()
}

/// `AKIAXXXXXXXXXXXXXXXX`, `00000000000000000000`: one byte fills most of the value.
fn dominated_by_one_byte(lower: &[u8]) -> bool {
    if lower.len() < 8 {
        return false;
    }
    let mut counts = [0usize; 256];
    for &b in lower {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0);
    max * 2 > lower.len()
}

/// `abcdefghij`, `0123456789`: a run of 10 consecutive ascending characters.
fn has_long_sequence(lower: &[u8]) -> bool {
    let mut run = 1;
    for pair in lower.windows(2) {
        if let [a, b] = pair {
            if b.wrapping_sub(*a) == 1 && b.is_ascii_alphanumeric() {
                run += 1;
                if run >= 10 {
                    return true;
                }
            } else {
                run = 1;
            }
        }
    }
    false
}

/// The policy's own allowlist: exact values and regexes, compiled once.
#[derive(Debug, Default)]
pub(crate) struct Allowlist {
    values: Vec<Vec<u8>>,
    regexes: Option<RegexSet>,
}

impl Allowlist {
    pub(crate) fn new(values: &[String], regexes: Option<RegexSet>) -> Allowlist {
        Allowlist {
            values: values.iter().map(|v| v.as_bytes().to_vec()).collect(),
            regexes,
        }
    }

    /// Whether the policy allows this exact secret.
    pub(crate) fn allows(&self, secret: &[u8]) -> bool {
        self.values.iter().any(|v| v == secret)
            || self.regexes.as_ref().is_some_and(|r| r.is_match(secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples_and_placeholders() {
        assert!(is_placeholder(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(is_placeholder(b"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(is_placeholder(b"<YOUR_TOKEN_HERE>"));
        assert!(is_placeholder(b"${GITHUB_TOKEN}"));
        assert!(is_placeholder(b"changeme"));
        assert!(is_placeholder(b"AIzaSyabcdefghijklmnopqrstuvwxyz1234567"));
        assert!(is_placeholder(
            b"00000000000000000000000000000000000TUVWXYZ"
        ));
        assert!(!is_placeholder(b"ghp_Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQe"));
        assert!(!is_placeholder(b""));
    }

    #[test]
    fn policy_allowlist() {
        let set = RegexSet::new([r"^sk_test_"]).ok();
        let list = Allowlist::new(&["tok_abc".to_string()], set);
        assert!(list.allows(b"tok_abc"));
        assert!(list.allows(b"sk_test_123"));
        assert!(!list.allows(b"sk_live_123"));
    }
}
