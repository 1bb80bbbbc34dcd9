//! Access boundaries: permit and forbid rules over agents (id, team, labels from the
//! registry), tools (name, groups and risk from the tool catalog), the environment and the
//! tool arguments. With rules present, a tool call needs a permit and no forbid (default
//! deny; a forbid overrides every permit), the same semantics as Cedar.
//!
//! Rules are indexed by tool when the policy loads, so a decision looks at the few rules
//! that can apply to its tool, not at all of them.

use super::finding;
use super::registry::AgentEntry;
use crate::decision::{Action, Finding};
use crate::event::{Event, EventKind};
use crate::policy::{glob_match, Diagnostics};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The `governance.access` section of the policy. With no rules, access is not checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccessPolicy {
    /// The tool catalog: groups and risk of each tool, for rules that select by them.
    pub tools: Vec<ToolEntry>,
    /// Permit and forbid rules.
    pub rules: Vec<AccessRule>,
    /// What a denied tool call gets.
    pub action: Action,
}

impl Default for AccessPolicy {
    fn default() -> AccessPolicy {
        AccessPolicy {
            tools: Vec::new(),
            rules: Vec::new(),
            action: Action::Block,
        }
    }
}

/// One tool of the catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ToolEntry {
    /// The tool's name as in `tool_call` events.
    pub name: String,
    /// Groups it belongs to (`prod_write`, `observability`).
    pub groups: Vec<String>,
    /// Its risk level (`low`, `critical`).
    pub risk: String,
}

/// Permit or forbid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allows the call if no forbid rule applies.
    #[default]
    Permit,
    /// Denies the call whatever permits it.
    Forbid,
}

/// A rule. Every selector given must hold; an empty selector holds for everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AccessRule {
    /// The rule's id, named in findings.
    pub id: String,
    /// Permit or forbid.
    pub effect: Effect,
    /// Agent id globs.
    pub agents: Vec<String>,
    /// Teams (from the registry); the agent's team must be one of them.
    pub teams: Vec<String>,
    /// Tool name globs.
    pub tools: Vec<String>,
    /// Tool groups (from the catalog); the tool must be in one of them.
    pub groups: Vec<String>,
    /// Tool risk levels (from the catalog).
    pub risk: Vec<String>,
    /// Environment globs the event's `env` must match.
    pub env: Vec<String>,
    /// Environment globs the event's `env` must not match.
    pub not_env: Vec<String>,
    /// Labels the agent must all have.
    pub labels: Vec<String>,
    /// Labels the agent must not have.
    pub not_labels: Vec<String>,
    /// Conditions on the tool arguments, all of which must hold.
    pub when: Vec<Condition>,
}

/// A test on one argument. A missing argument fails every test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Condition {
    /// JSON pointer into the arguments (`/amount`).
    pub arg: String,
    /// Equal to this JSON value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eq: Option<serde_json::Value>,
    /// Present and not equal to this JSON value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ne: Option<serde_json::Value>,
    /// A number below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    /// A number at most this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub le: Option<f64>,
    /// A number above this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// A number at least this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ge: Option<f64>,
}

impl Condition {
    fn holds(&self, args: &serde_json::Value) -> bool {
        let Some(v) = args.pointer(&self.arg) else {
            return false;
        };
        if self.eq.as_ref().is_some_and(|e| e != v) || self.ne.as_ref().is_some_and(|n| n == v) {
            return false;
        }
        let bounds = [self.lt, self.le, self.gt, self.ge];
        if bounds.iter().all(Option::is_none) {
            return true;
        }
        let Some(x) = v.as_f64() else {
            return false;
        };
        self.lt.is_none_or(|b| x < b)
            && self.le.is_none_or(|b| x <= b)
            && self.gt.is_none_or(|b| x > b)
            && self.ge.is_none_or(|b| x >= b)
    }
}

/// The rules indexed by tool.
#[derive(Debug, Default)]
pub(crate) struct Access {
    /// For each catalog tool, the rules whose tool selectors hold for it.
    by_tool: HashMap<String, Vec<usize>>,
    /// Rules that select by tool name only, for tools outside the catalog.
    by_name_only: Vec<usize>,
}

