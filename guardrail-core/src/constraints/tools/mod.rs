//! Tool-call constraints: what the model may ask a tool to do.
//!
//! Agents call tools that do not exist, invent parameters, hit endpoints nobody allowed and
//! send SQL or shell commands no reviewer would let through. This module checks one
//! `tool_call` against the policy's tool registry:
//!
//! - `registry`: the registry itself (imported as-is from an OpenAI `tools` array or an MCP
//!   `tools/list` result) and the unknown-tool check, with did-you-mean suggestions;
//! - `schema`: the arguments against the tool's JSON Schema, the one the model was given;
//! - `endpoints`: URL arguments against scheme / host allow and deny lists and SSRF targets;
//! - `sql`: SQL arguments classified with a real parser (read-only, DDL, unbounded writes);
//! - `shell`: shell arguments split into words and checked against destructive patterns.
//!
//! Everything is compiled once per policy (`Tools::compile`); `Tools::check_call` only
//! reads.

mod endpoints;
mod pointer;
mod registry;
mod schema;
mod shell;
mod sql;

use crate::decision::{Action, Finding, Layer, Severity, Span};
use crate::policy::{Diagnostics, PolicyError};
use crate::scan::{floor_char_boundary, Hit};
use std::borrow::Cow;

pub use endpoints::UrlCheck;
pub use registry::{
    McpTool, McpToolList, OpenAiFunction, OpenAiTool, ToolChecks, ToolDef, ToolsConfig,
};
pub use shell::ShellCheck;
pub use sql::{SqlCheck, SqlDialect};

pub(crate) use registry::Tools;

/// Findings with the JSON pointer (into the call's arguments) of the value they are about;
/// `None` when the finding is about the call as a whole (an unknown tool).
pub(crate) type ToolHits = Vec<(Option<String>, Hit)>;

/// A tool registry compiled on its own, for hosts that check tool calls outside a
/// [`Guard`](crate::Guard) and for benchmarks. A guard built from a policy with a
/// `constraints.tools` section runs the same checks on every `tool_call` event, with the
/// policy's overrides applied.
///
/// ```
/// use guardrail_core::constraints::tools::{ToolRegistry, ToolsConfig};
/// let config: ToolsConfig = serde_json::from_value(serde_json::json!({
///     "list": [{"name": "db.query", "parameters": {"type": "object",
///               "properties": {"sql": {"type": "string"}}}}],
///     "checks": {"db.query": {"sql": [{"pointer": "/sql", "read_only": true}]}}
/// })).unwrap();
/// let registry = ToolRegistry::compile(&config).unwrap();
/// let findings = registry.check("db.query", &serde_json::json!({"sql": "DELETE FROM t"}));
/// assert_eq!(findings[0].rule, "sql.write_on_read_only");
/// assert_eq!(findings[0].path.as_deref(), Some("/args/sql"));
/// ```
#[derive(Debug)]
pub struct ToolRegistry {
    tools: Tools,
}

impl ToolRegistry {
    /// Compiles the registry: every schema, glob and check is built once here.
    ///
    /// # Errors
    ///
    /// Every problem in the configuration (malformed schemas, unknown tools in `checks`,
    /// bad pointers or globs), each at its path under `constraints.tools`.
    pub fn compile(config: &ToolsConfig) -> Result<ToolRegistry, PolicyError> {
        let mut diag = Diagnostics::default();
        let tools = Tools::compile(config, "constraints.tools", &mut diag);
        if diag.is_empty() {
            Ok(ToolRegistry { tools })
        } else {
            Err(PolicyError::new(diag.into_issues()))
        }
    }

    /// Checks one call of `tool` with `args`; findings point into the event (`/args/sql`,
    /// `/tool`) and carry the actions of the registry's configuration.
    pub fn check(&self, tool: &str, args: &serde_json::Value) -> Vec<Finding> {
        let mut hits = Vec::new();
        self.tools.check_call(tool, args, &mut hits);
        hits.into_iter()
            .map(|(pointer, hit)| {
                let path = match pointer {
                    Some(pointer) => format!("/args{pointer}"),
                    None => "/tool".to_string(),
                };
                hit.into_finding(Layer::Constraints, Some(path))
            })
            .collect()
    }
}

/// Longest message a finding carries; schema texts and values are cut to it so that a huge
/// argument can never make a huge decision.
const MAX_MESSAGE_BYTES: usize = 400;

/// Builds a hit; `message` is cut to [`MAX_MESSAGE_BYTES`] on a char boundary.
fn hit(
    rule: &'static str,
    category: &'static str,
    severity: Severity,
    action: Action,
    span: Span,
    message: String,
    suggestion: Option<String>,
) -> Hit {
    Hit {
        rule: Cow::Borrowed(rule),
        category: Cow::Borrowed(category),
        severity,
        confidence: 1.0,
        action,
        span,
        message: truncate(message),
        suggestion: suggestion.map(truncate),
        package: None,
    }
}

/// Cuts `text` to at most [`MAX_MESSAGE_BYTES`] bytes on a char boundary, marking the cut.
/// Builds a glob set from `patterns` (each built by `build`), reporting a bad glob at
/// `path[i]`. `None` when any glob is invalid.
fn glob_set(
    patterns: &[String],
    path: &str,
    diag: &mut Diagnostics,
    build: impl Fn(&str) -> Result<globset::Glob, globset::Error>,
) -> Option<globset::GlobSet> {
    let mut builder = globset::GlobSetBuilder::new();
    let mut ok = true;
    for (i, pattern) in patterns.iter().enumerate() {
        match build(pattern) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(error) => {
                diag.error(format!("{path}[{i}]"), format!("invalid glob: {error}"));
                ok = false;
            }
        }
    }
    match builder.build() {
        Ok(set) if ok => Some(set),
        Ok(_) => None,
        Err(error) => {
            diag.error(path, format!("invalid globs: {error}"));
            None
        }
    }
}

fn truncate(mut text: String) -> String {
    if text.len() <= MAX_MESSAGE_BYTES {
        return text;
    }
    text.truncate(floor_char_boundary(&text, MAX_MESSAGE_BYTES));
    text.push('…');
    text
}

/// The span of a whole string value, or an empty span when the value is not a string (the
/// finding is then about the value at its pointer as a whole).
fn value_span(value: &serde_json::Value) -> Span {
    match value {
        serde_json::Value::String(s) => Span::new(0, s.len()),
        _ => Span::new(0, 0),
    }
}

#[cfg(test)]
mod tests;
