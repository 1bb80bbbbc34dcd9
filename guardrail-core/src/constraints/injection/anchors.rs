//! Where phrase rules may start: their prefix literals (anchors), looked up at the few
//! places of a text where a rule can begin.
//!
//! Every rule either starts at an ASCII word boundary or with punctuation (`<|`, `[inst]`,
//! `##`), so an anchor that starts with a word byte can only match at the start of a word,
//! and the others only where their first byte occurs. Those places (one byte in five or
//! six of prose) are found 64 bytes at a time with bit masks. At each one the first two,
//! four and eight bytes are hashed, each to a bit of a 16 KB filter; a literal sets one
//! bit, that of its own key (as many of those lengths as it has), so "the " in a text does
//! not pass for "the syst". Places that pass (one in eight of prose, most of them
//! real occurrences) read the buckets of their set keys, whose literals are compared
//! eight bytes at a time. This replaces an Aho-Corasick walk over every byte, whose table
//! (hundreds of anchors, every suffix a state) did not fit in the core's caches, and which
//! found "ai" in "said" and "no" in "know" only for the rule to reject them.

use super::classes::{alnum, any_of, eq, positions, window, Block};
use crate::scan::is_word_byte;
use wide::u8x16;

/// Anchors are compared as one `u64`; longer literals are cut to this.
pub(crate) const MAX_LEN: usize = 8;

/// One anchor occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AnchorMatch {
    /// Index of the anchor in the list given to [`Anchors::new`].
    pub anchor: usize,
    pub start: usize,
    pub end: usize,
}

/// Why an anchor list was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AnchorError {
    #[error("anchor {0:?} is shorter than 2 or longer than {MAX_LEN} bytes")]
    Length(String),
    #[error("more than {} distinct anchors", u16::MAX)]
    TooMany,
}

/// A distinct literal and the anchors (`ids[first..first + count]`) that are it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    bytes: u64,
    mask: u64,
    len: usize,
    first: usize,
    count: usize,
}

/// How a literal is keyed: by its first two bytes when shorter than four, by its first
/// four when shorter than [`MAX_LEN`], else by all eight. A text is looked up by all three
/// at each place: keying a literal by as many bytes as it has keeps "the " (the start of
/// "the syst", "the assi") out of the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Two,
    Four,
    Eight,
}

impl Key {
    const ALL: [Key; 3] = [Key::Two, Key::Four, Key::Eight];

    fn of_len(len: usize) -> Key {
        match len {
            ..4 => Key::Two,
            MAX_LEN.. => Key::Eight,
            _ => Key::Four,
        }
    }

    /// The filter index of the literal (or text) starting with the little-endian `bytes`.
    #[inline(always)]
    fn index(self, bytes: u64) -> usize {
        let key = match self {
            Key::Two => bytes & 0xFFFF | 1 << 32,
            Key::Four => bytes & 0xFFFF_FFFF,
            Key::Eight => bytes,
        };
        (key.wrapping_mul(MULT) >> (64 - FILTER_BITS)) as usize
    }

    /// The bucket of filter index `k`: each key has its own buckets, so a literal is
    /// found in exactly one place.
    fn bucket(self, k: usize) -> usize {
        self as usize * BUCKETS + (k >> (FILTER_BITS - BUCKET_BITS))
    }
}

/// log2 of the number of buckets per key: 3 x 2048 two-byte offsets, 12 KB.
const BUCKET_BITS: u32 = 11;
const BUCKETS: usize = 1 << BUCKET_BITS;
/// log2 of the number of filter bits: 131,072 bits, 16 KB, about 1 % of them set.
const FILTER_BITS: u32 = 17;
type Filter = [u64; (1 << FILTER_BITS) / 64];
const MULT: u64 = 0x9E37_79B9_7F4A_7C15;

/// A compiled anchor list, immutable and shared across threads.
#[derive(Debug, Clone)]
pub(crate) struct Anchors {
    /// The first bytes of anchors that do not start with a word byte, each repeated across
    /// a vector (see [`any_of`]).
    starters: Vec<u8x16>,
    /// Bit `k` is set when a literal's key hashes to `k`.
    filter: Box<Filter>,
    /// `buckets[b]..buckets[b + 1]` are the entries of bucket `b`.
    buckets: Box<[u16; 3 * BUCKETS + 1]>,
    entries: Vec<Entry>,
    ids: Vec<usize>,
    /// The filter bits that are set and how many anchors set each.
    keys: Vec<(usize, usize)>,
    /// Per anchor, its filter bit's place in `keys`.
    anchor_key: Vec<usize>,
}

