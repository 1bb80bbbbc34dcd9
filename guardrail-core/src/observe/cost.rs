//! Cost per LLM call from a model price table.
//!
//! The table uses LiteLLM's price-map field names (USD per token), so a host can paste entries
//! from that map into the policy. The built-in table (`prices.json`) is dated and versioned;
//! every computed cost is recorded with the table version so historical spend can be
//! re-derived.

use super::FastMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prompts longer than this use the `*_above_200k_tokens` rates where a model has them.
const TIER_THRESHOLD_TOKENS: u64 = 200_000;

/// The built-in table, compiled into the library.
const BUILTIN_PRICES: &str = include_str!("prices.json");

/// The price of one model, in LiteLLM's price-map format (USD per token). Other LiteLLM keys
/// (`max_tokens`, `supports_*`, ...) are accepted and ignored, so entries can be pasted as they
/// are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ModelPrice {
    /// USD per input token that is neither read from nor written to the prompt cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_cost_per_token: Option<f64>,
    /// USD per output token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_cost_per_token: Option<f64>,
    /// USD per input token read from the prompt cache (the input rate when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_token_cost: Option<f64>,
    /// USD per input token written to the prompt cache (the input rate when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_token_cost: Option<f64>,
    /// Input rate when the prompt exceeds 200k tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_cost_per_token_above_200k_tokens: Option<f64>,
    /// Output rate when the prompt exceeds 200k tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_cost_per_token_above_200k_tokens: Option<f64>,
    /// Cache-read rate when the prompt exceeds 200k tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_token_cost_above_200k_tokens: Option<f64>,
    /// Cache-write rate when the prompt exceeds 200k tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_token_cost_above_200k_tokens: Option<f64>,
    /// The provider (`openai`, `anthropic`, `gemini`, ...); informational.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub litellm_provider: Option<String>,
    /// Any other LiteLLM key; kept, not used.
    #[serde(flatten)]
    #[schemars(skip)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl ModelPrice {
    /// Every rate field with its name, to validate them in one place.
    fn rates(&self) -> [(&'static str, Option<f64>); 8] {
        [
            ("input_cost_per_token", self.input_cost_per_token),
            ("output_cost_per_token", self.output_cost_per_token),
            (
                "cache_read_input_token_cost",
                self.cache_read_input_token_cost,
            ),
            (
                "cache_creation_input_token_cost",
                self.cache_creation_input_token_cost,
            ),
            (
                "input_cost_per_token_above_200k_tokens",
                self.input_cost_per_token_above_200k_tokens,
            ),
            (
                "output_cost_per_token_above_200k_tokens",
                self.output_cost_per_token_above_200k_tokens,
            ),
            (
                "cache_read_input_token_cost_above_200k_tokens",
                self.cache_read_input_token_cost_above_200k_tokens,
            ),
            (
                "cache_creation_input_token_cost_above_200k_tokens",
                self.cache_creation_input_token_cost_above_200k_tokens,
            ),
        ]
    }

    /// The first rate that is negative or not a number, if any.
    pub(crate) fn invalid_rate(&self) -> Option<&'static str> {
        self.rates()
            .into_iter()
            .find(|(_, r)| r.is_some_and(|r| !r.is_finite() || r < 0.0))
            .map(|(name, _)| name)
    }
}

/// Token counts of one call, as the `llm_usage` event reports them (input includes cached).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

/// The compiled price table: built-in entries, then the policy's overrides and extensions.
#[derive(Debug, Clone)]
pub(crate) struct PriceTable {
    version: String,
    models: FastMap<String, ModelPrice>,
}

#[derive(Deserialize)]
struct BuiltinFile {
    price_table_version: String,
    models: BTreeMap<String, ModelPrice>,
}

