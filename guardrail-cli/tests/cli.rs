//! End-to-end tests of the `guardrail` binary.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn guardrail(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guardrail"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // Write from another thread: a large input must not deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const POLICY: &str = "examples/policy.yaml";

#[test]
fn replay_of_the_example_session_blocks_redacts_and_escalates() {
    let out = guardrail(
        &["replay", "--policy", POLICY, "examples/session.jsonl"],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["decision"]["enforced"].as_str())
        .collect();
    for expected in ["block", "redact", "escalate"] {
        assert!(
            actions.contains(&expected),
            "{expected} missing in {actions:?}"
        );
    }
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["errors"], 0);
    assert!(summary["by_rule"]["custom.schema_change"].as_u64().unwrap() >= 1);
    // Every decision names the policy it was made under.
    let hash = lines[0]["decision"]["policy"].as_str().unwrap();
    assert!(hash.starts_with("sha256:"));
}

#[test]
fn replay_reports_unreadable_lines_and_keeps_going() {
    let dir = std::env::temp_dir().join(format!("guardrail-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("trace.jsonl");
    std::fs::write(&trace, "{\"type\":\"prompt\",\"ts\":1,\"text\":\"hi\"}\nnot json\n{\"type\":\"promt\",\"ts\":1}\n{\"type\":\"run_start\",\"ts\":2}\n").unwrap();
    let out = guardrail(&["replay", trace.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("\"line\":2") && text.contains("malformed JSON"),
        "{text}"
    );
    assert!(text.contains("did you mean `prompt`"), "{text}");
    assert!(text.contains("\"events\":2"), "{text}");
}

#[test]
fn scan_stdin_exit_codes_and_json_spans() {
    let out = guardrail(
        &["scan", "--policy", POLICY, "--format", "json"],
        b"line one\nuse db7.corp.internal now\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let f = &v["files"][0]["findings"][0];
    assert_eq!(f["rule"], "custom.internal_hostname");
    assert_eq!(f["line"], 2);
    assert_eq!(
        (f["span"]["start"].as_u64(), f["span"]["end"].as_u64()),
        (Some(13), Some(30))
    );

    let clean = guardrail(&["scan", "--policy", POLICY], b"nothing to see");
    assert_eq!(clean.status.code(), Some(0));
    let empty = guardrail(&["scan", "--policy", POLICY], b"");
    assert_eq!(empty.status.code(), Some(0));
}

#[test]
fn scan_redacts_stdin() {
    let out = guardrail(
        &["scan", "--policy", POLICY, "--redact"],
        b"host a.corp.internal",
    );
    assert_eq!(stdout(&out), "host [REDACTED:internal_hostname]");
}

/// The JSON report of `scan` under the test policy, `input` on stdin.
fn scan_json(input: &[u8]) -> serde_json::Value {
    let out = guardrail(&["scan", "--policy", POLICY, "--format", "json"], input);
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn scan_spans_are_byte_offsets_even_with_invalid_utf8() {
    let v = scan_json(b"\xff\xfe x.corp.internal");
    assert_eq!(v["files"][0]["findings"][0]["span"]["start"], 3);
}

#[test]
fn scan_keeps_offsets_and_lines_across_invalid_bytes_mid_text_and_at_the_end() {
    let v = scan_json(b"a.corp.internal\n\xff\n\n b.corp.internal \xe2\x82");
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let at: Vec<_> = findings
        .iter()
        .map(|f| (f["span"]["start"].clone(), f["line"].clone()))
        .collect();
    assert_eq!(
        at,
        vec![
            (serde_json::json!(0), serde_json::json!(1)),
            (serde_json::json!(20), serde_json::json!(4)),
        ]
    );
}

#[test]
fn scan_directories_recursively_skipping_binary_files() {
    let dir = std::env::temp_dir().join(format!("guardrail-scan-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/app.env"), "DB_HOST=pg1.corp.internal\n").unwrap();
    std::fs::write(dir.join("blob.bin"), b"\0\0pg1.corp.internal").unwrap();
    std::fs::write(dir.join("clean.txt"), "hello").unwrap();
    let out = guardrail(
        &[
            "scan",
            "--policy",
            POLICY,
            "--format",
            "json",
            dir.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    assert!(v["files"][0]["path"].as_str().unwrap().ends_with("app.env"));
    assert_eq!(v["summary"]["skipped_binary"], 1);
    assert_eq!(v["summary"]["files"], 2);

    let missing = guardrail(&["scan", "--policy", POLICY, "/definitely/not/here"], b"");
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read"));
}

#[test]
fn scan_jsonl_echoes_fields_and_selects_channels() {
    let input = b"{\"id\":\"a\",\"text\":\"x.corp.internal\",\"channel\":\"user\"}\n{\"id\":\"b\",\"text\":\"fine\"}\n";
    let out = guardrail(&["scan", "--policy", POLICY, "--jsonl"], input);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["findings"][0]["span"]["end"], 15);
    assert_eq!(lines[1]["findings"].as_array().unwrap().len(), 0);

    for bad in [
        &b"{\"text\": 3}\n"[..],
        b"[1]\n",
        b"{\"text\":\"x\",\"channel\":\"usr\"}\n",
        b"{oops\n",
    ] {
        let out = guardrail(&["scan", "--policy", POLICY, "--jsonl"], bad);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(bad)
        );
        assert!(stdout(&out).contains("\"error\""));
    }
}

#[test]
fn check_policy_reports_hash_lints_and_errors_with_lines() {
    let ok = guardrail(&["check-policy", POLICY], b"");
    assert!(ok.status.success());
    assert!(stdout(&ok).starts_with("valid policy sha256:"));

    let dir = std::env::temp_dir().join(format!("guardrail-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "version: 1\nrules:\n  - id: x\n    regex: '(unclosed'\n    keywords: [a]\n",
    )
    .unwrap();
    let out = guardrail(&["check-policy", bad.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("line 4: rules[0].regex: invalid regex"),
        "{err}"
    );

    std::fs::write(&bad, "version: 1\nmdoe: shadow\n").unwrap();
    let out = guardrail(
        &["check-policy", "--format", "json", bad.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(v["errors"][0]["hint"], "did you mean `mode`?");
}

#[test]
fn default_policy_and_schema_are_printable() {
    let out = guardrail(&["default-policy"], b"");
    assert!(stdout(&out).contains("version: 1"));
    let out = guardrail(&["policy-schema"], b"");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v["properties"]["version"].is_object());
}

#[test]
fn a_100_mb_input_is_scanned_without_trouble() {
    let mut big = "harmless line of text\n".repeat(100 * 1024 * 1024 / 22);
    big.push_str("end at z.corp.internal\n");
    let out = guardrail(
        &["scan", "--policy", POLICY, "--format", "json"],
        big.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["summary"]["findings"], 1);
}

#[test]
fn policy_reference_in_docs_is_current() {
    let doc = std::fs::read_to_string(repo().join("docs/POLICY.md")).unwrap();
    let out = stdout(&guardrail(&["policy-reference"], b""));
    assert!(
        doc.contains(out.trim()),
        "docs/POLICY.md is out of date with the policy types: run scripts/bless-docs.sh"
    );
}

#[test]
fn default_policy_finds_and_redacts_pii() {
    let out = guardrail(
        &["scan", "--redact"],
        b"write to jane.doe@acme-corp.com today",
    );
    assert_eq!(stdout(&out), "write to [REDACTED:email] today");
    let out = guardrail(
        &["scan", "--format", "json"],
        b"write to jane.doe@acme-corp.com today",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("\"rule\":\"pii.email\""));
}
