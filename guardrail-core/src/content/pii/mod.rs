//! PII detection: validated patterns, context words, a name gazetteer, and reversible
//! pseudonymization.
//!
//! One multi-pattern regex (leftmost-first, ASCII word boundaries) finds candidates of every
//! shape in one pass; each candidate is validated (Luhn, mod 97, Verhoeff, base58check, ...)
//! and given a base confidence. Only when a text has candidates does a second pass run one DFA
//! over the context words of every entity, in the windows around the candidates; a context
//! word shortly before or after a match raises its confidence (Presidio's idea). Matches below
//! the entity's minimum confidence are dropped.

mod candidates;
mod config;
mod context;
mod engine;
mod entity;
mod names;
mod patterns;
mod phone;
mod validate;
mod vault;

pub use config::{EntityConfig, PiiConfig};
pub use entity::Entity;
pub use vault::{pseudonymize, resolve_overlaps, Vault};

use crate::decision::{Action, Layer, Span};
use crate::policy::{Diagnostics, PolicyError};
use crate::scan::{Channel, Detector, Hit};
use candidates::{Candidate, Scratch};
use patterns::Shape;
use regex_automata::{Anchored, Input, PatternID};
use std::borrow::Cow;

/// One PII match: which entity, where (bytes), how sure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PiiMatch {
    /// The entity found.
    pub entity: Entity,
    /// Byte range in the scanned text.
    pub span: Span,
    /// Confidence from 0 to 1, context included.
    pub confidence: f32,
    /// The action the configuration assigns.
    pub action: Action,
}

#[derive(Debug, Clone, Copy)]
struct Setting {
    enabled: bool,
    min_confidence: f32,
    action: Action,
}

/// The compiled PII detector: immutable, shared across threads.
#[derive(Debug)]
pub struct PiiDetector {
    shapes: engine::Shapes,
    settings: [Setting; Entity::ALL.len()],
    context: context::ContextWords,
    window: usize,
    boost: f32,
    #[allow(
        dead_code,
        reason = "read by the Detector impl, which the guard calls once wired"
    )]
    channels: [bool; Channel::ALL.len()],
}

impl PiiDetector {
    /// Compiles the detector from its policy section.
    ///
    /// # Errors
    ///
    /// Unknown entity names, confidences outside 0..=1, or empty context words, all reported at
    /// once with their `content.pii...` path.
    pub fn new(config: &PiiConfig) -> Result<PiiDetector, PolicyError> {
        let mut diags = Diagnostics::default();
        match compile(config, &mut diags, "content.pii") {
            Some(d) if diags.is_empty() => Ok(d),
            _ => Err(PolicyError::new(diags.into_issues())),
        }
    }

    /// Every match in `text` at or above its entity's minimum confidence, in text order.
    pub fn find(&self, text: &str) -> Vec<PiiMatch> {
        let mut cands = Vec::new();
        self.candidates(text, &mut cands);
        let mut out = Vec::with_capacity(cands.len());
        self.score(text, &cands, |c, conf, setting| {
            out.push(PiiMatch {
                entity: c.entity,
                span: Span::new(c.start, c.end),
                confidence: conf,
                action: setting.action,
            });
        });
        out
    }

