//! Layer 3, observability: traces, cost, aggregates, failure and drift detectors, SLOs and
//! exports.
//!
//! For every event the guard calls [`CompiledObserve::observe`], which updates the
//! [`ObserveState`] (traces, rolling windows, detector baselines, SLO rings; every part
//! bounded) and appends findings for what the detectors see. The export functions in
//! [`export`] turn a state into OTLP JSON, Prometheus text or a JSON snapshot; the host
//! sends them (the core does no I/O).

pub(crate) mod aggregate;
pub(crate) mod cost;
pub(crate) mod detectors;
pub mod export;
pub(crate) mod slo;
pub(crate) mod trace;

pub use aggregate::{MAX_BINS, OTHER, RELATIVE_ACCURACY};
pub use cost::ModelPrice;
pub use detectors::{
    AgentScope, CostOverrunConfig, ErrorBurstConfig, LoopConfig, QualityDriftConfig,
    RetrySpiralConfig, ScopeConfig, SpikeConfig, ToolMixConfig,
};
pub use slo::{BurnRateWindow, SloConfig};

use crate::event::{Event, EventKind, Outcome, ToolStatus};
use crate::policy::Diagnostics;
use crate::{Action, Finding, Layer, Severity};
use aggregate::{bounded_entry, Hist, Series, DURATION_BOUNDS, RUN_COST_BOUNDS, TOKEN_BOUNDS};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// The hash map of the observe state: a fast fixed-seed hasher (the maps are bounded, so a
/// colliding key set degrades a lookup to at most the bound, never beyond; a fixed seed keeps
/// replays deterministic).
pub(crate) type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

/// The `observe` section of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ObservePolicy {
    /// Whether the observe layer runs at all.
    pub enabled: bool,
    /// Model prices that override or extend the built-in table, keyed by model id, in
    /// LiteLLM's price-map format (USD per token): entries of that map paste as they are.
    pub prices: BTreeMap<String, ModelPrice>,
    /// A label for your price changes; the recorded table version becomes
    /// `<built-in version>+<label>` (`+policy` when unset).
    pub prices_label: Option<String>,
    /// Rolling windows for the per-workflow and per-agent aggregates (`30s`, `5m`, `1h`,
    /// `1d`; at most 8, each from 1 minute to 30 days).
    pub windows: Vec<String>,
    /// Time slots per window: a window covers its length to within one slot.
    pub window_slots: usize,
    /// Context tags whose values get their own cost line (showback), besides agent,
    /// workflow, model and environment.
    pub showback_tags: Vec<String>,
    /// Memory bounds of the observe state.
    pub limits: ObserveLimits,
    /// The same tool call repeated, or a tool failing again and again, within a run.
    pub retry_spiral: RetrySpiralConfig,
    /// A repeating cycle of steps (A, B, A, B, ...) within a run.
    pub loops: LoopConfig,
    /// A run over its budget or far above its workflow's recent p95 cost.
    pub cost_overrun: CostOverrunConfig,
    /// Token and cost spikes of one LLM call against the workflow's EWMA baseline.
    pub spikes: SpikeConfig,
    /// Bursts of tool errors and timeouts.
    pub error_bursts: ErrorBurstConfig,
    /// Tools and resources outside an agent's declared scope, and shifts of its tool mix.
    pub scope: ScopeConfig,
    /// Change detection (CUSUM) on quality scores and behavioural proxies.
    pub quality_drift: QualityDriftConfig,
    /// Service-level objectives per workflow, with error budgets and burn-rate alerts.
    pub slos: Vec<SloConfig>,
    /// The `service.name` resource attribute of OTLP exports.
    pub service_name: String,
}

impl Default for ObservePolicy {
    fn default() -> ObservePolicy {
        ObservePolicy {
            enabled: true,
            prices: BTreeMap::new(),
            prices_label: None,
            windows: vec!["5m".into(), "1h".into(), "1d".into()],
            window_slots: 12,
            showback_tags: vec!["team".into(), "cost_center".into(), "project".into()],
            limits: ObserveLimits::default(),
            retry_spiral: RetrySpiralConfig::default(),
            loops: LoopConfig::default(),
            cost_overrun: CostOverrunConfig::default(),
            spikes: SpikeConfig::default(),
            error_bursts: ErrorBurstConfig::default(),
            scope: ScopeConfig::default(),
            quality_drift: QualityDriftConfig::default(),
            slos: Vec::new(),
            service_name: "guardrail".into(),
        }
    }
}

