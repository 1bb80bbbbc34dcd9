//! Phone numbers in international and national formats, checked against per-country
//! numbering-plan lengths.
//!
//! We do not use the `phonenumber` crate: it parses one isolated string at a time (no finder
//! for free text), keeps its regexes in a mutex-guarded cache compiled lazily during scans, and
//! builds its metadata from XML in a build script. A digit-run candidate from the scanner is
//! checked here instead, with a table of country codes and national-number lengths.

/// National significant number lengths by country calling code (ITU E.164 plans).
fn country(digits: &[u8]) -> Option<(usize, usize, usize)> {
    // (code length, min nsn, max nsn)
    let d = |n: usize| -> u32 {
        digits
            .iter()
            .take(n)
            .fold(0, |a, &b| a * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    let one = match d(1) {
        1 => Some((10, 10)), // NANP: US, CA
        7 => Some((10, 10)), // RU, KZ
        _ => None,
    };
    if let Some((lo, hi)) = one {
        return Some((1, lo, hi));
    }
    let two = match d(2) {
        20 => Some((8, 10)),  // EG
        27 => Some((9, 9)),   // ZA
        30 => Some((10, 10)), // GR
        31 => Some((9, 9)),   // NL
        32 => Some((8, 9)),   // BE
        33 => Some((9, 9)),   // FR
        34 => Some((9, 9)),   // ES
        36 => Some((8, 9)),   // HU
        39 => Some((6, 11)),  // IT
        40 => Some((9, 9)),   // RO
        41 => Some((9, 9)),   // CH
        43 => Some((4, 13)),  // AT
        44 => Some((9, 10)),  // GB
        45 => Some((8, 8)),   // DK
        46 => Some((7, 9)),   // SE
        47 => Some((8, 8)),   // NO
        48 => Some((9, 9)),   // PL
        49 => Some((6, 13)),  // DE
        51 => Some((8, 9)),   // PE
        52 => Some((10, 10)), // MX
        54 => Some((10, 11)), // AR
        55 => Some((10, 11)), // BR
        56 => Some((9, 9)),   // CL
        57 => Some((10, 10)), // CO
        60 => Some((7, 10)),  // MY
        61 => Some((9, 9)),   // AU
        62 => Some((8, 12)),  // ID
        63 => Some((8, 10)),  // PH
        64 => Some((8, 10)),  // NZ
        65 => Some((8, 8)),   // SG
        66 => Some((8, 9)),   // TH
        81 => Some((9, 10)),  // JP
        82 => Some((8, 10)),  // KR
        84 => Some((9, 10)),  // VN
        86 => Some((10, 11)), // CN
        90 => Some((10, 10)), // TR
        91 => Some((10, 10)), // IN
        92 => Some((9, 10)),  // PK
        94 => Some((9, 9)),   // LK
        98 => Some((10, 10)), // IR
        _ => None,
    };
    if let Some((lo, hi)) = two {
        return Some((2, lo, hi));
    }
    let three = match d(3) {
        212 => Some((9, 9)),   // MA
        234 => Some((8, 10)),  // NG
        254 => Some((9, 9)),   // KE
        351 => Some((9, 9)),   // PT
        352 => Some((4, 11)),  // LU
        353 => Some((7, 9)),   // IE
        358 => Some((5, 12)),  // FI
        380 => Some((9, 9)),   // UA
        420 => Some((9, 9)),   // CZ
        421 => Some((9, 9)),   // SK
        852 => Some((8, 8)),   // HK
        880 => Some((10, 10)), // BD
        966 => Some((9, 9)),   // SA
        971 => Some((8, 9)),   // AE
        972 => Some((8, 9)),   // IL
        _ => None,
    };
    three.map(|(lo, hi)| (3, lo, hi))
}

/// One digit group of a candidate: its digits, whether it was in parentheses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group<'a> {
    pub digits: &'a [u8],
    pub paren: bool,
    /// The separator byte before the group (0 for the first or none).
    pub sep: u8,
}

/// The digits and group lengths of a candidate's groups, joined on the stack (this runs for
/// every digit-run candidate, so it must not allocate).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Joined<const N: usize> {
    digits: [u8; N],
    lens: [usize; N],
    n: usize,
    groups: usize,
}

