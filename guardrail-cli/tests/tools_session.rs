//! End to end through the CLI: the example session's tool calls against the example policy's
//! tool registry (`guardrail replay`).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a missing line or malformed output should fail the test loudly"
)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn replay() -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO_BIN_EXE_guardrail"))
        .arg("replay")
        .arg("--policy")
        .arg(root.join("examples/policy.yaml"))
        .arg(root.join("examples/session.jsonl"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The decision of the session's tool call to `tool` (the `nth` one, from 0).
fn decision_for<'a>(lines: &'a [Value], events: &[Value], tool: &str, nth: usize) -> &'a Value {
    let line = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e["type"] == "tool_call" && e["tool"] == tool)
        .map(|(i, _)| i + 1)
        .nth(nth)
        .unwrap();
    let answer = lines.iter().find(|l| l["line"] == line).unwrap();
    &answer["decision"]
}

fn rules(decision: &Value) -> Vec<&str> {
    decision["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

/// The one finding of `rule` in a decision.
fn finding<'a>(decision: &'a Value, rule: &str) -> &'a Value {
    let found: Vec<&Value> = decision["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect();
    assert_eq!(found.len(), 1, "one `{rule}` in {decision}");
    found[0]
}

#[test]
fn example_session_tool_calls_are_judged_by_the_registry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let events: Vec<Value> = std::fs::read_to_string(root.join("examples/session.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lines = replay();

    let hallucinated = decision_for(&lines, &events, "refunds.retry", 0);
    assert_eq!(hallucinated["enforced"], "block");
    let unknown = finding(hallucinated, "tools.unknown_tool");
    assert_eq!(unknown["suggestion"], "did you mean `refund.retry`?");
    assert_eq!(unknown["path"], "/tool");

    let fetch_ok = decision_for(&lines, &events, "web.fetch", 0);
    assert_eq!(fetch_ok["enforced"], "allow", "{fetch_ok}");
    let exfiltration = decision_for(&lines, &events, "web.fetch", 1);
    assert_eq!(exfiltration["enforced"], "block");
    let denied = finding(exfiltration, "tools.endpoint_denied");
    assert_eq!(denied["path"], "/args/url");

    let delete = decision_for(&lines, &events, "db.exec", 0);
    assert_eq!(delete["enforced"], "block");
    assert!(rules(delete).contains(&"sql.delete_without_where"));

    let migration = decision_for(&lines, &events, "db.migrate", 0);
    assert_eq!(migration["enforced"], "escalate");
    assert!(rules(migration).contains(&"sql.ddl"));
    assert_eq!(migration["gate"]["role"], "db-owner");

    let lookup = decision_for(&lines, &events, "crm.lookup", 0);
    assert_eq!(lookup["enforced"], "allow", "{lookup}");
}
