//! Scope drift: a tool or resource used outside the agent's declared scope, and a shift of
//! a series' tool mix against its own baseline.
//!
//! The tool mix keeps two exponentially weighted tool-frequency vectors per series (a fast
//! one, the recent mix, and a slow one, the baseline) and flags when their total variation
//! distance `0.5 * sum |fast - slow|` exceeds the threshold. O(tools) per call, at most
//! `max_tools` tools (the rest count as `_other`).

use super::super::aggregate::OTHER;
use super::super::finding;
use super::glob_match;
use crate::event::Event;
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Deepest argument nesting searched for resource values.
const MAX_DEPTH: usize = 16;

/// What one agent may use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AgentScope {
    /// Tool names the agent may call (`*` globs: `db.*`). Empty: any tool.
    pub tools: Vec<String>,
    /// Resources the agent may touch (`*` globs: `s3://reports/*`), matched against the
    /// string argument values at `resource_keys`. Empty: any resource.
    pub resources: Vec<String>,
}

/// The `observe.tool_mix_shift` detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ToolMixConfig {
    /// Whether the detector runs.
    pub enabled: bool,
    /// The action for a tool-mix shift.
    pub action: Action,
    /// EWMA span of the recent mix, in tool calls.
    pub fast_span: u32,
    /// EWMA span of the baseline mix, in tool calls.
    pub slow_span: u32,
    /// Tool calls per series before shifts are flagged.
    pub warmup: u64,
    /// Flag when the total variation distance between the recent and the baseline mix
    /// exceeds this (0 to 1).
    pub threshold: f64,
    /// Most distinct tools tracked per series.
    pub max_tools: usize,
}

impl Default for ToolMixConfig {
    fn default() -> ToolMixConfig {
        ToolMixConfig {
            enabled: true,
            action: Action::Allow,
            fast_span: 30,
            slow_span: 500,
            warmup: 200,
            threshold: 0.4,
            max_tools: 32,
        }
    }
}

/// The `observe.scope_drift` detector and the tool mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScopeConfig {
    /// Whether out-of-scope checks run.
    pub enabled: bool,
    /// The action for a tool or resource outside the agent's scope.
    pub action: Action,
    /// Declared scopes by agent id; agents not listed are not checked.
    pub agents: BTreeMap<String, AgentScope>,
    /// Argument keys whose string values are resources (searched at any depth).
    pub resource_keys: Vec<String>,
    /// Shift of the tool mix against its baseline.
    pub tool_mix: ToolMixConfig,
}

impl Default for ScopeConfig {
    fn default() -> ScopeConfig {
        ScopeConfig {
            enabled: true,
            action: Action::Allow,
            agents: BTreeMap::new(),
            resource_keys: [
                "path", "file", "url", "uri", "host", "table", "bucket", "resource", "repo",
                "database",
            ]
            .map(String::from)
            .to_vec(),
            tool_mix: ToolMixConfig::default(),
        }
    }
}

/// Compiled scope checks.
#[derive(Debug, Clone)]
pub(crate) struct ScopeDrift {
    cfg: ScopeConfig,
}

/// (tool, fast frequency, slow frequency) per tool, plus the count and alert state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ToolMix {
    tools: Vec<(String, f64, f64)>,
    n: u64,
    active: bool,
}

impl ScopeConfig {
    pub(crate) fn compile(&self, path: &str, diags: &mut Diagnostics) -> ScopeDrift {
        let m = &self.tool_mix;
        if !(m.threshold > 0.0 && m.threshold <= 1.0) {
            diags.error(format!("{path}.tool_mix.threshold"), "must be in (0, 1]");
        }
        if m.fast_span < 2 || m.slow_span <= m.fast_span {
            diags.error(
                format!("{path}.tool_mix.slow_span"),
                "spans must satisfy 2 <= fast_span < slow_span",
            );
        }
        if !(2..=1024).contains(&m.max_tools) {
            diags.error(
                format!("{path}.tool_mix.max_tools"),
                "must be from 2 to 1024",
            );
        }
        ScopeDrift { cfg: self.clone() }
    }
}

