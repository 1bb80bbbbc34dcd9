//! Approvals: routing an escalation to the role that must approve it, checking each
//! `approval` event against the decision-rights matrix, and letting an approved action
//! through exactly once.
//!
//! Default deny: an approval for an unknown or expired gate, from the wrong role, or from the
//! requesting agent or principal is refused (the approval event is blocked with a finding),
//! and the held action stays held.

use super::rights::{self, DecisionRight};
use super::{Approver, Denial, GateState, GatesPolicy, Grant};
use crate::decision::{Action, Finding, Layer, Severity};
use crate::event::{Event, Timestamp};

/// Where an escalation goes: the role asked, the class and amount, and the gate's lifetime.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Route {
    pub role: String,
    pub class: Option<String>,
    pub amount: f64,
    pub ttl_seconds: u64,
}

pub(crate) fn finding(rule: &str, action: Action, message: String) -> Finding {
    Finding {
        layer: Layer::Gates,
        rule: rule.to_string(),
        category: "gate".to_string(),
        severity: match action {
            Action::Allow | Action::Redact => Severity::Info,
            Action::Escalate => Severity::Medium,
            Action::Block => Severity::High,
        },
        confidence: 1.0,
        message,
        action,
        shadow: false,
        path: None,
        span: None,
        suggestion: None,
        package: None,
    }
}

/// Routes an escalation through the decision-rights matrix. When the action falls in a
/// class, the first covering row names the role; a class that no row covers (an amount
/// above every row's maximum, an environment no row names) is blocked with
/// `gates.no_approver`. Outside every class, `fallback_role` (an override's
/// `approver_role` or `gates.default_role`) approves.
pub(crate) fn route(
    policy: &GatesPolicy,
    event: &Event,
    escalating: &[&Finding],
    fallback_role: &str,
) -> Result<Route, Box<Finding>> {
    let Some(c) = rights::classify(&policy.classes, event, escalating) else {
        return Ok(Route {
            role: fallback_role.to_string(),
            class: None,
            amount: 0.0,
            ttl_seconds: policy.ttl_seconds,
        });
    };
    let env = event.context.env.as_deref().unwrap_or("");
    match rights::covering(&policy.decision_rights, &c.class, env, c.amount).next() {
        Some(row) => Ok(Route {
            role: row.role.clone(),
            class: Some(c.class),
            amount: c.amount,
            ttl_seconds: row.expiry_seconds.unwrap_or(policy.ttl_seconds),
        }),
        None => Err(Box::new(finding(
            "gates.no_approver",
            Action::Block,
            format!(
                "no role may approve a `{}` action of amount {} in environment `{env}`",
                c.class, c.amount
            ),
        ))),
    }
}

/// An approval a held action may use.
pub(crate) enum GrantLookup {
    /// No approval for this action.
    None,
    /// A valid approval from this gate.
    Valid(Grant),
    /// The approval of this gate expired at that time.
    Expired(String, Timestamp),
}

