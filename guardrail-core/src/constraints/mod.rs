//! Layer 1, prompt and tool constraints: what may reach the model (injection, hidden text,
//! size limits) and what the model may ask a tool to do (registry, schemas, endpoints, SQL,
//! shell).

pub(crate) mod injection;

pub use injection::{ChannelThresholds, InjectionConfig, InjectionScanner, InjectionScannerError};
