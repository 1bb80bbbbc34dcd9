//! The tool registry: which tools exist, with the JSON Schema the model was given for each,
//! and which of their arguments are URLs, SQL or shell commands.
//!
//! Tools are declared in any of three shapes so that a team can paste what it already
//! hands the model: an OpenAI `tools` array (`openai`), an MCP `tools/list` result (`mcp`),
//! or guardrail's own list (`list`, which also takes Anthropic's `input_schema` and MCP's
//! `inputSchema` spellings). Argument checks live beside them in `checks`, keyed by tool
//! name, so the pasted documents stay untouched.

use super::endpoints::{CompiledUrlCheck, UrlCheck};
use super::schema::CompiledSchema;
use super::shell::{CompiledShellCheck, ShellCheck};
use super::sql::{CompiledSqlCheck, SqlCheck};
use super::{hit, ToolHits};
use crate::decision::{Action, Severity, Span};
use crate::policy::Diagnostics;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The `tools` section of the constraints layer: the tool registry and its argument checks.
///
/// ```yaml
/// tools:
///   openai: [{type: function, function: {name: db.query, parameters: {type: object}}}]
///   checks:
///     db.query:
///       sql: [{pointer: /sql, dialect: postgres, read_only: true}]
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ToolsConfig {
    /// Tools in guardrail's own shape: `name`, `description`, `parameters` (a JSON Schema;
    /// `input_schema` and `inputSchema` are accepted too).
    pub list: Vec<ToolDef>,
    /// An OpenAI `tools` array pasted as-is (`[{"type": "function", "function": {...}}]`, or
    /// the flat Responses form `[{"type": "function", "name": ..., "parameters": ...}]`).
    pub openai: Vec<OpenAiTool>,
    /// An MCP `tools/list` result pasted as-is (`{"tools": [{"name", "inputSchema"}]}`).
    pub mcp: Option<McpToolList>,
    /// Which arguments of a tool are URLs, SQL or shell commands, keyed by tool name; the
    /// tool must be registered above.
    pub checks: BTreeMap<String, ToolChecks>,
    /// What to do with a call to a tool that is not registered (a hallucinated tool). Only
    /// applies once at least one tool is registered: an empty registry checks nothing.
    pub unknown_tool: Action,
    /// Treat a parameter that an object schema does not declare in `properties` as
    /// hallucinated even where the schema leaves `additionalProperties` unset (most tool
    /// schemas do). Schemas that compose (`allOf`, `anyOf`, `oneOf`, `$ref`) are left as
    /// written.
    pub strict_parameters: bool,
}

impl Default for ToolsConfig {
    fn default() -> Self {
        ToolsConfig {
            list: Vec::new(),
            openai: Vec::new(),
            mcp: None,
            checks: BTreeMap::new(),
            unknown_tool: Action::Block,
            strict_parameters: true,
        }
    }
}

/// One tool in guardrail's own shape.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ToolDef {
    /// The name the model calls the tool by.
    pub name: String,
    /// What the tool does (kept for the registry's readers; not checked).
    pub description: Option<String>,
    /// The JSON Schema of the arguments, exactly as given to the model. Absent means the
    /// tool takes no arguments.
    #[serde(alias = "input_schema", alias = "inputSchema")]
    pub parameters: Option<Value>,
}

// The import shapes below are other vendors' documents, pasted as-is: fields they add later
// (`strict`, `annotations`, `_meta`, ...) must not make a policy fail to load, so they do
// not deny unknown fields; guardrail reads only the fields it names.

/// One entry of an OpenAI `tools` array.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OpenAiTool {
    /// The tool type; only `function` tools can be registered.
    #[serde(rename = "type")]
    pub kind: String,
    /// The function (Chat Completions form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<OpenAiFunction>,
    /// The function's name (flat Responses form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The function's description (flat Responses form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The function's parameters schema (flat Responses form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// The `function` object of an OpenAI tool.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OpenAiFunction {
    /// The function's name.
    pub name: String,
    /// What the function does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema of the arguments; absent means no arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// An MCP `tools/list` result.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct McpToolList {
    /// The tools the server offers.
    pub tools: Vec<McpTool>,
}

/// One tool of an MCP `tools/list` result.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct McpTool {
    /// The tool's name.
    pub name: String,
    /// What the tool does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema of the arguments.
    #[serde(
        rename = "inputSchema",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub input_schema: Option<Value>,
}

