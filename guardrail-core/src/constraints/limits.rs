//! Size limits on prompts, model output, tool arguments and tool results. Oversized input is
//! blocked before any detector reads it, which also bounds the work one event can cost.

use crate::decision::{Action, Severity, Span};
use crate::event::EventKind;
use crate::policy::Diagnostics;
use crate::scan::Hit;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The `constraints.limits` section: maximum sizes in bytes (`0` disables a limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsPolicy {
    /// Largest prompt text.
    pub max_prompt_bytes: usize,
    /// Largest model output text.
    pub max_model_output_bytes: usize,
    /// Largest tool-call arguments, as compact JSON.
    pub max_tool_args_bytes: usize,
    /// Largest tool result, as text or compact JSON.
    pub max_tool_output_bytes: usize,
}

impl Default for LimitsPolicy {
    fn default() -> LimitsPolicy {
        LimitsPolicy {
            max_prompt_bytes: 1 << 20,
            max_model_output_bytes: 4 << 20,
            max_tool_args_bytes: 256 << 10,
            max_tool_output_bytes: 4 << 20,
        }
    }
}

impl LimitsPolicy {
    pub(crate) fn validate(&self, _diags: &mut Diagnostics) {}

    /// The size-limit hit for `kind`, if its payload is larger than allowed, with the JSON
    /// pointer of the payload.
    pub(crate) fn check(&self, kind: &EventKind) -> Option<(&'static str, Hit)> {
        let (rule, path, limit, size) = match kind {
            EventKind::Prompt { text, .. } => (
                "limits.prompt_size",
                "/text",
                self.max_prompt_bytes,
                text.len(),
            ),
            EventKind::ModelOutput { text, .. } => (
                "limits.model_output_size",
                "/text",
                self.max_model_output_bytes,
                text.len(),
            ),
            EventKind::ToolCall { args, .. } => (
                "limits.tool_args_size",
                "/args",
                self.max_tool_args_bytes,
                json_len(args),
            ),
            EventKind::ToolResult { output, .. } => (
                "limits.tool_output_size",
                "/output",
                self.max_tool_output_bytes,
                match output {
                    serde_json::Value::String(s) => s.len(),
                    other => json_len(other),
                },
            ),
            _ => return None,
        };
        if limit == 0 || size <= limit {
            return None;
        }
        Some((
            path,
            Hit {
                rule: Cow::Borrowed(rule),
                category: Cow::Borrowed("size_limit"),
                severity: Severity::Medium,
                confidence: 1.0,
                action: Action::Block,
                span: Span::new(0, 0),
                message: format!("payload is {size} bytes; the policy allows {limit}"),
                suggestion: Some(
                    "truncate or summarize the payload, or raise the limit in constraints.limits"
                        .into(),
                ),
                package: None,
            },
        ))
    }
}

/// Length of the compact JSON form, counted without building it.
fn json_len(value: &serde_json::Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    match serde_json::to_writer(&mut c, value) {
        Ok(()) => c.0,
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_payloads_are_blocked() {
        let limits = LimitsPolicy {
            max_prompt_bytes: 10,
            ..LimitsPolicy::default()
        };
        let small = EventKind::Prompt {
            role: Default::default(),
            text: "hi".into(),
        };
        assert!(limits.check(&small).is_none());
        let big = EventKind::Prompt {
            role: Default::default(),
            text: "x".repeat(11),
        };
        let (path, hit) = limits.check(&big).unwrap();
        assert_eq!(
            (path, hit.rule.as_ref(), hit.action),
            ("/text", "limits.prompt_size", Action::Block)
        );
        let args = EventKind::ToolCall {
            tool: "t".into(),
            call_id: None,
            args: serde_json::json!({"a": "x".repeat(300 << 10)}),
        };
        assert_eq!(limits.check(&args).unwrap().1.rule, "limits.tool_args_size");
    }

    #[test]
    fn zero_disables_a_limit() {
        let limits = LimitsPolicy {
            max_prompt_bytes: 0,
            ..LimitsPolicy::default()
        };
        let big = EventKind::Prompt {
            role: Default::default(),
            text: "x".repeat(2 << 20),
        };
        assert!(limits.check(&big).is_none());
    }
}
