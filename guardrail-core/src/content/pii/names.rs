//! PERSON without a model: a gazetteer of given names and surnames from US Census name
//! statistics (see `data/README.md`), titles, and cues such as `Dear` or `my name is`.
//!
//! A run of capitalized words is a person when it starts with a title (`Dr. Alvarez`), or
//! with a known given name followed by a surname-like word (`Maria Lopez`), or when a lone
//! given name follows a greeting (`Hi Maria,`). Given names that are also common English words
//! (`Will`, `May`, `Bill`) need a known surname after them.

use std::sync::LazyLock;

/// What a word can be, as bit flags: one lookup answers every question about a word.
mod kind {
    pub(super) const GIVEN: u8 = 1;
    pub(super) const SURNAME: u8 = 2;
    /// A given name that is an everyday word (`will`, `may`).
    pub(super) const AMBIGUOUS: u8 = 4;
    pub(super) const NOT_SURNAME: u8 = 8;
    pub(super) const TITLE: u8 = 16;
    pub(super) const CUE: u8 = 32;
}

/// Every known word, lowercase, with its [`kind`] flags. Each word of a capitalized run is
/// looked up once, however many lists it is asked about.
static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::new(listed_words()));

/// Every listed word with the [`kind`] flag of its list (a word can come more than once).
fn listed_words() -> impl Iterator<Item = (&'static str, u8)> + Clone {
    let given = include_str!("../../../data/given_names.txt").lines();
    let surnames = include_str!("../../../data/surnames.txt").lines();
    let lists = [
        (AMBIGUOUS, kind::AMBIGUOUS),
        (NOT_SURNAME, kind::NOT_SURNAME),
        (TITLES, kind::TITLE),
        (CUES, kind::CUE),
    ];
    given
        .map(|w| (w, kind::GIVEN))
        .chain(surnames.map(|w| (w, kind::SURNAME)))
        .chain(
            lists
                .into_iter()
                .flat_map(|(ws, f)| ws.iter().map(move |&w| (w, f))),
        )
}

/// A set of words with flags, each entry one `u64`: the word's 56-bit hash above its 8 flag
/// bits, open-addressed at under half load. A lookup reads one cache line, where a map of
/// string keys reads three (control bytes, bucket, the key's bytes); with 24k words that is
/// most of the PERSON check's time on large texts. Two listed words never share a hash (a test
/// checks the lists), and a word outside them matches one with odds of 24k in 2^56.
struct Lexicon {
    slots: Box<[u64]>,
    /// Right shift that turns a hash into a slot index (the top bits).
    shift: u32,
}

impl Lexicon {
    const FLAGS: u64 = 0xFF;

    fn new<'a>(words: impl Iterator<Item = (&'a str, u8)> + Clone) -> Lexicon {
        let bits = (words.clone().count().max(1) * 2)
            .next_power_of_two()
            .trailing_zeros();
        let mut lexicon = Lexicon {
            slots: vec![0; 1 << bits].into_boxed_slice(),
            shift: u64::BITS - bits,
        };
        for (word, flags) in words {
            let key = Lexicon::key(word.as_bytes());
            if let Some(slot) = lexicon.slot(key).and_then(|i| lexicon.slots.get_mut(i)) {
                *slot = key | (*slot & Lexicon::FLAGS) | u64::from(flags);
            }
        }
        lexicon
    }

    /// The hash of a lowercase word with its flag bits clear; never zero (an empty slot).
    fn key(word: &[u8]) -> u64 {
        // FNV-1a, then a multiply-xorshift so the top bits (the slot index) mix every byte.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in word {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h = (h ^ (h >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93);
        h ^= h >> 32;
        (h & !Lexicon::FLAGS) | 0x100
    }

    /// Index of the slot holding `key`, or of the empty slot where it would go.
    fn slot(&self, key: u64) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let start = usize::try_from(key >> self.shift).unwrap_or(0);
        (0..self.slots.len())
            .map(|i| (start + i) & mask)
            .find(|&i| {
                self.slots
                    .get(i)
                    .is_some_and(|&s| s == 0 || s & !Lexicon::FLAGS == key)
            })
    }

    /// The [`kind`] flags of a lowercase word (0 when unknown: its slot is empty).
    fn get(&self, word: &[u8]) -> u8 {
        self.slot(Lexicon::key(word))
            .and_then(|i| self.slots.get(i))
            .map_or(0, |&slot| (slot & Lexicon::FLAGS) as u8)
    }
}