/// The anchors still looked for in one text: a copy of the filter from which a bit is
/// cleared once every anchor that set it was dropped. A long text that has matched a
/// rule early stops paying for the lookups of that rule's frequent words.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    filter: Box<Filter>,
    /// Per entry of [`Anchors::keys`], how many anchors still want it.
    wanting: Vec<usize>,
    dropped: Vec<bool>,
}

impl Anchors {
    /// Compiles `anchors`, each 2 to [`MAX_LEN`] bytes.
    pub(crate) fn new<A: AsRef<[u8]>>(anchors: &[A]) -> Result<Anchors, AnchorError> {
        let mut starters = Vec::new();
        // Distinct literals, each with its anchors in list order.
        let mut distinct: Vec<(&[u8], Vec<usize>)> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (anchor, lit) in anchors.iter().enumerate() {
            let lit = lit.as_ref();
            if !(2..=MAX_LEN).contains(&lit.len()) {
                return Err(AnchorError::Length(String::from_utf8_lossy(lit).into()));
            }
            if let Some(&b0) = lit.first().filter(|&&b| !is_word_byte(b)) {
                if !starters.contains(&b0) {
                    starters.push(b0);
                }
            }
            let slot = *seen.entry(lit).or_insert_with(|| {
                distinct.push((lit, Vec::new()));
                distinct.len() - 1
            });
            if let Some((_, list)) = distinct.get_mut(slot) {
                list.push(anchor);
            }
        }
        if distinct.len() > usize::from(u16::MAX) {
            return Err(AnchorError::TooMany);
        }
        let mut keyed: Vec<(usize, Entry)> = Vec::with_capacity(distinct.len());
        let mut filter = Box::new([0u64; (1 << FILTER_BITS) / 64]);
        let mut ids = Vec::with_capacity(anchors.len());
        let mut keys: Vec<(usize, usize)> = Vec::new();
        let mut key_place = std::collections::HashMap::new();
        let mut anchor_key = vec![0; anchors.len()];
        for (lit, list) in distinct {
            let mut bytes = [0u8; MAX_LEN];
            if let Some(head) = bytes.get_mut(..lit.len()) {
                head.copy_from_slice(lit);
            }
            let bytes = u64::from_le_bytes(bytes);
            let mask = u64::MAX >> (8 * (MAX_LEN - lit.len()));
            let entry = Entry {
                bytes,
                mask,
                len: lit.len(),
                first: ids.len(),
                count: list.len(),
            };
            let key = Key::of_len(lit.len());
            let k = key.index(bytes);
            let place = *key_place.entry(k).or_insert_with(|| {
                keys.push((k, 0));
                keys.len() - 1
            });
            for &anchor in &list {
                if let (Some(slot), Some(key)) = (anchor_key.get_mut(anchor), keys.get_mut(place)) {
                    *slot = place;
                    key.1 += 1;
                }
            }
            ids.extend(list);
            if let Some(word) = filter.get_mut(k / 64) {
                *word |= 1 << (k % 64);
            }
            keyed.push((key.bucket(k), entry));
        }
        // Stable: within a bucket, literals keep their first anchor's order.
        keyed.sort_by_key(|&(b, _)| b);
        let mut buckets = Box::new([0u16; 3 * BUCKETS + 1]);
        for &(b, _) in &keyed {
            if let Some(n) = buckets.get_mut(b + 1) {
                *n += 1;
            }
        }
        for i in 1..buckets.len() {
            let before = buckets.get(i - 1).copied().unwrap_or(0);
            if let Some(n) = buckets.get_mut(i) {
                *n += before;
            }
        }
        Ok(Anchors {
            starters: starters.into_iter().map(u8x16::splat).collect(),
            filter,
            buckets,
            entries: keyed.into_iter().map(|(_, e)| e).collect(),
            ids,
            keys,
            anchor_key,
        })
    }

    /// All anchors, for one text; see [`Anchors::drop_anchor`].
    pub(crate) fn wanted(&self) -> Wanted {
        Wanted {
            filter: self.filter.clone(),
            wanting: self.keys.iter().map(|&(_, n)| n).collect(),
            dropped: vec![false; self.anchor_key.len()],
        }
    }

    /// Stops looking for `anchor` with `wanted`. Its key leaves the filter when no other
    /// anchor wants it; until then its occurrences may still be reported.
    pub(crate) fn drop_anchor(&self, wanted: &mut Wanted, anchor: usize) {
        let (Some(dropped), Some(&place)) =
            (wanted.dropped.get_mut(anchor), self.anchor_key.get(anchor))
        else {
            return;
        };
        if std::mem::replace(dropped, true) {
            return;
        }
        let (Some(n), Some(&(k, _))) = (wanted.wanting.get_mut(place), self.keys.get(place)) else {
            return;
        };
        *n = n.saturating_sub(1);
        if *n == 0 {
            if let Some(word) = wanted.filter.get_mut(k / 64) {
                *word &= !(1 << (k % 64));
            }
        }
    }

