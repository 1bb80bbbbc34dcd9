//! Governance end to end through `Guard::evaluate`: registry, budgets under concurrency, the
//! audit chain, showback, snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guardrail_core::governance::audit::{verify_against_head, verify_continuation};
use guardrail_core::governance::{verify, AuditError, AuditHead, CostModel};
use guardrail_core::{Action, Event, EventKind, Guard, Policy, State, StateSnapshot};
use serde_json::{json, Value};
use std::sync::Arc;

const POLICY: &str = r#"
version: 1
governance:
  audit: {enabled: true}
  registry:
    agents:
      - {id: billing-bot, owner: ana, team: payments, tools: ["crm.*", "db.*"],
         resources: ["order:*"], environments: [prod]}
      - {id: worker-0, team: payments}
      - {id: worker-1, team: payments}
      - {id: worker-2, team: infra}
      - {id: worker-3, team: infra}
    resources:
      - {tools: ["crm.*"], pointer: /order_id, kind: order}
  budgets:
    reserve: {on: [prompt], usd: 0.01, tokens: 100}
    limits:
      - {id: team-usd, scope: team, window: day, hard: 5.0, soft: 4.0}
      - {id: run-tokens, scope: run, metric: tokens, hard: 1000000}
"#;

fn guard(policy: &str) -> Guard {
    Guard::builder()
        .build(&Policy::from_yaml(policy).unwrap())
        .unwrap()
}

fn ev(v: Value) -> Event {
    Event::from_value(v).unwrap()
}

fn rules(d: &guardrail_core::Decision) -> Vec<String> {
    d.findings.iter().map(|f| f.rule.clone()).collect()
}

#[test]
fn registry_violations_through_the_guard() {
    let (g, s) = (guard(POLICY), State::new());
    let ok = g.evaluate(
        &ev(
            json!({"type":"tool_call","ts":1,"agent":"billing-bot","env":"prod",
            "tool":"crm.lookup","args":{"order_id":"1182"}}),
        ),
        &s,
    );
    assert_eq!(ok.enforced, Action::Allow, "{:?}", ok.findings);
    let cases = [
        (
            json!({"type":"tool_call","ts":1,"agent":"ghost","tool":"crm.lookup","args":{}}),
            "governance.unregistered_agent",
        ),
        (
            json!({"type":"tool_call","ts":1,"agent":"billing-bot","env":"prod","tool":"shell.exec","args":{}}),
            "governance.tool_not_allowed",
        ),
        (
            json!({"type":"tool_call","ts":1,"agent":"billing-bot","env":"prod","tool":"crm.lookup","args":{"order_id":7}}),
            "",
        ),
        (
            json!({"type":"prompt","ts":1,"agent":"billing-bot","env":"staging","text":"hi"}),
            "governance.environment_not_allowed",
        ),
    ];
    for (event, rule) in cases {
        let d = g.evaluate(&ev(event), &s);
        if rule.is_empty() {
            assert_eq!(d.enforced, Action::Allow, "{:?}", d.findings);
        } else {
            assert_eq!(d.enforced, Action::Block, "{rule}");
            assert_eq!(rules(&d), [rule]);
        }
    }
    // A resource outside the scope, with an override turning it into an escalation.
    let p = format!(
        "{POLICY}overrides:\n  - {{match: governance.resource_out_of_scope, action: escalate}}\n"
    );
    let p = p.replace("resources: [\"order:*\"]", "resources: [\"order:1*\"]");
    let d = guard(&p).evaluate(
        &ev(
            json!({"type":"tool_call","ts":1,"agent":"billing-bot","env":"prod",
            "tool":"crm.lookup","args":{"order_id":"2001"}}),
        ),
        &State::new(),
    );
    assert_eq!(d.enforced, Action::Escalate);
    assert_eq!(rules(&d), ["governance.resource_out_of_scope"]);
    assert_eq!(d.findings[0].path.as_deref(), Some("/args/order_id"));
}

