//! Tool-call constraints: a tool call with a ~1 KB argument object checked against its JSON
//! Schema plus SQL classification (target: p50 under 10 µs), and the other checks beside it.
//!
//! SQL checks remember their last parses by exact text, so every SQL benchmark comes in two
//! forms: cold (the SQL text differs in every iteration: its `LIMIT`, or the `WHERE` of the
//! `DELETE`, counts up, so each one is parsed) and `_repeated` (the same text every time,
//! answered from the memo). The target is judged on the cold figure.
//!
//! Run: `cargo bench -p guardrail-core --bench tools`

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark's fixed inputs are known good; a failure should stop it loudly"
)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use guardrail_core::constraints::tools::{ToolRegistry, ToolsConfig};
use guardrail_core::event::Event;
use guardrail_core::{Guard, Policy, State};
use serde_json::{json, Value};
use std::hint::black_box;

/// The registry (a database tool with a realistic schema: enum, pattern, format, ranges,
/// nested object, array of objects; a fetch tool with an allowlist; a shell tool) and a
/// valid call whose arguments serialize to about 1 KB. Shared with the peer script
/// `benches/peers/tools_peer.py`, so both measure the same input.
const INPUT: &str = include_str!("peers/tools_input.json");

/// `args` with its SQL made unique by `n` (`LIMIT 50` becomes `LIMIT <n>`, or `= 0` in a
/// `WHERE` becomes `= <n>`): same shape, same findings, but never seen before.
fn fresh(args: &Value, n: &mut u64) -> Value {
    *n += 1;
    let mut args = args.clone();
    let sql = args["sql"].as_str().unwrap();
    let sql = if let Some(head) = sql.strip_suffix("LIMIT 50") {
        format!("{head}LIMIT {}", 50 + *n)
    } else {
        let head = sql.strip_suffix("= 0").unwrap();
        format!("{head}= {n}")
    };
    args["sql"] = Value::String(sql);
    args
}
fn bench(c: &mut Criterion) {
    let input: Value = serde_json::from_str(INPUT).unwrap();
    let config: ToolsConfig = serde_json::from_value(input["config"].clone()).unwrap();
    let registry = ToolRegistry::compile(&config).unwrap();
    let args = input["call"].clone();
    let bytes = serde_json::to_vec(&args).unwrap().len() as u64;
    assert!(registry.check("billing.query", &args).is_empty());

    let mut g = c.benchmark_group("tools");
    g.throughput(Throughput::Bytes(bytes));
    let mut n = 0;
    g.bench_function("schema+sql/1kb", |b| {
        b.iter_batched_ref(
            || fresh(&args, &mut n),
            |args| registry.check(black_box("billing.query"), black_box(args)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("schema+sql/1kb_repeated", |b| {
        b.iter(|| registry.check(black_box("billing.query"), black_box(&args)))
    });
    // The two halves on their own: the schema without the SQL check, the SQL check with an
    // accept-anything schema.
    let mut schema_only = input["config"].clone();
    schema_only["checks"] = json!({});
    let schema_only: ToolsConfig = serde_json::from_value(schema_only).unwrap();
    let schema_only = ToolRegistry::compile(&schema_only).unwrap();
    g.bench_function("schema/1kb", |b| {
        b.iter(|| schema_only.check(black_box("billing.query"), black_box(&args)))
    });
    let mut sql_only = input["config"].clone();
    sql_only["openai"][0]["function"]["parameters"] = json!({});
    let sql_only: ToolsConfig = serde_json::from_value(sql_only).unwrap();
    let sql_only = ToolRegistry::compile(&sql_only).unwrap();
    g.bench_function("sql/1kb", |b| {
        b.iter_batched_ref(
            || fresh(&args, &mut n),
            |args| sql_only.check(black_box("billing.query"), black_box(args)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("sql/1kb_repeated", |b| {
        b.iter(|| sql_only.check(black_box("billing.query"), black_box(&args)))
    });
    let bad = {
        let mut bad = args.clone();
        bad["sql"] = json!("DELETE FROM invoices WHERE id = 0");
        bad["databse"] = json!("billing");
        bad
    };
    assert_eq!(
        registry.check("billing.query", &fresh(&bad, &mut n)).len(),
        2
    );
    g.bench_function("schema+sql/1kb_violations", |b| {
        b.iter_batched_ref(
            || fresh(&bad, &mut n),
            |bad| registry.check(black_box("billing.query"), black_box(bad)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("unknown_tool", |b| {
        b.iter(|| registry.check(black_box("billing.qeury"), black_box(&args)))
    });
    let url = json!({"url": "https://status.example-payments.com/incidents?since=2026-11-23"});
    g.throughput(Throughput::Bytes(url.to_string().len() as u64));
    g.bench_function("url", |b| {
        b.iter(|| registry.check(black_box("web.fetch"), black_box(&url)))
    });
    let cmd = json!({"command": "cd /srv/app && git pull --ff-only && npm ci && npm run build 2>&1 | tee build.log"});
    g.throughput(Throughput::Bytes(cmd.to_string().len() as u64));
    g.bench_function("shell", |b| {
        b.iter(|| registry.check(black_box("shell.run"), black_box(&cmd)))
    });
    g.finish();

    // The floor under the cold figure: `sqlparser` alone on the same statement, no guardrail
    // code (its tokenizer, then tokenizer and parser as `Parser::parse_sql` runs them). The
    // library keeps no state between calls, so the same text every time is a cold parse.
    let sql = args["sql"].as_str().unwrap();
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut g = c.benchmark_group("tools/sqlparser");
    g.throughput(Throughput::Bytes(sql.len() as u64));
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            sqlparser::tokenizer::Tokenizer::new(&dialect, black_box(sql))
                .tokenize()
                .unwrap()
        })
    });
    g.bench_function("parse_sql", |b| {
        b.iter(|| sqlparser::parser::Parser::parse_sql(&dialect, black_box(sql)).unwrap())
    });
    g.finish();

    // The same call through the whole stack (Guard::evaluate of a tool_call event).
    let policy =
        Policy::from_value(json!({"version": 1, "constraints": {"tools": input["config"]}}))
            .unwrap();
    let guard = Guard::builder().build(&policy).unwrap();
    let state = State::new();
    let event = |args: &Value| {
        let event = json!({"type": "tool_call", "ts": 1, "agent": "billing-bot", "tool": "billing.query", "args": args});
        Event::from_json(event.to_string().as_bytes()).unwrap()
    };
    let repeated = event(&args);
    let mut g = c.benchmark_group("tools/guard");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("evaluate_tool_call/1kb", |b| {
        b.iter_batched_ref(
            || event(&fresh(&args, &mut n)),
            |event| guard.evaluate(black_box(event), &state),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("evaluate_tool_call/1kb_repeated", |b| {
        b.iter(|| guard.evaluate(black_box(&repeated), &state))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
