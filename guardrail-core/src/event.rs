//! Events: what the host reports the agent is doing. One JSON form everywhere (Rust, Python
//! dicts, the C ABI, recorded traces); see `docs/EVENTS.md`.
//!
//! ```
//! use guardrail_core::event::{Event, EventKind};
//! let event = Event::from_json(br#"{"type":"prompt","ts":"2026-11-23T10:15:02.120Z",
//!     "agent":"billing-bot","role":"user","text":"refund order 1182"}"#).unwrap();
//! assert!(matches!(event.kind, EventKind::Prompt { .. }));
//! assert_eq!(event.context.ts.unix_millis(), 1_795_428_902_120);
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A point in time supplied by the host, in Unix milliseconds (UTC).
///
/// In JSON it is an RFC 3339 string (any offset; written back in UTC with milliseconds) or an
/// integer number of Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// A timestamp from Unix milliseconds.
    pub fn from_unix_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Unix milliseconds.
    pub fn unix_millis(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 date-time (`2026-11-23T10:15:02.120Z`, `...+02:00`).
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, EventError> {
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|e| EventError {
            message: format!("`ts` is not an RFC 3339 date-time: `{s}` ({e})"),
        })?;
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms).map(Timestamp).map_err(|_| EventError {
            message: format!("`ts` is out of range: `{s}`"),
        })
    }

    /// This time plus `ms` milliseconds (saturating).
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-23T10:15:02.120Z`.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) => {
                let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
                format!(
                    "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                    t.hour(),
                    t.minute(),
                    t.second(),
                    t.millisecond()
                )
            }
            // Only reachable for times beyond year 9999; the number is still exact.
            Err(_) => self.0.to_string(),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Millis(i64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "`ts` must be an RFC 3339 string or an integer of Unix milliseconds",
            )
        })? {
            Raw::Millis(ms) => Ok(Timestamp(ms)),
            Raw::Text(s) => Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom),
        }
    }
}

/// Who and where: the context every event carries. Only `ts` is required.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Context {
    /// When it happened, supplied by the host (the core reads no clock).
    pub ts: Timestamp,
    /// The agent's id, as registered in the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The workflow (task type) the run belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The run id: one execution of a workflow by an agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The environment (`prod`, `staging`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// On whose behalf the agent acts (`user:4411`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Free-form labels (`team`, `cost_center`, ...), used for showback.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// The role of a prompt's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An end user: untrusted.
    #[default]
    User,
    /// The agent's system prompt.
    System,
    /// A developer message.
    Developer,
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    /// The tool returned a result.
    #[default]
    Ok,
    /// The tool failed.
    Error,
    /// The tool did not answer in time.
    Timeout,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The task was done.
    Success,
    /// The task failed.
    Failure,
    /// The run ran out of time.
    Timeout,
    /// Someone cancelled the run.
    Cancelled,
}

/// What happened. The `type` field of the JSON form selects the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Text going to the model.
    Prompt {
        /// Who wrote it.
        #[serde(default)]
        role: Role,
        /// The text.
        text: String,
    },
    /// Text the model produced.
    ModelOutput {
        /// The text.
        text: String,
        /// The model that produced it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
    /// A tool call the model asked for, before it runs.
    ToolCall {
        /// The tool's name.
        tool: String,
        /// The call's id, to pair it with its result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The arguments (any JSON; usually an object).
        #[serde(default)]
        args: serde_json::Value,
    },
    /// A tool's result, after it ran.
    ToolResult {
        /// The tool's name.
        tool: String,
        /// The call's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// The output: a string or any JSON.
        #[serde(default)]
        output: serde_json::Value,
        /// How the call ended.
        #[serde(default)]
        status: ToolStatus,
        /// How long the call took.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<f64>,
    },
    /// Tokens (and cost) of one model call.
    LlmUsage {
        /// The model id (`gpt-4o`, `claude-sonnet-4-5`, ...).
        model: String,
        /// The provider (`openai`, `anthropic`, ...).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
        /// Input tokens, cached ones included.
        #[serde(default)]
        input_tokens: u64,
        /// Output tokens.
        #[serde(default)]
        output_tokens: u64,
        /// Input tokens read from the provider's prompt cache.
        #[serde(default)]
        cached_input_tokens: u64,
        /// Input tokens written to the provider's prompt cache.
        #[serde(default, skip_serializing_if = "is_zero")]
        cache_write_tokens: u64,
        /// The cost if the host knows it; computed from the price table when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost_usd: Option<f64>,
        /// How long the call took.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<f64>,
    },
    /// A run begins.
    RunStart {},
    /// A run ends.
    RunEnd {
        /// How it ended.
        outcome: Outcome,
        /// A quality score in 0..=1 from the host's evaluator, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quality: Option<f64>,
    },
    /// A human's answer to a gate request.
    Approval {
        /// The gate's id (from the escalate decision).
        gate: String,
        /// Who answered.
        approver: String,
        /// The role they answer in.
        role: String,
        /// Approve (true) or deny (false).
        approve: bool,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl EventKind {
    /// The event type's name as in the JSON `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Prompt { .. } => "prompt",
            EventKind::ModelOutput { .. } => "model_output",
            EventKind::ToolCall { .. } => "tool_call",
            EventKind::ToolResult { .. } => "tool_result",
            EventKind::LlmUsage { .. } => "llm_usage",
            EventKind::RunStart {} => "run_start",
            EventKind::RunEnd { .. } => "run_end",
            EventKind::Approval { .. } => "approval",
        }
    }

    /// Every event type name, in the order of DESIGN.md.
    pub const NAMES: [&'static str; 8] = [
        "prompt",
        "model_output",
        "tool_call",
        "tool_result",
        "llm_usage",
        "run_start",
        "run_end",
        "approval",
    ];
}

