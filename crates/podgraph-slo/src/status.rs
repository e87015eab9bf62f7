//! The serialisable state of every SLO, for the API, `podgraph slo status` and tests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::{Admission, Degradation};
use crate::spec::Severity;

/// Every SLO at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloStatus {
    /// When the numbers were computed.
    pub evaluated_at: DateTime<Utc>,
    /// One report per SLO, in spec order.
    pub slos: Vec<SloReport>,
    /// Whether new seeding jobs are accepted; filled in by the policy engine.
    pub admission: Option<Admission>,
    /// Processing reduction; filled in by the policy engine.
    pub degradation: Option<Degradation>,
}

impl SloStatus {
    /// Returns the report of the SLO named `name`.
    pub fn slo(&self, name: &str) -> Option<&SloReport> {
        self.slos.iter().find(|report| report.name == name)
    }

    /// Returns one row per SLO with preformatted cells, for tables. Undefined values are `-`.
    pub fn rows(&self) -> Vec<StatusRow> {
        self.slos.iter().map(StatusRow::of).collect()
    }
}

/// Whether an SLO counts events or combines other SLOs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloKind {
    /// Good events over valid events of one catalogue event.
    Events,
    /// Weighted mean of other SLOs.
    Composite,
}

/// The state of one SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloReport {
    /// SLO name.
    pub name: String,
    /// The promise, in a sentence.
    pub description: String,
    /// Events or composite.
    pub kind: SloKind,
    /// Objective in percent.
    pub objective_percent: f64,
    /// Period, such as `30d` or `calendar_month`.
    pub period: String,
    /// Runbook link.
    pub runbook: String,
    /// The SLI and burn rate over each alert window, shortest first.
    pub windows: Vec<WindowReport>,
    /// The error budget over the period.
    pub budget: BudgetReport,
    /// Each alert's state.
    pub alerts: Vec<AlertReport>,
    /// Policies active now; filled in by the policy engine.
    pub policies: Vec<PolicyReport>,
    /// Budget policies whose trigger holds but that stay inactive because the period
    /// holds fewer valid events than their `min_events`; filled in by the policy engine.
    #[serde(default)]
    pub held_policies: Vec<HeldPolicy>,
}

/// The SLI over one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowReport {
    /// The window, such as `5m`.
    pub window: String,
    /// Its length in seconds.
    pub seconds: u64,
    /// Good events; `None` for composites.
    pub good: Option<u64>,
    /// Valid events; `None` for composites.
    pub total: Option<u64>,
    /// Good over valid; `None` when the window has no events.
    pub sli: Option<f64>,
    /// Error ratio over the allowed error ratio; `None` when the window has no events.
    pub burn_rate: Option<f64>,
}

/// The error budget of an SLO over its period.
///
/// `consumed_ratio` is bad events over allowed bad events and may exceed 1;
/// `remaining_ratio` is `1 - consumed_ratio` clamped to `[0, 1]`, and the part beyond
/// the budget is reported in `overspend_ratio`. A period without events has consumed
/// nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetReport {
    /// Start of the period the budget covers.
    pub period_start: DateTime<Utc>,
    /// Length of that period in seconds.
    pub period_seconds: u64,
    /// SLI over the period; `None` without events.
    pub sli: Option<f64>,
    /// The allowed error ratio, `1 - objective`.
    pub allowed_error_ratio: f64,
    /// The budget as time: how long a full outage the period allows, in seconds.
    pub full_outage_seconds: f64,
    /// Valid events in the period; `None` for composites.
    pub total_events: Option<u64>,
    /// Bad events in the period; `None` for composites.
    pub bad_events: Option<u64>,
    /// Valid events the budget is estimated from, which budget policies compare with
    /// their `min_events`: `total_events` for an event-based SLO. For a composite it is
    /// the fewest valid events among its components that have any in the period, because
    /// the least sampled component limits how much the weighted mean can be trusted.
    #[serde(default)]
    pub sample_events: u64,
    /// Bad events the objective allows for the events seen so far; `None` for composites.
    pub allowed_bad_events: Option<f64>,
    /// Allowed minus actual bad events; negative when overspent. `None` for composites.
    pub remaining_bad_events: Option<f64>,
    /// Share of the budget spent, unclamped.
    pub consumed_ratio: f64,
    /// Share of the budget left, in `[0, 1]`.
    pub remaining_ratio: f64,
    /// Whether more than the whole budget is spent.
    pub overspent: bool,
    /// Spending beyond the budget, as a share of the budget (0.3 is 130 % consumed).
    pub overspend_ratio: f64,
    /// The window whose burn rate counts as the current burn (the shortest long alert window).
    pub burn_window: String,
    /// Burn rate over `burn_window`.
    pub burn_rate: Option<f64>,
    /// Time until the budget is gone if the current burn goes on; `None` when nothing
    /// burns, zero when it is already gone.
    pub time_to_exhaustion_seconds: Option<f64>,
}

