//! The decision model: what every evaluator reports and what the guard returns.
//!
//! ```text
//! allow  <  redact  <  escalate  <  block
//! ```
//!
//! A [`Decision`] is the most severe [`Action`] any matched rule asks for, with the
//! [`Finding`]s that justify it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// What the host should do with the event. Ordered from least to most severe.
///
/// ```
/// use guardrail_core::Action;
/// assert!(Action::Allow < Action::Redact && Action::Escalate < Action::Block);
/// assert_eq!(Action::Redact.combine(Action::Escalate), Action::Escalate);
/// ```
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Let the event through unchanged.
    #[default]
    Allow,
    /// Let the event through with the offending spans replaced (see [`Decision::text`]).
    Redact,
    /// Hold the event until a human approves it (see [`Decision::gate`]).
    Escalate,
    /// Stop the event.
    Block,
}

impl Action {
    /// The more severe of two actions. Associative, commutative and idempotent, so the
    /// order in which evaluators report never changes a decision.
    pub fn combine(self, other: Action) -> Action {
        self.max(other)
    }

    /// The action's name as used in policies and JSON (`"allow"`, `"redact"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Redact => "redact",
            Action::Escalate => "escalate",
            Action::Block => "block",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is, independent of what the policy does about it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording, not worth acting on.
    Info,
    /// Minor.
    Low,
    /// Worth a look.
    #[default]
    Medium,
    /// Likely harmful.
    High,
    /// Harmful with certainty (a live credential, a destructive command).
    Critical,
}

impl Severity {
    /// The severity's name as used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five layers of the Guardrail Stack.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Prompt and tool constraints: what may reach the model and what it may ask tools to do.
    Constraints,
    /// Runtime content policy: secrets, PII, safety, custom rules.
    Content,
    /// Observability: traces, cost, aggregates, drift and failure detectors.
    Observe,
    /// Human gates: escalations and approvals.
    Gates,
    /// Governance: agent registry, budgets, audit.
    Governance,
}

impl Layer {
    /// Every layer, in stack order.
    pub const ALL: [Layer; 5] = [
        Layer::Constraints,
        Layer::Content,
        Layer::Observe,
        Layer::Gates,
        Layer::Governance,
    ];

    /// The layer's name as used in policies and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Constraints => "constraints",
            Layer::Content => "content",
            Layer::Observe => "observe",
            Layer::Gates => "gates",
            Layer::Governance => "governance",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range `start..end` (end exclusive) into the text a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The span's length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether two spans share at least one byte.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Span {
        Span::new(r.start, r.end)
    }
}

/// One reason behind a decision: which rule of which layer matched, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The layer whose evaluator reported it.
    pub layer: Layer,
    /// The rule id, e.g. `secrets.github_pat` or `custom.no_internal_hosts`.
    pub rule: String,
    /// A coarse grouping the policy can act on, e.g. `credential`, `pii`, `injection`.
    pub category: String,
    /// How bad it is.
    pub severity: Severity,
    /// How sure the detector is, from 0 to 1.
    pub confidence: f32,
    /// A readable reason.
    pub message: String,
    /// The action the policy assigns to this finding.
    pub action: Action,
    /// Whether the rule runs in shadow mode: reported, not enforced.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shadow: bool,
    /// A JSON pointer into the event to the text the span is about (`/text`, `/args/sql`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The byte range in the text at `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// What to do instead, where the evaluator can tell (a valid tool name, allowed values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The package the finding is about (`shell.package_install`), for a dependency policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
}

/// A package a command installs, as a `shell.package_install` finding names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Its ecosystem: `pypi`, `npm`, `crates`, `go`, `rubygems`, `apt`, `rpm`, `apk`,
    /// `homebrew`, `conda` or `packagist`.
    pub ecosystem: String,
    /// The name, without the version written with it (`requests`, `@types/node`,
    /// `golang.org/x/text`).
    pub name: String,
    /// The version or requirement written with the name, as written: `==2.32.3`, `>=2`
    /// (Python and conda keep the operator), `1.3.0` (after `@`, `=` or `:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A request for a human approval, opened by an `escalate` decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateRequest {
    /// The gate's id; an `approval` event names it.
    pub id: String,
    /// The role that must approve.
    pub role: String,
    /// Why the gate was opened (the escalating findings' rules).
    pub reason: String,
    /// When the request expires (RFC 3339, UTC); an approval after it is refused.
    pub expires: String,
    /// The fingerprint of the exact action the gate guards (sha256 of tool and canonical
    /// arguments, or of the text).
    pub fingerprint: String,
}

/// What the guard decided about one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The most severe action any finding asks for.
    pub action: Action,
    /// The action to carry out: equal to `action` unless shadow mode holds it back.
    pub enforced: Action,
    /// The policy's content hash (`sha256:...`).
    pub policy: String,
    /// Every finding, in the order the layers reported them.
    pub findings: Vec<Finding>,
    /// The redacted text where the action is redact and the event carries text.
    pub text: Option<String>,
    /// The redacted arguments (or tool output) where the action is redact and the event
    /// carries JSON.
    pub args: Option<serde_json::Value>,
    /// The gate request where the action is escalate.
    pub gate: Option<GateRequest>,
}

impl Decision {
    /// An allow decision with no findings under the policy with hash `policy`.
    pub fn allow(policy: &str) -> Decision {
        Decision {
            action: Action::Allow,
            enforced: Action::Allow,
            policy: policy.to_string(),
            findings: Vec::new(),
            text: None,
            args: None,
            gate: None,
        }
    }

    /// The action to carry out (same as the `enforced` field).
    pub fn enforced(&self) -> Action {
        self.enforced
    }

    /// Whether the host may go ahead with the event as it is.
    pub fn is_allowed(&self) -> bool {
        self.enforced == Action::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Allow),
            Just(Action::Redact),
            Just(Action::Escalate),
            Just(Action::Block)
        ]
    }

    proptest! {
        #[test]
        fn combine_is_associative(a in any_action(), b in any_action(), c in any_action()) {
            prop_assert_eq!(a.combine(b).combine(c), a.combine(b.combine(c)));
        }

        #[test]
        fn combine_is_commutative(a in any_action(), b in any_action()) {
            prop_assert_eq!(a.combine(b), b.combine(a));
        }

        #[test]
        fn combine_is_idempotent(a in any_action()) {
            prop_assert_eq!(a.combine(a), a);
        }

        #[test]
        fn allow_is_identity_and_block_absorbs(a in any_action()) {
            prop_assert_eq!(a.combine(Action::Allow), a);
            prop_assert_eq!(a.combine(Action::Block), Action::Block);
        }
    }

    #[test]
    fn actions_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&Action::Escalate).unwrap(),
            "\"escalate\""
        );
        assert_eq!(
            serde_json::from_str::<Action>("\"redact\"").unwrap(),
            Action::Redact
        );
    }
}
