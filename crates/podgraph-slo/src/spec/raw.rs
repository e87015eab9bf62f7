//! The YAML shape of `config/slo.yaml`, before validation.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ExtractionMode, Severity};
use crate::decimal::Decimal;
use crate::duration::DurationText;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpec {
    pub(super) version: Option<u32>,
    pub(super) runbook_base: Option<String>,
    #[serde(default)]
    pub(super) defaults: RawDefaults,
    pub(super) notify: Option<RawNotify>,
    #[serde(default)]
    pub(super) slos: Vec<RawSlo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) period: Option<String>,
    pub(super) min_events: Option<serde_norway::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    pub(super) webhook: RawWebhook,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    pub(super) url: Option<String>,
    pub(super) url_env: Option<String>,
    pub(super) timeout: Option<DurationText>,
    pub(super) max_attempts: Option<u32>,
    pub(super) initial_backoff: Option<DurationText>,
    pub(super) max_backoff: Option<DurationText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlo {
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    pub(super) sli: Option<RawSli>,
    pub(super) composite: Option<Vec<RawComponent>>,
    pub(super) template: Option<RawTemplate>,
    pub(super) objective: Decimal,
    pub(super) period: Option<String>,
    pub(super) alerts: Option<Vec<RawAlert>>,
    #[serde(default)]
    pub(super) policies: Vec<RawPolicy>,
    pub(super) runbook: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSli {
    pub(super) event: String,
    pub(super) threshold: Option<serde_norway::Value>,
    #[serde(default)]
    pub(super) labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawComponent {
    pub(super) slo: String,
    pub(super) weight: Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplate {
    pub(super) label: String,
    pub(super) values: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlert {
    pub(super) name: String,
    pub(super) severity: Severity,
    pub(super) long_window: DurationText,
    pub(super) short_window: DurationText,
    pub(super) burn_rate: Decimal,
    #[serde(rename = "for")]
    pub(super) for_duration: Option<DurationText>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub(super) name: Option<String>,
    // `when: { budget_remaining_below: 50 }` rather than a YAML tag.
    #[serde(with = "serde_norway::with::singleton_map")]
    pub(super) when: RawTrigger,
    pub(super) action: RawAction,
    pub(super) degrade: Option<RawDegrade>,
    pub(super) release_at: Option<Decimal>,
    pub(super) min_events: Option<serde_norway::Value>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum RawTrigger {
    BudgetExhausted,
    BudgetRemainingBelow(Decimal),
    AlertFiring(String),
    SeverityFiring(Severity),
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawAction {
    Warn,
    Notify,
    Freeze,
    Degrade,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDegrade {
    pub(super) extraction: Option<ExtractionMode>,
    pub(super) max_concurrency: Option<usize>,
}
