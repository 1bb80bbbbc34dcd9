//! Every occurrence of every keyword, fast: the prefilter pass of the detector families whose
//! keyword sets are too large for a SIMD prefilter (secrets).
//!
//! The keywords compile to one Aho-Corasick DFA. Walking a DFA is a chain of dependent table
//! loads, one per byte, so a single walk is bound by load latency, not by the CPU's width. A
//! long text is therefore cut into four lanes walked in one loop: four independent chains
//! keep the core busy and roughly double the bytes per second. Each lane starts early enough
//! (the longest keyword, less one byte) to see every match that ends inside it, and reports
//! only those, so the result equals one overlapping walk over the whole text, in the same
//! order.

use aho_corasick::automaton::Automaton;
use aho_corasick::automaton::StateID;
use aho_corasick::dfa::{self, DFA};
use aho_corasick::{Anchored, MatchKind};

/// Why a keyword list did not compile.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeywordError {
    /// Too many states, or a pattern the automaton cannot hold.
    #[error(transparent)]
    Build(#[from] aho_corasick::BuildError),
    /// The automaton has no unanchored start state (not produced by the builder used here).
    #[error(transparent)]
    Start(#[from] aho_corasick::MatchError),
}

/// One keyword occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeywordMatch {
    /// Index of the keyword in the list given to [`KeywordSet::new`].
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
}

/// A compiled keyword list, immutable and shared across threads.
#[derive(Debug, Clone)]
pub(crate) struct KeywordSet {
    dfa: DFA,
    start: StateID,
    longest: usize,
}

const LANES: usize = 4;

/// Below this many bytes per lane, the bytes each lane walks twice (the longest keyword's
/// length) cost more than the lanes save.
const MIN_LANE_BYTES: usize = 2048;

impl KeywordSet {
    /// Compiles `patterns`; ASCII letters match either case when `ascii_case_insensitive`.
    pub(crate) fn new<P: AsRef<[u8]>>(
        patterns: &[P],
        ascii_case_insensitive: bool,
    ) -> Result<KeywordSet, KeywordError> {
        let dfa = dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(ascii_case_insensitive)
            // A prefilter would make the start state special and slow the walk down; the
            // lanes are the acceleration here.
            .prefilter(false)
            .build(patterns)?;
        let start = dfa.start_state(Anchored::No)?;
        let longest = patterns.iter().map(|p| p.as_ref().len()).max().unwrap_or(0);
        Ok(KeywordSet {
            dfa,
            start,
            longest,
        })
    }

    /// Appends every occurrence of every keyword in `hay`, overlapping ones included, ordered
    /// by end offset (then by keyword index): what Aho-Corasick's overlapping search reports.
    pub(crate) fn find_overlapping(&self, hay: &[u8], out: &mut Vec<KeywordMatch>) {
        // An empty keyword matches before the first byte too.
        self.report(self.start, 0, out);
        let lane_len = hay.len() / LANES;
        if self.longest == 0 || lane_len < MIN_LANE_BYTES.max(self.longest * 8) {
            self.walk(hay, 0, 0, self.start, out);
            return;
        }
        // Lane k owns the matches ending in (k * lane_len, (k + 1) * lane_len]; the last lane
        // also owns the remainder.
        let owned = |k: usize| k * lane_len;
        let from = |k: usize| owned(k).saturating_sub(self.longest - 1);
        let to = |k: usize| {
            if k + 1 == LANES {
                hay.len()
            } else {
                owned(k + 1)
            }
        };
        let lane = |k: usize| hay.get(from(k)..to(k)).unwrap_or_default();
        let (l0, l1, l2, l3) = (lane(0), lane(1), lane(2), lane(3));
        let steps = l0.len().min(l1.len()).min(l2.len()).min(l3.len());
        let mut later: [Vec<KeywordMatch>; LANES - 1] = Default::default();
        let d = &self.dfa;
        let mut sid = [self.start; LANES];
        for (i, (((&b0, &b1), &b2), &b3)) in l0.iter().zip(l1).zip(l2).zip(l3).enumerate() {
            sid = [
                d.next_state(Anchored::No, sid[0], b0),
                d.next_state(Anchored::No, sid[1], b1),
                d.next_state(Anchored::No, sid[2], b2),
                d.next_state(Anchored::No, sid[3], b3),
            ];
            if sid.iter().any(|&s| d.is_special(s)) {
                for (k, &s) in sid.iter().enumerate() {
                    let end = from(k) + i + 1;
                    if end > owned(k) {
                        let sink = match k.checked_sub(1).and_then(|j| later.get_mut(j)) {
                            Some(buffer) => buffer,
                            None => &mut *out,
                        };
                        self.report(s, end, sink);
                    }
                }
            }
        }
        // Each lane finishes on its own, then the lanes are joined in text order.
        let tails = [l0, l1, l2, l3];
        for (k, (tail, s)) in tails.iter().zip(sid).enumerate() {
            let rest = tail.get(steps..).unwrap_or_default();
            match k.checked_sub(1).and_then(|j| later.get_mut(j)) {
                Some(buffer) => {
                    self.walk(rest, from(k) + steps, owned(k), s, buffer);
                    out.append(buffer);
                }
                None => self.walk(rest, steps, 0, s, out),
            }
        }
    }

