//! Budgets in money and tokens, per run, agent, workflow or team, over a window (the run, an
//! hour, a day, a month, or all time), with a soft limit (an alert or an escalation) and a
//! hard limit (a block).
//!
//! Reserve, then commit. An event that starts a model call (`prompt` by default, see
//! `budgets.reserve.on`) reserves the policy's estimate on every budget that applies, with a
//! bounded add in the [`CounterStore`]: the reservation is refused, and the event blocked,
//! when it would cross a hard limit. The `llm_usage` event that reports the call releases one
//! reservation of the same run and adds the actual cost. `run_end` releases what the run still
//! holds. Concurrent calls therefore cannot overspend a hard limit by more than the difference
//! between actual costs and the estimates in flight: every reservation was admitted under the
//! limit.
//!
//! Counter keys (all in the store, so several processes can share them):
//! `budget/<id>/<scope value>/<window>` holds committed + reserved, and
//! `inflight/<id>/<scope value>/<window>/<run or agent>` what that run still has reserved.

use crate::decision::{Action, Finding, Layer, Severity};
use crate::event::{Event, EventKind, Timestamp};
use crate::policy::{glob_match, Diagnostics};
use crate::state::CounterStore;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `governance.budgets` section of the policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetsPolicy {
    /// What is reserved before a model call.
    pub reserve: Reserve,
    /// The budgets.
    pub limits: Vec<Budget>,
}

/// The estimate reserved before a model call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Reserve {
    /// Event types that reserve (`prompt`, `tool_call`).
    pub on: Vec<String>,
    /// Money reserved per event, in USD.
    pub usd: f64,
    /// Tokens reserved per event.
    pub tokens: f64,
}

impl Default for Reserve {
    fn default() -> Reserve {
        Reserve {
            on: vec!["prompt".to_string()],
            usd: 0.0,
            tokens: 0.0,
        }
    }
}

/// Whose spending a budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Each run separately (the event's `run`).
    #[default]
    Run,
    /// Each agent.
    Agent,
    /// Each workflow.
    Workflow,
    /// Each team (the `team` tag, else the agent's team in the registry).
    Team,
    /// Everything together.
    Global,
}

/// The time window a budget resets on, computed from the event's host timestamp (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Never resets.
    #[default]
    Total,
    /// Per run id.
    Run,
    /// Per UTC hour.
    Hour,
    /// Per UTC day.
    Day,
    /// Per UTC calendar month.
    Month,
}

/// What a budget measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Money in USD (`cost_usd`, or the cost model's figure).
    #[default]
    Usd,
    /// Input plus output tokens.
    Tokens,
}

/// One budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Budget {
    /// The budget's name, used in findings and counter keys.
    pub id: String,
    /// Whose spending it counts.
    pub scope: Scope,
    /// Only scope values matching this glob (`payments`); all when absent.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
    /// When it resets.
    pub window: Window,
    /// What it measures.
    pub metric: Metric,
    /// Above this, `soft_action` applies (an alert by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft: Option<f64>,
    /// What crossing the soft limit does: `allow` (an alert finding) or `escalate`.
    pub soft_action: Action,
    /// No reservation may cross this; an event that would is blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hard: Option<f64>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            id: String::new(),
            scope: Scope::Run,
            only: None,
            window: Window::Total,
            metric: Metric::Usd,
            soft: None,
            soft_action: Action::Allow,
            hard: None,
        }
    }
}

/// The host's cost model for `llm_usage` events without `cost_usd` (a price table).
pub trait CostModel: Send + Sync {
    /// The cost in USD of one `llm_usage` event, or `None` when the model is unknown.
    fn cost_usd(&self, usage: &EventKind) -> Option<f64>;
}

