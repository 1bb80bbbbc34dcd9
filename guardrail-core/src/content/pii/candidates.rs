//! Turning one regex candidate into validated entity matches with a base confidence.

use super::entity::Entity;
use super::names::{self, Token};
use super::patterns::Shape;
use super::phone::{self, Group, Joined};
use super::validate;

/// Buffers reused across the candidates of one scan, so that validating a candidate does not
/// allocate.
#[derive(Debug, Default)]
pub(crate) struct Scratch<'t> {
    /// Digit groups of a numeric candidate.
    groups: Vec<Group<'t>>,
    /// Byte range of each group in the candidate, parentheses included.
    spans: Vec<(usize, usize)>,
    /// Words of a capitalized run.
    tokens: Vec<Token<'t>>,
    /// Persons found in a run.
    persons: Vec<(usize, usize, f32)>,
}

/// A validated match before context words and thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub entity: Entity,
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
}

fn push(out: &mut Vec<Candidate>, entity: Entity, start: usize, end: usize, confidence: f32) {
    out.push(Candidate {
        entity,
        start,
        end,
        confidence,
    });
}

fn prev_byte(text: &str, at: usize) -> Option<u8> {
    at.checked_sub(1)
        .and_then(|p| text.as_bytes().get(p).copied())
}

fn is_alnum(b: Option<u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Validates the candidate `text[start..end]` of `shape`, pushing its matches. Returns
/// whether the candidate was accepted (its span is consumed), `false` to let lower-priority
/// shapes try the same start.
pub(crate) fn classify<'t>(
    shape: Shape,
    text: &'t str,
    start: usize,
    end: usize,
    out: &mut Vec<Candidate>,
    scratch: &mut Scratch<'t>,
) -> bool {
    let Some(m) = text.get(start..end) else {
        return false;
    };
    let bytes = m.as_bytes();
    let before = out.len();
    match shape {
        Shape::UrlCredentials => {
            // Sentence punctuation after a URL is not part of it.
            let trimmed = m.trim_end_matches(['.', ',', ';', ')', ']', '!', '?']);
            if trimmed.len() <= 2048 {
                push(
                    out,
                    Entity::UrlCredentials,
                    start,
                    start + trimmed.len(),
                    0.9,
                );
            }
        }
        Shape::Email => {
            let local = m.split_once('@').map_or(0, |(l, _)| l.len());
            if local <= 64 && bytes.len() <= 254 && !m.contains("..") {
                push(out, Entity::Email, start, end, 0.9);
            }
        }
        Shape::Mac => {
            let hex = bytes.iter().copied().filter(u8::is_ascii_hexdigit);
            let next = text.as_bytes().get(end).copied();
            let continues = matches!(next, Some(b':' | b'-'))
                && text
                    .as_bytes()
                    .get(end + 1)
                    .is_some_and(u8::is_ascii_hexdigit);
            let all_same = hex.clone().all(|b| b.eq_ignore_ascii_case(&b'0'))
                || hex.clone().all(|b| b.eq_ignore_ascii_case(&b'f'));
            if !continues && !all_same {
                push(out, Entity::MacAddress, start, end, 0.6);
            }
        }
        Shape::Ipv6 => ipv6(text, start, end, out),
        Shape::Ipv4 => {
            let (addr, prefix) = m.split_once('/').unwrap_or((m, ""));
            let keep_prefix = prefix.parse::<u8>().is_ok_and(|p| p <= 32);
            let stop = if keep_prefix { end } else { start + addr.len() };
            push(out, Entity::IpAddress, start, stop, 0.6);
        }
        Shape::Date => {
            if date_ok(m) {
                push(out, Entity::DateOfBirth, start, end, 0.2);
            }
        }
        Shape::Address => {
            if bytes.len() <= 200 {
                push(out, Entity::Address, start, end, 0.7);
            }
        }
        Shape::EthAddress => match validate::eth_address(bytes) {
            validate::EthCheck::Checksummed => push(out, Entity::CryptoWallet, start, end, 0.9),
            validate::EthCheck::NoChecksum => push(out, Entity::CryptoWallet, start, end, 0.6),
            validate::EthCheck::Invalid => {}
        },
        Shape::Bech32 => {
            if validate::bech32(bytes) {
                push(out, Entity::CryptoWallet, start, end, 0.9);
            }
        }
        Shape::Base58 => {
            if validate::base58check(bytes) {
                push(out, Entity::CryptoWallet, start, end, 0.9);
            }
        }
        Shape::Iban => iban(bytes, start, out),
        Shape::UkNino => {
            let mut letters = bytes.iter().copied().filter(u8::is_ascii_alphabetic);
            if let (Some(a), Some(b)) = (letters.next(), letters.next()) {
                if validate::uk_nino_prefix(a, b) {
                    push(out, Entity::UkNino, start, end, 0.5);
                }
            }
        }
        Shape::InPan => {
            let fourth = bytes.get(3).map(u8::to_ascii_uppercase);
            let holder = matches!(
                fourth,
                Some(b'A' | b'B' | b'C' | b'F' | b'G' | b'H' | b'L' | b'J' | b'P' | b'T' | b'K')
            );
            push(
                out,
                Entity::InPan,
                start,
                end,
                if holder { 0.5 } else { 0.1 },
            );
        }
        Shape::EsNie => {
            let mut buf = [0u8; 16];
            let clean = without_dashes(bytes, &mut buf);
            if let (Some(&p), Some(digits), Some(&l)) =
                (clean.first(), clean.get(1..8), clean.get(8))
            {
                if validate::es_nie(p, digits, l) {
                    push(out, Entity::EsNie, start, end, 0.7);
                }
            }
        }
        Shape::EsNif => {
            let mut buf = [0u8; 16];
            let clean = without_dashes(bytes, &mut buf);
            if let Some((&l, digits)) = clean.split_last() {
                if validate::es_nif(digits, l) {
                    push(out, Entity::EsNif, start, end, 0.7);
                }
            }
        }
        Shape::ItFiscalCode => {
            let ok = validate::it_fiscal_code(bytes);
            push(
                out,
                Entity::ItFiscalCode,
                start,
                end,
                if ok { 0.8 } else { 0.3 },
            );
        }
        Shape::LetterDigits => {
            let digits = bytes.len() - 1;
            if (6..=14).contains(&digits) {
                push(out, Entity::UsDriverLicense, start, end, 0.3);
            }
            if digits == 8 {
                push(out, Entity::UsPassport, start, end, 0.2);
            }
        }
        Shape::Numeric => {
            numeric(text, start, end, out, scratch);
            return true;
        }
        Shape::Person => {
            scratch.persons.clear();
            names::persons(text, start, end, &mut scratch.tokens, &mut scratch.persons);
            for &(s, e, c) in &scratch.persons {
                push(out, Entity::Person, s, e, c);
            }
            return true;
        }
    }
    out.len() > before
}

