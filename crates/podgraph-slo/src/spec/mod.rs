//! SLO specifications: the types, loading and validation of `config/slo.yaml`.
//!
//! A spec lists SLOs. Each one has an SLI (good events over valid events of one catalogue
//! event, or a weighted combination of other SLOs), an objective in percent, a period
//! (rolling days or the calendar month), alert windows and policies. When an SLO lists no
//! alerts it gets [`default_alerts`]: the multi-window, multi-burn-rate set of the Google
//! SRE workbook, scaled to its period.

mod defaults;
mod raw;
mod resolve;

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};

pub use defaults::{REFERENCE_PERIOD, default_alerts, scale_window};

use crate::decimal::Decimal;
use crate::duration::format_duration;
use crate::error::{SloError, SloResult};
use crate::events::EventDef;

/// The spec shipped with podgraph, a copy of `config/slo.yaml` at build time.
pub const DEFAULT_SPEC_YAML: &str = include_str!("../../../../config/slo.yaml");

/// Document that runbook links point into by default.
pub const DEFAULT_RUNBOOK_BASE: &str = "docs/slo.md";

/// Valid events the period must hold before a budget policy can be active, when neither
/// the policy nor the spec's `defaults` set `min_events`.
///
/// A budget estimated from few events is unreliable. At 99.5 %, a single failure among
/// fewer than 200 events spends the whole budget, and a freeze would then hold until
/// that failure leaves the period. From 100 events on, one failure is at most 1 % of
/// them, and an SLI that far below its objective is worth acting on.
pub const DEFAULT_MIN_EVENTS: u64 = 100;

/// Environment variable holding the webhook URL when the spec does not name another.
pub const DEFAULT_WEBHOOK_URL_ENV: &str = "PODGRAPH_SLO_WEBHOOK_URL";

/// Reads and validates an SLO spec file.
///
/// # Errors
/// [`SloError::ReadSpec`] when the file cannot be read, [`SloError::ParseSpec`] when it
/// is not valid YAML of the expected shape, and [`SloError::InvalidSpec`] listing every
/// rule it breaks.
pub fn load_spec(path: impl AsRef<Path>) -> SloResult<SloSpec> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| SloError::ReadSpec {
        path: path.to_owned(),
        source,
    })?;
    SloSpec::from_yaml(&text, &path.display().to_string())
}

/// A validated set of SLOs.
#[derive(Clone, Debug, PartialEq)]
pub struct SloSpec {
    /// Where the spec came from (a path or `<embedded>`), for messages.
    pub origin: String,
    /// Document that runbook links point into, such as `docs/slo.md`.
    pub runbook_base: String,
    /// Where `notify` policies send alerts, when configured.
    pub notify: Option<WebhookConfig>,
    /// The SLOs, templates expanded, in file order.
    pub slos: Vec<Slo>,
}

impl SloSpec {
    /// Parses and validates the spec built into the crate, a copy of `config/slo.yaml`.
    ///
    /// # Errors
    /// Only if the embedded file is broken, which the crate's tests rule out.
    pub fn default_spec() -> SloResult<Self> {
        Self::from_yaml(DEFAULT_SPEC_YAML, "<embedded>")
    }

    /// Parses and validates a spec from YAML text. `origin` names it in messages.
    ///
    /// # Errors
    /// [`SloError::ParseSpec`] or [`SloError::InvalidSpec`].
    pub fn from_yaml(text: &str, origin: &str) -> SloResult<Self> {
        let raw: raw::RawSpec =
            serde_norway::from_str(text).map_err(|error| SloError::ParseSpec {
                origin: origin.to_owned(),
                message: error.to_string(),
            })?;
        resolve::resolve(raw, origin)
    }

    /// Returns the SLO named `name`.
    pub fn slo(&self, name: &str) -> Option<&Slo> {
        self.slos.iter().find(|slo| slo.name == name)
    }
}

/// One service level objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Unique name: lowercase letters, digits and `-`. Used as the `slo` metric label.
    pub name: String,
    /// What the SLO promises, in a sentence.
    pub description: String,
    /// How good and valid events are counted.
    pub sli: Sli,
    /// The objective in percent, above 0 and below 100.
    pub objective: Decimal,
    /// The period over which the error budget is counted.
    pub period: Period,
    /// Burn-rate alerts, each over a long and a short window.
    pub alerts: Vec<AlertRule>,
    /// Policies enforced while their trigger holds.
    pub policies: Vec<Policy>,
    /// Link to the runbook section, such as `docs/slo.md#episode-success`.
    pub runbook: String,
}

