//! The C ABI driven from Rust: the calls C and Go make, with good and bad input. (The C
//! side runs in scripts/test-c.sh: examples/c/test_ffi.c under valgrind.)

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on bad output"
)]

use guardrail::*;
use std::ffi::CStr;
use std::ptr::{null, null_mut};

const POLICY: &str = "version: 1\nrules:\n  - id: ticket\n    keywords: [TCK-]\n    regex: 'TCK-\\d+'\n    action: redact\n  - id: drop\n    keywords: [drop table]\n    action: escalate\n";

struct Handles {
    guard: *mut guardrail_guard,
    state: *mut guardrail_state,
}

impl Handles {
    fn new() -> Handles {
        let mut guard = null_mut();
        let st = unsafe {
            guardrail_guard_new(
                POLICY.as_ptr(),
                POLICY.len(),
                null(),
                &mut guard,
                null_mut(),
            )
        };
        assert_eq!(st, guardrail_status::Ok);
        Handles {
            guard,
            state: guardrail_state_new(),
        }
    }
}

impl Drop for Handles {
    fn drop(&mut self) {
        unsafe {
            guardrail_state_free(self.state);
            guardrail_guard_free(self.guard);
        }
    }
}

fn take(mut b: guardrail_bytes) -> String {
    let s = unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec();
    unsafe { guardrail_bytes_free(&mut b) };
    String::from_utf8(s).unwrap()
}

/// Runs `f` with an error slot; returns the status and the message (freeing the error).
fn with_error(
    f: impl FnOnce(*mut *mut guardrail_error) -> guardrail_status,
) -> (guardrail_status, String) {
    let mut err = null_mut();
    let st = f(&mut err);
    let msg = unsafe { CStr::from_ptr(guardrail_error_message(err)) }
        .to_string_lossy()
        .into_owned();
    unsafe { guardrail_error_free(err) };
    (st, msg)
}

fn evaluate(h: &Handles, event: &[u8]) -> (guardrail_status, String) {
    let mut out = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    let (st, msg) = with_error(|e| unsafe {
        guardrail_guard_evaluate_json(h.guard, h.state, event.as_ptr(), event.len(), &mut out, e)
    });
    if st == guardrail_status::Ok {
        (st, take(out))
    } else {
        assert!(out.data.is_null());
        (st, msg)
    }
}

#[test]
fn evaluates_events_as_json() {
    let h = Handles::new();
    let (st, out) = evaluate(&h, br#"{"type":"prompt","ts":1,"text":"see TCK-42"}"#);
    assert_eq!(st, guardrail_status::Ok);
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["enforced"], "redact");
    assert_eq!(d["text"], "see [REDACTED:ticket]");
    let (_, out) = evaluate(
        &h,
        br#"{"type":"tool_call","ts":1,"tool":"db","args":{"q":"drop table x"}}"#,
    );
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["enforced"], "escalate");
    assert!(d["gate"]["id"].is_string());
}

#[test]
fn bad_events_are_errors_with_clear_messages() {
    let h = Handles::new();
    let cases: [(&[u8], guardrail_status, &str); 5] = [
        (b"{", guardrail_status::InvalidJson, "malformed JSON"),
        (
            br#"{"type":"tool_cal","ts":1}"#,
            guardrail_status::InvalidEvent,
            "did you mean `tool_call`",
        ),
        (
            b"{\"type\":\"prompt\",\"ts\":1,\"text\":\"\xe2\x82\"}",
            guardrail_status::InvalidUtf8,
            "offset 32",
        ),
        (b"{}\0", guardrail_status::InvalidLength, "strlen"),
        (b"", guardrail_status::InvalidJson, "EOF"),
    ];
    for (event, status, needle) in cases {
        let (st, msg) = evaluate(&h, event);
        assert_eq!(st, status, "{msg}");
        assert!(msg.contains(needle), "{msg} lacks {needle}");
    }
    let (st, msg) = with_error(|e| unsafe {
        let mut out = guardrail_bytes {
            data: null_mut(),
            len: 0,
        };
        guardrail_guard_evaluate_json(null(), h.state, b"{}".as_ptr(), 2, &mut out, e)
    });
    assert_eq!(
        (st, msg.as_str()),
        (guardrail_status::NullParameter, "`guard` is NULL")
    );
}

