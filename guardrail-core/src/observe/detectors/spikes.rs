//! Token and cost spikes: one LLM call far above its series' baseline. The baseline is an
//! EWMA of the mean and variance (CONVENTIONS g); a call is a spike when
//! `z = (x - mean) / sigma` exceeds the threshold after a warm-up. Spikes enter the baseline
//! clipped at the threshold so one outlier does not mask the next.

use super::super::finding;
use super::Ewma;
use crate::event::Event;
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `observe.token_spike` and `observe.cost_spike` detectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SpikeConfig {
    /// Whether the detectors run.
    pub enabled: bool,
    /// The action for a spike.
    pub action: Action,
    /// The EWMA span N in calls (smoothing factor 2 / (N + 1)).
    pub span: u32,
    /// Flag calls whose z-score exceeds this.
    pub z_threshold: f64,
    /// Calls per series before spikes are flagged.
    pub warmup: u64,
    /// The smallest sigma, as a fraction of the mean, so a perfectly steady baseline does
    /// not flag tiny changes.
    pub min_relative_sigma: f64,
}

impl Default for SpikeConfig {
    fn default() -> SpikeConfig {
        SpikeConfig {
            enabled: true,
            action: Action::Allow,
            span: 50,
            z_threshold: 4.0,
            warmup: 30,
            min_relative_sigma: 0.1,
        }
    }
}

/// Baselines of tokens and cost per call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpikeState {
    pub tokens: Ewma,
    pub cost: Ewma,
}

impl SpikeConfig {
    pub(crate) fn validated(&self, path: &str, diags: &mut Diagnostics) -> SpikeConfig {
        if !(2..=100_000).contains(&self.span) {
            diags.error(format!("{path}.span"), "must be from 2 to 100000 calls");
        }
        if !(self.z_threshold.is_finite() && self.z_threshold > 0.0) {
            diags.error(format!("{path}.z_threshold"), "must be a positive number");
        }
        if !(self.min_relative_sigma.is_finite() && self.min_relative_sigma >= 0.0) {
            diags.error(format!("{path}.min_relative_sigma"), "must be 0 or more");
        }
        self.clone()
    }

    /// Returns the z-score of `x` against `e` (before updating `e` with it).
    fn step(&self, e: &mut Ewma, x: f64) -> Option<f64> {
        let alpha = 2.0 / (f64::from(self.span) + 1.0);
        let sigma = e
            .var
            .sqrt()
            .max(self.min_relative_sigma * e.mean.abs())
            .max(1e-12);
        let z = (e.n >= self.warmup).then(|| (x - e.mean) / sigma);
        let clipped = match z {
            Some(z) if z > self.z_threshold => e.mean + self.z_threshold * sigma,
            _ => x,
        };
        e.update(clipped, alpha);
        z
    }

    pub(crate) fn check(
        &self,
        event: &Event,
        series: &str,
        tokens: f64,
        cost: f64,
        st: &mut SpikeState,
        findings: &mut Vec<Finding>,
    ) {
        if !self.enabled {
            return;
        }
        let before = (st.tokens.mean, st.cost.mean);
        let zt = self.step(&mut st.tokens, tokens);
        let zc = self.step(&mut st.cost, cost);
        let model = match &event.kind {
            crate::event::EventKind::LlmUsage { model, .. } => model.as_str(),
            _ => "",
        };
        if let Some(z) = zt.filter(|z| *z > self.z_threshold) {
            findings.push(finding(
                "observe.token_spike",
                "cost",
                Severity::Medium,
                self.action,
                0.8,
                format!(
                    "token spike in `{series}`: a `{model}` call used {tokens:.0} tokens, \
                     z = {z:.1} against a baseline of {:.0}",
                    before.0
                ),
            ));
        }
        if let Some(z) = zc.filter(|z| *z > self.z_threshold) {
            findings.push(finding(
                "observe.cost_spike",
                "cost",
                Severity::Medium,
                self.action,
                0.8,
                format!(
                    "cost spike in `{series}`: a `{model}` call cost ${cost:.4}, z = {z:.1} \
                     against a baseline of ${:.4}",
                    before.1
                ),
            ));
        }
    }
}
