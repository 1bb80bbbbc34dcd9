//! Safety classification: built-in lexical categories (violence, self-harm, sexual content,
//! hate, weapons, illegal drugs, harassment) and a hook for a host-supplied classifier.
//!
//! The lexical classifier normalizes the text (case, leetspeak, homoglyphs, zero-width
//! characters, repeated and spaced-out letters), then one Aho-Corasick pass finds whole-word
//! terms of every category. A category's score is the noisy-or of its matched terms' weights;
//! at or above the category's threshold each matched term becomes a finding with the
//! category's action. A [`Classifier`] returns label scores that go through the same
//! thresholds and actions: a label named like a category uses that category's settings.
//!
//! What it cannot do: understand meaning. It flags "I will kill you" and misses a threat worded
//! without any listed term; it cannot tell quoting, fiction, news or a medical question from
//! intent. It is a cheap first line; plug in a model through [`Classifier`] for real coverage.

mod lexicon;
mod normalize;

use crate::decision::{Action, Layer, Severity, Span};
use crate::policy::{Diagnostics, PolicyError};
use crate::scan::{Channel, Detector, Hit};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A host-supplied classifier (an ML model, a moderation API client the host calls itself):
/// label scores from 0 to 1 for a text. The policy turns them into findings exactly like the
/// built-in categories (`safety.<label>`); scores outside 0 to 1, NaN included, are ignored.
pub trait Classifier: Send + Sync {
    /// Scores `text` seen on `channel`: `(label, score)` pairs, any labels.
    fn classify(&self, text: &str, channel: Channel) -> Vec<(String, f32)>;
}

/// The `content.safety` section of the policy.
///
/// ```yaml
/// content:
///   safety:
///     categories:
///       self_harm: { action: escalate, threshold: 0.5 }
///       drugs: { enabled: false }
///     terms:
///       harassment: ["go touch grass"]
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SafetyConfig {
    /// Whether safety classification runs at all.
    pub enabled: bool,
    /// Channels whose texts are classified. Default: user prompts, model output, tool output.
    pub channels: Vec<Channel>,
    /// Per-category settings, keyed by category (`violence`, `self_harm`, `sexual`, `hate`,
    /// `weapons`, `drugs`, `harassment`) or classifier label.
    pub categories: BTreeMap<String, CategoryConfig>,
    /// Extra terms per category (whole words or phrases, weight 0.9); a new name makes a new
    /// category. Terms shorter than three letters once normalized are ignored.
    pub terms: BTreeMap<String, Vec<String>>,
    /// Terms never flagged, whatever category lists them.
    pub allow: Vec<String>,
    /// The threshold for categories and labels without their own.
    pub threshold: f64,
    /// The action for categories and labels without their own.
    pub action: Action,
}

/// Settings of one category or classifier label.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CategoryConfig {
    /// Whether the category is reported (default: true).
    pub enabled: Option<bool>,
    /// The score (0 to 1) at which it is reported.
    pub threshold: Option<f64>,
    /// What to do when it is.
    pub action: Option<Action>,
}

impl Default for SafetyConfig {
    fn default() -> SafetyConfig {
        SafetyConfig {
            enabled: true,
            channels: vec![Channel::User, Channel::ModelOutput, Channel::ToolOutput],
            categories: BTreeMap::new(),
            terms: BTreeMap::new(),
            allow: Vec::new(),
            threshold: 0.5,
            action: Action::Escalate,
        }
    }
}

#[derive(Debug, Clone)]
struct Setting {
    name: String,
    enabled: bool,
    threshold: f32,
    action: Action,
}

/// One safety finding: the category, the score, and where a term matched (none for a
/// classifier label, which is about the whole text).
#[derive(Debug, Clone, PartialEq)]
pub struct SafetyMatch {
    /// Category or label.
    pub category: String,
    /// The category's score for the text, 0 to 1.
    pub score: f32,
    /// The matched term's bytes in the original text.
    pub span: Option<Span>,
    /// The configured action.
    pub action: Action,
}

