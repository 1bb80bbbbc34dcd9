//! OTLP JSON (the OTLP/HTTP `application/json` body) for traces and metrics, per the
//! OpenTelemetry GenAI semantic conventions: `traceId`/`spanId` in hex, enums as integers,
//! 64-bit integers as decimal strings, cumulative temporality.

use super::super::aggregate::Hist;
use super::super::trace::{SpanKind, SpanRecord};
use super::super::{CompiledObserve, ObserveState};
use crate::event::{Outcome, ToolStatus};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Instrumentation scope name and version.
const SCOPE: &str = "guardrail";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A trace export: the OTLP JSON body and where the next export resumes.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceExport {
    /// `ExportTraceServiceRequest` as OTLP JSON; `None` when there is no new span (OTLP
    /// asks not to send empty envelopes).
    pub json: Option<String>,
    /// Pass this as `after` to the next call to export only newer spans.
    pub next: u64,
    /// Spans in this export.
    pub spans: usize,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
        h.update([0u8]);
    }
    h.finalize().into()
}

fn nanos(ms: i64) -> String {
    (i128::from(ms.max(0)) * 1_000_000).to_string()
}

pub(crate) fn kv(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}
pub(crate) fn s(v: &str) -> Value {
    json!({"stringValue": v})
}
fn i(v: u64) -> Value {
    json!({"intValue": v.to_string()})
}
fn d(v: f64) -> Value {
    json!({"doubleValue": if v.is_finite() { v } else { 0.0 }})
}

/// The GenAI well-known provider name for a provider id.
fn provider_name(p: &str) -> &str {
    match p {
        "gemini" | "google" => "gcp.gemini",
        "vertex_ai" => "gcp.vertex_ai",
        "mistral" => "mistral_ai",
        "bedrock" => "aws.bedrock",
        "azure" => "azure.ai.openai",
        other => other,
    }
}

fn resource(policy: &CompiledObserve) -> Value {
    json!({"attributes": [kv("service.name", s(&policy.service_name))]})
}

