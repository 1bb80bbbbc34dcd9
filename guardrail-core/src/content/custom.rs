//! The policy's own rules: keywords and/or a regex, on chosen channels and event kinds,
//! with an action, severity and message. Rule ids are `custom.<id>`.
//!
//! One aho-corasick pass finds every keyword of every rule; a rule with both keywords and a
//! regex runs its regex only on texts where one of its keywords occurs.

use crate::decision::{Action, Layer, Severity, Span};
use crate::policy::Diagnostics;
use crate::scan::{Channel, Detector, Hit};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Compiled size limit of one rule's regex: keeps untrusted policies from exhausting memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Longest accepted regex source.
const REGEX_MAX_LEN: usize = 4096;

/// Event kinds a custom rule can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextEvent {
    /// `prompt` events (channels `user` and `system`).
    Prompt,
    /// `model_output` events.
    ModelOutput,
    /// `tool_call` events (each string in the arguments).
    ToolCall,
    /// `tool_result` events.
    ToolResult,
}

impl TextEvent {
    fn channels(self) -> &'static [Channel] {
        match self {
            TextEvent::Prompt => &[Channel::User, Channel::System],
            TextEvent::ModelOutput => &[Channel::ModelOutput],
            TextEvent::ToolCall => &[Channel::ToolArgs],
            TextEvent::ToolResult => &[Channel::ToolOutput],
        }
    }
}

/// One rule of the policy's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    /// Unique id (letters, digits, `_`, `-`); findings carry `custom.<id>`.
    pub id: String,
    /// Words that trigger the rule (case-insensitive unless `case_sensitive`). With a regex
    /// they are a prefilter: the regex runs only where one occurs.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// A regular expression (Rust syntax, linear-time; at most 4096 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Whether keywords and regex are case-sensitive.
    #[serde(default)]
    pub case_sensitive: bool,
    /// Channels the rule runs on; empty means all.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Event kinds the rule runs on; empty means all. Combined with `channels`, a channel
    /// must satisfy both.
    #[serde(default)]
    pub events: Vec<TextEvent>,
    /// What to do on a match.
    #[serde(default = "default_action")]
    pub action: Action,
    /// How bad a match is.
    #[serde(default)]
    pub severity: Severity,
    /// The category findings carry.
    #[serde(default = "default_category")]
    pub category: String,
    /// The message findings carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The layer findings are attributed to.
    #[serde(default = "default_layer")]
    pub layer: Layer,
}

fn default_action() -> Action {
    Action::Block
}

fn default_category() -> String {
    "custom".to_string()
}

fn default_layer() -> Layer {
    Layer::Content
}

#[derive(Debug)]
struct CompiledRule {
    rule_id: String,
    category: String,
    severity: Severity,
    action: Action,
    message: String,
    regex: Option<Regex>,
    channels: [bool; 5],
}

/// All custom rules of a policy, compiled for one layer.
#[derive(Debug)]
pub(crate) struct CustomRules {
    layer: Layer,
    rules: Vec<CompiledRule>,
    /// Keyword automaton per case mode: (automaton, pattern -> rule index).
    keywords: Vec<(AhoCorasick, Vec<usize>)>,
    /// Rules with a regex and no keyword: always run.
    unconditional: Vec<usize>,
}

fn channel_index(c: Channel) -> usize {
    match c {
        Channel::User => 0,
        Channel::System => 1,
        Channel::ModelOutput => 2,
        Channel::ToolArgs => 3,
        Channel::ToolOutput => 4,
    }
}

