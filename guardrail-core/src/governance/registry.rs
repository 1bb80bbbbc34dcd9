//! The agent registry: who each agent is (owner, team), which tools it may call, which
//! resources it may touch and in which environments it may act.
//!
//! Resource names come from the tool arguments at the JSON pointers declared in
//! `registry.resources` (`{tools: ["db.*"], pointer: "/table", kind: "table"}` turns
//! `{"table": "refunds"}` into `table:refunds`), and are matched against the agent's
//! `resources` globs.

use super::finding;
use crate::decision::{Action, Finding};
use crate::event::{Event, EventKind};
use crate::policy::{glob_match, Diagnostics};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The `governance.registry` section of the policy. With no agents the registry is off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryPolicy {
    /// The registered agents.
    pub agents: Vec<AgentEntry>,
    /// Where resource names are read from tool arguments.
    pub resources: Vec<ResourceArg>,
    /// What an event of an agent that is not registered (or names no agent) gets.
    pub unregistered: Action,
    /// What a tool, resource or environment outside the agent's entry, or a suspended
    /// agent, gets.
    pub violation: Action,
}

impl Default for RegistryPolicy {
    fn default() -> RegistryPolicy {
        RegistryPolicy {
            agents: Vec::new(),
            resources: Vec::new(),
            unregistered: Action::Block,
            violation: Action::Block,
        }
    }
}

/// One registered agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AgentEntry {
    /// The id events carry in `agent`.
    pub id: String,
    /// The person or group answerable for the agent.
    pub owner: String,
    /// The team it belongs to (budgets, showback and access rules use it).
    pub team: String,
    /// Tool name globs it may call.
    pub tools: Vec<String>,
    /// Resource name globs it may touch (`table:refunds`, `order:*`).
    pub resources: Vec<String>,
    /// Environment globs it may act in.
    pub environments: Vec<String>,
    /// Attributes access rules can test (`prod_access`).
    pub labels: Vec<String>,
    /// A suspended agent may do nothing.
    pub suspended: bool,
}

impl Default for AgentEntry {
    fn default() -> AgentEntry {
        AgentEntry {
            id: String::new(),
            owner: String::new(),
            team: String::new(),
            tools: vec!["*".to_string()],
            resources: vec!["*".to_string()],
            environments: vec!["*".to_string()],
            labels: Vec::new(),
            suspended: false,
        }
    }
}

/// Where a resource name is read from the arguments of some tools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ResourceArg {
    /// Tool name globs this applies to.
    pub tools: Vec<String>,
    /// JSON pointer into the arguments (`/table`); a string or number there is a resource.
    pub pointer: String,
    /// Prefix of the resource name (`table` gives `table:refunds`); none when empty.
    pub kind: String,
}

/// The registry, indexed by agent id.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    by_id: HashMap<String, usize>,
}

impl Registry {
    pub(crate) fn compile(p: &RegistryPolicy, diags: &mut Diagnostics) -> Registry {
        let mut by_id = HashMap::with_capacity(p.agents.len());
        for (i, a) in p.agents.iter().enumerate() {
            if a.id.is_empty() {
                diags.error(
                    format!("governance.registry.agents[{i}].id"),
                    "an agent needs an id",
                );
            } else if by_id.insert(a.id.clone(), i).is_some() {
                diags.error(
                    format!("governance.registry.agents[{i}].id"),
                    format!("agent `{}` is registered twice", a.id),
                );
            }
        }
        for (i, r) in p.resources.iter().enumerate() {
            if !r.pointer.starts_with('/') {
                diags.error_with_hint(
                    format!("governance.registry.resources[{i}].pointer"),
                    format!("`{}` is not a JSON pointer", r.pointer),
                    "write it like `/table`",
                );
            }
        }
        for (field, a) in [("unregistered", p.unregistered), ("violation", p.violation)] {
            if a == Action::Redact {
                diags.error(
                    format!("governance.registry.{field}"),
                    "there is nothing to redact: use `allow`, `escalate` or `block`",
                );
            }
        }
        Registry { by_id }
    }

