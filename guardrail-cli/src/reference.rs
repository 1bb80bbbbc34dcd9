//! `guardrail policy-reference`: the policy reference (docs/POLICY.md's generated part),
//! written from the policy's JSON Schema so that the documentation cannot drift from the
//! code: a test compares the checked-in file with this output.

use serde_json::Value;
use std::fmt::Write;

/// Markers around the generated part of docs/POLICY.md.
pub(crate) const BEGIN: &str = "<!-- BEGIN GENERATED: guardrail policy-reference -->";
pub(crate) const END: &str = "<!-- END GENERATED -->";

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs").and_then(|d| d.get(name)))
            .map(|s| resolve(s, root))
            .unwrap_or(schema),
        None => schema,
    }
}

/// A one-line description of a schema's type.
fn type_of(schema: &Value, root: &Value) -> String {
    let schema = resolve(schema, root);
    if let Some(values) = enum_values(schema, root) {
        return values.join(" \\| ");
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let parts: Vec<String> = any
            .iter()
            .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
            .map(|s| type_of(s, root))
            .collect();
        return parts.join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            let item = schema
                .get("items")
                .map(|i| type_of(i, root))
                .unwrap_or_default();
            format!("list of {item}")
        }
        Some(Value::String(t)) if t == "object" && schema.get("properties").is_none() => {
            match schema.get("additionalProperties") {
                Some(v) if v.is_object() => format!("map of {}", type_of(v, root)),
                _ => "object".to_string(),
            }
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_string(),
    }
}

fn enum_values(schema: &Value, root: &Value) -> Option<Vec<String>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .map(|v| format!("`{}`", v.as_str().unwrap_or("?")))
                .collect(),
        );
    }
    let variants = schema.get("oneOf").and_then(Value::as_array)?;
    let mut out = Vec::new();
    for v in variants {
        let v = resolve(v, root);
        if let Some(c) = v.get("const").and_then(Value::as_str) {
            out.push(format!("`{c}`"));
        } else if let Some(e) = v.get("enum").and_then(Value::as_array) {
            out.extend(e.iter().filter_map(Value::as_str).map(|s| format!("`{s}`")));
        } else {
            return None;
        }
    }
    Some(out)
}

fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn walk(out: &mut String, path: &str, schema: &Value, root: &Value, depth: usize) {
    let schema = resolve(schema, root);
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, prop) in props {
        let full = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let desc = prop
            .get("description")
            .or_else(|| resolve(prop, root).get("description"))
            .and_then(Value::as_str)
            .map(one_line)
            .unwrap_or_default();
        let default = match prop.get("default") {
            Some(Value::Object(_)) | Some(Value::Array(_)) | None => String::new(),
            Some(v) => format!("`{v}`"),
        };
        let req = if required.contains(&name.as_str()) {
            "yes"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| `{full}` | {} | {req} | {default} | {desc} |",
            type_of(prop, root)
        );
        let inner = resolve(prop, root);
        if depth < 6 {
            walk(out, &full, inner, root, depth + 1);
            if let Some(items) = inner.get("items") {
                walk(out, &format!("{full}[]"), items, root, depth + 1);
            }
        }
    }
}

/// The generated reference, between its markers.
pub(crate) fn markdown(schema: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(out, "| key | type | required | default | meaning |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    walk(&mut out, "", schema, schema, 0);
    let _ = writeln!(out, "{END}");
    out
}
