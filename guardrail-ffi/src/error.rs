//! Status codes, the error object and the panic boundary every entry point goes through.

use guardrail_core::interop::ErrorAnswer;
use guardrail_core::PolicyIssue;
use serde::Serialize;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The outcome of a call. `GUARDRAIL_STATUS_OK` (0) is success; every other value comes with
/// a guardrail_error (when the caller asked for one) that says what went wrong.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum guardrail_status {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL (or a buffer pointer was NULL with a non-zero length).
    NullParameter = 1,
    /// A text buffer is not valid UTF-8.
    InvalidUtf8 = 2,
    /// A buffer contains a NUL byte; usually the length counts a terminator or the whole
    /// buffer instead of the string.
    InvalidLength = 3,
    /// A buffer is longer than GUARDRAIL_MAX_INPUT_BYTES.
    InputTooLarge = 4,
    /// A buffer that must hold JSON does not.
    InvalidJson = 5,
    /// Well-formed JSON that is not a valid event.
    InvalidEvent = 6,
    /// The policy does not load (every issue is in the error's JSON).
    InvalidPolicy = 7,
    /// Well-formed JSON that is not a state snapshot.
    InvalidState = 8,
    /// An argument is out of range (an unknown channel number).
    InvalidArgument = 9,
    /// The guard cannot be built from this policy and these options (a missing hash salt).
    Build = 10,
    /// A bug: the library panicked; the call had no effect on the handles passed.
    Panic = 11,
    /// A bug: an answer could not be encoded.
    Internal = 12,
}

impl guardrail_status {
    /// The status's C name, e.g. `GUARDRAIL_STATUS_INVALID_UTF8`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            guardrail_status::Ok => "GUARDRAIL_STATUS_OK\0",
            guardrail_status::NullParameter => "GUARDRAIL_STATUS_NULL_PARAMETER\0",
            guardrail_status::InvalidUtf8 => "GUARDRAIL_STATUS_INVALID_UTF8\0",
            guardrail_status::InvalidLength => "GUARDRAIL_STATUS_INVALID_LENGTH\0",
            guardrail_status::InputTooLarge => "GUARDRAIL_STATUS_INPUT_TOO_LARGE\0",
            guardrail_status::InvalidJson => "GUARDRAIL_STATUS_INVALID_JSON\0",
            guardrail_status::InvalidEvent => "GUARDRAIL_STATUS_INVALID_EVENT\0",
            guardrail_status::InvalidPolicy => "GUARDRAIL_STATUS_INVALID_POLICY\0",
            guardrail_status::InvalidState => "GUARDRAIL_STATUS_INVALID_STATE\0",
            guardrail_status::InvalidArgument => "GUARDRAIL_STATUS_INVALID_ARGUMENT\0",
            guardrail_status::Build => "GUARDRAIL_STATUS_BUILD\0",
            guardrail_status::Panic => "GUARDRAIL_STATUS_PANIC\0",
            guardrail_status::Internal => "GUARDRAIL_STATUS_INTERNAL\0",
        }
    }

    /// The `kind` of the error's JSON form.
    fn kind(self) -> &'static str {
        match self {
            guardrail_status::Ok => "ok",
            guardrail_status::NullParameter => "null_parameter",
            guardrail_status::InvalidUtf8 => "invalid_utf8",
            guardrail_status::InvalidLength => "invalid_length",
            guardrail_status::InputTooLarge => "input_too_large",
            guardrail_status::InvalidJson => "json",
            guardrail_status::InvalidEvent => "event",
            guardrail_status::InvalidPolicy => "policy",
            guardrail_status::InvalidState => "state",
            guardrail_status::InvalidArgument => "invalid_argument",
            guardrail_status::Build => "build",
            guardrail_status::Panic => "panic",
            guardrail_status::Internal => "internal",
        }
    }
}

/// Why a call failed, before it becomes a [`guardrail_error`].
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: guardrail_status,
    pub message: String,
    pub issues: Vec<PolicyIssue>,
}

impl Failure {
    pub fn new(status: guardrail_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            issues: Vec::new(),
        }
    }

    pub fn null(what: &str) -> Failure {
        Failure::new(guardrail_status::NullParameter, format!("`{what}` is NULL"))
    }
}

