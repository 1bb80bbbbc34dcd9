//! The `content.pii` section of the policy.

use crate::decision::Action;
use crate::scan::Channel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// PII detection: which entities, how sure a match must be, and what to do with it.
///
/// ```yaml
/// content:
///   pii:
///     action: redact
///     min_confidence: 0.5
///     entities:
///       credit_card: { action: block }
///       ip_address: { enabled: false }
///     context_words:
///       us_ssn: ["employee number"]
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PiiConfig {
    /// Whether PII detection runs at all.
    pub enabled: bool,
    /// Channels whose texts are scanned. Default: every channel.
    pub channels: Vec<Channel>,
    /// The action for a PII finding unless the entity sets its own.
    pub action: Action,
    /// The confidence (0 to 1) a match needs to be reported, unless the entity sets its own.
    /// Context words near a match raise its confidence.
    pub min_confidence: f64,
    /// Per-entity settings, keyed by entity name (`email`, `phone`, `credit_card`, `us_ssn`,
    /// `iban`, `ip_address`, `mac_address`, `url_credentials`, `date_of_birth`, `us_passport`,
    /// `us_driver_license`, `uk_nhs`, `uk_nino`, `ca_sin`, `in_aadhaar`, `in_pan`, `es_nif`,
    /// `es_nie`, `it_fiscal_code`, `de_tax_id`, `crypto_wallet`, `person`, `address`).
    pub entities: BTreeMap<String, EntityConfig>,
    /// Extra context words per entity name, added to the built-in ones (case-insensitive,
    /// whole words).
    pub context_words: BTreeMap<String, Vec<String>>,
    /// How many bytes before a match a context word may end (after the match: half of it).
    pub context_window: usize,
    /// How much a context word near a match adds to its confidence.
    pub context_boost: f64,
}

/// Settings of one entity; unset fields fall back to the section's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EntityConfig {
    /// Whether this entity is detected (default: true).
    pub enabled: Option<bool>,
    /// The confidence a match of this entity needs.
    pub min_confidence: Option<f64>,
    /// The action for a match of this entity.
    pub action: Option<Action>,
}

impl Default for PiiConfig {
    fn default() -> PiiConfig {
        PiiConfig {
            enabled: true,
            channels: Channel::ALL.to_vec(),
            action: Action::Redact,
            min_confidence: 0.5,
            entities: BTreeMap::new(),
            context_words: BTreeMap::new(),
            context_window: 48,
            context_boost: 0.35,
        }
    }
}