    /// Appends the occurrences in `text` of anchors that start with a word byte at the
    /// start of a word, and of the others anywhere, ordered by start.
    pub(crate) fn find(&self, text: &[u8], out: &mut Vec<AnchorMatch>) {
        self.find_in(text, 0, text.len(), &self.filter, out);
    }

    /// Like [`Anchors::find`], for the anchors `wanted` still wants, starting in
    /// `text[from..to]`.
    pub(crate) fn find_wanted(
        &self,
        text: &[u8],
        from: usize,
        to: usize,
        wanted: &Wanted,
        out: &mut Vec<AnchorMatch>,
    ) {
        self.find_in(text, from, to, &wanted.filter, out);
    }

    fn find_in(
        &self,
        text: &[u8],
        from: usize,
        to: usize,
        filter: &Filter,
        out: &mut Vec<AnchorMatch>,
    ) {
        // Whether the byte before the current 64 is a word byte.
        let mut word_before =
            u64::from(from > 0 && text.get(from - 1).is_some_and(|&b| is_word_byte(b)));
        let mut spare = [0u8; 64 + MAX_LEN - 1];
        // Places of the current 64 bytes with a key in the filter.
        let mut passed = [0u8; 64];
        let blocks = text.get(from..to.min(text.len())).unwrap_or_default();
        for (block_index, block) in blocks.chunks(64).enumerate() {
            let base = from + block_index * 64;
            let bytes = window(text, base, &mut spare);
            let block = Block::new(block);
            // `is_word_byte`: letters, digits and `_`.
            let word = block.mask(|v| alnum(v) | eq(v, b'_'));
            let starter = block.mask(|v| any_of(v, &self.starters));
            let word_starts = word & !(word << 1 | word_before);
            word_before = word >> 63;
            // Most places fail the filter, unpredictably: they are written down without
            // a branch and only the ones that pass are looked up (hashing their keys again
            // there measured faster than keeping them).
            let mut count = 0;
            for i in positions(word_starts | starter, 0) {
                if let Some(slot) = passed.get_mut(count % 64) {
                    *slot = i as u8;
                }
                let head = load(bytes, i % 64);
                // All three keys with `|`, not `any`: which one passes is unpredictable.
                count += Key::ALL.iter().fold(0, |acc, key| {
                    acc | usize::from(filter_bit(filter, key.index(head)))
                });
            }
            for &i in passed.get(..count).unwrap_or_default() {
                let head = load(bytes, usize::from(i));
                for key in Key::ALL {
                    let k = key.index(head);
                    if filter_bit(filter, k) {
                        let at = base + usize::from(i);
                        self.find_in_bucket(head, key.bucket(k), at, text.len(), out);
                    }
                }
            }
        }
    }

    fn find_in_bucket(
        &self,
        bytes: u64,
        bucket: usize,
        at: usize,
        text_len: usize,
        out: &mut Vec<AnchorMatch>,
    ) {
        // Already below `3 * BUCKETS`; saying so lets the compiler drop the bounds checks.
        let bucket = bucket % (3 * BUCKETS);
        let (from, to) = (self.buckets[bucket], self.buckets[bucket + 1]);
        for e in self
            .entries
            .get(usize::from(from)..usize::from(to))
            .unwrap_or_default()
        {
            if (bytes ^ e.bytes) & e.mask == 0 && at + e.len <= text_len {
                for &anchor in self.ids.get(e.first..e.first + e.count).unwrap_or_default() {
                    out.push(AnchorMatch {
                        anchor,
                        start: at,
                        end: at + e.len,
                    });
                }
            }
        }
    }
}

#[inline(always)]
fn filter_bit(filter: &Filter, k: usize) -> bool {
    // Already below the filter's size; saying so drops the bounds check.
    let k = k % (1 << FILTER_BITS);
    filter[k / 64] >> (k % 64) & 1 == 1
}

