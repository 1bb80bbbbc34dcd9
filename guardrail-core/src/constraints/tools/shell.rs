//! Shell-command arguments: split into commands and words, then checked against rules.
//!
//! A command line is first cut into commands at the unquoted control operators (`|`, `||`,
//! `&&`, `;`, `&`, newlines, subshell parentheses), respecting quotes, escapes, comments
//! and `$( )` / `<( )` / backtick substitutions; each command is then split into words by
//! `shlex` (POSIX quoting rules). Wrappers (`sudo`, `env`, `nohup`, `timeout`, `xargs`,
//! ...) and leading `NAME=value` assignments are peeled off to find the real command.
//! Command strings handed to another shell (`bash -c '...'`, `eval`, substitutions) are
//! checked the same way, to a bounded depth.
//!
//! Rules: `shell.recursive_delete` (root, home, system directories),
//! `shell.pipe_to_shell` (a download piped or substituted into an interpreter),
//! `shell.chmod_777` (world-writable modes), `shell.force_push` (force pushes to, or
//! deletion of, protected branches), `shell.tls_verify_disabled` (`curl -k`,
//! `GIT_SSL_NO_VERIFY`, `verify=False`, ...), `shell.package_install` (one finding per
//! package, for the dependency policy) and `shell.parse_error`.

use super::pointer::ArgPointer;
use super::{hit, ToolHits};
use crate::decision::{Action, Package, Severity, Span};
use crate::policy::Diagnostics;
use crate::scan::Hit;
use globset::{GlobBuilder, GlobSet};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How many shells deep (`bash -c "sh -c '...'"`, substitutions) commands are followed.
const MAX_DEPTH: usize = 4;

/// One shell-command argument of a tool.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ShellCheck {
    /// JSON pointer to the argument (`/command`): a command line string, or an argv array
    /// of strings (run without a shell).
    pub pointer: String,
    /// Branches a force push must not target, nor a push delete (globs: `release/*`).
    pub protected_branches: Vec<String>,
    /// Action for package installs (`shell.package_install`, one finding per package):
    /// `allow` reports them for the dependency policy, `escalate` asks a human.
    pub package_install: Action,
    /// Action for command lines that cannot be split (unbalanced quotes): what cannot be
    /// parsed cannot be checked, so the default fails closed.
    pub parse_error: Action,
}

impl Default for ShellCheck {
    fn default() -> Self {
        ShellCheck {
            pointer: "/command".to_string(),
            protected_branches: ["main", "master", "production", "release/*"]
                .map(String::from)
                .to_vec(),
            package_install: Action::Allow,
            parse_error: Action::Block,
        }
    }
}

/// A compiled [`ShellCheck`].
#[derive(Debug)]
pub(crate) struct CompiledShellCheck {
    pointer: ArgPointer,
    protected: GlobSet,
    package_install: Action,
    parse_error: Action,
    /// TLS verification turned off inside code run by the command (`python -c`, `node -e`).
    tls_in_code: Regex,
}

/// Literal spellings of "do not verify TLS" in code passed on a command line.
const TLS_IN_CODE: &str = r"verify\s*=\s*False|rejectUnauthorized\s*:\s*false|_create_unverified_context|ssl\.CERT_NONE|InsecureSkipVerify\s*:\s*true|check_hostname\s*=\s*False";

impl CompiledShellCheck {
    /// Compiles `check`; problems are reported at `path`.
    pub(crate) fn compile(
        check: &ShellCheck,
        path: &str,
        diag: &mut Diagnostics,
    ) -> Option<CompiledShellCheck> {
        let pointer = ArgPointer::compile(&check.pointer, &format!("{path}.pointer"), diag);
        let protected = super::glob_set(
            &check.protected_branches,
            &format!("{path}.protected_branches"),
            diag,
            |p| GlobBuilder::new(p).literal_separator(true).build(),
        );
        let tls_in_code = match Regex::new(TLS_IN_CODE) {
            Ok(re) => Some(re),
            Err(error) => {
                diag.error(path, format!("internal pattern failed to compile: {error}"));
                None
            }
        };
        Some(CompiledShellCheck {
            pointer: pointer?,
            protected: protected?,
            package_install: check.package_install,
            parse_error: check.parse_error,
            tls_in_code: tls_in_code?,
        })
    }

