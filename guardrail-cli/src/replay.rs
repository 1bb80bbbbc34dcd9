//! `guardrail replay`: evaluate a recorded trace against a policy.

use crate::{build_guard, load_policy, Format};
use clap::Args;
use guardrail_core::{Action, Decision, Event, EventKind, State};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct ReplayArgs {
    /// The trace: one event per line (JSON Lines), as in docs/EVENTS.md.
    trace: PathBuf,
    /// Policy file (YAML or JSON); the built-in policy when absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Report decisions without enforcing them (shadow mode).
    #[arg(long)]
    shadow: bool,
    /// `json`: one decision per line then a summary line; `human`: a readable table.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

#[derive(Default)]
struct Summary {
    events: usize,
    errors: usize,
    by_action: BTreeMap<String, usize>,
    by_layer: BTreeMap<String, usize>,
    by_rule: BTreeMap<String, usize>,
}

impl Summary {
    fn add(&mut self, d: &Decision) {
        self.events += 1;
        *self.by_action.entry(d.enforced.to_string()).or_default() += 1;
        for f in &d.findings {
            *self.by_layer.entry(f.layer.to_string()).or_default() += 1;
            *self.by_rule.entry(f.rule.clone()).or_default() += 1;
        }
    }
}

fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::ToolCall { tool, .. } | EventKind::ToolResult { tool, .. } => {
            format!("{} {tool}", kind.name())
        }
        EventKind::LlmUsage { model, .. } => format!("llm_usage {model}"),
        EventKind::Approval { gate, approve, .. } => {
            format!(
                "approval {gate} {}",
                if *approve { "approve" } else { "deny" }
            )
        }
        other => other.name().to_string(),
    }
}

pub(crate) fn run(args: ReplayArgs) -> ExitCode {
    match replay(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("guardrail: {e}");
            ExitCode::from(2)
        }
    }
}

fn replay(args: &ReplayArgs) -> Result<bool, String> {
    let policy = load_policy(args.policy.as_deref())?;
    let guard = build_guard(&policy, args.shadow)?;
    let file = std::fs::File::open(&args.trace)
        .map_err(|e| format!("cannot read `{}`: {e}", args.trace.display()))?;
    let state = State::new();
    let mut summary = Summary::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let w = |e: std::io::Error| e.to_string();
    if args.format == Format::Human {
        writeln!(out, "policy {}", guard.policy_hash()).map_err(w)?;
    }
    for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| format!("cannot read `{}`: {e}", args.trace.display()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let n = i + 1;
        let event = match Event::from_json(&line) {
            Ok(e) => e,
            Err(e) => {
                summary.errors += 1;
                match args.format {
                    Format::Json => writeln!(out, "{}", json!({"line": n, "error": e.message()})),
                    Format::Human => writeln!(out, "{n:>4}  error: {}", e.message()),
                }
                .map_err(w)?;
                continue;
            }
        };
        let decision = guard.evaluate(&event, &state);
        summary.add(&decision);
        match args.format {
            Format::Json => writeln!(
                out,
                "{}",
                json!({"line": n, "type": event.kind.name(), "decision": decision})
            )
            .map_err(w)?,
            Format::Human => {
                let mark = match decision.enforced {
                    Action::Allow => "allow   ",
                    Action::Redact => "REDACT  ",
                    Action::Escalate => "ESCALATE",
                    Action::Block => "BLOCK   ",
                };
                writeln!(out, "{n:>4}  {mark}  {}", describe(&event.kind)).map_err(w)?;
                for f in &decision.findings {
                    let shadow = if f.shadow { " (shadow)" } else { "" };
                    let path = f.path.as_deref().unwrap_or("");
                    writeln!(
                        out,
                        "          {} {}{shadow} {path}: {}",
                        f.action, f.rule, f.message
                    )
                    .map_err(w)?;
                    if let Some(s) = &f.suggestion {
                        writeln!(out, "            suggestion: {s}").map_err(w)?;
                    }
                }
                if let Some(text) = &decision.text {
                    writeln!(out, "          redacted text: {text}").map_err(w)?;
                }
                if let Some(args) = &decision.args {
                    writeln!(out, "          redacted: {args}").map_err(w)?;
                }
                if let Some(g) = &decision.gate {
                    writeln!(
                        out,
                        "          gate {} needs role `{}` before {}",
                        g.id, g.role, g.expires
                    )
                    .map_err(w)?;
                }
            }
        }
    }
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            json!({"summary": {"events": summary.events, "errors": summary.errors,
                "by_action": summary.by_action, "by_layer": summary.by_layer, "by_rule": summary.by_rule}})
        )
        .map_err(w)?,
        Format::Human => {
            writeln!(out, "\n{} events, {} unreadable", summary.events, summary.errors).map_err(w)?;
            for (title, map) in [("action", &summary.by_action), ("layer", &summary.by_layer), ("rule", &summary.by_rule)] {
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
                writeln!(out, "by {title}: {}", parts.join(" ")).map_err(w)?;
            }
        }
    }
    out.flush().map_err(w)?;
    Ok(summary.errors == 0)
}