/// Memory bounds of the observe state. Past a bound, new label values are counted under
/// `_other` and the oldest runs, spans and alerts are dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ObserveLimits {
    /// Most workflows and most agents tracked as separate series (each).
    pub max_series: usize,
    /// Most runs open at once; the least recently active is closed first.
    pub max_open_runs: usize,
    /// Most finished spans buffered for the OTLP trace export.
    pub max_spans: usize,
    /// Most distinct values per showback dimension and models per metric.
    pub max_label_values: usize,
    /// Most recent alerts and finished runs kept for the snapshot.
    pub max_recent: usize,
}

impl Default for ObserveLimits {
    fn default() -> ObserveLimits {
        ObserveLimits {
            max_series: 256,
            max_open_runs: 4096,
            max_spans: 4096,
            max_label_values: 256,
            max_recent: 256,
        }
    }
}

/// Parses `30s`, `5m`, `1h`, `1d` into milliseconds.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit_at = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(unit_at);
    let n: i64 = num.parse().ok()?;
    let ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms).filter(|v| *v > 0)
}

/// Checks a duration field; records an error at `path` when it is not one.
pub(crate) fn duration_at(
    s: &str,
    path: &str,
    min_ms: i64,
    max_ms: i64,
    diags: &mut Diagnostics,
) -> i64 {
    match parse_duration(s) {
        Some(ms) if (min_ms..=max_ms).contains(&ms) => ms,
        Some(_) => {
            diags.error(
                path,
                format!(
                    "duration `{s}` is out of range ({} to {})",
                    human_ms(min_ms),
                    human_ms(max_ms)
                ),
            );
            min_ms
        }
        None => {
            diags.error_with_hint(
                path,
                format!("`{s}` is not a duration"),
                "write a number and a unit: `30s`, `5m`, `1h`, `1d`",
            );
            min_ms
        }
    }
}

/// `300000` -> `5m`.
pub(crate) fn human_ms(ms: i64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms >= size && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// The observe policy compiled: price table, windows, detectors and SLOs ready to run.
#[derive(Debug, Clone)]
pub struct CompiledObserve {
    pub(crate) enabled: bool,
    pub(crate) prices: cost::PriceTable,
    pub(crate) windows_ms: Vec<i64>,
    pub(crate) window_names: Vec<String>,
    pub(crate) slots: usize,
    pub(crate) showback_tags: Vec<String>,
    pub(crate) limits: ObserveLimits,
    pub(crate) detectors: detectors::Detectors,
    pub(crate) slos: slo::Slos,
    pub(crate) service_name: String,
}

impl Default for CompiledObserve {
    fn default() -> CompiledObserve {
        let mut d = Diagnostics::default();
        ObservePolicy::default().compile("observe", &mut d)
    }
}

impl ObservePolicy {
    /// Validates and compiles the section on its own (the guard compiles it as part of the
    /// policy document).
    ///
    /// ```
    /// use guardrail_core::observe::ObservePolicy;
    /// let compiled = ObservePolicy::default().build().unwrap();
    /// assert!(!compiled.price_table_version().is_empty());
    /// ```
    pub fn build(&self) -> Result<CompiledObserve, crate::PolicyError> {
        let mut diags = Diagnostics::default();
        let compiled = self.compile("observe", &mut diags);
        if diags.is_empty() {
            Ok(compiled)
        } else {
            Err(crate::PolicyError::new(diags.into_issues()))
        }
    }

    /// Validates and compiles the section; problems go to `diags` at paths under `path`.
    pub(crate) fn compile(&self, path: &str, diags: &mut Diagnostics) -> CompiledObserve {
        for (model, price) in &self.prices {
            if let Some(field) = price.invalid_rate() {
                diags.error(
                    format!("{path}.prices.{model}.{field}"),
                    "a price must be a non-negative number (USD per token)",
                );
            }
        }
        if self.windows.is_empty() || self.windows.len() > 8 {
            diags.error(format!("{path}.windows"), "give from 1 to 8 windows");
        }
        let windows_ms: Vec<i64> = self
            .windows
            .iter()
            .take(8)
            .enumerate()
            .map(|(i, w)| {
                duration_at(
                    w,
                    &format!("{path}.windows[{i}]"),
                    60_000,
                    30 * 86_400_000,
                    diags,
                )
            })
            .collect();
        if !(1..=120).contains(&self.window_slots) {
            diags.error(
                format!("{path}.window_slots"),
                "must be from 1 to 120 slots per window",
            );
        }
        let l = &self.limits;
        for (name, v, max) in [
            ("max_series", l.max_series, 100_000),
            ("max_open_runs", l.max_open_runs, 1_000_000),
            ("max_spans", l.max_spans, 1_000_000),
            ("max_label_values", l.max_label_values, 100_000),
            ("max_recent", l.max_recent, 100_000),
        ] {
            if v == 0 || v > max {
                diags.error(
                    format!("{path}.limits.{name}"),
                    format!("must be from 1 to {max}"),
                );
            }
        }
        let detectors = detectors::Detectors::compile(self, path, diags);
        let slos = slo::Slos::compile(&self.slos, &format!("{path}.slos"), diags);
        CompiledObserve {
            enabled: self.enabled,
            prices: cost::PriceTable::build(&self.prices, self.prices_label.as_deref()),
            window_names: windows_ms.iter().map(|w| human_ms(*w)).collect(),
            windows_ms,
            slots: self.window_slots.clamp(1, 120),
            showback_tags: self.showback_tags.clone(),
            limits: self.limits.clone(),
            detectors,
            slos,
            service_name: self.service_name.clone(),
        }
    }
}

/// Cumulative per-model statistics for the GenAI metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModelStats {
    pub provider: Option<String>,
    pub calls: u64,
    pub cost_usd: f64,
    pub unpriced_calls: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub input_tokens: Hist,
    pub output_tokens: Hist,
    pub duration_seconds: Hist,
}

