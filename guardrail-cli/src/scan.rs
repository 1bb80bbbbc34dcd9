//! `guardrail scan`: files, directories, stdin, and JSON Lines batches.

use crate::{build_guard, load_policy, Format};
use clap::Args;
use guardrail_core::{Channel, Finding, Guard};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Files larger than this are scanned too, but a progress bar is worth showing.
const PROGRESS_THRESHOLD: u64 = 64 << 20;

#[derive(Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan; `-` or nothing reads stdin.
    paths: Vec<PathBuf>,
    /// Policy file (YAML or JSON); the built-in policy when absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// The channel the text travels on: user, system, model_output, tool_args, tool_output.
    /// It selects the detectors and thresholds that apply.
    #[arg(long, default_value = "tool_output", value_parser = parse_channel)]
    channel: Channel,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Batch mode: each input line is a JSON object with a `text` field and an optional
    /// `channel`; each output line echoes the other fields and carries that line's findings.
    #[arg(long)]
    jsonl: bool,
    /// Print the input with findings redacted (stdin or one file; with --jsonl, adds a
    /// `redacted` field).
    #[arg(long)]
    redact: bool,
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    Channel::parse(s).ok_or_else(|| {
        format!(
            "unknown channel `{s}` (expected user, system, model_output, tool_args or tool_output)"
        )
    })
}

fn finding_json(f: &Finding, line: Option<usize>) -> Value {
    let mut v = json!({
        "rule": f.rule, "category": f.category, "layer": f.layer, "severity": f.severity,
        "action": f.action, "confidence": f.confidence, "message": f.message,
    });
    if let (Some(span), Some(obj)) = (f.span, v.as_object_mut()) {
        obj.insert("span".into(), json!({"start": span.start, "end": span.end}));
        if let Some(line) = line {
            obj.insert("line".into(), json!(line));
        }
    }
    if f.shadow {
        v["shadow"] = json!(true);
    }
    v
}

/// Scans raw bytes: each valid UTF-8 run is scanned on its own, so spans stay byte offsets
/// into the input even when it holds invalid bytes.
fn scan_bytes(guard: &Guard, channel: Channel, bytes: &[u8]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut offset = 0;
    // `from_utf8` rather than `utf8_chunks`: its ASCII fast path validates several times
    // faster, and most input is valid throughout.
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let (valid, skip) = match std::str::from_utf8(rest) {
            Ok(text) => (text, 0),
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                // Cannot fail: the first `valid_up_to` bytes were just validated.
                let text = std::str::from_utf8(valid).unwrap_or_default();
                (text, e.error_len().unwrap_or(bad.len()))
            }
        };
        for mut f in guard.scan(channel, valid) {
            if let Some(span) = f.span.as_mut() {
                span.start += offset;
                span.end += offset;
            }
            findings.push(f);
        }
        offset += valid.len() + skip;
    }
    findings
}

/// 1-based line numbers of each finding's span start, in one pass over the input.
fn lines_of(bytes: &[u8], findings: &[Finding]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| findings[i].span.map(|s| s.start));
    let mut lines = vec![None; findings.len()];
    let (mut pos, mut line) = (0usize, 1usize);
    for i in order {
        let Some(span) = findings[i].span else {
            continue;
        };
        let end = span.start.min(bytes.len());
        if end > pos {
            line += count_newlines(&bytes[pos..end]);
            pos = end;
        }
        lines[i] = Some(line);
    }
    lines
}

/// Counted in blocks of 255 with a byte-wide sum, which the compiler vectorizes (a plain
/// `filter().count()` runs several times slower on large inputs).
fn count_newlines(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            block
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n'))) as usize
        })
        .sum()
}

fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|&b| b == 0)
}

fn collect_files(paths: &[PathBuf], errors: &mut Vec<String>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
                    Ok(_) => {}
                    Err(e) => errors.push(format!("cannot walk `{}`: {e}", path.display())),
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    files
}

