//! Scanning text that arrives in chunks (a streamed model output) without missing a secret
//! that straddles a chunk boundary.
//!
//! The scanner keeps the last [`TAIL`] bytes of the stream and rescans them with each new
//! chunk. A hit that ends within [`HOLD`] bytes of the end of what has arrived could still
//! grow with the next chunk (a token cut in half looks like a shorter token), so it is held
//! back until more text or [`StreamScanner::finish`] settles it. Spans are stream offsets.
//!
//! Cost: each chunk rescans at most [`TAIL`] earlier bytes, so the work is linear in the
//! stream length for a given chunk size. A secret longer than [`HOLD`] (a PEM key body of
//! several kilobytes) is found only if it fits in [`TAIL`].

use super::SecretsDetector;
use crate::scan::Hit;
use std::collections::HashSet;

/// Bytes kept from earlier chunks.
pub(crate) const TAIL: usize = 16 * 1024;
/// Hits ending this close to the end of the received text wait for more.
pub(crate) const HOLD: usize = 512;

/// A scan over a stream of chunks. One per stream; the detector is shared.
pub(crate) struct StreamScanner<'d> {
    detector: &'d SecretsDetector,
    /// The retained text: stream bytes `offset..offset + buf.len()`.
    buf: Vec<u8>,
    offset: usize,
    /// Hits already reported, as (rule, start, end) in stream offsets.
    reported: HashSet<(String, usize, usize)>,
}

impl<'d> StreamScanner<'d> {
    pub(crate) fn new(detector: &'d SecretsDetector) -> StreamScanner<'d> {
        StreamScanner {
            detector,
            buf: Vec::new(),
            offset: 0,
            reported: HashSet::new(),
        }
    }

    /// Adds a chunk; returns the hits that are now settled.
    pub(crate) fn push(&mut self, chunk: &str) -> Vec<Hit> {
        self.buf.extend_from_slice(chunk.as_bytes());
        let settled_before = self.buf.len().saturating_sub(HOLD);
        let out = self.collect(settled_before);
        self.trim();
        out
    }

    /// Ends the stream; returns the hits still held back.
    pub(crate) fn finish(mut self) -> Vec<Hit> {
        let end = self.buf.len();
        self.collect(end)
    }

    fn collect(&mut self, settled_before: usize) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.detector.scan_bytes(&self.buf, &mut hits);
        let mut out = Vec::new();
        for mut hit in hits {
            if hit.span.end > settled_before && settled_before < self.buf.len() {
                continue;
            }
            // Near the cut the text has lost its beginning: anything real there was seen
            // whole, and settled, by an earlier scan (TAIL is far larger than HOLD plus the
            // longest token).
            if self.offset > 0 && hit.span.start < HOLD {
                continue;
            }
            hit.span.start += self.offset;
            hit.span.end += self.offset;
            let key = (hit.rule.to_string(), hit.span.start, hit.span.end);
            if self.reported.insert(key) {
                out.push(hit);
            }
        }
        out
    }

    /// Drops all but the last [`TAIL`] bytes, cutting at a character boundary.
    fn trim(&mut self) {
        if self.buf.len() <= TAIL {
            return;
        }
        let mut cut = self.buf.len() - TAIL;
        while cut < self.buf.len() && self.buf.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
            cut += 1;
        }
        self.buf.drain(..cut);
        self.offset += cut;
        let offset = self.offset;
        self.reported.retain(|(_, _, end)| *end > offset);
    }
}