impl ToolMix {
    /// Adds one call of `tool`; returns the total variation distance after it.
    fn add(&mut self, tool: &str, cfg: &ToolMixConfig) -> f64 {
        let af = 2.0 / (f64::from(cfg.fast_span) + 1.0);
        let as_ = 2.0 / (f64::from(cfg.slow_span) + 1.0);
        let known = self.tools.iter().any(|(t, _, _)| t == tool);
        let name = if known || self.tools.len() < cfg.max_tools {
            tool
        } else {
            OTHER
        };
        if !self.tools.iter().any(|(t, _, _)| t == name) {
            self.tools.push((name.to_string(), 0.0, 0.0));
        }
        let mut tv = 0.0;
        for (t, fast, slow) in &mut self.tools {
            let x = if t == name { 1.0 } else { 0.0 };
            *fast += af * (x - *fast);
            *slow += as_ * (x - *slow);
            tv += (*fast - *slow).abs();
        }
        self.n += 1;
        tv / 2.0
    }

    /// Tools whose recent share rose the most, for the evidence.
    fn movers(&self) -> String {
        let mut m: Vec<&(String, f64, f64)> = self.tools.iter().collect();
        m.sort_by(|a, b| (b.1 - b.2).abs().total_cmp(&(a.1 - a.2).abs()));
        m.iter()
            .take(3)
            .map(|(t, f, s)| format!("`{t}` {:.0}% -> {:.0}%", s * 100.0, f * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// String values at `keys` anywhere in `v`, depth-bounded.
fn resources<'a>(v: &'a serde_json::Value, keys: &[String], depth: usize, out: &mut Vec<&'a str>) {
    if depth > MAX_DEPTH || out.len() >= 64 {
        return;
    }
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) if keys.iter().any(|key| key == k) => {
                        out.push(s);
                    }
                    _ => resources(v, keys, depth + 1, out),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                resources(v, keys, depth + 1, out);
            }
        }
        _ => {}
    }
}

impl ScopeDrift {
    pub(crate) fn check(
        &self,
        event: &Event,
        tool: &str,
        args: &serde_json::Value,
        mix: &mut ToolMix,
        findings: &mut Vec<Finding>,
    ) {
        let agent = event.context.agent.as_deref();
        if let Some(scope) = agent
            .and_then(|a| self.cfg.agents.get(a))
            .filter(|_| self.cfg.enabled)
        {
            let agent = agent.unwrap_or_default();
            if !scope.tools.is_empty() && !scope.tools.iter().any(|g| glob_match(g, tool)) {
                findings.push(finding(
                    "observe.scope_drift",
                    "drift",
                    Severity::High,
                    self.cfg.action,
                    1.0,
                    format!(
                        "tool `{tool}` is outside agent `{agent}`'s declared scope (tools: {})",
                        scope.tools.join(", ")
                    ),
                ));
            }
            if !scope.resources.is_empty() {
                let mut found = Vec::new();
                resources(args, &self.cfg.resource_keys, 0, &mut found);
                if let Some(r) = found
                    .into_iter()
                    .find(|r| !scope.resources.iter().any(|g| glob_match(g, r)))
                {
                    findings.push(finding(
                        "observe.scope_drift",
                        "drift",
                        Severity::High,
                        self.cfg.action,
                        1.0,
                        format!(
                            "resource `{r}` (tool `{tool}`) is outside agent `{agent}`'s declared \
                             scope (resources: {})",
                            scope.resources.join(", ")
                        ),
                    ));
                }
            }
        }
        let cfg = &self.cfg.tool_mix;
        if !cfg.enabled {
            return;
        }
        let tv = mix.add(tool, cfg);
        if mix.n < cfg.warmup {
            return;
        }
        if !mix.active && tv > cfg.threshold {
            mix.active = true;
            let series = super::super::series_key(event);
            findings.push(finding(
                "observe.tool_mix_shift",
                "drift",
                Severity::Medium,
                cfg.action,
                0.7,
                format!(
                    "tool mix of `{series}` shifted: total variation {tv:.2} against its \
                     baseline (threshold {:.2}); {}",
                    cfg.threshold,
                    mix.movers()
                ),
            ));
        } else if mix.active && tv < cfg.threshold / 2.0 {
            mix.active = false;
        }
    }
}
