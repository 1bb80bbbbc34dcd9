//! Reading a policy document: YAML (JSON is accepted as the YAML subset it is) into a JSON
//! value plus a map from every path to its line, so that any later error can name both.

use super::PolicyIssue;
use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// The largest policy document we read; a policy is configuration, not data.
pub(crate) const MAX_POLICY_BYTES: usize = 8 * 1024 * 1024;
/// Deeper nesting than this is refused: no real policy needs it, and it bounds recursion.
const MAX_DEPTH: usize = 64;

/// A parsed document: its value and the line of every path (`rules[2].regex` -> 14).
#[derive(Debug)]
pub(crate) struct Located {
    pub value: Value,
    pub lines: HashMap<String, usize>,
}

impl Located {
    /// The line of `path`, or of its nearest ancestor that has one.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(line) = self.lines.get(p) {
                return Some(*line);
            }
            let cut = p.rfind(['.', '['])?;
            p = p.get(..cut)?;
        }
    }
}

enum Frame {
    Seq {
        path: String,
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        path: String,
        entries: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
    },
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn issue(line: Option<usize>, message: impl Into<String>) -> PolicyIssue {
    PolicyIssue {
        path: String::new(),
        line,
        message: message.into(),
        hint: None,
    }
}

/// Parses `text` as one YAML document.
pub(crate) fn parse(text: &str) -> Result<Located, PolicyIssue> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(issue(
            None,
            format!(
                "the policy is {} bytes; the limit is {MAX_POLICY_BYTES}",
                text.len()
            ),
        ));
    }
    let mut lines = HashMap::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0;

    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            issue(
                Some(e.marker().line()),
                format!("invalid YAML: {}", e.info()),
            )
        })?;
        let line = span.start.line();
        // The path of the node this event starts, and its key when it is a map key.
        let next_path = |stack: &Vec<Frame>| -> Option<String> {
            match stack.last() {
                None => Some(String::new()),
                Some(Frame::Seq { path, items, .. }) => Some(format!("{path}[{}]", items.len())),
                Some(Frame::Map { path, key, .. }) => key.as_ref().map(|k| child_path(path, k)),
            }
        };
        let value = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(issue(
                        Some(line),
                        "the policy must be a single YAML document",
                    ));
                }
                continue;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(issue(
                        Some(line),
                        format!("the policy is nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let path = match next_path(&stack) {
                    Some(p) => p,
                    None => return Err(issue(Some(line), "a mapping key must be a plain string")),
                };
                lines.entry(path.clone()).or_insert(line);
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        path,
                        items: Vec::new(),
                        anchor,
                    }
                } else {
                    Frame::Map {
                        path,
                        entries: Map::new(),
                        key: None,
                        anchor,
                    }
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq { items, anchor, .. }) => {
                    let v = Value::Array(items);
                    if anchor > 0 {
                        anchors.insert(anchor, v.clone());
                    }
                    v
                }
                Some(Frame::Map {
                    entries, anchor, ..
                }) => {
                    let v = Value::Object(entries);
                    if anchor > 0 {
                        anchors.insert(anchor, v.clone());
                    }
                    v
                }
                None => continue,
            },
            Event::Scalar(text, style, anchor, tag) => {
                // A scalar in key position is the key of the next entry.
                if let Some(Frame::Map { path, key, .. }) = stack.last_mut() {
                    if key.is_none() {
                        let k = text.to_string();
                        lines.insert(child_path(path, &k), line);
                        *key = Some(k);
                        continue;
                    }
                }
                let forced_string = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let v = if style == ScalarStyle::Plain && !forced_string {
                    resolve_plain(&text)
                } else {
                    Value::String(text.to_string())
                };
                if let Some(p) = next_path(&stack) {
                    lines.entry(p).or_insert(line);
                }
                if anchor > 0 {
                    anchors.insert(anchor, v.clone());
                }
                v
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(v) => v.clone(),
                None => return Err(issue(Some(line), "an alias refers to an unknown anchor")),
            },
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => {
                    if entries.contains_key(&k) {
                        return Err(issue(Some(line), format!("duplicate key `{k}`")));
                    }
                    entries.insert(k, value);
                }
                None => return Err(issue(Some(line), "a mapping key must be a plain string")),
            },
        }
    }
    match root {
        Some(value) => Ok(Located { value, lines }),
        None => Err(issue(None, "the policy is empty")),
    }
}

/// YAML 1.2 core schema resolution of a plain (unquoted) scalar.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = s.parse::<u64>() {
            return Value::Number(u.into());
        }
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(u) = u64::from_str_radix(hex, 16) {
            return Value::Number(u.into());
        }
    }
    let looks_numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && s.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric {
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lines_of_keys_and_items() {
        let doc = "version: 1\nrules:\n  - id: a\n    regex: 'x'\n  - id: b\n";
        let located = parse(doc).unwrap();
        assert_eq!(located.line_of("version"), Some(1));
        assert_eq!(located.line_of("rules[0].regex"), Some(4));
        assert_eq!(located.line_of("rules[1].id"), Some(5));
        assert_eq!(located.line_of("rules[1].missing"), Some(5));
        assert_eq!(located.value["rules"][1]["id"], "b");
    }

    #[test]
    fn resolves_scalars_like_yaml_1_2() {
        let v = parse("a: 1\nb: 2.5\nc: true\nd: ~\ne: '1'\nf: 1.2.3\ng: -7")
            .unwrap()
            .value;
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], 2.5);
        assert_eq!(v["c"], true);
        assert!(v["d"].is_null());
        assert_eq!(v["e"], "1");
        assert_eq!(v["f"], "1.2.3");
        assert_eq!(v["g"], -7);
    }

    #[test]
    fn json_is_accepted_with_lines() {
        let located = parse("{\n  \"version\": 1,\n  \"mode\": \"shadow\"\n}").unwrap();
        assert_eq!(located.value["mode"], "shadow");
        assert_eq!(located.line_of("mode"), Some(3));
    }

    #[test]
    fn anchors_and_aliases_resolve() {
        let v = parse("a: &x [1, 2]\nb: *x").unwrap().value;
        assert_eq!(v["a"], v["b"]);
    }

    #[test]
    fn bad_documents_are_errors_with_lines() {
        assert!(parse("").is_err());
        let e = parse("a: 1\na: 2").unwrap_err();
        assert!(e.message.contains("duplicate key"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = parse("a: [1, 2\nb: 3").unwrap_err();
        assert!(e.message.contains("invalid YAML"), "{e}");
        assert!(parse("a: 1\n---\nb: 2").is_err());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).unwrap_err().message.contains("nested deeper"));
    }
}