/// The compiled safety classifier: immutable, shared across threads.
pub struct SafetyDetector {
    ac: Option<AhoCorasick>,
    /// Per pattern: (category index, weight).
    terms: Vec<(usize, f32)>,
    settings: Vec<Setting>,
    default: Setting,
    channels: Vec<Channel>,
    classifier: Option<Arc<dyn Classifier>>,
}

impl std::fmt::Debug for SafetyDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyDetector")
            .field("terms", &self.terms.len())
            .field("categories", &self.settings.len())
            .field("classifier", &self.classifier.is_some())
            .finish()
    }
}

const MAX_PER_CATEGORY: usize = 16;

impl SafetyDetector {
    /// Compiles the detector from its policy section.
    ///
    /// # Errors
    ///
    /// Thresholds outside 0..=1 and empty terms, reported with their `content.safety` path.
    pub fn new(config: &SafetyConfig) -> Result<SafetyDetector, PolicyError> {
        let mut diags = Diagnostics::default();
        match compile(config, &mut diags, "content.safety") {
            Some(d) if diags.is_empty() => Ok(d),
            _ => Err(PolicyError::new(diags.into_issues())),
        }
    }

    /// Adds a host classifier whose label scores are judged like the built-in categories.
    pub fn with_classifier(mut self, classifier: Arc<dyn Classifier>) -> SafetyDetector {
        self.classifier = Some(classifier);
        self
    }

    /// A detector that runs only `classifier`, judged by the policy's safety settings (the
    /// guard's own detector already runs the lexical categories).
    pub(crate) fn classifier_only(
        config: &SafetyConfig,
        classifier: Arc<dyn Classifier>,
    ) -> Option<SafetyDetector> {
        let mut diags = Diagnostics::default();
        let mut detector = compile(config, &mut diags, "content.safety")?;
        detector.ac = None;
        detector.classifier = Some(classifier);
        Some(detector)
    }

    /// Every category (and classifier label) at or above its threshold in `text`.
    pub fn classify(&self, text: &str, channel: Channel) -> Vec<SafetyMatch> {
        let mut out = Vec::new();
        if let Some(ac) = &self.ac {
            let norm = normalize::normalize(text);
            let bytes = norm.text.as_bytes();
            // Per category: distinct matched patterns and their spans.
            let mut found: Vec<Vec<(usize, Span)>> = vec![Vec::new(); self.settings.len()];
            for m in ac.find_iter(&norm.text) {
                let boundary_before = m.start() == 0 || bytes.get(m.start() - 1) == Some(&b' ');
                let boundary_after = bytes.get(m.end()).is_none_or(|&b| b == b' ');
                if !(boundary_before && boundary_after) {
                    continue;
                }
                let Some(&(cat, _)) = self.terms.get(m.pattern().as_usize()) else {
                    continue;
                };
                if let (Some(list), Some((s, e))) =
                    (found.get_mut(cat), norm.original(m.start(), m.end()))
                {
                    if list.len() < MAX_PER_CATEGORY {
                        list.push((m.pattern().as_usize(), Span::new(s, e)));
                    }
                }
            }
            for (cat, list) in found.iter().enumerate() {
                let Some(setting) = self.settings.get(cat) else {
                    continue;
                };
                if list.is_empty() || !setting.enabled {
                    continue;
                }
                let mut seen: Vec<usize> = list.iter().map(|x| x.0).collect();
                seen.sort_unstable();
                seen.dedup();
                let miss: f32 = seen
                    .iter()
                    .map(|p| 1.0 - self.terms.get(*p).map_or(0.0, |t| t.1))
                    .product();
                let score = 1.0 - miss;
                if score >= setting.threshold {
                    for &(_, span) in list {
                        out.push(SafetyMatch {
                            category: setting.name.clone(),
                            score,
                            span: Some(span),
                            action: setting.action,
                        });
                    }
                }
            }
        }
        if let Some(classifier) = &self.classifier {
            for (label, score) in classifier.classify(text, channel) {
                let setting = self
                    .settings
                    .iter()
                    .find(|s| s.name == label)
                    .unwrap_or(&self.default);
                // A score outside 0..=1 (NaN included) is a broken model, not a verdict.
                let valid = (0.0..=1.0).contains(&score);
                if setting.enabled && valid && score >= setting.threshold {
                    out.push(SafetyMatch {
                        category: label,
                        score,
                        span: None,
                        action: setting.action,
                    });
                }
            }
        }
        out
    }
}

