//! Python bindings of the guardrail engine: conversion, ownership, conveniences (the host
//! clock) and exceptions over `guardrail-core`. No policy logic lives here.
//!
//! Every class is `frozen` and every core object is `Send + Sync`, so the module declares
//! itself safe without the GIL (`gil_used = false`).

mod convert;
mod decision;
mod errors;
mod evaluator;
mod governance;
mod guard;
mod policy;
mod stream;
mod vault;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
fn _guardrail(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<guard::PyGuard>()?;
    m.add_class::<policy::PyPolicy>()?;
    m.add_class::<policy::PyState>()?;
    m.add_class::<decision::PyDecision>()?;
    m.add_class::<decision::PyFinding>()?;
    m.add_class::<decision::PyGate>()?;
    m.add_class::<evaluator::PyEvaluator>()?;
    m.add_class::<errors::PyPolicyIssue>()?;
    m.add_class::<vault::PyVault>()?;
    m.add_class::<stream::PyTextStream>()?;
    m.add("GuardrailError", py.get_type::<errors::GuardrailError>())?;
    m.add("PolicyError", py.get_type::<errors::PolicyError>())?;
    m.add("EventError", py.get_type::<errors::EventError>())?;
    m.add(
        "GuardrailBlocked",
        py.get_type::<errors::GuardrailBlocked>(),
    )?;
    m.add(
        "EscalationRequired",
        py.get_type::<errors::EscalationRequired>(),
    )?;
    m.add("AuditError", py.get_type::<errors::AuditError>())?;
    m.add_function(wrap_pyfunction!(governance::verify_audit, m)?)?;
    Ok(())
}