/// Cost and tokens of one showback line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    /// LLM calls.
    pub calls: u64,
    /// Input tokens (cached included).
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// USD (host-reported where given, else computed).
    pub cost_usd: f64,
}

/// A finished run, kept for the snapshot (cost per run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run id.
    pub run: String,
    /// Its agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Its workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Seconds from `run_start` to `run_end`, when both were seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Its cost in USD.
    pub cost_usd: f64,
    /// LLM calls.
    pub llm_calls: u64,
    /// Tool calls.
    pub tool_calls: u64,
    /// When it ended.
    pub ended: crate::event::Timestamp,
}

/// An alert the observe layer raised, kept for the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// When.
    pub ts: crate::event::Timestamp,
    /// The finding's rule id.
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// The action the policy assigned.
    pub action: Action,
    /// The evidence.
    pub message: String,
    /// The run, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The workflow or agent series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

/// Everything the observe layer remembers between events. Every part is bounded by
/// [`ObserveLimits`]; it snapshots and restores through serde.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObserveState {
    /// The newest event time seen (Unix ms): "now" for windows and exports.
    pub(crate) now_ms: i64,
    /// The oldest event time seen: the start of cumulative metrics.
    pub(crate) start_ms: Option<i64>,
    pub(crate) events: u64,
    pub(crate) runs: FastMap<String, trace::RunTrace>,
    pub(crate) workflows: FastMap<String, Series>,
    pub(crate) agents: FastMap<String, Series>,
    pub(crate) models: FastMap<String, ModelStats>,
    /// Cost by dimension (`agent`, `workflow`, `model`, `env`, tag names) then value.
    pub(crate) showback: FastMap<String, FastMap<String, CostLine>>,
    pub(crate) detect: FastMap<String, detectors::SeriesDetectors>,
    pub(crate) slo: FastMap<String, slo::SloState>,
    pub(crate) spans: VecDeque<trace::SpanRecord>,
    pub(crate) next_span_seq: u64,
    pub(crate) alerts: VecDeque<Alert>,
    pub(crate) anomalies: BTreeMap<String, u64>,
    pub(crate) recent_runs: VecDeque<RunSummary>,
}

impl ObserveState {
    /// Approximate bytes held by one workflow or agent series (rolling windows, sketches and
    /// histograms), or `None` when the series does not exist.
    pub fn series_memory_bytes(&self, workflow: &str) -> Option<usize> {
        self.workflows.get(workflow).map(Series::memory_bytes)
    }

