//! Retry spirals: the same tool call (same fingerprint of tool and canonical arguments)
//! repeated within a run, or a tool failing again and again while the run's cost grows.
//! Flagged on the `tool_call` that retries, so a `block` or `escalate` policy stops it.

use super::super::finding;
use super::super::trace::RunTrace;
use crate::event::{Event, ToolStatus};
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Deepest argument nesting that goes into a fingerprint; deeper values hash as a marker.
const MAX_DEPTH: usize = 32;

/// The `observe.retry_spiral` detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySpiralConfig {
    /// Whether the detector runs.
    pub enabled: bool,
    /// The action for a retry spiral.
    pub action: Action,
    /// Flag when the same call (tool and arguments) occurs this many times among the run's
    /// last `window` tool calls.
    pub min_repeats: usize,
    /// Flag a call to a tool that has just failed this many times in a row (any arguments).
    pub max_consecutive_failures: u32,
    /// How many recent tool calls per run are remembered.
    pub window: usize,
    /// Argument keys left out of the fingerprint because they change on every attempt
    /// (compared case-insensitively, `-` equal to `_`). String values that look like
    /// RFC 3339 timestamps or UUIDs are always left out.
    pub volatile_fields: Vec<String>,
}

impl Default for RetrySpiralConfig {
    fn default() -> RetrySpiralConfig {
        RetrySpiralConfig {
            enabled: true,
            action: Action::Escalate,
            min_repeats: 4,
            max_consecutive_failures: 3,
            window: 32,
            volatile_fields: [
                "ts",
                "timestamp",
                "time",
                "now",
                "date",
                "request_id",
                "requestid",
                "idempotency_key",
                "nonce",
                "trace_id",
                "span_id",
                "traceparent",
                "call_id",
                "attempt",
                "retry",
                "retry_count",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Compiled: volatile keys normalized once.
#[derive(Debug, Clone)]
pub(crate) struct RetrySpiral {
    pub cfg: RetrySpiralConfig,
    volatile: Vec<String>,
}

/// Per-run state of the failure chain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RetryState {
    /// The tool of the current failure chain and how many times in a row it failed.
    pub failing_tool: Option<String>,
    pub failures: u32,
    /// The run's cost when the chain (or the repeated call) began.
    pub chain_start_cost: f64,
    /// (fingerprint, run cost at its first occurrence), for the recent calls.
    pub first_cost: Vec<(u64, f64)>,
}

fn normalize(key: &str) -> String {
    key.to_ascii_lowercase().replace('-', "_")
}

/// Whether a string value changes on every attempt: an RFC 3339 time or a UUID.
fn volatile_value(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let is_time = b.len() >= 19
        && digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b't' | b' '));
    let is_uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    is_time || is_uuid
}

impl RetrySpiralConfig {
    pub(crate) fn compile(&self, path: &str, diags: &mut Diagnostics) -> RetrySpiral {
        if !(2..=1000).contains(&self.window) {
            diags.error(format!("{path}.window"), "must be from 2 to 1000 calls");
        }
        if self.min_repeats < 2 || self.min_repeats > self.window {
            diags.error(
                format!("{path}.min_repeats"),
                "must be at least 2 and at most `window`",
            );
        }
        if self.max_consecutive_failures == 0 {
            diags.error(
                format!("{path}.max_consecutive_failures"),
                "must be at least 1",
            );
        }
        RetrySpiral {
            cfg: self.clone(),
            volatile: self.volatile_fields.iter().map(|k| normalize(k)).collect(),
        }
    }
}

impl RetrySpiral {
    /// Feeds the canonical form of `v` into `h`: object keys sorted, volatile keys and
    /// values skipped, every value tagged by type so `"1"` and `1` differ.
    pub(crate) fn canonical_into(&self, v: &serde_json::Value, h: &mut Sha256, depth: usize) {
        use serde_json::Value;
        if depth > MAX_DEPTH {
            h.update(b"~");
            return;
        }
        match v {
            Value::Null => h.update(b"n"),
            Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
            Value::Number(n) => {
                h.update(b"#");
                h.update(n.to_string().as_bytes());
            }
            Value::String(s) => {
                if volatile_value(s) {
                    h.update(b"v");
                } else {
                    h.update(b"s");
                    h.update((s.len() as u64).to_be_bytes());
                    h.update(s.as_bytes());
                }
            }
            Value::Array(items) => {
                h.update(b"[");
                for item in items {
                    self.canonical_into(item, h, depth + 1);
                }
                h.update(b"]");
            }
            Value::Object(map) => {
                let mut keys: Vec<&String> = map
                    .keys()
                    .filter(|k| !self.volatile.contains(&normalize(k)))
                    .collect();
                keys.sort();
                h.update(b"{");
                for k in keys {
                    h.update((k.len() as u64).to_be_bytes());
                    h.update(k.as_bytes());
                    if let Some(v) = map.get(k) {
                        self.canonical_into(v, h, depth + 1);
                    }
                }
                h.update(b"}");
            }
        }
    }

