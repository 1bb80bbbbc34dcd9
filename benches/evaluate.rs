//! `Guard::evaluate` on a 1 KB prompt and a tool call, through the whole stack; a streamed
//! model output (`Guard::stream`) against redacting the same text whole.
//!
//! Run: `cargo bench -p guardrail-core --bench evaluate`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use guardrail_core::{Event, Guard, Policy, State};
use std::hint::black_box;

/// A realistic 1 KB user prompt: a support request with an order, a host and some prose.
fn prompt_1kb() -> String {
    let base = "Hi, our refund for order 1182 failed again this morning. The payment gateway \
                logs say the upstream timed out after 30 seconds, and the customer (account \
                4411, EU region) is asking for an update. Could you check the refund status, \
                look at the last three attempts, and draft a short reply that explains the \
                delay without promising a date? ";
    let mut text = String::new();
    while text.len() < 1024 {
        text.push_str(base);
    }
    text.truncate(1024);
    text
}

fn event(json: serde_json::Value) -> Event {
    Event::from_value(json).expect("valid event")
}

fn bench(c: &mut Criterion) {
    let text = prompt_1kb();
    let prompt =
        event(serde_json::json!({"type": "prompt", "ts": 1, "agent": "billing-bot", "text": text}));
    let call = event(
        serde_json::json!({"type": "tool_call", "ts": 1, "agent": "billing-bot",
        "tool": "db.query", "args": {"sql": "SELECT status FROM refunds WHERE order_id = 1182", "limit": 3}}),
    );
    let example =
        Policy::from_yaml(include_str!("../examples/policy.yaml")).expect("example policy");
    let guards = [
        ("default", Guard::with_default_policy()),
        ("example", Guard::builder().build(&example).expect("guard")),
    ];
    let state = State::new();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Bytes(text.len() as u64));
    for (name, guard) in &guards {
        group.bench_function(format!("prompt_1kb/{name}"), |b| {
            b.iter(|| guard.evaluate(black_box(&prompt), &state))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("evaluate_tool_call");
    group.throughput(Throughput::Elements(1));
    for (name, guard) in &guards {
        group.bench_function(*name, |b| {
            b.iter(|| guard.evaluate(black_box(&call), &state))
        });
    }
    group.finish();
    // A 256 KiB model output with a token every 8 KiB, in 16-byte chunks (a few tokens
    // each), against `Guard::redact` of the whole text: what streaming costs.
    let mut output = String::new();
    while output.len() < 256 << 10 {
        output.push_str(&text[..text.len().min(8 << 10)]);
        output.push_str(&prompt_1kb()[..1000]);
        output.push_str(" token ghp_Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQe\n");
    }
    let guard = Guard::with_default_policy();
    let mut group = c.benchmark_group("stream_256kib");
    group.throughput(Throughput::Bytes(output.len() as u64));
    group.sample_size(20);
    group.bench_function("chunks_16b", |b| {
        b.iter(|| {
            let mut stream = guard.stream(guardrail_core::Channel::ModelOutput);
            let mut shown = 0;
            for chunk in output.as_bytes().chunks(16) {
                let chunk = std::str::from_utf8(chunk).expect("ASCII text");
                shown += stream.push(black_box(chunk)).text.len();
            }
            shown + stream.finish().text.len()
        })
    });
    group.bench_function("whole_redact", |b| {
        b.iter(|| guard.redact(guardrail_core::Channel::ModelOutput, black_box(&output)))
    });
    group.finish();
    c.bench_function("policy_compile/example", |b| {
        b.iter(|| Policy::from_yaml(black_box(include_str!("../examples/policy.yaml"))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