impl PriceTable {
    /// The built-in table with `overrides` laid over it. `version` names the result when the
    /// policy changed prices (the built-in version plus the policy's label).
    pub(crate) fn build(
        overrides: &BTreeMap<String, ModelPrice>,
        label: Option<&str>,
    ) -> PriceTable {
        // The built-in file is checked by a unit test; a broken build would give an empty
        // table (every cost then comes from the events or the overrides) rather than a panic.
        let builtin: BuiltinFile = serde_json::from_str(BUILTIN_PRICES).unwrap_or(BuiltinFile {
            price_table_version: "none".into(),
            models: BTreeMap::new(),
        });
        let mut models: FastMap<String, ModelPrice> = builtin.models.into_iter().collect();
        for (name, price) in overrides {
            // LiteLLM's map documents its own format under this key.
            if name != "sample_spec" {
                models.insert(name.clone(), price.clone());
            }
        }
        let version = match (overrides.is_empty(), label) {
            (true, _) => builtin.price_table_version,
            (false, Some(l)) => format!("{}+{l}", builtin.price_table_version),
            (false, None) => format!("{}+policy", builtin.price_table_version),
        };
        PriceTable { version, models }
    }

    /// The table's version, recorded with every computed cost.
    pub(crate) fn version(&self) -> &str {
        &self.version
    }

    /// Number of priced models.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.models.len()
    }

    /// The price of `model`: the exact id, then without a `provider/` prefix, then with the
    /// event's provider as prefix, then without a trailing release date (`-20250929`,
    /// `-2024-08-06`, `@20250929`).
    pub(crate) fn lookup(&self, model: &str, provider: Option<&str>) -> Option<&ModelPrice> {
        if let Some(p) = self.models.get(model) {
            return Some(p);
        }
        let bare = model.rsplit_once('/').map_or(model, |(_, m)| m);
        if let Some(p) = self.models.get(bare) {
            return Some(p);
        }
        if let Some(provider) = provider {
            if let Some(p) = self.models.get(&format!("{provider}/{model}")) {
                return Some(p);
            }
        }
        let undated = strip_date_suffix(bare);
        if undated.len() < bare.len() {
            return self.models.get(undated);
        }
        None
    }

    /// Cost in USD of one call, or `None` when the model has no price.
    pub(crate) fn cost(&self, model: &str, provider: Option<&str>, usage: Usage) -> Option<f64> {
        self.lookup(model, provider).map(|p| cost_of(p, usage))
    }
}

/// `model` without a trailing release date.
fn strip_date_suffix(model: &str) -> &str {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    // -YYYYMMDD or @YYYYMMDD
    if let Some((head, tail)) = model.rsplit_once(['-', '@']) {
        if digits(tail, 8) {
            return head;
        }
    }
    // -YYYY-MM-DD
    let parts: Vec<&str> = model.rsplitn(4, '-').collect();
    if let [d, m, y, head] = parts.as_slice() {
        if digits(d, 2) && digits(m, 2) && digits(y, 4) {
            return head;
        }
    }
    model
}