impl GateState {
    /// Checks one `approval` event and records it. Returns the finding for the approval
    /// event itself: an info finding when accepted, a block finding when refused.
    pub(crate) fn answer(
        &mut self,
        policy: &GatesPolicy,
        event: &Event,
        gate: &str,
        approver: &str,
        role: &str,
        approve: bool,
    ) -> Finding {
        let ts = event.context.ts;
        let Some(pending) = self.pending.get(gate) else {
            return finding(
                "gates.unknown_gate",
                Action::Block,
                format!("no pending gate `{gate}` (unknown, already answered or expired)"),
            );
        };
        if ts > pending.expires_at {
            let expired = pending.expires_at;
            self.pending.remove(gate);
            return finding(
                "gates.expired",
                Action::Block,
                format!(
                    "gate `{gate}` expired at {expired}; the action stays held (ask the agent to retry)"
                ),
            );
        }
        if pending.agent.as_deref() == Some(approver)
            || pending.principal.as_deref() == Some(approver)
        {
            return finding(
                "gates.self_approval",
                Action::Block,
                format!("`{approver}` requested the action held by gate `{gate}` and may not approve it"),
            );
        }
        let allowed: Vec<&DecisionRight> = match &pending.class {
            Some(class) => rights::covering(
                &policy.decision_rights,
                class,
                pending.env.as_deref().unwrap_or(""),
                pending.amount,
            )
            .collect(),
            None => Vec::new(),
        };
        let quorum = match (&pending.class, allowed.iter().find(|r| r.role == role)) {
            (Some(_), Some(row)) => row.quorum.max(1),
            (None, _) if role == pending.request.role => 1,
            _ => {
                let roles: Vec<&str> = if pending.class.is_some() {
                    allowed.iter().map(|r| r.role.as_str()).collect()
                } else {
                    vec![pending.request.role.as_str()]
                };
                return finding(
                    "gates.wrong_role",
                    Action::Block,
                    format!(
                        "role `{role}` may not answer gate `{gate}`; it needs: {}",
                        roles.join(", ")
                    ),
                );
            }
        };
        if pending.approvals.iter().any(|a| a.approver == approver) {
            return finding(
                "gates.duplicate_approver",
                Action::Block,
                format!("`{approver}` already approved gate `{gate}`; a quorum needs distinct approvers"),
            );
        }
        let Some(mut pending) = self.pending.remove(gate) else {
            return finding(
                "gates.unknown_gate",
                Action::Block,
                format!("no pending gate `{gate}`"),
            );
        };
        if !approve {
            self.denied.insert(
                pending.request.fingerprint.clone(),
                Denial {
                    gate: gate.to_string(),
                    approver: approver.to_string(),
                    ts,
                },
            );
            return finding(
                "gates.rejection_recorded",
                Action::Allow,
                format!("`{approver}` ({role}) denied gate `{gate}`; the action is blocked"),
            );
        }
        pending.approvals.push(Approver {
            approver: approver.to_string(),
            role: role.to_string(),
            ts,
        });
        let have = u32::try_from(pending.approvals.len()).unwrap_or(u32::MAX);
        if have < quorum {
            let message = format!(
                "`{approver}` ({role}) approved gate `{gate}`: {have} of {quorum} approvals"
            );
            self.pending.insert(gate.to_string(), pending);
            return finding("gates.approval_recorded", Action::Allow, message);
        }
        let message = format!(
            "`{approver}` ({role}) approved gate `{gate}`: the exact action may run once, until {}",
            pending.expires_at
        );
        self.granted
            .entry(pending.request.fingerprint.clone())
            .or_default()
            .push(Grant {
                gate: gate.to_string(),
                agent: pending.agent.clone(),
                approvers: pending.approvals,
                expires_at: pending.expires_at,
            });
        finding("gates.approval_accepted", Action::Allow, message)
    }

    /// The approval, if any, that `event` (with fingerprint `fp`) may use. Expired grants
    /// are dropped.
    pub(crate) fn lookup_grant(&mut self, fp: &str, event: &Event) -> GrantLookup {
        let Some(grants) = self.granted.get_mut(fp) else {
            return GrantLookup::None;
        };
        let agent = event.context.agent.as_deref();
        let Some(i) = grants.iter().position(|g| g.agent.as_deref() == agent) else {
            return GrantLookup::None;
        };
        let found = match grants.get(i) {
            Some(g) if event.context.ts > g.expires_at => {
                let g = grants.remove(i);
                GrantLookup::Expired(g.gate, g.expires_at)
            }
            Some(g) => GrantLookup::Valid(g.clone()),
            None => GrantLookup::None,
        };
        if grants.is_empty() {
            self.granted.remove(fp);
        }
        found
    }