/// Checks the budgets, reporting problems at their policy paths.
pub(crate) fn validate(p: &BudgetsPolicy, diags: &mut Diagnostics) {
    for (i, on) in p.reserve.on.iter().enumerate() {
        if !["prompt", "tool_call"].contains(&on.as_str()) {
            diags.error_with_hint(
                format!("governance.budgets.reserve.on[{i}]"),
                format!("`{on}` cannot reserve"),
                "reservations are made on `prompt` or `tool_call` events",
            );
        }
    }
    for (field, v) in [("usd", p.reserve.usd), ("tokens", p.reserve.tokens)] {
        if !v.is_finite() || v < 0.0 {
            diags.error(
                format!("governance.budgets.reserve.{field}"),
                "the estimate must be a non-negative number",
            );
        }
    }
    for (i, b) in p.limits.iter().enumerate() {
        let at = |f: &str| format!("governance.budgets.limits[{i}].{f}");
        if b.id.is_empty() || b.id.contains('/') {
            diags.error(at("id"), "a budget needs an id without `/`");
        }
        if p.limits.iter().take(i).any(|o| o.id == b.id) {
            diags.error(at("id"), format!("budget `{}` is declared twice", b.id));
        }
        if b.soft.is_none() && b.hard.is_none() {
            diags.error_with_hint(
                at("id"),
                "the budget has no limit",
                "add `soft` and/or `hard`",
            );
        }
        for (f, v) in [("soft", b.soft), ("hard", b.hard)] {
            if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
                diags.error(at(f), "a limit must be a non-negative number");
            }
        }
        if !matches!(b.soft_action, Action::Allow | Action::Escalate) {
            diags.error(
                at("soft_action"),
                "a soft limit may `allow` (alert) or `escalate`",
            );
        }
    }
}

/// Escapes `/` and `%` so a value cannot break a counter key apart.
pub(crate) fn key_part(s: &str, out: &mut String) {
    // Usually there is nothing to escape: copy the whole value at once.
    if !s
        .bytes()
        .fold(false, |any, b| any | (b == b'/' || b == b'%'))
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '/' => out.push_str("%2F"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
}

/// Appends the window part of a counter key: `all`, `run:<run id>`, or the UTC hour
/// (`2026-11-23T10`), day (`2026-11-23`) or month (`2026-11`) holding `ts`. False when the
/// window needs a run id and the event has none.
fn push_window(w: Window, ts: Timestamp, run: Option<&str>, out: &mut String) -> bool {
    let len = match w {
        Window::Total => {
            out.push_str("all");
            return true;
        }
        Window::Run => {
            let Some(run) = run else {
                return false;
            };
            out.push_str("run:");
            key_part(run, out);
            return true;
        }
        Window::Hour => 13,
        Window::Day => 10,
        Window::Month => 7,
    };
    // A prefix of the timestamp's RFC 3339 form, without formatting machinery (this runs
    // for every dated budget of every event); years outside 0 to 9999 are written in full.
    match super::audit::rfc3339_millis(ts.unix_millis()) {
        Some(rfc) => out.push_str(
            rfc.get(..len)
                .and_then(|p| std::str::from_utf8(p).ok())
                .unwrap_or_default(),
        ),
        None => {
            use std::fmt::Write;
            let t = super::audit::civil(ts.unix_millis());
            let _ = match w {
                Window::Hour => write!(
                    out,
                    "{:04}-{:02}-{:02}T{:02}",
                    t.year, t.month, t.day, t.hour
                ),
                Window::Day => write!(out, "{:04}-{:02}-{:02}", t.year, t.month, t.day),
                _ => write!(out, "{:04}-{:02}", t.year, t.month),
            };
        }
    }
    true
}

/// Appends the counter key `budget/<id>/<scope value>/<window>`; false when the window does
/// not apply (see [`push_window`]).
fn push_budget_key(
    id: &str,
    scope: &str,
    window: Window,
    ts: Timestamp,
    run: Option<&str>,
    out: &mut String,
) -> bool {
    out.push_str("budget/");
    out.push_str(id);
    out.push('/');
    key_part(scope, out);
    out.push('/');
    push_window(window, ts, run, out)
}

/// Writes the counter key of `b` for `event` into `key` (replacing what it held); false when
/// the budget does not apply. The caller reuses `key` across budgets: one buffer per event.
fn budget_key(b: &Budget, event: &Event, team: Option<&str>, key: &mut String) -> bool {
    key.clear();
    let c = &event.context;
    let scope = match b.scope {
        Scope::Run => c.run.as_deref(),
        Scope::Agent => c.agent.as_deref(),
        Scope::Workflow => c.workflow.as_deref(),
        Scope::Team => team,
        Scope::Global => Some("*"),
    };
    let Some(scope) = scope else {
        return false;
    };
    if b.only.as_deref().is_some_and(|g| !glob_match(g, scope)) {
        return false;
    }
    push_budget_key(&b.id, scope, b.window, c.ts, c.run.as_deref(), key)
}

/// Writes the in-flight key of `budget_key` for `event`'s run (or agent) into `key`.
fn inflight_key(budget_key: &str, event: &Event, key: &mut String) {
    let who = event
        .context
        .run
        .as_deref()
        .or(event.context.agent.as_deref())
        .unwrap_or("-");
    key.clear();
    key.push_str("inflight/");
    key.push_str(budget_key.strip_prefix("budget/").unwrap_or(budget_key));
    key.push('/');
    key_part(who, key);
}

/// The two key buffers of one event's budget step.
struct Keys {
    budget: String,
    inflight: String,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            budget: String::with_capacity(64),
            inflight: String::with_capacity(80),
        }
    }

    /// Sets both keys for `b`; false when the budget does not apply to `event`.
    fn set(&mut self, b: &Budget, event: &Event, team: Option<&str>) -> bool {
        if !budget_key(b, event, team, &mut self.budget) {
            return false;
        }
        inflight_key(&self.budget, event, &mut self.inflight);
        true
    }
}

