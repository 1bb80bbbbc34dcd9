//! `Decision`, `Finding` and `Gate`: read-only views of the core's decision.

use crate::convert::{self, char_offsets};
use crate::errors::{EscalationRequired, GuardrailBlocked};
use guardrail_core::event::{Event, EventKind};
use guardrail_core::{Action, Decision, Finding, GateRequest, Layer, Severity};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

/// The members of the str-valued enums defined in `guardrail._enums`, in declaration order.
struct Enums {
    action: Vec<Py<PyAny>>,
    severity: Vec<Py<PyAny>>,
    layer: Vec<Py<PyAny>>,
}

static ENUMS: PyOnceLock<Enums> = PyOnceLock::new();

fn enums(py: Python<'_>) -> PyResult<&Enums> {
    ENUMS.get_or_try_init(py, || {
        let module = py.import("guardrail._enums")?;
        let members = |class: &str, names: &[&str]| -> PyResult<Vec<Py<PyAny>>> {
            let class = module.getattr(class)?;
            names
                .iter()
                .map(|n| class.getattr(*n).map(Bound::unbind))
                .collect()
        };
        Ok(Enums {
            action: members("Action", &["ALLOW", "REDACT", "ESCALATE", "BLOCK"])?,
            severity: members("Severity", &["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"])?,
            layer: members(
                "Layer",
                &["CONSTRAINTS", "CONTENT", "OBSERVE", "GATES", "GOVERNANCE"],
            )?,
        })
    })
}

fn member<'py>(
    py: Python<'py>,
    members: &[Py<PyAny>],
    index: usize,
) -> PyResult<Bound<'py, PyAny>> {
    members
        .get(index)
        .map(|m| m.bind(py).clone())
        .ok_or_else(|| PyValueError::new_err("unknown enum value"))
}

pub fn action<'py>(py: Python<'py>, a: Action) -> PyResult<Bound<'py, PyAny>> {
    member(py, &enums(py)?.action, a as usize)
}

fn severity<'py>(py: Python<'py>, s: Severity) -> PyResult<Bound<'py, PyAny>> {
    member(py, &enums(py)?.severity, s as usize)
}

fn layer<'py>(py: Python<'py>, l: Layer) -> PyResult<Bound<'py, PyAny>> {
    member(py, &enums(py)?.layer, l as usize)
}

/// One reason behind a decision: which rule of which layer matched, and where.
///
/// `span` is the byte range of the JSON form; `start` / `end` are the same range in Python
/// characters, so `text[f.start:f.end]` is the matched text.
#[pyclass(frozen, module = "guardrail", name = "Finding")]
pub struct PyFinding {
    inner: Finding,
    chars: Option<(usize, usize)>,
}

impl PyFinding {
    pub fn new(inner: Finding, chars: Option<(usize, usize)>) -> PyFinding {
        PyFinding { inner, chars }
    }
}