    /// Number of events observed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The recent alerts, oldest first.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter()
    }
}

/// The workflow series that counts events without a workflow.
pub const NO_WORKFLOW: &str = "_none";

/// The series key detectors use: the workflow, else the agent, else `_unnamed`.
pub(crate) fn series_key(event: &Event) -> &str {
    event
        .context
        .workflow
        .as_deref()
        .or(event.context.agent.as_deref())
        .unwrap_or("_unnamed")
}

/// Builds an observe finding.
pub(crate) fn finding(
    rule: &str,
    category: &str,
    severity: Severity,
    action: Action,
    confidence: f32,
    message: String,
) -> Finding {
    Finding {
        layer: Layer::Observe,
        rule: rule.to_string(),
        category: category.to_string(),
        severity,
        confidence,
        message,
        action,
        shadow: false,
        path: None,
        span: None,
        suggestion: None,
        package: None,
    }
}

impl CompiledObserve {
    /// The price table's version, recorded with every computed cost.
    pub fn price_table_version(&self) -> &str {
        self.prices.version()
    }

    /// The cost in USD of an `llm_usage` event from the price table (ignoring its
    /// `cost_usd`), or `None` for other events and unpriced models. Governance budgets use
    /// it when the host supplies no cost model.
    ///
    /// ```
    /// use guardrail_core::event::Event;
    /// use guardrail_core::observe::ObservePolicy;
    /// let p = ObservePolicy::default().build().unwrap();
    /// let e = Event::from_json(br#"{"type":"llm_usage","ts":1,"model":"gpt-4o-mini",
    ///     "input_tokens":1000000,"output_tokens":0}"#).unwrap();
    /// assert!((p.usage_cost(&e.kind).unwrap() - 0.15).abs() < 1e-9);
    /// ```
    pub fn usage_cost(&self, kind: &EventKind) -> Option<f64> {
        match kind {
            EventKind::LlmUsage {
                model,
                provider,
                input_tokens,
                output_tokens,
                cached_input_tokens,
                cache_write_tokens,
                ..
            } => self.prices.cost(
                model,
                provider.as_deref(),
                cost::Usage {
                    input: *input_tokens,
                    output: *output_tokens,
                    cache_read: *cached_input_tokens,
                    cache_write: *cache_write_tokens,
                },
            ),
            _ => None,
        }
    }

    /// Observes one event: updates `state` and appends what the detectors find. The guard
    /// calls it for every event; it is public for hosts and benchmarks that run the observe
    /// layer alone.
    pub fn observe(&self, event: &Event, state: &mut ObserveState, findings: &mut Vec<Finding>) {
        if !self.enabled {
            return;
        }
        let ts = event.context.ts.unix_millis();
        state.events += 1;
        state.now_ms = state.now_ms.max(ts);
        state.start_ms = Some(state.start_ms.map_or(ts, |s| s.min(ts)));
        let first = findings.len();

        let cost = self.record(event, state);
        self.detectors.run(self, event, cost, state, findings);
        if let EventKind::RunEnd { .. } = &event.kind {
            self.slos.on_run_end(self, event, state, findings);
        }
        self.remember_alerts(event, state, findings.get(first..).unwrap_or_default());
    }

    /// Counts findings of any layer against the event's workflow and agent series
    /// ("guardrail triggers by rule and action"). The guard calls it with the decision's
    /// findings once all layers have run; hosts running the observe layer alone may too.
    pub fn record_findings(&self, event: &Event, findings: &[Finding], state: &mut ObserveState) {
        if !self.enabled || findings.is_empty() {
            return;
        }
        let ts = event.context.ts.unix_millis();
        for series in self.series_of(event, state).into_iter().flatten() {
            for f in findings {
                series.count_trigger(ts, &f.rule, f.action.as_str());
            }
        }
    }