    /// Checks every command the pointer names in `args`.
    pub(crate) fn check(&self, args: &Value, out: &mut ToolHits) {
        for (at, value) in self.pointer.resolve(args) {
            let mut hits = Vec::new();
            match value {
                Value::String(line) => {
                    for m in self.tls_in_code.find_iter(line) {
                        hits.push(tls_hit(
                            Span::new(m.start(), m.end()),
                            "code on the command line turns TLS certificate verification off"
                                .to_string(),
                        ));
                    }
                    self.check_line(line, 0, None, &mut hits);
                }
                Value::Array(items) => {
                    let words: Option<Vec<String>> = items
                        .iter()
                        .map(|w| w.as_str().map(str::to_string))
                        .collect();
                    let empty = Span::new(0, 0);
                    match words {
                        Some(words) => {
                            for word in &words {
                                if self.tls_in_code.is_match(word) {
                                    hits.push(tls_hit(
                                        empty,
                                        "code in the arguments turns TLS certificate \
                                         verification off"
                                            .to_string(),
                                    ));
                                }
                            }
                            if let Some(command) = Command::from_words(words) {
                                self.check_command(&command, empty, 0, &mut hits);
                            }
                        }
                        None => hits.push(self.parse_error_hit(
                            empty,
                            "an argv array must hold only strings".to_string(),
                        )),
                    }
                }
                _ => hits.push(self.parse_error_hit(
                    Span::new(0, 0),
                    "expected a command line string or an argv array".to_string(),
                )),
            }
            out.extend(hits.into_iter().map(|h| (Some(at.clone()), h)));
        }
    }

    /// Checks one command line. `outer` is the span to report when `line` is a string
    /// nested in another command (its own offsets mean nothing to the caller).
    fn check_line(&self, line: &str, depth: usize, outer: Option<Span>, hits: &mut Vec<Hit>) {
        if depth > MAX_DEPTH {
            return;
        }
        let segments = split_commands(line);
        let mut commands: Vec<(Op, Span, Option<Command>)> = Vec::with_capacity(segments.len());
        for segment in &segments {
            let span = outer.unwrap_or(segment.span);
            let Some(text) = line.get(segment.span.start..segment.span.end) else {
                continue;
            };
            let command = match shlex::split(text) {
                Some(words) => Command::from_words(words),
                None => {
                    hits.push(self.parse_error_hit(
                        span,
                        "command cannot be split into words (unbalanced quotes)".to_string(),
                    ));
                    None
                }
            };
            if let Some(command) = &command {
                self.check_command(command, span, depth, hits);
                if command.is_interpreter() && substitutes_download(text) {
                    hits.push(pipe_hit(span, &command.name));
                }
            }
            for body in substitutions(text) {
                self.check_line(body, depth + 1, Some(span), hits);
            }
            commands.push((segment.op, span, command));
        }
        // A pipeline is a run of commands joined by `|`: a download anywhere upstream of an
        // interpreter runs remote code.
        let mut download: Option<Span> = None;
        for (op, span, command) in &commands {
            if *op != Op::Pipe {
                download = None;
            }
            let Some(command) = command else { continue };
            if let Some(from) = download {
                if command.is_interpreter() {
                    let joined = if outer.is_some() {
                        *span
                    } else {
                        Span::new(from.start, span.end)
                    };
                    hits.push(pipe_hit(joined, &command.name));
                    download = None;
                    continue;
                }
            }
            if command.is_download() && download.is_none() {
                download = Some(*span);
            }
        }
    }

    /// Every rule about one command.
    fn check_command(&self, command: &Command, span: Span, depth: usize, hits: &mut Vec<Hit>) {
        for (name, value) in &command.env {
            if let Some(message) = tls_env(name, value) {
                hits.push(tls_hit(span, message));
            }
        }
        let args = &command.args;
        match command.name.as_str() {
            "rm" => {
                if let Some(target) = recursive_delete_target(args) {
                    let shown: String = target.chars().take(80).collect();
                    hits.push(hit(
                        "shell.recursive_delete",
                        "destructive_command",
                        Severity::Critical,
                        Action::Block,
                        span,
                        format!("recursive delete of `{shown}`"),
                        Some(
                            "delete the specific project paths meant, never root or home"
                                .to_string(),
                        ),
                    ));
                }
            }
            "chmod" => {
                if let Some(mode) = world_writable_mode(args) {
                    hits.push(hit(
                        "shell.chmod_777",
                        "insecure_permissions",
                        Severity::Medium,
                        Action::Block,
                        span,
                        format!("`chmod {mode}` makes files writable by every user"),
                        Some(
                            "grant only what is needed (e.g. 755 for directories, 644 for files)"
                                .to_string(),
                        ),
                    ));
                }
            }
            "git" => self.check_git(args, span, hits),
            "export" => {
                for arg in args {
                    if let Some((name, value)) = assignment(arg) {
                        if let Some(message) = tls_env(name, value) {
                            hits.push(tls_hit(span, message));
                        }
                    }
                }
            }
            "eval" => self.check_line(&args.join(" "), depth + 1, Some(span), hits),
            _ => {}
        }
        if let Some(message) = tls_flag(&command.name, args) {
            hits.push(tls_hit(span, message));
        }
        if let Some(script) = command.inline_script() {
            self.check_line(script, depth + 1, Some(span), hits);
        }
        for (ecosystem, package) in package_installs(command) {
            let shown: String = package.chars().take(120).collect();
            let mut install = hit(
                "shell.package_install",
                "dependency",
                Severity::Info,
                self.package_install,
                span,
                format!("installs {ecosystem} package `{shown}`"),
                None,
            );
            // The structured form is what a dependency policy matches on.
            let (name, version) = split_version(ecosystem, &package);
            install.package = Some(Package {
                ecosystem: ecosystem.to_string(),
                name: name.to_string(),
                version: version.map(str::to_string),
            });
            hits.push(install);
        }
    }

