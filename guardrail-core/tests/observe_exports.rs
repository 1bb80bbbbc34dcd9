//! End to end through `Guard::evaluate`: the example session's retry spiral is flagged, and
//! the export payloads are written to a directory and validated by
//! `scripts/check-exports.sh` (official OTLP protobuf definitions, `promtool check
//! metrics`); the script skips checks whose tools are absent.
//!
//! The payloads go to `$GUARDRAIL_PAYLOAD_DIR` when set, else to a folder under the target
//! directory.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use guardrail_core::event::Event;
use guardrail_core::{Action, Guard, Policy, State};
use serde_json::json;
use std::path::{Path, PathBuf};

const POLICY: &str = r#"
version: 1
observe:
  scope:
    agents:
      billing-bot:
        tools: ["crm.*", "payments.*", "web.fetch", "db.*"]
  slos:
    - workflow: refunds
      success_rate: 0.99
      latency: {within: 2m, target: 0.95}
      cost_per_task: {max_usd: 0.5, target: 0.99}
"#;

fn session() -> Option<Vec<Event>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/session.jsonl");
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| Event::from_json(l.as_bytes()).unwrap())
            .collect(),
    )
}

#[test]
fn example_session_retry_spiral_is_flagged_on_the_fourth_attempt() {
    let Some(events) = session() else {
        println!("skipped: ../examples/session.jsonl not found");
        return;
    };
    let guard = Guard::builder()
        .build(&Policy::from_yaml(POLICY).unwrap())
        .unwrap();
    let state = State::new();
    let mut refund_calls = 0;
    let mut flagged = Vec::new();
    for e in &events {
        let d = guard.evaluate(e, &state);
        if let guardrail_core::event::EventKind::ToolCall { tool, .. } = &e.kind {
            if tool == "payments.refund" {
                refund_calls += 1;
                if let Some(f) = d.findings.iter().find(|f| f.rule == "observe.retry_spiral") {
                    assert_eq!(f.action, Action::Escalate);
                    assert!(d.gate.is_some(), "an escalate decision opens a gate");
                    flagged.push(refund_calls);
                }
            }
        }
    }
    assert_eq!(
        flagged,
        vec![4, 5],
        "the 4th and 5th identical attempts are flagged"
    );
    let view = guard.operations_view(&state);
    let refunds = view.workflows.iter().find(|w| w.name == "refunds").unwrap();
    assert!(refunds.triggers.contains_key("observe.retry_spiral"));
    assert_eq!(view.recent_runs.len(), 2);
    assert!(
        view.recent_runs[0].cost_usd > 0.02,
        "growing cost is recorded"
    );
}

fn payload_dir() -> PathBuf {
    match std::env::var_os("GUARDRAIL_PAYLOAD_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("observe-payloads"),
    }
}

/// Three workflows, two models, tool errors, timeouts and failed runs over two hours.
fn traffic(guard: &Guard, state: &State) {
    let mut t = 1_795_428_000_000i64;
    let models = [("gpt-4o", "openai"), ("claude-sonnet-4-5", "anthropic")];
    for i in 0..600u64 {
        let wf = ["refunds", "triage", "reports"][(i % 3) as usize];
        let run = format!("run-{i}");
        let (model, provider) = models[(i % 2) as usize];
        let ctx = json!({"agent": "billing-bot", "workflow": wf, "run": run, "env": "prod",
            "tags": {"team": if i % 2 == 0 { "payments" } else { "support" }}});
        let ev = |t: i64, mut v: serde_json::Value| {
            for (k, val) in ctx.as_object().unwrap() {
                v[k] = val.clone();
            }
            v["ts"] = json!(t);
            guard.evaluate(&Event::from_value(v).unwrap(), state)
        };
        ev(t, json!({"type": "run_start"}));
        t += 400;
        ev(
            t,
            json!({"type": "llm_usage", "model": model, "provider": provider,
            "input_tokens": 1500 + i * 7 % 900, "output_tokens": 120 + i % 50,
            "cached_input_tokens": 512, "duration_ms": 800.0 + (i % 17) as f64 * 40.0}),
        );
        ev(
            t + 10,
            json!({"type": "tool_call", "tool": "crm.lookup", "call_id": "c1",
            "args": {"order_id": i}}),
        );
        let status = match i % 20 {
            0 => "timeout",
            1 | 2 => "error",
            _ => "ok",
        };
        t += 300;
        ev(
            t,
            json!({"type": "tool_result", "tool": "crm.lookup", "call_id": "c1",
            "status": status, "output": "done"}),
        );
        t += 700 + (i % 11) as i64 * 500;
        let outcome = match i % 25 {
            0 => "failure",
            1 => "timeout",
            _ => "success",
        };
        ev(
            t,
            json!({"type": "run_end", "outcome": outcome, "quality": 0.8}),
        );
        t += 9_000;
    }
}

