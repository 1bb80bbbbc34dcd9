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

use crate::decision::Decision;
use crate::event::Event;
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
    /// `event`, `policy` or `input`.
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
