//! Normalization against obfuscation: case, leetspeak, homoglyphs, zero-width characters,
//! repeated letters and spaced-out letters, keeping a map back to the original bytes.

/// A normalized text: lowercase ASCII words separated by single spaces, each word remembering
/// the byte range it came from.
#[derive(Debug, Default)]
pub(crate) struct Normalized {
    pub text: String,
    /// Per word: (start in `text`, end in `text`, original start, original end).
    pub words: Vec<(usize, usize, usize, usize)>,
}

impl Normalized {
    /// The original byte range of the normalized range `start..end`.
    pub fn original(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let first = self.words.partition_point(|w| w.1 <= start);
        let last = self.words.partition_point(|w| w.0 < end).checked_sub(1)?;
        Some((self.words.get(first)?.2, self.words.get(last)?.3))
    }
}

/// Maps look-alike characters to the ASCII letter they imitate; `None` for characters that are
/// not letters at all.
fn fold(c: char) -> Option<char> {
    let c = match c {
        'a'..='z' | '0'..='9' => return Some(c),
        'A'..='Z' => return Some(c.to_ascii_lowercase()),
        // Cyrillic and Greek look-alikes.
        'а' | 'А' | 'α' | 'Α' => 'a',
        'в' | 'В' | 'β' | 'Β' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'е' | 'Е' | 'ε' | 'Ε' | 'ё' => 'e',
        'н' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ї' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'м' | 'М' | 'Μ' => 'm',
        'п' | 'η' | 'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'σ' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' | 'Τ' => 't',
        'у' | 'У' | 'υ' | 'Υ' => 'y',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'ν' => 'v',
        'ω' => 'w',
        'Ζ' => 'z',
        // Latin letters with diacritics.
        'à'..='å' | 'À'..='Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è'..='ë' | 'È'..='Ë' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò'..='ö' | 'ø' | 'Ò'..='Ö' | 'Ø' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        // Fullwidth forms.
        '\u{FF21}'..='\u{FF3A}' => char::from_u32(c as u32 - 0xFF21 + u32::from(b'a'))?,
        '\u{FF41}'..='\u{FF5A}' => char::from_u32(c as u32 - 0xFF41 + u32::from(b'a'))?,
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0'))?,
        // Leetspeak symbols (digits are handled per word).
        '@' => '@',
        '$' => '$',
        '!' => '!',
        '|' => '|',
        _ => return None,
    };
    Some(c)
}

fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

fn leet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => c,
    }
}

/// Normalizes `text` (see the module docs). Linear in the input.
pub(crate) fn normalize(text: &str) -> Normalized {
    // Pass 1: raw words (runs of foldable characters; invisible ones are skipped inside).
    let mut raw: Vec<(String, usize, usize)> = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if invisible(c) {
            continue;
        }
        match fold(c) {
            Some(f) => {
                if cur.is_empty() {
                    start = i;
                }
                cur.push(f);
                end = i + c.len_utf8();
            }
            None => {
                if !cur.is_empty() {
                    raw.push((std::mem::take(&mut cur), start, end));
                }
            }
        }
    }
    if !cur.is_empty() {
        raw.push((cur, start, end));
    }
    // Pass 2: leetspeak inside words that have a letter; collapse repeated letters.
    let mut words: Vec<(String, usize, usize)> = raw
        .into_iter()
        .filter_map(|(w, s, e)| {
            let has_letter = w.chars().any(|c| c.is_ascii_lowercase());
            let mut out = String::with_capacity(w.len());
            for c in w.chars() {
                let c = if has_letter { leet(c) } else { c };
                if !c.is_ascii_alphanumeric() {
                    continue;
                }
                if !out.ends_with(c) {
                    out.push(c);
                }
            }
            (!out.is_empty()).then_some((out, s, e))
        })
        .collect();
    // Pass 3: join three or more single letters in a row (`k i l l`, `k.i.l.l`).
    let mut joined: Vec<(String, usize, usize)> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        // A run of single letters with the same gap between them (`b.u.y w.e.e.d` is two
        // runs: the gap changes from `.` to ` `).
        let gap = |a: usize| -> Option<&str> {
            let (x, y) = (words.get(a)?, words.get(a + 1)?);
            text.get(x.2..y.1)
        };
        let mut run = 0;
        while words.get(i + run).is_some_and(|w| w.0.len() == 1) {
            run += 1;
            let same = gap(i + run - 1) == gap(i) && gap(i).is_some_and(|g| g.len() <= 2);
            if !same || words.get(i + run).is_none_or(|w| w.0.len() != 1) {
                break;
            }
        }
        if run >= 3 {
            let mut w = String::with_capacity(run);
            for (s, _, _) in words.get(i..i + run).unwrap_or_default() {
                if !w.ends_with(s.as_str()) {
                    w.push_str(s);
                }
            }
            let s = words.get(i).map_or(0, |x| x.1);
            let e = words.get(i + run - 1).map_or(0, |x| x.2);
            joined.push((w, s, e));
            i += run;
        } else if let Some(w) = words.get_mut(i) {
            joined.push(std::mem::take(w));
            i += 1;
        } else {
            break;
        }
    }
    let mut out = Normalized::default();
    for (w, s, e) in joined {
        if !out.text.is_empty() {
            out.text.push(' ');
        }
        let ns = out.text.len();
        out.text.push_str(&w);
        out.words.push((ns, out.text.len(), s, e));
    }
    out
}

/// Normalizes a lexicon term the same way, so terms and texts meet in one form.
pub(crate) fn normalize_term(term: &str) -> String {
    normalize(term).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_obfuscations() {
        assert_eq!(normalize("K1LL").text, "kil");
        assert_eq!(normalize("k i l l me").text, "kil me");
        assert_eq!(normalize("kіll").text, "kil"); // Cyrillic і
        assert_eq!(normalize("ki\u{200B}ll").text, "kil");
        assert_eq!(normalize("kiiiiill").text, "kil");
        assert_eq!(normalize("room 101").text, "rom 101");
        assert_eq!(normalize("").text, "");
    }

    #[test]
    fn maps_back_to_original_bytes() {
        let t = "so, k.i.l.l him";
        let n = normalize(t);
        let at = n.text.find("kil").unwrap();
        let (s, e) = n.original(at, at + 3).unwrap();
        assert_eq!(&t[s..e], "k.i.l.l");
    }
}
