//! Runs the 18 scenarios of `../shared/bench/policy/` through Cedar (the `cedar-policy` crate,
//! 20 policies, 1009 agents) and through a guardrail `Guard` built from `agent_tools.yaml`
//! (the same rules as governance access rules). Asserts identical decisions on every
//! scenario, then measures the per-decision latency of both and prints the ratio.
//!
//! Run: `cargo run --release` in this directory (it is not a member of the main workspace).

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, EntityUid, PolicySet, Request, Schema,
};
use guardrail_core::{Action, Event, Guard, Policy, State};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/bench/policy"
    ))
}

/// entities.json (org, teams, tools with groups, agents) as Cedar entity JSON.
fn cedar_entities(e: &Value) -> Value {
    let mut out = vec![json!({"uid": {"type": "Org", "id": e["org"]}, "attrs": {}, "parents": []})];
    let org = e["org"].clone();
    for team in e["teams"].as_array().into_iter().flatten() {
        out.push(json!({"uid": {"type": "Team", "id": team}, "attrs": {},
            "parents": [{"type": "Org", "id": org}]}));
    }
    let mut groups = std::collections::BTreeSet::new();
    for tool in e["tools"].as_array().into_iter().flatten() {
        let parents: Vec<Value> = tool["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| {
                groups.insert(g.as_str().unwrap_or_default().to_string());
                json!({"type": "ToolGroup", "id": g})
            })
            .collect();
        out.push(json!({"uid": {"type": "Tool", "id": tool["id"]},
            "attrs": {"risk": tool["risk"]}, "parents": parents}));
    }
    for g in groups {
        out.push(json!({"uid": {"type": "ToolGroup", "id": g}, "attrs": {}, "parents": []}));
    }
    for a in e["agents"].as_array().into_iter().flatten() {
        out.push(json!({"uid": {"type": "Agent", "id": a["id"]},
            "attrs": {"prod_access": a["prod_access"], "suspended": a["suspended"]},
            "parents": [{"type": "Team", "id": a["team"]}]}));
    }
    Value::Array(out)
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, Error> {
    Ok(EntityUid::from_str(&format!(
        "{kind}::{}",
        serde_json::to_string(id)?
    ))?)
}

/// Per-decision latency: the median and 90th percentile over rounds, each round timing
/// `per_round` passes over every request.
fn measure(rounds: usize, per_round: usize, n: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                for i in 0..n {
                    f(i);
                }
            }
            let d: Duration = t.elapsed();
            d.as_nanos() as f64 / (per_round * n) as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.9))
}

fn main() -> Result<(), Error> {
    let dir = shared_dir();
    if !dir.exists() {
        println!(
            "skipped: ../shared/bench/policy not found (only present in the project workspace)"
        );
        return Ok(());
    }
    let read = |name: &str| std::fs::read_to_string(dir.join(name));

    // Cedar.
    let t = Instant::now();
    let (schema, _) = Schema::from_cedarschema_str(&read("agent_tools.cedarschema")?)?;
    let policies = PolicySet::from_str(&read("agent_tools.cedar")?)?;
    let parse_policies = t.elapsed();
    let raw: Value = serde_json::from_str(&read("entities.json")?)?;
    let t = Instant::now();
    let entities = Entities::from_json_value(cedar_entities(&raw), Some(&schema))?;
    let build_entities = t.elapsed();
    let authorizer = Authorizer::new();
    let action = uid("Action", "call_tool")?;

    // guardrail.
    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/agent_tools.yaml"))?;
    let t = Instant::now();
    let policy = Policy::from_yaml(&yaml)?;
    let guard = Guard::builder().build(&policy)?;
    let load_ours = t.elapsed();
    let state = State::new();

    let scenarios: Vec<Value> = read("scenarios.jsonl")?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let mut requests = Vec::new();
    let mut events = Vec::new();
    println!(
        "{:<18} {:<14} {:>8} {:>7} {:>10}",
        "agent", "tool", "expect", "cedar", "guardrail"
    );
    for s in &scenarios {
        let (agent, tool) = (
            s["agent"].as_str().unwrap_or(""),
            s["tool"].as_str().unwrap_or(""),
        );
        let context = Context::from_json_value(s["context"].clone(), Some((&schema, &action)))?;
        let request = Request::new(
            uid("Agent", agent)?,
            action.clone(),
            uid("Tool", tool)?,
            context,
            Some(&schema),
        )?;
        let cedar = authorizer
            .is_authorized(&request, &policies, &entities)
            .decision()
            == CedarDecision::Allow;
        // Cedar's context is the tool call's arguments, except `env`: the event's environment.
        let mut args = s["context"].clone();
        let env = args
            .as_object_mut()
            .and_then(|o| o.remove("env"))
            .unwrap_or(Value::Null);
        let event = Event::from_value(json!({"type": "tool_call", "ts": 0, "agent": agent,
            "env": env, "tool": tool, "args": args}))?;
        let decision = guard.evaluate(&event, &state);
        let ours = decision.enforced == Action::Allow;
        let expect = s["expect"].as_str() == Some("allow");
        let show = |b: bool| if b { "allow" } else { "deny" };
        println!(
            "{agent:<18} {tool:<14} {:>8} {:>7} {:>10}{}",
            show(expect),
            show(cedar),
            show(ours),
            decision
                .findings
                .first()
                .map(|f| format!("  ({})", f.rule))
                .unwrap_or_default()
        );
        assert_eq!(
            cedar, expect,
            "cedar disagrees with the expected decision: {s}"
        );
        assert_eq!(ours, cedar, "guardrail and cedar disagree: {s}");
        requests.push(request);
        events.push(event);
    }
    println!("identical decisions on all {} scenarios", scenarios.len());

    let n = scenarios.len();
    let (cedar_p50, cedar_p90) = measure(300, 5, n, |i| {
        black_box(authorizer.is_authorized(&requests[i], &policies, &entities));
    });
    let (ours_p50, ours_p90) = measure(300, 100, n, |i| {
        black_box(guard.evaluate(&events[i], &state));
    });
    println!(
        "loading: cedar policies {:.2} ms + entities {:.2} ms; guardrail policy (parse, validate, index) {:.2} ms",
        parse_policies.as_secs_f64() * 1e3,
        build_entities.as_secs_f64() * 1e3,
        load_ours.as_secs_f64() * 1e3
    );
    println!("per decision (mean over the 18 scenarios, median / p90 of 300 rounds):");
    println!("  cedar is_authorized   {cedar_p50:>9.0} ns / {cedar_p90:.0} ns");
    println!("  guardrail evaluate    {ours_p50:>9.0} ns / {ours_p90:.0} ns");
    println!("  ratio (p50)           {:>9.1}x", cedar_p50 / ours_p50);
    Ok(())
}
