//! Service-level objectives per workflow: success rate, latency bound and cost per task as
//! ratio SLIs (good runs / valid runs; cancelled runs are not valid), error budgets, and
//! multi-window multi-burn-rate alerts as in the SRE workbook (chapter 5):
//!
//! | severity | budget consumed | long window | short window | burn rate (30d) |
//! |---|---|---|---|---|
//! | page | 2% | 1h | 5m | 14.4 |
//! | page | 5% | 6h | 30m | 6 |
//! | ticket | 10% | 3d | 6h | 1 |
//!
//! burn rate = error ratio / (1 - target); a row fires when both its windows burn at or
//! above `budget consumed * period / long window`. Rows are edge-triggered: one finding when a
//! row starts firing, re-armed when it stops. Counts sit in two rings (1-minute slots up to
//! 6 hours, 1-hour slots up to the period): fixed memory per objective.

use super::aggregate::Ring;
use super::{cost_bounds_with, duration_at, finding, human_ms, CompiledObserve, ObserveState};
use crate::event::{Event, EventKind, Outcome};
use crate::policy::Diagnostics;
use crate::{Action, Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
/// Windows up to this length use the 1-minute ring.
const FINE_SPAN: i64 = 6 * HOUR;

/// Page or ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Wake someone up.
    Page,
    /// Look at it during working hours.
    Ticket,
}

/// One row of the burn-rate alert table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BurnRateWindow {
    /// `page` or `ticket`.
    pub severity: AlertKind,
    /// The long window (`1h`).
    pub long: String,
    /// The short window confirming the long one is still burning (`5m`, usually long / 12).
    pub short: String,
    /// The fraction of the period's error budget this row catches being spent in the long
    /// window (0.02 for 2%); the burn-rate threshold is `budget_consumed * period / long`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_consumed: Option<f64>,
    /// A burn-rate threshold given directly; wins over `budget_consumed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_rate: Option<f64>,
}

/// A latency objective: runs finish within `within`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyObjective {
    /// The bound from `run_start` to `run_end` (`30s`, `2m`).
    pub within: String,
    /// The fraction of runs that must meet it (0.99).
    pub target: f64,
}

/// A cost objective: runs cost at most `max_usd`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostObjective {
    /// The bound in USD per run (it becomes an exact bucket boundary of the cost histogram).
    pub max_usd: f64,
    /// The fraction of runs that must meet it (0.99).
    pub target: f64,
}

/// The SLOs of one workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SloConfig {
    /// The workflow the objectives apply to.
    pub workflow: String,
    /// The fraction of valid runs that must succeed (0.99); none by default.
    pub success_rate: Option<f64>,
    /// A latency objective.
    pub latency: Option<LatencyObjective>,
    /// A cost-per-task objective.
    pub cost_per_task: Option<CostObjective>,
    /// The compliance period of the error budget (`30d`; `1d` to `90d`).
    pub period: String,
    /// The burn-rate alert table (default: the SRE workbook's).
    pub alerts: Vec<BurnRateWindow>,
    /// Valid runs the long window must hold before a row may fire (low traffic guard).
    pub min_runs: u64,
    /// The action for a page alert.
    pub page_action: Action,
    /// The action for a ticket alert.
    pub ticket_action: Action,
}

fn row(severity: AlertKind, long: &str, short: &str, consumed: f64) -> BurnRateWindow {
    BurnRateWindow {
        severity,
        long: long.into(),
        short: short.into(),
        budget_consumed: Some(consumed),
        burn_rate: None,
    }
}

impl Default for SloConfig {
    fn default() -> SloConfig {
        SloConfig {
            workflow: String::new(),
            success_rate: None,
            latency: None,
            cost_per_task: None,
            period: "30d".into(),
            alerts: vec![
                row(AlertKind::Page, "1h", "5m", 0.02),
                row(AlertKind::Page, "6h", "30m", 0.05),
                row(AlertKind::Ticket, "3d", "6h", 0.10),
            ],
            min_runs: 10,
            page_action: Action::Allow,
            ticket_action: Action::Allow,
        }
    }
}

/// Which SLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Objective {
    SuccessRate,
    Latency,
    CostPerTask,
}

impl Objective {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Objective::SuccessRate => "success_rate",
            Objective::Latency => "latency",
            Objective::CostPerTask => "cost_per_task",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRow {
    pub kind: AlertKind,
    pub long_ms: i64,
    pub short_ms: i64,
    pub threshold: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledSlo {
    /// (objective, target, bound: ms for latency, USD for cost)
    pub objectives: Vec<(Objective, f64, f64)>,
    pub period_ms: i64,
    pub rows: Vec<CompiledRow>,
    pub min_runs: u64,
    pub page_action: Action,
    pub ticket_action: Action,
    fine_slots: usize,
    coarse_slots: usize,
}

/// The compiled SLOs, by workflow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slos {
    pub by_workflow: HashMap<String, CompiledSlo>,
}

/// Good and valid counts of one slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct GoodValid {
    pub good: u64,
    pub valid: u64,
}