#[pymethods]
impl PyFinding {
    /// The layer whose evaluator reported it.
    #[getter]
    fn layer<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        layer(py, self.inner.layer)
    }
    /// The rule id (`secrets.github_pat`, `custom.internal_hosts`).
    #[getter]
    fn rule(&self) -> &str {
        &self.inner.rule
    }
    /// A coarse grouping (`credential`, `pii`, `injection`, ...).
    #[getter]
    fn category(&self) -> &str {
        &self.inner.category
    }
    /// How bad it is.
    #[getter]
    fn severity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        severity(py, self.inner.severity)
    }
    /// How sure the detector is, from 0 to 1.
    #[getter]
    fn confidence(&self) -> f32 {
        self.inner.confidence
    }
    /// A readable reason.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }
    /// The action the policy assigns to this finding.
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        action(py, self.inner.action)
    }
    /// Whether the rule runs in shadow mode (reported, not enforced).
    #[getter]
    fn shadow(&self) -> bool {
        self.inner.shadow
    }
    /// A JSON pointer into the event (`/text`, `/args/sql`), or None.
    #[getter]
    fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }
    /// The byte range `(start, end)` in the UTF-8 text at `path`, as in the JSON form.
    #[getter]
    fn span(&self) -> Option<(usize, usize)> {
        self.inner.span.map(|s| (s.start, s.end))
    }
    /// The first character of the match (a Python string index), or None.
    #[getter]
    fn start(&self) -> Option<usize> {
        self.chars.map(|c| c.0)
    }
    /// One past the last character of the match (a Python string index), or None.
    #[getter]
    fn end(&self) -> Option<usize> {
        self.chars.map(|c| c.1)
    }
    /// What to do instead, where the evaluator can tell.
    #[getter]
    fn suggestion(&self) -> Option<&str> {
        self.inner.suggestion.as_deref()
    }
    /// The package a `shell.package_install` finding names, as a dict with `ecosystem`,
    /// `name` and, where written, `version`; None for every other finding.
    #[getter]
    fn package<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .package
            .as_ref()
            .map(|package| convert::serialize_to_py(py, package))
            .transpose()
    }
    /// The finding's JSON form as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        let path = self
            .inner
            .path
            .as_ref()
            .map_or("None".to_string(), |p| format!("{p:?}"));
        let span = self
            .chars
            .map_or("None".to_string(), |(s, e)| format!("({s}, {e})"));
        format!(
            "Finding(rule={:?}, action='{}', severity='{}', path={path}, start_end={span})",
            self.inner.rule, self.inner.action, self.inner.severity
        )
    }
}

/// A request for a human approval, opened by an `escalate` decision.
#[pyclass(frozen, module = "guardrail", name = "Gate")]
pub struct PyGate {
    inner: GateRequest,
}

#[pymethods]
impl PyGate {
    /// The gate's id; `Guard.approve` names it.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }
    /// The role that must approve.
    #[getter]
    fn role(&self) -> &str {
        &self.inner.role
    }
    /// Why the gate was opened.
    #[getter]
    fn reason(&self) -> &str {
        &self.inner.reason
    }
    /// When the request expires (RFC 3339, UTC).
    #[getter]
    fn expires(&self) -> &str {
        &self.inner.expires
    }
    /// The fingerprint of the exact action the gate guards.
    #[getter]
    fn fingerprint(&self) -> &str {
        &self.inner.fingerprint
    }
    /// The gate request's JSON form as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "Gate(id={:?}, role={:?}, expires={:?})",
            self.inner.id, self.inner.role, self.inner.expires
        )
    }
}

/// What the guard decided about one event.
///
/// ```python
/// d = guard.check_output("connect to db7.corp.internal")
/// if d.action == "redact":
///     print(d.text)
/// d.raise_for_action()   # GuardrailBlocked / EscalationRequired
/// ```
#[pyclass(frozen, module = "guardrail", name = "Decision")]
pub struct PyDecision {
    inner: Decision,
    /// The event decided on: the texts that character offsets are computed against, only
    /// when `findings` is read.
    event: Event,
}

/// The text a finding's path points at in `event` (the JSON form's pointer).
fn text_at<'e>(event: &'e Event, path: &str) -> Option<&'e str> {
    let pointer = |value: &'e serde_json::Value, root: &str| {
        path.strip_prefix(root)
            .and_then(|rest| value.pointer(rest))
            .and_then(|v| v.as_str())
    };
    match &event.kind {
        EventKind::Prompt { text, .. } | EventKind::ModelOutput { text, .. } => {
            (path == "/text").then_some(text.as_str())
        }
        EventKind::ToolCall { args, .. } => pointer(args, "/args"),
        EventKind::ToolResult { output, .. } => pointer(output, "/output"),
        _ => None,
    }
}

