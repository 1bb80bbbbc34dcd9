//! Observe layer tests: per-rule positive and negative cases, bad input, and every detector
//! on synthetic traces with known ground truth (detection rate, delay, false alarms).

use super::*;
use crate::event::Event;
use serde_json::{json, Value};

/// A small deterministic generator (xorshift64*), so traces are reproducible.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let (u1, u2) = (self.f().max(1e-12), self.f());
        mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

pub(crate) struct Sim {
    pub policy: CompiledObserve,
    pub state: ObserveState,
    pub t: i64,
}

impl Sim {
    pub(crate) fn new(policy: ObservePolicy) -> Sim {
        Sim {
            policy: policy.build().unwrap(),
            state: ObserveState::default(),
            t: 1_795_000_000_000,
        }
    }

    /// Feeds an event (JSON without `ts`; the sim's clock is added) and returns its findings.
    pub(crate) fn feed(&mut self, mut v: Value) -> Vec<Finding> {
        v["ts"] = json!(self.t);
        let e = Event::from_value(v).unwrap();
        let mut f = Vec::new();
        self.policy.observe(&e, &mut self.state, &mut f);
        f
    }

    pub(crate) fn feed_rule(&mut self, v: Value, rule: &str) -> bool {
        self.feed(v).iter().any(|f| f.rule == rule)
    }
}

fn count(findings: &[Finding], rule: &str) -> usize {
    findings.iter().filter(|f| f.rule == rule).count()
}

/// Ground-truth results of one detector over many trials.
#[derive(Default)]
struct Measure {
    trials: u32,
    detected: u32,
    delays: Vec<f64>,
    false_alarms: u64,
    normal_units: u64,
}

impl Measure {
    fn row(&self, name: &str, unit: &str) -> String {
        let mean = self.delays.iter().sum::<f64>() / self.delays.len().max(1) as f64;
        let max = self.delays.iter().copied().fold(0.0, f64::max);
        format!(
            "| {name} | {}/{} | {mean:.1} {unit} | {max:.0} {unit} | {:.2} per 1000 {unit} ({} in {}) |",
            self.detected,
            self.trials,
            self.false_alarms as f64 * 1000.0 / self.normal_units.max(1) as f64,
            self.false_alarms,
            self.normal_units
        )
    }
    fn rate(&self) -> f64 {
        f64::from(self.detected) / f64::from(self.trials.max(1))
    }
    fn fa_per_1000(&self) -> f64 {
        self.false_alarms as f64 * 1000.0 / self.normal_units.max(1) as f64
    }
}

// ---------------------------------------------------------------------------------------
// Policy and bad input

#[test]
fn default_policy_compiles_and_bad_policies_point_at_paths() {
    assert!(ObservePolicy::default().build().is_ok());
    let bad: ObservePolicy = serde_json::from_value(json!({
        "windows": ["5x", "10s"],
        "window_slots": 0,
        "prices": {"m": {"input_cost_per_token": -1.0}},
        "spikes": {"z_threshold": -1.0},
        "error_bursts": {"window": "forever"},
        "slos": [{"workflow": "w", "success_rate": 1.5, "alerts": [
            {"severity": "page", "long": "1h", "short": "2h", "budget_consumed": 0.02}]}]
    }))
    .unwrap();
    let err = bad.build().unwrap_err();
    let paths: Vec<&str> = err.issues().iter().map(|i| i.path.as_str()).collect();
    for p in [
        "observe.windows[0]",
        "observe.windows[1]",
        "observe.window_slots",
        "observe.prices.m.input_cost_per_token",
        "observe.spikes.z_threshold",
        "observe.error_bursts.window",
        "observe.slos[0].success_rate",
        "observe.slos[0].alerts[0].short",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
}

#[test]
fn unknown_fields_are_rejected() {
    let r: Result<ObservePolicy, _> = serde_json::from_value(json!({"retry_spirall": {}}));
    assert!(r.is_err());
    let r: Result<ObservePolicy, _> =
        serde_json::from_value(json!({"retry_spiral": {"min_repeat": 3}}));
    assert!(r.is_err());
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("5m"), Some(300_000));
    assert_eq!(parse_duration("30d"), Some(2_592_000_000));
    assert_eq!(parse_duration("250ms"), Some(250));
    for bad in ["", "m", "5", "-5m", "5 m", "99999999999999999999d", "0s"] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
    assert_eq!(human_ms(3_600_000), "1h");
    assert_eq!(human_ms(90_000), "90s");
}