/// `bytes` without its dashes, in `buf`; empty when it does not fit (the shapes that call
/// this are a dozen bytes at most).
fn without_dashes<'b>(bytes: &[u8], buf: &'b mut [u8; 16]) -> &'b [u8] {
    let mut n = 0;
    for &b in bytes.iter().filter(|&&b| b != b'-') {
        let Some(slot) = buf.get_mut(n) else {
            return &[];
        };
        *slot = b;
        n += 1;
    }
    buf.get(..n).unwrap_or_default()
}

fn ipv6(text: &str, start: usize, end: usize, out: &mut Vec<Candidate>) {
    let Some(m) = text.get(start..end) else {
        return;
    };
    if m.len() > 64 {
        return;
    }
    let bytes = text.as_bytes();
    // Not glued to a word or to more colon groups (`text2001:db8::1`, `2001::db8::1`).
    if is_alnum(prev_byte(text, start)) || matches!(prev_byte(text, start), Some(b':' | b'.')) {
        return;
    }
    let (addr_zone, prefix) = m.split_once('/').unwrap_or((m, ""));
    let addr_end = start + addr_zone.len();
    let prefix_ok = !prefix.is_empty()
        && !is_alnum(bytes.get(end).copied())
        && prefix.parse::<u8>().is_ok_and(|p| p <= 128);
    let stop = if prefix_ok { end } else { addr_end };
    if is_alnum(bytes.get(stop).copied()) || bytes.get(stop) == Some(&b':') {
        return;
    }
    // `2001:db8::256.1.1.1`: the candidate stopped at an invalid dotted part.
    if bytes.get(stop) == Some(&b'.') && bytes.get(stop + 1).is_some_and(u8::is_ascii_digit) {
        return;
    }
    let addr = addr_zone.split_once('%').map_or(addr_zone, |(a, _)| a);
    // Eight groups need seven colons (six before a dotted IPv4 tail) unless `::` stands for
    // some of them: rules out clock times (`14:02:33`) before the full parse.
    let colons = addr.bytes().filter(|&b| b == b':').count();
    let compressed = addr.as_bytes().windows(2).any(|w| w == b"::");
    let full_groups = if addr.contains('.') { 6 } else { 7 };
    if colons < 2
        || (!compressed && colons != full_groups)
        || addr.parse::<std::net::Ipv6Addr>().is_err()
    {
        return;
    }
    let unspecified = addr == "::";
    push(
        out,
        Entity::IpAddress,
        start,
        stop,
        if unspecified { 0.1 } else { 0.7 },
    );
}

