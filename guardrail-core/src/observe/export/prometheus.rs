//! Prometheus text exposition (format 0.0.4) of the aggregates: cumulative counters and
//! histograms (Prometheus computes rates), rolling-window gauges, SLO counters and burn
//! rates. Label values are bounded by the state's cardinality limits (`_other` past them).

use super::super::aggregate::{Hist, RELATIVE_ACCURACY};
use super::super::slo::{budget_remaining, burn, window};
use super::super::{human_ms, CompiledObserve, ObserveState};
use std::collections::HashMap;
use std::fmt::Write;

/// The `Content-Type` of [`prometheus_text`].
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

struct Family {
    name: String,
    kind: &'static str,
    help: String,
    samples: String,
}

#[derive(Default)]
struct Out {
    families: Vec<Family>,
    index: HashMap<String, usize>,
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names, without `:` for label names.
fn sanitize(name: &str, colon: bool) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    // `__` prefixes are reserved.
    while out.starts_with("__") {
        out.remove(0);
    }
    out
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

fn value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", sanitize(k, false), escape_label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

impl Out {
    /// The family called `name`, created on first use (TYPE and HELP once per name).
    fn family(&mut self, name: &str, kind: &'static str, help: &str) -> Option<&mut Family> {
        let name = sanitize(name, true);
        let i = match self.index.get(&name) {
            Some(i) => *i,
            None => {
                self.families.push(Family {
                    name: name.clone(),
                    kind,
                    help: help.to_string(),
                    samples: String::new(),
                });
                self.index.insert(name, self.families.len() - 1);
                self.families.len() - 1
            }
        };
        self.families.get_mut(i)
    }

    fn sample(&mut self, name: &str, kind: &'static str, help: &str, l: &[(&str, &str)], v: f64) {
        if let Some(f) = self.family(name, kind, help) {
            let _ = writeln!(f.samples, "{}{} {}", f.name, labels(l), value(v));
        }
    }

    fn histogram(&mut self, name: &str, help: &str, l: &[(&str, &str)], h: &Hist) {
        let Some(f) = self.family(name, "histogram", help) else {
            return;
        };
        let mut cumulative = 0u64;
        for (i, c) in h.counts.iter().enumerate() {
            cumulative += c;
            let le = h.bounds.get(i).map_or("+Inf".to_string(), |b| value(*b));
            let mut with = l.to_vec();
            with.push(("le", &le));
            let _ = writeln!(f.samples, "{}_bucket{} {cumulative}", f.name, labels(&with));
        }
        let _ = writeln!(f.samples, "{}_sum{} {}", f.name, labels(l), value(h.sum));
        let _ = writeln!(f.samples, "{}_count{} {}", f.name, labels(l), h.count);
    }

    fn finish(self) -> String {
        let mut s = String::new();
        for f in self.families {
            if f.samples.is_empty() {
                continue;
            }
            let _ = writeln!(s, "# HELP {} {}", f.name, escape_help(&f.help));
            let _ = writeln!(s, "# TYPE {} {}", f.name, f.kind);
            s.push_str(&f.samples);
        }
        s
    }
}

/// The aggregates in Prometheus text exposition format (serve with
/// [`PROMETHEUS_CONTENT_TYPE`]).
///
/// ```
/// use guardrail_core::event::Event;
/// use guardrail_core::observe::{export, ObservePolicy, ObserveState};
/// let policy = ObservePolicy::default().build().unwrap();
/// let mut state = ObserveState::default();
/// let e = Event::from_json(br#"{"type":"llm_usage","ts":1,"workflow":"refunds",
///     "model":"gpt-4o","input_tokens":1000,"output_tokens":100}"#).unwrap();
/// policy.observe(&e, &mut state, &mut Vec::new());
/// let text = export::prometheus_text(&state, &policy);
/// assert!(text.contains("guardrail_llm_calls_total{workflow=\"refunds\"} 1\n"));
/// ```
pub fn prometheus_text(state: &ObserveState, policy: &CompiledObserve) -> String {
    let mut o = Out::default();
    o.sample(
        "guardrail_build_info",
        "gauge",
        "Library version and price table version.",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("price_table_version", policy.price_table_version()),
        ],
        1.0,
    );
    o.sample(
        "guardrail_events_total",
        "counter",
        "Events observed.",
        &[],
        state.events as f64,
    );
    o.sample(
        "guardrail_open_runs",
        "gauge",
        "Runs started and not yet ended.",
        &[],
        state.runs.len() as f64,
    );