fn span_json(policy: &CompiledObserve, sp: &SpanRecord) -> Value {
    let seq = sp.seq.to_string();
    let trace_id = if sp.real_run {
        digest(&[b"trace", sp.run.as_bytes()])
    } else {
        // Events without a run id: each span is its own trace.
        digest(&[b"trace", sp.run.as_bytes(), seq.as_bytes()])
    };
    let index = sp.index.to_string();
    let span_id = digest(&[b"span", sp.run.as_bytes(), index.as_bytes(), seq.as_bytes()]);
    let root_id = |run: &str| {
        // The root span's id does not depend on its sequence number, which is unknown
        // until the run ends; children point at it.
        digest(&[b"root", run.as_bytes()])
    };
    let (span_id, parent) = if sp.index == 0 && sp.real_run {
        (root_id(&sp.run), None)
    } else if sp.real_run {
        (span_id, Some(root_id(&sp.run)))
    } else {
        (span_id, None)
    };
    let mut attrs = Vec::new();
    let mut status = json!({"code": 0});
    let (name, kind) = match &sp.kind {
        SpanKind::Run {
            outcome,
            quality,
            cost_usd,
        } => {
            let (op, name) = match (&sp.workflow, &sp.agent) {
                (Some(w), _) => ("invoke_workflow", format!("invoke_workflow {w}")),
                (None, Some(a)) => ("invoke_agent", format!("invoke_agent {a}")),
                (None, None) => ("invoke_agent", "invoke_agent".to_string()),
            };
            attrs.push(kv("gen_ai.operation.name", s(op)));
            attrs.push(kv("guardrail.run.id", s(&sp.run)));
            let outcome_name = match outcome {
                Outcome::Success => "success",
                Outcome::Failure => "failure",
                Outcome::Timeout => "timeout",
                Outcome::Cancelled => "cancelled",
            };
            attrs.push(kv("guardrail.run.outcome", s(outcome_name)));
            if let Some(q) = quality {
                attrs.push(kv("guardrail.run.quality", d(*q)));
            }
            attrs.push(kv("guardrail.cost_usd", d(*cost_usd)));
            if matches!(outcome, Outcome::Failure | Outcome::Timeout) {
                attrs.push(kv("error.type", s(outcome_name)));
                status = json!({"code": 2, "message": outcome_name});
            }
            (name, 1)
        }
        SpanKind::Llm {
            model,
            provider,
            input_tokens,
            output_tokens,
            cache_read_tokens,
            cache_write_tokens,
            cost_usd,
        } => {
            attrs.push(kv("gen_ai.operation.name", s("chat")));
            let known = provider.clone().or_else(|| {
                policy
                    .prices
                    .lookup(model, None)
                    .and_then(|p| p.litellm_provider.clone())
            });
            if let Some(p) = known {
                attrs.push(kv("gen_ai.provider.name", s(provider_name(&p))));
            }
            attrs.push(kv("gen_ai.request.model", s(model)));
            attrs.push(kv("gen_ai.usage.input_tokens", i(*input_tokens)));
            attrs.push(kv("gen_ai.usage.output_tokens", i(*output_tokens)));
            if *cache_read_tokens > 0 {
                attrs.push(kv(
                    "gen_ai.usage.cache_read.input_tokens",
                    i(*cache_read_tokens),
                ));
            }
            if *cache_write_tokens > 0 {
                attrs.push(kv(
                    "gen_ai.usage.cache_creation.input_tokens",
                    i(*cache_write_tokens),
                ));
            }
            attrs.push(kv("guardrail.cost_usd", d(*cost_usd)));
            attrs.push(kv(
                "guardrail.price_table_version",
                s(policy.price_table_version()),
            ));
            (format!("chat {model}"), 3)
        }
        SpanKind::Tool {
            tool,
            call_id,
            status: st,
        } => {
            attrs.push(kv("gen_ai.operation.name", s("execute_tool")));
            attrs.push(kv("gen_ai.tool.name", s(tool)));
            attrs.push(kv("gen_ai.tool.type", s("function")));
            if let Some(id) = call_id {
                attrs.push(kv("gen_ai.tool.call.id", s(id)));
            }
            let err = match st {
                ToolStatus::Ok => None,
                ToolStatus::Error => Some("tool_error"),
                ToolStatus::Timeout => Some("timeout"),
            };
            if let Some(e) = err {
                attrs.push(kv("error.type", s(e)));
                status = json!({"code": 2, "message": e});
            }
            (format!("execute_tool {tool}"), 1)
        }
    };
    if let Some(a) = &sp.agent {
        attrs.push(kv("gen_ai.agent.name", s(a)));
    }
    if let Some(w) = &sp.workflow {
        attrs.push(kv("gen_ai.workflow.name", s(w)));
    }
    let mut span = json!({
        "traceId": hex(trace_id.get(..16).unwrap_or_default()),
        "spanId": hex(span_id.get(..8).unwrap_or_default()),
        "name": name,
        "kind": kind,
        "startTimeUnixNano": nanos(sp.start_ms),
        "endTimeUnixNano": nanos(sp.end_ms.max(sp.start_ms)),
        "attributes": attrs,
        "status": status,
    });
    if let (Some(p), Some(obj)) = (parent, span.as_object_mut()) {
        obj.insert(
            "parentSpanId".into(),
            Value::String(hex(p.get(..8).unwrap_or_default())),
        );
    }
    span
}

/// The buffered spans newer than `after` as an OTLP JSON `ExportTraceServiceRequest`.
///
/// ```
/// use guardrail_core::event::Event;
/// use guardrail_core::observe::{export, ObservePolicy, ObserveState};
/// let policy = ObservePolicy::default().build().unwrap();
/// let mut state = ObserveState::default();
/// let e = Event::from_json(br#"{"type":"llm_usage","ts":1,"run":"r1","model":"gpt-4o",
///     "input_tokens":100,"output_tokens":20}"#).unwrap();
/// policy.observe(&e, &mut state, &mut Vec::new());
/// let out = export::otlp_traces_json(&state, &policy, 0);
/// assert_eq!(out.spans, 1);
/// assert!(out.json.unwrap().contains("\"chat gpt-4o\""));
/// assert!(export::otlp_traces_json(&state, &policy, out.next).json.is_none());
/// ```
pub fn otlp_traces_json(state: &ObserveState, policy: &CompiledObserve, after: u64) -> TraceExport {
    let spans: Vec<Value> = state
        .spans
        .iter()
        .filter(|sp| sp.seq >= after)
        .map(|sp| span_json(policy, sp))
        .collect();
    let next = state.next_span_seq;
    if spans.is_empty() {
        return TraceExport {
            json: None,
            next,
            spans: 0,
        };
    }
    let n = spans.len();
    let body = json!({"resourceSpans": [{
        "resource": resource(policy),
        "scopeSpans": [{"scope": {"name": SCOPE, "version": VERSION}, "spans": spans}],
    }]});
    TraceExport {
        json: Some(body.to_string()),
        next,
        spans: n,
    }
}

