//! `TextStream`: a view of the core's stream scanner that also maps byte spans to Python
//! character offsets in the whole stream.

use crate::decision::{action, PyFinding};
use crate::policy::text_arg;
use guardrail_core::{StreamChunk, TextStream};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::sync::Mutex;

struct State {
    stream: Option<TextStream>,
    /// The pushed text from stream byte `window_bytes` (character `window_chars`) on: enough
    /// to turn the spans of future findings into character offsets.
    window: String,
    window_bytes: usize,
    window_chars: usize,
}

/// A scan of text that arrives in chunks (a streamed model output), made by
/// `Guard.stream(channel=...)`. `push` each chunk and show the `text` it returns (redacted;
/// nothing in it can still match), then `finish`. Findings' `start` / `end` are character
/// offsets in the whole stream.
#[pyclass(frozen, module = "guardrail", name = "TextStream")]
pub struct PyTextStream {
    state: Mutex<State>,
}

impl PyTextStream {
    pub fn new(stream: TextStream) -> PyTextStream {
        PyTextStream {
            state: Mutex::new(State {
                stream: Some(stream),
                window: String::new(),
                window_bytes: 0,
                window_chars: 0,
            }),
        }
    }
}

#[pymethods]
impl PyTextStream {
    /// Adds the next chunk (str or UTF-8 bytes). Returns a dict: `text` (the next part of
    /// the stream, redacted, safe to show), `findings` (settled by this chunk) and `action`
    /// (the one to enforce; `BLOCK` means stop the stream).
    fn push<'py>(
        &self,
        py: Python<'py>,
        chunk: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let chunk = text_arg(chunk, "chunk")?;
        let mut state = self.lock()?;
        let stream = state
            .stream
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("the stream is finished"))?;
        let out = py.detach(|| stream.push(&chunk));
        state.window.push_str(&chunk);
        let result = to_dict(py, &state, out);
        if let Some(from) = state.stream.as_ref().map(TextStream::retained_from) {
            state.trim(from);
        }
        result
    }

    /// Ends the stream: returns the rest of the text and every finding still waiting, as
    /// `push` does. The stream cannot be used afterwards.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut state = self.lock()?;
        let stream = state
            .stream
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("the stream is finished"))?;
        let out = py.detach(|| stream.finish());
        to_dict(py, &state, out)
    }

    fn __repr__(&self) -> PyResult<String> {
        let state = self.lock()?;
        Ok(match &state.stream {
            Some(s) => format!("<guardrail.{s:?}>"),
            None => "<guardrail.TextStream finished>".to_string(),
        })
    }
}

impl PyTextStream {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the stream was poisoned by an earlier panic"))
    }
}

impl State {
    /// Forgets the text before stream byte `from` (no finding can point there any more).
    fn trim(&mut self, from: usize) {
        let mut cut = from
            .saturating_sub(self.window_bytes)
            .min(self.window.len());
        while !self.window.is_char_boundary(cut) {
            cut -= 1;
        }
        let dropped = self.window.get(..cut).unwrap_or("");
        self.window_chars += dropped.chars().count();
        self.window_bytes += cut;
        self.window.drain(..cut);
    }
}

fn to_dict<'py>(py: Python<'py>, state: &State, out: StreamChunk) -> PyResult<Bound<'py, PyDict>> {
    // Every span's ends in one walk of the window; an end outside it maps to nothing.
    let bytes: Vec<usize> = out
        .findings
        .iter()
        .flat_map(|f| f.span.map_or([usize::MAX; 2], |s| [s.start, s.end]))
        .map(|b| b.checked_sub(state.window_bytes).unwrap_or(usize::MAX))
        .collect();
    let chars = crate::convert::char_offsets(&state.window, &bytes);
    let findings = PyList::empty(py);
    for (i, f) in out.findings.into_iter().enumerate() {
        let pair = match (chars.get(2 * i), chars.get(2 * i + 1)) {
            (Some(Some(start)), Some(Some(end))) => {
                Some((state.window_chars + start, state.window_chars + end))
            }
            _ => None,
        };
        findings.append(Bound::new(py, PyFinding::new(f, pair))?)?;
    }
    let dict = PyDict::new(py);
    dict.set_item("text", out.text)?;
    dict.set_item("findings", findings)?;
    dict.set_item("action", action(py, out.action)?)?;
    Ok(dict)
}