/// Character spans of `findings` whose span points into a text `lookup` can resolve.
pub fn finding_chars<'t>(
    findings: &[Finding],
    lookup: impl Fn(&Finding) -> Option<&'t str>,
) -> Vec<Option<(usize, usize)>> {
    let mut out = vec![None; findings.len()];
    // Group by text so each text is walked once.
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if f.span.is_none() {
            continue;
        }
        let Some(text) = lookup(f) else { continue };
        match groups.iter_mut().find(|(t, _)| std::ptr::eq(*t, text)) {
            Some((_, idx)) => idx.push(i),
            None => groups.push((text, vec![i])),
        }
    }
    for (text, idx) in groups {
        let bytes: Vec<usize> = idx
            .iter()
            .filter_map(|&i| findings.get(i).and_then(|f| f.span))
            .flat_map(|s| [s.start, s.end])
            .collect();
        let chars = char_offsets(text, &bytes);
        for (k, &i) in idx.iter().enumerate() {
            let pair = (
                chars.get(2 * k).copied().flatten(),
                chars.get(2 * k + 1).copied().flatten(),
            );
            if let (Some(s), Some(e), Some(slot)) = (pair.0, pair.1, out.get_mut(i)) {
                *slot = Some((s, e));
            }
        }
    }
    out
}

impl PyDecision {
    /// Wraps a decision about `event`.
    pub fn new(inner: Decision, event: Event) -> PyDecision {
        PyDecision { inner, event }
    }

    fn findings_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let event = &self.event;
        let chars = finding_chars(&self.inner.findings, |f| {
            f.path.as_deref().and_then(|p| text_at(event, p))
        });
        let list = PyList::empty(py);
        for (i, f) in self.inner.findings.iter().enumerate() {
            let c = chars.get(i).copied().flatten();
            list.append(Bound::new(py, PyFinding::new(f.clone(), c))?)?;
        }
        Ok(list)
    }

    fn reasons(&self) -> String {
        let reasons: Vec<String> = self
            .inner
            .findings
            .iter()
            .filter(|f| f.action == self.inner.enforced && !f.shadow)
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        reasons.join("; ")
    }
}

#[pymethods]
impl PyDecision {
    /// The most severe action any finding asks for.
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        action(py, self.inner.action)
    }
    /// The action to carry out: `action` unless shadow mode holds it back.
    #[getter]
    fn enforced<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        action(py, self.inner.enforced)
    }
    /// Whether the host may go ahead with the event as it is (`enforced == "allow"`).
    #[getter]
    fn allowed(&self) -> bool {
        self.inner.is_allowed()
    }
    /// Every finding, in the order the layers reported them.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.findings_list(py)
    }
    /// The redacted text, where the action is redact and the event carries text.
    #[getter]
    fn text(&self) -> Option<&str> {
        self.inner.text.as_deref()
    }
    /// The redacted arguments (or tool output), where the action is redact and the event
    /// carries JSON.
    #[getter]
    fn args<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .args
            .as_ref()
            .map(|a| convert::to_py(py, a))
            .transpose()
    }
    /// The gate request, where the action is escalate.
    #[getter]
    fn gate(&self, py: Python<'_>) -> PyResult<Option<Py<PyGate>>> {
        self.inner
            .gate
            .as_ref()
            .map(|g| Py::new(py, PyGate { inner: g.clone() }))
            .transpose()
    }
    /// The policy's content hash (`sha256:...`).
    #[getter]
    fn policy_hash(&self) -> &str {
        &self.inner.policy
    }
    /// Raises `GuardrailBlocked` when the enforced action is block and `EscalationRequired`
    /// when it is escalate; returns the decision itself otherwise (allow, redact).
    fn raise_for_action<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        let this = slf.get();
        let err = match this.inner.enforced {
            Action::Allow | Action::Redact => return Ok(slf.clone()),
            Action::Block => GuardrailBlocked::new_err(format!("blocked: {}", this.reasons())),
            Action::Escalate => {
                let e =
                    EscalationRequired::new_err(format!("approval required: {}", this.reasons()));
                e.value(py).setattr("gate", this.gate(py)?)?;
                e
            }
        };
        err.value(py).setattr("decision", slf)?;
        Err(err)
    }
    /// The decision's JSON form as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, &self.inner)
    }
    /// The decision's JSON form.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner)
            .map_err(|e| PyValueError::new_err(format!("cannot encode the decision: {e}")))
    }
    fn __repr__(&self) -> String {
        format!(
            "Decision(action='{}', enforced='{}', findings={})",
            self.inner.action,
            self.inner.enforced,
            self.inner.findings.len()
        )
    }
}
