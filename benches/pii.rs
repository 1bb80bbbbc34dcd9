//! PII detection throughput: every entity enabled, default policy, one core.
//!
//! `dense`: the generated evaluation set (tickets, JSON, CRM notes, logs, emails; several PII
//! values per 300 bytes). `prose`: ordinary text with a rare email or phone. Throughput should
//! stay flat across sizes (the linearity check).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use guardrail_core::content::pii::{PiiConfig, PiiDetector};
use std::hint::black_box;

fn dense(n: usize) -> String {
    let data = include_str!("pii_eval/eval.jsonl");
    let texts: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    fill(n, |i| texts[i % texts.len()].clone())
}

fn prose(n: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "agent",
        "called",
        "tool",
        "with",
        "arguments",
        "and",
        "returned",
        "a",
        "result",
        "Please",
        "review",
        "order",
        "status",
        "Monday",
        "shipping",
        "delayed",
        "by",
        "two",
        "days",
        "our",
        "team",
        "will",
        "follow",
        "up",
        "The",
        "build",
        "v2.3.1",
        "passed",
        "at",
        "14:02",
        "Customer",
        "Success",
        "notes",
        "that",
        "invoice",
        "INV-2041",
        "totals",
        "$120.50",
        "for",
    ];
    let mut seed = 42u64;
    fill(n, |i| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let w = WORDS[(seed >> 33) as usize % WORDS.len()];
        if i % 400 == 399 {
            "contact jane.doe@example.com or (415) 555-0132.\n".to_string()
        } else {
            format!("{w} ")
        }
    })
}

fn fill(n: usize, mut piece: impl FnMut(usize) -> String) -> String {
    let mut s = String::with_capacity(n + 512);
    let mut i = 0;
    while s.len() < n {
        s.push_str(&piece(i));
        s.push('\n');
        i += 1;
    }
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

fn bench(c: &mut Criterion) {
    let detector = PiiDetector::new(&PiiConfig::default()).expect("default policy compiles");
    for (name, make) in [("dense", dense as fn(usize) -> String), ("prose", prose)] {
        let mut g = c.benchmark_group(format!("pii/{name}"));
        for &n in &[1usize << 10, 1 << 16, 1 << 20] {
            let text = make(n);
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, t| {
                b.iter(|| detector.find(black_box(t)))
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