#[test]
fn disabled_layer_does_nothing() {
    let mut sim = Sim::new(ObservePolicy {
        enabled: false,
        ..ObservePolicy::default()
    });
    sim.feed(json!({"type":"llm_usage","model":"gpt-4o","input_tokens":5}));
    assert_eq!(sim.state, ObserveState::default());
}

#[test]
fn events_without_context_and_huge_values_are_handled() {
    let mut sim = Sim::new(ObservePolicy::default());
    sim.feed(
        json!({"type":"llm_usage","model":"","input_tokens":u64::MAX,"output_tokens":u64::MAX,
        "cached_input_tokens":u64::MAX, "duration_ms": 1e300}),
    );
    sim.feed(json!({"type":"tool_result","tool":"x","status":"timeout"}));
    sim.feed(json!({"type":"run_end","outcome":"success"}));
    sim.feed(json!({"type":"model_output","text":""}));
    sim.t = i64::MIN / 2;
    sim.feed(json!({"type":"tool_call","tool":"x","args":{"a":[1,2,{"b":null}]}}));
    sim.t = 0;
    sim.feed(json!({"type":"prompt","text":"hi"}));
    let snap = export::snapshot_json(&sim.state, &sim.policy);
    assert!(snap.contains("\"_none\""));
    let text = export::prometheus_text(&sim.state, &sim.policy);
    assert!(text.ends_with('\n'));
    let _ = export::otlp_metrics_json(&sim.state, &sim.policy);
    let _ = export::otlp_traces_json(&sim.state, &sim.policy, 0);
}

// ---------------------------------------------------------------------------------------
// Cost, traces, aggregates

#[test]
fn cost_is_computed_recorded_and_host_cost_wins() {
    let mut sim = Sim::new(ObservePolicy::default());
    let base = json!({"type":"llm_usage","run":"r1","workflow":"refunds","agent":"bot",
        "tags":{"team":"payments"},"model":"gpt-4o","input_tokens":1000,"output_tokens":100});
    sim.feed(base.clone());
    let mut with_cost = base.clone();
    with_cost["cost_usd"] = json!(1.0);
    sim.feed(with_cost);
    let mut unknown = base;
    unknown["model"] = json!("mystery-1");
    sim.feed(unknown);
    let computed = 1000.0 * 2.5e-6 + 100.0 * 1e-5;
    let wf = &sim.state.workflows["refunds"];
    assert!((wf.totals.cost_usd - (computed + 1.0)).abs() < 1e-12);
    let team = &sim.state.showback["team"]["payments"];
    assert_eq!(team.calls, 3);
    assert_eq!(sim.state.models["mystery-1"].unpriced_calls, 1);
    assert_eq!(sim.state.runs["r1"].llm_calls, 3);
}

#[test]
fn traces_pair_tool_calls_and_close_runs() {
    let mut sim = Sim::new(ObservePolicy::default());
    sim.feed(json!({"type":"run_start","run":"r1","workflow":"w","agent":"a"}));
    sim.t += 100;
    sim.feed(json!({"type":"tool_call","run":"r1","tool":"db.query","call_id":"c1","args":{}}));
    sim.feed(json!({"type":"tool_call","run":"r1","tool":"http.get","call_id":"c2","args":{}}));
    sim.t += 50;
    sim.feed(
        json!({"type":"tool_result","run":"r1","tool":"http.get","call_id":"c2","status":"error"}),
    );
    sim.t += 50;
    sim.feed(json!({"type":"tool_result","run":"r1","tool":"db.query","call_id":"c1"}));
    sim.t += 800;
    sim.feed(json!({"type":"run_end","run":"r1","outcome":"success","quality":0.9}));
    let spans: Vec<_> = sim.state.spans.iter().collect();
    assert_eq!(spans.len(), 3);
    assert!(sim.state.runs.is_empty());
    let first = spans[0];
    assert!(
        matches!(&first.kind, trace::SpanKind::Tool { tool, status: crate::event::ToolStatus::Error, .. } if tool == "http.get")
    );
    assert_eq!(first.end_ms - first.start_ms, 50);
    assert_eq!(spans[1].end_ms - spans[1].start_ms, 100);
    assert_eq!(spans[2].index, 0);
    assert_eq!(spans[2].end_ms - spans[2].start_ms, 1000);
    let r = &sim.state.recent_runs[0];
    assert_eq!(r.seconds, Some(1.0));
    assert_eq!(r.tool_calls, 2);
}