fn date_ok(m: &str) -> bool {
    let mut buf = [0u32; 3];
    let mut n = 0;
    let parsed = m
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok());
    for v in parsed {
        // More than three numbers is no date.
        let Some(slot) = buf.get_mut(n) else {
            return false;
        };
        *slot = v;
        n += 1;
    }
    let year = |y: u32| if y < 100 { 1900 + y } else { y };
    match buf.get(..n).unwrap_or_default() {
        // Month-name forms carry two numbers: day and year.
        [a, b] => validate::date(year(*b), 1, *a) || validate::date(year(*a), 1, *b),
        [a, b, c] if *a > 1000 => validate::date(*a, *b, *c),
        [a, b, c] => validate::date(year(*c), *b, *a) || validate::date(year(*c), *a, *b),
        _ => false,
    }
}

fn iban(bytes: &[u8], start: usize, out: &mut Vec<Candidate>) {
    // Map each alphanumeric back to its byte offset, then cut at the country's length. No
    // IBAN is longer than 34 characters, so the rest is never looked at.
    let mut code = [0u8; 34];
    let mut ends = [0usize; 34];
    let mut n = 0;
    let alnum = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_alphanumeric());
    for ((i, &b), (c, e)) in alnum.zip(code.iter_mut().zip(ends.iter_mut())) {
        *c = b.to_ascii_uppercase();
        *e = i + 1;
        n += 1;
    }
    for len in (15..=n).rev() {
        let Some(prefix) = code.get(..len) else {
            continue;
        };
        if validate::iban(prefix) {
            if let Some(&e) = ends.get(len - 1) {
                // The cut must fall at the end of a group, not inside one.
                if bytes.get(e).is_none_or(|b| !b.is_ascii_alphanumeric()) {
                    push(out, Entity::Iban, start, start + e, 0.9);
                }
            }
            return;
        }
    }
}

/// Splits a digit run into groups and classifies every contiguous sub-sequence of up to
/// eight groups, longest first, left to right.
fn numeric<'t>(
    text: &'t str,
    start: usize,
    end: usize,
    out: &mut Vec<Candidate>,
    scratch: &mut Scratch<'t>,
) {
    let Some(m) = text.get(start..end) else {
        return;
    };
    let bytes = m.as_bytes();
    if bytes.iter().filter(|b| b.is_ascii_digit()).count() < 7 {
        return;
    }
    let plus = bytes.first() == Some(&b'+');
    let (groups, spans) = (&mut scratch.groups, &mut scratch.spans);
    groups.clear();
    spans.clear();
    let mut i = 0;
    let mut sep = 0u8;
    let mut open = None;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(0);
        if b.is_ascii_digit() {
            let s = i;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let paren = open.is_some() && bytes.get(i) == Some(&b')');
            let gs = if paren { open.unwrap_or(s) } else { s };
            let ge = if paren { i + 1 } else { i };
            groups.push(Group {
                digits: bytes.get(s..i).unwrap_or_default(),
                paren,
                sep,
            });
            spans.push((gs, ge));
            if paren {
                i += 1;
            }
            open = None;
            sep = 0;
            continue;
        }
        match b {
            b'(' => open = Some(i),
            b'+' => {}
            _ => sep = b,
        }
        i += 1;
    }
    let n = groups.len();
    let mut g = 0;
    while g < n {
        let mut matched = false;
        for last in (g..n.min(g + 8)).rev() {
            let (Some(parts), Some(sub)) = (groups.get(g..=last), spans.get(g..=last)) else {
                continue;
            };
            // Every entity here has 7 to 19 digits: skip the rest early.
            let total: usize = parts.iter().map(|x| x.digits.len()).sum();
            if !(7..=19).contains(&total) {
                continue;
            }
            let s = if g == 0 {
                0
            } else {
                sub.first().map_or(0, |x| x.0)
            };
            let e = sub.last().map_or(0, |x| x.1);
            let before = out.len();
            classify_digits(parts, plus && g == 0, start + s, start + e, out);
            if out.len() > before {
                matched = true;
                g = last + 1;
                break;
            }
        }
        if !matched {
            g += 1;
        }
    }
}

