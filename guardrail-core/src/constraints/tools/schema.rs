//! Arguments against the tool's JSON Schema, the same schema the model was given.
//!
//! Validation is done by the `jsonschema` crate, built without its remote-reference
//! features and set offline, so a `$ref` to a URL is a load error and never a fetch. Its
//! `pattern` keyword runs on the `regex` crate (linear time) rather than a backtracking
//! engine, because the arguments are model output; schemas that need look-around fail to
//! load instead. `format` is asserted, not only annotated.

use super::pointer::child_path;
use super::registry::nearest;
use super::{hit, value_span, ToolHits};
use crate::decision::{Action, Severity, Span};
use crate::policy::Diagnostics;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{PatternOptions, ValidationError, Validator};
use serde_json::{json, Value};

/// How deep `strict_parameters` walks nested `properties` / `items` of a schema.
const MAX_STRICT_DEPTH: usize = 32;

/// One tool's compiled argument schema.
#[derive(Debug)]
pub(crate) struct CompiledSchema {
    validator: Validator,
    /// The schema as compiled (after `strict_parameters`), to look up the declared
    /// parameters around a failing location for suggestions.
    schema: Value,
}

impl CompiledSchema {
    /// Compiles `schema` (absent: the tool takes no arguments); a schema that is not valid
    /// JSON Schema is reported at `path`.
    pub(crate) fn compile(
        schema: Option<&Value>,
        strict: bool,
        path: &str,
        diag: &mut Diagnostics,
    ) -> Option<CompiledSchema> {
        let mut schema = match schema {
            Some(schema) => schema.clone(),
            // OpenAI: "omitting parameters defines a function with an empty parameter list".
            None => json!({"type": "object", "properties": {}, "additionalProperties": false}),
        };
        if strict {
            close_objects(&mut schema, 0);
        }
        let built = jsonschema::options()
            .offline()
            .should_validate_formats(true)
            .with_pattern_options(PatternOptions::regex())
            .build(&schema);
        match built {
            Ok(validator) => Some(CompiledSchema { validator, schema }),
            Err(error) => {
                let at = error.instance_path().as_str();
                let policy_path = format!("{path}{}", dotted(&schema, at));
                let at = if at.is_empty() { "/" } else { at };
                diag.error_with_hint(
                    policy_path,
                    super::truncate(format!("invalid JSON Schema at `{at}`: {error}")),
                    "fix the schema the model is given, then paste it here again",
                );
                None
            }
        }
    }

    /// Validates `args` and appends one finding per violation.
    pub(crate) fn check(&self, args: &Value, out: &mut ToolHits) {
        for error in self.validator.iter_errors(args) {
            self.report(args, &error, out);
        }
    }

    fn report(&self, args: &Value, error: &ValidationError<'_>, out: &mut ToolHits) {
        let pointer = error.instance_path().as_str().to_string();
        let schema_path = error.schema_path().as_str();
        let unexpected = match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => Some(unexpected),
            _ => None,
        };
        if let Some(unexpected) = unexpected {
            let declared = self.declared_properties(schema_path);
            for name in unexpected {
                let at = child_path(&pointer, name);
                let span = args.pointer(&at).map_or(Span::new(0, 0), value_span);
                let shown: String = name.chars().take(80).collect();
                let suggestion = match nearest(name, &declared).first() {
                    Some(best) => format!("did you mean `{best}`? {}", list(&declared)),
                    None => list(&declared),
                };
                out.push((
                    Some(at),
                    hit(
                        "tools.unknown_parameter",
                        "hallucination",
                        Severity::High,
                        Action::Block,
                        span,
                        format!(
                            "parameter `{shown}` is not declared by the tool's schema \
                             (schema `{schema_path}`)"
                        ),
                        Some(suggestion),
                    ),
                ));
            }
            return;
        }
        let suggestion = match error.kind() {
            ValidationErrorKind::Enum { options } => Some(format!("allowed values: {options}")),
            ValidationErrorKind::Constant { expected_value } => {
                Some(format!("the only allowed value is {expected_value}"))
            }
            ValidationErrorKind::Required { property } => {
                Some(format!("add the required parameter {property}"))
            }
            ValidationErrorKind::Type { kind } => Some(format!("send a value of type {kind:?}")),
            ValidationErrorKind::Pattern { pattern } => {
                Some(format!("send a value matching `{pattern}`"))
            }
            ValidationErrorKind::Format { format } => {
                Some(format!("send a value in `{format}` format"))
            }
            _ => None,
        };
        let span = args.pointer(&pointer).map_or(Span::new(0, 0), value_span);
        let shown = if pointer.is_empty() { "/" } else { &pointer };
        // `masked` keeps the argument's value out of the message: it may be huge or secret.
        let message = format!(
            "argument `{shown}`: {} (schema `{schema_path}`)",
            error.masked()
        );
        out.push((
            Some(pointer),
            hit(
                "tools.schema",
                "invalid_arguments",
                Severity::Medium,
                Action::Block,
                span,
                message,
                suggestion,
            ),
        ));
    }

    /// The property names declared next to the keyword at `schema_path` (which ends in
    /// `/additionalProperties` or `/unevaluatedProperties`).
    fn declared_properties(&self, schema_path: &str) -> Vec<String> {
        let parent = schema_path
            .rsplit_once('/')
            .map_or("", |(parent, _)| parent);
        let mut names: Vec<String> = self
            .schema
            .pointer(parent)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|props| props.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// A JSON pointer into `schema` written as a policy path suffix (`.properties.a[0]`), so
/// the loader can find its line.
fn dotted(schema: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut node = Some(schema);
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        match node {
            Some(Value::Array(items)) => {
                out.push_str(&format!("[{key}]"));
                node = key.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            Some(Value::Object(map)) => {
                out.push('.');
                out.push_str(&key);
                node = map.get(&key);
            }
            _ => {
                out.push('.');
                out.push_str(&key);
                node = None;
            }
        }
    }
    out
}

/// "declared parameters: `a`, `b`" (or a note that there are none).
fn list(declared: &[String]) -> String {
    if declared.is_empty() {
        return "the tool declares no parameters".to_string();
    }
    let shown: Vec<String> = declared.iter().map(|n| format!("`{n}`")).collect();
    format!("declared parameters: {}", shown.join(", "))
}

/// Adds `additionalProperties: false` to every plain object schema (one with `properties`
/// and nothing that composes or already decides about extra members), so that a parameter
/// the model invented is reported, not ignored. Composition is left alone because closing
/// an `allOf` branch would reject the members the other branches declare.
fn close_objects(schema: &mut Value, depth: usize) {
    if depth > MAX_STRICT_DEPTH {
        return;
    }
    let Value::Object(map) = schema else {
        return;
    };
    const DECIDES_EXTRAS: [&str; 9] = [
        "additionalProperties",
        "patternProperties",
        "unevaluatedProperties",
        "allOf",
        "anyOf",
        "oneOf",
        "$ref",
        "$dynamicRef",
        "if",
    ];
    let plain = map.get("properties").is_some_and(Value::is_object)
        && !DECIDES_EXTRAS.iter().any(|k| map.contains_key(*k));
    if plain {
        map.insert("additionalProperties".to_string(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for child in props.values_mut() {
            close_objects(child, depth + 1);
        }
    }
    match map.get_mut("items") {
        Some(Value::Array(items)) => {
            for child in items {
                close_objects(child, depth + 1);
            }
        }
        Some(child) => close_objects(child, depth + 1),
        None => {}
    }
}
