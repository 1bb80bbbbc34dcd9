//! The candidate shapes, in priority order, compiled into one multi-pattern regex.
//!
//! One leftmost-first pass finds every candidate; a candidate whose validator fails is retried
//! with the lower-priority shapes anchored at the same start (so `3123:4567:8909`, not an IPv6
//! address, is still tried as an Aadhaar number). ASCII word boundaries (`(?-u:\b)`) keep the
//! lazy DFA on its fast path; Unicode ones would force slower engines on non-ASCII text.

/// Index of each shape in [`PATTERNS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    UrlCredentials,
    Email,
    Mac,
    Ipv6,
    Ipv4,
    Date,
    Address,
    EthAddress,
    Bech32,
    Base58,
    Iban,
    UkNino,
    InPan,
    EsNie,
    EsNif,
    ItFiscalCode,
    LetterDigits,
    Numeric,
    Person,
}

impl Shape {
    /// Whether a match of this shape can start at a byte `cur` preceded by `prev` (a cheap,
    /// conservative filter before an anchored retry; never false when a match is possible).
    pub(crate) fn can_start(self, prev: Option<u8>, cur: u8) -> bool {
        let word = crate::scan::is_word_byte;
        let boundary_word = prev.is_none_or(|p| !word(p)) && word(cur);
        match self {
            Shape::UrlCredentials | Shape::Email => word(cur) || matches!(cur, b'%' | b'+' | b'-'),
            Shape::Ipv6 => cur == b':' || boundary_word,
            Shape::Numeric => matches!(cur, b'+' | b'(') || (boundary_word && cur.is_ascii_digit()),
            // Every other shape starts with an ASCII word boundary before a word byte, or
            // (Address, Person) with a non-ASCII capital that the boundary still sees.
            _ => boundary_word || (!cur.is_ascii() && prev.is_none_or(|p| !word(p))),
        }
    }

    pub(crate) const ALL: [Shape; 19] = [
        Shape::UrlCredentials,
        Shape::Email,
        Shape::Mac,
        Shape::Ipv6,
        Shape::Ipv4,
        Shape::Date,
        Shape::Address,
        Shape::EthAddress,
        Shape::Bech32,
        Shape::Base58,
        Shape::Iban,
        Shape::UkNino,
        Shape::InPan,
        Shape::EsNie,
        Shape::EsNif,
        Shape::ItFiscalCode,
        Shape::LetterDigits,
        Shape::Numeric,
        Shape::Person,
    ];
}

const B: &str = r"(?-u:\b)";
const V4: &str = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}";
const MONTHS: &str = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?";
const STREET_TYPES: &str = "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Plaza|Row|Close|Crescent|Gardens|Park|Walk|Mews";
/// A capitalized name word: `Smith`, `McDonald`, `O'Brien`, `Smith-Jones`, `José`.
const WORD: &str =
    r"[A-Z](?:[a-zà-öø-ÿ]+|[a-z][A-Z][a-zà-öø-ÿ]+|'[A-Z][a-zà-öø-ÿ]+)(?:-[A-Z][a-zà-öø-ÿ]+)?";

/// The pattern source of every shape, in [`Shape::ALL`] order.
pub(crate) fn sources() -> Vec<String> {
    Shape::ALL.iter().map(|s| source(*s)).collect()
}

