//! Every JSON example in docs/EVENTS.md parses, and every event kind has one.

use guardrail_core::{Decision, Event};

fn json_blocks(doc: &str) -> Vec<&str> {
    doc.split("```json\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .collect()
}

#[test]
fn every_event_kind_is_documented_with_a_valid_example() {
    let doc = include_str!("../../docs/EVENTS.md");
    let mut kinds = Vec::new();
    let mut decisions = 0;
    for block in json_blocks(doc) {
        let value: serde_json::Value = serde_json::from_str(block)
            .unwrap_or_else(|e| panic!("invalid JSON in docs/EVENTS.md: {e}\n{block}"));
        if value.get("type").is_some() {
            let event = Event::from_value(value).unwrap_or_else(|e| panic!("{e}\n{block}"));
            // The documented form round-trips.
            assert_eq!(Event::from_json(event.to_json().as_bytes()).unwrap(), event);
            kinds.push(event.kind.name());
        } else {
            // The decision example: its shape is the Decision type's, hash elided.
            let mut value = value;
            value["gate"]["fingerprint"] = "sha256:0".into();
            serde_json::from_value::<Decision>(value).unwrap();
            decisions += 1;
        }
    }
    for name in guardrail_core::EventKind::NAMES {
        assert!(
            kinds.contains(&name),
            "docs/EVENTS.md has no example of `{name}`"
        );
    }
    assert_eq!(decisions, 1);
}
