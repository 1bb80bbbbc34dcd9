//! Host classifiers as C callbacks: any model the host runs, whose label scores the policy's
//! `content.safety` settings turn into findings like the built-in categories.

use crate::error::{ffi_call, guardrail_error, guardrail_status, Failure};
use crate::guard::guardrail_options;
use crate::input::text_in;
use crate::types::guardrail_channel;
use guardrail_core::content::safety::Classifier;
use guardrail_core::Channel;
use std::ffi::c_void;

/// The label scores a classifier callback reports, one guardrail_scores_add per label.
///
/// Owned by the library and lent to the callback for the duration of the call only.
pub struct guardrail_scores {
    scores: Vec<(String, f32)>,
}

/// A host classifier: scores the text `text` (`text_len` bytes of UTF-8, not NUL-terminated)
/// seen on `channel` (a guardrail_channel value) by calling guardrail_scores_add on `scores`
/// for each label. `user_data` is the pointer given to guardrail_options_add_classifier.
///
/// The callback runs on the thread that evaluates, scans or redacts, possibly on several
/// threads at once when a guard is shared: it must be thread-safe. `text` and `scores` are
/// valid only during the call. A callback that reports nothing scores nothing.
pub type guardrail_classifier_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        text: *const u8,
        text_len: usize,
        channel: u32,
        scores: *mut guardrail_scores,
    ),
>;

/// One registered callback with its context pointer.
#[derive(Clone, Copy)]
pub(crate) struct CClassifier {
    classify: unsafe extern "C" fn(*mut c_void, *const u8, usize, u32, *mut guardrail_scores),
    user_data: *mut c_void,
}

// SAFETY: guardrail_options_add_classifier's contract makes the callback thread-safe and
// `user_data` valid for as long as any guard built with it lives.
unsafe impl Send for CClassifier {}
// SAFETY: as above; the callback is called concurrently only as the contract allows.
unsafe impl Sync for CClassifier {}

impl Classifier for CClassifier {
    fn classify(&self, text: &str, channel: Channel) -> Vec<(String, f32)> {
        let mut scores = guardrail_scores { scores: Vec::new() };
        // SAFETY: the callback's contract (guardrail_classifier_fn): `text` is readable for
        // its length and `scores` writable, both only during the call.
        unsafe {
            (self.classify)(
                self.user_data,
                text.as_ptr(),
                text.len(),
                guardrail_channel::from(channel) as u32,
                &mut scores,
            )
        };
        scores.scores
    }
}

/// Adds a host classifier to the guards built with these options; call it once per model.
/// Its labels are matched against the policy's `content.safety.categories` (a label with no
/// entry there uses the safety defaults), on the channels `content.safety` covers.
///
/// `user_data` is passed to every call of `classify` unchanged; the library never reads,
/// copies or frees it.
///
/// Errors: NULL_PARAMETER (`options` or `classify` NULL).
///
/// # Safety
/// `options` is NULL or live options; `error_out` is NULL or writable. `classify` is
/// thread-safe and it and `user_data` stay valid until every guard built from these options
/// is freed.
///
/// Thread safety: not synchronized; no other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_options_add_classifier(
    options: *mut guardrail_options,
    classify: guardrail_classifier_fn,
    user_data: *mut c_void,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or live options not used elsewhere, per the contract.
        let options = unsafe { options.as_mut() }.ok_or_else(|| Failure::null("options"))?;
        let classify = classify.ok_or_else(|| Failure::null("classify"))?;
        options.add_classifier(CClassifier {
            classify,
            user_data,
        });
        Ok(())
    })
}

/// Reports one label's score from inside a classifier callback. `label` is `label_len`
/// bytes of UTF-8 (not NUL-terminated, not empty); `score` is from 0 to 1. Calls with bad
/// arguments report nothing and return their error; the others are kept.
///
/// Errors: NULL_PARAMETER (`scores` or `label` NULL), INVALID_LENGTH, INVALID_UTF8,
/// INVALID_ARGUMENT (empty label, score not a number or outside 0 to 1).
///
/// # Safety
/// `scores` is NULL or the pointer the callback received, used during that call only;
/// `label` points to `label_len` readable bytes; `error_out` is NULL or writable.
///
/// Thread safety: `scores` belongs to one callback call; use it from that call's thread.
#[no_mangle]
pub unsafe extern "C" fn guardrail_scores_add(
    scores: *mut guardrail_scores,
    label: *const u8,
    label_len: usize,
    score: f32,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or the live scores of the current callback call, per the contract.
        let scores = unsafe { scores.as_mut() }.ok_or_else(|| Failure::null("scores"))?;
        if label.is_null() {
            return Err(Failure::null("label"));
        }
        // SAFETY: forwarded buffer contract.
        let label = unsafe { text_in(label, label_len, "label") }?;
        if label.is_empty() {
            return Err(Failure::new(
                guardrail_status::InvalidArgument,
                "`label` is empty",
            ));
        }
        if !(0.0..=1.0).contains(&score) {
            return Err(Failure::new(
                guardrail_status::InvalidArgument,
                format!("score {score} for `{label}` is not between 0 and 1"),
            ));
        }
        scores.scores.push((label.to_string(), score));
        Ok(())
    })
}
