//! The policy document: one YAML (or JSON) document that declares the whole stack.
//!
//! ```
//! use guardrail_core::Policy;
//! let policy = Policy::from_yaml("version: 1\nmode: shadow\n").unwrap();
//! assert!(policy.hash().starts_with("sha256:"));
//!
//! let err = Policy::from_yaml("version: 1\nmdoe: shadow\n").unwrap_err();
//! let issue = &err.issues()[0];
//! assert_eq!(issue.line, Some(2));
//! assert!(issue.hint.as_deref().unwrap().contains("did you mean `mode`"));
//! ```

mod diagnostics;
mod hash;
pub(crate) mod load;

pub(crate) use diagnostics::Diagnostics;
pub use diagnostics::{PolicyError, PolicyIssue};
pub(crate) use hash::hex;

use crate::decision::{Action, Layer, Severity};
use crate::{constraints, content, gates, governance, observe};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The built-in default policy: a useful stack with zero configuration.
pub const DEFAULT_POLICY_YAML: &str = include_str!("default.yaml");

/// The policy document as written. Every section is optional; `version` is required.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Format version of the document; must be `1`.
    pub version: u32,
    /// A name for people reading decisions and audit records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `enforce` (default) or `shadow`: in shadow mode every decision is computed and
    /// reported, and the enforced action is always `allow`.
    #[serde(default)]
    pub mode: Mode,
    /// What happens when an evaluator fails internally (a panic, a host hook's error).
    #[serde(default)]
    pub fail: FailPolicy,
    /// Changes to the action, severity, shadow setting or redaction of the findings of rules
    /// matched by id glob or category. Later entries win.
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// The policy's own detection rules (keywords and/or regex), ids `custom.<id>`.
    #[serde(default)]
    pub rules: Vec<content::custom::CustomRule>,
    /// Layer 1: prompt and tool constraints.
    #[serde(default)]
    pub constraints: constraints::ConstraintsPolicy,
    /// Layer 2: runtime content policy.
    #[serde(default)]
    pub content: content::ContentPolicy,
    /// Layer 3: observability.
    #[serde(default)]
    pub observe: observe::ObservePolicy,
    /// Layer 4: human gates.
    #[serde(default)]
    pub gates: gates::GatesPolicy,
    /// Layer 5: governance.
    #[serde(default)]
    pub governance: governance::GovernancePolicy,
}

/// Whether decisions are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Decisions are enforced.
    #[default]
    Enforce,
    /// Decisions are reported; the enforced action is always `allow`.
    Shadow,
}

/// What an internal failure of an evaluator does to the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// Block the event (the safe default: an error never silently allows).
    #[default]
    Closed,
    /// Report the failure and allow the event.
    Open,
}

/// Fail mode, overall and per layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FailPolicy {
    /// For every layer without its own setting.
    pub default: FailMode,
    /// Constraints layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<FailMode>,
    /// Content layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<FailMode>,
    /// Observe layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observe: Option<FailMode>,
    /// Gates layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gates: Option<FailMode>,
    /// Governance layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub governance: Option<FailMode>,
}

impl FailPolicy {
    /// The fail mode of `layer`.
    pub fn for_layer(&self, layer: Layer) -> FailMode {
        let own = match layer {
            Layer::Constraints => self.constraints,
            Layer::Content => self.content,
            Layer::Observe => self.observe,
            Layer::Gates => self.gates,
            Layer::Governance => self.governance,
        };
        own.unwrap_or(self.default)
    }
}

/// Changes what the policy does with the findings of some rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Rule ids this applies to: an exact id or a glob with `*` (`secrets.*`, `*.ddl`).
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Findings of this category (`credential`, `pii`, `injection`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only findings of this layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Layer>,
    /// The action to take instead of the rule's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// The severity to report instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Run these rules in shadow mode (reported, never enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<bool>,
    /// The redaction operator for these findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redact_with: Option<content::redact::Operator>,
    /// The role that must approve when these findings escalate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_role: Option<String>,
}

/// A loaded, validated and compiled policy. Cheap to clone; build a
/// [`Guard`](crate::Guard) from it.
#[derive(Clone)]
pub struct Policy {
    pub(crate) inner: Arc<crate::guard::Compiled>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("hash", &self.inner.hash)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Loads a policy from YAML (or JSON) text, validating it fully: unknown keys, wrong
    /// types, invalid regexes and schemas are errors that name their path and line.
    pub fn from_yaml(text: &str) -> Result<Policy, PolicyError> {
        let located = load::parse(text).map_err(|i| PolicyError::new(vec![i]))?;
        Policy::from_located(located)
    }

