//! Checksum and structure validators, one plain `fn` per identifier scheme.
//!
//! Each takes the candidate with separators already removed where the scheme has them, and
//! returns whether it is well formed. None allocates except where a decode needs a buffer.

use sha2::{Digest, Sha256};
use sha3::Keccak256;

/// Luhn (mod 10) over ASCII digits; false on any other byte.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// Whether the number's prefix and length belong to a card issuer (Visa, Mastercard, Amex,
/// Discover, Diners, JCB, UnionPay, Maestro).
pub(crate) fn card_issuer(digits: &[u8]) -> bool {
    let len = digits.len();
    let prefix = |n: usize| -> u32 {
        digits
            .iter()
            .take(n)
            .fold(0u32, |acc, &b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    let p1 = prefix(1);
    let p2 = prefix(2);
    let p3 = prefix(3);
    let p4 = prefix(4);
    let p6 = prefix(6);
    match p1 {
        4 => matches!(len, 13 | 16 | 19),
        2 => (2221..=2720).contains(&p4) && len == 16,
        5 => {
            ((51..=55).contains(&p2) && len == 16)
                || (matches!(p2, 50 | 56..=58) && (12..=19).contains(&len))
        }
        3 => {
            (matches!(p2, 34 | 37) && len == 15)
                || ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39)
                    && (14..=19).contains(&len)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&len))
        }
        6 => {
            (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6))
                && (16..=19).contains(&len)
                || (p2 == 62 && (16..=19).contains(&len))
                || (matches!(p2, 63 | 67) && (12..=19).contains(&len))
        }
        // UATP (airline cards) use 1 and 15 digits.
        1 => len == 15,
        _ => false,
    }
}

/// US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000; and not one of
/// the numbers that were published (Woolworth's wallet card) or are all one digit.
pub(crate) fn us_ssn(digits: &[u8]) -> bool {
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        digits
            .get(r)
            .unwrap_or_default()
            .iter()
            .fold(0, |a, &b| a * 10 + u32::from(b - b'0'))
    };
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    if digits.iter().all(|&b| Some(&b) == digits.first()) {
        return false;
    }
    !matches!(digits, b"078051120" | b"219099999" | b"123456789")
}

/// Canadian SIN: nine digits, Luhn, first digit not 0 or 8 (unassigned).
pub(crate) fn ca_sin(digits: &[u8]) -> bool {
    digits.len() == 9
        && !matches!(digits.first(), Some(b'0' | b'8'))
        && luhn(digits)
        && !digits.iter().all(|&b| Some(&b) == digits.first())
}

