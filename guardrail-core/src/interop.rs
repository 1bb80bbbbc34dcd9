//! The JSON contract shared by the bindings (C ABI, Python, Go): events in, answers out.
//!
//! ```
//! use guardrail_core::{interop, Guard, State};
//! let guard = Guard::with_default_policy();
//! let state = State::new();
//! let out = interop::evaluate_json(&guard, &state, br#"{"type":"prompt","ts":1,"text":"hi"}"#);
//! let answer: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(answer["ok"]["action"], "allow");
//! let bad = interop::evaluate_json(&guard, &state, b"{");
//! let answer: serde_json::Value = serde_json::from_slice(&bad).unwrap();
//! assert_eq!(answer["error"]["kind"], "event");
//! ```

use crate::decision::{Decision, Finding};
use crate::event::Event;
use crate::scan::Channel;
use crate::state::StateSnapshot;
use crate::{Guard, State};
use serde::Serialize;

/// What a JSON call returns: `{"ok": ...}` or `{"error": {"kind": ..., "message": ...}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer<T> {
    /// The result.
    Ok(T),
    /// Why there is none.
    Error(ErrorAnswer),
}

/// A failed call, as JSON.
#[derive(Debug, Serialize)]
pub struct ErrorAnswer {
    /// `json` (malformed JSON), `event`, `state`, `policy`, `input` or `internal`.
    pub kind: &'static str,
    /// What is wrong.
    pub message: String,
}

fn encode<T: Serialize>(answer: &Answer<T>) -> Vec<u8> {
    serde_json::to_vec(answer).unwrap_or_else(|e| {
        format!(
            "{{\"error\":{{\"kind\":\"internal\",\"message\":\"cannot encode the answer: {e}\"}}}}"
        )
        .into_bytes()
    })
}

/// Evaluates one event given as JSON and returns the answer as JSON.
pub fn evaluate_json(guard: &Guard, state: &State, event_json: &[u8]) -> Vec<u8> {
    let answer: Answer<Decision> = match Event::from_json(event_json) {
        Ok(event) => Answer::Ok(guard.evaluate(&event, state)),
        Err(e) => Answer::Error(ErrorAnswer {
            kind: "event",
            message: e.message().to_string(),
        }),
    };
    encode(&answer)
}

fn encode_plain<T: Serialize>(value: &T) -> Result<Vec<u8>, ErrorAnswer> {
    serde_json::to_vec(value).map_err(|e| ErrorAnswer {
        kind: "internal",
        message: format!("cannot encode the answer: {e}"),
    })
}

/// Reads an event from JSON, telling malformed JSON (kind `json`) from a well-formed
/// document that is not a valid event (kind `event`).
///
/// ```
/// use guardrail_core::interop;
/// assert_eq!(interop::read_event(b"{").unwrap_err().kind, "json");
/// assert_eq!(interop::read_event(br#"{"type":"promt","ts":1}"#).unwrap_err().kind, "event");
/// assert!(interop::read_event(br#"{"type":"prompt","ts":1,"text":"hi"}"#).is_ok());
/// ```
pub fn read_event(event_json: &[u8]) -> Result<Event, ErrorAnswer> {
    let value: serde_json::Value = serde_json::from_slice(event_json).map_err(|e| ErrorAnswer {
        kind: "json",
        message: format!("malformed JSON: {e}"),
    })?;
    Event::from_value(value).map_err(|e| ErrorAnswer {
        kind: "event",
        message: e.message().to_string(),
    })
}

/// Evaluates one event given as JSON and returns the [`Decision`] itself as JSON (no
/// `ok` envelope): for bindings that report errors through their own channel (the C ABI's
/// status codes).
///
/// ```
/// use guardrail_core::{interop, Guard, State};
/// let guard = Guard::with_default_policy();
/// let out = interop::evaluate_to_json(&guard, &State::new(),
///     br#"{"type":"prompt","ts":1,"text":"hi"}"#).unwrap();
/// let decision: guardrail_core::Decision = serde_json::from_slice(&out).unwrap();
/// assert!(decision.is_allowed());
/// ```
pub fn evaluate_to_json(
    guard: &Guard,
    state: &State,
    event_json: &[u8],
) -> Result<Vec<u8>, ErrorAnswer> {
    let event = read_event(event_json)?;
    encode_plain(&guard.evaluate(&event, state))
}

/// What a scan returns as JSON: `{"findings": [...]}`.
#[derive(Debug, Serialize)]
pub struct ScanAnswer {
    /// Every finding, overrides applied, spans into the scanned text.
    pub findings: Vec<Finding>,
}

/// What a redaction returns as JSON: `{"text": "...", "findings": [...]}`.
#[derive(Debug, Serialize)]
pub struct RedactAnswer {
    /// The text with every non-`allow` finding's span replaced.
    pub text: String,
    /// Every finding, spans into the original text.
    pub findings: Vec<Finding>,
}

/// [`Guard::scan`] with the answer as JSON (`{"findings": [...]}`).
pub fn scan_to_json(guard: &Guard, channel: Channel, text: &str) -> Result<Vec<u8>, ErrorAnswer> {
    encode_plain(&ScanAnswer {
        findings: guard.scan(channel, text),
    })
}

/// [`Guard::redact`] with the answer as JSON (`{"text": "...", "findings": [...]}`).
pub fn redact_to_json(guard: &Guard, channel: Channel, text: &str) -> Result<Vec<u8>, ErrorAnswer> {
    let (text, findings) = guard.redact(channel, text);
    encode_plain(&RedactAnswer { text, findings })
}

