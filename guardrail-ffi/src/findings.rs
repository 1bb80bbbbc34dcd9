//! Findings as a C array of structs: the fast path's answer.

use crate::error::ffi_infallible;
use crate::types::{guardrail_action, guardrail_layer, guardrail_severity};
use guardrail_core::Finding;
use std::ffi::{c_char, CString};

/// One finding of a scan or redaction (the JSON answers carry every field; this is the
/// subset a hot loop needs).
#[repr(C)]
#[derive(Debug)]
pub struct guardrail_finding {
    /// The rule id (`secrets.github_pat`, `custom.ticket`), NUL-terminated. Borrowed from
    /// the guardrail_findings list: valid until guardrail_findings_free.
    pub rule: *const c_char,
    /// The finding's category (`credential`, `pii`, `injection`, ...), NUL-terminated,
    /// borrowed like `rule`.
    pub category: *const c_char,
    /// The layer that reported it.
    pub layer: guardrail_layer,
    /// The action the policy assigns to it (overrides applied).
    pub action: guardrail_action,
    /// How bad it is.
    pub severity: guardrail_severity,
    /// Whether the rule runs in shadow mode (reported, not enforced).
    pub shadow: bool,
    /// Whether `start`/`end` are set; when false both are 0.
    pub has_span: bool,
    /// First byte of the match in the scanned text.
    pub start: usize,
    /// One past the last byte of the match.
    pub end: usize,
}

/// The findings of one scan or redaction, in the order the layers reported them.
///
/// A `Box` owned by the caller: read it with guardrail_findings_len and
/// guardrail_findings_items, free it with guardrail_findings_free (which also frees every
/// string the items point to). Immutable: safe to read from several threads at once.
pub struct guardrail_findings {
    items: Vec<guardrail_finding>,
    // The strings the items point to; moving the Vec keeps their heap buffers in place.
    _strings: Vec<CString>,
}

fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

impl guardrail_findings {
    pub(crate) fn new(findings: &[Finding]) -> guardrail_findings {
        let mut strings = Vec::with_capacity(findings.len() * 2);
        let mut items = Vec::with_capacity(findings.len());
        for f in findings {
            let rule = c_string(&f.rule);
            let category = c_string(&f.category);
            let (start, end) = f.span.map_or((0, 0), |s| (s.start, s.end));
            items.push(guardrail_finding {
                rule: rule.as_ptr(),
                category: category.as_ptr(),
                layer: f.layer.into(),
                action: f.action.into(),
                severity: f.severity.into(),
                shadow: f.shadow,
                has_span: f.span.is_some(),
                start,
                end,
            });
            strings.push(rule);
            strings.push(category);
        }
        guardrail_findings {
            items,
            _strings: strings,
        }
    }
}

/// The number of findings (0 for NULL).
///
/// # Safety
/// `findings` is NULL or a live list from this library.
///
/// Thread safety: reads only; safe while no thread frees the list.
#[no_mangle]
pub unsafe extern "C" fn guardrail_findings_len(findings: *const guardrail_findings) -> usize {
    // SAFETY: NULL or a live list, per the contract.
    unsafe { findings.as_ref() }.map_or(0, |f| f.items.len())
}

/// The findings as an array of guardrail_findings_len(findings) structs; NULL when the list
/// is empty or NULL. Borrowed: valid until guardrail_findings_free(findings).
///
/// # Safety
/// `findings` is NULL or a live list from this library.
///
/// Thread safety: reads only; safe while no thread frees the list.
#[no_mangle]
pub unsafe extern "C" fn guardrail_findings_items(
    findings: *const guardrail_findings,
) -> *const guardrail_finding {
    // SAFETY: NULL or a live list, per the contract.
    match unsafe { findings.as_ref() } {
        Some(f) if !f.items.is_empty() => f.items.as_ptr(),
        _ => std::ptr::null(),
    }
}

/// Frees a findings list and every string its items point to. NULL does nothing.
///
/// # Safety
/// `findings` is NULL or a list from this library not freed yet.
///
/// Thread safety: no other thread may use the list during or after the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_findings_free(findings: *mut guardrail_findings) {
    if !findings.is_null() {
        ffi_infallible((), || {
            // SAFETY: made by Box::into_raw in this crate and freed once, per the contract.
            drop(unsafe { Box::from_raw(findings) });
        })
    }
}
