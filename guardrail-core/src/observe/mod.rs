//! Layer 3, observability: traces, cost, aggregates, failure and drift detectors, SLOs and
//! exports.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `observe` section of the policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ObservePolicy {}
