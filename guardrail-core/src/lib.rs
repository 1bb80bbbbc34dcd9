//! # guardrail-core
//!
//! The zero-I/O engine of the Guardrail Stack: five layers of evaluators (constraints,
//! content, observe, gates, governance) that look at what an autonomous agent is doing and
//! return one decision: allow, redact, escalate or block.
//!
//! ## Example
//!
//! ```
//! use guardrail_core::{Action, Guard, Policy, State, event::Event};
//!
//! let policy = Policy::from_yaml(r#"
//! version: 1
//! rules:
//!   - id: internal_hosts
//!     regex: '\b[a-z0-9-]+\.corp\.internal\b'
//!     keywords: [.corp.internal]
//!     action: redact
//!     message: internal host name
//! "#)?;
//! let guard = Guard::builder().build(&policy)?;
//! let state = State::new();
//!
//! let event = Event::from_json(br#"{"type": "model_output", "ts": "2026-11-23T10:15:02Z",
//!     "text": "connect to db7.corp.internal"}"#)?;
//! let decision = guard.evaluate(&event, &state);
//! assert_eq!(decision.enforced, Action::Redact);
//! assert_eq!(decision.text.as_deref(), Some("connect to [REDACTED:internal_hosts]"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Untrusted input
//!
//! Events, texts and policies may come from anyone. Parsing never panics; every scan is
//! linear in its input (the `regex` and `aho-corasick` crates guarantee it); policy regexes
//! have a compiled size limit; payloads over the policy's size limits are blocked unread.
//!
//! ## Panics
//!
//! No public function panics on input. Evaluators run under `catch_unwind`: a panic becomes a
//! `guardrail.internal_error` finding under the layer's fail mode (closed by default).
//!
//! ## Thread safety
//!
//! [`Guard`], [`Policy`] and [`State`] are `Send + Sync`. Build a guard once, share it; keep one
//! state per process (or share counters across processes with a [`CounterStore`]).
//!
//! ## No I/O
//!
//! The core reads no clock, file, network or environment variable and spawns no thread: time
//! comes in on events, policies come in as text.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod decision;
pub mod event;
pub mod guard;
pub mod interop;
pub mod policy;
pub mod scan;
pub mod state;
pub mod stream;
mod util;

pub mod constraints;
pub mod content;
pub mod gates;
pub mod governance;
pub mod observe;

pub use decision::{Action, Decision, Finding, GateRequest, Layer, Package, Severity, Span};
pub use event::{Event, EventError, EventKind, Timestamp};
pub use guard::{BuildError, Evaluator, EvaluatorError, Guard, GuardBuilder};
pub use policy::{Policy, PolicyError, PolicyIssue};
pub use scan::Channel;
pub use state::{CounterStore, MemoryStore, State, StateSnapshot};
pub use stream::{StreamChunk, TextStream};
