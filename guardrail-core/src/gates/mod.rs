//! Layer 4, human gates: an `escalate` decision opens a gate request that names the role
//! that must approve, the exact action it guards (a fingerprint) and an expiry. Pending gates
//! are part of the [`State`](crate::State).

use crate::decision::GateRequest;
use crate::event::{Event, EventKind, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The `gates` section of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GatesPolicy {
    /// The role that must approve when no override names one.
    pub default_role: String,
    /// How long a gate request stays open, in seconds; an approval after it is refused.
    pub ttl_seconds: u64,
}

impl Default for GatesPolicy {
    fn default() -> GatesPolicy {
        GatesPolicy {
            default_role: "reviewer".to_string(),
            ttl_seconds: 3600,
        }
    }
}

/// A gate waiting for its approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingGate {
    /// The request as the decision reported it.
    pub request: GateRequest,
    /// The agent whose action is held (it may not approve its own request).
    pub agent: Option<String>,
    /// When the gate was opened.
    pub opened: Timestamp,
    /// Expiry in Unix milliseconds.
    pub expires_at: Timestamp,
}

/// Pending gates and the id counter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateState {
    /// The number of gates opened so far; ids are `g-<n>`.
    pub opened: u64,
    /// Gates waiting for an answer, by id.
    pub pending: BTreeMap<String, PendingGate>,
}

/// The fingerprint of the exact action an event asks for: sha256 over the tool name and its
/// canonical (key-sorted) arguments, or over the event's text.
pub fn fingerprint(kind: &EventKind) -> String {
    let mut h = Sha256::new();
    h.update(kind.name().as_bytes());
    h.update([0]);
    match kind {
        EventKind::ToolCall { tool, args, .. } => {
            h.update(tool.as_bytes());
            h.update([0]);
            h.update(args.to_string().as_bytes());
        }
        EventKind::ToolResult { tool, output, .. } => {
            h.update(tool.as_bytes());
            h.update([0]);
            h.update(output.to_string().as_bytes());
        }
        EventKind::Prompt { text, .. } | EventKind::ModelOutput { text, .. } => {
            h.update(text.as_bytes())
        }
        other => h.update(serde_json::to_string(other).unwrap_or_default().as_bytes()),
    }
    format!("sha256:{}", crate::policy::hex(&h.finalize()))
}

impl GateState {
    /// Opens a gate for `event`, to be approved by `role`.
    pub(crate) fn open(
        &mut self,
        policy: &GatesPolicy,
        event: &Event,
        role: &str,
        reason: String,
    ) -> GateRequest {
        self.opened += 1;
        let ttl_ms = i64::try_from(policy.ttl_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        let expires_at = event.context.ts.plus_millis(ttl_ms);
        let request = GateRequest {
            id: format!("g-{}", self.opened),
            role: role.to_string(),
            reason,
            expires: expires_at.to_rfc3339(),
            fingerprint: fingerprint(&event.kind),
        };
        self.pending.insert(
            request.id.clone(),
            PendingGate {
                request: request.clone(),
                agent: event.context.agent.clone(),
                opened: event.context.ts,
                expires_at,
            },
        );
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(args: serde_json::Value) -> Event {
        Event::new(
            Timestamp::from_unix_millis(1_000),
            EventKind::ToolCall {
                tool: "db.migrate".into(),
                call_id: None,
                args,
            },
        )
    }

    #[test]
    fn gates_get_ids_expiry_and_fingerprints() {
        let mut s = GateState::default();
        let p = GatesPolicy::default();
        let g1 = s.open(
            &p,
            &call(json!({"sql": "ALTER TABLE a"})),
            "db-owner",
            "sql.ddl".into(),
        );
        let g2 = s.open(
            &p,
            &call(json!({"sql": "ALTER TABLE b"})),
            "db-owner",
            "sql.ddl".into(),
        );
        assert_eq!((g1.id.as_str(), g2.id.as_str()), ("g-1", "g-2"));
        assert_eq!(g1.expires, "1970-01-01T01:00:01.000Z");
        assert_ne!(
            g1.fingerprint, g2.fingerprint,
            "different arguments, different action"
        );
        assert_eq!(s.pending.len(), 2);
    }

    #[test]
    fn fingerprints_ignore_key_order() {
        let a = fingerprint(&call(json!({"a": 1, "b": 2})).kind);
        let b = fingerprint(&call(json!({"b": 2, "a": 1})).kind);
        assert_eq!(a, b);
    }
}
