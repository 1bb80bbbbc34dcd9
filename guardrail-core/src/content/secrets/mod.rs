//! Secret detection: credentials in prompts, model output, tool arguments and tool results.
//!
//! Configured by the policy's `content.secrets` section ([`SecretsConfig`]); findings are
//! redacted by the content layer's shared operators. User guide: `docs/SECRETS.md`.
//!
//! ```
//! use guardrail_core::{Channel, Guard};
//! let guard = Guard::with_default_policy();
//! let text = "key: ghp_Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQe";
//! let (redacted, findings) = guard.redact(Channel::ModelOutput, text);
//! assert_eq!(redacted, "key: [REDACTED:github_pat]");
//! assert_eq!(findings[0].rule, "secrets.github_pat");
//! assert_eq!(findings[0].span.map(|s| s.start), Some(5));
//! ```
//!
//! - `rules.rs`: the built-in ruleset (one entry per credential format).
//! - `engine.rs`: keyword prefilter, windowed regex confirmation, overlap resolution.
//! - `validate.rs`, `allowlist.rs`, `pem.rs`: confirmation beyond the regex.
//! - `decode.rs`: secrets hidden by base64, percent or string escapes, zero-width characters.

mod allowlist;
mod decode;
mod engine;
mod pem;
mod rules;
mod validate;

#[cfg(test)]
mod tests;

use crate::decision::{Action, Layer, Span};
use crate::policy::Diagnostics;
use crate::scan::{ceil_char_boundary, floor_char_boundary, Channel, Detector, Hit};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The `content.secrets` section of a policy.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Whether secret detection runs at all.
    pub enabled: bool,
    /// The channels scanned; all of them by default.
    pub channels: Vec<Channel>,
    /// The action for a secret no other setting covers.
    pub action: Action,
    /// Actions per category (`credential`, `private_key`, `connection_string`); private keys
    /// are blocked by default.
    pub category_actions: BTreeMap<String, Action>,
    /// Actions per rule id (`secrets.github_pat`); they override category actions.
    pub rule_actions: BTreeMap<String, Action>,
    /// Rule ids to turn off (`secrets.generic_secret`).
    pub disabled_rules: Vec<String>,
    /// Exact values never reported (test fixtures, known public keys).
    pub allowlist: Vec<String>,
    /// Regexes; a secret matching one of them is never reported.
    pub allowlist_regexes: Vec<String>,
    /// Minimum Shannon entropy, in bits per character, of a value assigned to a
    /// secret-looking name (`password=`, `api_key:`) before it is reported.
    pub generic_min_entropy: f32,
    /// Minimum length of such a value.
    pub generic_min_length: usize,
    /// How many nested encodings (base64 inside percent-encoding, ...) are decoded to find
    /// hidden secrets; 0 turns evasion decoding off. At most 4.
    pub decode_depth: u8,
    /// Drop GitHub tokens whose CRC32 checksum is wrong (mistyped or made-up tokens) instead
    /// of reporting them with lower confidence.
    pub strict_checksums: bool,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            enabled: true,
            channels: Channel::ALL.to_vec(),
            action: Action::Redact,
            category_actions: BTreeMap::from([(rules::PRIVATE_KEY.to_string(), Action::Block)]),
            rule_actions: BTreeMap::new(),
            disabled_rules: Vec::new(),
            allowlist: Vec::new(),
            allowlist_regexes: Vec::new(),
            generic_min_entropy: 3.0,
            generic_min_length: 10,
            decode_depth: 2,
            strict_checksums: false,
        }
    }
}

/// The rule id prefix of this family.
const FAMILY: &str = "secrets.";

/// Every built-in rule id (`secrets.github_pat`, ...), in table order.
pub(crate) fn rule_ids() -> impl Iterator<Item = String> {
    rules::RULES.iter().map(|r| format!("{FAMILY}{}", r.name))
}