    fn candidates(&self, text: &str, out: &mut Vec<Candidate>) {
        let mut scratch = Scratch::default();
        let mut cache = self.shapes.cache();
        let len = text.len();
        let mut pos = 0;
        while pos < len {
            let Some(m) = self
                .shapes
                .search(&mut cache, &Input::new(text).span(pos..len))
            else {
                break;
            };
            let (s, first) = (m.start(), m.pattern().as_usize());
            let mut consumed = Shape::ALL
                .get(first)
                .is_some_and(|&shape| {
                    candidates::classify(shape, text, s, m.end(), out, &mut scratch)
                })
                .then_some(m.end());
            if consumed.is_none() {
                // Retry the lower-priority shapes anchored at the same start.
                let bytes = text.as_bytes();
                let prev = s.checked_sub(1).and_then(|p| bytes.get(p)).copied();
                let cur = bytes.get(s).copied().unwrap_or(0);
                for pid in first + 1..Shape::ALL.len() {
                    let (Some(&shape), Ok(id)) = (Shape::ALL.get(pid), PatternID::new(pid)) else {
                        continue;
                    };
                    if !shape.can_start(prev, cur) {
                        continue;
                    }
                    let input = Input::new(text)
                        .span(s..len)
                        .anchored(Anchored::Pattern(id));
                    if let Some(m2) = self.shapes.search(&mut cache, &input) {
                        if candidates::classify(shape, text, s, m2.end(), out, &mut scratch) {
                            consumed = Some(m2.end());
                            break;
                        }
                    }
                }
            }
            let step = text
                .get(s..)
                .and_then(|t| t.chars().next())
                .map_or(1, char::len_utf8);
            pos = consumed.map_or(s + step, |e| e.max(s + step));
        }
    }

    /// Applies context words and thresholds, calling `emit` for each match that passes.
    fn score(
        &self,
        text: &str,
        cands: &[Candidate],
        mut emit: impl FnMut(&Candidate, f32, Setting),
    ) {
        if cands.is_empty() {
            return;
        }
        // Context words are looked for only in the windows around candidates (merged), so a
        // text with few candidates costs almost nothing here.
        let mut ctx: Vec<(usize, usize, u32)> = Vec::new();
        let window = |c: &Candidate| {
            (
                c.start.saturating_sub(self.window),
                (c.end + self.window / 2).min(text.len()),
            )
        };
        // Candidates come in text order, so their windows are already sorted.
        if cands.is_sorted_by_key(|c| c.start) {
            self.context.find(text, cands.iter().map(window), &mut ctx);
        } else {
            let mut windows: Vec<(usize, usize)> = cands.iter().map(window).collect();
            windows.sort_unstable();
            self.context.find(text, windows.into_iter(), &mut ctx);
        }
        // The first context word at or after the window's start: candidates come mostly in text
        // order, so walk on from the last one and search only when a window starts earlier.
        let mut first = 0;
        for c in cands {
            let Some(setting) = self.settings.get(c.entity.index()).copied() else {
                continue;
            };
            if !setting.enabled {
                continue;
            }
            let bit = 1u32 << c.entity.index();
            let lo = c.start.saturating_sub(self.window);
            let hi = c.end + self.window / 2;
            let starts_before = |i: usize| ctx.get(i).is_some_and(|&(s, _, _)| s < lo);
            if first > 0 && !starts_before(first - 1) {
                first = ctx.partition_point(|&(s, _, _)| s < lo);
            }
            while starts_before(first) {
                first += 1;
            }
            let near = ctx
                .get(first..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&(s, _, _)| s <= hi)
                .any(|&(s, e, mask)| mask & bit != 0 && (e <= c.start || s >= c.end));
            let boost = match (near, c.entity) {
                (false, _) => 0.0,
                // A date is a date of birth only near birth context.
                (true, Entity::DateOfBirth) => self.boost * 2.0,
                (true, _) => self.boost,
            };
            let conf = (c.confidence + boost).min(1.0);
            if conf >= setting.min_confidence && conf > 0.0 {
                emit(c, conf, setting);
            }
        }
    }
}

impl Detector for PiiDetector {
    fn layer(&self) -> Layer {
        Layer::Content
    }

    fn wants(&self, channel: Channel) -> bool {
        Channel::ALL
            .iter()
            .position(|&c| c == channel)
            .and_then(|i| self.channels.get(i))
            .copied()
            .unwrap_or(false)
    }