impl Slo {
    /// Returns the objective as a ratio: 99.5 % is `0.995`.
    pub fn objective_ratio(&self) -> Decimal {
        // Validation made sure the division is exact within the decimal's scale.
        self.objective.percent_to_ratio().unwrap_or(Decimal::ZERO)
    }

    /// Returns the share of events allowed to be bad: `1 - objective`, 0.005 for 99.5 %.
    pub fn error_budget_ratio(&self) -> Decimal {
        Decimal::ONE
            .checked_sub(self.objective_ratio())
            .unwrap_or(Decimal::ZERO)
    }

    /// Returns every distinct alert window, shortest first.
    pub fn alert_windows(&self) -> Vec<Duration> {
        let mut windows: Vec<Duration> = self
            .alerts
            .iter()
            .flat_map(|alert| [alert.long_window, alert.short_window])
            .collect();
        windows.sort_unstable();
        windows.dedup();
        windows
    }

    /// Returns the SLOs this one combines, when it is a composite.
    pub fn components(&self) -> &[Component] {
        match &self.sli {
            Sli::Composite(components) => components,
            Sli::Events(_) => &[],
        }
    }
}

/// How an SLO counts good and valid events.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    /// Events of one catalogue entry, optionally filtered by labels.
    Events(EventSli),
    /// A weighted mean of other SLOs' SLIs.
    Composite(Vec<Component>),
}

/// An SLI over one catalogue event.
#[derive(Clone, Debug, PartialEq)]
pub struct EventSli {
    /// The catalogue entry.
    pub event: &'static EventDef,
    /// The good/bad boundary for measured events; `None` for outcome events.
    pub threshold: Option<Threshold>,
    /// Label values an event must carry to count, such as `provider: store`.
    pub labels: BTreeMap<String, String>,
}

impl EventSli {
    /// Checks whether an event with `labels` belongs to this SLI.
    pub fn matches(&self, labels: &[(&str, &str)]) -> bool {
        self.labels.iter().all(|(key, expected)| {
            labels
                .iter()
                .any(|(name, value)| name == key && value == expected)
        })
    }
}

/// The value at or below which a measured event is good.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// A duration, for latency and freshness events.
    Seconds(Duration),
    /// An amount in US dollars, for cost events.
    Usd(Decimal),
}

impl Threshold {
    /// The threshold in the event's unit (seconds or dollars).
    pub fn value(&self) -> f64 {
        match self {
            Self::Seconds(duration) => duration.as_secs_f64(),
            Self::Usd(amount) => amount.to_f64(),
        }
    }
}

/// One SLO inside a composite, with its weight.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// The name of an event-based SLO of the same spec.
    pub slo: String,
    /// A positive weight; weights need not add up to anything.
    pub weight: Decimal,
}

/// The period of an error budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// The last `N` days, moving with the clock.
    Rolling(Duration),
    /// The current calendar month in UTC, reset on the first day at midnight.
    CalendarMonth,
}

impl Period {
    /// The length of the period that contains `now`: the rolling length, or the length
    /// of the current month.
    pub fn length_at(&self, now: DateTime<Utc>) -> Duration {
        match self {
            Self::Rolling(length) => *length,
            Self::CalendarMonth => {
                let (start, end) = month_bounds(now);
                (end - start).to_std().unwrap_or(REFERENCE_PERIOD)
            }
        }
    }

    /// Returns the maximum length of the period: 31 days for a calendar month. Bounds how much
    /// history the tracker keeps.
    pub fn max_length(&self) -> Duration {
        match self {
            Self::Rolling(length) => *length,
            Self::CalendarMonth => Duration::from_secs(31 * 86_400),
        }
    }

    /// The length used to scale alert windows and to write Prometheus rules: the rolling
    /// length, or 30 days for a calendar month, which PromQL cannot express.
    pub fn nominal_length(&self) -> Duration {
        match self {
            Self::Rolling(length) => *length,
            Self::CalendarMonth => REFERENCE_PERIOD,
        }
    }

    /// Where the period containing `now` started: `now - length`, or the first of the month.
    pub fn start_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Rolling(length) => chrono::TimeDelta::from_std(*length)
                .ok()
                .and_then(|delta| now.checked_sub_signed(delta))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            Self::CalendarMonth => month_bounds(now).0,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rolling(length) => f.write_str(&format_duration(*length)),
            Self::CalendarMonth => f.write_str("calendar_month"),
        }
    }
}