    /// A `tool_call`: remember it, and flag it when it repeats or retries a failing tool.
    pub(crate) fn on_call(
        &self,
        event: &Event,
        tool: &str,
        fp: u64,
        run: &mut RunTrace,
        findings: &mut Vec<Finding>,
    ) {
        let d = &mut run.detect;
        if d.recent.len() >= self.cfg.window {
            d.recent.pop_front();
        }
        d.recent.push_back(fp);
        let st = &mut d.retry;
        if !st.first_cost.iter().any(|(f, _)| *f == fp) {
            if st.first_cost.len() >= self.cfg.window {
                st.first_cost.remove(0);
            }
            st.first_cost.push((fp, run.cost_usd));
        }
        if !self.cfg.enabled {
            return;
        }
        let repeats = d.recent.iter().filter(|f| **f == fp).count();
        let chain = match &st.failing_tool {
            Some(t) if t == tool => st.failures,
            _ => 0,
        };
        if repeats < self.cfg.min_repeats && chain < self.cfg.max_consecutive_failures {
            return;
        }
        let since = if repeats >= self.cfg.min_repeats {
            st.first_cost
                .iter()
                .find(|(f, _)| *f == fp)
                .map_or(run.cost_usd, |(_, c)| *c)
        } else {
            st.chain_start_cost
        };
        let grown = (run.cost_usd - since).max(0.0);
        let run_name = event.context.run.as_deref().unwrap_or("(no run id)");
        let mut msg = format!(
            "retry spiral in run `{run_name}`: `{tool}` called {repeats} times with the same \
             arguments (fingerprint {fp:016x}) in the last {} calls",
            d.recent.len()
        );
        if chain > 0 {
            msg.push_str(&format!(", {chain} failures in a row"));
        }
        msg.push_str(&format!(
            "; the run has spent ${grown:.4} since the first attempt (${:.4} in total)",
            run.cost_usd
        ));
        // Confidence: both signals, or growing cost, make a spiral more certain.
        let confidence = match (repeats >= self.cfg.min_repeats, chain > 0, grown > 0.0) {
            (true, true, _) | (_, _, true) => 0.95,
            _ => 0.8,
        };
        findings.push(finding(
            "observe.retry_spiral",
            "reliability",
            Severity::High,
            self.cfg.action,
            confidence,
            msg,
        ));
    }

    /// A `tool_result`: extend or end the tool's failure chain.
    pub(crate) fn on_result(&self, tool: &str, status: ToolStatus, run: &mut RunTrace) {
        let st = &mut run.detect.retry;
        if status == ToolStatus::Ok {
            if st.failing_tool.as_deref() == Some(tool) {
                st.failing_tool = None;
                st.failures = 0;
            }
            return;
        }
        if st.failing_tool.as_deref() == Some(tool) {
            st.failures = st.failures.saturating_add(1);
        } else {
            st.failing_tool = Some(tool.to_string());
            st.failures = 1;
            st.chain_start_cost = run.cost_usd;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fp(r: &RetrySpiral, v: serde_json::Value) -> [u8; 32] {
        let mut h = Sha256::new();
        r.canonical_into(&v, &mut h, 0);
        h.finalize().into()
    }

    #[test]
    fn canonical_form_ignores_key_order_and_volatile_fields() {
        let r = RetrySpiralConfig::default().compile("x", &mut Diagnostics::default());
        let a = fp(&r, json!({"b": 1, "a": "x", "request-id": "r-1", "ts": 5}));
        let b = fp(&r, json!({"a": "x", "b": 1, "Request_Id": "r-2"}));
        assert_eq!(a, b);
        let c = fp(&r, json!({"a": "x", "b": 2}));
        assert_ne!(a, c);
        let d = fp(&r, json!({"a": "x", "b": "1"}));
        assert_ne!(a, d, "types are part of the form");
        let t1 = fp(&r, json!({"q": "x", "at": "2026-11-23T10:15:02Z"}));
        let t2 = fp(&r, json!({"q": "x", "at": "2026-11-23T10:16:07.5Z"}));
        assert_eq!(t1, t2);
        let u1 = fp(&r, json!(["123e4567-e89b-12d3-a456-426614174000"]));
        let u2 = fp(&r, json!(["00000000-0000-0000-0000-000000000000"]));
        assert_eq!(u1, u2);
    }

    #[test]
    fn deep_arguments_do_not_overflow() {
        let r = RetrySpiralConfig::default().compile("x", &mut Diagnostics::default());
        let mut v = json!(1);
        for _ in 0..500 {
            v = json!([v]);
        }
        let deep = fp(&r, v.clone());
        // Values past the depth limit hash alike: the bound is what keeps recursion safe.
        let mut w = json!(2);
        for _ in 0..500 {
            w = json!([w]);
        }
        assert_eq!(deep, fp(&r, w));
    }

    #[test]
    fn bad_config_is_reported() {
        let mut d = Diagnostics::default();
        RetrySpiralConfig {
            min_repeats: 1,
            window: 1,
            max_consecutive_failures: 0,
            ..RetrySpiralConfig::default()
        }
        .compile("observe.retry_spiral", &mut d);
        let paths: Vec<String> = d.into_issues().into_iter().map(|i| i.path).collect();
        assert_eq!(paths.len(), 3, "{paths:?}");
    }
}
