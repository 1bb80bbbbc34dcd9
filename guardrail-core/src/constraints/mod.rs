//! Layer 1, prompt and tool constraints: what may reach the model (injection, hidden text,
//! size limits) and what the model may ask a tool to do (registry, schemas, endpoints, SQL,
//! shell).

pub(crate) mod injection;
pub mod limits;

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
}