impl Detector for SafetyDetector {
    fn layer(&self) -> Layer {
        Layer::Content
    }

    fn wants(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    fn scan(&self, text: &str, channel: Channel, hits: &mut Vec<Hit>) {
        for m in self.classify(text, channel) {
            let severity = if m.score >= 0.9 {
                Severity::High
            } else {
                Severity::Medium
            };
            hits.push(Hit {
                rule: Cow::Owned(format!("safety.{}", m.category)),
                category: Cow::Borrowed("safety"),
                severity,
                confidence: m.score,
                action: m.action,
                span: m.span.unwrap_or(Span::new(0, text.len())),
                message: format!(
                    "{} content (score {:.2})",
                    m.category.replace('_', " "),
                    m.score
                ),
                suggestion: None,
                package: None,
            });
        }
    }
}

/// Compiles the `content.safety` section, reporting problems under `path`.
pub(crate) fn compile(
    config: &SafetyConfig,
    diags: &mut Diagnostics,
    path: &str,
) -> Option<SafetyDetector> {
    let check = |diags: &mut Diagnostics, p: String, v: f64| {
        if !(0.0..=1.0).contains(&v) {
            diags.error(p, format!("threshold `{v}` must be between 0 and 1"));
        }
    };
    check(diags, format!("{path}.threshold"), config.threshold);
    let default = Setting {
        name: String::new(),
        enabled: config.enabled,
        threshold: config.threshold as f32,
        action: config.action,
    };
    let mut settings: Vec<Setting> = Vec::new();
    let mut patterns: Vec<String> = Vec::new();
    let mut terms: Vec<(usize, f32)> = Vec::new();
    let allow: Vec<String> = config
        .allow
        .iter()
        .map(|a| normalize::normalize_term(a))
        .collect();
    let category = |settings: &mut Vec<Setting>, name: &str| -> usize {
        if let Some(i) = settings.iter().position(|s| s.name == name) {
            return i;
        }
        settings.push(Setting {
            name: name.to_string(),
            ..default.clone()
        });
        settings.len() - 1
    };
    let mut add = |settings: &mut Vec<Setting>, cat: &str, term: &str, weight: f32| {
        let norm = normalize::normalize_term(term);
        // Repeated letters collapse (`xxx` becomes `x`): a term that short would match
        // everywhere, so it is not used.
        if norm.len() < 3 || allow.contains(&norm) {
            return;
        }
        let idx = category(settings, cat);
        patterns.push(norm);
        terms.push((idx, weight));
    };
    for c in lexicon::CATEGORIES {
        for &(term, weight) in c.terms {
            add(&mut settings, c.name, term, weight);
        }
    }
    for (cat, extra) in &config.terms {
        for (i, t) in extra.iter().enumerate() {
            if t.trim().is_empty() {
                diags.error(format!("{path}.terms.{cat}[{i}]"), "term is empty");
            } else {
                add(&mut settings, cat, t, 0.9);
            }
        }
    }
    for (name, cc) in &config.categories {
        let p = format!("{path}.categories.{name}");
        let idx = category(&mut settings, name);
        if let Some(s) = settings.get_mut(idx) {
            s.enabled = config.enabled && cc.enabled.unwrap_or(true);
            if let Some(t) = cc.threshold {
                check(diags, format!("{p}.threshold"), t);
                s.threshold = t as f32;
            }
            if let Some(a) = cc.action {
                s.action = a;
            }
        }
    }
    let ac = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .ok();
    Some(SafetyDetector {
        ac,
        terms,
        settings,
        default,
        channels: if config.enabled {
            config.channels.clone()
        } else {
            Vec::new()
        },
        classifier: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats(d: &SafetyDetector, t: &str) -> Vec<String> {
        let mut c: Vec<String> = d
            .classify(t, Channel::User)
            .into_iter()
            .map(|m| m.category)
            .collect();
        c.dedup();
        c
    }

    #[test]
    fn categories_and_obfuscation() {
        let d = SafetyDetector::new(&SafetyConfig::default()).unwrap();
        assert_eq!(cats(&d, "I will kill you tomorrow"), ["violence"]);
        assert_eq!(cats(&d, "i want to k1ll mys3lf"), ["self_harm"]);
        assert!(cats(&d, "nothing here").is_empty());
        assert_eq!(cats(&d, "I want to K I L L  M Y S E L F"), ["self_harm"]);
        assert_eq!(cats(&d, "how to make a b0mb"), ["weapons"]);
        assert_eq!(cats(&d, "where to buy cосаine"), ["drugs"]); // Cyrillic о, с, а
        assert_eq!(cats(&d, "just kys"), ["harassment"]);
        assert!(cats(&d, "").is_empty());
        assert!(cats(&d, "the skill of killing time; cocainesque").is_empty());
    }

    #[test]
    fn weak_terms_need_company() {
        let d = SafetyDetector::new(&SafetyConfig::default()).unwrap();
        assert!(cats(&d, "you idiot").is_empty());
        assert_eq!(cats(&d, "you stupid idiot loser"), ["harassment"]);
    }

    #[test]
    fn spans_point_at_the_original_text() {
        let d = SafetyDetector::new(&SafetyConfig::default()).unwrap();
        let t = "ok so — b.u.y w.e.e.d now";
        let m = d.classify(t, Channel::User);
        let span = m.first().and_then(|m| m.span).unwrap();
        assert_eq!(&t[span.start..span.end], "b.u.y w.e.e.d");
    }

    #[test]
    fn policy_overrides_and_allow() {
        let mut config = SafetyConfig::default();
        config.categories.insert(
            "drugs".into(),
            CategoryConfig {
                enabled: Some(false),
                ..Default::default()
            },
        );
        config
            .terms
            .insert("competitors".into(), vec!["acme corp".into()]);
        config.allow.push("murder".into());
        let d = SafetyDetector::new(&config).unwrap();
        assert!(cats(&d, "cocaine").is_empty());
        assert!(cats(&d, "a murder mystery").is_empty());
        assert_eq!(cats(&d, "try ACME Corp instead"), ["competitors"]);
        let bad = SafetyConfig {
            threshold: 2.0,
            ..SafetyConfig::default()
        };
        assert!(SafetyDetector::new(&bad).is_err());
    }

    struct Fixed;
    impl Classifier for Fixed {
        fn classify(&self, _: &str, _: Channel) -> Vec<(String, f32)> {
            vec![
                ("violence".into(), 0.7),
                ("toxicity".into(), 0.4),
                ("spam".into(), f32::NAN),
                ("weapons".into(), 1.5),
                ("hate".into(), -0.2),
            ]
        }
    }

    #[test]
    fn classifier_labels_follow_the_policy() {
        let mut config = SafetyConfig::default();
        config.categories.insert(
            "violence".into(),
            CategoryConfig {
                action: Some(Action::Block),
                ..Default::default()
            },
        );
        let d = SafetyDetector::new(&config)
            .unwrap()
            .with_classifier(Arc::new(Fixed));
        let m = d.classify("hello", Channel::User);
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].category.as_str(), m[0].action, m[0].span),
            ("violence", Action::Block, None)
        );
        let mut hits = Vec::new();
        d.scan("hello", Channel::User, &mut hits);
        assert_eq!(hits[0].rule, "safety.violence");
    }
}
