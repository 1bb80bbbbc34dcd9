//! The [`Guard`]: a compiled policy plus the host's settings, immutable and shared across
//! threads, that evaluates events into decisions.
//!
//! ```
//! use guardrail_core::{Guard, Policy, State, Action, event::Event};
//! let policy = Policy::from_yaml(r#"
//! version: 1
//! rules:
//!   - id: no_prod_dump
//!     keywords: [pg_dump]
//!     action: escalate
//!     message: database dumps need a human
//! "#).unwrap();
//! let guard = Guard::builder().build(&policy).unwrap();
//! let state = State::new();
//! let event = Event::from_json(br#"{"type":"tool_call","ts":1,"tool":"shell",
//!     "args":{"cmd":"pg_dump prod > x.sql"}}"#).unwrap();
//! let decision = guard.evaluate(&event, &state);
//! assert_eq!(decision.action, Action::Escalate);
//! assert_eq!(decision.findings[0].path.as_deref(), Some("/args/cmd"));
//! assert!(decision.gate.is_some());
//! ```

use crate::content::custom;
use crate::content::redact::{self, Operator};
use crate::content::safety::{Classifier, SafetyDetector};
use crate::decision::{Action, Decision, Finding, Layer, Severity};
use crate::event::{Event, EventKind, Role};
use crate::gates::approvals::{self, GrantLookup};
use crate::governance::{audit, budgets, showback, CostModel};
use crate::policy::{glob_match, Diagnostics, FailMode, Mode, Override, Policy, PolicyDoc};
use crate::scan::{Channel, Detector};
use crate::state::{lock, State};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A policy compiled once: its document, hash and detectors.
pub(crate) struct Compiled {
    pub hash: String,
    pub doc: PolicyDoc,
    detectors: Vec<Box<dyn Detector>>,
    pub observe: crate::observe::CompiledObserve,
    /// The tool registry that checks `tool_call` events.
    tools: crate::constraints::tools::Tools,
    governance: crate::governance::Compiled,
}

impl Compiled {
    pub(crate) fn compile(doc: PolicyDoc, hash: String, diags: &mut Diagnostics) -> Compiled {
        let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
        doc.constraints.compile(diags, &mut detectors);
        let tools = doc.constraints.compile_tools(diags);
        doc.content.compile(diags, &mut detectors);
        let observe = doc.observe.compile("observe", diags);
        for layer in Layer::ALL {
            if let Some(rules) = custom::compile(&doc.rules, layer, diags) {
                detectors.push(Box::new(rules));
            }
        }
        for (i, o) in doc.overrides.iter().enumerate() {
            if o.rule.is_none() && o.category.is_none() && o.layer.is_none() {
                diags.error_with_hint(
                    format!("overrides[{i}]"),
                    "the override selects nothing",
                    "add `match` (a rule id or glob), `category` or `layer`",
                );
            }
            if o.action.is_none()
                && o.severity.is_none()
                && o.shadow.is_none()
                && o.redact_with.is_none()
                && o.approver_role.is_none()
            {
                diags.error_with_hint(
                    format!("overrides[{i}]"),
                    "the override changes nothing",
                    "add `action`, `severity`, `shadow`, `redact_with` or `approver_role`",
                );
            }
        }
        if doc.gates.default_role.is_empty() {
            diags.error(
                "gates.default_role",
                "the default approver role must not be empty",
            );
        }
        crate::gates::rights::validate(&doc.gates.classes, &doc.gates.decision_rights, diags);
        let governance = doc.governance.compile(diags);
        Compiled {
            hash,
            doc,
            detectors,
            observe,
            tools,
            governance,
        }
    }

    pub(crate) fn lints(&self) -> Vec<String> {
        let mut lints = Vec::new();
        if self.doc.mode == Mode::Shadow {
            lints.push("mode is `shadow`: decisions are reported but never enforced".to_string());
        }
        if self.doc.fail.default == FailMode::Open {
            lints.push("fail.default is `open`: an internal error lets events through".to_string());
        }
        for (i, rule) in self.doc.rules.iter().enumerate() {
            if rule.regex.is_some() && rule.keywords.is_empty() {
                lints.push(format!(
                    "rules[{i}] (`{}`): a regex without keywords runs on every text; keywords make it a prefiltered rule",
                    rule.id
                ));
            }
            if rule.message.is_none() {
                lints.push(format!(
                    "rules[{i}] (`{}`): no `message`; findings will only say which rule matched",
                    rule.id
                ));
            }
        }
        for (i, o) in self.doc.overrides.iter().enumerate() {
            if let Some(pattern) = &o.rule {
                let known = self
                    .doc
                    .rules
                    .iter()
                    .any(|r| glob_match(pattern, &format!("custom.{}", r.id)));
                let family = pattern.split('.').next().unwrap_or("");
                if !known && family == "custom" {
                    lints.push(format!(
                        "overrides[{i}]: `{pattern}` matches no custom rule"
                    ));
                }
            }
        }
        lints
    }
}