/// Compiles the rules of `layer`; problems are reported at `rules[i]...`.
pub(crate) fn compile(
    rules: &[CustomRule],
    layer: Layer,
    diags: &mut Diagnostics,
) -> Option<CustomRules> {
    let mut compiled = Vec::new();
    let mut by_case: [(Vec<String>, Vec<usize>); 2] = Default::default();
    let mut unconditional = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if rule.layer != layer {
            continue;
        }
        let at = format!("rules[{i}]");
        if rule.id.is_empty()
            || !rule
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            diags.error(
                format!("{at}.id"),
                format!(
                    "rule id `{}` must be non-empty letters, digits, `_` or `-`",
                    rule.id
                ),
            );
        }
        if rules.iter().take(i).any(|r| r.id == rule.id) {
            diags.error(
                format!("{at}.id"),
                format!("duplicate rule id `{}`", rule.id),
            );
        }
        if rule.keywords.is_empty() && rule.regex.is_none() {
            diags.error_with_hint(
                &at,
                "the rule has neither `keywords` nor `regex`",
                "add keywords, a regex, or both",
            );
        }
        if let Some((k, _)) = rule.keywords.iter().enumerate().find(|(_, k)| k.is_empty()) {
            diags.error(format!("{at}.keywords[{k}]"), "a keyword must not be empty");
        }
        let regex = match &rule.regex {
            Some(src) if src.len() > REGEX_MAX_LEN => {
                diags.error(
                    format!("{at}.regex"),
                    format!(
                        "the regex is {} characters; the limit is {REGEX_MAX_LEN}",
                        src.len()
                    ),
                );
                None
            }
            Some(src) => match RegexBuilder::new(src)
                .case_insensitive(!rule.case_sensitive)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
            {
                Ok(re) => Some(re),
                Err(e) => {
                    let detail = e.to_string().replace('\n', " ");
                    let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
                    diags.error(format!("{at}.regex"), format!("invalid regex: {detail}"));
                    None
                }
            },
            None => None,
        };
        let mut channels = [rule.channels.is_empty(); 5];
        for c in &rule.channels {
            channels[channel_index(*c)] = true;
        }
        if !rule.events.is_empty() {
            let mut allowed = [false; 5];
            for e in &rule.events {
                for c in e.channels() {
                    allowed[channel_index(*c)] = true;
                }
            }
            for (slot, ok) in channels.iter_mut().zip(allowed) {
                *slot &= ok;
            }
            if !channels.iter().any(|c| *c) {
                diags.error(
                    format!("{at}.events"),
                    "`channels` and `events` leave no channel for the rule to run on",
                );
            }
        }
        let index = compiled.len();
        let case = usize::from(rule.case_sensitive);
        for k in &rule.keywords {
            by_case[case].0.push(k.clone());
            by_case[case].1.push(index);
        }
        if rule.keywords.is_empty() && rule.regex.is_some() {
            unconditional.push(index);
        }
        compiled.push(CompiledRule {
            rule_id: format!("custom.{}", rule.id),
            category: rule.category.clone(),
            severity: rule.severity,
            action: rule.action,
            message: rule
                .message
                .clone()
                .unwrap_or_else(|| format!("matched custom rule `{}`", rule.id)),
            regex,
            channels,
        });
    }
    let mut keywords = Vec::new();
    for (case, (patterns, owners)) in by_case.into_iter().enumerate() {
        if patterns.is_empty() {
            continue;
        }
        match AhoCorasickBuilder::new()
            .ascii_case_insensitive(case == 0)
            .match_kind(MatchKind::Standard)
            // Policies hold few keywords: a DFA is small and the fastest to search.
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
        {
            Ok(ac) => keywords.push((ac, owners)),
            Err(e) => diags.error("rules", format!("cannot compile the keywords: {e}")),
        }
    }
    if compiled.is_empty() {
        return None;
    }
    Some(CustomRules {
        layer,
        rules: compiled,
        keywords,
        unconditional,
    })
}

impl CustomRules {
    fn hit(&self, rule: &CompiledRule, span: Span) -> Hit {
        Hit {
            rule: Cow::Owned(rule.rule_id.clone()),
            category: Cow::Owned(rule.category.clone()),
            severity: rule.severity,
            confidence: 1.0,
            action: rule.action,
            span,
            message: rule.message.clone(),
            suggestion: None,
            package: None,
        }
    }
}

impl Detector for CustomRules {
    fn layer(&self) -> Layer {
        self.layer
    }

    fn wants(&self, channel: Channel) -> bool {
        let c = channel_index(channel);
        self.rules.iter().any(|r| r.channels[c])
    }