/// What a [`TextStream`](crate::TextStream) call settled, as JSON (`{"text": "...",
/// "findings": [...], "action": "allow"}`).
pub fn stream_chunk_to_json(chunk: &crate::StreamChunk) -> Result<Vec<u8>, ErrorAnswer> {
    encode_plain(chunk)
}

/// A state's snapshot as JSON (the [`StateSnapshot`] document).
pub fn snapshot_to_json(state: &State) -> Result<Vec<u8>, ErrorAnswer> {
    encode_plain(&state.snapshot())
}

/// A state restored from a snapshot's JSON (malformed JSON is kind `json`, a document that
/// is not a snapshot kind `state`).
///
/// ```
/// use guardrail_core::{interop, State};
/// let json = interop::snapshot_to_json(&State::new()).unwrap();
/// assert!(interop::restore_from_json(&json).is_ok());
/// assert_eq!(interop::restore_from_json(b"{\"version\":1,\"x\":2}").unwrap_err().kind, "state");
/// ```
pub fn restore_from_json(snapshot_json: &[u8]) -> Result<State, ErrorAnswer> {
    let value: serde_json::Value =
        serde_json::from_slice(snapshot_json).map_err(|e| ErrorAnswer {
            kind: "json",
            message: format!("malformed JSON: {e}"),
        })?;
    let snapshot: StateSnapshot = serde_json::from_value(value).map_err(|e| ErrorAnswer {
        kind: "state",
        message: format!("invalid state snapshot: {e}"),
    })?;
    Ok(State::restore(snapshot))
}

/// Drains the audit records appended since the last drain ([`State::take_audit_records`]) as
/// JSON Lines: one canonical JSON record per line, each ending in `\n`, ready to append to
/// the host's log. Empty when there is none.
pub fn take_audit_records_jsonl(state: &State) -> Result<Vec<u8>, ErrorAnswer> {
    let mut out = Vec::new();
    for record in state.take_audit_records() {
        out.extend(encode_plain(&record)?);
        out.push(b'\n');
    }
    Ok(out)
}

/// The audit chain's head as JSON (`{"seq": ..., "hash": ...}`).
pub fn audit_head_to_json(state: &State) -> Result<Vec<u8>, ErrorAnswer> {
    encode_plain(&state.audit_head())
}

/// The showback report (cost, tokens and calls by team, agent, workflow and tag) as JSON.
pub fn showback_to_json(state: &State) -> Result<Vec<u8>, ErrorAnswer> {
    encode_plain(&state.showback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    fn guard() -> Guard {
        let policy = Policy::from_yaml(
            "version: 1\nrules:\n  - id: ticket\n    regex: 'TCK-\\d+'\n    keywords: [TCK-]\n    action: redact\n",
        )
        .unwrap();
        Guard::builder().build(&policy).unwrap()
    }

    #[test]
    fn scan_and_redact_answers_carry_findings_with_spans() {
        let g = guard();
        let out = scan_to_json(&g, Channel::User, "see TCK-12 now").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["findings"][0]["rule"], "custom.ticket");
        assert_eq!(v["findings"][0]["span"]["start"], 4);
        let out = redact_to_json(&g, Channel::User, "see TCK-12 now").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["text"], "see [REDACTED:ticket] now");
        let out = scan_to_json(&g, Channel::User, "nothing here").unwrap();
        assert_eq!(out, br#"{"findings":[]}"#);
    }

    #[test]
    fn evaluate_errors_tell_json_from_event() {
        let g = guard();
        let s = State::new();
        assert_eq!(evaluate_to_json(&g, &s, b"").unwrap_err().kind, "json");
        assert_eq!(evaluate_to_json(&g, &s, b"[1]").unwrap_err().kind, "event");
        let out = evaluate_to_json(&g, &s, br#"{"type":"prompt","ts":1,"text":"TCK-1"}"#).unwrap();
        let d: Decision = serde_json::from_slice(&out).unwrap();
        assert_eq!(d.text.as_deref(), Some("[REDACTED:ticket]"));
    }

    #[test]
    fn audit_records_drain_as_json_lines() {
        let policy =
            Policy::from_yaml("version: 1\ngovernance:\n  audit:\n    enabled: true\n").unwrap();
        let g = Guard::builder().build(&policy).unwrap();
        let s = State::new();
        assert!(take_audit_records_jsonl(&s).unwrap().is_empty());
        for _ in 0..2 {
            evaluate_to_json(&g, &s, br#"{"type":"prompt","ts":1,"text":"hi"}"#).unwrap();
        }
        let out = String::from_utf8(take_audit_records_jsonl(&s).unwrap()).unwrap();
        let records: Vec<crate::governance::AuditRecord> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len(), 2);
        assert!(out.ends_with('\n'));
        assert!(crate::governance::verify(&records).is_ok());
        assert!(take_audit_records_jsonl(&s).unwrap().is_empty(), "drained");
        let head: serde_json::Value =
            serde_json::from_slice(&audit_head_to_json(&s).unwrap()).unwrap();
        assert_eq!(head["seq"], 2);
        assert_eq!(head["hash"], records[1].hash.as_str());
        let showback: serde_json::Value =
            serde_json::from_slice(&showback_to_json(&s).unwrap()).unwrap();
        assert!(showback["total"].is_object());
    }

    #[test]
    fn snapshots_round_trip_and_bad_ones_are_refused() {
        let s = State::new();
        s.store().try_add("k", 2.0, None).unwrap();
        let json = snapshot_to_json(&s).unwrap();
        let back = restore_from_json(&json).unwrap();
        assert_eq!(back.snapshot(), s.snapshot());
        assert_eq!(restore_from_json(b"nope").unwrap_err().kind, "json");
        assert_eq!(restore_from_json(b"{}").unwrap_err().kind, "state");
    }
}