/// The cost formula of CONVENTIONS d: uncached input, cache reads and cache writes at their
/// own rates (the input rate where a model has none), output at the output rate; the
/// `above_200k` rates apply to the whole call when the prompt exceeds 200k tokens.
pub(crate) fn cost_of(p: &ModelPrice, u: Usage) -> f64 {
    let above = u.input > TIER_THRESHOLD_TOKENS;
    let tier = |base: Option<f64>, high: Option<f64>| if above { high.or(base) } else { base };
    let input = tier(
        p.input_cost_per_token,
        p.input_cost_per_token_above_200k_tokens,
    )
    .unwrap_or(0.0);
    let output = tier(
        p.output_cost_per_token,
        p.output_cost_per_token_above_200k_tokens,
    )
    .unwrap_or(0.0);
    let read = tier(
        p.cache_read_input_token_cost,
        p.cache_read_input_token_cost_above_200k_tokens,
    )
    .unwrap_or(input);
    let write = tier(
        p.cache_creation_input_token_cost,
        p.cache_creation_input_token_cost_above_200k_tokens,
    )
    .unwrap_or(input);
    // Hosts sometimes report cached tokens larger than the total; never count below zero.
    let cache_read = u.cache_read.min(u.input);
    let cache_write = u.cache_write.min(u.input - cache_read);
    let uncached = u.input - cache_read - cache_write;
    uncached as f64 * input
        + cache_read as f64 * read
        + cache_write as f64 * write
        + u.output as f64 * output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PriceTable {
        PriceTable::build(&BTreeMap::new(), None)
    }

    #[test]
    fn builtin_table_parses_and_is_dated() {
        let t = table();
        assert!(t.len() >= 20, "{} models", t.len());
        assert_eq!(t.version().len(), 10, "{}", t.version());
        for (name, p) in &t.models {
            assert_eq!(p.invalid_rate(), None, "{name}");
            assert!(p.input_cost_per_token.is_some(), "{name}");
        }
    }

    #[test]
    fn cost_uses_cache_rates_and_subtracts_cached_tokens() {
        let t = table();
        let u = Usage {
            input: 10_000,
            output: 1_000,
            cache_read: 6_000,
            cache_write: 2_000,
        };
        // claude-sonnet-4-5: in 3e-6, out 15e-6, read 0.3e-6, write 3.75e-6
        let expected = 2_000.0 * 3e-6 + 6_000.0 * 0.3e-6 + 2_000.0 * 3.75e-6 + 1_000.0 * 15e-6;
        let got = t.cost("claude-sonnet-4-5", None, u).unwrap();
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
    }

    #[test]
    fn long_prompts_use_the_upper_tier() {
        let t = table();
        let u = Usage {
            input: 300_000,
            output: 1_000,
            ..Usage::default()
        };
        let got = t.cost("claude-sonnet-4-5", None, u).unwrap();
        let expected = 300_000.0 * 6e-6 + 1_000.0 * 22.5e-6;
        assert!((got - expected).abs() < 1e-9);
        // A model without a tier keeps its base rate.
        let mini = t.cost("gpt-4o-mini", None, u).unwrap();
        assert!((mini - (300_000.0 * 0.15e-6 + 1_000.0 * 0.6e-6)).abs() < 1e-9);
    }

    #[test]
    fn lookup_strips_provider_prefixes_and_dates() {
        let t = table();
        for name in [
            "claude-sonnet-4-5-20250929",
            "anthropic/claude-sonnet-4-5",
            "claude-sonnet-4-5@20250929",
        ] {
            assert!(t.lookup(name, None).is_some(), "{name}");
        }
        assert!(t.lookup("gpt-4o-2024-08-06", None).is_some());
        assert!(t.lookup("gpt-4o-mini-2024-07-18", None).is_some());
        assert!(t.lookup("no-such-model", None).is_none());
        assert!(t.lookup("", None).is_none());
        assert!(t.lookup("-", None).is_none());
    }

    #[test]
    fn overrides_replace_and_extend_and_change_the_version() {
        let mut o = BTreeMap::new();
        o.insert(
            "my-model".to_string(),
            ModelPrice {
                input_cost_per_token: Some(1e-6),
                output_cost_per_token: Some(2e-6),
                ..ModelPrice::default()
            },
        );
        o.insert("sample_spec".to_string(), ModelPrice::default());
        let t = PriceTable::build(&o, Some("acme-2026-01"));
        assert!(t.version().ends_with("+acme-2026-01"));
        let u = Usage {
            input: 1000,
            output: 1000,
            ..Usage::default()
        };
        assert!((t.cost("my-model", None, u).unwrap() - 3e-3).abs() < 1e-12);
        assert!(t.lookup("sample_spec", None).is_none());
    }

    #[test]
    fn litellm_entries_paste_verbatim() {
        let json = r#"{"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
            "litellm_provider": "anthropic", "mode": "chat", "max_tokens": 64000,
            "supports_vision": true, "deprecation_date": "2026-10-01"}"#;
        let p: ModelPrice = serde_json::from_str(json).unwrap();
        assert_eq!(p.input_cost_per_token, Some(3e-6));
        assert!(p.other.contains_key("supports_vision"));
    }

    #[test]
    fn cached_tokens_above_the_total_do_not_underflow() {
        let p = ModelPrice {
            input_cost_per_token: Some(1.0),
            cache_read_input_token_cost: Some(0.5),
            ..ModelPrice::default()
        };
        let c = cost_of(
            &p,
            Usage {
                input: 10,
                output: 0,
                cache_read: 50,
                cache_write: 50,
            },
        );
        assert!((c - 5.0).abs() < 1e-12);
    }
}
