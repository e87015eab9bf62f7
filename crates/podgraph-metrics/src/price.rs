//! LLM prices per model, for the cost metric.

use std::collections::BTreeMap;

use podgraph_core::provider::TokenUsage;
use serde::{Deserialize, Serialize};

use crate::error::{MetricsError, Result};

/// The price of one model in US dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawModelPrice")]
pub struct ModelPrice {
    input_usd_per_million_tokens: f64,
    output_usd_per_million_tokens: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModelPrice {
    input_usd_per_million_tokens: f64,
    output_usd_per_million_tokens: f64,
}

impl TryFrom<RawModelPrice> for ModelPrice {
    type Error = MetricsError;

    fn try_from(raw: RawModelPrice) -> Result<Self> {
        Self::new(
            raw.input_usd_per_million_tokens,
            raw.output_usd_per_million_tokens,
        )
    }
}

impl ModelPrice {
    /// Creates a price from US dollars per million input (prompt) and output
    /// (completion) tokens.
    ///
    /// # Errors
    /// `InvalidConfig` when a price is negative, infinite or NaN.
    pub fn new(
        input_usd_per_million_tokens: f64,
        output_usd_per_million_tokens: f64,
    ) -> Result<Self> {
        for (field, value) in [
            ("input_usd_per_million_tokens", input_usd_per_million_tokens),
            (
                "output_usd_per_million_tokens",
                output_usd_per_million_tokens,
            ),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(MetricsError::InvalidConfig {
                    field: field.to_owned(),
                    reason: format!("is {value}; expected a finite price of 0 or more"),
                });
            }
        }
        Ok(Self {
            input_usd_per_million_tokens,
            output_usd_per_million_tokens,
        })
    }

    /// US dollars per million input tokens.
    pub fn input_usd_per_million_tokens(&self) -> f64 {
        self.input_usd_per_million_tokens
    }

    /// US dollars per million output tokens.
    pub fn output_usd_per_million_tokens(&self) -> f64 {
        self.output_usd_per_million_tokens
    }

    /// Computes the cost of `usage` in US dollars.
    pub fn cost(&self, usage: TokenUsage) -> f64 {
        // Token counts up to 2^53 convert exactly, far beyond any real request.
        let input = usage.input_tokens as f64 * self.input_usd_per_million_tokens;
        let output = usage.output_tokens as f64 * self.output_usd_per_million_tokens;
        (input + output) / 1_000_000.0
    }
}

/// Prices by model name, as the model is named in completion requests.
///
/// The table starts empty: podgraph ships no prices because providers change them.
/// Requests for a model without a price are counted in
/// `podgraph_llm_unpriced_requests_total` instead of being priced at zero. Names match
/// exactly; list every model version you use.
///
/// In TOML, the table maps model names to prices:
///
/// ```toml
/// [llm_prices."gpt-4o-mini"]
/// input_usd_per_million_tokens = 0.15
/// output_usd_per_million_tokens = 0.60
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PriceTable {
    models: BTreeMap<String, ModelPrice>,
}

impl PriceTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the price of `model`, replacing any earlier price.
    pub fn insert(&mut self, model: impl Into<String>, price: ModelPrice) {
        self.models.insert(model.into(), price);
    }

    /// Returns the table with the price of `model` set.
    #[must_use]
    pub fn with_price(mut self, model: impl Into<String>, price: ModelPrice) -> Self {
        self.insert(model, price);
        self
    }

    /// The price of `model`, if the table has one.
    pub fn get(&self, model: &str) -> Option<ModelPrice> {
        self.models.get(model).copied()
    }

    /// Computes the cost of `usage` on `model` in US dollars, or `None` when the model has
    /// no price.
    pub fn cost(&self, model: &str, usage: TokenUsage) -> Option<f64> {
        self.get(model).map(|price| price.cost(usage))
    }

    /// Whether the table has no prices.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input_tokens: u64, output_tokens: u64) -> TokenUsage {
        TokenUsage {
            input_tokens,
            output_tokens,
        }
    }

    #[test]
    fn cost_uses_both_prices() {
        let price = ModelPrice::new(0.5, 2.0).expect("valid price");
        let cost = price.cost(usage(2_000_000, 500_000));
        assert!((cost - 2.0).abs() < 1e-12, "{cost}");
    }

    #[test]
    fn unknown_model_has_no_cost() {
        let table = PriceTable::new().with_price("a", ModelPrice::new(1.0, 1.0).expect("valid"));
        assert_eq!(table.cost("b", usage(1, 1)), None);
        assert!(table.cost("a", usage(1_000_000, 0)).is_some());
    }

    #[test]
    fn invalid_prices_are_rejected() {
        for (input, output) in [(-1.0, 1.0), (1.0, f64::NAN), (f64::INFINITY, 0.0)] {
            let error = ModelPrice::new(input, output).expect_err("invalid price");
            assert!(
                error.to_string().contains("expected a finite price"),
                "{error}"
            );
        }
    }

    #[test]
    fn table_reads_from_toml() {
        let text = r#"
            ["gpt-4o-mini"]
            input_usd_per_million_tokens = 0.15
            output_usd_per_million_tokens = 0.6
        "#;
        let table: PriceTable = toml::from_str(text).expect("valid table");
        let price = table.get("gpt-4o-mini").expect("model is listed");
        assert_eq!(price.input_usd_per_million_tokens(), 0.15);
        assert_eq!(price.output_usd_per_million_tokens(), 0.6);
    }

    #[test]
    fn toml_rejects_negative_and_unknown_fields() {
        let negative = r#"
            [m]
            input_usd_per_million_tokens = -0.15
            output_usd_per_million_tokens = 0.6
        "#;
        let error = toml::from_str::<PriceTable>(negative).expect_err("negative price");
        assert!(
            error.to_string().contains("input_usd_per_million_tokens"),
            "{error}"
        );

        let unknown = r#"
            [m]
            input_usd_per_million_tokens = 0.15
            output_usd_per_million_tokens = 0.6
            cached_usd_per_million_tokens = 0.1
        "#;
        assert!(toml::from_str::<PriceTable>(unknown).is_err());
    }
}