/// A check supplied by the host, run in its layer's place in the stack (a classifier, an
/// in-house rule). Report findings; the policy's overrides and shadow settings apply to them
/// like to built-in ones.
pub trait Evaluator: Send + Sync {
    /// The layer the evaluator belongs to (its fail mode applies).
    fn layer(&self) -> Layer;
    /// A short name, used in error findings.
    fn name(&self) -> &str;
    /// Looks at one event and appends findings. An `Err` becomes an internal-error finding
    /// under the layer's fail mode.
    fn evaluate(&self, event: &Event, findings: &mut Vec<Finding>) -> Result<(), EvaluatorError>;
}

/// A host evaluator's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvaluatorError {
    message: String,
}

impl EvaluatorError {
    /// An error with a readable message.
    pub fn new(message: impl Into<String>) -> EvaluatorError {
        EvaluatorError {
            message: message.into(),
        }
    }
}

/// A guard that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The policy redacts with the hash operator but no salt was supplied.
    #[error(
        "the policy redacts with the `hash` operator; supply a salt with `GuardBuilder::hash_salt`"
    )]
    MissingSalt,
}

/// Builds a [`Guard`] from a [`Policy`] and the host's settings.
#[derive(Default)]
pub struct GuardBuilder {
    shadow: Option<bool>,
    salt: Option<Vec<u8>>,
    evaluators: Vec<Box<dyn Evaluator>>,
    cost_model: Option<Box<dyn CostModel>>,
    classifiers: Vec<Arc<dyn Classifier>>,
}

impl GuardBuilder {
    /// Adds a host classifier (any model) whose label scores the policy's `content.safety`
    /// settings turn into findings exactly like the built-in categories: a label named like a
    /// category uses that category's threshold and action, any other label the section's
    /// defaults. It runs on the safety section's channels.
    pub fn classifier(mut self, classifier: Arc<dyn Classifier>) -> GuardBuilder {
        self.classifiers.push(classifier);
        self
    }

    /// Forces shadow mode on (or off), whatever the policy says.
    pub fn shadow(mut self, shadow: bool) -> GuardBuilder {
        self.shadow = Some(shadow);
        self
    }

    /// The salt of the `hash` redaction operator (keep it secret and stable).
    pub fn hash_salt(mut self, salt: impl Into<Vec<u8>>) -> GuardBuilder {
        self.salt = Some(salt.into());
        self
    }

    /// Adds a host evaluator to the stack.
    pub fn evaluator(mut self, evaluator: impl Evaluator + 'static) -> GuardBuilder {
        self.evaluators.push(Box::new(evaluator));
        self
    }

    /// The cost of `llm_usage` events that carry no `cost_usd` (a price table), for budgets
    /// and showback. Without one, such events count their tokens and no money.
    pub fn cost_model(mut self, model: impl CostModel + 'static) -> GuardBuilder {
        self.cost_model = Some(Box::new(model));
        self
    }

    /// Builds the guard.
    pub fn build(self, policy: &Policy) -> Result<Guard, BuildError> {
        let doc = &policy.inner.doc;
        let uses_hash = doc.content.redaction.operator == Operator::Hash
            || doc
                .overrides
                .iter()
                .any(|o| o.redact_with == Some(Operator::Hash));
        if uses_hash && self.salt.is_none() {
            return Err(BuildError::MissingSalt);
        }
        let shadow = self.shadow.unwrap_or(doc.mode == Mode::Shadow);
        Ok(Guard {
            inner: Arc::new(GuardInner {
                policy: policy.clone(),
                shadow,
                salt: self.salt,
                evaluators: self.evaluators,
                cost_model: self.cost_model,
                host_detectors: self
                    .classifiers
                    .into_iter()
                    .filter_map(|c| {
                        SafetyDetector::classifier_only(&doc.content.safety, c)
                            .map(|d| Box::new(d) as Box<dyn Detector>)
                    })
                    .collect(),
            }),
        })
    }
}

struct GuardInner {
    policy: Policy,
    shadow: bool,
    salt: Option<Vec<u8>>,
    evaluators: Vec<Box<dyn Evaluator>>,
    cost_model: Option<Box<dyn CostModel>>,
    /// Detectors the host supplied (classifier hooks), run after the policy's own.
    host_detectors: Vec<Box<dyn Detector>>,
}

/// A compiled policy ready to evaluate events. Immutable, `Send + Sync`, cheap to clone:
/// build it once and share it.
#[derive(Clone)]
pub struct Guard {
    inner: Arc<GuardInner>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("policy", &self.policy_hash())
            .field("shadow", &self.inner.shadow)
            .finish_non_exhaustive()
    }
}

/// One span to replace: where, the placeholder's kind, and how.
#[derive(Clone, Debug)]
pub(crate) struct Redaction {
    pub range: std::ops::Range<usize>,
    pub kind: String,
    pub operator: Operator,
}

/// What the policy does with one finding besides its action.
#[derive(Clone, Default)]
pub(crate) struct Treatment {
    operator: Option<Operator>,
    approver_role: Option<String>,
}

/// One text of an event: where it travels and where it sits in the event.
struct EventText<'e> {
    channel: Channel,
    path: String,
    text: &'e str,
}

