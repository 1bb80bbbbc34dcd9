//! Reversible pseudonymization: consistent placeholders per conversation (`<EMAIL_1>`,
//! `<PERSON_2>`) and a vault, held and stored by the host, that restores the originals in the
//! model's answer.

use super::{Entity, PiiMatch};
use crate::decision::Action;
use crate::guard::Guard;
use crate::scan::Channel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

impl Guard {
    /// `text` with every PII finding the policy acts on (action not `allow`, not shadow)
    /// replaced by a placeholder from `vault` (`<EMAIL_1>`); the same value always gets the
    /// same placeholder within one vault. Give the result to the model, keep the vault, and
    /// call [`Vault::restore`] on the model's answer.
    ///
    /// ```
    /// use guardrail_core::{Channel, Guard};
    /// use guardrail_core::content::pii::Vault;
    /// let guard = Guard::with_default_policy();
    /// let mut vault = Vault::new();
    /// let masked = guard.pseudonymize(Channel::User, "Mail jane.doe@example.com", &mut vault);
    /// assert_eq!(masked, "Mail <EMAIL_1>");
    /// assert_eq!(vault.restore("Done: <EMAIL_1>"), "Done: jane.doe@example.com");
    /// ```
    pub fn pseudonymize(&self, channel: Channel, text: &str, vault: &mut Vault) -> String {
        let matches: Vec<PiiMatch> = self
            .scan(channel, text)
            .into_iter()
            .filter(|f| f.category == "pii" && f.action != Action::Allow && !f.shadow)
            .filter_map(|f| {
                let entity = Entity::parse(f.rule.strip_prefix("pii.")?)?;
                Some(PiiMatch {
                    entity,
                    span: f.span?,
                    confidence: f.confidence,
                    action: f.action,
                })
            })
            .collect();
        pseudonymize(text, &matches, vault)
    }
}

/// The originals behind the placeholders of one conversation. Serializable so the host can
/// keep it between turns; it holds personal data, so store it as such.
///
/// ```
/// use guardrail_core::content::pii::{PiiConfig, PiiDetector, Vault, pseudonymize};
/// let detector = PiiDetector::new(&PiiConfig::default()).unwrap();
/// let mut vault = Vault::new();
/// let text = "Mail jane.doe@example.com or jane.doe@example.com";
/// let masked = pseudonymize(text, &detector.find(text), &mut vault);
/// assert_eq!(masked, "Mail <EMAIL_1> or <EMAIL_1>");
/// assert_eq!(vault.restore("Sent to <EMAIL_1>."), "Sent to jane.doe@example.com.");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    /// Placeholder (`EMAIL_1`, without brackets) to original.
    originals: BTreeMap<String, String>,
    /// `STEM\u{0}original` to placeholder, so one value always gets one placeholder.
    placeholders: BTreeMap<String, String>,
    /// Last number used per placeholder stem.
    counters: BTreeMap<String, u32>,
}

impl Vault {
    /// An empty vault.
    pub fn new() -> Vault {
        Vault::default()
    }

    /// How many originals the vault holds.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    /// Whether the vault holds nothing.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// The placeholder for `original` of `entity` (`<EMAIL_1>`), allocating the next number
    /// the first time a value is seen.
    pub fn placeholder(&mut self, entity: Entity, original: &str) -> String {
        let stem = entity.placeholder();
        let key = format!("{stem}\u{0}{original}");
        if let Some(p) = self.placeholders.get(&key) {
            return format!("<{p}>");
        }
        let n = self.counters.entry(stem.to_string()).or_insert(0);
        *n += 1;
        let name = format!("{stem}_{n}");
        self.placeholders.insert(key, name.clone());
        self.originals.insert(name.clone(), original.to_string());
        format!("<{name}>")
    }

    /// The original behind a placeholder (`<EMAIL_1>` or `EMAIL_1`).
    pub fn original(&self, placeholder: &str) -> Option<&str> {
        let name = placeholder.trim_start_matches('<').trim_end_matches('>');
        self.originals.get(name).map(String::as_str)
    }