fn source(shape: Shape) -> String {
    match shape {
        Shape::UrlCredentials => {
            r#"[A-Za-z][A-Za-z0-9+.\-]*://[!-~&&[^:@/'"<>]]+:[!-~&&[^@/'"<>]]+@[!-~&&[^/?#'"<>]]+(?:[/?#][!-~&&[^'"<>]]*)?"#
                .to_string()
        }
        Shape::Email => format!(
            r"[A-Za-z0-9_%+\-][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z][A-Za-z0-9\-]+{B}"
        ),
        Shape::Mac => format!(
            r"{B}(?:(?:[0-9A-Fa-f]{{2}}:){{5}}[0-9A-Fa-f]{{2}}|(?:[0-9A-Fa-f]{{2}}-){{5}}[0-9A-Fa-f]{{2}}|[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}}){B}"
        ),
        Shape::Ipv6 => format!(
            r"(?:{B}[0-9A-Fa-f]+:[0-9A-Fa-f]*:|::)[0-9A-Fa-f:]*(?:\.[0-9]+)*(?:%[0-9A-Za-z]+)?(?:/[0-9]+)?"
        ),
        Shape::Ipv4 => format!(r"{B}{V4}(?:/[0-9]{{1,2}})?{B}"),
        Shape::Date => format!(
            r"{B}(?:(?:19|20)[0-9]{{2}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,2}}|[0-9]{{1,2}}[-/.][0-9]{{1,2}}[-/.](?:19|20)?[0-9]{{2}}|{MONTHS} [0-9]{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)[0-9]{{2}}|[0-9]{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTHS},? (?:19|20)[0-9]{{2}}){B}"
        ),
        Shape::Address => format!(
            r"{B}(?:[0-9]+[A-Za-z]?(?: (?:[NSEW]\.?|{WORD}|[0-9]+(?:st|nd|rd|th)))+ (?:{STREET_TYPES})\.?(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl|#)\.? ?#?[A-Za-z0-9\-]+)?(?:,? {WORD}(?: {WORD})*)?(?:,? [A-Z]{{2}})?(?:,? (?:[0-9]{{5}}(?:-[0-9]{{4}})?|[A-Z]{{1,2}}[0-9][A-Z0-9]? ?[0-9][A-Z]{{2}}))?|(?:P\.? ?O\.?|Post Office) Box [0-9]{{1,6}}|[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|gasse|platz|allee|ring) [0-9]{{1,4}}[a-z]?(?:, [0-9]{{5}} {WORD})?){B}"
        ),
        Shape::EthAddress => format!(r"{B}0x[0-9a-fA-F]{{40}}{B}"),
        Shape::Bech32 => format!(r"{B}(?:bc1|tb1|BC1|TB1)[02-9ac-hj-np-zAC-HJ-NP-Z]+{B}"),
        Shape::Base58 => format!(r"{B}[13][1-9A-HJ-NP-Za-km-z]{{25,34}}{B}"),
        Shape::Iban => format!(r"{B}[A-Z]{{2}}[0-9]{{2}}(?:[ \-]?[A-Z0-9])+{B}"),
        Shape::UkNino => {
            format!(r"{B}(?i:[A-Z]{{2}} ?[0-9]{{2}} ?[0-9]{{2}} ?[0-9]{{2}} ?[A-D]){B}")
        }
        Shape::InPan => format!(r"{B}[A-Za-z]{{5}}[0-9]{{4}}[A-Za-z]{B}"),
        Shape::EsNie => format!(r"{B}[XYZxyz]-?[0-9]{{7}}-?[A-Za-z]{B}"),
        Shape::EsNif => format!(r"{B}[0-9]{{7,8}}-?[A-Za-z]{B}"),
        Shape::ItFiscalCode => format!(
            r"{B}(?i:[A-Z]{{6}}[0-9LMNPQRSTUV]{{2}}[ABCDEHLMPRST][0-9LMNPQRSTUV]{{2}}[A-Z][0-9LMNPQRSTUV]{{3}}[A-Z]){B}"
        ),
        Shape::LetterDigits => format!(r"{B}[A-Za-z][0-9]{{5,}}{B}"),
        Shape::Numeric => {
            format!(r"(?:\+ ?|\([0-9]+\) ?|{B})(?:[0-9]{{7,}}|[0-9]+(?:(?:\) ?|[ \-./:]\(?|\)[ \-.])[0-9]+)+){B}")
        }
        Shape::Person => format!(
            r"{B}(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir)\.? {WORD}(?: (?:[A-Z]\.|{WORD}))*|{WORD}(?: (?:[A-Z]\.|{WORD}))+|(?:Attn|Name|Customer|Patient):? {WORD})"
        ),
    }
}