fn hist_point(h: &Hist, start: &str, now: &str, attrs: Vec<Value>) -> Value {
    let mut p = json!({
        "startTimeUnixNano": start,
        "timeUnixNano": now,
        "count": h.count.to_string(),
        "sum": h.sum,
        "explicitBounds": h.bounds,
        "bucketCounts": h.counts.iter().map(u64::to_string).collect::<Vec<_>>(),
        "attributes": attrs,
    });
    if h.count > 0 {
        if let Some(o) = p.as_object_mut() {
            o.insert("min".into(), json!(h.min));
            o.insert("max".into(), json!(h.max));
        }
    }
    p
}

fn histogram(name: &str, unit: &str, desc: &str, points: Vec<Value>) -> Value {
    json!({"name": name, "unit": unit, "description": desc,
           "histogram": {"aggregationTemporality": 2, "dataPoints": points}})
}

fn counter(name: &str, unit: &str, desc: &str, points: Vec<Value>) -> Value {
    json!({"name": name, "unit": unit, "description": desc,
           "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": points}})
}

fn int_point(v: u64, start: &str, now: &str, attrs: Vec<Value>) -> Value {
    json!({"asInt": v.to_string(), "startTimeUnixNano": start, "timeUnixNano": now, "attributes": attrs})
}

fn double_point(v: f64, start: &str, now: &str, attrs: Vec<Value>) -> Value {
    json!({"asDouble": if v.is_finite() { v } else { 0.0 }, "startTimeUnixNano": start,
           "timeUnixNano": now, "attributes": attrs})
}

