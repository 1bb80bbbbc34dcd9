//! A JSON snapshot of the operations view: what an on-call engineer opens in the morning.
//! Per workflow and per agent, each rolling window's runs, success / failure / timeout
//! rates, run-duration and run-cost quantiles, tokens, cost and triggers; cost by showback
//! dimension; SLO status; recent alerts and runs.

use super::super::aggregate::{Series, RELATIVE_ACCURACY};
use super::super::slo::{budget_remaining, burn, window};
use super::super::{human_ms, Alert, CompiledObserve, CostLine, ObserveState, RunSummary};
use crate::event::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// One rolling window of one series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowStats {
    /// The window (`5m`, `1h`, ...).
    pub window: String,
    /// Runs started.
    pub runs_started: u64,
    /// Runs ended.
    pub runs_ended: u64,
    /// Successful runs / runs ended and not cancelled.
    pub success_rate: Option<f64>,
    /// Failed runs / runs ended and not cancelled.
    pub failure_rate: Option<f64>,
    /// Timed-out runs / runs ended and not cancelled.
    pub timeout_rate: Option<f64>,
    /// Run duration quantiles in seconds (p50, p95, p99).
    pub run_seconds: Quantiles,
    /// Cost per run quantiles in USD (p50, p95, p99).
    pub run_cost_usd: Quantiles,
    /// LLM calls.
    pub llm_calls: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// LLM cost in USD.
    pub cost_usd: f64,
    /// Cost / runs ended.
    pub cost_per_run_usd: Option<f64>,
    /// Tool results.
    pub tool_calls: u64,
    /// Tool errors and timeouts / tool results.
    pub tool_error_rate: Option<f64>,
    /// Guardrail findings.
    pub triggers: u64,
}

/// p50, p95 and p99 (each within the sketch's relative error).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

/// One workflow or agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesStats {
    /// The workflow or agent name.
    pub name: String,
    /// Each configured rolling window.
    pub windows: Vec<WindowStats>,
    /// Cumulative cost in USD.
    pub total_cost_usd: f64,
    /// Cumulative tokens (input + output).
    pub total_tokens: u64,
    /// Guardrail findings by rule, then action (cumulative).
    pub triggers: BTreeMap<String, BTreeMap<String, u64>>,
}

/// A showback line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShowbackLine {
    /// The dimension's value (a team, an agent, a model...).
    pub value: String,
    /// Cost, calls and tokens.
    #[serde(flatten)]
    pub line: CostLine,
}

/// One SLO objective's status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloStatus {
    /// The workflow.
    pub workflow: String,
    /// `success_rate`, `latency` or `cost_per_task`.
    pub objective: String,
    /// The target ratio.
    pub target: f64,
    /// Good runs over the period.
    pub good: u64,
    /// Valid runs over the period.
    pub valid: u64,
    /// Fraction of the period's error budget left (negative when overspent).
    pub budget_remaining: f64,
    /// Burn rate per alert window.
    pub burn_rates: BTreeMap<String, f64>,
    /// Whether each alert row (`page 1h/5m`) is firing.
    pub firing: Vec<String>,
}

/// The operations view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationsView {
    /// The newest event time seen.
    pub as_of: Timestamp,
    /// Events observed.
    pub events: u64,
    /// Runs open now.
    pub open_runs: usize,
    /// The price table used for computed costs.
    pub price_table_version: String,
    /// The relative error of every quantile shown.
    pub quantile_relative_error: f64,
    /// Per workflow, most expensive over the longest window first.
    pub workflows: Vec<SeriesStats>,
    /// Per agent, most expensive first.
    pub agents: Vec<SeriesStats>,
    /// Cost by dimension (`model`, `agent`, `workflow`, `env`, tags), most expensive first.
    pub showback: BTreeMap<String, Vec<ShowbackLine>>,
    /// SLO status.
    pub slos: Vec<SloStatus>,
    /// Alerts by kind (cumulative).
    pub anomalies: BTreeMap<String, u64>,
    /// The most recent alerts, newest first.
    pub alerts: Vec<Alert>,
    /// The most recent finished runs, newest first.
    pub recent_runs: Vec<RunSummary>,
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn series_stats(name: &str, s: &Series, policy: &CompiledObserve, now: i64) -> SeriesStats {
    let windows = policy
        .window_names
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let v = s.view(i, now)?;
            let c = &v.counts;
            let judged = c.runs_ended().saturating_sub(c.cancelled);
            let q = |sk: &super::super::aggregate::Sketch| Quantiles {
                p50: sk.quantile(0.5),
                p95: sk.quantile(0.95),
                p99: sk.quantile(0.99),
            };
            Some(WindowStats {
                window: w.clone(),
                runs_started: c.runs_started,
                runs_ended: c.runs_ended(),
                success_rate: ratio(c.success, judged),
                failure_rate: ratio(c.failure, judged),
                timeout_rate: ratio(c.timeout, judged),
                run_seconds: q(&v.run_seconds),
                run_cost_usd: q(&v.run_cost),
                llm_calls: c.llm_calls,
                input_tokens: c.input_tokens,
                output_tokens: c.output_tokens,
                cost_usd: c.cost_usd,
                cost_per_run_usd: (c.runs_ended() > 0).then(|| c.cost_usd / c.runs_ended() as f64),
                tool_calls: c.tool_calls,
                tool_error_rate: ratio(c.tool_errors + c.tool_timeouts, c.tool_calls),
                triggers: c.triggers,
            })
        })
        .collect();
    SeriesStats {
        name: name.to_string(),
        windows,
        total_cost_usd: s.totals.cost_usd,
        total_tokens: s.totals.input_tokens + s.totals.output_tokens,
        triggers: s.triggers.clone(),
    }
}