    /// Loads a policy from JSON text (the same document as YAML, written as JSON).
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_yaml(text)
    }

    /// Loads a policy from an already-parsed JSON value (a Python dict converts to one).
    /// Errors name paths but no lines.
    pub fn from_value(value: serde_json::Value) -> Result<Policy, PolicyError> {
        Policy::from_located(load::Located {
            value,
            lines: Default::default(),
        })
    }

    /// The built-in default policy.
    pub fn builtin() -> Policy {
        // A unit test loads DEFAULT_POLICY_YAML, so this cannot fail in a released build.
        #[allow(clippy::expect_used, reason = "the built-in policy is tested to load")]
        Policy::from_yaml(DEFAULT_POLICY_YAML).expect("the built-in policy is valid")
    }

    fn from_located(located: load::Located) -> Result<Policy, PolicyError> {
        let with_lines = |issues: Vec<PolicyIssue>| {
            let mut issues: Vec<PolicyIssue> = issues
                .into_iter()
                .map(|mut i| {
                    if i.line.is_none() {
                        i.line = located.line_of(&i.path);
                    }
                    i
                })
                .collect();
            issues.sort_by_key(|i| i.line.unwrap_or(usize::MAX));
            PolicyError::new(issues)
        };
        if !located.value.is_object() {
            return Err(with_lines(vec![PolicyIssue {
                path: String::new(),
                line: Some(1),
                message: "the policy must be a mapping of sections, starting with `version: 1`"
                    .into(),
                hint: None,
            }]));
        }
        let doc: PolicyDoc = match serde_path_to_error::deserialize(&located.value) {
            Ok(doc) => doc,
            Err(e) => return Err(with_lines(vec![serde_issue(&e)])),
        };
        let mut diags = Diagnostics::default();
        if doc.version != 1 {
            diags.error(
                "version",
                format!(
                    "unsupported policy version `{}`; this release reads version 1",
                    doc.version
                ),
            );
        }
        let hash = hash::content_hash(&located.value);
        let compiled = crate::guard::Compiled::compile(doc, hash, &mut diags);
        if !diags.is_empty() {
            return Err(with_lines(diags.into_issues()));
        }
        Ok(Policy {
            inner: Arc::new(compiled),
        })
    }

    /// The content hash (`sha256:<hex>`) over the document's canonical form: formatting,
    /// comments, key order and YAML-vs-JSON do not change it.
    pub fn hash(&self) -> &str {
        &self.inner.hash
    }

    /// The document as loaded (with defaults filled in).
    pub fn doc(&self) -> &PolicyDoc {
        &self.inner.doc
    }

    /// Advice that does not make the policy invalid (`guardrail check-policy` prints it).
    pub fn lints(&self) -> Vec<String> {
        self.inner.lints()
    }

    /// The JSON Schema of the policy document, for editors and `docs/POLICY.md`.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(PolicyDoc)).unwrap_or_default()
    }
}

/// Turns a serde error at a path into an issue with a "did you mean" hint where the
/// message lists the expected names.
fn serde_issue(e: &serde_path_to_error::Error<serde_json::Error>) -> PolicyIssue {
    let message = e.inner().to_string();
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    // serde's messages: "unknown field `x`, expected one of `a`, `b`" / "expected `a`".
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let hint = if message.starts_with("unknown field") || message.starts_with("unknown variant") {
        quoted.split_first().and_then(|(given, expected)| {
            crate::util::did_you_mean(given, expected.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
        })
    } else {
        None
    };
    let path = match (message.starts_with("unknown field"), quoted.first()) {
        (true, Some(field)) if !path.ends_with(field) => {
            if path.is_empty() {
                field.to_string()
            } else {
                format!("{path}.{field}")
            }
        }
        _ => path,
    };
    PolicyIssue {
        path,
        line: None,
        message,
        hint,
    }
}

/// A glob over rule ids where `*` matches any run of characters.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = remaining.get(i + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_loads() {
        let p = Policy::from_yaml(DEFAULT_POLICY_YAML).unwrap();
        assert_eq!(p.hash(), Policy::builtin().hash());
    }

    #[test]
    fn hash_ignores_formatting_comments_and_syntax() {
        let a = Policy::from_yaml("version: 1\nmode: shadow # trial\n").unwrap();
        let b = Policy::from_json("{\"mode\": \"shadow\", \"version\": 1}").unwrap();
        let c = Policy::from_yaml("version: 1\nmode: enforce\n").unwrap();
        assert_eq!(a.hash(), b.hash());
        assert_ne!(a.hash(), c.hash());
    }

    #[test]
    fn unknown_keys_name_path_line_and_suggestion() {
        let e = Policy::from_yaml("version: 1\nrules:\n  - id: a\n    keywrds: [x]\n").unwrap_err();
        let i = &e.issues()[0];
        assert_eq!(i.path, "rules[0].keywrds");
        assert_eq!(i.line, Some(4));
        assert_eq!(i.hint.as_deref(), Some("did you mean `keywords`?"));
    }

    #[test]
    fn wrong_types_and_values_are_errors() {
        let e = Policy::from_yaml("version: 1\nmode: shadw\n").unwrap_err();
        assert_eq!(
            e.issues()[0].hint.as_deref(),
            Some("did you mean `shadow`?")
        );
        assert_eq!(e.issues()[0].line, Some(2));
        let e = Policy::from_yaml("version: 2\n").unwrap_err();
        assert!(e.to_string().contains("unsupported policy version"), "{e}");
        let e = Policy::from_yaml("mode: shadow\n").unwrap_err();
        assert!(e.to_string().contains("missing field `version`"), "{e}");
        let e = Policy::from_yaml("- 1\n- 2\n").unwrap_err();
        assert!(e.to_string().contains("must be a mapping"), "{e}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("secrets.*", "secrets.github_pat"));
        assert!(glob_match("*.ddl", "sql.ddl"));
        assert!(glob_match("a*b*c", "a-x-b-y-c"));
        assert!(!glob_match("secrets.*", "pii.email"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }
}