/// Cumulative metrics as an OTLP JSON `ExportMetricsServiceRequest`: the GenAI client
/// metrics (`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`) per model,
/// and guardrail's own: runs, tool calls, cost (per model and per showback dimension), run
/// duration and cost histograms per workflow, SLO good/valid counts, anomalies and triggers.
pub fn otlp_metrics_json(state: &ObserveState, policy: &CompiledObserve) -> String {
    let start = nanos(state.start_ms.unwrap_or(state.now_ms));
    let now = nanos(state.now_ms);
    let (start, now) = (start.as_str(), now.as_str());
    let mut metrics = Vec::new();

    let mut models: Vec<_> = state.models.iter().collect();
    models.sort_by(|a, b| a.0.cmp(b.0));
    let base = |model: &str, provider: &Option<String>| {
        let mut a = vec![
            kv("gen_ai.operation.name", s("chat")),
            kv("gen_ai.request.model", s(model)),
        ];
        let p = provider.clone().or_else(|| {
            policy
                .prices
                .lookup(model, None)
                .and_then(|p| p.litellm_provider.clone())
        });
        a.push(kv(
            "gen_ai.provider.name",
            s(p.as_deref().map_or("_OTHER", provider_name)),
        ));
        a
    };
    let mut tokens = Vec::new();
    let mut durations = Vec::new();
    let mut cost = Vec::new();
    for (model, m) in &models {
        for (ty, h) in [("input", &m.input_tokens), ("output", &m.output_tokens)] {
            let mut a = base(model, &m.provider);
            a.push(kv("gen_ai.token.type", s(ty)));
            tokens.push(hist_point(h, start, now, a));
        }
        if m.duration_seconds.count > 0 {
            durations.push(hist_point(
                &m.duration_seconds,
                start,
                now,
                base(model, &m.provider),
            ));
        }
        cost.push(double_point(
            m.cost_usd,
            start,
            now,
            base(model, &m.provider),
        ));
    }
    if !tokens.is_empty() {
        metrics.push(histogram(
            "gen_ai.client.token.usage",
            "{token}",
            "Tokens used per LLM call.",
            tokens,
        ));
        metrics.push(counter(
            "guardrail.cost",
            "usd",
            "LLM cost in USD per model.",
            cost,
        ));
    }
    if !durations.is_empty() {
        metrics.push(histogram(
            "gen_ai.client.operation.duration",
            "s",
            "Duration of LLM calls.",
            durations,
        ));
    }

    let mut wfs: Vec<_> = state.workflows.iter().collect();
    wfs.sort_by(|a, b| a.0.cmp(b.0));
    let (mut runs, mut tools, mut run_s, mut run_cost, mut triggers) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (wf, series) in &wfs {
        let t = &series.totals;
        for (outcome, n) in [
            ("success", t.success),
            ("failure", t.failure),
            ("timeout", t.timeout),
            ("cancelled", t.cancelled),
        ] {
            if n > 0 {
                runs.push(int_point(
                    n,
                    start,
                    now,
                    vec![
                        kv("gen_ai.workflow.name", s(wf)),
                        kv("guardrail.run.outcome", s(outcome)),
                    ],
                ));
            }
        }
        let ok = t.tool_calls.saturating_sub(t.tool_errors + t.tool_timeouts);
        for (status, n) in [
            ("ok", ok),
            ("error", t.tool_errors),
            ("timeout", t.tool_timeouts),
        ] {
            if n > 0 {
                tools.push(int_point(
                    n,
                    start,
                    now,
                    vec![
                        kv("gen_ai.workflow.name", s(wf)),
                        kv("guardrail.tool.status", s(status)),
                    ],
                ));
            }
        }
        if series.run_seconds.count > 0 {
            run_s.push(hist_point(
                &series.run_seconds,
                start,
                now,
                vec![kv("gen_ai.workflow.name", s(wf))],
            ));
        }
        if series.run_cost.count > 0 {
            run_cost.push(hist_point(
                &series.run_cost,
                start,
                now,
                vec![kv("gen_ai.workflow.name", s(wf))],
            ));
        }
        for (rule, by_action) in &series.triggers {
            for (action, n) in by_action {
                triggers.push(int_point(
                    *n,
                    start,
                    now,
                    vec![
                        kv("gen_ai.workflow.name", s(wf)),
                        kv("guardrail.rule", s(rule)),
                        kv("guardrail.action", s(action)),
                    ],
                ));
            }
        }
    }
    for (name, unit, desc, points) in [
        (
            "guardrail.runs",
            "{run}",
            "Runs that ended, by workflow and outcome.",
            runs,
        ),
        (
            "guardrail.tool.calls",
            "{call}",
            "Tool results by workflow and status.",
            tools,
        ),
        (
            "guardrail.triggers",
            "{finding}",
            "Guardrail findings by workflow, rule and action.",
            triggers,
        ),
    ] {
        if !points.is_empty() {
            metrics.push(counter(name, unit, desc, points));
        }
    }
    if !run_s.is_empty() {
        metrics.push(histogram(
            "guardrail.run.duration",
            "s",
            "Run duration from run_start to run_end.",
            run_s,
        ));
    }
    if !run_cost.is_empty() {
        metrics.push(histogram(
            "guardrail.task.cost",
            "usd",
            "Cost per finished run in USD.",
            run_cost,
        ));
    }
    let mut dims: Vec<_> = state.showback.iter().collect();
    dims.sort_by(|a, b| a.0.cmp(b.0));
    for (dim, values) in dims {
        let mut v: Vec<_> = values.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        let points: Vec<Value> = v
            .iter()
            .map(|(val, line)| {
                double_point(
                    line.cost_usd,
                    start,
                    now,
                    vec![kv(&format!("guardrail.{dim}"), s(val))],
                )
            })
            .collect();
        metrics.push(counter(
            &format!("guardrail.cost.by_{dim}"),
            "usd",
            "LLM cost in USD (showback).",
            points,
        ));
    }
    let mut anomalies: Vec<Value> = state
        .anomalies
        .iter()
        .map(|(k, n)| int_point(*n, start, now, vec![kv("guardrail.anomaly.kind", s(k))]))
        .collect();
    if !anomalies.is_empty() {
        anomalies.sort_by_key(|v| v.to_string());
        metrics.push(counter(
            "guardrail.anomalies",
            "{alert}",
            "Alerts raised by the observe layer.",
            anomalies,
        ));
    }
    let mut slos: Vec<_> = state.slo.iter().collect();
    slos.sort_by(|a, b| a.0.cmp(b.0));
    let (mut good, mut valid) = (vec![], vec![]);
    for (wf, st) in slos {
        let Some(c) = policy.slos.by_workflow.get(wf) else {
            continue;
        };
        for ((obj, _, _), os) in c.objectives.iter().zip(&st.objectives) {
            let a = || {
                vec![
                    kv("gen_ai.workflow.name", s(wf)),
                    kv("guardrail.slo.objective", s(obj.as_str())),
                ]
            };
            good.push(int_point(os.total.good, start, now, a()));
            valid.push(int_point(os.total.valid, start, now, a()));
        }
    }
    if !good.is_empty() {
        metrics.push(counter(
            "guardrail.slo.good",
            "{run}",
            "Runs that met the objective.",
            good,
        ));
        metrics.push(counter(
            "guardrail.slo.valid",
            "{run}",
            "Runs counted by the objective.",
            valid,
        ));
    }
    json!({"resourceMetrics": [{
        "resource": resource(policy),
        "scopeMetrics": [{"scope": {"name": SCOPE, "version": VERSION}, "metrics": metrics}],
    }]})
    .to_string()
}
