//! # guardrail-core
//!
//! The zero-I/O engine of the Guardrail Stack: five layers of evaluators (constraints,
//! content, observe, gates, governance) that look at what an autonomous agent is doing and
//! return one decision: allow, redact, escalate or block.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod decision;
pub mod event;
pub mod policy;
pub mod scan;
mod util;

pub mod constraints;
pub mod content;
pub mod gates;
pub mod governance;
pub mod observe;

pub use decision::{Action, Decision, Finding, GateRequest, Layer, Severity, Span};
pub use policy::{PolicyError, PolicyIssue};
pub use scan::Channel;