/// One objective's counts and alert state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ObjectiveState {
    pub fine: Ring<GoodValid>,
    pub coarse: Ring<GoodValid>,
    pub total: GoodValid,
    /// Whether each alert row is firing.
    pub firing: Vec<bool>,
}

/// Per-workflow SLO state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SloState {
    pub objectives: Vec<ObjectiveState>,
}

fn target_ok(t: f64) -> bool {
    t > 0.0 && t < 1.0
}

impl Slos {
    pub(crate) fn compile(slos: &[SloConfig], path: &str, diags: &mut Diagnostics) -> Slos {
        let mut by_workflow = HashMap::new();
        for (i, s) in slos.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if s.workflow.is_empty() {
                diags.error(format!("{p}.workflow"), "name the workflow");
            }
            if by_workflow.contains_key(&s.workflow) {
                diags.error(
                    format!("{p}.workflow"),
                    format!("workflow `{}` already has SLOs; merge them", s.workflow),
                );
            }
            let period_ms = duration_at(
                &s.period,
                &format!("{p}.period"),
                86_400_000,
                90 * 86_400_000,
                diags,
            );
            let mut objectives = Vec::new();
            if let Some(t) = s.success_rate {
                if !target_ok(t) {
                    diags.error(
                        format!("{p}.success_rate"),
                        "must be between 0 and 1 (0.99)",
                    );
                }
                objectives.push((Objective::SuccessRate, t, 0.0));
            }
            if let Some(l) = &s.latency {
                let ms = duration_at(
                    &l.within,
                    &format!("{p}.latency.within"),
                    1,
                    86_400_000,
                    diags,
                );
                if !target_ok(l.target) {
                    diags.error(
                        format!("{p}.latency.target"),
                        "must be between 0 and 1 (0.99)",
                    );
                }
                objectives.push((Objective::Latency, l.target, ms as f64));
            }
            if let Some(c) = &s.cost_per_task {
                if !(c.max_usd.is_finite() && c.max_usd > 0.0) {
                    diags.error(
                        format!("{p}.cost_per_task.max_usd"),
                        "must be a positive number of USD",
                    );
                }
                if !target_ok(c.target) {
                    diags.error(
                        format!("{p}.cost_per_task.target"),
                        "must be between 0 and 1 (0.99)",
                    );
                }
                objectives.push((Objective::CostPerTask, c.target, c.max_usd));
            }
            if objectives.is_empty() {
                diags.error(
                    p.clone(),
                    "declare at least one of `success_rate`, `latency`, `cost_per_task`",
                );
            }
            let mut rows = Vec::new();
            for (j, r) in s.alerts.iter().enumerate() {
                let rp = format!("{p}.alerts[{j}]");
                let long_ms = duration_at(&r.long, &format!("{rp}.long"), MINUTE, period_ms, diags);
                let short_ms =
                    duration_at(&r.short, &format!("{rp}.short"), MINUTE, long_ms, diags);
                let threshold = match (r.burn_rate, r.budget_consumed) {
                    (Some(b), _) if b.is_finite() && b > 0.0 => b,
                    (None, Some(c)) if c > 0.0 && c <= 1.0 => c * period_ms as f64 / long_ms as f64,
                    _ => {
                        diags.error(
                            rp.clone(),
                            "give `budget_consumed` (a fraction in (0, 1]) or a positive `burn_rate`",
                        );
                        1.0
                    }
                };
                rows.push(CompiledRow {
                    kind: r.severity,
                    long_ms,
                    short_ms,
                    threshold,
                });
            }
            let fine_max = rows
                .iter()
                .flat_map(|r| [r.long_ms, r.short_ms])
                .filter(|w| *w <= FINE_SPAN)
                .max()
                .unwrap_or(MINUTE);
            let coarse_max = rows
                .iter()
                .map(|r| r.long_ms)
                .chain([period_ms])
                .max()
                .unwrap_or(period_ms);
            by_workflow.insert(
                s.workflow.clone(),
                CompiledSlo {
                    objectives,
                    period_ms,
                    rows,
                    min_runs: s.min_runs,
                    page_action: s.page_action,
                    ticket_action: s.ticket_action,
                    fine_slots: usize::try_from((fine_max + MINUTE - 1) / MINUTE).unwrap_or(360),
                    coarse_slots: usize::try_from((coarse_max + HOUR - 1) / HOUR).unwrap_or(2160),
                },
            );
        }
        Slos { by_workflow }
    }

    /// Cost histogram bounds for a workflow, with its SLO cost bound as a boundary.
    pub(crate) fn cost_bounds(&self, workflow: Option<&str>) -> Vec<f64> {
        let bound = workflow
            .and_then(|w| self.by_workflow.get(w))
            .and_then(|s| s.objectives.iter().find(|o| o.0 == Objective::CostPerTask))
            .map(|o| o.2);
        cost_bounds_with(bound)
    }

    /// A run ended: count it against the workflow's SLIs and check the alert rows.
    pub(crate) fn on_run_end(
        &self,
        policy: &CompiledObserve,
        event: &Event,
        state: &mut ObserveState,
        findings: &mut Vec<Finding>,
    ) {
        let (Some(wf), EventKind::RunEnd { outcome, .. }) =
            (event.context.workflow.as_deref(), &event.kind)
        else {
            return;
        };
        let Some(slo) = self.by_workflow.get(wf) else {
            return;
        };
        if *outcome == Outcome::Cancelled {
            return;
        }
        let ts = event.context.ts.unix_millis();
        // The run was closed by the trace; its summary is the newest one.
        let summary = state
            .recent_runs
            .back()
            .filter(|r| event.context.run.as_deref() == Some(r.run.as_str()));
        let seconds = summary.and_then(|r| r.seconds);
        let cost = summary.map_or(0.0, |r| r.cost_usd);
        if state.slo.len() >= policy.limits.max_series && !state.slo.contains_key(wf) {
            return;
        }
        let st = state.slo.entry(wf.to_string()).or_default();
        if st.objectives.len() != slo.objectives.len() {
            st.objectives = slo
                .objectives
                .iter()
                .map(|_| ObjectiveState {
                    fine: Ring::new(MINUTE, slo.fine_slots),
                    coarse: Ring::new(HOUR, slo.coarse_slots),
                    total: GoodValid::default(),
                    firing: vec![false; slo.rows.len()],
                })
                .collect();
        }
        for ((objective, target, bound), os) in slo.objectives.iter().zip(&mut st.objectives) {
            let good = match objective {
                Objective::SuccessRate => Some(*outcome == Outcome::Success),
                Objective::Latency => seconds.map(|s| s * 1000.0 <= *bound),
                Objective::CostPerTask => Some(cost <= *bound),
            };
            let Some(good) = good else {
                continue;
            };
            for ring in [&mut os.fine, &mut os.coarse] {
                if let Some(slot) = ring.slot_mut(ts) {
                    slot.valid += 1;
                    slot.good += u64::from(good);
                }
            }
            os.total.valid += 1;
            os.total.good += u64::from(good);
            for (j, r) in slo.rows.iter().enumerate() {
                let long = window(os, ts, r.long_ms);
                let short = window(os, ts, r.short_ms);
                let budget = 1.0 - target;
                let (bl, bs) = (burn(long, budget), burn(short, budget));
                let fire = long.valid >= slo.min_runs && bl >= r.threshold && bs >= r.threshold;
                let was = os.firing.get(j).copied().unwrap_or(false);
                if let Some(f) = os.firing.get_mut(j) {
                    *f = fire;
                }
                if fire && !was {
                    let (severity, action, kind) = match r.kind {
                        AlertKind::Page => (Severity::High, slo.page_action, "page"),
                        AlertKind::Ticket => (Severity::Medium, slo.ticket_action, "ticket"),
                    };
                    let period = window(os, ts, slo.period_ms);
                    let remaining = budget_remaining(period, budget);
                    findings.push(finding(
                        "slo.burn_rate",
                        "slo",
                        severity,
                        action,
                        1.0,
                        format!(
                            "{kind}: SLO `{wf}` {} (target {:.2}%) is burning its error budget: \
                             burn rate {bl:.1} over {} ({} bad of {} runs) and {bs:.1} over {} \
                             ({} bad of {}), threshold {:.1}; {:.0}% of the {} budget remains",
                            objective.as_str(),
                            target * 100.0,
                            human_ms(r.long_ms),
                            long.valid - long.good,
                            long.valid,
                            human_ms(r.short_ms),
                            short.valid - short.good,
                            short.valid,
                            r.threshold,
                            remaining * 100.0,
                            human_ms(slo.period_ms),
                        ),
                    ));
                }
            }
        }
    }
}

/// Good and valid counts over the last `ms` before `now`, from the finest ring that covers it.
pub(crate) fn window(os: &ObjectiveState, now: i64, ms: i64) -> GoodValid {
    let ring = if ms <= os.fine.span_ms() {
        &os.fine
    } else {
        &os.coarse
    };
    let mut gv = GoodValid::default();
    ring.for_window(now, ms, |s| {
        gv.good += s.good;
        gv.valid += s.valid;
    });
    gv
}

/// Error ratio divided by the error budget.
pub(crate) fn burn(gv: GoodValid, budget: f64) -> f64 {
    if gv.valid == 0 || budget <= 0.0 {
        return 0.0;
    }
    let bad = (gv.valid - gv.good) as f64 / gv.valid as f64;
    bad / budget
}

/// The fraction of the period's error budget left (negative when overspent).
pub(crate) fn budget_remaining(period: GoodValid, budget: f64) -> f64 {
    if period.valid == 0 || budget <= 0.0 {
        return 1.0;
    }
    1.0 - burn(period, budget)
}