/// UK NHS number: ten digits, mod 11 check digit (weights 10..2).
pub(crate) fn uk_nhs(digits: &[u8]) -> bool {
    if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .take(9)
        .zip((2..=10).rev())
        .map(|(&b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = (11 - sum % 11) % 11;
    check != 10 && digits.get(9).map(|&b| u32::from(b - b'0')) == Some(check)
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff check over ASCII digits.
pub(crate) fn verhoeff(digits: &[u8]) -> bool {
    let mut c = 0usize;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let p = VERHOEFF_P
            .get(i % 8)
            .and_then(|row| row.get(usize::from(b - b'0')))
            .copied()
            .unwrap_or(0);
        c = VERHOEFF_D
            .get(c)
            .and_then(|row| row.get(usize::from(p)))
            .copied()
            .map_or(1, usize::from);
    }
    !digits.is_empty() && c == 0
}

/// Indian Aadhaar: twelve digits, first 2-9, Verhoeff, and not a palindrome (UIDAI never
/// issues those; test numbers often are).
pub(crate) fn in_aadhaar(digits: &[u8]) -> bool {
    digits.len() == 12
        && matches!(digits.first(), Some(b'2'..=b'9'))
        && verhoeff(digits)
        && !digits.iter().eq(digits.iter().rev())
}

/// German tax id (Steuer-IdNr): eleven digits, first not 0; in the first ten at most one
/// digit repeats, at most three times; ISO 7064 MOD 11,10 check digit.
pub(crate) fn de_tax_id(digits: &[u8]) -> bool {
    if digits.len() != 11 || digits.first() == Some(&b'0') || !digits.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let mut counts = [0u8; 10];
    for &b in digits.iter().take(10) {
        if let Some(c) = counts.get_mut(usize::from(b - b'0')) {
            *c += 1;
        }
    }
    // Issued numbers repeat at most one digit, at most three times; we only reject what can
    // never be issued (a digit four or more times), as real test data also has none repeated.
    if counts.iter().any(|&c| c > 3) || counts.iter().filter(|&&c| c > 1).count() > 1 {
        return false;
    }
    let mut product = 10u32;
    for &b in digits.iter().take(10) {
        let mut sum = (u32::from(b - b'0') + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    digits.get(10).map(|&b| u32::from(b - b'0')) == Some(check)
}

/// Spanish DNI/NIF control letter for a number.
fn es_letter(n: u32) -> u8 {
    b"TRWAGMYFPDXBNJZSQVHLCKE"
        .get((n % 23) as usize)
        .copied()
        .unwrap_or(0)
}

/// Spanish NIF (DNI): up to eight digits and a control letter (mod 23).
pub(crate) fn es_nif(digits: &[u8], letter: u8) -> bool {
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = digits
        .iter()
        .fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
    es_letter(n) == letter.to_ascii_uppercase()
}

/// Spanish NIE: X/Y/Z (0/1/2), seven digits and a control letter (mod 23).
pub(crate) fn es_nie(prefix: u8, digits: &[u8], letter: u8) -> bool {
    let lead = match prefix.to_ascii_uppercase() {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        _ => return false,
    };
    if digits.len() != 7 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = digits
        .iter()
        .fold(lead, |a, &b| a * 10 + u32::from(b - b'0'));
    es_letter(n) == letter.to_ascii_uppercase()
}

/// Italian codice fiscale check character (the 16th), over an uppercased code.
pub(crate) fn it_fiscal_code(code: &[u8]) -> bool {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    if code.len() != 16 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in code.iter().take(15).enumerate() {
        let b = b.to_ascii_uppercase();
        let idx = match b {
            b'0'..=b'9' => usize::from(b - b'0'),
            b'A'..=b'Z' => usize::from(b - b'A'),
            _ => return false,
        };
        // Positions are 1-based in the standard: odd positions use the table.
        sum += if i % 2 == 0 {
            ODD.get(idx).copied().unwrap_or(0)
        } else {
            idx as u32
        };
    }
    code.get(15).map(|b| b.to_ascii_uppercase()) == Some(b'A' + (sum % 26) as u8)
}

/// Expected IBAN length per country (ISO 13616 registry).
fn iban_len(country: &[u8]) -> Option<usize> {
    let len = match country {
        b"AD" => 24,
        b"AE" => 23,
        b"AL" => 28,
        b"AT" => 20,
        b"AZ" => 28,
        b"BA" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BI" => 27,
        b"BR" => 29,
        b"BY" => 28,
        b"CH" => 21,
        b"CR" => 22,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DJ" => 27,
        b"DK" => 18,
        b"DO" => 28,
        b"EE" => 20,
        b"EG" => 29,
        b"ES" => 24,
        b"FI" => 18,
        b"FK" => 18,
        b"FO" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GE" => 22,
        b"GI" => 23,
        b"GL" => 18,
        b"GR" => 27,
        b"GT" => 28,
        b"HN" => 28,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IQ" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"JO" => 30,
        b"KW" => 30,
        b"KZ" => 20,
        b"LB" => 28,
        b"LC" => 32,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"LY" => 25,
        b"MC" => 27,
        b"MD" => 24,
        b"ME" => 22,
        b"MK" => 19,
        b"MN" => 20,
        b"MR" => 27,
        b"MT" => 31,
        b"MU" => 30,
        b"NI" => 28,
        b"NL" => 18,
        b"NO" => 15,
        b"OM" => 23,
        b"PK" => 24,
        b"PL" => 28,
        b"PS" => 29,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"RS" => 22,
        b"RU" => 33,
        b"SA" => 24,
        b"SC" => 31,
        b"SD" => 18,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"SO" => 23,
        b"ST" => 25,
        b"SV" => 28,
        b"TL" => 23,
        b"TN" => 24,
        b"TR" => 26,
        b"UA" => 29,
        b"VA" => 22,
        b"VG" => 24,
        b"XK" => 20,
        b"YE" => 30,
        _ => return None,
    };
    Some(len)
}

/// IBAN: known country, the country's length, and mod 97 == 1 over the rearranged code.
/// `code` is uppercase alphanumerics without separators.
pub(crate) fn iban(code: &[u8]) -> bool {
    let Some(country) = code.get(0..2) else {
        return false;
    };
    if iban_len(country) != Some(code.len()) {
        return false;
    }
    let mut rem = 0u32;
    for &b in code.iter().skip(4).chain(code.iter().take(4)) {
        match b {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(b - b'A' + 10)) % 97,
            _ => return false,
        }
    }
    rem == 1
}

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/// Digit value of each byte in [`BASE58`], `u8::MAX` for the others.
const BASE58_DIGIT: [u8; 256] = {
    let mut digit = [u8::MAX; 256];
    let mut i = 0;
    while i < BASE58.len() {
        digit[BASE58[i] as usize] = i as u8;
        i += 1;
    }
    digit
};

/// Bitcoin base58check: decodes to 25 bytes whose last four are the double-SHA-256 checksum,
/// with a version byte of a mainnet or testnet address (P2PKH / P2SH).
pub(crate) fn base58check(s: &[u8]) -> bool {
    if s.len() < 25 || s.len() > 35 {
        return false;
    }
    let mut out = [0u8; 25];
    for &c in s {
        let Some(mut carry) = BASE58_DIGIT
            .get(usize::from(c))
            .filter(|&&d| d != u8::MAX)
            .map(|&d| u32::from(d))
        else {
            return false;
        };
        for byte in out.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        if carry != 0 {
            return false;
        }
    }
    let (payload, check) = out.split_at(21);
    // The version byte first: it rules out most random strings without hashing.
    matches!(payload.first(), Some(0x00 | 0x05 | 0x6f | 0xc4))
        && Sha256::digest(Sha256::digest(payload)).get(0..4) == Some(check)
}

/// Bech32 / bech32m segwit address (BIP 173 / BIP 350) with human-readable part `bc` or `tb`.
pub(crate) fn bech32(s: &[u8]) -> bool {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    if s.len() < 14 || s.len() > 90 {
        return false;
    }
    let lower = s.iter().all(|b| !b.is_ascii_uppercase());
    let upper = s.iter().all(|b| !b.is_ascii_lowercase());
    if !lower && !upper {
        return false;
    }
    let s: Vec<u8> = s.iter().map(u8::to_ascii_lowercase).collect();
    let Some(sep) = s.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (hrp, data) = s.split_at(sep);
    let data = data.get(1..).unwrap_or_default();
    if !matches!(hrp, b"bc" | b"tb") || data.len() < 6 {
        return false;
    }
    let mut chk = 1u32;
    let mut step = |v: u32| {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    };
    for &c in hrp {
        step(u32::from(c >> 5));
    }
    step(0);
    for &c in hrp {
        step(u32::from(c & 31));
    }
    for &c in data {
        let Some(v) = CHARSET.iter().position(|&a| a == c) else {
            return false;
        };
        step(v as u32);
    }
    // bech32 (witness v0) ends at 1, bech32m (v1+) at 0x2bc830a3.
    chk == 1 || chk == 0x2bc8_30a3
}

/// Ethereum address: `0x` and 40 hex digits; all-lowercase or all-uppercase addresses carry no
/// checksum and are accepted, mixed case must match EIP-55 (keccak-256 of the lowercase hex).
pub(crate) fn eth_address(s: &[u8]) -> EthCheck {
    let Some(hex) = s.get(2..) else {
        return EthCheck::Invalid;
    };
    if hex.len() != 40 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return EthCheck::Invalid;
    }
    let has_upper = hex.iter().any(u8::is_ascii_uppercase);
    let has_lower = hex.iter().any(u8::is_ascii_lowercase);
    if !(has_upper && has_lower) {
        return EthCheck::NoChecksum;
    }
    let lower: Vec<u8> = hex.iter().map(u8::to_ascii_lowercase).collect();
    let hash = Keccak256::digest(&lower);
    for (i, &c) in hex.iter().enumerate() {
        if !c.is_ascii_alphabetic() {
            continue;
        }
        let nibble = hash
            .get(i / 2)
            .map_or(0, |h| if i % 2 == 0 { h >> 4 } else { h & 0xf });
        if (nibble >= 8) != c.is_ascii_uppercase() {
            return EthCheck::Invalid;
        }
    }
    EthCheck::Checksummed
}

/// What [`eth_address`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EthCheck {
    /// Mixed case that matches EIP-55.
    Checksummed,
    /// Single case: well formed, no checksum to check.
    NoChecksum,
    /// Malformed, or mixed case that fails EIP-55.
    Invalid,
}

/// UK National Insurance number prefix rules (letters D, F, I, Q, U, V never; O not second;
/// BG, GB, NK, KN, TN, NT, ZZ never).
pub(crate) fn uk_nino_prefix(a: u8, b: u8) -> bool {
    let (a, b) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
    !matches!(a, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V')
        && !matches!(b, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V' | b'O')
        && !matches!(
            &[a, b],
            b"BG" | b"GB" | b"NK" | b"KN" | b"TN" | b"NT" | b"ZZ"
        )
}

/// Calendar check for a day, month and four-digit year.
pub(crate) fn date(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && (1900..=2100).contains(&year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_issuers() {
        assert!(luhn(b"4111111111111111") && card_issuer(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(luhn(b"378282246310005") && card_issuer(b"378282246310005"));
        assert!(!card_issuer(b"9111111111111111"));
        assert!(!luhn(b"") && !luhn(b"41x1"));
    }

    #[test]
    fn ssn_rules() {
        assert!(us_ssn(b"078051123"));
        for bad in [
            &b"000123456"[..],
            b"666123456",
            b"900123456",
            b"123004567",
            b"123450000",
            b"078051120",
            b"111111111",
            b"12345",
        ] {
            assert!(!us_ssn(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn national_ids() {
        assert!(ca_sin(b"130692544") && !ca_sin(b"130692545") && !ca_sin(b"046454286"));
        assert!(uk_nhs(b"4010232137") && !uk_nhs(b"4010232138"));
        assert!(in_aadhaar(b"312345678909") && !in_aadhaar(b"123456789012"));
        assert!(
            de_tax_id(b"12345678903") && !de_tax_id(b"12345678901") && !de_tax_id(b"11111111111")
        );
        assert!(es_nif(b"55555555", b'K') && !es_nif(b"12345678", b'A'));
        assert!(es_nie(b'X', b"9613851", b'N') && !es_nie(b'Y', b"8063915", b'Q'));
        assert!(uk_nino_prefix(b'A', b'A') && !uk_nino_prefix(b'N', b'T'));
    }

    #[test]
    fn iban_mod97() {
        assert!(iban(b"DE89370400440532013000"));
        assert!(iban(b"GB82WEST12345698765432"));
        assert!(!iban(b"DE89370400440532013001"));
        assert!(!iban(b"XX89370400440532013000"));
        assert!(!iban(b""));
    }

    #[test]
    fn crypto_checksums() {
        assert!(base58check(b"16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ"));
        assert!(base58check(b"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
        assert!(!base58check(b"16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyY"));
        assert!(bech32(b"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
        assert!(bech32(
            b"bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
        ));
        assert!(!bech32(b"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp"));
        assert_eq!(
            eth_address(b"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            EthCheck::Checksummed
        );
        assert_eq!(
            eth_address(b"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            EthCheck::Invalid
        );
        assert_eq!(
            eth_address(b"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            EthCheck::NoChecksum
        );
    }

    #[test]
    fn fiscal_code_and_dates() {
        assert!(it_fiscal_code(b"RSSMRA85T10A562S"));
        assert!(!it_fiscal_code(b"RSSMRA85T10A562T"));
        assert!(date(2024, 2, 29) && !date(2023, 2, 29) && !date(2020, 13, 1));
    }
}