fn prompt(agent: &str, run: &str, ts: i64) -> Event {
    ev(json!({"type":"prompt","ts":ts,"agent":agent,"run":run,"text":"next step"}))
}

fn usage(agent: &str, run: &str, ts: i64, cost: f64) -> Event {
    ev(
        json!({"type":"llm_usage","ts":ts,"agent":agent,"run":run,"model":"m",
        "input_tokens":40,"output_tokens":10,"cost_usd":cost}),
    )
}

/// 8 threads share two team budgets and the audit chain. A persister thread drains and
/// verifies the chain batch by batch while they run.
#[test]
fn concurrent_evaluations_never_overspend_and_lose_no_record() {
    let per_thread: usize = if cfg!(debug_assertions) {
        5_000
    } else {
        100_000
    };
    let threads = 8;
    // Actual cost above the estimate: overspend is bounded by one call in flight per thread.
    let (estimate, actual) = (0.01, 0.015);
    let g = guard(POLICY);
    let s = Arc::new(State::new());
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let persister = {
        let (s, done) = (Arc::clone(&s), Arc::clone(&done));
        std::thread::spawn(move || {
            let (mut head, mut count) = (AuditHead::default(), 0u64);
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let batch = s.take_audit_records();
                verify_continuation(&head, &batch)?;
                if let Some(last) = batch.last() {
                    head = AuditHead {
                        seq: last.seq + 1,
                        hash: last.hash.clone(),
                    };
                }
                count += batch.len() as u64;
                if finished && batch.is_empty() {
                    return Ok::<_, AuditError>((head, count));
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        })
    };
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (g, s) = (g.clone(), Arc::clone(&s));
            std::thread::spawn(move || {
                let agent = format!("worker-{}", t % 4);
                let run = format!("r-{t}");
                let mut admitted = 0u64;
                let mut i = 0;
                while i < per_thread {
                    let ts = 1_795_428_900_000 + i as i64;
                    let d = g.evaluate(&prompt(&agent, &run, ts), &s);
                    i += 1;
                    if d.enforced == Action::Allow {
                        admitted += 1;
                        if i < per_thread {
                            g.evaluate(&usage(&agent, &run, ts, actual), &s);
                            i += 1;
                        } else {
                            // Leave no reservation behind.
                            g.evaluate(
                                &ev(json!({"type":"run_end","ts":ts,"agent":agent,"run":run,
                                    "outcome":"success"})),
                                &s,
                            );
                        }
                    } else {
                        assert!(rules(&d).contains(&"governance.budget_exceeded".to_string()));
                    }
                }
                admitted
            })
        })
        .collect();
    let admitted: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (head, count) = persister.join().unwrap().expect("the chain verifies");

    // Every evaluation left exactly one record, and the drained chain ends at the head.
    let evaluations = (threads * per_thread) as u64;
    assert_eq!(count, evaluations);
    assert_eq!(head, s.audit_head());

    // Each team's committed spend stays under its hard limit plus the overspend of the
    // calls that were in flight (at most one per thread, `actual - estimate` each).
    let snap = s.snapshot();
    let mut total = 0.0;
    for team in ["payments", "infra"] {
        let used = snap.counters[&format!("budget/team-usd/{team}/2026-11-23")];
        assert!(
            used <= 5.0 + 4.0 * (actual - estimate) + 1e-9,
            "{team} used {used}"
        );
        assert!(used >= 5.0 - actual, "the budget was exhausted: {used}");
        total += used;
    }
    // No reservation is left over: the spend is exactly the admitted calls' actual cost.
    assert!(
        (total - admitted as f64 * actual).abs() < 1e-6,
        "{total} vs {admitted}"
    );
    let report = s.showback();
    assert!((report.total.cost_usd - total).abs() < 1e-6);
    assert_eq!(report.by_team.len(), 2);
}

