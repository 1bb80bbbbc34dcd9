//! The scan: one Aho-Corasick pass over the text finds every keyword and every evasion
//! trigger; each keyword opens a window for the rules that named it; windows of one rule
//! are merged; each rule's regex runs only inside its windows. Cost is linear in the input:
//! the keyword pass is linear, a rule's merged windows cover each byte at most once, and
//! decoded regions are bounded, disjoint and limited in depth.

use super::allowlist::{is_placeholder, Allowlist};
use super::decode::{self, Encoding};
use super::pem;
use super::rules::{keyed_regex, Check, Pattern, RuleSpec};
use super::validate::{
    entropy, generic_name_ok, generic_value_ok, github_checksum_ok, jwt_confidence, url_password_ok,
};
use crate::scan::is_word_byte;
use crate::scan::keywords::KeywordSet;
use regex_automata::meta::Regex;
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Hir, HirKind, Look};
use std::collections::HashMap;
use std::ops::Range;

/// Settings the engine needs from the policy, already validated.
#[derive(Debug, Clone)]
pub(crate) struct EngineOptions {
    pub generic_min_entropy: f32,
    pub generic_min_length: usize,
    pub decode_depth: u8,
    pub strict_checksums: bool,
}

/// The keyword pass runs block by block, each block's rules right after it, so the regexes
/// read bytes that are still in cache (on a 64 MB text, one pass for the whole text first
/// cost ~15 % in throughput).
const SCAN_BLOCK: usize = 256 * 1024;

/// Entropy an unnamed constant needs before it is reported (bits per byte).
const HIGH_ENTROPY_BITS: f32 = 3.5;

/// A confirmed match before overlap resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawHit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
    /// Whether it was found in decoded text (base64, escapes, zero-width...).
    pub decoded: bool,
}

/// What an Aho-Corasick pattern stands for.
#[derive(Debug)]
enum Trigger {
    Rules(Vec<usize>),
    Decode(Encoding),
}

#[derive(Debug)]
struct Compiled {
    spec: &'static RuleSpec,
    regex: Option<Regex>,
    /// The regex begins with `\b`: an anchored run where no word boundary is cannot match.
    word_boundary_first: bool,
}

/// The compiled ruleset: immutable, shared across threads.
#[derive(Debug)]
pub(crate) struct Engine {
    rules: Vec<Compiled>,
    keywords: KeywordSet,
    /// The automaton's patterns, as written.
    patterns: Vec<String>,
    triggers: Vec<Trigger>,
    allow: Allowlist,
    opts: EngineOptions,
}

/// A rule that did not compile (a bug in the built-in table; tests catch it).
#[derive(Debug, thiserror::Error)]
#[error("rule `{rule}` does not compile: {message}")]
pub(crate) struct RuleError {
    pub rule: &'static str,
    pub message: String,
}

/// Rules match bytes, ASCII only (`(?-u)`): smaller automata, faster scans, and spans that
/// always start and end next to ASCII bytes.
fn compile_regex(pattern: &str) -> Result<Regex, String> {
    Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            Regex::config()
                .nfa_size_limit(Some(4 * 1024 * 1024))
                .hybrid_cache_capacity(256 * 1024),
        )
        .build(pattern)
        .map_err(|e| e.to_string())
}

/// Whether every match of `pattern` must begin at an ASCII word boundary.
fn leads_with_word_boundary(pattern: &str) -> Result<bool, String> {
    fn leads(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Look(look) => matches!(look, Look::WordAscii | Look::WordUnicode),
            HirKind::Concat(parts) => parts.first().is_some_and(leads),
            HirKind::Capture(group) => leads(&group.sub),
            HirKind::Alternation(alts) => alts.iter().all(leads),
            _ => false,
        }
    }
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    Ok(leads(&hir))
}

/// Whether `at` is a word boundary as the rules' `\b` sees it (ASCII word bytes).
fn at_word_boundary(text: &[u8], at: usize) -> bool {
    let word = |b: Option<&u8>| b.is_some_and(|&b| is_word_byte(b));
    let before = at.checked_sub(1).and_then(|p| text.get(p));
    word(before) != word(text.get(at))
}

