//! `Guard`: a compiled policy, the state it updates and the host's default context.
//! Every check builds one core event (the same JSON form as everywhere), evaluates it with
//! the GIL released, and wraps the decision.

use crate::convert;
use crate::decision::{finding_chars, PyDecision, PyFinding};
use crate::errors::{build_error, event_error};
use crate::evaluator::{hooks, PyClassifier};
use crate::governance::PyCostModel;
use crate::policy::{text_arg, PyPolicy, PyState};
use crate::stream::PyTextStream;
use crate::vault::PyVault;
use guardrail_core::event::{Context, Event, EventKind, Role, ToolStatus};
use guardrail_core::{Channel, Guard, State, Timestamp};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The host clock: the binding's convenience for events that carry no `ts`.
fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_unix_millis(ms)
}

fn timestamp(obj: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Timestamp::parse_rfc3339(&s.to_cow()?).map_err(|e| event_error(&e));
    }
    obj.extract::<i64>()
        .map(Timestamp::from_unix_millis)
        .map_err(|_| {
            PyTypeError::new_err("`ts` must be an RFC 3339 str or an int of Unix milliseconds")
        })
}

fn opt_string(obj: &Bound<'_, PyAny>, key: &str) -> PyResult<Option<String>> {
    if obj.is_none() {
        return Ok(None);
    }
    obj.extract::<String>()
        .map(Some)
        .map_err(|_| PyTypeError::new_err(format!("`{key}` must be a str or None")))
}

fn tags(obj: &Bound<'_, PyAny>) -> PyResult<BTreeMap<String, String>> {
    if obj.is_none() {
        return Ok(BTreeMap::new());
    }
    obj.extract::<BTreeMap<String, String>>()
        .map_err(|_| PyTypeError::new_err("`tags` must be a dict of str to str"))
}

/// Applies the context keywords (`agent`, `workflow`, `run`, `env`, `principal`, `tags`,
/// `ts`) to `ctx`; any other keyword is a `TypeError`.
fn apply_context(ctx: &mut Context, kwargs: &Bound<'_, PyDict>) -> PyResult<()> {
    for (k, v) in kwargs.iter() {
        let key: String = k.extract()?;
        match key.as_str() {
            "agent" => ctx.agent = opt_string(&v, &key)?,
            "workflow" => ctx.workflow = opt_string(&v, &key)?,
            "run" => ctx.run = opt_string(&v, &key)?,
            "env" => ctx.env = opt_string(&v, &key)?,
            "principal" => ctx.principal = opt_string(&v, &key)?,
            "tags" => ctx.tags = tags(&v)?,
            "ts" => ctx.ts = timestamp(&v)?,
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument `{other}` (context keywords: agent, workflow, run, env, principal, tags, ts)"
                )))
            }
        }
    }
    Ok(())
}

fn enum_arg<T: serde::de::DeserializeOwned>(
    value: &str,
    what: &str,
    expected: &str,
) -> PyResult<T> {
    serde_json::from_value(Value::String(value.to_string())).map_err(|_| {
        PyValueError::new_err(format!("unknown {what} `{value}` (expected {expected})"))
    })
}

fn channel_arg(name: &str) -> PyResult<Channel> {
    Channel::parse(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown channel `{name}` (expected user, system, model_output, tool_args or tool_output)"
        ))
    })
}

/// Evaluates events against a compiled policy. Immutable and safe to share between threads;
/// every check releases the GIL while the core runs.
///
/// ```python
/// guard = Guard.from_yaml(open("policy.yaml").read(), agent="billing-bot")
/// d = guard.check_tool_call("db.query", {"sql": "DROP TABLE users"})
/// d.raise_for_action()
/// ```
#[pyclass(frozen, subclass, module = "guardrail", name = "Guard")]
pub struct PyGuard {
    guard: Guard,
    policy: Py<PyPolicy>,
    state: Py<PyState>,
    state_inner: Arc<State>,
    defaults: Context,
}

/// A float as JSON: NaN and infinities have no JSON form and are refused.
fn finite(value: Option<f64>, what: &str) -> PyResult<Value> {
    match value {
        None => Ok(Value::Null),
        Some(v) => serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err(format!("`{what}` must be a finite number"))),
    }
}