#[test]
fn policy_errors_list_every_issue_as_json() {
    let bad = "version: 1\nrules:\n  - id: a\n    regex: '('\n  - id: b\n    kewords: [x]\n";
    let mut guard = null_mut();
    let mut err = null_mut();
    let st = unsafe { guardrail_guard_new(bad.as_ptr(), bad.len(), null(), &mut guard, &mut err) };
    assert_eq!(st, guardrail_status::InvalidPolicy);
    assert!(guard.is_null());
    let json = unsafe { CStr::from_ptr(guardrail_error_json(err)) }
        .to_str()
        .unwrap()
        .to_string();
    unsafe { guardrail_error_free(err) };
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "policy");
    let issues = v["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    assert!(issues.iter().all(|i| i["line"].is_u64()), "{json}");
}

#[test]
fn fast_paths_match_the_json_answers() {
    let h = Handles::new();
    let text = "TCK-1 then TCK-22";
    let mut list = null_mut();
    let st = unsafe {
        guardrail_guard_scan(
            h.guard,
            guardrail_channel::ToolOutput as u32,
            text.as_ptr(),
            text.len(),
            &mut list,
            null_mut(),
        )
    };
    assert_eq!(st, guardrail_status::Ok);
    let n = unsafe { guardrail_findings_len(list) };
    let items = unsafe { std::slice::from_raw_parts(guardrail_findings_items(list), n) };
    let mut json = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    let st = unsafe {
        guardrail_guard_scan_json(
            h.guard,
            guardrail_channel::ToolOutput as u32,
            text.as_ptr(),
            text.len(),
            &mut json,
            null_mut(),
        )
    };
    assert_eq!(st, guardrail_status::Ok);
    let v: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), n);
    for (item, f) in items.iter().zip(findings) {
        let rule = unsafe { CStr::from_ptr(item.rule) }.to_str().unwrap();
        assert_eq!(rule, f["rule"]);
        assert_eq!(item.start as u64, f["span"]["start"].as_u64().unwrap());
        assert_eq!(item.end as u64, f["span"]["end"].as_u64().unwrap());
        assert_eq!(item.action, guardrail_action::Redact);
    }
    unsafe { guardrail_findings_free(list) };

    let mut action = guardrail_action::Allow;
    let prompt = "please drop table users";
    let st = unsafe {
        guardrail_guard_check_prompt(
            h.guard,
            h.state,
            null(),
            0,
            prompt.as_ptr(),
            prompt.len(),
            &mut action,
            null_mut(),
        )
    };
    assert_eq!(
        (st, action),
        (guardrail_status::Ok, guardrail_action::Escalate)
    );
    let (st, msg) = with_error(|e| unsafe {
        guardrail_guard_check_prompt(
            h.guard,
            h.state,
            null(),
            0,
            prompt.as_ptr(),
            prompt.len(),
            &mut action,
            e,
        );
        guardrail_guard_scan(h.guard, 5, prompt.as_ptr(), prompt.len(), &mut list, e)
    });
    assert_eq!(st, guardrail_status::InvalidArgument, "{msg}");
}

#[test]
fn oversized_input_is_refused_unread() {
    let h = Handles::new();
    let byte = 0u8;
    // The pointer covers one byte; the length check comes first, so nothing past it is read.
    let (st, msg) = with_error(|e| unsafe {
        let mut out = guardrail_bytes {
            data: null_mut(),
            len: 0,
        };
        guardrail_guard_redact(
            h.guard,
            0,
            &byte,
            GUARDRAIL_MAX_INPUT_BYTES + 1,
            &mut out,
            null_mut(),
            e,
        )
    });
    assert_eq!(st, guardrail_status::InputTooLarge);
    assert!(msg.contains("67108864"), "{msg}");
}

