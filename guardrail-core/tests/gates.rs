//! Human gates end to end through `Guard::evaluate`: decision rights, self-approval, expiry,
//! argument swaps after approval, one-time use, denial.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guardrail_core::{Action, Decision, Event, Guard, Policy, State};
use serde_json::{json, Value};

const POLICY: &str = r#"
version: 1
rules:
  - id: schema_change
    keywords: [alter table]
    events: [tool_call]
    action: escalate
    message: schema change needs a database owner
  - id: refund
    keywords: [refund]
    events: [tool_call]
    action: escalate
    message: refunds need approval
gates:
  ttl_seconds: 600
  classes:
    - {name: schema_change, rules: [custom.schema_change]}
    - {name: refund, tools: [payments.refund], amount: /amount}
  decision_rights:
    - {class: schema_change, env: prod, role: db-owner}
    - {class: refund, max_amount: 500, role: team-oncall}
    - {class: refund, role: finance, quorum: 2, expiry_seconds: 60}
"#;

fn guard() -> Guard {
    Guard::builder()
        .build(&Policy::from_yaml(POLICY).unwrap())
        .unwrap()
}

fn ev(v: Value) -> Event {
    let mut base = json!({"agent": "billing-bot", "principal": "user:4411", "env": "prod",
        "run": "r-1"});
    base.as_object_mut()
        .unwrap()
        .extend(v.as_object().unwrap().clone());
    Event::from_value(base).unwrap()
}

fn migrate(sql: &str, ts: i64) -> Event {
    ev(json!({"type": "tool_call", "ts": ts, "tool": "db.migrate", "args": {"sql": sql}}))
}

fn approve(gate: &str, who: &str, role: &str, yes: bool, ts: i64) -> Event {
    ev(
        json!({"type": "approval", "ts": ts, "gate": gate, "approver": who, "role": role,
        "approve": yes}),
    )
}

fn rules(d: &Decision) -> Vec<&str> {
    d.findings.iter().map(|f| f.rule.as_str()).collect()
}

const ALTER: &str = "ALTER TABLE refunds ADD COLUMN retry_count integer";

#[test]
fn approved_action_runs_exactly_once() {
    let (g, s) = (guard(), State::new());
    let d = g.evaluate(&migrate(ALTER, 1_000), &s);
    assert_eq!(d.enforced, Action::Escalate);
    let gate = d.gate.unwrap();
    assert_eq!((gate.id.as_str(), gate.role.as_str()), ("g-1", "db-owner"));

    let a = g.evaluate(&approve("g-1", "dana", "db-owner", true, 2_000), &s);
    assert_eq!(a.enforced, Action::Allow);
    assert_eq!(rules(&a), ["gates.approval_accepted"]);

    let d = g.evaluate(&migrate(ALTER, 3_000), &s);
    assert_eq!(d.enforced, Action::Allow, "{:?}", d.findings);
    assert!(d.gate.is_none());
    let approved = d
        .findings
        .iter()
        .find(|f| f.rule == "gates.approved")
        .unwrap();
    assert!(approved.message.contains("`g-1`"), "{}", approved.message);
    assert!(approved.message.contains("dana (db-owner)"));
    // The escalating finding is still reported, now allowed.
    assert!(d
        .findings
        .iter()
        .any(|f| f.rule == "custom.schema_change" && f.action == Action::Allow));

    // Once only: the same call again opens a new gate.
    let d = g.evaluate(&migrate(ALTER, 4_000), &s);
    assert_eq!(d.enforced, Action::Escalate);
    assert_eq!(d.gate.unwrap().id, "g-2");
}

#[test]
fn argument_swap_after_approval_is_a_new_gate() {
    let (g, s) = (guard(), State::new());
    g.evaluate(&migrate(ALTER, 1_000), &s);
    g.evaluate(&approve("g-1", "dana", "db-owner", true, 2_000), &s);
    let swapped = g.evaluate(&migrate("ALTER TABLE users DROP COLUMN email", 3_000), &s);
    assert_eq!(swapped.enforced, Action::Escalate);
    assert_eq!(swapped.gate.as_ref().unwrap().id, "g-2");
    assert!(!rules(&swapped).contains(&"gates.approved"));
    // Another agent sending the approved call does not use the approval either.
    let mut other = migrate(ALTER, 3_000);
    other.context.agent = Some("other-bot".into());
    assert_eq!(g.evaluate(&other, &s).enforced, Action::Escalate);
    // The approved call itself still goes through.
    assert_eq!(
        g.evaluate(&migrate(ALTER, 3_500), &s).enforced,
        Action::Allow
    );
}

