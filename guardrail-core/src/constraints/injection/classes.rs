//! Byte classes of a text as bit masks, one `u64` per 64 bytes, built once per text for
//! the scanners that look for rare shapes in it (spaced-out letters, base64 runs) and for
//! normalization (the ASCII runs it copies).
//!
//! Testing a shape on masks costs a few instructions per 64 bytes instead of a branch per
//! byte; only the rare places where the shape occurs are then read byte by byte.

/// ASCII letters and digits.
const ALNUM: u8 = 1;
/// What separates spaced-out letters: `i g n o r e`, `i.g.n.o.r.e`, `i-g-n`, `i*g`, `i_g`.
const SPACER: u8 = 2;
/// The base64 alphabets (standard and URL-safe) with padding.
const BASE64: u8 = 4;
/// Visible ASCII but the backslash (which may start an escaped newline): what
/// normalization copies as it is (lowercased).
const PLAIN: u8 = 8;
/// The ASCII space.
const SPACE: u8 = 16;

static TABLE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let mut class = 0u8;
        if b.is_ascii_alphanumeric() {
            class |= ALNUM | BASE64;
        }
        if matches!(b, b' ' | b'.' | b'-' | b'*' | b'_') {
            class |= SPACER;
        }
        if matches!(b, b'+' | b'/' | b'=' | b'-' | b'_') {
            class |= BASE64;
        }
        if b.is_ascii_graphic() && b != b'\\' {
            class |= PLAIN;
        }
        if b == b' ' {
            class |= SPACE;
        }
        t[c] = class;
        c += 1;
    }
    t
};

/// Whether `b` is in one of the base64 alphabets (standard, URL-safe) or is padding.
pub(crate) fn is_base64(b: u8) -> bool {
    TABLE[usize::from(b)] & BASE64 != 0
}

/// Whether `b` may separate spaced-out letters (see [`SPACER`]).
pub(crate) fn is_spacer(b: u8) -> bool {
    TABLE[usize::from(b)] & SPACER != 0
}

/// Whether normalization copies `b` as it is (see [`PLAIN`]).
pub(crate) fn is_plain(b: u8) -> bool {
    TABLE[usize::from(b)] & PLAIN != 0
}

/// Gathers bit 0 of each of 8 little-endian bytes (each 0 or 1) into the low 8 bits:
/// byte `k` times `2^(56 - 7k)` lands on bit `56 + k`, and no two partial products
/// share a bit, so nothing carries.
const GATHER: u64 = 0x0102_0408_1020_4080;

fn gather(bytes: u64, class: u8) -> u64 {
    let bit = class.trailing_zeros();
    (((bytes >> bit) & 0x0101_0101_0101_0101).wrapping_mul(GATHER)) >> 56
}

/// Class masks of up to 64 bytes: bit `i` of mask `k` is set when `table[block[i]]` has
/// the bit `classes[k]` (each class one bit).
pub(crate) fn block_masks<const N: usize>(
    block: &[u8],
    table: &[u8; 256],
    classes: [u8; N],
) -> [u64; N] {
    let mut masks = [0u64; N];
    for (k, group) in block.chunks(8).take(8).enumerate() {
        // Assembled in a register: bytes stored one by one and read back as a `u64`
        // would stall on every group.
        let bytes = group.iter().enumerate().fold(0u64, |acc, (i, &b)| {
            acc | u64::from(table[usize::from(b)]) << (8 * i)
        });
        for (mask, &class) in masks.iter_mut().zip(&classes) {
            *mask |= gather(bytes, class) << (8 * k as u32);
        }
    }
    masks
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
                let [alnum, spacer, base64, plain, space] =
                    block_masks(block, &TABLE, [ALNUM, SPACER, BASE64, PLAIN, SPACE]);
                Word {
                    alnum,
                    spacer,
                    base64,
                    plain,
                    space,
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
    fn positions_lists_set_bits() {
        let got: Vec<usize> = positions(0b1010_0001 | 1 << 63, 64).collect();
        assert_eq!(got, vec![64, 69, 71, 127]);
        assert_eq!(positions(0, 0).count(), 0);
    }
}