    /// The entry of the agent `id`.
    pub(crate) fn get<'p>(
        &self,
        p: &'p RegistryPolicy,
        id: Option<&str>,
    ) -> Option<&'p AgentEntry> {
        self.by_id.get(id?).and_then(|&i| p.agents.get(i))
    }

    /// Checks one event against the registry.
    pub(crate) fn check(&self, p: &RegistryPolicy, event: &Event, out: &mut Vec<Finding>) {
        if p.agents.is_empty() || matches!(event.kind, EventKind::Approval { .. }) {
            return;
        }
        let agent = event.context.agent.as_deref();
        let Some(entry) = self.get(p, agent) else {
            out.push(finding(
                "governance.unregistered_agent",
                "registry",
                p.unregistered,
                match agent {
                    Some(a) => format!("agent `{a}` is not in the registry"),
                    None => "the event names no agent and the policy has a registry".to_string(),
                },
            ));
            return;
        };
        if entry.suspended {
            out.push(finding(
                "governance.agent_suspended",
                "registry",
                p.violation,
                format!("agent `{}` is suspended (owner: {})", entry.id, entry.owner),
            ));
        }
        if let Some(env) = event.context.env.as_deref() {
            if !entry.environments.iter().any(|g| glob_match(g, env)) {
                out.push(finding(
                    "governance.environment_not_allowed",
                    "registry",
                    p.violation,
                    format!(
                        "agent `{}` may not act in `{env}` (allowed: {})",
                        entry.id,
                        entry.environments.join(", ")
                    ),
                ));
            }
        }
        let EventKind::ToolCall { tool, args, .. } = &event.kind else {
            return;
        };
        if !entry.tools.iter().any(|g| glob_match(g, tool)) {
            let mut f = finding(
                "governance.tool_not_allowed",
                "registry",
                p.violation,
                format!("agent `{}` may not call `{tool}`", entry.id),
            );
            f.suggestion = Some(format!("allowed tools: {}", entry.tools.join(", ")));
            out.push(f);
        }
        for r in p
            .resources
            .iter()
            .filter(|r| r.tools.iter().any(|g| glob_match(g, tool)))
        {
            let value = match args.pointer(&r.pointer) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            let name = if r.kind.is_empty() {
                value
            } else {
                format!("{}:{value}", r.kind)
            };
            if !entry.resources.iter().any(|g| glob_match(g, &name)) {
                let mut f = finding(
                    "governance.resource_out_of_scope",
                    "registry",
                    p.violation,
                    format!("agent `{}` may not touch `{name}`", entry.id),
                );
                f.path = Some(format!("/args{}", r.pointer));
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> RegistryPolicy {
        serde_json::from_value(json!({
            "agents": [
                {"id": "billing-bot", "owner": "ana", "team": "payments",
                 "tools": ["crm.*", "db.query"], "resources": ["table:refunds", "order:*"],
                 "environments": ["prod", "staging"]},
                {"id": "old-bot", "suspended": true}
            ],
            "resources": [{"tools": ["db.*"], "pointer": "/table", "kind": "table"}],
            "unregistered": "escalate"
        }))
        .unwrap()
    }

    fn check(v: serde_json::Value) -> Vec<(String, Action)> {
        let p = policy();
        let mut d = Diagnostics::default();
        let r = Registry::compile(&p, &mut d);
        assert!(d.is_empty());
        let mut out = Vec::new();
        r.check(&p, &Event::from_value(v).unwrap(), &mut out);
        out.into_iter().map(|f| (f.rule, f.action)).collect()
    }

    #[test]
    fn registered_agents_act_within_their_entry() {
        assert!(check(
            json!({"type":"tool_call","ts":1,"agent":"billing-bot","env":"prod",
            "tool":"db.query","args":{"table":"refunds"}})
        )
        .is_empty());
        assert!(check(json!({"type":"prompt","ts":1,"agent":"billing-bot","text":"x"})).is_empty());
    }

    #[test]
    fn violations_are_named() {
        let b = Action::Block;
        assert_eq!(
            check(json!({"type":"prompt","ts":1,"agent":"ghost","text":"x"})),
            [("governance.unregistered_agent".into(), Action::Escalate)]
        );
        assert_eq!(
            check(json!({"type":"prompt","ts":1,"text":"x"})),
            [("governance.unregistered_agent".into(), Action::Escalate)]
        );
        assert_eq!(
            check(
                json!({"type":"tool_call","ts":1,"agent":"billing-bot","env":"dev",
                "tool":"shell","args":{}})
            ),
            [
                ("governance.environment_not_allowed".into(), b),
                ("governance.tool_not_allowed".into(), b)
            ]
        );
        assert_eq!(
            check(
                json!({"type":"tool_call","ts":1,"agent":"billing-bot","tool":"db.query",
                "args":{"table":"users"}})
            ),
            [("governance.resource_out_of_scope".into(), b)]
        );
        assert_eq!(
            check(json!({"type":"prompt","ts":1,"agent":"old-bot","text":"x"})),
            [("governance.agent_suspended".into(), b)]
        );
        // Approvals come from people, not agents.
        assert!(check(
            json!({"type":"approval","ts":1,"agent":"ghost","gate":"g-1",
            "approver":"x","role":"r","approve":true})
        )
        .is_empty());
    }

    #[test]
    fn bad_entries_are_policy_errors() {
        let p: RegistryPolicy = serde_json::from_value(json!({
            "agents": [{"id": "a"}, {"id": "a"}, {}],
            "resources": [{"pointer": "table"}],
            "violation": "redact"
        }))
        .unwrap();
        let mut d = Diagnostics::default();
        Registry::compile(&p, &mut d);
        let paths: Vec<String> = d.into_issues().into_iter().map(|i| i.path).collect();
        assert_eq!(
            paths,
            [
                "governance.registry.agents[1].id",
                "governance.registry.agents[2].id",
                "governance.registry.resources[0].pointer",
                "governance.registry.violation"
            ]
        );
    }
}