    fn series_of<'s>(
        &self,
        event: &Event,
        state: &'s mut ObserveState,
    ) -> [Option<&'s mut Series>; 2] {
        let max = self.limits.max_series;
        let (windows, slots) = (&self.windows_ms, self.slots);
        let make = |wf: Option<&str>| {
            let bounds = self.slos.cost_bounds(wf);
            Series::new(windows, slots, &bounds)
        };
        // Events without a workflow count under `_none`, so per-workflow totals add up.
        let w = event.context.workflow.as_deref().unwrap_or(NO_WORKFLOW);
        let wf = insert_series(&mut state.workflows, w, max, || make(Some(w)));
        let ag = match event.context.agent.as_deref() {
            Some(a) => insert_series(&mut state.agents, a, max, || make(None)),
            None => None,
        };
        [wf, ag]
    }

    /// Updates traces, aggregates and showback; returns the call's cost for `llm_usage`.
    fn record(&self, event: &Event, state: &mut ObserveState) -> f64 {
        let ts = event.context.ts.unix_millis();
        let ctx = &event.context;
        let mut cost = 0.0;
        match &event.kind {
            EventKind::LlmUsage {
                model,
                provider,
                input_tokens,
                output_tokens,
                cached_input_tokens,
                cache_write_tokens,
                cost_usd,
                duration_ms,
            } => {
                let usage = cost::Usage {
                    input: *input_tokens,
                    output: *output_tokens,
                    cache_read: *cached_input_tokens,
                    cache_write: *cache_write_tokens,
                };
                let computed = match cost_usd {
                    Some(c) => Some(*c),
                    None => self.prices.cost(model, provider.as_deref(), usage),
                };
                cost = computed.unwrap_or(0.0);
                let (inp, out) = (*input_tokens, *output_tokens);
                for series in self.series_of(event, state).into_iter().flatten() {
                    series.update(ts, |c| {
                        c.llm_calls += 1;
                        c.input_tokens += inp;
                        c.output_tokens += out;
                        c.cost_usd += cost;
                    });
                }
                if let Some(m) =
                    bounded_entry(&mut state.models, model, self.limits.max_label_values)
                {
                    if m.calls == 0 {
                        m.provider = provider.clone();
                        m.input_tokens = Hist::new(&TOKEN_BOUNDS);
                        m.output_tokens = Hist::new(&TOKEN_BOUNDS);
                        m.duration_seconds = Hist::new(&DURATION_BOUNDS);
                    }
                    m.calls += 1;
                    m.cost_usd += cost;
                    m.unpriced_calls += u64::from(computed.is_none());
                    m.cache_read_tokens += *cached_input_tokens;
                    m.cache_write_tokens += *cache_write_tokens;
                    m.input_tokens.add(inp as f64);
                    m.output_tokens.add(out as f64);
                    if let Some(d) = duration_ms {
                        m.duration_seconds.add(d / 1000.0);
                    }
                }
                self.showback(event, model, cost, inp, out, state);
            }
            EventKind::ToolResult { status, .. } => {
                let (err, timeout) = (*status == ToolStatus::Error, *status == ToolStatus::Timeout);
                for series in self.series_of(event, state).into_iter().flatten() {
                    series.update(ts, |c| {
                        c.tool_calls += 1;
                        c.tool_errors += u64::from(err);
                        c.tool_timeouts += u64::from(timeout);
                    });
                }
            }
            EventKind::RunStart {} => {
                for series in self.series_of(event, state).into_iter().flatten() {
                    series.update(ts, |c| c.runs_started += 1);
                }
            }
            EventKind::RunEnd { outcome, .. } => {
                let outcome = *outcome;
                let (seconds, run_cost) = match ctx.run.as_deref().and_then(|r| state.runs.get(r)) {
                    Some(run) => (
                        run.started_ms.map(|s| (ts - s).max(0) as f64 / 1000.0),
                        run.cost_usd,
                    ),
                    None => (None, 0.0),
                };
                for series in self.series_of(event, state).into_iter().flatten() {
                    series.update(ts, |c| match outcome {
                        Outcome::Success => c.success += 1,
                        Outcome::Failure => c.failure += 1,
                        Outcome::Timeout => c.timeout += 1,
                        Outcome::Cancelled => c.cancelled += 1,
                    });
                    series.record_run(ts, seconds, run_cost);
                }
            }
            _ => {}
        }
        trace::record(self, event, cost, state);
        cost
    }

    fn showback(
        &self,
        event: &Event,
        model: &str,
        cost: f64,
        inp: u64,
        out: u64,
        state: &mut ObserveState,
    ) {
        let ctx = &event.context;
        let max = self.limits.max_label_values;
        let mut add = |dim: &str, value: &str| {
            if let Some(line) =
                bounded_entry(state.showback.entry_ref(dim).or_default(), value, max)
            {
                line.calls += 1;
                line.input_tokens += inp;
                line.output_tokens += out;
                line.cost_usd += cost;
            }
        };
        add("model", model);
        if let Some(a) = ctx.agent.as_deref() {
            add("agent", a);
        }
        if let Some(w) = ctx.workflow.as_deref() {
            add("workflow", w);
        }
        if let Some(e) = ctx.env.as_deref() {
            add("env", e);
        }
        for tag in &self.showback_tags {
            if let Some(v) = ctx.tags.get(tag) {
                add(tag, v);
            }
        }
    }

    fn remember_alerts(&self, event: &Event, state: &mut ObserveState, new: &[Finding]) {
        for f in new {
            *state.anomalies.entry(f.rule.clone()).or_default() += 1;
            if state.alerts.len() >= self.limits.max_recent {
                state.alerts.pop_front();
            }
            state.alerts.push_back(Alert {
                ts: event.context.ts,
                rule: f.rule.clone(),
                severity: f.severity,
                action: f.action,
                message: f.message.clone(),
                run: event.context.run.clone(),
                series: Some(series_key(event).to_string()),
            });
        }
    }
}