impl Engine {
    pub(crate) fn new(
        specs: Vec<&'static RuleSpec>,
        allow: Allowlist,
        opts: EngineOptions,
    ) -> Result<Engine, RuleError> {
        let mut rules = Vec::with_capacity(specs.len());
        for spec in specs {
            let pattern = match spec.pattern {
                Pattern::Regex(p) => Some(p.to_string()),
                Pattern::Keyed(v) => Some(keyed_regex(spec.keywords, v)),
                Pattern::Pem => None,
            };
            let compiled = pattern
                .as_deref()
                .map(|p| Ok::<_, String>((compile_regex(p)?, leads_with_word_boundary(p)?)))
                .transpose()
                .map_err(|message| RuleError {
                    rule: spec.name,
                    message,
                })?;
            let (regex, word_boundary_first) = match compiled {
                Some((re, wb)) => (Some(re), wb),
                None => (None, false),
            };
            rules.push(Compiled {
                spec,
                regex,
                word_boundary_first,
            });
        }

        let mut patterns: Vec<String> = Vec::new();
        let mut triggers: Vec<Trigger> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            for kw in rule.spec.keywords {
                let key = kw.to_ascii_lowercase();
                match index.get(&key) {
                    Some(&p) => {
                        if let Some(Trigger::Rules(list)) = triggers.get_mut(p) {
                            list.push(i);
                        }
                    }
                    None => {
                        index.insert(key.clone(), patterns.len());
                        patterns.push(key);
                        triggers.push(Trigger::Rules(vec![i]));
                    }
                }
            }
        }
        if opts.decode_depth > 0 {
            let mut add = |p: String, e: Encoding| {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    index.entry(p.to_ascii_lowercase())
                {
                    slot.insert(patterns.len());
                    patterns.push(p);
                    triggers.push(Trigger::Decode(e));
                }
            };
            for z in decode::ZERO_WIDTH {
                add((*z).to_string(), Encoding::ZeroWidth);
            }
            for p in decode::PERCENT_TRIGGERS {
                add((*p).to_string(), Encoding::Percent);
            }
            for p in decode::ESCAPE_TRIGGERS {
                add((*p).to_string(), Encoding::Escape);
            }
            for kw in BASE64_KEYWORDS {
                for form in decode::base64_forms(kw) {
                    add(form, Encoding::Base64);
                }
            }
        }
        let keywords = KeywordSet::new(&patterns, true).map_err(|e| RuleError {
            rule: "keywords",
            message: e.to_string(),
        })?;
        Ok(Engine {
            rules,
            keywords,
            patterns,
            triggers,
            allow,
            opts,
        })
    }

    /// The rule at `index`.
    pub(crate) fn spec(&self, index: usize) -> Option<&'static RuleSpec> {
        self.rules.get(index).map(|r| r.spec)
    }

    /// Every hit in `text`, overlaps resolved, sorted by start.
    pub(crate) fn scan(&self, text: &[u8]) -> Vec<RawHit> {
        let mut hits = Vec::new();
        let mut caps = vec![None; self.rules.len()];
        self.scan_into(text, self.opts.decode_depth, &mut caps, &mut hits);
        resolve(&self.rules, hits)
    }

    /// `caps` holds each rule's capture slots, made on first use and reused for the scan.
    fn scan_into(
        &self,
        text: &[u8],
        depth: u8,
        caps: &mut [Option<Captures>],
        hits: &mut Vec<RawHit>,
    ) {
        let mut pending: Vec<Option<Range<usize>>> = vec![None; self.rules.len()];
        let mut decode_end = [0usize; 4];
        let mut regions: Vec<(Range<usize>, Encoding)> = Vec::new();
        let mut found = Vec::new();
        let mut block = 0..SCAN_BLOCK.min(text.len());
        loop {
            found.clear();
            self.keywords
                .find_overlapping_in(text, block.clone(), &mut found);
            for m in found.drain(..) {
                match self.triggers.get(m.pattern) {
                    Some(Trigger::Rules(ids)) => {
                        for &r in ids {
                            let Some(rule) = self.rules.get(r) else {
                                continue;
                            };
                            if rule.spec.anchored {
                                // Both tests below would reject the match anyway; they only
                                // spare the regex run (keywords inside words are common).
                                if rule.word_boundary_first && !at_word_boundary(text, m.start) {
                                    continue;
                                }
                                if matches!(rule.spec.pattern, Pattern::Keyed(_))
                                    && !keyword_starts_word(text, m.start)
                                {
                                    continue;
                                }
                                if let Some(re) = &rule.regex {
                                    let end =
                                        m.start.saturating_add(rule.spec.after).min(text.len());
                                    if let Some(caps) = rule_captures(caps, r, re) {
                                        self.match_at(text, r, re, m.start..end, caps, hits);
                                    }
                                }
                                continue;
                            }
                            let ws = m.start.saturating_sub(rule.spec.before);
                            let we = m.end.saturating_add(rule.spec.after).min(text.len());
                            let Some(slot) = pending.get_mut(r) else {
                                continue;
                            };
                            match slot.take() {
                                Some(w) if ws <= w.end => {
                                    *slot = Some(w.start.min(ws)..w.end.max(we))
                                }
                                Some(w) => {
                                    self.run_rule(text, r, w, caps, hits);
                                    *slot = Some(ws..we);
                                }
                                None => *slot = Some(ws..we),
                            }
                        }
                    }
                    Some(Trigger::Decode(kind)) if depth > 0 => {
                        // Base64 is case-sensitive; the automaton is not.
                        if *kind == Encoding::Base64
                            && self.patterns.get(m.pattern).map(String::as_bytes)
                                != text.get(m.start..m.end)
                        {
                            continue;
                        }
                        let k = *kind as usize;
                        let done = decode_end.get(k).copied().unwrap_or(0);
                        if m.start >= done {
                            let r = decode::region(text, m.start..m.end, *kind);
                            if let Some(d) = decode_end.get_mut(k) {
                                *d = r.end;
                            }
                            regions.push((r, *kind));
                        }
                    }
                    _ => {}
                }
            }
            if block.end >= text.len() {
                break;
            }
            block = block.end..block.end.saturating_add(SCAN_BLOCK).min(text.len());
        }
        for (r, slot) in pending.into_iter().enumerate() {
            if let Some(w) = slot {
                self.run_rule(text, r, w, caps, hits);
            }
        }
        for (r, kind) in regions {
            let Some(d) = decode::decode(text, r, kind) else {
                continue;
            };
            let mut inner = Vec::new();
            self.scan_into(&d.bytes, depth - 1, caps, &mut inner);
            for h in inner {
                if let Some(span) = d.map(h.start..h.end) {
                    hits.push(RawHit {
                        start: span.start,
                        end: span.end,
                        decoded: true,
                        ..h
                    });
                }
            }
        }
    }

    fn run_rule(
        &self,
        text: &[u8],
        r: usize,
        window: Range<usize>,
        caps: &mut [Option<Captures>],
        hits: &mut Vec<RawHit>,
    ) {
        let Some(rule) = self.rules.get(r) else {
            return;
        };
        let Some(hay) = text.get(..window.end) else {
            return;
        };
        match (&rule.regex, rule.spec.pattern) {
            (_, Pattern::Pem) => {
                let finder = memchr::memmem::Finder::new(b"-----BEGIN ");
                let mut at = window.start;
                while let Some(i) = text.get(at..).and_then(|h| finder.find(h)) {
                    let begin = at + i;
                    if begin >= window.end {
                        break;
                    }
                    match pem::block_at(text, begin) {
                        Some(block) => {
                            at = block.end;
                            hits.push(RawHit {
                                rule: r,
                                start: block.start,
                                end: block.end,
                                confidence: 0.99,
                                decoded: false,
                            });
                        }
                        None => at = begin + 1,
                    }
                }
            }
            (Some(re), _) => {
                // The search is bounded to the window, but anchors and word boundaries see
                // the whole text, so a window edge never cuts a token into a false match.
                let Some(caps) = rule_captures(caps, r, re) else {
                    return;
                };
                let mut at = window.start;
                while at <= hay.len() {
                    re.search_captures(&Input::new(text).range(at..hay.len()), caps);
                    let Some(whole) = caps.get_match() else {
                        break;
                    };
                    self.accept(text, r, rule.spec, caps, whole.start(), hits);
                    at = if whole.end() > whole.start() {
                        whole.end()
                    } else {
                        whole.end() + 1
                    };
                }
            }
            (None, _) => {}
        }
    }

    /// Runs rule `r` anchored at `span.start` (where its keyword begins), bounded by `span.end`.
    fn match_at(
        &self,
        text: &[u8],
        r: usize,
        re: &Regex,
        span: Range<usize>,
        caps: &mut Captures,
        hits: &mut Vec<RawHit>,
    ) {
        let Some(rule) = self.rules.get(r) else {
            return;
        };
        let input = Input::new(text).range(span).anchored(Anchored::Yes);
        re.search_captures(&input, caps);
        if let Some(whole) = caps.get_match() {
            self.accept(text, r, rule.spec, caps, whole.start(), hits);
        }
    }

    /// Confirms a regex match and records it.
    fn accept(
        &self,
        text: &[u8],
        r: usize,
        spec: &RuleSpec,
        caps: &Captures,
        name_at: usize,
        hits: &mut Vec<RawHit>,
    ) {
        let Some(whole) = caps.get_match() else {
            return;
        };
        let secret = (1..caps.group_len())
            .find_map(|g| caps.get_group(g))
            .unwrap_or(whole.span());
        if let Some(confidence) = self.confirm(spec, text, secret.range(), name_at) {
            hits.push(RawHit {
                rule: r,
                start: secret.start,
                end: secret.end,
                confidence,
                decoded: false,
            });
        }
    }

    /// The confidence of a candidate, or `None` to drop it.
    fn confirm(
        &self,
        spec: &RuleSpec,
        text: &[u8],
        span: Range<usize>,
        name_at: usize,
    ) -> Option<f32> {
        let value = text.get(span)?;
        if value.is_empty() || self.allow.allows(value) || is_placeholder(value) {
            return None;
        }
        if spec.entropy > 0.0 && entropy(value) < spec.entropy {
            return None;
        }
        let base = match spec.pattern {
            Pattern::Keyed(_) => {
                if !keyword_is_word(text, name_at, spec.keywords) || letters_only_short(value) {
                    return None;
                }
                0.8
            }
            _ => 0.9,
        };
        match spec.check {
            Check::None => Some(base),
            Check::GithubCrc => {
                if github_checksum_ok(value) {
                    Some(0.99)
                } else if self.opts.strict_checksums {
                    None
                } else {
                    Some(0.7)
                }
            }
            Check::Jwt => jwt_confidence(value),
            Check::Generic => (generic_name_ok(text, name_at)
                && generic_value_ok(
                    value,
                    self.opts.generic_min_entropy,
                    self.opts.generic_min_length,
                ))
            .then_some(0.7),
            Check::UrlPassword => url_password_ok(value).then_some(0.85),
            Check::HighEntropy => generic_value_ok(
                value,
                self.opts.generic_min_entropy.max(HIGH_ENTROPY_BITS),
                self.opts.generic_min_length.max(14),
            )
            .then_some(0.5),
            Check::Mixed => (value.iter().any(u8::is_ascii_uppercase)
                && value.iter().any(u8::is_ascii_lowercase)
                && value.iter().any(u8::is_ascii_digit))
            .then_some(base),
        }
    }
}

