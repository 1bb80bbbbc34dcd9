//! Timeouts and error-rate bursts per series over a short rolling window. An alert fires when
//! the window crosses its threshold and re-arms once the window falls below half of it, so a
//! burst is one finding, not one per event.

use super::super::aggregate::Ring;
use super::super::{duration_at, finding, human_ms};
use crate::event::{Event, Outcome, ToolStatus};
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Slots of the burst window.
const SLOTS: usize = 10;

/// The `observe.error_burst` and `observe.timeout_burst` detectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ErrorBurstConfig {
    /// Whether the detectors run.
    pub enabled: bool,
    /// The action for a burst.
    pub action: Action,
    /// The rolling window (`1m` to `1d`).
    pub window: String,
    /// Tool results in the window before the error rate is judged.
    pub min_calls: u64,
    /// Flag when this fraction of the window's tool results are errors or timeouts.
    pub max_error_rate: f64,
    /// Flag a timeout burst when the window holds at least this many timeouts (tool timeouts
    /// and timed-out runs) and they reach `max_timeout_rate`.
    pub max_timeouts: u64,
    /// The smallest fraction of the window's tool results and runs that timed out for a
    /// timeout burst (with at least `max_timeouts` of them).
    pub max_timeout_rate: f64,
}

impl Default for ErrorBurstConfig {
    fn default() -> ErrorBurstConfig {
        ErrorBurstConfig {
            enabled: true,
            action: Action::Allow,
            window: "5m".into(),
            min_calls: 10,
            max_error_rate: 0.5,
            max_timeouts: 5,
            max_timeout_rate: 0.1,
        }
    }
}

/// Compiled: the window in milliseconds.
#[derive(Debug, Clone)]
pub(crate) struct ErrorBursts {
    cfg: ErrorBurstConfig,
    window_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BurstCounts {
    calls: u64,
    runs: u64,
    errors: u64,
    timeouts: u64,
}

/// Window counts and alert state of one series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BurstState {
    ring: Option<Ring<BurstCounts>>,
    error_active: bool,
    timeout_active: bool,
}

impl ErrorBurstConfig {
    pub(crate) fn compile(&self, path: &str, diags: &mut Diagnostics) -> ErrorBursts {
        let window_ms = duration_at(
            &self.window,
            &format!("{path}.window"),
            60_000,
            86_400_000,
            diags,
        );
        if !(self.max_error_rate > 0.0 && self.max_error_rate <= 1.0) {
            diags.error(format!("{path}.max_error_rate"), "must be in (0, 1]");
        }
        if !(self.max_timeout_rate > 0.0 && self.max_timeout_rate <= 1.0) {
            diags.error(format!("{path}.max_timeout_rate"), "must be in (0, 1]");
        }
        if self.max_timeouts == 0 {
            diags.error(format!("{path}.max_timeouts"), "must be at least 1");
        }
        ErrorBursts {
            cfg: self.clone(),
            window_ms,
        }
    }
}

impl ErrorBursts {
    fn add(&self, st: &mut BurstState, ts: i64, f: impl FnOnce(&mut BurstCounts)) -> BurstCounts {
        let ring = st
            .ring
            .get_or_insert_with(|| Ring::new(self.window_ms / SLOTS as i64, SLOTS));
        if let Some(slot) = ring.slot_mut(ts) {
            f(slot);
        }
        let mut sum = BurstCounts::default();
        ring.for_window(ts, self.window_ms, |c| {
            sum.calls += c.calls;
            sum.runs += c.runs;
            sum.errors += c.errors;
            sum.timeouts += c.timeouts;
        });
        sum
    }

    pub(crate) fn on_tool_result(
        &self,
        event: &Event,
        series: &str,
        status: ToolStatus,
        st: &mut BurstState,
        findings: &mut Vec<Finding>,
    ) {
        if !self.cfg.enabled {
            return;
        }
        let ts = event.context.ts.unix_millis();
        let sum = self.add(st, ts, |c| {
            c.calls += 1;
            c.errors += u64::from(status != ToolStatus::Ok);
            c.timeouts += u64::from(status == ToolStatus::Timeout);
        });
        let rate = sum.errors as f64 / sum.calls.max(1) as f64;
        if !st.error_active && sum.calls >= self.cfg.min_calls && rate >= self.cfg.max_error_rate {
            st.error_active = true;
            findings.push(finding(
                "observe.error_burst",
                "reliability",
                Severity::High,
                self.cfg.action,
                0.9,
                format!(
                    "error burst in `{series}`: {} of {} tool calls failed in the last {} \
                     ({:.0}%, threshold {:.0}%)",
                    sum.errors,
                    sum.calls,
                    human_ms(self.window_ms),
                    rate * 100.0,
                    self.cfg.max_error_rate * 100.0
                ),
            ));
        } else if st.error_active && rate < self.cfg.max_error_rate / 2.0 {
            st.error_active = false;
        }
        self.timeouts(series, &sum, st, findings);
    }

    pub(crate) fn on_run_end(
        &self,
        event: &Event,
        series: &str,
        outcome: Outcome,
        st: &mut BurstState,
        findings: &mut Vec<Finding>,
    ) {
        if !self.cfg.enabled {
            return;
        }
        let ts = event.context.ts.unix_millis();
        let timed_out = outcome == Outcome::Timeout;
        let sum = self.add(st, ts, |c| {
            c.runs += 1;
            c.timeouts += u64::from(timed_out);
        });
        self.timeouts(series, &sum, st, findings);
    }

    fn timeouts(
        &self,
        series: &str,
        sum: &BurstCounts,
        st: &mut BurstState,
        findings: &mut Vec<Finding>,
    ) {
        let n = sum.timeouts;
        let rate = n as f64 / (sum.calls + sum.runs).max(1) as f64;
        let over = n >= self.cfg.max_timeouts && rate >= self.cfg.max_timeout_rate;
        if !st.timeout_active && over {
            st.timeout_active = true;
            findings.push(finding(
                "observe.timeout_burst",
                "reliability",
                Severity::High,
                self.cfg.action,
                0.9,
                format!(
                    "timeout burst in `{series}`: {n} timeouts in the last {} ({:.0}% of {} \
                     calls and runs; thresholds {} and {:.0}%)",
                    human_ms(self.window_ms),
                    rate * 100.0,
                    sum.calls + sum.runs,
                    self.cfg.max_timeouts,
                    self.cfg.max_timeout_rate * 100.0
                ),
            ));
        } else if st.timeout_active
            && (n * 2 < self.cfg.max_timeouts || rate * 2.0 < self.cfg.max_timeout_rate)
        {
            st.timeout_active = false;
        }
    }
}