fn tool_selected(rule: &AccessRule, name: &str, entry: Option<&ToolEntry>) -> bool {
    (rule.tools.is_empty() || rule.tools.iter().any(|g| glob_match(g, name)))
        && (rule.groups.is_empty()
            || entry.is_some_and(|t| t.groups.iter().any(|g| rule.groups.contains(g))))
        && (rule.risk.is_empty() || entry.is_some_and(|t| rule.risk.contains(&t.risk)))
}

impl Access {
    pub(crate) fn compile(p: &AccessPolicy, diags: &mut Diagnostics) -> Access {
        let mut by_tool = HashMap::new();
        for (i, t) in p.tools.iter().enumerate() {
            if by_tool.contains_key(&t.name) {
                diags.error(
                    format!("governance.access.tools[{i}].name"),
                    format!("tool `{}` is listed twice", t.name),
                );
            }
            let rules: Vec<usize> = p
                .rules
                .iter()
                .enumerate()
                .filter(|(_, r)| tool_selected(r, &t.name, Some(t)))
                .map(|(j, _)| j)
                .collect();
            by_tool.insert(t.name.clone(), rules);
        }
        let groups: Vec<&str> = p
            .tools
            .iter()
            .flat_map(|t| t.groups.iter().map(String::as_str))
            .collect();
        for (i, r) in p.rules.iter().enumerate() {
            let at = |f: &str| format!("governance.access.rules[{i}].{f}");
            if r.id.is_empty() {
                diags.error(at("id"), "a rule needs an id");
            }
            for g in &r.groups {
                if !groups.contains(&g.as_str()) {
                    diags.error(at("groups"), format!("no catalog tool is in group `{g}`"));
                }
            }
            for (j, c) in r.when.iter().enumerate() {
                if !c.arg.starts_with('/') {
                    diags.error(
                        format!("governance.access.rules[{i}].when[{j}].arg"),
                        format!("`{}` is not a JSON pointer (write `/name`)", c.arg),
                    );
                }
            }
        }
        if p.action == Action::Redact {
            diags.error(
                "governance.access.action",
                "there is nothing to redact: use `allow`, `escalate` or `block`",
            );
        }
        let by_name_only = p
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.groups.is_empty() && r.risk.is_empty())
            .map(|(j, _)| j)
            .collect();
        Access {
            by_tool,
            by_name_only,
        }
    }

    /// Checks one tool call; `agent` is the caller's registry entry, if any.
    pub(crate) fn check(
        &self,
        p: &AccessPolicy,
        event: &Event,
        agent: Option<&AgentEntry>,
        out: &mut Vec<Finding>,
    ) {
        if p.rules.is_empty() {
            return;
        }
        let EventKind::ToolCall { tool, args, .. } = &event.kind else {
            return;
        };
        let (candidates, catalogued): (&[usize], bool) = match self.by_tool.get(tool.as_str()) {
            Some(rules) => (rules, true),
            None => (&self.by_name_only, false),
        };
        let agent_id = event.context.agent.as_deref().unwrap_or("");
        let env = event.context.env.as_deref().unwrap_or("");
        let mut permit = None;
        for &i in candidates {
            let Some(r) = p.rules.get(i) else { continue };
            if !catalogued && !tool_selected(r, tool, None) {
                continue;
            }
            let holds = (r.agents.is_empty() || r.agents.iter().any(|g| glob_match(g, agent_id)))
                && (r.teams.is_empty() || agent.is_some_and(|a| r.teams.contains(&a.team)))
                && (r.env.is_empty() || r.env.iter().any(|g| glob_match(g, env)))
                && !r.not_env.iter().any(|g| glob_match(g, env))
                && r.labels
                    .iter()
                    .all(|l| agent.is_some_and(|a| a.labels.contains(l)))
                && !r
                    .not_labels
                    .iter()
                    .any(|l| agent.is_some_and(|a| a.labels.contains(l)))
                && r.when.iter().all(|c| c.holds(args));
            if !holds {
                continue;
            }
            match r.effect {
                Effect::Forbid => {
                    out.push(finding(
                        "governance.access_forbidden",
                        "access",
                        p.action,
                        format!("rule `{}` forbids `{agent_id}` to call `{tool}`", r.id),
                    ));
                    return;
                }
                Effect::Permit => permit = permit.or(Some(i)),
            }
        }
        if permit.is_none() {
            out.push(finding(
                "governance.access_not_permitted",
                "access",
                p.action,
                format!("no access rule permits `{agent_id}` to call `{tool}` in `{env}`"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> AccessPolicy {
        serde_json::from_value(json!({
            "tools": [
                {"name": "refund", "groups": ["prod_write"], "risk": "critical"},
                {"name": "web_search", "risk": "low"}
            ],
            "rules": [
                {"id": "p-refund", "teams": ["payments"], "tools": ["refund"],
                 "when": [{"arg": "/amount", "le": 500}]},
                {"id": "p-search", "tools": ["web_*"]},
                {"id": "f-critical", "effect": "forbid", "risk": ["critical"], "env": ["prod"],
                 "not_labels": ["prod_access"]},
                {"id": "p-ticket", "tools": ["ticket"], "when": [{"arg": "/ticket", "ne": ""}]}
            ]
        }))
        .unwrap()
    }

    fn agent(team: &str, labels: &[&str]) -> AgentEntry {
        AgentEntry {
            id: "a".into(),
            team: team.into(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            ..AgentEntry::default()
        }
    }

    fn decide(tool: &str, args: serde_json::Value, env: &str, a: &AgentEntry) -> Option<String> {
        let p = policy();
        let mut d = Diagnostics::default();
        let access = Access::compile(&p, &mut d);
        assert!(d.is_empty(), "{:?}", d.into_issues());
        let e = Event::from_value(
            json!({"type":"tool_call","ts":1,"agent":"a","env":env,"tool":tool,"args":args}),
        )
        .unwrap();
        let mut out = Vec::new();
        access.check(&p, &e, Some(a), &mut out);
        out.pop().map(|f| f.rule)
    }

    #[test]
    fn permits_forbids_and_default_deny() {
        let pay = agent("payments", &["prod_access"]);
        assert_eq!(decide("refund", json!({"amount": 100}), "prod", &pay), None);
        assert_eq!(
            decide("refund", json!({"amount": 900}), "prod", &pay).as_deref(),
            Some("governance.access_not_permitted")
        );
        assert_eq!(
            decide("refund", json!({}), "staging", &pay).as_deref(),
            Some("governance.access_not_permitted"),
            "a missing argument fails the condition"
        );
        let no_prod = agent("payments", &[]);
        assert_eq!(
            decide("refund", json!({"amount": 1}), "prod", &no_prod).as_deref(),
            Some("governance.access_forbidden")
        );
        assert_eq!(
            decide("refund", json!({"amount": 1}), "dev", &no_prod),
            None
        );
        assert_eq!(
            decide("refund", json!({"amount": 1}), "dev", &agent("infra", &[])).as_deref(),
            Some("governance.access_not_permitted")
        );
        // Outside the catalog, name-only rules still apply.
        assert_eq!(decide("web_fetch", json!({}), "prod", &no_prod), None);
        assert_eq!(
            decide("ticket", json!({"ticket": "T-1"}), "prod", &no_prod),
            None
        );
        assert_eq!(
            decide("ticket", json!({"ticket": ""}), "prod", &no_prod).as_deref(),
            Some("governance.access_not_permitted")
        );
    }

    #[test]
    fn conditions_compare_numbers_and_values() {
        let c = |v: serde_json::Value| -> Condition { serde_json::from_value(v).unwrap() };
        let args = json!({"n": 5, "s": "x", "b": true});
        assert!(c(json!({"arg": "/n", "gt": 4, "le": 5})).holds(&args));
        assert!(!c(json!({"arg": "/n", "lt": 5})).holds(&args));
        assert!(
            !c(json!({"arg": "/s", "ge": 0})).holds(&args),
            "not a number"
        );
        assert!(c(json!({"arg": "/b", "eq": true})).holds(&args));
        assert!(!c(json!({"arg": "/missing", "ne": 1})).holds(&args));
    }

    #[test]
    fn bad_rules_are_policy_errors() {
        let p: AccessPolicy = serde_json::from_value(json!({
            "rules": [{"groups": ["nope"], "when": [{"arg": "amount"}]}]
        }))
        .unwrap();
        let mut d = Diagnostics::default();
        Access::compile(&p, &mut d);
        let paths: Vec<String> = d.into_issues().into_iter().map(|i| i.path).collect();
        assert_eq!(
            paths,
            [
                "governance.access.rules[0].id",
                "governance.access.rules[0].groups",
                "governance.access.rules[0].when[0].arg"
            ]
        );
    }
}