#[test]
fn state_snapshots_round_trip() {
    let h = Handles::new();
    evaluate(
        &h,
        br#"{"type":"tool_call","ts":1,"tool":"db","args":{"q":"drop table x"}}"#,
    );
    let mut snap = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { guardrail_state_snapshot(h.state, &mut snap, null_mut()) },
        guardrail_status::Ok
    );
    let json = take(snap);
    let mut restored = null_mut();
    assert_eq!(
        unsafe { guardrail_state_restore(json.as_ptr(), json.len(), &mut restored, null_mut()) },
        guardrail_status::Ok
    );
    let mut again = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { guardrail_state_snapshot(restored, &mut again, null_mut()) },
        guardrail_status::Ok
    );
    assert_eq!(take(again), json);
    unsafe { guardrail_state_free(restored) };
}

#[test]
fn one_guard_and_state_serve_many_threads() {
    struct Shared(*mut guardrail_guard, *mut guardrail_state);
    // SAFETY: the guard and state are documented thread-safe; the test frees them after join.
    unsafe impl Sync for Shared {}
    impl Shared {
        fn handles(&self) -> (*mut guardrail_guard, *mut guardrail_state) {
            (self.0, self.1)
        }
    }
    let h = Handles::new();
    let shared = Shared(h.guard, h.state);
    let event = br#"{"type":"tool_call","ts":1,"tool":"db","args":{"q":"drop table x"}}"#;
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let (guard, state) = shared.handles();
                for _ in 0..50 {
                    let mut out = guardrail_bytes {
                        data: null_mut(),
                        len: 0,
                    };
                    let st = unsafe {
                        guardrail_guard_evaluate_json(
                            guard,
                            state,
                            event.as_ptr(),
                            event.len(),
                            &mut out,
                            null_mut(),
                        )
                    };
                    assert_eq!(st, guardrail_status::Ok);
                    assert!(take(out).contains("\"enforced\":\"escalate\""));
                }
            });
        }
    });
    let mut snap = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    unsafe { guardrail_state_snapshot(h.state, &mut snap, null_mut()) };
    let v: serde_json::Value = serde_json::from_str(&take(snap)).unwrap();
    assert_eq!(v["gates"]["pending"].as_object().unwrap().len(), 400);
}