/// Up to eight bytes of `text` from `at`, little endian; zeros past the end.
#[inline(always)]
fn load(text: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(*window(text, at, &mut [0u8; 8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: every anchor at every position, kept where the rule of this module
    /// allows it.
    fn naive(anchors: &[&str], text: &[u8]) -> Vec<AnchorMatch> {
        let mut out = Vec::new();
        for at in 0..text.len() {
            let word_start = at == 0 || !is_word_byte(text[at - 1]);
            for (anchor, a) in anchors.iter().enumerate() {
                let a = a.as_bytes();
                if text[at..].starts_with(a) && (!is_word_byte(a[0]) || word_start) {
                    out.push(AnchorMatch {
                        anchor,
                        start: at,
                        end: at + a.len(),
                    });
                }
            }
        }
        out
    }

    fn sorted(mut v: Vec<AnchorMatch>) -> Vec<AnchorMatch> {
        v.sort_by_key(|m| (m.start, m.anchor));
        v
    }

    #[test]
    fn finds_what_a_naive_search_finds() {
        let anchors = [
            "ignore", "ig", "ignore a", "no", "not", "ai", "<|im_s", "[inst]", "##", "(b64)", "ai",
            "you ar", "d\u{e9}",
        ];
        let set = Anchors::new(&anchors).unwrap();
        let mut text = b"ignore ai said ai! no-not know <|im_start|> ##[inst](b64)x ".to_vec();
        text.extend_from_slice("d\u{e9}j\u{e0} vu, you are ignore a".as_bytes());
        // Words across the 64-byte blocks and at the very end.
        let text: Vec<u8> = text.iter().copied().cycle().take(700).collect();
        for end in [0, 1, 2, 63, 64, 65, 127, 128, 129, 500, 700] {
            let mut got = Vec::new();
            set.find(&text[..end], &mut got);
            assert_eq!(sorted(got), naive(&anchors, &text[..end]), "end {end}");
        }
    }

    proptest::proptest! {
        /// Literals of every length over a small alphabet (so that they share prefixes,
        /// keys and buckets), found in texts of the same alphabet as a naive search finds
        /// them.
        #[test]
        fn random_literals_are_found_as_naively(
            anchors in proptest::collection::vec("[ab #_.]{2,8}", 1..40),
            text in "[ab #_.\n]{0,300}",
        ) {
            let set = Anchors::new(&anchors).unwrap();
            let mut got = Vec::new();
            set.find(text.as_bytes(), &mut got);
            let names: Vec<&str> = anchors.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(sorted(got), naive(&names, text.as_bytes()));
        }
    }

    /// [`Anchors::find_wanted`] over 64-byte segments, as a long text is read.
    fn find_by_segments(set: &Anchors, wanted: &Wanted, text: &[u8]) -> Vec<AnchorMatch> {
        let mut got = Vec::new();
        for from in (0..text.len()).step_by(64) {
            set.find_wanted(text, from, (from + 64).min(text.len()), wanted, &mut got);
        }
        got
    }

    proptest::proptest! {
        /// Dropped anchors are no longer reported unless they share their key with one
        /// still wanted, and the others are all found, segment by segment.
        #[test]
        fn dropped_anchors_are_forgotten(
            anchors in proptest::collection::vec("[ab #_.]{2,8}", 1..40),
            drop in proptest::collection::vec(proptest::bool::ANY, 40),
            text in "[ab #_.\n]{0,300}",
        ) {
            let set = Anchors::new(&anchors).unwrap();
            let mut wanted = set.wanted();
            let names: Vec<&str> = anchors.iter().map(String::as_str).collect();
            let all = naive(&names, text.as_bytes());
            proptest::prop_assert_eq!(sorted(find_by_segments(&set, &wanted, text.as_bytes())), all.clone());
            for (anchor, _) in drop.iter().enumerate().filter(|(a, d)| **d && *a < anchors.len()) {
                set.drop_anchor(&mut wanted, anchor);
                // Twice: dropping is counted once.
                set.drop_anchor(&mut wanted, anchor);
            }
            let got = find_by_segments(&set, &wanted, text.as_bytes());
            let kept_key = |a: usize| {
                !drop[a] || (0..anchors.len()).any(|o| !drop[o] && set.anchor_key[o] == set.anchor_key[a])
            };
            let expected: Vec<AnchorMatch> = all.into_iter().filter(|m| kept_key(m.anchor)).collect();
            proptest::prop_assert_eq!(sorted(got), expected);
        }
    }

    #[test]
    fn dropping_every_anchor_of_a_key_clears_it() {
        let set = Anchors::new(&["ignore", "ignore", "the syst"]).unwrap();
        let mut wanted = set.wanted();
        let text = b"ignore the system prompt";
        set.drop_anchor(&mut wanted, 0);
        assert_eq!(find_by_segments(&set, &wanted, text).len(), 3);
        set.drop_anchor(&mut wanted, 1);
        let got = find_by_segments(&set, &wanted, text);
        assert_eq!(
            got,
            vec![AnchorMatch {
                anchor: 2,
                start: 7,
                end: 15
            }]
        );
        set.drop_anchor(&mut wanted, 99);
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(Anchors::new(&["a"]).is_err());
        assert!(Anchors::new(&["ok", "123456789"]).is_err());
        assert!(Anchors::new(&["12345678"]).is_ok());
        let empty: [&str; 0] = [];
        let set = Anchors::new(&empty).unwrap();
        let mut out = Vec::new();
        set.find(b"anything at all", &mut out);
        assert!(out.is_empty());
    }
}
