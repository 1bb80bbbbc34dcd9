//! The decision-rights matrix: which role may approve which class of action, in which
//! environment, up to which amount, with how many approvers and for how long.
//!
//! An action's class comes from the policy's `gates.classes`: the first class whose tool
//! globs, escalating rule globs and environment globs all match the event. Its amount is the
//! number at the class's `amount` JSON pointer into the tool arguments.

use crate::decision::Finding;
use crate::event::{Event, EventKind};
use crate::policy::{glob_match, Diagnostics};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A class of actions that the decision-rights matrix talks about (`schema_change`,
/// `refund`, `prod_write`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ActionClass {
    /// The class's name, used by `decision_rights[].class`.
    pub name: String,
    /// Tool name globs (`db.*`); empty matches every event.
    pub tools: Vec<String>,
    /// Globs over the rule ids of the escalating findings (`custom.schema_change`,
    /// `governance.budget_*`); empty matches any escalation.
    pub rules: Vec<String>,
    /// Environment globs (`prod`); empty matches any environment.
    pub env: Vec<String>,
    /// A JSON pointer into the tool arguments (`/amount`) to the number compared with the
    /// rows' `max_amount`. A missing or non-numeric value counts as 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
}

/// One row of the decision-rights matrix: `role` may approve actions of `class` in `env` up
/// to `max_amount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DecisionRight {
    /// The action class (a `gates.classes[].name`).
    pub class: String,
    /// Environment glob the row applies to (`prod`, `*`).
    pub env: String,
    /// The largest amount this role may approve; no limit when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<f64>,
    /// The role that may approve.
    pub role: String,
    /// How many distinct approvers holding the role are needed.
    pub quorum: u32,
    /// How long the gate stays open, in seconds; `gates.ttl_seconds` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_seconds: Option<u64>,
}

impl Default for DecisionRight {
    fn default() -> DecisionRight {
        DecisionRight {
            class: String::new(),
            env: "*".to_string(),
            max_amount: None,
            role: String::new(),
            quorum: 1,
            expiry_seconds: None,
        }
    }
}

/// What the matrix says about one action.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Classified {
    /// The class's name.
    pub class: String,
    /// The action's amount (0 when the class has no pointer).
    pub amount: f64,
}

/// Checks the classes and rows, reporting problems at their policy paths.
pub(crate) fn validate(classes: &[ActionClass], rows: &[DecisionRight], diags: &mut Diagnostics) {
    for (i, c) in classes.iter().enumerate() {
        if c.name.is_empty() {
            diags.error(format!("gates.classes[{i}].name"), "a class needs a name");
        }
        if classes.iter().take(i).any(|o| o.name == c.name) {
            diags.error(
                format!("gates.classes[{i}].name"),
                format!("class `{}` is declared twice", c.name),
            );
        }
        if let Some(p) = &c.amount {
            if !p.is_empty() && !p.starts_with('/') {
                diags.error_with_hint(
                    format!("gates.classes[{i}].amount"),
                    format!("`{p}` is not a JSON pointer"),
                    "write it like `/amount` or `/payment/total`",
                );
            }
        }
    }
    for (i, r) in rows.iter().enumerate() {
        if !classes.iter().any(|c| c.name == r.class) {
            let names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
            let hint = crate::util::did_you_mean(&r.class, names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| "declare it under `gates.classes`".to_string());
            diags.error_with_hint(
                format!("gates.decision_rights[{i}].class"),
                format!("unknown action class `{}`", r.class),
                hint,
            );
        }
        if r.role.is_empty() {
            diags.error(
                format!("gates.decision_rights[{i}].role"),
                "the approving role must not be empty",
            );
        }
        if r.quorum == 0 {
            diags.error(
                format!("gates.decision_rights[{i}].quorum"),
                "the quorum must be at least 1",
            );
        }
        if r.max_amount.is_some_and(|m| !m.is_finite() || m < 0.0) {
            diags.error(
                format!("gates.decision_rights[{i}].max_amount"),
                "the maximum amount must be a non-negative number",
            );
        }
    }
}

