//! guardrail's side of the PII peer comparison: reads the evaluation set, prints one JSON line
//! of predictions per text (code-point offsets, overlaps resolved), then one line of timings:
//! throughput over all texts and the median latency of a 1 KB text.
//!
//!     cargo run --release -p guardrail-core --example pii_peer -- benches/pii_eval/eval.jsonl

use guardrail_core::content::pii::{resolve_overlaps, PiiConfig, PiiDetector};
use std::time::Instant;

/// CPU time of this thread in seconds (Linux `schedstat`), so figures survive a loaded machine
/// where wall time also counts the time we wait for a core. `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "benches/pii_eval/eval.jsonl".into());
    let data = std::fs::read_to_string(&path).expect("read the evaluation set");
    let texts: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let detector = PiiDetector::new(&PiiConfig::default()).expect("default policy");
    for text in &texts {
        let cp = |b: usize| text[..b].chars().count();
        let preds: Vec<serde_json::Value> = resolve_overlaps(&detector.find(text))
            .iter()
            .map(|m| serde_json::json!({"entity": m.entity.name(), "start": cp(m.span.start), "end": cp(m.span.end)}))
            .collect();
        println!("{}", serde_json::json!({"preds": preds}));
    }
    if std::env::var_os("PII_PEER_SLOWEST").is_some() {
        let mut per: Vec<(f64, usize)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let s = Instant::now();
                for _ in 0..20 {
                    std::hint::black_box(detector.find(t));
                }
                (s.elapsed().as_secs_f64() / 20.0 * 1e6, i)
            })
            .collect();
        per.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (us, i) in per.iter().take(5) {
            eprintln!("{us:.1} µs: {:?}", texts[*i]);
        }
    }
    // Throughput: every text, repeated until at least 0.5 s has passed.
    let bytes: usize = texts.iter().map(String::len).sum();
    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let mut rounds = 0;
    while start.elapsed().as_secs_f64() < 0.5 {
        for t in &texts {
            std::hint::black_box(detector.find(std::hint::black_box(t)));
        }
        rounds += 1;
    }
    let mbps = (bytes * rounds) as f64 / start.elapsed().as_secs_f64() / 1e6;
    let cpu_mbps = cpu_start
        .zip(cpu_seconds())
        .map(|(a, b)| (bytes * rounds) as f64 / (b - a) / 1e6);
    // Latency: a 1 KB text (texts joined and cut at a char boundary), median of many runs.
    let joined = texts.join("\n");
    let mut end = 1024.min(joined.len());
    while !joined.is_char_boundary(end) {
        end -= 1;
    }
    let kb = &joined[..end];
    let mut samples: Vec<f64> = (0..2001)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(detector.find(std::hint::black_box(kb)));
            t.elapsed().as_secs_f64()
        })
        .collect();
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    let cpu_kb = cpu_seconds();
    for _ in 0..2001 {
        std::hint::black_box(detector.find(std::hint::black_box(kb)));
    }
    let cpu_latency = cpu_kb
        .zip(cpu_seconds())
        .map(|(a, b)| (b - a) / 2001.0 * 1e6);
    samples.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({"timing": {"mb_per_s": mbps, "latency_1kb_us": samples[samples.len() / 2] * 1e6, "latency_1kb_mean_us": mean * 1e6, "cpu_mb_per_s": cpu_mbps, "cpu_latency_1kb_us": cpu_latency}})
    );
}