    fn check_git(&self, args: &[String], span: Span, hits: &mut Vec<Hit>) {
        let mut i = 0;
        let mut sub = None;
        while let Some(arg) = args.get(i) {
            match arg.as_str() {
                "-C" | "--git-dir" | "--work-tree" | "--namespace" => i += 2,
                "-c" => {
                    if let Some(setting) = args.get(i + 1) {
                        if git_disables_tls(setting.split_once('=')) {
                            hits.push(tls_hit(
                                span,
                                format!("`git -c {setting}` turns TLS verification off"),
                            ));
                        }
                    }
                    i += 2;
                }
                a if a.starts_with('-') => i += 1,
                _ => {
                    sub = Some(i);
                    break;
                }
            }
        }
        let Some(sub) = sub else { return };
        let rest = args.get(sub + 1..).unwrap_or_default();
        match args.get(sub).map(String::as_str) {
            Some("config") => {
                let positional: Vec<&String> =
                    rest.iter().filter(|a| !a.starts_with('-')).collect();
                if let [key, value, ..] = positional[..] {
                    if git_disables_tls(Some((key, value))) {
                        hits.push(tls_hit(
                            span,
                            format!("`git config {key} {value}` turns TLS verification off"),
                        ));
                    }
                }
            }
            Some("push") => self.check_push(rest, span, hits),
            _ => {}
        }
    }

    fn check_push(&self, args: &[String], span: Span, hits: &mut Vec<Hit>) {
        let mut force = false;
        let mut delete = false;
        let mut every = false;
        let mut positional: Vec<&str> = Vec::new();
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            i += 1;
            match arg.as_str() {
                "--force" | "--mirror" => {
                    force = true;
                    every |= arg == "--mirror";
                }
                "--delete" => delete = true,
                "--all" | "--branches" => every = true,
                "--repo" | "-o" | "--push-option" | "--receive-pack" | "--exec" => i += 1,
                a if a.starts_with("--force-with-lease") || a.starts_with("--force-if") => {
                    force = true;
                }
                a if a.starts_with("--") => {}
                a if a.starts_with('-') && a.len() > 1 => {
                    force |= a.contains('f');
                    delete |= a.contains('d');
                }
                a => positional.push(a),
            }
        }
        let refspecs = positional.get(1..).unwrap_or_default();
        let mut push_hit = |message: String, confidence: f32| {
            let mut h = hit(
                "shell.force_push",
                "destructive_command",
                Severity::High,
                Action::Block,
                span,
                message,
                Some("push to a feature branch and open a pull request".to_string()),
            );
            h.confidence = confidence;
            hits.push(h);
        };
        for refspec in refspecs {
            let forced = refspec.starts_with('+');
            let spec = refspec.trim_start_matches('+');
            let (source, dest) = spec.split_once(':').unwrap_or((spec, spec));
            let dest = dest.trim_start_matches("refs/heads/");
            if !self.protected.is_match(dest) {
                continue;
            }
            if delete || (source.is_empty() && spec.contains(':')) {
                push_hit(format!("push deletes protected branch `{dest}`"), 1.0);
            } else if force || forced {
                push_hit(format!("force push to protected branch `{dest}`"), 1.0);
            }
        }
        if force && refspecs.is_empty() {
            if every {
                push_hit(
                    "force push of every branch, protected ones included".to_string(),
                    1.0,
                );
            } else {
                // The current branch is not known here; it may well be a protected one.
                push_hit(
                    "force push of the current branch, which may be protected".to_string(),
                    0.6,
                );
            }
        }
    }

    fn parse_error_hit(&self, span: Span, message: String) -> Hit {
        hit(
            "shell.parse_error",
            "unparseable",
            Severity::Medium,
            self.parse_error,
            span,
            message,
            Some("send a command line with balanced quotes".to_string()),
        )
    }
}

