//! JSON pointers (RFC 6901) naming the arguments a check applies to, with one extension: a
//! `*` segment stands for every element of an array or every member of an object, so that
//! `/requests/*/url` names the URL of each request in a batch.

use crate::policy::Diagnostics;
use serde_json::Value;

/// A parsed argument pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArgPointer {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Any,
}

/// Longest pointer a policy may declare (in segments); more is a policy error, not a crash.
const MAX_SEGMENTS: usize = 32;

impl ArgPointer {
    /// Parses a pointer declared in the policy, reporting a bad one at `path`.
    pub(crate) fn compile(text: &str, path: &str, diag: &mut Diagnostics) -> Option<ArgPointer> {
        ArgPointer::parse(text)
            .map_err(|message| diag.error(path, message))
            .ok()
    }

    /// Parses `/a/b~1c/*`; the empty string names the whole arguments value.
    pub(crate) fn parse(text: &str) -> Result<ArgPointer, String> {
        if text.is_empty() {
            return Ok(ArgPointer {
                segments: Vec::new(),
            });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!(
                "argument pointer `{text}` must start with `/` (a JSON pointer such as `/sql`)"
            ));
        };
        let segments: Vec<Segment> = rest
            .split('/')
            .map(|raw| {
                if raw == "*" {
                    Segment::Any
                } else {
                    Segment::Key(raw.replace("~1", "/").replace("~0", "~"))
                }
            })
            .collect();
        if segments.len() > MAX_SEGMENTS {
            return Err(format!(
                "argument pointer `{text}` has more than {MAX_SEGMENTS} segments"
            ));
        }
        Ok(ArgPointer { segments })
    }

    /// Every value the pointer names in `args`, each with its concrete JSON pointer. Missing
    /// members name nothing (the schema's `required` reports those).
    pub(crate) fn resolve<'a>(&self, args: &'a Value) -> Vec<(String, &'a Value)> {
        let mut found = vec![(String::new(), args)];
        for segment in &self.segments {
            let mut next = Vec::new();
            for (path, value) in found {
                match (segment, value) {
                    (Segment::Key(key), Value::Object(map)) => {
                        if let Some(child) = map.get(key) {
                            next.push((child_path(&path, key), child));
                        }
                    }
                    (Segment::Key(key), Value::Array(items)) => {
                        let child = key.parse::<usize>().ok().and_then(|i| items.get(i));
                        if let Some(child) = child {
                            next.push((child_path(&path, key), child));
                        }
                    }
                    (Segment::Any, Value::Object(map)) => {
                        for (key, child) in map {
                            next.push((child_path(&path, key), child));
                        }
                    }
                    (Segment::Any, Value::Array(items)) => {
                        for (i, child) in items.iter().enumerate() {
                            next.push((child_path(&path, &i.to_string()), child));
                        }
                    }
                    _ => {}
                }
            }
            found = next;
        }
        found
    }
}

/// `parent` extended by one escaped reference token.
pub(crate) fn child_path(parent: &str, key: &str) -> String {
    let mut path = String::with_capacity(parent.len() + key.len() + 1);
    path.push_str(parent);
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_keys_indexes_and_wildcards() {
        let args = json!({"a/b": {"x": 1}, "list": [{"u": "p"}, {"u": "q"}, {"v": 0}]});
        let p = ArgPointer::parse("/a~1b/x").unwrap();
        assert_eq!(p.resolve(&args), vec![("/a~1b/x".to_string(), &json!(1))]);
        let p = ArgPointer::parse("/list/*/u").unwrap();
        let got: Vec<String> = p.resolve(&args).into_iter().map(|(p, _)| p).collect();
        assert_eq!(got, vec!["/list/0/u", "/list/1/u"]);
        let p = ArgPointer::parse("/list/1/u").unwrap();
        assert_eq!(p.resolve(&args).len(), 1);
        assert_eq!(ArgPointer::parse("").unwrap().resolve(&args).len(), 1);
    }

    #[test]
    fn missing_or_mistyped_paths_name_nothing() {
        let p = ArgPointer::parse("/sql").unwrap();
        assert!(p.resolve(&json!("not an object")).is_empty());
        assert!(p.resolve(&json!({"other": 1})).is_empty());
        assert!(ArgPointer::parse("/list/x")
            .unwrap()
            .resolve(&json!({"list": [1]}))
            .is_empty());
    }

    #[test]
    fn rejects_relative_and_overlong_pointers() {
        assert!(ArgPointer::parse("sql").is_err());
        assert!(ArgPointer::parse(&"/a".repeat(MAX_SEGMENTS + 1)).is_err());
    }
}
