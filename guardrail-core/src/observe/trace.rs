//! Traces: runs, LLM calls and tool calls assembled from events into spans (host timestamps).
//!
//! A run (`run_start` .. `run_end`) is the root span; each `llm_usage` is a `chat {model}`
//! span ending at the event's time and starting `duration_ms` earlier; each `tool_call` /
//! `tool_result` pair (matched by `call_id`, else by tool name) is an `execute_tool {tool}`
//! span. Finished spans wait in a bounded buffer for the OTLP export. Events without a run id
//! are grouped per agent so run-level detectors still see them.

use super::{CompiledObserve, ObserveState, RunSummary};
use crate::event::{Event, EventKind, Outcome, ToolStatus};
use serde::{Deserialize, Serialize};

/// Most tool calls awaiting their result per run.
const MAX_PENDING: usize = 32;

/// What a span is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum SpanKind {
    Run {
        outcome: Outcome,
        quality: Option<f64>,
        cost_usd: f64,
    },
    Llm {
        model: String,
        provider: Option<String>,
        input_tokens: u64,
        output_tokens: u64,
        cache_read_tokens: u64,
        cache_write_tokens: u64,
        cost_usd: f64,
    },
    Tool {
        tool: String,
        call_id: Option<String>,
        status: ToolStatus,
    },
}

/// One finished span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpanRecord {
    /// Buffer sequence number, increasing; exports resume after a given one.
    pub seq: u64,
    /// The run key (the run id, or `~agent` for events without one).
    pub run: String,
    /// Whether `run` is a real run id (then index 0 is the root span).
    pub real_run: bool,
    /// Index of the span within its run; 0 is the run itself.
    pub index: u32,
    pub start_ms: i64,
    pub end_ms: i64,
    pub agent: Option<String>,
    pub workflow: Option<String>,
    pub kind: SpanKind,
}

/// A tool call waiting for its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub call_id: Option<String>,
    pub tool: String,
    pub fingerprint: u64,
    pub start_ms: i64,
    pub index: u32,
}

/// An open run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunTrace {
    pub agent: Option<String>,
    pub workflow: Option<String>,
    pub started_ms: Option<i64>,
    pub last_ms: i64,
    pub cost_usd: f64,
    pub llm_calls: u64,
    pub tool_calls: u64,
    pub next_index: u32,
    pub pending: Vec<Pending>,
    /// The fingerprint of the call the latest `tool_result` answered.
    pub last_result: Option<u64>,
    /// Per-run detector state (retry spirals, loops, cost overrun).
    pub detect: super::detectors::RunDetect,
}

/// The run key of an event: its run id, else `~agent`, else `~`.
pub(crate) fn run_key(event: &Event) -> (std::borrow::Cow<'_, str>, bool) {
    match (&event.context.run, &event.context.agent) {
        (Some(r), _) => (std::borrow::Cow::Borrowed(r.as_str()), true),
        (None, Some(a)) => (std::borrow::Cow::Owned(format!("~{a}")), false),
        (None, None) => (std::borrow::Cow::Borrowed("~"), false),
    }
}

/// The open run for `key`, opened if needed (closing the least recently active one when the
/// limit is reached).
pub(crate) fn run_mut<'s>(
    policy: &CompiledObserve,
    state: &'s mut ObserveState,
    key: &str,
    event: &Event,
) -> Option<&'s mut RunTrace> {
    if state.runs.len() >= policy.limits.max_open_runs && !state.runs.contains_key(key) {
        {
            // O(open runs), only when a new run arrives at the limit.
            let oldest = state
                .runs
                .iter()
                .min_by_key(|(k, r)| (r.last_ms, k.as_str()))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                state.runs.remove(&k);
            }
        }
    }
    Some(state.runs.entry_ref(key).or_insert_with(|| RunTrace {
        agent: event.context.agent.clone(),
        workflow: event.context.workflow.clone(),
        ..RunTrace::default()
    }))
}

fn push_span(policy: &CompiledObserve, state: &mut ObserveState, mut span: SpanRecord) {
    span.seq = state.next_span_seq;
    state.next_span_seq += 1;
    if state.spans.len() >= policy.limits.max_spans {
        state.spans.pop_front();
    }
    state.spans.push_back(span);
}

fn millis(d: Option<f64>) -> i64 {
    d.filter(|d| d.is_finite() && *d >= 0.0)
        .map_or(0, |d| d.min(1e15) as i64)
}