impl From<ErrorAnswer> for Failure {
    fn from(e: ErrorAnswer) -> Failure {
        let status = match e.kind {
            "json" => guardrail_status::InvalidJson,
            "event" => guardrail_status::InvalidEvent,
            "state" => guardrail_status::InvalidState,
            "policy" => guardrail_status::InvalidPolicy,
            "input" => guardrail_status::InvalidArgument,
            _ => guardrail_status::Internal,
        };
        Failure::new(status, e.message)
    }
}

/// A failed call's error: its status, a readable message and the same as JSON.
///
/// A `Box`, owned by the caller once returned through an `error_out` parameter: read it
/// with guardrail_error_status / guardrail_error_message / guardrail_error_json, free it
/// with guardrail_error_free. Not synchronized: use one error from one thread at a time
/// (it can be handed to another thread).
pub struct guardrail_error {
    status: guardrail_status,
    message: CString,
    json: CString,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    kind: &'static str,
    status: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    issues: &'a [PolicyIssue],
}

/// A C string from text that may carry NUL bytes (from JSON escapes in the input).
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

impl guardrail_error {
    fn from_failure(f: Failure) -> guardrail_error {
        let status_name = f.status.name().trim_end_matches('\0');
        let json = serde_json::to_string(&ErrorJson {
            kind: f.status.kind(),
            status: status_name,
            message: &f.message,
            issues: &f.issues,
        })
        .unwrap_or_else(|_| "{\"kind\":\"internal\"}".to_string());
        guardrail_error {
            status: f.status,
            message: c_string(&f.message),
            json: c_string(&json),
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("internal error (a bug in guardrail, please report it): {detail}")
}

/// Runs one entry point's body: catches panics, and turns a failure into a status plus an
/// error object stored through `error_out` (when not NULL). On success `*error_out` is NULL.
pub(crate) fn ffi_call(
    error_out: *mut *mut guardrail_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> guardrail_status {
    if !error_out.is_null() {
        // SAFETY: the caller passes either NULL or a valid `guardrail_error **`.
        unsafe { *error_out = std::ptr::null_mut() };
    }
    let result = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|p| Err(Failure::new(guardrail_status::Panic, panic_message(&*p))));
    match result {
        Ok(()) => guardrail_status::Ok,
        Err(failure) => {
            let status = failure.status;
            if !error_out.is_null() {
                let error = Box::new(guardrail_error::from_failure(failure));
                // SAFETY: checked non-NULL above; the caller passes a valid pointer.
                unsafe { *error_out = Box::into_raw(error) };
            }
            status
        }
    }
}

/// Runs a body that cannot fail except by panicking; a panic yields `fallback`.
pub(crate) fn ffi_infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The status of an error (GUARDRAIL_STATUS_NULL_PARAMETER when `error` is NULL).
///
/// # Safety
/// `error` is NULL or a live error from this library.
///
/// Thread safety: reads only; safe while no thread frees `error`.
#[no_mangle]
pub unsafe extern "C" fn guardrail_error_status(error: *const guardrail_error) -> guardrail_status {
    // SAFETY: NULL or a live error, per the contract above.
    match unsafe { error.as_ref() } {
        Some(e) => e.status,
        None => guardrail_status::NullParameter,
    }
}

/// The error's message: one line, lowercase, user input in backticks. NUL-terminated,
/// borrowed: valid until guardrail_error_free(error). Never NULL (an empty string for a NULL
/// error).
///
/// # Safety
/// `error` is NULL or a live error from this library.
///
/// Thread safety: reads only; safe while no thread frees `error`.
#[no_mangle]
pub unsafe extern "C" fn guardrail_error_message(error: *const guardrail_error) -> *const c_char {
    // SAFETY: NULL or a live error, per the contract above.
    match unsafe { error.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// The error as JSON: `{"kind": "policy", "status": "GUARDRAIL_STATUS_INVALID_POLICY",
/// "message": "...", "issues": [{"path", "line", "message", "hint"}]}` (`issues` only for
/// policy errors). NUL-terminated, borrowed: valid until guardrail_error_free(error).
/// Never NULL (`{}` for a NULL error).
///
/// # Safety
/// `error` is NULL or a live error from this library.
///
/// Thread safety: reads only; safe while no thread frees `error`.
#[no_mangle]
pub unsafe extern "C" fn guardrail_error_json(error: *const guardrail_error) -> *const c_char {
    // SAFETY: NULL or a live error, per the contract above.
    match unsafe { error.as_ref() } {
        Some(e) => e.json.as_ptr(),
        None => c"{}".as_ptr(),
    }
}

/// Frees an error. NULL does nothing.
///
/// # Safety
/// `error` is NULL or an error from this library not freed yet; it is invalid afterwards.
///
/// Thread safety: no other thread may use `error` during or after the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_error_free(error: *mut guardrail_error) {
    if !error.is_null() {
        // SAFETY: a pointer made by Box::into_raw in ffi_call, freed once per the contract.
        drop(unsafe { Box::from_raw(error) });
    }
}

/// The C name of a status (`"GUARDRAIL_STATUS_INVALID_UTF8"`), static; `"GUARDRAIL_STATUS_UNKNOWN"`
/// for a value that is no status.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn guardrail_status_name(status: u32) -> *const c_char {
    let all = [
        guardrail_status::Ok,
        guardrail_status::NullParameter,
        guardrail_status::InvalidUtf8,
        guardrail_status::InvalidLength,
        guardrail_status::InputTooLarge,
        guardrail_status::InvalidJson,
        guardrail_status::InvalidEvent,
        guardrail_status::InvalidPolicy,
        guardrail_status::InvalidState,
        guardrail_status::InvalidArgument,
        guardrail_status::Build,
        guardrail_status::Panic,
        guardrail_status::Internal,
    ];
    let name = all
        .into_iter()
        .find(|s| *s as u32 == status)
        .map_or("GUARDRAIL_STATUS_UNKNOWN\0", |s| s.name());
    name.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let mut err: *mut guardrail_error = std::ptr::null_mut();
        let status = ffi_call(&mut err, || panic!("boom"));
        assert_eq!(status, guardrail_status::Panic);
        assert!(!err.is_null());
        unsafe {
            let msg = CStr::from_ptr(guardrail_error_message(err))
                .to_str()
                .unwrap();
            assert!(msg.contains("boom"), "{msg}");
            assert_eq!(guardrail_error_status(err), guardrail_status::Panic);
            guardrail_error_free(err);
        }
        assert_eq!(ffi_infallible(7, || panic!("boom")), 7);
    }

    #[test]
    fn success_clears_the_error_pointer() {
        let mut err = std::ptr::dangling_mut::<guardrail_error>();
        assert_eq!(ffi_call(&mut err, || Ok(())), guardrail_status::Ok);
        assert!(err.is_null());
        assert_eq!(
            ffi_call(std::ptr::null_mut(), || Err(Failure::null("x"))),
            guardrail_status::NullParameter
        );
    }

    #[test]
    fn messages_with_nul_bytes_survive() {
        let e = guardrail_error::from_failure(Failure::new(
            guardrail_status::InvalidEvent,
            "unknown field `a\0b`",
        ));
        assert_eq!(e.message.to_str().unwrap(), "unknown field `a\\0b`");
        let v: serde_json::Value = serde_json::from_slice(e.json.as_bytes()).unwrap();
        assert_eq!(v["kind"], "event");
        assert_eq!(v["status"], "GUARDRAIL_STATUS_INVALID_EVENT");
    }

    #[test]
    fn status_names_cover_every_value() {
        for n in 0..=12u32 {
            let name = unsafe { CStr::from_ptr(guardrail_status_name(n)) };
            assert!(name.to_str().unwrap().starts_with("GUARDRAIL_STATUS_"));
            assert_ne!(name.to_str().unwrap(), "GUARDRAIL_STATUS_UNKNOWN");
        }
        let name = unsafe { CStr::from_ptr(guardrail_status_name(99)) };
        assert_eq!(name.to_str().unwrap(), "GUARDRAIL_STATUS_UNKNOWN");
    }
}
