//! The Rust side of `benches/peers/python/bench.py`: the same 1 KB checks the Python binding
//! makes, timed on the core alone, so the script can report what the binding adds per call.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use guardrail_core::event::{Event, EventKind, Role};
use guardrail_core::{Guard, Policy, State, Timestamp};
use std::hint::black_box;

const PROMPT: &str = include_str!("peers/python/prompt_1k.txt");
const PII_POLICY: &str = include_str!("peers/python/pii_policy.yaml");
const OVERHEAD_POLICY: &str = include_str!("peers/python/overhead_policy.yaml");

fn guard(yaml: &str) -> Option<Guard> {
    Policy::from_yaml(yaml)
        .ok()
        .and_then(|p| Guard::builder().build(&p).ok())
}

fn checks(c: &mut Criterion) {
    let mut group = c.benchmark_group("python_overhead");
    group.throughput(Throughput::Bytes(PROMPT.len() as u64));
    let state = State::new();
    let ts = Timestamp::from_unix_millis(1_795_428_902_120);

    let Some(minimal) = guard(OVERHEAD_POLICY) else {
        return;
    };
    let default = Guard::with_default_policy();
    let prompt = Event::new(
        ts,
        EventKind::Prompt {
            role: Role::User,
            text: PROMPT.to_string(),
        },
    );
    group.bench_function("minimal_prompt", |b| {
        b.iter(|| black_box(minimal.evaluate(black_box(&prompt), &state)))
    });
    group.bench_function("default_prompt", |b| {
        b.iter(|| black_box(default.evaluate(black_box(&prompt), &state)))
    });

    let call = Event::new(
        ts,
        EventKind::ToolCall {
            tool: "ticket.update".into(),
            call_id: None,
            args: serde_json::json!({"ticket": 1182, "note": PROMPT, "notify": true}),
        },
    );
    group.bench_function("default_tool_call", |b| {
        b.iter(|| black_box(default.evaluate(black_box(&call), &state)))
    });

    let Some(pii) = guard(PII_POLICY) else {
        return;
    };
    let output = Event::new(
        ts,
        EventKind::ModelOutput {
            text: PROMPT.to_string(),
            model: None,
        },
    );
    group.bench_function("pii_output", |b| {
        b.iter(|| black_box(pii.evaluate(black_box(&output), &state)))
    });
    group.finish();
}

criterion_group!(benches, checks);
criterion_main!(benches);