    let mut wfs: Vec<_> = state.workflows.iter().collect();
    wfs.sort_by(|a, b| a.0.cmp(b.0));
    for (wf, series) in &wfs {
        let wl = [("workflow", wf.as_str())];
        let t = &series.totals;
        for (outcome, n) in [
            ("success", t.success),
            ("failure", t.failure),
            ("timeout", t.timeout),
            ("cancelled", t.cancelled),
        ] {
            o.sample(
                "guardrail_runs_total",
                "counter",
                "Runs that ended, by workflow and outcome.",
                &[("workflow", wf), ("outcome", outcome)],
                n as f64,
            );
        }
        o.sample(
            "guardrail_runs_started_total",
            "counter",
            "Runs started.",
            &wl,
            t.runs_started as f64,
        );
        o.sample(
            "guardrail_llm_calls_total",
            "counter",
            "LLM calls.",
            &wl,
            t.llm_calls as f64,
        );
        for (ty, n) in [("input", t.input_tokens), ("output", t.output_tokens)] {
            o.sample(
                "guardrail_tokens_total",
                "counter",
                "LLM tokens by type (input includes cached).",
                &[("workflow", wf), ("type", ty)],
                n as f64,
            );
        }
        o.sample(
            "guardrail_cost_usd_total",
            "counter",
            "LLM cost in USD.",
            &wl,
            t.cost_usd,
        );
        let ok = t.tool_calls.saturating_sub(t.tool_errors + t.tool_timeouts);
        for (status, n) in [
            ("ok", ok),
            ("error", t.tool_errors),
            ("timeout", t.tool_timeouts),
        ] {
            o.sample(
                "guardrail_tool_calls_total",
                "counter",
                "Tool results by status.",
                &[("workflow", wf), ("status", status)],
                n as f64,
            );
        }
        for (rule, by_action) in &series.triggers {
            for (action, n) in by_action {
                o.sample(
                    "guardrail_triggers_total",
                    "counter",
                    "Guardrail findings by rule and action.",
                    &[("workflow", wf), ("rule", rule), ("action", action)],
                    *n as f64,
                );
            }
        }
        if series.run_seconds.count > 0 {
            o.histogram(
                "guardrail_run_duration_seconds",
                "Run duration from run_start to run_end.",
                &wl,
                &series.run_seconds,
            );
        }
        if series.run_cost.count > 0 {
            o.histogram(
                "guardrail_task_cost_usd",
                "Cost per finished run in USD.",
                &wl,
                &series.run_cost,
            );
        }
        for (i, wname) in policy.window_names.iter().enumerate() {
            let Some(v) = series.view(i, state.now_ms) else {
                continue;
            };
            let c = &v.counts;
            let l = [("workflow", wf.as_str()), ("window", wname.as_str())];
            let ended = c.runs_ended().saturating_sub(c.cancelled);
            let ratio = |n: u64| {
                if ended == 0 {
                    0.0
                } else {
                    n as f64 / ended as f64
                }
            };
            o.sample(
                "guardrail_window_runs",
                "gauge",
                "Runs ended in the rolling window.",
                &l,
                c.runs_ended() as f64,
            );
            o.sample(
                "guardrail_window_success_ratio",
                "gauge",
                "Successful runs / runs not cancelled, rolling window.",
                &l,
                ratio(c.success),
            );
            o.sample(
                "guardrail_window_failure_ratio",
                "gauge",
                "Failed runs / runs not cancelled, rolling window.",
                &l,
                ratio(c.failure),
            );
            o.sample(
                "guardrail_window_timeout_ratio",
                "gauge",
                "Timed-out runs / runs not cancelled, rolling window.",
                &l,
                ratio(c.timeout),
            );
            o.sample(
                "guardrail_window_cost_usd",
                "gauge",
                "LLM cost in USD, rolling window.",
                &l,
                c.cost_usd,
            );
            o.sample(
                "guardrail_window_tokens",
                "gauge",
                "LLM tokens (input + output), rolling window.",
                &l,
                (c.input_tokens + c.output_tokens) as f64,
            );
            o.sample(
                "guardrail_window_triggers",
                "gauge",
                "Guardrail findings, rolling window.",
                &l,
                c.triggers as f64,
            );
            let help = format!(
                "Run duration quantiles over the rolling window (relative error {:.0}%).",
                RELATIVE_ACCURACY * 100.0
            );
            for (q, name) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
                if let Some(x) = v.run_seconds.quantile(q) {
                    o.sample(
                        "guardrail_window_run_duration_seconds",
                        "gauge",
                        &help,
                        &[("workflow", wf), ("window", wname), ("percentile", name)],
                        x,
                    );
                }
            }
            if let Some(x) = v.run_cost.quantile(0.95) {
                o.sample(
                    "guardrail_window_run_cost_p95_usd",
                    "gauge",
                    "p95 cost per run in USD, rolling window.",
                    &l,
                    x,
                );
            }
        }
    }

    let mut models: Vec<_> = state.models.iter().collect();
    models.sort_by(|a, b| a.0.cmp(b.0));
    for (model, m) in models {
        let provider = m.provider.as_deref().unwrap_or("_OTHER");
        for (ty, h) in [("input", &m.input_tokens), ("output", &m.output_tokens)] {
            o.histogram(
                "gen_ai_client_token_usage",
                "Tokens used per LLM call (GenAI semantic conventions).",
                &[
                    ("gen_ai_operation_name", "chat"),
                    ("gen_ai_provider_name", provider),
                    ("gen_ai_request_model", model),
                    ("gen_ai_token_type", ty),
                ],
                h,
            );
        }
        if m.duration_seconds.count > 0 {
            o.histogram(
                "gen_ai_client_operation_duration_seconds",
                "Duration of LLM calls (GenAI semantic conventions).",
                &[
                    ("gen_ai_operation_name", "chat"),
                    ("gen_ai_provider_name", provider),
                    ("gen_ai_request_model", model),
                ],
                &m.duration_seconds,
            );
        }
        o.sample(
            "guardrail_unpriced_calls_total",
            "counter",
            "LLM calls whose model has no price and no host cost.",
            &[("model", model)],
            m.unpriced_calls as f64,
        );
    }

    let mut dims: Vec<_> = state.showback.iter().collect();
    dims.sort_by(|a, b| a.0.cmp(b.0));
    for (dim, values) in dims {
        let mut v: Vec<_> = values.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        let name = format!("guardrail_cost_by_{}_usd_total", sanitize(dim, false));
        let help = format!("LLM cost in USD by {dim} (showback).");
        for (val, line) in v {
            o.sample(
                &name,
                "counter",
                &help,
                &[(dim.as_str(), val.as_str())],
                line.cost_usd,
            );
        }
    }
    for (kind, n) in &state.anomalies {
        o.sample(
            "guardrail_anomalies_total",
            "counter",
            "Alerts raised by the observe layer, by kind.",
            &[("kind", kind)],
            *n as f64,
        );
    }

    let mut slos: Vec<_> = state.slo.iter().collect();
    slos.sort_by(|a, b| a.0.cmp(b.0));
    for (wf, st) in slos {
        let Some(c) = policy.slos.by_workflow.get(wf) else {
            continue;
        };
        for ((obj, target, _), os) in c.objectives.iter().zip(&st.objectives) {
            let l = [("workflow", wf.as_str()), ("objective", obj.as_str())];
            o.sample(
                "guardrail_slo_good_total",
                "counter",
                "Runs that met the objective.",
                &l,
                os.total.good as f64,
            );
            o.sample(
                "guardrail_slo_valid_total",
                "counter",
                "Runs counted by the objective.",
                &l,
                os.total.valid as f64,
            );
            o.sample(
                "guardrail_slo_target_ratio",
                "gauge",
                "The objective's target.",
                &l,
                *target,
            );
            let budget = 1.0 - target;
            let period = window(os, state.now_ms, c.period_ms);
            o.sample(
                "guardrail_slo_error_budget_remaining_ratio",
                "gauge",
                "Fraction of the period's error budget left.",
                &l,
                budget_remaining(period, budget),
            );
            let mut seen = Vec::new();
            for r in &c.rows {
                for w in [r.long_ms, r.short_ms] {
                    if seen.contains(&w) {
                        continue;
                    }
                    seen.push(w);
                    let name = human_ms(w);
                    o.sample(
                        "guardrail_slo_burn_rate",
                        "gauge",
                        "Error ratio over the window / error budget.",
                        &[
                            ("workflow", wf),
                            ("objective", obj.as_str()),
                            ("window", &name),
                        ],
                        burn(window(os, state.now_ms, w), budget),
                    );
                }
            }
        }
    }
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_sanitized_and_escaped() {
        assert_eq!(sanitize("cost.center-1", false), "cost_center_1");
        assert_eq!(sanitize("9lives", true), "_9lives");
        assert_eq!(sanitize("__x", false), "_x");
        assert_eq!(sanitize("", false), "_");
        assert_eq!(labels(&[("a", "q\"\\\n")]), "{a=\"q\\\"\\\\\\n\"}");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(0.1), "0.1");
    }
}
