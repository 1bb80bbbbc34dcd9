//! Layer 1, prompt and tool constraints: what may reach the model (injection, hidden text,
//! size limits) and what the model may ask a tool to do (registry, schemas, endpoints, SQL,
//! shell).

pub mod limits;
pub mod tools;

use crate::policy::Diagnostics;
use crate::scan::Detector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `constraints` section of the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConstraintsPolicy {
    /// Size limits on what agents send and receive.
    pub limits: limits::LimitsPolicy,
    /// The tool registry: every tool with its JSON Schema, and which arguments are URLs,
    /// SQL or shell commands.
    pub tools: tools::ToolsConfig,
}

impl ConstraintsPolicy {
    /// Builds the constraints layer's text detectors, reporting problems at their paths.
    pub(crate) fn compile(&self, diags: &mut Diagnostics, _detectors: &mut Vec<Box<dyn Detector>>) {
        self.limits.validate(diags);
    }

    /// Builds the tool registry that checks `tool_call` events.
    pub(crate) fn compile_tools(&self, diags: &mut Diagnostics) -> tools::Tools {
        tools::Tools::compile(&self.tools, "constraints.tools", diags)
    }
}
