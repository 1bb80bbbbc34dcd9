//! The state handle: what the stateful layers remember between events, owned by the host.

use crate::bytes::guardrail_bytes;
use crate::error::{ffi_call, ffi_infallible, guardrail_error, guardrail_status};
use crate::input::{handle, text_in, write_out};
use guardrail_core::{interop, State};

/// The mutable state a guard updates (pending gates, counters and budgets).
///
/// A `Box<State>` owned by the caller: made by guardrail_state_new or guardrail_state_restore,
/// freed by guardrail_state_free. Thread-safe: share one state (per process or tenant) among
/// every thread that evaluates; each layer locks only its own part.
pub struct guardrail_state {
    pub(crate) state: State,
}

/// Makes an empty state. Returns NULL only if the library failed internally.
///
/// Ownership: the caller owns the state; free it with guardrail_state_free.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn guardrail_state_new() -> *mut guardrail_state {
    ffi_infallible(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(guardrail_state {
            state: State::new(),
        }))
    })
}

/// Restores a state from a snapshot's JSON (as made by guardrail_state_snapshot).
///
/// Ownership: `snapshot_json` is borrowed for the call; on success `*state_out` is a new state
/// the caller frees with guardrail_state_free (on failure it is NULL).
///
/// Errors: NULL_PARAMETER, INVALID_LENGTH, INVALID_UTF8, INPUT_TOO_LARGE, INVALID_JSON,
/// INVALID_STATE.
///
/// # Safety
/// `snapshot_json` points to `snapshot_json_len` readable bytes (or is NULL with length 0);
/// `state_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn guardrail_state_restore(
    snapshot_json: *const u8,
    snapshot_json_len: usize,
    state_out: *mut *mut guardrail_state,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(state_out, std::ptr::null_mut(), "state_out") }?;
        // SAFETY: forwarded buffer contract.
        let json = unsafe { text_in(snapshot_json, snapshot_json_len, "snapshot_json") }?;
        let state = interop::restore_from_json(json.as_bytes())?;
        let raw = Box::into_raw(Box::new(guardrail_state { state }));
        // SAFETY: checked writable above.
        unsafe { write_out(state_out, raw, "state_out") }
    })
}

/// Writes a snapshot of the state as JSON (every pending gate and counter).
///
/// Ownership: on success `*snapshot_out` holds bytes the caller frees with
/// guardrail_bytes_free (on failure it is `{NULL, 0}`).
///
/// # Safety
/// `state` is a live state; `snapshot_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe while other threads evaluate with the same state (the snapshot is
/// consistent per layer).
#[no_mangle]
pub unsafe extern "C" fn guardrail_state_snapshot(
    state: *const guardrail_state,
    snapshot_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(snapshot_out, guardrail_bytes::EMPTY, "snapshot_out") }?;
        // SAFETY: NULL or a live state, per the contract.
        let state = unsafe { handle(state, "state") }?;
        let json = interop::snapshot_to_json(&state.state)?;
        // SAFETY: checked writable above.
        unsafe {
            write_out(
                snapshot_out,
                guardrail_bytes::from_vec(json),
                "snapshot_out",
            )
        }
    })
}

/// Writes one of the state's JSON reports through `out`.
///
/// # Safety
/// `state` is NULL or a live state; `out` is NULL or writable.
unsafe fn state_report(
    state: *const guardrail_state,
    out: *mut guardrail_bytes,
    out_name: &str,
    report: fn(&State) -> Result<Vec<u8>, interop::ErrorAnswer>,
) -> Result<(), crate::error::Failure> {
    // SAFETY: NULL or writable, per the contract.
    unsafe { write_out(out, guardrail_bytes::EMPTY, out_name) }?;
    // SAFETY: NULL or a live state, per the contract.
    let state = unsafe { handle(state, "state") }?;
    let json = report(&state.state)?;
    // SAFETY: checked writable above.
    unsafe { write_out(out, guardrail_bytes::from_vec(json), out_name) }
}

/// Drains the audit records appended since the last drain (the policy's
/// `governance.audit.enabled` turns them on) as JSON Lines: one canonical, hash-chained
/// record per line, ready to append to the host's log. `{ptr, 0}` when there is none. The
/// state keeps only the chain's head (guardrail_state_audit_head); drain regularly, or the
/// records accumulate in memory.
///
/// Ownership: on success `*records_out` holds bytes the caller frees with
/// guardrail_bytes_free (on failure `{NULL, 0}`).
///
/// # Safety
/// `state` is a live state; `records_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe while other threads evaluate; each record is drained exactly once.
#[no_mangle]
pub unsafe extern "C" fn guardrail_state_take_audit_records(
    state: *const guardrail_state,
    records_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    // SAFETY: forwarded contract.
    ffi_call(error_out, || unsafe {
        state_report(
            state,
            records_out,
            "records_out",
            interop::take_audit_records_jsonl,
        )
    })
}

/// Writes the audit chain's head as JSON (`{"seq": <records so far>, "hash": "<last hash>"}`):
/// persist it next to the records to detect a truncated log.
///
/// Ownership: on success `*head_out` holds bytes the caller frees with guardrail_bytes_free.
///
/// # Safety
/// `state` is a live state; `head_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn guardrail_state_audit_head(
    state: *const guardrail_state,
    head_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    // SAFETY: forwarded contract.
    ffi_call(error_out, || unsafe {
        state_report(state, head_out, "head_out", interop::audit_head_to_json)
    })
}

/// Writes the showback report as JSON: cost, tokens and calls in total and by team, agent,
/// workflow and tag.
///
/// Ownership: on success `*report_out` holds bytes the caller frees with guardrail_bytes_free.
///
/// # Safety
/// `state` is a live state; `report_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn guardrail_state_showback(
    state: *const guardrail_state,
    report_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    // SAFETY: forwarded contract.
    ffi_call(error_out, || unsafe {
        state_report(state, report_out, "report_out", interop::showback_to_json)
    })
}

/// Frees a state. NULL does nothing.
///
/// # Safety
/// `state` is NULL or a state from this library not freed yet.
///
/// Thread safety: no other thread may use the state during or after the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_state_free(state: *mut guardrail_state) {
    if !state.is_null() {
        ffi_infallible((), || {
            // SAFETY: made by Box::into_raw in this crate and freed once, per the contract.
            drop(unsafe { Box::from_raw(state) });
        })
    }
}