#[test]
fn wrong_role_self_approval_unknown_and_expired_are_refused() {
    let (g, s) = (guard(), State::new());
    g.evaluate(&migrate(ALTER, 1_000), &s);
    let cases = [
        (
            approve("g-1", "eve", "reviewer", true, 2_000),
            "gates.wrong_role",
        ),
        (
            approve("g-1", "billing-bot", "db-owner", true, 2_000),
            "gates.self_approval",
        ),
        (
            approve("g-1", "user:4411", "db-owner", true, 2_000),
            "gates.self_approval",
        ),
        (
            approve("g-7", "dana", "db-owner", true, 2_000),
            "gates.unknown_gate",
        ),
    ];
    for (event, rule) in cases {
        let d = g.evaluate(&event, &s);
        assert_eq!(d.enforced, Action::Block, "{rule}");
        assert_eq!(rules(&d), [rule]);
    }
    // None of those let the action through.
    assert_eq!(
        g.evaluate(&migrate(ALTER, 2_500), &s).enforced,
        Action::Escalate
    );
    // g-1 expires after 600 s.
    let late = g.evaluate(
        &approve("g-1", "dana", "db-owner", true, 1_000 + 601_000),
        &s,
    );
    assert_eq!(rules(&late), ["gates.expired"]);
    assert_eq!(late.enforced, Action::Block);
    assert_eq!(
        g.evaluate(&migrate(ALTER, 700_000), &s).enforced,
        Action::Escalate
    );
}

#[test]
fn approval_must_be_used_before_expiry() {
    let (g, s) = (guard(), State::new());
    g.evaluate(&migrate(ALTER, 1_000), &s);
    g.evaluate(&approve("g-1", "dana", "db-owner", true, 2_000), &s);
    let d = g.evaluate(&migrate(ALTER, 1_000 + 601_000), &s);
    assert_eq!(d.enforced, Action::Escalate);
    assert!(rules(&d).contains(&"gates.expired"));
}

#[test]
fn denial_blocks_the_fingerprint() {
    let (g, s) = (guard(), State::new());
    g.evaluate(&migrate(ALTER, 1_000), &s);
    let a = g.evaluate(&approve("g-1", "dana", "db-owner", false, 2_000), &s);
    assert_eq!(rules(&a), ["gates.rejection_recorded"]);
    let d = g.evaluate(&migrate(ALTER, 3_000), &s);
    assert_eq!(d.enforced, Action::Block);
    assert!(rules(&d).contains(&"gates.denied"));
    // Different arguments are a different action.
    assert_eq!(
        g.evaluate(&migrate("ALTER TABLE x ADD y int", 3_000), &s)
            .enforced,
        Action::Escalate
    );
}

#[test]
fn decision_rights_route_by_amount_and_need_a_quorum() {
    let (g, s) = (guard(), State::new());
    let refund = |amount: u32, ts: i64| {
        ev(
            json!({"type": "tool_call", "ts": ts, "tool": "payments.refund",
            "args": {"order": "refund 1182", "amount": amount}}),
        )
    };
    let small = g.evaluate(&refund(100, 1_000), &s).gate.unwrap();
    assert_eq!(small.role, "team-oncall");
    let big = g.evaluate(&refund(900, 1_000), &s).gate.unwrap();
    assert_eq!(big.role, "finance");
    // team-oncall may approve up to 500 only.
    let d = g.evaluate(&approve(&big.id, "olga", "team-oncall", true, 2_000), &s);
    assert_eq!(rules(&d), ["gates.wrong_role"]);
    assert!(d.findings[0].message.contains("finance"));
    let d = g.evaluate(&approve(&big.id, "fin-1", "finance", true, 2_000), &s);
    assert_eq!(rules(&d), ["gates.approval_recorded"]);
    assert_eq!(
        g.evaluate(&refund(900, 2_500), &s).enforced,
        Action::Escalate
    );
    let d = g.evaluate(&approve(&big.id, "fin-2", "finance", true, 3_000), &s);
    assert_eq!(rules(&d), ["gates.approval_accepted"]);
    assert_eq!(g.evaluate(&refund(900, 4_000), &s).enforced, Action::Allow);
}

#[test]
fn a_class_no_row_covers_is_blocked() {
    let p = POLICY.replace(
        "    - {class: refund, role: finance, quorum: 2, expiry_seconds: 60}\n",
        "",
    );
    let g = Guard::builder()
        .build(&Policy::from_yaml(&p).unwrap())
        .unwrap();
    let d = g.evaluate(
        &ev(
            json!({"type": "tool_call", "ts": 1, "tool": "payments.refund",
            "args": {"order": "refund", "amount": 9000}}),
        ),
        &State::new(),
    );
    assert_eq!(d.enforced, Action::Block);
    assert!(rules(&d).contains(&"gates.no_approver"));
}

#[test]
fn unknown_class_in_the_matrix_is_a_policy_error() {
    let p = POLICY.replace(
        "{class: schema_change, env: prod",
        "{class: schema_chnage, env: prod",
    );
    let e = Policy::from_yaml(&p).unwrap_err();
    let i = &e.issues()[0];
    assert_eq!(i.path, "gates.decision_rights[0].class");
    assert_eq!(i.hint.as_deref(), Some("did you mean `schema_change`?"));
    assert!(i.line.is_some());
}
