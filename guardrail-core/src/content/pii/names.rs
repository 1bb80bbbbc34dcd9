//! PERSON without a model: a gazetteer of given names and surnames from US Census name
//! statistics (see `data/README.md`), titles, and cues such as `Dear` or `my name is`.
//!
//! A run of capitalized words is a person when it starts with a title (`Dr. Alvarez`), or
//! with a known given name followed by a surname-like word (`Maria Lopez`), or when a lone
//! given name follows a greeting (`Hi Maria,`). Given names that are also common English words
//! (`Will`, `May`, `Bill`) need a known surname after them.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// FNV-1a: the keys are short lowercase words, and SipHash's DoS resistance buys nothing for
/// a fixed, shipped set.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Lowercase words as bytes (a lookup lowercases into a byte buffer, no UTF-8 check needed).
type Gazetteer = HashSet<&'static [u8], BuildHasherDefault<Fnv>>;

static GIVEN: LazyLock<Gazetteer> = LazyLock::new(|| {
    include_str!("../../../data/given_names.txt")
        .lines()
        .map(str::as_bytes)
        .collect()
});
static SURNAMES: LazyLock<Gazetteer> = LazyLock::new(|| {
    include_str!("../../../data/surnames.txt")
        .lines()
        .map(str::as_bytes)
        .collect()
});
// The two long word lists below are asked about every word of every capitalized run: a hash
// lookup instead of a hundred comparisons.
static AMBIGUOUS_SET: LazyLock<Gazetteer> =
    LazyLock::new(|| AMBIGUOUS.iter().map(|w| w.as_bytes()).collect());
static NOT_SURNAME_SET: LazyLock<Gazetteer> =
    LazyLock::new(|| NOT_SURNAME.iter().map(|w| w.as_bytes()).collect());

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

fn lower(word: &str, buf: &mut [u8; 32]) -> Option<usize> {
    let bytes = word.as_bytes();
    if bytes.len() > buf.len() {
        return None;
    }
    for (dst, &src) in buf.iter_mut().zip(bytes) {
        *dst = src.to_ascii_lowercase();
    }
    Some(bytes.len())
}

fn in_set(set: &Gazetteer, word: &str) -> bool {
    let mut buf = [0u8; 32];
    lower(word, &mut buf)
        .and_then(|n| buf.get(..n))
        .is_some_and(|w| set.contains(w))
}

fn in_list(list: &[&str], word: &str) -> bool {
    list.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// A word of a run, with its byte offsets in the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
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
    for word in run.split(' ') {
        let w = word.trim_end_matches('.');
        tokens.push(Token {
            text: w,
            start: off,
            end: off + w.len(),
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
        let is_title = in_list(TITLES, tok.text);
        if is_title {
            if let Some(n) = next.filter(|n| !in_set(&NOT_SURNAME_SET, n.text)) {
                let last = extend(tokens, i + 1);
                out.push((n.start, last.end, 0.85));
                i = tokens
                    .iter()
                    .position(|t| t.start == last.start)
                    .map_or(tokens.len(), |p| p + 1);
                continue;
            }
        }
        let given = in_set(&GIVEN, tok.text) && !in_set(&NOT_SURNAME_SET, tok.text);
        if given {
            let ambiguous = in_set(&AMBIGUOUS_SET, tok.text);
            // Skip a middle initial or middle name.
            let mut j = i + 1;
            if let Some(m) = tokens.get(j) {
                let initial = m.text.len() == 1 && tokens.get(j + 1).is_some();
                if initial
                    || (in_set(&GIVEN, m.text)
                        && tokens.get(j + 1).is_some_and(|t| in_set(&SURNAMES, t.text)))
                {
                    j += 1;
                }
            }
            if let Some(sur) = tokens
                .get(j)
                .filter(|t| t.text.len() > 1 && !in_set(&NOT_SURNAME_SET, t.text))
            {
                let known = in_set(&SURNAMES, sur.text);
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
                    .map_or_else(|| ends_with_cue(before), |p| in_list(CUES, p.text));
                out.push((tok.start, tok.end, if cue { 0.6 } else { 0.3 }));
            }
        }
        i += 1;
    }
    // Unknown to the gazetteer (`Oluwaseun Adeyemi`), but right after a strong cue such as
    // `Dear`, `Customer:` or `"name": "`: two or three capitalized words are taken as a name.
    if out.len() == found_before && (2..=3).contains(&tokens.len()) && ends_with_cue(before) {
        let plain = tokens.iter().all(|t| {
            t.text.len() > 1 && !in_set(&NOT_SURNAME_SET, t.text) && !in_list(TITLES, t.text)
        });
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
            Some(t) if !in_set(&NOT_SURNAME_SET, t.text) => last += 1,
            _ => break,
        }
    }
    tokens.get(last).copied().unwrap_or(Token {
        text: "",
        start: 0,
        end: 0,
    })
}

fn ends_with_cue(before: &str) -> bool {
    // Most runs follow text that cannot end a cue: rule those out from the last character
    // that survives the trimming below, before counting characters.
    let last = before.trim_end().trim_end_matches(',').chars().next_back();
    if let Some(ch) = last.filter(char::is_ascii) {
        let ends_cue = CUES.iter().any(|c| {
            c.chars()
                .next_back()
                .is_some_and(|e| e.eq_ignore_ascii_case(&ch))
        });
        if !ends_cue {
            return false;
        }
    }
    // The last 24 characters, without allocating: this runs once per capitalized run.
    let from = before.char_indices().rev().nth(23).map_or(0, |(i, _)| i);
    let tail = before
        .get(from..)
        .unwrap_or_default()
        .trim_end()
        .trim_end_matches(',')
        .as_bytes();
    CUES.iter().any(|c| {
        let Some(at) = tail.len().checked_sub(c.len()) else {
            return false;
        };
        // Cues are lowercase ASCII, so an ASCII-insensitive compare equals lowercasing first.
        tail.get(at..)
            .is_some_and(|t| t.eq_ignore_ascii_case(c.as_bytes()))
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
