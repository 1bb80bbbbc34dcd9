//! Byte buffers the library hands to the caller.

use crate::error::ffi_infallible;

/// A byte buffer allocated by the library (JSON answers, redacted texts, snapshots).
///
/// Owned by the caller, who frees it with guardrail_bytes_free (never free(3)). `data` is
/// followed by one NUL byte not counted in `len`, so a JSON or text answer can be used as a C
/// string. Do not change `data` or `len`: the free needs them. An empty value is
/// `{NULL, 0}`.
#[repr(C)]
#[derive(Debug)]
pub struct guardrail_bytes {
    /// The bytes (UTF-8 for every answer of this library), NUL-terminated.
    pub data: *mut u8,
    /// Their number, without the terminating NUL.
    pub len: usize,
}

impl guardrail_bytes {
    /// An empty value, `{NULL, 0}`.
    pub(crate) const EMPTY: guardrail_bytes = guardrail_bytes {
        data: std::ptr::null_mut(),
        len: 0,
    };

    /// Hands `bytes` over to the caller, with a NUL after them.
    pub(crate) fn from_vec(mut bytes: Vec<u8>) -> guardrail_bytes {
        let len = bytes.len();
        bytes.push(0);
        let boxed: Box<[u8]> = bytes.into_boxed_slice();
        guardrail_bytes {
            data: Box::into_raw(boxed).cast::<u8>(),
            len,
        }
    }
}

/// Frees a buffer and resets it to `{NULL, 0}`. NULL, or a buffer already `{NULL, 0}`, does
/// nothing, so freeing twice through the same variable is harmless.
///
/// # Safety
/// `bytes` is NULL or points to a guardrail_bytes filled by this library and unchanged since.
///
/// Thread safety: no other thread may use the buffer during or after the call.
#[no_mangle]
pub unsafe extern "C" fn guardrail_bytes_free(bytes: *mut guardrail_bytes) {
    ffi_infallible((), || {
        // SAFETY: NULL or a valid guardrail_bytes, per the contract.
        let Some(b) = (unsafe { bytes.as_mut() }) else {
            return;
        };
        if b.data.is_null() {
            return;
        }
        let whole = std::ptr::slice_from_raw_parts_mut(b.data, b.len + 1);
        // SAFETY: `data` and `len + 1` are exactly the Box<[u8]> made in from_vec.
        drop(unsafe { Box::from_raw(whole) });
        *b = guardrail_bytes::EMPTY;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_nul_terminated_and_freed_once() {
        let mut b = guardrail_bytes::from_vec(b"{}".to_vec());
        assert_eq!(b.len, 2);
        let c = unsafe { std::ffi::CStr::from_ptr(b.data.cast()) };
        assert_eq!(c.to_bytes(), b"{}");
        unsafe { guardrail_bytes_free(&mut b) };
        assert!(b.data.is_null());
        unsafe { guardrail_bytes_free(&mut b) };
        unsafe { guardrail_bytes_free(std::ptr::null_mut()) };
        let mut empty = guardrail_bytes::from_vec(Vec::new());
        assert!(!empty.data.is_null());
        unsafe { guardrail_bytes_free(&mut empty) };
    }
}