/// Given names that are everyday words; alone or before an unknown word they are not names.
const AMBIGUOUS: &[&str] = &[
    "will",
    "may",
    "june",
    "april",
    "august",
    "bill",
    "mark",
    "grant",
    "hope",
    "joy",
    "faith",
    "rose",
    "art",
    "bob",
    "chance",
    "chase",
    "christian",
    "dean",
    "drew",
    "earl",
    "gay",
    "guy",
    "hunter",
    "ivy",
    "jack",
    "jean",
    "king",
    "lane",
    "long",
    "major",
    "miles",
    "norman",
    "page",
    "pat",
    "price",
    "ray",
    "rich",
    "rod",
    "royal",
    "sky",
    "summer",
    "sunny",
    "tad",
    "van",
    "wade",
    "warren",
    "young",
    "dawn",
    "eve",
    "crystal",
    "ruby",
    "pearl",
    "holly",
    "iris",
    "lily",
    "daisy",
    "amber",
    "autumn",
    "angel",
    "star",
    "max",
    "son",
    "don",
    "sale",
    "lee",
    "case",
    "carol",
    "penny",
    "sandy",
    "rusty",
    "buck",
    "cash",
    "clay",
    "dale",
    "glen",
    "hall",
    "les",
    "lou",
    "mason",
    "my",
    "an",
    "in",
    "so",
    "see",
    "thanks",
    "hi",
    "ok",
    "best",
    "dear",
    "an",
    "all",
    "else",
    "ever",
    "love",
    "ma",
    "mae",
    "many",
    "else",
    "erin",
    "sol",
    "tom",
    "un",
];

/// Capitalized words that are not surnames even when unknown to the gazetteer.
const NOT_SURNAME: &[&str] = &[
    "street",
    "avenue",
    "road",
    "inc",
    "ltd",
    "llc",
    "corp",
    "company",
    "bank",
    "university",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "the",
    "and",
    "team",
    "support",
    "customer",
    "service",
    "account",
    "order",
    "invoice",
    "please",
    "thanks",
    "thank",
    "hello",
    "dear",
    "regards",
    "best",
    "from",
    "to",
    "is",
    "was",
    "has",
    "will",
    "can",
    "group",
    "center",
    "centre",
    "hospital",
    "school",
    "airport",
    "station",
    "county",
    "city",
    "state",
    "district",
    "club",
    "store",
    "shop",
    "ticket",
    "request",
    "update",
    "status",
    "error",
    "warning",
    "info",
    "note",
    "subject",
    "re",
    "fwd",
    "fw",
    "id",
    "number",
    "email",
    "phone",
    "address",
    "name",
    "user",
    "there",
    "everyone",
    "all",
    "folks",
    "sir",
    "madam",
    "care",
    "success",
    "sales",
    "billing",
    "legal",
    "acme",
    "corp",
    "new",
    "york",
];

const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "dr", "prof", "sir"];
const CUES: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "dear",
    "thanks",
    "thank you",
    "cheers",
    "regards",
    "name is",
    "name:",
    "i am",
    "i'm",
    "this is",
    "contact",
    "cc",
    "from:",
    "to:",
    "signed",
    "by",
    "customer",
    "customer:",
    "patient",
    "agent",
    "attn",
    "attn:",
    "sincerely",
    "spoke with",
    "met with",
    "talked to",
    "name\": \"",
    "name\":\"",
    "regards",
    "contact:",
];

/// The [`kind`] flags of `word`, compared without ASCII case.
fn kind_of(word: &str) -> u8 {
    let bytes = word.as_bytes();
    let mut buf = [0u8; 32];
    let Some(lower) = buf.get_mut(..bytes.len()) else {
        return 0; // longer than any listed word
    };
    for (dst, &src) in lower.iter_mut().zip(bytes) {
        *dst = src.to_ascii_lowercase();
    }
    LEXICON.get(lower)
}

/// A word of a run, with its byte offsets in the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    /// Its [`kind`] flags.
    kind: u8,
}

impl Token<'_> {
    fn is(&self, flag: u8) -> bool {
        self.kind & flag != 0
    }
}

