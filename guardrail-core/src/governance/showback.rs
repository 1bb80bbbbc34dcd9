//! Showback: cost, tokens and model calls by team, agent, workflow and tag.
//!
//! Every `llm_usage` event adds to counters in the [`CounterStore`] (so processes sharing a
//! store share the report): `showback/<dimension>/<value>/<measure>`. [`report`] reads them
//! back into a serializable [`ShowbackReport`].

use super::budgets::key_part;
use crate::event::Event;
use crate::state::CounterStore;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `governance.showback` section of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ShowbackPolicy {
    /// Count usage for the report.
    pub enabled: bool,
    /// The tag keys reported (a bounded set: a tag with a value per user would make the
    /// report, and the store, grow without bound).
    pub tags: Vec<String>,
}

impl Default for ShowbackPolicy {
    fn default() -> ShowbackPolicy {
        ShowbackPolicy {
            enabled: true,
            tags: ["team", "cost_center", "project", "tenant", "feature"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Usage of one team, agent, workflow or tag value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Money spent, in USD.
    pub cost_usd: f64,
    /// Input tokens.
    pub input_tokens: f64,
    /// Output tokens.
    pub output_tokens: f64,
    /// Model calls (`llm_usage` events).
    pub calls: f64,
}

/// The showback report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShowbackReport {
    /// Everything.
    pub total: Usage,
    /// By team (the `team` tag, else the agent's team in the registry).
    pub by_team: BTreeMap<String, Usage>,
    /// By agent.
    pub by_agent: BTreeMap<String, Usage>,
    /// By workflow.
    pub by_workflow: BTreeMap<String, Usage>,
    /// By tag, keyed `key=value`.
    pub by_tag: BTreeMap<String, Usage>,
}

const MEASURES: [&str; 4] = ["cost_usd", "input_tokens", "output_tokens", "calls"];

/// Adds one model call to the counters.
pub(crate) fn record(
    p: &ShowbackPolicy,
    store: &dyn CounterStore,
    event: &Event,
    team: Option<&str>,
    cost_usd: f64,
    input_tokens: u64,
    output_tokens: u64,
) {
    if !p.enabled {
        return;
    }
    let c = &event.context;
    let values = [cost_usd, input_tokens as f64, output_tokens as f64, 1.0];
    // One key buffer for every dimension and measure of the event.
    let mut key = String::with_capacity(64);
    let mut add = |dimension: &str, value: &str, tag_value: Option<&str>| {
        key.clear();
        key.push_str("showback/");
        key.push_str(dimension);
        key.push('/');
        key_part(value, &mut key);
        if let Some(v) = tag_value {
            key.push('=');
            key_part(v, &mut key);
        }
        key.push('/');
        let len = key.len();
        for (measure, v) in MEASURES.iter().zip(values) {
            key.truncate(len);
            key.push_str(measure);
            let _ = store.try_add(&key, v, None);
        }
    };
    add("total", "*", None);
    if let Some(t) = team {
        add("team", t, None);
    }
    if let Some(a) = &c.agent {
        add("agent", a, None);
    }
    if let Some(w) = &c.workflow {
        add("workflow", w, None);
    }
    for k in &p.tags {
        if let Some(v) = c.tags.get(k) {
            // `tag/<key>=<value>`.
            add("tag", k, Some(v));
        }
    }
}

fn unescape(s: &str) -> String {
    s.replace("%2F", "/").replace("%25", "%")
}

/// Reads the report from the store's counters.
pub fn report(store: &dyn CounterStore) -> ShowbackReport {
    let mut r = ShowbackReport::default();
    for (key, v) in store.entries() {
        let mut parts = key.splitn(4, '/');
        let (Some("showback"), Some(dim), Some(value), Some(measure)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let usage = match dim {
            "total" => &mut r.total,
            "team" => r.by_team.entry(unescape(value)).or_default(),
            "agent" => r.by_agent.entry(unescape(value)).or_default(),
            "workflow" => r.by_workflow.entry(unescape(value)).or_default(),
            "tag" => r.by_tag.entry(unescape(value)).or_default(),
            _ => continue,
        };
        match measure {
            "cost_usd" => usage.cost_usd += v,
            "input_tokens" => usage.input_tokens += v,
            "output_tokens" => usage.output_tokens += v,
            "calls" => usage.calls += v,
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryStore;
    use serde_json::json;

    #[test]
    fn usage_is_reported_by_every_dimension() {
        let s = MemoryStore::new();
        let p = ShowbackPolicy::default();
        let e = Event::from_value(json!({"type":"llm_usage","ts":1,"model":"m","agent":"a/1",
            "workflow":"refunds","tags":{"team":"payments","user":"u-1"}}))
        .unwrap();
        record(&p, &s, &e, Some("payments"), 0.5, 100, 20);
        record(&p, &s, &e, Some("payments"), 0.25, 10, 2);
        let r = report(&s);
        assert_eq!(r.total.calls, 2.0);
        assert_eq!(r.total.cost_usd, 0.75);
        assert_eq!(r.by_agent["a/1"].input_tokens, 110.0);
        assert_eq!(r.by_team["payments"].output_tokens, 22.0);
        assert_eq!(r.by_workflow["refunds"].calls, 2.0);
        assert!(r.by_tag.contains_key("team=payments"));
        assert!(!r.by_tag.contains_key("user=u-1"), "unlisted tags stay out");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["by_team"]["payments"]["cost_usd"], 0.75);
        let off = ShowbackPolicy {
            enabled: false,
            ..p
        };
        let s2 = MemoryStore::new();
        record(&off, &s2, &e, None, 1.0, 1, 1);
        assert_eq!(report(&s2), ShowbackReport::default());
    }
}
