//! Load and compile errors that point at the policy path and line.

use std::fmt;

/// One problem in a policy: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyIssue {
    /// Dotted path into the document, e.g. `rules[2].regex`.
    pub path: String,
    /// 1-based line in the source, where known.
    pub line: Option<usize>,
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// A fix to try ("did you mean `keywords`?").
    pub hint: Option<String>,
}

impl fmt::Display for PolicyIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if self.path.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.path, self.message)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// A policy that failed to load: every problem found, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy: {}", summary(.issues))]
pub struct PolicyError {
    issues: Vec<PolicyIssue>,
}

fn summary(issues: &[PolicyIssue]) -> String {
    let shown: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    shown.join("; ")
}

impl PolicyError {
    pub(crate) fn new(issues: Vec<PolicyIssue>) -> PolicyError {
        PolicyError { issues }
    }

    /// Every problem, in document order where lines are known.
    pub fn issues(&self) -> &[PolicyIssue] {
        &self.issues
    }
}

/// Collects problems while a policy section is validated or compiled.
///
/// Sections report paths relative to the document root (`content.secrets.allowlist[2]`);
/// the loader fills in the line numbers afterwards.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    issues: Vec<PolicyIssue>,
}

impl Diagnostics {
    /// Records an error at `path`.
    pub fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(PolicyIssue {
            path: path.into(),
            line: None,
            message: message.into(),
            hint: None,
        });
    }

    /// Records an error at `path` with a hint on how to fix it.
    pub fn error_with_hint(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.issues.push(PolicyIssue {
            path: path.into(),
            line: None,
            message: message.into(),
            hint: Some(hint.into()),
        });
    }

    /// Whether nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// The problems reported so far.
    pub fn into_issues(self) -> Vec<PolicyIssue> {
        self.issues
    }
}
