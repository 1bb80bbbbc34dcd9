//! Cost overruns: a run over its budget, or a run far above its workflow's recent p95 run
//! cost. Checked on every LLM call and tool call of the run; flagged once per run per kind,
//! then again on each later tool call so a blocking policy holds.

use super::super::finding;
use super::super::trace::RunTrace;
use crate::event::{Event, EventKind};
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `observe.cost_overrun` detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CostOverrunConfig {
    /// Whether the detector runs.
    pub enabled: bool,
    /// The action for a run over its budget.
    pub action: Action,
    /// A budget in USD for every run (none by default).
    pub run_budget_usd: Option<f64>,
    /// Budgets in USD per run of a workflow, overriding `run_budget_usd`.
    pub workflow_budgets_usd: BTreeMap<String, f64>,
    /// Flag a run whose cost exceeds this multiple of its workflow's p95 run cost over the
    /// longest window (0 turns this check off).
    pub p95_factor: f64,
    /// Runs the p95 must be based on before it is used.
    pub min_runs: u64,
    /// The action for a run far above the p95.
    pub p95_action: Action,
}

impl Default for CostOverrunConfig {
    fn default() -> CostOverrunConfig {
        CostOverrunConfig {
            enabled: true,
            action: Action::Escalate,
            run_budget_usd: None,
            workflow_budgets_usd: BTreeMap::new(),
            p95_factor: 3.0,
            min_runs: 20,
            p95_action: Action::Allow,
        }
    }
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

impl CostOverrunConfig {
    pub(crate) fn validated(&self, path: &str, diags: &mut Diagnostics) -> CostOverrunConfig {
        if self.run_budget_usd.is_some_and(|b| !positive(b)) {
            diags.error(
                format!("{path}.run_budget_usd"),
                "must be a positive number of USD",
            );
        }
        for (wf, b) in &self.workflow_budgets_usd {
            if !positive(*b) {
                diags.error(
                    format!("{path}.workflow_budgets_usd.{wf}"),
                    "must be a positive number of USD",
                );
            }
        }
        if !self.p95_factor.is_finite() || (self.p95_factor != 0.0 && self.p95_factor < 1.0) {
            diags.error(
                format!("{path}.p95_factor"),
                "must be 0 (off) or at least 1",
            );
        }
        self.clone()
    }

    pub(crate) fn on_step(
        &self,
        event: &Event,
        run: &mut RunTrace,
        p95: Option<(f64, u64)>,
        findings: &mut Vec<Finding>,
    ) {
        if !self.enabled {
            return;
        }
        let run_name = event.context.run.as_deref().unwrap_or("(no run id)");
        let is_call = matches!(event.kind, EventKind::ToolCall { .. });
        let budget = run
            .workflow
            .as_deref()
            .and_then(|w| self.workflow_budgets_usd.get(w).copied())
            .or(self.run_budget_usd);
        if let Some(budget) = budget {
            let over = run.cost_usd > budget;
            if over && (!run.detect.over_budget || is_call) {
                run.detect.over_budget = true;
                findings.push(finding(
                    "observe.cost_overrun",
                    "cost",
                    Severity::High,
                    self.action,
                    1.0,
                    format!(
                        "run `{run_name}` has spent ${:.4}, over its budget of ${budget:.4}",
                        run.cost_usd
                    ),
                ));
            }
        }
        if let Some((p95, runs)) = p95 {
            let limit = p95 * self.p95_factor;
            let far = self.p95_factor > 0.0 && runs >= self.min_runs && positive(p95);
            if far && run.cost_usd > limit && (!run.detect.over_p95 || is_call) {
                run.detect.over_p95 = true;
                findings.push(finding(
                    "observe.cost_overrun",
                    "cost",
                    Severity::Medium,
                    self.p95_action,
                    0.8,
                    format!(
                        "run `{run_name}` has spent ${:.4}, more than {}x its workflow's p95 run \
                         cost (${p95:.4} over the last {runs} runs)",
                        run.cost_usd, self.p95_factor
                    ),
                ));
            }
        }
    }
}
