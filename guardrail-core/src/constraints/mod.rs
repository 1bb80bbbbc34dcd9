//! Layer 1, prompt and tool constraints: what may reach the model (injection, hidden text,
//! size limits) and what the model may ask a tool to do (registry, schemas, endpoints, SQL,
//! shell).

pub(crate) mod injection;
pub mod limits;
pub mod tools;

pub use injection::{ChannelThresholds, InjectionConfig, InjectionScanner, InjectionScannerError};

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
    /// Prompt-injection, jailbreak and hidden-text detection on prompts and tool results.
    pub injection: InjectionConfig,
}

impl ConstraintsPolicy {
    /// Builds the constraints layer's text detectors, reporting problems at their paths.
    pub(crate) fn compile(&self, diags: &mut Diagnostics, detectors: &mut Vec<Box<dyn Detector>>) {
        self.limits.validate(diags);
        let valid = self.injection.validate("constraints.injection", diags);
        if self.injection.enabled && valid {
            match injection::InjectionDetector::new(&self.injection) {
                Ok(d) => detectors.push(Box::new(d)),
                Err(e) => diags.error("constraints.injection", e.to_string()),
            }
        }
    }

    /// Builds the tool registry that checks `tool_call` events.
    pub(crate) fn compile_tools(&self, diags: &mut Diagnostics) -> tools::Tools {
        tools::Tools::compile(&self.tools, "constraints.tools", diags)
    }
}
