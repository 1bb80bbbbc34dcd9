//! Observe layer ingest: `llm_usage` events through `CompiledObserve::observe` (cost from the
//! price table, rolling windows, showback, spike baselines, traces), one core.
//! Also prints the memory of one fully used workflow series.
//!
//! cargo bench -p guardrail-core --bench observe

#![allow(clippy::unwrap_used, reason = "benchmark setup on fixed inputs")]

use criterion::{criterion_group, Criterion, Throughput};
use guardrail_core::event::{Event, Timestamp};
use guardrail_core::observe::{ObservePolicy, ObserveState};
use std::hint::black_box;
use std::time::Duration;

const BATCH: usize = 10_000;

fn usage_events() -> Vec<Event> {
    let models = [
        "gpt-4o",
        "gpt-4o-mini",
        "claude-sonnet-4-5",
        "gemini-2.5-flash",
    ];
    (0..BATCH)
        .map(|i| {
            let json = format!(
                r#"{{"type":"llm_usage","ts":0,"agent":"agent-{}","workflow":"wf-{}","run":"run-{}",
                "env":"prod","tags":{{"team":"team-{}"}},"model":"{}","input_tokens":{},
                "output_tokens":{},"cached_input_tokens":{},"duration_ms":{}}}"#,
                i % 8,
                i % 16,
                i % 200,
                i % 4,
                models[i % models.len()],
                1000 + i % 3000,
                100 + i % 400,
                i % 1024,
                500 + i % 2000
            );
            Event::from_json(json.as_bytes()).unwrap()
        })
        .collect()
}

fn ingest(c: &mut Criterion) {
    let policy = ObservePolicy::default().build().unwrap();
    let mut events = usage_events();
    let mut state = ObserveState::default();
    let mut findings = Vec::new();
    let mut t = 1_795_000_000_000i64;
    let mut group = c.benchmark_group("observe");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("llm_usage_ingest", |b| {
        b.iter(|| {
            for e in events.iter_mut() {
                // Time moves forward as in a live stream (1 event per ms).
                t += 1;
                e.context.ts = Timestamp::from_unix_millis(t);
                policy.observe(black_box(e), &mut state, &mut findings);
                findings.clear();
            }
        })
    });
    // The same work timed by this thread's CPU time (Linux `/proc/thread-self/schedstat`):
    // on a machine shared with other builds, wall time counts the time the thread waited
    // for a core; CPU time is what one dedicated core would take.
    if thread_cpu_ns().is_some() {
        group.bench_function("llm_usage_ingest_cpu_time", |b| {
            b.iter_custom(|iters| {
                let start = thread_cpu_ns().unwrap_or(0);
                for _ in 0..iters {
                    for e in events.iter_mut() {
                        t += 1;
                        e.context.ts = Timestamp::from_unix_millis(t);
                        policy.observe(black_box(e), &mut state, &mut findings);
                        findings.clear();
                    }
                }
                Duration::from_nanos(thread_cpu_ns().unwrap_or(0).saturating_sub(start))
            })
        });
    }
    group.finish();
}

/// Nanoseconds this thread has run on a CPU, where the OS reports it.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Bytes held by one workflow series after a day of runs with spread-out durations and costs
/// (every window slot and sketch in use).
fn report_memory() {
    let policy = ObservePolicy::default().build().unwrap();
    let mut state = ObserveState::default();
    let mut findings = Vec::new();
    let mut t = 1_795_000_000_000i64;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for i in 0..50_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t += 2_000;
        let run = format!("r{i}");
        let d = 1 + (x % 600_000) as i64;
        for (dt, json) in [
            (
                0,
                format!(r#"{{"type":"run_start","ts":{t},"workflow":"w","run":"{run}"}}"#),
            ),
            (
                d,
                format!(
                    r#"{{"type":"llm_usage","ts":{t},"workflow":"w","run":"{run}","model":"gpt-4o","cost_usd":{}}}"#,
                    (x % 100_000) as f64 / 1000.0
                ),
            ),
            (
                d,
                format!(
                    r#"{{"type":"run_end","ts":{t},"workflow":"w","run":"{run}","outcome":"success"}}"#
                ),
            ),
        ] {
            let mut e = Event::from_json(json.as_bytes()).unwrap();
            e.context.ts = Timestamp::from_unix_millis(t + dt);
            policy.observe(&e, &mut state, &mut findings);
        }
    }
    println!(
        "observe/series_memory: {} bytes for one workflow series after 50000 runs over 28 h \
         (windows 5m/1h/1d x 12 slots, run-duration and run-cost sketches)",
        state.series_memory_bytes("w").unwrap_or(0)
    );
}

criterion_group!(benches, ingest);

fn main() {
    report_memory();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