fn push_json_texts<'e>(
    value: &'e serde_json::Value,
    path: &mut String,
    channel: Channel,
    out: &mut Vec<EventText<'e>>,
) {
    match value {
        serde_json::Value::String(s) => out.push(EventText {
            channel,
            path: path.clone(),
            text: s,
        }),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                push_json_texts(item, path, channel, out);
                path.truncate(len);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                path.push('/');
                // JSON pointer escaping (RFC 6901).
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                push_json_texts(item, path, channel, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn event_texts(kind: &EventKind) -> Vec<EventText<'_>> {
    let mut out = Vec::new();
    match kind {
        EventKind::Prompt { role, text } => out.push(EventText {
            channel: match role {
                Role::User => Channel::User,
                Role::System | Role::Developer => Channel::System,
            },
            path: "/text".into(),
            text,
        }),
        EventKind::ModelOutput { text, .. } => out.push(EventText {
            channel: Channel::ModelOutput,
            path: "/text".into(),
            text,
        }),
        EventKind::ToolCall { args, .. } => {
            push_json_texts(args, &mut "/args".to_string(), Channel::ToolArgs, &mut out)
        }
        EventKind::ToolResult { output, .. } => push_json_texts(
            output,
            &mut "/output".to_string(),
            Channel::ToolOutput,
            &mut out,
        ),
        _ => {}
    }
    out
}

fn internal_error(layer: Layer, fail: FailMode, what: &str, detail: &str) -> Finding {
    Finding {
        layer,
        rule: "guardrail.internal_error".into(),
        category: "internal".into(),
        severity: Severity::High,
        confidence: 1.0,
        message: format!("{what} failed: {detail}"),
        action: match fail {
            FailMode::Closed => Action::Block,
            FailMode::Open => Action::Allow,
        },
        shadow: false,
        path: None,
        span: None,
        suggestion: None,
        package: None,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

impl Guard {
    /// A builder; finish it with [`GuardBuilder::build`].
    pub fn builder() -> GuardBuilder {
        GuardBuilder::default()
    }

    /// A guard over the built-in default policy.
    pub fn with_default_policy() -> Guard {
        Guard {
            inner: Arc::new(GuardInner {
                policy: Policy::builtin(),
                shadow: false,
                salt: None,
                evaluators: Vec::new(),
                cost_model: None,
                host_detectors: Vec::new(),
            }),
        }
    }

    /// The policy's content hash (`sha256:...`), carried by every decision.
    pub fn policy_hash(&self) -> &str {
        self.inner.policy.hash()
    }

    /// The policy the guard was built from.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    fn compiled(&self) -> &Compiled {
        &self.inner.policy.inner
    }

    fn fail_mode(&self, layer: Layer) -> FailMode {
        self.compiled().doc.fail.for_layer(layer)
    }

    /// Runs the text detectors of `layer` on one text, catching panics under the layer's
    /// fail mode.
    fn scan_text(&self, layer: Layer, text: &EventText<'_>, out: &mut Vec<Finding>) {
        for detector in self
            .compiled()
            .detectors
            .iter()
            .chain(&self.inner.host_detectors)
        {
            if detector.layer() != layer || !detector.wants(text.channel) {
                continue;
            }
            let mut hits = Vec::new();
            let run = catch_unwind(AssertUnwindSafe(|| {
                detector.scan(text.text, text.channel, &mut hits)
            }));
            match run {
                Ok(()) => out.extend(
                    hits.into_iter()
                        .map(|h| h.into_finding(layer, Some(text.path.clone()))),
                ),
                Err(p) => out.push(internal_error(
                    layer,
                    self.fail_mode(layer),
                    "a detector",
                    &panic_message(p.as_ref()),
                )),
            }
        }
    }

    /// Checks a tool call against the policy's tool registry (schema, endpoints, SQL,
    /// shell), catching panics under the constraints layer's fail mode. Findings point into
    /// the event: `/args/...` for an argument, `/tool` for the tool itself.
    fn check_tool_call(&self, tool: &str, args: &serde_json::Value, out: &mut Vec<Finding>) {
        let mut hits = Vec::new();
        let run = catch_unwind(AssertUnwindSafe(|| {
            self.compiled().tools.check_call(tool, args, &mut hits)
        }));
        match run {
            Ok(()) => out.extend(hits.into_iter().map(|(pointer, hit)| {
                let path = match pointer {
                    Some(pointer) => format!("/args{pointer}"),
                    None => "/tool".to_string(),
                };
                hit.into_finding(Layer::Constraints, Some(path))
            })),
            Err(p) => out.push(internal_error(
                Layer::Constraints,
                self.fail_mode(Layer::Constraints),
                "the tool registry",
                &panic_message(p.as_ref()),
            )),
        }
    }

    /// Applies the policy's overrides to a finding and returns its redaction and gate
    /// treatment.
    fn apply_overrides(&self, f: &mut Finding) -> Treatment {
        let mut t = Treatment::default();
        for o in &self.compiled().doc.overrides {
            if !selects(o, f) {
                continue;
            }
            if let Some(a) = o.action {
                f.action = a;
            }
            if let Some(s) = o.severity {
                f.severity = s;
            }
            if let Some(s) = o.shadow {
                f.shadow = s;
            }
            if o.redact_with.is_some() {
                t.operator = o.redact_with;
            }
            if o.approver_role.is_some() {
                t.approver_role = o.approver_role.clone();
            }
        }
        t
    }

    /// Evaluates one event through the five layers and returns the decision. Never fails:
    /// internal errors become findings under the policy's fail mode (closed by default).
    pub fn evaluate(&self, event: &Event, state: &State) -> Decision {
        let compiled = self.compiled();
        let mut findings: Vec<Finding> = Vec::new();
        let texts = event_texts(&event.kind);
        let limit_hit = compiled.doc.constraints.limits.check(&event.kind);
        let oversized = limit_hit.is_some();
        if let Some((path, hit)) = limit_hit {
            findings.push(hit.into_finding(Layer::Constraints, Some(path.to_string())));
        }
        for layer in Layer::ALL {
            // Oversized payloads are blocked unread: this bounds the cost of any event.
            if !oversized {
                for text in &texts {
                    self.scan_text(layer, text, &mut findings);
                }
                if let (Layer::Constraints, EventKind::ToolCall { tool, args, .. }) =
                    (layer, &event.kind)
                {
                    self.check_tool_call(tool, args, &mut findings);
                }
            }
            if layer == Layer::Governance {
                compiled
                    .governance
                    .check(&compiled.doc.governance, event, &mut findings);
            }
            for evaluator in self.inner.evaluators.iter().filter(|e| e.layer() == layer) {
                let mut reported = Vec::new();
                let run = catch_unwind(AssertUnwindSafe(|| {
                    evaluator.evaluate(event, &mut reported)
                }));
                let failure = match run {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(p) => Some(panic_message(p.as_ref())),
                };
                findings.extend(reported);
                if let Some(detail) = failure {
                    findings.push(internal_error(
                        layer,
                        self.fail_mode(layer),
                        &format!("evaluator `{}`", evaluator.name()),
                        &detail,
                    ));
                }
            }
            if layer == Layer::Observe {
                self.observe_event(event, state, &mut findings);
            }
        }
        let treatments: Vec<Treatment> = findings
            .iter_mut()
            .map(|f| self.apply_overrides(f))
            .collect();
        let decision = self.decide(event, state, findings, treatments);
        // Guardrail trigger counts per workflow and agent, for the operations view.
        compiled
            .observe
            .record_findings(event, &decision.findings, &mut lock(&state.observe));
        decision
    }

    /// Runs the observe layer (traces, aggregates, detectors, SLOs) on the event, catching
    /// panics under the layer's fail mode.
    fn observe_event(&self, event: &Event, state: &State, findings: &mut Vec<Finding>) {
        let mut observed = Vec::new();
        let run = catch_unwind(AssertUnwindSafe(|| {
            self.compiled()
                .observe
                .observe(event, &mut lock(&state.observe), &mut observed)
        }));
        findings.extend(observed);
        if let Err(p) = run {
            findings.push(internal_error(
                Layer::Observe,
                self.fail_mode(Layer::Observe),
                "the observe layer",
                &panic_message(p.as_ref()),
            ));
        }
    }

    /// The compiled observe section, for the export functions.
    pub(crate) fn observe_policy(&self) -> &crate::observe::CompiledObserve {
        &self.compiled().observe
    }

    /// The action the findings ask for, and the one to enforce (shadow findings and shadow
    /// mode hold back).
    pub(crate) fn combine(&self, findings: &[Finding]) -> (Action, Action) {
        let action = findings
            .iter()
            .fold(Action::Allow, |a, f| a.combine(f.action));
        let enforced = if self.inner.shadow {
            Action::Allow
        } else {
            findings
                .iter()
                .filter(|f| !f.shadow)
                .fold(Action::Allow, |a, f| a.combine(f.action))
        };
        (action, enforced)
    }

    /// Applies the stateful layers (approvals, approved and denied actions, budgets, gate
    /// requests, showback) and numbers the audit record under the audit lock, so that the
    /// chain's order is the order of the state changes; the record is hashed outside it and
    /// linked in number order.
    fn decide(
        &self,
        event: &Event,
        state: &State,
        mut findings: Vec<Finding>,
        mut treatments: Vec<Treatment>,
    ) -> Decision {
        let compiled = self.compiled();
        let gov = &compiled.doc.governance;
        // The team is looked up only where budgets or showback use it.
        let team =
            if gov.budgets.limits.is_empty() && !matches!(event.kind, EventKind::LlmUsage { .. }) {
                None
            } else {
                compiled.governance.team(gov, event)
            };
        let usage = match &event.kind {
            EventKind::LlmUsage {
                cost_usd,
                input_tokens,
                output_tokens,
                ..
            } => Some((
                cost_usd
                    .or_else(|| {
                        self.inner
                            .cost_model
                            .as_ref()
                            .and_then(|m| m.cost_usd(&event.kind))
                    })
                    // Without a host cost model, the observe layer's price table.
                    .or_else(|| compiled.observe.usage_cost(&event.kind)),
                *input_tokens,
                *output_tokens,
            )),
            _ => None,
        };
        let tool_args = match &event.kind {
            EventKind::ToolCall { args, .. } => Some(args),
            _ => None,
        };
        let args_hash = if gov.audit.enabled {
            tool_args.map(audit::args_sha256)
        } else {
            None
        };
        let fingerprint = std::cell::OnceCell::new();
        let fp = || fingerprint.get_or_init(|| crate::gates::fingerprint(&event.kind));
        let push = |f: Finding, findings: &mut Vec<Finding>, treatments: &mut Vec<Treatment>| {
            let mut f = f;
            treatments.push(self.apply_overrides(&mut f));
            findings.push(f);
        };

        let mut audit_state = gov.audit.enabled.then(|| lock(&state.audit));
        let mut gates = lock(&state.gates);
        let mut gate_ref: Option<String> = None;
        let mut approver: Option<String> = None;

        if let EventKind::Approval {
            gate,
            approver: who,
            role,
            approve,
            ..
        } = &event.kind
        {
            let f = gates.answer(&compiled.doc.gates, event, gate, who, role, *approve);
            push(f, &mut findings, &mut treatments);
            gate_ref = Some(gate.clone());
            approver = Some(who.clone());
        }
        if tool_args.is_some() && !gates.denied.is_empty() {
            if let Some(d) = gates.denied.get(fp().as_str()) {
                let f = approvals::finding(
                    "gates.denied",
                    Action::Block,
                    format!(
                        "`{}` denied this exact action in gate `{}` at {}",
                        d.approver, d.gate, d.ts
                    ),
                );
                gate_ref = Some(d.gate.clone());
                push(f, &mut findings, &mut treatments);
            }
        }
        let mut grant = None;
        if tool_args.is_some()
            && !gates.granted.is_empty()
            && self.combine(&findings).1 == Action::Escalate
        {
            match gates.lookup_grant(fp().as_str(), event) {
                GrantLookup::Valid(g) => {
                    for f in findings
                        .iter_mut()
                        .filter(|f| f.action == Action::Escalate && !f.shadow)
                    {
                        f.action = Action::Allow;
                    }
                    let by: Vec<String> = g
                        .approvers
                        .iter()
                        .map(|a| format!("{} ({})", a.approver, a.role))
                        .collect();
                    let f = approvals::finding(
                        "gates.approved",
                        Action::Allow,
                        format!(
                            "approved in gate `{}` by {}; this exact action runs once",
                            g.gate,
                            by.join(", ")
                        ),
                    );
                    push(f, &mut findings, &mut treatments);
                    grant = Some(g.gate);
                }
                GrantLookup::Expired(id, at) => {
                    let f = approvals::finding(
                        "gates.expired",
                        Action::Escalate,
                        format!(
                            "the approval of gate `{id}` expired at {at}; a new gate is opened"
                        ),
                    );
                    push(f, &mut findings, &mut treatments);
                }
                GrantLookup::None => {}
            }
        }

        let store = state.store.as_ref();
        let may_reserve = self.combine(&findings).1 < Action::Escalate;
        let mut budget_findings = Vec::new();
        let reservation = budgets::apply(
            &gov.budgets,
            store,
            event,
            team,
            usage.and_then(|u| u.0),
            may_reserve,
            &mut budget_findings,
        );
        for f in budget_findings {
            push(f, &mut findings, &mut treatments);
        }
        if self.combine(&findings).1 >= Action::Escalate {
            reservation.undo(&gov.budgets, store, event, team);
        }
        if let Some(id) = grant {
            if self.combine(&findings).1 < Action::Escalate {
                gates.redeem(fp().as_str(), &id);
                gate_ref = Some(id);
            }
        }

        let mut opened = None;
        if self.combine(&findings).1 == Action::Escalate {
            let escalating: Vec<(&Finding, &Treatment)> = findings
                .iter()
                .zip(&treatments)
                .filter(|(f, _)| f.action == Action::Escalate && !f.shadow)
                .collect();
            let fallback = escalating
                .iter()
                .find_map(|(_, t)| t.approver_role.clone())
                .unwrap_or_else(|| compiled.doc.gates.default_role.clone());
            let mut reason: Vec<String> = escalating
                .iter()
                .map(|(f, _)| format!("{}: {}", f.rule, f.message))
                .collect();
            reason.dedup();
            let escalating: Vec<&Finding> = escalating.into_iter().map(|(f, _)| f).collect();
            match approvals::route(&compiled.doc.gates, event, &escalating, &fallback) {
                Ok(route) => {
                    let request = gates.open_routed(event, &route, reason.join("; "), fp().clone());
                    gate_ref = Some(request.id.clone());
                    opened = Some(request);
                }
                Err(f) => push(*f, &mut findings, &mut treatments),
            }
        }
        drop(gates);
        // Showback stays under the audit lock although its counters are sums (order does
        // not matter): outside it, two threads alternate on the store's lock for each of the
        // 16 counters, which measured slower on 2 threads than taking turns for the whole step.
        if let Some((cost, input, output)) = usage {
            showback::record(
                &gov.showback,
                store,
                event,
                team,
                cost.unwrap_or(0.0),
                input,
                output,
            );
        }

        // The record is numbered with the state changes, under the same lock, so the chain
        // follows their order; it is built and its body hashed after the lock is released,
        // then linked in number order. Nothing between the two can panic (copies and
        // hashing), so every number gets its record.
        let seq = audit_state.as_mut().map(|chain| chain.number());
        drop(audit_state);

        let (action, enforced) = self.combine(&findings);
        if let Some(seq) = seq {
            let mut reasons: Vec<String> = Vec::with_capacity(findings.len());
            for f in &findings {
                if !reasons.contains(&f.rule) {
                    reasons.push(f.rule.clone());
                }
            }
            let record = audit::AuditRecord {
                action,
                agent: event.context.agent.clone(),
                approver,
                args_sha256: args_hash,
                decision: enforced,
                event: event.kind.name().to_string(),
                gate: gate_ref,
                hash: String::new(),
                policy: compiled.hash.clone(),
                prev_hash: String::new(),
                principal: event.context.principal.clone(),
                reasons,
                run: event.context.run.clone(),
                seq,
                tool: match &event.kind {
                    EventKind::ToolCall { tool, .. } => Some(tool.clone()),
                    _ => None,
                },
                ts: event.context.ts,
            };
            let body = record.body_hasher();
            lock(&state.audit).link(record, body);
        }

        let mut decision = Decision::allow(self.policy_hash());
        decision.action = action;
        decision.enforced = enforced;
        if action == Action::Redact {
            self.redact_payload(&event.kind, &findings, &treatments, &mut decision);
        }
        decision.gate = opened;
        decision.findings = findings;
        decision
    }

    /// Fills the decision's redacted payload from the redact findings' spans.
    fn redact_payload(
        &self,
        kind: &EventKind,
        findings: &[Finding],
        treatments: &[Treatment],
        decision: &mut Decision,
    ) {
        let redaction = &self.compiled().doc.content.redaction;
        let salt = self.inner.salt.as_deref();
        let redacted = |path: &str, text: &str| -> String {
            let spans: Vec<_> = findings
                .iter()
                .zip(treatments)
                .filter(|(f, _)| f.action == Action::Redact && f.path.as_deref() == Some(path))
                .filter_map(|(f, t)| {
                    let span = f.span?;
                    Some((
                        span.start..span.end,
                        placeholder_kind(&f.rule),
                        t.operator.unwrap_or(redaction.operator),
                    ))
                })
                .collect();
            redact::apply(text, &spans, redaction, salt)
        };
        match kind {
            EventKind::Prompt { text, .. } | EventKind::ModelOutput { text, .. } => {
                decision.text = Some(redacted("/text", text));
            }
            EventKind::ToolResult {
                output: serde_json::Value::String(text),
                ..
            } => decision.text = Some(redacted("/output", text)),
            EventKind::ToolCall { args: value, .. }
            | EventKind::ToolResult { output: value, .. } => {
                let root = if matches!(kind, EventKind::ToolCall { .. }) {
                    "/args"
                } else {
                    "/output"
                };
                let mut copy = value.clone();
                for text in event_texts(kind) {
                    let pointer = text.path.get(root.len()..).unwrap_or("");
                    if let Some(serde_json::Value::String(s)) = copy.pointer_mut(pointer) {
                        *s = redacted(&text.path, text.text);
                    }
                }
                decision.args = Some(copy);
            }
            _ => {}
        }
    }

    /// Scans one text with every detector that runs on `channel` (stateless; no event
    /// needed). The findings have the policy's overrides applied and no path.
    pub fn scan(&self, channel: Channel, text: &str) -> Vec<Finding> {
        self.scan_treated(channel, text).0
    }

    /// Scans `text` and replaces every finding's span whose action is not `allow` with its
    /// redaction operator's output. Returns the redacted text and the findings.
    pub fn redact(&self, channel: Channel, text: &str) -> (String, Vec<Finding>) {
        let (findings, treatments) = self.scan_treated(channel, text);
        let spans: Vec<_> = findings
            .iter()
            .zip(&treatments)
            .filter_map(|(f, t)| self.redaction(f, t))
            .collect();
        (self.apply_redactions(text, &spans), findings)
    }

    /// Starts a scan of text that arrives in chunks on `channel` (a streamed model output):
    /// see [`TextStream`](crate::stream::TextStream).
    pub fn stream(&self, channel: Channel) -> crate::stream::TextStream {
        crate::stream::TextStream::new(self.clone(), channel)
    }

    /// What replaces a finding's span, or `None` if it is allowed or has no span: the byte
    /// range, the placeholder's kind and the operator.
    pub(crate) fn redaction(&self, f: &Finding, t: &Treatment) -> Option<Redaction> {
        let span = f.span.filter(|_| f.action != Action::Allow)?;
        Some(Redaction {
            range: span.start..span.end,
            kind: placeholder_kind(&f.rule).to_string(),
            operator: t
                .operator
                .unwrap_or(self.compiled().doc.content.redaction.operator),
        })
    }

    /// `text` with every redaction's range (offsets into `text`) replaced.
    pub(crate) fn apply_redactions(&self, text: &str, redactions: &[Redaction]) -> String {
        let spans: Vec<_> = redactions
            .iter()
            .map(|r| (r.range.clone(), r.kind.as_str(), r.operator))
            .collect();
        redact::apply(
            text,
            &spans,
            &self.compiled().doc.content.redaction,
            self.inner.salt.as_deref(),
        )
    }

    /// Every detector on one text, with the policy's overrides applied; no event, no path.
    pub(crate) fn scan_treated(
        &self,
        channel: Channel,
        text: &str,
    ) -> (Vec<Finding>, Vec<Treatment>) {
        let item = EventText {
            channel,
            path: String::new(),
            text,
        };
        let mut findings = Vec::new();
        for layer in Layer::ALL {
            self.scan_text(layer, &item, &mut findings);
        }
        let treatments = findings
            .iter_mut()
            .map(|f| {
                f.path = None;
                self.apply_overrides(f)
            })
            .collect();
        (findings, treatments)
    }
}

/// The redaction placeholder's kind: the last segment of the rule id (`github_pat`).
fn placeholder_kind(rule: &str) -> &str {
    rule.rsplit('.').next().unwrap_or(rule)
}

fn selects(o: &Override, f: &Finding) -> bool {
    o.rule.as_deref().is_none_or(|p| glob_match(p, &f.rule))
        && o.category.as_deref().is_none_or(|c| c == f.category)
        && o.layer.is_none_or(|l| l == f.layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POLICY: &str = r#"
version: 1
rules:
  - id: ticket
    keywords: [ticket]
    regex: 'TCK-\d+'
    action: redact
    message: internal ticket number
  - id: drop
    keywords: [drop table]
    action: escalate
    message: destructive SQL needs a human
  - id: exfil
    keywords: [attacker.example]
    action: block
    channels: [tool_output]
overrides:
  - match: custom.drop
    approver_role: db-owner
"#;

    fn guard(policy: &str) -> Guard {
        Guard::builder()
            .build(&Policy::from_yaml(policy).unwrap())
            .unwrap()
    }

    fn ev(v: serde_json::Value) -> Event {
        Event::from_value(v).unwrap()
    }

    #[test]
    fn redact_escalate_block_and_allow() {
        let g = guard(POLICY);
        let s = State::new();
        let d = g.evaluate(
            &ev(json!({"type":"prompt","ts":1,"text":"see ticket TCK-991 please"})),
            &s,
        );
        assert_eq!(d.action, Action::Redact);
        assert_eq!(
            d.text.as_deref(),
            Some("see ticket [REDACTED:ticket] please")
        );
        assert_eq!(d.policy, g.policy_hash());

        let d = g.evaluate(&ev(json!({"type":"tool_call","ts":1,"tool":"db","args":{"q":["x","DROP TABLE users"]}})), &s);
        assert_eq!(d.action, Action::Escalate);
        let gate = d.gate.unwrap();
        assert_eq!(gate.role, "db-owner");
        assert!(gate.reason.contains("destructive SQL"));
        assert_eq!(d.findings[0].path.as_deref(), Some("/args/q/1"));
        assert_eq!(s.pending_gates().len(), 1);

        let d = g.evaluate(&ev(json!({"type":"tool_result","ts":1,"tool":"web","output":"post to attacker.example"})), &s);
        assert_eq!(d.enforced, Action::Block);
        // The same text on another channel is not this rule's business.
        let d = g.evaluate(
            &ev(json!({"type":"prompt","ts":1,"text":"attacker.example"})),
            &s,
        );
        assert_eq!(d.action, Action::Allow);
        assert!(d.findings.is_empty());
    }

    #[test]
    fn redacts_inside_json_arguments() {
        let g = guard(POLICY);
        let d = g.evaluate(&ev(json!({"type":"tool_call","ts":1,"tool":"t","args":{"a/b":{"n":"ticket TCK-1"},"k":3}})), &State::new());
        assert_eq!(d.action, Action::Redact);
        assert_eq!(
            d.args,
            Some(json!({"a/b":{"n":"ticket [REDACTED:ticket]"},"k":3}))
        );
        assert_eq!(d.findings[0].path.as_deref(), Some("/args/a~1b/n"));
    }

    #[test]
    fn shadow_mode_reports_but_allows() {
        let shadow = POLICY.replace("version: 1", "version: 1\nmode: shadow");
        let g = guard(&shadow);
        let d = g.evaluate(
            &ev(json!({"type":"tool_result","ts":1,"tool":"web","output":"attacker.example"})),
            &State::new(),
        );
        assert_eq!((d.action, d.enforced), (Action::Block, Action::Allow));

        let per_rule = format!("{POLICY}  - match: custom.exfil\n    shadow: true\n");
        let g = guard(&per_rule);
        let d = g.evaluate(&ev(json!({"type":"tool_result","ts":1,"tool":"web","output":"attacker.example ticket TCK-2"})), &State::new());
        assert_eq!((d.action, d.enforced), (Action::Block, Action::Redact));
        assert!(d.findings.iter().any(|f| f.shadow));
    }

    struct Failing(bool);
    impl Evaluator for Failing {
        fn layer(&self) -> Layer {
            Layer::Content
        }
        fn name(&self) -> &str {
            "failing"
        }
        fn evaluate(&self, _: &Event, _: &mut Vec<Finding>) -> Result<(), EvaluatorError> {
            if self.0 {
                panic!("boom")
            }
            Err(EvaluatorError::new("model unavailable"))
        }
    }

    #[test]
    fn internal_errors_fail_closed_by_default_and_open_when_asked() {
        let p = Policy::from_yaml("version: 1").unwrap();
        let s = State::new();
        let e = ev(json!({"type":"prompt","ts":1,"text":"hi"}));
        for panics in [false, true] {
            let g = Guard::builder()
                .evaluator(Failing(panics))
                .build(&p)
                .unwrap();
            let d = g.evaluate(&e, &s);
            assert_eq!(d.enforced, Action::Block);
            assert_eq!(d.findings[0].rule, "guardrail.internal_error");
        }
        let open = Policy::from_yaml("version: 1\nfail: {content: open}").unwrap();
        let g = Guard::builder()
            .evaluator(Failing(false))
            .build(&open)
            .unwrap();
        let d = g.evaluate(&e, &s);
        assert_eq!(d.enforced, Action::Allow);
        assert!(d.findings[0].message.contains("model unavailable"));
    }

    #[test]
    fn oversized_payloads_are_blocked_unread() {
        let g = guard(&format!(
            "{POLICY}constraints:\n  limits:\n    max_prompt_bytes: 16\n"
        ));
        let d = g.evaluate(
            &ev(json!({"type":"prompt","ts":1,"text":"ticket TCK-1 and much more text"})),
            &State::new(),
        );
        assert_eq!(d.enforced, Action::Block);
        assert_eq!(d.findings.len(), 1);
        assert_eq!(d.findings[0].rule, "limits.prompt_size");
    }

    #[test]
    fn hash_operator_needs_a_salt() {
        let p =
            Policy::from_yaml("version: 1\ncontent:\n  redaction:\n    operator: hash\n").unwrap();
        assert_eq!(
            Guard::builder().build(&p).unwrap_err(),
            BuildError::MissingSalt
        );
        assert!(Guard::builder().hash_salt("s").build(&p).is_ok());
    }

    #[test]
    fn scan_and_redact_without_events() {
        let g = guard(POLICY);
        let f = g.scan(Channel::User, "ticket TCK-77");
        assert_eq!(f.len(), 1);
        let (text, _) = g.redact(Channel::ModelOutput, "ticket TCK-77 drop table x");
        assert_eq!(text, "ticket [REDACTED:ticket] [REDACTED:drop] x");
    }

    struct Toxicity;
    impl Classifier for Toxicity {
        fn classify(&self, text: &str, _: Channel) -> Vec<(String, f32)> {
            vec![(
                "toxicity".into(),
                if text.contains("idiot") { 0.97 } else { 0.02 },
            )]
        }
    }

    #[test]
    fn host_classifier_labels_become_findings_through_the_policy() {
        let p = Policy::from_yaml(
            "version: 1\ncontent:\n  safety:\n    categories:\n      toxicity: {action: block, threshold: 0.9}\n",
        )
        .unwrap();
        let g = Guard::builder()
            .classifier(Arc::new(Toxicity))
            .build(&p)
            .unwrap();
        let s = State::new();
        let d = g.evaluate(&ev(json!({"type":"prompt","ts":1,"text":"you idiot"})), &s);
        assert_eq!(d.enforced, Action::Block);
        assert!(
            d.findings.iter().any(|f| f.rule == "safety.toxicity"),
            "{:?}",
            d.findings
        );
        let d = g.evaluate(
            &ev(json!({"type":"prompt","ts":1,"text":"thanks a lot"})),
            &s,
        );
        assert!(!d.findings.iter().any(|f| f.rule == "safety.toxicity"));
    }

    #[test]
    fn guard_is_send_sync_and_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Guard>();
        assert_send_sync::<State>();
        let g = guard(POLICY);
        let s = Arc::new(State::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (g, s) = (g.clone(), Arc::clone(&s));
                std::thread::spawn(move || {
                    (0..100)
                        .map(|_| g.evaluate(&ev(json!({"type":"tool_call","ts":1,"tool":"db","args":{"q":"drop table t"}})), &s))
                        .filter(|d| d.gate.is_some())
                        .count()
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 400);
        assert_eq!(s.pending_gates().len(), 400, "every gate id is unique");
    }

    #[test]
    fn invalid_override_is_a_load_error() {
        let e = Policy::from_yaml("version: 1\noverrides:\n  - action: block\n").unwrap_err();
        assert_eq!(e.issues()[0].path, "overrides[0]");
        assert_eq!(e.issues()[0].line, Some(3));
    }
}
