//! Where phrase rules may start: their prefix literals (anchors), looked up at the few
//! places of a text where a rule can begin.
//!
//! Every rule either starts at an ASCII word boundary or with punctuation (`<|`, `[inst]`,
//! `##`), so an anchor that starts with a word byte can only match at the start of a word,
//! and the others only where their first byte occurs. Those places (one byte in five or
//! six of prose) are found 64 bytes at a time with bit masks; at each one the first two
//! and the first four bytes are hashed. Each hash picks a bit of an 8 KB filter, set only
//! where some literal's key hashes (three places in four of prose start no literal and
//! stop there), and then a bucket of a small table whose literals are compared eight
//! bytes at a time. This replaces an Aho-Corasick walk over every byte,
//! whose table (hundreds of anchors, every suffix a state) did not fit in the core's
//! caches, and which found "ai" in "said" and "no" in "know" only for the rule to reject
//! them.

use super::classes::{alnum, any_of, eq, positions, window, Block};
use crate::scan::is_word_byte;

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

/// Literals of at least this many bytes are keyed by this many; shorter ones by two.
const KEY_LEN: usize = 4;
/// log2 of the number of buckets: 4096 two-byte offsets, 8 KB.
const BUCKET_BITS: u32 = 12;
const BUCKETS: usize = 1 << BUCKET_BITS;
/// log2 of the number of filter bits: 65,536 bits, 8 KB. A bucket is the top
/// `BUCKET_BITS` of a filter index.
const FILTER_BITS: u32 = 16;
const MULT: u64 = 0x9E37_79B9_7F4A_7C15;

/// A compiled anchor list, immutable and shared across threads.
#[derive(Debug, Clone)]
pub(crate) struct Anchors {
    /// The first bytes of anchors that do not start with a word byte.
    starters: Vec<u8>,
    /// Bit `k` is set when a literal's key hashes to filter index `k`.
    filter: Box<[u64; (1 << FILTER_BITS) / 64]>,
    /// `buckets[k]..buckets[k + 1]` are the entries whose key hashes to `k`.
    buckets: Box<[u16; BUCKETS + 1]>,
    entries: Vec<Entry>,
    ids: Vec<usize>,
}

/// The filter index of the literal (or text) starting with the little-endian `bytes`:
/// keyed by its first two bytes when `short`, else by its first four.
fn filter_index(bytes: u64, short: bool) -> usize {
    let key = if short {
        bytes & 0xFFFF | 1 << 32
    } else {
        bytes & 0xFFFF_FFFF
    };
    (key.wrapping_mul(MULT) >> (64 - FILTER_BITS)) as usize
}

/// The bucket of filter index `k`.
fn bucket(k: usize) -> usize {
    k >> (FILTER_BITS - BUCKET_BITS)
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
        let mut ids = Vec::with_capacity(anchors.len());
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
            ids.extend(list);
            keyed.push((filter_index(bytes, lit.len() < KEY_LEN), entry));
        }
        let mut filter = Box::new([0u64; (1 << FILTER_BITS) / 64]);
        for &(k, _) in &keyed {
            if let Some(word) = filter.get_mut(k / 64) {
                *word |= 1 << (k % 64);
            }
        }
        // Stable: within a bucket, literals keep their first anchor's order.
        keyed.sort_by_key(|&(k, _)| bucket(k));
        let mut buckets = Box::new([0u16; BUCKETS + 1]);
        for &(k, _) in &keyed {
            if let Some(n) = buckets.get_mut(bucket(k) + 1) {
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
            starters,
            filter,
            buckets,
            entries: keyed.into_iter().map(|(_, e)| e).collect(),
            ids,
        })
    }

    /// Appends the occurrences in `text` of anchors that start with a word byte at the
    /// start of a word, and of the others anywhere, ordered by start.
    pub(crate) fn find(&self, text: &[u8], out: &mut Vec<AnchorMatch>) {
        // Whether the byte before the current 64 is a word byte.
        let mut word_before = 0u64;
        for (block_index, block) in text.chunks(64).enumerate() {
            let block = Block::new(block);
            // `is_word_byte`: letters, digits and `_`.
            let word = block.mask(|v| alnum(v) | eq(v, b'_'));
            let starter = block.mask(|v| any_of(v, &self.starters));
            let word_starts = word & !(word << 1 | word_before);
            word_before = word >> 63;
            for at in positions(word_starts | starter, block_index * 64) {
                let bytes = load(text, at);
                let (short, long) = (filter_index(bytes, true), filter_index(bytes, false));
                let (short_set, long_set) = (self.filter_bit(short), self.filter_bit(long));
                if !(short_set | long_set) {
                    continue;
                }
                if short_set {
                    self.find_in_bucket(bytes, bucket(short), at, text.len(), out);
                }
                // Both keys may hash to one bucket; its literals are reported once.
                if long_set && (!short_set || bucket(long) != bucket(short)) {
                    self.find_in_bucket(bytes, bucket(long), at, text.len(), out);
                }
            }
        }
    }

    fn filter_bit(&self, k: usize) -> bool {
        // Already below the filter's size; saying so drops the bounds check.
        let k = k % (1 << FILTER_BITS);
        self.filter[k / 64] >> (k % 64) & 1 == 1
    }

    fn find_in_bucket(
        &self,
        bytes: u64,
        bucket: usize,
        at: usize,
        text_len: usize,
        out: &mut Vec<AnchorMatch>,
    ) {
        // Already below `BUCKETS`; saying so lets the compiler drop the bounds checks.
        let bucket = bucket % BUCKETS;
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

/// Up to eight bytes of `text` from `at`, little endian; zeros past the end.
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

    #[test]
    fn a_bucket_both_keys_hash_to_is_read_once() {
        // "ab" (keyed by two bytes) and "ab\x18$" (by four) land in the same bucket, and
        // the text sets both of their filter bits.
        let anchors = ["ab", "ab\x18$"];
        let set = Anchors::new(&anchors).unwrap();
        let text = b"ab\x18$";
        let (short, long) = (
            filter_index(load(text, 0), true),
            filter_index(load(text, 0), false),
        );
        assert_eq!(bucket(short), bucket(long));
        assert!(set.filter_bit(short) && set.filter_bit(long));
        let mut out = Vec::new();
        set.find(text, &mut out);
        assert_eq!(sorted(out), naive(&anchors, text));
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
