//! Exports of the observe state, built as payloads (the host sends them; the core does no
//! I/O): OTLP JSON traces and metrics following the OpenTelemetry GenAI semantic
//! conventions, Prometheus text exposition, and a JSON snapshot of the operations view.

mod otlp;
mod prometheus;
mod snapshot;

pub use otlp::{otlp_metrics_json, otlp_traces_json, TraceExport};
pub use prometheus::{prometheus_text, PROMETHEUS_CONTENT_TYPE};
pub use snapshot::{snapshot, snapshot_json, OperationsView};
