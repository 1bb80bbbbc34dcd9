//! `guardrail replay` on the example session flags its retry spiral (the observe layer
//! through the CLI).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::process::Command;

#[test]
fn replay_flags_the_example_retry_spiral() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let session = format!("{root}/examples/session.jsonl");
    let policy = format!("{root}/examples/policy.yaml");
    if !std::path::Path::new(&session).exists() {
        println!("skipped: ../examples/session.jsonl not found");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_guardrail"))
        .args(["replay", "--policy", &policy, &session])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let flagged: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| {
            l["decision"]["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f["rule"] == "observe.retry_spiral"))
        })
        .collect();
    assert_eq!(flagged.len(), 2, "{stdout}");
    for l in &flagged {
        assert_eq!(l["type"], "tool_call");
        assert_eq!(l["decision"]["action"], "escalate");
    }
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["by_rule"]["observe.retry_spiral"], 2);
}