/// The state of one alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The condition does not hold and the alert never fired or has been reset.
    Inactive,
    /// The condition holds but not yet for the alert's `for` duration.
    Pending,
    /// The alert is firing.
    Firing,
    /// The alert fired and its condition stopped holding.
    Resolved,
}

impl AlertState {
    /// Lowercase name, as shown in tables.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Pending => "pending",
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }
}

/// One alert of an SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertReport {
    /// Alert name, such as `page-fast`.
    pub name: String,
    /// Page or ticket.
    pub severity: Severity,
    /// Current state.
    pub state: AlertState,
    /// When the state was entered; `None` while it never left `inactive`.
    pub since: Option<DateTime<Utc>>,
    /// Long window, such as `1h`.
    pub long_window: String,
    /// Short window, such as `5m`.
    pub short_window: String,
    /// The burn-rate factor both windows must exceed.
    pub burn_rate_threshold: f64,
    /// The same threshold as an error ratio, exact decimal text such as `0.072`.
    pub error_ratio_threshold: String,
    /// Burn rate over the long window.
    pub long_burn_rate: Option<f64>,
    /// Burn rate over the short window.
    pub short_burn_rate: Option<f64>,
}

/// One active policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyReport {
    /// Policy name.
    pub name: String,
    /// `warn`, `notify`, `freeze` or `degrade`.
    pub action: String,
    /// The trigger, as text.
    pub trigger: String,
    /// When it became active.
    pub since: DateTime<Utc>,
}

/// A budget policy kept inactive by its `min_events` guard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPolicy {
    /// Policy name.
    pub name: String,
    /// `warn`, `notify`, `freeze` or `degrade`.
    pub action: String,
    /// The trigger, as text; it holds now.
    pub trigger: String,
    /// Valid events the period must hold before the policy activates.
    pub min_events: u64,
}

/// One table row of [`SloStatus::rows`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusRow {
    /// SLO name.
    pub slo: String,
    /// Objective, such as `99.5 %`.
    pub objective: String,
    /// SLI over the period, such as `99.812 %`.
    pub sli: String,
    /// Budget remaining, such as `62.4 %`, or `0 % (overspent 30 %)`.
    pub budget_remaining: String,
    /// Current burn rate, such as `1.20x`.
    pub burn_rate: String,
    /// Firing and pending alerts, such as `page-fast (firing)`, or `-`.
    pub alerts: String,
    /// Active policies, such as `freeze-when-exhausted`, or `-`.
    pub policies: String,
}

impl StatusRow {
    /// Column titles, in field order.
    pub const HEADERS: [&'static str; 7] = [
        "SLO",
        "objective",
        "SLI (period)",
        "budget left",
        "burn",
        "alerts",
        "policies",
    ];

    fn of(report: &SloReport) -> Self {
        let percent = |ratio: f64, digits: usize| format!("{:.digits$} %", ratio * 100.0);
        let budget = &report.budget;
        let budget_remaining = if budget.overspent {
            format!("0 % (overspent {})", percent(budget.overspend_ratio, 1))
        } else {
            percent(budget.remaining_ratio, 1)
        };
        let alerts: Vec<String> = report
            .alerts
            .iter()
            .filter(|alert| matches!(alert.state, AlertState::Firing | AlertState::Pending))
            .map(|alert| format!("{} ({})", alert.name, alert.state.as_str()))
            .collect();
        let policies: Vec<&str> = report.policies.iter().map(|p| p.name.as_str()).collect();
        Self {
            slo: report.name.clone(),
            objective: format!("{} %", report.objective_percent),
            sli: budget
                .sli
                .map_or_else(|| "-".to_owned(), |sli| percent(sli, 3)),
            budget_remaining,
            burn_rate: budget
                .burn_rate
                .map_or_else(|| "-".to_owned(), |rate| format!("{rate:.2}x")),
            alerts: if alerts.is_empty() {
                "-".to_owned()
            } else {
                alerts.join(", ")
            },
            policies: if policies.is_empty() {
                "-".to_owned()
            } else {
                policies.join(", ")
            },
        }
    }

    /// Returns the cells in [`StatusRow::HEADERS`] order.
    pub fn cells(&self) -> [&str; 7] {
        [
            &self.slo,
            &self.objective,
            &self.sli,
            &self.budget_remaining,
            &self.burn_rate,
            &self.alerts,
            &self.policies,
        ]
    }
}