#[test]
fn every_decision_is_audited_and_tampering_is_located() {
    let (g, s) = (guard(POLICY), State::new());
    let events = [
        json!({"type":"run_start","ts":1,"agent":"billing-bot","run":"r-1"}),
        json!({"type":"tool_call","ts":2,"agent":"billing-bot","env":"prod","run":"r-1",
            "principal":"user:1","tool":"crm.lookup","args":{"order_id":"1","card":"4111 1111 1111 1111"}}),
        json!({"type":"tool_call","ts":3,"agent":"ghost","tool":"x","args":{}}),
        json!({"type":"prompt","ts":4,"agent":"billing-bot","run":"r-1","text":"hi"}),
        json!({"type":"llm_usage","ts":5,"agent":"billing-bot","run":"r-1","model":"m","cost_usd":0.02}),
        json!({"type":"run_end","ts":6,"agent":"billing-bot","run":"r-1","outcome":"success"}),
    ];
    for e in &events {
        g.evaluate(&ev(e.clone()), &s);
    }
    let records = s.take_audit_records();
    assert_eq!(records.len(), events.len());
    assert!(s.take_audit_records().is_empty(), "drained");
    assert_eq!(verify(&records), Ok(()));
    assert_eq!(verify_against_head(&records, &s.audit_head()), Ok(()));
    let call = &records[1];
    assert_eq!(call.tool.as_deref(), Some("crm.lookup"));
    assert_eq!(call.principal.as_deref(), Some("user:1"));
    assert_eq!(call.policy, g.policy_hash());
    assert_eq!(call.args_sha256.as_ref().map(String::len), Some(64));
    let json = serde_json::to_string(call).unwrap();
    assert!(!json.contains("4111"), "no raw arguments in the audit log");
    assert_eq!(records[2].decision, Action::Block);
    assert_eq!(records[2].reasons, ["governance.unregistered_agent"]);

    // Edit.
    let mut t = records.clone();
    t[2].decision = Action::Allow;
    assert_eq!(verify(&t), Err(AuditError::Edited { index: 2, seq: 2 }));
    // Removal.
    let mut t = records.clone();
    t.remove(3);
    assert_eq!(
        verify(&t),
        Err(AuditError::Removed {
            index: 3,
            from: 3,
            to: 3
        })
    );
    // Insertion (a copy of another record).
    let mut t = records.clone();
    t.insert(4, records[1].clone());
    assert!(matches!(
        verify(&t),
        Err(AuditError::Reordered { index: 4, .. })
    ));
    // Reorder.
    let mut t = records.clone();
    t.swap(1, 2);
    assert!(matches!(
        verify(&t),
        Err(AuditError::Reordered {
            index: 1,
            seq: 2,
            ..
        })
    ));
    // Truncated tail.
    assert!(matches!(
        verify_against_head(&records[..5], &s.audit_head()),
        Err(AuditError::Truncated { expected: 6, .. })
    ));
}

