//! The exception hierarchy and the one place core errors become Python exceptions.

use guardrail_core::{
    BuildError, EventError as CoreEventError, PolicyError as CorePolicyError, PolicyIssue,
};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyList;

create_exception!(
    guardrail,
    GuardrailError,
    PyException,
    "Base class of every exception guardrail raises."
);
create_exception!(
    guardrail,
    PolicyError,
    GuardrailError,
    "A policy that failed to load. `issues` lists every problem (path, line, message, hint)."
);
create_exception!(
    guardrail,
    EventError,
    GuardrailError,
    "An event that is not valid (unknown type, missing field, wrong value)."
);
create_exception!(
    guardrail,
    GuardrailBlocked,
    GuardrailError,
    "Raised by `Decision.raise_for_action()` when the enforced action is `block`; `decision` holds it."
);
create_exception!(
    guardrail,
    EscalationRequired,
    GuardrailError,
    "Raised by `Decision.raise_for_action()` when the enforced action is `escalate`; `decision` and `gate` hold the request."
);

create_exception!(
    guardrail,
    AuditError,
    GuardrailError,
    "An audit chain that does not verify; `kind` (edited, removed, inserted, reordered, truncated) and `index` locate the break."
);

/// One problem of a policy, as found by the loader.
#[pyclass(frozen, module = "guardrail", name = "PolicyIssue")]
pub struct PyPolicyIssue {
    /// Dotted path into the document (`rules[2].regex`); empty for the whole document.
    #[pyo3(get)]
    path: String,
    /// 1-based line in the source, where known.
    #[pyo3(get)]
    line: Option<usize>,
    /// What is wrong.
    #[pyo3(get)]
    message: String,
    /// A fix to try, where the loader has one (`did you mean \`keywords\`?`).
    #[pyo3(get)]
    hint: Option<String>,
}

#[pymethods]
impl PyPolicyIssue {
    fn __repr__(&self) -> String {
        format!(
            "PolicyIssue(path={:?}, line={}, message={:?}, hint={})",
            self.path,
            self.line.map_or("None".to_string(), |l| l.to_string()),
            self.message,
            self.hint
                .as_ref()
                .map_or("None".to_string(), |h| format!("{h:?}"))
        )
    }

    fn __str__(&self) -> String {
        let issue = PolicyIssue {
            path: self.path.clone(),
            line: self.line,
            message: self.message.clone(),
            hint: self.hint.clone(),
        };
        issue.to_string()
    }
}

/// A `PolicyError` with its issues attached as `.issues`.
pub fn policy_error(py: Python<'_>, e: &CorePolicyError) -> PyErr {
    let issues: Vec<PyPolicyIssue> = e
        .issues()
        .iter()
        .map(|i| PyPolicyIssue {
            path: i.path.clone(),
            line: i.line,
            message: i.message.clone(),
            hint: i.hint.clone(),
        })
        .collect();
    with_attr(py, PolicyError::new_err(e.to_string()), "issues", issues)
}

/// A guard that cannot be built from a valid policy (a missing hash salt).
pub fn build_error(py: Python<'_>, e: &BuildError) -> PyErr {
    let issue = PyPolicyIssue {
        path: "content.redaction.operator".into(),
        line: None,
        message: e.to_string(),
        hint: Some("pass hash_salt=... when building the guard".into()),
    };
    with_attr(
        py,
        PolicyError::new_err(e.to_string()),
        "issues",
        vec![issue],
    )
}

/// An `EventError` with the core's message.
pub fn event_error(e: &CoreEventError) -> PyErr {
    EventError::new_err(e.to_string())
}

fn with_attr(py: Python<'_>, err: PyErr, name: &str, issues: Vec<PyPolicyIssue>) -> PyErr {
    let attach = || -> PyResult<()> {
        let list = PyList::empty(py);
        for issue in issues {
            list.append(Bound::new(py, issue)?)?;
        }
        err.value(py).setattr(name, list)
    };
    match attach() {
        Ok(()) => err,
        Err(e) => e,
    }
}