fn sorted_series(
    map: &super::super::FastMap<String, Series>,
    policy: &CompiledObserve,
    now: i64,
) -> Vec<SeriesStats> {
    let mut v: Vec<SeriesStats> = map
        .iter()
        .map(|(n, s)| series_stats(n, s, policy, now))
        .collect();
    let key = |s: &SeriesStats| s.windows.last().map_or(0.0, |w| w.cost_usd);
    v.sort_by(|a, b| key(b).total_cmp(&key(a)).then_with(|| a.name.cmp(&b.name)));
    v
}

/// The operations view of `state`.
pub fn snapshot(state: &ObserveState, policy: &CompiledObserve) -> OperationsView {
    let now = state.now_ms;
    let showback = state
        .showback
        .iter()
        .map(|(dim, values)| {
            let mut lines: Vec<ShowbackLine> = values
                .iter()
                .map(|(v, l)| ShowbackLine {
                    value: v.clone(),
                    line: l.clone(),
                })
                .collect();
            lines.sort_by(|a, b| {
                b.line
                    .cost_usd
                    .total_cmp(&a.line.cost_usd)
                    .then_with(|| a.value.cmp(&b.value))
            });
            (dim.clone(), lines)
        })
        .collect();
    let mut slos = Vec::new();
    let mut names: Vec<&String> = state.slo.keys().collect();
    names.sort();
    for wf in names {
        let (Some(st), Some(c)) = (state.slo.get(wf), policy.slos.by_workflow.get(wf)) else {
            continue;
        };
        for ((obj, target, _), os) in c.objectives.iter().zip(&st.objectives) {
            let budget = 1.0 - target;
            let period = window(os, now, c.period_ms);
            let mut burn_rates = BTreeMap::new();
            for r in &c.rows {
                for w in [r.long_ms, r.short_ms] {
                    burn_rates.insert(human_ms(w), burn(window(os, now, w), budget));
                }
            }
            let firing = c
                .rows
                .iter()
                .zip(&os.firing)
                .filter(|(_, f)| **f)
                .map(|(r, _)| {
                    let kind = match r.kind {
                        super::super::slo::AlertKind::Page => "page",
                        super::super::slo::AlertKind::Ticket => "ticket",
                    };
                    format!("{kind} {}/{}", human_ms(r.long_ms), human_ms(r.short_ms))
                })
                .collect();
            slos.push(SloStatus {
                workflow: wf.clone(),
                objective: obj.as_str().to_string(),
                target: *target,
                good: period.good,
                valid: period.valid,
                budget_remaining: budget_remaining(period, budget),
                burn_rates,
                firing,
            });
        }
    }
    OperationsView {
        as_of: Timestamp::from_unix_millis(now),
        events: state.events,
        open_runs: state.runs.len(),
        price_table_version: policy.price_table_version().to_string(),
        quantile_relative_error: RELATIVE_ACCURACY,
        workflows: sorted_series(&state.workflows, policy, now),
        agents: sorted_series(&state.agents, policy, now),
        showback,
        slos,
        anomalies: state.anomalies.clone(),
        alerts: state.alerts.iter().rev().cloned().collect(),
        recent_runs: state.recent_runs.iter().rev().cloned().collect(),
    }
}

/// [`snapshot`] as JSON.
pub fn snapshot_json(state: &ObserveState, policy: &CompiledObserve) -> String {
    // Every map key is a string and every number finite or null: serializing cannot fail.
    serde_json::to_string(&snapshot(state, policy)).unwrap_or_default()
}
