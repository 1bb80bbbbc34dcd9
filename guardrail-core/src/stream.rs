//! Scanning text that arrives in chunks (a streamed model output): findings as soon as they
//! are settled, and the text, redacted, as soon as no finding can still reach it.
//!
//! ```
//! use guardrail_core::{Action, Channel, Guard};
//! let guard = Guard::with_default_policy();
//! let mut stream = guard.stream(Channel::ModelOutput);
//! let mut shown = String::new();
//! // A GitHub token cut in three by the model's tokenizer.
//! for chunk in ["Use the token ghp_Zq8vL2mXw9", "Rt4pKeB7nY3cD5fG1hJ", "6sA0uQe to push."] {
//!     let out = stream.push(chunk);
//!     shown.push_str(&out.text); // safe to show: redacted, and nothing in it can still match
//! }
//! let out = stream.finish();
//! shown.push_str(&out.text);
//! assert_eq!(shown, "Use the token [REDACTED:github_pat] to push.");
//! assert_eq!(out.findings[0].rule, "secrets.github_pat");
//! assert_eq!(out.action, Action::Redact);
//! ```
//!
//! How: once at least [`SCAN_EVERY`] new bytes have arrived, the stream scans them with the
//! [`NEAR`] bytes before them; every [`FULL_EVERY`] bytes, and at the end, it scans them with
//! the last [`TAIL`] bytes instead, for long findings (a PEM key). A finding that ends within
//! [`HOLD`] bytes of the end of what has arrived could still grow with the next chunk (a
//! token cut in half looks like a shorter token), so it waits; the text is released up to
//! the start of the earliest finding that waits and at most up to [`HOLD`] bytes before the
//! end. Each byte is scanned at most `(NEAR + SCAN_EVERY) / SCAN_EVERY + (TAIL + FULL_EVERY)
//! / FULL_EVERY` = 22 times: the cost is linear in the stream's length whatever the chunk
//! size.
//!
//! Limits: a finding longer than [`HOLD`] (a PEM key body) is withheld only from the point
//! where it became recognizable, and one longer than about `NEAR - 2 * HOLD` only once a full
//! scan has seen it; what was released before stays released (the finding is still
//! reported, and a `block` action tells the host to cut the stream). A finding longer than
//! about `TAIL - FULL_EVERY - 2 * HOLD` (11 KiB) is not found in a stream. Findings without a
//! span (a prompt-injection score) are reported once per rule, when first seen.

use crate::guard::Redaction;
use crate::scan::{ceil_char_boundary, floor_char_boundary};
use crate::{Action, Channel, Finding, Guard, Span};
use std::collections::HashSet;

/// Bytes of earlier text kept for rescanning.
pub const TAIL: usize = 16 * 1024;
/// Findings ending this close to the end of the received text wait for more text, and so
/// does the text itself.
pub const HOLD: usize = 512;
/// New bytes that trigger a rescan (fewer wait for the next chunk or [`TextStream::finish`]).
pub const SCAN_EVERY: usize = 256;
/// Bytes before the new text that an ordinary rescan looks at.
pub const NEAR: usize = 4 * 1024;
/// New bytes after which a rescan looks back the whole [`TAIL`].
pub const FULL_EVERY: usize = 4 * 1024;

/// What one [`TextStream::push`] or [`TextStream::finish`] settled.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct StreamChunk {
    /// The next part of the stream's text, redacted: safe to show. Concatenated over all
    /// calls it is the whole stream, redacted.
    pub text: String,
    /// Findings settled by this call. Spans are byte offsets in the whole stream (the
    /// original text, not the redacted one); `path` is empty.
    pub findings: Vec<Finding>,
    /// The action to enforce for this call's findings (shadow findings and shadow mode
    /// hold back). `Block` means: stop the stream.
    pub action: Action,
}

