//! The direct Rust calls timed exactly as examples/c/bench_ffi.c times the C ABI (median of
//! 21 batches, same 1 KB prompt, built-in policy), so the two print comparable figures.
//!
//!     cargo run --release -p guardrail-ffi --example timing [iterations per batch]

#![allow(clippy::unwrap_used, reason = "a timing program on fixed input")]

use guardrail::*;
use guardrail_core::{interop, Channel, Event, Guard, State};
use std::hint::black_box;
use std::time::Instant;

const SENTENCE: &str = "Please summarize the quarterly billing report for the finance team and list the open invoices by customer. ";

fn median_ns(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 + 1 {
        f();
    }
    let mut per_call: Vec<f64> = (0..21)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(iterations)
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    per_call[10]
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000)
        .max(1);
    let text: String = SENTENCE.chars().cycle().take(1024).collect();
    let event_json = serde_json::json!({"type": "prompt", "ts": 1, "text": text}).to_string();
    let guard = Guard::with_default_policy();
    let state = State::new();
    let event = Event::from_json(event_json.as_bytes()).unwrap();
    let mut cg: *mut guardrail_guard = std::ptr::null_mut();
    unsafe { guardrail_guard_new_default(&mut cg, std::ptr::null_mut()) };
    let cs = guardrail_state_new();

    println!("direct Rust calls vs the same C ABI functions called from Rust; median of 21 batches of {iterations}");
    let rows: Vec<(&str, f64)> = vec![
        (
            "rust Guard::evaluate (parsed event)",
            median_ns(iterations, || {
                black_box(guard.evaluate(black_box(&event), &state));
            }),
        ),
        (
            "rust Event::from_json + evaluate",
            median_ns(iterations, || {
                let e = Event::from_json(black_box(event_json.as_bytes())).unwrap();
                black_box(guard.evaluate(&e, &state));
            }),
        ),
        (
            "rust interop::evaluate_to_json",
            median_ns(iterations, || {
                black_box(
                    interop::evaluate_to_json(&guard, &state, black_box(event_json.as_bytes()))
                        .ok(),
                );
            }),
        ),
        (
            "abi guardrail_guard_evaluate_json",
            median_ns(iterations, || unsafe {
                let mut out = guardrail_bytes {
                    data: std::ptr::null_mut(),
                    len: 0,
                };
                guardrail_guard_evaluate_json(
                    cg,
                    cs,
                    event_json.as_ptr(),
                    event_json.len(),
                    &mut out,
                    std::ptr::null_mut(),
                );
                guardrail_bytes_free(&mut out);
            }),
        ),
        (
            "abi guardrail_guard_check_prompt",
            median_ns(iterations, || unsafe {
                let mut a = guardrail_action::Allow;
                guardrail_guard_check_prompt(
                    cg,
                    cs,
                    std::ptr::null(),
                    0,
                    text.as_ptr(),
                    text.len(),
                    &mut a,
                    std::ptr::null_mut(),
                );
                black_box(a);
            }),
        ),
        (
            "rust Guard::scan",
            median_ns(iterations, || {
                black_box(guard.scan(Channel::User, black_box(&text)));
            }),
        ),
        (
            "abi guardrail_guard_scan",
            median_ns(iterations, || unsafe {
                let mut f: *mut guardrail_findings = std::ptr::null_mut();
                guardrail_guard_scan(
                    cg,
                    0,
                    text.as_ptr(),
                    text.len(),
                    &mut f,
                    std::ptr::null_mut(),
                );
                guardrail_findings_free(f);
            }),
        ),
        (
            "rust Guard::redact",
            median_ns(iterations, || {
                black_box(guard.redact(Channel::User, black_box(&text)));
            }),
        ),
        (
            "abi guardrail_guard_redact",
            median_ns(iterations, || unsafe {
                let mut out = guardrail_bytes {
                    data: std::ptr::null_mut(),
                    len: 0,
                };
                guardrail_guard_redact(
                    cg,
                    0,
                    text.as_ptr(),
                    text.len(),
                    &mut out,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                );
                guardrail_bytes_free(&mut out);
            }),
        ),
    ];
    for (name, ns) in rows {
        println!("{name:<38} median {ns:8.0} ns/call");
    }
    unsafe {
        guardrail_state_free(cs);
        guardrail_guard_free(cg);
    }
}