#[test]
fn arbitrary_bytes_never_crash_any_entry_point() {
    // A small deterministic generator (xorshift) over JSON-ish and binary bytes: every call
    // must return a status, and every failure must carry a message. Each input goes to the
    // event, text, snapshot and policy entry points.
    let h = Handles::new();
    let alphabet: &[u8] =
        b"{}[]\":,0123456789.-+eEtruefalsnl \\u00ff\xc3\xa9\x00\xf0\x9f\x98typeprompttsxt";
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..2000 {
        let len = (next() % 96) as usize;
        let mut input: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        if round % 3 == 0 {
            // Mostly-valid events with a corrupted tail.
            input = [br#"{"type":"prompt","ts":1,"text":""#.as_slice(), &input].concat();
        }
        let channel = (next() % 6) as u32;
        let (st, msg) = evaluate(&h, &input);
        assert!(
            st == guardrail_status::Ok || !msg.is_empty(),
            "{st:?} without a message"
        );
        assert_ne!(st, guardrail_status::Panic, "{msg}");
        let (st, msg) = with_error(|e| unsafe {
            let mut out = guardrail_bytes {
                data: null_mut(),
                len: 0,
            };
            let mut list = null_mut();
            let st = guardrail_guard_redact(
                h.guard,
                channel,
                input.as_ptr(),
                input.len(),
                &mut out,
                &mut list,
                e,
            );
            guardrail_bytes_free(&mut out);
            guardrail_findings_free(list);
            st
        });
        assert_ne!(st, guardrail_status::Panic, "{msg}");
        let (st, msg) = with_error(|e| unsafe {
            let mut state = null_mut();
            let st = guardrail_state_restore(input.as_ptr(), input.len(), &mut state, e);
            guardrail_state_free(state);
            st
        });
        assert_ne!(st, guardrail_status::Panic, "{msg}");
        assert_ne!(
            st,
            guardrail_status::Ok,
            "{:?} restored a state",
            String::from_utf8_lossy(&input)
        );
        // The same bytes as a policy (YAML): an error or a guard, never a crash.
        let (st, msg) = with_error(|e| unsafe {
            let mut guard = null_mut();
            let st = guardrail_guard_new(input.as_ptr(), input.len(), null(), &mut guard, e);
            guardrail_guard_free(guard);
            st
        });
        assert_ne!(st, guardrail_status::Panic, "{msg}");
    }
}

#[test]
fn audit_records_drain_through_the_abi() {
    let policy = "version: 1\ngovernance:\n  audit:\n    enabled: true\n";
    let mut guard = null_mut();
    assert_eq!(
        unsafe {
            guardrail_guard_new(
                policy.as_ptr(),
                policy.len(),
                null(),
                &mut guard,
                null_mut(),
            )
        },
        guardrail_status::Ok
    );
    let h = Handles {
        guard,
        state: guardrail_state_new(),
    };
    for _ in 0..3 {
        evaluate(&h, br#"{"type":"prompt","ts":1,"text":"hi"}"#);
    }
    let mut out = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    let st = unsafe { guardrail_state_take_audit_records(h.state, &mut out, null_mut()) };
    assert_eq!(st, guardrail_status::Ok);
    let jsonl = take(out);
    assert_eq!(jsonl.lines().count(), 3, "{jsonl}");
    let last: serde_json::Value = serde_json::from_str(jsonl.lines().last().unwrap()).unwrap();
    let mut out = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { guardrail_state_take_audit_records(h.state, &mut out, null_mut()) },
        guardrail_status::Ok
    );
    assert_eq!(take(out), "", "records are drained once");
    let mut out = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { guardrail_state_audit_head(h.state, &mut out, null_mut()) },
        guardrail_status::Ok
    );
    let head: serde_json::Value = serde_json::from_str(&take(out)).unwrap();
    assert_eq!(
        (head["seq"].as_u64(), &head["hash"]),
        (Some(3), &last["hash"])
    );
    let mut out = guardrail_bytes {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { guardrail_state_showback(h.state, &mut out, null_mut()) },
        guardrail_status::Ok
    );
    assert!(take(out).contains("\"total\""));
    let (st, msg) = with_error(|e| unsafe { guardrail_state_showback(h.state, null_mut(), e) });
    assert_eq!(
        (st, msg.as_str()),
        (guardrail_status::NullParameter, "`report_out` is NULL")
    );
}

#[test]
fn check_prompt_speaks_for_a_registered_agent() {
    let policy = "version: 1\ngovernance:\n  registry:\n    agents:\n      - id: bot\n        owner: ops@example.com\n";
    let mut guard = null_mut();
    assert_eq!(
        unsafe {
            guardrail_guard_new(
                policy.as_ptr(),
                policy.len(),
                null(),
                &mut guard,
                null_mut(),
            )
        },
        guardrail_status::Ok
    );
    let h = Handles {
        guard,
        state: guardrail_state_new(),
    };
    let check = |agent: &str| {
        let mut action = guardrail_action::Allow;
        let text = "hello";
        let st = unsafe {
            guardrail_guard_check_prompt(
                h.guard,
                h.state,
                agent.as_ptr(),
                agent.len(),
                text.as_ptr(),
                text.len(),
                &mut action,
                null_mut(),
            )
        };
        assert_eq!(st, guardrail_status::Ok);
        action
    };
    assert_eq!(check("bot"), guardrail_action::Allow);
    assert_eq!(
        check(""),
        guardrail_action::Block,
        "no agent under a registry"
    );
    assert_eq!(check("stranger"), guardrail_action::Block);
}