#[test]
fn state_is_bounded_whatever_the_input() {
    let policy = ObservePolicy {
        limits: ObserveLimits {
            max_series: 8,
            max_open_runs: 16,
            max_spans: 32,
            max_label_values: 8,
            max_recent: 8,
        },
        ..ObservePolicy::default()
    };
    let mut sim = Sim::new(policy);
    let mut rng = Rng::new(7);
    for i in 0..5_000 {
        sim.t += 1_000;
        let n = rng.below(1_000_000);
        sim.feed(
            json!({"type":"llm_usage","run":format!("r{n}"),"workflow":format!("w{n}"),
            "agent":format!("a{n}"),"tags":{"team":format!("t{n}")},"model":format!("m{n}"),
            "input_tokens":i}),
        );
        sim.feed(json!({"type":"tool_call","run":format!("r{n}"),"workflow":format!("w{n}"),"tool":format!("t{n}"),"args":{"i":i}}));
    }
    let s = &sim.state;
    assert!(s.workflows.len() <= 9 && s.agents.len() <= 9);
    assert!(s.runs.len() <= 16);
    assert!(s.spans.len() <= 32);
    assert!(s.models.len() <= 9);
    assert!(s.showback.values().all(|m| m.len() <= 9));
    assert!(s.detect.len() <= 9);
    assert!(s.alerts.len() <= 8);
    assert!(s.workflows.contains_key(OTHER));
}

#[test]
fn state_round_trips_through_serde() {
    let mut sim = Sim::new(ObservePolicy::default());
    for i in 0..50 {
        sim.t += 1000;
        sim.feed(
            json!({"type":"llm_usage","run":"r","workflow":"w","model":"gpt-4o","input_tokens":i}),
        );
        sim.feed(
            json!({"type":"run_end","run":"r","workflow":"w","outcome":"success","quality":0.5}),
        );
    }
    let json = serde_json::to_string(&sim.state).unwrap();
    let back: ObserveState = serde_json::from_str(&json).unwrap();
    // Compare as JSON values: maps are unordered, and both sides parse the same text.
    let (a, b): (Value, Value) = (
        serde_json::from_str(&json).unwrap(),
        serde_json::to_value(&back).unwrap(),
    );
    assert!(a == b, "state changed through serde");
    assert_eq!(back.events, sim.state.events);
    assert_eq!(back.workflows.len(), 1);
}

#[test]
fn windows_report_rates_and_latency_quantiles() {
    let mut sim = Sim::new(ObservePolicy::default());
    for i in 0..100 {
        let run = format!("r{i}");
        sim.feed(json!({"type":"run_start","run":run,"workflow":"w"}));
        sim.t += 1_000 + i * 10;
        let outcome = if i % 10 == 0 { "failure" } else { "success" };
        sim.feed(json!({"type":"run_end","run":run,"workflow":"w","outcome":outcome}));
    }
    let view = export::snapshot(&sim.state, &sim.policy);
    let w = view.workflows.iter().find(|s| s.name == "w").unwrap();
    let hour = w.windows.iter().find(|x| x.window == "1h").unwrap();
    assert_eq!(hour.runs_ended, 100);
    assert!((hour.failure_rate.unwrap() - 0.1).abs() < 1e-9);
    // Durations are 1.00 s .. 1.99 s: p50 ~ 1.495 s within 2%.
    let p50 = hour.run_seconds.p50.unwrap();
    assert!((p50 - 1.495).abs() <= 0.02 * 1.495 + 0.011, "{p50}");
    // The 5-minute window holds only the runs of the last 5 minutes (~2 minutes of runs...
    // all 100 runs took ~150 s, so every run is inside it too).
    let five = w.windows.iter().find(|x| x.window == "5m").unwrap();
    assert_eq!(five.runs_ended, 100);
    sim.t += 10 * 60_000;
    sim.feed(json!({"type":"prompt","text":"tick"}));
    let view = export::snapshot(&sim.state, &sim.policy);
    let w = view.workflows.iter().find(|s| s.name == "w").unwrap();
    assert_eq!(w.windows[0].runs_ended, 0, "5m window moved past the runs");
    assert_eq!(w.windows[1].runs_ended, 100);
}