/// Updates the event's run and buffers any span it finishes.
pub(crate) fn record(policy: &CompiledObserve, event: &Event, cost: f64, state: &mut ObserveState) {
    let ts = event.context.ts.unix_millis();
    let (key, real_run) = run_key(event);
    let fingerprint = match &event.kind {
        EventKind::ToolCall { tool, args, .. } => Some(policy.detectors.fingerprint(tool, args)),
        _ => None,
    };
    let Some(run) = run_mut(policy, state, &key, event) else {
        return;
    };
    run.last_ms = run.last_ms.max(ts);
    if run.agent.is_none() {
        run.agent.clone_from(&event.context.agent);
    }
    if run.workflow.is_none() {
        run.workflow.clone_from(&event.context.workflow);
    }
    let span = |run: &mut RunTrace, start_ms: i64, end_ms: i64, index: Option<u32>, kind| {
        let index = index.unwrap_or_else(|| {
            run.next_index = run.next_index.saturating_add(1);
            run.next_index
        });
        SpanRecord {
            seq: 0,
            run: key.to_string(),
            real_run,
            index,
            start_ms,
            end_ms,
            agent: run.agent.clone(),
            workflow: run.workflow.clone(),
            kind,
        }
    };
    let finished = match &event.kind {
        EventKind::RunStart {} => {
            run.started_ms = Some(ts);
            None
        }
        EventKind::LlmUsage {
            model,
            provider,
            input_tokens,
            output_tokens,
            cached_input_tokens,
            cache_write_tokens,
            duration_ms,
            ..
        } => {
            run.cost_usd += cost;
            run.llm_calls += 1;
            let kind = SpanKind::Llm {
                model: model.clone(),
                provider: provider.clone(),
                input_tokens: *input_tokens,
                output_tokens: *output_tokens,
                cache_read_tokens: *cached_input_tokens,
                cache_write_tokens: *cache_write_tokens,
                cost_usd: cost,
            };
            Some(span(run, ts - millis(*duration_ms), ts, None, kind))
        }
        EventKind::ToolCall { tool, call_id, .. } => {
            run.tool_calls += 1;
            run.next_index = run.next_index.saturating_add(1);
            if run.pending.len() >= MAX_PENDING {
                run.pending.remove(0);
            }
            run.pending.push(Pending {
                call_id: call_id.clone(),
                tool: tool.clone(),
                fingerprint: fingerprint.unwrap_or_default(),
                start_ms: ts,
                index: run.next_index,
            });
            None
        }
        EventKind::ToolResult {
            tool,
            call_id,
            status,
            duration_ms,
            ..
        } => {
            let pos = match call_id {
                Some(id) => run
                    .pending
                    .iter()
                    .position(|p| p.call_id.as_deref() == Some(id.as_str())),
                None => run.pending.iter().rposition(|p| &p.tool == tool),
            };
            let matched = pos.map(|i| run.pending.remove(i));
            run.last_result = matched.as_ref().map(|p| p.fingerprint);
            let (start, index) = match &matched {
                Some(p) => (p.start_ms, Some(p.index)),
                None => (ts - millis(*duration_ms), None),
            };
            let kind = SpanKind::Tool {
                tool: tool.clone(),
                call_id: call_id.clone(),
                status: *status,
            };
            Some(span(run, start.min(ts), ts, index, kind))
        }
        _ => None,
    };
    if let Some(s) = finished {
        push_span(policy, state, s);
    }
    if let EventKind::RunEnd { outcome, quality } = &event.kind {
        if let Some(run) = state.runs.remove(key.as_ref()) {
            let start = run.started_ms.unwrap_or(ts).min(ts);
            let summary = RunSummary {
                run: key.to_string(),
                agent: run.agent.clone(),
                workflow: run.workflow.clone(),
                outcome: *outcome,
                seconds: run.started_ms.map(|s| (ts - s).max(0) as f64 / 1000.0),
                cost_usd: run.cost_usd,
                llm_calls: run.llm_calls,
                tool_calls: run.tool_calls,
                ended: event.context.ts,
            };
            if state.recent_runs.len() >= policy.limits.max_recent {
                state.recent_runs.pop_front();
            }
            state.recent_runs.push_back(summary);
            let root = SpanRecord {
                seq: 0,
                run: key.to_string(),
                real_run,
                index: 0,
                start_ms: start,
                end_ms: ts,
                agent: run.agent,
                workflow: run.workflow,
                kind: SpanKind::Run {
                    outcome: *outcome,
                    quality: *quality,
                    cost_usd: run.cost_usd,
                },
            };
            push_span(policy, state, root);
        }
    }
}
