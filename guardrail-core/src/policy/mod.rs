//! The policy document: one YAML (or JSON) document that declares the whole stack.

mod diagnostics;

pub use diagnostics::{PolicyError, PolicyIssue};
pub(crate) use diagnostics::Diagnostics;