/// The class of the action `event` asks for, given the escalating findings.
pub(crate) fn classify(
    classes: &[ActionClass],
    event: &Event,
    escalating: &[&Finding],
) -> Option<Classified> {
    let (tool, args) = match &event.kind {
        EventKind::ToolCall { tool, args, .. } => (Some(tool.as_str()), Some(args)),
        _ => (None, None),
    };
    let env = event.context.env.as_deref().unwrap_or("");
    classes
        .iter()
        .find(|c| {
            (c.tools.is_empty() || tool.is_some_and(|t| c.tools.iter().any(|g| glob_match(g, t))))
                && (c.rules.is_empty()
                    || escalating
                        .iter()
                        .any(|f| c.rules.iter().any(|g| glob_match(g, &f.rule))))
                && (c.env.is_empty() || c.env.iter().any(|g| glob_match(g, env)))
        })
        .map(|c| Classified {
            class: c.name.clone(),
            amount: c
                .amount
                .as_deref()
                .and_then(|p| args.and_then(|a| a.pointer(p)))
                .and_then(amount_of)
                .unwrap_or(0.0),
        })
}

/// A number, or a string holding one (`"129.00"`).
fn amount_of(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// The rows that cover an action of `class` in `env` with `amount`, in policy order.
pub(crate) fn covering<'r>(
    rows: &'r [DecisionRight],
    class: &str,
    env: &str,
    amount: f64,
) -> impl Iterator<Item = &'r DecisionRight> + 'r {
    let class = class.to_string();
    let env = env.to_string();
    rows.iter().filter(move |r| {
        r.class == class && glob_match(&r.env, &env) && r.max_amount.is_none_or(|m| amount <= m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Action, Layer, Severity};
    use serde_json::json;

    fn finding(rule: &str) -> Finding {
        Finding {
            layer: Layer::Content,
            rule: rule.into(),
            category: "x".into(),
            severity: Severity::High,
            confidence: 1.0,
            message: String::new(),
            action: Action::Escalate,
            shadow: false,
            path: None,
            span: None,
            suggestion: None,
            package: None,
        }
    }

    fn classes() -> Vec<ActionClass> {
        serde_json::from_value(json!([
            {"name": "schema_change", "rules": ["custom.schema_change"]},
            {"name": "refund", "tools": ["payments.refund"], "amount": "/amount"}
        ]))
        .unwrap()
    }

    fn rows() -> Vec<DecisionRight> {
        serde_json::from_value(json!([
            {"class": "refund", "max_amount": 500, "role": "team-oncall"},
            {"class": "refund", "max_amount": 5000, "role": "service-owner"},
            {"class": "refund", "role": "finance", "quorum": 2},
            {"class": "schema_change", "env": "prod", "role": "db-owner"}
        ]))
        .unwrap()
    }

    fn call(tool: &str, args: serde_json::Value, env: &str) -> Event {
        Event::from_value(json!({"type":"tool_call","ts":1,"tool":tool,"args":args,"env":env}))
            .unwrap()
    }

    #[test]
    fn classes_match_tools_rules_and_read_amounts() {
        let f = finding("custom.schema_change");
        let c = classify(&classes(), &call("db.migrate", json!({}), "prod"), &[&f]).unwrap();
        assert_eq!((c.class.as_str(), c.amount), ("schema_change", 0.0));
        let other = finding("custom.other");
        let c = classify(
            &classes(),
            &call("payments.refund", json!({"amount": "900.5"}), "prod"),
            &[&other],
        )
        .unwrap();
        assert_eq!((c.class.as_str(), c.amount), ("refund", 900.5));
        assert!(classify(
            &classes(),
            &call("crm.lookup", json!({}), "prod"),
            &[&other]
        )
        .is_none());
    }

    #[test]
    fn rows_cover_by_amount_and_env() {
        let r = rows();
        let roles = |class: &str, env: &str, amount: f64| -> Vec<String> {
            covering(&r, class, env, amount)
                .map(|r| r.role.clone())
                .collect()
        };
        assert_eq!(
            roles("refund", "prod", 100.0),
            ["team-oncall", "service-owner", "finance"]
        );
        assert_eq!(roles("refund", "prod", 900.0), ["service-owner", "finance"]);
        assert_eq!(roles("refund", "prod", 9000.0), ["finance"]);
        assert_eq!(roles("schema_change", "prod", 0.0), ["db-owner"]);
        assert!(roles("schema_change", "staging", 0.0).is_empty());
    }

    #[test]
    fn bad_rows_are_policy_errors() {
        let mut d = Diagnostics::default();
        let bad: Vec<DecisionRight> = serde_json::from_value(
            json!([{"class": "refnud", "role": "", "quorum": 0, "max_amount": -1}]),
        )
        .unwrap();
        validate(&classes(), &bad, &mut d);
        let issues = d.into_issues();
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "gates.decision_rights[0].class",
                "gates.decision_rights[0].role",
                "gates.decision_rights[0].quorum",
                "gates.decision_rights[0].max_amount"
            ]
        );
        assert_eq!(issues[0].hint.as_deref(), Some("did you mean `refund`?"));
    }
}
