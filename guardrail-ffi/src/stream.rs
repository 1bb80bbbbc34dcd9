//! `guardrail_stream`: text that arrives in chunks (a streamed model output), scanned by
//! `guardrail_core::TextStream`.

use crate::bytes::guardrail_bytes;
use crate::error::{ffi_call, ffi_infallible, guardrail_error, guardrail_status, Failure};
use crate::guard::guardrail_guard;
use crate::input::{handle, text_in, write_out};
use crate::types::channel_from;
use guardrail_core::{interop, StreamChunk, TextStream};

/// A scan of one stream of text on one channel. Made by guardrail_stream_new, freed by
/// guardrail_stream_free; it holds its own reference to the guard, so the guard may be freed
/// first. Not thread-safe: use it from one thread at a time (it may move between threads).
pub struct guardrail_stream {
    /// `None` once finished.
    stream: Option<TextStream>,
}

/// Starts a stream on `channel` (a guardrail_channel value).
///
/// Ownership: on success `*stream_out` is a new stream the caller frees with
/// guardrail_stream_free; on failure it is NULL.
///
/// Errors: NULL_PARAMETER, INVALID_ARGUMENT (unknown channel).
///
/// # Safety
/// `guard` is a live guard; `stream_out` and `error_out` are NULL or writable.
///
/// Thread safety: safe from any number of threads on the same guard.
#[no_mangle]
pub unsafe extern "C" fn guardrail_stream_new(
    guard: *const guardrail_guard,
    channel: u32,
    stream_out: *mut *mut guardrail_stream,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(stream_out, std::ptr::null_mut(), "stream_out") }?;
        // SAFETY: NULL or a live guard, per the contract.
        let guard = unsafe { handle(guard, "guard") }?;
        let stream = Box::new(guardrail_stream {
            stream: Some(guard.guard().stream(channel_from(channel)?)),
        });
        // SAFETY: checked writable above.
        unsafe { write_out(stream_out, Box::into_raw(stream), "stream_out") }
    })
}

/// Adds the next chunk of text and writes, as JSON, what it settled: `{"text": "...",
/// "findings": [...], "action": "allow"}`. `text` is the next part of the stream, redacted
/// and safe to show (often empty: the stream holds back the last ~512 bytes); findings'
/// spans are byte offsets in the whole stream; `action` is the one to enforce (`"block"`:
/// stop the stream). A chunk must be whole UTF-8 (do not split a character across chunks).
///
/// Ownership: `chunk` is borrowed for the call; on success `*answer_out` holds bytes the
/// caller frees with guardrail_bytes_free (on failure `{NULL, 0}`).
///
/// Errors: NULL_PARAMETER, INVALID_LENGTH, INVALID_UTF8, INPUT_TOO_LARGE, INVALID_ARGUMENT
/// (the stream is finished).
///
/// # Safety
/// `stream` is a live stream; `chunk` points to `chunk_len` readable bytes (or is NULL with
/// length 0); `answer_out` and `error_out` are NULL or writable.
///
/// Thread safety: one thread at a time per stream.
#[no_mangle]
pub unsafe extern "C" fn guardrail_stream_push_json(
    stream: *mut guardrail_stream,
    chunk: *const u8,
    chunk_len: usize,
    answer_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    let push = |stream: &mut guardrail_stream| {
        // SAFETY: forwarded buffer contract.
        let chunk = unsafe { text_in(chunk, chunk_len, "chunk") }?;
        Ok(live(stream)?.push(chunk))
    };
    // SAFETY: forwarded pointer contracts.
    unsafe { answer(stream, answer_out, error_out, push) }
}

/// Ends the stream and writes, as guardrail_stream_push_json does, the rest of the text and
/// every finding still held back. Afterwards the stream only accepts guardrail_stream_free.
///
/// Errors: NULL_PARAMETER, INVALID_ARGUMENT (already finished).
///
/// # Safety
/// `stream` is a live stream; `answer_out` and `error_out` are NULL or writable.
///
/// Thread safety: one thread at a time per stream.
#[no_mangle]
pub unsafe extern "C" fn guardrail_stream_finish_json(
    stream: *mut guardrail_stream,
    answer_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
) -> guardrail_status {
    // SAFETY: forwarded pointer contracts.
    unsafe {
        answer(stream, answer_out, error_out, |stream| {
            live(stream)?;
            Ok(stream
                .stream
                .take()
                .map(TextStream::finish)
                .unwrap_or_default())
        })
    }
}

/// Frees a stream (finished or not). NULL does nothing.
///
/// # Safety
/// `stream` is NULL or a stream made by guardrail_stream_new, not freed before.
#[no_mangle]
pub unsafe extern "C" fn guardrail_stream_free(stream: *mut guardrail_stream) {
    if !stream.is_null() {
        ffi_infallible((), || {
            // SAFETY: made by Box::into_raw in this crate and freed once, per the contract.
            drop(unsafe { Box::from_raw(stream) });
        })
    }
}

/// Runs `step` on the stream and writes what it settled as JSON to `answer_out`.
///
/// # Safety
/// `stream` is NULL or a live stream used by one thread at a time; `answer_out` and
/// `error_out` are NULL or writable.
unsafe fn answer(
    stream: *mut guardrail_stream,
    answer_out: *mut guardrail_bytes,
    error_out: *mut *mut guardrail_error,
    step: impl FnOnce(&mut guardrail_stream) -> Result<StreamChunk, Failure>,
) -> guardrail_status {
    ffi_call(error_out, || {
        // SAFETY: NULL or writable, per the contract.
        unsafe { write_out(answer_out, guardrail_bytes::EMPTY, "answer_out") }?;
        // SAFETY: NULL or a live stream used by one thread at a time, per the contract.
        let stream = unsafe { stream.as_mut() }.ok_or_else(|| Failure::null("stream"))?;
        let json = interop::stream_chunk_to_json(&step(stream)?)?;
        // SAFETY: checked writable above.
        unsafe { write_out(answer_out, guardrail_bytes::from_vec(json), "answer_out") }
    })
}

fn live(stream: &mut guardrail_stream) -> Result<&mut TextStream, Failure> {
    stream.stream.as_mut().ok_or_else(|| {
        Failure::new(
            guardrail_status::InvalidArgument,
            "the stream is finished: start a new one with guardrail_stream_new",
        )
    })
}