    fn scan(&self, text: &str, channel: Channel, hits: &mut Vec<Hit>) {
        let c = channel_index(channel);
        // Rules whose keyword occurred, with the keyword spans (for keyword-only rules).
        let mut triggered: Vec<Option<Vec<Span>>> = vec![None; self.rules.len()];
        for (ac, owners) in &self.keywords {
            for m in ac.find_overlapping_iter(text) {
                let Some(&r) = owners.get(m.pattern().as_usize()) else {
                    continue;
                };
                triggered[r]
                    .get_or_insert_with(Vec::new)
                    .push(Span::new(m.start(), m.end()));
            }
        }
        for &r in &self.unconditional {
            triggered[r].get_or_insert_with(Vec::new);
        }
        for (rule, spans) in self.rules.iter().zip(triggered) {
            let Some(spans) = spans else { continue };
            if !rule.channels[c] {
                continue;
            }
            match &rule.regex {
                Some(re) => {
                    for m in re.find_iter(text) {
                        if m.start() < m.end() {
                            hits.push(self.hit(rule, Span::new(m.start(), m.end())));
                        }
                    }
                }
                None => {
                    for span in spans {
                        hits.push(self.hit(rule, span));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(yaml: &str) -> Result<Option<CustomRules>, Vec<crate::PolicyIssue>> {
        let located = crate::policy::load::parse(yaml).unwrap();
        let rules: Vec<CustomRule> = serde_json::from_value(located.value).unwrap();
        let mut d = Diagnostics::default();
        let c = compile(&rules, Layer::Content, &mut d);
        if d.is_empty() {
            Ok(c)
        } else {
            Err(d.into_issues())
        }
    }

    fn scan(r: &CustomRules, text: &str, ch: Channel) -> Vec<(String, usize, usize)> {
        let mut hits = Vec::new();
        r.scan(text, ch, &mut hits);
        hits.into_iter()
            .map(|h| (h.rule.into_owned(), h.span.start, h.span.end))
            .collect()
    }

    #[test]
    fn keywords_regex_and_prefilter() {
        let r = rules(
            "- id: kw\n  keywords: [Internal Only]\n\
             - id: ticket\n  keywords: [ticket]\n  regex: 'TCK-\\d{4}'\n\
             - id: ip\n  regex: '\\b10\\.\\d+\\.\\d+\\.\\d+\\b'\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            scan(&r, "this is INTERNAL ONLY", Channel::User),
            vec![("custom.kw".into(), 8, 21)]
        );
        assert_eq!(
            scan(&r, "ticket TCK-1234", Channel::User),
            vec![("custom.ticket".into(), 7, 15)]
        );
        // The regex alone does not fire without its keyword.
        assert!(scan(&r, "TCK-1234", Channel::User).is_empty());
        assert_eq!(
            scan(&r, "host 10.1.2.3", Channel::ToolOutput),
            vec![("custom.ip".into(), 5, 13)]
        );
        assert!(scan(&r, "", Channel::User).is_empty());
    }

    #[test]
    fn channels_and_events_select_where_rules_run() {
        let r = rules(
            "- id: a\n  keywords: [x]\n  channels: [user]\n\
             - id: b\n  keywords: [x]\n  events: [tool_result]\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(scan(&r, "x", Channel::User).len(), 1);
        assert_eq!(scan(&r, "x", Channel::ToolOutput)[0].0, "custom.b");
        assert!(scan(&r, "x", Channel::ModelOutput).is_empty());
        assert!(!r.wants(Channel::System));
    }

    #[test]
    fn invalid_rules_point_at_the_field() {
        let issues =
            rules("- id: a\n  regex: '(unclosed'\n- id: a\n  keywords: [y]\n- id: 'b c'\n")
                .unwrap_err();
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert!(paths.contains(&"rules[0].regex"), "{paths:?}");
        assert!(paths.contains(&"rules[1].id"), "{paths:?}");
        assert!(paths.contains(&"rules[2].id"), "{paths:?}");
        assert!(
            paths.contains(&"rules[2]"),
            "neither keywords nor regex: {paths:?}"
        );
        let huge = "- id: big\n  regex: '(a{1000}){1000}'\n";
        assert!(rules(huge).unwrap_err()[0]
            .message
            .contains("invalid regex"));
        let e = rules("- id: c\n  keywords: [z]\n  channels: [user]\n  events: [tool_call]\n")
            .unwrap_err();
        assert!(e[0].message.contains("no channel"));
    }
}
