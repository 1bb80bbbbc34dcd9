//! Failure and drift detectors. Each file holds one detector: its policy section, its
//! bounded state and its check. Run-level state lives in the open run ([`RunDetect`]);
//! baselines live per series ([`SeriesDetectors`], keyed by workflow, else agent).

mod cost_overrun;
mod error_bursts;
mod loops;
mod quality_drift;
mod retry_spiral;
mod scope_drift;
mod spikes;

pub use cost_overrun::CostOverrunConfig;
pub use error_bursts::ErrorBurstConfig;
pub use loops::LoopConfig;
pub use quality_drift::QualityDriftConfig;
pub use retry_spiral::RetrySpiralConfig;
pub use scope_drift::{AgentScope, ScopeConfig, ToolMixConfig};
pub use spikes::SpikeConfig;

use super::aggregate::bounded_entry;
use super::trace::run_key;
use super::{series_key, CompiledObserve, ObservePolicy, ObserveState};
use crate::event::{Event, EventKind};
use crate::policy::Diagnostics;
use crate::Finding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// The compiled detectors.
#[derive(Debug, Clone)]
pub(crate) struct Detectors {
    pub retry: retry_spiral::RetrySpiral,
    pub loops: LoopConfig,
    pub cost: CostOverrunConfig,
    pub spikes: SpikeConfig,
    pub bursts: error_bursts::ErrorBursts,
    pub scope: scope_drift::ScopeDrift,
    pub quality: quality_drift::QualityDrift,
}

/// Per-run detector state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunDetect {
    /// Fingerprints of the run's latest tool calls, oldest first (bounded by the retry
    /// window).
    pub recent: VecDeque<u64>,
    pub retry: retry_spiral::RetryState,
    pub over_budget: bool,
    pub over_p95: bool,
}

/// Per-series detector baselines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SeriesDetectors {
    pub spikes: spikes::SpikeState,
    pub bursts: error_bursts::BurstState,
    pub mix: scope_drift::ToolMix,
    pub quality: quality_drift::QualityState,
    /// (p95 of run cost over the longest window, runs it is based on), refreshed per run.
    pub cost_p95: Option<(f64, u64)>,
}

impl Detectors {
    pub(crate) fn compile(p: &ObservePolicy, path: &str, diags: &mut Diagnostics) -> Detectors {
        Detectors {
            retry: p
                .retry_spiral
                .compile(&format!("{path}.retry_spiral"), diags),
            loops: p.loops.validated(&format!("{path}.loops"), diags),
            cost: p
                .cost_overrun
                .validated(&format!("{path}.cost_overrun"), diags),
            spikes: p.spikes.validated(&format!("{path}.spikes"), diags),
            bursts: p
                .error_bursts
                .compile(&format!("{path}.error_bursts"), diags),
            scope: p.scope.compile(&format!("{path}.scope"), diags),
            quality: p
                .quality_drift
                .compile(&format!("{path}.quality_drift"), diags),
        }
    }

    /// The fingerprint of a tool call: SHA-256 of the tool name and its canonical
    /// arguments (keys sorted, volatile fields and values removed), first 8 bytes.
    pub(crate) fn fingerprint(&self, tool: &str, args: &serde_json::Value) -> u64 {
        let mut h = Sha256::new();
        h.update(tool.as_bytes());
        h.update([0u8]);
        self.retry.canonical_into(args, &mut h, 0);
        let digest = h.finalize();
        let mut first = [0u8; 8];
        for (dst, src) in first.iter_mut().zip(digest.iter()) {
            *dst = *src;
        }
        u64::from_be_bytes(first)
    }

