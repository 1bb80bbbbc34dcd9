//! Layer 4, human gates: an `escalate` decision opens a gate request that names the role
//! that must approve, the exact action it guards (a fingerprint) and an expiry. Pending gates
//! are part of the [`State`](crate::State). Approvals are checked against the decision-rights
//! matrix ([`rights`]) and bound to the action's fingerprint (`approvals.rs`); see
//! `docs/GATES.md`.

pub(crate) mod approvals;
pub mod rights;

use crate::decision::GateRequest;
use crate::event::{Event, EventKind, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The `gates` section of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GatesPolicy {
    /// The role that must approve when no override names one and no decision-rights row
    /// covers the action.
    pub default_role: String,
    /// How long a gate request stays open, in seconds; an approval after it is refused.
    pub ttl_seconds: u64,
    /// Classes of actions the decision-rights matrix talks about; an escalated action takes
    /// the first class that matches it.
    pub classes: Vec<rights::ActionClass>,
    /// The decision-rights matrix: which role may approve which class, where, up to which
    /// amount, with which quorum and expiry. An action of a class that no row covers is
    /// blocked (`gates.no_approver`).
    pub decision_rights: Vec<rights::DecisionRight>,
}

impl Default for GatesPolicy {
    fn default() -> GatesPolicy {
        GatesPolicy {
            default_role: "reviewer".to_string(),
            ttl_seconds: 3600,
            classes: Vec::new(),
            decision_rights: Vec::new(),
        }
    }
}

/// A gate waiting for its approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingGate {
    /// The request as the decision reported it.
    pub request: GateRequest,
    /// The agent whose action is held (it may not approve its own request).
    pub agent: Option<String>,
    /// On whose behalf the agent acted (may not approve either).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// When the gate was opened.
    pub opened: Timestamp,
    /// Expiry in Unix milliseconds.
    pub expires_at: Timestamp,
    /// The action class of the decision-rights matrix, when one matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The environment the action runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// The action's amount (0 when its class reads none).
    #[serde(default)]
    pub amount: f64,
    /// Approvals received so far (a quorum may need several).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approver>,
}

/// One accepted approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approver {
    /// Who approved.
    pub approver: String,
    /// In which role.
    pub role: String,
    /// When.
    pub ts: Timestamp,
}

/// An approved action that may run once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The gate that approved it.
    pub gate: String,
    /// The agent that may run it.
    pub agent: Option<String>,
    /// Who approved it.
    pub approvers: Vec<Approver>,
    /// The approval is void after this time.
    pub expires_at: Timestamp,
}

/// A denied action: the same fingerprint is blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denial {
    /// The gate that was denied.
    pub gate: String,
    /// Who denied it.
    pub approver: String,
    /// When.
    pub ts: Timestamp,
}

/// Pending gates, approved actions waiting to run, denied actions, and the id counter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GateState {
    /// The number of gates opened so far; ids are `g-<n>`.
    pub opened: u64,
    /// Gates waiting for an answer, by id.
    pub pending: BTreeMap<String, PendingGate>,
    /// Approved actions by fingerprint; each grant lets the exact action through once.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub granted: BTreeMap<String, Vec<Grant>>,
    /// Denied actions by fingerprint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub denied: BTreeMap<String, Denial>,
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
    #[cfg(test)]
    pub(crate) fn open(
        &mut self,
        policy: &GatesPolicy,
        event: &Event,
        role: &str,
        reason: String,
    ) -> GateRequest {
        let route = approvals::Route {
            role: role.to_string(),
            class: None,
            amount: 0.0,
            ttl_seconds: policy.ttl_seconds,
        };
        self.open_routed(event, &route, reason, fingerprint(&event.kind))
    }

    /// Opens a gate for `event` as routed by the decision-rights matrix.
    pub(crate) fn open_routed(
        &mut self,
        event: &Event,
        route: &approvals::Route,
        reason: String,
        fingerprint: String,
    ) -> GateRequest {
        self.opened += 1;
        let ttl_ms = i64::try_from(route.ttl_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        let expires_at = event.context.ts.plus_millis(ttl_ms);
        let request = GateRequest {
            id: format!("g-{}", self.opened),
            role: route.role.clone(),
            reason,
            expires: expires_at.to_rfc3339(),
            fingerprint,
        };
        self.pending.insert(
            request.id.clone(),
            PendingGate {
                request: request.clone(),
                agent: event.context.agent.clone(),
                principal: event.context.principal.clone(),
                opened: event.context.ts,
                expires_at,
                class: route.class.clone(),
                env: event.context.env.clone(),
                amount: route.amount,
                approvals: Vec::new(),
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