#[test]
fn series_memory_is_reported_and_bounded() {
    let mut sim = Sim::new(ObservePolicy::default());
    let mut rng = Rng::new(3);
    for i in 0..20_000 {
        sim.t += 5_000;
        let run = format!("r{i}");
        sim.feed(json!({"type":"run_start","run":run,"workflow":"w"}));
        sim.t += 1 + rng.below(600_000) as i64;
        sim.feed(json!({"type":"llm_usage","run":run,"workflow":"w","model":"gpt-4o","cost_usd": rng.f() * 10.0}));
        sim.feed(json!({"type":"run_end","run":run,"workflow":"w","outcome":"success"}));
    }
    let bytes = sim.state.series_memory_bytes("w").unwrap();
    // 36 slots x 2 sketches x at most 128 bins x 8 bytes, plus counters: well under 100 KB.
    assert!(bytes < 100_000, "{bytes}");
    println!("bytes per series after 20000 spread-out runs: {bytes}");
}

// ---------------------------------------------------------------------------------------
// Detectors: positive and negative cases

fn tool_call(run: &str, tool: &str, args: Value) -> Value {
    json!({"type":"tool_call","run":run,"workflow":"w","agent":"a","tool":tool,"args":args})
}
fn tool_result(run: &str, tool: &str, status: &str) -> Value {
    json!({"type":"tool_result","run":run,"workflow":"w","agent":"a","tool":tool,"status":status})
}
fn usage(run: &str, tokens: u64, cost: f64) -> Value {
    json!({"type":"llm_usage","run":run,"workflow":"w","agent":"a","model":"gpt-4o",
        "input_tokens":tokens,"output_tokens":tokens / 10,"cost_usd":cost})
}

#[test]
fn retry_spiral_flags_the_fourth_identical_failing_call_with_growing_cost() {
    let mut sim = Sim::new(ObservePolicy::default());
    let mut flagged_at = None;
    for attempt in 1..=6 {
        sim.t += 1000;
        sim.feed(usage("r1", 1000 * attempt, 0.01 * attempt as f64));
        let f = sim.feed(tool_call("r1", "payments.refund",
            json!({"order": 1182, "request_id": format!("req-{attempt}"), "at": format!("2026-11-23T10:15:0{attempt}Z")})));
        if count(&f, "observe.retry_spiral") > 0 && flagged_at.is_none() {
            flagged_at = Some(attempt);
            let msg = &f[0].message;
            assert!(
                msg.contains("4 times") && msg.contains("3 failures in a row"),
                "{msg}"
            );
            assert_eq!(f[0].action, Action::Escalate);
        }
        sim.feed(tool_result("r1", "payments.refund", "error"));
    }
    assert_eq!(flagged_at, Some(4));
}

#[test]
fn retry_spiral_ignores_distinct_calls_and_single_retries() {
    let mut sim = Sim::new(ObservePolicy::default());
    for i in 0..40 {
        let f = sim.feed(tool_call("r1", "db.query", json!({"id": i})));
        assert_eq!(count(&f, "observe.retry_spiral"), 0);
        sim.feed(tool_result(
            "r1",
            "db.query",
            if i % 2 == 0 { "error" } else { "ok" },
        ));
    }
    // Same calls in different runs do not add up.
    for r in 0..10 {
        let f = sim.feed(tool_call(&format!("x{r}"), "db.query", json!({"id": 1})));
        assert_eq!(count(&f, "observe.retry_spiral"), 0);
    }
}

#[test]
fn consecutive_failures_of_one_tool_are_a_spiral_even_with_new_arguments() {
    let mut sim = Sim::new(ObservePolicy::default());
    let mut flagged = 0;
    for i in 0..5 {
        let f = sim.feed(tool_call(
            "r1",
            "http.get",
            json!({"url": format!("https://x/{i}")}),
        ));
        flagged += count(&f, "observe.retry_spiral");
        sim.feed(tool_result("r1", "http.get", "timeout"));
    }
    assert_eq!(flagged, 2, "the 4th and 5th calls follow 3 and 4 failures");
}

#[test]
fn loops_are_flagged_and_varied_runs_are_not() {
    let mut sim = Sim::new(ObservePolicy::default());
    let mut at = None;
    for i in 0..8 {
        let (tool, args) = if i % 2 == 0 {
            ("search", json!({"q":"x"}))
        } else {
            ("read", json!({"doc":1}))
        };
        if count(&sim.feed(tool_call("r1", tool, args)), "observe.loop") > 0 && at.is_none() {
            at = Some(i + 1);
        }
    }
    assert_eq!(at, Some(6));
    for i in 0..30 {
        let f = sim.feed(tool_call("r2", "search", json!({"q": i})));
        assert_eq!(count(&f, "observe.loop"), 0);
    }
}

