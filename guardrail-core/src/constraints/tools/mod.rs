//! Tool-call constraints: what the model may ask a tool to do.
//!
//! Agents call tools that do not exist, invent parameters, hit endpoints nobody allowed and
//! send SQL or shell commands no reviewer would let through. This module checks one
//! `tool_call` against the policy's tool registry:
//!
//! - [`registry`]: the registry itself (imported as-is from an OpenAI `tools` array or an MCP
//!   `tools/list` result) and the unknown-tool check, with did-you-mean suggestions;
//! - [`schema`]: the arguments against the tool's JSON Schema, the one the model was given;
//! - [`endpoints`]: URL arguments against scheme / host allow and deny lists and SSRF targets;
//! - [`sql`]: SQL arguments classified with a real parser (read-only, DDL, unbounded writes);
//! - [`shell`]: shell arguments split into words and checked against destructive patterns.
//!
//! Everything is compiled once per policy ([`Tools::compile`]); [`Tools::check_call`] only
//! reads.

mod endpoints;
mod pointer;
mod registry;
mod schema;
mod shell;
mod sql;

use crate::decision::{Action, Severity, Span};
use crate::scan::Hit;
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
    }
}

/// Cuts `text` to at most [`MAX_MESSAGE_BYTES`] bytes on a char boundary, marking the cut.
fn truncate(mut text: String) -> String {
    if text.len() <= MAX_MESSAGE_BYTES {
        return text;
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
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
