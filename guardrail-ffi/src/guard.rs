//! The guard handle, its options, and the calls that evaluate, scan and redact.

use crate::bytes::guardrail_bytes;
use crate::classifier::CClassifier;
use crate::error::{ffi_call, ffi_infallible, guardrail_error, guardrail_status, Failure};
use crate::findings::guardrail_findings;
use crate::input::{handle, text_in, write_out};
use crate::state::guardrail_state;
use crate::types::{channel_from, guardrail_action};
use guardrail_core::event::{EventKind, Role};
use guardrail_core::{interop, Event, Guard, Policy, Timestamp};
use std::ffi::{c_char, CString};

/// Settings of the guard that are not policy: a forced shadow mode, the salt of the `hash`
/// redaction operator, and host classifiers.
///
/// A `Box` owned by the caller: made by guardrail_options_new, freed by
/// guardrail_options_free; guardrail_guard_new only reads it. Not synchronized: set it up
/// from one thread.
#[derive(Default)]
pub struct guardrail_options {
    shadow: Option<bool>,
    hash_salt: Option<Vec<u8>>,
    classifiers: Vec<CClassifier>,
}

impl guardrail_options {
    pub(crate) fn add_classifier(&mut self, classifier: CClassifier) {
        self.classifiers.push(classifier);
    }
}

/// A compiled policy ready to evaluate events.
///
/// An `Arc`-backed, immutable guard owned by the caller: made by guardrail_guard_new or
/// guardrail_guard_new_default, freed by guardrail_guard_free. Thread-safe: share one guard
/// among all threads; every call taking a `const guardrail_guard *` may run concurrently
/// with any other such call.
pub struct guardrail_guard {
    guard: Guard,
    policy_hash: CString,
}

impl guardrail_guard {
    fn new(guard: Guard) -> guardrail_guard {
        let policy_hash = CString::new(guard.policy_hash()).unwrap_or_default();
        guardrail_guard { guard, policy_hash }
    }

    pub(crate) fn guard(&self) -> &Guard {
        &self.guard
    }
}

/// Makes options with nothing set (the policy decides everything). NULL only if the
/// library failed internally.
///
/// Ownership: the caller frees the options with guardrail_options_free.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn guardrail_options_new() -> *mut guardrail_options {
    ffi_infallible(std::ptr::null_mut(), || {
        Box::into_raw(Box::<guardrail_options>::default())
    })
}

/// Forces shadow mode on (`shadow` true: decisions are reported, never enforced) or off,
/// whatever the policy says.
///
/// # Safety
/// `options` is NULL or live options; `error_out` is NULL or writable.
///
/// Thread safety: not synchronized; no other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_options_set_shadow(
    options: *mut guardrail_options,
    shadow: bool,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or live options not used elsewhere, per the contract.
        let options = unsafe { options.as_mut() }.ok_or_else(|| Failure::null("options"))?;
        options.shadow = Some(shadow);
        Ok(())
    })
}

/// Sets the salt of the `hash` redaction operator (keep it secret and stable). The bytes
/// are copied; any bytes are accepted (NUL too), up to GUARDRAIL_MAX_INPUT_BYTES.
///
/// # Safety
/// `options` is NULL or live options; `salt` points to `salt_len` readable bytes (or is NULL
/// with length 0); `error_out` is NULL or writable.
///
/// Thread safety: not synchronized; no other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_options_set_hash_salt(
    options: *mut guardrail_options,
    salt: *const u8,
    salt_len: usize,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or live options not used elsewhere, per the contract.
        let options = unsafe { options.as_mut() }.ok_or_else(|| Failure::null("options"))?;
        if salt_len > crate::GUARDRAIL_MAX_INPUT_BYTES {
            return Err(Failure::new(
                guardrail_status::InputTooLarge,
                format!(
                    "`salt` is {salt_len} bytes; the limit is {} bytes",
                    crate::GUARDRAIL_MAX_INPUT_BYTES
                ),
            ));
        }
        if salt.is_null() && salt_len > 0 {
            return Err(Failure::new(
                guardrail_status::NullParameter,
                format!("`salt` is NULL but its length is {salt_len}"),
            ));
        }
        let bytes = if salt.is_null() {
            Vec::new()
        } else {
            // SAFETY: non-NULL, readable for `salt_len` (<= 64 MiB) bytes per the contract.
            unsafe { std::slice::from_raw_parts(salt, salt_len) }.to_vec()
        };
        options.hash_salt = Some(bytes);
        Ok(())
    })
}