    /// Uses up the grant of `gate` for fingerprint `fp`.
    pub(crate) fn redeem(&mut self, fp: &str, gate: &str) {
        if let Some(grants) = self.granted.get_mut(fp) {
            grants.retain(|g| g.gate != gate);
            if grants.is_empty() {
                self.granted.remove(fp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::fingerprint;
    use serde_json::json;

    fn policy() -> GatesPolicy {
        serde_json::from_value(json!({
            "ttl_seconds": 60,
            "classes": [{"name": "refund", "tools": ["refund"], "amount": "/amount"}],
            "decision_rights": [
                {"class": "refund", "max_amount": 500, "role": "oncall"},
                {"class": "refund", "role": "finance", "quorum": 2, "expiry_seconds": 600}
            ]
        }))
        .unwrap()
    }

    fn refund(amount: u32, ts: i64) -> Event {
        Event::from_value(
            json!({"type":"tool_call","ts":ts,"agent":"bot","principal":"user:1",
            "env":"prod","tool":"refund","args":{"amount":amount}}),
        )
        .unwrap()
    }

    fn approval(ts: i64) -> Event {
        Event::from_value(json!({"type":"run_start","ts":ts})).unwrap()
    }

    fn open(s: &mut GateState, p: &GatesPolicy, e: &Event) -> String {
        let r = route(p, e, &[], "reviewer").unwrap();
        s.open_routed(e, &r, "x".into(), fingerprint(&e.kind)).id
    }

    #[test]
    fn routes_by_amount() {
        let p = policy();
        assert_eq!(route(&p, &refund(100, 0), &[], "r").unwrap().role, "oncall");
        let big = route(&p, &refund(9000, 0), &[], "r").unwrap();
        assert_eq!((big.role.as_str(), big.ttl_seconds), ("finance", 600));
        let mut no_rows = p.clone();
        no_rows.decision_rights.truncate(1);
        let f = route(&no_rows, &refund(9000, 0), &[], "r").unwrap_err();
        assert_eq!(f.rule, "gates.no_approver");
    }

    #[test]
    fn wrong_role_self_approval_unknown_and_expired_are_refused() {
        let p = policy();
        let mut s = GateState::default();
        let e = refund(900, 1_000);
        let g = open(&mut s, &p, &e);
        let rule = |f: Finding| f.rule;
        assert_eq!(
            rule(s.answer(&p, &approval(2_000), &g, "ann", "oncall", true)),
            "gates.wrong_role"
        );
        assert_eq!(
            rule(s.answer(&p, &approval(2_000), &g, "bot", "finance", true)),
            "gates.self_approval"
        );
        assert_eq!(
            rule(s.answer(&p, &approval(2_000), &g, "user:1", "finance", true)),
            "gates.self_approval"
        );
        assert_eq!(
            rule(s.answer(&p, &approval(2_000), "g-99", "ann", "finance", true)),
            "gates.unknown_gate"
        );
        assert!(
            s.pending.contains_key(&g),
            "refusals leave the gate pending"
        );
        // finance's row gives 600 s.
        assert_eq!(
            rule(s.answer(&p, &approval(602_000), &g, "ann", "finance", true)),
            "gates.expired"
        );
        assert!(s.pending.is_empty());
        assert!(s.granted.is_empty());
    }

    #[test]
    fn quorum_needs_distinct_approvers_then_grants_once() {
        let p = policy();
        let mut s = GateState::default();
        let e = refund(900, 1_000);
        let g = open(&mut s, &p, &e);
        let a = s.answer(&p, &approval(2_000), &g, "ann", "finance", true);
        assert_eq!(
            (a.rule.as_str(), a.action),
            ("gates.approval_recorded", Action::Allow)
        );
        let a = s.answer(&p, &approval(2_000), &g, "ann", "finance", true);
        assert_eq!(a.rule, "gates.duplicate_approver");
        let a = s.answer(&p, &approval(3_000), &g, "bob", "finance", true);
        assert_eq!(a.rule, "gates.approval_accepted");
        let fp = fingerprint(&e.kind);
        let GrantLookup::Valid(grant) = s.lookup_grant(&fp, &e) else {
            panic!("expected a grant")
        };
        assert_eq!(grant.approvers.len(), 2);
        s.redeem(&fp, &grant.gate);
        assert!(matches!(s.lookup_grant(&fp, &e), GrantLookup::None));
    }

    #[test]
    fn denial_is_recorded_and_grants_expire() {
        let p = policy();
        let mut s = GateState::default();
        let e = refund(10, 1_000);
        let g = open(&mut s, &p, &e);
        let a = s.answer(&p, &approval(2_000), &g, "ann", "oncall", false);
        assert_eq!(a.rule, "gates.rejection_recorded");
        assert!(s.denied.contains_key(&fingerprint(&e.kind)));

        let g = open(&mut s, &p, &e);
        s.answer(&p, &approval(2_000), &g, "ann", "oncall", true);
        let late = refund(10, 1_000 + 61_000);
        assert!(matches!(
            s.lookup_grant(&fingerprint(&late.kind), &late),
            GrantLookup::Expired(..)
        ));
        assert!(s.granted.is_empty());
    }
}
