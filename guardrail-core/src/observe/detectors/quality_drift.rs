//! Silent quality drift: CUSUM change detection (Page 1954) on host-reported quality scores
//! and on behavioural proxies: output length, refusal rate and tool-error rate.
//!
//! Each metric is averaged over small batches (so rates become roughly normal), a baseline
//! mean and sigma are learned from the first `warmup_batches` batches, then a two-sided CUSUM
//! on standardized batch means runs: `S+ = max(0, S+ + z - k)`, `S- = max(0, S- - z - k)`,
//! alarm when either exceeds `h`. After an alarm the baseline is learned again, so a
//! lasting shift is one finding. Only harmful directions are reported: quality down,
//! refusals and tool errors up, output length either way.

use super::super::finding;
use crate::event::{Event, ToolStatus};
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use aho_corasick::AhoCorasick;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bytes at the start of an output searched for refusal phrases.
const REFUSAL_PREFIX: usize = 400;

/// The `observe.quality_drift` detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct QualityDriftConfig {
    /// Whether the detector runs.
    pub enabled: bool,
    /// The action for a drift.
    pub action: Action,
    /// Batches that form the baseline (after start and after each alarm).
    pub warmup_batches: u32,
    /// CUSUM slack k, in baseline sigmas (0.5 targets a one-sigma shift).
    pub k: f64,
    /// CUSUM alarm threshold h, in baseline sigmas.
    pub h: f64,
    /// Quality scores per batch.
    pub quality_batch: u32,
    /// Model outputs per batch for output length.
    pub length_batch: u32,
    /// Events per batch for the refusal and tool-error rates.
    pub rate_batch: u32,
    /// Phrases that mark a model output as a refusal (case-insensitive, searched in the
    /// first 400 bytes).
    pub refusal_phrases: Vec<String>,
}

impl Default for QualityDriftConfig {
    fn default() -> QualityDriftConfig {
        QualityDriftConfig {
            enabled: true,
            action: Action::Allow,
            warmup_batches: 20,
            k: 0.5,
            h: 8.0,
            quality_batch: 5,
            length_batch: 10,
            rate_batch: 20,
            refusal_phrases: [
                "i can't help",
                "i cannot help",
                "i can't assist",
                "i cannot assist",
                "i'm unable to",
                "i am unable to",
                "i won't be able to",
                "i'm sorry, but i can",
                "i must decline",
                "i can't provide",
                "i cannot provide",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Which metric, for messages and direction.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Metric {
    Quality,
    Length,
    Refusal,
    ToolError,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Quality => "quality score",
            Metric::Length => "output length",
            Metric::Refusal => "refusal rate",
            Metric::ToolError => "tool-error rate",
        }
    }
}

/// CUSUM state of one metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cusum {
    batch_sum: f64,
    batch_n: u32,
    warm_n: u32,
    warm_mean: f64,
    warm_m2: f64,
    sigma: f64,
    hi: f64,
    lo: f64,
}

/// The four metrics of one series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct QualityState {
    quality: Cusum,
    length: Cusum,
    refusal: Cusum,
    tool_error: Cusum,
}

/// Compiled: the refusal phrase matcher.
#[derive(Debug, Clone)]
pub(crate) struct QualityDrift {
    cfg: QualityDriftConfig,
    refusals: Option<AhoCorasick>,
}

impl QualityDriftConfig {
    pub(crate) fn compile(&self, path: &str, diags: &mut Diagnostics) -> QualityDrift {
        if !(2..=10_000).contains(&self.warmup_batches) {
            diags.error(format!("{path}.warmup_batches"), "must be from 2 to 10000");
        }
        if !(self.k.is_finite() && self.k >= 0.0) {
            diags.error(format!("{path}.k"), "must be 0 or more");
        }
        if !(self.h.is_finite() && self.h > 0.0) {
            diags.error(format!("{path}.h"), "must be a positive number");
        }
        for (name, b) in [
            ("quality_batch", self.quality_batch),
            ("length_batch", self.length_batch),
            ("rate_batch", self.rate_batch),
        ] {
            if !(1..=10_000).contains(&b) {
                diags.error(format!("{path}.{name}"), "must be from 1 to 10000");
            }
        }
        let refusals = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&self.refusal_phrases)
            .map_err(|e| diags.error(format!("{path}.refusal_phrases"), e.to_string()))
            .ok();
        QualityDrift {
            cfg: self.clone(),
            refusals,
        }
    }
}

