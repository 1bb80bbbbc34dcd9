//! Byte classes of a text as bit masks, one `u64` per 64 bytes, built once per text for
//! the scanners that look for rare shapes in it (spaced-out letters, base64 runs) and for
//! normalization (the ASCII runs it copies).
//!
//! Testing a shape on masks costs a few instructions per 64 bytes instead of a branch per
//! byte; only the rare places where the shape occurs are then read byte by byte.

use wide::u8x16;

/// What separates spaced-out letters: `i g n o r e`, `i.g.n.o.r.e`, `i-g-n`, `i*g`, `i_g`.
const SPACERS: &[u8; 5] = b" .-*_";
/// The base64 alphabets (standard and URL-safe) and padding, besides letters and digits.
const BASE64_EXTRA: &[u8; 5] = b"+/=-_";

/// Whether `b` is in one of the base64 alphabets (standard, URL-safe) or is padding.
pub(crate) fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || BASE64_EXTRA.contains(&b)
}

/// Whether `b` may separate spaced-out letters (see [`SPACERS`]).
pub(crate) fn is_spacer(b: u8) -> bool {
    SPACERS.contains(&b)
}

/// Whether normalization copies `b` as it is (lowercased): visible ASCII but the
/// backslash, which may start an escaped newline.
pub(crate) fn is_plain(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'\\'
}

/// 64 bytes as four 16-byte vectors, so that a byte class is tested on 16 bytes per
/// instruction (SSE2 on x86-64, NEON on ARM). Bytes past the end of a short block are 0,
/// which is in no class.
#[derive(Clone, Copy)]
pub(crate) struct Block([u8x16; 4]);

impl Block {
    pub fn new(bytes: &[u8]) -> Block {
        let mut spare = [0u8; 64];
        let full = window(bytes, 0, &mut spare);
        Block(std::array::from_fn(|k| {
            let lane: [u8; 16] = full
                .get(16 * k..16 * k + 16)
                .and_then(|l| l.try_into().ok())
                .unwrap_or_default();
            u8x16::new(lane)
        }))
    }

    /// Bit `i` is set where `test` sets byte `i` (to `0xFF`; tests return 0 or `0xFF`).
    #[inline(always)]
    pub fn mask(&self, test: impl Fn(u8x16) -> u8x16) -> u64 {
        self.0.iter().enumerate().fold(0, |m, (k, &v)| {
            m | u64::from(test(v).to_bitmask() as u16) << (16 * k)
        })
    }
}

/// The `N` bytes of `bytes` from `at`, zeros past its end: borrowed when they are all
/// there, else copied into `spare`.
pub(crate) fn window<'a, const N: usize>(
    bytes: &'a [u8],
    at: usize,
    spare: &'a mut [u8; N],
) -> &'a [u8; N] {
    if let Some(full) = bytes.get(at..).and_then(|rest| rest.first_chunk::<N>()) {
        return full;
    }
    *spare = [0; N];
    let rest = bytes.get(at..).unwrap_or_default();
    if let Some(head) = spare.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    spare
}

/// Bytes equal to `b`.
#[inline(always)]
pub(crate) fn eq(v: u8x16, b: u8) -> u8x16 {
    v.simd_eq(u8x16::splat(b))
}

/// Bytes equal to one of `set`, whose bytes are each repeated across a vector
/// ([`splats`]): made once, not for every 16 bytes of a text.
#[inline(always)]
pub(crate) fn any_of(v: u8x16, set: &[u8x16]) -> u8x16 {
    set.iter().fold(u8x16::ZERO, |acc, b| acc | v.simd_eq(*b))
}

/// Each byte of `set` repeated across a vector, as [`any_of`] takes them.
pub(crate) const fn splats<const N: usize>(set: &[u8; N]) -> [u8x16; N] {
    let mut out = [u8x16::ZERO; N];
    let mut i = 0;
    while i < N {
        out[i] = u8x16::splat(set[i]);
        i += 1;
    }
    out
}

/// Bytes in `lo..=hi`.
#[inline(always)]
fn in_range(v: u8x16, lo: u8, hi: u8) -> u8x16 {
    let d = v - u8x16::splat(lo);
    d.min(u8x16::splat(hi - lo)).simd_eq(d)
}

/// ASCII letters and digits.
#[inline(always)]
pub(crate) fn alnum(v: u8x16) -> u8x16 {
    // `| 0x20` lowercases ASCII letters and maps no other byte into `a..=z`.
    in_range(v, b'0', b'9') | in_range(v | u8x16::splat(0x20), b'a', b'z')
}

/// Bytes of 0x80 and above (parts of non-ASCII characters).
#[inline(always)]
pub(crate) fn non_ascii(v: u8x16) -> u8x16 {
    v.simd_ge(u8x16::splat(0x80))
}

/// The offset in `bytes` of the first byte of 0x80 or above, or `bytes.len()`.
pub(crate) fn ascii_prefix_len(bytes: &[u8]) -> usize {
    let mut lanes = bytes.chunks_exact(16);
    let mut done = 0;
    for lane in lanes.by_ref() {
        let lane: [u8; 16] = lane.try_into().unwrap_or_default();
        // The bitmask is the top bit of each byte.
        let high = u8x16::new(lane).to_bitmask();
        if high != 0 {
            return done + high.trailing_zeros() as usize;
        }
        done += 16;
    }
    done + lanes
        .remainder()
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(lanes.remainder().len())
}

/// Per class, bit `i % 64` of word `i / 64` is set when byte `i` is in the class. Past the
/// end every bit is clear.
#[derive(Debug)]
pub(crate) struct ByteMasks {
    words: Vec<Word>,
}