fn finding(rule: &str, action: Action, message: String) -> Finding {
    Finding {
        layer: Layer::Governance,
        rule: rule.to_string(),
        category: "budget".to_string(),
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

fn unit(m: Metric) -> &'static str {
    match m {
        Metric::Usd => "usd",
        Metric::Tokens => "tokens",
    }
}

fn soft_finding(b: &Budget, value: f64, out: &mut Vec<Finding>) {
    if let Some(soft) = b.soft.filter(|s| value > *s) {
        out.push(finding(
            "governance.budget_soft_limit",
            b.soft_action,
            format!(
                "budget `{}`: {value:.4} {} used, above the soft limit {soft}",
                b.id,
                unit(b.metric)
            ),
        ));
    }
}

impl Reserve {
    /// The amount reserved on a budget measuring `m`.
    fn estimate(&self, m: Metric) -> f64 {
        match m {
            Metric::Usd => self.usd,
            Metric::Tokens => self.tokens,
        }
    }
}

/// What a budget step reserved, so the caller can undo a reservation the decision does not
/// use: the estimate on every budget among the first `upto` of the policy that applies to
/// the event (the step reserves them in order and stops at the first refusal). Keys are
/// rebuilt on undo, which is rare, rather than kept for every event.
#[derive(Debug, Default)]
pub(crate) struct Reservation {
    upto: usize,
}

impl Reservation {
    /// Gives back every reservation this event made.
    pub(crate) fn undo(
        self,
        p: &BudgetsPolicy,
        store: &dyn CounterStore,
        event: &Event,
        team: Option<&str>,
    ) {
        if self.upto == 0 {
            return;
        }
        let mut keys = Keys::new();
        for b in p.limits.iter().take(self.upto) {
            if keys.set(b, event, team) {
                let amount = p.reserve.estimate(b.metric);
                let _ = store.try_add(&keys.budget, -amount, None);
                let _ = store.take(&keys.inflight, amount);
            }
        }
    }
}

/// The budget step for one event: reserve, commit or release, with findings for crossed
/// limits. `actual_usd` is the `llm_usage` cost (from the event or the cost model);
/// `may_reserve` is false when the event is held or blocked anyway.
pub(crate) fn apply(
    p: &BudgetsPolicy,
    store: &dyn CounterStore,
    event: &Event,
    team: Option<&str>,
    actual_usd: Option<f64>,
    may_reserve: bool,
    out: &mut Vec<Finding>,
) -> Reservation {
    if p.limits.is_empty() {
        return Reservation::default();
    }
    let kind = event.kind.name();
    let reserving = p.reserve.on.iter().any(|o| o == kind);
    let steps = match event.kind {
        _ if reserving => may_reserve,
        EventKind::LlmUsage { .. } | EventKind::RunEnd { .. } => true,
        _ => false,
    };
    if !steps {
        return Reservation::default();
    }
    let mut keys = Keys::new();
    match &event.kind {
        _ if reserving => {
            for (i, b) in p.limits.iter().enumerate() {
                if !keys.set(b, event, team) {
                    continue;
                }
                let est = p.reserve.estimate(b.metric);
                match store.try_add(&keys.budget, est, b.hard) {
                    Ok(value) => {
                        let _ = store.try_add(&keys.inflight, est, None);
                        soft_finding(b, value, out);
                    }
                    Err(current) => {
                        out.push(finding(
                            "governance.budget_exceeded",
                            Action::Block,
                            format!(
                                "budget `{}`: {current:.4} {} used or reserved; reserving {est} more would cross the hard limit {}",
                                b.id,
                                unit(b.metric),
                                b.hard.unwrap_or(0.0)
                            ),
                        ));
                        Reservation { upto: i }.undo(p, store, event, team);
                        return Reservation::default();
                    }
                }
            }
            Reservation {
                upto: p.limits.len(),
            }
        }
        EventKind::LlmUsage {
            input_tokens,
            output_tokens,
            ..
        } => {
            for b in &p.limits {
                if !keys.set(b, event, team) {
                    continue;
                }
                let actual = match b.metric {
                    Metric::Usd => actual_usd.unwrap_or(0.0),
                    Metric::Tokens => input_tokens.saturating_add(*output_tokens) as f64,
                };
                let released = store.take(&keys.inflight, p.reserve.estimate(b.metric));
                let value = store
                    .try_add(&keys.budget, actual - released, None)
                    .unwrap_or_else(|v| v);
                if let Some(hard) = b.hard.filter(|h| value > *h) {
                    out.push(finding(
                        "governance.budget_exceeded",
                        Action::Block,
                        format!(
                            "budget `{}`: {value:.4} {} spent, over the hard limit {hard}; stop the run",
                            b.id,
                            unit(b.metric)
                        ),
                    ));
                } else {
                    soft_finding(b, value, out);
                }
            }
            Reservation::default()
        }
        EventKind::RunEnd { .. } => {
            for b in &p.limits {
                if keys.set(b, event, team) {
                    let released = store.take(&keys.inflight, f64::INFINITY);
                    if released > 0.0 {
                        let _ = store.try_add(&keys.budget, -released, None);
                    }
                }
            }
            Reservation::default()
        }
        _ => Reservation::default(),
    }
}

/// How much of budget `id` the scope value `scope` has used (committed plus reserved) in the
/// window holding `ts`.
pub fn used(
    store: &dyn CounterStore,
    budget: &Budget,
    scope: &str,
    ts: Timestamp,
    run: Option<&str>,
) -> f64 {
    let mut key = String::new();
    if !push_budget_key(&budget.id, scope, budget.window, ts, run, &mut key) {
        return 0.0;
    }
    store.get(&key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryStore;
    use serde_json::json;

    fn policy() -> BudgetsPolicy {
        serde_json::from_value(json!({
            "reserve": {"on": ["prompt"], "usd": 0.01, "tokens": 1000},
            "limits": [
                {"id": "run-usd", "scope": "run", "soft": 0.02, "hard": 0.03},
                {"id": "team-tokens", "scope": "team", "window": "day", "metric": "tokens",
                 "hard": 5000, "match": "pay*"}
            ]
        }))
        .unwrap()
    }

    fn ev(v: serde_json::Value) -> Event {
        let mut base = json!({"ts":"2026-11-23T10:15:00Z","run":"r-1","agent":"bot"});
        if let (Some(b), Some(o)) = (base.as_object_mut(), v.as_object()) {
            b.extend(o.clone());
        }
        Event::from_value(base).unwrap()
    }

    fn prompt() -> Event {
        ev(json!({"type":"prompt","text":"hi"}))
    }

    fn usage(cost: f64, tokens: u64) -> Event {
        ev(json!({"type":"llm_usage","model":"m","input_tokens":tokens,"cost_usd":cost}))
    }

    fn budget_key(b: &Budget, e: &Event, team: Option<&str>) -> Option<String> {
        let mut key = String::new();
        super::budget_key(b, e, team, &mut key).then_some(key)
    }

    fn rules(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn reserve_commit_and_hard_limit() {
        let (p, s) = (policy(), MemoryStore::new());
        let mut f = Vec::new();
        apply(&p, &s, &prompt(), Some("payments"), None, true, &mut f);
        assert!(f.is_empty());
        assert_eq!(s.get("budget/run-usd/r-1/all"), 0.01);
        assert_eq!(s.get("budget/team-tokens/payments/2026-11-23"), 1000.0);
        // The actual replaces the estimate.
        apply(
            &p,
            &s,
            &usage(0.015, 300),
            Some("payments"),
            Some(0.015),
            true,
            &mut f,
        );
        assert!((s.get("budget/run-usd/r-1/all") - 0.015).abs() < 1e-12);
        assert_eq!(s.get("budget/team-tokens/payments/2026-11-23"), 300.0);
        assert_eq!(s.get("inflight/run-usd/r-1/all/r-1"), 0.0);
        // 0.015 + 0.01 = 0.025: above soft, under hard.
        apply(&p, &s, &prompt(), Some("payments"), None, true, &mut f);
        assert_eq!(rules(&f), ["governance.budget_soft_limit"]);
        // + 0.01 would be 0.035 > 0.03: blocked, and nothing of it is kept.
        f.clear();
        let before = s.get("budget/team-tokens/payments/2026-11-23");
        apply(&p, &s, &prompt(), Some("payments"), None, true, &mut f);
        assert_eq!(rules(&f), ["governance.budget_exceeded"]);
        assert_eq!(f[0].action, Action::Block);
        assert_eq!(s.get("budget/team-tokens/payments/2026-11-23"), before);
    }

    #[test]
    fn commit_over_the_hard_limit_is_reported_and_run_end_releases() {
        let (p, s) = (policy(), MemoryStore::new());
        let mut f = Vec::new();
        apply(&p, &s, &prompt(), None, None, true, &mut f);
        apply(&p, &s, &prompt(), None, None, true, &mut f);
        assert!((s.get("budget/run-usd/r-1/all") - 0.02).abs() < 1e-12);
        apply(&p, &s, &usage(0.05, 10), None, Some(0.05), true, &mut f);
        assert_eq!(rules(&f), ["governance.budget_exceeded"]);
        // 0.02 reserved - 0.01 released + 0.05 actual.
        assert!((s.get("budget/run-usd/r-1/all") - 0.06).abs() < 1e-12);
        apply(
            &p,
            &s,
            &ev(json!({"type":"run_end","outcome":"success"})),
            None,
            None,
            true,
            &mut f,
        );
        assert!((s.get("budget/run-usd/r-1/all") - 0.05).abs() < 1e-12);
    }

    #[test]
    fn scopes_windows_and_matches() {
        let b: Budget = serde_json::from_value(
            json!({"id":"x","scope":"team","window":"hour","hard":1,"match":"pay*"}),
        )
        .unwrap();
        let e = prompt();
        assert_eq!(
            budget_key(&b, &e, Some("payments")).as_deref(),
            Some("budget/x/payments/2026-11-23T10")
        );
        assert_eq!(budget_key(&b, &e, Some("infra")), None);
        assert_eq!(budget_key(&b, &e, None), None);
        let m: Budget =
            serde_json::from_value(json!({"id":"m","scope":"agent","window":"month","hard":1}))
                .unwrap();
        assert_eq!(
            budget_key(&m, &e, None).as_deref(),
            Some("budget/m/bot/2026-11")
        );
        // Beyond year 9999 the date is written in full.
        let mut far = e.clone();
        far.context.ts = Timestamp::from_unix_millis(253_402_304_400_000);
        let h: Budget =
            serde_json::from_value(json!({"id":"h","scope":"agent","window":"hour","hard":1}))
                .unwrap();
        assert_eq!(
            budget_key(&h, &far, None).as_deref(),
            Some("budget/h/bot/10000-01-01T01")
        );
        let mut odd = e.clone();
        odd.context.agent = Some("a/b%".into());
        assert_eq!(
            budget_key(&m, &odd, None).as_deref(),
            Some("budget/m/a%2Fb%25/2026-11")
        );
    }

    #[test]
    fn invalid_budgets_are_policy_errors() {
        let p: BudgetsPolicy = serde_json::from_value(json!({
            "reserve": {"on": ["promt"], "usd": -1},
            "limits": [{"id": "a"}, {"id": "a", "hard": -2, "soft_action": "block"}]
        }))
        .unwrap();
        let mut d = Diagnostics::default();
        validate(&p, &mut d);
        let paths: Vec<String> = d.into_issues().into_iter().map(|i| i.path).collect();
        assert_eq!(
            paths,
            [
                "governance.budgets.reserve.on[0]",
                "governance.budgets.reserve.usd",
                "governance.budgets.limits[0].id",
                "governance.budgets.limits[1].id",
                "governance.budgets.limits[1].hard",
                "governance.budgets.limits[1].soft_action"
            ]
        );
    }
}