#[test]
fn export_payloads_are_valid_otlp_and_prometheus() {
    let guard = Guard::builder()
        .build(&Policy::from_yaml(POLICY).unwrap())
        .unwrap();
    let state = State::new();
    traffic(&guard, &state);
    let traces = guard.otlp_traces(&state, 0);
    assert!(traces.spans > 100);
    let traces_json = traces.json.unwrap();
    let metrics = guard.otlp_metrics(&state);
    let prom = guard.prometheus_text(&state);
    let snapshot = serde_json::to_string_pretty(&guard.operations_view(&state)).unwrap();
    // Shape checks that hold whatever tools are installed.
    assert!(prom.ends_with('\n'));
    assert!(prom.contains("gen_ai_client_token_usage_bucket{"));
    assert!(prom.contains("le=\"+Inf\""));
    assert!(prom.contains(
        "guardrail_slo_burn_rate{workflow=\"refunds\",objective=\"success_rate\",window=\"5m\"}"
    ));
    let m: serde_json::Value = serde_json::from_str(&metrics).unwrap();
    assert!(
        m["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
            .as_array()
            .unwrap()
            .len()
            > 5
    );
    let s: serde_json::Value = serde_json::from_str(&snapshot).unwrap();
    assert_eq!(s["events"], 3000);

    let dir = payload_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body) in [
        ("otlp-traces.json", traces_json.as_str()),
        ("otlp-metrics.json", metrics.as_str()),
        ("metrics.prom", prom.as_str()),
        ("snapshot.json", snapshot.as_str()),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    println!("payloads written to {}", dir.display());

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/check-exports.sh");
    if !Path::new(script).exists() {
        println!("skipped: ../scripts/check-exports.sh not found");
        return;
    }
    match std::process::Command::new("bash")
        .arg(script)
        .arg(&dir)
        .output()
    {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            println!("{text}{}", String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "check-exports.sh failed:\n{text}");
            // The checks can fail: a broken copy of each payload must be rejected by every
            // tool that is installed.
            let bad = dir.join("broken");
            std::fs::create_dir_all(&bad).unwrap();
            std::fs::write(
                bad.join("otlp-traces.json"),
                traces_json.replacen("\"kind\":", "\"knd\":", 1),
            )
            .unwrap();
            std::fs::write(
                bad.join("otlp-metrics.json"),
                metrics.replacen("\"count\":", "\"cnt\":", 1),
            )
            .unwrap();
            std::fs::write(
                bad.join("metrics.prom"),
                prom.replacen("guardrail_runs_total{", "guardrail-runs_total{", 1),
            )
            .unwrap();
            let out = std::process::Command::new("bash")
                .arg(script)
                .arg(&bad)
                .output()
                .unwrap();
            let broken = String::from_utf8_lossy(&out.stdout);
            let mut rejected = 0;
            for file in ["otlp-traces.json", "otlp-metrics.json", "metrics.prom"] {
                if text.contains(&format!("ok: {file}")) {
                    assert!(
                        broken.contains(&format!("error: {file}")),
                        "broken {file} passed:\n{broken}"
                    );
                    rejected += 1;
                }
            }
            if rejected > 0 {
                assert!(!out.status.success());
            } else {
                println!("skipped: no checker installed to reject broken payloads");
            }
        }
        Err(e) => println!("skipped: cannot run bash ({e})"),
    }
}
