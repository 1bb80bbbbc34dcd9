//! The `constraints.injection` policy section.

use crate::decision::Action;
use crate::policy::Diagnostics;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prompt-injection, jailbreak and hidden-text detection on text that reaches the model.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InjectionConfig {
    /// Whether the detector runs at all.
    pub enabled: bool,
    /// Score thresholds for user prompts (and system prompts, model output and tool
    /// arguments, which use the same thresholds).
    pub user: ChannelThresholds,
    /// Score thresholds for tool results: untrusted text (web pages, emails, files) that
    /// the user never saw, so the defaults are stricter than for user prompts.
    pub tool_output: ChannelThresholds,
    /// Whether system and developer prompts are scanned (written by the agent's owner).
    pub scan_system: bool,
    /// Whether model output is scanned (an echoed injection or an exfiltration link).
    pub scan_model_output: bool,
    /// Action per technique when the score reaches the channel's `block` threshold, e.g.
    /// `{hidden_text: redact}`. Techniques not listed use `block`.
    pub actions: BTreeMap<String, Action>,
    /// Action for a score between the channel's `report` and `block` thresholds.
    pub uncertain_action: Action,
    /// Hosts that images and links may point to with data in their URL (exact host or a
    /// parent domain: `example.com` allows `cdn.example.com`).
    pub exfiltration_allowlist: Vec<String>,
    /// How many layers of encoding (base64 inside hex inside URL-encoding, ...) are
    /// decoded and rescanned. Bounded: every layer rescans at most `max_decoded_bytes`.
    pub decode_depth: u8,
    /// Total bytes of decoded payload rescanned per text and layer.
    pub max_decoded_bytes: usize,
    /// Whether the learned classifier (hashed n-gram logistic regression) adds its score
    /// to the rules' score.
    pub classifier: bool,
}

/// When a score turns into a finding and when into the technique's action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelThresholds {
    /// Scores at or above this (0 to 1) are reported with the `uncertain_action`.
    pub report: f32,
    /// Scores at or above this (0 to 1) get the technique's action (`block` by default).
    pub block: f32,
    /// Classifier probability from which the learned model counts in full; below it the
    /// model adds a quarter of its probability (it lifts borderline rule scores only).
    pub classifier: f32,
}

impl Default for ChannelThresholds {
    fn default() -> Self {
        ChannelThresholds {
            report: 0.5,
            block: 0.7,
            classifier: 0.95,
        }
    }
}

/// Every technique the detector reports, as used in rule ids `injection.<technique>`.
pub const TECHNIQUES: &[&str] = &[
    "instruction_override",
    "roleplay_jailbreak",
    "system_prompt_extraction",
    "delimiter_injection",
    "tool_hijack",
    "encoded_payload",
    "hidden_text",
    "obfuscation",
    "exfiltration",
    "classifier",
];

impl Default for InjectionConfig {
    fn default() -> Self {
        InjectionConfig {
            enabled: true,
            user: ChannelThresholds::default(),
            tool_output: ChannelThresholds {
                report: 0.4,
                block: 0.6,
                classifier: 0.98,
            },
            scan_system: false,
            scan_model_output: true,
            actions: BTreeMap::new(),
            uncertain_action: Action::Escalate,
            exfiltration_allowlist: Vec::new(),
            decode_depth: 2,
            max_decoded_bytes: 64 * 1024,
            classifier: true,
        }
    }
}

/// Forwards problems to the policy's diagnostics and remembers that there was one.
struct Reporter<'a> {
    diags: &'a mut Diagnostics,
    ok: &'a mut bool,
}

impl Reporter<'_> {
    fn error(&mut self, path: String, message: String) {
        *self.ok = false;
        self.diags.error(path, message);
    }

    fn error_with_hint(&mut self, path: String, message: String, hint: String) {
        *self.ok = false;
        self.diags.error_with_hint(path, message, hint);
    }
}

impl InjectionConfig {
    /// Reports every problem in the section under `path` (e.g. `constraints.injection`);
    /// returns whether the section is valid.
    pub(crate) fn validate(&self, path: &str, diags: &mut Diagnostics) -> bool {
        let mut ok = true;
        let mut diags = Reporter { diags, ok: &mut ok };
        let diags = &mut diags;
        for (name, t) in [("user", &self.user), ("tool_output", &self.tool_output)] {
            for (field, v) in [
                ("report", t.report),
                ("block", t.block),
                ("classifier", t.classifier),
            ] {
                if !(0.0..=1.0).contains(&v) {
                    diags.error(
                        format!("{path}.{name}.{field}"),
                        format!("threshold `{v}` is outside 0..1"),
                    );
                }
            }
            if t.block < t.report {
                diags.error(
                    format!("{path}.{name}.block"),
                    format!(
                        "`block` ({}) is below `report` ({}): nothing would be reported first",
                        t.block, t.report
                    ),
                );
            }
        }
        for technique in self.actions.keys() {
            if !TECHNIQUES.contains(&technique.as_str()) {
                let hint = TECHNIQUES
                    .iter()
                    .max_by(|a, b| {
                        strsim::jaro_winkler(a, technique)
                            .total_cmp(&strsim::jaro_winkler(b, technique))
                    })
                    .map(|t| format!("did you mean `{t}`?"))
                    .unwrap_or_default();
                diags.error_with_hint(
                    format!("{path}.actions.{technique}"),
                    format!("unknown technique `{technique}`"),
                    hint,
                );
            }
        }
        for (i, host) in self.exfiltration_allowlist.iter().enumerate() {
            if host.is_empty() || host.contains('/') || host.contains(' ') {
                diags.error(
                    format!("{path}.exfiltration_allowlist[{i}]"),
                    format!("`{host}` is not a host name"),
                );
            }
        }
        if self.decode_depth > 4 {
            diags.error(
                format!("{path}.decode_depth"),
                format!("`{}` is above the limit of 4", self.decode_depth),
            );
        }
        ok
    }

    /// The action for `technique` at a score that reached the block threshold.
    pub(crate) fn action_for(&self, technique: &str) -> Action {
        self.actions
            .get(technique)
            .copied()
            .unwrap_or(Action::Block)
    }
}