fn classify_digits(
    parts: &[Group<'_>],
    plus: bool,
    start: usize,
    end: usize,
    out: &mut Vec<Candidate>,
) {
    // Only this sub-sequence's own candidates matter below (not the whole text's).
    let first = out.len();
    // The caller passes at most 19 digits.
    let Some(joined) = Joined::<19>::new(parts) else {
        return;
    };
    let (digits, lens) = (joined.digits(), joined.lens());
    let seps = || parts.iter().skip(1).map(|g| g.sep);
    let one = parts.len() == 1;
    let same_sep = |allowed: &[u8]| {
        seps()
            .next()
            .is_some_and(|f| allowed.contains(&f) && seps().all(|s| s == f))
    };
    let any_paren = parts.iter().any(|g| g.paren);
    let n = digits.len();
    if !plus && !any_paren {
        if (13..=19).contains(&n) && validate::luhn(digits) && validate::card_issuer(digits) {
            let grouped = same_sep(b" -")
                && (lens.iter().all(|&l| l == 4 || l == n % 4 && l < 4)
                    || lens == [4, 6, 5]
                    || lens == [4, 6, 4]);
            if one || grouped {
                push(
                    out,
                    Entity::CreditCard,
                    start,
                    end,
                    if one { 0.7 } else { 0.9 },
                );
                return;
            }
        }
        if n == 9 && validate::us_ssn(digits) {
            let c = if lens == [3, 2, 4] && same_sep(b"- .") {
                Some(0.6)
            } else if one {
                Some(0.3)
            } else if (lens == [3, 6] || lens == [5, 4]) && same_sep(b"-") {
                Some(0.2)
            } else {
                None
            };
            if let Some(c) = c {
                push(out, Entity::UsSsn, start, end, c);
            }
        }
        if n == 9 && validate::ca_sin(digits) && (one || (lens == [3, 3, 3] && same_sep(b"- "))) {
            push(out, Entity::CaSin, start, end, if one { 0.2 } else { 0.6 });
        }
        if n == 10 && validate::uk_nhs(digits) && (one || (lens == [3, 3, 4] && same_sep(b"- "))) {
            push(out, Entity::UkNhs, start, end, if one { 0.4 } else { 0.5 });
        }
        if n == 12
            && validate::in_aadhaar(digits)
            && (one || (lens == [4, 4, 4] && same_sep(b" -:")))
        {
            push(
                out,
                Entity::InAadhaar,
                start,
                end,
                if one { 0.4 } else { 0.5 },
            );
        }
        if n == 11 && one && validate::de_tax_id(digits) {
            push(out, Entity::DeTaxId, start, end, 0.4);
        }
        if n == 9 && one {
            push(out, Entity::UsPassport, start, end, 0.15);
        }
        if (9..=13).contains(&n) && one {
            push(out, Entity::UsDriverLicense, start, end, 0.05);
        }
    }
    if let Some(c) = phone::classify(parts, plus) {
        // A grouped number that already passed an id's checksum and layout (`078-05-1123`)
        // is less likely a phone number that happens to fit.
        let id_like = out
            .get(first..)
            .unwrap_or_default()
            .iter()
            .any(|c| c.start == start && c.end == end && c.confidence >= 0.5);
        push(
            out,
            Entity::Phone,
            start,
            end,
            if id_like && !plus { c - 0.25 } else { c },
        );
    }
}