impl PyGuard {
    /// Builds an event of type `kind` through its JSON form, so that it is validated
    /// exactly like a dict event (`Event::from_value`). Null fields are left out.
    fn validated(
        &self,
        kwargs: Option<&Bound<'_, PyDict>>,
        kind: &str,
        fields: Vec<(&str, Value)>,
    ) -> PyResult<Event> {
        let context = self.context(kwargs)?;
        let ts = context.ts.unix_millis();
        let Value::Object(mut map) = serde_json::to_value(context)
            .map_err(|e| PyValueError::new_err(format!("cannot encode the context: {e}")))?
        else {
            return Err(PyValueError::new_err("cannot encode the context"));
        };
        map.insert("ts".into(), Value::from(ts));
        map.insert("type".into(), Value::String(kind.into()));
        for (key, value) in fields {
            if !value.is_null() {
                map.insert(key.into(), value);
            }
        }
        Event::from_value(Value::Object(map)).map_err(|e| event_error(&e))
    }

    fn context(&self, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Context> {
        let mut ctx = self.defaults.clone();
        ctx.ts = now();
        if let Some(kwargs) = kwargs {
            apply_context(&mut ctx, kwargs)?;
        }
        Ok(ctx)
    }

    fn run(&self, py: Python<'_>, event: Event) -> PyDecision {
        let (guard, state) = (&self.guard, &self.state_inner);
        let decision = py.detach(|| guard.evaluate(&event, state));
        PyDecision::new(decision, event)
    }

    fn check(
        &self,
        py: Python<'_>,
        kind: EventKind,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDecision> {
        let context = self.context(kwargs)?;
        Ok(self.run(py, Event { context, kind }))
    }

    fn construct<'py>(
        cls: &Bound<'py, PyType>,
        policy: PyPolicy,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = PyTuple::new(cls.py(), [Bound::new(cls.py(), policy)?])?;
        cls.call(args, kwargs)
    }
}

#[pymethods]
impl PyGuard {
    /// A guard over `policy` (the built-in default when None).
    ///
    /// Keywords: `shadow` forces shadow mode on or off; `hash_salt` is the secret salt of the
    /// `hash` redaction operator; `evaluators` adds Python classifiers (callables or
    /// `Evaluator`s); `classifiers` adds safety classifiers (callables `(text, channel)` returning
    /// label scores, judged by the policy's `content.safety` settings); `cost_model` prices `llm_usage` events that carry no cost (a callable
    /// taking the event dict, returning USD or None); `state` shares or restores a `State`; `agent`, `workflow`, `env`,
    /// `principal` and `tags` are the default context of every event.
    #[new]
    #[pyo3(signature = (policy=None, *, shadow=None, hash_salt=None, evaluators=None, classifiers=None, cost_model=None, state=None, agent=None, workflow=None, env=None, principal=None, tags=None))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn new(
        py: Python<'_>,
        policy: Option<Bound<'_, PyPolicy>>,
        shadow: Option<bool>,
        hash_salt: Option<&Bound<'_, PyAny>>,
        evaluators: Option<&Bound<'_, PyAny>>,
        classifiers: Option<Vec<Bound<'_, PyAny>>>,
        cost_model: Option<Bound<'_, PyAny>>,
        state: Option<Bound<'_, PyState>>,
        agent: Option<String>,
        workflow: Option<String>,
        env: Option<String>,
        principal: Option<String>,
        tags: Option<BTreeMap<String, String>>,
    ) -> PyResult<Self> {
        let policy = match policy {
            Some(p) => p,
            None => Bound::new(py, PyPolicy::default())?,
        };
        let mut builder = Guard::builder();
        if let Some(shadow) = shadow {
            builder = builder.shadow(shadow);
        }
        if let Some(salt) = hash_salt {
            let salt: Vec<u8> = if let Ok(s) = salt.cast::<PyString>() {
                s.to_cow()?.as_bytes().to_vec()
            } else {
                salt.extract::<Vec<u8>>()
                    .map_err(|_| PyTypeError::new_err("`hash_salt` must be str or bytes"))?
            };
            builder = builder.hash_salt(salt);
        }
        for hook in hooks(py, evaluators)? {
            builder = builder.evaluator(hook);
        }
        for classifier in classifiers.unwrap_or_default() {
            builder = builder.classifier(Arc::new(PyClassifier::new(classifier)?));
        }
        if let Some(model) = cost_model {
            builder = builder.cost_model(PyCostModel::new(model)?);
        }
        let guard = builder
            .build(&policy.get().inner)
            .map_err(|e| build_error(py, &e))?;
        let state = match state {
            Some(s) => s,
            None => Bound::new(py, PyState::new_empty())?,
        };
        let defaults = Context {
            agent,
            workflow,
            env,
            principal,
            tags: tags.unwrap_or_default(),
            ..Context::default()
        };
        Ok(PyGuard {
            guard,
            state_inner: Arc::clone(&state.get().inner),
            policy: policy.unbind(),
            state: state.unbind(),
            defaults,
        })
    }

