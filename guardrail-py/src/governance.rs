//! Governance: the audit chain's verification and the host's cost model.

use crate::convert;
use crate::errors::{AuditError, GuardrailError};
use guardrail_core::event::EventKind;
use guardrail_core::governance::audit::{verify_against_head, verify_continuation};
use guardrail_core::governance::{
    verify, AuditError as CoreAuditError, AuditHead, AuditRecord, CostModel,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde::de::DeserializeOwned;

fn parse<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let value = if let Ok(s) = obj.cast::<PyString>() {
        serde_json::from_str(&s.to_cow()?)
            .map_err(|e| PyValueError::new_err(format!("invalid {what}: {e}")))?
    } else {
        convert::to_json(obj)?
    };
    serde_json::from_value(value).map_err(|e| PyValueError::new_err(format!("invalid {what}: {e}")))
}

fn audit_error(py: Python<'_>, e: &CoreAuditError) -> PyErr {
    let (kind, index) = match e {
        CoreAuditError::Edited { index, .. } => ("edited", Some(*index)),
        CoreAuditError::Removed { index, .. } => ("removed", Some(*index)),
        CoreAuditError::Inserted { index, .. } => ("inserted", Some(*index)),
        CoreAuditError::Reordered { index, .. } => ("reordered", Some(*index)),
        CoreAuditError::Truncated { .. } => ("truncated", None),
        _ => ("invalid", None),
    };
    let err = AuditError::new_err(e.to_string());
    let value = err.value(py);
    match value
        .setattr("kind", kind)
        .and_then(|()| value.setattr("index", index))
    {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Verifies an audit chain (records as dicts, the JSON form `State.take_audit_records`
/// returns). Raises `AuditError` with `kind` (`edited`, `removed`, `inserted`, `reordered`,
/// `truncated`) and `index` (the position of the first broken record) when it does not hold.
///
/// `head`: the `State.audit_head()` the chain must end at (detects a removed tail).
/// `after`: the head stored with the previous batch, for records that continue it.
///
/// ```python
/// records = guard.state.take_audit_records()
/// verify_audit(records, head=guard.state.audit_head())
/// ```
#[pyfunction]
#[pyo3(signature = (records, *, head=None, after=None))]
pub fn verify_audit(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    head: Option<&Bound<'_, PyAny>>,
    after: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    if records.is_instance_of::<PyDict>() || records.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "records must be a list of audit records",
        ));
    }
    let mut parsed: Vec<AuditRecord> = Vec::new();
    for (i, item) in records.try_iter()?.enumerate() {
        parsed.push(parse(&item?, &format!("audit record {i}"))?);
    }
    let head: Option<AuditHead> = head.map(|h| parse(h, "audit head")).transpose()?;
    let after: Option<AuditHead> = after.map(|h| parse(h, "audit head")).transpose()?;
    let result = py.detach(|| match (&head, &after) {
        (Some(head), None) => Ok(verify_against_head(&parsed, head)),
        (None, Some(after)) => Ok(verify_continuation(after, &parsed)),
        (None, None) => Ok(verify(&parsed)),
        (Some(_), Some(_)) => Err(()),
    });
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(audit_error(py, &e)),
        Err(()) => Err(GuardrailError::new_err(
            "give `head` (a full chain) or `after` (a continuation), not both",
        )),
    }
}

/// A Python callable as the host's cost model: it receives an `llm_usage` event without
/// `cost_usd` (as a dict) and returns its cost in USD, or None when the model is unknown. A
/// callable that raises (reported through `sys.unraisablehook`) or returns something other
/// than a non-negative number counts as "unknown".
pub struct PyCostModel {
    callable: Py<PyAny>,
}

impl PyCostModel {
    pub fn new(callable: Bound<'_, PyAny>) -> PyResult<PyCostModel> {
        if !callable.is_callable() {
            return Err(PyTypeError::new_err("cost_model must be callable"));
        }
        Ok(PyCostModel {
            callable: callable.unbind(),
        })
    }
}

impl CostModel for PyCostModel {
    fn cost_usd(&self, usage: &EventKind) -> Option<f64> {
        let json = serde_json::to_value(usage).ok()?;
        Python::attach(|py| {
            let arg = convert::to_py(py, &json).ok()?;
            let callable = self.callable.bind(py);
            let out = match callable.call1((arg,)) {
                Ok(out) => out,
                Err(e) => {
                    // Reported like an exception in a finalizer; the cost counts as unknown.
                    e.write_unraisable(py, Some(callable));
                    return None;
                }
            };
            if out.is_none() {
                return None;
            }
            out.extract::<f64>()
                .ok()
                .filter(|c| c.is_finite() && *c >= 0.0)
        })
    }
}
