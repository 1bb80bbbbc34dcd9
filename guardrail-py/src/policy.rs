//! `Policy` and `State`: thin owners of the core's compiled policy and mutable state.

use crate::convert;
use crate::errors::{policy_error, GuardrailError};
use guardrail_core::{Policy, State, StateSnapshot};
use pyo3::exceptions::{PyTypeError, PyUnicodeDecodeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use std::sync::Arc;

/// A loaded, validated and compiled policy (YAML or JSON, or a dict).
///
/// ```python
/// policy = Policy.from_yaml("version: 1\nmode: shadow\n")
/// policy.hash        # 'sha256:...'
/// ```
#[pyclass(frozen, module = "guardrail", name = "Policy")]
pub struct PyPolicy {
    pub inner: Policy,
}

impl PyPolicy {
    pub fn load_yaml(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = text_arg(text, "policy")?;
        let loaded = py.detach(|| Policy::from_yaml(&text));
        loaded
            .map(|inner| PyPolicy { inner })
            .map_err(|e| policy_error(py, &e))
    }

    pub fn load_dict(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !document.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(format!(
                "a policy document must be a dict, not {}",
                document.get_type().name()?
            )));
        }
        let value = convert::to_json(document)?;
        let loaded = py.detach(|| Policy::from_value(value));
        loaded
            .map(|inner| PyPolicy { inner })
            .map_err(|e| policy_error(py, &e))
    }
}

#[pymethods]
impl PyPolicy {
    /// Loads a policy from YAML (or JSON) text. Raises `PolicyError` with `.issues`.
    #[staticmethod]
    fn from_yaml(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        PyPolicy::load_yaml(py, text)
    }

    /// Loads a policy from a dict (the same document as YAML).
    #[staticmethod]
    fn from_dict(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        PyPolicy::load_dict(py, document)
    }

    /// The built-in default policy.
    #[staticmethod]
    pub fn default() -> Self {
        PyPolicy {
            inner: Policy::builtin(),
        }
    }

    /// The content hash (`sha256:<hex>`); formatting and key order do not change it.
    #[getter]
    fn hash(&self) -> &str {
        self.inner.hash()
    }

    /// Advice that does not make the policy invalid.
    fn lints(&self) -> Vec<String> {
        self.inner.lints()
    }

    /// The document as loaded, defaults filled in, as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, self.inner.doc())
    }

    /// The JSON Schema of the policy document.
    #[staticmethod]
    fn json_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        convert::to_py(py, &Policy::json_schema())
    }

    fn __repr__(&self) -> String {
        format!("Policy(hash={:?})", self.inner.hash())
    }
}

/// Text given as `str` (or UTF-8 `bytes`); anything else is a `TypeError`.
pub fn text_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        let bytes = b.as_bytes();
        return match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(match PyUnicodeDecodeError::new_utf8(obj.py(), bytes, e) {
                Ok(err) => PyErr::from_value(err.into_any()),
                Err(err) => err,
            }),
        };
    }
    Err(PyTypeError::new_err(format!(
        "the {what} must be str, not {}",
        obj.get_type().name()?
    )))
}

/// What the stateful layers remember between events: pending gates, counters and budgets.
/// Snapshot it as JSON and restore it after a restart.
///
/// ```python
/// saved = guard.state.snapshot()              # a JSON string
/// guard = Guard.from_yaml(text, state=State.restore(saved))
/// ```
#[pyclass(frozen, module = "guardrail", name = "State")]
pub struct PyState {
    pub inner: Arc<State>,
}

impl PyState {
    pub fn new_empty() -> Self {
        PyState {
            inner: Arc::new(State::new()),
        }
    }
}

#[pymethods]
impl PyState {
    /// Empty state.
    #[new]
    fn new() -> Self {
        PyState::new_empty()
    }

    /// A JSON copy of everything the state holds.
    fn snapshot(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.snapshot())
            .map_err(|e| GuardrailError::new_err(format!("cannot encode the state: {e}")))
    }

    /// State restored from `snapshot()`'s JSON (a str or the parsed dict).
    #[staticmethod]
    fn restore(snapshot: &Bound<'_, PyAny>) -> PyResult<Self> {
        let parsed: Result<StateSnapshot, serde_json::Error> =
            if snapshot.is_instance_of::<PyDict>() {
                serde_json::from_value(convert::to_json(snapshot)?)
            } else {
                serde_json::from_str(&text_arg(snapshot, "snapshot")?)
            };
        let snap =
            parsed.map_err(|e| GuardrailError::new_err(format!("invalid state snapshot: {e}")))?;
        Ok(PyState {
            inner: Arc::new(State::restore(snap)),
        })
    }

    /// Gates waiting for approval, as dicts.
    fn pending_gates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, &self.inner.pending_gates())
    }

    /// Takes the audit records appended since the last call (dicts, in chain order). Store
    /// them; the state keeps only the chain's head. Empty unless `governance.audit.enabled`.
    fn take_audit_records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, &self.inner.take_audit_records())
    }

    /// The audit chain's head: `{"seq": records so far, "hash": the last record's hash}`.
    fn audit_head<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, &self.inner.audit_head())
    }

    /// Cost, tokens and calls by team, agent, workflow and tag.
    fn showback<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serialize_to_py(py, &self.inner.showback())
    }

    fn __repr__(&self) -> String {
        format!("State(pending_gates={})", self.inner.pending_gates().len())
    }
}