/// A scan of one stream of text on one channel, made by [`Guard::stream`]. Owns a handle
/// on the guard (cheap), so it can live as long as the stream.
pub struct TextStream {
    guard: Guard,
    channel: Channel,
    /// The retained text: stream bytes `offset..offset + buf.len()`.
    buf: String,
    offset: usize,
    /// Stream offset up to which text has been returned.
    released: usize,
    /// Stream length at the last scan, and at the last scan of the whole tail.
    scanned: usize,
    full_scanned: usize,
    /// Findings already reported: rule and span in stream offsets.
    reported: HashSet<(String, Option<Span>)>,
    /// Reported redactions (stream offsets) that end after `released`.
    redactions: Vec<Redaction>,
}

impl std::fmt::Debug for TextStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextStream")
            .field("channel", &self.channel)
            .field("received", &(self.offset + self.buf.len()))
            .field("released", &self.released)
            .finish_non_exhaustive()
    }
}

impl TextStream {
    pub(crate) fn new(guard: Guard, channel: Channel) -> TextStream {
        TextStream {
            guard,
            channel,
            buf: String::new(),
            offset: 0,
            released: 0,
            scanned: 0,
            full_scanned: 0,
            reported: HashSet::new(),
            redactions: Vec::new(),
        }
    }

    /// Adds the next chunk; returns the text and findings it settled (often none yet).
    pub fn push(&mut self, chunk: &str) -> StreamChunk {
        self.buf.push_str(chunk);
        if self.end() - self.scanned < SCAN_EVERY {
            return StreamChunk::default();
        }
        let settled = floor_char_boundary(&self.buf, self.buf.len().saturating_sub(HOLD));
        let out = self.settle(self.offset + settled);
        self.trim();
        out
    }

    /// Ends the stream; returns the rest of the text and every finding still waiting.
    pub fn finish(mut self) -> StreamChunk {
        let end = self.end();
        self.settle(end)
    }

    /// The stream offset of the oldest byte still kept: every future finding's span starts
    /// at or after it (a binding that maps spans to characters keeps text from here on).
    pub fn retained_from(&self) -> usize {
        self.offset
    }

    fn end(&self) -> usize {
        self.offset + self.buf.len()
    }

    /// Scans the retained text, reports the findings that end by `settled` (a stream
    /// offset) and releases the text that no waiting finding reaches.
    fn settle(&mut self, settled: usize) -> StreamChunk {
        let finishing = settled == self.end();
        let full = finishing || self.end() - self.full_scanned >= FULL_EVERY;
        let back = if full { TAIL } else { NEAR };
        let from = self.scanned.saturating_sub(back).max(self.offset) - self.offset;
        let from = floor_char_boundary(&self.buf, from);
        let window = self.offset + from;
        self.scanned = self.end();
        if full {
            self.full_scanned = self.end();
        }
        let text = self.buf.get(from..).unwrap_or("");
        let (findings, treatments) = self.guard.scan_treated(self.channel, text);
        let mut out = StreamChunk::default();
        let mut release = settled;
        for (mut f, t) in findings.into_iter().zip(treatments) {
            if let Some(span) = &mut f.span {
                // Near the window's start the text has lost its beginning: whatever was
                // there was seen whole, and settled, by an earlier scan.
                if window > 0 && span.start < HOLD {
                    continue;
                }
                span.start += window;
                span.end += window;
                if span.end > settled && !finishing {
                    if f.action != Action::Allow {
                        release = release.min(span.start);
                    }
                    continue;
                }
            }
            if !self.reported.insert((f.rule.clone(), f.span)) {
                continue;
            }
            if let Some(r) = self.guard.redaction(&f, &t) {
                self.redactions.push(r);
            }
            out.findings.push(f);
        }
        // Never cut a redaction in two.
        for r in &self.redactions {
            if r.range.start < release && release < r.range.end {
                release = r.range.start;
            }
        }
        let release = release.max(self.released);
        if release > self.released {
            let from = self.released - self.offset;
            let text = self.buf.get(from..release - self.offset).unwrap_or("");
            let local: Vec<Redaction> = self
                .redactions
                .iter()
                .filter(|r| r.range.start < release && r.range.end > self.released)
                .map(|r| Redaction {
                    // What an earlier call released stays as it was.
                    range: r.range.start.max(self.released) - self.released
                        ..r.range.end.min(release) - self.released,
                    ..r.clone()
                })
                .collect();
            out.text = self.guard.apply_redactions(text, &local);
            self.released = release;
            let released = self.released;
            self.redactions.retain(|r| r.range.end > released);
        }
        out.action = self.guard.combine(&out.findings).1;
        out
    }

