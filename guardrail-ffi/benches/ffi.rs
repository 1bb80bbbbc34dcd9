//! Per-call cost on a 1 KB prompt: the direct Rust calls (`Guard::evaluate`, `Guard::scan`,
//! `Guard::redact`) against the same work through the C ABI functions (called from Rust, so
//! the difference is the ABI's own conversion, checking and copying). The same input is
//! timed from C (examples/c/bench_ffi.c) and Go (go/bench_test.go); docs/benchmarks/ffi.md.
//!
//!     cargo bench -p guardrail-ffi --bench ffi

#![allow(clippy::unwrap_used, reason = "benchmark setup on fixed input")]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use guardrail::*;
use guardrail_core::{interop, Channel, Event, Guard, State};
use std::hint::black_box;

const SENTENCE: &str = "Please summarize the quarterly billing report for the finance team and list the open invoices by customer. ";

fn text_1k() -> String {
    SENTENCE.chars().cycle().take(1024).collect()
}

fn bench(c: &mut Criterion) {
    let text = text_1k();
    let event_json = serde_json::json!({"type": "prompt", "ts": 1, "text": text}).to_string();
    let guard = Guard::with_default_policy();
    let state = State::new();
    let event = Event::from_json(event_json.as_bytes()).unwrap();

    let mut cg: *mut guardrail_guard = std::ptr::null_mut();
    assert_eq!(
        unsafe { guardrail_guard_new_default(&mut cg, std::ptr::null_mut()) },
        guardrail_status::Ok
    );
    let cs = guardrail_state_new();

    let mut g = c.benchmark_group("ffi/1KiB");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("rust/evaluate (parsed event)", |b| {
        b.iter(|| guard.evaluate(black_box(&event), &state))
    });
    g.bench_function("rust/interop::evaluate_to_json", |b| {
        b.iter(|| interop::evaluate_to_json(&guard, &state, black_box(event_json.as_bytes())))
    });
    g.bench_function("abi/guardrail_guard_evaluate_json", |b| {
        b.iter(|| unsafe {
            let mut out = guardrail_bytes {
                data: std::ptr::null_mut(),
                len: 0,
            };
            let st = guardrail_guard_evaluate_json(
                cg,
                cs,
                event_json.as_ptr(),
                event_json.len(),
                &mut out,
                std::ptr::null_mut(),
            );
            guardrail_bytes_free(&mut out);
            st
        })
    });
    g.bench_function("abi/guardrail_guard_check_prompt", |b| {
        b.iter(|| unsafe {
            let mut action = guardrail_action::Allow;
            guardrail_guard_check_prompt(
                cg,
                cs,
                std::ptr::null(),
                0,
                text.as_ptr(),
                text.len(),
                &mut action,
                std::ptr::null_mut(),
            )
        })
    });
    g.bench_function("rust/scan", |b| {
        b.iter(|| guard.scan(Channel::User, black_box(&text)))
    });
    g.bench_function("abi/guardrail_guard_scan", |b| {
        b.iter(|| unsafe {
            let mut f: *mut guardrail_findings = std::ptr::null_mut();
            let st = guardrail_guard_scan(
                cg,
                guardrail_channel::User as u32,
                text.as_ptr(),
                text.len(),
                &mut f,
                std::ptr::null_mut(),
            );
            guardrail_findings_free(f);
            st
        })
    });
    g.bench_function("rust/redact", |b| {
        b.iter(|| guard.redact(Channel::User, black_box(&text)))
    });
    g.bench_function("abi/guardrail_guard_redact", |b| {
        b.iter(|| unsafe {
            let mut out = guardrail_bytes {
                data: std::ptr::null_mut(),
                len: 0,
            };
            let st = guardrail_guard_redact(
                cg,
                guardrail_channel::User as u32,
                text.as_ptr(),
                text.len(),
                &mut out,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            guardrail_bytes_free(&mut out);
            st
        })
    });
    g.finish();
    unsafe {
        guardrail_state_free(cs);
        guardrail_guard_free(cg);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