fn insert_series<'s>(
    map: &'s mut FastMap<String, Series>,
    key: &str,
    max: usize,
    make: impl FnOnce() -> Series,
) -> Option<&'s mut Series> {
    let key = if map.len() >= max && !map.contains_key(key) {
        OTHER
    } else {
        key
    };
    Some(map.entry_ref(key).or_insert_with(make))
}

/// Default cost-per-run histogram bounds with an SLO's cost bound added exactly.
pub(crate) fn cost_bounds_with(extra: Option<f64>) -> Vec<f64> {
    let mut b = RUN_COST_BOUNDS.to_vec();
    if let Some(x) = extra.filter(|x| x.is_finite() && *x > 0.0) {
        if !b.iter().any(|v| (*v - x).abs() < 1e-12) {
            b.push(x);
            b.sort_by(f64::total_cmp);
        }
    }
    b
}

/// The observe layer's exports on the guard: payloads built from the state the guard
/// updated (the host sends them; the core does no I/O).
///
/// ```
/// use guardrail_core::{event::Event, Guard, State};
/// let guard = Guard::with_default_policy();
/// let state = State::new();
/// let e = Event::from_json(br#"{"type":"llm_usage","ts":"2026-11-23T10:15:01Z",
///     "workflow":"refunds","run":"r-1","model":"gpt-4o","input_tokens":1000,"output_tokens":50}"#).unwrap();
/// guard.evaluate(&e, &state);
/// assert!(guard.prometheus_text(&state).contains("guardrail_llm_calls_total{workflow=\"refunds\"} 1"));
/// assert_eq!(guard.operations_view(&state).events, 1);
/// assert_eq!(guard.otlp_traces(&state, 0).spans, 1);
/// ```
impl crate::Guard {
    /// The spans finished since `after` (start at 0, then pass the returned `next`) as an
    /// OTLP JSON trace export.
    pub fn otlp_traces(&self, state: &crate::State, after: u64) -> export::TraceExport {
        export::otlp_traces_json(
            &crate::state::lock(&state.observe),
            self.observe_policy(),
            after,
        )
    }

    /// Cumulative metrics (GenAI conventions plus guardrail's own) as OTLP JSON.
    pub fn otlp_metrics(&self, state: &crate::State) -> String {
        export::otlp_metrics_json(&crate::state::lock(&state.observe), self.observe_policy())
    }

    /// The aggregates in Prometheus text exposition format 0.0.4.
    pub fn prometheus_text(&self, state: &crate::State) -> String {
        export::prometheus_text(&crate::state::lock(&state.observe), self.observe_policy())
    }

    /// The operations view (serialize it for a dashboard).
    pub fn operations_view(&self, state: &crate::State) -> export::OperationsView {
        export::snapshot(&crate::state::lock(&state.observe), self.observe_policy())
    }
}

#[cfg(test)]
mod tests;