/// One event: its context and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Who, where and when.
    #[serde(flatten)]
    pub context: Context,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// An event that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event: {message}")]
pub struct EventError {
    message: String,
}

impl EventError {
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Event {
    /// An event of `kind` at `ts` with an otherwise empty context.
    pub fn new(ts: Timestamp, kind: EventKind) -> Event {
        Event {
            context: Context {
                ts,
                ..Context::default()
            },
            kind,
        }
    }

    /// Reads and validates an event from its JSON form.
    pub fn from_json(json: &[u8]) -> Result<Event, EventError> {
        let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| EventError {
            message: format!("malformed JSON: {e}"),
        })?;
        Event::from_value(value)
    }

    /// Reads and validates an event from a JSON value (a Python dict converts to one).
    pub fn from_value(value: serde_json::Value) -> Result<Event, EventError> {
        let Some(object) = value.as_object() else {
            return Err(EventError {
                message: "an event must be a JSON object".into(),
            });
        };
        match object.get("type") {
            None => {
                return Err(EventError {
                    message: "missing field `type`".into(),
                })
            }
            Some(serde_json::Value::String(t)) if !EventKind::NAMES.contains(&t.as_str()) => {
                let hint = crate::util::did_you_mean(t, EventKind::NAMES.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(EventError {
                    message: format!(
                        "unknown event type `{t}`{hint} (expected one of: {})",
                        EventKind::NAMES.join(", ")
                    ),
                });
            }
            _ => {}
        }
        if !object.contains_key("ts") {
            return Err(EventError {
                message: "missing field `ts`".into(),
            });
        }
        let event: Event = serde_json::from_value(value).map_err(|e| EventError {
            message: e.to_string(),
        })?;
        event.validate()?;
        Ok(event)
    }

    fn validate(&self) -> Result<(), EventError> {
        let bad = |m: &str| {
            Err(EventError {
                message: m.to_string(),
            })
        };
        match &self.kind {
            EventKind::RunEnd {
                quality: Some(q), ..
            } if !(0.0..=1.0).contains(q) => bad("`quality` must be a number from 0 to 1"),
            EventKind::LlmUsage {
                cost_usd: Some(c), ..
            } if !c.is_finite() || *c < 0.0 => bad("`cost_usd` must be a non-negative number"),
            EventKind::ToolResult {
                duration_ms: Some(d),
                ..
            }
            | EventKind::LlmUsage {
                duration_ms: Some(d),
                ..
            } if !d.is_finite() || *d < 0.0 => bad("`duration_ms` must be a non-negative number"),
            EventKind::ToolCall { tool, .. } | EventKind::ToolResult { tool, .. }
                if tool.is_empty() =>
            {
                bad("`tool` must not be empty")
            }
            _ => Ok(()),
        }
    }

    /// The event's JSON form.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_accept_rfc3339_with_offsets_and_millis() {
        let a = Timestamp::parse_rfc3339("2026-11-23T10:15:02.120Z").unwrap();
        let b = Timestamp::parse_rfc3339("2026-11-23T12:15:02.120+02:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_rfc3339(), "2026-11-23T10:15:02.120Z");
        let c: Timestamp = serde_json::from_str("1795428902120").unwrap();
        assert_eq!(a, c);
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn tool_call_round_trips() {
        let json = br#"{"type":"tool_call","ts":"2026-11-23T10:15:02.120Z","agent":"billing-bot",
            "workflow":"refunds","run":"r-8812","env":"prod","principal":"user:4411",
            "tags":{"team":"payments"},"tool":"db.query","call_id":"c-3",
            "args":{"sql":"DELETE FROM invoices"}}"#;
        let e = Event::from_json(json).unwrap();
        assert_eq!(e.context.agent.as_deref(), Some("billing-bot"));
        assert_eq!(
            e.context.tags.get("team").map(String::as_str),
            Some("payments")
        );
        let again = Event::from_json(e.to_json().as_bytes()).unwrap();
        assert_eq!(e, again);
    }

    #[test]
    fn bad_events_are_clear_errors() {
        let cases: [(&[u8], &str); 8] = [
            (b"", "malformed JSON"),
            (b"[1]", "must be a JSON object"),
            (br#"{"ts":1}"#, "missing field `type`"),
            (br#"{"type":"prompt","text":"x"}"#, "missing field `ts`"),
            (
                br#"{"type":"promt","ts":1,"text":"x"}"#,
                "did you mean `prompt`",
            ),
            (br#"{"type":"prompt","ts":"noon","text":"x"}"#, "RFC 3339"),
            (
                br#"{"type":"run_end","ts":1,"outcome":"success","quality":7}"#,
                "quality",
            ),
            (
                br#"{"type":"tool_call","ts":1,"tool":""}"#,
                "`tool` must not be empty",
            ),
        ];
        for (input, expected) in cases {
            let err = Event::from_json(input).unwrap_err();
            assert!(
                err.message().contains(expected),
                "{:?}: {}",
                String::from_utf8_lossy(input),
                err
            );
        }
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        assert!(Event::from_json(b"{\"type\":\"prompt\",\"ts\":1,\"text\":\"\xff\"}").is_err());
    }
}
