//! Metrics of service level objectives, emitted by the SLO tracker and policy engine.
//!
//! These functions are the only way podgraph emits the `podgraph_slo_*` metrics. SLO,
//! window, alert and policy names come from the SLO configuration, which bounds them.

use metrics::{Counter, Label, SharedString};

use crate::catalogue::{
    SLO_ALERT_STATE, SLO_BURN_RATE, SLO_ERROR_BUDGET_REMAINING, SLO_EVENTS, SLO_FORCED_ADMISSIONS,
    SLO_NOTIFICATIONS, SLO_POLICY_ACTIVE, SLO_SLI, label,
};

/// The state of an SLO alert, as exported in `podgraph_slo_alert_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// The alert condition does not hold.
    Inactive,
    /// The condition holds but not yet for long enough to fire.
    Pending,
    /// The alert fires.
    Firing,
}

impl AlertState {
    /// The gauge value: 0 inactive, 1 pending, 2 firing.
    pub const fn value(self) -> f64 {
        match self {
            Self::Inactive => 0.0,
            Self::Pending => 1.0,
            Self::Firing => 2.0,
        }
    }
}

fn owned(value: &str) -> SharedString {
    SharedString::from_owned(value.to_owned())
}

/// Sets the fraction of good events of `slo` over `window` (`5m`, `1h`, `30d`).
pub fn set_sli_ratio(slo: &str, window: &str, ratio: f64) {
    SLO_SLI
        .gauge(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::WINDOW, owned(window)),
        ])
        .set(ratio);
}

/// Sets the fraction of the error budget of `slo` left in the current period; negative
/// when the budget is overspent.
pub fn set_error_budget_remaining(slo: &str, ratio: f64) {
    SLO_ERROR_BUDGET_REMAINING
        .gauge(vec![Label::new(label::SLO, owned(slo))])
        .set(ratio);
}

/// Sets the burn rate of `slo` over `window`: 1 spends the budget exactly in one period.
pub fn set_burn_rate(slo: &str, window: &str, rate: f64) {
    SLO_BURN_RATE
        .gauge(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::WINDOW, owned(window)),
        ])
        .set(rate);
}

/// Sets the state of `alert` of `slo`.
pub fn set_alert_state(slo: &str, alert: &str, state: AlertState) {
    SLO_ALERT_STATE
        .gauge(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::ALERT, owned(alert)),
        ])
        .set(state.value());
}

/// Whether a valid SLI event met the objective, as exported in the `outcome` label of
/// `podgraph_slo_events_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventOutcome {
    /// The event met the objective.
    Good,
    /// The event did not.
    Bad,
}

impl EventOutcome {
    /// Returns the label value: `good` or `bad`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Bad => "bad",
        }
    }
}

/// The result of a policy's webhook notification, as exported in the `outcome` label
/// of `podgraph_slo_notifications_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationOutcome {
    /// The webhook accepted it.
    Sent,
    /// Every attempt failed.
    Failed,
    /// No webhook is configured, so nothing was sent.
    Skipped,
}

impl NotificationOutcome {
    /// Returns the label value: `sent`, `failed` or `skipped`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// Returns the counter of valid events of `slo` with `outcome`, from the recorder
/// installed now. Callers that count often keep the handle.
pub fn events_counter(slo: &str, outcome: EventOutcome) -> Counter {
    SLO_EVENTS.counter(vec![
        Label::new(label::SLO, owned(slo)),
        Label::new(label::OUTCOME, outcome.as_str()),
    ])
}

/// Sets whether `policy` of `slo`, whose action is `action` (`warn`, `notify`, `freeze`
/// or `degrade`), is active.
pub fn set_policy_active(slo: &str, policy: &str, action: &'static str, active: bool) {
    SLO_POLICY_ACTIVE
        .gauge(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::POLICY, owned(policy)),
            Label::new(label::ACTION, action),
        ])
        .set(if active { 1.0 } else { 0.0 });
}

/// Counts one webhook notification of a policy of `slo`.
pub fn record_notification(slo: &str, outcome: NotificationOutcome) {
    SLO_NOTIFICATIONS
        .counter(vec![
            Label::new(label::SLO, owned(slo)),
            Label::new(label::OUTCOME, outcome.as_str()),
        ])
        .increment(1);
}

/// Counts one seeding job that an operator forced through a freeze of `slo`.
pub fn record_forced_admission(slo: &str) {
    SLO_FORCED_ADMISSIONS
        .counter(vec![Label::new(label::SLO, owned(slo))])
        .increment(1);
}