pub(crate) fn run(args: ScanArgs) -> ExitCode {
    let policy = match load_policy(args.policy.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("guardrail: {e}");
            return ExitCode::from(2);
        }
    };
    let guard = match build_guard(&policy, false) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("guardrail: {e}");
            return ExitCode::from(2);
        }
    };
    let stdin_only =
        args.paths.is_empty() || (args.paths.len() == 1 && args.paths[0] == Path::new("-"));
    let result = if args.jsonl {
        run_jsonl(&guard, &args, stdin_only)
    } else {
        run_files(&guard, &args, stdin_only)
    };
    match result {
        Ok(found) if found => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("guardrail: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok(buf)
}

fn run_files(guard: &Guard, args: &ScanArgs, stdin_only: bool) -> Result<bool, String> {
    let mut errors = Vec::new();
    let inputs: Vec<PathBuf> = if stdin_only {
        vec![PathBuf::from("-")]
    } else {
        collect_files(&args.paths, &mut errors)
    };
    if args.redact && inputs.len() != 1 {
        return Err("--redact prints one redacted input: give stdin or a single file".into());
    }
    let total: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = (std::io::stderr().is_terminal() && total >= PROGRESS_THRESHOLD).then(|| {
        let bar = ProgressBar::new(total);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}")
        {
            bar.set_style(style);
        }
        bar
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut files_json, mut n_findings, mut n_bytes, mut n_files, mut skipped) =
        (Vec::new(), 0usize, 0u64, 0usize, 0usize);
    let mut by_rule: std::collections::BTreeMap<String, usize> = Default::default();
    for path in &inputs {
        let bytes = if path == Path::new("-") {
            read_stdin()?
        } else {
            match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    errors.push(format!("cannot read `{}`: {e}", path.display()));
                    continue;
                }
            }
        };
        if let Some(bar) = &progress {
            bar.inc(bytes.len() as u64);
        }
        if is_binary(&bytes) {
            skipped += 1;
            continue;
        }
        n_files += 1;
        n_bytes += bytes.len() as u64;
        // One scan either way: --redact takes its findings from the redacting pass.
        let findings = if args.redact {
            let text = match std::str::from_utf8(&bytes) {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(&bytes),
            };
            let (redacted, findings) = guard.redact(args.channel, &text);
            out.write_all(redacted.as_bytes())
                .map_err(|e| e.to_string())?;
            findings
        } else {
            scan_bytes(guard, args.channel, &bytes)
        };
        if findings.is_empty() {
            continue;
        }
        n_findings += findings.len();
        let lines = lines_of(&bytes, &findings);
        let name = if path == Path::new("-") {
            "-".to_string()
        } else {
            path.display().to_string()
        };
        for f in &findings {
            *by_rule.entry(f.rule.clone()).or_default() += 1;
        }
        match args.format {
            Format::Json => files_json.push(json!({
                "path": name,
                "findings": findings.iter().zip(&lines).map(|(f, l)| finding_json(f, *l)).collect::<Vec<_>>(),
            })),
            Format::Human if !args.redact => {
                for (f, line) in findings.iter().zip(&lines) {
                    let at = match (line, f.span) {
                        (Some(l), Some(s)) => format!("{name}:{l} [{}..{}]", s.start, s.end),
                        _ => name.clone(),
                    };
                    writeln!(out, "{at}  {}  {}  {}", f.action, f.rule, f.message).map_err(|e| e.to_string())?;
                }
            }
            Format::Human => {}
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    match args.format {
        Format::Json if !args.redact => {
            let summary = json!({"files": n_files, "bytes": n_bytes, "skipped_binary": skipped,
                "findings": n_findings, "by_rule": by_rule, "errors": errors});
            writeln!(out, "{}", json!({"files": files_json, "summary": summary}))
                .map_err(|e| e.to_string())?;
        }
        _ => {
            out.flush().map_err(|e| e.to_string())?;
            eprintln!(
                "scanned {n_files} file(s), {n_bytes} bytes ({skipped} binary skipped): {n_findings} finding(s)"
            );
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    Ok(n_findings > 0)
}

fn run_jsonl(guard: &Guard, args: &ScanArgs, stdin_only: bool) -> Result<bool, String> {
    let readers: Vec<(String, Box<dyn BufRead>)> = if stdin_only {
        vec![(
            "-".into(),
            Box::new(std::io::BufReader::new(std::io::stdin())),
        )]
    } else {
        let mut v: Vec<(String, Box<dyn BufRead>)> = Vec::new();
        for p in &args.paths {
            let f = std::fs::File::open(p)
                .map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
            v.push((
                p.display().to_string(),
                Box::new(std::io::BufReader::new(f)),
            ));
        }
        v
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut found, mut bad) = (false, 0usize);
    for (name, reader) in readers {
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = line.map_err(|e| format!("cannot read `{name}`: {e}"))?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let answer = match scan_record(guard, args, &line) {
                Ok((answer, any)) => {
                    found |= any;
                    answer
                }
                Err(message) => {
                    bad += 1;
                    json!({"error": message, "source": name, "line": i + 1})
                }
            };
            writeln!(out, "{answer}").map_err(|e| e.to_string())?;
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    if bad > 0 {
        return Err(format!(
            "{bad} input line(s) were not valid records (see their `error` lines)"
        ));
    }
    Ok(found)
}

fn scan_record(guard: &Guard, args: &ScanArgs, line: &[u8]) -> Result<(Value, bool), String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(mut record) = value else {
        return Err("a record must be a JSON object".into());
    };
    let text = match record.remove("text") {
        Some(Value::String(t)) => t,
        Some(_) => return Err("`text` must be a string".into()),
        None => return Err("missing field `text`".into()),
    };
    let channel = match record.get("channel") {
        None => args.channel,
        Some(Value::String(c)) => parse_channel(c)?,
        Some(_) => return Err("`channel` must be a string".into()),
    };
    let (redacted, findings) = if args.redact {
        let (text, findings) = guard.redact(channel, &text);
        (Some(text), findings)
    } else {
        (None, guard.scan(channel, &text))
    };
    let lines = lines_of(text.as_bytes(), &findings);
    let mut answer = Map::new();
    answer.append(&mut record);
    answer.insert(
        "findings".into(),
        Value::Array(
            findings
                .iter()
                .zip(&lines)
                .map(|(f, l)| finding_json(f, *l))
                .collect(),
        ),
    );
    if let Some(redacted) = redacted {
        answer.insert("redacted".into(), Value::String(redacted));
    }
    Ok((Value::Object(answer), !findings.is_empty()))
}