/// Frees options. NULL does nothing.
///
/// # Safety
/// `options` is NULL or options from this library not freed yet.
///
/// Thread safety: no other thread may use the options during or after the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_options_free(options: *mut guardrail_options) {
    if !options.is_null() {
        ffi_infallible((), || {
            // SAFETY: made by Box::into_raw in this crate and freed once, per the contract.
            drop(unsafe { Box::from_raw(options) });
        })
    }
}

/// Loads, validates and compiles a policy (YAML or JSON text) into a guard.
///
/// Ownership: `policy` and `options` are borrowed for the call (`options` may be NULL: the
/// policy decides everything). On success `*guard_out` is a new guard the caller frees with
/// guardrail_guard_free; on failure it is NULL.
///
/// Errors: NULL_PARAMETER, INVALID_LENGTH, INVALID_UTF8, INPUT_TOO_LARGE, INVALID_POLICY
/// (guardrail_error_json lists every issue with its path and line), BUILD (the policy uses
/// the `hash` operator and no salt was set).
///
/// # Safety
/// `policy` points to `policy_len` readable bytes (or is NULL with length 0); `options` is
/// NULL or live options; `guard_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_new(
    policy: *const u8,
    policy_len: usize,
    options: *const guardrail_options,
    guard_out: *mut *mut guardrail_guard,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(guard_out, std::ptr::null_mut(), "guard_out") }?;
        // SAFETY: forwarded buffer contract.
        let text = unsafe { text_in(policy, policy_len, "policy") }?;
        // SAFETY: NULL or live options, per the contract.
        let options = unsafe { options.as_ref() };
        let policy = Policy::from_yaml(text).map_err(|e| Failure {
            status: guardrail_status::InvalidPolicy,
            message: e.to_string(),
            issues: e.issues().to_vec(),
        })?;
        let mut builder = Guard::builder();
        if let Some(o) = options {
            if let Some(shadow) = o.shadow {
                builder = builder.shadow(shadow);
            }
            if let Some(salt) = &o.hash_salt {
                builder = builder.hash_salt(salt.clone());
            }
            for classifier in &o.classifiers {
                builder = builder.classifier(std::sync::Arc::new(*classifier));
            }
        }
        let guard = builder
            .build(&policy)
            .map_err(|e| Failure::new(guardrail_status::Build, e.to_string()))?;
        let raw = Box::into_raw(Box::new(guardrail_guard::new(guard)));
        // SAFETY: checked writable above.
        unsafe { write_out(guard_out, raw, "guard_out") }
    })
}

/// Makes a guard over the built-in default policy.
///
/// Ownership: on success `*guard_out` is a new guard the caller frees with
/// guardrail_guard_free; on failure it is NULL.
///
/// # Safety
/// `guard_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_new_default(
    guard_out: *mut *mut guardrail_guard,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        if guard_out.is_null() {
            return Err(Failure::null("guard_out"));
        }
        let guard = guardrail_guard::new(Guard::with_default_policy());
        // SAFETY: checked non-NULL above; writable per the contract.
        unsafe { write_out(guard_out, Box::into_raw(Box::new(guard)), "guard_out") }
    })
}

/// The policy's content hash (`sha256:...`), carried by every decision. NUL-terminated,
/// borrowed: valid until guardrail_guard_free(guard). An empty string for NULL.
///
/// # Safety
/// `guard` is NULL or a live guard.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_policy_hash(
    guard: *const guardrail_guard,
) -> *const c_char {
    // SAFETY: NULL or a live guard, per the contract.
    match unsafe { guard.as_ref() } {
        Some(g) => g.policy_hash.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Frees a guard. NULL does nothing.
///
/// # Safety
/// `guard` is NULL or a guard from this library not freed yet.
///
/// Thread safety: no other thread may use the guard during or after the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_free(guard: *mut guardrail_guard) {
    if !guard.is_null() {
        ffi_infallible((), || {
            // SAFETY: made by Box::into_raw in this crate and freed once, per the contract.
            drop(unsafe { Box::from_raw(guard) });
        })
    }
}

/// Evaluates one event given as JSON (the event JSON of docs/EVENTS.md: `{"type":
/// "tool_call", "ts": ..., "tool": ..., "args": {...}}`) against `state`, and writes the
/// decision as JSON (`{"action", "enforced", "policy", "findings", "text", "args", "gate"}`).
///
/// Ownership: `event_json` is borrowed for the call; on success `*decision_out` holds bytes
/// the caller frees with guardrail_bytes_free (on failure `{NULL, 0}`).
///
/// Errors: NULL_PARAMETER, INVALID_LENGTH, INVALID_UTF8, INPUT_TOO_LARGE, INVALID_JSON,
/// INVALID_EVENT. A policy's internal failure is not an error: it is a finding, and the
/// decision follows the policy's fail mode (closed by default).
///
/// # Safety
/// `guard` and `state` are live handles; `event_json` points to `event_json_len` readable
/// bytes; `decision_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any number of threads on the same guard and state.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_evaluate_json(
    guard: *const guardrail_guard,
    state: *const guardrail_state,
    event_json: *const u8,
    event_json_len: usize,
    decision_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(decision_out, guardrail_bytes::EMPTY, "decision_out") }?;
        // SAFETY: NULL or live handles, per the contract.
        let guard = unsafe { handle(guard, "guard") }?;
        // SAFETY: as above.
        let state = unsafe { handle(state, "state") }?;
        // SAFETY: forwarded buffer contract.
        let json = unsafe { text_in(event_json, event_json_len, "event_json") }?;
        let out = interop::evaluate_to_json(&guard.guard, &state.state, json.as_bytes())?;
        // SAFETY: checked writable above.
        unsafe { write_out(decision_out, guardrail_bytes::from_vec(out), "decision_out") }
    })
}