/// Rule `r`'s capture slots, made on first use.
fn rule_captures<'c>(
    caps: &'c mut [Option<Captures>],
    r: usize,
    re: &Regex,
) -> Option<&'c mut Captures> {
    Some(caps.get_mut(r)?.get_or_insert_with(|| re.create_captures()))
}

/// A service name must start a word of the identifier (`ADAFRUIT_TOKEN`, `myAdafruitKey`),
/// not sit inside another word (`SetSysctl` is not `etsy`, `CameraKit` is not `meraki`).
/// It must also not end inside one (`sumOfExposures` is not `sumo`).
fn keyword_is_word(text: &[u8], at: usize, keywords: &[&str]) -> bool {
    keyword_starts_word(text, at) && keyword_ends_word(text, at, keywords)
}

fn keyword_starts_word(text: &[u8], at: usize) -> bool {
    let cur = text.get(at).copied().unwrap_or(b' ');
    match at.checked_sub(1).and_then(|p| text.get(p)) {
        None => true,
        Some(prev) => {
            !prev.is_ascii_alphabetic() || (prev.is_ascii_lowercase() && cur.is_ascii_uppercase())
        }
    }
}

fn keyword_ends_word(text: &[u8], at: usize, keywords: &[&str]) -> bool {
    let len = keywords
        .iter()
        .find(|k| {
            text.get(at..at + k.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(k.as_bytes()))
        })
        .map_or(0, |k| k.len());
    let last = len
        .checked_sub(1)
        .and_then(|l| text.get(at + l))
        .copied()
        .unwrap_or(b' ');
    let next = text.get(at + len).copied().unwrap_or(b' ');
    !(last.is_ascii_uppercase() && next.is_ascii_lowercase() && len > 1)
}