impl Cusum {
    /// Adds one observation; returns (batch mean, baseline mean, +1 up / -1 down) on alarm.
    fn add(
        &mut self,
        x: f64,
        batch: u32,
        cfg: &QualityDriftConfig,
        floor: impl Fn(f64) -> f64,
    ) -> Option<(f64, f64, i8)> {
        if !x.is_finite() {
            return None;
        }
        self.batch_sum += x;
        self.batch_n += 1;
        if self.batch_n < batch.max(1) {
            return None;
        }
        let m = self.batch_sum / f64::from(self.batch_n);
        self.batch_sum = 0.0;
        self.batch_n = 0;
        if self.warm_n < cfg.warmup_batches {
            // Welford's running mean and variance of batch means.
            self.warm_n += 1;
            let d = m - self.warm_mean;
            self.warm_mean += d / f64::from(self.warm_n);
            self.warm_m2 += d * (m - self.warm_mean);
            if self.warm_n == cfg.warmup_batches {
                let sd = (self.warm_m2 / f64::from(self.warm_n - 1).max(1.0)).sqrt();
                self.sigma = sd.max(floor(self.warm_mean)).max(1e-9);
            }
            return None;
        }
        let z = (m - self.warm_mean) / self.sigma;
        self.hi = (self.hi + z - cfg.k).max(0.0);
        self.lo = (self.lo - z - cfg.k).max(0.0);
        let dir = if self.hi > cfg.h {
            1
        } else if self.lo > cfg.h {
            -1
        } else {
            return None;
        };
        let baseline = self.warm_mean;
        *self = Cusum::default();
        Some((m, baseline, dir))
    }
}

impl QualityDrift {
    fn report(
        &self,
        series: &str,
        metric: Metric,
        alarm: Option<(f64, f64, i8)>,
        findings: &mut Vec<Finding>,
    ) {
        let Some((now, baseline, dir)) = alarm else {
            return;
        };
        let harmful = match metric {
            Metric::Quality => dir < 0,
            Metric::Length => true,
            Metric::Refusal | Metric::ToolError => dir > 0,
        };
        if !harmful {
            return;
        }
        let shown = |v: f64| match metric {
            Metric::Length => format!("{v:.0} chars"),
            Metric::Quality => format!("{v:.3}"),
            _ => format!("{:.1}%", v * 100.0),
        };
        findings.push(finding(
            "observe.quality_drift",
            "drift",
            Severity::Medium,
            self.cfg.action,
            0.7,
            format!(
                "{} of `{series}` drifted {}: recent batch {} against a baseline of {} (CUSUM \
                 k = {}, h = {})",
                metric.name(),
                if dir > 0 { "up" } else { "down" },
                shown(now),
                shown(baseline),
                self.cfg.k,
                self.cfg.h
            ),
        ));
    }

    fn rate_floor(&self) -> impl Fn(f64) -> f64 {
        let b = f64::from(self.cfg.rate_batch.max(1));
        move |p: f64| (p.max(0.02) * (1.0 - p).max(0.02) / b).sqrt()
    }

    pub(crate) fn on_score(
        &self,
        _e: &Event,
        series: &str,
        q: f64,
        st: &mut QualityState,
        findings: &mut Vec<Finding>,
    ) {
        if !self.cfg.enabled {
            return;
        }
        let alarm = st
            .quality
            .add(q, self.cfg.quality_batch, &self.cfg, |_| 0.01);
        self.report(series, Metric::Quality, alarm, findings);
    }

    pub(crate) fn on_output(
        &self,
        _e: &Event,
        series: &str,
        text: &str,
        st: &mut QualityState,
        findings: &mut Vec<Finding>,
    ) {
        if !self.cfg.enabled {
            return;
        }
        let len = text.chars().count() as f64;
        let alarm = st
            .length
            .add(len, self.cfg.length_batch, &self.cfg, |m| 0.05 * m.abs());
        self.report(series, Metric::Length, alarm, findings);
        let head = text
            .as_bytes()
            .get(..REFUSAL_PREFIX)
            .unwrap_or(text.as_bytes());
        let refused = self.refusals.as_ref().is_some_and(|ac| ac.is_match(head));
        let x = if refused { 1.0 } else { 0.0 };
        let alarm = st
            .refusal
            .add(x, self.cfg.rate_batch, &self.cfg, self.rate_floor());
        self.report(series, Metric::Refusal, alarm, findings);
    }

    pub(crate) fn on_tool_result(
        &self,
        _e: &Event,
        series: &str,
        status: ToolStatus,
        st: &mut QualityState,
        findings: &mut Vec<Finding>,
    ) {
        if !self.cfg.enabled {
            return;
        }
        let x = if status == ToolStatus::Ok { 0.0 } else { 1.0 };
        let alarm = st
            .tool_error
            .add(x, self.cfg.rate_batch, &self.cfg, self.rate_floor());
        self.report(series, Metric::ToolError, alarm, findings);
    }
}