/// The classes of 64 bytes.
#[derive(Debug, Default, Clone, Copy)]
struct Word {
    alnum: u64,
    spacer: u64,
    base64: u64,
    plain: u64,
    space: u64,
}

impl ByteMasks {
    pub fn new(text: &[u8]) -> ByteMasks {
        let words = text
            .chunks(64)
            .map(|block| {
                let block = Block::new(block);
                let alnum = block.mask(alnum);
                Word {
                    alnum,
                    spacer: block.mask(|v| any_of(v, &const { splats(SPACERS) })),
                    base64: alnum | block.mask(|v| any_of(v, &const { splats(BASE64_EXTRA) })),
                    plain: block.mask(|v| in_range(v, b'!', b'~') & !eq(v, b'\\')),
                    space: block.mask(|v| eq(v, b' ')),
                }
            })
            .collect();
        ByteMasks { words }
    }

    /// Number of 64-byte words.
    pub fn words(&self) -> usize {
        self.words.len()
    }

    fn word(&self, word: usize) -> Word {
        self.words.get(word).copied().unwrap_or_default()
    }

    pub fn alnum(&self, word: usize) -> u64 {
        self.word(word).alnum
    }

    pub fn spacer(&self, word: usize) -> u64 {
        self.word(word).spacer
    }

    pub fn base64(&self, word: usize) -> u64 {
        self.word(word).base64
    }

    /// Where a run of visible ASCII with single spaces inside, continued from `from`,
    /// ends: the first byte that is neither visible ASCII (but `\`) nor a space
    /// followed by one.
    pub fn plain_run_end(&self, from: usize) -> usize {
        let mut w = from / 64;
        let mut skip = from % 64;
        while w < self.words() {
            let (here, next) = (self.word(w), self.word(w + 1));
            let plain_after = here.plain >> 1 | next.plain << 63;
            let in_run = here.plain | (here.space & plain_after);
            let out = !in_run >> skip;
            if out != 0 {
                return w * 64 + skip + out.trailing_zeros() as usize;
            }
            w += 1;
            skip = 0;
        }
        w * 64
    }
}

/// The positions of the set bits of `mask`, offset by `base`, in increasing order.
pub(crate) fn positions(mut mask: u64, base: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let at = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(base + at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_equal_a_byte_by_byte_reading() {
        let text: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .chain(b"i g n o r e aGVsbG8gd29ybGQ= x_y-z".iter().copied())
            .collect();
        let m = ByteMasks::new(&text);
        assert_eq!(m.words(), text.len().div_ceil(64));
        for (i, &b) in text.iter().enumerate() {
            let bit = |mask: u64| mask >> (i % 64) & 1 == 1;
            assert_eq!(bit(m.alnum(i / 64)), b.is_ascii_alphanumeric(), "byte {i}");
            assert_eq!(
                bit(m.spacer(i / 64)),
                b" .-*_".contains(&b),
                "byte {i}: {b}"
            );
            assert_eq!(
                bit(m.base64(i / 64)),
                b.is_ascii_alphanumeric() || b"+/=-_".contains(&b),
                "byte {i}"
            );
            let w = m.word(i / 64);
            assert_eq!(bit(w.plain), b.is_ascii_graphic() && b != b'\\');
            assert_eq!(bit(w.space), b == b' ');
        }
        // Past the end and for an empty text, nothing is set.
        assert_eq!(m.alnum(m.words()), 0);
        assert_eq!(ByteMasks::new(b"").words(), 0);
    }

    #[test]
    fn plain_runs_end_where_normalization_stops_copying() {
        // Reference: visible ASCII, or one space before visible ASCII.
        let text: Vec<u8> = b"ab  cd e\\f g\th \xc3\xa9 end "
            .iter()
            .copied()
            .cycle()
            .take(300)
            .collect();
        let m = ByteMasks::new(&text);
        let plain = |i: usize| {
            text.get(i)
                .is_some_and(|&b| b.is_ascii_graphic() && b != b'\\')
        };
        for from in 0..=text.len() {
            let mut i = from;
            while i < text.len() && (plain(i) || (text[i] == b' ' && plain(i + 1))) {
                i += 1;
            }
            assert_eq!(m.plain_run_end(from), i, "from {from}");
        }
        assert_eq!(ByteMasks::new(b"abc").plain_run_end(0), 3);
    }

    #[test]
    fn ascii_runs_equal_a_byte_by_byte_reading() {
        let text: Vec<u8> = "Ignore ALL the Rules, d\u{e9}j\u{e0} vu [Z@`{]"
            .bytes()
            .cycle()
            .take(200)
            .collect();
        for from in 0..text.len() {
            let rest = &text[from..];
            let expected = rest
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or(rest.len());
            assert_eq!(ascii_prefix_len(rest), expected, "from {from}");
        }
    }

    #[test]
    fn windows_are_padded_with_zeros() {
        let text = b"abcdef";
        assert_eq!(window(text, 1, &mut [9u8; 4]), b"bcde");
        assert_eq!(window(text, 4, &mut [9u8; 4]), b"ef\0\0");
        assert_eq!(window(text, 9, &mut [9u8; 2]), b"\0\0");
    }

    #[test]
    fn positions_lists_set_bits() {
        let got: Vec<usize> = positions(0b1010_0001 | 1 << 63, 64).collect();
        assert_eq!(got, vec![64, 69, 71, 127]);
        assert_eq!(positions(0, 0).count(), 0);
    }
}
