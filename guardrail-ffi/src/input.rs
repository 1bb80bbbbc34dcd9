//! Reading the caller's buffers: NULL, length, NUL-byte and UTF-8 checks, and handle lookups.

use crate::error::{guardrail_status, Failure};

/// The largest input buffer accepted (64 MiB): policies, events, texts and snapshots. Larger
/// buffers fail with GUARDRAIL_STATUS_INPUT_TOO_LARGE before a byte is read. (A policy's own
/// `constraints.limits` block oversized payloads far below this.)
pub const GUARDRAIL_MAX_INPUT_BYTES: usize = 64 << 20;

/// Borrows `(ptr, len)` as bytes, refusing NULL with a length, oversized buffers and NUL
/// bytes (a NUL almost always means the length counts a terminator or the whole buffer).
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that stay unchanged during the call.
pub(crate) unsafe fn bytes_in<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if len > GUARDRAIL_MAX_INPUT_BYTES {
        return Err(Failure::new(
            guardrail_status::InputTooLarge,
            format!("`{what}` is {len} bytes; the limit is {GUARDRAIL_MAX_INPUT_BYTES} bytes (GUARDRAIL_MAX_INPUT_BYTES)"),
        ));
    }
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Failure::new(
            guardrail_status::NullParameter,
            format!("`{what}` is NULL but its length is {len}"),
        ));
    }
    // SAFETY: non-NULL, readable for `len` bytes per the contract; `len` is at most 64 MiB,
    // far below isize::MAX.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    if let Some(at) = memchr::memchr(0, bytes) {
        let message = if bytes.iter().skip(at).all(|&b| b == 0) {
            format!("`{what}` ends with NUL bytes from offset {at} of {len}: pass the string's length (strlen), not the buffer's size or the terminator")
        } else {
            format!("`{what}` contains a NUL byte at offset {at}: texts and JSON must not carry raw NUL bytes")
        };
        return Err(Failure::new(guardrail_status::InvalidLength, message));
    }
    Ok(bytes)
}

/// Borrows `(ptr, len)` as UTF-8 text with the checks of [`bytes_in`].
///
/// # Safety
/// As [`bytes_in`].
pub(crate) unsafe fn text_in<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes_in(ptr, len, what) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            guardrail_status::InvalidUtf8,
            format!(
                "`{what}` is not valid UTF-8: invalid byte sequence at offset {}",
                e.valid_up_to()
            ),
        )
    })
}

/// Borrows a handle, refusing NULL.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` made by this library.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: NULL or a live handle, per the contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Stores `value` through an out-pointer, refusing NULL.
///
/// # Safety
/// `out` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL and writable per the contract; `T` is plain data (pointers, enums,
    // structs of them), so not dropping the old value leaks nothing.
    unsafe { out.write(value) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_checked() {
        let ok = b"hello";
        assert_eq!(unsafe { text_in(ok.as_ptr(), 5, "t") }.unwrap(), "hello");
        assert_eq!(unsafe { text_in(std::ptr::null(), 0, "t") }.unwrap(), "");
        let e = unsafe { text_in(std::ptr::null(), 3, "t") }.unwrap_err();
        assert_eq!(e.status, guardrail_status::NullParameter);
        let padded = [b'h', b'i', 0, 0];
        let e = unsafe { text_in(padded.as_ptr(), 4, "t") }.unwrap_err();
        assert_eq!(e.status, guardrail_status::InvalidLength);
        assert!(e.message.contains("strlen"), "{}", e.message);
        let e = unsafe { text_in(b"h\0i".as_ptr(), 3, "t") }.unwrap_err();
        assert!(e.message.contains("offset 1"), "{}", e.message);
        let e = unsafe { text_in(b"ab\xff".as_ptr(), 3, "t") }.unwrap_err();
        assert_eq!(e.status, guardrail_status::InvalidUtf8);
        assert!(e.message.contains("offset 2"), "{}", e.message);
        // The limit is checked before the pointer is touched.
        let e = unsafe { text_in(ok.as_ptr(), GUARDRAIL_MAX_INPUT_BYTES + 1, "t") }.unwrap_err();
        assert_eq!(e.status, guardrail_status::InputTooLarge);
    }
}
