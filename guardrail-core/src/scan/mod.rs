//! Scanning text: the channel a text travels on, and the detector contract every content
//! and constraint detector family implements.
//!
//! A detector family (secrets, PII, injection, custom rules, ...) lives in one folder of its
//! layer and implements the crate's detector trait. It reports hits with byte spans; the guard turns
//! hits into [`Finding`]s, applies the policy's action overrides and shadow
//! settings, and redacts.

pub(crate) mod keywords;

use crate::decision::{Action, Finding, Layer, Severity, Span};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// A word byte as the detectors' ASCII regexes see it (`(?-u:\w)`, and so `(?-u:\b)`): the
/// pre-checks that spare a regex run must agree with the regex exactly.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The largest char boundary of `s` at or before `i` (`i` at most `s.len()`).
pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or after `i` (`i` at most `s.len()`).
pub(crate) fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Where a text travels. Detectors and thresholds are chosen per channel.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A user's prompt (a `prompt` event with role `user`).
    User,
    /// A system or developer prompt (written by the agent's owner, trusted more).
    System,
    /// Text the model produced (`model_output`).
    ModelOutput,
    /// Arguments of a tool call, one string value at a time (`tool_call`).
    ToolArgs,
    /// A tool's result (`tool_result`): untrusted, the path of indirect injection.
    ToolOutput,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::User,
        Channel::System,
        Channel::ModelOutput,
        Channel::ToolArgs,
        Channel::ToolOutput,
    ];

    /// The channel's name as used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::User => "user",
            Channel::System => "system",
            Channel::ModelOutput => "model_output",
            Channel::ToolArgs => "tool_args",
            Channel::ToolOutput => "tool_output",
        }
    }

    /// Parses a channel name (`user`, `system`, `model_output`, `tool_args`, `tool_output`).
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One match of a detector in a text, before the policy's overrides are applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    /// Rule id, `family.name` (`secrets.github_pat`); its last segment names the redaction
    /// placeholder (`[REDACTED:github_pat]`).
    pub rule: Cow<'static, str>,
    /// Coarse category the policy can act on (`credential`, `pii`, `injection`, ...).
    pub category: Cow<'static, str>,
    /// How bad it is.
    pub severity: Severity,
    /// How sure the detector is, 0 to 1.
    pub confidence: f32,
    /// The action the detector family's configuration assigns (before policy overrides).
    pub action: Action,
    /// Byte range in the scanned text; always on char boundaries.
    pub span: Span,
    /// A readable reason; must not repeat the matched secret itself.
    pub message: String,
    /// What to do instead, where the detector can tell.
    pub suggestion: Option<String>,
    /// The package the hit is about (package installs).
    pub package: Option<crate::decision::Package>,
}

impl Hit {
    /// The finding this hit reports from `layer`, pointing at `path` in the event; an empty
    /// span (a finding about a whole value) is left out.
    pub(crate) fn into_finding(self, layer: Layer, path: Option<String>) -> Finding {
        Finding {
            layer,
            rule: self.rule.into_owned(),
            category: self.category.into_owned(),
            severity: self.severity,
            confidence: self.confidence,
            message: self.message,
            action: self.action,
            shadow: false,
            path,
            span: (!self.span.is_empty()).then_some(self.span),
            suggestion: self.suggestion,
            package: self.package,
        }
    }
}

/// A detector family compiled from its section of the policy. Immutable and shared across
/// threads; all per-scan state lives on the stack.
pub(crate) trait Detector: Send + Sync {
    /// The layer the family belongs to.
    fn layer(&self) -> Layer;
    /// Whether the family runs on this channel at all (lets the guard skip work).
    fn wants(&self, channel: Channel) -> bool;
    /// Appends every hit in `text` to `hits`. Must be linear in `text.len()` and never panic.
    fn scan(&self, text: &str, channel: Channel, hits: &mut Vec<Hit>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_boundaries_round_down_and_up() {
        let s = "aé€b"; // 1 + 2 + 3 + 1 bytes
        let floors: Vec<usize> = (0..=s.len()).map(|i| floor_char_boundary(s, i)).collect();
        let ceils: Vec<usize> = (0..=s.len()).map(|i| ceil_char_boundary(s, i)).collect();
        assert_eq!(floors, [0, 1, 1, 3, 3, 3, 6, 7]);
        assert_eq!(ceils, [0, 1, 3, 3, 6, 6, 6, 7]);
        assert_eq!(
            (floor_char_boundary("", 0), ceil_char_boundary("", 0)),
            (0, 0)
        );
    }
}