    /// `text` with every placeholder this vault issued replaced by its original; unknown
    /// placeholders are left as they are. Linear in `text`.
    pub fn restore(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let (head, tail) = rest.split_at(open);
            out.push_str(head);
            // A placeholder is `<` + [A-Z_]+ + `_` + digits + `>`, at most 40 bytes.
            let close = tail
                .bytes()
                .take(40)
                .position(|b| b == b'>')
                .filter(|&c| c > 1);
            match close.and_then(|c| tail.get(1..c).map(|name| (c, name))) {
                Some((c, name)) if valid_name(name) && self.originals.contains_key(name) => {
                    out.push_str(self.originals.get(name).map_or("", String::as_str));
                    rest = tail.get(c + 1..).unwrap_or_default();
                }
                _ => {
                    out.push('<');
                    rest = tail.get(1..).unwrap_or_default();
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn valid_name(name: &str) -> bool {
    let Some((stem, num)) = name.rsplit_once('_') else {
        return false;
    };
    !stem.is_empty()
        && stem.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        && !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// Keeps a deterministic, non-overlapping subset of `matches`: earlier start first, then the
/// longer span, then the higher confidence, then the entity order; a match that overlaps one
/// already kept is dropped (so a URL with credentials wins over the email inside it).
pub fn resolve_overlaps(matches: &[PiiMatch]) -> Vec<PiiMatch> {
    let mut sorted: Vec<PiiMatch> = matches.to_vec();
    sorted.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.span.len().cmp(&a.span.len()))
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.entity.cmp(&b.entity))
    });
    let mut kept: Vec<PiiMatch> = Vec::with_capacity(sorted.len());
    for m in sorted {
        if kept.last().is_none_or(|k| k.span.end <= m.span.start) {
            kept.push(m);
        }
    }
    kept
}

/// `text` with each match (overlaps resolved) replaced by its vault placeholder.
pub fn pseudonymize(text: &str, matches: &[PiiMatch], vault: &mut Vault) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in resolve_overlaps(matches) {
        let (Some(head), Some(original)) = (
            text.get(last..m.span.start),
            text.get(m.span.start..m.span.end),
        ) else {
            continue;
        };
        out.push_str(head);
        out.push_str(&vault.placeholder(m.entity, original));
        last = m.span.end;
    }
    out.push_str(text.get(last..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Action, Span};

    fn m(entity: Entity, s: usize, e: usize, c: f32) -> PiiMatch {
        PiiMatch {
            entity,
            span: Span::new(s, e),
            confidence: c,
            action: Action::Redact,
        }
    }

    #[test]
    fn placeholders_are_consistent_and_restore() {
        let mut v = Vault::new();
        let text = "a@x.io and b@x.io and a@x.io";
        let ms = [
            m(Entity::Email, 0, 6, 0.9),
            m(Entity::Email, 11, 17, 0.9),
            m(Entity::Email, 22, 28, 0.9),
        ];
        let out = pseudonymize(text, &ms, &mut v);
        assert_eq!(out, "<EMAIL_1> and <EMAIL_2> and <EMAIL_1>");
        assert_eq!(v.restore(&out), text);
        assert_eq!(v.restore("<EMAIL_3> <EMAIL_2"), "<EMAIL_3> <EMAIL_2");
        let json = serde_json::to_string(&v).unwrap_or_default();
        let back: Vault = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, v);
        assert_eq!(back.restore("<EMAIL_2>"), "b@x.io");
    }

    #[test]
    fn overlaps_resolve_the_same_way_in_any_order() {
        let url = m(Entity::UrlCredentials, 0, 30, 0.9);
        let email = m(Entity::Email, 8, 20, 0.9);
        let a = resolve_overlaps(&[url, email]);
        let b = resolve_overlaps(&[email, url]);
        assert_eq!(a, b);
        assert_eq!(a, vec![url]);
    }

    #[test]
    fn guard_pseudonymizes_and_restores_end_to_end() {
        let guard = Guard::with_default_policy();
        let mut vault = Vault::new();
        let turn1 = "Customer Maria Lopez (maria.lopez@example.com, +44 20 7946 0958) asks about card 4111 1111 1111 1111.";
        let masked = guard.pseudonymize(Channel::User, turn1, &mut vault);
        assert!(
            !masked.contains("maria.lopez@example.com") && !masked.contains("4111"),
            "{masked}"
        );
        assert!(
            masked.contains("<EMAIL_1>")
                && masked.contains("<CREDIT_CARD_1>")
                && masked.contains("<PERSON_1>")
        );
        // A later turn reuses the placeholders; a new value gets the next number.
        let turn2 = guard.pseudonymize(
            Channel::User,
            "cc maria.lopez@example.com and bob.stone@example.org",
            &mut vault,
        );
        assert_eq!(turn2, "cc <EMAIL_1> and <EMAIL_2>");
        // The vault survives serialization between turns and restores the model's answer.
        let stored = serde_json::to_string(&vault).unwrap_or_default();
        let vault: Vault = serde_json::from_str(&stored).unwrap_or_default();
        let answer = "I emailed <EMAIL_1> and <EMAIL_2> about <CREDIT_CARD_1>.";
        assert_eq!(
            vault.restore(answer),
            "I emailed maria.lopez@example.com and bob.stone@example.org about 4111 1111 1111 1111."
        );
    }

    #[test]
    fn restore_handles_odd_input() {
        let v = Vault::new();
        for t in ["", "<", "<<>>", "<A_1>", "é<É>", "<_1>"] {
            assert_eq!(v.restore(t), t);
        }
    }
}