/// Which arguments of one tool carry URLs, SQL or shell commands.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ToolChecks {
    /// URL-valued arguments and the endpoints they may reach.
    pub urls: Vec<UrlCheck>,
    /// SQL-valued arguments and how they are classified.
    pub sql: Vec<SqlCheck>,
    /// Shell-command arguments (a command line string or an argv array).
    pub shell: Vec<ShellCheck>,
}

/// The compiled registry: immutable, shared across threads.
#[derive(Debug, Default)]
pub(crate) struct Tools {
    tools: HashMap<String, CompiledTool>,
    /// Registered names, sorted, for did-you-mean suggestions.
    names: Vec<String>,
    unknown_tool: Action,
}

#[derive(Debug)]
struct CompiledTool {
    schema: Option<CompiledSchema>,
    urls: Vec<CompiledUrlCheck>,
    sql: Vec<CompiledSqlCheck>,
    shell: Vec<CompiledShellCheck>,
}

/// A tool as declared, whatever shape it came in.
struct Declared<'a> {
    name: &'a str,
    parameters: Option<&'a Value>,
    /// Policy path of the declaration and of its schema.
    path: String,
    schema_path: String,
}

impl Tools {
    /// Compiles the registry; every problem is reported to `diag` at its policy path
    /// (`path` is the section's own, e.g. `constraints.tools`). Tools with errors are
    /// left out; the caller refuses the policy when `diag` is not empty.
    pub(crate) fn compile(config: &ToolsConfig, path: &str, diag: &mut Diagnostics) -> Tools {
        let mut tools: HashMap<String, CompiledTool> = HashMap::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        for declared in declarations(config, path, diag) {
            if declared.name.trim().is_empty() {
                diag.error(format!("{}.name", declared.path), "tool name is empty");
                continue;
            }
            if let Some(first) = seen.get(declared.name) {
                diag.error_with_hint(
                    &declared.path,
                    format!("tool `{}` is registered twice", declared.name),
                    format!("first registered at `{first}`"),
                );
                continue;
            }
            seen.insert(declared.name.to_string(), declared.path.clone());
            let schema = CompiledSchema::compile(
                declared.parameters,
                config.strict_parameters,
                &declared.schema_path,
                diag,
            );
            tools.insert(
                declared.name.to_string(),
                CompiledTool {
                    schema,
                    urls: Vec::new(),
                    sql: Vec::new(),
                    shell: Vec::new(),
                },
            );
        }
        let mut names: Vec<String> = tools.keys().cloned().collect();
        names.sort();
        for (name, checks) in &config.checks {
            let checks_path = key_path(&format!("{path}.checks"), name);
            let Some(tool) = tools.get_mut(name) else {
                let hint = match nearest(name, &names).first() {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "declare the tool in `list`, `openai` or `mcp` first".to_string(),
                };
                diag.error_with_hint(
                    checks_path,
                    format!("checks for tool `{name}`, which is not registered"),
                    hint,
                );
                continue;
            };
            for (i, check) in checks.urls.iter().enumerate() {
                let at = format!("{checks_path}.urls[{i}]");
                tool.urls
                    .extend(CompiledUrlCheck::compile(check, &at, diag));
            }
            for (i, check) in checks.sql.iter().enumerate() {
                let at = format!("{checks_path}.sql[{i}]");
                tool.sql.extend(CompiledSqlCheck::compile(check, &at, diag));
            }
            for (i, check) in checks.shell.iter().enumerate() {
                let at = format!("{checks_path}.shell[{i}]");
                tool.shell
                    .extend(CompiledShellCheck::compile(check, &at, diag));
            }
        }
        Tools {
            tools,
            names,
            unknown_tool: config.unknown_tool,
        }
    }

    /// Checks one call of `tool` with arguments `args` and appends every finding to `out`,
    /// each with the JSON pointer (into `args`) of the value it is about.
    pub(crate) fn check_call(&self, tool: &str, args: &Value, out: &mut ToolHits) {
        if self.tools.is_empty() {
            return;
        }
        let Some(compiled) = self.tools.get(tool) else {
            out.push((None, self.unknown_tool_hit(tool)));
            return;
        };
        if let Some(schema) = &compiled.schema {
            schema.check(args, out);
        }
        for check in &compiled.urls {
            check.check(args, out);
        }
        for check in &compiled.sql {
            check.check(tool, args, out);
        }
        for check in &compiled.shell {
            check.check(args, out);
        }
    }