/// Persons in the capitalized run `text[start..end]`: `(start, end, confidence)`. `tokens` is
/// a buffer the caller reuses across runs.
pub(crate) fn persons<'t>(
    text: &'t str,
    start: usize,
    end: usize,
    tokens: &mut Vec<Token<'t>>,
    out: &mut Vec<(usize, usize, f32)>,
) {
    let Some(run) = text.get(start..end) else {
        return;
    };
    tokens.clear();
    let mut off = start;
    // Split on bytes: `str::split(' ')` costs a searcher per word of these short runs.
    for word in run.as_bytes().split(|&b| b == b' ') {
        let w = text
            .get(off..off + word.len())
            .unwrap_or_default()
            .trim_end_matches('.');
        tokens.push(Token {
            text: w,
            start: off,
            end: off + w.len(),
            kind: kind_of(w),
        });
        off += word.len() + 1;
    }
    let before = text.get(..start).unwrap_or_default();
    let found_before = out.len();
    let mut i = 0;
    while i < tokens.len() {
        let Some(tok) = tokens.get(i).copied() else {
            break;
        };
        let next = tokens.get(i + 1).copied();
        let is_title = tok.is(kind::TITLE);
        if is_title {
            if let Some(n) = next.filter(|n| !n.is(kind::NOT_SURNAME)) {
                let last = extend(tokens, i + 1);
                out.push((n.start, last.end, 0.85));
                i = tokens
                    .iter()
                    .position(|t| t.start == last.start)
                    .map_or(tokens.len(), |p| p + 1);
                continue;
            }
        }
        let given = tok.is(kind::GIVEN) && !tok.is(kind::NOT_SURNAME);
        if given {
            let ambiguous = tok.is(kind::AMBIGUOUS);
            // Skip a middle initial or middle name.
            let mut j = i + 1;
            if let Some(m) = tokens.get(j) {
                let initial = m.text.len() == 1 && tokens.get(j + 1).is_some();
                if initial
                    || (m.is(kind::GIVEN) && tokens.get(j + 1).is_some_and(|t| t.is(kind::SURNAME)))
                {
                    j += 1;
                }
            }
            if let Some(sur) = tokens
                .get(j)
                .filter(|t| t.text.len() > 1 && !t.is(kind::NOT_SURNAME))
            {
                let known = sur.is(kind::SURNAME);
                if known || !ambiguous {
                    out.push((tok.start, sur.end, if known { 0.8 } else { 0.6 }));
                    i = j + 1;
                    continue;
                }
            }
            if !ambiguous && next.is_none() {
                let cue = i
                    .checked_sub(1)
                    .and_then(|p| tokens.get(p))
                    .map_or_else(|| ends_with_cue(before), |p| p.is(kind::CUE));
                out.push((tok.start, tok.end, if cue { 0.6 } else { 0.3 }));
            }
        }
        i += 1;
    }
    // Unknown to the gazetteer (`Oluwaseun Adeyemi`), but right after a strong cue such as
    // `Dear`, `Customer:` or `"name": "`: two or three capitalized words are taken as a name.
    if out.len() == found_before && (2..=3).contains(&tokens.len()) && ends_with_cue(before) {
        let plain = tokens
            .iter()
            .all(|t| t.text.len() > 1 && !t.is(kind::NOT_SURNAME) && !t.is(kind::TITLE));
        if let (true, Some(first), Some(last)) = (plain, tokens.first(), tokens.last()) {
            out.push((first.start, last.end, 0.6));
        }
    }
}

/// The last token of a name that starts at `from`: up to three capitalized words.
fn extend<'a>(tokens: &[Token<'a>], from: usize) -> Token<'a> {
    let mut last = from;
    while last + 1 < tokens.len() && last + 1 < from + 3 {
        match tokens.get(last + 1) {
            Some(t) if !t.is(kind::NOT_SURNAME) => last += 1,
            _ => break,
        }
    }
    tokens.get(last).copied().unwrap_or(Token {
        text: "",
        start: 0,
        end: 0,
        kind: 0,
    })
}

/// Whether `before`, without trailing whitespace and commas, ends with a cue as a whole word.
fn ends_with_cue(before: &str) -> bool {
    let tail = before.trim_end().trim_end_matches(',').as_bytes();
    let Some(last) = tail.last().map(u8::to_ascii_lowercase) else {
        return false;
    };
    // Cues are lowercase ASCII, so an ASCII-insensitive compare equals lowercasing first; the
    // last byte rules out most cues before any longer compare.
    CUES.iter().map(|c| c.as_bytes()).any(|c| {
        let Some(at) = tail.len().checked_sub(c.len()) else {
            return false;
        };
        c.last() == Some(&last)
            && tail.get(at..).is_some_and(|t| t.eq_ignore_ascii_case(c))
            && at
                .checked_sub(1)
                .and_then(|p| tail.get(p))
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        persons(text, 0, text.len(), &mut Vec::new(), &mut out);
        out.iter()
            .filter(|p| p.2 >= 0.5)
            .filter_map(|&(s, e, _)| text.get(s..e).map(str::to_string))
            .collect()
    }

    #[test]
    fn listed_words_are_lowercase_and_never_share_a_key() {
        let words: std::collections::HashSet<&str> = listed_words().map(|(w, _)| w).collect();
        assert!(words.len() > 24_000, "{} words", words.len());
        assert!(words
            .iter()
            .all(|w| !w.bytes().any(|b| b.is_ascii_uppercase())));
        let keys: std::collections::HashSet<u64> =
            words.iter().map(|w| Lexicon::key(w.as_bytes())).collect();
        assert_eq!(keys.len(), words.len(), "two listed words share a key");
        // Every word is found with exactly the flags of its lists.
        for (word, flag) in listed_words() {
            assert_ne!(LEXICON.get(word.as_bytes()) & flag, 0, "{word}");
        }
        assert_eq!(LEXICON.get(b"zzqx-not-a-name"), 0);
        assert_eq!(LEXICON.get(b""), 0);
    }

    #[test]
    fn names_titles_and_cues() {
        assert_eq!(find("Maria Lopez"), ["Maria Lopez"]);
        assert_eq!(find("Dr. Alvarez"), ["Alvarez"]);
        assert_eq!(find("John F. Kennedy"), ["John F. Kennedy"]);
        assert!(find("Will Update").is_empty());
        assert!(find("Customer Service").is_empty());
        assert!(find("Maria").is_empty());
        let mut out = Vec::new();
        let t = "Hi Maria";
        persons(t, 3, t.len(), &mut Vec::new(), &mut out);
        assert_eq!(out.first().map(|p| p.2), Some(0.6));
    }
}
