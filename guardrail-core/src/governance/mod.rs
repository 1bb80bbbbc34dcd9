//! Layer 5, governance: agent registry, access boundaries, budgets, showback and the audit
//! chain.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `governance` section of the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GovernancePolicy {}