#[test]
fn snapshot_round_trip_keeps_gates_budgets_and_the_chain_head() {
    let p = format!(
        "{POLICY}rules:\n  - {{id: ddl, keywords: [alter table], events: [tool_call], action: escalate}}\n"
    );
    let (g, s) = (guard(&p), State::new());
    let call = |sql: &str, ts: i64| {
        ev(
            json!({"type":"tool_call","ts":ts,"agent":"billing-bot","env":"prod","run":"r-1",
            "tool":"db.migrate","args":{"sql":sql}}),
        )
    };
    let approve = |gate: &str, yes: bool| {
        ev(
            json!({"type":"approval","ts":10,"agent":"billing-bot","gate":gate,
            "approver":"dana","role":"reviewer","approve":yes}),
        )
    };
    g.evaluate(&call("ALTER TABLE a", 1), &s);
    g.evaluate(&call("ALTER TABLE b", 2), &s);
    g.evaluate(&call("ALTER TABLE c", 3), &s);
    g.evaluate(&approve("g-1", true), &s);
    g.evaluate(&approve("g-2", false), &s);
    g.evaluate(&prompt("billing-bot", "r-1", 11), &s);
    let first = s.take_audit_records();

    let snap = s.snapshot();
    let text = serde_json::to_string(&snap).unwrap();
    let back: StateSnapshot = serde_json::from_str(&text).unwrap();
    assert_eq!(back, snap);
    let r = State::restore(back);
    assert_eq!(r.snapshot(), snap);
    assert_eq!(r.pending_gates().len(), 1);

    // The restored state behaves like the original: g-1's grant, g-2's denial, g-3 pending,
    // the reservation, and the chain continues from the head.
    assert_eq!(
        g.evaluate(&call("ALTER TABLE a", 20), &r).enforced,
        Action::Allow
    );
    assert_eq!(
        g.evaluate(&call("ALTER TABLE b", 21), &r).enforced,
        Action::Block
    );
    let d = g.evaluate(&approve("g-3", true), &r);
    assert_eq!(d.enforced, Action::Allow);
    g.evaluate(&usage("billing-bot", "r-1", 22, 0.5), &r);
    assert!((r.snapshot().counters["budget/team-usd/payments/1970-01-01"] - 0.5).abs() < 1e-12);
    let second = r.take_audit_records();
    assert_eq!(second.first().map(|x| x.seq), Some(first.len() as u64));
    let mut all = first;
    all.extend(second);
    assert_eq!(verify_against_head(&all, &r.audit_head()), Ok(()));
}

struct FlatPrice;
impl CostModel for FlatPrice {
    fn cost_usd(&self, usage: &EventKind) -> Option<f64> {
        match usage {
            EventKind::LlmUsage {
                input_tokens,
                output_tokens,
                ..
            } => Some((input_tokens + output_tokens) as f64 * 0.001),
            _ => None,
        }
    }
}

#[test]
fn the_cost_model_prices_usage_without_cost_and_hard_limits_block() {
    let p = POLICY.replace(
        "hard: 5.0, soft: 4.0",
        "hard: 0.2, soft: 0.1, soft_action: escalate",
    );
    let g = Guard::builder()
        .cost_model(FlatPrice)
        .build(&Policy::from_yaml(&p).unwrap())
        .unwrap();
    let s = State::new();
    assert_eq!(
        g.evaluate(&prompt("worker-0", "r", 1), &s).enforced,
        Action::Allow
    );
    // 50 tokens at 0.001 = 0.05; no cost_usd on the event.
    let e = ev(
        json!({"type":"llm_usage","ts":2,"agent":"worker-0","run":"r","model":"m",
        "input_tokens":40,"output_tokens":10}),
    );
    assert_eq!(g.evaluate(&e, &s).enforced, Action::Allow);
    assert!((s.showback().by_agent["worker-0"].cost_usd - 0.05).abs() < 1e-12);
    // Over the soft limit: the next prompt escalates and its reservation is given back.
    g.evaluate(&e, &s);
    let d = g.evaluate(&prompt("worker-0", "r", 3), &s);
    assert_eq!(d.enforced, Action::Escalate);
    assert_eq!(rules(&d), ["governance.budget_soft_limit"]);
    assert!((s.snapshot().counters["budget/team-usd/payments/1970-01-01"] - 0.1).abs() < 1e-9);
    // Commits past the hard limit (0.25 > 0.2) are reported as blocks (the host stops
    // the run).
    g.evaluate(&e, &s);
    g.evaluate(&e, &s);
    let d = g.evaluate(&e, &s);
    assert_eq!(d.enforced, Action::Block);
    assert!(rules(&d).contains(&"governance.budget_exceeded".to_string()));
    let d = g.evaluate(&prompt("worker-0", "r", 4), &s);
    assert_eq!(d.enforced, Action::Block);
}