fn tls_hit(span: Span, message: String) -> Hit {
    hit(
        "shell.tls_verify_disabled",
        "insecure_transport",
        Severity::High,
        Action::Block,
        span,
        message,
        Some("keep certificate verification on; add the CA to the trust store instead".to_string()),
    )
}

fn pipe_hit(span: Span, interpreter: &str) -> Hit {
    hit(
        "shell.pipe_to_shell",
        "remote_code",
        Severity::High,
        Action::Block,
        span,
        format!("downloaded content is run by `{interpreter}`"),
        Some("download to a file, verify its checksum or signature, then run it".to_string()),
    )
}

/// How a command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// First command, or after `;`, a newline, `&`, `&&`, `||` or a parenthesis.
    Sequence,
    /// After `|` or `|&`: its input is the previous command's output.
    Pipe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    op: Op,
    span: Span,
}

/// Cuts a command line at its unquoted control operators. Linear in the input; split
/// points are ASCII bytes, so every span lies on char boundaries.
fn split_commands(line: &str) -> Vec<Segment> {
    let bytes = line.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let mut segments = Vec::new();
    let mut start = 0;
    let mut op = Op::Sequence;
    let mut quote: Option<u8> = None;
    let mut depth = 0usize;
    let mut backtick = false;
    let mut i = 0;
    let close = |segments: &mut Vec<Segment>, start: usize, end: usize, op: Op| {
        let text = line.get(start..end).unwrap_or_default();
        if !text.trim().is_empty() {
            segments.push(Segment {
                op,
                span: Span::new(start, end),
            });
        }
    };
    while let Some(c) = at(i) {
        let prev = i.checked_sub(1).and_then(at);
        match quote {
            Some(b'\'') => {
                if c == b'\'' {
                    quote = None;
                }
                i += 1;
                continue;
            }
            Some(_) => {
                match c {
                    b'\\' => i += 1,
                    b'"' => quote = None,
                    b'(' if prev == Some(b'$') => depth += 1,
                    b')' if depth > 0 => depth -= 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            None => {}
        }
        let word_start = prev.is_none_or(|p| p.is_ascii_whitespace() || b";&|()".contains(&p));
        let top = depth == 0 && !backtick;
        match c {
            b'\\' => i += 1,
            b'\'' | b'"' => quote = Some(c),
            b'`' => backtick = !backtick,
            b'#' if word_start && top => {
                // A comment runs to the end of the line; its `;` or `|` separate nothing.
                while at(i).is_some_and(|c| c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'(' if matches!(prev, Some(b'$' | b'<' | b'>')) || depth > 0 => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b'(' | b')' if top => {
                close(&mut segments, start, i, op);
                op = Op::Sequence;
                start = i + 1;
            }
            b'&' if matches!(prev, Some(b'>' | b'<')) || at(i + 1) == Some(b'>') => {}
            b'|' if prev == Some(b'>') => {}
            b'|' | b'&' | b';' | b'\n' if top => {
                let next = at(i + 1);
                let (next_op, len) = match (c, next) {
                    (b'|', Some(b'|')) | (b'&', Some(b'&')) | (b';', Some(b';')) => {
                        (Op::Sequence, 2)
                    }
                    (b'|', Some(b'&')) => (Op::Pipe, 2),
                    (b'|', _) => (Op::Pipe, 1),
                    _ => (Op::Sequence, 1),
                };
                close(&mut segments, start, i, op);
                op = next_op;
                i += len;
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    close(&mut segments, start, line.len().max(start), op);
    segments
}

/// The bodies of the top-level `$( )`, `<( )`, `>( )` and backtick substitutions in one
/// command's text (not inside single quotes, where they are literal).
fn substitutions(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut bodies = Vec::new();
    let mut single = false;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        if c == b'\'' {
            single = !single;
        } else if !single && matches!(c, b'$' | b'<' | b'>') && next == Some(b'(') {
            let open = i + 2;
            let mut depth = 1usize;
            let mut j = open;
            while let Some(&d) = bytes.get(j) {
                match d {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            bodies.extend(text.get(open..j));
            i = j + 1;
            continue;
        } else if !single && c == b'`' {
            let open = i + 1;
            let close = bytes
                .get(open..)
                .and_then(|rest| rest.iter().position(|&d| d == b'`'))
                .map_or(bytes.len(), |p| open + p);
            bodies.extend(text.get(open..close));
            i = close + 1;
            continue;
        }
        i += 1;
    }
    bodies
}

/// Whether a command's text substitutes a download into itself
/// (`bash <(curl ...)`, `sh -c "$(wget -qO- ...)"`).
fn substitutes_download(text: &str) -> bool {
    substitutions(text).into_iter().any(|body| {
        let first = body.split_whitespace().next().unwrap_or_default();
        is_download(&base_name(first).to_ascii_lowercase())
    })
}

/// One command after wrappers and assignments are peeled off.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Command {
    /// `NAME=value` assignments in front of it (`GIT_SSL_NO_VERIFY=1 git clone ...`).
    env: Vec<(String, String)>,
    /// The program's base name, lowercased (`/usr/bin/rm` is `rm`).
    name: String,
    args: Vec<String>,
}

impl Command {
    fn from_words(words: Vec<String>) -> Option<Command> {
        let mut words = words.into_iter().peekable();
        let mut env = Vec::new();
        loop {
            let word = words.next()?;
            if let Some((name, value)) = assignment(&word) {
                env.push((name.to_string(), value.to_string()));
                continue;
            }
            let name = base_name(&word).to_ascii_lowercase();
            let value_options: &[&str] = match name.as_str() {
                // Shell grammar words in front of a command.
                "(" | "{" | "!" | "if" | "then" | "else" | "elif" | "do" | "while" | "until"
                | "time" | "nohup" | "command" | "exec" | "builtin" | "chronic" => {
                    continue;
                }
                "sudo" | "doas" => &["-u", "-g", "-h", "-p", "-C", "-D", "-R", "-T", "-U"],
                "env" => &["-u", "-S", "-C", "--unset", "--chdir"],
                "nice" => &["-n", "--adjustment"],
                "ionice" => &["-c", "-n", "-p", "-P", "-u"],
                "stdbuf" => &["-i", "-o", "-e"],
                "xargs" => &[
                    "-I",
                    "-n",
                    "-P",
                    "-L",
                    "-d",
                    "-a",
                    "-E",
                    "-s",
                    "--delimiter",
                ],
                "timeout" => &["-s", "-k", "--signal", "--kill-after"],
                _ => {
                    return Some(Command {
                        env,
                        name,
                        args: words.collect(),
                    })
                }
            };
            // Skip the wrapper's options (and the values of those that take one).
            while let Some(next) = words.peek() {
                if next == "--" {
                    words.next();
                    break;
                }
                if !next.starts_with('-') {
                    break;
                }
                let takes_value = value_options.contains(&next.as_str());
                words.next();
                if takes_value {
                    words.next();
                }
            }
            if name == "timeout" {
                words.next(); // the duration
            }
        }
    }

    fn is_download(&self) -> bool {
        is_download(&self.name)
    }

    fn is_interpreter(&self) -> bool {
        is_shell(&self.name)
            || self.name.starts_with("python")
            || matches!(
                self.name.as_str(),
                "perl"
                    | "ruby"
                    | "node"
                    | "php"
                    | "pwsh"
                    | "powershell"
                    | "iex"
                    | "invoke-expression"
                    | "source"
                    | "."
            )
    }

    /// The script a shell is told to run (`bash -c '...'`, `su -c '...'`).
    fn inline_script(&self) -> Option<&str> {
        if !(is_shell(&self.name) || self.name == "su") {
            return None;
        }
        let flag = self
            .args
            .iter()
            .position(|a| a.starts_with('-') && !a.starts_with("--") && a.ends_with('c'))?;
        self.args.get(flag + 1).map(String::as_str)
    }
}

fn is_shell(name: &str) -> bool {
    matches!(
        name,
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash" | "fish" | "csh" | "tcsh" | "busybox"
    )
}

fn is_download(name: &str) -> bool {
    matches!(
        name,
        "curl" | "wget" | "fetch" | "iwr" | "irm" | "invoke-webrequest" | "invoke-restmethod"
    )
}

fn base_name(word: &str) -> &str {
    word.rsplit(['/', '\\']).next().unwrap_or(word)
}

/// `NAME=value` with a valid shell variable name.
fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let valid = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some((name, value))
}

/// The dangerous target of `rm` with a recursive flag, if any.
fn recursive_delete_target(args: &[String]) -> Option<&str> {
    let mut recursive = false;
    let mut no_preserve_root = false;
    let mut options_done = false;
    let mut targets = Vec::new();
    for arg in args {
        let a = arg.as_str();
        if options_done || a == "-" || !a.starts_with('-') {
            targets.push(a);
        } else if a == "--" {
            options_done = true;
        } else if a.starts_with("--") {
            recursive |= a == "--recursive";
            no_preserve_root |= a == "--no-preserve-root";
        } else {
            recursive |= a.contains(['r', 'R']);
        }
    }
    if !recursive {
        return None;
    }
    if no_preserve_root {
        return Some("/ (--no-preserve-root)");
    }
    targets.into_iter().find(|t| is_protected_path(t))
}

/// Root, a home directory or a top-level system directory, however written.
fn is_protected_path(target: &str) -> bool {
    let trimmed = target.trim();
    let base = trimmed.trim_end_matches(['*', '/', '.']);
    if base.is_empty() {
        // `/`, `/*`, `//`, `/.`: root. (A bare `*` or `.` is relative: not judged here.)
        return trimmed.starts_with('/');
    }
    const SYSTEM: [&str; 20] = [
        "~", "$HOME", "${HOME}", "/home", "/root", "/Users", "/usr", "/etc", "/var", "/bin",
        "/sbin", "/lib", "/lib64", "/boot", "/opt", "/srv", "/dev", "/sys", "/System", "/Library",
    ];
    if SYSTEM.contains(&base) {
        return true;
    }
    // `~alice`, `/home/alice`, `/Users/alice`
    if base.starts_with('~') && !base.contains('/') {
        return true;
    }
    ["/home/", "/Users/"].iter().any(|prefix| {
        base.strip_prefix(prefix)
            .is_some_and(|user| !user.is_empty() && !user.contains('/'))
    })
}

/// The mode argument of `chmod` when it makes files writable by every user.
fn world_writable_mode(args: &[String]) -> Option<&str> {
    let mode = args.iter().map(String::as_str).find(|a| {
        !a.starts_with("--") && !matches!(*a, "-R" | "-v" | "-f" | "-c" | "-h" | "-H" | "-L" | "-P")
    })?;
    let numeric = mode.len() <= 5 && !mode.is_empty() && mode.chars().all(|c| c.is_digit(8));
    if numeric {
        let value = u32::from_str_radix(mode, 8).ok()?;
        // Others may write, and not the sticky /tmp pattern (1777).
        return (value & 0o002 != 0 && value & 0o1000 == 0).then_some(mode);
    }
    let world = mode.split(',').any(|clause| {
        let who: String = clause.chars().take_while(|c| "ugoa".contains(*c)).collect();
        let rest = clause.get(who.len()..).unwrap_or_default();
        (who.contains('o') || who.contains('a'))
            && (rest.starts_with('+') || rest.starts_with('='))
            && rest.contains('w')
    });
    world.then_some(mode)
}

/// A `NAME=value` that turns TLS verification off.
fn tls_env(name: &str, value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    let off = match name {
        "GIT_SSL_NO_VERIFY" => !matches!(value.as_str(), "" | "0" | "false" | "no"),
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" => value == "0",
        "NPM_CONFIG_STRICT_SSL" => value == "false",
        _ => false,
    };
    off.then(|| format!("`{name}={value}` turns TLS certificate verification off"))
}

/// A command-line flag that turns TLS verification off.
fn tls_flag(command: &str, args: &[String]) -> Option<String> {
    /// curl's short options that take a value: a `k` after one of them is that value.
    const CURL_VALUED: &str = "AbcCdDeEFHKmoOPQrRtTuUwxXyYz";
    for arg in args {
        let a = arg.as_str();
        let flag = match a {
            "--insecure" | "--proxy-insecure" | "--doh-insecure" if command == "curl" => true,
            "--no-check-certificate"
            | "--insecure-skip-tls-verify"
            | "--no-verify-ssl"
            | "--skip-tls-verify"
            | "--trusted-host"
            | "--tls-verify=false"
            | "--strict-ssl=false"
            | "--insecure-skip-tls-verify=true" => true,
            _ if command == "curl" && a.starts_with('-') && !a.starts_with("--") => a
                .chars()
                .skip(1)
                .take_while(|c| !CURL_VALUED.contains(*c))
                .any(|c| c == 'k'),
            _ => false,
        };
        if flag {
            let shown: String = a.chars().take(40).collect();
            return Some(format!(
                "`{command} {shown}` turns TLS certificate verification off"
            ));
        }
    }
    // `npm config set strict-ssl false`, `yarn config set strict-ssl false`
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if let ["config", "set", "strict-ssl", "false", ..] = words[..] {
        return Some(format!(
            "`{command} config set strict-ssl false` turns TLS verification off"
        ));
    }
    None
}

/// Whether a git setting (`http.sslVerify`, `http.<url>.sslVerify`) turns TLS off.
fn git_disables_tls(setting: Option<(&str, &str)>) -> bool {
    setting.is_some_and(|(key, value)| {
        let key = key.to_ascii_lowercase();
        key.starts_with("http.")
            && key.ends_with(".sslverify")
            && matches!(
                value.to_ascii_lowercase().as_str(),
                "false" | "0" | "no" | "off"
            )
    })
}

/// The packages a command installs, each with its ecosystem.
fn package_installs(command: &Command) -> Vec<(&'static str, String)> {
    /// Options of the package managers below that take a value (not a package name).
    const VALUED: [&str; 33] = [
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "-f",
        "--find-links",
        "--trusted-host",
        "--platform",
        "--python-version",
        "--registry",
        "--tag",
        "-w",
        "--workspace",
        "--version",
        "--vers",
        "--git",
        "--branch",
        "--rev",
        "--path",
        "-F",
        "--features",
        "-n",
        "--channel",
        "--source",
    ];
    let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
    let (ecosystem, rest): (&'static str, &[&str]) = match (command.name.as_str(), &args[..]) {
        (n, ["-m", "pip", "install", rest @ ..]) if n.starts_with("python") => ("pypi", rest),
        ("pip" | "pip3" | "pipx" | "pipenv", ["install", rest @ ..])
        | ("uv", ["pip", "install", rest @ ..] | ["add", rest @ ..])
        | ("poetry", ["add", rest @ ..]) => ("pypi", rest),
        ("npm" | "pnpm" | "bun", ["install" | "i" | "add", rest @ ..])
        | ("yarn", ["add", rest @ ..] | ["global", "add", rest @ ..])
        | ("npx" | "bunx" | "pnpx", rest) => ("npm", rest),
        ("cargo", ["install" | "add", rest @ ..]) => ("crates", rest),
        ("go", ["install" | "get", rest @ ..]) => ("go", rest),
        ("gem", ["install", rest @ ..]) => ("rubygems", rest),
        ("apt" | "apt-get", ["install", rest @ ..]) => ("apt", rest),
        ("dnf" | "yum", ["install", rest @ ..]) => ("rpm", rest),
        ("apk", ["add", rest @ ..]) => ("apk", rest),
        ("brew", ["install", rest @ ..]) => ("homebrew", rest),
        ("conda" | "mamba", ["install", rest @ ..]) => ("conda", rest),
        ("composer", ["require", rest @ ..]) => ("packagist", rest),
        _ => return Vec::new(),
    };
    let runs_one = matches!(command.name.as_str(), "npx" | "bunx" | "pnpx");
    let mut packages = Vec::new();
    let mut skip_value = false;
    for arg in rest {
        if skip_value {
            skip_value = false;
            continue;
        }
        if arg.starts_with('-') {
            skip_value = VALUED.contains(arg);
            continue;
        }
        packages.push((ecosystem, (*arg).to_string()));
        if runs_one {
            break; // npx runs one package; the words after it are that package's arguments
        }
    }
    packages
}

/// Splits an install argument into the package name and the version written with it, by
/// the ecosystem's own syntax: `requests==2.32.3`, `flask[async]>=2` (Python, conda: the
/// requirement keeps its operator), `left-pad@1.3.0`, `@types/node@20` (npm), `serde@1.0`
/// (cargo), `golang.org/x/text@v0.3.0` (go), `jq=1.6` (apt, apk), `rails:7.0` (gem),
/// `vendor/pkg:^2.0` (composer). Homebrew's `python@3.12` is a formula name, kept whole.
fn split_version<'a>(ecosystem: &str, spec: &'a str) -> (&'a str, Option<&'a str>) {
    let (name, version) = match ecosystem {
        "pypi" | "conda" => {
            let end = spec
                .find(|c: char| "=<>!~[;@ ".contains(c))
                .unwrap_or(spec.len());
            let (name, mut rest) = spec.split_at(end);
            if rest.starts_with('[') {
                rest = rest.find(']').map_or("", |close| &rest[close + 1..]);
            }
            (name, rest.trim())
        }
        // A leading `@` starts an npm scope, not a version.
        "npm" => match spec.get(1..).and_then(|tail| tail.find('@')) {
            Some(at) => (&spec[..=at], &spec[at + 2..]),
            None => (spec, ""),
        },
        "crates" | "go" => spec.split_once('@').unwrap_or((spec, "")),
        "apt" | "apk" => spec.split_once('=').unwrap_or((spec, "")),
        "rubygems" | "packagist" => spec.split_once(':').unwrap_or((spec, "")),
        _ => (spec, ""),
    };
    (name, (!version.is_empty()).then_some(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_arguments_split_into_name_and_version() {
        for (ecosystem, spec, name, version) in [
            ("pypi", "requests==2.32.3", "requests", Some("==2.32.3")),
            ("pypi", "flask[async]>=2", "flask", Some(">=2")),
            ("pypi", "httpx", "httpx", None),
            ("pypi", "pkg[extra]", "pkg", None),
            ("conda", "numpy=1.26", "numpy", Some("=1.26")),
            ("npm", "left-pad@1.3.0", "left-pad", Some("1.3.0")),
            ("npm", "@types/node@20", "@types/node", Some("20")),
            ("npm", "@types/node", "@types/node", None),
            ("crates", "serde@1.0", "serde", Some("1.0")),
            (
                "go",
                "golang.org/x/text@v0.3.0",
                "golang.org/x/text",
                Some("v0.3.0"),
            ),
            ("apt", "jq=1.6", "jq", Some("1.6")),
            ("rubygems", "rails:7.0", "rails", Some("7.0")),
            ("packagist", "vendor/pkg:^2.0", "vendor/pkg", Some("^2.0")),
            ("homebrew", "python@3.12", "python@3.12", None),
            ("npm", "x@", "x", None),
        ] {
            assert_eq!(split_version(ecosystem, spec), (name, version), "{spec}");
        }
    }

    fn texts(line: &str) -> Vec<(&str, Op)> {
        split_commands(line)
            .into_iter()
            .map(|s| (&line[s.span.start..s.span.end], s.op))
            .collect()
    }

    #[test]
    fn splits_on_unquoted_operators_only() {
        let got = texts("curl -s x | sh && echo 'a;b|c' ; ls \"d&&e\"\nwhoami");
        let just: Vec<&str> = got.iter().map(|(t, _)| t.trim()).collect();
        assert_eq!(
            just,
            ["curl -s x", "sh", "echo 'a;b|c'", "ls \"d&&e\"", "whoami"]
        );
        assert_eq!(got[1].1, Op::Pipe);
        assert_eq!(got[2].1, Op::Sequence);
    }

    #[test]
    fn redirections_comments_and_substitutions_do_not_split() {
        let just: Vec<String> = texts("make 2>&1 >/dev/null &> log # ; rm -rf /\necho $(a | b)")
            .into_iter()
            .map(|(t, _)| t.trim().to_string())
            .collect();
        // The comment stays in its command (shlex drops it); its `;` split nothing.
        assert_eq!(
            just,
            ["make 2>&1 >/dev/null &> log # ; rm -rf /", "echo $(a | b)"]
        );
        assert_eq!(substitutions("echo $(a | b) `c` '$(d)'"), ["a | b", "c"]);
    }

    #[test]
    fn peels_wrappers_and_assignments() {
        let words = shlex::split("sudo -u root env -i A=1 nohup /usr/bin/RM -rf /").unwrap();
        let c = Command::from_words(words).unwrap();
        assert_eq!(c.name, "rm");
        assert_eq!(c.args, ["-rf", "/"]);
        assert_eq!(c.env, [("A".to_string(), "1".to_string())]);
        assert!(Command::from_words(vec!["sudo".into()]).is_none());
    }

    #[test]
    fn protected_paths() {
        for p in [
            "/",
            "/*",
            "//",
            "~",
            "~/",
            "~/*",
            "$HOME",
            "${HOME}/",
            "/home/bob",
            "/etc/",
            "~bob",
        ] {
            assert!(is_protected_path(p), "{p}");
        }
        for p in [
            "*",
            ".",
            "./build",
            "/home/bob/project",
            "/tmp/x",
            "target",
            "~/src/app",
        ] {
            assert!(!is_protected_path(p), "{p}");
        }
    }

    #[test]
    fn world_writable_modes() {
        let modes = |m: &str| world_writable_mode(&["-R".to_string(), m.to_string()]).is_some();
        for m in ["777", "0777", "666", "a+rwx", "o+w", "u+x,o=rw"] {
            assert!(modes(m), "{m}");
        }
        for m in ["755", "644", "1777", "u+rwx", "+x", "go-w", "a+r"] {
            assert!(!modes(m), "{m}");
        }
    }
}
