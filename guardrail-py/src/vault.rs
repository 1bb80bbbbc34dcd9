//! The PII vault: reversible pseudonymization held by the host.

use crate::convert;
use crate::errors::GuardrailError;
use crate::policy::text_arg;
use guardrail_core::content::pii::Vault;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::{Mutex, MutexGuard};

/// The originals behind the placeholders of one conversation (`<EMAIL_1>` ->
/// `jane.doe@example.com`). `Guard.pseudonymize` fills it; `restore` puts the originals back
/// into the model's answer. It holds personal data: store `to_json()` as such.
///
/// ```python
/// vault = Vault()
/// masked = guard.pseudonymize("Mail jane.doe@example.com", vault)   # 'Mail <EMAIL_1>'
/// vault.restore("Sent to <EMAIL_1>.")                              # 'Sent to jane.doe@example.com.'
/// ```
#[pyclass(frozen, module = "guardrail", name = "Vault")]
pub struct PyVault {
    inner: Mutex<Vault>,
}

impl PyVault {
    pub fn lock(&self) -> MutexGuard<'_, Vault> {
        // Vault updates complete before any call that could panic; a poisoned lock still
        // holds a consistent vault.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl PyVault {
    /// An empty vault.
    #[new]
    fn new() -> Self {
        PyVault {
            inner: Mutex::new(Vault::new()),
        }
    }

    /// `text` with every placeholder this vault issued replaced by its original; unknown
    /// placeholders stay as they are.
    fn restore(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<String> {
        let text = text_arg(text, "text")?;
        Ok(py.detach(|| self.lock().restore(&text)))
    }

    /// The original behind a placeholder (`<EMAIL_1>` or `EMAIL_1`), or None.
    fn original(&self, placeholder: &str) -> Option<String> {
        self.lock().original(placeholder).map(str::to_string)
    }

    /// The vault as JSON, to keep it between turns.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&*self.lock())
            .map_err(|e| GuardrailError::new_err(format!("cannot encode the vault: {e}")))
    }

    /// A vault restored from `to_json()` (a str or the parsed dict).
    #[staticmethod]
    fn from_json(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let parsed: Result<Vault, serde_json::Error> = if data.is_instance_of::<PyDict>() {
            serde_json::from_value(convert::to_json(data)?)
        } else {
            serde_json::from_str(&text_arg(data, "vault")?)
        };
        parsed
            .map(|v| PyVault {
                inner: Mutex::new(v),
            })
            .map_err(|e| GuardrailError::new_err(format!("invalid vault: {e}")))
    }

    fn __len__(&self) -> usize {
        self.lock().len()
    }

    fn __repr__(&self) -> String {
        // Never the originals: they are personal data.
        format!("Vault(len={})", self.lock().len())
    }
}