    /// Runs every detector that looks at this event.
    pub(crate) fn run(
        &self,
        policy: &CompiledObserve,
        event: &Event,
        cost: f64,
        state: &mut ObserveState,
        findings: &mut Vec<Finding>,
    ) {
        let (key, _) = run_key(event);
        let run_cost_p95 = {
            let series = series_key(event);
            state.detect.get(series).and_then(|d| d.cost_p95)
        };
        // Run-level detectors. Events without a run id belong to no run: grouping unrelated
        // requests (a service's concurrent calls) would make up spirals and loops.
        let in_run = event.context.run.is_some();
        if let Some(run) = state.runs.get_mut(key.as_ref()).filter(|_| in_run) {
            match &event.kind {
                EventKind::ToolCall { tool, .. } => {
                    let fp = run
                        .pending
                        .last()
                        .map(|p| p.fingerprint)
                        .unwrap_or_default();
                    self.retry.on_call(event, tool, fp, run, findings);
                    self.loops.on_call(event, run, findings);
                    self.cost.on_step(event, run, run_cost_p95, findings);
                }
                EventKind::ToolResult { tool, status, .. } => {
                    self.retry.on_result(tool, *status, run);
                }
                EventKind::LlmUsage { .. } => {
                    self.cost.on_step(event, run, run_cost_p95, findings);
                }
                _ => {}
            }
        }
        // Series-level detectors.
        let name = series_key(event);
        let Some(det) = bounded_entry(&mut state.detect, name, policy.limits.max_series) else {
            return;
        };
        match &event.kind {
            EventKind::LlmUsage {
                input_tokens,
                output_tokens,
                ..
            } => {
                let tokens = (*input_tokens).saturating_add(*output_tokens) as f64;
                self.spikes
                    .check(event, name, tokens, cost, &mut det.spikes, findings);
            }
            EventKind::ToolCall { tool, args, .. } => {
                self.scope.check(event, tool, args, &mut det.mix, findings);
            }
            EventKind::ToolResult { status, .. } => {
                self.bursts
                    .on_tool_result(event, name, *status, &mut det.bursts, findings);
                self.quality
                    .on_tool_result(event, name, *status, &mut det.quality, findings);
            }
            EventKind::ModelOutput { text, .. } => {
                self.quality
                    .on_output(event, name, text, &mut det.quality, findings);
            }
            EventKind::RunEnd { outcome, quality } => {
                self.bursts
                    .on_run_end(event, name, *outcome, &mut det.bursts, findings);
                if let Some(q) = quality {
                    self.quality
                        .on_score(event, name, *q, &mut det.quality, findings);
                }
                // Refresh the workflow's run-cost p95 once per finished run.
                if let Some(wf) = event.context.workflow.as_deref() {
                    let longest = policy.windows_ms.len().saturating_sub(1);
                    let now = state.now_ms;
                    if let Some(view) = state.workflows.get(wf).and_then(|s| s.view(longest, now)) {
                        det.cost_p95 = view
                            .run_cost
                            .quantile(0.95)
                            .map(|p| (p, view.run_cost.count()));
                    }
                }
            }
            _ => {}
        }
    }
}

/// `*`-glob matching (linear: one backtrack point).
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// Exponentially weighted mean and variance (CONVENTIONS g): 2 floats and a count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ewma {
    pub mean: f64,
    pub var: f64,
    pub n: u64,
}

impl Ewma {
    pub(crate) fn update(&mut self, x: f64, alpha: f64) {
        if self.n == 0 {
            self.mean = x;
            self.var = 0.0;
        } else {
            let d = x - self.mean;
            self.mean += alpha * d;
            self.var = (1.0 - alpha) * (self.var + alpha * d * d);
        }
        self.n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_linearly() {
        assert!(glob_match("db.*", "db.query"));
        assert!(glob_match("*", ""));
        assert!(glob_match("s3://reports/*/2026*", "s3://reports/x/2026-01"));
        assert!(!glob_match("db.*", "http.get"));
        assert!(!glob_match("a", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        let long = "a".repeat(10_000);
        assert!(!glob_match("*a*a*a*a*b", &long));
    }
}