    /// Appends the occurrences that end inside `block` of `hay` (an end equal to
    /// `block.start` belongs to the block before, except at 0), in the order of
    /// [`KeywordSet::find_overlapping`]. Scanning a long text block by block with this gives
    /// the same matches as one call, while the bytes around them are still in cache.
    pub(crate) fn find_overlapping_in(
        &self,
        hay: &[u8],
        block: std::ops::Range<usize>,
        out: &mut Vec<KeywordMatch>,
    ) {
        let from = block.start.saturating_sub(self.longest.saturating_sub(1));
        let Some(part) = hay.get(from..block.end) else {
            return;
        };
        let first = out.len();
        self.find_overlapping(part, out);
        let mut kept = first;
        for i in first..out.len() {
            if let Some(&m) = out.get(i) {
                let end = from + m.end;
                if end > block.start || end == 0 {
                    if let Some(slot) = out.get_mut(kept) {
                        *slot = KeywordMatch {
                            pattern: m.pattern,
                            start: from + m.start,
                            end,
                        };
                    }
                    kept += 1;
                }
            }
        }
        out.truncate(kept);
    }

    /// One lane: walks `bytes` (at offset `base` of the text) from state `sid`, reporting
    /// matches that end after `owned`.
    fn walk(
        &self,
        bytes: &[u8],
        base: usize,
        owned: usize,
        mut sid: StateID,
        out: &mut Vec<KeywordMatch>,
    ) {
        for (i, &b) in bytes.iter().enumerate() {
            sid = self.dfa.next_state(Anchored::No, sid, b);
            if self.dfa.is_special(sid) && base + i + 1 > owned {
                self.report(sid, base + i + 1, out);
            }
        }
    }

    fn report(&self, sid: StateID, end: usize, out: &mut Vec<KeywordMatch>) {
        if !self.dfa.is_match(sid) {
            return;
        }
        for i in 0..self.dfa.match_len(sid) {
            let pattern = self.dfa.match_pattern(sid, i);
            out.push(KeywordMatch {
                pattern: pattern.as_usize(),
                start: end.saturating_sub(self.dfa.pattern_len(pattern)),
                end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;

    fn reference(patterns: &[Vec<u8>], hay: &[u8], nocase: bool) -> Vec<KeywordMatch> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(nocase)
            .build(patterns)
            .unwrap_or_else(|e| unreachable!("{e}"));
        ac.find_overlapping_iter(hay)
            .map(|m| KeywordMatch {
                pattern: m.pattern().as_usize(),
                start: m.start(),
                end: m.end(),
            })
            .collect()
    }

    fn ours(patterns: &[Vec<u8>], hay: &[u8], nocase: bool) -> Vec<KeywordMatch> {
        let set = KeywordSet::new(patterns, nocase).unwrap_or_else(|e| unreachable!("{e}"));
        let mut out = Vec::new();
        set.find_overlapping(hay, &mut out);
        out
    }

    fn in_blocks(patterns: &[Vec<u8>], hay: &[u8], nocase: bool, size: usize) -> Vec<KeywordMatch> {
        let set = KeywordSet::new(patterns, nocase).unwrap_or_else(|e| unreachable!("{e}"));
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let end = (at + size).min(hay.len());
            set.find_overlapping_in(hay, at..end, &mut out);
            if end == hay.len() {
                return out;
            }
            at = end;
        }
    }

    /// Texts long enough for the lanes, with keywords planted across every lane border.
    fn planted(patterns: &[Vec<u8>], filler: &[u8], len: usize) -> Vec<u8> {
        let mut hay = Vec::with_capacity(len + 64);
        let mut k = 0;
        while hay.len() < len {
            hay.extend_from_slice(filler);
            if let Some(p) = patterns.get(k % patterns.len().max(1)) {
                hay.extend_from_slice(p);
            }
            k += 1;
        }
        hay
    }

    #[test]
    fn lanes_equal_one_walk_at_every_border() {
        let patterns: Vec<Vec<u8>> = ["token", "ok", "sk-", "KEY", "secret_key", "k"]
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect();
        for len in [0, 1, 7, 8191, 8192, 8193, 40_000, 100_003] {
            for filler in [&b"ab"[..], b"x tokens secret_keyk ", b"sk-sk-"] {
                let hay = planted(&patterns, filler, len);
                for nocase in [false, true] {
                    let expected = reference(&patterns, &hay, nocase);
                    assert_eq!(
                        ours(&patterns, &hay, nocase),
                        expected,
                        "len {len} nocase {nocase}"
                    );
                    for size in [1, 9, 10_000] {
                        assert_eq!(
                            in_blocks(&patterns, &hay, nocase, size),
                            expected,
                            "len {len} nocase {nocase} blocks of {size}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn no_patterns_find_nothing() {
        let none: Vec<Vec<u8>> = Vec::new();
        assert!(ours(&none, &[b'a'; 50_000], true).is_empty());
        let empty = vec![Vec::new()];
        assert_eq!(
            ours(&empty, b"abc", false),
            reference(&empty, b"abc", false)
        );
        assert_eq!(
            in_blocks(&empty, b"abc", false, 2),
            reference(&empty, b"abc", false)
        );
    }

    proptest! {
        #[test]
        fn equals_aho_corasick_overlapping(
            patterns in proptest::collection::vec(proptest::collection::vec(b'a'..=b'e', 1..6), 1..12),
            seed in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'B'), Just(b'c'), Just(b'd'), Just(b'E'), Just(b' ')], 1..64),
            repeat in 1usize..700,
            nocase: bool,
            block in 1usize..20_000,
        ) {
            let hay: Vec<u8> = seed.iter().copied().cycle().take(seed.len() * repeat).collect();
            let expected = reference(&patterns, &hay, nocase);
            prop_assert_eq!(&in_blocks(&patterns, &hay, nocase, block), &expected);
            prop_assert_eq!(ours(&patterns, &hay, nocase), expected);
        }
    }
}