/// The first instant of the month of `now` and of the next month, in UTC.
pub(crate) fn month_bounds(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = |year: i32, month: u32| {
        Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
            .single()
            .unwrap_or(now)
    };
    let start = first(now.year(), now.month());
    let end = if now.month() == 12 {
        first(now.year().saturating_add(1), 1)
    } else {
        first(now.year(), now.month() + 1)
    };
    (start, end)
}

/// How urgent an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Wake someone up: the budget will be gone within days.
    Page,
    /// Open a ticket: the budget is being spent faster than it accrues.
    Ticket,
}

impl Severity {
    /// The `severity` label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Ticket => "ticket",
        }
    }
}

/// A multi-window burn-rate alert: it fires while the burn rate over both windows is
/// above `burn_rate`.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// Unique name within the SLO, such as `page-fast`; the `alert` metric label.
    pub name: String,
    /// Page or ticket.
    pub severity: Severity,
    /// The window that shows the budget is really being spent.
    pub long_window: Duration,
    /// The window that shows it is still being spent, so the alert resolves soon after
    /// the problem stops.
    pub short_window: Duration,
    /// The burn-rate factor, such as 14.4.
    pub burn_rate: Decimal,
    /// How long the condition must hold before the alert fires; zero fires at once.
    pub for_duration: Duration,
    /// The error ratio both windows must exceed: `burn_rate * (1 - objective)`, exact.
    pub error_ratio_threshold: Decimal,
}

/// A policy: an action taken while a trigger holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Name, unique within the SLO; defaults to `<action>-<index>`.
    pub name: String,
    /// When the policy becomes active.
    pub trigger: Trigger,
    /// What it does while active.
    pub action: Action,
    /// For budget triggers: the remaining budget, in percent, at which an active policy
    /// is released. Without it the policy is released as soon as the trigger stops
    /// holding.
    pub release_at: Option<Decimal>,
    /// For budget triggers: valid events the period must hold before the policy
    /// activates (see [`BudgetReport::sample_events`](crate::status::BudgetReport::sample_events)).
    /// An active policy is released by its trigger or `release_at` alone. 0 turns the
    /// guard off, and alert triggers always have 0, because their windows need events
    /// to fire.
    pub min_events: u64,
}

/// When a policy becomes active.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// The remaining budget is zero: as many bad events as the objective allows, or more.
    BudgetExhausted,
    /// The remaining budget is below this many percent.
    BudgetRemainingBelow(Decimal),
    /// The named alert of the same SLO is firing.
    AlertFiring(String),
    /// Any alert of this severity of the same SLO is firing.
    SeverityFiring(Severity),
}

impl Trigger {
    /// Checks whether the trigger reads the error budget rather than an alert.
    pub const fn is_budget(&self) -> bool {
        matches!(self, Self::BudgetExhausted | Self::BudgetRemainingBelow(_))
    }
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BudgetExhausted => f.write_str("error budget exhausted"),
            Self::BudgetRemainingBelow(percent) => {
                write!(f, "error budget remaining below {percent} %")
            }
            Self::AlertFiring(alert) => write!(f, "alert {alert} firing"),
            Self::SeverityFiring(severity) => write!(f, "a {} alert firing", severity.as_str()),
        }
    }
}

/// What an active policy does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Log a warning and set the policy gauge.
    Warn,
    /// Send a JSON alert to the configured webhook when the policy becomes active and
    /// when it is released.
    Notify,
    /// Refuse new seeding jobs unless an operator forces them.
    Freeze,
    /// Reduce the load: local extraction instead of the LLM, lower concurrency.
    Degrade(DegradeSettings),
}

impl Action {
    /// The action's name in the spec and in metric labels.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Notify => "notify",
            Self::Freeze => "freeze",
            Self::Degrade(_) => "degrade",
        }
    }
}

/// How a `degrade` policy reduces the load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DegradeSettings {
    /// Extraction to switch to.
    pub extraction: Option<ExtractionMode>,
    /// Episodes processed at once, at most.
    pub max_concurrency: Option<NonZeroUsize>,
}

/// Which extractor to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractionMode {
    /// The local extractor, without LLM calls.
    Local,
}

/// Where `notify` policies send alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The URL written in the spec. Prefer [`WebhookConfig::url_env`]: URLs of chat
    /// webhooks contain tokens.
    pub url: Option<String>,
    /// Environment variable holding the URL, read when the notifier is built.
    pub url_env: String,
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// Attempts before giving up, at least 1.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; it doubles after each further failure.
    pub initial_backoff: Duration,
    /// Upper bound of the wait between attempts.
    pub max_backoff: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url: None,
            url_env: DEFAULT_WEBHOOK_URL_ENV.to_owned(),
            timeout: Duration::from_secs(5),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
        }
    }
}
