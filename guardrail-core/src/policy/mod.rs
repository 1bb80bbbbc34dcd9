//! The policy document: one YAML (or JSON) document that declares the whole stack.

mod diagnostics;

pub(crate) use diagnostics::Diagnostics;
pub use diagnostics::{PolicyError, PolicyIssue};
