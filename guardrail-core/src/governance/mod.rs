//! Layer 5, governance: agent registry, access boundaries, budgets, showback and the audit
//! chain. See `docs/GOVERNANCE.md`.

pub mod access;
pub mod audit;
pub mod budgets;
pub mod registry;
pub mod showback;

use crate::decision::{Action, Finding, Layer, Severity};
use crate::event::Event;
use crate::policy::Diagnostics;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use audit::{verify, AuditError, AuditHead, AuditRecord};
pub use budgets::CostModel;
pub use showback::{ShowbackReport, Usage};

/// The `governance` section of the policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GovernancePolicy {
    /// Registered agents: owner, team, tools, resources, environments.
    pub registry: registry::RegistryPolicy,
    /// Permit/forbid rules over agents, tools, environments and arguments.
    pub access: access::AccessPolicy,
    /// Budgets in money and tokens.
    pub budgets: budgets::BudgetsPolicy,
    /// Usage counters for the showback report.
    pub showback: showback::ShowbackPolicy,
    /// The hash-chained audit log.
    pub audit: audit::AuditPolicy,
}

/// The governance section compiled: indexes built once per policy.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    registry: registry::Registry,
    access: access::Access,
}

pub(crate) fn finding(rule: &str, category: &str, action: Action, message: String) -> Finding {
    Finding {
        layer: Layer::Governance,
        rule: rule.to_string(),
        category: category.to_string(),
        severity: match action {
            Action::Block => Severity::High,
            Action::Escalate => Severity::Medium,
            _ => Severity::Low,
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

impl GovernancePolicy {
    pub(crate) fn compile(&self, diags: &mut Diagnostics) -> Compiled {
        budgets::validate(&self.budgets, diags);
        Compiled {
            registry: registry::Registry::compile(&self.registry, diags),
            access: access::Access::compile(&self.access, diags),
        }
    }
}

impl Compiled {
    /// The stateless checks: registry and access rules.
    pub(crate) fn check(&self, p: &GovernancePolicy, event: &Event, out: &mut Vec<Finding>) {
        self.registry.check(&p.registry, event, out);
        if !p.access.rules.is_empty() {
            let agent = self
                .registry
                .get(&p.registry, event.context.agent.as_deref());
            self.access.check(&p.access, event, agent, out);
        }
    }

    /// The event's team: its `team` tag, else its agent's team in the registry.
    pub(crate) fn team<'a>(&self, p: &'a GovernancePolicy, event: &'a Event) -> Option<&'a str> {
        event
            .context
            .tags
            .get("team")
            .map(String::as_str)
            .or_else(|| {
                self.registry
                    .get(&p.registry, event.context.agent.as_deref())
                    .map(|a| a.team.as_str())
                    .filter(|t| !t.is_empty())
            })
    }
}
