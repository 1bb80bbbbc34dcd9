//! Loops: a repeating cycle of steps (tool calls with their arguments) within a run, such as
//! A, B, A, B, A, B. A single call repeated (period 1) is a retry spiral instead.

use super::super::finding;
use super::super::trace::RunTrace;
use crate::event::Event;
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `observe.loop` detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LoopConfig {
    /// Whether the detector runs.
    pub enabled: bool,
    /// The action for a loop.
    pub action: Action,
    /// The longest cycle looked for, in steps (2 or more).
    pub max_period: usize,
    /// Flag when the cycle has repeated this many times in a row at the end of the run.
    pub min_cycles: usize,
}

impl Default for LoopConfig {
    fn default() -> LoopConfig {
        LoopConfig {
            enabled: true,
            action: Action::Allow,
            max_period: 4,
            min_cycles: 3,
        }
    }
}

impl LoopConfig {
    pub(crate) fn validated(&self, path: &str, diags: &mut Diagnostics) -> LoopConfig {
        if !(2..=16).contains(&self.max_period) {
            diags.error(format!("{path}.max_period"), "must be from 2 to 16 steps");
        }
        if !(2..=16).contains(&self.min_cycles) {
            diags.error(format!("{path}.min_cycles"), "must be from 2 to 16 cycles");
        }
        self.clone()
    }

    /// The shortest period p in 2..=max_period such that the last p * min_cycles steps
    /// repeat with period p and are not a single repeated step.
    fn period(&self, steps: &std::collections::VecDeque<u64>) -> Option<usize> {
        let n = steps.len();
        (2..=self.max_period).find(|&p| {
            let need = p * self.min_cycles;
            if n < need {
                return false;
            }
            let tail = n - need;
            let periodic = (tail + p..n).all(|i| steps.get(i) == steps.get(i - p));
            let first = steps.get(n - 1);
            let varied = (n - p..n).any(|i| steps.get(i) != first);
            periodic && varied
        })
    }

    pub(crate) fn on_call(&self, event: &Event, run: &RunTrace, findings: &mut Vec<Finding>) {
        if !self.enabled {
            return;
        }
        let Some(p) = self.period(&run.detect.recent) else {
            return;
        };
        let run_name = event.context.run.as_deref().unwrap_or("(no run id)");
        findings.push(finding(
            "observe.loop",
            "reliability",
            Severity::Medium,
            self.action,
            0.9,
            format!(
                "loop in run `{run_name}`: the last {} tool calls repeat a cycle of {p} steps \
                 {} times; the run has spent ${:.4}",
                p * self.min_cycles,
                self.min_cycles,
                run.cost_usd
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(steps: &[u64]) -> Option<usize> {
        LoopConfig::default().period(&steps.iter().copied().collect())
    }

    #[test]
    fn finds_cycles_not_repeats_or_noise() {
        assert_eq!(period(&[9, 1, 2, 1, 2, 1, 2]), Some(2));
        assert_eq!(period(&[1, 2, 3, 1, 2, 3, 1, 2, 3]), Some(3));
        assert_eq!(period(&[1, 2, 1, 2]), None, "two cycles only");
        assert_eq!(period(&[5, 5, 5, 5, 5, 5, 5]), None, "a retry, not a loop");
        assert_eq!(period(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), None);
        assert_eq!(period(&[]), None);
    }
}