    fn scan(&self, text: &str, _channel: Channel, hits: &mut Vec<Hit>) {
        let mut cands = Vec::new();
        self.candidates(text, &mut cands);
        self.score(text, &cands, |c, conf, setting| {
            let builtin = c.entity.builtin();
            hits.push(Hit {
                rule: Cow::Borrowed(c.entity.rule()),
                category: Cow::Borrowed("pii"),
                severity: builtin.severity,
                confidence: conf,
                action: setting.action,
                span: Span::new(c.start, c.end),
                message: format!("{} detected", builtin.name.replace('_', " ")),
                suggestion: None,
                package: None,
            });
        });
    }
}

/// Compiles the `content.pii` section, reporting problems under `path`.
pub(crate) fn compile(
    config: &PiiConfig,
    diags: &mut Diagnostics,
    path: &str,
) -> Option<PiiDetector> {
    let check_conf = |diags: &mut Diagnostics, p: String, v: f64| {
        if !(0.0..=1.0).contains(&v) {
            diags.error(p, format!("confidence `{v}` must be between 0 and 1"));
        }
    };
    check_conf(
        diags,
        format!("{path}.min_confidence"),
        config.min_confidence,
    );
    check_conf(diags, format!("{path}.context_boost"), config.context_boost);
    let base = Setting {
        enabled: config.enabled,
        min_confidence: config.min_confidence as f32,
        action: config.action,
    };
    let mut settings = [base; Entity::ALL.len()];
    let names = Entity::ALL
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join("`, `");
    for (name, ec) in &config.entities {
        let p = format!("{path}.entities.{name}");
        let Some(entity) = Entity::parse(name) else {
            diags.error_with_hint(
                p,
                format!("unknown entity `{name}`"),
                format!("known entities: `{names}`"),
            );
            continue;
        };
        if let Some(s) = settings.get_mut(entity.index()) {
            s.enabled = config.enabled && ec.enabled.unwrap_or(true);
            if let Some(v) = ec.min_confidence {
                check_conf(diags, format!("{p}.min_confidence"), v);
                s.min_confidence = v as f32;
            }
            if let Some(a) = ec.action {
                s.action = a;
            }
        }
    }
    // Context words: one pattern per distinct lowercased word, with the entities it serves.
    let mut words: Vec<(String, u32)> = Vec::new();
    let mut add = |word: &str, entity: Entity| {
        let w = word.to_ascii_lowercase();
        let bit = 1u32 << entity.index();
        match words.iter_mut().find(|(x, _)| *x == w) {
            Some((_, mask)) => *mask |= bit,
            None => words.push((w, bit)),
        }
    };
    for e in Entity::ALL {
        for w in e.builtin().context {
            add(w, e);
        }
    }
    for (name, extra) in &config.context_words {
        let Some(entity) = Entity::parse(name) else {
            diags.error(
                format!("{path}.context_words.{name}"),
                format!("unknown entity `{name}`"),
            );
            continue;
        };
        for (i, w) in extra.iter().enumerate() {
            if w.trim().is_empty() {
                diags.error(
                    format!("{path}.context_words.{name}[{i}]"),
                    "context word is empty",
                );
            } else {
                add(w.trim(), entity);
            }
        }
    }
    // Longest first: leftmost-first then prefers the longest word starting at a position.
    words.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    let context = match context::ContextWords::new(&words) {
        Ok(c) => c,
        Err(e) => {
            diags.error(
                format!("{path}.context_words"),
                format!("context words failed to compile: {e}"),
            );
            return None;
        }
    };
    let shapes = match engine::Shapes::new(&patterns::sources()) {
        Ok(r) => r,
        Err(e) => {
            diags.error(
                path.to_string(),
                format!("internal pattern failed to compile: {e}"),
            );
            return None;
        }
    };
    let mut channels = [false; Channel::ALL.len()];
    for ch in &config.channels {
        if let Some(slot) = Channel::ALL
            .iter()
            .position(|c| c == ch)
            .and_then(|i| channels.get_mut(i))
        {
            *slot = config.enabled;
        }
    }
    Some(PiiDetector {
        shapes,
        settings,
        context,
        window: config.context_window,
        boost: config.context_boost as f32,
        channels,
    })
}

#[cfg(test)]
mod tests;
