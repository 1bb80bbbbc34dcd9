//! Governance per-event cost: the budget check (reserve or commit) plus the audit append,
//! measured through `Guard::evaluate`, single-threaded and on 2 threads sharing one state.
//!
//! `cargo bench -p guardrail-core --bench governance`

#![allow(clippy::panic, reason = "a benchmark with a broken fixture must stop")]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use guardrail_core::{Event, Guard, Policy, State};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BUDGETS: &str = r#"
version: 1
governance:
  audit: {enabled: true}
  budgets:
    reserve: {on: [prompt], usd: 0.01, tokens: 1000}
    limits:
      - {id: run-usd, scope: run, soft: 1.0e12, hard: 1.0e12}
      - {id: team-day, scope: team, window: day, metric: tokens, hard: 1.0e15}
"#;

const AUDIT_ONLY: &str = r#"
version: 1
governance:
  audit: {enabled: true}
  showback: {enabled: false}
"#;

const BARE: &str = r#"
version: 1
governance:
  audit: {enabled: false}
  showback: {enabled: false}
"#;

fn guard(yaml: &str) -> Guard {
    let policy = Policy::from_yaml(yaml).unwrap_or_else(|e| panic!("bench policy: {e}"));
    Guard::builder()
        .build(&policy)
        .unwrap_or_else(|e| panic!("bench guard: {e}"))
}

fn event(json: &str) -> Event {
    Event::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("bench event: {e}"))
}

fn prompt() -> Event {
    event(
        r#"{"type":"prompt","ts":"2026-11-23T10:15:00Z","agent":"billing-bot","run":"r-1",
        "workflow":"refunds","tags":{"team":"payments"},"role":"developer","text":"next"}"#,
    )
}

fn usage() -> Event {
    event(
        r#"{"type":"llm_usage","ts":"2026-11-23T10:15:01Z","agent":"billing-bot","run":"r-1",
        "workflow":"refunds","tags":{"team":"payments"},"model":"gpt-4o","input_tokens":1800,
        "output_tokens":90,"cost_usd":0.0051}"#,
    )
}

/// Runs `iters` evaluations split over `threads` threads sharing one state; returns the
/// wall time. Each thread drains the audit records every 256 evaluations and drops them, as a
/// host persisting them in batches would (so the timing includes taking and freeing them).
fn run(g: &Guard, s: &Arc<State>, e: &Event, iters: u64, threads: u64) -> Duration {
    let per = iters.div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for i in 0..per {
                    black_box(g.evaluate(e, s));
                    if i % 256 == 255 {
                        drop(black_box(s.take_audit_records()));
                    }
                }
            });
        }
    });
    let took = start.elapsed();
    drop(s.take_audit_records());
    took
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("governance");
    group.throughput(Throughput::Elements(1));
    let budgets = guard(BUDGETS);
    let budgets_no_audit =
        guard(&BUDGETS.replace("audit: {enabled: true}", "audit: {enabled: false}"));
    let audit_only = guard(AUDIT_ONLY);
    let bare = guard(BARE);
    let cases = [
        ("prompt_bare_evaluate", &bare, prompt()),
        ("prompt_audit_only", &audit_only, prompt()),
        ("prompt_reserve_only", &budgets_no_audit, prompt()),
        ("prompt_reserve_audit", &budgets, prompt()),
        ("llm_usage_commit_showback_audit", &budgets, usage()),
    ];
    for threads in [1u64, 2] {
        for (name, g, e) in &cases {
            let s = Arc::new(State::new());
            group.bench_function(format!("{name}/{threads}_thread"), |b| {
                b.iter_custom(|iters| run(g, &s, e, iters, threads))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
