//! Layer 2, runtime content policy: secrets, PII, safety, custom rules, and the redaction
//! operators they share.

pub(crate) mod custom;
pub mod pii;
pub mod redact;
pub mod safety;

use crate::policy::Diagnostics;
use crate::scan::Detector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `content` section of the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ContentPolicy {
    /// How redacted spans are replaced, unless an override says otherwise.
    pub redaction: redact::RedactionPolicy,
    /// PII detection: entities, confidence thresholds, context words, actions.
    pub pii: pii::PiiConfig,
    /// Safety classification: lexical categories, thresholds and actions.
    pub safety: safety::SafetyConfig,
}

impl ContentPolicy {
    /// Builds the content layer's detectors, reporting problems at their policy paths.
    pub(crate) fn compile(&self, diags: &mut Diagnostics, detectors: &mut Vec<Box<dyn Detector>>) {
        if self.pii.enabled {
            if let Some(d) = pii::compile(&self.pii, diags, "content.pii") {
                detectors.push(Box::new(d));
            }
        }
        if self.safety.enabled {
            if let Some(d) = safety::compile(&self.safety, diags, "content.safety") {
                detectors.push(Box::new(d));
            }
        }
    }
}
