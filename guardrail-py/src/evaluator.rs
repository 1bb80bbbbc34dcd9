//! Host evaluators written in Python (a classifier, an in-house rule), run by the core in
//! their layer's place. The callable runs under the GIL; an exception becomes an
//! `EvaluatorError`, so the layer's fail mode applies (closed by default).

use crate::convert;
use guardrail_core::event::Event;
use guardrail_core::{Evaluator, EvaluatorError, Finding, Layer};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde_json::Value;

/// A Python callable registered as a host evaluator.
///
/// The callable receives the event as a dict (its JSON form) and returns None or an
/// iterable of findings, each a dict with at least `rule` and `action`; `message`,
/// `severity` (default `medium`), `category` (default `classifier`), `confidence`
/// (default 1.0), `path` and `span` (`{"start": .., "end": ..}` in bytes) are optional.
///
/// ```python
/// def toxicity(event):
///     if "idiot" in event.get("text", ""):
///         return [{"rule": "safety.toxicity", "action": "block", "severity": "high"}]
///     return None
///
/// guard = Guard.default(evaluators=[Evaluator(toxicity, layer="content")])
/// ```
#[pyclass(frozen, module = "guardrail", name = "Evaluator")]
pub struct PyEvaluator {
    callable: Py<PyAny>,
    name: String,
    layer: Layer,
}

#[pymethods]
impl PyEvaluator {
    #[new]
    #[pyo3(signature = (callable, *, name=None, layer="content"))]
    fn new(callable: Bound<'_, PyAny>, name: Option<String>, layer: &str) -> PyResult<Self> {
        if !callable.is_callable() {
            return Err(PyTypeError::new_err("an evaluator must be callable"));
        }
        let layer: Layer = serde_json::from_value(Value::String(layer.to_string()))
            .map_err(|_| {
                PyValueError::new_err(format!(
                    "unknown layer `{layer}` (expected constraints, content, observe, gates or governance)"
                ))
            })?;
        let name = match name {
            Some(n) => n,
            None => callable
                .getattr("__name__")
                .and_then(|n| n.extract::<String>())
                .unwrap_or_else(|_| "python".to_string()),
        };
        Ok(PyEvaluator {
            callable: callable.unbind(),
            name,
            layer,
        })
    }

    /// The evaluator's name, used in internal-error findings.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The layer it runs in.
    #[getter]
    fn layer(&self) -> &'static str {
        self.layer.as_str()
    }

    fn __repr__(&self) -> String {
        format!("Evaluator(name={:?}, layer='{}')", self.name, self.layer)
    }
}

impl PyEvaluator {
    /// A second handle on the same callable, for the core's evaluator list.
    pub fn handle(&self, py: Python<'_>) -> Hook {
        Hook {
            callable: self.callable.clone_ref(py),
            name: self.name.clone(),
            layer: self.layer,
        }
    }
}

/// The core-side evaluator: calls back into Python.
pub struct Hook {
    callable: Py<PyAny>,
    name: String,
    layer: Layer,
}

impl Hook {
    fn call(&self, py: Python<'_>, event: &Event) -> PyResult<Vec<Finding>> {
        let json = serde_json::to_value(event)
            .map_err(|e| PyValueError::new_err(format!("cannot encode the event: {e}")))?;
        let result = self
            .callable
            .bind(py)
            .call1((convert::to_py(py, &json)?,))?;
        if result.is_none() {
            return Ok(Vec::new());
        }
        let mut findings = Vec::new();
        for item in result.try_iter()? {
            let item = item?;
            let value = convert::to_json(&item)?;
            let Value::Object(mut map) = value else {
                return Err(PyTypeError::new_err(
                    "an evaluator must return dicts (one per finding)",
                ));
            };
            let rule = map.get("rule").and_then(Value::as_str).map(str::to_string);
            let Some(rule) = rule else {
                return Err(PyValueError::new_err("a finding needs a `rule` (str)"));
            };
            let defaults = [
                ("layer", Value::String(self.layer.as_str().into())),
                ("category", Value::String("classifier".into())),
                ("severity", Value::String("medium".into())),
                ("confidence", Value::from(1.0)),
                ("message", Value::String(rule)),
            ];
            for (k, v) in defaults {
                map.entry(k).or_insert(v);
            }
            let finding: Finding = serde_json::from_value(Value::Object(map))
                .map_err(|e| PyValueError::new_err(format!("invalid finding: {e}")))?;
            findings.push(finding);
        }
        Ok(findings)
    }
}

impl Evaluator for Hook {
    fn layer(&self) -> Layer {
        self.layer
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn evaluate(&self, event: &Event, findings: &mut Vec<Finding>) -> Result<(), EvaluatorError> {
        Python::attach(|py| match self.call(py, event) {
            Ok(found) => {
                findings.extend(found);
                Ok(())
            }
            Err(e) => {
                let kind = e
                    .get_type(py)
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "Exception".into());
                let message = e
                    .value(py)
                    .str()
                    .map(|s: Bound<'_, PyString>| s.to_string())
                    .unwrap_or_default();
                Err(EvaluatorError::new(format!("{kind}: {message}")))
            }
        })
    }
}

/// Reads the `evaluators=` argument: `Evaluator`s or plain callables (content layer).
pub fn hooks(py: Python<'_>, items: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Hook>> {
    let Some(items) = items else {
        return Ok(Vec::new());
    };
    if items.is_instance_of::<PyDict>() || items.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "evaluators must be a list of callables or Evaluator objects",
        ));
    }
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        if let Ok(e) = item.cast::<PyEvaluator>() {
            out.push(e.get().handle(py));
        } else {
            let e = PyEvaluator::new(item, None, "content")?;
            out.push(e.handle(py));
        }
    }
    Ok(out)
}

/// A Python callable as a safety classifier (`GuardBuilder::classifier`): it receives the
/// text and its channel name and returns label scores from 0 to 1 (a dict `{label: score}` or
/// `(label, score)` pairs); the policy's `content.safety` settings turn them into findings
/// (scores outside 0 to 1 are ignored).
/// A callable that raises is reported through `sys.unraisablehook` and scores nothing; use an
/// `Evaluator` where a failure must block (fail closed).
pub struct PyClassifier {
    callable: Py<PyAny>,
}

impl PyClassifier {
    pub fn new(callable: Bound<'_, PyAny>) -> PyResult<PyClassifier> {
        if !callable.is_callable() {
            return Err(PyTypeError::new_err("a classifier must be callable"));
        }
        Ok(PyClassifier {
            callable: callable.unbind(),
        })
    }

    fn scores(out: &Bound<'_, PyAny>) -> PyResult<Vec<(String, f32)>> {
        if out.is_none() {
            return Ok(Vec::new());
        }
        if let Ok(d) = out.cast::<PyDict>() {
            return d
                .iter()
                .map(|(k, v)| Ok((k.extract()?, v.extract()?)))
                .collect();
        }
        out.try_iter()?.map(|item| item?.extract()).collect()
    }
}

impl guardrail_core::content::safety::Classifier for PyClassifier {
    fn classify(&self, text: &str, channel: guardrail_core::Channel) -> Vec<(String, f32)> {
        Python::attach(|py| {
            let callable = self.callable.bind(py);
            match callable
                .call1((text, channel.as_str()))
                .and_then(|out| PyClassifier::scores(&out))
            {
                Ok(scores) => scores,
                Err(e) => {
                    e.write_unraisable(py, Some(callable));
                    Vec::new()
                }
            }
        })
    }
}