/// The host clock, in milliseconds since the Unix epoch (a binding convenience: the core
/// reads no clock).
fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(ms)
}

/// Fast path: evaluates a user prompt (a `prompt` event with role `user`, timestamped with
/// the host clock, on behalf of `agent`) through the whole stack and writes only the enforced
/// action: no JSON in, no JSON out. `agent` is the agent's id as registered in the policy
/// (NULL with length 0 for none; a policy with a registry blocks events that name no agent).
/// An escalation opens its gate in `state` as the JSON call does; call
/// guardrail_guard_evaluate_json when you need the gate, findings or redacted text, or more
/// context (run, session, principal, tags).
///
/// Errors: NULL_PARAMETER, INVALID_LENGTH, INVALID_UTF8, INPUT_TOO_LARGE.
///
/// # Safety
/// `guard` and `state` are live handles; `agent` and `text` point to `agent_len` and
/// `text_len` readable bytes (or are NULL with length 0); `action_out` and `error_out` are
/// NULL or writable.
///
/// Thread safety: safe from any number of threads on the same guard and state.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_check_prompt(
    guard: *const guardrail_guard,
    state: *const guardrail_state,
    agent: *const u8,
    agent_len: usize,
    text: *const u8,
    text_len: usize,
    action_out: *mut guardrail_action,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        if action_out.is_null() {
            return Err(Failure::null("action_out"));
        }
        // SAFETY: NULL or live handles, per the contract.
        let guard = unsafe { handle(guard, "guard") }?;
        // SAFETY: as above.
        let state = unsafe { handle(state, "state") }?;
        // SAFETY: forwarded buffer contract.
        let agent = unsafe { text_in(agent, agent_len, "agent") }?;
        // SAFETY: forwarded buffer contract.
        let text = unsafe { text_in(text, text_len, "text") }?;
        let mut event = Event::new(
            now(),
            EventKind::Prompt {
                role: Role::User,
                text: text.to_owned(),
            },
        );
        if !agent.is_empty() {
            event.context.agent = Some(agent.to_owned());
        }
        let decision = guard.guard.evaluate(&event, &state.state);
        // SAFETY: checked non-NULL above; writable per the contract.
        unsafe { write_out(action_out, decision.enforced.into(), "action_out") }
    })
}

/// Fast path: scans a text buffer with every detector that runs on `channel` (a
/// guardrail_channel value) and writes the findings as a C array of structs (stateless: no
/// event, no state, no JSON).
///
/// Ownership: `text` is borrowed for the call; on success `*findings_out` is a new list
/// (possibly empty) the caller frees with guardrail_findings_free; on failure it is NULL.
///
/// Errors: NULL_PARAMETER, INVALID_ARGUMENT (unknown channel), INVALID_LENGTH, INVALID_UTF8,
/// INPUT_TOO_LARGE.
///
/// # Safety
/// `guard` is a live guard; `text` points to `text_len` readable bytes (or is NULL with
/// length 0); `findings_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any number of threads on the same guard.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_scan(
    guard: *const guardrail_guard,
    channel: u32,
    text: *const u8,
    text_len: usize,
    findings_out: *mut *mut guardrail_findings,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(findings_out, std::ptr::null_mut(), "findings_out") }?;
        // SAFETY: NULL or a live guard, per the contract.
        let guard = unsafe { handle(guard, "guard") }?;
        let channel = channel_from(channel)?;
        // SAFETY: forwarded buffer contract.
        let text = unsafe { text_in(text, text_len, "text") }?;
        let findings = guard.guard.scan(channel, text);
        let raw = Box::into_raw(Box::new(guardrail_findings::new(&findings)));
        // SAFETY: checked writable above.
        unsafe { write_out(findings_out, raw, "findings_out") }
    })
}