impl SecretsConfig {
    /// Validates the section and builds the detector. Problems are reported at `path`
    /// (`content.secrets`); `None` when there was one.
    pub(crate) fn compile(&self, path: &str, diags: &mut Diagnostics) -> Option<SecretsDetector> {
        let known: Vec<String> = rule_ids().collect();
        let check_rule = |field: &str, i: String, id: &str, diags: &mut Diagnostics| {
            if !known.iter().any(|k| k == id) {
                let hint = known
                    .iter()
                    .min_by_key(|k| strsim::levenshtein(k, id))
                    .map(|k| format!("did you mean `{k}`?"));
                let p = format!("{path}.{field}{i}");
                let msg = format!("unknown secret rule `{id}`");
                match hint {
                    Some(h) => diags.error_with_hint(p, msg, h),
                    None => diags.error(p, msg),
                }
            }
        };
        for (i, id) in self.disabled_rules.iter().enumerate() {
            check_rule("disabled_rules", format!("[{i}]"), id, diags);
        }
        for id in self.rule_actions.keys() {
            check_rule("rule_actions", format!(".{id}"), id, diags);
        }
        for cat in self.category_actions.keys() {
            if ![
                rules::CREDENTIAL,
                rules::PRIVATE_KEY,
                rules::CONNECTION_STRING,
            ]
            .contains(&cat.as_str())
            {
                diags.error_with_hint(
                    format!("{path}.category_actions.{cat}"),
                    format!("unknown secret category `{cat}`"),
                    "use `credential`, `private_key` or `connection_string`",
                );
            }
        }
        if self.decode_depth > 4 {
            diags.error(format!("{path}.decode_depth"), "must be at most 4");
        }
        if !(0.0..=8.0).contains(&self.generic_min_entropy) {
            diags.error(
                format!("{path}.generic_min_entropy"),
                "must be between 0 and 8 bits",
            );
        }
        let mut ok_regexes = Vec::new();
        for (i, re) in self.allowlist_regexes.iter().enumerate() {
            match regex::bytes::RegexBuilder::new(re)
                .size_limit(1 << 20)
                .build()
            {
                Ok(_) => ok_regexes.push(re.as_str()),
                Err(e) => diags.error(
                    format!("{path}.allowlist_regexes[{i}]"),
                    format!("invalid regex: {e}"),
                ),
            }
        }
        if !diags.is_empty() {
            return None;
        }
        let set = if ok_regexes.is_empty() {
            None
        } else {
            match regex::bytes::RegexSet::new(&ok_regexes) {
                Ok(s) => Some(s),
                Err(e) => {
                    diags.error(
                        format!("{path}.allowlist_regexes"),
                        format!("invalid regex: {e}"),
                    );
                    return None;
                }
            }
        };
        let specs: Vec<&'static rules::RuleSpec> = rules::RULES
            .iter()
            .filter(|r| {
                !self
                    .disabled_rules
                    .iter()
                    .any(|d| d.strip_prefix(FAMILY) == Some(r.name))
            })
            .collect();
        let actions: Vec<Action> = specs.iter().map(|s| self.action_for(s)).collect();
        let opts = engine::EngineOptions {
            generic_min_entropy: self.generic_min_entropy,
            generic_min_length: self.generic_min_length.max(1),
            decode_depth: self.decode_depth,
            strict_checksums: self.strict_checksums,
        };
        match engine::Engine::new(specs, allowlist::Allowlist::new(&self.allowlist, set), opts) {
            Ok(engine) => Some(SecretsDetector {
                engine,
                actions,
                enabled: self.enabled,
                channels: self.channels.clone(),
            }),
            Err(e) => {
                diags.error(path.to_string(), e.to_string());
                None
            }
        }
    }

    fn action_for(&self, spec: &rules::RuleSpec) -> Action {
        let id = format!("{FAMILY}{}", spec.name);
        self.rule_actions
            .get(&id)
            .or_else(|| self.category_actions.get(spec.category))
            .copied()
            .unwrap_or(self.action)
    }
}

/// The compiled secret detector.
#[derive(Debug)]
pub(crate) struct SecretsDetector {
    engine: engine::Engine,
    actions: Vec<Action>,
    enabled: bool,
    channels: Vec<Channel>,
}

impl SecretsDetector {
    /// Hits in raw bytes (spans are byte offsets).
    pub(crate) fn scan_bytes(&self, text: &[u8], hits: &mut Vec<Hit>) {
        for raw in self.engine.scan(text) {
            if let Some(hit) = self.to_hit(&raw) {
                hits.push(hit);
            }
        }
    }

    fn to_hit(&self, raw: &engine::RawHit) -> Option<Hit> {
        let spec = self.engine.spec(raw.rule)?;
        let action = self
            .actions
            .get(raw.rule)
            .copied()
            .unwrap_or(Action::Redact);
        let what = match spec.category {
            rules::PRIVATE_KEY => "a private key",
            rules::CONNECTION_STRING => "a password in a connection string",
            _ => "a credential",
        };
        let how = if raw.decoded {
            " (hidden by an encoding)"
        } else {
            ""
        };
        Some(Hit {
            rule: Cow::Owned(format!("{FAMILY}{}", spec.name)),
            category: Cow::Borrowed(spec.category),
            severity: spec.severity,
            confidence: raw.confidence,
            action,
            span: Span::new(raw.start, raw.end),
            message: format!("{what} matching rule `{}`{how}", spec.name),
            suggestion: Some("move the value to a secret manager and rotate it".to_string()),
            package: None,
        })
    }
}

impl Detector for SecretsDetector {
    fn layer(&self) -> Layer {
        Layer::Content
    }

    fn wants(&self, channel: Channel) -> bool {
        self.enabled && self.channels.contains(&channel)
    }

    fn scan(&self, text: &str, _channel: Channel, hits: &mut Vec<Hit>) {
        if !self.enabled {
            return;
        }
        let first = hits.len();
        self.scan_bytes(text.as_bytes(), hits);
        // Spans come from ASCII patterns and from decoded regions mapped back to whole
        // characters; this keeps the contract even if a pattern ever ends next to a
        // multi-byte character.
        for hit in hits.iter_mut().skip(first) {
            hit.span.start = floor_char_boundary(text, hit.span.start);
            hit.span.end = ceil_char_boundary(text, hit.span.end);
        }
    }
}