    fn unknown_tool_hit(&self, tool: &str) -> crate::scan::Hit {
        let close = nearest(tool, &self.names);
        let suggestion = if close.is_empty() {
            let shown: Vec<String> = self
                .names
                .iter()
                .take(10)
                .map(|n| format!("`{n}`"))
                .collect();
            let more = if self.names.len() > 10 { ", ..." } else { "" };
            format!("registered tools: {}{more}", shown.join(", "))
        } else {
            let shown: Vec<String> = close.iter().map(|n| format!("`{n}`")).collect();
            format!("did you mean {}?", shown.join(" or "))
        };
        // Echo at most a short prefix of the name: it is model output and may be anything.
        let shown: String = tool.chars().take(80).collect();
        hit(
            "tools.unknown_tool",
            "hallucination",
            Severity::High,
            self.unknown_tool,
            Span::new(0, 0),
            format!("tool `{shown}` is not in the registry (a hallucinated tool)"),
            Some(suggestion),
        )
    }
}

/// Every tool declaration in the section, in document order, with its policy paths.
fn declarations<'a>(
    config: &'a ToolsConfig,
    path: &str,
    diag: &mut Diagnostics,
) -> Vec<Declared<'a>> {
    let mut out = Vec::new();
    for (i, tool) in config.list.iter().enumerate() {
        let at = format!("{path}.list[{i}]");
        out.push(Declared {
            name: &tool.name,
            parameters: tool.parameters.as_ref(),
            schema_path: format!("{at}.parameters"),
            path: at,
        });
    }
    for (i, tool) in config.openai.iter().enumerate() {
        let at = format!("{path}.openai[{i}]");
        if tool.kind != "function" {
            diag.error_with_hint(
                format!("{at}.type"),
                format!(
                    "only `function` tools can be registered, not `{}`",
                    tool.kind
                ),
                "remove built-in tools (web search, file search, ...) from the pasted array",
            );
            continue;
        }
        match (&tool.function, &tool.name) {
            (Some(function), _) => out.push(Declared {
                name: &function.name,
                parameters: function.parameters.as_ref(),
                schema_path: format!("{at}.function.parameters"),
                path: format!("{at}.function"),
            }),
            (None, Some(name)) => out.push(Declared {
                name,
                parameters: tool.parameters.as_ref(),
                schema_path: format!("{at}.parameters"),
                path: at,
            }),
            (None, None) => diag.error(
                at,
                "an OpenAI tool needs a `function` object (or a flat `name`)",
            ),
        }
    }
    if let Some(mcp) = &config.mcp {
        for (i, tool) in mcp.tools.iter().enumerate() {
            let at = format!("{path}.mcp.tools[{i}]");
            out.push(Declared {
                name: &tool.name,
                parameters: tool.input_schema.as_ref(),
                schema_path: format!("{at}.inputSchema"),
                path: at,
            });
        }
    }
    out
}

/// The policy path of map member `key` under `parent`, as the policy loader writes it
/// (dotted, even when the key itself contains dots: `checks.db.query`).
fn key_path(parent: &str, key: &str) -> String {
    format!("{parent}.{key}")
}

/// Up to three registered names closest to `wanted`, best first. Names are compared
/// lowercased with `.`, `-` and `_` treated alike, since models swap those freely.
pub(crate) fn nearest(wanted: &str, names: &[String]) -> Vec<String> {
    fn fold(s: &str) -> String {
        s.chars()
            .take(200)
            .map(|c| match c {
                '.' | '-' | '/' | ':' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    }
    let wanted = fold(wanted);
    let mut scored: Vec<(f64, &String)> = names
        .iter()
        .map(|name| {
            let candidate = fold(name);
            let mut score = strsim::normalized_damerau_levenshtein(&wanted, &candidate);
            // `weather` for `get_weather`: a containment is a strong hint on its own.
            if wanted.len() >= 4 && (candidate.contains(&wanted) || wanted.contains(&candidate)) {
                score = score.max(0.7);
            }
            (score, name)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n.clone()).collect()
}
