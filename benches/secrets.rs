//! Secret scanning throughput on the mixed corpus of `shared/bench/gen_corpus.py`.
//!
//! The corpus directory comes from `GUARDRAIL_CORPUS_DIR` (a directory holding `c8/` and
//! `c64/` made with `--layout single`), or is generated under `target/secrets-corpus/` by
//! running python3 on the generator. The scan goes through the public API
//! (`Guard::scan`) with a policy that enables only the secrets family, on one thread.
//!
//! Groups:
//! - `secrets/corpus`: whole corpus files (8 MB and 64 MB) as one text each.
//! - `secrets/message`: 64 KB slices of the corpus, one scan per message (the p99 figure
//!   comes from criterion's distribution of this group).
//! - `secrets/compile`: building the guard (policy compile, ruleset compile).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use guardrail_core::{Channel, Guard, Policy};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Only the secrets family of the content layer: the other content detectors and the
/// injection detector (which also reads tool output) are off, so the figures are about secret
/// scanning alone.
const POLICY: &str = "version: 1\nname: secrets-only\nconstraints:\n  injection:\n    enabled: false\ncontent:\n  pii:\n    enabled: false\n  safety:\n    enabled: false\n";

fn corpus_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("GUARDRAIL_CORPUS_DIR") {
        return Some(PathBuf::from(dir));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("target/secrets-corpus");
    let gen = root.join("../../shared/bench/gen_corpus.py");
    let gen = if gen.exists() {
        gen
    } else {
        root.join("../shared/bench/gen_corpus.py")
    };
    for (name, mb) in [("c8", "8"), ("c64", "64")] {
        let target = out.join(name);
        if target.join("files/corpus.txt").exists() {
            continue;
        }
        let ok = Command::new("python3")
            .arg(&gen)
            .args([
                "--size-mb",
                mb,
                "--seed",
                "1",
                "--layout",
                "single",
                "--out",
            ])
            .arg(&target)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!(
                "skipped: could not generate the corpus (python3 and {} needed)",
                gen.display()
            );
            return None;
        }
    }
    Some(out)
}

fn guard() -> Guard {
    let policy = Policy::from_yaml(POLICY).expect("policy loads");
    Guard::builder().build(&policy).expect("guard builds")
}

fn bench(c: &mut Criterion) {
    let mut compile = c.benchmark_group("secrets/compile");
    compile.sample_size(10);
    compile.bench_function("guard", |b| b.iter(|| black_box(guard())));
    compile.finish();

    let Some(dir) = corpus_dir() else { return };
    let guard = guard();
    let mut group = c.benchmark_group("secrets/corpus");
    group.sample_size(10);
    for name in ["c8", "c64"] {
        let Ok(text) = std::fs::read_to_string(dir.join(name).join("files/corpus.txt")) else {
            eprintln!("skipped: {name} not found under {}", dir.display());
            continue;
        };
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, t| {
            b.iter(|| black_box(guard.scan(Channel::ToolOutput, t)))
        });
    }
    group.finish();

    let Ok(text) = std::fs::read_to_string(dir.join("c8/files/corpus.txt")) else {
        return;
    };
    let mut messages = Vec::new();
    let mut at = 0;
    while at + 65536 <= text.len() && messages.len() < 64 {
        let mut end = at + 65536;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        messages.push(&text[at..end]);
        at = end;
    }
    // Latency distribution of single 64 KB scans (criterion reports means; the target is
    // on the 99th percentile).
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..20 {
        for m in &messages {
            let t = std::time::Instant::now();
            black_box(guard.scan(Channel::ToolOutput, m));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    if !times.is_empty() {
        let q = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
        println!(
            "secrets/message/64KB latency over {} scans: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            times.len(),
            q(0.5),
            q(0.99),
            q(1.0)
        );
    }
    let mut group = c.benchmark_group("secrets/message");
    group.throughput(Throughput::Bytes(65536));
    let mut i = 0;
    group.bench_function("64KB", |b| {
        b.iter(|| {
            i = (i + 1) % messages.len().max(1);
            black_box(guard.scan(Channel::ToolOutput, messages[i]))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