impl<const N: usize> Joined<N> {
    /// `None` when the groups hold more than `N` digits (or are more than `N` groups).
    pub(crate) fn new(groups: &[Group<'_>]) -> Option<Joined<N>> {
        if groups.len() > N {
            return None;
        }
        let mut j = Joined {
            digits: [0; N],
            lens: [0; N],
            n: 0,
            groups: groups.len(),
        };
        for (g, len) in groups.iter().zip(j.lens.iter_mut()) {
            j.digits
                .get_mut(j.n..j.n + g.digits.len())?
                .copy_from_slice(g.digits);
            j.n += g.digits.len();
            *len = g.digits.len();
        }
        Some(j)
    }

    /// Every digit, separators removed.
    pub(crate) fn digits(&self) -> &[u8] {
        self.digits.get(..self.n).unwrap_or_default()
    }

    /// The digit count of each group.
    pub(crate) fn lens(&self) -> &[usize] {
        self.lens.get(..self.groups).unwrap_or_default()
    }
}

/// The confidence that `groups` (a candidate's digit groups) form a phone number, if they do.
/// `plus` says whether the candidate starts with `+` (or `00`, already stripped).
pub(crate) fn classify(groups: &[Group<'_>], plus: bool) -> Option<f32> {
    // A phone number has at most 15 digits (E.164).
    let joined = Joined::<15>::new(groups)?;
    let (digits, lens) = (joined.digits(), joined.lens());
    let n = digits.len();
    if !(7..=15).contains(&n) {
        return None;
    }
    if plus {
        let (cc_len, lo, hi) = country(digits)?;
        // `+44 (0)20 ...`: a trunk zero in parentheses is not part of the number.
        let trunk = groups.get(1).is_some_and(|g| g.paren && g.digits == b"0");
        let nsn = n - cc_len - usize::from(trunk);
        if !(lo..=hi).contains(&nsn) {
            return None;
        }
        if cc_len == 1
            && digits.first() == Some(&b'1')
            && !nanp(digits.get(1..).unwrap_or_default())
        {
            return None;
        }
        return Some(0.75);
    }
    let first = *digits.first()?;
    let one_group = groups.len() == 1;
    let same_seps = groups
        .iter()
        .skip(1)
        .all(|g| g.sep == groups.get(1).map_or(0, |f| f.sep));
    // NANP: (415) 555-0132, 415-555-0132, 415.555.0132, 1-415-555-0132.
    if n == 10 && nanp(digits) {
        if lens == [3, 3, 4] && (same_seps || groups.first().is_some_and(|g| g.paren)) {
            return Some(0.6);
        }
        if one_group {
            return Some(0.3);
        }
    }
    if n == 11 && first == b'1' && lens == [1, 3, 3, 4] && nanp(digits.get(1..).unwrap_or_default())
    {
        return Some(0.6);
    }
    // CN mobile: 1[3-9] and nine digits, usually written unbroken.
    if n == 11 && first == b'1' && one_group && matches!(digits.get(1), Some(b'3'..=b'9')) {
        return Some(0.4);
    }
    // IN mobile: ten digits starting 6-9.
    if n == 10 && one_group && matches!(first, b'6'..=b'9') {
        return Some(0.3);
    }
    // Trunk-zero national formats (GB, DE, FR, IT, NL, IL, JP, AU, BR, ...): 0 + 8..11 digits,
    // written in groups.
    if first == b'0' && (9..=12).contains(&n) && groups.len() >= 2 {
        if digits.get(1) == Some(&b'0') {
            return None; // 00 is an international prefix, not a national number
        }
        let fr = n == 10 && lens == [2, 2, 2, 2, 2];
        let jp = n == 11 && lens == [3, 4, 4];
        let gb = n == 11 && (lens == [3, 4, 4] || lens == [5, 6] || lens == [4, 3, 4]);
        return Some(if fr || jp || gb { 0.6 } else { 0.5 });
    }
    // Area code in parentheses without a trunk zero: (11) 98456-5666.
    if groups.first().is_some_and(|g| g.paren) && (10..=11).contains(&n) && groups.len() >= 2 {
        return Some(0.5);
    }
    // ES / PT style nine digits 3-3-3 or 3-2-2-2 starting 6-9.
    if n == 9
        && matches!(first, b'6'..=b'9')
        && (lens == [3, 3, 3] || lens == [3, 2, 2, 2])
        && same_seps
    {
        return Some(0.45);
    }
    None
}

/// A ten-digit NANP number: area and exchange codes start 2-9.
fn nanp(d: &[u8]) -> bool {
    d.len() == 10 && matches!(d.first(), Some(b'2'..=b'9')) && matches!(d.get(3), Some(b'2'..=b'9'))
}