/// `sumOfExposures`: a short value made only of letters is a word or a name.
fn letters_only_short(value: &[u8]) -> bool {
    value.len() < 24 && value.iter().all(u8::is_ascii_alphabetic)
}

/// Keywords looked for in base64, as they are written (base64 is case-sensitive): the
/// prefixes of the most common credentials and the common secret names. Every form costs
/// automaton states, so the list is short; other formats inside base64 are found when one
/// of these words is near them or not at all (see docs/SECRETS.md).
const BASE64_KEYWORDS: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xapp-",
    "AKIA",
    "ASIA",
    "sk-proj-",
    "sk-ant-",
    "sk_live_",
    "rk_live_",
    "AIza",
    "-----BEGIN",
    "npm_",
    "pypi-",
    "dop_v1_",
    "shpat_",
    "hf_",
    "SG.",
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "PASSWORD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "Password",
    "Secret",
    "Token",
    "://",
];

/// Overlapping hits: the more specific rule wins, then the longer span, then the earlier.
fn resolve(rules: &[Compiled], mut hits: Vec<RawHit>) -> Vec<RawHit> {
    if hits.len() <= 1 {
        return hits;
    }
    let prio = |h: &RawHit| rules.get(h.rule).map_or(0, |r| r.spec.priority());
    hits.sort_by(|a, b| {
        prio(b)
            .cmp(&prio(a))
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
            .then(a.rule.cmp(&b.rule))
            .then(a.decoded.cmp(&b.decoded))
    });
    let mut kept: std::collections::BTreeMap<usize, RawHit> = std::collections::BTreeMap::new();
    for h in hits {
        let before = kept
            .range(..=h.start)
            .next_back()
            .map(|(_, k)| k.end > h.start);
        let after = kept.range(h.start..).next().map(|(_, k)| k.start < h.end);
        if before != Some(true) && after != Some(true) {
            kept.insert(h.start, h);
        }
    }
    kept.into_values().collect()
}

#[cfg(test)]
mod profile {
    use super::*;

    /// Prints how often each keyword is hit and how fast the keyword pass alone runs on a
    /// corpus file (`GUARDRAIL_PROFILE_FILE`). A diagnostic for tuning keywords, not a test.
    #[test]
    #[ignore = "diagnostic; run by hand"]
    fn keyword_hit_counts() {
        let Ok(path) = std::env::var("GUARDRAIL_PROFILE_FILE") else {
            return;
        };
        let text = std::fs::read(path).unwrap();
        let det = crate::content::secrets::tests::detector();
        let e = &det.engine;
        let t = std::time::Instant::now();
        let mut counts: HashMap<usize, usize> = HashMap::new();
        let mut found = Vec::new();
        e.keywords.find_overlapping(&text, &mut found);
        for m in found {
            *counts.entry(m.pattern).or_default() += 1;
        }
        let mb_s = text.len() as f64 / t.elapsed().as_secs_f64() / 1e6;
        println!(
            "{} patterns, keyword pass {mb_s:.0} MB/s (wall)",
            e.patterns.len()
        );
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        for (p, n) in v.iter().take(25) {
            println!("{n:>8} {:?}", e.patterns[*p]);
        }
    }
}
