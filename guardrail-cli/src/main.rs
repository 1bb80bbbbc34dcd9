//! `guardrail`: scan texts and files, check policies, replay recorded agent sessions.

mod reference;
mod replay;
mod scan;

use clap::{Parser, Subcommand, ValueEnum};
use guardrail_core::{Guard, Policy, PolicyError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Guardrails for autonomous AI agents.
#[derive(Parser)]
#[command(name = "guardrail", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Lines for people.
    Human,
    /// Machine-readable JSON.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files, directories (recursively, binary files skipped) or stdin (`-` or no path)
    /// with the policy's content detectors. Exit code 0: nothing found; 1: findings; 2: error.
    Scan(scan::ScanArgs),
    /// Validate a policy: print its hash and lint warnings, or every error with its path and
    /// line (exit code 2).
    CheckPolicy {
        /// The policy file (YAML or JSON).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Evaluate a recorded trace of events (JSON Lines) and print one decision per event,
    /// then a summary by action, layer and rule.
    Replay(replay::ReplayArgs),
    /// Print the built-in default policy (YAML).
    DefaultPolicy,
    /// Print the JSON Schema of the policy document.
    PolicySchema,
    /// Print the policy reference table (the generated part of docs/POLICY.md).
    PolicyReference,
}

/// Loads the policy at `path`, or the built-in one.
pub(crate) fn load_policy(path: Option<&Path>) -> Result<Policy, String> {
    let Some(path) = path else {
        return Ok(Policy::builtin());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read policy `{}`: {e}", path.display()))?;
    Policy::from_yaml(&text).map_err(|e| policy_error_text(path, &e))
}

fn policy_error_text(path: &Path, e: &PolicyError) -> String {
    let mut out = format!("invalid policy `{}`:", path.display());
    for issue in e.issues() {
        out.push_str(&format!("\n  {}:{issue}", path.display()));
    }
    out
}

pub(crate) fn build_guard(policy: &Policy, shadow: bool) -> Result<Guard, String> {
    let mut builder = Guard::builder();
    if shadow {
        builder = builder.shadow(true);
    }
    builder.build(policy).map_err(|e| e.to_string())
}

fn check_policy(file: &Path, format: Format) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("guardrail: cannot read `{}`: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    match (Policy::from_yaml(&text), format) {
        (Ok(policy), Format::Human) => {
            println!("valid policy {}", policy.hash());
            for lint in policy.lints() {
                println!("warning: {lint}");
            }
            ExitCode::SUCCESS
        }
        (Ok(policy), Format::Json) => {
            let out =
                serde_json::json!({"valid": true, "hash": policy.hash(), "lints": policy.lints()});
            println!("{out}");
            ExitCode::SUCCESS
        }
        (Err(e), Format::Human) => {
            eprintln!("guardrail: {}", policy_error_text(file, &e));
            ExitCode::from(2)
        }
        (Err(e), Format::Json) => {
            let out = serde_json::json!({"valid": false, "errors": e.issues()});
            println!("{out}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::CheckPolicy { file, format } => check_policy(&file, format),
        Command::Replay(args) => replay::run(args),
        Command::DefaultPolicy => {
            print!("{}", guardrail_core::policy::DEFAULT_POLICY_YAML);
            ExitCode::SUCCESS
        }
        Command::PolicyReference => {
            print!("{}", reference::markdown(&Policy::json_schema()));
            ExitCode::SUCCESS
        }
        Command::PolicySchema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&Policy::json_schema()).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
    }
}