    /// A guard over the built-in default policy; keywords as for `Guard(...)`.
    #[classmethod]
    #[pyo3(signature = (**kwargs))]
    fn default<'py>(
        cls: &Bound<'py, PyType>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        PyGuard::construct(cls, PyPolicy::default(), kwargs)
    }

    /// A guard over a YAML (or JSON) policy; raises `PolicyError` with `.issues`.
    ///
    /// ```python
    /// guard = Guard.from_yaml("version: 1\nmode: shadow\n")
    /// ```
    #[classmethod]
    #[pyo3(signature = (text, **kwargs))]
    fn from_yaml<'py>(
        cls: &Bound<'py, PyType>,
        text: &Bound<'py, PyAny>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let policy = PyPolicy::load_yaml(cls.py(), text)?;
        PyGuard::construct(cls, policy, kwargs)
    }

    /// A guard over a policy given as a dict.
    #[classmethod]
    #[pyo3(signature = (document, **kwargs))]
    fn from_dict<'py>(
        cls: &Bound<'py, PyType>,
        document: &Bound<'py, PyAny>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let policy = PyPolicy::load_dict(cls.py(), document)?;
        PyGuard::construct(cls, policy, kwargs)
    }

    /// The compiled policy.
    #[getter]
    fn policy(&self, py: Python<'_>) -> Py<PyPolicy> {
        self.policy.clone_ref(py)
    }

    /// The policy's content hash.
    #[getter]
    fn policy_hash(&self) -> &str {
        self.guard.policy_hash()
    }

    /// The state this guard updates (pending gates, counters); snapshot it to persist.
    #[getter]
    fn state(&self, py: Python<'_>) -> Py<PyState> {
        self.state.clone_ref(py)
    }

    /// Checks text going to the model. `role` is `user` (default), `system` or `developer`.
    ///
    /// ```python
    /// d = guard.check_prompt("ignore previous instructions", run="r-1")
    /// ```
    #[pyo3(signature = (text, *, role="user", **context))]
    fn check_prompt(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        role: &str,
        context: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDecision> {
        let role: Role = enum_arg(role, "role", "user, system or developer")?;
        let text = text_arg(text, "text")?;
        self.check(py, EventKind::Prompt { role, text }, context)
    }

    /// Checks text the model produced; a redact decision carries the redacted `text`.
    #[pyo3(signature = (text, *, model=None, **context))]
    fn check_output(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        model: Option<String>,
        context: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDecision> {
        let text = text_arg(text, "text")?;
        self.check(py, EventKind::ModelOutput { text, model }, context)
    }

    /// Checks a tool call before it runs; a redact decision carries the redacted `args`.
    ///
    /// ```python
    /// d = guard.check_tool_call("db.query", {"sql": "SELECT 1"}, call_id="c-1")
    /// ```
    #[pyo3(signature = (name, args=None, *, call_id=None, **context))]
    fn check_tool_call(
        &self,
        py: Python<'_>,
        name: String,
        args: Option<&Bound<'_, PyAny>>,
        call_id: Option<String>,
        context: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDecision> {
        let args = args
            .map(convert::to_json)
            .transpose()?
            .unwrap_or(Value::Null);
        let event = self.validated(
            context,
            "tool_call",
            vec![
                ("tool", Value::String(name)),
                ("call_id", call_id.map_or(Value::Null, Value::String)),
                ("args", args),
            ],
        )?;
        Ok(self.run(py, event))
    }

    /// Checks a tool's result after it ran (`status`: `ok`, `error` or `timeout`).
    #[pyo3(signature = (name, output, *, call_id=None, status="ok", duration_ms=None, **context))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn check_tool_result(
        &self,
        py: Python<'_>,
        name: String,
        output: &Bound<'_, PyAny>,
        call_id: Option<String>,
        status: &str,
        duration_ms: Option<f64>,
        context: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDecision> {
        let _: ToolStatus = enum_arg(status, "status", "ok, error or timeout")?;
        let output = convert::to_json(output)?;
        let event = self.validated(
            context,
            "tool_result",
            vec![
                ("tool", Value::String(name)),
                ("call_id", call_id.map_or(Value::Null, Value::String)),
                ("output", output),
                ("status", Value::String(status.into())),
                ("duration_ms", finite(duration_ms, "duration_ms")?),
            ],
        )?;
        Ok(self.run(py, event))
    }

    /// Records the tokens (and cost) of one model call; budgets and cost SLOs see it.
    #[pyo3(signature = (model, *, input_tokens=0, output_tokens=0, cached_input_tokens=0, cache_write_tokens=0, cost_usd=None, provider=None, duration_ms=None, **context))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn record_usage(
        &self,
        py: Python<'_>,
        model: String,
        input_tokens: u64,
        output_tokens: u64,
        cached_input_tokens: u64,
        cache_write_tokens: u64,
        cost_usd: Option<f64>,
        provider: Option<String>,
        duration_ms: Option<f64>,
        context: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDecision> {
        let event = self.validated(
            context,
            "llm_usage",
            vec![
                ("model", Value::String(model)),
                ("provider", provider.map_or(Value::Null, Value::String)),
                ("input_tokens", Value::from(input_tokens)),
                ("output_tokens", Value::from(output_tokens)),
                ("cached_input_tokens", Value::from(cached_input_tokens)),
                ("cache_write_tokens", Value::from(cache_write_tokens)),
                ("cost_usd", finite(cost_usd, "cost_usd")?),
                ("duration_ms", finite(duration_ms, "duration_ms")?),
            ],
        )?;
        Ok(self.run(py, event))
    }

    /// Delivers a human's answer to a gate request (`approve=False` denies it).
    ///
    /// ```python
    /// d = guard.approve(gate.id, approver="alice", role="db-owner")
    /// ```
    #[pyo3(signature = (gate, approver, role, *, approve=true, comment=None, **context))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn approve(
        &self,
        py: Python<'_>,
        gate: String,
        approver: String,
        role: String,
        approve: bool,
        comment: Option<String>,
        context: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyDecision> {
        let kind = EventKind::Approval {
            gate,
            approver,
            role,
            approve,
            comment,
        };
        self.check(py, kind, context)
    }

    /// Evaluates an event given as a dict in its JSON form (`{"type": "tool_call", ...}`).
    /// A missing `ts` is filled from the clock, missing context from the guard's defaults.
    #[pyo3(signature = (event))]
    fn evaluate(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<PyDecision> {
        if !event.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(format!(
                "an event must be a dict, not {}",
                event.get_type().name()?
            )));
        }
        let Value::Object(mut map) = convert::to_json(event)? else {
            return Err(PyTypeError::new_err("an event must be a dict"));
        };
        if !map.contains_key("ts") {
            map.insert("ts".into(), Value::from(now().unix_millis()));
        }
        let defaults = [
            ("agent", &self.defaults.agent),
            ("workflow", &self.defaults.workflow),
            ("env", &self.defaults.env),
            ("principal", &self.defaults.principal),
        ];
        for (key, value) in defaults {
            if let Some(v) = value {
                map.entry(key).or_insert_with(|| Value::String(v.clone()));
            }
        }
        if !self.defaults.tags.is_empty() && !map.contains_key("tags") {
            let tags = serde_json::to_value(&self.defaults.tags).unwrap_or(Value::Null);
            map.insert("tags".into(), tags);
        }
        let event = Event::from_value(Value::Object(map)).map_err(|e| event_error(&e))?;
        Ok(self.run(py, event))
    }

    /// Scans one text for every detector that runs on `channel` (no event, no state).
    /// Returns the findings; `start` / `end` index into `text`.
    #[pyo3(signature = (text, *, channel="user"))]
    fn scan<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
        channel: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let channel = channel_arg(channel)?;
        let text = text_arg(text, "text")?;
        let guard = &self.guard;
        let findings = py.detach(|| guard.scan(channel, &text));
        let chars = finding_chars(&findings, |_| Some(text.as_str()));
        let list = PyList::empty(py);
        for (i, f) in findings.into_iter().enumerate() {
            let c = chars.get(i).copied().flatten();
            list.append(Bound::new(py, PyFinding::new(f, c))?)?;
        }
        Ok(list)
    }

    /// Returns `text` with every non-allow finding replaced by its redaction operator's output.
    ///
    /// ```python
    /// guard.redact("mail bob@example.com")   # 'mail [REDACTED:email]' with PII on
    /// ```
    #[pyo3(signature = (text, *, channel="model_output"))]
    fn redact(&self, py: Python<'_>, text: &Bound<'_, PyAny>, channel: &str) -> PyResult<String> {
        let channel = channel_arg(channel)?;
        let text = text_arg(text, "text")?;
        let guard = &self.guard;
        Ok(py.detach(|| guard.redact(channel, &text).0))
    }

    /// Starts a scan of text that arrives in chunks on `channel` (a streamed model output).
    ///
    /// ```python
    /// stream = guard.stream()
    /// for chunk in model_output: show(stream.push(chunk)["text"])
    /// show(stream.finish()["text"])
    /// ```
    #[pyo3(signature = (*, channel="model_output"))]
    fn stream(&self, channel: &str) -> PyResult<PyTextStream> {
        Ok(PyTextStream::new(self.guard.stream(channel_arg(channel)?)))
    }

    /// The spans finished since `after` as an OTLP JSON trace export: a dict with `json` (the
    /// `ExportTraceServiceRequest` body, or None when there is no new span), `next` (pass it as
    /// `after` next time) and `spans`.
    ///
    /// ```python
    /// export = guard.otlp_traces()
    /// if export["json"]: post(export["json"]); after = export["next"]
    /// ```
    #[pyo3(signature = (after=0))]
    fn otlp_traces<'py>(&self, py: Python<'py>, after: u64) -> PyResult<Bound<'py, PyDict>> {
        let (guard, state) = (&self.guard, &self.state_inner);
        let export = py.detach(|| guard.otlp_traces(state, after));
        let out = PyDict::new(py);
        out.set_item("json", export.json)?;
        out.set_item("next", export.next)?;
        out.set_item("spans", export.spans)?;
        Ok(out)
    }

    /// Cumulative metrics (OpenTelemetry GenAI conventions plus guardrail's own) as OTLP JSON.
    fn otlp_metrics(&self, py: Python<'_>) -> String {
        let (guard, state) = (&self.guard, &self.state_inner);
        py.detach(|| guard.otlp_metrics(state))
    }

    /// The aggregates in the Prometheus text exposition format (serve it on `/metrics`).
    fn prometheus_text(&self, py: Python<'_>) -> String {
        let (guard, state) = (&self.guard, &self.state_inner);
        py.detach(|| guard.prometheus_text(state))
    }

    /// The operations view (runs, rates, latency quantiles, cost, alerts) as a dict.
    fn operations_view<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (guard, state) = (&self.guard, &self.state_inner);
        let view = py.detach(|| guard.operations_view(state));
        convert::serialize_to_py(py, &view)
    }

    /// `text` with every PII finding the policy acts on replaced by a placeholder from
    /// `vault` (`<EMAIL_1>`); the same value always gets the same placeholder within one
    /// vault. Send the result to the model and `vault.restore(answer)` afterwards.
    ///
    /// ```python
    /// vault = Vault()
    /// guard.pseudonymize("Mail jane.doe@example.com", vault)   # 'Mail <EMAIL_1>'
    /// ```
    #[pyo3(signature = (text, vault, *, channel="user"))]
    fn pseudonymize(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        vault: &Bound<'_, PyVault>,
        channel: &str,
    ) -> PyResult<String> {
        let channel = channel_arg(channel)?;
        let text = text_arg(text, "text")?;
        let (guard, vault) = (&self.guard, vault.get());
        Ok(py.detach(|| guard.pseudonymize(channel, &text, &mut vault.lock())))
    }

    fn __repr__(&self) -> String {
        format!("Guard(policy_hash={:?})", self.guard.policy_hash())
    }
}
