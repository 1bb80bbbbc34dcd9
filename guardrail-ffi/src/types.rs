//! The enums of the ABI: actions, severities, layers and channels as C integers.

use crate::error::{guardrail_status, Failure};
use guardrail_core::{Action, Channel, Layer, Severity};

/// What the host should do with an event, least to most severe: the numeric order is the
/// severity order, so the larger of two actions is the one to carry out.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum guardrail_action {
    /// Let it through unchanged.
    Allow = 0,
    /// Let it through with the findings' spans replaced.
    Redact = 1,
    /// Hold it until a human approves (the decision's JSON carries the gate).
    Escalate = 2,
    /// Stop it.
    Block = 3,
}

impl From<Action> for guardrail_action {
    fn from(a: Action) -> guardrail_action {
        match a {
            Action::Allow => guardrail_action::Allow,
            Action::Redact => guardrail_action::Redact,
            Action::Escalate => guardrail_action::Escalate,
            Action::Block => guardrail_action::Block,
        }
    }
}

/// How bad a finding is.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum guardrail_severity {
    /// Worth recording.
    Info = 0,
    /// Minor.
    Low = 1,
    /// Worth a look.
    Medium = 2,
    /// Likely harmful.
    High = 3,
    /// Harmful with certainty.
    Critical = 4,
}

impl From<Severity> for guardrail_severity {
    fn from(s: Severity) -> guardrail_severity {
        match s {
            Severity::Info => guardrail_severity::Info,
            Severity::Low => guardrail_severity::Low,
            Severity::Medium => guardrail_severity::Medium,
            Severity::High => guardrail_severity::High,
            Severity::Critical => guardrail_severity::Critical,
        }
    }
}

/// The layer that reported a finding.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum guardrail_layer {
    /// Prompt and tool constraints.
    Constraints = 0,
    /// Runtime content policy.
    Content = 1,
    /// Observability.
    Observe = 2,
    /// Human gates.
    Gates = 3,
    /// Governance.
    Governance = 4,
}

impl From<Layer> for guardrail_layer {
    fn from(l: Layer) -> guardrail_layer {
        match l {
            Layer::Constraints => guardrail_layer::Constraints,
            Layer::Content => guardrail_layer::Content,
            Layer::Observe => guardrail_layer::Observe,
            Layer::Gates => guardrail_layer::Gates,
            Layer::Governance => guardrail_layer::Governance,
        }
    }
}

/// Where a text travels; detectors and thresholds are chosen per channel. Functions take it
/// as a `uint32_t` and refuse other values with GUARDRAIL_STATUS_INVALID_ARGUMENT.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum guardrail_channel {
    /// A user's prompt.
    User = 0,
    /// A system or developer prompt.
    System = 1,
    /// Text the model produced.
    ModelOutput = 2,
    /// A string argument of a tool call.
    ToolArgs = 3,
    /// A tool's result (untrusted: the path of indirect injection).
    ToolOutput = 4,
}

impl From<Channel> for guardrail_channel {
    fn from(c: Channel) -> guardrail_channel {
        match c {
            Channel::User => guardrail_channel::User,
            Channel::System => guardrail_channel::System,
            Channel::ModelOutput => guardrail_channel::ModelOutput,
            Channel::ToolArgs => guardrail_channel::ToolArgs,
            Channel::ToolOutput => guardrail_channel::ToolOutput,
        }
    }
}

/// The core channel for a C channel number.
pub(crate) fn channel_from(value: u32) -> Result<Channel, Failure> {
    Channel::ALL
        .into_iter()
        .find(|&c| guardrail_channel::from(c) as u32 == value)
        .ok_or_else(|| {
            Failure::new(
                guardrail_status::InvalidArgument,
                format!("unknown channel {value}: use a GUARDRAIL_CHANNEL_* value (0 to 4)"),
            )
        })
}