#[test]
fn run_budget_overrun_is_flagged_once_then_on_tool_calls() {
    let mut policy = ObservePolicy::default();
    policy.cost_overrun.run_budget_usd = Some(0.05);
    let mut sim = Sim::new(policy);
    let mut flags = vec![];
    for i in 0..5 {
        flags.push(count(
            &sim.feed(usage("r1", 100, 0.02)),
            "observe.cost_overrun",
        ));
        if i == 4 {
            flags.push(count(
                &sim.feed(tool_call("r1", "t", json!({}))),
                "observe.cost_overrun",
            ));
        }
    }
    assert_eq!(flags, vec![0, 0, 1, 0, 0, 1]);
    // Another run under budget is not flagged.
    assert_eq!(
        count(&sim.feed(usage("r2", 100, 0.02)), "observe.cost_overrun"),
        0
    );
}

#[test]
fn scope_drift_flags_tools_and_resources_outside_the_declared_scope() {
    let mut policy = ObservePolicy::default();
    policy.scope.agents.insert(
        "a".into(),
        AgentScope {
            tools: vec!["db.*".into(), "search".into()],
            resources: vec!["s3://reports/*".into()],
        },
    );
    let mut sim = Sim::new(policy);
    assert!(!sim.feed_rule(
        tool_call("r", "db.query", json!({"table": "s3://reports/q3"})),
        "observe.scope_drift"
    ));
    assert!(sim.feed_rule(
        tool_call("r", "shell.exec", json!({})),
        "observe.scope_drift"
    ));
    assert!(sim.feed_rule(
        tool_call(
            "r",
            "db.query",
            json!({"opts": {"bucket": "s3://payroll/x"}})
        ),
        "observe.scope_drift"
    ));
    // Agents without a declared scope are not checked.
    let other = json!({"type":"tool_call","agent":"b","tool":"shell.exec","args":{}});
    assert!(!sim.feed_rule(other, "observe.scope_drift"));
}

#[test]
fn slo_page_alert_carries_the_numbers() {
    let mut policy = ObservePolicy::default();
    policy.slos.push(SloConfig {
        workflow: "w".into(),
        success_rate: Some(0.99),
        ..SloConfig::default()
    });
    let mut sim = Sim::new(policy);
    let mut pages = vec![];
    for i in 0..400 {
        sim.t += 10_000;
        let outcome = if i >= 200 && i % 2 == 0 {
            "failure"
        } else {
            "success"
        };
        let f = sim
            .feed(json!({"type":"run_end","run":format!("r{i}"),"workflow":"w","outcome":outcome}));
        pages.extend(
            f.into_iter()
                .filter(|f| f.rule == "slo.burn_rate")
                .map(|f| (i, f)),
        );
    }
    assert!(
        pages.iter().all(|(i, _)| *i >= 200),
        "no alert before the failures began"
    );
    let (i, f) = pages
        .iter()
        .find(|(_, f)| f.message.starts_with("page:"))
        .unwrap();
    assert!(*i >= 200, "no alert before the failures began");
    assert!(f.message.starts_with("page:"), "{}", f.message);
    assert!(
        f.message.contains("burn rate")
            && f.message.contains("bad of")
            && f.message.contains("threshold"),
        "{}",
        f.message
    );
    assert_eq!(f.severity, Severity::High);
    // Edge-triggered: one finding per row, not one per run.
    assert!(pages.len() <= 3, "{}", pages.len());
    assert!(pages.iter().any(|(_, f)| f.message.starts_with("ticket:")));
}

// ---------------------------------------------------------------------------------------
// Ground truth: detection rate, delay and false alarms on synthetic traces.

const TOOLS: [&str; 8] = [
    "db.query",
    "http.get",
    "search",
    "read",
    "write",
    "email.send",
    "calc",
    "files.list",
];

/// A normal agent step: an LLM call, a tool call with fresh arguments, a result (5% errors,
/// retried once with the same arguments).
fn normal_step(sim: &mut Sim, rng: &mut Rng, run: &str, rule: &str) -> u64 {
    let mut alarms = 0;
    sim.t += 1000;
    let tokens = rng.normal(2000.0, 200.0).max(1.0) as u64;
    alarms += count(&sim.feed(usage(run, tokens, tokens as f64 * 5e-6)), rule) as u64;
    let tool = TOOLS[rng.below(8) as usize];
    let args = json!({"id": rng.below(100_000), "request_id": format!("q{}", rng.next())});
    alarms += count(&sim.feed(tool_call(run, tool, args.clone())), rule) as u64;
    if rng.f() < 0.05 {
        sim.feed(tool_result(run, tool, "error"));
        alarms += count(&sim.feed(tool_call(run, tool, args)), rule) as u64;
    }
    sim.feed(tool_result(run, tool, "ok"));
    alarms
}