/// Fast path: redacts a text buffer: every finding on `channel` whose action is not allow
/// has its span replaced by the policy's redaction operator (`[REDACTED:<rule>]` by
/// default). Writes the redacted text and, when `findings_out` is not NULL, the findings
/// (spans into the original text).
///
/// Ownership: `text` is borrowed for the call. On success `*text_out` holds bytes the caller
/// frees with guardrail_bytes_free, and `*findings_out` (if asked for) a list freed with
/// guardrail_findings_free; on failure they are `{NULL, 0}` and NULL.
///
/// Errors: NULL_PARAMETER, INVALID_ARGUMENT, INVALID_LENGTH, INVALID_UTF8, INPUT_TOO_LARGE.
///
/// # Safety
/// `guard` is a live guard; `text` points to `text_len` readable bytes (or is NULL with
/// length 0); `text_out`, `findings_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any number of threads on the same guard.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_redact(
    guard: *const guardrail_guard,
    channel: u32,
    text: *const u8,
    text_len: usize,
    text_out: *mut guardrail_bytes,
    findings_out: *mut *mut guardrail_findings,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(text_out, guardrail_bytes::EMPTY, "text_out") }?;
        if !findings_out.is_null() {
            // SAFETY: non-NULL and writable, per the contract.
            unsafe { write_out(findings_out, std::ptr::null_mut(), "findings_out") }?;
        }
        // SAFETY: NULL or a live guard, per the contract.
        let guard = unsafe { handle(guard, "guard") }?;
        let channel = channel_from(channel)?;
        // SAFETY: forwarded buffer contract.
        let text = unsafe { text_in(text, text_len, "text") }?;
        let (redacted, findings) = guard.guard.redact(channel, text);
        if !findings_out.is_null() {
            let raw = Box::into_raw(Box::new(guardrail_findings::new(&findings)));
            // SAFETY: non-NULL and writable, per the contract.
            unsafe { write_out(findings_out, raw, "findings_out") }?;
        }
        let bytes = guardrail_bytes::from_vec(redacted.into_bytes());
        // SAFETY: checked writable above.
        unsafe { write_out(text_out, bytes, "text_out") }
    })
}

/// Scans a text like guardrail_guard_scan and writes the full findings as JSON
/// (`{"findings": [{"layer", "rule", "category", "severity", "confidence", "message",
/// "action", "span", ...}]}`).
///
/// Ownership: on success `*answer_out` holds bytes the caller frees with
/// guardrail_bytes_free (on failure `{NULL, 0}`).
///
/// # Safety
/// As guardrail_guard_scan, with `answer_out` NULL or writable.
///
/// Thread safety: safe from any number of threads on the same guard.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_scan_json(
    guard: *const guardrail_guard,
    channel: u32,
    text: *const u8,
    text_len: usize,
    answer_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(answer_out, guardrail_bytes::EMPTY, "answer_out") }?;
        // SAFETY: NULL or a live guard, per the contract.
        let guard = unsafe { handle(guard, "guard") }?;
        let channel = channel_from(channel)?;
        // SAFETY: forwarded buffer contract.
        let text = unsafe { text_in(text, text_len, "text") }?;
        let out = interop::scan_to_json(&guard.guard, channel, text)?;
        // SAFETY: checked writable above.
        unsafe { write_out(answer_out, guardrail_bytes::from_vec(out), "answer_out") }
    })
}

/// Redacts a text like guardrail_guard_redact and writes the answer as JSON (`{"text":
/// "...", "findings": [...]}`).
///
/// Ownership: on success `*answer_out` holds bytes the caller frees with
/// guardrail_bytes_free (on failure `{NULL, 0}`).
///
/// # Safety
/// As guardrail_guard_scan, with `answer_out` NULL or writable.
///
/// Thread safety: safe from any number of threads on the same guard.
#[no_mangle]
pub unsafe extern "C" fn guardrail_guard_redact_json(
    guard: *const guardrail_guard,
    channel: u32,
    text: *const u8,
    text_len: usize,
    answer_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(answer_out, guardrail_bytes::EMPTY, "answer_out") }?;
        // SAFETY: NULL or a live guard, per the contract.
        let guard = unsafe { handle(guard, "guard") }?;
        let channel = channel_from(channel)?;
        // SAFETY: forwarded buffer contract.
        let text = unsafe { text_in(text, text_len, "text") }?;
        let out = interop::redact_to_json(&guard.guard, channel, text)?;
        // SAFETY: checked writable above.
        unsafe { write_out(answer_out, guardrail_bytes::from_vec(out), "answer_out") }
    })
}