    /// Drops what is released and older than [`TAIL`] bytes, cutting at a character boundary.
    fn trim(&mut self) {
        let keep_from = self.released.min(self.end().saturating_sub(TAIL));
        if keep_from <= self.offset {
            return;
        }
        let cut = ceil_char_boundary(&self.buf, keep_from - self.offset);
        self.buf.drain(..cut);
        self.offset += cut;
        let offset = self.offset;
        self.reported
            .retain(|(_, span)| span.is_none_or(|s| s.end > offset));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::Policy;

    const GH: &str = "ghp_Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQe";

    /// Streams `text` in chunks of about `chunk` bytes; returns the concatenated text and
    /// the findings as (rule, span), sorted.
    fn stream_all(
        guard: &Guard,
        text: &str,
        chunk: usize,
    ) -> (String, Vec<(String, Option<Span>)>) {
        let mut s = guard.stream(Channel::ModelOutput);
        let (mut shown, mut found) = (String::new(), Vec::new());
        let mut take = |out: StreamChunk| {
            shown.push_str(&out.text);
            found.extend(out.findings.into_iter().map(|f| (f.rule, f.span)));
        };
        let mut rest = text;
        while !rest.is_empty() {
            let cut = ceil_char_boundary(rest, chunk.min(rest.len()));
            let (head, tail) = rest.split_at(cut);
            take(s.push(head));
            rest = tail;
        }
        take(s.finish());
        found.sort_by(|a, b| (a.1.map(|s| s.start), &a.0).cmp(&(b.1.map(|s| s.start), &b.0)));
        (shown, found)
    }

    fn whole(guard: &Guard, text: &str) -> (String, Vec<(String, Option<Span>)>) {
        let (redacted, findings) = guard.redact(Channel::ModelOutput, text);
        let mut found: Vec<_> = findings.into_iter().map(|f| (f.rule, f.span)).collect();
        found.sort_by(|a, b| (a.1.map(|s| s.start), &a.0).cmp(&(b.1.map(|s| s.start), &b.0)));
        (redacted, found)
    }

    #[test]
    fn streamed_equals_whole_at_every_chunk_size() {
        let guard = Guard::with_default_policy();
        let filler = "lorem ipsum dolor sit amet ".repeat(40);
        let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oqkmqZq8vL2mXw9Rt4pKeoAoGCCqGSM49\nAwEHoUQDQgAEZq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQe\n-----END EC PRIVATE KEY-----";
        let text = format!(
            "{filler}token: {GH}\n{filler}AWS key AKIAZ7Q3MN5XKPL2VW4T é mail ana.lopez@example.org {filler}\n{key}\n{filler}postgres://app:Zq8vL2mXw9Rt4pK!@db:5432/x"
        );
        let expect = whole(&guard, &text);
        assert!(expect.1.len() >= 5, "{:?}", expect.1);
        for chunk in [1, 3, 7, 16, 64, 255, 256, 500, 4096, 1 << 20] {
            assert_eq!(stream_all(&guard, &text, chunk), expect, "chunk {chunk}");
        }
    }

    #[test]
    fn long_streams_keep_stream_offsets_and_bounded_memory() {
        let guard = Guard::with_default_policy();
        let filler = "the quick brown fox jumps over the lazy dog\n".repeat(1000);
        let text = format!("{filler}{GH}\n{filler}{filler}{GH}\n{filler}");
        let mut s = guard.stream(Channel::ModelOutput);
        let mut found = Vec::new();
        for chunk in text.as_bytes().chunks(100) {
            let out = s.push(std::str::from_utf8(chunk).unwrap());
            found.extend(out.findings);
            assert!(s.buf.len() <= TAIL + HOLD + 100, "retained {}", s.buf.len());
        }
        found.extend(s.finish().findings);
        let spans: Vec<_> = found.iter().map(|f| f.span.unwrap().start).collect();
        let expect: Vec<_> = text.match_indices(GH).map(|(i, _)| i).collect();
        assert_eq!(spans, expect);
    }

    #[test]
    fn long_findings_are_found_by_the_full_rescans() {
        let guard = Guard::with_default_policy();
        // A 4096-bit RSA key is about 3.2 KB: longer than an ordinary rescan looks back.
        let body: String = (0..52)
            .map(|i| {
                let line: String = (0..64)
                    .map(|j| {
                        let k = (i * 64 + j) * 7919 % 62;
                        char::from(
                            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[k],
                        )
                    })
                    .collect();
                format!("{line}\n")
            })
            .collect();
        let key = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----");
        let filler = "lorem ipsum dolor sit amet ".repeat(200);
        let text = format!("{filler}{key}\n{}", filler.repeat(4)); // finish cannot see the key
        let expect = whole(&guard, &text).1;
        assert!(
            expect
                .iter()
                .any(|(_, s)| s.is_some_and(|s| s.end - s.start > 3000)),
            "{expect:?}"
        );
        for chunk in [16, 300, 5000] {
            assert_eq!(stream_all(&guard, &text, chunk).1, expect, "chunk {chunk}");
        }
    }

    #[test]
    fn text_is_released_before_the_end_and_never_unredacted() {
        let guard = Guard::with_default_policy();
        let text = format!("{}{GH} {}", "a b c d ".repeat(200), "e f g h ".repeat(200));
        let mut s = guard.stream(Channel::ModelOutput);
        let mut shown = String::new();
        let mut early = 0;
        for chunk in text.as_bytes().chunks(10) {
            let out = s.push(std::str::from_utf8(chunk).unwrap());
            shown.push_str(&out.text);
            assert!(!shown.contains("ghp_"), "released part of the token");
            if !out.text.is_empty() {
                early += 1;
            }
        }
        shown.push_str(&s.finish().text);
        assert!(early > 3, "released only at the end");
        assert_eq!(shown, guard.redact(Channel::ModelOutput, &text).0);
    }

    #[test]
    fn block_action_and_shadow_are_reported() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----\n";
        let guard = Guard::with_default_policy();
        let mut s = guard.stream(Channel::ModelOutput);
        s.push(key);
        let out = s.finish();
        assert_eq!(out.action, Action::Block, "{:?}", out.findings);
        let shadow = Guard::builder()
            .shadow(true)
            .build(&Policy::builtin())
            .unwrap();
        let mut s = shadow.stream(Channel::ModelOutput);
        s.push(key);
        let out = s.finish();
        assert!(!out.findings.is_empty());
        assert_eq!(out.action, Action::Allow);
    }

    #[test]
    fn empty_and_odd_chunks() {
        let guard = Guard::with_default_policy();
        let mut s = guard.stream(Channel::User);
        for chunk in ["", "\u{0}", "é", "\u{10FFFF}", "", "\u{FEFF}"] {
            assert!(s.push(chunk).findings.is_empty());
        }
        let out = s.finish();
        assert_eq!(out.text, "\u{0}é\u{10FFFF}\u{FEFF}");
        let out = guard.stream(Channel::ToolOutput).finish();
        assert_eq!(out, StreamChunk::default());
    }
}