#[test]
fn ground_truth_report() {
    let mut rows = vec![
        "| detector | detected | mean delay | max delay | false alarms |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];

    // retry_spiral: 200 runs; each has 10 normal steps, then one call failing and retried
    // with the same arguments (fresh request ids) while LLM cost grows. Delay: retries
    // after the first attempt before the flag.
    let mut m = Measure::default();
    for seed in 0..200 {
        let mut sim = Sim::new(ObservePolicy::default());
        let mut rng = Rng::new(seed);
        let run = format!("r{seed}");
        for _ in 0..10 {
            m.false_alarms += normal_step(&mut sim, &mut rng, &run, "observe.retry_spiral");
            m.normal_units += 1;
        }
        m.trials += 1;
        for attempt in 0..10u64 {
            sim.t += 1000;
            sim.feed(usage(
                &run,
                2000 + 500 * attempt,
                0.01 * (attempt + 1) as f64,
            ));
            let args = json!({"order": 1182, "request_id": format!("q{}", rng.next())});
            if sim.feed_rule(
                tool_call(&run, "payments.refund", args),
                "observe.retry_spiral",
            ) {
                m.detected += 1;
                m.delays.push(attempt as f64);
                break;
            }
            sim.feed(tool_result(&run, "payments.refund", "error"));
        }
    }
    rows.push(m.row("retry_spiral", "calls"));
    let mut bad = Vec::new();
    let mut check = |name: &str, m: &Measure, rate: f64, fa: f64| {
        if !(m.rate() >= rate && m.fa_per_1000() < fa) {
            bad.push(format!("{name}: rate {} fa {}", m.rate(), m.fa_per_1000()));
        }
    };
    check("retry", &m, 0.99, 1.0);

    // loops: 200 runs of 10 normal steps, then A, B, A, B... Delay: loop steps observed.
    let mut m = Measure::default();
    for seed in 0..200 {
        let mut sim = Sim::new(ObservePolicy::default());
        let mut rng = Rng::new(1000 + seed);
        let run = format!("r{seed}");
        for _ in 0..10 {
            m.false_alarms += normal_step(&mut sim, &mut rng, &run, "observe.loop");
            m.normal_units += 1;
        }
        m.trials += 1;
        let period = 2 + rng.below(2) as usize;
        for step in 0..20 {
            let tool = TOOLS[step % period];
            if sim.feed_rule(
                tool_call(&run, tool, json!({"k": step % period})),
                "observe.loop",
            ) {
                m.detected += 1;
                m.delays.push((step + 1) as f64);
                break;
            }
        }
    }
    rows.push(m.row("loop (period 2-3)", "steps"));
    check("loop", &m, 0.99, 1.0);

    // cost_overrun (p95): 100 normal runs of 5 calls (cost ~ N(0.01, 0.002) per call),
    // then a run at 10x cost. Delay: LLM calls into the run.
    let mut m = Measure::default();
    for seed in 0..50 {
        let mut sim = Sim::new(ObservePolicy::default());
        let mut rng = Rng::new(2000 + seed);
        for r in 0..100 {
            let run = format!("n{r}");
            for _ in 0..5 {
                sim.t += 1000;
                let c = rng.normal(0.01, 0.002).max(0.0);
                m.false_alarms +=
                    count(&sim.feed(usage(&run, 1000, c)), "observe.cost_overrun") as u64;
                m.normal_units += 1;
            }
            sim.feed(json!({"type":"run_end","run":run,"workflow":"w","outcome":"success"}));
        }
        m.trials += 1;
        for call in 0..20 {
            sim.t += 1000;
            if sim.feed_rule(
                usage("big", 1000, rng.normal(0.1, 0.02).max(0.0)),
                "observe.cost_overrun",
            ) {
                m.detected += 1;
                m.delays.push((call + 1) as f64);
                break;
            }
        }
    }
    rows.push(m.row("cost_overrun (3x p95)", "calls"));
    check("cost", &m, 0.95, 5.0);

    // spikes: 2000 calls with tokens ~ N(2000, 200), 20 injected at 4x. Detected on the
    // spiking call itself (delay 0) or missed.
    let mut m = Measure::default();
    for seed in 0..10 {
        let mut sim = Sim::new(ObservePolicy::default());
        let mut rng = Rng::new(3000 + seed);
        for i in 0..2000 {
            sim.t += 1000;
            let spike = i >= 100 && i % 100 == 0;
            let tokens = rng.normal(2000.0, 200.0).max(1.0) * if spike { 4.0 } else { 1.0 };
            let hit = sim.feed_rule(
                usage("r", tokens as u64, tokens * 5e-6),
                "observe.token_spike",
            );
            if spike {
                m.trials += 1;
                if hit {
                    m.detected += 1;
                    m.delays.push(0.0);
                }
            } else {
                m.normal_units += 1;
                m.false_alarms += u64::from(hit);
            }
        }
    }
    rows.push(m.row("token_spike (4x)", "calls"));
    check("spike", &m, 0.95, 2.0);

    // error_burst: one tool result every 2 s with 5% errors for 2 hours, then 80% errors.
    // Delay: seconds from the burst's start.
    let (mut m, mut mt) = (Measure::default(), Measure::default());
    for seed in 0..10 {
        let mut sim = Sim::new(ObservePolicy::default());
        let mut rng = Rng::new(4000 + seed);
        for _ in 0..3600 {
            sim.t += 2000;
            let st = if rng.f() < 0.05 {
                "error"
            } else if rng.f() < 0.01 {
                "timeout"
            } else {
                "ok"
            };
            let f = sim.feed(tool_result("r", "db.query", st));
            m.false_alarms += count(&f, "observe.error_burst") as u64;
            mt.false_alarms += count(&f, "observe.timeout_burst") as u64;
            m.normal_units += 1;
            mt.normal_units += 1;
        }
        m.trials += 1;
        mt.trials += 1;
        let (mut got, mut got_t) = (false, false);
        for k in 1..=300 {
            sim.t += 2000;
            let st = if rng.f() < 0.8 {
                if rng.f() < 0.3 {
                    "timeout"
                } else {
                    "error"
                }
            } else {
                "ok"
            };
            let f = sim.feed(tool_result("r", "db.query", st));
            if !got && count(&f, "observe.error_burst") > 0 {
                got = true;
                m.detected += 1;
                m.delays.push(f64::from(k) * 2.0);
            }
            if !got_t && count(&f, "observe.timeout_burst") > 0 {
                got_t = true;
                mt.detected += 1;
                mt.delays.push(f64::from(k) * 2.0);
            }
        }
    }
    rows.push(
        m.row("error_burst (5% -> 80%)", "s")
            .replace("per 1000 s", "per 1000 results"),
    );
    rows.push(
        mt.row("timeout_burst (1% -> 24%)", "s")
            .replace("per 1000 s", "per 1000 results"),
    );
    check("error", &m, 0.99, 1.0);
    check("timeout", &mt, 0.99, 1.0);

    // tool_mix_shift: 4 tools at 40/30/20/10% for 2000 calls, then 10/10/30/50%.
    let mut m = Measure::default();
    for seed in 0..50 {
        let mut sim = Sim::new(ObservePolicy::default());
        let mut rng = Rng::new(5000 + seed);
        let pick = |rng: &mut Rng, p: [f64; 4]| {
            let x = rng.f();
            let mut acc = 0.0;
            for (i, pi) in p.iter().enumerate() {
                acc += pi;
                if x < acc {
                    return i;
                }
            }
            3
        };
        for _ in 0..2000 {
            let i = pick(&mut rng, [0.4, 0.3, 0.2, 0.1]);
            m.false_alarms += u64::from(sim.feed_rule(
                tool_call("r", TOOLS[i], json!({})),
                "observe.tool_mix_shift",
            ));
            m.normal_units += 1;
        }
        m.trials += 1;
        for k in 1..=500 {
            let i = pick(&mut rng, [0.1, 0.1, 0.3, 0.5]);
            if sim.feed_rule(
                tool_call("r", TOOLS[i], json!({})),
                "observe.tool_mix_shift",
            ) {
                m.detected += 1;
                m.delays.push(f64::from(k));
                break;
            }
        }
    }
    rows.push(m.row("tool_mix_shift (TV 0.5)", "calls"));
    check("mix", &m, 0.95, 1.0);

    // quality_drift on scores: N(0.80, 0.05) for 1000 runs, then N(0.72, 0.05) (-1.6 sigma).
    let quality_case = |name: &str,
                        seed0: u64,
                        rows: &mut Vec<String>,
                        gen: &dyn Fn(&mut Rng, bool) -> Value,
                        unit: &str,
                        normal_n: u32| {
        let mut m = Measure::default();
        for seed in 0..20 {
            let mut sim = Sim::new(ObservePolicy::default());
            let mut rng = Rng::new(seed0 + seed);
            for _ in 0..normal_n {
                sim.t += 1000;
                let v = gen(&mut rng, false);
                m.false_alarms += u64::from(sim.feed_rule(v, "observe.quality_drift"));
                m.normal_units += 1;
            }
            m.trials += 1;
            for k in 1..=2000 {
                sim.t += 1000;
                let v = gen(&mut rng, true);
                if sim.feed_rule(v, "observe.quality_drift") {
                    m.detected += 1;
                    m.delays.push(f64::from(k));
                    break;
                }
            }
        }
        rows.push(m.row(name, unit));
        m
    };
    let m = quality_case(
        "quality_drift: score 0.80 -> 0.72",
        6000,
        &mut rows,
        &|rng, after| {
            let q = rng
                .normal(if after { 0.72 } else { 0.80 }, 0.05)
                .clamp(0.0, 1.0);
            json!({"type":"run_end","workflow":"w","outcome":"success","quality":q})
        },
        "runs",
        2000,
    );
    check("q-score", &m, 0.95, 2.0);
    let m = quality_case(
        "quality_drift: refusals 2% -> 10%",
        7000,
        &mut rows,
        &|rng, after| {
            let refuse = rng.f() < if after { 0.10 } else { 0.02 };
            let text = if refuse {
                "I'm sorry, but I can't help with that."
            } else {
                "Here is the summary you asked for."
            };
            json!({"type":"model_output","workflow":"w","text":text})
        },
        "outputs",
        4000,
    );
    check("q-refusal", &m, 0.95, 2.0);
    let m = quality_case(
        "quality_drift: tool errors 5% -> 20%",
        8000,
        &mut rows,
        &|rng, after| {
            let err = rng.f() < if after { 0.20 } else { 0.05 };
            json!({"type":"tool_result","workflow":"w","tool":"t","status": if err {"error"} else {"ok"}})
        },
        "results",
        4000,
    );
    check("q-toolerr", &m, 0.95, 2.0);
    let m = quality_case(
        "quality_drift: output length 800 -> 560 chars",
        9000,
        &mut rows,
        &|rng, after| {
            let n = rng
                .normal(if after { 560.0 } else { 800.0 }, 150.0)
                .max(1.0) as usize;
            json!({"type":"model_output","workflow":"w","text":"x".repeat(n)})
        },
        "outputs",
        4000,
    );
    check("q-length", &m, 0.95, 2.0);

    // slo.burn_rate: runs every 10 s, 99.97% success against a 99.9% SLO (burn 0.3), then
    // 10% failures (burn 100).
    // Delay: minutes from the change to the first page.
    let mut m = Measure::default();
    for seed in 0..10 {
        let mut policy = ObservePolicy::default();
        policy.slos.push(SloConfig {
            workflow: "w".into(),
            success_rate: Some(0.999),
            ..SloConfig::default()
        });
        let mut sim = Sim::new(policy);
        let mut rng = Rng::new(10_000 + seed);
        for i in 0..(6 * 60 * 24) {
            sim.t += 10_000;
            let ok = rng.f() >= 0.0003;
            let f = sim.feed(json!({"type":"run_end","run":format!("n{i}"),"workflow":"w","outcome": if ok {"success"} else {"failure"}}));
            m.false_alarms += count(&f, "slo.burn_rate") as u64;
            m.normal_units += 1;
        }
        m.trials += 1;
        for k in 1..=(6 * 60) {
            sim.t += 10_000;
            let ok = rng.f() >= 0.10;
            let f = sim.feed(json!({"type":"run_end","run":format!("b{k}"),"workflow":"w","outcome": if ok {"success"} else {"failure"}}));
            if f.iter()
                .any(|f| f.rule == "slo.burn_rate" && f.message.starts_with("page"))
            {
                m.detected += 1;
                m.delays.push(f64::from(k) / 6.0);
                break;
            }
        }
    }
    rows.push(
        m.row("slo.burn_rate page (0.03% -> 10% errors)", "min")
            .replace("per 1000 min", "per 1000 runs"),
    );
    check("slo", &m, 0.95, 0.1);

    println!("\n{}\n", rows.join("\n"));
    assert!(bad.is_empty(), "{bad:?}");
}
